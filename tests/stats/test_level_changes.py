"""Level changes at several events in one model, checked against statsmodels' GLM directly;
the quarterly interrupted time series; the al-Shabaab finding recomputed from the raw dates.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.stats.battery import battery_context
from cftf_analysis.stats.interrupted import LEVEL_CHANGE_COLUMNS, event_effect, level_changes
from cftf_analysis.stats.steps import CompetingEventStep
from cftf_analysis.stats.support import support_table

QUARTERS = pd.period_range("2014Q1", periods=36, freq="Q")


def statsmodels_fit(y: np.ndarray, X: np.ndarray):
    return sm.GLM(y, X, family=sm.families.Poisson()).fit(scale="X2", tol=1e-13)


@pytest.fixture
def series(rng) -> pd.Series:
    t = np.arange(36)
    mu = 4 * np.exp(0.01 * t - 0.5 * (t >= 18) + 0.6 * (t >= 27))
    return pd.Series(rng.negative_binomial(8, 8 / (8 + mu)).astype(float), index=QUARTERS)


def test_two_level_changes_match_statsmodels(series):
    out = level_changes(series, {"sanctions": "2018-07-01", "offensive": "2020Q4"}, freq="QS")
    assert list(out.columns) == LEVEL_CHANGE_COLUMNS
    t = np.arange(36, dtype=float)
    X = np.column_stack([np.ones(36), t, t >= 18, t >= 27]).astype(float)
    ref = statsmodels_fit(series.to_numpy(), X)
    ci = ref.conf_int()
    np.testing.assert_allclose(out["estimate"], ref.params[1:], rtol=1e-8)
    np.testing.assert_allclose(out["std_error"], ref.bse[1:], rtol=1e-6)
    np.testing.assert_allclose(out["p_value"], ref.pvalues[1:], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(out["ci_low"], ci[1:, 0], rtol=1e-6)
    np.testing.assert_allclose(out["ratio_high"], np.exp(ci[1:, 1]), rtol=1e-6)
    assert out["scale"].iloc[0] == pytest.approx(ref.scale, rel=1e-8)
    assert out["n_before"].iloc[0] == 18 and out["n_after"].iloc[0] == 9


def test_a_window_and_the_checks(series):
    out = level_changes(series, {"a": "2018Q3"}, freq="QS", window=6)
    t = np.arange(12, dtype=float)
    X = np.column_stack([np.ones(12), t, t >= 6]).astype(float)
    ref = statsmodels_fit(series.iloc[12:24].to_numpy(), X)
    assert out.set_index("term").loc["a", "estimate"] == pytest.approx(ref.params[2], rel=1e-8)
    with pytest.raises(AnalysisError, match="same quarter"):
        level_changes(series, {"a": "2018-07-01", "b": "2018-09-30"}, freq="QS")
    with pytest.raises(AnalysisError, match="at least 3"):
        level_changes(series, {"a": "2014-04-01"}, freq="QS")
    with pytest.raises(ArgumentError, match="freq"):
        level_changes(series, {"a": "2018Q3"}, freq="W")


def test_event_effect_on_quarters_matches_statsmodels(series):
    out = event_effect(series, date="2018-08-15", freq="QS", window=8)
    t = np.arange(16, dtype=float)
    post = (t >= 8).astype(float)
    X = np.column_stack([np.ones(16), t, post, (t - 8) * post])
    ref = statsmodels_fit(series.iloc[10:26].to_numpy(), X)
    np.testing.assert_allclose(out["estimate"], ref.params[1:], rtol=1e-6)
    np.testing.assert_allclose(out["std_error"], ref.bse[1:], rtol=1e-5)
    assert out["event_date"].iloc[0] == pd.Timestamp("2018-07-01")
    with pytest.raises(ArgumentError, match="month-of-year"):
        event_effect(series, date="2018-08-15", freq="QS", seasonal=True)


def quarterly_reports(reports: pd.DataFrame) -> pd.Series:
    """Reports per quarter from the loaded dates: each spread over its days, by hand."""
    start = reports["published_start"].to_numpy("datetime64[D]")
    end = reports["published_end"].to_numpy("datetime64[D]") + np.timedelta64(1, "D")
    first = pd.Period(reports["published_start"].min(), "Q")
    last = pd.Period(reports["published_end"].max(), "Q")
    values = []
    quarters = pd.period_range(first, last, freq="Q")
    for q in quarters:
        lo = np.datetime64(q.start_time.date(), "D")
        hi = np.datetime64((q.end_time + pd.Timedelta(days=1)).date(), "D")
        overlap = (np.minimum(end, hi) - np.maximum(start, lo)).astype(int).clip(min=0)
        values.append(float((overlap / (end - start).astype(int)).sum()))
    return pd.Series(values, index=quarters)


def run_step(step: CompetingEventStep):
    """The step on the al-Shabaab case, as the battery runs it (checks first)."""
    ctx = battery_context(case="al-shabaab")
    ctx = dataclasses.replace(ctx, support=support_table(ctx, [step]))
    return ctx, step.run(ctx, None)


@pytest.fixture(scope="module")
def shabaab():
    return run_step(CompetingEventStep(n_sims=200))


def test_the_al_shabaab_finding_against_statsmodels(shabaab):
    ctx, result = shabaab
    case = ctx.case
    counts = quarterly_reports(case.reports)
    # the combined level change starts at the earliest of the events: the offensive's quarter
    events = case.events.set_index("event_id")["date_start"]
    ids = [*case.interruption_events, *case.competing_events]
    start = min(pd.Period(events[i], "Q") for i in ids)
    t = np.arange(len(counts), dtype=float)
    X = np.column_stack([np.ones(len(t)), t, counts.index >= start]).astype(float)
    ref = statsmodels_fit(counts.to_numpy(), X)
    rows = result.rows
    assert len(rows) == 1  # the separate model is not supported: only the combined change
    row = rows.iloc[0]
    assert "together (from 2022Q3)" in row["finding"]
    assert row["estimate"] == pytest.approx(np.exp(ref.params[2]), rel=1e-6)
    assert row["ci_low"] == pytest.approx(np.exp(ref.conf_int()[2, 0]), rel=1e-6)
    assert row["ci_high"] == pytest.approx(np.exp(ref.conf_int()[2, 1]), rel=1e-6)
    assert row["p_value"] == pytest.approx(ref.pvalues[2], rel=1e-6)
    assert row["n_obs"] == len(counts) == 32
    assert 1 < row["mde"] < 10
    table = result.table.set_index("model")
    # the separate design could not have detected a rise of up to 100-fold with 80% power
    assert not table.loc["separate", "supported"] and np.isinf(table.loc["separate", "mde"])


@pytest.mark.slow
def test_the_al_shabaab_mde_by_an_independent_simulation():
    """The report's MDE (1000 simulations) against gamma-Poisson counts drawn with numpy,
    each fitted with statsmodels."""
    ctx, result = run_step(CompetingEventStep())
    case = ctx.case
    counts = quarterly_reports(case.reports)
    n = len(counts)
    t = np.arange(n, dtype=float)
    post = (np.arange(n) >= n - 6).astype(float)  # 2022Q3..2023Q4
    null = statsmodels_fit(counts.to_numpy(), np.column_stack([np.ones(n), t]))
    full = statsmodels_fit(counts.to_numpy(), np.column_stack([np.ones(n), t, post]))
    phi = full.scale
    mu0 = null.fittedvalues
    X = np.column_stack([np.ones(n), t, post])
    mde = float(result.rows["mde"].iloc[0])
    rng = np.random.default_rng(7)

    def power(ratio: float, n_sims: int = 400) -> float:
        mu = mu0 * ratio**post
        hits = 0
        for _ in range(n_sims):
            lam = rng.gamma(mu / (phi - 1), phi - 1)
            y = rng.poisson(lam)
            fit = sm.GLM(y, X, family=sm.families.Poisson()).fit(scale="X2")
            hits += fit.pvalues[2] < 0.05
        return hits / n_sims

    at_mde = power(mde)
    assert abs(at_mde - 0.8) < 0.06  # 3 Monte Carlo SEs at 400 simulations
    assert power(mde / 1.4) < 0.7
