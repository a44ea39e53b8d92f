"""Scene 3 — learning the score: train a small network with a score-matching objective, compare its field."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo import metrics
from scoredemo.app import builders as B
from scoredemo.app import model_widgets as M
from scoredemo.app import trained as T
from scoredemo.app import widgets as W

PAGE = "learning-the-score"
DATA_CHOICES = ["fresh samples", "100", "500", "1000", "5000"]


def default_models() -> list:
    """The model the default view trains (the server's warm-up trains it at start-up)."""
    return [M.default_model()]


def render() -> None:
    W.intro(
        "Learning the score",
        "We only have samples, not p. Score matching fits a network s_θ(x) so that its arrows match ∇ log p "
        "where the data is: the objectives below need no normalising constant and no true score. "
        "Train one, then compare its field with the true one and sample with it.",
        r"\min_\theta\; \tfrac12\,\mathbb{E}_{p}\big\|s_\theta(x) - \nabla_x \log p(x)\big\|^2 \;=\; "
        r"\mathbb{E}_{p}\big[\operatorname{tr}\nabla_x s_\theta(x) + \tfrac12\|s_\theta(x)\|^2\big] + \text{const}",
    )
    opened = M.learned_page(PAGE, "Training")
    page, dkey, dens = opened
    tkey = M.model_controls(page, dkey)
    st.sidebar.header("Sampling with the learned score")
    eps, steps, n, _ = W.sampler_controls(page, step_size=0.05, n_steps=500, with_seed=False)
    page.finish()
    if tkey is None:
        return

    trained = M.trained_view(tkey, PAGE)
    if trained is None:
        return
    result, lf, errors = trained
    left, right = st.columns([2, 1])
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
        W.chart(F.score_field_spec(panels, box=lf.box, height=520), "fields")
    with right:
        W.chart(F.loss_curve_spec({tkey.objective: result.loss_curve}, title="training loss"), "loss")
    data = result.data if result.data is not None else B.true_samples(dkey, 500)
    c1, c2 = st.columns(2)
    with c1:
        M.error_map(errors, result, data, title="error ‖s_θ(x) − s(x)‖" + sig)
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
        W.animation_block(anim, run, key="animation", file_stem="scoredemo-learned-langevin")
