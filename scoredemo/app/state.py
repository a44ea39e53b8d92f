"""The app's cached builders and URL-bound controls (the only place the Streamlit pages compute or compile).

Caching: builders take scalars only (names, numbers, strings and tuples of them), never arrays, and every cache
has ``max_entries``. Compiled kernels (``st.cache_resource``) and trained models (``st.cache_resource``) are
shared by every session; particle runs and grids (``st.cache_data``) too. Sampler values — π, ε, the noise
switch — are traced arguments of the compiled program, and every run records the same number of frames
(``N_FRAMES``), so moving them never recompiles; only a new particle count or sampler does.

URL: every control is a widget with ``bind="query-params"`` whose key is the URL parameter (``?pi=0.3&seed=4``).
Streamlit ignores an invalid URL value (out of range, not an option, not a number) and uses the default; the
helpers here check the raw value too, compare it with what the widget actually holds afterwards, and leave a
visible note whenever the URL value is not the one in use ("… is outside [0.001, 1]; using `step_size=0.02`").

Limits (one request cannot exhaust the server): the widgets' ranges are the first line; the builders check
them again (:data:`MAX_PARTICLES`, :data:`MAX_RUN_STEPS`, :data:`MAX_PARTICLE_STEPS`, :data:`MAX_TRAIN_STEPS`,
:data:`MAX_TRAIN_DATA`) and raise a ``ValueError`` naming the limit if a scene ever asks for more. A run records
``N_FRAMES`` frames, so one trajectory is at most MAX_PARTICLES × N_FRAMES × 2 float32 (0.8 MB); with the caches'
``max_entries`` that bounds the server's memory. ``st.cache_data`` entries also expire after ``CACHE_TTL``.
"""

from __future__ import annotations

import atexit
import dataclasses
import gc
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from scoredemo import metrics
from scoredemo.densities import DENSITIES, Density, make_density, mixture
from scoredemo.samplers import compiled_run, geometric_sigmas, make_params, uniform_init

#: Frames recorded by every animated run (fixed: a new step count or step size never recompiles).
N_FRAMES = 51
#: Arrow grid (NCSN Fig. 2 uses 20 × 20) and density grid resolution.
N_ARROWS = 20
N_GRID = 100
CUSTOM = "custom"
#: Particle counts offered (each is one compiled shape).
PARTICLE_CHOICES = (250, 500, 1000, 1280, 2000)

# Hard limits per request (the widgets never offer more; the builders check again).
#: Particles in one run (the largest choice offered).
MAX_PARTICLES = max(PARTICLE_CHOICES)
#: Sampler steps in one run (annealed: levels × steps per level; the scenes offer at most 20 × 300 or 5000).
MAX_RUN_STEPS = 10_000
#: Particles × steps in one run: the most a scene offers (scene 7: 2000 particles × 20 levels × 300 steps); well
#: under a second of compute on 2 cores with the exact score, several seconds with a learned one.
MAX_PARTICLE_STEPS = 12_000_000
#: Training steps of one model, and the largest fixed training set.
MAX_TRAIN_STEPS = 10_000
MAX_TRAIN_DATA = 5_000
#: Length of the component table's text (16 rows of 4 numbers fit easily).
MAX_COMPONENTS_CHARS = 2_000
#: ``st.cache_data`` entries (runs, grids) expire after this many seconds; compiled kernels never do.
CACHE_TTL = 3600
#: If set, the path of a file to which every XLA compilation of this process appends a line (bench, load test).
COMPILE_LOG_ENV = "SCOREDEMO_COMPILE_LOG"


# ============================================================================================ compile log

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

    Used by the benchmark and the load test to prove that interactions compile nothing. Idempotent.
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


# ============================================================================================ URL controls


def _page_notes() -> dict[str, dict[str, str]]:
    """page id -> {URL key: note}. A note stays until that control is moved or the page is reset."""
    return st.session_state.setdefault("_url_notes", {})


def _registry() -> dict[str, dict[str, Any]]:
    return st.session_state.setdefault("_controls", {})


class Page:
    """Per-page bookkeeping: which controls exist (for "reset to defaults") and the URL notes shown on top."""

    def __init__(self, page_id: str):
        self.id = page_id
        self.defaults: dict[str, Any] = {}
        self._repeated: set[str] = set()  # URL keys given more than once (?pi=0.2&pi=0.3)
        self._values: dict[str, list[str]] = {}  # URL key -> every value it is given
        self.notes_box = st.container()
        _page_notes().setdefault(page_id, {})

    # -------------------------------------------------------------------- checks of the raw URL value
    def _raw(self, key: str) -> str | None:
        """The URL value of ``key`` as text (None if absent; "a, b" if the key is repeated)."""
        try:
            values = [str(v) for v in st.query_params.get_all(key)]
        except Exception:  # noqa: BLE001 - a missing or unreadable param is simply absent
            values = []
        raw = None if not values else values[0] if len(values) == 1 else ", ".join(values)
        self._values[key] = values
        if len(values) > 1:
            self._repeated.add(key)
        notes = _page_notes()[self.id]
        if raw is None and key in notes and st.session_state.get(key, self.defaults.get(key)) != self.defaults.get(key):
            del notes[key]  # the control has been moved since: the note is stale
        return raw

    def _check_number(self, key: str, lo: float, hi: float, *, integer: bool = False) -> tuple[str | None, str | None]:
        """(raw URL value or None, why it cannot be used or None)."""
        raw = self._raw(key)
        if raw is None or raw == "":
            return None, None
        if key in self._repeated:
            return raw, "is given more than once"
        try:
            value = float(raw)
        except (TypeError, ValueError):
            return raw, "is not a number"
        if not math.isfinite(value) or value < lo or value > hi:
            return raw, f"is outside [{_fmt(lo)}, {_fmt(hi)}]"
        if integer and value != int(value):
            return raw, "is not a whole number"
        return raw, None

    def _check_option(self, key: str, options: Sequence[str]) -> tuple[str | None, str | None]:
        raw = self._raw(key)
        if raw is not None and key in self._repeated:
            return raw, "is given more than once"
        if raw is not None and raw not in options:
            shown = ", ".join(options) if len(options) <= 12 else ", ".join(options[:12]) + ", …"
            return raw, f"is not one of {shown}"
        return raw, None

    def _check_bool(self, key: str) -> tuple[str | None, str | None]:
        raw = self._raw(key)
        if raw is not None and key in self._repeated:
            return raw, "is given more than once"
        if raw is not None and raw.lower() not in ("true", "false"):
            return raw, "is not true/false"
        return raw, None

    def _settle(self, key: str, raw: str | None, why: str | None, used: Any, honoured: Callable[[], bool]) -> None:
        """After the widget: note a URL value that is not the one in use (with the value actually used).

        ``honoured()`` says whether the widget holds the URL value; a value our checks accept but Streamlit
        did not (or the reverse) is still reported, so the note never lies about what is drawn.
        """
        notes = _page_notes()[self.id]
        if raw is None or raw == "":
            return
        try:
            ok = honoured()
        except (TypeError, ValueError):
            ok = False
        if ok and why is None:
            notes.pop(key, None)  # the URL value is in use: an older note about this key is stale
            return
        why = why or "could not be read"
        default = self.defaults.get(key)
        tail = " (the default)" if used == default else ""
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        notes[key] = f"URL value `{key}={shown}` {why}; using `{key}={_fmt(used)}`{tail} instead."

    # -------------------------------------------------------------------------------- the widgets
    def slider(
        self,
        label: str,
        key: str,
        default: float,
        lo: float,
        hi: float,
        step: float,
        *,
        help: str | None = None,
        fmt: str | None = None,
        container: Any = None,
    ) -> float:
        """A float slider bound to ``?key=``."""
        self.defaults[key] = float(default)
        raw, why = self._check_number(key, lo, hi)
        where = container or st.sidebar
        value = float(
            where.slider(
                label,
                float(lo),
                float(hi),
                float(default),
                float(step),
                key=key,
                help=help,
                format=fmt,
                bind="query-params",
            )
        )
        self._settle(key, raw, why, value, lambda: math.isclose(float(raw), value, rel_tol=1e-6, abs_tol=1e-9))
        return value

    def int_slider(
        self,
        label: str,
        key: str,
        default: int,
        lo: int,
        hi: int,
        step: int = 1,
        *,
        help: str | None = None,
        container: Any = None,
    ) -> int:
        """An integer slider bound to ``?key=``."""
        self.defaults[key] = int(default)
        raw, why = self._check_number(key, lo, hi, integer=True)
        where = container or st.sidebar
        value = int(
            where.slider(label, int(lo), int(hi), int(default), int(step), key=key, help=help, bind="query-params")
        )
        self._settle(key, raw, why, value, lambda: float(raw) == value)
        return value

    def number(
        self, label: str, key: str, default: int, lo: int, hi: int, *, help: str | None = None, container: Any = None
    ) -> int:
        """An integer box bound to ``?key=`` (seeds).

        Streamlit's integer box crashes while it reads ``?seed=inf`` or ``?seed=1e400`` from the URL (an
        OverflowError in its parser); for such a value the box is drawn unbound this once (the default, with the
        note), and binds again as soon as the URL holds a readable value.
        """
        self.defaults[key] = int(default)
        raw, why = self._check_number(key, lo, hi, integer=True)
        where = container or st.sidebar
        bind = "query-params" if all(_finite_number_or_text(v) for v in self._values.get(key, [])) else None
        value = int(where.number_input(label, int(lo), int(hi), int(default), 1, key=key, help=help, bind=bind))
        self._settle(key, raw, why, value, lambda: float(raw) == value)
        return value

    def select(
        self,
        label: str,
        key: str,
        options: Sequence[Any],
        default: Any,
        *,
        help: str | None = None,
        container: Any = None,
    ) -> Any:
        """A select box bound to ``?key=`` (options are shown and stored as their str())."""
        options = list(options)
        self.defaults[key] = default
        raw, why = self._check_option(key, [str(o) for o in options])
        where = container or st.sidebar
        value = where.selectbox(label, options, index=options.index(default), key=key, help=help, bind="query-params")
        self._settle(key, raw, why, value, lambda: str(value) == raw)
        return value

    def toggle(self, label: str, key: str, default: bool, *, help: str | None = None, container: Any = None) -> bool:
        """A toggle bound to ``?key=true|false``."""
        self.defaults[key] = bool(default)
        raw, why = self._check_bool(key)
        where = container or st.sidebar
        value = bool(where.toggle(label, value=bool(default), key=key, help=help, bind="query-params"))
        self._settle(key, raw, why, value, lambda: raw.lower() == str(value).lower())
        return value

    def text(
        self,
        label: str,
        key: str,
        default: str,
        *,
        help: str | None = None,
        container: Any = None,
        on_change: Callable[[], None] | None = None,
    ) -> str:
        """A text box bound to ``?key=`` (the component table); its content is validated by the caller."""
        self.defaults[key] = default
        where = container or st.sidebar
        return str(where.text_input(label, value=default, key=key, help=help, bind="query-params", on_change=on_change))

    # ------------------------------------------------------------------------------- page footer
    def finish(self, *, extra_reset: Callable[[], None] | None = None) -> None:
        """Show URL notes on top of the page and the "reset to defaults" button at the bottom of the sidebar."""
        _registry()[self.id] = dict(self.defaults)
        notes = _page_notes().get(self.id, {})
        if notes:
            self.notes_box.warning("  \n".join(notes.values()), icon="🔗")
        st.sidebar.divider()
        st.sidebar.button(
            "↺ Reset to defaults",
            key=f"reset-{self.id}",
            on_click=_reset,
            args=(self.id, extra_reset),
            help="Put every control of this scene back to its default (and clean the URL).",
            width="stretch",
        )
        st.sidebar.caption("Every control is in the URL: copy the address bar to share exactly this view.")


def _reset(page_id: str, extra: Callable[[], None] | None) -> None:
    for key, value in _registry().get(page_id, {}).items():
        st.session_state[key] = value
    _page_notes()[page_id] = {}
    if extra is not None:
        extra()


def _finite_number_or_text(raw: str) -> bool:
    """False for text that parses as an infinite or huge number ("inf", "1e400", "-1e30"), which Streamlit's
    integer box cannot read; True for anything else (numbers it can read, and text it rejects by itself)."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return True
    return math.isfinite(value) and abs(value) < 2.0**62


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ============================================================================================ densities


class DensityKey(NamedTuple):
    """A hashable description of a density: registry name + parameter values, or "custom" + its table text."""

    name: str
    params: tuple[tuple[str, float], ...] = ()
    components: str = ""


def parse_components(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse "x, y, scale, weight; x, y, scale, weight; …" into (means, scales, weights).

    Raises ValueError with a message meant for a student (which row, what is wrong, what is allowed).
    """
    text = str(text)
    if len(text) > MAX_COMPONENTS_CHARS:
        raise ValueError(
            f"the table text is {len(text)} characters long; keep it under {MAX_COMPONENTS_CHARS} (at most 16 rows)"
        )
    rows = [r.strip() for r in text.replace("\n", ";").split(";") if r.strip()]
    if not rows:
        raise ValueError("the table is empty: add at least one component (a row with mean x, mean y, scale, weight)")
    if len(rows) > 16:
        raise ValueError(f"{len(rows)} components is too many for the demo: use at most 16")
    values = []
    for i, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row.split(",")]
        if len(cells) != 4:
            raise ValueError(f"row {i} has {len(cells)} values; each row needs 4: mean x, mean y, scale, weight")
        parsed = []
        for name, cell in zip(("mean x", "mean y", "scale", "weight"), cells, strict=True):
            try:
                v = float(cell)
            except ValueError:
                raise ValueError(f"row {i}: {name} {cell!r} is not a number") from None
            if not math.isfinite(v):
                raise ValueError(f"row {i}: {name} must be a finite number")
            parsed.append(v)
        values.append(parsed)
    arr = np.asarray(values, np.float64)
    return arr[:, :2], arr[:, 2], arr[:, 3]


def validate_components(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`parse_components` plus the demo's ranges (|mean| ≤ 8, 0.05 ≤ scale ≤ 5, weights ≥ 0, not all 0)."""
    means, scales, weights = parse_components(text)
    for i, (m, s, w) in enumerate(zip(means, scales, weights, strict=True), start=1):
        if np.any(np.abs(m) > 8):
            raise ValueError(f"row {i}: the mean ({m[0]:g}, {m[1]:g}) is outside the picture; keep |x|, |y| ≤ 8")
        if s <= 0:
            raise ValueError(f"row {i}: scale {s:g} must be positive (it is a standard deviation)")
        if not 0.05 <= s <= 5:
            raise ValueError(f"row {i}: scale {s:g} is out of range; use 0.05 ≤ scale ≤ 5")
        if w < 0:
            raise ValueError(f"row {i}: weight {w:g} is negative; weights must be ≥ 0")
        if w > 1e6:
            raise ValueError(f"row {i}: weight {w:g} is huge; weights are relative, use numbers ≤ 1e6")
    if weights.sum() <= 0:
        raise ValueError("all weights are zero: give at least one component a positive weight")
    return means, scales, weights


def components_text(means: np.ndarray, scales: np.ndarray, weights: np.ndarray) -> str:
    return "; ".join(f"{m[0]:g}, {m[1]:g}, {s:g}, {w:g}" for m, s, w in zip(means, scales, weights, strict=True))


DEFAULT_COMPONENTS = "-2, 0, 0.6, 1; 2, 1, 0.8, 2; 0, -2.5, 0.4, 1"


@st.cache_resource(max_entries=32, show_spinner=False)
def get_density(key: DensityKey) -> Density:
    """The Density for a key (registry densities via make_density; "custom" via densities.mixture)."""
    if key.name == CUSTOM:
        means, scales, weights = validate_components(key.components)
        mix = mixture(means, scales, weights)
        box = float(min(10.0, max(4.0, np.max(np.abs(means)) + 3.0 * np.max(scales) + 1.0)))
        return Density(CUSTOM, mix, box, {}, "a mixture of Gaussians built in the component table")
    return make_density(key.name, **dict(key.params))


def density_key(name: str, **params: float) -> DensityKey:
    return DensityKey(name, tuple(sorted((k, float(v)) for k, v in params.items())))


# ============================================================================================ kernels


@st.cache_resource(max_entries=16, show_spinner=False)
def kernel(sampler: str, n_frames: int) -> Callable[..., Any]:
    """The compiled sampler program for (sampler, frames) — shared by all sessions."""
    return compiled_run(sampler, n_frames)


@st.cache_resource(max_entries=4, show_spinner=False)
def _grid_kernel() -> Callable[..., Any]:
    """jit(target, points, σ) -> (log p_σ, s_σ); traced σ, so moving the σ slider does not recompile."""
    return jax.jit(lambda target, pts, sigma: (target.log_prob(pts, sigma), target.score(pts, sigma)))


@st.cache_resource(max_entries=4, show_spinner=False)
def _score_kernel() -> Callable[..., Any]:
    """jit(target, points, σ) -> s_σ for any target (a density's mixture or a learned model)."""
    return jax.jit(lambda target, pts, sigma: target.score(pts, sigma))


#: Public names for the scenes (one compiled program per target kind and point count, shared by all pages).
score_kernel = _score_kernel
grid_kernel = _grid_kernel


@st.cache_resource(max_entries=4, show_spinner=False)
def _sample_kernel() -> Callable[..., Any]:
    return jax.jit(lambda mix, rng, n: mix.sample(rng, n), static_argnums=2)


def grid(box: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs = np.linspace(-box, box, n, dtype=np.float32)
    gx, gy = np.meshgrid(xs, xs)
    return xs, xs.copy(), np.stack([gx.ravel(), gy.ravel()], axis=-1)


@dataclasses.dataclass
class FieldData:
    xs: np.ndarray
    ys: np.ndarray
    density: np.ndarray  # (n, n) p_σ
    log_density: np.ndarray  # (n, n) log p_σ
    points: np.ndarray  # (a*a, 2) arrow tails
    score: np.ndarray  # (a*a, 2)
    box: float


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False)
def field(
    key: DensityKey, sigma: float = 0.0, n_grid: int = N_GRID, n_arrows: int = N_ARROWS, box: float | None = None
) -> FieldData:
    """Density p_σ on an n_grid² grid and its score on an n_arrows² grid over [−box, box]²."""
    dens = get_density(key)
    box = float(box or dens.box)
    xs, ys, pts = grid(box, n_grid)
    half = box / n_arrows  # arrows sit at cell centres (not on the border)
    _, _, apts = grid(box - half, n_arrows)
    # one call on both point sets: one compiled shape per (grid, arrows) pair, shared by every density of a size
    lp, s = _grid_kernel()(dens.mixture, jnp.asarray(np.concatenate([pts, apts])), jnp.float32(sigma))
    lp = np.asarray(lp, np.float64)[: len(pts)].reshape(n_grid, n_grid)
    s = np.asarray(s, np.float64)[len(pts) :]
    return FieldData(xs, ys, np.exp(lp - lp.max()), lp, apts, s, box)


def marginals(key: DensityKey) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(grid, p(x), p(y)) by summing the density over the picture's grid (exact up to the grid)."""
    f = field(key, 0.0)
    p = np.exp(f.log_density)
    dx = float(f.xs[1] - f.xs[0])
    px = p.sum(axis=0) * dx  # integrate over y (rows)
    py = p.sum(axis=1) * dx
    return f.xs, px, py


# ============================================================================================ particle runs


@dataclasses.dataclass
class RunData:
    """A finished particle run, as numpy (what the figures need)."""

    trajectory: np.ndarray  # (F', N, 2) float32, the frames before any divergence (F' ≥ 1)
    frame_steps: np.ndarray  # (F',)
    frame_sigmas: np.ndarray  # (F',) the σ in use at each frame (0: the clean density)
    samples: np.ndarray  # (N', 2) finite final positions
    fractions: np.ndarray  # (F', M) mode fractions per frame
    diverged_at: int  # −1, or the first step after which a particle was non-finite
    n_steps: int
    seconds: float


class InitSpec(NamedTuple):
    """Where particles start: uniform on [−half, half]² around ``centre``."""

    half: float
    centre: tuple[float, float] = (0.0, 0.0)


class TrainKey(NamedTuple):
    """Everything that defines a trained model (hashable; see scoredemo.training.TrainConfig)."""

    density: DensityKey
    objective: str
    steps: int
    data_size: int | None = None
    sigma: float | None = None
    sigma_max: float | None = None
    sigma_min: float | None = None
    levels: int | None = None
    seed: int = 0


def spread_within_modes(key: DensityKey, x: np.ndarray) -> float:
    """RMS distance of particles to their own mode's centroid (``metrics.within_mode_spread``)."""
    return metrics.within_mode_spread(get_density(key).mixture, x)


@st.cache_data(max_entries=96, ttl=CACHE_TTL, show_spinner=False)
def particles(
    key: DensityKey,
    sampler: str,
    step_size: float,
    noise: float,
    n_steps: int,
    n_particles: int,
    seed: int,
    init: InitSpec | None = None,
    *,
    sigma: float = 0.0,
    sigma_max: float = 20.0,
    sigma_min: float = 1.0,
    levels: int = 10,
    model: TrainKey | None = None,
) -> RunData:
    """Run a sampler (exact score of ``key``'s density, or the learned score of ``model``) and record N_FRAMES.

    For ``annealed`` ``n_steps`` is T, the steps per level (L·T in total). Values are traced: a new ε, π, noise
    switch, seed or step count reuses the compiled program.
    """
    if sampler == "annealed":
        check_run_limits(n_particles, n_steps * int(levels))
    else:
        check_run_limits(n_particles, n_steps)
    dens = get_density(key)
    target = dens.mixture if model is None else trained(model).learned
    init = init or InitSpec(dens.box)
    rng = jax.random.PRNGKey(int(seed))
    init_key, run_key = jax.random.split(rng)
    position = uniform_init(init_key, n_particles, init.half) + jnp.asarray(init.centre, jnp.float32)
    if sampler == "annealed":
        sigmas = geometric_sigmas(sigma_max, sigma_min, levels)
        total = n_steps * len(sigmas)
    else:
        sigmas, total = np.array([sigma], np.float32), n_steps
    params = make_params(step_size, noise=noise, sigmas=sigmas, steps_per_level=n_steps)
    t0 = time.perf_counter()
    res = kernel(sampler, N_FRAMES)(run_key, target, position, params, jnp.int32(total))
    traj = np.asarray(res.trajectory, np.float32)
    seconds = time.perf_counter() - t0
    steps = np.asarray(res.frame_steps)
    diverged = int(res.diverged_at)
    keep = np.all(np.isfinite(traj), axis=(1, 2))
    # frames are kept up to the first one holding a non-finite particle (frame 0 is always finite)
    n_keep = int(np.argmin(keep)) if not keep.all() else len(keep)
    n_keep = max(n_keep, 1)
    if diverged < 0 and n_keep < len(keep):
        diverged = int(steps[n_keep])
    # also treat runaway-but-finite particles (overflow soon) as divergence
    far = np.abs(traj[:n_keep]).max(axis=(1, 2)) > 1e6
    if far.any():
        first = int(np.argmax(far))
        if diverged < 0:
            diverged = int(steps[first])
        n_keep = max(first, 1)
    traj = traj[:n_keep]
    steps = steps[:n_keep]
    level = np.minimum(steps // max(n_steps, 1), len(sigmas) - 1) if sampler == "annealed" else np.zeros_like(steps)
    frame_sigmas = np.asarray(sigmas)[level]
    last = traj[-1]
    samples = last[np.all(np.isfinite(last), axis=-1)]
    return RunData(
        trajectory=np.round(traj, 3).astype(np.float32),
        frame_steps=steps,
        frame_sigmas=frame_sigmas.astype(np.float32),
        samples=samples,
        fractions=metrics.mode_fractions_per_frame(dens.mixture, traj),
        diverged_at=diverged,
        n_steps=int(total),
        seconds=seconds,
    )


def check_run_limits(n_particles: int, n_steps: int) -> None:
    """Raise ValueError naming the limit when one run would be too large for a shared server (see the module doc)."""
    if not 1 <= int(n_particles) <= MAX_PARTICLES:
        raise ValueError(f"{n_particles} particles is outside the app's limit of 1 to {MAX_PARTICLES}")
    if not 0 <= int(n_steps) <= MAX_RUN_STEPS:
        raise ValueError(f"{n_steps} sampler steps is outside the app's limit of 0 to {MAX_RUN_STEPS}")
    if int(n_particles) * int(n_steps) > MAX_PARTICLE_STEPS:
        raise ValueError(
            f"{n_particles} particles × {n_steps} steps is over the app's limit of {MAX_PARTICLE_STEPS:.0e} "
            "particle-steps per run"
        )


def check_train_limits(key: TrainKey) -> None:
    """Raise ValueError naming the limit when a model would take too long or too much memory to train here."""
    if not 1 <= int(key.steps) <= MAX_TRAIN_STEPS:
        raise ValueError(f"{key.steps} training steps is outside the app's limit of 1 to {MAX_TRAIN_STEPS}")
    if key.data_size is not None and not 1 <= int(key.data_size) <= MAX_TRAIN_DATA:
        raise ValueError(f"a data set of {key.data_size} samples is outside the app's limit of 1 to {MAX_TRAIN_DATA}")


def frame_labels(run: RunData, *, annealed: bool = False) -> list[str]:
    if annealed:
        return [f"step {int(s)} · σ = {float(g):.2f}" for s, g in zip(run.frame_steps, run.frame_sigmas, strict=True)]
    return [f"step {int(s)}" for s in run.frame_steps]


def divergence_message(
    run: RunData, step_size: float, dens: Density, *, sigmas: Sequence[float] | None = None
) -> str | None:
    """A warning naming the cause (ε too large) and the fix, or None when the run stayed finite.

    The update contracts towards a Gaussian mode of variance v only while ε < 2v. With noise levels σ_i and steps
    ε_i = ε·σ_i²/σ_L² (annealed), level i needs ε·σ_i²/σ_L² < 2(w² + σ_i²) for the narrowest width w.
    """
    if run.diverged_at < 0:
        return None
    w = float(np.min(np.asarray(dens.mixture.scales)))
    levels = np.asarray(sigmas if sigmas is not None else [0.0], np.float64)
    last = levels[-1]
    if len(levels) > 1 and last > 0:
        safe = float(np.min(2.0 * (w**2 + levels**2) * last**2 / levels**2))
        where = f"at noise level σ = {levels[0]:g} the step ε·σ²/σ_min² is {step_size * (levels[0] / last) ** 2:.3g}"
    else:
        safe = 2.0 * (w**2 + last**2)
        where = f"near a mode of width {w:g} the move ε·s(x) overshoots the mode"
    return (
        f"**The particles diverged at step {run.diverged_at}.** Cause: the step size ε = {step_size:g} is too large "
        f"for this density — {where}, and the error grows every step until the numbers overflow. "
        f"Fix: lower ε below about {safe:.3g} (the chart shows the frames before the blow-up)."
    )


# ============================================================================================ training


def training_api() -> tuple[Any, str | None]:
    """(scoredemo.training module, None) or (None, reason) while the training code is not available."""
    try:
        from scoredemo import training  # noqa: PLC0415 - optional until the training code lands
        from scoredemo.objectives import OBJECTIVES  # noqa: F401, PLC0415
    except Exception as err:  # noqa: BLE001 - any import failure disables the learned parts gracefully
        return None, f"{type(err).__name__}: {err}"
    return training, None


def objective_names() -> list[str]:
    from scoredemo.objectives import OBJECTIVES  # noqa: PLC0415

    return list(OBJECTIVES)


def objective_needs(name: str) -> str:
    from scoredemo.objectives import OBJECTIVES  # noqa: PLC0415

    return OBJECTIVES[name].needs


def train_config(key: TrainKey) -> Any:
    training, err = training_api()
    if training is None:
        raise RuntimeError(err)
    needs = objective_needs(key.objective)
    opts: dict[str, Any] = {}
    if needs == "sigma":
        opts["sigma"] = key.sigma
    elif needs == "sigmas":
        opts.update(sigma_max=key.sigma_max, sigma_min=key.sigma_min, levels=key.levels)
    return training.TrainConfig(
        objective=key.objective, steps=int(key.steps), data_size=key.data_size, seed=int(key.seed), **opts
    )


class ModelStore:
    """Trained models shared by every session (LRU, ``max_entries``); one lock per key so two sessions asking for
    the same model train it once. Not an ``st.cache_resource`` function because training reports progress to
    the page (a live loss curve), which must not be recorded and replayed by Streamlit's cache."""

    def __init__(self, max_entries: int = 12):
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._key_locks: dict[TrainKey, threading.Lock] = {}
        self._items: OrderedDict[TrainKey, Any] = OrderedDict()

    def has(self, key: TrainKey) -> bool:
        with self._lock:
            return key in self._items

    def get(self, key: TrainKey, progress: Callable[..., Any] | None = None, *, force: bool = False) -> Any:
        check_train_limits(key)
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if not force and key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
            training, err = training_api()
            if training is None:
                raise RuntimeError(err)
            result = training.train(get_density(key.density), train_config(key), progress=progress)
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
    return ModelStore()


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
    xs, ys, pts = grid(dens.box, n)
    lp, s_true = _grid_kernel()(dens.mixture, jnp.asarray(pts), jnp.float32(eval_sigma))
    s_learn = _score_kernel()(res.learned, jnp.asarray(pts), jnp.float32(eval_sigma))
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


# ============================================================================================ warm-up


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
        jax.block_until_ready(compiled_run(sampler, N_FRAMES)(rng, dens.mixture, pos, params, jnp.int32(2)))
        pts = np.zeros((N_GRID * N_GRID + N_ARROWS * N_ARROWS, 2), np.float32)
        jax.block_until_ready(_grid_kernel()(dens.mixture, jnp.asarray(pts), jnp.float32(0.0)))
        for m in (N_FRAMES * n, n, 2000):  # a run's frames, its final samples, the reference samples
            metrics.assign_modes(dens.mixture, np.zeros((m, 2), np.float32))
        jax.block_until_ready(_sample_kernel()(dens.mixture, rng, 2000))
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


def registry_names() -> list[str]:
    """Density picker options: the whole registry, then "custom"."""
    return [*DENSITIES, CUSTOM]


@st.cache_data(max_entries=32, ttl=CACHE_TTL, show_spinner=False)
def true_samples(key: DensityKey, n: int = 2000, seed: int = 1) -> np.ndarray:
    """n exact samples of the density (for reference statistics)."""
    return np.asarray(_sample_kernel()(get_density(key).mixture, jax.random.PRNGKey(seed), n), np.float32)


@st.cache_data(max_entries=8, ttl=CACHE_TTL, show_spinner=False)
def ring_magnitudes(radius: float, n_thickness: int = 25, n_samples: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """(thickness w, E_p‖s(x)‖) for rings of radius ``radius``: the score's typical size grows like 1/w."""
    ws = np.geomspace(0.01, 2.0, n_thickness)
    fn = _score_kernel()
    out = []
    for j, w in enumerate(ws):
        mix = make_density("ring", radius=radius, thickness=float(w)).mixture
        x = mix.sample(jax.random.PRNGKey(j), n_samples)
        s = np.asarray(fn(mix, x, jnp.float32(0.0)), np.float64)
        out.append(np.linalg.norm(s, axis=-1).mean())
    return ws, np.asarray(out)


@st.cache_data(max_entries=32, ttl=CACHE_TTL, show_spinner=False)
def mean_sq_score(key: DensityKey, n: int = 20000, seed: int = 3) -> float:
    """E_p‖s(x)‖² by Monte Carlo with the exact score; −½ of it is the smallest (sliced) score-matching loss."""
    dens = get_density(key)
    x = dens.sample(jax.random.PRNGKey(seed), n)
    s = np.asarray(_score_kernel()(dens.mixture, x, jnp.float32(0.0)), np.float64)
    return float(np.mean(np.sum(s * s, axis=-1)))


@st.cache_data(max_entries=32, ttl=CACHE_TTL, show_spinner=False)
def score_difference(key_a: DensityKey, key_b: DensityKey, n: int = 60) -> tuple[np.ndarray, np.ndarray, float]:
    """(xs, ‖s_a − s_b‖ on an n² grid, max of it where p_a > 10⁻⁶·max p_a) over density a's box."""
    a, b = get_density(key_a), get_density(key_b)
    xs, _, pts = grid(a.box, n)
    fn = _grid_kernel()
    lp, sa = fn(a.mixture, jnp.asarray(pts), jnp.float32(0.0))
    _, sb = fn(b.mixture, jnp.asarray(pts), jnp.float32(0.0))
    diff = np.linalg.norm(np.asarray(sa, np.float64) - np.asarray(sb, np.float64), axis=-1)
    lp = np.asarray(lp, np.float64)
    support = lp > lp.max() + np.log(1e-6)
    return xs, diff.reshape(n, n), float(diff[support].max()) if support.any() else 0.0
