"""Presenter mode's pure pieces: ``figures.presented`` scales a spec without touching the original; the first
sentence of an intro; the presets registry's shape; the chart summaries."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from scoredemo import figures as F
from scoredemo.app import alt_text, presenter
from scoredemo.app import presets as P
from scoredemo.app.scenes import SCENES


def _animation() -> dict:
    traj = np.random.default_rng(0).normal(size=(5, 20, 2)).astype(np.float32)
    anim = F.Animation(sets=[F.ParticleSet(traj, "particles")], box=3.0, frame_labels=[f"step {i}" for i in range(5)])
    return F.animation_spec(anim)


def test_presented_scales_fonts_markers_lines_in_data_layout_and_frames():
    spec = _animation()
    before = copy.deepcopy(spec)
    out = F.presented(spec, 1.5)
    assert spec == before  # the input (maybe a cached builder's result) is not changed
    assert out["layout"]["font"]["size"] == pytest.approx(1.5 * spec["layout"]["font"]["size"])
    assert out["layout"]["legend"]["font"]["size"] == pytest.approx(1.5 * spec["layout"]["legend"]["font"]["size"])
    assert out["layout"]["updatemenus"][0]["font"]["size"] == pytest.approx(1.5 * F.LEGEND_FONT)
    cv = out["layout"]["sliders"][0]["currentvalue"]["font"]["size"]
    assert cv == pytest.approx(1.5 * spec["layout"]["sliders"][0]["currentvalue"]["font"]["size"])
    for a, b in [(spec["data"], out["data"])] + [
        (f["data"], g["data"]) for f, g in zip(spec["frames"], out["frames"], strict=True)
    ]:
        for t, u in zip(a, b, strict=True):
            if "marker" in t:
                assert u["marker"]["size"] == pytest.approx(1.5 * t["marker"]["size"])
            if "line" in t:
                assert u["line"]["width"] == pytest.approx(1.5 * t["line"]["width"])
            assert u["x"] is t["x"]  # typed arrays are shared, not copied
    assert out["layout"]["margin"]["t"] == pytest.approx(1.5 * spec["layout"]["margin"]["t"])
    assert out["layout"]["margin"]["l"] == spec["layout"]["margin"]["l"]
    for menu in ("updatemenus", "sliders"):  # their rows below the plot grow with their fonts
        assert out["layout"][menu][0]["pad"]["t"] == pytest.approx(1.5 * spec["layout"][menu][0]["pad"]["t"])
    assert len(out["frames"]) == len(spec["frames"])


def test_animation_controls_sit_in_rows_under_the_plot():
    """The slider spans the chart and the Play/Pause buttons sit under it (beside it they covered its start on a
    narrow chart), both inside the bottom margin."""
    layout = _animation()["layout"]
    (menu,), (slider,) = layout["updatemenus"], layout["sliders"]
    assert slider["x"] == 0.0 and slider["len"] == 1.0
    assert menu["pad"]["t"] >= slider["pad"]["t"] + F.animation.BUTTON_ROW
    assert menu["pad"]["t"] + 2 * menu["font"]["size"] <= layout["margin"]["b"]  # a button row is ~2 font sizes high


def test_presented_scales_titles_axes_annotations_and_arrows():
    spec = {
        "data": [{"type": "scatter", "marker": {"size": [1, 2]}, "line": {"width": 2}}],
        "layout": {
            "title": {"text": "t", "font": {"size": 20}},
            "xaxis": {"tickfont": {"size": 10}, "title": {"font": {"size": 12}}},
            "annotations": [{"font": {"size": 14}, "arrowwidth": 1}],
        },
    }
    out = F.presented(spec, 2.0)
    lay = out["layout"]
    assert lay["title"]["font"]["size"] == 40 and lay["xaxis"]["tickfont"]["size"] == 20
    assert lay["xaxis"]["title"]["font"]["size"] == 24
    assert lay["annotations"][0] == {"font": {"size": 28}, "arrowwidth": 2}
    assert lay["font"]["size"] == 2 * F.FONT_SIZE  # a base font where the layout had none
    assert out["data"][0]["marker"]["size"] == [1, 2]  # per-point sizes are left alone
    assert out["data"][0]["line"]["width"] == 4
    with pytest.raises(ValueError):
        F.presented(spec, 0)


def test_presented_output_is_a_valid_figure():
    import plotly.graph_objects as go

    go.Figure(F.decode_arrays(F.presented(_animation())))


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("One. Two.", "One."),
        ("Start here. **Without noise** it climbs.", "Start here."),
        ("The loss is **under p**, estimated. Where p is tiny, no.", "The loss is **under p**, estimated."),
        ("Only one sentence", "Only one sentence"),
        ("Values, e.g. Gaussian ones, are fine. Next one.", "Values, e.g. Gaussian ones, are fine."),
        ("Is it? Yes.", "Is it?"),
    ],
)
def test_first_sentence(text, first):
    assert presenter.first_sentence(text) == first


@pytest.mark.parametrize(
    ("values", "on"), [([], False), (["1"], True), (["true"], True), (["0"], False), (["x"], False)]
)
def test_present_url_flag(values, on):
    assert presenter.url_flag(values) is on


def test_every_preset_names_a_scene_and_is_unique():
    paths = {path for _, _, path, _ in SCENES}
    assert {p.url_path for p in P.PRESETS} <= paths
    assert len({p.name for p in P.PRESETS}) == len(P.PRESETS)
    for p in P.PRESETS:
        assert p.say and len(p.say) <= 120, p.name  # one line for the teacher
        assert all(isinstance(v, str) for v in p.params.values())
    names = {p.name for p in P.PRESETS}
    for wanted in ("ascent collapses", "Langevin samples", "large ε bias", "learned score", "σ 20 → 1"):
        assert wanted in names
    one_mode = {"density": "disjoint", "pi": "0.67", "init": "one-mode"}
    assert P.matching("mixing", one_mode).name == "one mode stays one mode"


def test_neighbours_follow_the_lecture_order():
    class Pg:
        def __init__(self, p):
            self.url_path = p

    pages = [Pg(path) for _, _, path, _ in SCENES]
    assert presenter.neighbours(pages, pages[0]) == (None, pages[1])
    assert presenter.neighbours(pages, pages[3]) == (pages[2], pages[4])
    assert presenter.neighbours(pages, pages[-1]) == (pages[-2], None)


def test_mode_split_text():
    assert alt_text.mode_split([0.49, 0.51], [0.2, 0.8], ["left mode", "right"]) == (
        "49 % in the left mode, 51 % in the right mode; true weights 20 % / 80 %"
    )
    assert alt_text.mode_split([0.11, 0.14] + [0.125] * 6, [0.125] * 8) == (
        "in each of the 8 modes 11 %–14 %; true weights 12 % each"
    )
    assert "diverged at step 7" in alt_text.particles("Langevin", 10, 5, [1.0], [1.0], diverged_at=7)


def test_qr_png_is_a_png():
    png = presenter.qr_png("http://localhost:8501/mixing?pi=0.67&present=1")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_presented_never_shrinks_the_plot_area():
    """The plot area (height minus the top and bottom margins) is at least as tall on the projector: the figure grows
    by what its text margins grew (the mode-fraction meter's plot area fell from 173 to 60 px before)."""
    spec = F.mode_fraction_spec(np.arange(0, 510, 10), {"run": np.full((51, 2), 0.5)}, np.array([0.2, 0.8]),
                                title="meter")  # fmt: skip
    big = F.presented(spec, 1.5)
    plot = lambda lay: lay["height"] - lay["margin"]["t"] - lay["margin"]["b"]  # noqa: E731
    assert plot(big["layout"]) == pytest.approx(plot(spec["layout"]), abs=1)
    assert big["layout"]["height"] > spec["layout"]["height"]
    assert spec["layout"]["height"] == 420  # the page's figure is not changed
