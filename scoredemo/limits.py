"""The engine's hard limits: the largest runs the CLI, the samplers and the trainer accept (one place for all three).

They keep one command from exhausting memory or running for hours; they are not tuned for comfort. The app
narrows them to what a classroom server can answer interactively (``scoredemo.app`` keeps its own, smaller
limits and checks them against these).

Sampling (``python -m scoredemo sample``, :mod:`scoredemo.samplers`):

* ``MAX_PARTICLES``: particles N in one run.
* ``MAX_STEPS``: sampler steps (for ``annealed``: steps per level T).
* ``MAX_LEVELS``: noise levels L of an annealing ladder (sampling and ncsn training).
* ``MAX_FRAMES``: recorded trajectory frames.
* ``MAX_PARTICLE_STEPS``: particles × total steps of one run (2e10 is minutes on two CPU cores).
* ``MAX_TRAJECTORY_FLOATS``: frames × particles × 2 of a recorded trajectory (64 MiB of float32); more frames
  are thinned by :func:`scoredemo.samplers.frame_budget`.

Training (``python -m scoredemo train``, :class:`scoredemo.training.TrainConfig`):

* ``MAX_TRAIN_STEPS``: Adam steps. ``MAX_BATCH``: examples per step. ``MAX_DATA_SIZE``: a fixed data set's size.
* ``MAX_CHUNK``: steps per compiled call. ``MAX_SIGMA``: the largest noise level σ a config may name.
"""

MAX_PARTICLES = 2_000_000
MAX_STEPS = 1_000_000
MAX_LEVELS = 1000
MAX_FRAMES = 1000
MAX_PARTICLE_STEPS = 2e10
MAX_TRAJECTORY_FLOATS = 16 * 1024 * 1024

MAX_TRAIN_STEPS = 1_000_000
MAX_BATCH = 65_536
MAX_DATA_SIZE = 10_000_000
MAX_CHUNK = 10_000
MAX_SIGMA = 1e4
