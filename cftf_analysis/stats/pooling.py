"""Pooling a test statistic over plausible versions of the data (multiple imputation).

The battery computes each indicator finding on every joint draw of the data
(:mod:`cftf_analysis.stats.draws`): the draws are multiple imputations of what
the evidence does not pin down (the months between sparse observations, the
day of an imprecisely dated report). Estimates are pooled by Rubin's rules
(:func:`~cftf_analysis.stats.batch.rubin_pool`); a test with several degrees of
freedom, such as a Granger F test, by :func:`pool_f_tests`, the "D2" statistic
of Li, Meng, Raghunathan & Rubin (1991), which needs only the m test statistics.

References
----------
Li, K. H., Meng, X.-L., Raghunathan, T. E. & Rubin, D. B. (1991). Significance
levels from repeated p-values with multiply-imputed data. *Statistica Sinica* 1,
65-92.
Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from cftf_analysis.errors import AnalysisError

__all__ = ["PooledTest", "pool_f_tests"]


@dataclass(frozen=True)
class PooledTest:
    """A pooled F test: statistic, degrees of freedom, p-value, and the draws' spread.

    Attributes
    ----------
    statistic
        The D2 statistic (an F statistic with ``df_num`` and ``df_denom`` degrees of freedom).
    df_num, df_denom
        Degrees of freedom of the reference F distribution.
    p_value
        ``P(F > statistic)``.
    r
        The relative increase in variance due to the draws (0 when they agree).
    m
        Number of draws pooled.
    """

    statistic: float
    df_num: int
    df_denom: float
    p_value: float
    r: float
    m: int


def pool_f_tests(f_statistics: np.ndarray, df_num: int) -> PooledTest:
    """Pool m F statistics of the same hypothesis (``df_num`` restrictions) by D2.

    With ``d_i = df_num * F_i`` the chi-square forms, ``r = (1 + 1/m) *
    var(sqrt(d_i))`` (sample variance) and
    ``D2 = (mean(d) / k - (m + 1) / (m - 1) * r) / (1 + r)``, referred to an F
    distribution with ``k = df_num`` and ``k ** (-3 / m) * (m - 1) * (1 + 1 / r) ** 2``
    degrees of freedom (Li et al. 1991, eq. 2.2-2.3; the denominator degrees
    of freedom are infinite when ``r = 0``). ``D2`` is set to 0 when negative.
    When the draws agree exactly (``r = 0``) it reduces to ``mean(F)``.

    Examples
    --------
    >>> res = pool_f_tests(np.array([4.0, 4.0, 4.0]), 2)
    >>> round(res.statistic, 6), res.r, round(res.p_value, 4)  # chi2(2)/2 > 4
    (4.0, 0.0, 0.0183)
    >>> pool_f_tests(np.array([1.0, 9.0, 2.0, 6.0]), 1).p_value > 0.05
    True
    """
    f = np.asarray(f_statistics, dtype=float)
    f = f[np.isfinite(f)]
    m = f.size
    if m == 0:
        raise AnalysisError("no finite F statistic to pool")
    k = int(df_num)
    d = k * f
    if m == 1:
        stat = float(f[0])
        return PooledTest(stat, k, np.inf, float(stats.chi2.sf(k * stat, k)), 0.0, 1)
    # equal statistics: exactly no spread (np.var leaves ~1e-31 from rounding the mean)
    r = 0.0 if np.ptp(d) == 0 else (1 + 1 / m) * float(np.var(np.sqrt(d), ddof=1))
    stat = max((d.mean() / k - (m + 1) / (m - 1) * r) / (1 + r), 0.0)
    if r <= 0:
        return PooledTest(float(stat), k, np.inf, float(stats.chi2.sf(k * stat, k)), 0.0, m)
    df_denom = k ** (-3 / m) * (m - 1) * (1 + 1 / r) ** 2
    return PooledTest(float(stat), k, float(df_denom), float(stats.f.sf(stat, k, df_denom)), r, m)
