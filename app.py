"""scoredemo's Streamlit entry point: builds the navigation (one page per scene, in lecture order) with the lecture
bar (presenter mode, previous/next, the scene's presets, share link) and nothing else but the server's start-up
hooks (the opt-in compile log and the background warm-up)."""

import importlib

import streamlit as st

from scoredemo.app import presenter, warmup, widgets
from scoredemo.app.scenes import SCENES

presenter.setup()  # page config (the sidebar closed on the projector), the switch, ?present=1 kept in the URL
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
current = st.navigation(pages, position="sidebar", expanded=True)
share_slot = presenter.lecture_bar(pages, current)
current.run()
widgets.draw_intro()  # a scene that drew no chart (e.g. still training) shows its intro now
presenter.share_box(share_slot, current.url_path)  # after the scene: the link holds its controls' values
warmup.warm_up_in_background()  # once per server: the other scenes compile and train while the teacher talks
warmup.show_status()
