"""AppTest of presenter mode, the lecture bar and the presets: larger chart fonts and a short intro with
``?present=1``; previous/next links that keep it; every preset opens its scene with no URL note."""

from __future__ import annotations

import pytest

from scoredemo.app import presenter
from scoredemo.app import presets as P
from scoredemo.app.scenes import SCENES
from tests.app import apptest
from tests.app.apptest import formulas
from tests.app.test_app import ROOT, TIMEOUT, charts, ok, scene

FAST = {"n_particles": "250", "n_steps": "50"}


def test_present_makes_chart_fonts_larger_and_the_intro_short():
    plain = scene("follow_score", **FAST)
    shown = scene("follow_score", present=1, **FAST)
    ok(plain), ok(shown)
    a, b = charts(plain)["animation"], charts(shown)["animation"]
    assert b["layout"]["font"]["size"] == pytest.approx(presenter.SCALE * a["layout"]["font"]["size"])
    assert b["layout"]["legend"]["font"]["size"] > a["layout"]["legend"]["font"]["size"]
    assert b["data"][0]["marker"]["size"] > a["data"][0]["marker"]["size"]
    long, short = plain.markdown[0].value, shown.markdown[0].value
    assert short == presenter.first_sentence(long) and len(short) < len(long) / 2
    assert formulas(shown) == formulas(plain) and formulas(plain)  # the formula stays


def test_lecture_bar_links_neighbours_and_keeps_present():
    at = apptest.open_app_page(ROOT / "app.py", "follow-the-score", {"present": "1", **FAST}, timeout=TIMEOUT)
    ok(at)
    links = {el.proto.label: el.proto for el in at.get("page_link")}
    prev = next(p for label, p in links.items() if label.startswith("←"))
    nxt = next(p for label, p in links.items() if label.endswith("→"))
    assert prev.label == f"← {SCENES[0][1]}" and nxt.label == f"{SCENES[2][1]} →"
    assert prev.query_string == nxt.query_string == "present=1"
    for p in P.presets_for("follow-the-score"):
        assert links[p.name].query_string == f"{p.query()}&present=1"
    assert at.query_params["present"] in ("1", ["1"])
    assert at.toggle(key="present_switch").value is True
    # the share box: the current link (page and query) with st.code's copy icon, and its QR code
    link = at.code[0].value
    assert link.startswith(presenter.FALLBACK_URL + "/follow-the-score?") and "present=1" in link
    assert len(at.get("image")) == 1
    # switching presenter mode off drops ?present and the QR code, and the intro is long again
    at.toggle(key="present_switch").set_value(False).run()
    ok(at)
    assert "present" not in at.query_params
    assert len(at.get("image")) == 0
    assert all(el.proto.query_string == "" for el in at.get("page_link") if "→" in el.proto.label)


#: Cheaper settings for the scenes that sample or train a lot, applied where a preset does not set the key.
SPEED = {
    "follow-the-score": FAST,
    "step-size": {"n_particles": "250", "n_steps": "50"},
    "learning-the-score": {"train_steps": "250", "n_particles": "250", "n_steps": "50"},
    "low-density": {"train_steps": "250", "n_steps": "50"},
    "mixing": {"n_particles": "250", "n_steps": "100"},
    "mixing-time": {"n_particles": "250", "n_steps": "1000"},
    "annealed-langevin": {"n_particles": "250", "steps_per_level": "10", "train_steps": "250"},
}
MODULES = {path: module for module, _, path, _ in SCENES}


@pytest.mark.parametrize("preset", P.PRESETS, ids=lambda p: p.name)
def test_every_preset_opens_its_scene_with_its_values(preset):
    query = {**SPEED.get(preset.url_path, {}), **preset.params}
    at = scene(MODULES[preset.url_path], **query)
    ok(at)
    controls = at.session_state["_controls"][preset.url_path]
    assert set(preset.params) <= set(controls), set(preset.params) - set(controls)
    notes = [w.value for w in at.warning if "URL value" in w.value]
    assert not notes, notes
    for key, value in preset.params.items():  # the widget holds the preset's value
        assert str(at.session_state[key]).lower() == value.lower() or float(at.session_state[key]) == float(value)


def test_page_css_targets_the_mark_streamlit_puts_on_waiting_elements():
    """PAGE_CSS (no fade on elements waiting for a rerun) and the harness's "page settled" test both rely on
    Streamlit's frontend marking those element containers ``data-stale``: fail loudly if an upgrade drops it."""
    from pathlib import Path

    import streamlit

    bundles = list((Path(streamlit.__file__).parent / "static" / "static" / "js").glob("index.*.js"))
    assert bundles, "Streamlit's frontend bundle moved"
    assert any('"data-stale"' in b.read_text(encoding="utf-8", errors="replace") for b in bundles)
    assert '[data-stale="true"]' in presenter.PAGE_CSS and "opacity: 1 !important" in presenter.PAGE_CSS


def test_page_css_stops_the_pulse_of_streamlits_placeholders():
    """PAGE_CSS stops the skeletons' pulse (a class arriving at once paid for it in CPU: README, "A class
    arriving"); it finds them by the test ids Streamlit's frontend gives them: fail loudly if an upgrade renames
    them."""
    from pathlib import Path

    import streamlit

    chunks = (Path(streamlit.__file__).parent / "static" / "static" / "js").glob("*.js")
    text = "".join(c.read_text(encoding="utf-8", errors="replace") for c in chunks)
    for test_id in ("stSkeleton", "stSkeletonElement"):
        assert f'"data-testid":`{test_id}`' in text, f"Streamlit no longer marks its placeholders {test_id}"
        assert f'[data-testid="{test_id}"]' in presenter.PAGE_CSS
    assert "animation: none !important" in presenter.PAGE_CSS
