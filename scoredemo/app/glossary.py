"""The app's glossary: one line for each abbreviation a page offers (the training objectives, the samplers, the cost
of a sampler), shown in the help tooltip of every control where the term is offered. One place, so that a term
reads the same on every page; ``tests/app/test_glossary.py`` checks that every term is shown somewhere and every
objective wherever it is offered."""

from __future__ import annotations

#: term -> one line (no final full stop: :func:`line` adds it).
GLOSSARY: dict[str, str] = {
    "esm": "exact score matching (Hyvärinen): minimise E[tr ∇ₓs_θ + ½‖s_θ‖²], which needs the network's whole Jacobian",
    "ssm": "sliced score matching: the Jacobian only along random directions v, E[vᵀ∇ₓ(vᵀs_θ) + ½(vᵀs_θ)²]",
    "ssm-vr": "sliced score matching, variance-reduced: as ssm, with ½‖s_θ‖² taken exactly instead of along v",
    "dsm": "denoising score matching at one noise level σ: learns the score of p_σ = p ∗ N(0, σ²I), not of p",
    "ncsn": "noise-conditional score network: denoising score matching at a ladder of σ's at once, one network "
    "s_θ(x, σ), for annealed Langevin",
    "ULA": "unadjusted Langevin algorithm: x ← x + ε·s(x) + √(2ε)·z, every move kept (too wide a law at finite ε)",
    "MALA": "Metropolis-adjusted Langevin algorithm: the same move as a proposal, kept with the Metropolis–Hastings "
    "probability (exact at any ε; needs log p)",
    "NFE": "number of function evaluations: how many times a sampler computes the score per particle (its cost)",
}


def line(term: str) -> str:
    """The glossary's line for ``term``, as help text: "**term**: what it means."."""
    return f"**{term}**: {GLOSSARY[term]}."


def with_terms(text: str, *terms: str) -> str:
    """A control's help ``text`` followed by the glossary's line for each of ``terms`` (one per line)."""
    return "  \n".join([text, *(line(t) for t in terms)] if text else [line(t) for t in terms])
