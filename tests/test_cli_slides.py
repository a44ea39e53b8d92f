"""``python -m scoredemo slides``: a scene's presets as slide PNGs and GIF/MP4 in one zip with a README; bad input is
one error line; without a PNG renderer the zip still holds the animations and says why the PNGs are missing."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scoredemo import figures as F
from scoredemo.app import deck
from scoredemo.app.presets import presets_for
from scoredemo.cli import main
from tests.e2e.test_slides import plot_area

ROOT = Path(__file__).resolve().parents[1]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _needs_png_renderer() -> None:
    """Skip without kaleido or Chromium, or fail in CI (CI=true), where a missing browser is a missing install."""
    reason = deck.png_renderer_missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"slide PNG prerequisites missing in CI: {reason}")
        pytest.skip(reason)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scene", "nowhere", "--out", "x.zip"], "unknown scene 'nowhere'"),
        (["--scene", "mixing", "--out", "x.txt"], "--out must name a .zip file"),
        (["--scene", "mixing", "--out", "x.zip", "--param", "oops"], "--param expects KEY=VALUE"),
        (["--scene", "mixing", "--out", "/no/such/dir/x.zip"], "cannot write"),
    ],
)
def test_bad_input_is_one_error_line(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code = main(["slides", *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and message in err, err


def test_views_and_slugs():
    views = deck.views_for("mixing")
    assert views[0].name == "default view" and views[0].params == {}
    assert [v.name for v in views[1:]] == [p.name for p in presets_for("mixing")]
    # a preset without parameters is the default view, under the preset's name
    assert [v.name for v in deck.views_for("mixing-time")] == [p.name for p in presets_for("mixing-time")]
    assert deck.slug("2/3 : 1/3 comes out ½ : ½") == "2-3-1-3-comes-out-12-12"
    assert deck.slug("σ 20 → 1") == "20-1" and deck.slug("σσ") == "view"


def test_without_a_png_renderer_the_zip_holds_the_animations_and_says_why(tmp_path, monkeypatch):
    """The export path without Chromium (BROWSER_PATH names no file): no PNG, the GIF and MP4 of the page's
    animation, and the README's note; the scene run is replaced by a small canned one (the real run is tested
    below)."""
    traj = np.random.default_rng(0).normal(size=(3, 20, 2)).astype(np.float32)
    anim = F.Animation(sets=[F.ParticleSet(traj, "particles")], box=3.0, frame_labels=["a", "b", "c"])
    charts = [("animation", F.animation_spec(anim))]
    monkeypatch.setattr(deck, "run_view", lambda module, params, **kw: (charts, {"animation": lambda: anim}, []))
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    assert "no Chromium" in deck.png_renderer_missing()
    lines = []
    out = tmp_path / "deck.zip"
    summary = deck.build_zip(["mixing"], out, log=lines.append)
    names = zipfile.ZipFile(out).namelist()
    assert not [n for n in names if n.endswith(".png")]
    assert "mixing/02-2-3-1-3-comes-out-12-12/animation.gif" in names
    assert "mixing/02-2-3-1-3-comes-out-12-12/animation.mp4" in names
    readme = zipfile.ZipFile(out).read("README.md").decode()
    assert "NOTE: no slide PNGs in this zip: no Chromium found" in readme
    assert any("no slide PNGs" in line for line in lines) and summary["png_missing"]
    # every view drew the same canned picture: the default view's files are left out, pointing to a preset
    assert not [n for n in names if n.startswith("mixing/01-default-view/")]
    assert "the same picture as the preset" in readme


def test_cli_writes_a_scenes_presets_as_slides(tmp_path):
    """Scene 7 (mixing, no training; 250 particles and 200 steps through --param): every preset's charts as
    1920 × 1080 PNGs, its animation as GIF and MP4, and the README with each preset's name, link and line."""
    _needs_png_renderer()
    out = tmp_path / "mixing.zip"
    cmd = [sys.executable, "-m", "scoredemo", "slides", "--scene", "mixing", "--out", str(out), "--param",
           "n_particles=250", "--param", "n_steps=200", "--base-url", "http://example.test:8501"]  # fmt: skip
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert "slides: wrote" in res.stdout
    z = zipfile.ZipFile(out)
    readme = z.read("README.md").decode()
    for i, p in enumerate(presets_for("mixing"), start=2):
        folder = f"mixing/{i:02d}-{deck.slug(p.name)}"
        for chart in ("score-fields", "score-difference", "animation", "meter"):
            png = z.read(f"{folder}/{chart}.png")
            assert _png_size(png) == (1920, 1080)
        gif, mp4 = z.read(f"{folder}/animation.gif"), z.read(f"{folder}/animation.mp4")
        assert gif[:6] == b"GIF89a" and mp4[4:8] == b"ftyp"
        assert f"### {p.name}" in readme and p.say in readme
        assert f"http://example.test:8501/mixing?{p.query()}" in readme
    # the animation's slide is the chart alone (no Play/Pause button or slider rail under the plot), filling it
    area = plot_area(z.read("mixing/03-one-mode-stays-one-mode/animation.png"))
    assert area["controls_below"] == 0 and area["height"] >= 0.75 * 1080, area


@pytest.mark.slow
def test_cli_exports_every_scene(tmp_path):
    _needs_png_renderer()
    out = tmp_path / "all.zip"
    res = subprocess.run(
        [sys.executable, "-m", "scoredemo", "slides", "--scene", "all", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    names = zipfile.ZipFile(out).namelist()
    for path in deck.scene_paths():
        assert any(n.startswith(f"{path}/") and n.endswith(".png") for n in names), path
    readme = zipfile.ZipFile(out).read("README.md").decode()
    for trouble in ("did not run", "showed an error", "no PNG", "no GIF", "drew no chart", "NOTE"):
        assert trouble not in readme, trouble
