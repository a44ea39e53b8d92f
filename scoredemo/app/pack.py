"""The lecture pack on disk: trained models and JAX's compiled programs, kept in one directory so that a server
restart (or a second server on the same machine) neither retrains nor recompiles.

Layout of the pack directory (``$SCOREDEMO_PACK_DIR``; default ``$XDG_CACHE_HOME/scoredemo/pack``, i.e.
``~/.cache/scoredemo/pack``; ``off`` keeps everything in memory, as the test suite does)::

    models/<hash>.npz   one trained model per file, written once, atomically (temporary file, then rename)
    jax/                JAX's persistent compilation cache (``jax_compilation_cache_dir``)
    manifest.json       written last by ``python -m scoredemo pack``: which visits the pack covers, for what code

A model file is :func:`scoredemo.models.save_model`'s ``.npz`` (the network, readable by ``load_model``) plus what a
page needs besides the network (the loss curves, the fixed data set, the run's config and timings) and a
``__pack__`` record naming the exact :class:`~scoredemo.app.keys.TrainKey` (its ``repr``) and the training code it
was trained with (:func:`code_fingerprint`). The file name is a hash of both, so a changed key format or changed
training code looks for another file; and a file whose record does not name the requested key exactly is never
used (a hash collision, a hand-copied file). Files are written once: servers sharing the directory (replicas) may
race to train the same model, and the loser's rename replaces an identical file.

Not in the pack: ``st.cache_data`` results (particle runs, grids). Streamlit's ``persist="disk"`` writes to
``~/.streamlit/cache`` (not this directory), without a temporary file, ignores ``ttl``, and does nothing under
``AppTest`` (the pack builder's runner); the warm-up recomputes them in each server instead (seconds, once the
models and programs come from the pack).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

#: The pack directory ("off": none; memory only).
PACK_DIR_ENV = "SCOREDEMO_PACK_DIR"
OFF = "off"
#: Tag of a model file written by this module (bump it when the layout below changes).
MODEL_FORMAT = "scoredemo-pack-model/1"
#: The engine's modules whose code decides what a training run produces (plus the library versions).
TRAINING_CODE = ("training.py", "models.py", "objectives.py", "densities.py", "digit_models.py", "digits.py")
TRAINING_LIBS = ("jax", "jaxlib", "flax", "optax", "numpy")


def pack_dir() -> Path | None:
    """The pack directory from ``$SCOREDEMO_PACK_DIR`` (default ``~/.cache/scoredemo/pack``), or None if "off"."""
    value = os.environ.get(PACK_DIR_ENV)
    if value is not None and value.strip().lower() in (OFF, ""):
        return None
    if value:
        return Path(value).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "scoredemo" / "pack"


def model_dir() -> Path | None:
    d = pack_dir()
    return None if d is None else d / "models"


def note(message: str) -> None:
    """One line on the server's stderr (its log): what the pack loaded, trained or could not use."""
    print(f"scoredemo: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------- compiled programs

_compile_cache_lock = threading.Lock()
_compile_cache_dir: list[str | None] = [None]


def enable_compile_cache(directory: Path | None = None) -> str | None:
    """Keep every XLA compilation of this process in ``<pack>/jax`` (JAX's persistent compilation cache), so the
    next process that compiles the same program loads it instead (~10× faster here). Idempotent; None when the
    pack is off. Every program is kept (JAX's default keeps only those that took over 1 s to compile: most of the
    app's take 0.05–0.5 s each, and a scene compiles dozens)."""
    import jax  # noqa: PLC0415 - the pack's model functions need no JAX

    base = pack_dir() if directory is None else directory
    if base is None:
        return None
    path = str(base / "jax")
    with _compile_cache_lock:
        if _compile_cache_dir[0] != path:
            os.makedirs(path, exist_ok=True)
            jax.config.update("jax_compilation_cache_dir", path)
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
            jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
            _compile_cache_dir[0] = path
    return path


# ----------------------------------------------------------------------------------------- trained models


def _package_root() -> Path:
    return Path(__file__).resolve().parents[1]


_fingerprint: list[str] = []


def code_fingerprint() -> str:
    """A hash of the training code (:data:`TRAINING_CODE`) and the libraries' versions: a model trained by other
    code is another model, even under the same TrainKey."""
    if not _fingerprint:
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        h = hashlib.sha256()
        for name in TRAINING_CODE:
            h.update(name.encode() + b"\0" + (_package_root() / name).read_bytes())
        for lib in TRAINING_LIBS:
            try:
                h.update(f"{lib}={version(lib)}".encode())
            except PackageNotFoundError:
                h.update(f"{lib}=?".encode())
        _fingerprint.append(h.hexdigest()[:16])
    return _fingerprint[0]


def key_text(key: Any) -> str:
    """The exact identity of a TrainKey: its ``repr`` (NamedTuple and frozen dataclass: every field, in order)."""
    return repr(key)


def model_path(directory: Path, key: Any) -> Path:
    """``<directory>/<hash>.npz``: a stable hash (SHA-256, not Python's salted ``hash``) of the key and the code."""
    digest = hashlib.sha256(f"{key_text(key)}\n{code_fingerprint()}".encode()).hexdigest()[:32]
    return directory / f"{digest}.npz"


def _result_record(result: Any) -> dict[str, Any]:
    return {
        "config": dataclasses.asdict(result.config),
        "compile_seconds": float(result.compile_seconds),
        "train_seconds": float(result.train_seconds),
        "steps_done": int(result.steps_done),
    }


def save_result(directory: Path, key: Any, result: Any) -> Path:
    """Write a TrainResult for ``key`` to its file (:func:`model_path`) atomically: a temporary file in the same
    directory, then a rename, so a reader sees the whole file or none."""
    from scoredemo import models  # noqa: PLC0415

    directory.mkdir(parents=True, exist_ok=True)
    path = model_path(directory, key)
    record = {
        "format": MODEL_FORMAT,
        "key": key_text(key),
        "code": code_fingerprint(),
        **_result_record(result),
    }
    extra = {"__pack__": np.array(json.dumps(record, sort_keys=True)), "loss_curve": np.asarray(result.loss_curve)}
    if result.reference_curve is not None:
        extra["reference_curve"] = np.asarray(result.reference_curve)
    if result.data is not None:
        extra["data"] = np.asarray(result.data)
    fd, tmp = tempfile.mkstemp(prefix=".model-", suffix=".npz.tmp", dir=directory)
    os.close(fd)
    try:
        models.save_model(tmp, result.learned)  # the network, as `scoredemo train --out` writes it
        with np.load(tmp, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays.update(extra)
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from a replica running as another user
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


class PackMismatch(ValueError):
    """A model file that is readable but is not the requested model (another key, other code, other format)."""


def load_result(directory: Path, key: Any) -> Any | None:
    """The TrainResult stored for ``key``, or None if there is no file. Raises ValueError (PackMismatch for a file
    that names another model) when the file cannot be used."""
    from scoredemo import models, training  # noqa: PLC0415

    path = model_path(directory, key)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            record = json.loads(str(npz["__pack__"]))
            loss = np.asarray(npz["loss_curve"], np.float64)
            ref = np.asarray(npz["reference_curve"], np.float64) if "reference_curve" in npz.files else None
            data = np.asarray(npz["data"]) if "data" in npz.files else None
    except Exception as err:  # noqa: BLE001 - any unreadable file is retrained, with the reason in the log
        raise ValueError(f"{path.name} is not readable ({type(err).__name__}: {err})") from None
    if record.get("format") != MODEL_FORMAT:
        raise PackMismatch(f"{path.name} has format {record.get('format')!r}, not {MODEL_FORMAT!r}")
    if record.get("key") != key_text(key) or record.get("code") != code_fingerprint():
        raise PackMismatch(f"{path.name} holds another model ({record.get('key')!r}, code {record.get('code')})")
    learned = models.load_model(path)
    config = training.TrainConfig(**record["config"])
    return training.TrainResult(
        learned=learned,
        loss_curve=loss,
        compile_seconds=float(record["compile_seconds"]),
        train_seconds=float(record["train_seconds"]),
        data=data,
        steps_done=int(record["steps_done"]),
        config=config,
        reference_curve=ref,
    )


# ------------------------------------------------------------------------------------------------ manifest


def manifest_path(directory: Path | None = None) -> Path | None:
    base = pack_dir() if directory is None else directory
    return None if base is None else base / "manifest.json"


def app_fingerprint() -> str:
    """A hash of the whole package's code and the libraries' versions: a pack built by other code is rebuilt."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    h = hashlib.sha256()
    root = _package_root()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for lib in (*TRAINING_LIBS, "streamlit", "plotly"):
        try:
            h.update(f"{lib}={version(lib)}".encode())
        except PackageNotFoundError:
            h.update(f"{lib}=?".encode())
    return h.hexdigest()[:16]


def read_manifest(directory: Path | None = None) -> dict[str, Any] | None:
    path = manifest_path(directory)
    if path is None or not path.exists():
        return None
    try:
        out = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return out if isinstance(out, dict) else None


def write_manifest(record: dict[str, Any], directory: Path | None = None) -> None:
    """Write ``manifest.json`` atomically (temporary file, then rename)."""
    path = manifest_path(directory)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1, sort_keys=True)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def is_current(visits: list[tuple[str, str, str]], directory: Path | None = None) -> bool:
    """Whether the pack was built, by this code, for exactly these visits."""
    m = read_manifest(directory)
    return (
        m is not None
        and m.get("code") == app_fingerprint()
        and [tuple(v) for v in m.get("visits", [])] == [tuple(v) for v in visits]
        and not m.get("failed")
    )
