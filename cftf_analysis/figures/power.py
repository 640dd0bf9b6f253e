"""Power curves: how often each finding would detect an effect of a given size."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, NullLocator

from cftf_analysis.figures._common import axes_or_new, require_columns
from cftf_analysis.figures.theme import LINESTYLES, MARKERS, PALETTE, SOURCE_ALL

__all__ = ["plot_power_curves"]


def plot_power_curves(
    data: pd.DataFrame,
    *,
    power: float = 0.8,
    alpha: float | None = 0.05,
    labels: Mapping[tuple[str, str], str] | None = None,
    xlabel: str = "Planted rate ratio of monthly reports per step of the indicator",
    ax: Axes | None = None,
    source: str | None = SOURCE_ALL,
) -> Axes:
    """Power against the planted effect, one line per finding and indicator.

    Parameters
    ----------
    data
        :func:`~cftf_analysis.stats.power.power_curve` output (several stacked):
        ``finding``, ``indicator``, ``effect``, ``power``, ``power_low``,
        ``power_high``. Effects that were not simulated (NaN power) are left out.
    power
        The target power, drawn as a dashed line.
    alpha
        The test's level, drawn as a dotted line (the power at effect 1 should
        be about it); None draws none.
    labels
        ``(finding, indicator)`` -> legend label; default ``"indicator: finding"``.
    xlabel
        X axis label (the effect is on a log scale).
    ax
        Axes to draw on; a new report-sized figure when None.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> curve = pd.DataFrame({"finding": "count_model", "indicator": "x",
    ...                       "effect": [0.5, 1.0, 2.0], "power": [0.9, 0.05, 0.7],
    ...                       "power_low": [0.8, 0.02, 0.6], "power_high": [0.95, 0.1, 0.8]})
    >>> fig, ax = plt.subplots()
    >>> plot_power_curves(curve, ax=ax) is ax
    True
    >>> plt.close(fig)
    """
    require_columns(
        data, ["finding", "indicator", "effect", "power", "power_low", "power_high"], "data"
    )
    labels = dict(labels or {})
    with axes_or_new(ax, height=3.2, source=source) as ax:
        groups = list(data.groupby(["finding", "indicator"], sort=False))
        for i, ((finding, indicator), g) in enumerate(groups):
            g = g[np.isfinite(g["power"])].sort_values("effect")
            colour = PALETTE[i % len(PALETTE)]
            ax.fill_between(
                g["effect"], g["power_low"], g["power_high"], color=colour, alpha=0.15,
                linewidth=0,
            )  # fmt: skip
            ax.plot(
                g["effect"],
                g["power"],
                color=colour,
                marker=MARKERS[i % len(MARKERS)],
                linestyle=LINESTYLES[i % len(LINESTYLES)],
                label=labels.get((finding, indicator), f"{indicator}: {finding}"),
                gid=f"power:{finding}:{indicator}",
            )
        ax.axhline(power, color="black", linestyle="--", linewidth=0.8,
                   label=f"{power:.0%} power", gid="target")  # fmt: skip
        if alpha is not None:
            ax.axhline(alpha, color="black", linestyle=":", linewidth=0.8,
                       label=f"test level ({alpha:g})", gid="alpha")  # fmt: skip
        ax.axvline(1.0, color="#8C8C8C", linewidth=0.8, zorder=0)
        ax.set_xscale("log")
        effects = np.sort(data["effect"].unique())
        ax.xaxis.set_major_locator(FixedLocator(effects))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{e:g}" for e in effects])
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Power (share of simulated datasets found)")
        ax.legend(loc="upper center", ncols=2)
    return ax
