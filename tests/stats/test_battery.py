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
from tests.stats.reference import glm_per_draw, prewhitened_r, rubin, window_arrays

# ``battery``: the session's standard battery on the bundled case (tests/conftest.py).
# The batteries run here test no power: n_power=0 spares the power simulations.


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
    """Each draw's prewhitened r (statsmodels AutoReg, numpy corrcoef), Fisher z pooled by
    Rubin's rules written out, equals the table; the row is the leading lag with the
    largest |r|."""
    table = battery["ccf"].table
    rows = table[table["indicator"] == "territory"].set_index("lag")
    order = int(rows["ar_order"].iloc[0])
    counts, paths, _ = window_arrays(battery, "territory")
    lags = rows.index.to_numpy()
    per_draw = [prewhitened_r(c, x, lags, order) for c, x in zip(counts, paths, strict=True)]
    r = np.array([[rk for rk, _ in d] for d in per_draw])
    n_k = np.array([n for _, n in per_draw[0]])
    for j, lag in enumerate(lags):
        ref = rubin(np.arctanh(r[:, j]), np.full(len(r), 1 / (n_k[j] - 3)))
        at = rows.loc[lag]
        assert at["estimate"] == pytest.approx(np.tanh(ref["estimate"]), abs=1e-8)
        assert at["p_rubin"] == pytest.approx(ref["p_value"], rel=1e-6)
        half = (ref["ci_high"] - ref["ci_low"]) / 2
        assert at["ci_low"] == pytest.approx(np.tanh(ref["estimate"] - half), abs=1e-8)
        assert at["ci_high"] == pytest.approx(np.tanh(ref["estimate"] + half), abs=1e-8)
        assert at["n_obs"] == n_k[j]
    lead = rows[rows.index >= 0]
    peak = lead["estimate"].abs().idxmax()
    row = battery.summary[battery.summary["finding"].str.startswith("territory vs reports")]
    row = row.iloc[0]
    assert row["lag"] == peak
    assert row["estimate"] == pytest.approx(rows.loc[peak, "estimate"], abs=1e-12)
    assert row["p_value"] == rows.loc[peak, "p_value"]
    assert row["p_adjusted"] == rows.loc[peak, "p_adjusted"]
    latent = battery.draws.series["territory"].latent
    assert row["n_observed_points"] == len(latent.observations)


def test_count_model_row_is_the_direct_fit(battery):
    """statsmodels' quasi-Poisson GLM per draw, Rubin's rules written out (Barnard-Rubin df
    from the fits' residual df): the estimate, Rubin p and interval of the row."""
    scale = scale_of("USD per month")
    counts, paths, _ = window_arrays(battery, "revenue_total")
    est, var, df_resid = glm_per_draw(counts, paths, scale.divisor)
    ref = rubin(est, var, df_complete=df_resid)
    row = battery.summary[
        battery.summary["finding"].str.startswith("reports per month: rate ratio")
    ]
    row = row[row["indicator"] == "revenue_total"].iloc[0]
    table = battery["count_model"].table
    term = table[(table["indicator"] == "revenue_total") & (table["term"] == "indicator")].iloc[0]
    assert row["estimate"] == pytest.approx(np.exp(ref["estimate"]), rel=1e-7)
    assert term["p_rubin"] == pytest.approx(ref["p_value"], rel=1e-5)
    half = (ref["ci_high"] - ref["ci_low"]) / 2
    assert row["ci_low"] == pytest.approx(np.exp(ref["estimate"] - half), rel=1e-6)
    assert row["ci_high"] == pytest.approx(np.exp(ref["estimate"] + half), rel=1e-6)
    assert row["n_obs"] == counts.shape[1]
    assert 0 < row["p_value"] <= 1


def test_events_tested_once_per_month_with_holm(battery):
    effects = battery["event_effects"].table
    months = effects["event_date"]
    assert months.is_unique
    # Holm-adjusted p-values are never smaller than the raw ones
    assert (effects["p_adjusted"] >= effects["p_value"] - 1e-15).all()
    assert np.isclose(effects["p_adjusted"].max(), min(1, effects["p_adjusted"].max()))


def test_count_model_draws_table_summarises_the_row(battery):
    draws = battery["count_model"].tables["count_model_draws_territory"]
    row = battery.summary[battery.summary["finding"].str.startswith("reports per month")]
    row = row[row["indicator"] == "territory"].iloc[0]
    assert len(draws) == battery.options.n_draws
    assert row["draws_q025"] == pytest.approx(draws["estimate"].quantile(0.025))
    assert row["draws_q975"] == pytest.approx(draws["estimate"].quantile(0.975))
    assert row["share_significant"] == pytest.approx((draws["p_value"] < 0.05).mean())
    # the pooled estimate is the geometric mean of the draws' rate ratios
    assert row["estimate"] == pytest.approx(np.exp(np.log(draws["estimate"]).mean()))


def test_unusable_pair_is_reported_not_filled(battery):
    reports, indicators = cftf.load_reports(), cftf.load_indicators()
    # a panel series with one reported point cannot be tested
    one = indicators[~((indicators["indicator"] == "territory") & (indicators["value"] != 90800))]
    b = run_battery(reports, one, pairs=("territory",), n_draws=2, n_power=0)
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
    b = run_battery(
        reports, indicators, coverage=coverage, n_draws=3, pairs=("territory",), n_power=0
    )
    row = b.summary[b.summary["finding"].str.startswith("reports per month")].iloc[0]
    assert "offset" in row["caveat"]
    scale = scale_of("km2")
    counts, paths, offset = window_arrays(b, "territory", exposure="n_articles_topic")
    est, _, _ = glm_per_draw(counts, paths, scale.divisor, offset=offset)
    assert row["estimate"] == pytest.approx(np.exp(est.mean()), rel=1e-7)
    alt = run_battery(
        reports,
        indicators,
        coverage=coverage,
        counts="n_articles_defection",
        n_draws=3,
        pairs=("territory",),
        n_power=0,
    )
    alt_row = alt.summary[alt.summary["finding"].str.startswith("reports per month")].iloc[0]
    fixed = alt.panel.set_index("month")["n_articles_defection"].reindex(alt.draws.months)
    keep = alt.draws.series["territory"].defined
    articles = np.broadcast_to(fixed.to_numpy(float)[keep], paths.shape)
    alt_est, _, _ = glm_per_draw(articles, paths, scale.divisor, offset=offset)
    assert alt_row["estimate"] == pytest.approx(np.exp(alt_est.mean()), rel=1e-7)


def test_results_are_kept_by_step_name(battery):
    assert list(battery.results) == list(registered_steps())
    ccf = battery["ccf"]
    assert set(ccf.table["indicator"]) == {"revenue_total", "territory"}
    assert list(ccf.rows["indicator"]) == ["revenue_total", "territory"]
    assert set(battery["count_model"].table["indicator"]) == {"revenue_total", "territory"}
    assert set(battery["count_model"].tables) == {
        "count_model_draws_revenue_total",
        "count_model_draws_territory",
        "power_count_model_revenue_total",
        "power_count_model_territory",
    }
    assert (
        battery["change_points"]
        .models["change_points"]
        .segments.equals(battery["change_points"].table)
    )
    with pytest.raises(KeyError, match="no step 'nope'"):
        battery["nope"]
    # the summary is the steps' rows, indicator by indicator, then the others
    order = battery.summary["finding"].tolist()
    ccf_territory = next(f for f in order if f.startswith("territory vs reports"))
    assert order.index("Granger: revenue_total -> n_reports") < order.index(ccf_territory)
    first_break = next(f for f in order if f.startswith("change point in report counts"))
    assert order.index(ccf_territory) < order.index(first_break)


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
        bundled_reports, bundled_indicators, steps=["ccf", "toy"], n_draws=2, n_power=0
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
        b = run_battery(bundled_reports, bundled_indicators, steps=["failing"], n_draws=2)
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
