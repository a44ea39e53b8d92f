"""Particle animations as an animated GIF or an MP4 for slides, drawn from the same arrays as the Plotly chart.

:func:`render_frames` draws each frame of an :class:`~scoredemo.figures.Animation` with numpy and Pillow: the
density background in ``DENSITY_SCALE`` colours, every particle set in its colour and size, the highlighted paths
and particles, the axes with ticks, the title, the legend and the step/σ label. What is drawn — which frames,
which particles, which highlighted paths — is chosen by :func:`scoredemo.figures.animation.drawn`, the function
the chart uses, and every colour, size, width and opacity comes from :mod:`scoredemo.figures._style`: one
definition of the look. :func:`to_gif` and :func:`to_mp4` assemble the frames with ``imageio`` (Pillow's GIF
writer; ffmpeg from ``imageio-ffmpeg``, libx264 in yuv420p).

Why not Plotly's own static export: ``kaleido`` drives a headless Chromium and took ~18 s for its first image and
~0.6 s a frame on the 2-core machine, far over a few seconds for 51 frames. Drawing with Pillow costs milliseconds
a frame because particles are not drawn one by one: each set is stamped at once (antialiased disc stamps indexed
by numpy, see :func:`_stamp`).

Sizes: Plotly sizes are pixels of the chart at ``ANIMATION_HEIGHT`` whose plot area is ``REF_PLOT_SIDE`` high;
the export scales marker sizes and line widths by (its plot side / REF_PLOT_SIDE), so the cloud looks the same
relative to the axes, and text by (its height / ANIMATION_HEIGHT).
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from scoredemo.figures._style import (
    ANIMATION_HEIGHT,
    ANIMATION_MARGIN,
    AXIS_COLOR,
    FONT_SIZE,
    HEAD_COLOR,
    HEAD_LINE_COLOR,
    HEAD_LINE_WIDTH,
    HEAD_SIZE,
    LEGEND_FONT,
    PARTICLE_OPACITY,
    TRAIL_COLOR,
    TRAIL_OPACITY,
    TRAIL_WIDTH,
)
from scoredemo.figures.animation import TRAIL_OLD_OPACITY, TRAIL_VIEW_MARGIN, Animation, drawn
from scoredemo.figures.fields import density_rgb

#: The side of the chart's square plot area in Plotly pixels (its height minus the top and bottom margins).
REF_PLOT_SIDE = ANIMATION_HEIGHT - ANIMATION_MARGIN["t"] - ANIMATION_MARGIN["b"]
DEFAULT_SIZE = 800
#: TrueType faces tried in order: Liberation Sans has Arial's metrics (the charts' font), DejaVu Sans is everywhere.
FONT_FILES = ("LiberationSans-Regular.ttf", "DejaVuSans.ttf")
#: libx264 settings: visually lossless on flat colours, and fast (the "veryfast" preset is ~3x "medium" here).
X264_PARAMS = ("-preset", "veryfast", "-crf", "18", "-tune", "animation")


def _rgb(colour: str) -> np.ndarray:
    """'#RRGGBB' or 'rgb(r,g,b)' as float32 RGB."""
    c = colour.strip()
    if c.startswith("#"):
        return np.array([int(c[i : i + 2], 16) for i in (1, 3, 5)], np.float32)
    return np.array([float(v) for v in c[c.index("(") + 1 : c.index(")")].split(",")[:3]], np.float32)


@functools.cache
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, px)
        except OSError:
            continue
    return ImageFont.load_default(px)  # Pillow's bundled face (no σ glyph, but never missing)


# ------------------------------------------------------------------------------------------------ geometry


@dataclass(frozen=True)
class Layout:
    """Where things go in a ``width`` × ``height`` frame: the square plot area [x0, x0 + side) × [y0, y0 + side)
    in pixels, the text scale and the marker/line scale."""

    width: int
    height: int
    x0: int
    y0: int
    side: int
    text_scale: float
    mark_scale: float

    def to_pixel(self, x: np.ndarray, y: np.ndarray, box: float) -> tuple[np.ndarray, np.ndarray]:
        """Data (x, y) on the view [−box, box]² → continuous pixel coordinates (column, row); the pixel
        (floor(col), floor(row)) contains the point, row 0 at the top."""
        col = self.x0 + (np.asarray(x, np.float64) + box) / (2 * box) * self.side
        row = self.y0 + (box - np.asarray(y, np.float64)) / (2 * box) * self.side
        return col, row


def frame_layout(anim: Animation, *, width: int = DEFAULT_SIZE, height: int = DEFAULT_SIZE) -> Layout:
    """The frame's geometry: title and legend above the plot, tick labels left and below, the step label under."""
    ts = height / ANIMATION_HEIGHT
    top = round((12 + (FONT_SIZE + 2 + 12 if anim.title else 0) + LEGEND_FONT + 14) * ts)
    bottom = round((FONT_SIZE + 14 + LEGEND_FONT + 2 + 16) * ts)
    left, right = round(58 * ts), round(24 * ts)
    side = max(16, min(width - left - right, height - top - bottom))
    x0 = left + (width - left - right - side) // 2
    return Layout(width, height, x0, top, side, ts, side / REF_PLOT_SIDE)


def _ticks(box: float) -> np.ndarray:
    """About six round tick values on [−box, box] (steps 1, 2, 2.5 or 5 × 10^k), as Plotly picks them."""
    raw = 2 * box / 6
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    k = math.floor(box / step + 1e-9)
    return np.arange(-k, k + 1) * step


def _tick_text(v: float) -> str:
    text = f"{v:g}" if abs(v) > 1e-12 else "0"
    return text.replace("-", "\u2212")  # Plotly's minus sign


# ------------------------------------------------------------------------------------------------ drawing


@functools.cache
def _disc_stamps(radius: float, phases: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Antialiased discs of ``radius`` px for ``phases``² sub-pixel centre offsets: (dy, dx, coverage[phase, k]).

    coverage = clip(radius + ½ − distance from the pixel centre, 0, 1): a one-pixel ramp at the edge."""
    reach = math.ceil(radius + 1)
    dy, dx = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    dy, dx = dy.ravel(), dx.ravel()
    off = (np.arange(phases) + 0.5) / phases  # sub-pixel centre within its pixel
    cov = np.empty((phases, phases, dy.size), np.float32)
    for i, oy in enumerate(off):
        for j, ox in enumerate(off):
            dist = np.hypot(dy + 0.5 - oy, dx + 0.5 - ox)
            cov[i, j] = np.clip(radius + 0.5 - dist, 0.0, 1.0)
    keep = cov.reshape(-1, dy.size).max(axis=0) > 0
    return dy[keep], dx[keep], cov.reshape(phases * phases, -1)[:, keep]


def _stamp(img: np.ndarray, lay: Layout, col: np.ndarray, row: np.ndarray, diameter: float, colour: np.ndarray,
           opacity: float) -> None:  # fmt: skip
    """Draw discs of ``diameter`` px at (col, row) in ``colour`` with ``opacity``, clipped to the plot area.

    Each disc is composited over what is below it, like Plotly draws markers one after another: with coverage w,
    one disc maps a pixel p to c + (p − c)(1 − a·w); n discs of one colour multiply those factors, so
    p ↦ c + (p − c)·exp(Σ log(1 − a·w)) — order-free, one ``bincount`` for the whole set."""
    ok = np.isfinite(col) & np.isfinite(row)
    col, row = col[ok], row[ok]
    if not col.size:
        return
    dy, dx, cov = _disc_stamps(max(diameter / 2, 0.5))
    phases = math.isqrt(cov.shape[0])
    ci, ri = np.floor(col).astype(np.int64), np.floor(row).astype(np.int64)
    phase = (np.clip(((row - ri) * phases).astype(int), 0, phases - 1) * phases
             + np.clip(((col - ci) * phases).astype(int), 0, phases - 1))  # fmt: skip
    rr, cc = ri[:, None] + dy[None, :], ci[:, None] + dx[None, :]
    inside = (rr >= lay.y0) & (rr < lay.y0 + lay.side) & (cc >= lay.x0) & (cc < lay.x0 + lay.side)
    w = cov[phase][inside]
    flat = rr[inside] * lay.width + cc[inside]
    if not flat.size:
        return
    log_keep = np.log(np.maximum(1.0 - opacity * w, 1e-6))
    lo = int(flat.min())
    acc = np.bincount(flat - lo, weights=log_keep)
    # a pixel under several discs is listed several times: each copy reads the same old value and writes the
    # same new one (numpy evaluates the right side first), so no unique() or nonzero() pass is needed
    keep = np.exp(acc[flat - lo]).astype(np.float32)[:, None]
    pix = img.reshape(-1, 3)
    pix[flat] = (colour + (pix[flat] - colour) * keep + 0.5).astype(np.uint8)


def _lines(img: np.ndarray, lay: Layout, paths: list[tuple[np.ndarray, np.ndarray]], width: float,
           colour: np.ndarray, opacity: float, supersample: int = 4) -> None:  # fmt: skip
    """Polylines (col, row) of ``width`` px in ``colour``, one trace each (as the chart has one line trace per
    highlighted particle, with ``opacity``: a path does not darken where it crosses itself, two paths do): each
    drawn into a coverage mask over its own bounding box at 4× and box-filtered down (antialiasing), composited
    once, clipped to the plot area."""
    s, pad = supersample, width + 2
    for c, r in paths:
        if len(c) < 2 or not (np.all(np.isfinite(c)) and np.all(np.isfinite(r))):
            continue
        c0 = max(lay.x0, int(np.floor(c.min() - pad)))
        r0 = max(lay.y0, int(np.floor(r.min() - pad)))
        c1 = min(lay.x0 + lay.side, int(np.ceil(c.max() + pad)))
        r1 = min(lay.y0 + lay.side, int(np.ceil(r.max() + pad)))
        if c1 <= c0 or r1 <= r0:
            continue
        mask = Image.new("L", ((c1 - c0) * s, (r1 - r0) * s), 0)
        q = np.stack([(c - c0) * s, (r - r0) * s], -1)
        ImageDraw.Draw(mask).line([tuple(v) for v in q.tolist()], fill=255, width=max(1, round(width * s)),
                                  joint="curve")  # fmt: skip
        cov = np.asarray(mask.reduce(s), np.float32)[..., None] * (opacity / 255.0)
        region = img[r0:r1, c0:c1]
        region[...] = (region + (colour - region) * cov + 0.5).astype(np.uint8)


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, px: int, *, anchor: str = "la",
          fill: str = "#000000") -> None:  # fmt: skip
    draw.text(xy, text, font=_font(max(6, px)), fill=fill, anchor=anchor)


def _base(anim: Animation, lay: Layout, background, box: float, log: bool) -> np.ndarray:
    """Everything that does not move within a frame: white page, density, axes and ticks, title, legend."""
    im = Image.new("RGB", (lay.width, lay.height), "white")
    if background is not None:
        xs, ys, z = (np.asarray(a, np.float64) for a in background)
        dx = float(xs[1] - xs[0]) if len(xs) > 1 else 0.0
        dy = float(ys[1] - ys[0]) if len(ys) > 1 else 0.0
        (ca, cb), (ra, rb) = lay.to_pixel(np.array([xs[0] - dx / 2, xs[-1] + dx / 2]),
                                          np.array([ys[-1] + dy / 2, ys[0] - dy / 2]), box)  # fmt: skip
        w, h = max(1, round(cb - ca)), max(1, round(rb - ra))
        tile = Image.fromarray(density_rgb(z, log=log), "RGB").resize((w, h), Image.Resampling.BILINEAR)
        plot = Image.new("RGB", (lay.side, lay.side), "white")
        plot.paste(tile, (round(ca) - lay.x0, round(ra) - lay.y0))
        im.paste(plot, (lay.x0, lay.y0))
    draw = ImageDraw.Draw(im)
    ts = lay.text_scale
    axis_w = max(1, round(ts))
    x0, y0, x1, y1 = lay.x0, lay.y0, lay.x0 + lay.side, lay.y0 + lay.side
    # Plotly's simple_white axes: a line on the left and at the bottom, ticks outside
    draw.line([(x0 - axis_w, y0), (x0 - axis_w, y1)], fill=AXIS_COLOR, width=axis_w)
    draw.line([(x0 - axis_w, y1), (x1, y1)], fill=AXIS_COLOR, width=axis_w)
    tick_len = round(5 * ts)
    for v in _ticks(box):
        (c,), (r,) = lay.to_pixel(np.array([v]), np.array([v]), box)
        draw.line([(c, y1), (c, y1 + tick_len)], fill=AXIS_COLOR, width=axis_w)
        draw.line([(x0 - tick_len, r), (x0, r)], fill=AXIS_COLOR, width=axis_w)
        _text(draw, (c, y1 + tick_len + 2 * ts), _tick_text(v), round(FONT_SIZE * ts), anchor="ma", fill=AXIS_COLOR)
        _text(draw, (x0 - tick_len - 3 * ts, r), _tick_text(v), round(FONT_SIZE * ts), anchor="rm", fill=AXIS_COLOR)
    y = 12 * ts
    if anim.title:
        _text(draw, (x0, y), anim.title, round((FONT_SIZE + 2) * ts), fill=AXIS_COLOR)
        y += (FONT_SIZE + 2 + 12) * ts
    # the legend: one entry per particle set, then the highlighted paths (as the chart's legend reads)
    x, mid = float(x0), y + LEGEND_FONT * ts / 2 + 2 * ts
    legend_px = round(LEGEND_FONT * ts)
    dots = []
    for s in anim.sets:
        dot = max(s.size * lay.mark_scale, 8 * ts)  # at least 8 px: a 4 px legend dot is lost on a slide
        dots.append((x + dot / 2, dot, _rgb(s.color)))
        x += dot + 6 * ts
        _text(draw, (x, mid), s.name, legend_px, anchor="lm", fill=AXIS_COLOR)
        x += draw.textlength(s.name, font=_font(legend_px)) + 24 * ts
    if anim.n_trails:
        draw.line([(x, mid), (x + 30 * ts, mid)], fill=TRAIL_COLOR, width=max(1, round(TRAIL_WIDTH * lay.mark_scale)))
        _text(draw, (x + 36 * ts, mid), "highlighted paths", legend_px, anchor="lm", fill=AXIS_COLOR)
    out = np.array(im)
    page = Layout(lay.width, lay.height, 0, 0, min(lay.width, lay.height), ts, 1.0)  # the dots may leave the plot
    for c, dot, rgb in dots:
        _stamp(out, page, np.array([c]), np.array([mid]), dot, rgb, PARTICLE_OPACITY)
    return out


def render_frames(anim: Animation, *, width: int = DEFAULT_SIZE, height: int = DEFAULT_SIZE) -> Iterator[np.ndarray]:
    """The animation's drawn frames (those of the chart), each an (height, width, 3) uint8 RGB array.

    Per frame, on the cached background/axes/legend picture: every particle set (its colour, size, opacity), the
    highlighted paths (the last ``trail_frames`` positions of the chart's highlighted particles, black lines),
    the highlighted particles (yellow, black ring), then the frame's label (e.g. "step 400 · σ = 1.00")."""
    d = drawn(anim)
    lay = frame_layout(anim, width=width, height=height)
    bases: dict[tuple[int, float], np.ndarray] = {}
    lead = d.trajs[0]
    colours = [_rgb(s.color) for s in anim.sets]
    trail_rgb, head_rgb, ring_rgb = _rgb(TRAIL_COLOR), _rgb(HEAD_COLOR), _rgb(HEAD_LINE_COLOR)
    m = lay.mark_scale
    label_px = round((LEGEND_FONT + 2) * lay.text_scale)
    label_xy = (lay.x0 + lay.side, lay.y0 + lay.side + round((FONT_SIZE + 14) * lay.text_scale))
    label_top = label_xy[1] - 2
    for k in range(len(d.frame_idx)):
        box = anim.box if d.boxes is None else d.boxes[k]
        bg_i = -1 if d.shown is None else d.shown[k]
        if (bg_i, box) not in bases:
            bg = anim.background if bg_i < 0 else anim.backgrounds[bg_i]
            bases[(bg_i, box)] = _base(anim, lay, bg, box, anim.log_background)
        img = bases[(bg_i, box)].copy()
        for s, t, c in zip(anim.sets, d.trajs, colours, strict=True):
            col, row = lay.to_pixel(t[k, :, 0], t[k, :, 1], box)
            _stamp(img, lay, col, row, s.size * m, c, PARTICLE_OPACITY)
        if len(d.trail_ids):
            # the chart's paths (Drawn.trail): from where each entered the view, the older part faded
            parts = [d.trail(k, p, anim.box) for p in d.trail_ids]
            for pick, opacity in ((0, TRAIL_OLD_OPACITY * TRAIL_OPACITY), (1, TRAIL_OPACITY)):
                paths = [lay.to_pixel(pp[pick][:, 0], pp[pick][:, 1], box) for pp in parts if len(pp[pick]) > 1]
                if paths:
                    _lines(img, lay, paths, TRAIL_WIDTH * m, trail_rgb, opacity)
            # every ring, then every fill: where two heads overlap, both fills show (the chart puts the later
            # particle's ring over the earlier one's fill); two calls instead of twelve
            heads = lead[k, d.trail_ids]
            heads = heads[np.all(np.abs(heads) <= TRAIL_VIEW_MARGIN * box, axis=-1)]
            col, row = lay.to_pixel(heads[:, 0], heads[:, 1], box)
            _stamp(img, lay, col, row, (HEAD_SIZE + HEAD_LINE_WIDTH) * m, ring_rgb, 1.0)
            _stamp(img, lay, col, row, (HEAD_SIZE - HEAD_LINE_WIDTH) * m, head_rgb, 1.0)
        strip = Image.fromarray(img[label_top:])  # the label: drawn on the strip under the axes only
        _text(ImageDraw.Draw(strip), (label_xy[0], label_xy[1] - label_top), d.labels[k], label_px, anchor="ra")
        img[label_top:] = np.asarray(strip)
        yield img


# ------------------------------------------------------------------------------------------------ files


def _even(n: int) -> int:
    return max(2, int(n) // 2 * 2)


Panels = Animation | Sequence[Animation]


def _panels(anim: Panels) -> list[Animation]:
    return [anim] if isinstance(anim, Animation) else list(anim)


def panel_frames(anim: Panels, *, width: int = DEFAULT_SIZE, height: int = DEFAULT_SIZE) -> Iterator[np.ndarray]:
    """:func:`render_frames` of one animation, or of side-by-side panels (the chart's one figure with several panels,
    see ``figures.animation_spec``): each panel ``width`` × ``height``, frame k of every panel side by side."""
    panels = _panels(anim)
    if len(panels) == 1:
        yield from render_frames(panels[0], width=width, height=height)
        return
    for row in zip(*(render_frames(a, width=width, height=height) for a in panels), strict=True):
        yield np.concatenate(row, axis=1)


def _fps(anim: Panels, fps: float | None) -> float:
    anim = _panels(anim)[0]
    fps = 1000.0 / anim.frame_duration_ms if fps is None else float(fps)
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number, got {fps}")
    return fps


def _palette(frames: list[np.ndarray]) -> Image.Image:
    """One 256-colour palette for the whole GIF, from a few frames side by side (median cut)."""
    montage = Image.fromarray(np.concatenate(frames, axis=1))
    return montage.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def to_gif(anim: Panels, path: str | os.PathLike | None = None, *, fps: float | None = None,
           width: int = DEFAULT_SIZE, height: int = DEFAULT_SIZE) -> bytes | None:  # fmt: skip
    """The animation (or side-by-side panels, each ``width`` × ``height``) as a looping GIF: written to ``path``, or
    returned as bytes when ``path`` is None.

    ``fps`` defaults to the chart's speed (1000 / ``frame_duration_ms``; GIF stores delays in 10 ms units).
    One palette for every frame (median cut over the first, middle and last frames), each frame mapped to it
    without dithering: flat colours stay flat and the file small.

    Written by Pillow's GIF writer (the one imageio's GIF plugin calls) with the palette attached to each frame:
    imageio can only hand a palette over as ``palette=``, for which Pillow remaps every frame's palette in a
    Python loop cubic in its 256 colours: 8 s of CPU for the 51 default frames here, against ~1.2 s for
    drawing, mapping and encoding them all."""
    fps = _fps(anim, fps)
    frames = list(panel_frames(anim, width=width, height=height))
    pal = _palette([frames[0], frames[len(frames) // 2], frames[-1]])
    images = [Image.fromarray(f).quantize(palette=pal, dither=Image.Dither.NONE) for f in frames]
    buf = io.BytesIO() if path is None else None
    try:
        images[0].save(buf if path is None else path, format="GIF", save_all=True, append_images=images[1:],
                       duration=round(1000.0 / fps), loop=0, disposal=1, optimize=False)  # fmt: skip
    except OSError as err:  # a path that cannot be written: the caller reports it
        raise OSError(f"cannot write {os.fspath(path)!r}: {err.strerror or err}") from None
    return None if buf is None else buf.getvalue()


def to_mp4(anim: Panels, path: str | os.PathLike | None = None, *, fps: float | None = None,
           width: int = DEFAULT_SIZE, height: int = DEFAULT_SIZE) -> bytes | None:  # fmt: skip
    """The animation (or side-by-side panels) as an H.264 MP4 (libx264, yuv420p: plays in PowerPoint, Keynote,
    browsers): written to
    ``path``, or returned as bytes when ``path`` is None. yuv420p needs even sides: odd ones are rounded down."""
    import imageio.v2 as iio2  # noqa: PLC0415 - only an export needs it (the ffmpeg writer is a v2 plugin)

    fps = _fps(anim, fps)
    width, height = _even(width), _even(height)
    # imageio-ffmpeg starts ffmpeg with preexec_fn=os.setpgrp (so Ctrl-C reaches only Python), which makes CPython
    # fork() the whole multithreaded process (JAX, Streamlit's server) before exec: JAX warns of a deadlock risk.
    # Its documented switch starts ffmpeg without it (then Ctrl-C stops ffmpeg too); an explicit setting is kept.
    os.environ.setdefault("IMAGEIO_FFMPEG_NO_PREVENT_SIGINT", "1")
    with tempfile.TemporaryDirectory() if path is None else contextlib.nullcontext() as tmp:
        target = Path(tmp) / "animation.mp4" if path is None else Path(path)
        try:  # fail before rendering (ffmpeg would report a bad path only when it closes)
            target.open("wb").close()
        except OSError as err:
            raise OSError(f"cannot write {os.fspath(target)!r}: {err.strerror or err}") from None
        writer = iio2.get_writer(target, format="FFMPEG", mode="I", fps=fps, codec="libx264", pixelformat="yuv420p",
                                 quality=None, macro_block_size=2, ffmpeg_params=list(X264_PARAMS),
                                 ffmpeg_log_level="error")  # fmt: skip
        try:
            for frame in panel_frames(anim, width=width, height=height):
                writer.append_data(frame)
        finally:
            writer.close()
        return target.read_bytes() if path is None else None


def decode(data: bytes | str | os.PathLike, extension: str) -> np.ndarray:
    """Every frame of a GIF or MP4 (bytes or a path) as an (F, H, W, 3) uint8 array (for tests and checks)."""
    import imageio.v3 as iio  # noqa: PLC0415

    src = io.BytesIO(data) if isinstance(data, bytes) else data
    if extension == ".mp4":
        frames = iio.imread(src, extension=".mp4", plugin="FFMPEG", index=None)
    else:
        frames = iio.imread(src, extension=".gif", plugin="pillow", index=None, mode="RGB")
    return np.asarray(frames)[..., :3]
