"""Pooling F tests over multiple imputations (D2): the published formula, exact cases, calibration.

The reference is Li, Meng, Raghunathan & Rubin (1991), as written in the
R package miceadds (``micombine.chisquare``, version 1): for m chi-square
statistics ``d_i`` of a test with k degrees of freedom and ``g_i = sqrt(d_i)``,

    r  = (1 + 1/m) * (sum g^2 - (sum g)^2 / m) / (m - 1)
    D2 = (mean(d) / k - r (m + 1) / (m - 1)) / (1 + r)
    df = (m - 1) (1 + 1/r)^2 / k^(3/m),    p = P(F(k, df) > D2).

:func:`pool_f_tests` takes F statistics, ``F_i = d_i / k`` (a Wald chi-square
over its degrees of freedom), and sets a negative D2 to 0.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import special, stats

from cftf_analysis import AnalysisError
from cftf_analysis.stats.pooling import PooledTest, pool_f_tests


def reference_d2(f: np.ndarray, k: int) -> tuple[float, float, float, float]:
    """D2, its denominator df, p-value and r, written out as in miceadds (version 1)."""
    d = k * np.asarray(f, dtype=float)
    m = d.size
    g = np.sqrt(d)
    r = (1 + 1 / m) * (np.sum(g**2) - np.sum(g) ** 2 / m) / (m - 1)
    stat = (np.sum(d) / m / k - r * (m + 1) / (m - 1)) / (1 + r)
    df = (m - 1) * (1 + 1 / r) ** 2 / k ** (3 / m)
    return stat, df, float(stats.f.sf(stat, k, df)), r


# --- the published formula ----------------------------------------------------------------------


@pytest.mark.parametrize("m", [2, 3, 5, 20, 200])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_d2_matches_the_published_formula(m, k) -> None:
    rng = np.random.default_rng(100 * m + k)
    # F statistics of k restrictions spread like those of imputations: a shared
    # non-centrality and a chi-square each
    f = rng.noncentral_chisquare(k, rng.uniform(0, 3 * k), size=m) / k
    stat, df, p, r = reference_d2(f, k)
    res = pool_f_tests(f, k)
    assert isinstance(res, PooledTest)
    assert res.m == m and res.df_num == k
    assert res.r == pytest.approx(r, rel=1e-12)
    assert res.df_denom == pytest.approx(df, rel=1e-12)
    assert res.statistic == pytest.approx(max(stat, 0.0), rel=1e-12, abs=1e-15)
    assert res.p_value == pytest.approx(p, rel=1e-10, abs=1e-15)


def test_d2_pools_chi_squares_k_times_the_f_statistics() -> None:
    """The statistics are F = chi-square / k: pooling them as if they were the
    chi-squares themselves gives another answer when k > 1."""
    f = np.array([2.0, 3.5, 1.2, 4.1, 2.6])
    k = 3
    res = pool_f_tests(f, k)
    right = reference_d2(f, k)
    wrong = reference_d2(f / k, k)  # d_i = F_i
    assert res.statistic == pytest.approx(right[0], rel=1e-12)
    assert abs(res.statistic - max(wrong[0], 0.0)) > 0.1


def test_d2_does_not_depend_on_the_order_of_the_draws() -> None:
    f = np.random.default_rng(3).chisquare(2, size=30) / 2
    a = pool_f_tests(f, 2)
    b = pool_f_tests(f[::-1].copy(), 2)
    assert a.statistic == pytest.approx(b.statistic, rel=1e-12)
    assert a.p_value == pytest.approx(b.p_value, rel=1e-12)


# --- exact hand examples ------------------------------------------------------------------------


def hand_d2(d: list[int], k: int) -> tuple[Fraction, Fraction, Fraction]:
    """D2, r and, for m = 3, the denominator df, in exact fractions (sqrt(d) whole numbers)."""
    m = len(d)
    g = [Fraction(math.isqrt(x)) for x in d]
    assert all(x * x == y for x, y in zip(g, d, strict=True))
    mean_g = sum(g) / m
    r = (1 + Fraction(1, m)) * sum((x - mean_g) ** 2 for x in g) / (m - 1)
    stat = (Fraction(sum(d), m) / k - Fraction(m + 1, m - 1) * r) / (1 + r)
    assert m == 3  # k ** (-3 / m) = 1 / k is rational only for m = 3
    df = Fraction(1, k) * (m - 1) * (1 + 1 / r) ** 2
    return stat, r, df


def f_sf_one_df(x: float, nu: float) -> float:
    """P(F(1, nu) > x) = I_{nu / (nu + x)}(nu / 2, 1 / 2), the regularised incomplete beta."""
    return float(special.betainc(nu / 2, 0.5, nu / (nu + x)))


def test_hand_example_one_restriction() -> None:
    # d = 1, 4, 9: sqrt 1, 2, 3, sample variance 1, r = 4/3, mean d = 14/3,
    # D2 = (14/3 - 2 * 4/3) / (7/3) = 6/7, df = 2 (1 + 3/4)^2 = 49/8
    stat, r, df = hand_d2([1, 4, 9], 1)
    assert (stat, r, df) == (Fraction(6, 7), Fraction(4, 3), Fraction(49, 8))
    res = pool_f_tests(np.array([1.0, 4.0, 9.0]), 1)
    assert res.statistic == pytest.approx(6 / 7, rel=1e-14)
    assert res.r == pytest.approx(4 / 3, rel=1e-14)
    assert res.df_denom == pytest.approx(49 / 8, rel=1e-14)
    assert res.p_value == pytest.approx(f_sf_one_df(6 / 7, 49 / 8), rel=1e-10)


def test_hand_example_two_restrictions() -> None:
    # d = 4, 9, 16 (F = 2, 4.5, 8): r = 4/3, mean d = 29/3,
    # D2 = (29/6 - 8/3) / (7/3) = 13/14, df = 2^-1 * 2 * (7/4)^2 = 49/16
    stat, r, df = hand_d2([4, 9, 16], 2)
    assert (stat, r, df) == (Fraction(13, 14), Fraction(4, 3), Fraction(49, 16))
    res = pool_f_tests(np.array([2.0, 4.5, 8.0]), 2)
    assert res.statistic == pytest.approx(13 / 14, rel=1e-14)
    assert res.df_denom == pytest.approx(49 / 16, rel=1e-14)
    # F(2, nu) has a closed-form tail: P(F > x) = (1 + 2x / nu)^(-nu / 2)
    nu = 49 / 16
    assert res.p_value == pytest.approx((1 + 2 * (13 / 14) / nu) ** (-nu / 2), rel=1e-10)


def test_negative_d2_is_set_to_zero_with_p_value_one() -> None:
    # d = 1, 4, 9 with k = 2 (F = 0.5, 2, 4.5): D2 = (7/3 - 8/3) / (7/3) = -1/7
    stat, _, _ = hand_d2([1, 4, 9], 2)
    assert stat == Fraction(-1, 7)
    res = pool_f_tests(np.array([0.5, 2.0, 4.5]), 2)
    assert res.statistic == 0.0
    assert res.p_value == 1.0
    assert res.r == pytest.approx(4 / 3, rel=1e-14)


# --- limits ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "k", "m"), [(4.0, 2, 3), (1.3, 1, 10), (2.2, 5, 50)])
def test_equal_draws_give_no_extra_variance(value, k, m) -> None:
    res = pool_f_tests(np.full(m, value), k)
    assert res.r == 0.0
    assert res.statistic == pytest.approx(value, rel=1e-12)  # D2 = d / k = F
    assert res.df_denom == np.inf
    # F(k, infinity) is chi-square(k) / k
    assert res.p_value == pytest.approx(stats.chi2.sf(k * value, k), rel=1e-12)
    assert res.p_value == pytest.approx(stats.f.sf(value, k, 1e10), rel=1e-6)


def test_nearly_equal_draws_approach_the_limit() -> None:
    base = pool_f_tests(np.full(20, 3.0), 2)
    near = pool_f_tests(3.0 * (1 + 1e-6 * np.random.default_rng(4).standard_normal(20)), 2)
    assert 0 < near.r < 1e-9 and near.df_denom > 1e15
    assert near.p_value == pytest.approx(base.p_value, rel=1e-5)


def test_more_disagreement_between_draws_weakens_the_evidence() -> None:
    """Same mean chi-square, more spread between the draws: a larger r, a larger p."""
    rng = np.random.default_rng(5)
    z = rng.standard_normal(20)
    z = (z - z.mean()) / z.std(ddof=1)
    results = [pool_f_tests((4.0 + s * z) ** 2 / 2, 2) for s in (0.1, 0.5, 1.0, 2.0)]
    rs = [res.r for res in results]
    ps = [res.p_value for res in results]
    assert rs == sorted(rs) and ps == sorted(ps)


def test_one_draw_is_its_own_test() -> None:
    res = pool_f_tests(np.array([3.1]), 3)
    assert (res.m, res.r, res.df_denom) == (1, 0.0, np.inf)
    assert res.statistic == pytest.approx(3.1)
    assert res.p_value == pytest.approx(stats.chi2.sf(3 * 3.1, 3), rel=1e-12)


def test_draws_without_a_statistic_are_left_out() -> None:
    f = np.array([1.0, 4.0, 9.0])
    with_gaps = np.array([1.0, np.nan, 4.0, np.inf, 9.0, -np.inf])
    a, b = pool_f_tests(f, 1), pool_f_tests(with_gaps, 1)
    assert b.m == 3
    assert (a.statistic, a.df_denom, a.p_value, a.r) == (b.statistic, b.df_denom, b.p_value, b.r)
    with pytest.raises(AnalysisError, match="no finite F"):
        pool_f_tests(np.array([np.nan, np.inf]), 2)
    with pytest.raises(AnalysisError):
        pool_f_tests(np.array([]), 2)


# --- calibration on multiply imputed data ------------------------------------------------------


def imputed_mean_test(
    n_reps: int, n: int, m: int, k: int, missing: float, mu: float, rng: np.random.Generator
) -> np.ndarray:
    """Pooled p-values of ``H0: mean = 0`` for k-variate normal data, cells missing at random.

    Each replication: n rows of N(mu, I_k), each cell missing with probability
    ``missing``; m proper imputations (per coordinate, draw the mean from its
    posterior N(observed mean, 1 / n_observed) under a flat prior, then the
    missing cells from N(drawn mean, 1)); on each completed data set the Wald
    chi-square ``n |mean|^2`` (variance known), passed on as F = chi-square / k.
    Under H0 each completed-data statistic is chi-square(k), so a calibrated
    pooled test rejects at rate alpha.
    """
    x = rng.standard_normal((n_reps, n, k)) + mu
    seen = rng.random((n_reps, n, k)) >= missing
    n_seen = np.maximum(seen.sum(axis=1), 1)
    seen_mean = np.where(seen, x, 0.0).sum(axis=1) / n_seen
    drawn_mean = (
        seen_mean[:, None, :] + rng.standard_normal((n_reps, m, k)) / np.sqrt(n_seen)[:, None, :]
    )
    n_missing = (n - n_seen)[:, None, :]
    # the sum of the imputed cells of a coordinate: N(n_missing * drawn mean, n_missing)
    imputed_sum = n_missing * drawn_mean + np.sqrt(n_missing) * rng.standard_normal((n_reps, m, k))
    completed_mean = ((seen_mean * n_seen)[:, None, :] + imputed_sum) / n
    chi2 = n * (completed_mean**2).sum(axis=-1)
    return np.array([pool_f_tests(chi2[i] / k, k).p_value for i in range(n_reps)])


def test_the_simulation_is_calibrated_without_missing_data() -> None:
    """The harness itself: with nothing missing every imputation is the data, r = 0
    and the pooled test is the exact chi-square test."""
    rng = np.random.default_rng(11)
    p = imputed_mean_test(4000, 40, 5, 2, 0.0, 0.0, rng)
    ks = stats.kstest(p, "uniform")
    assert ks.pvalue > 1e-3, f"p-values not uniform without missing data (KS p {ks.pvalue:.2g})"


@pytest.mark.parametrize(
    ("m", "k", "missing"),
    [(10, 2, 0.3), (5, 3, 0.3), (50, 2, 0.3)],
)
def test_pooled_p_values_are_calibrated_or_conservative_under_the_null(m, k, missing) -> None:
    n_reps = 4000
    rng = np.random.default_rng(1000 * m + 10 * k)
    p = imputed_mean_test(n_reps, 50, m, k, missing, 0.0, rng)
    assert ((p >= 0) & (p <= 1)).all()
    for alpha in (0.01, 0.05, 0.10):
        rate = float(np.mean(p < alpha))
        se = np.sqrt(alpha * (1 - alpha) / n_reps)
        half = 1.96 * np.sqrt(rate * (1 - rate) / n_reps)
        lo, hi = rate - half, rate + half
        message = (
            f"m={m}, k={k}, {missing:.0%} missing: rejection rate {rate:.4f} at alpha {alpha} "
            f"(95% Monte Carlo interval {lo:.4f}-{hi:.4f}, {n_reps} replications)"
        )
        # not liberal beyond Monte Carlo error (3 SE under a calibrated test) ...
        assert rate <= alpha + 3 * se, message
        # ... and not so conservative that the test is useless
        assert rate >= alpha / 2, message


def test_pooled_test_has_power_under_the_alternative() -> None:
    rng = np.random.default_rng(12)
    n_reps = 1000
    p = imputed_mean_test(n_reps, 50, 10, 2, 0.3, 0.35, rng)
    rate = float(np.mean(p < 0.05))
    # the complete-data test would reject with probability P(chi2(2, nc) > crit),
    # nc = n |mu|^2 = 50 * 2 * 0.35^2 = 12.25; with 30% missing the information is
    # about 70%, so nc is about 8.6 and the power about 0.75
    nc = 0.7 * 50 * 2 * 0.35**2
    expected = stats.ncx2.sf(stats.chi2.isf(0.05, 2), 2, nc)
    assert rate > 0.5, f"power {rate:.3f}, about {expected:.2f} expected"
    assert abs(rate - expected) < 0.1, f"power {rate:.3f}, about {expected:.2f} expected"
