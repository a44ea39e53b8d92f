"""The closed-form predictions (theory.py) against measurements with the engine's samplers (seeded)."""

import jax
import numpy as np
import pytest

from scoredemo import metrics, samplers, theory
from scoredemo.densities import make_density


def test_ula_variance_formula_is_the_ar1_fixed_point():
    eps = np.array([0.1, 0.5, 1.0, 1.9])
    v = theory.ula_stationary_variance(1.0, eps)
    np.testing.assert_allclose(v, (1 - eps) ** 2 * v + 2 * eps)  # v = (1 − ε/σ²)² v + 2ε with σ² = 1
    assert np.isinf(theory.ula_stationary_variance(1.0, 2.0))


@pytest.mark.parametrize("eps", [0.2, 0.8, 1.4])
def test_ula_variance_grows_with_eps_as_predicted_and_mala_stays_exact(eps):
    """Both started at exact samples of N((1, −0.5), 1.2² I); 400 steps relax ULA to its own stationary law
    ((1 − ε/σ²)^800 ≈ 0 for the smallest ε). The pooled variance of 2 coordinates × n independent particles has
    relative standard error 1/√n: tolerances are 4 of them."""
    n, scale = 8000, 1.2
    dens = make_density("gaussian", scale=scale)
    x0 = dens.sample(jax.random.key(0), n)
    tol = 4.0 / np.sqrt(n)
    ula = samplers.sample(jax.random.key(1), "langevin", dens.mixture, x0, n_steps=400, step_size=eps)
    mala = samplers.sample(jax.random.key(1), "mala", dens.mixture, x0, n_steps=400, step_size=eps)
    predicted = float(theory.ula_stationary_variance(scale**2, eps))
    assert abs(np.var(np.asarray(ula.samples), axis=0).mean() / predicted - 1) < tol
    assert abs(np.var(np.asarray(mala.samples), axis=0).mean() / scale**2 - 1) < tol
    # at the largest ε the bias is far outside the noise: (1/(1 − 1.4/2.88)) − 1 ≈ 0.95 ≫ tol
    if eps == 1.4:
        assert predicted / scale**2 - 1 > 20 * tol


def test_mala_acceptance_falls_with_eps():
    dens = make_density("gaussian", scale=1.0)
    x0 = dens.sample(jax.random.key(0), 4000)
    rates = [
        float(samplers.sample(jax.random.key(1), "mala", dens.mixture, x0, n_steps=100, step_size=e).acceptance_rate)
        for e in (0.1, 0.5, 1.0, 2.0, 4.0)
    ]
    # each rate averages 400 000 accept/reject draws: its standard error is < 0.001, far below the gaps
    assert all(a > b + 0.02 for a, b in zip(rates, rates[1:], strict=False)), rates
    assert rates[0] > 0.9


def test_kramers_barrier_of_two_modes():
    """ΔU of ½N(−d/2, 1) + ½N(d/2, 1) along the axis: → d²/8 − log 2 for large d; curvatures 1 at the minima
    (nearly) and d²/4 − 1 at the saddle."""
    for d in (5.0, 7.0):
        mix = make_density("two-modes", pi=0.5, separation=d).mixture
        b = theory.kramers_barrier(mix, np.array([-d / 2, 0.0]), np.array([d / 2, 0.0]))
        assert abs(b.delta_u - (d * d / 8 - np.log(2))) < 0.02
        assert abs(b.curvature_saddle - (d * d / 4 - 1)) < 0.05 * (d * d / 4)
        assert abs(b.curvature_min - 1) < 0.05
    one = make_density("two-modes", pi=0.5, separation=1.0).mixture  # unimodal: no barrier
    assert theory.kramers_barrier(one, np.array([-0.5, 0.0]), np.array([0.5, 0.0])).delta_u == 0.0


def test_crossing_time_grows_like_kramers():
    """Langevin from the left mode of two-modes: the mean time to reach the other mode grows with d, and the
    slope of log(time) against d agrees with Kramers' within 15 %. Band: the fitted slope's statistical error is
    ≈ 0.05 (each log-mean has standard error 1/√(crossings) ≈ 0.06 with 300 particles), and the formula's own
    finite-barrier correction changes the slope by ~7 % at ΔU = 2.4–5.4 (measured/Kramers falls 1.7 → 1.4)."""
    eps, n, steps = 0.1, 300, 20000
    means, predicted = [], []
    for j, d in enumerate((5.0, 6.0, 7.0)):
        mix = make_density("two-modes", pi=0.5, separation=d).mixture
        x0 = jax.random.normal(jax.random.key(10 + j), (n, 2)) + np.array([-d / 2, 0.0], np.float32)
        r = samplers.sample(jax.random.key(20 + j), "langevin", mix, x0, n_steps=steps, step_size=eps, n_frames=401)
        traj, frame_steps = np.asarray(r.trajectory), np.asarray(r.frame_steps)
        first = metrics.first_crossing_steps(traj, frame_steps, traj[..., 0] >= d / 2 - 1)
        means.append(metrics.exponential_mean_time(first, steps)[0])
        predicted.append(theory.kramers_barrier(mix, np.array([-d / 2, 0.0]), np.array([d / 2, 0.0])).time / eps)
    assert means[0] < means[1] < means[2]
    slope = np.polyfit([5, 6, 7], np.log(means), 1)[0]
    slope_k = np.polyfit([5, 6, 7], np.log(predicted), 1)[0]
    assert abs(slope / slope_k - 1) < 0.15, (slope, slope_k)


def test_exponential_mean_time_with_censoring():
    """Exponential times of mean 100 censored at 150: the estimate (crossed / exposure) recovers the mean."""
    rng = np.random.default_rng(0)
    t = rng.exponential(100.0, 20000)
    first = np.where(t <= 150, t, -1)
    mean, se = metrics.exponential_mean_time(first, 150)
    assert abs(mean - 100) < 4 * se  # se = mean/√(crossed) ≈ 0.9
    assert metrics.exponential_mean_time(np.array([-1, -1]), 10)[0] == float("inf")
    steps = np.array([0, 10, 20])
    crossed = np.array([[False, False], [True, False], [True, False]])
    assert metrics.first_crossing_steps(None, steps, crossed).tolist() == [10, -1]
