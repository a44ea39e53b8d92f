"""Scene 7 — the fix: annealed Langevin over noise levels σ_max → σ_min recovers the mode weights."""

from __future__ import annotations

import streamlit as st

from scoredemo import figures as F
from scoredemo.app import builders as B
from scoredemo.app import keys as K
from scoredemo.app import model_widgets as M
from scoredemo.app import settings
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page
from scoredemo.samplers import geometric_sigmas

PAGE = "annealed-langevin"
SCORES = ["exact", "learned-ncsn"]


def render() -> None:
    W.intro(
        "The fix: annealed Langevin",
        "Blur the density with a lot of noise first: at large σ the two modes merge into one blob whose score "
        "*does* feel π, and it is known everywhere. Then lower σ step by step, running Langevin at each level "
        "from where the last one ended (NCSN, Algorithm 1). The particles split between the modes in the right "
        "proportions before the modes separate.",
        r"\sigma_1 = \sigma_{\max} > \dots > \sigma_L = \sigma_{\min}, \qquad "
        r"x \leftarrow x + \varepsilon_i\, s(x, \sigma_i) + \sqrt{2\varepsilon_i}\, z, \qquad "
        r"\varepsilon_i = \varepsilon\, \sigma_i^2 / \sigma_L^2",
    )
    page = Page(PAGE)
    st.sidebar.header("Noise levels")
    sigma_max = page.slider("σ_max", "sigma_max", 20.0, 1.0, 40.0, 0.5)
    sigma_min = page.slider("σ_min", "sigma_min", 1.0, 0.05, 5.0, 0.05)
    levels = page.int_slider("levels L", "levels", 10, 2, 20)
    per_level = page.int_slider("steps per level T", "steps_per_level", 100, 10, 300, 10)
    st.sidebar.header("Sampler")
    eps = page.slider("step size ε (at σ_min)", "step_size", 0.05, 0.001, 0.5, 0.001, fmt="%.3f")
    pi = page.slider("π (weight of the lower-left mode)", "pi", 0.2, 0.05, 0.95, 0.01)
    n = page.select("particles", "n_particles", list(settings.PARTICLE_CHOICES), 1280)
    seed = page.number("seed", "seed", 0, 0, 9999)
    source = page.select(
        "score",
        "score",
        SCORES,
        SCORES[0],
        help="exact: the closed-form score of p_σ; learned: a noise-conditional network (ncsn).",
    )
    if source != SCORES[0]:
        st.sidebar.header("Noise-conditional model")
        train_steps = page.int_slider("training steps", "train_steps", 3000, 250, 10000, 250)
    page.finish()

    dkey = K.density_key("ncsn-mixture", pi=pi)
    if W.sigma_range_problem(sigma_max, sigma_min, dkey):
        return
    dens = K.get_density(dkey)
    model = None
    if source != SCORES[0]:
        tkey = K.train_key(
            dkey, "ncsn", train_steps, sigma_max=sigma_max, sigma_min=sigma_min, levels=levels, seed=seed
        )
        if M.train_block(tkey, page_id=PAGE) is None:
            return
        model = tkey
    init = B.InitSpec(8.0)
    total = levels * per_level
    annealed = B.particles(
        dkey,
        "annealed",
        eps,
        1.0,
        per_level,
        int(n),
        seed,
        init,
        sigma_max=sigma_max,
        sigma_min=sigma_min,
        levels=levels,
        model=model,
    )
    plain = B.particles(
        dkey, "langevin", eps, 1.0, total, int(n), seed, init, sigma=sigma_min if model else 0.0, model=model
    )
    W.warn_divergence(annealed, eps, dens, sigmas=geometric_sigmas(sigma_max, sigma_min, levels))
    W.warn_divergence(plain, eps, dens, sigmas=[sigma_min] if model else None)
    f = B.field(dkey, 0.0)
    names = ["lower-left", "upper-right"]
    left, right = st.columns([3, 2])
    with left:
        anim = F.Animation(
            sets=[F.ParticleSet(annealed.trajectory, "annealed Langevin")],
            box=f.box,
            frame_labels=B.frame_labels(annealed, annealed=True),
            background=(f.xs, f.ys, f.density),
            title=f"annealed Langevin, σ {sigma_max:g} → {sigma_min:g}, L = {levels}, T = {per_level}",
        )
        W.animation_block(anim, annealed, key="animation", file_stem="scoredemo-annealed")
    with right:
        W.chart(
            F.mode_fraction_spec(
                annealed.frame_steps,
                {"annealed": annealed.fractions, "plain": plain.fractions},
                dens.true_weights,
                mode_names=names,
                title="mode-fraction meter",
            ),
            "meter",
        )
        W.chart(
            F.weights_bar_spec(
                dens.true_weights,
                {"plain Langevin": plain.fractions[-1], "annealed": annealed.fractions[-1]},
                mode_names=names,
            ),
            "weights",
        )
        st.caption(
            f"After {total} steps each: plain Langevin puts {plain.fractions[-1][0]:.0%} in the lower-left "
            f"mode, annealed {annealed.fractions[-1][0]:.0%}; the truth is π = {pi:.0%}."
        )
