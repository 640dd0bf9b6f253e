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


#: Sensitivity draws of the session's :func:`battery` and :func:`report_root` (the visual
#: baselines were drawn from such a battery).
BATTERY_DRAWS = 20


@pytest.fixture(scope="session")
def battery():
    """The standard battery on the bundled case, with few sensitivity draws, run once.

    Shared by the whole session (the figure tests, the battery's own tests): read it,
    never modify it. A test module that needs other options defines its own.
    """
    return cftf.run_battery(case="islamic-state", n_draws=BATTERY_DRAWS)


#: Joint draws and null simulations per specification of the session's multiverse
#: (:func:`report_battery`; the report's default is 100 and 99: about 10 s).
MULTIVERSE_DRAWS, MULTIVERSE_NULL = 20, 19


@pytest.fixture(scope="session")
def report_battery(battery):
    """The session's battery with a multiverse attached, as the report attaches one.

    Every choice, with :data:`MULTIVERSE_DRAWS` draws and :data:`MULTIVERSE_NULL` null
    simulations per specification and the battery's seed (the specification curve and the
    visual baselines read it). Read it, never modify it.
    """
    from dataclasses import replace

    cache = battery.context.cache if battery.context is not None else None
    mv = cftf.multiverse(
        battery.case,
        n_draws=MULTIVERSE_DRAWS,
        n_null=MULTIVERSE_NULL,
        seed=battery.options.seed,
        cache=cache,
    )
    return replace(battery, multiverse=mv)


@pytest.fixture(scope="session")
def report_root(tmp_path_factory):
    """One ``cftf-analysis report --draws 20`` on the bundled case, shared by the session.

    Read it, never write in it: a test that redraws or edits copies it first.
    """
    from typer.testing import CliRunner

    from cftf_analysis.cli import app

    root = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(app, ["report", "--out", str(root), "--draws", str(BATTERY_DRAWS)])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def report_uses_the_session_battery(battery, monkeypatch):
    """``run_report`` (and ``cftf-analysis report``) take the session's battery, run none.

    For tests of what the report does with its outputs (manifests, atomic swaps, disk
    errors), which do not depend on the analysis: each then costs its writes, not a
    battery run. What the report computes is tested with real runs (``report_root``).
    """
    from cftf_analysis.stats import battery as module

    monkeypatch.setattr(module, "run_battery", lambda *args, **kwargs: battery)
