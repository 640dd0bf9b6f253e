"""Monthly panel: fractional spreading of imprecise dates, interpolation, no extrapolation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cftf_analysis as cftf
from cftf_analysis.errors import ArgumentError
from cftf_analysis.panel import month_weights


@pytest.fixture(scope="module")
def data():
    return cftf.load_reports(), cftf.load_indicators()


def test_month_weights_closed_form():
    # "late 2015" = Sep-Dec 2015: 122 days, so 30/122, 31/122, 30/122, 31/122
    w = month_weights(
        pd.Series([pd.Timestamp("2015-09-01")]), pd.Series([pd.Timestamp("2015-12-31")])
    )
    assert w["weight"].tolist() == pytest.approx([30 / 122, 31 / 122, 30 / 122, 31 / 122])
    assert w["month"].dt.month.tolist() == [9, 10, 11, 12]


def test_counts_sum_to_number_of_reports(data):
    reports, indicators = data
    panel = cftf.monthly_panel(reports, indicators)
    assert panel["n_reports"].sum() == pytest.approx(len(reports))
    assert panel["n_reports_financial"].sum() == pytest.approx(reports["motive_financial"].sum())
    # fractional counts exist because some reports are dated to spans
    frac = panel["n_reports"] - np.floor(panel["n_reports"])
    assert (frac > 1e-9).any()
    assert panel["month"].is_monotonic_increasing and panel["month"].dt.day.eq(1).all()


def test_span_report_is_spread(data):
    reports, indicators = data
    one = reports[reports["published_text"] == "late 2014"]
    assert len(one) == 1
    panel = cftf.monthly_panel(one, indicators, start="2014-08", end="2015-01")
    got = panel.set_index("month")["n_reports"]
    assert got[pd.Timestamp("2014-08-01")] == 0
    assert got[pd.Timestamp("2014-10-01")] == pytest.approx(31 / 122)
    assert got.sum() == pytest.approx(1.0)


def test_indicator_observed_and_interpolated(data):
    reports, indicators = data
    panel = cftf.monthly_panel(reports, indicators).set_index("month")
    # IHS reported 56 USD million per month for March 2016
    assert panel.loc["2016-03-01", "revenue_total"] == pytest.approx(56e6)
    assert panel.loc["2016-03-01", "revenue_total_observed"]
    # territory: 90,800 km2 in Jan 2015 (IHS), Dec 2015 78,000 km2; linear between
    t = panel["territory"]
    assert t["2015-01-01"] == pytest.approx(90800)
    assert t["2015-12-01"] == pytest.approx(78000)
    assert t["2015-06-01"] == pytest.approx(90800 + (78000 - 90800) * 5 / 11)
    assert not panel.loc["2015-06-01", "territory_observed"]


def test_no_extrapolation(data):
    reports, indicators = data
    panel = cftf.monthly_panel(reports, indicators).set_index("month")
    observed = panel.index[panel["territory_observed"]]
    before = panel.index < observed.min()
    after = panel.index > observed.max()
    assert before.any() and after.any()
    assert (
        panel.loc[before | after, ["territory", "territory_low", "territory_high"]]
        .isna()
        .all()
        .all()
    )


@pytest.mark.parametrize("how", ["linear", "step", "loglinear"])
def test_interpolation_choices(data, how):
    reports, indicators = data
    panel = cftf.monthly_panel(reports, indicators, interpolation=how).set_index("month")
    t = panel["territory"]
    a, b = 90800, 78000
    expected = {"linear": a + (b - a) * 5 / 11, "step": a, "loglinear": a * (b / a) ** (5 / 11)}
    assert t["2015-06-01"] == pytest.approx(expected[how])
    both = panel[["territory_low", "territory_high"]].dropna()
    assert len(both) > 12 and (both["territory_low"] <= both["territory_high"]).all()


def test_bad_interpolation(data):
    with pytest.raises(
        ArgumentError,
        match="interpolation='cubic' is not allowed; use one of 'linear', 'step', 'loglinear'",
    ):
        cftf.monthly_panel(*data, interpolation="cubic")


def test_defection_date_counting_warns(data):
    reports, indicators = data
    with pytest.warns(UserWarning, match="no defection date"):
        panel = cftf.monthly_panel(reports, indicators, date="defection")
    assert panel["n_reports"].sum() == pytest.approx(reports["defection_start"].notna().sum())


def test_coverage_is_joined(data):
    reports, indicators = data
    coverage = pd.DataFrame(
        {
            "period": pd.to_datetime(["2015-01-01", "2015-02-01"]),
            "n_articles_topic": [100, 120],
            "n_articles_defection": [3, 4],
        }
    )
    panel = cftf.monthly_panel(reports, indicators, coverage=coverage).set_index("month")
    assert panel.loc["2015-02-01", "n_articles_topic"] == 120
    assert np.isnan(panel.loc["2016-02-01", "n_articles_topic"])
