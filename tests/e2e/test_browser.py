"""Real-browser test: `streamlit run app.py` on a free localhost port, driven by Playwright + Debian's chromium.

Walks every scene: it renders with no error element, the animation plays (its frame label advances), the noise
toggle and the π slider change what is drawn, a model trains; one screenshot per scene goes to
test-output/screenshots/. Latencies (cold first chart, warm noise toggle) go to test-output/latency.json.
In CI (CI=true) a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from devtools.apphost import (
    JS_ANIMATION_TITLE_NOT,
    JS_CHART,
    JS_TRUE_PI,
    AppServer,
    animation_label,
    drawn_traces,
    open_settled,
    play_button,
    wait_idle,
)
from tests.e2e.test_layout import SMALL_TRAINING  # the learned scenes train the smallest model their slider offers

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-output"
SHOTS = OUT / "screenshots"
LATENCY: dict[str, float] = {}


@pytest.fixture(scope="module")
def server():
    try:
        srv = AppServer(compile_log=False).start()
    except RuntimeError as err:
        pytest.fail(str(err))
    yield srv.url
    srv.close()
    OUT.mkdir(exist_ok=True)
    (OUT / "latency.json").write_text(json.dumps(LATENCY, indent=2))


@pytest.fixture(scope="module")
def page(chromium):
    """A page of the session's one Chromium (conftest): Playwright's sync API runs one instance per thread, so a
    second ``sync_playwright()`` here failed whenever another e2e file of the same pytest worker had started the
    shared one first ("using Playwright Sync API inside the asyncio loop")."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1600, "height": 2000})
    yield context.new_page()
    context.close()


def no_errors(pg) -> None:
    errors = pg.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def shot(pg, name: str) -> None:
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def chart(pg, kind: str):
    """The chart whose figure has layout.meta.kind == kind (read from Plotly's own graph div)."""
    return pg.wait_for_function(JS_CHART, arg=kind, timeout=60000).as_element()


def drawn_true_pi(meter) -> float:
    """The true π the mode-fraction meter draws (its trace with meta.role == 'true')."""
    return [t["y0"] for t in drawn_traces(meter) if t["role"] == "true"][0]


def goto(pg, base: str, path: str) -> float:
    first_chart = open_settled(pg, f"{base}/{path}")
    no_errors(pg)
    return first_chart


def test_score_fields_cold_start(server, page):
    LATENCY["cold_first_chart_s"] = round(goto(page, server, ""), 2)
    el = chart(page, "score-field")
    n_arrows = [t["length"] for t in drawn_traces(el) if t["type"] == "quiver"][0]
    assert n_arrows >= 100
    shot(page, "1-score-fields")
    # a custom mixture through the URL, with a bad row: a clear message, and still a picture
    goto(page, server, "?density=custom&components=0,0,-1,1")
    assert "must be positive" in page.locator('[data-testid="stAlert"]').all_inner_texts().__str__()
    chart(page, "score-field")


def test_follow_the_score_play_and_noise(server, page):
    goto(page, server, "follow-the-score")
    el = chart(page, "animation")
    start_label = animation_label(el)
    play_button(page).click()
    page.wait_for_timeout(1200)
    playing_label = animation_label(el)
    assert playing_label != start_label, "pressing Play did not advance the frames"
    t0 = time.perf_counter()
    labels_seen = {playing_label}
    while time.perf_counter() - t0 < 1.5:
        labels_seen.add(animation_label(el))
        page.wait_for_timeout(50)
    LATENCY["animation_frames_per_s"] = round(len(labels_seen) / 1.5, 1)
    shot(page, "2-follow-the-score")
    # the same animation as one self-contained HTML file (plotly.js inlined, frames included)
    with page.expect_download(timeout=60000) as download:
        page.get_by_role("button", name="Animation .html").click()
    html = Path(download.value.path()).read_text()
    assert len(html) > 1_000_000 and "Plotly.addFrames" in html
    with page.expect_download(timeout=60000) as download:
        page.get_by_role("button", name="Samples .csv").click()
    assert Path(download.value.path()).read_text().startswith("x,y\n")
    # the GIF for slides: built on click, one frame per chart frame, 800 × 800
    with page.expect_download(timeout=120000) as download:
        page.get_by_role("button", name="Animation .gif").click()
    from scoredemo.export import decode

    n_frames = el.evaluate("d => d.layout.sliders[0].steps.length")
    assert decode(download.value.path(), ".gif").shape == (n_frames, 800, 800, 3)
    title_before = el.evaluate("d => d.layout.title.text")
    t0 = time.perf_counter()
    page.get_by_text("noise (on: Langevin").click()
    page.wait_for_function(JS_ANIMATION_TITLE_NOT, arg=title_before, timeout=60000)
    LATENCY["warm_noise_toggle_s"] = round(time.perf_counter() - t0, 2)
    wait_idle(page)
    no_errors(page)
    assert "gradient ascent" in chart(page, "animation").evaluate("d => d.layout.title.text")
    assert "noise=false" in page.url
    shot(page, "2-follow-the-score-ascent")


def test_learning_trains(server, page):
    # 750 steps: its bar stays long enough to be seen (at 250 it was gone first); the default 2000 took ~100 s here
    goto(page, server, "learning-the-score?train_steps=750")
    chart(page, "loss")
    chart(page, "error-map")
    shot(page, "3-learning")
    page.get_by_role("button", name="↻ Train again").click()
    page.wait_for_selector('[data-testid="stProgress"]', timeout=60000)
    wait_idle(page)
    no_errors(page)
    n_points = drawn_traces(chart(page, "loss"))[0]["length"]
    assert n_points > 100


def test_low_density_and_manifolds(server, page):
    goto(page, server, "low-density")  # the learning scene's default model: trained already
    chart(page, "error-vs-logp")
    chart(page, "animation")
    shot(page, "4-low-density")
    goto(page, server, f"manifolds?{SMALL_TRAINING}")
    chart(page, "magnitude-vs-thickness")
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 4  # field, magnitude, two loss curves
    shot(page, "5-manifolds")


def test_mixing_pi_slider(server, page):
    goto(page, server, "mixing")
    meter = chart(page, "mode-fractions")
    true_before = drawn_true_pi(meter)
    thumb = page.locator('[data-testid="stSlider"]').first.get_by_role("slider")
    thumb.focus()
    for _ in range(10):
        thumb.press("ArrowRight")
    page.wait_for_timeout(300)
    wait_idle(page)
    no_errors(page)
    meter = chart(page, "mode-fractions")
    true_after = drawn_true_pi(meter)
    assert true_after > true_before + 0.05
    assert "pi=" in page.url
    shot(page, "6-mixing")
    goto(page, server, "mixing?pi=7")
    assert "outside" in " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts())


def test_annealed(server, page):
    goto(page, server, f"annealed-langevin?{SMALL_TRAINING}")
    el = chart(page, "animation")
    assert "σ" in animation_label(el)
    shot(page, "7-annealed")


#: Counts, per chart kind (layout.meta.kind), the draws Plotly itself is asked for: a probe around Plotly.react
#: installed the moment the page defines window.Plotly, so inside the app's own wrapper (presenter.CHART_JS).
JS_COUNT_DRAWS = """(() => {
  window.__draws = {};
  let plotly;
  Object.defineProperty(window, 'Plotly', {configurable: true, get() { return plotly; }, set(P) {
    plotly = P;
    if (!P || P.__probe) return;
    const react = P.react;
    P.react = function (gd, fig, ...rest) {
      const kind = fig && fig.layout && fig.layout.meta && fig.layout.meta.kind;
      if (kind) window.__draws[kind] = (window.__draws[kind] || 0) + 1;
      return react.call(this, gd, fig, ...rest);
    };
    P.__probe = true;
  }});
})();"""
#: True once the meter draws a true π other than arg.
JS_TRUE_PI_NOT = "p => { const f = " + JS_TRUE_PI + "; const v = f(); return v !== null && Math.abs(v - p) > 1e-6; }"


def test_each_new_chart_is_drawn_once(server, chromium):
    """A π move on scene 6 mounts a new meter: Plotly draws it once (Streamlit alone asks for two full draws of the
    same figure, the second with the width it measured: see presenter.CHART_JS), and it shows the new π. A chart
    whose size changes is still redrawn."""
    context = chromium.new_context(viewport={"width": 1600, "height": 2000})
    pg = context.new_page()
    try:
        pg.add_init_script(JS_COUNT_DRAWS)
        goto(pg, server, "mixing")
        assert pg.evaluate("() => !!(window.Plotly && window.Plotly.__probe && window.Plotly.__scoredemoOnce)"), (
            "the draw probe or the app's chart script is not installed around Plotly.react"
        )
        before = drawn_true_pi(chart(pg, "mode-fractions"))
        pg.evaluate("() => { window.__draws = {}; window.__scoredemoSkipped = 0; }")
        thumb = pg.locator('[data-testid="stSlider"]').first.get_by_role("slider")
        thumb.focus()
        thumb.press("ArrowRight")
        pg.wait_for_function(JS_TRUE_PI_NOT, arg=before, timeout=60_000)
        wait_idle(pg)
        no_errors(pg)
        draws, skipped = pg.evaluate("() => [window.__draws, window.__scoredemoSkipped]")
        assert draws.get("mode-fractions") == 1, draws  # 2 without CHART_JS
        assert skipped >= 1
        assert abs(drawn_true_pi(chart(pg, "mode-fractions")) - before - 0.01) < 1e-6
        # a new size is drawn: the meter follows a narrower window
        meter = chart(pg, "mode-fractions")
        width = meter.evaluate("d => d._fullLayout.width")
        pg.set_viewport_size({"width": 1200, "height": 2000})
        pg.wait_for_function("([d, w]) => d._fullLayout.width < w - 50", arg=[meter, width], timeout=30_000)
        assert pg.evaluate("() => window.__draws['mode-fractions']") >= 2
    finally:
        context.close()
