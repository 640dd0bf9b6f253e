"""Indicators: canonical units, ranges, derived levels, headline figures, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cftf_analysis as cftf
from cftf_analysis import config
from cftf_analysis.errors import AnalysisError, DataValidationError
from cftf_analysis.schemas import INDICATORS_SCHEMA
from cftf_analysis.units import DAYS_PER_MONTH, UNIT_RULES
from cftf_analysis.vocab import UNITS


@pytest.fixture(scope="module")
def ind() -> pd.DataFrame:
    return cftf.load_indicators()


def raw() -> pd.DataFrame:
    return pd.read_csv(config.INDICATORS_FILE, dtype=str, keep_default_na=False)


def by_id(ind, ident):
    return ind.set_index("indicator_id").loc[ident]


def test_every_raw_row_is_kept(ind):
    reported = ind[~ind["derived"]]
    assert reported["indicator_id"].tolist() == raw()["indicator_id"].tolist()
    assert list(ind.columns) == list(INDICATORS_SCHEMA.columns)


def test_unit_rules_cover_the_vocabulary():
    assert set(UNIT_RULES) == set(UNITS)


def test_one_canonical_unit_per_indicator_and_measure(ind):
    assert ind.groupby(["indicator", "measure"])["unit"].nunique().max() == 1
    flows = ind[ind["indicator"].str.startswith("revenue_") & (ind["measure"] == "level")]
    assert set(flows["unit"]) == {"USD per month"}


def test_unit_conversions(ind):
    # I003: 56 USD million per month -> 56e6 USD per month, not converted in kind
    assert by_id(ind, "I003")["value"] == pytest.approx(56e6)
    # I015: 2.9 USD billion per year -> 2.9e9 / 12 per month, marked converted
    row = by_id(ind, "I015")
    assert row["value"] == pytest.approx(2.9e9 / 12) and bool(row["converted"])
    # I023: 1 USD million per day -> 365.25/12 million per month
    assert by_id(ind, "I023")["value"] == pytest.approx(1e6 * DAYS_PER_MONTH)
    # I029: 2 USD million per week
    assert by_id(ind, "I029")["value"] == pytest.approx(2e6 * DAYS_PER_MONTH / 7)
    # population in people
    assert by_id(ind, "I144")["value"] == pytest.approx(9e6)
    assert by_id(ind, "I144")["unit"] == "people"


def test_ranges_kept_as_low_high(ind):
    row = by_id(ind, "I021")  # 1-2 USD billion per year, no point value
    assert np.isnan(row["value"])
    assert row["low"] == pytest.approx(1e9 / 12) and row["high"] == pytest.approx(2e9 / 12)


def test_derived_levels_name_their_rows(ind):
    derived = ind[ind["derived"]]
    assert len(derived) > 0
    for _, row in derived.iterrows():
        change_id, base_id = row["derived_from"].split("+")
        change, base = by_id(ind, change_id), by_id(ind, base_id)
        assert change["producer"] == base["producer"]
        if change["measure"] == "percent_change" and not np.isnan(change["value"]):
            expected = base["value"] * (1 + change["value"] / 100)
            assert row["value"] == pytest.approx(expected)
    # I081: -12,800 km2 since 2015-01-01 applied to IHS's 90,800 km2 (Jan 2015)
    # reproduces IHS's own reported 78,000 km2 level (I080) for Dec 2015
    assert by_id(ind, "I081~level")["value"] == pytest.approx(by_id(ind, "I080")["value"])


def test_change_without_baseline_in_data_is_not_derived(ind):
    # I083: -8% against 2015-12-15; IHS's level is dated 2015-12-14: no overlap
    assert "I083~level" not in set(ind["indicator_id"])
    # a change against another producer's level is never applied
    assert "I101~level" not in set(ind["indicator_id"])


def test_headline_revenue_down_about_30_percent(ind):
    res = cftf.percent_change(ind, "revenue_total", "mid 2015", "2016-03")
    # IHS, April 2016: about $80M a month in mid-2015 to $56M in March 2016, -30%
    assert res.loc[0, "percent_change"] == pytest.approx(-30, abs=1)
    assert (res.loc[0, "row_start"], res.loc[0, "row_end"]) == ("I002", "I003")
    assert not res.loc[0, "derived_start"] and not res.loc[0, "derived_end"]


def test_headline_territory_down_about_22_percent(ind):
    res = cftf.percent_change(ind, "territory", "2015-01", "2016-03")
    # IHS, March 2016: territory down 22% since January 2015 (90,800 km2 then)
    assert res.loc[0, "percent_change"] == pytest.approx(-22, abs=1)
    assert res.loc[0, "row_start"] == "I079"
    assert res.loc[0, "producer_start"] == res.loc[0, "producer_end"] == "IHS Conflict Monitor"


def test_choice_rule_prefers_same_producer(ind):
    # 2015 annual totals from CAT and others also cover mid-2015, but the
    # rule pairs IHS with IHS
    res = cftf.percent_change(ind, "revenue_total", "2015", "2016-03")
    assert res.loc[0, "producer_start"] == res.loc[0, "producer_end"]


def test_choice_rule_source_filter(ind):
    res = cftf.percent_change(ind, "revenue_total", "2014", "2016", source_org="ICSR")
    assert {res.loc[0, "row_start"], res.loc[0, "row_end"]} == {"I018", "I019"}
    assert res.loc[0, "percent_change"] == pytest.approx(100 * (870e6 / 1.9e9 - 1))


def test_percent_change_no_coverage(ind):
    with pytest.raises(AnalysisError, match="covers '2010'"):
        cftf.percent_change(ind, "territory", "2010", "2016-03")


# --- bad input ------------------------------------------------------------------------


def _broken(tmp_path, edits: dict[tuple[int, str], str]):
    frame = raw()
    for (row, col), value in edits.items():
        frame.loc[row - 1, col] = value
    path = tmp_path / "indicators.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("edits", "row", "column", "message"),
    [
        ({(3, "unit"): "USD trillion per month"}, 3, "unit", "not an allowed value"),
        ({(3, "indicator"): "revenue_magic"}, 3, "indicator", "not an allowed value"),
        ({(21, "low"): "3"}, 21, "low", "greater than high"),
        ({(2, "value"): "-80"}, 2, "value", "negative value for a level"),
        ({(21, "value"): "5"}, 21, "value", "outside"),
        ({(4, "baseline_period"): ""}, 4, "baseline_period", "needs a baseline"),
        ({(2, "period"): "2016-02-30"}, 2, "period", "2016-02-30"),
        ({(2, "value"): "eighty"}, 2, "value", "not a number"),
        ({(2, "value"): ""}, 2, "value", "give a value"),
        ({(5, "indicator_id"): "I001"}, 5, "indicator_id", "duplicate"),
    ],
)
def test_bad_indicator_rows(tmp_path, edits, row, column, message):
    path = _broken(tmp_path, edits)
    with pytest.raises(DataValidationError, match=message) as info:
        cftf.load_indicators(path)
    assert (info.value.row, info.value.column) == (row, column)
    assert info.value.file.endswith("indicators.csv")


# --- numbers that would load as wrong values ----------------------------------------------


@pytest.mark.parametrize("text", ["inf", "Infinity", "-inf", "nan", "NaN", "1e309", "1,000", "٨٠"])
def test_non_finite_or_foreign_numbers_are_rejected(tmp_path, text):
    path = _broken(tmp_path, {(2, "value"): text})
    with pytest.raises(DataValidationError, match=r"not a number|too large") as info:
        cftf.load_indicators(path)
    assert (info.value.row, info.value.column) == (2, "value")


@pytest.mark.parametrize("column", ["low", "high"])
def test_non_finite_bounds_are_rejected(tmp_path, column):
    path = _broken(tmp_path, {(21, column): "Infinity"})
    with pytest.raises(DataValidationError, match=r"not a number") as info:
        cftf.load_indicators(path)
    assert (info.value.row, info.value.column) == (21, column)


def test_a_finite_number_that_overflows_in_the_canonical_unit_is_rejected(tmp_path):
    path = _broken(tmp_path, {(2, "value"): "1e300", (2, "unit"): "USD billion per day"})
    with pytest.raises(DataValidationError, match=r"too large to convert") as info:
        cftf.load_indicators(path)
    assert (info.value.row, info.value.column) == (2, "value")


@pytest.mark.parametrize("value", ["-100", "-150"])
def test_a_percent_change_at_or_below_minus_100_is_rejected(tmp_path, value):
    path = _broken(tmp_path, {(84, "value"): value})
    with pytest.raises(DataValidationError, match=r"percent change of -1[05]0") as info:
        cftf.load_indicators(path)
    assert (info.value.row, info.value.column) == (84, "value")


def bundled_aliases() -> dict[str, str]:
    """The bundled case's producer renamings: a copy of its file is not the bundled case."""
    return dict(cftf.load_case().producer_aliases)


def test_a_change_that_would_give_a_negative_level_is_rejected(tmp_path):
    # I081 is a km2 change applied to I079 (90,800 km2), the same producer under the case's
    # renamings
    path = _broken(tmp_path, {(81, "value"): "-128000"})
    with pytest.raises(DataValidationError, match=r"I079.*negative level") as info:
        cftf.load_indicators(path, producer_aliases=bundled_aliases())
    assert (info.value.row, info.value.column) == (81, "value")
    from cftf_analysis.indicators import indicator_problems

    listed = indicator_problems(path, producer_aliases=bundled_aliases())
    assert listed[["row", "column"]].values.tolist() == [[81, "value"]]


def test_small_percent_declines_still_load(tmp_path):
    path = _broken(tmp_path, {(84, "value"): "-99.5"})
    row = by_id(cftf.load_indicators(path, producer_aliases=bundled_aliases()), "I084~level")
    assert row["value"] == pytest.approx(90800 * 0.005)


# --- dates ------------------------------------------------------------------------------------


def test_a_publication_in_the_future_is_rejected(tmp_path):
    path = _broken(tmp_path, {(2, "published"): "2099-04-18"})
    with pytest.raises(DataValidationError, match=r"'2099-04-18' is in the future") as info:
        cftf.load_indicators(path)
    assert (info.value.row, info.value.column) == (2, "published")


def test_a_period_after_publication_is_allowed_for_plans_and_projections(ind):
    # I174: a budget line for November 2016, published on 2016-10-30
    row = by_id(ind, "I174")
    assert row["period_start"] > row["published"]
    # a projection far ahead is a period, not a publication date: allowed
    frame = raw()
    frame.loc[1, "period"] = "2099"
    frame.loc[1, "qualifier"] = "projected"
    assert by_id(cftf.load_indicators(frame), "I002")["period_start"].year == 2099
