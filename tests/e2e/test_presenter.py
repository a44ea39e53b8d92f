"""Real-browser test of the presenter keys: on a scene opened with ?present=1, the play key advances the main
animation's frame label and the next key opens the next scene (keeping ?present=1). Screenshots at 1920×1080
go to test-output/screenshots/presenter-*.png (and to $SCOREDEMO_SHOTS if set)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devtools.apphost import JS_CHART, animation_label, open_settled, wait_idle

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("SCOREDEMO_SHOTS", ROOT / "test-output" / "screenshots"))


@pytest.fixture(scope="module")
def page(app_url, chromium):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg = chromium.new_page(viewport={"width": 1920, "height": 1080})
    pg.base_url = app_url
    yield pg
    pg.close()


def open_scene(pg, path: str) -> None:
    open_settled(pg, f"{pg.base_url}/{path}")
    assert pg.locator('[data-testid="stException"]').count() == 0


def title(pg) -> str:
    return pg.locator("h1").first.inner_text()


def test_play_key_plays_and_next_key_moves_on(page):
    open_scene(page, "follow-the-score?present=1")
    assert title(page).startswith("Follow the score")
    # presenter mode: the sidebar is closed and the intro is one sentence
    assert page.locator('[data-testid="stSidebar"][aria-expanded="true"]').count() == 0
    page.screenshot(path=str(SHOTS / "presenter-follow-the-score.png"))
    el = page.wait_for_function(JS_CHART, arg="animation", timeout=60000).as_element()
    start = animation_label(el)
    page.locator("h1").first.click()  # focus in the page, not in a widget
    page.keyboard.press(" ")
    page.wait_for_timeout(1500)
    playing = animation_label(el)
    assert playing != start, f"the play key did not advance the frames ({start!r})"
    page.keyboard.press("k")  # pause
    page.wait_for_timeout(400)
    paused = animation_label(el)
    page.wait_for_timeout(800)
    assert animation_label(el) == paused, "the play key did not pause"

    page.keyboard.press("ArrowRight")
    page.wait_for_url("**/step-size?*", timeout=60000)
    page.wait_for_function(
        "() => document.querySelector('h1') && document.querySelector('h1').innerText.startsWith('How exact')",
        timeout=120000,
    )
    wait_idle(page)
    assert "present=1" in page.url
    page.screenshot(path=str(SHOTS / "presenter-step-size.png"))
    page.keyboard.press("p")
    page.wait_for_url("**/follow-the-score?*", timeout=60000)
    assert "present=1" in page.url
