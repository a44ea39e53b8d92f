"""Start-up work of the server: the opt-in compile log (for the benchmark and the load test) and the background
warm-up that compiles the default scenes' programs while the teacher talks."""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import threading
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from scoredemo import metrics
from scoredemo.app.kernels import kernel, picture_kernel, sample_kernel
from scoredemo.app.keys import TrainKey
from scoredemo.app.scenes import SCENES
from scoredemo.app.settings import N_ARROWS, N_FRAMES, N_GRID
from scoredemo.app.trained import trained
from scoredemo.densities import make_density
from scoredemo.samplers import geometric_sigmas, make_params, uniform_init

#: If set, the path of a file to which every XLA compilation of this process appends a line (bench, load test).
COMPILE_LOG_ENV = "SCOREDEMO_COMPILE_LOG"

#: The event JAX records once per XLA compilation (jax._src.dispatch.BACKEND_COMPILE_EVENT).
_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
_compile_log_lock = threading.Lock()
_compile_log_path: str | None = None


def _log_compile(event: str, duration: float, **kwargs: Any) -> None:
    if event != _COMPILE_EVENT or _compile_log_path is None:
        return
    line = f"{time.time():.3f}\t{duration:.3f}\t{kwargs.get('fun_name', '?')}\t{threading.current_thread().name}\n"
    with _compile_log_lock, open(_compile_log_path, "a", encoding="utf-8") as fh:
        fh.write(line)


def install_compile_log(path: str | None = None) -> str | None:
    """Append one line per XLA compilation of this process to ``path`` (default: ``$SCOREDEMO_COMPILE_LOG``).

    Used by the benchmark and the load test to prove that interactions compile nothing. Idempotent; app.py calls
    it once, so it is installed only when the environment asks for it.
    """
    global _compile_log_path
    path = path or os.environ.get(COMPILE_LOG_ENV)
    if not path:
        return None
    with _compile_log_lock:
        if _compile_log_path is None:
            jax.monitoring.register_event_duration_secs_listener(_log_compile)
        _compile_log_path = path
    return path


def _warm_kernels() -> None:
    """Compile the default scenes' programs (same function objects and shapes as the pages use, so the pages
    later find them in JAX's cache)."""
    rng = jax.random.key(0)
    for name, sampler, n, kw in (
        ("eight-gaussians", "langevin", 1000, {}),
        ("disjoint", "langevin", 1000, {}),
        ("ncsn-mixture", "annealed", 1280, {"sigmas": geometric_sigmas(20.0, 1.0, 10)}),
        ("ncsn-mixture", "langevin", 1280, {}),
    ):
        dens = make_density(name)
        params = make_params(0.01, noise=1.0, sigmas=kw.get("sigmas", (0.0,)), steps_per_level=1)
        pos = uniform_init(rng, n, dens.box)
        jax.block_until_ready(kernel(sampler, N_FRAMES)(rng, dens.mixture, pos, params, jnp.int32(2)))
        pts, arrows = (jnp.zeros((m * m, 2), jnp.float32) for m in (N_GRID, N_ARROWS))
        jax.block_until_ready(picture_kernel()(dens.mixture, pts, arrows, jnp.float32(0.0)))
        for m in (N_FRAMES * n, n, 2000):  # a run's frames, its final samples, the reference samples
            metrics.assign_modes(dens.mixture, np.zeros((m, 2), np.float32))
        jax.block_until_ready(sample_kernel()(dens.mixture, rng, 2000))
    # the step-size scene (ULA and MALA from exact samples: sweep and clouds) and the mixing-time scene
    from scoredemo.app.builders import CROSSING_FRAMES  # noqa: PLC0415 - builders imports trained, as we do

    gauss = make_density("gaussian")
    params = make_params(0.5, noise=1.0, steps_per_level=1)
    shapes = (("langevin", 2000, 2), ("mala", 2000, 2), ("langevin", 1000, N_FRAMES), ("mala", 1000, N_FRAMES))
    for sampler, n, frames in shapes:
        pos = jnp.zeros((n, 2), jnp.float32)
        jax.block_until_ready(kernel(sampler, frames)(rng, gauss.mixture, pos, params, jnp.int32(2)))
    two = make_density("two-modes")
    pos = jnp.zeros((500, 2), jnp.float32)
    jax.block_until_ready(kernel("langevin", CROSSING_FRAMES)(rng, two.mixture, pos, params, jnp.int32(2)))
    # What is alive now (JAX, Plotly, Streamlit, the compiled programs: ~250k objects) lives as long as the server.
    # Moving it out of the cyclic collector's reach cuts every full collection from ~100 ms to ~1 ms, and a
    # collection holds the GIL, i.e. stalls every session of the server meanwhile.
    gc.freeze()


#: Set to "0" to skip training the default models at start-up (the test suite does: it trains its own).
WARM_MODELS_ENV = "SCOREDEMO_WARM_MODELS"
_status_lock = threading.Lock()
#: What the warm-up has done so far: label -> "waiting" | "working" | "ready" | "failed: …".
_STATUS: dict[str, str] = {}


_STOP = threading.Event()


class _Stopped(Exception):
    """Raised from the training progress callback when the server shuts down."""


def _check_stop(*_: Any) -> None:
    if _STOP.is_set():
        raise _Stopped


def _stop_and_join(thread: threading.Thread) -> None:
    _STOP.set()
    thread.join(60.0)


def _set(label: str, state: str) -> None:
    with _status_lock:
        _STATUS[label] = state


def status() -> dict[str, str]:
    """A copy of the warm-up's progress, in start-up order (label -> state)."""
    with _status_lock:
        return dict(_STATUS)


def default_models() -> list[tuple[str, TrainKey]]:
    """(scene title, TrainKey) for every model a scene's default view trains on arrival, read from the scenes
    (each scene that trains exposes ``default_models()``, built from the same defaults as its controls)."""
    out, seen = [], set()
    for module, title, _, _ in SCENES:
        for key in getattr(importlib.import_module(f"scoredemo.app.scenes.{module}"), "default_models", list)():
            if key not in seen:
                seen.add(key)
                out.append((title, key))
    return out


def train_models(models: list[tuple[str, TrainKey]]) -> None:
    """Train ``models`` into the shared model store, one after the other, recording their progress."""
    labels = [f"model of {title} ({key.objective}, {key.steps} steps)" for title, key in models]
    for label in labels:
        _set(label, "waiting")
    for label, (_, key) in zip(labels, models, strict=True):
        _set(label, "working")
        try:
            trained(key, _check_stop)
        except _Stopped:
            return
        except Exception as err:  # noqa: BLE001 - the page trains it itself then, and says why if it fails again
            _set(label, f"failed: {type(err).__name__}: {err}")
        else:
            _set(label, "ready")


def _warm_diffusion() -> None:
    """Compile scene 11's programs at its default sizes, for both SDE kinds (VE, the default view, first): every
    sampler and ODE solver of the page (the sampler and solver choices then compile nothing), the likelihood, and
    the quality chart's energy distances. The same builders as the page, on a throwaway density key (π = 0.5), so
    nothing here is a different function object or shape from what the page calls."""
    from scoredemo.app import diffusion_builders as DB  # noqa: PLC0415 - it imports trained, as we do
    from scoredemo.app.keys import density_key  # noqa: PLC0415
    from scoredemo.app.scenes.diffusion import STOCHASTIC  # noqa: PLC0415 - the scene's own sampler list

    key = density_key("ncsn-mixture", pi=0.5)
    n = DB.QUALITY_PARTICLES
    for kind in ("ve", "vp"):
        for sampler, solver in [(s, "euler") for s in STOCHASTIC] + [
            ("pf-ode", s) for s in ("heun", "euler", "adaptive")
        ]:
            DB.engine_run(key, kind, 20.0, sampler, solver, 2, n, 0, "prior", 1e-2, N_FRAMES, None)
        DB.likelihood_check(key, kind, 20.0, 0)
    ref = np.zeros((n, 2), np.float32)
    runs = 4 * len(DB.QUALITY_STEPS) + len(DB.QUALITY_TOLERANCES) + len(DB.QUALITY_ANNEALED_T)
    for r in (runs, DB.FLOOR_PAIRS):
        DB.energy_distances(np.zeros((r, n, 2), np.float32), ref)
    gc.freeze()  # as after _warm_kernels: what was compiled lives as long as the server


def _warm_up() -> None:
    _set("compiled programs of the exact-score scenes", "working")
    _warm_kernels()
    _set("compiled programs of the exact-score scenes", "ready")
    if os.environ.get(WARM_MODELS_ENV, "1") != "0":
        train_models(default_models())
    # after the other scenes' programs and models: scene 11 is the lecture's last
    _set("compiled programs of the diffusion scene", "working")
    try:
        _warm_diffusion()
    except Exception as err:  # noqa: BLE001 - the page compiles them itself then
        _set("compiled programs of the diffusion scene", f"failed: {type(err).__name__}: {err}")
    else:
        _set("compiled programs of the diffusion scene", "ready")


@st.cache_resource(max_entries=1, show_spinner=False)
def warm_up_in_background() -> threading.Thread:
    """Once per server: compile what the default scenes need, then train the default models of the learned
    scenes, in a background thread, so that neither the first click on an exact-score scene waits for XLA nor
    the first visit of a learned-score scene for training (:func:`status` says how far it is)."""
    thread = threading.Thread(target=_warm_up, name="scoredemo-warm-up", daemon=True)
    thread.start()
    # a daemon thread killed inside an XLA compile aborts the process at exit ("terminate called…"): stop the
    # training at its next chunk and let the thread finish
    atexit.register(_stop_and_join, thread)
    return thread


_ICONS = {"waiting": ":material/schedule:", "working": ":material/progress_activity:", "ready": ":material/check:"}


def status_lines(states: dict[str, str]) -> list[str]:
    """One line per warm-up task, with an icon (failed tasks say why)."""
    return [f"{_ICONS.get(state, ':material/error:')} {label}: {state}" for label, state in states.items()]


#: What the sidebar says once every warm-up task is ready (the browser harnesses wait for it).
READY = "Server ready"


def show_status() -> None:
    """The server's readiness in the sidebar (so a teacher knows when the room can open the link); it refreshes
    itself every 2 s until everything is ready, then stays still. Once every task is ready it is one caption (the
    expander and its fragment are page weight every student's browser pays for); a failed task keeps the box."""
    states = status()
    pending = any(state in ("waiting", "working") for state in states.values()) or not states
    if not pending and all(state == "ready" for state in states.values()):
        st.sidebar.caption(f":material/check: {READY}", help="  \n".join(status_lines(states)))
        return

    @st.fragment(run_every=2.0 if pending else None)
    def _box() -> None:
        states = status()
        done = bool(states) and all(s not in ("waiting", "working") for s in states.values())
        with st.expander(READY if done else "Server warming up…", expanded=not done):
            st.caption("  \n".join(status_lines(states)) or "starting…")

    with st.sidebar:
        _box()
