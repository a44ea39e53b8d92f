"""Blocks about real data (scikit-learn's handwritten digits): PCA shows the images live near a low-dimensional
subspace, as the lecture says of MNIST and CIFAR-10."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import digits
from scoredemo import figures as F
from scoredemo.app import builders as B
from scoredemo.app import widgets as W

#: Digits shown with their reconstructions.
PCA_DIGITS = 8


def opening_k() -> int:
    """The k the PCA view opens on: the fewest components that keep ``digits.ALMOST_ALL_VARIANCE`` of the variance
    (the lecture's claim is about "almost no difference", so the page opens on it; 41 of 64 for the digits)."""
    return B.digits_pca().components_for(digits.ALMOST_ALL_VARIANCE)


def pca_block(k: int) -> None:
    """Cumulative explained variance of the digits vs the number of components, and digits rebuilt from the first k
    components under the originals, beside the digits' and the lecture's MNIST/CIFAR-10 counts of components kept."""
    p = B.digits_pca()
    cum = p.cumulative()
    k95, k_all = p.components_for(0.95), opening_k()
    originals, rebuilt, err = B.digit_reconstructions(k, n=PCA_DIGITS)
    rms = float(np.sqrt(err))
    st.subheader("Real images lie near a low-dimensional subspace too")
    share = f"{cum[k - 1] * 100:.1f} %" if cum[k - 1] < 0.9995 else "all"
    look = "the rebuilt digits look like the originals" if rms < digits.GREY_LEVEL / 2 else "the digits lose detail"
    st.markdown(
        f"{len(digits.load()[0]):,} real handwritten digits of {digits.SIDE}×{digits.SIDE} pixels "
        f"({digits.DIM} dimensions, from scikit-learn). **{k_all} principal components keep "
        f"{digits.ALMOST_ALL_VARIANCE * 100:.0f} % of their variance** ({k95} keep 95 %). At k = {k} ({share} of the "
        f"variance) {look}: they are off by {rms:.3f} per pixel (root mean square over all digits, pixels in "
        f"[0, 1]), {rms / digits.GREY_LEVEL:.2f} of one grey level. The lecture projects MNIST and CIFAR-10 alike, "
        "with almost no difference (components kept, below). Move k down to see the loss."
    )
    kept = [("digits 8×8 (here)", k_all, digits.DIM)] + [
        (f"{name} (lecture)", n, dim) for name, (n, dim) in digits.LECTURE_PCA.items()
    ]
    for col, (name, n, dim) in zip(st.columns(len(kept)), kept, strict=True):
        col.metric(name, f"{n:,} of {dim:,}", f"{n / dim:.0%} of the dimensions", delta_color="off", delta_arrow="off")
    c1, c2 = st.columns(2)
    with c1:
        ks = np.arange(1, len(cum) + 1)
        W.chart(
            F.lines_spec(
                [F.Series("digits", ks, cum, mode="lines+markers")],
                kind="pca-variance",
                x_title="components k",  # "number of components k" was wider than the plot at 1280 px
                y_title="fraction of the variance kept",
                title=f"{k95} components: 95 % · {k_all}: {digits.ALMOST_ALL_VARIANCE * 100:.0f} %",
                marker_x=k,
                height=420,
            ),
            "pca-variance",
        )
    with c2:
        # two rows of four real digits, each over its rebuilt row: at 1280 px with the sidebar open, ~65 px per
        # digit in half the page (one row of ten drew each 28 px wide, two rows of five ~50 px)
        half = -(-len(originals) // 2)
        W.chart(
            F.image_grid_spec(
                np.concatenate([originals[:half], rebuilt[:half], originals[half:], rebuilt[half:]]),
                n_cols=half,
                kind="pca-digits",
                title=f"k = {k} of {digits.DIM} components<br>({cum[k - 1]:.0%} of the variance)",
                row_labels=["real", f"k = {k}"] * 2,
                height=440,
            ),
            "pca-digits",
        )
