"""The app's compiled programs, one per (sampler, frames) or target kind and point count, shared by every session
(``st.cache_resource``). Values (π, ε, σ, the noise switch) are traced arguments: moving them never recompiles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import streamlit as st

from scoredemo.samplers import compiled_run


@st.cache_resource(max_entries=16, show_spinner=False)
def kernel(sampler: str, n_frames: int) -> Callable[..., Any]:
    """The compiled sampler program for (sampler, frames)."""
    return compiled_run(sampler, n_frames)


@st.cache_resource(max_entries=4, show_spinner=False)
def grid_kernel() -> Callable[..., Any]:
    """jit(target, points, σ) -> (log p_σ, s_σ); traced σ, so moving the σ slider does not recompile."""
    return jax.jit(lambda target, pts, sigma: (target.log_prob(pts, sigma), target.score(pts, sigma)))


@st.cache_resource(max_entries=4, show_spinner=False)
def score_kernel() -> Callable[..., Any]:
    """jit(target, points, σ) -> s_σ for any target (a density's mixture or a learned model)."""
    return jax.jit(lambda target, pts, sigma: target.score(pts, sigma))


@st.cache_resource(max_entries=4, show_spinner=False)
def sample_kernel() -> Callable[..., Any]:
    """jit(mixture, key, n) -> n exact samples."""
    return jax.jit(lambda mix, rng, n: mix.sample(rng, n), static_argnums=2)
