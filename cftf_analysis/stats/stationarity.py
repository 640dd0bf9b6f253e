"""Stationarity tests of one series: augmented Dickey-Fuller and KPSS.

:func:`stationarity_tests` returns one tidy row per test
(:data:`STATIONARITY_COLUMNS`). :func:`cftf_analysis.stats.granger.granger_test`
uses the same tests (:func:`adf_kpss`) to decide how often to difference a
pair, on the gap-free stretch :func:`consecutive_values` returns.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import InterpolationWarning
from statsmodels.tsa.stattools import adfuller, kpss

from cftf_analysis.errors import AnalysisError
from cftf_analysis.options import Regression, check_fraction, check_literal
from cftf_analysis.stats.timeseries import as_float_array

__all__ = [
    "MIN_STATIONARITY_OBS",
    "STATIONARITY_COLUMNS",
    "adf_kpss",
    "consecutive_values",
    "stationarity_tests",
]

STATIONARITY_COLUMNS: tuple[str, ...] = (
    "test",
    "null_hypothesis",
    "statistic",
    "p_value",
    "lags",
    "n_obs",
    "conclusion",
)
"""Columns of :func:`stationarity_tests`, in order."""

MIN_STATIONARITY_OBS = 10
_RESULT_OBJECT = "result_object" in inspect.signature(adfuller).parameters


def consecutive_values(values: Any, name: str) -> np.ndarray:
    """Float array with leading/trailing gaps removed; interior gaps are an error.

    Examples
    --------
    >>> consecutive_values([np.nan, 1.0, 2.0, 4.0, np.nan], "x").tolist()
    [1.0, 2.0, 4.0]
    """
    v = as_float_array(values, name=name, min_length=3)
    ok = np.flatnonzero(np.isfinite(v))
    v = v[ok[0] : ok[-1] + 1]
    if not np.isfinite(v).all():
        raise AnalysisError(
            f"{name} has {int(np.isnan(v).sum())} missing values between its first and last "
            "observation; these tests need consecutive observations (fill or trim the gaps)"
        )
    return v


def adf_kpss(
    v: np.ndarray, regression: Regression
) -> list[tuple[str, str, float, float, int, int]]:
    """``(test, null, statistic, p_value, lags, n_obs)`` for ADF and KPSS of a gap-free series."""
    if v.size < MIN_STATIONARITY_OBS:
        raise AnalysisError(
            f"stationarity tests need at least {MIN_STATIONARITY_OBS} observations, got {v.size}"
        )
    extra = {"result_object": True} if _RESULT_OBJECT else {}
    with warnings.catch_warnings():
        # KPSS p-values are interpolated in a table and capped to [0.01, 0.10];
        # the cap is documented rather than warned about on every call.
        warnings.simplefilter("ignore", InterpolationWarning)
        try:
            adf = adfuller(v, regression=regression, autolag="AIC", **extra)
            kp = kpss(v, regression=regression, nlags="legacy", **extra)
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise AnalysisError(f"stationarity tests failed: {exc}") from exc
    if _RESULT_OBJECT:
        adf_row = (float(adf.statistic), float(adf.pvalue), int(adf.lags), int(adf.nobs))
        kpss_row = (float(kp.statistic), float(kp.pvalue), int(kp.lags), v.size)
    else:  # statsmodels < 0.15 returns tuples
        adf_row = (float(adf[0]), float(adf[1]), int(adf[2]), int(adf[3]))
        kpss_row = (float(kp[0]), float(kp[1]), int(kp[2]), v.size)
    return [("adf", "unit root", *adf_row), ("kpss", "stationary", *kpss_row)]


def stationarity_tests(
    series: Any, *, alpha: float = 0.05, regression: Regression = "c"
) -> pd.DataFrame:
    """Augmented Dickey-Fuller and KPSS tests of one series.

    Parameters
    ----------
    series
        A pandas Series, array or sequence in time order. Missing values at the
        start or end are dropped; missing values in between are an error.
    alpha
        Level at which ``conclusion`` is read off the p-value.
    regression
        ``"c"`` (default): stationary around a constant level; ``"ct"``: around
        a linear trend.

    Returns
    -------
    pandas.DataFrame
        Two rows (``adf``, ``kpss``), columns :data:`STATIONARITY_COLUMNS`:

        - ``test`` (str): ``"adf"`` or ``"kpss"``.
        - ``null_hypothesis`` (str): ``"unit root"`` (ADF) or ``"stationary"`` (KPSS).
        - ``statistic`` (float), ``p_value`` (float): test statistic and p-value.
        - ``lags`` (int): lags used (ADF: chosen by AIC; KPSS: Newey-West
          bandwidth ``int(12 * (n / 100) ** 0.25)``).
        - ``n_obs`` (int): observations in the test regression.
        - ``conclusion`` (str): ``"stationary"`` or ``"non-stationary"``, the
          reading at level ``alpha`` (ADF rejects -> stationary; KPSS rejects
          -> non-stationary). A reading, not a proof: with short series both
          tests have little power.

    Notes
    -----
    Uses :func:`statsmodels.tsa.stattools.adfuller` (``autolag="AIC"``) and
    :func:`statsmodels.tsa.stattools.kpss` with ``nlags="legacy"`` (Schwert's
    rule, ``int(12 * (n / 100) ** 0.25)``). statsmodels' default ``"auto"``
    bandwidth can degenerate on over-differenced series (it picks ``n - 1``
    lags and the statistic collapses to 0.5, a spurious rejection), which
    would make ``granger_test(difference="auto")`` difference twice. KPSS
    p-values come from a table and are capped to [0.01, 0.10].

    References
    ----------
    Said, S. E., Dickey, D. A. (1984). Testing for unit roots in
    autoregressive-moving average models of unknown order. *Biometrika* 71(3).
    Kwiatkowski, D., Phillips, P. C. B., Schmidt, P., Shin, Y. (1992). Testing
    the null hypothesis of stationarity against the alternative of a unit root.
    *Journal of Econometrics* 54, 159-178.

    Examples
    --------
    >>> import numpy as np
    >>> walk = np.random.default_rng(0).normal(size=80).cumsum()
    >>> res = stationarity_tests(walk)
    >>> res[["test", "null_hypothesis", "conclusion"]].to_dict("list")
    {'test': ['adf', 'kpss'], 'null_hypothesis': ['unit root', 'stationary'],
     'conclusion': ['non-stationary', 'non-stationary']}
    >>> stationarity_tests(np.diff(walk))["conclusion"].tolist()
    ['stationary', 'stationary']
    """
    check_literal(regression, Regression, "regression")
    check_fraction(alpha, "alpha")
    name = series.name if isinstance(series, pd.Series) and series.name is not None else "series"
    rows = adf_kpss(consecutive_values(series, str(name)), regression)
    out = pd.DataFrame(rows, columns=list(STATIONARITY_COLUMNS[:-1]))
    reject = out["p_value"] < alpha
    is_adf = out["test"] == "adf"
    out["conclusion"] = np.where(reject == is_adf, "stationary", "non-stationary")
    return out.astype({"lags": "int64", "n_obs": "int64"})
