"""Particles played client-side over a density: Plotly frames, play/pause buttons and a scrub slider.

:func:`animation_spec` returns the finished Plotly JSON dict the app sends (see :class:`SpecFigure`);
:func:`animation_html` turns it into a self-contained page for download.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoredemo.figures._style import (
    ANIMATION_HEIGHT,
    ANIMATION_MARGIN,
    HEAD_COLOR,
    HEAD_LINE_COLOR,
    HEAD_LINE_WIDTH,
    HEAD_SIZE,
    LEGEND_FONT,
    OKABE_ITO,
    PARTICLE_OPACITY,
    TRAIL_COLOR,
    TRAIL_OPACITY,
    TRAIL_WIDTH,
    _clean,
    _square_axis_pair,
    _subsample,
    style_layout,
    typed_array,
)
from scoredemo.figures.fields import _density_image_spec, quiver_dict

#: Score arrows under moving particles: grey, so the particles stay the thing to watch.
ARROW_UNDER = "#8C8C8C"
#: The controls under an animation, in rows (pixels below the bottom of the plot's paper, in its bottom margin):
#: the slider from SLIDER_ROW (clear of the x tick labels), the Play/Pause buttons SLIDER_ROW + BUTTON_ROW (under
#: the slider's label and rail). Side by side, as before, the buttons covered the slider's start on any chart
#: narrower than ~600 px (every animation at 1280 px: tests/e2e/test_layout.py checks).
SLIDER_ROW = 30
BUTTON_ROW = 50


@dataclass
class ParticleSet:
    """One group of animated particles: trajectory (F, N, 2), a legend label and a colour."""

    trajectory: np.ndarray
    name: str
    color: str = OKABE_ITO["vermillion"]
    size: float = 4.0
    symbol: str = "circle"  # a second set gets another symbol too: no information by colour alone


@dataclass
class Animation:
    """Everything an animation needs (all numpy); see :func:`animation_spec`."""

    sets: list[ParticleSet]
    box: float
    frame_labels: list[str]
    background: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # xs, ys, density grid
    log_background: bool = False
    #: Optional per-frame backgrounds (e.g. p_σᵢ for each noise level): a list of (xs, ys, density) and, per frame
    #: of the trajectory, the index of the one to show. Each is sent once; a frame only switches visibilities.
    backgrounds: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
    background_index: Sequence[int] | None = None
    #: Optional per-frame half-width of the view (e.g. a larger box at large σ); default ``box`` throughout.
    frame_boxes: Sequence[float] | None = None
    n_trails: int = 6
    trail_frames: int = 8  # a trail shows the last few frames only (a comet tail, not a scribble)
    title: str | None = None
    frame_duration_ms: int = 120  # 51 frames ≈ 6 s: long enough to follow in class
    start_frame: int = 0  # the frame shown before Play: the start, so Play shows the whole run
    arrows: tuple[np.ndarray, np.ndarray] | None = None  # (points, uv): a still score field under the particles


#: Caps on what an animation ships to the browser.
MAX_FRAMES = 61
MAX_DRAWN_PARTICLES = 1500


@dataclass
class Drawn:
    """What an animation draws, as chosen once for the chart and the GIF/MP4 export (:mod:`scoredemo.export`):
    the same frames, the same particles, the same highlighted paths."""

    frame_idx: np.ndarray  # the trajectory frames drawn (at most MAX_FRAMES, evenly spread)
    labels: list[str]  # one per drawn frame
    trajs: list[np.ndarray]  # per set, (len(frame_idx), n, 2) float32 cleaned (at most MAX_DRAWN_PARTICLES)
    trail_ids: np.ndarray  # the highlighted particles: indices into trajs[0]'s particles
    shown: list[int] | None  # per drawn frame, the index into ``backgrounds`` shown (None: one background)
    boxes: list[float] | None  # per drawn frame, the view's half-width (None: ``box`` throughout)


def drawn(anim: Animation) -> Drawn:
    """Choose the drawn frames, particles and highlighted particles of ``anim`` (and check its per-frame lists)."""
    if not anim.sets:
        raise ValueError("an animation needs at least one particle set")
    n_frames = anim.sets[0].trajectory.shape[0]
    frame_idx = _subsample(n_frames, MAX_FRAMES)
    trajs = []
    for s in anim.sets:
        t = np.asarray(s.trajectory)[frame_idx]
        t = t[:, _subsample(t.shape[1], MAX_DRAWN_PARTICLES)]
        trajs.append(_clean(t))
    shown = None
    if anim.backgrounds:
        if anim.background_index is None or len(anim.background_index) != n_frames:
            raise ValueError("backgrounds need a background_index with one entry per frame")
        shown = [int(anim.background_index[i]) for i in frame_idx]
    if anim.frame_boxes is not None and len(anim.frame_boxes) != n_frames:
        raise ValueError("frame_boxes needs one entry per frame")
    boxes = None if anim.frame_boxes is None else [float(anim.frame_boxes[i]) for i in frame_idx]
    n_trails = min(anim.n_trails, trajs[0].shape[1])
    trail_ids = _subsample(trajs[0].shape[1], n_trails) if n_trails else np.array([], int)
    return Drawn(frame_idx, [anim.frame_labels[i] for i in frame_idx], trajs, trail_ids, shown, boxes)


def animation_spec(anim: Animation) -> dict:
    """Particles over a density, played client-side by Plotly frames (kind="animation"), as a finished Plotly JSON
    dict (see :class:`SpecFigure`).

    The density is a layout image under the plot; with ``backgrounds`` every image is in the layout once and each
    frame only switches which one is visible (``images[i].visible``), and with ``frame_boxes`` it sets the view.
    Trace order: one scatter per particle set, then one line per
    highlighted particle (its recent trail) and one marker trace for the highlighted heads; every frame updates
    all of them. The figure opens on ``start_frame`` (0, the start, by default: Play shows the whole run; −1:
    the last frame), background and view included; "Play" plays from step 0; the slider scrubs. Frame and
    particle counts are capped (MAX_FRAMES, MAX_DRAWN_PARTICLES); coordinates are float32 rounded to 3 decimals,
    sent as typed arrays.

    Built as plain dicts because this is the app's hottest figure: ~500 traces over 61 frames cost ~0.1 s to build
    as validated ``go`` objects and as much again to copy and serialise; as dicts, a few milliseconds.
    """
    d = drawn(anim)
    frame_idx, labels, trajs, shown, boxes = d.frame_idx, d.labels, d.trajs, d.shown, d.boxes
    last = len(frame_idx) - 1
    opening = min(anim.start_frame, last) if anim.start_frame >= 0 else last  # the frame shown before Play
    images = []
    if anim.background is not None:
        # a layout image, not a heatmap: Plotly drops heatmaps from the view while frames play with redraw=False
        xs, ys, z = anim.background
        images.append(_density_image_spec(xs, ys, z, log=anim.log_background))
    if shown is not None:  # per drawn frame, which of the per-frame backgrounds is visible
        first = len(images)
        for j, (xs, ys, z) in enumerate(anim.backgrounds):
            images.append(dict(_density_image_spec(xs, ys, z, log=anim.log_background), visible=j == shown[opening]))

    def frame_layout(k: int) -> dict:
        """What a frame changes in the layout: which background is visible (attribute paths, a few bytes), and the
        view's range. Every frame says it in full, so scrubbing to any frame shows the right picture."""
        out = {}
        if shown is not None:
            out.update({f"images[{first + j}].visible": j == shown[k] for j in range(len(anim.backgrounds))})
        if boxes is not None:
            out.update({"xaxis.range": [-boxes[k], boxes[k]], "yaxis.range": [-boxes[k], boxes[k]]})
        return out

    lead, trail_ids = trajs[0], d.trail_ids
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
                    marker=dict(size=s.size, color=s.color, opacity=PARTICLE_OPACITY)
                    | ({} if s.symbol == "circle" else {"symbol": s.symbol}),
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
                    line=dict(color=TRAIL_COLOR, width=TRAIL_WIDTH),
                    opacity=TRAIL_OPACITY,
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
                    marker=dict(
                        size=HEAD_SIZE, color=HEAD_COLOR, line=dict(color=HEAD_LINE_COLOR, width=HEAD_LINE_WIDTH)
                    ),
                    name="highlighted particles",
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        return out

    data = dynamic(opening)
    dyn_ids = list(range(len(data)))
    if anim.arrows is not None:  # drawn first, so under the particles; frames leave it as it is
        points, uv = anim.arrows
        data = [quiver_dict(np.asarray(points), np.asarray(uv), color=ARROW_UNDER, name="score s(x)"), *data]
        dyn_ids = [i + 1 for i in dyn_ids]
    frames = [dict(name=str(k), data=dynamic(k), traces=dyn_ids) for k in range(len(frame_idx))]
    if shown is not None or boxes is not None:
        for k, fr in enumerate(frames):
            fr["layout"] = frame_layout(k)
    still = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    play = dict(
        frame=dict(duration=anim.frame_duration_ms, redraw=False),
        transition=dict(duration=0),
        fromcurrent=False,
        mode="immediate",
    )
    xaxis, yaxis = _square_axis_pair(anim.box if boxes is None else boxes[opening])
    layout = style_layout(kind="animation", title=anim.title, height=ANIMATION_HEIGHT)
    layout.update(
        images=images,
        xaxis=xaxis,
        yaxis=yaxis,
        margin=dict(ANIMATION_MARGIN),
        legend=dict(layout["legend"], y=1.03, yanchor="bottom", bgcolor="rgba(0,0,0,0)"),
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0.0,
                y=0.0,
                xanchor="left",
                yanchor="top",
                pad=dict(t=SLIDER_ROW + BUTTON_ROW, r=10),  # under the slider: beside it they covered its start
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
                active=opening,
                x=0.0,
                len=1.0,
                y=0.0,
                yanchor="top",
                pad=dict(t=SLIDER_ROW, b=0),
                # 61 tick labels would overlap: show the current one (size 1: the hidden labels take no room)
                font=dict(size=1, color="rgba(0,0,0,0)"),
                ticklen=0,  # no tick per frame: 51 of them only made a dashed strip under the rail
                minorticklen=0,
                currentvalue=dict(
                    prefix="", font=dict(size=LEGEND_FONT + 2, color="#000000"), visible=True, xanchor="right", offset=8
                ),
                transition=dict(duration=0),
                steps=[dict(label=labels[k], method="animate", args=[[str(k)], still]) for k in range(len(frame_idx))],
            )
        ],
    )
    return dict(data=data, layout=layout, frames=frames)


def animation_html(spec: dict) -> str:
    """A finished figure dict (e.g. :func:`animation_spec`) as a self-contained HTML page (plotly.js inlined; works
    offline)."""
    import plotly.io as pio  # noqa: PLC0415 - only the download needs it

    return pio.to_html(
        spec, include_plotlyjs=True, full_html=True, auto_play=False, config={"displaylogo": False}, validate=False
    )
