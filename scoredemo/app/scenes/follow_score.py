"""Scene 2 — follow the score: gradient ascent (noise off) collapses onto modes; Langevin (noise on) samples."""

from __future__ import annotations

import streamlit as st

from scoredemo import figures as F
from scoredemo.app import alt_text
from scoredemo.app import builders as B
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page

PAGE = "follow-the-score"


def render() -> None:
    W.intro(
        "Follow the score",
        "Start particles from random noise and let each one follow the arrows. **Without noise** this is "
        "gradient ascent on log p: every particle climbs to the nearest peak, so we get the modes, not samples. "
        "**With noise** (Langevin dynamics) the same update explores the density and, for small ε and many "
        "steps, the particles become samples of p.",
        r"x \leftarrow x + \varepsilon\, s(x) + \sqrt{2\varepsilon}\, z, \qquad z \sim \mathcal{N}(0, I)",
    )
    page = Page(PAGE)
    st.sidebar.header("Controls")
    noise = page.toggle(
        "noise (on: Langevin · off: gradient ascent)",
        "noise",
        True,
        help="The only difference between the two algorithms.",
    )
    dkey, dens, _ = W.density_controls(page, "eight-gaussians")
    eps, steps, n, seed = W.sampler_controls(page)
    page.finish()

    noise_term = rf" + \sqrt{{2 \cdot {eps:g}}}\, z" if noise else r" \;(+\, 0 \cdot z)"
    st.latex(rf"x \leftarrow x + {eps:g}\, s(x){noise_term}")
    run = B.particles(dkey, "langevin", eps, 1.0 if noise else 0.0, steps, n, seed)
    W.warn_divergence(run, eps, dens)
    f = B.field(dkey, 0.0)
    name = "Langevin" if noise else "gradient ascent"
    anim = F.Animation(
        sets=[F.ParticleSet(run.trajectory, f"{name} particles")],
        box=f.box,
        frame_labels=B.frame_labels(run),
        background=(f.xs, f.ys, f.density),
        title=f"{name}: {n} particles, ε = {eps:g}, {steps} steps",
    )
    left, right = st.columns([3, 2])
    with left:
        alt = alt_text.particles(name, n, steps, run.fractions[-1], dens.true_weights, diverged_at=run.diverged_at) + (
            " Gradient ascent piles them on the peaks; Langevin spreads them like p." if run.diverged_at < 0 else ""
        )
        W.animation_block(
            anim, run, key="animation", file_stem=f"scoredemo-{'langevin' if noise else 'ascent'}", alt=alt
        )
    with right:
        grid_x, px, py = B.marginals(dkey)
        W.chart(F.marginals_spec(run.samples, grid_x, px, py, box=f.box), "marginals")
        label = "mean ‖s(x)‖ at the particles"
        true_norm = B.mean_score_norm(dkey, B.true_samples(dkey))
        if run.diverged_at >= 0:
            st.metric(label, f"diverged at step {run.diverged_at}")
        else:
            norm = B.mean_score_norm(dkey, run.samples)
            st.metric(
                label, f"{norm:.3g}", delta=f"true samples: {true_norm:.3g}", delta_color="off", delta_arrow="off"
            )
        st.caption(
            "At a peak of p — a point or a whole ridge, like a moon — the score is 0: gradient ascent drives "
            "mean ‖s(x)‖ to 0, while Langevin keeps the value real samples have. Press ▶ Play to watch."
        )
