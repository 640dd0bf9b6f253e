"""Monthly-panel helpers shared by the count model and the interrupted time series.

Used by :mod:`cftf_analysis.stats.countmodel` and
:mod:`cftf_analysis.stats.interrupted` (not public API):

- option checks: :func:`_choice` (one of a few strings, :class:`ArgumentError`
  listing the allowed values) and :func:`_seasonal_kind`;
- argument checks: :func:`_column_list` (columns present) and :func:`_lag_list`
  (distinct non-negative lags);
- the monthly index of a panel or series (:func:`_monthly_index`: a ``month``
  column, a DatetimeIndex or a PeriodIndex; duplicate months rejected) and
  data checks (:func:`_check_nonnegative`, :func:`_check_positive`), which
  raise :class:`DataValidationError` with the 1-based row of the first bad value;
- seasonal terms (:func:`_seasonal_terms`: month-of-year dummies or two
  12-month harmonic pairs);
- :func:`_lagged_design`, the design of :func:`~cftf_analysis.stats.countmodel.fit_count_model`
  on the complete monthly grid (lagged covariates, trend, seasonal terms).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cftf_analysis.errors import ArgumentError, DataValidationError


def _choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ArgumentError(
            f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}"
        )
    return value


def _seasonal_kind(seasonal: Any) -> str | None:
    if seasonal is False or seasonal is None:
        return None
    if seasonal is True:
        return "dummies"
    return _choice("seasonal", seasonal, ("dummies", "harmonics"))


def _column_list(frame: pd.DataFrame, columns: Sequence[str], what: str) -> list[str]:
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    if what == "covariates" and not columns:
        raise ArgumentError("covariates must name at least one column")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ArgumentError(
            f"{what}: column(s) {missing} not in the data; available: {list(frame.columns)}"
        )
    return columns


def _lag_list(lags: Sequence[int]) -> list[int]:
    if isinstance(lags, int | np.integer) and not isinstance(lags, bool):
        lags = [int(lags)]
    out = list(lags)
    bad = [v for v in out if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0]
    if not out or bad or len(set(out)) != len(out):
        raise ArgumentError(f"lags must be distinct non-negative integers, got {lags!r}")
    return [int(v) for v in out]


def _monthly_index(obj: pd.DataFrame | pd.Series, *, what: str) -> pd.PeriodIndex:
    """Monthly PeriodIndex from a ``month`` column, a DatetimeIndex or a PeriodIndex."""
    if isinstance(obj, pd.DataFrame) and "month" in obj.columns:
        source: Any = obj["month"]
        if source.isna().any():
            row = int(np.flatnonzero(source.isna().to_numpy())[0]) + 1
            raise DataValidationError("missing month", file="<DataFrame>", row=row, column="month")
        source = pd.DatetimeIndex(pd.to_datetime(source))
    else:
        source = obj.index
    if isinstance(source, pd.PeriodIndex):
        periods = source.asfreq("M")
    elif isinstance(source, pd.DatetimeIndex):
        periods = source.to_period("M")
    else:
        raise ArgumentError(
            f"{what} needs a 'month' column, a DatetimeIndex or a PeriodIndex; "
            f"got {type(source).__name__}"
        )
    if periods.has_duplicates:
        dup = periods[periods.duplicated()][0]
        row = int(np.flatnonzero(periods == dup)[1]) + 1
        raise DataValidationError(
            f"duplicate month {dup}", file="<DataFrame>", row=row, column="month"
        )
    return pd.PeriodIndex(periods, freq="M")


def _check_nonnegative(values: pd.Series, column: str, months: pd.PeriodIndex) -> None:
    num = pd.to_numeric(values, errors="coerce")
    bad = np.flatnonzero((num < 0).to_numpy() | (num.isna() & values.notna()).to_numpy())
    if bad.size:
        raise DataValidationError(
            f"counts must be non-negative numbers, got {values.iloc[bad[0]]!r} ({months[bad[0]]})",
            file="<DataFrame>",
            row=int(bad[0]) + 1,
            column=column,
        )


def _check_positive(values: pd.Series, column: str, months: pd.PeriodIndex) -> None:
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


def _seasonal_terms(periods: pd.PeriodIndex, kind: str) -> pd.DataFrame:
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


def _lagged_design(
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
    months = _monthly_index(panel, what="panel")
    data = panel[list(dict.fromkeys(needed))].copy()
    data.index = months
    _check_nonnegative(data[counts], counts, months)
    if exposure is not None:
        _check_positive(data[exposure], exposure, months)
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
        design = design.join(_seasonal_terms(grid, seasonal_kind))
    y = data[counts].astype(float)
    offset = np.log(data[exposure].astype(float)) if exposure is not None else None
    return design, y, offset, months
