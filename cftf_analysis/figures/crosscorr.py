"""Cross-correlation by lag, with confidence intervals, one panel per indicator."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cftf_analysis.errors import ArgumentError
from cftf_analysis.figures._common import axes_or_new, require_columns
from cftf_analysis.figures.theme import (
    OKABE_ITO,
    PAGE_WIDTH,
    SOURCE_ALL,
    add_source,
    report_theme,
    series_display,
)

__all__ = ["cross_correlation_figure", "plot_cross_correlation"]

_COLUMNS = ("lag", "estimate", "ci_low", "ci_high", "p_value")


def plot_cross_correlation(
    data: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    alpha: float = 0.05,
    x_name: str = "indicator",
    y_name: str = "reports",
    legend: bool = True,
    conf_level: float | None = None,
    adjustment: str = "adjusted",
    sign_guide: bool = True,
    source: str | None = SOURCE_ALL,
) -> Axes:
    """Cross-correlation estimates by lag with their confidence intervals.

    Parameters
    ----------
    data
        :func:`cftf_analysis.cross_correlation` output (``lag``, ``estimate``,
        ``ci_low``, ``ci_high``, ``p_value``, and ``p_adjusted`` if present).
    ax
        Axes to draw on; a new report-sized figure when None.
    title
        Axes title.
    alpha
        Significance level. Estimates whose adjusted p-value (``p_adjusted``)
        is below it get black markers; those below it only before adjustment
        (``p_value``), grey ones; the others open ones. Without ``p_adjusted``
        the unadjusted p-value decides between black and open.
    x_name, y_name
        Names of the two series for the lag label (positive lag: ``x_name``
        leads ``y_name``, the convention of :func:`cftf_analysis.cross_correlation`).
    legend
        Draw the legend.
    conf_level
        Level of the intervals in ``data``, named in the legend; default
        ``data.attrs["conf_level"]`` when present (else the legend gives no level).
    adjustment
        How ``p_adjusted`` was adjusted, for the legend (e.g. ``"Holm-adjusted"``).
    sign_guide
        Write above and below the ±1 range what a positive and a negative
        correlation mean in terms of the two series (with ``x_name`` leading
        at positive lags).
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The intervals are for each lag on its own, while black markers use the
    p-value adjusted across lags: an interval that excludes zero with a grey
    marker is a lag that would pass the test alone but not once the number
    of lags tried is accounted for.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> ccf = pd.DataFrame({"lag": [-1, 0, 1], "estimate": [0.1, 0.5, -0.2],
    ...                     "ci_low": [-0.3, 0.1, -0.6], "ci_high": [0.5, 0.8, 0.2],
    ...                     "p_value": [0.6, 0.01, 0.3], "p_adjusted": [1.0, 0.03, 0.9]})
    >>> fig, ax = plt.subplots()
    >>> plot_cross_correlation(ccf, ax=ax) is ax
    True
    >>> plt.close(fig)
    """
    require_columns(data, _COLUMNS)
    if not 0 < alpha < 1:
        raise ArgumentError(f"alpha must be between 0 and 1, got {alpha!r}")
    with axes_or_new(ax, height=2.6, source=source) as ax:
        frame = data.sort_values("lag")
        lag = frame["lag"].to_numpy(dtype=float)
        est = frame["estimate"].to_numpy(dtype=float)
        p_raw = frame["p_value"].to_numpy(dtype=float)
        adjusted = "p_adjusted" in frame.columns
        p_adj = (
            frame["p_adjusted"].fillna(frame["p_value"]).to_numpy(dtype=float)
            if adjusted
            else p_raw
        )
        ax.axhline(0, color="black", linewidth=0.6)
        ax.axvline(0, color="#BBBBBB", linewidth=0.6, zorder=0)
        ax.vlines(
            lag,
            frame["ci_low"].to_numpy(dtype=float),
            frame["ci_high"].to_numpy(dtype=float),
            color=OKABE_ITO["sky_blue"],
            linewidth=2.2,
            gid="ci",
        )
        hit = p_adj < alpha
        nominal = (p_raw < alpha) & ~hit
        for mask, face, gid in (
            (~hit & ~nominal, "white", "not-significant"),
            (nominal, NOMINAL_GREY, "nominal"),
            (hit, "black", "significant"),
        ):
            ax.plot(
                lag[mask],
                est[mask],
                linestyle="none",
                marker="o",
                markersize=4.5,
                markerfacecolor=face,
                markeredgecolor="black",
                markeredgewidth=0.8,
                gid=gid,
            )
        ax.set_xlabel(f"Lag in months (positive: {x_name} leads {y_name})")
        prewhitened = "prewhitened" in frame.columns and bool(frame["prewhitened"].all())
        ax.set_ylabel("Cross-correlation" + (" (prewhitened)" if prewhitened else ""))
        ax.set_ylim(-GUIDE_LIMIT, GUIDE_LIMIT)
        ax.set_yticks([-1, -0.5, 0, 0.5, 1])
        if sign_guide:
            _sign_guide(ax, x_name, y_name)
        if len(lag):
            step = max(1, int(np.ceil((lag.max() - lag.min()) / 12)))
            ax.set_xticks(np.arange(lag.min(), lag.max() + 1, step))
        if title is not None:
            ax.set_title(title, loc="left")
        if legend:
            handles = legend_handles(data, alpha, conf_level, adjustment)
            ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.02), ncols=2)
    return ax


#: Face colour of estimates significant at their lag alone but not after adjustment.
NOMINAL_GREY = "#9A9A9A"
#: The y axis runs to ±GUIDE_LIMIT: correlations fill ±1, the sign guide the rest.
GUIDE_LIMIT = 1.38


def _sign_guide(ax: Axes, x_name: str, y_name: str) -> None:
    """What the sign of r means, written in the bands above +1 and below -1."""
    for y, va, text, gid in (
        (1.06, "bottom", f"r > 0: falling {x_name} goes with fewer {y_name}", "sign-positive"),
        (-1.06, "top", f"r < 0: falling {x_name} goes with more {y_name}", "sign-negative"),
    ):
        ax.text(
            0.01,
            y,
            ("↑ " if y > 0 else "↓ ") + text,
            transform=ax.get_yaxis_transform(),
            ha="left",
            va=va,
            fontsize=6,
            color="#444444",
            gid=gid,
        )


def legend_handles(
    data: pd.DataFrame, alpha: float, conf_level: float | None, adjustment: str
) -> list[Line2D]:
    """Legend entries: the interval (with its level) and the three kinds of markers."""
    level = conf_level if conf_level is not None else data.attrs.get("conf_level")
    ci = (
        f"{100 * float(level):g}% confidence interval, each lag on its own"
        if level is not None
        else "Confidence interval, each lag on its own"
    )
    adjusted = "p_adjusted" in data.columns
    marks = [("black", f"{adjustment} p < {alpha:g}" if adjusted else f"p < {alpha:g}")]
    if adjusted:
        marks.append((NOMINAL_GREY, f"p < {alpha:g} at this lag alone, not once {adjustment}"))
    marks.append(("white", f"p ≥ {alpha:g}"))
    return [
        Line2D([], [], color=OKABE_ITO["sky_blue"], linewidth=2.2, label=ci),
        *(
            Line2D([], [], linestyle="none", marker="o", markerfacecolor=face,
                   markeredgecolor="black", label=f"Estimate, {label}")
            for face, label in marks
        ),
    ]  # fmt: skip


def cross_correlation_figure(
    data: Mapping[str, pd.DataFrame],
    *,
    alpha: float = 0.05,
    y_name: str = "reports",
    conf_level: float | None = None,
    adjustment: str = "adjusted",
    source: str | None = SOURCE_ALL,
    width: float = PAGE_WIDTH,
) -> Figure:
    """One cross-correlation panel per indicator, side by side with a shared y axis.

    Parameters
    ----------
    data
        Indicator column name (e.g. ``"revenue_total"``) -> its
        :func:`cftf_analysis.cross_correlation` table (indicator as ``x``,
        reports as ``y``).
    alpha
        Significance level for filled markers (see :func:`plot_cross_correlation`).
    y_name
        Name of the series the indicators are correlated with.
    conf_level, adjustment
        Interval level and name of the p-value adjustment, for the legend (see
        :func:`plot_cross_correlation`).
    source
        Source line at the foot; None for none.
    width
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import cftf_analysis as cftf, matplotlib.pyplot as plt
    >>> panel = cftf.monthly_panel(cftf.load_reports(), cftf.load_indicators())
    >>> p = panel.set_index("month")
    >>> tables = {name: cftf.cross_correlation(p[name], p["n_reports"], max_lag=6)
    ...           for name in ("revenue_total", "territory")}
    >>> fig = cross_correlation_figure(tables)
    >>> [ax.get_title(loc="left") for ax in fig.axes]
    ['Revenue', 'Territory']
    >>> plt.close(fig)
    """
    if not data:
        raise ArgumentError("data must map at least one indicator name to its table")
    with report_theme():
        fig, axes = plt.subplots(
            1,
            len(data),
            figsize=(width, 3.3),
            sharey=True,
            layout="constrained",
            squeeze=False,
        )
        for i, (ax, (name, table)) in enumerate(zip(axes[0], data.items(), strict=True)):
            label = series_display(name)[0]
            plot_cross_correlation(
                table,
                ax=ax,
                title=label,
                alpha=alpha,
                x_name=label.lower(),
                y_name=y_name,
                legend=False,
            )
            if i > 0:
                ax.set_ylabel("")
        first = next(iter(data.values()))
        handles = legend_handles(first, alpha, conf_level, adjustment)
        fig.legend(handles=handles, loc="outside upper center", ncols=2)
        add_source(fig, source)
    return fig
