"""Sensitivity: how estimates and p-values spread across plausible versions of the data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cftf_analysis.errors import ArgumentError
from cftf_analysis.figures._common import axes_or_new, require_columns
from cftf_analysis.figures.theme import (
    GREY,
    OKABE_ITO,
    PAGE_WIDTH,
    SOURCE_ALL,
    add_source,
    report_theme,
)
from cftf_analysis.options import SensitivityValue, check_fraction, check_literal

__all__ = ["plot_sensitivity", "sensitivity_figure"]

Observed = float | pd.DataFrame | None


def _findings(draws: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(draws["finding"].astype(str)))


def _observed_value(observed: Observed, finding: str, value: str) -> float | None:
    """The observed value of ``finding`` from a number, a summary or a findings table."""
    if observed is None:
        return None
    if not isinstance(observed, pd.DataFrame):
        return float(observed)
    column = f"observed_{value}" if f"observed_{value}" in observed.columns else value
    require_columns(observed, ["finding", column], "observed")
    rows = observed[observed["finding"].astype(str) == finding]
    if rows.empty:
        return None
    return float(rows[column].iloc[0])


#: Share of the draws' estimates (half in each tail) that the histogram may leave beyond
#: its axis when they would otherwise take most of it.
TAIL = 0.01


def plot_sensitivity(
    draws: pd.DataFrame,
    *,
    observed: Observed = None,
    finding: str | None = None,
    value: SensitivityValue = "estimate",
    alpha: float = 0.05,
    xlabel: str | None = None,
    legend: bool = True,
    middle: float | None = 0.95,
    ax: Axes | None = None,
    source: str | None = SOURCE_ALL,
) -> Axes:
    """Histogram of one finding's estimate (or p-value) across draws, observed value marked.

    Parameters
    ----------
    draws
        ``SensitivityResult.draws`` from :func:`cftf_analysis.sensitivity`
        (``draw``, ``finding``, ``estimate``, ``p_value``).
    observed
        The value on the data as given: a number, the ``SensitivityResult.summary``
        (``finding``, ``observed_estimate``, ``observed_p_value``) or a table
        with ``finding``, ``estimate``, ``p_value``. None draws no marker.
    finding
        Which finding to draw; may be omitted when ``draws`` holds only one.
    value
        ``"estimate"`` or ``"p_value"`` (bins of width 0.05 on [0, 1], with a
        dashed line at ``alpha``).
    alpha
        Significance level marked on p-value histograms.
    xlabel
        X axis label; default names the finding and the value.
    legend
        Draw the legend.
    middle
        Shade the middle ``middle`` share of the draws' estimates (between the
        ``(1 - middle) / 2`` and ``(1 + middle) / 2`` quantiles, numpy's
        default linear interpolation); None shades nothing. Estimates only.
    ax
        Axes to draw on; a new report-sized figure when None.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The middle 95% of the draws is not their range: with 100 draws, about five
    lie outside it. When the draws' full range is more than four times the
    range of their middle 99% (``TAIL``), the histogram shows only that
    middle 99% and a note in the corner says how many draws lie beyond the
    axis. Draws where the analysis failed (missing estimate or p-value) are
    left out; their number is in ``SensitivityResult.summary["n_failed"]``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, matplotlib.pyplot as plt
    >>> rng = np.random.default_rng(1)
    >>> draws = pd.DataFrame({"draw": range(50), "finding": "irr",
    ...                       "estimate": rng.normal(1.2, 0.1, 50),
    ...                       "p_value": rng.uniform(0, 0.2, 50)})
    >>> fig, ax = plt.subplots()
    >>> plot_sensitivity(draws, observed=1.25, ax=ax) is ax
    True
    >>> plt.close(fig)
    """
    require_columns(draws, ["draw", "finding", "estimate", "p_value"], "draws")
    check_literal(value, SensitivityValue, "value")
    found = _findings(draws)
    if finding is None:
        if len(found) != 1:
            raise ArgumentError(f"draws hold several findings; choose one: {', '.join(found)}")
        finding = found[0]
    elif finding not in found:
        raise ArgumentError(f"finding {finding!r} not in draws; have {', '.join(found)}")
    values = draws.loc[draws["finding"].astype(str) == finding, value].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ArgumentError(f"no finite {value} for finding {finding!r} in draws")
    mark = _observed_value(observed, finding, value)
    with axes_or_new(ax, height=2.4, source=source) as ax:
        if value == "p_value":
            bins = np.linspace(0.0, 1.0, 21)
        label = f"Draws (n = {values.size})"
        shown = values
        if value == "estimate":
            # a few extreme draws must not squeeze the rest into one bin: past the
            # middle 99%, the axis stops if the tails would take most of it
            lo, hi = np.quantile(values, [TAIL / 2, 1 - TAIL / 2])
            if np.ptp(values) > 4 * (hi - lo) > 0:
                shown = values[(values >= lo) & (values <= hi)]
                beyond = values.size - shown.size
                ax.text(0.99, 0.97, f"{beyond} draw{'s' * (beyond != 1)} beyond the axis",
                        transform=ax.transAxes, ha="right", va="top", fontsize="small",
                        color="0.35", gid="beyond")  # fmt: skip
            edges = np.histogram_bin_edges(shown, bins="auto")
            bins = edges if len(edges) <= 41 else np.linspace(shown.min(), shown.max(), 41)
        ax.hist(shown, bins=bins, color=GREY, edgecolor="white", linewidth=0.4, label=label)
        if value == "p_value":
            ax.axvline(
                alpha,
                color=OKABE_ITO["vermillion"],
                linestyle="--",
                linewidth=1.2,
                label=f"p = {alpha:g}",
            )
            ax.set_xlim(0, 1)
        if middle is not None and value == "estimate":
            check_fraction(middle, "middle")
            q_low, q_high = np.quantile(values, [(1 - middle) / 2, (1 + middle) / 2])
            ax.axvspan(
                q_low,
                q_high,
                color=OKABE_ITO["sky_blue"],
                alpha=0.18,
                linewidth=0,
                zorder=0,
                label=f"Middle {100 * middle:g}% of draws",
                gid="middle",
            )
        if mark is not None and np.isfinite(mark):
            ax.axvline(
                mark,
                color="black",
                linewidth=1.8,
                label=f"Estimate on the data as given: {mark:.3g}",
                gid="obs",
            )
        what = "p-value" if value == "p_value" else "Estimate"
        ax.set_xlabel(xlabel if xlabel is not None else f"{what}: {finding}")
        ax.set_ylabel("Number of draws")
        ax.set_ylim(0, ax.get_ylim()[1] * (1.3 if legend else 1.05))
        if legend:
            ax.legend(loc="upper right" if value == "p_value" else "upper left")
    return ax


def sensitivity_figure(
    draws: pd.DataFrame,
    *,
    observed: Observed = None,
    findings: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    alpha: float = 0.05,
    middle: float | None = 0.95,
    source: str | None = SOURCE_ALL,
    width: float = PAGE_WIDTH,
    observed_label: str = "Estimate on the data as given",
) -> Figure:
    """One row per finding: estimates (left) and p-values (right) across draws.

    Parameters
    ----------
    draws
        ``SensitivityResult.draws``.
    observed
        ``SensitivityResult.summary`` or a table with ``finding``, ``estimate``,
        ``p_value`` (see :func:`plot_sensitivity`).
    findings
        Findings to show, top to bottom; default all in ``draws``.
    labels
        Finding -> readable name (with its unit) for the panel title and the
        x axis of its estimate panel.
    alpha
        Significance level marked on the p-value panels.
    middle
        Share of the draws shaded on the estimate panels (see :func:`plot_sensitivity`).
    source
        Source line at the foot; None for none.
    width
        Figure width in inches.
    observed_label
        Legend entry of the black line (``observed``), for example the pooled
        estimate and the finding's p-value when the draws are a finding's joint draws.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, pandas as pd, matplotlib.pyplot as plt
    >>> rng = np.random.default_rng(1)
    >>> draws = pd.DataFrame({"draw": np.repeat(range(30), 2), "finding": ["a", "b"] * 30,
    ...                       "estimate": rng.normal(size=60), "p_value": rng.uniform(size=60)})
    >>> fig = sensitivity_figure(draws)
    >>> len(fig.axes)
    4
    >>> plt.close(fig)
    """
    require_columns(draws, ["draw", "finding", "estimate", "p_value"], "draws")
    chosen = _findings(draws) if findings is None else list(findings)
    if not chosen:
        raise ArgumentError("no findings to plot")
    labels = dict(labels or {})
    with report_theme():
        fig, axes = plt.subplots(
            len(chosen),
            2,
            figsize=(width, 0.4 + 2.0 * len(chosen)),
            layout="constrained",
            squeeze=False,
        )
        for row, finding in zip(axes, chosen, strict=True):
            for ax, value in zip(row, ("estimate", "p_value"), strict=True):
                plot_sensitivity(
                    draws,
                    observed=observed,
                    finding=finding,
                    value=value,  # type: ignore[arg-type]
                    alpha=alpha,
                    xlabel=(
                        f"{labels.get(finding, finding)} in each draw"
                        if value == "estimate"
                        else "p-value in each draw"
                    ),
                    legend=False,
                    middle=middle,
                    ax=ax,
                )
            row[0].set_title(labels.get(finding, finding).split(" (")[0], loc="left")
            row[1].set_ylabel("")
        handles = [
            Patch(facecolor=GREY, label="Plausible versions of the data (draws)"),
            *(
                [
                    Patch(
                        facecolor=OKABE_ITO["sky_blue"],
                        alpha=0.18,
                        label=f"Middle {100 * middle:g}% of draws",
                    )
                ]
                if middle is not None
                else []
            ),
            Line2D([], [], color="black", linewidth=1.8, label=observed_label),
            Line2D([], [], color=OKABE_ITO["vermillion"], linestyle="--", label=f"p = {alpha:g}"),
        ]
        fig.legend(handles=handles, loc="outside upper center", ncols=2)
        add_source(fig, source)
    return fig
