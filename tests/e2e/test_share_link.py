"""Real-browser tests of issue 30, defects 1 and 10: "Share this view" opens the same view, and URL values are
shown literally.

Defect 1, for every scene, as a teacher does it: open the scene with non-default controls in the URL (presenter
mode, so the share box shows its QR code; the learned scenes with ``train_steps=250`` as in test_layout.py), open
"Share this view", read the link it shows and decode its QR code (they must agree), open the link in a fresh
browser context (no session, no cookies shared), and compare: the same scene title and the same value in every
URL-bound widget (sliders' range input value, select boxes' and radios' shown option, toggles' state, number and
text boxes' value, read by each widget's ``st-key-<key>`` container). The link used to double the page path
(``/mixing/mixing``), which opens a blank page.

Defect 10: a hostile URL value (a backtick that closed the note's code span, then a Markdown link) is shown as
typed with no link in the alert, an unknown parameter gets its note, and refused values leave the address bar;
and every construct of Streamlit's Markdown that user text could trigger (links, autolinks, HTML, icons, emoji,
directives, LaTeX, arrows, …) renders literally through ``literal.md_text`` / ``literal.md_code`` in Chromium (a
small page of its own: tests/app/test_controls.py checks the same list against a CommonMark parser).
"""

from __future__ import annotations

import io
import json
import math
import textwrap
from urllib.parse import parse_qs, urlsplit

import pytest

from devtools.apphost import AppServer, js_script_not_running, wait_idle
from tests.app.test_controls import TRICKY, shown
from tests.e2e.test_layout import LEARNED, SMALL_TRAINING
from tests.e2e.views import DRAWING, VIEWS  # noqa: F401 - VIEWS: the teacher walk reads it here too

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 720}
#: Every keyed widget on the page outside the share box, by key: its kind and the value it shows.
JS_WIDGETS = """() => {
  const out = {};
  for (const box of document.querySelectorAll('[class*="st-key-"]')) {
    if (box.getAttribute('data-testid') !== 'stElementContainer' || box.closest('[data-testid="stPopoverBody"]'))
      continue;  // a keyed layout block (its widgets have their own), or the share box
    const key = [...box.classList].find(c => c.startsWith('st-key-')).slice(7);
    const q = s => box.querySelector(s);
    let v = null;
    if (q('[data-testid="stSlider"]')) v = ['slider', q('input[type="range"]').value];
    else if (q('[data-testid="stSelectbox"]')) v = ['select', q('input[role="combobox"]').value];
    else if (q('[data-testid="stRadio"]'))
      v = ['radio', (q('[role="radiogroup"] [data-selected="true"]')?.innerText || '').trim()];
    else if (q('[data-testid="stCheckbox"]') || q('[data-testid="stToggle"]'))
      v = ['toggle', q('input[type="checkbox"]').checked];
    else if (q('[data-testid="stNumberInput"]')) v = ['number', q('input').value];
    else if (q('[data-testid="stTextInput"]')) v = ['text', q('input').value];
    if (v) out[key] = v;
  }
  return out;
}"""


def small(path: str) -> dict[str, str]:
    extra = dict([SMALL_TRAINING.split("=")]) if path in LEARNED else {}
    return {**VIEWS[path], **extra}


def open_fresh(chromium, url: str):
    """A new browser context (no session, cookies or storage shared) on ``url``, settled; fails at once on a
    blank page (the doubled path's: the app shell never loads) or Streamlit's "Page not found"."""
    ctx = chromium.new_context(viewport=VIEWPORT)
    pg = ctx.new_page()
    pg.goto(url)
    try:
        pg.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    except Exception as err:  # noqa: BLE001 - said as what a person sees
        ctx.close()
        raise AssertionError(f"{url} opens a blank page") from err
    pg.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot, [role="dialog"]', timeout=240_000)
    dialog = pg.locator('[role="dialog"]')
    assert not (dialog.count() and "Page not found" in dialog.first.inner_text()), f"{url}: Page not found"
    wait_idle(pg, timeout=240)
    assert pg.locator('[data-testid="stException"]').count() == 0, url
    return pg


def title(pg) -> str:
    return pg.locator("h1").first.inner_text().strip()


def same(a, b) -> bool:
    """Two widget values alike (numbers within float formatting)."""
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
    except (TypeError, ValueError):
        return str(a).strip().lower() == str(b).strip().lower()


def share_box(pg) -> tuple[str, bytes | None, str | None]:
    """Open "Share this view": (the link it shows, the QR image's bytes or None, the image's alt text)."""
    pg.get_by_text("Share this view").click()
    body = pg.locator('[data-testid="stPopoverBody"]')
    code = body.locator('[data-testid="stCode"] code')
    code.wait_for(timeout=60_000)
    link = code.inner_text().strip()
    img = body.locator('img[alt^="QR code of"]')
    if not img.count():
        return link, None, None
    return link, pg.request.get(img.get_attribute("src")).body(), img.get_attribute("alt")


def decode_qr(png: bytes) -> list[str]:
    import zxingcpp  # noqa: PLC0415 - the browser tests only
    from PIL import Image  # noqa: PLC0415

    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


# The share link of every scene is opened in a fresh context by the teacher's walk (tests/e2e/test_teacher.py,
# walk_scene), with the helpers above, on the page it has already opened in presenter mode.


HOSTILE = "1` [log in](https://evil.example/x) `"  # under the 40 characters a note shows whole


def test_a_hostile_link_is_shown_literally_and_the_address_bar_is_cleaned(app_url, chromium):
    """A link with a backtick and a Markdown link in a value, a mistyped parameter and a seed Streamlit cannot read
    (``1e99``): the notes show the raw text with no live link, the address bar keeps none of the three, and the
    seed box is bound to the URL again (a new seed is written there)."""
    from urllib.parse import quote  # noqa: PLC0415

    url = f"{app_url}/mixing?n_steps=100&n_particles=250&step_size={quote(HOSTILE)}&pii=0.3&seed=1e99"
    pg = open_fresh(chromium, url)
    try:
        alerts = pg.locator('[data-testid="stAlert"]')
        text = " ".join(alerts.all_inner_texts())
        assert f"URL value step_size={HOSTILE} is not a number; using step_size=0.02 (the default) instead." in text
        assert "URL value seed=1e99 is outside [0, 9999]; using seed=0 (the default) instead." in text
        assert "URL parameter pii is not a setting of this view; it was ignored. Did you mean pi?" in text
        assert alerts.locator("a").count() == 0  # no live link inside the app's own warning
        assert alerts.locator('[data-testid="stMarkdownContainer"] [role="img"], img').count() == 0  # nor an icon
        query = parse_qs(urlsplit(pg.url).query)
        assert not {"step_size", "pii", "seed"} & set(query), pg.url  # what is shown, not what was refused
        assert query["n_steps"] == ["100"]
        seed = pg.locator(".st-key-seed input")
        seed.fill("7")
        seed.press("Enter")
        pg.wait_for_function("() => location.search.includes('seed=7')", timeout=60_000)
        wait_idle(pg)
        assert "seed=1e99" not in " ".join(alerts.all_inner_texts())  # the note went with the moved control
    finally:
        pg.context.close()


#: A page of its own that shows each tricky text through md_text and md_code, in an alert and in a caption.
LITERAL_PAGE = textwrap.dedent(
    """
    import json, pathlib
    import streamlit as st
    from scoredemo.app.literal import md_code, md_text

    cases = json.loads((pathlib.Path(__file__).parent / "cases.json").read_text())
    for i, text in enumerate(cases):
        for how, md in (("text", md_text), ("code", md_code)):
            with st.container(key=f"case-{i}-{how}"):
                st.warning("PRE " + md(text) + " POST", icon=":material/link:")
                st.caption("PRE " + md(text) + " POST")
    """
)

JS_CASES = """(n) => {
  const out = [];
  for (let i = 0; i < n; i++) for (const how of ['text', 'code']) {
    const box = document.querySelector(`.st-key-case-${i}-${how}`);
    for (const el of box.querySelectorAll('[data-testid="stAlert"] [data-testid="stMarkdownContainer"], '
                                          + '[data-testid="stCaptionContainer"]'))
      out.push({i, how, text: el.innerText,
                tags: [...el.querySelectorAll('*')].map(e => e.tagName.toLowerCase()).filter(t => t !== 'p')});
  }
  return out;
}"""


def test_user_text_renders_as_typed_in_chromium(chromium, tmp_path):
    (tmp_path / "cases.json").write_text(json.dumps(TRICKY))
    script = tmp_path / "literal_page.py"
    script.write_text(LITERAL_PAGE)
    with AppServer(compile_log=False, script=str(script)) as srv:
        pg = chromium.new_page(viewport=VIEWPORT)
        try:
            pg.goto(srv.url)
            pg.wait_for_selector(f".st-key-case-{len(TRICKY) - 1}-code [data-testid='stCaptionContainer']")
            wait_idle_text(pg)
            bad = []
            for case in pg.evaluate(JS_CASES, len(TRICKY)):
                want = f"PRE {shown(TRICKY[case['i']])} POST"
                got = case["text"].replace("\u2060", "").replace("\u00a0", " ")
                allowed = [] if case["how"] == "text" else ["code"]
                if got != want or case["tags"] != allowed:
                    bad.append((case["how"], TRICKY[case["i"]], got, case["tags"]))
            assert not bad, "\n".join(map(repr, bad))
        finally:
            pg.close()


def wait_idle_text(pg) -> None:
    """The literal page has no chart (``wait_idle`` waits for one): until its script has finished, then a moment
    for lazily loaded Markdown plugins (KaTeX, emoji) to render."""
    pg.wait_for_function("() => " + js_script_not_running(), timeout=60_000)
    pg.wait_for_timeout(1500)
