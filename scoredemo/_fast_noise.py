"""The fused CPU noise path of the Langevin driver: jax.random.normal's exact bits, written so XLA can fuse them.

jax.random.normal with the default threefry key is, on CPU, lowered with the Threefry rounds as a *rolled*
XLA while-loop (jax does this to keep CPU compile times short). Each of its 5 iterations writes the whole
(D, N) state to memory, and nothing around it can fuse: drawing the noise alone ran at ~55M particle-steps/s.
Writing the same 20 rounds out unrolled gives XLA one elementwise expression: hash, uniform, erf⁻¹ and the
Langevin update become a single loop over the particles, the same numbers bit for bit, 2-3x faster.

This replays a recipe that is jax's, not ours (threefry2x32 in the "partitionable" bit layout), so it is used
only when it is known to apply, decided at trace time:

* the backend is CPU (on GPU/TPU the threefry kernel is not rolled, so there is nothing to gain);
* ``jax.config.jax_threefry_partitionable`` reads True. The flag is transitional: when jax retires it (or it
  reads False) the plain ``jax.random.normal`` path is used — runs never fail because of it;
* the key is a single default threefry key (typed ``jax.random.key`` or legacy uint32), the dtype float32.

Otherwise :func:`step_noise_fn` returns the plain ``jax.random.normal(fold_in(key, t), (dim, n))``
(dim = D, the particles' dimension: 2 for the toy densities, 64 for the digits).
``tests/test_fast_noise.py`` checks the bits against jax.random.normal and that the fast path is active on the
jax this project pins, so a jax upgrade that changes either fails loudly instead of silently slowing down.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from scoredemo.types import Array, PRNGKey

# The jax configuration the gate reads (a module attribute, so a test can replace it by one without the flag).
_CONFIG: Any = jax.config

_THREEFRY_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_U32 = np.uint32
_NORMAL_LO = np.nextafter(np.float32(-1.0), np.float32(0.0))


def _default_backend() -> str:
    return jax.default_backend()


def _rotl(x: Array, d: int) -> Array:
    return (x << _U32(d)) | (x >> _U32(32 - d))


def _threefry2x32(k1: Array, k2: Array, x1: Array, x2: Array) -> tuple[Array, Array]:
    """Threefry-2x32, 20 rounds (Salmon et al. 2011), unrolled: the hash behind jax's default PRNG."""
    ks = (k1, k2, k1 ^ k2 ^ _U32(0x1BD11BDA))
    x1, x2 = x1 + ks[0], x2 + ks[1]
    for i in range(5):
        for r in _THREEFRY_ROTATIONS[i % 2]:
            x1 = x1 + x2
            x2 = _rotl(x2, r) ^ x1
        x1 = x1 + ks[(i + 1) % 3]
        x2 = x2 + ks[(i + 2) % 3] + _U32(i + 1)
    return x1, x2


def fusable_key(rng_key: PRNGKey, n: int, dtype: Any, dim: int = 2) -> Array | None:
    """The raw (2,) uint32 data of a single default-threefry key, or None when the fused path does not apply.

    None when: the backend is not CPU, ``jax_threefry_partitionable`` is missing or False, the dtype is not
    float32, dim·n ≥ 2³², or the key is not one threefry2x32 key. Decided at trace time (all of these are static).
    """
    if _default_backend() != "cpu" or getattr(_CONFIG, "jax_threefry_partitionable", None) is not True:
        return None
    if dtype != jnp.float32 or dim * n >= 2**32:
        return None
    if jax.dtypes.issubdtype(rng_key.dtype, jax.dtypes.prng_key):
        if rng_key.shape != () or str(jax.random.key_impl(rng_key)) != "threefry2x32":
            return None
        return jax.random.key_data(rng_key)
    if rng_key.shape != (2,) or rng_key.dtype != jnp.uint32:
        return None
    if getattr(_CONFIG, "jax_default_prng_impl", None) != "threefry2x32":
        return None
    return rng_key


def step_noise_fn(rng_key: PRNGKey, n: int, dtype: Any, dim: int = 2) -> Callable[[Array], Array]:
    """t -> z_t = jax.random.normal(jax.random.fold_in(rng_key, t), (dim, n), dtype), fused when possible.

    The fused form replays jax's own recipe: fold_in(key, t) = threefry(key; (0, t)); the 32 random bits of
    element i of a (dim, n) array are the XOR of the two words of threefry(key_t; (0, i)) (i row-major); a uniform
    u in [−1, 1) from the top 23 bits; z = √2·erf⁻¹(u). When :func:`fusable_key` says it does not apply, the
    plain jax.random.normal call is returned instead (same numbers, slower on CPU).
    """
    data = fusable_key(rng_key, n, dtype, dim)
    if data is None:
        return lambda t: jax.random.normal(jax.random.fold_in(rng_key, t), (dim, n), dtype)

    def noise(t: Array) -> Array:
        k1, k2 = _threefry2x32(data[0], data[1], _U32(0), jnp.asarray(t).astype(jnp.uint32))
        count = jax.lax.iota(jnp.uint32, dim * n).reshape(dim, n)
        b1, b2 = _threefry2x32(k1, k2, jnp.zeros_like(count), count)
        mantissa = ((b1 ^ b2) >> _U32(9)) | _U32(0x3F800000)
        unit = jax.lax.bitcast_convert_type(mantissa, jnp.float32) - 1.0  # [0, 1)
        u = jnp.maximum(_NORMAL_LO, unit * (1.0 - _NORMAL_LO) + _NORMAL_LO)
        return np.float32(math.sqrt(2.0)) * jax.lax.erf_inv(u)

    return noise
