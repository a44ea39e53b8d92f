"""A scene's slide deck, headless: every preset of a scene (and its default view) run as the page runs it, each chart
saved as a slide PNG and each animation as GIF and MP4, in one zip with a README (``python -m scoredemo slides``,
and the share box's "export this scene's slides", which runs that command).

The figures are the page's own: each view is the scene's ``render()`` run by Streamlit's ``AppTest`` (public API)
with the view's URL parameters, and the charts are read back from the elements it drew (the Plotly JSON the browser
would receive, ``layout.meta.slide`` included). A PNG is that JSON laid out by ``figures.presenting.slide_layout``
(what the camera icon saves) and drawn by plotly.js in Debian's Chromium through ``kaleido`` (no MathJax, the
plotly.js that ships with plotly.py: nothing is fetched). A GIF or MP4 is what the animation's own download buttons
on the page give: ``scoredemo.export`` drawing the animation that ``widgets.animation_block`` drew (recorded through
``slides.record_animation``). A chart with Play that is not such an animation (the two-frame clouds of scene 3)
gets its PNG only, as the page offers no GIF for it either.

Without kaleido or Chromium the zip holds the GIF/MP4 and the README, which says why the PNGs are missing; a view
that fails is listed in the README with its error, and the others are exported.
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import os
import re
import shutil
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from scoredemo.app import slides
from scoredemo.app.presets import presets_for
from scoredemo.app.scenes import SCENES
from scoredemo.figures.presenting import DEFAULT_IMAGE_FORMAT, IMAGE_FORMATS, slide_layout, still_frame

#: The slide PNG: the camera icon's default format (16:9, 960 × 540 layout pixels at scale 2: 1920 × 1080).
SLIDE = IMAGE_FORMATS[DEFAULT_IMAGE_FORMAT]
#: Seconds one view may take headless (a scene that trains its model first takes the longest).
VIEW_TIMEOUT = 900.0
#: Where Debian's chromium is looked for when it is not on PATH.
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "/usr/bin/chromium")


@dataclass
class View:
    """One slide of the deck: a name, the URL parameters that set it up, and what the teacher says."""

    name: str
    params: dict[str, str]
    say: str = ""

    def query(self) -> str:
        return urlencode(self.params)


@dataclass
class ViewResult:
    """What one view gave: files (name in the view's folder → bytes) and notes (what is missing, and why)."""

    view: View
    folder: str
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def scene_paths() -> list[str]:
    """Every scene's url path, in lecture order."""
    return [path for _, _, path, _ in SCENES]


def scene_module(url_path: str) -> tuple[str, str]:
    """(module name, title) of the scene at ``url_path``; ValueError naming the valid ones otherwise."""
    for module, title, path, _ in SCENES:
        if path == url_path:
            return module, title
    raise ValueError(f"unknown scene {url_path!r}; choose one of: {', '.join(scene_paths())}, or all")


def views_for(url_path: str) -> list[View]:
    """The scene's default view, then its presets in lecture order (a preset without parameters is the default
    view under the preset's name)."""
    presets = [View(p.name, dict(p.params), p.say) for p in presets_for(url_path)]
    if any(not v.params for v in presets):
        return presets
    return [View("default view", {}), *presets]


def slug(text: str) -> str:
    """A file-name-safe form of a view's name: ASCII letters and digits joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "view"


# ------------------------------------------------------------------------------------------ renderers


def _chromium() -> str | None:
    path = os.environ.get("BROWSER_PATH")
    if path:
        return path if Path(path).is_file() else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    return None


def png_renderer_missing() -> str | None:
    """Why slide PNGs cannot be drawn here (None if they can): kaleido (pip) and a Chromium (Debian's package)."""
    if importlib.util.find_spec("kaleido") is None:
        return "the kaleido package is not installed (pip install -r requirements.txt)"
    if _chromium() is None:
        return "no Chromium found (install Debian's: apt-get install chromium)"
    return None


class PngRenderer:
    """Slide PNGs drawn by plotly.js in a headless Chromium (kaleido), one browser for every chart; a context
    manager. :attr:`missing` says why none can be drawn (then :meth:`render` returns None)."""

    def __init__(self, fmt: dict[str, Any] = SLIDE):
        self.fmt = fmt
        self.missing = png_renderer_missing()
        self._open = False

    def __enter__(self) -> PngRenderer:
        if self.missing is None:
            import kaleido  # noqa: PLC0415 - only an export needs it

            try:
                # mathjax=False: kaleido's default loads MathJax from a CDN; our charts write no LaTeX
                kaleido.start_sync_server(n=1, mathjax=False, timeout=120, silence_warnings=True)
                self._open = True
            except Exception as err:  # noqa: BLE001 - any failure to start the browser: say so, export the rest
                self.missing = f"the headless Chromium did not start ({type(err).__name__}: {err})"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._open:
            import kaleido  # noqa: PLC0415

            kaleido.stop_sync_server(silence_warnings=True)
            self._open = False

    def render(self, spec: dict) -> bytes | None:
        """The slide PNG of a chart's JSON (``slide_layout`` at the format's size and scale)."""
        if self.missing is not None:
            return None
        import kaleido  # noqa: PLC0415

        w, h = int(self.fmt["width"]), int(self.fmt["height"])
        opts = {"format": "png", "width": w, "height": h, "scale": self.fmt.get("scale", 1)}
        return kaleido.calc_fig_sync(slide_layout(spec, w, h), opts=opts)


# ------------------------------------------------------------------------------------------ one view


def run_view(module: str, params: dict[str, str], *, timeout: float = VIEW_TIMEOUT):
    """Run scene ``module``'s ``render()`` headless with URL ``params``. Returns (charts: [(key, Plotly JSON)] in
    page order, animations: {chart key: builder of its ``figures.Animation``}, errors: [text])."""
    from streamlit.testing.v1 import AppTest  # noqa: PLC0415 - the CLI's other commands never load Streamlit

    at = AppTest.from_string(f"from scoredemo.app.scenes import {module}\n{module}.render()", default_timeout=timeout)
    at.query_params.update(params)
    with slides.recording() as animations:
        at.run()
    errors = [str(e.value) for e in at.exception]
    charts = []
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        name = json.loads(el.proto.config).get("toImageButtonOptions", {}).get("filename", "") or "chart"
        charts.append((name.removeprefix("scoredemo-"), spec))
    return charts, dict(animations), errors


def export_view(
    module: str, view: View, folder: str, renderer: PngRenderer, *, extra: dict[str, str] | None = None
) -> ViewResult:
    """One view's files: ``KEY.png`` per chart, ``KEY.gif`` and ``KEY.mp4`` per animation of the page."""
    from scoredemo import export  # noqa: PLC0415 - Pillow and imageio only for an export

    t0 = time.perf_counter()
    out = ViewResult(view, folder)
    try:
        charts, animations, errors = run_view(module, {**(extra or {}), **view.params})
    except Exception as err:  # noqa: BLE001 - a view that cannot run is reported; the others are exported
        out.notes.append(f"this view did not run: {type(err).__name__}: {err}")
        out.seconds = time.perf_counter() - t0
        return out
    out.notes += [f"the page showed an error: {e}" for e in errors]
    seen: dict[str, int] = {}
    for key, spec in charts:
        seen[key] = seen.get(key, 0) + 1
        name = key if seen[key] == 1 else f"{key}-{seen[key]}"
        if spec.get("layout", {}).get("updatemenus"):  # an animation with Play: its slide is where the run ends
            spec = still_frame(spec)
        try:
            png = renderer.render(spec)
        except Exception as err:  # noqa: BLE001 - one chart plotly.js refuses must not lose the deck
            out.notes.append(f"{name}: no PNG ({type(err).__name__}: {err})")
            continue
        if png is not None:
            out.files[f"{name}.png"] = png
    for key, build in animations.items():
        try:
            anim = build()
            out.files[f"{key}.gif"] = export.to_gif(anim)
            out.files[f"{key}.mp4"] = export.to_mp4(anim)
        except Exception as err:  # noqa: BLE001 - one animation that cannot be drawn must not lose the deck
            out.notes.append(f"{key}: no GIF/MP4 ({type(err).__name__}: {err})")
    if not charts and not errors:
        out.notes.append("the page drew no chart")
    out.seconds = time.perf_counter() - t0
    return out


# ------------------------------------------------------------------------------------------ the zip


def _readme(decks: Sequence[tuple[str, str, list[ViewResult]]], base_url: str, png_missing: str | None) -> str:
    """The zip's index: per scene and view its name, its link, what to say, its files and any notes. Plain text
    (Markdown headings), every name written as it is."""
    from scoredemo.export import DEFAULT_SIZE  # noqa: PLC0415 - Pillow and imageio only for an export

    fmt = f"{SLIDE['width'] * SLIDE['scale']} × {SLIDE['height'] * SLIDE['scale']}"
    lines = [
        "# scoredemo slides",
        "",
        f"Exported {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')}. Each chart is a {fmt} slide PNG (the chart "
        "alone, as the camera icon saves it; an animation's PNG shows its last frame); each animation is a GIF and an "
        f"MP4 ({DEFAULT_SIZE} × {DEFAULT_SIZE}, as its download buttons on the page give). Open a view's link to "
        "show it live.",
    ]
    if png_missing:
        lines += ["", f"NOTE: no slide PNGs in this zip: {png_missing}."]
    for url_path, title, results in decks:
        lines += ["", f"## {title}", ""]
        for r in results:
            link = f"{base_url}/{url_path}" + (f"?{r.view.query()}" if r.view.params else "")
            lines += [f"### {r.view.name}", "", f"- link: {link}"]
            if r.view.say:
                lines.append(f"- say: {r.view.say}")
            lines.append("- files: " + (", ".join(f"{r.folder}/{n}" for n in r.files) or "none"))
            lines += [f"- note: {n}" for n in r.notes]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def build_zip(
    scenes: Iterable[str],
    out: str | os.PathLike,
    *,
    base_url: str = "http://localhost:8501",
    extra: dict[str, str] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Write the deck of ``scenes`` (url paths) to the zip ``out``: ``README.md`` and per view a folder
    ``SCENE/NN-NAME/`` with its files. ``extra``: URL parameters added to every view (a preset's own win).
    ``log`` gets one line per view. Returns a summary (files, seconds, notes, png_missing)."""
    from streamlit import logger as st_logger  # noqa: PLC0415

    # the scenes run outside a server ("bare mode"): Streamlit warns of that once per cached call
    st_logger.set_log_level("error")
    t0 = time.perf_counter()
    decks: list[tuple[str, str, list[ViewResult]]] = []
    tmp = Path(f"{os.fspath(out)}.part")
    try:
        renderer = _write(scenes, tmp, decks, base_url, extra, log)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out)
    files = [f"{r.folder}/{n}" for _, _, rs in decks for r in rs for n in r.files]
    return {
        "files": files,
        "seconds": time.perf_counter() - t0,
        "notes": [n for _, _, rs in decks for r in rs for n in r.notes],
        "png_missing": renderer.missing,
    }


def _drop_repeated_default(results: list[ViewResult]) -> None:
    """When a preset shows exactly what the default view shows (same files, byte for byte), the default view's
    files are left out and its README entry points to that preset."""
    if len(results) < 2 or results[0].view.params or not results[0].files:
        return
    for r in results[1:]:
        if r.files == results[0].files:
            results[0].files = {}
            results[0].notes.append(f"the same picture as the preset “{r.view.name}”: see its files")
            return


def _write(scenes, tmp: Path, decks: list, base_url: str, extra, log) -> PngRenderer:
    with PngRenderer() as renderer, zipfile.ZipFile(tmp, "w") as zf:
        if renderer.missing:
            log(f"slides: no slide PNGs: {renderer.missing}; exporting the GIF/MP4 animations")
        for url_path in scenes:
            module, title = scene_module(url_path)
            results = []
            for i, view in enumerate(views_for(url_path), start=1):
                folder = f"{url_path}/{i:02d}-{slug(view.name)}"
                r = export_view(module, view, folder, renderer, extra=extra)
                results.append(r)
                kinds = {e: sum(n.endswith(e) for n in r.files) for e in (".png", ".gif", ".mp4")}
                log(
                    f"slides: {title} · {view.name}: {kinds['.png']} PNG, {kinds['.gif']} GIF, {kinds['.mp4']} MP4"
                    f" ({r.seconds:.1f} s)" + "".join(f"; {n}" for n in r.notes)
                )
            _drop_repeated_default(results)
            for r in results:
                for name, data in r.files.items():  # PNG, GIF and MP4 are compressed already
                    zf.writestr(f"{r.folder}/{name}", data, compress_type=zipfile.ZIP_STORED)
            decks.append((url_path, title, results))
        zf.writestr("README.md", _readme(decks, base_url.rstrip("/"), renderer.missing), zipfile.ZIP_DEFLATED)
    return renderer
