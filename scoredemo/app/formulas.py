"""The scenes' formulas, drawn as MathML by the browser itself rather than by KaTeX.

``st.latex`` draws with KaTeX: a 259 kB script, its style sheet and four fonts that every student's browser
fetches, compiles and runs, and ~235 DOM nodes per formula. On a cold open of scene 1 that was the largest cost
after plotly.js: all of Chromium's processes spent 4.5 CPU-s with it and 3.8 without, against 3.0 for the minimal
one-chart page (medians of 6 opens each, interleaved in one run; see the README's "Performance"). Chromium draws
MathML Core natively, with the system's math font (Cambria Math, STIX Two Math, Latin Modern Math, DejaVu Math;
without one, tall brackets do not stretch, and the formula stays readable).

The MathML is made ahead of time from the very LaTeX the scenes declare, by Temml (the MathML converter of
KaTeX's author), and kept in ``formulas.json`` with the LaTeX as its key and as the MathML's annotation (copying
a formula gives its LaTeX). ``python -m devtools.formulas`` rebuilds the file; a test checks that every formula
a page can draw is in it. A formula that is not (one edited without rebuilding the file) is drawn by ``st.latex``
as before: slower, never missing.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import streamlit as st

MATHML_FILE = Path(__file__).with_name("formulas.json")
CSS_FILE = Path(__file__).with_name("formulas.css")
#: Stands for a number a page fills in (scene 2's ε): the file holds the formula written with it, and the page
#: puts the number in its place, in the MathML and in its LaTeX annotation alike.
NUMBER = "0.123456789"


@functools.cache
def table() -> dict[str, str]:
    """LaTeX → MathML, as ``devtools.formulas`` wrote it (empty if the file is missing: every formula then falls
    back to KaTeX)."""
    try:
        return json.loads(MATHML_FILE.read_text(encoding="utf-8"))["formulas"]
    except (OSError, ValueError, KeyError):
        return {}


def _filled(text: str, number: float | None) -> str:
    return text if number is None else text.replace(NUMBER, f"{number:g}")


def mathml(tex: str, number: float | None = None) -> str | None:
    """The MathML of ``tex`` (with ``number`` in place of :data:`NUMBER`), or None if the file does not hold it."""
    m = table().get(tex)
    return None if m is None else _filled(m, number)


def show(tex: str, number: float | None = None) -> None:
    """Draw the display formula ``tex`` (``number`` in place of :data:`NUMBER`), centred, scrolled sideways when it
    is wider than the page (as KaTeX's display formulas are)."""
    m = mathml(tex, number)
    if m is None:
        st.latex(_filled(tex, number))
        return
    st.markdown(f'<div class="sd-formula">{m}</div>', unsafe_allow_html=True)


@functools.cache
def css() -> str:
    """The style sheet the formulas need (added to every page with the page's own CSS)."""
    return CSS_FILE.read_text(encoding="utf-8")
