"""Controls bound to the URL: every widget's key is its URL parameter (``?pi=0.3&seed=4``).

Streamlit ignores an invalid URL value (out of range, not an option, not a number), uses the default and removes
the value from the URL. The pure checks here (:func:`why_number`, :func:`why_option`, :func:`why_bool`) read the
raw value too; after the widget is drawn, :class:`Page` compares the URL value with what the widget actually holds
and leaves a visible note whenever they differ ("… is outside [0.001, 1]; using `step_size=0.02` instead."), and
writes the value in use back to the URL where Streamlit left the refused one (an unbound widget), so the address
bar and the share link say what is shown. A URL parameter that is no setting of the scene's view (``?pii=0.3``)
gets a note too, is dropped from the URL, and suggests the nearest setting's name. A note stays until that control
is moved or the page is reset. The raw values are user text: a note shows them literally (``literal.md_code``).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from scoredemo.app.literal import md_code

#: URL parameters the app reads on every page, whatever the scene: presenter mode (``presenter.PARAM``) and the
#: drawing (``?components=``, read before a scene draws its table: ``widgets._current_text``). They are never
#: "unknown" (tests/app/test_controls.py checks this list against every ``st.query_params`` read in the app).
GLOBAL_PARAMS = frozenset({"present", "components"})

# ------------------------------------------------------------------------------------------ pure URL checks


def why_number(values: Sequence[str], lo: float, hi: float, *, integer: bool = False) -> str | None:
    """Why the URL values of a numeric control cannot be used, or None (no value, or one good value)."""
    if not values or values == [""]:
        return None
    if len(values) > 1:
        return "is given more than once"
    try:
        value = float(values[0])
    except (TypeError, ValueError):
        return "is not a number"
    if not math.isfinite(value) or value < lo or value > hi:
        return f"is outside [{fmt(lo)}, {fmt(hi)}]"
    if integer and value != int(value):
        return "is not a whole number"
    return None


def why_option(values: Sequence[str], options: Sequence[str]) -> str | None:
    """Why the URL values of a select box cannot be used, or None."""
    if len(values) > 1:
        return "is given more than once"
    if values and values[0] not in options:
        shown = ", ".join(options) if len(options) <= 12 else ", ".join(options[:12]) + ", …"
        return f"is not one of {shown}"
    return None


def why_bool(values: Sequence[str]) -> str | None:
    """Why the URL values of a toggle cannot be used, or None."""
    if len(values) > 1:
        return "is given more than once"
    if values and values[0].lower() not in ("true", "false"):
        return "is not true/false"
    return None


def readable_integer(raw: str) -> bool:
    """False for text that parses as an infinite or huge number ("inf", "1e400", "-1e30"), which Streamlit's
    integer box cannot read; True for anything else (numbers it can read, and text it rejects by itself)."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return True
    return math.isfinite(value) and abs(value) < 2.0**62


def fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def shorten(raw: str, limit: int = 40) -> str:
    return raw if len(raw) <= limit else raw[:limit] + "…"


def note_text(key: str, raw: str, why: str | None, used: Any, default: Any) -> str:
    """The note (Markdown) for a URL value that is not the one in use; the raw value is shown literally."""
    tail = " (the default)" if used == default else ""
    return (
        f"URL value {md_code(f'{key}={shorten(raw)}')} {why or 'could not be read'}; "
        f"using {md_code(f'{key}={fmt(used)}')}{tail} instead."
    )


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known parameter name closest to a mistyped one (``pii`` → ``pi``), or None when none is close."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:  # a case slip ("PI") is close whatever its length
        close = [k for k in known if k.lower() == name.lower()]
    return close[0] if close else None


def unknown_note(name: str, known: Iterable[str]) -> str:
    """The note (Markdown) for a URL parameter that is no setting of this view; the name is shown literally."""
    guess = nearest(name, known)
    hint = f" Did you mean {md_code(guess)}?" if guess else ""
    return f"URL parameter {md_code(shorten(name))} is not a setting of this view; it was ignored.{hint}"


def url_text(value: Any) -> str:
    """How a control's value is written in the URL (as Streamlit writes a bound widget's: true/false, 0.3, 7)."""
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, float) else str(value)


# ------------------------------------------------------------------------------------------ session state


#: Prefix of the notes' keys for unknown URL parameters (no control's key starts with it).
UNKNOWN = "?"


def _page_notes() -> dict[str, dict[str, tuple[str, Any, str]]]:
    """page id -> {URL key: (note, the value in use when the note was made, the raw URL value)}; an unknown
    parameter's note is under :data:`UNKNOWN` + its name (value None)."""
    return st.session_state.setdefault("_url_notes", {})


def _registry() -> dict[str, dict[str, Any]]:
    """page id -> {URL key: default}: what "reset to defaults" restores."""
    return st.session_state.setdefault("_controls", {})


def _arrive(page_id: str) -> None:
    """Forget the controls of the scene this session showed before, when it shows another one.

    Scenes share control names (``step_size``, ``n_steps``, ``seed``, …), and a control's name is its Streamlit
    key, so a widget of the same name on the next page *is* the same widget to Streamlit: it kept the previous
    scene's value (scene 7's 1 000 steps ran scene 8, and went into its URL). Dropping them here, before any widget
    is drawn, makes the new scene read its link's values, else its defaults, like a fresh visit. The app-wide
    parameters (:data:`GLOBAL_PARAMS`: the drawing, presenter mode) go along."""
    last = st.session_state.get("_controls_page")
    st.session_state["_controls_page"] = page_id
    if last is None or last == page_id:
        return
    for name in set(_registry().get(last, {})) - GLOBAL_PARAMS:  # the drawing and presenter mode go along
        for key in (name, f"_unbound_{name}"):
            if key in st.session_state:
                del st.session_state[key]


def _url_values(key: str) -> list[str]:
    try:
        return [str(v) for v in st.query_params.get_all(key)]
    except Exception:  # noqa: BLE001 - a missing or unreadable param is simply absent
        return []


def _write_back(key: str, refused: list[str], value: Any, default: Any) -> None:
    """Put the value in use in the URL where it still holds the refused ``refused`` (the default: no parameter).
    Streamlit does so itself for a bound widget (and refuses a write to a bound parameter); this is for a widget
    drawn unbound (the seed box at ``?seed=1e99``)."""
    if _url_values(key) != refused:
        return  # already corrected, or no longer there
    try:
        if value == default:
            del st.query_params[key]
        else:
            st.query_params[key] = url_text(value)
    except (StreamlitAPIException, KeyError):
        pass  # bound: the widget owns the parameter


class Page:
    """One scene's controls: which exist (for "reset to defaults") and the URL notes shown on top of the page.

    Every widget method draws one Streamlit widget bound to ``?key=`` (in the sidebar unless ``container`` is
    given) and returns its value.
    """

    def __init__(self, page_id: str):
        self.id = page_id
        self.defaults: dict[str, Any] = {}
        self.notes_box = st.container()
        _page_notes().setdefault(page_id, {})
        _arrive(page_id)

    def _bind(
        self,
        key: str,
        default: Any,
        why: Callable[[list[str]], str | None],
        draw: Callable[[Any, list[str]], Any],
        honoured: Callable[[str, Any], bool],
        container: Any,
    ) -> Any:
        """Check the URL value, draw the widget, then note a URL value that is not the one in use.

        The URL is an *input* only while the widget does not exist yet in this session (a shared link being
        opened): then its value is checked and ``honoured(raw, value)`` says whether the widget took it; a value
        our checks accept but Streamlit did not (or the reverse) is still reported, so the note never lies about
        what is drawn. Once the widget exists the URL is its *output*, and it may lag behind while a rerun is
        still running (fast keyboard moves): it is not compared then, so no false note appears. A note is
        dropped as soon as the control holds another value than the one the note says is in use.
        """
        self.defaults[key] = default
        notes = _page_notes()[self.id]
        from_url = key not in st.session_state
        values = _url_values(key)
        reason = why(values) if from_url else None
        value = draw(container or st.sidebar, values)
        if key in notes and notes[key][1] != value:
            del notes[key]  # the control has been moved since: the note is stale
        raw = None if not values else values[0] if len(values) == 1 else ", ".join(values)
        if not from_url or raw is None or raw == "":
            return value
        try:
            ok = honoured(raw, value)
        except (TypeError, ValueError):
            ok = False
        if ok and reason is None:
            notes.pop(key, None)  # the URL value is in use: an older note about this key is stale
        else:
            notes[key] = (note_text(key, raw, reason, value, default), value, raw)
            _write_back(key, values, value, default)
        return value

    def slider(
        self,
        label: str,
        key: str,
        default: float,
        lo: float,
        hi: float,
        step: float,
        *,
        help: str | None = None,
        fmt: str | None = None,
        container: Any = None,
    ) -> float:
        """A float slider bound to ``?key=``."""
        return self._bind(
            key,
            float(default),
            lambda v: why_number(v, lo, hi),
            lambda where, _: float(
                where.slider(
                    label,
                    float(lo),
                    float(hi),
                    float(default),
                    float(step),
                    key=key,
                    help=help,
                    format=fmt,
                    bind="query-params",
                )
            ),
            lambda raw, value: math.isclose(float(raw), value, rel_tol=1e-6, abs_tol=1e-9),
            container,
        )

    def int_slider(
        self,
        label: str,
        key: str,
        default: int,
        lo: int,
        hi: int,
        step: int = 1,
        *,
        help: str | None = None,
        container: Any = None,
    ) -> int:
        """An integer slider bound to ``?key=``."""
        return self._bind(
            key,
            int(default),
            lambda v: why_number(v, lo, hi, integer=True),
            lambda where, _: int(
                where.slider(label, int(lo), int(hi), int(default), int(step), key=key, help=help, bind="query-params")
            ),
            lambda raw, value: float(raw) == value,
            container,
        )

    def number(
        self, label: str, key: str, default: int, lo: int, hi: int, *, help: str | None = None, container: Any = None
    ) -> int:
        """An integer box bound to ``?key=`` (seeds).

        Streamlit's integer box crashes while it reads ``?seed=inf`` or ``?seed=1e400`` from the URL (an
        OverflowError in its parser); for such a value the box is drawn unbound this once (the default, with the
        note; the value leaves the URL) and binds again on the next run. A value typed into the unbound box is not
        written to the URL by the browser, so on that next run it is set again through the session state, which
        makes Streamlit write it (the address bar and the share link then hold it).
        """
        unbound = f"_unbound_{key}"

        def draw(where: Any, values: list[str]) -> int:
            readable = all(readable_integer(v) for v in values)
            if not readable:
                st.session_state[unbound] = True
            elif st.session_state.pop(unbound, False) and key in st.session_state:
                st.session_state[key] = st.session_state[key]
            bind = "query-params" if readable else None
            return int(where.number_input(label, int(lo), int(hi), int(default), 1, key=key, help=help, bind=bind))

        return self._bind(
            key,
            int(default),
            lambda v: why_number(v, lo, hi, integer=True),
            draw,
            lambda raw, value: float(raw) == value,
            container,
        )

    def select(
        self,
        label: str,
        key: str,
        options: Sequence[Any],
        default: Any,
        *,
        help: str | None = None,
        container: Any = None,
    ) -> Any:
        """A select box bound to ``?key=`` (options are shown and stored as their str())."""
        options = list(options)
        return self._bind(
            key,
            default,
            lambda v: why_option(v, [str(o) for o in options]),
            lambda where, _: where.selectbox(
                label, options, index=options.index(default), key=key, help=help, bind="query-params"
            ),
            lambda raw, value: str(value) == raw,
            container,
        )

    def radio(
        self,
        label: str,
        key: str,
        options: Sequence[Any],
        default: Any,
        *,
        help: str | None = None,
        container: Any = None,
    ) -> Any:
        """Radio buttons bound to ``?key=`` (options shown and stored as their str()), side by side: for a choice of
        two or three that is switched often, one click with no list to open and close (measured on scene 11:
        closing a select box's list costs the browser ~0.25 s before the answer can be drawn)."""
        options = list(options)
        return self._bind(
            key,
            default,
            lambda v: why_option(v, [str(o) for o in options]),
            lambda where, _: where.radio(
                label, options, index=options.index(default), key=key, help=help, horizontal=True, bind="query-params"
            ),
            lambda raw, value: str(value) == raw,
            container,
        )

    def toggle(self, label: str, key: str, default: bool, *, help: str | None = None, container: Any = None) -> bool:
        """A toggle bound to ``?key=true|false``."""
        return self._bind(
            key,
            bool(default),
            why_bool,
            lambda where, _: bool(where.toggle(label, value=bool(default), key=key, help=help, bind="query-params")),
            lambda raw, value: raw.lower() == str(value).lower(),
            container,
        )

    def text(
        self,
        label: str,
        key: str,
        default: str,
        *,
        help: str | None = None,
        container: Any = None,
        on_change: Callable[[], None] | None = None,
    ) -> str:
        """A text box bound to ``?key=`` (the component table); its content is validated by the caller."""
        self.defaults[key] = default
        where = container or st.sidebar
        return str(where.text_input(label, value=default, key=key, help=help, bind="query-params", on_change=on_change))

    def refused_url_value(self, key: str) -> str | None:
        """The raw URL value of ``key`` that a standing note says could not be used (None: no such note), so a
        scene can add its own explanation next to the note (e.g. scene 5 at ``?thickness=0``)."""
        note = _page_notes().get(self.id, {}).get(key)
        return None if note is None else note[2]

    def finish(self, *, extra_reset: Callable[[], None] | None = None) -> None:
        """Note and drop the URL parameters that are no setting of this view (every control is drawn by now),
        show the URL notes on top of the page and the "reset to defaults" button at the bottom of the sidebar."""
        _registry()[self.id] = dict(self.defaults)
        notes = _page_notes().setdefault(self.id, {})
        known = set(self.defaults) | GLOBAL_PARAMS
        for name in [n for n in st.query_params if n not in known]:
            raw = ", ".join(_url_values(name))
            try:
                del st.query_params[name]  # ignored, so not in the address bar nor in the share link
            except (StreamlitAPIException, KeyError):
                # bound to a widget not drawn in this run (its density or objective was just switched away):
                # Streamlit drops it at the end of the run; it came from no link
                continue
            notes[UNKNOWN + name] = (unknown_note(name, self.defaults), None, raw)
        if notes:
            self.notes_box.warning("  \n".join(note[0] for note in notes.values()), icon=":material/link:")
        st.sidebar.divider()
        st.sidebar.button(
            "↺ Reset to defaults",
            key=f"reset-{self.id}",
            on_click=_reset,
            args=(self.id, extra_reset),
            help="Put every control of this scene back to its default (and clean the URL).",
            width="stretch",
        )
        st.sidebar.caption("Every control is in the URL: copy the address bar to share exactly this view.")


def _reset(page_id: str, extra: Callable[[], None] | None) -> None:
    for key, value in _registry().get(page_id, {}).items():
        st.session_state[key] = value
    _page_notes()[page_id] = {}
    if extra is not None:
        extra()
