"""``sample`` and ``train`` on the 2-D densities: the Langevin family of samplers (ascent, langevin, annealed, mala)
and score matching (:mod:`scoredemo.cli` parses the flags and reports bad ones)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

from scoredemo.cli import (
    DIFFUSION_FLAGS,
    DIFFUSION_SAMPLERS,
    UPDATE_RULE,
    UsageError,
    check_budget,
    check_writable,
    density_from,
    distance_to_exact,
    load_target,
    mode_report,
    print_report,
    require,
    sample_defaults,
    save_npz,
)

#: 2-D defaults of the annealing ladder of ``sample`` (a digits model's file records its own).
SAMPLE_SIGMA_MAX, SAMPLE_SIGMA_MIN, SAMPLE_LEVELS = 20.0, 1.0, 10


def _langevin_defaults(args: argparse.Namespace) -> None:
    """The Langevin samplers' required flags and defaults (the score-SDE flags and starts do not apply to them)."""
    sample_defaults(args, ("particles", "steps", "step_size"))
    given = [f for f in DIFFUSION_FLAGS if getattr(args, f) is not None]
    if given:
        raise UsageError(f"--{given[0].replace('_', '-')} applies only to the samplers {', '.join(DIFFUSION_SAMPLERS)}")
    if args.init in ("prior", "exact-prior"):
        raise UsageError(f"--init {args.init} applies only to the samplers {', '.join(DIFFUSION_SAMPLERS)}")
    args.init = args.init or "uniform"
    for name, value in (("sigma_max", SAMPLE_SIGMA_MAX), ("sigma_min", SAMPLE_SIGMA_MIN), ("levels", SAMPLE_LEVELS)):
        if getattr(args, name) is None:
            setattr(args, name, value)


def cmd_sample(args: argparse.Namespace) -> int:
    """``sample --density D --sampler {ascent,langevin,annealed,mala}``: run it, report (and write) the result."""
    import jax
    import jax.numpy as jnp

    from scoredemo import metrics, samplers

    _langevin_defaults(args)
    density = density_from(args)
    sampler = samplers.get_sampler(args.sampler)
    target, exact = load_target(args, density)
    noise_conditional = bool(getattr(target, "noise_conditional", False))
    if sampler.name == "mala" and not exact:
        raise UsageError("mala needs the exact log-density: use --score true")
    if sampler.annealed and not exact and not noise_conditional:
        raise UsageError("annealed needs a noise-conditional model (train it with --objective ncsn) or --score true")
    if sampler.annealed:
        samplers.check_sigma_range(args.sigma_max, args.sigma_min)
    for path in (args.gif, args.mp4):
        if path is not None:
            check_writable(path)
    check_budget(args.particles * args.steps * (args.levels if sampler.annealed else 1))

    # A noise-conditional model followed at one σ is evaluated at its smallest training level (it was never
    # taught σ = 0); the exact score at σ = 0 is the clean density's. An annealed run takes the ladder instead.
    sigma = float(getattr(target, "config", {}).get("sigma_min", 0.0)) if noise_conditional else 0.0
    sigmas, total = samplers.noise_schedule(
        sampler.name, args.steps, sigma=sigma, sigma_max=args.sigma_max, sigma_min=args.sigma_min, n_levels=args.levels
    )
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
        **mode_report(density, samples),
        "n_particles": int(args.particles),
        "n_finite": int(finite.sum()),
        "diverged_at_step": None if diverged < 0 else diverged,
        "acceptance_rate": float(result.acceptance_rate),
        "energy_distance": distance_to_exact(density, ref_key, samples),
        "within_mode_spread": metrics.within_mode_spread(density.mixture, samples),
        "frames": frames,
        "compile_seconds": round(compile_seconds, 4),
        "sampling_seconds": round(sampling_seconds, 4),
    }
    if args.out:
        save_npz(args.out, samples=samples, trajectory=np.asarray(result.trajectory))
    if args.gif or args.mp4:
        _write_animation(args, density, sampler, result, sigmas)
    if diverged >= 0:
        print(
            f"warning: particles became non-finite at step {diverged} — the step size {args.step_size:g} "
            "is too large for this density; try a smaller --step-size",
            file=sys.stderr,
        )
    keys = ("density", "sampler", "true_weights", "mode_fractions", "n_finite", "diverged_at_step")
    extra = [
        ("energy_distance", f"{report['energy_distance']:.4f}"),
        ("time", f"compile {compile_seconds:.2f} s, sampling {sampling_seconds:.3f} s"),
    ]
    print_report(args, report, keys, width=18, extra=extra)
    return 0


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


def train(args: argparse.Namespace) -> dict[str, Any]:
    """``train --density D``: the report of :func:`scoredemo.training.train_command` (``--steps`` is required)."""
    from scoredemo.training import train_command

    require(args, ("steps",))
    return train_command(args)
