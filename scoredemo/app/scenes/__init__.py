"""The lecture's scenes, one module each, in lecture order; each exposes ``render()`` (read controls, call cached
builders, draw figures). ``SCENES`` lists (module name, title, url path, icon) for the navigation."""

SCENES = [
    ("score_fields", "1 · Score fields", "score-fields", ":material/air:"),
    ("follow_score", "2 · Follow the score", "follow-the-score", ":material/directions_run:"),
    ("step_size", "3 · How exact is Langevin?", "step-size", ":material/straighten:"),
    ("learning", "4 · Learning the score", "learning-the-score", ":material/school:"),
    ("low_density", "5 · Pitfall: low density", "low-density", ":material/blur_off:"),
    ("manifolds", "6 · Pitfall: manifolds", "manifolds", ":material/donut_large:"),
    ("mixing", "7 · Pitfall: mixing and π", "mixing", ":material/balance:"),
    ("mixing_time", "8 · Pitfall: slow mixing", "mixing-time", ":material/hourglass_top:"),
    ("annealed", "9 · The fix: annealed Langevin", "annealed-langevin", ":material/thermostat:"),
    ("real_images", "10 · Real data: digits", "real-data", ":material/draw:"),
    ("diffusion", "11 · The step to diffusion", "diffusion", ":material/waves:"),
]


def cite(url_path: str) -> str:
    """ "scene 5": how a page names another scene, by its place in :data:`SCENES` (never a hard-coded number)."""
    return f"scene {[s[2] for s in SCENES].index(url_path) + 1}"
