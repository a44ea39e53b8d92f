"""Real-browser tests of the teacher's slide tools: presenter mode's page text is larger and black (computed styles
in Chromium, not the CSS text), and the charts' camera icon saves a slide-sized PNG or an SVG (Playwright's
download event, the file's header read) that is a slide: the chart alone (no Play/Pause buttons, no slider), its
plot filling the slide (measured in the PNG's pixels)."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from devtools.apphost import open_options, open_settled, wait_idle
from scoredemo.figures.presenting import IMAGE_FORMATS

pytestmark = pytest.mark.e2e

SCENE = "mixing"  # paragraphs, a formula, captions, metrics (value, label, delta), page links and buttons

#: Font size (px) and colour of one element of each kind of page text in the main area; null when absent.
JS_TEXT_STYLES = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const style = el => el ? {px: parseFloat(getComputedStyle(el).fontSize), color: getComputedStyle(el).color} : null;
    const pick = (sel, ok) => Array.from(main.querySelectorAll(sel)).find(e => e.getBoundingClientRect().width > 0
        && (!ok || ok(e)));
    const plain = e => !e.closest('[data-testid="stCaptionContainer"], [data-testid^="stMetric"], button, a, '
        + '[data-testid="stAlert"], [data-testid="stExpander"]') && e.innerText.length > 40;
    return {
        paragraph: style(pick('[data-testid="stMarkdownContainer"] p', plain)),
        title: style(pick('h1')),
        caption: style(pick('[data-testid="stCaptionContainer"]')),
        metric_value: style(pick('[data-testid="stMetricValue"] p') || pick('[data-testid="stMetricValue"]')),
        metric_label: style(pick('[data-testid="stMetricLabel"] p')),
        page_link: style(pick('[data-testid="stPageLink"] a p') || pick('[data-testid="stPageLink"] a')),
        button: style(pick('button p')),
        formula: style(pick('.sd-formula math')),
    };
}"""


def open_scene(chromium, url: str, viewport: dict) -> object:
    """A fresh context (no session shared with another test) on ``url``, settled."""
    ctx = chromium.new_context(viewport=viewport, accept_downloads=True)
    pg = ctx.new_page()
    open_settled(pg, url)
    assert pg.locator('[data-testid="stException"]').count() == 0
    return pg


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 720}, {"width": 1920, "height": 1080}])
def test_presenter_mode_grows_every_kind_of_page_text(app_url, chromium, viewport):
    styles = {}
    for mode, query in (("normal", ""), ("present", "?present=1")):
        pg = open_scene(chromium, f"{app_url}/{SCENE}{query}", viewport)
        styles[mode] = pg.evaluate(JS_TEXT_STYLES)
        pg.context.close()
    normal, present = styles["normal"], styles["present"]
    # at least 1.3× (the root size is 1.4 % of the width, ≥ 24 px against the theme's 18 px: 1.33× at 1280 px)
    want = 1.3 if viewport["width"] < 1700 else 1.45
    for kind in normal:
        assert normal[kind] is not None and present[kind] is not None, f"no {kind} on the page"
        if kind == "title":  # on the projector the title is one line over the stage (1.5rem): checked below
            continue
        ratio = present[kind]["px"] / normal[kind]["px"]
        assert ratio >= want, f"{kind}: {normal[kind]['px']} px → {present[kind]['px']} px ({ratio:.2f}×)"
    # the hierarchy is kept: a metric's value stays larger than its label and than the body text
    assert present["metric_value"]["px"] > 1.5 * present["paragraph"]["px"]
    assert present["title"]["px"] > present["paragraph"]["px"] > present["caption"]["px"]
    assert present["title"]["px"] >= 36  # a one-line title, still the largest text (1.5 × the 24-px root at least)
    # high contrast: body text, captions and metrics are black (Streamlit's are dark or mid grey)
    for kind in ("paragraph", "title", "caption", "metric_value", "metric_label", "formula"):
        assert present[kind]["color"] == "rgb(0, 0, 0)", f"{kind} is {present[kind]['color']}"
    assert normal["caption"]["color"] != "rgb(0, 0, 0)"  # the check above can fail


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; fails on anything that is not a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"not a PNG: {data[:8]!r}"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def camera_download(pg, tmp_path: Path) -> tuple[str, bytes]:
    """Click the first chart's modebar camera (plotly.js: ``.modebar-btn`` titled "Download plot…"); the download's
    suggested file name and bytes."""
    name, data, _ = slide_download(pg, pg.locator('[data-testid="stPlotlyChart"]').first, tmp_path)
    return name, data


def test_camera_icon_saves_a_slide_png_then_an_svg(app_url, chromium, tmp_path):
    pg = open_scene(chromium, f"{app_url}/{SCENE}", {"width": 1600, "height": 1000})
    try:
        name, data = camera_download(pg, tmp_path)
        assert name.startswith("scoredemo-") and name.endswith(".png")
        assert png_size(data) == (1920, 1080)

        pg.get_by_text("Share this view").click()  # the choice sits in the share box (drawn only when opened)
        box = pg.locator('[data-testid="stSelectbox"]').filter(has_text="camera icon above each chart saves")
        svg = next(label for label, opts in IMAGE_FORMATS.items() if opts["format"] == "svg")
        open_options(pg, box, svg).click()  # reopened if a rerun closes the list as it opens (CI saw it once)
        wait_idle(pg)
        pg.keyboard.press("Escape")  # close the share box
        name, data = camera_download(pg, tmp_path)
        assert name.endswith(".svg")
        text = data.decode("utf-8")
        head = re.search(r"<svg[^>]*>", text)
        assert head is not None, text[:200]
        assert 'width="960"' in head.group(0) and 'height="540"' in head.group(0), head.group(0)
        assert "</svg>" in text and "<path" in text  # a drawn chart, not an empty shell
    finally:
        pg.context.close()


# ------------------------------------------------------------------------------------------ the slide picture

#: Records what the page hands plotly.js's public ``Plotly.downloadImage`` (the figure's layout keys that matter):
#: the slide script calls it with the slide; Plotly's own modebar export calls its internal copy, never this one.
JS_WATCH_EXPORTS = """() => {
    const P = window.Plotly;
    if (P.__watched) return;
    const original = P.downloadImage;
    P.downloadImage = function (fig, opts) {
        const layout = fig && fig.layout ? fig.layout : {};
        window.__slideExport = {updatemenus: layout.updatemenus || null, sliders: layout.sliders || null,
                                width: layout.width, height: layout.height, frames: fig && fig.frames || null,
                                meta: layout.meta || null, opts};
        return original.apply(this, arguments);
    };
    P.__watched = true;
}"""

#: Plotly's default border colour of Play/Pause buttons and of the slider's rail (#BEC8D9): no chart of ours uses it.
CONTROLS_RGB = np.array([190, 200, 217])


def _longest_run(mask: np.ndarray) -> tuple[int, int]:
    """(length, row) of the longest run of True in any row of ``mask``."""
    best = (0, 0)
    for i, row in enumerate(mask):
        if row.any():
            edges = np.diff(np.concatenate([[0], row.astype(np.int8), [0]]))
            length = int(np.max(np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)))
            best = max(best, (length, i))
    return best


def plot_area(png: bytes) -> dict:
    """The plot area of a slide PNG, read from its pixels: every chart of ours draws its x and y axis lines in dark
    grey (``_style.AXIS_COLOR``), so the longest dark horizontal run is the x axis (its length the plot's width, its
    row the plot's bottom) and the longest dark vertical run the y axis (the plot's height). Also counts the pixels
    of the animation controls' colour below the plot."""
    a = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    dark = (a.max(-1) < 90) & (a.max(-1) - a.min(-1) < 25)
    width, bottom = _longest_run(dark)
    height, _ = _longest_run(dark.T)
    controls = np.abs(a - CONTROLS_RGB).max(-1) <= 10
    return {"width": width, "height": height, "bottom": bottom, "controls_below": int(controls[bottom + 1 :].sum())}


def slide_download(pg, chart, tmp_path: Path) -> tuple[str, bytes, dict | None]:
    """Click ``chart``'s camera icon; (file name, bytes, what the page handed Plotly.downloadImage or None)."""
    pg.evaluate(JS_WATCH_EXPORTS)
    pg.evaluate("() => { window.__slideExport = null; }")
    chart.scroll_into_view_if_needed()
    chart.hover()
    button = chart.locator('.modebar-btn[data-title^="Download plot"]')
    with pg.expect_download(timeout=60000) as info:
        button.click()
    d = info.value
    path = tmp_path / d.suggested_filename
    d.save_as(path)
    return d.suggested_filename, path.read_bytes(), pg.evaluate("() => window.__slideExport")


def test_camera_icon_saves_the_chart_alone_filling_the_slide(app_url, chromium, tmp_path):
    """What a teacher gets from the camera icon for a slide, on scene 3's ULA cloud (an animation: Play/Pause and
    a slider under it) and its variance-vs-ε line chart: 1920 × 1080, no Play/Pause buttons or slider (neither in
    the figure exported nor in the picture), and the plot filling the slide: at least 75 % of its height (the old
    export, with the controls' rows and a screen chart's margins, gave 54 % for the cloud and 66 % for the line
    chart) and, for the line chart's free axes, 75 % of its width; the cloud's equal scales keep it square."""
    pg = open_scene(chromium, f"{app_url}/step-size", {"width": 1600, "height": 1000})
    try:
        for kind, square in (("animation", True), ("variance-vs-step", False)):
            index = pg.evaluate(JS_CHART_INDEX, kind)
            assert index >= 0, f"no {kind} chart on scene 3"
            chart = pg.locator('[data-testid="stPlotlyChart"]').nth(index)
            name, data, exported = slide_download(pg, chart, tmp_path)
            assert name.endswith(".png") and png_size(data) == (1920, 1080)
            assert exported is not None, f"{kind}: the camera icon exported the chart as drawn (Plotly's own export)"
            assert not exported["updatemenus"] and not exported["sliders"] and not exported["frames"]
            assert (exported["width"], exported["height"]) == (960, 540)
            assert "slide" not in (exported["meta"] or {})
            area = plot_area(data)
            assert area["controls_below"] == 0, (kind, area)  # no Play/Pause button, no slider rail under the plot
            assert area["height"] >= 0.75 * 1080, (kind, area)
            if square:  # equal scales: the plot is as wide as it is high
                assert abs(area["width"] - area["height"]) <= 0.02 * area["height"], (kind, area)
            else:
                assert area["width"] >= 0.75 * 1920, (kind, area)
    finally:
        pg.context.close()


#: The index, among the page's Plotly charts, of the first chart of ``layout.meta.kind`` (-1 if none).
JS_CHART_INDEX = """(kind) => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot'))
    .findIndex(gd => gd.layout && gd.layout.meta && gd.layout.meta.kind === kind)"""


@pytest.mark.slow
def test_share_box_exports_the_scenes_slides_as_one_zip(app_url, chromium, tmp_path):
    """What a teacher does to build a deck: open "Share this view", click "Export this scene's slides", wait, and
    download the zip: it holds each preset's slide PNGs, its animation's GIF and MP4, and the README."""
    pg = open_scene(chromium, f"{app_url}/mixing", {"width": 1600, "height": 1000})
    try:
        pg.get_by_text("Share this view").click()
        pg.get_by_role("button", name="Export this scene's slides (zip)").click()
        link = pg.locator('[data-testid="stDownloadButton"]').filter(has_text=".zip")
        link.wait_for(timeout=900_000)
        with pg.expect_download(timeout=60000) as info:
            link.click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        names = zipfile.ZipFile(path).namelist()
        assert "README.md" in names
        assert [n for n in names if n.endswith("/animation.png")] and [n for n in names if n.endswith(".mp4")]
        assert pg.locator('[data-testid="stException"]').count() == 0
    finally:
        pg.context.close()
