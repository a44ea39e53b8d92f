"""Exact 2-D toy densities: mixtures of Gaussian-blurred circles, closed under Gaussian noise.

Every density here is a mixture p(x) = Σ_k w_k q_k(x) whose component q_k is a point or a circle of
radius r_k around μ_k, blurred by N(0, s_k² I):

    q_k(x) = exp(−(ρ − r_k)² / (2 s_k²)) · I0e(ρ r_k / s_k²) / (2π s_k²),    ρ = ‖x − μ_k‖,

(I0e(z) = e^{−z} I0(z) is the scaled modified Bessel function). With r_k = 0 this is the Gaussian N(μ_k, s_k² I);
with r_k > 0 it is the uniform distribution on the circle convolved with the Gaussian, which is what a thin ring is.
Because the family is closed under convolution with Gaussians, the noise-perturbed density
p_σ = p ∗ N(0, σ² I) is exact: the same mixture with s_k² replaced by s_k² + σ².

The score s(x) = ∇ₓ log p(x) is the closed form Σ_k r_k(x) (μ_k − x)/s_k² for Gaussian-only mixtures and
``jax.grad`` of the exact log-density for rings; tests check both against the analytic formulas (Gaussians and the
radial Bessel formula).

Components are grouped into *modes* (e.g. the two moons, the eight squares of a checkerboard): mode weights are
sums of component weights, and a point belongs to the mode with the largest posterior responsibility.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from scoredemo.types import Array, PRNGKey

_LOG_2PI = math.log(2.0 * math.pi)
#: Up to this many components the closed-form score unrolls its sum over components (see Mixture.score_rows).
_UNROLL_COMPONENTS = 16


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Mixture:
    """A mixture of Gaussian-blurred circles (a JAX pytree: values are leaves, so changing π never recompiles).

    Attributes:
        means: (K, 2) centres μ_k.
        radii: (K,) circle radii r_k (0 for a Gaussian component).
        scales: (K,) blur standard deviations s_k > 0.
        log_weights: (K,) log w_k, normalised (logsumexp = 0).
        mode_onehot: (K, M) 1 where component k belongs to mode m.
        curved: static; False when every radius is 0 (skips the Bessel terms).
    """

    means: Array
    radii: Array
    scales: Array
    log_weights: Array
    mode_onehot: Array
    curved: bool = dataclasses.field(metadata=dict(static=True), default=False)

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    @property
    def n_modes(self) -> int:
        return self.mode_onehot.shape[1]

    def perturb(self, sigma: Array | float) -> Mixture:
        """p_σ = p ∗ N(0, σ²I): every blur variance s_k² becomes s_k² + σ² (exact)."""
        scales = jnp.sqrt(self.scales**2 + jnp.asarray(sigma, jnp.float32) ** 2)
        return dataclasses.replace(self, scales=scales)

    def component_log_probs(self, x: Array) -> Array:
        """log w_k + log q_k(x) for a batch: (N, 2) -> (N, K) (computed on coordinate rows, see below)."""
        return self._component_log_probs_rows(x.T).T

    def log_prob(self, x: Array, sigma: Array | float = 0.0) -> Array:
        """log p_σ(x) for a batch (N, 2) -> (N,); σ = 0 is the clean density.

        On coordinate rows, as the score: on (N, 2) rows with (N, K) intermediates it took 37 ms against 5 ms for
        10 400 points of a 256-Gaussian drawing (scene 1's field, measured)."""
        mix = self if _is_zero(sigma) else self.perturb(sigma)
        return jax.nn.logsumexp(mix._component_log_probs_rows(x.T), axis=0)

    def score(self, x: Array, sigma: Array | float = 0.0) -> Array:
        """s(x) = ∇ₓ log p_σ(x) for a batch (N, 2) -> (N, 2).

        Gaussian-only mixtures use the closed form Σ_k P(k|x)·(μ_k − x)/s_k²; curved ones ``jax.grad`` of the exact
        log-density. Both are computed on coordinate rows (see :meth:`score_rows`).
        """
        return self.score_rows(x.T, sigma).T

    # Speed: the samplers keep particles as coordinate rows xt = (2, N) (structure of arrays). Every operation
    # below is then elementwise on contiguous length-N vectors, which XLA fuses into one vectorised loop
    # together with the sampler's update; on (N, 2) rows with (N, K) intermediates the same maths ran ~4x slower.

    def _component_log_probs_rows(self, xt: Array) -> Array:
        """log w_k + log q_k(x) on coordinate rows: (2, N) -> (K, N) (the transpose of component_log_probs)."""
        dx = xt[0][None, :] - self.means[:, 0:1]
        dy = xt[1][None, :] - self.means[:, 1:2]
        d2 = dx * dx + dy * dy
        var = (self.scales**2)[:, None]
        log_norm = (self.log_weights - _LOG_2PI - jnp.log(self.scales**2))[:, None]
        if not self.curved:
            return log_norm - 0.5 * d2 / var
        positive = d2 > 0
        rho = jnp.where(positive, jnp.sqrt(jnp.where(positive, d2, 1.0)), 0.0)
        z = rho * self.radii[:, None] / var
        return log_norm - 0.5 * (rho - self.radii[:, None]) ** 2 / var + jnp.log(jax.lax.bessel_i0e(z))

    def score_rows(self, xt: Array, sigma: Array | float = 0.0) -> Array:
        """s_σ on coordinate rows: (2, N) -> (2, N), equal to ``score(xt.T, sigma).T`` (the samplers' fast layout).

        Gaussian-only (not curved): s(x) = Σ_k r_k(x)·(μ_k − x)/v_k with v_k = s_k² + σ² and responsibilities
        r = softmax_k(log w_k − log(2π v_k) − ‖x − μ_k‖²/(2 v_k)): one exp per component and particle, no autodiff
        tape. ‖x − μ_k‖² is formed explicitly (not expanded into a linear form), so a run-away particle overflows
        (and is reported as diverged) exactly where the log-density itself overflows. For a few components the sum
        over k is unrolled so that everything stays elementwise in N; for many it is a (K, N) reduction.
        Curved mixtures: ``jax.grad`` of Σ logsumexp_k, on the same rows.
        """
        mix = self if _is_zero(sigma) else self.perturb(sigma)
        if mix.curved:
            return jax.grad(lambda y: jnp.sum(jax.nn.logsumexp(mix._component_log_probs_rows(y), axis=0)))(xt)
        var = mix.scales**2
        inv_var = 1.0 / var
        log_norm = mix.log_weights - _LOG_2PI - jnp.log(var)
        if mix.n_components <= _UNROLL_COMPONENTS:
            logits = [
                log_norm[k] - (0.5 * inv_var[k]) * ((mix.means[k, 0] - xt[0]) ** 2 + (mix.means[k, 1] - xt[1]) ** 2)
                for k in range(mix.n_components)
            ]
            top = functools.reduce(jnp.maximum, logits)
            # e_k = exp(l_k − max_l) is materialised once as (K, N) (the barrier keeps XLA from either recomputing
            # the exps for each output coordinate or splitting them into one loop per component); the rest of the
            # score then fuses, elementwise, into the sampler's update.
            e = jax.lax.optimization_barrier(jnp.stack([jnp.exp(lg - top) for lg in logits]))
            total = functools.reduce(jnp.add, [e[k] for k in range(mix.n_components)])
            weighted = [(e[k] * inv_var[k])[None] * (mix.means[k][:, None] - xt) for k in range(mix.n_components)]
            return functools.reduce(jnp.add, weighted) / total[None]
        d = mix.means[:, :, None] - xt[None, :, :]  # (K, 2, N)
        logits = log_norm[:, None] - (0.5 * inv_var)[:, None] * jnp.sum(d * d, axis=1)
        e = jnp.exp(logits - jnp.max(logits, axis=0, keepdims=True))  # (K, N)
        return jnp.einsum("kn,kcn->cn", e * inv_var[:, None], d) / jnp.sum(e, axis=0)

    def responsibilities(self, x: Array) -> Array:
        """Posterior component probabilities P(k | x): (N, 2) -> (N, K)."""
        return jax.nn.softmax(self.component_log_probs(x), axis=-1)

    def mode_responsibilities(self, x: Array) -> Array:
        """Posterior mode probabilities P(m | x): (N, 2) -> (N, M)."""
        return self.responsibilities(x) @ self.mode_onehot

    def assign_modes(self, x: Array) -> Array:
        """Index of the most responsible mode for each point: (N, 2) -> (N,) int32."""
        return jnp.argmax(self.mode_responsibilities(x), axis=-1).astype(jnp.int32)

    def mode_weights(self) -> Array:
        """Mixture weight of each mode (sums of component weights): (M,)."""
        return jnp.exp(self.log_weights) @ self.mode_onehot

    def sample(self, rng_key: PRNGKey, n: int) -> Array:
        """n exact samples: pick k ~ w, an angle θ ~ U(0, 2π), then μ_k + r_k (cos θ, sin θ) + s_k z."""
        k_key, a_key, z_key = jax.random.split(rng_key, 3)
        k = jax.random.categorical(k_key, self.log_weights, shape=(n,))
        theta = jax.random.uniform(a_key, (n,), maxval=2.0 * jnp.pi)
        ring = self.radii[k, None] * jnp.stack([jnp.cos(theta), jnp.sin(theta)], axis=-1)
        z = jax.random.normal(z_key, (n, 2))
        return (self.means[k] + ring + self.scales[k, None] * z).astype(jnp.float32)


def _is_zero(sigma: Array | float) -> bool:
    return isinstance(sigma, (int, float)) and sigma == 0


def mixture(
    means: Any,
    scales: Any,
    weights: Any,
    *,
    radii: Any = None,
    modes: Any = None,
    pad_to: int | None = None,
) -> Mixture:
    """Build a :class:`Mixture` from plain numbers (validated; weights are normalised).

    Args:
        means: (K, 2) component centres.
        scales: (K,) or scalar blur standard deviations (> 0).
        weights: (K,) non-negative weights, not all zero.
        radii: (K,) circle radii (>= 0); default all 0 (Gaussians).
        modes: (K,) integer mode label of each component; default one mode per component.
        pad_to: append zero-weight components up to this many (as :func:`pad_mixture`, built on the host so
            that no array of the unpadded size ever reaches the device).
    """
    means = np.asarray(means, dtype=np.float64).reshape(-1, 2)
    k = means.shape[0]
    scales = np.broadcast_to(np.asarray(scales, dtype=np.float64), (k,))
    weights = np.broadcast_to(np.asarray(weights, dtype=np.float64), (k,))
    radii = np.zeros(k) if radii is None else np.broadcast_to(np.asarray(radii, dtype=np.float64), (k,))
    modes = np.arange(k) if modes is None else np.asarray(modes, dtype=np.int64).reshape(k)
    if k == 0:
        raise ValueError("a mixture needs at least one component")
    for name, arr in (("means", means), ("scales", scales), ("weights", weights), ("radii", radii)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"mixture {name} must be finite numbers")
    if np.any(scales <= 0):
        raise ValueError("mixture scales must be > 0")
    if np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError("mixture weights must be >= 0 and not all zero")
    if np.any(radii < 0):
        raise ValueError("mixture radii must be >= 0")
    _, mode_index = np.unique(modes, return_inverse=True)
    onehot = np.eye(mode_index.max() + 1)[mode_index]
    with np.errstate(divide="ignore"):
        log_w = np.log(weights / weights.sum())
    log_w = np.maximum(log_w, -1e30)
    if pad_to is not None:  # zero-weight padding on the host (see pad_mixture): every array has the padded shape
        extra = int(pad_to) - k
        if extra < 0:
            raise ValueError(f"cannot pad a {k}-component mixture down to {pad_to}")
        means = np.concatenate([means, np.zeros((extra, 2))])
        radii = np.concatenate([radii, np.zeros(extra)])
        scales = np.concatenate([scales, np.ones(extra)])
        log_w = np.concatenate([log_w, np.full(extra, -1e30)])
        onehot = np.concatenate([onehot, np.zeros((extra, onehot.shape[1]))])
    # cast on the host: jnp.asarray of a new shape or dtype would otherwise compile a small program per size
    f32 = lambda a: jnp.asarray(np.asarray(a, np.float32))  # noqa: E731
    return Mixture(
        means=f32(means),
        radii=f32(radii),
        scales=f32(scales),
        log_weights=f32(log_w),
        # padded (drawn) mixtures keep their (K, M) mode matrix on the host: M changes with every drawn bump, and
        # putting a new shape on the device compiles; jitted programs take it as an argument like any leaf
        mode_onehot=np.asarray(onehot, np.float32) if pad_to is not None else f32(onehot),
        curved=bool(np.any(radii > 0)),
    )


def pad_mixture(mix: Mixture, n_components: int) -> Mixture:
    """The same density with zero-weight components appended up to ``n_components`` (log w = −1e30, as
    :func:`mixture` stores a zero weight): p, its score, p_σ, samples and mode weights are unchanged, and every
    mixture padded to the same size has the same array shapes, so a compiled program is reused (a drawn density
    gains a component per click without a recompilation). Padding rows belong to no mode (zero rows of
    ``mode_onehot``)."""
    k = mix.n_components
    if n_components < k:
        raise ValueError(f"cannot pad a {k}-component mixture down to {n_components}")
    extra = n_components - k
    if extra == 0:
        return mix

    def grow(a: Array, fill: float) -> Array:  # in numpy: eager jnp ops would compile once per new size
        a = np.asarray(a)
        return jnp.asarray(np.concatenate([a, np.full((extra, *a.shape[1:]), fill, a.dtype)]))

    return Mixture(
        means=grow(mix.means, 0.0),
        radii=grow(mix.radii, 0.0),
        scales=grow(mix.scales, 1.0),
        log_weights=grow(mix.log_weights, -1e30),
        mode_onehot=grow(mix.mode_onehot, 0.0),
        curved=mix.curved,
    )


# --------------------------------------------------------------------------------------------- registry


@dataclasses.dataclass(frozen=True)
class Param:
    """A named, bounded density parameter (what the CLI flags and the app sliders expose)."""

    default: float
    low: float
    high: float
    help: str
    open_low: bool = False  # True when `low` itself is not allowed (π in (0, 1))
    open_high: bool = False

    def check(self, name: str, value: float) -> float:
        value = float(value)
        too_low = value <= self.low if self.open_low else value < self.low
        too_high = value >= self.high if self.open_high else value > self.high
        if not math.isfinite(value) or too_low or too_high:
            lo, hi = ("(" if self.open_low else "["), (")" if self.open_high else "]")
            raise ValueError(f"{name} must be in {lo}{self.low:g}, {self.high:g}{hi}, got {value:g}")
        return value


@dataclasses.dataclass(frozen=True)
class Density:
    """A named density: the exact :class:`Mixture`, its plotting box [−box, box]² and its parameters."""

    name: str
    mixture: Mixture
    box: float
    params: Mapping[str, float]
    description: str

    def log_prob(self, x: Array, sigma: Array | float = 0.0) -> Array:
        return self.mixture.log_prob(x, sigma)

    def score(self, x: Array, sigma: Array | float = 0.0) -> Array:
        return self.mixture.score(x, sigma)

    def sample(self, rng_key: PRNGKey, n: int) -> Array:
        return self.mixture.sample(rng_key, n)

    def perturb(self, sigma: float) -> Density:
        return dataclasses.replace(self, mixture=self.mixture.perturb(sigma))

    @property
    def true_weights(self) -> np.ndarray:
        return np.asarray(self.mixture.mode_weights(), dtype=np.float64)


@dataclasses.dataclass(frozen=True)
class DensitySpec:
    name: str
    description: str
    build: Callable[..., tuple[Mixture, float]]
    params: Mapping[str, Param]


_PI = Param(0.5, 0.0, 1.0, "weight π of the first mode", open_low=True, open_high=True)


def _two_modes(pi: float, separation: float) -> tuple[Mixture, float]:
    half = separation / 2.0
    return mixture([[-half, 0.0], [half, 0.0]], 1.0, [pi, 1.0 - pi]), half + 4.0


def _ncsn_mixture(pi: float) -> tuple[Mixture, float]:
    return mixture([[-5.0, -5.0], [5.0, 5.0]], 1.0, [pi, 1.0 - pi]), 8.0


def _disjoint(pi: float) -> tuple[Mixture, float]:
    # Two narrow Gaussians 16 standard deviations apart: inside either support the other component's
    # responsibility underflows float32 (≤ e^-80), so ∇ log p there is exactly ∇ log p_k, whatever π is.
    return mixture([[-4.0, 0.0], [4.0, 0.0]], 0.5, [pi, 1.0 - pi]), 6.0


def _gaussian(scale: float) -> tuple[Mixture, float]:
    return mixture([[1.0, -0.5]], scale, [1.0]), 1.0 + 4.0 * scale


def _ring(radius: float, thickness: float) -> tuple[Mixture, float]:
    return mixture([[0.0, 0.0]], thickness, [1.0], radii=[radius]), radius + max(1.5, 4.0 * thickness)


def _eight_gaussians() -> tuple[Mixture, float]:
    angles = np.arange(8) * np.pi / 4
    means = 4.0 * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    return mixture(means, 0.4, np.ones(8)), 6.0


def _arc(center: tuple[float, float], radius: float, start: float, stop: float, n: int) -> np.ndarray:
    t = np.linspace(start, stop, n)
    return np.asarray(center) + radius * np.stack([np.cos(t), np.sin(t)], axis=-1)


def _two_moons() -> tuple[Mixture, float]:
    # sklearn's moons scaled by 2.5 and centred: upper arc around (−1.25, −0.6), lower arc around (1.25, 0.6).
    upper = _arc((-1.25, -0.6), 2.5, 0.0, np.pi, 48)
    lower = _arc((1.25, 0.6), 2.5, np.pi, 2.0 * np.pi, 48)
    means = np.concatenate([upper, lower])
    return mixture(means, 0.2, np.ones(96), modes=np.repeat([0, 1], 48)), 5.0


def _swiss_roll() -> tuple[Mixture, float]:
    # Spiral (t cos t, t sin t) for t in [1.5π, 4.5π], scaled into [−4.5, 4.5]²; weights ∝ arc length.
    t = np.linspace(1.5 * np.pi, 4.5 * np.pi, 120)
    means = 0.3 * np.stack([t * np.cos(t), t * np.sin(t)], axis=-1)
    return mixture(means, 0.25, t, modes=np.zeros(120, dtype=int)), 6.0


def _checkerboard() -> tuple[Mixture, float]:
    # A 4×4 board of side-2 squares on [−4, 4]²; the 8 "black" squares are each filled with 4×4 Gaussian bumps.
    offsets = (np.arange(4) + 0.5) * 0.5  # bump centres inside a unit-2 square
    means, modes = [], []
    mode = 0
    for i in range(4):
        for j in range(4):
            if (i + j) % 2:
                continue
            x0, y0 = -4.0 + 2.0 * i, -4.0 + 2.0 * j
            for ox in offsets:
                for oy in offsets:
                    means.append((x0 + ox, y0 + oy))
                    modes.append(mode)
            mode += 1
    return mixture(means, 0.3, np.ones(len(means)), modes=modes), 5.0


DENSITIES: dict[str, DensitySpec] = {
    spec.name: spec
    for spec in [
        DensitySpec(
            "two-modes",
            "π·N(μ₁, I) + (1−π)·N(μ₂, I), modes on the x-axis a given separation apart",
            _two_modes,
            {"pi": _PI, "separation": Param(6.0, 0.0, 20.0, "distance between the two means")},
        ),
        DensitySpec(
            "ncsn-mixture",
            "the NCSN paper's toy: π·N((−5,−5), I) + (1−π)·N((5,5), I), π = 1/5",
            _ncsn_mixture,
            {"pi": dataclasses.replace(_PI, default=0.2)},
        ),
        DensitySpec(
            "disjoint",
            "π·p₁ + (1−π)·p₂ with numerically disjoint supports: the score inside each does not depend on π",
            _disjoint,
            {"pi": dataclasses.replace(_PI, default=2.0 / 3.0)},
        ),
        DensitySpec(
            "ring",
            "a circle of radius r blurred by thickness w: the score grows like 1/w as w → 0",
            _ring,
            {
                "radius": Param(2.5, 0.1, 10.0, "radius r of the circle"),
                "thickness": Param(0.1, 0.01, 2.0, "thickness w (blur standard deviation)"),
            },
        ),
        DensitySpec(
            "gaussian",
            "a single isotropic Gaussian N((1, −0.5), scale² I)",
            _gaussian,
            {"scale": Param(1.0, 0.05, 10.0, "standard deviation")},
        ),
        DensitySpec("eight-gaussians", "eight Gaussians on a circle of radius 4", _eight_gaussians, {}),
        DensitySpec("two-moons", "two interleaved half-circles (96 small Gaussians)", _two_moons, {}),
        DensitySpec("swiss-roll", "a 2-D spiral (120 small Gaussians)", _swiss_roll, {}),
        DensitySpec("checkerboard", "the 8 dark squares of a 4×4 board (128 small Gaussians)", _checkerboard, {}),
    ]
}


def density_names() -> list[str]:
    """Registered density names, in display order."""
    return list(DENSITIES)


def get_spec(name: str) -> DensitySpec:
    try:
        return DENSITIES[name]
    except KeyError:
        raise ValueError(f"unknown density {name!r}; choose one of: {', '.join(DENSITIES)}") from None


def make_density(name: str, **params: float | None) -> Density:
    """Build a registered density by name. Unset (None) parameters take their defaults.

    Raises:
        ValueError: unknown name, unknown parameter for this density, or a value out of range.
    """
    spec = get_spec(name)
    given = {k: v for k, v in params.items() if v is not None}
    unknown = sorted(set(given) - set(spec.params))
    if unknown:
        allowed = ", ".join(spec.params) or "none"
        raise ValueError(f"density {name!r} has no parameter {unknown[0]!r} (it takes: {allowed})")
    values = {k: p.check(k, given.get(k, p.default)) for k, p in spec.params.items()}
    mix, box = spec.build(**values)
    return Density(name=name, mixture=mix, box=float(box), params=values, description=spec.description)
