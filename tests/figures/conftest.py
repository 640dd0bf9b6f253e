"""Fixtures shared by the figure tests: bundled data, an Axes, and no show()."""

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
def battery():
    """The standard battery on the bundled case, with few sensitivity draws (fast), and a
    multiverse of every choice at the same size, as the report attaches it."""
    from cftf_analysis.stats.draws import IndicatorCache

    cache = IndicatorCache()
    battery = cftf.run_battery(case="islamic-state", n_draws=BATTERY_DRAWS, cache=cache)
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
