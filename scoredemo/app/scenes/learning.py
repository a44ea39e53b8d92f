"""Scene 4 — learning the score: train a small network with a score-matching objective, compare its field."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo import metrics
from scoredemo.app import builders as B
from scoredemo.app import model_widgets as M
from scoredemo.app import trained as T
from scoredemo.app import widgets as W
from scoredemo.app.keys import TrainKey

PAGE = "learning-the-score"
DATA_CHOICES = ["fresh samples", "100", "500", "1000", "5000"]

#: The formula at the top of the page, per objective (objectives.py's docstring; λ(σ) = σ² as in REFERENCE.md,
#: and the 1/L of the code, which draws one level per example).
FORMULAS = {
    "esm": r"\min_\theta\; \mathbb{E}_{p}\big[\operatorname{tr}\nabla_x s_\theta(x) + \tfrac12\|s_\theta(x)\|^2\big]"
    r" \;=\; \tfrac12\,\mathbb{E}_{p}\big\|s_\theta(x) - \nabla_x \log p(x)\big\|^2 + \text{const}",
    "ssm": r"\min_\theta\; \mathbb{E}_{p}\,\mathbb{E}_{v}\big[v^\top \nabla_x\big(v^\top s_\theta(x)\big) + "
    r"\tfrac12\big(v^\top s_\theta(x)\big)^2\big], \qquad v \sim \mathcal{N}(0, I)",
    "ssm-vr": r"\min_\theta\; \mathbb{E}_{p}\,\mathbb{E}_{v}\big[v^\top \nabla_x\big(v^\top s_\theta(x)\big)\big] + "
    r"\tfrac12\,\mathbb{E}_{p}\|s_\theta(x)\|^2, \qquad v \sim \mathcal{N}(0, I)",
    "dsm": r"\min_\theta\; \tfrac12\,\mathbb{E}_{x \sim p,\, z \sim \mathcal{N}(0, I)}"
    r"\big\|s_\theta(x + \sigma z) + z/\sigma\big\|^2 \quad \text{(learns } \nabla_x \log p_\sigma\text{)}",
    "ncsn": r"\min_\theta\; \frac1L \sum_{i=1}^{L} \lambda(\sigma_i)\, \tfrac12\,\mathbb{E}\Big\|s_\theta(\tilde x, "
    r"\sigma_i) + \frac{\tilde x - x}{\sigma_i^2}\Big\|^2, \quad \tilde x = x + \sigma_i z,\; "
    r"\lambda(\sigma) = \sigma^2",
}


def default_models() -> list:
    """The model the default view trains (the server's warm-up trains it at start-up)."""
    return [M.default_model()]


def formula(objective: str) -> str:
    """The chosen objective's formula (a registered objective without one here shows its registry description)."""
    fallback = T.objective_help().split("  \n")[T.objective_names().index(objective)] if objective else ""
    return FORMULAS.get(objective, r"\text{" + fallback.replace("*", "") + "}")


INTRO = W.Intro(
    "Learning the score",
    "We only have samples, not p. Score matching fits a network s_θ(x) so that its arrows match ∇ log p "
    "where the data is: the objectives below need no normalising constant and no true score. "
    "Train one, then compare its field with the true one and sample with it.",
    formula(M.DEFAULT_OBJECTIVE),  # the page shows the picked objective's (see render)
)


def render() -> None:
    W.intro(INTRO)  # its formula depends on the objective picked in the sidebar: set below
    opened = M.learned_page(PAGE, "Training")
    page, dkey, dens = opened
    tkey = M.model_controls(page, dkey)
    st.sidebar.header("Sampling with the learned score")
    eps, steps, n, _ = W.sampler_controls(page, step_size=0.05, n_steps=500, with_seed=False)
    objective = str(st.session_state.get("objective", M.DEFAULT_OBJECTIVE))
    W.intro_formula(formula(objective))
    page.finish()
    if tkey is None:
        return

    trained = M.trained_or_previous(tkey, PAGE)
    if trained is None:
        return
    tkey, stale, result, lf, errors = trained
    # the true and learned fields over the page's width (beside the loss in a third of it, each was 192 px wide at
    # 1280 px), the loss under them; side by side on the projector
    left, right = W.stage_beside()
    with left:
        fine = metrics.grid_points(lf.box, len(lf.xs))[2]
        pts, true_s = T.arrows_from(fine, lf.true_score, len(lf.xs))
        _, learn_s = T.arrows_from(fine, lf.learned_score, len(lf.xs))
        dens_grid = np.exp(lf.log_density - lf.log_density.max())
        sig = f" (of p_σ, σ = {lf.eval_sigma:g})" if lf.eval_sigma > 0 else ""
        panels = [
            F.FieldPanel(lf.xs, lf.ys, dens_grid, pts, true_s, title="true score" + sig),
            F.FieldPanel(
                lf.xs,
                lf.ys,
                dens_grid,
                pts,
                learn_s,
                title=f"learned score ({tkey.objective})",
                color=F.OKABE_ITO["vermillion"],
            ),
        ]
        W.chart(F.score_field_spec(panels, box=lf.box, height=520), "fields", stale=stale, stage=True)
    with right:
        loss_chart(tkey, result, stale)
    data = result.data if result.data is not None else B.true_samples(dkey, 500)
    c1, c2 = st.columns(2)
    with c1:
        M.error_map(errors, result, data, title="error ‖s_θ(x) − s(x)‖" + sig, stale=stale)
    with c2:
        st.subheader("Sample with the learned score")
        run = B.particles(dkey, "langevin", eps, 1.0, steps, n, tkey.seed, model=tkey, sigma=lf.eval_sigma)
        W.warn_divergence(run, eps, dens)
        anim = F.Animation(
            sets=[F.ParticleSet(run.trajectory, "Langevin with s_θ")],
            box=lf.box,
            frame_labels=B.frame_labels(run),
            background=(lf.xs, lf.ys, dens_grid),
        )
        W.animation_block(anim, run, key="animation", file_stem="scoredemo-learned-langevin", stale=stale, stage=False)


#: What the floor of each objective is, in words (see builders.loss_floor for the formulas).
FLOOR_WORDS = {
    "none": "−½E‖∇ log p‖², the loss of the exact score",
    "sigma": "½E‖∇ log p_σ(x + σz) + z/σ‖², the loss of the exact score of p_σ: even a perfect model pays it, "
    "because the noise z cannot be read off x + σz",
    "sigmas": "the same average with the exact score of every p_σᵢ: even a perfect model pays it",
}


def loss_chart(tkey: TrainKey, result, stale: str | None) -> None:
    """The training loss minus its floor (the smallest value the objective can take), so every objective's curve
    visibly falls towards 0. A linear axis: once trained, a step's excess is often below 0 by chance (about half
    the steps for ssm-vr), which a log axis could not draw. dsm's raw loss sits near its large floor (99.0 at
    σ = 0.1 on the NCSN toy, with ±9 of minibatch noise per step while the model can gain about 1): each step's
    loss has the exact score's loss on the same minibatch subtracted (``TrainResult.reference_curve``), whose
    average is the floor."""
    floor = B.loss_floor(tkey)
    curve = np.asarray(result.loss_curve, np.float64)
    ref = result.reference_curve
    excess = curve - (np.asarray(ref, np.float64) if ref is not None and len(ref) == len(curve) else floor)
    W.chart(
        F.loss_curve_spec(
            {tkey.objective: excess},
            title=f"loss − floor ({floor:.4g})",
            y_title="loss − floor",
            reference=(0.0, "floor: the exact score"),
        ),
        "loss",
        stale=stale,
        stage=True,
    )
    below = int(np.sum(excess <= 0))
    st.caption(
        f"Subtracted from each step's loss: the loss of the exact score on the same minibatch. On average that is "
        f"the floor **{floor:.4g}** = {FLOOR_WORDS[T.objective_needs(tkey.objective)]} (Monte Carlo with the exact "
        "score). 0 is the exact score's loss; a step can fall below it by chance, or on average when the model fits "
        f"a fixed data set better than p itself does ({below} of {len(excess)} steps here)."
    )
