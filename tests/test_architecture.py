"""Layering: the engine imports neither Streamlit, the app nor the dev tools; only the figures (and the export, which
draws them) import plotly."""

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

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""


def _imported_by(module: str) -> list[str]:
    """The names in sys.modules after importing ``module`` in a fresh interpreter (this checkout first on the path)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, module],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    return json.loads(out.stdout)


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_module_imports_no_app_layer(module):
    loaded = _imported_by(module)
    assert module in loaded
    assert not [m for m in loaded if _top(m) in ("streamlit", "devtools")]
    assert not [m for m in loaded if m == "scoredemo.app" or m.startswith("scoredemo.app.")]
    if not module.startswith(("scoredemo.figures", "scoredemo.export")):  # export draws what figures draw
        assert not [m for m in loaded if _top(m) == "plotly"]
        assert not [m for m in loaded if m.startswith("scoredemo.figures")]
