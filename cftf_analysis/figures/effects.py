"""Count-model effects as incidence-rate ratios with confidence intervals."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, Locator, NullFormatter, NullLocator

from cftf_analysis.errors import ArgumentError
from cftf_analysis.figures._common import axes_or_new, require_columns
from cftf_analysis.figures.theme import OKABE_ITO, SOURCE_ALL, series_display

__all__ = ["SpacedLogLocator", "plot_rate_ratios", "term_label"]

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
    groups: Mapping[str, Sequence[str]] | None = None,
    conf_level: float | None = None,
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
    groups
        Heading -> terms: rows are drawn group by group, top to bottom, each
        under its bold heading, with a thin line between groups (e.g. the
        findings apart from the adjustment terms). Overrides ``terms``.
    conf_level
        Level of the intervals, written in the column header; default
        ``data.attrs["conf_level"]`` when present.
    drop_intercept
        Leave out the intercept (a baseline rate, not a ratio) when ``terms``
        is None.
    annotate
        Print ``ratio [low, high]`` beside each row.
    ax
        Axes to draw on; a new report-sized figure when None.
    source
        Source line, used only when this function creates the figure.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    A rate ratio (incidence-rate ratio) is the factor by which the expected
    monthly count changes for one step more of the covariate, the step named
    in the row label (one month for the trend), so its size depends on the
    covariate's unit: rescale covariates (e.g. revenue in USD 10 million)
    before fitting to get readable ratios. The axis has no grid line at 1, only
    the dashed reference line; its tick labels are chosen by
    :class:`SpacedLogLocator` so that they never overlap.

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
    if groups is not None:
        terms = [t for members in groups.values() for t in members]
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
    y, headings, separators = _row_positions(terms, groups)
    n_slots = len(terms) + len(headings)
    with axes_or_new(ax, height=0.5 + 0.42 * n_slots, source=source) as ax:
        ax.axvline(1.0, color="#555555", linestyle="--", linewidth=0.9, zorder=0, gid="reference")
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
        ax.xaxis.set_major_locator(SpacedLogLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_yticks(y, names)
        top = max([*y, *(h for h, _ in headings)])
        ax.set_ylim(-0.6, top + 0.6)
        # no grid: a grid line at 1 would double the reference line
        ax.grid(False)
        for sep in separators:
            ax.axhline(sep, color="#BBBBBB", linewidth=0.6, gid="group-separator")
        for h, heading in headings:
            note = ax.annotate(
                heading,
                (0, h),
                xycoords=ax.get_yaxis_transform(),
                xytext=(-6, 0),
                textcoords="offset points",
                ha="right",
                va="center",
                fontweight="bold",
                fontsize=7,
                gid="group-heading",
            )
            # as wide as a tick label at most; the layout makes room for those
            note.set_in_layout(False)
        ax.set_xlabel(
            "Rate ratio: factor on the expected reports a month\n(log scale; 1 = no change)"
        )
        if annotate:
            # a secondary axis belongs to ax and counts in the layout, so the
            # numbers are never clipped at the figure edge
            right = ax.secondary_yaxis("right")
            right.set_yticks(
                y, [f"{r:.2f} [{a:.2f}, {b:.2f}]" for r, a, b in zip(irr, low, high, strict=True)]
            )
            right.tick_params(length=0, labelsize=6.5)
            right.spines["right"].set_visible(False)
            right.set_ylabel(_ci_label(data, conf_level), fontsize=7)
    return ax


def _row_positions(
    terms: list[str], groups: Mapping[str, Sequence[str]] | None
) -> tuple[np.ndarray, list[tuple[float, str]], list[float]]:
    """y of each term (top row highest), of each group heading, and of the lines between."""
    if groups is None:
        return np.arange(len(terms))[::-1].astype(float), [], []
    slots: list[tuple[str, str]] = []
    for heading, members in groups.items():
        slots.append(("heading", heading))
        slots.extend(("term", t) for t in members)
    n = len(slots)
    y, headings, separators = [], [], []
    for i, (kind, name) in enumerate(slots):
        pos = float(n - 1 - i)
        if kind == "heading":
            headings.append((pos, name))
            if i > 0:
                separators.append(pos + 0.5)
        else:
            y.append(pos)
    return np.asarray(y), headings, separators


class SpacedLogLocator(Locator):
    """Log-axis ticks at 1, 2, 5 (then 3, 1.5, 7) times powers of ten whose labels never overlap.

    Ticks are chosen when the axis is drawn, from its width then: 1 first (when
    in view), then powers of ten, then the other multiples, each kept only if
    its label (``f"{v:g}"``) leaves ``gap_pt`` points to every label already
    kept. Labels are judged ``em`` font sizes wide per character.

    Examples
    --------
    >>> loc = SpacedLogLocator()
    >>> [float(v) for v in loc.tick_values(0.4, 3.5, width_pt=300)]
    [0.5, 0.7, 1.0, 1.5, 2.0, 3.0]
    >>> [float(v) for v in loc.tick_values(0.004, 3.5, width_pt=150)]
    [0.01, 0.03, 0.1, 0.5, 1.0, 2.0]
    """

    #: Multiples of each power of ten, in order of preference.
    SUBS = (1.0, 2.0, 5.0, 3.0, 1.5, 7.0)

    def __init__(self, fontsize: float = 7.0, em: float = 0.62, gap_pt: float = 6.0) -> None:
        self.fontsize, self.em, self.gap_pt = fontsize, em, gap_pt

    def __call__(self) -> np.ndarray:
        vmin, vmax = self.axis.get_view_interval()
        axes = self.axis.axes
        width_pt = axes.bbox.width * 72.0 / axes.figure.dpi
        return self.tick_values(vmin, vmax, width_pt=width_pt)

    def tick_values(self, vmin: float, vmax: float, width_pt: float = 300.0) -> np.ndarray:
        lo, hi = sorted((float(vmin), float(vmax)))
        if lo <= 0 or not np.isfinite(hi) or hi <= lo:
            return np.array([])
        per_decade = width_pt / (np.log10(hi) - np.log10(lo))
        decades = range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
        candidates = [float(f"{sub * 10.0**k:.6g}") for sub in self.SUBS for k in decades]
        candidates = [v for v in candidates if lo <= v <= hi]
        kept: list[float] = []
        for v in sorted(candidates, key=lambda c: (c != 1.0, self._rank(c))):
            if all(self._apart(v, w, per_decade) for w in kept):
                kept.append(v)
        return np.array(sorted(kept))

    def _rank(self, v: float) -> tuple[int, float]:
        mantissa = float(f"{v / 10.0 ** np.floor(np.log10(v)):.6g}")
        return self.SUBS.index(mantissa), abs(np.log10(v))

    def _apart(self, a: float, b: float, per_decade: float) -> bool:
        half = 0.5 * self.em * self.fontsize * (len(f"{a:g}") + len(f"{b:g}"))
        return abs(np.log10(a) - np.log10(b)) * per_decade >= half + self.gap_pt


def _ci_label(data: pd.DataFrame, conf_level: float | None) -> str:
    """``Rate ratio [95% interval]``, the level from ``conf_level`` or ``attrs``."""
    level = conf_level if conf_level is not None else data.attrs.get("conf_level")
    if level is None:
        return "Rate ratio [confidence interval]"
    return f"Rate ratio [{100 * float(level):g}% confidence interval]"
