"""Hashable keys for what a page shows — a density (:class:`DensityKey`) and a trained model (:class:`TrainKey`) —
and the density a key names. Cached builders take these keys (scalars and tuples of them), never arrays."""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from scoredemo.app import custom_density as CD
from scoredemo.densities import DENSITIES, Density, make_density, mixture
from scoredemo.training import TrainConfig

CUSTOM = "custom"


class DensityKey(NamedTuple):
    """A registry name + parameter values, or "custom" + its component table text."""

    name: str
    params: tuple[tuple[str, float], ...] = ()
    components: str = ""


def density_key(name: str, **params: float) -> DensityKey:
    return DensityKey(name, tuple(sorted((k, float(v)) for k, v in params.items())))


def registry_names() -> list[str]:
    """Density picker options: the whole registry, then "custom"."""
    return [*DENSITIES, CUSTOM]


@st.cache_resource(max_entries=64, show_spinner=False)  # scene 11's meter alone visits 19 (one per π)
def get_density(key: DensityKey) -> Density:
    """The Density for a key (registry densities via make_density; "custom": the drawing's text, expanded into
    Gaussians (``custom_density.expand``), one mode per bump or region, padded with zero-weight components to a
    fixed size (``custom_density.bucket``) so that drawing one more bump reuses the compiled programs; always on
    the canvas [−8, 8]²)."""
    if key.name == CUSTOM:
        means, scales, weights, modes = CD.expand(CD.validate_drawing(key.components))
        mix = mixture(means, scales, weights, modes=modes, pad_to=CD.bucket(len(means)))
        return Density(CUSTOM, mix, CD.BOX, {}, "a mixture of Gaussians drawn on the chart or typed in the table")
    return make_density(key.name, **dict(key.params))


class TrainKey(NamedTuple):
    """A trained model: the density it learns and its :class:`~scoredemo.training.TrainConfig` (frozen, hashable,
    validated on construction), so a model's settings are listed once, in the engine."""

    density: DensityKey
    config: TrainConfig

    @property
    def objective(self) -> str:
        return self.config.objective

    @property
    def steps(self) -> int:
        return self.config.steps

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def data_size(self) -> int | None:
        return self.config.data_size


def train_key(density: DensityKey, objective: str, steps: int, **options: object) -> TrainKey:
    """A TrainKey from the page's settings (``options``: TrainConfig fields; None values are left out)."""
    config = TrainConfig(objective=objective, steps=int(steps), **{k: v for k, v in options.items() if v is not None})
    return TrainKey(density, config)
