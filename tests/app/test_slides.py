"""AppTest of the slide tools: the camera icon's file (format and size in every chart's config, chosen in the
share box), scene 1's presets on the default page, and the page shell's weight (the keyboard script only in
presenter mode, no warm-up fragment once the server is ready)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scoredemo.app import presenter, slides
from scoredemo.figures.presenting import DEFAULT_IMAGE_FORMAT, IMAGE_FORMATS, image_button_options, slide_patch
from tests.app import apptest
from tests.app.test_app import ROOT, TIMEOUT, ok

#: (label start, file format, pixel width, pixel height) the camera icon must produce.
EXPECTED = [("PNG 1920", "png", 1920, 1080), ("PNG 1080", "png", 1080, 1080), ("SVG", "svg", 960, 540)]


@pytest.mark.parametrize(("start", "fmt", "width", "height"), EXPECTED)
def test_image_formats_give_slide_sizes(start, fmt, width, height):
    label = next(k for k in IMAGE_FORMATS if k.startswith(start))
    opts = image_button_options(label, "scoredemo-x")
    assert opts["format"] == fmt and opts["filename"] == "scoredemo-x"
    assert (opts["width"] * opts["scale"], opts["height"] * opts["scale"]) == (width, height)


def test_unknown_image_format_falls_back_to_the_default():
    assert image_button_options("GIF 9 × 9", "f") == image_button_options(DEFAULT_IMAGE_FORMAT, "f")


def chart_configs(at) -> list[dict]:
    return [json.loads(el.proto.config) for el in at.get("plotly_chart")]


def test_every_chart_saves_the_chosen_format():
    at = apptest.open_app_page(ROOT / "app.py", "", {}, timeout=TIMEOUT)
    ok(at)
    configs = chart_configs(at)
    assert configs, "scene 1 drew no chart"
    for cfg in configs:
        opts = cfg["toImageButtonOptions"]
        assert (opts["format"], opts["width"] * opts["scale"]) == ("png", 1920)
        assert opts["filename"].startswith("scoredemo-")
    svg = next(k for k in IMAGE_FORMATS if k.startswith("SVG"))
    at.selectbox(key=presenter.IMAGE_FORMAT).set_value(svg).run()
    ok(at)
    assert {c["toImageButtonOptions"]["format"] for c in chart_configs(at)} == {"svg"}
    assert "image_format" not in at.query_params  # a download setting, not part of the shared view


def test_scene_1_shows_its_presets_on_the_default_page():
    at = apptest.open_app_page(ROOT / "app.py", "", {}, timeout=TIMEOUT)
    ok(at)
    labels = {el.proto.label for el in at.get("page_link")}
    assert {"score = arrows uphill", "noise smooths the score"} <= labels


def test_keyboard_script_only_in_presenter_mode():
    plain = apptest.open_app_page(ROOT / "app.py", "", {}, timeout=TIMEOUT)
    shown = apptest.open_app_page(ROOT / "app.py", "", {"present": "1"}, timeout=TIMEOUT)
    ok(plain), ok(shown)

    def has_keys(at) -> bool:
        return any("__scoredemoKeys" in el.proto.body for el in at.get("html"))

    assert not has_keys(plain) and has_keys(shown)


def test_every_chart_carries_its_slide_layout_for_the_camera_script():
    """``layout.meta.slide`` (read by slides.SLIDE_JS): the patch of figures.presenting.slide_patch for the chosen
    format, and that format's options, the same as the chart's ``toImageButtonOptions``."""
    at = apptest.open_app_page(ROOT / "app.py", "follow-the-score", {}, timeout=TIMEOUT)
    ok(at)
    charts = at.get("plotly_chart")
    assert charts
    for el in charts:
        spec, cfg = json.loads(el.proto.spec), json.loads(el.proto.config)
        slide = spec["layout"]["meta"]["slide"]
        assert slide["image"] == cfg["toImageButtonOptions"]
        bare = {**spec, "layout": {**spec["layout"], "meta": {k: v for k, v in spec["layout"]["meta"].items()
                                                              if k != "slide"}}}  # fmt: skip
        assert slide["layout"] == json.loads(json.dumps(slide_patch(bare, 960, 540)))
        assert slide["layout"]["updatemenus"] == [] and slide["layout"]["sliders"] == []
    svg = next(k for k in IMAGE_FORMATS if k.startswith("SVG"))
    at.selectbox(key=presenter.IMAGE_FORMAT).set_value(svg).run()
    ok(at)
    assert {
        json.loads(el.proto.spec)["layout"]["meta"]["slide"]["image"]["format"] for el in at.get("plotly_chart")
    } == {"svg"}


def test_share_box_offers_the_scene_export():
    at = apptest.open_app_page(ROOT / "app.py", "mixing", {}, timeout=TIMEOUT)
    ok(at)
    assert at.button(key="slides-export").label == "Export this scene's slides (zip)"


def test_streamlit_plotly_bundle_has_what_the_camera_script_uses():
    """slides.SLIDE_JS finds the camera as a ``.modebar-btn`` whose ``data-title`` starts with "Download plot" and
    exports through the public ``Plotly.downloadImage``: both read from the plotly.js that Streamlit bundles, so an
    upgrade that changes them fails here (and the page falls back to Plotly's own export)."""
    import streamlit

    bundle = list((Path(streamlit.__file__).parent / "static").rglob("PlotlyChart*.js"))
    assert bundle, "Streamlit no longer ships its Plotly chart as PlotlyChart*.js"
    text = "".join(p.read_text(errors="ignore") for p in bundle)
    for needle in ("`modebar-btn`", "`data-title`", "Download plot as a PNG", "downloadImage"):
        assert needle in text, needle


@pytest.mark.parametrize(
    ("url", "path", "base"),
    [
        ("http://h:8501/mixing", "mixing", "http://h:8501"),
        ("http://h:8501/", "mixing", "http://h:8501"),
        ("http://h:8501/app/mixing?x=1", "mixing", "http://h:8501/app"),
        (None, "mixing", slides.FALLBACK_URL),
    ],
)
def test_export_links_use_the_apps_address(url, path, base):
    assert slides.app_address(url, path) == base


def test_for_camera_adds_the_slide_to_a_copy():
    import copy

    import plotly.graph_objects as go

    opts = image_button_options(DEFAULT_IMAGE_FORMAT, "scoredemo-k")
    spec = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {"meta": {"kind": "k"}, "height": 400}}
    before = copy.deepcopy(spec)
    out = slides.for_camera(spec, opts)
    assert spec == before  # a cached builder's result is not changed
    assert out["layout"]["meta"]["kind"] == "k" and out["layout"]["meta"]["slide"]["image"] == opts
    assert out["layout"]["meta"]["slide"]["layout"] == slide_patch(spec, 960, 540)
    fig = go.Figure(spec)
    assert slides.for_camera(fig, opts)["layout"]["meta"]["slide"]["image"] == opts
    assert fig.layout.meta == {"kind": "k"}
    odd = {"data": [], "layout": {"meta": "a string"}}
    assert slides.for_camera(odd, opts) == odd  # no slide: the plain export
