"""The lecture's slides as presets: a name, a scene (its url path), the URL parameters that set it up, and one
line for the teacher to say. Each is a shareable link (``/url_path?params``); the lecture bar shows a scene's
presets as one-click links, and the notes in presenter mode on request.

Every parameter is a control of that scene and every value one it accepts (a test opens each preset and checks
that no URL note appears), so a preset never opens on a silently different picture.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlencode


class Preset(NamedTuple):
    name: str
    url_path: str
    params: dict[str, str]
    say: str

    def query(self) -> str:
        """The query string of this preset's link (no leading "?")."""
        return urlencode(self.params)


PRESETS: list[Preset] = [
    Preset(
        "score = arrows uphill",
        "score-fields",
        {"density": "two-moons", "sigma": "0"},
        "Each arrow is ∇ log p: it points to where the data is more likely, and needs no normalising constant.",
    ),
    Preset(
        "noise smooths the score",
        "score-fields",
        {"density": "two-moons", "sigma": "1"},
        "At σ = 1 each moon blurs into a blob; far from the data every arrow points (within 45°) to their centre.",
    ),
    Preset(
        "ascent collapses",
        "follow-the-score",
        {"noise": "false"},
        "Without noise every particle climbs to its nearest peak: we get the 8 modes, not samples; ‖s‖ goes to 0.",
    ),
    Preset(
        "Langevin samples",
        "follow-the-score",
        {"noise": "true"},
        "Same update plus √(2ε)·z: the cloud fills every mode; mean ‖s‖ matches true samples' within sampling error.",
    ),
    Preset(
        "large ε bias",
        "step-size",
        {"density": "gaussian", "step_size": "1.5", "score": "exact"},
        "At ε = 1.5 ULA's variance is 4× too large (σ²/(1 − ε/2σ²)), its width 2×; MALA stays exact, accepting 46 %.",
    ),
    Preset(
        "small ε: ULA ≈ exact",
        "step-size",
        {"density": "gaussian", "step_size": "0.1", "score": "exact"},
        "At ε = 0.1 the variance is 5 % too large: small steps make Langevin nearly exact, at the price of many steps.",
    ),
    Preset(
        "learned score",
        "learning-the-score",
        {"objective": "ssm-vr"},
        "Sliced score matching learns s_θ from samples alone; the error map shows it is good only where data is.",
    ),
    Preset(
        "lost in low density",
        "low-density",
        {"noise": "false"},
        "From the empty square, wrong learned arrows send over half the particles to another mode than the true score.",
    ),
    Preset(
        "2/3 : 1/3 comes out ½ : ½",
        "mixing",
        {"density": "disjoint", "pi": "0.67", "init": "uniform"},
        "π is not in the score on disjoint supports: Langevin keeps the start's half-and-half split, not 2/3 : 1/3.",
    ),
    Preset(
        "one mode stays one mode",
        "mixing",
        {"density": "disjoint", "pi": "0.67", "init": "one-mode"},
        "Started all in the left mode, nobody crosses the empty gap: the meter never creeps towards π.",
    ),
    Preset(
        "crossing takes exp(ΔU)",
        "mixing-time",
        {},
        "Each extra unit of separation multiplies the crossing time by e^1.22 ≈ 3.4; Kramers' law predicts e^1.31.",
    ),
    Preset(
        "σ 20 → 1",
        "annealed-langevin",
        {"density": "ncsn-mixture", "sigma_max": "20", "sigma_min": "1", "pi": "0.2"},
        "At σ = 20 the modes are one blob whose score feels π: annealing ends at 24 % / 76 %, plain Langevin ½ : ½.",
    ),
    Preset(
        "the ODE keeps the prior's error",
        "diffusion",
        {"init": "prior", "sigma_max": "20"},
        "Same start, two ways back: the SDE lands on π; the ODE, a one-to-one map, keeps what N(0, 20² I) gets wrong.",
    ),
    Preset(
        "large σ_max fixes it",
        "diffusion",
        {"init": "prior", "sigma_max": "100"},
        "At σ_max = 100 the textbook prior is nearly p₁ itself: now the ODE lands on π too (Song & Ermon 2020).",
    ),
]


def presets_for(url_path: str) -> list[Preset]:
    """The presets of one scene, in lecture order."""
    return [p for p in PRESETS if p.url_path == url_path]


def matching(url_path: str, query: dict[str, str]) -> Preset | None:
    """The preset of this scene whose parameters all have these values in ``query`` (None if none does)."""
    for p in presets_for(url_path):
        if all(query.get(k) == v for k, v in p.params.items()):
            return p
    return None
