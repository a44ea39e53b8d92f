"""Scene 3 — how exact is Langevin: unadjusted Langevin's bias grows with the step ε; MALA is exact at any ε but
needs log p, which a learned score does not give."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo import theory
from scoredemo.app import alt_text, settings
from scoredemo.app import builders as B
from scoredemo.app import glossary as G
from scoredemo.app import keys as K
from scoredemo.app import model_widgets as M
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page

PAGE = "step-size"
DENSITIES = ["gaussian", "two-modes", "eight-gaussians"]
#: The sweep charts' height: at 420 px the variance ratio's y title took three lines and a third of the plot's width.
SWEEP_HEIGHT = 460
#: Step sizes of the sweep, as multiples of the narrowest component's variance w² (ULA is stable for ε < 2w²).
SWEEP = (0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8)
SWEEP_PARTICLES = 2000
SCORES = ["exact", "learned"]
WHY_NOT_MALA = (
    "MALA needs log p: its Metropolis–Hastings ratio p(y)q(x|y) / (p(x)q(y|x)) compares densities, and a learned "
    "score gives only ∇ log p. Score models therefore sample with unadjusted Langevin."
)


INTRO = W.Intro(
    "How exact is Langevin? Step size and MALA",
    "Langevin samples p only in the limit of small steps. With a finite step ε, unadjusted Langevin (ULA) "
    "samples a slightly different law: on a Gaussian of variance σ² its particles spread to "
    "σ²/(1 − ε/(2σ²)), too wide, and on a mixture the modes widen. **MALA** uses the same move as a proposal "
    "and accepts it with the Metropolis–Hastings ratio: exact at any ε, but fewer moves are accepted as ε grows.",
    r"\mathrm{Var}_{\mathrm{ULA}} = \frac{\sigma^2}{1 - \varepsilon / (2\sigma^2)}, \qquad "
    r"\text{MALA accepts } y \text{ with } \min\!\Big(1, \frac{p(y)\, q(x \mid y)}{p(x)\, q(y \mid x)}\Big)",
)


def render() -> None:
    W.intro(INTRO)
    page = Page(PAGE)
    st.sidebar.header("Controls")
    name = page.select("density", "density", DENSITIES, DENSITIES[0], help="Densities with known moments.")
    dkey = W.default_density_key(name)
    dens = K.get_density(dkey)
    w2 = float(np.min(np.asarray(dens.mixture.scales)) ** 2)
    eps = page.slider(
        "step size ε (the clouds)",
        "step_size",
        1.0,
        0.01,
        2.0,
        0.01,
        help=G.with_terms("ULA is unstable for ε ≥ 2w², w the mode width.", "ULA", "MALA"),
    )
    steps = page.int_slider("steps", "n_steps", 500, 50, 2000, 50)
    n = page.select("particles", "n_particles", list(settings.PARTICLE_CHOICES), 1000)
    seed = page.number("seed", "seed", 0, 0, 9999)
    source = page.select(
        "score",
        "score",
        SCORES,
        SCORES[0],
        help=G.with_terms("exact: ∇ log p in closed form; learned: not for MALA.", "MALA"),
    )
    page.finish()

    model = None
    if source == SCORES[1]:
        model = K.train_key(dkey, M.DEFAULT_OBJECTIVE, M.DEFAULT_TRAIN_STEPS, data_size=int(M.DEFAULT_DATA))
        if M.train_block(model, page_id=PAGE) is None:
            return
    ula = B.exact_start_run(dkey, "langevin", eps, steps, int(n), seed, model=model)
    labels = ["start: exact samples of p", f"after {steps} steps"]
    W.warn_divergence(ula, eps, dens)
    ula_anim, ula_alt = _cloud(ula, dkey, f"unadjusted Langevin ({source} score)<br>ε = {eps:g}", labels)
    with W.stage():
        if source == SCORES[1]:
            c1, c2 = st.columns(2)
            with c1:
                W.chart(F.animation_spec(ula_anim), "cloud-ula", alt=ula_alt, stage=True)
            with c2:
                st.toggle(
                    "MALA", value=False, disabled=True, key="mala-disabled", help=G.with_terms(WHY_NOT_MALA, "MALA")
                )
                st.info(WHY_NOT_MALA, icon=":material/block:")
        else:
            mala = B.exact_start_run(dkey, "mala", eps, steps, int(n), seed)
            mala_anim, mala_alt = _cloud(mala, dkey, f"MALA<br>ε = {eps:g}", labels)
            # one figure: ▶ Play flips both clouds between the exact start and the samplers' law at once
            W.chart(F.animation_spec([ula_anim, mala_anim]), "clouds", alt=f"{ula_alt} {mala_alt}", stage=True)

    if model is not None:
        st.caption("The sweep below always uses the exact score (MALA needs it).")
    sweep = B.step_size_sweep(dkey, tuple(round(w2 * r, 6) for r in SWEEP), SWEEP_PARTICLES, steps, seed)
    ratio_ula = sweep.ula_variance / sweep.true_variance
    ratio_mala = sweep.mala_variance / sweep.true_variance
    se = np.sqrt(1.0 / (SWEEP_PARTICLES - 1))  # variance estimate of 2 coordinates × N particles: relative SE
    series = [
        F.Series("ULA, measured", sweep.step_sizes, ratio_ula, error=ratio_ula * se),
        F.Series("MALA, measured", sweep.step_sizes, ratio_mala, error=ratio_mala * se, style=2),
    ]
    if name == "gaussian":
        fine = np.linspace(sweep.step_sizes[0], sweep.step_sizes[-1], 60)
        series.insert(
            1,
            F.Series("ULA, σ²/(1 − ε/2σ²)", fine, theory.ula_stationary_variance(w2, fine) / w2, mode="lines", style=1),
        )
    d1, d2 = st.columns(2)
    with d1:
        W.chart(
            F.lines_spec(
                series,
                kind="variance-vs-step",
                x_title="step size ε",
                y_title="variance of the particles / variance of p",
                title="bias: ULA widens, MALA stays exact",
                log_y=True,
                marker_x=eps,
                height=SWEEP_HEIGHT,
            ),
            "variance-vs-step",
            alt=alt_text.curve_ends("ULA", sweep.step_sizes, ratio_ula, x_name="ε", y_name="variance / variance of p")
            + "; "
            + alt_text.curve_ends("MALA", sweep.step_sizes, ratio_mala, x_name="ε", y_name="ratio")
            + ".",
        )
    with d2:
        W.chart(
            F.lines_spec(
                [F.Series("MALA acceptance rate", sweep.step_sizes, sweep.acceptance, style=2)],
                kind="acceptance-vs-step",
                x_title="step size ε",
                y_title="fraction of moves accepted",
                title="MALA: fewer moves accepted",
                marker_x=eps,
                height=SWEEP_HEIGHT,
            ),
            "acceptance-vs-step",
            alt=alt_text.curve_ends(
                "MALA", sweep.step_sizes, sweep.acceptance, x_name="ε", y_name="fraction of moves accepted"
            )
            + ".",
        )
    i = int(np.argmin(np.abs(sweep.step_sizes - w2)))
    stable = np.isfinite(ratio_ula)
    st.caption(
        f"{SWEEP_PARTICLES} particles started at exact samples, {steps} steps at each ε (± one standard error). "
        f"At ε = {sweep.step_sizes[i]:g} ULA's variance is {ratio_ula[i]:.2f}× that of p"
        + (
            f" (formula: {theory.ula_stationary_variance(w2, sweep.step_sizes[i]) / w2:.2f}×)"
            if name == "gaussian"
            else ""
        )
        + f", MALA's {ratio_mala[i]:.2f}× with {sweep.acceptance[i]:.0%} of its moves accepted. "
        + ("" if stable.all() else "Missing ULA points diverged (ε ≥ 2w²). ")
        + f"Energy distance to exact samples at that ε: ULA {sweep.ula_energy[i]:.3f}, MALA {sweep.mala_energy[i]:.3f} "
        f"(two independent exact sample sets: {sweep.reference_energy:.3f})."
    )


def _cloud(run: B.RunData, dkey: K.DensityKey, title: str, labels: list[str]) -> tuple[F.Animation, str]:
    """The particles at the start (exact samples) and after the run, over p (▶ Play flips between them; the chart
    opens on the sampler's law), and its text alternative."""
    f = B.field(dkey, 0.0)
    frames = [0, len(run.trajectory) - 1]
    anim = F.Animation(
        sets=[F.ParticleSet(run.trajectory[frames], "particles")],
        box=f.box,
        frame_labels=[labels[0], labels[1] if run.diverged_at < 0 else f"diverged at step {run.diverged_at}"],
        background=(f.xs, f.ys, f.density),
        title=title,
    )
    x = np.asarray(run.samples, np.float64)
    x = x[np.all(np.isfinite(x), axis=-1)]
    true_var = float(np.mean(np.var(np.asarray(B.true_samples(dkey), np.float64), axis=0)))
    alt = f"{title.replace('<br>', ', ')}: {len(run.samples)} particles over p, from exact samples to {labels[1]}; " + (
        f"their variance is {float(np.mean(np.var(x, axis=0))) / true_var:.2f}× that of p."
        if run.diverged_at < 0 and len(x) > 1
        else f"the run diverged at step {run.diverged_at}."
    )
    return anim, alt
