"""The real data set (scikit-learn's digits), its PCA, and the two scores of generated images."""

import numpy as np

from scoredemo import digits


def test_load_shape_and_range():
    x, y = digits.load()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert set(np.unique(y)) == set(range(10))


def test_pca_curve_is_monotone_sums_to_one_and_full_rank_is_exact():
    x, _ = digits.load()
    p = digits.pca(x)
    cum = p.cumulative()
    assert np.all(np.diff(cum) >= -1e-12) and abs(cum[-1] - 1) < 1e-9
    assert np.all(np.diff(p.explained) <= 1e-12)  # by decreasing variance
    np.testing.assert_allclose(p.components @ p.components.T, np.eye(len(p.components)), atol=1e-9)
    np.testing.assert_allclose(p.reconstruct(x, 64), x, atol=1e-5)
    errs = [np.mean((p.reconstruct(x, k) - x) ** 2) for k in (1, 10, 30, 64)]
    assert all(a > b for a, b in zip(errs, errs[1:], strict=False))
    # the data is far from using all 64 directions: 95 % of the variance in under half of them
    assert p.components_for(0.95) == 29 and p.components_for(0.99) == 41


def test_scores_tell_real_digits_from_noise():
    """On 300 real digits the classifier is confident and the nearest training image is the digit itself; on
    uniform noise confidence is lower and the nearest digit is far (the typical nearest distance between two
    different real digits is ~1.3)."""
    x, _ = digits.load()
    rng = np.random.default_rng(0)
    noise = rng.random((300, 64))
    assert digits.digit_confidence(x[:300]).mean() > 0.85
    assert digits.digit_confidence(noise).mean() < 0.7
    assert np.all(digits.nearest_train_distance(x[:300]) < 1e-3)
    assert digits.nearest_train_distance(noise).min() > 2.0
    bad = np.full((2, 64), np.nan)
    assert digits.digit_confidence(bad).tolist() == [0.0, 0.0]
    assert np.all(np.isinf(digits.nearest_train_distance(bad)))
