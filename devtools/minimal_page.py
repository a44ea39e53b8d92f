"""The page-weight baseline (``devtools.page_weight``): a Streamlit page with one Plotly chart and nothing else.

The chart is scene 1's default picture (two-moons under its score arrows, 640 px high, full width), built by the
same builders and drawn with the same ``st.plotly_chart`` call and config, in the same theme and page layout, so
that the ratio scene 1 / this page measures what the app adds around its chart: the navigation, the lecture bar,
the intro and its formula, the controls, the caption, the warm-up box. Run it with
``streamlit run devtools/minimal_page.py`` from the checkout's root (the app's ``.streamlit/config.toml``).
"""

import streamlit as st

from scoredemo import figures as F
from scoredemo.app import builders as B
from scoredemo.app.widgets import CHART_CONFIG, default_density_key

st.set_page_config(page_title="scoredemo — minimal page", layout="wide")
f = B.field(default_density_key("two-moons"), 0.0)
panel = F.FieldPanel(f.xs, f.ys, f.density, f.points, f.score, title="two-moons")
st.plotly_chart(
    F.SpecFigure(F.score_field_spec([panel], box=f.box, height=640)),
    key="score-field",
    theme=None,
    config=CHART_CONFIG,
    width="stretch",
)
