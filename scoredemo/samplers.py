"""Score-driven samplers as (init, step) pairs, and the one ``lax.scan`` driver that runs them all.

The update convention everywhere in scoredemo is

    x ← x + ε·s(x) + √(2ε)·z,    z ~ N(0, I),

with ε the step size and s the score. The samplers:

* ``ascent``   — the same update with the noise switched off: gradient ascent on log p (collapses onto modes).
* ``langevin`` — unadjusted Langevin (ULA): the update as written; samples p as ε → 0 and steps → ∞.
* ``annealed`` — annealed Langevin (Song & Ermon 2019, Algorithm 1): noise levels σ₁ = σ_max > … > σ_L = σ_min
  (geometric), T steps at each, step ε_i = ε·σ_i²/σ_L², using the score of p_{σ_i} = p ∗ N(0, σ_i² I); each level
  starts where the previous ended. (The paper writes x + (α/2)·s + √α·z; its lr 0.1 is ε = 0.05 here.)
* ``mala``     — Metropolis-adjusted Langevin: the update as a proposal y, accepted with probability
  min(1, p(y) q(x|y) / (p(x) q(y|x))), q(a|b) ∝ exp(−‖a − b − ε s(b)‖² / (4ε)). Needs the log-density.

A *target* (:class:`~scoredemo.types.Target`) is any pytree with ``score(x, sigma)`` (and ``log_prob(x, sigma)``
for MALA; optionally ``score_rows(xt, sigma)``, the score on coordinate rows), e.g. a
:class:`~scoredemo.densities.Mixture` or a learned score model. Targets and :class:`SamplerParams` are traced
arguments, so changing π, ε or the noise switch reuses the compiled program; only array shapes (particles,
frames, noise levels) and the sampler's name compile anew.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from scoredemo._fast_noise import step_noise_fn
from scoredemo.limits import MAX_TRAJECTORY_FLOATS
from scoredemo.types import Array, DensityTarget, PRNGKey, RowsTarget, Target

# The old private name of the fused noise (devtools/bench.py still imports it from here).
_step_noise_fn = step_noise_fn


class SamplerParams(NamedTuple):
    """Traced sampler settings (changing their values never recompiles).

    step_size: ε (for ``annealed``: the step at the last level σ_L).
    noise: 1.0 for Langevin, 0.0 for gradient ascent (multiplies √(2ε)·z).
    sigmas: (L,) noise levels, decreasing; (1,) for non-annealed samplers (σ = 0: the clean density).
    steps_per_level: T, the number of steps spent at each level.
    frame_power: how recorded frames are spaced over the run (see :func:`frame_bounds`): 1 evenly; p > 1 denser
        at the start, where ascent and Langevin do most of their moving.
    """

    step_size: Array
    noise: Array
    sigmas: Array
    steps_per_level: Array
    frame_power: Array = np.float32(1.0)


class LangevinState(NamedTuple):
    position: Array  # (N, D)


class MALAState(NamedTuple):
    position: Array  # (N, D)
    log_prob: Array  # (N,)  log p at position
    score: Array  # (N, D) s at position (reused by the reverse proposal density)


class StepInfo(NamedTuple):
    acceptance_rate: Array  # scalar: mean acceptance over particles (1 for unadjusted samplers)


def _level(t: Array, params: SamplerParams) -> tuple[Array, Array]:
    """(σ_i, ε_i) for global step t: level i = t // T, ε_i = ε·σ_i²/σ_L² (ε when σ_L = 0)."""
    n_levels = params.sigmas.shape[0]
    i = jnp.minimum(t // jnp.maximum(params.steps_per_level, 1), n_levels - 1)
    sigma = params.sigmas[i]
    last = params.sigmas[-1]
    ratio = jnp.where(last > 0, (sigma / jnp.where(last > 0, last, 1.0)) ** 2, 1.0)
    return sigma, params.step_size * ratio


def langevin_init(position: Array, target: Target, params: SamplerParams) -> LangevinState:
    return LangevinState(position)


def langevin_step(
    rng_key: PRNGKey, state: LangevinState, t: Array, target: Target, params: SamplerParams
) -> tuple[LangevinState, StepInfo]:
    """One step x ← x + ε_t·s_{σ_t}(x) + noise·√(2ε_t)·z (covers ascent, Langevin and annealed Langevin)."""
    x = state.position
    # z is drawn as coordinate rows (D, N) and transposed: the same numbers the driver's fused noise gives.
    z = jax.random.normal(rng_key, x.shape[::-1], x.dtype).T
    x = _langevin_update(x.T, z.T, t, target, params).T
    return LangevinState(x), StepInfo(jnp.ones((), x.dtype))


def _langevin_update(xt: Array, zt: Array, t: Array, target: Target, params: SamplerParams) -> Array:
    """x ← x + ε_t·s_{σ_t}(x) + noise·√(2ε_t)·z on coordinate rows (D, N)."""
    sigma, eps = _level(t, params)
    return xt + eps * _score_rows(target, xt, sigma) + (params.noise * jnp.sqrt(2.0 * eps)) * zt


def _score_rows(target: Target, xt: Array, sigma: Array) -> Array:
    """The target's score on coordinate rows (D, N): its own ``score_rows`` if it has one, else via score(x)."""
    if isinstance(target, RowsTarget):
        return target.score_rows(xt, sigma)
    return target.score(xt.T, sigma).T


def mala_init(position: Array, target: DensityTarget, params: SamplerParams) -> MALAState:
    sigma = params.sigmas[-1]
    return MALAState(position, target.log_prob(position, sigma), target.score(position, sigma))


def mala_step(
    rng_key: PRNGKey, state: MALAState, t: Array, target: DensityTarget, params: SamplerParams
) -> tuple[MALAState, StepInfo]:
    """Propose y = x + ε·s(x) + √(2ε)·z; accept with the Metropolis–Hastings ratio (see module docstring)."""
    z_key, u_key = jax.random.split(rng_key)
    sigma, eps = _level(t, params)
    x, lp_x, s_x = state
    y = x + eps * s_x + jnp.sqrt(2.0 * eps) * jax.random.normal(z_key, x.shape, x.dtype)
    lp_y, s_y = target.log_prob(y, sigma), target.score(y, sigma)
    log_q_xy = -jnp.sum((x - y - eps * s_y) ** 2, axis=-1) / (4.0 * eps)  # q(x | y)
    log_q_yx = -jnp.sum((y - x - eps * s_x) ** 2, axis=-1) / (4.0 * eps)  # q(y | x)
    log_alpha = lp_y - lp_x + log_q_xy - log_q_yx
    log_alpha = jnp.where(jnp.isnan(log_alpha), -jnp.inf, log_alpha)  # a non-finite proposal is rejected
    accept = jnp.log(jax.random.uniform(u_key, lp_x.shape)) < log_alpha
    pick = accept[:, None]
    new = MALAState(jnp.where(pick, y, x), jnp.where(accept, lp_y, lp_x), jnp.where(pick, s_y, s_x))
    return new, StepInfo(jnp.mean(accept.astype(x.dtype)))


@dataclasses.dataclass(frozen=True)
class Sampler:
    """A sampler: its (init, step) pair and how its settings map to :class:`SamplerParams`."""

    name: str
    description: str
    init: Callable[..., Any]
    step: Callable[..., tuple[Any, StepInfo]]
    noise: float  # the default value of the noise switch
    annealed: bool = False


SAMPLERS: dict[str, Sampler] = {
    s.name: s
    for s in [
        Sampler("ascent", "gradient ascent: x ← x + ε·s(x) (noise off)", langevin_init, langevin_step, 0.0),
        Sampler("langevin", "unadjusted Langevin: x ← x + ε·s(x) + √(2ε)·z", langevin_init, langevin_step, 1.0),
        Sampler(
            "annealed",
            "annealed Langevin over σ_max → σ_min, ε_i = ε·σ_i²/σ_L²",
            langevin_init,
            langevin_step,
            1.0,
            annealed=True,
        ),
        Sampler("mala", "Metropolis-adjusted Langevin (exact density)", mala_init, mala_step, 1.0),
    ]
}


def get_sampler(name: str) -> Sampler:
    try:
        return SAMPLERS[name]
    except KeyError:
        raise ValueError(f"unknown sampler {name!r}; choose one of: {', '.join(SAMPLERS)}") from None


def check_sigma_range(sigma_max: float, sigma_min: float) -> None:
    """The one σ-order policy: refuse σ_min > σ_max (and non-positive or non-finite σ's) with a ValueError.

    An annealing ladder runs from σ_max down to σ_min, so σ_min > σ_max has no meaning; it is refused with a
    sentence saying so, never silently clamped. Used by :func:`geometric_sigmas`, the trainer, the CLI and the app.
    """
    for name, value in (("sigma_max", sigma_max), ("sigma_min", sigma_min)):
        try:
            ok = math.isfinite(float(value)) and float(value) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    if sigma_min > sigma_max:
        raise ValueError(
            f"sigma_min ({sigma_min:g}) must be <= sigma_max ({sigma_max:g}): "
            "the noise levels run from sigma_max down to sigma_min"
        )


def geometric_sigmas(sigma_max: float, sigma_min: float, n_levels: int) -> np.ndarray:
    """The annealing σ ladder (the one noise schedule of scoredemo: samplers, training, CLI and app use it).

    σ_1 = σ_max > … > σ_L = σ_min, geometric (NCSN): σ_i = σ_max·(σ_min/σ_max)^((i−1)/(L−1)); (σ_min,) for L = 1.
    float32, shape (L,). Raises ValueError for L < 1 or a σ range refused by :func:`check_sigma_range`.
    """
    if n_levels < 1:
        raise ValueError("levels must be >= 1")
    check_sigma_range(sigma_max, sigma_min)
    if n_levels == 1:
        return np.array([sigma_min], np.float32)
    return np.geomspace(sigma_max, sigma_min, n_levels).astype(np.float32)


def make_params(
    step_size: float,
    *,
    noise: float = 1.0,
    sigmas: Any = (0.0,),
    steps_per_level: int,
    frame_power: float = 1.0,
) -> SamplerParams:
    """Pack settings as float32/int32 arrays (so every value is traced, never baked into the program)."""
    return SamplerParams(
        step_size=jnp.asarray(step_size, jnp.float32),
        noise=jnp.asarray(noise, jnp.float32),
        sigmas=jnp.asarray(np.atleast_1d(np.asarray(sigmas, np.float32))),
        steps_per_level=jnp.asarray(steps_per_level, jnp.int32),
        frame_power=jnp.asarray(frame_power, jnp.float32),
    )


def frame_bounds(n_steps: Array, n_frames: int, power: Array | float = 1.0) -> Array:
    """The step index of each recorded frame: (F,) int32, 0 first and ``n_steps`` last, non-decreasing.

    t_k = round(max(k·min(1, n/(F−1)), n·(k/(F−1))^p)). p = 1 spaces the frames evenly; p > 1 puts more of them
    early (where ascent collapses and Langevin forgets its start), never closer than one step apart while there
    are at least as many steps as frames. The step of each frame is reported, so labels stay true.
    """
    n = jnp.asarray(n_steps, jnp.float32)
    k = jnp.arange(n_frames, dtype=jnp.float32)
    u = k / (n_frames - 1)
    power = jnp.asarray(power, jnp.float32)
    linear_floor = k * jnp.minimum(1.0, n / (n_frames - 1))
    spaced = jnp.where(power == 1.0, n * k / (n_frames - 1), n * u**power)  # p = 1: exactly linspace(0, n, F)
    t = jnp.maximum(linear_floor, spaced)
    return jnp.clip(jnp.round(t), 0, n).astype(jnp.int32)


class RunResult(NamedTuple):
    """What a run returns (all device arrays).

    samples: (N, D) final positions (D = 2 for the toy densities, 64 for the digits).
    trajectory: (F, N, D) positions at F recorded steps (frame 0 = the start, frame F−1 = the end).
    frame_steps: (F,) the step index of each frame.
    diverged_at: first step (1-based) after which some particle was non-finite; −1 if none.
    acceptance_rate: mean acceptance over all steps (1 for unadjusted samplers).
    """

    samples: Array
    trajectory: Array
    frame_steps: Array
    diverged_at: Array
    acceptance_rate: Array


def run(
    rng_key: PRNGKey,
    sampler: Sampler,
    target: Target,
    position: Array,
    params: SamplerParams,
    n_steps: Array | int,
    *,
    n_frames: int,
) -> RunResult:
    """Run ``n_steps`` steps of ``sampler`` from ``position`` and record ``n_frames`` frames (spaced by
    ``params.frame_power``: :func:`frame_bounds`).

    One ``lax.scan`` over frames, each running its share of steps in a ``fori_loop``; the step count is a
    traced value, so only (particles, frames) shapes compile. The key for step t is ``fold_in(rng_key, t)``,
    so results do not depend on the number of frames. Jit it with ``sampler`` and ``n_frames`` static
    (see :func:`compiled_run`). The Langevin family (ascent, langevin, annealed) runs a loop specialised for speed
    (:func:`_run_langevin_rows`) that computes the same steps with the same keys.
    """
    if n_frames < 2:
        raise ValueError("n_frames must be >= 2 (start and end)")
    n_steps = jnp.asarray(n_steps, jnp.int32)
    bounds = frame_bounds(n_steps, n_frames, params.frame_power)
    if sampler.step is langevin_step and sampler.init is langevin_init:
        return _run_langevin_rows(rng_key, target, position, params, n_steps, bounds, n_frames)
    state = sampler.init(position, target, params)

    def one_step(t, carry):
        state, diverged_at, accepted = carry
        state, info = sampler.step(jax.random.fold_in(rng_key, t), state, t, target, params)
        return state, _track_divergence(diverged_at, t, state.position), accepted + info.acceptance_rate

    init = (state, jnp.int32(-1), jnp.zeros((), jnp.float32))
    (state, diverged_at, accepted), frames = _scan_frames(one_step, init, bounds, n_frames, lambda c: c[0].position)
    trajectory = jnp.concatenate([position[None], frames], axis=0)
    rate = accepted / jnp.maximum(n_steps, 1).astype(jnp.float32)
    return RunResult(state.position, trajectory, bounds, diverged_at, rate)


def _track_divergence(diverged_at: Array, t: Array, x: Array) -> Array:
    """The divergence rule: the first step t + 1 (1-based) after which some coordinate of x is non-finite, else −1.

    A sum is non-finite iff some coordinate is (or the total overflows, which is divergence too), so one
    reduction decides it, whatever the layout of x ((N, D) or rows (D, N)).
    """
    finite = jnp.isfinite(jnp.sum(x))
    return jnp.where((diverged_at < 0) & ~finite, t + 1, diverged_at)


def _scan_frames(
    one_step: Callable[[Array, Any], Any],
    carry: Any,
    bounds: Array,
    n_frames: int,
    frame_of: Callable[[Any], Array],
) -> tuple[Any, Array]:
    """The one loop of every run: ``lax.scan`` over frames k = 1 … F−1, each a ``fori_loop`` over its steps.

    Steps t in [bounds[k−1], bounds[k]) run ``carry = one_step(t, carry)``; ``frame_of(carry)`` is the (N, D)
    position recorded at the end of frame k (the layout hook: the Langevin driver carries rows).
    """

    def frame(carry, k):
        carry = jax.lax.fori_loop(bounds[k - 1], bounds[k], one_step, carry)
        return carry, frame_of(carry)

    return jax.lax.scan(frame, carry, jnp.arange(1, n_frames))


def _run_langevin_rows(
    rng_key: PRNGKey,
    target: Target,
    position: Array,
    params: SamplerParams,
    n_steps: Array,
    bounds: Array,
    n_frames: int,
) -> RunResult:
    """:func:`run` for the Langevin family (ascent, langevin, annealed), specialised for speed.

    The same steps, keys, loop (:func:`_scan_frames`) and divergence rule (:func:`_track_divergence`) as the
    generic path, with three differences in how they are computed (measured in devtools/bench.py):

    * particles are carried as coordinate rows xt = (D, N) (structure of arrays), transposed once on entry and
      once per recorded frame, so the score (the target's ``score_rows`` when it has one) and the update are
      elementwise on contiguous vectors;
    * the noise of step t, jax.random.normal(fold_in(key, t), (D, N)), comes from
      :func:`scoredemo._fast_noise.step_noise_fn`: on CPU the same bits, written so that XLA fuses the
      random-number generation with the update into one loop;
    * the acceptance rate is known (1), so nothing is accumulated for it.
    """
    noise = step_noise_fn(rng_key, position.shape[0], position.dtype, position.shape[1])

    def one_step(t, carry):
        xt, diverged_at = carry
        xt = _langevin_update(xt, noise(t), t, target, params)
        return xt, _track_divergence(diverged_at, t, xt)

    init = (position.T, jnp.int32(-1))
    (xt, diverged_at), frames = _scan_frames(one_step, init, bounds, n_frames, lambda c: c[0].T)
    trajectory = jnp.concatenate([position[None], frames], axis=0)
    rate = (n_steps > 0).astype(jnp.float32)  # the generic loop's Σ_t 1 / max(n_steps, 1)
    return RunResult(trajectory[-1], trajectory, bounds, diverged_at, rate)


@functools.lru_cache(maxsize=64)
def compiled_run(sampler_name: str, n_frames: int) -> Callable[..., RunResult]:
    """A jitted :func:`run` for one sampler and frame count (cached; built on first use, never at import).

    Call it as ``fn(rng_key, target, position, params, n_steps)``.
    """
    sampler = get_sampler(sampler_name)

    def fn(rng_key, target, position, params, n_steps):
        return run(rng_key, sampler, target, position, params, n_steps, n_frames=n_frames)

    return jax.jit(fn)


def frame_budget(n_particles: int, n_frames: int, dim: int = 2) -> int:
    """The number of frames to record: at most ``n_frames``, and frames × particles × dim ≤ MAX_TRAJECTORY_FLOATS."""
    fit = MAX_TRAJECTORY_FLOATS // max(1, dim * n_particles)
    return int(max(2, min(n_frames, fit)))


def noise_schedule(
    sampler: str,
    n_steps: int,
    *,
    sigma: float = 0.0,
    sigma_max: float = 20.0,
    sigma_min: float = 1.0,
    n_levels: int = 10,
) -> tuple[np.ndarray, int]:
    """(σ's, total steps) of a run: the annealing ladder (:func:`geometric_sigmas`) and L·T steps for an annealed
    sampler, where ``n_steps`` is T per level; otherwise the one fixed σ (0: the clean density) and ``n_steps``.
    The one place this is decided, for the samplers' front end, the CLI and the app."""
    if get_sampler(sampler).annealed:
        sigmas = geometric_sigmas(sigma_max, sigma_min, n_levels)
        return sigmas, int(n_steps) * len(sigmas)
    return np.array([sigma], np.float32), int(n_steps)


def uniform_init(rng_key: PRNGKey, n_particles: int, box: float) -> Array:
    """n particles uniform on the square [−box, box]² (float32)."""
    return jax.random.uniform(rng_key, (n_particles, 2), jnp.float32, -box, box)


def sample(
    rng_key: PRNGKey,
    sampler: str,
    target: Target,
    position: Array,
    *,
    n_steps: int,
    step_size: float,
    noise: float | None = None,
    sigma_max: float = 20.0,
    sigma_min: float = 1.0,
    n_levels: int = 10,
    sigma: float = 0.0,
    n_frames: int = 2,
) -> RunResult:
    """Convenience front end: build the parameters and run a (cached) compiled sampler.

    For ``annealed``, ``n_steps`` is T, the steps per level (total L·T), and σ runs geometrically from
    ``sigma_max`` to ``sigma_min`` over ``n_levels`` levels. Otherwise the score of p_σ at the fixed ``sigma``
    (default 0: the clean density) is followed. ``noise`` defaults to the sampler's own (0 for ``ascent``).
    """
    spec = get_sampler(sampler)
    sigmas, total = noise_schedule(
        sampler, n_steps, sigma=sigma, sigma_max=sigma_max, sigma_min=sigma_min, n_levels=n_levels
    )
    params = make_params(
        step_size, noise=spec.noise if noise is None else noise, sigmas=sigmas, steps_per_level=n_steps
    )
    position = jnp.asarray(position, jnp.float32)
    frames = frame_budget(position.shape[0], n_frames, position.shape[1])
    return compiled_run(sampler, frames)(rng_key, target, position, params, total)
