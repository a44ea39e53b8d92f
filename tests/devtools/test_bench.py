"""Benchmark smoke test: `python -m devtools.bench --quick --json` runs every workload; only missing peers are n/a."""

import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from devtools import apphost, bench
from scoredemo import samplers

WORKLOADS = [
    "langevin_analytic",
    "langevin_learned",
    "training",
    "app_latency",
    "page_weight",
    "first_visit",
    "scaling",
    "sharded",
    "diffusion",
    "export",
]
#: Under --quick every workload but the browser one runs, with or without the peers installed.
RUN_QUICK = [name for name in WORKLOADS if name not in ("app_latency", "page_weight", "first_visit")]


class _Hidden:
    """A meta-path finder that makes ``import name`` raise ModuleNotFoundError for the hidden top-level names."""

    def __init__(self, names: tuple[str, ...]):
        self.names = names

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r} (hidden by the test)", name=fullname)
        return None


def hide_modules(mp: pytest.MonkeyPatch, *names: str) -> None:
    """Make the peers unimportable as if not installed: removed from sys.modules and refused by a finder. (Putting
    None in sys.modules instead breaks libraries that look for them there, such as jaxtyping under diffrax.)"""
    for mod in [m for m in sys.modules if m.split(".")[0] in names]:
        mp.delitem(sys.modules, mod)
    mp.setattr(sys, "meta_path", [_Hidden(names), *sys.meta_path])


@pytest.fixture(scope="module")
def quick_report_without_peers():
    """One quick run through devtools.bench's entry point with BlackJAX and PyTorch hidden, as in the test
    environment."""
    mp = pytest.MonkeyPatch()
    hide_modules(mp, "blackjax", "torch")
    try:
        from io import StringIO

        out = StringIO()
        mp.setattr(sys, "stdout", out)
        code = bench.main(["--quick", "--json"])
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
        assert "error" not in w, (name, w.get("error"), w.get("error_at"))
        assert "scoredemo" in w, name
        if name == "diffusion":  # NFE per sampler to the target distance: every sampler reached it
            assert w["scoredemo"] and all(v is not None and v > 0 for v in w["scoredemo"].values()), w["scoredemo"]
        elif name in RUN_QUICK:
            assert w["scoredemo"] > 0, (name, w.get("reason"))
        else:
            assert w["scoredemo"] is None and w.get("reason"), name
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


def _stub_workloads(monkeypatch, keep: str | None = None) -> None:
    """Replace every workload but ``keep`` (which runs for real, at quick size) by an instant n/a result."""
    stubs = {
        "bench_langevin_analytic": lambda sizes: {"title": "analytic", "scoredemo": None, "reason": "stub"},
        "bench_training": lambda sizes: ({"title": "training", "scoredemo": None, "reason": "stub"}, None),
        "bench_langevin_learned": lambda sizes, trained=None: {"title": "learned", "scoredemo": None, "reason": "stub"},
        "bench_app_latency": lambda quick=False: {"title": "app", "scoredemo": None, "reason": "stub"},
        "bench_scaling": lambda sizes: {"title": "scaling", "scoredemo": None, "reason": "stub"},
        "bench_sharded": lambda sizes: {"title": "sharded", "scoredemo": None, "reason": "stub"},
        "bench_export": lambda sizes: {"title": "export", "scoredemo": None, "reason": "stub"},
        "bench_diffusion": lambda sizes: {"title": "diffusion", "scoredemo": None, "reason": "stub"},
        "bench_page_weight": lambda quick=False: {"title": "page weight", "scoredemo": None, "reason": "stub"},
        "bench_first_visit": lambda quick=False: {"title": "first visits", "scoredemo": None, "reason": "stub"},
    }
    # every workload has a stub: one left running for real made each test below take minutes (diffusion, full size)
    assert {name for name in dir(bench) if name.startswith("bench_")} == set(stubs)
    for fn_name, stub in stubs.items():
        if fn_name != keep:
            monkeypatch.setattr(bench, fn_name, stub)


def test_a_crashing_workload_is_an_error_and_fails_the_run(monkeypatch, capsys):
    """A bug inside a workload (here: the real learned-score workload, whose flop count now divides by zero) is
    reported as that workload's error, not as n/a, the table still prints, and the exit status is 1."""
    _stub_workloads(monkeypatch, keep="bench_langevin_learned")

    def broken_flops(*args, **kwargs):
        return 1 // 0

    monkeypatch.setattr(bench, "mlp_flops", broken_flops)
    code = bench.main(["--quick", "--json"])
    out = capsys.readouterr()
    assert code == 1
    work = json.loads(out.out)["workloads"]
    learned = work["langevin_learned"]
    assert learned["scoredemo"] is None and "reason" not in learned
    assert learned["error"] == "ZeroDivisionError: integer division or modulo by zero"
    assert "broken_flops" in learned["error_at"]
    assert [name for name, w in work.items() if "error" in w] == ["langevin_learned"]  # the others still ran
    assert "langevin_learned" in out.err

    code = bench.main(["--quick"])  # the human-readable table: printed in full, then the failure
    table = capsys.readouterr().out
    assert code == 1
    assert "ERROR" in table and "ZeroDivisionError" in table and "FAILED: langevin_learned" in table
    assert "stub" in table  # the workloads after it are in the table


def test_a_missing_peer_is_not_an_error(monkeypatch, capsys):
    """A peer missing for a whole workload (torch not importable, no browser) is n/a with the reason, exit status 0;
    an ImportError of anything else is an error."""
    _stub_workloads(monkeypatch, keep="bench_app_latency")
    monkeypatch.setattr(apphost, "browser_missing", lambda: "no chromium at /nowhere")
    hide_modules(monkeypatch, "torch")  # `import torch` now raises ImportError

    def training_needs_torch(sizes):
        import torch  # noqa: F401

    monkeypatch.setattr(bench, "bench_training", training_needs_torch)
    code = bench.main(["--json"])  # not --quick: the browser workload asks for the browser
    work = json.loads(capsys.readouterr().out)["workloads"]
    assert code == 0
    assert work["training"]["scoredemo"] is None and "torch not available" in work["training"]["reason"]
    assert work["app_latency"]["scoredemo"] is None and work["app_latency"]["reason"] == "no chromium at /nowhere"
    assert not [name for name, w in work.items() if "error" in w]

    def scaling_needs_a_module_that_should_ship(sizes):
        import scoredemo._no_such_module  # noqa: F401

    monkeypatch.setattr(bench, "bench_scaling", scaling_needs_a_module_that_should_ship)
    code = bench.main(["--quick", "--json"])
    work = json.loads(capsys.readouterr().out)["workloads"]
    assert code == 1 and work["scaling"]["error"].startswith("ModuleNotFoundError")


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


def test_scene_latency_holds_each_scene_to_the_app_goal():
    """The scene harnesses' results (scene 11, scene 1's drawing) are held to the app's 0.3 s p95 and 0 compilations,
    and the report prints each interaction's median / p95."""
    from devtools import bench, bench_report  # noqa: PLC0415

    m = {"interactions": ["t"], "t_s": {"median": 0.02, "p95": 0.03}, "t_page_settled_s": {"median": 0.5, "p95": 0.6}}
    ok = bench._scene_latency({**m, "warm_p95_s": 0.03, "compilations_during_interactions": 0}, "scene 11")
    slow = bench._scene_latency({**m, "warm_p95_s": 0.45, "compilations_during_interactions": 0}, "scene 1")
    compiled = bench._scene_latency({**m, "warm_p95_s": 0.03, "compilations_during_interactions": 2}, "scene 11")
    assert (ok["met"], slow["met"], compiled["met"]) == (True, False, False) and ok["target"] == 0.3
    line = bench_report._scene_latency_line(ok)
    assert "t 0.020 / 0.030 s" in line and "settled" not in line and line.endswith("met")


def test_first_visit_report_holds_every_visit_to_the_goal():
    """The first-visit workload's report: one line per visit and run with its cold and returning first charts, the
    goal held against the returning browser, the slowest cold open against the minimal page's floor, and the
    trainings after the restart (goal 0)."""
    from devtools import first_visit

    todo = first_visit.visits()
    assert todo[0][1] == "/" and len(todo) == 11 + len(__import__("scoredemo.app.presets").app.presets.PRESETS)
    assert all(path.startswith("/") for _, path in todo)

    def row(label: str, first: float) -> dict:
        return {"label": label, "first_chart_s": first, "settled_s": first + 1, "compilations": 0, "trainings": 0,
                "page_errors": [], "met": first <= first_visit.FIRST_VISIT_TARGET_S}  # fmt: skip

    def run(cold: list[float], back: list[float]) -> dict:
        warm = {"trainings": 0, "loaded": 6, "compilations": 0, "compile_cache_hits": 300}
        labels = ["1 · Score fields", "3 · How exact is Langevin?"]
        rows, again = (
            [row(a, t) for a, t in zip(labels, cold, strict=True)],
            [row(a, t) for a, t in zip(labels, back, strict=True)],
        )
        return {"ready_s": 30.0, "warm_up": warm, "visits": rows, **first_visit._summary(rows),
                "returning": {"visits": again, **first_visit._summary(again)}}  # fmt: skip

    minimal = {"cold_median_s": 2.5, "returning_median_s": 0.9}
    fresh, again = run([2.8, 4.0], [0.8, 2.6]), run([2.7, 3.0], [0.7, 1.1])
    r = first_visit.judge({"target_s": 2.0, "minimal": minimal, "runs": {"fresh": fresh, "restarted": again}})
    text = first_visit.format_report(r)
    assert fresh["returning"]["over_goal"] == ["3 · How exact is Langevin?"] and not again["returning"]["over_goal"]
    assert (r["met"], r["value"], r["cold_max_s"], r["cold_ratio_max"], r["restart_trainings"]) == (
        False, 2.6, 4.0, 1.6, 0)  # fmt: skip
    assert "OVER GOAL" in text and "NOT met" in text and "trainings after the restart: 0 (goal 0)" in text
    assert "slowest cold open 4.00 s (1.60× the minimal page's)" in text and "cold open median 2.50 s" in text
    assert text.count("3 · How exact is Langevin?") == 2
    # cold opens over 2 s (2.7, 3.0 s) with returning ones within it: the goal is met, the cold ones reported
    alone = first_visit.judge({"target_s": 2.0, "minimal": minimal, "runs": {"fresh": again}})
    assert (alone["met"], alone["cold_ratio_max"]) == (True, 1.2)
