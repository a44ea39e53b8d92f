"""scoredemo's Streamlit entry point: builds the navigation (one page per scene, in lecture order) and nothing else."""

import importlib

import streamlit as st

from scoredemo.app.scenes import SCENES

st.set_page_config(page_title="scoredemo — score-based generative models", page_icon="🌀", layout="wide")
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
