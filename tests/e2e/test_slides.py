"""Real-browser tests of the teacher's slide tools: presenter mode's page text is larger and black (computed styles
in Chromium, not the CSS text), and the charts' camera icon saves a slide-sized PNG or an SVG (Playwright's
download event, the file's header read)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

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
        formula: style(pick('.katex-display .katex')),
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
        ratio = present[kind]["px"] / normal[kind]["px"]
        assert ratio >= want, f"{kind}: {normal[kind]['px']} px → {present[kind]['px']} px ({ratio:.2f}×)"
    # the hierarchy is kept: a metric's value stays larger than its label and than the body text
    assert present["metric_value"]["px"] > 1.5 * present["paragraph"]["px"]
    assert present["title"]["px"] > present["paragraph"]["px"] > present["caption"]["px"]
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
    """Hover the first chart, click its modebar camera (plotly.js: ``.modebar-btn`` titled "Download plot…"),
    and return the download's suggested file name and bytes."""
    chart = pg.locator('[data-testid="stPlotlyChart"]').first
    chart.hover()
    button = chart.locator('.modebar-btn[data-title^="Download plot"]')
    with pg.expect_download(timeout=60000) as info:
        button.click()
    d = info.value
    path = tmp_path / d.suggested_filename
    d.save_as(path)
    return d.suggested_filename, path.read_bytes()


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
