"""Score networks: shapes, the noise-conditional formula, the LearnedScore pytree, and pickle-free files."""

from __future__ import annotations

import zipfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from scoredemo import samplers
from scoredemo.models import FORMAT, LearnedScore, ScoreMLP, init_model, load_model, save_model


def _x(n: int = 7, seed: int = 0) -> jax.Array:
    return jax.random.normal(jax.random.key(seed), (n, 2)) * 3.0


@pytest.mark.parametrize("noise_conditional", [False, True])
@pytest.mark.parametrize(("width", "depth"), [(128, 3), (16, 1), (8, 5)])
def test_shapes_and_sizes(width: int, depth: int, noise_conditional: bool) -> None:
    model = ScoreMLP(width=width, depth=depth, noise_conditional=noise_conditional, rngs=nnx.Rngs(0))
    x = _x()
    for sigma in (0.5, jnp.full((7,), 0.5)):
        out = model(x, sigma)
        assert out.shape == (7, 2) and out.dtype == jnp.float32
    n_in = 3 if noise_conditional else 2
    expected = n_in * width + width + (depth - 1) * (width * width + width) + width * 2 + 2
    assert sum(p.size for p in jax.tree.leaves(nnx.state(model, nnx.Param))) == expected


def test_unconditional_ignores_sigma() -> None:
    model = ScoreMLP(width=16, depth=2, rngs=nnx.Rngs(1))
    x = _x()
    np.testing.assert_array_equal(model(x, 0.0), model(x, 3.0))


def test_noise_conditional_formula() -> None:
    """s_θ(x, σ) = f_θ(x, log σ)/σ with f a softplus MLP: rebuild it by hand from the weights."""
    model = ScoreMLP(width=8, depth=2, noise_conditional=True, rngs=nnx.Rngs(2))
    x, sigma = _x(), jnp.linspace(0.5, 4.0, 7)
    h = jnp.concatenate([x, jnp.log(sigma)[:, None]], axis=-1)
    for layer in model.hidden:
        h = jax.nn.softplus(h @ layer.kernel[...] + layer.bias[...])  # the reference form
    f = h @ model.out.kernel[...] + model.out.bias[...]
    np.testing.assert_allclose(model(x, sigma), f / sigma[:, None], rtol=1e-6, atol=1e-6)
    # A scalar σ means the same σ for every row.
    np.testing.assert_allclose(model(x, 2.0), model(x, jnp.full((7,), 2.0)), rtol=0, atol=0)


@pytest.mark.parametrize(("width", "depth"), [(0, 3), (128, 0), (1.5, 3), (True, 3), (128, 33)])
def test_bad_architecture_raises(width: object, depth: object) -> None:
    with pytest.raises(ValueError, match="width|depth"):
        ScoreMLP(width=width, depth=depth, rngs=nnx.Rngs(0))


def test_learned_score_is_a_pytree_and_matches_module() -> None:
    learned = init_model(3, width=16, depth=2, noise_conditional=True, objective="ncsn")
    leaves, treedef = jax.tree.flatten(learned)
    again = jax.tree.unflatten(treedef, leaves)
    x = _x()
    np.testing.assert_array_equal(again.score(x, 1.5), learned.score(x, 1.5))
    np.testing.assert_array_equal(learned.score(x, 1.5), learned.module()(x, 1.5))
    assert learned.noise_conditional is True
    assert learned.config["objective"] == "ncsn" and learned.config["width"] == 16


def test_new_weights_and_metadata_do_not_recompile() -> None:
    """Only the architecture is static: new weights or new metadata reuse the traced program."""
    traces = []

    @jax.jit
    def f(target, x):
        traces.append(1)
        return target.score(x, 1.0)

    x = _x()
    a = init_model(0, width=16, depth=2, objective="esm")
    b = init_model(1, width=16, depth=2, objective="ssm", density="ring")
    f(a, x)
    f(b, x)
    assert len(traces) == 1
    assert not np.array_equal(f(a, x), f(b, x))
    f(init_model(0, width=32, depth=2), x)  # a different architecture is a different program
    assert len(traces) == 2


def test_annealed_sampler_runs_on_learned_target() -> None:
    learned = init_model(0, width=16, depth=2, noise_conditional=True)
    x0 = samplers.uniform_init(jax.random.key(0), 64, 8.0)
    res = samplers.sample(jax.random.key(1), "annealed", learned, x0, n_steps=5, step_size=0.01, n_levels=3)
    assert res.samples.shape == (64, 2) and bool(jnp.all(jnp.isfinite(res.samples)))


def _bits(learned: LearnedScore) -> list[np.ndarray]:
    return [np.asarray(leaf).view(np.uint32) for leaf in jax.tree.leaves(learned.params)]


@pytest.mark.parametrize("noise_conditional", [False, True])
def test_save_load_round_trip_is_bit_exact(tmp_path, noise_conditional: bool) -> None:
    learned = init_model(
        7, width=24, depth=3, noise_conditional=noise_conditional, objective="ncsn", sigmas=[20.0, 1.0]
    )
    path = tmp_path / "model.bin"  # any name: the file is written exactly there, no ".npz" appended
    save_model(path, learned)
    assert path.exists() and not (tmp_path / "model.bin.npz").exists()
    loaded = load_model(path)
    for a, b in zip(_bits(learned), _bits(loaded), strict=True):
        np.testing.assert_array_equal(a, b)
    assert loaded.config == learned.config
    assert loaded.noise_conditional is noise_conditional
    x = _x()
    np.testing.assert_array_equal(loaded.score(x, 2.0), learned.score(x, 2.0))
    assert jax.tree.structure(loaded) == jax.tree.structure(learned)
    # The file holds only plain arrays: it loads with pickling disabled.
    with np.load(path, allow_pickle=False) as npz:
        assert str(npz["__format__"]) == FORMAT
        assert all(npz[k].dtype != object for k in npz.files)


def test_load_errors_are_value_errors(tmp_path) -> None:
    learned = init_model(0, width=8, depth=1)
    with pytest.raises(ValueError, match="does not exist"):
        load_model(tmp_path / "missing.npz")

    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"definitely not a zip file")
    with pytest.raises(ValueError, match="not a readable"):
        load_model(junk)

    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(ValueError, match="not a scoredemo score model"):
        load_model(other)

    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, __format__=np.array(FORMAT), __config__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError):
        load_model(pickled)

    good = tmp_path / "good.npz"
    save_model(good, learned)
    with np.load(good, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}

    wrong_shape = dict(arrays)
    name = next(k for k in arrays if k.endswith("kernel"))
    wrong_shape[name] = np.zeros((3, 3), np.float32)
    bad = tmp_path / "bad_shape.npz"
    np.savez(bad, **wrong_shape)
    with pytest.raises(ValueError, match="shape"):
        load_model(bad)

    missing_param = {k: v for k, v in arrays.items() if k != name}
    bad = tmp_path / "missing_param.npz"
    np.savez(bad, **missing_param)
    with pytest.raises(ValueError, match="parameter names"):
        load_model(bad)

    bad_config = dict(arrays, __config__=np.array("{not json"))
    bad = tmp_path / "bad_config.npz"
    np.savez(bad, **bad_config)
    with pytest.raises(ValueError, match="config"):
        load_model(bad)

    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError):
        load_model(truncated)
    assert zipfile.is_zipfile(good)


def test_fast_softplus_matches_reference_and_its_derivatives() -> None:
    from scoredemo.models import softplus

    u = jnp.concatenate([jnp.linspace(-30.0, 30.0, 2001), jnp.array([-1e-3, 1e-3, 80.0, -80.0])])
    np.testing.assert_allclose(softplus(u), jax.nn.softplus(u), rtol=1e-6, atol=2e-7)
    d1 = jax.vmap(jax.grad(softplus))(u)
    d2 = jax.vmap(jax.grad(jax.grad(softplus)))(u)
    np.testing.assert_allclose(d1, jax.nn.sigmoid(u), rtol=1e-5, atol=1e-6)  # softplus' = sigmoid
    s = jax.nn.sigmoid(u)
    np.testing.assert_allclose(d2, s * (1 - s), rtol=1e-4, atol=1e-6)  # softplus'' = σ(1 − σ)


@pytest.mark.parametrize("activation", ["softplus", "silu"])
def test_dim_64_shapes_and_save_load_round_trip(tmp_path, activation: str) -> None:
    """A digits-sized network (dim 64, 65 inputs with log σ, 64 outputs) keeps dim and activation in its file."""
    learned = init_model(5, dim=64, width=16, depth=2, noise_conditional=True, activation=activation, data="digits")
    x = jax.random.uniform(jax.random.key(1), (9, 64))
    assert learned.dim == 64 and learned.score(x, 0.3).shape == (9, 64)
    assert learned.params["hidden"][0]["kernel"].shape == (65, 16)
    path = tmp_path / "digits.npz"
    save_model(path, learned)
    loaded = load_model(path)
    assert loaded.dim == 64 and loaded.config["activation"] == activation and loaded.config == learned.config
    for a, b in zip(_bits(learned), _bits(loaded), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.score(x, 0.3), learned.score(x, 0.3))


def test_silu_network_formula() -> None:
    model = ScoreMLP(dim=5, width=8, depth=2, activation="silu", rngs=nnx.Rngs(3))
    x = jax.random.normal(jax.random.key(0), (4, 5))
    h = x
    for layer in model.hidden:
        h = jax.nn.silu(h @ layer.kernel[...] + layer.bias[...])
    np.testing.assert_allclose(model(x), h @ model.out.kernel[...] + model.out.bias[...], rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="activation"):
        ScoreMLP(activation="relu", rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match="dim"):
        ScoreMLP(dim=0, rngs=nnx.Rngs(0))


def test_file_without_dim_loads_as_2d_softplus(tmp_path) -> None:
    """Model files written before ``dim``/``activation`` existed (no such keys in the config) load as 2-D softplus."""
    import json

    learned = init_model(2, width=8, depth=1, objective="dsm")
    path = tmp_path / "old.npz"
    save_model(path, learned)
    with np.load(path, allow_pickle=False) as npz:
        files = {k: npz[k] for k in npz.files}
    config = json.loads(str(files["__config__"]))
    del config["dim"], config["activation"]
    files["__config__"] = np.array(json.dumps(config))
    np.savez(path, **files)
    loaded = load_model(path)
    assert loaded.dim == 2 and loaded.config["activation"] == "softplus"
    np.testing.assert_array_equal(loaded.score(_x(), 0.0), learned.score(_x(), 0.0))
