"""scoredemo's Streamlit entry point (placeholder until the app issue lands)."""

import streamlit as st

st.set_page_config(page_title="scoredemo", layout="wide")
st.title("scoredemo")
st.write("Score-based generative models, interactively. The scenes are on their way.")
