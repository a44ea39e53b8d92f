"""Short text summaries of the charts, from the same numbers the charts draw (``widgets.chart(..., alt=...)``):
the accessible path for a screen reader, since Plotly charts are not keyboard-reachable."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pct(x: float) -> str:
    return f"{100 * float(x):.0f} %"


def binomial_se(p: float, n: int) -> float:
    """The standard error √(p(1 − p)/n) of a fraction of n independent particles whose true value is p."""
    return float(np.sqrt(max(p * (1.0 - p), 1e-12) / max(int(n), 1)))


def mode_split(fractions: Sequence[float], true_weights: Sequence[float], names: Sequence[str] | None = None) -> str:
    """ "49 % in the left mode, 51 % in the right mode; true weights 20 % / 80 %" (up to 3 modes), or the range
    over the modes for more ("in each of the 8 modes 11–14 %; true weights 12 % each")."""
    f = np.asarray(fractions, np.float64)
    w = np.asarray(true_weights, np.float64)
    if len(f) <= 3:
        if names is None:
            got = ", ".join(f"{pct(x)} in mode {j + 1}" for j, x in enumerate(f))
        else:
            got = ", ".join(
                f"{pct(x)} in the {n}" + ("" if "mode" in n else " mode") for x, n in zip(f, names, strict=True)
            )
        return f"{got}; true weights " + " / ".join(pct(x) for x in w)
    truth = f"{pct(w[0])} each" if np.allclose(w, w[0], atol=5e-3) else f"{pct(w.min())}–{pct(w.max())}"
    return f"in each of the {len(f)} modes {pct(f.min())}–{pct(f.max())}; true weights {truth}"


def particles(what: str, n: int, steps: int, fractions, true_weights, names=None, *, diverged_at: int = -1) -> str:
    """ "1000 Langevin particles after 400 steps: 49 % in the left mode, …" (or where the run diverged)."""
    if diverged_at >= 0:
        return f"{n} {what} particles: the run diverged at step {diverged_at}."
    return f"{n} {what} particles after {steps} steps: {mode_split(fractions, true_weights, names)}."


def curve_ends(label: str, x, y, *, x_name: str, y_name: str) -> str:
    """ "ULA: variance ratio 1.0 at ε = 0.01 rising to 4.1 at ε = 1.9" — a curve by its two ends (finite points)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return f"{label}: no finite point"
    xs, ys = x[ok], y[ok]
    return f"{label}: {y_name} {ys[0]:.3g} at {x_name} = {xs[0]:g}, {ys[-1]:.3g} at {x_name} = {xs[-1]:g}"


def nfe_to_reach(reach: dict[str, float | None], target: float, floor: float, at_nfe: float) -> str:
    """ "To reach annealed Langevin's energy distance 0.012 (floor 0.003): reverse SDE 16 NFE, …, PC not within the
    chart" — the quality-vs-cost chart by what it answers (``at_nfe``: where annealed Langevin's distance is read)."""
    parts = [f"{name} {nfe:.0f}" if nfe is not None else f"{name} not on the chart" for name, nfe in reach.items()]
    return (
        f"Energy distance to exact samples against score evaluations. Fewest evaluations per particle to reach "
        f"annealed Langevin's distance at {at_nfe:.0f} ({target:.3g}; exact-vs-exact floor {floor:.3g}): "
        + ", ".join(parts)
        + "."
    )
