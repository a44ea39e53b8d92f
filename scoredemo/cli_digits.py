"""``sample --data digits`` and ``train --data digits``: score models of the 1 797 real 8×8 digits
(:mod:`scoredemo.digit_models`; the defaults are in :data:`scoredemo.cli.DIGITS_SAMPLE_HELP` and
:data:`scoredemo.cli.DIGITS_TRAIN_HELP`)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

from scoredemo.cli import UPDATE_RULE, UsageError, check_budget, check_data, print_report, refuse, save_npz


def cmd_sample(args: argparse.Namespace) -> int:
    """``sample --data digits``: a digits model from noise; reports the digit checks (see DIGITS_SAMPLE_HELP)."""
    check_data(args)
    refuse(args, ("init", "init_box"), "--data digits (chains start from uniform noise on [0, 1]^64)")
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
        refuse(args, tuple(noise), "--sampler langevin (it follows the model at its own sigma)")
        noise = {}
    sigmas, eps = dm.sample_settings(learned, args.sampler, step_size=args.step_size, **noise)
    check_budget(particles * steps * len(sigmas))
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
        save_npz(
            args.out,
            samples=run.samples.reshape(-1, *side),
            trajectory=run.trajectory.reshape(*run.trajectory.shape[:2], *side),
            frame_steps=run.frame_steps,
        )
    if run.diverged_at >= 0:
        print(
            f"warning: images became non-finite at step {run.diverged_at}; try a smaller --step-size", file=sys.stderr
        )
    keys = ("data", "sampler", "step_size", "total_steps", "n_finite", "digit_confidence", "nearest_train_distance")
    time_line = f"compile {compile_seconds:.2f} s, sampling {sampling_seconds:.3f} s"
    print_report(args, report, keys, width=22, extra=[("time", time_line)])
    return 0


def train(args: argparse.Namespace) -> dict[str, Any]:
    """``train --data digits``: the report of a digits model trained and saved (see DIGITS_TRAIN_HELP)."""
    check_data(args)
    refuse(args, ("data_size",), "--data digits (the data set is the 1797 real digits)")
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
