"""The battery: registered steps, and every row equal to the function called directly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import cftf_analysis as cftf
from cftf_analysis.errors import ArgumentError
from cftf_analysis.stats.battery import (
    BatteryContext,
    StepResult,
    register_step,
    registered_steps,
    run_battery,
    unregister_step,
)
from cftf_analysis.stats.findings import FINDING_COLUMNS as SUMMARY_COLUMNS
from cftf_analysis.stats.findings import caveat, finding_frame, finding_row, scale_of


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
    scale = scale_of("USD per month")
    name, divisor = f"revenue_total_{scale.suffix}", scale.divisor
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
    effects = battery["event_effects"].table
    months = effects["event_date"]
    assert months.is_unique
    # Holm-adjusted p-values are never smaller than the raw ones
    assert (effects["p_adjusted"] >= effects["p_value"] - 1e-15).all()
    assert np.isclose(effects["p_adjusted"].max(), min(1, effects["p_adjusted"].max()))


def test_sensitivity_rows_summarise_draws(battery):
    res = battery["sensitivity"].models["territory"]
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


def test_results_are_kept_by_step_name(battery):
    assert list(battery.results) == list(registered_steps())
    ccf = battery["ccf"]
    assert set(ccf.table["indicator"]) == {"revenue_total", "territory"}
    assert list(ccf.rows["indicator"]) == ["revenue_total", "territory"]
    assert set(battery["count_model"].models) == {"revenue_total", "territory"}
    assert (
        battery["change_points"]
        .models["change_points"]
        .segments.equals(battery["change_points"].table)
    )
    with pytest.raises(KeyError, match="no step 'nope'"):
        battery["nope"]
    # the summary is the steps' rows, indicator by indicator, then the others
    order = battery.summary["finding"].tolist()
    assert order.index("Granger: revenue_total -> n_reports") < order.index(
        "territory vs reports: strongest cross-correlation (territory leading)"
    )


@dataclass(frozen=True)
class ToyStep:
    """A statistic a user adds: the mean count of the months an indicator is known."""

    name: str = "toy"
    label: str = "toy statistic"
    per_indicator: bool = True
    table_name: str | None = "toy"

    def run(self, ctx: BatteryContext, indicator: str | None) -> StepResult:
        window = ctx.window(indicator)
        mean = float(window[ctx.options.counts].mean())
        row = finding_row(
            finding=f"toy: mean monthly reports where {indicator} is known",
            method="mean",
            indicator=indicator,
            estimate=mean,
            n_obs=len(window),
            caveat=caveat(ctx.n_points(indicator)),
        )
        table = pd.DataFrame({"indicator": [indicator], "mean": [mean]})
        return StepResult(rows=finding_frame([row]), table=table)


@pytest.fixture
def toy_step():
    register_step(ToyStep())
    yield
    unregister_step("toy")


def test_a_registered_step_appears_in_the_summary(toy_step, bundled_reports, bundled_indicators):
    table = cftf.association_summary(
        bundled_reports, bundled_indicators, steps=["ccf", "toy"], n_draws=2
    )
    toy = table[table["finding"].str.startswith("toy:")].set_index("indicator")
    panel = cftf.monthly_panel(bundled_reports, bundled_indicators)
    expected = panel.loc[panel["territory"].notna(), "n_reports"].mean()
    assert toy.loc["territory", "estimate"] == pytest.approx(expected)
    assert list(table.columns) == SUMMARY_COLUMNS
    # per-indicator steps interleave: ccf and toy for revenue, then for territory
    assert table["indicator"].tolist() == ["revenue_total"] * 2 + ["territory"] * 2


def test_registry_refuses_duplicates_and_non_steps(toy_step):
    with pytest.raises(ArgumentError, match="a step named 'toy' is registered"):
        register_step(ToyStep())
    with pytest.raises(ArgumentError, match="is not a battery step"):
        register_step(object())
    with pytest.raises(ArgumentError, match="no step named 'absent'"):
        unregister_step("absent")
    with pytest.raises(ArgumentError, match=r"unknown step\(s\) \['absent'\]"):
        run_battery(cftf.load_reports(), cftf.load_indicators(), steps=["absent"])


def test_a_step_that_cannot_run_is_listed(bundled_reports, bundled_indicators):
    @dataclass(frozen=True)
    class Failing(ToyStep):
        name: str = "failing"

        def run(self, ctx, indicator):
            raise cftf.AnalysisError("not enough months")

    register_step(Failing())
    try:
        b = run_battery(bundled_reports, bundled_indicators, steps=["failing"])
    finally:
        unregister_step("failing")
    assert b.errors == [
        "toy statistic revenue_total: not enough months",
        "toy statistic territory: not enough months",
    ]
    assert b.summary.empty and list(b.summary.columns) == SUMMARY_COLUMNS


def test_unknown_pair_is_an_argument_error(bundled_reports, bundled_indicators):
    with pytest.raises(ArgumentError, match=r"pairs: \['fighters'\] are not series"):
        run_battery(bundled_reports, bundled_indicators, pairs=("fighters",))
