"""What every figure shares: the palette, the compact template, the projector layout, typed arrays, ``SpecFigure``.

Each builder in this package returns a finished Plotly JSON dict: numeric arrays go in as plotly.js typed arrays
(:func:`typed_array`; :func:`decode_arrays` is the inverse, for tests), the layout starts from :func:`style_layout`.
"""

from __future__ import annotations

import base64
import functools
import itertools
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
#: Order used for categorical series (modes, runs).
SERIES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
#: Light sequential scale for densities: white (p = 0) to Okabe–Ito blue; dark particles stay visible on it.
DENSITY_SCALE = [[0.0, "#FFFFFF"], [0.35, "#CFE6F5"], [0.7, "#7FBCE6"], [1.0, "#2F7FB8"]]
#: Sequential scale for errors / magnitudes: white to vermillion.
ERROR_SCALE = [[0.0, "#FFFFFF"], [0.4, "#F6C9A8"], [1.0, "#B24400"]]

FONT_SIZE = 18
LEGEND_FONT = 16
COORD_DECIMALS = 3
#: The typeface of every chart (the GIF/MP4 export draws with a metric-compatible TrueType font: Liberation Sans).
FONT_FAMILY = "Arial, Helvetica, sans-serif"

#: The look of a particle animation, shared by the Plotly chart (:mod:`.animation`) and the GIF/MP4 export
#: (:mod:`scoredemo.export`). Sizes and widths are Plotly pixels at the chart's height ``ANIMATION_HEIGHT`` with
#: margins ``ANIMATION_MARGIN``; the export scales them to its own resolution.
ANIMATION_HEIGHT = 720
ANIMATION_MARGIN = {"l": 50, "r": 20, "t": 120, "b": 120}
PARTICLE_OPACITY = 0.75
TRAIL_COLOR = OKABE_ITO["black"]
TRAIL_WIDTH = 1.5
TRAIL_OPACITY = 0.8
HEAD_SIZE = 11  # the highlighted particles: yellow discs with a black ring
HEAD_COLOR = OKABE_ITO["yellow"]
HEAD_LINE_COLOR = "#000000"
HEAD_LINE_WIDTH = 2
AXIS_COLOR = "rgb(36,36,36)"


# ------------------------------------------------------------------------------------------------ helpers


def _clean(a: np.ndarray) -> np.ndarray:
    """float32, rounded to 3 decimals, non-finite values replaced (never NaN/inf in a chart)."""
    a = np.asarray(a, np.float32)
    a = np.nan_to_num(a, nan=0.0, posinf=1e6, neginf=-1e6)
    return np.round(a, COORD_DECIMALS).astype(np.float32)


def _finite(a: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.asarray(a, np.float64), nan=0.0, posinf=0.0, neginf=0.0)


#: Plotly's "simple_white" look, cut to what these 2-D charts use. The full template costs ~7 ms to build per
#: figure and ships ~8.6 kB of 3-D/polar/geo defaults with every chart; this one costs ~0.3 ms.
_AXIS = {
    "gridcolor": "rgb(232,232,232)",
    "linecolor": AXIS_COLOR,
    "showgrid": False,
    "showline": True,
    "ticks": "outside",
    "title": {"standoff": 15},
    "zerolinecolor": AXIS_COLOR,
    "automargin": True,
    "zeroline": False,
}
_COLORBAR = {"outlinewidth": 1, "tickcolor": AXIS_COLOR, "ticks": "outside"}
TEMPLATE = {
    "data": {
        "bar": [{"marker": {"line": {"color": "white", "width": 0.5}}}],
        "heatmap": [{"colorbar": _COLORBAR}],
    },
    "layout": {
        "autotypenumbers": "strict",
        "colorway": SERIES,
        "font": {"color": AXIS_COLOR},
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "coloraxis": {"colorbar": _COLORBAR},
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "annotationdefaults": {"arrowhead": 0, "arrowwidth": 1},
        "shapedefaults": {"fillcolor": "black", "line": {"width": 0}, "opacity": 0.3},
    },
}


def style_layout(*, kind: str, title: str | None = None, height: int = 560) -> dict:
    """The projector styling shared by every figure, as a plain layout dict (fonts, white background, legend on top,
    ``meta.kind`` for tests)."""
    layout = dict(
        template=TEMPLATE,
        font=dict(size=FONT_SIZE, family=FONT_FAMILY),
        legend=dict(font=dict(size=LEGEND_FONT), orientation="h", yanchor="bottom", y=1.02, x=0.0),
        margin=dict(l=60, r=30, t=110 if title else 50, b=60),
        height=height,
        meta={"kind": kind},
    )
    if title:
        # pinned to the top of the figure: the legend row(s) above the plot get the rest of the top margin, so a
        # legend that wraps in a narrow column never runs into the title
        # Plotly puts a title's extra lines ("<br>") above its first: pushed down by as many lines, or they are cut
        layout["title"] = dict(
            text=title, font=dict(size=FONT_SIZE + 2), x=0.0, xanchor="left", y=1.0, yref="container",
            yanchor="top", pad=dict(t=10 + round(1.3 * (FONT_SIZE + 2)) * title.count("<br>")),
        )  # fmt: skip
    return layout


#: The width of an average character of the charts' typeface, in units of its font size (Arial: "fraction that has
#: reached the other mode", 40 characters at 18 px, is 396 px wide).
CHAR_WIDTH = 0.55


def wrap_words(text: str, room_px: float, font_size: int = FONT_SIZE, max_lines: int = 3) -> str:
    """``text`` broken at spaces into as few lines ("<br>") as fit ``room_px`` each (at most ``max_lines``), the
    lines as even as the words allow."""
    words = text.split(" ")
    if len(text) * CHAR_WIDTH * font_size <= room_px or len(words) == 1:
        return text
    per_line = max(room_px / (CHAR_WIDTH * font_size), 1.0)
    best = None
    for n in range(2, min(max_lines, len(words)) + 1):
        for cuts in itertools.combinations(range(1, len(words)), n - 1):
            lines = [" ".join(words[a:b]) for a, b in zip((0, *cuts), (*cuts, len(words)), strict=True)]
            widest = max(len(line) for line in lines)
            if best is None or widest < best[0]:
                best = (widest, lines)
        if best[0] <= per_line:
            break
    return "<br>".join(best[1])


def fit_y_titles(layout: dict) -> dict:
    """Break each y-axis title of ``layout`` into lines no longer than its axis (the plot's height: the figure's
    height less its top and bottom margins, times the axis's domain; a tenth less for the margins Plotly adds for
    tick labels): a longer title runs past the plot, over the chart's title or out of the chart. Returns
    ``layout``."""
    margin = layout.get("margin") or {}
    plot = float(layout.get("height") or 450) - float(margin.get("t", 100)) - float(margin.get("b", 80))
    for name, axis in layout.items():
        title = axis.get("title") if name.startswith("yaxis") and isinstance(axis, dict) else None
        if isinstance(title, dict) and title.get("text"):
            title["text"] = str(title["text"]).replace("<br>", " ")  # laid out afresh (a caller changed the margins)
            lo, hi = axis.get("domain") or (0.0, 1.0)
            size = (title.get("font") or {}).get("size") or (layout.get("font") or {}).get("size") or FONT_SIZE
            title["text"] = wrap_words(str(title["text"]), 0.9 * plot * (hi - lo), int(size))
    return layout


#: Opacity and title colour of a figure drawn as the previous result while new settings wait for training.
STALE_OPACITY = 0.3
STALE_COLOUR = "#8C8C8C"


def greyed(spec: dict, label: str) -> dict:
    """A copy of a finished figure drawn faded, ``label`` (e.g. "previous setting: ssm-vr, 2000 steps") in grey
    in front of its title: what a page shows while its changed settings wait for the Train button.
    ``layout.meta.stale`` holds the label (for tests)."""
    out = dict(spec)
    out["data"] = [dict(t, opacity=STALE_OPACITY * float(t.get("opacity", 1.0))) for t in spec["data"]]
    layout = dict(spec["layout"])
    if layout.get("images"):
        layout["images"] = [dict(im, opacity=STALE_OPACITY) for im in layout["images"]]
    old = (layout.get("title") or {}).get("text", "")
    layout["title"] = dict(
        layout.get("title") or {},
        text=label + (f" · {old}" if old else ""),
        font=dict(size=FONT_SIZE, color=STALE_COLOUR),
        x=0.0,
        xanchor="left",
    )
    layout["margin"] = dict(layout.get("margin") or {}, t=max(int((layout.get("margin") or {}).get("t", 0)), 80))
    layout["meta"] = dict(layout.get("meta") or {}, stale=label)
    out["layout"] = layout
    return out


def _square_axis_pair(box: float, x_ref: str = "x") -> tuple[dict, dict]:
    """Fixed axes on [−box, box]² with equal scales (one unit as long across as up): (xaxis, yaxis) settings."""
    x = dict(range=[-box, box], autorange=False, constrain="domain", showgrid=False)
    return x, dict(x, scaleanchor=x_ref, scaleratio=1)


@functools.cache
def _row_layout(cols: int, spacing: float, *, titled: bool = False) -> dict:
    """The axes (and, ``titled``, one title annotation per panel) of a 1 × cols subplot grid as ``make_subplots``
    lays them out: built once, deep-copied per figure."""
    titles = [f"panel {j}" for j in range(cols)] if titled else None
    return make_subplots(rows=1, cols=cols, horizontal_spacing=spacing, subplot_titles=titles).layout.to_plotly_json()


@functools.cache
def _column_layout(rows: int, spacing: float) -> dict:
    """The axes of a rows × 1 subplot grid (panels one under the other) as ``make_subplots`` lays them out."""
    return make_subplots(rows=rows, cols=1, vertical_spacing=spacing).layout.to_plotly_json()


def _subsample(n: int, cap: int) -> np.ndarray:
    """Indices of at most ``cap`` of ``n`` items, evenly spread, first and last included."""
    return np.arange(n) if n <= cap else np.linspace(0, n - 1, cap).round().astype(int)


def typed_array(a: np.ndarray, dtype: str = "f4") -> dict:
    """A 1-D array as a plotly.js typed array ({dtype, bdata}: base64 little-endian), the form Plotly's own JSON
    encoder sends numpy arrays in; built directly it skips Plotly's per-array validation and copies."""
    np_dtype = {"f4": "<f4", "f8": "<f8", "i4": "<i4"}[dtype]
    return {"dtype": dtype, "bdata": base64.b64encode(np.ascontiguousarray(a, np_dtype).tobytes()).decode("ascii")}


#: plotly.js typed-array dtypes -> numpy (little-endian)
_TYPED = {
    "f4": "<f4",
    "f8": "<f8",
    "i1": "i1",
    "i2": "<i2",
    "i4": "<i4",
    "i8": "<i8",
    "u1": "u1",
    "u2": "<u2",
    "u4": "<u4",
}


def decode_arrays(obj: Any) -> Any:
    """The inverse of :func:`typed_array` over a whole Plotly JSON structure: every {dtype, bdata[, shape]} becomes a
    numpy array (reshaped when a shape is given); everything else is returned as it is."""
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            arr = np.frombuffer(base64.b64decode(obj["bdata"]), _TYPED[obj["dtype"]])
            if "shape" in obj:
                arr = arr.reshape([int(n) for n in str(obj["shape"]).split(",")])
            return arr
        return {k: decode_arrays(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [decode_arrays(v) for v in obj]
    return obj


class SpecFigure(go.Figure):
    """A figure handed over as a finished Plotly JSON dict (e.g. :func:`animation_spec`): ``to_dict`` returns that
    dict as is, so ``st.plotly_chart`` serialises it without building and validating ``go`` objects again.
    Correctness of the dict is the builder's job (tests validate each builder's output with ``go.Figure``)."""

    def __init__(self, spec: dict):
        super().__init__()
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec

    def to_plotly_json(self) -> dict:
        return self._spec
