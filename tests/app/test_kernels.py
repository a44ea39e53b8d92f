"""The app's compiled programs are the engine's: the app layer jits nothing itself, and the exact-sample program the
warm-up compiles is the one the pages call, so another π, seed or rerun compiles nothing."""

from __future__ import annotations

import re
from pathlib import Path

import jax
import numpy as np

from scoredemo import metrics
from scoredemo.app import builders as B
from scoredemo.app import kernels, warmup
from scoredemo.app import keys as K


def test_app_layer_defines_no_jitted_function():
    app = Path(kernels.__file__).parent
    jitting = [p.name for p in sorted(app.rglob("*.py")) if re.search(r"\bjax\.jit\b|\bjit\(", p.read_text())]
    assert jitting == []


def test_sample_kernel_is_the_engine_program_shared_with_the_warm_up(count_compiles):
    program = metrics.sample_program()
    assert kernels.sample_kernel() is program and warmup.sample_kernel() is program and B.sample_kernel() is program
    # the warm-up's call (a default density, key 0, 2000 points: the reference samples' shape) ...
    warm = K.get_density(K.density_key("ncsn-mixture", pi=0.2)).mixture
    jax.block_until_ready(kernels.sample_kernel()(warm, jax.random.key(0), 2000))
    B.true_samples(K.density_key("ncsn-mixture", pi=0.2), 2000)  # the page's first call (builds its density)
    before = count_compiles()
    # ... serves the pages at another π and seed, and a rerun (the same call again) without compiling.
    key = K.density_key("ncsn-mixture", pi=0.7)
    x = B.true_samples(key, 2000, seed=5)
    np.testing.assert_array_equal(B.true_samples(key, 2000, seed=5), x)
    assert count_compiles() == before
    # The samples are p's: the first mode's share is π = 0.7 within 5 binomial standard errors (√(0.21/2000) ≈ 0.01).
    fractions = metrics.mode_fractions(K.get_density(key).mixture, x)
    assert abs(fractions[0] - 0.7) < 0.05
    # A new sample count is a new static shape: it compiles once, and only once.
    before = count_compiles()
    kernels.sample_kernel()(warm, jax.random.key(1), 123)
    kernels.sample_kernel()(warm, jax.random.key(2), 123)
    assert count_compiles() - before == 1
