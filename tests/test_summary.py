"""association_summary: every row equals the underlying function called directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cftf_analysis as cftf
from cftf_analysis.stats.summary import SCALES, SUMMARY_COLUMNS, run_battery


@pytest.fixture(scope="module")
def battery():
    return run_battery(
        cftf.load_reports(), cftf.load_indicators(), events=cftf.load_events(), n_draws=20
    )


def test_schema_and_caveats(battery):
    table = battery.summary
    assert list(table.columns) == SUMMARY_COLUMNS
    assert table["finding"].is_unique
    assert table["caveat"].str.len().gt(0).all()
    assert battery.errors == []
    # the bundled indicator series have fewer than 8 reported points each
    indicator_rows = table[table["n_observed_points"].notna()]
    assert (indicator_rows["n_observed_points"] < 8).all()
    assert indicator_rows["caveat"].str.contains("treat as descriptive").all()


def test_ccf_row_is_the_direct_computation(battery):
    panel = battery.panel
    window = panel[panel["territory"].notna()]
    direct = cftf.cross_correlation(window["territory"], window["n_reports"], max_lag=6)
    lead = direct[direct["lag"] >= 0]
    peak = lead.loc[lead["estimate"].abs().idxmax()]
    row = battery.summary[battery.summary["finding"].str.startswith("territory vs reports")].iloc[
        0
    ]
    assert row["lag"] == peak["lag"]
    assert row["estimate"] == pytest.approx(peak["estimate"], abs=1e-12)
    assert row["p_adjusted"] == pytest.approx(peak["p_adjusted"], abs=1e-12)
    assert row["n_observed_points"] == int(window["territory_observed"].sum())


def test_count_model_row_is_the_direct_fit(battery):
    panel = battery.panel
    name, divisor, _ = SCALES["revenue_total"]
    window = panel[panel["revenue_total"].notna()].reset_index(drop=True)
    window = window.assign(**{name: window["revenue_total"] / divisor})
    fit = cftf.fit_count_model(window, counts="n_reports", covariates=[name], lags=(0,))
    term = fit.tidy().set_index("term").loc[f"{name}_lag0"]
    row = battery.summary[
        battery.summary["finding"].str.startswith("reports per month: rate ratio")
    ]
    row = row[row["indicator"] == "revenue_total"].iloc[0]
    assert row["estimate"] == pytest.approx(term["irr"], rel=1e-10)
    assert row["p_value"] == pytest.approx(term["p_value"], rel=1e-10)


def test_events_tested_once_per_month_with_holm(battery):
    effects = battery.event_effects
    months = effects["event_date"]
    assert months.is_unique
    # Holm-adjusted p-values are never smaller than the raw ones
    assert (effects["p_adjusted"] >= effects["p_value"] - 1e-15).all()
    assert np.isclose(effects["p_adjusted"].max(), min(1, effects["p_adjusted"].max()))


def test_sensitivity_rows_summarise_draws(battery):
    res = battery.sensitivity["territory"]
    row = battery.summary[battery.summary["finding"].str.startswith("sensitivity")]
    row = row[row["indicator"] == "territory"].iloc[0]
    assert row["estimate"] == pytest.approx(res.draws["estimate"].median())
    assert row["ci_low"] <= row["estimate"] <= row["ci_high"]


def test_unusable_pair_is_reported_not_filled(battery):
    reports, indicators = cftf.load_reports(), cftf.load_indicators()
    # a panel series with one reported point cannot be tested
    one = indicators[~((indicators["indicator"] == "territory") & (indicators["value"] != 90800))]
    b = run_battery(reports, one, pairs=("territory",), n_draws=2)
    assert b.errors, "a failed test must be listed"
    assert not b.summary["finding"].str.contains("territory vs reports").any()
    assert pd.api.types.is_float_dtype(b.summary["estimate"])


def test_corpus_coverage_as_exposure_and_alternative_series(rng):
    reports, indicators = cftf.load_reports(), cftf.load_indicators()
    months = pd.date_range("2014-01-01", "2018-12-01", freq="MS")
    coverage = pd.DataFrame(
        {
            "period": months,
            "n_articles_topic": rng.poisson(2000, len(months)),
            "n_articles_defection": rng.poisson(30, len(months)),
        }
    )
    b = run_battery(reports, indicators, coverage=coverage, n_draws=3, pairs=("territory",))
    row = b.summary[b.summary["finding"].str.startswith("reports per month")].iloc[0]
    assert "offset" in row["caveat"]
    window = b.panel[b.panel["territory"].notna()].reset_index(drop=True)
    direct = cftf.fit_count_model(
        window,
        counts="n_reports",
        covariates=["territory_10k_km2"],
        exposure="n_articles_topic",
    )
    term = direct.tidy().set_index("term").loc["territory_10k_km2_lag0"]
    assert row["estimate"] == pytest.approx(term["irr"], rel=1e-10)
    alt = run_battery(
        reports,
        indicators,
        coverage=coverage,
        counts="n_articles_defection",
        n_draws=3,
        pairs=("territory",),
    )
    alt_row = alt.summary[alt.summary["finding"].str.startswith("reports per month")].iloc[0]
    alt_direct = cftf.fit_count_model(
        window,
        counts="n_articles_defection",
        covariates=["territory_10k_km2"],
        exposure="n_articles_topic",
    )
    alt_term = alt_direct.tidy().set_index("term").loc["territory_10k_km2_lag0"]
    assert alt_row["estimate"] == pytest.approx(alt_term["irr"], rel=1e-10)
