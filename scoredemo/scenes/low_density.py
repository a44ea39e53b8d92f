"""Scene 4 — pitfall: low-density regions. The loss only sees where the data is; elsewhere the arrows are wrong."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import app_state as S
from scoredemo import figures as F
from scoredemo.scenes import _common as C
from scoredemo.scenes.learning import model_controls

PAGE = "low-density"


def render() -> None:
    C.intro(
        "Pitfall: low-density regions",
        "The score-matching loss is an average **under p**, estimated with samples. Where p is tiny there are "
        "no samples, so nothing forces the learned arrows to be right there. A Langevin chain that starts in "
        "such a region follows wrong arrows: it takes another road than the true score would and can end up in "
        "the wrong place.",
        r"\mathcal{L}(\theta) = \mathbb{E}_{x \sim p}\big\|s_\theta(x) - \nabla_x \log p(x)\big\|^2 "
        r"= \int p(x)\, \big\|s_\theta(x) - \nabla_x \log p(x)\big\|^2 dx",
    )
    training, reason = S.training_api()
    if training is None:
        C.learned_unavailable(reason)
        return
    page = S.Page(PAGE)
    st.sidebar.header("Model (NCSN Fig. 2: ssm-vr)")
    dkey, dens, _ = C.density_controls(page, "ncsn-mixture")
    tkey = model_controls(page, dkey, objective="ssm-vr", steps=2000, data="1000")
    st.sidebar.header("Lost particles")
    cx = page.slider("start region centre x", "start_x", -5.0, -8.0, 8.0, 0.5)
    cy = page.slider("start region centre y", "start_y", 5.0, -8.0, 8.0, 0.5)
    eps = page.slider("step size ε", "step_size", 0.05, 0.001, 1.0, 0.001, fmt="%.3f")
    steps = page.int_slider("steps", "n_steps", 300, 10, 2000, 10)
    noise = page.toggle("noise (Langevin)", "noise", True)
    page.finish()

    result = C.train_block(tkey, page_id=PAGE)
    if result is None:
        return
    lf = S.learned_field(tkey)
    data = result.data if result.data is not None else S.true_samples(dkey, 1000)
    logp = lf.log_density.ravel()
    rel = lf.rel_error.ravel()
    c1, c2 = st.columns(2)
    with c1:
        C.chart(
            F.heatmap_figure(
                lf.xs,
                lf.ys,
                lf.rel_error,
                box=lf.box,
                kind="error-map",
                title="relative error ‖s_θ − s‖ / (‖s‖ + 1), data on top",
                colorbar="rel. error",
                overlay=data[:1000],
                overlay_name="training data",
            ),
            "error-map",
        )
    with c2:
        C.chart(
            F.scatter_xy_figure(
                logp,
                rel,
                kind="error-vs-logp",
                x_title="log p(x)",
                y_title="relative error",
                title="error vs log-density (grid points)",
            ),
            "error-vs-logp",
        )
    low = logp < logp.max() - 20
    st.caption(
        f"Mean relative error where log p > max − 5: {rel[logp > logp.max() - 5].mean():.3f};  "
        f"where log p < max − 20 (no data): {rel[low].mean() if low.any() else float('nan'):.3f}."
    )

    init = S.InitSpec(1.0, (cx, cy))
    n = 500
    learned = S.particles(
        dkey, "langevin", eps, float(noise), steps, n, tkey.seed, init, model=tkey, sigma=lf.eval_sigma
    )
    exact = S.particles(dkey, "langevin", eps, float(noise), steps, n, tkey.seed, init)
    for run in (learned, exact):
        C.warn_divergence(run, eps, dens)
    frames = min(len(learned.frame_steps), len(exact.frame_steps))
    st.subheader("Start in the empty corner: who gets home?")
    anim = F.Animation(
        sets=[
            F.ParticleSet(
                learned.trajectory[:frames], "learned score (paths highlighted)", color=F.OKABE_ITO["vermillion"]
            ),
            F.ParticleSet(exact.trajectory[:frames], "true score", color=F.OKABE_ITO["blue"]),
        ],
        box=lf.box,
        frame_labels=S.frame_labels(exact)[:frames],
        background=(lf.xs, lf.ys, np.exp(lf.log_density - lf.log_density.max())),
        n_trails=4,
        title=f"{n} particles from the square around ({cx:g}, {cy:g})",
    )
    left, right = st.columns([3, 1])
    with left:
        C.animation_block(anim, learned, key="animation", file_stem="scoredemo-lost-particles")
    with right:
        names = _mode_names(dens)
        for label, run in (("true score", exact), ("learned score", learned)):
            where = ", ".join(f"{f:.0%} {n}" for f, n in zip(run.fractions[-1], names, strict=True))
            st.metric(
                f"{label}: reached a mode",
                f"{_home(dens, run.samples):.0%}",
                delta=f"ended: {where}",
                delta_color="off",
            )
        st.caption(
            "Same start, same noise: only the arrows differ. Where the learned arrows are wrong (the empty "
            "region) the particles take another road and end somewhere else. 'Reached a mode': within 2 "
            "standard deviations of a component's centre at the end."
        )


def _mode_names(dens) -> list[str]:
    """'mode at (x, y)' for each mode (the mean of its components' centres)."""
    onehot = np.asarray(dens.mixture.mode_onehot)
    centres = onehot.T @ np.asarray(dens.mixture.means) / np.maximum(onehot.sum(axis=0), 1)[:, None]
    return [f"at ({c[0]:.0f}, {c[1]:.0f})" for c in centres]


def _home(dens, x: np.ndarray) -> float:
    """Fraction of particles within 2 scales of some component centre."""
    if len(x) == 0:
        return 0.0
    means = np.asarray(dens.mixture.means)
    scales = np.asarray(dens.mixture.scales)
    d = np.linalg.norm(x[:, None, :] - means[None], axis=-1) / scales[None]
    return float(np.mean(d.min(axis=1) < 2.0))
