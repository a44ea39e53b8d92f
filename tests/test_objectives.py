"""Score-matching objectives: registry, exactness of the Jacobian trace, and the statistical identities.

Statistical checks use the batch-means method: a loss (or its gradient) is evaluated on K independent batches;
the mean of the K values has standard error SE = std/√K, and a check "equal in expectation" passes when the
difference is within 5 SE (a false alarm has probability < 1e-6 for a normal statistic). Fixed seeds.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from scoredemo.densities import make_density
from scoredemo.models import init_model
from scoredemo.objectives import OBJECTIVES, _trace_jacobian, make_loss, objective_names

MU = jnp.array([1.0, -0.5])  # the `gaussian` density's mean
K = 200  # batches for the batch-means standard error
N = 1000  # examples per batch


def test_registry() -> None:
    assert objective_names() == ["esm", "ssm", "ssm-vr", "dsm", "ncsn"]
    for spec in OBJECTIVES.values():
        assert spec.description and spec.needs in ("none", "sigma", "sigmas")
    with pytest.raises(ValueError, match="esm, ssm, ssm-vr, dsm, ncsn"):
        make_loss("nope")
    with pytest.raises(ValueError, match="no option"):
        make_loss("esm", n_projections=2)
    with pytest.raises(ValueError, match="projection"):
        make_loss("ssm", projection="uniform")
    with pytest.raises(ValueError, match="n_projections"):
        make_loss("ssm-vr", n_projections=0)


@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_every_loss_is_a_finite_scalar_under_jit(name: str) -> None:
    spec = OBJECTIVES[name]
    learned = init_model(0, width=16, depth=2, noise_conditional=spec.noise_conditional)
    loss = make_loss(name)
    x = jax.random.normal(jax.random.key(0), (32, 2))
    sigmas = jnp.array([2.0, 1.0, 0.5])
    value = jax.jit(loss)(learned, jax.random.key(1), x, sigmas)
    assert value.shape == () and bool(jnp.isfinite(value))
    grads = jax.grad(lambda p: loss(learned.replace(p), jax.random.key(1), x, sigmas))(learned.params)
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree.leaves(grads))


def test_trace_is_exact() -> None:
    """The 2-JVP trace equals the trace of the full per-example Jacobian (jacfwd) of an MLP."""
    learned = init_model(4, width=32, depth=3)
    x = jax.random.normal(jax.random.key(2), (16, 2)) * 2.0
    s, trace = _trace_jacobian(learned.score, x, jnp.float32(0.0))
    jac = jax.vmap(jax.jacfwd(lambda xi: learned.score(xi[None])[0]))(x)
    np.testing.assert_allclose(trace, jnp.trace(jac, axis1=1, axis2=2), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s, learned.score(x), rtol=0, atol=0)


def _batch_means(loss, score_fn, density, sigmas, seed: int = 0) -> tuple[float, float]:
    """(mean, SE) of ``loss`` over K independent batches of N exact samples."""
    keys = jax.random.split(jax.random.key(seed), K)

    @jax.jit
    def one(key):
        d_key, l_key = jax.random.split(key)
        return loss(score_fn, l_key, density.sample(d_key, N), sigmas)

    vals = np.asarray(jax.lax.map(one, keys), np.float64)
    return vals.mean(), vals.std(ddof=1) / np.sqrt(K)


def _affine(a: jax.Array, b: jax.Array):
    return lambda x, sigma: x @ a.T + b


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_esm_equals_fisher_divergence_minus_constant(scale: float) -> None:
    """For p = N(μ, c²I) and s(x) = Ax + b (closed forms):

    Fisher  F = ½E‖Ax + b + (x − μ)/c²‖² = ½c²‖A + I/c²‖_F² + ½‖Aμ + b + 0‖²  (x − μ ~ N(0, c²I)),
    const   C = ½E‖∇log p‖² = ½·2c²/c⁴ = 1/c²,   and the esm loss has expectation F − C.
    """
    density = make_density("gaussian", scale=scale)
    a = jnp.array([[-0.7, 0.3], [0.1, -1.4]])
    b = jnp.array([0.2, -0.4])
    eye = jnp.eye(2)
    fisher = 0.5 * scale**2 * jnp.sum((a + eye / scale**2) ** 2) + 0.5 * jnp.sum((a @ MU + b) ** 2)
    expected = float(fisher - 1.0 / scale**2)
    mean, se = _batch_means(make_loss("esm"), _affine(a, b), density, jnp.zeros(1))
    assert abs(mean - expected) < 5 * se + 1e-6 * abs(expected), (mean, expected, se)
    # At the true score the Fisher divergence is 0, so the loss is exactly −C in expectation.
    mean, se = _batch_means(make_loss("esm"), _affine(-eye / scale**2, MU / scale**2), density, jnp.zeros(1))
    assert abs(mean + 1.0 / scale**2) < 5 * se + 1e-6


@pytest.mark.parametrize(
    ("name", "opts"),
    [
        ("ssm", {}),
        ("ssm", {"projection": "rademacher"}),
        ("ssm", {"n_projections": 4}),
        ("ssm-vr", {}),
        ("ssm-vr", {"projection": "rademacher"}),
    ],
)
def test_sliced_losses_equal_esm_in_expectation(name: str, opts: dict) -> None:
    """E_v[vᵀAv + ½(vᵀs)²] = tr A + ½‖s‖² for E[vvᵀ] = I: sliced and exact losses are the same function of θ."""
    density = make_density("gaussian")
    a = jnp.array([[-0.7, 0.3], [0.1, -1.4]])
    b = jnp.array([0.2, -0.4])
    m_esm, se_esm = _batch_means(make_loss("esm"), _affine(a, b), density, jnp.zeros(1), seed=1)
    m, se = _batch_means(make_loss(name, **opts), _affine(a, b), density, jnp.zeros(1), seed=2)
    assert abs(m - m_esm) < 5 * np.hypot(se, se_esm), (m, m_esm)


def _grad_batch_means(loss, density, sigmas, score_of, theta, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(mean, SE) of ∇_θ loss over K batches, for a model s = score_of(θ)(x, σ)."""
    keys = jax.random.split(jax.random.key(seed), K)

    @jax.jit
    def one(key):
        d_key, l_key = jax.random.split(key)
        x = density.sample(d_key, N)
        return jax.grad(lambda t: loss(score_of(t), l_key, x, sigmas))(theta)

    g = np.asarray(jax.lax.map(one, keys), np.float64)
    return g.mean(0), g.std(0, ddof=1) / np.sqrt(K)


@pytest.mark.parametrize("name", list(OBJECTIVES))
@pytest.mark.parametrize("density_name", ["gaussian", "two-modes"])
def test_true_score_is_a_stationary_point(name: str, density_name: str) -> None:
    """Same minimiser: with s = (1 + α)·∇log p_σ + β (θ = (α, β₁, β₂)), ∇_θ loss = 0 at θ = 0 in expectation,
    for every objective (σ = 0 for esm/ssm/ssm-vr: the data score; dsm/ncsn: the score of p_σ)."""
    density = make_density(density_name)
    spec = OBJECTIVES[name]
    sigmas = {"none": jnp.zeros(1), "sigma": jnp.array([0.5]), "sigmas": jnp.array([3.0, 1.5, 0.75])}[spec.needs]
    mix = density.mixture

    def exact(x, sigma):  # the Mixture takes one σ per call; ncsn passes one per example
        sigma = jnp.broadcast_to(sigma, x.shape[:1])
        return jax.vmap(lambda xi, si: mix.score(xi[None], si)[0])(x, sigma)

    def score_of(theta):
        return lambda x, sigma: (1.0 + theta[0]) * exact(x, sigma) + theta[1:]

    mean, se = _grad_batch_means(make_loss(name), mix, sigmas, score_of, jnp.zeros(3))
    assert np.all(np.abs(mean) < 5 * se), (mean, se)


def test_dsm_learns_the_perturbed_score_not_the_data_score() -> None:
    """At σ = 1 on N(μ, I), p_σ = N(μ, 2I): the gradient vanishes at ∇log p_σ but not at ∇log p."""
    density = make_density("gaussian").mixture
    sigmas = jnp.array([1.0])

    def score_of(sigma_model):
        return lambda theta: lambda x, sigma: (1.0 + theta[0]) * density.score(x, sigma_model) + theta[1:]

    loss = make_loss("dsm")
    at_p_sigma, se1 = _grad_batch_means(loss, density, sigmas, score_of(1.0), jnp.zeros(3))
    at_p, se0 = _grad_batch_means(loss, density, sigmas, score_of(0.0), jnp.zeros(3))
    assert np.all(np.abs(at_p_sigma) < 5 * se1)
    assert abs(at_p[0]) > 10 * se0[0]  # the scale of ∇log p is visibly wrong for this objective


def test_ncsn_weighting_folds_lambda_into_the_residual() -> None:
    """Σ-level closed form: with s = 0 the per-example term is ½λ(σ)‖(x̃ − x)/σ²‖² = ½‖z‖², mean d/2 = 1."""
    loss = make_loss("ncsn")
    zero = lambda x, sigma: jnp.zeros_like(x)
    density = make_density("two-modes")
    mean, se = _batch_means(loss, zero, density, jnp.array([10.0, 1.0, 0.1]))
    assert abs(mean - 1.0) < 5 * se
