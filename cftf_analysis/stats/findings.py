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
