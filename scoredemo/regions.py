"""Drawn regions as exact mixtures: a simple polygon filled with many small Gaussians (pure numpy, deterministic).

A region R (a simple polygon) is turned into a near-uniform density by placing equal-weight Gaussians on the points
of a square lattice of spacing h that fall inside R, each with standard deviation s = 0.8·h (FILL_SCALE):

    p_R(x) = (1/n) Σ_{j=1..n} N(x; c_j, s² I),   c_j ∈ R ∩ (c₀ + h ℤ²),   s = 0.8·h.

Far from the border such a lattice sum is flat: its relative ripple is about 4·exp(−2π² s²/h²) = 4·e^{−1.28π²} ≈
10⁻⁵ (the Poisson summation formula), and the border is blurred over about s. Why 0.8 and not a sharper h/2: at
h/2 the ripple is 3 %, and its score (≈ 0.03·2π/h) is larger than the plateau's own, so the direction arrows inside
a region converged on a few lattice points, stars that look like modes; at 0.8·h they point to the plateau's
centre, as for a blurred uniform density. The price: ~8–14 % of the mass lies outside the polygon (3 % at h/2).
Because the result is a plain Gaussian mixture, the score, p_σ and exact samples of a drawn density stay exact,
like every density here.
"""

from __future__ import annotations

import functools

import numpy as np

#: The fill of one region uses at most this many Gaussians (the lattice spacing is chosen to use about this many).
REGION_COMPONENTS = 60
#: A region must cover at least this area (in the picture's units²) to be filled.
MIN_AREA = 0.05
#: The narrowest Gaussian of a fill (the app's smallest allowed scale).
MIN_FILL_SCALE = 0.05
#: Each Gaussian of a fill has standard deviation s = FILL_SCALE·h (h: the lattice spacing).
FILL_SCALE = 0.8


def polygon_area(vertices: np.ndarray) -> float:
    """Signed area by the shoelace formula ½ Σ (x_i y_{i+1} − x_{i+1} y_i) (positive counter-clockwise)."""
    v = np.asarray(vertices, np.float64).reshape(-1, 2)
    x, y = v[:, 0], v[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def _orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))


def _segments_cross(p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> bool:
    """True when the closed segments p1p2 and q1q2 share a point (proper crossing, touching or collinear overlap)."""
    d1, d2 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    d3, d4 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True

    def on(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: float) -> bool:  # c on segment ab, given collinear
        return d == 0 and min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    return on(q1, q2, p1, d1) or on(q1, q2, p2, d2) or on(p1, p2, q1, d3) or on(p1, p2, q2, d4)


def polygon_problem(vertices: np.ndarray) -> str | None:
    """Why a polygon cannot be filled (a sentence for the page), or None for a simple polygon of positive area.

    Checks: at least 3 distinct vertices, finite coordinates, no two non-adjacent edges meeting (a simple
    polygon: a lasso that crosses itself has no well-defined inside), and area ≥ :data:`MIN_AREA`.
    """
    v = np.asarray(vertices, np.float64)
    if v.ndim != 2 or v.shape[1] != 2 or len(v) < 3:
        return "a region needs at least 3 corners"
    if not np.all(np.isfinite(v)):
        return "a region's corners must be finite numbers"
    if len(np.unique(v, axis=0)) < 3:
        return "a region needs at least 3 different corners"
    n = len(v)
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # adjacent edges share a corner
            if _segments_cross(v[i], v[(i + 1) % n], v[j], v[(j + 1) % n]):
                return "the outline crosses itself; draw a simple loop (no figure-eight) to fill a region"
    area = abs(polygon_area(v))
    if area < MIN_AREA:
        return f"the region has (almost) no area ({area:.2g}); draw a loop that encloses at least {MIN_AREA:g}"
    return None


def inside_polygon(points: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Even–odd rule (a ray to +x crosses the border an odd number of times): (N, 2) points -> (N,) bool."""
    p = np.asarray(points, np.float64).reshape(-1, 2)
    v = np.asarray(vertices, np.float64).reshape(-1, 2)
    x, y = p[:, 0:1], p[:, 1:2]
    x1, y1 = v[:, 0][None], v[:, 1][None]
    x2, y2 = np.roll(v[:, 0], -1)[None], np.roll(v[:, 1], -1)[None]
    straddles = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    return np.sum(straddles & (x < x_cross), axis=1) % 2 == 1


def _lattice_inside(vertices: np.ndarray, h: float) -> np.ndarray:
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    centre = (lo + hi) / 2.0
    nx = int(np.ceil((hi[0] - lo[0]) / (2 * h))) + 1
    ny = int(np.ceil((hi[1] - lo[1]) / (2 * h))) + 1
    gx = centre[0] + h * np.arange(-nx, nx + 1)
    gy = centre[1] + h * np.arange(-ny, ny + 1)
    pts = np.stack(np.meshgrid(gx, gy, indexing="xy"), axis=-1).reshape(-1, 2)
    box = np.all((pts >= lo + h / 2) & (pts <= hi - h / 2), axis=1)  # cheap first cut
    pts = pts[box]
    pts = pts[inside_polygon(pts, vertices)]
    return pts[border_distance(pts, vertices) >= h / 2]  # the point's whole lattice cell is (about) inside


def border_distance(points: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Distance from each point to the polygon's border (the nearest edge): (N, 2) -> (N,)."""
    p = np.asarray(points, np.float64).reshape(-1, 1, 2)
    a = np.asarray(vertices, np.float64).reshape(1, -1, 2)
    b = np.roll(a, -1, axis=1)
    ab = b - a
    t = np.clip(np.sum((p - a) * ab, axis=-1) / np.maximum(np.sum(ab * ab, axis=-1), 1e-300), 0.0, 1.0)
    nearest = a + t[..., None] * ab
    return np.min(np.linalg.norm(p - nearest, axis=-1), axis=1)


def fill_polygon(
    vertices: np.ndarray, weight: float = 1.0, *, n_max: int = REGION_COMPONENTS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A near-uniform density on a simple polygon as (means (n, 2), scales (n,), weights (n,)), n ≤ ``n_max``.

    The lattice spacing is h = √(area / n_max)·1.04^k, k found by a walk from 0: coarser while more than
    ``n_max`` lattice points lie at distance ≥ h/2 inside the border, then finer while that keeps at most
    ``n_max``; of those, the coarsest with the most points (its cells cover the most of the polygon). A polygon
    too thin for that lattice gets a finer one until one point fits. The lattice is anchored at the centre of the
    bounding box, so the fill depends on the vertices only (deterministic). Every Gaussian has scale
    FILL_SCALE·h (at least :data:`MIN_FILL_SCALE`) and weight ``weight / n``: the region's total mass is ``weight``.

    Raises ValueError (the :func:`polygon_problem` sentence) for a polygon that cannot be filled.
    """
    v = np.asarray(vertices, np.float64).reshape(-1, 2)
    problem = polygon_problem(v)
    if problem:
        raise ValueError(problem)
    if not n_max >= 1:
        raise ValueError("n_max must be at least 1")
    h0 = float(np.sqrt(abs(polygon_area(v)) / n_max))
    count = functools.cache(lambda k: len(_lattice_inside(v, h0 * 1.04**k)))
    k = 0
    while count(k) > n_max and k < 60:  # too many points: coarser
        k += 1
    visited = [k]
    while k > -25 and count(k - 1) <= n_max:  # room for more: finer
        k -= 1
        visited.append(k)
    most = max(count(j) for j in visited)
    k = max(j for j in visited if count(j) == most)  # the coarsest of those: its cells cover the most area
    h = h0 * 1.04**k
    while count(k) == 0 and h > 1e-3:  # a sliver thinner than the lattice: finer until one point fits
        k -= 6
        h = h0 * 1.04**k
    pts = _lattice_inside(v, h)
    if not 1 <= len(pts) <= n_max:
        raise ValueError("the region is too thin to fill; draw a wider loop")
    n = len(pts)
    scale = max(FILL_SCALE * h, MIN_FILL_SCALE)
    return pts, np.full(n, scale), np.full(n, float(weight) / n)


def simplify_polygon(vertices: np.ndarray, *, max_vertices: int = 24, decimals: int = 1) -> np.ndarray:
    """A lasso path (often hundreds of points) reduced to at most ``max_vertices`` corners, rounded to ``decimals``.

    Ramer–Douglas–Peucker on the closed path (split at the first point and the point farthest from it), with a
    tolerance that doubles from 0.02 until the corners fit; then rounding and removal of repeated corners. The
    result can still be degenerate (check it with :func:`polygon_problem`).
    """
    v = np.asarray(vertices, np.float64).reshape(-1, 2)
    v = v[np.all(np.isfinite(v), axis=1)]
    if len(v) > 1 and np.allclose(v[0], v[-1]):
        v = v[:-1]
    if len(v) <= 3:
        out = v
    else:
        far = int(np.argmax(np.sum((v - v[0]) ** 2, axis=1)))
        tol = 0.02
        while True:
            first = _rdp(v[: far + 1], tol)
            second = _rdp(np.concatenate([v[far:], v[:1]]), tol)
            out = np.concatenate([first[:-1], second[:-1]])
            if len(out) <= max_vertices or tol > 1e3:
                break
            tol *= 2.0
        out = out[:max_vertices]
    out = np.round(out, decimals) + 0.0  # + 0.0 turns −0.0 into 0.0
    keep = [i for i in range(len(out)) if i == 0 or not np.array_equal(out[i], out[i - 1])]
    out = out[keep]
    if len(out) > 1 and np.array_equal(out[0], out[-1]):
        out = out[:-1]
    return out


def _rdp(points: np.ndarray, tol: float) -> np.ndarray:
    """Ramer–Douglas–Peucker on an open polyline (iterative; keeps both ends)."""
    n = len(points)
    if n < 3:
        return points
    keep = np.zeros(n, bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        seg = points[b] - points[a]
        rel = points[a + 1 : b] - points[a]
        length = float(np.hypot(*seg))
        if length == 0.0:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / length
        k = int(np.argmax(dist))
        if dist[k] > tol:
            m = a + 1 + k
            keep[m] = True
            stack += [(a, m), (m, b)]
    return points[keep]
