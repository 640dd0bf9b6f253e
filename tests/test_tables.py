"""Descriptive tables behind the figures, checked against independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cftf_analysis as cftf
from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.tables import (
    DEFAULT_MOTIVES,
    EVENT_KEY_COLUMNS,
    LAGGED_PAIR_COLUMNS,
    MOTIVE_SHARE_COLUMNS,
    REPORT_SPREAD_COLUMNS,
    lagged_pairs,
    motive_shares,
    report_count_spread,
    timeline_events,
    wilson_interval,
)


@pytest.fixture(scope="module")
def reports() -> pd.DataFrame:
    return cftf.load_reports()


@pytest.fixture(scope="module")
def panel(reports) -> pd.DataFrame:
    return cftf.monthly_panel(reports, cftf.load_indicators())


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return cftf.load_events()


def _reports(spans, flags=None) -> pd.DataFrame:
    """A minimal reports frame: (start, end) day strings and optional motive flags."""
    frame = pd.DataFrame(
        {
            "published_start": pd.to_datetime([s for s, _ in spans]),
            "published_end": pd.to_datetime([e for _, e in spans]),
        }
    )
    for motive in DEFAULT_MOTIVES:
        frame[f"motive_{motive}"] = False
    for motive, values in (flags or {}).items():
        frame[f"motive_{motive}"] = values
    return frame


# --- report_count_spread ------------------------------------------------------------


def test_spread_schema(reports):
    spread = report_count_spread(reports)
    assert list(spread.columns) == REPORT_SPREAD_COLUMNS
    assert str(spread["month"].dtype).startswith("datetime64")
    assert spread["n_reports"].dtype == np.float64
    assert spread["n_certain"].dtype == np.int64
    assert spread["n_possible"].dtype == np.int64
    assert spread["month"].is_monotonic_increasing
    assert (spread["month"].dt.day == 1).all()


def test_spread_bounds_and_total(reports):
    spread = report_count_spread(reports)
    assert (spread["n_certain"] <= spread["n_reports"] + 1e-9).all()
    assert (spread["n_reports"] <= spread["n_possible"] + 1e-9).all()
    assert spread["n_reports"].sum() == pytest.approx(len(reports), abs=1e-9)


def test_spread_counts_match_a_loop_over_reports(reports):
    """n_certain / n_possible recomputed by brute force: month by month, report by report."""
    spread = report_count_spread(reports).set_index("month")
    starts = reports["published_start"].to_numpy()
    ends = reports["published_end"].to_numpy()
    for month in spread.index:
        first = month.to_datetime64()
        last = (month + pd.offsets.MonthEnd(0)).to_datetime64()
        certain = int(np.sum((starts >= first) & (ends <= last)))
        possible = int(np.sum((starts <= last) & (ends >= first)))
        assert spread.loc[month, "n_certain"] == certain, month
        assert spread.loc[month, "n_possible"] == possible, month


def test_spread_n_reports_equals_panel(reports, panel):
    spread = report_count_spread(reports)
    np.testing.assert_allclose(spread["n_reports"], panel["n_reports"], atol=1e-12)
    assert (spread["month"].to_numpy() == panel["month"].to_numpy()).all()


def test_spread_year_report_is_spread_by_days():
    spread = report_count_spread(
        _reports([("2015-01-01", "2015-12-31"), ("2015-03-10", "2015-03-10")])
    )
    assert len(spread) == 12
    assert (spread["n_possible"] == [1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1]).all()
    assert (spread["n_certain"] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]).all()
    assert spread.loc[0, "n_reports"] == pytest.approx(31 / 365)
    assert spread.loc[2, "n_reports"] == pytest.approx(1 + 31 / 365)


def test_spread_grid_start_end():
    spread = report_count_spread(
        _reports([("2015-03-10", "2015-03-10")]), start="2015-01-15", end="2015-05-01"
    )
    assert spread["month"].dt.strftime("%Y-%m").tolist() == [
        "2015-01", "2015-02", "2015-03", "2015-04", "2015-05",
    ]  # fmt: skip
    assert spread["n_reports"].tolist() == [0, 0, 1, 0, 0]


def test_spread_errors_and_warning(reports):
    with pytest.raises(ArgumentError, match="date='sent' is not allowed"):
        report_count_spread(reports, date="sent")
    with pytest.raises(ArgumentError, match="empty month range"):
        report_count_spread(reports, start="2016-05", end="2016-01")
    with pytest.raises(DataValidationError, match="published_end"):
        report_count_spread(reports.drop(columns="published_end"))
    with pytest.warns(UserWarning, match="have no defection date"):
        spread = report_count_spread(reports, date="defection")
    assert spread["n_reports"].sum() == pytest.approx(reports["defection_start"].notna().sum())


# --- motive_shares ------------------------------------------------------------------


def test_motive_shares_schema(reports):
    shares = motive_shares(reports)
    assert list(shares.columns) == MOTIVE_SHARE_COLUMNS
    assert shares["n_reports"].dtype == np.int64
    assert shares["n_citing"].dtype == np.int64
    assert shares["share"].dtype == np.float64
    assert list(dict.fromkeys(shares["motive"])) == list(DEFAULT_MOTIVES)


def test_motive_shares_match_groupby(reports):
    """Quarterly counts recomputed with a pandas groupby on the publication midpoint."""
    shares = motive_shares(reports, freq="QS")
    mid = reports["published_start"] + (reports["published_end"] - reports["published_start"]) / 2
    quarter = mid.dt.to_period("Q").dt.start_time
    for motive in DEFAULT_MOTIVES:
        expected = reports.groupby(quarter)[f"motive_{motive}"].agg(["size", "sum"])
        got = shares[shares["motive"] == motive].set_index("period")
        nonempty = got[got["n_reports"] > 0]
        assert nonempty.index.tolist() == expected.index.tolist()
        assert nonempty["n_reports"].tolist() == expected["size"].tolist()
        assert nonempty["n_citing"].tolist() == expected["sum"].tolist()
        np.testing.assert_allclose(nonempty["share"], expected["sum"] / expected["size"])
        assert got.loc[got["n_reports"] == 0, "share"].isna().all()
        assert (got.loc[got["n_reports"] == 0, "n_citing"] == 0).all()


def test_motive_shares_half_years_and_gaps():
    frame = _reports(
        [("2015-02-01", "2015-02-01"), ("2015-06-30", "2015-06-30"), ("2016-08-01", "2016-08-31")],
        {"violence": [True, False, True]},
    )
    shares = motive_shares(frame, freq="6MS", motives=["violence"])
    assert shares["period"].dt.strftime("%Y-%m").tolist() == [
        "2015-01",
        "2015-07",
        "2016-01",
        "2016-07",
    ]
    assert shares["n_reports"].tolist() == [2, 0, 0, 1]
    assert shares["n_citing"].tolist() == [1, 0, 0, 1]
    assert shares["share"].iloc[0] == 0.5
    assert np.isnan(shares["share"].iloc[1])


def test_motive_shares_wilson_intervals_match_statsmodels(reports):
    """ci_low/ci_high against proportion_confint(k, n, alpha, method="wilson")."""
    from statsmodels.stats.proportion import proportion_confint

    for level in (0.95, 0.8):
        shares = motive_shares(reports, conf_level=level)
        some = shares[shares["n_reports"] > 0]
        low, high = proportion_confint(
            some["n_citing"], some["n_reports"], alpha=1 - level, method="wilson"
        )
        np.testing.assert_allclose(some["ci_low"], low, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(some["ci_high"], high, rtol=1e-10, atol=1e-12)
        assert shares.loc[shares["n_reports"] == 0, ["ci_low", "ci_high"]].isna().all().all()
    # 0 of 5 reports: the share could still be 43% (the Wald interval would be [0, 0])
    low, high = wilson_interval([0], [5])
    assert (low[0], round(float(high[0]), 3)) == (0.0, 0.434)
    with pytest.raises(ArgumentError, match="conf_level must be between 0 and 1"):
        motive_shares(reports, conf_level=95)
    with pytest.raises(ArgumentError, match="between 0 and its n"):
        wilson_interval([6], [5])


def test_motive_shares_errors(reports):
    with pytest.raises(ArgumentError, match="freq='W' is not allowed"):
        motive_shares(reports, freq="W")
    with pytest.raises(ArgumentError, match="motive='greed' is not allowed"):
        motive_shares(reports, motives=["greed"])
    with pytest.raises(DataValidationError, match="motive_violence"):
        motive_shares(reports.drop(columns="motive_violence"))


# --- lagged_pairs -------------------------------------------------------------------


@pytest.mark.parametrize("lag", [-2, 0, 3])
def test_lagged_pairs_match_the_panel(panel, lag):
    pairs = lagged_pairs(panel, x="revenue_total", lag=lag)
    assert list(pairs.columns) == LAGGED_PAIR_COLUMNS
    by_month = panel.set_index("month")
    assert len(pairs) > 0
    for row in pairs.itertuples():
        assert row.month_y == row.month_x + pd.DateOffset(months=lag)
        assert row.x == by_month.loc[row.month_x, "revenue_total"]
        assert row.y == by_month.loc[row.month_y, "n_reports"]
        assert row.x_observed == by_month.loc[row.month_x, "revenue_total_observed"]
        assert row.x_derived == by_month.loc[row.month_x, "revenue_total_derived"]
    # every month with both values present is paired
    shifted = by_month["n_reports"].shift(-lag)
    assert len(pairs) == int((by_month["revenue_total"].notna() & shifted.notna()).sum())


def test_lagged_pairs_errors(panel):
    with pytest.raises(ArgumentError, match="lag must be an integer"):
        lagged_pairs(panel, x="revenue_total", lag=1.5)
    with pytest.raises(DataValidationError, match="oil"):
        lagged_pairs(panel, x="oil", lag=1)
    doubled = pd.concat([panel, panel.iloc[:1]])
    with pytest.raises(DataValidationError, match="duplicate months"):
        lagged_pairs(doubled, x="revenue_total", lag=1)


# --- timeline_events ----------------------------------------------------------------


def test_timeline_events_selection(events):
    key = timeline_events(events, categories=("finance",), event_ids=["E002", "E049"])
    assert list(key.columns) == EVENT_KEY_COLUMNS
    finance = set(events.loc[events["category"] == "finance", "event_id"])
    assert set(key["event_id"]) == finance | {"E002", "E049"}
    assert key["number"].tolist() == list(range(1, len(key) + 1))
    assert key["date"].is_monotonic_increasing


def test_timeline_events_window_and_labels(events):
    key = timeline_events(
        events, categories=("military",), start="2016-01-01", end="2016-12-31", max_chars=30
    )
    assert key["date"].between("2016-01-01", "2016-12-31").all()
    assert (key["category"] == "military").all()
    assert key["label"].str.len().max() <= 30
    month_dated = timeline_events(events, event_ids=["E029"], categories=())
    # 'Bayt al-Mal (Raqqa) memo ...': the aside is dropped, the memo kept; dated mid-December
    assert month_dated.loc[0, "label"].startswith("Bayt al-Mal memo")
    assert month_dated.loc[0, "date_text"] == "2015-12"
    assert month_dated.loc[0, "date"] == pd.Timestamp("2015-12-16")


def test_timeline_events_errors(events):
    with pytest.raises(ArgumentError, match="unknown event id"):
        timeline_events(events, event_ids=["E999"])
    with pytest.raises(DataValidationError, match="category"):
        timeline_events(events.drop(columns="category"))
