"""Scene 5 — pitfall: low-density regions. The loss only sees where the data is; elsewhere the arrows are wrong."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo import metrics
from scoredemo.app import alt_text
from scoredemo.app import builders as B
from scoredemo.app import model_widgets as M
from scoredemo.app import trained as T
from scoredemo.app import widgets as W

PAGE = "low-density"
#: Particles started in the empty square (one compiled shape).
N_PARTICLES = 500
#: A particle has reached a mode when it is within this many blur scales of one of the mode's components: 4 scales
#: hold 99.97 % of a 2-D Gaussian's mass (2 scales only 86 %), so exact samples — and Langevin with the true score —
#: count as home, and only a particle that really stays away from the data counts as lost.
HOME_SCALES = 4.0
#: The fraction of a 2-D standard Gaussian within HOME_SCALES of its centre: 1 − exp(−k²/2).
HOME_FRACTION = 1.0 - float(np.exp(-(HOME_SCALES**2) / 2))


def mode_names(dens) -> list[str]:
    """'at (x, y)' for each mode (the mean of its components' centres)."""
    centres = metrics.mode_centres(dens.mixture)
    return [f"at ({c[0]:.0f}, {c[1]:.0f})" for c in centres]


def _split(modes: np.ndarray, names: list[str]) -> str:
    parts = [f"{np.mean(modes == m):.0%} {name}" for m, name in enumerate(names) if np.any(modes == m)]
    if np.any(modes < 0):
        parts.append(f"{np.mean(modes < 0):.0%} at no mode")
    return " · ".join(parts)


def default_models() -> list:
    """The model the default view trains (the server's warm-up trains it at start-up)."""
    return [M.default_model()]


INTRO = W.Intro(
    "Pitfall: low-density regions",
    "The score-matching loss is an average **under p**, estimated with samples. Where p is tiny there are "
    "no samples, so nothing forces the learned arrows to be right there: the error grows as the density "
    "falls. Particles that start in such a region follow those wrong arrows, take another road than the "
    "true score would, and can end up somewhere else.",
    r"\mathcal{L}(\theta) = \mathbb{E}_{x \sim p}\big\|s_\theta(x) - \nabla_x \log p(x)\big\|^2 "
    r"= \int p(x)\, \big\|s_\theta(x) - \nabla_x \log p(x)\big\|^2 dx",
)


def render() -> None:
    W.intro(INTRO)
    opened = M.learned_page(PAGE, "Model (NCSN Fig. 2: ssm-vr)")
    page, dkey, dens = opened
    tkey = M.model_controls(page, dkey)  # the defaults are NCSN Fig. 2's: ssm-vr on the toy, 1000 samples
    st.sidebar.header("Particles from the empty region")
    cx = page.slider("start square centre x", "start_x", -5.0, -8.0, 8.0, 0.5)
    cy = page.slider("start square centre y", "start_y", 5.0, -8.0, 8.0, 0.5)
    eps = page.slider("step size ε", "step_size", 0.05, 0.001, 1.0, 0.001, fmt="%.3f")
    steps = page.int_slider("steps", "n_steps", 200, 10, 2000, 10)
    noise = page.toggle(
        "noise (on: Langevin · off: gradient ascent)",
        "noise",
        False,
        help="Off: each particle follows the arrows exactly, so the two scores can be compared particle by particle.",
    )
    page.finish()
    if tkey is None:
        return

    trained = M.trained_view(tkey, PAGE)
    if trained is None:
        return
    result, lf, errors = trained
    data = result.data if result.data is not None else B.true_samples(dkey, 1000)
    sig = f" (of p_σ, σ = {errors.eval_sigma:g})" if errors.eval_sigma > 0 else ""
    c1, c2 = W.stage().columns(2)
    with c1:
        W.chart(
            F.decade_error_spec(
                errors.by_density.edges,
                errors.by_density.rel_error,
                errors.by_density.counts,
                near_data=errors.weighted,
                title="error by density: wrong where p is small",
            ),
            "error-vs-logp",
            stage=True,
        )
    with c2:
        M.error_map(errors, result, data, title="error ‖s_θ − s‖" + sig + ", data on top", height=460, stage=True)

    # ------------------------------------------------------------------ particles from the empty square
    init = B.InitSpec(1.0, (cx, cy))
    sigma = errors.eval_sigma
    exact = B.particles(dkey, "langevin", eps, float(noise), steps, N_PARTICLES, tkey.seed, init, sigma=sigma)
    learned = B.particles(
        dkey, "langevin", eps, float(noise), steps, N_PARTICLES, tkey.seed, init, model=tkey, sigma=sigma
    )
    for run in (exact, learned):
        W.warn_divergence(run, eps, dens)
    names = mode_names(dens)
    m_true = metrics.end_modes(dens.mixture, exact.trajectory[-1], k=HOME_SCALES)
    m_learned = metrics.end_modes(dens.mixture, learned.trajectory[-1], k=HOME_SCALES)
    reached_true, reached_learned = float(np.mean(m_true >= 0)), float(np.mean(m_learned >= 0))
    same = float(np.mean((m_true >= 0) & (m_true == m_learned)))
    other = float(np.mean((m_true >= 0) & (m_learned >= 0) & (m_true != m_learned)))
    what = "gradient ascent" if not noise else "Langevin"
    st.subheader(f"Start {N_PARTICLES} particles in the empty square around ({cx:g}, {cy:g}): where do they go?")
    fine = metrics.grid_points(lf.box, len(lf.xs))[2]
    pts, true_s = T.arrows_from(fine, lf.true_score, len(lf.xs))
    _, learn_s = T.arrows_from(fine, lf.learned_score, len(lf.xs))
    dens_grid = np.exp(lf.log_density - lf.log_density.max())
    panels = [
        F.PathPanel(lf.xs, lf.ys, dens_grid, pts, true_s, exact.trajectory, m_true, title="true score" + sig),
        F.PathPanel(
            lf.xs, lf.ys, dens_grid, pts, learn_s, learned.trajectory, m_learned, title=f"learned ({tkey.objective})"
        ),
    ]
    W.chart(
        F.paths_spec(panels, box=lf.box, mode_names=names),
        "paths",
        alt=f"Paths of {N_PARTICLES} particles from the square around ({cx:g}, {cy:g}), true score left, learned "
        f"right; reached a mode: {alt_text.pct(reached_true)} with the true score ({_split(m_true, names)}), "
        f"{alt_text.pct(reached_learned)} with the learned ({_split(m_learned, names)}).",
    )
    k1, k2, k3 = st.columns(3)
    home_help = (
        f"Ended within {HOME_SCALES:g} blur scales of one of a mode's components, where "
        f"{HOME_FRACTION:.2%} of exact samples of p are: a Langevin particle's own noise does not count as lost."
    )
    for col, score, reached, modes in ((k1, "true", reached_true, m_true), (k2, "learned", reached_learned, m_learned)):
        col.metric(
            f"{score} score: reached a mode",
            f"{reached:.0%}",
            delta=_split(modes, names),
            delta_color="off",
            delta_arrow="off",
            help=home_help,
        )
    k3.metric(
        "learned: same mode as true",  # a third of the page: the longer "… as the true score" was cut short
        f"{same:.0%}",
        help="Particle by particle (same start, same noise): the learned run ended in the mode the true run ended in.",
    )
    st.markdown(_verdict(reached_true, reached_learned, same, other, what))

    st.subheader("Watch them move")
    frames = min(len(learned.frame_steps), len(exact.frame_steps))
    anim = F.Animation(
        sets=[
            F.ParticleSet(
                learned.trajectory[:frames], "learned score (paths highlighted)", color=F.OKABE_ITO["vermillion"]
            ),
            F.ParticleSet(exact.trajectory[:frames], "true score", color=F.OKABE_ITO["blue"], symbol="diamond", size=5),
        ],
        box=lf.box,
        frame_labels=B.frame_labels(exact)[:frames],
        background=(lf.xs, lf.ys, dens_grid),
        n_trails=4,
        title=f"{what}, both scores from the same start",
    )
    W.animation_block(anim, learned, key="animation", file_stem="scoredemo-lost-particles", stage=False)


def _verdict(reached_true: float, reached_learned: float, same: float, other: float, what: str) -> str:
    """Two or three sentences that say what the metrics above show (and nothing more), and how it carries over to
    high dimension."""
    if reached_learned < reached_true - 0.05:
        first = (
            f"With the learned score **{1 - reached_learned:.0%} of the particles end at no mode** (lost), "
            f"against {1 - reached_true:.0%} with the true score."
        )
    else:
        low = min(reached_true, reached_learned)
        who = "every particle" if low >= 0.995 else f"{low:.0%} of the particles"
        first = (
            f"With {what} both scores bring {who} to *a* mode: in this 2-D picture the learned arrows still point "
            "roughly towards the data."
        )
    if other > 0.1:
        second = (
            f" But the learned score sends **{other:.0%} of them to another mode** than the true score does: in "
            "the empty region its arrows point elsewhere, so the border between the two basins has moved."
        )
    else:
        second = f" {same:.0%} of them end in the same mode as with the true score."
    if reached_learned < reached_true - 0.05:
        here = " Even in 2-D some particles are lost"
    elif other > 0.1:
        here = " In 2-D the wrong arrows still lead to a mode — here often the wrong one"
    else:
        here = " In 2-D the wrong arrows still lead to a mode, here mostly the same one"
    bridge = (
        "; in the thousands of dimensions of an image, almost all of space is such an empty region, and particles "
        "started there wander instead of reaching the data (the lecture's point for real images)."
    )
    return first + second + here + bridge
