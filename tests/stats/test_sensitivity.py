"""sensitivity: draws stay inside the evidence, the fast sampler equals monthly_panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cftf_analysis as cftf
from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.panel import default_series, series_rows
from cftf_analysis.stats.sensitivity import (
    DRAW_COLUMNS,
    SENSITIVITY_COLUMNS,
    PanelSampler,
    draw_indicators,
    draw_report_dates,
)


@pytest.fixture(scope="module")
def data():
    return cftf.load_reports(), cftf.load_indicators()


def mean_reports(panel: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "finding": ["mean_reports", "max_reports", "mean_revenue"],
            "estimate": [
                panel["n_reports"].mean(),
                panel["n_reports"].max(),
                panel["revenue_total"].mean(),
            ],
            "p_value": [0.01, 0.01, 0.5],
        }
    )


def test_sampler_equals_monthly_panel_on_the_same_draws(data):
    reports, indicators = data
    sampler = PanelSampler(reports, indicators, default_series(indicators))
    fast = sampler.draw(np.random.default_rng(7), dates=True, values=True)
    rng = np.random.default_rng(7)
    rows = pd.concat([series_rows(indicators, s) for s in default_series(indicators).values()])
    slow = cftf.monthly_panel(
        draw_report_dates(reports, rng),
        draw_indicators(rows, rng),
        start=sampler.grid[0],
        end=sampler.grid[-1],
    )
    cols = ["n_reports", "n_reports_financial", "revenue_total", "territory"]
    pd.testing.assert_frame_equal(fast[cols], slow[cols])


def test_draws_vary_only_what_is_uncertain(data):
    reports, indicators = data
    res = cftf.sensitivity(
        mean_reports, reports=reports, indicators=indicators, n_draws=40, seed=3
    )
    assert list(res.draws.columns[:4]) == DRAW_COLUMNS
    assert list(res.summary.columns) == SENSITIVITY_COLUMNS
    by = res.draws.pivot(index="draw", columns="finding", values="estimate")
    # moving dates inside their intervals never loses or invents a report...
    n_months = len(cftf.monthly_panel(reports, indicators))
    assert by["mean_reports"].to_numpy() == pytest.approx(len(reports) / n_months)
    # ...but moves reports between months
    assert by["max_reports"].std() > 0
    # revenue varies only through ranged figures; IHS revenue has none
    assert by["mean_revenue"].std() == pytest.approx(0, abs=1e-6)
    summary = res.summary.set_index("finding")
    assert summary.loc["mean_reports", "share_significant"] == 1.0
    assert summary.loc["mean_revenue", "share_significant"] == 0.0


def test_no_uncertainty_gives_identical_draws():
    day = pd.to_datetime(["2015-01-10", "2015-02-03", "2015-02-20", "2015-03-05", "2015-04-01"])
    reports = cftf.load_reports().head(5).assign(published_start=day, published_end=day)
    indicators = cftf.load_indicators()
    res = cftf.sensitivity(mean_reports, reports=reports, indicators=indicators, n_draws=5, seed=0)
    s = res.summary.set_index("finding").loc["mean_reports"]
    assert s["estimate_q025"] == s["estimate_q975"] == s["observed_estimate"]
    assert s["share_same_sign"] == 1.0


def test_same_seed_same_draws(data):
    reports, indicators = data
    a = cftf.sensitivity(mean_reports, reports=reports, indicators=indicators, n_draws=5, seed=11)
    b = cftf.sensitivity(mean_reports, reports=reports, indicators=indicators, n_draws=5, seed=11)
    pd.testing.assert_frame_equal(a.draws, b.draws)


def test_failed_draws_are_counted(data):
    reports, indicators = data
    calls = {"n": 0}

    def flaky(panel):
        calls["n"] += 1
        if calls["n"] % 2 == 0:
            raise AnalysisError("constant series")
        return mean_reports(panel)

    res = cftf.sensitivity(flaky, reports=reports, indicators=indicators, n_draws=6, seed=1)
    assert res.summary["n_failed"].iloc[0] == 3
    assert res.summary["n_draws"].iloc[0] == 3


def test_bad_arguments(data):
    reports, indicators = data
    with pytest.raises(ArgumentError, match="vary"):
        cftf.sensitivity(mean_reports, reports=reports, indicators=indicators, vary=("moon",))
    with pytest.raises(ArgumentError, match="finding, estimate, p_value"):
        cftf.sensitivity(
            lambda p: pd.DataFrame({"x": [1]}), reports=reports, indicators=indicators, n_draws=1
        )
