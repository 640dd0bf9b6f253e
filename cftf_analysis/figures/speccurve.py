"""Specification curves: one finding under every specification, and each specification's choices.

The table comes from :func:`cftf_analysis.stats.multiverse.multiverse`; the
curve sorts the specifications by their estimate and draws each with its
interval (significant ones filled), and a matrix beneath it marks the choices
each specification made (Simonsohn, Simmons and Nelson 2020).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from cftf_analysis.errors import ArgumentError
from cftf_analysis.figures._common import require_columns
from cftf_analysis.figures.theme import (
    GREY,
    OKABE_ITO,
    PAGE_WIDTH,
    SOURCE_ALL,
    add_source,
    report_theme,
)
from cftf_analysis.options import check_fraction

__all__ = [
    "CHOICE_LABELS",
    "VALUE_LABELS",
    "plot_specification_curve",
    "specification_curve_figure",
]

#: How the matrix names each choice (the columns of the multiverse table), in its order.
CHOICE_LABELS: dict[str, str] = {
    "indicator_model": "Indicator model",
    "producer": "Producer",
    "date": "Date basis",
    "collection": "Reports",
    "max_lag": "Lag window",
    "counts": "Counts",
}
#: How the matrix names the choices' values (others are shown as they are).
VALUE_LABELS: dict[object, str] = {
    "latent": "latent model",
    "linear": "linear interpolation",
    "step": "step interpolation",
    "loglinear": "log-linear interpolation",
    "published": "publication date",
    "defection": "defection date",
    "all": "all",
    "uniform": "uniform protocol only",
    "without_leads": "without the leads",
    6: "lags 0-6 months",
    3: "lags 0-3 months",
    "n_reports": "coded reports",
    "n_articles_defection": "news articles",
}
#: Colour of the reference specification (the battery's own choices).
REFERENCE_COLOUR = OKABE_ITO["vermillion"]
#: Height of one row of the choice matrix, inches.
MATRIX_ROW = 0.105
_NEEDED = ["spec_id", "finding", "indicator", "estimate", "ci_low", "ci_high", "significant"]


def _rows(data: pd.DataFrame, finding: str, indicator: str | None) -> pd.DataFrame:
    rows = data[data["finding"].astype(str) == finding]
    if rows.empty:
        found = ", ".join(dict.fromkeys(data["finding"].astype(str)))
        raise ArgumentError(f"finding={finding!r} is not in data; it has {found}")
    indicators = list(dict.fromkeys(rows["indicator"].astype(str)))
    if indicator is None:
        if len(indicators) > 1:
            raise ArgumentError(
                f"data has {finding!r} for several indicators ({', '.join(indicators)}); "
                "choose one with indicator="
            )
        indicator = indicators[0]
    rows = rows[rows["indicator"].astype(str) == indicator]
    if rows.empty:
        raise ArgumentError(
            f"indicator={indicator!r} has no {finding!r} rows; it has {', '.join(indicators)}"
        )
    return rows


def _matrix_rows(rows: pd.DataFrame, choices: Sequence[str] | None) -> list[tuple[str, object]]:
    """(choice, value) per matrix row, top to bottom: choices that vary, values in order."""
    if choices is None:
        choices = [c for c in CHOICE_LABELS if c in rows.columns]
        choices = [c for c in choices if rows[c].dropna().nunique() > 1]
    else:
        missing = [c for c in choices if c not in rows.columns]
        if missing:
            raise ArgumentError(f"choices: {missing} are not columns of data")
    out = []
    for choice in choices:
        for value in dict.fromkeys(rows[choice].dropna().tolist()):
            out.append((choice, value))
    return out


def _value_label(value: object) -> str:
    if isinstance(value, np.integer):
        value = int(value)
    return VALUE_LABELS.get(value, str(value))  # type: ignore[arg-type]


def plot_specification_curve(
    data: pd.DataFrame,
    *,
    finding: str,
    indicator: str | None = None,
    reference: str | None = None,
    choices: Sequence[str] | None = None,
    matrix_ax: Axes | None = None,
    matrix_labels: bool = True,
    legend: bool = True,
    ax: Axes | None = None,
    source: str | None = SOURCE_ALL,
) -> Axes:
    """One finding's specification curve on ``ax``, its choice matrix beneath it.

    Parameters
    ----------
    data
        :attr:`MultiverseResult.table <cftf_analysis.stats.multiverse_result.MultiverseResult>`
        (``spec_id``, ``finding``, ``indicator``, ``estimate``, ``ci_low``,
        ``ci_high``, ``significant``, ``estimate_kind`` and the choice columns).
    finding
        ``"count_model"`` or ``"ccf"`` (a value of ``data["finding"]``).
    indicator
        The series; may be omitted when ``data`` holds the finding for one only.
    reference
        ``spec_id`` of the reference specification, drawn in colour with a
        line through the matrix; default the finding's first row (the
        multiverse lists the reference first). None of the rows: no reference.
    choices
        Choice columns in the matrix, top to bottom; default those of
        :data:`CHOICE_LABELS` that take more than one value for this finding.
    matrix_ax
        Axes for the matrix (share its x axis with ``ax``). Default: without
        ``ax``, the second row of the new figure; with ``ax``, an inset Axes
        directly beneath it (``ax.child_axes``, sized by the rows: leave room
        for it below ``ax``).
    matrix_labels
        Name the matrix rows (choice: value) on the left.
    legend
        Explain the markers above the curve.
    ax
        Axes for the curve; a new report-sized figure when None.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, with the curve: specifications sorted by estimate (x, rank)
        with their 95% intervals (cut at the axis limits, which keep every
        estimate in view), filled markers where ``significant``, a dashed line
        at no association (1 for a rate ratio on a log axis, 0 for a
        correlation).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import cftf_analysis as cftf
    >>> mv = cftf.multiverse(choices={"indicator_model": ["latent", "linear"],
    ...                               "max_lag": [6, 3]}, n_draws=20, n_null=19)
    >>> fig, (top, bottom) = plt.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    >>> plot_specification_curve(mv.table, finding="ccf", indicator="territory",
    ...                          ax=top, matrix_ax=bottom) is top
    True
    >>> [len(c.get_offsets()) for c in top.collections if type(c).__name__ == "PathCollection"]
    [4]
    >>> for label in bottom.get_yticklabels():
    ...     print(label.get_text())
    Indicator model: latent model
    linear interpolation
    Lag window: lags 0-6 months
    lags 0-3 months
    >>> plt.close(fig)
    """
    require_columns(data, _NEEDED)
    rows = _rows(data, finding, indicator)
    if reference is None:
        reference = str(rows["spec_id"].iloc[0])
    matrix = _matrix_rows(rows, choices)  # values in the table's order: the reference's first
    order = np.lexsort((rows["spec_id"].astype(str).to_numpy(), rows["estimate"].to_numpy(float)))
    rows = rows.iloc[order].reset_index(drop=True)
    ratio = "estimate_kind" in rows.columns and (rows["estimate_kind"] == "rate ratio").all()
    with _curve_axes(ax, matrix_ax, len(matrix), source) as (ax, matrix_ax):
        x = np.arange(len(rows))
        est = rows["estimate"].to_numpy(float)
        low = rows["ci_low"].to_numpy(float)
        high = rows["ci_high"].to_numpy(float)
        sig = rows["significant"].to_numpy(bool)
        is_ref = (rows["spec_id"].astype(str) == reference).to_numpy()
        null = 1.0 if ratio else 0.0
        if ratio:
            ax.set_yscale("log")
        lo_lim, hi_lim = _limits(est, low, high, ratio)
        ax.vlines(x, np.clip(low, lo_lim, hi_lim), np.clip(high, lo_lim, hi_lim),
                  color=np.where(is_ref, REFERENCE_COLOUR, GREY), linewidth=0.9,
                  gid="intervals")  # fmt: skip
        ax.axhline(null, color="black", linestyle="--", linewidth=0.7, zorder=1)
        colour = np.where(is_ref, REFERENCE_COLOUR, "black")
        ax.scatter(x, est, s=16, facecolors=np.where(sig, colour, "white"), edgecolors=colour,
                   linewidths=0.9, zorder=3, gid="estimates")  # fmt: skip
        ax.set_ylim(lo_lim, hi_lim)
        ax.set_xlim(-0.7, len(rows) - 0.3)
        ax.set_ylabel("Rate ratio" if ratio else "Correlation r")
        if ratio:
            # at least two labelled ticks, however narrow the range
            decades = np.log10(hi_lim / lo_lim)
            subs = (1.0, 2.0, 5.0) if decades < 1.2 else (1.0, 3.0) if decades < 2.5 else (1.0,)
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.tick_params(axis="x", labelbottom=False, length=0)
        ax.grid(axis="x", visible=False)
        if legend:
            # above the axes, never on the estimates
            ax.legend(handles=legend_handles(reference=bool(is_ref.any())),
                      loc="lower left", bbox_to_anchor=(0.0, 1.01), ncols=2,
                      handletextpad=0.2, borderaxespad=0.0, columnspacing=1.0)  # fmt: skip
        if matrix_ax is None:  # an Axes given without one: an inset beneath it
            height = (
                len(matrix)
                * MATRIX_ROW
                / max(ax.get_position().height * ax.figure.get_figheight(), 0.1)
            )
            matrix_ax = ax.inset_axes([0.0, -0.04 - height, 1.0, height])
            matrix_ax.set_xlim(ax.get_xlim())
        _draw_matrix(matrix_ax, rows, matrix, x, is_ref, matrix_labels)
    return ax


@contextmanager
def _curve_axes(
    ax: Axes | None, matrix_ax: Axes | None, n_matrix: int, source: str | None
) -> Iterator[tuple[Axes, Axes | None]]:
    """The curve's and the matrix's Axes: those given, or a new figure of two rows."""
    if ax is not None:
        if not isinstance(ax, Axes):
            raise ArgumentError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
        yield ax, matrix_ax
        return
    matrix_height = max(n_matrix, 1) * MATRIX_ROW + 0.25
    with report_theme():
        fig, (top, bottom) = plt.subplots(
            2, 1, sharex=True, figsize=(PAGE_WIDTH, 2.6 + matrix_height),
            height_ratios=[2.6, matrix_height], layout="constrained",
        )  # fmt: skip
        yield top, bottom
        add_source(fig, source)


def legend_handles(*, alpha: float | None = None, reference: bool = True) -> list[Line2D]:
    """The curve's legend entries: significant, not significant, the reference specification."""
    sig = "significant" if alpha is None else f"p < {alpha:g}"
    handles = [
        Line2D([], [], marker="o", linestyle="", color="black", markersize=4, label=sig),
        Line2D([], [], marker="o", linestyle="", markerfacecolor="white", color="black",
               markersize=4, label="not significant"),
        Line2D([], [], marker="|", linestyle="", color=GREY, markersize=7,
               label="95% interval"),
    ]  # fmt: skip
    if reference:
        handles.append(
            Line2D([], [], marker="o", linestyle="", color=REFERENCE_COLOUR, markersize=4,
                   label="reference specification (the report's findings' choices)")
        )  # fmt: skip
    return handles


def _limits(
    est: np.ndarray, low: np.ndarray, high: np.ndarray, ratio: bool
) -> tuple[float, float]:
    """y limits: every estimate and the null in view, intervals cut half that span beyond."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.log(est) if ratio else est
        lo_i = np.log(low) if ratio else low
        hi_i = np.log(high) if ratio else high
    first, last = min(np.nanmin(t), 0.0), max(np.nanmax(t), 0.0)
    span = max(last - first, 1.0 if ratio else 0.2)
    lo = max(np.nanmin(lo_i[np.isfinite(lo_i)], initial=first), first - span / 2)
    hi = min(np.nanmax(hi_i[np.isfinite(hi_i)], initial=last), last + span / 2)
    pad = 0.04 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    if not ratio:
        lo, hi = max(lo, -1.0), min(hi, 1.0)
        return float(lo), float(hi)
    return float(np.exp(lo)), float(np.exp(hi))


def _draw_matrix(
    ax: Axes,
    rows: pd.DataFrame,
    matrix: list[tuple[str, object]],
    x: np.ndarray,
    is_ref: np.ndarray,
    labels: bool,
) -> None:
    n = len(matrix)
    ax.set_ylim(max(n, 1) - 0.5, -0.5)  # one empty row when no choice varies
    ax.set_xlim(-0.7, len(rows) - 0.3)
    previous = None
    band = False
    for i, (choice, value) in enumerate(matrix):
        if choice != previous:
            band = not band if previous is not None else False
            previous = choice
        if band:
            ax.axhspan(i - 0.5, i + 0.5, color="#F2F2F2", zorder=0, linewidth=0)
        used = (rows[choice] == value).fillna(False).to_numpy(bool)
        ax.scatter(x[used], np.full(used.sum(), i), s=7, marker="s",
                   c=np.where(is_ref[used], REFERENCE_COLOUR, "#333333"), linewidths=0,
                   zorder=3)  # fmt: skip
    if is_ref.any():
        ax.axvline(x[is_ref][0], color=REFERENCE_COLOUR, linewidth=0.6, alpha=0.5, zorder=1)
    ax.set_yticks(range(n))
    if labels:
        names, previous = [], None
        for choice, value in matrix:
            head = f"{CHOICE_LABELS.get(choice, choice)}: " if choice != previous else ""
            names.append(head + _value_label(value))
            previous = choice
        ax.set_yticklabels(names, fontsize=6)
    else:
        ax.set_yticklabels([])
    ax.tick_params(axis="y", length=0, pad=2)
    ax.tick_params(axis="x", length=0, labelbottom=False)
    ax.grid(False)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("Specifications, sorted by estimate", fontsize=6.5, labelpad=2)


def specification_curve_figure(
    data: pd.DataFrame,
    *,
    shares: pd.DataFrame | None = None,
    labels: Mapping[str, str] | None = None,
    findings: Sequence[str] = ("count_model", "ccf"),
    alpha: float = 0.05,
    source: str | None = SOURCE_ALL,
    width: float = PAGE_WIDTH,
) -> Figure:
    """Every finding's specification curve: one row per finding, one column per indicator.

    Parameters
    ----------
    data
        :attr:`MultiverseResult.table <cftf_analysis.stats.multiverse_result.MultiverseResult>`.
    shares
        :attr:`MultiverseResult.shares`: each panel's title then says in how
        many specifications the finding holds.
    labels
        Indicator -> label for the titles (default the indicator's name).
    findings
        Findings to draw, top to bottom (those in ``data``).
    alpha
        Significance level, for the legend.
    source
        Source line at the foot; None for none.
    width
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import cftf_analysis as cftf
    >>> mv = cftf.multiverse(choices={"max_lag": [6, 3]}, n_draws=20, n_null=19)
    >>> fig = specification_curve_figure(mv.table, shares=mv.shares)
    >>> len(fig.axes)
    8
    >>> plt.close(fig)
    """
    require_columns(data, _NEEDED)
    check_fraction(alpha, "alpha")
    present = set(data["finding"].astype(str))
    rows_of = [f for f in findings if f in present]
    if not rows_of:
        raise ArgumentError(f"none of findings={list(findings)} is in data")
    indicators = list(dict.fromkeys(data["indicator"].astype(str)))
    labels = dict(labels or {})
    heights = []
    for finding in rows_of:
        n = max(len(_matrix_rows(_rows(data, finding, ind), None)) for ind in indicators
                if ((data["finding"] == finding) & (data["indicator"] == ind)).any())  # fmt: skip
        heights.append((1.45, max(n, 1) * MATRIX_ROW + 0.2))
    total = sum(a + b + 0.35 for a, b in heights) + 0.35
    with report_theme():
        fig = plt.figure(figsize=(width, total), layout="constrained")
        subs = fig.subfigures(len(rows_of), 1, height_ratios=[a + b + 0.35 for a, b in heights])
        subs = np.atleast_1d(subs)
        for r, (finding, sub) in enumerate(zip(rows_of, subs, strict=True)):
            axes = sub.subplots(2, len(indicators), sharex="col",
                                height_ratios=list(heights[r]), squeeze=False)  # fmt: skip
            # one set of matrix labels serves the row when every panel has the same matrix
            present_here = [
                ind for ind in indicators
                if ((data["finding"] == finding) & (data["indicator"] == ind)).any()
            ]  # fmt: skip
            matrices = {
                tuple(_matrix_rows(_rows(data, finding, ind), None)) for ind in present_here
            }
            for c, ind in enumerate(indicators):
                top, bottom = axes[0, c], axes[1, c]
                if not ((data["finding"] == finding) & (data["indicator"] == ind)).any():
                    top.set_visible(False)
                    bottom.set_visible(False)
                    continue
                plot_specification_curve(
                    data, finding=finding, indicator=ind, ax=top, matrix_ax=bottom,
                    matrix_labels=c == 0 or len(matrices) > 1, legend=False,
                )  # fmt: skip
                top.set_title(_title(finding, ind, labels, shares, data), loc="left",
                              fontsize=7.5)  # fmt: skip
        fig.legend(handles=legend_handles(alpha=alpha), loc="outside upper center",
                   ncols=4, handletextpad=0.2, columnspacing=1.2)  # fmt: skip
        add_source(fig, source)
    return fig


def _title(finding, indicator, labels, shares, data) -> str:
    rows = data[(data["finding"] == finding) & (data["indicator"] == indicator)]
    kind = {"count_model": "count model", "ccf": "cross-correlation"}.get(finding, finding)
    text = f"{labels.get(indicator, indicator)}, {kind}"
    if shares is None:
        return f"{text}\n{len(rows)} specifications"
    at = shares[(shares["finding"] == finding) & (shares["indicator"] == indicator)]
    if at.empty or pd.isna(at["n_holds"].iloc[0]):
        return f"{text}\n{len(rows)} specifications"
    row = at.iloc[0]
    return f"{text}\nholds in {int(row['n_holds'])} of {int(row['n_specs'])} specifications"
