"""Command line: ``python -m scoredemo {densities,sample,train,likelihood,slides}`` (bad input: exit 2, one line).

``sample`` and ``train`` take either ``--density NAME`` (the 2-D toy densities) or ``--data digits`` (the 1 797 real
8×8 handwritten digits in [0, 1]⁶⁴, :mod:`scoredemo.digit_models`); the two are mutually exclusive.

This module is the parser, the dispatch and what the command families share: the one-line error policy
(:class:`UsageError` and the checks that raise it), the target a sampler follows, and the report output. The families:
:mod:`scoredemo.cli_sample` (Langevin samplers and training on the 2-D densities), :mod:`scoredemo.cli_digits`
(``--data digits``) and :mod:`scoredemo.cli_sde` (the score-SDE samplers and ``likelihood``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
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
from scoredemo.sde import DIFFUSION_SAMPLERS

UPDATE_RULE = "x <- x + eps*s(x) + sqrt(2*eps)*z,  z ~ N(0, I)   (ascent: the same without the noise term)"

#: The real data sets of ``--data``.
DATA_SETS = ("digits",)
#: The score-SDE samplers' own flags (see :func:`_diffusion_args`): refused by the Langevin samplers.
DIFFUSION_FLAGS = ("sde", "solver", "rtol", "atol", "snr", "corrector_steps", "t_min")

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

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        # `--flag=--`: argparse without the fix of CPython gh-109475 (early 2024; this venv's 3.11.7 lacks it) drops
        # the '--' as if it ended the options and stores [] without calling the flag's type, so no check ever sees
        # it. Refuse it as `--flag --` is refused.
        for action in self._actions:
            if action.option_strings and action.nargs is None and getattr(namespace, action.dest, None) == []:
                self.error(f"argument {'/'.join(action.option_strings)}: expected one argument")
        return namespace, extras


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
_seed = _number(int, low=0, high=2**31 - 1)


# ------------------------------------------------------------------------------------------------- parser


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m scoredemo",
        description=f"Score-based generative models, exactly. Update rule: {UPDATE_RULE}",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("densities", help="list the registered densities")
    sub.add_parser("pack", help="build the app's lecture pack (see scoredemo.app.pack_cli)", add_help=False)

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
    s.add_argument("--seed", type=_seed, required=True)
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
    t.add_argument("--seed", type=_seed, required=True)
    t.add_argument("--out", required=True, help="where to save the model")
    t.add_argument("--json", action="store_true", help="print one JSON object")
    from scoredemo import cli_slides  # noqa: PLC0415 - it imports this module

    cli_slides.add_parser(sub)
    return parser


def _density_args(p: argparse.ArgumentParser) -> None:
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--density", help="a name from `python -m scoredemo densities`")
    source.add_argument("--data", help=f"a real data set instead of a density: {', '.join(DATA_SETS)}")
    p.add_argument("--pi", type=float, default=None, help="weight of the first mode, in (0, 1)")
    p.add_argument("--thickness", type=float, default=None, help="ring thickness w")


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
    p.add_argument("--seed", type=_seed, required=True)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _diffusion_args(p)


# ------------------------------------------------------------------- shared checks (each raises UsageError)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def require(args: argparse.Namespace, names: Sequence[str]) -> None:
    """The 2-D commands' required options (optional with --data, which has defaults for them)."""
    missing = [_flag(n) for n in names if getattr(args, n, None) is None]
    if missing:
        what = f"sampler {args.sampler}" if getattr(args, "sampler", None) else "--density"
        raise UsageError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required for {what}")


def refuse(args: argparse.Namespace, names: Sequence[str], where: str) -> None:
    """Options that have no meaning with ``where`` are refused, never silently ignored."""
    given = [_flag(n) for n in names if getattr(args, n, None) is not None]
    if given:
        raise UsageError(f"{given[0]} does not apply to {where}")


def check_data(args: argparse.Namespace) -> None:
    """``--data``: a known data set, and no density parameters."""
    if args.data not in DATA_SETS:
        raise UsageError(f"unknown data set {args.data!r}; choose one of: {', '.join(DATA_SETS)}")
    refuse(args, ("pi", "thickness"), f"--data {args.data} (they are density parameters)")


def check_budget(particle_steps: int) -> None:
    """One run's work is bounded: particles × steps (× levels or evaluations per step) ≤ MAX_PARTICLE_STEPS."""
    if particle_steps > MAX_PARTICLE_STEPS:
        raise UsageError(f"particles × steps is too large for one run (limit {MAX_PARTICLE_STEPS:g} particle-steps)")


def check_writable(path: str) -> None:
    """Before a run: a typo in an output path should not cost the sampling time."""
    target = os.path.abspath(path)
    if os.path.isdir(target):
        raise UsageError(f"cannot write {path!r}: it is a directory")
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise UsageError(f"cannot write {path!r}: no directory {parent!r}")
    if not os.access(parent, os.W_OK) or (os.path.exists(target) and not os.access(target, os.W_OK)):
        raise UsageError(f"cannot write {path!r}: permission denied")


# ---------------------------------------------------------------------------------- shared targets and output


def density_from(args: argparse.Namespace):
    """The ``--density`` with its ``--pi`` / ``--thickness`` (the registry's ValueError names the valid ones)."""
    from scoredemo.densities import make_density

    params = {"pi": args.pi, "thickness": args.thickness}
    return make_density(args.density, **params)


def load_target(args: argparse.Namespace, density: Any) -> tuple[Any, bool]:
    """The sampler target: the exact mixture, or a learned 2-D model. Returns (target, is_exact)."""
    if args.score == "true":
        return density.mixture, True
    from scoredemo.models import load_model

    learned = load_model(args.score)
    if learned.dim != 2:
        raise UsageError(f"model file {args.score!r} scores {learned.dim}-D data; --density needs a 2-D model")
    return learned, False


def mode_report(density: Any, samples: np.ndarray) -> dict[str, list[float]]:
    """A 2-D run's true_weights and mode_fractions (the share of the samples nearest each mode; both empty for a
    density with one mode)."""
    from scoredemo import metrics

    mix = density.mixture
    if mix.n_modes <= 1:
        return {"true_weights": [], "mode_fractions": []}
    return {
        "true_weights": [float(w) for w in density.true_weights],
        "mode_fractions": [float(f) for f in metrics.mode_fractions(mix, samples)],
    }


def distance_to_exact(density: Any, rng_key: Any, samples: np.ndarray) -> float:
    """The energy distance between the samples and min(N, 2000) exact samples of p drawn with ``rng_key``."""
    from scoredemo import metrics

    reference = np.asarray(density.sample(rng_key, min(len(samples), 2000)))
    return metrics.energy_distance(samples, reference)


def save_npz(path: str, **arrays: np.ndarray) -> None:
    try:
        np.savez(path, **arrays)
    except OSError as err:
        raise UsageError(f"cannot write {path!r}: {err.strerror or err}") from None


def json_safe(obj: Any) -> Any:
    """Replace NaN/inf (not valid JSON) by None, recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def print_report(
    args: argparse.Namespace,
    report: dict[str, Any],
    keys: Sequence[str],
    *,
    width: int = 20,
    extra: Sequence[tuple[str, Any]] = (),
) -> None:
    """``--json``: the whole report as one JSON object; otherwise ``keys`` (then the ``extra`` (label, text) lines)
    one a line, right-aligned to ``width``."""
    if args.json:
        print(json.dumps(json_safe(report)))
        return
    for key, text in [*((k, report[k]) for k in keys), *extra]:
        print(f"{key:>{width}}: {text}")


# ----------------------------------------------------------------------------------------------- dispatch


def cmd_densities(args: argparse.Namespace) -> int:
    from scoredemo.densities import DENSITIES

    width = max(map(len, DENSITIES))
    for name, spec in DENSITIES.items():
        params = ", ".join(f"{k}={p.default:g}" for k, p in spec.params.items())
        print(f"{name:<{width}}  {spec.description}" + (f"  [{params}]" if params else ""))
    return 0


def sample_defaults(args: argparse.Namespace, required: Sequence[str]) -> None:
    """``sample --density``: the exact score and 2 recorded frames unless given; ``required`` must be given."""
    args.score = args.score or "true"
    args.frames = args.frames or 2
    require(args, required)


def _family(args: argparse.Namespace) -> Any:
    """The module that runs this command: the score SDEs (``likelihood`` and their samplers), the digits
    (``--data``) or the 2-D Langevin samplers and training. Imported here, not at the top: they import this module."""
    if args.command == "likelihood":
        from scoredemo import cli_sde as family
    elif args.data is not None:
        from scoredemo import cli_digits as family
    elif args.command == "sample" and args.sampler in DIFFUSION_SAMPLERS:
        from scoredemo import cli_sde as family
    else:
        from scoredemo import cli_sample as family
    return family


def cmd_train(args: argparse.Namespace) -> int:
    """``train``: the family trains and saves the model and returns its report; both families print the same keys."""
    report = _family(args).train(args)
    keys = ("objective", "final_loss", "weighted_rel_error", "low_density_rel_error", "train_seconds")
    print_report(args, report, [k for k in keys if k in report], width=22, extra=[("model", args.out)])
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.command == "densities":
        return cmd_densities(args)
    if args.command == "train":
        return cmd_train(args)
    if args.command == "slides":
        from scoredemo import cli_slides  # noqa: PLC0415 - it imports this module

        return cli_slides.cmd_slides(args)
    return getattr(_family(args), f"cmd_{args.command}")(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (2 on bad input, with one line on stderr)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["pack"]:  # the app's command (its own options): imported only here, the engine imports no app
        from scoredemo.app.pack_cli import main as pack_main

        return pack_main(argv[1:])
    try:
        return _run(_build_parser().parse_args(argv))
    except (UsageError, ValueError) as err:
        print(f"scoredemo: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scoredemo: interrupted", file=sys.stderr)
        return 130
