"""User-supplied text (URL values, a drawing's table cells) shown literally inside Streamlit Markdown.

Streamlit 1.67 renders an alert's or a caption's body as CommonMark + GFM (tables, strikethrough, autolinks such as
``https://…``, ``www.…`` and ``a@b.co``), ``$…$`` LaTeX, ``:name[…]`` directives (``:red[…]``, ``:small[…]``,
``:help[…]``), and it replaces, in the text the parser leaves, ``:material/name:`` icons (first rewritten to
``:material_name:`` in the raw source, even inside code), ``:streamlit:``, emoji shortcodes (``:smile:``) and
space-delimited arrows (``->`` to →, ``--`` to —, ``>=`` to ≥ …). Two ways to put text there so that it reads
exactly as typed:

- :func:`md_text`: prose. Every ASCII punctuation character is backslash-escaped (CommonMark: any ASCII
  punctuation may be, and then stands for itself), which stops every construct that starts with one (emphasis,
  links, HTML, code, math, directives, tables, headings, lists). What acts on the parsed text (where the escapes
  are gone) is stopped by a WORD JOINER (U+2060, invisible, no width): after the colon of a ``:name:``, inside a
  space-delimited arrow, and where an autolink literal would begin (``https://``, ``www.``, ``a@b``; GFM finds
  those in the parsed text, so escaping alone leaves them live: measured in Chromium).
- :func:`md_code`: an inline code span (monospace; the text inside a code span is never parsed nor replaced),
  fenced with more backticks than the text's longest run of them, and padded with a space where CommonMark would
  otherwise strip one or read the fence wrong; only ``:material/`` needs the word joiner there.

Line breaks are shown as ``↵`` (a paragraph break would end the note); runs of spaces keep their width.
"""

from __future__ import annotations

import re

#: Invisible, zero-width, and not a word character: splits a pattern without changing what is seen.
WORD_JOINER = "\u2060"
#: What a line break in user text is shown as.
NEWLINE = "↵"

_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
#: ``:material/…``, ``:material_x:``, ``:streamlit:``, ``:smile:``, ``:+1:``: the colon that opens one.
_SHORTCODE = re.compile(r":(?=material/|[\w+\-]+:)")
#: Where GFM's autolink literals, which are found in the parsed text too, begin: ``scheme://``, ``www.``, ``a@b``.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?i:(?<=www)(?=\.))|(?<=@)(?=[\w-])")
#: Streamlit's typographic replacements (text nodes only, when the symbol stands between spaces or line ends).
_ARROW = re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SPACES = re.compile(r" {2,}|^ | $")


def _one_line(text: str) -> str:
    return _LINE_BREAK.sub(NEWLINE, str(text))


def _keep_spaces(text: str) -> str:
    """Runs of spaces keep their width (HTML would collapse them to one), and so does a space at either end (next
    to the surrounding text's own space it would vanish): they are given as no-break spaces."""
    return _SPACES.sub(lambda m: "\u00a0" * len(m.group(0)), text)


def md_text(text: str) -> str:
    """Markdown that Streamlit renders as exactly ``text`` (line breaks as ``↵``), in the surrounding style."""
    s = _one_line(text)
    s = _SHORTCODE.sub(":" + WORD_JOINER, s)
    s = _ARROW.sub(lambda m: m.group(0)[0] + WORD_JOINER + m.group(0)[1:], s)
    s = _AUTOLINK.sub(WORD_JOINER, s)
    s = _PUNCTUATION.sub(r"\\\1", s)
    return _keep_spaces(s)


def md_code(text: str) -> str:
    """Markdown of an inline code span that Streamlit renders as exactly ``text`` (line breaks as ``↵``).

    Text that is empty or only spaces has no code span in CommonMark; it is given as :func:`md_text`."""
    s = _one_line(text)
    if not s.strip(" "):
        return md_text(s)
    s = s.replace(":material/", ":" + WORD_JOINER + "material/")  # Streamlit rewrites it even inside code
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each end of a code span when both ends have one: pad so that it strips
    # ours, and so that a backtick at either end is not read as part of the fence
    if s[0] in "` " or s[-1] in "` ":
        s = f" {s} "
    return f"{fence}{s}{fence}"
