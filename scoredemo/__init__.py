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
    mode_fractions,
    mode_fractions_per_frame,
    score_grid,
    within_mode_spread,
)
from scoredemo.samplers import (
    SAMPLERS,
    RunResult,
    SamplerParams,
    compiled_run,
    geometric_sigmas,
    get_sampler,
    make_params,
    run,
    sample,
    uniform_init,
)

__all__ = [
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
