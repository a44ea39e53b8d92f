"""Scene 6 — pitfall: slow mixing. With disjoint supports the score does not depend on π, so Langevin can't see it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import app_state as S
from scoredemo import figures as F
from scoredemo.scenes import _common as C

PAGE = "mixing"


def render() -> None:
    C.intro(
        "Pitfall: mixing and π",
        "Take two modes with weights π and 1 − π and (numerically) disjoint supports. On the first support "
        "∇ log p = ∇ log p₁, on the second ∇ log p = ∇ log p₂: **π has disappeared from the score**. "
        "Langevin started from uniform noise keeps whatever split the starting points had, about half and half, "
        "whatever π is.",
        r"p = \pi\, p_1 + (1-\pi)\, p_2 \;\Rightarrow\; \nabla_x \log p(x) = "
        r"\begin{cases} \nabla_x \log p_1(x) & x \in \operatorname{supp} p_1 \\ "
        r"\nabla_x \log p_2(x) & x \in \operatorname{supp} p_2 \end{cases}",
    )
    page = S.Page(PAGE)
    st.sidebar.header("Controls")
    pi = page.slider("π (weight of the left mode)", "pi", 0.67, 0.05, 0.95, 0.01)
    pi_other = page.slider("compare with π′", "pi_other", 0.2, 0.05, 0.95, 0.01)
    dkey_name = page.select("density", "density", ["disjoint", "two-modes", "ncsn-mixture"], "disjoint",
                            help="Two-mode densities of the registry that have a π.")
    eps = page.slider("step size ε", "step_size", 0.02, 0.001, 1.0, 0.001, fmt="%.3f")
    steps = page.int_slider("steps", "n_steps", 1000, 10, 5000, 10)
    n = page.select("particles", "n_particles", list(S.PARTICLE_CHOICES), 1000)
    seed = page.number("seed", "seed", 0, 0, 9999)
    page.finish()

    key = S.density_key(dkey_name, pi=pi)
    key_other = S.density_key(dkey_name, pi=pi_other)
    dens = S.get_density(key)
    f, g = S.field(key, 0.0, n_arrows=15), S.field(key_other, 0.0, n_arrows=15)
    diff = np.linalg.norm(f.score - g.score, axis=-1)
    support = np.exp(np.asarray([_logp_at(f, p) for p in f.points])) > 1e-6
    panels = [
        F.FieldPanel(f.xs, f.ys, f.density, f.points, f.score, title=f"π = {pi:.2f}"),
        F.FieldPanel(g.xs, g.ys, g.density, g.points, g.score, title=f"π′ = {pi_other:.2f}"),
    ]
    c1, c2 = st.columns([2, 1])
    with c1:
        C.chart(F.score_field_figure(panels, box=f.box, height=460), "score-fields")
    with c2:
        n_a = int(np.sqrt(len(f.points)))
        half = f.box / n_a
        axs = np.linspace(-(f.box - half), f.box - half, n_a)
        C.chart(F.heatmap_figure(axs, axs, diff.reshape(n_a, n_a), box=f.box, kind="score-difference",
                                 title="‖s_π − s_π′‖ at the arrows", colorbar="difference", zmax=max(diff.max(), 1e-3),
                                 height=460), "score-difference")
    on = diff[support] if support.any() else diff
    st.caption(f"Where the data is (p > 10⁻⁶ of max), the largest difference between the two score fields is "
               f"{on.max():.2g}; the densities themselves differ by a factor up to "
               f"{max(pi / pi_other, pi_other / pi, (1 - pi) / (1 - pi_other), (1 - pi_other) / (1 - pi)):.1f}.")

    run = S.particles(key, "langevin", eps, 1.0, steps, int(n), seed)
    C.warn_divergence(run, eps, dens)
    names = ["left mode", "right mode"]
    left, right = st.columns([3, 2])
    with left:
        anim = F.Animation(
            sets=[F.ParticleSet(run.trajectory, "Langevin particles")],
            box=f.box,
            frame_labels=S.frame_labels(run),
            background=(f.xs, f.ys, f.density),
            title=f"Langevin from uniform noise, π = {pi:.2f}",
        )
        C.animation_block(anim, run, key="animation", file_stem="scoredemo-mixing")
    with right:
        C.chart(F.mode_fraction_figure(run.frame_steps, {"Langevin": run.fractions}, dens.true_weights,
                                       mode_names=names, title="mode-fraction meter"), "meter")
        C.chart(F.weights_bar_figure(dens.true_weights, {"Langevin": run.fractions[-1]}, mode_names=names),
                "weights")


def _logp_at(f: S.FieldData, p: np.ndarray) -> float:
    """log p relative to its max, read off the density grid at the nearest grid point."""
    i = int(np.clip(np.searchsorted(f.xs, p[0]), 0, len(f.xs) - 1))
    j = int(np.clip(np.searchsorted(f.ys, p[1]), 0, len(f.ys) - 1))
    return float(f.log_density[j, i] - f.log_density.max())
