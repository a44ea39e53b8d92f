"""Start-up work of the server: the opt-in compile log (for the benchmark and the load test) and the background
warm-up that prepares the lecture pack while the teacher talks.

The lecture pack is everything a first visit of any scene's default view or any preset (:data:`~scoredemo.app.
presets.PRESETS`) needs, so that no student waits for a training, a compilation or a long computation:

1. On disk (:mod:`scoredemo.app.pack`): the trained models and the compiled programs. If the pack directory does not
   hold a pack built by this code for these visits, the server builds it in its own process at ``nice`` 19
   (``python -m scoredemo pack``: it trains the models, compiles every program and opens every visit in AppTest),
   paused while pages are being opened (:data:`ARRIVAL_QUIET_S`), so that the work competes as little as possible
   with the students' pages. A restarted server skips this step.
2. In the server's memory: the models are loaded from the pack, then the server opens every visit itself over its own
   websocket, as a browser would (one at a time, and only while no student's script is running), which fills every
   cache the pages read (particle runs, grids, figures' inputs) and loads every program they compile.

The sidebar says "Server ready" when both are done: the room can open the link.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from scoredemo import metrics
from scoredemo.app import pack, presenter
from scoredemo.app.kernels import kernel, picture_kernel, sample_kernel
from scoredemo.app.keys import TrainKey
from scoredemo.app.presets import PRESETS
from scoredemo.app.scenes import SCENES
from scoredemo.app.settings import N_ARROWS, N_FRAMES, N_GRID
from scoredemo.app.trained import trained
from scoredemo.densities import make_density
from scoredemo.samplers import geometric_sigmas, make_params, uniform_init

#: If set, the path of a file to which every XLA compilation of this process appends a line (bench, load test).
COMPILE_LOG_ENV = "SCOREDEMO_COMPILE_LOG"

#: The event JAX records once per XLA compilation (jax._src.dispatch.BACKEND_COMPILE_EVENT), also when the program
#: came from the persistent compilation cache, which records _CACHE_HIT_EVENT just before, in the same thread.
_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
_CACHE_HIT_EVENT = "/jax/compilation_cache/cache_hits"
_compile_log_lock = threading.Lock()
_compile_log_path: str | None = None
_hit = threading.local()


def _note_cache_hit(event: str, **kwargs: Any) -> None:
    if event == _CACHE_HIT_EVENT:
        _hit.flag = True


def _log_compile(event: str, duration: float, **kwargs: Any) -> None:
    if event != _COMPILE_EVENT or _compile_log_path is None:
        return
    how = "cache-hit" if getattr(_hit, "flag", False) else "compiled"
    _hit.flag = False
    line = (
        f"{time.time():.3f}\t{duration:.3f}\t{kwargs.get('fun_name', '?')}\t{threading.current_thread().name}\t{how}\n"
    )
    with _compile_log_lock, open(_compile_log_path, "a", encoding="utf-8") as fh:
        fh.write(line)


def install_compile_log(path: str | None = None) -> str | None:
    """Append one line per XLA compilation of this process to ``path`` (default: ``$SCOREDEMO_COMPILE_LOG``):
    time, seconds, program, thread, and "cache-hit" when the program was loaded from the pack's compilation cache
    (:func:`scoredemo.app.pack.enable_compile_cache`) or "compiled".

    Used by the benchmark and the load test to prove that interactions compile nothing. Idempotent; app.py calls
    it first thing in every run, so it is installed only when the environment asks for it.

    It is also the server's first start-up hook: every program the process compiles from then on (the first page's
    too) goes to the pack's compilation cache; nothing when the pack is off (the test suite).
    """
    global _compile_log_path
    pack.enable_compile_cache()
    path = path or os.environ.get(COMPILE_LOG_ENV)
    if not path:
        return None
    with _compile_log_lock:
        if _compile_log_path is None:
            jax.monitoring.register_event_listener(_note_cache_hit)
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


#: Set to "0" for the light warm-up: compile the default scenes' programs, no lecture pack (no models, no visits;
#: the test suite does: it trains its own).
WARM_MODELS_ENV = "SCOREDEMO_WARM_MODELS"
#: The warm-up thread's name (the test suite tells its compilations from the ones a test caused).
WARM_UP_THREAD = "scoredemo-warm-up"
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
    _stop_builder()
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


# ------------------------------------------------------------------------------------------ the lecture pack


def visits() -> list[tuple[str, str, str]]:
    """Every first visit the pack prepares, in lecture order: (label, page, query) for each scene's default view,
    then each preset; ``page`` is the scene's url path ("" for scene 1: the app's root, where the link points)."""
    first = SCENES[0][2]
    out = [(title, "" if path == first else path, "") for _, title, path, _ in SCENES]
    titles = {path: title for _, title, path, _ in SCENES}
    for p in PRESETS:
        number = titles[p.url_path].split(" · ")[0]
        out.append((f"{number} · {p.name}", "" if p.url_path == first else p.url_path, p.query()))
    return out


#: The pack builder's niceness when the server starts it (the lowest: the students' pages, and their browsers when
#: they run on the server's machine, get the CPU first).
BUILD_NICE = 19
#: The pack builder is paused (SIGSTOP) until no page has started a run for this many seconds: a class arriving
#: while it builds gets the whole machine (issue 30, item 11: "serving comes first").
ARRIVAL_QUIET_S = 15.0
_last_page_run = [float("-inf")]


def note_page_run() -> None:
    """Called at the start of every page run (app.py): the pack builder waits while pages are being opened."""
    _last_page_run[0] = time.monotonic()


def _serving() -> bool:
    return time.monotonic() - _last_page_run[0] < ARRIVAL_QUIET_S


def _pause_while_serving(proc: subprocess.Popen) -> None:
    """Stop the builder while pages are being served and continue it once the room is quiet, until it exits."""
    paused = False
    while proc.poll() is None and not _STOP.is_set():
        want = _serving()
        if want != paused:
            try:
                os.kill(proc.pid, signal.SIGSTOP if want else signal.SIGCONT)
                paused = want
            except OSError:
                return
            if paused:
                _set(PACK_TASK, "waiting: paused while pages are being opened (serving comes first)")
        time.sleep(0.5)
    if paused and proc.poll() is None:
        os.kill(proc.pid, signal.SIGCONT)


PACK_TASK = "lecture pack on disk (trained models, compiled programs)"
VISITS_TASK = "every scene and preset opened once on this server"
#: Set by ``python -m scoredemo pack`` (whose AppTest runs app.py): no warm-up inside the pack builder.
BUILDING_PACK = False
_builder: list[subprocess.Popen] = []


def _stop_builder() -> None:
    for proc in _builder:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)  # a paused builder acts on SIGTERM only once continued
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def build_pack_in_subprocess() -> None:
    """``python -m scoredemo pack`` in its own process at ``nice`` :data:`BUILD_NICE`, its progress in the status
    (it prints one line per step). Raises RuntimeError if it fails, _Stopped if it was killed (the server is
    stopping, or someone stopped the builder: the warm-up then does not redo its work in the server)."""
    cmd = [sys.executable, "-m", "scoredemo", "pack"]
    # no preexec_fn: a fork of this multithreaded (JAX) process may deadlock; lowering the child's priority right
    # after it started leaves it a few microseconds at the server's priority
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _builder.append(proc)
    try:
        os.setpriority(os.PRIO_PROCESS, proc.pid, os.getpriority(os.PRIO_PROCESS, os.getpid()) + BUILD_NICE)
    except OSError as err:  # the builder then competes with the pages at the server's priority
        pack.note(f"could not lower the pack builder's priority: {err}")
    threading.Thread(target=_pause_while_serving, args=(proc,), name=f"{WARM_UP_THREAD}-pauser", daemon=True).start()
    tail: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        if line.startswith("pack: "):
            _set(PACK_TASK, f"working: {line[len('pack: ') :]} (own process, nice {BUILD_NICE})")
        tail = (tail + [line])[-5:]
        print(line, file=sys.stderr, flush=True)  # the builder's log goes to the server's
    code = proc.wait()
    if code < 0 or _STOP.is_set():
        raise _Stopped
    if code != 0:
        raise RuntimeError(f"python -m scoredemo pack exited with {code}: {' | '.join(tail)[-300:]}")


def _stream_url() -> tuple[str, Any]:
    """This server's websocket (Streamlit 1.67.0: ``/_stcore/stream``, subprotocol ``streamlit``) and the SSL
    context to reach it with (None for plain ws)."""
    port = int(st.get_option("server.port"))
    address = st.get_option("server.address") or "127.0.0.1"
    host = "127.0.0.1" if address in ("0.0.0.0", "::", "") else address  # noqa: S104 - a bind-all address
    host = f"[{host}]" if ":" in host else host
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    ctx = None
    scheme = "ws"
    if st.get_option("server.sslCertFile"):
        import ssl  # noqa: PLC0415

        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # our own server on this machine, with whatever certificate it has
        scheme = "wss"
    return f"{scheme}://{host}:{port}/{base + '/' if base else ''}_stcore/stream", ctx


def visit(page: str, query: str, *, timeout: float = 900.0) -> list[str]:
    """Open ``page?query`` on this server as a browser would, over its own websocket (Streamlit 1.67.0's private
    protocol: a ``BackMsg.rerun_script`` out, ``ForwardMsg`` in, until "script finished"), so every cache the page
    reads is filled in this process. Returns the exceptions the page showed (none: [])."""
    from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: PLC0415
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: PLC0415
    from websockets.sync.client import connect  # noqa: PLC0415 - a dependency of Streamlit's server

    url, ssl_ctx = _stream_url()
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    errors: list[str] = []
    deadline = time.monotonic() + timeout
    with connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=60, ssl=ssl_ctx) as ws:
        ws.send(msg.SerializeToString())
        while True:
            raw = ws.recv(timeout=max(1.0, deadline - time.monotonic()))
            if isinstance(raw, str):
                continue
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                if el.WhichOneof("type") == "exception":
                    errors.append(el.exception.message)
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    errors.clear()  # the page asked for a rerun: the next run is the one a student sees
                    continue
                return errors


def scripts_running() -> int:
    """Script runs in progress in this process (Streamlit 1.67.0 runs each in a thread of this name)."""
    return sum(t.name == "ScriptRunner.scriptThread" and t.is_alive() for t in threading.enumerate())


def wait_for_quiet(*, quiet: float = 0.5, patience: float = 30.0) -> None:
    """Serving comes first: until no script has run for ``quiet`` s (at most ``patience`` s, so a busy class
    cannot hold the warm-up back for ever)."""
    deadline = time.monotonic() + patience
    since = time.monotonic()
    while time.monotonic() < deadline and not _STOP.is_set():
        if scripts_running():
            since = time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


def warm_visits(todo: list[tuple[str, str, str]]) -> list[str]:
    """Open every visit once on this server (:func:`visit`), one at a time, each after a quiet moment; the
    status counts them. Returns what failed ("label: error")."""
    failed = []
    for i, (label, page, query) in enumerate(todo):
        if _STOP.is_set():
            break
        _set(VISITS_TASK, f"working: {i}/{len(todo)} ({label})")
        wait_for_quiet()
        try:
            errors = visit(page, query)
        except Exception as err:  # noqa: BLE001 - a visit that cannot run is reported, the others go on
            errors = [f"{type(err).__name__}: {err}"]
        if errors:
            failed.append(f"{label}: {errors[0][:200]}")
            pack.note(f"warm-up visit {label!r} failed: {errors[0][:500]}")
    return failed


def _task(label: str, fn: Any) -> bool:
    """Run one warm-up step with its status line; False if it failed (the page then does the work itself)."""
    _set(label, "working")
    try:
        fn()
    except _Stopped:
        return False
    except Exception as err:  # noqa: BLE001 - reported in the status; the pages still work, only slower
        _set(label, f"failed: {type(err).__name__}: {err}")
        pack.note(f"warm-up step {label!r} failed: {type(err).__name__}: {err}")
        return False
    _set(label, "ready")
    return True


def lower_thread_priority(by: int = BUILD_NICE) -> bool:
    """Lower this thread's CPU priority (Linux schedules threads one by one: ``setpriority`` on the thread's id), so
    the warm-up's own compiles and computations yield to the students' script runs. False where that is refused."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + by)
    except (OSError, AttributeError):
        return False
    return True


def _warm_up() -> None:
    if os.environ.get(WARM_MODELS_ENV, "1") == "0":  # the test suite's servers: compile the defaults, no more
        _light_warm_up()
        return
    lower_thread_priority()  # serving comes first (what runs in this thread: loads, the compiles of the last steps)
    todo = visits()
    directory = pack.pack_dir()
    tasks = [PACK_TASK] if directory is not None else []
    for label in [*tasks, VISITS_TASK]:  # the whole list from the start: the teacher sees what is to come
        _set(label, "waiting")
    if directory is not None:
        if pack.is_current(todo):
            _set(PACK_TASK, "ready")
        elif not _task(PACK_TASK, build_pack_in_subprocess) and _kind(status()[PACK_TASK]) != "failed":
            _set(PACK_TASK, "failed: the pack builder was stopped")
            return  # stopped (the server is stopping): do not redo the builder's work here
    if _STOP.is_set():
        return
    train_models(default_models())  # from the pack (milliseconds each) unless it is off or failed

    def _visits() -> None:
        failed = warm_visits(todo)
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(todo)} failed: " + "; ".join(failed)[:400])

    _task(VISITS_TASK, _visits)
    # what the pages' interactions compile beyond the first visits (other samplers, both SDE kinds): from the
    # pack's compilation cache now
    _task("compiled programs of the exact-score scenes", _warm_kernels)
    _task("compiled programs of the diffusion scene", _warm_diffusion)


def _light_warm_up() -> None:
    _set("compiled programs of the exact-score scenes", "working")
    _warm_kernels()
    _set("compiled programs of the exact-score scenes", "ready")
    # after the other scenes' programs: scene 11 is the lecture's last
    _task("compiled programs of the diffusion scene", _warm_diffusion)


@st.cache_resource(max_entries=1, show_spinner=False)
def warm_up_in_background() -> threading.Thread | None:
    """Once per server: prepare the lecture pack (module docstring) in a background thread, so that no first visit
    of a scene or a preset waits for training, compiling or computing (:func:`status` says how far it is). None
    inside the pack builder (its AppTest runs app.py too)."""
    if BUILDING_PACK:
        return None
    thread = threading.Thread(target=_warm_up, name=WARM_UP_THREAD, daemon=True)
    thread.start()
    # a daemon thread killed inside an XLA compile aborts the process at exit ("terminate called…"): stop the
    # training at its next chunk and let the thread finish; stop the pack builder too
    atexit.register(_stop_and_join, thread)
    atexit.register(_stop_builder)
    return thread


_ICONS = {"waiting": ":material/schedule:", "working": ":material/progress_activity:", "ready": ":material/check:"}


def _kind(state: str) -> str:
    """ "waiting", "working", "ready" or "failed" ("working: 3/25 …" is working)."""
    return state.split(":", 1)[0]


def status_lines(states: dict[str, str]) -> list[str]:
    """One line per warm-up task, with an icon (failed tasks say why)."""
    return [f"{_ICONS.get(_kind(state), ':material/error:')} {label}: {state}" for label, state in states.items()]


#: How often the warm-up box refreshes itself while the server warms up, on the teacher's projector (presenter
#: mode) only: every open page reruns it, and twenty students' pages at 2 s were ten fragment runs a second and as
#: many redraws in their browsers while they arrived (the class-arrival test: server CPU 31 → 12 s, p95 86 → 66 s
#: without it). Elsewhere the box has a "check again" button.
STATUS_REFRESH_S = 10.0
#: The key of the box's "check again" button (the harnesses click it while they wait for READY).
CHECK_KEY = "warmup-check"
#: What the sidebar says once every warm-up task is ready (the browser harnesses wait for it).
READY = "Server ready"
#: ... and what it means for the teacher.
READY_MEANS = "every scene and preset is prepared: the room can open the link"


def is_pending(states: dict[str, str]) -> bool:
    return not states or any(_kind(state) in ("waiting", "working") for state in states.values())


def show_status() -> None:
    """The server's readiness in the sidebar (so a teacher knows when the room can open the link); in presenter
    mode it refreshes itself every :data:`STATUS_REFRESH_S` until everything is ready (elsewhere: "check again").
    Once every task is ready it is one caption (the expander and its fragment are page weight every student's
    browser pays for); a failed task keeps the box."""
    states = status()
    pending = is_pending(states)
    if not pending and all(state == "ready" for state in states.values()):
        st.sidebar.caption(f":material/check: {READY}: {READY_MEANS}", help="  \n".join(status_lines(states)))
        return

    @st.fragment(run_every=STATUS_REFRESH_S if pending and presenter.active() else None)
    def _box() -> None:
        states = status()
        done = not is_pending(states)
        with st.expander(READY if done else "Server warming up: wait before sharing the link…", expanded=not done):
            st.caption("  \n".join(status_lines(states)) or "starting…")
            if not done:
                st.button("check again", key=CHECK_KEY, icon=":material/refresh:", help="Presenter mode checks "
                          f"every {STATUS_REFRESH_S:g} s by itself")  # fmt: skip

    with st.sidebar:
        _box()
