"""Trained models shared by the whole server, and what the pages show about them (learned field, score errors).

A model is trained once per server per :class:`~scoredemo.app.keys.TrainKey` (by whichever session asks first, with
a live progress report) and then served to every session from :class:`ModelStore`; with a lecture pack
(:mod:`scoredemo.app.pack`) it is trained once per pack directory: the store looks on disk before training and
writes what it trained there, so a restarted server loads it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
import streamlit as st

from scoredemo import digit_models, metrics, training
from scoredemo.app import glossary as G
from scoredemo.app import pack
from scoredemo.app.kernels import grid_kernel, score_kernel
from scoredemo.app.keys import TrainKey, get_density
from scoredemo.app.settings import CACHE_TTL, MAX_TRAIN_DATA, MAX_TRAIN_STEPS, N_ARROWS
from scoredemo.objectives import OBJECTIVES

#: The DensityKey name of models trained on the real digits (scoredemo.digit_models) instead of a 2-D density.
DIGITS = "digits"


def objective_names() -> list[str]:
    """The objectives offered, read from the registry."""
    return list(OBJECTIVES)


def objective_help() -> str:
    """One line per objective, its name spelled out: the glossary's line (:mod:`scoredemo.app.glossary`), or for an
    objective it does not list, the registry's description."""
    return "  \n".join(
        G.line(name) if name in G.GLOSSARY else f"**{name}**: {spec.description}" for name, spec in OBJECTIVES.items()
    )


def objective_needs(name: str) -> str:
    """What an objective needs besides data: "" , "sigma" (dsm) or "sigmas" (ncsn)."""
    return OBJECTIVES[name].needs


def check_train_limits(key: TrainKey) -> None:
    """Raise ValueError naming the limit when a model would take too long or too much memory to train here."""
    if not 1 <= int(key.steps) <= MAX_TRAIN_STEPS:
        raise ValueError(f"{key.steps} training steps is outside the app's limit of 1 to {MAX_TRAIN_STEPS}")
    if key.data_size is not None and not 1 <= int(key.data_size) <= MAX_TRAIN_DATA:
        raise ValueError(f"a data set of {key.data_size} samples is outside the app's limit of 1 to {MAX_TRAIN_DATA}")


class ModelStore:
    """Trained models shared by every session (LRU, ``max_entries``); one lock per key so two sessions asking for
    the same model train it once. Not an ``st.cache_resource`` function because training reports progress to
    the page (a live loss curve), which must not be recorded and replayed by Streamlit's cache.

    ``directory``: the pack's model directory. A model not in memory is loaded from there if its file exists
    (:func:`scoredemo.app.pack.load_result`), else trained and written there (atomically, once); a file that cannot
    be used (corrupt, another model, other training code) is retrained and replaced, with a note in the log.
    """

    def __init__(self, max_entries: int = 12, directory: Path | None = None):
        self.max_entries = max_entries
        self.directory = directory
        self._lock = threading.Lock()
        self._key_locks: dict[TrainKey, threading.Lock] = {}
        self._items: OrderedDict[TrainKey, Any] = OrderedDict()
        #: What this store did, for the warm-up's status and the tests: key -> "trained" | "loaded".
        self.origin: dict[TrainKey, str] = {}

    def has(self, key: TrainKey) -> bool:
        """In memory, or on disk (a page then shows it at once, as the pack loads in milliseconds)."""
        with self._lock:
            if key in self._items:
                return True
        return self.on_disk(key)

    def on_disk(self, key: TrainKey) -> bool:
        return self.directory is not None and pack.model_path(self.directory, key).exists()

    def _load(self, key: TrainKey) -> Any | None:
        if self.directory is None:
            return None
        try:
            result = pack.load_result(self.directory, key)
        except Exception as err:  # noqa: BLE001 - a file we cannot use is retrained, never a crash
            pack.note(f"model file not used, training again: {err}")
            return None
        if result is not None:
            self.origin[key] = "loaded"
            pack.note(f"loaded {key} from {self.directory}")
        return result

    def _save(self, key: TrainKey, result: Any) -> None:
        if self.directory is None or result.stopped_early:
            return
        try:
            pack.save_result(self.directory, key, result)
        except OSError as err:  # a full or read-only disk: the model still serves from memory
            pack.note(f"could not write the model to {self.directory}: {err}")

    def get(self, key: TrainKey, progress: Callable[..., Any] | None = None, *, force: bool = False) -> Any:
        check_train_limits(key)
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if not force and key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
            result = None if force else self._load(key)
            if result is None:
                t0 = time.perf_counter()
                if key.density.name == DIGITS:  # the real 64-D digits: a data set, not a density
                    result = digit_models.train_digits(key.config, progress=progress)
                else:
                    result = training.train(get_density(key.density), key.config, progress=progress)
                self.origin[key] = "trained"
                pack.note(f"trained {key} in {time.perf_counter() - t0:.1f} s")
                if not force or not self.on_disk(key):
                    self._save(key, result)
            with self._lock:
                self._items[key] = result
                self._items.move_to_end(key)
                while len(self._items) > self.max_entries:
                    evicted, _ = self._items.popitem(last=False)
                    lock = self._key_locks.get(evicted)
                    if lock is not None and not lock.locked():
                        del self._key_locks[evicted]  # bounded: one lock per stored or training key
            return result


@st.cache_resource(max_entries=1, show_spinner=False)
def model_store() -> ModelStore:
    return ModelStore(directory=pack.model_dir())


def trained(key: TrainKey, progress: Callable[..., Any] | None = None, *, force: bool = False) -> Any:
    """The TrainResult for ``key``: trained once per server (``force`` trains again), shared by all sessions."""
    return model_store().get(key, progress, force=force)


def is_trained(key: TrainKey) -> bool:
    return model_store().has(key)


@dataclasses.dataclass
class LearnedField:
    xs: np.ndarray
    ys: np.ndarray
    log_density: np.ndarray  # (n, n) of the density the model should have learned (p_σ at eval σ)
    true_score: np.ndarray  # (n*n, 2) on the fine grid
    learned_score: np.ndarray  # (n*n, 2)
    error: np.ndarray  # (n, n) ‖s_θ − s‖
    rel_error: np.ndarray  # (n, n) ‖s_θ − s‖ / (‖s‖ + 1)
    eval_sigma: float
    box: float


@st.cache_data(max_entries=24, ttl=CACHE_TTL, show_spinner=False)
def learned_field(model: TrainKey, n: int = 60, sigma: float | None = None) -> LearnedField:
    """True and learned scores on an n² grid, the error map, and log p_σ (σ = the model's eval σ by default)."""
    res = trained(model)
    dens = get_density(model.density)
    eval_sigma = float(res.config.eval_sigma if sigma is None else sigma)
    xs, ys, pts = metrics.grid_points(dens.box, n)
    lp, s_true = grid_kernel()(dens.mixture, jnp.asarray(pts), jnp.float32(eval_sigma))
    s_learn = score_kernel()(res.learned, jnp.asarray(pts), jnp.float32(eval_sigma))
    s_true = np.asarray(s_true, np.float64)
    s_learn = np.nan_to_num(np.asarray(s_learn, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    err = np.linalg.norm(s_learn - s_true, axis=-1)
    rel = err / (np.linalg.norm(s_true, axis=-1) + 1.0)
    return LearnedField(
        xs,
        ys,
        np.asarray(lp, np.float64).reshape(n, n),
        s_true,
        s_learn,
        err.reshape(n, n),
        rel.reshape(n, n),
        eval_sigma,
        dens.box,
    )


def arrows_from(points_fine: np.ndarray, field_fine: np.ndarray, n_fine: int, n_arrows: int = N_ARROWS):
    """Subsample an n_fine² field to about n_arrows² arrows (for drawing)."""
    idx = np.linspace(0, n_fine - 1, n_arrows).round().astype(int)
    sel = (idx[:, None] * n_fine + idx[None, :]).ravel()
    return points_fine[sel], field_fine[sel]


class ScoreErrors(NamedTuple):
    """How wrong a trained model is, and where (numpy; the learning and low-density scenes). The reference s is the
    score of the density the objective learns: p for esm/ssm/ssm-vr, p_σ for dsm (its σ) and ncsn (σ_min)."""

    xs: np.ndarray
    ys: np.ndarray
    error: np.ndarray  # (n, n) ‖s_θ(x) − s(x)‖ on the grid (metrics.score_error_grid)
    weighted: float  # metrics.weighted_rel_error over samples of p_σ ("near the data")
    low_density: float  # metrics.low_density_rel_error (grid points with p_σ < 1e-4·max)
    by_density: metrics.ErrorByDensity  # metrics.error_vs_log_density, 8 decades
    eval_sigma: float
    box: float


#: Grid of the error map and of the decade bins (also the grid of training.evaluate's low-density error).
ERROR_GRID = 100


@st.cache_data(max_entries=24, ttl=CACHE_TTL, show_spinner=False)
def score_errors(model: TrainKey, n: int = ERROR_GRID) -> ScoreErrors:
    """The error map, the two headline numbers (``training.evaluate``: the same as ``train --json``) and the
    error per decade of density, for a trained model (all from :mod:`scoredemo.metrics`)."""
    res = trained(model)
    dens = get_density(model.density)
    sigma = float(res.config.eval_sigma)
    score, grid_fn = score_kernel(), grid_kernel()
    s = jnp.float32(sigma)

    def learned(x):
        return score(res.learned, x, s)

    def true(x):
        return score(dens.mixture, x, s)

    def log_p(x):
        return grid_fn(dens.mixture, x, s)[0]

    grid = metrics.score_error_grid(learned, true, dens.box, n)
    headline = training.evaluate(res.learned, dens, grid=n, seed=int(model.seed))
    binned = metrics.error_vs_log_density(learned, true, log_p, dens.box, n=n, bins=8)
    return ScoreErrors(
        grid.xs,
        grid.ys,
        np.sqrt(grid.sq_error).reshape(n, n),
        float(headline["weighted_rel_error"]),
        float(headline["low_density_rel_error"]),
        binned,
        sigma,
        dens.box,
    )


@st.cache_data(max_entries=16, ttl=CACHE_TTL, show_spinner=False)
def weighted_error(model: TrainKey) -> float:
    """E_p‖s_θ − s‖² / E_p‖s‖² of a trained model (``training.evaluate``, the number ``train --json`` prints),
    without the grids of :func:`score_errors`."""
    learned = trained(model).learned
    return float(training.evaluate(learned, get_density(model.density), seed=int(model.seed))["weighted_rel_error"])


@st.cache_data(max_entries=24, ttl=CACHE_TTL, show_spinner=False)
def error_by_density_at(model: TrainKey, sigma: float, n: int = ERROR_GRID) -> metrics.ErrorByDensity:
    """A noise-conditional model's error at one noise level σ, s_θ(x, σ) against ∇ log p_σ(x), binned by decades
    of the CLEAN density p(x)/max p (``metrics.error_vs_log_density``): is the σ-score right where the data never
    goes? Same grid and bins as :func:`score_errors`."""
    res = trained(model)
    dens = get_density(model.density)
    score, grid_fn = score_kernel(), grid_kernel()
    s = jnp.float32(sigma)
    return metrics.error_vs_log_density(
        lambda x: score(res.learned, x, s),
        lambda x: score(dens.mixture, x, s),
        lambda x: grid_fn(dens.mixture, x, jnp.float32(0.0))[0],
        dens.box,
        n=n,
        bins=8,
    )
