"""scoredemo: exact toy densities, score-driven samplers and score matching, for teaching score-based models.

Update convention everywhere: x ← x + ε·s(x) + √(2ε)·z,  z ~ N(0, I).
"""

from scoredemo.densities import (
    DENSITIES,
    Density,
    Mixture,
    density_names,
    make_density,
    mixture,
)
from scoredemo.metrics import (
    energy_distance,
    error_vs_log_density,
    field_program,
    low_density_rel_error,
    mode_fractions,
    mode_fractions_per_frame,
    picture_program,
    score_error_grid,
    score_grid,
    score_program,
    weighted_rel_error,
    within_mode_spread,
)
from scoredemo.models import LearnedScore, ScoreMLP, load_model, save_model
from scoredemo.objectives import OBJECTIVES, make_loss
from scoredemo.samplers import (
    SAMPLERS,
    RunResult,
    SamplerParams,
    check_sigma_range,
    compiled_run,
    geometric_sigmas,
    get_sampler,
    make_params,
    run,
    sample,
    uniform_init,
)
from scoredemo.training import TrainConfig, TrainResult, train
from scoredemo.types import DensityTarget, RowsTarget, Target

__all__ = [
    "LearnedScore",
    "ScoreMLP",
    "load_model",
    "save_model",
    "OBJECTIVES",
    "make_loss",
    "TrainConfig",
    "TrainResult",
    "train",
    "error_vs_log_density",
    "field_program",
    "picture_program",
    "score_program",
    "check_sigma_range",
    "Target",
    "DensityTarget",
    "RowsTarget",
    "low_density_rel_error",
    "score_error_grid",
    "weighted_rel_error",
    "DENSITIES",
    "SAMPLERS",
    "Density",
    "Mixture",
    "RunResult",
    "SamplerParams",
    "compiled_run",
    "density_names",
    "energy_distance",
    "geometric_sigmas",
    "get_sampler",
    "make_density",
    "make_params",
    "mixture",
    "mode_fractions",
    "mode_fractions_per_frame",
    "run",
    "sample",
    "score_grid",
    "uniform_init",
    "within_mode_spread",
]
