"""Tests for cftf_analysis.stats.interrupted.event_effect."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from cftf_analysis.errors import AnalysisError, ArgumentError, DataValidationError
from cftf_analysis.stats.interrupted import ITS_COLUMNS, event_effect

DATA = Path(__file__).parents[1] / "data"
MONTHS = pd.date_range("2013-01-01", periods=48, freq="MS")


def poisson_series(rng: np.random.Generator, level: float = -0.3, slope: float = 0.0) -> pd.Series:
    t = np.arange(48)
    post = t >= 24
    mu = np.exp(np.log(60) + 0.005 * t + level * post + slope * (t - 24) * post)
    return pd.Series(rng.poisson(mu).astype(float), index=MONTHS, name="n_reports")


def hand_design(n: int = 48, event: int = 24, slope: bool = True) -> pd.DataFrame:
    t = np.arange(n, dtype=float)
    X = pd.DataFrame({"const": 1.0, "time": t, "post": (t >= event).astype(float)})
    if slope:
        X["time_since_event"] = (t - event) * X["post"]
    return X


def test_schema(rng):
    out = event_effect(poisson_series(rng), date="2015-01-01")
    assert list(out.columns) == ITS_COLUMNS
    assert out["term"].tolist() == ["pre_trend", "level_change", "slope_change"]
    numeric = ["estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high", "ratio"]
    assert all(pd.api.types.is_numeric_dtype(out[c]) for c in numeric)
    assert pd.api.types.is_datetime64_any_dtype(out["event_date"])
    assert (out["event_date"] == pd.Timestamp("2015-01-01")).all()
    assert out[["n_obs", "n_pre", "n_post"]].iloc[0].tolist() == [48, 24, 24]
    assert (out["family"] == "poisson").all()
    step = event_effect(poisson_series(rng), date="2015-01-01", slope_change=False)
    assert step["term"].tolist() == ["pre_trend", "level_change"]


def test_poisson_hac_with_offset_matches_direct_glm(rng):
    y = poisson_series(rng)
    expo = pd.Series(rng.uniform(0.5, 1.5, 48), index=MONTHS)
    out = event_effect(y, date="2015-01", exposure=expo, cov_type="HAC", maxlags=2)
    X = hand_design()
    # sm.GLM(y, X, family=Poisson(), offset=np.log(expo))
    #   .fit(cov_type="HAC", cov_kwds={"maxlags": 2})
    direct = sm.GLM(
        y.to_numpy(), X, family=sm.families.Poisson(), offset=np.log(expo.to_numpy())
    ).fit(cov_type="HAC", cov_kwds={"maxlags": 2})
    rows = [1, 2, 3]  # time, post, time_since_event
    np.testing.assert_allclose(out["estimate"], direct.params.iloc[rows], rtol=1e-8)
    np.testing.assert_allclose(out["std_error"], direct.bse.iloc[rows], rtol=1e-8)
    np.testing.assert_allclose(out["p_value"], direct.pvalues.iloc[rows], rtol=1e-8)
    ci = direct.conf_int().iloc[rows]
    np.testing.assert_allclose(out["ratio_low"], np.exp(ci[0]), rtol=1e-8)
    np.testing.assert_allclose(out["ratio_high"], np.exp(ci[1]), rtol=1e-8)
    np.testing.assert_allclose(out["ratio"], np.exp(direct.params.iloc[rows]), rtol=1e-8)


def test_gaussian_matches_direct_ols(rng):
    y = pd.Series(10 + rng.normal(size=48), index=MONTHS.to_period("M"))
    X = hand_design()
    out = event_effect(y, date="2015-01", family="gaussian")
    # sm.OLS(y, X).fit()  (classical errors, t distribution)
    direct = sm.OLS(y.to_numpy(), X).fit()
    np.testing.assert_allclose(out["estimate"], direct.params.iloc[1:], rtol=1e-8)
    np.testing.assert_allclose(out["std_error"], direct.bse.iloc[1:], rtol=1e-8)
    np.testing.assert_allclose(out["p_value"], direct.pvalues.iloc[1:], rtol=1e-8)
    assert out["ratio"].isna().all()
    hac = event_effect(y, date="2015-01", family="gaussian", cov_type="HAC", maxlags=3)
    # sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": 3}, use_t=True)
    direct = sm.OLS(y.to_numpy(), X).fit(cov_type="HAC", cov_kwds={"maxlags": 3}, use_t=True)
    np.testing.assert_allclose(hac["std_error"], direct.bse.iloc[1:], rtol=1e-8)
    np.testing.assert_allclose(hac["p_value"], direct.pvalues.iloc[1:], rtol=1e-8)


def test_sicily_smoking_ban_lopez_bernal_2017():
    """Lopez Bernal, Cummins & Gasparrini (2017), IJE 46(1):348-355, Sicily example.

    Data: tests/data/interrupted_sicily.csv, from the authors' repository
    https://github.com/gasparrini/2017_lopezbernal_IJE_codedata (sicily.csv). Their model 3
    (Rcode.R): aces ~ offset(log(stdpop)) + smokban + time + harmonic(month, 2, 12),
    family = quasipoisson, i.e. a step change at January 2005 (the first month with
    smokban = 1), two harmonic pairs, quasi-Poisson errors. Published rate ratio for the
    smoking ban adjusted for seasonality: 0.885 (95% CI 0.839-0.933).
    """
    data = pd.read_csv(DATA / "interrupted_sicily.csv", comment="#")
    months = pd.PeriodIndex(
        [
            pd.Period(year=y, month=m, freq="M")
            for y, m in zip(data["year"], data["month"], strict=True)
        ]
    )
    aces = pd.Series(data["aces"].to_numpy(), index=months, name="aces")
    stdpop = pd.Series(data["stdpop"].to_numpy(), index=months)
    out = event_effect(
        aces, date="2005-01", exposure=stdpop, slope_change=False, seasonal="harmonics"
    ).set_index("term")
    level = out.loc["level_change"]
    assert round(level["ratio"], 3) == 0.885
    assert round(level["ratio_low"], 3) == 0.839
    assert round(level["ratio_high"], 3) == 0.933
    assert (level["n_pre"], level["n_post"]) == (36, 23)
    # the ban month is the first post month, as smokban codes it
    assert data.loc[data["smokban"] == 1, ["year", "month"]].iloc[0].tolist() == [2005, 1]


def test_recovers_known_level_change():
    rng = np.random.default_rng(99)
    out = event_effect(poisson_series(rng, level=-0.3, slope=0.01), date="2015-01").set_index(
        "term"
    )
    level, slope = out.loc["level_change"], out.loc["slope_change"]
    assert level["ci_low"] < -0.3 < level["ci_high"]
    assert level["estimate"] == pytest.approx(-0.3, abs=0.1)
    assert level["p_value"] < 0.001
    assert slope["ci_low"] < 0.01 < slope["ci_high"]


def test_window_and_missing_months(rng):
    y = poisson_series(rng)
    out = event_effect(y, date="2015-01", window=12)
    assert out[["n_obs", "n_pre", "n_post"]].iloc[0].tolist() == [24, 12, 12]
    direct = sm.GLM(
        y.iloc[12:36].to_numpy(), hand_design(24, 12), family=sm.families.Poisson()
    ).fit(scale="X2")
    np.testing.assert_allclose(out["estimate"], direct.params.iloc[1:], rtol=1e-8)
    gappy = y.drop(MONTHS[5])
    gappy.iloc[30] = np.nan
    with pytest.warns(UserWarning, match=r"dropped 2 month") as record:
        out = event_effect(gappy, date="2015-01")
    assert record[0].filename == __file__
    assert out["n_obs"].iloc[0] == 46
    keep = [i for i in range(48) if i not in (5, 31)]  # time stays calendar time across gaps
    direct = sm.GLM(
        y.to_numpy()[keep], hand_design().iloc[keep], family=sm.families.Poisson()
    ).fit(scale="X2")
    np.testing.assert_allclose(out["estimate"], direct.params.iloc[1:], rtol=1e-8)


def test_errors(rng):
    y = poisson_series(rng)
    with pytest.raises(ArgumentError, match=r"family='negbin'.*'poisson', 'gaussian'"):
        event_effect(y, date="2015-01", family="negbin")
    with pytest.raises(ArgumentError, match=r"cov_type='HC1'.*'HAC', 'HC0', 'nonrobust'"):
        event_effect(y, date="2015-01", cov_type="HC1")
    with pytest.raises(ArgumentError, match="exposure is only used with family='poisson'"):
        event_effect(y, date="2015-01", family="gaussian", exposure=y)
    with pytest.raises(ArgumentError, match="not a date"):
        event_effect(y, date="soon")
    with pytest.raises(AnalysisError, match=r"at least 3 non-missing months on each side.*got 2"):
        event_effect(y, date="2013-03")
    with pytest.raises(AnalysisError, match=r"got 24 before and 0"):
        event_effect(y.iloc[:24], date="2015-01")
    with pytest.raises(AnalysisError, match="constant"):
        event_effect(pd.Series(5.0, index=MONTHS), date="2015-01")
    with pytest.warns(UserWarning), pytest.raises(AnalysisError, match="got 0 before and 0"):
        event_effect(pd.Series(np.nan, index=MONTHS), date="2015-01")
    with pytest.raises(DataValidationError, match="non-negative"):
        event_effect(y - 100, date="2015-01")
    with pytest.raises(ArgumentError, match="DatetimeIndex or a PeriodIndex"):
        event_effect(y.reset_index(drop=True), date="2015-01")


@pytest.mark.slow
def test_null_level_change_false_positive_rate():
    """With no effect, level_change is 'significant' at 5% about 5% of the time.

    200 white-noise Poisson series of 48 months with the default quasi-Poisson errors.
    Tolerance: 99.9% binomial band around 0.05 for 200 draws; the calibration script runs
    4000 series per setting (validation/results/count_cp_its.md).
    """
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(200):
        out = event_effect(poisson_series(rng, level=0.0), date="2015-01")
        hits += int(out.loc[1, "p_value"] < 0.05)
    lo, hi = stats.binom.ppf([0.0005, 0.9995], 200, 0.05) / 200
    assert lo <= hits / 200 <= hi
