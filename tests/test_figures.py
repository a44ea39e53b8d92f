"""The figure builders are pure (numpy in, one Plotly JSON dict out): every one passes Plotly's validation; traces,
frames, fixed axes, colours, no NaN, capped payloads."""

from __future__ import annotations

import base64
import dataclasses
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from scoredemo import figures as F


def numeric_arrays(obj):
    """Every numeric array (or list of numbers) inside a plotly JSON-like structure."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fiu":
            yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from numeric_arrays(v)
    elif isinstance(obj, (list, tuple)):
        if obj and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in obj):
            yield np.asarray(obj, np.float64)
        else:
            for v in obj:
                yield from numeric_arrays(v)


def assert_no_nan(fig: go.Figure | dict) -> None:
    """No NaN/inf in the data and frames of a figure or of a spec (its typed arrays decoded)."""
    spec = F.decode_arrays(fig if isinstance(fig, dict) else fig.to_plotly_json())
    for arr in numeric_arrays({"data": spec["data"], "frames": spec.get("frames", [])}):
        assert np.all(np.isfinite(arr)), "a chart must never contain NaN/inf"


def figure(spec: dict) -> go.Figure:
    """A spec (what the app sends) read back as a ``go.Figure`` with its typed arrays decoded."""
    return go.Figure(F.decode_arrays(spec))


def animation(anim) -> go.Figure:
    return figure(F.animation_spec(anim))


def walk(n_frames=30, n=200, seed=0, box=5.0):
    rng = np.random.default_rng(seed)
    return np.clip(np.cumsum(rng.normal(size=(n_frames, n, 2)) * 0.2, axis=0), -box, box).astype(np.float32)


def grid_density(box=5.0, n=40):
    xs = np.linspace(-box, box, n)
    gx, gy = np.meshgrid(xs, xs)
    return xs, xs, np.exp(-(gx**2 + gy**2) / 2)


# ------------------------------------------------------------------------------------------------ every builder


def _arrow_grid():
    a = np.linspace(-4.5, 4.5, 10)
    gx, gy = np.meshgrid(a, a)
    return np.stack([gx.ravel(), gy.ravel()], -1)


def _paths(n_panels=2):
    xs, ys, z = grid_density()
    pts, traj = _arrow_grid(), walk(20, 100)
    modes = np.r_[np.zeros(60, int), np.ones(30, int), -np.ones(10, int)]
    return [F.PathPanel(xs, ys, z, pts, -pts, traj, modes, title=f"panel {j}") for j in range(n_panels)]


def _marginals_truth():
    xs = np.linspace(-5, 5, 50)
    return xs, np.exp(-(xs**2)), np.exp(-(xs**2))


_STEPS = np.arange(0, 510, 10)
_FRAC = np.stack([np.linspace(0.5, 0.3, 51), np.linspace(0.5, 0.7, 51)], -1)
_W = np.geomspace(0.01, 1, 10)
_LOSS = np.r_[np.linspace(2, -1, 300) + np.random.default_rng(0).normal(scale=0.1, size=300), np.nan]

#: Every ``*_spec`` builder, each with small realistic inputs (``test_every_spec_builder_is_listed`` keeps this
#: list complete).
SPECS = {
    "animation_spec": lambda: F.animation_spec(make_anim(walk(12, 300), n_trails=3)),
    "marginals_spec": lambda: F.marginals_spec(
        np.random.default_rng(1).normal(size=(400, 2)), *_marginals_truth(), box=5.0
    ),
    "mode_fraction_spec": lambda: F.mode_fraction_spec(
        _STEPS, {"annealed": _FRAC, "plain": 1 - _FRAC}, np.array([0.2, 0.8]), mode_names=["a", "b"], title="meter"
    ),
    "score_field_spec": lambda: F.score_field_spec([field_panel(), field_panel()], box=5.0, mode="magnitude"),
    "stepped_spec": lambda: F.stepped_spec(
        [F.score_field_spec([field_panel()], box=b, title=f"at {b:g}") for b in (4.0, 5.0)],
        ["0.00", "0.05"],
        1,
        control="time t",
        step=0.05,
    ),
    "heatmap_spec": lambda: F.heatmap_spec(
        *grid_density(), box=5.0, kind="error-map", title="error", colorbar="‖s_θ − s‖", overlay=np.zeros((10, 2))
    ),
    "weights_bar_spec": lambda: F.weights_bar_spec(
        np.array([0.2, 0.8]), {"plain": _FRAC[-1], "annealed": np.array([0.21, 0.79])}, mode_names=["a", "b"]
    ),
    "loss_curve_spec": lambda: F.loss_curve_spec(
        {"ssm": _LOSS, "dsm": 2 * _LOSS},
        title="loss",
        smooth_window=50,
        y_title="loss / |best|",
        reference=(-1.0, "best"),
    ),
    "scatter_xy_spec": lambda: F.scatter_xy_spec(
        _W,
        1 / _W,
        kind="magnitude-vs-thickness",
        x_title="w",
        y_title="E‖s‖",
        title="magnitude",
        log_x=True,
        log_y=True,
        mode="lines+markers",
        name="E‖s‖",
        reference=(_W, 1 / _W, "∝ 1/w"),
        marker_x=0.1,
    ),
    "decade_error_spec": lambda: F.decade_error_spec(
        np.r_[-np.inf, np.arange(-7.0, 1.0)],
        np.array([3.0, 1.0, np.nan, 0.5, 0.2, 0.1, 0.05, 0.01]),
        np.array([500, 80, 0, 60, 50, 40, 30, 20]),
        near_data=0.02,
        title="error by density",
    ),
    "decade_errors_spec": lambda: F.decade_errors_spec(
        np.r_[-np.inf, np.arange(-7.0, 1.0)],
        {
            "σ_max": (np.full(8, 0.05), np.full(8, 10)),
            "σ_min": (np.array([3.0, 1.0, np.nan, 0.5, 0.2, 0.1, 0.05, 0.01]), np.array([5, 8, 0, 6, 5, 4, 3, 2])),
        },
        title="error by density at two σ",
    ),
    "paths_spec": lambda: F.paths_spec(_paths(), box=5.0, mode_names=["at (−5, −5)", "at (5, 5)"], title="paths"),
    "image_grid_spec": lambda: F.image_grid_spec(
        np.linspace(0, 1, 20 * 64).reshape(20, 64), n_cols=10, kind="digits", title="t", row_labels=["a", "b"]
    ),
    "lines_spec": lambda: F.lines_spec(
        [
            F.Series("measured", _W, 1 / _W, error=0.1 / _W),
            F.Series("predicted", _W, 1.1 / _W, mode="lines", style=1),
            F.Series("with a gap", _W, np.r_[np.nan, 1 / _W[1:]], style=2),
        ],
        kind="crossing-time",
        x_title="d",
        y_title="steps",
        log_y=True,
        marker_x=0.1,
    ),
}


def test_image_grid_sends_a_2d_heat_map():
    """The mosaic is sent as a 2-D typed array (with its shape): a flat one draws an empty chart in plotly.js."""
    spec = SPECS["image_grid_spec"]()
    z = spec["data"][0]["z"]
    assert z["shape"] == "17, 89"  # 2 rows × 10 columns of 8×8 images with 1-pixel gutters
    assert F.decode_arrays(spec)["data"][0]["z"].shape == (17, 89)


def test_mosaic_places_images_with_gutters():
    imgs = np.stack([np.full(64, 0.25), np.full(64, 0.5), np.full(64, 1.0)])
    m = F.mosaic(imgs, 2)
    assert m.shape == (17, 17)
    assert np.all(m[:8, :8] == 0.25) and np.all(m[:8, 9:] == 0.5) and np.all(m[9:, :8] == 1.0)
    assert np.all(np.isnan(m[8])) and np.all(np.isnan(m[9:, 9:]))  # gutter and the empty cell are paper


def test_lines_spec_styles_and_gaps():
    """Each series differs in dash and marker too (not colour alone); non-finite points and, on a log axis,
    non-positive ones are left out; error bars line up with the kept points."""
    spec = SPECS["lines_spec"]()
    data = F.decode_arrays(spec)["data"]
    assert len({t["line"]["dash"] for t in data}) == 3 and len({t["marker"]["symbol"] for t in data}) == 3
    assert len(data[2]["x"]) == len(_W) - 1
    assert len(data[0]["error_y"]["array"]) == len(data[0]["x"])
    assert [t["meta"]["role"] for t in data] == ["measured", "predicted", "with a gap"]


def test_lines_spec_puts_its_legend_in_the_corner_asked():
    """Scene 8's crossed fractions rise at the left and stay near 1: their legend goes bottom right (top left it
    covered the d = 4 and d = 5 curves at 1920×1080); a corner it does not know fails loudly."""
    curves = [F.Series("rises", [0, 1, 2], [0.0, 1.0, 1.0])]
    top = F.lines_spec(curves, kind="crossed-fraction", x_title="step", y_title="fraction")["layout"]["legend"]
    low = F.lines_spec(
        curves, kind="crossed-fraction", x_title="step", y_title="fraction", legend_corner="bottom right"
    )
    assert (top["x"], top["y"], top["xanchor"], top["yanchor"]) == (0.02, 0.98, "left", "top")
    low = low["layout"]["legend"]
    assert (low["x"], low["y"], low["xanchor"], low["yanchor"]) == (0.98, 0.02, "right", "bottom")
    with pytest.raises(KeyError):
        F.lines_spec(curves, kind="crossed-fraction", x_title="step", y_title="fraction", legend_corner="middle")


def test_stepped_spec_holds_one_frame_per_value_and_opens_on_start():
    """Each frame carries its spec's traces and the layout that differs (images, titles, axes), named by its value;
    the figure opens on ``start``, and ``meta.frames`` tells the page's script the control and the step."""
    specs = [F.score_field_spec([field_panel()], box=b, title=f"at {b:g}") for b in (4.0, 5.0, 6.0)]
    out = F.stepped_spec(specs, ["0.00", "0.05", "0.10"], 1, control="time t", step=0.05)
    assert [f["name"] for f in out["frames"]] == ["0.00", "0.05", "0.10"]
    assert [f["layout"]["xaxis"]["range"][1] for f in out["frames"]] == [4.0, 5.0, 6.0]
    assert out["layout"]["xaxis"]["range"][1] == 5.0 and out["data"] == specs[1]["data"]
    assert out["layout"]["meta"]["frames"] == {"control": "time t", "step": 0.05, "digits": 2, "shown": "0.05"}
    assert out["frames"][2]["layout"]["meta"]["frames"]["shown"] == "0.10"
    assert out["layout"]["meta"]["kind"] == "score-field"
    with pytest.raises(ValueError, match="one name per spec"):
        F.stepped_spec(specs, ["0.00"], 0, control="time t", step=0.05)
    # with a radio choice too: frames named "<value>|<option>", and the meta names the radio group
    two = F.stepped_spec(specs[:2], ["0.00|a", "0.00|b"], 1, control="time t", step=0.05, choice="pick")
    assert two["layout"]["meta"]["frames"] == {
        "control": "time t",
        "step": 0.05,
        "digits": 2,
        "choice": "pick",
        "shown": "0.00|b",
    }
    assert [F.frame_name(0.2, 0.05), F.frame_name(0.15000000000000002, 0.05, "pc"), F.frame_name(3, 1)] == [
        "0.20",
        "0.15|pc",
        "3",
    ]
    with pytest.raises(ValueError, match="every frame is named"):
        F.stepped_spec(specs, ["0.00", "0.05", "0.10"], 0, control="time t", step=0.05, choice="pick")


def test_every_spec_builder_is_listed():
    assert sorted(SPECS) == sorted(name for name in F.__all__ if name.endswith("_spec"))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec_is_valid_plotly(name):
    """The app sends each dict without Plotly's validation (``SpecFigure``): each must pass it anyway, serialise as
    it is, carry its ``meta.kind`` and the shared template, and hold no NaN/inf."""
    spec = SPECS[name]()
    fig = go.Figure(spec)  # raises on any invalid property or value
    assert fig.layout.meta["kind"] and spec["layout"]["meta"] == fig.layout.meta
    assert spec["layout"]["template"] is F.TEMPLATE
    sent = json.loads(pio.to_json(F.SpecFigure(spec).to_dict(), validate=False))
    assert len(sent["data"]) == len(fig.data) > 0
    assert_no_nan(spec)


# ------------------------------------------------------------------------------------------------ animation


def make_anim(traj, **kw):
    xs, ys, z = grid_density()
    return F.Animation(
        sets=[F.ParticleSet(traj, "particles")],
        box=5.0,
        frame_labels=[f"step {10 * k}" for k in range(traj.shape[0])],
        background=(xs, ys, z),
        **kw,
    )


def test_animation_frames_axes_and_controls():
    traj = walk(30, 200)
    fig = animation(make_anim(traj))
    assert fig.layout.meta["kind"] == "animation"
    assert len(fig.frames) == 30
    # fixed axes: the picture never rescales while playing
    assert tuple(fig.layout.xaxis.range) == (-5.0, 5.0) and fig.layout.xaxis.autorange is False
    assert tuple(fig.layout.yaxis.range) == (-5.0, 5.0) and fig.layout.yaxis.autorange is False
    assert fig.layout.yaxis.scaleanchor == "x"
    # the density is a static layout image under the plot (heatmaps vanish while frames play)
    assert len(fig.layout.images) == 1 and fig.layout.images[0].layer == "below"
    for fr in fig.frames:
        assert len(fr.data) == len(fr.traces) == len(fig.data)
    # play / pause buttons and a scrub slider with one step per frame, opening on the last frame
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert any("Play" in lb for lb in labels) and any("Pause" in lb for lb in labels)
    slider = fig.layout.sliders[0]
    assert len(slider.steps) == 30 and slider.active == 29  # opens on the result (the opening rule)
    assert slider.steps[-1].label == "step 290"
    np.testing.assert_allclose(fig.data[0].x, np.round(traj[-1, :, 0], 3), atol=1e-6)  # the chart shows the last
    play, pause = fig.layout.updatemenus[0].buttons
    assert play.args[1]["fromcurrent"] is True  # Play resumes where Pause held it (from the start at either end)
    assert list(pause.args[0]) == [None]
    np.testing.assert_allclose(fig.frames[-1].data[0].x, np.round(traj[-1, :, 0], 3), atol=1e-6)
    assert_no_nan(fig)


def test_animation_caps_frames_and_particles_and_rounds():
    traj = walk(200, 4000)
    fig = animation(make_anim(traj))
    assert len(fig.frames) <= F.MAX_FRAMES
    particles = fig.frames[-1].data[0]
    assert len(particles.x) <= F.MAX_DRAWN_PARTICLES
    x = np.asarray(particles.x)
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, np.round(x, 3), atol=1e-6)


def test_animation_cleans_non_finite_input_and_keeps_trails_short():
    traj = walk(20, 50)
    traj[5, 3] = np.nan
    traj[7, 4] = np.inf
    fig = animation(make_anim(traj, n_trails=3, trail_frames=4))
    assert_no_nan(fig)
    trails = [t for t in fig.frames[-1].data if t.mode == "lines"]
    assert len(trails) == 3
    assert all(len(t.x) == 5 for t in trails)  # the last 4 moves + the current position


def test_two_particle_sets_share_frames():
    a, b = walk(10, 100, seed=1), walk(10, 100, seed=2)
    anim = make_anim(a)
    anim.sets.append(F.ParticleSet(b, "other", color=F.OKABE_ITO["blue"]))
    fig = animation(anim)
    names = [t.name for t in fig.frames[0].data]
    assert names[:2] == ["particles", "other"]


def test_animation_spec_is_valid_plotly_and_sent_as_is():
    """The app sends the hand-built dict without Plotly's validation: it must pass that validation anyway, and
    ``SpecFigure`` must hand exactly it to the serialiser."""
    anim = make_anim(walk(12, 300), n_trails=3)
    spec = F.animation_spec(anim)
    validated = go.Figure(spec)  # raises on any invalid property or value
    assert len(validated.frames) == 12 and len(validated.data) == 1 + 3 + 1
    assert F.SpecFigure(spec).to_dict() is spec
    assert json.loads(pio.to_json(F.SpecFigure(spec).to_dict(), validate=False))["layout"]["meta"] == {
        "kind": "animation",
        "group": "main",
        "panels": 1,
    }
    xs = F.decode_arrays(spec["frames"][-1]["data"][0]["x"])
    assert xs.dtype == np.float32 and len(xs) == 300


def test_animation_html_is_self_contained():
    html = F.animation_html(F.animation_spec(make_anim(walk(5, 20))))
    assert "<html>" in html[:100] and "Plotly.newPlot" in html and "frames" in html
    assert '<script src="http' not in html and len(html) > 1_000_000  # plotly.js inlined: opens offline


# ------------------------------------------------------------------------------------------------ fields


def field_panel(mode_scale=1.0):
    xs, ys, z = grid_density()
    a = np.linspace(-4.5, 4.5, 10)
    gx, gy = np.meshgrid(a, a)
    pts = np.stack([gx.ravel(), gy.ravel()], -1)
    return F.FieldPanel(xs, ys, z, pts, -pts * mode_scale, title="gaussian")


@pytest.mark.parametrize("mode", ["direction", "magnitude"])
def test_score_field_spec(mode):
    go.Figure(F.score_field_spec([field_panel(), field_panel()], box=5.0, mode=mode))  # passes Plotly's validation
    fig = figure(F.score_field_spec([field_panel(), field_panel()], box=5.0, mode=mode))
    assert fig.layout.meta["kind"] == "score-field"
    assert [a.text for a in fig.layout.annotations] == ["gaussian", "gaussian"]
    assert fig.data[1].xaxis == "x2" and fig.layout.yaxis2.scaleanchor == "x2"
    quivers = [t for t in fig.data if t.type == "quiver"]
    assert len(quivers) == 2 and len(quivers[0].x) == 100
    assert len(fig.layout.images) == 2 and fig.layout.images[0].source.startswith("data:image/png;base64,")
    assert fig.layout.images[0].layer == "below"  # under the arrows (a heatmap would hide them)
    assert tuple(fig.layout.xaxis2.range) == (-5.0, 5.0)
    u, v = np.asarray(quivers[0].u, float), np.asarray(quivers[0].v, float)
    length = np.hypot(u, v)
    cell = 10.0 / 9
    if mode == "direction":
        np.testing.assert_allclose(length[length > 0], 0.8 * cell, rtol=1e-2)
    else:
        assert length.max() <= 2 * cell + 1e-3
        assert length.max() > 2 * length[length > 0].min()  # lengths vary with ‖s‖
    assert_no_nan(fig)


def test_a_shared_arrow_scale_keeps_stronger_fields_longer_and_draws_its_key():
    """Issue 11, defect 1: with the per-picture scale a field 100× stronger is drawn exactly as long; under one
    ArrowScale shared by both panels it is longer, and each panel has a key saying what length means."""
    weak, strong = field_panel(), field_panel(mode_scale=100.0)
    cell = 10.0 / 9
    own = [np.hypot(*F.arrow_vectors(p.score, cell, mode="magnitude").T) for p in (weak, strong)]
    np.testing.assert_allclose(own[0], own[1], atol=1e-9)  # per picture: the 100× is invisible
    scale = F.ArrowScale("log", unit=0.1, per_decade=0.3, cap=2.0, note="shared")
    spec = F.score_field_spec([weak, strong], box=5.0, mode="magnitude", scale=scale)
    go.Figure(spec)  # passes Plotly's validation
    fig = figure(spec)
    field = [t for t in fig.data if t.meta and t.meta["role"] == "field"]
    length = [np.hypot(np.asarray(t.u, float), np.asarray(t.v, float)) for t in field]
    moving = length[0] > 0
    assert np.all(length[1][moving] > length[0][moving] + 0.5 * cell)  # two decades more: 0.6 cell longer
    assert length[1].max() <= 2 * cell + 1e-3
    keys = [t for t in fig.data if t.meta and t.meta["role"] == "key"]
    assert len(keys) == 2 and keys[0].meta["values"][:3] == [1.0, 10.0, 100.0]
    key_len = np.asarray(keys[0].u, float)
    np.testing.assert_allclose(key_len, scale.cells(np.asarray(keys[0].meta["values"])) * cell, atol=2e-3)
    assert fig.layout.yaxis.range[0] < -5.0 and tuple(fig.layout.xaxis.range) == (-5.0, 5.0)  # the key's strip
    texts = [a.text for a in fig.layout.annotations]
    assert texts[:2] == ["gaussian", "gaussian"]
    assert any("log scale" in t and "shared" in t for t in texts) and any(t.startswith("‖s‖ = 1") for t in texts)
    linear = F.per_picture_scale(weak.score)
    assert "1 cell = " in linear.describe() and "95th percentile" in linear.describe()
    assert_no_nan(fig)


def test_greyed_fades_every_trace_and_labels_the_title():
    """Issue 11, defect 3: the previous result, drawn while new settings wait for training."""
    spec = F.score_field_spec([field_panel(), field_panel()], box=5.0, title="fields")
    out = F.greyed(spec, "previous setting: ssm-vr, 2000 steps")
    go.Figure(out)  # passes Plotly's validation (quiver, scatter and images take an opacity)
    assert all(
        t["opacity"] == pytest.approx(F.STALE_OPACITY * t0.get("opacity", 1.0))
        for t, t0 in zip(out["data"], spec["data"], strict=True)
    )
    assert all(im["opacity"] == F.STALE_OPACITY for im in out["layout"]["images"])
    assert out["layout"]["title"]["text"] == "previous setting: ssm-vr, 2000 steps · fields"
    assert out["layout"]["meta"] == {"kind": "score-field", "stale": "previous setting: ssm-vr, 2000 steps"}
    assert "opacity" not in spec["data"][0] and "stale" not in spec["layout"]["meta"]  # the original is untouched


def test_arrow_vectors_handle_zero_and_nan():
    s = np.array([[0.0, 0.0], [np.nan, 1.0], [3.0, 4.0]])
    uv = F.arrow_vectors(s, 1.0, mode="direction")
    assert np.all(np.isfinite(uv))
    np.testing.assert_allclose(uv[2], [0.48, 0.64])


def test_density_image_is_a_png():
    _, _, z = grid_density()
    uri = F.density_image(z)
    raw = base64.b64decode(uri.split(",", 1)[1])
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------------------------------ charts


def test_mode_fraction_meter_draws_true_weights():
    steps = np.arange(0, 510, 10)
    frac = np.stack([np.linspace(0.5, 0.3, 51), np.linspace(0.5, 0.7, 51)], -1)
    fig = figure(F.mode_fraction_spec(steps, {"annealed": frac, "plain": 1 - frac}, np.array([0.2, 0.8])))
    true = [t for t in fig.data if t.meta["role"] == "true"]
    assert [t.y[0] for t in true] == [0.2, 0.8]
    assert len([t for t in fig.data if t.meta["role"] == "fraction"]) == 4
    assert tuple(fig.layout.yaxis.range) == (0, 1)
    assert_no_nan(fig)


def test_mode_fraction_meter_legend_is_one_entry_per_run_plus_the_truth():
    """Issue 11 defect 8: two runs × two modes gave six legend entries, plain and true lines sharing a dash."""
    steps = np.arange(0, 510, 10)
    frac = np.stack([np.linspace(0.5, 0.3, 51), np.linspace(0.5, 0.7, 51)], -1)
    spec = F.mode_fraction_spec(steps, {"annealed": frac, "plain": 1 - frac}, np.array([0.2, 0.8]))
    shown = [t for t in spec["data"] if t.get("showlegend", True)]
    assert [t["name"] for t in shown] == ["annealed", "plain", "true weights"]
    styles = {(t["line"]["color"], t["line"]["dash"], (t.get("marker") or {}).get("symbol")) for t in shown}
    assert len(styles) == 3 and len({s[1] for s in styles}) == 3  # colour, dash and marker differ
    true = [t for t in spec["data"] if t["meta"]["role"] == "true"]
    assert len({(t["line"]["color"], t["line"]["dash"]) for t in true}) == 1  # the true weights: one style
    texts = [a["text"] for a in spec["layout"]["annotations"]]
    assert texts == ["mode 1: 0.20", "mode 2: 0.80"]  # which line is which mode, on the chart


def test_mode_fraction_labels_do_not_pile_up():
    """A drawing of equal bumps has many true lines at one height: one label says so, instead of seven labels
    printed on one spot; lines closer than a label's height share a label that gives their range."""
    steps = np.arange(5)
    weights = np.array([1 / 16] * 7 + [9 / 16])
    names = [f"bump {k}" for k in range(1, 8)] + ["9 others"]
    spec = F.mode_fraction_spec(steps, {"Langevin": np.tile(weights, (5, 1))}, weights, mode_names=names)
    every = spec["layout"]["annotations"]
    assert len(every) == 8  # one per line, always: a stepped meter's frames merge annotations by index
    ann = [a for a in every if a["visible"]]
    assert [a["text"] for a in ann] == ["bump 1 … bump 7 (7): 0.06 each", "9 others: 0.56"]
    assert ann[0]["y"] == pytest.approx(1 / 16)
    w = np.array([0.37, 0.05, 0.3, 0.28])
    close = F.mode_fraction_spec(steps, {"r": np.tile(w, (5, 1))}, w)
    ann = [a for a in close["layout"]["annotations"] if a["visible"]]
    assert [a["text"] for a in ann] == ["mode 1 … mode 4 (3): 0.28–0.37", "mode 2: 0.05"]  # in the modes' order
    assert [a["y"] for a in ann] == pytest.approx([0.28, 0.05])  # each label just above its lowest line


def test_animation_per_frame_backgrounds_and_boxes():
    traj = np.zeros((4, 10, 2), np.float32)
    xs = np.linspace(-1, 1, 5)
    grids = [(xs, xs, np.ones((5, 5))), (xs * 3, xs * 3, np.ones((5, 5)))]
    spec = F.animation_spec(
        F.Animation(
            sets=[F.ParticleSet(traj, "p")],
            box=1.0,
            frame_labels=["a", "b", "c", "d"],
            backgrounds=grids,
            background_index=[0, 0, 1, 1],
            frame_boxes=[1.0, 1.0, 3.0, 3.0],
        )
    )
    # the chart opens on the last frame: its background is the visible one (the frames switch them)
    assert len(spec["layout"]["images"]) == 2 and [im["visible"] for im in spec["layout"]["images"]] == [False, True]
    assert [f["layout"]["images[1].visible"] for f in spec["frames"]] == [False, False, True, True]
    assert spec["frames"][0]["layout"]["xaxis.range"] == [-1.0, 1.0]
    assert spec["layout"]["xaxis"]["range"] == [-3.0, 3.0]  # opens on the last frame, in its own view
    assert all("source" not in str(f["layout"]) for f in spec["frames"])  # images are sent once, not per frame
    with pytest.raises(ValueError, match="background_index"):
        F.animation_spec(
            F.Animation(sets=[F.ParticleSet(traj, "p")], box=1.0, frame_labels=list("abcd"), backgrounds=grids)
        )


def test_side_by_side_panels_play_in_step_under_one_control():
    """Two panels in one figure: one Play/Pause and one slider; frame k moves both panels' particles to their k-th
    positions; each panel has its own axes, background image and per-frame view."""
    a, b = walk(12, 40, seed=1), walk(12, 40, seed=2)
    xs = np.linspace(-1, 1, 5)
    grids = [(xs, xs, np.ones((5, 5))), (xs * 3, xs * 3, np.ones((5, 5)))]
    left = make_anim(a, n_trails=2, title="ascent")
    right = F.Animation(
        sets=[F.ParticleSet(b, "langevin")],
        box=5.0,
        frame_labels=[f"t {k}" for k in range(12)],
        backgrounds=grids,
        background_index=[0] * 6 + [1] * 6,
        frame_boxes=[1.0] * 6 + [3.0] * 6,
        n_trails=2,
        title="Langevin",
    )
    spec = F.animation_spec([left, right])
    # valid Plotly (the frames' layout changes are attribute paths, "images[2].visible", which go.Figure cannot
    # check against a frame's empty layout: checked below as written)
    fig = go.Figure(
        F.decode_arrays({**spec, "frames": [{k: v for k, v in f.items() if k != "layout"} for f in spec["frames"]]})
    )
    assert len(fig.layout.updatemenus) == 1 and len(fig.layout.sliders) == 1
    assert [s.label for s in fig.layout.sliders[0].steps] == [f"step {10 * k}" for k in range(12)]  # the first's
    assert fig.layout.meta["panels"] == 2 and fig.layout.meta["group"] == "main"
    assert fig.layout.xaxis.domain[1] < fig.layout.xaxis2.domain[0]  # side by side, not overlapping
    assert fig.layout.yaxis2.scaleanchor == "x2"
    assert [im.xref for im in fig.layout.images] == ["x", "x2", "x2"]
    for k, fr in enumerate(fig.frames):
        particles = [t for t in fr.data if t.mode == "markers" and t.name in ("particles", "langevin")]
        assert [t.xaxis for t in particles] == ["x", "x2"]
        np.testing.assert_allclose(particles[0].x, np.round(a[k, :, 0], 3), atol=1e-6)
        np.testing.assert_allclose(particles[1].x, np.round(b[k, :, 0], 3), atol=1e-6)
        # the right panel's own per-frame view and background; the left image is never switched
        assert spec["frames"][k]["layout"]["xaxis2.range"] == [-1.0, 1.0] if k < 6 else [-3.0, 3.0]
        assert spec["frames"][k]["layout"]["images[2].visible"] is (k >= 6)
        assert "images[0].visible" not in spec["frames"][k]["layout"]
    assert [a.text for a in fig.layout.annotations] == ["ascent", "Langevin"]
    # a panel with fewer recorded frames: both draw as many, the same fractions of their runs
    short = F.decode_arrays(F.animation_spec([make_anim(walk(12, 40, seed=1)), make_anim(c := walk(4, 40, seed=3))]))
    assert len(short["frames"]) == 4
    np.testing.assert_allclose(short["frames"][-1]["data"][0]["x"], np.round(a[-1, :, 0], 3), atol=1e-6)
    np.testing.assert_allclose(short["frames"][1]["data"][0]["x"], np.round(a[4, :, 0], 3), atol=1e-6)  # 11/3·1
    right_particles = [t for t in short["frames"][2]["data"] if t.get("xaxis") == "x2" and t["mode"] == "markers"]
    np.testing.assert_allclose(right_particles[0]["x"], np.round(c[2, :, 0], 3), atol=1e-6)


def test_highlighted_paths_start_where_the_particle_entered_the_view_and_fade_with_age():
    """A particle coming from far outside the view draws no line across the picture: its path starts at its first
    point inside the view (box × TRAIL_VIEW_MARGIN). Paths longer than RECENT_FRAMES draw their older part faded,
    joined to the recent part at one shared point."""
    n = 30
    traj = np.zeros((n, 3, 2), np.float32)
    traj[:, 0, 0] = np.linspace(40.0, 0.0, n)  # particle 0 comes in from x = 40 along the axis
    traj[:, 1, 1] = np.linspace(-2.0, 2.0, n)  # particle 1 stays inside
    anim = F.Animation(sets=[F.ParticleSet(traj, "p")], box=5.0, frame_labels=[str(k) for k in range(n)],
                       n_trails=3, trail_frames=n)  # fmt: skip
    spec = F.decode_arrays(F.animation_spec(anim))
    last = spec["frames"][-1]["data"]
    lines = [t for t in last if t["mode"] == "lines"]
    assert len(lines) == 2 * 3  # old + recent per highlighted particle
    old0, recent0 = lines[0], lines[1]
    pts = np.concatenate([old0["x"], recent0["x"]])
    assert pts.max() <= F.animation.TRAIL_VIEW_MARGIN * 5.0 + 1e-6  # nothing from outside the view
    inside = np.round(traj[:, 0, 0], 3)
    inside = inside[inside <= F.animation.TRAIL_VIEW_MARGIN * 5.0]
    np.testing.assert_allclose(recent0["x"], inside, atol=1e-6)  # the in-view tail: 4 points, all recent
    assert len(old0["x"]) == 0
    old1, recent1 = lines[2], lines[3]
    assert len(recent1["x"]) == F.animation.RECENT_FRAMES + 1
    assert recent1["opacity"] > old1["opacity"]
    assert old1["y"][-1] == recent1["y"][0]  # the two parts meet
    assert len(old1["x"]) + len(recent1["x"]) == n + 1  # inside all along: the whole road, one point shared


def test_a_follower_names_its_cursor_per_drawn_frame():
    meta = F.follow_meta(cursor=[0, 10, 20])
    assert meta == {"group": "main", "cursor": [0.0, 10.0, 20.0]}
    assert F.follow_meta(frames=True, group="g") == {"group": "g", "frames": True}
    shape = F.cursor_shape(20.0)
    assert shape["x0"] == shape["x1"] == 20.0 and shape["yref"] == "paper"
    np.testing.assert_array_equal(F.drawn_frames(51), np.arange(51))
    assert len(F.drawn_frames(500)) == F.MAX_FRAMES


def test_meter_and_marginals_specs_are_valid_plotly_and_match():
    """The app sends these dicts as they are: validated by go.Figure here, values read back after decoding."""
    steps = np.arange(0, 510, 10)
    frac = np.stack([np.linspace(0.5, 0.3, 51), np.linspace(0.5, 0.7, 51)], -1)
    spec = F.mode_fraction_spec(steps, {"plain": frac}, np.array([0.2, 0.8]))
    fig = figure(spec)
    np.testing.assert_allclose(fig.data[0].y, np.round(frac[:, 0], 4))
    np.testing.assert_allclose(fig.data[0].x, steps)
    samples = np.random.default_rng(1).normal(size=(400, 2))
    xs = np.linspace(-5, 5, 50)
    fig = figure(F.marginals_spec(samples, xs, np.exp(-(xs**2)), np.exp(-(xs**2)), box=5.0))
    hist, bins = np.histogram(samples[:, 1], bins=np.linspace(-5, 5, 61), density=True)
    np.testing.assert_allclose(fig.data[2].y, np.round(hist, 4), atol=1e-6)  # second panel: y coordinates
    assert fig.data[2].xaxis == "x2" and fig.layout.xaxis2.title.text == "y"
    # stacked (scene 2's side column): no x title between the two plots (at 1.5× it sat on the lower one); each
    # plot's y title names its coordinate
    fig = figure(F.marginals_spec(samples, xs, np.exp(-(xs**2)), np.exp(-(xs**2)), box=5.0, stacked=True))
    assert not fig.layout.xaxis.title.text and not fig.layout.xaxis2.title.text
    assert (fig.layout.yaxis.title.text, fig.layout.yaxis2.title.text) == ("p(x)", "p(y)")


def test_weights_bar_and_loss_curve():
    fig = figure(F.weights_bar_spec(np.array([0.2, 0.8]), {"plain": np.array([0.5, 0.5])}))
    assert [t.name for t in fig.data] == ["true weights", "plain"]
    assert [t.marker.color for t in fig.data] == [F.OKABE_ITO["black"], F.OKABE_ITO["orange"]]
    curve = np.r_[np.linspace(2, -1, 100), np.nan]
    fig = figure(F.loss_curve_spec({"ssm": curve}))
    assert fig.layout.meta["kind"] == "loss"
    assert len(fig.data[0].x) == 100  # NaN dropped
    assert_no_nan(fig)


def test_loss_curve_smooths_and_draws_a_reference_line():
    curve = np.r_[np.linspace(2, -1, 200), np.nan]
    fig = figure(F.loss_curve_spec({"ssm": curve}, smooth_window=50, y_title="loss / |best|", reference=(-1.0, "best")))
    raw, smoothed = fig.data
    assert raw.meta["role"] == "raw" and smoothed.meta["role"] == "smoothed" and "mean of 50 steps" in smoothed.name
    assert raw.line.color == smoothed.line.color == F.SERIES[0]
    np.testing.assert_allclose(smoothed.y, np.round(F.smooth(curve[:200], 50), 5))
    assert fig.layout.yaxis.title.text == "loss / |best|"
    assert fig.layout.shapes[0].y0 == fig.layout.shapes[0].y1 == -1.0 and fig.layout.shapes[0].xref == "x domain"
    assert fig.layout.annotations[0].text == "best"


def test_marginals_with_empty_and_normal_samples():
    xs = np.linspace(-5, 5, 100)
    px = np.exp(-(xs**2) / 2) / np.sqrt(2 * np.pi)
    for samples in (np.zeros((0, 2)), np.random.default_rng(0).normal(size=(500, 2))):
        fig = figure(F.marginals_spec(samples, xs, px, px, box=5.0))
        assert len(fig.data) == 4
        assert_no_nan(fig)


def test_heatmap_spec_clips_and_overlays():
    xs, ys, z = grid_density()
    z[0, 0] = np.inf
    fig = figure(F.heatmap_spec(xs, ys, z, box=5.0, kind="error-map", overlay=np.zeros((10, 2))))
    assert fig.data[0].zmax > 0 and fig.data[1].mode == "markers"
    assert_no_nan(fig)


def test_scatter_xy_log_axes():
    w = np.geomspace(0.01, 1, 10)
    spec = F.scatter_xy_spec(
        w,
        1 / w,
        kind="magnitude-vs-thickness",
        x_title="w",
        y_title="E|s|",
        log_x=True,
        log_y=True,
        reference=(w, 1 / w, "1/w"),
        marker_x=0.1,
    )
    fig = figure(spec)
    assert fig.layout.xaxis.type == "log" and len(fig.data) == 2
    assert list(fig.layout.xaxis.tickvals) == [0.01, 0.1, 1.0] and fig.layout.yaxis.type == "log"  # the decades
    assert fig.layout.shapes[0].x0 == 0.1 and fig.layout.shapes[0].yref == "y domain"  # the marker line
    assert fig.data[1].line.color == F.OKABE_ITO["vermillion"] and fig.data[1].name == "1/w"
    assert_no_nan(fig)


# ------------------------------------------------------------------------------------------------ learned scores


def test_decade_error_spec():
    edges = np.r_[-np.inf, np.arange(-7.0, 1.0)]
    rel = np.array([3.0, 1.0, np.nan, 0.5, 0.2, 0.1, 0.05, 0.01])
    counts = np.array([500, 80, 0, 60, 50, 40, 30, 20])
    fig = figure(F.decade_error_spec(edges, rel, counts, near_data=0.02))
    assert fig.layout.meta["kind"] == "error-vs-logp" and fig.layout.yaxis.type == "log"
    bars = fig.data[0]
    assert list(bars.x) == ["< 10⁻⁷", "10⁻⁷–10⁻⁶", "10⁻⁵–10⁻⁴", "10⁻⁴–10⁻³", "10⁻³–10⁻²", "10⁻²–10⁻¹", "10⁻¹–1"]
    np.testing.assert_allclose(bars.y, [3.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.01])  # the empty decade is left out
    assert fig.layout.shapes[0].y0 == 0.02  # the p-weighted error as a line
    assert_no_nan(fig)


def test_paths_spec_panels_colours_and_caps():
    xs, ys, z = grid_density()
    a = np.linspace(-4.5, 4.5, 10)
    gx, gy = np.meshgrid(a, a)
    pts = np.stack([gx.ravel(), gy.ravel()], -1)
    traj = walk(20, 100)
    traj[3, 5] = np.nan
    modes = np.r_[np.zeros(60, int), np.ones(30, int), -np.ones(10, int)]
    panels = [
        F.PathPanel(xs, ys, z, pts, -pts, traj, modes, title="true score"),
        F.PathPanel(xs, ys, z, pts, -pts, traj, np.zeros(100, int), title="learned"),
    ]
    fig = figure(F.paths_spec(panels, box=5.0, mode_names=["at (−5, −5)", "at (5, 5)"]))
    assert fig.layout.meta["kind"] == "paths"
    assert [a.text for a in fig.layout.annotations] == ["true score", "learned"]
    assert len(fig.layout.images) == 2 and tuple(fig.layout.xaxis2.range) == (-5.0, 5.0)
    role = lambda t, r, p: t.meta and t.meta.get("role") == r and t.meta["panel"] == p
    ends = {t.meta["mode"]: len(t.x) for t in fig.data if role(t, "end", 0)}
    assert ends == {-1: 10, 0: 60, 1: 30}  # every particle's end, by mode
    assert {t.meta["mode"] for t in fig.data if role(t, "end", 1)} == {0}
    paths = [t for t in fig.data if role(t, "path", 0)]
    n_paths = sum(sum(v is None for v in t.x) for t in paths)
    assert n_paths == F.MAX_PATHS  # capped
    colours = {t.meta["mode"]: t.line.color for t in paths}
    assert colours[0] != colours[1] and colours[-1] == F.OKABE_ITO["black"]
    names = {t.name for t in fig.data if t.showlegend}
    assert {"ended at (−5, −5)", "ended at (5, 5)", "ended at no mode", "start"} <= names
    assert_no_nan(fig)


# ------------------------------------------------------------------------------------------------ log axes


def _tick_value(text: str) -> float:
    """A log axis's tick label read back as a number: "0.02", "500", "10⁻⁴", "2·10⁶"."""
    sup = "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"
    if not any(c in sup for c in text):
        return float(text)
    head = text.rstrip(sup)
    power = int(text[len(head) :].translate(str.maketrans(sup, "-0123456789")))
    return float(head[:-2].rstrip("·") or 1) * 10.0**power  # head ends in "10"


def _log_axes(spec: dict) -> dict:
    return {k: v for k, v in spec["layout"].items() if k[:5] in ("xaxis", "yaxis") and v.get("type") == "log"}


def test_every_log_axis_labels_its_ticks_in_full():
    """Issue 30: on a log axis spanning a few decades Plotly labels 2 and 5 of each decade with a bare small "2", "5"
    (its minor labels), which cluttered scenes 3, 8 and 11. Every builder's log axis sets its own ticks: at least two,
    inside its range, each labelled with its own value, and only the powers of ten when the range holds two."""
    seen = []
    for name, build in SPECS.items():
        for axis_name, axis in _log_axes(build()).items():
            seen.append(f"{name}.{axis_name}")
            ticks = np.asarray(axis["tickvals"], np.float64)
            assert len(ticks) >= 2, (name, axis_name)
            lo, hi = axis["range"]
            assert axis["autorange"] is False and np.all((np.log10(ticks) >= lo) & (np.log10(ticks) <= hi))
            np.testing.assert_allclose([_tick_value(t) for t in axis["ticktext"]], ticks, rtol=1e-6)
            powers = [10.0**e for e in range(int(np.floor(lo)), int(np.ceil(hi)) + 1) if lo <= e <= hi]
            if len(powers) >= 2:
                assert set(np.round(np.log10(ticks), 9)) <= set(np.round(np.log10(powers), 9)), (name, ticks)
    # the builders with a log axis: scatter_xy (both), decade_error(s), lines (y)
    assert len(seen) >= 5, seen


def test_log_ticks_decades_or_one_two_five():
    """The decades when the values span two or more of them; 1, 2, 5 (then finer) otherwise; labels in full."""
    d = F.log_ticks(np.array([12.0, 800.0, 3000.0]))  # scene 8's crossing times
    assert d["tickvals"] == [10.0, 100.0, 1000.0] and d["ticktext"] == ["10", "100", "1000"]
    d = F.log_ticks(np.array([1.02, 9.83]))  # scene 3's variance ratio: the range is padded to 1 and 10
    assert d["ticktext"] == ["1", "10"]
    d = F.log_ticks(np.array([0.3, 0.9]))
    assert d["ticktext"] == ["0.5"] or d["ticktext"][:2] == ["0.3", "0.4"]
    d = F.log_ticks(np.array([1e-7, 3e5]))
    assert len(d["tickvals"]) <= 8 and "1" in d["ticktext"] and "10⁻⁶" in d["ticktext"]  # every other decade
    assert F.log_ticks(np.array([np.nan, -1.0, 0.0])) == {"dtick": 1}  # nothing to place: Plotly's own range
    rng = np.random.default_rng(0)
    for lo, span in zip(rng.uniform(-9, 9, 2000), rng.exponential(0.5, 2000), strict=True):
        d = F.log_ticks(np.array([10.0**lo, 10.0 ** (lo + span)]))
        e = np.log10(d["tickvals"])
        assert len(e) >= 2 and e.min() >= d["range"][0] and e.max() <= d["range"][1]
        assert d["range"][0] <= lo and d["range"][1] >= lo + span  # every value is inside the range


# ------------------------------------------------------------------------------------------------ arrow hover


def test_hovering_an_arrow_shows_its_point_log_p_and_exact_score():
    """Issue 30: hovering scene 1's chart shows the point, log p there and s(x): the values the arrow was drawn
    from (a standard Gaussian: log p = −‖x‖²/2 − log 2π, s = −x), not read off the picture; a panel without log p
    keeps its arrows silent."""
    panel = field_panel()
    log_p = -0.5 * np.sum(panel.points**2, axis=1) - np.log(2 * np.pi)
    hovered = dataclasses.replace(panel, log_p=log_p, p_name="p_σ")
    spec = F.score_field_spec([hovered, panel], box=5.0)
    go.Figure(F.decode_arrays(spec))  # passes Plotly's validation
    arrows = [t for t in spec["data"] if t["meta"] == {"role": "field"}]
    first, second = arrows
    custom = F.decode_arrays(first["customdata"])
    assert custom.shape == (len(panel.points), 3)
    np.testing.assert_allclose(custom[:, :2], -panel.points, atol=1e-4)  # s(x) = −x at each tail
    np.testing.assert_allclose(custom[:, 2], log_p, atol=1e-4)
    np.testing.assert_allclose(F.decode_arrays(first["x"]), panel.points[:, 0], atol=1e-3)  # hover at the tails
    template = first["hovertemplate"]
    assert "log p_σ(x) = %{customdata[2]" in template and "s(x) = (%{customdata[0]" in template
    assert "(x, y) = (%{x" in template and "hoverinfo" not in first
    assert second["hoverinfo"] == "skip" and "customdata" not in second
    assert len(json.dumps(first["customdata"])) < 3 * 4 * len(panel.points) * 4 / 3 + 100  # one float32 typed array
