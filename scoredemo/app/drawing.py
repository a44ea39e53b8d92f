"""Drawing a density on scene 1's chart: clicks drop or grow bumps, a lasso or box fills a region; undo, clear and
presets. The drawing is the custom density's text (``?components=``, :mod:`scoredemo.app.custom_density`).

How a drawing gesture reaches the text: the chart is drawn with ``st.plotly_chart(on_select="rerun")`` in
Plotly's "pan" mode on fixed axes, so Plotly does nothing with a press or a drag; the page script
``presenter.DRAW_JS`` turns a click, a lasso or a box on the plot into Plotly's own selection event (a click as a
zero-size box at the pointer), which Streamlit sends as the chart's selection. (Plotly's own tools select clicks
only on markers and restyle every arrow of the field during a lasso; both cost more than a third of each redraw.)
Streamlit keeps the chart's last selection in ``session_state[<chart key>]`` and sends a new one only when it
differs, so each selection is applied once at the top of the next run (:func:`consume_selection`, before the
table and text widgets are drawn) and the chart then gets a new key: a fresh chart with no selection, ready for
the next click (also a click on the same spot).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo.app import custom_density as CD
from scoredemo.app import presenter, slides
from scoredemo.app.literal import md_text
from scoredemo.figures._style import OKABE_ITO, typed_array

#: A click is placed on this grid (data units): the lecture's points (integers, halves) are easy to hit (within
#: ±0.125, ~5 px of a 640-px chart of the ±8 view) and a drawing's text stays short.
CLICK_STEP = 0.25
#: Undo keeps this many earlier drawings.
UNDO_DEPTH = 30
#: The sidebar's tools and their names in ``layout.meta.tool`` (Plotly's drag-mode names).
TOOLS = {"click: drop a bump": "pan", "lasso: fill a region": "lasso", "box: fill a rectangle": "select"}
#: Starting points from the lecture (the text of each drawing).
PRESETS = {
    "three bumps (the default)": CD.DEFAULT_COMPONENTS,
    "NCSN toy: 1/5 · N((−5,−5), I) + 4/5 · N((5,5), I)": "-5, -5, 1, 1; 5, 5, 1, 4",
    "disjoint modes, 2/3 : 1/3 (slow mixing)": "-4, 0, 0.5, 2; 4, 0, 0.5, 1",
    "a filled square and a bump (a flat region: zero score inside)": "3, 3, 0.5, 1; fill 2: -5 -5, -1 -5, -1 -1, -5 -1",
    "an L-shaped region (uniform data on a set)": "fill 1: -4 -4, 4 -4, 4 -2, -2 -2, -2 4, -4 4",
}
HELP = (
    "*Click* on the chart drops a bump (a Gaussian with the scale and weight below) where you click; clicking "
    "again on a bump (within its scale) makes it heavier by that weight instead. *Lasso* or *box* (pick it here): drag "
    "around a region to fill it with a near-uniform density (many small Gaussians; the "
    f"weight is the region's total mass). Limits: {CD.CAP_TEXT}."
)
SHORT_HELP = (
    f"Draw on the chart: click = a bump (again on it: heavier), lasso / box = a filled region. "
    f"At most {CD.MAX_COMPONENTS} bumps and {CD.MAX_REGIONS} regions."
)


class Edit(NamedTuple):
    """The outcome of one gesture: the new text (None: nothing changed) and a sentence for the page."""

    text: str | None
    message: str


# ------------------------------------------------------------------------------------------ pure helpers


def apply_selection(text: str, selection: Mapping[str, Any], *, scale: float, weight: float) -> Edit:
    """Apply one Streamlit Plotly selection (``{"points": [...], "box": [...], "lasso": [...]}``, as
    ``st.plotly_chart(on_select=...)`` returns it) to the drawing ``text`` (assumed valid).

    A lasso (its x/y path) or a box (its x/y ranges) adds a filled region; a box of zero width and height (a
    click, as ``presenter.DRAW_JS`` sends it) or each selected point drops or grows a bump at that point, placed
    on the :data:`CLICK_STEP` grid. A refused gesture (an outline that crosses itself or encloses no area, a full
    drawing, a malformed selection) leaves the text unchanged and says why.
    """
    try:
        drawing = CD.parse_drawing(text)
    except ValueError as err:
        return Edit(None, f"the current drawing cannot be edited ({err}); fix the table first")
    try:
        lasso, box, points = (list(selection.get(k) or []) for k in ("lasso", "box", "points"))
        click = _click_of(box[-1]) if box and not lasso else None
        if click is not None:
            box, points = [], [click]
        if lasso:
            xs, ys = _floats(lasso[-1]["x"]), _floats(lasso[-1]["y"])
            if len(xs) != len(ys):
                raise ValueError("the lasso's x and y lists differ in length")
            new, msg = CD.add_region(drawing, np.stack([xs, ys], axis=-1), weight)
        elif box:
            (x0, x1), (y0, y1) = _floats(box[-1]["x"])[[0, -1]], _floats(box[-1]["y"])[[0, -1]]
            new, msg = CD.add_region(drawing, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]), weight)
        elif points:
            new, done = drawing, []
            for p in points:
                try:
                    x, y = (float(np.round(float(p[k]) / CLICK_STEP) * CLICK_STEP) for k in ("x", "y"))
                    new, msg = CD.add_bump(new, x, y, scale, weight)
                except ValueError as err:
                    if not done:
                        raise
                    done.append(f"the rest was refused: {err}")
                    break
                done.append(msg)
            msg = "; ".join(done)
        else:
            return Edit(None, "nothing was selected")
    except ValueError as err:
        return Edit(None, f"not drawn: {err}")
    except (KeyError, TypeError, IndexError):
        return Edit(None, "not drawn: the chart sent a selection this page cannot read")
    return Edit(CD.drawing_text(new), msg)


def _floats(values: Any) -> np.ndarray:
    try:
        a = np.asarray(list(values), np.float64).reshape(-1)
    except ValueError:
        raise TypeError("not numbers") from None  # read as a malformed selection
    if len(a) == 0 or not np.all(np.isfinite(a)):
        raise ValueError("the selection has no usable coordinates")
    return a


def _click_of(box: Mapping[str, Any]) -> dict | None:
    """The point of a zero-size box (how ``presenter.DRAW_JS`` sends a click), else None (a real box: Plotly
    starts a box selection only after a drag of a few pixels)."""
    xs, ys = _floats(box["x"]), _floats(box["y"])
    if np.ptp(xs) == 0 and np.ptp(ys) == 0:
        return {"x": float(xs[0]), "y": float(ys[0])}
    return None


def drawable(spec: dict, drawing: CD.Drawing | None, *, tool: str) -> dict:
    """A score-field spec made drawable (``layout.meta.drawable``, for ``presenter.DRAW_JS``): the drawn bumps
    (crosses) and region outlines on top (not hoverable), axes fixed (dragging draws, never pans), and the tool in
    ``layout.meta.tool`` (``pan`` = click, ``lasso``, ``select`` = box: the names of Plotly's drag modes)."""
    out = copy.copy(spec)
    data = list(spec["data"])
    if drawing is not None and len(drawing.bumps):
        b = drawing.bumps
        data.append(
            dict(
                type="scatter",
                mode="markers",
                x=typed_array(b[:, 0]),
                y=typed_array(b[:, 1]),
                marker=dict(symbol="x-thin", size=12, line=dict(width=2.5, color=OKABE_ITO["vermillion"])),
                hoverinfo="skip",
                showlegend=False,
                name="drawn bumps",
                meta={"role": "drawn-bumps"},
            )
        )
    for j, (_, v) in enumerate(drawing.regions if drawing is not None else (), start=1):
        closed = np.concatenate([v, v[:1]])
        data.append(
            dict(
                type="scatter",
                mode="lines",
                x=typed_array(closed[:, 0]),
                y=typed_array(closed[:, 1]),
                line=dict(color=OKABE_ITO["vermillion"], width=2, dash="dash"),
                hoverinfo="skip",
                showlegend=False,
                name=f"region {j}",
                meta={"role": "drawn-region"},
            )
        )
    layout = copy.copy(spec["layout"])
    for ax in ("xaxis", "yaxis"):
        layout[ax] = dict(layout.get(ax, {}), fixedrange=True)
    layout["dragmode"] = "pan"  # on fixed axes: Plotly leaves every gesture to presenter.DRAW_JS
    layout["hovermode"] = "closest"
    layout["meta"] = {**layout.get("meta", {}), "drawable": True, "tool": tool}
    # what Streamlit sets on a selectable chart in "pan" mode after its first draw: set from the start, the second
    # call asks for the figure just drawn and presenter.CHART_JS skips it (measured: a second full draw, ~150 ms)
    layout["clickmode"] = "event+select"
    out["data"], out["layout"] = data, layout
    return out


# ------------------------------------------------------------------------------------------ session state


def chart_key_for(state: Any) -> str:
    """The drawable chart's key in a session state (renewed after each gesture: a fresh chart, no selection)."""
    return f"draw-chart-{state['_draw_version'] if '_draw_version' in state else 0}"


def chart_key() -> str:
    return chart_key_for(st.session_state)


def _new_chart() -> None:
    st.session_state["_draw_version"] = st.session_state.get("_draw_version", 0) + 1


def _rebase_editor(text: str) -> None:
    st.session_state["_editor_version"] = st.session_state.get("_editor_version", 0) + 1
    st.session_state["_editor_base"] = text


def set_text(text: str, *, remember: str | None) -> None:
    """Make ``text`` the drawing (the bound text widget, the table's base), pushing ``remember`` on the undo
    stack. Allowed in callbacks and before the text widget is drawn."""
    if remember is not None:
        stack = st.session_state.setdefault("_draw_undo", [])
        stack.append(remember)
        del stack[:-UNDO_DEPTH]
    st.session_state["components"] = text
    st.session_state["_draw_cleared"] = text == ""
    _rebase_editor(text)
    _new_chart()


def consume_selection(text: str) -> None:
    """Apply the chart's pending selection (if any) to ``text`` once; leave the outcome for :func:`notes`."""
    state = st.session_state.get(chart_key())
    selection = _selection_of(state)
    if selection is None:
        return
    edit = apply_selection(
        text,
        selection,
        scale=float(st.session_state.get("draw_scale", 0.5)),
        weight=float(st.session_state.get("draw_weight", 1.0)),
    )
    if edit.text is not None:
        set_text(edit.text, remember=text)
        st.session_state["_draw_note"] = ("info", edit.message)
    else:
        _new_chart()  # a refused gesture: clear the selection too
        st.session_state["_draw_note"] = ("warning", edit.message)


def _selection_of(state: Any) -> Mapping[str, Any] | None:
    try:
        sel = state["selection"]
    except (KeyError, TypeError):
        return None
    if not any(sel.get(k) for k in ("points", "box", "lasso")):
        return None
    return sel


def _undo() -> None:
    stack = st.session_state.get("_draw_undo") or []
    if stack:
        set_text(stack.pop(), remember=None)
        st.session_state["_draw_note"] = ("info", "undone")
    else:
        st.session_state["_draw_note"] = ("info", "nothing to undo")


def _clear() -> None:
    set_text("", remember=st.session_state.get("components", ""))
    st.session_state["_draw_note"] = ("info", "cleared: click on the chart to drop a first bump")


def _preset() -> None:
    name = st.session_state.get("draw_preset")
    if name in PRESETS:
        set_text(PRESETS[name], remember=st.session_state.get("components", ""))
        st.session_state["_draw_note"] = ("info", f"preset loaded: {name}")
    st.session_state["draw_preset"] = None


def _tool_changed() -> None:
    _new_chart()


# ------------------------------------------------------------------------------------------ the blocks


def tools(page: Any) -> str:
    """The drawing tools in the sidebar: tool, bump scale and weight, undo / clear, presets. Returns the drag mode."""
    st.sidebar.caption(SHORT_HELP)
    label = st.sidebar.radio("drawing tool", list(TOOLS), key="draw_tool", help=HELP, on_change=_tool_changed)
    page.slider("bump scale (std) for a click", "draw_scale", 0.5, 0.1, 2.0, 0.05)
    page.slider("weight of a click or region", "draw_weight", 1.0, 0.1, 5.0, 0.1)
    c1, c2 = st.sidebar.columns(2)
    c1.button("↶ Undo", key="draw-undo", on_click=_undo, width="stretch", help="Back to the drawing before the last.")
    c2.button("✕ Clear", key="draw-clear", on_click=_clear, width="stretch", help="An empty canvas (Undo undoes it).")
    st.sidebar.selectbox(
        "start from a preset",
        list(PRESETS),
        index=None,
        placeholder="a lecture example…",
        key="draw_preset",
        on_change=_preset,
    )
    return TOOLS.get(label, "pan")


def notes() -> None:
    """The outcome of the last gesture, once (a refused one as a warning)."""
    note = st.session_state.pop("_draw_note", None)
    if note is None:
        return
    level, message = note  # built from the drawing (numbers, a preset's name): shown literally all the same
    if level == "warning":
        st.warning(f"**The drawing was kept as it was:** {md_text(message)}.", icon=":material/draw:")
    else:
        st.caption(f"✎ {md_text(message[:1].upper() + message[1:])}.")


def chart(spec: dict, drawing: CD.Drawing | None, *, tool: str, alt: str | None, config: dict) -> None:
    """The drawable chart (its own key, renewed after each gesture); presenter scaling as ``widgets.chart``, on the
    stage (scene 1's main chart)."""
    spec = presenter.scaled(drawable(spec, drawing, tool=tool))
    spec = slides.for_camera(spec, config.get("toImageButtonOptions") or {})  # the camera's slide, as widgets.chart
    spec, height = presenter.on_stage(spec, stage=True)
    st.plotly_chart(
        F.SpecFigure(spec),
        key=chart_key(),
        theme=None,
        config=config,
        width="stretch",
        height=height,
        alt=alt,
        on_select="rerun",
        # no "points": presenter.DRAW_JS sends a click as a zero-size box; with "points" a click on the chart also
        # selected the nearest hoverable arrow, and its tail (on the arrows' 0.5 grid) replaced the click
        selection_mode=("box", "lasso"),
    )
    if alt:
        st.caption(alt)
