"""GIF/MP4 export: the frames show what the Plotly chart shows (same particles, colours, highlighted paths, density),
and the files decode with the chart's frame count at the asked size."""

import numpy as np
import pytest

from scoredemo import export
from scoredemo import figures as F
from scoredemo.figures import _style as S
from scoredemo.figures.fields import density_rgb

#: GIF frames are mapped to one 256-colour palette: a colour may move by a few levels per channel.
TOL = 14


def _hex(c: str) -> np.ndarray:
    return np.array([int(c[i : i + 2], 16) for i in (1, 3, 5)], float)


def _small_animation(**kw) -> F.Animation:
    """Two sets of well separated particles drifting right over 4 frames; two highlighted paths."""
    f = np.arange(4, dtype=np.float32)[:, None, None]
    a = np.array([[-3, -3], [3, -3], [-3, 3], [3, 3], [0, -1.5]], np.float32)[None] + f * [0.4, 0.2]
    b = np.array([[-1.5, 0], [1.5, 0], [0, 3.5]], np.float32)[None] + f * [0.4, -0.2]
    opts = dict(
        sets=[
            F.ParticleSet(a, "first", color=S.OKABE_ITO["vermillion"], size=9),
            F.ParticleSet(b, "second", color=S.OKABE_ITO["blue"], size=7),
        ],
        box=5.0,
        frame_labels=[f"step {10 * k}" for k in range(4)],
        n_trails=2,
        title="two sets",
    )
    opts.update(kw)
    return F.Animation(**opts)


def _axes_mapping(img: np.ndarray, ticks: list[float]):
    """Data → pixel read off the picture itself, not from the exporter: find the axis lines (the longest dark row
    and column), the tick marks just outside them, and fit column = a·x + b and row = c·y + d to the tick values."""
    dark = img.max(axis=-1) < 90
    axis_row, axis_col = int(dark.sum(axis=1).argmax()), int(dark.sum(axis=0).argmax())

    def centres(line: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(line)
        groups = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
        return np.array([g.mean() + 0.5 for g in groups])

    cols, rows = centres(dark[axis_row + 3]), centres(dark[:, axis_col - 3])
    assert len(cols) == len(rows) == len(ticks), (cols, rows)
    a, b = np.polyfit(ticks, cols, 1)
    c, d = np.polyfit(ticks, rows[::-1], 1)  # rows grow downwards: the top tick is the largest value
    return lambda x, y: (a * np.asarray(x, float) + b, c * np.asarray(y, float) + d)


def _pixel(img: np.ndarray, col: float, row: float) -> np.ndarray:
    return img[int(np.floor(row)), int(np.floor(col))].astype(float)


def test_gif_frames_show_the_charts_particles_colours_and_highlighted_paths():
    """Read the positions, colours, sizes and opacities from the Plotly spec, map data to pixels with the export's
    plot area, and find them in every decoded GIF frame."""
    anim = _small_animation()
    spec = F.decode_arrays(F.animation_spec(anim))
    frames = export.decode(export.to_gif(anim), ".gif")
    assert frames.shape == (len(spec["frames"]), 800, 800, 3)
    lay = export.frame_layout(anim)
    assert spec["layout"]["xaxis"]["range"] == [-5.0, 5.0]
    to_pixel = _axes_mapping(frames[0], [-4, -2, 0, 2, 4])  # Plotly's ticks on [−5, 5]
    (c0, c1), (r1, r0) = to_pixel([-5, 5], [-5, 5])
    assert abs((c1 - c0) - lay.side) < 1.5 and abs((r1 - r0) - lay.side) < 1.5  # a square plot: equal scales
    white = np.full(3, 255.0)
    n_sets = len(anim.sets)
    for k, fr in enumerate(spec["frames"]):
        img = frames[k]
        traces = fr["data"]
        heads = traces[-1]
        head_cols, head_rows = to_pixel(heads["x"], heads["y"])
        for tr in traces[:n_sets]:
            m = tr["marker"]
            want = m["opacity"] * _hex(m["color"]) + (1 - m["opacity"]) * white  # one marker over white
            cols, rows = to_pixel(tr["x"], tr["y"])
            radius = m["size"] * lay.mark_scale / 2
            for c, r in zip(cols, rows, strict=True):
                if np.min(np.hypot(head_cols - c, head_rows - r)) < 3 * radius:
                    continue  # a highlighted particle: its head is drawn over it (checked below)
                assert np.abs(_pixel(img, c, r) - want).max() <= TOL, (k, tr["name"], c, r)
                assert np.abs(_pixel(img, c + radius * 0.5, r) - want).max() <= TOL
                assert np.abs(_pixel(img, c + radius + 2, r) - white).max() <= TOL  # the disc ends at its size
        hm = heads["marker"]
        for c, r in zip(head_cols, head_rows, strict=True):
            assert np.abs(_pixel(img, c, r) - _hex(hm["color"])).max() <= TOL
            ring = hm["size"] / 2 * lay.mark_scale  # the black ring is centred on the marker's edge
            assert np.abs(_pixel(img, c, r - ring) - _hex(hm["line"]["color"])).max() <= 3 * TOL
        for tr in traces[n_sets:-1]:  # the highlighted paths: dark along their first segment
            if len(tr["x"]) < 2:
                continue
            cols, rows = to_pixel(tr["x"][:2], tr["y"][:2])
            mid = _pixel(img, cols.mean(), rows.mean())
            assert mid.max() <= 255 * (1 - tr["opacity"]) + 2 * TOL, (k, mid)
    # the label under the axes changes with the frame (step 0, 10, 20, 30)
    strip = frames[:, lay.y0 + lay.side + 20 :, lay.x0 + lay.side // 2 :]
    assert all(np.any(strip[k] != strip[k + 1]) for k in range(3))


def test_the_density_background_has_the_charts_colours_and_extent():
    xs = ys = np.linspace(-4, 4, 81)
    gx, gy = np.meshgrid(xs, ys)
    z = np.exp(-((gx - 2) ** 2 + (gy + 1) ** 2) / 0.5)
    anim = _small_animation(background=(xs, ys, z), n_trails=0)
    img = next(export.render_frames(anim))
    lay = export.frame_layout(anim)
    rgb = density_rgb(z)[::-1]  # rows back to increasing y
    for x, y in [(2.0, -1.0), (2.5, -1.2), (1.4, -0.6), (-3.0, 1.0)]:
        j, i = int(np.argmin(np.abs(xs - x))), int(np.argmin(np.abs(ys - y)))
        (c,), (r,) = lay.to_pixel([xs[j]], [ys[i]], anim.box)
        assert np.abs(_pixel(img, c, r) - rgb[i, j]).max() <= 3, (x, y)
    assert np.array_equal(rgb[30, 60], _hex(S.DENSITY_SCALE[-1][1]).astype(np.uint8))  # the peak: top colour
    (c,), (r,) = lay.to_pixel([4.6], [4.6], anim.box)  # outside the grid, inside the view: white page
    assert np.array_equal(_pixel(img, c, r), np.full(3, 255.0))


def test_the_export_draws_the_charts_frames_and_particles_when_capped():
    """Over the chart's caps (frames, particles) the export draws the same subsample as the chart."""
    rng = np.random.default_rng(0)
    traj = rng.uniform(-3, 3, (F.MAX_FRAMES + 20, 10, 2)).astype(np.float32)
    anim = F.Animation([F.ParticleSet(traj, "p")], box=4.0, frame_labels=[str(i) for i in range(len(traj))])
    frames = list(export.render_frames(anim, width=200, height=160))
    assert len(frames) == len(F.animation_spec(anim)["frames"]) == F.MAX_FRAMES
    assert frames[0].shape == (160, 200, 3) and frames[0].dtype == np.uint8


def test_mp4_decodes_with_the_frame_count_and_even_size():
    anim = _small_animation()
    data = export.to_mp4(anim, width=321, height=240)  # yuv420p: odd sides are rounded down
    frames = export.decode(data, ".mp4")
    assert frames.shape == (4, 240, 320, 3)
    first = next(export.render_frames(anim, width=320, height=240)).astype(int)
    assert np.abs(frames[0].astype(int) - first).mean() < 4  # H.264 at crf 18: close to the drawn frame


def test_files_are_written_and_bad_input_is_refused(tmp_path):
    anim = _small_animation()
    export.to_gif(anim, tmp_path / "a.gif", width=120, height=120)
    assert export.decode(tmp_path / "a.gif", ".gif").shape == (4, 120, 120, 3)
    export.to_mp4(anim, tmp_path / "a.mp4", width=120, height=120)
    assert export.decode(tmp_path / "a.mp4", ".mp4").shape == (4, 120, 120, 3)
    for fn, name in ((export.to_gif, "a.gif"), (export.to_mp4, "a.mp4")):
        with pytest.raises(OSError, match="cannot write"):
            fn(anim, tmp_path / "missing" / name, width=120, height=120)
    with pytest.raises(ValueError, match="fps"):
        export.to_gif(anim, fps=0)
