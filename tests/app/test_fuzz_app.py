"""Property-based fuzzing of the app's URLs: every scene, opened with generated query parameters, ends in a page.

Each case is a new session (``AppTest.from_file("app.py")``, the scene chosen like a click in the navigation)
opened with a generated ``?key=value&…``: valid values (mostly), edge values (the ends of each range, π near 0
and 1, the largest particle count, a thin ring, huge σ and ε), out-of-range numbers, garbage text, repeated keys
and unknown keys. Properties of every case:

* no exception element and no traceback anywhere on the page; at least one chart; the case ends within
  CASE_SECONDS (AppTest's own timeout also stops a hung script);
* every number in every chart's data and animation frames is finite (the Plotly JSON Streamlit sends is decoded);
* every URL value is either the one the control shows, or a note on the page names the key and the value used
  instead (and that value is the one the control shows);
* a custom component table either draws or shows "The component table has a problem: <the specific reason>".

`make test` runs FAST (21 generated cases + 18 explicit extremes; 36 until the suite outgrew its 15 minutes);
`make fuzz` (marker ``fuzz``) runs FULL: 5 000 cases here plus 5 000 in
tests/test_fuzz_cli.py (timing of the last full run below FULL).
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from scoredemo import figures as F
from scoredemo.app import builders as B
from scoredemo.app import custom_density as CD
from scoredemo.app import kernels
from scoredemo.app import keys as K
from scoredemo.app import settings as app_settings
from scoredemo.app import trained as T
from scoredemo.app.literal import md_text
from scoredemo.densities import DENSITIES
from scoredemo.objectives import OBJECTIVES
from tests.app.apptest import open_app_page

ROOT = Path(__file__).resolve().parents[2]
CASE_SECONDS = 90.0  # per case; a learned-score run at 2000 particles × 2000 steps takes ~10 s on 2 cores
_TITLES: dict[str, str] = {}  # path -> the page's st.title, as first seen (each scene must have its own)

#: Cases per scene. Cheap scenes get more; the learned scenes train small models (cached per server).
FAST = {
    "score-fields": 6,
    "follow-the-score": 3,
    "learning-the-score": 2,
    "low-density": 2,
    "manifolds": 2,
    "mixing": 3,
    "annealed-langevin": 3,
}
FULL = {
    "score-fields": 1800,
    "follow-the-score": 800,
    "learning-the-score": 300,
    "low-density": 300,
    "manifolds": 300,
    "mixing": 800,
    "annealed-langevin": 700,
}
assert sum(FULL.values()) == 5000
# Last full runs (`make fuzz`, 2-core Xeon, 2026-11-25): 5 016 app cases (5 000 generated + 16 explicit extremes)
# plus tests/test_fuzz_cli.py's 5 000 CLI cases = 10 016, all passing: 29 min 9 s in the first session (app cases
# 26.5 min, slowest 22 s: training 10 000 steps); 13 min 42 s and 13 min 50 s on the second session's faster
# figure code.

# ------------------------------------------------------------------------------------------------ values

GARBAGE = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "1e400",
            "-1e400",
            "0x10",
            "1,5",
            " ",
            "--",
            "None",
            "null",
            "true",
            "½",
            "１",
            "1_0",
            "+",
            "e",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "{{7*7}}",
            "__import__('os')",
            "x" * 3000,
        ]
    ),
)


def _fmt_float(v: float) -> st.SearchStrategy[str]:
    return st.sampled_from([repr(v), f"{v:g}", f"{v:.3f}", f"{v:.6e}", f" {v:g} ", f"+{v:g}" if v >= 0 else str(v)])


def number(lo: float, hi: float, *, integer: bool = False, cheap: list | None = None) -> st.SearchStrategy[str]:
    """A URL value for a number control on [lo, hi]: valid 8 times in 10, else out of range or garbage."""
    if cheap is not None:
        valid = st.sampled_from(cheap).map(str)
    elif integer:
        valid = st.one_of(st.integers(int(lo), int(hi)), st.sampled_from([int(lo), int(hi)])).map(str)
    else:
        edges = st.sampled_from([lo, hi, lo + (hi - lo) * 1e-6, hi - (hi - lo) * 1e-6])
        valid = st.one_of(st.floats(lo, hi), edges).flatmap(_fmt_float)
    span = max(hi - lo, 1.0)
    outside = st.sampled_from([lo - span, lo - 1e-9, hi + 1e-9 * span, hi + span, 1e308, -1e308, 10**12])
    invalid = st.one_of(outside.map(lambda v: str(int(v)) if integer and abs(v) < 1e15 else repr(v)), GARBAGE)
    if integer:
        invalid = st.one_of(invalid, st.floats(lo + 0.1, hi - 0.1).map(lambda v: f"{v:.2f}"))
    return st.integers(0, 9).flatmap(lambda i: invalid if i < 2 else valid)


def option(options: list[str], *, cheap: list[str] | None = None) -> st.SearchStrategy[str]:
    valid = st.sampled_from(cheap or options)
    near = st.sampled_from(options).map(lambda o: st.sampled_from([o.upper(), f" {o}", f"{o}.0", o[:-1] or "?"]))
    invalid = st.one_of(near.flatmap(lambda s: s), GARBAGE)
    return st.integers(0, 9).flatmap(lambda i: invalid if i < 2 else valid)


def boolean() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(["true", "false", "True", "FALSE"]), st.sampled_from(["1", "0", "yes", ""]))


def _cell(kind: str) -> st.SearchStrategy[str]:
    good = {
        "mean": st.floats(-8, 8),
        "scale": st.one_of(st.floats(0.05, 5), st.sampled_from([0.05, 5.0])),
        "weight": st.one_of(st.floats(0, 10), st.sampled_from([0.0, 1e-300, 1e6])),
    }[kind].map(lambda v: f"{v:g}")
    bad = st.one_of(
        st.sampled_from(["-1", "0", "1e9", "-1e308", "nan", "inf", "", "abc", "1e7", "10", "0.01"]),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )
    return st.integers(0, 14).flatmap(lambda i: bad if i == 0 else good)


ROW = st.tuples(_cell("mean"), _cell("mean"), _cell("scale"), _cell("weight")).map(", ".join)
COMPONENTS = st.one_of(
    st.lists(ROW, min_size=1, max_size=5).map("; ".join),
    st.lists(ROW, min_size=0, max_size=20).map("\n".join),
    st.sampled_from(["0, 0, 1, 0; 2, 2, 1, 0", "0, 0, -1, 1", "0, 0, abc, 1", "0,0,1", "0,0,1,1,1", ";;;", ""]),
    st.sampled_from(["; ".join(["0, 0, 1, 1"] * 17), "0, 0, 1, 1; " * 400, "1e308, 0, 1, 1", "0, 0, 1e-300, 1"]),
    GARBAGE,
)

DENSITY_NAMES = list(DENSITIES)
PARAMS = {
    name: (p.low + (0.01 if p.open_low else 0.0), p.high - (0.01 if p.open_high else 0.0))
    for spec in DENSITIES.values()
    for name, p in spec.params.items()
}
PARTICLES = [str(n) for n in app_settings.PARTICLE_CHOICES]
DATA = ["fresh samples", "100", "500", "1000", "5000"]
UNKNOWN = st.dictionaries(
    st.sampled_from(["foo", "page", "embed", "pi ", "PI", "seed[]", "__proto__", "n_particles2"]), GARBAGE, max_size=2
)


def density_params(*, cheap: bool) -> dict[str, st.SearchStrategy[str]]:
    """URL values for every registry density's parameters (only the selected density's are drawn as sliders)."""
    out = {}
    for name, (lo, hi) in PARAMS.items():
        if cheap:  # in the learned scenes every value is a model to train: a few values only
            out[name] = number(lo, hi, cheap=[lo, hi, round((lo + hi) / 2, 2)])
        else:
            out[name] = number(lo, hi)
    return out


def sampler_values(*, max_steps: int, cheap_steps: bool = False) -> dict[str, st.SearchStrategy[str]]:
    steps = [10, 100, 500, max_steps] if cheap_steps else None
    return {
        "step_size": number(0.001, 1.0),
        "n_steps": number(10, max_steps, integer=True, cheap=steps),
        "n_particles": option(PARTICLES),
        "seed": number(0, 9999, integer=True),
        "noise": boolean(),
    }


def model_values(*, train_steps: list[int]) -> dict[str, st.SearchStrategy[str]]:
    return {
        "objective": option(list(OBJECTIVES)),
        "dsm_sigma": number(0.01, 2.0, cheap=[0.01, 0.1, 2.0]),
        "sigma_max": number(1.0, 40.0, cheap=[1.0, 20.0, 40.0]),
        "sigma_min": number(0.05, 5.0, cheap=[0.05, 1.0, 5.0]),
        "levels": number(2, 20, integer=True, cheap=[2, 10, 20]),
        "train_steps": number(250, 10000, integer=True, cheap=train_steps),
        "data_size": option(DATA),
        "seed": number(0, 9999, integer=True, cheap=[0, 1]),
    }


def _scene_values(path: str) -> dict[str, st.SearchStrategy[str]]:
    if path == "score-fields":
        return {
            "density": option([*DENSITY_NAMES, "custom"], cheap=[*DENSITY_NAMES, "custom", "custom", "custom"]),
            "components": COMPONENTS,
            "sigma": number(0.0, 3.0),
            "arrows": option(["direction", "magnitude"]),
            **density_params(cheap=False),
        }
    if path == "follow-the-score":
        return {"density": option(DENSITY_NAMES), **density_params(cheap=False), **sampler_values(max_steps=2000)}
    if path == "learning-the-score":
        return {
            "density": option(DENSITY_NAMES, cheap=["ncsn-mixture", "two-moons", "ring"]),
            **density_params(cheap=True),
            **sampler_values(max_steps=2000, cheap_steps=True),
            **model_values(train_steps=[250, 250, 250, 250, 500, 500, 10000]),
        }
    if path == "low-density":
        return {
            "density": option(DENSITY_NAMES, cheap=["ncsn-mixture", "two-modes", "disjoint"]),
            **density_params(cheap=True),
            **model_values(train_steps=[250, 250, 500]),
            "start_x": number(-8.0, 8.0),
            "start_y": number(-8.0, 8.0),
            "step_size": number(0.001, 1.0),
            "n_steps": number(10, 2000, integer=True, cheap=[10, 100, 300, 2000]),
            "noise": boolean(),
        }
    if path == "manifolds":
        return {
            "thickness": number(0.01, 1.0, cheap=[0.01, 0.02, 0.1, 1.0]),
            "radius": number(0.5, 5.0, cheap=[0.5, 2.5, 5.0]),
            "arrows": option(["magnitude", "direction"]),
            "train_steps": number(250, 10000, integer=True, cheap=[250, 250, 500]),
            "seed": number(0, 9999, integer=True, cheap=[0, 1]),
        }
    if path == "mixing":
        return {
            "pi": number(0.05, 0.95),
            "pi_other": number(0.05, 0.95),
            "density": option(["disjoint", "two-modes", "ncsn-mixture", "custom"]),
            "components": COMPONENTS,  # a drawing's modes are the meter's (scene 7 offers the drawn density)
            **{k: v for k, v in sampler_values(max_steps=5000).items() if k != "noise"},
        }
    if path == "annealed-langevin":
        return {
            "sigma_max": number(1.0, 40.0),
            "sigma_min": number(0.05, 5.0),
            "levels": number(2, 20, integer=True),
            "steps_per_level": number(10, 300, integer=True),
            "step_size": number(0.001, 0.5),
            "pi": number(0.05, 0.95),
            "density": option(["ncsn-mixture", "custom"]),
            "components": COMPONENTS,
            "n_particles": option(PARTICLES),
            "seed": number(0, 9999, integer=True),
            "score": option(["exact", "learned-ncsn"], cheap=["exact", "exact", "exact", "learned-ncsn"]),
            "train_steps": number(250, 10000, integer=True, cheap=[250, 500]),
        }
    raise KeyError(path)


def queries(path: str) -> st.SearchStrategy[dict[str, str | list[str]]]:
    """A URL query for a scene: any subset of its keys, sometimes a key twice, sometimes unknown keys."""
    values = _scene_values(path)
    # scene 7 with a learned score trains a model per (π, σ's, L, seed): keep those to a few values in that case
    learned = {
        "pi": number(0.05, 0.95, cheap=[0.05, 0.2, 0.95]),
        "seed": number(0, 9999, integer=True, cheap=[0]),
        "sigma_max": number(1.0, 40.0, cheap=[1.0, 20.0, 40.0]),
        "sigma_min": number(0.05, 5.0, cheap=[0.05, 1.0, 5.0]),
        "levels": number(2, 20, integer=True, cheap=[2, 10]),
    }
    base = st.fixed_dictionaries({}, optional=values)

    @st.composite
    def build(draw) -> dict[str, str | list[str]]:
        q: dict[str, str | list[str]] = dict(draw(base))
        if path == "annealed-langevin" and q.get("score") == "learned-ncsn":
            for k in learned:
                if k in q:
                    q[k] = draw(learned[k])
        if q and draw(st.integers(0, 19)) == 0:  # the same key twice: ?k=a&k=b
            k = draw(st.sampled_from(sorted(q)))
            q[k] = [str(q[k]), draw(values[k])]
        q.update(draw(UNKNOWN))
        return q

    return build()


#: Extreme but legal values (and a few illegal ones), tried first in every run.
EXTREMES: dict[str, list[dict[str, str]]] = {
    "score-fields": [
        {"density": "ring", "thickness": "0.01", "radius": "10"},  # the thinnest, widest ring
        {"density": "gaussian", "scale": "10", "sigma": "3"},  # the widest density under the largest σ
        {"density": "two-modes", "pi": "0.01", "separation": "20"},  # π near 0, modes far apart
        {"density": "custom", "components": "0, 0, 0.05, 1e-300; 8, 8, 5, 1e6"},  # extreme widths and weights
        {"density": "custom", "components": "0, 0, 1, 0; 1, 1, 1, 0"},  # all weights zero
    ],
    "follow-the-score": [
        {"n_particles": "2000", "n_steps": "2000", "step_size": "1", "density": "ring", "thickness": "0.01"},
        {"n_particles": "1", "step_size": "0.001", "noise": "false"},  # one particle is not offered: a note
        {"density": "two-modes", "pi": "0.99", "n_particles": "250", "n_steps": "10"},
    ],
    "learning-the-score": [
        {"objective": "dsm", "dsm_sigma": "0.01", "train_steps": "250", "n_particles": "2000", "n_steps": "2000"},
        {"objective": "ncsn", "sigma_max": "40", "sigma_min": "0.05", "levels": "20", "train_steps": "250"},
    ],
    "low-density": [{"train_steps": "250", "start_x": "8", "start_y": "-8", "step_size": "1", "n_steps": "2000"}],
    "manifolds": [{"thickness": "0.01", "radius": "0.5", "train_steps": "250"}],
    "mixing": [
        {"pi": "0.05", "pi_other": "0.95", "n_particles": "2000", "n_steps": "5000", "step_size": "0.001"},
        {"pi": "0.95", "n_particles": "250", "n_steps": "10", "step_size": "1", "density": "ncsn-mixture"},
        {"density": "custom", "components": "0, 0, 1, 1", "n_steps": "10"},  # a drawing of one mode: nothing to mix
    ],
    "annealed-langevin": [
        {"sigma_max": "40", "sigma_min": "0.05", "levels": "20", "steps_per_level": "300", "n_particles": "2000"},
        {"sigma_max": "1", "sigma_min": "5", "levels": "2", "steps_per_level": "10", "step_size": "0.5"},
        # a drawing over the bump cap: the table says so and the last good drawing is sampled
        {"density": "custom", "components": "; ".join(["0, 0, 1, 1"] * 17), "levels": "2", "steps_per_level": "10"},
    ],
}

# ------------------------------------------------------------------------------------------------ one case


def open_scene(path: str, query: dict[str, str | list[str]], timeout: float = CASE_SECONDS) -> AppTest:
    """A new session of the whole app (app.py, its navigation) on scene ``path`` with ``?query``."""
    return open_app_page(ROOT / "app.py", path, query, timeout=timeout)


def _non_finite(obj, where: str = ""):
    """Paths of non-finite numbers in a decoded Plotly spec (None is allowed: Plotly's gap marker)."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "f" and not np.all(np.isfinite(obj)):
            yield where
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _non_finite(v, f"{where}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _non_finite(v, f"{where}[{i}]")
    elif isinstance(obj, float) and not math.isfinite(obj):
        yield where


def _widgets(at: AppTest) -> dict[str, object]:
    out = {}
    for group in (at.slider, at.number_input, at.selectbox, at.radio, at.toggle, at.text_input):
        for w in group:
            if w.key:
                out[w.key] = w
    return out


def _honoured(widget, raw: str) -> bool:
    value = widget.value
    if isinstance(value, bool):
        return raw.lower() == str(value).lower()
    if isinstance(value, int | float) and widget.type in ("slider", "number_input"):
        try:
            return math.isclose(float(raw), float(value), rel_tol=1e-6, abs_tol=1e-9)
        except ValueError:
            return False
    return str(value) == raw


def _note_value(notes: str, key: str) -> str | None:
    m = re.search(rf"URL value `+ ?{re.escape(key)}=.*?using `{re.escape(key)}=([^`]*)`", notes, re.S)  # md_code
    return None if m is None else m.group(1)


def _log(path: str, query: dict, seconds: float) -> None:
    """With FUZZ_LOG=file, one JSON line per case (scene, seconds, query): for the timing figures."""
    if os.environ.get("FUZZ_LOG"):
        with open(os.environ["FUZZ_LOG"], "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"scene": path, "seconds": round(seconds, 3), "query": query}) + "\n")


def check_case(path: str, query: dict[str, str | list[str]]) -> AppTest:
    t0 = time.perf_counter()
    at = open_scene(path, query)
    elapsed = time.perf_counter() - t0
    _log(path, query, elapsed)
    assert not at.exception, (path, query, [e.value for e in at.exception])
    assert at.title, (path, query, "no title")
    title = _TITLES.setdefault(path, at.title[0].value)
    assert at.title[0].value == title, (path, title, at.title[0].value)
    assert title not in {t for p, t in _TITLES.items() if p != path}, (path, title, "the navigation did not switch")
    texts = [e.value for group in (at.error, at.warning, at.info, at.markdown, at.caption) for e in group]
    assert not any("Traceback" in str(t) for t in texts), (path, query)

    specs = [F.decode_arrays(json.loads(el.proto.spec)) for el in at.get("plotly_chart")]
    assert specs, (path, query, "no chart on the page")
    for spec in specs:
        bad = list(_non_finite({"data": spec.get("data", []), "frames": spec.get("frames", [])}))
        kind = (spec.get("layout", {}).get("meta") or {}).get("kind")
        assert not bad, (path, query, kind, bad[:5])

    notes = "\n".join(w.value for w in at.warning)
    widgets = _widgets(at)
    for key, raw in query.items():
        w = widgets.get(key)
        if w is None or w.type == "text_input":
            continue  # not drawn on this page (another density's parameter, an unknown key) or free text
        repeated = isinstance(raw, list)
        if not repeated and raw != "" and _honoured(w, raw):
            continue
        if not repeated and raw == "":
            continue  # an empty value is no value
        used = _note_value(notes, key)
        assert used is not None, (path, query, key, raw, w.value, notes)
        assert _honoured(w, used) or (isinstance(w.value, float) and math.isclose(float(used), w.value, rel_tol=1e-5))

    lo, hi = widgets.get("sigma_min"), widgets.get("sigma_max")
    if path == "annealed-langevin" and lo is not None and hi is not None and lo.value > hi.value:
        # the one σ-order policy: refused and said (a warning), never silently clamped
        said = [w.value for w in at.warning]
        assert any("σ_min" in t and "above σ_max" in t and "cannot be used" in t for t in said), (
            query,
            "no σ_min note",
        )

    density = widgets.get("density")
    if density is not None and density.value == K.CUSTOM:  # scenes 1, 7 and 9 offer the drawn density
        text = widgets["components"].value
        problems = [e.value for e in at.error if "The component table has a problem" in e.value]
        try:
            CD.validate_components(text)
        except ValueError as err:
            assert problems and md_text(str(err)) in problems[0], (query, problems, str(err))  # shown literally
        else:
            assert not problems, (query, problems)
    return at


# ------------------------------------------------------------------------------------------------ the tests

_common = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)


def run_fuzz(path: str, n_examples: int) -> None:
    def case(query):
        check_case(path, query)

    test = given(query=queries(path))(case)
    for q in EXTREMES[path]:
        test = example(query=q)(test)
    settings(max_examples=n_examples, **_common)(test)()


@pytest.fixture(scope="module", autouse=True)
def _full_error_details():
    """.streamlit/config.toml hides tracebacks from students ("type"); a failing case here should show them."""
    from streamlit import config

    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "full")
    yield
    config.set_option("client.showErrorDetails", before)


@pytest.fixture(scope="module", autouse=True)
def _room_for_models():
    """The fuzz trains more distinct small models than a class would: keep them all (no retraining)."""
    store = T.model_store()
    before, store.max_entries = store.max_entries, 256
    yield
    store.max_entries = before


@pytest.mark.parametrize("path", list(FAST))
def test_app_fuzz_fast(path):
    run_fuzz(path, FAST[path])


@pytest.mark.fuzz
@pytest.mark.parametrize("path", list(FULL))
def test_app_fuzz_full(path):
    run_fuzz(path, FULL[path])


# ------------------------------------------------------------------------------------ the component parser


@settings(max_examples=300, **_common)
@given(text=st.one_of(COMPONENTS, st.text(max_size=200)))
def test_component_parser_only_raises_value_errors_with_a_reason(text):
    try:
        means, scales, weights = CD.validate_components(text)
    except ValueError as err:
        assert len(str(err)) > 15
    else:
        assert means.shape == (len(scales), 2) and np.all(np.isfinite(means)) and weights.sum() > 0
        assert np.all((scales >= 0.05) & (scales <= 5)) and np.all(np.abs(means) <= 8)


# ------------------------------------------------------------------------------------ shared caches, many threads


def test_cached_builders_are_safe_from_concurrent_sessions(count_compiles):
    """Streamlit runs each session's script in its own thread, and they share the cached builders and compiled
    JAX programs. Eight threads ask at once for runs that differ only in seed and π (a fresh shape, so the program
    is compiled while they wait): each gets exactly the run it would get alone."""
    import threading

    from scoredemo.samplers import compiled_run, make_params, uniform_init

    n, steps, frames = 67, 30, 13  # an unusual shape: no other test compiles it
    jobs = [(seed, round(0.2 + 0.05 * seed, 2)) for seed in range(8)]

    def alone(seed: int, pi: float) -> np.ndarray:
        import jax

        mix = K.get_density(K.density_key("two-modes", pi=pi)).mixture
        init_key, run_key = jax.random.split(jax.random.key(seed))
        x0 = uniform_init(init_key, n, 6.0)
        params = make_params(0.05, noise=1.0, sigmas=(0.0,), steps_per_level=steps)
        return np.asarray(compiled_run("langevin", frames)(run_key, mix, x0, params, steps).trajectory)

    import jax

    def inputs(seed: int, pi: float):
        mix = K.get_density(K.density_key("two-modes", pi=pi)).mixture
        init_key, run_key = jax.random.split(jax.random.key(seed))
        x0 = uniform_init(init_key, n, 6.0)
        return run_key, mix, x0, make_params(0.05, noise=1.0, sigmas=(0.0,), steps_per_level=steps)

    prepared = {seed: inputs(seed, pi) for seed, pi in jobs}  # eager set-up ops compile here, not in the race
    got: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def session(seed: int) -> None:
        try:
            start.wait()
            fn = kernels.kernel("langevin", frames)  # one shared compiled program (st.cache_resource)
            run_key, mix, x0, params = prepared[seed]
            got[seed] = np.asarray(fn(run_key, mix, x0, params, steps).trajectory)
        except BaseException as err:  # noqa: BLE001 - re-raised below
            errors.append(err)

    before = count_compiles()
    threads = [threading.Thread(target=session, args=(seed,)) for seed, _ in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert count_compiles() - before == 1  # the new shape compiled exactly once for all eight sessions
    for seed, pi in jobs:
        np.testing.assert_array_equal(got[seed], alone(seed, pi))


def test_hard_limits_name_the_limit():
    B.check_run_limits(app_settings.MAX_PARTICLES, app_settings.MAX_PARTICLE_STEPS // app_settings.MAX_PARTICLES)
    with pytest.raises(ValueError, match="particles is outside"):
        B.check_run_limits(app_settings.MAX_PARTICLES + 1, 10)
    with pytest.raises(ValueError, match="steps is outside"):
        B.check_run_limits(10, app_settings.MAX_RUN_STEPS + 1)
    with pytest.raises(ValueError, match="particle-steps per run"):
        B.check_run_limits(app_settings.MAX_PARTICLES, app_settings.MAX_RUN_STEPS)
    dkey = K.density_key("ncsn-mixture")
    with pytest.raises(ValueError, match="training steps"):
        T.check_train_limits(K.train_key(dkey, "dsm", app_settings.MAX_TRAIN_STEPS + 1))
    with pytest.raises(ValueError, match="data set"):
        T.check_train_limits(K.train_key(dkey, "dsm", 10, data_size=app_settings.MAX_TRAIN_DATA + 1))
    with pytest.raises(ValueError, match="characters long"):
        CD.parse_components("0, 0, 1, 1; " * 200)
