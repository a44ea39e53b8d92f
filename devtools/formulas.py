"""Rebuild ``scoredemo/app/formulas.json``: the MathML of every formula a page draws (:mod:`scoredemo.app.formulas`).

``python -m devtools.formulas`` collects the formulas (:func:`all_formulas`: each scene's intro, scene 4's
objectives, scene 2's update rules), installs Temml (pinned: :data:`TEMML`) from npm into a cache folder and
converts them with Node (``temml.renderToString``, display mode, the LaTeX kept as the annotation). Run it after
editing a formula: ``tests/app/test_formulas.py`` fails until the file holds every formula a page can draw. The
app itself needs neither Node nor Temml.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from scoredemo.app import formulas

#: The Temml release the file is made with (written into it).
TEMML = "0.13.5"
CACHE = Path.home() / ".cache" / "scoredemo-temml"

_RENDER_JS = """
const temml = require('temml');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = {};
for (const tex of input) out[tex] = temml.renderToString(tex, {displayMode: true, annotate: true, throwOnError: true});
process.stdout.write(JSON.stringify(out));
"""


def all_formulas() -> list[str]:
    """Every formula a page draws, as the scenes declare it (sorted, without repeats)."""
    from scoredemo.app.scenes import SCENES  # noqa: PLC0415 - the scenes import Streamlit

    found: set[str] = set()
    for module_name, *_ in SCENES:
        module = importlib.import_module(f"scoredemo.app.scenes.{module_name}")
        intro = getattr(module, "INTRO", None)
        if intro is not None:
            found.add(intro.formula)
        found.update(getattr(module, "FORMULAS", {}).values())  # scene 4: one per objective
        found.update(getattr(module, "RULES", ()))  # scene 2: the update rules with ε as formulas.NUMBER
    return sorted(found)


def temml_dir() -> Path:
    """A folder with Temml installed from npm (once)."""
    if not (CACHE / "node_modules" / "temml" / "package.json").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(CACHE), f"temml@{TEMML}"], check=True)
    return CACHE


def render(texs: list[str]) -> dict[str, str]:
    """LaTeX → MathML by Temml under Node."""
    if shutil.which("node") is None:
        raise SystemExit("devtools.formulas needs Node.js and npm (apt-get install nodejs npm)")
    out = subprocess.run(
        ["node", "-e", _RENDER_JS], input=json.dumps(texs), capture_output=True, text=True, cwd=temml_dir(),
        check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def main() -> int:
    texs = all_formulas()
    table = {"temml": TEMML, "formulas": render(texs)}
    formulas.MATHML_FILE.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(texs)} formulas -> {formulas.MATHML_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
