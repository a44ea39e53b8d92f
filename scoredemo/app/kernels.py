"""The app's compiled programs, one per (sampler, frames) or target kind and point count, shared by every session.
Values (π, ε, σ, the noise switch) are traced arguments: moving them never recompiles. The programs themselves are
the engine's (built in :mod:`scoredemo.samplers` and :mod:`scoredemo.metrics`): this layer compiles nothing itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from scoredemo import metrics
from scoredemo.samplers import compiled_run


@st.cache_resource(max_entries=16, show_spinner=False)
def kernel(sampler: str, n_frames: int) -> Callable[..., Any]:
    """The compiled sampler program for (sampler, frames)."""
    return compiled_run(sampler, n_frames)


def grid_kernel() -> Callable[..., Any]:
    """(target, points, σ) -> (log p_σ, s_σ): the engine's one compiled field program (``metrics.field_program``);
    σ is traced, so moving the σ slider does not recompile."""
    return metrics.field_program()


def picture_kernel() -> Callable[..., Any]:
    """(target, points, arrow points, σ) -> (log p_σ(points), s_σ(arrow points)): ``metrics.picture_program``, the
    program of every density picture with score arrows."""
    return metrics.picture_program()


def score_kernel() -> Callable[..., Any]:
    """(target, points, σ) -> s_σ for any target (a mixture or a learned model): ``metrics.score_program``."""
    return metrics.score_program()


def sample_kernel() -> Callable[..., Any]:
    """(mixture, key, n) -> n exact samples: ``metrics.sample_program`` (π and the key traced, n static)."""
    return metrics.sample_program()
