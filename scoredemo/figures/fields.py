"""Pictures on the plane: density images, score-arrow panels, scalar maps and the paths particles took.

Every builder returns a finished Plotly JSON dict (see :class:`SpecFigure`) on fixed square axes [−box, box]².
"""

from __future__ import annotations

import base64
import copy
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoredemo.figures._style import (
    DENSITY_SCALE,
    ERROR_SCALE,
    FONT_SIZE,
    OKABE_ITO,
    SERIES,
    _clean,
    _finite,
    _row_layout,
    _square_axis_pair,
    _subsample,
    style_layout,
    typed_array,
)


def _colour_table(scale: list, n: int = 256) -> np.ndarray:
    stops = np.array([v for v, _ in scale])
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for _, c in scale], np.float64)
    t = np.linspace(0.0, 1.0, n)
    return np.stack([np.interp(t, stops, rgb[:, k]) for k in range(3)], axis=-1).astype(np.uint8)


def density_rgb(z: np.ndarray, *, log: bool = False) -> np.ndarray:
    """A density grid (rows = increasing y) as an RGB picture (rows = decreasing y: row 0 is the top) in
    DENSITY_SCALE colours: linear in p/max p, or with ``log`` in log p over its top 30 nats."""
    z = _finite(z)
    if log:
        top = float(z.max())
        z = (np.clip(z, top - 30.0, top) - (top - 30.0)) / 30.0
    else:
        z = z / max(float(z.max()), 1e-300)
    idx = np.clip((z * 255).round().astype(int), 0, 255)
    return _colour_table(DENSITY_SCALE)[idx[::-1]]  # image row 0 is the top (largest y)


def density_image(z: np.ndarray, *, log: bool = False) -> str:
    """A density grid (rows = increasing y) as a PNG data URI of :func:`density_rgb`.

    Used under arrows: Plotly draws heatmaps above quiver traces, so the density goes into a layout image
    (layer "below") instead — which is also a smaller payload than a heatmap.
    """
    from PIL import Image  # noqa: PLC0415 - Pillow ships with Streamlit

    buf = io.BytesIO()
    # no optimize=True: 6× slower (11 vs 1.8 ms for 100², 1.86 vs 1.96 kB), and an animation has 11 of them
    Image.fromarray(density_rgb(z, log=log), "RGB").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


#: Height of the arrow key under a magnitude panel, in arrow cells (a line of text, then the sample arrows), and of
#: one more line of its text.
KEY_CELLS = 2.6
KEY_LINE = 0.9


@dataclass(frozen=True)
class ArrowScale:
    """What a magnitude arrow's length means, stated on the chart (a key under the panel, see
    :func:`score_field_spec`).

    kind="linear": length = ‖s‖/unit cells (``unit``: the ‖s‖ drawn one cell long), capped at ``cap`` cells.
    kind="log": length = per_decade · log10(1 + ‖s‖/unit) cells, capped at ``cap`` cells: every 10× of ‖s‖
    adds the same ``per_decade`` cells, so a field whose ‖s‖ spans several decades (a thin ring's: from
    ~1 to ~10⁴) stays readable under one scale shared between pictures. ``note`` says where ``unit`` comes from
    (e.g. "this picture's 95th percentile").
    """

    kind: str = "linear"
    unit: float = 1.0
    per_decade: float = 0.3
    cap: float = 2.0
    note: str = ""

    def cells(self, mag: np.ndarray) -> np.ndarray:
        """Arrow lengths in cells for magnitudes ``mag`` (≥ 0)."""
        mag = np.maximum(_finite(mag), 0.0)
        unit = max(float(self.unit), 1e-12)
        if self.kind == "log":
            length = self.per_decade * np.log10(1.0 + mag / unit)
        elif self.kind == "linear":
            length = mag / unit
        else:
            raise ValueError(f"unknown arrow scale {self.kind!r}: use 'linear' or 'log'")
        return np.minimum(length, self.cap)

    def key_values(self) -> list[float]:
        """The magnitudes the key draws: 1, 10, … (at most five, below the cap) on a log scale; ½, 1 and cap units on a
        linear one."""
        if self.kind == "log":
            top = self.unit * (10.0 ** (self.cap / self.per_decade) - 1.0)
            return [10.0**k for k in range(0, 6) if 10.0**k <= top][:5]
        return [v * self.unit for v in (0.5, 1.0, self.cap)]

    def describe(self, sep: str = " ") -> str:
        """What length means, for the key: one line, or with ``sep`` = "<br>" the note on a line of its own."""
        if self.kind == "log":
            text = f"arrow length: log scale, +{self.per_decade:g} cell per 10× in ‖s‖"
        else:
            text = f"arrow length ∝ ‖s‖, 1 cell = {self.unit:.3g}"
        return text + (f"{sep}({self.note})" if self.note else "")

    def key_cells(self) -> float:
        """Height of the key's strip under a panel, in arrow cells: a line more for the note."""
        return KEY_CELLS + (KEY_LINE if self.note else 0.0)


def per_picture_scale(score: np.ndarray, *, cap: float = 2.0) -> ArrowScale:
    """The linear scale that draws this picture's 95th-percentile ‖s‖ one cell long (scene 1's magnitude mode)."""
    mag = np.linalg.norm(_finite(score), axis=-1)
    return ArrowScale(
        "linear", max(float(np.quantile(mag, 0.95)), 1e-12), cap=cap, note="this picture's 95th percentile"
    )


def arrow_vectors(
    score: np.ndarray, cell: float, *, mode: str = "direction", scale: ArrowScale | None = None
) -> np.ndarray:
    """Arrow (u, v) for a score field on a grid of spacing ``cell``.

    mode="direction": every arrow 0.8 cell long (s/‖s‖). mode="magnitude": length from ``scale`` (an
    :class:`ArrowScale`, e.g. one shared between pictures); without one, length ∝ ‖s‖ scaled so this picture's
    95th-percentile magnitude is one cell, capped at 2 cells (:func:`per_picture_scale`).
    """
    s = _finite(score)
    mag = np.linalg.norm(s, axis=-1, keepdims=True)
    if mode == "direction":
        return 0.8 * cell * s / np.maximum(mag, 1e-12)
    scale = scale or per_picture_scale(s)
    length = scale.cells(mag) * cell
    return length * s / np.maximum(mag, 1e-12)


def _value_label(v: float) -> str:
    if v >= 1000 and np.isclose(np.log10(v), round(np.log10(v))):
        sup = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
        return "10" + str(int(round(np.log10(v)))).translate(sup)
    return f"{v:.3g}"


def _key_label(text: str, x: float, y: float, suffix: str) -> dict:
    """A line of the arrow key: text starting at (x, y) in the data units of axes x{suffix}/y{suffix}."""
    return dict(
        text=text,
        x=x,
        y=y,
        xanchor="left",
        yanchor="middle",
        showarrow=False,
        font=dict(size=13),
        xref=f"x{suffix}",
        yref=f"y{suffix}",
    )


def _arrow_key(scale: ArrowScale, box: float, cell: float, suffix: str) -> tuple[dict, list[dict], list[dict]]:
    """The key drawn in a strip under the panel (inside its axes, so lengths are in the same data units as the
    field's arrows): sample arrows for :meth:`ArrowScale.key_values` with their ‖s‖, the line of
    :meth:`ArrowScale.describe`, and a line separating the strip from the picture."""
    values = scale.key_values()
    lengths = scale.cells(np.asarray(values)) * cell
    extra = scale.key_cells() - KEY_CELLS  # the note's line, under the first (on one, it ran past a 359-px panel)
    y_arrow, y_text = -box - (1.75 + extra) * cell, -box - (0.65 + extra / 2) * cell
    x, tails = -box + 0.3 * cell, []
    labels = []
    for v, length in zip(values, lengths, strict=True):
        tails.append((x, y_arrow))
        labels.append(
            _key_label(("‖s‖ = " if not labels else "") + _value_label(v), x + length + 0.15 * cell, y_arrow, suffix)
        )
        x += length + (3.4 if len(labels) == 1 else 1.9) * cell  # the first label also says "‖s‖ ="
    pts = np.asarray(tails)
    uv = np.stack([lengths, np.zeros_like(lengths)], -1)
    trace = dict(quiver_dict(pts, uv, name="arrow key"), meta={"role": "key", "values": [float(v) for v in values]})
    labels.append(_key_label(scale.describe("<br>"), -box + 0.3 * cell, y_text, suffix))
    line = dict(color="#8C8C8C", width=1)
    sep = dict(type="line", x0=-box, x1=box, y0=-box, y1=-box, xref=f"x{suffix}", yref=f"y{suffix}", line=line)
    return trace, labels, [sep]


#: End-of-path marker per mode (mode -1, "lost", takes the last one: a cross).
END_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "star", "hexagon", "pentagon", "x"]


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
    log_p: np.ndarray | None = None  # optional (n,) log p at the arrow tails: hovering an arrow shows its numbers
    p_name: str = "p"  # what the hover calls the density ("p_σ" for a blurred one)


def _arrow_hover(score: np.ndarray, log_p: np.ndarray, p_name: str) -> dict:
    """What hovering an arrow shows: its tail (x, y), log p there and the score s(x) = (s₁, s₂) it draws, exact
    (the values the arrow was drawn from, not read off the picture). Sent as one (n, 3) typed array."""
    values = np.column_stack([_finite(score)[:, 0], _finite(score)[:, 1], _finite(log_p)]).astype(np.float32)
    return dict(
        customdata=dict(typed_array(np.round(values, 4)), shape=f"{len(values)}, 3"),
        hovertemplate=f"(x, y) = (%{{x:.2f}}, %{{y:.2f}})<br>log {p_name}(x) = %{{customdata[2]:.3g}}<br>"
        "s(x) = (%{customdata[0]:.3g}, %{customdata[1]:.3g})<extra></extra>",
    )


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
    panels: Sequence[FieldPanel],
    *,
    box: float,
    mode: str = "direction",
    scale: ArrowScale | None = None,
    title: str | None = None,
    height: int = 560,
) -> dict:
    """Side-by-side density + score-arrow panels on identical fixed axes (kind="score-field"), as a finished Plotly
    dict (see :class:`SpecFigure`).

    mode="magnitude" with a ``scale``: every panel's arrows use that one scale, and a key under each panel (a
    strip below y = −box, inside the panel's axes) shows sample arrows with their ‖s‖ and says what length means.
    Trace ``meta``: {"role": "field"} for the field's arrows, {"role": "key", "values": [...]} for the key's.
    """
    n = len(panels)
    layout = copy.deepcopy(_row_layout(n, 0.06, titled=True))
    data, images, notes, shapes = [], [], [], []
    keyed = mode == "magnitude" and scale is not None
    for j, p in enumerate(panels, start=1):
        suffix = "" if j == 1 else str(j)
        axes = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        cell = 2.0 * box / max(int(round(np.sqrt(len(p.points)))) - 1, 1)
        images.append(_density_image_spec(p.xs, p.ys, p.density, log=p.log, suffix=suffix))
        uv = arrow_vectors(p.score, cell, mode=mode, scale=scale)
        arrows = dict(quiver_dict(p.points, uv, color=p.color, name=f"score {j}"), meta={"role": "field"}, **axes)
        if p.log_p is not None:
            del arrows["hoverinfo"]  # "skip" elsewhere: a picture's arrows are not otherwise hovered
            arrows.update(_arrow_hover(p.score, p.log_p, p.p_name))
        data.append(arrows)
        if p.overlay is not None and len(p.overlay):
            data.append(
                dict(_points_dict(p.overlay, color=OKABE_ITO["vermillion"], name="data samples", opacity=0.6), **axes)
            )
        x, y = _square_axis_pair(box, f"x{suffix}")
        if keyed:
            key, labels, lines = _arrow_key(scale, box, cell, suffix)
            data.append(dict(key, **axes))
            notes += labels
            shapes += lines
            step = 1.0 if box <= 4.5 else 2.0 if box <= 9.0 else 5.0
            ticks = np.arange(-np.floor(box / step) * step, box + 1e-9, step)
            # ticks only on the picture, not on the key's strip
            strip = -box - scale.key_cells() * cell
            y = dict(y, range=[strip, box], tickmode="array", tickvals=[float(t) for t in ticks])
        layout[f"xaxis{suffix}"].update(x)
        layout[f"yaxis{suffix}"].update(y)
        layout["annotations"][j - 1].update(text=p.title, font=dict(size=FONT_SIZE))
    layout.update(style_layout(kind="score-field", title=title, height=height), images=images, showlegend=False)
    if keyed:
        layout["annotations"] = [*layout["annotations"], *notes]
        layout["shapes"] = shapes
    return dict(data=data, layout=layout)


#: The layout keys a frame of :func:`stepped_spec` replaces (what differs between two values of the control).
STEPPED_LAYOUT_KEYS = ("images", "annotations", "shapes", "xaxis", "yaxis")


def _step_digits(step: float) -> int:
    """Decimals a control's value is named with: those of its step (0.05 -> 2)."""
    return max(0, -int(np.floor(np.log10(step) + 1e-9))) if step < 1 else 0


def frame_name(value: float, step: float, option: str | None = None) -> str:
    """The name of the :func:`stepped_spec` frame the page's script shows for a control's ``value`` (rounded to the
    step's decimals) and, for a figure with a choice, the radio's ``option``: "0.20" or "0.20|pc"."""
    name = f"{value:.{_step_digits(step)}f}"
    return name if option is None else f"{name}|{option}"


def stepped_spec(
    specs: Sequence[dict], names: Sequence[str], start: int, *, control: str, step: float, choice: str | None = None
) -> dict:
    """One figure holding every spec of ``specs`` (the same traces, one spec per value of a page control) as a
    Plotly frame named ``names[i]``; it opens on ``specs[start]``.

    The browser can show any frame without the server (``Plotly.animate(gd, [name])``): the page's script does it
    when the control labelled ``control`` moves (``layout.meta.frames``: the label, the step the names are rounded
    to, the frame shown). With ``choice`` (the label of a radio group), a frame is named ``"<value>|<option>"`` and
    the script shows the frame of the slider's value and the radio's selected option. The figure does not depend on
    the controls' values but for the frame it opens on, which is the one the browser already shows when the
    control's rerun re-sends it."""
    if not specs or len(specs) != len(names):
        raise ValueError(f"need one name per spec, got {len(specs)} specs and {len(names)} names")
    if choice is not None and not all("|" in str(n) for n in names):
        raise ValueError("with a choice, every frame is named '<value>|<option>'")
    controls = dict(control=control, step=step, digits=_step_digits(step)) | (
        {"choice": choice} if choice is not None else {}
    )

    def meta(layout: dict, name: str) -> dict:
        return dict(layout.get("meta") or {}, frames=dict(controls, shown=name))

    frames = []
    for spec, name in zip(specs, names, strict=True):
        lay = spec["layout"]
        frame_layout = {k: lay[k] for k in STEPPED_LAYOUT_KEYS if k in lay}
        frames.append(dict(name=str(name), data=spec["data"], layout=dict(frame_layout, meta=meta(lay, str(name)))))
    first = specs[start]["layout"]  # shared, not copied: the template stays the one shared object
    return dict(data=specs[start]["data"], layout=dict(first, meta=meta(first, str(names[start]))), frames=frames)


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


@dataclass
class PathPanel:
    """One panel of :func:`paths_spec`: a score's arrows over the density, and particles that followed it.

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


def paths_spec(
    panels: Sequence[PathPanel],
    *,
    box: float,
    mode_names: Sequence[str],
    title: str | None = None,
    height: int = 620,
) -> dict:
    """Side-by-side panels (kind="paths"): grey score arrows over the density, the paths of up to MAX_PATHS
    particles and every particle's start (hollow) and end (filled), coloured by the mode it ended in
    (black: none). Trace ``meta``: {"role": "end"|"path"|"start", "panel": j, "mode": m}."""
    layout = copy.deepcopy(_row_layout(len(panels), 0.05, titled=True))
    names = [*mode_names]
    colour = lambda m: SERIES[m % len(SERIES)] if m >= 0 else OKABE_ITO["black"]
    label = lambda m: f"ended {names[m]}" if m >= 0 else "ended at no mode"
    data, images = [], []
    shown: set[int] = set()
    for j, p in enumerate(panels, start=1):
        suffix = "" if j == 1 else str(j)
        axes = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        cell = 2.0 * box / max(int(round(np.sqrt(len(p.points)))) - 1, 1)
        images.append(_density_image_spec(p.xs, p.ys, p.density, suffix=suffix))
        arrows = quiver_dict(p.points, arrow_vectors(p.score, cell), color="#8C8C8C", name=f"arrows {j}")
        data.append(dict(arrows, showlegend=False, **axes))
        traj = _clean(p.trajectory)
        modes = np.asarray(p.end_mode, int)
        picked = _subsample(traj.shape[1], MAX_PATHS)
        data.append(
            dict(
                type="scatter",
                x=typed_array(traj[0, :, 0]),
                y=typed_array(traj[0, :, 1]),
                mode="markers",
                marker=dict(size=5, color="rgba(0,0,0,0)", line=dict(color="#555555", width=1)),
                name="start",
                showlegend=j == 1,
                hoverinfo="skip",
                meta={"role": "start", "panel": j - 1},
                **axes,
            )
        )
        for m in sorted(set(modes.tolist())):
            sel = picked[modes[picked] == m]
            if len(sel):
                # one trace per colour; a None between two paths breaks the line
                xs = np.concatenate([np.r_[traj[:, i, 0], np.nan] for i in sel])
                ys = np.concatenate([np.r_[traj[:, i, 1], np.nan] for i in sel])
                data.append(
                    dict(
                        type="scatter",
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
                        **axes,
                    )
                )
            ends = traj[-1, modes == m]
            data.append(
                dict(
                    type="scatter",
                    x=typed_array(ends[:, 0]),
                    y=typed_array(ends[:, 1]),
                    mode="markers",
                    # a symbol per mode as well as a colour (no information by colour alone)
                    marker=dict(
                        size=9,
                        color=colour(m),
                        symbol=END_SYMBOLS[m % len(END_SYMBOLS)],
                        line=dict(color="#FFFFFF", width=1),
                    ),
                    name=label(m),
                    legendgroup=f"mode{m}",
                    showlegend=m not in shown,
                    hoverinfo="skip",
                    meta={"role": "end", "panel": j - 1, "mode": m},
                    **axes,
                )
            )
            shown.add(m)
        x, y = _square_axis_pair(box, f"x{suffix}")
        layout[f"xaxis{suffix}"].update(x)
        layout[f"yaxis{suffix}"].update(y)
        layout["annotations"][j - 1].update(text=p.title, font=dict(size=FONT_SIZE))
    layout.update(style_layout(kind="paths", title=title, height=height), images=images)
    # legend under the panels (above them it would cover the panel titles)
    layout["legend"].update(orientation="h", yanchor="top", y=-0.08, x=0.0)
    layout["margin"].update(b=90)
    return dict(data=data, layout=layout)
