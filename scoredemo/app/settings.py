"""The app's fixed sizes and its per-request limits (narrower than the engine's: one request must not exhaust a
server shared by a class).

The widgets' ranges are the first line of defence; the builders check these limits again and raise a
``ValueError`` naming the limit if a scene ever asks for more. A run records ``N_FRAMES`` frames, so one trajectory
is at most MAX_PARTICLES × N_FRAMES × 2 float32 (0.8 MB); with the caches' ``max_entries`` that bounds the
server's memory. ``st.cache_data`` entries also expire after ``CACHE_TTL``.
"""

from __future__ import annotations

from scoredemo import limits

#: Frames recorded by every animated run (fixed: a new step count or step size never recompiles).
N_FRAMES = 51
#: Spacing of the recorded frames of ascent and Langevin runs (samplers.frame_bounds): denser at the start, where
#: the particles move most (13 of 51 frames in the first 3 % of a 400-step run); annealed runs are spaced evenly.
FRAME_POWER = 2.5
#: Arrow grid (NCSN Fig. 2 uses 20 × 20) and density grid resolution.
N_ARROWS = 20
N_GRID = 100
#: Particle counts offered (each is one compiled shape).
PARTICLE_CHOICES = (250, 500, 1000, 1280, 2000)

#: Particles in one run (the largest choice offered).
MAX_PARTICLES = max(PARTICLE_CHOICES)
#: Sampler steps in one run (annealed: levels × steps per level; the scenes offer at most 20 × 300, or 20 000 at
#: 500 particles in the mixing-time scene, whose crossings need that many).
MAX_RUN_STEPS = 20_000
#: Particles × steps in one run: the most a scene offers (scene 9: 2000 particles × 20 levels × 300 steps); well
#: under a second of compute on 2 cores with the exact score, several seconds with a learned one.
MAX_PARTICLE_STEPS = 12_000_000
#: Training steps of one model, and the largest fixed training set.
MAX_TRAIN_STEPS = 10_000
MAX_TRAIN_DATA = 5_000
#: ``st.cache_data`` entries (runs, grids) expire after this many seconds; compiled kernels never do.
CACHE_TTL = 3600

# Narrower than the engine's, never wider (tests/app/test_settings.py checks it too).
assert MAX_PARTICLES <= limits.MAX_PARTICLES and MAX_RUN_STEPS <= limits.MAX_STEPS
assert MAX_PARTICLE_STEPS <= limits.MAX_PARTICLE_STEPS and MAX_TRAIN_STEPS <= limits.MAX_TRAIN_STEPS
assert MAX_TRAIN_DATA <= limits.MAX_DATA_SIZE and N_FRAMES <= limits.MAX_FRAMES
