"""Command line: ``python -m scoredemo {densities,sample,train}`` (bad input: exit 2, one line, no traceback).

``sample`` and ``train`` take either ``--density NAME`` (the 2-D toy densities) or ``--data digits`` (the 1 797 real
8×8 handwritten digits in [0, 1]⁶⁴, :mod:`scoredemo.digit_models`); the two are mutually exclusive.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from scoredemo.limits import (
    MAX_BATCH,
    MAX_DATA_SIZE,
    MAX_FRAMES,
    MAX_LEVELS,
    MAX_PARTICLE_STEPS,
    MAX_PARTICLES,
    MAX_STEPS,
    MAX_TRAIN_STEPS,
)

UPDATE_RULE = "x <- x + eps*s(x) + sqrt(2*eps)*z,  z ~ N(0, I)   (ascent: the same without the noise term)"

#: The real data sets of ``--data``.
DATA_SETS = ("digits",)
#: 2-D defaults of the annealing ladder of ``sample`` (a digits model's file records its own).
SAMPLE_SIGMA_MAX, SAMPLE_SIGMA_MIN, SAMPLE_LEVELS = 20.0, 1.0, 10

DIGITS_SAMPLE_HELP = """
--data digits: --score is a model file from `train --data digits`; the chains start from uniform noise on
[0, 1]^64. Defaults: --particles 100, --steps 1000 (langevin) or 100 per level (annealed), --frames 11,
--sigma-max/--sigma-min/--levels from the model file (annealed), --step-size 0.2*sigma_L^2 (sigma_L: the model's
smallest or only sigma).
--json adds digit_confidence (mean top-class probability of a logistic regression fitted on the real digits),
nearest_train_distance (mean distance to the nearest real digit, pixel units in [0, 1]) and n_finite; --out
stores samples (N, 8, 8), trajectory (F, N, 8, 8) and frame_steps (F,).
"""
DIGITS_TRAIN_HELP = """
--data digits: objective dsm or ncsn, a 3x512 SiLU MLP on the 64 pixels (ncsn: log sigma as an extra input, output
/ sigma). Defaults: --steps 10000, --batch 128, --lr 0.001; dsm --sigma 0.05; ncsn --sigma-max 4.8 --sigma-min 0.02
--levels 10 (4.8 = the largest distance between two real digits). The model file records its sigma levels.
"""


class UsageError(Exception):
    """Bad input: reported as one line on stderr with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one clear line instead of usage + message
        raise UsageError(message)


# ------------------------------------------------------------------------------------------ argument types


def _number(kind: type, *, low: float | None = None, high: float | None = None, strict_low: bool = False):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        if low is not None and (value <= low if strict_low else value < low):
            raise argparse.ArgumentTypeError(f"must be {'>' if strict_low else '>='} {low:g}, got {text}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be <= {high:g}, got {text}")
        return value

    return parse


_positive = _number(float, low=0.0, strict_low=True)
_nonneg = _number(float, low=0.0)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m scoredemo",
        description=f"Score-based generative models, exactly. Update rule: {UPDATE_RULE}",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("densities", help="list the registered densities")

    s = sub.add_parser(
        "sample",
        help="run a sampler on a density or on the digits",
        description=f"Run a score-driven sampler. Update rule: {UPDATE_RULE}\n{DIGITS_SAMPLE_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _density_args(s)
    s.add_argument(
        "--sampler",
        required=True,
        help="ascent | langevin | annealed | mala | reverse-sde | pf-ode | pc (digits: langevin | annealed)",
    )
    s.add_argument("--particles", type=_number(int, low=1, high=MAX_PARTICLES), default=None, help="N (digits: 100)")
    s.add_argument(
        "--steps", type=_number(int, low=0, high=MAX_STEPS), default=None, help="steps (per level for annealed)"
    )
    s.add_argument("--step-size", type=_positive, default=None, help="ε (for annealed: the step at σ_min)")
    s.add_argument(
        "--sigma-max", type=_positive, default=None, help="annealed, ve: largest noise level (20; digits: file)"
    )
    s.add_argument(
        "--sigma-min", type=_positive, default=None, help="annealed: smallest noise level (1; ve: 0.01; digits: file)"
    )
    s.add_argument("--levels", type=_number(int, low=1, high=MAX_LEVELS), default=None, help="annealed: L (10)")
    s.add_argument(
        "--init", choices=["uniform", "data", "prior", "exact-prior"], default=None, help="start (see _diffusion_args)"
    )
    s.add_argument("--init-box", type=_positive, default=None, help="uniform start on [-B, B]² (default: plot box)")
    s.add_argument("--score", default=None, help="'true' (exact score, the default) or a model file from `train`")
    s.add_argument("--seed", type=_number(int, low=0, high=2**31 - 1), required=True)
    s.add_argument(
        "--frames", type=_number(int, low=2, high=MAX_FRAMES), default=None, help="recorded frames (2; digits: 11)"
    )
    s.add_argument("--out", default=None, help="write samples and trajectory to this .npz")
    s.add_argument("--gif", default=None, metavar="FILE.gif", help="write the animation of the --frames as a GIF")
    s.add_argument("--mp4", default=None, metavar="FILE.mp4", help="write the animation of the --frames as an MP4")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    _diffusion_args(s)
    _likelihood_parser(sub)

    t = sub.add_parser(
        "train",
        help="train a score model by score matching",
        description=f"Train a score model by score matching.\n{DIGITS_TRAIN_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _density_args(t)
    t.add_argument("--objective", required=True, help="esm | ssm | ssm-vr | dsm | ncsn (digits: dsm | ncsn)")
    t.add_argument("--steps", type=_number(int, low=1, high=MAX_TRAIN_STEPS), default=None, help="(digits: 10000)")
    t.add_argument("--batch", type=_number(int, low=1, high=MAX_BATCH), default=None, help="(128)")
    t.add_argument("--lr", type=_positive, default=None, help="Adam learning rate (0.001)")
    t.add_argument("--sigma", type=_positive, default=None, help="dsm: the noise level σ")
    t.add_argument("--sigma-max", type=_positive, default=None, help="ncsn: largest σ")
    t.add_argument("--sigma-min", type=_positive, default=None, help="ncsn: smallest σ")
    t.add_argument("--levels", type=_number(int, low=1, high=MAX_LEVELS), default=None, help="ncsn: L")
    t.add_argument("--data-size", type=_number(int, low=1, high=MAX_DATA_SIZE), default=None, help="fixed data size")
    t.add_argument("--seed", type=_number(int, low=0, high=2**31 - 1), required=True)
    t.add_argument("--out", required=True, help="where to save the model")
    t.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _density_args(p: argparse.ArgumentParser) -> None:
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--density", help="a name from `python -m scoredemo densities`")
    source.add_argument("--data", help=f"a real data set instead of a density: {', '.join(DATA_SETS)}")
    p.add_argument("--pi", type=float, default=None, help="weight of the first mode, in (0, 1)")
    p.add_argument("--thickness", type=float, default=None, help="ring thickness w")


def _density_from(args: argparse.Namespace):
    from scoredemo.densities import make_density

    params = {"pi": args.pi, "thickness": args.thickness}
    return make_density(args.density, **params)


# ----------------------------------------------------------------------------------------------- commands


def cmd_densities(args: argparse.Namespace) -> int:
    from scoredemo.densities import DENSITIES

    width = max(map(len, DENSITIES))
    for name, spec in DENSITIES.items():
        params = ", ".join(f"{k}={p.default:g}" for k, p in spec.params.items())
        print(f"{name:<{width}}  {spec.description}" + (f"  [{params}]" if params else ""))
    return 0


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _require(args: argparse.Namespace, names: Sequence[str]) -> None:
    """The 2-D commands' required options (optional with --data, which has defaults for them)."""
    missing = [_flag(n) for n in names if getattr(args, n, None) is None]
    if missing:
        what = f"sampler {args.sampler}" if getattr(args, "sampler", None) else "--density"
        raise UsageError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required for {what}")


def _refuse(args: argparse.Namespace, names: Sequence[str], where: str) -> None:
    """Options that have no meaning with ``where`` are refused, never silently ignored."""
    given = [_flag(n) for n in names if getattr(args, n, None) is not None]
    if given:
        raise UsageError(f"{given[0]} does not apply to {where}")


def _check_data(args: argparse.Namespace) -> None:
    if args.data not in DATA_SETS:
        raise UsageError(f"unknown data set {args.data!r}; choose one of: {', '.join(DATA_SETS)}")
    _refuse(args, ("pi", "thickness"), f"--data {args.data} (they are density parameters)")


def _load_target(args: argparse.Namespace, density: Any) -> tuple[Any, bool]:
    """The sampler target: the exact mixture, or a learned 2-D model. Returns (target, is_exact)."""
    if args.score == "true":
        return density.mixture, True
    from scoredemo.models import load_model

    learned = load_model(args.score)
    if learned.dim != 2:
        raise UsageError(f"model file {args.score!r} scores {learned.dim}-D data; --density needs a 2-D model")
    return learned, False


def cmd_sample(args: argparse.Namespace) -> int:
    if args.data is not None:
        return _sample_digits(args)
    args.score = args.score or "true"
    args.frames = args.frames or 2
    if args.sampler in _DIFFUSION_SAMPLERS:  # they discretise t from 1 to 0: no --step-size, their own σ defaults
        _require(args, ("particles",))
        return _sample_density(args)
    _require(args, ("particles", "steps", "step_size"))
    for name, value in (("sigma_max", SAMPLE_SIGMA_MAX), ("sigma_min", SAMPLE_SIGMA_MIN), ("levels", SAMPLE_LEVELS)):
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.init = args.init or "uniform"
    return _sample_density(args)


def _sample_density(args: argparse.Namespace) -> int:
    import jax
    import jax.numpy as jnp

    from scoredemo import metrics, samplers

    if args.sampler in _DIFFUSION_SAMPLERS:
        return cmd_sample_diffusion(args)
    _langevin_defaults(args)
    density = _density_from(args)
    sampler = samplers.get_sampler(args.sampler)
    target, exact = _load_target(args, density)
    noise_conditional = bool(getattr(target, "noise_conditional", False))
    if sampler.name == "mala" and not exact:
        raise UsageError("mala needs the exact log-density: use --score true")
    if sampler.annealed and not exact and not noise_conditional:
        raise UsageError("annealed needs a noise-conditional model (train it with --objective ncsn) or --score true")
    if sampler.annealed:
        samplers.check_sigma_range(args.sigma_max, args.sigma_min)
    for path in (args.gif, args.mp4):
        if path is not None:
            _check_writable(path)  # before the run: a typo in a path should not cost the sampling time
    if args.particles * args.steps * (args.levels if sampler.annealed else 1) > MAX_PARTICLE_STEPS:
        raise UsageError(f"particles × steps is too large for one run (limit {MAX_PARTICLE_STEPS:g} particle-steps)")

    if sampler.annealed:
        sigmas = samplers.geometric_sigmas(args.sigma_max, args.sigma_min, args.levels)
        total = args.steps * len(sigmas)
    else:
        # A noise-conditional model is evaluated at its smallest training level (it was never taught σ = 0).
        sigma = float(getattr(target, "config", {}).get("sigma_min", 0.0)) if noise_conditional else 0.0
        sigmas, total = np.array([sigma], np.float32), args.steps
    params = samplers.make_params(args.step_size, noise=sampler.noise, sigmas=sigmas, steps_per_level=args.steps)

    init_key, run_key, ref_key = jax.random.split(jax.random.key(args.seed), 3)
    if args.init == "data":
        x0 = density.sample(init_key, args.particles)
    else:
        box = args.init_box if args.init_box is not None else density.box
        x0 = samplers.uniform_init(init_key, args.particles, box)

    frames = samplers.frame_budget(args.particles, args.frames)
    fn = samplers.compiled_run(sampler.name, frames)
    # The step count is traced: a 0-step call compiles (or hits the jit cache) and runs nothing, so the
    # second call's wall time is the compiled run alone.
    t0 = time.perf_counter()
    jax.block_until_ready(fn(run_key, target, x0, params, jnp.int32(0)))
    compile_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = jax.block_until_ready(fn(run_key, target, x0, params, jnp.int32(total)))
    sampling_seconds = time.perf_counter() - t0

    samples = np.asarray(result.samples)
    finite = np.all(np.isfinite(samples), axis=-1)
    diverged = int(result.diverged_at)
    mix = density.mixture
    reference = np.asarray(density.sample(ref_key, min(args.particles, 2000)))
    report = {
        "density": density.name,
        "density_params": dict(density.params),
        "sampler": sampler.name,
        "score": args.score,
        "update_rule": UPDATE_RULE,
        "step_size": args.step_size,
        "steps": args.steps,
        "total_steps": int(total),
        "sigmas": [float(s) for s in sigmas] if sampler.annealed else None,
        "seed": args.seed,
        "true_weights": [float(w) for w in density.true_weights] if mix.n_modes > 1 else [],
        "mode_fractions": [float(f) for f in metrics.mode_fractions(mix, samples)] if mix.n_modes > 1 else [],
        "n_particles": int(args.particles),
        "n_finite": int(finite.sum()),
        "diverged_at_step": None if diverged < 0 else diverged,
        "acceptance_rate": float(result.acceptance_rate),
        "energy_distance": metrics.energy_distance(samples, reference),
        "within_mode_spread": metrics.within_mode_spread(mix, samples),
        "frames": frames,
        "compile_seconds": round(compile_seconds, 4),
        "sampling_seconds": round(sampling_seconds, 4),
    }
    if args.out:
        _save_npz(args.out, samples=samples, trajectory=np.asarray(result.trajectory))
    if args.gif or args.mp4:
        _write_animation(args, density, sampler, result, sigmas)
    if diverged >= 0:
        print(
            f"warning: particles became non-finite at step {diverged} — the step size {args.step_size:g} "
            "is too large for this density; try a smaller --step-size",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(_json_safe(report)))
    else:
        for key in ("density", "sampler", "true_weights", "mode_fractions", "n_finite", "diverged_at_step"):
            print(f"{key:>18}: {report[key]}")
        print(f"{'energy_distance':>18}: {report['energy_distance']:.4f}")
        print(f"{'time':>18}: compile {compile_seconds:.2f} s, sampling {sampling_seconds:.3f} s")
    return 0


def _sample_digits(args: argparse.Namespace) -> int:
    """``sample --data digits``: a digits model from noise; reports the digit checks (see DIGITS_SAMPLE_HELP)."""
    _check_data(args)
    _refuse(args, ("init", "init_box"), "--data digits (chains start from uniform noise on [0, 1]^64)")
    if args.score in (None, "true"):
        raise UsageError("--data digits needs --score FILE, a model from `train --data digits` (no exact score)")
    if args.sampler not in ("langevin", "annealed"):
        from scoredemo.samplers import get_sampler

        get_sampler(args.sampler)  # an unknown name lists the registry
        raise UsageError(f"--data digits samples with langevin or annealed, not {args.sampler!r}")
    import jax

    from scoredemo import digit_models as dm
    from scoredemo.models import load_model

    learned = load_model(args.score)
    dm.check_model(learned)
    particles = dm.PARTICLES if args.particles is None else args.particles
    steps = args.steps
    if steps is None:
        steps = dm.STEPS_PER_LEVEL if args.sampler == "annealed" else dm.LANGEVIN_STEPS
    frames = dm.FRAMES if args.frames is None else args.frames
    noise = {"sigma_max": args.sigma_max, "sigma_min": args.sigma_min, "levels": args.levels}
    if args.sampler == "langevin":
        _refuse(args, tuple(noise), "--sampler langevin (it follows the model at its own sigma)")
        noise = {}
    sigmas, eps = dm.sample_settings(learned, args.sampler, step_size=args.step_size, **noise)
    if particles * steps * len(sigmas) > MAX_PARTICLE_STEPS:
        raise UsageError(f"particles × steps is too large for one run (limit {MAX_PARTICLE_STEPS:g} particle-steps)")
    options = {"seed": args.seed, "n_particles": particles, "step_size": eps, "n_frames": frames, **noise}
    t0 = time.perf_counter()
    dm.sample_digits(learned, args.sampler, n_steps=0, **options)  # compiles (steps are traced), runs nothing
    compile_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    run = jax.block_until_ready(dm.sample_digits(learned, args.sampler, n_steps=steps, **options))
    sampling_seconds = time.perf_counter() - t0
    check = dm.check_samples(run.samples)
    report = {
        "data": args.data,
        "sampler": args.sampler,
        "score": args.score,
        "objective": learned.config.get("objective"),
        "update_rule": UPDATE_RULE,
        "step_size": eps,
        "steps": steps,
        "total_steps": run.total_steps,
        "sigmas": [float(s) for s in run.sigmas],
        "seed": args.seed,
        "n_particles": particles,
        **check,
        "diverged_at_step": None if run.diverged_at < 0 else run.diverged_at,
        "frames": len(run.frame_steps),
        "frame_steps": [int(t) for t in run.frame_steps],
        "compile_seconds": round(compile_seconds, 4),
        "sampling_seconds": round(sampling_seconds, 4),
    }
    if args.out:
        side = (dm.digits.SIDE, dm.digits.SIDE)
        _save_npz(
            args.out,
            samples=run.samples.reshape(-1, *side),
            trajectory=run.trajectory.reshape(*run.trajectory.shape[:2], *side),
            frame_steps=run.frame_steps,
        )
    if run.diverged_at >= 0:
        print(
            f"warning: images became non-finite at step {run.diverged_at}; try a smaller --step-size", file=sys.stderr
        )
    if args.json:
        print(json.dumps(_json_safe(report)))
    else:
        for key in ("data", "sampler", "step_size", "total_steps", "n_finite", "digit_confidence"):
            print(f"{key:>22}: {report[key]}")
        print(f"{'nearest_train_distance':>22}: {report['nearest_train_distance']}")
        print(f"{'time':>22}: compile {compile_seconds:.2f} s, sampling {sampling_seconds:.3f} s")
    return 0


def _train_digits(args: argparse.Namespace) -> dict[str, Any]:
    """``train --data digits``: the report of a digits model trained and saved (see DIGITS_TRAIN_HELP)."""
    _check_data(args)
    _refuse(args, ("data_size",), "--data digits (the data set is the 1797 real digits)")
    from scoredemo import digit_models as dm
    from scoredemo.models import save_model
    from scoredemo.training import _final_loss, downsample_curve

    overrides = {k: getattr(args, k) for k in ("batch", "lr") if getattr(args, k) is not None}
    config = dm.train_config(
        args.objective,
        steps=dm.STEPS if args.steps is None else args.steps,
        seed=args.seed,
        sigma=args.sigma,
        sigma_max=args.sigma_max,
        sigma_min=args.sigma_min,
        levels=args.levels,
        **overrides,
    )

    def report_progress(done: int, total: int, curve: np.ndarray) -> None:
        recent = curve[-min(len(curve), config.chunk) :]
        print(f"step {done}/{total}  loss {np.mean(recent):.4f}", file=sys.stderr, flush=True)

    result = dm.train_digits(config, progress=None if args.json else report_progress)
    try:
        save_model(args.out, result.learned)
    except OSError as err:
        raise ValueError(f"cannot write model to {args.out!r}: {err.strerror or err}") from None
    steps, curve = downsample_curve(result.loss_curve)
    return {
        "objective": config.objective,
        "data": args.data,
        "steps": config.steps,
        "steps_done": result.steps_done,
        "batch": config.batch,
        "lr": config.lr,
        "sigmas": [float(s) for s in config.sigmas],
        "eval_sigma": config.eval_sigma,
        "seed": config.seed,
        "final_loss": _final_loss(result.loss_curve),
        "loss_curve": [float(v) for v in curve],
        "loss_curve_steps": [int(s) for s in steps],
        "compile_seconds": round(result.compile_seconds, 4),
        "train_seconds": round(result.train_seconds, 4),
        "steps_per_second": round(result.steps_done / max(result.train_seconds, 1e-9), 1),
        "out": str(args.out),
        "model": result.learned.config,
    }


def cmd_train(args: argparse.Namespace) -> int:
    from scoredemo.training import train_command

    if args.data is not None:
        report = _train_digits(args)
    else:
        _require(args, ("steps",))
        report = train_command(args)
    if args.json:
        print(json.dumps(_json_safe(report)))
    else:
        for key in ("objective", "final_loss", "weighted_rel_error", "low_density_rel_error", "train_seconds"):
            if key in report:
                print(f"{key:>22}: {report[key]}")
        print(f"{'model':>22}: {args.out}")
    return 0


def _save_npz(path: str, **arrays: np.ndarray) -> None:
    try:
        np.savez(path, **arrays)
    except OSError as err:
        raise UsageError(f"cannot write {path!r}: {err.strerror or err}") from None


def _check_writable(path: str) -> None:
    target = os.path.abspath(path)
    if os.path.isdir(target):
        raise UsageError(f"cannot write {path!r}: it is a directory")
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise UsageError(f"cannot write {path!r}: no directory {parent!r}")
    if not os.access(parent, os.W_OK) or (os.path.exists(target) and not os.access(target, os.W_OK)):
        raise UsageError(f"cannot write {path!r}: permission denied")


def _write_animation(args: argparse.Namespace, density: Any, sampler: Any, result: Any, sigmas: np.ndarray) -> None:
    """The recorded frames as the app's animation (the density p behind the particles, the highlighted paths, the
    step/σ label, a title naming the sampler and the density) to --gif and/or --mp4. Frames up to the first one
    holding a non-finite particle, as the app shows a diverged run."""
    from scoredemo import export, metrics
    from scoredemo.figures import Animation, ParticleSet

    traj = np.asarray(result.trajectory, np.float32)
    steps = np.asarray(result.frame_steps)
    finite = np.all(np.isfinite(traj), axis=(1, 2))
    n_keep = len(finite) if finite.all() else max(int(np.argmin(finite)), 1)
    traj, steps = traj[:n_keep], steps[:n_keep]
    if sampler.annealed:
        level = np.minimum(steps // max(args.steps, 1), len(sigmas) - 1)
        labels = [f"step {int(t)} · σ = {float(sigmas[i]):.2f}" for t, i in zip(steps, level, strict=True)]
        run = f"σ {args.sigma_max:g} → {args.sigma_min:g}, {len(sigmas)} × {args.steps} steps"
    else:
        labels = [f"step {int(t)}" for t in steps]
        run = f"ε = {args.step_size:g}, {args.steps} steps"
    xs, ys, pts = metrics.grid_points(density.box, 161)
    log_p = np.asarray(density.mixture.log_prob(pts), np.float64).reshape(len(ys), len(xs))
    score = "" if args.score == "true" else ", learned score"
    anim = Animation(
        sets=[ParticleSet(traj, f"{sampler.name} particles")],
        box=float(density.box),
        frame_labels=labels,
        background=(xs, ys, np.exp(log_p - log_p.max())),
        title=f"{sampler.name} on {density.name}{score}: {args.particles} particles, {run}",
    )
    for path, write in ((args.gif, export.to_gif), (args.mp4, export.to_mp4)):
        if path:
            try:
                write(anim, path)
            except OSError as err:
                raise UsageError(str(err)) from None


def _json_safe(obj: Any) -> Any:
    """Replace NaN/inf (not valid JSON) by None, recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


# ------------------------------------------------------------------------ score SDEs (scoredemo.sde)

_DIFFUSION_SAMPLERS = ("reverse-sde", "pf-ode", "pc")
_DIFFUSION_FLAGS = ("sde", "solver", "rtol", "atol", "snr", "corrector_steps", "t_min")


def _diffusion_args(p: argparse.ArgumentParser) -> None:
    """Flags of the score-SDE samplers (and of `likelihood`); unset (None) means the sde module's default."""
    g = p.add_argument_group("score SDEs (reverse-sde, pf-ode, pc); --init prior (default) or exact-prior")
    g.add_argument("--sde", choices=["ve", "vp"], default=None, help="noise process (ve)")
    g.add_argument("--solver", choices=["euler", "heun", "adaptive"], default=None, help="pf-ode solver (heun)")
    g.add_argument("--rtol", type=_positive, default=None, help="adaptive: relative tolerance (1e-5)")
    g.add_argument("--atol", type=_positive, default=None, help="adaptive: absolute tolerance (1e-5)")
    g.add_argument("--snr", type=_positive, default=None, help="pc: corrector signal-to-noise ratio (0.16)")
    g.add_argument(
        "--corrector-steps", type=_number(int, low=0, high=100), default=None, help="pc: Langevin steps per level (1)"
    )
    g.add_argument("--t-min", type=_number(float, low=0.0, high=0.5), default=None, help="end time (ve 0, vp 1e-3)")


def _likelihood_parser(sub: Any) -> None:
    p = sub.add_parser("likelihood", help="log p(x) by the probability-flow ODE on exact samples, against exact log p")
    _density_args(p)
    p.add_argument("--particles", type=_number(int, low=1, high=100_000), default=1000, help="points x ~ p (1000)")
    p.add_argument("--sigma-max", type=_positive, default=None, help="ve: largest noise level (20)")
    p.add_argument("--sigma-min", type=_positive, default=None, help="ve: smallest noise level (0.01)")
    p.add_argument("--prior", choices=["exact", "textbook"], default="exact", help="log p_1: exact or N(0, σ_max² I)")
    p.add_argument("--seed", type=_number(int, low=0, high=2**31 - 1), required=True)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _diffusion_args(p)


def _langevin_defaults(args: argparse.Namespace) -> None:
    """The Langevin samplers' required flags and defaults (the diffusion flags do not apply to them)."""
    for flag in ("steps", "step_size"):
        if getattr(args, flag) is None:
            raise UsageError(f"--{flag.replace('_', '-')} is required for sampler {args.sampler}")
    given = [f for f in _DIFFUSION_FLAGS if getattr(args, f) is not None]
    if given:
        raise UsageError(
            f"--{given[0].replace('_', '-')} applies only to the samplers {', '.join(_DIFFUSION_SAMPLERS)}"
        )
    if args.init in ("prior", "exact-prior"):
        raise UsageError(f"--init {args.init} applies only to the samplers {', '.join(_DIFFUSION_SAMPLERS)}")
    args.init = args.init or "uniform"
    args.sigma_max = 20.0 if args.sigma_max is None else args.sigma_max
    args.sigma_min = 1.0 if args.sigma_min is None else args.sigma_min


def _diffusion_setup(args: argparse.Namespace, density: Any, target: Any, exact: bool) -> tuple[Any, Any]:
    """(sde, params) from the flags. A learned model must be noise-conditional; its trained σ range is the VE
    default (it was never taught σ outside it)."""
    from scoredemo import sde as sde_mod

    if not exact and not getattr(target, "noise_conditional", False):
        raise UsageError("the score-SDE samplers need a noise-conditional model (--objective ncsn) or --score true")
    kind = args.sde or "ve"
    config = {} if exact else target.config
    sigma_max = args.sigma_max if args.sigma_max is not None else config.get("sigma_max", sde_mod.DEFAULT_SIGMA_MAX)
    sigma_min = args.sigma_min if args.sigma_min is not None else config.get("sigma_min", sde_mod.DEFAULT_SIGMA_MIN)
    sde = sde_mod.make_sde(kind, sigma_min=float(sigma_min), sigma_max=float(sigma_max))
    opts = {"snr": args.snr, "corrector_steps": args.corrector_steps, "rtol": args.rtol, "atol": args.atol}
    params = sde_mod.make_params(kind, t_min=args.t_min, **{k: v for k, v in opts.items() if v is not None})
    return sde, params


def cmd_sample_diffusion(args: argparse.Namespace) -> int:
    """`sample --sampler {reverse-sde,pf-ode,pc}`: t from 1 to t_min in --steps steps (pf-ode adaptive: diffrax)."""
    import jax
    import jax.numpy as jnp

    from scoredemo import metrics
    from scoredemo import sde as sde_mod

    if args.step_size is not None:
        raise UsageError(f"--step-size does not apply to {args.sampler} (it discretises t from 1 to 0 in --steps)")
    if args.init in ("uniform", "data"):
        raise UsageError(f"--init for {args.sampler} is prior or exact-prior, not {args.init}")
    solver = args.solver or ("heun" if args.sampler == "pf-ode" else "euler")
    sde_mod.check_solver(args.sampler, solver)
    steps = 500 if args.steps is None else args.steps
    if steps < 1 and solver != "adaptive":
        raise UsageError("--steps must be >= 1 for the score-SDE samplers")
    density = _density_from(args)
    target, exact = _load_target(args, density)
    sde, params = _diffusion_setup(args, density, target, exact)
    per_step = {"heun": 2}.get(solver, 1) * (1 + int(params.corrector_steps) if args.sampler == "pc" else 1)
    if args.particles * steps * per_step > MAX_PARTICLE_STEPS:
        raise UsageError(f"particles × steps is too large for one run (limit {MAX_PARTICLE_STEPS:g} particle-steps)")

    init = args.init or "prior"
    init_key, run_key, ref_key = jax.random.split(jax.random.key(args.seed), 3)
    x0 = sde_mod.init_position(init_key, sde, args.particles, init=init, mixture=density.mixture)
    frames = _frame_budget(args.particles, args.frames)
    call = (run_key, target, sde, x0, params, jnp.int32(steps))
    t0 = time.perf_counter()
    fn = sde_mod.compiled_run(args.sampler, solver, frames).lower(*call).compile()
    compile_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = jax.block_until_ready(fn(*call))
    sampling_seconds = time.perf_counter() - t0

    samples = np.asarray(result.samples)
    mix = density.mixture
    reference = np.asarray(density.sample(ref_key, min(args.particles, 2000)))
    report = {
        "density": density.name,
        "density_params": dict(density.params),
        "sampler": args.sampler,
        "sde": sde.kind,
        "solver": solver,
        "init": init,
        "score": args.score,
        "steps": None if solver == "adaptive" else steps,
        "solver_steps": int(result.n_steps),
        "nfe": int(result.nfe),
        "finished": bool(result.finished),
        "sigma_max": _f32(sde.sigma_max) if sde.kind == "ve" else None,
        "sigma_min": _f32(sde.sigma_min) if sde.kind == "ve" else None,
        "t_min": _f32(params.t_min),
        "snr": _f32(params.snr) if args.sampler == "pc" else None,
        "corrector_steps": int(params.corrector_steps) if args.sampler == "pc" else None,
        "rtol": _f32(params.rtol) if solver == "adaptive" else None,
        "atol": _f32(params.atol) if solver == "adaptive" else None,
        "seed": args.seed,
        "true_weights": [float(w) for w in density.true_weights] if mix.n_modes > 1 else [],
        "mode_fractions": [float(f) for f in metrics.mode_fractions(mix, samples)] if mix.n_modes > 1 else [],
        "n_particles": int(args.particles),
        "n_finite": int(np.all(np.isfinite(samples), axis=-1).sum()),
        "energy_distance": metrics.energy_distance(samples, reference),
        "frames": frames,
        "compile_seconds": round(compile_seconds, 4),
        "sampling_seconds": round(sampling_seconds, 4),
    }
    if args.out:
        _save_npz(
            args.out,
            samples=samples,
            trajectory=np.asarray(result.trajectory),
            frame_times=np.asarray(result.frame_times),
        )
    if not report["finished"]:
        print("warning: the adaptive solver ran out of steps; loosen --rtol/--atol", file=sys.stderr)
    _print_report(
        args, report, ("density", "sampler", "sde", "solver", "init", "nfe", "true_weights", "mode_fractions")
    )
    return 0


def cmd_likelihood(args: argparse.Namespace) -> int:
    """`likelihood`: mean log p(x) by the probability-flow ODE over exact samples x ~ p, beside the exact mean."""
    import jax

    from scoredemo import sde as sde_mod

    if args.solver not in (None, "adaptive"):
        raise UsageError("likelihood integrates the ODE adaptively: --solver adaptive (or leave it out)")
    if args.snr is not None or args.corrector_steps is not None:
        raise UsageError("--snr and --corrector-steps apply only to the pc sampler")
    density = _density_from(args)
    sde, params = _diffusion_setup(args, density, density.mixture, True)
    x = density.sample(jax.random.key(args.seed), args.particles)
    t0 = time.perf_counter()
    result = jax.block_until_ready(sde_mod.compiled_log_likelihood(args.prior)(density.mixture, sde, x, params, None))
    seconds = time.perf_counter() - t0
    ll = np.asarray(result.log_likelihood, np.float64)
    exact = np.asarray(sde_mod.log_prob(density.mixture, sde, x, params.t_min), np.float64)
    report = {
        "density": density.name,
        "density_params": dict(density.params),
        "sde": sde.kind,
        "prior": args.prior,
        "t_min": _f32(params.t_min),
        "rtol": _f32(params.rtol),
        "atol": _f32(params.atol),
        "seed": args.seed,
        "n_particles": int(args.particles),
        "mean_log_likelihood": float(ll.mean()),
        "exact_mean_log_prob": float(exact.mean()),
        "mean_abs_error": float(np.abs(ll - exact).mean()),
        "max_abs_error": float(np.abs(ll - exact).max()),
        "nfe": int(result.nfe),
        "finished": bool(result.finished),
        "seconds": round(seconds, 4),
    }
    _print_report(args, report, ("density", "sde", "mean_log_likelihood", "exact_mean_log_prob", "mean_abs_error"))
    return 0


def _f32(value: Any) -> float:
    """A float32 setting as the decimal it was given as (7 significant digits)."""
    return float(f"{float(value):.7g}")


def _frame_budget(n_particles: int, n_frames: int) -> int:
    from scoredemo.samplers import frame_budget

    return frame_budget(n_particles, n_frames)


def _print_report(args: argparse.Namespace, report: dict[str, Any], keys: Sequence[str]) -> None:
    if args.json:
        print(json.dumps(_json_safe(report)))
    else:
        for key in keys:
            print(f"{key:>20}: {report[key]}")


COMMANDS = {"densities": cmd_densities, "sample": cmd_sample, "train": cmd_train, "likelihood": cmd_likelihood}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (2 on bad input, with one line on stderr)."""
    try:
        args = _build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (UsageError, ValueError) as err:
        print(f"scoredemo: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scoredemo: interrupted", file=sys.stderr)
        return 130
