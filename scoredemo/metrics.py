"""Metrics on particles and score fields: mode fractions, energy distance, within-mode spread, score grids."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from scoredemo.densities import Mixture
from scoredemo.types import Array, ScoreFn


def mode_fractions(mix: Mixture, x: Array) -> np.ndarray:
    """Fraction of the finite particles assigned to each mode (by posterior responsibility): (N, 2) -> (M,).

    Non-finite particles belong to no mode; if none is finite the fractions are all 0.
    """
    x = np.asarray(x, np.float32)
    finite = np.all(np.isfinite(x), axis=-1)
    if not finite.any():
        return np.zeros(mix.n_modes)
    modes = np.asarray(mix.assign_modes(jnp.asarray(x[finite])))
    return np.bincount(modes, minlength=mix.n_modes) / finite.sum()


def mode_fractions_per_frame(mix: Mixture, trajectory: Array) -> np.ndarray:
    """Mode fractions at every recorded frame: (F, N, 2) -> (F, M)."""
    return np.stack([mode_fractions(mix, frame) for frame in np.asarray(trajectory)])


def within_mode_spread(mix: Mixture, x: Array) -> float:
    """Root-mean-square distance of particles to the centroid of their own mode's particles.

    ≈ 0 when gradient ascent has collapsed every particle onto a mode; ≈ the component scale for samples.
    """
    x = np.asarray(x, np.float64)
    x = x[np.all(np.isfinite(x), axis=-1)]
    if len(x) == 0:
        return float("nan")
    modes = np.asarray(mix.assign_modes(jnp.asarray(x, jnp.float32)))
    sq = 0.0
    for m in np.unique(modes):
        pts = x[modes == m]
        sq += np.sum((pts - pts.mean(axis=0)) ** 2)
    return float(np.sqrt(sq / len(x)))


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
