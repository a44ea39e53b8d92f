"""Training score networks: a jitted, chunked ``lax.scan`` of Adam steps on a score-matching objective.

One step (t = 0, 1, …, with key_t = fold_in(key, t), so a run is a deterministic function of the seed):

    x      ~ p (``batch`` fresh exact samples), or a minibatch drawn with replacement from a fixed data set
             (``data_size`` samples drawn once from the density, or an (n, D) array such as the digits)
    g      = ∇_θ loss(s_θ, key_t, x, σ's)              (an objective from :mod:`scoredemo.objectives`)
    θ      ← θ − lr · Adam(g)                           (optax.scale_by_adam, then the traced learning rate)
    θ̄      ← d_t·θ̄ + (1 − d_t)·θ                        (weight average, d_t = min(ema, (1+t)/(10+t)))

The returned network has the averaged weights θ̄ (NCSNv2's exponential moving average, ema = 0.999 by default;
ema = 0 returns the last iterate θ). With a constant learning rate the last iterate keeps jittering around the
optimum; the average removes most of that SGD noise (on a Gaussian it cuts the relative score error ~10×, and it
makes annealed Langevin's recovered mode weights far less seed-dependent). The loss curve is that of θ.

Design (fast on two CPU cores, no recompiles while exploring):

* The network is split once with ``nnx.split`` into a static graph definition and a parameter pytree; the scan
  carries pure (params, opt_state) and ``nnx.merge`` rebuilds the module inside the loss. This is the functional
  form of ``nnx.Optimizer(model, tx, wrt=nnx.Param)`` + ``optimizer.update(model, grads)`` (flax ≥ 0.11) with
  nothing stateful inside the compiled loop.
* Steps run in chunks of ``chunk`` steps per compiled call, so a caller can report progress and stop early. The
  chunk length is fixed; the last chunk skips its surplus steps with ``lax.cond`` (no second program).
* The learning rate, the σ's, the density's parameters (a :class:`~scoredemo.densities.Mixture` pytree) and
  the data set are traced arguments. A program depends only on the static settings (objective, projections,
  width, depth, batch, chunk, fresh-vs-fixed data) and on shapes; fixed data sets are padded to a power of two
  so nearby sizes share one program. Compiled programs are cached (``functools.lru_cache``), so training
  twice with the same shapes compiles once; nothing is compiled at import.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from scoredemo import limits, metrics
from scoredemo.densities import Density, Mixture, make_density
from scoredemo.models import LearnedScore, _check_arch, init_model, save_model
from scoredemo.objectives import OBJECTIVES, check_options, get_objective, make_loss
from scoredemo.samplers import check_sigma_range, geometric_sigmas
from scoredemo.types import Array

#: Defaults of the noise settings when left unset (None): dsm's σ; ncsn's ladder is the NCSN toy's 20 → 1, L = 10.
DEFAULT_SIGMA = 0.1
DEFAULT_SIGMA_MAX = 20.0
DEFAULT_SIGMA_MIN = 1.0
DEFAULT_LEVELS = 10

#: Points of the loss curve reported by :func:`train_command` (the full curve is in TrainResult).
CURVE_POINTS = 200

#: progress(step_done, total_steps, loss_curve_so_far) -> False to stop early (None/True: continue).
ProgressFn = Callable[[int, int, np.ndarray], "bool | None"]


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (validated on construction; bad values raise ValueError).

    objective: a name in :data:`~scoredemo.objectives.OBJECTIVES`.
    steps: Adam steps. batch: examples per step. lr: Adam learning rate.
    width, depth, activation: the MLP (``depth`` hidden layers of ``width`` units, "softplus" or "silu"). Its
        dimension D is the data's (2 for a density, the array's columns otherwise), so it is not a setting.
    sigma: dsm only, the noise level σ (None: 0.1).
    sigma_max, sigma_min, levels: ncsn only, the geometric ladder σ_1 > … > σ_L (None: 20, 1, 10).
    data_size: None for fresh exact samples every step; n for a fixed data set of n samples (drawn once from the
        seed) that minibatches are drawn from with replacement.
    n_projections, projection: ssm / ssm-vr, directions v per example and their law ("gaussian"/"rademacher").
    seed: the run's only randomness (initialisation, data, objective noise).
    chunk: steps per compiled call (progress is reported and early stopping checked between chunks).
    ema: 0 to return the last iterate; d in (0, 1) to return an exponential moving average of the weights with
        decay d (NCSNv2's 0.999 smooths out the SGD noise of the last steps).
    """

    objective: str
    steps: int = 2000
    batch: int = 128
    lr: float = 1e-3
    width: int = 128
    depth: int = 3
    activation: str = "softplus"
    sigma: float | None = None
    sigma_max: float | None = None
    sigma_min: float | None = None
    levels: int | None = None
    data_size: int | None = None
    n_projections: int = 1
    projection: str = "gaussian"
    seed: int = 0
    chunk: int = 250
    ema: float = 0.999

    def __post_init__(self) -> None:
        spec = get_objective(self.objective)
        max_steps, max_batch = limits.MAX_TRAIN_STEPS, limits.MAX_BATCH
        if not _is_int(self.steps) or not 1 <= self.steps <= max_steps:
            raise ValueError(f"steps must be an integer in [1, {max_steps}], got {self.steps!r}")
        if not _is_int(self.batch) or not 1 <= self.batch <= max_batch:
            raise ValueError(f"batch must be an integer in [1, {max_batch}], got {self.batch!r}")
        if not _is_number(self.lr) or not (math.isfinite(self.lr) and 0 < self.lr <= 10):
            raise ValueError(f"lr must be a number in (0, 10], got {self.lr!r}")
        _check_arch(self.width, self.depth, 2, self.activation)
        if spec.needs != "sigma" and self.sigma is not None:
            raise ValueError(f"sigma applies only to objective dsm, not {self.objective!r}")
        if spec.needs != "sigmas" and (self.sigma_max, self.sigma_min, self.levels) != (None, None, None):
            raise ValueError(f"sigma_max, sigma_min and levels apply only to objective ncsn, not {self.objective!r}")
        for name in ("sigma", "sigma_max", "sigma_min"):
            value = getattr(self, name)
            if value is not None and (
                not _is_number(value) or not (math.isfinite(value) and 0 < value <= limits.MAX_SIGMA)
            ):
                raise ValueError(f"{name} must be a number in (0, {limits.MAX_SIGMA:g}], got {value!r}")
        max_levels, max_data = limits.MAX_LEVELS, limits.MAX_DATA_SIZE
        if self.levels is not None and (not _is_int(self.levels) or not 1 <= self.levels <= max_levels):
            raise ValueError(f"levels must be an integer in [1, {max_levels}], got {self.levels!r}")
        if spec.needs == "sigmas":
            check_sigma_range(
                DEFAULT_SIGMA_MAX if self.sigma_max is None else self.sigma_max,
                DEFAULT_SIGMA_MIN if self.sigma_min is None else self.sigma_min,
            )
        if self.data_size is not None and (not _is_int(self.data_size) or not 1 <= self.data_size <= max_data):
            raise ValueError(f"data_size must be None or an integer in [1, {max_data}], got {self.data_size!r}")
        check_options("ssm", n_projections=self.n_projections, projection=self.projection)
        if not _is_int(self.seed) or not 0 <= self.seed < 2**32:
            raise ValueError(f"seed must be an integer in [0, 2^32), got {self.seed!r}")
        if not _is_number(self.ema) or not 0 <= self.ema < 1:
            raise ValueError(f"ema must be a number in [0, 1), got {self.ema!r}")
        if not _is_int(self.chunk) or not 1 <= self.chunk <= limits.MAX_CHUNK:
            raise ValueError(f"chunk must be an integer in [1, {limits.MAX_CHUNK}], got {self.chunk!r}")

    @property
    def sigmas(self) -> np.ndarray:
        """The traced noise levels handed to the loss: (σ,) for dsm, the geometric ladder for ncsn, (0,) else."""
        needs = OBJECTIVES[self.objective].needs
        if needs == "sigma":
            return np.array([DEFAULT_SIGMA if self.sigma is None else self.sigma], np.float32)
        if needs == "sigmas":
            return geometric_sigmas(
                DEFAULT_SIGMA_MAX if self.sigma_max is None else self.sigma_max,
                DEFAULT_SIGMA_MIN if self.sigma_min is None else self.sigma_min,
                DEFAULT_LEVELS if self.levels is None else self.levels,
            )
        return np.zeros(1, np.float32)

    @property
    def eval_sigma(self) -> float:
        """The σ whose perturbed density p_σ the model's score should match (0: the data density itself).

        dsm: its σ. ncsn: σ_L = sigma_min (the smallest level; the model was never trained at σ = 0).
        """
        needs = OBJECTIVES[self.objective].needs
        return float(self.sigmas[-1]) if needs in ("sigma", "sigmas") else 0.0

    def loss_options(self) -> tuple[tuple[str, Any], ...]:
        opts = {"n_projections": self.n_projections, "projection": self.projection}
        return tuple((k, opts[k]) for k in OBJECTIVES[self.objective].options)


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns.

    learned: the trained network (a sampling target). loss_curve: (steps_done,) one loss per step (float64).
    compile_seconds: time spent compiling (0 when the program was cached). train_seconds: time in training chunks.
    data: (n, D) the fixed data set (``data_size`` samples, or the array given), else None. steps_done:
    < config.steps when stopped early. config: the run's TrainConfig. reference_curve: (steps_done,) the same
    objective evaluated with the exact score (of p, or of p_σ at the objective's σ's) on the same minibatch and the
    same random v / z, per step: an unbiased estimate of the objective's floor, so loss_curve − reference_curve
    estimates what the model can still gain (½E‖s_θ − s‖² for esm) with far less minibatch noise than loss_curve
    minus the floor (dsm at σ = 0.1 has a floor near 100 and a per-step noise of ±9; the gap it can close is about
    1). Without an exact density (a data array) it is None.
    """

    learned: LearnedScore
    loss_curve: np.ndarray
    compile_seconds: float
    train_seconds: float
    data: np.ndarray | None
    steps_done: int
    config: TrainConfig
    reference_curve: np.ndarray | None = None

    @property
    def stopped_early(self) -> bool:
        return self.steps_done < self.config.steps


def _padded_size(n: int) -> int:
    """Data sets are padded to a power of two (≥ 64) so nearby sizes share one compiled program."""
    return max(64, 1 << (n - 1).bit_length())


@functools.lru_cache(maxsize=16)
def _chunk_fn(
    objective: str,
    loss_options: tuple[tuple[str, Any], ...],
    dim: int,
    width: int,
    depth: int,
    activation: str,
    batch: int,
    chunk: int,
    fixed_data: bool,
    with_reference: bool = True,
) -> Callable[..., Any]:
    """The jitted chunk of ``chunk`` training steps for one static configuration (built on first use).

    fn(state, step0, n_steps, rng_key, mixture, data, n_data, sigmas, lr, ema) -> (state, (losses, references)),
    references being the loss of the exact score (``mixture.score``) on the same batch and keys; with
    state = (params, opt_state, ema_params), runs steps t = step0 … step0 + chunk − 1, skipping those with
    t ≥ n_steps (their loss is NaN). The weight average is ema_params ← d_t·ema_params + (1 − d_t)·params with
    d_t = min(ema, (1 + t)/(10 + t)) (the warm-up keeps early averages from remembering the initialisation).
    """
    spec = get_objective(objective)
    loss = make_loss(objective, **dict(loss_options))
    graphdef = init_model(
        0, dim=dim, width=width, depth=depth, noise_conditional=spec.noise_conditional, activation=activation
    ).graphdef
    tx = optax.scale_by_adam()

    def fn(state, step0, n_steps, rng_key, mixture, data, n_data, sigmas, lr, ema):
        def one(state, t):
            def step(state):
                params, opt_state, ema_params = state
                data_key, loss_key = jax.random.split(jax.random.fold_in(rng_key, t))
                if fixed_data:
                    x = data[jax.random.randint(data_key, (batch,), 0, n_data)]
                else:
                    x = mixture.sample(data_key, batch)

                def objective_of(p):
                    return loss(nnx.merge(graphdef, p), loss_key, x, sigmas)

                value, grads = jax.value_and_grad(objective_of)(params)
                # the floor needs the exact density; a data array (the digits) has none
                reference = loss(_exact_score(mixture), loss_key, x, sigmas) if with_reference else jnp.nan
                updates, opt_state = tx.update(grads, opt_state, params)
                params = jax.tree.map(lambda p, u: p - lr * u, params, updates)
                decay = jnp.minimum(ema, (1.0 + t) / (10.0 + t))
                ema_params = jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, ema_params, params)
                return (params, opt_state, ema_params), (value, reference)

            nan = jnp.full((), jnp.nan, jnp.float32)
            skip = lambda state: (state, (nan, nan))
            return jax.lax.cond(t < n_steps, step, skip, state)

        return jax.lax.scan(one, state, step0 + jnp.arange(chunk))

    return jax.jit(fn)


def _exact_score(mixture: Mixture) -> Callable[[Array, Array], Array]:
    """The exact score in the objectives' ``score_fn(x, sigma)`` form: σ a scalar or one σ per row (ncsn)."""

    def score_fn(x: Array, sigma: Array) -> Array:
        sigma = jnp.broadcast_to(jnp.asarray(sigma, x.dtype), x.shape[:1])
        return jax.vmap(lambda xi, si: mixture.score(xi[None], si)[0])(x, sigma)

    return score_fn


def _signature(args: tuple) -> tuple:
    """Hashable (tree structure, ((shape, dtype), …)) of a call's arguments: what a compiled program fixes."""
    leaves, treedef = jax.tree.flatten(args)
    return treedef, tuple((tuple(np.shape(x)), x.dtype) for x in leaves)


@functools.lru_cache(maxsize=16)
def _compiled_chunk(static: tuple, signature: tuple) -> Any:
    """The AOT-compiled chunk program for a static configuration and an argument signature (cached)."""
    treedef, specs = signature
    abstract = jax.tree.unflatten(treedef, [jax.ShapeDtypeStruct(shape, dtype) for shape, dtype in specs])
    return _chunk_fn(*static).lower(*abstract).compile()


def _compile(static: tuple, args: tuple) -> tuple[Any, float]:
    """(compiled program, seconds spent compiling: 0 when it came from the cache)."""
    signature = _signature(args)
    misses = _compiled_chunk.cache_info().misses
    t0 = time.perf_counter()
    compiled = _compiled_chunk(static, signature)
    seconds = time.perf_counter() - t0
    return compiled, (seconds if _compiled_chunk.cache_info().misses > misses else 0.0)


def _as_mixture(density: Density | Mixture) -> Mixture:
    return density.mixture if isinstance(density, Density) else density


def _as_data_array(data: Any) -> np.ndarray:
    """A fixed data set given as an array: (n, D) float32, finite, n ≥ 1 (ValueError otherwise)."""
    arr = np.asarray(data, np.float32)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"a data array must have shape (n, D) with n, D >= 1, got {arr.shape}")
    if arr.shape[0] > limits.MAX_DATA_SIZE:
        raise ValueError(f"a data array may hold at most {limits.MAX_DATA_SIZE} rows, got {arr.shape[0]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("a data array must be finite")
    return arr


def train(
    density: Density | Mixture | np.ndarray, config: TrainConfig, *, progress: ProgressFn | None = None
) -> TrainResult:
    """Train a score network on ``density`` (or a data array) with ``config`` (see the module docstring).

    Args:
        density: a :class:`~scoredemo.densities.Density` or its :class:`~scoredemo.densities.Mixture`; fresh
            exact samples are drawn from it every step, or once (``config.data_size``) for a fixed data set.
            Or an (n, D) array (e.g. :func:`scoredemo.digits.load`'s images): a fixed data set that minibatches
            of ``config.batch`` rows are drawn from with replacement; the network then has dimension D and
            ``config.data_size`` must be None (the array is the data set).
        config: a validated :class:`TrainConfig`.
        progress: called after every chunk as ``progress(step_done, total_steps, loss_curve_so_far)``;
            returning False stops training (the result then holds the steps done so far).

    Keys: key = jax.random.key(seed); initialisation fold_in(key, 0), step t fold_in(fold_in(key, 1), t), the fixed
    data set fold_in(key, 2). Same seed and config → the same weights and loss curve.
    """
    if not isinstance(config, TrainConfig):
        raise ValueError("config must be a TrainConfig")
    array = None if isinstance(density, Density | Mixture) else _as_data_array(density)
    if array is not None and config.data_size is not None:
        raise ValueError("data_size applies to a density; a data array is the fixed data set itself")
    mixture = None if array is not None else _as_mixture(density)
    dim = 2 if array is None else array.shape[1]
    spec = get_objective(config.objective)
    key = jax.random.key(config.seed)
    sigmas = config.sigmas
    info: dict[str, Any] = {
        "objective": config.objective,
        "sigmas": [float(s) for s in sigmas] if spec.needs != "none" else [],
        "eval_sigma": config.eval_sigma,
        "steps": config.steps,
        "seed": config.seed,
        "ema": config.ema,
    }
    if array is not None:
        info["data_size"] = int(array.shape[0])
    if spec.needs == "sigmas":
        info.update(sigma_max=float(sigmas[0]), sigma_min=float(sigmas[-1]), levels=len(sigmas))
    if spec.needs == "sigma":
        info["sigma"] = float(sigmas[0])
    if isinstance(density, Density):
        info.update(density=density.name, density_params=dict(density.params))
    learned = init_model(
        jax.random.fold_in(key, 0),
        dim=dim,
        width=config.width,
        depth=config.depth,
        noise_conditional=spec.noise_conditional,
        activation=config.activation,
        **info,
    )
    params = learned.params
    opt_state = optax.scale_by_adam().init(params)

    data_np = None
    if array is None and config.data_size is None:
        data, n_data, mix_arg = None, jnp.int32(0), mixture
    else:
        data_np = array
        if data_np is None:
            data_np = np.asarray(mixture.sample(jax.random.fold_in(key, 2), config.data_size))
        n = data_np.shape[0]
        padded = np.zeros((_padded_size(n), dim), np.float32)
        padded[:n] = data_np
        data, n_data, mix_arg = jnp.asarray(padded), jnp.int32(n), mixture  # the mixture for the reference loss

    static = (
        config.objective,
        config.loss_options(),
        dim,
        config.width,
        config.depth,
        config.activation,
        config.batch,
        config.chunk,
        data_np is not None,
        mixture is not None,
    )
    step_key = jax.random.fold_in(key, 1)
    total = jnp.int32(config.steps)
    sig = jnp.asarray(sigmas, jnp.float32)
    lr = jnp.float32(config.lr)

    ema = jnp.float32(config.ema)
    state = (params, opt_state, params)

    def call_args(step0: int) -> tuple:
        return (state, jnp.int32(step0), total, step_key, mix_arg, data, n_data, sig, lr, ema)

    compiled, compile_seconds = _compile(static, call_args(0))

    losses: list[np.ndarray] = []
    references: list[np.ndarray] = []
    done = 0
    t0 = time.perf_counter()
    while done < config.steps:
        state, (chunk_losses, chunk_refs) = compiled(*call_args(done))
        n_run = min(config.chunk, config.steps - done)
        losses.append(np.asarray(chunk_losses, np.float64)[:n_run])
        references.append(np.asarray(chunk_refs, np.float64)[:n_run])
        done += n_run
        if progress is not None and done < config.steps:
            if progress(done, config.steps, np.concatenate(losses)) is False:
                break
    jax.block_until_ready(state)
    train_seconds = time.perf_counter() - t0
    curve = np.concatenate(losses) if losses else np.zeros(0)
    if progress is not None and done == config.steps:
        progress(done, config.steps, curve)
    return TrainResult(
        learned=learned.replace(state[2] if config.ema > 0 else state[0]),
        loss_curve=curve,
        compile_seconds=compile_seconds,
        train_seconds=train_seconds,
        data=data_np,
        steps_done=done,
        config=config,
        reference_curve=(np.concatenate(references) if references else np.zeros(0)) if mixture is not None else None,
    )


# --------------------------------------------------------------------------------------------- evaluation


def downsample_curve(curve: np.ndarray, points: int = CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values): the curve averaged over ≤ ``points`` equal bins; steps are each bin's last step (1-based)."""
    curve = np.asarray(curve, np.float64)
    n = len(curve)
    if n <= points:
        return np.arange(1, n + 1), curve
    edges = np.linspace(0, n, points + 1).round().astype(int)
    values = np.array([curve[a:b].mean() for a, b in zip(edges[:-1], edges[1:], strict=True)])
    return edges[1:], values


def evaluate(
    learned: LearnedScore, density: Density, *, n_samples: int = 10_000, grid: int = 100, seed: int = 0
) -> dict[str, float]:
    """Score errors of a trained model against the exact score of the density it should have learned.

    The reference is p_σ with σ = ``learned.config['eval_sigma']`` (0 for esm/ssm/ssm-vr, σ for dsm, σ_min for
    ncsn); a noise-conditional model is evaluated at that σ. ``weighted_rel_error`` averages over n samples of
    p_σ; ``low_density_rel_error`` over the grid points of [−box, box]² where p_σ < 1e-4·max p_σ.
    """
    sigma = float(learned.config.get("eval_sigma", 0.0))
    target = density.perturb(sigma) if sigma > 0 else density
    fn = metrics.score_program()
    score_fn = lambda x: fn(learned, x, jnp.float32(sigma))
    true_fn = lambda x: fn(density.mixture, x, jnp.float32(sigma))
    samples = target.sample(jax.random.key(seed), n_samples)
    return {
        "eval_sigma": sigma,
        "weighted_rel_error": metrics.weighted_rel_error(score_fn, true_fn, samples),
        "low_density_rel_error": metrics.low_density_rel_error(score_fn, true_fn, target.log_prob, density.box, n=grid),
    }


def _final_loss(curve: np.ndarray) -> float:
    """Mean loss over the last 5 % of steps (at least 1, at most 500): a single step's loss is too noisy."""
    if len(curve) == 0:
        return float("nan")
    k = int(min(500, max(1, len(curve) // 20)))
    return float(np.mean(curve[-k:]))


def train_command(args: Any) -> dict[str, Any]:
    """``python -m scoredemo train``: build the density and config from ``args``, train, save, evaluate.

    ``args`` is the CLI's argparse Namespace (density, pi, thickness, objective, steps, batch, lr, sigma,
    sigma_max, sigma_min, levels, data_size, seed, out, json); unset options are None. Writes the model to
    ``args.out`` and returns the report: objective, density, density_params, steps, steps_done, batch, lr,
    sigmas, eval_sigma, data_size, seed, final_loss, loss_curve (≤ 200 bin means), loss_curve_steps,
    weighted_rel_error, low_density_rel_error, compile_seconds, train_seconds, steps_per_second, out, model.
    Progress goes to stderr unless ``args.json``.

    Raises:
        ValueError: bad density/objective/options, or the model file cannot be written.
    """
    get = lambda name: getattr(args, name, None)
    density = make_density(args.density, pi=get("pi"), thickness=get("thickness"))
    fields = ("batch", "lr", "sigma", "sigma_max", "sigma_min", "levels", "data_size")
    options = {k: get(k) for k in fields if get(k) is not None}
    config = TrainConfig(objective=args.objective, steps=args.steps, seed=args.seed, **options)

    def report_progress(done: int, total: int, curve: np.ndarray) -> None:
        recent = curve[-min(len(curve), config.chunk) :]
        print(f"step {done}/{total}  loss {np.mean(recent):.4f}", file=sys.stderr, flush=True)

    result = train(density, config, progress=None if get("json") else report_progress)
    try:
        save_model(args.out, result.learned)
    except OSError as err:
        raise ValueError(f"cannot write model to {args.out!r}: {err.strerror or err}") from None
    errors = evaluate(result.learned, density, seed=config.seed)
    steps, curve = downsample_curve(result.loss_curve)
    return {
        "objective": config.objective,
        "density": density.name,
        "density_params": dict(density.params),
        "steps": config.steps,
        "steps_done": result.steps_done,
        "batch": config.batch,
        "lr": config.lr,
        "sigmas": [float(s) for s in config.sigmas] if OBJECTIVES[config.objective].needs != "none" else [],
        "eval_sigma": errors["eval_sigma"],
        "data_size": config.data_size,
        "seed": config.seed,
        "final_loss": _final_loss(result.loss_curve),
        "loss_curve": [float(v) for v in curve],
        "loss_curve_steps": [int(s) for s in steps],
        "weighted_rel_error": errors["weighted_rel_error"],
        "low_density_rel_error": errors["low_density_rel_error"],
        "compile_seconds": round(result.compile_seconds, 4),
        "train_seconds": round(result.train_seconds, 4),
        "steps_per_second": round(result.steps_done / max(result.train_seconds, 1e-9), 1),
        "out": str(args.out),
        "model": result.learned.config,
    }
