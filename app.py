"""scoredemo's Streamlit entry point: builds the navigation (one page per scene, in lecture order) and nothing else
but the server's start-up hooks (the opt-in compile log and the background warm-up)."""

import importlib

import streamlit as st

from scoredemo.app import warmup
from scoredemo.app.scenes import SCENES

st.set_page_config(
    page_title="scoredemo — score-based generative models", page_icon=":material/cyclone:", layout="wide"
)
warmup.install_compile_log()  # only when $SCOREDEMO_COMPILE_LOG is set (bench, load test)
pages = [
    st.Page(
        importlib.import_module(f"scoredemo.app.scenes.{module}").render,
        title=title,
        url_path=path,
        icon=icon,
        default=i == 0,
    )
    for i, (module, title, path, icon) in enumerate(SCENES)
]
st.navigation(pages, position="sidebar", expanded=True).run()
warmup.warm_up_in_background()  # once per server: the other scenes compile and train while the teacher talks
warmup.show_status()
