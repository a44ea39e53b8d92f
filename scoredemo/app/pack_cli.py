"""``python -m scoredemo pack``: build the lecture pack ahead of the lecture (or let the server build it: it runs
this command in its own process at ``nice`` 10 when the pack directory holds no current pack).

It trains every scene's default models into the pack directory, compiles the programs the pages and their
interactions use (into the pack's compilation cache), and opens every visit (each scene's default view and each
preset) in Streamlit's AppTest, which trains any other model a visit needs and compiles whatever else it runs; then
it writes ``manifest.json`` (what it covered, for which code). A server started on the same directory loads all of
it instead of training or compiling (see :mod:`scoredemo.app.pack`).

On this 2-core box it took 9 min 19 s of wall time and 3 min 5 s of CPU with the machine shared (load average
about 14); most of it is the six trainings (digits: about 40–50 s each under that load), then the scenes' compiles.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

#: The app's entry point (the checkout's app.py, next to the package).
APP = Path(__file__).resolve().parents[2] / "app.py"


def _open_visit(app: Path, page: str, query: str, timeout: float) -> list[str]:
    """One visit in AppTest; the exceptions the page showed. (Streamlit 1.67.0: AppTest has no public way to open a
    page of an ``st.navigation`` app other than the default: ``_page_hash`` is what clicking it sends, as in
    tests/app/apptest.py, whose test fails loudly if an upgrade removes it.)"""
    from urllib.parse import parse_qsl  # noqa: PLC0415

    from streamlit.testing.v1 import AppTest  # noqa: PLC0415
    from streamlit.util import calc_hash  # noqa: PLC0415

    at = AppTest.from_file(str(app), default_timeout=timeout)
    at.query_params.update(dict(parse_qsl(query)))
    at._page_hash = calc_hash(page)
    at.run()
    return [e.message for e in at.exception]


def build(*, app: Path = APP, timeout: float = 1800.0, log=print) -> dict:
    """Build the pack in ``$SCOREDEMO_PACK_DIR`` (see :func:`scoredemo.app.pack.pack_dir`); returns the manifest.

    ``log`` gets one line per step ("pack: …"; the server shows them in its status)."""
    from scoredemo.app import pack, warmup  # noqa: PLC0415 - the app's modules only for this command
    from scoredemo.app.trained import model_store  # noqa: PLC0415

    directory = pack.pack_dir()
    if directory is None:
        raise ValueError(f"the lecture pack is off (${pack.PACK_DIR_ENV}={os.environ.get(pack.PACK_DIR_ENV)!r})")
    warmup.BUILDING_PACK = True  # AppTest runs app.py, whose warm-up must not start inside the builder
    pack.enable_compile_cache()
    t0 = time.perf_counter()
    todo = warmup.visits()
    models = warmup.default_models()
    store = model_store()
    for i, (title, key) in enumerate(models):
        log(f"pack: model {i + 1}/{len(models)} ({title}, {key.objective}, {key.steps} steps)")
        store.get(key)
    log("pack: compiling the scenes' programs")
    warmup._warm_kernels()
    warmup._warm_diffusion()
    failed = []
    for i, (label, page, query) in enumerate(todo):
        log(f"pack: visit {i + 1}/{len(todo)} ({label})")
        try:
            errors = _open_visit(app, page, query, timeout)
        except Exception as err:  # noqa: BLE001 - reported in the manifest; the other visits go on
            errors = [f"{type(err).__name__}: {err}"]
        if errors:
            failed.append({"visit": label, "error": errors[0][:500]})
            log(f"pack: visit {label!r} FAILED: {errors[0][:300]}")
    record = {
        "code": pack.app_fingerprint(),
        "visits": [list(v) for v in todo],
        "models": {pack.key_text(k): store.origin.get(k, "memory") for _, k in models},
        "failed": failed,
        "seconds": round(time.perf_counter() - t0, 1),
        "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    pack.write_manifest(record)
    log(f"pack: done in {record['seconds']:.0f} s ({len(todo)} visits, {len(models)} models, {len(failed)} failed)")
    return record


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scoredemo pack [--force] [--check]``: exit 0 when the pack is built and every visit ran,
    1 if a visit failed, 2 if the pack is off."""
    from scoredemo.app import pack, warmup  # noqa: PLC0415

    about = " ".join(__doc__.split("\n\n")[0].split())  # the docstring's first paragraph
    ap = argparse.ArgumentParser(prog="python -m scoredemo pack", description=about)
    ap.add_argument("--force", action="store_true", help="open every visit again even if the pack is current")
    ap.add_argument("--check", action="store_true", help="only say whether the pack is current (exit 0) or not (1)")
    args = ap.parse_args(list(argv) if argv is not None else None)
    directory = pack.pack_dir()
    if directory is None:
        print(f"scoredemo: error: the lecture pack is off (${pack.PACK_DIR_ENV})", file=sys.stderr)
        return 2
    current = pack.is_current(warmup.visits())
    if args.check:
        print(f"{directory}: {'current' if current else 'not built for this code'}")
        return 0 if current else 1
    if current and not args.force:
        print(f"{directory}: the pack is current (built {pack.read_manifest()['built_at']}); --force builds it again")
        return 0
    record = build(log=lambda line: print(line, flush=True))  # one line per step: the server shows them
    print(
        f"{directory}: lecture pack built in {record['seconds']:.0f} s: {len(record['visits'])} visits, "
        f"{len(record['models'])} models ({sum(v == 'trained' for v in record['models'].values())} trained now), "
        f"{len(record['failed'])} failed",
        flush=True,
    )
    for f in record["failed"]:
        print(f"  FAILED {f['visit']}: {f['error']}", file=sys.stderr)
    return 1 if record["failed"] else 0
