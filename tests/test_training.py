"""Training loop (config validation, determinism, chunks, caching), learned-score metrics, and the paper's toys.

Thresholds on trained networks. The relative score error r = E‖s_θ − s‖²/E‖s‖² is estimated on 10 000 samples;
its sampling error is a few per cent *of r* (relative), so every comparison below is far from noise-limited. What a
threshold means is set in advance, not fitted to a run: r < 0.02 is an RMS arrow error under 14 % of the RMS
arrow (invisible on a quiver plot); "many times" is a factor 10.
"""

from __future__ import annotations

import argparse
import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from scoredemo import metrics, samplers
from scoredemo.densities import make_density
from scoredemo.models import load_model
from scoredemo.training import TrainConfig, evaluate, train, train_command

SMALL = dict(width=32, depth=2, chunk=100)


# ------------------------------------------------------------------------------------------------ config


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(objective="nope"), "esm, ssm, ssm-vr, dsm, ncsn"),
        (dict(objective="esm", steps=0), "steps"),
        (dict(objective="esm", steps=1.5), "steps"),
        (dict(objective="esm", batch=0), "batch"),
        (dict(objective="esm", lr=-1.0), "lr"),
        (dict(objective="esm", lr=float("nan")), "lr"),
        (dict(objective="esm", width=0), "width"),
        (dict(objective="esm", depth=100), "depth"),
        (dict(objective="esm", sigma=0.1), "sigma applies only to objective dsm"),
        (dict(objective="dsm", sigma=0.0), "sigma"),
        (dict(objective="dsm", levels=3), "only to objective ncsn"),
        (dict(objective="ncsn", sigma_min=5.0, sigma_max=1.0), "sigma_min"),
        (dict(objective="ncsn", levels=0), "levels"),
        (dict(objective="esm", data_size=0), "data_size"),
        (dict(objective="ssm", projection="uniform"), "projection"),
        (dict(objective="ssm", n_projections=0), "n_projections"),
        (dict(objective="esm", seed=-1), "seed"),
        (dict(objective="esm", chunk=0), "chunk"),
        (dict(objective="esm", ema=1.0), "ema"),
    ],
)
def test_bad_config_raises(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)


def test_config_sigmas() -> None:
    assert TrainConfig("esm").sigmas.tolist() == [0.0]
    assert TrainConfig("dsm").sigmas.tolist() == pytest.approx([0.1])
    ladder = TrainConfig("ncsn").sigmas
    assert len(ladder) == 10 and ladder[0] == pytest.approx(20.0) and ladder[-1] == pytest.approx(1.0)
    assert TrainConfig("ncsn", sigma_max=4.0, sigma_min=0.5, levels=4).eval_sigma == pytest.approx(0.5)


# ------------------------------------------------------------------------------------------------ loop


def test_deterministic_and_chunk_invariant() -> None:
    density = make_density("two-modes")
    a = train(density, TrainConfig("ssm", steps=250, seed=3, **SMALL))
    b = train(density, TrainConfig("ssm", steps=250, seed=3, **SMALL))
    np.testing.assert_array_equal(a.loss_curve, b.loss_curve)
    for x, y in zip(jax.tree.leaves(a.learned), jax.tree.leaves(b.learned), strict=True):
        np.testing.assert_array_equal(x, y)
    assert a.loss_curve.shape == (250,) and np.all(np.isfinite(a.loss_curve))
    # Step t's randomness is fold_in(key, t): the chunk length changes nothing but the float reduction order.
    c = train(density, TrainConfig("ssm", steps=250, seed=3, **{**SMALL, "chunk": 250}))
    np.testing.assert_allclose(c.loss_curve, a.loss_curve, rtol=1e-4, atol=1e-4)
    d = train(density, TrainConfig("ssm", steps=250, seed=4, **SMALL))
    assert not np.allclose(d.loss_curve, a.loss_curve)


@pytest.mark.parametrize(("objective", "options"), [("dsm", {"sigma": 0.5}), ("esm", {})])
def test_reference_curve_is_the_exact_scores_loss(objective, options) -> None:
    """TrainResult.reference_curve: the objective with the exact score on each step's minibatch. On a Gaussian
    N(μ, s²I) in d = 2 its mean is known: esm −½E‖∇ log p‖² = −d/(2s²); dsm d/(2σ²) − d/(2(s² + σ²)). Tolerance:
    6 standard errors of the 400-step mean (its own spread)."""
    scale = 0.8
    density = make_density("gaussian", scale=scale)
    result = train(density, TrainConfig(objective, steps=400, **options, **SMALL))
    ref = result.reference_curve
    assert ref.shape == result.loss_curve.shape and np.all(np.isfinite(ref))
    s2 = scale**2
    expected = -1.0 / s2 if objective == "esm" else 1.0 / 0.25 - 1.0 / (s2 + 0.25)
    se = ref.std() / np.sqrt(len(ref))
    assert abs(ref.mean() - expected) < 6 * se + 1e-6, (ref.mean(), expected, se)


def test_progress_and_early_stop() -> None:
    density = make_density("two-modes")
    calls = []

    def progress(done, total, curve):
        calls.append((done, total, len(curve)))
        return done < 200  # stop after the second chunk

    result = train(density, TrainConfig("esm", steps=1000, **SMALL), progress=progress)
    assert calls == [(100, 1000, 100), (200, 1000, 200)]
    assert result.steps_done == 200 and result.stopped_early and len(result.loss_curve) == 200


def test_compiled_once_per_shape_config() -> None:
    """A second run with the same static settings compiles nothing, whatever the lr, σ, π or seed."""
    first = train(make_density("two-modes", pi=0.3), TrainConfig("dsm", steps=150, sigma=0.2, **SMALL))
    again = train(make_density("two-modes", pi=0.7), TrainConfig("dsm", steps=120, sigma=0.5, lr=3e-3, seed=9, **SMALL))
    assert first.compile_seconds >= 0 and again.compile_seconds == 0.0
    # Fixed data sets are padded to a power of two: 100 and 120 points share one program.
    d1 = train(make_density("gaussian"), TrainConfig("esm", steps=100, data_size=100, **SMALL))
    d2 = train(make_density("gaussian"), TrainConfig("esm", steps=100, data_size=120, **SMALL))
    assert d2.compile_seconds == 0.0
    assert d1.data.shape == (100, 2) and d2.data.shape == (120, 2)
    fresh = train(make_density("gaussian"), TrainConfig("esm", steps=100, **SMALL))
    assert fresh.data is None


def test_fixed_data_is_the_training_set() -> None:
    """With data_size = n every minibatch comes from the returned n points (seeded, exact samples)."""
    density = make_density("ncsn-mixture")
    r = train(density, TrainConfig("esm", steps=100, data_size=50, seed=1, **SMALL))
    again = train(density, TrainConfig("esm", steps=100, data_size=50, seed=1, **SMALL))
    np.testing.assert_array_equal(r.data, again.data)
    assert np.all(np.isfinite(r.data)) and r.data.std() > 3.0  # spread over both modes (means ±5)


# ------------------------------------------------------------------------------------------------ metrics


def test_learned_score_metrics_exact_properties() -> None:
    density = make_density("two-modes")
    s = density.score
    x = density.sample(jax.random.key(0), 2000)
    assert metrics.weighted_rel_error(s, s, x) == 0.0
    assert metrics.weighted_rel_error(lambda y: jnp.zeros_like(y), s, x) == pytest.approx(1.0)
    assert metrics.weighted_rel_error(lambda y: 2.0 * s(y), s, x) == pytest.approx(1.0, rel=1e-5)
    assert metrics.low_density_rel_error(lambda y: 0.5 * s(y), s, density.log_prob, density.box) == pytest.approx(
        0.25, rel=1e-5
    )
    # A box entirely inside high density has no low-density points.
    assert math.isnan(metrics.low_density_rel_error(s, s, density.log_prob, 0.01))
    binned = metrics.error_vs_log_density(lambda y: 0.5 * s(y), s, density.log_prob, density.box, n=50, bins=6)
    assert binned.counts.sum() == 50 * 50 and binned.edges.shape == (7,) and binned.rel_error.shape == (6,)
    filled = binned.counts > 0
    np.testing.assert_allclose(binned.rel_error[filled], 0.25, rtol=1e-5)
    grid = metrics.score_error_grid(lambda y: 0.5 * s(y), s, density.box, 20, log_prob_fn=density.log_prob)
    assert grid.sq_error.shape == (400,) and grid.points.shape == (400, 2)
    np.testing.assert_allclose(grid.sq_error, 0.25 * grid.true_sq, rtol=1e-5, atol=1e-12)


# ------------------------------------------------------------------------------------------------ learning


@pytest.mark.parametrize(
    ("objective", "kwargs", "threshold"),
    [
        ("esm", {}, 0.02),
        ("ssm", {}, 0.02),
        ("ssm", {"projection": "rademacher"}, 0.02),
        ("ssm-vr", {}, 0.02),
        # DSM's regression target z/σ has variance d/σ² = 200 against E‖s‖² = 2: its gradient noise is ~100×
        # that of esm, so SGD's noise floor is higher; r < 0.05 is an RMS arrow error under 22 %.
        ("dsm", {"sigma": 0.1}, 0.05),
    ],
)
def test_recovers_gaussian_score(objective: str, kwargs: dict, threshold: float) -> None:
    """3×128 softplus, 2000 Adam steps (lr 1e-3, batch 128) on N((1, −0.5), I): the score is recovered.

    For dsm the reference is the score of p_σ (what DSM learns); at σ = 0.1 it differs from ∇log p by a relative
    (σ²/(1+σ²))² ≈ 1e-4, far below the threshold.
    """
    density = make_density("gaussian")
    result = train(density, TrainConfig(objective, steps=2000, seed=0, **kwargs))
    errors = evaluate(result.learned, density)
    assert errors["weighted_rel_error"] < threshold, errors
    assert np.isfinite(result.loss_curve).all()


def test_ncsn_fig2_low_density_regions_are_wrong_small() -> None:
    """The slow test below at a fifth of the training (2000 steps, the app's default model): accurate where the
    data is (r < 0.05, an RMS arrow error under 22 %, the looser bound set for short runs like dsm's above), wrong
    in between (factor ≥ 10, overall and top decade vs the lowest populated one)."""
    density = make_density("ncsn-mixture")
    result = train(density, TrainConfig("ssm-vr", steps=2000, batch=128, lr=1e-3, seed=0))
    errors = evaluate(result.learned, density)
    assert errors["weighted_rel_error"] < 0.05, errors
    assert errors["low_density_rel_error"] > 10 * errors["weighted_rel_error"], errors
    binned = metrics.error_vs_log_density(
        lambda x: result.learned.score(x), density.score, density.log_prob, density.box, bins=8
    )
    assert binned.rel_error[0] > 10 * binned.rel_error[-1], binned


@pytest.mark.slow
def test_ncsn_fig2_low_density_regions_are_wrong() -> None:
    """NCSN Fig. 2 / App. B.1: ssm-vr, 3×128 softplus, 10k iterations, batch 128, Adam 1e-3 on
    1/5·N((−5,−5), I) + 4/5·N((5,5), I): accurate where the data is, wrong in between (factor ≥ 10)."""
    density = make_density("ncsn-mixture")
    result = train(density, TrainConfig("ssm-vr", steps=10_000, batch=128, lr=1e-3, seed=0))
    errors = evaluate(result.learned, density)
    assert errors["weighted_rel_error"] < 0.02, errors
    assert errors["low_density_rel_error"] > 10 * errors["weighted_rel_error"], errors
    # And binned: the error grows as the density falls (top decade vs the lowest populated one).
    binned = metrics.error_vs_log_density(
        lambda x: result.learned.score(x), density.score, density.log_prob, density.box, bins=8
    )
    assert binned.rel_error[0] > 10 * binned.rel_error[-1], binned


def test_manifold_pitfall_thin_ring_small() -> None:
    """The slow test below with 3000 steps instead of 8000: 30 windows in the second half, so under pure noise
    ``metrics.loss_wander`` has standard error 1/√(2·(30 − 3)) ≈ 0.14 and 1.55 is 4 standard errors above 1
    (the slow test's 1.4 is 5 of its 0.08). Thick ring below, thin ring above; the thin ring's loss level and
    score error as in the slow test, the error bound loosened to r < 0.05 for the shorter training."""
    ratios, levels, errors = {}, {}, {}
    for w in (0.5, 0.01):
        density = make_density("ring", thickness=w)
        result = train(density, TrainConfig("ssm", steps=3000, seed=0))
        ratios[w] = metrics.loss_wander(result.loss_curve)
        levels[w] = float(np.mean(result.loss_curve[-500:]))
        errors[w] = evaluate(result.learned, density)["weighted_rel_error"]
    assert ratios[0.5] < 1.55 < ratios[0.01], ratios
    assert levels[0.01] / levels[0.5] > 100, levels
    assert errors[0.5] < 0.05 and errors[0.01] > 10 * errors[0.5], errors


@pytest.mark.slow
def test_manifold_pitfall_thin_ring() -> None:
    """The score of a ring of thickness w grows like 1/w; ssm on a thin ring (w = 0.01) never settles.

    8000 steps → 80 windows in the second half, so ``metrics.loss_wander`` has standard error ≈ 0.08 under
    pure noise: 1.4 is 5 standard errors above 1. The thick ring (w = 0.5) is within that; the thin one is not.
    (Per-step coefficients of variation do not separate the two: both curves' minibatch noise scales like their
    level, ∝ 1/w², so the CV is ≈ 0.25 at any w.)
    """
    ratios, levels, errors = {}, {}, {}
    for w in (0.5, 0.01):
        density = make_density("ring", thickness=w)
        result = train(density, TrainConfig("ssm", steps=8000, seed=0))
        ratios[w] = metrics.loss_wander(result.loss_curve)
        levels[w] = float(np.mean(result.loss_curve[-1000:]))
        errors[w] = evaluate(result.learned, density)["weighted_rel_error"]
    assert ratios[0.5] < 1.4 < ratios[0.01], ratios
    # The loss ≈ −½E‖s‖² ∝ −1/w²: (0.5/0.01)² = 2500 (it cannot reach it: the thin ring's score is not learned).
    assert levels[0.01] / levels[0.5] > 100, levels
    assert errors[0.5] < 0.02 and errors[0.01] > 10 * errors[0.5], errors


def test_ncsn_annealed_langevin_recovers_weights_small() -> None:
    """The slow test below with 1500 ncsn training steps instead of 5000 and the same sampler: the learned score's
    split is still nearer 1/5 than plain Langevin's 1/2. Tolerance ±0.12: the slow test's ±0.08 (3 binomial SE +
    the trained network's systematic shift) widened for a network trained a third as long, whose score error at
    the middle levels is larger; it still excludes 1/2 by more than 15 binomial SE."""
    density = make_density("ncsn-mixture")
    result = train(density, TrainConfig("ncsn", steps=1500, seed=0))
    key = jax.random.key(100)
    x0 = samplers.uniform_init(jax.random.fold_in(key, 0), 1280, 8.0)
    run = samplers.sample(jax.random.fold_in(key, 1), "annealed", result.learned, x0, n_steps=100, step_size=0.05)
    fraction = metrics.mode_fractions(density.mixture, run.samples)[0]
    assert abs(fraction - 0.2) < 0.12, fraction


@pytest.mark.slow
def test_ncsn_annealed_langevin_recovers_weights() -> None:
    """NCSN with λ(σ)=σ², σ 20 → 1 (L = 10), then annealed Langevin (T = 100, ε = 0.05·σ_i²/σ_L², 1280
    particles uniform on [−8, 8]²) with the learned s_θ(x, σ): the first mode gets ≈ 1/5 of the particles.

    Tolerance: with the exact score the fraction of 1280 particles has binomial SE √(0.2·0.8/1280) ≈ 0.011, so
    ±0.035 (3 SE). The learned score adds a systematic error: a few per cent of relative score error at the
    middle levels (σ ≈ 3–8, where the two bumps of p_σ merge and the particles choose a side) shifts the split
    by several points, differently for each trained network. ±0.08 still excludes the ~1/2 of plain Langevin.
    """
    density = make_density("ncsn-mixture")
    result = train(density, TrainConfig("ncsn", steps=5000, seed=0))
    key = jax.random.key(100)
    x0 = samplers.uniform_init(jax.random.fold_in(key, 0), 1280, 8.0)
    fractions = {}
    for name, target in (("learned", result.learned), ("exact", density.mixture)):
        run = samplers.sample(jax.random.fold_in(key, 1), "annealed", target, x0, n_steps=100, step_size=0.05)
        fractions[name] = metrics.mode_fractions(density.mixture, run.samples)[0]
    assert abs(fractions["exact"] - 0.2) < 0.035, fractions
    assert abs(fractions["learned"] - 0.2) < 0.08, fractions


# ------------------------------------------------------------------------------------------------ CLI


def _args(tmp_path, **overrides) -> argparse.Namespace:
    base = dict(
        density="ncsn-mixture",
        pi=None,
        thickness=None,
        objective="ncsn",
        steps=300,
        batch=64,
        lr=1e-3,
        sigma=None,
        sigma_max=10.0,
        sigma_min=1.0,
        levels=5,
        data_size=None,
        seed=0,
        out=str(tmp_path / "model.npz"),
        json=True,
    )
    return argparse.Namespace(**{**base, **overrides})


def test_train_command_report(tmp_path) -> None:
    report = train_command(_args(tmp_path))
    for key in (
        "objective",
        "final_loss",
        "loss_curve",
        "weighted_rel_error",
        "low_density_rel_error",
        "compile_seconds",
        "train_seconds",
    ):
        assert key in report, key
    assert report["objective"] == "ncsn" and report["steps_done"] == 300
    assert 0 < len(report["loss_curve"]) <= 200 and len(report["loss_curve_steps"]) == len(report["loss_curve"])
    assert all(math.isfinite(v) for v in report["loss_curve"]) and math.isfinite(report["final_loss"])
    assert report["sigmas"][0] == pytest.approx(10.0) and len(report["sigmas"]) == 5
    json.dumps(report, allow_nan=False)  # plain JSON types only
    learned = load_model(tmp_path / "model.npz")
    assert learned.noise_conditional and learned.config["sigma_min"] == pytest.approx(1.0)

    ring = train_command(
        _args(
            tmp_path,
            density="ring",
            thickness=0.3,
            objective="esm",
            sigma_max=None,
            sigma_min=None,
            levels=None,
            data_size=500,
        )
    )
    assert ring["density_params"]["thickness"] == pytest.approx(0.3) and ring["data_size"] == 500


@pytest.mark.parametrize(
    "overrides",
    [
        dict(objective="nope"),
        dict(density="nope"),
        dict(objective="esm"),  # sigma_max/min/levels given for a non-ncsn objective
        dict(pi=1.5),
        dict(sigma_min=30.0),
    ],
)
def test_train_command_bad_input(tmp_path, overrides: dict) -> None:
    with pytest.raises(ValueError):
        train_command(_args(tmp_path, **overrides))


def test_train_command_unwritable_out(tmp_path) -> None:
    with pytest.raises(ValueError, match="cannot write"):
        train_command(_args(tmp_path, steps=10, out=str(tmp_path / "no" / "such" / "dir" / "m.npz")))
