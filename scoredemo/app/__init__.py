"""scoredemo's Streamlit app layer: URL-bound controls, cached builders, model cache, warm-up, widgets, scenes."""
