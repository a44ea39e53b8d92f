"""Metrics: mode fractions, energy distance, within-mode spread, score grids."""

import jax
import jax.numpy as jnp
import numpy as np

from scoredemo import metrics
from scoredemo.densities import make_density


def test_mode_fractions_counts_finite_points_by_responsibility():
    mix = make_density("two-modes", pi=0.5).mixture  # modes at (−3, 0) and (3, 0)
    x = np.array([[-3.0, 0.0], [-2.0, 1.0], [2.5, 0.0], [np.nan, 0.0]], np.float32)
    np.testing.assert_allclose(metrics.mode_fractions(mix, x), [2 / 3, 1 / 3])
    np.testing.assert_array_equal(metrics.mode_fractions(mix, np.full((3, 2), np.inf)), [0.0, 0.0])
    per_frame = metrics.mode_fractions_per_frame(mix, np.stack([x, x[::-1]]))
    assert per_frame.shape == (2, 2)


def test_energy_distance_separates_distributions():
    d = make_density("gaussian")
    x = d.sample(jax.random.key(0), 2000)
    y = d.sample(jax.random.key(1), 2000)
    same = metrics.energy_distance(x, y)
    shifted = metrics.energy_distance(x, y + jnp.array([1.0, 0.0]))
    # Same law: the V-statistic is O(E‖X−X'‖/n) ≈ 1e-3; a unit shift of N(·, I) in 2-D gives D² ≈ 0.5.
    assert same < 0.01
    assert 0.35 < shifted < 0.65
    assert np.isnan(metrics.energy_distance(np.full((3, 2), np.nan), y))


def test_within_mode_spread_of_exact_samples():
    d = make_density("eight-gaussians")  # component scale 0.4
    x = d.sample(jax.random.key(2), 16_000)
    # RMS distance to the centre of a 2-D N(·, s² I) is s·√2; relative standard error ≈ 1/√n.
    assert abs(metrics.within_mode_spread(d.mixture, x) - 0.4 * np.sqrt(2)) < 0.02


def test_score_grid_matches_score_function():
    d = make_density("two-modes")
    g = metrics.score_grid(d.score, d.box, 9, log_prob_fn=d.log_prob)
    assert g.points.shape == (81, 2) and g.score.shape == (81, 2)
    np.testing.assert_allclose(g.points[1] - g.points[0], [g.xs[1] - g.xs[0], 0.0])  # x varies fastest
    np.testing.assert_allclose(g.score, np.asarray(d.score(jnp.asarray(g.points))), rtol=1e-6)
    np.testing.assert_allclose(g.magnitude, np.linalg.norm(g.score, axis=-1))
    assert np.all(np.isfinite(g.log_prob))


def test_end_modes_within_two_scales():
    """A particle is in a mode only within k blur scales of one of its components; far or non-finite: −1."""
    mix = make_density("ncsn-mixture").mixture
    x = np.array([[-5.0, -5.0], [5.0, 5.5], [0.0, 0.0], [5.0, 7.1], [np.nan, 0.0]])
    assert metrics.end_modes(mix, x).tolist() == [0, 1, -1, -1, -1]
    assert metrics.end_modes(mix, x, k=3.0).tolist() == [0, 1, -1, 1, -1]  # 2.1 scales away: home for k = 3


def test_mode_centres():
    np.testing.assert_allclose(metrics.mode_centres(make_density("ncsn-mixture").mixture), [[-5, -5], [5, 5]])


def test_loss_wander_is_one_for_noise_and_large_for_a_wandering_loss():
    rng = np.random.default_rng(0)
    # white noise around a smooth descent: the quadratic trend is removed, the ratio is ≈ 1 (SE ≈ 0.1 here)
    n = 10_000
    noise = -(np.linspace(0, 1, n) ** 2) + rng.normal(size=n)
    assert abs(metrics.loss_wander(noise) - 1.0) < 0.3
    # the same noise plus a slow random walk (the thin ring's behaviour): the window means wander
    walk = noise + np.cumsum(rng.normal(scale=0.05, size=n))
    assert metrics.loss_wander(walk) > 2.0
    assert np.isnan(metrics.loss_wander(noise[:300]))  # fewer than 4 windows in the second half
    assert np.isfinite(metrics.loss_wander(np.r_[noise, np.nan]))  # NaNs (skipped steps) are ignored


def test_picture_program_is_the_field_program_where_each_is_drawn():
    """log p_σ on the density points and s_σ on the arrow points: the same numbers as the one-set field program
    (float32 round-off: 1e-5 relative)."""
    dens = make_density("eight-gaussians")
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.uniform(-6, 6, (300, 2)), jnp.float32)
    arrows = jnp.asarray(rng.uniform(-6, 6, (40, 2)), jnp.float32)
    for sigma in (0.0, 0.7):
        lp, s = metrics.picture_program()(dens.mixture, x, arrows, jnp.float32(sigma))
        lp_all, _ = metrics.field_program()(dens.mixture, x, jnp.float32(sigma))
        _, s_all = metrics.field_program()(dens.mixture, arrows, jnp.float32(sigma))
        assert lp.shape == (300,) and s.shape == (40, 2)
        np.testing.assert_allclose(np.asarray(lp), np.asarray(lp_all), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.asarray(s), np.asarray(s_all), rtol=1e-5, atol=1e-5)
