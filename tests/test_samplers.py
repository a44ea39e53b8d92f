"""Samplers: exact properties first, then seeded statistical checks against closed forms and the NCSN paper."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from scoredemo import metrics, samplers
from scoredemo.densities import make_density


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Gaussian:
    """A test target N(μ, Σ) with full covariance: s(x) = −Σ⁻¹(x − μ)."""

    mean: jax.Array
    precision: jax.Array

    def score(self, x, sigma=0.0):
        return -(x - self.mean) @ self.precision.T

    def log_prob(self, x, sigma=0.0):
        d = x - self.mean
        return -0.5 * jnp.sum((d @ self.precision.T) * d, axis=-1)


MU = np.array([1.0, -2.0])
SIGMA = np.array([[2.0, 0.8], [0.8, 1.0]])
GAUSS = Gaussian(jnp.asarray(MU, jnp.float32), jnp.asarray(np.linalg.inv(SIGMA), jnp.float32))


def ula_stationary_cov(precision: np.ndarray, eps: float) -> np.ndarray:
    """ULA on a Gaussian is linear: x' = A x + √(2ε) z, A = I − εP, so V = A V Aᵀ + 2ε I (solved by iteration)."""
    a = np.eye(2) - eps * precision
    v = np.eye(2)
    for _ in range(20_000):
        v = a @ v @ a.T + 2 * eps * np.eye(2)
    return v


@pytest.mark.parametrize("name", list(samplers.SAMPLERS))
def test_shapes_and_frames(name):
    d = make_density("two-modes")
    x0 = samplers.uniform_init(jax.random.key(0), 64, d.box)
    r = samplers.sample(jax.random.key(1), name, d.mixture, x0, n_steps=30, step_size=0.05, n_frames=7, n_levels=3)
    total = 90 if name == "annealed" else 30
    assert r.samples.shape == (64, 2) and r.samples.dtype == jnp.float32
    assert r.trajectory.shape == (7, 64, 2)
    np.testing.assert_array_equal(np.asarray(r.trajectory[0]), np.asarray(x0))
    np.testing.assert_array_equal(np.asarray(r.trajectory[-1]), np.asarray(r.samples))
    steps = np.asarray(r.frame_steps)
    assert steps[0] == 0 and steps[-1] == total and np.all(np.diff(steps) > 0)
    assert int(r.diverged_at) == -1


@pytest.mark.parametrize("name", ["ascent", "langevin", "annealed"])
def test_zero_step_size_leaves_particles_in_place(name):
    d = make_density("two-modes")
    x0 = samplers.uniform_init(jax.random.key(0), 32, d.box)
    r = samplers.sample(jax.random.key(1), name, d.mixture, x0, n_steps=10, step_size=0.0)
    np.testing.assert_array_equal(np.asarray(r.samples), np.asarray(x0))


def test_results_do_not_depend_on_frame_count():
    d = make_density("two-modes")
    x0 = samplers.uniform_init(jax.random.key(0), 32, d.box)
    runs = [
        samplers.sample(jax.random.key(1), "langevin", d.mixture, x0, n_steps=50, step_size=0.05, n_frames=f)
        for f in (2, 11)
    ]
    np.testing.assert_array_equal(np.asarray(runs[0].samples), np.asarray(runs[1].samples))
    np.testing.assert_array_equal(np.asarray(runs[1].trajectory[-1]), np.asarray(runs[0].samples))


def test_values_never_recompile_only_shapes_do(count_compiles):
    """π, ε, the noise switch and the step count are traced: one compiled program serves them all."""
    fn = samplers.compiled_run("langevin", 5)
    x0 = samplers.uniform_init(jax.random.key(0), 16, 6.0)
    key, x17 = jax.random.key(1), jnp.zeros((17, 2))
    settings = [(0.1, 0.01, 1.0, 10), (0.9, 0.2, 0.0, 25), (0.5, 0.05, 1.0, 7)]
    # Inputs are built first: their own small eager programs must not be counted.
    make = lambda eps, noise, n: samplers.make_params(eps, noise=noise, sigmas=[0.0], steps_per_level=n)
    calls = [(make_density("two-modes", pi=pi).mixture, make(eps, noise, n), n) for pi, eps, noise, n in settings]
    steps = [jnp.int32(n) for _, _, n in calls]
    before = count_compiles()
    for (mix, params, _), n in zip(calls, steps, strict=True):
        jax.block_until_ready(fn(key, mix, x0, params, n))
    assert count_compiles() - before == 1
    jax.block_until_ready(fn(key, mix, x17, params, steps[0]))  # a new particle count is a new shape
    assert count_compiles() - before == 2


def test_langevin_recovers_gaussian_mean_and_covariance():
    n, eps = 20_000, 0.05
    x0 = samplers.uniform_init(jax.random.key(0), n, 5.0)
    r = samplers.sample(jax.random.key(1), "langevin", GAUSS, x0, n_steps=600, step_size=eps)
    x = np.asarray(r.samples, np.float64)
    # Mixing time ≈ 1/(ε·λ_min(Σ⁻¹)) ≈ 50 steps, so 600 steps forget the start; particles are independent.
    v = ula_stationary_cov(np.linalg.inv(SIGMA), eps)
    assert np.allclose(v, SIGMA, rtol=0.05)  # ULA's O(ε) bias is small at ε = 0.05 ...
    se_mean = np.sqrt(np.diag(v) / n)
    assert np.all(np.abs(x.mean(0) - MU) < 5 * se_mean)
    # ... and the sample covariance matches V within 5 standard errors: Var(x_i x_j) ≈ (V_ii V_jj + V_ij²)/n.
    se_cov = np.sqrt((np.outer(np.diag(v), np.diag(v)) + v**2) / n)
    assert np.all(np.abs(np.cov(x.T) - v) < 5 * se_cov)


def test_mala_is_unbiased_where_ula_is_not():
    """At a large step ULA's variance is visibly inflated (1/(1 − ε/2) for N(0, 1)); MALA's is exact."""
    n, eps = 20_000, 0.5
    std = Gaussian(jnp.zeros(2), jnp.eye(2))
    x0 = samplers.uniform_init(jax.random.key(0), n, 3.0)
    mala = samplers.sample(jax.random.key(1), "mala", std, x0, n_steps=400, step_size=eps)
    ula = samplers.sample(jax.random.key(1), "langevin", std, x0, n_steps=400, step_size=eps)
    var_se = np.sqrt(2.0 / (2 * n))  # sd of a variance estimate pooled over 2 coordinates × n particles
    assert abs(np.var(np.asarray(mala.samples)) - 1.0) < 5 * var_se
    assert abs(np.var(np.asarray(ula.samples)) - 1 / (1 - eps / 2)) < 5 * var_se * 1.34
    assert 0.3 < float(mala.acceptance_rate) < 1.0
    assert float(ula.acceptance_rate) == 1.0


def test_ascent_collapses_onto_modes_and_langevin_does_not():
    d = make_density("eight-gaussians")
    x0 = samplers.uniform_init(jax.random.key(0), 2000, d.box)
    asc = samplers.sample(jax.random.key(1), "ascent", d.mixture, x0, n_steps=1500, step_size=0.05)
    lan = samplers.sample(jax.random.key(1), "langevin", d.mixture, x0, n_steps=1500, step_size=0.05)
    # Ascent contracts by (1 − ε/s²) = 0.69 per step near a mode: collapse to float32 precision.
    assert metrics.within_mode_spread(d.mixture, asc.samples) < 1e-3
    # Langevin keeps each mode's spread: RMS distance to the centre of a 2-D N(·, 0.4² I) is 0.4·√2 ≈ 0.57.
    assert abs(metrics.within_mode_spread(d.mixture, lan.samples) - 0.4 * np.sqrt(2)) < 0.05
    # Every ascent particle sits on a mode centre (radius 4).
    assert np.allclose(np.linalg.norm(np.asarray(asc.samples), axis=-1), 4.0, atol=1e-3)


def test_annealed_step_schedule():
    """With a zero score and noise on, x_T − x_0 is Gaussian with variance Σ_i T·2ε_i, ε_i = ε·σ_i²/σ_L²."""
    zero = Gaussian(jnp.zeros(2), jnp.zeros((2, 2)))
    n, eps, t_per = 20_000, 1e-3, 20
    sig = samplers.geometric_sigmas(4.0, 1.0, 3)
    np.testing.assert_allclose(sig, [4.0, 2.0, 1.0], rtol=1e-6)
    r = samplers.sample(
        jax.random.key(0), "annealed", zero, jnp.zeros((n, 2)), n_steps=t_per, step_size=eps,
        sigma_max=4.0, sigma_min=1.0, n_levels=3,
    )  # fmt: skip
    want = sum(t_per * 2 * eps * s**2 / sig[-1] ** 2 for s in sig)
    var = np.var(np.asarray(r.samples, np.float64))
    assert abs(var / want - 1) < 5 * np.sqrt(2 / (2 * n))  # relative sd of a pooled variance estimate


NCSN_N = 1280


def _ncsn_run(name):
    d = make_density("ncsn-mixture")
    x0 = samplers.uniform_init(jax.random.key(0), NCSN_N, 8.0)
    steps = 100 if name == "annealed" else 1000
    r = samplers.sample(
        jax.random.key(1), name, d.mixture, x0, n_steps=steps, step_size=0.05, sigma_max=20.0, sigma_min=1.0,
        n_levels=10,
    )  # fmt: skip
    return metrics.mode_fractions(d.mixture, r.samples)[0]


def test_ncsn_toy_langevin_ends_near_half_half():
    """NCSN App. B.1: Langevin from uniform noise keeps the basins' areas, not the weights 1/5 : 4/5.

    The basin boundary of (−5,−5) is x + y = −0.139 (equal responsibilities), so the start square puts 0.491 of the
    particles on its side; particles stay in their basin (no mixing in 1000 steps). Tolerance: 4 binomial
    standard errors, √(0.25/1280) = 0.014.
    """
    frac = _ncsn_run("langevin")
    assert abs(frac - 0.491) < 4 * 0.014
    assert frac > 0.4  # nowhere near the true 0.2


def test_ncsn_toy_annealed_recovers_weights():
    """Annealed Langevin (σ 20 → 1, L = 10, T = 100, ε = 0.05) recovers ≈ 1/5.

    With only T = 100 steps per level the weights are not exactly restored: over 20 seeds the fraction is
    0.217 ± 0.002 (a finite-T bias of +0.017, see the README). Tolerance: that bias plus 4 binomial standard
    errors, √(0.2·0.8/1280) = 0.011.
    """
    frac = _ncsn_run("annealed")
    assert abs(frac - 0.2) < 0.02 + 4 * np.sqrt(0.2 * 0.8 / NCSN_N)


def test_divergence_is_detected_with_its_step():
    d = make_density("two-modes")
    x0 = samplers.uniform_init(jax.random.key(0), 100, d.box)
    ok = samplers.sample(jax.random.key(1), "langevin", d.mixture, x0, n_steps=100, step_size=0.1)
    bad = samplers.sample(jax.random.key(1), "ascent", d.mixture, x0, n_steps=100, step_size=10.0)
    assert int(ok.diverged_at) == -1
    # Ascent with ε = 10 on unit Gaussians multiplies the distance to a mode by |1 − ε| = 9 per step; the score
    # needs ‖x − μ‖², which overflows float32 (3.4e38) once ‖x − μ‖ > 1.8e19: after log(1.8e19/d₀)/log 9 steps,
    # i.e. 19.6–20.6 steps for starting distances d₀ between 1 and 10.
    step = int(bad.diverged_at)
    assert 19 <= step <= 22
    assert not np.all(np.isfinite(np.asarray(bad.samples)))


def test_geometric_sigmas_validation():
    with pytest.raises(ValueError):
        samplers.geometric_sigmas(1.0, 2.0, 3)
    with pytest.raises(ValueError):
        samplers.geometric_sigmas(1.0, 0.5, 0)
    with pytest.raises(ValueError, match="choose one of"):
        samplers.get_sampler("hmc")


@pytest.mark.parametrize("density_name", ["two-modes", "ring", "checkerboard"])
def test_fast_driver_equals_stepping_by_hand(density_name):
    """The specialised Langevin driver (row layout, fused noise) takes exactly the steps of the public step()."""
    d = make_density(density_name)
    x0 = samplers.uniform_init(jax.random.key(0), 50, d.box)
    key = jax.random.key(7)
    params = samplers.make_params(0.01, noise=1.0, sigmas=[0.0], steps_per_level=12)
    fast = samplers.compiled_run("langevin", 2)(key, d.mixture, x0, params, 12)
    state = samplers.langevin_init(x0, d.mixture, params)
    step = jax.jit(samplers.langevin_step)
    for t in range(12):
        state, _ = step(jax.random.fold_in(key, t), state, jnp.int32(t), d.mixture, params)
    np.testing.assert_allclose(np.asarray(fast.samples), np.asarray(state.position), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("power", [1.0, 2.5])
def test_frame_bounds_and_spacing_leave_results_unchanged(power):
    """Frames start at 0, end at n, never go back; p = 1 is exactly linspace; denser early for p > 1; and where the
    frames are recorded never changes the particles (the key of step t is fold_in(key, t))."""
    b = np.asarray(samplers.frame_bounds(400, 51, power))
    assert b[0] == 0 and b[-1] == 400 and np.all(np.diff(b) >= 0)
    if power == 1.0:
        np.testing.assert_array_equal(b, np.round(np.linspace(0, 400, 51)))
    else:
        assert np.sum(b <= 20) >= 12 and np.all(np.diff(b)[:10] >= 1)
    d = make_density("two-modes")
    x0 = samplers.uniform_init(jax.random.key(0), 64, d.box)
    mix = d.mixture
    runs = []
    for p in (1.0, power):
        params = samplers.make_params(0.05, steps_per_level=400, frame_power=p)
        runs.append(samplers.compiled_run("langevin", 51)(jax.random.key(1), mix, x0, params, 400))
    np.testing.assert_array_equal(np.asarray(runs[0].samples), np.asarray(runs[1].samples))
    np.testing.assert_array_equal(np.asarray(runs[1].frame_steps), b)


@pytest.mark.parametrize("sampler", ["langevin", "annealed"])
def test_fast_driver_equals_stepping_by_hand_in_64_dimensions(sampler):
    """(N, D) particles: the row driver with (D, N) fused noise takes exactly the public step()'s steps, D = 64."""
    from scoredemo.models import init_model

    learned = init_model(3, dim=64, width=16, depth=1, noise_conditional=sampler == "annealed")
    x0 = jax.random.uniform(jax.random.key(0), (20, 64))
    key = jax.random.key(5)
    sigmas = [1.0, 0.5, 0.25] if sampler == "annealed" else [0.1]
    params = samplers.make_params(1e-3, noise=1.0, sigmas=sigmas, steps_per_level=4)
    total = 4 * len(sigmas)
    fast = samplers.compiled_run(sampler, 3)(key, learned, x0, params, total)
    assert fast.trajectory.shape == (3, 20, 64)
    state = samplers.langevin_init(x0, learned, params)
    step = jax.jit(samplers.langevin_step)
    for t in range(total):
        state, _ = step(jax.random.fold_in(key, t), state, jnp.int32(t), learned, params)
    np.testing.assert_allclose(np.asarray(fast.samples), np.asarray(state.position), rtol=1e-5, atol=1e-5)
    assert samplers.frame_budget(10**6, 1000, 64) == max(2, samplers.MAX_TRAJECTORY_FLOATS // (64 * 10**6))
