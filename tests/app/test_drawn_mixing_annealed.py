"""The drawn density in scene 7 (mixing and π) and scene 9 (annealed Langevin), issue 13: opened from a shared link
(``?density=custom&components=…``), read back from the charts and numbers the page sends.

The drawing of most tests has three well-separated modes: two bumps and one filled region, weights 1 : 3 : 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from scoredemo.app import custom_density as CD
from tests.app.test_app import all_numbers_finite, charts, metric, ok, scene

#: bump 1 at (−5, 4), bump 2 at (5, 4) (3× as heavy), region 1 a 3 × 3 square around (0, −5) (2×): 10 apart or more.
DRAWING = "-5, 4, 0.5, 1; 5, 4, 0.5, 3; fill 2: -1.5 -6.5, 1.5 -6.5, 1.5 -3.5, -1.5 -3.5"
WEIGHTS = np.array([1.0, 3.0, 2.0]) / 6.0
NAMES = ["bump 1", "bump 2", "region 1"]
#: A short ncsn model for scene 9's error check at the bottom of the page (it trains on a page's first visit).
TRAIN = 250


def meter_lines(spec: dict, role: str) -> dict:
    """The meter's traces of one role ("true" or "fraction"), by (run, mode) — run None for the true lines."""
    return {
        (t["meta"].get("run"), t["meta"]["mode"]): np.asarray(t["y"], float)
        for t in spec["data"]
        if t.get("meta", {}).get("role") == role
    }


def binomial_se(n: int) -> np.ndarray:
    return np.sqrt(WEIGHTS * (1 - WEIGHTS) / n)


def text_of(at) -> str:
    return " ".join(c.value for c in at.caption) + " " + " ".join(m.value for m in at.markdown)


def test_mixing_offers_the_drawing_with_its_own_weights_and_plain_langevin_keeps_the_start():
    at = scene("mixing", density="custom", components=DRAWING)
    ok(at)
    assert not at.error
    assert not any(s.key in ("pi", "pi_other") for s in at.slider)  # π does not apply to a drawing
    assert "π and π′ do not apply to a drawing" in text_of(at)
    assert "bump 1 17 % · bump 2 50 % · region 1 33 %" in text_of(at)
    c = charts(at)
    true = meter_lines(c["mode-fractions"], "true")
    assert sorted(true) == [(None, 0), (None, 1), (None, 2)]
    np.testing.assert_allclose([true[(None, k)][0] for k in range(3)], WEIGHTS, atol=1e-4)  # the drawing's weights
    ann = c["mode-fractions"]["layout"]["annotations"]
    assert [a["text"].split(":")[0] for a in ann] == NAMES
    # plain Langevin from uniform noise (1000 particles, 1000 steps, ε = 0.02, seed 0) keeps the split of the start:
    # each mode's share of the picture, not its weight. Measured: 0.41 / 0.38 / 0.21 against 0.17 / 0.50 / 0.33.
    frac = meter_lines(c["mode-fractions"], "fraction")
    first = np.array([frac[("Langevin", k)][0] for k in range(3)])
    last = np.array([frac[("Langevin", k)][-1] for k in range(3)])
    se = binomial_se(1000)
    assert np.abs(last - WEIGHTS).max() > 8 * se.max()  # far outside sampling error of the weights...
    np.testing.assert_allclose(last, first, atol=0.03)  # ...and where it started (3 s.e. of 1000 at 0.5: 0.047)
    tv = 0.5 * np.abs(last - WEIGHTS).sum()
    assert metric(at, "distance (TV)").value == f"{tv:.2f}"
    k = int(np.argmax(np.abs(last - WEIGHTS)))  # the page shows the mode furthest from its weight
    worst = metric(at, NAMES[k])
    assert worst.value == f"{last[k]:.2f}" and worst.delta == f"{last[k] - WEIGHTS[k]:+.2f} vs {WEIGHTS[k]:.2f}"
    said = text_of(at)
    assert "the empty gaps between the modes are not crossed" in said
    # the score comparison: the same drawing at equal weights; 10 units apart the modes' supports are disjoint
    fields = c["score-field"]
    assert [a["text"] for a in fields["layout"]["annotations"][:2]] == ["your drawing", "equal weights"]
    assert "same drawing with equal weights" in said and "identical" in said and "empty gaps" in said


def test_annealed_recovers_the_drawings_weights_with_the_exact_score():
    """σ 20 → 1, 10 × 100 steps, ε = 0.05, 1280 particles from uniform on [−8, 8]² (the page's defaults)."""
    at = scene("annealed", density="custom", components=DRAWING, train_steps=TRAIN)
    ok(at)
    assert not at.error
    assert not any(s.key == "pi" for s in at.slider)
    assert "π does not apply to a drawing" in text_of(at)
    c = charts(at)
    true = meter_lines(c["mode-fractions"], "true")
    np.testing.assert_allclose([true[(None, k)][0] for k in range(3)], WEIGHTS, atol=1e-4)
    bars = {t["name"]: np.asarray(t["y"], float) for t in c["weights"]["data"]}
    np.testing.assert_allclose(bars["true weights"], WEIGHTS, atol=1e-4)
    assert list(c["weights"]["data"][0]["x"]) == NAMES
    frac = meter_lines(c["mode-fractions"], "fraction")
    annealed = np.array([frac[("annealed", k)][-1] for k in range(3)])
    plain = np.array([frac[("plain", k)][-1] for k in range(3)])
    # tolerance: 4 binomial standard errors of 1280 particles per mode (seeded; measured within 1 s.e.)
    np.testing.assert_array_less(np.abs(annealed - WEIGHTS), 4 * binomial_se(1280))
    assert np.abs(plain - WEIGHTS).max() > 8 * binomial_se(1280).max()  # plain Langevin does not (0.41 in bump 1)
    said = text_of(at)
    assert "√(3² + 1²)" not in said and "bump 2, of scale 0.5" in said  # the heaviest bump's spread at σ_min
    assert "bump 1 at (-5.0, 4.0); bump 2 at (5.0, 4.0); region 1 around (0.0, -5.0)" in said


@pytest.mark.parametrize(
    ("module", "query"),
    [
        ("mixing", dict(n_particles=250, n_steps=100)),
        ("annealed", dict(n_particles=250, steps_per_level=10, train_steps=TRAIN)),
    ],
)
def test_a_single_bump_gets_a_note_not_a_meter(module, query):
    at = scene(module, density="custom", components="1, 2, 0.8, 1", **query)
    ok(at)
    notes = " ".join(i.value for i in at.info)
    assert "This drawing has one mode" in notes and "bump 1 at (1.0, 2.0)" in notes
    c = charts(at)
    assert "mode-fractions" not in c and "weights" not in c
    assert "animation" in c  # the particles are still shown


@pytest.mark.parametrize(
    ("module", "query"),
    [
        ("mixing", dict(n_particles=250, n_steps=100)),
        ("annealed", dict(n_particles=250, steps_per_level=10, train_steps=TRAIN)),
    ],
)
@pytest.mark.parametrize(("components", "words"), [("0, 0, 1", "needs 4"), ("0, 0, 1, 1; " * 400, "characters long")])
def test_a_bad_drawing_in_the_url_gets_the_tables_note_and_the_default_drawing(module, query, components, words):
    at = scene(module, density="custom", components=components, **query)
    ok(at)
    assert any(words in e.value and "The component table has a problem" in e.value for e in at.error)
    true = meter_lines(charts(at)["mode-fractions"], "true")  # the default drawing: weights 1 : 2 : 1
    np.testing.assert_allclose([true[(None, k)][0] for k in range(3)], [0.25, 0.5, 0.25], atol=1e-4)


#: The most modes a drawing holds: 16 bumps (weights 1…16) and 4 filled regions (weight 4 each).
CROWDED = "; ".join(
    [f"{x}, {y}, 0.3, {1 + i + 4 * j}" for j, y in enumerate((1, 3, 5, 7)) for i, x in enumerate((-6, -2, 2, 6))]
    + [f"fill 4: {x - 1} -7, {x + 1} -7, {x + 1} -4, {x - 1} -4" for x in (-6, -2, 2, 6)]
)


@pytest.mark.parametrize(
    ("module", "query"),
    [
        ("mixing", dict(n_particles=250, n_steps=100)),
        ("annealed", dict(n_particles=250, steps_per_level=10, train_steps=TRAIN)),
    ],
)
def test_twenty_modes_share_eight_lines_and_every_number_is_finite(module, query):
    """16 bumps and 4 regions: the meter draws the 7 heaviest modes and the other 13 as one line ("13 others"),
    and their true weights still add up to the drawing's; the 7 close lines share one label (seven would pile up)."""
    d = CD.validate_drawing(CROWDED)
    assert (len(d.bumps), len(d.regions)) == (16, 4)
    at = scene(module, density="custom", components=CROWDED, **query)
    ok(at)
    assert not at.error
    c = charts(at)
    meter = c["mode-fractions"]
    true = meter_lines(meter, "true")
    assert len(true) == 8
    w = CD.mode_weights(d) / CD.mode_weights(d).sum()
    heavy = np.sort(np.argsort(-w, kind="stable")[:7])  # bumps 10…16 (weights 10…16, regions 4 each)
    assert [a["text"].split(":")[0] for a in meter["layout"]["annotations"] if a["visible"]] == [
        f"bump {heavy[0] + 1} … bump {heavy[-1] + 1} (7)",
        "13 others",
    ]
    got = np.array([true[(None, k)][0] for k in range(8)])
    np.testing.assert_allclose(got[:7], w[heavy], atol=1e-4)
    np.testing.assert_allclose(got.sum(), 1.0, atol=1e-4)
    for spec in c.values():
        assert all_numbers_finite(spec)
    frac = meter_lines(meter, "fraction")
    for run in {r for r, _ in frac}:
        np.testing.assert_allclose(sum(frac[(run, k)] for k in range(8)), 1.0, atol=1e-3)  # every particle counted


@pytest.mark.parametrize(
    ("module", "query"),
    [
        ("mixing", dict(n_particles=250, n_steps=100)),
        ("annealed", dict(n_particles=250, steps_per_level=10, train_steps=TRAIN)),
    ],
)
def test_a_zero_weight_bump_is_a_mode_of_weight_zero(module, query):
    """A bump of weight 0 is still a mode (the drawing numbers it) with true weight 0; with only one weighted mode
    left there is no split to get right."""
    at = scene(module, density="custom", components="-4, 0, 0.5, 2; 4, 0, 0.5, 0", **query)
    ok(at)
    assert "only one mode of positive weight" in " ".join(i.value for i in at.info)
    assert "mode-fractions" not in charts(at)
    at = scene(module, density="custom", components=DRAWING.replace("5, 4, 0.5, 3", "5, 4, 0.5, 0"), **query)
    ok(at)
    true = meter_lines(charts(at)["mode-fractions"], "true")
    np.testing.assert_allclose([true[(None, k)][0] for k in range(3)], [1 / 3, 0, 2 / 3], atol=1e-4)
    if module == "mixing":  # compared with equal weights on the weighted modes: bump 2 stays empty
        titles = [a["text"] for a in charts(at)["score-field"]["layout"]["annotations"][:2]]
        assert titles == ["your drawing", "equal weights"]


def test_annealed_on_regions_only_says_how_the_regions_blur():
    at = scene(
        "annealed",
        density="custom",
        components="fill 1: -6 -6, -2 -6, -2 -2, -6 -2; fill 3: 2 2, 6 2, 6 6, 2 6",
        n_particles=250,
        steps_per_level=10,
        train_steps=TRAIN,
    )
    ok(at)
    said = text_of(at)
    assert "each filled region's edges blur by about σ_min" in said and "bump" not in said.split("p ∗ N")[1][:80]
    true = meter_lines(charts(at)["mode-fractions"], "true")
    np.testing.assert_allclose([true[(None, 0)][0], true[(None, 1)][0]], [0.25, 0.75], atol=1e-4)


def test_annealed_with_a_learned_ncsn_on_the_drawing():
    """The learned score works on a drawing too: the ncsn model is trained on samples of the drawing (a short one
    here), and both runs use it."""
    at = scene(
        "annealed",
        density="custom",
        components=DRAWING,
        score="learned-ncsn",
        n_particles=250,
        steps_per_level=10,
        train_steps=TRAIN,
    )
    ok(at)
    assert any("Trained (ncsn, 250 steps)" in s.value for s in at.success)
    titles = [a["text"] for a in charts(at)["animation"]["layout"]["annotations"]]  # annealed | plain panels
    assert "learned s(x, σ = 1)" in titles[1]
    true = meter_lines(charts(at)["mode-fractions"], "true")
    np.testing.assert_allclose([true[(None, k)][0] for k in range(3)], WEIGHTS, atol=1e-4)


def test_one_more_bump_compiles_only_the_mode_assignment(count_compiles):
    """A drawing's number of modes is a shape only for the mode-fraction meter: the fields, the samplers and the
    exact samples see the drawing without its modes (``builders.compute_mixture``), so one more bump (same padded
    size, 16) compiles just what is about modes: the assignment of particles to them (for the frames and for one
    frame) and the modes' weights (one small product; 0.1 s). Before: ~5 more programs, ~5 s, per new mode count."""
    at = scene("mixing", density="custom", components=DRAWING)
    ok(at)
    count = count_compiles()
    at.text_input(key="components").set_value(DRAWING + "; 0, 6, 0.5, 1").run()
    ok(at)
    assert len(meter_lines(charts(at)["mode-fractions"], "true")) == 4  # the fourth mode is drawn
    assert count_compiles() - count <= 3
