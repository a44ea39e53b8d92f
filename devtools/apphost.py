"""Serve the app on a local port and drive it with a real browser: shared by the browser tests, the classroom
load test and the benchmark's app-latency workload.

``AppServer`` runs ``streamlit run app.py`` (headless, localhost, no file watcher) as a child process, waits for
its health endpoint, reports its peak memory (``VmHWM``) and counts the XLA compilations it logs (the app
appends one line per compilation to ``$SCOREDEMO_COMPILE_LOG``), and stops it by its PID. The browser is
Debian's chromium driven by Playwright (which cannot download its own browser here).

What neither Streamlit nor plotly.js documents (the script-state attribute, stale markers, plotly.js's private
``_fullData``/``_transitionData`` and DOM classes, Streamlit's websocket protocol) is read only by the helpers in
the section "private internals" below, each marked with the Streamlit version it was written against: when an
upgrade breaks a browser or load test, look there first. (The ``data-testid`` selectors are Streamlit's own
test ids, which its end-to-end tests rely on; the ``/_stcore/health`` endpoint is the one its Docker guide uses.)
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_missing() -> str | None:
    """Why a real-browser run cannot happen here (None if it can)."""
    try:
        import playwright.sync_api  # noqa: F401, PLC0415
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-test.txt)"
    if not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM} (make browser installs Debian's chromium)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """``streamlit run app.py`` on a free localhost port, as a context manager.

    ``compile_log``: count the server's XLA compilations (see :meth:`compiles`). ``env``: extra variables.
    ``script``: the Streamlit script to run, relative to the checkout (the page-weight bench's baseline page).
    """

    def __init__(
        self,
        *,
        compile_log: bool = True,
        env: dict[str, str] | None = None,
        start_timeout: float = 90.0,
        script: str = "app.py",
    ):
        self.script = script
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start_timeout = start_timeout
        self._tmp = tempfile.TemporaryDirectory(prefix="scoredemo-server-")
        self.compile_log = Path(self._tmp.name) / "compiles.tsv" if compile_log else None
        self.log = Path(self._tmp.name) / "server.log"
        self.env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **(env or {})}
        if self.compile_log is not None:
            self.env["SCOREDEMO_COMPILE_LOG"] = str(self.compile_log)
        self.proc: subprocess.Popen | None = None

    def start(self) -> AppServer:
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            self.script,
            "--server.headless",
            "true",
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.fileWatcherType",
            "none",
        ]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + self.start_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not answer within {self.start_timeout:.0f} s: {self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _status(self, field: str) -> float | None:
        """A memory field of /proc/PID/status in MB (VmHWM: peak resident set; VmRSS: now)."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
        except OSError:
            return None
        return None

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the server has used so far (all its threads), from /proc/PID/stat."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def peak_rss_mb(self) -> float | None:
        return self._status("VmHWM")

    def rss_mb(self) -> float | None:
        return self._status("VmRSS")

    def compiles(self) -> list[str]:
        """One line per XLA compilation so far: "unix time, seconds, function, thread"."""
        if self.compile_log is None or not self.compile_log.exists():
            return []
        return self.compile_log.read_text(encoding="utf-8").splitlines()

    def wait_compiles_quiet(self, quiet: float = 3.0, timeout: float = 120.0) -> int:
        """Until no compilation has been logged for ``quiet`` seconds (the background warm-up is done)."""
        deadline = time.time() + timeout
        last, since = -1, time.time()
        while time.time() < deadline:
            n = len(self.compiles())
            if n != last:
                last, since = n, time.time()
            elif time.time() - since >= quiet:
                return n
            time.sleep(0.25)
        return last

    def log_tail(self, n: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def errors_in_log(self) -> list[str]:
        """Tracebacks and errors the server printed (script exceptions are shown in the page, not here)."""
        text = self.log_tail(10**7)
        return [ln for ln in text.splitlines() if "Traceback" in ln or " ERROR " in ln or "Exception" in ln]

    def stop(self) -> None:
        """Stop the server by its PID (SIGTERM, then SIGKILL after 10 s)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def close(self) -> None:
        self.stop()
        self._tmp.cleanup()

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ----------------------------------------------------------------------------------- private internals
# Every read of something Streamlit or plotly.js does not document as public lives in one helper here.
# Written against Streamlit 1.67.0 and the plotly.js its frontend bundles; re-check them when upgrading.


def js_script_not_running() -> str:
    """JS expression: true when the session runs no script.

    Streamlit 1.67.0: the app root ``[data-testid="stApp"]`` carries ``data-test-script-state`` ("running" /
    "notRunning"), set by the frontend for Streamlit's own end-to-end tests; there is no public signal."""
    return (
        "(() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
        " return !!a && a.getAttribute('data-test-script-state') === 'notRunning'; })()"
    )


def js_no_stale_element() -> str:
    """JS expression: true when no element still shows the previous run.

    Streamlit 1.67.0: elements not yet redrawn by the current run are marked ``data-stale="true"``."""
    return "(document.querySelector('[data-stale=\"true\"]') === null)"


def js_sent_frames(graph_div: str) -> str:
    """JS expression: the animation frames of a Plotly graph div as the server sent them (typed arrays still
    encoded), or undefined.

    plotly.js as bundled by Streamlit 1.67.0 keeps them in the private ``gd._transitionData._frames``; the public
    ``Plotly.addFrames`` has no getter."""
    return f"({graph_div}._transitionData && {graph_div}._transitionData._frames)"


def drawn_traces(chart: Any) -> list[dict[str, Any]]:
    """(Playwright element handle of a Plotly graph div) The traces as plotly.js drew them: ``type``, ``length``
    (points drawn, after typed arrays are decoded), ``role`` (``meta.role``) and ``y0`` (first y value).

    plotly.js as bundled by Streamlit 1.67.0: the drawn, decoded traces are the private ``gd._fullData``, their
    point count the private ``_length`` (``gd.data`` holds the figure as sent, typed arrays still encoded)."""
    return chart.evaluate(
        """d => d._fullData.map(t => ({type: t.type, length: t._length, role: t.meta ? t.meta.role : null,
                                       y0: t.y && t.y.length ? Number(t.y[0]) : null}))"""
    )


def animation_label(chart: Any) -> str:
    """(element handle of a Plotly graph div) The text of its animation slider's current-frame label ('' if none).

    plotly.js as bundled by Streamlit 1.67.0 draws it as ``.slider-group text.slider-label`` (undocumented DOM)."""
    return chart.evaluate(
        "d => { const t = d.querySelector('.slider-group text.slider-label'); return t ? t.textContent : ''; }"
    )


def play_button(pg: Any) -> Any:
    """(sync or async Playwright page) The locator of the first animation's Play button.

    plotly.js as bundled by Streamlit 1.67.0 draws update-menu buttons as ``.updatemenu-button`` (undocumented)."""
    return pg.locator(".js-plotly-plot .updatemenu-button", has_text="Play").first


def stream_url(url: str) -> str:
    """The websocket a Streamlit 1.67.0 session speaks on (``/_stcore/stream``, subprotocol ``streamlit``)."""
    return url.replace("http://", "ws://") + "/_stcore/stream"


def rerun_request(page: str, query: str, widget_states: list[Any]) -> bytes:
    """What the browser sends to rerun ``page`` with ``query`` and the changed widgets' states.

    Streamlit 1.67.0's private wire protocol: a ``BackMsg`` protobuf (``streamlit.proto``, not a public API)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: PLC0415

    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    for w in widget_states:
        msg.rerun_script.widget_states.widgets.append(w)
    return msg.SerializeToString()


def forward_message(payload: bytes) -> Any | None:
    """A message the server sent to the browser, parsed; None if ``payload`` is not one.

    Streamlit 1.67.0's private wire protocol: a ``ForwardMsg`` protobuf (``streamlit.proto``, not a public API)."""
    from google.protobuf.message import DecodeError  # noqa: PLC0415
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: PLC0415

    msg = ForwardMsg()
    try:
        msg.ParseFromString(bytes(payload))
    except DecodeError:
        return None
    return msg


def is_script_finished(payload: Any) -> bool:
    """Whether a websocket frame from the server is Streamlit's "script finished" message (see
    :func:`forward_message`)."""
    if not isinstance(payload, bytes | bytearray):
        return False
    msg = forward_message(payload)
    return msg is not None and msg.WhichOneof("type") == "script_finished"


def bool_state(widget: Any, value: bool) -> Any:
    """A checkbox/toggle's new state for :func:`rerun_request` (Streamlit 1.67.0's private ``WidgetState``)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: PLC0415

    return WidgetState(id=widget.id, bool_value=value)


def slider_state(widget: Any, value: float) -> Any:
    """A slider's new state for :func:`rerun_request` (Streamlit 1.67.0's private ``WidgetState``)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: PLC0415

    w = WidgetState(id=widget.id)
    w.double_array_value.data.append(value)
    return w


# ----------------------------------------------------------------------------------- page helpers (JS)

#: The Plotly graph div whose figure has layout.meta.kind == arg (null if none yet).
JS_CHART = """kind => { for (const d of document.querySelectorAll('.js-plotly-plot')) {
    if (d.layout && d.layout.meta && d.layout.meta.kind === kind) return d; } return null; }"""

#: True once the animation's title differs from arg (the noise toggle flips Langevin <-> gradient ascent).
JS_ANIMATION_TITLE_NOT = """t => { for (const d of document.querySelectorAll('.js-plotly-plot')) {
    if (d.layout && d.layout.meta && d.layout.meta.kind === 'animation' && d.layout.title
        && d.layout.title.text !== t) return true; } return false; }"""

JS_ANIMATION_TITLE = """() => { for (const d of document.querySelectorAll('.js-plotly-plot')) {
    if (d.layout && d.layout.meta && d.layout.meta.kind === 'animation' && d.layout.title)
        return d.layout.title.text; } return null; }"""

#: The true weight π drawn in the mode-fraction meter (scene 6), or null.
JS_TRUE_PI = """() => { for (const d of document.querySelectorAll('.js-plotly-plot')) {
    if (d.layout && d.layout.meta && d.layout.meta.kind === 'mode-fractions') {
        const t = d.data.filter(t => t.meta && t.meta.role === 'true')[0];
        if (t) return Number(t.y[0]); } } return null; }"""

#: True once the meter's true π is within 1e-6 of arg.
JS_TRUE_PI_IS = "p => { const f = " + JS_TRUE_PI + "; const v = f(); return v !== null && Math.abs(v - p) < 1e-6; }"

#: Frame 0 of the animation (the particles' starting positions) as [[x...], [y...]], or null. Plotly keeps the
#: frames as sent: typed arrays ({dtype, bdata}: base64 little-endian) until they are played.
JS_FIRST_FRAME = """() => {
    const TYPES = {f4: Float32Array, f8: Float64Array, i4: Int32Array, i2: Int16Array, i1: Int8Array,
                   u4: Uint32Array, u2: Uint16Array, u1: Uint8Array};
    const arr = a => {
        if (a && a.bdata !== undefined) {
            const raw = atob(a.bdata), bytes = new Uint8Array(raw.length);
            for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
            return Array.from(new TYPES[a.dtype](bytes.buffer));
        }
        return Array.from(a);
    };
    for (const d of document.querySelectorAll('.js-plotly-plot')) {
        const isAnimation = d.layout && d.layout.meta && d.layout.meta.kind === 'animation';
        const frames = isAnimation && SENT_FRAMES;
        if (frames && frames.length) {
            const tr = frames[0].data[0];
            return [arr(tr.x), arr(tr.y)]; } } return null; }""".replace("SENT_FRAMES", js_sent_frames("d"))

#: The app is idle (no script running) and shows at least one chart.
JS_IDLE = (
    "() => "
    + js_script_not_running()
    + """ && document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot').length > 0"""
)

#: Records, in the page's own clock, when the user's last input (pointer down, pointer up or key down) reached the
#: page: the moment a person's wait starts (a click acts on release, a lasso ends with it: the drag before is the
#: gesture, not the wait). Install once per page load (``pg.evaluate(JS_MARK_INPUT)``).
JS_MARK_INPUT = """() => { if (window.__sdInputHooked) return; window.__sdInputHooked = true;
    const mark = () => { window.__sdInput = performance.now(); };
    for (const ev of ['pointerdown', 'pointerup', 'keydown']) window.addEventListener(ev, mark, true); }"""


def since_input(condition: str) -> str:
    """A page function: while ``condition(arg)`` is false, false; then milliseconds since the last input event.

    Polled every animation frame (``polling="raf"``), so the time is the first frame that shows the change."""
    return (
        f"arg => {{ if (!(({condition})(arg))) return false;"
        " return Math.max(performance.now() - window.__sdInput, 1e-3); }"
    )


#: The rerun is over and every element shows its new state (none is marked stale).
JS_SETTLED = "() => " + js_script_not_running() + " && " + js_no_stale_element()

JS_EXCEPTIONS = """() => Array.from(document.querySelectorAll('[data-testid="stException"]')).map(e => e.innerText)"""


def wait_idle(pg, timeout: float = 180.0, settle: float = 1.0) -> None:
    """(sync Playwright) Until the script is not running and the number of charts has been stable for ``settle``."""
    deadline = time.time() + timeout
    last, stable_since, idle = -1, time.time(), False
    while time.time() < deadline:
        idle = pg.evaluate("() => " + js_script_not_running())
        n = pg.locator('[data-testid="stPlotlyChart"]').count()
        if n != last:
            last, stable_since = n, time.time()
        if idle and n > 0 and time.time() - stable_since >= settle:
            return
        time.sleep(0.2)
    raise AssertionError(f"the page did not settle within {timeout} s (script idle: {idle}, {last} charts)")


def wait_warm(pg, srv: AppServer, *, quiet: float = 3.0, timeout: float = 1200.0) -> None:
    """(sync Playwright, on any scene of ``srv``) Until the sidebar says the warm-up is over
    (``warmup.READY``) and then no compilation has been logged for ``quiet`` s. A quiet compile log alone is not
    enough: the warm-up's background trainings can go longer than any quiet period without compiling, and their
    later compilations (and CPU) then land inside the timed interactions."""
    wait_ready(pg, timeout=timeout)
    srv.wait_compiles_quiet(quiet=quiet, timeout=timeout)


#: How often :func:`wait_ready` looks at the warm-up box and presses its "check again".
READY_POLL_S = 2.0


def _ready_parts() -> tuple[str, str]:
    """The sidebar's words once the warm-up is over, and the selector of the box's "check again" button."""
    from scoredemo.app.warmup import CHECK_KEY, READY  # noqa: PLC0415 - the app's modules only where needed

    return READY, f".st-key-{CHECK_KEY} button"


def wait_ready(pg, timeout: float = 1200.0) -> None:
    """(sync Playwright) Until the sidebar says ``warmup.READY``, pressing its "check again" button every
    READY_POLL_S (the box refreshes itself only in presenter mode)."""
    ready, check = _ready_parts()
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pg.get_by_text(ready).count():
            return
        if pg.locator(check).count():
            pg.locator(check).first.click()
        pg.wait_for_timeout(READY_POLL_S * 1000)
    raise AssertionError(f"the server did not say {ready!r} within {timeout:.0f} s")


async def wait_ready_async(pg, timeout: float = 1200.0) -> None:
    """:func:`wait_ready` for async Playwright."""
    ready, check = _ready_parts()
    deadline = time.time() + timeout
    while time.time() < deadline:
        if await pg.get_by_text(ready).count():
            return
        if await pg.locator(check).count():
            await pg.locator(check).first.click()
        await pg.wait_for_timeout(READY_POLL_S * 1000)
    raise AssertionError(f"the server did not say {ready!r} within {timeout:.0f} s")


#: A Plotly chart that Streamlit has drawn (its graph div exists).
DRAWN_CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'


def open_settled(pg, url: str, timeout: float = 180.0) -> float:
    """(sync Playwright) Go to ``url``, wait for its first drawn chart and then for the page to settle
    (:func:`wait_idle`, same ``timeout``). Returns the seconds from the call to the first chart."""
    t0 = time.perf_counter()
    pg.goto(url)
    pg.wait_for_selector(DRAWN_CHART, timeout=timeout * 1000)
    first_chart = time.perf_counter() - t0
    wait_idle(pg, timeout=timeout)
    return first_chart


def open_options(pg, box, option_name: str) -> Any:
    """(sync Playwright) Open the select box ``box`` (a locator) until its option ``option_name`` is visible, and
    return that option (not clicked: a caller may time the click). A rerun that lands while the list is opening
    closes it again, so the list is opened anew, up to three times."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415 - browser runs only

    option = pg.get_by_role("option", name=option_name, exact=True)
    for attempt in range(3):
        box.click()
        try:
            option.wait_for(state="visible", timeout=10_000)
            return option
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    return option


def launch_chromium(playwright: Any, *, nice: int = 0) -> Any:
    """Debian's chromium through Playwright (sync or async ``playwright.chromium``).

    ``nice`` > 0 runs the browser (and every renderer it starts) at that lower CPU priority: when one machine plays
    both the server and a whole class of browsers, the server then gets the CPU first, as it would if each
    student's browser ran on the student's own laptop.
    """
    exe = CHROMIUM
    if nice > 0:
        wrapper = Path(tempfile.mkdtemp(prefix="scoredemo-chromium-")) / "chromium"
        wrapper.write_text(f'#!/bin/sh\nexec nice -n {int(nice)} "{CHROMIUM}" "$@"\n')
        wrapper.chmod(0o755)
        exe = str(wrapper)
    return playwright.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)


def machine_busy_seconds() -> float | None:
    """CPU seconds all cores have spent busy since boot (/proc/stat): with :meth:`AppServer.cpu_seconds`, how much
    of the machine the server used and how much the browsers did."""
    try:
        parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation; None for no values."""
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


# ----------------------------------------------------------------------------------- app latency


def measure_latency(n_interactions: int = 10, *, server: AppServer | None = None) -> dict[str, Any]:
    """Cold start → first chart of the default scene; warm noise toggles (scene 2) and π moves (scene 6) → chart
    updated, ``n_interactions`` of each; and the XLA compilations those interactions triggered (should be 0).

    Seconds are wall-clock in one real browser session on this machine, from the input event reaching the page
    (its own clock) to the first animation frame that shows the change; ``harness_*`` time the same interactions
    from the test's call instead (adding Playwright's ~40 ms of checks before it sends the input).
    """
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    own = server is None
    srv = server or AppServer().start()
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                pg = browser.new_page(viewport={"width": 1600, "height": 1800})
                cold = open_settled(pg, srv.url)
                # the warm-up compiles the scenes' programs and trains their models in the background; then one
                # untimed round trip each
                wait_warm(pg, srv)
                pg.goto(f"{srv.url}/follow-the-score")
                wait_idle(pg)
                _toggle_noise(pg)
                pg.goto(f"{srv.url}/mixing")
                wait_idle(pg)
                _move_pi(pg)
                srv.wait_compiles_quiet(quiet=1.0)
                before = len(srv.compiles())
                if srv.compile_log is not None and before == 0:
                    raise RuntimeError("the server logged no compilation at all: the compile counter is not working")

                pg.goto(f"{srv.url}/follow-the-score")
                wait_idle(pg)
                noise_both = [_toggle_noise(pg) for _ in range(n_interactions)]
                pg.goto(f"{srv.url}/mixing")
                wait_idle(pg)
                pi_both = [_move_pi(pg) for _ in range(n_interactions)]
                compiles = srv.compiles()[before:]
                errors = pg.evaluate(JS_EXCEPTIONS)
            finally:
                browser.close()
        noise, pi = [t[0] for t in noise_both], [t[0] for t in pi_both]
        both = noise + pi
        page = [t[1] for t in noise_both + pi_both]
        harness = [t[2] for t in noise_both + pi_both]
        return {
            "cold_first_chart_s": round(cold, 3),
            "noise_toggle_s": {"median": _r(percentile(noise, 50)), "p95": _r(percentile(noise, 95))},
            "pi_move_s": {"median": _r(percentile(pi, 50)), "p95": _r(percentile(pi, 95))},
            "warm_median_s": _r(percentile(both, 50)),
            "warm_p95_s": _r(percentile(both, 95)),
            "n_interactions": len(both),
            # until the whole page has settled (every chart of the scene redrawn, the rerun over)
            "page_settled_s": {"median": _r(percentile(page, 50)), "p95": _r(percentile(page, 95))},
            "noise_page_settled_p95_s": _r(percentile([t[1] for t in noise_both], 95)),
            "pi_page_settled_p95_s": _r(percentile([t[1] for t in pi_both], 95)),
            # the same interactions timed from the harness's call (adds Playwright's pre-input checks)
            "harness_median_s": _r(percentile(harness, 50)),
            "harness_p95_s": _r(percentile(harness, 95)),
            "compilations_during_interactions": len(compiles),
            "compilations_before_interactions": before,  # > 0: proves the counter works
            "compiled": [c.split("\t")[2] for c in compiles],
            "page_errors": errors,
            "server_peak_rss_mb": _r(srv.peak_rss_mb()),
        }
    finally:
        if own:
            srv.close()


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


#: Watches ``condition(arg)`` from now on, once per animation frame, and keeps the time of the first frame at which
#: it holds (``window.__sdHit``). Installed before the input: a watcher installed after it waits for the page's main
#: thread, which a browser-side answer (a Plotly frame drawn at once) keeps busy just then, so the time it reported
#: was the end of that work, not the first frame that showed the change.
JS_WATCH = """([cond, arg]) => { window.__sdHit = null; const f = (0, eval)('(' + cond + ')');
    const tick = () => { if (window.__sdHit !== null) return;
        let ok = false; try { ok = !!f(arg); } catch (e) { ok = false; }
        if (ok) { window.__sdHit = performance.now(); return; } requestAnimationFrame(tick); };
    requestAnimationFrame(tick); }"""


def _timed(pg, act, condition: str, arg: Any) -> tuple[float, float, float]:
    """Do ``act()``; wait until ``condition(arg)`` holds in the page, then until the whole page has settled.

    Returns seconds (chart: input event reaching the page → first frame showing the change, watched from before
    the input (:data:`JS_WATCH`); page: → first frame with the rerun over and no element stale; harness: the
    test's call → chart seen by the test, which adds Playwright's own work before the input, ~40 ms of
    actionability checks that are not part of a person's wait, and its wait for a free main thread after it)."""
    pg.evaluate(JS_MARK_INPUT)
    if pg.evaluate(f"() => !!(({condition})({json.dumps(arg)}))"):
        raise RuntimeError(f"the condition holds before the input: {condition}({arg!r})")
    pg.evaluate(JS_WATCH, [condition, arg])
    t0 = time.perf_counter()
    act()
    pg.wait_for_function("() => window.__sdHit !== null", timeout=120_000, polling="raf")
    harness = time.perf_counter() - t0
    chart = pg.evaluate("() => Math.max(window.__sdHit - window.__sdInput, 1e-3)")
    page = pg.wait_for_function(since_input(JS_SETTLED), arg=None, timeout=120_000, polling="raf").json_value()
    wait_idle(pg, settle=0.3)
    return chart / 1000.0, page / 1000.0, harness


def _toggle_noise(pg) -> tuple[float, float, float]:
    """Click scene 2's noise toggle; (chart, page, harness) seconds until the animation's title shows the other
    algorithm (see :func:`_timed`)."""
    title = pg.evaluate(JS_ANIMATION_TITLE)
    return _timed(pg, pg.get_by_text("noise (on: Langevin").click, JS_ANIMATION_TITLE_NOT, title)


def _move_pi(pg) -> tuple[float, float, float]:
    """Press → on scene 6's π slider (+0.01, back to the start at the top); (chart, page, harness) seconds until
    the meter shows it (see :func:`_timed`)."""
    now = pg.evaluate(JS_TRUE_PI)
    thumb = pg.locator('[data-testid="stSlider"]').filter(has_text="weight of the left mode").get_by_role("slider")
    key, target = ("ArrowRight", round(now + 0.01, 2)) if now < 0.9 else ("ArrowLeft", round(now - 0.01, 2))
    thumb.focus()
    return _timed(pg, lambda: thumb.press(key), JS_TRUE_PI_IS, target)


# ----------------------------------------------------------------------------------- protocol-level sessions


class ProtocolSession:
    """One Streamlit session driven over the app's own websocket protocol, without a browser (async).

    The protocol is Streamlit 1.67.0's private one: every message is built or parsed by the helpers in "private
    internals" (:func:`rerun_request`, :func:`forward_message`, :func:`bool_state`, :func:`slider_state`).

    It sends what the browser sends (``BackMsg.rerun_script`` with the URL's query string, the page and the
    changed widget's state) and reads what the browser reads (``ForwardMsg``: deltas, ``ref_hash`` references to
    messages it already has, ``script_finished``). A browser's rendering is not in it: this measures the server,
    as it is for a class whose browsers run on the students' own laptops.
    """

    def __init__(self, url: str, page: str, query: str = ""):
        self.ws_url = stream_url(url)
        self.page, self.query = page, query
        self.ws: Any = None
        self.elements: dict[tuple, Any] = {}  # delta path -> Element proto of the last run
        self._by_hash: dict[str, Any] = {}

    async def connect(self) -> ProtocolSession:
        import websockets  # noqa: PLC0415 - a dependency of Streamlit's server stack

        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=2**27)
        return self

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(self, widget_states: list[Any] | None = None) -> dict[str, Any]:
        """One rerun; returns {"seconds": send → script_finished, "status": the script_finished status}."""
        request = rerun_request(self.page, self.query, widget_states or [])
        t0 = time.perf_counter()
        await self.ws.send(request)
        self.elements = {}
        while True:
            fwd = forward_message(await self.ws.recv())
            if fwd is None:
                raise RuntimeError("the server sent a frame that is not a ForwardMsg")
            kind = fwd.WhichOneof("type")
            if kind == "ref_hash":  # the server sent this message before: the browser would take its cached copy
                ref = self._by_hash[fwd.ref_hash]
                ref.metadata.CopyFrom(fwd.metadata)
                fwd, kind = ref, "delta"
            elif fwd.hash:
                self._by_hash[fwd.hash] = fwd
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                self.elements[tuple(fwd.metadata.delta_path)] = fwd.delta.new_element
            elif kind == "script_finished":
                return {"seconds": time.perf_counter() - t0, "status": fwd.script_finished}

    def charts(self) -> dict[str, dict]:
        """The Plotly specs drawn by the last run, by ``layout.meta.kind``."""
        import json  # noqa: PLC0415

        out = {}
        for el in self.elements.values():
            if el.WhichOneof("type") == "plotly_chart":
                spec = json.loads(el.plotly_chart.spec)
                out[(spec.get("layout", {}).get("meta") or {}).get("kind", "?")] = spec
        return out

    def widget(self, kind: str, label_start: str) -> Any:
        """The last run's widget proto (``checkbox`` covers toggles, ``slider``…) whose label starts so."""
        for el in self.elements.values():
            if el.WhichOneof("type") == kind and getattr(el, kind).label.startswith(label_start):
                return getattr(el, kind)
        raise LookupError(f"no {kind} labelled {label_start!r} on page {self.page}")

    def errors(self) -> list[str]:
        return [el.exception.message for el in self.elements.values() if el.WhichOneof("type") == "exception"]
