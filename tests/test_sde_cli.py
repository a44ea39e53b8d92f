"""CLI contract of the score-SDE samplers and the likelihood subcommand: JSON fields, nfe, bad input exits 2."""

import json

import pytest

from scoredemo.cli import main

BASE = ["sample", "--density", "ncsn-mixture", "--sampler", "pf-ode", "--particles", "64", "--steps", "8",
        "--seed", "0"]  # fmt: skip


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_diffusion_sample_json_contract(capsys, tmp_path):
    out_file = tmp_path / "run.npz"
    code, out, _ = run_cli(capsys, *BASE, "--frames", "3", "--out", str(out_file), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["nfe"] == 16 and report["solver"] == "heun" and report["sde"] == "ve" and report["init"] == "prior"
    assert report["n_finite"] == 64 and len(report["mode_fractions"]) == 2
    code, out, _ = run_cli(
        capsys, *BASE, "--sampler", "pc", "--sde", "vp", "--init", "exact-prior", "--corrector-steps", "2", "--json"
    )
    assert code == 0 and json.loads(out)["nfe"] == 24 and json.loads(out)["corrector_steps"] == 2


def test_likelihood_json(capsys):
    code, out, _ = run_cli(
        capsys, "likelihood", "--density", "gaussian", "--sde", "vp", "--particles", "50", "--seed", "0", "--json"
    )
    assert code == 0
    report = json.loads(out)
    # rtol = atol = 1e-5 by default: the ODE's log-likelihood is within ~1e-4 of the exact one.
    assert abs(report["mean_log_likelihood"] - report["exact_mean_log_prob"]) < 1e-3 and report["nfe"] > 0


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (BASE + ["--step-size", "0.1"], "--step-size does not apply"),
        (BASE + ["--sampler", "pc", "--solver", "adaptive"], "no solver"),
        (BASE + ["--sde", "subvp"], "--sde"),
        (BASE + ["--init", "uniform"], "prior or exact-prior"),
        (BASE + ["--rtol", "-1"], "--rtol"),
        (BASE + ["--corrector-steps", "-1"], "--corrector-steps"),
        (BASE + ["--t-min", "2"], "--t-min"),
        (BASE + ["--sigma-min", "30"], "sigma_min"),
        (BASE + ["--sampler", "langevin", "--step-size", "0.1", "--sde", "ve"], "applies only"),
        (BASE + ["--sampler", "langevin", "--step-size", "0.1", "--init", "prior"], "applies only"),
        (BASE + ["--sampler", "langevin"], "--step-size is required"),
        (["likelihood", "--density", "gaussian", "--seed", "0", "--solver", "heun"], "adaptive"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, fragment):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scoredemo: error:") and fragment in lines[0], lines
