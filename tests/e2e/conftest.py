"""What the real-browser tests share: one app server and one Chromium for the session (test_browser.py keeps its
own server, to time a cold start)."""

from __future__ import annotations

import os

import pytest

from devtools.apphost import AppServer, browser_missing, launch_chromium


def require_browser() -> None:
    """Skip without Debian's chromium, or fail in CI (CI=true), where a missing browser is a missing install step."""
    reason = browser_missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"e2e prerequisites missing in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def app_url():
    """The base URL of one `streamlit run app.py` on a free localhost port."""
    require_browser()
    srv = AppServer(compile_log=False).start()
    yield srv.url
    srv.close()


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian chromium (Playwright) for the session; tests open their own pages."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()
