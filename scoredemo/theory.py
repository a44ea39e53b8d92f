"""Closed-form predictions the pages put next to measurements: unadjusted Langevin's step-size bias on a Gaussian
and the Kramers/Arrhenius time to cross between two modes.

Both are for our update x ← x + ε·s(x) + √(2ε)·z, the Euler–Maruyama step of dx = ∇log p(x) dt + √2 dW with
dt = ε, so "time" below is ε × steps.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from scoredemo.densities import Mixture


def ula_stationary_variance(sigma2: float | np.ndarray, step_size: float | np.ndarray) -> np.ndarray:
    """Stationary variance of unadjusted Langevin on N(μ, σ²) per coordinate: σ² / (1 − ε/(2σ²)).

    The update is the AR(1) map x − μ ← (1 − ε/σ²)(x − μ) + √(2ε)·z, whose stationary variance v solves
    v = (1 − ε/σ²)² v + 2ε; stable for ε < 2σ² (infinite beyond). MALA's is σ² at any ε.
    """
    sigma2 = np.asarray(sigma2, np.float64)
    eps = np.asarray(step_size, np.float64)
    with np.errstate(divide="ignore"):
        return np.where(eps < 2.0 * sigma2, sigma2 / (1.0 - eps / (2.0 * sigma2)), np.inf)


class Barrier(NamedTuple):
    """The double well U = −log p along the line through two modes, and Kramers' crossing time over it."""

    delta_u: float  # ΔU = U(saddle) − U(minimum)
    curvature_min: float  # U''(minimum)
    curvature_saddle: float  # |U''(saddle)|
    time: float  # 2π / √(U''(min)·|U''(saddle)|) · exp(ΔU), in units of ε·steps


def kramers_barrier(mix: Mixture, start: np.ndarray, end: np.ndarray, *, n: int = 4001) -> Barrier:
    """Kramers' mean time to cross from the mode at ``start`` to the one at ``end`` (time = ε·steps).

    U(x) = −log p(x) is evaluated exactly along the segment from ``start`` to ``end`` (extended by a quarter on each
    side); the minimum is the lowest point of the first half, the saddle the highest point between it and the other
    minimum, curvatures by central differences. The formula τ = 2π/√(U''(min)·|U''(saddle)|)·e^{ΔU} is the
    overdamped escape time for dx = −U'(x) dt + √2 dW in 1-D, valid for ΔU ≫ 1; it applies unchanged here when
    the other directions are independent of this one (true for ``two-modes``: p(x, y) = p(x)·N(y; 0, 1)).
    For ½N(−d/2, 1) + ½N(d/2, 1) it gives ΔU ≈ d²/8 − log 2 for large d.
    """
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    t = np.linspace(-0.25, 1.25, n)
    pts = start[None] + t[:, None] * (end - start)[None]
    u = -np.asarray(mix.log_prob(jnp.asarray(pts, jnp.float32)), np.float64)
    h = float(np.linalg.norm(end - start) * (t[1] - t[0]))
    half = n // 2
    i_min = int(np.argmin(u[:half]))
    j_min = half + int(np.argmin(u[half:]))
    i_sad = i_min + int(np.argmax(u[i_min : j_min + 1]))
    if i_sad in (i_min, j_min):  # no barrier: one mode
        return Barrier(0.0, float("nan"), float("nan"), float("nan"))

    def curvature(i: int) -> float:
        k = 20  # points apart: smooth finite differences on the float32 log-density
        return float((u[i + k] - 2 * u[i] + u[i - k]) / (k * h) ** 2)

    c_min, c_sad = curvature(i_min), abs(curvature(i_sad))
    delta = float(u[i_sad] - u[i_min])
    return Barrier(delta, c_min, c_sad, float(2 * np.pi / np.sqrt(c_min * c_sad) * np.exp(delta)))
