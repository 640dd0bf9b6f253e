"""Change points in monthly report counts: the series, its segments and their means."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cftf_analysis.errors import ArgumentError
from cftf_analysis.figures._common import (
    BAR_DAYS,
    MID_MONTH_DAYS,
    as_time_index,
    axes_or_new,
    format_year_axis,
    require_columns,
)
from cftf_analysis.figures.theme import GREY, OKABE_ITO, SOURCE_REPORTS

__all__ = ["plot_change_points"]


def plot_change_points(
    series: pd.Series,
    segments: pd.DataFrame,
    *,
    test: pd.DataFrame | None = None,
    ylabel: str = "Defection reports per month",
    ax: Axes | None = None,
    source: str | None = SOURCE_REPORTS,
) -> Axes:
    """Monthly values as bars, each segment's mean as a horizontal line, breaks as dashed lines.

    Parameters
    ----------
    series
        The series that was segmented, indexed by month (DatetimeIndex of month
        starts or monthly PeriodIndex) or by position (integers).
    segments
        ``ChangePointResult.segments`` from :func:`cftf_analysis.change_points`
        (``segment``, ``start``, ``end``, ``n_obs``, ``mean``), ``start`` and
        ``end`` being labels of ``series``' index.
    test
        Optional ``ChangePointResult.test`` (one row); its p-value and number
        of breaks go into the legend.
    ylabel
        Y axis label.
    ax
        Axes to draw on; a new report-sized figure when None.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> months = pd.date_range("2015-01-01", periods=6, freq="MS")
    >>> y = pd.Series([1.0, 2, 1, 6, 7, 6], index=months)
    >>> segs = pd.DataFrame({"segment": [1, 2], "start": months[[0, 3]],
    ...                      "end": months[[2, 5]], "n_obs": [3, 3], "mean": [4 / 3, 19 / 3]})
    >>> fig, ax = plt.subplots()
    >>> plot_change_points(y, segs, ax=ax) is ax
    True
    >>> plt.close(fig)
    """
    if not isinstance(series, pd.Series):
        raise ArgumentError(f"series must be a pandas Series, got {type(series).__name__}")
    require_columns(segments, ["segment", "start", "end", "mean"], "segments")
    index = as_time_index(series.index)
    dated = isinstance(index, pd.DatetimeIndex)

    def position(label: object, *, end: bool) -> object:
        if isinstance(label, pd.Period):
            label = label.to_timestamp()
        if not dated:
            return float(label) + (0.5 if end else -0.5)  # type: ignore[arg-type]
        month = pd.Timestamp(label).to_period("M").to_timestamp()  # type: ignore[arg-type]
        return (month + pd.offsets.MonthBegin(1) if end else month).to_datetime64()

    with axes_or_new(ax, height=2.6, source=source) as ax:
        values = series.to_numpy(dtype=float)
        if dated:
            x = (index + pd.Timedelta(days=MID_MONTH_DAYS)).to_numpy()
            width: object = np.timedelta64(BAR_DAYS, "D")
        else:
            x, width = index.to_numpy(dtype=float), 0.8
        ax.bar(x, values, width=width, color=GREY, linewidth=0, label="Monthly value")
        seg = segments.sort_values("segment")
        starts = [position(s, end=False) for s in seg["start"]]
        ends = [position(e, end=True) for e in seg["end"]]
        ax.hlines(
            seg["mean"].to_numpy(dtype=float),
            starts,
            ends,
            colors=OKABE_ITO["vermillion"],
            linewidth=2.2,
            label="Segment mean",
            gid="segment-means",
        )
        for i, start in enumerate(starts[1:]):
            ax.axvline(
                start,
                color="black",
                linestyle="--",
                linewidth=0.9,
                label="Change point" if i == 0 else None,
                gid="change-point",
            )
        if dated:
            _label_breaks(ax, starts[1:], index)
        if test is not None and len(test) and "p_value" in test.columns:
            p = float(test["p_value"].iloc[0])
            note = "not run" if np.isnan(p) else f"permutation p = {p:.3g}"
            ax.set_title(
                f"Test of no change: {note}", loc="right", fontsize=7, fontweight="normal"
            )
        ax.set_ylabel(ylabel)
        ax.set_ylim(0 if np.nanmin(values) >= 0 else None, np.nanmax(values) * 1.35)
        if dated:
            ax.set_xlim(position(index.min(), end=False), position(index.max(), end=True))
            format_year_axis(ax)
            ax.set_xlabel("Month")
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncols=3, borderaxespad=0)
    return ax


def _label_breaks(ax: Axes, starts: list, index: pd.DatetimeIndex) -> None:
    """Month labels at the top of each break line, stepped down when neighbours are close."""
    span_days = max((index.max() - index.min()).days, 1)
    width_in = ax.figure.get_figwidth() * ax.get_position().width
    need_days = 0.45 * span_days / max(width_in, 0.5)  # a 7-character label at 6.5 pt
    last: np.datetime64 | None = None
    row = 0
    for start in starts:
        close = last is not None and (start - last) / np.timedelta64(1, "D") < need_days
        row = row + 1 if close else 0
        ax.annotate(
            pd.Timestamp(start).strftime("%Y-%m"),
            (start, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2 - 8 * row),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=6.5,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.4},
        )
        last = start
