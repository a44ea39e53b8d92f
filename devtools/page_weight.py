"""Page weight: how long a student's browser takes to show scene 1's first chart, against a minimal Streamlit page
with the same chart (``devtools/minimal_page.py``), and where the browser spends that time.

``python -m devtools.page_weight [N]`` (or the ``page_weight`` workload of ``make bench``) serves both pages with
:class:`devtools.apphost.AppServer` (two servers, one per script, started and warmed the same way), then opens
each N times, alternating, every time in a fresh browser context (no cache, no cookies, no session: a cold open as
a student's first click on the link). One open is timed in the page's own clock, from the navigation's start
(``performance.now()`` = 0) to the first animation frame in which the first Plotly chart has drawn its traces.

The breakdown comes from separate, untimed opens of each page (a profiler slows what it watches):

- ``cpu_ms``: the renderer's main-thread CPU until the first chart, from a sampling profile (Chrome DevTools
  protocol ``Profiler``), by script (Streamlit's bundle chunks: ``index`` is the app shell and React,
  ``PlotlyChart`` plotly.js, ``katex``/``rehype-katex`` the formula, ``StreamlitMarkdown`` the markdown) plus the
  engine's own buckets (``(program)``: style, layout, paint and parsing; ``(garbage collector)``);
- ``metrics``: the page's cumulative task, script, layout and style-recalc time (CDP ``Performance.getMetrics``);
- ``ws``: bytes the server sent over the websocket until then, split by the kind of element each message
  carried (Streamlit's ``ForwardMsg``, parsed with :func:`devtools.apphost.forward_message`), and their count;
- ``http_kb``: bytes fetched over HTTP (scripts, fonts, styles), from the page's resource timing;
- ``elements``: Streamlit elements on the page, DOM nodes, charts and formulas drawn.

The ratio scene 1 / minimal of the medians is the number the issue sets a goal for (≤ 1.3×).
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from typing import Any

from devtools import apphost

#: The issue's goal: scene 1's first chart within 1.3× the minimal page's.
RATIO_TARGET = 1.3
VIEWPORT = {"width": 1280, "height": 720}
#: Scene 1 is the default page: the app's address itself, as in the link a teacher hands out ("/score-fields" is
#: Streamlit's "page not found" dialog over scene 1).
SCENE_PATH = ""

#: A page function: false until the first Plotly chart on the page has drawn its traces, then milliseconds since
#: the navigation started. (plotly.js as bundled by Streamlit 1.67.0 draws each trace as a ``g.trace`` group,
#: undocumented DOM; ``_fullLayout`` is set once ``Plotly.newPlot`` has laid the chart out.)
JS_FIRST_CHART_MS = """() => {
    const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
    if (!gd || !gd._fullLayout) return false;
    if (!gd.querySelector('.main-svg g.trace')) return false;
    return performance.now(); }"""

JS_COUNTS = """() => ({
    elements: document.querySelectorAll('[data-testid="stElementContainer"]').length,
    dom_nodes: document.getElementsByTagName('*').length,
    charts: document.querySelectorAll('.js-plotly-plot').length,
    formulas: document.querySelectorAll('math, .katex-display, [data-testid="stMarkdownContainer"] .katex').length,
    widgets: document.querySelectorAll('[data-testid="stWidgetLabel"]').length,
    http_kb: Math.round(performance.getEntriesByType('resource')
        .reduce((s, e) => s + (e.transferSize || e.encodedBodySize || 0), 0) / 1024),
})"""


def _script_name(url: str) -> str:
    """``http://…/static/js/katex.B_JcIwqj.js`` → ``katex``; the engine's own buckets keep their names."""
    if not url:
        return "(native)"
    name = url.rsplit("/", 1)[-1].split("?")[0]
    parts = name.split(".")
    return parts[0] if len(parts) >= 3 else name


def cpu_by_script(profile: dict[str, Any]) -> dict[str, float]:
    """Self time (ms) per script of a CDP ``Profiler`` profile, largest first ((idle) left out)."""
    by_id = {n["id"]: n for n in profile["nodes"]}
    out: Counter[str] = Counter()
    for node_id, dt in zip(profile["samples"], profile["timeDeltas"], strict=True):
        cf = by_id[node_id]["callFrame"]
        fn = cf.get("functionName", "")
        key = fn if fn.startswith("(") else _script_name(cf.get("url", ""))
        out[key] += dt / 1000.0
    out.pop("(idle)", None)
    return {k: round(v, 1) for k, v in out.most_common()}


def _element_kind(payload: bytes) -> str:
    """What a websocket message carried: the element type of a new element, or the message type."""
    msg = apphost.forward_message(payload)
    if msg is None:
        return "unparsed"
    kind = msg.WhichOneof("type") or "?"
    if kind == "delta":
        d = msg.delta
        which = d.WhichOneof("type")
        if which == "new_element":
            return d.new_element.WhichOneof("type") or "element"
        return which or "delta"
    return kind


def open_page(browser: Any, url: str, *, profile: bool = False) -> dict[str, Any]:
    """One cold open of ``url`` in a fresh browser context: ``first_chart_ms`` (navigation → first chart drawn);
    with ``profile``, the breakdown described in the module docstring."""
    ctx = browser.new_context(viewport=VIEWPORT)
    try:
        pg = ctx.new_page()
        frames: list[bytes | str] = []
        pg.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(payload)))
        cdp = None
        if profile:
            cdp = ctx.new_cdp_session(pg)
            cdp.send("Performance.enable")
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 250})  # µs
            cdp.send("Profiler.start")
        pg.goto(url, wait_until="commit")
        first = pg.wait_for_function(JS_FIRST_CHART_MS, timeout=180_000, polling="raf").json_value()
        out: dict[str, Any] = {"first_chart_ms": round(first, 1)}
        if cdp is not None:
            prof = cdp.send("Profiler.stop")["profile"]
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            n_frames = len(frames)
            sizes: dict[str, int] = defaultdict(int)
            counts: Counter[str] = Counter()
            for f in frames[:n_frames]:
                raw = f if isinstance(f, bytes) else f.encode()
                kind = _element_kind(raw)
                sizes[kind] += len(raw)
                counts[kind] += 1
            pg.wait_for_function("() => " + apphost.js_script_not_running(), timeout=180_000)
            out.update(
                cpu_ms=cpu_by_script(prof),
                metrics={
                    k: round(metrics[k] * 1000.0, 1)
                    for k in ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")
                    if k in metrics
                },
                ws_kb_before_chart=round(sum(sizes.values()) / 1024, 1),
                ws_kb_by_kind={k: round(v / 1024, 1) for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])},
                ws_messages_by_kind=dict(counts.most_common()),
            )
            apphost.wait_idle(pg, settle=0.5)
            out.update(pg.evaluate(JS_COUNTS))
            out["ws_kb_total"] = round(sum(len(f) for f in frames) / 1024, 1)
        return out
    finally:
        ctx.close()


def measure(n_opens: int = 10, *, n_profiles: int = 2, log=lambda _: None) -> dict[str, Any]:
    """Serve the app and the minimal page, open each ``n_opens`` times cold (alternating), and profile
    ``n_profiles`` more opens of each; the medians, p95s, their ratio and the breakdowns."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    env = {"SCOREDEMO_WARM_MODELS": "0"}  # the warm-up trains no models here: its CPU would skew the opens
    with (
        apphost.AppServer(compile_log=True, env=env) as app,
        apphost.AppServer(compile_log=False, script="devtools/minimal_page.py") as minimal,
    ):
        urls = {"scene1": f"{app.url}/{SCENE_PATH}", "minimal": minimal.url}
        with sync_playwright() as p:
            browser = apphost.launch_chromium(p)
            try:
                for name, url in urls.items():  # warm: the servers' caches, compiled programs, Chromium itself
                    for _ in range(2):
                        open_page(browser, url)
                    log(f"page_weight: {name} warm")
                app.wait_compiles_quiet()  # the background warm-up done: its XLA compiles would take the CPU
                times: dict[str, list[float]] = {k: [] for k in urls}
                for i in range(n_opens):
                    order = list(urls) if i % 2 == 0 else list(reversed(urls))  # neither always goes first
                    for name in order:
                        times[name].append(open_page(browser, urls[name])["first_chart_ms"])
                profiles = {
                    name: [open_page(browser, url, profile=True) for _ in range(n_profiles)]
                    for name, url in urls.items()
                }
            finally:
                browser.close()
    summary = {
        name: {
            "median_ms": round(apphost.percentile(ts, 50), 1),
            "p95_ms": round(apphost.percentile(ts, 95), 1),
            "all_ms": ts,
        }
        for name, ts in times.items()
    }
    ratio = summary["scene1"]["median_ms"] / summary["minimal"]["median_ms"]
    return {
        "ratio": round(ratio, 3),
        "ratio_p95": round(summary["scene1"]["p95_ms"] / summary["minimal"]["p95_ms"], 3),
        "target": RATIO_TARGET,
        "met": ratio <= RATIO_TARGET,
        "n_opens": n_opens,
        "viewport": f"{VIEWPORT['width']}x{VIEWPORT['height']}",
        **summary,
        "breakdown": {name: _merge(ps) for name, ps in profiles.items()},
    }


def _merge(opens: list[dict[str, Any]]) -> dict[str, Any]:
    """The median over profiled opens of every number (nested dicts merged key by key)."""

    def med(values: list[Any]) -> Any:
        if all(isinstance(v, dict) for v in values):
            keys = {k for v in values for k in v}
            merged = {k: med([v.get(k, 0) for v in values]) for k in keys}
            return dict(sorted(merged.items(), key=lambda kv: -kv[1] if isinstance(kv[1], int | float) else 0))
        nums = [v for v in values if isinstance(v, int | float)]
        return round(apphost.percentile(nums, 50), 1) if nums else values[0]

    return {k: med([o[k] for o in opens]) for k in opens[0]}


def format_report(r: dict[str, Any]) -> str:
    lines = [
        f"first chart, cold open ({r['n_opens']} each, {r['viewport']}):"
        f" scene 1 median {r['scene1']['median_ms']:.0f} ms"
        f" (p95 {r['scene1']['p95_ms']:.0f}), minimal page {r['minimal']['median_ms']:.0f} ms"
        f" (p95 {r['minimal']['p95_ms']:.0f}): ratio {r['ratio']:.2f}x (p95 {r['ratio_p95']:.2f}x),"
        f" goal <= {r['target']}x: {'met' if r['met'] else 'NOT met'}"
    ]
    for name, b in r["breakdown"].items():
        cpu = ", ".join(f"{k} {v:.0f}" for k, v in list(b["cpu_ms"].items())[:8])
        lines.append(
            f"  {name}: first chart {b['first_chart_ms']:.0f} ms (profiled); CPU ms {cpu}; metrics {b['metrics']};"
            f" websocket {b['ws_kb_before_chart']} kB before the chart ({b['ws_kb_by_kind']}), {b['ws_kb_total']} kB"
            f" in all; http {b['http_kb']} kB; {b['elements']} elements, {b['widgets']} widgets,"
            f" {b['dom_nodes']} DOM nodes, {b['charts']} charts, {b['formulas']} formulas"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m devtools.page_weight [N] [--json]``."""
    import json  # noqa: PLC0415

    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    args = [a for a in args if a != "--json"]
    n = int(args[0]) if args else 10
    missing = apphost.browser_missing()
    if missing:
        print(f"page_weight: cannot run: {missing}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    r = measure(n, log=lambda s: print(s, file=sys.stderr))
    r["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(r, indent=1) if as_json else format_report(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
