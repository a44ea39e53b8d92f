"""Densities: exact log-densities, scores, noise-perturbed versions, sampling and the registry."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from scoredemo.densities import DENSITIES, make_density, mixture
from scoredemo.metrics import grid_points

ALL = list(DENSITIES)


def analytic_score(mix, x, sigma=0.0):
    """Σ_k P(k|x) ∇ log q_k(x), with ∇ log q_k written out by hand (Gaussian and Bessel-ring cases)."""
    mix = mix.perturb(sigma)
    r = np.asarray(mix.responsibilities(jnp.asarray(x)), np.float64)
    x = np.asarray(x, np.float64)
    out = np.zeros_like(x)
    for k in range(mix.n_components):
        mu = np.asarray(mix.means[k], np.float64)
        s2 = float(mix.scales[k]) ** 2
        rad = float(mix.radii[k])
        d = x - mu
        if rad == 0:
            g = -d / s2
        else:
            rho = np.linalg.norm(d, axis=-1)
            z = rho * rad / s2
            ratio = np.asarray(jax.scipy.special.i1e(z) / jax.scipy.special.i0e(z), np.float64)
            # d/dρ log q = −ρ/s² + (r/s²)·I1(z)/I0(z), along the unit vector d/ρ.
            g = ((-rho / s2 + rad / s2 * ratio) / rho)[:, None] * d
        out += r[:, k : k + 1] * g
    return out


@pytest.mark.parametrize("name", ALL)
def test_score_matches_analytic_formula(name):
    d = make_density(name)
    x = np.asarray(jax.random.uniform(jax.random.key(0), (256, 2), minval=-d.box, maxval=d.box))
    got = np.asarray(d.score(jnp.asarray(x)))
    want = analytic_score(d.mixture, x)
    # float32 autodiff vs float64 formula: relative error a few ulps of the largest term.
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4 * np.abs(want).max())


@pytest.mark.parametrize("name", ALL)
def test_log_prob_is_normalised(name):
    d = make_density(name)
    box = d.box + 4.0  # every density has negligible mass beyond its plotting box + 4
    xs, _, pts = grid_points(box, 801)
    cell = (xs[1] - xs[0]) ** 2
    total = float(jnp.sum(jnp.exp(d.log_prob(jnp.asarray(pts))))) * cell
    # Midpoint rule on a 0.02–0.04 grid of smooth bumps with s >= 0.1: quadrature error << 1e-3.
    assert abs(total - 1.0) < 2e-3


def test_perturbed_gaussian_is_closed_form():
    s, sigma = 0.7, 1.3
    d = make_density("gaussian", scale=s)
    x = jax.random.normal(jax.random.key(1), (100, 2)) * 3
    mu = np.asarray(d.mixture.means[0])
    var = s**2 + sigma**2
    want = -np.sum((np.asarray(x) - mu) ** 2, -1) / (2 * var) - np.log(2 * np.pi * var)
    np.testing.assert_allclose(np.asarray(d.log_prob(x, sigma)), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(d.score(x, sigma)), -(np.asarray(x) - mu) / var, rtol=1e-5, atol=1e-5)


def test_perturbed_ring_is_monte_carlo_convolution():
    """p_σ(x) = E_z[p(x − σz)], estimated with 200k draws of z, agrees with the closed form."""
    d = make_density("ring", radius=2.0, thickness=0.1)
    sigma = 0.5
    pts = jnp.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.0], [0.0, -2.6], [3.0, 3.0]])
    z = jax.random.normal(jax.random.key(2), (200_000, 2))
    mc = []
    for p in pts:
        vals = np.exp(np.asarray(d.log_prob(p[None] - sigma * z), np.float64))
        mc.append((vals.mean(), vals.std() / np.sqrt(len(vals))))
    exact = np.exp(np.asarray(d.log_prob(pts, sigma), np.float64))
    for (mean, se), ex in zip(mc, exact, strict=True):
        assert abs(mean - ex) < 5 * se + 1e-6  # 5 standard errors of the Monte Carlo mean


@pytest.mark.parametrize("name", ALL)
def test_samples_match_mode_weights_and_moments(name):
    d = make_density(name)
    n = 20_000
    x = d.sample(jax.random.key(3), n)
    assert x.shape == (n, 2) and x.dtype == jnp.float32
    mix = d.mixture
    w = np.exp(np.asarray(mix.log_weights, np.float64))
    means, radii, scales = (np.asarray(a, np.float64) for a in (mix.means, mix.radii, mix.scales))
    mean = w @ means  # circles are centred on μ_k, so E[x] = Σ w_k μ_k
    second = w @ (np.sum(means**2, -1) + radii**2 + 2 * scales**2)  # E‖x‖²
    xs = np.asarray(x, np.float64)
    sq = np.sum(xs**2, -1)
    # 5 standard errors of the sample mean of each statistic.
    assert np.all(np.abs(xs.mean(0) - mean) < 5 * xs.std(0) / np.sqrt(n))
    assert abs(sq.mean() - second) < 5 * sq.std() / np.sqrt(n)
    if mix.n_modes > 1:
        frac = np.bincount(np.asarray(mix.assign_modes(x)), minlength=mix.n_modes) / n
        wm = np.asarray(mix.mode_weights())
        # Modes are separated enough that misassignment is rare (< 1%); plus 5 binomial standard errors.
        assert np.all(np.abs(frac - wm) < 5 * np.sqrt(wm * (1 - wm) / n) + 0.01)


def test_disjoint_score_does_not_depend_on_pi():
    a, b = make_density("disjoint", pi=0.2), make_density("disjoint", pi=0.8)
    # Points within 3 standard deviations (1.5) of either mean: inside the two supports.
    key = jax.random.key(4)
    inside = jnp.concatenate(
        [
            jnp.array([[-4.0, 0.0], [4.0, 0.0]])[i]
            + 1.5 * jax.random.uniform(jax.random.fold_in(key, i), (500, 2), minval=-1, maxval=1)
            for i in range(2)
        ]
    )
    np.testing.assert_allclose(np.asarray(a.score(inside)), np.asarray(b.score(inside)), rtol=0, atol=1e-6)
    # ...while the density itself, and the score in the gap between the supports, do depend on π.
    assert not np.allclose(np.asarray(a.log_prob(inside)), np.asarray(b.log_prob(inside)))
    gap = jnp.array([[0.0, 0.0]])
    assert abs(float(a.score(gap)[0, 0]) - float(b.score(gap)[0, 0])) > 1.0


@pytest.mark.parametrize("w", [0.01, 0.03, 0.1])
def test_ring_score_grows_like_one_over_thickness(w):
    d = make_density("ring", radius=2.5, thickness=w)
    x = d.sample(jax.random.key(5), 20_000)
    mag = np.linalg.norm(np.asarray(d.score(x), np.float64), axis=-1)
    # At x = μ + r·u + w·z the score is ≈ −z_radial/w, so E‖s‖ ≈ E|N(0,1)|/w = √(2/π)/w (curvature O(w/r)).
    want = np.sqrt(2 / np.pi) / w
    assert abs(mag.mean() - want) < 5 * mag.std() / np.sqrt(len(mag)) + 0.02 * want
    assert np.all(np.isfinite(mag))


def test_ring_score_finite_at_centre():
    d = make_density("ring")
    assert np.all(np.isfinite(np.asarray(d.score(jnp.zeros((1, 2))))))


def test_registry_fails_loudly():
    with pytest.raises(ValueError, match="choose one of: two-modes"):
        make_density("nope")
    with pytest.raises(ValueError, match=r"pi must be in \(0, 1\)"):
        make_density("two-modes", pi=1.0)
    with pytest.raises(ValueError, match="has no parameter 'pi'"):
        make_density("ring", pi=0.3)
    with pytest.raises(ValueError, match="thickness must be in"):
        make_density("ring", thickness=0.001)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(means=[[0, 0]], scales=[-1], weights=[1]), "scales must be > 0"),
        (dict(means=[[0, 0], [1, 1]], scales=1, weights=[0, 0]), "not all zero"),
        (dict(means=[[np.nan, 0]], scales=1, weights=[1]), "finite"),
    ],
)
def test_mixture_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mixture(**kwargs)


def test_changing_pi_reuses_compiled_code(count_compiles):
    f = jax.jit(lambda mix, x: mix.score(x))
    x = jnp.zeros((4, 2))
    mixtures = [make_density("two-modes", pi=pi).mixture for pi in (0.1, 0.5, 0.9)]
    before = count_compiles()
    for mix in mixtures:
        jax.block_until_ready(f(mix, x))
    assert count_compiles() - before == 1
