"""Custom (drawn) densities as one text: bumps "x, y, scale, weight" and filled regions "fill W: x y, x y, …",
separated by ";" — parsed, checked and expanded into a Gaussian mixture (pure; no Streamlit).

This text is the drawing's one source of truth: the table edits its bump rows, clicks on the chart add or grow
bumps, a lasso or box adds a region row, and the URL stores it as ``?components=``. A region is stored as its
corners (rounded to 0.1, at most :data:`MAX_VERTICES`) and expanded into small Gaussians only when the density is
built (:func:`scoredemo.regions.fill_polygon`), so a shared link reproduces the drawing exactly.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from scoredemo.regions import REGION_COMPONENTS, fill_polygon, polygon_problem, simplify_polygon

#: Length of the drawing's text (what the URL stores).
MAX_COMPONENTS_CHARS = 2_000
#: Bumps (single Gaussians: table rows or clicks) in one drawing.
MAX_COMPONENTS = 16
#: Filled regions in one drawing, and corners kept per region.
MAX_REGIONS = 4
MAX_VERTICES = 24
#: Gaussians in the expanded mixture: 16 bumps + 4 regions × 60 = 256, padded up to one of these sizes so that a
#: click or a lasso reuses the compiled score programs (zero-weight padding: ``densities.pad_mixture``).
MAX_GAUSSIANS = MAX_COMPONENTS + MAX_REGIONS * REGION_COMPONENTS
COMPONENT_BUCKETS = (16, 64, MAX_GAUSSIANS)
#: The picture of a drawn density is always [−BOX, BOX]²: the canvas does not move while one draws on it.
BOX = 8.0
DEFAULT_COMPONENTS = "-2, 0, 0.6, 1; 2, 1, 0.8, 2; 0, -2.5, 0.4, 1"
#: What the chart shows while the canvas is empty (after "Clear"): one broad bump, never stored in the drawing.
PLACEHOLDER = "0, 0, 3, 1"
#: The cap as the page states it.
CAP_TEXT = (
    f"at most {MAX_COMPONENTS} bumps and {MAX_REGIONS} filled regions (each filled with ≤ {REGION_COMPONENTS} "
    f"small Gaussians, corners rounded to 0.1, ≤ {MAX_VERTICES} corners), {MAX_COMPONENTS_CHARS} characters of text"
)


@dataclasses.dataclass(frozen=True)
class Drawing:
    """Bumps (B, 4) rows of (x, y, scale, weight) and regions as (weight, corners (V, 2))."""

    bumps: np.ndarray
    regions: tuple[tuple[float, np.ndarray], ...] = ()

    @property
    def empty(self) -> bool:
        return len(self.bumps) == 0 and not self.regions


def _number(cell: str, what: str) -> float:
    try:
        v = float(cell)
    except ValueError:
        raise ValueError(f"{what} {cell!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"{what} must be a finite number")
    return v


def _parse_region(row: str, i: int) -> tuple[float, np.ndarray]:
    head, sep, body = row[4:].partition(":")
    if not sep:
        raise ValueError(f"row {i}: a region row reads 'fill WEIGHT: x y, x y, x y, …'")
    weight = _number(head.strip(), f"row {i}: the region's weight")
    corners = [c.split() for c in body.split(",") if c.strip()]
    if len(corners) > MAX_VERTICES:
        raise ValueError(f"row {i}: the region has {len(corners)} corners; at most {MAX_VERTICES} are kept")
    pts = []
    for c in corners:
        if len(c) != 2:
            raise ValueError(f"row {i}: each corner of a region is two numbers 'x y', got {' '.join(c)!r}")
        pts.append([_number(c[0], f"row {i}: corner x"), _number(c[1], f"row {i}: corner y")])
    return weight, np.asarray(pts, np.float64).reshape(-1, 2)


def parse_drawing(text: str) -> Drawing:
    """Parse the drawing's text (bump rows "x, y, scale, weight", region rows "fill W: x y, x y, …"; an empty
    text is the empty drawing).

    Raises ValueError with a message meant for a student (which row, what is wrong, what is allowed).
    """
    text = str(text)
    if len(text) > MAX_COMPONENTS_CHARS:
        raise ValueError(
            f"the drawing's text is {len(text)} characters long; keep it under {MAX_COMPONENTS_CHARS} "
            f"(at most {MAX_COMPONENTS} bumps and {MAX_REGIONS} regions)"
        )
    rows = [r.strip() for r in text.replace("\n", ";").split(";") if r.strip()]
    bumps, regions = [], []
    for i, row in enumerate(rows, start=1):
        if row.lower().startswith("fill"):
            regions.append(_parse_region(row, i))
            continue
        cells = [c.strip() for c in row.split(",")]
        if len(cells) != 4:
            raise ValueError(f"row {i} has {len(cells)} values; each row needs 4: mean x, mean y, scale, weight")
        names = ("mean x", "mean y", "scale", "weight")
        bumps.append([_number(c, f"row {i}: {n}") for n, c in zip(names, cells, strict=True)])
    if len(bumps) > MAX_COMPONENTS:
        raise ValueError(f"{len(bumps)} components is too many for the demo: use at most {MAX_COMPONENTS} bumps")
    if len(regions) > MAX_REGIONS:
        raise ValueError(f"{len(regions)} regions is too many for the demo: use at most {MAX_REGIONS}")
    return Drawing(np.asarray(bumps, np.float64).reshape(-1, 4), tuple(regions))


def check_drawing(d: Drawing) -> Drawing:
    """The demo's ranges: |mean| and |corner| ≤ 8, 0.05 ≤ scale ≤ 5, 0 ≤ weight ≤ 1e6, not all 0, simple regions
    of positive area; a non-empty drawing. Returns ``d``; raises ValueError naming the row."""
    if d.empty:
        raise ValueError("the drawing is empty: click on the chart or add a row to the table")
    for i, (x, y, s, w) in enumerate(d.bumps, start=1):
        if max(abs(x), abs(y)) > BOX:
            raise ValueError(f"row {i}: the mean ({x:g}, {y:g}) is outside the picture; keep |x|, |y| ≤ {BOX:g}")
        if s <= 0:
            raise ValueError(f"row {i}: scale {s:g} must be positive (it is a standard deviation)")
        if not 0.05 <= s <= 5:
            raise ValueError(f"row {i}: scale {s:g} is out of range; use 0.05 ≤ scale ≤ 5")
        _check_weight(w, f"row {i}")
    for j, (w, v) in enumerate(d.regions, start=1):
        _check_weight(w, f"region {j}")
        if len(v) and np.max(np.abs(v)) > BOX:
            raise ValueError(f"region {j} has a corner outside the picture; keep |x|, |y| ≤ {BOX:g}")
        problem = polygon_problem(v)
        if problem:
            raise ValueError(f"region {j}: {problem}")
    if d.bumps[:, 3].sum() + sum(w for w, _ in d.regions) <= 0:
        raise ValueError("all weights are zero: give at least one component a positive weight")
    return d


def _check_weight(w: float, where: str) -> None:
    if w < 0:
        raise ValueError(f"{where}: weight {w:g} is negative; weights must be ≥ 0")
    if w > 1e6:
        raise ValueError(f"{where}: weight {w:g} is huge; weights are relative, use numbers ≤ 1e6")


def validate_drawing(text: str) -> Drawing:
    """:func:`parse_drawing` then :func:`check_drawing`."""
    return check_drawing(parse_drawing(text))


def parse_drawing_or_none(text: str) -> Drawing | None:
    """:func:`parse_drawing`, or None when the text cannot be read."""
    try:
        return parse_drawing(text)
    except ValueError:
        return None


def check_drawing_or_none(d: Drawing) -> Drawing | None:
    """:func:`check_drawing`, or None when the drawing is out of range."""
    try:
        return check_drawing(d)
    except ValueError:
        return None


def expand(d: Drawing) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The drawing as one Gaussian mixture: (means (K, 2), scales (K,), weights (K,), modes (K,)), K ≤
    :data:`MAX_GAUSSIANS`. Each bump is a mode; each region is one mode made of its fill's Gaussians (a region's
    weight is its total mass)."""
    means, scales, weights, modes = [d.bumps[:, :2]], [d.bumps[:, 2]], [d.bumps[:, 3]], [np.arange(len(d.bumps))]
    for j, (w, v) in enumerate(d.regions):
        m, s, ww = _fill(float(w), tuple(map(tuple, np.asarray(v, np.float64))))
        means.append(m)
        scales.append(s)
        weights.append(ww)
        modes.append(np.full(len(m), len(d.bumps) + j))
    return (
        np.concatenate(means).reshape(-1, 2),
        np.concatenate(scales),
        np.concatenate(weights),
        np.concatenate(modes).astype(np.int64),
    )


@functools.lru_cache(maxsize=64)
def _fill(weight: float, corners: tuple[tuple[float, float], ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`~scoredemo.regions.fill_polygon`, remembered (a lasso fills its region once for the message and
    once for the density)."""
    return fill_polygon(np.asarray(corners, np.float64), weight)


def bucket(n_components: int) -> int:
    """The padded size of a drawn mixture: the smallest of :data:`COMPONENT_BUCKETS` that holds it."""
    for b in COMPONENT_BUCKETS:
        if n_components <= b:
            return b
    raise ValueError(f"{n_components} Gaussians is more than the {MAX_GAUSSIANS} a drawing may expand to")


def _num(v: float) -> str:
    return f"{float(v):g}"


def drawing_text(d: Drawing) -> str:
    """The canonical text of a drawing (what the URL stores): bump rows first, then region rows."""
    rows = [", ".join(_num(v) for v in row) for row in d.bumps]
    rows += [f"fill {_num(w)}: " + ", ".join(f"{_num(x)} {_num(y)}" for x, y in v) for w, v in d.regions]
    return "; ".join(rows)


# ------------------------------------------------------------------------------------------ drawing edits


def add_bump(d: Drawing, x: float, y: float, scale: float, weight: float) -> tuple[Drawing, str]:
    """A click at (x, y): if it lands within one scale (at least 0.3) of an existing bump, that bump grows (its
    weight increases by ``weight``); otherwise a new bump (x, y, scale, weight) is dropped there. Returns (the new
    drawing, what happened in words). Raises ValueError when the bump cap is reached."""
    x, y = float(x), float(y)
    if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > BOX:
        raise ValueError(f"the click at ({x:g}, {y:g}) is outside the picture [−{BOX:g}, {BOX:g}]²")
    if len(d.bumps):
        dist = np.hypot(d.bumps[:, 0] - x, d.bumps[:, 1] - y)
        k = int(np.argmin(dist))
        if dist[k] <= max(d.bumps[k, 2], 0.3):
            bumps = d.bumps.copy()
            bumps[k, 3] = min(round(bumps[k, 3] + weight, 4), 1e6)
            return Drawing(bumps, d.regions), f"bump {k + 1} grew to weight {bumps[k, 3]:g}"
    if len(d.bumps) >= MAX_COMPONENTS:
        raise ValueError(
            f"the drawing already has {MAX_COMPONENTS} bumps, the most it can hold; click on an existing bump "
            "to grow it, or Undo / Clear"
        )
    x, y = round(x, 2), round(y, 2)
    row = np.array([[x, y, float(scale), float(weight)]])
    return Drawing(np.concatenate([d.bumps, row]), d.regions), f"bump {len(d.bumps) + 1} dropped at ({x:g}, {y:g})"


def add_region(d: Drawing, vertices: np.ndarray, weight: float) -> tuple[Drawing, str]:
    """A lasso or box outline: simplified to ≤ :data:`MAX_VERTICES` corners rounded to 0.1, clipped to the
    picture, checked (simple, positive area) and added as a region of total mass ``weight``. Raises ValueError
    (the drawing is unchanged) for an outline that cannot be filled or when the region cap is reached."""
    if len(d.regions) >= MAX_REGIONS:
        raise ValueError(f"the drawing already has {MAX_REGIONS} filled regions, the most it can hold; Undo or Clear")
    v = np.asarray(vertices, np.float64).reshape(-1, 2)
    v = simplify_polygon(np.clip(v, -BOX, BOX), max_vertices=MAX_VERTICES)
    if len(np.unique(v, axis=0)) < 3:
        raise ValueError("the outline encloses no area (it is a line or a dot); drag around a region to fill it")
    problem = polygon_problem(v)
    if problem:
        raise ValueError(problem)
    new = Drawing(d.bumps, (*d.regions, (float(weight), v)))
    m, _, _ = _fill(float(weight), tuple(map(tuple, v)))
    return new, f"region {len(new.regions)} filled with {len(m)} small Gaussians"


# ------------------------------------------------------------------------------------------ the old table API


def parse_components(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bump rows of a drawing's text as (means, scales, weights) (what the table shows)."""
    d = parse_drawing(text)
    if d.empty:
        raise ValueError("the table is empty: add at least one component (a row with mean x, mean y, scale, weight)")
    return d.bumps[:, :2], d.bumps[:, 2], d.bumps[:, 3]


def validate_components(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The whole drawing, checked and expanded: (means, scales, weights) of its Gaussians."""
    means, scales, weights, _ = expand(validate_drawing(text))
    return means, scales, weights


def components_text(means: np.ndarray, scales: np.ndarray, weights: np.ndarray) -> str:
    return "; ".join(f"{m[0]:g}, {m[1]:g}, {s:g}, {w:g}" for m, s, w in zip(means, scales, weights, strict=True))


# ------------------------------------------------------------------------------------------ the drawing's modes


def mode_names(d: Drawing) -> list[str]:
    """The drawing's modes, in the order of its mixture's modes (:func:`expand`): "bump 1", …, "bump B", then
    "region 1", …, "region R" (the numbers the table's rows and the drawing messages use)."""
    return [f"bump {i + 1}" for i in range(len(d.bumps))] + [f"region {j + 1}" for j in range(len(d.regions))]


def mode_weights(d: Drawing) -> np.ndarray:
    """Each mode's weight as written (bumps, then regions; a region's weight is its total mass), unnormalised."""
    return np.concatenate([d.bumps[:, 3], np.asarray([w for w, _ in d.regions], np.float64)])


def with_mode_weights(d: Drawing, weights: np.ndarray) -> Drawing:
    """The same drawing (same bumps' positions and scales, same regions' corners) with each mode's weight replaced,
    in the order of :func:`mode_names`."""
    w = np.asarray(weights, np.float64).reshape(-1)
    if len(w) != len(d.bumps) + len(d.regions):
        raise ValueError(f"{len(w)} weights for a drawing of {len(d.bumps) + len(d.regions)} modes")
    bumps = d.bumps.copy()
    bumps[:, 3] = w[: len(bumps)]
    regions = tuple((float(wj), v) for wj, (_, v) in zip(w[len(bumps) :], d.regions, strict=True))
    return Drawing(bumps, regions)


def comparison_weights(d: Drawing) -> tuple[np.ndarray, str]:
    """Other weights for the same drawing, to compare its score with (scene 7's π′ for a drawing): equal weights
    on its modes of positive weight (a zero weight stays 0, so no new mode appears), or, when those are equal
    already, the first such mode 3× as heavy. Returns (weights, the change in words)."""
    w = mode_weights(d)
    on = w > 0
    if on.sum() >= 2 and not np.allclose(w[on], w[on][0], rtol=1e-9, atol=0.0):
        return np.where(on, 1.0, 0.0), "equal weights"
    k = int(np.argmax(on))
    other = np.where(on, 1.0, 0.0)
    other[k] = 3.0
    return other, f"{mode_names(d)[k]} 3× as heavy"
