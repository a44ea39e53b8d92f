"""The CLI's split into a parser module and three command families: the families are engine code (no app layer),
``--flag=--`` is one clear error line (a fuzz find), and the 2-D runs take their σ's from ``samplers.noise_schedule``
exactly as the engine's own front end does."""

import json

import jax
import numpy as np
import pytest

from scoredemo import samplers
from scoredemo.cli import main
from scoredemo.densities import make_density
from scoredemo.models import init_model, load_model, save_model
from tests.test_architecture import CLI_FAMILIES, imported_by


@pytest.mark.parametrize("module", CLI_FAMILIES)
def test_command_families_import_no_app_layer(module):
    loaded = imported_by(module)
    assert module in loaded
    assert not [m for m in loaded if m.split(".")[0] in ("streamlit", "devtools", "plotly")]
    assert not [m for m in loaded if m.startswith(("scoredemo.app", "scoredemo.figures"))]


def _one_error_line(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1, (code, out, err)
    assert "Traceback" not in err
    return lines[0]


# tests/test_fuzz_cli.py writes a value starting with '-' as `--flag=value`; argparse without the gh-109475 fix
# (Python 3.11.7 here) stored `--steps=--` as [] without its type check, and `particles * []` ended in a TypeError
# traceback.
FUZZ_FIND = ["sample", "--json", "--density", "two-modes", "--sampler", "ascent", "--particles", "1", "--steps=--",
             "--step-size", "0.0001", "--seed", "0"]  # fmt: skip


def test_fuzz_find_double_dash_value_is_one_error_line(capsys):
    assert _one_error_line(capsys, FUZZ_FIND) == "scoredemo: error: argument --steps: expected one argument"


@pytest.mark.parametrize(
    "argv",
    [
        ["sample", "--density=--", "--sampler", "langevin", "--seed", "0"],
        ["sample", "--density", "ring", "--sampler=--", "--seed", "0"],
        ["sample", "--density", "ring", "--sampler", "langevin", "--seed", "0", "--step-size=--"],
        ["sample", "--density", "ring", "--sampler", "pc", "--seed", "0", "--particles", "2", "--snr=--"],
        ["sample", "--data=--", "--sampler", "langevin", "--seed", "0"],
        ["train", "--density", "ring", "--objective", "dsm", "--steps", "3", "--seed=--", "--out", "m.npz"],
        ["likelihood", "--density", "ring", "--seed", "0", "--particles=--"],
    ],
)
def test_double_dash_value_is_refused_for_every_flag_kind(capsys, argv):
    flag = next(a.split("=")[0] for a in argv if a.endswith("=--"))
    assert _one_error_line(capsys, argv) == f"scoredemo: error: argument {flag}: expected one argument"


def _sample(capsys, tmp_path, *argv):
    out_file = tmp_path / "run.npz"
    code = main(["sample", "--density", "two-modes", "--particles", "16", "--seed", "7", *argv, "--out", str(out_file)])
    out, err = capsys.readouterr()
    assert code == 0, err
    with np.load(out_file) as data:
        return json.loads(out.strip().splitlines()[-1]) if "--json" in argv else None, data["samples"]


def _start(seed, n, box):
    """The CLI's keys (init, run, reference) and its uniform start on the plot box."""
    init_key, run_key, _ = jax.random.split(jax.random.key(seed), 3)
    return run_key, samplers.uniform_init(init_key, n, box)


def test_annealed_ladder_is_noise_schedule(capsys, tmp_path):
    report, samples = _sample(
        capsys, tmp_path, "--sampler", "annealed", "--steps", "4", "--step-size", "0.05", "--sigma-max", "5",
        "--sigma-min", "0.5", "--levels", "3", "--json",
    )  # fmt: skip
    sigmas, total = samplers.noise_schedule("annealed", 4, sigma_max=5.0, sigma_min=0.5, n_levels=3)
    assert report["sigmas"] == [float(s) for s in sigmas] and report["total_steps"] == total == 12
    dens = make_density("two-modes")
    run_key, x0 = _start(7, 16, dens.box)
    engine = samplers.sample(
        run_key, "annealed", dens.mixture, x0, n_steps=4, step_size=0.05, sigma_max=5.0, sigma_min=0.5, n_levels=3
    )
    np.testing.assert_array_equal(samples, np.asarray(engine.samples))


def test_noise_conditional_model_is_followed_at_its_smallest_level(capsys, tmp_path):
    """Plain Langevin with an ncsn model runs at the model's σ_min (it was never taught σ = 0): the CLI's result is
    the engine's at sigma=σ_min; at σ = 0 the network (input log σ, output / σ) is undefined and every particle is
    NaN, so the special case is what makes the run work."""
    path = str(tmp_path / "ncsn.npz")
    save_model(path, init_model(0, width=8, depth=1, noise_conditional=True, sigma_min=0.3, sigma_max=5.0, levels=3))
    _, samples = _sample(
        capsys, tmp_path, "--sampler", "langevin", "--steps", "6", "--step-size", "0.05", "--score", path
    )
    model, box = load_model(path), make_density("two-modes").box
    run_key, x0 = _start(7, 16, box)
    at = lambda sigma: np.asarray(
        samplers.sample(run_key, "langevin", model, x0, n_steps=6, step_size=0.05, sigma=sigma).samples
    )
    np.testing.assert_array_equal(samples, at(0.3))
    assert np.all(np.isfinite(samples)) and not np.any(np.isfinite(at(0.0)))
