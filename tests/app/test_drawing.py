"""Drawing a density (issue 13 §1): the drawing's text format and URL encoding, the selection handler (with the
dict shape Streamlit 1.67's ``st.plotly_chart(on_select=...)`` returns), and AppTest for each drawing control.

AppTest cannot click a Plotly chart; a gesture is injected as the chart's pending selection in session state
(what the browser's selection event leaves there), and the page must apply it once on the next run.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoredemo.app import custom_density as CD
from scoredemo.app import drawing as D
from tests.app.test_app import charts, ok, scene

SQUARE = {"x": [-6.0, -3.0, -3.0, -6.0], "y": [3.0, 3.0, 6.0, 6.0]}


def selection(points=(), box=(), lasso=()) -> dict:
    """A selection in Streamlit's shape (PlotlySelectionState)."""
    pts = [{"curve_number": 0, "point_number": i, "point_index": i, "x": x, "y": y} for i, (x, y) in enumerate(points)]
    return {"points": pts, "point_indices": list(range(len(pts))), "box": list(box), "lasso": list(lasso)}


# ------------------------------------------------------------------------------------------ the text format


def test_text_round_trip_and_expansion():
    text = "-2, 0, 0.6, 1; 3, 3, 0.5, 2; fill 2: -5 -5, -1 -5, -1 -1, -5 -1"
    d = CD.validate_drawing(text)
    assert len(d.bumps) == 2 and len(d.regions) == 1 and d.regions[0][0] == 2.0
    assert CD.drawing_text(d) == text
    means, scales, weights, modes = CD.expand(d)
    assert len(means) == len(scales) == len(weights) == len(modes) <= CD.MAX_GAUSSIANS
    assert weights[:2].tolist() == [1.0, 2.0] and weights[2:].sum() == pytest.approx(2.0)  # region mass = its weight
    assert modes[:2].tolist() == [0, 1] and set(modes[2:]) == {2}  # one mode per bump and per region
    assert CD.bucket(len(means)) == 64 and CD.bucket(3) == 16 and CD.bucket(CD.MAX_GAUSSIANS) == CD.MAX_GAUSSIANS


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("fill 1 -1 -1, 1 -1, 0 1", "fill WEIGHT"),
        ("fill 1: 0 0, 1 1, 1 0, 0 1", "crosses itself"),
        ("fill 1: 0 0, 1 1, 2 2", "no area"),
        ("fill 1: 0 0, 1, 0 1", "two numbers"),
        ("fill x: 0 0, 1 0, 0 1", "not a number"),
        ("fill -1: 0 0, 3 0, 0 3", "negative"),
        ("fill 1: 0 0, 30 0, 0 3", "outside the picture"),
        ("fill 1: " + ", ".join(f"{np.cos(t):.2f} {np.sin(t):.2f}" for t in np.linspace(0, 6, 30)), "corners"),
        ("; ".join(["fill 1: 0 0, 1 0, 0 1"] * 5), "at most 4"),
        ("; ".join(["0, 0, 1, 1"] * 17), "at most 16"),
        ("0, 0, 1, 1; " * 400, "characters long"),
        ("", "empty"),
    ],
)
def test_bad_drawings_are_named(text, words):
    with pytest.raises(ValueError, match=words):
        CD.validate_drawing(text)


# ------------------------------------------------------------------------------------------ the selection handler


def test_a_click_drops_a_bump_and_a_second_click_grows_it():
    edit = D.apply_selection("0, 0, 0.5, 1", selection(points=[(3.0, -2.0)]), scale=0.7, weight=2.0)
    assert edit.text == "0, 0, 0.5, 1; 3, -2, 0.7, 2" and "dropped" in edit.message
    again = D.apply_selection(edit.text, selection(points=[(3.25, -2.0)]), scale=0.7, weight=2.0)
    assert again.text == "0, 0, 0.5, 1; 3, -2, 0.7, 4" and "grew" in again.message
    assert D.apply_selection("", selection(points=[(1.0, 1.0)]), scale=0.5, weight=1.0).text == "1, 1, 0.5, 1"


def _click(x: float, y: float) -> dict:
    """A click as presenter.DRAW_JS sends it (and Streamlit turns it into a box): both ranges of zero size."""
    return selection(box=[{"xref": "x", "yref": "y", "x": [x, x], "y": [y, y]}])


def test_a_click_arrives_as_a_zero_size_box_and_lands_on_the_click_step():
    edit = D.apply_selection("", _click(2.9, -2.1), scale=0.5, weight=1.0)
    assert edit.text == "3, -2, 0.5, 1" and "dropped" in edit.message
    assert D.apply_selection("", _click(3.13, 0.37), scale=0.5, weight=1.0).text == "3.25, 0.25, 0.5, 1"
    assert "grew" in D.apply_selection(edit.text, _click(3.2, -1.8), scale=0.5, weight=1.0).message
    # every point of the view is within half a step (per axis) of where its click lands
    xs = np.linspace(-8, 8, 641)
    texts = [D.apply_selection("", _click(x, 0.0), scale=0.5, weight=1.0).text for x in xs]
    landed = np.array([CD.validate_drawing(t).bumps[0, 0] for t in texts])
    assert np.max(np.abs(landed - xs)) <= D.CLICK_STEP / 2 + 1e-9
    # a box of any size is a region, not a click
    real_box = selection(box=[{"x": [1.0, 1.5], "y": [0.0, 0.5]}])
    assert "filled with" in D.apply_selection("", real_box, scale=0.5, weight=1.0).message


def test_lasso_and_box_fill_a_region():
    edit = D.apply_selection("0, 0, 0.5, 1", selection(lasso=[SQUARE]), scale=0.5, weight=3.0)
    d = CD.validate_drawing(edit.text)
    assert len(d.regions) == 1 and d.regions[0][0] == 3.0 and "filled with" in edit.message
    np.testing.assert_array_equal(d.regions[0][1], np.array([SQUARE["x"], SQUARE["y"]]).T)
    # a box selection ({x: [x0, x1], y: [y0, y1]}) gives the rectangle; its points inside are ignored
    box = {"xref": "x", "yref": "y", "x": [1.0, 4.0], "y": [-1.0, 2.0]}
    edit = D.apply_selection("0, 0, 0.5, 1", selection(points=[(2.0, 0.0)], box=[box]), scale=0.5, weight=1.0)
    d = CD.validate_drawing(edit.text)
    assert len(d.bumps) == 1 and d.regions[0][1].tolist() == [[1, -1], [4, -1], [4, 2], [1, 2]]
    # a dense lasso is simplified to ≤ 24 corners, rounded to 0.1
    t = np.linspace(0, 2 * np.pi, 400)
    ring = {"x": list(3 * np.cos(t)), "y": list(3 * np.sin(t))}
    d = CD.validate_drawing(D.apply_selection("", selection(lasso=[ring]), scale=0.5, weight=1.0).text)
    assert len(d.regions[0][1]) <= CD.MAX_VERTICES


@pytest.mark.parametrize(
    ("sel", "words"),
    [
        (selection(lasso=[{"x": [0, 2, 2, 0], "y": [0, 2, 0, 2]}]), "crosses itself"),  # a figure-eight
        (selection(lasso=[{"x": [0, 1, 2], "y": [0, 1, 2]}]), "no area"),
        (selection(box=[{"x": [1.0, 1.0], "y": [0.0, 3.0]}]), "no area"),  # a zero-width box
        (selection(lasso=[{"x": [0, 1], "y": [0, 1, 2]}]), "differ in length"),
        (selection(lasso=[{"x": ["a"], "y": [0]}]), "cannot read"),
        (selection(lasso=[{"y": [0, 1, 2]}]), "cannot read"),
        (selection(points=[(float("nan"), 0.0)]), "outside the picture"),
        (selection(points=[(20.0, 0.0)]), "outside the picture"),
        ({"points": [], "box": [], "lasso": []}, "nothing"),
    ],
)
def test_refused_gestures_keep_the_drawing_and_say_why(sel, words):
    edit = D.apply_selection("0, 0, 0.5, 1", sel, scale=0.5, weight=1.0)
    assert edit.text is None and words in edit.message, edit.message


def test_hundreds_of_clicks_stop_at_the_cap():
    pts = [(-7.5 + 0.9 * (i % 17), -7.5 + 0.9 * (i // 17)) for i in range(300)]
    edit = D.apply_selection("", selection(points=pts), scale=0.2, weight=1.0)
    d = CD.validate_drawing(edit.text)
    assert len(d.bumps) == CD.MAX_COMPONENTS and f"{CD.MAX_COMPONENTS} bumps" in edit.message
    full = D.apply_selection(edit.text, selection(points=[(7.9, 7.9)]), scale=0.2, weight=1.0)
    assert full.text is None and "the most it can hold" in full.message
    four = "; ".join(f"fill 1: {x} 0, {x + 1} 0, {x} 1" for x in (-6, -3, 0, 3))
    assert "the most it can hold" in D.apply_selection(four, selection(lasso=[SQUARE]), scale=1, weight=1).message


def test_overlays_and_click_mode():
    d = CD.validate_drawing("0, 0, 0.5, 1; fill 1: -5 -5, -1 -5, -1 -1")
    spec = {"data": [{"type": "quiver"}], "layout": {"xaxis": {"range": [-8, 8]}, "yaxis": {}, "meta": {"kind": "k"}}}
    out = D.drawable(spec, d, tool="lasso")
    roles = [t.get("meta", {}).get("role") for t in out["data"]]
    assert roles == [None, "drawn-bumps", "drawn-region"]  # no markers under the field: clicks come by DRAW_JS
    assert all(t.get("hoverinfo") == "skip" for t in out["data"][1:])  # the overlays never take a click
    # Plotly pans on fixed axes (it does nothing with a gesture); the tool is for DRAW_JS
    assert out["layout"]["dragmode"] == "pan" and out["layout"]["xaxis"]["fixedrange"]
    assert out["layout"]["meta"] == {"kind": "k", "drawable": True, "tool": "lasso"}  # what DRAW_JS looks for
    assert out["layout"]["clickmode"] == "event+select"  # as Streamlit sets it after the first draw: no second draw
    assert spec["layout"]["xaxis"] == {"range": [-8, 8]} and spec["layout"]["meta"] == {"kind": "k"}  # not modified


# ------------------------------------------------------------------------------------------ URL encoding fuzz

_coord = st.integers(-80, 80).map(lambda i: i / 10)
_bump = st.tuples(
    _coord, _coord, st.integers(5, 500).map(lambda i: i / 100), st.integers(0, 5000).map(lambda i: i / 10)
)
_region = st.tuples(
    st.integers(1, 50).map(lambda i: i / 10), st.lists(st.tuples(_coord, _coord), min_size=3, max_size=8)
)
DRAWINGS = st.tuples(
    st.lists(_bump, min_size=0, max_size=CD.MAX_COMPONENTS), st.lists(_region, min_size=0, max_size=CD.MAX_REGIONS)
)
TOKENS = ["fill", ":", ",", ";", " ", "1", "-2.5", "e9", "nan", "inf", "\n", "x"]
JUNK = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(["fill", ":", ",", ";", " ", "1", "-2.5", "e9", "nan", "inf", "\n", "x"]), max_size=80
    ).map("".join),
    st.builds(lambda n: "fill 1: " + ", ".join(["1 1"] * n), st.integers(0, 60)),
    st.builds(lambda n: "0, 0, 1, 1; " * n, st.integers(0, 300)),
)
_common = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)


def _check_round_trip(parts) -> None:
    bumps, regions = parts
    d = CD.Drawing(np.asarray(bumps, np.float64).reshape(-1, 4), tuple((w, np.asarray(v)) for w, v in regions))
    text = CD.drawing_text(d)
    back = CD.parse_drawing(text)
    np.testing.assert_array_equal(back.bumps, d.bumps)
    assert len(back.regions) == len(d.regions)
    for (w1, v1), (w2, v2) in zip(back.regions, d.regions, strict=True):
        assert w1 == w2 and np.array_equal(v1, v2)
    assert CD.drawing_text(back) == text and len(text) <= CD.MAX_COMPONENTS_CHARS
    _check_text(text)


def _check_text(text: str) -> None:
    """Any text: a drawing that expands within the cap, or a ValueError with a reason — never another error."""
    try:
        d = CD.validate_drawing(text)
    except ValueError as err:
        assert len(str(err)) > 15
        return
    means, scales, weights, _ = CD.expand(d)
    assert len(means) <= CD.MAX_GAUSSIANS and np.all(np.isfinite(means)) and weights.sum() > 0
    assert np.all(np.abs(means) <= CD.BOX) and np.all((scales >= 0.05) & (scales <= 5))


@settings(max_examples=40, **_common)
@given(parts=DRAWINGS)
def test_url_encoding_round_trip(parts):
    _check_round_trip(parts)


@settings(max_examples=60, **_common)
@given(text=JUNK)
def test_malformed_or_oversized_text_gives_a_message(text):
    _check_text(text)


@pytest.mark.fuzz
@settings(max_examples=3000, **_common)
@given(parts=DRAWINGS)
def test_url_encoding_round_trip_full(parts):
    _check_round_trip(parts)


@pytest.mark.fuzz
@settings(max_examples=5000, **_common)
@given(text=JUNK)
def test_malformed_or_oversized_text_gives_a_message_full(text):
    _check_text(text)


# ------------------------------------------------------------------------------------------ AppTest: each control


def _select(at, sel) -> None:
    """The browser's selection event for the chart drawn now (the page applies it on the next run)."""
    at.session_state[D.chart_key_for(at.session_state)] = {"selection": sel}
    at.run()
    ok(at)


def _drawn(at) -> tuple[int, int]:
    spec = charts(at)["score-field"]
    roles = [t.get("meta", {}).get("role") for t in spec["data"]]
    bumps = next((t for t in spec["data"] if t.get("meta", {}).get("role") == "drawn-bumps"), None)
    return (0 if bumps is None else len(bumps["x"])), roles.count("drawn-region")


def test_scene1_click_lasso_undo_clear_and_presets():
    at = scene("score_fields", density="custom")
    ok(at)
    assert _drawn(at) == (3, 0)
    caption = " ".join(c.value for c in at.caption)
    assert "at most 16 bumps and 4 filled regions" in caption  # the cap is stated on the page
    # the brush: scale and weight sliders shape the next click's bump
    at.slider(key="draw_scale").set_value(1.2).run()
    at.slider(key="draw_weight").set_value(2.5).run()
    _select(at, selection(points=[(4.0, -4.0)]))
    assert at.session_state["components"].endswith("; 4, -4, 1.2, 2.5")
    assert at.query_params["components"] == at.session_state["components"]  # the URL holds the drawing
    assert _drawn(at) == (4, 0) and any("Bump 4 dropped" in c.value for c in at.caption)
    assert at.data_editor[0].value.shape == (4, 4)  # the table shows the drawing's bumps
    at.run()  # the same selection is not applied twice
    assert _drawn(at) == (4, 0)
    # a lasso fills a region; the table keeps the bumps
    at.radio(key="draw_tool").set_value("lasso: fill a region").run()
    _select(at, selection(lasso=[SQUARE]))
    assert _drawn(at) == (4, 1) and "fill 2.5: -6 3, -3 3, -3 6, -6 6" in at.session_state["components"]
    assert charts(at)["score-field"]["layout"]["meta"]["tool"] == "lasso"
    # a refused gesture: a warning, the drawing is kept
    before = at.session_state["components"]
    _select(at, selection(lasso=[{"x": [0, 2, 2, 0], "y": [0, 2, 0, 2]}]))
    assert at.session_state["components"] == before
    assert any("kept as it was" in w.value and "crosses itself" in w.value for w in at.warning)
    # undo twice: back to the three default bumps
    at.button(key="draw-undo").click().run()
    assert _drawn(at) == (4, 0)
    at.button(key="draw-undo").click().run()
    assert at.session_state["components"] == CD.DEFAULT_COMPONENTS
    # clear: an empty canvas with a note and a placeholder picture; undo brings the drawing back
    at.button(key="draw-clear").click().run()
    ok(at)
    assert at.session_state["components"] == "" and _drawn(at) == (0, 0)
    assert any("canvas is empty" in i.value for i in at.info) and not at.error
    at.button(key="draw-undo").click().run()
    assert at.session_state["components"] == CD.DEFAULT_COMPONENTS
    # a preset
    name = next(n for n in D.PRESETS if "filled square" in n)
    at.selectbox(key="draw_preset").set_value(name).run()
    ok(at)
    assert at.session_state["components"] == D.PRESETS[name] and _drawn(at) == (1, 1)
    assert at.selectbox(key="draw_preset").value is None  # ready for the next pick


@pytest.mark.parametrize(
    ("components", "words"),
    [
        ("fill 1: 0 0, 1 1, 1 0, 0 1", "crosses itself"),
        ("0, 0, 1, 1; " * 400, "characters long"),
        ("fill 1: 0 0 0, 1 1, 0 1", "two numbers"),
        (";;;", "the drawing is empty"),  # empty from a link: a mistake (after Clear it is a blank canvas)
    ],
)
def test_a_bad_drawing_in_the_url_gets_a_message_and_a_picture(components, words):
    at = scene("score_fields", density="custom", components=components)
    ok(at)
    assert any(words in e.value and "The component table has a problem" in e.value for e in at.error)
    assert "score-field" in charts(at)


def test_a_bad_text_keeps_the_last_good_drawing():
    at = scene("score_fields", density="custom", components="1, 1, 0.5, 1; fill 1: -5 -5, -1 -5, -1 -1")
    ok(at)
    assert _drawn(at) == (1, 1)
    at.text_input(key="components").set_value("1, 1, 0.5").run()
    ok(at)
    assert any("last good drawing" in e.value for e in at.error)
    assert _drawn(at) == (1, 1)  # the picture is still the previous drawing


def test_each_new_bump_reuses_the_compiled_field(count_compiles):
    """Padding: a click changes the component count, not the array shapes (1 → 16 bumps: one size, 16)."""
    at = scene("score_fields", density="custom", components="0, 0, 0.5, 1")
    ok(at)
    _select(at, selection(points=[(3.0, 3.0)]))
    count = count_compiles()
    for i in range(4):
        _select(at, selection(points=[(-6.0 + 2.0 * i, -5.0)]))
    assert _drawn(at) == (6, 0)
    assert count_compiles() == count
