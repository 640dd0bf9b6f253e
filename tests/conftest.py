"""Shared fixtures: a seeded generator, the Agg backend, bundled data, closed figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import cftf_analysis as cftf


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--update-baselines``: rewrite the stored figure images (tests/figures/baseline/)."""
    parser.addoption(
        "--update-baselines",
        action="store_true",
        default=False,
        help="re-render the report figures into tests/figures/baseline/ instead of comparing",
    )


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator so that every simulated test is reproducible."""
    return np.random.default_rng(20160418)


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test opened, so that no test leaks memory into the next."""
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def bundled_reports() -> pd.DataFrame:
    """The bundled reports (do not modify: shared by the whole session)."""
    return cftf.load_reports()


@pytest.fixture(scope="session")
def bundled_indicators() -> pd.DataFrame:
    """The bundled indicators (do not modify: shared by the whole session)."""
    return cftf.load_indicators()


@pytest.fixture(scope="session")
def bundled_events() -> pd.DataFrame:
    """The bundled events (do not modify: shared by the whole session)."""
    return cftf.load_events()


#: Sensitivity draws of the :func:`report_root` report (the figure tests' battery uses as many).
REPORT_DRAWS = 20


@pytest.fixture(scope="session")
def report_root(tmp_path_factory):
    """One ``cftf-analysis report --draws 20`` on the bundled case, shared by the session.

    Read it, never write in it: a test that redraws or edits copies it first.
    """
    from typer.testing import CliRunner

    from cftf_analysis.cli import app

    root = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(app, ["report", "--out", str(root), "--draws", str(REPORT_DRAWS)])
    assert result.exit_code == 0, result.output
    return root
