"""Layering: the engine imports neither Streamlit, the app nor the dev tools; only the figures (and the export, which
draws them) import plotly."""

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

ENGINE_MODULES = [
    "scoredemo",
    "scoredemo.densities",
    "scoredemo.samplers",
    "scoredemo.sde",
    "scoredemo.metrics",
    "scoredemo.figures",
    "scoredemo.training",
    "scoredemo.objectives",
    "scoredemo.models",
    "scoredemo.cli",
    "scoredemo.export",
]

#: Engine modules that may import plotly (the export draws what the figures draw).
DRAWING = ("scoredemo.figures", "scoredemo.export")
#: The CLI's command families (tests/test_cli_split.py): engine too, no plotly.
CLI_FAMILIES = ["scoredemo.cli_sample", "scoredemo.cli_digits", "scoredemo.cli_sde"]

# One fresh interpreter imports every engine module that must not draw, notes sys.modules, then the drawing ones and
# notes it again. sys.modules only grows, so a forbidden module after a phase was loaded by one of that phase's
# modules: the same verdict as one interpreter per module (which cost ~15 s of imports each, 14 times).
_PROBE = """
import importlib, json, sys
phases = json.loads(sys.argv[1])
seen = []
for phase in phases:
    for module in phase:
        importlib.import_module(module)
    seen.append(sorted(sys.modules))
print(json.dumps(seen))
"""


@functools.cache
def imported_after() -> tuple[frozenset[str], frozenset[str]]:
    """(sys.modules after importing every non-drawing engine module and CLI family, then after the drawing ones
    too), in a fresh interpreter with this checkout first on the path."""
    plain = [m for m in ENGINE_MODULES + CLI_FAMILIES if not m.startswith(DRAWING)]
    drawing = [m for m in ENGINE_MODULES if m.startswith(DRAWING)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps([plain, drawing])],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )
    first, second = json.loads(out.stdout)
    return frozenset(first), frozenset(second)


def imported_by(module: str) -> frozenset[str]:
    """What importing ``module`` may have loaded: the snapshot of its phase (see :func:`imported_after`)."""
    plain, everything = imported_after()
    return everything if module.startswith(DRAWING) else plain


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_module_imports_no_app_layer(module):
    loaded = imported_by(module)
    assert module in loaded
    assert not [m for m in loaded if _top(m) in ("streamlit", "devtools")]
    assert not [m for m in loaded if m == "scoredemo.app" or m.startswith("scoredemo.app.")]
    if not module.startswith(DRAWING):
        assert not [m for m in loaded if _top(m) == "plotly"]
        assert not [m for m in loaded if m.startswith("scoredemo.figures")]
