"""The lecture pack on disk (scoredemo.app.pack) and the model store that reads and writes it: a model trained once
is loaded, never retrained, by the next store or server process on the same directory; a file that is corrupt,
half-written or names another model is retrained, never used and never a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scoredemo.app import keys as K
from scoredemo.app import pack, warmup
from scoredemo.app import trained as T

ROOT = Path(__file__).resolve().parents[2]
#: A model that trains in about a second (the pack's logic does not depend on its size).
KEY = K.train_key(K.density_key("gaussian", scale=1.0), "dsm", 20, seed=7, chunk=10)
OTHER = K.train_key(K.density_key("gaussian", scale=1.0), "dsm", 20, seed=8, chunk=10)


@pytest.fixture(scope="module")
def result():
    """One trained model for the whole module (training it is the slow part)."""
    return T.ModelStore().get(KEY)


def _no_training(monkeypatch):
    """Make any training in this process fail loudly: what follows must load, not train."""

    def refuse(*args, **kwargs):
        raise AssertionError("trained although the pack holds the model")

    monkeypatch.setattr(T.training, "train", refuse)


def test_pack_dir_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(pack.PACK_DIR_ENV, str(tmp_path / "p"))
    assert pack.pack_dir() == tmp_path / "p" and pack.model_dir() == tmp_path / "p" / "models"
    for off in ("off", "OFF", ""):
        monkeypatch.setenv(pack.PACK_DIR_ENV, off)
        assert pack.pack_dir() is None and pack.model_dir() is None
    monkeypatch.delenv(pack.PACK_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert pack.pack_dir() == tmp_path / "cache" / "scoredemo" / "pack"


def test_round_trip_is_exact(tmp_path, result):
    path = pack.save_result(tmp_path, KEY, result)
    assert path == pack.model_path(tmp_path, KEY) and path.exists()
    back = pack.load_result(tmp_path, KEY)
    assert back.config == result.config and back.steps_done == result.steps_done
    np.testing.assert_array_equal(back.loss_curve, result.loss_curve)
    np.testing.assert_array_equal(back.reference_curve, result.reference_curve)
    x = np.linspace(-3, 3, 40, dtype=np.float32).reshape(20, 2)
    np.testing.assert_array_equal(np.asarray(back.learned.score(x, 0.1)), np.asarray(result.learned.score(x, 0.1)))
    # the network is the file `scoredemo train --out` writes: the engine's loader reads it as it is
    from scoredemo import models

    np.testing.assert_array_equal(np.asarray(models.load_model(path).score(x)), np.asarray(result.learned.score(x)))
    assert pack.load_result(tmp_path, OTHER) is None  # no file: None, not an error


def test_file_name_is_a_stable_hash_of_key_and_code(tmp_path):
    a, b = pack.model_path(tmp_path, KEY), pack.model_path(tmp_path, OTHER)
    assert a != b and a.name.endswith(".npz") and len(a.stem) == 32
    # stable across processes (Python's own hash() is salted per process)
    code = (
        "from scoredemo.app import pack; from tests.app.test_pack import KEY; print(pack.model_path(pack.Path(), KEY))"  # noqa: E501
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    out = run.stdout.strip()
    assert Path(out).name == a.name


def test_write_is_atomic(tmp_path, result, monkeypatch):
    """A crash while writing leaves no model file and no temporary file behind (a reader never sees half a
    model), and a good write leaves exactly the one file."""
    real_savez = np.savez
    calls = []

    def crash_on_second(f, **arrays):  # the first savez is the network's, the second the whole file
        calls.append(1)
        if len(calls) == 2:
            f.write(b"PK\x03\x04 half a file")
            raise OSError("disk full")
        return real_savez(f, **arrays)

    monkeypatch.setattr(np, "savez", crash_on_second)
    with pytest.raises(OSError, match="disk full"):
        pack.save_result(tmp_path, KEY, result)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(np, "savez", real_savez)
    pack.save_result(tmp_path, KEY, result)
    assert [p.name for p in tmp_path.iterdir()] == [pack.model_path(tmp_path, KEY).name]


def test_store_loads_instead_of_training(tmp_path, result, monkeypatch):
    pack.save_result(tmp_path, KEY, result)
    _no_training(monkeypatch)
    store = T.ModelStore(directory=tmp_path)
    assert store.has(KEY)  # on disk counts: a page shows it at once
    got = store.get(KEY)
    assert store.origin[KEY] == "loaded"
    np.testing.assert_array_equal(got.loss_curve, result.loss_curve)


def test_store_trains_once_and_writes(tmp_path, monkeypatch):
    store = T.ModelStore(directory=tmp_path)
    assert not store.has(KEY)
    first = store.get(KEY)
    assert store.origin[KEY] == "trained" and pack.model_path(tmp_path, KEY).exists()
    _no_training(monkeypatch)
    second = T.ModelStore(directory=tmp_path).get(KEY)  # a restarted server
    np.testing.assert_array_equal(second.loss_curve, first.loss_curve)


def test_corrupt_file_is_retrained_with_a_note(tmp_path, capsys):
    path = pack.model_path(tmp_path, KEY)
    path.write_bytes(b"not a zip file at all")
    store = T.ModelStore(directory=tmp_path)
    got = store.get(KEY)
    assert store.origin[KEY] == "trained" and got.steps_done == KEY.steps
    assert "model file not used, training again" in capsys.readouterr().err
    assert pack.load_result(tmp_path, KEY) is not None  # replaced by a good one


def test_a_file_of_another_model_is_never_used(tmp_path, result, capsys):
    """A file that names another key (a changed key format, a hash collision, a hand-copied file) or was trained by
    other code is refused and retrained."""
    pack.save_result(tmp_path, OTHER, result)  # result is KEY's model, stored under OTHER
    os.replace(pack.model_path(tmp_path, OTHER), pack.model_path(tmp_path, KEY))
    with pytest.raises(pack.PackMismatch, match="another model"):
        pack.load_result(tmp_path, KEY)
    store = T.ModelStore(directory=tmp_path)
    store.get(KEY)
    assert store.origin[KEY] == "trained" and "training again" in capsys.readouterr().err


def test_other_training_code_is_another_file(tmp_path, result, monkeypatch):
    pack.save_result(tmp_path, KEY, result)
    monkeypatch.setattr(pack, "_fingerprint", ["0123456789abcdef"])  # as if training.py had changed
    assert not pack.model_path(tmp_path, KEY).exists()
    assert pack.load_result(tmp_path, KEY) is None


def test_a_file_from_another_format_is_refused(tmp_path, result):
    path = pack.save_result(tmp_path, KEY, result)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    record = json.loads(str(arrays["__pack__"]))
    arrays["__pack__"] = np.array(json.dumps({**record, "format": "scoredemo-pack-model/0"}))
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(pack.PackMismatch, match="format"):
        pack.load_result(tmp_path, KEY)


def test_a_model_stopped_early_is_not_written(tmp_path):
    store = T.ModelStore(directory=tmp_path)
    with pytest.raises(warmup._Stopped):
        store.get(KEY, lambda *_: (_ for _ in ()).throw(warmup._Stopped()))
    assert not pack.model_path(tmp_path, KEY).exists()


#: Runs in a fresh interpreter (another server process): the shared store for KEY, and what it did.
_SERVER = """
from scoredemo.app import trained as T
from tests.app.test_pack import KEY
T.trained(KEY)
print(T.model_store().origin[KEY])
"""


def test_a_second_process_loads_what_the_first_trained(tmp_path):
    """Two server processes on one pack directory: the first trains and writes, the second loads (the store the
    pages use, ``trained()``, with the directory from ``$SCOREDEMO_PACK_DIR``)."""
    env = {**os.environ, pack.PACK_DIR_ENV: str(tmp_path), "PYTHONPATH": str(ROOT)}

    def server() -> str:
        out = subprocess.run(
            [sys.executable, "-c", _SERVER], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600
        )
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout.strip().splitlines()[-1]

    assert server() == "trained"
    assert server() == "loaded"
    assert len(list((tmp_path / "models").glob("*.npz"))) == 1


def test_manifest_says_whether_the_pack_is_current(tmp_path):
    todo = warmup.visits()
    assert not pack.is_current(todo, tmp_path)
    pack.write_manifest({"code": pack.app_fingerprint(), "visits": todo, "failed": []}, tmp_path)
    assert pack.is_current(todo, tmp_path)
    assert not pack.is_current(todo[:-1], tmp_path)  # a new preset: build again
    pack.write_manifest({"code": "other code", "visits": todo, "failed": []}, tmp_path)
    assert not pack.is_current(todo, tmp_path)
    (tmp_path / "manifest.json").write_text("{half a")
    assert not pack.is_current(todo, tmp_path)


def test_pack_command_refuses_when_the_pack_is_off(monkeypatch, capsys):
    from scoredemo.cli import main

    monkeypatch.setenv(pack.PACK_DIR_ENV, "off")
    assert main(["pack", "--check"]) == 2
    assert "the lecture pack is off" in capsys.readouterr().err
