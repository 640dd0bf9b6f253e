"""GLM fitting helpers shared by the count model and the interrupted time series.

Used by :mod:`cftf_analysis.stats.countmodel` and
:mod:`cftf_analysis.stats.interrupted` (not public API):

- :func:`_glm_fit`: a statsmodels GLM fit with the package's covariance
  conventions (HAC with ``maxlags``, HC0 or model-based; Pearson or fixed scale),
  and :func:`_resolve_maxlags`, the HAC truncation-lag rule
  ``floor(4 * (n / 100) ** (2 / 9))``;
- :func:`_coef_table`: the coefficient table (estimate, standard error, test,
  Wald interval) of a statsmodels result;
- :func:`_acf1`: the lag-1 autocorrelation of residuals;
- for :func:`~cftf_analysis.stats.countmodel.fit_count_model` only:
  :func:`_nb_alpha` (maximum-likelihood NB2 ``alpha``), :func:`_overdispersion`
  (score test of the Poisson variance against NB2 overdispersion) and
  :func:`_check_design` (enough months, no constant or collinear regressor).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.discrete.diagnostic import PoissonDiagnostic

from cftf_analysis.errors import AnalysisError, ArgumentError


def _glm_fit(y, X, fam, offset, cov_type, maxlags, dispersion) -> Any:
    """Fit a GLM with the package's covariance conventions."""
    model = sm.GLM(y, X, family=fam, offset=offset)
    scale = "X2" if dispersion == "pearson" else None
    if cov_type == "HAC":
        return model.fit(cov_type="HAC", cov_kwds={"maxlags": maxlags}, scale=scale)
    return model.fit(cov_type=cov_type, scale=scale)


def _resolve_maxlags(maxlags: int | None, n_obs: int) -> int:
    if maxlags is None:
        return math.floor(4 * (n_obs / 100) ** (2 / 9))
    if isinstance(maxlags, bool) or not isinstance(maxlags, int | np.integer) or maxlags < 0:
        raise ArgumentError(f"maxlags must be a non-negative integer or None, got {maxlags!r}")
    return int(maxlags)


def _coef_table(results: Any, conf_level: float) -> pd.DataFrame:
    """term, estimate, std_error, statistic, p_value, ci_low, ci_high from statsmodels."""
    if not 0 < conf_level < 1:
        raise ArgumentError(f"conf_level must be in (0, 1), got {conf_level!r}")
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


def _acf1(resid: np.ndarray) -> float:
    """Lag-1 autocorrelation of residuals (about zero mean)."""
    resid = resid - resid.mean()
    denom = float(np.sum(resid**2))
    return float(np.sum(resid[1:] * resid[:-1]) / denom) if denom > 0 else math.nan


def _nb_alpha(y: pd.Series, X: pd.DataFrame, offset: np.ndarray | None) -> float:
    """Maximum-likelihood NB2 ``alpha`` from statsmodels' discrete NegativeBinomial."""
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


def _overdispersion(poisson_results: Any) -> tuple[float, float]:
    """Score test statistic for NB2 overdispersion and its one-sided p-value."""
    disp = PoissonDiagnostic(poisson_results).test_dispersion()
    row = list(disp.method).index("Dean B")
    stat = float(np.asarray(disp.statistic)[row])
    return stat, float(stats.norm.sf(stat))


def _check_design(X: pd.DataFrame, y: pd.Series, counts: str) -> None:
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
