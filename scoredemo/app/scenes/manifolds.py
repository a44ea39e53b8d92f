"""Scene 6 — pitfall: manifolds. Data on a thin ring: the score blows up like 1/thickness, SSM's loss wanders and
the score is not learned."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import digits, metrics
from scoredemo import figures as F
from scoredemo.app import builders as B
from scoredemo.app import glossary as G
from scoredemo.app import keys as K
from scoredemo.app import model_widgets as M
from scoredemo.app import real_data
from scoredemo.app import trained as T
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page

PAGE = "manifolds"
THICK = 0.5
#: The defaults of the controls (also the models the server's warm-up trains: see default_models).
THICKNESS, RADIUS, TRAIN_STEPS, SEED = 0.02, 2.5, 2500, 0
#: Loss windows for the wander ratio (metrics.loss_wander): the bold line of the loss charts is the same window mean.
WINDOW = 50
#: metrics.loss_wander needs 4 windows in the second half of training.
MIN_WANDER_STEPS = 8 * WINDOW
#: One arrow scale for every thickness, so the arrows grow as w falls. Log lengths, because on the 20 × 20 grid
#: ‖s‖ spans six decades over the slider's range (≈ 0.7–2 next to the ring at w = 0.3, 100–550 at w = 0.02, up to
#: 3·10⁴ in the corners at w = 0.01; it grows like distance/w²): any linear scale that shows the thick ring's
#: arrows caps every arrow below w ≈ 0.1, so w = 0.1 and w = 0.01 would look the same again. With 0.25 cell per
#: decade each 10× in ‖s‖ adds the same length, and the longest arrow (3·10⁴) is 1.4 cells: no hatching at w = 0.01.
RING_SCALE = F.ArrowScale("log", unit=0.1, per_decade=0.25, cap=1.5, note="same for every w")


def ring_models(radius: float, thickness: float, steps: int, seed: int) -> tuple[K.TrainKey, K.TrainKey]:
    """The two sliced-score-matching models the scene compares: on the thick ring and on the chosen one."""
    thick = K.train_key(K.density_key("ring", radius=radius, thickness=THICK), "ssm", steps, seed=seed)
    return thick, K.train_key(K.density_key("ring", radius=radius, thickness=thickness), "ssm", steps, seed=seed)


def default_models() -> list[K.TrainKey]:
    """The models the default view trains (the server's warm-up trains them at start-up)."""
    return list(ring_models(RADIUS, THICKNESS, TRAIN_STEPS, SEED))


INTRO = W.Intro(
    "Pitfall: manifolds",
    "Real data sits near a thin, low-dimensional set (a manifold). Squeeze a ring to zero thickness and "
    "∇ log p is undefined: across the ring the arrows grow without bound, like 1/thickness. "
    "Sliced score matching then struggles: on a thin ring its training loss keeps wandering instead of "
    "settling, and after the same training the score it has learned is far worse.",
    # \quad, not \qquad: with it the formula was 22 px wider than the page at 1280 px with the sidebar open
    r"p_w = \mathrm{Uniform}(\text{circle of radius } r) * \mathcal{N}(0, w^2 I), \quad "
    r"\mathbb{E}_{p_w}\|\nabla_x \log p_w(x)\| \;\propto\; \frac{1}{w} \xrightarrow[w \to 0]{} \infty",
)


def render() -> None:
    W.intro(INTRO)
    page = Page(PAGE)
    st.sidebar.header("Ring")
    thickness = page.slider("ring thickness w", "thickness", THICKNESS, 0.01, 1.0, 0.01)
    radius = page.slider("ring radius r", "radius", RADIUS, 0.5, 5.0, 0.1)
    arrows = page.select(
        "arrows",
        "arrows",
        ["magnitude", "direction"],
        "magnitude",
        help="magnitude: length grows with ‖s‖ on one log scale for every w (see the key under the picture); "
        "direction: every arrow the same length.",
    )
    st.sidebar.header("Sliced score matching")
    steps = page.int_slider(
        "training steps", "train_steps", TRAIN_STEPS, 250, 10000, 250, help=G.with_terms("Both rings' models.", "ssm")
    )
    seed = page.number("seed", "seed", SEED, 0, 9999)
    st.sidebar.header("Real data: handwritten digits")
    pca_k = page.int_slider(
        "PCA components k",
        "pca_k",
        real_data.opening_k(),
        1,
        digits.DIM,
        help=f"Rebuild the digits from k of {digits.DIM} components (it opens on the fewest that keep "
        f"{digits.ALMOST_ALL_VARIANCE * 100:.0f} % of the variance).",
    )
    page.finish()
    _thickness_zero_note(page)

    dkey = K.density_key("ring", radius=radius, thickness=thickness)
    f = B.field(dkey, 0.0, n_grid=200)
    ws, mags = B.ring_magnitudes(radius)
    c1, c2 = W.stage().columns([3, 2])
    with c1:
        panel = F.FieldPanel(f.xs, f.ys, f.density, f.points, f.score, title=f"ring, w = {thickness:g}")
        scale = RING_SCALE if arrows == "magnitude" else None
        W.chart(F.score_field_spec([panel], box=f.box, mode=arrows, scale=scale, height=560), "score-field", stage=True)
    with c2:
        ref = mags[0] * ws[0] / ws
        W.chart(
            F.scatter_xy_spec(
                ws,
                mags,
                kind="magnitude-vs-thickness",
                x_title="thickness w",
                y_title="E‖s(x)‖ under p_w",
                title="score magnitude vs thickness",
                log_x=True,
                log_y=True,
                mode="lines+markers",
                name="E‖s‖",
                reference=(ws, ref, "∝ 1/w"),
                marker_x=thickness,
                height=520,
            ),
            "magnitude",
            stage=True,
        )
    real_data.pca_block(pca_k)
    st.subheader(f"Sliced score matching (ssm) on a thick (w = {THICK:g}) and a thin (w = {thickness:g}) ring")
    thick_key, thin_key = ring_models(radius, thickness, steps, seed)
    results = M.train_block([thick_key, thin_key], page_id=PAGE, label="Train both")
    if results is None:
        return
    wander, error, end = {}, {}, {}
    cols = st.columns(2)
    for col, res, k, w, tag in zip(
        cols, results, (thick_key, thin_key), (THICK, thickness), ("thick", "thin"), strict=True
    ):
        best = -0.5 * B.mean_sq_score(k.density)  # the smallest possible loss: −½ E‖∇ log p‖²
        wander[tag] = metrics.loss_wander(res.loss_curve, WINDOW)
        error[tag] = T.weighted_error(k)
        end[tag] = curve_end(res.loss_curve / abs(best))
        with col:
            fig = F.loss_curve_spec(
                {f"w = {w:g}": res.loss_curve / abs(best)},
                title=f"loss ÷ |best possible loss|, w = {w:g}",
                smooth_window=WINDOW,
                y_title="loss / |best|",
                reference=(-1.0, "best possible"),
            )
            W.chart(fig, f"loss-{tag}")
            m1, m2 = st.columns(2)
            m1.metric(
                "loss wander",
                f"{wander[tag]:.1f}×" if np.isfinite(wander[tag]) else "n/a",
                help=f"metrics.loss_wander: how much the {WINDOW}-step means of the second half move, relative to pure "
                f"minibatch noise (1×). Needs at least {MIN_WANDER_STEPS} training steps.",
            )
            m2.metric("score error", f"{error[tag]:.3g}", help="E‖s_θ − s‖² / E‖s‖² under p (training.evaluate).")
    st.markdown(_summary(wander, error, steps, thickness, end))
    with st.expander("details"):
        st.markdown(_details(steps))


def _thickness_zero_note(page: Page) -> None:
    """``?thickness=0`` is the limit the scene is about: say why it cannot be drawn, not only "out of range"."""
    raw = page.refused_url_value("thickness")
    try:
        zero = raw is not None and float(raw) == 0.0
    except ValueError:
        zero = False
    if zero:
        st.info(
            "**At w = 0 the score is undefined.** All of the probability then sits on the circle itself, a "
            "curve with no area: p has no density on the plane, log p is −∞ off the circle, and there is no "
            "gradient to draw. This is the limit real data is close to. The slider stops at w = 0.01: move it "
            "down and watch the arrows and E‖s‖ grow like 1/w on the way there.",
            icon=":material/info:",
        )


def curve_end(y: np.ndarray) -> float:
    """Where a loss ÷ |best| chart's bold line ends, above the best possible −1: the mean of the last WINDOW finite
    steps (the chart's smoothing), plus 1."""
    y = np.asarray(y, np.float64)
    y = y[np.isfinite(y)]
    return float(F.smooth(y, WINDOW)[-1]) + 1.0 if len(y) else float("nan")


def _summary(
    wander: dict[str, float], error: dict[str, float], steps: int, thickness: float, end: dict[str, float]
) -> str:
    """What the two loss charts and the four numbers show, one plain sentence per number (the derivations are in
    :func:`_details`)."""
    thick, thin = wander["thick"], wander["thin"]
    se = _wander_se(steps)
    lines = []
    if np.isfinite(thick) and np.isfinite(thin) and thin > thick + 2 * se:
        lines.append(
            f"**Loss wander:** in the second half of training the thin ring's loss still drifts **{thin:.1f}×** as "
            f"much as random minibatch noise would make it, the thick ring's {thick:.1f}× (1× means settled)."
        )
    elif np.isfinite(thick) and np.isfinite(thin):
        lines.append(
            f"**Loss wander:** here the two losses drift about equally ({thin:.1f}× and {thick:.1f}× the minibatch "
            "noise; 1× means settled): more training steps make the comparison sharper."
        )
    else:
        lines.append(f"**Loss wander** needs at least {MIN_WANDER_STEPS} training steps.")
    lines.append(
        f"\n\n**Score error** (0 is perfect, 1 is no better than drawing no arrows at all): {error['thick']:.3g} on "
        f"the thick ring, **{error['thin']:.3g}** on the ring of thickness {thickness:g}."
    )
    if error["thin"] > 5 * error["thick"]:
        lines.append(
            f" After the same {steps} steps the thin ring's learned score is "
            f"{error['thin'] / error['thick']:.0f}× further from the truth."
        )
    lines.append(
        "\n\nOn the loss charts −1 is the best possible loss, and a model of score error e has loss −1 + e on "
        f"average: the bold lines end {end['thick']:.2g} (thick) and {end['thin']:.2g} (thin) above it, the mean of "
        f"their last {WINDOW} minibatch losses (the score errors above are measured on fresh samples of p)."
    )
    return "".join(lines)


def _wander_se(steps: int) -> float:
    """The chance spread of the wander ratio (± one standard error around 1× for pure noise)."""
    n_windows = max((steps - steps // 2) // WINDOW, 4)
    return 1.0 / np.sqrt(2.0 * max(n_windows - 3, 1))


def _details(steps: int) -> str:
    """The derivations behind the two sentences of :func:`_summary` (shown in a "details" expander)."""
    return (
        f"**Loss wander** (metrics.loss_wander). The bold lines are {WINDOW}-step means of the loss. Over the second "
        "half of training we compare how much those means move from one window to the next with how much they "
        "would move if every step's loss were independent minibatch noise around a steady value. 1× is pure "
        f"noise (± {_wander_se(steps):.2f} by chance); more means the loss is still drifting.\n\n"
        "**Loss and score error.** Sliced score matching's loss equals, up to the minibatch noise, "
        "loss = ½E‖s_θ − s‖² − ½E‖s‖² (s = ∇ log p, the true score). Its smallest value is therefore "
        "best = −½E‖s‖², reached when s_θ = s. Dividing by |best| = ½E‖s‖² gives "
        "loss / |best| = E‖s_θ − s‖² / E‖s‖² − 1 = score error − 1."
    )
