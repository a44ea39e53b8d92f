"""Scene 11 — from annealed Langevin to diffusion: noise in continuous time, the reverse SDE and the probability-flow
ODE with the exact score of every p_t, their cost in score evaluations, and the ODE's likelihood."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo.app import alt_text, presenter, settings
from scoredemo.app import builders as B
from scoredemo.app import diffusion_builders as DB
from scoredemo.app import glossary as G
from scoredemo.app import keys as K
from scoredemo.app import model_widgets as M
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page

PAGE = "diffusion"
DENSITIES = ["ncsn-mixture", "two-modes", "disjoint"]
MODE_NAMES = {"ncsn-mixture": ["lower-left", "upper-right"]}
STOCHASTIC = ["reverse-sde", "pc"]
SOLVERS = ["heun", "euler", "adaptive"]
INITS = ["prior", "exact-prior"]
SAMPLER_TITLES = {"reverse-sde": "reverse SDE", "pc": "predictor–corrector"}
INIT_TITLES = {"prior": "the textbook prior N(0, σ_max² I)", "exact-prior": "exact samples of p₁"}
#: π's default; the quality chart is computed at it unless asked for the page's π (its ~30 runs take seconds).
DEFAULT_PI = 0.2
#: π moves in steps of PI_STEP: the meter holds one Plotly frame per value (see :func:`meter_frames`), so the browser
#: answers a π move itself, as it does a t move (the server's rerun follows with the rest of the page).
PI_STEP = 0.05
PI_VALUES = tuple(round(0.05 + i * PI_STEP, 2) for i in range(19))  # 0.05 … 0.95
PI_LABEL = "π (weight of the first mode)"
#: The stochastic sampler's radio: the meter also holds a frame per sampler, so the browser answers a switch itself.
SAMPLER_LABEL = "stochastic sampler (left)"
MODEL_SIGMA_MIN = 0.01
MODEL_LEVELS = 10
#: The forward picture's times (the t slider's step): one Plotly frame each, so the browser shows a new t itself.
FORWARD_STEP = 0.05
FORWARD_TIMES = tuple(round(i * FORWARD_STEP, 2) for i in range(round(1 / FORWARD_STEP) + 1))
DEFAULT_T = 0.7
T_LABEL = "time t of the forward process"


def model_key(dkey: K.DensityKey, steps: int, sigma_max: float, seed: int) -> K.TrainKey:
    """The ncsn model of the learned score (the scene's own σ range: VE's σ(t) runs over exactly these σ's)."""
    return K.train_key(
        dkey, "ncsn", steps, sigma_max=sigma_max, sigma_min=MODEL_SIGMA_MIN, levels=MODEL_LEVELS, seed=seed
    )


INTRO = W.Intro(
    "From annealed Langevin to diffusion",
    "Make the noise level continuous: a forward SDE blurs p into p_t for t from 0 to 1, until p₁ is almost "
    "pure noise. Running time backwards needs only the score ∇ log p_t: the reverse SDE is a noisy path back, "
    "the probability-flow ODE a deterministic one with the same marginals p_t. Here every p_t is an exact "
    "Gaussian mixture, so every score on this page is exact (or a network you train, beside it).",
    r"\mathrm{d}x = \big[f - g^2\,\nabla_x \log p_t(x)\big]\mathrm{d}t + g\,\mathrm{d}\bar w"
    r"\quad\text{or}\quad \frac{\mathrm{d}x}{\mathrm{d}t} = f - \tfrac12 g^2\,\nabla_x \log p_t(x)",
)


def render() -> None:
    W.intro(INTRO)
    page = Page(PAGE)
    st.sidebar.header("Noise process")
    kind = page.select(
        "SDE",
        "sde",
        ["ve", "vp"],
        "ve",
        help="ve: x_t = x₀ + σ(t)z, σ(t) = σ_min(σ_max/σ_min)^t (NCSN in continuous time); "
        "vp: x_t = α(t)x₀ + √(1 − α²)z, linear β 0.1 → 20 (DDPM in continuous time).",
    )
    sigma_max = page.slider(
        "σ_max (VE)", "sigma_max", 20.0, 5.0, 100.0, 1.0, help="VE only: the noise level at t = 1 (σ_min = 0.01)."
    )
    st.sidebar.header("Density")
    name = page.select("density", "density", DENSITIES, DENSITIES[0], help="Two-mode densities of the registry.")
    pi = page.slider(PI_LABEL, "pi", DEFAULT_PI, PI_VALUES[0], PI_VALUES[-1], PI_STEP)
    pi = next((v for v in PI_VALUES if abs(v - pi) < 1e-6), pi)  # the slider's 0.15000000000000002 is the step 0.15
    st.sidebar.header("Samplers")
    init = page.select(
        "start at t = 1",
        "init",
        INITS,
        "prior",
        help="prior: the textbook N(0, σ_max² I) (VE) or N(0, I) (VP), only close to p₁; "
        "exact-prior: exact samples of p₁ (known here).",
    )
    sampler = page.radio(
        SAMPLER_LABEL,
        "sampler",
        STOCHASTIC,
        "reverse-sde",
        help=G.with_terms(
            "reverse-sde: Euler–Maruyama on the reverse SDE (1 score per step); pc: reverse-diffusion predictor + "
            "one Langevin corrector step (snr 0.16; 2 scores per step).",
            "NFE",
        ),
    )
    solver = page.radio(
        "ODE solver (right)",
        "solver",
        SOLVERS,
        "heun",
        help=G.with_terms(
            "euler (1 score per step), heun (2 per step), adaptive (diffrax Tsit5, rtol = atol = 10⁻⁵; "
            "it picks its own steps).",
            "NFE",
        ),
    )
    n_steps = page.int_slider("steps", "n_steps", 200, 10, 1000, 10, help="Steps from t = 1 to 0 (not adaptive).")
    n = int(page.select("particles", "n_particles", list(settings.PARTICLE_CHOICES), 1280))
    seed = page.number("seed", "seed", 0, 0, 9999)
    learned, train_steps = M.ncsn_controls(
        page,
        score_help="exact: ∇ log p_t in closed form; learned: a noise-conditional network s_θ(x, σ) (ncsn), used "
        "through p_t(x) = α⁻² p_σ̃(x/α).",
    )

    dkey = K.density_key(name, pi=pi)
    dens = K.get_density(dkey)
    names = MODE_NAMES.get(name, ["left mode", "right mode"])
    sde, params = DB.diffusion_sde(kind, sigma_max)
    t_min = float(params.t_min)
    sig = lambda u: float(sde.sigma(np.float32(u)))  # noqa: E731 - the marginal std at time u
    alpha = lambda u: float(sde.alpha(np.float32(u)))  # noqa: E731

    # Visual order: the forward process on top, then the two animations, the meter, then quality vs cost.
    # Order of drawing: what answers a π move or a sampler switch first (the meter), then the forward picture (its
    # t slider is a fragment: it reruns only itself), the animations, the other start's runs, the sweep last.
    # The stage (presenter mode's main charts): the two runs side by side, and the meter beside them.
    forward_row, runs_row, meter_row, cost_row = st.container(), st.container(), st.container(), st.container()

    def draw_forward() -> None:
        with forward_row:
            st.session_state[_FULL_RUN] = True
            forward(page, dkey, kind, sigma_max, sig, alpha)
        page.finish()  # after the forward block: its t slider is one of the page's controls

    model = None
    tkey = model_key(dkey, train_steps, sigma_max, seed)
    if learned:
        with runs_row:
            st.markdown(extrapolation_note(kind, sde, sigma_max, t_min, tkey))
            if M.train_block(tkey, page_id=PAGE) is None:
                draw_forward()
                return
        model = tkey

    run_args = (dkey, kind, sigma_max, n_steps, n, seed, init, model)
    sde_run, ode_run = (panel_run(run_args, which, sampler, solver) for which, _ in PANELS)
    stoch, ode_name = SAMPLER_TITLES[sampler], f"probability-flow ODE ({solver})"
    with runs_row:
        runs_col, meter_chart = W.stage_beside()
    meter_table = meter_row
    with meter_chart:
        meter_slot, meter_note = st.empty(), st.empty()
    # the meter at every π (frames) once they are known for this setting; until then the page's own two runs
    framed = frames_setting(name, pi, kind, sigma_max, n_steps, n, seed, init, solver, model)
    with meter_slot.container():
        if framed is not None and framed in st.session_state.get(_FRAMED, ()):
            meter(dens, sampler, solver, n_steps, sde_run, ode_run, names, frames=meter_frames(framed))
        else:
            meter(dens, sampler, solver, n_steps, sde_run, ode_run, names)
    draw_forward()
    with runs_col:
        for run, what in ((sde_run, stoch), (ode_run, ode_name)):
            if run.n_finite < n or not run.finished:
                st.warning(
                    f"**The {what} did not finish cleanly:** {n - run.n_finite} of {n} particles ended non-finite"
                    + ("" if run.finished else ", and the adaptive solver ran out of its step budget")
                    + ". The chart shows the finite ones; more steps (or the exact score) fix it.",
                    icon=":material/warning:",
                )
        animations(run_args, sampler, solver, dens, sde_run, ode_run, stoch, ode_name, names)
    with meter_table:
        prior_table(run_args, dens, kind, sigma_max, sampler, solver, sde_run, ode_run, names)
    with cost_row:
        st.subheader("Quality against cost, and the likelihood by the ODE")
        quality_and_likelihood(quality_key(dkey, name, pi, model), kind, sigma_max, init, seed, model, t_min)
    if framed is not None and framed not in st.session_state.get(_FRAMED, ()):
        # last, so the whole page is on screen first; each step's caption lets a new move stop this run (Streamlit
        # stops a script where it sends something), and what is computed stays cached
        said = "Preparing the meter at every π and sampler, so that moving them answers at once: {}/" + str(
            len(PI_VALUES)
        )
        meter_note.caption(said.format(0))
        frames: dict = {}
        for i, part in enumerate(meter_frames(framed, each=True), 1):
            frames.update(part)  # kept: asking meter_frames again would repeat every cache look-up
            meter_note.caption(said.format(i))
        meter_note.empty()
        with meter_slot.container():
            meter(dens, sampler, solver, n_steps, sde_run, ode_run, names, frames=frames)
        framed_now = st.session_state.setdefault(_FRAMED, set())
        if len(framed_now) > 64:  # bounded; a forgotten setting only costs its frames' cache look-ups again
            framed_now.clear()
        framed_now.add(framed)


#: Set by the page's full run just before it draws the forward block (see :func:`forward`).
_FULL_RUN = "_diffusion_full_run"


@st.cache_data(max_entries=16, ttl=settings.CACHE_TTL, show_spinner=False)
def forward_spec(dkey: K.DensityKey, kind: str, sigma_max: float) -> dict:
    """The forward picture at every t of FORWARD_TIMES (p_t, its exact score, x_t of exact samples), one frame
    each, opening at DEFAULT_T: it does not depend on t, so moving t re-sends the same chart."""
    fields = DB.marginal_fields(dkey, kind, sigma_max, FORWARD_TIMES)
    xt = DB.forward_samples(dkey, kind, sigma_max, FORWARD_TIMES)
    specs = [
        F.score_field_spec(
            [F.FieldPanel(f.xs, f.ys, f.density, f.points, f.score, title=f"p_t at t = {t:.2f}", overlay=x)],
            box=f.box,
            height=520,
            title="forward process: p_t and its score",
        )
        for t, f, x in zip(FORWARD_TIMES, fields, xt, strict=True)
    ]
    names = [F.frame_name(t, FORWARD_STEP) for t in FORWARD_TIMES]
    return F.stepped_spec(specs, names, FORWARD_TIMES.index(DEFAULT_T), control=T_LABEL, step=FORWARD_STEP)


def forward_boxes(dkey: K.DensityKey, kind: str, sigma_max: float) -> tuple[float, float]:
    """The forward picture's smallest and largest view (±box) over t."""
    boxes = [fr["layout"]["xaxis"]["range"][1] for fr in forward_spec(dkey, kind, sigma_max)["frames"]]
    return float(min(boxes)), float(max(boxes))


@st.fragment
def forward(page: Page, dkey, kind: str, sigma_max: float, sig, alpha) -> None:
    """The forward process at the t slider: p_t with its exact score, and x_t of exact samples drawn over it.

    The chart holds every t (FORWARD_TIMES) as a frame and the page's script shows the slider's frame at once, in
    the browser. The slider, the chart and the numbers beside it are one fragment: moving t reruns only them (the
    numbers catch up; the chart is re-sent unchanged, so the browser keeps the frame it shows). Then a full rerun
    follows, so the share link holds the new t too."""
    full_run = st.session_state.pop(_FULL_RUN, False)
    left, right = st.columns([3, 2])
    with right:
        raw_t = page.slider(T_LABEL, "t", DEFAULT_T, 0.0, 1.0, FORWARD_STEP, container=st)
    t = min(FORWARD_TIMES, key=lambda u: abs(u - float(raw_t)))  # a URL value between two frames: the nearer
    lo, hi = forward_boxes(dkey, kind, sigma_max)
    n_shown = len(DB.forward_samples(dkey, kind, sigma_max, FORWARD_TIMES)[0])  # the chart's samples per t (cached)
    with left:
        W.chart(
            forward_spec(dkey, kind, sigma_max),
            "forward",
            alt=f"p_t with its exact score arrows and {n_shown} samples x_t of the forward process, at the t slider's "
            f"time (one picture per t from 0 to 1 in steps of {FORWARD_STEP:g}); the view widens from ±{lo:g} to "
            f"±{hi:g} as t grows.",
        )
        st.html(presenter.FRAMES_JS, unsafe_allow_javascript=True, width="content")
    with right:
        if abs(t - float(raw_t)) > 1e-6:  # a link's t between two pictures (the slider's step is FORWARD_STEP)
            st.caption(f"t = {float(raw_t):g} lies between two pictures: showing t = {t:.2f}.")
        m1, m2 = st.columns(2)
        # short labels (a fifth of a 1280-px page each: "α(t), the signal's scale" was cut), the words in the help
        m1.metric("σ(t), noise std", f"{sig(t):.3g}", help="The noise's standard deviation at time t.")
        m2.metric("α(t), signal scale", f"{alpha(t):.3g}", help="The signal's scale at time t: x_t = α(t)·x₀ + noise.")
        st.markdown(forward_note(K.get_density(dkey).mixture, kind, sigma_max, t, sig, alpha))
        st.caption(
            "The arrows are the exact ∇ log p_t (a Gaussian mixture again at every t); the red dots are exact "
            "samples of p pushed forward to time t. Move t: the score is known everywhere once t is large — that is "
            "where the samplers below start."
        )
    if not full_run:  # a t move: the picture is on screen; now the share link catches up
        st.rerun(scope="app")


def forward_note(mix, kind: str, sigma_max: float, t: float, sig, alpha) -> str:
    """The forward process at time t in words, with this density's own numbers: its components' std s (widening to
    √(s² + σ(t)²) for VE) and its first component's centre (sliding to α(t)·μ for VP)."""
    scales = np.asarray(mix.scales, np.float64)
    mu = np.asarray(mix.means, np.float64)[0]
    if kind == "ve":
        s = float(scales[0])
        widen = (
            f"widen to std √({s:g}² + σ(t)²) = {np.sqrt(s**2 + sig(t) ** 2):.2f}"
            if np.allclose(scales, s)
            else "widen: a component of std s to √(s² + σ(t)²)"
        )
        return (
            f"**VE** at t = {t:.2f}: x_t = x₀ + σ(t)·z with σ(t) = 0.01·({sigma_max:g}/0.01)^t, so "
            f"p_t = p ∗ N(0, σ(t)² I): the modes keep their place and {widen}. At t = 1, σ = {sigma_max:g}: p₁ is "
            f"close to N(0, {sigma_max:g}² I), the textbook prior."
        )
    a = alpha(t)
    return (
        f"**VP** at t = {t:.2f}: x_t = α(t)·x₀ + √(1 − α(t)²)·z with α(t) = exp(−½∫₀ᵗβ), β from 0.1 to 20: "
        f"the modes slide towards 0 (the first, centred at ({mu[0]:g}, {mu[1]:g}), is now at ({a * mu[0] + 0:.2f}, "
        f"{a * mu[1] + 0:.2f})) while the noise grows to std √(1 − α²) = {np.sqrt(max(1 - a**2, 0.0)):.2f}. At "
        f"t = 1, α = {alpha(1.0):.1e}: p₁ is N(0, I) up to that."
    )


def frame_backgrounds(dkey, kind: str, sigma_max: float, times: np.ndarray, t_min: float):
    """p_t at DIFFUSION_BACKGROUNDS evenly spaced times, the one each frame shows, and each frame's view."""
    bg_t = np.linspace(1.0, t_min, DB.DIFFUSION_BACKGROUNDS)
    fields = DB.marginal_fields(dkey, kind, sigma_max, tuple(float(u) for u in bg_t))
    index = [int(np.argmin(np.abs(bg_t - u))) for u in times]
    return [(g.xs, g.ys, g.density) for g in fields], index, [fields[i].box for i in index]


#: The two panels of the animation: (which run, its colour), left to right.
PANELS = (("stochastic", F.OKABE_ITO["vermillion"]), ("ode", F.OKABE_ITO["blue"]))


def panel_run(run_args: tuple, which: str, sampler: str, solver: str) -> DB.DiffusionRun:
    """The run of one panel: the stochastic sampler's (Euler–Maruyama steps) or the ODE's (its solver)."""
    dkey, kind, sigma_max, n_steps, n, seed, init, model = run_args
    if which == "stochastic":
        return DB.diffusion_run(dkey, kind, sigma_max, sampler, "euler", n_steps, n, seed, init, model=model)
    return DB.diffusion_run(dkey, kind, sigma_max, "pf-ode", solver, n_steps, n, seed, init, model=model)


def panel_title(run_args: tuple, which: str, sampler: str, solver: str) -> str:
    """A panel's title: the sampler, its steps and its score evaluations per particle (NFE)."""
    run = panel_run(run_args, which, sampler, solver)
    what = SAMPLER_TITLES[sampler] if which == "stochastic" else f"ODE ({solver})"
    steps = f"{run.n_steps} adaptive steps" if which == "ode" and solver == "adaptive" else f"{run_args[3]} steps"
    return f"{what}<br>{steps}, NFE {run.nfe}"


def animation(run_args: tuple, sampler: str, solver: str) -> list[F.Animation]:
    """Both runs pushed back from t = 1 over p_t of each frame, with their whole highlighted paths: the stochastic
    sampler's (left) and the ODE's (right), one figure (one Play, one slider, the same t in both)."""
    dkey, kind, sigma_max = run_args[:3]
    out = []
    for which, color in PANELS:
        run = panel_run(run_args, which, sampler, solver)
        t_last = float(run.frame_times[-1])
        backgrounds, index, boxes = frame_backgrounds(dkey, kind, sigma_max, run.frame_times, t_last)
        what = SAMPLER_TITLES[sampler] if which == "stochastic" else f"probability-flow ODE ({solver})"
        out.append(
            F.Animation(
                sets=[
                    F.ParticleSet(run.trajectory, what, color=color, symbol="circle" if which != "ode" else "diamond")
                ],
                box=boxes[0],
                frame_labels=[f"t = {u:.2f}" for u in run.frame_times],
                backgrounds=backgrounds,
                background_index=index,
                frame_boxes=boxes,
                n_trails=8,
                trail_frames=len(run.frame_times),  # whole paths: their shape (smooth or jittering) is the lesson
                title=panel_title(run_args, which, sampler, solver),
            )
        )
    return out


@st.cache_data(max_entries=16, ttl=settings.CACHE_TTL, show_spinner=False)
def animation_spec(run_args: tuple, sampler: str, solver: str) -> dict:
    """The Plotly JSON of :func:`animation`, kept per setting: building it (2 × 51 frames, 1280 particles, 11
    backgrounds each) took ~0.1 s a panel on every rerun, a t move included."""
    return F.animation_spec(animation(run_args, sampler, solver))


def animations(run_args, sampler, solver, dens, sde_run, ode_run, stoch, ode_name, names) -> None:
    """The same start pushed back by a stochastic sampler (left) and the ODE (right), each over p_t of its frame."""
    alt = " ".join(
        alt_text.particles(what, len(run.trajectory[0]), run.n_steps, run.fractions[-1], dens.true_weights, names)
        for run, what in ((sde_run, stoch), (ode_run, ode_name))
    )
    W.animation_block(
        lambda: animation(run_args, sampler, solver),
        run_data(sde_run),
        key="animation",
        file_stem="scoredemo-sde-vs-ode",
        alt=alt,
        spec=animation_spec(run_args, sampler, solver),
    )
    st.caption(
        "Both start from the same particles at t = 1 and run to t = 0 over p_t of the current frame (the view "
        "narrows as the noise goes). The highlighted ODE paths are smooth, and no two ODE particles are ever at the "
        "same place at the same time (a deterministic flow is one-to-one); the SDE paths jitter, because fresh noise "
        "is injected at every step."
    )


def run_data(run: DB.DiffusionRun) -> B.RunData:
    """A diffusion run in the downloads' format (steps = frame index, σ column = the frame's time t)."""
    frames = np.arange(len(run.frame_times))
    return B.RunData(
        run.trajectory, frames, run.frame_times.astype(np.float32), run.samples, run.fractions, -1, run.n_steps, 0.0
    )


def binomial_se(p: float, n: int) -> float:
    return float(np.sqrt(max(p * (1 - p), 1e-12) / max(n, 1)))


#: Session state: the settings (:func:`frames_setting`) whose meter frames are all computed in this session.
_FRAMED = "_diffusion_framed"


def frames_setting(name, pi, kind, sigma_max, n_steps, n, seed, init, solver, model) -> tuple | None:
    """What the meter's frames (one per π and stochastic sampler) depend on, or None when the meter has none: a
    learned score (its model is trained at the page's π) or a π from a link that is not on the slider's steps."""
    if model is not None or pi not in PI_VALUES:
        return None
    return (name, kind, float(sigma_max), int(n_steps), int(n), int(seed), init, solver)


def meter_frames(setting: tuple, *, each: bool = False):
    """The meter's numbers at every π of the slider and both stochastic samplers: {(π, sampler): (true weights,
    stochastic fractions, ODE fractions)}, from :func:`DB.run_fractions` (the numbers of the page's own runs at that
    π). ``each``: a generator instead, one π at a time (the ODE's run is shared by both samplers)."""
    name, kind, sigma_max, n_steps, n, seed, init, solver = setting

    def one(p: float) -> dict:
        key = K.density_key(name, pi=p)
        weights = np.asarray(K.get_density(key).true_weights)
        ode = DB.run_fractions(key, kind, sigma_max, "pf-ode", solver, n_steps, n, seed, init)
        return {
            (p, s): (weights, DB.run_fractions(key, kind, sigma_max, s, "euler", n_steps, n, seed, init), ode)
            for s in STOCHASTIC
        }

    if each:
        return (one(p) for p in PI_VALUES)
    return {k: v for p in PI_VALUES for k, v in one(p).items()}


def meter(dens, sampler, solver, n_steps, sde_run, ode_run, names, *, frames: dict | None = None) -> None:
    """The mode-fraction meter against π over the runs' time (in solver steps). With ``frames`` (:func:`meter_frames`)
    it holds the meter of every π and stochastic sampler as a Plotly frame and opens on the page's, whose frame is
    the page's own runs."""
    pi = float(dens.true_weights[0])
    steps = np.round((1.0 - sde_run.frame_times) / (1.0 - sde_run.frame_times[-1]) * n_steps)
    ode = f"ODE ({solver})"

    cursor = steps[F.drawn_frames(len(steps))]  # the step of each frame the animation draws

    def spec(stochastic, weights, sde_fractions, ode_fractions) -> dict:
        runs = {SAMPLER_TITLES[stochastic]: sde_fractions, ode: ode_fractions}
        return F.mode_fraction_spec(steps, runs, weights, mode_names=names, title="mode-fraction meter", cursor=cursor)

    if frames is None:
        fig, key = spec(sampler, dens.true_weights, sde_run.fractions, ode_run.fractions), "meter-draft"
    else:
        order = list(frames)
        start = order.index(min(order, key=lambda k: (abs(k[0] - pi), k[1] != sampler)))
        specs = [spec(s, *frames[(p, s)]) for p, s in order]
        frame_names = [F.frame_name(p, PI_STEP, s) for p, s in order]
        fig = F.stepped_spec(specs, frame_names, start, control=PI_LABEL, step=PI_STEP, choice=SAMPLER_LABEL)
        key = "meter"
    W.chart(
        fig,
        key,
        alt=f"Mode-fraction meter: at t = 0 the {names[0]}{'' if 'mode' in names[0] else ' mode'} holds "
        f"{alt_text.pct(sde_run.fractions[-1][0])} "
        f"with the {SAMPLER_TITLES[sampler]} (solid) and {alt_text.pct(ode_run.fractions[-1][0])} with the ODE "
        f"(dashed); the true π is {alt_text.pct(pi)}.",
        stage=True,
    )


def prior_table(run_args, dens, kind, sigma_max, sampler, solver, sde_run, ode_run, names) -> None:
    """The lesson of the prior: both starts, both samplers, measured here (the other start's two runs)."""
    dkey, _, _, n_steps, n, seed, init, model = run_args
    pi = float(dens.true_weights[0])
    other = INITS[1 - INITS.index(init)]
    other_args = (*run_args[:6], other, model)
    runs = {
        init: (sde_run, ode_run),
        other: (panel_run(other_args, "stochastic", sampler, solver), panel_run(other_args, "ode", sampler, solver)),
    }
    m1, m2 = st.columns(2)
    got_s, got_o = float(sde_run.fractions[-1][0]), float(ode_run.fractions[-1][0])
    se = binomial_se(pi, n)
    m1.metric(SAMPLER_TITLES[sampler], f"{got_s:.3f}", delta=f"{got_s - pi:+.3f} vs π", delta_color="off")
    m2.metric(f"ODE ({solver})", f"{got_o:.3f}", delta=f"{got_o - pi:+.3f} vs π", delta_color="off")
    rows = [
        "| start at t = 1 | " + f"{SAMPLER_TITLES[sampler]} | ODE ({solver}) |",
        "|---|---|---|",
    ]
    for which in INITS:
        s_run, o_run = runs[which]
        rows.append(f"| {which} | {s_run.fractions[-1][0]:.3f} | {o_run.fractions[-1][0]:.3f} |")
    first = names[0] + ("" if "mode" in names[0] else " mode")
    st.markdown(f"Fraction in the {first} (π = {pi:.2f}, ± {se:.3f} binomial s.e.):\n\n" + "\n".join(rows))
    st.caption(prior_lesson(dens, kind, sigma_max, runs, pi, se))


def prior_lesson(dens, kind: str, sigma_max: float, runs: dict, pi: float, se: float) -> str:
    """What the table shows, in the numbers it shows: the ODE carries its starting law to t = 0 one-to-one, so
    what the textbook prior gets wrong about p₁ stays wrong; the SDE's injected noise forgets some of it."""
    w = np.exp(np.asarray(dens.mixture.log_weights, np.float64))
    mean = w @ np.asarray(dens.mixture.means, np.float64)  # E_p[x]; p₁'s mean is α(1)·E_p[x]
    (s_prior, o_prior), (s_exact, o_exact) = runs["prior"], runs["exact-prior"]
    err = lambda r: abs(float(r.fractions[-1][0]) - pi)  # noqa: E731
    if kind == "ve":
        start = (
            f"The textbook prior N(0, {sigma_max:g}² I) misses p₁'s mean ({mean[0]:.1f}, {mean[1]:.1f}) by "
            f"{np.linalg.norm(mean) / sigma_max:.2f} of its standard deviation."
        )
    else:
        start = "For VP, p₁ is N(0, I) up to α(1)·x₀ ≈ 0."
    said = (
        f"{start} The ODE is a one-to-one map from p₁ to p: from the textbook prior it is off π by "
        f"{err(o_prior):.3f} ({err(o_prior) / se:.1f} standard errors), from exact samples of p₁ by "
        f"{err(o_exact):.3f}; the SDE, whose fresh noise forgets part of its start, by {err(s_prior):.3f} and "
        f"{err(s_exact):.3f}. "
    )
    if err(o_prior) > 2 * se:
        return (
            said
            + "The ODE keeps whatever its starting law gets wrong, at any number of steps"
            + (
                " — that is why σ_max must be large (a larger σ_max brings the prior closer to p₁; Song & Ermon 2020)."
                if kind == "ve"
                else "."
            )
        )
    return (
        said
        + "Here the textbook prior is close enough to p₁: the ODE from it lands within two standard errors of π"
        + (" — that is why σ_max must be large (Song & Ermon 2020)." if kind == "ve" else ".")
    )


def _ask_quality_at(pi: float) -> None:
    st.session_state["_diffusion_quality_pi"] = pi


def quality_key(dkey: K.DensityKey, name: str, pi: float, model) -> K.DensityKey:
    """The density the quality chart and the likelihood check are computed for: the page's own, or, while π is
    moved, the same density at the default π until asked (those ~30 runs take seconds; moving π should not)."""
    if model is not None or pi == DEFAULT_PI or st.session_state.get("_diffusion_quality_pi") == pi:
        return dkey
    st.caption(
        f"The chart and the likelihood check below are for π = {DEFAULT_PI:g} (the default), so that moving π "
        "stays instant; the samplers' ranking is about the solvers, not π."
    )
    st.button(f"Compute them for π = {pi:g}", key="quality-at-pi", on_click=_ask_quality_at, args=(pi,))
    return K.density_key(name, pi=DEFAULT_PI)


def quality_and_likelihood(dkey, kind, sigma_max, init, seed, model, t_min) -> None:
    """Energy distance to exact samples against NFE for every sampler, and the ODE's log-likelihood vs exact."""
    # from exact samples of p₁ whatever the page's start: the chart compares the solvers, not the prior (the table
    # above shows what the textbook prior costs the ODE: a weight error no number of steps removes)
    q = DB.quality_vs_cost(dkey, kind, sigma_max, "exact-prior", seed, model=model)
    lk = DB.likelihood_check(dkey, kind, sigma_max, seed, model=model)
    left, right = st.columns([3, 2])
    series = [F.Series(name, x, y, style=j) for j, (name, (x, y)) in enumerate(q.curves.items())]
    lo = min(float(np.min(x)) for x, _ in q.curves.values())
    hi = max(float(np.max(x)) for x, _ in q.curves.values())
    series.append(F.Series("exact vs exact (noise floor)", np.array([lo, hi]), np.full(2, q.floor), mode="lines"))
    at_nfe, target = (float(v[-1]) for v in q.curves["annealed Langevin"])  # its longest run: the target
    reach = nfe_to_reach(q.curves, target)
    spec = F.lines_spec(
        series,
        kind="quality-vs-nfe",
        x_title="score evaluations (NFE)",  # "… per particle (NFE)" was wider than the plot at 1280 px
        y_title="energy distance to exact samples",
        title="quality vs cost",
        log_x=True,
        log_y=True,
        height=600,
    )
    # seven series: a legend inside the plot would cover the curves; below the axis title, in rows
    spec["layout"]["legend"].update(orientation="h", x=0.0, xanchor="left", y=-0.3, yanchor="top")
    spec["layout"]["margin"] = dict(spec["layout"].get("margin", {}), b=200)
    F.fit_y_titles(spec["layout"])  # the plot is shorter by the legend's rows: its y title is laid out again
    floor_trace = spec["data"][-1]  # the floor is a reference, not a sampler: thin black dots, like true weights
    floor_trace["line"] = dict(color=F.OKABE_ITO["black"], width=2, dash="dot")
    with left:
        W.chart(
            spec,
            "quality",
            alt=alt_text.nfe_to_reach(reach, target, q.floor, at_nfe),
        )
        st.caption(
            f"{q.n_particles} particles per run ({q.n_scored} of them scored), from exact samples of p₁ "
            "(annealed Langevin from uniform noise, 10 levels σ 20 → 1, ε = 0.05, NFE = 10·T; it ends on p_σ at "
            f"σ = 1, wider than p). The floor is the "
            f"energy distance between independent sets of {q.n_scored} exact samples, {q.floor:.4f} ± "
            f"{q.floor_sd:.4f} over {DB.FLOOR_PAIRS} pairs: below it the distance is sampling noise. "
            + reach_sentence(reach, target, at_nfe)
            + (" What starting at the textbook prior costs is in the table above." if init == "prior" else "")
        )
    exact, ode = lk.exact, lk.ode
    ok = np.isfinite(ode)
    err = np.abs(ode[ok] - exact[ok])
    worst, mean_err = (float(err.max()), float(err.mean())) if len(err) else (float("nan"), float("nan"))
    with right:
        span = np.array([float(np.min(exact)), float(np.max(exact))])
        W.chart(
            F.scatter_xy_spec(
                exact,
                ode,
                kind="likelihood",
                x_title="exact log p(x)",
                y_title="log p(x) by the ODE",
                title="log-likelihood by the ODE",
                name=f"{len(exact)} samples of p",
                reference=(span, span, "equal"),
                height=460,
            ),
            "likelihood",
            alt=f"ODE log-likelihood against the exact log p at {len(exact)} samples of p: largest difference "
            f"{worst:.2g}, mean {mean_err:.2g}.",
        )
        st.caption(
            f"log p(x) = log p₁(x₁) + ∫ ∇·v dt along the ODE from x to t = 1 (exact divergence; diffrax Tsit5 at "
            f"rtol = atol = {lk.tol:g}, {lk.nfe} evaluations; the exact log p₁ at the end). "
            + (
                f"With the exact score it agrees with the exact log p to {worst:.1e} at worst: the solver's error."
                if model is None
                else f"With the learned score the gap (mean {mean_err:.2f}) is the network's error, "
                "integrated along each path."
            )
        )


def reach_sentence(reach: dict[str, float | None], target: float, at_nfe: float) -> str:
    """The chart's headline in words: how many score evaluations each sampler needs for annealed Langevin's quality
    at ``at_nfe`` (its longest run on the chart)."""
    parts = [f"{name} {nfe:.0f}" for name, nfe in reach.items() if nfe is not None and name != "annealed Langevin"]
    missing = [name for name, nfe in reach.items() if nfe is None]
    return (
        f"To be as close to p as annealed Langevin after {at_nfe:.0f} evaluations ({target:.3g}), the others need "
        + (", ".join(parts) if parts else "more than the chart shows")
        + " evaluations per particle"
        + (f" ({', '.join(missing)}: not within the chart)" if missing else "")
        + "."
    )


def nfe_to_reach(curves: dict, target: float) -> dict[str, float | None]:
    """Per sampler, the fewest NFE on the chart at which the energy distance is at most ``target``."""
    out = {}
    for name, (x, y) in curves.items():
        hit = [float(a) for a, b in zip(x, y, strict=True) if np.isfinite(b) and b <= target]
        out[name] = min(hit) if hit else None
    return out


def extrapolation_note(kind: str, sde, sigma_max: float, t_min: float, tkey: K.TrainKey) -> str:
    """Where the learned s_θ(x, σ) is used outside the σ's it was trained on, computed from the SDE."""
    ts = np.linspace(t_min, 1.0, 1001)
    g = np.asarray(sde.equivalent_sigma(ts.astype(np.float32)), np.float64)
    lo_s, hi_s = MODEL_SIGMA_MIN, float(sigma_max)
    outside = (g < lo_s * 0.999) | (g > hi_s * 1.001)
    where = (
        "never: σ(t) runs over exactly the trained range"
        if not outside.any()
        else f"for {outside.mean():.0%} of the time, t ∈ [{ts[outside].min():.2f}, {ts[outside].max():.2f}] "
        f"(σ̃ up to {g.max():.3g})"
    )
    return (
        f"**Learned score:** an ncsn network s_θ(x, σ) ({tkey.steps} steps, {MODEL_LEVELS} levels σ "
        f"{hi_s:g} → {lo_s:g}), asked at σ̃(t) = {'σ(t)' if kind == 've' else '√(1 − α²)/α'}. It is extrapolated "
        f"outside its trained σ's {where}."
    )
