"""Blocks about real data (scikit-learn's handwritten digits): PCA shows the images live near a low-dimensional
subspace, as the lecture says of MNIST and CIFAR-10."""

from __future__ import annotations

import numpy as np
import streamlit as st

from scoredemo import digits
from scoredemo import figures as F
from scoredemo.app import builders as B
from scoredemo.app import widgets as W


def pca_block(k: int) -> None:
    """Cumulative explained variance of the digits vs the number of components, and a row of digits rebuilt from
    the first k components next to the originals, with the lecture's MNIST/CIFAR-10 figures for reference."""
    p = B.digits_pca()
    cum = p.cumulative()
    k95, k99 = p.components_for(0.95), p.components_for(0.99)
    originals, rebuilt, err = B.digit_reconstructions(k)
    st.subheader("Real images lie near a low-dimensional subspace too")
    st.markdown(
        f"{len(digits.load()[0])} real handwritten digits of {digits.SIDE}×{digits.SIDE} pixels "
        f"({digits.DIM} dimensions, from scikit-learn). **{k95} principal components keep 95 % of their variance, "
        f"{k99} keep 99 %**; the data never uses the rest of the {digits.DIM} directions much. The lecture's "
        + ", ".join(f"{name}: {kept:,} of {dim:,} components" for name, (kept, dim) in digits.LECTURE_PCA.items())
        + " with almost no visible difference."
    )
    c1, c2 = st.columns(2)
    with c1:
        ks = np.arange(1, len(cum) + 1)
        W.chart(
            F.lines_spec(
                [F.Series("digits", ks, cum, mode="lines+markers")],
                kind="pca-variance",
                x_title="components k",  # "number of components k" was wider than the plot at 1280 px
                y_title="fraction of the variance kept",
                title=f"{k95} components: 95 % · {k99}: 99 %",
                marker_x=k,
                height=420,
            ),
            "pca-variance",
        )
    with c2:
        # two rows of real digits, each over its rebuilt row: digits large enough to read in half the page (one
        # row of ten in three fifths of it drew each 28 px wide at 1280 px)
        half = -(-len(originals) // 2)
        W.chart(
            F.image_grid_spec(
                np.concatenate([originals[:half], rebuilt[:half], originals[half:], rebuilt[half:]]),
                n_cols=half,
                kind="pca-digits",
                title=f"k = {k} of {digits.DIM} components<br>({cum[k - 1]:.0%} of the variance)",
                row_labels=["real", f"k = {k}"] * 2,
                height=400,
            ),
            "pca-digits",
        )
        st.caption(f"Mean squared error per pixel over all digits at k = {k}: {err:.4f} (pixels in [0, 1]).")
