"""Cached builders: with :mod:`scoredemo.app.diffusion_builders` (scene 11's), the only place the pages compute from
the exact densities (fields, particle runs, reference samples). Learned models live in :mod:`scoredemo.app.trained`.

Caching: builders take scalars only (names, numbers, strings and tuples of them), never arrays, and every cache has
``max_entries``. Compiled kernels (``st.cache_resource``) are shared by every session; particle runs and grids
(``st.cache_data``) too. Sampler values — π, ε, the noise switch — are traced arguments of the compiled program, and
every run records the same number of frames (``N_FRAMES``), so moving them never recompiles; only a new particle
count or sampler does. Limits: :mod:`scoredemo.app.settings`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from scoredemo import digit_models, digits, metrics, theory
from scoredemo.app import trained
from scoredemo.app.kernels import grid_kernel, kernel, picture_kernel, sample_kernel, score_kernel
from scoredemo.app.keys import CUSTOM, DensityKey, TrainKey, get_density
from scoredemo.app.settings import (
    CACHE_TTL,
    FRAME_POWER,
    MAX_PARTICLE_STEPS,
    MAX_PARTICLES,
    MAX_RUN_STEPS,
    N_ARROWS,
    N_FRAMES,
    N_GRID,
)
from scoredemo.densities import Density, Mixture, make_density
from scoredemo.samplers import make_params, noise_schedule, uniform_init


@dataclasses.dataclass
class FieldData:
    xs: np.ndarray
    ys: np.ndarray
    density: np.ndarray  # (n, n) p_σ
    log_density: np.ndarray  # (n, n) log p_σ
    points: np.ndarray  # (a*a, 2) arrow tails
    score: np.ndarray  # (a*a, 2)
    box: float
    arrow_log_density: np.ndarray | None = None  # (a*a,) log p_σ at the arrow tails (what hovering an arrow shows)


def compute_mixture(key: DensityKey):
    """The density's mixture as the compiled programs see it (fields, samplers, exact samples). A drawing's modes
    (its bumps and regions: which mode a point is in) are left out: only the mode-fraction meter needs them, and
    their count is a shape, so every new number of modes compiled every program again (~5 s); padded to a fixed
    number of Gaussians and without modes, a drawing compiles once per padded size."""
    mix = get_density(key).mixture
    if key.name == CUSTOM:
        mix = dataclasses.replace(mix, mode_onehot=jnp.asarray(np.zeros((mix.n_components, 1), np.float32)))
    return mix


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False)
def field(
    key: DensityKey, sigma: float = 0.0, n_grid: int = N_GRID, n_arrows: int = N_ARROWS, box: float | None = None
) -> FieldData:
    """Density p_σ on an n_grid² grid and its score on an n_arrows² grid over [−box, box]²."""
    dens = get_density(key)
    box = float(box or dens.box)
    xs, ys, pts = metrics.grid_points(box, n_grid)
    half = box / n_arrows  # arrows sit at cell centres (not on the border)
    _, _, apts = metrics.grid_points(box - half, n_arrows)
    # one call for both point sets: one compiled program per (grid, arrows) pair, shared by every density of a size;
    # log p at the arrow tails too (the arrows' hover), in the same call
    both = jnp.asarray(np.concatenate([pts, apts]))
    lp, s = picture_kernel()(compute_mixture(key), both, jnp.asarray(apts), jnp.float32(sigma))
    lp = np.asarray(lp, np.float64)
    grid_lp, arrow_lp = lp[: n_grid * n_grid].reshape(n_grid, n_grid), lp[n_grid * n_grid :]
    s = np.asarray(s, np.float64)
    return FieldData(xs, ys, np.exp(grid_lp - grid_lp.max()), grid_lp, apts, s, box, arrow_log_density=arrow_lp)


def marginals(key: DensityKey) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(grid, p(x), p(y)) by summing the density over the picture's grid (exact up to the grid)."""
    f = field(key, 0.0)
    p = np.exp(f.log_density)
    dx = float(f.xs[1] - f.xs[0])
    px = p.sum(axis=0) * dx  # integrate over y (rows)
    py = p.sum(axis=1) * dx
    return f.xs, px, py


@dataclasses.dataclass
class RunData:
    """A finished particle run, as numpy (what the figures need)."""

    trajectory: np.ndarray  # (F', N, 2) float32, the frames before any divergence (F' ≥ 1)
    frame_steps: np.ndarray  # (F',)
    frame_sigmas: np.ndarray  # (F',) the σ in use at each frame (0: the clean density)
    samples: np.ndarray  # (N', 2) finite final positions
    fractions: np.ndarray  # (F', M) mode fractions per frame
    diverged_at: int  # −1, or the first step after which a particle was non-finite
    n_steps: int
    seconds: float


#: Starting points a scene can offer: uniform on a square, exact samples of p, or samples of p's first mode only.
INIT_KINDS = ("uniform", "data", "one-mode")


class InitSpec(NamedTuple):
    """Where particles start (scalars only: a cache key). ``kind`` "uniform": uniform on [−half, half]² around
    ``centre``; "data": exact samples of p ("initialising at the data"); "one-mode": exact samples of p's first mode
    alone (p restricted to its components, renormalised). ``half`` and ``centre`` apply to "uniform" only."""

    half: float
    centre: tuple[float, float] = (0.0, 0.0)
    kind: str = "uniform"


def initial_positions(mix: Mixture, init: InitSpec, rng_key, n_particles: int) -> jax.Array:
    """The (n, 2) starting points of :class:`InitSpec` ``init`` for mixture ``mix``."""
    if init.kind == "uniform":
        return uniform_init(rng_key, n_particles, init.half) + jnp.asarray(init.centre, jnp.float32)
    if init.kind == "data":
        return sample_kernel()(mix, rng_key, n_particles)
    if init.kind == "one-mode":
        first = jnp.asarray(mix.mode_onehot)[:, 0] > 0
        logw = jnp.where(first, mix.log_weights, -jnp.inf)
        only = dataclasses.replace(mix, log_weights=logw - jax.scipy.special.logsumexp(logw))
        return sample_kernel()(only, rng_key, n_particles)
    raise ValueError(f"unknown start {init.kind!r}; valid: {', '.join(INIT_KINDS)}")


def mean_score_norm(key: DensityKey, x: np.ndarray, sigma: float = 0.0) -> float:
    """Mean ‖s_σ(x)‖ of the exact score at the particles (``metrics.mean_score_norm``): 0 at peaks and ridges."""
    mix, fn = compute_mixture(key), score_kernel()
    return metrics.mean_score_norm(lambda pts: fn(mix, pts, jnp.float32(sigma)), x)


@st.cache_data(max_entries=96, ttl=CACHE_TTL, show_spinner=False)
def particles(
    key: DensityKey,
    sampler: str,
    step_size: float,
    noise: float,
    n_steps: int,
    n_particles: int,
    seed: int,
    init: InitSpec | None = None,
    *,
    sigma: float = 0.0,
    sigma_max: float = 20.0,
    sigma_min: float = 1.0,
    levels: int = 10,
    model: TrainKey | None = None,
) -> RunData:
    """Run a sampler (exact score of ``key``'s density, or the learned score of ``model``) and record N_FRAMES.

    For ``annealed`` ``n_steps`` is T, the steps per level (L·T in total). Values are traced: a new ε, π, noise
    switch, seed or step count reuses the compiled program.
    """
    if sampler == "annealed":
        check_run_limits(n_particles, n_steps * int(levels))
    else:
        check_run_limits(n_particles, n_steps)
    dens = get_density(key)
    target = compute_mixture(key) if model is None else trained.trained(model).learned
    init = init or InitSpec(dens.box)
    rng = jax.random.key(int(seed))
    init_key, run_key = jax.random.split(rng)
    # a one-mode start picks the first mode's Gaussians: it needs the modes
    position = initial_positions(
        dens.mixture if init.kind == "one-mode" else compute_mixture(key), init, init_key, n_particles
    )
    sigmas, total = noise_schedule(
        sampler, n_steps, sigma=sigma, sigma_max=sigma_max, sigma_min=sigma_min, n_levels=levels
    )
    power = 1.0 if sampler == "annealed" else FRAME_POWER
    params = make_params(step_size, noise=noise, sigmas=sigmas, steps_per_level=n_steps, frame_power=power)
    t0 = time.perf_counter()
    res = kernel(sampler, N_FRAMES)(run_key, target, position, params, jnp.int32(total))
    jax.block_until_ready(res.trajectory)
    seconds = time.perf_counter() - t0
    return _run_data(res, dens, n_steps, sigmas, annealed=sampler == "annealed", total=total, seconds=seconds)


def _run_data(res, dens: Density, n_steps: int, sigmas, *, annealed: bool, total: int, seconds: float) -> RunData:
    """A finished run as numpy: frames up to the first non-finite (or runaway) one, the σ of each frame, the final
    finite samples and the mode fractions per frame. ``n_steps``: steps per level (annealed) or in all."""
    traj = np.asarray(res.trajectory, np.float32)
    steps = np.asarray(res.frame_steps)
    diverged = int(res.diverged_at)
    keep = np.all(np.isfinite(traj), axis=(1, 2))
    # frames are kept up to the first one holding a non-finite particle (frame 0 is always finite)
    n_keep = int(np.argmin(keep)) if not keep.all() else len(keep)
    n_keep = max(n_keep, 1)
    if diverged < 0 and n_keep < len(keep):
        diverged = int(steps[n_keep])
    # also treat runaway-but-finite particles (overflow soon) as divergence
    far = np.abs(traj[:n_keep]).max(axis=(1, 2)) > 1e6
    if far.any():
        first = int(np.argmax(far))
        if diverged < 0:
            diverged = int(steps[first])
        n_keep = max(first, 1)
    traj = traj[:n_keep]
    steps = steps[:n_keep]
    level = np.minimum(steps // max(n_steps, 1), len(sigmas) - 1) if annealed else np.zeros_like(steps)
    frame_sigmas = np.asarray(sigmas)[level]
    last = traj[-1]
    samples = last[np.all(np.isfinite(last), axis=-1)]
    return RunData(
        trajectory=np.round(traj, 3).astype(np.float32),
        frame_steps=steps,
        frame_sigmas=frame_sigmas.astype(np.float32),
        samples=samples,
        fractions=metrics.mode_fractions_per_frame(dens.mixture, traj),
        diverged_at=diverged,
        n_steps=int(total),
        seconds=seconds,
    )


def check_run_limits(n_particles: int, n_steps: int) -> None:
    """Raise ValueError naming the limit when one run would be too large for a shared server (see the module doc)."""
    if not 1 <= int(n_particles) <= MAX_PARTICLES:
        raise ValueError(f"{n_particles} particles is outside the app's limit of 1 to {MAX_PARTICLES}")
    if not 0 <= int(n_steps) <= MAX_RUN_STEPS:
        raise ValueError(f"{n_steps} sampler steps is outside the app's limit of 0 to {MAX_RUN_STEPS}")
    if int(n_particles) * int(n_steps) > MAX_PARTICLE_STEPS:
        raise ValueError(
            f"{n_particles} particles × {n_steps} steps is over the app's limit of {MAX_PARTICLE_STEPS:.0e} "
            "particle-steps per run"
        )


def frame_labels(run: RunData, *, annealed: bool = False) -> list[str]:
    if annealed:
        return [f"step {int(s)} · σ = {float(g):.2f}" for s, g in zip(run.frame_steps, run.frame_sigmas, strict=True)]
    return [f"step {int(s)}" for s in run.frame_steps]


def divergence_message(
    run: RunData, step_size: float, dens: Density, *, sigmas: Sequence[float] | None = None
) -> str | None:
    """A warning naming the cause (ε too large) and the fix, or None when the run stayed finite.

    The update contracts towards a Gaussian mode of variance v only while ε < 2v. With noise levels σ_i and steps
    ε_i = ε·σ_i²/σ_L² (annealed), level i needs ε·σ_i²/σ_L² < 2(w² + σ_i²) for the narrowest width w.
    """
    if run.diverged_at < 0:
        return None
    w = float(np.min(np.asarray(dens.mixture.scales)))
    levels = np.asarray(sigmas if sigmas is not None else [0.0], np.float64)
    last = levels[-1]
    if len(levels) > 1 and last > 0:
        safe = float(np.min(2.0 * (w**2 + levels**2) * last**2 / levels**2))
        where = f"at noise level σ = {levels[0]:g} the step ε·σ²/σ_min² is {step_size * (levels[0] / last) ** 2:.3g}"
    else:
        safe = 2.0 * (w**2 + last**2)
        where = f"near a mode of width {w:g} the move ε·s(x) overshoots the mode"
    return (
        f"**The particles diverged at step {run.diverged_at}.** Cause: the step size ε = {step_size:g} is too large "
        f"for this density — {where}, and the error grows every step until the numbers overflow. "
        f"Fix: lower ε below about {safe:.3g} (the chart shows the frames before the blow-up)."
    )


@st.cache_data(max_entries=32, ttl=CACHE_TTL, show_spinner=False)
def true_samples(key: DensityKey, n: int = 2000, seed: int = 1) -> np.ndarray:
    """n exact samples of the density (for reference statistics)."""
    return np.asarray(sample_kernel()(compute_mixture(key), jax.random.key(seed), n), np.float32)


@st.cache_data(max_entries=8, ttl=CACHE_TTL, show_spinner=False)
def ring_magnitudes(radius: float, n_thickness: int = 25, n_samples: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """(thickness w, E_p‖s(x)‖) for rings of radius ``radius``: the score's typical size grows like 1/w."""
    ws = np.geomspace(0.01, 2.0, n_thickness)
    fn = score_kernel()
    out = []
    for j, w in enumerate(ws):
        mix = make_density("ring", radius=radius, thickness=float(w)).mixture
        x = mix.sample(jax.random.key(j), n_samples)
        s = np.asarray(fn(mix, x, jnp.float32(0.0)), np.float64)
        out.append(np.linalg.norm(s, axis=-1).mean())
    return ws, np.asarray(out)


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False)
def mean_sq_score(key: DensityKey, n: int = 20000, seed: int = 3, sigma: float = 0.0) -> float:
    """E_{p_σ}‖∇ log p_σ(x)‖² by Monte Carlo with the exact score (σ = 0: p itself); −½ of it at σ = 0 is the
    smallest (exact or sliced) score-matching loss."""
    dens = get_density(key)
    x = dens.sample(jax.random.key(seed), n)
    if sigma > 0:
        x = x + sigma * jax.random.normal(jax.random.key(seed + 1), x.shape, x.dtype)
    s = np.asarray(score_kernel()(compute_mixture(key), x, jnp.float32(sigma)), np.float64)
    return float(np.mean(np.sum(s * s, axis=-1)))


def loss_floor(model: TrainKey) -> float:
    """The smallest value the model's objective can take (its expectation under p, reached by the exact score),
    with the exact scores of p and p_σ (Monte Carlo, :func:`mean_sq_score`). In d = 2 dimensions:

    esm, ssm, ssm-vr   −½E_p‖∇ log p‖²
    dsm                ½E‖∇ log p_σ(x + σz) + z/σ‖²  =  d/(2σ²) − ½E_{p_σ}‖∇ log p_σ‖²
    ncsn               (1/L) Σ_i σ_i² · [d/(2σ_i²) − ½E_{p_σi}‖∇ log p_σi‖²]

    The dsm form: expand the square; E‖z‖² = d exactly, and E[z | x + σz] = −σ∇ log p_σ(x + σz) (Tweedie's
    formula) turns the cross term into −E‖∇ log p_σ‖². This leaves only a small-variance average to sample: the
    ½‖z/σ‖² term alone (100 at σ = 0.1) would cost ~0.7 of Monte Carlo error with 20 000 samples.
    """
    cfg = model.config
    needs = trained.objective_needs(cfg.objective)
    d = 2
    if needs == "none":
        return -0.5 * mean_sq_score(model.density)
    sigmas = [float(s) for s in cfg.sigmas]
    floors = [d / (2 * s**2) - 0.5 * mean_sq_score(model.density, sigma=s) for s in sigmas]
    if needs == "sigma":
        return floors[0]
    return float(np.mean([s**2 * f for s, f in zip(sigmas, floors, strict=True)]))


@st.cache_data(max_entries=32, ttl=CACHE_TTL, show_spinner=False)
def score_difference(key_a: DensityKey, key_b: DensityKey, n: int = 60) -> tuple[np.ndarray, np.ndarray, float]:
    """(xs, ‖s_a − s_b‖ on an n² grid, max of it where p_a > 10⁻⁶·max p_a) over density a's box."""
    xs, _, pts = metrics.grid_points(get_density(key_a).box, n)
    fn = grid_kernel()
    lp, sa = fn(compute_mixture(key_a), jnp.asarray(pts), jnp.float32(0.0))
    _, sb = fn(compute_mixture(key_b), jnp.asarray(pts), jnp.float32(0.0))
    diff = np.linalg.norm(np.asarray(sa, np.float64) - np.asarray(sb, np.float64), axis=-1)
    lp = np.asarray(lp, np.float64)
    support = lp > lp.max() + np.log(1e-6)
    return xs, diff.reshape(n, n), float(diff[support].max()) if support.any() else 0.0


# ============================================================================================ exactness of Langevin


@dataclasses.dataclass
class StepSweep:
    """Unadjusted Langevin and MALA at several step sizes, both started at exact samples of p."""

    step_sizes: np.ndarray  # (E,)
    true_variance: float  # per-coordinate variance of p (mean over x and y)
    ula_variance: np.ndarray  # (E,) per-coordinate variance of ULA's particles after n_steps
    mala_variance: np.ndarray  # (E,)
    ula_energy: np.ndarray  # (E,) energy distance to fresh exact samples
    mala_energy: np.ndarray  # (E,)
    acceptance: np.ndarray  # (E,) MALA's mean acceptance rate
    reference_energy: float  # energy distance between two independent exact sample sets (the noise floor)
    n_particles: int
    n_steps: int


def _variance(x: np.ndarray) -> float:
    x = np.asarray(x, np.float64)
    x = x[np.all(np.isfinite(x), axis=-1)]
    return float(np.mean(np.var(x, axis=0, ddof=1))) if len(x) > 1 else float("nan")


@st.cache_data(max_entries=16, ttl=CACHE_TTL, show_spinner=False)
def step_size_sweep(
    key: DensityKey, step_sizes: tuple[float, ...], n_particles: int, n_steps: int, seed: int
) -> StepSweep:
    """Run ULA and MALA for ``n_steps`` from exact samples at each ε (one compiled program per sampler: ε is traced).

    Started at p, an exact sampler stays at p; whatever the particles' law is after the run is the sampler's bias.
    """
    check_run_limits(n_particles, n_steps * len(step_sizes))
    mix = compute_mixture(key)
    rng = jax.random.key(int(seed))
    k_init, k_run, k_ref1, k_ref2 = jax.random.split(rng, 4)
    x0 = sample_kernel()(mix, k_init, n_particles)
    ref = np.asarray(sample_kernel()(mix, k_ref1, n_particles), np.float32)
    ref2 = np.asarray(sample_kernel()(mix, k_ref2, n_particles), np.float32)
    out: dict[str, list[float]] = {k: [] for k in ("ula_v", "mala_v", "ula_e", "mala_e", "acc")}
    for eps in step_sizes:
        params = make_params(float(eps), noise=1.0, sigmas=(0.0,), steps_per_level=n_steps)
        ula = kernel("langevin", 2)(k_run, mix, x0, params, jnp.int32(n_steps))
        mala = kernel("mala", 2)(k_run, mix, x0, params, jnp.int32(n_steps))
        for name, res in (("ula", ula), ("mala", mala)):
            x = np.asarray(res.samples, np.float32)
            finite = x[np.all(np.isfinite(x), axis=-1) & (np.abs(x).max(axis=-1) < 1e6)]
            out[f"{name}_v"].append(_variance(finite) if len(finite) == len(x) else float("inf"))
            out[f"{name}_e"].append(metrics.energy_distance(finite, ref) if len(finite) == len(x) else float("inf"))
        out["acc"].append(float(mala.acceptance_rate))
    return StepSweep(
        np.asarray(step_sizes, np.float64),
        _variance(np.asarray(sample_kernel()(mix, jax.random.fold_in(rng, 7), 20000))),
        np.asarray(out["ula_v"]),
        np.asarray(out["mala_v"]),
        np.asarray(out["ula_e"]),
        np.asarray(out["mala_e"]),
        np.asarray(out["acc"]),
        metrics.energy_distance(ref2, ref),
        n_particles,
        n_steps,
    )


@st.cache_data(max_entries=16, ttl=CACHE_TTL, show_spinner=False)
def exact_start_run(
    key: DensityKey,
    sampler: str,
    step_size: float,
    n_steps: int,
    n_particles: int,
    seed: int,
    *,
    model: TrainKey | None = None,
) -> RunData:
    """One run of ``sampler`` from exact samples of p (the clouds of the step-size scene), N_FRAMES frames, with the
    exact score or the learned score of ``model``."""
    check_run_limits(n_particles, n_steps)
    dens = get_density(key)
    rng = jax.random.key(int(seed))
    k_init, k_run, _, _ = jax.random.split(rng, 4)
    x0 = sample_kernel()(compute_mixture(key), k_init, n_particles)
    params = make_params(step_size, noise=1.0, sigmas=(0.0,), steps_per_level=n_steps, frame_power=FRAME_POWER)
    target = compute_mixture(key) if model is None else trained.trained(model).learned
    res = kernel(sampler, N_FRAMES)(k_run, target, x0, params, jnp.int32(n_steps))
    return _run_data(res, dens, n_steps, np.zeros(1, np.float32), annealed=False, total=n_steps, seconds=0.0)


# ============================================================================================ mixing time

#: Frames recorded by a crossing-time run: the first passage is known to within n_steps / (frames − 1) steps.
CROSSING_FRAMES = 401


@dataclasses.dataclass
class CrossingData:
    """Langevin on ``two-modes`` (π = ½) started in the left mode, for several separations d."""

    separations: np.ndarray  # (S,)
    frame_steps: np.ndarray  # (F,)
    crossed: np.ndarray  # (S, F) fraction of particles that have reached the right mode by each frame
    mean_steps: np.ndarray  # (S,) mean first-crossing time in steps (censored-exponential estimate; inf: none)
    se_steps: np.ndarray  # (S,) its standard error
    delta_u: np.ndarray  # (S,) barrier height ΔU of −log p
    kramers_steps: np.ndarray  # (S,) Kramers' prediction, in steps
    step_size: float
    n_steps: int
    n_particles: int


@st.cache_data(max_entries=8, ttl=CACHE_TTL, show_spinner=False)
def crossing_times(
    separations: tuple[float, ...], step_size: float, n_steps: int, n_particles: int, seed: int
) -> CrossingData:
    """First time each particle reaches the other mode (x ≥ d/2 − 1: within one standard deviation of its centre,
    or beyond), started at samples of the left mode. The threshold is inside the other well, so a particle that
    has arrived is above it most of the time and the recorded frames (every n_steps/400 steps) rarely miss it."""
    check_run_limits(n_particles, n_steps)
    rng = jax.random.key(int(seed))
    rows: dict[str, list] = {k: [] for k in ("crossed", "mean", "se", "du", "kramers")}
    steps = None
    for j, d in enumerate(separations):
        mix = make_density("two-modes", pi=0.5, separation=float(d)).mixture
        k_init, k_run = jax.random.split(jax.random.fold_in(rng, j))
        x0 = jax.random.normal(k_init, (n_particles, 2), jnp.float32) + jnp.asarray([-d / 2.0, 0.0], jnp.float32)
        params = make_params(step_size, noise=1.0, sigmas=(0.0,), steps_per_level=n_steps)
        res = kernel("langevin", CROSSING_FRAMES)(k_run, mix, x0, params, jnp.int32(n_steps))
        traj, steps = np.asarray(res.trajectory, np.float32), np.asarray(res.frame_steps)
        hit = traj[..., 0] >= d / 2.0 - 1.0
        first = metrics.first_crossing_steps(traj, steps, hit)
        mean, se = metrics.exponential_mean_time(first, n_steps)
        barrier = theory.kramers_barrier(mix, np.array([-d / 2.0, 0.0]), np.array([d / 2.0, 0.0]))
        rows["crossed"].append(np.mean(np.maximum.accumulate(hit, axis=0), axis=1))
        rows["mean"].append(mean)
        rows["se"].append(se)
        rows["du"].append(barrier.delta_u)
        rows["kramers"].append(barrier.time / step_size)
    return CrossingData(
        np.asarray(separations, np.float64),
        steps,
        np.asarray(rows["crossed"]),
        np.asarray(rows["mean"]),
        np.asarray(rows["se"]),
        np.asarray(rows["du"]),
        np.asarray(rows["kramers"]),
        float(step_size),
        int(n_steps),
        int(n_particles),
    )


# ============================================================================================ real data (digits)


@st.cache_resource(max_entries=1, show_spinner=False)
def digits_pca() -> digits.PCA:
    """PCA of the 1 797 real digits (computed once per server)."""
    return digits.pca(digits.load()[0])


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False)
def digit_reconstructions(k: int, n: int = 10) -> tuple[np.ndarray, np.ndarray, float]:
    """(n originals, their reconstructions from k components, mean squared error per pixel over all digits)."""
    x = digits.load()[0]
    p = digits_pca()
    pick = np.linspace(0, len(x) - 1, n).astype(int)
    err = float(np.mean((p.reconstruct(x, k) - x) ** 2))
    return x[pick], p.reconstruct(x[pick], k), err


@dataclasses.dataclass
class DigitSamples:
    """A sampler's chains on the digits: images at the recorded steps and the readable checks of the last ones."""

    trajectory: np.ndarray  # (F, N, 64)
    frame_steps: np.ndarray  # (F,)
    confidence: float  # mean top-class probability of the real-digit classifier
    nearest: float  # mean distance to the nearest real digit ([0, 1] pixel units)
    near_fraction: float  # fraction of samples within NEAR of a real digit
    n_finite: int
    diverged_at: int


#: "Close to a real digit": within this distance (a real digit's nearest other real digit is ~1.0 away on average).
NEAR = 1.5


@st.cache_data(max_entries=16, ttl=CACHE_TTL, show_spinner=False)
def digit_samples(model: TrainKey, sampler: str, n_particles: int, seed: int) -> DigitSamples:
    """Chains from uniform noise with a trained digits model (``digit_models.sample_digits`` at its defaults)."""
    run = digit_models.sample_digits(trained.trained(model).learned, sampler, seed=seed, n_particles=n_particles)
    check = digit_models.check_samples(run.samples)
    dist = digits.nearest_train_distance(run.samples)
    return DigitSamples(
        np.round(np.asarray(run.trajectory, np.float32), 3),
        np.asarray(run.frame_steps),
        check["digit_confidence"],
        check["nearest_train_distance"],
        float(np.mean(dist < NEAR)),
        check["n_finite"],
        run.diverged_at,
    )


@st.cache_resource(max_entries=1, show_spinner=False)
def digit_references() -> dict[str, float]:
    """The checks on things that are and are not digits, computed once: real digits (their confidence, and the
    distance of each to its nearest *other* real digit) and uniform noise on [0, 1]⁶⁴."""
    x = digits.load()[0].astype(np.float64)
    d2 = (x**2).sum(1)[:, None] - 2 * x @ x.T + (x**2).sum(1)[None]
    np.fill_diagonal(d2, np.inf)
    other = np.sqrt(np.maximum(d2.min(axis=1), 0.0))
    noise = np.random.default_rng(0).random((500, digits.DIM))
    return {
        "real_confidence": float(digits.digit_confidence(x).mean()),
        "real_nearest_other": float(other.mean()),
        "noise_confidence": float(digits.digit_confidence(noise).mean()),
        "noise_nearest": float(digits.nearest_train_distance(noise).mean()),
    }
