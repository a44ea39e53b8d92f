"""Scene 2 — follow the score: gradient ascent (noise off) collapses onto modes; Langevin (noise on) samples."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo.app import alt_text, formulas
from scoredemo.app import builders as B
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page
from scoredemo.app.kernels import score_kernel

PAGE = "follow-the-score"
#: The side-by-side view's two runs: (noise switch, name), left to right.
PAIR = ((0.0, "gradient ascent"), (1.0, "Langevin"))
#: The update rule with the chosen ε (written as ``formulas.NUMBER``): with noise, without, and both side by side.
_E = formulas.NUMBER
RULE_LANGEVIN = rf"x \leftarrow x + {_E}\, s(x) + \sqrt{{2 \cdot {_E}}}\, z"
RULE_ASCENT = rf"x \leftarrow x + {_E}\, s(x) \;(+\, 0 \cdot z)"
RULE_PAIR = rf"x \leftarrow x + {_E}\, s(x) \quad\text{{vs}}\quad " + RULE_LANGEVIN
RULES = (RULE_LANGEVIN, RULE_ASCENT, RULE_PAIR)


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

    formulas.show(RULE_LANGEVIN if noise else RULE_ASCENT, eps)
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
    truth = norm_stat(dkey, B.true_samples(dkey))
    got, start = norm_stat(dkey, run.samples), norm_stat(dkey, run.trajectory[0])
    left, right = W.stage().columns([3, 2])
    with left:
        alt = alt_text.particles(name, n, steps, run.fractions[-1], dens.true_weights, diverged_at=run.diverged_at) + (
            f" Mean ‖s(x)‖ at the particles: {got.mean:.3g} (true samples: {truth.mean:.3g})."
            if run.diverged_at < 0
            else ""
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
        _score_norm_metric("mean ‖s(x)‖ at the particles", run, got, truth)
        if run.diverged_at < 0:
            st.caption(
                norm_sentence(bool(noise), got, start, truth, steps)
                + " Press ▶ Play to watch the run from its start (the histograms follow the frame shown)."
            )


def _side_by_side(dkey, dens, eps: float, steps: int, n: int, seed: int) -> None:
    """Gradient ascent and Langevin from the same start and seed, each over the score arrows, with their numbers."""
    formulas.show(RULE_PAIR, eps)
    f = B.field(dkey, 0.0)
    cell = 2.0 * (f.box - f.box / len(f.xs)) / max(int(round(np.sqrt(len(f.points)))) - 1, 1)
    arrows = (f.points, F.arrow_vectors(f.score, cell, mode="direction"))
    truth = norm_stat(dkey, B.true_samples(dkey))
    runs = {name: B.particles(dkey, "langevin", eps, noise, steps, n, seed) for noise, name in PAIR}
    said = []
    for (noise, _), run in zip(PAIR, runs.values(), strict=True):
        W.warn_divergence(run, eps, dens)
        if run.diverged_at < 0:
            got = norm_stat(dkey, run.samples)
            said.append(norm_sentence(bool(noise), got, norm_stat(dkey, run.trajectory[0]), truth, steps))
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
                _score_norm_metric(f"{name}: mean ‖s(x)‖", run, norm_stat(dkey, run.samples), truth)
    st.caption("Same start, same random numbers. " + " ".join(said) + " ▶ Play runs both in step.")


class NormStat(NamedTuple):
    """Mean ‖s(x)‖ of the exact score over finite particles, and its standard error (std / √n)."""

    mean: float
    se: float


def norm_stat(dkey, x: np.ndarray) -> NormStat:
    """:class:`NormStat` of the particles ``x`` (what the metric shows, and its sampling error)."""
    x = np.asarray(x, np.float32).reshape(-1, 2)
    x = x[np.all(np.isfinite(x), axis=-1)]
    if len(x) == 0:
        return NormStat(float("nan"), float("nan"))
    s = np.asarray(score_kernel()(B.compute_mixture(dkey), jnp.asarray(x), jnp.float32(0.0)), np.float64)
    norms = np.linalg.norm(s, axis=-1)
    return NormStat(float(norms.mean()), float(norms.std(ddof=1) / np.sqrt(len(norms))) if len(norms) > 1 else 0.0)


#: Gradient ascent "sits on the peaks" once mean ‖s‖ is below this fraction of true samples'.
AT_PEAKS = 0.01


def norm_sentence(noise: bool, got: NormStat, start: NormStat, truth: NormStat, steps: int) -> str:
    """What the mean-‖s‖ metric shows, from its numbers: gradient ascent at the peaks (below AT_PEAKS of true
    samples' value) or still climbing; Langevin within two standard errors of true samples, or not."""
    if not noise:
        head = (
            f"Gradient ascent took mean ‖s(x)‖ from {start.mean:.3g} at step 0 to {got.mean:.3g} (true samples: "
            f"{truth.mean:.3g})"
        )
        if got.mean < AT_PEAKS * truth.mean:
            return head + ": the particles sit at peaks of p — points, or whole ridges like a moon — where s(x) = 0."
        return head + f": after {steps} steps they are still climbing towards the peaks, where s(x) = 0."
    se = float(np.hypot(got.se, truth.se))
    head = f"Langevin's mean ‖s(x)‖ is {got.mean:.3g}, true samples' {truth.mean:.3g}"
    if abs(got.mean - truth.mean) <= 2 * se:
        return head + f": equal within sampling error (± {se:.2g}), as for samples of p."
    return (
        head + f": {abs(got.mean - truth.mean) / se:.0f} standard errors apart (± {se:.2g}), so these particles are "
        "not samples of p (yet): too few steps, or too large an ε."
    )


def _score_norm_metric(label: str, run: B.RunData, got: NormStat, truth: NormStat) -> None:
    """Mean ‖s(x)‖ at the final particles next to true samples' (0 once ascent has reached the peaks), or where
    the run diverged."""
    if run.diverged_at >= 0:
        st.metric(label, f"diverged at step {run.diverged_at}")
        return
    st.metric(label, f"{got.mean:.3g}", delta=f"true samples: {truth.mean:.3g}", delta_color="off", delta_arrow="off")
