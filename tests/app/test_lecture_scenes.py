"""AppTest of the scenes added for the rest of the lecture: how exact Langevin is (3) and slow mixing (8)."""

from __future__ import annotations

import numpy as np

from scoredemo.app import model_widgets as M
from tests.app.test_app import all_charts, charts, metric, ok, panels, scene


def _series(spec: dict) -> dict[str, dict]:
    return {t["meta"]["role"]: t for t in spec["data"]}


def test_step_size_scene_shows_ula_bias_and_exact_mala():
    at = scene("step_size", n_particles=250, n_steps=300)
    ok(at)
    c = charts(at)
    assert {"variance-vs-step", "acceptance-vs-step", "animation"} <= set(c)
    lines = _series(c["variance-vs-step"])
    eps = np.asarray(lines["ULA, measured"]["x"])
    ula = np.asarray(lines["ULA, measured"]["y"])
    mala = np.asarray(lines["MALA, measured"]["y"])
    formula = np.interp(eps, lines["ULA, σ²/(1 − ε/2σ²)"]["x"], lines["ULA, σ²/(1 − ε/2σ²)"]["y"])
    # 2000 particles: each variance ratio has relative standard error ≈ 2.2 %; 4 of them
    assert np.all(np.abs(ula / formula - 1) < 0.09), (ula, formula)
    assert np.all(np.abs(mala - 1) < 0.09), mala
    assert ula[-1] > 5  # at ε = 1.8σ² the predicted ratio is 10
    acc = np.asarray(_series(c["acceptance-vs-step"])["MALA acceptance rate"]["y"])
    assert np.all(np.diff(acc) < 0) and acc[0] > 0.9
    assert any("ULA's variance is" in cap.value for cap in at.caption)


def test_step_size_scene_mala_is_disabled_with_a_learned_score(monkeypatch):
    # The scene trains the learned scenes' default model (2000 steps; it has no steps control): 250 are enough
    # for a page whose MALA toggle is what is checked.
    monkeypatch.setattr(M, "DEFAULT_TRAIN_STEPS", 250)
    at = scene("step_size", score="learned", n_particles=250, n_steps=100)
    ok(at)
    toggle = at.toggle(key="mala-disabled")
    assert toggle.disabled and not toggle.value
    assert any("MALA needs log p" in i.value for i in at.info)


def test_step_size_scene_other_density_and_step():
    at = scene("step_size", density="eight-gaussians", step_size=0.1, n_particles=250, n_steps=200)
    ok(at)
    c = charts(at)
    assert "ULA, σ²/(1 − ε/2σ²)" not in _series(c["variance-vs-step"])  # the formula is for a Gaussian
    titles = [a["text"] for a in c["animation"]["layout"]["annotations"]]  # ULA | MALA: one figure, two panels
    assert len(titles) == 2 and all("ε = 0.1" in t for t in titles)


def test_mixing_time_scene_crossings_grow_with_separation():
    at = scene("mixing_time", n_steps=10000, n_particles=250)
    ok(at)
    c = charts(at)
    times = _series(c["crossing-time"])
    measured = np.asarray(times["measured (± 1 s.e.)"]["y"])
    assert np.all(np.diff(measured) > 0), measured
    assert np.all(np.diff(np.asarray(times["Kramers"]["y"])) > 0)
    crossed = _series(c["crossed-fraction"])
    assert crossed["d = 4"]["y"][-1] > 0.9 and crossed["d = 7"]["y"][len(crossed["d = 7"]["y"]) // 10] < 0.2
    assert float(metric(at, "measured slope of log(time) per unit of d").value) > 0.5
    assert any("| 7 |" in md.value for md in at.markdown)


def test_manifolds_pca_of_real_digits():
    """Issue 12 part 3: the variance curve is monotone to 1, 95 %/99 % need 29/41 of 64 components (computed), and
    the reconstructions follow the k slider."""
    at = scene("manifolds", pca_k=5, train_steps=250)
    ok(at)
    c = charts(at)
    curve = np.asarray(c["pca-variance"]["data"][0]["y"])
    assert np.all(np.diff(curve) >= -1e-9) and abs(curve[-1] - 1) < 1e-6
    assert "29 components: 95 % · 41: 99 %" in c["pca-variance"]["layout"]["title"]["text"]
    assert "k = 5 of 64" in c["pca-digits"]["layout"]["title"]["text"]
    kept = {m.label: m.value for m in at.metric}
    assert kept["MNIST (lecture)"] == "595 of 784" and kept["CIFAR-10 (lecture)"] == "2,165 of 3,072"
    assert kept["digits 8×8 (here)"] == "41 of 64"
    assert any("At k = 5" in md.value and "the digits lose detail" in md.value for md in at.markdown)
    at.slider(key="pca_k").set_value(64).run()
    assert "(100% of the variance)" in charts(at)["pca-digits"]["layout"]["title"]["text"]


def test_manifolds_pca_opens_on_almost_no_loss():
    """Issue 31, item 2: the default k keeps ≥ 99 % of the variance (the lecture's "almost no difference"), and the
    page says how far the rebuilt digits are from the originals, recomputed here from the data."""
    from scoredemo import digits

    at = scene("manifolds", train_steps=250)
    ok(at)
    x = digits.load()[0]
    p = digits.pca(x)
    k = at.slider(key="pca_k").value
    assert p.cumulative()[k - 1] >= 0.99 > p.cumulative()[k - 2]  # the fewest components that keep 99 %
    assert f"k = {k} of 64 components<br>(99% of the variance)" in charts(at)["pca-digits"]["layout"]["title"]["text"]
    rms = float(np.sqrt(np.mean((p.reconstruct(x, k) - x) ** 2)))
    assert rms < 0.5 / 16  # under half a grey level: "look like the originals" is true
    (said,) = [md.value for md in at.markdown if f"At k = {k} " in md.value]
    assert "the rebuilt digits look like the originals" in said and f"off by {rms:.3f} per pixel" in said
    assert f"{rms * 16:.2f} of one grey level" in said


def test_follow_the_score_side_by_side_over_the_arrows():
    """Issue 11 (small items): ascent and Langevin from the same start and seed, each over the score arrows."""
    at = scene("follow_score", compare="true", n_particles=250, n_steps=300)
    ok(at)
    (pair,) = all_charts(at, "animation")  # one figure: one Play and one slider drive both panels in step
    anims = panels(pair)
    for spec in anims:
        assert spec["data"][0]["type"] == "quiver"  # the arrows are drawn first: under the particles
    arrows = [i for i, t in enumerate(pair["data"]) if t["type"] == "quiver"]
    assert len(arrows) == 2 and all(not set(arrows) & set(fr["traces"]) for fr in pair["frames"])  # they stay still
    start = [np.asarray(s["frames"][0]["data"][0]["x"]) for s in anims]
    np.testing.assert_array_equal(start[0], start[1])  # the same start
    ascent = metric(at, "gradient ascent: mean ‖s(x)‖")
    langevin = metric(at, "Langevin: mean ‖s(x)‖")
    assert float(ascent.value) < 0.1 * float(langevin.value)


def test_real_data_scene_trains_both_models_and_shows_the_checks():
    """Issue 12 part 4 at a small size (250 training steps, 50 chains): two image grids (plain, annealed) over the
    recorded steps, the three checks for each, and the references computed on real digits and noise."""
    at = scene("real_images", train_steps=250, n_particles=50, frame=10)
    ok(at)
    grids = {k: v for k, v in charts(at).items() if k.startswith("digits-")}
    assert set(grids) == {"digits-plain", "digits-annealed"}
    assert "step 1000" in grids["digits-annealed"]["layout"]["title"]["text"]
    labels = [m.label for m in at.metric]
    assert labels.count("nearest digit") == 2 and labels.count("like a digit") == 2
    assert any("nearest *other* real digit" in md.value for md in at.markdown)
    at.slider(key="frame").set_value(0).run()
    assert "step 0" in charts(at)["digits-plain"]["layout"]["title"]["text"]
