"""Start-up work of the server: the opt-in compile log (for the benchmark and the load test) and the background
warm-up that compiles the default scenes' programs while the teacher talks."""

from __future__ import annotations

import atexit
import gc
import os
import threading
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from scoredemo import metrics
from scoredemo.app.kernels import grid_kernel, kernel, sample_kernel
from scoredemo.app.settings import N_ARROWS, N_FRAMES, N_GRID
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


install_compile_log()


def _warm_kernels() -> None:
    """Compile the default scenes' programs (same function objects and shapes as the pages use, so the pages
    later find them in JAX's cache)."""
    rng = jax.random.PRNGKey(0)
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
        pts = np.zeros((N_GRID * N_GRID + N_ARROWS * N_ARROWS, 2), np.float32)
        jax.block_until_ready(grid_kernel()(dens.mixture, jnp.asarray(pts), jnp.float32(0.0)))
        for m in (N_FRAMES * n, n, 2000):  # a run's frames, its final samples, the reference samples
            metrics.assign_modes(dens.mixture, np.zeros((m, 2), np.float32))
        jax.block_until_ready(sample_kernel()(dens.mixture, rng, 2000))
    # What is alive now (JAX, Plotly, Streamlit, the compiled programs: ~250k objects) lives as long as the server.
    # Moving it out of the cyclic collector's reach cuts every full collection from ~100 ms to ~1 ms, and a
    # collection holds the GIL, i.e. stalls every session of the server meanwhile.
    gc.freeze()


@st.cache_resource(max_entries=1, show_spinner=False)
def warm_up_in_background() -> threading.Thread:
    """Once per server: compile what the other default scenes need in a background thread, so the first click
    on scene 2, 6 or 7 does not wait for XLA."""
    thread = threading.Thread(target=_warm_kernels, name="scoredemo-warm-up", daemon=True)
    thread.start()
    # a daemon thread killed inside an XLA compile aborts the process at exit ("terminate called…"): let it finish
    atexit.register(thread.join, 60.0)
    return thread

