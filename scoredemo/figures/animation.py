"""Particles played client-side over a density: Plotly frames, play/pause buttons and a scrub slider.

:func:`animation_spec` returns the finished Plotly JSON dict the app sends (see :class:`SpecFigure`), for one
panel or several side by side that play in step under one set of controls; :func:`animation_html` turns it into a
self-contained page for download. Other charts of a page can follow the frame an animation shows
(:func:`follow_meta`): a meter's cursor moves with it, and a chart with frames of the same names (e.g. scene 2's
marginals) shows the same step.

**The opening rule** (one for every scene): an animation opens on its *last* frame, the run's result, which is the
point of every scene at a glance (the collapsed cloud, the half-and-half split, the recovered weights), and every
chart that follows it is drawn at that frame too. ▶ Play runs the whole run from its start; ❚❚ Pause holds the
frame shown, and ▶ Play then resumes from there (Plotly's ``fromcurrent``, which starts from the beginning when
the frame shown is the first or the last).
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
#: A highlighted path longer than this many frames draws its older part faded (TRAIL_OLD_OPACITY): the recent
#: moves stay the thing to follow, the whole road stays readable behind them.
RECENT_FRAMES = 8
TRAIL_OLD_OPACITY = 0.25
#: A highlighted path is drawn from where its particle last entered the frame's view (this much wider than the
#: view), and, where the view changes over the run, only over the frames whose view was at most TRAIL_VIEW_RATIO
#: times the current one: a particle that came from far outside, or crossed the picture in one frame while the noise
#: was large (the reverse SDE's start at σ_max, early annealing levels), would otherwise draw long straight lines
#: across the picture once the view has narrowed.
TRAIL_VIEW_MARGIN = 1.05
TRAIL_VIEW_RATIO = 1.5
#: Side-by-side panels: the gap between them, as a fraction of the figure's width.
PANEL_GAP = 0.08
#: The group a page's main animation leads (see :func:`follow_meta`).
MAIN = "main"


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
    """Everything one animated panel needs (all numpy); see :func:`animation_spec`."""

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
    trail_frames: int = 8

    @property
    def opening(self) -> int:
        """Index of the drawn frame shown before Play (always the last: see the module's docstring)."""
        return len(self.frame_idx) - 1

    def box_at(self, k: int, box: float) -> float:
        return box if self.boxes is None else self.boxes[k]

    def trail(self, k: int, p: int, box: float) -> tuple[np.ndarray, np.ndarray]:
        """Highlighted particle ``p``'s path at drawn frame ``k``, as (old, recent) point arrays (m, 2) (either may
        be empty; they share their joining point): at most ``trail_frames`` frames back and over frames whose view was
        at most TRAIL_VIEW_RATIO times frame k's, from where it last entered the view (``box`` widened by
        TRAIL_VIEW_MARGIN), the last RECENT_FRAMES + 1 points recent, the rest old."""
        lead = self.trajs[0]
        start = max(0, k - self.trail_frames)
        if self.boxes is not None:
            while start < k and self.boxes[start] > TRAIL_VIEW_RATIO * self.boxes[k]:
                start += 1
        pts = lead[start : k + 1, p]
        limit = TRAIL_VIEW_MARGIN * self.box_at(k, box)
        outside = np.flatnonzero(np.any(np.abs(pts) > limit, axis=-1))
        if len(outside):
            pts = pts[outside[-1] + 1 :]
        cut = max(len(pts) - (RECENT_FRAMES + 1), 0)
        return (pts[: cut + 1] if cut else pts[:0]), pts[cut:]


def drawn(anim: Animation, max_frames: int = MAX_FRAMES) -> Drawn:
    """Choose the drawn frames (at most ``max_frames``), particles and highlighted particles of ``anim`` (and check
    its per-frame lists)."""
    if not anim.sets:
        raise ValueError("an animation needs at least one particle set")
    n_frames = anim.sets[0].trajectory.shape[0]
    frame_idx = _subsample(n_frames, min(max_frames, MAX_FRAMES))
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
    return Drawn(
        frame_idx, [anim.frame_labels[i] for i in frame_idx], trajs, trail_ids, shown, boxes, anim.trail_frames
    )


def drawn_frames(n_frames: int) -> np.ndarray:
    """Which of ``n_frames`` recorded frames an animation draws (the same choice :func:`drawn` makes): for a
    chart that follows it frame by frame."""
    return _subsample(n_frames, MAX_FRAMES)


def follow_meta(*, cursor: Sequence[float] | None = None, frames: bool = False, group: str = MAIN) -> dict:
    """``layout.meta["follow"]`` of a chart that follows the frame of the page's animation of ``group``: with
    ``cursor`` (one x value per drawn frame of the animation) the chart's first shape, a vertical line, moves to
    the shown frame's x; with ``frames`` the chart has Plotly frames named like the animation's ("0", "1", …) and
    shows the same one. The page script ``presenter.PLAYER_JS`` does it in the browser."""
    out: dict = {"group": group}
    if cursor is not None:
        out["cursor"] = [float(v) for v in cursor]
    if frames:
        out["frames"] = True
    return out


def cursor_shape(x: float) -> dict:
    """The vertical line that marks the frame shown in a chart that follows an animation (see :func:`follow_meta`)."""
    return dict(
        type="line",
        xref="x",
        yref="paper",
        x0=float(x),
        x1=float(x),
        y0=0.0,
        y1=1.0,
        line=dict(color="#555555", width=2, dash="dot"),
        opacity=1.0,
        layer="below",
    )


def _panel(anim: Animation, d: Drawn, j: int, n: int) -> dict:
    """One panel's part of the figure, on axes x{suffix}/y{suffix}: its traces at every drawn frame, its images, its
    per-frame layout changes and its axes."""
    suffix = "" if j == 0 else str(j + 1)
    xa, ya = f"x{suffix}", f"y{suffix}"
    trajs, shown, boxes = d.trajs, d.shown, d.boxes
    images = []
    if anim.background is not None:
        # a layout image, not a heatmap: Plotly drops heatmaps from the view while frames play with redraw=False
        xs, ys, z = anim.background
        images.append(_density_image_spec(xs, ys, z, log=anim.log_background, suffix=suffix))
    first = len(images)
    if shown is not None:  # per drawn frame, which of the per-frame backgrounds is visible
        for i, (xs, ys, z) in enumerate(anim.backgrounds):
            images.append(
                dict(
                    _density_image_spec(xs, ys, z, log=anim.log_background, suffix=suffix),
                    visible=i == shown[d.opening],
                )
            )
    # per frame, x and y of every drawn point in one contiguous block each: one base64 call per array
    xs_all = [np.ascontiguousarray(t[..., 0]) for t in trajs]
    ys_all = [np.ascontiguousarray(t[..., 1]) for t in trajs]
    long_trails = anim.trail_frames > RECENT_FRAMES
    axes = {"xaxis": xa, "yaxis": ya}

    def line(pts: np.ndarray, opacity: float, first_in_legend: bool) -> dict:
        return dict(
            type="scatter",
            x=typed_array(pts[:, 0]),
            y=typed_array(pts[:, 1]),
            mode="lines",
            line=dict(color=TRAIL_COLOR, width=TRAIL_WIDTH),
            opacity=opacity,
            name="highlighted paths",
            legendgroup="trails",
            showlegend=first_in_legend,
            hoverinfo="skip",
            **axes,
        )

    def dynamic(k: int) -> list[dict]:
        out = []
        for s_i, s in enumerate(anim.sets):
            out.append(
                dict(
                    type="scatter",
                    x=typed_array(xs_all[s_i][k]),
                    y=typed_array(ys_all[s_i][k]),
                    mode="markers",
                    marker=dict(size=s.size, color=s.color, opacity=PARTICLE_OPACITY)
                    | ({} if s.symbol == "circle" else {"symbol": s.symbol}),
                    name=s.name,
                    hoverinfo="skip",
                    **axes,
                )
            )
        box = d.box_at(k, anim.box)
        for i, p in enumerate(d.trail_ids):
            old, recent = d.trail(k, p, anim.box)
            if long_trails:
                out.append(line(old, TRAIL_OLD_OPACITY * TRAIL_OPACITY, False))
            out.append(line(recent, TRAIL_OPACITY, i == 0 and j == 0))
        if len(d.trail_ids):
            heads = trajs[0][k, d.trail_ids]
            heads = heads[np.all(np.abs(heads) <= TRAIL_VIEW_MARGIN * box, axis=-1)]
            out.append(
                dict(
                    type="scatter",
                    x=typed_array(heads[:, 0]),
                    y=typed_array(heads[:, 1]),
                    mode="markers",
                    marker=dict(
                        size=HEAD_SIZE, color=HEAD_COLOR, line=dict(color=HEAD_LINE_COLOR, width=HEAD_LINE_WIDTH)
                    ),
                    name="highlighted particles",
                    showlegend=False,
                    hoverinfo="skip",
                    **axes,
                )
            )
        return out

    def frame_layout(k: int, image_offset: int) -> dict:
        """What a frame changes in the layout: which background is visible (attribute paths, a few bytes), and the
        view's range. Every frame says it in full, so scrubbing to any frame shows the right picture."""
        out = {}
        if shown is not None:
            out.update(
                {f"images[{image_offset + first + i}].visible": i == shown[k] for i in range(len(anim.backgrounds))}
            )
        if boxes is not None:
            out.update({f"xaxis{suffix}.range": [-boxes[k], boxes[k]], f"yaxis{suffix}.range": [-boxes[k], boxes[k]]})
        return out

    static = []
    if anim.arrows is not None:  # drawn first, so under the particles; frames leave it as it is
        points, uv = anim.arrows
        static.append(quiver_dict(np.asarray(points), np.asarray(uv), color=ARROW_UNDER, name="score s(x)") | axes)
    xaxis, yaxis = _square_axis_pair(d.box_at(d.opening, anim.box), x_ref=xa)
    return dict(
        static=static,
        frames=[dynamic(k) for k in range(n)],
        images=images,
        frame_layout=frame_layout,
        axes=(f"xaxis{suffix}", xaxis, f"yaxis{suffix}", yaxis),
        per_frame_layout=shown is not None or boxes is not None,
    )


def animation_spec(anim: Animation | Sequence[Animation], *, group: str = MAIN) -> dict:
    """Particles over a density, played client-side by Plotly frames (kind="animation"), as a finished Plotly JSON
    dict (see :class:`SpecFigure`).

    ``anim`` is one panel or several (side by side, equal widths, each with its own axes, background and view):
    one set of Play/Pause buttons and one slider drive them all, frame k of each at once (a panel with more
    recorded frames than another draws as many as the other, evenly spread: frame k of each is the same fraction of
    its run; the slider's labels are the first panel's). Each panel's title is written above it.

    The density is a layout image under the plot; with ``backgrounds`` every image is in the layout once and each
    frame only switches which one is visible (``images[i].visible``), and with ``frame_boxes`` it sets the view.
    Trace order, per panel: the still arrows (if any), one scatter per particle set, then the highlighted paths
    (one line per highlighted particle, two when paths are longer than RECENT_FRAMES: the older part faded) and one
    marker trace for the highlighted heads; every frame updates all but the arrows. The figure opens on the last
    frame (see the module's docstring), background and view included; "Play" plays from the frame shown (from the
    start when that is the first or the last), "Pause" holds it, the slider scrubs. Frame and particle counts are
    capped (MAX_FRAMES, MAX_DRAWN_PARTICLES); coordinates are float32 rounded to 3 decimals, sent as typed arrays.
    ``layout.meta``: ``kind`` "animation", ``group`` (the charts that follow it name it, see :func:`follow_meta`),
    ``panels``.

    Built as plain dicts because this is the app's hottest figure: ~500 traces over 61 frames cost ~0.1 s to build
    as validated ``go`` objects and as much again to copy and serialise; as dicts, a few milliseconds.
    """
    anims = [anim] if isinstance(anim, Animation) else list(anim)
    if not anims:
        raise ValueError("an animation needs at least one panel")
    n = min(a.sets[0].trajectory.shape[0] if a.sets else 0 for a in anims)
    ds = [drawn(a, max(n, 1)) for a in anims]
    n = len(ds[0].frame_idx)
    panels = [_panel(a, d, j, n) for j, (a, d) in enumerate(zip(anims, ds, strict=True))]
    opening = ds[0].opening
    labels = ds[0].labels

    data, dyn_ids, images, offsets = [], [], [], []
    for p in panels:
        offsets.append(len(images))
        images.extend(p["images"])
        data.extend(p["static"])
        dyn_ids.extend(range(len(data), len(data) + len(p["frames"][opening])))
        data.extend(p["frames"][opening])
    frames = []
    for k in range(n):
        fr = dict(name=str(k), data=[t for p in panels for t in p["frames"][k]], traces=dyn_ids)
        if any(p["per_frame_layout"] for p in panels):
            fr["layout"] = {
                kk: v for p, off in zip(panels, offsets, strict=True) for kk, v in p["frame_layout"](k, off).items()
            }
        frames.append(fr)

    still = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    play = dict(
        frame=dict(duration=anims[0].frame_duration_ms, redraw=False),
        transition=dict(duration=0),
        fromcurrent=True,  # resume where paused; from the start when the first or last frame is shown
        mode="immediate",
    )
    single = len(anims) == 1
    layout = style_layout(kind="animation", title=anims[0].title if single else None, height=ANIMATION_HEIGHT)
    width = (1.0 - PANEL_GAP * (len(anims) - 1)) / len(anims)
    annotations = []
    for j, (p, a) in enumerate(zip(panels, anims, strict=True)):
        xname, xaxis, yname, yaxis = p["axes"]
        lo = j * (width + PANEL_GAP)
        if not single:
            suffix = xname[len("xaxis") :]
            xaxis = dict(xaxis, domain=[lo, lo + width], anchor=f"y{suffix}")
            yaxis = dict(yaxis, domain=[0.0, 1.0], anchor=f"x{suffix}")
            if a.title:  # over its panel, from its left edge (a "<br>" in it starts a second line)
                annotations.append(
                    dict(
                        text=a.title, x=lo, xref="paper", xanchor="left", y=1.0, yref="paper", yanchor="bottom",
                        yshift=6, showarrow=False, align="left", font=dict(size=LEGEND_FONT),
                    )
                )  # fmt: skip
        layout[xname], layout[yname] = xaxis, yaxis
    layout["meta"] = dict(layout["meta"], group=group, panels=len(anims))
    margin = dict(ANIMATION_MARGIN)
    if not single:  # no title and no legend above the panels: room for their titles' lines only
        lines = max((a.title or "").count("<br>") + 1 for a in anims)
        margin["t"] = round(16 + lines * LEGEND_FONT * 1.4)
    layout.update(
        images=images,
        margin=margin,
        legend=dict(layout["legend"], y=1.03, yanchor="bottom", bgcolor="rgba(0,0,0,0)"),
        # side by side, each panel's title names its run (and its colour): a legend above them would cover them
        showlegend=single,
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
                steps=[dict(label=labels[k], method="animate", args=[[str(k)], still]) for k in range(n)],
            )
        ],
    )
    if annotations:
        layout["annotations"] = annotations
    return dict(data=data, layout=layout, frames=frames)


def animation_html(spec: dict) -> str:
    """A finished figure dict (e.g. :func:`animation_spec`) as a self-contained HTML page (plotly.js inlined; works
    offline)."""
    import plotly.io as pio  # noqa: PLC0415 - only the download needs it

    return pio.to_html(
        spec, include_plotlyjs=True, full_html=True, auto_play=False, config={"displaylogo": False}, validate=False
    )
