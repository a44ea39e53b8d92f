"""Pure figure builders for the app: numpy arrays in, Plotly figures out (no Streamlit here).

The figures of the interactive pages come as ``*_spec`` functions returning finished Plotly JSON dicts (typed
arrays, a compact template) that the app sends as they are (:class:`SpecFigure`): building and validating
``go`` objects cost more than everything else in a rerun. Their ``*_figure`` twins return the same figure as a
validated ``go.Figure`` (tests, notebooks); the other builders return ``go.Figure`` directly.

Conventions for a projector: large fonts, the Okabe–Ito colour-blind-safe palette, fixed square axes on
[−box, box]², and every figure tagged with ``layout.meta = {"kind": ...}`` so tests can find it in a page.
Animations are Plotly frames played in the browser (play/pause buttons and a scrub slider); coordinates are
float32 rounded to 3 decimals to keep the payload small.
"""

from __future__ import annotations

import base64
import copy
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    "linecolor": "rgb(36,36,36)",
    "showgrid": False,
    "showline": True,
    "ticks": "outside",
    "title": {"standoff": 15},
    "zerolinecolor": "rgb(36,36,36)",
    "automargin": True,
    "zeroline": False,
}
_COLORBAR = {"outlinewidth": 1, "tickcolor": "rgb(36,36,36)", "ticks": "outside"}
TEMPLATE = {
    "data": {
        "bar": [{"marker": {"line": {"color": "white", "width": 0.5}}}],
        "heatmap": [{"colorbar": _COLORBAR}],
    },
    "layout": {
        "autotypenumbers": "strict",
        "colorway": SERIES,
        "font": {"color": "rgb(36,36,36)"},
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
        font=dict(size=FONT_SIZE, family="Arial, Helvetica, sans-serif"),
        legend=dict(font=dict(size=LEGEND_FONT), orientation="h", yanchor="bottom", y=1.02, x=0.0),
        margin=dict(l=60, r=30, t=80 if title else 50, b=60),
        height=height,
        meta={"kind": kind},
    )
    if title:
        layout["title"] = dict(text=title, font=dict(size=FONT_SIZE + 2), x=0.0, xanchor="left")
    return layout


def style(fig: go.Figure, *, kind: str, title: str | None = None, height: int = 560) -> go.Figure:
    """Apply :func:`style_layout` to a figure."""
    layout = style_layout(kind=kind, title=title, height=height)
    # assigned, not merged: update_layout would merge it key by key into Plotly's default template (~30 ms)
    fig.layout.template = _template()
    del layout["template"]
    fig.update_layout(**layout)
    return fig


@functools.cache
def _template() -> go.layout.Template:
    return go.layout.Template(TEMPLATE)


def _square_axis_pair(box: float, x_ref: str = "x") -> tuple[dict, dict]:
    """Fixed axes on [−box, box]² with equal scales (one unit as long across as up): (xaxis, yaxis) settings."""
    x = dict(range=[-box, box], autorange=False, constrain="domain", showgrid=False)
    return x, dict(x, scaleanchor=x_ref, scaleratio=1)


def _square_axes(fig: go.Figure, box: float, *, row: int | None = None, col: int | None = None) -> None:
    kw = {} if row is None else dict(row=row, col=col)
    x_ref = "x" if row is None else fig.get_subplot(row, col).xaxis.plotly_name.replace("axis", "")
    x, y = _square_axis_pair(box, x_ref)
    fig.update_xaxes(**x, **kw)
    fig.update_yaxes(**y, **kw)


def _colour_table(scale: list, n: int = 256) -> np.ndarray:
    stops = np.array([v for v, _ in scale])
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for _, c in scale], np.float64)
    t = np.linspace(0.0, 1.0, n)
    return np.stack([np.interp(t, stops, rgb[:, k]) for k in range(3)], axis=-1).astype(np.uint8)


def density_image(z: np.ndarray, *, log: bool = False) -> str:
    """A density grid (rows = increasing y) as a PNG data URI in DENSITY_SCALE colours.

    Used under arrows: Plotly draws heatmaps above quiver traces, so the density goes into a layout image
    (layer "below") instead — which is also a smaller payload than a heatmap.
    """
    import base64  # noqa: PLC0415
    import io  # noqa: PLC0415

    from PIL import Image  # noqa: PLC0415 - Pillow ships with Streamlit

    z = _finite(z)
    if log:
        top = float(z.max())
        z = (np.clip(z, top - 30.0, top) - (top - 30.0)) / 30.0
    else:
        z = z / max(float(z.max()), 1e-300)
    idx = np.clip((z * 255).round().astype(int), 0, 255)
    rgb = _colour_table(DENSITY_SCALE)[idx[::-1]]  # image row 0 is the top (largest y)
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _add_density_image(fig: go.Figure, xs, ys, z, *, log: bool = False, suffix: str = "") -> None:
    """The density as a layout image (layer "below") covering its grid cells on axes x{suffix}/y{suffix}."""
    fig.add_layout_image(**_density_image_spec(xs, ys, z, log=log, suffix=suffix))


def arrow_vectors(score: np.ndarray, cell: float, *, mode: str = "direction") -> np.ndarray:
    """Arrow (u, v) for a score field on a grid of spacing ``cell``.

    mode="direction": every arrow 0.8 cell long (s/‖s‖). mode="magnitude": length ∝ ‖s‖, scaled so the
    95th-percentile magnitude is one cell, and capped at 2 cells (a thin ring's score is huge near its centre).
    """
    s = _finite(score)
    mag = np.linalg.norm(s, axis=-1, keepdims=True)
    if mode == "direction":
        return 0.8 * cell * s / np.maximum(mag, 1e-12)
    ref = max(float(np.quantile(mag, 0.95)), 1e-12)
    length = np.minimum(mag / ref, 2.0) * cell
    return length * s / np.maximum(mag, 1e-12)


def quiver_dict(points: np.ndarray, uv: np.ndarray, *, color: str = "#000000", name: str = "score s(x)") -> dict:
    """Arrows at ``points`` (n, 2) with vectors ``uv`` (n, 2) in data units (anchored at the tail), as a trace dict."""
    return dict(
        type="quiver",
        x=typed_array(_clean(points[:, 0])),
        y=typed_array(_clean(points[:, 1])),
        u=typed_array(_clean(uv[:, 0])),
        v=typed_array(_clean(uv[:, 1])),
        anchor="tail",
        arrowref="data",
        lengthmode="raw",
        marker=dict(color=color, line=dict(width=1.6), arrowsize=1.2),
        name=name,
        hoverinfo="skip",
    )


def quiver_trace(points: np.ndarray, uv: np.ndarray, *, color: str = "#000000", name: str = "score s(x)") -> go.Quiver:
    """:func:`quiver_dict` as a ``go.Quiver``."""
    return go.Quiver(quiver_dict(points, uv, color=color, name=name))


# ------------------------------------------------------------------------------------------------ static


@dataclass
class FieldPanel:
    """One panel of a score-field picture: the density grid under the arrow grid."""

    xs: np.ndarray
    ys: np.ndarray
    density: np.ndarray  # (len(ys), len(xs))
    points: np.ndarray  # (n, 2) arrow tails
    score: np.ndarray  # (n, 2)
    title: str = ""
    log: bool = False
    color: str = "#000000"
    overlay: np.ndarray | None = None  # optional (m, 2) points drawn on top (e.g. data samples)


def _points_dict(points: np.ndarray, *, color: str, name: str, opacity: float) -> dict:
    return dict(
        type="scatter",
        x=typed_array(_clean(points[:, 0])),
        y=typed_array(_clean(points[:, 1])),
        mode="markers",
        marker=dict(size=4, color=color, opacity=opacity),
        name=name,
        hoverinfo="skip",
    )


def score_field_spec(
    panels: Sequence[FieldPanel], *, box: float, mode: str = "direction", title: str | None = None, height: int = 560
) -> dict:
    """Side-by-side density + score-arrow panels on identical fixed axes (kind="score-field"), as a finished Plotly
    dict (see :class:`SpecFigure`)."""
    n = len(panels)
    layout = copy.deepcopy(_row_layout(n, 0.06, titled=True))
    data, images = [], []
    for j, p in enumerate(panels, start=1):
        suffix = "" if j == 1 else str(j)
        axes = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        cell = 2.0 * box / max(int(round(np.sqrt(len(p.points)))) - 1, 1)
        images.append(_density_image_spec(p.xs, p.ys, p.density, log=p.log, suffix=suffix))
        data.append(
            dict(
                quiver_dict(p.points, arrow_vectors(p.score, cell, mode=mode), color=p.color, name=f"score {j}"), **axes
            )
        )
        if p.overlay is not None and len(p.overlay):
            data.append(
                dict(_points_dict(p.overlay, color=OKABE_ITO["vermillion"], name="data samples", opacity=0.6), **axes)
            )
        x, y = _square_axis_pair(box, f"x{suffix}")
        layout[f"xaxis{suffix}"].update(x)
        layout[f"yaxis{suffix}"].update(y)
        layout["annotations"][j - 1].update(text=p.title, font=dict(size=FONT_SIZE))
    layout.update(style_layout(kind="score-field", title=title, height=height), images=images, showlegend=False)
    return dict(data=data, layout=layout)


def score_field_figure(panels: Sequence[FieldPanel], **kw: Any) -> go.Figure:
    """:func:`score_field_spec` as a validated ``go.Figure``."""
    return go.Figure(score_field_spec(panels, **kw))


def heatmap_spec(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    *,
    box: float,
    kind: str,
    title: str | None = None,
    colorbar: str = "",
    overlay: np.ndarray | None = None,
    overlay_name: str = "data samples",
    zmax: float | None = None,
    height: int = 560,
) -> dict:
    """A non-negative scalar map (errors, differences) in white→vermillion, optionally with points on top, as a
    finished Plotly dict (see :class:`SpecFigure`)."""
    z = np.abs(_finite(z))
    top = float(zmax) if zmax is not None else max(float(np.quantile(z, 0.99)), 1e-12)
    zc = np.ascontiguousarray(np.round(np.minimum(z, top), 4), np.float32)
    data = [
        dict(
            type="heatmap",
            x=typed_array(_clean(xs)),
            y=typed_array(_clean(ys)),
            z=dict(typed_array(zc), shape=f"{zc.shape[0]}, {zc.shape[1]}"),
            zmin=0.0,
            zmax=top,
            colorscale=ERROR_SCALE,
            colorbar=dict(title=dict(text=colorbar)),
            name=colorbar,
        )
    ]
    if overlay is not None and len(overlay):
        data.append(_points_dict(overlay, color=OKABE_ITO["blue"], name=overlay_name, opacity=0.55))
    x, y = _square_axis_pair(box)
    layout = style_layout(kind=kind, title=title, height=height)
    layout.update(xaxis=x, yaxis=y)
    return dict(data=data, layout=layout)


def heatmap_figure(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, **kw: Any) -> go.Figure:
    """:func:`heatmap_spec` as a validated ``go.Figure``."""
    return go.Figure(heatmap_spec(xs, ys, z, **kw))


@functools.cache
def _row_layout(cols: int, spacing: float, *, titled: bool = False) -> dict:
    """The axes (and, ``titled``, one title annotation per panel) of a 1 × cols subplot grid as ``make_subplots``
    lays them out: built once, deep-copied per figure."""
    titles = [f"panel {j}" for j in range(cols)] if titled else None
    return make_subplots(rows=1, cols=cols, horizontal_spacing=spacing, subplot_titles=titles).layout.to_plotly_json()


def marginals_spec(
    samples: np.ndarray, grid: np.ndarray, true_x: np.ndarray, true_y: np.ndarray, *, box: float
) -> dict:
    """Histograms of the particles' x and y coordinates next to the true marginal densities (kind="marginals"),
    as a finished Plotly dict (scene 2 redraws it on every noise toggle; see :class:`SpecFigure`)."""
    x = np.asarray(samples, np.float64)
    x = x[np.all(np.isfinite(x), axis=-1)] if x.size else np.zeros((0, 2))
    bins = np.linspace(-box, box, 61)
    width = float(bins[1] - bins[0])
    centres = 0.5 * (bins[1:] + bins[:-1])
    layout = copy.deepcopy(_row_layout(2, 0.12))
    data = []
    for col, (coord, truth) in enumerate(((0, true_x), (1, true_y)), start=1):
        hist = np.histogram(x[:, coord], bins=bins)[0] if len(x) else np.zeros(len(centres))
        dens = hist / max(hist.sum() * width, 1e-12)
        axes = dict(xaxis="x" if col == 1 else f"x{col}", yaxis="y" if col == 1 else f"y{col}")
        data.append(
            dict(
                type="bar",
                x=typed_array(_clean(centres)),
                y=typed_array(np.round(dens, 4)),
                width=width,
                marker=dict(color=OKABE_ITO["sky"], line=dict(width=0)),
                name="particles",
                showlegend=col == 1,
                **axes,
            )
        )
        data.append(
            dict(
                type="scatter",
                x=typed_array(_clean(grid)),
                y=typed_array(np.round(_finite(truth), 4)),
                mode="lines",
                line=dict(color=OKABE_ITO["vermillion"], width=3),
                name="true marginal",
                showlegend=col == 1,
                **axes,
            )
        )
        layout["xaxis" if col == 1 else f"xaxis{col}"].update(
            range=[-box, box], autorange=False, title=dict(text="x" if col == 1 else "y")
        )
    layout["yaxis"]["title"] = dict(text="density")
    layout.update(style_layout(kind="marginals", title="marginals: particles vs truth", height=380), bargap=0)
    return dict(data=data, layout=layout)


def marginals_figure(samples: np.ndarray, grid: np.ndarray, true_x: np.ndarray, true_y: np.ndarray, *, box: float):
    """:func:`marginals_spec` as a validated ``go.Figure``."""
    return go.Figure(marginals_spec(samples, grid, true_x, true_y, box=box))


def mode_fraction_spec(
    steps: np.ndarray,
    runs: Mapping[str, np.ndarray],
    true_weights: np.ndarray,
    *,
    mode_names: Sequence[str] | None = None,
    title: str | None = None,
    height: int = 420,
) -> dict:
    """The mode-fraction meter (kind="mode-fractions"): fraction of particles in each mode vs step, as a finished
    Plotly dict (redrawn on every π move; see :class:`SpecFigure`).

    ``runs`` maps a run label to its (F, M) fractions; each mode has one colour, runs differ by dash; the true
    weights are horizontal lines named "true π …" in the mode's colour.
    """
    steps = np.asarray(steps)
    true_weights = np.asarray(true_weights, np.float64)
    m = len(true_weights)
    names = list(mode_names) if mode_names is not None else [f"mode {k + 1}" for k in range(m)]
    shown = range(m) if m <= 4 else range(min(m, 8))
    dashes = ["solid", "dash", "dot", "dashdot"]
    x = typed_array(steps, "f8")
    data = []
    for r, (label, frac) in enumerate(runs.items()):
        frac = np.asarray(frac, np.float64)
        for k in shown:
            data.append(
                dict(
                    type="scatter",
                    x=x,
                    y=typed_array(np.round(_finite(frac[:, k]), 4), "f8"),
                    mode="lines",
                    line=dict(color=SERIES[k % len(SERIES)], width=3.5, dash=dashes[r % len(dashes)]),
                    name=f"{label}: {names[k]}",
                    meta={"role": "fraction", "run": label, "mode": k},
                )
            )
    for k in shown:
        data.append(
            dict(
                type="scatter",
                x=[float(steps[0]), float(steps[-1])],
                y=[float(true_weights[k])] * 2,
                mode="lines",
                line=dict(color=SERIES[k % len(SERIES)], width=2, dash="longdash"),
                opacity=0.6,
                name=f"true weight {names[k]} = {true_weights[k]:.2f}",
                meta={"role": "true", "mode": k},
            )
        )
    layout = style_layout(kind="mode-fractions", title=title, height=height)
    layout.update(
        yaxis=dict(range=[0, 1], autorange=False, title=dict(text="fraction of particles")),
        xaxis=dict(
            range=[float(steps[0]), float(max(steps[-1], steps[0] + 1))], autorange=False, title=dict(text="step")
        ),
        legend=dict(orientation="h", y=-0.42, yanchor="top", x=0.0, font=dict(size=14)),
        margin=dict(layout["margin"], b=170),
    )
    return dict(data=data, layout=layout)


def mode_fraction_figure(
    steps: np.ndarray, runs: Mapping[str, np.ndarray], true_weights: np.ndarray, **kw: Any
) -> go.Figure:
    """:func:`mode_fraction_spec` as a validated ``go.Figure``."""
    return go.Figure(mode_fraction_spec(steps, runs, true_weights, **kw))


def weights_bar_figure(true_weights: np.ndarray, sampled: Mapping[str, np.ndarray], *, mode_names=None):
    """Final mode weights, true vs sampled, as grouped bars (kind="weights")."""
    true_weights = np.asarray(true_weights, np.float64)
    names = list(mode_names) if mode_names is not None else [f"mode {k + 1}" for k in range(len(true_weights))]
    fig = go.Figure(go.Bar(x=names, y=np.round(true_weights, 4), name="true weights", marker_color=OKABE_ITO["black"]))
    colours = [OKABE_ITO["orange"], OKABE_ITO["sky"], OKABE_ITO["green"]]
    for j, (label, w) in enumerate(sampled.items()):
        w = np.round(_finite(w), 4)
        fig.add_trace(go.Bar(x=names, y=w, name=label, marker_color=colours[j % len(colours)]))
    fig.update_yaxes(range=[0, 1], autorange=False, title="weight")
    fig.update_layout(barmode="group")
    return style(fig, kind="weights", height=380)


def smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Moving average over ``window`` steps (shorter at the start), for a readable loss curve."""
    y = np.asarray(y, np.float64)
    if window <= 1 or len(y) == 0:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    idx = np.arange(1, len(y) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def loss_curve_figure(
    curves: Mapping[str, np.ndarray],
    *,
    title: str | None = None,
    height: int = 380,
    log_y: bool = False,
    smooth_window: int | None = None,
) -> go.Figure:
    """Training loss vs step (kind="loss"): each curve raw (thin, light) and smoothed (bold, same colour).

    Each curve: (n,) losses, one per step. ``smooth_window`` defaults to n/40 steps. Non-finite values are dropped.
    """
    fig = go.Figure()
    for j, (label, c) in enumerate(curves.items()):
        y = np.asarray(c, np.float64)
        x = np.arange(1, len(y) + 1)
        keep = np.isfinite(y)
        x, y = x[keep], y[keep]
        colour = SERIES[j % len(SERIES)]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=np.round(y, 5),
                mode="lines",
                line=dict(color=colour, width=1),
                opacity=0.35,
                name=f"{label} (per step)",
                showlegend=False,
                meta={"role": "raw"},
            )
        )
        w = smooth_window or max(1, len(y) // 40)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=np.round(smooth(y, w), 5),
                mode="lines",
                line=dict(color=colour, width=3.5),
                name=f"{label} (mean of {w} steps)",
                meta={"role": "smoothed"},
            )
        )
    fig.update_xaxes(title="training step")
    fig.update_yaxes(title="loss", type="log" if log_y else "linear")
    return style(fig, kind="loss", title=title, height=height)


def scatter_xy_figure(
    x: np.ndarray,
    y: np.ndarray,
    *,
    kind: str,
    x_title: str,
    y_title: str,
    title: str | None = None,
    log_x: bool = False,
    log_y: bool = False,
    mode: str = "markers",
    name: str = "",
    reference: tuple[np.ndarray, np.ndarray, str] | None = None,
    marker_x: float | None = None,
    height: int = 420,
) -> go.Figure:
    """A generic y-vs-x plot (error vs log-density, score magnitude vs thickness) with an optional reference."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    fig = go.Figure(
        go.Scatter(
            x=np.round(x[keep], 5),
            y=np.round(y[keep], 5),
            mode=mode,
            name=name,
            marker=dict(size=5, color=OKABE_ITO["blue"], opacity=0.5),
            line=dict(color=OKABE_ITO["blue"], width=3),
        )
    )
    if reference is not None:
        rx, ry, rname = reference
        fig.add_trace(
            go.Scatter(
                x=np.round(np.asarray(rx, np.float64), 5),
                y=np.round(_finite(ry), 5),
                mode="lines",
                line=dict(color=OKABE_ITO["vermillion"], width=3, dash="dash"),
                name=rname,
            )
        )
    if marker_x is not None:
        fig.add_vline(x=marker_x, line=dict(color=OKABE_ITO["black"], width=2, dash="dot"))
    fig.update_xaxes(title=x_title, type="log" if log_x else "linear", dtick=1 if log_x else None)
    fig.update_yaxes(title=y_title, type="log" if log_y else "linear", dtick=1 if log_y else None)
    fig = style(fig, kind=kind, title=title, height=height)
    # legend inside the top-right corner: above the plot it runs into the title
    fig.update_layout(legend=dict(orientation="v", x=0.98, xanchor="right", y=0.98, yanchor="top"))
    return fig


# ------------------------------------------------------------------------------------------------ learned scores
# Scenes 3–5: how wrong a learned score is, where, and what following it does.


def loss_wander(curve: np.ndarray, window: int = 50) -> float:
    """How much a loss curve's second half wanders beyond what minibatch noise alone explains (≈ 1: pure noise).

    Split the second half into windows of ``window`` steps; m_j = mean of window j, v_j = variance within it.
    Remove a quadratic trend from the m_j (a slow, smooth descent is not wander) and return

        std_j(m_j − trend) / sqrt(mean_j(v_j) / window),

    the spread of the window means divided by the one independent per-step noise would give. For J windows its
    standard error under pure noise is ≈ 1/√(2(J − 3)) (0.17 for 2000 steps). NaN when there are fewer than 4
    windows. (The per-step coefficient of variation does not separate a thin ring from a thick one: both curves'
    minibatch noise scales with their level.)
    """
    y = np.asarray(curve, np.float64)
    half = y[len(y) // 2 :]
    half = half[np.isfinite(half)]
    n_win = len(half) // window
    if window < 2 or n_win < 4:
        return float("nan")
    blocks = half[: n_win * window].reshape(n_win, window)
    means = blocks.mean(axis=1)
    k = np.arange(n_win, dtype=np.float64)
    resid = means - np.polyval(np.polyfit(k, means, 2), k)
    white = np.sqrt(np.mean(blocks.var(axis=1, ddof=1)) / window)
    return float(resid.std(ddof=3) / white) if white > 0 else float("nan")


def _decade_label(lo: float, hi: float) -> str:
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    p = lambda e: "1" if e == 0 else f"10{str(int(e)).translate(sup)}"
    return f"< {p(hi)}" if not np.isfinite(lo) else f"{p(lo)}–{p(hi)}"


def decade_error_figure(
    edges: np.ndarray,
    rel_error: np.ndarray,
    counts: np.ndarray,
    *,
    near_data: float | None = None,
    title: str | None = None,
    height: int = 460,
) -> go.Figure:
    """Relative score error per decade of p(x)/max p (kind="error-vs-logp"), from ``metrics.error_vs_log_density``.

    Bars, left = emptiest decade, on a log axis; ``near_data`` draws the p-weighted error as a dashed line.
    Empty decades are left out.
    """
    edges = np.asarray(edges, np.float64)
    rel = np.asarray(rel_error, np.float64)
    counts = np.asarray(counts)
    keep = (counts > 0) & np.isfinite(rel) & (rel > 0)
    labels = [_decade_label(edges[j], edges[j + 1]) for j in range(len(rel))]
    x = [lb for lb, k in zip(labels, keep, strict=True) if k]
    fig = go.Figure(
        go.Bar(
            x=x,
            y=np.round(rel[keep], 5),
            marker=dict(color=OKABE_ITO["vermillion"], line=dict(width=0)),
            customdata=counts[keep],
            hovertemplate="p/max p in %{x}<br>relative error %{y:.3g}<br>%{customdata} grid points<extra></extra>",
            name="grid points in this decade",
            meta={"role": "decades"},
        )
    )
    if near_data is not None and np.isfinite(near_data) and near_data > 0:
        fig.add_hline(y=float(near_data), line=dict(color=OKABE_ITO["blue"], width=3, dash="dash"))
        # a separate annotation: on a log axis add_hline's own label lands at 10^y (plotly puts it at y in log units)
        fig.add_annotation(
            x=1.0,
            xref="paper",
            xanchor="right",
            y=float(np.log10(near_data)),
            yanchor="bottom",
            text=f"under p (near the data): {near_data:.2g}",
            showarrow=False,
            font=dict(color=OKABE_ITO["blue"], size=LEGEND_FONT),
            bgcolor="rgba(255,255,255,0.8)",
        )
    fig.update_xaxes(
        title="p(x) / max p  (grid points binned by decade)", type="category", tickangle=-35, tickfont=dict(size=14)
    )
    fig.update_yaxes(title="Σ‖s_θ − s‖² / Σ‖s‖²", type="log", dtick=1)
    return style(fig, kind="error-vs-logp", title=title, height=height)


@dataclass
class PathPanel:
    """One panel of :func:`paths_figure`: a score's arrows over the density, and particles that followed it.

    trajectory: (F, N, 2) recorded positions; end_mode: (N,) index of the mode each particle ended in (−1: none).
    """

    xs: np.ndarray
    ys: np.ndarray
    density: np.ndarray
    points: np.ndarray
    score: np.ndarray
    trajectory: np.ndarray
    end_mode: np.ndarray
    title: str = ""


#: Paths drawn per panel (all end points are drawn).
MAX_PATHS = 40


def paths_figure(
    panels: Sequence[PathPanel],
    *,
    box: float,
    mode_names: Sequence[str],
    title: str | None = None,
    height: int = 620,
) -> go.Figure:
    """Side-by-side panels (kind="paths"): grey score arrows over the density, the paths of up to MAX_PATHS
    particles and every particle's start (hollow) and end (filled), coloured by the mode it ended in
    (black: none). Trace ``meta``: {"role": "end"|"path"|"start", "panel": j, "mode": m}."""
    n = len(panels)
    fig = make_subplots(rows=1, cols=n, subplot_titles=[p.title for p in panels], horizontal_spacing=0.05)
    names = [*mode_names]
    colour = lambda m: SERIES[m % len(SERIES)] if m >= 0 else OKABE_ITO["black"]
    label = lambda m: f"ended {names[m]}" if m >= 0 else "ended at no mode"
    shown: set[int] = set()
    for j, p in enumerate(panels, start=1):
        cell = 2.0 * box / max(int(round(np.sqrt(len(p.points)))) - 1, 1)
        _add_density_image(fig, p.xs, p.ys, p.density, suffix="" if j == 1 else str(j))
        fig.add_trace(
            quiver_trace(p.points, arrow_vectors(p.score, cell), color="#8C8C8C", name=f"arrows {j}"), row=1, col=j
        )
        fig.data[-1].showlegend = False
        traj = _clean(p.trajectory)
        modes = np.asarray(p.end_mode, int)
        picked = _subsample(traj.shape[1], MAX_PATHS)
        fig.add_trace(
            go.Scatter(
                x=traj[0, :, 0],
                y=traj[0, :, 1],
                mode="markers",
                marker=dict(size=5, color="rgba(0,0,0,0)", line=dict(color="#555555", width=1)),
                name="start",
                showlegend=j == 1,
                hoverinfo="skip",
                meta={"role": "start", "panel": j - 1},
            ),
            row=1,
            col=j,
        )
        for m in sorted(set(modes.tolist())):
            sel = picked[modes[picked] == m]
            if len(sel):
                # one trace per colour; a None between two paths breaks the line
                xs = np.concatenate([np.r_[traj[:, i, 0], np.nan] for i in sel])
                ys = np.concatenate([np.r_[traj[:, i, 1], np.nan] for i in sel])
                fig.add_trace(
                    go.Scatter(
                        x=[None if np.isnan(v) else float(v) for v in xs],
                        y=[None if np.isnan(v) else float(v) for v in ys],
                        mode="lines",
                        line=dict(color=colour(m), width=2),
                        opacity=0.8,
                        name=label(m),
                        legendgroup=f"mode{m}",
                        showlegend=False,
                        hoverinfo="skip",
                        meta={"role": "path", "panel": j - 1, "mode": m},
                    ),
                    row=1,
                    col=j,
                )
            ends = traj[-1, modes == m]
            fig.add_trace(
                go.Scatter(
                    x=ends[:, 0],
                    y=ends[:, 1],
                    mode="markers",
                    marker=dict(size=9, color=colour(m), line=dict(color="#FFFFFF", width=1)),
                    name=label(m),
                    legendgroup=f"mode{m}",
                    showlegend=m not in shown,
                    hoverinfo="skip",
                    meta={"role": "end", "panel": j - 1, "mode": m},
                ),
                row=1,
                col=j,
            )
            shown.add(m)
        _square_axes(fig, box, row=1, col=j)
    for a in fig.layout.annotations:
        a.font = dict(size=FONT_SIZE)
    fig = style(fig, kind="paths", title=title, height=height)
    # legend under the panels (above them it would cover the panel titles)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.08, x=0.0), margin=dict(b=90))
    return fig


# ------------------------------------------------------------------------------------------------ animation


@dataclass
class ParticleSet:
    """One group of animated particles: trajectory (F, N, 2), a legend label and a colour."""

    trajectory: np.ndarray
    name: str
    color: str = OKABE_ITO["vermillion"]
    size: float = 4.0


@dataclass
class Animation:
    """Everything an animation needs (all numpy); see :func:`animation_figure`."""

    sets: list[ParticleSet]
    box: float
    frame_labels: list[str]
    background: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # xs, ys, density grid
    log_background: bool = False
    n_trails: int = 6
    trail_frames: int = 8  # a trail shows the last few frames only (a comet tail, not a scribble)
    title: str | None = None
    frame_duration_ms: int = 80
    extra: list[go.BaseTraceType] = field(default_factory=list)  # static traces drawn under the particles


#: Caps on what an animation ships to the browser.
MAX_FRAMES = 61
MAX_DRAWN_PARTICLES = 1500


def _subsample(n: int, cap: int) -> np.ndarray:
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


def _density_image_spec(xs, ys, z, *, log: bool = False, suffix: str = "") -> dict:
    """The density as a layout image (layer "below") covering its grid cells on axes x{suffix}/y{suffix}."""
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    dx = float(xs[1] - xs[0]) if len(xs) > 1 else 0.0
    dy = float(ys[1] - ys[0]) if len(ys) > 1 else 0.0
    return dict(
        source=density_image(z, log=log),
        xref=f"x{suffix}",
        yref=f"y{suffix}",
        x=float(xs[0]) - dx / 2,
        y=float(ys[-1]) + dy / 2,
        sizex=float(xs[-1] - xs[0]) + dx,
        sizey=float(ys[-1] - ys[0]) + dy,
        sizing="stretch",
        layer="below",
    )


def animation_spec(anim: Animation) -> dict:
    """Particles over a density, played client-side by Plotly frames (kind="animation"), as a finished Plotly JSON
    dict (see :class:`SpecFigure`; :func:`animation_figure` is the same as a validated ``go.Figure``).

    The density is a layout image under the plot. Trace order: [extra static traces], one scatter per particle
    set, then one line per highlighted particle (its recent trail) and one marker trace for the highlighted heads.
    Frames update only the particle/trail traces. The figure opens on the LAST frame (the result, no click needed);
    "Play" replays from step 0; the slider scrubs. Frame and particle counts are capped (MAX_FRAMES,
    MAX_DRAWN_PARTICLES); coordinates are float32 rounded to 3 decimals, sent as typed arrays.

    Built as plain dicts because this is the app's hottest figure: ~500 traces over 61 frames cost ~0.1 s to build
    as validated ``go`` objects and as much again to copy and serialise; as dicts, a few milliseconds.
    """
    if not anim.sets:
        raise ValueError("an animation needs at least one particle set")
    n_frames = anim.sets[0].trajectory.shape[0]
    frame_idx = _subsample(n_frames, MAX_FRAMES)
    labels = [anim.frame_labels[i] for i in frame_idx]
    trajs = []
    for s in anim.sets:
        t = np.asarray(s.trajectory)[frame_idx]
        t = t[:, _subsample(t.shape[1], MAX_DRAWN_PARTICLES)]
        trajs.append(_clean(t))
    images = []
    if anim.background is not None:
        # a layout image, not a heatmap: Plotly drops heatmaps from the view while frames play with redraw=False
        xs, ys, z = anim.background
        images.append(_density_image_spec(xs, ys, z, log=anim.log_background))
    static = [tr.to_plotly_json() for tr in anim.extra]
    lead = trajs[0]
    n_trails = min(anim.n_trails, lead.shape[1])
    trail_ids = _subsample(lead.shape[1], n_trails) if n_trails else np.array([], int)
    last = len(frame_idx) - 1
    # per frame, x and y of every drawn point in one contiguous block each: one base64 call per array
    xs_all = [np.ascontiguousarray(t[..., 0]) for t in trajs]
    ys_all = [np.ascontiguousarray(t[..., 1]) for t in trajs]

    def dynamic(k: int) -> list[dict]:
        out = []
        for j, s in enumerate(anim.sets):
            out.append(
                dict(
                    type="scatter",
                    x=typed_array(xs_all[j][k]),
                    y=typed_array(ys_all[j][k]),
                    mode="markers",
                    marker=dict(size=s.size, color=s.color, opacity=0.75),
                    name=s.name,
                    hoverinfo="skip",
                )
            )
        start = max(0, k - anim.trail_frames)
        for j, p in enumerate(trail_ids):
            out.append(
                dict(
                    type="scatter",
                    x=typed_array(lead[start : k + 1, p, 0]),
                    y=typed_array(lead[start : k + 1, p, 1]),
                    mode="lines",
                    line=dict(color=OKABE_ITO["black"], width=1.5),
                    opacity=0.8,
                    name="highlighted paths",
                    legendgroup="trails",
                    showlegend=j == 0,
                    hoverinfo="skip",
                )
            )
        if len(trail_ids):
            out.append(
                dict(
                    type="scatter",
                    x=typed_array(lead[k, trail_ids, 0]),
                    y=typed_array(lead[k, trail_ids, 1]),
                    mode="markers",
                    marker=dict(size=11, color=OKABE_ITO["yellow"], line=dict(color="#000000", width=2)),
                    name="highlighted particles",
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        return out

    data = static + dynamic(last)
    dyn_ids = list(range(len(static), len(data)))
    frames = [dict(name=str(k), data=dynamic(k), traces=dyn_ids) for k in range(len(frame_idx))]
    still = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    play = dict(
        frame=dict(duration=anim.frame_duration_ms, redraw=False),
        transition=dict(duration=0),
        fromcurrent=False,
        mode="immediate",
    )
    xaxis, yaxis = _square_axis_pair(anim.box)
    layout = style_layout(kind="animation", title=anim.title, height=720)
    layout.update(
        images=images,
        xaxis=xaxis,
        yaxis=yaxis,
        margin=dict(l=50, r=20, t=90, b=120),
        legend=dict(layout["legend"], y=1.03, yanchor="bottom", bgcolor="rgba(0,0,0,0)"),
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0.0,
                y=0.0,
                xanchor="left",
                yanchor="top",
                pad=dict(t=62, r=10),
                showactive=False,
                font=dict(size=LEGEND_FONT),
                buttons=[
                    dict(label="▶ Play", method="animate", args=[None, play]),
                    dict(label="❚❚ Pause", method="animate", args=[[None], still]),
                ],
            )
        ],
        sliders=[
            dict(
                active=last,
                x=0.3,
                len=0.7,
                y=0.0,
                yanchor="top",
                pad=dict(t=50, b=0),
                font=dict(size=10, color="rgba(0,0,0,0)"),  # 61 tick labels would overlap: show the current one
                ticklen=3,
                currentvalue=dict(
                    prefix="", font=dict(size=LEGEND_FONT + 2, color="#000000"), visible=True, xanchor="right", offset=8
                ),
                transition=dict(duration=0),
                steps=[dict(label=labels[k], method="animate", args=[[str(k)], still]) for k in range(len(frame_idx))],
            )
        ],
    )
    return dict(data=data, layout=layout, frames=frames)


def animation_figure(anim: Animation) -> go.Figure:
    """:func:`animation_spec` as a validated ``go.Figure`` (for tests and notebooks; the app sends the spec)."""
    return go.Figure(animation_spec(anim))


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


def animation_html(fig: go.Figure | dict) -> str:
    """The animation (a figure or a finished spec dict) as a self-contained HTML page (plotly.js inlined; works
    offline)."""
    import plotly.io as pio  # noqa: PLC0415

    spec = fig if isinstance(fig, dict) else fig.to_dict()
    return pio.to_html(
        spec, include_plotlyjs=True, full_html=True, auto_play=False, config={"displaylogo": False}, validate=False
    )
