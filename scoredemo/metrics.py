"""Metrics on particles and score fields: mode fractions, energy distance, within-mode spread, score grids."""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from scoredemo.densities import Mixture
from scoredemo.types import Array, LogProbFn, ScoreFn


@functools.cache
def score_program():
    """The one jitted "score of a target": fn(target, x, σ) -> s_σ(x) = target.score(x, σ), (N, 2) -> (N, 2).

    The target (a Mixture or a learned model) and σ are traced, so one program serves every π, σ and set of
    weights; it compiles once per target structure (architecture) and point count. Built on first use.
    """
    return jax.jit(lambda target, x, sigma: target.score(x, sigma))


@functools.cache
def field_program():
    """fn(target, x, σ) -> (log p_σ(x), s_σ(x)), jitted: a density field and its score in one program.

    For targets with a log-density (:class:`~scoredemo.types.DensityTarget`); traced like :func:`score_program`.
    """
    return jax.jit(lambda target, x, sigma: (target.log_prob(x, sigma), target.score(x, sigma)))


@functools.cache
def picture_program():
    """fn(target, x, arrows, σ) -> (log p_σ(x), s_σ(arrows)), jitted: a picture's density grid and its score arrows
    in one program, each computed only where it is drawn (the score on the 10 000 density points as well took
    41 ms against 5 ms for a 256-Gaussian drawing: measured). Traced like :func:`field_program`."""
    return jax.jit(lambda target, x, arrows, sigma: (target.log_prob(x, sigma), target.score(arrows, sigma)))


@functools.cache
def sample_program():
    """fn(mixture, rng_key, n) -> n exact samples x ~ p (n, 2), jitted with ``n`` static.

    The mixture (its weights, means, scales) and the key are traced, so one program serves every π and seed; it
    compiles once per mixture structure and sample count. Built on first use, shared by every caller in the process.
    """
    return jax.jit(lambda mix, rng_key, n: mix.sample(rng_key, n), static_argnums=2)


@functools.cache
def _assign_kernel():
    """Jitted mode assignment (built on first use; one program per mixture structure and particle count)."""
    return jax.jit(lambda mix, x: mix.assign_modes(jnp.nan_to_num(x)))


def assign_modes(mix: Mixture, x: Array) -> tuple[np.ndarray, np.ndarray]:
    """(modes, finite) for a batch (..., 2): each point's most responsible mode, and whether the point is finite.

    Non-finite points get a placeholder mode; callers mask them with ``finite``.
    """
    x = np.asarray(x, np.float32)
    finite = np.all(np.isfinite(x), axis=-1)
    flat = x.reshape(-1, 2)
    modes = np.asarray(_assign_kernel()(mix, jnp.asarray(flat))).reshape(finite.shape)
    return modes, finite


def mode_fractions(mix: Mixture, x: Array) -> np.ndarray:
    """Fraction of the finite particles assigned to each mode (by posterior responsibility): (N, 2) -> (M,).

    Non-finite particles belong to no mode; if none is finite the fractions are all 0.
    """
    return mode_fractions_per_frame(mix, np.asarray(x)[None])[0]


def mode_fractions_per_frame(mix: Mixture, trajectory: Array) -> np.ndarray:
    """Mode fractions at every recorded frame: (F, N, 2) -> (F, M), in one compiled call for all frames."""
    modes, finite = assign_modes(mix, trajectory)
    onehot = (modes[..., None] == np.arange(mix.n_modes)) & finite[..., None]
    counts = onehot.sum(axis=1)
    return counts / np.maximum(finite.sum(axis=1, keepdims=True), 1)


def within_mode_spread(mix: Mixture, x: Array) -> float:
    """Root-mean-square distance of particles to the centroid of their own mode's particles.

    ≈ 0 when gradient ascent has collapsed every particle onto a mode; ≈ the component scale for samples.
    NaN when no particle is finite.
    """
    modes, finite = assign_modes(mix, x)
    x = np.asarray(x, np.float64)[finite]
    modes = modes[finite]
    if len(x) == 0:
        return float("nan")
    sq = sum(np.sum((x[modes == m] - x[modes == m].mean(axis=0)) ** 2) for m in np.unique(modes))
    return float(np.sqrt(sq / len(x)))


def mean_score_norm(score_fn: ScoreFn, x: Array) -> float:
    """Mean ‖s(x)‖ over the finite particles (NaN if none is finite).

    At every local maximum of p the score is 0 — a point mode or a whole ridge (a moon, a ring) — so gradient
    ascent drives this to 0 for any density, while samples of p keep it at E_p‖s‖ > 0. (A spread around a mode's
    centroid cannot tell them apart on a ridge: collapsed onto a moon's ridge, particles are still spread along it.)
    """
    x = np.asarray(x, np.float32).reshape(-1, 2)
    x = x[np.all(np.isfinite(x), axis=-1)]
    if len(x) == 0:
        return float("nan")
    s = np.asarray(score_fn(jnp.asarray(x)), np.float64)
    return float(np.mean(np.linalg.norm(s, axis=-1)))


def end_modes(mix: Mixture, x: Array, *, k: float = 2.0) -> np.ndarray:
    """The mode each particle ended in, or −1 when it is near no mode: (N, 2) -> (N,) int.

    Why two definitions of "which mode": :func:`assign_modes` (posterior responsibility) puts *every* point in
    some mode, which is what mode fractions need; a particle stuck in an empty region far from all data must
    instead count as in no mode ("lost"), which needs a distance.

    A particle is in mode m when its nearest component (distance in units of the component's blur scale s_k, to
    the centre μ_k, or to the circle of radius r_k for a ring component) belongs to m and is less than ``k``
    scales away: within 2σ of a Gaussian mode for k = 2. Non-finite particles are in no mode.
    """
    x = np.asarray(x, np.float64).reshape(-1, 2)
    ok = np.all(np.isfinite(x), axis=-1)
    xx = np.where(ok[:, None], x, 0.0)
    means = np.asarray(mix.means, np.float64)
    radii = np.asarray(mix.radii, np.float64)
    scales = np.asarray(mix.scales, np.float64)
    d = np.abs(np.linalg.norm(xx[:, None, :] - means[None], axis=-1) - radii[None]) / scales[None]
    nearest = d.argmin(axis=1)
    modes = np.argmax(np.asarray(mix.mode_onehot)[nearest], axis=1)
    modes[(d.min(axis=1) >= k) | ~ok] = -1
    return modes


def mode_centres(mix: Mixture) -> np.ndarray:
    """(M, 2): each mode's centre, the mean of its components' centres."""
    onehot = np.asarray(mix.mode_onehot, np.float64)
    return onehot.T @ np.asarray(mix.means, np.float64) / np.maximum(onehot.sum(axis=0), 1)[:, None]


@functools.cache
def energy_distance_program():
    """jit((R, n, 2) runs, (n, 2) reference) -> (R,) energy distances: the V-statistic of
    :func:`energy_distance` (2E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖), in float32 on the device for a batch
    of runs at once (from the coordinate differences, not the a² + b² − 2ab expansion, so float32 loses nothing
    near 0). The quality chart scores ~30 runs per view; in numpy float64 that took ~0.3 s each on a busy 2-core
    machine."""

    def mean_dist(a, b):
        d = a[:, None, :] - b[None, :, :]
        return jnp.mean(jnp.sqrt(jnp.sum(d * d, axis=-1)))

    def batch(xs, y):
        within_y = mean_dist(y, y)  # once for the batch
        one = lambda x: jnp.maximum(2.0 * mean_dist(x, y) - mean_dist(x, x) - within_y, 0.0)  # noqa: E731
        return jax.lax.map(one, xs)  # one run at a time: a (n, n, 2) difference array, not (R, n, n, 2)

    return jax.jit(batch)


def energy_distance(x: Array, y: Array, *, max_points: int = 2000, seed: int = 0) -> float:
    """Energy distance D²(P, Q) = 2E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖ (Székely & Rizzo), ≥ 0, = 0 iff P = Q.

    The sample-quality distance of scoredemo (same units as x). V-statistic estimate on at most ``max_points``
    points of each set (random subsets when larger, drawn with ``seed``). Non-finite rows are dropped.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    x = x[np.all(np.isfinite(x), axis=-1)]
    y = y[np.all(np.isfinite(y), axis=-1)]
    if len(x) == 0 or len(y) == 0:
        return float("nan")
    rng = np.random.default_rng(seed)
    if len(x) > max_points:
        x = x[rng.choice(len(x), max_points, replace=False)]
    if len(y) > max_points:
        y = y[rng.choice(len(y), max_points, replace=False)]

    def mean_dist(a: np.ndarray, b: np.ndarray) -> float:
        d2 = np.sum(a * a, 1)[:, None] + np.sum(b * b, 1)[None, :] - 2.0 * a @ b.T
        return float(np.mean(np.sqrt(np.maximum(d2, 0.0))))

    return max(0.0, 2.0 * mean_dist(x, y) - mean_dist(x, x) - mean_dist(y, y))


class ScoreGrid(NamedTuple):
    """A score field sampled on an n×n grid over [−box, box]² (numpy, ready to plot).

    xs, ys: (n,) grid coordinates; points: (n*n, 2), row-major with x varying fastest;
    score: (n*n, 2); magnitude: (n*n,); log_prob: (n*n,) (NaN when no log-density is given).
    """

    xs: np.ndarray
    ys: np.ndarray
    points: np.ndarray
    score: np.ndarray
    magnitude: np.ndarray
    log_prob: np.ndarray


def grid_points(box: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An n×n grid over [−box, box]²: (xs, ys, points) with points (n*n, 2), x varying fastest."""
    xs = np.linspace(-box, box, n, dtype=np.float32)
    gx, gy = np.meshgrid(xs, xs)
    return xs, xs.copy(), np.stack([gx.ravel(), gy.ravel()], axis=-1)


def score_grid(score_fn: ScoreFn, box: float, n: int, *, log_prob_fn=None) -> ScoreGrid:
    """Evaluate ``score_fn`` (and optionally ``log_prob_fn``) on an n×n grid over [−box, box]²."""
    xs, ys, pts = grid_points(box, n)
    s = np.asarray(score_fn(jnp.asarray(pts)), np.float64)
    lp = np.full(len(pts), np.nan) if log_prob_fn is None else np.asarray(log_prob_fn(jnp.asarray(pts)), np.float64)
    return ScoreGrid(xs, ys, pts, s, np.linalg.norm(s, axis=-1), lp)


# ------------------------------------------------------------------------------- learned-score errors
# For a learned score s_θ against the exact score s it should match (∇ log p, or ∇ log p_σ for dsm/ncsn: the
# caller passes the matching ``true_score_fn``/``log_prob_fn``). Sums are in float64.


def _sq_errors(score_fn: ScoreFn, true_score_fn: ScoreFn, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(‖s_θ(x) − s(x)‖², ‖s(x)‖²) per point: (N, 2) -> (N,), (N,)."""
    pts = jnp.asarray(x, jnp.float32)
    learned = np.asarray(score_fn(pts), np.float64)
    true = np.asarray(true_score_fn(pts), np.float64)
    return np.sum((learned - true) ** 2, axis=-1), np.sum(true**2, axis=-1)


def weighted_rel_error(score_fn: ScoreFn, true_score_fn: ScoreFn, samples: Array) -> float:
    """E_{x∼p}‖s_θ(x) − s(x)‖² / E_{x∼p}‖s(x)‖², estimated on ``samples`` (N, 2) drawn from p.

    The p-weighted error that score matching minimises, made scale-free. 0 is perfect; 1 is as bad as s_θ = 0.
    """
    err, ref = _sq_errors(score_fn, true_score_fn, np.asarray(samples))
    return float(err.sum() / ref.sum())


def low_density_rel_error(
    score_fn: ScoreFn,
    true_score_fn: ScoreFn,
    log_prob_fn: LogProbFn,
    box: float,
    n: int = 100,
    *,
    threshold: float = 1e-4,
) -> float:
    """The same ratio Σ‖s_θ − s‖² / Σ‖s‖², but over the points of an n×n grid on [−box, box]² (uniform
    weights) where p(x) < threshold · max p, the max taken over the grid: how wrong the arrows are where the
    training data never goes (NCSN Fig. 2). NaN if no grid point is that unlikely.
    """
    _, _, pts = grid_points(box, n)
    log_p = np.asarray(log_prob_fn(jnp.asarray(pts)), np.float64)
    low = log_p < log_p.max() + np.log(threshold)
    if not low.any():
        return float("nan")
    err, ref = _sq_errors(score_fn, true_score_fn, pts[low])
    return float(err.sum() / ref.sum())


class ErrorByDensity(NamedTuple):
    """Score error binned by log₁₀(p(x)/max p) over a grid ("accurate near the modes, wrong in between").

    edges: (B+1,) bin edges in log₁₀ units, increasing: −inf, −(B−1), …, −1, 0 (the first bin holds everything
        below 10^−(B−1) of the max);
    rel_error: (B,) Σ‖s_θ − s‖² / Σ‖s‖² over the grid points in each bin (NaN for an empty bin);
    mean_sq_error: (B,) mean ‖s_θ − s‖² in each bin; counts: (B,) grid points per bin.
    """

    edges: np.ndarray
    rel_error: np.ndarray
    mean_sq_error: np.ndarray
    counts: np.ndarray


def error_vs_log_density(
    score_fn: ScoreFn,
    true_score_fn: ScoreFn,
    log_prob_fn: LogProbFn,
    box: float,
    *,
    n: int = 100,
    bins: int = 8,
) -> ErrorByDensity:
    """Score error on an n×n grid over [−box, box]², binned by decades of relative density p(x)/max p:
    from the lowest, (0, 10^−(bins−1)), to the highest, [10⁻¹, 1] (see ErrorByDensity)."""
    if bins < 1:
        raise ValueError("bins must be >= 1")
    _, _, pts = grid_points(box, n)
    log_p = np.asarray(log_prob_fn(jnp.asarray(pts)), np.float64)
    rel = (log_p - log_p.max()) / np.log(10.0)
    err, ref = _sq_errors(score_fn, true_score_fn, pts)
    edges = np.concatenate([[-np.inf], np.arange(1 - bins, 1, dtype=np.float64)])
    # rel = 0 (the grid's max) sits on the last edge: clipping puts it in the top bin.
    index = np.clip(np.searchsorted(edges, rel, side="right") - 1, 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    err_sum = np.bincount(index, weights=err, minlength=bins)
    ref_sum = np.bincount(index, weights=ref, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel_error = np.where(counts > 0, err_sum / ref_sum, np.nan)
        mean_sq = np.where(counts > 0, err_sum / np.maximum(counts, 1), np.nan)
    return ErrorByDensity(edges, rel_error, mean_sq, counts)


class ScoreErrorGrid(NamedTuple):
    """Per-point squared score error on an n×n grid over [−box, box]² (numpy, ready for an error map).

    xs, ys: (n,); points: (n*n, 2), x varying fastest; sq_error: (n*n,) ‖s_θ − s‖²; true_sq: (n*n,) ‖s‖²;
    log_prob: (n*n,) (NaN when no log-density is given).
    """

    xs: np.ndarray
    ys: np.ndarray
    points: np.ndarray
    sq_error: np.ndarray
    true_sq: np.ndarray
    log_prob: np.ndarray


def score_error_grid(
    score_fn: ScoreFn, true_score_fn: ScoreFn, box: float, n: int, *, log_prob_fn: LogProbFn | None = None
) -> ScoreErrorGrid:
    """‖s_θ(x) − s(x)‖² at every point of an n×n grid over [−box, box]² (and ‖s(x)‖², log p(x) for context)."""
    xs, ys, pts = grid_points(box, n)
    err, ref = _sq_errors(score_fn, true_score_fn, pts)
    lp = np.full(len(pts), np.nan) if log_prob_fn is None else np.asarray(log_prob_fn(jnp.asarray(pts)), np.float64)
    return ScoreErrorGrid(xs, ys, pts, err, ref, lp)


def loss_wander(curve: np.ndarray, window: int = 50) -> float:
    """How much a loss curve's second half wanders beyond what minibatch noise alone explains (≈ 1: pure noise).

    Split the second half into windows of ``window`` steps; m_j = mean of window j, v_j = variance within it.
    Remove a quadratic trend from the m_j (a slow, smooth descent is not wander) and return

        std_j(m_j − trend) / sqrt(mean_j(v_j) / window),

    the spread of the window means divided by the one independent per-step noise would give. For J windows its
    standard error under pure noise is ≈ 1/√(2(J − 3)) (0.17 for 2000 steps). NaN when there are fewer than 4
    windows. (The per-step coefficient of variation does not separate a thin ring from a thick one: both curves'
    minibatch noise scales with their level.)
    """
    y = np.asarray(curve, np.float64)
    half = y[len(y) // 2 :]
    half = half[np.isfinite(half)]
    n_win = len(half) // window
    if window < 2 or n_win < 4:
        return float("nan")
    blocks = half[: n_win * window].reshape(n_win, window)
    means = blocks.mean(axis=1)
    k = np.arange(n_win, dtype=np.float64)
    resid = means - np.polyval(np.polyfit(k, means, 2), k)
    white = np.sqrt(np.mean(blocks.var(axis=1, ddof=1)) / window)
    return float(resid.std(ddof=3) / white) if white > 0 else float("nan")


def first_crossing_steps(trajectory: Array, frame_steps: Array, crossed: Array) -> np.ndarray:
    """For each particle, the first recorded step at which ``crossed`` holds (−1 if never): (F, N) -> (N,).

    ``crossed`` is a boolean (F, N) array (e.g. "x > the other mode's centre"); with frames recorded every k
    steps the time is known to within k steps (the first frame after the crossing).
    """
    crossed = np.asarray(crossed, bool)
    steps = np.asarray(frame_steps)
    hit = crossed.any(axis=0)
    first = np.argmax(crossed, axis=0)
    return np.where(hit, steps[first], -1)


def exponential_mean_time(first_steps: Array, horizon: int) -> tuple[float, float]:
    """(mean, standard error) of a waiting time from first-passage steps censored at ``horizon`` (−1: not yet).

    For exponential waiting times the maximum-likelihood rate is (number crossed) / (total time observed), each
    particle observed until its crossing or the horizon; the mean is its inverse, with relative standard error
    1/√(number crossed). Inf when no particle crossed (the mean is then beyond what was observed).
    """
    t = np.asarray(first_steps, np.float64)
    crossed = t >= 0
    k = int(crossed.sum())
    exposure = float(np.where(crossed, t, horizon).sum())
    if k == 0:
        return float("inf"), float("inf")
    mean = exposure / k
    return mean, mean / np.sqrt(k)
