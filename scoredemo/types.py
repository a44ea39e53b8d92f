"""Type aliases shared by the engine: arrays, keys and the callback signatures."""

from __future__ import annotations

from collections.abc import Callable

import jax

Array = jax.Array
PRNGKey = jax.Array
#: log p(x) for a batch: (N, 2) -> (N,)
LogProbFn = Callable[[Array], Array]
#: s(x) = ∇ log p(x) for a batch: (N, 2) -> (N, 2)
ScoreFn = Callable[[Array], Array]
#: s(x, σ) ≈ ∇ log p_σ(x) for a batch and a noise level (σ = 0: the clean density)
NoiseScoreFn = Callable[[Array, Array], Array]
