"""Cached builders of scene 11 (diffusion): the forward process's fields and samples, the samplers' runs from
t = 1, the quality-against-cost sweep and the likelihood check, all with the exact score of p_t (or a learned
noise-conditional one). Same rules as :mod:`scoredemo.app.builders` (scalars in, bounded caches, traced values)."""

from __future__ import annotations

import dataclasses
import time

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from scoredemo import metrics
from scoredemo.app import trained
from scoredemo.app.builders import FieldData, InitSpec, check_run_limits, particles, true_samples
from scoredemo.app.kernels import picture_kernel
from scoredemo.app.keys import DensityKey, TrainKey, get_density
from scoredemo.app.settings import CACHE_TTL, N_ARROWS, N_FRAMES, N_GRID
from scoredemo.densities import Density

# The score SDEs of :mod:`scoredemo.sde` with exact p_t. Every setting below is a traced argument of the engine's
# compiled programs (π, t, σ_max, the step count, tolerances): only the sampler, its solver, the SDE kind, the particle
# count and the frame count compile, and the warm-up compiles the page's defaults (``warmup._warm_diffusion``).

#: The quality-vs-cost chart: particles per run (the page's default count, so its programs are the animations'),
#: fixed-step ladder, adaptive tolerances, annealed Langevin's steps per level (10 levels, σ 20 → 1, ε = 0.05).
QUALITY_PARTICLES = 1280
QUALITY_STEPS = (8, 16, 32, 64, 128, 256)
QUALITY_TOLERANCES = (1e-1, 1e-2, 1e-3, 1e-4)
QUALITY_ANNEALED_T = (1, 3, 10, 30, 100)
#: Particles of each run scored by the energy distance (the first ones; an O(n²) statistic: 640 of 1280 cuts its cost
#: 4× on ~30 runs per view) and of each exact reference set.
QUALITY_SCORED = 640
#: Points of the likelihood scatter (exact samples of p) and the adaptive solver's tolerance there.
LIKELIHOOD_POINTS = 300
LIKELIHOOD_TOL = 1e-5
#: The adaptive solver's rtol = atol in the page's runs.
RUN_TOL = 1e-5
#: Per-frame backgrounds of a diffusion animation: p_t at this many evenly spaced times (each frame shows the nearest).
DIFFUSION_BACKGROUNDS = 11


def diffusion_sde(kind: str, sigma_max: float):
    """The page's :class:`~scoredemo.sde.SDE` (score_sde's σ_min = 0.01 and β 0.1 → 20; σ_max from the page) and
    its traced sampler settings (t_min = 0 for VE, 10⁻³ for VP)."""
    from scoredemo import sde as S  # noqa: PLC0415 - diffrax and the SDE engine load with the scene that uses them

    return S.make_sde(kind, sigma_max=float(sigma_max)), S.make_params(kind)


def diffusion_boxes(dens: Density, alpha: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Half-width of the view at times with signal scale α(t) and noise std σ(t): the data's box scaled by α plus
    2.5 marginal standard deviations (VE: box + 2.5σ(t), ±58 at σ = 20; VP: the data's box, as α·box + 2.5·√(1 − α²)
    never exceeds it by much)."""
    return np.maximum(dens.box, np.ceil(np.asarray(alpha) * dens.box + 2.5 * np.asarray(sigma)))


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False)
def marginal_fields(
    key: DensityKey, kind: str, sigma_max: float, times: tuple[float, ...], n_arrows: int = N_ARROWS
) -> list[FieldData]:
    """p_t and its exact score ∇ log p_t on the page's grid at each of ``times``, by (★) of :mod:`scoredemo.sde`:
    p_t(x) = α⁻²·p_σ̃(x/α), ∇ log p_t(x) = s_σ̃(x/α)/α, from the same compiled field program as every other page
    (σ̃ and the points are traced: a new t never recompiles). α, σ and σ̃ of all times come from one call each
    (one by one, their eager JAX ops were most of a field's ~15 ms; an animation has 11 backgrounds)."""
    dens = get_density(key)
    sde, _ = diffusion_sde(kind, sigma_max)
    tt = jnp.asarray(np.asarray(times, np.float32))
    alpha, sigma = np.asarray(sde.alpha(tt), np.float64), np.asarray(sde.sigma(tt), np.float64)
    tilde = np.asarray(sde.equivalent_sigma(tt), np.float32)
    out = []
    for a, g, box in zip(alpha, tilde, diffusion_boxes(dens, alpha, sigma), strict=True):
        box = float(box)
        xs, ys, pts = metrics.grid_points(box, N_GRID)
        _, _, apts = metrics.grid_points(box - box / n_arrows, n_arrows)
        x, arrows = (jnp.asarray(q / a, jnp.float32) for q in (pts, apts))
        lp, s = picture_kernel()(dens.mixture, x, arrows, jnp.float32(g))
        lp = np.asarray(lp, np.float64).reshape(N_GRID, N_GRID) - 2.0 * np.log(a)
        s = np.asarray(s, np.float64) / a
        out.append(FieldData(xs, ys, np.exp(lp - lp.max()), lp, apts, s, box))
    return out


@st.cache_data(max_entries=32, ttl=CACHE_TTL, show_spinner=False)
def forward_samples(
    key: DensityKey, kind: str, sigma_max: float, times: tuple[float, ...], n: int = 400, seed: int = 0
) -> np.ndarray:
    """x_t = α(t)·x₀ + σ(t)·z for n exact samples x₀ of p and one z each, at every t of ``times``: (T, n, 2), the
    forward process itself (drawn over p_t); the same x₀ and z at every t, so a point moves smoothly with t."""
    sde, _ = diffusion_sde(kind, sigma_max)
    x0 = true_samples(key, n, seed=seed + 11)
    z = np.random.default_rng(seed).standard_normal(x0.shape)
    tt = jnp.asarray(np.asarray(times, np.float32))
    alpha, sigma = np.asarray(sde.alpha(tt), np.float64), np.asarray(sde.sigma(tt), np.float64)
    return (alpha[:, None, None] * x0[None] + sigma[:, None, None] * z[None]).astype(np.float32)


@dataclasses.dataclass
class DiffusionRun:
    """A finished diffusion run, as numpy."""

    trajectory: np.ndarray  # (F, N, 2) float32, frame 0 at t = 1 (non-finite values kept: the figures drop them)
    frame_times: np.ndarray  # (F,) t of each frame, 1 → t_min
    samples: np.ndarray  # (N', 2) the finite final positions
    fractions: np.ndarray  # (F, M) mode fractions per frame (of the finite particles)
    nfe: int  # score evaluations per particle
    n_steps: int  # solver steps (adaptive: accepted)
    finished: bool  # False: the adaptive solver ran out of its step budget
    n_finite: int
    seconds: float


def _diffusion_target(key: DensityKey, model: TrainKey | None):
    return get_density(key).mixture if model is None else trained.trained(model).learned


@st.cache_data(max_entries=32, ttl=CACHE_TTL, show_spinner=False)
def diffusion_start(key: DensityKey, kind: str, sigma_max: float, n_particles: int, seed: int, init: str) -> np.ndarray:
    """The particles at t = 1 (:func:`scoredemo.sde.init_position`): one start per (seed, init, sizes), shared by
    every sampler of the page and every run of the quality chart."""
    from scoredemo import sde as S  # noqa: PLC0415

    sde, _ = diffusion_sde(kind, sigma_max)
    init_key, _ = jax.random.split(jax.random.key(int(seed)))
    return np.asarray(S.init_position(init_key, sde, n_particles, init=init, mixture=get_density(key).mixture))


def engine_run(key, kind, sigma_max, sampler, solver, n_steps, n_particles, seed, init, rtol, n_frames, model):
    """The engine's compiled run (device arrays) and its wall time, uncached: the page's cached builders below and
    the warm-up (which compiles each sampler's program with it) go through it. The start depends on (seed, init,
    sizes) only, so every sampler of a page starts from the same particles."""
    from scoredemo import sde as S  # noqa: PLC0415

    check_run_limits(n_particles, n_steps)
    sde, params = diffusion_sde(kind, sigma_max)
    params = params._replace(rtol=jnp.float32(rtol), atol=jnp.float32(rtol))
    _, run_key = jax.random.split(jax.random.key(int(seed)))
    x0 = jnp.asarray(diffusion_start(key, kind, sigma_max, int(n_particles), int(seed), init))
    fn = S.compiled_run(sampler, solver, int(n_frames))
    t0 = time.perf_counter()
    res = fn(run_key, _diffusion_target(key, model), sde, x0, params, jnp.int32(n_steps))
    jax.block_until_ready(res.samples)
    return res, time.perf_counter() - t0


def _finite_rows(x: np.ndarray) -> np.ndarray:
    """The rows of x that are finite and not running away (|x| < 10⁶)."""
    return np.all(np.isfinite(x), axis=-1) & (np.abs(np.nan_to_num(x, nan=np.inf)).max(axis=-1) < 1e6)


@st.cache_data(max_entries=48, ttl=CACHE_TTL, show_spinner=False)
def diffusion_run(
    key: DensityKey,
    kind: str,
    sigma_max: float,
    sampler: str,
    solver: str,
    n_steps: int,
    n_particles: int,
    seed: int,
    init: str = "prior",
    *,
    rtol: float = RUN_TOL,
    model: TrainKey | None = None,
) -> DiffusionRun:
    """One sampler of :mod:`scoredemo.sde` from t = 1 to t_min with the exact score of p_t (or the learned
    noise-conditional score of ``model`` through (★)), N_FRAMES frames."""
    res, seconds = engine_run(
        key, kind, sigma_max, sampler, solver, n_steps, n_particles, seed, init, rtol, N_FRAMES, model
    )
    traj = np.asarray(res.trajectory, np.float32)
    ok = _finite_rows(traj[-1])
    return DiffusionRun(
        trajectory=np.round(traj, 3).astype(np.float32),
        frame_times=np.asarray(res.frame_times, np.float64),
        samples=traj[-1][ok],
        fractions=_fractions(key, traj),
        nfe=int(res.nfe),
        n_steps=int(res.n_steps),
        finished=bool(res.finished),
        n_finite=int(ok.sum()),
        seconds=seconds,
    )


def _fractions(key: DensityKey, trajectory: np.ndarray) -> np.ndarray:
    """(F, M) fraction of the particles in each mode of the density per frame (the meter's numbers)."""
    return metrics.mode_fractions_per_frame(get_density(key).mixture, trajectory)


@st.cache_data(max_entries=512, ttl=CACHE_TTL, show_spinner=False)
def run_fractions(
    key: DensityKey,
    kind: str,
    sigma_max: float,
    sampler: str,
    solver: str,
    n_steps: int,
    n_particles: int,
    seed: int,
    init: str = "prior",
) -> np.ndarray:
    """The mode fractions of :func:`diffusion_run` with the same arguments (the same compiled run from the same
    start: the same numbers), without its trajectory, so a cache of a few hundred stays small: the meter holds them
    for every π of its slider (one Plotly frame each)."""
    res, _ = engine_run(
        key, kind, sigma_max, sampler, solver, n_steps, n_particles, seed, init, RUN_TOL, N_FRAMES, None
    )
    return _fractions(key, np.asarray(res.trajectory, np.float32))


@dataclasses.dataclass
class QualityData:
    """Energy distance to exact samples of p against score evaluations (NFE) per particle, per sampler."""

    curves: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (NFE, energy distance)
    floor: float  # energy distance between independent exact sample sets of the same size (mean of FLOOR_PAIRS)
    floor_sd: float  # its standard deviation over the pairs
    n_particles: int  # particles per run
    n_scored: int  # of which the energy distance scores the first n_scored (against as many exact samples)


def energy_distances(runs: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Energy distance of the first QUALITY_SCORED points of each (n, 2) set in ``runs`` to as many of ``ref``;
    inf for a set with a non-finite or runaway particle (the chart leaves it out)."""
    runs = np.asarray(runs, np.float32)[:, :QUALITY_SCORED]
    ref = np.asarray(ref, np.float32)[:QUALITY_SCORED]
    ok = np.array([_finite_rows(r).all() for r in runs])
    safe = np.where(ok[:, None, None], runs, 0.0).astype(np.float32)
    out = np.asarray(metrics.energy_distance_program()(jnp.asarray(safe), jnp.asarray(ref, jnp.float32)), np.float64)
    return np.where(ok, out, np.inf)


#: Independent exact-vs-exact pairs averaged for the chart's noise floor (one pair's value varies by ~±50 %).
FLOOR_PAIRS = 6


@st.cache_data(max_entries=16, ttl=CACHE_TTL, show_spinner=False)
def quality_vs_cost(
    key: DensityKey, kind: str, sigma_max: float, init: str, seed: int, *, model: TrainKey | None = None
) -> QualityData:
    """Every sampler at a few step counts (adaptive: tolerances), all from the same start, scored by the energy
    distance of its final particles to exact samples of p (``QUALITY_PARTICLES`` of each). Annealed Langevin (NCSN,
    10 levels σ 20 → 1, ε = 0.05, from uniform noise) at T steps per level: NFE = 10·T. A run with a non-finite
    particle scores inf (left out of the chart)."""
    n = QUALITY_PARTICLES
    ref = true_samples(key, n, seed=101)
    exact = np.stack([true_samples(key, n, seed=102 + j) for j in range(FLOOR_PAIRS)])
    floors = energy_distances(exact, ref)
    rows: list[tuple[str, float, np.ndarray]] = []  # (sampler, NFE, final samples)

    def run(name: str, sampler: str, solver: str, steps: int, tol: float) -> None:
        # the animations' program (N_FRAMES frames, same particle count): nothing new to compile
        res, _ = engine_run(key, kind, sigma_max, sampler, solver, steps, n, seed, init, tol, N_FRAMES, model)
        rows.append((name, float(res.nfe), np.asarray(res.samples, np.float32)))

    for name, sampler, solver in (
        ("reverse SDE", "reverse-sde", "euler"),
        ("PC", "pc", "euler"),
        ("ODE, Euler", "pf-ode", "euler"),
        ("ODE, Heun", "pf-ode", "heun"),
    ):
        for steps in QUALITY_STEPS:
            run(name, sampler, solver, steps, 1e-5)
    for tol in QUALITY_TOLERANCES:
        run("ODE, adaptive", "pf-ode", "adaptive", 0, tol)
    for T in QUALITY_ANNEALED_T:
        r = particles(key, "annealed", 0.05, 1.0, T, n, seed, InitSpec(8.0), sigma_max=20.0, sigma_min=1.0, model=model)
        x = r.samples if len(r.samples) == n and r.diverged_at < 0 else np.full((n, 2), np.nan, np.float32)
        rows.append(("annealed Langevin", 10.0 * T, x))
    energy = energy_distances(np.stack([x for _, _, x in rows]), ref)
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in dict.fromkeys(r[0] for r in rows):
        pick = [j for j, r in enumerate(rows) if r[0] == name]
        curves[name] = (np.array([rows[j][1] for j in pick]), energy[pick])
    return QualityData(curves, float(np.mean(floors)), float(np.std(floors)), n, QUALITY_SCORED)


@dataclasses.dataclass
class LikelihoodData:
    """log p_{t_min} at exact samples of p, by the probability-flow ODE and exactly."""

    exact: np.ndarray  # (n,)
    ode: np.ndarray  # (n,)
    nfe: int
    finished: bool
    tol: float


@st.cache_data(max_entries=16, ttl=CACHE_TTL, show_spinner=False)
def likelihood_check(
    key: DensityKey, kind: str, sigma_max: float, seed: int, *, model: TrainKey | None = None
) -> LikelihoodData:
    """log p_{t_min}(x) = log p₁(x₁) + ∫ ∇·v dt by the ODE (the exact log p₁ at the end, so only the solver and the
    score are tested) against the exact mixture log-density, at ``LIKELIHOOD_POINTS`` exact samples of p."""
    from scoredemo import sde as S  # noqa: PLC0415

    dens = get_density(key)
    sde, params = diffusion_sde(kind, sigma_max)
    params = params._replace(rtol=jnp.float32(LIKELIHOOD_TOL), atol=jnp.float32(LIKELIHOOD_TOL))
    x = jnp.asarray(true_samples(key, LIKELIHOOD_POINTS, seed=seed + 31))
    res = S.compiled_log_likelihood("exact")(_diffusion_target(key, model), sde, x, params, dens.mixture)
    exact = np.asarray(S.log_prob(dens.mixture, sde, x, params.t_min), np.float64)
    return LikelihoodData(
        exact, np.asarray(res.log_likelihood, np.float64), int(res.nfe), bool(res.finished), LIKELIHOOD_TOL
    )
