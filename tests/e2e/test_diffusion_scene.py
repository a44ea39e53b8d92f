"""Real-browser walk of scene 11 (diffusion): it opens with its charts and no error element, the t slider redraws
the forward picture, the sampler choice changes the meter and the left animation, the animations play; full-page
screenshots at 1280×720 and 1920×1080 go to test-output/screenshots/diffusion-<width>.png (look at them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.apphost import JS_CHART, JS_EXCEPTIONS, animation_label, open_settled, play_button, wait_idle
from devtools.diffusion_latency import (
    JS_FORWARD_TITLE,
    JS_FORWARD_TITLE_IS,
    JS_METER_RUNS,
    _move_pi,
    _move_t,
    _switch_sampler,
)

pytestmark = pytest.mark.e2e

#: Watches, frame by frame, the elements Streamlit marks as waiting for the rerun: how many frames had any, the
#: lowest opacity one of them was drawn with and any transition they carried (``presenter.PAGE_CSS`` keeps them
#: at opacity 1 with none; Streamlit's own is ``opacity 1s ease-in 0.5s`` towards 0.33).
JS_WATCH_STALE = """() => { window.__stale = {frames: 0, minOpacity: 1, transitions: []}; const t0 = performance.now();
    const tick = () => { for (const el of document.querySelectorAll('[data-stale="true"]')) {
            const cs = getComputedStyle(el);
            window.__stale.minOpacity = Math.min(window.__stale.minOpacity, Number(cs.opacity));
            if (cs.transitionDuration !== '0s' && window.__stale.transitions.length < 3)
                window.__stale.transitions.push(cs.transition); }
        if (document.querySelector('[data-stale="true"]')) window.__stale.frames += 1;
        if (performance.now() - t0 < 4000) requestAnimationFrame(tick); };
    requestAnimationFrame(tick); }"""
#: The look of an element container marked waiting, as Streamlit marks them (a probe added to the page).
JS_STALE_PROBE = """() => { const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    const el = document.createElement('div'); el.className = 'stElementContainer'; el.dataset.stale = 'true';
    el.style.transition = 'opacity 1s ease-in 0.5s'; el.style.opacity = '0.33'; main.appendChild(el);
    const cs = getComputedStyle(el); const out = {opacity: cs.opacity, transition: cs.transitionDuration};
    el.remove(); return out; }"""

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"


def test_diffusion_scene_walk(app_url, chromium):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg = chromium.new_page(viewport={"width": 1280, "height": 720})
    try:
        open_settled(pg, f"{app_url}/diffusion", timeout=300.0)
        assert pg.evaluate(JS_EXCEPTIONS) == []
        kinds = pg.evaluate(
            "() => [...document.querySelectorAll('.js-plotly-plot')].map(d => d.layout && d.layout.meta"
            " && d.layout.meta.kind)"
        )
        assert kinds.count("animation") == 1  # the SDE and the ODE: one figure, two panels, one Play
        assert {"score-field", "mode-fractions", "quality-vs-nfe", "likelihood"} <= set(kinds)
        pg.screenshot(path=str(SHOTS / "diffusion-1280.png"), full_page=True)
        pg.screenshot(path=str(SHOTS / "diffusion-1280-top.png"))

        assert pg.evaluate(JS_FORWARD_TITLE) == "p_t at t = 0.70"
        _move_t(pg)
        assert pg.evaluate(JS_FORWARD_TITLE) == "p_t at t = 0.75"
        wait_idle(pg, timeout=300.0)  # the t move's rerun is over before the sampler's list is opened
        # the browser showed the frame itself; the rerun re-sent the same chart, which keeps it
        assert pg.evaluate(JS_FORWARD_TITLE) == "p_t at t = 0.75"
        assert pg.get_by_text(f"{0.01 * 2000**0.75:.3g}", exact=True).count() >= 1  # σ(0.75), beside it

        assert pg.evaluate(JS_METER_RUNS) == ["reverse SDE", "ODE (heun)"]
        _switch_sampler(pg)
        assert pg.evaluate(JS_METER_RUNS) == ["predictor–corrector", "ODE (heun)"]
        pg.wait_for_function(  # the pair's left panel is titled by the sampler
            "() => [...document.querySelectorAll('.js-plotly-plot')].some(d => d.layout.meta.kind === 'animation'"
            " && (d.layout.annotations || []).some(a => a.text.startsWith('predictor–corrector')))",
            timeout=120_000,
        )

        # the animation plays (from t = 1): its frame label moves on
        chart = pg.evaluate_handle(f"({JS_CHART})('animation')")
        start = animation_label(chart)
        assert start == "t = 0.00"  # it opens where the particles have landed
        play_button(pg).click()
        pg.wait_for_function(
            "([d, s]) => { const t = d.querySelector('.slider-group text.slider-label'); "
            "return t && t.textContent !== s; }",
            arg=[chart, start],
            timeout=30_000,
        )
        # a π move draws a new forward chart (p_t depends on π): it opens on the slider's t, not the default;
        # the elements waiting for its rerun keep their look (no fade: see presenter.PAGE_CSS)
        pg.evaluate(JS_WATCH_STALE)
        _move_pi(pg)
        wait_idle(pg, timeout=300.0)
        # (whether any element waits long enough to be seen depends on the machine's speed: when none did, an
        # element marked as Streamlit marks them is checked instead; test_presenter checks the mark is still used)
        stale = pg.evaluate("() => window.__stale")
        assert stale["minOpacity"] == 1.0 and stale["transitions"] == []
        probe = pg.evaluate(JS_STALE_PROBE)
        assert probe == {"opacity": "1", "transition": "0s"}
        pg.wait_for_function(JS_FORWARD_TITLE_IS, arg="p_t at t = 0.75", timeout=10_000)
        assert pg.evaluate(JS_EXCEPTIONS) == []
        assert pg.locator('[data-testid="stException"]').count() == 0
    finally:
        pg.close()
    wide = chromium.new_page(viewport={"width": 1920, "height": 1080})
    try:
        open_settled(wide, f"{app_url}/diffusion", timeout=300.0)
        assert wide.evaluate(JS_EXCEPTIONS) == []
        wide.screenshot(path=str(SHOTS / "diffusion-1920.png"), full_page=True)
        wide.screenshot(path=str(SHOTS / "diffusion-1920-top.png"))
    finally:
        wide.close()
