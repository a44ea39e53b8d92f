"""The server's start-up work: default models trained in the background, and the status the sidebar shows."""

from __future__ import annotations

import pytest

from scoredemo.app import keys as K
from scoredemo.app import pack as P
from scoredemo.app import trained as T
from scoredemo.app import warmup
from scoredemo.app.scenes import annealed, learning, low_density, manifolds, real_images


def test_default_models_are_the_scenes_default_views():
    """The warm-up trains exactly the models the learned scenes open with (one per distinct key)."""
    models = dict((key, title) for title, key in warmup.default_models())
    assert set(models) == {
        *learning.default_models(),
        *low_density.default_models(),
        *manifolds.default_models(),
        *annealed.default_models(),
        *real_images.default_models(),
    }
    # learning and low density share theirs; manifolds trains a thick and a thin ring; annealed its ncsn error
    # check; real data its two digits models
    assert len(models) == 6
    scene3 = learning.default_models()[0]
    assert (scene3.objective, scene3.steps, scene3.data_size, scene3.seed) == ("ssm-vr", 2000, 1000, 0)
    assert scene3.density == K.density_key("ncsn-mixture", pi=0.2)


def test_train_models_fills_the_store_and_reports_progress():
    key = K.train_key(K.density_key("gaussian", scale=1.0), "dsm", 20, seed=123)
    assert not T.is_trained(key)
    warmup.train_models([("test scene", key)])
    assert T.is_trained(key)
    states = warmup.status()
    label = "model of test scene (dsm, 20 steps)"
    assert states[label] == "ready"
    assert warmup.status_lines({label: "ready"}) == [f":material/check: {label}: ready"]
    bad = K.train_key(K.density_key("gaussian", scale=1.0), "dsm", 20, seed=124)
    T.model_store()  # the store exists; make the next training fail
    original = T.training.train
    try:
        T.training.train = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom"))
        warmup.train_models([("bad scene", bad)])
    finally:
        T.training.train = original
    assert warmup.status()["model of bad scene (dsm, 20 steps)"] == "failed: RuntimeError: boom"


def test_visits_are_every_scene_and_every_preset_in_lecture_order():
    """The lecture pack prepares each scene's default view and each preset: the links a class is given."""
    from scoredemo.app.presets import PRESETS
    from scoredemo.app.scenes import SCENES

    todo = warmup.visits()
    assert len(todo) == len(SCENES) + len(PRESETS)
    assert todo[0] == ("1 · Score fields", "", "")  # scene 1 is the app's root, where the link points
    assert [page for _, page, _ in todo[1 : len(SCENES)]] == [path for _, _, path, _ in SCENES[1:]]
    for (label, page, query), p in zip(todo[len(SCENES) :], PRESETS, strict=True):
        assert p.name in label and query == p.query() and page in ("", p.url_path)
    assert len(set(todo)) == len(todo)


def test_a_step_in_progress_keeps_the_status_pending():
    states = {"every scene and preset opened once on this server": "working: 3/25 (3 · How exact is Langevin?)"}
    assert warmup.is_pending(states) and warmup.is_pending({})
    assert warmup.status_lines(states)[0].startswith(":material/progress_activity:")
    assert not warmup.is_pending({"a": "ready", "b": "failed: boom"})
    assert warmup.status_lines({"b": "failed: boom"})[0].startswith(":material/error:")


def test_wait_for_quiet_lets_a_script_run_finish_first():
    """Serving comes first: the warm-up's next visit waits while a student's script runs (a thread of Streamlit's
    script runner), but not for ever."""
    import threading
    import time

    run = threading.Thread(target=time.sleep, args=(0.8,), name="ScriptRunner.scriptThread")
    run.start()
    t0 = time.monotonic()
    assert warmup.scripts_running() == 1
    warmup.wait_for_quiet(quiet=0.2, patience=30.0)
    waited = time.monotonic() - t0
    run.join()
    assert waited >= 0.8 + 0.2 - 0.05 and warmup.scripts_running() == 0
    run = threading.Thread(target=time.sleep, args=(3.0,), name="ScriptRunner.scriptThread")
    run.start()
    t0 = time.monotonic()
    warmup.wait_for_quiet(quiet=0.2, patience=0.5)  # a class that never stops: go on after `patience`
    assert time.monotonic() - t0 < 2.5
    run.join()


@pytest.fixture
def orchestration(monkeypatch, tmp_path):
    """The full warm-up with every step replaced by a recorder (the steps themselves are tested elsewhere)."""
    calls = []
    monkeypatch.setenv(warmup.WARM_MODELS_ENV, "1")
    monkeypatch.setenv(P.PACK_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(warmup, "_STATUS", {})
    monkeypatch.setattr(warmup, "build_pack_in_subprocess", lambda: calls.append("build"))
    monkeypatch.setattr(warmup, "train_models", lambda models: calls.append("models"))
    monkeypatch.setattr(warmup, "visit", lambda page, query: calls.append(f"visit /{page}?{query}") or [])
    monkeypatch.setattr(warmup, "wait_for_quiet", lambda: None)
    monkeypatch.setattr(warmup, "_warm_kernels", lambda: calls.append("kernels"))
    monkeypatch.setattr(warmup, "_warm_diffusion", lambda: calls.append("diffusion"))
    # the warm-up thread lowers its own priority: here it would be the test process's main thread
    monkeypatch.setattr(warmup, "lower_thread_priority", lambda: calls.append("nice"))
    return calls


def test_warm_up_builds_a_missing_pack_then_opens_every_visit(orchestration):
    warmup._warm_up()
    n = len(warmup.visits())
    assert orchestration[:3] == ["nice", "build", "models"] and orchestration[-2:] == ["kernels", "diffusion"]
    assert orchestration[3 : 3 + n] == [f"visit /{page}?{query}" for _, page, query in warmup.visits()]
    assert not warmup.is_pending(warmup.status()) and set(warmup.status().values()) == {"ready"}


def test_warm_up_with_a_current_pack_builds_nothing(orchestration, monkeypatch):
    monkeypatch.setattr(P, "is_current", lambda todo: True)
    warmup._warm_up()
    assert "build" not in orchestration and orchestration[1] == "models"
    assert warmup.status()[warmup.PACK_TASK] == "ready"


def test_warm_up_stops_when_the_builder_was_stopped(orchestration, monkeypatch):
    def stopped():
        raise warmup._Stopped

    monkeypatch.setattr(warmup, "build_pack_in_subprocess", stopped)
    warmup._warm_up()
    assert orchestration == ["nice"]  # no training or visits in the server when the builder was killed
    assert warmup.status()[warmup.PACK_TASK].startswith("failed")


def test_warm_up_without_a_pack_does_it_all_in_the_server(orchestration, monkeypatch):
    monkeypatch.setenv(P.PACK_DIR_ENV, "off")
    warmup._warm_up()
    assert "build" not in orchestration and orchestration[1] == "models" and warmup.PACK_TASK not in warmup.status()


def test_a_failing_visit_is_reported_and_the_others_still_run(orchestration, monkeypatch):
    monkeypatch.setattr(P, "is_current", lambda todo: True)
    monkeypatch.setattr(warmup, "visit", lambda page, query: ["ValueError: boom"] if page == "mixing" else [])
    warmup._warm_up()
    state = warmup.status()[warmup.VISITS_TASK]
    assert state.startswith("failed") and "7 · Pitfall: mixing and π: ValueError: boom" in state
    assert orchestration[-2:] == ["kernels", "diffusion"]
