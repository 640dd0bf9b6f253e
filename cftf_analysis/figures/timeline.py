"""The timeline: defection reports and each indicator by month, with dated events.

An indicator panel shows the series' monthly path with its band and, on it,
the observations behind it: figures for one month, averages over several
months, ranges, one-sided bounds, restated and derived figures, each drawn so
that it can be told apart (see :func:`plot_indicator`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import MaxNLocator

from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.figures._common import (
    BAR_DAYS,
    axes_or_new,
    format_year_axis,
    mid_month,
    month_limits,
    require_columns,
)
from cftf_analysis.figures._events import (
    draw_events,
    draw_key,
    key_height_pt,
    strip_layout,
    wrap_key,
)
from cftf_analysis.figures.theme import (
    GREY,
    PAGE_WIDTH,
    PALETTE,
    SOURCE_ALL,
    SOURCE_INDICATORS,
    SOURCE_REPORTS,
    add_source,
    report_theme,
    series_display,
)
from cftf_analysis.options import DateBasis, check_literal
from cftf_analysis.tables import report_count_spread, timeline_events

__all__ = [
    "OBSERVATION_PLOT_COLUMNS",
    "plot_indicator",
    "plot_report_counts",
    "timeline_figure",
]

#: Edge colour of the report bars.
BAR_EDGE_COLOR = "#4D4D4D"
#: Gap between the report bars' zero line and the x axis below it, points.
BAR_SPINE_OFFSET_PT = 3.0

#: Columns of the observation table :func:`plot_indicator` draws (the
#: ``observations`` of a :class:`~cftf_analysis.stats.latent.LatentSeries` have
#: them all; ``derived`` and ``restated`` are read too when present).
OBSERVATION_PLOT_COLUMNS: tuple[str, ...] = (
    "month_start",
    "month_end",
    "value",
    "low",
    "high",
    "bound",
)
#: Marks of an indicator panel, in legend order: the path and its band (a
#: latent series' median and posterior band, or an interpolation and the
#: source's ranges), then the observations (``month``/``derived-month``: markers
#: in the months a panel flags, when no observation table is given).
MARK_KINDS: tuple[str, ...] = (
    "median",
    "posterior-band",
    "path",
    "band",
    "reported",
    "month",
    "derived",
    "derived-month",
    "period",
    "range",
    "lower",
    "upper",
    "restated",
)
#: Length of a bound's arrow, as a share of the values' span on the panel.
ARROW_FRACTION = 0.18
#: Height the timeline keeps for the legend of the indicators' marks, inches.
MARKS_LEGEND_IN = 0.35
#: Colour of the timeline's shared legend of marks (each panel's colour names its series).
MARK_LEGEND_COLOR = "#4D4D4D"


def plot_report_counts(
    data: pd.DataFrame, *, ax: Axes | None = None, source: str | None = SOURCE_REPORTS
) -> Axes:
    """Bars of defection reports per month, with the range imprecise dates allow.

    Parameters
    ----------
    data
        :func:`cftf_analysis.tables.report_count_spread` output (``month``,
        ``n_reports``, ``n_certain``, ``n_possible``), or a panel with ``month``
        and ``n_reports`` only (bars without ranges).
    ax
        Axes to draw on; a new report-sized figure when None.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import cftf_analysis as cftf, matplotlib.pyplot as plt
    >>> from cftf_analysis.tables import report_count_spread
    >>> ax = plot_report_counts(report_count_spread(cftf.load_reports()))
    >>> len(ax.patches) > 0
    True
    >>> plt.close(ax.figure)
    """
    require_columns(data, ["month", "n_reports"])
    with axes_or_new(ax, height=2.4, source=source) as ax:
        # every bar of a month with a report gets an edge, empty months none
        edge = np.where(data["n_reports"].to_numpy(dtype=float) > 0, BAR_EDGE_COLOR, "none")
        x = mid_month(data["month"])
        ax.bar(
            x,
            data["n_reports"].to_numpy(dtype=float),
            width=np.timedelta64(BAR_DAYS, "D"),
            color=GREY,
            # a thin darker edge keeps small bars visible: a report dated only to
            # a year adds about 1/12 to each of its months, a bar a pixel high
            edgecolor=edge,
            linewidth=0.5,
            label="Reports (one dated to a span is spread over its months)",
            gid="report-bars",
        )
        if {"n_certain", "n_possible"} <= set(data.columns):
            ax.vlines(
                x,
                data["n_certain"].to_numpy(dtype=float),
                data["n_possible"].to_numpy(dtype=float),
                colors="black",
                linewidth=0.9,
                label="Range: reports certainly to possibly in the month",
                gid="report-range",
            )
        # the x axis sits a little below 0, so that a bar a fraction of a report
        # high is not hidden under it
        ax.spines["bottom"].set_position(("outward", BAR_SPINE_OFFSET_PT))
        ax.set_ylabel("Defection reports\nper month")
        ax.set_xlim(*month_limits(data["month"]))
        top = data["n_possible"].max() if "n_possible" in data.columns else data["n_reports"].max()
        ax.set_ylim(0, max(float(top), 1.0) * 1.3)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        format_year_axis(ax)
        ax.legend(loc="upper left")
    return ax


def plot_indicator(
    data: pd.DataFrame,
    *,
    y: str,
    observations: pd.DataFrame | None = None,
    band_level: float | None = None,
    legend: bool = True,
    ax: Axes | None = None,
    color: str | None = None,
    source: str | None = SOURCE_INDICATORS,
) -> Axes:
    """One indicator by month: its path and band, and the observations behind them.

    Parameters
    ----------
    data
        A monthly panel with ``month``, ``<y>`` and optionally ``<y>_low``,
        ``<y>_high``, ``<y>_observed`` and ``<y>_derived``: the battery's panel
        (``<y>`` the posterior median of the latent path, ``_low``/``_high``
        its band) or :func:`cftf_analysis.monthly_panel` (the interpolation
        between reported figures, ``_low``/``_high`` the ranges they give).
    y
        The indicator column, e.g. ``"revenue_total"``; shown in the units of
        :data:`cftf_analysis.figures.theme.SERIES_DISPLAY` (USD million,
        thousand km2).
    observations
        One row per observation of the series, with the columns of
        :data:`cftf_analysis.figures.timeline.OBSERVATION_PLOT_COLUMNS`
        (``month_start``, ``month_end``, ``value``, ``low``, ``high`` and
        ``bound``: ``"none"``, ``"lower"`` or ``"upper"``) and optionally
        ``derived`` and ``restated`` (booleans), values in the canonical units
        of ``<y>``; for example the ``observations`` of a
        :class:`cftf_analysis.stats.latent.LatentSeries`.
        None (default): a marker on the line in each month that
        ``<y>_observed`` flags.
    band_level
        Level of the ``_low``/``_high`` band when it is a posterior band (0.9
        for the latent series): the line is labelled the median path and the
        band is drawn wherever it is defined. None (default): the line is an
        interpolation and the band, the ranges the source gave, is drawn only
        where ``low < high``.
    legend
        Explain the marks drawn in a legend above the axes.
    ax
        Axes to draw on; a new report-sized figure when None.
    color
        Colour of the line, band and marks; default the first palette colour.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    DataValidationError
        A missing column, a ``bound`` other than ``none``/``lower``/``upper``,
        or an observation that ends before it starts or has neither a value
        nor a range.

    Notes
    -----
    Each observation is drawn at its value (a range without a value, at the
    middle of the range), in the middle of the months it spans:

    - a filled circle for a reported figure, an open square for a level
      derived from a reported change against a reported baseline;
    - a horizontal segment over its months for an average over several
      months (a quarter, a year);
    - a vertical bar from ``low`` to ``high`` for a range;
    - an arrow from the mark for a one-sided bound: up for a lower bound
      ("at least"), down for an upper bound ("at most");
    - a black ring around the mark for a restated estimate (one estimate
      published more than once, counted once).

    The artists carry group ids (``path``, ``band``, ``observed-markers``,
    ``derived-markers``, ``period-segments`` and ``period-ends``,
    ``range-bars`` and ``range-ends``, ``bound-arrows``, ``restated-rings``).
    Bound arrows are annotations (in ``ax.texts``) drawn in data units, from
    the mark (``xyann``) to the tip (``xy``), so that the axes' limits take
    them in.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> months = pd.date_range("2020-01-01", periods=6, freq="MS")
    >>> panel = pd.DataFrame({"month": months, "x": [9.0, 8, 7, 6, 5, 4],
    ...                       "x_low": [8.0, 7, 6, 5, 4, 3], "x_high": [10.0, 9, 8, 7, 6, 5]})
    >>> obs = pd.DataFrame({
    ...     "month_start": pd.to_datetime(["2020-01-01", "2020-03-01", "2020-06-01"]),
    ...     "month_end": pd.to_datetime(["2020-01-01", "2020-05-01", "2020-06-01"]),
    ...     "value": [9.0, 6.0, 5.0], "low": [None, 5.0, None], "high": [None, 7.0, None],
    ...     "bound": ["none", "none", "upper"]})
    >>> ax = plot_indicator(panel, y="x", observations=obs, band_level=0.9)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]  # doctest: +NORMALIZE_WHITESPACE
    ['Median path, 90% band', 'Reported figure', 'Period average',
     'Range (low-high)', 'Upper bound ("at most")']
    >>> arrows = [a for a in ax.texts if a.get_gid() == "bound-arrows"]
    >>> [bool(a.xy[1] < a.xyann[1]) for a in arrows]  # from the mark (xyann) down to its tip
    [True]
    >>> plt.close(ax.figure)
    """
    with axes_or_new(ax, height=2.4 if legend else 2.0, source=source) as ax:
        kinds = _draw_indicator(ax, data, y, observations, band_level, color)
        if legend:
            handles, labels = _mark_handles(
                kinds, color if color is not None else PALETTE[0], band_level
            )
            ax.legend(
                handles,
                labels,
                loc="lower left",
                bbox_to_anchor=(0.0, 1.02),
                borderaxespad=0,
                ncols=min(3, len(handles)),
                labelspacing=0.7,
            )
    return ax


def _draw_indicator(
    ax: Axes,
    data: pd.DataFrame,
    y: str,
    observations: pd.DataFrame | None,
    band_level: float | None,
    color: str | None,
    joined: bool = True,
) -> list[str]:
    """Draw one indicator panel; return the kinds of marks drawn, in :data:`MARK_KINDS` order.

    ``joined=False`` draws the reported figures alone: no path, no band.
    """
    require_columns(data, ["month", y])
    label, divisor, unit = series_display(y)
    color = color if color is not None else PALETTE[0]
    kinds = {"median" if band_level is not None else "path"} if joined else set()
    x = mid_month(data["month"])
    values = data[y].to_numpy(dtype=float) / divisor
    if joined:
        ax.plot(x, values, color=color, linewidth=1.2, gid="path", zorder=2)
    low, high = f"{y}_low", f"{y}_high"
    if joined and {low, high} <= set(data.columns):
        lo = data[low].to_numpy(dtype=float) / divisor
        hi = data[high].to_numpy(dtype=float) / divisor
        if band_level is not None:
            where = np.isfinite(lo) & np.isfinite(hi)
        else:
            where = np.nan_to_num(hi - lo) > 0
        if where.any():
            ax.fill_between(
                x, lo, hi, where=where, color=color, alpha=0.2, linewidth=0, gid="band"
            )
            kinds.add("posterior-band" if band_level is not None else "band")
    if observations is None:
        kinds |= _draw_flagged_months(ax, data, y, x, values, color)
    else:
        marks = _observation_marks(observations, divisor)
        shown = np.concatenate([values, marks[["y", "low", "high"]].to_numpy(float).ravel()])
        shown = shown[np.isfinite(shown)]
        span = float(np.ptp(shown)) if shown.size else 0.0
        span = span if span > 0 else max(abs(float(shown.max())) if shown.size else 0.0, 1.0)
        kinds |= _draw_observations(ax, marks, color, ARROW_FRACTION * span)
    ax.set_ylabel(f"{label}\n({unit})" if unit else label)
    ax.set_xlim(*month_limits(data["month"]))
    format_year_axis(ax)
    return [k for k in MARK_KINDS if k in kinds]


def _flag(data: pd.DataFrame, column: str) -> np.ndarray:
    if column not in data.columns:
        return np.zeros(len(data), dtype=bool)
    return data[column].fillna(False).to_numpy(dtype=bool)


def _draw_flagged_months(
    ax: Axes, data: pd.DataFrame, y: str, x: np.ndarray, values: np.ndarray, color: str
) -> set[str]:
    """Markers on the line in the months ``<y>_observed`` flags (no observation table given)."""
    observed = _flag(data, f"{y}_observed")
    derived = _flag(data, f"{y}_derived") & observed
    reported = observed & ~derived
    kinds = set()
    if reported.any():
        ax.plot(x[reported], values[reported], gid="observed-markers", **_point_style(color))
        kinds.add("month")
    if derived.any():
        ax.plot(x[derived], values[derived], gid="derived-markers", **_derived_style(color))
        kinds.add("derived-month")
    return kinds


def _point_style(color: str) -> dict:
    return {
        "linestyle": "none",
        "marker": "o",
        "markersize": 5,
        "markerfacecolor": color,
        "markeredgecolor": "black",
        "markeredgewidth": 0.5,
        "zorder": 3,
    }


def _derived_style(color: str) -> dict:
    return {
        "linestyle": "none",
        "marker": "s",
        "markersize": 5,
        "markerfacecolor": "white",
        "markeredgecolor": color,
        "markeredgewidth": 1.2,
        "zorder": 3,
    }


def _ring_style() -> dict:
    return {
        "linestyle": "none",
        "marker": "o",
        "markersize": 10,
        "markerfacecolor": "none",
        "markeredgecolor": "black",
        "markeredgewidth": 0.8,
        "zorder": 3.1,
    }


def _observation_marks(observations: pd.DataFrame, divisor: float) -> pd.DataFrame:
    """Where and how each observation is drawn: one row per observation, in display units."""
    require_columns(observations, OBSERVATION_PLOT_COLUMNS, "observations")
    start = pd.DatetimeIndex(pd.to_datetime(observations["month_start"])).to_period("M")
    end = pd.DatetimeIndex(pd.to_datetime(observations["month_end"])).to_period("M")
    if (end < start).any():
        raise DataValidationError(
            "observations: month_end before month_start", file="<DataFrame>", column="month_end"
        )
    bound = observations["bound"].astype("string").fillna("none").to_numpy(dtype=object)
    unknown = sorted(set(bound) - {"none", "lower", "upper"})
    if unknown:
        raise DataValidationError(
            f"observations: bound {unknown[0]!r} is not 'none', 'lower' or 'upper'",
            file="<DataFrame>",
            column="bound",
        )
    value = pd.to_numeric(observations["value"], errors="coerce").to_numpy(dtype=float)
    low = pd.to_numeric(observations["low"], errors="coerce").to_numpy(dtype=float)
    high = pd.to_numeric(observations["high"], errors="coerce").to_numpy(dtype=float)
    ranged = np.isfinite(low) & np.isfinite(high) & (high > low)
    at = np.where(np.isfinite(value), value, np.where(ranged, (low + high) / 2, np.nan))
    if not np.isfinite(at).all():
        raise DataValidationError(
            "observations: an observation has neither a value nor a range",
            file="<DataFrame>",
            column="value",
        )
    first = mid_month(start.to_timestamp())
    last = mid_month(end.to_timestamp())
    return pd.DataFrame(
        {
            "x": first + (last - first) / 2,
            "x_start": start.to_timestamp().to_numpy(),
            "x_end": (end + 1).to_timestamp().to_numpy(),
            "y": at / divisor,
            "low": low / divisor,
            "high": high / divisor,
            "period": np.asarray(end > start),
            "ranged": ranged,
            "bound": bound,
            "derived": _bool_column(observations, "derived"),
            "restated": _bool_column(observations, "restated"),
        }
    )


def _bool_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].fillna(False).to_numpy(dtype=bool)


def _draw_observations(ax: Axes, marks: pd.DataFrame, color: str, arrow: float) -> set[str]:
    """Draw each observation (see :func:`plot_indicator`); return the kinds drawn.

    ``arrow`` is the length of a bound's arrow, in the units shown.
    """
    kinds = set()
    x = marks["x"].to_numpy()
    y = marks["y"].to_numpy(dtype=float)
    period = marks["period"].to_numpy(dtype=bool)
    if period.any():
        starts = marks["x_start"].to_numpy()[period]
        ends = marks["x_end"].to_numpy()[period]
        ax.hlines(
            y[period], starts, ends, colors=color, linewidth=2.0, gid="period-segments", zorder=2.5
        )
        # end ticks show where each period starts and ends when two overlap
        ax.plot(
            np.concatenate([starts, ends]),
            np.concatenate([y[period], y[period]]),
            linestyle="none",
            marker="|",
            markersize=6,
            markeredgewidth=1.2,
            color=color,
            gid="period-ends",
            zorder=2.5,
        )
        kinds.add("period")
    ranged = marks["ranged"].to_numpy(dtype=bool)
    if ranged.any():
        lows = marks["low"].to_numpy(dtype=float)[ranged]
        highs = marks["high"].to_numpy(dtype=float)[ranged]
        ax.vlines(
            x[ranged], lows, highs, colors=color, linewidth=2.0, gid="range-bars", zorder=2.5
        )
        ax.plot(
            np.concatenate([x[ranged], x[ranged]]),
            np.concatenate([lows, highs]),
            linestyle="none",
            marker="_",
            markersize=6,
            markeredgewidth=1.2,
            color=color,
            gid="range-ends",
            zorder=2.5,
        )
        kinds.add("range")
    derived = marks["derived"].to_numpy(dtype=bool)
    if (~derived).any():
        ax.plot(x[~derived], y[~derived], gid="observed-markers", **_point_style(color))
        kinds.add("reported")
    if derived.any():
        ax.plot(x[derived], y[derived], gid="derived-markers", **_derived_style(color))
        kinds.add("derived")
    bounded = marks["bound"].to_numpy(dtype=object) != "none"
    tips = y + np.where(marks["bound"] == "lower", arrow, -arrow)
    for xi, yi, tip, bound in zip(x, y, tips, marks["bound"], strict=True):
        if bound == "none":
            continue
        # from the mark towards where the true value may lie (in data units, so
        # that the axes' limits take the tip in)
        ax.annotate(
            "",
            xy=(xi, tip),
            xytext=(xi, yi),
            arrowprops={
                "arrowstyle": "-|>,head_length=0.5,head_width=0.25",
                "color": color,
                "linewidth": 1.2,
                "shrinkA": 3.5,
                "shrinkB": 0,
            },
            gid="bound-arrows",
            zorder=2.6,
        )
        kinds.add(bound)
    if bounded.any():
        ax.update_datalim(np.column_stack([ax.convert_xunits(x[bounded]), tips[bounded]]))
    restated = marks["restated"].to_numpy(dtype=bool)
    if restated.any():
        ax.plot(x[restated], y[restated], gid="restated-rings", **_ring_style())
        kinds.add("restated")
    return kinds


# legend symbols of a period (|-|) and of a range (the same, upright): line paths
_SPAN_MARKER = MplPath(
    [(-1, -0.35), (-1, 0.35), (-1, 0), (1, 0), (1, -0.35), (1, 0.35)],
    [
        MplPath.MOVETO,
        MplPath.LINETO,
        MplPath.MOVETO,
        MplPath.LINETO,
        MplPath.MOVETO,
        MplPath.LINETO,
    ],
)
_RANGE_MARKER = MplPath(
    [(-0.35, -1), (0.35, -1), (0, -1), (0, 1), (-0.35, 1), (0.35, 1)],
    [
        MplPath.MOVETO,
        MplPath.LINETO,
        MplPath.MOVETO,
        MplPath.LINETO,
        MplPath.MOVETO,
        MplPath.LINETO,
    ],
)


def _mark_handles(
    kinds: Sequence[str], color: str, band_level: float | None
) -> tuple[list, list[str]]:
    """Legend handles and labels of the marks in ``kinds`` (what each mark means)."""
    line = Line2D([], [], color=color, linewidth=1.2)
    band = Patch(facecolor=color, alpha=0.2, linewidth=0)
    handles = []
    for kind in kinds:
        if kind == "median" and "posterior-band" in kinds:
            level = f"{band_level:.0%} band" if band_level is not None else "band"
            handles.append(((band, line), f"Median path, {level}"))
        elif kind == "median":
            handles.append((line, "Median path"))
        elif kind == "path":
            handles.append((line, "Interpolated between reported figures"))
        elif kind == "band":
            handles.append((band, "Range given by source"))
        elif kind in ("reported", "month"):
            label = "Reported figure" if kind == "reported" else "Month with a reported figure"
            handles.append((Line2D([], [], **_point_style(color)), label))
        elif kind in ("derived", "derived-month"):
            label = "Derived from a change" if kind == "derived" else "Month with a derived level"
            handles.append((Line2D([], [], **_derived_style(color)), label))
        elif kind == "period":
            segment = Line2D([], [], linestyle="none", marker=_SPAN_MARKER, markersize=14,
                             markeredgewidth=1.6, color=color, markerfacecolor="none")  # fmt: skip
            handles.append((segment, "Period average"))
        elif kind == "range":
            bar = Line2D([], [], linestyle="none", marker=_RANGE_MARKER, markersize=9,
                         markeredgewidth=1.6, color=color, markerfacecolor="none")  # fmt: skip
            handles.append((bar, "Range (low-high)"))
        elif kind in ("lower", "upper"):
            marker = r"$\uparrow$" if kind == "lower" else r"$\downarrow$"
            arrow = Line2D([], [], color=color, linestyle="none", marker=marker, markersize=8)
            text = 'Lower bound ("at least")' if kind == "lower" else 'Upper bound ("at most")'
            handles.append((arrow, text))
        elif kind == "restated":
            point = Line2D([], [], **_point_style(color))
            ring = Line2D([], [], **_ring_style())
            handles.append(((point, ring), "Restated estimate"))
    return [h for h, _ in handles], [label for _, label in handles]


def timeline_figure(
    panel: pd.DataFrame,
    *,
    reports: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    series: Sequence[str] = ("revenue_total", "territory"),
    observations: Mapping[str, pd.DataFrame] | None = None,
    band_level: float | Mapping[str, float] | None = None,
    event_categories: Sequence[str] = ("finance",),
    event_ids: Sequence[str] = (),
    date: DateBasis = "published",
    source: str | None = SOURCE_ALL,
    width: float = PAGE_WIDTH,
    unjoined: Sequence[str] = (),
) -> Figure:
    """Stacked monthly panels: reports, then each indicator, with numbered event lines.

    Parameters
    ----------
    panel
        :func:`cftf_analysis.monthly_panel` output, or the panel of a
        battery (each series' posterior median and band).
    reports
        The reports the panel was built from. When given, each month's bar gets
        the range from reports certainly dated to the month to reports possibly
        in it (:func:`cftf_analysis.tables.report_count_spread`); its counts
        must match the panel's ``n_reports``.
    events
        :func:`cftf_analysis.load_events` output; the events chosen by
        ``event_categories`` and ``event_ids`` (see
        :func:`cftf_analysis.tables.timeline_events`) are drawn as vertical
        lines, numbered in a strip on top and listed in a key below.
    series
        Panel indicator columns, one panel each (shared time axis).
    observations
        Series -> its observation table (see :func:`plot_indicator`), drawn on
        its panel: points, period averages, ranges, bounds, restated and
        derived figures. A series without one gets a marker in each month its
        ``<series>_observed`` column flags.
    band_level
        Level of the series' ``_low``/``_high`` bands when they are posterior
        bands (one level, or series -> level; a series left out is an
        interpolation), see :func:`plot_indicator`.
    event_categories, event_ids
        Which events to draw: all events of these categories plus these ids
        (e.g. a case's ``major_events``).
    date
        The date the panel counted reports by (``"published"`` or ``"defection"``).
    source
        Source line at the foot; None for none.
    width
        Figure width in inches (default a report page, 6.5 in).
    unjoined
        Series drawn as their reported figures alone, not joined by a line
        (too few figures for a series: a line between two of them would be
        an interpolation drawn as if it were one).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ArgumentError
        ``reports`` whose monthly counts differ from the panel's, an unknown
        event id, or ``date`` not ``"published"``/``"defection"``.
    DataValidationError
        ``panel`` lacks ``month``, ``n_reports`` or a ``series`` column.

    Examples
    --------
    >>> import cftf_analysis as cftf, matplotlib.pyplot as plt
    >>> reports = cftf.load_reports()
    >>> panel = cftf.monthly_panel(reports, cftf.load_indicators())
    >>> fig = timeline_figure(panel, reports=reports, events=cftf.load_events())
    >>> [ax.get_label() for ax in fig.axes]
    ['events', 'reports', 'revenue_total', 'territory', 'key']
    >>> plt.close(fig)
    """
    require_columns(panel, ["month", "n_reports", *series], "panel")
    check_literal(date, DateBasis, "date")
    series = list(series)
    if isinstance(band_level, Mapping):
        levels = {name: float(band_level[name]) for name in series if name in band_level}
    else:
        levels = {name: float(band_level) for name in series} if band_level is not None else {}
    counts = panel[["month", "n_reports"]]
    first, last = month_limits(panel["month"])
    if reports is not None:
        spread = report_count_spread(
            reports, start=panel["month"].min(), end=panel["month"].max(), date=date
        )
        if len(spread) != len(panel) or not np.allclose(
            spread["n_reports"].to_numpy(), panel["n_reports"].to_numpy(dtype=float)
        ):
            raise ArgumentError(
                "reports do not match the panel's n_reports: build the panel from these "
                f"reports with date={date!r}, or leave reports out"
            )
        counts = spread
    key = None
    if events is not None:
        key = timeline_events(
            events,
            categories=event_categories,
            event_ids=event_ids,
            start=first,
            end=last - np.timedelta64(1, "D"),
            max_chars=None,
        )
        if key.empty:
            key = None
    with report_theme():
        # the axes span the page less the y labels (about 1 in): a narrower guess
        # than the layout's only spreads the strip's numbers further apart
        strip = None if key is None else strip_layout(key, width - 1.1, first, last)
        lines = None if key is None else wrap_key(key, (width - 0.2) / 2)
        fig, axes = _layout(width, series, strip, lines)
        ax_reports = axes["reports"]
        plot_report_counts(counts, ax=ax_reports)
        drawn: list[str] = []
        for i, name in enumerate(series):
            drawn += _draw_indicator(
                axes[name],
                panel,
                name,
                (observations or {}).get(name),
                levels.get(name),
                PALETTE[i % len(PALETTE)],
                joined=name not in unjoined,
            )
        if series:
            _marks_legend(axes[series[0]], drawn, levels)
        panels = [ax_reports, *(axes[name] for name in series)]
        for ax in panels[:-1]:
            ax.tick_params(labelbottom=False)
        panels[-1].set_xlabel("Month")
        if key is not None and strip is not None and lines is not None:
            draw_events(key, *strip, axes["events"], panels)
            draw_key(key, lines, axes["key"])
        add_source(fig, source)
    return fig


def _marks_legend(ax: Axes, kinds: Sequence[str], levels: Mapping[str, float]) -> None:
    """One legend of the marks drawn in every indicator panel, above the first panel."""
    kinds = [k for k in MARK_KINDS if k in kinds]
    # one level for every band, or "band" alone when they differ
    level = levels_of[0] if len(levels_of := sorted(set(levels.values()))) == 1 else None
    handles, labels = _mark_handles(kinds, MARK_LEGEND_COLOR, level)
    ax.legend(
        handles,
        labels,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.02),
        borderaxespad=0,
        ncols=min(3, len(handles)),
        handlelength=2.0,
        columnspacing=1.2,
        labelspacing=0.7,
    )


def _layout(
    width: float,
    series: list[str],
    strip: tuple[np.ndarray, np.ndarray] | None,
    lines: list[list[str]] | None,
) -> tuple[Figure, dict]:
    heights = [2.0] + [1.45] * len(series)
    names = ["reports", *series]
    if strip is not None and lines is not None:
        n_rows = int(strip[1].max()) + 1
        # the key is placed in points from its top; its axes get that height
        # plus a margin, since the layout shares space by these ratios only
        key_in = key_height_pt(lines) / 72 + 0.1
        heights = [0.38 * n_rows + 0.08, *heights, key_in]
        names = ["events", *names, "key"]
    # room for titles, tick labels and the source line on top of the axes' heights,
    # so that each axes gets at least the height asked for; and for the legend of
    # the indicators' marks (two rows) above the first indicator
    extra = (1.0 if "key" in names else 0.5) + (MARKS_LEGEND_IN if series else 0.0)
    fig = plt.figure(figsize=(width, sum(heights) + extra), layout="constrained")
    grid = fig.add_gridspec(len(heights), 1, height_ratios=heights)
    axes: dict = {}
    main = None
    for i, name in enumerate(names):
        if name == "key":
            ax = fig.add_subplot(grid[i])
        else:
            ax = fig.add_subplot(grid[i], sharex=main)
            main = main if main is not None else ax
        ax.set_label(name)
        axes[name] = ax
    return fig, axes
