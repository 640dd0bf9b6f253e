"""Share of defection reports citing each motive, by period, with the counts behind it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from cftf_analysis.errors import ArgumentError
from cftf_analysis.figures._common import axes_or_new, format_year_axis, require_columns
from cftf_analysis.figures.theme import LINESTYLES, MARKERS, PALETTE, SOURCE_REPORTS

__all__ = ["MOTIVE_LABELS", "plot_motive_shares"]

#: How motive codes are written on figures.
MOTIVE_LABELS: dict[str, str] = {
    "financial": "Financial (pay, money)",
    "corruption": "Corruption, hypocrisy",
    "violence": "Violence, brutality",
    "ideology": "Ideology, religion",
    "living_conditions": "Living conditions",
    "joined_for_money": "Joined for money",
}


def plot_motive_shares(
    data: pd.DataFrame,
    *,
    motives: Sequence[str] | None = None,
    min_reports: int = 5,
    highlight: str | None = "financial",
    ax: Axes | None = None,
    source: str | None = SOURCE_REPORTS,
) -> Axes:
    """Share of reports citing each motive per period, with the number of reports shown.

    Parameters
    ----------
    data
        :func:`cftf_analysis.tables.motive_shares` output (``period``,
        ``motive``, ``n_reports``, ``n_citing``, ``share``, and ``ci_low``,
        ``ci_high`` for the interval band).
    motives
        Motives to draw, in this order; default every motive in ``data``.
    min_reports
        Periods with fewer reports get no share point (the line is broken
        there), because a share of one to four reports swings between 0 and
        100%; their report count is still printed.
    highlight
        The motive the question is about: drawn last (on top of the others,
        which it would otherwise disappear under where shares coincide, e.g.
        at 0%), thicker, first in the legend, and with its interval
        (``ci_low``-``ci_high``) as a band. Ignored when not among the
        motives drawn; None highlights none.
    ax
        Axes to draw on; a new report-sized figure when None.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Each motive has its own colour, marker and line style, so the lines can be
    told apart in greyscale. Points are drawn at the middle of each period.
    The number of reports in each period (the denominator of every share) is
    printed along the top of the axes. Motive flags are lower bounds, so
    shares are lower bounds too. The band is the Wilson interval of
    :func:`cftf_analysis.tables.motive_shares`; with 5 to 20 reports a period
    it is wide (0 of 5 reports is compatible with a share of up to 43%), and
    the other motives' shares are as uncertain as the highlighted one's.

    Examples
    --------
    >>> import cftf_analysis as cftf, matplotlib.pyplot as plt
    >>> from cftf_analysis.tables import motive_shares
    >>> shares = motive_shares(cftf.load_reports(), freq="6MS")
    >>> fig, ax = plt.subplots()
    >>> plot_motive_shares(shares, ax=ax) is ax
    True
    >>> len(ax.lines)
    5
    >>> ax.lines[-1].get_label()
    'Financial (pay, money)'
    >>> plt.close(fig)
    """
    require_columns(data, ["period", "motive", "n_reports", "n_citing", "share"])
    present = list(dict.fromkeys(data["motive"].astype(str)))
    motives = present if motives is None else list(motives)
    unknown = [m for m in motives if m not in present]
    if unknown:
        raise ArgumentError(f"motive(s) not in data: {', '.join(unknown)}")
    if min_reports < 0:
        raise ArgumentError(f"min_reports must be >= 0, got {min_reports}")
    periods = pd.DatetimeIndex(sorted(pd.to_datetime(data["period"]).unique()))
    if len(periods) > 1:
        step = periods[1:] - periods[:-1]
        half = pd.Timedelta(step.min()) / 2
    else:
        half = pd.Timedelta(days=15)
    focus = highlight if highlight in motives else None
    conf = data.attrs.get("conf_level")
    level = f"{100 * float(conf):g}% interval (Wilson)" if conf else "interval (Wilson)"
    order = [m for m in motives if m != focus] + ([focus] if focus else [])
    with axes_or_new(ax, height=3.2, source=source) as ax:
        handles = {}
        for motive in order:
            i = motives.index(motive)
            rows = data[data["motive"].astype(str) == motive].sort_values("period")
            x = (pd.to_datetime(rows["period"]) + half).to_numpy()
            few = rows["n_reports"].to_numpy() < max(min_reports, 1)
            share = rows["share"].to_numpy(dtype=float) * 100
            share[few] = np.nan
            top = motive == focus
            (line,) = ax.plot(
                x,
                share,
                color=PALETTE[i % len(PALETTE)],
                marker=MARKERS[i % len(MARKERS)],
                linestyle=LINESTYLES[i % len(LINESTYLES)],
                markersize=5 if top else 3.5,
                linewidth=2.0 if top else 0.9,
                markeredgecolor="black" if top else PALETTE[i % len(PALETTE)],
                markeredgewidth=0.6 if top else 0.5,
                zorder=4 if top else 2,
                # shares lie in [0, 100]: markers at 0% are drawn whole, over the axis
                clip_on=False,
                label=MOTIVE_LABELS.get(motive, motive),
                gid=f"share-{motive}",
            )
            handles[motive] = line
            if top and {"ci_low", "ci_high"} <= set(rows.columns):
                low = rows["ci_low"].to_numpy(dtype=float) * 100
                high = rows["ci_high"].to_numpy(dtype=float) * 100
                low[few], high[few] = np.nan, np.nan
                band = ax.fill_between(
                    x,
                    low,
                    high,
                    color=PALETTE[i % len(PALETTE)],
                    alpha=0.15,
                    linewidth=0,
                    zorder=1,
                    gid=f"interval-{motive}",
                    label=f"{MOTIVE_LABELS.get(motive, motive).split(' (')[0]}: {level}",
                )
                handles["_band"] = band
        totals = data.drop_duplicates("period").set_index("period")["n_reports"]
        for period, n in totals.items():
            ax.text(
                pd.Timestamp(period) + half,
                1.0,
                str(int(n)),
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=6,
                color="#444444",
            )
        ax.text(
            0.0,
            1.07,
            f"Reports per period (no share drawn below {min_reports}):",
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=6,
            color="#444444",
        )
        ax.set_ylim(0, 100)
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.set_ylabel("Share of reports citing the motive")
        ax.set_xlim(periods.min(), periods.max() + 2 * half)
        format_year_axis(ax)
        ax.set_xlabel("Publication date")
        ordered = [
            handles[m] for m in ([focus] if focus else []) + [m for m in motives if m != focus]
        ]
        if "_band" in handles:
            ordered.append(handles["_band"])
        ax.legend(
            handles=ordered, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="Motive cited"
        )
    return ax
