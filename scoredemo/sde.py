"""Score SDEs in continuous time (Song et al. 2021), exact on the mixtures: noising, reverse SDE, ODE, PC, likelihood.

Forward process dx = f(x, t) dt + g(t) dw on t ∈ [0, 1], in one of two kinds (:class:`SDE`):

* ``ve`` (NCSN in continuous time): f = 0, σ(t) = σ_min·(σ_max/σ_min)^t, g(t) = σ(t)·√(2 log(σ_max/σ_min)),
  and x_t = x₀ + σ(t)·z, so p_t = p ∗ N(0, σ(t)² I) (the convention of score_sde: p_0 is p blurred by σ_min).
* ``vp`` (DDPM in continuous time): f = −½β(t)x, g = √β(t), β(t) = β_min + t(β_max − β_min) (0.1 → 20),
  α(t) = exp(−½∫₀ᵗβ), x_t = α(t)·x₀ + √(1 − α²)·z.

Exact marginals. Both kinds are x_t = α·(x₀ + σ̃·z) with σ̃(t) = √(1 − α²)/α (VE: α = 1, σ̃ = σ(t)), hence

    p_t(x) = α⁻² · p_σ̃(x/α),    ∇ₓ log p_t(x) = s_σ̃(x/α) / α,                                        (★)

where p_σ̃ = p ∗ N(0, σ̃² I) is the noise-perturbed density every target already knows (``score(x, sigma)``).
For a :class:`~scoredemo.densities.Mixture` this is again a mixture (:meth:`SDE.marginal`): means α·μ_k,
radii α·r_k (a ring of radius r scales with x₀) and blur variances α²s_k² + 1 − α² (VP) or s_k² + σ(t)² (VE),
so every score and log-density below is exact. A learned noise-conditional model s_θ(x, σ) is used through (★)
too: for VE it is conditioned on σ(t) directly; for VP on σ̃(t) = √(e^{∫β} − 1), which runs from ≈ 0.03
(t = 10⁻³) to ≈ 150 (t = 1): far outside the ladder an NCSN model is trained on ([1, 20] by default), so VP with
a learned model runs, but its score is extrapolated outside the training σ's (no VP-trained model exists yet).

Samplers (all run from t = 1 to t_min; ``t_min`` is 0 for VE, i.e. σ_min, and 10⁻³ for VP by default), on a grid
t_k = 1 − k·(1 − t_min)/n, Δt = t_k − t_{k+1} > 0, with s = ∇ log p_t the score of the marginal (★):

* ``reverse-sde`` — Euler–Maruyama on the reverse-time SDE dx = [f − g² s] dt + g dw̄:
  x ← x − [f(x, t_k) − g(t_k)² s(x, t_k)]·Δt + g(t_k)·√Δt·z. 1 score evaluation (NFE) per step.
* ``pf-ode`` — the probability-flow ODE dx/dt = v(x, t) = f − ½g² s (deterministic, the same marginals), with
  ``solver``: ``euler`` (x ← x − v(x, t_k)Δt; 1 NFE/step), ``heun`` (x̃ = x − v(x, t_k)Δt,
  x ← x − ½[v(x, t_k) + v(x̃, t_{k+1})]Δt; 2 NFE/step) or ``adaptive`` (diffrax Tsit5 with a PID controller at
  ``rtol``/``atol``; 6 NFE per attempted step + 1, FSAL). The adaptive error norm is the RMS over all particles,
  so all particles share one step sequence (as score_sde's batched RK45 does).
* ``pc`` — predictor–corrector (score_sde's PC sampler): at each t_k, K Langevin corrector steps
  x ← x + ε·s + √(2ε)·z with the snr rule ε = 2·a·(snr·‖z‖/‖s‖)² (‖·‖ the particle-mean of per-particle norms,
  a = 1 for VE and the discrete 1 − β_k = α(t_k)²/α(t_{k+1})² for VP; snr = 0.16), then the reverse-diffusion
  predictor: the exact forward transition x_{t_k} = a·x_{t_{k+1}} + c·z (VE: a = 1, c² = σ(t_k)² − σ(t_{k+1})²;
  VP: a = α(t_k)/α(t_{k+1}), c² = 1 − a²) reversed as x ← (2 − a)·x + c²·s(x, t_k) + c·z. 1 + K NFE per step.

The stochastic samplers drop the noise of their last step (score_sde returns the last "x_mean": the denoised
output). The update convention of the Langevin corrector is the engine's x ← x + ε·s + √(2ε)·z unchanged.

Priors (:func:`init_position`): ``prior`` = the textbook N(0, σ_max² I) (VE) or N(0, I) (VP), only approximately
p_1; ``exact-prior`` = exact samples of p_1 (the data mixture pushed through the forward process). The ODE keeps
whatever its starting law gets wrong: on the NCSN toy (π = 0.2, p_1 has mean (3, 3)) the VE ODE from
N(0, 20² I) ends with too few particles in the (5, 5) mode; from the exact p_1, or with σ_max ≈ 100, it does not.

Likelihood (:func:`log_likelihood`): log p_{t_min}(x) = log p₁(x₁) + ∫_{t_min}^1 ∇·v(x_t, t) dt, integrating
d/dt (x, ℓ) = (v, ∇·v) from t_min to 1 (diffrax, adaptive). The divergence ∇·v is exact (two JVPs in 2-D).

Solver interface. A fixed-step sampler is a pure ``step(rng_key, xt, t, t_next, noise, target, sde, params)
-> (xt, nfe)`` on coordinate rows xt = (2, N) (the layout of the engine's fast score), ``noise`` ∈ {0, 1}
multiplying its injected noise; :func:`run` drives it with the engine's frame loop. Everything numeric is traced:
the target (π, weights), the :class:`SDE` (σ's, β's; its kind is static), :class:`DiffusionParams` (t_min, snr,
corrector steps, tolerances) and the step count. Only the sampler name, the solver, the SDE kind, the particle
count and the frame count compile anew. Nothing is jitted on import (:func:`compiled_run` builds on first use).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from scoredemo.densities import Mixture
from scoredemo.samplers import _scan_frames, _score_rows, check_sigma_range, frame_bounds
from scoredemo.types import Array, PRNGKey, Target

SDE_KINDS = ("ve", "vp")
SOLVERS = ("euler", "heun", "adaptive")
INITS = ("prior", "exact-prior")
#: Defaults: score_sde's (σ_min = 0.01 for VE; β 0.1 → 20 for VP); σ_max = 20 is the NCSN toy's level.
DEFAULT_SIGMA_MIN = 0.01
DEFAULT_SIGMA_MAX = 20.0
DEFAULT_BETA_MIN = 0.1
DEFAULT_BETA_MAX = 20.0
DEFAULT_SNR = 0.16
#: The adaptive solver's step budget (static: diffrax sizes its loop with it). A run that needs more stops early
#: and is reported as not finished (``DiffusionResult.finished`` False).
MAX_ODE_STEPS = 4096
#: Score evaluations per attempted Tsit5 step: 7 stages, the first equal to the previous step's last (FSAL).
_TSIT5_NFE_PER_STEP = 6


def default_t_min(kind: str) -> float:
    """Where the samplers stop: 0 for VE (σ(0) = σ_min > 0 is already a blur), 10⁻³ for VP (score_sde's ε)."""
    return 0.0 if kind == "ve" else 1e-3


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class SDE:
    """A forward noising process (a JAX pytree: the numbers are traced leaves, ``kind`` is static).

    Attributes:
        sigma_min, sigma_max: VE noise range, σ(t) = σ_min·(σ_max/σ_min)^t (unused for VP).
        beta_min, beta_max: VP linear schedule β(t) = β_min + t(β_max − β_min) (unused for VE).
        kind: "ve" or "vp".
    """

    sigma_min: Array
    sigma_max: Array
    beta_min: Array
    beta_max: Array
    kind: str = dataclasses.field(metadata=dict(static=True), default="ve")

    # ------------------------------------------------------------------ schedules (t a traced scalar in [0, 1])

    def sigma(self, t: Array) -> Array:
        """VE: σ(t) = σ_min·(σ_max/σ_min)^t. VP: the marginal standard deviation √(1 − α(t)²)."""
        if self.kind == "ve":
            return self.sigma_min * (self.sigma_max / self.sigma_min) ** t
        return jnp.sqrt(-jnp.expm1(-self._int_beta(t)))

    def beta(self, t: Array) -> Array:
        """VP: β(t) = β_min + t(β_max − β_min)."""
        return self.beta_min + t * (self.beta_max - self.beta_min)

    def _int_beta(self, t: Array) -> Array:
        """∫₀ᵗ β = β_min·t + ½(β_max − β_min)·t²."""
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t * t

    def alpha(self, t: Array) -> Array:
        """The mean factor of x_t | x₀: VE 1; VP α(t) = exp(−½∫₀ᵗβ)."""
        if self.kind == "ve":
            return jnp.ones_like(jnp.asarray(t, jnp.float32))
        return jnp.exp(-0.5 * self._int_beta(t))

    def equivalent_sigma(self, t: Array) -> Array:
        """σ̃(t) with p_t(x) = α⁻²·p_σ̃(x/α) (★): VE σ(t); VP √(1 − α²)/α = √(e^{∫β} − 1)."""
        if self.kind == "ve":
            return self.sigma(t)
        return jnp.sqrt(jnp.expm1(self._int_beta(t)))

    def drift(self, x: Array, t: Array) -> Array:
        """f(x, t): VE 0; VP −½β(t)x (any layout of x)."""
        if self.kind == "ve":
            return jnp.zeros_like(x)
        return -0.5 * self.beta(t) * x

    def diffusion(self, t: Array) -> Array:
        """g(t): VE σ(t)·√(2 log(σ_max/σ_min)) (so g² = dσ²/dt); VP √β(t)."""
        if self.kind == "ve":
            return self.sigma(t) * jnp.sqrt(2.0 * jnp.log(self.sigma_max / self.sigma_min))
        return jnp.sqrt(self.beta(t))

    # ------------------------------------------------------------------ exact marginals

    def marginal(self, mix: Mixture, t: Array) -> Mixture:
        """The exact p_t of a mixture p₀ = ``mix`` (a Mixture again; traced in t).

        VE: blur variances s_k² + σ(t)². VP: means α·μ_k, radii α·r_k, variances α²s_k² + 1 − α².
        """
        if self.kind == "ve":
            return mix.perturb(self.sigma(t))
        a = self.alpha(t)
        var = a * a * mix.scales**2 - jnp.expm1(-self._int_beta(t))
        return dataclasses.replace(mix, means=a * mix.means, radii=a * mix.radii, scales=jnp.sqrt(var))

    def forward_sample(self, rng_key: PRNGKey, x0: Array, t: Array) -> Array:
        """x_t = α(t)·x₀ + σ_t·z, z ~ N(0, I), for a batch (N, 2) (σ_t = ``sigma(t)``: the marginal std)."""
        z = jax.random.normal(rng_key, x0.shape, x0.dtype)
        return self.alpha(t) * x0 + self.sigma(t) * z

    def prior_std(self) -> Array:
        """The textbook prior's standard deviation: σ_max (VE) or 1 (VP)."""
        return self.sigma_max if self.kind == "ve" else jnp.ones_like(self.sigma_max)

    def prior_log_prob(self, x: Array) -> Array:
        """log N(x; 0, prior_std² I) for a batch (N, 2) -> (N,)."""
        var = self.prior_std() ** 2
        return -jnp.log(2.0 * jnp.pi * var) - 0.5 * jnp.sum(x * x, axis=-1) / var


def make_sde(
    kind: str,
    *,
    sigma_min: float = DEFAULT_SIGMA_MIN,
    sigma_max: float = DEFAULT_SIGMA_MAX,
    beta_min: float = DEFAULT_BETA_MIN,
    beta_max: float = DEFAULT_BETA_MAX,
) -> SDE:
    """Build an :class:`SDE` (validated). Raises ValueError for an unknown kind or a bad σ/β range."""
    if kind not in SDE_KINDS:
        raise ValueError(f"unknown sde {kind!r}; choose one of: {', '.join(SDE_KINDS)}")
    check_sigma_range(sigma_max, sigma_min)
    if kind == "ve" and not sigma_min < sigma_max:
        raise ValueError(f"ve needs sigma_min < sigma_max, got {sigma_min:g} and {sigma_max:g}")
    if not (math.isfinite(beta_min) and math.isfinite(beta_max) and 0 < beta_min <= beta_max):
        raise ValueError(f"vp needs 0 < beta_min <= beta_max, got {beta_min:g} and {beta_max:g}")
    f32 = lambda v: jnp.asarray(v, jnp.float32)
    return SDE(f32(sigma_min), f32(sigma_max), f32(beta_min), f32(beta_max), kind=kind)


# ---------------------------------------------------------------------------------------- scores of p_t


def score_rows(target: Target, sde: SDE, xt: Array, t: Array) -> Array:
    """∇ₓ log p_t on coordinate rows (2, N) -> (2, N), by (★): s_σ̃(x/α)/α (exact for a Mixture)."""
    a = sde.alpha(t)
    return _score_rows(target, xt / a, sde.equivalent_sigma(t)) / a


def score(target: Target, sde: SDE, x: Array, t: Array) -> Array:
    """∇ₓ log p_t(x) for a batch (N, 2) -> (N, 2) (the field to draw at a t slider)."""
    return score_rows(target, sde, x.T, t).T


def log_prob(mix: Mixture, sde: SDE, x: Array, t: Array) -> Array:
    """Exact log p_t(x) of a mixture for a batch (N, 2) -> (N,)."""
    return sde.marginal(mix, t).log_prob(x)


def velocity_rows(target: Target, sde: SDE, xt: Array, t: Array) -> Array:
    """The probability-flow velocity v = f − ½g²·∇log p_t on rows (2, N) (dx/dt; the ODE runs it backwards)."""
    g = sde.diffusion(t)
    return sde.drift(xt, t) - 0.5 * g * g * score_rows(target, sde, xt, t)


# ------------------------------------------------------------------------------------------- samplers


class DiffusionParams(NamedTuple):
    """Traced sampler settings (changing their values never recompiles).

    t_min: where the samplers stop (0 for VE = σ_min; 10⁻³ for VP).
    snr: the PC corrector's signal-to-noise ratio (0.16).
    corrector_steps: K, Langevin corrector steps per level (PC; 1).
    rtol, atol: the adaptive ODE solver's tolerances.
    """

    t_min: Array
    snr: Array
    corrector_steps: Array
    rtol: Array
    atol: Array


def make_params(
    kind: str,
    *,
    t_min: float | None = None,
    snr: float = DEFAULT_SNR,
    corrector_steps: int = 1,
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> DiffusionParams:
    """Pack settings as float32/int32 arrays; ``t_min`` defaults to :func:`default_t_min` of the SDE kind."""
    t_min = default_t_min(kind) if t_min is None else t_min
    if not 0.0 <= t_min < 1.0:
        raise ValueError(f"t_min must be in [0, 1), got {t_min:g}")
    if not (math.isfinite(snr) and snr > 0):
        raise ValueError(f"snr must be > 0, got {snr:g}")
    if corrector_steps < 0:
        raise ValueError(f"corrector steps must be >= 0, got {corrector_steps}")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be > 0, got {value:g}")
    f32 = lambda v: jnp.asarray(v, jnp.float32)
    return DiffusionParams(f32(t_min), f32(snr), jnp.asarray(corrector_steps, jnp.int32), f32(rtol), f32(atol))


def _normal_rows(rng_key: PRNGKey, xt: Array) -> Array:
    return jax.random.normal(rng_key, xt.shape, xt.dtype)


def reverse_sde_step(rng_key, xt, t, t_next, noise, target, sde, params):
    """Euler–Maruyama: x ← x − [f − g²s](x, t)·Δt + noise·g(t)·√Δt·z. Returns (xt, nfe = 1)."""
    dt = t - t_next
    g = sde.diffusion(t)
    drift = sde.drift(xt, t) - g * g * score_rows(target, sde, xt, t)
    return xt - drift * dt + (noise * g * jnp.sqrt(dt)) * _normal_rows(rng_key, xt), jnp.int32(1)


def ode_euler_step(rng_key, xt, t, t_next, noise, target, sde, params):
    """Euler on the probability-flow ODE: x ← x − v(x, t)·Δt. Returns (xt, nfe = 1)."""
    return xt - velocity_rows(target, sde, xt, t) * (t - t_next), jnp.int32(1)


def ode_heun_step(rng_key, xt, t, t_next, noise, target, sde, params):
    """Heun (explicit trapezoid): x̃ = x − v(x, t)Δt, x ← x − ½[v(x, t) + v(x̃, t_next)]Δt. (xt, nfe = 2)."""
    dt = t - t_next
    v = velocity_rows(target, sde, xt, t)
    v_next = velocity_rows(target, sde, xt - v * dt, t_next)
    return xt - 0.5 * (v + v_next) * dt, jnp.int32(2)


def _transition(sde: SDE, t: Array, t_next: Array) -> tuple[Array, Array]:
    """(a, c²) of the exact forward transition x_t = a·x_{t_next} + c·z (VE: 1, σ_t² − σ_next²; VP: α ratio)."""
    if sde.kind == "ve":
        return jnp.ones(()), sde.sigma(t) ** 2 - sde.sigma(t_next) ** 2
    a = sde.alpha(t) / sde.alpha(t_next)
    return a, 1.0 - a * a


def pc_step(rng_key, xt, t, t_next, noise, target, sde, params):
    """K Langevin corrector steps at t (snr rule), then the reverse-diffusion predictor to t_next. (xt, 1 + K)."""
    a, c2 = _transition(sde, t, t_next)
    corrector_alpha = a * a  # score_sde's α_i = 1 − β_i (1 for VE)
    keys = jax.random.split(rng_key, 2)

    def correct(j, xt):
        s = score_rows(target, sde, xt, t)
        z = _normal_rows(jax.random.fold_in(keys[0], j), xt)
        s_norm = jnp.mean(jnp.sqrt(jnp.sum(s * s, axis=0)))
        z_norm = jnp.mean(jnp.sqrt(jnp.sum(z * z, axis=0)))
        eps = 2.0 * corrector_alpha * (params.snr * z_norm / jnp.maximum(s_norm, 1e-30)) ** 2
        return xt + eps * s + jnp.sqrt(2.0 * eps) * z

    xt = jax.lax.fori_loop(0, params.corrector_steps, correct, xt)
    s = score_rows(target, sde, xt, t)
    xt = (2.0 - a) * xt + c2 * s + (noise * jnp.sqrt(c2)) * _normal_rows(keys[1], xt)
    return xt, 1 + params.corrector_steps


@dataclasses.dataclass(frozen=True)
class DiffusionSampler:
    """A registered sampler: its fixed-step ``step`` for each solver it offers (``adaptive``: diffrax)."""

    name: str
    description: str
    steps: dict[str, Callable[..., tuple[Array, Array]]]

    @property
    def solvers(self) -> tuple[str, ...]:
        return tuple(self.steps) + (("adaptive",) if self.name == "pf-ode" else ())


DIFFUSION_SAMPLERS: dict[str, DiffusionSampler] = {
    s.name: s
    for s in [
        DiffusionSampler(
            "reverse-sde", "Euler–Maruyama on the reverse-time SDE dx = [f − g²s]dt + g dw̄", {"euler": reverse_sde_step}
        ),
        DiffusionSampler(
            "pf-ode",
            "the probability-flow ODE dx/dt = f − ½g²s (Euler, Heun or adaptive Tsit5)",
            {"euler": ode_euler_step, "heun": ode_heun_step},
        ),
        DiffusionSampler(
            "pc", "predictor–corrector: reverse diffusion + Langevin corrector (snr rule)", {"euler": pc_step}
        ),
    ]
}


def get_sampler(name: str) -> DiffusionSampler:
    try:
        return DIFFUSION_SAMPLERS[name]
    except KeyError:
        raise ValueError(f"unknown sampler {name!r}; choose one of: {', '.join(DIFFUSION_SAMPLERS)}") from None


def check_solver(sampler: str, solver: str) -> str:
    """The solver a sampler runs with: pf-ode takes euler | heun | adaptive; the SDE samplers only euler."""
    spec = get_sampler(sampler)
    if solver not in spec.solvers:
        raise ValueError(f"sampler {sampler} has no solver {solver!r}; choose one of: {', '.join(spec.solvers)}")
    return solver


class DiffusionResult(NamedTuple):
    """What a diffusion run returns (device arrays).

    samples: (N, 2) final positions (at t_min).
    trajectory: (F, N, 2) positions at F recorded times (frame 0 = the start at t = 1, frame F−1 = the end).
    frame_times: (F,) the time t of each frame (1 … t_min, decreasing).
    nfe: score evaluations per particle over the run (int32).
    n_steps: solver steps taken (the step count; adaptive: accepted steps).
    finished: False when the adaptive solver ran out of its step budget (MAX_ODE_STEPS) before t_min.
    """

    samples: Array
    trajectory: Array
    frame_times: Array
    nfe: Array
    n_steps: Array
    finished: Array


def _times(k: Array, n_steps: Array, t_min: Array) -> Array:
    """t_k = 1 − k·(1 − t_min)/n (float32)."""
    return 1.0 - k.astype(jnp.float32) * (1.0 - t_min) / jnp.maximum(n_steps, 1).astype(jnp.float32)


def run(
    rng_key: PRNGKey,
    sampler: str,
    target: Target,
    sde: SDE,
    position: Array,
    params: DiffusionParams,
    n_steps: Array | int,
    *,
    solver: str = "euler",
    n_frames: int = 2,
) -> DiffusionResult:
    """Run a diffusion sampler from ``position`` (N, 2) at t = 1 down to ``params.t_min``.

    Fixed-step solvers take ``n_steps`` (traced) steps and record ``n_frames`` evenly spaced frames (one
    ``lax.scan`` over frames, a ``fori_loop`` over steps; the key of step k is ``fold_in(rng_key, k)``).
    ``solver="adaptive"`` (pf-ode only) ignores ``n_steps`` and integrates with diffrax (:func:`ode_solve`),
    recording frames at evenly spaced t. Jit with sampler, solver and n_frames static (:func:`compiled_run`).
    """
    if n_frames < 2:
        raise ValueError("n_frames must be >= 2 (start and end)")
    check_solver(sampler, solver)
    position = jnp.asarray(position, jnp.float32)
    t_min = params.t_min
    if solver == "adaptive":
        # Evenly spaced save times, clipped so rounding never puts one outside [t_min, 1] (diffrax checks).
        ts = jnp.clip(1.0 + (t_min - 1.0) * jnp.linspace(0.0, 1.0, n_frames), t_min, 1.0)
        sol = ode_solve(target, sde, position, 1.0, t_min, params, save_times=ts)
        return DiffusionResult(sol.ys[-1], sol.ys, ts, sol.nfe, sol.n_steps, sol.finished)

    step = get_sampler(sampler).steps[solver]
    n_steps = jnp.asarray(n_steps, jnp.int32)
    bounds = frame_bounds(n_steps, n_frames)

    def one_step(k, carry):
        xt, nfe = carry
        t, t_next = _times(k, n_steps, t_min), _times(k + 1, n_steps, t_min)
        noise = jnp.where(k == n_steps - 1, 0.0, 1.0)  # the last step returns the noise-free mean (score_sde)
        xt, used = step(jax.random.fold_in(rng_key, k), xt, t, t_next, noise, target, sde, params)
        return xt, nfe + used

    init = (position.T, jnp.int32(0))
    (xt, nfe), frames = _scan_frames(one_step, init, bounds, n_frames, lambda c: c[0].T)
    trajectory = jnp.concatenate([position[None], frames], axis=0)
    times = _times(bounds, n_steps, t_min)
    return DiffusionResult(trajectory[-1], trajectory, times, nfe, n_steps, jnp.bool_(True))


@functools.lru_cache(maxsize=64)
def compiled_run(sampler: str, solver: str, n_frames: int) -> Callable[..., DiffusionResult]:
    """A jitted :func:`run` (cached; built on first use). Call ``fn(rng_key, target, sde, position, params,
    n_steps)``; every argument is traced (a new π, σ_max, t_min, snr, tolerance or step count reuses it)."""
    check_solver(sampler, solver)

    def fn(rng_key, target, sde, position, params, n_steps):
        return run(rng_key, sampler, target, sde, position, params, n_steps, solver=solver, n_frames=n_frames)

    return jax.jit(fn)


# ---------------------------------------------------------------------------------------- priors


def init_position(rng_key: PRNGKey, sde: SDE, n_particles: int, *, init: str = "prior", mixture: Mixture | None = None):
    """Starting particles at t = 1: (N, 2) float32.

    ``prior``: the textbook N(0, σ_max² I) (VE) or N(0, I) (VP). ``exact-prior``: exact samples of p_1 of
    ``mixture`` (x₀ ~ p, then x_1 = α(1)x₀ + σ_1 z; needs the mixture, also when the target is a learned model).
    """
    if init == "prior":
        return sde.prior_std() * jax.random.normal(rng_key, (n_particles, 2), jnp.float32)
    if init == "exact-prior":
        if mixture is None:
            raise ValueError("init 'exact-prior' needs the density's mixture")
        x_key, z_key = jax.random.split(rng_key)
        return sde.forward_sample(z_key, mixture.sample(x_key, n_particles), jnp.float32(1.0))
    raise ValueError(f"unknown init {init!r}; choose one of: {', '.join(INITS)}")


# ------------------------------------------------------------------------------ adaptive ODE (diffrax)


class ODESolution(NamedTuple):
    """ys: (F, N, 2) states at ``save_times`` (the last = the end); nfe, n_steps (accepted), finished (bool)."""

    ys: Array
    nfe: Array
    n_steps: Array
    finished: Array


def _diffrax():
    import diffrax  # imported on use: the Langevin-only engine does not need it

    return diffrax


def ode_solve(
    target: Target,
    sde: SDE,
    position: Array,
    t0: Array | float,
    t1: Array | float,
    params: DiffusionParams,
    *,
    save_times: Array | None = None,
) -> ODESolution:
    """Integrate the probability-flow ODE dx/dt = v(x, t) from t0 to t1 (either direction) with diffrax Tsit5
    and a PID step-size controller at ``params.rtol``/``atol``, on rows (2, N). Saves at ``save_times``
    (default: t1 only). NFE = 1 + 6·(accepted + rejected steps)."""
    dfx = _diffrax()
    t0 = jnp.asarray(t0, jnp.float32)
    t1 = jnp.asarray(t1, jnp.float32)
    ts = t1[None] if save_times is None else jnp.asarray(save_times, jnp.float32)
    term = dfx.ODETerm(lambda t, y, args: velocity_rows(args[0], args[1], y, t))
    sol = dfx.diffeqsolve(
        term,
        dfx.Tsit5(),
        t0=t0,
        t1=t1,
        dt0=(t1 - t0) / 64.0,
        y0=jnp.asarray(position, jnp.float32).T,
        args=(target, sde),
        saveat=dfx.SaveAt(ts=ts),
        stepsize_controller=dfx.PIDController(rtol=params.rtol, atol=params.atol),
        max_steps=MAX_ODE_STEPS,
        throw=False,
    )
    ys = jnp.swapaxes(sol.ys, 1, 2)  # (F, 2, N) -> (F, N, 2)
    attempted = sol.stats["num_accepted_steps"] + sol.stats["num_rejected_steps"]
    nfe = 1 + _TSIT5_NFE_PER_STEP * attempted
    return ODESolution(ys, nfe.astype(jnp.int32), sol.stats["num_accepted_steps"], sol.result == dfx.RESULTS.successful)


# ------------------------------------------------------------------------------------------ likelihood


class LikelihoodResult(NamedTuple):
    """log_likelihood: (N,) log p_{t_min}(x) by the ODE; x1: (N, 2) the points carried to t = 1;
    prior_log_prob: (N,) log p₁(x₁); delta: (N,) ∫ ∇·v dt; nfe: vector-field evaluations (each one score and
    two JVPs); finished: False if the step budget ran out."""

    log_likelihood: Array
    x1: Array
    prior_log_prob: Array
    delta: Array
    nfe: Array
    finished: Array


def _divergence_rows(target: Target, sde: SDE, xt: Array, t: Array) -> tuple[Array, Array]:
    """(v, ∇·v) on rows: v (2, N) and the exact per-particle divergence (N,) = Σ_i ∂v_i/∂x_i by two JVPs
    (particles are independent, so a tangent e_i on every particle gives each particle's column J e_i)."""
    f = lambda y: velocity_rows(target, sde, y, t)
    e0 = jnp.zeros_like(xt).at[0].set(1.0)
    v, j0 = jax.jvp(f, (xt,), (e0,))
    _, j1 = jax.jvp(f, (xt,), (1.0 - e0,))
    return v, j0[0] + j1[1]


def log_likelihood(
    target: Target,
    sde: SDE,
    x: Array,
    params: DiffusionParams,
    *,
    prior: str = "exact",
    mixture: Mixture | None = None,
) -> LikelihoodResult:
    """log p_{t_min}(x) by the probability-flow ODE and the instantaneous change of variables.

    Along the ODE, d log p_t(x_t)/dt = −∇·v(x_t, t), so

        log p_{t_min}(x) = log p₁(x₁) + ∫_{t_min}^1 ∇·v(x_t, t) dt,

    with (x_t, ∫∇·v) integrated together from t_min to 1 by diffrax (Tsit5, PID at rtol/atol). ``prior``:
    ``exact`` uses the exact log p₁ of ``mixture`` (default: the target, which must then be a Mixture),
    ``textbook`` the prior N(0, σ_max² I) / N(0, I). Compare with the exact :func:`log_prob` at t_min.
    """
    if prior not in ("exact", "textbook"):
        raise ValueError(f"unknown prior {prior!r}; choose exact or textbook")
    if prior == "exact":
        mixture = target if mixture is None else mixture
        if not isinstance(mixture, Mixture):
            raise ValueError("the exact prior needs the density's mixture")
    dfx = _diffrax()
    x = jnp.asarray(x, jnp.float32)

    def field(t, y, args):
        target, sde = args
        v, div = _divergence_rows(target, sde, y[0], t)
        return v, div

    y0 = (x.T, jnp.zeros(x.shape[0], jnp.float32))
    sol = dfx.diffeqsolve(
        dfx.ODETerm(field),
        dfx.Tsit5(),
        t0=params.t_min,
        t1=jnp.float32(1.0),
        dt0=(1.0 - params.t_min) / 64.0,
        y0=y0,
        args=(target, sde),
        stepsize_controller=dfx.PIDController(rtol=params.rtol, atol=params.atol),
        max_steps=MAX_ODE_STEPS,
        throw=False,
    )
    x1 = sol.ys[0][-1].T
    delta = sol.ys[1][-1]
    lp1 = sde.prior_log_prob(x1) if prior == "textbook" else log_prob(mixture, sde, x1, jnp.float32(1.0))
    attempted = sol.stats["num_accepted_steps"] + sol.stats["num_rejected_steps"]
    nfe = (1 + _TSIT5_NFE_PER_STEP * attempted).astype(jnp.int32)
    return LikelihoodResult(lp1 + delta, x1, lp1, delta, nfe, sol.result == dfx.RESULTS.successful)


@functools.lru_cache(maxsize=8)
def compiled_log_likelihood(prior: str = "exact") -> Callable[..., LikelihoodResult]:
    """A jitted :func:`log_likelihood`: ``fn(target, sde, x, params, mixture)`` (mixture may be None)."""

    def fn(target, sde, x, params, mixture):
        return log_likelihood(target, sde, x, params, prior=prior, mixture=mixture)

    return jax.jit(fn)


def sample(
    rng_key: PRNGKey,
    sampler: str,
    target: Target,
    sde: SDE,
    *,
    n_particles: int,
    n_steps: int = 500,
    solver: str = "euler",
    init: str = "prior",
    mixture: Mixture | None = None,
    n_frames: int = 2,
    **params: Any,
) -> DiffusionResult:
    """Convenience front end: the starting particles (:func:`init_position`, key split off ``rng_key``), the
    traced parameters (:func:`make_params`, keyword ``params``) and a cached compiled run. ``mixture`` defaults
    to the target when it is a Mixture (needed for ``exact-prior``)."""
    init_key, run_key = jax.random.split(rng_key)
    if mixture is None and isinstance(target, Mixture):
        mixture = target
    x0 = init_position(init_key, sde, n_particles, init=init, mixture=mixture)
    packed = make_params(sde.kind, **params)
    return compiled_run(sampler, solver, n_frames)(run_key, target, sde, x0, packed, jnp.int32(n_steps))
