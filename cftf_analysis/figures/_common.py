"""Helpers shared by the figure modules (not public API)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.figures.theme import PAGE_WIDTH, add_source, report_theme

#: Days from a month's first day to the point where its bar is centred.
MID_MONTH_DAYS = 14
#: Width of a monthly bar, days.
BAR_DAYS = 24


def require_columns(data: pd.DataFrame, columns: Sequence[str], what: str = "data") -> None:
    """Raise :class:`DataValidationError` naming the first missing column."""
    if not isinstance(data, pd.DataFrame):
        raise ArgumentError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataValidationError(
            f"{what} lacks column(s) {', '.join(repr(c) for c in missing)}",
            file="<DataFrame>",
            column=missing[0],
        )
    if data.empty:
        raise DataValidationError(f"{what} has no rows to plot", file="<DataFrame>")


@contextlib.contextmanager
def axes_or_new(ax: Axes | None, *, height: float, source: str | None) -> Iterator[Axes]:
    """Yield ``ax``; when it is None, a new report-sized figure drawn in the report theme.

    A figure created here gets the ``source`` line; a given Axes' figure is never touched.
    """
    if ax is not None:
        if not isinstance(ax, Axes):
            raise ArgumentError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
        yield ax
        return
    with report_theme():
        fig, new = plt.subplots(figsize=(PAGE_WIDTH, height), layout="constrained")
        yield new
        add_source(fig, source)


def mid_month(months: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Month starts moved to mid-month (where bars and points of a month are drawn)."""
    values = pd.DatetimeIndex(pd.to_datetime(months))
    return (values + pd.Timedelta(days=MID_MONTH_DAYS)).to_numpy()


def month_limits(months: pd.Series | pd.DatetimeIndex) -> tuple[np.datetime64, np.datetime64]:
    """From the first day of the first month to the first day after the last month."""
    values = pd.DatetimeIndex(pd.to_datetime(months))
    last = values.max().to_period("M").to_timestamp() + pd.offsets.MonthBegin(1)
    return values.min().to_datetime64(), last.to_datetime64()


def format_year_axis(ax: Axes) -> None:
    """Years as major ticks, quarters as minor ticks."""
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))


def as_time_index(index: pd.Index) -> pd.Index:
    """PeriodIndex -> month-start DatetimeIndex; datetimes and numbers unchanged."""
    if isinstance(index, pd.PeriodIndex):
        return index.to_timestamp()
    return index
