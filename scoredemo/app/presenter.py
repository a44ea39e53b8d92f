"""Presenter mode and the lecture bar: the projector switch (``?present=1``) and its *stage*, previous/next scene
links in lecture order, the scene's presets (the lecture's slides, which a clicker steps through), the keyboard, the
link to the teacher's notes window, and the "share this view" link with its QR code; and the page scripts that run in
the browser (:data:`CHART_JS` and :data:`PLAYER_JS` on every page, :data:`DRAW_JS` for scene 1's drawing,
:data:`FRAMES_JS` for scene 11's stepped charts, :data:`KEYBOARD_JS` in presenter mode).

Presenter mode lives in the session (``st.session_state["_present"]``, seeded from the URL when a session opens)
and is written back to the URL on every run, so it survives scene changes (Streamlit drops the query string when
the page changes) and a copied link opens in presenter mode too. The scenes only read :func:`active`.

The stage (presenter mode): the scene's title on one line, then its main chart(s) (``widgets.stage``) filling the
rest of the screen; the intro, the formula, the lecture bar and the other charts follow below, a scroll away. The
teacher's notes are not on the projected screen: they have a window of their own (``/notes``,
:mod:`scoredemo.app.notes`) that follows the scene and slide the projector shows (over a ``BroadcastChannel``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import streamlit as st

from scoredemo import figures as F
from scoredemo.app import formulas, links, slides
from scoredemo.app import presets as P
from scoredemo.figures.presenting import DEFAULT_IMAGE_FORMAT, IMAGE_FORMATS

PARAM = "present"
STATE = "_present"
#: The session's choice of what the charts' camera icon saves (a label of ``figures.presenting.IMAGE_FORMATS``).
IMAGE_FORMAT = "image_format"
#: How much larger chart fonts, markers and lines are on the projector (see ``figures.presented``).
SCALE = 1.5
#: The address a link is built on when the browser did not tell it (AppTest, a proxy that hides it).
FALLBACK_URL = "http://localhost:8501"

#: Key → action of the keyboard script (shown to the teacher in presenter mode and in the notes window). A clicker
#: sends PageDown / PageUp: they step through the scene's beats (play its main animation, then its slides) and
#: change scene only at the end.
KEYS = {
    "PageDown (clicker)": "next beat: play the animation, then the next slide, then the next scene",
    "PageUp (clicker)": "previous slide, then the previous scene",
    "→ / n": "next scene",
    "← / p": "previous scene",
    "space / k": "play / pause the main animation",
    "r": "reset the scene's controls",
}
#: The page of the teacher's notes (hidden from the navigation; opened from the lecture bar in a window of its own).
NOTES_PATH = "notes"
#: The path the default page (scene 1, served at the root) reserves; its declared path opens it through a hidden
#: page (app.py).
DEFAULT_PAGE_PATH = "start"
#: The channel the projected window and the notes window talk on (same browser, same origin).
CHANNEL = "scoredemo-lecture"


def url_flag(values: Sequence[str]) -> bool:
    """Whether the URL values of ``?present=`` turn presenter mode on ("1", "true", "yes", "on")."""
    return bool(values) and str(values[-1]).strip().lower() in ("1", "true", "yes", "on")


def image_format() -> str:
    """The label of what the camera icon saves in this session (see ``figures.presenting.IMAGE_FORMATS``)."""
    return str(st.session_state.get(IMAGE_FORMAT, DEFAULT_IMAGE_FORMAT))


def active() -> bool:
    """Is the app in presenter mode? The session's switch once it exists, else the URL (a scene run on its own)."""
    if STATE in st.session_state:
        return bool(st.session_state[STATE])
    return url_flag(st.query_params.get_all(PARAM))


#: The least height (px) of a chart on presenter mode's stage: the stage's own height (the screen's, less the title)
#: decides; below this the page scrolls rather than squash the chart.
STAGE_MIN_HEIGHT = 320


def scaled(spec: dict) -> dict:
    """A finished figure as the page draws it: as it is outside presenter mode, scaled on the projector
    (``figures.presented``)."""
    return F.presented(spec, SCALE) if active() else spec


def on_stage(spec: dict, *, stage: bool = False) -> tuple[dict, str]:
    """A (scaled) figure and the ``height`` to pass to ``st.plotly_chart``: for a chart on presenter mode's stage
    (``stage``, see ``widgets.stage``) laid out for it (``figures.staged``) and stretched to fill it, its own height
    only a minimum (:data:`STAGE_MIN_HEIGHT`); as it is otherwise."""
    if not (stage and active()):
        return spec, "content"
    return F.staged(spec, STAGE_MIN_HEIGHT), "stretch"


_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bcf)[.!?](?:\*\*|\*)?(?=\s+[A-Z*(]|\s*$)")


def first_sentence(text: str) -> str:
    """The first sentence of a Markdown paragraph (ends at ".", "!" or "?" followed by a capital, "*" or "(",
    not inside "e.g." or "i.e."); the whole text when it has one sentence."""
    m = _SENTENCE_END.search(text)
    return text if m is None else text[: m.end()].strip()


# ------------------------------------------------------------------------------------------ set-up (app.py)


def _on_switch() -> None:
    st.session_state[STATE] = st.session_state["present_switch"]


def setup() -> bool:
    """Called by app.py before anything is drawn: seeds the session from the URL, sets the page config (the
    sidebar collapsed on the projector), draws the switch at the top of the sidebar, keeps ``?present=1`` in the
    URL, and adds the page's CSS (:data:`PAGE_CSS` and the formulas' ``formulas.css()``; in presenter mode also the
    high-contrast one) and its chart scripts (:data:`CHART_JS`, :data:`DRAW_JS`; one element, so no gap of its
    own). Returns whether presenter mode is on."""
    if STATE not in st.session_state:
        st.session_state[STATE] = url_flag(st.query_params.get_all(PARAM))
    on = bool(st.session_state[STATE])
    st.set_page_config(
        page_title="scoredemo — score-based generative models",
        page_icon=":material/cyclone:",
        layout="wide",
        initial_sidebar_state="collapsed" if on else "auto",
    )
    st.session_state["present_switch"] = on
    st.sidebar.toggle(
        "Presenter mode",
        key="present_switch",
        on_change=_on_switch,
        help="For the projector: larger type, short texts, high contrast, sidebar closed. Keeps ?present=1 "
        "in the URL. Keys: " + "; ".join(f"{k}: {v}" for k, v in KEYS.items()) + ".",
    )
    st.html(PAGE_CSS + f"<style>{formulas.css()}</style>")
    # one element for the page's scripts (no gap of its own); the keyboard first thing in presenter mode, so a key
    # pressed while the page is still drawing is queued, not lost
    scripts = CHART_JS + DRAW_JS + PLAYER_JS + slides.SLIDE_JS + (KEYBOARD_JS if on else "")
    st.html(scripts, unsafe_allow_javascript=True, width="content")
    if on:
        st.query_params[PARAM] = "1"
        st.html(PRESENTER_CSS)
    elif PARAM in st.query_params:
        del st.query_params[PARAM]
    return on


#: Elements waiting for a rerun keep their look. Streamlit fades them (``opacity 1s ease-in 0.5s`` on each
#: ``data-stale`` element container); scheduling that transition on the 40-odd elements of a page makes Chromium
#: promote, repaint and re-layerize them on the main thread exactly while the rerun's first answer arrives
#: (~50-100 ms per rerun on two cores). Measured on scene 11, paired in one browser session: a π move's meter
#: 0.385 s median → 0.259 s (p95 0.511 → 0.332). The page still says it is busy: Streamlit's status widget
#: ("Running…") and the scenes' own progress bars and spinners are untouched.
#: Placeholders do not pulse. Streamlit shows a pulsing skeleton where an element waits for its lazily loaded
#: script (Plotly's 4 MB, the formula's): an endless CSS animation repainted every frame. A class arriving at once
#: (twenty pages on two cores) waits many seconds for those scripts, and every pulsing placeholder took CPU from the
#: pages still loading (measured: see the class-arrival test in the README).
#: And the lecture bar's links wrap onto a second line rather than being clipped: Streamlit keeps a page link on one
#: line (``nowrap``, hidden overflow), and at 1280 px with the sidebar open "9 · The fix: annealed Langevin →" needs
#: ~210 px of its column's ~150 (tests/e2e/test_layout.py checks that no link or button label is cut).
PAGE_CSS = """<style>
[data-stale="true"] { opacity: 1 !important; transition: none !important; }
[data-testid="stSkeleton"], [data-testid="stSkeletonElement"] { animation: none !important; }
.st-key-lecture-prev [data-testid="stPageLink-NavLink"] *,
.st-key-lecture-next [data-testid="stPageLink-NavLink"] * { white-space: normal; overflow: visible; }
</style>"""

#: Each new chart is drawn once, not twice. Streamlit 1.67 mounts a fresh chart whenever its figure changes (the
#: figure is part of the element's identity) and asks Plotly for two full draws of it: the first before it has
#: measured the chart's width (``layout.width`` unset: Plotly fills the container, and that draw is what a person
#: sees first), the second, moments later, with the width it measured and a JSON copy of the figure as drawn.
#: Plotly draws the second in full too: arrays sent as typed arrays ({dtype, bdata}, as Plotly's own encoder sends
#: numpy arrays) are decoded afresh on every call, so it never finds "nothing changed". Measured on scene 11
#: (Chromium, two cores): 40-60 ms for the mode-fraction meter, 200-250 ms for each animation, ~100 ms for the
#: forward picture, every time one of them is new. This script answers that second call without drawing when it
#: asks for the figure just drawn (a JSON copy of the data, frames and layout Plotly drew, taken before or after
#: the draw, and a size within a pixel of the one drawn): it records the measured size on the chart and resolves;
#: and the call that follows, which hands Plotly back the very objects it holds, resolves too. Any other call (a
#: chart resized, a different figure, a selection) draws as before. Without ``window.Plotly`` it does nothing.
#: tests/e2e/test_browser.py counts the draws, so an upgrade that changes either side fails there.
CHART_JS = """<script>
(() => {
  if (window.__scoredemoCharts) return;
  window.__scoredemoCharts = true;
  const near = (a, b) => typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) < 1;
  const text = (v) => JSON.stringify(v === undefined || (Array.isArray(v) && !v.length) ? null : v);  // no frames
  const sized = (layout) => { const o = {...layout}; delete o.width; delete o.height; return o; };
  // the figure Plotly drew, whatever the size: Streamlit's second call passes a JSON copy of it, taken before or
  // after Plotly drew it (Plotly fills in defaults in place), or the objects themselves; so it is compared as JSON
  // with both
  const same = (figure, first) => {
    const layout = text(sized(figure.layout));
    if (layout !== first.layout && layout !== text(sized(first.figure.layout))) return false;
    if (figure.data !== first.figure.data) {
      const data = text(figure.data);
      if (data !== first.data && data !== text(first.figure.data)) return false;
    }
    return figure.frames === first.figure.frames || text(figure.frames) === text(first.figure.frames);
  };
  const skip = (gd) => {  // answered without drawing (counted for the tests)
    window.__scoredemoSkipped = (window.__scoredemoSkipped || 0) + 1;
    return Promise.resolve(gd);
  };
  const install = () => {
    const P = window.Plotly;
    if (!P || typeof P.react !== 'function') return false;
    if (P.__scoredemoOnce) return true;
    const react = P.react;
    P.react = function (gd, fig, ...rest) {
      const figure = fig && !Array.isArray(fig) && typeof fig === 'object' && !rest.length ? fig : null;
      const layout = figure && figure.layout;
      if (!gd || !layout) return react.call(this, gd, fig, ...rest);
      const held = gd._transitionData && gd._transitionData._frames;
      if (gd._fullLayout && figure.data === gd.data && layout === gd.layout && !('datarevision' in layout)
          && (!figure.frames || figure.frames === held)) {
        return skip(gd);  // the very objects Plotly holds, handed back (Streamlit does so after every draw)
      }
      const first = gd.__scoredemoFirst;
      gd.__scoredemoFirst = null;
      if (!gd._fullLayout) {  // a new chart, drawn at the container's width: remember what it draws
        if (layout.width === undefined)
          gd.__scoredemoFirst = {figure, layout: text(sized(layout)), data: text(figure.data)};
      } else if (first && near(layout.width, gd._fullLayout.width) && near(layout.height, gd._fullLayout.height)
                 && same(figure, first)) {
        gd.layout.width = layout.width;  // what Streamlit measured, so it asks for no other size
        gd.layout.height = layout.height;
        return skip(gd);
      }
      return react.call(this, gd, fig, ...rest);
    };
    P.__scoredemoOnce = true;
    return true;
  };
  if (!install()) { const id = setInterval(() => { if (install()) clearInterval(id); }, 25); }
})();
</script>"""


#: The browser half of drawing on scene 1's chart (installed with :data:`CHART_JS` on every page; it acts only on a
#: chart with ``layout.meta.drawable``, see ``drawing.drawable``, whose Plotly drag mode is "pan" on fixed axes, so
#: Plotly itself does nothing with a drag). A gesture on the plot area is sent as Plotly's own ``plotly_selected``
#: event, which Streamlit's selection handler turns into its selection and a rerun (read back by
#: ``drawing.apply_selection``): with ``meta.tool`` "pan", a press and release within 4 px is one zero-size box at
#: the pointer (``{"box": [{"x": [x, x], "y": [y, y]}]}``); with "lasso", the dragged outline as a path
#: (``{"lasso": [{"x": [...], "y": [...]}]}``); with "select", the dragged rectangle (``{"box": [...]}``), both
#: drawn as a dashed outline while dragging. Points are in data units from the plot area's rectangle and the
#: layout's fixed axis ranges (``constrain="domain"``: the rectangle is exactly the range), clamped to it; a lasso or
#: box may start anywhere on the chart but its toolbar (over the tick labels, in the margin: it used to be ignored
#: without a word), a click only on the plot area.
#: Why not Plotly's own tools: a click selects only markers (a grid of 1 089 invisible ones cost ~90 of a ~165 ms
#: draw and a ~60 ms selection pass per click), and Plotly's lasso and box test and restyle every arrow of the
#: field on every move and at the release (35–120 ms after the release before the selection was sent; measured in
#: Chromium on two cores). Relies on the graph div's ``emit`` and the drag cover's ``nsewdrag`` class (plotly.js as
#: bundled by Streamlit 1.67); tests/e2e/test_drawing.py clicks and drags in a real browser, so an upgrade that
#: breaks either fails there. Without it, the chart's toolbar lasso and box (Plotly's own) and the component table
#: still draw.
DRAW_JS = """<script>
(() => {
  if (window.__scoredemoDraw) return;
  window.__scoredemoDraw = true;
  const NS = 'http://www.w3.org/2000/svg';
  let down = null;
  const drawable = (el) => {
    const gd = el && el.closest ? el.closest('.js-plotly-plot') : null;
    return gd && gd.layout && gd.layout.meta && gd.layout.meta.drawable ? gd : null;
  };
  const clamp = (v, a, b) => Math.min(Math.max(v, a), b);
  const end = () => { if (down && down.svg) down.svg.remove(); down = null; };
  // the pointer says what a press will do: add (a click drops a bump) or outline (lasso, box); Plotly's own cursor
  // is put back if the chart ever leaves pan mode (its toolbar has no drag-mode buttons: fixed axes, no lasso/box)
  const CURSOR = {pan: 'copy', lasso: 'crosshair', select: 'crosshair'};
  document.addEventListener('pointerover', (e) => {
    const t = e.target;
    if (!t.classList || !t.classList.contains('nsewdrag')) return;
    const gd = drawable(t);
    if (!gd || gd.layout.dragmode !== 'pan') t.style.removeProperty('cursor');
    else t.style.setProperty('cursor', CURSOR[gd.layout.meta.tool] || 'copy', 'important');
  }, true);
  // the plot area's drag cover a press acts on: the one pressed, or for a lasso or box pressed elsewhere on the
  // chart (over the tick labels, in the margin; not on its toolbar) the plot area's, the outline clamped to it
  const coverOf = (t) => {
    if (t.classList && t.classList.contains('nsewdrag')) return t;
    const gd = drawable(t);
    const outlines = gd && ['lasso', 'select'].includes(gd.layout.meta.tool);
    return outlines && !t.closest('.modebar, .legend') ? gd.querySelector('.draglayer .xy .nsewdrag') : null;
  };
  document.addEventListener('pointerdown', (e) => {
    end();
    const cover = e.button === 0 ? coverOf(e.target) : null;
    const gd = cover ? drawable(cover) : null;
    if (!gd || gd.layout.dragmode !== 'pan' || typeof gd.emit !== 'function') return;
    const r = cover.getBoundingClientRect();
    down = {gd, r, tool: gd.layout.meta.tool || 'pan', pts: [[e.clientX, e.clientY]], svg: null, path: null};
    if (down.tool !== 'pan') {
      const svg = document.createElementNS(NS, 'svg');
      svg.setAttribute('style', `position:fixed;left:${r.left}px;top:${r.top}px;width:${r.width}px;`
        + `height:${r.height}px;pointer-events:none;z-index:1000;overflow:visible`);
      const path = document.createElementNS(NS, 'path');
      path.setAttribute('style', 'fill:rgba(0,0,0,0.06);stroke:#000;stroke-width:1.5;stroke-dasharray:5,3');
      svg.appendChild(path);
      document.body.appendChild(svg);
      down.svg = svg;
      down.path = path;
    }
  }, true);
  const local = (d, x, y) => [clamp(x, d.r.left, d.r.right) - d.r.left, clamp(y, d.r.top, d.r.bottom) - d.r.top];
  const outline = (d) => {  // the gesture's corners in plot-area pixels
    const p = d.pts.map(([x, y]) => local(d, x, y));
    if (d.tool === 'lasso') return p;
    const [a, b] = [p[0], p[p.length - 1]];
    return [[a[0], a[1]], [b[0], a[1]], [b[0], b[1]], [a[0], b[1]]];
  };
  document.addEventListener('pointermove', (e) => {
    const d = down;
    if (!d || !d.svg) return;
    d.pts.push([e.clientX, e.clientY]);
    d.path.setAttribute('d', 'M' + outline(d).map((q) => q.join(',')).join('L') + 'Z');
  }, true);
  document.addEventListener('pointercancel', end, true);
  document.addEventListener('pointerup', (e) => {
    const d = down;
    if (!d) return;
    d.pts.push([e.clientX, e.clientY]);
    end();
    const gd = d.gd, lay = gd.layout;
    const xr = lay.xaxis && lay.xaxis.range, yr = lay.yaxis && lay.yaxis.range;
    if (!gd.isConnected || lay.dragmode !== 'pan' || !xr || !yr || !d.r.width || !d.r.height) return;
    const data = ([px, py]) => [xr[0] + px / d.r.width * (xr[1] - xr[0]), yr[1] - py / d.r.height * (yr[1] - yr[0])];
    const moved = Math.max(...d.pts.map(([x, y]) => Math.hypot(x - d.pts[0][0], y - d.pts[0][1])));
    let sel = null;
    if (d.tool === 'pan' && moved <= 4) {
      const [x, y] = data(local(d, e.clientX, e.clientY));
      sel = {type: 'rect', x0: x, x1: x, y0: y, y1: y};
    } else if (d.tool === 'select' && moved > 4) {
      const q = outline(d).map(data);
      sel = {type: 'rect', x0: q[0][0], x1: q[2][0], y0: q[0][1], y1: q[2][1]};
    } else if (d.tool === 'lasso' && moved > 4) {
      sel = {type: 'path', path: 'M' + outline(d).map(data).map((q) => q.join(',')).join('L') + 'Z'};
    }
    if (sel) gd.emit('plotly_selected', {points: [], selections: [{xref: 'x', yref: 'y', ...sel}]});
  }, true);
})();
</script>"""


#: Shows the forward picture's frame of the t slider's value as soon as the slider moves, in the browser: no
#: server round trip (the figure holds every t as a Plotly frame, see ``figures.stepped_spec``); the meter's frames
#: are named by π and the stochastic sampler's radio choice. It also puts a freshly drawn chart (a new density, π,
#: σ_max) on the controls' frame. Installed once per tab; it watches the sliders' values, the radios' selection and
#: the charts' DOM, and does nothing while the frame shown is the controls'.
FRAMES_JS = """<script>
(() => {
  if (window.__scoredemoFrames) return;
  window.__scoredemoFrames = true;
  const value = (label) => {
    for (const input of document.querySelectorAll('input[type="range"]')) {
      if (input.getAttribute('aria-label') === label) return Number(input.value);
    }
    return null;
  };
  const option = (label) => {  // the selected option of the radio group labelled ``label``
    for (const group of document.querySelectorAll('[role="radiogroup"]')) {
      if (group.getAttribute('aria-label') !== label) continue;
      const picked = group.querySelector('label[data-selected="true"]');
      return picked ? picked.textContent.trim() : null;
    }
    return null;
  };
  let queued = false;
  const sync = () => {
    queued = false;
    if (!window.Plotly) return;
    for (const gd of document.querySelectorAll('.js-plotly-plot')) {
      const m = gd.layout && gd.layout.meta && gd.layout.meta.frames;
      if (!m) continue;
      const v = value(m.control);
      if (v === null || !Number.isFinite(v)) continue;
      let name = (Math.round(v / m.step) * m.step).toFixed(m.digits);
      if (m.choice) {
        const o = option(m.choice);
        if (o === null) continue;
        name += '|' + o;
      }
      // Plotly's frame index (internal) only skips a chart whose frames are not loaded yet; without it, the
      // public Plotly.animate is asked anyway, and a frame it refuses is not asked again
      const hash = gd._transitionData && gd._transitionData._frameHash;
      if (hash && !hash[name]) continue;
      if (m.shown === name || gd.__scoredemoAsked === name || gd.__scoredemoRefused === name) continue;
      gd.__scoredemoAsked = name;
      const done = () => { gd.__scoredemoAsked = null; schedule(); };
      const refused = () => { gd.__scoredemoAsked = null; gd.__scoredemoRefused = name; };
      Promise.resolve(window.Plotly.animate(gd, [name], {mode: 'immediate', frame: {duration: 0, redraw: true},
        transition: {duration: 0}})).then(done, refused);
    }
  };
  const schedule = () => { if (!queued) { queued = true; queueMicrotask(sync); } };
  new MutationObserver(schedule).observe(document.body,
    {subtree: true, childList: true, attributes: true, attributeFilter: ['value', 'aria-valuetext', 'data-selected']});
  schedule();
})();
</script>"""


#: Large type and high contrast for the page's own text (the charts scale through ``figures.presented``), and the
#: stage.
#:
#: Type: Streamlit 1.67 sizes every piece of text in ``rem`` (body 1rem, captions 0.875rem, metric values 2.25rem,
#: the title 2.75rem, widget labels, buttons, page links, alerts alike) of one root size, the theme's
#: ``baseFontSize`` (18 px in .streamlit/config.toml), which it sets as a global ``html { font-size: 18px }``.
#: Growing that one size grows all the text in proportion and keeps its hierarchy. The root size follows the
#: window: 1.4 % of its width (27 px on a 1920-px projector, 1.5× like the charts), at least 24 px (1.33×, a 1280-px
#: one) and at most 32 px. Text is black; links a dark blue (contrast 8.5:1 on white). Primary buttons keep their
#: white label.
#:
#: The stage: the main block's children are a flex column; the scene's title (``.st-key-scene-title``) and its stage
#: (``.st-key-stage``, see ``widgets.stage``) are ordered first, everything else after them. The title is one line
#: (1.5rem, cut with an ellipsis if it must be), beside the header's sidebar button; the header bar is transparent and
#: only its buttons catch the pointer. The stage is the screen's height less the title's (``100dvh - 4rem``); its
#: row of columns grows to fill it, and each column's charts drawn with ``stage=True`` stretch (``height="stretch"``)
#: over what the column's other elements (a meter's numbers) leave. Captions and download buttons inside the stage
#: are not projected (the charts' alt texts stay their accessible names; the downloads are in the normal page).
PRESENTER_CSS = """<style>
html { font-size: clamp(24px, 1.4vw, 32px) !important; }
[data-testid="stHeader"] { background: transparent !important; height: 2.2rem !important; }
[data-testid="stHeader"], [data-testid="stHeader"] * { pointer-events: none !important; }
[data-testid="stHeader"] :is(button, a, [role="button"]), [data-testid="stHeader"] :is(button, a) * {
  pointer-events: auto !important; }
[data-testid="stDecoration"] { display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 0.35rem !important; padding-left: 1.2rem !important;
  padding-right: 1.2rem !important; padding-bottom: 3rem !important; max-width: none !important; }
[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] > * { order: 3; }
[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] > :has(.st-key-scene-title) { order: 1; }
[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] > :has(.st-key-stage) { order: 2; }
.st-key-scene-title h1 { font-size: 1.5rem !important; line-height: 1.3 !important; padding: 0 0 0 2.2rem !important;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.st-key-stage { height: calc(100dvh - 4rem) !important; flex: none !important; min-height: 360px; }
.st-key-stage [data-testid="stLayoutWrapper"]:has(.js-plotly-plot) { flex: 1 1 0 !important; min-height: 0; }
.st-key-stage [data-testid="stHorizontalBlock"] { height: 100%; }
.st-key-stage [data-testid="stColumn"] > [data-testid="stVerticalBlock"] { height: 100%; }
.st-key-stage [data-testid="stLayoutWrapper"]:has(.js-plotly-plot) > [data-testid="stVerticalBlock"] {
  height: 100%; }
.st-key-stage [data-testid="stElementContainer"]:has([data-testid="stCaptionContainer"]),
.st-key-stage [data-testid="stLayoutWrapper"]:has(> [class*="-downloads"]), .st-key-stage [class*="-downloads"] {
  display: none !important; }
[data-testid="stMain"] { color: #000000; }
[data-testid="stMain"] :is(h1, h2, h3, h4, p, li, label, .katex, .sd-formula, [data-testid="stCaptionContainer"],
  [data-testid="stMetricValue"], [data-testid="stMetricLabel"], [data-testid="stMetricDelta"]) { color: #000000; }
[data-testid="stMain"] [data-testid="stBaseButton-primary"] p { color: #FFFFFF; }
[data-testid="stMain"] a, [data-testid="stMain"] a p { color: #0046AD; }
</style>"""


# ------------------------------------------------------------------------------------------ the lecture bar


def neighbours(pages: Sequence, current) -> tuple[object | None, object | None]:
    """(previous, next) of ``current`` in ``pages`` (the lecture order); None at either end."""
    i = next(j for j, p in enumerate(pages) if p.url_path == current.url_path)
    return (pages[i - 1] if i > 0 else None), (pages[i + 1] if i + 1 < len(pages) else None)


def _declared_path(pages: Sequence, current) -> str:
    """The url path scene ``current`` was declared with (``SCENES``), also for the default page."""
    from scoredemo.app.scenes import SCENES  # noqa: PLC0415 - the scene list, not a scene

    i = next(j for j, p in enumerate(pages) if p.url_path == current.url_path)
    return SCENES[i][2] if i < len(SCENES) else current.url_path


def lecture_bar(pages: Sequence, current) -> tuple[st.delta_generator.DeltaGenerator, ...]:
    """Previous / next scene links (carrying ``?present=1``), a place for the scene's slides (:func:`slides_row`,
    drawn once the scene has run) and, in presenter mode, the link to the teacher's notes window; returns (the
    slides' slot, the slot the share box goes into once the scene has run). On the projector the bar sits under
    the stage."""
    on = active()
    keep = {PARAM: "1"} if on else None
    prev, nxt = neighbours(pages, current)
    bar = st.container(key="lecture-bar")
    c1, c2, c3 = bar.columns([3, 5, 3], vertical_alignment="center")  # room for "← 3 · How exact is Langevin?"
    if prev is not None:
        with c1.container(key="lecture-prev"):
            st.page_link(prev, label=f"← {prev.title}", query_params=keep, help="Previous scene (key ← or p)")
    if nxt is not None:
        with c3.container(key="lecture-next", horizontal_alignment="right"):
            st.page_link(nxt, label=f"{nxt.title} →", query_params=keep, help="Next scene (key → or n)")
    with c2:
        slides_slot = st.container()
        share_slot = st.container(horizontal=True)
    if on:
        with share_slot:
            notes_link()
    return slides_slot, share_slot


def slides_row(slot, pages: Sequence, current) -> None:
    """The scene's slides (its presets) as links, into ``slot``, after the scene has run: its controls' defaults are
    known then (``beat_now``: a preset's default values are not in the URL once the widgets hold them).

    Each slide link sits in a container keyed ``beat-<i>`` (``beat-<i>-now`` for the one the URL shows): the beats
    a clicker steps through (:data:`KEYBOARD_JS`). In presenter mode the scene's own page without parameters is beat
    0 ("start"), so PageUp from the first slide goes back to it."""
    on = active()
    keep = {PARAM: "1"} if on else None
    # the default page's url_path is "" (Streamlit serves it at the root; "/score-fields" opens it through a hidden
    # page), so its presets are looked up under the path it was declared with
    path = current.url_path or _declared_path(pages, current)
    mine = P.presets_for(path)
    if not mine:
        return
    now = beat_now(path, _query(), st.session_state.get("_controls", {}).get(path, {}))
    with slot, st.container(horizontal=True, key="lecture-presets"):
        st.markdown("**Slides:**")
        if on:
            with st.container(key="beat-0-now" if now == 0 else "beat-0"):
                st.page_link(current, label="start", icon=":material/first_page:", query_params=keep,
                             help="The scene at its defaults (PageUp from the first slide)")  # fmt: skip
        for i, p in enumerate(mine, start=1):
            with st.container(key=f"beat-{i}-now" if now == i else f"beat-{i}"):
                st.page_link(
                    current,
                    label=p.name,
                    icon=":material/slideshow:",
                    query_params={**p.params, **(keep or {})},
                    help=f"Open this slide's settings (link: /{current.url_path}?{p.query()}; key PageDown "
                    "steps through the slides)",
                )


def _query() -> dict[str, str]:
    """The URL's query as {key: last value}."""
    return {k: str(st.query_params.get_all(k)[-1]) for k in st.query_params if st.query_params.get_all(k)}


def beat_now(url_path: str, query: dict[str, str], defaults: dict | None = None) -> int | None:
    """Which beat of the scene the URL shows: i for its i-th preset (all of the preset's parameters have its values;
    the first that does), else 0 for the scene at its defaults (no parameter but presenter mode's), else None for
    another view (the teacher moved a control): a clicker's PageDown then goes on to the first slide.

    ``defaults`` ({URL key: default} of the scene's controls, known once the scene has run): a control at its
    default is not in the URL (Streamlit drops it once the widget holds it), so a preset's value that is the default
    matches an absent key (scene 7's second slide reads ``?init=one-mode`` once drawn)."""
    params = {k: v for k, v in query.items() if k != PARAM}
    for p in P.presets_for(url_path):
        full = {k: str(v) for k, v in (defaults or {}).items()} | params
        if all(_same(full.get(k), v) for k, v in p.params.items()) and (p.params or not params):
            return P.presets_for(url_path).index(p) + 1
    return 0 if not params else None


def _same(got: object, want: str) -> bool:
    """A URL value against a preset's: as text, or as numbers ("0.67" is 0.67, "1" is 1.0), or as booleans."""
    if got is None:
        return False
    if str(got).lower() == want.lower():
        return True
    try:
        return float(got) == float(want)
    except (TypeError, ValueError):
        return False


def notes_link() -> None:
    """The teacher's notes in a window of their own (``/notes``): it follows the scene and the slide shown here."""
    st.link_button(
        "Teacher's notes ↗",
        f"./{NOTES_PATH}",
        icon=":material/record_voice_over:",
        help="Opens the notes (what to say, the keys, what comes next) in a new window for your laptop's screen: "
        "it follows the scene and slide this window shows, and its buttons step the lecture here.",
    )


# ------------------------------------------------------------------------------------------ keyboard and player

#: Every page: the charts that follow an animation (``figures.follow_meta``: a meter's cursor, scene 2's marginals)
#: show the frame it shows, while it plays and when it is scrubbed, and ``window.scoredemo`` plays, pauses and
#: finishes an animation for the keyboard and the notes window. Uses Plotly's public API and events only
#: (``Plotly.animate``, ``Plotly.relayout``, ``plotly_animatingframe``, ``plotly_animated``,
#: ``plotly_animationinterrupted``); an animation's Play arguments are read from its own Play button.
PLAYER_JS = """<script>
(() => {
  if (window.__scoredemoPlayer) return;
  window.__scoredemoPlayer = true;
  const meta = (gd) => (gd && gd.layout && gd.layout.meta) || {};
  const charts = () => Array.from(document.querySelectorAll('.js-plotly-plot'));
  const still = {mode: 'immediate', frame: {duration: 0, redraw: false}, transition: {duration: 0}};
  const frames = (gd) => (gd.layout.sliders && gd.layout.sliders[0] && gd.layout.sliders[0].steps.length) || 0;
  const isAnimation = (gd) => meta(gd).kind === 'animation';
  const leader = (group) => charts().find((gd) => isAnimation(gd) && (meta(gd).group || 'main') === group);
  // the frame a leader shows: its own record of the last frame event, else the one it opened on (the last)
  const shown = (gd) => (gd.__sdFrame !== undefined ? gd.__sdFrame : frames(gd) - 1);
  const follow = (gd, k) => {
    const f = meta(gd).follow;
    if (!f || !window.Plotly || !gd._fullLayout) return;
    if (f.cursor && f.cursor.length) {
      const x = f.cursor[Math.max(0, Math.min(k, f.cursor.length - 1))];
      const s = gd.layout.shapes && gd.layout.shapes[0];
      if (s && s.x0 !== x) window.Plotly.relayout(gd, {'shapes[0].x0': x, 'shapes[0].x1': x});
    }
    if (f.frames && gd.__sdFollowed !== k) {  // redrawn: bars (scene 2's histograms) do not move without it
      gd.__sdFollowed = k;
      window.Plotly.animate(gd, [String(k)], {...still, frame: {duration: 0, redraw: true}});
    }
  };
  const sync = (lead) => {
    const group = meta(lead).group || 'main', k = shown(lead);
    for (const gd of charts()) {
      const f = meta(gd).follow;
      if (f && (f.group || 'main') === group) follow(gd, k);
    }
  };
  const hook = (gd) => {
    if (gd.__sdHooked || typeof gd.on !== 'function') return;
    gd.__sdHooked = true;
    gd.on('plotly_animatingframe', (e) => {
      const k = Number(e && e.name);
      if (Number.isFinite(k)) { gd.__sdFrame = k; sync(gd); }
    });
    gd.on('plotly_animated', () => { gd.__sdPlaying = false; });
    gd.on('plotly_animationinterrupted', () => { gd.__sdPlaying = false; });
    gd.on('plotly_buttonclicked', (e) => {  // ▶ Play clicked with the mouse: this view's animation has played
      const label = (e && e.button && e.button.label) || '';
      if (label.includes('Play')) { gd.__sdPlaying = true; gd.__sdPlayedIn = view(); }
    });
  };
  // the view a page shows: its URL and the slide marked as shown (a slide at the defaults has the URL of the
  // scene's start, and Streamlit keeps its unchanged chart): "played" is per view, not per chart
  const view = () => {
    const now = document.querySelector('[class*="st-key-beat-"][class*="-now"]');
    const beat = now ? Array.from(now.classList).find((c) => c.startsWith('st-key-beat-')) : '';
    return location.pathname + location.search + '#' + beat;
  };
  const api = {
    leader: (within) => {
      const scope = within ? document.querySelector(within) : null;
      const pick = (root) => Array.from(root.querySelectorAll('.js-plotly-plot')).find(isAnimation);
      return (scope && pick(scope)) || pick(document);
    },
    view,
    playing: (gd) => !!gd.__sdPlaying,
    played: (gd) => gd.__sdPlayedIn === view(),
    play: (gd) => {  // from the frame shown; from the start when that is the first or the last (Plotly's fromcurrent)
      const b = gd.layout.updatemenus && gd.layout.updatemenus[0] && gd.layout.updatemenus[0].buttons;
      if (!b || !b[0] || !window.Plotly) return false;
      gd.__sdPlaying = true;
      gd.__sdPlayedIn = view();
      window.Plotly.animate(gd, null, b[0].args[1]);
      return true;
    },
    pause: (gd) => { gd.__sdPlaying = false; if (window.Plotly) window.Plotly.animate(gd, [null], still); },
    finish: (gd) => {  // stop and show the last frame (after the pause has taken: a queued frame could follow it)
      gd.__sdPlaying = false;
      gd.__sdPlayedIn = view();
      if (!window.Plotly || !frames(gd)) return;
      const last = () => window.Plotly.animate(gd, [String(frames(gd) - 1)], still);
      Promise.resolve(window.Plotly.animate(gd, [null], still)).then(last, last);
    },
  };
  window.scoredemo = Object.assign(window.scoredemo || {}, api);
  let queued = false;
  // a follower that shows another of its own frames (scene 11's meter at another π) is put back on the frame shown
  const hookFollower = (gd) => {
    if (gd.__sdHooked || typeof gd.on !== 'function') return;
    gd.__sdHooked = true;
    gd.on('plotly_animated', () => {
      const lead = leader(meta(gd).follow.group || 'main');
      if (lead) follow(gd, shown(lead));
    });
  };
  const tick = () => {
    queued = false;
    for (const gd of charts()) {
      if (isAnimation(gd)) hook(gd);
      else if (meta(gd).follow) hookFollower(gd);
    }
    // a follower drawn anew (a rerun) while its leader shows another frame than the last: put it on that frame
    const seen = new Set();
    for (const gd of charts()) {
      const f = meta(gd).follow;
      if (!f || seen.has(f.group)) continue;
      seen.add(f.group);
      const lead = leader(f.group || 'main');
      if (lead && lead.__sdFrame !== undefined) sync(lead);
    }
  };
  new MutationObserver(() => { if (!queued) { queued = true; setTimeout(tick, 50); } })
    .observe(document.body, {subtree: true, childList: true});
  setInterval(tick, 1000);
  tick();
})();
</script>"""

#: Presenter mode's keys and clicker (installed first thing on the page, once per tab). A key is queued until the
#: page is ready for it (no script run in progress, no element waiting for one, the URL changed after a link was
#: followed): a key pressed while a scene is still drawing acts on it once it is drawn, not lost. PageDown steps
#: through the scene's beats: first it plays the stage's main animation (if it has one and it has not played in this
#: view; pressed while it plays, it shows the end), then it opens the next slide (``beat-<i>`` links), then the next
#: scene; PageUp opens the previous slide, then the previous scene. Keys typed into a widget are the widget's.
#: The state (URL, title, beat) goes to the notes window over a BroadcastChannel, which can send keys back.
#: Private signals, read with a fallback: Streamlit 1.67's ``data-test-script-state`` on the app root (its own test
#: hook; without it, only the stale marks are waited for) and ``data-stale`` marks on elements waiting for a rerun
#: (tests/app/test_presenter.py checks the bundle still has both).
KEYBOARD_JS = """<script>
(() => {
  if (window.__scoredemoKeys) return;
  window.__scoredemoKeys = true;
  const channel = 'BroadcastChannel' in window ? new BroadcastChannel('CHANNEL_NAME') : null;
  const typing = (el) => !!el && !!el.closest &&
    !!el.closest('input, textarea, select, [contenteditable="true"], [role="slider"], [role="combobox"], ' +
                 '[role="spinbutton"], [role="listbox"], [role="option"], [role="menu"]');
  const ACTIONS = {PageDown: 'beat-next', PageUp: 'beat-prev', ArrowRight: 'next', n: 'next', ArrowLeft: 'prev',
                   p: 'prev', ' ': 'play', k: 'play', r: 'reset'};
  let leaving = null;  // the URL a followed link leaves: the next key waits for the new one
  const ready = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.getAttribute('data-test-script-state');
    if (state && state !== 'notRunning') return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    if (leaving) {
      if (location.href === leaving.href && performance.now() - leaving.t < 4000) return false;
      leaving = null;
    }
    return !!document.querySelector('h1');
  };
  const follow = (sel) => {
    const a = document.querySelector(sel);
    if (!a) return false;
    leaving = {href: location.href, t: performance.now()};
    a.click();
    return true;
  };
  const beats = () => {
    const out = [];
    for (const el of document.querySelectorAll('[class*="st-key-beat-"]')) {
      const m = Array.from(el.classList).map((c) => /^st-key-beat-(\\d+)(-now)?$/.exec(c)).find(Boolean);
      if (m) out.push({i: Number(m[1]), now: !!m[2], link: el.querySelector('a')});
    }
    return out.sort((a, b) => a.i - b.i);
  };
  const go = (b) => { if (!b || !b.link) return false; leaving = {href: location.href, t: performance.now()};
                      b.link.click(); return true; };
  const sd = () => window.scoredemo || {};
  const main = () => (sd().leader ? sd().leader('.st-key-stage') : null);
  const act = (action) => {
    const gd = main();
    if (action === 'next') return follow('.st-key-lecture-next a');
    if (action === 'prev') return follow('.st-key-lecture-prev a');
    if (action === 'reset') return follow('[class*="st-key-reset-"] button');
    if (action === 'play') {
      if (!gd) return false;
      if (sd().playing(gd)) sd().pause(gd); else sd().play(gd);
      return true;
    }
    const list = beats(), at = list.findIndex((b) => b.now);
    if (action === 'beat-next') {
      if (gd && sd().playing(gd)) { sd().finish(gd); return true; }
      if (gd && !sd().played(gd)) return sd().play(gd);
      const next = at >= 0 ? list[at + 1] : list.find((b) => b.i > 0);
      return go(next) || follow('.st-key-lecture-next a');
    }
    if (action === 'beat-prev') {
      const prev = at > 0 ? list[at - 1] : (at < 0 ? list[0] : null);
      return go(prev) || follow('.st-key-lecture-prev a');
    }
    return false;
  };
  const queue = [];
  let timer = null;
  const pump = () => {
    timer = null;
    while (queue.length) {
      if (performance.now() - queue[0].t > 30000) { queue.shift(); continue; }  // a key from long ago: dropped
      if (!ready()) { timer = setTimeout(pump, 80); return; }
      act(queue.shift().action);
      if (leaving) { timer = setTimeout(pump, 120); return; }
    }
    announce();
  };
  const push = (action) => { queue.push({action, t: performance.now()}); if (!timer) pump(); };
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    const action = ACTIONS[e.key];
    if (!action) return;
    e.preventDefault();
    push(action);
  }, true);
  // the notes window: what the projector shows, and keys it sends back
  let said = '';
  const announce = () => {
    if (!channel || !ready()) return;
    const list = beats(), at = list.findIndex((b) => b.now);
    const h1 = document.querySelector('h1');
    const state = {kind: 'state', path: location.pathname, search: location.search,
                   title: h1 ? h1.innerText : '', beat: at >= 0 ? list[at].i : null, beats: list.length};
    const text = JSON.stringify(state);
    if (text !== said) { said = text; channel.postMessage(state); }
  };
  if (channel) {
    channel.onmessage = (e) => {
      const m = e.data || {};
      if (m.kind === 'hello') { said = ''; announce(); }
      else if (m.kind === 'key' && Object.values(ACTIONS).includes(m.action)) push(m.action);
    };
  }
  setInterval(announce, 500);
})();
</script>""".replace("CHANNEL_NAME", CHANNEL)


# ------------------------------------------------------------------------------------------ share


def current_link(url_path: str) -> str:
    """The link to exactly this view (``links.share_link``): the browser's address (``st.context.url``, which
    holds the current page's path in a browser; :data:`FALLBACK_URL` when there is none), the page ``url_path``,
    and the query string as it is now (every control is bound to it)."""
    from scoredemo.app.scenes import SCENES  # noqa: PLC0415 - the scene list, not a scene

    query = [(k, v) for k in st.query_params for v in st.query_params.get_all(k)]
    # the default page's reserved path too: an address that ends with it is the app's root
    paths = [s[2] for s in SCENES] + [DEFAULT_PAGE_PATH]
    return links.share_link(st.context.url or FALLBACK_URL, url_path, paths, query)


def qr_png(text: str, *, scale: int = 8) -> bytes:
    """A QR code of ``text`` as PNG bytes (segno, pure Python; error correction M, a 4-module quiet zone)."""
    import segno  # noqa: PLC0415 - only presenter mode draws one

    buf = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def share_box(slot, url_path: str) -> None:
    """The link of this view with a copy button (st.code's copy icon), in presenter mode its QR code, and the
    choice of what the charts' camera icon saves."""
    link = current_link(url_path)
    with slot.popover("Share this view", icon=":material/qr_code_2:"):
        st.caption("Copy this link (the icon on the right), or scan the code with a phone:")
        st.code(link, language=None, wrap_lines=True)
        if active():
            # PNG: Streamlit's "auto" sends it as a JPEG, whose artefacts blur the modules' edges
            st.image(
                qr_png(link), caption="This view, for phones", width=320, alt=f"QR code of {link}", output_format="PNG"
            )
        # here, not in the sidebar: a popover's content is drawn only when it is opened, so the choice costs a
        # student's page nothing; the charts above read it from the session on the next run
        st.selectbox(
            "For slides: the camera icon above each chart saves",
            list(IMAGE_FORMATS),
            key=IMAGE_FORMAT,
            help="A slide-sized PNG (drawn by your browser at twice the size of a 960 × 540 chart, so the text "
            "reads on a slide) or a vector SVG for editing. Not part of the link.",
        )
        slides.export_button(url_path)
