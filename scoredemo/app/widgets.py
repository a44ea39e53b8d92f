"""Pieces shared by the scenes: the intro block, the density picker, chart display and the animation block."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from scoredemo.app import state as S
from scoredemo import figures as F
from scoredemo.densities import DENSITIES, Density

CHART_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "scoredemo"},
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
}


def intro(title: str, sentences: str, formula: str) -> None:
    """Every scene opens the same way: a title, 2–4 plain sentences and the formula."""
    st.title(title)
    st.markdown(sentences)
    st.latex(formula)


def chart(fig: go.Figure | dict, key: str) -> None:
    """Draw a figure, or a finished Plotly JSON dict (sent as is: see ``figures.SpecFigure``), with our own styling
    (theme=None keeps the projector fonts and palette)."""
    if isinstance(fig, dict):
        fig = F.SpecFigure(fig)
    cfg = dict(CHART_CONFIG)
    cfg["toImageButtonOptions"] = {**cfg["toImageButtonOptions"], "filename": f"scoredemo-{key}"}
    st.plotly_chart(fig, key=key, theme=None, config=cfg, width="stretch")


# ------------------------------------------------------------------------------------------ densities


def density_controls(
    page: S.Page,
    default: str,
    *,
    allow_custom: bool = False,
    names: Sequence[str] | None = None,
    key: str = "density",
    label: str = "Density",
) -> tuple[S.DensityKey, Density, str | None]:
    """The density picker (the whole registry, read from ``DENSITIES``) and its parameter sliders.

    Returns (key, density, error): ``error`` is a message when the custom table is invalid (the default table is
    then drawn instead, so the page never goes empty).
    """
    options = list(names) if names is not None else (S.registry_names() if allow_custom else list(DENSITIES))
    name = page.select(
        label,
        key,
        options,
        default,
        help="Any density of the registry" + (", or build your own in the component table." if allow_custom else "."),
    )
    if name == S.CUSTOM:
        text, error = custom_table(page)
        dkey = S.DensityKey(S.CUSTOM, (), text if error is None else S.DEFAULT_COMPONENTS)
        return dkey, S.get_density(dkey), error
    spec = DENSITIES[name]
    st.sidebar.caption(spec.description)
    values = {}
    for pname, p in spec.params.items():
        lo = p.low + (0.01 if p.open_low else 0.0)
        hi = p.high - (0.01 if p.open_high else 0.0)
        step = 0.01 if hi - lo <= 2.5 else 0.05 if hi - lo <= 12 else 0.1
        values[pname] = page.slider(f"{pname} — {p.help}", pname, round(p.default, 2), lo, hi, step)
    dkey = S.density_key(name, **values)
    return dkey, S.get_density(dkey), None


def _editor_frame(text: str) -> pd.DataFrame:
    try:
        means, scales, weights = S.parse_components(text)
    except ValueError:
        means, scales, weights = S.parse_components(S.DEFAULT_COMPONENTS)
    return pd.DataFrame({"mean x": means[:, 0], "mean y": means[:, 1], "scale": scales, "weight": weights}).astype(
        "float64"
    )


def _frame_text(df: pd.DataFrame) -> str:
    def cell(v) -> str:
        return "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{float(v):g}"

    return "; ".join(
        ", ".join(cell(v) for v in row)
        for row in df[["mean x", "mean y", "scale", "weight"]].itertuples(index=False, name=None)
    )


def _rebase_editor() -> None:
    """The text box changed: start the table afresh from the new text."""
    st.session_state["_editor_version"] = st.session_state.get("_editor_version", 0) + 1
    st.session_state["_editor_base"] = st.session_state.get("components", S.DEFAULT_COMPONENTS)


def custom_table(page: S.Page) -> tuple[str, str | None]:
    """The component editor: a table (st.data_editor) mirrored into the URL-bound text ``?components=``.

    Returns (text, error message or None). No formula is evaluated: cells are numbers, checked one by one.
    """
    if "_editor_base" not in st.session_state:
        raw = st.query_params.get("components")
        st.session_state["_editor_base"] = raw if raw else S.DEFAULT_COMPONENTS
    base_text = st.session_state["_editor_base"]
    base = _editor_frame(base_text)
    st.markdown("**Mixture components** — edit the cells (add rows at the bottom). Weights are normalised.")
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
        # the table was edited: mirror it into the bound text (allowed: the text widget is not drawn yet)
        st.session_state["components"] = edited_text
    text = page.text(
        "Components as text (x, y, scale, weight; …)",
        "components",
        S.DEFAULT_COMPONENTS,
        help="The same table as text; it is what the URL stores. Editing it resets the table above.",
        container=st.expander("Table as text (this is what the URL stores)"),
        on_change=_rebase_editor,
    )
    try:
        S.validate_components(text)
    except ValueError as err:
        st.error(
            f"**The component table has a problem:** {err}. Showing the default table until it is fixed.", icon="✏️"
        )
        return text, str(err)
    return text, None


# ------------------------------------------------------------------------------------------ animation


def trajectories_csv(samples: np.ndarray) -> bytes:
    buf = io.StringIO()
    buf.write("x,y\n")
    np.savetxt(buf, np.asarray(samples, np.float64), delimiter=",", fmt="%.5f")
    return buf.getvalue().encode()


def samples_npz(run: S.RunData) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(
        buf, samples=run.samples, trajectory=run.trajectory, frame_steps=run.frame_steps, frame_sigmas=run.frame_sigmas
    )
    return buf.getvalue()


def animation_block(anim: F.Animation, run: S.RunData, *, key: str, file_stem: str) -> None:
    """The animation chart plus its downloads (self-contained HTML, final samples as .npz and CSV)."""
    spec = F.animation_spec(anim)
    chart(spec, key)
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        "⬇ Animation .html",
        data=lambda: F.animation_html(spec).encode(),
        file_name=f"{file_stem}.html",
        mime="text/html",
        key=f"{key}-html",
        on_click="ignore",
        help="The same animation as a single self-contained file: opens offline in any browser.",
    )
    c2.download_button(
        "⬇ Samples .npz",
        data=lambda: samples_npz(run),  # built on click: compressing costs ~15 ms a rerun
        file_name=f"{file_stem}.npz",
        mime="application/octet-stream",
        key=f"{key}-npz",
        on_click="ignore",
    )
    c3.download_button(
        "⬇ Samples .csv",
        data=lambda: trajectories_csv(run.samples),
        file_name=f"{file_stem}.csv",
        mime="text/csv",
        key=f"{key}-csv",
        on_click="ignore",
    )


def warn_divergence(run: S.RunData, step_size: float, dens: Density, *, sigmas=None) -> None:
    msg = S.divergence_message(run, step_size, dens, sigmas=sigmas)
    if msg:
        st.warning(msg, icon="⚠️")


def learned_page(page_id: str, header: str) -> tuple[S.Page, S.DensityKey, Density] | None:
    """The opening of a learned-score scene (3, 4): None, with a note, when the trainer cannot be imported;
    otherwise the page's controls object, a sidebar header and the density picker (default: the NCSN toy)."""
    training, reason = S.training_api()
    if training is None:
        learned_unavailable(reason)
        return None
    page = S.Page(page_id)
    st.sidebar.header(header)
    dkey, dens, _ = density_controls(page, "ncsn-mixture")
    return page, dkey, dens


def learned_unavailable(reason: str) -> None:
    st.info(
        "The learned-score part of this scene needs `scoredemo.training`, which could not be imported "
        f"({reason}). The exact-score parts of the other scenes work without it.",
        icon="🧩",
    )


# ------------------------------------------------------------------------------------------ training


def _auto_keys() -> set:
    return st.session_state.setdefault("_auto_trained", set())


def train_block(tkey: S.TrainKey | Sequence[S.TrainKey], *, page_id: str, label: str = "Train", auto: bool = True):
    """Train button + "train again", a progress bar and a live loss curve; returns the TrainResult (a list for a
    list of keys) or None.

    A model already trained on this server (by anyone) is shown at once. ``auto``: the settings the page opens
    with (defaults or a shared URL) train without a click, so the default view needs no clicking; later changes
    wait for the button.
    """
    keys = [tkey] if isinstance(tkey, S.TrainKey) else list(tkey)
    first_visit = page_id not in st.session_state.setdefault("_visited_training", set())
    st.session_state["_visited_training"].add(page_id)
    c1, c2, c3 = st.columns([1, 1, 3])
    pressed = c1.button(f"▶ {label}", key=f"train-{page_id}", type="primary")
    again = c2.button("↻ Train again", key=f"again-{page_id}", help="Retrain from scratch (same settings).")
    known = all(S.is_trained(k) for k in keys)
    if not (known or pressed or again or (auto and first_visit)):
        c3.info("Settings changed: press **Train** to train with them.")
        return None
    results = []
    for j, key in enumerate(keys):
        if S.is_trained(key) and not again:
            results.append(S.trained(key))
            continue
        what = f"model {j + 1}/{len(keys)}: " if len(keys) > 1 else ""
        bar = st.progress(0.0, text=f"{what}compiling the training program…")
        live = st.empty()

        def progress(done: int, total: int, curve: np.ndarray, bar=bar, live=live, what=what, key=key, j=j) -> None:
            bar.progress(min(done / total, 1.0), text=f"{what}training step {done} / {total}")
            live.plotly_chart(
                F.SpecFigure(F.loss_curve_spec({key.objective: curve}, title="loss so far", height=300)),
                theme=None,
                key=f"live-{page_id}-{j}-{done}",
            )

        results.append(S.trained(key, progress, force=again))
        bar.empty()
        live.empty()
    secs = sum(r.compile_seconds + r.train_seconds for r in results)
    c3.success(f"Trained ({', '.join(k.objective for k in keys)}, {keys[0].steps} steps) in {secs:.1f} s.", icon="✅")
    return results[0] if isinstance(tkey, S.TrainKey) else results
