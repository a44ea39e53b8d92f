"""Refresh the README's pictures: every scene at its defaults in Debian's Chromium, 1600×1000, after the page has
settled (``python -m devtools.screenshots [OUT_DIR] [SCENE_NUMBER ...]``; default assets/ and every scene), and the
projector's view: every scene in presenter mode at 1280×720 in one montage (``--present``: the montage in
assets/presenter-montage.png, each scene's screenshot in test-output/presenter/; ``--present=1920x1080``: the
other projector, its screenshots in test-output/presenter-1920/, no montage). Learned scenes train on arrival
first."""

from __future__ import annotations

import sys
from pathlib import Path

from devtools.apphost import AppServer, launch_chromium, open_settled
from scoredemo.app.scenes import SCENES

ROOT = Path(__file__).resolve().parents[1]
#: The projector the montage shows (the smaller of the two the layout tests walk).
PROJECTOR = (1280, 720)
#: Scenes per row of the montage, and each one's width in it.
MONTAGE_COLUMNS, MONTAGE_WIDTH = 3, 640


def montage(paths: list[Path], out: Path) -> Path:
    """The screenshots ``paths`` in a grid, MONTAGE_COLUMNS per row, each scaled to MONTAGE_WIDTH px wide."""
    from PIL import Image, ImageDraw  # noqa: PLC0415

    shots = [Image.open(p).convert("RGB") for p in paths]
    w = MONTAGE_WIDTH
    h = round(w * shots[0].height / shots[0].width)
    rows = -(-len(shots) // MONTAGE_COLUMNS)
    sheet = Image.new("RGB", (MONTAGE_COLUMNS * w + (MONTAGE_COLUMNS + 1) * 8, rows * h + (rows + 1) * 8), "#888888")
    for i, shot in enumerate(shots):
        x, y = 8 + (i % MONTAGE_COLUMNS) * (w + 8), 8 + (i // MONTAGE_COLUMNS) * (h + 8)
        sheet.paste(shot.resize((w, h), Image.LANCZOS), (x, y))
        ImageDraw.Draw(sheet).rectangle([x, y, x + w - 1, y + h - 1], outline="#000000")
    sheet.save(out, optimize=True)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    sizes = [a.split("=", 1)[1] for a in args if a.startswith("--present=")]
    present = "--present" in args or bool(sizes)
    args = [a for a in args if not a.startswith("--present")]
    out = Path(args[0]) if args else ROOT / "assets"
    only = {int(a) for a in args[1:]}
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    size = tuple(int(v) for v in sizes[0].split("x")) if sizes else PROJECTOR if present else (1600, 1000)
    shots = ROOT / "test-output" / ("presenter" if size == PROJECTOR else f"presenter-{size[0]}")
    taken = []
    with AppServer(compile_log=False) as srv, sync_playwright() as p:
        srv.start()
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        for i, (_, _, path, _) in enumerate(SCENES, start=1):
            if only and i not in only:
                continue
            query = "?present=1" if present else ""
            open_settled(page, f"{srv.url}/{'' if i == 1 else path}{query}", timeout=300.0)  # scene 1: the root
            page.wait_for_timeout(500)
            target = (shots / f"{i:02d}-{path}.png") if present else out / f"scene{i}-{path}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target))
            taken.append(target)
            print(target)
        browser.close()
    if present and not only and size == PROJECTOR:
        print(montage(taken, out / "presenter-montage.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
