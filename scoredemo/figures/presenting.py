"""Presenter mode for figures: :func:`presented` scales a finished Plotly JSON dict for a projector."""

from __future__ import annotations

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


def staged(spec: dict, min_height: int) -> dict:
    """A projector-scaled figure (:func:`presented`) laid out for presenter mode's stage, where the page gives it the
    screen's height (``height="stretch"``): its own height becomes ``min_height`` (a minimum), its top and bottom
    margins shrink to a few pixels and grow back to fit what they hold (Plotly's ``margin.autoexpand``: the legend,
    the slider and the buttons push them; the title does with ``title.automargin``), and an animation's Play/Pause
    buttons move beside its slider (one row of controls instead of two). A new dict; ``spec`` is not changed."""
    layout = dict(spec.get("layout") or {}, height=int(min_height))
    # text placed in the top margin by hand (side-by-side panels' titles) does not push it: then it stays
    top_notes = any(
        a.get("yref") == "paper" and float(a.get("y", 0)) >= 1.0 for a in layout.get("annotations") or []
    )
    margin = dict(layout.get("margin") or {})
    layout["margin"] = dict(margin, t=margin.get("t", 8) if top_notes else 8, b=8, autoexpand=True)
    if isinstance(layout.get("title"), dict):
        layout["title"] = dict(layout["title"], automargin=True)
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
