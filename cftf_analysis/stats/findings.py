"""One row per finding: the columns of :func:`~cftf_analysis.association_summary`.

A battery step (:mod:`cftf_analysis.stats.battery`) turns each test it runs
into rows with :data:`FINDING_COLUMNS`; :func:`finding_row` builds one row
(missing columns become ``NaN``) and :func:`caveat` the plain-language caveat
every row carries. :data:`UNIT_SCALES` and :func:`scale_of` put panel
covariates on steps that read well as rate ratios (per USD 10 million a month,
per 10,000 km2); :func:`indicator_window` keeps the months where an indicator
is known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "FINDING_COLUMNS",
    "MIN_OBSERVED_POINTS",
    "REPORTING_CAVEAT",
    "UNIT_SCALES",
    "Scale",
    "caveat",
    "finding_frame",
    "finding_row",
    "indicator_window",
    "plain_reading",
    "scale_of",
]

#: Columns of :func:`~cftf_analysis.association_summary`, in order.
FINDING_COLUMNS: list[str] = [
    "finding",
    "method",
    "indicator",
    "lag",
    "lag_kind",
    "estimate",
    "estimate_kind",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "p_battery",
    "n_obs",
    "n_observed_points",
    "draws_q025",
    "draws_q975",
    "share_significant",
    "influential",
    "estimate_without",
    "p_without",
    "mde",
    "caveat",
]


class Scale(NamedTuple):
    """How a covariate in one canonical unit is rescaled: ``column / divisor`` per ``step``."""

    divisor: float
    step: str
    suffix: str


#: Canonical unit -> the step a rate ratio is read per (one unit of the scaled column).
UNIT_SCALES: dict[str, Scale] = {
    "USD per month": Scale(1e7, "USD 10 million per month", "usd10m"),
    "USD": Scale(1e8, "USD 100 million", "usd100m"),
    "km2": Scale(1e4, "10,000 km2", "10k_km2"),
    "people": Scale(1e5, "100,000 people", "100k_people"),
    "barrels per day": Scale(1e4, "10,000 barrels per day", "10k_bpd"),
    "fighters": Scale(1e3, "1,000 fighters", "1k_fighters"),
    "fighters per month": Scale(1e2, "100 fighters per month", "100_fighters_pm"),
    "count": Scale(1.0, "1 (count)", "count"),
    "percent of total": Scale(10.0, "10 percentage points", "10pp"),
    "percent of territory": Scale(10.0, "10 percentage points", "10pp"),
}

#: Fewer reported indicator points than this makes a finding descriptive only.
MIN_OBSERVED_POINTS = 8
#: Appended to every caveat by default: what the monthly counts measure (a case file's
#: ``[caveats] reporting`` replaces it).
REPORTING_CAVEAT = "counts are of published, found reports"


def scale_of(unit: str) -> Scale:
    """The :class:`Scale` of a canonical unit (unknown units are used as they are).

    Examples
    --------
    >>> scale_of("km2")
    Scale(divisor=10000.0, step='10,000 km2', suffix='10k_km2')
    >>> scale_of("goats")
    Scale(divisor=1.0, step='1 goats', suffix='x1')
    """
    return UNIT_SCALES.get(unit, Scale(1.0, f"1 {unit}", "x1"))


def finding_row(**values: Any) -> dict[str, Any]:
    """One finding as a dict with every column of :data:`FINDING_COLUMNS` (missing: NaN).

    Examples
    --------
    >>> row = finding_row(finding="toy", estimate=1.5)
    >>> list(row) == FINDING_COLUMNS, row["estimate"], bool(np.isnan(row["p_value"]))
    (True, 1.5, True)
    """
    unknown = set(values) - set(FINDING_COLUMNS)
    if unknown:
        raise KeyError(f"not finding columns: {sorted(unknown)}")
    return {col: values.get(col, np.nan) for col in FINDING_COLUMNS}


def finding_frame(rows: Iterable[Mapping[str, Any]] = ()) -> pd.DataFrame:
    """Findings as a frame with exactly :data:`FINDING_COLUMNS` (an empty frame for none).

    Examples
    --------
    >>> finding_frame([finding_row(finding="toy")]).shape == (1, len(FINDING_COLUMNS))
    True
    """
    return pd.DataFrame(list(rows), columns=FINDING_COLUMNS)


def caveat(
    n_points: float | None, extra: Sequence[str] = (), reporting: str = REPORTING_CAVEAT
) -> str:
    """The caveat of a finding: ``extra`` notes, a sparse-indicator warning, the reporting note.

    Examples
    --------
    >>> caveat(6, ["estimate is the F statistic"]).split("; ")[:2]
    ['only 6 observations of the indicator: treat as descriptive', 'estimate is the F statistic']
    """
    notes = list(extra)
    if n_points is not None and np.isfinite(n_points) and n_points < MIN_OBSERVED_POINTS:
        notes.insert(
            0,
            f"only {int(n_points)} observations of the indicator: treat as descriptive",
        )
    notes.append(reporting)
    return "; ".join(notes)


def indicator_window(
    panel: pd.DataFrame, indicator: str, exposure: str | None = None
) -> pd.DataFrame:
    """The months where ``indicator`` (and ``exposure``, if given, positive) is known.

    Examples
    --------
    >>> panel = pd.DataFrame({"x": [np.nan, 1.0, 2.0], "e": [1.0, 0.0, 3.0]})
    >>> len(indicator_window(panel, "x")), len(indicator_window(panel, "x", "e"))
    (2, 1)
    """
    keep = panel[indicator].notna()
    if exposure is not None:
        keep &= panel[exposure].notna() & (panel[exposure] > 0)
    return panel[keep].reset_index(drop=True)


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _p_words(p: float, alpha: float) -> str:
    shown = "< 0.001" if p < 0.001 else f"= {p:.2g}"
    if p < alpha:
        return f"p {shown}: unlikely to arise by chance alone at the {alpha:g} level"
    return (
        f"p {shown}: not distinguishable from chance at the {alpha:g} level "
        "(which is not evidence that there is no association)"
    )


#: What an estimate of each ``estimate_kind`` is, in plain words (``{e}`` is the estimate,
#: ``{per}`` the period of the counts a change point or event finding ran on).
_KIND_WORDS: dict[str, str] = {
    "rate ratio": (
        "a rate ratio of {e}: the monthly count is multiplied by {e} for each step named "
        "in the finding (1 means no change, below 1 fewer, above 1 more)"
    ),
    "correlation": (
        "a correlation of {e}: how closely the two monthly series move together after "
        "each month's predictable part is removed (0 none, -1 or +1 in lockstep)"
    ),
    "F": (
        "an F statistic of {e}: whether past months of one series help predict the other "
        "(a lead in time, not proof of cause)"
    ),
    "ratio of means": (
        "a ratio of means of {e}: the average {per}ly count after the break divided by the "
        "average before"
    ),
    "odds ratio": (
        "an odds ratio of {e}: the odds that a report cites the motive in the later period "
        "divided by the odds in the earlier one"
    ),
    "number of breaks": "{e} break(s) in the level of the {per}ly count",
}
#: A rate ratio of an event's level change (an interrupted time series), in plain words.
_EVENT_WORDS = (
    "a rate ratio of {e}: after the event, {per}ly reports are {e} times what the trend "
    "before it predicts (1 means no change)"
)


def plain_reading(row: Mapping[str, Any], alpha: float = 0.05, period: str = "month") -> str:
    """One finding (a row of :data:`FINDING_COLUMNS`) in words a policy reader understands.

    Says what the estimate is (from ``estimate_kind``), its 95% interval, the
    p-value that decides it (family-adjusted where there is one, otherwise the
    raw p) and what it means at ``alpha``, the battery-wide p-value, the
    observation the conclusion depends on (``influential`` with ``p_without``)
    and, where the finding has one, its minimum detectable effect (``mde``).
    ``period`` (``"month"`` or ``"quarter"``) is the period of the counts that
    change points and event effects ran on; indicator findings are monthly.

    Examples
    --------
    >>> row = finding_row(finding="toy", estimate=0.5, estimate_kind="rate ratio",
    ...                   ci_low=0.3, ci_high=0.9, p_value=0.01, p_battery=0.04)
    >>> text = plain_reading(row)
    >>> text.startswith("a rate ratio of 0.5:"), "95% interval 0.3 to 0.9" in text
    (True, True)
    >>> "p = 0.01: unlikely to arise by chance" in text, text.endswith("report p = 0.04.")
    (True, True)
    """
    parts: list[str] = []
    est = row.get("estimate", np.nan)
    kind = row.get("estimate_kind")
    finding = str(row.get("finding", ""))
    if kind == "rate ratio" and "level change" in finding and pd.notna(est):
        parts.append(_EVENT_WORDS.format(e=_number(float(est)), per=period))
    elif isinstance(kind, str) and kind in _KIND_WORDS and pd.notna(est):
        parts.append(_KIND_WORDS[kind].format(e=_number(float(est)), per=period))
    elif pd.notna(est):
        parts.append(f"estimate {_number(float(est))}")
    lo, hi = row.get("ci_low", np.nan), row.get("ci_high", np.nan)
    if pd.notna(lo) and pd.notna(hi):
        parts.append(f"95% interval {_number(float(lo))} to {_number(float(hi))}")
    adjusted = row.get("p_adjusted", np.nan)
    p = adjusted if pd.notna(adjusted) else row.get("p_value", np.nan)
    if pd.notna(p):
        parts.append(_p_words(float(p), alpha))
    battery = row.get("p_battery", np.nan)
    if pd.notna(battery):
        parts.append(
            f"across the whole report p {'< 0.001' if battery < 0.001 else f'= {battery:.2g}'}"
        )
    who, p_without = row.get("influential"), row.get("p_without", np.nan)
    if isinstance(who, str) and who and pd.notna(p_without) and pd.notna(p):
        if (p < alpha) != (p_without < alpha):
            parts.append(f"the conclusion depends on {who}: without it p = {p_without:.2g}")
    mde = row.get("mde", np.nan)
    if pd.notna(mde) and kind in ("rate ratio", "correlation"):
        what = "rate ratio" if kind == "rate ratio" else "correlation"
        parts.append(
            f"the smallest {what} these data would detect 80% of the time is {_number(float(mde))}"
        )
    if not parts:
        return "no estimate."
    return "; ".join(parts) + "."
