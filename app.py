"""scoredemo's Streamlit entry point: builds the navigation (one page per scene, in lecture order, and two hidden
pages: the teacher's notes window and scene 1's declared path) with the lecture bar (presenter mode, previous/next,
the scene's slides, share link) and nothing else but the server's start-up hooks (the opt-in compile log and the
background warm-up)."""

import importlib

import streamlit as st

from scoredemo.app import notes, presenter, warmup, widgets
from scoredemo.app.scenes import SCENES

warmup.note_page_run()  # the lecture pack's builder waits while pages are being opened
presenter.setup()  # page config (the sidebar closed on the projector), the switch, the page's scripts
warmup.install_compile_log()  # only when $SCOREDEMO_COMPILE_LOG is set (bench, load test)
pages = [
    st.Page(
        importlib.import_module(f"scoredemo.app.scenes.{module}").render,
        title=title,
        # the default page is served at the root, and its own path would open it under a "Page not found" modal:
        # it reserves a path no link uses, and its declared one ("/score-fields") is a hidden page that opens it
        url_path=path if i else presenter.DEFAULT_PAGE_PATH,
        icon=icon,
        default=i == 0,
    )
    for i, (module, title, path, icon) in enumerate(SCENES)
]
notes_window = st.Page(notes.notes_page, title="Teacher's notes", url_path=presenter.NOTES_PATH, visibility="hidden")
alias = st.Page(
    lambda: st.switch_page(pages[0], query_params=st.query_params.to_dict()),
    title=SCENES[0][1],
    url_path=SCENES[0][2],
    visibility="hidden",
)
current = st.navigation([*pages, notes_window, alias], position="sidebar", expanded=True)
if current.url_path in (notes_window.url_path, alias.url_path):
    current.run()
    st.stop()
slides_slot, share_slot = presenter.lecture_bar(pages, current)
current.run()
widgets.draw_intro()  # a scene that drew no chart (e.g. still training) shows its intro now
presenter.slides_row(slides_slot, pages, current)  # after the scene: its controls' defaults are known
presenter.share_box(share_slot, current.url_path)  # after the scene: the link holds its controls' values
warmup.warm_up_in_background()  # once per server: the other scenes compile and train while the teacher talks
warmup.show_status()
