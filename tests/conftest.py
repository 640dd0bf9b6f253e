"""Shared fixtures: a seeded random generator and a non-interactive backend."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator so that every simulated test is reproducible."""
    return np.random.default_rng(20160418)
