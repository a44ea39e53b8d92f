"""The server's start-up work: default models trained in the background, and the status the sidebar shows."""

from __future__ import annotations

from scoredemo.app import keys as K
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
