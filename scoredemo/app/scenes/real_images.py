"""Scene 10 — real data: on the handwritten digits, plain Langevin with a single-σ model vs annealed Langevin with a
noise-conditional model, from noise, with checks a person can read."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import digit_models, digits
from scoredemo import figures as F
from scoredemo.app import builders as B
from scoredemo.app import glossary as G
from scoredemo.app import keys as K
from scoredemo.app import model_widgets as M
from scoredemo.app import trained as T
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page

PAGE = "real-data"
#: Training steps the scene opens with: both models train in about a minute on two idle cores (10 000, the
#: engine's default, takes a few minutes here; the numbers of both are in digit_models' docstring).
TRAIN_STEPS, SEED = 3000, 0
SHOWN = 20  # chains drawn per sampler (four rows of five: digits large enough to read, and a slide's shape)


def models(steps: int, seed: int) -> tuple[K.TrainKey, K.TrainKey]:
    """The single-σ (dsm) and the noise-conditional (ncsn) digits models."""
    dkey = K.DensityKey(T.DIGITS)
    return (
        K.TrainKey(dkey, digit_models.train_config("dsm", steps=steps, seed=seed)),
        K.TrainKey(dkey, digit_models.train_config("ncsn", steps=steps, seed=seed)),
    )


def default_models() -> list[K.TrainKey]:
    """The models the default view trains (the server's warm-up trains them at start-up)."""
    return list(models(TRAIN_STEPS, SEED))


INTRO = W.Intro(
    "Real data: plain Langevin vs annealing, on handwritten digits",
    "Train a score network on 1 797 real 8×8 digits and sample from noise. With a model of one small noise "
    "level, plain Langevin starts where the score was never learned (far from every digit) and follows "
    "whatever arrows the network makes up there. A noise-conditional model learned the score at large σ too, "
    "so annealed Langevin can start from noise and sharpen step by step.",
    # two lines: on one, 85 px wider than the page at 1280 px with the sidebar open
    r"\begin{gathered}\text{plain: } x \leftarrow x + \varepsilon\, s_\theta(x) + \sqrt{2\varepsilon}\,z \\ "
    r"\text{annealed: } x \leftarrow x + \varepsilon_i\, s_\theta(x, \sigma_i) + \sqrt{2\varepsilon_i}\,z,\;"
    rf"\sigma_i: {digit_models.SIGMA_MAX:g} \to {digit_models.SIGMA_MIN:g}\end{{gathered}}",
)


def render() -> None:
    W.intro(INTRO)
    page = Page(PAGE)
    st.sidebar.header("Models (3 × 512 SiLU)")
    steps = page.int_slider(
        "training steps",
        "train_steps",
        TRAIN_STEPS,
        250,
        10000,
        250,
        help=G.with_terms("Both models: the single-σ one and the noise-conditional one.", "dsm", "ncsn"),
    )
    seed = page.number("seed", "seed", SEED, 0, 9999)
    st.sidebar.header("Sampling")
    n = page.select("chains", "n_particles", [50, 100, 200], 100)
    frame = page.int_slider("recorded step (0 = the noise they start from)", "frame", 10, 0, digit_models.FRAMES - 1)
    page.finish()

    single, conditional = models(steps, seed)
    if M.train_block([single, conditional], page_id=PAGE, label="Train both") is None:
        return
    plain = B.digit_samples(single, "langevin", int(n), seed)
    annealed = B.digit_samples(conditional, "annealed", int(n), seed)
    ref = B.digit_references()
    k = min(frame, len(plain.frame_steps) - 1, len(annealed.frame_steps) - 1)
    c1, c2 = W.stage().columns(2)
    for col, run, name in ((c1, plain, "plain Langevin, single-σ model"), (c2, annealed, "annealed Langevin")):
        with col:
            W.chart(
                F.image_grid_spec(
                    run.trajectory[k, :SHOWN],
                    n_cols=5,
                    kind=f"digits-{name.split()[0]}",
                    title=f"{name}: step {int(run.frame_steps[k])}",
                    height=300,
                ),  # fmt: skip
                f"digits-{name.split()[0]}",
                alt=grid_alt(run, k, int(n)),
                stage=True,
            )
            # labels short enough for a sixth of a 1280-px page; what they measure in their help
            m1, m2, m3 = st.columns(3)
            m1.metric(
                "like a digit",
                f"{run.confidence:.2f}",
                help="A classifier's mean top-class probability over the chains (trained on the real digits).",
            )
            m2.metric("nearest digit", f"{run.nearest:.2f}", help="Mean distance to the nearest real digit.")
            m3.metric(
                f"within {B.NEAR:g}",
                f"{run.near_fraction:.0%}",
                help=f"The fraction of chains within {B.NEAR:g} of a real digit.",
            )
    st.markdown(what_the_numbers_say(plain, annealed, ref))
    if plain.n_finite < int(n):
        st.warning(f"{int(n) - plain.n_finite} plain-Langevin chains diverged (left every digit for good).")
    st.caption(
        f"Single-σ model: denoising score matching at σ = {digit_models.DSM_SIGMA:g}, plain Langevin "
        f"{digit_models.LANGEVIN_STEPS} steps of ε = {digit_models.STEP_RATIO:g}·σ². Noise-conditional model: the "
        f"NCSN objective on {digit_models.LEVELS} geometric levels {digit_models.SIGMA_MAX:g} → "
        f"{digit_models.SIGMA_MIN:g} (σ_max ≈ the largest distance between two digits), annealed Langevin "
        f"{digit_models.STEPS_PER_LEVEL} steps per level, ε_i = ε·σ_i²/σ_L². Both start from uniform noise on "
        f"[0, 1]⁶⁴, {int(n)} chains, seed {seed}. Move the step slider to watch them form."
    )


def grid_alt(run: B.DigitSamples, k: int, n: int) -> str:
    """The image grid's text: which recorded step it shows, and the checks of the last step (what the metrics
    under it say)."""
    shown, last = int(run.frame_steps[k]), int(run.frame_steps[-1])
    return (
        f"{SHOWN} of {n} chains at step {shown} of {last}"
        + (f" ({run.n_finite} finite at the end)" if run.n_finite < n else "")
        + f"; after step {last}: classifier confidence {run.confidence:.2f}, distance to the nearest real digit "
        f"{run.nearest:.2f}."
    )


def nearest_by_frame(run: B.DigitSamples) -> np.ndarray:
    """(F,) mean distance of the finite chains to their nearest real digit at each recorded step."""
    out = []
    for frame in run.trajectory:
        d = digits.nearest_train_distance(frame)
        out.append(float(np.mean(d[np.isfinite(d)])) if np.isfinite(d).any() else float("nan"))
    return np.asarray(out)


#: A drift away from the data counts when the mean nearest-digit distance rises this much above its lowest.
DRIFT = 0.05


def what_the_numbers_say(plain: B.DigitSamples, annealed: B.DigitSamples, ref: dict[str, float]) -> str:
    """The metrics of both samplers in words, each claim from the numbers it names: which is closer to real digits,
    the scale (real digits, noise), and whether plain Langevin's chains drift away from the data over its run."""
    steps_p, steps_a = int(plain.frame_steps[-1]), int(annealed.frame_steps[-1])
    when = f"After the same {steps_p} steps" if steps_p == steps_a else f"After {steps_a} and {steps_p} steps"
    better = annealed.nearest < plain.nearest and annealed.near_fraction > plain.near_fraction
    d = nearest_by_frame(plain)
    j = int(np.nanargmin(d)) if np.isfinite(d).any() else len(d) - 1
    if np.isfinite(d[-1]) and d[-1] > d[j] + DRIFT:
        drift = (
            f"and it gets worse the longer it runs: its chains are closest to real digits at step "
            f"{int(plain.frame_steps[j])} ({d[j]:.2f} on average) and drift to {d[-1]:.2f} by step {steps_p}."
        )
    else:
        drift = (
            f"and here its chains do not drift away over the run: their mean distance to a real digit ends within "
            f"{DRIFT:g} of its lowest ({d[j]:.2f}, at step {int(plain.frame_steps[j])})."
        )
    return (
        f"**What the numbers say.** {when}, annealed Langevin's samples are "
        f"{'closer to' if better else 'not closer to'} real digits ({annealed.nearest:.2f} vs {plain.nearest:.2f} "
        f"on average; {annealed.near_fraction:.0%} vs {plain.near_fraction:.0%} within {B.NEAR:g}). For scale: a "
        f"real digit's nearest *other* real digit is {ref['real_nearest_other']:.2f} away, uniform noise "
        f"{ref['noise_nearest']:.2f}. The classifier says {annealed.confidence:.2f} vs {plain.confidence:.2f}, but "
        f"it is a weak judge: it gives real digits {ref['real_confidence']:.2f} and pure noise "
        f"{ref['noise_confidence']:.2f}. Plain Langevin's failure on these small 8×8 images can look milder than in "
        f"the lecture's MNIST pictures ({plain.near_fraction:.0%} of its samples end within {B.NEAR:g} of a real "
        f"digit), {drift}"
    )
