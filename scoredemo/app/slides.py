"""Slides from the page: the charts' camera icon saves the chart alone, laid out for a slide, and "export this
scene's slides" builds every preset of the scene as slide PNGs (and its animations as GIF and MP4) in one zip.

The camera icon. Plotly's modebar button takes only ``toImageButtonOptions`` (format, size, scale, file name) and
exports the chart as drawn, Play/Pause buttons and slider included. So :func:`for_camera` (called by
``widgets.chart`` for every chart) puts the slide's layout into the chart's ``layout.meta.slide``: the patch of
``figures.presenting.slide_patch`` for the session's image format, with that format's options; and the page
script :data:`SLIDE_JS` answers a click on the camera icon of such a chart by exporting, through plotly.js's public
``Plotly.downloadImage``, a copy of the chart as it stands (the traces of the frame shown, the layout with the patch
applied). It relies on one undocumented thing: the modebar's camera is a ``button.modebar-btn`` whose
``data-title`` starts with "Download plot" (plotly.js 3.8.2 as bundled by Streamlit 1.67; tests/e2e/test_slides.py
clicks it in Chromium and tests/app/test_slides.py reads the bundle, so an upgrade that changes it fails there).
Without ``window.Plotly.downloadImage``, or on a chart without ``meta.slide``, the script does nothing and Plotly's
own export runs (the chart with its controls); if the slide export fails, the plain export runs instead.

The zip (:func:`export_button`, in the share box): the same export as ``python -m scoredemo slides`` (module
:mod:`scoredemo.app.deck`), run as a child process, because it drives the scenes headless with Streamlit's
``AppTest``, which swaps the server's global runtime while it runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from scoredemo import figures as F
from scoredemo.figures.presenting import slide_patch

#: The page script of the camera icon (see the module docstring). Installed once per tab with the other chart
#: scripts (``presenter.setup``); it listens for clicks on the document, in the capture phase, so it runs before
#: the modebar's own handler and can stop it.
SLIDE_JS = """<script>
(() => {
  if (window.__scoredemoSlides) return;
  window.__scoredemoSlides = true;
  const camera = (el) => {
    const b = el && el.closest ? el.closest('.modebar-btn') : null;
    const title = b ? b.getAttribute('data-title') || '' : '';
    return b && title.startsWith('Download plot') && !title.includes('JSON') ? b : null;
  };
  const copy = (v) => { try { return structuredClone(v); } catch (e) { return null; } };
  document.addEventListener('click', (e) => {
    const button = camera(e.target);
    const gd = button ? button.closest('.js-plotly-plot') : null;
    const P = window.Plotly;
    const slide = gd && gd.layout && gd.layout.meta && gd.layout.meta.slide;
    if (!slide || !P || typeof P.downloadImage !== 'function') return;  // Plotly's own export
    const data = copy(gd.data);
    if (!data) return;
    const layout = Object.assign({}, gd.layout);  // as figures.presenting.apply_slide_patch
    for (const [key, value] of Object.entries(slide.layout)) {
      layout[key] = /^[xy]axis[0-9]*$/.test(key) ? Object.assign({}, gd.layout[key], value) : value;
    }
    if (!('meta' in slide.layout)) { layout.meta = Object.assign({}, gd.layout.meta); delete layout.meta.slide; }
    delete layout.updatemenus;
    delete layout.sliders;
    e.preventDefault();
    e.stopPropagation();
    const opts = Object.assign({}, slide.image);
    window.__scoredemoSlideExports = (window.__scoredemoSlideExports || 0) + 1;
    const plain = () => P.downloadImage(gd, Object.assign({}, slide.image));  // Plotly's export, controls and all
    try {
      Promise.resolve(P.downloadImage({data, layout, config: {}}, opts)).catch(plain);
    } catch (err) {
      plain();
    }
  }, true);
})();
</script>"""


def for_camera(fig: go.Figure | dict, options: dict[str, Any]) -> dict:
    """The figure to send for a chart whose camera icon saves ``options`` (its ``toImageButtonOptions``), as a
    finished Plotly JSON dict: the same figure with ``layout.meta.slide = {"layout": slide_patch(...), "image":
    options}`` for :data:`SLIDE_JS` (``fig`` is not changed; a dict's data are shared). A chart whose ``meta`` is
    not a dict gets no slide (the plain export)."""
    spec = fig if isinstance(fig, dict) else fig.to_plotly_json()
    layout = spec.get("layout") or {}
    meta = layout.get("meta")
    if meta is not None and not isinstance(meta, dict):
        return spec
    slide = {"layout": slide_patch(spec, int(options["width"]), int(options["height"])), "image": dict(options)}
    return {**spec, "layout": {**layout, "meta": {**(meta or {}), "slide": slide}}}


# ------------------------------------------------------------------------------------------ headless recording

#: While ``deck`` runs a scene headless: the animations' GIF/MP4 builders drawn in that run, by chart key (see
#: :func:`record_animation`). None in the app server.
_ANIMATIONS: dict[str, Callable[[], F.Animation]] | None = None


def record_animation(key: str, build: Callable[[], F.Animation]) -> None:
    """Called by ``widgets.animation_block`` for each animation it draws: while ``deck`` records a headless run,
    remember how to build the animation its GIF and MP4 buttons export (the page's own downloads); otherwise
    nothing."""
    if _ANIMATIONS is not None:
        _ANIMATIONS[key] = build


class recording:
    """``with recording() as animations:`` the animation builders drawn inside (key → builder)."""

    def __enter__(self) -> dict[str, Callable[[], F.Animation]]:
        global _ANIMATIONS
        _ANIMATIONS = {}
        return _ANIMATIONS

    def __exit__(self, *exc: object) -> None:
        global _ANIMATIONS
        _ANIMATIONS = None


# ------------------------------------------------------------------------------------------ the zip button

_ZIP = "_slides_zip"
#: The app's address when the browser did not tell it (as ``presenter.FALLBACK_URL``).
FALLBACK_URL = "http://localhost:8501"


def renderer_note() -> str | None:
    """Why slide PNGs cannot be drawn on this server (None if they can): they need Debian's Chromium and kaleido."""
    from scoredemo.app import deck  # noqa: PLC0415 - only the share box asks

    return deck.png_renderer_missing()


def app_address(url: str | None, url_path: str) -> str:
    """The app's address from ``st.context.url``, which in Streamlit 1.67 ends with the page's path on a page
    other than the default one (``http://host:8501/mixing``): without it, so a link is ADDRESS/PAGE?QUERY."""
    base = (url or FALLBACK_URL).split("?")[0].rstrip("/")
    return base.removesuffix("/" + url_path) if url_path else base


def _run_export(url_path: str, base_url: str, out: Path, status: Any) -> tuple[int, str]:
    """Run ``python -m scoredemo slides`` for one scene into ``out``, writing its progress lines into ``status``;
    returns (exit code, its last error line)."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "scoredemo", "slides", "--scene", url_path, "--out", str(out), "--base-url", base_url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=root)
    last = ""
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            if line.startswith(("slides:", "scoredemo:")):
                status.write(line.removeprefix("slides: "))
                last = line
        return proc.wait(), last
    finally:  # a rerun (the teacher clicked elsewhere) stops this script run: stop the export too
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def export_button(url_path: str) -> None:
    """The share box's "export this scene's slides": a button that builds the zip (every preset of the scene and
    its default view: each chart as a slide PNG, each animation as GIF and MP4, a README with the links and what
    to say) and then a download button for it. Says before the click when this server cannot draw PNGs.
    ``url_path``: the scene's page ("" for the default page: the first scene)."""
    from scoredemo.app.scenes import SCENES  # noqa: PLC0415 - the scene list, not a scene

    url_path = url_path or SCENES[0][2]
    base_url = app_address(st.context.url, url_path)
    note = renderer_note()
    if note:
        st.caption(f"Slide PNGs cannot be drawn on this server: {note}. The zip will hold the GIF/MP4 animations.")
    if st.button(
        "Export this scene's slides (zip)",
        key="slides-export",
        icon=":material/slideshow:",
        help="Every preset of this scene and its default view: each chart as a 1920 × 1080 slide PNG, each "
        "animation as GIF and MP4, and a README with each link and what to say. Takes about a minute.",
    ):
        with tempfile.TemporaryDirectory(prefix="scoredemo-slides-") as tmp:
            out = Path(tmp) / f"scoredemo-{url_path}-slides.zip"
            t0 = time.perf_counter()
            with st.status("Exporting this scene's slides…", expanded=True) as status:
                code, last = _run_export(url_path, base_url, out, status)
                if code != 0 or not out.exists():
                    status.update(label="The export failed", state="error")
                    st.error(f"The slides could not be exported: {last or f'exit code {code}'}")
                    return
                status.update(label=f"Slides ready ({time.perf_counter() - t0:.0f} s)", state="complete")
            st.session_state[_ZIP] = (url_path, out.read_bytes(), out.name)
    held = st.session_state.get(_ZIP)
    if held and held[0] == url_path:
        st.download_button(
            f"⬇ {held[2]} ({len(held[1]) / 1e6:.1f} MB)",
            data=held[1],
            file_name=held[2],
            mime="application/zip",
            key="slides-zip",
            on_click="ignore",
        )
