"""Warm interaction latency of scene 11 (diffusion) in the real browser: the t slider, π and the sampler choice.

``python -m devtools.diffusion_latency [N]`` prints the JSON of :func:`measure_diffusion_latency` (N interactions of
each kind, default 10). Same harness and clock as :func:`devtools.apphost.measure_latency`: from the input event
reaching the page to the first animation frame that shows the change in the chart that answers it (t: the forward
picture's title; π: the meter's true line; sampler: the meter's run legend), then until the whole page has settled.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from devtools.apphost import (
    JS_EXCEPTIONS,
    JS_TRUE_PI,
    JS_TRUE_PI_IS,
    AppServer,
    _r,
    _timed,
    launch_chromium,
    open_settled,
    percentile,
    wait_idle,
    wait_warm,
)

#: The forward picture's panel title ("p_t at t = 0.70"), or null.
JS_FORWARD_TITLE = """() => { for (const d of document.querySelectorAll('.js-plotly-plot')) {
    if (d.layout && d.layout.meta && d.layout.meta.kind === 'score-field' && d.layout.annotations
        && d.layout.annotations.length) return d.layout.annotations[0].text; } return null; }"""
JS_FORWARD_TITLE_IS = "s => { const f = " + JS_FORWARD_TITLE + "; return f() === s; }"
#: True once the meter has a run named arg.
JS_METER_HAS_RUN = """name => { for (const d of document.querySelectorAll('.js-plotly-plot')) {
    if (d.layout && d.layout.meta && d.layout.meta.kind === 'mode-fractions')
        return d.data.some(t => t.meta && t.meta.run === name); } return false; }"""

SAMPLER_TITLES = {"reverse-sde": "reverse SDE", "pc": "predictor–corrector"}
#: The meter's run names, in the page (null before it is drawn).
JS_METER_RUNS = """() => { for (const d of document.querySelectorAll('.js-plotly-plot')) {
    if (d.layout && d.layout.meta && d.layout.meta.kind === 'mode-fractions')
        return [...new Set(d.data.filter(t => t.meta && t.meta.run).map(t => t.meta.run))]; } return null; }"""


def _slider(pg, label: str):
    return pg.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")


def _move_t(pg) -> tuple[float, float, float]:
    """→ (or ← at the top) on the t slider: one step (0.05); until the forward picture shows the new t."""
    from scoredemo.app.scenes.diffusion import FORWARD_STEP, T_LABEL  # noqa: PLC0415 - the scene's own step

    now = float(pg.evaluate(JS_FORWARD_TITLE).split("=")[-1])
    up = now < 1.0 - FORWARD_STEP / 2
    key, target = ("ArrowRight", now + FORWARD_STEP) if up else ("ArrowLeft", now - FORWARD_STEP)
    thumb = _slider(pg, T_LABEL)
    thumb.focus()
    return _timed(pg, lambda: thumb.press(key), JS_FORWARD_TITLE_IS, f"p_t at t = {target:.2f}")


def _move_pi(pg) -> tuple[float, float, float]:
    """→ on the π slider (one step, ← near the top); until the meter's true line shows it."""
    from scoredemo.app.scenes.diffusion import PI_LABEL, PI_STEP  # noqa: PLC0415 - the scene's own step

    now = pg.evaluate(JS_TRUE_PI)
    up = now < 0.9
    key, target = ("ArrowRight", round(now + PI_STEP, 2)) if up else ("ArrowLeft", round(now - PI_STEP, 2))
    thumb = _slider(pg, PI_LABEL)
    thumb.focus()
    return _timed(pg, lambda: thumb.press(key), JS_TRUE_PI_IS, target)


def _switch_sampler(pg) -> tuple[float, float, float]:
    """Click the other stochastic sampler's radio button; until the meter names it."""
    group = pg.locator('[data-testid="stRadio"]').filter(has_text="stochastic sampler")
    other = "pc" if SAMPLER_TITLES["reverse-sde"] in (pg.evaluate(JS_METER_RUNS) or []) else "reverse-sde"
    option = group.get_by_text(other, exact=True)
    option.wait_for(timeout=60_000)
    return _timed(pg, option.click, JS_METER_HAS_RUN, SAMPLER_TITLES[other])


def measure_diffusion_latency(n_interactions: int = 10, *, server: AppServer | None = None) -> dict[str, Any]:
    """Warm t moves, π moves and sampler switches on scene 11 (``n_interactions`` of each), the XLA compilations
    they triggered (goal 0) and the time to the scene's first chart once the server's warm-up is done.

    The server is started without training the other scenes' default models (``SCOREDEMO_WARM_MODELS=0``): this
    scene's default view needs none, and on two cores the training would only delay the measurement.
    """
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    own = server is None
    srv = server or AppServer(env={"SCOREDEMO_WARM_MODELS": "0"}).start()
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                pg = browser.new_page(viewport={"width": 1600, "height": 1800})
                pg.goto(srv.url)  # scene 1 starts the warm-up (which compiles this scene's programs last)
                wait_idle(pg, timeout=300.0)
                # until the warm-up is over (one compile of the diffrax programs can take longer than any quiet
                # period of the compile log on a busy machine)
                wait_warm(pg, srv)
                t0 = time.perf_counter()
                first_chart = open_settled(pg, f"{srv.url}/diffusion", timeout=300.0)
                opened = time.perf_counter() - t0
                # one untimed round of each (its π value is then new to the caches, as every timed one is)
                _move_t(pg), _move_pi(pg), _switch_sampler(pg)
                srv.wait_compiles_quiet(quiet=1.0)
                before = len(srv.compiles())
                if srv.compile_log is not None and before == 0:
                    raise RuntimeError("the server logged no compilation at all: the compile counter is not working")
                times: dict[str, list[tuple[float, float, float]]] = {"t": [], "pi": [], "sampler": []}
                for _ in range(n_interactions):
                    times["t"].append(_move_t(pg))
                    times["pi"].append(_move_pi(pg))
                    times["sampler"].append(_switch_sampler(pg))
                compiles = srv.compiles()[before:]
                errors = pg.evaluate(JS_EXCEPTIONS)
            finally:
                browser.close()
        out: dict[str, Any] = {}
        for name, rows in times.items():
            chart, page = [r[0] for r in rows], [r[1] for r in rows]
            out[f"{name}_s"] = {"median": _r(percentile(chart, 50)), "p95": _r(percentile(chart, 95))}
            out[f"{name}_page_settled_s"] = {"median": _r(percentile(page, 50)), "p95": _r(percentile(page, 95))}
        every = [r[0] for rows in times.values() for r in rows]
        return {
            "interactions": list(times),
            **out,
            "warm_median_s": _r(percentile(every, 50)),
            "warm_p95_s": _r(percentile(every, 95)),
            "n_interactions": len(every),
            "first_chart_after_warm_up_s": _r(first_chart),
            "page_opened_after_warm_up_s": _r(opened),
            "compilations_during_interactions": len(compiles),
            "compilations_before_interactions": before,
            "compiled": [" ".join(c.split("\t")[2:4]) for c in compiles],  # program and thread
            "page_errors": errors,
            "server_peak_rss_mb": _r(srv.peak_rss_mb()),
        }
    finally:
        if own:
            srv.close()


if __name__ == "__main__":
    print(json.dumps(measure_diffusion_latency(int(sys.argv[1]) if len(sys.argv) > 1 else 10), indent=2))
