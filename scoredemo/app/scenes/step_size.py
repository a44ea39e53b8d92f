"""Scene 3 — how exact is Langevin: unadjusted Langevin's bias grows with the step ε; MALA is exact at any ε but
needs log p, which a learned score does not give."""

from __future__ import annotations

import dataclasses

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
    p_var = p_variance(dens.mixture)
    mala = None
    W.warn_divergence(ula, eps, dens)
    ula_anim, ula_alt = _cloud(ula, dkey, f"unadjusted Langevin ({source} score)<br>ε = {eps:g}", labels, p_var)
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
            mala_anim, mala_alt = _cloud(mala, dkey, f"MALA<br>ε = {eps:g}", labels, p_var)
            # one figure: ▶ Play flips both clouds between the exact start and the samplers' law at once
            W.chart(F.animation_spec([ula_anim, mala_anim]), "clouds", alt=f"{ula_alt} {mala_alt}", stage=True)

    if model is not None:
        st.caption("The sweep below always uses the exact score (MALA needs it).")
    sweep = B.step_size_sweep(dkey, tuple(round(w2 * r, 6) for r in SWEEP), SWEEP_PARTICLES, steps, seed)
    if not np.any(np.isclose(sweep.step_sizes, eps, rtol=0, atol=1e-9)):
        # the page's own ε as a point of the sweep (its own cached run: moving ε does not rerun the others)
        sweep = with_point(sweep, B.step_size_sweep(dkey, (float(eps),), SWEEP_PARTICLES, steps, seed))
    ratio_ula = sweep.ula_variance / p_var
    ratio_mala = sweep.mala_variance / p_var
    se = relative_se(SWEEP_PARTICLES)
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
    here = point_at(sweep, eps, p_var)
    clouds = {"ULA": cloud_ratio(ula, p_var)}
    if mala is not None:
        clouds["MALA"] = cloud_ratio(mala, p_var)
    formula = float(theory.ula_stationary_variance(w2, eps) / w2) if name == "gaussian" else None
    st.caption(
        summary_caption(
            here,
            clouds,
            steps=steps,
            n_sweep=SWEEP_PARTICLES,
            n_clouds=int(n),
            formula=formula,
            learned=model is not None,
            missing=not np.isfinite(ratio_ula).all(),
            reference_energy=sweep.reference_energy,
        )
    )


def p_variance(mix) -> float:
    """The variance of p per coordinate (mean over x and y), exact: a component of centre μ_k, circle radius r_k
    and blur s_k has per-coordinate variance r_k²/2 + s_k², so Var = Σ w_k (r_k²/2 + s_k² + μ_k²) − (Σ w_k μ_k)²,
    averaged over the two coordinates."""
    w = np.exp(np.asarray(mix.log_weights, np.float64))
    mu = np.asarray(mix.means, np.float64)
    within = np.asarray(mix.radii, np.float64) ** 2 / 2 + np.asarray(mix.scales, np.float64) ** 2
    mean = w @ mu
    return float(np.mean(w @ (within[:, None] + mu**2) - mean**2))


def with_point(sweep: B.StepSweep, extra: B.StepSweep) -> B.StepSweep:
    """``sweep`` with ``extra``'s points added, in order of ε (both from the same seed, particles and steps: the
    same exact start, the same reference samples)."""
    order = np.argsort(np.concatenate([sweep.step_sizes, extra.step_sizes]), kind="stable")
    joined = {
        f: np.concatenate([getattr(sweep, f), getattr(extra, f)])[order]
        for f in ("step_sizes", "ula_variance", "mala_variance", "ula_energy", "mala_energy", "acceptance")
    }
    return dataclasses.replace(sweep, **joined)


@dataclasses.dataclass(frozen=True)
class SweepPoint:
    """The sweep at one ε: variance ratios to p (inf: ULA diverged), MALA's acceptance, energy distances."""

    eps: float
    ula: float
    mala: float
    acceptance: float
    ula_energy: float
    mala_energy: float


def point_at(sweep: B.StepSweep, eps: float, p_var: float) -> SweepPoint:
    """The sweep's point at the page's ε (the nearest, if ε is not one of its points)."""
    i = int(np.argmin(np.abs(sweep.step_sizes - eps)))
    return SweepPoint(
        float(sweep.step_sizes[i]),
        float(sweep.ula_variance[i] / p_var),
        float(sweep.mala_variance[i] / p_var),
        float(sweep.acceptance[i]),
        float(sweep.ula_energy[i]),
        float(sweep.mala_energy[i]),
    )


def cloud_ratio(run: B.RunData, p_var: float) -> float:
    """A cloud's final variance per coordinate over p's (inf when the run diverged)."""
    x = np.asarray(run.samples, np.float64)
    x = x[np.all(np.isfinite(x), axis=-1)]
    if run.diverged_at >= 0 or len(x) < 2:
        return float("inf")
    return float(np.mean(np.var(x, axis=0, ddof=1))) / p_var


def relative_se(n: int) -> float:
    """Relative standard error of a variance estimated from n particles in 2 coordinates (Gaussian: Var(s²) =
    2σ⁴/(n − 1) per coordinate, halved by averaging two): √(1/(n − 1)). The sweep's error bars use the same."""
    return float(np.sqrt(1.0 / max(n - 1, 1)))


def summary_caption(
    here: SweepPoint,
    clouds: dict[str, float],
    *,
    steps: int,
    n_sweep: int,
    n_clouds: int,
    formula: float | None,
    learned: bool,
    missing: bool,
    reference_energy: float,
) -> str:
    """The sweep at the page's ε in words, and how the clouds above compare with it: with as many particles and the
    exact score they are the same runs; otherwise other runs (``n_clouds`` particles drawn with the same seed,
    ``n_sweep`` for the sweep; with a learned score the ULA cloud uses the network), whose variance ratios differ
    from the sweep's by sampling error, said in standard errors when it is more than two."""
    head = (
        f"{n_sweep} particles started at exact samples, {steps} steps at each ε (± one standard error). "
        + ("Missing ULA points diverged (ε ≥ 2w²). " if missing else "")
        + f"At the page's ε = {here.eps:g}: "
    )
    if np.isfinite(here.ula):
        head += f"ULA's variance is {here.ula:.2f}× that of p" + (
            f" (formula: {formula:.2f}×)" if formula is not None and np.isfinite(formula) else ""
        )
    else:
        head += "ULA diverged"
    head += f", MALA's {here.mala:.2f}× with {here.acceptance:.0%} of its moves accepted. "
    if np.isfinite(here.ula_energy):
        head += f"Energy distance to exact samples: ULA {here.ula_energy:.3f}, "
    else:
        head += "Energy distance to exact samples: "
    head += f"MALA {here.mala_energy:.3f} (two independent exact sample sets: {reference_energy:.3f}). "
    sweep_of = {"ULA": here.ula, "MALA": here.mala}
    parts, far = [], []
    for what, got in clouds.items():
        if not np.isfinite(got):
            parts.append(f"{what} diverged")
            continue
        parts.append(f"{what} {got:.2f}×")
        ref = sweep_of[what]
        if np.isfinite(ref):
            se = np.hypot(got * relative_se(n_clouds), ref * relative_se(n_sweep))
            if abs(got - ref) > 2 * se and not (learned and what == "ULA"):
                far.append(f"{what} by {abs(got - ref) / se:.1f} standard errors")
    if n_clouds == n_sweep and not learned:
        # exact_start_run and step_size_sweep split the seed alike: with as many particles, the same runs
        return (
            head
            + f"The clouds above are these same runs ({n_sweep} particles, the same seed and steps: "
            + (", ".join(parts) + ").")
        )
    tail = (
        f"The clouds above are other runs: {n_clouds} particles drawn with the same seed"
        + (", ULA with the learned score" if learned else "")
        + f", the same steps ({', '.join(parts)}). "
    )
    if learned:
        tail += "The sweep uses the exact score, so ULA's two numbers differ also by the network's error."
    elif far:
        tail += "They differ from the sweep's by more than sampling error: " + "; ".join(far) + "."
    else:
        tail += f"They differ from the sweep's only by sampling error ({n_clouds} vs {n_sweep} particles)."
    return head + tail


def _cloud(run: B.RunData, dkey: K.DensityKey, title: str, labels: list[str], p_var: float) -> tuple[F.Animation, str]:
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
    ratio = cloud_ratio(run, p_var)
    alt = f"{title.replace('<br>', ', ')}: {len(run.samples)} particles over p, from exact samples to {labels[1]}; " + (
        f"their variance is {ratio:.2f}× that of p."
        if np.isfinite(ratio)
        else f"the run diverged at step {run.diverged_at}."
    )
    return anim, alt
