"""Scene 7 — pitfall: mixing and π. With disjoint supports the score does not depend on π, so Langevin can't see it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo import metrics
from scoredemo.app import alt_text, settings
from scoredemo.app import builders as B
from scoredemo.app import custom_density as CD
from scoredemo.app import keys as K
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page
from scoredemo.app.keys import CUSTOM, DensityKey
from scoredemo.app.scenes import cite

PAGE = "mixing"
START_TITLES = {"uniform": "uniform noise", "data": "the data", "one-mode": "the left mode"}
#: The registry densities offered (two modes with a π), then the drawing.
DENSITY_NAMES = ["disjoint", "two-modes", "ncsn-mixture"]
#: The registry densities' modes, in their order (π is the first's weight).
MODE_NAMES = ["left mode", "right mode"]
#: The meter's height: in two fifths of a 1280-px page, at the default 420 px its plot was 173 px tall.
METER_HEIGHT = 480
#: A run "mixes" when at least this fraction of its particles ends in another mode than it started in.
MIXED = 0.05


INTRO = W.Intro(
    "Pitfall: mixing and π",
    "Take two modes with weights π and 1 − π and (numerically) disjoint supports. On the first support "
    "∇ log p = ∇ log p₁, on the second ∇ log p = ∇ log p₂: **π has disappeared from the score**. "
    "Langevin started from uniform noise keeps whatever split the starting points had, about half and half, "
    "whatever π is.",
    r"p = \pi\, p_1 + (1-\pi)\, p_2 \;\Rightarrow\; \nabla_x \log p(x) = "
    r"\begin{cases} \nabla_x \log p_1(x) & x \in \operatorname{supp} p_1 \\ "
    r"\nabla_x \log p_2(x) & x \in \operatorname{supp} p_2 \end{cases}",
)


def render() -> None:
    W.intro(INTRO)
    page = Page(PAGE)
    st.sidebar.header("Controls")
    pi_box = st.sidebar.container()  # π and π′ sit above the density picker, but depend on it: drawn after it
    dkey_name = page.select(
        "density",
        "density",
        [*DENSITY_NAMES, CUSTOM],
        "disjoint",
        help="Two-mode densities of the registry that have a π, or custom: your drawing (drawn on "
        f"{cite('score-fields')}'s chart "
        "or typed in the component table), one mode per bump and per filled region.",
    )
    drawn = dkey_name == CUSTOM
    if drawn:
        text, _ = W.custom_table(page)  # a bad text: the table says so, and the last good drawing is used
        key = DensityKey(CUSTOM, (), text)
        pi = pi_other = None
    else:
        pi = page.slider("π (weight of the left mode)", "pi", 0.67, 0.05, 0.95, 0.01, container=pi_box)
        pi_other = page.slider("compare with π′", "pi_other", 0.2, 0.05, 0.95, 0.01, container=pi_box)
        key = K.density_key(dkey_name, pi=pi)
    eps = page.slider("step size ε", "step_size", 0.02, 0.001, 1.0, 0.001, fmt="%.3f")
    steps = page.int_slider("steps", "n_steps", 1000, 10, 5000, 10)
    start = page.select(
        "start",
        "init",
        list(B.INIT_KINDS),
        "uniform",
        help="uniform: noise on the whole picture; data: exact samples of p (already in the right proportions); "
        "one-mode: every particle in the left mode (in a drawing: its first mode, bump 1 or region 1).",
    )
    n = page.select("particles", "n_particles", list(settings.PARTICLE_CHOICES), 1000)
    seed = page.number("seed", "seed", 0, 0, 9999)
    page.finish()

    dens = K.get_density(key)
    view = W.mode_view(key, dens, None if drawn else MODE_NAMES)
    if drawn:
        pi_box.caption(W.drawn_weights_caption(view, "π and π′ do not apply"))
    f = B.field(key, 0.0, n_arrows=15)
    # Visual order: the π-vs-π′ score fields on top, the Langevin run below. The run and its meter are drawn first
    # (into their slots) because they answer the question a π move asks; the fields follow in the same rerun.
    fields_row, run_row = st.container(), W.stage()

    run = B.particles(key, "langevin", eps, 1.0, steps, int(n), seed, B.InitSpec(dens.box, kind=start))
    start_title = f"{view.names[0]}" if drawn and start == "one-mode" else START_TITLES[start]
    W.warn_divergence(run, eps, dens)
    with run_row:
        left, right = st.columns([3, 2])
    start_modes, _ = metrics.assign_modes(dens.mixture, run.trajectory[0])
    end_modes, _ = metrics.assign_modes(dens.mixture, run.trajectory[-1])
    crossed = float(np.mean(start_modes != end_modes))
    with right:
        if view.n_weighted < 2:
            W.single_mode_note(view)
        elif drawn:
            _drawn_meter(view, run, start, crossed, int(n))
        else:
            _meter(view, run, start, crossed, pi)
    with left:
        anim = F.Animation(
            sets=[F.ParticleSet(run.trajectory, "Langevin particles")],
            box=f.box,
            frame_labels=B.frame_labels(run),
            background=(f.xs, f.ys, f.density),
            title=f"Langevin from {start_title}" + ("" if drawn else f", π = {pi:.2f}"),
        )
        alt = alt_text.particles(
            "Langevin",
            int(n),
            int(run.frame_steps[-1]),
            view.fractions(run.fractions[-1]),
            view.true_weights,
            view.names,
            diverged_at=run.diverged_at,
        )
        W.animation_block(anim, run, key="animation", file_stem="scoredemo-mixing", alt=alt)

    if drawn:
        if view.n_weighted < 2:
            with fields_row:
                st.info(
                    "**The score comparison needs two modes.** With a single weighted mode there is no other "
                    "split of the weights to compare the score with.",
                    icon=":material/compare_arrows:",
                )
            return
        d = CD.parse_drawing(key.components)
        weights, change = CD.comparison_weights(d)
        key_other = DensityKey(CUSTOM, (), CD.drawing_text(CD.with_mode_weights(d, weights)))
        own = np.asarray(dens.true_weights, np.float64)
        other = weights / weights.sum()
        on = own > 0
        ratio = float(np.max(np.maximum(own[on] / other[on], other[on] / own[on])))
        titles = ("your drawing", change)
        diff_title = "‖s − s′‖"
        what = "the drawing's mass"
    else:
        key_other = K.density_key(dkey_name, pi=pi_other)
        ratio = max(pi / pi_other, pi_other / pi, (1 - pi) / (1 - pi_other), (1 - pi_other) / (1 - pi))
        titles = (f"π = {pi:.2f}", f"π′ = {pi_other:.2f}")
        diff_title = "‖s<sub>π</sub> − s<sub>π′</sub>‖"
        what = "the data"
    g = B.field(key_other, 0.0, n_arrows=15)
    xs, diff, on_support = B.score_difference(key, key_other)
    panels = [
        F.FieldPanel(f.xs, f.ys, f.density, f.points, f.score, title=titles[0]),
        F.FieldPanel(g.xs, g.ys, g.density, g.points, g.score, title=titles[1]),
    ]
    # the π and π′ fields over the page's width (in two thirds of it each was 192 px wide at 1280 px), the
    # difference map under them beside the caption that reads it
    with fields_row:
        W.chart(F.score_field_spec(panels, box=f.box, height=460), "score-fields")
        c2, caption_row = st.columns([1, 1])
    with c2:
        diff_spec = F.heatmap_spec(
            xs,
            xs,
            diff,
            box=f.box,
            kind="score-difference",
            title=diff_title,
            colorbar="difference",
            overlay=B.true_samples(key, 600),
            overlay_name="samples of p",
            zmax=max(float(diff.max()), 1e-3),
            height=460,
        )
        # in a third of the page a vertical colour bar would take half the width: lay it flat under the map
        diff_spec["data"][0]["colorbar"] = dict(
            orientation="h",
            x=0.5,
            xanchor="center",
            y=-0.2,  # under the x ticks (at −0.12 its title touched them)
            yanchor="top",
            thickness=12,
            len=0.9,
            title=dict(text="difference", side="top"),
        )
        diff_spec["layout"]["margin"] = dict(diff_spec["layout"]["margin"], l=40, r=10, b=120)
        W.chart(diff_spec, "score-difference")
    caption_row.caption(
        (f"Left: your drawing; middle: the same drawing with {change} (s′ is its score). " if drawn else "")
        + difference_caption(
            on_support,
            ratio,
            what,
            crossed,
            int(run.frame_steps[-1]),
            eps,
            gaps=view.n_modes > 2,
            diverged_at=run.diverged_at,
        )
    )


def difference_caption(
    on_support: float,
    ratio: float,
    what: str,
    crossed: float,
    steps: int,
    eps: float,
    *,
    gaps: bool = False,
    diverged_at: int = -1,
) -> str:
    """What the score-difference map shows: the largest difference where there is mass, against how much the two
    densities differ there (a ratio of weights bounds the ratio of the two mixtures); and what the run below it
    shows: whether particles changed mode (``crossed``, at least :data:`MIXED` of them: "they cross")."""
    head = (
        f"Where {what} is (p > 10⁻⁶·max p) the two score fields are **identical** (to float32 precision), "
        if on_support < 1e-6
        else f"Where {what} is (p > 10⁻⁶·max p) the two score fields differ by at most **{on_support:.2g}**, "
    )
    head += f"although the densities differ by a factor of up to {ratio:.1f}. "
    if diverged_at >= 0:
        return head + f"(The run below diverged at step {diverged_at}: it says nothing about crossing.)"
    moved = f"{crossed:.1%} of the particles changed mode in the run below ({steps} steps)"
    if on_support < 1e-3:
        tail = f"They differ only in the empty {'gaps' if gaps else 'gap'} between the modes (p ≤ 10⁻⁶·max p)"
        if crossed < MIXED:
            return head + tail + f", which Langevin does not cross: {moved}."
        return (
            head + tail + f"; yet {moved}: steps of ε = {eps:g} are large enough to carry particles across "
            f"{'them' if gaps else 'it'}."
        )
    tail = "The modes are close enough that p has mass between them, and there the score does feel the weights"
    if crossed >= MIXED:
        return head + tail + f": {moved}, so Langevin can move the split."
    return head + tail + f", but only {moved}: too few to move the split."


def _meter(view: W.ModeView, run: B.RunData, start: str, crossed: float, pi: float) -> None:
    """A registry density's meter: the left mode's share against π, and what the start explains."""
    W.chart(
        F.mode_fraction_spec(
            run.frame_steps,
            {"Langevin": run.fractions},
            view.true_weights,
            mode_names=view.names,
            title="mode-fraction meter",
            cursor=W.cursor(run),
            height=METER_HEIGHT,
        ),
        "meter",
        stage=True,
        alt=f"Mode-fraction meter over {int(run.frame_steps[-1])} steps: the left mode holds "
        f"{alt_text.pct(run.fractions[0][0])} at step 0 and {alt_text.pct(run.fractions[-1][0])} at the end; "
        f"the dotted line is the true π = {alt_text.pct(pi)}.",
    )
    m1, m2 = st.columns(2)
    got = float(run.fractions[-1][0])
    m1.metric("Langevin, left mode", f"{got:.2f}", delta=f"{got - pi:+.2f} vs π", delta_color="off")
    m2.metric("true π", f"{pi:.2f}")
    st.caption(
        start_caption(
            start,
            float(run.fractions[0][0]),
            got,
            pi,
            crossed,
            int(run.frame_steps[-1]),
            len(run.samples),
            diverged_at=run.diverged_at,
        )
    )


def _drawn_meter(view: W.ModeView, run: B.RunData, start: str, crossed: float, n: int) -> None:
    """A drawing's meter: every mode's share against the drawing's weights, the run's total-variation distance
    from them next to what exact samples would give, the mode that is furthest off, and what the start explains."""
    frac = view.fractions(run.fractions)
    w = view.true_weights
    tv0, tv1, noise = W.tv_distance(frac[0], w), W.tv_distance(frac[-1], w), W.sampling_tv(w, n)
    steps = int(run.frame_steps[-1])
    W.chart(
        F.mode_fraction_spec(
            run.frame_steps,
            {"Langevin": frac},
            w,
            mode_names=view.names,
            title="mode-fraction meter",
            cursor=W.cursor(run),
            height=METER_HEIGHT,
        ),  # fmt: skip
        "meter",
        stage=True,
        alt=f"Mode-fraction meter over {steps} steps, one line per mode, against the drawing's weights "
        f"({view.split(w)}, dotted): the particles start {tv0:.2f} and end {tv1:.2f} away from them "
        f"(total-variation distance); at the end {view.split(frac[-1])}.",
    )
    m1, m2 = st.columns(2)
    # labels short enough for a fifth of a 1280-px page (with the help icon: about 13 characters)
    m1.metric(
        "distance (TV)",
        f"{tv1:.2f}",
        delta=f"by chance: {noise:.2f}",
        delta_color="off",
        delta_arrow="off",
        help="Total-variation distance ½ Σ |fraction − weight| over the modes at the last step: 0 when every "
        f"mode holds its weight's share. {n} exact samples of the drawing land about {noise:.2f} away by chance.",
    )
    k = int(np.argmax(np.abs(frac[-1] - w)))
    m2.metric(
        view.names[k],
        f"{frac[-1][k]:.2f}",
        delta=f"{frac[-1][k] - w[k]:+.2f} vs {w[k]:.2f}",
        delta_color="off",
        help=f"The mode whose share is furthest from its weight: Langevin ends with {frac[-1][k]:.2f} of the "
        f"particles in {view.names[k]}, whose weight is {w[k]:.2f}.",
    )
    if run.diverged_at >= 0:
        st.caption(
            f"The run diverged at step {run.diverged_at}: the meter stops at step {steps}, the last frame "
            "where every particle is finite. A smaller ε samples p."
        )
    else:
        st.caption(drawn_start_caption(start, view, frac[0], frac[-1], crossed, steps, noise))
    st.caption("Where the modes are: " + "; ".join(view.where) + ".")


def start_caption(
    start: str, first: float, last: float, pi: float, crossed: float, steps: int, n: int, *, diverged_at: int = -1
) -> str:
    """What the meter shows for the chosen start and any two-mode density: the split at step 0 and at the end, how
    far the end is from π in binomial standard errors, and how many particles changed mode on the way (the only way
    the split can move towards π): at least :data:`MIXED` of them, and the modes are crossed."""
    if diverged_at >= 0:
        return (
            f"The run diverged at step {diverged_at}: the meter stops at step {steps}, the last frame where every "
            f"particle is finite (the left mode then holds {last:.2f}; π = {pi:.2f}). A smaller ε samples p."
        )
    se = alt_text.binomial_se(pi, n)
    moved = f"{crossed:.1%} of the particles changed mode in {steps} steps"
    if start == "data":
        head = f"Started at exact samples of p, the left mode holds {first:.2f} at step 0 and {last:.2f} at the end"
    elif start == "one-mode":
        head = f"Started all in the left mode ({first:.2f} at step 0), {last:.2f} of the particles are there at the end"
    else:
        head = (
            f"From uniform noise the left mode gets {first:.2f} of the particles at step 0 (its share of the picture) "
            f"and holds {last:.2f} at the end"
        )
    head += f", {abs(last - pi) / se:.1f} binomial standard errors (± {se:.3f}) from π = {pi:.2f}: {moved}. "
    if crossed < MIXED:
        if start == "data" and abs(first - pi) <= 2 * se:
            return head + (
                "Right only because the start was right: so few cross that the split is the start's. Initialising "
                "at the data does not make Langevin mix; start in one mode to see it."
            )
        return head + "The modes are not crossed: the split stays the start's, whatever π is."
    verdict = "Particles do cross between the modes here"
    if abs(last - pi) <= 2 * se:
        return head + verdict + ", and the split ends within two standard errors of π: Langevin mixes."
    if abs(last - pi) < abs(first - pi) - 2 * se:
        return head + verdict + f": the split moves towards π, but {steps} steps are not enough to reach it."
    return head + verdict + f", but in {steps} steps the split has not come closer to π."


def drawn_start_caption(
    start: str, view: W.ModeView, first: np.ndarray, last: np.ndarray, crossed: float, steps: int, noise: float
) -> str:
    """:func:`start_caption` for a drawing of M modes: the split at step 0 and at the end as total-variation
    distances from the drawing's weights, against ``noise`` (what exact samples of as many particles get), and
    whether particles changed mode (then Langevin can move the split) or not (then the split is the start's)."""
    w = view.true_weights
    tv0, tv1 = W.tv_distance(first, w), W.tv_distance(last, w)
    moved = f"{crossed:.1%} of the particles changed mode in {steps} steps"
    if start == "data":
        head = f"Started at exact samples of the drawing, the split is {tv0:.2f} from its weights at step 0 and "
    elif start == "one-mode":
        head = (
            f"Started all in {view.names[0]} (its weight: {w[0]:.2f}), {last[0]:.0%} are still there at the end; "
            f"the split is {tv0:.2f} from the drawing's weights at step 0 and "
        )
    else:
        head = (
            "From uniform noise each mode gets the particles nearest it at step 0 (its share of the picture, not "
            f"its weight): the split is {tv0:.2f} from the drawing's weights and "
        )
    head += f"{tv1:.2f} at the end (total-variation distance; {moved}). "
    if tv1 <= 3 * noise:
        verdict = f"That is within sampling error (exact samples: about {noise:.2f})"
        verdict += (
            ": particles do cross between these modes, so here Langevin mixes."
            if crossed >= MIXED
            else " — only because the start already had that split: Langevin did not mix."
        )
    else:
        verdict = f"That is {tv1 / max(noise, 1e-9):.0f}× what exact samples get ({noise:.2f})"
        verdict += (
            f": particles do change mode here (the modes are close), but {steps} steps are not enough for the split "
            "to reach the weights."
            if crossed >= MIXED
            else ": the empty gaps between the modes are not crossed, so the split stays the start's, whatever the "
            "weights are."
        )
    return head + verdict
