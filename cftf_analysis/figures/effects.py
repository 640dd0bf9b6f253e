"""Count-model effects as incidence-rate ratios with confidence intervals."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from cftf_analysis.errors import ArgumentError
from cftf_analysis.figures._common import axes_or_new, require_columns
from cftf_analysis.figures.theme import OKABE_ITO, SOURCE_ALL, series_display

__all__ = ["plot_rate_ratios", "term_label"]

_LAGGED = re.compile(r"^(?P<name>.+)_lag(?P<lag>\d+)$")


def term_label(term: str) -> str:
    """Readable name of a count-model term (``revenue_total_lag3`` -> ``Revenue, lag 3 months``).

    Examples
    --------
    >>> term_label("revenue_total_lag3"), term_label("trend"), term_label("sin1")
    ('Revenue, lag 3 months', 'Trend (per month)', 'sin1')
    """
    if term == "trend":
        return "Trend (per month)"
    match = _LAGGED.match(term)
    if match is None:
        return term
    lag = int(match["lag"])
    name = series_display(match["name"])[0]
    return f"{name}, lag {lag} month{'s' if lag != 1 else ''}"


def plot_rate_ratios(
    data: pd.DataFrame,
    *,
    terms: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    drop_intercept: bool = True,
    annotate: bool = True,
    ax: Axes | None = None,
    source: str | None = SOURCE_ALL,
) -> Axes:
    """Coefficient plot of incidence-rate ratios with intervals, log x axis, line at 1.

    Parameters
    ----------
    data
        ``CountModelResult.tidy()`` from :func:`cftf_analysis.fit_count_model`
        (``term``, ``irr``, ``irr_low``, ``irr_high``).
    terms
        Terms to show, top to bottom; default every term in table order.
    labels
        Term -> label; terms not listed use :func:`term_label`.
    drop_intercept
        Leave out the intercept (a baseline rate, not a ratio) when ``terms``
        is None.
    annotate
        Print ``IRR [low, high]`` beside each row.
    ax
        Axes to draw on; a new report-sized figure when None.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    An incidence-rate ratio is the factor by which the expected monthly count
    changes for one unit more of the covariate (one month for the trend), so
    its size depends on the covariate's unit: rescale covariates (e.g. revenue
    in USD million) before fitting to get readable ratios.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> tidy = pd.DataFrame({"term": ["intercept", "revenue_total_lag3", "trend"],
    ...                      "irr": [2.0, 0.9, 1.01], "irr_low": [1.5, 0.8, 0.99],
    ...                      "irr_high": [2.6, 1.02, 1.03]})
    >>> fig, ax = plt.subplots()
    >>> plot_rate_ratios(tidy, ax=ax) is ax
    True
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Revenue, lag 3 months', 'Trend (per month)']
    >>> plt.close(fig)
    """
    require_columns(data, ["term", "irr", "irr_low", "irr_high"])
    table = data.set_index(data["term"].astype(str))
    if terms is None:
        terms = [t for t in table.index if not (drop_intercept and t == "intercept")]
    terms = list(terms)
    missing = [t for t in terms if t not in table.index]
    if missing:
        raise ArgumentError(f"term(s) not in data: {', '.join(missing)}")
    if not terms:
        raise ArgumentError("no terms to plot")
    rows = table.loc[terms]
    irr = rows["irr"].to_numpy(dtype=float)
    low = rows["irr_low"].to_numpy(dtype=float)
    high = rows["irr_high"].to_numpy(dtype=float)
    if np.any(irr <= 0) or np.any(low <= 0) or np.any(high <= 0):
        raise ArgumentError("rate ratios and their bounds must be positive for a log axis")
    names = [(labels or {}).get(t, term_label(t)) for t in terms]
    y = np.arange(len(terms))[::-1].astype(float)
    with axes_or_new(ax, height=0.5 + 0.42 * len(terms), source=source) as ax:
        ax.axvline(1.0, color="#555555", linestyle="--", linewidth=0.9, zorder=0)
        ax.hlines(y, low, high, color=OKABE_ITO["blue"], linewidth=2.0, gid="intervals")
        ax.plot(
            irr,
            y,
            linestyle="none",
            marker="s",
            markersize=5,
            markerfacecolor="black",
            markeredgecolor="black",
            gid="estimates",
        )
        ax.set_xscale("log")
        lo, hi = float(np.min(low)), float(np.max(high))
        pad = (hi / lo) ** 0.08 if hi > lo else 1.5
        ax.set_xlim(min(lo, 1.0) / pad, max(hi, 1.0) * pad)
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_yticks(y, names)
        ax.set_ylim(-0.6, len(terms) - 0.4)
        ax.grid(True, axis="x")
        ax.grid(False, axis="y")
        ax.set_xlabel("Incidence-rate ratio per unit of the covariate (log scale; 1 = no change)")
        if annotate:
            # a secondary axis belongs to ax and counts in the layout, so the
            # numbers are never clipped at the figure edge
            right = ax.secondary_yaxis("right")
            right.set_yticks(
                y, [f"{r:.2f} [{a:.2f}, {b:.2f}]" for r, a, b in zip(irr, low, high, strict=True)]
            )
            right.tick_params(length=0, labelsize=6.5)
            right.spines["right"].set_visible(False)
            right.set_ylabel(_ci_label(data), fontsize=7)
    return ax


def _ci_label(data: pd.DataFrame) -> str:
    """``IRR [95% CI]`` when the table records its level in ``attrs["conf_level"]``."""
    level = data.attrs.get("conf_level")
    return f"IRR [{100 * float(level):g}% CI]" if level is not None else "IRR [conf. interval]"
