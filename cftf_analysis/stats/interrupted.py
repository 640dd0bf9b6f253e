"""Interrupted time series (segmented regression) at dated events.

:func:`event_effect` estimates the level and slope change at one event;
:func:`level_changes` estimates a level change at each of several events in one
model, so that a competing explanation (an offensive beside a sanction) gets a
term of its own. Both run on months or quarters (``freq``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.options import (
    CaseFreq,
    CovType,
    Dispersion,
    ItsFamily,
    Seasonal,
    check_fraction,
    check_int,
    check_literal,
)
from cftf_analysis.stats.glm import (
    PERIOD_CODES,
    PERIOD_WORDS,
    acf1,
    check_nonnegative_counts,
    check_positive_exposure,
    coef_table,
    glm_fit,
    hac_maxlags,
    period_index,
    seasonal_kind,
    seasonal_terms,
)

__all__ = [
    "ITS_COLUMNS",
    "LEVEL_CHANGE_COLUMNS",
    "MIN_POINTS_PER_SIDE",
    "event_effect",
    "level_changes",
    "step_design",
]

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
    freq: CaseFreq = "MS",
) -> pd.DataFrame:
    """Estimate the level and slope change of a monthly (or quarterly) series at one event.

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
    freq
        ``"MS"`` (default: months) or ``"QS"`` (quarters): the period of
        ``series``, of ``window`` and of the slopes. With quarters the index is
        read as quarters (a DatetimeIndex of quarter starts, or a quarterly
        PeriodIndex), the event's quarter is the first post-event period and
        ``seasonal`` must be False.

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
    check_literal(freq, CaseFreq, "freq")
    seasonal_choice = seasonal_kind(seasonal)
    if seasonal_choice is not None and freq != "MS":
        raise ArgumentError("seasonal terms are month-of-year terms: use them with freq='MS'")
    if not isinstance(series, pd.Series):
        raise ArgumentError(f"series must be a pandas Series, got {type(series).__name__}")
    if exposure is not None and family != "poisson":
        raise ArgumentError("exposure is only used with family='poisson'")
    event = _event_period(date, freq)
    word, words = PERIOD_WORDS[freq]

    periods = period_index(series, freq=freq, what="series")
    y = pd.Series(pd.to_numeric(series.to_numpy(), errors="coerce"), index=periods, dtype=float)
    if family == "poisson":
        check_nonnegative_counts(series.set_axis(periods), str(series.name or "series"), periods)
    offset = None
    if exposure is not None:
        expo = _aligned_exposure(exposure, series, periods, freq)
        check_positive_exposure(expo, str(expo.name or "exposure"), periods)
        offset = np.log(expo.astype(float))
    grid = pd.period_range(periods.min(), periods.max(), freq=PERIOD_CODES[freq])
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
            f"event_effect dropped {n_missing} {word}(s) with missing values", stacklevel=2
        )
    X, yv = design[complete], y[complete]
    n_pre, n_post = int((X["post"] == 0).sum()), int((X["post"] == 1).sum())
    if min(n_pre, n_post) < MIN_POINTS_PER_SIDE:
        raise AnalysisError(
            f"event_effect needs at least {MIN_POINTS_PER_SIDE} non-missing {words} on each "
            f"side of {event}; got {n_pre} before and {n_post} from it on"
        )
    if np.ptp(yv.to_numpy()) == 0:
        raise AnalysisError(f"event_effect: the series is constant ({yv.iloc[0]})")
    if len(yv) <= X.shape[1]:
        raise AnalysisError(f"event_effect: {len(yv)} {words} for {X.shape[1]} coefficients")

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


def _event_period(date: Any, freq: str = "MS") -> pd.Period:
    code = PERIOD_CODES[freq]
    try:
        if isinstance(date, pd.Period):
            return date.asfreq(code)
        if isinstance(date, str) and "Q" in date.upper():  # "2020Q4": a quarter
            return pd.Period(date, freq="Q").asfreq(code, how="start")
        return pd.Period(pd.Timestamp(date), freq=code)
    except (ValueError, TypeError) as exc:
        raise ArgumentError(f"date={date!r} is not a date") from exc


def _aligned_exposure(
    exposure: Any, series: pd.Series, periods: pd.PeriodIndex, freq: str = "MS"
) -> pd.Series:
    if isinstance(exposure, pd.Series):
        expo_periods = period_index(exposure, freq=freq, what="exposure")  # type: ignore[arg-type]
        values = pd.Series(exposure.to_numpy(), index=expo_periods, name=exposure.name)
        return values.reindex(periods)
    values = np.asarray(exposure)
    if values.shape != (len(series),):
        raise ArgumentError(
            f"exposure must be a Series or have the series' length {len(series)}, "
            f"got shape {values.shape}"
        )
    return pd.Series(values, index=periods, name="exposure")


#: Columns of :func:`level_changes`, in order.
LEVEL_CHANGE_COLUMNS: list[str] = [
    "term", "event_date", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high",
    "ratio", "ratio_low", "ratio_high", "n_obs", "n_before", "n_after", "scale", "freq",
    "method", "residual_acf1",
]  # fmt: skip


def step_design(
    periods: pd.PeriodIndex,
    events: Mapping[str, Any],
    *,
    freq: CaseFreq = "MS",
    trend: bool = True,
) -> pd.DataFrame:
    """Design of a segmented regression with a level change at each event.

    Columns ``const``, ``time`` (periods since the first, if ``trend``) and one
    0/1 column per event, named by its key in ``events``, equal to 1 from the
    event's period on.

    Examples
    --------
    >>> grid = pd.period_range("2022Q1", periods=5, freq="Q")
    >>> step_design(grid, {"a": "2022-05-01", "b": "2022-10-01"}, freq="QS")["b"].tolist()
    [0.0, 0.0, 0.0, 1.0, 1.0]
    """
    check_literal(freq, CaseFreq, "freq")
    ordinal = np.asarray(periods.asi8, dtype=float)
    design = pd.DataFrame({"const": 1.0}, index=periods)
    if trend:
        design["time"] = ordinal - ordinal.min() if len(periods) else ordinal
    for name, when in events.items():
        if name in design.columns:
            raise ArgumentError(f"events: {name!r} is the name of another column of the design")
        design[name] = (periods >= _event_period(when, freq)).astype(float)
    return design


def level_changes(
    series: pd.Series,
    events: Mapping[str, Any],
    *,
    freq: CaseFreq = "MS",
    window: int | None = None,
    trend: bool = True,
    dispersion: Dispersion = "pearson",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Level changes of a count series at several events, estimated together in one model.

    A segmented Poisson GLM (log link) with a linear pre-trend and one step per
    event: ``log E[y_t] = b0 + b1 * t + sum_k c_k * post_k(t)``, ``post_k = 1``
    from event ``k``'s period on. Each ``exp(c_k)`` is the rate ratio of
    event ``k`` holding the others: a competing explanation gets a level
    change of its own instead of being read into the event of interest. A
    single event is the step-change interrupted time series of
    :func:`event_effect` (without the slope change).

    Parameters
    ----------
    series
        Counts (non-negative, fractional allowed) by month or quarter (see
        ``freq``): a DatetimeIndex of period starts or a PeriodIndex.
    events
        Term name -> the event's date (string, Timestamp or Period); its
        period is the first with the level change.
    freq
        ``"MS"`` (months) or ``"QS"`` (quarters).
    window
        Keep ``window`` periods before the first event and ``window`` periods
        from the last on (and all between); None keeps the whole series.
    trend
        Include the linear pre-trend (``time``).
    dispersion
        ``"pearson"`` (quasi-Poisson: standard errors scaled by the Pearson
        statistic over its degrees of freedom) or ``"fixed"`` (Poisson).
    conf_level
        Confidence level of the Wald intervals.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LEVEL_CHANGE_COLUMNS`: one row for ``pre_trend`` (if
        ``trend``; per period) and one per event (``term`` its key), with the
        log-scale ``estimate``, ``std_error``, z ``statistic``, two-sided
        normal ``p_value``, Wald interval, their exponentials (``ratio``...),
        ``n_obs`` periods, ``n_before`` (before the first event), ``n_after``
        (from the last event on), the dispersion ``scale``, ``freq``, ``method``
        and ``residual_acf1`` (lag-1 autocorrelation of the Pearson residuals).

    Raises
    ------
    ArgumentError
        Unknown option, no event, a bad ``window``.
    DataValidationError
        Negative counts, two values in one period.
    AnalysisError
        Fewer than :data:`MIN_POINTS_PER_SIDE` periods before the first event
        or from the last on; two events in one period (one level change);
        a constant series; or a model whose estimate does not exist (a level
        change resting only on empty periods: separation).

    Notes
    -----
    Fitted by :func:`~cftf_analysis.stats.batch.fit_poisson_batch` (Newton
    steps to the score's root; the same estimates and errors as statsmodels'
    ``GLM(..., family=Poisson()).fit(scale="X2")``), which detects separation
    instead of reporting a drifting estimate as converged.

    Examples
    --------
    >>> rng = np.random.default_rng(5)
    >>> quarters = pd.period_range("2014Q1", periods=40, freq="Q")
    >>> t = np.arange(40)
    >>> mu = 3 * np.exp(0.4 * (t >= 20) + 0.7 * (t >= 30))
    >>> y = pd.Series(rng.poisson(mu), index=quarters)
    >>> out = level_changes(y, {"sanctions": "2019-01", "offensive": "2021-07"}, freq="QS")
    >>> out["term"].tolist()
    ['pre_trend', 'sanctions', 'offensive']
    >>> bool(out.loc[2, "ratio_low"] < np.exp(0.7) < out.loc[2, "ratio_high"])
    True
    """
    from cftf_analysis.stats.batch import fit_poisson_batch

    check_literal(freq, CaseFreq, "freq")
    check_literal(dispersion, Dispersion, "dispersion")
    if not isinstance(series, pd.Series):
        raise ArgumentError(f"series must be a pandas Series, got {type(series).__name__}")
    if not events:
        raise ArgumentError("events: give at least one event")
    word, words = PERIOD_WORDS[freq]
    periods = period_index(series, freq=freq, what="series")
    check_nonnegative_counts(series.set_axis(periods), str(series.name or "series"), periods)
    starts = {name: _event_period(when, freq) for name, when in events.items()}
    seen: dict[pd.Period, str] = {}
    for name, start in starts.items():
        if start in seen:
            raise AnalysisError(
                f"events {seen[start]!r} and {name!r} fall in the same {word} ({start}): one "
                "level change cannot be split between them"
            )
        seen[start] = name
    y = pd.Series(pd.to_numeric(series.to_numpy(), errors="coerce"), index=periods, dtype=float)
    grid = pd.period_range(periods.min(), periods.max(), freq=PERIOD_CODES[freq])
    y = y.sort_index().reindex(grid)
    first, last = min(starts.values()), max(starts.values())
    if window is not None:
        check_int(window, "window", minimum=1)
        keep = (grid >= first - int(window)) & (grid <= last + int(window) - 1)
        grid, y = grid[keep], y[keep]
    design = step_design(grid, events, freq=freq, trend=trend)
    complete = y.notna().to_numpy()
    if not complete.all():
        warnings.warn(
            f"level_changes dropped {int((~complete).sum())} {word}(s) with missing values",
            stacklevel=2,
        )
    X, yv, kept = design[complete], y[complete], grid[complete]
    n_before, n_after = int((kept < first).sum()), int((kept >= last).sum())
    if min(n_before, n_after) < MIN_POINTS_PER_SIDE:
        raise AnalysisError(
            f"level_changes needs at least {MIN_POINTS_PER_SIDE} non-missing {words} before "
            f"the first event ({first}) and from the last on ({last}); got {n_before} and "
            f"{n_after}"
        )
    if np.ptp(yv.to_numpy()) == 0:
        raise AnalysisError(f"level_changes: the series is constant ({yv.iloc[0]})")
    fit = fit_poisson_batch(yv.to_numpy(float), X.to_numpy(float), scale=dispersion)
    if fit.rank_deficient[0] or fit.separated[0] or not fit.ok[0]:
        why = (
            "the design is collinear"
            if fit.rank_deficient[0]
            else "the estimate does not exist: a level change rests on periods without "
            "reports (separation)"
            if fit.separated[0]
            else "the fit did not converge"
        )
        raise AnalysisError(f"level_changes: {why}")
    est, se = fit.params[0], fit.std_error[0]
    z = stats.norm.ppf(0.5 + check_fraction(conf_level, "conf_level") / 2)
    names = list(X.columns)
    table = pd.DataFrame(
        {
            "term": ["pre_trend" if n == "time" else n for n in names],
            "estimate": est,
            "std_error": se,
            "statistic": est / se,
            "p_value": 2 * stats.norm.sf(np.abs(est / se)),
            "ci_low": est - z * se,
            "ci_high": est + z * se,
        }
    )
    table = table[[n != "const" for n in names]].reset_index(drop=True)
    for col, src in (("ratio", "estimate"), ("ratio_low", "ci_low"), ("ratio_high", "ci_high")):
        table[col] = np.exp(table[src])
    table["event_date"] = [
        starts[t].to_timestamp() if t in starts else pd.NaT for t in table["term"]
    ]
    table["n_obs"], table["n_before"], table["n_after"] = len(yv), n_before, n_after
    table["scale"] = float(fit.scale[0])
    table["freq"] = freq
    mu = np.exp(X.to_numpy(float) @ est)
    table["residual_acf1"] = acf1((yv.to_numpy(float) - mu) / np.sqrt(mu))
    table["method"] = (
        f"segmented Poisson GLM (log link) on {words}, "
        + ("linear pre-trend, " if trend else "")
        + f"{len(starts)} level change{'s' if len(starts) > 1 else ''}"
        + ("; quasi-Poisson scale" if dispersion == "pearson" else "")
        + "; Wald tests"
    )
    return table[LEVEL_CHANGE_COLUMNS]
