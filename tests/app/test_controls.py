"""Issue 30, defects 1 and 10: the share link opens the view it was made on, and user-supplied text (URL values, a
drawing's cells) is shown literally.

Pure parts first (``links.share_link`` for every form of the browser's address; ``literal.md_text`` /
``literal.md_code`` against a CommonMark parser plus a model of what Streamlit's Markdown adds on top of it), then
AppTest: the notes' Markdown carries no live link or icon, unknown URL parameters are noted and dropped, a refused
value leaves the URL, and the share box shows the link of the page it is on. tests/e2e/test_share_link.py does the
same in Chromium, where Streamlit's real Markdown renders the notes.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import markdown_it
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from scoredemo.app import controls, links, presenter
from scoredemo.app.literal import NEWLINE, WORD_JOINER, md_code, md_text
from scoredemo.app.scenes import SCENES
from tests.app import apptest
from tests.app.test_app import ROOT, TIMEOUT, ok, scene

PATHS = [s[2] for s in SCENES]

# ------------------------------------------------------------------------------------------ the share link

QUERY = [("pi", "0.3"), ("present", "1")]


@pytest.mark.parametrize(
    ("address", "page", "want"),
    [
        # what st.context.url gives in a browser: the current page's path included (Streamlit 1.67 re-adds it)
        ("http://127.0.0.1:8501/mixing", "mixing", "http://127.0.0.1:8501/mixing?pi=0.3&present=1"),
        # without it (older Streamlit, a proxy that strips it): the page is added once
        ("http://127.0.0.1:8501", "mixing", "http://127.0.0.1:8501/mixing?pi=0.3&present=1"),
        ("http://127.0.0.1:8501/mixing/", "mixing", "http://127.0.0.1:8501/mixing?pi=0.3&present=1"),
        # the address of the page just left (a rerun sent while the page changes): replaced, not kept
        ("http://127.0.0.1:8501/diffusion", "mixing", "http://127.0.0.1:8501/mixing?pi=0.3&present=1"),
        # the default page is served at the root ("/score-fields" is "page not found"): st.Page's url_path is ""
        ("http://127.0.0.1:8501", "", "http://127.0.0.1:8501/?pi=0.3&present=1"),
        ("http://127.0.0.1:8501/", "", "http://127.0.0.1:8501/?pi=0.3&present=1"),
        ("http://127.0.0.1:8501/", "score-fields", "http://127.0.0.1:8501/?pi=0.3&present=1"),
        # a base path (server.baseUrlPath, a proxy's prefix), with and without the page, with a trailing slash
        ("https://uni.example/course/mixing", "mixing", "https://uni.example/course/mixing?pi=0.3&present=1"),
        ("https://uni.example/course", "mixing", "https://uni.example/course/mixing?pi=0.3&present=1"),
        ("https://uni.example/course/", "mixing", "https://uni.example/course/mixing?pi=0.3&present=1"),
        (
            "https://uni.example/course/mixing-time/",
            "diffusion",
            "https://uni.example/course/diffusion?pi=0.3&present=1",
        ),
        ("https://uni.example/course", "", "https://uni.example/course/?pi=0.3&present=1"),
        ("https://uni.example/course/score-fields", "", "https://uni.example/course/?pi=0.3&present=1"),
        # a query or fragment in the address is not carried over
        ("http://h:8501/mixing?x=1#top", "mixing", "http://h:8501/mixing?pi=0.3&present=1"),
    ],
)
def test_share_link_from_every_form_of_the_address(address, page, want):
    assert links.share_link(address, page, PATHS, QUERY) == want


def test_share_link_without_a_query_has_no_question_mark():
    assert links.share_link("http://h/mixing", "mixing", PATHS, {}) == "http://h/mixing"
    assert links.share_link("http://h", "", PATHS, []) == "http://h/"


def test_every_scene_links_to_its_own_path_once():
    """For each scene, as a browser reports it (page included) and without the page: one path segment, the scene's
    (none for the default page)."""
    for i, path in enumerate(PATHS):
        served = "" if i == 0 else path
        for address in (f"http://h:1/{served}", "http://h:1"):
            link = links.share_link(address, served, PATHS, [("seed", "4")])
            assert urlsplit(link).path == f"/{served}", (address, link)


@settings(max_examples=200, deadline=None)
@given(
    hs.lists(
        hs.tuples(
            hs.text(hs.characters(exclude_categories=("Cs",)), min_size=1, max_size=12),
            hs.text(hs.characters(exclude_categories=("Cs",)), max_size=40),
        ),
        max_size=5,
    )
)
def test_share_link_query_reads_back_exactly(pairs):
    """Any keys and values (a drawing's text, '&', '=', '+', '#', spaces, unicode) read back as they were."""
    link = links.share_link("http://h/mixing", "mixing", PATHS, pairs)
    parts = urlsplit(link)
    assert parts.path == "/mixing" and not parts.fragment
    assert parse_qsl(parts.query, keep_blank_values=True) == pairs


def test_a_drawing_stays_readable_in_the_link():
    qs = links.encode_query({"components": "0, 0, 1, 1; fill 1: 0 0, 1 1"})
    assert qs == "components=0,+0,+1,+1%3B+fill+1:+0+0,+1+1"


# ------------------------------------------------------------------------------------------ literal text

#: Text that Streamlit's Markdown would turn into something else, one construct each (the browser test renders
#: the same list in Chromium).
TRICKY = [
    "1` [log in here](https://evil.example/x) `",
    "https://evil.example/login",
    "www.evil.example",
    "mail me@evil.example now",
    "<b>bold</b> <script>alert(1)</script> <a href='x'>a</a>",
    "**bold** _it_ ~~del~~ `code`",
    ":material/link: and :material_warning: icons",
    ":streamlit: logo and :smile: :+1: emoji",
    ':red[red text] :blue-background[bg] :small[s] :help[tip] :color[c]{foreground="red"}',
    "$x^2$ and $$y$$ and \\(z\\)",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    "# heading",
    "- list item",
    "1. ordered",
    "> quote",
    "| a | b |",
    "[^1] footnote and [ref]: http://x",
    "back\\slash \\*not bold\\*",
    "&amp; &lt;b&gt; &#58;",
    "line1\nline2\r\n# line3",
    "two  spaces   three",
    "``double`` and `single` and ```",
    "`",
    "` x `",
    " lead and trail ",
    "![img](https://evil.example/i.png)",
    "<https://evil.example>",
    "12:30:45",
    "café ünïcode 😀 π σ",
]

_MD = markdown_it.MarkdownIt("commonmark").enable(["strikethrough", "table"])
_PUNCT = r"""!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"""
#: What Streamlit 1.67 replaces in the text the parser leaves (StreamlitMarkdown.tsx: material icons, the logo,
#: emoji shortcodes, arrows; mdast-util-gfm-autolink-literal: bare URLs and e-mail addresses).
_TEXT_REPLACED = [
    r":material_\w+:",
    r":streamlit:",
    r":[\w+\-]+:",
    r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)",
    r"(?i)https?://|www(?=\.)",
    r"[\w.+\-]+@[\w\-]+(\.[\w\-]+)+",
]


def shown(text: str) -> str:
    """What a person should read for ``text``: line breaks as ↵, everything else as typed (a no-break space reads
    as a space, as in :func:`rendered`)."""
    return re.sub(r"\r\n|\r|\n", NEWLINE, text).replace("\u00a0", " ")


def rendered(markdown: str) -> tuple[str, list[str]]:
    """(the text a browser shows, the HTML tags) for ``markdown`` as a paragraph between our own words; the
    invisible word joiner and no-break spaces read as nothing and as spaces."""
    out = _MD.render("PRE " + markdown.replace(":material/", ":material_") + " POST").strip()
    assert out.startswith("<p>") and out.endswith("</p>"), out
    inner = out[3:-4]
    tags = re.findall(r"<(\w+)", inner)
    text = html.unescape(re.sub(r"<[^>]+>", "", inner)).replace(WORD_JOINER, "").replace("\u00a0", " ")
    return text, tags


@pytest.mark.parametrize("text", TRICKY)
def test_md_text_reads_as_typed(text):
    md = md_text(text)
    got, tags = rendered(md)
    assert got == f"PRE {shown(text)} POST" and tags == [], (md, got, tags)
    # every ASCII punctuation character is escaped: no construct can start (links, HTML, math, directives, …)
    assert re.fullmatch(rf"(\\[{_PUNCT}]|[^{_PUNCT}])*", md), md
    # and nothing that Streamlit replaces in the parsed text is left whole (the word joiner splits it)
    parsed = html.unescape(re.sub(r"<[^>]+>", "", _MD.render(md)))
    for pattern in _TEXT_REPLACED:
        assert not re.search(pattern, parsed), (pattern, parsed)


@pytest.mark.parametrize("text", TRICKY)
def test_md_code_reads_as_typed(text):
    md = md_code(text)
    got, tags = rendered(md)
    assert got == f"PRE {shown(text)} POST", (md, got)
    assert tags in (["code"], []), tags  # a code span (or, for spaces only, plain text)
    assert ":material/" not in md  # Streamlit rewrites it in the raw source, even inside a code span


_TEXT = hs.text(hs.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")) | hs.sampled_from("\n`*_[]()<>:$~|\\#"))


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_any_text_reads_as_typed(text):
    for md in (md_text(text), md_code(text)):
        got, tags = rendered(md)
        assert got == f"PRE {shown(text)} POST", (text, md, got)
        assert set(tags) <= {"code"}, (text, md, tags)


# ------------------------------------------------------------------------------------------ notes (pure)


def test_note_shows_a_hostile_value_in_one_code_span():
    raw = "1` [log in here](https://e.x) `"
    note = controls.note_text("sigma", raw, "is not a number", 0.0, 0.0)
    got, tags = rendered(note)
    assert f"URL value sigma={raw} is not a number; using sigma=0 (the default) instead." in got
    assert "a" not in tags and tags.count("code") == 2


@pytest.mark.parametrize(
    ("name", "known", "guess"),
    [("pii", {"pi", "pi_other", "seed"}, "pi"), ("PI", {"pi", "seed"}, "pi"), ("seeed", {"pi", "seed"}, "seed"),
     ("steps", {"n_steps", "seed"}, "n_steps"), ("zzz", {"pi", "seed"}, None)],
)  # fmt: skip
def test_unknown_parameter_suggests_the_nearest_name(name, known, guess):
    assert controls.nearest(name, known) == guess
    note = controls.unknown_note(name, known)
    assert f"`{name}` is not a setting of this view; it was ignored." in note
    assert (f"Did you mean `{guess}`?" in note) == (guess is not None)


def test_global_parameters_are_every_one_the_app_reads():
    """Every ``st.query_params`` read of a named parameter outside controls.py (a literal or a module constant) is a
    global parameter, so it is never called unknown; and each global one is read somewhere."""
    import importlib

    read = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "scoredemo" / "app").rglob("*.py"))]:
        if path.name in ("controls.py", "links.py"):
            continue
        module = None if path.name == "app.py" else ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for arg in re.findall(r"query_params(?:\.get_all|\.get)?[\[(]\s*([^\]),]+)", path.read_text()):
            arg = arg.strip()
            if arg[0] in "\"'":
                read.add(arg[1:-1])
            elif arg.isupper():  # a module constant (presenter.PARAM)
                read.add(getattr(importlib.import_module(module), arg))
            # else a variable: a pass over every parameter (the share link copies them all)
    assert read == set(controls.GLOBAL_PARAMS), read
    assert presenter.PARAM in controls.GLOBAL_PARAMS


# ------------------------------------------------------------------------------------------ AppTest

FAST_MIXING = {"n_steps": "10", "n_particles": "250"}


def notes(at) -> list:
    return [w for w in at.warning if "URL " in w.value]


def test_a_hostile_url_value_is_noted_literally():
    """Defect 10: a backtick in a shared link closed the note's code span, and the rest (a Markdown link) was live
    inside the app's own warning."""
    raw = "1`[x](https://e.x):material/home:$x$"  # 36 characters: shown whole
    at = scene("score_fields", sigma=raw)
    ok(at)
    assert at.slider(key="sigma").value == 0.0
    (note,) = notes(at)
    got, tags = rendered(note.value)
    assert f"URL value sigma={raw} is not a number" in got
    assert "a" not in tags and "img" not in tags and tags == ["code", "code"], (note.value, tags)
    assert note.icon == ":material/link:"


def test_an_unknown_url_parameter_is_noted_and_dropped():
    at = scene("mixing", pii="0.3", present="1", components="0, 0, 1, 1", **FAST_MIXING)
    ok(at)
    said = [w.value for w in notes(at)]
    assert said == ["URL parameter `pii` is not a setting of this view; it was ignored. Did you mean `pi`?"], said
    assert "pii" not in at.query_params  # not in the address bar, nor in the share link
    assert at.query_params["present"] == "1" and at.query_params["components"] == "0, 0, 1, 1"  # global: kept
    # the note stays while the page is used, and goes with "reset to defaults"
    at.slider(key="pi").set_value(0.4).run()
    assert any("`pii`" in w.value for w in notes(at))
    at.button(key="reset-mixing").click().run()
    assert not notes(at)


def test_a_parameter_of_a_control_switched_away_is_not_called_unknown():
    """The density's radius is bound while the ring is shown; switching the density drops its slider (and
    Streamlit its parameter): that is no mistyped link."""
    at = scene("score_fields", density="ring", radius="3.3")
    ok(at)
    assert not notes(at)
    at.selectbox(key="density").set_value("two-moons").run()
    ok(at)
    assert not notes(at), [w.value for w in notes(at)]


@pytest.mark.parametrize("raw", ["1e99", "inf"])
def test_a_refused_seed_leaves_the_url(raw):
    """``?seed=1e99`` stayed in the address bar (and the share link) while the page used seed 0."""
    at = scene("mixing", seed=raw, **FAST_MIXING)
    ok(at)
    assert at.number_input(key="seed").value == 0
    assert any(f"seed={raw}" in w.value for w in notes(at))
    assert "seed" not in at.query_params, at.query_params
    # the box was drawn unbound (Streamlit cannot parse the value): a seed typed into it is written to the URL on
    # the next run, where it is bound again (the browser writes only a bound box's value)
    at.number_input(key="seed").set_value(7).run()
    ok(at)
    assert at.query_params.get("seed") == "7", at.query_params
    assert not notes(at)


@pytest.mark.parametrize(
    ("path", "address", "want"),
    [
        ("mixing", "http://127.0.0.1:8501/mixing", "http://127.0.0.1:8501/mixing?"),
        ("mixing", "http://127.0.0.1:8501", "http://127.0.0.1:8501/mixing?"),
        ("mixing", "https://uni.example/course/mixing/", "https://uni.example/course/mixing?"),
        ("score-fields", "http://127.0.0.1:8501/", "http://127.0.0.1:8501/?"),
    ],
)
def test_the_share_box_links_to_the_page_it_is_on(path, address, want):
    """Defect 1: the link doubled the page (``/mixing/mixing``): Streamlit's ``st.context.url`` has the page's
    path already. AppTest passes ``address`` through the same trimming and adding as a browser's."""
    query = {"pi": "0.3", "present": "1", **FAST_MIXING} if path == "mixing" else {"sigma": "0.5", "present": "1"}
    at = apptest.open_app_page(ROOT / "app.py", path, query, timeout=TIMEOUT, context={"url": address})
    ok(at)
    link = at.code[0].value
    assert link.startswith(want), link
    assert dict(parse_qsl(urlsplit(link).query)) == {k: str(v) for k, v in query.items()}
    assert len(at.get("image")) == 1  # the QR code (presenter mode) of that link
    assert Path(urlsplit(link).path).name == ("" if path == PATHS[0] else path)


def test_a_scene_opened_from_another_starts_at_its_own_values():
    """Scenes share control names (step_size, n_steps, n_particles, seed, …) and so Streamlit's widget keys: going
    from scene 7 (n_steps 10 here) to scene 3 by the navigation or the lecture bar's "next" carried scene 7's values
    into scene 3's controls (and its URL): scene 8 ran 1 000 steps instead of its 20 000. A scene opened from
    another starts at the values its link gives, else its defaults."""
    at = apptest.open_app_page(ROOT / "app.py", "mixing", dict(FAST_MIXING), timeout=TIMEOUT)
    ok(at)
    assert at.slider(key="n_steps").value == 10 and at.selectbox(key="n_particles").value == 250
    # what the navigation's link sends: the other page, and the widgets the browser holds
    apptest.switch_page(at, "step-size", {})
    ok(at)
    assert "How exact is Langevin" in at.title[0].value
    assert at.slider(key="n_steps").value == 500 and at.selectbox(key="n_particles").value == 1000
    assert "n_steps" not in at.query_params and "n_particles" not in at.query_params, dict(at.query_params)
    # and back (the lecture bar's "← previous" carries only ?present=1): scene 7's own defaults, not scene 3's
    apptest.switch_page(at, "mixing", {"present": "1"})
    ok(at)
    assert at.slider(key="n_steps").value == 1000 and at.number_input(key="seed").value == 0
    assert "n_steps" not in at.query_params and "step_size" not in at.query_params, at.query_params
