"""Tests of cftf_analysis.stats.crosscorr and the helpers it uses (timeseries, multiple)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import signal, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.tsa.ar_model import AutoReg, ar_select_order
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.tsatools import detrend as sm_detrend

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.stats import crosscorr
from cftf_analysis.stats.crosscorr import CROSSCORR_COLUMNS, cross_correlation
from cftf_analysis.stats.multiple import adjust_pvalues
from cftf_analysis.stats.simulate import ar1_with_trend
from cftf_analysis.stats.timeseries import fit_ar, linear_detrend

DATA = Path(__file__).parents[1] / "data"


def shifted_pairs(x: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(x_t, y_{t+k}) for every t where both exist and are present."""
    n = len(x)
    t = np.arange(max(0, -k), min(n, n - k))
    a, b = x[t], y[t + k]
    ok = np.isfinite(a) & np.isfinite(b)
    return a[ok], b[ok]


def leading_pair(rng: np.random.Generator, n: int = 80, shift: int = 3):
    """x is AR(1) with a trend; y_t = 0.8 * x_{t-shift} + noise (x leads y by `shift`)."""
    base = ar1_with_trend(n + shift, phi=0.6, rng=rng)
    x = base[shift:] + 0.05 * np.arange(n)
    y = 0.8 * base[:n] + rng.normal(size=n)
    return x, y


# --- schema -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["normal", "block_bootstrap", "permutation"])
def test_schema_is_fixed_for_every_method(rng, method):
    x, y = rng.normal(size=50), rng.normal(size=50)
    res = cross_correlation(x, y, max_lag=5, method=method, n_resamples=199, seed=1)
    assert tuple(res.columns) == CROSSCORR_COLUMNS
    assert res["lag"].tolist() == list(range(-5, 6))
    assert res["lag"].dtype == np.int64 and res["n_obs"].dtype == np.int64
    for col in ("estimate", "ci_low", "ci_high", "statistic", "p_value", "p_adjusted"):
        assert res[col].dtype == np.float64
        assert np.isfinite(res[col]).all()
    assert pd.api.types.is_string_dtype(res["method"]) and set(res["method"]) == {method}
    assert res["prewhitened"].dtype == bool and res["prewhitened"].all()
    assert ((res["ci_low"] <= res["estimate"]) & (res["estimate"] <= res["ci_high"])).all()
    assert ((res["p_value"] > 0) & (res["p_adjusted"] <= 1)).all()


def test_column_constant_is_documented_list():
    assert CROSSCORR_COLUMNS == (
        "lag",
        "estimate",
        "ci_low",
        "ci_high",
        "statistic",
        "p_value",
        "p_adjusted",
        "n_obs",
        "method",
        "prewhitened",
    )


# --- estimates against numpy / scipy / statsmodels called directly ---------------------------


def test_estimate_is_corrcoef_of_shifted_pairs_at_every_lag(rng):
    x, y = rng.normal(size=40).cumsum(), rng.normal(size=40)
    x[[3, 17]] = np.nan
    y[[25]] = np.nan
    res = cross_correlation(x, y, max_lag=8, detrend="none", prewhiten=False, adjust="none")
    for row in res.itertuples():
        a, b = shifted_pairs(x, y, row.lag)
        assert row.n_obs == a.size
        # np.corrcoef(x_t, y_{t+k}) on the complete shifted pairs
        assert row.estimate == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-12)


def test_lag_convention_positive_lag_means_x_leads(rng):
    x = rng.normal(size=60)
    y = np.r_[rng.normal(size=3), x[:-3]]  # y_{t+3} = x_t exactly
    res = cross_correlation(x, y, max_lag=5, detrend="none", prewhiten=False).set_index("lag")
    assert res.loc[3, "estimate"] == pytest.approx(1.0, abs=1e-12)
    assert abs(res.loc[-3, "estimate"]) < 0.5


def test_fisher_z_p_value_and_interval_match_scipy(rng):
    x, y = rng.normal(size=45), rng.normal(size=45)
    y = y + 0.3 * x
    res = cross_correlation(x, y, max_lag=4, detrend="none", prewhiten=False, conf_level=0.9)
    # the deprecated spelling alpha = 1 - conf_level still gives the same table
    with pytest.warns(DeprecationWarning, match="use conf_level= instead"):
        old = cross_correlation(x, y, max_lag=4, detrend="none", prewhiten=False, alpha=0.1)
    pd.testing.assert_frame_equal(old, res)
    for row in res.itertuples():
        a, b = shifted_pairs(x, y, row.lag)
        n = a.size
        ref = stats.pearsonr(a, b)
        z = np.arctanh(ref.statistic)
        # two-sided normal p-value of the Fisher-transformed correlation
        assert row.p_value == pytest.approx(2 * stats.norm.sf(abs(z) * np.sqrt(n - 3)), abs=1e-12)
        assert row.statistic == pytest.approx(z * np.sqrt(n - 3), abs=1e-10)
        # scipy's pearsonr interval is the Fisher-z interval
        ci = ref.confidence_interval(confidence_level=0.9)
        assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-10)


@pytest.mark.parametrize("adjust", ["holm", "fdr_bh", "bonferroni"])
def test_p_adjusted_matches_multipletests(rng, adjust):
    x, y = leading_pair(rng)
    res = cross_correlation(x, y, max_lag=10, adjust=adjust)
    # multipletests(p, method=adjust)[1] on the 21 per-lag p-values
    expected = multipletests(res["p_value"], alpha=0.05, method=adjust)[1]
    np.testing.assert_allclose(res["p_adjusted"], expected, rtol=0, atol=1e-12)
    none = cross_correlation(x, y, max_lag=10, adjust="none")
    np.testing.assert_array_equal(none["p_adjusted"], none["p_value"])


def test_holm_matches_multipletests_with_ties_and_missing(rng):
    for _ in range(5):
        p = rng.random(25) ** 3
        p[rng.integers(0, 25, 4)] = p[0]
        np.testing.assert_allclose(
            adjust_pvalues(p, "holm"), multipletests(p, method="holm")[1], rtol=0, atol=1e-14
        )
    with_nan = adjust_pvalues([0.01, np.nan, 0.02], "holm")
    assert np.isnan(with_nan[1]) and with_nan[[0, 2]] == pytest.approx([0.02, 0.02])


def test_linear_detrend_matches_statsmodels(rng):
    v = ar1_with_trend(50, phi=0.5, slope=0.3, rng=rng)
    # statsmodels.tsa.tsatools.detrend(v, order=1)
    np.testing.assert_allclose(linear_detrend(v), sm_detrend(v, order=1), atol=1e-9)


def test_ar_order_and_coefficients_match_statsmodels(rng):
    for phi in (0.3, 0.6, 0.9):
        v = ar1_with_trend(80, phi=phi, rng=rng)
        fit = fit_ar(v, max_order=6)
        # ar_select_order(v, 6, ic="aic", trend="c") fits every order on the same sample
        lags = ar_select_order(v, 6, ic="aic", trend="c").ar_lags
        assert fit.order == (0 if lags is None else max(lags))
        # AutoReg(v, p, trend="c").fit().params = [const, phi_1..phi_p]
        params = AutoReg(v, fit.order, trend="c").fit().params
        np.testing.assert_allclose((fit.const, *fit.coefs), params, atol=1e-9)


def test_prewhitened_estimates_match_autoreg_and_lfilter(rng):
    x, y = leading_pair(rng, n=90)
    res = cross_correlation(x, y, max_lag=6, detrend="none", max_ar_order=4)
    p = res.attrs["ar_order"]
    assert p >= 1
    ar = AutoReg(x, p, trend="c").fit()
    np.testing.assert_allclose(res.attrs["ar_coefficients"], ar.params[1:], atol=1e-9)
    # prewhitened x = AutoReg residuals; y filtered by the same polynomial (1 - phi(B))
    ex = ar.resid
    fy = signal.lfilter(np.r_[1.0, -ar.params[1:]], [1.0], y)[p:]
    for row in res.itertuples():
        a, b = shifted_pairs(ex, fy, row.lag)
        assert row.estimate == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-9)
        assert row.n_obs == a.size == 90 - p - abs(row.lag)


def test_difference_detrend_is_np_diff_first(rng):
    x, y = rng.normal(size=50).cumsum(), rng.normal(size=50).cumsum()
    res = cross_correlation(x, y, max_lag=3, detrend="difference", prewhiten=False)
    dx, dy = np.diff(x), np.diff(y)
    for row in res.itertuples():
        a, b = shifted_pairs(dx, dy, row.lag)
        assert row.estimate == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-12)


def test_series_are_aligned_on_their_index(rng):
    idx = pd.period_range("2014-01", periods=48, freq="M")
    x = pd.Series(rng.normal(size=48), index=idx)
    y = pd.Series(rng.normal(size=48), index=idx)
    scrambled = y.sample(frac=1.0, random_state=3).iloc[5:]  # shuffled, first 5 rows removed
    res = cross_correlation(x, scrambled, max_lag=4, prewhiten=False, detrend="none")
    expected = y.copy()
    expected[scrambled.index.symmetric_difference(y.index)] = np.nan
    ref = cross_correlation(x.to_numpy(), expected.to_numpy(), max_lag=4, prewhiten=False,
                            detrend="none")  # fmt: skip
    pd.testing.assert_frame_equal(res, ref)
    assert (res["n_obs"] < 48 - res["lag"].abs()).all()


# --- resampling engines ----------------------------------------------------------------------


@pytest.mark.parametrize("with_missing", [False, True])
def test_engines_reproduce_the_observed_correlation_for_the_identity_resample(rng, with_missing):
    a, b = rng.normal(size=50), rng.normal(size=50)
    if with_missing:
        a[[4, 20]] = np.nan
        b[[30]] = np.nan
    lags = np.arange(-7, 8)
    est, _ = crosscorr._observed(a, b, lags)
    sa, sb = crosscorr._standardise(a), crosscorr._standardise(b)
    boot = crosscorr._BootstrapEngine(sa, sb, lags)(np.ones((1, 50)))
    perm = crosscorr._PermutationEngine(sa, sb, lags)(np.arange(50)[None, :])
    np.testing.assert_allclose(boot[0], est, atol=1e-12)
    np.testing.assert_allclose(perm[0], est, atol=1e-12)


def test_permutation_engine_matches_direct_computation(rng):
    a, b = rng.normal(size=30), rng.normal(size=30)
    lags = np.arange(-4, 5)
    perms = crosscorr.block_permutations(rng, 30, 20, 4)
    got = crosscorr._PermutationEngine(a, b, lags)(perms)
    for r, perm in enumerate(perms):
        np.testing.assert_allclose(got[r], crosscorr._observed(a, b[perm], lags)[0], atol=1e-12)


def test_bootstrap_engine_matches_direct_computation(rng):
    a, b = rng.normal(size=30), rng.normal(size=30)
    lags = np.arange(-4, 5)
    counts = crosscorr.block_counts(rng, 30, 10, 3)
    got = crosscorr._BootstrapEngine(a, b, lags)(counts)
    for r in range(10):
        times = np.repeat(np.arange(30), counts[r].astype(int))
        for j, k in enumerate(lags):
            t = times[(times + k >= 0) & (times + k < 30)]
            assert got[r, j] == pytest.approx(np.corrcoef(a[t], b[t + k])[0, 1], abs=1e-10)


def test_block_resamplers_have_the_documented_structure(rng):
    perms = crosscorr.block_permutations(rng, 23, 50, 4)
    assert perms.shape == (50, 23)
    assert (np.sort(perms, axis=1) == np.arange(23)).all()
    # 6 blocks (5 of 4, one of 3) of consecutive positions: at most 5 breaks per row
    breaks = (np.diff(perms, axis=1) != 1).sum(axis=1)
    assert breaks.max() <= 5 and breaks.mean() > 3
    counts = crosscorr.block_counts(rng, 23, 50, 4)
    assert counts.shape == (50, 23) and (counts.sum(axis=1) == 23).all()


def test_permutation_p_value_agrees_with_scipy_permutation_test(rng):
    x, y = rng.normal(size=40), rng.normal(size=40)
    y = y + 0.35 * x
    opts = {"detrend": "none", "prewhiten": False, "block_length": 1, "seed": 5}
    res = cross_correlation(x, y, max_lag=2, method="permutation", n_resamples=20000, **opts)
    for row in res.itertuples():
        a, b = shifted_pairs(x, y, row.lag)
        # scipy.stats.permutation_test(..., permutation_type="pairings") permutes y against x
        ref = stats.permutation_test(
            (a, b),
            lambda u, v, axis: stats.pearsonr(u, v, axis=axis).statistic,
            permutation_type="pairings",
            vectorized=True,
            n_resamples=20000,
            rng=np.random.default_rng(9),
        )
        se = np.sqrt(2 * ref.pvalue * (1 - ref.pvalue) / 20000) + 1e-4
        assert abs(row.p_value - ref.pvalue) < 4 * se


def test_resampling_is_reproducible_with_a_seed(rng):
    x, y = leading_pair(rng)
    for method in ("block_bootstrap", "permutation"):
        one = cross_correlation(x, y, max_lag=4, method=method, n_resamples=500, seed=42)
        two = cross_correlation(x, y, max_lag=4, method=method, n_resamples=500, seed=42)
        other = cross_correlation(x, y, max_lag=4, method=method, n_resamples=500, seed=43)
        pd.testing.assert_frame_equal(one, two)
        assert not np.array_equal(one["p_value"], other["p_value"])
        assert one.attrs["n_resamples"] == 500 and one.attrs["block_length"] == 1
    raw = cross_correlation(x, y, max_lag=4, method="permutation", prewhiten=False, seed=1)
    assert raw.attrs["block_length"] == round(80 ** (1 / 3))


def test_bootstrap_interval_and_p_value_follow_the_documented_formulas(rng, monkeypatch):
    x, y = leading_pair(rng, n=60)
    res = cross_correlation(x, y, max_lag=3, method="block_bootstrap", n_resamples=999, seed=8)
    # the same draws, reproduced from the same seed
    a, b, _ = crosscorr._prepare(x, y, "linear", True, None, None)
    lags = np.arange(-3, 4)
    draws = crosscorr._resample(a, b, lags, "block_bootstrap", 999, 1, np.random.default_rng(8))
    lo, hi = np.quantile(draws, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(res["ci_low"], lo, atol=1e-12)
    np.testing.assert_allclose(res["ci_high"], hi, atol=1e-12)
    z = np.arctanh(res["estimate"].to_numpy())
    extreme = (np.abs(np.arctanh(draws) - z) >= np.abs(z)).sum(axis=0)
    np.testing.assert_allclose(res["p_value"], (1 + extreme) / 1000, atol=1e-12)
    # resamples are drawn in one order whatever the batch size: batching is invisible
    monkeypatch.setattr(crosscorr, "_CHUNK", 100)
    chunked = cross_correlation(x, y, max_lag=3, method="block_bootstrap", n_resamples=999,
                                seed=8)  # fmt: skip
    pd.testing.assert_frame_equal(res, chunked)


# --- known answers --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["normal", "block_bootstrap", "permutation"])
def test_finds_x_leading_y_by_three(rng, method):
    x, y = leading_pair(rng, n=80, shift=3)
    res = cross_correlation(x, y, max_lag=8, method=method, n_resamples=1999, seed=1)
    by_lag = res.set_index("lag")
    assert int(res.loc[res["estimate"].abs().idxmax(), "lag"]) == 3
    assert by_lag.loc[3, "p_adjusted"] < 0.01
    assert by_lag.loc[-3, "p_adjusted"] > 0.05
    assert by_lag.loc[3, "ci_low"] > 0


def test_published_soi_recruitment_prewhitened_ccf():
    """Shumway & Stoffer (2017), *Time Series Analysis and Its Applications*, 4th ed.,
    Example 5.8 (code: https://github.com/nickpoison/tsa4, textRcode, Example 5.8): the
    linearly detrended SOI is prewhitened with an AR(1), phi = 0.5875 (arima MLE), and the
    CCF of prewhitened SOI with the filtered Recruitment peaks at R lag -5 (SOI leads
    Recruitment by 5 months; the follow-up model uses lag(soi.d, -5)). Our lag +5 is R's -5.
    Data: astsa::soi, astsa::rec (tests/data/soi_rec.csv).
    """
    d = pd.read_csv(DATA / "soi_rec.csv", comment="#")
    assert d.shape == (453, 3)
    soi, rec = d["soi"].to_numpy(), d["rec"].to_numpy()
    # the published AR(1) coefficient is the Gaussian MLE: statsmodels ARIMA reproduces it
    mle = ARIMA(linear_detrend(soi), order=(1, 0, 0)).fit().params[1]
    assert mle == pytest.approx(0.5875, abs=1e-4)

    res = cross_correlation(soi, rec, max_lag=12, ar_order=1)
    (phi,) = res.attrs["ar_coefficients"]
    assert phi == pytest.approx(0.5875, abs=0.002)  # conditional least squares vs MLE
    peak = res.loc[res["estimate"].abs().idxmax()]
    assert int(peak["lag"]) == 5 and peak["estimate"] < -0.4 and peak["p_adjusted"] < 1e-10
    # the default AIC-chosen prewhitening order finds the same peak
    auto = cross_correlation(soi, rec, max_lag=12)
    assert int(auto.loc[auto["estimate"].abs().idxmax(), "lag"]) == 5
    # without prewhitening the correlation is smeared over lags 5-8 (all about -0.55 to -0.6)
    raw = cross_correlation(soi, rec, max_lag=12, detrend="none", prewhiten=False)
    raw = raw.set_index("lag")["estimate"]
    assert (raw.loc[5:8] < -0.5).all()
    white = res.set_index("lag")["estimate"]
    assert white.loc[5] < 1.4 * white.loc[8] and raw.loc[8] / raw.loc[6] > 0.9


# --- calibration under the null (fast version; the full run is in validation/) ---------------

N_SIMS = 400


def _null_rates(seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    hits = {"lag0": 0, "lag3": 0, "familywise": 0, "naive": 0}
    for _ in range(N_SIMS):
        slopes = rng.normal(0.0, 0.1, size=2)
        x = ar1_with_trend(60, phi=0.6, slope=slopes[0], rng=rng)
        y = ar1_with_trend(60, phi=0.6, slope=slopes[1], rng=rng)
        res = cross_correlation(x, y, max_lag=12).set_index("lag")
        hits["lag0"] += res.loc[0, "p_value"] < 0.05
        hits["lag3"] += res.loc[3, "p_value"] < 0.05
        hits["familywise"] += (res["p_adjusted"] < 0.05).any()
        naive = cross_correlation(x, y, max_lag=0, detrend="none", prewhiten=False)
        hits["naive"] += naive["p_value"].iloc[0] < 0.05
    return {k: v / N_SIMS for k, v in hits.items()}


@pytest.mark.slow
def test_false_positive_rate_of_default_is_near_alpha_and_naive_levels_are_not():
    """Independent AR(1) (phi = 0.6) series with random linear trends, n = 60, 400 fixed-seed
    simulations. The binomial SE of a 5% rate is sqrt(.05 * .95 / 400) = 0.011, so a correct
    test lies in 0.05 +/- 3 SE = [0.017, 0.083] (the 5,000-run check in
    validation/calibrate_crosscorr_granger.py applies the [0.03, 0.07] band)."""
    rates = _null_rates(2024)
    for key in ("lag0", "lag3", "familywise"):
        assert 0.017 <= rates[key] <= 0.083, (key, rates)
    assert rates["naive"] > 0.30, rates


# --- errors --------------------------------------------------------------------------------


def test_errors_name_the_problem(rng):
    x, y = rng.normal(size=30), rng.normal(size=30)
    with pytest.raises(ArgumentError, match=r"method='pearson' is not allowed.*'normal'"):
        cross_correlation(x, y, method="pearson")
    with pytest.raises(ArgumentError, match=r"detrend='quadratic'.*'linear', 'difference'"):
        cross_correlation(x, y, detrend="quadratic")
    with pytest.raises(ArgumentError, match="adjust='sidak'"):
        cross_correlation(x, y, adjust="sidak")
    with pytest.raises(ArgumentError, match="max_lag must be an integer >= 0"):
        cross_correlation(x, y, max_lag=-1)
    with pytest.raises(ArgumentError, match="same length, got 30 and 29"):
        cross_correlation(x, y[:-1])
    with pytest.raises(ArgumentError, match=r"conf_level must be between 0 and 1, got 1\.5"):
        cross_correlation(x, y, conf_level=1.5)
    with pytest.raises(
        ArgumentError, match=r"block_length must be an integer >= 1 or None, got 2\.5"
    ):
        cross_correlation(x, y, method="permutation", block_length=2.5)
    with pytest.raises(AnalysisError, match="x has no non-missing values"):
        cross_correlation(np.full(30, np.nan), y)
    with pytest.raises(AnalysisError, match="y is constant"):
        cross_correlation(x, np.full(30, 2.0))
    with pytest.raises(AnalysisError, match="x has no variation left after detrend='linear'"):
        cross_correlation(3.0 + 0.5 * np.arange(30), y)
    with pytest.raises(AnalysisError, match=r"lag -12 has only \d+ complete"):
        cross_correlation(x[:15], y[:15], max_lag=12, prewhiten=False)
    with pytest.raises(ArgumentError, match="x must be numeric"):
        cross_correlation(["a"] * 30, y)
