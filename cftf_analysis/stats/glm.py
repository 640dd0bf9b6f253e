"""Monthly GLM machinery shared by the count model and the interrupted time series.

- the monthly index of a panel or series (:func:`monthly_index`: a ``month``
  column, a DatetimeIndex or a PeriodIndex; duplicate months rejected) and
  data checks (:func:`check_nonnegative_counts`, :func:`check_positive_exposure`),
  which raise :class:`~cftf_analysis.errors.DataValidationError` with the
  1-based row of the first bad value;
- lags (:func:`lag_list`) and seasonal terms (:func:`seasonal_kind`,
  :func:`seasonal_terms`: month-of-year dummies or two 12-month harmonic pairs);
- :func:`lagged_design`, the design of
  :func:`~cftf_analysis.stats.countmodel.fit_count_model` on the complete
  monthly grid (lagged covariates, trend, seasonal terms);
- :func:`glm_fit`, a statsmodels GLM fit with the package's covariance
  conventions (HAC with ``maxlags``, HC0 or model-based; Pearson or fixed
  scale), and :func:`hac_maxlags`, the truncation-lag rule
  ``floor(4 * (n / 100) ** (2 / 9))``;
- :func:`coef_table` (estimate, standard error, test, Wald interval of a
  statsmodels result) and :func:`acf1` (lag-1 autocorrelation of residuals);
- for the count model: :func:`nb_dispersion_mle` (maximum-likelihood NB2
  dispersion), :func:`overdispersion_test` (score test of the Poisson variance
  against NB2 overdispersion) and :func:`check_design` (enough months, no
  constant or collinear regressor).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.discrete.diagnostic import PoissonDiagnostic

from cftf_analysis.errors import AnalysisError, ArgumentError, DataValidationError
from cftf_analysis.options import (
    CaseFreq,
    SeasonalKind,
    check_fraction,
    check_int,
    check_literal,
)

__all__ = [
    "PERIOD_CODES",
    "PERIOD_WORDS",
    "acf1",
    "check_design",
    "check_nonnegative_counts",
    "check_positive_exposure",
    "coef_table",
    "glm_fit",
    "hac_maxlags",
    "lag_list",
    "lagged_design",
    "monthly_index",
    "nb_dispersion_mle",
    "overdispersion_test",
    "period_index",
    "seasonal_kind",
    "seasonal_terms",
]


def seasonal_kind(seasonal: Any) -> str | None:
    """The seasonal terms a ``seasonal`` argument asks for: None, dummies or harmonics."""
    if seasonal is False or seasonal is None:
        return None
    if seasonal is True:
        return "dummies"
    return check_literal(seasonal, SeasonalKind, "seasonal")


def lag_list(lags: int | Sequence[int]) -> list[int]:
    """Distinct non-negative integer lags as a list (one integer is a list of one)."""
    if isinstance(lags, int | np.integer) and not isinstance(lags, bool):
        lags = [int(lags)]
    out = list(lags)
    bad = [v for v in out if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0]
    if not out or bad or len(set(out)) != len(out):
        raise ArgumentError(f"lags must be distinct non-negative integers, got {lags!r}")
    return [int(v) for v in out]


def monthly_index(obj: pd.DataFrame | pd.Series, *, what: str) -> pd.PeriodIndex:
    """Monthly PeriodIndex from a ``month`` column, a DatetimeIndex or a PeriodIndex."""
    return period_index(obj, freq="MS", what=what)


#: Pandas period code of each analysis frequency (:data:`~cftf_analysis.options.CaseFreq`).
PERIOD_CODES: dict[str, str] = {"MS": "M", "QS": "Q"}
#: Words for one period of each analysis frequency, singular and plural.
PERIOD_WORDS: dict[str, tuple[str, str]] = {
    "MS": ("month", "months"),
    "QS": ("quarter", "quarters"),
}


def period_index(obj: pd.DataFrame | pd.Series, *, freq: CaseFreq, what: str) -> pd.PeriodIndex:
    """PeriodIndex of months (``freq="MS"``) or quarters (``"QS"``) of a series or panel.

    Read from a ``month`` column, a DatetimeIndex (each date's period) or a
    PeriodIndex; two rows in one period are an error naming the second row.

    Examples
    --------
    >>> s = pd.Series([1, 2], index=pd.to_datetime(["2020-01-01", "2020-04-01"]))
    >>> period_index(s, freq="QS", what="series").astype(str).tolist()
    ['2020Q1', '2020Q2']
    """
    check_literal(freq, CaseFreq, "freq")
    code = PERIOD_CODES[freq]
    word = PERIOD_WORDS[freq][0]
    if isinstance(obj, pd.DataFrame) and "month" in obj.columns:
        source: Any = obj["month"]
        if source.isna().any():
            row = int(np.flatnonzero(source.isna().to_numpy())[0]) + 1
            raise DataValidationError("missing month", file="<DataFrame>", row=row, column="month")
        source = pd.DatetimeIndex(pd.to_datetime(source))
    else:
        source = obj.index
    if isinstance(source, pd.PeriodIndex):
        periods = source.asfreq(code)
    elif isinstance(source, pd.DatetimeIndex):
        periods = source.to_period(code)
    else:
        raise ArgumentError(
            f"{what} needs a 'month' column, a DatetimeIndex or a PeriodIndex; "
            f"got {type(source).__name__}"
        )
    if periods.has_duplicates:
        dup = periods[periods.duplicated()][0]
        row = int(np.flatnonzero(periods == dup)[1]) + 1
        raise DataValidationError(
            f"duplicate {word} {dup}", file="<DataFrame>", row=row, column="month"
        )
    return pd.PeriodIndex(periods, freq=code)


def check_nonnegative_counts(values: pd.Series, column: str, months: pd.PeriodIndex) -> None:
    """Raise :class:`DataValidationError` at the first negative or non-numeric count."""
    num = pd.to_numeric(values, errors="coerce")
    bad = np.flatnonzero((num < 0).to_numpy() | (num.isna() & values.notna()).to_numpy())
    if bad.size:
        raise DataValidationError(
            f"counts must be non-negative numbers, got {values.iloc[bad[0]]!r} ({months[bad[0]]})",
            file="<DataFrame>",
            row=int(bad[0]) + 1,
            column=column,
        )


def check_positive_exposure(values: pd.Series, column: str, months: pd.PeriodIndex) -> None:
    """Raise :class:`DataValidationError` at the first exposure that is not a positive number."""
    num = pd.to_numeric(values, errors="coerce")
    bad = np.flatnonzero((num <= 0).to_numpy() | (num.isna() & values.notna()).to_numpy())
    if bad.size:
        raise DataValidationError(
            f"exposure must be positive (offset = log(exposure)), got {values.iloc[bad[0]]!r} "
            f"({months[bad[0]]})",
            file="<DataFrame>",
            row=int(bad[0]) + 1,
            column=column,
        )


def seasonal_terms(periods: pd.PeriodIndex, kind: str) -> pd.DataFrame:
    """Month-of-year dummies (January reference) or two 12-month harmonic pairs."""
    month = np.asarray(periods.month)
    if kind == "dummies":
        cols = {f"month_of_year_{m:02d}": (month == m).astype(float) for m in range(2, 13)}
    else:
        cols = {}
        for k in (1, 2):
            cols[f"sin{k}"] = np.sin(2 * np.pi * k * month / 12)
            cols[f"cos{k}"] = np.cos(2 * np.pi * k * month / 12)
    return pd.DataFrame(cols, index=periods)


def lagged_design(
    panel: pd.DataFrame,
    *,
    counts: str,
    covariates: list[str],
    lags: list[int],
    exposure: str | None,
    trend: bool,
    seasonal_kind: str | None,
) -> tuple[pd.DataFrame, pd.Series, pd.Series | None, pd.PeriodIndex]:
    """Design, counts and log-exposure offset on the complete monthly grid of ``panel``.

    Returns ``(design, y, offset, months)``: ``design`` has the columns
    ``intercept``, ``f"{covariate}_lag{lag}"``, ``trend`` (months since the first
    month, if ``trend``) and the seasonal terms, indexed by every month from the
    first to the last (lags are calendar months even when months are missing);
    ``y`` and ``offset`` (``None`` without exposure) are on the same grid;
    ``months`` are the months present in ``panel``, in its row order.
    """
    needed = [counts, *covariates] + ([exposure] if exposure is not None else [])
    months = monthly_index(panel, what="panel")
    data = panel[list(dict.fromkeys(needed))].copy()
    data.index = months
    check_nonnegative_counts(data[counts], counts, months)
    if exposure is not None:
        check_positive_exposure(data[exposure], exposure, months)
    data = data.sort_index()
    grid = pd.period_range(data.index.min(), data.index.max(), freq="M")
    data = data.reindex(grid)

    design = pd.DataFrame({"intercept": 1.0}, index=grid)
    for cov in covariates:
        values = pd.to_numeric(data[cov], errors="coerce").astype(float)
        for lag in lags:
            design[f"{cov}_lag{lag}"] = values.shift(lag)
    if trend:
        design["trend"] = np.arange(len(grid), dtype=float)
    if seasonal_kind is not None:
        design = design.join(seasonal_terms(grid, seasonal_kind))
    y = data[counts].astype(float)
    offset = np.log(data[exposure].astype(float)) if exposure is not None else None
    return design, y, offset, months


def glm_fit(y, X, fam, offset, cov_type, maxlags, dispersion) -> Any:
    """Fit a GLM with the package's covariance conventions."""
    model = sm.GLM(y, X, family=fam, offset=offset)
    scale = "X2" if dispersion == "pearson" else None
    if cov_type == "HAC":
        return model.fit(cov_type="HAC", cov_kwds={"maxlags": maxlags}, scale=scale)
    return model.fit(cov_type=cov_type, scale=scale)


def hac_maxlags(maxlags: int | None, n_obs: int) -> int:
    """The HAC truncation lag: ``maxlags``, or ``floor(4 * (n_obs / 100) ** (2 / 9))`` if None."""
    if maxlags is None:
        return math.floor(4 * (n_obs / 100) ** (2 / 9))
    return int(check_int(maxlags, "maxlags", minimum=0))


def coef_table(results: Any, conf_level: float) -> pd.DataFrame:
    """term, estimate, std_error, statistic, p_value, ci_low, ci_high from statsmodels."""
    check_fraction(conf_level, "conf_level")
    ci = np.asarray(results.conf_int(alpha=1 - conf_level))
    names = list(results.model.exog_names)
    return pd.DataFrame(
        {
            "term": names,
            "estimate": np.asarray(results.params, dtype=float),
            "std_error": np.asarray(results.bse, dtype=float),
            "statistic": np.asarray(results.tvalues, dtype=float),
            "p_value": np.asarray(results.pvalues, dtype=float),
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
        }
    )


def acf1(resid: np.ndarray) -> float:
    """Lag-1 autocorrelation of residuals (about zero mean)."""
    resid = resid - resid.mean()
    denom = float(np.sum(resid**2))
    return float(np.sum(resid[1:] * resid[:-1]) / denom) if denom > 0 else math.nan


def nb_dispersion_mle(y: pd.Series, X: pd.DataFrame, offset: np.ndarray | None) -> float:
    """Maximum-likelihood NB2 dispersion from statsmodels' discrete NegativeBinomial."""
    model = sm.NegativeBinomial(y, X, loglike_method="nb2", offset=offset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter near alpha = 0
        res = model.fit(disp=0, maxiter=500)
    alpha = float(np.asarray(res.params)[-1])
    if not np.isfinite(alpha) or not res.mle_retvals.get("converged", False):
        raise AnalysisError("fit_count_model: the negative-binomial ML fit did not converge")
    # alpha at the boundary (no overdispersion): keep a tiny positive value so the
    # GLM family is defined; the fit is then numerically the Poisson fit.
    return max(alpha, 1e-8)


def overdispersion_test(poisson_results: Any) -> tuple[float, float]:
    """Score test statistic for NB2 overdispersion and its one-sided p-value."""
    disp = PoissonDiagnostic(poisson_results).test_dispersion()
    row = list(disp.method).index("Dean B")
    stat = float(np.asarray(disp.statistic)[row])
    return stat, float(stats.norm.sf(stat))


def check_design(X: pd.DataFrame, y: pd.Series, counts: str) -> None:
    """Raise :class:`AnalysisError` unless the design has more months than coefficients,
    varying counts and no constant or collinear regressor."""
    if len(y) <= X.shape[1]:
        raise AnalysisError(
            f"fit_count_model: {len(y)} complete months for {X.shape[1]} coefficients; "
            "need more months than coefficients"
        )
    if np.allclose(y, y.iloc[0]):
        raise AnalysisError(f"fit_count_model: counts {counts!r} are constant ({y.iloc[0]})")
    constant = [c for c in X.columns if c != "intercept" and np.ptp(X[c].to_numpy()) == 0]
    if constant:
        raise AnalysisError(f"fit_count_model: regressors are constant in the sample: {constant}")
    if np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        raise AnalysisError(f"fit_count_model: collinear regressors among {list(X.columns)}")
