"""Score SDEs (:mod:`scoredemo.sde`) on the 2-D densities: ``sample --sampler {reverse-sde,pf-ode,pc}`` and
``likelihood``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

from scoredemo.cli import (
    UsageError,
    check_budget,
    density_from,
    distance_to_exact,
    load_target,
    mode_report,
    print_report,
    sample_defaults,
    save_npz,
)


def _diffusion_setup(args: argparse.Namespace, target: Any, exact: bool) -> tuple[Any, Any]:
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


def cmd_sample(args: argparse.Namespace) -> int:
    """`sample --sampler {reverse-sde,pf-ode,pc}`: t from 1 to t_min in --steps steps (pf-ode adaptive: diffrax)."""
    import jax
    import jax.numpy as jnp

    from scoredemo import sde as sde_mod
    from scoredemo.samplers import frame_budget

    # They discretise t from 1 to 0: no --step-size, their own σ and start defaults.
    sample_defaults(args, ("particles",))
    if args.step_size is not None:
        raise UsageError(f"--step-size does not apply to {args.sampler} (it discretises t from 1 to 0 in --steps)")
    if args.init in ("uniform", "data"):
        raise UsageError(f"--init for {args.sampler} is prior or exact-prior, not {args.init}")
    solver = args.solver or ("heun" if args.sampler == "pf-ode" else "euler")
    sde_mod.check_solver(args.sampler, solver)
    steps = 500 if args.steps is None else args.steps
    if steps < 1 and solver != "adaptive":
        raise UsageError("--steps must be >= 1 for the score-SDE samplers")
    density = density_from(args)
    target, exact = load_target(args, density)
    sde, params = _diffusion_setup(args, target, exact)
    per_step = {"heun": 2}.get(solver, 1) * (1 + int(params.corrector_steps) if args.sampler == "pc" else 1)
    check_budget(args.particles * steps * per_step)

    init = args.init or "prior"
    init_key, run_key, ref_key = jax.random.split(jax.random.key(args.seed), 3)
    x0 = sde_mod.init_position(init_key, sde, args.particles, init=init, mixture=density.mixture)
    frames = frame_budget(args.particles, args.frames)
    call = (run_key, target, sde, x0, params, jnp.int32(steps))
    t0 = time.perf_counter()
    fn = sde_mod.compiled_run(args.sampler, solver, frames).lower(*call).compile()
    compile_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = jax.block_until_ready(fn(*call))
    sampling_seconds = time.perf_counter() - t0

    samples = np.asarray(result.samples)
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
        **mode_report(density, samples),
        "n_particles": int(args.particles),
        "n_finite": int(np.all(np.isfinite(samples), axis=-1).sum()),
        "energy_distance": distance_to_exact(density, ref_key, samples),
        "frames": frames,
        "compile_seconds": round(compile_seconds, 4),
        "sampling_seconds": round(sampling_seconds, 4),
    }
    if args.out:
        save_npz(
            args.out,
            samples=samples,
            trajectory=np.asarray(result.trajectory),
            frame_times=np.asarray(result.frame_times),
        )
    if not report["finished"]:
        print("warning: the adaptive solver ran out of steps; loosen --rtol/--atol", file=sys.stderr)
    print_report(args, report, ("density", "sampler", "sde", "solver", "init", "nfe", "true_weights", "mode_fractions"))
    return 0


def cmd_likelihood(args: argparse.Namespace) -> int:
    """`likelihood`: mean log p(x) by the probability-flow ODE over exact samples x ~ p, beside the exact mean."""
    import jax

    from scoredemo import sde as sde_mod

    if args.solver not in (None, "adaptive"):
        raise UsageError("likelihood integrates the ODE adaptively: --solver adaptive (or leave it out)")
    if args.snr is not None or args.corrector_steps is not None:
        raise UsageError("--snr and --corrector-steps apply only to the pc sampler")
    density = density_from(args)
    sde, params = _diffusion_setup(args, density.mixture, True)
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
    print_report(args, report, ("density", "sde", "mean_log_likelihood", "exact_mean_log_prob", "mean_abs_error"))
    return 0


def _f32(value: Any) -> float:
    """A float32 setting as the decimal it was given as (7 significant digits)."""
    return float(f"{float(value):.7g}")
