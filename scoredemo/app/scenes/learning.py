"""Scene 3 — learning the score: train a small network with a score-matching objective, compare its field."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import streamlit as st

from scoredemo.app import state as S
from scoredemo import figures as F
from scoredemo import metrics
from scoredemo.app import widgets as C
from scoredemo.app.scenes.follow_score import sampler_controls

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
        if sigma_min > sigma_max:
            st.sidebar.warning(
                f"σ_min = {sigma_min:g} is above σ_max = {sigma_max:g}: training uses one noise level, "
                f"σ = {sigma_max:g}. Lower σ_min or raise σ_max for a ladder of {levels} levels.",
                icon="↕️",
            )
            sigma_min = sigma_max
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


# ------------------------------------------------------------------------------------------ score errors


class ScoreErrors(NamedTuple):
    """How wrong a trained model is, and where (numpy; scenes 3 and 4). The reference s is the score of the
    density the objective learns: p for esm/ssm/ssm-vr, p_σ for dsm (its σ) and ncsn (σ_min)."""

    xs: np.ndarray
    ys: np.ndarray
    error: np.ndarray  # (n, n) ‖s_θ(x) − s(x)‖ on the grid (metrics.score_error_grid)
    weighted: float  # metrics.weighted_rel_error over samples of p_σ ("near the data")
    low_density: float  # metrics.low_density_rel_error (grid points with p_σ < 1e-4·max)
    by_density: metrics.ErrorByDensity  # metrics.error_vs_log_density, 8 decades
    eval_sigma: float
    box: float


#: Grid of the error map and of the decade bins (also the grid of training.evaluate's low-density error).
ERROR_GRID = 100


@st.cache_data(max_entries=24, ttl=S.CACHE_TTL, show_spinner=False)
def score_errors(model: S.TrainKey, n: int = ERROR_GRID) -> ScoreErrors:
    """The error map, the two headline numbers (``training.evaluate``: the same as ``train --json``) and the
    error per decade of density, for a trained model (all from :mod:`scoredemo.metrics`)."""
    training, reason = S.training_api()
    if training is None:
        raise RuntimeError(reason)
    res = S.trained(model)
    dens = S.get_density(model.density)
    sigma = float(res.config.eval_sigma)
    score, grid_fn = S.score_kernel(), S.grid_kernel()  # the app's cached compiled programs
    s = jnp.float32(sigma)

    def learned(x):
        return score(res.learned, x, s)

    def true(x):
        return score(dens.mixture, x, s)

    def log_p(x):
        return grid_fn(dens.mixture, x, s)[0]

    grid = metrics.score_error_grid(learned, true, dens.box, n)
    headline = training.evaluate(res.learned, dens, grid=n, seed=int(model.seed))
    binned = metrics.error_vs_log_density(learned, true, log_p, dens.box, n=n, bins=8)
    return ScoreErrors(
        grid.xs,
        grid.ys,
        np.sqrt(grid.sq_error).reshape(n, n),
        float(headline["weighted_rel_error"]),
        float(headline["low_density_rel_error"]),
        binned,
        sigma,
        dens.box,
    )


def reference_note(model: S.TrainKey, sigma: float) -> str:
    """What s is compared against: ∇ log p, or ∇ log p_σ for the objectives that learn a blurred density."""
    if sigma <= 0:
        return "s = ∇ log p, the true score"
    if model.objective == "dsm":
        return f"s = ∇ log p_σ with σ = {sigma:g}: dsm learns the score of p_σ = p ∗ N(0, σ²I), not of p"
    return (
        f"s = ∇ log p_σ with σ = {sigma:g}: {model.objective} learns the scores of p_σ = p ∗ N(0, σ²I) at its "
        "noise levels, and this is the smallest one"
    )


def trained_view(tkey: S.TrainKey, page_id: str):
    """Scenes 3 and 4 after their controls: the train block, then (once trained) the model's error numbers.
    Returns (TrainResult, learned field, ScoreErrors), or None while the model waits for the Train button."""
    result = C.train_block(tkey, page_id=page_id)
    if result is None:
        return None
    errors = score_errors(tkey)
    error_metrics(tkey, errors)
    return result, S.learned_field(tkey), errors


def error_map(errors: ScoreErrors, result, data: np.ndarray, *, title: str, height: int = 560) -> None:
    """The learned score's error map with the data it was trained on (or samples of p, for fresh data) on top."""
    C.chart(
        F.heatmap_spec(
            errors.xs,
            errors.ys,
            errors.error,
            box=errors.box,
            kind="error-map",
            title=title,
            colorbar="error",
            overlay=data[:1000],
            overlay_name="training data" if result.data is not None else "samples of p",
            height=height,
        ),
        "error-map",
    )


def error_metrics(model: S.TrainKey, errors: ScoreErrors) -> None:
    """The two headline numbers as st.metric, and the sentence that explains them."""
    c1, c2 = st.columns(2)
    c1.metric(
        "score error near the data",
        f"{errors.weighted:.3g}",
        help="metrics.weighted_rel_error: E‖s_θ − s‖² / E‖s‖² over 10 000 samples of p.",
    )
    c2.metric(
        "score error where p < 10⁻⁴ · max p",
        f"{errors.low_density:.3g}",
        help="metrics.low_density_rel_error: Σ‖s_θ − s‖² / Σ‖s‖² over the grid points where the density is "
        "below 10⁻⁴ of its maximum.",
    )
    st.caption(
        "Both are the relative squared error Σ‖s_θ − s‖² / Σ‖s‖² (0 is perfect, 1 is as bad as s_θ = 0): the "
        "first over samples of p, where the loss looks; the second over the grid points where almost no data "
        f"falls. Here {reference_note(model, errors.eval_sigma)}."
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
    opened = C.learned_page(PAGE, "Training")
    if opened is None:
        return
    page, dkey, dens = opened
    tkey = model_controls(page, dkey)
    st.sidebar.header("Sampling with the learned score")
    eps, steps, n, _ = sampler_controls(page, step_size=0.05, n_steps=500, with_seed=False)
    page.finish()

    trained = trained_view(tkey, PAGE)
    if trained is None:
        return
    result, lf, errors = trained
    left, right = st.columns([2, 1])
    with left:
        fine = metrics.grid_points(lf.box, len(lf.xs))[2]
        pts, true_s = S.arrows_from(fine, lf.true_score, len(lf.xs))
        _, learn_s = S.arrows_from(fine, lf.learned_score, len(lf.xs))
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
        C.chart(F.score_field_spec(panels, box=lf.box, height=520), "fields")
    with right:
        C.chart(F.loss_curve_spec({tkey.objective: result.loss_curve}, title="training loss"), "loss")
    data = result.data if result.data is not None else S.true_samples(dkey, 500)
    c1, c2 = st.columns(2)
    with c1:
        error_map(errors, result, data, title="error ‖s_θ(x) − s(x)‖" + sig)
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
