"""Classroom load test (``make load``): one ``streamlit run app.py`` and SESSIONS real browser sessions at once.

One Debian chromium, one Playwright context (own cookies, own websocket, own Streamlit session) per student,
all driven concurrently by asyncio. The browser runs at a lower CPU priority (BROWSER_NICE): on this one box its
20 renderers stand in for 20 students' laptops and would otherwise take most of the 2 cores from the server
(load.json reports the server's CPU seconds next to the whole machine's). Every student, after a random think
time of THINK_S seconds between actions:

0. opens the shared link RAMP_S seconds after the previous student (the whole class within ~20 s);
1. opens the default scene (scene 1) — "served" once its chart is drawn;
2. opens scene 2 with their own seed (``?seed=100+i``) and checks that the animation starts from exactly the
   particles that seed draws (computed here with the engine), then toggles the noise TOGGLES times;
3. opens scene 6 with their own π (``?pi=0.30+0.01·i``), checks the meter shows that π, then moves the π slider
   PI_MOVES times with the arrow key, each time checking the meter shows their new π.

"Time to updated chart" is from the click / key press to the chart showing the new state; the same interactions
are also timed to the server's "script finished" message on the page's websocket (interactions_server_side).
On one box the browsers take ~94% of the CPU, so that test asserts correctness and reports its timings; the
p95 ≤ 2 s target is asserted by ``test_server_capacity``: the same students (30 of them) speaking Streamlit's
websocket protocol without browsers (``devtools.apphost.ProtocolSession``), i.e. the server as it is when each browser
runs on its student's laptop. It writes test-output/capacity.json.
Measured: sessions served, p50/p95 of page loads and of interactions, the server's peak RSS (VmHWM), XLA
compilations during the sessions (the warm-up runs first; interactions must compile nothing), exception elements
(must be none). Written to test-output/load.json. The sessions share the server's caches and compiled JAX
programs and run their scripts in concurrent threads: the per-session seed and π checks show they never see each
other's state.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from pathlib import Path

import jax
import numpy as np
import pytest

from devtools.apphost import (
    JS_ANIMATION_TITLE,
    JS_ANIMATION_TITLE_NOT,
    JS_CHART,
    JS_EXCEPTIONS,
    JS_FIRST_FRAME,
    JS_IDLE,
    JS_TRUE_PI,
    JS_TRUE_PI_IS,
    AppServer,
    ProtocolSession,
    bool_state,
    is_script_finished,
    launch_chromium,
    machine_busy_seconds,
    percentile,
    slider_state,
    wait_ready_async,
)
from scoredemo.densities import make_density
from scoredemo.figures import decode_arrays
from scoredemo.samplers import uniform_init
from tests.e2e.conftest import require_browser

pytestmark = [pytest.mark.load, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-output"
SESSIONS = int(os.environ.get("LOAD_SESSIONS", "20"))
TOGGLES = int(os.environ.get("LOAD_TOGGLES", "3"))
PI_MOVES = int(os.environ.get("LOAD_PI_MOVES", "3"))
THINK_S = (2.0, 6.0)  # a student's pause between two actions (uniform), seconds
RAMP_S = float(os.environ.get("LOAD_RAMP", "1.0"))  # student i opens the shared link at i × RAMP_S seconds
#: The browsers run at this lower CPU priority: on one 2-core box the 20 chromium renderers would otherwise take
#: most of the CPU that, in a classroom, each student's own laptop provides (see server_cpu_s in load.json).
BROWSER_NICE = int(os.environ.get("LOAD_BROWSER_NICE", "10"))
P95_TARGET_S = float(os.environ.get("LOAD_P95_TARGET", "2.0"))
RSS_LIMIT_MB = 4000.0  # a bound, not a target: caches are capped (max_entries, TTL), so RSS must not run away
TIMEOUT_MS = 180_000
LOAD_START: list[float] = []
# Last runs (2026-11-25, this 2-core box, final code of the second session). Browsers (test_classroom_load),
#   20 sessions, click → chart updated: p50 2.8 s, p95 7.4 s (first session: p50 10.5 s, p95 22.4 s); all served and
#   correct, 0 compilations, peak RSS 682 MB; the server used 14 of the 300 CPU-seconds spent (0.08 CPU-s per
#   request, was 0.48): the 20 chromium renderers took the rest, so that p95 is the browsers' wait for a CPU.
# Protocol sessions (test_server_capacity), 30 students: p50 0.07 s, p95 0.14 s, page open p95 0.14 s,
#   0 compilations, 240 isolation checks pass, peak RSS 715 MB, 0.06 CPU-s per request.


def expected_start(seed: int, n: int = 1000) -> np.ndarray:
    """Scene 2's starting particles for ``seed``: as the app draws them (uniform on eight-gaussians' box)."""
    box = make_density("eight-gaussians").box
    init_key, _ = jax.random.split(jax.random.key(seed))
    return np.round(np.asarray(uniform_init(init_key, n, box), np.float32), 3)


def watch_script_finished(pg) -> list[float]:
    """Times at which the page's websocket received Streamlit's "script finished" message."""
    times: list[float] = []

    def on_frame(payload) -> None:
        if is_script_finished(payload):
            times.append(time.perf_counter())

    pg.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    return times


async def wait_idle(pg, settle: float = 0.5) -> None:
    """Until no script runs and charts are drawn, twice ``settle`` seconds apart."""
    for _ in range(2):
        await pg.wait_for_function(JS_IDLE, timeout=TIMEOUT_MS, polling=50)
        await asyncio.sleep(settle)


async def open_page(pg, url: str, kind: str) -> float:
    t0 = time.perf_counter()
    await pg.goto(url, timeout=TIMEOUT_MS)
    await pg.wait_for_function(JS_CHART, arg=kind, timeout=TIMEOUT_MS, polling=50)
    dt = time.perf_counter() - t0
    await wait_idle(pg)
    return dt


async def student(i: int, browser, base: str, log: dict) -> None:
    rng = random.Random(i)
    me = {"session": i, "loads": [], "noise": [], "pi": [], "server": [], "errors": [], "checks": [], "served": False}
    log["sessions"].append(me)
    ctx = await browser.new_context(viewport={"width": 1500, "height": 1600})
    pg = await ctx.new_page()
    finished = watch_script_finished(pg)

    def server_time(t0: float) -> None:
        """Click → the server's "script finished" message for that rerun (no browser rendering in it)."""
        after = [t for t in finished if t > t0]
        if after:
            me["server"].append(after[0] - t0)

    async def think() -> None:
        await asyncio.sleep(rng.uniform(*THINK_S))

    async def errors(where: str) -> None:
        found = await pg.evaluate(JS_EXCEPTIONS)
        me["errors"] += [f"{where}: {e[:300]}" for e in found]

    try:
        await asyncio.sleep(RAMP_S * i)  # students open the shared link one after another
        me["loads"].append(await open_page(pg, f"{base}/", "score-field"))
        me["served"] = True
        await errors("scene 1")

        await think()
        seed = 100 + i
        me["loads"].append(await open_page(pg, f"{base}/follow-the-score?seed={seed}", "animation"))
        start = np.asarray(await pg.evaluate(JS_FIRST_FRAME), np.float64).T
        want = expected_start(seed)
        same = start.shape == want.shape and bool(np.allclose(start, want, atol=2e-3))
        me["checks"].append({"what": f"scene 2 starts from seed {seed}'s particles", "ok": same})
        for _ in range(TOGGLES):
            await think()
            title = await pg.evaluate(JS_ANIMATION_TITLE)
            t0 = time.perf_counter()
            await pg.get_by_text("noise (on: Langevin").click()
            await pg.wait_for_function(JS_ANIMATION_TITLE_NOT, arg=title, timeout=TIMEOUT_MS, polling=25)
            me["noise"].append(time.perf_counter() - t0)
            await wait_idle(pg, 0.2)
            server_time(t0)
        await errors("scene 2")

        await think()
        pi = round(0.30 + 0.01 * i, 2)
        me["loads"].append(await open_page(pg, f"{base}/mixing?pi={pi}&seed={i}", "mode-fractions"))
        shown = await pg.evaluate(JS_TRUE_PI)
        me["checks"].append({"what": f"scene 6 shows π = {pi}", "ok": shown is not None and abs(shown - pi) < 1e-6})
        thumb = pg.locator('[data-testid="stSlider"]').filter(has_text="weight of the left mode").get_by_role("slider")
        for _ in range(PI_MOVES):
            await think()
            pi = round(pi + 0.01, 2)
            await thumb.focus()
            t0 = time.perf_counter()
            await thumb.press("ArrowRight")
            await pg.wait_for_function(JS_TRUE_PI_IS, arg=pi, timeout=TIMEOUT_MS, polling=25)
            me["pi"].append(time.perf_counter() - t0)
            await wait_idle(pg, 0.2)
            server_time(t0)
        shown = await pg.evaluate(JS_TRUE_PI)
        me["checks"].append({"what": f"scene 6 ends at its own π = {pi}", "ok": abs(shown - pi) < 1e-6})
        me["checks"].append({"what": "URL holds its own π", "ok": f"pi={pi}" in pg.url})
        await errors("scene 6")
    except Exception as err:  # noqa: BLE001 - recorded, asserted on below
        me["errors"].append(f"{type(err).__name__}: {str(err)[:500]}")
    finally:
        await ctx.close()


async def classroom(srv: AppServer) -> dict:
    from playwright.async_api import async_playwright

    log: dict = {"sessions": []}
    async with async_playwright() as p:
        browser = await launch_chromium(p, nice=BROWSER_NICE)
        try:
            # the teacher opens the app first (cold start), then scenes 2 and 6; the warm-up thread compiles
            ctx = await browser.new_context()
            pg = await ctx.new_page()
            log["cold_first_chart_s"] = round(await open_page(pg, srv.url, "score-field"), 3)
            # until the warm-up is over: its background trainings compile (and take the CPU) after quiet periods
            await wait_ready_async(pg)
            srv.wait_compiles_quiet()
            await open_page(pg, f"{srv.url}/follow-the-score", "animation")
            await open_page(pg, f"{srv.url}/mixing", "mode-fractions")
            await ctx.close()
            srv.wait_compiles_quiet(quiet=1.0)
            before = len(srv.compiles())
            assert before > 0, "the server logged no compilation at all: the compile counter is not working"
            rss_before = srv.rss_mb()
            cpu0, busy0 = srv.cpu_seconds(), machine_busy_seconds()
            t0 = time.perf_counter()
            await asyncio.gather(*(student(i, browser, srv.url, log) for i in range(SESSIONS)))
            log["wall_s"] = round(time.perf_counter() - t0, 1)
            log["server_cpu_s"] = round(srv.cpu_seconds() - cpu0, 1)
            log["machine_busy_cpu_s"] = round(machine_busy_seconds() - busy0, 1)
            log["compiles_during_sessions"] = srv.compiles()[before:]
            log["rss_before_sessions_mb"] = rss_before
        finally:
            await browser.close()
    return log


def test_classroom_load():
    require_browser()
    global LOAD_START
    LOAD_START = [round(x, 2) for x in os.getloadavg()]  # other jobs on the machine skew every figure here
    with AppServer() as srv:
        log = asyncio.run(classroom(srv))
        peak = srv.peak_rss_mb()
        rss_end = srv.rss_mb()
        server_errors = srv.errors_in_log()

    sessions = log["sessions"]
    loads = [t for s in sessions for t in s["loads"]]

    report = {
        "sessions": SESSIONS,
        "think_time_s": list(THINK_S),
        "ramp_s": RAMP_S,
        "browser_nice": BROWSER_NICE,
        "page_load_first_chart": stats(loads),
        # the same interactions, click → the server's "script finished" message (the browser's rendering excluded)
        "interactions_server_side": stats([t for s in sessions for t in s["server"]]),
        "cold_first_chart_s": log["cold_first_chart_s"],
        "server_rss_before_sessions_mb": _r(log["rss_before_sessions_mb"]),
        "server_rss_end_mb": _r(rss_end),
        **common_report(sessions, log, log["compiles_during_sessions"], peak, server_errors),
        "cpu_count": os.cpu_count(),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "load.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print("\nload:", json.dumps({k: v for k, v in report.items() if k not in ("compiled",)}, ensure_ascii=False))

    assert report["served"] == SESSIONS, report
    assert not report["errors"], report["errors"]
    assert not report["isolation_failures"], report["isolation_failures"]
    assert report["completed"] == SESSIONS, report
    assert report["compiles_during_sessions"] == 0, report["compiled"]
    assert peak is not None and peak < RSS_LIMIT_MB, peak
    # The p95 ≤ 2 s target is asserted on the server by test_server_capacity. Here the same box also plays all
    # the students' laptops: the browsers take ~94% of its 2 cores (see server_cpu_s vs machine_busy_cpu_s), so
    # this p95 measures 20 chromium renderers sharing 2 cores more than the app; it is reported, not asserted.


def common_report(sessions: list[dict], log: dict, compiles: list[str], peak, server_errors: list[str]) -> dict:
    """The report fields both load tests share: interaction statistics, where the CPU went, memory, compilations,
    isolation checks and errors."""
    interactions = [t for s in sessions for t in s["noise"] + s["pi"]]
    n_requests = sum(len(s["loads"]) for s in sessions) + len(interactions)
    return {
        "served": sum(s["served"] for s in sessions),
        "completed": sum(not s["errors"] and len(s["pi"]) == PI_MOVES for s in sessions),
        "interactions": stats(interactions),
        "noise_toggle": stats([t for s in sessions for t in s["noise"]]),
        "pi_move": stats([t for s in sessions for t in s["pi"]]),
        "wall_s": log["wall_s"],
        # where the 2 cores went: the server vs everything else (browsers, this test)
        "server_cpu_s": log["server_cpu_s"],
        "machine_busy_cpu_s": log["machine_busy_cpu_s"],
        "server_cpu_per_request_s": _r(log["server_cpu_s"] / max(n_requests, 1)),
        # everything else on the machine per request: with browsers on this box, their rendering (~20× the server's)
        "others_cpu_per_request_s": _r((log["machine_busy_cpu_s"] - log["server_cpu_s"]) / max(n_requests, 1)),
        "server_peak_rss_mb": _r(peak),
        "compiles_during_sessions": len(compiles),
        "compiled": [c.split("\t")[2] for c in compiles],
        "isolation_checks": sum(len(s["checks"]) for s in sessions),
        "isolation_failures": [(s["session"], c["what"]) for s in sessions for c in s["checks"] if not c["ok"]],
        "errors": [(s["session"], e) for s in sessions for e in s["errors"]],
        "server_log_errors": server_errors[:20],
        "load_average_start_end": [LOAD_START, [round(x, 2) for x in os.getloadavg()]],
        "p95_target_s": P95_TARGET_S,
    }


def stats(xs: list[float]) -> dict:
    return {
        "n": len(xs),
        "p50_s": _r(percentile(xs, 50)),
        "p95_s": _r(percentile(xs, 95)),
        "max_s": _r(max(xs) if xs else None),
    }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


# ----------------------------------------------------------------------------------- server capacity, no browsers
#: Students for the protocol-level run: the classroom of the issue ("thirty students open the same link at once").
CAPACITY_SESSIONS = int(os.environ.get("CAPACITY_SESSIONS", "30"))


async def protocol_student(i: int, base: str, log: dict) -> None:
    """The browser test's student, speaking Streamlit's websocket protocol directly (no rendering): the same
    pages, seeds, π values, interactions and isolation checks, each timed request → "script finished"."""
    rng = random.Random(i)
    me = {"session": i, "loads": [], "noise": [], "pi": [], "errors": [], "checks": [], "served": False}
    log["sessions"].append(me)
    sessions: list[ProtocolSession] = []

    async def think() -> None:
        await asyncio.sleep(rng.uniform(*THINK_S))

    async def page(path: str, query: str = "") -> ProtocolSession:
        s = await ProtocolSession(base, path, query).connect()
        sessions.append(s)
        r = await s.run()
        me["loads"].append(r["seconds"])
        me["errors"] += [f"{path}: {e[:300]}" for e in s.errors()]
        return s

    try:
        await asyncio.sleep(RAMP_S * i)
        s1 = await page("")
        me["served"] = "score-field" in s1.charts()

        await think()
        seed = 100 + i
        s2 = await page("follow-the-score", f"seed={seed}")
        frame0 = s2.charts()["animation"]["frames"][0]["data"][0]
        start = np.stack([decode_arrays(frame0["x"]), decode_arrays(frame0["y"])], -1)
        want = expected_start(seed)
        same = start.shape == want.shape and bool(np.allclose(start, want, atol=2e-3))
        me["checks"].append({"what": f"scene 2 starts from seed {seed}'s particles", "ok": same})
        toggle = s2.widget("checkbox", "noise")
        noise = True
        for _ in range(TOGGLES):
            await think()
            noise = not noise
            r = await s2.run([bool_state(toggle, noise)])
            me["noise"].append(r["seconds"])
            title = s2.charts()["animation"]["layout"]["title"]["text"]
            want_title = "Langevin" if noise else "gradient ascent"
            me["checks"].append({"what": f"noise {noise} draws {want_title}", "ok": title.startswith(want_title)})

        await think()
        pi = round(0.30 + 0.01 * i, 2)
        s6 = await page("mixing", f"pi={pi}&seed={i}")
        slider = s6.widget("slider", "π (weight")
        for _ in range(PI_MOVES + 1):
            meter = s6.charts()["mode-fractions"]["data"]
            true = [
                float(np.asarray(decode_arrays(t["y"]))[0])
                for t in meter
                if (t.get("meta") or {}).get("role") == "true"
            ]
            me["checks"].append({"what": f"scene 6 shows π = {pi}", "ok": bool(true) and abs(true[0] - pi) < 1e-6})
            if len(me["pi"]) == PI_MOVES:
                break
            await think()
            pi = round(pi + 0.01, 2)
            r = await s6.run([slider_state(slider, pi)])
            me["pi"].append(r["seconds"])
            me["errors"] += [f"mixing: {e[:300]}" for e in s6.errors()]
    except Exception as err:  # noqa: BLE001 - recorded, asserted on below
        me["errors"].append(f"{type(err).__name__}: {str(err)[:500]}")
    finally:
        for s in sessions:
            await s.close()


def test_server_capacity():
    """CAPACITY_SESSIONS students at once against one server, over the websocket protocol: the server's own
    latency and memory for a class whose browsers run on the students' laptops. Target: p95 ≤ 2 s."""
    global LOAD_START
    LOAD_START = [round(x, 2) for x in os.getloadavg()]
    log: dict = {"sessions": []}
    with AppServer() as srv:

        async def run_all() -> None:
            # as in the browser test: the teacher opens scene 1 (cold), then 2 and 6, while the warm-up compiles
            teacher = await ProtocolSession(srv.url, "").connect()
            log["cold_first_page_s"] = round((await teacher.run())["seconds"], 3)
            await teacher.close()
            srv.wait_compiles_quiet()
            for path in ("follow-the-score", "mixing"):
                teacher = await ProtocolSession(srv.url, path).connect()
                await teacher.run()
                await teacher.close()
            srv.wait_compiles_quiet(quiet=1.0)
            before = len(srv.compiles())
            assert before > 0, "the server logged no compilation at all: the compile counter is not working"
            cpu0, busy0, t0 = srv.cpu_seconds(), machine_busy_seconds(), time.perf_counter()
            await asyncio.gather(*(protocol_student(i, srv.url, log) for i in range(CAPACITY_SESSIONS)))
            log["wall_s"] = round(time.perf_counter() - t0, 1)
            log["server_cpu_s"] = round(srv.cpu_seconds() - cpu0, 1)
            log["machine_busy_cpu_s"] = round(machine_busy_seconds() - busy0, 1)
            log["compiles"] = srv.compiles()[before:]

        asyncio.run(run_all())
        peak = srv.peak_rss_mb()
        server_errors = srv.errors_in_log()

    sessions = log["sessions"]
    loads = [t for s in sessions for t in s["loads"]]

    report = {
        "sessions": CAPACITY_SESSIONS,
        "page_open": stats(loads),
        "cold_first_page_s": log["cold_first_page_s"],
        **common_report(sessions, log, log["compiles"], peak, server_errors),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "capacity.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print("\ncapacity:", json.dumps(report, ensure_ascii=False))

    assert report["served"] == CAPACITY_SESSIONS, report
    assert not report["errors"], report["errors"]
    assert not report["isolation_failures"], report["isolation_failures"]
    assert report["completed"] == CAPACITY_SESSIONS, report
    assert report["compiles_during_sessions"] == 0, report["compiled"]
    assert peak is not None and peak < RSS_LIMIT_MB, peak
    assert report["interactions"]["p95_s"] <= P95_TARGET_S, report["interactions"]


# ----------------------------------------------------------------------------------- a class arriving (issue 30, 11)
#: Students who open the shared link right after the server starts, ARRIVAL_RAMP_S apart (the issue: twenty, 1.5 s).
ARRIVALS = int(os.environ.get("LOAD_ARRIVALS", "20"))
ARRIVAL_RAMP_S = float(os.environ.get("LOAD_ARRIVAL_RAMP", "1.5"))
#: A student "is served" when the first chart is drawn within this many seconds of opening the link.
ARRIVAL_TIMEOUT_S = 120.0
#: The goal: the app's p95 time to the first chart at most this many times the minimal page's, measured alike.
ARRIVAL_RATIO = 1.5


async def arrivals(url: str, *, n: int = ARRIVALS, ramp: float = ARRIVAL_RAMP_S) -> list[float | None]:
    """``n`` students open ``url`` ``ramp`` s apart, each in a browser context of their own (one chromium at
    BROWSER_NICE); each one's seconds from opening the link to the first chart drawn (None: not within
    ARRIVAL_TIMEOUT_S). Every student stays on the page until the last has arrived (their sessions stay open, as in
    class)."""
    from playwright.async_api import async_playwright

    from devtools.apphost import DRAWN_CHART

    async with async_playwright() as p:
        browser = await launch_chromium(p, nice=BROWSER_NICE)
        contexts = []

        async def one(i: int) -> float | None:
            await asyncio.sleep(ramp * i)
            ctx = await browser.new_context(viewport={"width": 1280, "height": 720})
            contexts.append(ctx)
            pg = await ctx.new_page()
            t0 = time.perf_counter()
            try:
                await pg.goto(url, timeout=ARRIVAL_TIMEOUT_S * 1000)
                left = ARRIVAL_TIMEOUT_S - (time.perf_counter() - t0)
                await pg.wait_for_selector(DRAWN_CHART, timeout=max(left, 1.0) * 1000)
                return time.perf_counter() - t0
            except Exception:  # noqa: BLE001 - not served in time: counted as such
                return None

        try:
            return list(await asyncio.gather(*(one(i) for i in range(n))))
        finally:
            for ctx in contexts:
                await ctx.close()
            await browser.close()


def _arrival_stats(times: list[float | None]) -> dict:
    served = [t for t in times if t is not None]
    return {
        "served": len(served),
        "of": len(times),
        "p50_s": _r(percentile(served, 50)),
        "p95_s": _r(percentile(served, 95)),
        "max_s": _r(max(served) if served else None),
        "each_s": [_r(t) for t in times],
    }


def test_a_class_arrives_right_after_the_server_starts(tmp_path):
    """Twenty students open the link 1.5 s apart right after the server starts (its warm-up building the lecture
    pack in an empty pack directory at the same time: the hardest start), against a minimal one-chart Streamlit page
    measured the same way in the same run (devtools/minimal_page.py: scene 1's chart and nothing else). All must
    see their first chart within two minutes, at a p95 at most 1.5× the minimal page's. Writes
    test-output/arrivals.json."""
    require_browser()
    load_start = [round(x, 2) for x in os.getloadavg()]
    results = {}
    for name, script, env in (
        ("minimal", "devtools/minimal_page.py", {}),
        ("app", "app.py", {"SCOREDEMO_WARM_MODELS": "1", "SCOREDEMO_PACK_DIR": str(tmp_path / "pack")}),
    ):
        with AppServer(compile_log=False, script=script, env=env) as srv:
            cpu0 = srv.cpu_seconds()
            times = asyncio.run(arrivals(f"{srv.url}/"))
            results[name] = {**_arrival_stats(times), "server_cpu_s": _r(srv.cpu_seconds() - cpu0)}
            results[name]["server_log_errors"] = srv.errors_in_log()[:10]
    ratio = results["app"]["p95_s"] / results["minimal"]["p95_s"] if results["app"]["p95_s"] else None
    report = {
        "arrivals": ARRIVALS,
        "ramp_s": ARRIVAL_RAMP_S,
        "browser_nice": BROWSER_NICE,
        **results,
        "p95_ratio": _r(ratio),
        "goal_ratio": ARRIVAL_RATIO,
        "load_average_start_end": [load_start, [round(x, 2) for x in os.getloadavg()]],
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "arrivals.json").write_text(json.dumps(report, indent=2))
    print("\narrivals:", json.dumps(report))
    assert results["minimal"]["served"] == ARRIVALS, report  # the yardstick itself served everyone
    assert results["app"]["served"] == ARRIVALS, report
    assert ratio is not None and ratio <= ARRIVAL_RATIO, report
