"""Custom densities typed as text: "x, y, scale, weight; …" parsed into a Gaussian mixture (pure; no Streamlit)."""

from __future__ import annotations

import math

import numpy as np

#: Length of the component table's text (16 rows of 4 numbers fit easily).
MAX_COMPONENTS_CHARS = 2_000
#: Components in one custom mixture.
MAX_COMPONENTS = 16
DEFAULT_COMPONENTS = "-2, 0, 0.6, 1; 2, 1, 0.8, 2; 0, -2.5, 0.4, 1"


def parse_components(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse "x, y, scale, weight; x, y, scale, weight; …" into (means, scales, weights).

    Raises ValueError with a message meant for a student (which row, what is wrong, what is allowed).
    """
    text = str(text)
    if len(text) > MAX_COMPONENTS_CHARS:
        raise ValueError(
            f"the table text is {len(text)} characters long; keep it under {MAX_COMPONENTS_CHARS} "
            f"(at most {MAX_COMPONENTS} rows)"
        )
    rows = [r.strip() for r in text.replace("\n", ";").split(";") if r.strip()]
    if not rows:
        raise ValueError("the table is empty: add at least one component (a row with mean x, mean y, scale, weight)")
    if len(rows) > MAX_COMPONENTS:
        raise ValueError(f"{len(rows)} components is too many for the demo: use at most {MAX_COMPONENTS}")
    values = []
    for i, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row.split(",")]
        if len(cells) != 4:
            raise ValueError(f"row {i} has {len(cells)} values; each row needs 4: mean x, mean y, scale, weight")
        parsed = []
        for name, cell in zip(("mean x", "mean y", "scale", "weight"), cells, strict=True):
            try:
                v = float(cell)
            except ValueError:
                raise ValueError(f"row {i}: {name} {cell!r} is not a number") from None
            if not math.isfinite(v):
                raise ValueError(f"row {i}: {name} must be a finite number")
            parsed.append(v)
        values.append(parsed)
    arr = np.asarray(values, np.float64)
    return arr[:, :2], arr[:, 2], arr[:, 3]


def validate_components(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`parse_components` plus the demo's ranges (|mean| ≤ 8, 0.05 ≤ scale ≤ 5, weights ≥ 0, not all 0)."""
    means, scales, weights = parse_components(text)
    for i, (m, s, w) in enumerate(zip(means, scales, weights, strict=True), start=1):
        if np.any(np.abs(m) > 8):
            raise ValueError(f"row {i}: the mean ({m[0]:g}, {m[1]:g}) is outside the picture; keep |x|, |y| ≤ 8")
        if s <= 0:
            raise ValueError(f"row {i}: scale {s:g} must be positive (it is a standard deviation)")
        if not 0.05 <= s <= 5:
            raise ValueError(f"row {i}: scale {s:g} is out of range; use 0.05 ≤ scale ≤ 5")
        if w < 0:
            raise ValueError(f"row {i}: weight {w:g} is negative; weights must be ≥ 0")
        if w > 1e6:
            raise ValueError(f"row {i}: weight {w:g} is huge; weights are relative, use numbers ≤ 1e6")
    if weights.sum() <= 0:
        raise ValueError("all weights are zero: give at least one component a positive weight")
    return means, scales, weights


def components_text(means: np.ndarray, scales: np.ndarray, weights: np.ndarray) -> str:
    return "; ".join(f"{m[0]:g}, {m[1]:g}, {s:g}, {w:g}" for m, s, w in zip(means, scales, weights, strict=True))
