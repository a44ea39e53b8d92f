"""Shared test set-up and helpers."""

import os
import threading

import pytest

from scoredemo.app.warmup import WARM_UP_THREAD

# The app's warm-up would train the default models of scenes 3–5 in a background thread of the test process
# (a minute of both cores); the tests train their own small models, and test_warmup checks the training warm-up.
os.environ.setdefault("SCOREDEMO_WARM_MODELS", "0")
# No test reads or writes a lecture pack on disk (~/.cache/scoredemo/pack) or JAX's compilation cache: the models and
# programs stay in memory, as before the pack; the pack's own tests give each test a temporary directory.
os.environ.setdefault("SCOREDEMO_PACK_DIR", "off")

# ------------------------------------------------------------------------------ counting XLA compilations
# jax.monitoring reports every backend compilation as a duration event; a listener counting those events is the
# public way to tell "this call compiled" (jit's _cache_size() is private). Listeners cannot be unregistered
# one by one, so one listener is installed for the session and each test reads the count's difference.

_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
_compiles = [0]
_listening = [False]


def _on_event(event: str, duration: float, **kwargs) -> None:
    # the app's warm-up thread (started by any test that runs app.py in this process) compiles in the background;
    # its compilations are not the ones a test's call caused
    if event == _COMPILE_EVENT and not threading.current_thread().name.startswith(WARM_UP_THREAD):
        _compiles[0] += 1


@pytest.fixture
def count_compiles():
    """A callable returning the number of XLA compilations since the test started (all jitted programs)."""
    if not _listening[0]:
        import jax.monitoring

        jax.monitoring.register_event_duration_secs_listener(_on_event)
        _listening[0] = True
    start = _compiles[0]
    return lambda: _compiles[0] - start
