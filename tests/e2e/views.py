"""The views the browser tests walk: each scene with other values than its defaults (test_share_link's round
trip, test_teacher's walk, test_layout's second pass). A module of its own: those test modules import each
other's helpers, and a name they share must not depend on their import order."""

DRAWING = "-2, 0, 0.5, 1; 2, 1, 0.7, 2"

#: Non-default controls for each scene, cheap to compute (fewer particles and steps); the drawing scenes (1, 9)
#: with a drawn density, scene 11 with its fragment's t slider. The learned scenes add ``train_steps=250``.
VIEWS = {
    "score-fields": {"density": "custom", "components": DRAWING, "sigma": "0.5", "arrows": "magnitude"},
    "follow-the-score": {"noise": "false", "n_particles": "250", "n_steps": "100", "seed": "3"},
    "step-size": {"density": "two-modes", "step_size": "0.5", "n_steps": "100", "n_particles": "250", "seed": "2"},
    "learning-the-score": {"step_size": "0.1", "n_particles": "250", "n_steps": "100"},
    "low-density": {"start_x": "-4", "n_steps": "100", "noise": "true"},
    "manifolds": {"thickness": "0.2", "pca_k": "5"},
    "mixing": {"pi": "0.3", "n_steps": "100", "n_particles": "250", "seed": "5"},
    "mixing-time": {"n_steps": "2000", "n_particles": "250", "seed": "1"},
    "annealed-langevin": {"density": "custom", "components": DRAWING, "steps_per_level": "10", "n_particles": "250"},
    "real-data": {"n_particles": "50", "frame": "5"},
    "diffusion": {"t": "0.4", "sampler": "pc", "n_steps": "100", "seed": "3"},
}
