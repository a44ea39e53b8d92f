"""The teacher's notes window (``/notes``): every scene's script and slides, on the teacher's laptop, following the
scene and slide that the projected window (presenter mode, another window of the same browser) reports over a
BroadcastChannel, with buttons that step the lecture there (the keys of :data:`presenter.KEYS`)."""

from __future__ import annotations

import importlib
import json

import streamlit as st

from scoredemo.app import presets as P
from scoredemo.app.presenter import CHANNEL, KEYS
from scoredemo.app.scenes import SCENES


def lecture_notes() -> list[dict]:
    """Every scene's notes, in lecture order: its path, title, the intro's whole text (the projector shows its first
    sentence: this is what to say), and its beats: "start", then each preset with its parameters and its line."""
    out = []
    for i, (module, title, path, _) in enumerate(SCENES):
        intro = getattr(importlib.import_module(f"scoredemo.app.scenes.{module}"), "INTRO", None)
        beats = [{"name": "start", "params": {}, "say": "The scene at its defaults."}]
        beats += [{"name": p.name, "params": p.params, "say": p.say} for p in P.presets_for(path)]
        out.append(
            {
                "path": path,
                "root": i == 0,  # served at the app's root
                "title": title,
                "intro": intro.sentences if intro is not None else "",
                "beats": beats,
            }
        )
    return out


#: The notes window's script: it asks the projected window for its state on load, then shows the notes of the scene
#: and slide it reports (what to say, the slides with the current one marked, what comes next, the keys) and a
#: clock; its buttons send keys to the projected window. All text is set as text (``textContent``), never as HTML.
NOTES_JS = """<script>
(() => {
  const NOTES = NOTES_JSON;
  const KEYS = KEYS_JSON;
  const root = document.getElementById('sd-notes');
  if (!root || root.__sdNotes) return;
  root.__sdNotes = true;
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text) e.textContent = text;
                                   if (cls) e.className = cls; return e; };
  const channel = 'BroadcastChannel' in window ? new BroadcastChannel('CHANNEL_NAME') : null;
  const t0 = Date.now();
  const sceneOf = (path) => {
    const parts = (path || '').split('/').filter(Boolean);
    const last = parts.length ? decodeURIComponent(parts[parts.length - 1]) : '';
    return NOTES.find((n) => n.path === last) || NOTES.find((n) => n.root);
  };
  const render = (state) => {
    root.replaceChildren();
    const clock = el('p', '', 'sd-clock');
    root.appendChild(clock);
    const tickClock = () => { const s = Math.floor((Date.now() - t0) / 1000);
      clock.textContent = 'Elapsed ' + Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0'); };
    tickClock();
    clearInterval(root.__sdClock);
    root.__sdClock = setInterval(tickClock, 1000);
    if (!state) {
      root.appendChild(el('h2', 'Waiting for the lecture…'));
      root.appendChild(el('p', 'Open the app in presenter mode (?present=1) in another window of this browser, ' +
        'e.g. from its "Teacher\\u2019s notes" button: this window then follows the scene and slide it shows.'));
      return;
    }
    const scene = sceneOf(state.path);
    const i = NOTES.indexOf(scene);
    root.appendChild(el('h2', 'Now: ' + scene.title, 'sd-now'));
    const ol = el('ol', '', 'sd-beats');
    scene.beats.forEach((b, j) => {
      const li = el('li', '', j === state.beat ? 'sd-current' : '');
      li.appendChild(el('strong', b.name + (j === state.beat ? '  \\u25c0 on screen' : '')));
      li.appendChild(el('div', b.say));
      ol.appendChild(li);
    });
    root.appendChild(el('h3', 'Slides (PageDown plays the animation, then the next slide)'));
    root.appendChild(ol);
    if (scene.intro) { root.appendChild(el('h3', 'What the scene says')); root.appendChild(el('p', scene.intro)); }
    const next = NOTES[i + 1];
    root.appendChild(el('p', next ? 'Next scene: ' + next.title : 'Last scene of the lecture.', 'sd-next'));
    const keys = el('ul', '', 'sd-keys');
    for (const [k, v] of Object.entries(KEYS)) keys.appendChild(el('li', k + ': ' + v));
    root.appendChild(el('h3', 'Keys (in the projected window)'));
    root.appendChild(keys);
  };
  const buttons = document.getElementById('sd-notes-buttons');
  if (buttons && channel) {
    for (const [label, action] of [['\\u25c0 previous', 'beat-prev'], ['\\u25b6 / \\u275a\\u275a play / pause', 'play'],
                                   ['next \\u25b6', 'beat-next']]) {
      const b = el('button', label);
      b.addEventListener('click', () => channel.postMessage({kind: 'key', action}));
      buttons.appendChild(b);
    }
  }
  render(null);
  if (channel) {
    channel.onmessage = (e) => { if (e.data && e.data.kind === 'state') render(e.data); };
    channel.postMessage({kind: 'hello'});
  }
})();
</script>"""

NOTES_CSS = """<style>
#sd-notes { font-size: 1.1rem; line-height: 1.45; }
#sd-notes .sd-clock { float: right; color: #444; }
#sd-notes .sd-current { background: #FFF3C4; border-left: 6px solid #E69F00; padding: 0.2rem 0.5rem; }
#sd-notes .sd-beats li { margin-bottom: 0.4rem; }
#sd-notes .sd-next { font-weight: 600; margin-top: 1rem; }
#sd-notes-buttons button { font-size: 1.1rem; margin-right: 0.6rem; padding: 0.4rem 1rem; }
</style>"""


def notes_page() -> None:
    """The teacher's notes window (``/notes``): every scene's script and slides, showing the ones the projected window
    (presenter mode, in another window of the same browser) reports, with buttons that step the lecture there."""
    st.title("Teacher's notes")
    st.caption(
        "Keep this window on your laptop and the lecture (presenter mode) on the projector: this page follows the "
        "scene and slide shown there, and its buttons step it."
    )
    data = json.dumps(lecture_notes(), ensure_ascii=False).replace("</", "<\\/")  # no "</script>" inside
    keys = json.dumps(KEYS, ensure_ascii=False).replace("</", "<\\/")
    script = NOTES_JS.replace("NOTES_JSON", data).replace("KEYS_JSON", keys).replace("CHANNEL_NAME", CHANNEL)
    st.html(NOTES_CSS + '<div id="sd-notes-buttons"></div><div id="sd-notes"></div>' + script,
            unsafe_allow_javascript=True)  # fmt: skip
