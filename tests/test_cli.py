"""CLI contract: fields present, files written, bad input exits 2 with one line and no traceback."""

import json
import subprocess
import sys

import numpy as np
import pytest

from scoredemo.cli import main

REQUIRED = {
    "density", "sampler", "true_weights", "mode_fractions", "n_particles", "n_finite", "diverged_at_step",
    "compile_seconds", "sampling_seconds",
}  # fmt: skip


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_densities_lists_every_registered_name(capsys):
    from scoredemo.densities import DENSITIES

    code, out, _ = run_cli(capsys, "densities")
    assert code == 0
    assert [line.split()[0] for line in out.strip().splitlines()] == list(DENSITIES)


def test_sample_json_contract_and_npz(capsys, tmp_path):
    out_file = tmp_path / "run.npz"
    code, out, _ = run_cli(
        capsys, "sample", "--density", "ncsn-mixture", "--sampler", "annealed", "--particles", "256",
        "--steps", "20", "--step-size", "0.05", "--levels", "4", "--seed", "3", "--frames", "6",
        "--out", str(out_file), "--json",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    assert REQUIRED <= set(report)
    assert report["n_particles"] == 256 and report["n_finite"] == 256
    assert report["diverged_at_step"] is None
    np.testing.assert_allclose(report["true_weights"], [0.2, 0.8], atol=1e-6)
    assert len(report["mode_fractions"]) == 2 and abs(sum(report["mode_fractions"]) - 1) < 1e-9
    assert report["total_steps"] == 80 and len(report["sigmas"]) == 4
    with np.load(out_file, allow_pickle=False) as data:
        assert data["samples"].shape == (256, 2)
        assert data["trajectory"].shape == (6, 256, 2)
        np.testing.assert_array_equal(data["trajectory"][-1], data["samples"])


def test_sample_reports_divergence(capsys):
    code, out, err = run_cli(
        capsys, "sample", "--density", "two-modes", "--sampler", "ascent", "--particles", "50", "--steps", "100",
        "--step-size", "10", "--seed", "0", "--json",
    )  # fmt: skip
    report = json.loads(out)
    assert code == 0
    assert report["n_finite"] < 50 and isinstance(report["diverged_at_step"], int)
    assert "step size" in err and "smaller" in err


def test_sample_without_modes_has_empty_fractions(capsys):
    code, out, _ = run_cli(
        capsys, "sample", "--density", "ring", "--thickness", "0.05", "--sampler", "langevin", "--particles", "10",
        "--steps", "5", "--step-size", "0.0001", "--seed", "0", "--init", "data", "--json",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    assert report["mode_fractions"] == [] and report["true_weights"] == []


BASE = ["sample", "--density", "two-modes", "--sampler", "langevin", "--particles", "10", "--steps", "5",
        "--step-size", "0.1", "--seed", "0"]  # fmt: skip


def _with(**changes):
    argv = list(BASE)
    for flag, value in changes.items():
        flag = "--" + flag.replace("_", "-")
        if flag in argv:
            i = argv.index(flag)
            if value is None:
                del argv[i : i + 2]
            else:
                argv[i + 1] = value
        else:
            argv += [flag, value]
    return argv


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (_with(density="nope"), "unknown density"),
        (_with(pi="1.5"), "pi must be in (0, 1)"),
        (_with(pi="0"), "pi must be in (0, 1)"),
        (_with(pi="abc"), "--pi"),
        (_with(particles="-5"), "--particles"),
        (_with(particles="ten"), "expected an integer"),
        (_with(step_size="-0.1"), "--step-size"),
        (_with(step_size="nan"), "finite"),
        (_with(steps="1e3"), "expected an integer"),
        (_with(sampler="hmc"), "unknown sampler"),
        (_with(seed=None), "required"),
        (_with(score="/no/such/model.npz"), "model"),
        (_with(density="ring", pi="0.3"), "no parameter 'pi'"),
        (_with(particles="99999999"), "--particles"),
        (_with(sampler="annealed", sigma_min="5", sigma_max="2"), "sigma"),
        (_with(gif="/no/such/dir/run.gif"), "cannot write '/no/such/dir/run.gif': no directory"),
        (_with(mp4="."), "is a directory"),
        (["sample"], "required"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, fragment):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scoredemo: error:")
    assert fragment in lines[0]
    assert "Traceback" not in err


def test_sample_writes_the_animation_as_gif_and_mp4(capsys, tmp_path):
    """--gif/--mp4: the --frames recorded (the annealed run's σ in the label), 800 × 800, decodable."""
    from scoredemo import export

    gif, mp4 = tmp_path / "run.gif", tmp_path / "run.mp4"
    code, _, err = run_cli(
        capsys, "sample", "--density", "two-modes", "--sampler", "annealed", "--particles", "200", "--steps", "10",
        "--step-size", "0.05", "--levels", "3", "--seed", "1", "--frames", "7", "--gif", str(gif), "--mp4", str(mp4),
    )  # fmt: skip
    assert code == 0, err
    assert export.decode(gif, ".gif").shape == (7, 800, 800, 3)
    assert export.decode(mp4, ".mp4").shape == (7, 800, 800, 3)


def test_module_entry_point_in_a_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "scoredemo", "sample", "--density", "nope", "--sampler", "langevin",
         "--particles", "1", "--steps", "1", "--step-size", "0.1", "--seed", "0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    help_text = subprocess.run(
        [sys.executable, "-m", "scoredemo", "sample", "--help"], capture_output=True, text=True, timeout=120
    ).stdout
    assert "x <- x + eps*s(x) + sqrt(2*eps)*z" in help_text


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """A plain (dsm) and a noise-conditional (ncsn) model, trained for a few steps through the CLI."""
    folder = tmp_path_factory.mktemp("models")
    paths = {}
    for objective, extra in [
        ("dsm", ["--sigma", "0.5"]),
        ("ncsn", ["--sigma-max", "4", "--sigma-min", "0.5", "--levels", "3"]),
    ]:
        paths[objective] = str(folder / f"{objective}.npz")
        code = main(
            ["train", "--density", "two-modes", "--objective", objective, "--steps", "20", "--batch", "16",
             "--seed", "0", "--out", paths[objective], "--json", *extra]
        )  # fmt: skip
        assert code == 0
    return paths


def test_sample_with_learned_score(capsys, tiny_models):
    capsys.readouterr()
    common = ["sample", "--density", "two-modes", "--particles", "64", "--steps", "10", "--step-size", "0.01",
              "--seed", "0", "--json"]  # fmt: skip
    code, out, _ = run_cli(capsys, *common, "--sampler", "langevin", "--score", tiny_models["dsm"])
    assert code == 0 and json.loads(out)["score"] == tiny_models["dsm"]
    code, out, _ = run_cli(capsys, *common, "--sampler", "annealed", "--levels", "3", "--score", tiny_models["ncsn"])
    assert code == 0 and json.loads(out)["n_finite"] == 64
    # A plain model cannot drive annealed Langevin, and nothing learned can drive MALA (no log-density).
    code, _, err = run_cli(capsys, *common, "--sampler", "annealed", "--score", tiny_models["dsm"])
    assert code == 2 and "noise-conditional" in err
    code, _, err = run_cli(capsys, *common, "--sampler", "mala", "--score", tiny_models["ncsn"])
    assert code == 2 and "exact log-density" in err


def test_unreadable_model_file(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    code, _, err = run_cli(capsys, *_with(score=str(bad)))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


# ------------------------------------------------------------------------------------------------- --data digits

DIGITS_REQUIRED = {"digit_confidence", "nearest_train_distance", "n_finite", "n_particles", "sampler", "step_size",
                   "total_steps", "sigmas", "diverged_at_step", "compile_seconds", "sampling_seconds"}  # fmt: skip


@pytest.fixture(scope="module")
def digits_models(tmp_path_factory):
    """Tiny digits models (2 × 16 units, 30 steps) through the API; the CLI's own train is tested separately."""
    from scoredemo import digit_models as dm
    from scoredemo.models import save_model

    folder = tmp_path_factory.mktemp("digits")
    paths = {}
    for objective in ("dsm", "ncsn"):
        config = dm.train_config(objective, steps=30, seed=0, width=16, depth=2, chunk=30)
        paths[objective] = str(folder / f"{objective}.npz")
        save_model(paths[objective], dm.train_digits(config).learned)
    return paths


def test_train_data_digits_json_contract(capsys, tmp_path):
    out_file = tmp_path / "ncsn.npz"
    code, out, _ = run_cli(
        capsys, "train", "--data", "digits", "--objective", "ncsn", "--steps", "3", "--sigma-max", "4",
        "--sigma-min", "0.05", "--levels", "5", "--seed", "1", "--out", str(out_file), "--json",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    assert report["data"] == "digits" and report["steps_done"] == 3 and len(report["sigmas"]) == 5
    model = report["model"]
    assert (model["dim"], model["width"], model["depth"], model["activation"]) == (64, 512, 3, "silu")
    assert (model["sigma_max"], model["levels"]) == (4.0, 5) and model["sigma_min"] == pytest.approx(0.05)
    assert out_file.exists()


def test_sample_data_digits_json_contract_and_npz(capsys, tmp_path, digits_models):
    out_file = tmp_path / "digits.npz"
    code, out, _ = run_cli(
        capsys, "sample", "--data", "digits", "--score", digits_models["ncsn"], "--sampler", "annealed",
        "--particles", "12", "--steps", "5", "--seed", "0", "--frames", "4", "--out", str(out_file), "--json",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    assert DIGITS_REQUIRED <= set(report)
    assert report["n_particles"] == 12 and report["n_finite"] == 12 and report["total_steps"] == 5 * 10
    assert 0 < report["digit_confidence"] <= 1 and report["nearest_train_distance"] > 0
    assert len(report["sigmas"]) == 10 and report["sigmas"][0] == pytest.approx(4.8)  # the file's ladder
    with np.load(out_file, allow_pickle=False) as data:
        assert data["samples"].shape == (12, 8, 8) and data["trajectory"].shape == (4, 12, 8, 8)
        np.testing.assert_array_equal(data["trajectory"][-1], data["samples"])
    # Every optional flag has a default: the shortest command works (100 particles, 1000 steps at the dsm σ).
    code, out, _ = run_cli(
        capsys, "sample", "--data", "digits", "--score", digits_models["dsm"], "--sampler", "langevin", "--seed", "0",
        "--json",
    )  # fmt: skip
    report = json.loads(out)
    assert code == 0 and report["n_particles"] == 100 and report["total_steps"] == 1000
    assert report["step_size"] == pytest.approx(0.2 * 0.05**2)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--density", "ring"], "not allowed with"),
        (["--data", "mnist"], "unknown data set"),
        (["--pi", "0.3"], "--pi does not apply"),
        (["--init", "data"], "--init does not apply"),
        (["--sampler", "mala"], "langevin or annealed"),
        (["--sampler", "hmc"], "unknown sampler"),
        (["--levels", "3"], "--levels does not apply"),
        (["--score", "true"], "needs --score FILE"),
        (["--score", "2d"], "2-D data, not the 64-D digits"),
        (["--sampler", "annealed"], "noise-conditional"),
        (["--sampler", "annealed", "--score", "ncsn", "--sigma-min", "9"], "sigma_min"),
    ],
)
def test_digits_bad_input_exits_2_with_one_line(capsys, tmp_path, digits_models, extra, fragment):
    from scoredemo.models import init_model, save_model

    paths = {**digits_models, "2d": str(tmp_path / "2d.npz")}
    save_model(paths["2d"], init_model(0, width=8, depth=1))
    argv = {"--data": "digits", "--score": digits_models["dsm"], "--sampler": "langevin", "--seed": "0"}
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        argv[flag] = paths.get(value, value) if flag == "--score" else value
    if "--density" in argv:
        argv = {"--density": argv.pop("--density"), **argv}
    code, out, err = run_cli(capsys, "sample", *[x for kv in argv.items() for x in kv], "--particles", "2", "--json")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scoredemo: error:") and fragment in lines[0], lines


def test_digits_model_refused_by_density_and_train_bad_input(capsys, tmp_path, digits_models):
    code, _, err = run_cli(capsys, *_with(score=digits_models["ncsn"], sampler="annealed"))
    assert code == 2 and "2-D model" in err
    base = ["train", "--data", "digits", "--seed", "0", "--out", str(tmp_path / "m.npz")]
    for extra, fragment in [
        (["--objective", "esm"], "dsm or ncsn"),
        (["--objective", "dsm", "--levels", "3"], "apply only to objective ncsn"),
        (["--objective", "dsm", "--data-size", "10"], "--data-size does not apply"),
        (["--objective", "dsm", "--density", "ring"], "not allowed with"),
        (["--objective", "dsm", "--data", "cifar"], "unknown data set"),
    ]:
        code, out, err = run_cli(capsys, *base, *extra)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and fragment in err, err
    code, _, err = run_cli(capsys, "train", "--density", "ring", "--objective", "dsm", "--seed", "0", "--out", "x")
    assert code == 2 and "--steps" in err
