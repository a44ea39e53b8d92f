"""The formulas' MathML (scoredemo/app/formulas.py): every formula a page draws is in formulas.json, made from the
very LaTeX the scenes declare, and drawn without KaTeX."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from devtools.formulas import all_formulas
from scoredemo.app import formulas
from scoredemo.app.scenes import follow_score, learning
from tests.app.apptest import formulas as drawn

ROOT = Path(__file__).resolve().parents[2]
ANNOTATION = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>', re.S)


def test_the_file_holds_every_formula_a_page_draws_and_no_other():
    """Fails after a formula is edited until `python -m devtools.formulas` has rebuilt the file."""
    assert sorted(formulas.table()) == all_formulas()
    assert set(learning.FORMULAS.values()) | set(follow_score.RULES) <= set(formulas.table())


@pytest.mark.parametrize("tex", all_formulas())
def test_each_mathml_is_a_display_formula_of_its_own_latex(tex):
    m = formulas.table()[tex]
    assert m.startswith('<math display="block"') and m.endswith("</math>")
    assert [html.unescape(a) for a in ANNOTATION.findall(m)] == [tex]  # copying it gives its LaTeX
    assert "merror" not in m  # Temml wrote no error in place of a part it could not read


def test_no_page_draws_with_katex_directly():
    """st.latex loads KaTeX in every student's browser: the pages draw formulas through formulas.show."""
    users = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "scoredemo").rglob("*.py")
        if "st.latex(" in p.read_text(encoding="utf-8") and p.name != "formulas.py"
    ]
    assert users == []


def test_every_class_the_mathml_uses_has_its_rule():
    css = formulas.css()
    used = {c for m in formulas.table().values() for cs in re.findall(r'class="([^"]*)"', m) for c in cs.split()}
    assert used, "no classes found: the test would check nothing"
    not_carried = {"mathcal", "tml-prime"}  # said in formulas.css
    assert {c for c in used - not_carried if f".{c}" not in css} == set()


def test_a_number_fills_the_placeholder_in_the_mathml_and_its_latex():
    m = formulas.mathml(follow_score.RULE_LANGEVIN, 0.02)
    assert formulas.NUMBER not in m
    assert m.count("<mn>0.02</mn>") == 2  # ε and the 2ε under the root
    assert ANNOTATION.findall(m) == [r"x \leftarrow x + 0.02\, s(x) + \sqrt{2 \cdot 0.02}\, z"]


def test_show_draws_mathml_and_falls_back_to_katex_for_a_formula_not_in_the_file():
    script = f"""
from scoredemo.app import formulas
formulas.show({follow_score.RULE_ASCENT!r}, 0.5)
formulas.show(r"\\alpha_{{\\text{{new}}}}")
"""
    at = AppTest.from_string(script, default_timeout=30).run()
    assert not at.exception
    assert '<div class="sd-formula"><math' in at.markdown[0].value
    assert at.markdown[0].proto.allow_html  # drawn as HTML, not shown as text
    assert drawn(at) == [r"x \leftarrow x + 0.5\, s(x) \;(+\, 0 \cdot z)", r"\alpha_{\text{new}}"]
