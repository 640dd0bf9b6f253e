"""Lagged scatter: reports in month t + lag against an indicator in month t."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cftf_analysis.figures._common import axes_or_new, require_columns
from cftf_analysis.figures.theme import OKABE_ITO, SOURCE_ALL, series_display
from cftf_analysis.tables import lagged_pairs

__all__ = ["plot_lagged_scatter"]


def plot_lagged_scatter(
    data: pd.DataFrame,
    *,
    x: str,
    y: str = "n_reports",
    lag: int,
    annotate: bool = True,
    ax: Axes | None = None,
    source: str | None = SOURCE_ALL,
) -> Axes:
    """Scatter of ``y`` at month t + ``lag`` against ``x`` at month t.

    Parameters
    ----------
    data
        A monthly panel (:func:`cftf_analysis.monthly_panel`); the pairs are
        :func:`cftf_analysis.tables.lagged_pairs` of it.
    x
        Indicator column, shown in the units of
        :data:`cftf_analysis.figures.theme.SERIES_DISPLAY`.
    y
        Count column (default ``n_reports``).
    lag
        Months by which ``x`` leads ``y`` (the lag convention of
        :func:`cftf_analysis.cross_correlation`).
    annotate
        Label points where ``x`` was reported with their month t (``t = YYYY-MM``,
        the month of the indicator figure; the count is from month t + ``lag``).
    ax
        Axes to draw on; a new report-sized figure when None.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Filled circles: months where the indicator figure was reported; filled
    squares: reported as a change against a reported baseline (derived); open
    grey circles: months whose value the panel interpolated. Interpolated
    points are not independent observations: consecutive ones lie on a
    straight line between two reported figures. Open circles are drawn on top
    of the filled markers with a transparent face, so a filled marker never
    hides one. The legend sits above the axes, off the data.

    Counts can be fractional: a report dated only to a span (a quarter, a
    year) is spread over the months of the span in proportion to their days,
    as in :func:`cftf_analysis.monthly_panel`.

    Examples
    --------
    >>> import cftf_analysis as cftf, matplotlib.pyplot as plt
    >>> panel = cftf.monthly_panel(cftf.load_reports(), cftf.load_indicators())
    >>> fig, ax = plt.subplots()
    >>> plot_lagged_scatter(panel, x="revenue_total", lag=3, ax=ax) is ax
    True
    >>> plt.close(fig)
    """
    require_columns(data, ["month", x, y])
    pairs = lagged_pairs(data, x=x, y=y, lag=lag)
    x_label, divisor, unit = series_display(x)
    y_label = series_display(y)[0]
    with axes_or_new(ax, height=3.2, source=source) as ax:
        xs = pairs["x"].to_numpy(dtype=float) / divisor
        ys = pairs["y"].to_numpy(dtype=float)
        observed = pairs["x_observed"].to_numpy(dtype=bool)
        derived = pairs["x_derived"].to_numpy(dtype=bool) & observed
        reported = observed & ~derived
        kinds = [
            (reported, "o", OKABE_ITO["blue"], "black", "Indicator reported", "reported", 2.0),
            (derived, "s", OKABE_ITO["vermillion"], "black", "Derived from a reported change",
             "derived", 2.1),
            (~observed, "o", "none", "#666666", "Indicator interpolated", "interpolated", 2.2),
        ]  # fmt: skip
        for mask, marker, face, edge, label, gid, zorder in kinds:
            if mask.any():
                ax.plot(
                    xs[mask],
                    ys[mask],
                    linestyle="none",
                    marker=marker,
                    markersize=5.5,
                    markerfacecolor=face,
                    markeredgecolor=edge,
                    markeredgewidth=0.8,
                    label=f"{label} (n = {int(mask.sum())})",
                    gid=gid,
                    zorder=zorder,
                )
        month_t = "month t" if lag == 0 else f"month t {'+' if lag > 0 else '−'} {abs(lag)}"
        ax.set_xlabel(f"{x_label} in month t" + (f" ({unit})" if unit else ""))
        ax.set_ylabel(f"{y_label} in {month_t}\n(spread over months when dated to a span)")
        if ys.size:
            ax.set_ylim(0 if np.nanmin(ys) >= 0 else None, np.nanmax(ys) * 1.12 + 0.5)
        ax.grid(True, axis="both")
        if annotate and observed.any():
            months = [f"t = {m:%Y-%m}" for m in pairs.loc[observed, "month_x"]]
            _label_points(ax, xs[observed], ys[observed], months)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), borderaxespad=0)
    return ax


# label offsets tried in turn (points): right-up, right-down, left-up, left-down, above, below
_OFFSETS = (
    (4, 3, "left", "bottom"),
    (4, -3, "left", "top"),
    (-4, 3, "right", "bottom"),
    (-4, -3, "right", "top"),
    (0, 6, "center", "bottom"),
    (0, -6, "center", "top"),
)


def _label_points(ax: Axes, xs: np.ndarray, ys: np.ndarray, labels: list[str]) -> None:
    """Annotate points, choosing for each the first offset whose label box overlaps nothing.

    Boxes are estimated in points from the label length (6 pt font), so no
    renderer is needed; markers count as obstacles too.
    """
    scale = 72.0 / ax.figure.dpi
    centres = ax.transData.transform(np.column_stack([xs, ys])) * scale
    taken = [(cx - 3, cy - 3, cx + 3, cy + 3) for cx, cy in centres]
    for (cx, cy), text, x, y in zip(centres, labels, xs, ys, strict=True):
        width, height = 3.4 * len(text), 6.5
        chosen = _OFFSETS[0]
        for dx, dy, ha, va in _OFFSETS:
            x0 = cx + dx - {"left": 0, "right": width, "center": width / 2}[ha]
            y0 = cy + dy - (0 if va == "bottom" else height)
            box = (x0, y0, x0 + width, y0 + height)
            if not any(_overlap(box, other) for other in taken):
                chosen = (dx, dy, ha, va)
                taken.append(box)
                break
        dx, dy, ha, va = chosen
        ax.annotate(
            text,
            (x, y),
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=6,
            color="#333333",
        )


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
