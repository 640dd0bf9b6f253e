"""Lagged scatter: reports in month t + lag against an indicator in month t."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

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
        Label the points of months with an observation of ``x`` with their month
        t (``t = YYYY-MM``, the indicator's month; the count is from month
        t + ``lag``).
    ax
        Axes to draw on; a new report-sized figure when None.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Which months had an observation comes from the panel's ``<x>_observed``
    and ``<x>_derived`` columns (see :func:`cftf_analysis.tables.lagged_pairs`).
    Filled circles: months an observation of the indicator touches (a figure
    for a period, such as a quarter's average, touches each of its months);
    filled squares: months whose observation is a level derived from a
    reported change; open grey circles: months between observations. The
    value of a month between observations is not an observation: it comes
    from the model (the latent series' posterior median) or the interpolation
    between the observations, and consecutive ones lie on a smooth curve or a
    straight line. Open circles are drawn on top of the filled markers with a
    transparent face, so a filled marker never hides one. The legend sits
    above the axes, off the data; month labels are kept inside the axes and
    off each other and the markers.

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
            (reported, "o", OKABE_ITO["blue"], "black", "Month with an observation",
             "reported", 2.0),
            (derived, "s", OKABE_ITO["vermillion"], "black", "Month with a derived level",
             "derived", 2.1),
            (~observed, "o", "none", "#666666", "Month between observations", "between", 2.2),
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
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), borderaxespad=0)
        if annotate and observed.any():
            months = [f"t = {m:%Y-%m}" for m in pairs.loc[observed, "month_x"]]
            _label_points(ax, xs[observed], ys[observed], months, obstacles=(xs, ys))
    return ax


# label offsets tried in turn (points, alignment): right-up, right-down, left-up,
# left-down, above, below, right, left; then further out, for crowded points
_OFFSETS = (
    (4, 3, "left", "bottom"),
    (4, -3, "left", "top"),
    (-4, 3, "right", "bottom"),
    (-4, -3, "right", "top"),
    (0, 6, "center", "bottom"),
    (0, -6, "center", "top"),
    (6, 0, "left", "center"),
    (-6, 0, "right", "center"),
    (4, 10, "left", "bottom"),
    (4, -10, "left", "top"),
    (-4, 10, "right", "bottom"),
    (-4, -10, "right", "top"),
    (0, 16, "center", "bottom"),
    (0, -16, "center", "top"),
)
#: The first offsets of ``_OFFSETS`` are next to the point; a label placed
#: further out gets a leader line to its point.
N_NEAR_OFFSETS = 8


def _label_points(
    ax: Axes,
    xs: np.ndarray,
    ys: np.ndarray,
    labels: list[str],
    *,
    obstacles: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Annotate points; each label's offset is chosen when the figure is drawn.

    The labels are ordinary annotations (in ``ax.texts``); a
    ``_LabelPlacer`` drawn before them moves each to the first offset of
    ``_OFFSETS`` whose text box (measured by the renderer) overlaps no
    label placed before it, lies inside the axes and covers no marker (of the
    other labelled points and of ``obstacles``, the other points drawn), in
    that order of importance; when every offset overlaps a label, the one
    overlapping least. A label placed beyond the first
    :data:`N_NEAR_OFFSETS` offsets gets a thin leader line to its point.
    Placing at draw time uses the axes' final size, whatever the layout engine
    does to the figure after this call.
    """
    dx, dy, ha, va = _OFFSETS[0]
    notes = []
    for text, x, y in zip(labels, xs, ys, strict=True):
        note = ax.annotate(
            text,
            (x, y),
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=6,
            color="#333333",
            # a leader line, shown only when the label has to sit further out
            arrowprops={
                "arrowstyle": "-",
                "color": "#999999",
                "linewidth": 0.5,
                "shrinkA": 0.5,
                "shrinkB": 3.0,
            },
        )
        note.arrow_patch.set_visible(False)
        notes.append(note)
    points = np.column_stack([xs, ys])
    if obstacles is not None:
        points = np.vstack([points, np.column_stack(obstacles)])
    ax.add_artist(_LabelPlacer(notes, points))


class _LabelPlacer(Artist):
    """Draws nothing; moves its annotations to free offsets just before they are drawn."""

    #: Half the side of a marker's box, points (the markers are 5.5 pt wide).
    MARKER_PT = 2.75
    #: Space kept between two labels, points.
    MARGIN_PT = 1.0

    def __init__(self, notes: list, points: np.ndarray) -> None:
        super().__init__()
        self.notes = notes
        self.points = points
        self.set_zorder(0)  # before the texts (zorder 3)
        self.set_in_layout(False)

    def draw(self, renderer) -> None:
        if not self.get_visible() or not self.notes:
            return
        ax = self.axes
        frame = ax.get_window_extent(renderer)
        pt = renderer.points_to_pixels(1.0)
        half = self.MARKER_PT * pt
        centres = ax.transData.transform(self.points)
        markers = [Bbox.from_extents(x - half, y - half, x + half, y + half) for x, y in centres]
        # every label's box at every offset, and whether it is inside and covers no marker
        options = []
        for k, note in enumerate(self.notes):
            others = markers[:k] + markers[k + 1 :]  # its own point is next to it by design
            boxes = []
            for offset in _OFFSETS:
                _move(note, offset)
                note.update_positions(renderer)
                box = Text.get_window_extent(note, renderer)  # the text, without its leader
                inside = frame.containsx(box.x0) and frame.containsx(box.x1)
                inside &= frame.containsy(box.y0) and frame.containsy(box.y1)
                uncovered = not any(box.overlaps(other) for other in others)
                boxes.append((box, inside, uncovered))
            options.append(boxes)
        # place greedily in a few orders and keep the best arrangement
        n = len(self.notes)
        orders = [
            list(range(n)),
            list(range(n))[::-1],
            list(np.argsort(centres[:n, 0], kind="stable")),
            list(np.argsort(-centres[:n, 0], kind="stable")),
            list(np.argsort(centres[:n, 1], kind="stable")),
            list(np.argsort(-centres[:n, 1], kind="stable")),
        ]
        best = min(
            (self._greedy(options, order, self.MARGIN_PT * pt) for order in orders),
            key=lambda result: result[0],
        )
        for note, choice in zip(self.notes, best[1], strict=True):
            _move(note, _OFFSETS[choice])
            note.arrow_patch.set_visible(choice >= N_NEAR_OFFSETS)
        self.stale = False

    @staticmethod
    def _greedy(options: list, order: list, margin: float) -> tuple[tuple, list[int]]:
        """Each label in ``order`` at its best offset; (the arrangement's cost, offsets)."""
        placed: list[Bbox] = []
        chosen = [0] * len(options)
        cost = [0.0, 0, 0, 0, 0]  # label overlap, outside, covering, leaders, offset ranks
        for k in order:
            ranked = []
            for i, (box, inside, uncovered) in enumerate(options[k]):
                crowded = sum(_shared_area(box.padded(margin), other) for other in placed)
                ranked.append(((crowded > 0, not inside, not uncovered, crowded, i), box))
            (_, outside, covering, crowded, i), box = min(ranked, key=lambda r: r[0])
            chosen[k] = i
            placed.append(box)
            cost = [
                cost[0] + crowded,
                cost[1] + outside,
                cost[2] + covering,
                cost[3] + (i >= N_NEAR_OFFSETS),
                cost[4] + i,
            ]
        return tuple(cost), chosen


def _move(note: Annotation, offset: tuple) -> None:
    dx, dy, ha, va = offset
    note.xyann = (dx, dy)
    note.set_horizontalalignment(ha)
    note.set_verticalalignment(va)


def _shared_area(a: Bbox, b: Bbox) -> float:
    """Area two boxes share (0 when they do not overlap)."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(width, 0.0) * max(height, 0.0)
