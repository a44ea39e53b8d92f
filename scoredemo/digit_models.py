"""Score models of the real handwritten digits (64-D): train them, sample digits from noise, and score the samples.

The lecture's central demonstration, on data of this machine's size (``scoredemo.digits``: 1 797 images of 8×8
pixels scaled to [0, 1], so x ∈ [0, 1]⁶⁴):

* a **single-σ model** s_θ(x) ≈ ∇ log p_σ(x), trained by denoising score matching (``dsm``) at one small σ, run
  with plain Langevin from noise: the score is learned only near the data, so chains started in the empty space
  around it follow wrong arrows (the lecture: "it just doesn't work");
* a **noise-conditional model** s_θ(x, σ) = f_θ(x, log σ)/σ trained by the NCSN objective (``ncsn``) on a geometric
  ladder σ_1 = σ_max > … > σ_L = σ_min, run with annealed Langevin (Song & Ermon 2019, Algorithm 1): at large σ the
  perturbed density fills the space and its score is learned everywhere; each level hands its samples to the next.

Both use the one update of scoredemo, x ← x + ε·s(x) + √(2ε)·z; annealed Langevin takes ε_i = ε·σ_i²/σ_L² at
level i (NCSN's choice: ε = 2e-5 at σ_L = 0.01, i.e. ε/σ_L² = 0.2).

Architecture (:data:`WIDTH`, :data:`DEPTH`, :data:`ACTIVATION`): an MLP of 3 hidden layers of 512 SiLU units,
64 inputs (65 with log σ), 64 outputs (divided by σ for the noise-conditional model). SiLU rather than softplus
because it measured better: ncsn, 1 000 steps, seed 0, mean loss of the last 500 steps 14.2 (SiLU) vs 16.9
(softplus), and ~25 % faster per step.

Measured on the 2-core development machine while it was shared (load 6-12, this process got ~40 % of the CPU),
so an idle machine is several times faster: 10 000 steps of batch 128 took 306 s for ncsn (final loss 9.1, the
mean over the last 500 steps of ½‖σ·s_θ + z‖² summed over 64 pixels; 32 at s_θ = 0) and 252 s for dsm (loss 5 673
of the ½‖s_θ + z/σ‖² at σ = 0.05; 12 800 at s_θ = 0), plus ~10 s compiling each.

Samples of those two models (seed 0, 500 chains, 1 000 steps each, the defaults below): annealed Langevin
digit_confidence 0.70 ± 0.01, nearest_train_distance 1.38 ± 0.02 (76 % of samples within 1.5 of a real digit);
plain Langevin 0.61 ± 0.01 and 1.91 ± 0.09 (44 % within 1.5; a tail of chains wanders off, max 21). Seed 1 gives
0.71 / 1.43 and 0.61 / 2.13. Run longer, plain Langevin gets lost: 10 000 steps sent chains to |x| ~ 10⁸. The
plain samples are *not* all garbage on 8×8 digits (many look digit-like in a grid); the gap is real but smaller
than the lecture's MNIST pictures suggest.

The checks of a sample (:func:`check_samples`) are :func:`scoredemo.digits.digit_confidence` (the top-class
probability of a logistic regression fitted on the real digits) and :func:`scoredemo.digits.nearest_train_distance`
(Euclidean, in the [0, 1] pixel units). For reference, on this data: a real digit's nearest *other* real digit is
at 1.03 on average, uniform noise on [0, 1]⁶⁴ is at 3.56 and gets confidence 0.59 (the classifier is over-confident
off its data), the real digits themselves get 0.92.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from scoredemo import digits, samplers
from scoredemo.models import LearnedScore
from scoredemo.training import ProgressFn, TrainConfig, TrainResult, train
from scoredemo.types import Array, PRNGKey

#: Network: 3 hidden layers × 512 units, SiLU (see the module docstring).
WIDTH = 512
DEPTH = 3
ACTIVATION = "silu"
#: Training: Adam steps, batch and learning rate (the issue's 10 000 steps of batch 128).
STEPS = 10_000
BATCH = 128
LR = 1e-3
#: dsm: the single small σ of the plain-Langevin model.
DSM_SIGMA = 0.05
#: ncsn: σ_max ≈ the largest distance between two real digits (4.81 in [0, 1] units; NCSNv2's rule), σ_min small,
#: L geometric levels.
SIGMA_MAX = 4.8
SIGMA_MIN = 0.02
LEVELS = 10
#: Sampling defaults: particles, steps (per level for annealed), and ε (for annealed: ε at σ_L, so ε/σ_L² fixes
#: the relative step ε_i/σ_i² at every level; plain Langevin uses the same ratio at the dsm σ).
#: Measured on the 10 000-step models (100 chains): annealed ε = 8e-5 (ratio 0.2) gave nearest distance 1.36,
#: ε = 2e-5 / 4e-5 / 1.5e-4 / 3e-4 gave 1.41 / 1.44 / 1.42 / 1.94; T = 300 instead of 100 gave 1.91 (a few chains
#: run off at the small σ's). Plain Langevin gets the same total, L·T = 1000 steps.
PARTICLES = 100
STEPS_PER_LEVEL = 100
LANGEVIN_STEPS = LEVELS * STEPS_PER_LEVEL
STEP_RATIO = 0.2  # ε/σ² (NCSN: 2e-5 / 0.01²)
FRAMES = 11

DIM = digits.DIM


def train_config(
    objective: str,
    *,
    steps: int = STEPS,
    seed: int = 0,
    sigma: float | None = None,
    sigma_max: float | None = None,
    sigma_min: float | None = None,
    levels: int | None = None,
    **overrides: Any,
) -> TrainConfig:
    """The TrainConfig of a digits model: ``dsm`` (σ default :data:`DSM_SIGMA`) or ``ncsn`` (ladder default
    :data:`SIGMA_MAX` → :data:`SIGMA_MIN` over :data:`LEVELS`), with the digits architecture and batch.

    ``overrides`` are other TrainConfig fields (e.g. width, depth, batch, lr, chunk, ema) for small test runs.
    Raises ValueError for other objectives or invalid values.
    """
    if objective == "dsm":
        if (sigma_max, sigma_min, levels) != (None, None, None):
            raise ValueError("sigma_max, sigma_min and levels apply only to objective ncsn, not 'dsm'")
        noise: dict[str, Any] = {"sigma": DSM_SIGMA if sigma is None else sigma}
    elif objective == "ncsn":
        if sigma is not None:
            raise ValueError("sigma applies only to objective dsm, not 'ncsn'")
        noise = {
            "sigma_max": SIGMA_MAX if sigma_max is None else sigma_max,
            "sigma_min": SIGMA_MIN if sigma_min is None else sigma_min,
            "levels": LEVELS if levels is None else levels,
        }
    else:
        raise ValueError(f"the digits models use objective dsm or ncsn, not {objective!r}")
    options = {"width": WIDTH, "depth": DEPTH, "activation": ACTIVATION, "batch": BATCH, "lr": LR, **overrides}
    return TrainConfig(objective=objective, steps=steps, seed=seed, **noise, **options)


def train_digits(config: TrainConfig, *, progress: ProgressFn | None = None) -> TrainResult:
    """Train ``config`` (see :func:`train_config`) on the 1 797 real digits (minibatches drawn with replacement).

    The returned model is 64-D; its config records ``data="digits"`` and its σ's (``sigma`` for dsm;
    ``sigma_max``, ``sigma_min``, ``levels`` for ncsn), which :func:`sample_digits` uses as defaults.
    """
    result = train(digits.load()[0], config, progress=progress)
    learned = result.learned
    tagged = LearnedScore(learned.graphdef, learned.params, {**learned.config, "data": "digits"})
    return TrainResult(
        tagged, result.loss_curve, result.compile_seconds, result.train_seconds, None, result.steps_done, config
    )


def check_model(learned: LearnedScore) -> None:
    """Raise ValueError (one line) unless ``learned`` scores 64-D digits."""
    dim = learned.dim
    if dim != DIM:
        raise ValueError(f"this model scores {dim}-D data, not the {DIM}-D digits (train one with --data digits)")


def start_positions(rng_key: PRNGKey, n_particles: int) -> Array:
    """(N, 64) float32 uniform noise on [0, 1]⁶⁴: the images every chain starts from."""
    return jax.random.uniform(rng_key, (n_particles, DIM), jnp.float32)


class DigitRun(NamedTuple):
    """What :func:`sample_digits` returns (numpy arrays).

    samples: (N, 64) final images (reshape to (N, 8, 8) to show them). trajectory: (F, N, 64) images at the
    recorded steps frame_steps (F,) (frame 0 = the uniform start). sigmas: the σ ladder used (annealed) or the one
    σ the model was trained at (langevin). step_size: ε (annealed: at σ_L). total_steps: steps run.
    diverged_at: first step after which some pixel was non-finite, −1 if none.
    """

    samples: np.ndarray
    trajectory: np.ndarray
    frame_steps: np.ndarray
    sigmas: np.ndarray
    step_size: float
    total_steps: int
    diverged_at: int


def sample_settings(
    learned: LearnedScore,
    sampler: str,
    *,
    step_size: float | None = None,
    sigma_max: float | None = None,
    sigma_min: float | None = None,
    levels: int | None = None,
) -> tuple[np.ndarray, float]:
    """(σ's, ε) of a run: the model's recorded σ's unless given; ε = :data:`STEP_RATIO`·σ_last² unless given.

    ``langevin`` follows the model at its training σ (dsm: its σ; ncsn: σ_min); ``annealed`` needs a
    noise-conditional model and runs the geometric ladder (default: the one it was trained on).
    """
    spec = samplers.get_sampler(sampler)
    if sampler not in ("langevin", "annealed"):
        raise ValueError(f"digits are sampled with langevin or annealed, not {sampler!r}")
    check_model(learned)
    config = learned.config
    if spec.annealed:
        if not learned.noise_conditional:
            raise ValueError("annealed needs a noise-conditional model (train it with --objective ncsn)")
        sigmas = samplers.geometric_sigmas(
            float(config["sigma_max"] if sigma_max is None else sigma_max),
            float(config["sigma_min"] if sigma_min is None else sigma_min),
            int(config["levels"] if levels is None else levels),
        )
    else:
        if (sigma_max, sigma_min, levels) != (None, None, None):
            raise ValueError("sigma_max, sigma_min and levels apply only to the annealed sampler")
        sigmas = np.array([float(config.get("eval_sigma", 0.0))], np.float32)
    # The default rounded to 6 digits: σ_L is float32, and 0.2·0.02² should read 8e-05, not 7.99999964e-05.
    eps = float(f"{STEP_RATIO * float(sigmas[-1]) ** 2:.6g}") if step_size is None else float(step_size)
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"step size must be a positive number, got {eps!r}")
    return sigmas, eps


def sample_digits(
    learned: LearnedScore,
    sampler: str,
    *,
    seed: int = 0,
    n_particles: int = PARTICLES,
    n_steps: int | None = None,
    step_size: float | None = None,
    sigma_max: float | None = None,
    sigma_min: float | None = None,
    levels: int | None = None,
    n_frames: int = FRAMES,
) -> DigitRun:
    """Sample digits from uniform noise on [0, 1]⁶⁴ with a trained digits model.

    ``langevin``: ``n_steps`` steps (default :data:`LANGEVIN_STEPS`) of x ← x + ε·s_θ(x) + √(2ε)·z at the model's σ.
    ``annealed``: ``n_steps`` = T steps (default :data:`STEPS_PER_LEVEL`) at each of the L levels (L·T in all),
    ε_i = ε·σ_i²/σ_L². σ's and ε: :func:`sample_settings`. The chains
    start at ``start_positions(fold_in(key, 0), N)`` and run with ``fold_in(key, 1)``, key = jax.random.key(seed);
    ``n_frames`` evenly spaced frames are recorded (at most what fits the trajectory budget). One compiled program
    per (sampler, N, frames, architecture); ε, σ's and T are traced.
    """
    sigmas, eps = sample_settings(
        learned, sampler, step_size=step_size, sigma_max=sigma_max, sigma_min=sigma_min, levels=levels
    )
    if n_steps is None:
        n_steps = STEPS_PER_LEVEL if sampler == "annealed" else LANGEVIN_STEPS
    key = jax.random.key(seed)
    x0 = start_positions(jax.random.fold_in(key, 0), n_particles)
    total = int(n_steps) * len(sigmas)
    params = samplers.make_params(eps, noise=1.0, sigmas=sigmas, steps_per_level=n_steps)
    frames = samplers.frame_budget(n_particles, n_frames, DIM)
    result = samplers.compiled_run(sampler, frames)(jax.random.fold_in(key, 1), learned, x0, params, jnp.int32(total))
    return DigitRun(
        samples=np.asarray(result.samples),
        trajectory=np.asarray(result.trajectory),
        frame_steps=np.asarray(result.frame_steps),
        sigmas=np.asarray(sigmas),
        step_size=eps,
        total_steps=total,
        diverged_at=int(result.diverged_at),
    )


def check_samples(samples: np.ndarray) -> dict[str, float | int]:
    """The readable check of generated images (N, 64) or (N, 8, 8): means over the samples of

    digit_confidence (top-class probability of the real-digit classifier; non-finite samples count 0),
    nearest_train_distance (to the nearest real digit, [0, 1] units; over the finite samples, NaN if none), and
    n_finite (samples with every pixel finite).
    """
    flat = np.asarray(samples, np.float64).reshape(-1, DIM)
    finite = np.all(np.isfinite(flat), axis=1)
    dist = digits.nearest_train_distance(flat)
    return {
        "digit_confidence": float(np.mean(digits.digit_confidence(flat))) if len(flat) else float("nan"),
        "nearest_train_distance": float(np.mean(dist[finite])) if finite.any() else float("nan"),
        "n_finite": int(finite.sum()),
    }
