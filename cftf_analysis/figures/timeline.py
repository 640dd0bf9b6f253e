"""The timeline: defection reports, revenue and territory by month, with dated events."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cftf_analysis.errors import ArgumentError
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
    "plot_indicator",
    "plot_report_counts",
    "timeline_figure",
]

#: Edge colour of the report bars.
BAR_EDGE_COLOR = "#4D4D4D"
#: Gap between the report bars' zero line and the x axis below it, points.
BAR_SPINE_OFFSET_PT = 3.0


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
    ax: Axes | None = None,
    color: str | None = None,
    source: str | None = SOURCE_INDICATORS,
) -> Axes:
    """One indicator by month: interpolated line, low-high band, markers at reported figures.

    Parameters
    ----------
    data
        A monthly panel (:func:`cftf_analysis.monthly_panel`) with ``month``,
        ``<y>`` and optionally ``<y>_low``, ``<y>_high``, ``<y>_observed`` and
        ``<y>_derived``.
    y
        The indicator column, e.g. ``"revenue_total"``; shown in the units of
        :data:`cftf_analysis.figures.theme.SERIES_DISPLAY` (USD million,
        thousand km2).
    ax
        Axes to draw on; a new report-sized figure when None.
    color
        Line colour; default the first palette colour.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Markers sit only in months where a figure was reported (``<y>_observed``):
    filled circles for figures reported as levels, open squares for levels
    derived from a reported change against a reported baseline. The line
    between them is the panel's interpolation; the band is drawn only where
    the source gave a range (``low < high``).

    Examples
    --------
    >>> import cftf_analysis as cftf, matplotlib.pyplot as plt
    >>> panel = cftf.monthly_panel(cftf.load_reports(), cftf.load_indicators())
    >>> ax = plot_indicator(panel, y="territory")
    >>> ax.get_ylabel()
    'Territory\\n(thousand km²)'
    >>> plt.close(ax.figure)
    """
    require_columns(data, ["month", y])
    label, divisor, unit = series_display(y)
    color = color if color is not None else PALETTE[0]
    with axes_or_new(ax, height=2.0, source=source) as ax:
        x = mid_month(data["month"])
        values = data[y].to_numpy(dtype=float) / divisor
        ax.plot(
            x, values, color=color, linewidth=1.2, label="Interpolated between reported figures"
        )
        low, high = f"{y}_low", f"{y}_high"
        if {low, high} <= set(data.columns):
            lo = data[low].to_numpy(dtype=float) / divisor
            hi = data[high].to_numpy(dtype=float) / divisor
            if np.any(np.nan_to_num(hi - lo) > 0):
                ax.fill_between(
                    x, lo, hi, color=color, alpha=0.2, linewidth=0, label="Range given by source"
                )
        observed = _flag(data, f"{y}_observed")
        derived = _flag(data, f"{y}_derived") & observed
        reported = observed & ~derived
        if reported.any():
            ax.plot(
                x[reported],
                values[reported],
                linestyle="none",
                marker="o",
                markersize=5,
                color=color,
                markeredgecolor="black",
                markeredgewidth=0.5,
                label="Reported figure",
                gid="observed-markers",
            )
        if derived.any():
            ax.plot(
                x[derived],
                values[derived],
                linestyle="none",
                marker="s",
                markersize=5,
                markerfacecolor="white",
                markeredgecolor=color,
                markeredgewidth=1.2,
                label="Derived from a reported change",
                gid="derived-markers",
            )
        ax.set_ylabel(f"{label}\n({unit})" if unit else label)
        ax.set_xlim(*month_limits(data["month"]))
        format_year_axis(ax)
        ax.legend(loc="best")
    return ax


def _flag(data: pd.DataFrame, column: str) -> np.ndarray:
    if column not in data.columns:
        return np.zeros(len(data), dtype=bool)
    return data[column].fillna(False).to_numpy(dtype=bool)


def timeline_figure(
    panel: pd.DataFrame,
    *,
    reports: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    series: Sequence[str] = ("revenue_total", "territory"),
    event_categories: Sequence[str] = ("finance",),
    event_ids: Sequence[str] = (),
    date: DateBasis = "published",
    source: str | None = SOURCE_ALL,
    width: float = PAGE_WIDTH,
) -> Figure:
    """Stacked monthly panels: reports, then each indicator, with numbered event lines.

    Parameters
    ----------
    panel
        :func:`cftf_analysis.monthly_panel` output.
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
    event_categories, event_ids
        Which events to draw: all events of these categories plus these ids
        (e.g. a case's ``major_events``).
    date
        The date the panel counted reports by (``"published"`` or ``"defection"``).
    source
        Source line at the foot; None for none.
    width
        Figure width in inches (default a report page, 6.5 in).

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
        fig, axes = _layout(width, list(series), strip, lines)
        ax_reports = axes["reports"]
        plot_report_counts(counts, ax=ax_reports)
        for i, name in enumerate(series):
            plot_indicator(panel, y=name, ax=axes[name], color=PALETTE[i % len(PALETTE)])
        panels = [ax_reports, *(axes[name] for name in series)]
        for ax in panels[:-1]:
            ax.tick_params(labelbottom=False)
        panels[-1].set_xlabel("Month")
        if key is not None and strip is not None and lines is not None:
            draw_events(key, *strip, axes["events"], panels)
            draw_key(key, lines, axes["key"])
        add_source(fig, source)
    return fig


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
    # so that each axes gets at least the height asked for
    extra = 1.0 if "key" in names else 0.5
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
