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
from cftf_analysis.options import CaseFreq, check_literal

__all__ = ["edge_breaks", "plot_change_points"]

#: Colour of a break at an edge of the collection.
EDGE_COLOR = "#777777"


def edge_breaks(segments: pd.DataFrame) -> list[bool]:
    """Which breaks (the starts of segments 2, 3, ...) sit at an edge of the collection.

    The first break is an edge break when the first segment's mean is below
    every interior segment's (the series rises out of a floor at its start);
    the last break likewise when the last segment's is (it sinks back to a
    floor at its end). Such a break can mark where the collection of reports
    starts or thins out rather than a change in what is reported on. With
    fewer than three segments there is no interior, and no break is flagged.

    Examples
    --------
    >>> segs = pd.DataFrame({"segment": [1, 2, 3, 4], "mean": [0.2, 3.0, 8.0, 4.0]})
    >>> edge_breaks(segs)
    [True, False, False]
    """
    require_columns(segments, ["segment", "mean"], "segments")
    means = segments.sort_values("segment")["mean"].to_numpy(dtype=float)
    flags = [False] * max(len(means) - 1, 0)
    if len(means) < 3:
        return flags
    floor = float(np.min(means[1:-1]))
    flags[0] = bool(means[0] < floor)
    flags[-1] = flags[-1] or bool(means[-1] < floor)
    return flags


def plot_change_points(
    series: pd.Series,
    segments: pd.DataFrame,
    *,
    test: pd.DataFrame | None = None,
    ylabel: str = "Defection reports per month",
    mark_edges: bool = True,
    ax: Axes | None = None,
    source: str | None = SOURCE_REPORTS,
    freq: CaseFreq = "MS",
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
        of breaks go into the title, at the right.
    ylabel
        Y axis label.
    mark_edges
        Draw breaks at an edge of the collection (see :func:`edge_breaks`) in
        grey dash-dot with their own legend entry, so that they are not read
        as changes like the others.
    ax
        Axes to draw on; a new report-sized figure when None.
    source
        Source line, used only when this function creates the figure.
    freq
        ``"MS"`` (months) or ``"QS"``: a dated ``series`` holds quarters (its
        index the quarters' first days, or a quarterly PeriodIndex); bars span
        the quarter and breaks are labelled ``2022Q4``.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Each break's month is written at the top of its line, on the side with
    room for it: to the right unless the next break is too close, else to
    the left; when neither side has room it runs upright down its own line.
    Only breaks a month apart on a narrow axes leave no room even for that:
    the label's white box is then drawn over the neighbouring line.

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
    check_literal(freq, CaseFreq, "freq")
    require_columns(segments, ["segment", "start", "end", "mean"], "segments")
    index = as_time_index(series.index)
    dated = isinstance(index, pd.DatetimeIndex)
    months = 3 if freq == "QS" else 1

    def position(label: object, *, end: bool) -> object:
        if isinstance(label, pd.Period):
            label = label.to_timestamp()
        if not dated:
            return float(label) + (0.5 if end else -0.5)  # type: ignore[arg-type]
        month = pd.Timestamp(label).to_period("M").to_timestamp()  # type: ignore[arg-type]
        return (month + pd.offsets.MonthBegin(months) if end else month).to_datetime64()

    with axes_or_new(ax, height=2.6, source=source) as ax:
        values = series.to_numpy(dtype=float)
        if dated:
            x = (index + pd.Timedelta(days=MID_MONTH_DAYS * months)).to_numpy()
            width: object = np.timedelta64(BAR_DAYS * months + 4 * (months - 1), "D")
        else:
            x, width = index.to_numpy(dtype=float), 0.8
        label = "Quarterly value" if freq == "QS" else "Monthly value"
        ax.bar(x, values, width=width, color=GREY, linewidth=0, label=label)
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
        edges = edge_breaks(seg) if mark_edges else [False] * (len(starts) - 1)
        seen = set()
        for start, edge in zip(starts[1:], edges, strict=True):
            kind = "edge" if edge else "break"
            ax.axvline(
                start,
                color=EDGE_COLOR if edge else "black",
                linestyle="-." if edge else "--",
                linewidth=0.9,
                label=None if kind in seen else _BREAK_LABELS[kind],
                gid="edge-break" if edge else "change-point",
            )
            seen.add(kind)
        if dated:
            _label_breaks(ax, starts[1:], edges, index, freq)
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
            ax.set_xlabel("Quarter" if freq == "QS" else "Month")
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncols=2, borderaxespad=0)
    return ax


_BREAK_LABELS = {
    "break": "Change point",
    "edge": "Break at an edge of the collection",
}


def _label_breaks(
    ax: Axes, starts: list, edges: list[bool], index: pd.DatetimeIndex, freq: str = "MS"
) -> None:
    """Month labels at the top of each break line, on a side where no other line crosses them.

    Widths are judged in days from the label's width in points and the axes'
    width before layout, which is at most its final width: the estimate errs
    on the side of more room.
    """
    span_days = max((index.max() - index.min()).days + 31, 1)
    width_pt = 72 * ax.figure.get_figwidth() * ax.get_position().width
    need = (LABEL_PT + 4) * span_days / max(width_pt, 36.0)
    days = [float(pd.Timestamp(s).value) / 86_400e9 for s in starts]
    occupied: list[tuple[float, float, int]] = []  # (from day, to day, row)
    for i, (start, day) in enumerate(zip(starts, days, strict=True)):
        after = days[i + 1] - day if i + 1 < len(days) else np.inf
        before = day - days[i - 1] if i > 0 else np.inf
        room_left = before - (need if i > 0 and _on_right(occupied, days[i - 1]) else 0.0)
        rotation = 0
        if after >= need:
            side, span = "right", (day, day + need)
        elif room_left >= need:
            side, span = "left", (day - need, day)
        else:
            # no room either side: the label runs down its own line, turned upright
            side, span, rotation = "right", (day, day + need * UPRIGHT_SHARE), 90
        row = 0
        while rotation == 0 and any(
            a < span[1] and span[0] < b and r == row for a, b, r in occupied
        ):
            row += 1
        occupied.append((*span, row))
        ax.annotate(
            str(pd.Timestamp(start).to_period("Q"))
            if freq == "QS"
            else pd.Timestamp(start).strftime("%Y-%m"),
            (start, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=((2 if side == "right" else -2), -2 - 8 * row),
            textcoords="offset points",
            ha="left" if side == "right" else "right",
            va="top",
            rotation=rotation,
            fontsize=6.5,
            color=EDGE_COLOR if edges[i] else "black",
            # over the lines: where breaks are a month apart, the label's white
            # box interrupts the next line rather than the line crossing the text
            zorder=5,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.4},
            gid="break-label",
        )


#: Width of a ``YYYY-MM`` label at 6.5 pt, points (7 characters).
LABEL_PT = 7 * 0.62 * 6.5
#: Width of an upright label as a share of a level one's.
UPRIGHT_SHARE = 0.35


def _on_right(occupied: list[tuple[float, float, int]], day: float) -> bool:
    """Whether the label of the break at ``day`` went to its right."""
    return any(a == day for a, _, _ in occupied)
