"""Scene 3 — learning the score: train a small network with a score-matching objective, compare its field."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import app_state as S
from scoredemo import figures as F
from scoredemo.scenes import _common as C
from scoredemo.scenes.follow_score import sampler_controls

PAGE = "learning-the-score"
DATA_CHOICES = ["fresh samples", "100", "500", "1000", "5000"]


def model_controls(
    page: S.Page,
    dkey: S.DensityKey,
    *,
    objective: str = "ssm-vr",
    steps: int = 2000,
    data: str = "1000",
    seed_key: str = "seed",
) -> S.TrainKey:
    """Objective (read from the registry), its noise settings, steps, data-set size and seed → a TrainKey."""
    names = S.objective_names()
    obj = page.select(
        "objective",
        "objective",
        names,
        objective if objective in names else names[0],
        help="esm: exact; ssm / ssm-vr: sliced; dsm: denoising at one σ; ncsn: many σ's.",
    )
    needs = S.objective_needs(obj)
    sigma = sigma_max = sigma_min = levels = None
    if needs == "sigma":
        sigma = page.slider("dsm noise σ", "dsm_sigma", 0.1, 0.01, 2.0, 0.01)
    elif needs == "sigmas":
        sigma_max = page.slider("σ_max", "sigma_max", 20.0, 1.0, 40.0, 0.5)
        sigma_min = page.slider("σ_min", "sigma_min", 1.0, 0.05, 5.0, 0.05)
        levels = page.int_slider("noise levels L", "levels", 10, 2, 20)
        sigma_min = min(sigma_min, sigma_max)
    n_steps = page.int_slider("training steps", "train_steps", steps, 250, 10000, 250)
    data_size = page.select(
        "data set",
        "data_size",
        DATA_CHOICES,
        data,
        help="A fixed data set of n samples, or fresh exact samples every step.",
    )
    seed = page.number("seed", seed_key, 0, 0, 9999)
    return S.TrainKey(
        dkey,
        obj,
        n_steps,
        None if data_size == DATA_CHOICES[0] else int(data_size),
        sigma,
        sigma_max,
        sigma_min,
        levels,
        seed,
    )


def render() -> None:
    C.intro(
        "Learning the score",
        "We only have samples, not p. Score matching fits a network s_θ(x) so that its arrows match ∇ log p "
        "where the data is: the objectives below need no normalising constant and no true score. "
        "Train one, then compare its field with the true one and sample with it.",
        r"\min_\theta\; \tfrac12\,\mathbb{E}_{p}\big\|s_\theta(x) - \nabla_x \log p(x)\big\|^2 \;=\; "
        r"\mathbb{E}_{p}\big[\operatorname{tr}\nabla_x s_\theta(x) + \tfrac12\|s_\theta(x)\|^2\big] + \text{const}",
    )
    training, reason = S.training_api()
    if training is None:
        C.learned_unavailable(reason)
        return
    page = S.Page(PAGE)
    st.sidebar.header("Training")
    dkey, dens, _ = C.density_controls(page, "ncsn-mixture")
    tkey = model_controls(page, dkey)
    st.sidebar.header("Sampling with the learned score")
    eps, steps, n, _ = sampler_controls(page, step_size=0.05, n_steps=500, with_seed=False)
    page.finish()

    result = C.train_block(tkey, page_id=PAGE)
    if result is None:
        return
    lf = S.learned_field(tkey)
    left, right = st.columns([2, 1])
    with left:
        pts, true_s = S.arrows_from(_points(lf), lf.true_score, len(lf.xs))
        _, learn_s = S.arrows_from(_points(lf), lf.learned_score, len(lf.xs))
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
        C.chart(F.score_field_figure(panels, box=lf.box, height=520), "fields")
    with right:
        C.chart(F.loss_curve_figure({tkey.objective: result.loss_curve}, title="training loss"), "loss")
    data = result.data if result.data is not None else S.true_samples(dkey, 500)
    c1, c2 = st.columns(2)
    with c1:
        C.chart(
            F.heatmap_figure(
                lf.xs,
                lf.ys,
                lf.error,
                box=lf.box,
                kind="error-map",
                title="error ‖s_θ(x) − s(x)‖",
                colorbar="error",
                overlay=data[:1000],
                overlay_name="training data" if result.data is not None else "samples of p",
            ),
            "error-map",
        )
    with c2:
        st.subheader("Sample with the learned score")
        run = S.particles(dkey, "langevin", eps, 1.0, steps, n, tkey.seed, model=tkey, sigma=lf.eval_sigma)
        C.warn_divergence(run, eps, dens)
        anim = F.Animation(
            sets=[F.ParticleSet(run.trajectory, "Langevin with s_θ")],
            box=lf.box,
            frame_labels=S.frame_labels(run),
            background=(lf.xs, lf.ys, dens_grid),
        )
        C.animation_block(anim, run, key="animation", file_stem="scoredemo-learned-langevin")


def _points(lf: S.LearnedField) -> np.ndarray:
    gx, gy = np.meshgrid(lf.xs, lf.ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=-1)
