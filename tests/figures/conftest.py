"""Fixtures shared by the figure tests: bundled data, an Axes, and no show().

The standard battery they draw from is the session's (``battery`` in tests/conftest.py).
"""

from __future__ import annotations

from dataclasses import replace

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure

import cftf_analysis as cftf


@pytest.fixture(scope="module")
def reports() -> pd.DataFrame:
    return cftf.load_reports()


@pytest.fixture(scope="module")
def panel(reports) -> pd.DataFrame:
    return cftf.monthly_panel(reports, cftf.load_indicators())


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return cftf.load_events()


@pytest.fixture(scope="session")
def battery(battery):
    """The session's battery (tests/conftest.py) with a multiverse of every choice at the
    same size attached, as the report attaches it (the specification curve reads it)."""
    cache = battery.context.cache if battery.context is not None else None
    mv = cftf.multiverse(battery.case, n_draws=BATTERY_DRAWS, n_null=MULTIVERSE_NULL, cache=cache)
    return replace(battery, multiverse=mv)


#: Sensitivity draws of the :func:`battery` fixture (the visual baselines use them too).
BATTERY_DRAWS = 20
#: Simulated unrelated indicators per specification of the fixture's multiverse.
MULTIVERSE_NULL = 19


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    """Any call to show() fails the test (figures are closed by the top-level conftest)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a plot function called show()")

    monkeypatch.setattr(plt, "show", refuse)
    monkeypatch.setattr(Figure, "show", refuse)


@pytest.fixture
def ax():
    return plt.subplots()[1]
