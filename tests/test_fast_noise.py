"""The fused CPU noise path: jax.random.normal's bits exactly, active on this jax, and a safe fallback."""

import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from scoredemo import _fast_noise, samplers
from scoredemo.densities import make_density

# The jaxpr primitives of jax's own threefry random bits; the fused path is written with none of them.
_RANDOM_PRIMITIVES = ("threefry2x32", "random_bits", "random_wrap", "random_fold_in")


def _uses_jax_random(fn, *args) -> bool:
    text = str(jax.make_jaxpr(fn)(*args))
    return any(p in text for p in _RANDOM_PRIMITIVES)


@pytest.mark.parametrize("key", [jax.random.key(4), jax.random.PRNGKey(3)], ids=["typed", "legacy"])
@pytest.mark.parametrize("n", [1, 101, 4096])
def test_fused_noise_is_jax_random_normal_bit_for_bit(key, n):
    """If a jax upgrade changes its threefry recipe this fails: then fix _fast_noise or drop it (the gate)."""
    noise = jax.jit(_fast_noise.step_noise_fn(key, n, jnp.float32))
    for t in (0, 1, 977, 2**31 - 1):
        want = jax.random.normal(jax.random.fold_in(key, t), (2, n), jnp.float32)
        np.testing.assert_array_equal(np.asarray(noise(jnp.int32(t))), np.asarray(want))


@pytest.mark.parametrize("dim", [1, 3, 64])
def test_fused_noise_in_d_dimensions_is_jax_random_normal_bit_for_bit(dim):
    """(D, n) noise for D-dimensional particles (the digits: D = 64), the same bits as jax.random.normal."""
    key = jax.random.key(11)
    assert _fast_noise.fusable_key(key, 37, jnp.float32, dim) is not None
    noise = jax.jit(_fast_noise.step_noise_fn(key, 37, jnp.float32, dim))
    for t in (0, 5, 2**31 - 1):
        want = jax.random.normal(jax.random.fold_in(key, t), (dim, 37), jnp.float32)
        np.testing.assert_array_equal(np.asarray(noise(jnp.int32(t))), np.asarray(want))


def test_fast_path_is_active_on_this_cpu_and_jax():
    """On CPU with this jax the fused path applies; a jax upgrade that silently turns it off fails here."""
    assert jax.default_backend() == "cpu"
    key = jax.random.key(0)
    assert _fast_noise.fusable_key(key, 1000, jnp.float32) is not None
    assert _fast_noise.fusable_key(jax.random.PRNGKey(0), 1000, jnp.float32) is not None
    assert not _uses_jax_random(_fast_noise.step_noise_fn(key, 1000, jnp.float32), jnp.int32(5))


def test_not_fused_where_it_does_not_apply():
    assert _fast_noise.fusable_key(jax.random.key(0), 10, jnp.float16) is None
    assert _fast_noise.fusable_key(jax.random.key(0, impl="rbg"), 10, jnp.float32) is None
    assert _fast_noise.fusable_key(jax.random.split(jax.random.key(0), 2), 10, jnp.float32) is None


def _fallback_cases():
    without_flag = types.SimpleNamespace(jax_default_prng_impl="threefry2x32")  # the flag retired from jax.config
    flag_off = types.SimpleNamespace(jax_default_prng_impl="threefry2x32", jax_threefry_partitionable=False)
    return [
        pytest.param({"_CONFIG": without_flag}, id="flag-retired"),
        pytest.param({"_CONFIG": flag_off}, id="flag-false"),
        pytest.param({"_default_backend": lambda: "gpu"}, id="not-cpu"),
    ]


@pytest.mark.parametrize("patch", _fallback_cases())
def test_fallback_is_plain_jax_random_and_langevin_still_runs(monkeypatch, patch):
    d = make_density("two-modes")
    key = jax.random.key(7)
    x0 = samplers.uniform_init(jax.random.key(0), 64, d.box)
    params = samplers.make_params(0.05, noise=1.0, sigmas=[0.0], steps_per_level=30)

    def run(rng_key, target, position, params):  # a fresh jit, so the fast path's compiled program is not reused
        return samplers.run(rng_key, samplers.get_sampler("langevin"), target, position, params, 30, n_frames=3)

    fast = jax.jit(run)(key, d.mixture, x0, params)
    for name, value in patch.items():
        monkeypatch.setattr(_fast_noise, name, value)
    assert _fast_noise.fusable_key(key, 64, jnp.float32) is None
    noise = _fast_noise.step_noise_fn(key, 64, jnp.float32)
    assert _uses_jax_random(noise, jnp.int32(3))
    np.testing.assert_array_equal(
        np.asarray(noise(jnp.int32(3))), np.asarray(jax.random.normal(jax.random.fold_in(key, 3), (2, 64)))
    )
    plain = jax.jit(run)(key, d.mixture, x0, params)
    assert int(plain.diverged_at) == -1 and np.all(np.isfinite(np.asarray(plain.samples)))
    # The same noise bits either way, so the same run (up to float rounding of differently fused arithmetic).
    np.testing.assert_allclose(np.asarray(plain.trajectory), np.asarray(fast.trajectory), rtol=1e-5, atol=1e-5)
