"""Scene 9 — the fix: annealed Langevin over noise levels σ_max → σ_min recovers the mode weights."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo import metrics
from scoredemo.app import alt_text, settings
from scoredemo.app import builders as B
from scoredemo.app import custom_density as CD
from scoredemo.app import keys as K
from scoredemo.app import model_widgets as M
from scoredemo.app import trained as T
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page
from scoredemo.app.keys import CUSTOM, DensityKey
from scoredemo.app.scenes import cite
from scoredemo.samplers import geometric_sigmas

PAGE = "annealed-langevin"
#: The ncsn-mixture's modes, in its order (π is the first's weight).
MODE_NAMES = ["lower-left", "upper-right"]
#: The registry density of the page (the NCSN toy, whose σ range and step size these defaults are); then the drawing.
DENSITY_NAMES = ["ncsn-mixture"]


INTRO = W.Intro(
    "The fix: annealed Langevin",
    "Blur the density with a lot of noise first: at large σ the two modes merge into one blob whose score "
    "*does* feel π, and it is known everywhere. Then lower σ step by step, running Langevin at each level "
    "from where the last one ended (NCSN, Algorithm 1). The particles split between the modes in the right "
    "proportions before the modes separate.",
    r"\sigma_1 = \sigma_{\max} > \dots > \sigma_L = \sigma_{\min}, \qquad "
    r"x \leftarrow x + \varepsilon_i\, s(x, \sigma_i) + \sqrt{2\varepsilon_i}\, z, \qquad "
    r"\varepsilon_i = \varepsilon\, \sigma_i^2 / \sigma_L^2",
)


def render() -> None:
    W.intro(INTRO)
    page = Page(PAGE)
    st.sidebar.header("Noise levels")
    sigma_max = page.slider("σ_max", "sigma_max", 20.0, 1.0, 40.0, 0.5)
    sigma_min = page.slider("σ_min", "sigma_min", 1.0, 0.05, 5.0, 0.05)
    levels = page.int_slider("levels L", "levels", 10, 2, 20)
    per_level = page.int_slider("steps per level T", "steps_per_level", 100, 10, 300, 10)
    st.sidebar.header("Sampler")
    eps = page.slider("step size ε (at σ_min)", "step_size", 0.05, 0.001, 0.5, 0.001, fmt="%.3f")
    dkey_name = page.select(
        "density",
        "density",
        [*DENSITY_NAMES, CUSTOM],
        DENSITY_NAMES[0],
        help="ncsn-mixture: the NCSN paper's toy, π·N((−5,−5), I) + (1−π)·N((5,5), I); custom: your drawing "
        f"(drawn on {cite('score-fields')}'s chart or typed in the component table), one mode per bump and per "
        "filled region.",
    )
    drawn = dkey_name == CUSTOM
    pi_box = st.sidebar.container()
    if drawn:
        text, _ = W.custom_table(page)  # a bad text: the table says so, and the last good drawing is used
        dkey, pi = DensityKey(CUSTOM, (), text), None
    else:
        pi = page.slider("π (weight of the lower-left mode)", "pi", 0.2, 0.05, 0.95, 0.01, container=pi_box)
        dkey = K.density_key("ncsn-mixture", pi=pi)
    n = page.select("particles", "n_particles", list(settings.PARTICLE_CHOICES), 1280)
    seed = page.number("seed", "seed", 0, 0, 9999)
    learned, train_steps = M.ncsn_controls(
        page,
        score_help="exact: the closed-form score of p_σ; learned: a noise-conditional network (ncsn).",
        train_help="The ncsn network of the learned score, and of the error check at the bottom of the page.",
    )
    page.finish()

    dens = K.get_density(dkey)
    view = W.mode_view(dkey, dens, None if drawn else MODE_NAMES)
    if drawn:
        pi_box.caption(W.drawn_weights_caption(view, "π does not apply"))
    if W.sigma_range_problem(sigma_max, sigma_min, dkey):
        return
    tkey = ncsn_key(dkey, train_steps, sigma_max, sigma_min, levels, seed)
    model = None
    if learned:
        if M.train_block(tkey, page_id=PAGE) is None:
            return
        model = tkey
    init = B.InitSpec(8.0)
    total = levels * per_level
    annealed = B.particles(
        dkey,
        "annealed",
        eps,
        1.0,
        per_level,
        int(n),
        seed,
        init,
        sigma_max=sigma_max,
        sigma_min=sigma_min,
        levels=levels,
        model=model,
    )
    plain = B.particles(
        dkey, "langevin", eps, 1.0, total, int(n), seed, init, sigma=sigma_min if model else 0.0, model=model
    )
    sigmas = geometric_sigmas(sigma_max, sigma_min, levels)
    W.warn_divergence(annealed, eps, dens, sigmas=sigmas)
    W.warn_divergence(plain, eps, dens, sigmas=[sigma_min] if model else None)
    f = B.field(dkey, 0.0)

    # p_σᵢ behind each level's frames, in a view that widens with σ (the particles spread like p_σ does)
    # (a level opens with the particles of the level before, still spread like the previous σ: its view is that σ's)
    boxes = [level_box(float(sigmas[max(i - 1, 0)]), f.box) for i in range(len(sigmas))]
    blurred = [B.field(dkey, float(g), box=b) for g, b in zip(sigmas, boxes, strict=True)]
    level_of = [int(np.argmin(np.abs(sigmas - g))) for g in annealed.frame_sigmas]
    annealed_anim = F.Animation(
        sets=[F.ParticleSet(annealed.trajectory, "annealed Langevin")],
        box=f.box,
        frame_labels=B.frame_labels(annealed, annealed=True),
        backgrounds=[(g.xs, g.ys, g.density) for g in blurred],
        background_index=level_of,
        frame_boxes=[boxes[i] for i in level_of],
        title=f"annealed Langevin<br>σ {sigma_max:g} → {sigma_min:g}, {levels} × {per_level} steps",
    )
    plain_anim = F.Animation(
        sets=[F.ParticleSet(plain.trajectory, "plain Langevin", color=F.OKABE_ITO["blue"], symbol="diamond")],
        box=f.box,
        frame_labels=B.frame_labels(plain),
        background=(f.xs, f.ys, f.density),
        title=f"plain Langevin<br>{total} steps" + (f", learned s(x, σ = {sigma_min:g})" if model else ""),
    )
    alt = " ".join(
        alt_text.particles(
            label,
            int(n),
            total,
            view.fractions(run.fractions[-1]),
            view.true_weights,
            view.names,
            diverged_at=run.diverged_at,
        )  # fmt: skip
        for label, run in (
            (f"annealed Langevin (σ {sigma_max:g} → {sigma_min:g}, over p_σ of each level)", annealed),
            ("plain Langevin (over p)", plain),
        )
    )
    left, right = W.stage_beside()
    with left:
        # one figure, two panels: one Play, one slider, the same step of both runs at once
        W.animation_block(
            [annealed_anim, plain_anim], annealed, key="animation", file_stem="scoredemo-annealed-vs-plain", alt=alt
        )
    with right:
        if view.n_weighted < 2:
            W.single_mode_note(view)
        else:
            _meter(view, annealed, plain, pi=pi)
    merged = count_peaks(blurred[0].log_density) == 1
    if drawn:
        st.caption(
            drawn_spread_caption(dkey, dens, view, annealed, sigma_min, boxes, L=levels, T=per_level, merged=merged)
        )
    else:
        st.caption(spread_caption(dens, annealed, sigma_min, boxes, L=levels, T=per_level, merged=merged))

    if view.n_weighted >= 2:
        _weights(view, annealed, plain, total=total, n=int(n), pi=pi)
    st.markdown(
        "This is the idea behind **diffusion models**: learn the score of the data blurred at every noise level, "
        "then start from pure noise and remove it level by level."
    )
    error_check(tkey, sigma_max, sigma_min, trained_above=model is not None)


def _meter(view: W.ModeView, annealed, plain, *, pi: float | None) -> None:
    """The mode-fraction meter of both runs (on the stage, beside them: its cursor follows the frame they show)."""
    w = view.true_weights
    fa, fp = view.fractions(annealed.fractions), view.fractions(plain.fractions)
    if pi is None:
        tv_a, tv_p = W.tv_distance(fa[-1], w), W.tv_distance(fp[-1], w)
        alt = (
            f"Mode-fraction meter, one line per mode, against the drawing's weights ({view.split(w)}, dotted): at "
            f"the end annealed Langevin (solid) is {tv_a:.2f} away from them and plain Langevin (dashed) {tv_p:.2f} "
            "(total-variation distance)."
        )
    else:
        alt = (
            f"Mode-fraction meter: the lower-left mode holds {alt_text.pct(fa[-1][0])} at the end with annealing "
            f"(solid) and {alt_text.pct(fp[-1][0])} with plain Langevin (dashed); the true π is {alt_text.pct(pi)}."
        )
    W.chart(
        F.mode_fraction_spec(
            annealed.frame_steps,
            {"annealed": fa, "plain": fp},
            w,
            mode_names=view.names,
            title="mode-fraction meter",
            cursor=W.cursor(annealed),
        ),
        "meter",
        alt=alt,
        stage=True,
    )


def _weights(view: W.ModeView, annealed, plain, *, total: int, n: int, pi: float | None) -> None:
    """The final weights as bars, with what they show: the first mode's share against π (the NCSN toy), or each
    run's total-variation distance from a drawing's weights next to what exact samples of as many particles get
    (``pi`` None)."""
    w = view.true_weights
    fa, fp = view.fractions(annealed.fractions), view.fractions(plain.fractions)
    if pi is None:
        tv_a, tv_p, noise = W.tv_distance(fa[-1], w), W.tv_distance(fp[-1], w), W.sampling_tv(w, n)
        said = (
            f"After {total} steps each, the total-variation distance ½ Σ |fraction − weight| from the drawing's "
            f"weights is {tv_a:.2f} with annealing and {tv_p:.2f} with plain Langevin; exact samples of {n} "
            f"particles land about {noise:.2f} away by chance. Annealed: {view.split(fa[-1])}. Plain: "
            f"{view.split(fp[-1])}."
        )
    else:
        said = weights_verdict(float(fa[-1][0]), float(fp[-1][0]), pi, n, total)
    left, right = st.columns([3, 2])
    with left:
        W.chart(
            F.weights_bar_spec(w, {"plain Langevin": fp[-1], "annealed": fa[-1]}, mode_names=view.names),
            "weights",
        )
    with right:
        st.caption(said)
        if pi is None:
            st.caption("Where the modes are: " + "; ".join(view.where) + ".")


def ncsn_key(dkey, steps: int, sigma_max: float, sigma_min: float, levels: int, seed: int) -> K.TrainKey:
    return K.train_key(dkey, "ncsn", steps, sigma_max=sigma_max, sigma_min=sigma_min, levels=levels, seed=seed)


def default_models() -> list[K.TrainKey]:
    """The ncsn model the default view's error check trains (the server's warm-up trains it at start-up)."""
    return [ncsn_key(K.density_key("ncsn-mixture", pi=0.2), M.NCSN_TRAIN_STEPS, 20.0, 1.0, 10, 0)]


def level_box(sigma: float, box: float) -> float:
    """Half-width of the view at noise level σ: p_σ's modes have std √(1 + σ²), so ±(5 + 2.5σ) keeps the particles
    in view (at least the clean picture's ``box``)."""
    return float(max(box, np.ceil(5.0 + 2.5 * sigma)))


def weights_verdict(annealed: float, plain: float, pi: float, n: int, total: int) -> str:
    """The meter's end in words: each run's lower-left share against π, in binomial standard errors of n particles
    (within two: "recovers π")."""
    se = alt_text.binomial_se(pi, n)
    z_a, z_p = abs(annealed - pi) / se, abs(plain - pi) / se
    head = (
        f"After {total} steps each: plain Langevin puts {plain:.0%} in the lower-left mode, annealed {annealed:.0%}; "
        f"the truth is π = {pi:.0%} (± {se:.1%}, the binomial standard error of {n} particles). "
    )
    if z_a <= 2 and z_p <= 2:
        return head + "Both are within two standard errors of π here."
    if z_a <= 2:
        return head + f"Annealing recovers π within sampling error; plain Langevin is {z_p:.0f} standard errors off."
    if z_a < z_p:
        return head + (
            f"Annealing comes closer ({z_a:.1f} standard errors off, plain Langevin {z_p:.0f}), but not within "
            "sampling error."
        )
    return head + f"Here annealing is no closer than plain Langevin ({z_a:.1f} vs {z_p:.1f} standard errors off)."


def count_peaks(log_density: np.ndarray) -> int:
    """Local maxima of a density on its grid: connected groups of points at least as high as their 8 neighbours
    (a peak that falls between grid points shows as two equal neighbours; the border rows, and points below e⁻²⁰
    of the highest, are not counted)."""
    from scipy import ndimage  # noqa: PLC0415 - only this caption needs it

    d = np.asarray(log_density, np.float64)
    inner = d[1:-1, 1:-1]
    peak = inner > d.max() - 20.0  # not a flat underflowed floor far from every mode
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:
                peak &= inner >= d[1 + dy : d.shape[0] - 1 + dy, 1 + dx : d.shape[1] - 1 + dx]
    return int(ndimage.label(peak, structure=np.ones((3, 3)))[1])


def _blob(merged: bool, sigma_max: float, modes: str) -> str:
    """What p_σ at σ_max looks like: one blob (the modes merged: one peak on its picture) or not yet."""
    if merged:
        return (
            f"at σ_max = {sigma_max:g} {modes} are one blob (p_σ has a single peak), and the particles spread over it"
        )
    return (
        f"at σ_max = {sigma_max:g} {modes} are not yet one blob (p_σ still has several peaks: a larger σ_max merges "
        "them), and the particles spread over it"
    )


def spread_caption(dens, run, sigma_min: float, boxes: list[float], *, L: int, T: int, merged: bool = True) -> str:
    """Why the final cloud is wider than p: the last level samples p_σmin = p ∗ N(0, σ_min² I). ``merged``: p_σ at
    σ_max (the run's first frame's σ) has a single peak."""
    sigma_max = float(run.frame_sigmas[0])
    w = float(np.min(np.asarray(dens.mixture.scales)))
    modes, finite = metrics.assign_modes(dens.mixture, run.samples)
    x = np.asarray(run.samples, np.float64)[finite & (modes == 1)]
    measured = f" (measured: {float(np.mean(x.std(axis=0))):.2f})" if len(x) > 10 else ""
    return (
        f"Behind each level of the left animation is p_σ at that level's σ, and the view widens with σ "
        f"(±{boxes[0]:g} at σ_max, ±{boxes[-1]:g} at the last level): {_blob(merged, sigma_max, 'the two modes')} "
        f"before the modes separate (the meter below shows the split they end with). {L} levels × {T} steps "
        f"= {L * T} steps, as many as plain Langevin's on the right. The final cloud is wider than p because "
        f"the last level samples p_σ at σ_min = {sigma_min:g}, p ∗ N(0, σ_min² I): each mode's standard deviation "
        f"is √({w:g}² + {sigma_min:g}²) = {np.sqrt(w**2 + sigma_min**2):.2f} instead of {w:g}{measured}."
    )


def drawn_spread_caption(
    dkey: DensityKey,
    dens,
    view: W.ModeView,
    run,
    sigma_min: float,
    boxes: list[float],
    *,
    L: int,
    T: int,
    merged: bool = True,
) -> str:
    """:func:`spread_caption` for a drawing: the final cloud samples p_σmin = p ∗ N(0, σ_min² I), so a bump of
    scale s comes out with standard deviation √(s² + σ_min²) (measured on the heaviest bump's particles) and a
    filled region's edges blur by about σ_min."""
    sigma_max = float(run.frame_sigmas[0])
    d = CD.parse_drawing(dkey.components)
    text = (
        f"Behind each level of the left animation is p_σ at that level's σ, and the view widens with σ "
        f"(±{boxes[0]:g} at σ_max, ±{boxes[-1]:g} at the last level): "
        + _blob(merged, sigma_max, "the drawing's modes")
        + " before the modes separate (the meter below shows the split they end with). "
        f"{L} levels × {T} steps = {L * T} steps, as many as plain Langevin's on the right. The final "
        f"cloud is wider than the drawing because the last level samples p_σ at σ_min = {sigma_min:g}, "
        "p ∗ N(0, σ_min² I)"
    )
    w = np.asarray(dens.true_weights, np.float64)
    if len(d.bumps) and w[: len(d.bumps)].max() > 0:
        k = int(np.argmax(w[: len(d.bumps)]))  # the heaviest bump: the most particles to measure its spread on
        s = float(d.bumps[k, 2])
        modes, finite = metrics.assign_modes(dens.mixture, run.samples)
        x = np.asarray(run.samples, np.float64)[finite & (modes == k)]
        measured = f" (measured: {float(np.mean(x.std(axis=0))):.2f})" if len(x) > 10 else ""
        text += (
            f": bump {k + 1}, of scale {s:g}, comes out with standard deviation √({s:g}² + {sigma_min:g}²) = "
            f"{np.sqrt(s**2 + sigma_min**2):.2f}{measured}"
        )
        text += ", and each filled region's edges blur by about σ_min." if d.regions else "."
    else:
        text += ": each filled region's edges blur by about σ_min."
    return text


def error_check(tkey: K.TrainKey, sigma_max: float, sigma_min: float, *, trained_above: bool) -> None:
    """The low-density scene's error-by-density, re-measured for a noise-conditional model at σ_max and at σ_min.

    The error is σ²·mean‖s_θ(x, σ) − ∇ log p_σ(x)‖² per decade of the clean density: the ncsn loss's own weight
    λ(σ) = σ², and the size of the sampler's mistake (the step ε_σ ∝ σ² multiplies the score). The relative error
    Σ‖s_θ − s_σ‖²/Σ‖s_σ‖² of the low-density scene would mislead at σ_max, where the true score itself is
    ~|x|/σ² ≈ 0.02.
    """
    st.subheader("Noise makes the learned score accurate everywhere")
    st.markdown(
        f"{cite('low-density').capitalize()}'s error-by-density again, for the noise-conditional network "
        f"s_θ(x, σ) ({tkey.steps} ncsn training steps), against the exact score of p_σ on a grid over the picture, "
        "binned by how much **clean** data density is there. The error is measured in units of the noise, "
        "σ²·‖s_θ − s_σ‖² (the weight the ncsn loss gives each level)."
    )
    if not trained_above and M.train_block(tkey, page_id=PAGE, label="Train") is None:
        return
    per = {}
    for g in (float(sigma_max), float(sigma_min)):
        e = T.error_by_density_at(tkey, g)
        per[g] = (g**2 * e.mean_sq_error, e.counts, e.edges)
    c1, c2 = st.columns([3, 2])
    with c1:
        W.chart(
            F.decade_errors_spec(
                per[float(sigma_max)][2],
                {f"σ_max = {g:g}" if j == 0 else f"σ_min = {g:g}": v[:2] for j, (g, v) in enumerate(per.items())},
                y_title="σ²·mean ‖s_θ − s_σ‖²",
                title="error by density of p",
                height=480,  # its x title takes two lines: at 420 px the plot was 178 px tall
            ),
            "error-by-sigma",
        )
    with c2:
        ratios = {}
        for g, (err, counts, _) in per.items():
            full = np.flatnonzero(counts > 0)
            ratios[g] = float(err[full[0]] / err[full[-1]])  # emptiest decade / densest decade
            st.metric(
                f"σ = {g:g}: error ratio, emptiest ÷ densest",
                _times(ratios[g]),
                help="σ²·mean‖s_θ − s_σ‖² where p is tiniest (the emptiest decade of p) divided by the same near the "
                "modes (the densest decade).",
            )
        hi, lo = _times(ratios[float(sigma_max)]), _times(ratios[float(sigma_min)])
        # the pitfall is named only when the numbers show it (a drawing, or a short training, may not)
        pitfall = ratios[float(sigma_min)] > 3 * max(ratios[float(sigma_max)], 1.0)
        # how much of the picture the blurred data reaches (p_σ above 10⁻⁴ of its peak: the low-density threshold)
        cover = float(np.mean(B.field(tkey.density, float(sigma_max)).density >= 1e-4))
        st.caption(
            f"At σ_max = {sigma_max:g} the blurred data reaches {cover:.0%} of the picture (p_σ above 10⁻⁴ of its "
            f"peak), so the network was trained there: where p is tiniest its error is {hi} what it is near the "
            "modes. At σ_min = "
            f"{sigma_min:g} it is {lo}"
            + (
                ", the low-density pitfall again — but annealed Langevin uses the small σ only once the particles "
                "are already near the data."
                if pitfall
                else ": here not much worse than at σ_max."
            )
        )


def _times(r: float) -> str:
    return f"{r:.0f}×" if r >= 10 else f"{r:.2g}×"
