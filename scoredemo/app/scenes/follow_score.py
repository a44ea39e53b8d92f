"""Scene 2 — follow the score: gradient ascent (noise off) collapses onto modes; Langevin (noise on) samples."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo.app import alt_text
from scoredemo.app import builders as B
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page

PAGE = "follow-the-score"
#: The side-by-side view's two runs: (noise switch, name), left to right.
PAIR = ((0.0, "gradient ascent"), (1.0, "Langevin"))


INTRO = W.Intro(
    "Follow the score",
    "Start particles from random noise and let each one follow the arrows. **Without noise** this is "
    "gradient ascent on log p: every particle climbs to the nearest peak, so we get the modes, not samples. "
    "**With noise** (Langevin dynamics) the same update explores the density and, for small ε and many "
    "steps, the particles become samples of p.",
    r"x \leftarrow x + \varepsilon\, s(x) + \sqrt{2\varepsilon}\, z, \qquad z \sim \mathcal{N}(0, I)",
)


def render() -> None:
    W.intro(INTRO)
    page = Page(PAGE)
    st.sidebar.header("Controls")
    noise = page.toggle(
        "noise (on: Langevin · off: gradient ascent)",
        "noise",
        True,
        help="The only difference between the two algorithms.",
    )
    compare = page.toggle(
        "side by side: ascent | Langevin",
        "compare",
        False,
        help="Both from the same start and seed, over the score arrows (the lecture's slide).",
    )
    dkey, dens, _ = W.density_controls(page, "eight-gaussians", allow_custom=True)
    eps, steps, n, seed = W.sampler_controls(page)
    page.finish()
    if compare:
        _side_by_side(dkey, dens, eps, steps, n, seed)
        return

    noise_term = rf" + \sqrt{{2 \cdot {eps:g}}}\, z" if noise else r" \;(+\, 0 \cdot z)"
    st.latex(rf"x \leftarrow x + {eps:g}\, s(x){noise_term}")
    run = B.particles(dkey, "langevin", eps, 1.0 if noise else 0.0, steps, n, seed)
    W.warn_divergence(run, eps, dens)
    f = B.field(dkey, 0.0)
    name = "Langevin" if noise else "gradient ascent"
    anim = F.Animation(
        # the title names the run, on two lines (on one, 474 px of a 448-px column at 1000 particles, ε = 0.125):
        # the legend's one row ("particles", "highlighted paths") then stays clear of it
        sets=[F.ParticleSet(run.trajectory, "particles")],
        box=f.box,
        frame_labels=B.frame_labels(run),
        background=(f.xs, f.ys, f.density),
        title=f"{name}: {n} particles<br>ε = {eps:g}, {steps} steps",
    )
    left, right = W.stage().columns([3, 2])
    with left:
        alt = alt_text.particles(name, n, steps, run.fractions[-1], dens.true_weights, diverged_at=run.diverged_at) + (
            " Gradient ascent piles them on the peaks; Langevin spreads them like p." if run.diverged_at < 0 else ""
        )
        W.animation_block(
            anim, run, key="animation", file_stem=f"scoredemo-{'langevin' if noise else 'ascent'}", alt=alt
        )
    with right:
        grid_x, px, py = B.marginals(dkey)
        W.chart(
            F.marginals_spec(run.samples, grid_x, px, py, box=f.box, trajectory=run.trajectory, stacked=True),
            "marginals",
            stage=True,
        )
        _score_norm_metric("mean ‖s(x)‖ at the particles", dkey, run, B.mean_score_norm(dkey, B.true_samples(dkey)))
        st.caption(
            "At a peak of p — a point or a whole ridge, like a moon — the score is 0: gradient ascent drives "
            "mean ‖s(x)‖ to 0, while Langevin keeps the value real samples have. Press ▶ Play to watch the run "
            "from its start (the histograms follow the frame shown)."
        )


def _side_by_side(dkey, dens, eps: float, steps: int, n: int, seed: int) -> None:
    """Gradient ascent and Langevin from the same start and seed, each over the score arrows, with their numbers."""
    st.latex(
        rf"x \leftarrow x + {eps:g}\, s(x) \quad\text{{vs}}\quad "
        rf"x \leftarrow x + {eps:g}\, s(x) + \sqrt{{2 \cdot {eps:g}}}\, z"
    )
    f = B.field(dkey, 0.0)
    cell = 2.0 * (f.box - f.box / len(f.xs)) / max(int(round(np.sqrt(len(f.points)))) - 1, 1)
    arrows = (f.points, F.arrow_vectors(f.score, cell, mode="direction"))
    true_norm = B.mean_score_norm(dkey, B.true_samples(dkey))
    runs = {name: B.particles(dkey, "langevin", eps, noise, steps, n, seed) for noise, name in PAIR}
    for run in runs.values():
        W.warn_divergence(run, eps, dens)
    anims = [
        F.Animation(
            sets=[F.ParticleSet(run.trajectory, f"{name} particles", color=color, symbol=symbol)],
            box=f.box,
            frame_labels=B.frame_labels(run),
            background=(f.xs, f.ys, f.density),
            title=f"{name}<br>ε = {eps:g}",
            arrows=arrows,
            n_trails=3,
        )
        for (name, run), color, symbol in zip(
            runs.items(), (F.OKABE_ITO["vermillion"], F.OKABE_ITO["blue"]), ("circle", "diamond"), strict=True
        )
    ]
    first = next(iter(runs.values()))
    with W.stage():
        # one figure, two panels: one Play, one slider, the same step in both (same steps from one start)
        W.animation_block(
            anims,
            first,
            key="animation-pair",
            file_stem="scoredemo-ascent-vs-langevin",
            alt=f"Side by side over the score arrows, from the same {n} starting points and random numbers: "
            + "; ".join(
                alt_text.particles(name, n, steps, run.fractions[-1], dens.true_weights, diverged_at=run.diverged_at)
                for name, run in runs.items()
            ),
        )
        cols = st.columns(2)
        for col, (name, run) in zip(cols, runs.items(), strict=True):
            with col:
                _score_norm_metric(f"{name}: mean ‖s(x)‖", dkey, run, true_norm)
    st.caption(
        "Same start, same random numbers: without noise every particle climbs to a peak, where s(x) = 0; with noise "
        "the particles keep moving and spread like samples of p. ▶ Play runs both in step."
    )


def _score_norm_metric(label: str, dkey, run: B.RunData, true_norm: float) -> None:
    """Mean ‖s(x)‖ at the final particles next to true samples' (0 once ascent has reached the peaks), or where
    the run diverged."""
    if run.diverged_at >= 0:
        st.metric(label, f"diverged at step {run.diverged_at}")
        return
    norm = B.mean_score_norm(dkey, run.samples)
    st.metric(label, f"{norm:.3g}", delta=f"true samples: {true_norm:.3g}", delta_color="off", delta_arrow="off")
