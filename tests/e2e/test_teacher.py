"""A teacher's walk through the lecture in the real browser (issue 30): what they do with presenter mode, and what
the class sees on the projector.

Per scene, in a fresh browser context at projector size (1280×720 here; 1920×1080 in ``make slow``), opened with
``?present=1`` and some non-default controls: the title is on one line and the scene's main charts (its stage)
are on screen without scrolling, covering at least half of it; where the stage has an animation, the clicker's
PageDown plays it, space pauses it and holds the frame, space again resumes from that frame (not from the start),
and the charts that follow it (a meter's cursor, scene 2's histograms) show the frame shown; the camera icon of the
main chart saves a slide PNG without the animation's controls, its plot filling the slide; and the share box's link
(and its QR code) opens the same view, every control's value, in another browser context.

Then the clicker and the notes window on scene 7 (two slides): PageDown plays, then shows the end, then opens the
next slide, then the next, then the next scene; PageUp goes back a slide; the notes window (``/notes``, a second
window of the same browser) follows the slide shown and its buttons step the lecture; keys pressed while a scene
is still loading are all acted on. And the meters are never smaller on the projector than on a student's page.

Screenshots: test-output/screenshots/teacher-<scene>-<width>.png (look at them).
"""

from __future__ import annotations

import importlib
import io
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np
import pytest
from PIL import Image

from devtools.apphost import DRAWN_CHART, JS_CHART, animation_label, open_settled, wait_idle
from scoredemo.app import presets as P
from scoredemo.app.presenter import DEFAULT_PAGE_PATH
from scoredemo.app.scenes import SCENES
from tests.e2e.test_share_link import JS_WIDGETS, decode_qr, same, share_box, small, title
from tests.e2e.test_slides import plot_area, slide_download

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-output" / "teacher"
SHOTS = ROOT / "test-output" / "screenshots"
SLIDE, PROJECTOR = (1280, 720), (1920, 1080)
#: The least share of the screen the stage's charts cover (the issue: "at least half of a 1280×720 screen").
MIN_STAGE = 0.5
#: The least height of a slide's plot, as a share of the slide (a presenter-mode slide keeps the projector's 1.5×
#: type: a bar chart with rotated tick labels and its axis title keeps 57 % of the height for its plot).
MIN_SLIDE_PLOT = 0.5
#: The scenes that train a model on arrival open with the smallest training their slider offers (as the layout
#: test does): the same page and layout, after seconds of training instead of minutes.
LEARNED = {
    path
    for module, _, path, _ in SCENES
    if getattr(importlib.import_module(f"scoredemo.app.scenes.{module}"), "default_models", None)
}

#: What the projector shows of the stage: the share of the screen its charts cover (clipped to the screen), each
#: chart's box, whether any is cut by the screen's edge, the title's box and whether its text is cut, and the stage's
#: animation (its index among the page's charts) and followers.
JS_STAGE = """() => {
  const vw = innerWidth, vh = innerHeight;
  const stage = document.querySelector('.st-key-stage');
  const charts = stage ? [...stage.querySelectorAll('.js-plotly-plot')] : [];
  let covered = 0, cut = false;
  const boxes = charts.map((c) => {
    const r = c.getBoundingClientRect();
    const w = Math.max(0, Math.min(r.right, vw) - Math.max(r.left, 0));
    const h = Math.max(0, Math.min(r.bottom, vh) - Math.max(r.top, 0));
    covered += w * h;
    if (r.top < -1 || r.bottom > vh + 1 || r.left < -1 || r.right > vw + 1) cut = true;
    return {kind: c.layout && c.layout.meta && c.layout.meta.kind, top: r.top, bottom: r.bottom, w: r.width,
            h: r.height};
  });
  const h1 = document.querySelector('h1');
  const hr = h1.getBoundingClientRect();
  const lh = parseFloat(getComputedStyle(h1).lineHeight) || parseFloat(getComputedStyle(h1).fontSize) * 1.3;
  const all = [...document.querySelectorAll('.js-plotly-plot')];
  const anim = charts.find((c) => c.layout.meta && c.layout.meta.kind === 'animation');
  return {share: covered / (vw * vh), cut, boxes, title_lines: Math.round(hr.height / lh),
          title_cut: h1.scrollWidth > h1.clientWidth + 1, title_in_view: hr.top >= 0 && hr.bottom <= vh,
          animation: anim ? all.indexOf(anim) : -1,
          followers: charts.filter((c) => c.layout.meta && c.layout.meta.follow).length};
}"""

#: The frame the stage's animation shows (the index of its slider's current label) and what its followers show:
#: each cursor's x against the cursor list's entry for that frame, and for a chart with frames whether its first
#: trace's values are those of the same frame.
JS_FOLLOWERS = """() => {
  const TYPES = {f4: Float32Array, f8: Float64Array};
  const arr = (a) => {
    if (a && a.bdata !== undefined) {
      const raw = atob(a.bdata), bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      return Array.from(new TYPES[a.dtype](bytes.buffer));
    }
    return Array.from(a);
  };
  const stage = document.querySelector('.st-key-stage');
  const charts = [...stage.querySelectorAll('.js-plotly-plot')];
  const anim = charts.find((c) => c.layout.meta.kind === 'animation');
  const label = anim.querySelector('.slider-group text.slider-label').textContent;
  const k = anim.layout.sliders[0].steps.findIndex((s) => s.label === label);
  const out = {frame: k, cursors: [], frames: []};
  for (const c of charts.filter((c) => c.layout.meta.follow)) {
    const f = c.layout.meta.follow;
    if (f.cursor) out.cursors.push([c.layout.shapes[0].x0, f.cursor[k]]);
    if (f.frames) {
      const shown = arr(c.data[0].y), want = arr(c._transitionData._frames[k].data[0].y);
      out.frames.push(shown.length === want.length && shown.every((v, i) => Math.abs(v - want[i]) < 1e-6));
    }
  }
  return out;
}"""


def _query(path: str, extra: str = "") -> str:
    return "?present=1" + ("&train_steps=250" if path in LEARNED else "") + extra


def _url(app_url: str, path: str, extra: str = "") -> str:
    return f"{app_url}/{path}{_query(path, extra)}"


def _frame(pg) -> int:
    """The index of the frame the stage's animation shows (its slider's current label among its steps)."""
    return pg.evaluate(JS_FOLLOWERS)["frame"]


def _press(pg, key: str) -> None:
    pg.keyboard.press(key)


def walk_scene(chromium, app_url: str, path: str, size: tuple[int, int], tmp_path: Path) -> list[str]:
    """What the teacher does on one scene at one projector size; returns the problems found. The scene opens in
    presenter mode with non-default controls (``test_share_link.VIEWS``: fewer particles and steps, so the share link
    has values to carry; the learned scenes with ``train_steps=250``)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    viewport = {"width": size[0], "height": size[1]}
    query = {**small(path), "present": "1"}
    served = "" if path == SCENES[0][2] else path
    ctx = chromium.new_context(viewport=viewport, accept_downloads=True)
    pg = ctx.new_page()
    problems: list[str] = []
    try:
        open_settled(pg, f"{app_url}/{served}?{urlencode(query)}", timeout=300.0)
        pg.wait_for_timeout(500)
        pg.screenshot(path=str(SHOTS / f"teacher-{path}-{size[0]}.png"))
        assert pg.locator('[data-testid="stException"]').count() == 0
        seen = pg.evaluate(JS_STAGE)
        where = f"{path} at {size[0]}×{size[1]}"
        if seen["share"] < MIN_STAGE:
            problems.append(f"{where}: the stage's charts cover {seen['share']:.0%} of the screen: {seen['boxes']}")
        if seen["cut"]:
            problems.append(f"{where}: a stage chart is cut by the screen's edge: {seen['boxes']}")
        if seen["title_lines"] != 1 or seen["title_cut"] or not seen["title_in_view"]:
            problems.append(f"{where}: the title is not one whole line on screen: {seen}")
        if seen["animation"] >= 0:
            problems += _play_pause_resume(pg, where, seen["followers"])
        first = pg.evaluate(
            "() => [...document.querySelectorAll('.js-plotly-plot')]"
            ".indexOf(document.querySelector('.st-key-stage .js-plotly-plot'))"
        )
        problems += _slide_png(pg, seen["animation"] if seen["animation"] >= 0 else first, where, tmp_path)
        problems += _share_round_trip(chromium, pg, viewport, query, served, app_url, where)
    finally:
        ctx.close()
    return problems


def _share_round_trip(chromium, pg, viewport: dict, query: dict, served: str, app_url: str, where: str) -> list[str]:
    """The share box's link and QR code open the same view in a fresh context (issue 30, defect 1: the link doubled
    the page path on 10 of 11 scenes and opened a blank page): the same title, every URL-bound widget's value."""
    want_title, shown_values = title(pg), pg.evaluate(JS_WIDGETS)
    problems = []
    for key, value in query.items():  # every value was taken: the view really is non-default
        if key != "present" and not (key in shown_values and same(shown_values[key][1], value)):
            problems.append(f"{where}: the page did not take {key}={value} ({shown_values.get(key)})")
    link, qr, alt = share_box(pg)
    if qr is None or decode_qr(qr) != [link] or alt != f"QR code of {link}":
        problems.append(f"{where}: the QR code is not the link shown ({link!r}, {qr and decode_qr(qr)}, {alt!r})")
    parts = urlsplit(link)
    if f"{parts.scheme}://{parts.netloc}" != app_url or parts.path != f"/{served}":
        problems.append(f"{where}: the link is not the scene's address: {link}")
    if {k: v[0] for k, v in parse_qs(parts.query).items()} != query:
        problems.append(f"{where}: the link's values are not the page's: {link}")
    ctx = chromium.new_context(viewport=viewport)  # a student's browser: nothing shared
    other = ctx.new_page()
    try:
        other.goto(link)
        try:
            other.wait_for_selector(DRAWN_CHART, timeout=240_000)
        except Exception:  # noqa: BLE001 - said as what a person sees
            return [*problems, f"{where}: the shared link opens no chart: {link}"]
        wait_idle(other, timeout=240)
        if title(other) != want_title:
            problems.append(f"{where}: the shared link opens {title(other)!r}, not {want_title!r}")
        got = other.evaluate(JS_WIDGETS)
        differ = {k: (v, got.get(k)) for k, v in shown_values.items() if k not in got or not same(v[1], got[k][1])}
        if differ or set(got) != set(shown_values):
            problems.append(f"{where}: the shared link's controls differ: {differ or set(got) ^ set(shown_values)}")
    finally:
        ctx.close()
    return problems


def _play_pause_resume(pg, where: str, followers: int) -> list[str]:
    """PageDown plays the stage's animation (it opens on its last frame, the result); space pauses and the frame holds;
    space again resumes from there. The followers show the frame shown, paused and at the opening."""
    problems = []
    el = pg.wait_for_function(JS_CHART, arg="animation", timeout=60000).as_element()
    n = el.evaluate("d => d.layout.sliders[0].steps.length")
    if n < 3:  # scene 3's clouds: two frames, the start and the sampler's law; PageDown plays them: start, law
        # every frame shown is recorded by Plotly's own frame event: on a busy box the start frame can come and go
        # between two polls of the slider's label (CI failed so once)
        el.evaluate("d => { d.__testFrames = []; d.on('plotly_animatingframe', (e) => d.__testFrames.push(e.name)); }")
        _press(pg, "PageDown")
        try:
            pg.wait_for_function(
                "(gd) => { const names = gd.__testFrames || [], steps = gd.layout.sliders[0].steps;"
                " return names.length >= 2 && names[0] === steps[0].args[0][0]"
                " && names[names.length - 1] === steps[steps.length - 1].args[0][0]; }",
                arg=el,
                timeout=40000,  # the key waits for the page to be idle: on a busy box, seconds
            )
        except Exception:  # noqa: BLE001 - reported as the problem it is
            frames = el.evaluate("d => d.__testFrames")
            problems.append(f"{where}: PageDown did not play the two-frame animation from its start (frames {frames})")
        return problems
    opening = _frame(pg)
    if opening != n - 1:
        problems.append(f"{where}: the animation opens on frame {opening} of {n}, not the last (the result)")
    if followers:
        problems += _followers_off(pg, where, "the opening frame")
    _press(pg, "PageDown")
    try:
        pg.wait_for_function(
            "([n]) => { const l = document.querySelector('.st-key-stage .slider-group text.slider-label');"
            " const gd = l.closest('.js-plotly-plot'); const k = gd.layout.sliders[0].steps"
            ".findIndex((s) => s.label === l.textContent); return k >= 0 && k < n - 1; }",
            arg=[n],
            timeout=15000,
        )
    except Exception:  # noqa: BLE001 - reported as the problem it is
        problems.append(f"{where}: PageDown did not play the animation (still on {animation_label(el)!r})")
        return problems
    pg.wait_for_timeout(700)
    _press(pg, " ")
    pg.wait_for_timeout(400)
    held = _frame(pg)
    pg.wait_for_timeout(900)
    if _frame(pg) != held:
        problems.append(f"{where}: space did not pause (frame {held} → {_frame(pg)})")
    if followers:
        problems += _followers_off(pg, where, f"the paused frame {held}")
    _press(pg, " ")
    pg.wait_for_timeout(600)
    resumed = _frame(pg)
    if not held < resumed:  # Pause then Play restarted from frame 0 before
        problems.append(f"{where}: space did not resume from the paused frame {held} (now {resumed})")
    return problems


def _slide_png(pg, index: int, where: str, tmp_path: Path) -> list[str]:
    """The camera icon of chart ``index`` saves a 1920×1080 slide: the chart alone, its plot filling the slide."""
    chart = pg.locator('[data-testid="stPlotlyChart"]').nth(index)
    name, data, exported = slide_download(pg, chart, tmp_path)
    (SHOTS / f"teacher-slide-{where.split()[0]}-{name}").write_bytes(data)  # look at them
    area = plot_area(data) if not name.startswith("scoredemo-digits") else _content_area(data)
    problems = []
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        problems.append(f"{where}: the camera saved {name}, not a PNG")
    if exported is None or exported.get("updatemenus") or exported.get("sliders"):
        problems.append(f"{where}: the slide kept the animation's controls: {exported and list(exported)}")
    if area["controls_below"]:
        problems.append(f"{where}: the slide shows {area['controls_below']} px of the controls below the plot")
    if area["height"] < MIN_SLIDE_PLOT * 1080:
        problems.append(f"{where}: the slide's plot is {area['height']} px of 1080 high")
    return problems


def _content_area(png: bytes) -> dict:
    """An image grid's slide (no axes to measure): the box of its non-white pixels below the title's rows."""
    a = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    rows = np.flatnonzero((a[120:] < 200).any(axis=1))
    return {"height": int(rows[-1] - rows[0] + 1) if len(rows) else 0, "controls_below": 0}


@pytest.mark.parametrize("path", [s[2] for s in SCENES])
def test_teacher_walks_each_scene_at_slide_size(app_url, chromium, tmp_path, path):
    problems = walk_scene(chromium, app_url, path, SLIDE, tmp_path)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("path", [s[2] for s in SCENES])
def test_teacher_walks_each_scene_at_projector_size(app_url, chromium, tmp_path, path):
    problems = walk_scene(chromium, app_url, path, PROJECTOR, tmp_path)
    assert not problems, "\n".join(problems)


def _beat(pg) -> int | None:
    """The slide the lecture bar marks as shown (``beat-<i>-now``), or None."""
    return pg.evaluate(
        '() => { const e = document.querySelector(\'[class*="st-key-beat-"][class*="-now"]\'); if (!e) return null;'
        " const c = [...e.classList].find((c) => /^st-key-beat-\\d+-now$/.test(c)); return Number(c.split('-')[3]); }"
    )


SCRIPT_STATE = "() => document.querySelector('[data-testid=stApp]').getAttribute('data-test-script-state')"


def _followers_off(pg, where: str, frame: str) -> list[str]:
    """The problem, if any chart that follows the stage's animation (meter, marginals) is not on its frame."""
    f = pg.evaluate(JS_FOLLOWERS)
    if any(abs(a - b) > 1e-6 for a, b in f["cursors"]) or not all(f["frames"]):
        return [f"{where}: a follower does not show {frame}: {f}"]
    return []


def _until(pg, what: str, ok, timeout: float = 120.0, *, settle: bool = True) -> None:
    """Until ``ok()`` holds (and, with ``settle``, still holds once the page has settled: a page with charts)."""
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        try:
            if ok():
                if not settle:
                    return
                wait_idle(pg, settle=0.5)
                if ok():
                    return
        except Exception as e:  # noqa: BLE001 - the page is between two runs: look again
            last = e
        pg.wait_for_timeout(250)  # not time.sleep: sync Playwright updates pg.url only while it runs its loop
    shot = OUT / f"until-{re.sub(r'[^a-z0-9]+', '-', what.lower()).strip('-')}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(shot), full_page=True)  # what the teacher would have seen
    raise AssertionError(
        f"{what} did not happen within {timeout:.0f} s (at {pg.url}, beat {_beat(pg)}, script "
        f"{pg.evaluate(SCRIPT_STATE)}; last error: {last!r}; screenshot: {shot})"
    )


def _played_to_the_end(pg) -> bool:
    n = pg.evaluate("() => document.querySelector('.st-key-stage .js-plotly-plot').layout.sliders[0].steps.length")
    return _frame(pg) == n - 1


def test_clicker_steps_through_the_slides_and_the_notes_window_follows(app_url, chromium):
    """Scene 7 has two slides: PageDown plays the animation, PageDown while it plays shows its end, PageDown opens
    slide 1, …, and after the last slide the next scene; PageUp goes back one slide. The notes window, open in a
    second window of the same browser, names the scene and marks the slide shown; its "next" button steps the
    lecture in the projected window."""
    ctx = chromium.new_context(viewport={"width": SLIDE[0], "height": SLIDE[1]})
    notes = ctx.new_page()
    notes.goto(f"{app_url}/notes")
    notes.wait_for_selector("#sd-notes h2", timeout=120000)
    pg = ctx.new_page()
    try:
        open_settled(pg, _url(app_url, "mixing"), timeout=300.0)
        slides = P.presets_for("mixing")
        # the scene at its defaults is its first slide ("2/3 : 1/3 comes out ½ : ½" sets only default values)
        assert len(slides) == 2 and _beat(pg) == 1
        now = lambda: notes.locator("#sd-notes .sd-now").inner_text()  # noqa: E731
        marked = lambda: notes.locator("#sd-notes .sd-current").inner_text()  # noqa: E731
        _until(notes, "the notes window naming scene 7", lambda: "7 · Pitfall: mixing" in now(), settle=False)
        _until(notes, "the notes marking slide 1", lambda: slides[0].name in marked(), settle=False)
        for beat in (2,):
            _press(pg, "PageDown")  # plays
            pg.wait_for_timeout(600)
            assert not _played_to_the_end(pg), "PageDown did not play the animation"
            _press(pg, "PageDown")  # while playing: the end
            _until(pg, "the animation's end", lambda: _played_to_the_end(pg), timeout=20)
            _press(pg, "PageDown")  # the next slide
            _until(pg, f"slide {beat}", lambda beat=beat: _beat(pg) == beat)
            _until(notes, f"the notes marking slide {beat}", lambda beat=beat: slides[beat - 1].name in marked(),
                   settle=False)  # fmt: skip
        _press(pg, "PageUp")  # back one slide
        _until(pg, "slide 1 again", lambda: _beat(pg) == 1)
        # the notes window's "next": plays slide 1's animation in the projected window
        notes.locator("#sd-notes-buttons button", has_text="next").click()
        pg.wait_for_timeout(600)
        assert not _played_to_the_end(pg), "the notes window's next did not play the animation"
        # the last slide's end, then the next scene
        for key in ("PageDown", "PageDown", "PageDown", "PageDown"):  # end, slide 2, play, end
            _press(pg, key)
            pg.wait_for_timeout(300)
        _until(pg, "slide 2's end", lambda: _beat(pg) == 2 and _played_to_the_end(pg), timeout=180)
        assert "init=one-mode" in pg.url
        _press(pg, "PageDown")
        _until(pg, "scene 8", lambda: "/mixing-time" in pg.url and "present=1" in pg.url)
        # at its own defaults: scene 7's controls of the same names (steps, particles, ε) stayed behind
        assert parse_qs(urlsplit(pg.url).query) == {"present": ["1"]}, pg.url
        _until(notes, "the notes following to scene 8", lambda: "8 · Pitfall: slow mixing" in now(), settle=False)
    finally:
        ctx.close()


def test_keys_pressed_while_a_scene_loads_are_not_lost(app_url, chromium):
    """→ then PageDown three times, at once, from scene 6: scene 7 opens (at its first slide, its defaults), and once
    it is drawn its animation plays, shows its end, and its second slide opens (each key acted on in order, none
    lost while the page loaded)."""
    ctx = chromium.new_context(viewport={"width": SLIDE[0], "height": SLIDE[1]})
    pg = ctx.new_page()
    try:
        open_settled(pg, _url(app_url, "manifolds"), timeout=300.0)
        for key in ("ArrowRight", "PageDown", "PageDown", "PageDown"):
            _press(pg, key)
        _until(pg, "scene 7's second slide", lambda: "/mixing" in pg.url and _beat(pg) == 2, timeout=240)
    finally:
        ctx.close()


def _meter_plot(pg) -> tuple[float, float]:
    """The mode-fraction meter's plot area (w, h) in pixels."""
    return tuple(
        pg.evaluate(
            "() => { const d = [...document.querySelectorAll('.js-plotly-plot')]"
            ".find((g) => g.layout.meta.kind === 'mode-fractions');"
            " const r = d.querySelector('.draglayer .nsewdrag').getBoundingClientRect(); return [r.width, r.height]; }"
        )
    )


@pytest.mark.parametrize("path", ["mixing", "diffusion"])
def test_meters_are_never_smaller_on_the_projector(app_url, chromium, path):
    """The mode-fraction meter's plot area in presenter mode is at least its height on a student's page at the same
    window (it was squashed to a 60-px plot area from 173). 1280×720, the tighter of the two sizes."""
    sizes = {}
    for mode, query in (("page", ""), ("projector", _query(path))):
        ctx = chromium.new_context(viewport={"width": SLIDE[0], "height": SLIDE[1]})
        pg = ctx.new_page()
        try:
            open_settled(pg, f"{app_url}/{path}{query}", timeout=300.0)
            sizes[mode] = _meter_plot(pg)
        finally:
            ctx.close()
    assert sizes["projector"][1] >= sizes["page"][1] - 1, sizes


def test_scene_one_opens_at_its_declared_path(app_url, chromium):
    """/score-fields (scene 1's declared path; the page is served at the root) opens scene 1 with the link's values
    and no "Page not found" dialog; the path the default page reserves is not in any link."""
    ctx = chromium.new_context(viewport={"width": SLIDE[0], "height": SLIDE[1]})
    pg = ctx.new_page()
    try:
        open_settled(pg, f"{app_url}/{SCENES[0][2]}?sigma=1", timeout=300.0)
        assert pg.locator('[role="dialog"]').count() == 0
        assert pg.locator("h1").first.inner_text().startswith("Score fields")
        assert float(pg.evaluate(JS_WIDGETS)["sigma"][1]) == 1.0
        assert f"/{DEFAULT_PAGE_PATH}" not in pg.url
    finally:
        ctx.close()
