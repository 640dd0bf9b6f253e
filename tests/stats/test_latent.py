"""The latent monthly series: statsmodels and closed-form checks, simulation, bounds."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from cftf_analysis import AnalysisError, ArgumentError, load_indicators
from cftf_analysis.stats.latent import (
    DEFAULT_PRIOR_SCALE,
    HYPER_COLUMNS,
    LATENT_COLUMNS,
    LATENT_OBSERVATION_COLUMNS,
    latent_from_observations,
    latent_indicator,
    simulate_observations,
    simulate_trend_path,
)

IHS = "IHS Conflict Monitor"
MONTHS = pd.date_range("2015-01-01", periods=24, freq="MS")


def table(
    starts: list[int],
    ends: list[int] | None = None,
    values: list[float] | None = None,
    *,
    low: list[float] | None = None,
    high: list[float] | None = None,
    bound: list[str] | None = None,
    months: pd.DatetimeIndex = MONTHS,
) -> pd.DataFrame:
    """A minimal observation table on ``months`` (positions of first and last month)."""
    ends = starts if ends is None else ends
    n = len(starts)
    ids = [f"O{i}" for i in range(n)]
    return pd.DataFrame(
        {
            "observation_id": ids,
            "row_ids": ids,
            "month_start": months[starts],
            "month_end": months[ends],
            "value": values if values is not None else np.nan,
            "low": low if low is not None else np.nan,
            "high": high if high is not None else np.nan,
            "bound": bound if bound is not None else ["none"] * n,
            "qualifier": "",
        }
    )


@pytest.fixture(scope="module")
def indicators() -> pd.DataFrame:
    return load_indicators()


@pytest.fixture(scope="module")
def revenue(indicators):
    return latent_indicator(indicators, "revenue_total", producer=IHS)


@pytest.fixture(scope="module")
def territory(indicators):
    return latent_indicator(indicators, "territory", producer=IHS)


# --- schema -----------------------------------------------------------------------------------


def test_result_schema(territory) -> None:
    assert list(territory.monthly.columns) == list(LATENT_COLUMNS)
    assert list(territory.observations.columns) == list(LATENT_OBSERVATION_COLUMNS)
    assert list(territory.hyper.columns) == list(HYPER_COLUMNS)
    assert territory.monthly["month"].tolist() == list(territory.months)
    assert territory.months[0] == pd.Timestamp("2015-01-01")
    assert territory.months[-1] == pd.Timestamp("2017-06-01")
    assert territory.conf_level == 0.9
    assert territory.hyper["weight"].sum() == pytest.approx(1.0)
    assert territory.monthly["observed"].sum() == 7
    band = territory.monthly
    assert ((band["ci_low"] < band["median"]) & (band["median"] < band["ci_high"])).all()


def test_quarter_touches_its_three_months(revenue) -> None:
    at = revenue.monthly.set_index("month")["n_observations"]
    # I006 (2015-Q2) and I002 (May-Aug 2015) overlap in May and June
    assert at.loc["2015-04-01":"2015-09-01"].tolist() == [1, 2, 2, 1, 1, 0]
    assert at.loc["2017-04-01":"2017-06-01"].tolist() == [1, 1, 1]


# --- against statsmodels and a closed form ------------------------------------------------------


@pytest.mark.parametrize(
    ("trend", "level"), [("smooth", "smooth trend"), ("local_level", "llevel")]
)
def test_equals_statsmodels_unobserved_components(trend: str, level: str, rng) -> None:
    idx = [0, 3, 4, 9, 15, 23]
    values = np.exp(np.log(100) - 0.03 * np.array(idx) + rng.normal(0, 0.1, len(idx)))
    fit = latent_from_observations(
        table(idx, values=values), trend=trend, trend_sd=0.02, producer_error=0.1
    )
    y = np.full(len(MONTHS), np.nan)
    y[idx] = np.log(values)
    # sm.tsa.UnobservedComponents(y, level=..., use_exact_diffuse=True).smooth([h, q])
    uc = sm.tsa.UnobservedComponents(y, level=level, use_exact_diffuse=True)
    res = uc.smooth([0.1**2, 0.02**2])
    mean, var = res.smoothed_state[0], res.smoothed_state_cov[0, 0]
    np.testing.assert_allclose(fit.monthly["log_mean"], mean, atol=1e-6)
    np.testing.assert_allclose(fit.monthly["log_sd"], np.sqrt(var), atol=1e-6)
    assert fit.loglike == pytest.approx(res.llf, abs=1e-6)
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(fit.monthly["mean"], np.exp(mean + var / 2), rtol=1e-6)
    np.testing.assert_allclose(fit.monthly["ci_low"], np.exp(mean - z * np.sqrt(var)), rtol=1e-6)
    np.testing.assert_allclose(fit.monthly["ci_high"], np.exp(mean + z * np.sqrt(var)), rtol=1e-6)
    # draws approach the smoothed moments (Monte Carlo tolerances: 4 standard errors)
    n = 20_000
    logs = np.log(fit.draws(n, seed=3))
    assert np.all(np.abs(logs.mean(0) - mean) < 4 * np.sqrt(var / n))
    assert np.all(np.abs(logs.var(0, ddof=1) / var - 1) < 4 * np.sqrt(2 / n))
    # the path posterior is what statsmodels' simulation smoother samples, one path at a time
    sim = uc.simulation_smoother()
    uc.update([0.1**2, 0.02**2])
    sims = []
    for _ in range(400):
        sim.simulate()
        sims.append(sim.simulated_state[0].copy())
    sims = np.array(sims)
    assert np.all(np.abs(sims.mean(0) - mean) < 4 * np.sqrt(var / 400))


def test_period_averages_and_ranges_match_the_closed_form() -> None:
    # a quarter, a 5-month period, a range and points, unequal measurement errors:
    # with a flat prior on the first level and slope the posterior of the path has
    # precision D'D / q + sum c c' / s^2 (D: second differences), mean Q^-1 sum c y / s^2
    obs = table(
        [0, 4, 10, 14, 20],
        [2, 8, 10, 14, 23],
        [100.0, 90.0, np.nan, 60.0, 50.0],
        low=[np.nan, np.nan, 60.0, np.nan, np.nan],
        high=[np.nan, np.nan, 90.0, np.nan, np.nan],
    )
    q, h = 0.015**2, 0.1**2
    fit = latent_from_observations(obs, trend_sd=0.015, producer_error=0.1, range_level=0.8)
    n = len(MONTHS)
    d2 = np.diff(np.eye(n), n=2, axis=0)
    precision = d2.T @ d2 / q
    rhs = np.zeros(n)
    range_sd = (np.log(90) - np.log(60)) / (2 * stats.norm.ppf(0.9))
    for (_, row), sd in zip(obs.iterrows(), [0.1, 0.1, range_sd, 0.1, 0.1], strict=True):
        c = np.zeros(n)
        a, b = MONTHS.get_loc(row["month_start"]), MONTHS.get_loc(row["month_end"])
        c[a : b + 1] = 1 / (b - a + 1)
        y = np.log(row["value"]) if pd.notna(row["value"]) else np.log(60 * 90) / 2
        precision += np.outer(c, c) / sd**2
        rhs += c * y / sd**2
    cov = np.linalg.inv(precision)
    np.testing.assert_allclose(fit.monthly["log_mean"], cov @ rhs, atol=1e-6)
    np.testing.assert_allclose(fit.monthly["log_sd"], np.sqrt(np.diag(cov)), atol=1e-6)
    assert fit.observations["log_sd"].tolist() == pytest.approx(
        [h**0.5] * 2 + [range_sd] + [0.1] * 2
    )


def test_draws_are_reproducible_and_fast(rng) -> None:
    months = pd.date_range("2013-01-01", periods=60, freq="MS")
    idx = [0, 5, 11, 17, 26, 33, 40, 47, 52, 59]
    obs = table(idx, values=np.exp(4 - 0.02 * np.array(idx)), months=months)
    fit = latent_from_observations(obs, trend_sd=0.01)
    assert fit.draws(5, seed=1).shape == (5, 60)
    np.testing.assert_array_equal(fit.draws(50, seed=7), fit.draws(50, seed=7))
    assert not np.array_equal(fit.draws(50, seed=7), fit.draws(50, seed=8))
    times = []
    for seed in range(3):
        t0 = time.perf_counter()
        fit.draws(1000, seed=seed)
        times.append(time.perf_counter() - t0)
    assert min(times) < 0.5


# --- bounds and ranges ------------------------------------------------------------------------


def test_hard_bound_is_respected_and_truncates_exactly() -> None:
    idx = [0, 6, 12, 23]
    values = [100.0, 80.0, 60.0, 40.0]
    free = latent_from_observations(table(idx, values=values), trend_sd=0.01)
    m, s = free.monthly.loc[18, "log_mean"], free.monthly.loc[18, "log_sd"]
    limit = m - 0.5 * s  # an upper bound half a posterior SD below the free mean
    obs = table([*idx, 18], values=[*values, np.exp(limit)], bound=["none"] * 4 + ["upper"])
    fit = latent_from_observations(obs, trend_sd=0.01)
    logs = np.log(fit.draws(20_000, seed=2))
    assert np.all(logs[:, 18] <= limit + 1e-9)
    # the bounded month is the free normal truncated at the bound: mean m - s phi(a) / Phi(a)
    a = (limit - m) / s
    expected = m - s * stats.norm.pdf(a) / stats.norm.cdf(a)
    assert logs[:, 18].mean() == pytest.approx(expected, abs=4 * s / np.sqrt(20_000))
    # and the bound's probability enters the likelihood
    assert fit.hyper["bound_prob"].iloc[0] == pytest.approx(stats.norm.cdf(a), abs=1e-9)
    assert fit.loglike == pytest.approx(free.loglike + np.log(stats.norm.cdf(a)), abs=1e-9)


def test_several_bounds_and_a_span_bound() -> None:
    idx = [0, 6, 12, 23]
    obs = table(
        [*idx, 8, 15, 17],
        [*idx, 8, 15, 19],
        [100.0, 80.0, 60.0, 40.0, 78.0, 52.0, 47.0],
        bound=["none"] * 4 + ["lower", "upper", "upper"],
    )
    fit = latent_from_observations(obs)
    logs = np.log(fit.draws(4000, seed=5))
    assert np.all(logs[:, 8] >= np.log(78.0) - 1e-9)
    assert np.all(logs[:, 15] <= np.log(52.0) + 1e-9)
    # a bound on a span holds for the span's average log level
    assert np.all(logs[:, 17:20].mean(axis=1) <= np.log(47.0) + 1e-9)
    assert fit.monthly["n_observations"].iloc[17:20].tolist() == [1, 1, 1]


def test_soft_bound_lets_the_path_cross_by_the_producer_error(revenue, indicators) -> None:
    soft = latent_indicator(indicators, "revenue_total", producer=IHS, bounds="soft")
    july = soft.months.get_loc(pd.Timestamp("2016-07-01"))
    crossing = (soft.draws(4000, seed=1)[:, july] > 36.4e6).mean()
    assert 0.05 < crossing < 0.5
    assert (revenue.draws(4000, seed=1)[:, july] <= 36.4e6 * (1 + 1e-9)).all()


def test_incompatible_bound_raises() -> None:
    obs = table([0, 6, 12, 18], values=[100.0, 100.0, 100.0, 1.0], bound=["none"] * 3 + ["upper"])
    with pytest.raises(AnalysisError, match="bounds are incompatible"):
        latent_from_observations(obs, trend_sd=0.001, producer_error=0.01)


def test_range_band_lies_around_its_interval() -> None:
    # points at 100 -> 50, and a tight range [70, 76] in month 12 (below the straight line)
    obs = table(
        [0, 5, 12, 18, 23],
        values=[100.0, 85.0, np.nan, 60.0, 50.0],
        low=[np.nan, np.nan, 70.0, np.nan, np.nan],
        high=[np.nan, np.nan, 76.0, np.nan, np.nan],
    )
    fit = latent_from_observations(obs)
    row = fit.monthly.loc[12]
    # the band sits on the range: median inside, ends within 6% of the range's ends
    assert 70.0 < row["median"] < 76.0
    assert 66.0 < row["ci_low"] < 72.0 and 74.0 < row["ci_high"] < 80.0
    wide = latent_from_observations(obs.assign(low=obs["low"] * 0.7, high=obs["high"] * 1.3))
    assert wide.monthly.loc[12, "log_sd"] > 1.5 * row["log_sd"]


def test_bundled_ranged_series(indicators) -> None:
    # US DoD, Iraq: -25% and -11,000..-13,500 km2 since the 2014 peak; I098~level is
    # 38,500..41,250 km2 on 2015-04-13 (the peak itself, I095, is left out)
    fit = latent_indicator(
        indicators, "territory", scope="iraq", producer="US Department of Defense"
    )
    assert "I095" not in set(fit.observations["observation_id"])
    row = fit.monthly.set_index("month").loc["2015-04-01"]
    assert 38_500 < row["median"] < 41_250
    assert row["ci_low"] > 36_000 and row["ci_high"] < 44_000


# --- the bundled series ------------------------------------------------------------------------


def test_bundled_revenue_has_no_plateau_from_a_relabelled_estimate(revenue) -> None:
    assert revenue.observations["row_ids"].tolist() == [
        "I006",
        "I001+I002",
        "I003+I004~level",
        "I005~level",
        "I007+I008~level",
    ]
    at = revenue.monthly.set_index("month")
    # between the relabelled periods (mid 2015 and late 2015) the path keeps falling:
    # at least 2% a month in the median and the mean, no flat stretch
    for col in ("median", "mean"):
        monthly_change = np.diff(np.log(at.loc["2015-06-01":"2016-03-01", col]))
        assert np.all(monthly_change < -0.02)
    # nothing is observed in late 2015 any more: I001's months are not months of data
    assert not at.loc["2015-09-01":"2015-12-01", "observed"].any()
    # the hard bound of I005~level holds in every draw
    july = revenue.months.get_loc(pd.Timestamp("2016-07-01"))
    assert (revenue.draws(2000, seed=11)[:, july] <= 36.4e6 * (1 + 1e-9)).all()


def test_bundled_territory_follows_its_observations(territory) -> None:
    at = territory.monthly.set_index("month")
    for month, value in [("2015-01-01", 90_800), ("2016-07-01", 68_300), ("2016-12-01", 60_400)]:
        assert at.loc[month, "ci_low"] < value < at.loc[month, "ci_high"]
    assert at["median"].is_monotonic_decreasing


def test_trend_uncertainty_does_not_collapse(rng) -> None:
    # observations on a straight line: the maximum-likelihood trend variance is zero and
    # the band between observations would be ruler-straight; the prior grid keeps it open
    idx = [0, 2, 4, 20, 23]
    values = np.exp(5 - 0.05 * np.array(idx) + rng.normal(0, 0.02, len(idx)))
    fit = latent_from_observations(table(idx, values=values))
    # the likelihood (statsmodels' diffuse log-likelihood on the grid) peaks at the smallest SD
    assert fit.hyper["loglike"].idxmax() == 0
    rigid = latent_from_observations(table(idx, values=values), trend_sd=1e-5)
    assert fit.monthly.loc[12, "log_sd"] > 2 * rigid.monthly.loc[12, "log_sd"]
    assert fit.trend_sd > DEFAULT_PRIOR_SCALE["smooth"] / 4


def test_band_covers_the_truth_at_the_bundled_sparsity(revenue, territory) -> None:
    # Truth from the model's own process (trend SD from its prior) on the bundled observation
    # months, spans, bound and errors; 25 replications per series. The coverage share of one
    # replication has SD ~0.15 (months within a path move together), so the pooled mean of 50
    # has a Monte Carlo SE of ~0.021: [0.85, 0.95] is +/-2.4 SE around 0.90. Larger runs
    # (validation/latent_coverage.py): 0.876 revenue, 0.910 territory, 200 replications each.
    rng = np.random.default_rng(90)
    shares = []
    for base in (revenue, territory):
        obs, months = base.observations, base.months
        for _ in range(25):
            sd = abs(rng.normal(0, DEFAULT_PRIOR_SCALE["smooth"]))
            path = simulate_trend_path(
                len(months), trend_sd=sd, level=4.0, slope=rng.normal(-0.03, 0.03), rng=rng
            )
            sim = simulate_observations(obs, path, months, rng=rng)
            fit = latent_from_observations(sim, start=months[0], end=months[-1], n_grid=12)
            truth = np.exp(path)
            shares.append(
                np.mean((fit.monthly["ci_low"] <= truth) & (truth <= fit.monthly["ci_high"]))
            )
    assert len(shares) == 50
    assert 0.85 <= np.mean(shares) <= 0.95


# --- refits, the statsmodels results, errors -----------------------------------------------------


def test_without_refits_on_the_same_months(revenue) -> None:
    loo = revenue.without("I001")  # a row id finds the observation that merged it
    assert "I002" not in set(loo.observations["observation_id"])
    assert len(loo.observations) == len(revenue.observations) - 1
    assert loo.months.equals(revenue.months)
    assert loo.draws(3, seed=1).shape == revenue.draws(3, seed=1).shape
    assert not np.allclose(loo.monthly["mean"], revenue.monthly["mean"])
    with pytest.raises(ArgumentError, match="observation_id='I999' is not one of"):
        revenue.without("I999")


def test_state_space_results_are_reachable(territory) -> None:
    res = territory.state_space()
    best = territory.hyper.loc[territory.hyper["weight"].idxmax()]
    assert res.llf == pytest.approx(best["loglike"])
    assert "sigma2.trend" in str(res.summary())


def test_monthly_at_other_levels(territory) -> None:
    narrow, wide = territory.monthly_at(0.5), territory.monthly_at(0.95)
    assert (narrow["ci_high"] - narrow["ci_low"] < wide["ci_high"] - wide["ci_low"]).all()
    pd.testing.assert_frame_equal(territory.monthly_at(0.9), territory.monthly)


def test_too_few_observations(indicators) -> None:
    with pytest.raises(AnalysisError, match="at least 3 observations with a value or a range"):
        latent_from_observations(table([0, 5], values=[10.0, 8.0]))
    with pytest.raises(AnalysisError, match="in at least 2 different months"):
        latent_from_observations(table([3, 3, 3], values=[10.0, 8.0, 9.0]))


def test_argument_and_data_errors(indicators) -> None:
    with pytest.raises(ArgumentError, match="choose one with producer="):
        latent_indicator(indicators, "revenue_total")
    obs = table([0, 5, 9], values=[10.0, 0.0, 8.0])
    with pytest.raises(AnalysisError, match="positive figures; observation O1 has value 0"):
        latent_from_observations(obs)
    good = table([0, 5, 9], values=[10.0, 9.0, 8.0])
    with pytest.raises(ArgumentError, match="trend='cubic' is not allowed"):
        latent_from_observations(good, trend="cubic")
    with pytest.raises(ArgumentError, match="conf_level must be between 0 and 1"):
        latent_from_observations(good, conf_level=90)
    with pytest.raises(ArgumentError, match="producer_error must be a positive number"):
        latent_from_observations(good, producer_error=0)
    with pytest.raises(ArgumentError, match="bound='maybe' is not allowed"):
        latent_from_observations(good.assign(bound="maybe"))
    with pytest.raises(ArgumentError, match="n must be an integer >= 1"):
        latent_from_observations(good).draws(0)
