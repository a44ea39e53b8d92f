"""Pure figure builders for the app: numpy arrays in, one finished Plotly JSON dict out (no Streamlit here).

One representation: every builder (``*_spec``) returns the dict the browser receives, numeric arrays as plotly.js
typed arrays and a compact template, and the app sends it as it is (:class:`SpecFigure`): building and validating
``go`` objects cost more than everything else in a rerun. The tests validate each builder once with
``go.Figure(spec)``.

Conventions for a projector: large fonts, the Okabe–Ito colour-blind-safe palette, fixed square axes on
[−box, box]², and every figure tagged with ``layout.meta = {"kind": ...}`` so tests can find it in a page.
Animations are Plotly frames played in the browser (play/pause buttons and a scrub slider); coordinates are
float32 rounded to 3 decimals to keep the payload small.

Modules: ``_style`` (palette, template, layout, typed arrays, SpecFigure), ``fields`` (pictures on the plane:
score arrows, scalar maps, particle paths), ``charts`` (ordinary axes: meters, bars, loss curves),
``animation`` (played particles and the HTML download), ``presenting`` (the projector's larger type).
"""

from scoredemo.figures._style import (
    COORD_DECIMALS,
    DENSITY_SCALE,
    ERROR_SCALE,
    FONT_SIZE,
    LEGEND_FONT,
    OKABE_ITO,
    SERIES,
    STALE_OPACITY,
    TEMPLATE,
    SpecFigure,
    decode_arrays,
    fit_y_titles,
    greyed,
    style_layout,
    typed_array,
)
from scoredemo.figures.animation import (
    MAX_DRAWN_PARTICLES,
    MAX_FRAMES,
    Animation,
    ParticleSet,
    animation_html,
    animation_spec,
    cursor_shape,
    drawn_frames,
    follow_meta,
)
from scoredemo.figures.charts import (
    Series,
    decade_error_spec,
    decade_errors_spec,
    lines_spec,
    log_ticks,
    loss_curve_spec,
    marginals_spec,
    mode_fraction_spec,
    scatter_xy_spec,
    smooth,
    weights_bar_spec,
)
from scoredemo.figures.fields import (
    MAX_PATHS,
    ArrowScale,
    FieldPanel,
    PathPanel,
    arrow_vectors,
    density_image,
    frame_name,
    heatmap_spec,
    paths_spec,
    per_picture_scale,
    quiver_dict,
    score_field_spec,
    stepped_spec,
)
from scoredemo.figures.images import image_grid_spec, mosaic
from scoredemo.figures.presenting import presented, staged

__all__ = [
    "image_grid_spec",
    "mosaic",
    "Series",
    "lines_spec",
    "log_ticks",
    "COORD_DECIMALS",
    "DENSITY_SCALE",
    "ERROR_SCALE",
    "FONT_SIZE",
    "LEGEND_FONT",
    "MAX_DRAWN_PARTICLES",
    "MAX_FRAMES",
    "MAX_PATHS",
    "OKABE_ITO",
    "SERIES",
    "STALE_OPACITY",
    "TEMPLATE",
    "Animation",
    "ArrowScale",
    "FieldPanel",
    "ParticleSet",
    "PathPanel",
    "SpecFigure",
    "animation_html",
    "animation_spec",
    "cursor_shape",
    "drawn_frames",
    "follow_meta",
    "arrow_vectors",
    "decade_error_spec",
    "decade_errors_spec",
    "decode_arrays",
    "density_image",
    "fit_y_titles",
    "greyed",
    "heatmap_spec",
    "loss_curve_spec",
    "marginals_spec",
    "mode_fraction_spec",
    "paths_spec",
    "per_picture_scale",
    "presented",
    "staged",
    "quiver_dict",
    "scatter_xy_spec",
    "score_field_spec",
    "frame_name",
    "stepped_spec",
    "smooth",
    "style_layout",
    "typed_array",
    "weights_bar_spec",
]
