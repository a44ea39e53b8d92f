"""Score-matching objectives as pure loss closures: exact (esm), sliced (ssm, ssm-vr), denoising (dsm), NCSN.

Every factory returns a closure with one signature::

    loss(score_fn, rng_key, x, sigmas) -> scalar

* ``score_fn(x, sigma) -> (N, D)``: the model, e.g. ``learned.score`` or ``lambda x, s: x @ A.T + b``
  (objectives that do not condition on σ call it with σ = 0 or their single σ; unconditional models ignore it);
* ``rng_key``: randomness of the objective itself (projections v, noise z, noise levels); unused by ``esm``;
* ``x``: (N, D) a batch of data samples x ~ p (D = 2 for the toy densities, 64 for the digits; every objective
  is dimension-generic);
* ``sigmas``: (L,) float32 noise levels, a *traced* argument so a new σ never recompiles. ``dsm`` uses
  ``sigmas[0]``; ``ncsn`` uses all (σ_1 > … > σ_L); ``esm``/``ssm``/``ssm-vr`` ignore it (pass ``(0.0,)``).

Expectations over p are batch means. The objectives (Hyvärinen 2005; Song, Garg, Shi & Ermon 2019;
Vincent 2011; Song & Ermon 2019), with J = ∇ₓ s_θ(x) the 2×2 Jacobian:

    esm     E_p[ tr J + ½‖s_θ(x)‖² ]                          = ½E_p‖s_θ − ∇log p‖² − ½E_p‖∇log p‖²
    ssm     E_p E_v[ vᵀ J v + ½(vᵀ s_θ(x))² ]                 (same minimiser, E[vvᵀ] = I)
    ssm-vr  E_p E_v[ vᵀ J v ] + ½E_p‖s_θ(x)‖²                 (the ½(vᵀs)² term averaged over v exactly)
    dsm     ½ E_p E_z ‖s_θ(x + σz, σ) + z/σ‖²                 (minimiser: ∇ log p_σ, p_σ = p ∗ N(0, σ²I))
    ncsn    Σ_i λ(σ_i) · ½E‖s_θ(x̃, σ_i) + (x̃ − x)/σ_i²‖²,   λ(σ) = σ², x̃ = x + σ_i z

The esm/ssm identities hold up to a constant independent of θ (integration by parts), so all three share the
minimiser s_θ = ∇ log p when the model can represent it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from scoredemo.types import Array, NoiseScoreFn, PRNGKey

#: The closure every factory returns: loss(score_fn, rng_key, x, sigmas) -> scalar.
LossFn = Callable[[NoiseScoreFn, PRNGKey, Array, Array], Array]

PROJECTIONS = ("gaussian", "rademacher")
MAX_PROJECTIONS = 64


def _trace_jacobian(score_fn: NoiseScoreFn, x: Array, sigma: Array) -> tuple[Array, Array]:
    """(s(x), tr ∇ₓ s(x)) for a batch: one linearisation, then a JVP per basis vector e₁, e₂ (exact in 2-D).

    The network acts on each row independently, so the JVP of the batched function with the tangent e_j in
    every row is the column J e_j of each example's own Jacobian.
    """
    s, jvp = jax.linearize(lambda y: score_fn(y, sigma), x)
    trace = jnp.zeros(x.shape[0], x.dtype)
    for j in range(x.shape[1]):
        e = jnp.zeros_like(x).at[:, j].set(1.0)
        trace = trace + jvp(e)[:, j]
    return s, trace


def esm_loss() -> LossFn:
    """Exact score matching (Hyvärinen 2005): E_p[ tr(∇ₓ s_θ(x)) + ½‖s_θ(x)‖² ].

    The trace is exact (two JVPs, see ``_trace_jacobian``). Equals the Fisher divergence
    ½E_p‖s_θ − ∇ log p‖² minus the constant ½E_p‖∇ log p‖².
    """

    def loss(score_fn: NoiseScoreFn, rng_key: PRNGKey, x: Array, sigmas: Array) -> Array:
        del rng_key, sigmas
        s, trace = _trace_jacobian(score_fn, x, jnp.zeros((), x.dtype))
        return jnp.mean(trace + 0.5 * jnp.sum(s * s, axis=-1))

    return loss


def _projections(rng_key: PRNGKey, n_projections: int, x: Array, kind: str) -> Array:
    """(M, N, 2) random directions with E[vvᵀ] = I: standard normal, or Rademacher (±1 entries)."""
    shape = (n_projections, *x.shape)
    if kind == "gaussian":
        return jax.random.normal(rng_key, shape, x.dtype)
    return jax.random.rademacher(rng_key, shape, x.dtype)


def _sliced_loss(n_projections: int, projection: str, variance_reduced: bool) -> LossFn:
    def loss(score_fn: NoiseScoreFn, rng_key: PRNGKey, x: Array, sigmas: Array) -> Array:
        del sigmas
        v = _projections(rng_key, n_projections, x, projection)
        s, jvp = jax.linearize(lambda y: score_fn(y, jnp.zeros((), x.dtype)), x)  # s once, then J·v per v
        vjv = jnp.sum(v * jax.vmap(jvp)(v), axis=-1)  # (M, N): vᵀ J v
        if variance_reduced:
            second = 0.5 * jnp.sum(s * s, axis=-1)[None, :]  # ½‖s‖² = E_v ½(vᵀs)²
        else:
            second = 0.5 * jnp.sum(v * s[None], axis=-1) ** 2  # ½(vᵀs)²
        return jnp.mean(vjv + second)

    return loss


def ssm_loss(*, n_projections: int = 1, projection: str = "gaussian") -> LossFn:
    """Sliced score matching (Song et al. 2019): E_p E_v[ vᵀ∇ₓ(vᵀ s_θ(x)) + ½(vᵀ s_θ(x))² ].

    vᵀ∇ₓ(vᵀs) = vᵀ J v is one forward-mode JVP per direction. ``n_projections`` directions v per data point,
    Gaussian or Rademacher (both have E[vvᵀ] = I, which is what makes the objective equal esm in expectation).
    """
    return _sliced_loss(n_projections, projection, variance_reduced=False)


def ssm_vr_loss(*, n_projections: int = 1, projection: str = "gaussian") -> LossFn:
    """Sliced score matching with variance reduction: E_p E_v[ vᵀ J v ] + ½E_p‖s_θ(x)‖².

    E_v ½(vᵀs)² = ½sᵀE[vvᵀ]s = ½‖s‖² is computed exactly instead of sampled (the NCSN toy's objective).
    """
    return _sliced_loss(n_projections, projection, variance_reduced=True)


def dsm_loss() -> LossFn:
    """Denoising score matching at one σ (Vincent 2011): ½ E_p E_z ‖s_θ(x + σz, σ) + z/σ‖², σ = sigmas[0].

    −z/σ = −(x̃ − x)/σ² = ∇_x̃ log N(x̃; x, σ²I), so the minimiser is the score of p_σ = p ∗ N(0, σ²I), not of p.
    """

    def loss(score_fn: NoiseScoreFn, rng_key: PRNGKey, x: Array, sigmas: Array) -> Array:
        sigma = sigmas[0]
        z = jax.random.normal(rng_key, x.shape, x.dtype)
        r = score_fn(x + sigma * z, sigma) + z / sigma
        return 0.5 * jnp.mean(jnp.sum(r * r, axis=-1))

    return loss


def ncsn_loss() -> LossFn:
    """Multi-level DSM of NCSN (Song & Ermon 2019, Eq. 5–6) with λ(σ) = σ²:

        (1/L) Σ_i λ(σ_i) · ½ E ‖s_θ(x̃, σ_i) + (x̃ − x)/σ_i²‖²,    x̃ = x + σ_i z.

    As the NCSN code does (``anneal_dsm_score_estimation``), each example draws one level i uniformly instead
    of visiting all L, an unbiased estimate of the average over levels (the paper's Σ_i divided by L).
    With x̃ − x = σ_i z the weighted term is ½‖σ_i s_θ(x̃, σ_i) + z‖².
    """

    def loss(score_fn: NoiseScoreFn, rng_key: PRNGKey, x: Array, sigmas: Array) -> Array:
        i_key, z_key = jax.random.split(rng_key)
        i = jax.random.randint(i_key, x.shape[:1], 0, sigmas.shape[0])
        sigma = sigmas[i]  # (N,)
        z = jax.random.normal(z_key, x.shape, x.dtype)
        s = score_fn(x + sigma[:, None] * z, sigma)
        r = sigma[:, None] * s + z  # σ·(s + z/σ): λ(σ)=σ² folded into the residual
        return 0.5 * jnp.mean(jnp.sum(r * r, axis=-1))

    return loss


@dataclasses.dataclass(frozen=True)
class ObjectiveSpec:
    """A registered objective.

    needs: which noise settings it uses: "none", "sigma" (one σ) or "sigmas" (a geometric ladder).
    noise_conditional: whether it trains s_θ(x, σ) (an NCSN) rather than s_θ(x).
    learns: what the minimiser is, for evaluation: "p" (the data score) or "p_sigma" (the score of p ∗ N(0, σ²I)).
    """

    name: str
    description: str
    build: Callable[..., LossFn]
    needs: str
    noise_conditional: bool
    learns: str
    options: tuple[str, ...] = ()


OBJECTIVES: dict[str, ObjectiveSpec] = {
    s.name: s
    for s in [
        ObjectiveSpec("esm", "exact score matching: E[tr ∇ₓs + ½‖s‖²] (Hyvärinen)", esm_loss, "none", False, "p"),
        ObjectiveSpec(
            "ssm",
            "sliced score matching: E[vᵀ∇ₓ(vᵀs) + ½(vᵀs)²]",
            ssm_loss,
            "none",
            False,
            "p",
            ("n_projections", "projection"),
        ),
        ObjectiveSpec(
            "ssm-vr",
            "sliced score matching, variance-reduced: E[vᵀ∇ₓ(vᵀs) + ½‖s‖²]",
            ssm_vr_loss,
            "none",
            False,
            "p",
            ("n_projections", "projection"),
        ),
        ObjectiveSpec(
            "dsm",
            "denoising score matching at one σ: ½E‖s(x+σz) + z/σ‖² (learns p_σ)",
            dsm_loss,
            "sigma",
            False,
            "p_sigma",
        ),
        ObjectiveSpec(
            "ncsn",
            "noise-conditional DSM over geometric σ's, λ(σ)=σ² (for annealed Langevin)",
            ncsn_loss,
            "sigmas",
            True,
            "p_sigma",
        ),
    ]
}


def objective_names() -> list[str]:
    """Registered objective names, in display order."""
    return list(OBJECTIVES)


def get_objective(name: str) -> ObjectiveSpec:
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise ValueError(f"unknown objective {name!r}; choose one of: {', '.join(OBJECTIVES)}") from None


def check_options(name: str, **opts: Any) -> dict[str, Any]:
    """Validate the options of objective ``name`` (unknown options, projection count and kind)."""
    spec = get_objective(name)
    unknown = sorted(set(opts) - set(spec.options))
    if unknown:
        allowed = ", ".join(spec.options) or "none"
        raise ValueError(f"objective {name!r} has no option {unknown[0]!r} (it takes: {allowed})")
    if "n_projections" in opts:
        n = opts["n_projections"]
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_PROJECTIONS:
            raise ValueError(f"n_projections must be an integer in [1, {MAX_PROJECTIONS}], got {n!r}")
    if "projection" in opts and opts["projection"] not in PROJECTIONS:
        raise ValueError(f"projection must be one of: {', '.join(PROJECTIONS)}; got {opts['projection']!r}")
    return opts


def make_loss(name: str, **opts: Any) -> LossFn:
    """Build the loss closure ``loss(score_fn, rng_key, x, sigmas) -> scalar`` of a registered objective.

    Options (static: they change the program): ``n_projections`` and ``projection`` for ssm/ssm-vr.

    Raises:
        ValueError: unknown objective (the message lists the valid names) or an invalid option.
    """
    check_options(name, **opts)
    return OBJECTIVES[name].build(**opts)
