"""Scene 1 — score fields: a density under its score arrows, the noise-perturbed p_σ, and a custom mixture."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo.app import alt_text, presenter, settings
from scoredemo.app import builders as B
from scoredemo.app import custom_density as CD
from scoredemo.app import drawing as D
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page
from scoredemo.app.keys import CUSTOM
from scoredemo.figures.presenting import image_button_options

PAGE = "score-fields"


INTRO = W.Intro(
    "Score fields",
    "The **score** of a density is the gradient of its log: an arrow at every point that points uphill, "
    "towards where the data is more likely. It never needs the normalising constant, which is why we can "
    "learn it. Adding Gaussian noise of size σ blurs the density into p_σ and smooths its score.",
    r"s(x) = \nabla_x \log p(x), \qquad p_\sigma = p * \mathcal{N}(0, \sigma^2 I), \qquad "
    r"p(x) = \sum_k w_k\, \mathcal{N}(x;\, \mu_k, s_k^2 I)",
)


def render() -> None:
    W.intro(INTRO)
    page = Page(PAGE)
    picture = W.stage()  # the chart goes above the component table (drawn with the controls)
    st.sidebar.header("Controls")
    dkey, dens, error = W.density_controls(page, "two-moons", allow_custom=True, draw=True)
    sigma = page.slider("noise σ (shows p_σ and its score)", "sigma", 0.0, 0.0, 3.0, 0.05)
    arrows = page.select(
        "arrows",
        "arrows",
        ["direction", "magnitude"],
        "direction",
        help="direction: unit arrows; magnitude: length ∝ ‖s(x)‖ (capped at 2 cells).",
    )
    page.finish(extra_reset=_reset_editor)

    f = B.field(dkey, sigma)
    title = f"{dens.name}" + (f", σ = {sigma:g}" if sigma > 0 else "")
    panel = F.FieldPanel(
        f.xs, f.ys, f.density, f.points, f.score, title=title, log_p=f.arrow_log_density, p_name="p_σ" if sigma else "p"
    )
    # one picture at a time here: its own scale (stated in the key under it and in the caption)
    scale = F.per_picture_scale(f.score) if arrows == "magnitude" else None
    mag = np.linalg.norm(f.score, axis=-1)
    length = (
        f"Arrow length ∝ ‖s‖, with 1 cell = ‖s‖ of {scale.unit:.3g} (this picture's 95th percentile: it changes "
        "with σ and the density), capped at 2 cells. "
        if scale is not None
        else "Every arrow has the same length: only the direction is shown. "
    )
    centre = data_centre(dens.mixture)
    n_far, n_in = far_arrows(f, dens.mixture, sigma, centre)
    alt = (
        f"The density {title} as shading (darker is more likely) under score arrows on a "
        f"{settings.N_ARROWS}×{settings.N_ARROWS} grid over [−{f.box:g}, {f.box:g}]². {length}Largest ‖s‖ on the "
        f"grid: {mag.max():.3g}; median: {np.median(mag):.3g}. "
        + (
            f"Far from the data (p_σ below {alt_text.pct(FAR)} of its peak) {n_in} of {n_far} arrows point within "
            f"{ANGLE:g}° of the data's centre ({round(centre[0], 1) + 0:.1f}, {round(centre[1], 1) + 0:.1f})"
            + (": raise σ and compare." if sigma == 0 and n_in < n_far else ".")
            if n_far
            else f"p_σ is above {alt_text.pct(FAR)} of its peak everywhere in the picture."
        )
    )
    spec = F.score_field_spec([panel], box=f.box, mode=arrows, scale=scale, height=640)
    if dkey.name != CUSTOM:
        with picture:
            W.chart(spec, "score-field", alt=alt, stage=True)
            st.caption("Pick **custom** in the density menu to draw your own density on this chart.")
        return
    del error  # already shown next to the table
    placeholder = dkey.components == CD.PLACEHOLDER and not st.session_state.get("components")
    drawn = CD.Drawing(np.zeros((0, 4))) if placeholder else CD.parse_drawing_or_none(dkey.components)
    n_real = int(np.sum(np.asarray(dens.mixture.log_weights) > -1e29))
    n_bumps = 0 if drawn is None else len(drawn.bumps)
    n_regions = 0 if drawn is None else len(drawn.regions)
    with picture:
        D.notes()
        D.chart(spec, drawn, tool=st.session_state.get("_draw_tool_mode", "pan"), alt=alt, config=_config())
        W.draw_intro()  # as W.chart does: the intro's text and formula after the chart
        st.caption(
            f"Drawn: {n_bumps} bump{'s' * (n_bumps != 1)} and {n_regions} filled region{'s' * (n_regions != 1)}"
            + (" (the chart shows a broad placeholder bump). " if placeholder else f" = {n_real} Gaussians. ")
            + f"Cap: {CD.CAP_TEXT}."
        )


#: "Far from the data": where p_σ is below this fraction of its peak; an arrow "points to the centre" within ANGLE.
FAR, ANGLE = 0.01, 45.0


def data_centre(mix) -> np.ndarray:
    """The mean of p, Σ_k w_k μ_k (p_σ has the same mean)."""
    w = np.exp(np.asarray(mix.log_weights, np.float64))
    return w @ np.asarray(mix.means, np.float64)


def far_arrows(f: B.FieldData, mix, sigma: float, centre: np.ndarray) -> tuple[int, int]:
    """(arrows where p_σ < FAR·max p_σ, how many of them point within ANGLE° of ``centre``): p_σ exactly at each
    arrow, against the picture's highest. Far from every mode the score of p_σ is ≈ (x̄ − x)/(s² + σ²) once σ blurs
    the modes together: the arrows straighten towards the centre."""
    log_p = np.asarray(mix.log_prob(jnp.asarray(f.points, jnp.float32), sigma), np.float64)
    far = log_p - float(f.log_density.max()) < np.log(FAR)
    to = centre[None, :] - f.points[far]
    s = f.score[far]
    cos = np.sum(to * s, axis=1) / np.maximum(np.linalg.norm(to, axis=1) * np.linalg.norm(s, axis=1), 1e-30)
    return int(far.sum()), int(np.sum(cos > np.cos(np.radians(ANGLE))))


def _config() -> dict:
    """The shared chart config: its toolbar has no lasso or box (the sidebar's drawing tool does both, through
    presenter.DRAW_JS; Plotly's own took the drag mode, so a click then did nothing)."""
    cfg = dict(W.CHART_CONFIG)
    # what the session's camera saves (presenter.image_format), as every other chart's
    cfg["toImageButtonOptions"] = image_button_options(presenter.image_format(), "scoredemo-drawn-density")
    return cfg


def _reset_editor() -> None:
    st.session_state["_editor_version"] = st.session_state.get("_editor_version", 0) + 1
    st.session_state["_editor_base"] = CD.DEFAULT_COMPONENTS
