"""Type aliases and protocols shared by the engine: arrays, keys, the callback signatures and sampling targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import jax

Array = jax.Array
#: A random key: a typed ``jax.random.key(seed)`` (the engine's choice) or a legacy uint32 (2,) key.
PRNGKey = jax.Array
#: log p(x) for a batch: (N, 2) -> (N,)
LogProbFn = Callable[[Array], Array]
#: s(x) = ∇ log p(x) for a batch: (N, 2) -> (N, 2)
ScoreFn = Callable[[Array], Array]
#: s(x, σ) ≈ ∇ log p_σ(x) for a batch and a noise level (σ = 0: the clean density)
NoiseScoreFn = Callable[[Array, Array], Array]


@runtime_checkable
class Target(Protocol):
    """What every sampler needs: a pytree with the score of p_σ, s_σ(x) = ∇ₓ log p_σ(x), (N, 2) -> (N, 2).

    A :class:`~scoredemo.densities.Mixture` (exact) or a :class:`~scoredemo.models.LearnedScore` (a network).
    It is a traced argument of the compiled samplers, so it must be a JAX pytree. Two optional abilities are
    the protocols below: :class:`DensityTarget` (MALA needs log p_σ) and :class:`RowsTarget` (a faster score).
    """

    def score(self, x: Array, sigma: Array | float) -> Array: ...


@runtime_checkable
class DensityTarget(Target, Protocol):
    """A target that also knows its log-density log p_σ(x), (N, 2) -> (N,) (up to a constant); MALA needs it."""

    def log_prob(self, x: Array, sigma: Array | float) -> Array: ...


@runtime_checkable
class RowsTarget(Target, Protocol):
    """A target with the score on coordinate rows, xt = xᵀ: (2, N) -> (2, N), equal to ``score(xt.T, σ).T``.

    Optional: the Langevin driver keeps particles as rows and uses this when present (the exact mixtures'
    elementwise form fuses with the update); targets without it are called through the transposed ``score``.
    """

    def score_rows(self, xt: Array, sigma: Array | float) -> Array: ...
