"""Benchmark smoke test: `bench --quick --json` runs and reports every workload, with missing peers as null + reason."""

import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from devtools import bench
from scoredemo import samplers
from scoredemo.cli import main

WORKLOADS = ["langevin_analytic", "langevin_learned", "training", "app_latency", "scaling", "sharded"]


@pytest.fixture(scope="module")
def quick_report_without_peers():
    """One quick run through the CLI with BlackJAX and PyTorch hidden, as in the test environment."""
    hidden = {name: sys.modules.get(name) for name in ("blackjax", "torch")}
    mp = pytest.MonkeyPatch()
    for name in hidden:
        mp.setitem(sys.modules, name, None)  # `import name` now raises ImportError
    try:
        from io import StringIO

        out = StringIO()
        mp.setattr(sys, "stdout", out)
        code = main(["bench", "--quick", "--json"])
    finally:
        mp.undo()
    return code, out.getvalue()


def test_quick_json_has_every_workload(quick_report_without_peers):
    code, out = quick_report_without_peers
    assert code == 0
    report = json.loads(out)  # well-formed: one JSON object, nothing else on stdout
    assert report["quick"] is True
    assert list(report["workloads"]) == WORKLOADS
    for name, w in report["workloads"].items():
        assert "scoredemo" in w, name
        if w["scoredemo"] is None:
            assert w.get("reason"), name
        for peer_name, peer in w.get("peers", {}).items():
            if peer["value"] is None:
                assert peer["ratio"] is None and peer["reason"], (name, peer_name)
            else:
                assert peer["value"] > 0 and peer["ratio"] > 0, (name, peer_name)


def test_missing_peers_are_null_with_a_reason(quick_report_without_peers):
    work = json.loads(quick_report_without_peers[1])["workloads"]
    assert work["langevin_analytic"]["peers"]["blackjax"]["value"] is None
    assert "blackjax" in work["langevin_analytic"]["peers"]["blackjax"]["reason"]
    assert work["training"]["peers"]["pytorch"]["value"] is None
    # The peers that need nothing extra are always measured.
    for peer in ("numpy", "noise_floor", "fused_noise_floor"):
        assert work["langevin_analytic"]["peers"][peer]["value"] > 0
    assert work["langevin_analytic"]["scoredemo"] > 0
    assert work["app_latency"]["scoredemo"] is None  # measured by the app's browser tests, not here


def test_table_output_names_every_workload(capsys):
    report = {
        "quick": True,
        "machine": {**bench.machine(), "load_average_end": [0.0, 0.0, 0.0]},
        "workloads": {
            "langevin_analytic": {
                "title": "Langevin, exact score",
                "unit": "particle-steps/s",
                "scoredemo": 1e8,
                "peers": {"numpy": bench._peer(5e6, 20.0, 10.0), "blackjax": bench._missing("not installed")},
            },
            "app_latency": {"title": "App latency", "scoredemo": None, "reason": "not measured here"},
            "sharded": {"scoredemo": None, "reason": "no subprocess"},
        },
    }
    text = bench.format_table(report)
    assert "numpy" in text and "20.0x" in text and "not installed" in text and "not measured here" in text


def test_fused_noise_is_jax_random_normal():
    """The benchmark's fused noise floor (and the sampler) draw exactly jax.random.normal(fold_in(key, t), (2, n))."""
    for key in (jax.random.PRNGKey(3), jax.random.key(4)):
        noise = jax.jit(samplers._step_noise_fn(key, 101, jnp.float32))
        for t in (0, 1, 977):
            want = jax.random.normal(jax.random.fold_in(key, t), (2, 101), jnp.float32)
            np.testing.assert_array_equal(np.asarray(noise(jnp.int32(t))), np.asarray(want))
