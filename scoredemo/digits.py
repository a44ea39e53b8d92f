"""Real data: scikit-learn's bundled handwritten digits (1 797 images of 8×8 pixels, 16 grey levels; shipped inside
the package, nothing is downloaded), scaled to [0, 1], and the checks the pages put on them: PCA (how few directions
the data needs) and two readable scores for generated images (a classifier's confidence, the distance to the
nearest training image)."""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

#: Image side and dimension.
SIDE = 8
DIM = SIDE * SIDE
#: The lecture's reference figures: components kept / dimension, with "almost no difference" after projection.
LECTURE_PCA = {"MNIST": (595, 784), "CIFAR-10": (2165, 3072)}
#: The fraction of the variance that the PCA view opens on keeping: the lecture's "almost no difference".
ALMOST_ALL_VARIANCE = 0.99
#: One of the digits' grey levels in [0, 1] units (scikit-learn's images hold the integers 0..16).
GREY_LEVEL = 1.0 / 16.0


@functools.cache
def _load() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # noqa: PLC0415 - heavy import, only when digits are asked for

    d = load_digits()
    return (np.asarray(d.data, np.float32) * np.float32(GREY_LEVEL)), np.asarray(d.target, np.int64)


def load() -> tuple[np.ndarray, np.ndarray]:
    """(images (1797, 64) float32 in [0, 1], labels (1797,) in 0..9); copies, so callers may modify them."""
    x, y = _load()
    return x.copy(), y.copy()


class PCA(NamedTuple):
    """Principal components of a data set (rows are samples)."""

    mean: np.ndarray  # (D,)
    components: np.ndarray  # (R, D) orthonormal rows, by decreasing variance (R = min(N, D))
    explained: np.ndarray  # (R,) fraction of the total variance along each component (sums to 1)

    def cumulative(self) -> np.ndarray:
        """(R,) fraction of the variance kept by the first k = 1..R components."""
        return np.cumsum(self.explained)

    def components_for(self, fraction: float) -> int:
        """The smallest k whose first k components keep at least ``fraction`` of the variance."""
        return int(np.searchsorted(self.cumulative(), fraction - 1e-12) + 1)

    def reconstruct(self, x: np.ndarray, k: int) -> np.ndarray:
        """Project rows of ``x`` onto the first k components and back: x̂ = μ + (x − μ) V_kᵀ V_k."""
        v = self.components[:k]
        return self.mean + (np.asarray(x, np.float64) - self.mean) @ v.T @ v


def pca(x: np.ndarray) -> PCA:
    """PCA by the SVD of the centred data (float64)."""
    x = np.asarray(x, np.float64)
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    var = s**2
    return PCA(mean, vt, var / var.sum())


@functools.cache
def classifier():
    """A multinomial logistic regression fitted on all real digits (scikit-learn; 93 % accurate in 3-fold
    cross-validation): the judge of whether a generated image looks like a digit. Like any such model it is
    over-confident on images unlike its data (uniform noise gets ~0.5), so the pages show it beside the distance to
    the nearest real digit."""
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    x, y = _load()
    return LogisticRegression(max_iter=2000, C=1.0).fit(x, y)


def digit_confidence(samples: np.ndarray) -> np.ndarray:
    """(N,) the classifier's top-class probability for each sample (clipped to [0, 1]; non-finite rows get 0)."""
    s = np.asarray(samples, np.float64).reshape(-1, DIM)
    ok = np.all(np.isfinite(s), axis=1)
    out = np.zeros(len(s))
    if ok.any():
        out[ok] = classifier().predict_proba(np.clip(s[ok], 0.0, 1.0)).max(axis=1)
    return out


def nearest_train_distance(samples: np.ndarray) -> np.ndarray:
    """(N,) Euclidean distance of each sample to its nearest real digit, in the scaled units (inf if non-finite)."""
    s = np.asarray(samples, np.float64).reshape(-1, DIM)
    x = _load()[0].astype(np.float64)
    ok = np.all(np.isfinite(s), axis=1)
    out = np.full(len(s), np.inf)
    if ok.any():
        d2 = (s[ok] ** 2).sum(1)[:, None] - 2 * s[ok] @ x.T + (x**2).sum(1)[None]
        out[ok] = np.sqrt(np.maximum(d2.min(axis=1), 0.0))
    return out
