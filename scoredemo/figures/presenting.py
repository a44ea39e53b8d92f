"""Presenter mode for figures: :func:`presented` scales a finished Plotly JSON dict for a projector."""

from __future__ import annotations

import re
from typing import Any

from scoredemo.figures._style import FONT_SIZE

#: Margins that hold text (titles, legends above the plot, play buttons and sliders below) grow with the fonts;
#: left and right are left to the axes' automargin.
_TEXT_MARGINS = ("t", "b")


def _scaled(value: Any, scale: float) -> Any:
    return round(value * scale, 2) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _walk(obj: Any, scale: float, parent: str | None) -> Any:
    """A copy of ``obj`` with every size that carries text or ink scaled: ``*font.size`` (``font``, ``tickfont``,
    ``textfont``, …), ``marker.size`` (a number; per-point arrays are left alone), ``line.width``, ``arrowwidth``,
    colour-bar ``thickness``, and the ``pad`` of play buttons and sliders (the rows they sit in below the plot).
    Typed arrays ({dtype, bdata}) are shared, never copied."""
    if isinstance(obj, list):
        return [_walk(v, scale, parent) for v in obj]
    if not isinstance(obj, dict) or "bdata" in obj:
        return obj
    out = {}
    for key, value in obj.items():
        if (
            (key == "size" and parent is not None and (parent == "marker" or parent.endswith("font")))
            or (key == "width" and parent == "line")
            or key == "arrowwidth"
            or (key == "thickness" and parent == "colorbar")
            or parent == "pad"  # the play buttons' and slider's distance below the plot: their rows grow too
        ):
            out[key] = _scaled(value, scale)
        else:
            out[key] = _walk(value, scale, key)
    return out


def presented(spec: dict, scale: float = 1.5) -> dict:
    """The figure ``spec`` (data, layout, frames) for a projector, as a new dict (``spec`` is not changed: it may
    be a cached builder's result).

    Every font size (layout, titles, axes, ticks, legend, annotations, colour bars, play buttons, slider label),
    marker size, line width and arrow width is multiplied by ``scale``, in the traces and in every animation
    frame (a frame replaces its traces' markers, so an unscaled frame would shrink them back when played); the
    base font is set when the layout has none, and the top and bottom margins grow by ``scale`` so titles,
    legends and sliders keep their room; the figure's height grows by as much, so its plot area is never smaller
    than in the page (presenter mode makes charts larger, never smaller).
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    out = _walk(spec, scale, None)
    layout = out.setdefault("layout", {})
    font = layout.setdefault("font", {})
    font.setdefault("size", round(FONT_SIZE * scale, 2))
    margin = layout.get("margin")
    if isinstance(margin, dict):
        layout["margin"] = {k: _scaled(v, scale) if k in _TEXT_MARGINS else v for k, v in margin.items()}
        # never smaller: the figure grows by what its text margins grew, so the plot area keeps its height (a
        # 420-px meter kept its height while its margins grew, and its plot area shrank from 173 to 60 px)
        height = layout.get("height")
        if isinstance(height, int | float) and not isinstance(height, bool):
            grown = sum(
                float(layout["margin"][k]) - float(margin[k])
                for k in _TEXT_MARGINS
                if isinstance(margin.get(k), int | float)
            )
            layout["height"] = round(height + max(grown, 0.0))
    return out


#: On the stage, an animation's Play/Pause buttons sit at the left of the slider's row (a stage chart is wide): the
#: slider starts this far in (a fraction of the plot's width).
STAGE_SLIDER_X = 0.36


#: Plotly's line height in multi-line text, in font sizes.
LINE_HEIGHT = 1.3


def staged(spec: dict, min_height: int) -> dict:
    """A projector-scaled figure (:func:`presented`) laid out for presenter mode's stage, where the page gives it the
    screen's height (``height="stretch"``): its own height becomes ``min_height`` (a minimum), its top and bottom
    margins shrink to a few pixels and grow back to fit what they hold (Plotly's ``margin.autoexpand``: the legend,
    the slider and the buttons push them; the title does with ``title.automargin``), and an animation's Play/Pause
    buttons move beside its slider (one row of controls instead of two). A new dict; ``spec`` is not changed."""
    layout = dict(spec.get("layout") or {}, height=int(min_height))
    # text placed in the top margin by hand (side-by-side panels' titles) does not push it: then it stays
    top_notes = any(a.get("yref") == "paper" and float(a.get("y", 0)) >= 1.0 for a in layout.get("annotations") or [])
    margin = dict(layout.get("margin") or {})
    layout["margin"] = dict(margin, t=margin.get("t", 8) if top_notes else 8, b=8, autoexpand=True)
    if isinstance(layout.get("title"), dict):
        title = dict(layout["title"], automargin=True)
        # Plotly anchors a title's *first* line at the top: each further line (<br>) would stick out above the
        # chart (scene 2's "Langevin: 1000 particles" under the scene's title): pad it down by their height
        extra = str(title.get("text") or "").count("<br>")
        if extra:
            size = float((title.get("font") or {}).get("size") or (layout.get("font") or {}).get("size") or 12)
            pad = dict(title.get("pad") or {})
            title.update(yanchor="top", pad=dict(pad, t=float(pad.get("t", 0)) + extra * LINE_HEIGHT * size))
        layout["title"] = title
    menus, sliders = layout.get("updatemenus"), layout.get("sliders")
    if menus and sliders:
        row = (sliders[0].get("pad") or {}).get("t", 0)
        layout["updatemenus"] = [dict(menus[0], pad=dict(menus[0].get("pad") or {}, t=row))] + list(menus[1:])
        layout["sliders"] = [dict(sliders[0], x=STAGE_SLIDER_X, len=1.0 - STAGE_SLIDER_X)] + list(sliders[1:])
    return dict(spec, layout=layout)


#: What the charts' camera icon saves (Plotly's ``toImageButtonOptions``; the browser draws the file itself, no
#: server work): label → options. The PNGs are drawn at half size and scale 2, so the text on the slide is as large
#: relative to the picture as on a 960-px-wide chart on screen; the SVG has the same 16:9 layout, as vectors.
IMAGE_FORMATS: dict[str, dict[str, Any]] = {
    "PNG 1920 × 1080 (16:9 slide)": {"format": "png", "width": 960, "height": 540, "scale": 2},
    "PNG 1080 × 1080 (square)": {"format": "png", "width": 540, "height": 540, "scale": 2},
    "SVG 16:9 (vector)": {"format": "svg", "width": 960, "height": 540, "scale": 1},
}
DEFAULT_IMAGE_FORMAT = next(iter(IMAGE_FORMATS))


def image_button_options(choice: str, filename: str) -> dict[str, Any]:
    """The chart config's ``toImageButtonOptions`` for one of :data:`IMAGE_FORMATS` (an unknown label: the
    default) and a file name without extension. The file is ``width·scale × height·scale`` pixels."""
    return {**IMAGE_FORMATS.get(choice, IMAGE_FORMATS[DEFAULT_IMAGE_FORMAT]), "filename": filename}


# ------------------------------------------------------------------------------------------ slides

#: Pixels (layout units) kept free at the slide's top edge, and between the title or legend row and the plot.
SLIDE_EDGE = 12
SLIDE_GAP = 8
#: The bottom margin of a chart without controls (``style_layout``'s): tick labels and the axis title.
SLIDE_BOTTOM = 60
#: What a colour bar takes beside the plot (bar, ticks, labels) when the plot is placed for the slide.
COLORBAR_ROOM = 110
#: Trace types that never take a legend entry (a heatmap's scale is its colour bar).
_NO_LEGEND = ("heatmap", "contour", "image", "histogram2d", "histogram2dcontour")


def _font_size(obj: Any, default: float) -> float:
    size = ((obj or {}).get("font") or {}).get("size") if isinstance(obj, dict) else None
    return float(size) if isinstance(size, int | float) else default


def _plain(text: Any) -> str:
    """The characters a label shows (tags such as ``<sub>`` dropped)."""
    return re.sub(r"<[^>]*>", "", str(text or ""))


def _legend_items(spec: dict) -> list[str]:
    """The names the legend shows: one per trace or legend group, for traces that do not hide their entry."""
    if spec.get("layout", {}).get("showlegend") is False:
        return []
    names, groups = [], set()
    for trace in spec.get("data", []):
        if trace.get("showlegend") is False or trace.get("type", "scatter") in _NO_LEGEND or not trace.get("name"):
            continue
        group = trace.get("legendgroup") or f"#{len(names)}"
        if group not in groups:
            groups.add(group)
            names.append(_plain(trace["name"]))
    return names


def _text_width(text: str, size: float) -> float:
    """A generous estimate of a label's width in pixels (Arial: about 0.55 em per character)."""
    return 0.58 * size * len(text)


def _legend_above(legend: dict) -> bool:
    return legend.get("orientation") == "h" and float(legend.get("y", 1.02)) >= 1.0


_AXIS_KEY = re.compile(r"[xy]axis\d*")


def _axis_keys(layout: dict) -> tuple[list[str], list[str]]:
    keys = sorted(k for k in layout if _AXIS_KEY.fullmatch(k))
    return [k for k in keys if k[0] == "x"], [k for k in keys if k[0] == "y"]


def _aspect(layout: dict) -> float | None:
    """Width / height of the plot area of a one-panel chart with equal scales (``scaleanchor``, fixed ranges);
    None for any other chart (several panels, free scales, no ranges)."""
    xs, ys = _axis_keys(layout)
    if len(xs) != 1 or len(ys) != 1:
        return None
    x, y = layout[xs[0]], layout[ys[0]]
    xr, yr = x.get("range"), y.get("range")
    if y.get("scaleanchor") != "x" or not xr or not yr:
        return None
    ratio = float(y.get("scaleratio", 1.0))
    dx, dy = abs(float(xr[1]) - float(xr[0])), abs(float(yr[1]) - float(yr[0]))
    return dx / (dy * ratio) if dx > 0 and dy > 0 and ratio > 0 else None


def slide_patch(spec: dict, width: int, height: int) -> dict[str, Any]:
    """What :func:`slide_layout` changes in the layout of ``spec``, as top-level layout keys with their new values:
    each a whole value, except the axes (``xaxis``, ``yaxis2``, …), whose entries are merged into the axis
    (:func:`apply_slide_patch`); ``updatemenus`` and ``sliders`` become ``[]``. The page's camera script applies
    this same patch to the chart as it stands (``scoredemo.app.slides``).

    Every axis gets its ``domain`` back as the figure gave it ([0, 1] when it gave none): plotly.js writes the
    domain it shrank for equal scales (``constrain="domain"``) into the live chart's layout, and that screen-sized
    domain would shrink the slide's plot again.

    With W × H the slide's layout size (pixels before the export's ``scale``):

    - no Play/Pause buttons, no slider and no slider label; the bottom margin that held them goes back to
      ``SLIDE_BOTTOM`` (the tick labels and the axis title);
    - the top margin is the rows above the plot, no more: ``SLIDE_EDGE`` + the title's row (1.3 × its font) +
      the tallest of the legend's rows above the plot (1.6 × its font each; the row count estimated from the
      labels' widths) and the panel titles (1.5 × their font) + ``SLIDE_GAP``; never more than the chart had;
    - a one-panel chart with equal scales (a plot of the plane, aspect a = Δx/Δy) on a wide slide gets the whole
      height: its plot area is h = H − t − b high and a·h wide, and the left and right margins are set so the
      paper is exactly the plot area, centred with what sits on its right (the legend, moved from above the plot
      to its right as a column, and a colour bar); the title then starts at the plot's left edge.

    Fonts are kept: a 960 × 540 slide exported at scale 2 shows an 18-px chart font as 36 px on 1080 (1/30 of
    the height, the size of slide body text); in presenter mode the chart's fonts are 1.5× that already.
    """
    layout = spec.get("layout", {})
    base = _font_size(layout, FONT_SIZE)
    margin = dict(layout.get("margin") or {})
    old_t, old_b = float(margin.get("t", 100)), float(margin.get("b", 80))
    old_l, old_r = float(margin.get("l", 80)), float(margin.get("r", 80))
    had_controls = bool(layout.get("updatemenus") or layout.get("sliders"))
    b = min(old_b, SLIDE_BOTTOM) if had_controls else old_b

    title = layout.get("title") if isinstance(layout.get("title"), dict) else None
    title_row = 1.3 * _font_size(title, base + 2) if title and title.get("text") else 0.0
    legend = dict(layout.get("legend") or {})
    items = _legend_items(spec)
    legend_size = _font_size(legend, base)
    item_widths = [_text_width(n, legend_size) + 50 for n in items]  # symbol, gap and label
    panel_titles = [
        a for a in layout.get("annotations") or [] if a.get("yref") == "paper" and float(a.get("y", 0)) >= 1.0
    ]
    panel_row = max((1.5 * _font_size(a, base) for a in panel_titles), default=0.0)

    patch: dict[str, Any] = {"width": width, "height": height, "updatemenus": [], "sliders": []}
    aspect = _aspect(layout)
    beside = 0.0  # room taken right of the plot by the legend column and the colour bar
    legend_right = False
    if aspect is not None and width >= 1.3 * height:
        colorbar = any(t.get("type") == "heatmap" and t.get("showscale", True) for t in spec.get("data", []))
        beside = COLORBAR_ROOM if colorbar else 0.0
        if items and _legend_above(legend) and not colorbar:
            legend_right, beside = True, max(item_widths) + 20
    legend_rows = 0
    if items and _legend_above(legend) and not legend_right:
        paper = max(width - old_l - old_r, 1.0)
        legend_rows, used = 1, 0.0
        for w in item_widths:  # Plotly wraps a horizontal legend onto a new row when the next item does not fit
            if used and used + w > paper:
                legend_rows, used = legend_rows + 1, 0.0
            used += w
    legend_row = legend_rows * 1.6 * legend_size
    t = min(old_t, SLIDE_EDGE + title_row + max(legend_row, panel_row) + SLIDE_GAP)
    left, right = old_l, old_r
    if aspect is not None and width >= 1.3 * height:
        side_h = height - t - b
        plot_w = aspect * side_h
        spare = width - plot_w - beside
        if side_h > 0 and spare >= 2 * max(old_l, 60):  # room for the tick labels on the left
            left = spare / 2
            right = width - left - plot_w
    patch["margin"] = {**margin, "t": round(t, 1), "b": round(b, 1), "l": round(left, 1), "r": round(right, 1)}
    if legend_right:
        patch["legend"] = {
            **legend, "orientation": "v", "x": 1.02, "xanchor": "left", "y": 1.0, "yanchor": "top",
        }  # fmt: skip
    if title_row:
        # at the top edge, from the plot's left edge: a title flush with the slide's edge was cut by the viewer
        patch["title"] = {
            **title, "xref": "paper", "x": 0.0, "xanchor": "left", "yref": "container", "y": 1.0, "yanchor": "top",
            "pad": {**(title.get("pad") or {}), "t": SLIDE_EDGE, "l": 0},
        }  # fmt: skip
    xs, ys = _axis_keys(layout)
    for key in xs + ys:
        patch[key] = {"domain": list(layout[key].get("domain", [0.0, 1.0]))}
    meta = layout.get("meta")
    if isinstance(meta, dict) and "slide" in meta:
        patch["meta"] = {k: v for k, v in meta.items() if k != "slide"}
    return patch


def slide_layout(spec: dict, width: int = 960, height: int = 540) -> dict:
    """The figure ``spec`` as a slide of ``width`` × ``height`` layout pixels, a new dict (``spec`` is not
    changed; its trace data are shared): the chart alone, filling the slide (see :func:`slide_patch`), with
    no animation frames (a slide is a still: the traces as they are).

    The camera icon on the page and ``python -m scoredemo slides`` both lay a slide out this way."""
    layout = apply_slide_patch(spec.get("layout", {}), slide_patch(spec, width, height))
    return {"data": spec.get("data", []), "layout": layout}


def apply_slide_patch(layout: dict, patch: dict) -> dict:
    """``layout`` with ``patch`` (:func:`slide_patch`) applied, as a new dict: axes merged one level, every other
    key replaced, and empty ``updatemenus`` / ``sliders`` removed. ``slides.SLIDE_JS`` does the same in the page."""
    out = dict(layout)
    for key, value in patch.items():
        out[key] = {**(layout.get(key) or {}), **value} if _AXIS_KEY.fullmatch(key) else value
    for key in ("updatemenus", "sliders"):
        if not out.get(key):
            out.pop(key, None)
    return out


def _set_path(obj: dict, path: str, value: Any) -> None:
    """Set an attribute path of a Plotly layout ("xaxis.range", "images[2].visible") in place, as Plotly.animate
    applies a frame's layout; a path into a missing list item is ignored."""
    parts = re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)
    target: Any = obj
    for i, (name, index) in enumerate(parts):
        key: Any = int(index) if index else name
        last = i == len(parts) - 1
        if isinstance(target, list):
            if not isinstance(key, int) or key >= len(target):
                return
            if last:
                target[key] = value
                return
            target[key] = dict(target[key])
            target = target[key]
        else:
            if last:
                target[key] = value
                return
            nxt = target.get(key)
            target[key] = list(nxt) if isinstance(nxt, list) else dict(nxt or {})
            target = target[key]


def still_frame(spec: dict, index: int = -1) -> dict:
    """The figure as it shows animation frame ``index`` (default: the last), as a new dict without frames: each
    frame trace merged into the trace it names (``traces``, else by position), and the frame's layout paths set,
    as ``Plotly.animate`` does. A figure without frames is returned as it is (without ``frames``)."""
    frames = spec.get("frames") or []
    out = {"data": list(spec.get("data", [])), "layout": dict(spec.get("layout", {}))}
    if not frames:
        return out
    frame = frames[index]
    targets = frame.get("traces") or list(range(len(frame.get("data", []))))
    for i, trace in zip(targets, frame.get("data", []), strict=False):
        if 0 <= i < len(out["data"]):
            out["data"][i] = {**out["data"][i], **trace}
    for path, value in (frame.get("layout") or {}).items():
        _set_path(out["layout"], path, value)
    return out
