"""The wheel `pip install .` builds: it ships the engine, the app and its scenes, and none of the dev tools; the
installed package works from outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        cwd=build,
        capture_output=True,
    )
    (whl,) = out.glob("scoredemo-*.whl")
    return whl


def test_wheel_contains_the_app_and_scenes_not_the_dev_tools(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in ("scoredemo/cli.py", "scoredemo/figures/animation.py", "scoredemo/app/controls.py"):
        assert module in names
    assert {"scoredemo/app/formulas.json", "scoredemo/app/formulas.css"} <= names  # the formulas' data
    scenes = {n for n in names if n.startswith("scoredemo/app/scenes/") and n.endswith(".py")}
    expected = {f"scoredemo/app/scenes/{p.name}" for p in (ROOT / "scoredemo/app/scenes").glob("*.py")}
    assert scenes == expected
    assert not any(n.startswith(("devtools/", "tests/")) for n in names)


def test_installed_package_runs_from_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", "import scoredemo, sys; print(scoredemo.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith(str(target))
    res = subprocess.run(
        [sys.executable, "-m", "scoredemo", "densities"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert res.returncode == 0 and "ncsn-mixture" in res.stdout
