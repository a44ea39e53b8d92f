"""Scene 5 — pitfall: manifolds. Data on a thin ring: the score blows up like 1/thickness and SSM's loss gets bumpy."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import app_state as S
from scoredemo import figures as F
from scoredemo.scenes import _common as C

PAGE = "manifolds"
THICK = 0.5


def render() -> None:
    C.intro(
        "Pitfall: manifolds",
        "Real data sits near a thin, low-dimensional set (a manifold). Squeeze a ring to zero thickness and "
        "∇ log p is undefined: across the ring the arrows grow without bound, roughly like 1/thickness. "
        "Sliced score matching then trains badly: on the thin ring its loss is huge, noisy and far from its best "
        "value after the same number of steps that brings the thick ring to its optimum.",
        r"p_w = \mathrm{Uniform}(\text{circle of radius } r) * \mathcal{N}(0, w^2 I), \qquad "
        r"\mathbb{E}_{p_w}\|\nabla_x \log p_w(x)\| \;\propto\; \frac{1}{w} \xrightarrow[w \to 0]{} \infty",
    )
    page = S.Page(PAGE)
    st.sidebar.header("Ring")
    thickness = page.slider("ring thickness w", "thickness", 0.02, 0.01, 1.0, 0.01)
    radius = page.slider("ring radius r", "radius", 2.5, 0.5, 5.0, 0.1)
    arrows = page.select("arrows", "arrows", ["magnitude", "direction"], "magnitude")
    training, reason = S.training_api()
    if training is not None:
        st.sidebar.header("Sliced score matching")
        steps = page.int_slider("training steps", "train_steps", 1500, 250, 10000, 250)
        seed = page.number("seed", "seed", 0, 0, 9999)
    page.finish()

    dkey = S.density_key("ring", radius=radius, thickness=thickness)
    f = S.field(dkey, 0.0, n_grid=200)
    ws, mags = S.ring_magnitudes(radius)
    c1, c2 = st.columns(2)
    with c1:
        panel = F.FieldPanel(f.xs, f.ys, f.density, f.points, f.score, title=f"ring, w = {thickness:g}")
        C.chart(F.score_field_figure([panel], box=f.box, mode=arrows, height=520), "score-field")
    with c2:
        ref = mags[0] * ws[0] / ws
        C.chart(
            F.scatter_xy_figure(
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
    if training is None:
        C.learned_unavailable(reason)
        return
    st.subheader(f"Sliced score matching on a thick (w = {THICK:g}) and a thin (w = {thickness:g}) ring")
    thick_key = S.TrainKey(S.density_key("ring", radius=radius, thickness=THICK), "ssm", steps, None, seed=seed)
    thin_key = S.TrainKey(dkey, "ssm", steps, None, seed=seed)
    results = C.train_block([thick_key, thin_key], page_id=PAGE, label="Train both")
    if results is None:
        return
    cols = st.columns(2)
    for col, res, k, w, tag in zip(
        cols, results, (thick_key, thin_key), (THICK, thickness), ("thick", "thin"), strict=True
    ):
        best = -0.5 * S.mean_sq_score(k.density)  # the smallest possible loss: −½ E‖∇ log p‖²
        rel = res.loss_curve / abs(best)
        with col:
            fig = F.loss_curve_figure({f"w = {w:g}": rel}, title=f"ssm loss / |best loss|, w = {w:g}")
            fig.add_hline(
                y=-1.0,
                line=dict(color=F.OKABE_ITO["black"], dash="dash", width=2),
                annotation_text="best possible",
                annotation_position="top right",
            )
            fig.update_yaxes(title="loss / |best|")
            C.chart(fig, f"loss-{tag}")
            tail = len(res.loss_curve) // 2
            st.caption(
                f"Best possible loss −½E‖s‖² = {best:.3g}. Second half of training: reached "
                f"{-np.mean(rel[tail:]):.0%} of it; the raw loss jumps by ±{np.std(res.loss_curve[tail:]):.3g} "
                "from step to step."
            )
