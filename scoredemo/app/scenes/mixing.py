"""Scene 7 — pitfall: mixing and π. With disjoint supports the score does not depend on π, so Langevin can't see it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo import metrics
from scoredemo.app import alt_text, settings
from scoredemo.app import builders as B
from scoredemo.app import keys as K
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page

PAGE = "mixing"
START_TITLES = {"uniform": "uniform noise", "data": "the data", "one-mode": "the left mode"}


def render() -> None:
    W.intro(
        "Pitfall: mixing and π",
        "Take two modes with weights π and 1 − π and (numerically) disjoint supports. On the first support "
        "∇ log p = ∇ log p₁, on the second ∇ log p = ∇ log p₂: **π has disappeared from the score**. "
        "Langevin started from uniform noise keeps whatever split the starting points had, about half and half, "
        "whatever π is.",
        r"p = \pi\, p_1 + (1-\pi)\, p_2 \;\Rightarrow\; \nabla_x \log p(x) = "
        r"\begin{cases} \nabla_x \log p_1(x) & x \in \operatorname{supp} p_1 \\ "
        r"\nabla_x \log p_2(x) & x \in \operatorname{supp} p_2 \end{cases}",
    )
    page = Page(PAGE)
    st.sidebar.header("Controls")
    pi = page.slider("π (weight of the left mode)", "pi", 0.67, 0.05, 0.95, 0.01)
    pi_other = page.slider("compare with π′", "pi_other", 0.2, 0.05, 0.95, 0.01)
    dkey_name = page.select(
        "density",
        "density",
        ["disjoint", "two-modes", "ncsn-mixture"],
        "disjoint",
        help="Two-mode densities of the registry that have a π.",
    )
    eps = page.slider("step size ε", "step_size", 0.02, 0.001, 1.0, 0.001, fmt="%.3f")
    steps = page.int_slider("steps", "n_steps", 1000, 10, 5000, 10)
    start = page.select(
        "start",
        "init",
        list(B.INIT_KINDS),
        "uniform",
        help="uniform: noise on the whole picture; data: exact samples of p (already in the right proportions); "
        "one-mode: every particle in the left mode.",
    )
    n = page.select("particles", "n_particles", list(settings.PARTICLE_CHOICES), 1000)
    seed = page.number("seed", "seed", 0, 0, 9999)
    page.finish()

    key = K.density_key(dkey_name, pi=pi)
    key_other = K.density_key(dkey_name, pi=pi_other)
    dens = K.get_density(key)
    f = B.field(key, 0.0, n_arrows=15)
    # Visual order: the π-vs-π′ score fields on top, the Langevin run below. The run and its meter are drawn first
    # (into their slots) because they answer the question a π move asks; the fields follow in the same rerun.
    fields_row, caption_row, run_row = st.container(), st.container(), st.container()

    run = B.particles(key, "langevin", eps, 1.0, steps, int(n), seed, B.InitSpec(dens.box, kind=start))
    names = ["left mode", "right mode"]
    with run_row:
        W.warn_divergence(run, eps, dens)
        left, right = st.columns([3, 2])
    with right:
        W.chart(
            F.mode_fraction_spec(
                run.frame_steps,
                {"Langevin": run.fractions},
                dens.true_weights,
                mode_names=names,
                title="mode-fraction meter",
            ),
            "meter",
            alt=f"Mode-fraction meter over {int(run.frame_steps[-1])} steps: the left mode holds "
            f"{alt_text.pct(run.fractions[0][0])} at step 0 and {alt_text.pct(run.fractions[-1][0])} at the end; "
            f"the dotted line is the true π = {alt_text.pct(pi)}.",
        )
        m1, m2 = st.columns(2)
        got = float(run.fractions[-1][0])
        m1.metric("Langevin, left mode", f"{got:.2f}", delta=f"{got - pi:+.2f} vs π", delta_color="off")
        m2.metric("true π", f"{pi:.2f}")
        start_modes, _ = metrics.assign_modes(dens.mixture, run.trajectory[0])
        end_modes, _ = metrics.assign_modes(dens.mixture, run.trajectory[-1])
        crossed = float(np.mean(start_modes != end_modes))
        st.caption(start_caption(start, float(run.fractions[0][0]), got, pi, crossed, int(run.frame_steps[-1])))
    with left:
        anim = F.Animation(
            sets=[F.ParticleSet(run.trajectory, "Langevin particles")],
            box=f.box,
            frame_labels=B.frame_labels(run),
            background=(f.xs, f.ys, f.density),
            title=f"Langevin from {START_TITLES[start]}, π = {pi:.2f}",
        )
        alt = alt_text.particles(
            "Langevin",
            int(n),
            int(run.frame_steps[-1]),
            run.fractions[-1],
            dens.true_weights,
            names,
            diverged_at=run.diverged_at,
        )
        W.animation_block(anim, run, key="animation", file_stem="scoredemo-mixing", alt=alt)

    g = B.field(key_other, 0.0, n_arrows=15)
    xs, diff, on_support = B.score_difference(key, key_other)
    panels = [
        F.FieldPanel(f.xs, f.ys, f.density, f.points, f.score, title=f"π = {pi:.2f}"),
        F.FieldPanel(g.xs, g.ys, g.density, g.points, g.score, title=f"π′ = {pi_other:.2f}"),
    ]
    with fields_row:
        c1, c2 = st.columns([2, 1])
    with c1:
        W.chart(F.score_field_spec(panels, box=f.box, height=460), "score-fields")
    with c2:
        diff_spec = F.heatmap_spec(
            xs,
            xs,
            diff,
            box=f.box,
            kind="score-difference",
            title="‖s<sub>π</sub> − s<sub>π′</sub>‖",
            colorbar="difference",
            overlay=B.true_samples(key, 600),
            overlay_name="samples of p",
            zmax=max(float(diff.max()), 1e-3),
            height=460,
        )
        # in a third of the page a vertical colour bar would take half the width: lay it flat under the map
        diff_spec["data"][0]["colorbar"] = dict(
            orientation="h",
            x=0.5,
            xanchor="center",
            y=-0.12,
            yanchor="top",
            thickness=12,
            len=0.9,
            title=dict(text="difference", side="top"),
        )
        diff_spec["layout"]["margin"] = dict(diff_spec["layout"]["margin"], l=40, r=10, b=90)
        W.chart(diff_spec, "score-difference")
    ratio = max(pi / pi_other, pi_other / pi, (1 - pi) / (1 - pi_other), (1 - pi_other) / (1 - pi))
    caption_row.caption(
        (
            "Where the data is (p > 10⁻⁶·max p) the two score fields are **identical** (to float32 precision), "
            if on_support < 1e-6
            else f"Where the data is (p > 10⁻⁶·max p) the two score fields differ by at most **{on_support:.2g}**, "
        )
        + f"although the densities differ by a factor of up to {ratio:.1f}. They differ only in the empty gap "
        "between the modes, where no sample ever is."
    )


def start_caption(start: str, first: float, last: float, pi: float, crossed: float, steps: int) -> str:
    """What the meter shows for the chosen start: the split at step 0, at the end, and how many particles changed
    mode on the way (the only way the split could move towards π)."""
    moved = f"{crossed:.1%} of the particles changed mode in {steps} steps"
    if start == "data":
        return (
            f"Started at exact samples of p, the left mode holds {first:.2f} at step 0 and {last:.2f} at the end "
            f"(π = {pi:.2f}) — right only because the start was right: {moved}. Initialising at the data does not "
            "make Langevin mix; start in one mode to see it."
        )
    if start == "one-mode":
        return (
            f"Started all in the left mode, {last:.0%} are still there at the end (π = {pi:.2f}): {moved}. The "
            "meter does not creep towards π; the empty gap between the modes is not crossed."
        )
    return (
        f"From uniform noise the left mode gets {first:.2f} of the particles at step 0 (their share of the "
        f"picture) and holds {last:.2f} at the end, whatever π = {pi:.2f} is: {moved}."
    )
