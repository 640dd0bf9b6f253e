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
        Significance level: estimates whose adjusted p-value (``p_adjusted``,
        else ``p_value``) is below it get filled markers, the others open ones.
    x_name, y_name
        Names of the two series for the lag label (positive lag: ``x_name``
        leads ``y_name``, the convention of :func:`cftf_analysis.cross_correlation`).
    legend
        Draw the legend.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

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
        p = frame["p_adjusted"] if "p_adjusted" in frame.columns else frame["p_value"]
        p = p.fillna(frame["p_value"]).to_numpy(dtype=float)
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
        hit = p < alpha
        for mask, face, gid in ((~hit, "white", "not-significant"), (hit, "black", "significant")):
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
        ax.set_ylim(-1.05, 1.05)
        if len(lag):
            step = max(1, int(np.ceil((lag.max() - lag.min()) / 12)))
            ax.set_xticks(np.arange(lag.min(), lag.max() + 1, step))
        if title is not None:
            ax.set_title(title, loc="left")
        if legend:
            ax.legend(handles=_legend_handles(data, alpha), loc="best", fontsize=6.5)
    return ax


def _legend_handles(data: pd.DataFrame, alpha: float) -> list[Line2D]:
    level = data.attrs.get("alpha")
    ci = f"{100 * (1 - level):g}% confidence interval" if level else "Confidence interval"
    return [
        Line2D([], [], color=OKABE_ITO["sky_blue"], linewidth=2.2, label=ci),
        Line2D([], [], linestyle="none", marker="o", markerfacecolor="black",
               markeredgecolor="black", label=f"Estimate, adjusted p < {alpha:g}"),
        Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
               markeredgecolor="black", label=f"Estimate, adjusted p ≥ {alpha:g}"),
    ]  # fmt: skip


def cross_correlation_figure(
    data: Mapping[str, pd.DataFrame],
    *,
    alpha: float = 0.05,
    y_name: str = "reports",
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
            figsize=(width, 2.9),
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
        fig.legend(handles=_legend_handles(first, alpha), loc="outside upper center", ncols=3)
        add_source(fig, source)
    return fig
