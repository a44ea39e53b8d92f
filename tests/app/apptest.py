"""The one place the app tests reach into Streamlit's AppTest internals (written against Streamlit 1.67.0).

AppTest has no public way to open a page of an ``st.navigation`` app other than the default, nor to share the
custom-component registry between sessions. Both workarounds live here; ``test_apptest_workarounds`` in
test_app.py fails loudly if an upgrade removes what they use.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

_BIDI = None


def _bidi_manager():
    """One component registry for every session (AppTest would scan the installed packages on each new one).
    An optimisation only: without it every session scans again, slower but correct."""
    global _BIDI
    if _BIDI is None:
        try:
            from streamlit.components.v2.component_manager import BidiComponentManager

            _BIDI = BidiComponentManager()
            _BIDI.discover_and_register_components(start_file_watching=False)
        except Exception:  # noqa: BLE001 - an optimisation only
            _BIDI = False
    return _BIDI or None


def open_app_page(app: Path, url_path: str, query: dict, *, timeout: float, context: dict | None = None) -> AppTest:
    """Run a new session of ``app`` on the page whose ``url_path`` is given, with ``?query`` in the URL (and
    ``context``, what the browser tells ``st.context``, e.g. its ``url``)."""
    from streamlit.util import calc_hash

    at = AppTest.from_file(str(app), default_timeout=timeout)
    if _bidi_manager() is not None and hasattr(at, "_bidi_component_manager"):
        at._bidi_component_manager = _bidi_manager()
    at.query_params.update(query)
    at.context.update(context or {})
    at._page_hash = calc_hash(url_path)  # what clicking the page in the navigation sends (st.Page hashes url_path)
    return at.run()


def switch_page(at: AppTest, url_path: str, query: dict) -> AppTest:
    """What clicking a page link does in this session: the URL becomes that page's with ``?query``, and the run
    carries the widget states of the page left (AppTest sends its current tree's, as a browser does)."""
    from streamlit.util import calc_hash

    at.query_params.clear()
    at.query_params.update(query)
    at._page_hash = calc_hash(url_path)
    return at.run()


def formulas(at: AppTest) -> list[str]:
    """The LaTeX of every display formula on the page: the annotation of the MathML ones
    (``scoredemo.app.formulas.show``), and those drawn by ``st.latex`` (a formula not in formulas.json)."""
    found = []
    for md in at.markdown:
        found += [html.unescape(t) for t in re.findall(r'<annotation encoding="application/x-tex">(.*?)</annotation>',
                                                        md.value, flags=re.S)]  # fmt: skip
    return found + [lx.value.strip().strip("$").strip() for lx in at.latex]  # st.latex's value is $$\n…\n$$
