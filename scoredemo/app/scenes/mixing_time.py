"""Scene 8 — pitfall: slow mixing. Started at the data of one mode, Langevin takes a time growing like exp(ΔU) to
reach the other (Arrhenius/Kramers)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import figures as F
from scoredemo.app import alt_text
from scoredemo.app import builders as B
from scoredemo.app import widgets as W
from scoredemo.app.controls import Page

PAGE = "mixing-time"
SEPARATIONS = (4.0, 5.0, 6.0, 7.0)
#: The fit of log(time) against d uses the separations whose barrier is at least this high (Kramers needs ΔU ≫ 1).
MIN_BARRIER = 2.0


INTRO = W.Intro(
    "Pitfall: mixing takes exponentially long",
    "Even started **at the data**, Langevin rarely moves between separated modes. Every particle here starts at "
    "samples of the left mode of ½N((−d/2, 0), I) + ½N((d/2, 0), I). To reach the right mode it must climb the "
    "barrier ΔU of −log p between them, and the time that takes grows like exp(ΔU) — exp(d²/8), roughly: each "
    "extra unit of separation multiplies it.",
    # two lines: on one, the formula was 100 px wider than the page at 1280 px with the sidebar open
    r"\begin{gathered}\tau \approx \frac{2\pi}{\sqrt{U''(x_{\min})\,|U''(x_{\mathrm{saddle}})|}}\; e^{\Delta U}, "
    r"\qquad U = -\log p, \\ \Delta U \approx \frac{d^2}{8} - \log 2 "
    r"\quad (\text{time} = \varepsilon \cdot \text{steps})\end{gathered}",
)


def render() -> None:
    W.intro(INTRO)
    page = Page(PAGE)
    st.sidebar.header("Controls")
    eps = page.slider("step size ε", "step_size", 0.1, 0.01, 0.5, 0.01, fmt="%.2f")
    steps = page.int_slider("steps", "n_steps", 20000, 1000, 20000, 1000)
    n = page.select("particles", "n_particles", [250, 500], 500)
    seed = page.number("seed", "seed", 0, 0, 9999)
    page.finish()

    data = B.crossing_times(SEPARATIONS, eps, steps, int(n), seed)
    c1, c2 = W.stage().columns(2)
    with c1:
        W.chart(
            F.lines_spec(
                [
                    F.Series(f"d = {d:g}", data.frame_steps, data.crossed[j], mode="lines", style=j)
                    for j, d in enumerate(data.separations)
                ],
                kind="crossed-fraction",
                x_title="step",
                y_title="fraction that has reached the other mode",
                title="reached the other mode?",
                legend_corner="bottom right",  # the curves rise at the left and stay near 1: the top left is theirs
            ),
            "crossed-fraction",
            alt="Fraction of particles that have reached the other mode by the last step: "
            + ", ".join(f"{alt_text.pct(data.crossed[j][-1])} at d = {d:g}" for j, d in enumerate(data.separations))
            + ".",
            stage=True,
        )
    with c2:
        W.chart(
            F.lines_spec(
                [
                    F.Series("measured (± 1 s.e.)", data.separations, data.mean_steps, error=data.se_steps),
                    F.Series("Kramers", data.separations, data.kramers_steps, mode="lines+markers", style=1),
                ],
                kind="crossing-time",
                x_title="separation d",  # "… of the two modes": wider than the plot at 1280 px
                y_title="mean steps to reach the other mode",
                title="crossing time grows like exp(ΔU)",
                log_y=True,
            ),
            "crossing-time",
            alt="Mean steps to cross, measured vs Kramers: "
            + ", ".join(
                f"d = {d:g}: {m:,.0f} vs {k:,.0f}"
                for d, m, k in zip(data.separations, data.mean_steps, data.kramers_steps, strict=True)
            )
            + " (log scale: a straight line is exponential growth).",
            stage=True,
        )
    fit = (data.delta_u >= MIN_BARRIER) & np.isfinite(data.mean_steps)
    if fit.sum() >= 2:
        measured = float(np.polyfit(data.separations[fit], np.log(data.mean_steps[fit]), 1)[0])
        predicted = float(np.polyfit(data.separations[fit], np.log(data.kramers_steps[fit]), 1)[0])
        c3, c4 = st.columns(2)
        c3.metric("measured slope of log(time) per unit of d", f"{measured:.2f}")
        c4.metric("Kramers' slope", f"{predicted:.2f}")
    ratios = data.mean_steps / data.kramers_steps
    rows = "".join(
        f"| {d:g} | {du:.2f} | {m:,.0f} ± {se:,.0f} | {m * eps:,.0f} | {k * eps:,.0f} | {r:.2f} |\n"
        for d, du, m, se, k, r in zip(
            data.separations, data.delta_u, data.mean_steps, data.se_steps, data.kramers_steps, ratios, strict=True
        )
    )
    st.markdown(
        "| d | ΔU | measured steps | measured time ε·steps | Kramers time | measured / Kramers |\n"
        "|---|---|---|---|---|---|\n" + rows
    )
    st.caption(
        f"{data.n_particles} particles per separation, {data.n_steps} steps of ε = {eps:g}; a particle has crossed "
        "when x ≥ d/2 − 1, within a standard deviation of the other centre (first seen within "
        f"{data.n_steps // (len(data.frame_steps) - 1)} steps). The mean is the "
        "maximum-likelihood estimate for exponential waiting times, counting particles that have not crossed yet. "
        f"Kramers' formula is for ΔU ≫ 1: here the measured time is {ratios[0]:.1f}× the prediction at d = "
        f"{data.separations[0]:g} (ΔU = {data.delta_u[0]:.1f}) and {ratios[-1]:.1f}× at d = {data.separations[-1]:g} "
        f"(ΔU = {data.delta_u[-1]:.1f}). The slopes are fitted over the separations with ΔU ≥ {MIN_BARRIER:g}."
    )
