"""Controls bound to the URL: every widget's key is its URL parameter (``?pi=0.3&seed=4``).

Streamlit ignores an invalid URL value (out of range, not an option, not a number) and uses the default. The pure
checks here (:func:`why_number`, :func:`why_option`, :func:`why_bool`) read the raw value too; after the widget is
drawn, :class:`Page` compares the URL value with what the widget actually holds and leaves a visible note whenever
they differ ("… is outside [0.001, 1]; using `step_size=0.02` instead."). A note stays until that control is moved
or the page is reset.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

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


def note_text(key: str, raw: str, why: str | None, used: Any, default: Any) -> str:
    """The note for a URL value that is not the one in use."""
    tail = " (the default)" if used == default else ""
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    return f"URL value `{key}={shown}` {why or 'could not be read'}; using `{key}={fmt(used)}`{tail} instead."


# ------------------------------------------------------------------------------------------ session state


def _page_notes() -> dict[str, dict[str, tuple[str, Any, str]]]:
    """page id -> {URL key: (note, the value in use when the note was made, the raw URL value)}."""
    return st.session_state.setdefault("_url_notes", {})


def _registry() -> dict[str, dict[str, Any]]:
    """page id -> {URL key: default}: what "reset to defaults" restores."""
    return st.session_state.setdefault("_controls", {})


def _url_values(key: str) -> list[str]:
    try:
        return [str(v) for v in st.query_params.get_all(key)]
    except Exception:  # noqa: BLE001 - a missing or unreadable param is simply absent
        return []


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
        note), and binds again as soon as the URL holds a readable value.
        """

        def draw(where: Any, values: list[str]) -> int:
            bind = "query-params" if all(readable_integer(v) for v in values) else None
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
        """Show URL notes on top of the page and the "reset to defaults" button at the bottom of the sidebar."""
        _registry()[self.id] = dict(self.defaults)
        notes = _page_notes().get(self.id, {})
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
