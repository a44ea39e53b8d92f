"""Presenter mode and the lecture bar: the projector switch (``?present=1``), previous/next scene links in lecture
order, the scene's presets, the keyboard, and the "share this view" link with its QR code; and the page scripts
that run in the browser (:data:`CHART_JS` on every page, :data:`DRAW_JS` for scene 1's drawing, :data:`FRAMES_JS`
for scene 11's stepped charts).

Presenter mode lives in the session (``st.session_state["_present"]``, seeded from the URL when a session opens)
and is written back to the URL on every run, so it survives scene changes (Streamlit drops the query string when
the page changes) and a copied link opens in presenter mode too. The scenes only read :func:`active`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import streamlit as st

from scoredemo.app import links
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

#: Key → action of the keyboard script (shown to the teacher in presenter mode).
KEYS = {
    "→ / PageDown / n": "next scene",
    "← / PageUp / p": "previous scene",
    "space / k": "play / pause the main animation",
    "r": "reset the scene's controls",
}


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
    URL, and adds the page's CSS (:data:`PAGE_CSS`; in presenter mode also the high-contrast one) and its chart
    scripts (:data:`CHART_JS`, :data:`DRAW_JS`; one element, so no gap of its own). Returns whether presenter mode
    is on."""
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
    st.html(PAGE_CSS)
    st.html(CHART_JS + DRAW_JS, unsafe_allow_javascript=True, width="content")
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
#: And the lecture bar's links wrap onto a second line rather than being clipped: Streamlit keeps a page link on one
#: line (``nowrap``, hidden overflow), and at 1280 px with the sidebar open "9 · The fix: annealed Langevin →" needs
#: ~210 px of its column's ~150 (tests/e2e/test_layout.py checks that no link or button label is cut).
PAGE_CSS = """<style>
[data-stale="true"] { opacity: 1 !important; transition: none !important; }
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
#: layout's fixed axis ranges (``constrain="domain"``: the rectangle is exactly the range), clamped to it.
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
  document.addEventListener('pointerdown', (e) => {
    end();
    const cover = e.button === 0 && e.target.classList && e.target.classList.contains('nsewdrag');
    const gd = cover ? drawable(e.target) : null;
    if (!gd || gd.layout.dragmode !== 'pan' || typeof gd.emit !== 'function') return;
    const r = e.target.getBoundingClientRect();
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


#: Large type and high contrast for the page's own text (the charts scale through ``figures.presented``).
#:
#: Streamlit 1.67 sizes every piece of text in ``rem`` (body 1rem, captions 0.875rem, metric values 2.25rem, the
#: title 2.75rem, widget labels, buttons, page links, alerts alike) of one root size, the theme's
#: ``baseFontSize`` (18 px in .streamlit/config.toml), which it sets as a global ``html { font-size: 18px }``.
#: Growing that one size grows all the text in proportion and keeps its hierarchy. (The previous rules picked
#: elements one by one: a metric's value, a button's label and a page link are all Markdown ``p`` elements in
#: this version, so ``stMarkdownContainer p { 1.45rem }`` turned 40.5 px metric values into 26 px ones while
#: labels, buttons and headings stayed as they were; and the text kept Streamlit's dark grey.)
#: The root size follows the window: 1.4 % of its width (27 px on a 1920-px projector, 1.5× like the charts),
#: at least 24 px (1.33×, a 1280-px one) and at most 32 px. Text is black; links a dark blue (contrast 8.5:1 on white).
#: Primary buttons keep their white label. The side paddings, which grow with ``rem`` too, are trimmed back;
#: the top one stays just below the header bar (3.75rem high).
PRESENTER_CSS = """<style>
html { font-size: clamp(24px, 1.4vw, 32px) !important; }
[data-testid="stMainBlockContainer"] { padding-top: 4rem !important; padding-left: 1.5rem !important;
  padding-right: 1.5rem !important; padding-bottom: 3rem !important; }
[data-testid="stMain"] { color: #000000; }
[data-testid="stMain"] :is(h1, h2, h3, h4, p, li, label, .katex, [data-testid="stCaptionContainer"],
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


def lecture_bar(pages: Sequence, current) -> st.delta_generator.DeltaGenerator:
    """Previous / next scene links (carrying ``?present=1``), the scene's presets, the teacher's notes (presenter
    mode, on request) and the keyboard script; returns the slot the share box goes into once the scene has run."""
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
    # the default page's url_path is "" (Streamlit serves it at the root; "/score-fields" is "page not found"), so
    # its presets are looked up under the path it was declared with
    mine = P.presets_for(current.url_path or _declared_path(pages, current))
    with c2:
        if mine:
            with st.container(horizontal=True, key="lecture-presets"):
                st.markdown("**Slides:**")
                for p in mine:
                    st.page_link(
                        current,
                        label=p.name,
                        icon=":material/slideshow:",
                        query_params={**p.params, **(keep or {})},
                        help=f"Open this slide's settings (link: /{current.url_path}?{p.query()})",
                    )
        share_slot = st.container()
    if on and mine:
        with st.expander("What to say (teacher's notes)", icon=":material/record_voice_over:"):
            for p in mine:
                st.markdown(f"**{p.name}** — {p.say}")
            st.caption("Keys: " + " · ".join(f"**{k}** {v}" for k, v in KEYS.items()))
    if on:  # the presenter's tool; a student's page is lighter without it (one element and DOMPurify pass fewer)
        keyboard(bar)
    return share_slot


# ------------------------------------------------------------------------------------------ keyboard

#: The keyboard, as a script in the page itself (``st.html`` with JavaScript, not an iframe): it listens once on
#: the document, ignores keys typed into a widget, and clicks the same things a mouse would: the lecture bar's
#: links, the first animation's Play/Pause buttons, the scene's reset button.
KEYBOARD_JS = """<script>
(() => {
  if (window.__scoredemoKeys) return;
  window.__scoredemoKeys = true;
  const typing = (el) => !!el && !!el.closest &&
    !!el.closest('input, textarea, select, [contenteditable="true"], [role="slider"], [role="combobox"], ' +
                 '[role="spinbutton"], [role="listbox"], [role="option"], [role="menu"]');
  const click = (sel) => { const el = document.querySelector(sel); if (el) { el.click(); return true; } return false; };
  const animation = () => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .find(gd => gd.layout && gd.layout.meta && gd.layout.meta.kind === 'animation');
  const playPause = () => {
    const gd = animation();
    if (!gd) return false;
    if (!gd.__scoredemoWatched && gd.on) {
      gd.__scoredemoWatched = true;
      gd.on('plotly_animatingframe', () => { gd.__scoredemoPlaying = true; });
      gd.on('plotly_animated', () => { gd.__scoredemoPlaying = false; });
      gd.on('plotly_animationinterrupted', () => { gd.__scoredemoPlaying = false; });
    }
    const want = gd.__scoredemoPlaying ? 'Pause' : 'Play';
    const button = Array.from(gd.querySelectorAll('.updatemenu-button'))
      .find(b => (b.textContent || '').includes(want));
    if (!button) return false;
    button.dispatchEvent(new MouseEvent('click', {bubbles: true}));
    gd.__scoredemoPlaying = want === 'Play';
    return true;
  };
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    const k = e.key;
    let done = false;
    if (k === 'ArrowRight' || k === 'PageDown' || k === 'n') done = click('.st-key-lecture-next a');
    else if (k === 'ArrowLeft' || k === 'PageUp' || k === 'p') done = click('.st-key-lecture-prev a');
    else if (k === ' ' || k === 'k') done = playPause();
    else if (k === 'r') done = click('[class*="st-key-reset-"] button');
    if (done) e.preventDefault();
  });
})();
</script>"""


def keyboard(where) -> None:
    """Install the keyboard script (once per browser tab; later runs find it installed)."""
    where.html(KEYBOARD_JS, unsafe_allow_javascript=True, width="content")


# ------------------------------------------------------------------------------------------ share


def current_link(url_path: str) -> str:
    """The link to exactly this view (``links.share_link``): the browser's address (``st.context.url``, which
    holds the current page's path in a browser; :data:`FALLBACK_URL` when there is none), the page ``url_path``,
    and the query string as it is now (every control is bound to it)."""
    from scoredemo.app.scenes import SCENES  # noqa: PLC0415 - the scene list, not a scene

    query = [(k, v) for k in st.query_params for v in st.query_params.get_all(k)]
    return links.share_link(st.context.url or FALLBACK_URL, url_path, [s[2] for s in SCENES], query)


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
