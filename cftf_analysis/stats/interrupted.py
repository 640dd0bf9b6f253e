"""Interrupted time series (segmented regression) for one dated event."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.options import (
    CovType,
    Dispersion,
    ItsFamily,
    Seasonal,
    check_int,
    check_literal,
)
from cftf_analysis.stats.glm import (
    acf1,
    check_nonnegative_counts,
    check_positive_exposure,
    coef_table,
    glm_fit,
    hac_maxlags,
    monthly_index,
    seasonal_kind,
    seasonal_terms,
)

__all__ = ["ITS_COLUMNS", "MIN_POINTS_PER_SIDE", "event_effect"]

#: Columns of :func:`event_effect`, in order.
ITS_COLUMNS: list[str] = [
    "term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high",
    "ratio", "ratio_low", "ratio_high", "n_obs", "n_pre", "n_post", "event_date",
    "family", "method", "residual_acf1",
]  # fmt: skip
#: Fewest non-missing months required on each side of the event.
MIN_POINTS_PER_SIDE = 3
_TERMS = {"time": "pre_trend", "post": "level_change", "time_since_event": "slope_change"}


def event_effect(
    series: pd.Series,
    *,
    date: pd.Timestamp | pd.Period | str,
    family: ItsFamily = "poisson",
    window: int | None = None,
    exposure: pd.Series | None = None,
    cov_type: CovType = "nonrobust",
    maxlags: int | None = None,
    slope_change: bool = True,
    seasonal: Seasonal = False,
    dispersion: Dispersion = "pearson",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Estimate the level and slope change of a monthly series at one event.

    Parameters
    ----------
    series
        Monthly values with a DatetimeIndex or a monthly PeriodIndex. Counts
        (non-negative, fractional allowed) for ``family="poisson"``.
    date
        The event (Timestamp, Period or string such as ``"2016-03"``). Its
        month is the first post-event month.
    family
        ``"poisson"`` (log-link GLM; effects are rate ratios) or ``"gaussian"``
        (OLS; effects in the units of ``series``).
    window
        Keep ``window`` months before the event month and ``window`` months
        from it on (the event month included); ``None`` keeps everything.
    exposure
        Optional positive Series on the same index (Poisson only), used as
        ``offset = log(exposure)``.
    cov_type, maxlags
        ``"nonrobust"`` (default: quasi-Poisson or classical OLS errors),
        ``"HAC"`` (Newey-West, default ``maxlags = floor(4 * (n / 100) ** (2 / 9))``)
        or ``"HC0"``. See Notes before choosing HAC.
    slope_change
        Include the change in slope (``time_since_event``); ``False`` fits the
        step-change model.
    seasonal
        ``False``, ``True``/``"dummies"`` (month-of-year dummies) or
        ``"harmonics"`` (two 12-month sine/cosine pairs).
    dispersion
        ``"pearson"`` (default; quasi-Poisson: Pearson-scaled model-based
        errors) or ``"fixed"`` (Poisson errors). Only affects
        ``cov_type="nonrobust"`` with ``family="poisson"``.
    conf_level
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ITS_COLUMNS`, one row per term: ``pre_trend`` (slope per
        month before the event), ``level_change`` (jump at the event month) and,
        if ``slope_change``, ``slope_change`` (change in slope per month after
        the event). ``estimate``, ``std_error``, ``statistic`` (z for Poisson,
        t for Gaussian), ``p_value`` (two-sided), ``ci_low``/``ci_high``;
        ``ratio``/``ratio_low``/``ratio_high`` are ``exp`` of estimate and
        interval (rate ratios, per month for the slopes) for Poisson and NaN
        for Gaussian; ``n_obs``, ``n_pre``, ``n_post`` months used;
        ``event_date`` (Timestamp of the event month start); ``family``;
        ``method`` (model and covariance in words); ``residual_acf1`` (lag-1
        autocorrelation of the Pearson residuals: values far from 0 mean the
        standard errors are too small).

    Raises
    ------
    ArgumentError
        Unknown option, ``exposure`` with ``family="gaussian"``, bad ``window``.
    DataValidationError
        Duplicate months, negative counts, non-positive exposure.
    AnalysisError
        Fewer than :data:`MIN_POINTS_PER_SIDE` months on either side, or a
        constant series.

    Notes
    -----
    Segmented regression (Wagner et al. 2002; Lopez Bernal et al. 2017):
    ``g(E[y_t]) = b0 + b1 * time_t + b2 * post_t + b3 * time_since_event_t``
    with ``time_t`` the months since the first month kept, ``post_t = 1`` from
    the event month on and ``time_since_event_t = (t - t_event) * post_t``
    (0 in the event month). ``b2`` is the jump at the event month relative to
    the extrapolated pre-event line, ``b3`` the change in slope. ``g`` is the
    log link (Poisson GLM, normal reference distribution) or the identity (OLS,
    t reference distribution with ``df_resid``, also for HAC). The series is put
    on a complete monthly grid; missing months are dropped with a warning, so
    HAC lags run over the rows kept.

    *Standard errors.* HAC errors are badly anti-conservative for segmented
    regression on short series because ``post`` and ``time_since_event`` are
    very persistent regressors: in the calibration
    (``validation/results/count_cp_its.md``, 48 months, event in the middle)
    a null level change is rejected at the 5% level in about 14% of white-noise
    series with HAC against about 5% with the default errors. No choice here
    corrects autocorrelated errors; with ``residual_acf1`` well above 0 treat
    the p-values as too small (Lopez Bernal et al. 2017 discuss modelling the
    autocorrelation).

    References
    ----------
    Lopez Bernal, J., Cummins, S. & Gasparrini, A. (2017). Interrupted time
    series regression for the evaluation of public health interventions: a
    tutorial. International Journal of Epidemiology 46(1), 348-355.
    Wagner, A. K. et al. (2002). Segmented regression analysis of interrupted
    time series studies in medication use research. J Clin Pharm Ther 27, 299-309.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> months = pd.date_range("2014-01-01", periods=48, freq="MS")
    >>> t = np.arange(48)
    >>> mu = np.exp(np.log(400) + 0.01 * t - 0.5 * (t >= 24))
    >>> y = pd.Series(rng.poisson(mu), index=months)
    >>> out = event_effect(y, date="2016-01", slope_change=False)
    >>> out[["term", "ratio", "n_pre", "n_post"]].round(2)
               term  ratio  n_pre  n_post
    0     pre_trend   1.01     24      24
    1  level_change   0.59     24      24
    >>> bool(out.loc[1, "ratio_low"] < np.exp(-0.5) < out.loc[1, "ratio_high"])
    True
    >>> list(out.columns) == ITS_COLUMNS
    True

    On the bundled data, for the October 2015 strikes on oil infrastructure:

    >>> import cftf_analysis as cftf
    >>> panel = cftf.monthly_panel(cftf.load_reports(), cftf.load_indicators())
    >>> its = event_effect(panel.set_index("month")["n_reports"], date="2015-10", window=12)
    >>> its["term"].tolist(), int(its["n_pre"].iloc[0]), int(its["n_post"].iloc[0])
    (['pre_trend', 'level_change', 'slope_change'], 12, 12)
    """
    check_literal(family, ItsFamily, "family")
    check_literal(cov_type, CovType, "cov_type")
    check_literal(dispersion, Dispersion, "dispersion")
    seasonal_choice = seasonal_kind(seasonal)
    if not isinstance(series, pd.Series):
        raise ArgumentError(f"series must be a pandas Series, got {type(series).__name__}")
    if exposure is not None and family != "poisson":
        raise ArgumentError("exposure is only used with family='poisson'")
    event = _event_period(date)

    periods = monthly_index(series, what="series")
    y = pd.Series(pd.to_numeric(series.to_numpy(), errors="coerce"), index=periods, dtype=float)
    if family == "poisson":
        check_nonnegative_counts(series.set_axis(periods), str(series.name or "series"), periods)
    offset = None
    if exposure is not None:
        expo = _aligned_exposure(exposure, series, periods)
        check_positive_exposure(expo, str(expo.name or "exposure"), periods)
        offset = np.log(expo.astype(float))
    grid = pd.period_range(periods.min(), periods.max(), freq="M")
    y = y.sort_index().reindex(grid)
    if offset is not None:
        offset = offset.sort_index().reindex(grid)
    if window is not None:
        check_int(window, "window", minimum=1, allow_none=True)
        keep = (grid >= event - int(window)) & (grid <= event + int(window) - 1)
        grid, y = grid[keep], y[keep]
        offset = None if offset is None else offset[keep]

    ordinal = np.asarray(grid.asi8, dtype=float) if len(grid) else np.array([], dtype=float)
    time = ordinal - ordinal.min() if len(grid) else ordinal
    post = (grid >= event).astype(float)
    design = pd.DataFrame({"const": 1.0, "time": time, "post": post}, index=grid)
    if slope_change:
        design["time_since_event"] = (ordinal - event.ordinal) * post
    if seasonal_choice is not None:
        design = design.join(seasonal_terms(grid, seasonal_choice))
    complete = y.notna() & design.notna().all(axis=1)
    if offset is not None:
        complete &= offset.notna()
    n_missing = int((~complete).sum())
    if n_missing:
        warnings.warn(
            f"event_effect dropped {n_missing} month(s) with missing values", stacklevel=2
        )
    X, yv = design[complete], y[complete]
    n_pre, n_post = int((X["post"] == 0).sum()), int((X["post"] == 1).sum())
    if min(n_pre, n_post) < MIN_POINTS_PER_SIDE:
        raise AnalysisError(
            f"event_effect needs at least {MIN_POINTS_PER_SIDE} non-missing months on each "
            f"side of {event}; got {n_pre} before and {n_post} from it on"
        )
    if np.ptp(yv.to_numpy()) == 0:
        raise AnalysisError(f"event_effect: the series is constant ({yv.iloc[0]})")
    if len(yv) <= X.shape[1]:
        raise AnalysisError(f"event_effect: {len(yv)} months for {X.shape[1]} coefficients")

    maxlag_used = hac_maxlags(maxlags, len(yv)) if cov_type == "HAC" else None
    results = _fit(
        yv,
        X,
        family,
        None if offset is None else offset[complete].to_numpy(),
        cov_type,
        maxlag_used,
        dispersion,
    )
    table = coef_table(results, conf_level)
    table = table[table["term"].isin(_TERMS)].copy()
    table["term"] = table["term"].map(_TERMS)
    exp_ok = family == "poisson"
    for col, src in (("ratio", "estimate"), ("ratio_low", "ci_low"), ("ratio_high", "ci_high")):
        table[col] = np.exp(table[src]) if exp_ok else np.nan
    table["n_obs"], table["n_pre"], table["n_post"] = len(yv), n_pre, n_post
    table["event_date"] = event.to_timestamp()
    table["family"] = family
    resid = results.resid_pearson if family == "poisson" else results.resid
    table["residual_acf1"] = acf1(np.asarray(resid, dtype=float))
    table["method"] = _method(
        family, offset is not None, cov_type, maxlag_used, dispersion, seasonal_choice
    )
    return table[ITS_COLUMNS].reset_index(drop=True)


def _fit(y, X, family, offset, cov_type, maxlags, dispersion) -> Any:
    if family == "poisson":
        return glm_fit(y, X, sm.families.Poisson(), offset, cov_type, maxlags, dispersion)
    model = sm.OLS(y, X)
    if cov_type == "HAC":
        return model.fit(cov_type="HAC", cov_kwds={"maxlags": maxlags}, use_t=True)
    return model.fit(cov_type=cov_type, use_t=True)


def _method(family, has_offset, cov_type, maxlags, dispersion, seasonal) -> str:
    if family == "poisson":
        text = "segmented Poisson GLM (log link)"
        text += ", offset log(exposure)" if has_offset else ""
        text += ", quasi-Poisson scale" if dispersion == "pearson" else ""
    else:
        text = "segmented OLS"
    text += f", {seasonal} seasonality" if seasonal else ""
    cov = f"HAC({maxlags} lags)" if cov_type == "HAC" else cov_type
    return f"{text}; {cov} standard errors"


def _event_period(date: Any) -> pd.Period:
    try:
        if isinstance(date, pd.Period):
            return date.asfreq("M")
        return pd.Period(pd.Timestamp(date), freq="M")
    except (ValueError, TypeError) as exc:
        raise ArgumentError(f"date={date!r} is not a date") from exc


def _aligned_exposure(exposure: Any, series: pd.Series, periods: pd.PeriodIndex) -> pd.Series:
    if isinstance(exposure, pd.Series):
        expo_periods = monthly_index(exposure, what="exposure")
        values = pd.Series(exposure.to_numpy(), index=expo_periods, name=exposure.name)
        return values.reindex(periods)
    values = np.asarray(exposure)
    if values.shape != (len(series),):
        raise ArgumentError(
            f"exposure must be a Series or have the series' length {len(series)}, "
            f"got shape {values.shape}"
        )
    return pd.Series(values, index=periods, name="exposure")
