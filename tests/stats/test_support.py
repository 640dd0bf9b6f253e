"""What the data can support: one test per check the al-Shabaab case fails, each number
recomputed from the raw files or the loaded tables without the package's checks.

The bundled Islamic State case passes every check (its analyses run as before).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cftf_analysis as cftf
from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.stats import latent
from cftf_analysis.stats.support import (
    MIN_DECLINE,
    MIN_INDICATOR_OBSERVATIONS,
    MIN_MEAN_COUNT,
    MIN_RESIDUAL_DF,
    SUPPORT_COLUMNS,
    support_sentences,
    unsupported,
)

CASE = "al-shabaab"


@pytest.fixture(scope="module")
def case():
    return cftf.load_case(CASE)


@pytest.fixture(scope="module")
def table():
    return cftf.data_support(case=CASE)


@pytest.fixture(scope="module")
def raw(case):
    folder = case.folder
    return {
        "reports": pd.read_csv(folder / "defection_reports.csv", dtype=str, keep_default_na=False),
        "indicators": pd.read_csv(folder / "indicators.csv", dtype=str, keep_default_na=False),
        "events": pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False),
    }


def quarterly_reports(reports: pd.DataFrame) -> pd.Series:
    """Reports per quarter, each spread over its publication interval in proportion to days."""
    start = reports["published_start"].to_numpy("datetime64[D]")
    end = reports["published_end"].to_numpy("datetime64[D]") + np.timedelta64(1, "D")
    q0 = pd.Period(reports["published_start"].min(), "Q")
    q1 = pd.Period(reports["published_end"].max(), "Q")
    out = {}
    for q in pd.period_range(q0, q1, freq="Q"):
        lo = np.datetime64(q.start_time.date(), "D")
        hi = np.datetime64((q.end_time + pd.Timedelta(days=1)).date(), "D")
        overlap = (np.minimum(end, hi) - np.maximum(start, lo)).astype(int).clip(min=0)
        out[q] = float((overlap / (end - start).astype(int)).sum())
    return pd.Series(out)


def rows(table, analysis, check, *, indicator=None, event=None):
    sel = table[(table["analysis"] == analysis) & (table["check"] == check)]
    if indicator is not None:
        sel = sel[sel["indicator"] == indicator]
    if event is not None:
        sel = sel[sel["event"] == event]
    return sel


def test_columns_and_the_latent_minimum(table):
    assert list(table.columns) == SUPPORT_COLUMNS
    assert MIN_INDICATOR_OBSERVATIONS == latent.MIN_OBSERVATIONS
    assert table["supported"].dtype == bool


def test_the_first_case_supports_every_analysis():
    first = cftf.data_support(case="islamic-state")
    assert len(first) > 40 and bool(first["supported"].all())
    assert support_sentences(first) == []


# --- one test per reason the al-Shabaab case triggers -----------------------------------------


def test_too_few_observations_after_restatements_are_merged(table, raw):
    ind = raw["indicators"]
    mine = ind[(ind["indicator"] == "revenue_total") & ind["source_org"].str.startswith("Hiraal")]
    two_sided = mine[~mine["qualifier"].isin(["at_least", "at_most"])]
    assert len(two_sided) == 2 < MIN_INDICATOR_OBSERVATIONS  # B001, B003 (B002: "at least")
    for analysis in ("ccf", "granger", "count_model", "motive_trends"):
        row = rows(table, analysis, "observations", indicator="revenue").iloc[0]
        assert not row["supported"]
        assert row["value"] == len(two_sided) and row["threshold"] == 3
        assert "B001, B003" in row["reason"]


def test_an_indicator_with_no_decline(table, raw):
    ind = raw["indicators"].set_index("indicator_id")
    per_month_2020 = float(ind.loc["B001", "value"])  # USD million per month
    per_month_2021 = float(ind.loc["B003", "value"]) / 12  # USD million per year
    fall = max(0.0, 1 - per_month_2021 / per_month_2020)
    assert fall == pytest.approx(0.0) and fall < MIN_DECLINE
    row = rows(table, "ccf", "decline", indicator="revenue").iloc[0]
    assert not row["supported"] and row["value"] == pytest.approx(fall)


def test_monthly_counts_too_sparse_for_a_monthly_lag_structure(table, case):
    months = pd.date_range("2020-01-01", "2021-12-01", freq="MS")  # the revenue figures' span
    start = case.reports["published_start"].to_numpy("datetime64[D]")
    end = case.reports["published_end"].to_numpy("datetime64[D]") + np.timedelta64(1, "D")
    lo, hi = np.datetime64("2020-01-01", "D"), np.datetime64("2022-01-01", "D")
    overlap = (np.minimum(end, hi) - np.maximum(start, lo)).astype(int).clip(min=0)
    mean = float((overlap / (end - start).astype(int)).sum()) / len(months)
    for analysis in ("ccf", "granger", "count_model"):
        row = rows(table, analysis, "mean_count", indicator="revenue").iloc[0]
        assert not row["supported"] and row["freq"] == "MS"
        assert row["value"] == pytest.approx(mean, rel=1e-9) and mean < MIN_MEAN_COUNT
    empty = rows(table, "ccf", "empty_periods", indicator="revenue").iloc[0]
    panel = cftf.monthly_panel(case.reports, case.indicators).set_index("month")["n_reports"]
    share = float((panel.reindex(months, fill_value=0.0) < 0.5).mean())
    assert not empty["supported"] and empty["value"] == pytest.approx(share)


def test_quarterly_window_too_sparse_at_an_event(table, case):
    quarters = quarterly_reports(case.reports)
    quarters = quarters[quarters.index >= pd.Period("2016Q1")]
    window = quarters[pd.Period("2019Q4") - 4 : pd.Period("2019Q4") + 3]  # V016, 4 each side
    row = rows(table, "event_effects", "empty_periods", event="V016").iloc[0]
    assert not row["supported"] and row["value"] == pytest.approx(float((window < 0.5).mean()))
    window = quarters[pd.Period("2020Q4") - 4 : pd.Period("2020Q4") + 3]  # V017
    row = rows(table, "event_effects", "mean_count", event="V017").iloc[0]
    assert not row["supported"] and row["value"] == pytest.approx(window.mean(), rel=1e-9)


def test_too_few_periods_after_an_event(table, case):
    last = pd.Period(case.reports["published_end"].max(), "Q")
    event = pd.Period(case.events.set_index("event_id").loc["V030", "date_start"], "Q")
    after = last.ordinal - event.ordinal + 1
    row = rows(table, "event_effects", "periods_after", event="V030").iloc[0]
    assert after == 1 and not row["supported"] and row["value"] == after


def test_too_few_residual_degrees_of_freedom_around_an_event(table, case):
    quarters = quarterly_reports(case.reports)
    at = pd.Period("2022Q4")  # V019-V021: 4 quarters each side, all inside the series
    window = quarters[at - 4 : at + 3]
    # the event effect's design: level, trend, level change, slope change (statsmodels
    # would fit the same 4 columns; see test_level_changes.py)
    df = len(window) - 4
    row = rows(table, "event_effects", "residual_df", event="V019, V020, V021").iloc[0]
    assert len(window) == 8 and row["value"] == df == 4 and not row["supported"]
    # why 12: the normal-reference test with a scale estimated on df degrees of freedom
    # rejects a true null with probability P(|t_df| > 1.96) (scipy.stats.t.sf)
    size = {d: 2 * stats.t.sf(1.959964, d) for d in (df, MIN_RESIDUAL_DF - 1, MIN_RESIDUAL_DF)}
    assert size[df] > 0.12 and size[MIN_RESIDUAL_DF] <= 0.075 < size[MIN_RESIDUAL_DF - 1]
    # the first case's monthly windows (20-24 months) pass
    first = cftf.data_support(case="islamic-state", steps=["event_effects"])
    assert first[first["check"] == "residual_df"]["value"].min() >= 16


def test_an_event_outside_the_reporting_series(table, case):
    first = pd.Period(case.reports["published_start"].min(), "Q")
    event = pd.Period(case.events.set_index("event_id").loc["V006", "date_start"], "Q")
    assert event.ordinal + 4 < first.ordinal  # the window ends before the first report
    row = rows(table, "event_effects", "in_series", event="V006").iloc[0]
    assert not row["supported"]


def test_the_competing_event_cannot_be_told_apart(table, case, raw):
    events = raw["events"].set_index("event_id")
    offensive = pd.Period(events.loc["V018", "date"], "Q")
    measures = min(pd.Period(events.loc[i, "date"][:10], "Q") for i in case.interruption_events)
    between = measures.ordinal - offensive.ordinal
    quarters = quarterly_reports(case.reports)
    row = rows(table, "competing_event", "periods_between").iloc[0]
    assert between == 1 and not row["supported"] and row["value"] == between
    assert f"holding {quarters[offensive]:.1f} reports" in row["reason"]
    # the estimate would not exist: the one quarter between them holds no report
    assert quarters[offensive] == 0
    with pytest.raises(cftf.AnalysisError, match="separation"):
        counts = quarters[quarters.index >= pd.Period("2016Q1")]
        cftf.level_changes(
            counts, {"measures": measures, "offensive": offensive}, freq="QS"
        )  # fmt: skip


def test_no_report_cites_money(table, raw):
    citing = int((raw["reports"]["motive_financial"] == "1").sum())
    row = rows(table, "motive_trends", "citing").iloc[0]
    assert citing == 0 and not row["supported"] and row["value"] == citing


# --- the battery runs what is supported, lists the rest ---------------------------------------


@pytest.fixture(scope="module")
def battery():
    return cftf.run_battery(case=CASE, n_draws=20, steps=["ccf", "event_effects"])


def test_nothing_is_silently_dropped(battery):
    support = battery.support
    assert set(support["analysis"]) == {"ccf", "event_effects"}
    # the indicator analyses: unsupported, not run, not drawn, not an error
    assert battery["ccf"].rows.empty and battery.draws is None
    assert not any("revenue" in e for e in battery.errors)
    # the events: no quarterly window around one event can carry its own time series, so none
    # is tested, and each is listed
    keys = support.groupby("event")["supported"].all()
    assert not keys.any() and len(keys) == 8
    assert battery["event_effects"].table.empty and battery["event_effects"].rows.empty
    assert not any("event" in e for e in battery.errors)
    failed = unsupported(support)
    assert set(failed["check"]) >= {
        "observations", "decline", "mean_count", "periods_after", "residual_df"
    }  # fmt: skip


def test_sentences_name_the_analysis_reason_and_number(table):
    sentences = support_sentences(table)
    assert len(sentences) == len(
        unsupported(table).drop_duplicates(["indicator", "event", "check", "reason"])
    )
    text = "\n".join(sentences)
    assert "revenue has 2 figures" in text and "needs at least 3" in text
    assert "0 of 50 reports cite a financial motive" in text
    assert all(s.endswith(".") for s in sentences)


def test_unknown_interruption_events_name_the_case_file(case, tmp_path):
    text = case.path.read_text().replace('competing = ["V018"]', 'competing = ["V099"]')
    folder = tmp_path / "case"
    folder.mkdir()
    for name in ("defection_reports.csv", "indicators.csv", "events.csv"):
        (folder / name).write_bytes((case.folder / name).read_bytes())
    (folder / "case.toml").write_text(text)
    with pytest.raises(DataValidationError, match=r"\['V099'\] are not in the events") as err:
        cftf.data_support(case=folder)
    assert err.value.column == "events.competing"
    with pytest.raises(ArgumentError, match="interruption"):
        cftf.data_support(case=CASE, interruption=["V999"])


def test_a_cache_reads_each_series_once_and_changes_no_check():
    from cftf_analysis.stats.draws import IndicatorCache
    from cftf_analysis.stats.support import indicator_support

    case = cftf.load_case()
    spec = case.series["territory"]
    plain = indicator_support("ccf", case.indicators, spec, name="territory", max_lag=6)
    cache = IndicatorCache()
    first = indicator_support(
        "ccf", case.indicators, spec, name="territory", max_lag=6, cache=cache
    )
    assert (cache.hits, cache.misses) == (0, 1)
    again = indicator_support(
        "count_model", case.indicators.copy(), spec, name="territory", cache=cache
    )
    assert (cache.hits, cache.misses) == (1, 1)  # a copy has the same contents
    assert first == plain
    assert [r["check"] for r in again] == ["observations", "decline"]
    # another producer's rows are another entry
    other = dict(spec, producer=None)
    indicator_support("ccf", case.indicators, other, name="territory", max_lag=6, cache=cache)
    assert cache.misses == 2
