"""Fixtures shared by the figure tests: bundled data, an Axes, and no show().

The standard battery they draw from is the session's (``battery`` in tests/conftest.py).
"""

from __future__ import annotations

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
def battery(report_battery):
    """The session's battery with a multiverse attached (``report_battery`` in
    tests/conftest.py): the figures draw what a report draws."""
    return report_battery


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
