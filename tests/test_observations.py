"""Observations, not rows: every merging rule on the bundled rows and on edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cftf_analysis import AnalysisError, ArgumentError, load_indicators
from cftf_analysis.observations import (
    OBSERVATION_COLUMNS,
    indicator_observations,
    normalise_producers,
    producer_key,
)

IHS = "IHS Conflict Monitor"


@pytest.fixture(scope="module")
def indicators() -> pd.DataFrame:
    return load_indicators()


@pytest.fixture(scope="module")
def revenue(indicators: pd.DataFrame) -> pd.DataFrame:
    return indicator_observations(indicators, "revenue_total", producer=IHS).set_index(
        "observation_id"
    )


@pytest.fixture(scope="module")
def territory(indicators: pd.DataFrame) -> pd.DataFrame:
    return indicator_observations(indicators, "territory", producer=IHS).set_index(
        "observation_id"
    )


def raw(*rows: dict) -> pd.DataFrame:
    """Indicators in the raw format, with defaults for the columns a test does not set."""
    base = {
        "indicator": "territory",
        "scope": "total",
        "value": "",
        "low": "",
        "high": "",
        "unit": "km2",
        "qualifier": "",
        "baseline_period": "",
        "source_org": "Mapper",
        "url": "https://example.org",
    }
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame["indicator_id"] = [f"X{i:02d}" for i in range(1, len(rows) + 1)]
    return load_indicators(frame.astype(str))


# --- schema -----------------------------------------------------------------------------------


def test_columns_are_the_documented_constant(revenue: pd.DataFrame) -> None:
    assert ["observation_id", *revenue.columns] == list(OBSERVATION_COLUMNS)
    assert revenue["n_months"].dtype == "int64"
    assert set(revenue["bound"]) <= {"none", "lower", "upper"}
    assert revenue["rule"].str.len().gt(10).all()


def test_missing_series_raises(indicators: pd.DataFrame) -> None:
    with pytest.raises(AnalysisError, match="no level rows for indicator 'territory'"):
        indicator_observations(indicators, "territory", producer="Nobody")


# --- the bundled rows that trigger each rule ----------------------------------------------------


def test_relabelled_restatement_is_one_observation(revenue: pd.DataFrame) -> None:
    # I001 (80M, "late 2015", published 2015-12-07) and I002 (80M, "mid 2015", 2016-04-18)
    assert "I001" not in revenue.index
    obs = revenue.loc["I002"]
    assert obs["row_ids"] == "I001+I002"
    assert obs["restated"]
    assert (obs["month_start"], obs["month_end"], obs["n_months"]) == (
        pd.Timestamp("2015-05-01"),
        pd.Timestamp("2015-08-01"),
        4,
    )
    assert obs["published"] == pd.Timestamp("2016-04-18")
    assert "relabelled period" in obs["rule"]
    assert sum("I001" in ids for ids in revenue["row_ids"]) == 1


def test_a_different_value_is_not_a_restatement(revenue: pd.DataFrame) -> None:
    # I006 (81M for 2015-Q2, published 2017) overlaps I002 (80M, mid 2015) but 81 != 80
    # at the printed precision, so it stays its own observation
    assert revenue.loc["I006", "row_ids"] == "I006"
    assert not revenue.loc["I006", "restated"]
    assert len(revenue) == 5


def test_derived_level_reproducing_a_reported_one_merges(revenue, territory) -> None:
    assert revenue.loc["I003", "row_ids"] == "I003+I004~level"
    assert not revenue.loc["I003", "derived"]
    assert revenue.loc["I003", "value"] == 56e6
    # -80% of 81M is 16.2M, a rounding of the reported 16M for the same quarter
    assert revenue.loc["I007", "row_ids"] == "I007+I008~level"
    # territory: -12,800 km2 and -14% of 90,800 both reproduce 78,000 (78,088 within rounding)
    assert territory.loc["I080", "row_ids"] == "I080+I081~level+I082~level"
    assert territory.loc["I091", "row_ids"] == "I091+I093~level"
    assert "reproduce it within rounding" in territory.loc["I080", "rule"]


def test_derived_level_without_a_reported_twin_stays(territory: pd.DataFrame) -> None:
    obs = territory.loc["I084~level"]
    assert obs["derived"] and obs["row_ids"] == "I084~level"
    assert obs["value"] == pytest.approx(90_800 * 0.78)
    assert len(territory) == 7


def test_derived_upper_bound(revenue: pd.DataFrame) -> None:
    # "at least 35% lower" than I003's 56M: an upper bound of 36.4M
    obs = revenue.loc["I005~level"]
    assert (obs["bound"], obs["qualifier"], bool(obs["derived"])) == ("upper", "at_most", True)
    assert obs["value"] == pytest.approx(36.4e6)
    assert "upper bound" in obs["rule"]


def test_bundled_range_is_a_measurement_interval(indicators: pd.DataFrame) -> None:
    # I021: FDD, revenue 2015 "$1-2 billion" a year
    obs = indicator_observations(
        indicators, "revenue_total", producer="Foundation for Defense of Democracies"
    ).iloc[0]
    assert obs["observation_id"] == "I021"
    assert np.isnan(obs["value"])
    assert (obs["low"], obs["high"]) == pytest.approx((1e9 / 12, 2e9 / 12))
    assert obs["bound"] == "none"
    assert obs["n_months"] == 12
    assert "range" in obs["rule"]


def test_quarter_is_an_average_over_its_months(revenue: pd.DataFrame) -> None:
    obs = revenue.loc["I007"]
    assert (obs["month_start"], obs["month_end"], obs["n_months"]) == (
        pd.Timestamp("2017-04-01"),
        pd.Timestamp("2017-06-01"),
        3,
    )
    assert "average over 3 months" in obs["rule"]


def test_overlapping_restatement_takes_latest_period(indicators: pd.DataFrame) -> None:
    # US Treasury oil revenue: ~$1M/day for 2014-06/2014-10 (I024) and 2014-06/2014-11 (I025)
    obs = indicator_observations(indicators, "revenue_oil", producer="US Treasury")
    row = obs.set_index("observation_id").loc["I025"]
    assert row["row_ids"] == "I024+I025"
    assert row["month_end"] == pd.Timestamp("2014-11-01")
    assert "overlapping periods" in row["rule"]


def test_baseline_bound_is_inherited(indicators: pd.DataFrame) -> None:
    # RAND: -57% since "at least 100,000 km2" (I140) makes I142~level a lower bound
    obs = indicator_observations(indicators, "territory", producer="RAND")
    row = obs.set_index("observation_id").loc["I142~level"]
    assert row["bound"] == "lower"
    assert "inherited from its baseline I140" in row["rule"]


# --- synthetic edge cases ---------------------------------------------------------------------


def test_two_months_sharing_a_value_are_not_merged() -> None:
    # a later month that repeats the previous month's value is a flat stretch, not a relabel
    frame = raw(
        {"value": "500", "period": "2016-01", "published": "2016-02-10"},
        {"value": "500", "period": "2016-02", "published": "2016-03-10"},
        {"value": "480", "period": "2016-04", "published": "2016-05-10"},
    )
    obs = indicator_observations(frame, "territory")
    assert obs["row_ids"].tolist() == ["X01", "X02", "X03"]
    assert not obs["restated"].any()


def test_one_release_with_one_value_for_two_periods_is_two_observations() -> None:
    frame = raw(
        {"value": "500", "period": "2016-01", "published": "2016-05-10"},
        {"value": "500", "period": "2016-03", "published": "2016-05-10"},
    )
    assert len(indicator_observations(frame, "territory")) == 2


def test_backward_relabel_merges_unless_a_figure_lies_between() -> None:
    relabel = [
        {"value": "500", "period": "late 2015", "published": "2015-12-07"},
        {"value": "500", "period": "mid 2015", "published": "2016-04-18"},
    ]
    obs = indicator_observations(raw(*relabel), "territory")
    assert obs["row_ids"].tolist() == ["X01+X02"]
    assert obs.loc[0, "month_start"] == pd.Timestamp("2015-05-01")
    # the same two rows, but the producer said 520 for 2015-06 ... 2015-08 in between
    blocked = [
        {"value": "500", "period": "2015-10", "published": "2015-11-07"},
        {"value": "520", "period": "2015-07", "published": "2015-08-20"},
        {"value": "500", "period": "2015-04", "published": "2016-04-18"},
    ]
    obs = indicator_observations(raw(*blocked), "territory")
    assert len(obs) == 3 and not obs["restated"].any()
    # a later period relabelled forward looks exactly like a new flat month: kept apart
    forward = [
        {"value": "500", "period": "2015-04", "published": "2015-05-07"},
        {"value": "500", "period": "2015-06", "published": "2015-07-18"},
    ]
    assert len(indicator_observations(raw(*forward), "territory")) == 2


def test_a_period_still_running_at_publication_cannot_be_relabelled() -> None:
    # the later row's period (2015-11) had not ended when the earlier figure came out
    frame = raw(
        {"value": "500", "period": "2015-12", "published": "2015-11-20"},
        {"value": "500", "period": "2015-11", "published": "2016-01-10"},
    )
    assert len(indicator_observations(frame, "territory")) == 2


def test_rounding_decides_the_derived_merge() -> None:
    rows = [
        {"value": "1000", "period": "2015-01", "published": "2015-02-01"},
        {"value": "700", "period": "2016-01", "published": "2016-02-01"},
        {
            "value": "-30",
            "unit": "percent change",
            "period": "2016-01",
            "baseline_period": "2015-01",
            "published": "2016-02-01",
        },
        {
            "value": "-27",
            "unit": "percent change",
            "period": "2016-01",
            "baseline_period": "2015-01",
            "published": "2016-02-02",
        },
    ]
    obs = indicator_observations(raw(*rows), "territory").set_index("observation_id")
    # -30% of 1000 = 700 exactly: merged; -27% of 1000 = 730 is another figure: kept
    assert obs.loc["X02", "row_ids"] == "X02+X03~level"
    assert obs.loc["X04~level", "row_ids"] == "X04~level"


def test_bound_and_two_sided_figure_are_never_merged() -> None:
    frame = raw(
        {"value": "500", "period": "2016-01", "published": "2016-02-10"},
        {"value": "500", "period": "2016-01", "qualifier": "at_most", "published": "2016-03-10"},
    )
    obs = indicator_observations(frame, "territory")
    assert sorted(obs["bound"]) == ["none", "upper"]


def test_opposite_bounds_leave_a_derived_level_out() -> None:
    rows = [
        {"value": "1000", "period": "2015-01", "published": "2015-02-01", "qualifier": "at_least"},
        {"value": "900", "period": "2015-06", "published": "2015-07-01"},
        {
            "value": "-30",
            "unit": "percent change",
            "qualifier": "at_most",
            "period": "2016-01",
            "baseline_period": "2015-01",
            "published": "2016-02-01",
        },
    ]
    with pytest.warns(UserWarning, match="X03~level .* opposite directions"):
        obs = indicator_observations(raw(*rows), "territory")
    assert "X03~level" not in set(obs["observation_id"])


def test_producers_are_kept_apart_and_styling_is_ignored() -> None:
    rows = [
        {"value": "500", "period": "2015-10", "published": "2015-11-07", "source_org": "Mapper"},
        {
            "value": "500",
            "period": "2015-05",
            "published": "2016-04-18",
            "source_org": "MAPPER. (press release)",
        },
        {"value": "500", "period": "2015-05", "published": "2016-04-18", "source_org": "Other"},
    ]
    obs = indicator_observations(raw(*rows), "territory")
    assert sorted(obs["row_ids"]) == ["X01+X02", "X03"]
    assert set(obs["producer"]) == {"Mapper", "Other"}


def test_producer_aliases_are_data() -> None:
    rows = [
        {"value": "500", "period": "2015-10", "published": "2015-11-07", "source_org": "Old Co"},
        {"value": "500", "period": "2015-05", "published": "2016-04-18", "source_org": "New Co"},
    ]
    frame = raw(*rows)
    assert len(indicator_observations(frame, "territory")) == 2
    merged = indicator_observations(frame, "territory", producer_aliases={"old co": "New Co"})
    assert merged["row_ids"].tolist() == ["X01+X02"]
    assert merged["producer"].tolist() == ["New Co"]
    only = indicator_observations(
        frame, "territory", producer="Old Co.", producer_aliases={"Old Co": "New Co"}
    )
    assert len(only) == 1


def test_producer_normalisation_table() -> None:
    same = ["IHS Conflict Monitor", "ihs conflict monitor.", "IHS  Conflict-Monitor (report)"]
    assert len({producer_key(n) for n in same}) == 1
    assert producer_key("U.S. Treasury") == producer_key("US Treasury")
    assert producer_key("Centre d'Analyse") == producer_key("Centre d’Analyse")
    assert producer_key("ICSR & EY") == producer_key("ICSR and EY")
    assert producer_key("Centre d'Études") == "centre détudes"  # letters beyond ASCII stay
    apart = ["US-led coalition estimate", "US-led coalition estimates"]
    assert producer_key(apart[0]) != producer_key(apart[1])
    names = pd.Series([*same, "IHS Conflict Monitor"])
    assert set(normalise_producers(names)) == {"IHS Conflict Monitor"}
    with pytest.raises(ArgumentError, match="itself renamed"):
        normalise_producers(names, {"a": "b", "b": "c"})


def test_no_warning_on_the_bundled_series(indicators: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        indicator_observations(indicators, "territory", scope=None)
