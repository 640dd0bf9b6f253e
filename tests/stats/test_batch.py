"""Tests of the batched kernels (stats.batch, stats.batch_series) against single fits.

Each batched result is compared draw by draw with an independent computation,
called directly in the test (statsmodels' GLM and ``grangercausalitytests``,
the package's ``cross_correlation``, ``granger_test`` and ``fit_count_model``,
statsmodels' ``MICE.combine``), a closed form worked by hand, or a published
worked example.
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.imputation.mice import MICE
from statsmodels.tools.sm_exceptions import InfeasibleTestError
from statsmodels.tsa.stattools import grangercausalitytests

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.stats.batch import RUBIN_COLUMNS, fit_poisson_batch, rubin_pool
from cftf_analysis.stats.batch_series import granger_f_batch, prewhitened_ccf_batch
from cftf_analysis.stats.countmodel import fit_count_model
from cftf_analysis.stats.crosscorr import cross_correlation
from cftf_analysis.stats.granger import granger_test


def indicator_paths(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """Sparse indicator paths: straight lines between a few random figures, as the panel
    interpolates them (about one reported figure every 6 months)."""
    out = np.empty((size, n))
    for b in range(size):
        k = max(3, n // 6)
        knots = np.r_[0, np.sort(rng.choice(np.arange(1, n - 1), k - 2, replace=False)), n - 1]
        out[b] = np.interp(np.arange(n), knots, rng.normal(size=k).cumsum())
    return out


def count_design(rng: np.random.Generator, size: int, n: int):
    """Design [intercept, indicator draw, trend], log-exposure offset, overdispersed counts."""
    x = indicator_paths(rng, size, n)
    t = np.arange(n, dtype=float)
    X = np.stack([np.ones((size, n)), x, np.broadcast_to(t, (size, n))], axis=-1)
    offset = np.log(rng.uniform(500, 1500, n))
    mu = np.exp(-5.5 + 0.3 * x + 0.01 * t + offset)
    y = rng.negative_binomial(4, 4 / (4 + mu)).astype(float)  # quasi-Poisson scale > 1
    return y, X, offset


def sm_poisson(y, X, offset=None, scale="X2", tol=1e-13):
    """statsmodels.api.GLM(y, X, family=Poisson(), offset=offset).fit(scale=..., tol=tol).

    The tight ``tol`` matters for the covariance only: statsmodels computes it from the
    weights of the iterate *before* its last one, and its default rule (an absolute change
    of the deviance below 1e-8) can stop while those weights are still about 1e-4 (relative)
    away from the ones at the estimate; the coefficients themselves agree to about 1e-10
    at either tolerance (see ``test_poisson_matches_fit_count_model_on_a_panel``).
    """
    model = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
    return model.fit(scale=scale, tol=tol)


# --- fit_poisson_batch ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [20, 30, 60])
@pytest.mark.parametrize("fractional", [False, True])
def test_poisson_matches_statsmodels_fit_by_fit(rng, n, fractional):
    y, X, offset = count_design(rng, 40, n)
    if fractional:  # reports spread over months: fractional monthly counts
        y = y + rng.uniform(0, 1, y.shape) * (y > 0)
    res = fit_poisson_batch(y, X, offset=offset)
    assert res.params.shape == (40, 3) and res.cov.shape == (40, 3, 3)
    assert res.ok.mean() >= 0.85  # the others are separated (checked below)
    assert (res.separated | res.ok).all()
    for b in np.flatnonzero(res.ok):
        ref = sm_poisson(y[b], X[b], offset)
        assert ref.converged
        np.testing.assert_allclose(res.params[b], ref.params, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(res.std_error[b], ref.bse, rtol=1e-8)
        np.testing.assert_allclose(res.cov[b], ref.cov_params(), rtol=1e-8, atol=1e-14)
        np.testing.assert_allclose(res.scale[b], ref.scale, rtol=1e-8)
        np.testing.assert_allclose(res.deviance[b], ref.deviance, rtol=1e-8)
        np.testing.assert_allclose(res.pearson_chi2[b], ref.pearson_chi2, rtol=1e-8)
        np.testing.assert_allclose(res.p_value[b], ref.pvalues, rtol=1e-6, atol=1e-12)
        assert res.df_resid[b] == ref.df_resid and res.n_obs[b] == n


def test_poisson_fractional_counts_with_offset_known_answer(rng):
    """A fixed case: fractional counts and an exposure offset, statsmodels to 1e-8."""
    n = 48
    t = np.arange(n, dtype=float)
    x = np.sin(t / 5.0)
    exposure = rng.uniform(200, 800, n)
    mu = exposure * np.exp(-4.0 + 0.5 * x - 0.01 * t)
    y = rng.poisson(mu) + rng.choice([0.0, 0.25, 0.5], n)  # e.g. one report spread over 4 months
    X = np.column_stack([np.ones(n), x, t])
    res = fit_poisson_batch(y, X, offset=np.log(exposure))
    ref = sm_poisson(y, X, np.log(exposure))
    np.testing.assert_allclose(res.params[0], ref.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.cov[0], ref.cov_params(), rtol=1e-8)
    assert (np.abs(res.params[0] - [-4.0, 0.5, -0.01]) < 3 * res.std_error[0]).all()
    assert res.converged[0] and not res.separated[0] and res.n_iter[0] <= 8


def test_poisson_matches_fit_count_model_on_a_panel(rng):
    """The batch reproduces the package's own single fit (quasi-Poisson, trend, exposure).

    fit_count_model uses statsmodels' default tolerance, so its standard errors carry
    statsmodels' convergence error (see ``sm_poisson``): agreement to 1e-3, not 1e-8.
    """
    y, X, offset = count_design(rng, 6, 36)
    months = pd.date_range("2015-01-01", periods=36, freq="MS")
    res = fit_poisson_batch(y, X, offset=offset)
    for b in np.flatnonzero(res.ok):
        panel = pd.DataFrame(
            {"month": months, "n": y[b], "x": X[b, :, 1], "coverage": np.exp(offset)}
        )
        single = fit_count_model(panel, counts="n", covariates=["x"], exposure="coverage")
        tidy = single.tidy()
        assert tidy["term"].tolist() == ["intercept", "x_lag0", "trend"]
        np.testing.assert_allclose(res.params[b], tidy["estimate"], rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(res.std_error[b], tidy["std_error"], rtol=1e-3)
        np.testing.assert_allclose(res.p_value[b], tidy["p_value"], rtol=1e-2)


def test_poisson_fixed_scale_is_the_model_based_covariance(rng):
    y, X, offset = count_design(rng, 10, 40)
    res = fit_poisson_batch(y, X, offset=offset, scale="fixed")
    assert (res.scale[res.ok] == 1.0).all()
    for b in np.flatnonzero(res.ok):
        ref = sm_poisson(y[b], X[b], offset, scale=None)  # dispersion 1
        np.testing.assert_allclose(res.cov[b], ref.cov_params(), rtol=1e-8, atol=1e-14)


def test_poisson_shapes_broadcast(rng):
    y, X, offset = count_design(rng, 4, 30)
    full = fit_poisson_batch(y, X, offset=offset)
    shared_y = fit_poisson_batch(y[0], X, offset=offset)  # y (n,), X (B, n, p)
    shared_x = fit_poisson_batch(y, X[0], offset=np.broadcast_to(offset, (4, 30)))
    single = fit_poisson_batch(y[0], X[0], offset=offset)
    np.testing.assert_allclose(shared_y.params[0], full.params[0], rtol=1e-12)
    alone = fit_poisson_batch(y[1], X[0], offset=offset)
    np.testing.assert_allclose(shared_x.params[1], alone.params[0], rtol=1e-12)
    assert single.params.shape == (1, 3) and shared_y.params.shape == (4, 3)
    no_offset = fit_poisson_batch(y[0], X[0])
    np.testing.assert_allclose(no_offset.params[0], sm_poisson(y[0], X[0]).params, rtol=1e-8)


def test_poisson_missing_rows_are_left_out_of_that_fit_only(rng):
    y, X, offset = count_design(rng, 3, 40)
    y[0, [3, 17]] = np.nan
    X = X.copy()
    X[1, 25, 1] = np.nan
    res = fit_poisson_batch(y, X, offset=offset)
    assert res.n_obs.tolist() == [38, 39, 40] and res.df_resid.tolist() == [35, 36, 37]
    for b in range(3):
        keep = np.isfinite(y[b]) & np.isfinite(X[b]).all(axis=1)
        ref = sm_poisson(y[b][keep], X[b][keep], offset[keep])
        np.testing.assert_allclose(res.params[b], ref.params, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(res.cov[b], ref.cov_params(), rtol=1e-8, atol=1e-14)


def test_poisson_separation_is_flagged_not_hidden(rng):
    """Three separated fits beside ordinary fits with many zero counts.

    0: zero counts wherever a dummy is 1 (complete separation on the dummy);
    1: an indicator path that is a straight line in time except in month 0, whose
       count is 0 (quasi-complete separation: intercept, path and trend are collinear on
       every positive count); the case that sparse paths with few figures produce;
    2: all counts zero.
    statsmodels reports the first two as converged (with huge standard errors) and
    cannot start on the third.
    """
    n = 30
    t = np.arange(n, dtype=float)
    ones = np.ones(n)
    dummy = (t < 6).astype(float)
    line = np.where(t == 0, 1.0, 0.1 * t - 2.0)
    y_sep = np.vstack(
        [
            np.where(dummy == 1, 0.0, rng.poisson(2.0, n)),
            np.r_[0.0, rng.poisson(2.0, n - 1) + 1.0],
            np.zeros(n),
            rng.poisson(0.4, n),  # many zeros, no separation
            rng.poisson(0.4, n),
        ]
    )
    X = np.stack(
        [
            np.column_stack([ones, dummy, t]),
            np.column_stack([ones, line, t]),
            np.column_stack([ones, rng.normal(size=n), t]),
            np.column_stack([ones, rng.normal(size=n), t]),
            np.column_stack([ones, rng.normal(size=n), t]),
        ]
    )
    res = fit_poisson_batch(y_sep, X)
    assert res.separated.tolist() == [True, True, True, False, False]
    assert res.converged.tolist() == [False, False, False, True, True]
    assert res.ok.tolist() == [False, False, False, True, True]
    assert (res.n_iter[:3] > 20).all()  # until max_iter, or until the system is singular
    assert np.isfinite(res.params[:2]).all()  # the numbers reached are kept, not blanked
    for b in range(2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = sm_poisson(y_sep[b], X[b], tol=1e-8)  # statsmodels' default
        assert ref.converged  # statsmodels does not notice
        assert ref.bse.max() > 100
    with pytest.raises(ValueError, match="first guess on the deviance"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm_poisson(y_sep[2], X[2])  # all zeros: statsmodels cannot start
    for b in (3, 4):
        ref = sm_poisson(y_sep[b], X[b])
        np.testing.assert_allclose(res.params[b], ref.params, rtol=1e-8, atol=1e-10)


def test_poisson_non_convergence_is_flagged(rng):
    y, X, offset = count_design(rng, 5, 30)
    res = fit_poisson_batch(y, X, offset=offset, max_iter=2)
    assert not res.converged.any() and not res.separated.any()
    assert not res.ok.any() and (res.n_iter == 2).all()


def test_poisson_rank_deficient_draw_is_flagged(rng):
    y, X, offset = count_design(rng, 3, 30)
    X = X.copy()
    X[1, :, 1] = 2.5  # a flat indicator draw: collinear with the intercept
    res = fit_poisson_batch(y, X, offset=offset)
    assert res.rank_deficient.tolist() == [False, True, False]
    assert np.isnan(res.params[1]).all() and np.isnan(res.cov[1]).all()
    assert res.ok[[0, 2]].all() and not res.ok[1] and res.n_iter[1] == 0


def test_poisson_argument_errors():
    X = np.column_stack([np.ones(5), np.arange(5.0)])
    with pytest.raises(ArgumentError, match="y must be non-negative"):
        fit_poisson_batch([1, 2, -1, 0, 3], X)
    with pytest.raises(ArgumentError, match="number of draws B"):
        fit_poisson_batch(np.ones((3, 5)), np.ones((4, 5, 2)))
    with pytest.raises(ArgumentError, match="same number of rows"):
        fit_poisson_batch(np.ones(4), X)
    with pytest.raises(ArgumentError, match="X has infinite values"):
        fit_poisson_batch(np.ones(5), np.where(X == 4, np.inf, X))
    with pytest.raises(ArgumentError, match="scale='X2' is not allowed"):
        fit_poisson_batch(np.ones(5), X, scale="X2")


# --- prewhitened_ccf_batch ----------------------------------------------------------------------


def ccf_draws(rng, size, n):
    """Indicator paths with monthly noise and one count series they partly lead."""
    x = indicator_paths(rng, size, n) + 0.3 * rng.normal(size=(size, n))
    y = rng.poisson(np.exp(1.0 + 0.3 * np.r_[np.zeros(2), x[0, :-2]])).astype(float)
    return x, y


@pytest.mark.parametrize("n", [30, 60])
@pytest.mark.parametrize("ar_order", [0, 1, 2, 3])
def test_ccf_matches_cross_correlation_draw_by_draw(rng, n, ar_order):
    x, y = ccf_draws(rng, 12, n)
    ys = y + rng.poisson(1.0, (12, n))  # counts per draw (report dates vary)
    for yy in (y, ys):
        res = prewhitened_ccf_batch(x, yy, lags=range(-12, 13), ar_order=ar_order)
        assert res.r.shape == (12, 25) and res.ok.all()
        for b in range(12):
            ref = cross_correlation(
                x[b], yy if yy.ndim == 1 else yy[b], max_lag=12, ar_order=ar_order
            )
            np.testing.assert_allclose(res.r[b], ref["estimate"], rtol=0, atol=1e-10)
            np.testing.assert_array_equal(res.n_obs, ref["n_obs"])
            np.testing.assert_allclose(res.p_value[b], ref["p_value"], rtol=1e-8, atol=1e-12)
            np.testing.assert_allclose(res.ar_coefficients[b], ref.attrs["ar_coefficients"])


@pytest.mark.parametrize("detrend", ["difference", "none"])
def test_ccf_other_detrending_matches(rng, detrend):
    x, y = ccf_draws(rng, 6, 40)
    res = prewhitened_ccf_batch(x, y, lags=[-3, 0, 2, 5], ar_order=2, detrend=detrend)
    for b in range(6):
        ref = cross_correlation(x[b], y, max_lag=5, ar_order=2, detrend=detrend)
        ref = ref.set_index("lag").loc[[-3, 0, 2, 5]]
        np.testing.assert_allclose(res.r[b], ref["estimate"], rtol=0, atol=1e-10)
        np.testing.assert_array_equal(res.n_obs, ref["n_obs"])


def test_ccf_missing_values_at_shared_positions(rng):
    """Months outside the indicator window are missing in every draw."""
    x, y = ccf_draws(rng, 5, 48)
    x[:, :6] = np.nan
    x[:, -3:] = np.nan
    y[20] = np.nan
    res = prewhitened_ccf_batch(x, y, lags=range(-6, 7), ar_order=1)
    for b in range(5):
        ref = cross_correlation(x[b], y, max_lag=6, ar_order=1)
        np.testing.assert_allclose(res.r[b], ref["estimate"], rtol=0, atol=1e-10)
        np.testing.assert_array_equal(res.n_obs, ref["n_obs"])


def test_ccf_degenerate_draw_is_flagged(rng):
    x, y = ccf_draws(rng, 3, 30)
    x[1] = np.linspace(0.0, 5.0, 30)  # a straight line: nothing left after detrending
    res = prewhitened_ccf_batch(x, y, lags=range(-3, 4), ar_order=1)
    assert res.ok.tolist() == [True, False, True] and np.isnan(res.r[1]).all()
    with pytest.raises(AnalysisError, match="no variation left"):
        cross_correlation(x[1], y, max_lag=3, ar_order=1)


def test_ccf_argument_and_analysis_errors(rng):
    x, y = ccf_draws(rng, 3, 20)
    x2 = x.copy()
    x2[0, 0] = np.nan
    with pytest.raises(ArgumentError, match="different positions in different draws"):
        prewhitened_ccf_batch(x2, y, lags=[0], ar_order=1)
    with pytest.raises(AnalysisError, match="lag 18 has only 1 complete"):
        prewhitened_ccf_batch(x, y, lags=[0, 18], ar_order=1)
    with pytest.raises(ArgumentError, match="lags must be distinct integers"):
        prewhitened_ccf_batch(x, y, lags=[0, 0], ar_order=1)
    with pytest.raises(ArgumentError, match="sequence of integers"):
        prewhitened_ccf_batch(x, y, lags=12, ar_order=1)
    with pytest.raises(ArgumentError, match="ar_order must be an integer >= 0"):
        prewhitened_ccf_batch(x, y, lags=[0], ar_order=-1)


# --- granger_f_batch ----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [30, 60])
@pytest.mark.parametrize("lag", [1, 2, 3])
@pytest.mark.parametrize("differences", [0, 1, 2])
def test_granger_matches_statsmodels_pair_by_pair(rng, n, lag, differences):
    cause = indicator_paths(rng, 8, n) + 0.2 * rng.normal(size=(8, n))
    effect = rng.poisson(np.exp(0.5 + 0.2 * np.roll(cause, 1, axis=1))).astype(float)
    res = granger_f_batch(cause, effect, lag=lag, differences=differences)
    assert res.ok.all() and res.df_num == lag
    for b in range(8):
        pair = np.diff(np.column_stack([effect[b], cause[b]]), n=differences, axis=0)
        # statsmodels tests whether the SECOND column (cause) Granger-causes the first
        f, p, df_denom, df_num = grangercausalitytests(pair, [lag])[lag][0]["ssr_ftest"]
        np.testing.assert_allclose(res.F[b], f, rtol=1e-8)
        np.testing.assert_allclose(res.p_value[b], p, rtol=1e-8, atol=1e-14)
        assert (res.df_denom, res.df_num) == (df_denom, df_num)
        assert res.n_obs == n - differences - lag


def test_granger_direction_matches_granger_test(rng):
    cause = indicator_paths(rng, 4, 50) + 0.2 * rng.normal(size=(4, 50))
    effect = rng.poisson(3.0, 50).astype(float)  # shared counts, cause per draw
    res = granger_f_batch(cause, effect, lag=2, differences=1)
    back = granger_f_batch(effect, cause, lag=2, differences=1)
    for b in range(4):
        frame = pd.DataFrame({"x": cause[b], "n": effect})
        for fwd, (c, e) in ((res, ("x", "n")), (back, ("n", "x"))):
            ref = granger_test(frame, cause=c, effect=e, max_lag=2, difference=1)
            row = ref[(ref["test"] == "ssr_f") & (ref["lag"] == 2)].iloc[0]
            np.testing.assert_allclose(fwd.F[b], row["statistic"], rtol=1e-8)
            np.testing.assert_allclose(fwd.p_value[b], row["p_value"], rtol=1e-8)
            assert fwd.df_denom == row["df_denom"] and fwd.n_obs == row["n_obs"]


def test_granger_degenerate_draw_is_flagged(rng):
    cause = rng.normal(size=(3, 40))
    effect = rng.normal(size=40)
    cause[1] = 2.0 + 0.5 * np.arange(40)  # differenced once: constant
    res = granger_f_batch(cause, effect, lag=2, differences=1)
    assert res.ok.tolist() == [True, False, True] and np.isnan(res.F[1])
    with pytest.raises(InfeasibleTestError):
        grangercausalitytests(np.diff(np.column_stack([effect, cause[1]]), axis=0), [2])


def test_granger_errors(rng):
    with pytest.raises(ArgumentError, match="cause has missing values"):
        granger_f_batch([1.0, np.nan, 2.0, 3.0, 4.0, 5.0], np.arange(6.0), lag=1, differences=0)
    with pytest.raises(AnalysisError, match="too few for lag=3"):
        granger_f_batch(rng.normal(size=12), rng.normal(size=12), lag=3, differences=2)
    with pytest.raises(ArgumentError, match="lag must be an integer >= 1"):
        granger_f_batch(rng.normal(size=12), rng.normal(size=12), lag=0, differences=0)


# --- rubin_pool ---------------------------------------------------------------------------------


def test_rubin_hand_example_in_exact_arithmetic():
    """m = 3, q = (1, 2, 3), u = 1/2 each, nu_com = 10, worked with fractions.

    Q = 2, W = 1/2, B = 1, T = W + (4/3) B = 11/6, r = 8/3, lambda = 8/11,
    nu_old = 2 / lambda^2 = 121/32, nu_obs = (11/13) * 10 * (3/11) = 30/13,
    nu_BR = 1 / (32/121 + 13/30) = 3630/2533.
    """
    q, u = [1.0, 2.0, 3.0], [0.5, 0.5, 0.5]
    lam = Fraction(8, 11)
    nu_old = 2 / lam**2
    nu_obs = Fraction(11, 13) * 10 * (1 - lam)
    nu_br = 1 / (1 / nu_old + 1 / nu_obs)
    assert (nu_old, nu_obs, nu_br) == (Fraction(121, 32), Fraction(30, 13), Fraction(3630, 2533))
    total = Fraction(11, 6)
    for method, nu in (("classic", nu_old), ("barnard_rubin", nu_br)):
        row = rubin_pool(q, u, df_method=method, df_complete=10).iloc[0]
        parts = ["estimate", "within_variance", "between_variance", "total_variance"]
        np.testing.assert_allclose(
            row[parts].astype(float), [2.0, 0.5, 1.0, float(total)], rtol=1e-14
        )
        assert row["riv"] == pytest.approx(8 / 3, rel=1e-14)
        assert row["lambda"] == pytest.approx(8 / 11, rel=1e-14)
        assert row["df"] == pytest.approx(float(nu), rel=1e-14)
        t_stat = 2.0 / np.sqrt(float(total))
        assert row["statistic"] == pytest.approx(t_stat, rel=1e-14)
        assert row["p_value"] == pytest.approx(2 * stats.t.sf(t_stat, float(nu)), rel=1e-12)
        half = stats.t.ppf(0.975, float(nu)) * np.sqrt(float(total))
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((2 - half, 2 + half), rel=1e-12)
        r = 8 / 3
        assert row["fmi"] == pytest.approx((r + 2 / (float(nu) + 3)) / (1 + r), rel=1e-12)


def test_rubin_published_example_amos():
    """IBM SPSS Amos 21 User's Guide (Arbuckle 2012), Example 31, p. 472.

    m = 10 imputations, within-imputation variance 0.0233, between-imputation variance
    0.0085, pooled estimate 1.172; the guide prints T = 0.0326, sqrt(T) = 0.1807,
    t = 1.172 / 0.1807 = 6.49 and Rubin's (1987) df = 109 (all rounded as printed).
    """
    dev = np.tile([1.0, -1.0], 5)
    q = 1.172 + dev * np.sqrt(0.0085 * 9 / 10)  # sample variance exactly 0.0085
    row = rubin_pool(q, np.full(10, 0.0233), df_method="classic").iloc[0]
    assert row["estimate"] == pytest.approx(1.172, abs=1e-12)
    assert row["between_variance"] == pytest.approx(0.0085, rel=1e-12)
    assert row["total_variance"] == pytest.approx(0.0326, abs=1e-4)
    assert row["std_error"] == pytest.approx(0.1807, abs=5e-5)
    assert row["statistic"] == pytest.approx(6.49, abs=5e-3)
    assert int(row["df"]) == 109


def test_rubin_matches_statsmodels_mice_combine(rng):
    """Pooled estimate, total variance and lambda = statsmodels' MICE.combine, per finding."""
    m, K = 7, 4
    q = rng.normal(size=(m, K))
    u = rng.uniform(0.1, 0.5, (m, K))

    def fitted(qi, ui):  # what MICE.combine reads from each imputation's results
        return SimpleNamespace(
            _results=SimpleNamespace(params=qi, cov_params=lambda: np.diag(ui)), scale=1.0
        )

    stub = SimpleNamespace(
        results_list=[fitted(q[i], u[i]) for i in range(m)],
        exog_names=list("abcd"),
        endog_names="y",
        model_class=None,
    )
    ref = MICE.combine(stub)
    res = rubin_pool(pd.DataFrame(q, columns=list("abcd")), u)
    assert res["finding"].tolist() == list("abcd")
    np.testing.assert_allclose(res["estimate"], ref.params, rtol=1e-13)
    np.testing.assert_allclose(res["total_variance"], np.diag(ref.cov_params()), rtol=1e-13)
    np.testing.assert_allclose(res["lambda"], ref.frac_miss_info, rtol=1e-13)


def test_rubin_barnard_rubin_equals_mice_formula(rng):
    """The df against mice's barnard.rubin() (R package mice, R/barnard.rubin.R), written
    in its own algebraic form: (m-1) tmp / ((nu_com + 3)(m-1) + lambda^2 tmp) with
    tmp = (1 - lambda)(1 + nu_com) nu_com."""
    m = 20
    q = rng.normal(size=(m, 6)) * rng.uniform(0.1, 2.0, 6)
    u = rng.uniform(0.05, 1.0, (m, 6))
    nu_com = np.array([5.0, 10.0, 27.0, 57.0, 200.0, np.inf])
    res = rubin_pool(q, u, df_complete=nu_com)
    lam = res["lambda"].to_numpy()
    tmp = (1 - lam[:5]) * (1 + nu_com[:5]) * nu_com[:5]
    mice_df = (m - 1) * tmp / ((nu_com[:5] + 3) * (m - 1) + lam[:5] ** 2 * tmp)
    np.testing.assert_allclose(res["df"][:5], mice_df, rtol=1e-12)
    assert res["df"].iloc[5] == pytest.approx((m - 1) / lam[5] ** 2, rel=1e-12)
    assert (res["df"][:5] <= nu_com[:5]).all()
    classic = rubin_pool(q, u, df_method="classic", df_complete=nu_com)
    np.testing.assert_allclose(classic["df"], (m - 1) / lam**2, rtol=1e-12)


def test_rubin_limits_and_nan_policy():
    same = rubin_pool([0.5, 0.5, 0.5], [0.04, 0.04, 0.04], df_complete=20).iloc[0]
    nu_obs = 21 / 23 * 20  # B = 0: the df is nu_obs, the complete-data df adjusted
    assert same["between_variance"] == 0 and same["df"] == pytest.approx(nu_obs)
    normal = rubin_pool([0.5, 0.5, 0.5], [0.04, 0.04, 0.04]).iloc[0]
    assert np.isinf(normal["df"])
    assert normal["p_value"] == pytest.approx(2 * stats.norm.sf(2.5), rel=1e-12)

    q = np.array([[1.0, 2.0], [np.nan, 2.5], [1.4, 1.5], [0.9, 2.2]])
    u = np.full((4, 2), 0.1)
    prop = rubin_pool(q, u)
    assert np.isnan(prop["estimate"].iloc[0]) and prop["m"].tolist() == [4, 4]
    omit = rubin_pool(q, u, nan_policy="omit")
    assert omit["m"].tolist() == [3, 4]
    pd.testing.assert_series_equal(
        omit.iloc[0], rubin_pool([1.0, 1.4, 0.9], [0.1] * 3).iloc[0], check_names=False
    )
    with pytest.raises(ArgumentError, match="missing values"):
        rubin_pool(q, u, nan_policy="raise")


def test_rubin_schema_and_errors():
    res = rubin_pool(np.ones((3, 2)) + np.eye(3, 2), np.full((3, 2), 0.2))
    assert tuple(res.columns) == RUBIN_COLUMNS and len(res) == 2
    assert res["m"].dtype == np.int64 and set(res["df_method"]) == {"barnard_rubin"}
    with pytest.raises(ArgumentError, match="at least 2 imputations"):
        rubin_pool([1.0], [0.1])
    with pytest.raises(ArgumentError, match="same shape"):
        rubin_pool([1.0, 2.0], [0.1])
    with pytest.raises(ArgumentError, match="non-negative"):
        rubin_pool([1.0, 2.0], [0.1, -0.1])
    with pytest.raises(ArgumentError, match="df_complete must be positive"):
        rubin_pool([1.0, 2.0], [0.1, 0.1], df_complete=0)
    with pytest.raises(ArgumentError, match="one per finding"):
        rubin_pool(np.ones((3, 2)), np.ones((3, 2)), df_complete=[10.0, 20.0, 30.0])
    with pytest.raises(ArgumentError, match="df_method='bayes' is not allowed"):
        rubin_pool([1.0, 2.0], [0.1, 0.1], df_method="bayes")
