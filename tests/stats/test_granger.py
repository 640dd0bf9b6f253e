"""Tests of cftf_analysis.stats.granger."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.tools.sm_exceptions import InterpolationWarning
from statsmodels.tsa.api import VAR
from statsmodels.tsa.stattools import adfuller, grangercausalitytests, kpss

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.stats.granger import (
    GRANGER_COLUMNS,
    GRANGER_TESTS,
    granger_both_ways,
    granger_test,
)
from cftf_analysis.stats.simulate import ar1_with_trend
from cftf_analysis.stats.stationarity import STATIONARITY_COLUMNS, stationarity_tests

DATA = Path(__file__).parents[1] / "data"
SM_KEYS = {
    "ssr_f": "ssr_ftest",
    "ssr_chi2": "ssr_chi2test",
    "lr": "lrtest",
    "params_f": "params_ftest",
}


@pytest.fixture
def chickegg() -> pd.DataFrame:
    return pd.read_csv(DATA / "chickegg.csv", comment="#").set_index("year")


def simulated_var(rng: np.random.Generator, n: int = 150) -> pd.DataFrame:
    """x_t = 0.5 x_{t-1} + e_t and y_t = 0.3 y_{t-1} + 0.5 x_{t-1} + u_t: x drives y only."""
    x, y = np.zeros(n), np.zeros(n)
    e, u = rng.normal(size=n), rng.normal(size=n)
    for t in range(1, n):
        x[t] = 0.5 * x[t - 1] + e[t]
        y[t] = 0.3 * y[t - 1] + 0.5 * x[t - 1] + u[t]
    return pd.DataFrame({"x": x, "y": y})


def assert_matches_statsmodels(res: pd.DataFrame, sm: dict, lags) -> None:
    for lag in lags:
        for test in GRANGER_TESTS:
            row = res[(res["lag"] == lag) & (res["test"] == test)].iloc[0]
            ref = sm[lag][0][SM_KEYS[test]]
            assert row["statistic"] == pytest.approx(ref[0], rel=1e-8, abs=1e-10)
            assert row["p_value"] == pytest.approx(ref[1], rel=1e-8, abs=1e-12)
            if test.endswith("_f"):
                assert (row["df_denom"], row["df_num"]) == (ref[2], ref[3])
            else:
                assert np.isnan(row["df_denom"]) and row["df_num"] == ref[2]


# --- schema -------------------------------------------------------------------------------


def test_schema_and_row_layout(rng):
    df = simulated_var(rng, 80)
    res = granger_test(df, cause="x", effect="y", max_lag=3, difference=0)
    assert tuple(res.columns) == GRANGER_COLUMNS
    assert res.shape == (12, 10)
    assert res["lag"].tolist() == [1] * 4 + [2] * 4 + [3] * 4
    assert res["test"].tolist() == list(GRANGER_TESTS) * 3
    assert set(res["cause"]) == {"x"} and set(res["effect"]) == {"y"}
    for col in ("lag", "df_num", "n_obs", "differenced"):
        assert res[col].dtype == np.int64
    for col in ("statistic", "p_value", "df_denom"):
        assert res[col].dtype == np.float64
    assert res["n_obs"].tolist() == [80 - lag for lag in res["lag"]]
    assert (res["differenced"] == 0).all()


def test_column_constants():
    assert GRANGER_COLUMNS == (
        "cause", "effect", "lag", "test", "statistic", "p_value",
        "df_num", "df_denom", "n_obs", "differenced",
    )  # fmt: skip
    assert GRANGER_TESTS == ("ssr_f", "ssr_chi2", "lr", "params_f")
    assert STATIONARITY_COLUMNS[0] == "test" and "conclusion" in STATIONARITY_COLUMNS


# --- against statsmodels called directly --------------------------------------------------


def test_matches_grangercausalitytests_with_effect_first(chickegg):
    res = granger_test(chickegg, cause="egg", effect="chicken", max_lag=4, difference=0)
    # statsmodels tests whether the SECOND column causes the FIRST
    sm = grangercausalitytests(chickegg[["chicken", "egg"]], 4)
    assert_matches_statsmodels(res, sm, range(1, 5))
    other = granger_test(chickegg, cause="chicken", effect="egg", max_lag=4, difference=0)
    assert_matches_statsmodels(other, grangercausalitytests(chickegg[["egg", "chicken"]], 4),
                               range(1, 5))  # fmt: skip
    assert not np.allclose(res["statistic"], other["statistic"])


def test_fixed_differencing_is_np_diff_first(chickegg):
    res = granger_test(chickegg, cause="egg", effect="chicken", max_lag=3, difference=1)
    diffed = np.diff(chickegg[["chicken", "egg"]].to_numpy(), axis=0)
    assert_matches_statsmodels(res, grangercausalitytests(diffed, 3), range(1, 4))
    assert (res["differenced"] == 1).all()
    assert res["n_obs"].tolist() == [53 - lag for lag in res["lag"]]
    twice = granger_test(chickegg, cause="egg", effect="chicken", max_lag=2, difference=2)
    diffed2 = np.diff(chickegg[["chicken", "egg"]].to_numpy(), n=2, axis=0)
    assert_matches_statsmodels(twice, grangercausalitytests(diffed2, 2), range(1, 3))


def test_published_chicken_egg_example(chickegg):
    """lmtest (Zeileis & Hothorn 2002) ChickEgg example, reference output
    tests/Examples/lmtest-Ex.Rout.save (https://github.com/cran/lmtest):
      grangertest(egg ~ chicken, order = 3): Res.Df 44, F = 0.5916, Pr(>F) = 0.6238
      grangertest(chicken ~ egg, order = 3): Res.Df 44, F = 5.405,  Pr(>F) = 0.002966
    i.e. eggs Granger-cause chickens and not the reverse, as in Thurman & Fisher (1988),
    Am. J. Agric. Econ. 70(2), 237-238."""
    both = granger_both_ways(chickegg, x="chicken", y="egg", max_lag=3, difference=0)
    f3 = both[(both["test"] == "ssr_f") & (both["lag"] == 3)].set_index("cause")
    chicken_to_egg, egg_to_chicken = f3.loc["chicken"], f3.loc["egg"]
    assert chicken_to_egg["effect"] == "egg" and egg_to_chicken["effect"] == "chicken"
    assert chicken_to_egg["statistic"] == pytest.approx(0.5916, abs=5e-5)
    assert chicken_to_egg["p_value"] == pytest.approx(0.6238, abs=5e-5)
    assert egg_to_chicken["statistic"] == pytest.approx(5.405, abs=5e-4)
    assert egg_to_chicken["p_value"] == pytest.approx(0.002966, abs=5e-7)
    assert (f3["df_denom"] == 44).all() and (f3["df_num"] == 3).all()


def test_ic_selects_one_lag_like_var_select_order(chickegg):
    for ic in ("aic", "bic"):
        res = granger_test(chickegg, cause="egg", effect="chicken", max_lag=4, difference=1, ic=ic)
        diffed = np.diff(chickegg[["chicken", "egg"]].to_numpy(), axis=0)
        # VAR(...).select_order(maxlags=4, trend="c").selected_orders[ic], at least 1
        chosen = max(1, int(VAR(diffed).select_order(maxlags=4, trend="c").selected_orders[ic]))
        assert res["lag"].unique().tolist() == [chosen]
        assert len(res) == 4 and res.attrs["selected_lag"] == chosen
        assert_matches_statsmodels(res, grangercausalitytests(diffed, [chosen]), [chosen])


def test_stationarity_tests_match_adfuller_and_kpss(rng):
    v = rng.normal(size=70).cumsum()
    res = stationarity_tests(pd.Series(v, name="walk"))
    assert tuple(res.columns) == STATIONARITY_COLUMNS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InterpolationWarning)
        warnings.simplefilter("ignore", FutureWarning)  # tuple results, deprecated in 0.15
        adf = adfuller(v, regression="c", autolag="AIC")
        kp = kpss(v, regression="c", nlags="legacy")
    row_adf, row_kpss = res.iloc[0], res.iloc[1]
    assert (row_adf["test"], row_kpss["test"]) == ("adf", "kpss")
    assert (row_adf["statistic"], row_adf["p_value"]) == pytest.approx(adf[:2], rel=1e-10)
    assert (row_adf["lags"], row_adf["n_obs"]) == (adf[2], adf[3])
    assert (row_kpss["statistic"], row_kpss["p_value"]) == pytest.approx(kp[:2], rel=1e-10)
    assert row_kpss["lags"] == kp[2] and row_kpss["n_obs"] == 70
    expected_adf = "stationary" if adf[1] < 0.05 else "non-stationary"
    expected_kpss = "non-stationary" if kp[1] < 0.05 else "stationary"
    assert res["conclusion"].tolist() == [expected_adf, expected_kpss]


def test_stationarity_tests_pass_the_regression_through(rng):
    v = rng.normal(size=60).cumsum() + 0.3 * np.arange(60)
    res = stationarity_tests(v, regression="ct")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InterpolationWarning)
        warnings.simplefilter("ignore", FutureWarning)  # tuple results, deprecated in 0.15
        adf = adfuller(v, regression="ct", autolag="AIC")
        kp = kpss(v, regression="ct", nlags="legacy")
    assert res["statistic"].tolist() == pytest.approx([adf[0], kp[0]], rel=1e-10)
    with pytest.raises(ArgumentError, match="regression='ctt' is not allowed"):
        stationarity_tests(v, regression="ctt")


def test_auto_differencing_follows_the_stationarity_tests(rng):
    noise = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    assert (granger_test(noise, cause="a", effect="b", max_lag=2)["differenced"] == 0).all()
    walks = noise.cumsum()
    res = granger_test(walks, cause="a", effect="b", max_lag=2)
    d = int(res["differenced"].iloc[0])
    assert d >= 1
    for k in range(d):  # every level before the chosen one failed for at least one series
        lvl = walks.diff(k).iloc[k:] if k else walks
        looks = [
            stationarity_tests(lvl[c])["conclusion"].tolist() == ["stationary"] * 2 for c in "ab"
        ]
        assert not all(looks)
    final = walks.diff(d).iloc[d:] if d == 1 else walks.diff().diff().iloc[2:]
    assert_matches_statsmodels(res, grangercausalitytests(final[["b", "a"]], 2), [1, 2])


# --- known answers ------------------------------------------------------------------------


def test_finds_x_to_y_and_not_y_to_x_in_simulated_var():
    # Under H0 (y -> x) each p-value is uniform, so any seed fails with probability about
    # 10% (3 lags at 5%); this fixed seed was the first one tried (Granger 1969).
    df = simulated_var(np.random.default_rng(1969))
    both = granger_both_ways(df, x="x", y="y", max_lag=3)
    f = both[both["test"] == "ssr_f"]
    assert (f.loc[f["cause"] == "x", "p_value"] < 1e-4).all()
    assert (f.loc[f["cause"] == "y", "p_value"] > 0.05).all()
    assert both["differenced"].nunique() == 1


def test_missing_values_at_the_ends_are_trimmed(chickegg):
    padded = pd.concat([chickegg.iloc[:0], chickegg]).astype(float)
    padded.loc[1929] = [np.nan, 3500.0]
    padded.loc[1984] = [370000.0, np.nan]
    padded = padded.sort_index()
    res = granger_test(padded, cause="egg", effect="chicken", max_lag=2, difference=0)
    ref = granger_test(chickegg, cause="egg", effect="chicken", max_lag=2, difference=0)
    pd.testing.assert_frame_equal(res, ref)


# --- calibration (fast version; the full run is in validation/) ------------------------------


@pytest.mark.slow
def test_false_positive_rate_with_auto_differencing_is_near_alpha():
    """Independent AR(1) (phi = 0.6) series with random linear trends, n = 60, 300 fixed-seed
    simulations, x -> y at lags 1-2 with the default difference="auto". The binomial SE of a
    5% rate is 0.0126, so 0.05 +/- 3 SE = [0.012, 0.088]. Testing the levels (difference=0)
    rejects far more often at lag 1 (about 20%). The 5,000-run version is
    validation/calibrate_crosscorr_granger.py."""
    rng = np.random.default_rng(77)
    n_sims, hits, hits_levels = 300, np.zeros(2), 0
    for _ in range(n_sims):
        slopes = rng.normal(0.0, 0.1, size=2)
        df = pd.DataFrame(
            {
                "x": ar1_with_trend(60, phi=0.6, slope=slopes[0], rng=rng),
                "y": ar1_with_trend(60, phi=0.6, slope=slopes[1], rng=rng),
            }
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            res = granger_test(df, cause="x", effect="y", max_lag=2)
        f = res[res["test"] == "ssr_f"]
        hits += f["p_value"].to_numpy() < 0.05
        levels = granger_test(df, cause="x", effect="y", max_lag=1, difference=0)
        hits_levels += levels["p_value"].iloc[0] < 0.05
    rates = hits / n_sims
    assert ((0.012 <= rates) & (rates <= 0.088)).all(), rates
    assert hits_levels / n_sims > 0.12, hits_levels / n_sims


# --- errors -------------------------------------------------------------------------------


def test_errors_name_the_problem(rng):
    df = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    with pytest.raises(ArgumentError, match="cause='c' is not a column"):
        granger_test(df, cause="c", effect="b", max_lag=2)
    with pytest.raises(ArgumentError, match="must be different columns"):
        granger_test(df, cause="a", effect="a", max_lag=2)
    with pytest.raises(ArgumentError, match="max_lag must be an integer >= 1"):
        granger_test(df, cause="a", effect="b", max_lag=0)
    with pytest.raises(ArgumentError, match="difference must be 'auto' or an integer"):
        granger_test(df, cause="a", effect="b", max_lag=2, difference="yes")
    with pytest.raises(ArgumentError, match="ic='hqic' is not allowed; use one of 'aic', 'bic'"):
        granger_test(df, cause="a", effect="b", max_lag=2, ic="hqic")
    with pytest.raises(ArgumentError, match="data must be a pandas DataFrame"):
        granger_test(df.to_numpy(), cause="a", effect="b", max_lag=2)

    constant = df.assign(b=5.0)
    with pytest.raises(AnalysisError, match="b is constant"):
        granger_test(constant, cause="a", effect="b", max_lag=2)
    with pytest.raises(AnalysisError, match="a has no non-missing values"):
        granger_test(df.assign(a=np.nan), cause="a", effect="b", max_lag=2)
    trend = df.assign(b=np.arange(40.0))
    with pytest.raises(AnalysisError, match=r"b \(differenced 1 times\) is constant"):
        granger_test(trend, cause="a", effect="b", max_lag=2, difference=1)
    with pytest.raises(AnalysisError, match="too few for max_lag=13; at least 41 are needed"):
        granger_test(df, cause="a", effect="b", max_lag=13, difference=0)
    gappy = df.copy()
    gappy.loc[10, "a"] = np.nan
    with pytest.raises(AnalysisError, match="a has 1 missing values between"):
        granger_test(gappy, cause="a", effect="b", max_lag=2)
    perfect = df.assign(b=0.5 ** np.arange(40.0))  # b_t = 0.5 b_{t-1} exactly
    with pytest.raises(AnalysisError, match=r"infeasible|no finite"):
        granger_test(perfect, cause="a", effect="b", max_lag=1, difference=0)
    with pytest.raises(AnalysisError, match="at least 10 observations"):
        stationarity_tests([1.0, 2.0, 4.0, 3.0, 5.0])
