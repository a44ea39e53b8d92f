"""Blocks shared by the scenes: the intro, chart display, the density picker and component table, the sampler
controls, the animation block with its downloads, and the divergence warning."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from scoredemo import export
from scoredemo import figures as F
from scoredemo.app import builders as B
from scoredemo.app import custom_density as CD
from scoredemo.app import drawing, formulas, presenter, slides
from scoredemo.app.controls import Page
from scoredemo.app.keys import CUSTOM, DensityKey, density_key, get_density, registry_names
from scoredemo.app.literal import md_text
from scoredemo.app.settings import PARTICLE_CHOICES
from scoredemo.densities import DENSITIES, Density
from scoredemo.figures.presenting import DEFAULT_IMAGE_FORMAT, image_button_options
from scoredemo.samplers import check_sigma_range

CHART_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": image_button_options(DEFAULT_IMAGE_FORMAT, "scoredemo"),
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
}


_INTRO = "_intro_pending"


class Intro(NamedTuple):
    """What a scene opens with, declared once in its module (``INTRO``): the title, 2–4 plain sentences and the
    formula. The page shows them (:func:`intro`); the teacher's notes window shows the whole text as the script
    (``notes.notes_page``), since the projector shows the first sentence only."""

    title: str
    sentences: str
    formula: str


def intro(spec: Intro) -> None:
    """Every scene opens the same way: a title, 2–4 plain sentences and the formula (in presenter mode the first
    sentence only: the teacher says the rest).

    The title sits in its own keyed container (``scene-title``): presenter mode's stage puts it first, on one line,
    with the scene's main charts under it (``presenter.PRESENTER_CSS``). The sentences and the formula keep their
    place under the title but are sent after the page's first chart (:func:`draw_intro`, called by every chart and
    once more after the scene): a student's browser draws the chart first. The formula is MathML
    (:mod:`~scoredemo.app.formulas`), which the browser draws itself, with no script to load."""
    st.container(key="scene-title").title(spec.title)
    st.session_state[_INTRO] = (st.container(), spec.sentences, spec.formula)


def stage_beside(ratio: Sequence[float] = (2, 1)) -> tuple:
    """The stage of a scene whose main chart is a wide pair of panels with a meter: on the projector the two side
    by side (``ratio``: both on screen), elsewhere the pair over the page's width and the meter under it (beside it,
    a page with the sidebar open left each panel ~240 px wide). Returns (main, meter) containers."""
    with stage():
        if presenter.active():
            return tuple(st.columns(list(ratio)))
        return st.container(), st.container()


def stage() -> st.delta_generator.DeltaGenerator:
    """The container of a scene's main chart(s) (and its meter, where the point is a number): in presenter mode it is
    the *stage*, put right under the title and filling the rest of the screen (``presenter.PRESENTER_CSS``); the
    charts drawn into it with ``stage=True`` (:func:`chart`) stretch to fill it. Elsewhere a plain container."""
    return st.container(key="stage")


def intro_formula(formula: str) -> None:
    """Replace the formula of the intro waiting to be drawn (a scene whose formula depends on a control drawn after
    its title: scene 4's objective)."""
    pending = st.session_state.get(_INTRO)
    if pending is not None:
        st.session_state[_INTRO] = (*pending[:2], formula)


def draw_intro() -> None:
    """Draw the pending intro (if any) into its place under the title; once per run."""
    pending = st.session_state.pop(_INTRO, None)
    if pending is None:
        return
    slot, sentences, formula = pending
    with slot:
        st.markdown(presenter.first_sentence(sentences) if presenter.active() else sentences)
        formulas.show(formula)


def chart(
    fig: go.Figure | dict, key: str, *, alt: str | None = None, stale: str | None = None, stage: bool = False
) -> None:
    """Draw a figure, or a finished Plotly JSON dict (sent as is: see ``figures.SpecFigure``), with our own styling
    (theme=None keeps the projector fonts and palette); in presenter mode scaled for the projector
    (``figures.presented``). The camera icon saves the session's choice of slide-sized PNG or SVG
    (``presenter.image_format``), named ``scoredemo-<key>``.

    ``alt``: a short summary of what the chart shows, computed from the same numbers. Plotly charts are not
    keyboard-reachable, so this text is the accessible path: it is the chart's accessible name (st.plotly_chart's
    ``alt``) and is shown as a caption under it. ``stale``: a dict drawn faded under that grey label
    (``figures.greyed``: the previous result while new settings wait for training). ``stage``: the chart is one of
    the scene's main charts, drawn into :func:`stage`: in presenter mode it stretches to fill the stage (its figure's
    height becomes a minimum, ``presenter.STAGE_MIN_HEIGHT``).
    """
    spec = presenter.scaled(fig if isinstance(fig, dict) else fig.to_plotly_json())
    # the camera's slide is the chart as the page lays it out, before the stage lays it out for the screen
    spec = slides.for_camera(spec, image_button_options(presenter.image_format(), f"scoredemo-{key}"))
    fig, height = presenter.on_stage(spec, stage=stage)
    if isinstance(fig, dict):
        fig = F.SpecFigure(F.greyed(fig, stale) if stale else fig)
    cfg = {**CHART_CONFIG, "toImageButtonOptions": image_button_options(presenter.image_format(), f"scoredemo-{key}")}
    st.plotly_chart(fig, key=key, theme=None, config=cfg, width="stretch", height=height, alt=alt)
    if alt:
        st.caption(alt)
    draw_intro()


# ------------------------------------------------------------------------------------------ densities


def default_density_key(name: str) -> DensityKey:
    """The key :func:`density_controls` gives for ``name`` with every parameter slider at its default."""
    return density_key(name, **{pname: round(p.default, 2) for pname, p in DENSITIES[name].params.items()})


def density_controls(
    page: Page,
    default: str,
    *,
    allow_custom: bool = False,
    draw: bool = False,
    names: Sequence[str] | None = None,
    key: str = "density",
    label: str = "Density",
) -> tuple[DensityKey, Density, str | None]:
    """The density picker (the whole registry, read from ``DENSITIES``) and its parameter sliders.

    With ``allow_custom`` the picker also offers "custom": the drawn / typed density (one text, ``?components=``,
    shared by every scene of the session); ``draw`` adds the drawing tools (scene 1 draws on its chart).
    Returns (key, density, error): ``error`` is a message when the custom drawing is invalid (the last good drawing,
    or the default one, is then drawn instead, so the page never goes empty).
    """
    options = list(names) if names is not None else (registry_names() if allow_custom else list(DENSITIES))
    name = page.select(
        label,
        key,
        options,
        default,
        help="Any density of the registry"
        + (", or your own: drawn on scene 1's chart or typed in the component table." if allow_custom else "."),
    )
    if name == CUSTOM:
        text, error = custom_table(page, draw=draw)
        return DensityKey(CUSTOM, (), text), get_density(DensityKey(CUSTOM, (), text)), error
    spec = DENSITIES[name]
    st.sidebar.caption(spec.description)
    values = {}
    for pname, p in spec.params.items():  # slider defaults: as in default_density_key
        lo = p.low + (0.01 if p.open_low else 0.0)
        hi = p.high - (0.01 if p.open_high else 0.0)
        step = 0.01 if hi - lo <= 2.5 else 0.05 if hi - lo <= 12 else 0.1
        values[pname] = page.slider(f"{pname} — {p.help}", pname, round(p.default, 2), lo, hi, step)
    dkey = density_key(name, **values)
    return dkey, get_density(dkey), None


def _editor_frame(text: str) -> pd.DataFrame:
    """The bump rows of a drawing's text as the table (the default drawing's when the text cannot be read)."""
    try:
        bumps = CD.parse_drawing(text).bumps
    except ValueError:
        bumps = CD.parse_drawing(CD.DEFAULT_COMPONENTS).bumps
    return pd.DataFrame(
        {"mean x": bumps[:, 0], "mean y": bumps[:, 1], "scale": bumps[:, 2], "weight": bumps[:, 3]}
    ).astype("float64")


def _frame_text(df: pd.DataFrame) -> str:
    def cell(v) -> str:
        return "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{float(v):g}"

    return "; ".join(
        ", ".join(cell(v) for v in row)
        for row in df[["mean x", "mean y", "scale", "weight"]].itertuples(index=False, name=None)
    )


def _region_rows(text: str) -> list[str]:
    """The region rows of a drawing's text, as written (kept when the table's bump rows are edited)."""
    return [r.strip() for r in str(text).replace("\n", ";").split(";") if r.strip().lower().startswith("fill")]


def _rebase_editor() -> None:
    """The text box changed: start the table afresh from the new text."""
    st.session_state["_editor_version"] = st.session_state.get("_editor_version", 0) + 1
    st.session_state["_editor_base"] = st.session_state.get("components", CD.DEFAULT_COMPONENTS)


def _current_text() -> str:
    """The drawing as it stands before this run's widgets: the text widget's state; on a scene's first run the
    shared link (``?components=``), else the session's last good drawing (so a drawing follows the teacher from
    scene to scene), else the default."""
    if "components" not in st.session_state:
        raw = st.query_params.get("components")
        if not raw and "_drawing_last_good" in st.session_state:
            st.session_state["components"] = st.session_state["_drawing_last_good"]  # the widget is not drawn yet
            st.session_state["_editor_base"] = st.session_state["_drawing_last_good"]
        return str(raw) if raw else st.session_state.get("components", CD.DEFAULT_COMPONENTS)
    return str(st.session_state["components"])


def custom_table(page: Page, *, draw: bool = False) -> tuple[str, str | None]:
    """The drawing's editors: the drawing tools (``draw``), a table of its bumps (st.data_editor) and the
    URL-bound text ``?components=`` that is the drawing (bumps and filled regions).

    Returns (text of the density to draw, error message or None). With an invalid text the density drawn is the
    session's last good drawing (or the default); the empty drawing draws a placeholder bump with a note. No
    formula is evaluated: cells are numbers, checked one by one.
    """
    text = _current_text()
    if draw:
        tool = drawing.tools(page)
        st.session_state["_draw_tool_mode"] = tool
        drawing.consume_selection(_last_good(text))
        text = str(st.session_state.get("components", text))
    if "_editor_base" not in st.session_state:
        st.session_state["_editor_base"] = text
    base_text = st.session_state["_editor_base"]
    base = _editor_frame(base_text)
    st.markdown(
        "**Mixture components** — edit the cells (add rows at the bottom). Weights are normalised."
        + (" Filled regions are rows `fill W: x y, …` of the text below." if _region_rows(text) else "")
    )
    edited = st.data_editor(
        base,
        key=f"editor-{st.session_state.get('_editor_version', 0)}",
        num_rows="dynamic",
        width="content",
        column_config={
            "mean x": st.column_config.NumberColumn("mean x", format="%.2f"),
            "mean y": st.column_config.NumberColumn("mean y", format="%.2f"),
            "scale": st.column_config.NumberColumn("scale (std)", format="%.2f"),
            "weight": st.column_config.NumberColumn("weight", format="%.2f"),
        },
    )
    edited_text = _frame_text(edited)
    if edited_text != _frame_text(base):
        # the table was edited: mirror it, with the drawing's regions, into the bound text (the widget is not
        # drawn yet, so this is allowed)
        st.session_state["components"] = "; ".join(r for r in [edited_text, *_region_rows(text)] if r)
    text = page.text(
        "Components as text (x, y, scale, weight; fill W: x y, …)",
        "components",
        CD.DEFAULT_COMPONENTS,
        help="The drawing as text; it is what the URL stores. Editing it resets the table above.",
        container=st.expander("Drawing as text (this is what the URL stores)"),
        on_change=_rebase_editor,
    )
    try:
        CD.validate_drawing(text)
    except ValueError as err:
        fallback = st.session_state.get("_drawing_last_good", CD.DEFAULT_COMPONENTS)
        cleared = st.session_state.get("_draw_cleared") and CD.parse_drawing_or_none(text) is not None
        if cleared and CD.parse_drawing(text).empty:  # after "Clear": a blank canvas, not a mistake
            st.info(
                "**The canvas is empty.** Click on the chart to drop a first bump (or add a row to the table, or "
                "pick a preset); until then the chart shows one broad placeholder bump.",
                icon=":material/draw:",
            )
            return CD.PLACEHOLDER, None
        st.error(
            f"**The component table has a problem:** {md_text(str(err))}. Showing the "  # err quotes the cells
            + ("last good drawing" if "_drawing_last_good" in st.session_state else "default table")
            + " until it is fixed.",
            icon=":material/edit:",
        )
        return fallback, str(err)
    st.session_state["_drawing_last_good"] = text
    return text, None


def _last_good(text: str) -> str:
    """``text`` if it is a valid (or empty) drawing, else the session's last good one: a gesture edits that."""
    d = CD.parse_drawing_or_none(text)
    if d is not None and (d.empty or CD.check_drawing_or_none(d) is not None):
        return text
    return st.session_state.get("_drawing_last_good", CD.DEFAULT_COMPONENTS)


# ------------------------------------------------------------------------------------------ animation


def trajectories_csv(samples: np.ndarray) -> bytes:
    buf = io.StringIO()
    buf.write("x,y\n")
    np.savetxt(buf, np.asarray(samples, np.float64), delimiter=",", fmt="%.5f")
    return buf.getvalue().encode()


def samples_npz(run: B.RunData) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(
        buf, samples=run.samples, trajectory=run.trajectory, frame_steps=run.frame_steps, frame_sigmas=run.frame_sigmas
    )
    return buf.getvalue()


def animation_block(
    anim: F.Animation | Callable[[], F.Animation],
    run: B.RunData,
    *,
    key: str,
    file_stem: str,
    alt: str | None = None,
    stale: str | None = None,
    spec: dict | None = None,
    stage: bool = True,
) -> None:
    """The animation chart (``alt``: its text summary; ``stale`` as in :func:`chart`, the downloads stay the real,
    unfaded run) plus its downloads (self-contained HTML, GIF and MP4 for slides, final samples as .npz and CSV).

    ``anim``: one :class:`~scoredemo.figures.Animation`, or several side by side that play in step under one set
    of controls (``run`` is then the first panel's run, for the samples' downloads). ``spec``: the animation's
    Plotly JSON when the caller keeps it (a cached spec); ``anim`` may then be a function that builds the
    animation, called only when a GIF or MP4 is asked for. ``stage``: as in :func:`chart` (a scene's animation is
    its main chart unless it says otherwise)."""
    spec = F.animation_spec(anim) if spec is None else spec
    build = anim if callable(anim) else lambda: anim
    chart(spec, key, alt=alt, stale=stale, stage=stage)
    slides.record_animation(key, build)  # its GIF/MP4 for `python -m scoredemo slides` (nothing in the server)
    # one wrapping row of buttons at their natural width: in columns, a half-page animation cut the labels short
    row = st.container(horizontal=True, wrap=True, key=f"{key}-downloads")
    row.download_button(
        "⬇ Animation .html",
        data=lambda: F.animation_html(spec).encode(),
        file_name=f"{file_stem}.html",
        mime="text/html",
        key=f"{key}-html",
        on_click="ignore",
        help="The same animation as a single self-contained file: opens offline in any browser.",
    )
    for fmt, mime, write in (("gif", "image/gif", export.to_gif), ("mp4", "video/mp4", export.to_mp4)):
        row.download_button(
            f"⬇ Animation .{fmt}",
            data=lambda write=write: write(build()),  # drawn on click: 1–4 s for 51 frames
            file_name=f"{file_stem}.{fmt}",
            mime=mime,
            key=f"{key}-{fmt}",
            on_click="ignore",
            help="The same animation for slides, 800 × 800.",
        )
    row.download_button(
        "⬇ Samples .npz",
        data=lambda: samples_npz(run),  # built on click: compressing costs ~15 ms a rerun
        file_name=f"{file_stem}.npz",
        mime="application/octet-stream",
        key=f"{key}-npz",
        on_click="ignore",
    )
    row.download_button(
        "⬇ Samples .csv",
        data=lambda: trajectories_csv(run.samples),
        file_name=f"{file_stem}.csv",
        mime="text/csv",
        key=f"{key}-csv",
        on_click="ignore",
    )


def cursor(run: B.RunData) -> np.ndarray:
    """The step of each frame an animation of ``run`` draws: a meter's cursor follows it (``figures.follow_meta``)."""
    return np.asarray(run.frame_steps)[F.drawn_frames(len(run.frame_steps))]


def warn_divergence(run: B.RunData, step_size: float, dens: Density, *, sigmas=None) -> None:
    msg = B.divergence_message(run, step_size, dens, sigmas=sigmas)
    if msg:
        st.warning(msg, icon=":material/warning:")


def sampler_controls(
    page: Page,
    *,
    step_size: float = 0.02,
    n_steps: int = 400,
    n_particles: int = 1000,
    noise: bool = True,
    max_steps: int = 2000,
    with_seed: bool = True,
):
    """ε, steps, particles, seed — the controls every particle scene shares (URL names step_size, n_steps, …)."""
    eps = page.slider(
        "step size ε",
        "step_size",
        step_size,
        0.001,
        1.0,
        0.001,
        fmt="%.3f",
        help="Too large and the particles overshoot and blow up; the page then says so.",
    )
    steps = page.int_slider("steps", "n_steps", n_steps, 10, max_steps, 10)
    n = page.select("particles", "n_particles", list(PARTICLE_CHOICES), n_particles)
    seed = None
    if with_seed:
        seed = page.number("seed", "seed", 0, 0, 9999, help="Same seed, same particles: paste the URL to reproduce.")
    return eps, steps, int(n), seed


def sigma_range_problem(sigma_max: float, sigma_min: float, dkey: DensityKey | None = None) -> bool:
    """The σ-order policy of the whole app: the engine's (:func:`~scoredemo.samplers.check_sigma_range`, which
    the samplers, the trainer and the CLI apply too): noise levels go down from σ_max to σ_min, and a range the
    wrong way round is refused, never silently clamped. Says so on the page and returns True when the range cannot
    be used."""
    try:
        check_sigma_range(sigma_max, sigma_min)
    except ValueError:
        st.warning(
            f"**σ_min = {sigma_min:g} is above σ_max = {sigma_max:g}.** The noise levels go down from σ_max to "
            f"σ_min, so this range cannot be used: lower σ_min below {sigma_max:g} or raise σ_max above "
            f"{sigma_min:g}.",
            icon=":material/swap_vert:",
        )
        if dkey is not None:  # the page does not go empty: the density and its score, with nothing run on it
            f = B.field(dkey, 0.0)
            panel = F.FieldPanel(f.xs, f.ys, f.density, f.points, f.score, title="p and its score (nothing was run)")
            chart(F.score_field_spec([panel], box=f.box, height=520), "score-field")
        return True
    return False


# ------------------------------------------------------------------------------------------ modes (scenes 7 and 9)

#: The mode-fraction meter draws at most this many modes: beyond it a drawing's lightest modes share one line.
METER_MODES = 8


class ModeView:
    """The modes a page counts particles in, as its meter, numbers and captions name them.

    ``names`` and ``true_weights`` are per shown group: a registry density's own modes, or a drawing's modes
    (``custom_density.mode_names``: "bump 1", …, "region 1", …; weights from ``Density.true_weights``), its
    lightest ones merged into "k others" when it has more than :data:`METER_MODES`. ``groups[g]`` lists
    the mixture modes summed into group g; ``n_modes`` is the mixture's count, ``n_weighted`` how many of them
    have a positive weight, ``where`` "bump 1 at (−2, 0)" for each mode.
    """

    def __init__(
        self, names: list[str], groups: list[np.ndarray], weights: np.ndarray, where: list[str], n_weighted: int
    ):
        self.names = names
        self.groups = groups
        self.true_weights = np.asarray([weights[g].sum() for g in groups], np.float64)
        self.where = where
        self.n_modes = len(weights)
        self.n_weighted = n_weighted

    def fractions(self, frac: np.ndarray) -> np.ndarray:
        """(…, M) mode fractions of the mixture's modes → (…, G) of the shown groups."""
        frac = np.asarray(frac, np.float64)
        return np.stack([frac[..., g].sum(axis=-1) for g in self.groups], axis=-1)

    def split(self, frac: np.ndarray) -> str:
        """ "bump 1 17 % · bump 2 50 % · region 1 33 %" for (G,) group fractions (the true weights, or a run's)."""
        return " · ".join(f"{n} {100 * float(x):.0f} %" for n, x in zip(self.names, frac, strict=True))


def mode_view(dkey: DensityKey, dens: Density, names: Sequence[str] | None = None) -> ModeView:
    """The :class:`ModeView` of a page's density: ``names`` for a registry density (one per mode), or a drawing's
    own names and positions (bumps, then regions, as the drawing numbers them)."""
    w = np.asarray(dens.true_weights, np.float64)
    onehot = np.asarray(dens.mixture.mode_onehot, np.float64)
    centres = onehot.T @ np.asarray(dens.mixture.means, np.float64) / np.maximum(onehot.sum(axis=0), 1)[:, None]
    if dkey.name == CUSTOM:
        d = CD.parse_drawing(dkey.components)
        own = CD.mode_names(d)
        where = [
            f"{n} {'around' if n.startswith('region') else 'at'} ({c[0]:.1f}, {c[1]:.1f})"
            for n, c in zip(own, centres, strict=True)
        ]
    else:
        own = list(names) if names is not None else [f"mode {m + 1}" for m in range(len(w))]
        where = [f"{n} at ({c[0]:.1f}, {c[1]:.1f})" for n, c in zip(own, centres, strict=True)]
    n_weighted = int(np.sum(w > 0))
    if len(w) <= METER_MODES:
        return ModeView(own, [np.array([m]) for m in range(len(w))], w, where, n_weighted)
    heavy = np.sort(np.argsort(-w, kind="stable")[: METER_MODES - 1])
    rest = np.setdiff1d(np.arange(len(w)), heavy)
    return ModeView(
        [own[m] for m in heavy] + [f"{len(rest)} others"],
        [np.array([m]) for m in heavy] + [rest],
        w,
        where,
        n_weighted,
    )


def tv_distance(fractions: np.ndarray, weights: np.ndarray) -> float:
    """Total-variation distance ½ Σ_m |f_m − w_m| between a run's mode fractions and the true weights: 0 when
    every mode holds its share, 1 when the particles sit where the density has no mass."""
    return 0.5 * float(np.sum(np.abs(np.asarray(fractions, np.float64) - np.asarray(weights, np.float64))))


def sampling_tv(weights: np.ndarray, n: int) -> float:
    """The total-variation distance n exact samples land at on average: ½ Σ_m E|f_m − w_m| with f_m ~
    Binomial(n, w_m)/n, ≈ ½ Σ_m √(2/π)·√(w_m(1 − w_m)/n) (the normal approximation of |f − w|)."""
    w = np.asarray(weights, np.float64)
    return 0.5 * float(np.sum(np.sqrt(2.0 / np.pi) * np.sqrt(w * (1.0 - w) / max(int(n), 1))))


def drawn_weights_caption(view: ModeView, what: str) -> str:
    """Where a page's π slider would be, for a drawing: ``what`` ("π and π′ do not apply") and the drawing's own
    weights."""
    return (
        f"**{what} to a drawing:** its modes' weights are its own — {view.split(view.true_weights)}. "
        "Change them in the table (or on scene 1's chart)."
    )


def single_mode_note(view: ModeView) -> None:
    """A drawing with fewer than two modes of positive weight: every particle counts for the one mode, so a
    meter would read 100 % from the first step. Said instead of a chart."""
    what = view.where[0] if view.n_modes == 1 else view.split(view.true_weights)
    st.info(
        f"**This drawing has {'one mode' if view.n_modes == 1 else 'only one mode of positive weight'}** ({what}): "
        "every particle counts for it, so the mode-fraction meter would read 100 % from the first step and there "
        "is no split of the weights to get right. Add a second bump or region (in the table, or on scene 1's "
        "chart) to see the weights matter.",
        icon=":material/looks_one:",
    )
