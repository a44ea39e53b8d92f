"""Charts with ordinary axes: marginals, the mode-fraction meter, final weights, loss curves, y-vs-x, error by decade.

Every builder returns a finished Plotly JSON dict (see :class:`SpecFigure`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from scoredemo.figures._style import (
    LEGEND_FONT,
    OKABE_ITO,
    SERIES,
    _clean,
    _column_layout,
    _finite,
    _row_layout,
    fit_y_titles,
    style_layout,
    typed_array,
)
from scoredemo.figures.animation import cursor_shape, drawn_frames, follow_meta


def marginals_spec(
    samples: np.ndarray,
    grid: np.ndarray,
    true_x: np.ndarray,
    true_y: np.ndarray,
    *,
    box: float,
    trajectory: np.ndarray | None = None,
    stacked: bool = False,
) -> dict:
    """Histograms of the particles' x and y coordinates next to the true marginal densities (kind="marginals"),
    as a finished Plotly dict (scene 2 redraws it on every noise toggle; see :class:`SpecFigure`). ``stacked``: the
    y panel under the x panel (for a narrow column: side by side in a third of a 1280-px page each was 83 px wide).

    With ``trajectory`` (F, N, 2), the histograms of the frames the page's animation draws (``drawn_frames``), one
    Plotly frame each, named as the animation's, and the chart follows the animation (``follow_meta``): it shows
    the frame the animation shows, opening on the last like it; ``samples`` is then not used."""
    bins = np.linspace(-box, box, 61)
    width = float(bins[1] - bins[0])
    centres = 0.5 * (bins[1:] + bins[:-1])

    def densities(points: np.ndarray) -> list[np.ndarray]:
        x = np.asarray(points, np.float64)
        x = x[np.all(np.isfinite(x), axis=-1)] if x.size else np.zeros((0, 2))
        out = []
        for coord in (0, 1):
            hist = np.histogram(x[:, coord], bins=bins)[0] if len(x) else np.zeros(len(centres))
            out.append(np.round(hist / max(hist.sum() * width, 1e-12), 4))
        return out

    shown = [trajectory[k] for k in drawn_frames(len(trajectory))] if trajectory is not None else [samples]
    per_frame = [densities(pts) for pts in shown]
    layout = copy.deepcopy(_column_layout(2, 0.2) if stacked else _row_layout(2, 0.12))
    data = []
    for col, (coord, truth) in enumerate(((0, true_x), (1, true_y)), start=1):
        axes = dict(xaxis="x" if col == 1 else f"x{col}", yaxis="y" if col == 1 else f"y{col}")
        data.append(
            dict(
                type="bar",
                x=typed_array(_clean(centres)),
                y=typed_array(per_frame[-1][coord]),
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
        # stacked, the coordinate is named in each plot's y title: an x title between the two plots sat on the
        # lower plot once presenter mode made the text 1.5× (scene 2 at 1280×720)
        layout["xaxis" if col == 1 else f"xaxis{col}"].update(
            range=[-box, box], autorange=False, title=dict(text="" if stacked else "xy"[coord])
        )
    for axis, coord in (("yaxis", "x"), ("yaxis2", "y")) if stacked else (("yaxis", ""),):
        layout[axis]["title"] = dict(text=f"p({coord})" if coord else "density")  # short: a plot is ~130 px high
    height = 640 if stacked else 380
    layout.update(style_layout(kind="marginals", title="marginals: particles vs truth", height=height), bargap=0)
    spec = dict(data=data, layout=fit_y_titles(layout))
    if trajectory is not None:
        layout["meta"] = dict(layout["meta"], follow=follow_meta(frames=True))
        spec["frames"] = [
            dict(name=str(k), data=[dict(y=typed_array(d[0])), dict(y=typed_array(d[1]))], traces=[0, 2])
            for k, d in enumerate(per_frame)
        ]
    return spec


def mode_fraction_spec(
    steps: np.ndarray,
    runs: Mapping[str, np.ndarray],
    true_weights: np.ndarray,
    *,
    mode_names: Sequence[str] | None = None,
    title: str | None = None,
    height: int = 420,
    cursor: Sequence[float] | None = None,
) -> dict:
    """The mode-fraction meter (kind="mode-fractions"): fraction of particles in each mode vs step, as a finished
    Plotly dict (redrawn on every π move; see :class:`SpecFigure`).

    ``runs`` maps a run label to its (F, M) fractions. The legend has one entry per run (its own colour, dash and
    marker, for all its modes) and one for the true weights (thin black dotted lines); which line is which mode is
    written at the true lines' left end, so a two-run meter needs three legend entries, not six.

    ``cursor``: the step of each frame the page's animation draws; the meter then follows it (``follow_meta``): a
    dotted vertical line at the step of the frame shown, at the last one to begin with (where the animation opens).
    """
    steps = np.asarray(steps)
    true_weights = np.asarray(true_weights, np.float64)
    m = len(true_weights)
    names = list(mode_names) if mode_names is not None else [f"mode {k + 1}" for k in range(m)]
    shown = range(m) if m <= 4 else range(min(m, 8))
    colours = [OKABE_ITO["vermillion"], OKABE_ITO["blue"], OKABE_ITO["green"], OKABE_ITO["purple"]]
    dashes = ["solid", "dash", "dot", "dashdot"]
    symbols = ["circle", "square", "diamond", "triangle-up"]
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
                    mode="lines+markers",
                    line=dict(color=colours[r % len(colours)], width=3.5, dash=dashes[r % len(dashes)]),
                    marker=dict(
                        symbol=symbols[r % len(symbols)],
                        size=9,
                        color=colours[r % len(colours)],
                        maxdisplayed=12,  # a marker every few frames: the runs differ in grey scale too
                    ),
                    name=label,
                    legendgroup=f"run-{r}",
                    showlegend=k == shown[0],
                    hovertemplate=f"{label}, {names[k]}<br>step %{{x}}: %{{y:.2f}}<extra></extra>",
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
                line=dict(color=OKABE_ITO["black"], width=2, dash="dot"),
                name="true weights",
                legendgroup="true",
                showlegend=k == shown[0],
                hovertemplate=f"true weight of {names[k]}: {true_weights[k]:.2f}<extra></extra>",
                meta={"role": "true", "mode": k},
            )
        )
    annotations = [
        dict(
            visible=bool(text),
            x=0.01,
            xref="x domain",
            y=y,
            yref="y",
            xanchor="left",
            yanchor="bottom",
            text=text,
            showarrow=False,
            font=dict(size=LEGEND_FONT - 2),
            bgcolor="rgba(255,255,255,0.7)",
        )
        for y, text in _true_labels([names[k] for k in shown], true_weights[list(shown)])
    ]
    layout = style_layout(kind="mode-fractions", title=title, height=height)
    layout.update(
        yaxis=dict(range=[0, 1], autorange=False, title=dict(text="fraction of particles")),
        xaxis=dict(
            range=[float(steps[0]), float(max(steps[-1], steps[0] + 1))], autorange=False, title=dict(text="step")
        ),
        legend=dict(orientation="h", y=-0.36, yanchor="top", x=0.0, font=dict(size=14)),
        margin=dict(layout["margin"], b=130),
        annotations=annotations,
    )
    if cursor is not None and len(cursor):
        layout["shapes"] = [cursor_shape(float(cursor[-1]))]
        layout["meta"] = dict(layout["meta"], follow=follow_meta(cursor=cursor))
    return dict(data=data, layout=fit_y_titles(layout))


#: Labels of true-weight lines closer than this (in the meter's 0–1 axis, about a label's height on a 420-px meter)
#: would cover each other: such lines share one label.
_LABEL_GAP = 0.1


def _true_labels(names: Sequence[str], weights: np.ndarray) -> list[tuple[float, str]]:
    """(y, text) of each true-weight line's label (at the meter's left edge), one per line in the meter's order. Lines
    closer than ``_LABEL_GAP`` (a chain of them) share one label, at the lowest of them, and the others' text is
    empty: "left mode, right mode: 0.50 each", "bump 10 … bump 16 (7): 0.07–0.11" (a 20-mode drawing printed seven
    labels on one spot before). Always one entry per line: a stepped meter's frames (one per π) must have the same
    number of annotations, since Plotly.animate merges a frame's annotations into the shown ones by index."""
    order = np.argsort(weights, kind="stable")
    clusters: list[list[int]] = []
    for k in order:
        if clusters and weights[k] - weights[clusters[-1][-1]] < _LABEL_GAP:
            clusters[-1].append(int(k))
        else:
            clusters.append([int(k)])
    out: list[tuple[float, str]] = [(float(w), "") for w in weights]
    for members in clusters:
        members.sort()
        low = float(weights[members].min())
        lo, hi = f"{low:.2f}", f"{weights[members].max():.2f}"
        value = lo if lo == hi else f"{lo}–{hi}"
        each = " each" if lo == hi and len(members) > 1 else ""
        if len(members) == 1:
            who = names[members[0]]
        elif len(members) == 2:
            who = f"{names[members[0]]}, {names[members[1]]}"
        else:
            who = f"{names[members[0]]} … {names[members[-1]]} ({len(members)})"
        out[members[0]] = (low, f"{who}: {value}{each}")
    return out


def weights_bar_spec(true_weights: np.ndarray, sampled: Mapping[str, np.ndarray], *, mode_names=None) -> dict:
    """Final mode weights, true vs sampled, as grouped bars (kind="weights")."""
    true_weights = np.asarray(true_weights, np.float64)
    names = list(mode_names) if mode_names is not None else [f"mode {k + 1}" for k in range(len(true_weights))]
    # a hatch per run as well as a colour: the bars of a group are told apart without colour too
    bar = lambda y, name, colour, shape: dict(
        type="bar", x=names, y=typed_array(y, "f8"), name=name, marker=dict(color=colour, pattern=dict(shape=shape))
    )
    data = [bar(np.round(true_weights, 4), "true weights", OKABE_ITO["black"], "")]
    colours = [OKABE_ITO["orange"], OKABE_ITO["sky"], OKABE_ITO["green"]]
    shapes = ["/", "x", "."]
    for j, (label, w) in enumerate(sampled.items()):
        data.append(bar(np.round(_finite(w), 4), label, colours[j % len(colours)], shapes[j % len(shapes)]))
    layout = style_layout(kind="weights", height=380)
    layout.update(yaxis=dict(range=[0, 1], autorange=False, title=dict(text="weight")), barmode="group")
    return dict(data=data, layout=fit_y_titles(layout))


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _log_label(v: float) -> str:
    """A log axis's tick label in full: "0.02", "500", "20000", "10⁻⁴", "2·10⁶"."""
    if 1e-3 <= v < 1e5:
        return np.format_float_positional(v, precision=3, unique=True, fractional=False, trim="-")
    e = int(np.floor(np.log10(v) + 1e-9))
    m = round(v / 10.0**e, 2)
    return ("" if m == 1 else f"{m:g}·") + f"10{str(e).translate(_SUPERSCRIPT)}"


def log_ticks(*values: np.ndarray) -> dict:
    """A log axis over the finite positive ``values`` (``range`` in log10 units, ``tickvals`` and ``ticktext``),
    labelled in full: the powers of ten in the range when there are at least two of them, else 1, 2 and 5 times the
    powers of ten, else finer steps (1, 1.2, 1.5, 2, …: never more than a factor 4/3 apart). Plotly's own ticks on
    a range of a few decades label 2 and 5 of each decade with a bare small "2", "5" (its minor labels), which
    clutter a chart and read as values. The range is the values' with 6 % of their span on each side (at least a
    factor of 2 in all: a nearly constant series still gets two ticks); it is set here so that the ticks chosen are
    the ticks shown. Without a positive finite value: one tick per decade (``dtick``), Plotly's range."""
    v = np.concatenate([np.ravel(np.asarray(a, np.float64)) for a in values]) if values else np.zeros(0)
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return dict(dtick=1)
    a, b = float(np.log10(v.min())), float(np.log10(v.max()))
    if b - a < 0.3:
        a, b = (a + b) / 2 - 0.15, (a + b) / 2 + 0.15
    pad = 0.06 * (b - a)
    lo, hi = a - pad, b + pad
    decades = np.arange(np.floor(lo), np.ceil(hi) + 1)
    for mantissas in ((1,), (1, 2, 5), (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)):  # the last: ≥ 2 in any factor 2
        ticks = [float(m * 10.0**e) for e in decades for m in mantissas if lo <= np.log10(m) + e <= hi]
        if len(ticks) >= 2:
            break
    if len(mantissas) == 1 and len(ticks) > 8:  # many decades: every other one (or third, …), 10⁰ among them
        step = -(-len(ticks) // 8)
        ticks = [t for t in ticks if round(np.log10(t)) % step == 0]
    return dict(range=[lo, hi], autorange=False, tickvals=ticks, ticktext=[_log_label(t) for t in ticks])


def smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Moving average over ``window`` steps (shorter at the start), for a readable loss curve."""
    y = np.asarray(y, np.float64)
    if window <= 1 or len(y) == 0:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    idx = np.arange(1, len(y) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def loss_curve_spec(
    curves: Mapping[str, np.ndarray],
    *,
    title: str | None = None,
    height: int = 380,
    log_y: bool = False,
    smooth_window: int | None = None,
    y_title: str = "loss",
    reference: tuple[float, str] | None = None,
) -> dict:
    """Training loss vs step (kind="loss"): each curve raw (thin, light) and smoothed (bold, same colour).

    Each curve: (n,) losses, one per step. ``smooth_window`` defaults to n/40 steps. Non-finite values are dropped.
    ``reference`` = (y, label) draws a dashed black line across the chart at y, labelled at its bottom right.
    """
    data, shown = [], []
    for j, (label, c) in enumerate(curves.items()):
        y = np.asarray(c, np.float64)
        x = np.arange(1, len(y) + 1)
        keep = np.isfinite(y)
        x, y = typed_array(x[keep], "i4"), y[keep]
        shown.append(y)
        colour = SERIES[j % len(SERIES)]
        w = smooth_window or max(1, len(y) // 40)
        data.append(
            dict(
                type="scatter",
                x=x,
                y=typed_array(np.round(y, 5), "f8"),
                mode="lines",
                line=dict(color=colour, width=1),
                opacity=0.35,
                name=f"{label} (per step)",
                showlegend=False,
                meta={"role": "raw"},
            )
        )
        data.append(
            dict(
                type="scatter",
                x=x,
                y=typed_array(np.round(smooth(y, w), 5), "f8"),
                mode="lines",
                line=dict(color=colour, width=3.5),
                name=f"{label} (mean of {w} steps)",
                meta={"role": "smoothed"},
            )
        )
    layout = style_layout(kind="loss", title=title, height=height)
    layout.update(
        xaxis=dict(title=dict(text="training step")),
        yaxis=dict(title=dict(text=y_title), type="log", **log_ticks(*shown))
        if log_y
        else dict(title=dict(text=y_title), type="linear"),
    )
    if reference is not None:
        ry, rlabel = float(reference[0]), reference[1]
        line = dict(color=OKABE_ITO["black"], dash="dash", width=2)
        layout["shapes"] = [dict(type="line", x0=0, x1=1, xref="x domain", y0=ry, y1=ry, yref="y", line=line)]
        layout["annotations"] = [
            dict(text=rlabel, showarrow=False, x=1, xanchor="right", xref="x domain", y=ry, yanchor="top", yref="y")
        ]
    return dict(data=data, layout=fit_y_titles(layout))


def scatter_xy_spec(
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
) -> dict:
    """A generic y-vs-x plot (error vs log-density, score magnitude vs thickness) with an optional reference curve
    and an optional dotted vertical line at ``marker_x``; log axes have full labels (:func:`log_ticks`)."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    data = [
        dict(
            type="scatter",
            x=typed_array(np.round(x[keep], 5), "f8"),
            y=typed_array(np.round(y[keep], 5), "f8"),
            mode=mode,
            name=name,
            marker=dict(size=5, color=OKABE_ITO["blue"], opacity=0.5),
            line=dict(color=OKABE_ITO["blue"], width=3),
        )
    ]
    if reference is not None:
        rx, ry, rname = reference
        data.append(
            dict(
                type="scatter",
                x=typed_array(np.round(np.asarray(rx, np.float64), 5), "f8"),
                y=typed_array(np.round(_finite(ry), 5), "f8"),
                mode="lines",
                line=dict(color=OKABE_ITO["vermillion"], width=3, dash="dash"),
                name=rname,
            )
        )

    def axis(text: str, log: bool, *values: np.ndarray) -> dict:
        return dict(title=dict(text=text), **(dict(type="log", **log_ticks(*values)) if log else dict(type="linear")))

    layout = style_layout(kind=kind, title=title, height=height)
    ref = [] if reference is None else [np.asarray(reference[0], np.float64), np.asarray(reference[1], np.float64)]
    layout.update(xaxis=axis(x_title, log_x, x[keep], *ref[:1]), yaxis=axis(y_title, log_y, y[keep], *ref[1:]))
    # legend inside the top-right corner: above the plot it runs into the title
    layout["legend"].update(orientation="v", x=0.98, xanchor="right", y=0.98, yanchor="top")
    if marker_x is not None:
        line = dict(color=OKABE_ITO["black"], width=2, dash="dot")
        layout["shapes"] = [
            dict(type="line", x0=marker_x, x1=marker_x, xref="x", y0=0, y1=1, yref="y domain", line=line)
        ]
    return dict(data=data, layout=fit_y_titles(layout))


#: The x title of the error-by-decade charts, short: "… (grid points binned by decade)" was wider than a half-page
#: chart at 1280 px, and on two lines it left the slide's plot under half the picture (with the slanted ticks).
DECADE_TITLE = "p(x) / max p, by decade"


def _decade_label(lo: float, hi: float) -> str:
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    p = lambda e: "1" if e == 0 else f"10{str(int(e)).translate(sup)}"
    return f"< {p(hi)}" if not np.isfinite(lo) else f"{p(lo)}–{p(hi)}"


def decade_error_spec(
    edges: np.ndarray,
    rel_error: np.ndarray,
    counts: np.ndarray,
    *,
    near_data: float | None = None,
    title: str | None = None,
    height: int = 460,
) -> dict:
    """Relative score error per decade of p(x)/max p (kind="error-vs-logp"), from ``metrics.error_vs_log_density``.

    Bars, left = emptiest decade, on a log axis; ``near_data`` draws the p-weighted error as a dashed line.
    Empty decades are left out.
    """
    edges = np.asarray(edges, np.float64)
    rel = np.asarray(rel_error, np.float64)
    counts = np.asarray(counts)
    keep = (counts > 0) & np.isfinite(rel) & (rel > 0)
    labels = [_decade_label(edges[j], edges[j + 1]) for j in range(len(rel))]
    data = [
        dict(
            type="bar",
            x=[lb for lb, k in zip(labels, keep, strict=True) if k],
            y=typed_array(np.round(rel[keep], 5), "f8"),
            marker=dict(color=OKABE_ITO["vermillion"], line=dict(width=0)),
            customdata=typed_array(counts[keep], "i4"),
            hovertemplate="p/max p in %{x}<br>relative error %{y:.3g}<br>%{customdata} grid points<extra></extra>",
            name="grid points in this decade",
            meta={"role": "decades"},
        )
    ]
    layout = style_layout(kind="error-vs-logp", title=title, height=height)
    layout.update(
        xaxis=dict(
            title=dict(text=DECADE_TITLE),
            type="category",
            tickangle=-35,
            tickfont=dict(size=14),
        ),
        yaxis=dict(title=dict(text="Σ‖s_θ − s‖² / Σ‖s‖²"), type="log", **log_ticks(rel[keep], near_data or 0.0)),
    )
    if near_data is not None and np.isfinite(near_data) and near_data > 0:
        line = dict(color=OKABE_ITO["blue"], width=3, dash="dash")
        y = float(near_data)
        layout["shapes"] = [dict(type="line", x0=0, x1=1, xref="x domain", y0=y, y1=y, yref="y", line=line)]
        # annotations on a log axis take log10(y) (shapes take y itself)
        layout["annotations"] = [
            dict(
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
        ]
    return dict(data=data, layout=fit_y_titles(layout))


#: Per-series line styles: colour, dash and marker together, so no series is told apart by colour alone.
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star"]


class Series(NamedTuple):
    """One line of :func:`lines_spec`: (x, y), an optional ± error per point, and how it is drawn."""

    name: str
    x: np.ndarray
    y: np.ndarray
    error: np.ndarray | None = None
    mode: str = "lines+markers"  # "lines" for a prediction curve
    style: int = 0  # index into SERIES / DASHES / SYMBOLS


#: Where :func:`lines_spec` can put its legend, inside the plot area.
LEGEND_CORNERS = {
    "top left": dict(x=0.02, xanchor="left", y=0.98, yanchor="top"),
    "bottom right": dict(x=0.98, xanchor="right", y=0.02, yanchor="bottom"),
}


def lines_spec(
    series: Sequence[Series],
    *,
    kind: str,
    x_title: str,
    y_title: str,
    title: str | None = None,
    log_x: bool = False,
    log_y: bool = False,
    marker_x: float | None = None,
    height: int = 420,
    legend_corner: str = "top left",
) -> dict:
    """Several y-vs-x lines with optional error bars (measured vs predicted curves); non-finite points are left
    out; each series has its own colour, dash and marker (``meta.role`` = its name); log axes have full labels
    (:func:`log_ticks`). The legend sits inside the plot in ``legend_corner`` (:data:`LEGEND_CORNERS`): the corner
    the curves leave empty."""
    data, shown_x, shown_y = [], [], []
    for s in series:
        x, y = np.asarray(s.x, np.float64), np.asarray(s.y, np.float64)
        keep = np.isfinite(x) & np.isfinite(y) & ((y > 0) if log_y else True) & ((x > 0) if log_x else True)
        shown_x.append(x[keep])
        shown_y.append(y[keep])
        if s.error is not None:  # the error bars stay inside a log axis's range
            err = _finite(np.asarray(s.error, np.float64)[keep])
            shown_y += [y[keep] + err, y[keep] - err]
        colour = SERIES[s.style % len(SERIES)]
        trace = dict(
            type="scatter",
            x=typed_array(np.round(x[keep], 6), "f8"),
            y=typed_array(np.round(y[keep], 6), "f8"),
            mode=s.mode,
            name=s.name,
            meta=dict(role=s.name),
            line=dict(color=colour, width=3, dash=DASHES[s.style % len(DASHES)]),
            marker=dict(color=colour, size=9, symbol=SYMBOLS[s.style % len(SYMBOLS)]),
        )
        if s.error is not None:
            err = np.asarray(s.error, np.float64)[keep]
            trace["error_y"] = dict(type="data", array=typed_array(np.round(_finite(err), 6), "f8"), color=colour)
        data.append(trace)

    def axis(text: str, log: bool, values: list[np.ndarray]) -> dict:
        return dict(title=dict(text=text), **(dict(type="log", **log_ticks(*values)) if log else dict(type="linear")))

    layout = style_layout(kind=kind, title=title, height=height)
    layout.update(xaxis=axis(x_title, log_x, shown_x), yaxis=axis(y_title, log_y, shown_y))
    layout["legend"].update(orientation="v", bgcolor="rgba(255,255,255,0.8)", **LEGEND_CORNERS[legend_corner])
    if marker_x is not None:
        line = dict(color=OKABE_ITO["black"], width=2, dash="dot")
        layout["shapes"] = [
            dict(type="line", x0=marker_x, x1=marker_x, xref="x", y0=0, y1=1, yref="y domain", line=line)
        ]

    return dict(data=data, layout=fit_y_titles(layout))


def decade_errors_spec(
    edges: np.ndarray,
    series: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    title: str | None = None,
    x_title: str = DECADE_TITLE,
    y_title: str = "Σ‖s_θ − s_σ‖² / Σ‖s_σ‖²",
    height: int = 420,
) -> dict:
    """Several error-per-decade series side by side (kind="error-by-sigma"): ``series`` maps a label to (error per
    decade, counts), e.g. from ``metrics.error_vs_log_density`` on the same ``edges``; grouped bars on a log axis,
    one colour per series, empty decades left out."""
    edges = np.asarray(edges, np.float64)
    colours = [OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["green"]]
    data, shown = [], []
    for j, (label, (rel, counts)) in enumerate(series.items()):
        rel, counts = np.asarray(rel, np.float64), np.asarray(counts)
        keep = (counts > 0) & np.isfinite(rel) & (rel > 0)
        shown.append(rel[keep])
        labels = [_decade_label(edges[i], edges[i + 1]) for i in range(len(rel))]
        data.append(
            dict(
                type="bar",
                x=[lb for lb, k in zip(labels, keep, strict=True) if k],
                y=typed_array(np.round(rel[keep], 5), "f8"),
                marker=dict(color=colours[j % len(colours)], line=dict(width=0)),
                name=label,
                hovertemplate=f"{label}<br>p/max p in %{{x}}<br>error %{{y:.3g}}<extra></extra>",
                meta={"role": "decades", "series": label},
            )
        )
    layout = style_layout(kind="error-by-sigma", title=title, height=height)
    layout.update(
        barmode="group",
        xaxis=dict(title=dict(text=x_title), type="category", tickangle=-35, tickfont=dict(size=14)),
        yaxis=dict(title=dict(text=y_title), type="log", **log_ticks(*shown)),
        legend=dict(layout["legend"], orientation="h", x=0.0, y=1.02, yanchor="bottom"),
    )
    return dict(data=data, layout=fit_y_titles(layout))
