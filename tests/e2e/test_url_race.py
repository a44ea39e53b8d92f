"""Real-browser test of the URL notes under fast input (issue 11, defect 4).

Keyboard presses on a slider while the previous rerun is still running used to leave a false note ("URL value
`sigma=0.95` could not be read; using `sigma=1`"): the URL then briefly held an older value than the widget. A
note must appear only for a value that came from the URL and could not be used.

On this 2-core machine the timing did not reproduce in the browser (five densities, gaps of 20–400 ms between
presses, before and after the warm-up); the lagging-URL state itself is reproduced deterministically by
``tests/app/test_app.py::test_a_url_lagging_behind_the_widget_gives_no_note``, which failed before the fix with
the reported message. This test keeps the browser-side behaviour: fast presses, no note, URL and widget agree.
"""

from __future__ import annotations

import pytest

from devtools.apphost import open_settled, wait_idle

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server_and_page(app_url, chromium):
    pg = chromium.new_page(viewport={"width": 1280, "height": 720})
    yield app_url, pg
    pg.close()


def alerts(pg) -> str:
    return " ".join(pg.locator('[data-testid="stAlert"]').all_inner_texts())


@pytest.mark.parametrize("query", ["?density=ring&radius=3.3", "?density=two-modes&separation=7.7"])
def test_fast_keyboard_moves_leave_no_false_url_note(server_and_page, query):
    base, pg = server_and_page
    open_settled(pg, f"{base}/{query}")
    thumb = pg.locator('[data-testid="stSlider"]', has_text="noise σ").get_by_role("slider")
    thumb.focus()
    for _ in range(6):  # faster than a rerun on a density not yet cached
        thumb.press("ArrowRight")
        pg.wait_for_timeout(60)
    pg.wait_for_timeout(500)
    wait_idle(pg)
    assert "URL value" not in alerts(pg), alerts(pg)
    assert "sigma=0.3" in pg.url  # six steps of 0.05: the widget and the URL agree at the end


def test_a_bad_url_value_still_gets_its_note(server_and_page):
    base, pg = server_and_page
    open_settled(pg, f"{base}/?sigma=7")
    assert "URL value sigma=7 is outside [0, 3]; using sigma=0 (the default)" in alerts(pg)
