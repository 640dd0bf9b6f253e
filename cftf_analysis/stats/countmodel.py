"""Poisson and negative-binomial regression of monthly counts on lagged covariates.

:func:`fit_count_model` fits a log-link GLM (statsmodels) of a monthly count
column on lagged covariates, with an optional exposure offset, a linear trend
and optional seasonal terms, and returns a :class:`CountModelResult` that keeps
the statsmodels results and turns them into tidy tables.

Its helpers (monthly index, data checks, lags, seasonal terms, the lagged
design, GLM fitting, coefficient table, overdispersion test) are in
:mod:`cftf_analysis.stats.glm`, shared with :mod:`cftf_analysis.stats.interrupted`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.options import (
    CovType,
    Dispersion,
    Family,
    Seasonal,
    check_columns,
    check_literal,
)
from cftf_analysis.stats.glm import (
    acf1,
    check_design,
    coef_table,
    glm_fit,
    hac_maxlags,
    lag_list,
    lagged_design,
    nb_dispersion_mle,
    overdispersion_test,
    seasonal_kind,
)

__all__ = ["FIT_STATS_COLUMNS", "TIDY_COLUMNS", "CountModelResult", "fit_count_model"]

#: Columns of :meth:`CountModelResult.tidy`, in order.
TIDY_COLUMNS: list[str] = [
    "term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high",
    "irr", "irr_low", "irr_high", "n_obs",
]  # fmt: skip
#: Columns of :meth:`CountModelResult.fit_stats`, in order.
FIT_STATS_COLUMNS: list[str] = [
    "n_obs", "n_dropped", "df_resid", "deviance", "pearson_chi2", "pearson_chi2_df", "aic",
    "overdispersion_statistic", "overdispersion_p_value", "nb_dispersion", "scale",
    "residual_acf1",
    "family", "cov_type", "maxlags",
]  # fmt: skip


@dataclass(frozen=True, eq=False)
class CountModelResult:
    """A fitted count model: the statsmodels results plus tidy views.

    Attributes
    ----------
    results
        The statsmodels ``GLMResults`` (``results.summary()`` works).
    family, cov_type, maxlags
        The options used (``maxlags`` is ``None`` unless ``cov_type="HAC"``).
    nb_dispersion
        Negative-binomial dispersion (NB2: ``var = mu + nb_dispersion * mu**2``);
        NaN for Poisson. ``alpha`` is its deprecated spelling.
    n_obs, n_dropped
        Months used in the fit, and panel rows left out (missing values, lagging).
    months
        The months used, as a :class:`pandas.DatetimeIndex` (month starts).
    overdispersion_statistic, overdispersion_p_value
        Score test of the Poisson variance assumption against negative-binomial
        overdispersion (see :func:`fit_count_model`, Notes).
    """

    results: Any
    family: str
    cov_type: str
    maxlags: int | None
    nb_dispersion: float
    n_obs: int
    n_dropped: int
    months: pd.DatetimeIndex
    overdispersion_statistic: float
    overdispersion_p_value: float

    @property
    def alpha(self) -> float:
        """Deprecated spelling of :attr:`nb_dispersion`."""
        warnings.warn(
            "CountModelResult.alpha is deprecated; use nb_dispersion",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.nb_dispersion

    def summary(self) -> Any:
        """Return the statsmodels summary of the fit."""
        return self.results.summary()

    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
        """One row per term: estimate (log scale), standard error, test, CI and IRR.

        Columns are :data:`TIDY_COLUMNS`: ``term``; ``estimate`` (log-rate
        coefficient); ``std_error`` (of the chosen ``cov_type``); ``statistic``
        (z = estimate / std_error); ``p_value`` (two-sided, normal); ``ci_low``,
        ``ci_high`` (Wald interval at ``conf_level``); ``irr``, ``irr_low``,
        ``irr_high`` (exp of estimate and of the interval: incidence-rate
        ratios); ``n_obs``.
        """
        table = coef_table(self.results, conf_level)
        table["irr"] = np.exp(table["estimate"])
        table["irr_low"] = np.exp(table["ci_low"])
        table["irr_high"] = np.exp(table["ci_high"])
        table["n_obs"] = self.n_obs
        return table[TIDY_COLUMNS]

    def fit_stats(self) -> pd.DataFrame:
        """One row of fit statistics; columns are :data:`FIT_STATS_COLUMNS`.

        ``deviance`` and ``pearson_chi2`` come from the GLM; ``pearson_chi2_df``
        is ``pearson_chi2 / df_resid`` (the quasi-Poisson dispersion estimate);
        ``aic`` uses the log-likelihood at dispersion 1 and counts
        ``nb_dispersion`` as a parameter for the negative binomial;
        ``nb_dispersion`` is NaN for Poisson; ``scale`` is the dispersion used for the
        standard errors (1, or ``pearson_chi2_df`` with ``dispersion="pearson"``);
        ``residual_acf1`` is the lag-1 autocorrelation of the Pearson residuals
        over consecutive fitted months (a check on the independence the
        standard errors other than HAC assume); ``maxlags`` is NaN unless HAC.
        """
        res = self.results
        n_params = len(res.params) + (1 if self.family == "negative_binomial" else 0)
        # log-likelihood at dispersion 1 (res.llf is divided by a Pearson scale)
        llf = res.model.family.loglike(res.model.endog, res.mu, scale=1.0)
        row = {
            "n_obs": self.n_obs,
            "n_dropped": self.n_dropped,
            "df_resid": float(res.df_resid),
            "deviance": float(res.deviance),
            "pearson_chi2": float(res.pearson_chi2),
            "pearson_chi2_df": float(res.pearson_chi2 / res.df_resid),
            "aic": float(-2.0 * llf + 2.0 * n_params),
            "overdispersion_statistic": self.overdispersion_statistic,
            "overdispersion_p_value": self.overdispersion_p_value,
            "nb_dispersion": self.nb_dispersion,
            "scale": float(res.scale),
            "residual_acf1": acf1(np.asarray(res.resid_pearson, dtype=float)),
            "family": self.family,
            "cov_type": self.cov_type,
            "maxlags": np.nan if self.maxlags is None else float(self.maxlags),
        }
        return pd.DataFrame([row], columns=FIT_STATS_COLUMNS)

    def predict(self) -> pd.Series:
        """Fitted expected counts for the months used (offset included).

        The exposure offset of each month is passed to statsmodels explicitly,
        so the values are counts, not rates.
        """
        mu = self.results.model.predict(self.results.params, offset=self.results.model.offset)
        return pd.Series(np.asarray(mu), index=self.months, name="expected_count")


def fit_count_model(
    panel: pd.DataFrame,
    *,
    counts: str,
    covariates: Sequence[str],
    lags: Sequence[int] = (0,),
    exposure: str | None = None,
    family: Family = "poisson",
    trend: bool = True,
    seasonal: Seasonal = False,
    cov_type: CovType = "nonrobust",
    maxlags: int | None = None,
    dispersion: Dispersion = "pearson",
) -> CountModelResult:
    """Regress monthly counts on lagged covariates with a log-link GLM.

    Parameters
    ----------
    panel
        One row per month. The month comes from a ``month`` column (Timestamps)
        if there is one, else from a DatetimeIndex or monthly PeriodIndex.
    counts
        Column of non-negative counts (fractional values allowed, see Notes).
    covariates
        Columns used as regressors; each enters once per lag in ``lags``.
    lags
        Non-negative lags in months applied to every covariate. Term names are
        ``f"{covariate}_lag{lag}"``, e.g. ``revenue_total_lag3``.
    exposure
        Optional column of positive values (e.g. total news coverage); the model
        uses ``offset = log(exposure)`` so coefficients describe rates per unit
        of exposure.
    family
        ``"poisson"`` or ``"negative_binomial"`` (NB2, ``nb_dispersion`` by
        maximum likelihood, see Notes).
    trend
        Add a linear trend ``trend`` (months since the first month of ``panel``).
    seasonal
        ``False`` (none), ``True`` or ``"dummies"`` (month-of-year dummies
        ``month_of_year_02`` ... ``month_of_year_12``, January is the reference),
        or ``"harmonics"`` (``sin1, cos1, sin2, cos2``: two sine/cosine pairs
        with a 12-month period).
    cov_type
        ``"nonrobust"`` (model-based, the default), ``"HAC"`` (Newey-West,
        Bartlett kernel) or ``"HC0"`` (sandwich). See Notes on the choice.
    maxlags
        HAC truncation lag; default ``floor(4 * (n_obs / 100) ** (2 / 9))``.
    dispersion
        ``"pearson"`` (default; quasi-likelihood: statsmodels
        ``fit(scale="X2")``, standard errors multiplied by
        ``sqrt(pearson_chi2 / df_resid)``) or ``"fixed"`` (dispersion 1, the
        textbook Poisson errors). Only changes ``"nonrobust"`` standard errors;
        the sandwich estimators do not use the scale.

    Returns
    -------
    CountModelResult
        ``.results`` (statsmodels), ``.summary()``, ``.tidy()``
        (:data:`TIDY_COLUMNS`), ``.fit_stats()`` (:data:`FIT_STATS_COLUMNS`)
        and ``.predict()`` (fitted expected counts by month).

    Raises
    ------
    ArgumentError
        Unknown option value or column name, bad ``lags``.
    DataValidationError
        Duplicate months, negative counts, non-positive exposure.
    AnalysisError
        Too few complete months, constant counts, or a constant / collinear
        regressor.

    Notes
    -----
    Model: ``log E[y_t] = log(exposure_t) + b0 + sum_{j,l} b_{j,l} x_{j,t-l}
    + c * trend_t + seasonal_t``. The panel is first put on a complete monthly
    grid, so lags are calendar months even when months are missing. Rows with a
    missing count, covariate, lagged covariate or exposure are dropped with a
    warning; their number is ``n_dropped`` (panel rows not used).

    *Fractional counts.* Reports whose dates span several months are spread
    over them, so monthly counts can be fractional. The Poisson score equations
    ``X'(y - mu) = 0`` only need ``E[y] = mu``, so the estimates are consistent
    quasi-likelihood estimates for non-integer ``y`` as well, and HAC / HC0
    standard errors stay valid without a Poisson variance; the default
    quasi-Poisson errors (``cov_type="nonrobust", dispersion="pearson"``) only
    assume ``var(y) = phi * mu``. The log-likelihood and AIC use the gamma-function
    extension of ``log(y!)`` and are only descriptive for fractional counts.

    *Offset.* The offset is passed as ``offset=np.log(exposure)``, never
    through statsmodels' ``exposure=`` argument, and :meth:`CountModelResult.predict`
    passes it explicitly: statsmodels' ``GLM.predict`` drops the fit's
    offset/exposure when it is given new ``exog`` (statsmodels PR #1679, issue
    #1486), a classic source of predictions on the rate scale.

    *Negative binomial.* The dispersion ``nb_dispersion`` is estimated jointly
    with the coefficients by maximum likelihood
    (``statsmodels.discrete.discrete_model.NegativeBinomial``, NB2); the GLM is
    then refitted with ``family=NegativeBinomial(nb_dispersion)`` so that GLM
    deviance, residuals and robust covariances are available. At the MLE of the
    dispersion the GLM coefficients equal the joint MLE; the standard errors
    treat it as known.

    *Overdispersion test.* The score (LM) test of ``alpha = 0`` against NB2
    overdispersion, ``T = sum((y - mu)^2 - y) / sqrt(2 * sum(mu^2))`` (Dean &
    Lawless 1989; Dean 1992; Cameron & Trivedi 1990, 2013 section 3.4),
    computed from a Poisson fit with the same design (so it also tells whether
    the negative binomial is needed): statsmodels'
    ``PoissonDiagnostic(...).test_dispersion()`` row ``"Dean B"``, with a
    one-sided p-value ``P(Z > T)`` (H1: ``var = mu + alpha * mu**2``,
    ``alpha > 0``). It assumes independent months. It is chosen over the
    Cameron-Trivedi auxiliary-regression t test (statsmodels row ``"CT nb2"``)
    because, in a check on 1000 simulated Poisson samples of 48 months, the
    latter's two-sided p-value rejected 12% and its one-sided p-value 1.4% at
    the 5% level; the one-sided score test rejected 3.8% of 2000 such samples
    in the calibration (``validation/results/count_cp_its.md``).

    *Standard errors.* The default is quasi-Poisson (Pearson-scaled
    model-based) errors, because HAC (Newey-West) errors are anti-conservative
    in series as short as this project's (about 48 months): in the calibration
    (``validation/results/count_cp_its.md``) a null covariate is rejected at
    the 5% level in 11% of simulated 48-month series with HAC against 4.5%
    with the quasi-Poisson errors (7% against 12% with autocorrelated noise).
    Neither corrects strong residual autocorrelation; check ``residual_acf1``
    in :meth:`CountModelResult.fit_stats`.
    HAC uses ``maxlags = floor(4 * (n / 100) ** (2 / 9))`` by default (Newey &
    West 1994 rule of thumb; 3 for 48 months), the Bartlett kernel, no
    small-sample correction and the normal reference distribution (statsmodels
    defaults for GLM), so it equals ``sm.GLM(...).fit(cov_type="HAC",
    cov_kwds={"maxlags": maxlags})``.

    References
    ----------
    Cameron, A. C. & Trivedi, P. K. (1990). Regression-based tests for
    overdispersion in the Poisson model. Journal of Econometrics 46, 347-364.
    Cameron, A. C. & Trivedi, P. K. (2013). Regression Analysis of Count Data,
    2nd ed., Cambridge University Press.
    Dean, C. B. (1992). Testing for overdispersion in Poisson and binomial
    regression models. JASA 87, 451-457.
    Newey, W. K. & West, K. D. (1994). Automatic lag selection in covariance
    matrix estimation. Review of Economic Studies 61, 631-653.
    McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> months = pd.date_range("2014-01-01", periods=48, freq="MS")
    >>> coverage = rng.uniform(500, 1500, 48)
    >>> revenue = rng.normal(0, 1, 48)
    >>> rate = np.exp(-3.0 - 0.4 * np.roll(revenue, 1))
    >>> panel = pd.DataFrame({"month": months, "revenue_total": revenue,
    ...                       "coverage": coverage,
    ...                       "n_reports": rng.poisson(coverage * rate)})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the first month is lost to the lag
    ...     fit = fit_count_model(panel, counts="n_reports", covariates=["revenue_total"],
    ...                           lags=[1], exposure="coverage", trend=False)
    >>> fit.tidy()[["term", "estimate", "irr"]].round(1)
                    term  estimate  irr
    0          intercept      -3.0  0.1
    1  revenue_total_lag1      -0.4  0.7
    >>> fit.fit_stats()[["n_obs", "n_dropped", "family", "cov_type"]]
       n_obs  n_dropped   family   cov_type
    0     47          1  poisson  nonrobust

    On the bundled data, with territory in units of 10,000 km2:

    >>> import cftf_analysis as cftf
    >>> panel = cftf.monthly_panel(cftf.load_reports(), cftf.load_indicators())
    >>> window = panel[panel["territory"].notna()]
    >>> window = window.assign(territory_10k_km2=window["territory"] / 1e4)
    >>> res = fit_count_model(window, counts="n_reports", covariates=["territory_10k_km2"])
    >>> res.tidy()["term"].tolist(), int(res.fit_stats()["n_obs"].iloc[0])
    (['intercept', 'territory_10k_km2_lag0', 'trend'], 30)
    """
    check_literal(family, Family, "family")
    check_literal(cov_type, CovType, "cov_type")
    check_literal(dispersion, Dispersion, "dispersion")
    seasonal_choice = seasonal_kind(seasonal)
    if not isinstance(panel, pd.DataFrame):
        raise ArgumentError(f"panel must be a pandas DataFrame, got {type(panel).__name__}")
    covariates = check_columns(panel, covariates, "covariates")
    if not covariates:
        raise ArgumentError("covariates must name at least one column")
    lags_used = lag_list(lags)
    check_columns(
        panel, [counts] + ([exposure] if exposure is not None else []), "counts/exposure"
    )

    design, y, offset, months = lagged_design(
        panel,
        counts=counts,
        covariates=covariates,
        lags=lags_used,
        exposure=exposure,
        trend=trend,
        seasonal_kind=seasonal_choice,
    )

    complete = design.notna().all(axis=1) & y.notna()
    if offset is not None:
        complete &= offset.notna()
    complete &= pd.Series(design.index.isin(months), index=design.index)
    n_obs = int(complete.sum())
    n_dropped = len(panel) - n_obs
    if n_obs == 0:
        raise AnalysisError(
            f"fit_count_model: no complete month in the panel ({counts!r}, "
            "covariates, lags and exposure all considered)"
        )
    if n_dropped > 0:
        warnings.warn(
            f"fit_count_model dropped {n_dropped} of {len(panel)} panel rows with missing "
            f"counts, covariates, exposure or lagged values (max lag {max(lags_used)})",
            stacklevel=2,
        )
    X, yv = design[complete], y[complete]
    off = None if offset is None else offset[complete].to_numpy()
    check_design(X, yv, counts)

    maxlag_used = hac_maxlags(maxlags, n_obs) if cov_type == "HAC" else None
    nb_dispersion = math.nan
    if family == "negative_binomial":
        nb_dispersion = nb_dispersion_mle(yv, X, off)
        fam = sm.families.NegativeBinomial(alpha=nb_dispersion)
    else:
        fam = sm.families.Poisson()
    results = glm_fit(yv, X, fam, off, cov_type, maxlag_used, dispersion)
    poisson_res = (
        results
        if family == "poisson"
        else glm_fit(yv, X, sm.families.Poisson(), off, "nonrobust", None, "fixed")
    )
    od_stat, od_p = overdispersion_test(poisson_res)
    return CountModelResult(
        results=results,
        family=family,
        cov_type=cov_type,
        maxlags=maxlag_used,
        nb_dispersion=nb_dispersion,
        n_obs=n_obs,
        n_dropped=n_dropped,
        months=X.index.to_timestamp().rename("month"),
        overdispersion_statistic=od_stat,
        overdispersion_p_value=od_p,
    )
