"""Scene 5 — pitfall: manifolds. Data on a thin ring: the score blows up like 1/thickness, SSM's loss wanders and
the score is not learned."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo import metrics
from scoredemo.app import builders as B
from scoredemo.app import keys as K
from scoredemo.app import model_widgets as M
from scoredemo.app import trained as T
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page

PAGE = "manifolds"
THICK = 0.5
#: The defaults of the controls (also the models the server's warm-up trains: see default_models).
THICKNESS, RADIUS, TRAIN_STEPS, SEED = 0.02, 2.5, 2500, 0
#: Loss windows for the wander ratio (metrics.loss_wander): the bold line of the loss charts is the same window mean.
WINDOW = 50


def ring_models(radius: float, thickness: float, steps: int, seed: int) -> tuple[K.TrainKey, K.TrainKey]:
    """The two sliced-score-matching models the scene compares: on the thick ring and on the chosen one."""
    thick = K.train_key(K.density_key("ring", radius=radius, thickness=THICK), "ssm", steps, seed=seed)
    return thick, K.train_key(K.density_key("ring", radius=radius, thickness=thickness), "ssm", steps, seed=seed)


def default_models() -> list[K.TrainKey]:
    """The models the default view trains (the server's warm-up trains them at start-up)."""
    return list(ring_models(RADIUS, THICKNESS, TRAIN_STEPS, SEED))


def render() -> None:
    W.intro(
        "Pitfall: manifolds",
        "Real data sits near a thin, low-dimensional set (a manifold). Squeeze a ring to zero thickness and "
        "∇ log p is undefined: across the ring the arrows grow without bound, like 1/thickness. "
        "Sliced score matching then struggles: on a thin ring its training loss keeps wandering instead of "
        "settling, and after the same training the score it has learned is far worse.",
        r"p_w = \mathrm{Uniform}(\text{circle of radius } r) * \mathcal{N}(0, w^2 I), \qquad "
        r"\mathbb{E}_{p_w}\|\nabla_x \log p_w(x)\| \;\propto\; \frac{1}{w} \xrightarrow[w \to 0]{} \infty",
    )
    page = Page(PAGE)
    st.sidebar.header("Ring")
    thickness = page.slider("ring thickness w", "thickness", THICKNESS, 0.01, 1.0, 0.01)
    radius = page.slider("ring radius r", "radius", RADIUS, 0.5, 5.0, 0.1)
    arrows = page.select("arrows", "arrows", ["magnitude", "direction"], "magnitude")
    st.sidebar.header("Sliced score matching")
    steps = page.int_slider("training steps", "train_steps", TRAIN_STEPS, 250, 10000, 250)
    seed = page.number("seed", "seed", SEED, 0, 9999)
    page.finish()

    dkey = K.density_key("ring", radius=radius, thickness=thickness)
    f = B.field(dkey, 0.0, n_grid=200)
    ws, mags = B.ring_magnitudes(radius)
    c1, c2 = st.columns(2)
    with c1:
        panel = F.FieldPanel(f.xs, f.ys, f.density, f.points, f.score, title=f"ring, w = {thickness:g}")
        W.chart(F.score_field_spec([panel], box=f.box, mode=arrows, height=520), "score-field")
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
        )
    st.subheader(f"Sliced score matching on a thick (w = {THICK:g}) and a thin (w = {thickness:g}) ring")
    thick_key, thin_key = ring_models(radius, thickness, steps, seed)
    results = M.train_block([thick_key, thin_key], page_id=PAGE, label="Train both")
    if results is None:
        return
    wander, error = {}, {}
    cols = st.columns(2)
    for col, res, k, w, tag in zip(
        cols, results, (thick_key, thin_key), (THICK, thickness), ("thick", "thin"), strict=True
    ):
        best = -0.5 * B.mean_sq_score(k.density)  # the smallest possible loss: −½ E‖∇ log p‖²
        wander[tag] = metrics.loss_wander(res.loss_curve, WINDOW)
        error[tag] = T.weighted_error(k)
        with col:
            fig = F.loss_curve_spec(
                {f"w = {w:g}": res.loss_curve / abs(best)},
                title=f"ssm loss / |best possible|, w = {w:g}",
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
                "minibatch noise (1×). Needs at least 400 training steps.",
            )
            m2.metric("score error", f"{error[tag]:.3g}", help="E‖s_θ − s‖² / E‖s‖² under p (training.evaluate).")
    st.markdown(_summary(wander, error, steps, thickness))


def _summary(wander: dict[str, float], error: dict[str, float], steps: int, thickness: float) -> str:
    """What the two loss charts and the four numbers show, in words (and no more)."""
    n_windows = max((steps - steps // 2) // WINDOW, 4)
    se = 1.0 / np.sqrt(2.0 * max(n_windows - 3, 1))
    lines = [
        f"**Loss wander** — the bold lines are {WINDOW}-step means of the loss. Over the second half of training we "
        "compare how much those means move with how much they would move if every step's loss were independent "
        f"minibatch noise around a steady value: 1× is pure noise (± {se:.2f} by chance). "
    ]
    thick, thin = wander["thick"], wander["thin"]
    if np.isfinite(thick) and np.isfinite(thin) and thin > thick + 2 * se:
        lines.append(
            f"The thin ring's loss wanders **{thin:.1f}×** as much as its noise explains, the thick ring's "
            f"{thick:.1f}×: the thin one keeps drifting instead of settling."
        )
    else:
        lines.append(
            f"Here the two are within chance of each other ({thin:.1f}× vs {thick:.1f}×); more training steps "
            "make the comparison sharper."
        )
    lines.append(
        f"\n\n**Score error** E‖s_θ − s‖² / E‖s‖² under p (0 is perfect, 1 is as bad as s_θ = 0): "
        f"{error['thick']:.3g} on the thick ring, **{error['thin']:.3g}** on the ring of thickness {thickness:g}. "
    )
    if error["thin"] > 5 * error["thick"]:
        lines.append(
            f"After the same {steps} steps the thin ring's score is {error['thin'] / error['thick']:.0f}× further "
            "from the truth; its loss stays above the best possible value by about that error "
            "(loss = ½E‖s_θ − s‖² − ½E‖s‖², so loss/|best| = error − 1)."
        )
    return "".join(lines)
