"""Real-browser test of the drawn density following the teacher (issue 13): a bump clicked on scene 1's chart, then
scene 7 and scene 9 opened from the sidebar and switched to "custom" in one session: their meters count the
particles in the drawing's modes, with the drawing's weights, and the URL carries the drawing. `make test` visits
scene 7 only (scene 9 takes the drawing through the same code, checked by AppTest in
tests/app/test_drawn_mixing_annealed.py); the walk through both is the slow case. Screenshots at 1280×720 go to
test-output/screenshots/drawn-mixing.png and drawn-annealed-langevin.png (and to $SCOREDEMO_SHOTS if set)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from devtools.apphost import JS_EXCEPTIONS, open_options, wait_idle
from devtools.draw_latency import JS_DRAWN_IS, JS_FIELD_DIV, click_at

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("SCOREDEMO_SHOTS", ROOT / "test-output" / "screenshots"))

#: The mode-fraction meter's true-weight lines as plotly.js drew them (null until the meter is drawn).
JS_TRUE_WEIGHTS = """() => { for (const d of document.querySelectorAll('.js-plotly-plot'))
    if (d.layout && d.layout.meta && d.layout.meta.kind === 'mode-fractions' && d._fullData)
      return d._fullData.filter(t => t.meta && t.meta.role === 'true').map(t => Number(t.y[0]));
    return null; }"""


def components(pg) -> str:
    return parse_qs(urlparse(pg.url).query).get("components", [""])[0]


def open_scene_with_the_drawing(pg, title: str, path: str) -> list[float]:
    """Click the scene in the sidebar's navigation (it opens at its own density) and pick "custom" in its density
    box: the drawing made on scene 1 comes back; the meter's true weights."""
    pg.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    pg.wait_for_url(f"**/{path}**", timeout=60_000)
    pg.wait_for_function(JS_TRUE_WEIGHTS, timeout=300_000)
    wait_idle(pg, timeout=300)
    box = pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="density").first
    option = open_options(pg, box, "custom")
    option.click()
    # the caption where π was is drawn by the custom run only, before its meter: then wait for the run to end
    pg.locator('[data-testid="stSidebar"]', has_text="apply to a drawing").wait_for(timeout=300_000)
    wait_idle(pg, timeout=300, settle=1.5)
    return pg.evaluate(JS_TRUE_WEIGHTS)


MIXING = ("Pitfall: mixing and π", "mixing")
ANNEALED = ("The fix: annealed Langevin", "annealed-langevin")


@pytest.mark.parametrize(
    "scenes",
    [
        pytest.param((MIXING,), id="scene-7"),
        pytest.param((MIXING, ANNEALED), id="scenes-7-and-9", marks=pytest.mark.slow),
    ],
)
def test_a_bump_drawn_on_scene_1_is_counted_by_the_mixing_scenes(app_url, chromium, scenes):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg = chromium.new_page(viewport={"width": 1280, "height": 720})
    try:
        pg.goto(f"{app_url}/?density=custom&components=-5,-5,0.6,1")
        pg.wait_for_function("() => !!" + JS_FIELD_DIV, timeout=180_000)
        wait_idle(pg)
        click_at(pg, 5.0, 5.0)  # a second bump, weight 1 (the drawing slider's default)
        pg.wait_for_function(JS_DRAWN_IS, arg=[2, 0], timeout=180_000)
        wait_idle(pg, settle=0.5)
        drawing = components(pg)
        assert drawing == "-5, -5, 0.6, 1; 5, 5, 0.5, 1"

        for title, path in scenes:
            weights = open_scene_with_the_drawing(pg, title, path)
            assert weights == pytest.approx([0.5, 0.5], abs=1e-4), (title, weights)
            assert components(pg) == drawing  # the link of this view reproduces the drawing
            said = pg.locator('[data-testid="stSidebar"]').inner_text()
            assert "do not apply to a drawing" in said or "does not apply to a drawing" in said
            pg.screenshot(path=str(SHOTS / f"drawn-{path}.png"))
        assert pg.evaluate(JS_EXCEPTIONS) == []
    finally:
        pg.close()
