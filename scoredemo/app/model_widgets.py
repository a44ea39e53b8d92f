"""Blocks of the learned-score scenes (learning, low density, manifolds, annealed, step size): the model's
controls, the train block with its live loss curve,
and the error numbers and map of a trained model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo.app import glossary as G
from scoredemo.app import trained as T
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page
from scoredemo.app.keys import DensityKey, TrainKey, train_key
from scoredemo.densities import Density

DATA_CHOICES = ["fresh samples", "100", "500", "1000", "5000"]
#: The model the learning and low-density scenes open with (NCSN Fig. 2's objective), on the NCSN toy.
DEFAULT_DENSITY = "ncsn-mixture"
DEFAULT_OBJECTIVE = "ssm-vr"
DEFAULT_TRAIN_STEPS = 2000
DEFAULT_DATA = "1000"
#: The scores a noise-conditional scene (9, 11) samples with: the closed form, or an ncsn network trained on the
#: density; and the network's default training (scene 9's error check trains the same model).
NCSN_SCORES = ("exact", "learned-ncsn")
NCSN_TRAIN_STEPS = 3000


def ncsn_controls(page: Page, *, score_help: str, train_help: str | None = None) -> tuple[bool, int]:
    """The sidebar's score choice (:data:`NCSN_SCORES`, ``?score=``) and, under a "Noise-conditional model" header,
    its training steps (``?train_steps=``): (learned?, steps)."""
    source = page.select("score", "score", list(NCSN_SCORES), NCSN_SCORES[0], help=G.with_terms(score_help, "ncsn"))
    st.sidebar.header("Noise-conditional model")
    steps = page.int_slider("training steps", "train_steps", NCSN_TRAIN_STEPS, 250, 10000, 250, help=train_help)
    return source != NCSN_SCORES[0], steps


def default_model() -> TrainKey:
    """The TrainKey :func:`model_controls` gives at its defaults on :func:`learned_page`'s default density."""
    return train_key(
        W.default_density_key(DEFAULT_DENSITY), DEFAULT_OBJECTIVE, DEFAULT_TRAIN_STEPS, data_size=int(DEFAULT_DATA)
    )


def learned_page(page_id: str, header: str) -> tuple[Page, DensityKey, Density]:
    """The opening of a learned-score scene (3, 4): the page's controls object, a sidebar header and the density
    picker (default: the NCSN toy)."""
    page = Page(page_id)
    st.sidebar.header(header)
    dkey, dens, _ = W.density_controls(page, DEFAULT_DENSITY, allow_custom=True)
    return page, dkey, dens


# ------------------------------------------------------------------------------------------ training


def _auto_keys() -> set:
    return st.session_state.setdefault("_auto_trained", set())


def train_block(tkey: TrainKey | Sequence[TrainKey], *, page_id: str, label: str = "Train", auto: bool = True):
    """Train button + "train again", a progress bar and a live loss curve; returns the TrainResult (a list for a
    list of keys) or None.

    A model already trained on this server (by anyone) is shown at once. ``auto``: the settings the page opens
    with (defaults or a shared URL) train without a click, so the default view needs no clicking; later changes
    wait for the button.
    """
    keys = [tkey] if isinstance(tkey, TrainKey) else list(tkey)
    first_visit = page_id not in st.session_state.setdefault("_visited_training", set())
    st.session_state["_visited_training"].add(page_id)
    c1, c2, c3 = st.columns([1, 1, 3])
    pressed = c1.button(f"▶ {label}", key=f"train-{page_id}", type="primary")
    again = c2.button("↻ Train again", key=f"again-{page_id}", help="Retrain from scratch (same settings).")
    known = all(T.is_trained(k) for k in keys)
    if not (known or pressed or again or (auto and first_visit)):
        c3.info("Settings changed: press **Train** to train with them.")
        return None
    results = []
    for j, key in enumerate(keys):
        if T.is_trained(key) and not again:
            results.append(T.trained(key))
            continue
        what = f"model {j + 1}/{len(keys)}: " if len(keys) > 1 else ""
        bar = st.progress(0.0, text=f"{what}compiling the training program…")
        live = st.empty()

        def progress(done: int, total: int, curve: np.ndarray, bar=bar, live=live, what=what, key=key, j=j) -> None:
            bar.progress(min(done / total, 1.0), text=f"{what}training step {done} / {total}")
            live.plotly_chart(
                F.SpecFigure(F.loss_curve_spec({key.objective: curve}, title="loss so far", height=300)),
                theme=None,
                key=f"live-{page_id}-{j}-{done}",
            )

        results.append(T.trained(key, progress, force=again))
        bar.empty()
        live.empty()
    secs = sum(r.compile_seconds + r.train_seconds for r in results)
    c3.success(
        f"Trained ({', '.join(k.objective for k in keys)}, {keys[0].steps} steps) in {secs:.1f} s.",
        icon=":material/check_circle:",
    )
    return results[0] if isinstance(tkey, TrainKey) else results


def model_controls(
    page: Page,
    dkey: DensityKey,
    *,
    objective: str = DEFAULT_OBJECTIVE,
    steps: int = DEFAULT_TRAIN_STEPS,
    data: str = DEFAULT_DATA,
    seed_key: str = "seed",
) -> TrainKey | None:
    """Objective (read from the registry), its noise settings, steps, data-set size and seed → a TrainKey; None
    (with the reason on the page) when the settings cannot be trained (σ_min above σ_max)."""
    names = T.objective_names()
    obj = page.select(
        "objective",
        "objective",
        names,
        objective if objective in names else names[0],
        help=T.objective_help(),
    )
    needs = T.objective_needs(obj)
    sigma = sigma_max = sigma_min = levels = None
    if needs == "sigma":
        sigma = page.slider("dsm noise σ", "dsm_sigma", 0.1, 0.01, 2.0, 0.01)
    elif needs == "sigmas":
        sigma_max = page.slider("σ_max", "sigma_max", 20.0, 1.0, 40.0, 0.5)
        sigma_min = page.slider("σ_min", "sigma_min", 1.0, 0.05, 5.0, 0.05)
        levels = page.int_slider("noise levels L", "levels", 10, 2, 20)
    n_steps = page.int_slider("training steps", "train_steps", steps, 250, 10000, 250)
    data_size = page.select(
        "data set",
        "data_size",
        DATA_CHOICES,
        data,
        help="A fixed data set of n samples, or fresh exact samples every step.",
    )
    seed = page.number("seed", seed_key, 0, 0, 9999)
    if needs == "sigmas" and W.sigma_range_problem(sigma_max, sigma_min, dkey):
        return None
    return train_key(
        dkey,
        obj,
        n_steps,
        data_size=None if data_size == DATA_CHOICES[0] else int(data_size),
        sigma=sigma,
        sigma_max=sigma_max,
        sigma_min=sigma_min,
        levels=levels,
        seed=seed,
    )


def reference_note(model: TrainKey, sigma: float) -> str:
    """What s is compared against: ∇ log p, or ∇ log p_σ for the objectives that learn a blurred density."""
    if sigma <= 0:
        return "s = ∇ log p, the true score"
    if model.objective == "dsm":
        return f"s = ∇ log p_σ with σ = {sigma:g}: dsm learns the score of p_σ = p ∗ N(0, σ²I), not of p"
    return (
        f"s = ∇ log p_σ with σ = {sigma:g}: {model.objective} learns the scores of p_σ = p ∗ N(0, σ²I) at its "
        "noise levels, and this is the smallest one"
    )


def trained_view(tkey: TrainKey, page_id: str):
    """The learning and low-density scenes after their controls: the train block, then (once trained) the model's
    error numbers.
    Returns (TrainResult, learned field, T.ScoreErrors), or None while the model waits for the Train button."""
    result = train_block(tkey, page_id=page_id)
    if result is None:
        return None
    errors = T.score_errors(tkey)
    error_metrics(tkey, errors)
    return result, T.learned_field(tkey), errors


def _last_shown() -> dict[str, TrainKey]:
    """page id -> the TrainKey whose result the page showed last (this session)."""
    return st.session_state.setdefault("_last_shown_model", {})


def stale_label(model: TrainKey) -> str:
    return f"previous setting: {model.objective}, {model.steps} steps"


def trained_or_previous(tkey: TrainKey, page_id: str):
    """Like :func:`trained_view`, but while the changed settings wait for the Train button the page keeps the
    result it showed last (if that model is still trained), to be drawn greyed under :func:`stale_label`.

    Returns (the TrainKey shown, its stale label or None, TrainResult, learned field, T.ScoreErrors), or None
    when there is nothing to show.
    """
    result = train_block(tkey, page_id=page_id)
    shown = _last_shown()
    stale = None
    if result is not None:
        shown[page_id] = tkey
    else:
        prev = shown.get(page_id)
        if prev is None or prev == tkey or not T.is_trained(prev):
            return None
        tkey, result, stale = prev, T.trained(prev), stale_label(prev)
        st.info(
            f"Greyed below: the **{stale}**, until the new setting is trained.",
            icon=":material/history:",
        )
    errors = T.score_errors(tkey)
    error_metrics(tkey, errors, stale=stale)
    return tkey, stale, result, T.learned_field(tkey), errors


def error_map(
    errors: T.ScoreErrors,
    result,
    data: np.ndarray,
    *,
    title: str,
    height: int = 560,
    stale: str | None = None,
    stage: bool = False,
) -> None:
    """The learned score's error map with the data it was trained on (or samples of p, for fresh data) on top;
    ``stale`` and ``stage`` as in ``widgets.chart``."""
    W.chart(
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
        stale=stale,
        stage=stage,
    )


def error_metrics(model: TrainKey, errors: T.ScoreErrors, *, stale: str | None = None) -> None:
    """The two headline numbers as st.metric, and the sentence that explains them (``stale``: they belong to the
    previous setting, said in front of the sentence)."""
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
        (f"**{stale.capitalize()}.** " if stale else "")
        + "Both are the relative squared error Σ‖s_θ − s‖² / Σ‖s‖² (0 is perfect, 1 is as bad as s_θ = 0): the "
        "first over samples of p, where the loss looks; the second over the grid points where almost no data "
        f"falls. Here {reference_note(model, errors.eval_sigma)}."
    )
