"""``python -m scoredemo slides --scene NAME|all --out FILE.zip``: a scene's slide deck (every preset and the default
view: each chart as a slide PNG, each animation as GIF and MP4, a README with the links and what to say).

The deck is built by :mod:`scoredemo.app.deck`, which runs the scenes headless as the page runs them; it is imported
only when this command runs, so the rest of the CLI never loads Streamlit.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any

from scoredemo.cli import UsageError, check_writable

_PARAM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def add_parser(sub: Any) -> None:
    """The ``slides`` subcommand's arguments."""
    p = sub.add_parser(
        "slides",
        help="export a scene's presets as slide PNGs and GIF/MP4 animations, in one zip",
        description="Every preset of a scene (and its default view), run as the page runs it: each chart as a "
        "1920x1080 slide PNG (needs kaleido and Debian's chromium), each animation as GIF and MP4, and a README "
        "with each view's link and what to say.",
    )
    p.add_argument("--scene", required=True, help="a scene's url path (e.g. mixing), or 'all'")
    p.add_argument("--out", required=True, metavar="FILE.zip", help="the zip to write")
    p.add_argument("--base-url", default="http://localhost:8501", help="the app's address, for the links")
    p.add_argument(
        "--param",
        action="append",
        default=None,  # not []: the parser refuses an option left as [] (see cli._Parser)
        metavar="KEY=VALUE",
        help="a URL parameter for every view, e.g. n_particles=250 (a preset's own values win); repeatable",
    )


def _params(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or []:
        m = _PARAM.match(item)
        if m is None:
            raise UsageError(f"--param expects KEY=VALUE, got {item!r}")
        out[m.group(1)] = m.group(2)
    return out


def cmd_slides(args: argparse.Namespace) -> int:
    """Write the deck; one progress line per view on stdout, the summary last. Exit 0 when the zip is written
    (PNGs that could not be drawn are named in the output and the README), 2 on bad input."""
    from scoredemo.app import deck  # noqa: PLC0415 - the app layer only for this command

    scenes = deck.scene_paths() if args.scene == "all" else [args.scene]
    for s in scenes:
        try:
            deck.scene_module(s)
        except ValueError as err:
            raise UsageError(str(err)) from None
    if not args.out.endswith(".zip"):
        raise UsageError(f"--out must name a .zip file, got {args.out!r}")
    check_writable(args.out)
    extra = _params(args.param)
    summary = deck.build_zip(scenes, args.out, base_url=args.base_url, extra=extra, log=_log)
    kinds = {e: sum(f.endswith(e) for f in summary["files"]) for e in (".png", ".gif", ".mp4")}
    print(
        f"slides: wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB): {kinds['.png']} PNG, "
        f"{kinds['.gif']} GIF, {kinds['.mp4']} MP4 in {summary['seconds']:.0f} s",
        flush=True,
    )
    if summary["png_missing"]:
        print(f"scoredemo: note: no slide PNGs: {summary['png_missing']}", file=sys.stderr)
    return 0


def _log(line: str) -> None:
    print(line, flush=True)
