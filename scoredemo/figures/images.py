"""Grids of small greyscale images (the handwritten digits) as one heat map: a mosaic with blank gutters."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scoredemo.figures._style import CHAR_WIDTH, FONT_SIZE, style_layout, typed_array

#: Ink black on white paper, as the digits were written.
INK_SCALE = [[0.0, "#FFFFFF"], [1.0, "#000000"]]


def mosaic(images: np.ndarray, n_cols: int, side: int = 8, gap: int = 1) -> np.ndarray:
    """Tile (N, side·side) images row-major into one array with ``gap`` NaN pixels between them (NaN: paper)."""
    imgs = np.clip(np.nan_to_num(np.asarray(images, np.float64).reshape(-1, side, side), nan=0.0), 0.0, 1.0)
    n_rows = max(1, -(-len(imgs) // n_cols))
    cell = side + gap
    out = np.full((n_rows * cell - gap, n_cols * cell - gap), np.nan)
    for i, img in enumerate(imgs):
        r, c = divmod(i, n_cols)
        out[r * cell : r * cell + side, c * cell : c * cell + side] = img
    return out


def image_grid_spec(
    images: np.ndarray,
    *,
    n_cols: int,
    kind: str,
    title: str | None = None,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    height: int | None = None,
) -> dict:
    """A grid of 8×8 images in [0, 1] (values outside are clipped; NaN drawn as paper), rows top to bottom, with
    optional labels on the left of each row and under each column."""
    z = mosaic(images, n_cols)
    n_rows = (z.shape[0] + 1) // 9
    trace = dict(
        type="heatmap",
        # 2-D typed array: plotly.js needs the shape, or it reads a flat list and draws nothing
        z=dict(typed_array(np.round(np.nan_to_num(z, nan=0.0), 3)[::-1], "f4"), shape=f"{z.shape[0]}, {z.shape[1]}"),
        colorscale=INK_SCALE,
        zmin=0.0,
        zmax=1.0,
        showscale=False,
        hoverinfo="skip",
    )
    layout = style_layout(kind=kind, title=title, height=height or 120 + 80 * n_rows)
    tickvals_y = [z.shape[0] - 1 - (r * 9 + 3.5) for r in range(n_rows)]
    layout.update(
        xaxis=dict(
            showgrid=False,
            zeroline=False,
            showline=False,
            ticks="",
            tickvals=[c * 9 + 3.5 for c in range(n_cols)] if col_labels else [],
            ticktext=list(col_labels or []),
            constrain="domain",
        ),
        yaxis=dict(
            showgrid=False,
            zeroline=False,
            showline=False,
            ticks="",
            tickvals=tickvals_y if row_labels else [],
            ticktext=list(row_labels or []),
            scaleanchor="x",
        ),
        # room for the longest row label (a fixed 150 px took a third of a half-page grid)
        margin=dict(
            l=round(30 + CHAR_WIDTH * FONT_SIZE * max(map(len, row_labels))) if row_labels else 20,
            r=20,
            t=60 + round(1.3 * (FONT_SIZE + 2)) * title.count("<br>") if title else 20,
            b=50 if col_labels else 20,
        ),
    )
    return dict(data=[trace], layout=layout)
