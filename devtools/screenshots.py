"""Refresh the README's pictures: every scene at its defaults in Debian's Chromium, 1600×1000, after the page has
settled (``python -m devtools.screenshots [OUT_DIR] [SCENE_NUMBER ...]``; default assets/ and every scene). Learned
scenes train on arrival first."""

from __future__ import annotations

import sys
from pathlib import Path

from devtools.apphost import AppServer, launch_chromium, open_settled
from scoredemo.app.scenes import SCENES

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else ROOT / "assets"
    only = {int(a) for a in args[1:]}
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with AppServer(compile_log=False) as srv, sync_playwright() as p:
        srv.start()
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        for i, (_, _, path, _) in enumerate(SCENES, start=1):
            if only and i not in only:
                continue
            open_settled(page, f"{srv.url}/{'' if i == 1 else path}", timeout=300.0)  # scene 1 is the default page
            page.wait_for_timeout(500)
            target = out / f"scene{i}-{path}.png"
            page.screenshot(path=str(target))
            print(target)
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
