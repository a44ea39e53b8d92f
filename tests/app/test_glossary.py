"""The glossary (issue 30): every term in it is explained in a tooltip somewhere in the app, and every control that
offers a training objective explains each objective it offers with the glossary's line."""

from __future__ import annotations

import pytest

from scoredemo.app import glossary as G
from scoredemo.app import model_widgets as M
from scoredemo.app import trained as T
from tests.app.test_app import ok, scene

#: The scenes where the glossary's terms are offered, with small settings (a learned scene trains 250 steps).
SCENES = {
    "step_size": {"n_particles": 250, "n_steps": 100},
    "learning": {"train_steps": 250, "n_particles": 250, "n_steps": 50},
    "low_density": {"train_steps": 250, "n_steps": 50},
    "manifolds": {"train_steps": 250},
    "real_images": {"train_steps": 250, "n_particles": 50},
    "diffusion": {"n_steps": 20, "n_particles": 250},
    "annealed": {},
}


def helps(at) -> list[str]:
    """Every tooltip of the page: its widgets' and metrics' ``help``."""
    kinds = ("selectbox", "slider", "select_slider", "radio", "toggle", "checkbox", "number_input", "metric")
    out = []
    for kind in kinds:
        for el in at.get(kind):
            text = getattr(el, "help", None) or getattr(getattr(el, "proto", None), "help", "")
            if text:
                out.append(str(text))
    return out


@pytest.fixture(scope="module")
def pages(monkeypatch_module):
    monkeypatch_module.setattr(M, "DEFAULT_TRAIN_STEPS", 250)  # scene 3's learned score, if it is picked
    out = {}
    for module, query in SCENES.items():
        at = scene(module, **query)
        ok(at)
        out[module] = at
    return out


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_every_term_is_explained_somewhere(pages):
    shown = "\n".join(text for at in pages.values() for text in helps(at))
    missing = [term for term in G.GLOSSARY if G.line(term) not in shown]
    assert not missing, f"glossary terms no tooltip shows: {missing}"


def test_every_place_that_offers_an_objective_explains_it(pages):
    """Every select box whose options are objectives (scenes 4 and 5's objective, scenes 9 and 11's learned-ncsn
    score) shows the glossary's line of each objective it offers."""
    objectives = set(T.objective_names())
    offered = 0
    for module, at in pages.items():
        for box in at.get("selectbox"):
            named = {o for o in box.options for name in objectives if o == name or o.endswith(f"-{name}")}
            for option in named:
                name = option if option in objectives else option.rsplit("-", 1)[1]
                assert G.line(name) in (box.help or ""), (module, box.label, name)
                offered += 1
    assert offered >= len(objectives) + 1  # the objective box lists them all; the ncsn score box its own


def test_lines_are_one_line_each():
    for term, text in G.GLOSSARY.items():
        assert "\n" not in text and not text.endswith(".") and len(text) < 160, term
    assert G.with_terms("ULA only.", "ULA").splitlines() == ["ULA only.  ", G.line("ULA")]
