"""Every number a page prints is the data drawn next to it (issue 30, defect 6).

One test per scene: it runs the scene in AppTest (at its defaults or a lecture preset, and where it can at a setting
whose caption used to be wrong), reads the numbers of its captions, metrics, notes and alt texts, and checks them
against the arrays of the chart they describe (the Plotly JSON the page sends), and each verdict ("crossed", "within
sampling error", "one blob", …) against the numbers that decide it. Where a preset's ``say`` line makes a claim about
that view, the test of its scene checks it too. The learned scenes train their smallest model (``train_steps=250``);
the step-size scene's learned score is not run here (test_lecture_scenes covers it).
"""

from __future__ import annotations

import json
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from scoredemo import figures as F
from scoredemo import theory
from scoredemo.app import keys as K
from scoredemo.app import presets as P
from scoredemo.app import widgets as W
from scoredemo.app.scenes import SCENES

TIMEOUT = 300
NUM = r"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"  # a printed number


def page(module: str, **query) -> AppTest:
    at = AppTest.from_string(f"from scoredemo.app.scenes import {module}\n{module}.render()", default_timeout=TIMEOUT)
    at.query_params.update({k: str(v) for k, v in query.items()})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> dict[str, list[dict]]:
    """Every chart of the page by ``layout.meta.kind``, in page order."""
    out: dict[str, list[dict]] = {}
    for el in at.get("plotly_chart"):
        spec = F.decode_arrays(json.loads(el.proto.spec))
        out.setdefault((spec.get("layout", {}).get("meta") or {}).get("kind", "?"), []).append(spec)
    return out


def texts(at: AppTest) -> list[str]:
    """What the page says in words: captions (alt texts included: widgets.chart prints them) and markdown notes."""
    return [c.value for c in at.caption] + [m.value for m in at.markdown]


def said(at: AppTest, pattern: str) -> re.Match:
    """The first caption or note matching ``pattern`` (the test fails, listing them, if none does)."""
    for t in texts(at):
        m = re.search(pattern, t)
        if m:
            return m
    raise AssertionError(f"no text matches {pattern!r}: {texts(at)}")


def metrics(at: AppTest) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for m in at.metric:
        out.setdefault(m.label, []).append((m.value, m.proto.delta))
    return out


def trace(spec: dict, **meta) -> dict:
    """The trace whose ``meta`` has these items (or, with ``name=``, that name)."""
    name = meta.pop("name", None)
    for t in spec["data"]:
        if name is not None and t.get("name") == name:
            return t
        if meta and all((t.get("meta") or {}).get(k) == v for k, v in meta.items()):
            return t
    raise AssertionError(f"no trace with {meta or name} in {[t.get('name') for t in spec['data']]}")


def particles(spec: dict, frame: int, name: str | None = None, panel: int = 1) -> np.ndarray:
    """The particles of an animation's frame (the first marker trace, or the one of this name) in its ``panel``-th
    side-by-side panel (panel 1 on axis "x", panel 2 on "x2", …)."""
    data = spec["frames"][frame]["data"]
    axis = "x" if panel == 1 else f"x{panel}"
    tr = next(
        t
        for t in data
        if t.get("mode") == "markers" and (name is None or t.get("name") == name) and t.get("xaxis", "x") == axis
    )
    return np.stack([np.asarray(tr["x"], float), np.asarray(tr["y"], float)], -1)


def close(printed: str, value: float, digits: int | None = None) -> bool:
    """A number printed with ``digits`` decimals (default: as many as it shows) is ``value`` rounded (half a unit of
    the last digit, plus float slack for a value that sits on the rounding edge)."""
    if digits is None:
        digits = len(printed.split(".")[1]) if "." in printed else 0
    return abs(float(printed) - value) <= 0.5 * 10.0**-digits + 1e-9


def say(url_path: str, name: str) -> str:
    return next(p.say for p in P.presets_for(url_path) if p.name == name)


# ------------------------------------------------------------------------------------------------ scene 1


@pytest.mark.parametrize("sigma", [0.0, 1.0])
def test_score_fields_far_arrows_are_counted_on_the_arrows_drawn(sigma):
    """The alt text's "k of m arrows far from the data point within 45° of its centre" is recounted on the chart's
    arrows, with p_σ evaluated exactly at each arrow (the page reads it on its grid: a few arrows next to the 1 %
    threshold may differ). At σ = 1 (preset "noise smooths the score") every far arrow does, as the teacher says."""
    at = page("score_fields", density="two-moons", sigma=sigma)
    q = trace(charts(at)["score-field"][0], role="field")
    pts = np.stack([np.asarray(q["x"], float), np.asarray(q["y"], float)], -1)
    arrows = np.stack([np.asarray(q["u"], float), np.asarray(q["v"], float)], -1)
    mix = K.get_density(W.default_density_key("two-moons")).mixture
    centre = np.exp(np.asarray(mix.log_weights, float)) @ np.asarray(mix.means, float)
    m = said(
        at, rf"below 1 % of its peak\) (\d+) of (\d+) arrows point within 45° of the data's centre \({NUM}, {NUM}\)"
    )
    n_in, n_far = int(m[1]), int(m[2])
    assert close(m[3], centre[0], 1) and close(m[4], centre[1], 1)
    g = np.linspace(-6, 6, 241)
    grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    peak = float(np.max(np.asarray(mix.log_prob(jnp.asarray(grid, jnp.float32), sigma))))
    far = np.asarray(mix.log_prob(jnp.asarray(pts, jnp.float32), sigma)) - peak < np.log(0.01)
    to = centre - pts[far]
    cos = np.sum(to * arrows[far], 1) / (np.linalg.norm(to, axis=1) * np.linalg.norm(arrows[far], axis=1))
    assert abs(int(far.sum()) - n_far) <= max(3, 0.02 * n_far), (int(far.sum()), n_far)
    assert abs(int(np.sum(cos > np.cos(np.radians(45)))) - n_in) <= max(3, 0.02 * n_far)
    if sigma == 1.0:
        assert n_in == n_far and "every arrow points (within 45°)" in say("score-fields", "noise smooths the score")
    else:
        assert n_in < n_far  # the sharp moons: far arrows still point at the nearer moon, not the centre


# ------------------------------------------------------------------------------------------------ scene 2


@pytest.mark.parametrize("query", [{}, {"noise": "false"}, {"noise": "false", "n_steps": 20}])
def test_follow_score_norm_metric_and_verdict_are_the_particles(query):
    """Mean ‖s(x)‖ is recomputed from the chart's last frame; the true samples' value from fresh exact samples (its
    standard error: std/√20000 here, std/√2000 on the page); the verdict is the one the printed numbers give. After
    20 steps gradient ascent has not reached the peaks (the old caption said it drives ‖s‖ to 0 whatever the run)."""
    at = page("follow_score", **query)
    anim = charts(at)["animation"][0]
    mix = K.get_density(W.default_density_key("eight-gaussians")).mixture
    x = particles(anim, -1)
    norms = np.linalg.norm(np.asarray(mix.score(jnp.asarray(x, jnp.float32))), axis=-1)
    truth = np.linalg.norm(np.asarray(mix.score(mix.sample(jax.random.key(7), 20000))), axis=-1)
    ((value, delta),) = metrics(at)["mean ‖s(x)‖ at the particles"]
    shown, true_shown = float(value), float(delta.split(": ")[1])
    assert abs(true_shown - truth.mean()) < 4 * truth.std() / np.sqrt(2000)
    caption = said(at, r"mean ‖s\(x\)‖").string
    if query.get("noise") == "false":
        # positions are drawn to 3 decimals: at a peak that alone gives ‖s‖ ≲ 0.01; elsewhere they agree
        assert abs(shown - norms.mean()) <= 0.01 + 0.01 * norms.mean()
        start = np.linalg.norm(np.asarray(mix.score(jnp.asarray(particles(anim, 0), jnp.float32))), axis=-1).mean()
        m = re.search(rf"from {NUM} at step 0 to {NUM} \(true samples: {NUM}\)", caption)
        assert m and abs(float(m[1]) - start) <= 0.005 * start and m[2] == value and float(m[3]) == true_shown
        at_peaks = shown < 0.01 * true_shown
        assert ("sit at peaks" in caption) == at_peaks and ("still climbing" in caption) == (not at_peaks)
        assert at_peaks == ("n_steps" not in query)
    else:
        assert abs(shown - norms.mean()) <= 0.005 * norms.mean()
        m = re.search(rf"is {NUM}, true samples' {NUM}: .*?\(± {NUM}\)", caption)
        assert m and m[1] == value and float(m[2]) == true_shown
        se = np.hypot(norms.std() / np.sqrt(len(norms)), truth.std() / np.sqrt(2000))
        assert abs(float(m[3]) - se) <= 0.2 * se  # the printed ± is the two standard errors combined
        within = abs(shown - true_shown) <= 2 * float(m[3])
        assert ("equal within sampling error" in caption) == within
        assert within and "within sampling error" in say("follow-the-score", "Langevin samples")
    assert f"Mean ‖s(x)‖ at the particles: {value} (true samples: {delta.split(': ')[1]})" in " ".join(texts(at))


# ------------------------------------------------------------------------------------------------ scene 3


def _exact_variance(mix) -> float:
    """Per-coordinate variance of a mixture of Gaussians (radii 0), exact."""
    w = np.exp(np.asarray(mix.log_weights, float))
    mu, s2 = np.asarray(mix.means, float), np.asarray(mix.scales, float) ** 2
    return float(np.mean(w @ (s2[:, None] + mu**2) - (w @ mu) ** 2))


@pytest.mark.parametrize("eps", [1.5, 0.1])
def test_step_size_summary_is_the_sweep_at_the_pages_eps(eps):
    """The presets "large ε bias" (ε = 1.5) and "small ε" (ε = 0.1): the summary reports the sweep's point at the
    page's ε (it used to report ε = w² = 1 whatever the page's ε), that point is on the chart, the clouds' own ratios
    are their particles' variance, and the teacher's line matches the formula and the measurement (the variance is
    4× at ε = 1.5, so the width is 2×)."""
    # the presets' view with 100 steps instead of 500 (started at exact samples, ULA's variance relaxes by a factor
    # (1 − ε/w²)² ≤ 0.81 per step: stationary long before either; the claims are about that stationary law)
    at = page("step_size", density="gaussian", step_size=eps, score="exact", n_steps=100)
    c = charts(at)
    mix = K.get_density(W.default_density_key("gaussian")).mixture
    var_p = _exact_variance(mix)
    w2 = float(np.min(np.asarray(mix.scales)) ** 2)
    caption = said(at, r"At (the page's )?ε = ").string
    pattern = (
        rf"At (?:the page's )?ε = {NUM}: ULA's variance is {NUM}× that of p \(formula: {NUM}×\), "
        rf"MALA's {NUM}× with {NUM}% of its moves accepted"
    )
    m = re.search(pattern, caption)
    assert m, caption
    assert float(m[1]) == eps, caption  # the page's ε, not the sweep's ε = w²
    ula, mala = (
        trace(c["variance-vs-step"][0], role="ULA, measured"),
        trace(c["variance-vs-step"][0], role="MALA, measured"),
    )
    acc = trace(c["acceptance-vs-step"][0], role="MALA acceptance rate")
    j = int(np.flatnonzero(np.isclose(np.asarray(ula["x"], float), eps))[0])  # the page's ε is a point of the sweep
    assert close(m[2], float(ula["y"][j]), 2) and close(m[4], float(mala["y"][j]), 2)
    assert close(m[5], 100 * float(acc["y"][j]), 0)
    formula = float(theory.ula_stationary_variance(w2, eps) / w2)
    assert close(m[3], formula, 2)
    # the clouds: the variance of their last frame over p's; both ratios in the summary and in each cloud's alt text
    clouds = {}
    (pair,) = c["animation"]  # one figure, ULA's panel then MALA's, one ▶ Play for both
    for panel, what in enumerate(("ULA", "MALA"), start=1):
        x = particles(pair, -1, panel=panel)
        clouds[what] = float(np.mean(np.var(x, axis=0, ddof=1))) / var_p
        alt = said(at, rf"{'unadjusted Langevin' if what == 'ULA' else 'MALA'}.*?their variance is {NUM}× that of p")
        assert abs(float(alt[1]) - clouds[what]) <= 0.006 + 0.002 * clouds[what]  # positions drawn to 3 decimals
    m2 = re.search(rf"other runs: (\d+) particles.*\(ULA {NUM}×, MALA {NUM}×\)", caption)
    assert m2 and int(m2[1]) == len(particles(c["animation"][0], -1)), caption
    assert abs(float(m2[2]) - clouds["ULA"]) <= 0.006 + 0.002 * clouds["ULA"]
    # "differ only by sampling error" exactly when both clouds are within 2 standard errors of the sweep (Gaussian
    # relative standard error of a 2-coordinate variance: √(1/(n − 1)); 2000 particles in the sweep)
    n = int(m2[1])
    z = [abs(clouds[k] - float(s["y"][j])) / np.hypot(clouds[k] / np.sqrt(n - 1), float(s["y"][j]) / np.sqrt(1999))
         for k, s in (("ULA", ula), ("MALA", mala))]  # fmt: skip
    assert ("only by sampling error" in caption) == (max(z) <= 2), (z, caption)
    # the teacher's line at this preset
    line = say("step-size", "large ε bias" if eps == 1.5 else "small ε: ULA ≈ exact")
    assert not re.search(r"× too wide", line) or re.search(rf"{np.sqrt(formula):g}× too wide", line), line
    if eps == 1.5:
        v = re.search(r"variance is (\d+)× too large.*its width (\d+)×.*accepting (\d+) %", line)
        assert v and float(v[1]) == round(formula) and float(v[2]) == round(np.sqrt(formula)), line
        assert abs(float(ula["y"][j]) - formula) < 3 * formula / np.sqrt(1999)  # measured: 4× within 3 s.e.
        assert int(v[3]) == round(100 * float(acc["y"][j]))
    else:
        v = re.search(r"variance is (\d+) % too large", line)
        assert v and int(v[1]) == round(100 * (formula - 1)), line


# ------------------------------------------------------------------------------------------------ scene 4


def test_learning_loss_caption_counts_the_drawn_steps():
    """The loss caption's floor is the chart title's, and "k of n steps here" below the exact score's loss is
    counted on the chart's per-step curve."""
    at = page("learning", train_steps=250, n_particles=250, n_steps=50)
    spec = charts(at)["loss"][0]
    floor = re.search(rf"floor \({NUM}\)", spec["layout"]["title"]["text"])[1]
    raw = np.asarray(trace(spec, role="raw")["y"], float)
    m = said(at, rf"the floor \*\*{NUM}\*\*.*\((\d+) of (\d+) steps here\)")
    assert m[1] == floor
    assert int(m[3]) == len(raw) == 250 and int(m[2]) == int(np.sum(raw <= 0))


# ------------------------------------------------------------------------------------------------ scene 5


def test_low_density_metrics_and_verdict_are_the_paths():
    """Reached-a-mode fractions and their splits are counted on the paths chart's end points (both panels); the
    verdict's "another mode" share is 1 − the "same mode" metric when both scores bring everyone home, and "often
    the wrong one" is said only when that share is above 10 %."""
    at = page("low_density", train_steps=250, n_steps=100)
    spec = charts(at)["paths"][0]
    mt = metrics(at)
    reached = {}
    for panel, label in ((0, "true score: reached a mode"), (1, "learned score: reached a mode")):
        ends = [t for t in spec["data"] if (t.get("meta") or {}).get("role") == "end" and t["meta"]["panel"] == panel]
        n = sum(len(t["x"]) for t in ends)
        home = {t["meta"]["mode"]: len(t["x"]) for t in ends if t["meta"]["mode"] >= 0}
        reached[panel] = sum(home.values()) / n
        ((value, delta),) = mt[label]
        assert close(value.rstrip("%"), 100 * reached[panel], 0)
        for k in home.values():
            assert f"{k / n:.0%}" in delta  # the split beside it
    alt = said(at, r"reached a mode: (\d+) % with the true score .*, (\d+) % with the learned")
    assert close(alt[1], 100 * reached[0], 0) and close(alt[2], 100 * reached[1], 0)
    same = float(mt["learned: same mode as true"][0][0].rstrip("%")) / 100
    verdict = said(at, r"2-D").string
    other = re.search(r"sends \*\*(\d+)% of them to another mode\*\*", verdict)
    if min(reached.values()) == 1.0:
        if other:
            assert abs(int(other[1]) / 100 - (1 - same)) <= 0.011
        else:
            assert 1 - same <= 0.1 and f"{same:.0%} of them end in the same mode" in verdict
    assert ("often the wrong one" in verdict) == bool(other)


# ------------------------------------------------------------------------------------------------ scene 6


def test_manifolds_summary_reads_the_loss_curves_and_metrics():
    """The summary's score errors are the metrics, the "N× further" their ratio, and where the bold lines end is
    read off the two loss charts (last smoothed value + 1), not assumed equal to the score error."""
    at = page("manifolds", train_steps=250)
    losses = charts(at)["loss"]
    ends = [float(np.asarray(trace(s, role="smoothed")["y"], float)[-1]) + 1 for s in losses]
    errors = [float(v) for v, _ in metrics(at)["score error"]]
    text = said(at, r"\*\*Score error\*\*").string
    m = re.search(rf"{NUM} on the thick ring, \*\*{NUM}\*\*", text)
    assert float(m[1]) == errors[0] and float(m[2]) == errors[1]
    ratio = re.search(r"learned score is (\d+)× further", text)
    assert ratio is None or int(ratio[1]) == round(errors[1] / errors[0])
    m = re.search(rf"end {NUM} \(thick\) and {NUM} \(thin\) above it", text)
    assert m, text
    for printed, value in zip(m.groups(), ends, strict=True):
        assert float(printed) == float(f"{value:.2g}")
    assert "needs at least 400 training steps" in text  # 250 steps: fewer than metrics.loss_wander's 4 windows × 2


# ------------------------------------------------------------------------------------------------ scene 7


@pytest.mark.parametrize(
    ("density", "init"),
    [("two-modes", "one-mode"), ("two-modes", "uniform"), ("disjoint", "one-mode"), ("disjoint", "uniform")],
)
def test_mixing_captions_say_what_the_run_shows(density, init):
    """The crossed fraction is recounted on the animation (each particle's mode at the first and last frame), the
    meter's end is the metric and the caption's, and the verdict follows the module's MIXED threshold: two-modes
    started in one mode crosses (8 % at its defaults; the old caption said "the gap is not crossed"), disjoint does
    not (the presets "one mode stays one mode" and "2/3 : 1/3 comes out ½ : ½")."""
    from scoredemo.app.scenes import mixing

    at = page("mixing", density=density, init=init)
    c = charts(at)
    mix = K.get_density(K.density_key(density, pi=0.67)).mixture
    anim = c["animation"][0]
    first, last = (np.asarray(mix.assign_modes(jnp.asarray(particles(anim, f), jnp.float32))) for f in (0, -1))
    crossed = float(np.mean(first != last))
    n = len(first)
    meter = np.asarray(trace(c["mode-fractions"][0], role="fraction", run="Langevin", mode=0)["y"], float)
    value, _ = metrics(at)["Langevin, left mode"][0]
    assert close(value, meter[-1], 2)
    start = said(at, r"changed mode in (\d+) steps\. ").string
    moved = re.search(rf"{NUM}% of the particles changed mode", start)
    assert abs(float(moved[1]) / 100 - crossed) <= 2 / n + 1e-3  # a particle on a mode border may be drawn across it
    mixed = crossed >= mixing.MIXED
    assert ("Particles do cross" in start) == mixed and ("not crossed" in start or "so few cross" in start) != mixed
    diff = said(at, r"changed mode in the run below").string  # the score-difference map's caption: the same run
    assert re.search(rf"{re.escape(moved[1])}% of the particles changed mode in the run below", diff)
    assert ("does not cross" in diff or "too few" in diff) != mixed and ("can move the split" in diff) == (
        mixed and "carry particles across" not in diff
    )
    assert f"{meter[-1]:.2f} " in start and f"{meter[0]:.2f}" in start
    se = float(np.sqrt(0.67 * 0.33 / n))
    z = re.search(rf"{NUM} binomial standard errors \(± {NUM}\) from π = 0.67", start)
    # the meter is drawn to 3 decimals: its end can differ by 0.0005 from the caption's, 0.03 standard errors
    assert abs(float(z[1]) - abs(meter[-1] - 0.67) / se) <= 0.05 + 0.0005 / se and close(z[2], se, 3)
    if density == "two-modes":
        assert crossed >= mixing.MIXED  # at its defaults the modes are close enough: this view must say "cross"
    elif init == "one-mode":
        assert crossed == 0 and "nobody crosses" in say("mixing", "one mode stays one mode")
    else:
        line = say("mixing", "2/3 : 1/3 comes out ½ : ½")
        assert "half-and-half" in line and abs(meter[-1] - 0.5) <= 2 * np.sqrt(0.25 / n)


# ------------------------------------------------------------------------------------------------ scene 8


def test_mixing_time_table_metrics_and_caption_are_the_charts():
    """At the preset "crossing takes exp(ΔU)" (the defaults): the alt texts, the table, the slopes and the caption's
    measured/Kramers ratios are the two charts' arrays, and the teacher's e^slope numbers are the metrics'."""
    at = page("mixing_time")
    c = charts(at)
    times = c["crossing-time"][0]
    d = np.asarray(trace(times, role="measured (± 1 s.e.)")["x"], float)
    measured = np.asarray(trace(times, role="measured (± 1 s.e.)")["y"], float)
    kramers = np.asarray(trace(times, role="Kramers")["y"], float)
    for j, dj in enumerate(d):
        crossed = np.asarray(trace(c["crossed-fraction"][0], role=f"d = {dj:g}")["y"], float)[-1]
        said(at, rf"{round(100 * crossed)} % at d = {dj:g}")
        said(at, rf"d = {dj:g}: {measured[j]:,.0f} vs {kramers[j]:,.0f}")
    table = said(at, r"\| d \| ΔU \|").string
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    du = np.asarray([float(r[1]) for r in rows])
    for r, m, k in zip(rows, measured, kramers, strict=True):
        assert r[2].split(" ±")[0] == f"{m:,.0f}" and float(r[5]) == float(f"{m / k:.2f}")
    fit = du >= 2.0
    slope = lambda y: float(np.polyfit(d[fit], np.log(y[fit]), 1)[0])  # noqa: E731
    mt = metrics(at)
    got, pred = float(mt["measured slope of log(time) per unit of d"][0][0]), float(mt["Kramers' slope"][0][0])
    assert close(str(got), slope(measured), 2) and close(str(pred), slope(kramers), 2)
    cap = said(at, rf"measured time is {NUM}× the prediction at d = {NUM} .* and {NUM}× at d = {NUM}")
    assert close(cap[1], measured[0] / kramers[0], 1) and close(cap[3], measured[-1] / kramers[-1], 1)
    line = say("mixing-time", "crossing takes exp(ΔU)")
    e = re.search(rf"e\^{NUM} ≈ {NUM}; Kramers' law predicts e\^{NUM}", line)
    assert e and close(e[1], got) and close(e[2], np.exp(float(e[1]))) and close(e[3], pred), line


# ------------------------------------------------------------------------------------------------ scene 9


def test_annealed_verdict_blob_and_citation():
    """At the preset "σ 20 → 1" (its defaults; a short ncsn training for the error check): the meter's ends are the
    caption's numbers, judged in binomial standard errors; "one blob" is p_σ at σ_max having one peak; the error
    ratios are the error chart's; and the page cites the scene that draws the error-by-density chart (it said
    "Scene 4's", which is learning, not low density)."""
    from scoredemo.app import builders as B
    from scoredemo.app.scenes import annealed

    at = page("annealed", train_steps=250)
    c = charts(at)
    cite = said(at, r"([Ss]cene) (\d+)'s error-by-density")
    assert SCENES[int(cite[2]) - 1][0] == "low_density", cite.string
    meter = c["mode-fractions"][0]
    end = {
        r: float(np.asarray(trace(meter, role="fraction", run=r, mode=0)["y"], float)[-1])
        for r in ("annealed", "plain")
    }
    n = len(particles(c["animation"][0], -1))
    m = said(
        at, r"plain Langevin puts (\d+)% in the lower-left mode, annealed (\d+)%; the truth is π = 20% \(± ([\d.]+)%"
    )
    assert close(m[1], 100 * end["plain"], 0) and close(m[2], 100 * end["annealed"], 0)
    se = float(np.sqrt(0.2 * 0.8 / n))
    assert close(m[3], 100 * se, 1)
    verdict = m.string
    z_a = abs(end["annealed"] - 0.2) / se
    assert ("Annealing recovers π" in verdict or "Both are within" in verdict) == (z_a <= 2)
    line = say("annealed-langevin", "σ 20 → 1")
    assert f"annealing ends at {end['annealed']:.0%}".replace("%", " %") in line
    assert abs(end["plain"] - 0.5) <= 2 * np.sqrt(0.25 / n) and "plain Langevin ½ : ½" in line
    # "one blob" from p_σ at σ_max: one peak at π = 0.2 and 0.5, two at σ = 3 (count_peaks on the same grids)
    assert "the two modes are one blob" in said(at, r"Behind each level").string
    for pi, sigma, peaks in ((0.2, 20.0, 1), (0.5, 20.0, 1), (0.2, 3.0, 2)):
        field = B.field(K.density_key("ncsn-mixture", pi=pi), sigma, box=annealed.level_box(sigma, 9.0))
        assert annealed.count_peaks(field.log_density) == peaks, (pi, sigma)
    # the error check: the metrics are the chart's emptiest ÷ densest decade
    for series, sigma in (("σ_max = 20", 20), ("σ_min = 1", 1)):
        label = f"σ = {sigma}: error ratio, emptiest ÷ densest"
        y = np.asarray(trace(c["error-by-sigma"][0], role="decades", series=series)["y"], float)
        ratio = y[np.isfinite(y) & (y > 0)][0] / y[np.isfinite(y) & (y > 0)][-1]
        printed = metrics(at)[label][0][0].rstrip("×")
        assert abs(float(printed) - ratio) <= (0.5 if ratio >= 10 else 0.05 * ratio), (printed, ratio)


# ------------------------------------------------------------------------------------------------ scene 10


def test_real_images_alt_names_the_step_shown_and_the_note_its_numbers():
    """With the step slider at 3 the grids show step 300: the alt text says so (it said "after 1000 steps"), its
    numbers are the metrics under the grid, and the note's comparison is those metrics'."""
    at = page("real_images", train_steps=250, n_particles=50, frame=3)
    c = charts(at)
    mt = metrics(at)
    conf, dist, near = (mt[k] for k in ("like a digit", "nearest digit", "within 1.5"))
    for j, kind in enumerate(("digits-plain", "digits-annealed")):
        title = c[kind][0]["layout"]["title"]["text"]
        shown = re.search(r"step (\d+)", title)[1]
        alt = said(at, rf"chains at step {shown} of (\d+).*confidence {re.escape(conf[j][0])}, distance to the nearest "
                       rf"real digit {re.escape(dist[j][0])}\.")  # fmt: skip
        assert shown == "300" and alt[1] == "1000"
    note = said(at, r"What the numbers say").string
    m = re.search(rf"are (not )?closer to real digits \({NUM} vs {NUM} on average; (\d+)% vs (\d+)%", note)
    assert m[2] == dist[1][0] and m[3] == dist[0][0] and f"{m[4]}%" == near[1][0] and f"{m[5]}%" == near[0][0]
    better = float(m[2]) < float(m[3]) and int(m[4]) > int(m[5])
    assert (m[1] is None) == better
    assert "After the same 1000 steps" in note


# ------------------------------------------------------------------------------------------------ scene 11


def test_diffusion_lesson_quality_and_likelihood_are_the_charts():
    """Small runs (250 particles, 50 steps) at σ_max = 100 and a π off the slider's steps (no per-π meter frames):
    the metrics and the table are the meter's ends, the lesson's errors the table's and its verdict the one 2
    standard errors give (at σ_max = 100 it used to say "raise it"), annealed Langevin's NFE and every sampler's
    NFE-to-reach are read off the quality chart, the likelihood's largest difference off its scatter."""
    at = page("diffusion", pi=0.21, n_particles=250, n_steps=50, sigma_max=100)
    c = charts(at)
    meter = c["mode-fractions"][0]
    end = {
        t["meta"]["run"]: float(np.asarray(t["y"], float)[-1])
        for t in meter["data"]
        if (t.get("meta") or {}).get("role") == "fraction" and t["meta"]["mode"] == 0
    }
    mt = metrics(at)
    assert close(mt["reverse SDE"][0][0], end["reverse SDE"], 3) and close(mt["ODE (heun)"][0][0], end["ODE (heun)"], 3)
    table = said(at, r"\| start at t = 1 \|").string
    rows = {
        cells[0]: (float(cells[1]), float(cells[2]))
        for cells in ([x.strip() for x in line.strip("|").split("|")] for line in table.splitlines())
        if cells[0] in ("prior", "exact-prior")
    }
    assert rows["prior"] == (float(mt["reverse SDE"][0][0]), float(mt["ODE (heun)"][0][0]))
    pi, se = 0.21, float(np.sqrt(0.21 * 0.79 / 250))
    lesson = said(at, r"The ODE is a one-to-one map").string
    m = re.search(rf"off π by {NUM} \({NUM} standard errors\), from exact samples of p₁ by {NUM}; .* by {NUM} and "
                  rf"{NUM}\.", lesson)  # fmt: skip
    # ODE from the prior, ODE from exact samples of p₁, SDE from each
    errs = [
        abs(rows[start][k] - pi) for k, start in ((1, "prior"), (1, "exact-prior"), (0, "prior"), (0, "exact-prior"))
    ]
    for printed, e in zip((m[1], m[3], m[4], m[5]), errs, strict=True):
        assert abs(float(printed) - e) <= 0.0011  # the table's 3 decimals, subtracted
    assert ("keeps whatever its starting law gets wrong" in lesson) == (float(m[1]) > 2 * se)
    assert "raise it" not in lesson
    # quality vs cost: where annealed Langevin's distance is read, and the fewest NFE reaching it, per sampler
    q = c["quality-vs-nfe"][0]
    ann = trace(q, role="annealed Langevin")
    at_nfe, target = float(ann["x"][-1]), float(ann["y"][-1])
    alt = said(at, r"annealed Langevin's distance at (\d+) \(").string
    assert f"distance at {at_nfe:.0f} (" in alt and f"after {at_nfe:.0f} evaluations" in " ".join(texts(at))
    for t in q["data"]:
        name = t["meta"]["role"]
        if name.startswith("exact vs exact"):
            continue
        x, y = np.asarray(t["x"], float), np.asarray(t["y"], float)
        hit = x[np.isfinite(y) & (y <= target + 1e-6)]
        assert (f"{name} {hit.min():.0f}" if len(hit) else f"{name} not on the chart") in alt, (name, alt)
    lk = c["likelihood"][0]["data"][0]
    worst = float(np.max(np.abs(np.asarray(lk["y"], float) - np.asarray(lk["x"], float))))
    largest = said(at, rf"largest difference {NUM}")
    assert abs(float(largest[1]) - worst) <= 2e-5 + 0.01 * worst  # the chart's values are rounded to 5 decimals
    forward = c["score-field"][0]
    n_drawn = len(trace(forward, name="data samples")["x"])
    said(at, rf"exact score arrows and {n_drawn} samples x_t")
