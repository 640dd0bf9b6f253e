"""One row per finding: the columns of :func:`~cftf_analysis.association_summary`.

A battery step (:mod:`cftf_analysis.stats.battery`) turns each test it runs
into rows with :data:`FINDING_COLUMNS`; :func:`finding_row` builds one row
(missing columns become ``NaN``) and :func:`caveat` the plain-language caveat
every row carries. :data:`SCALES` and :func:`scaled` put panel covariates on
steps that read well as rate ratios; :func:`indicator_window` keeps the months
where an indicator is known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FINDING_COLUMNS",
    "MIN_OBSERVED_POINTS",
    "REPORTING_CAVEAT",
    "SCALES",
    "caveat",
    "finding_frame",
    "finding_row",
    "indicator_window",
    "scaled",
]

#: Columns of :func:`~cftf_analysis.association_summary`, in order.
FINDING_COLUMNS: list[str] = [
    "finding",
    "method",
    "indicator",
    "lag",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "n_obs",
    "n_observed_points",
    "caveat",
]

#: Panel covariates are rescaled so that rate ratios read per a meaningful step:
#: column -> (scaled column, divisor, unit of one step).
SCALES: dict[str, tuple[str, float, str]] = {
    "revenue_total": ("revenue_usd10m", 1e7, "USD 10 million per month"),
    "territory": ("territory_10k_km2", 1e4, "10,000 km2"),
}

#: Fewer reported indicator points than this makes a finding descriptive only.
MIN_OBSERVED_POINTS = 8
#: Appended to every caveat: what the monthly counts measure.
REPORTING_CAVEAT = (
    "counts are of published, found reports (search over-represents 2016 and Westerners)"
)


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
    >>> finding_frame([finding_row(finding="toy")]).shape
    (1, 12)
    """
    return pd.DataFrame(list(rows), columns=FINDING_COLUMNS)


def caveat(n_points: float | None, extra: Sequence[str] = ()) -> str:
    """The caveat of a finding: ``extra`` notes, a sparse-indicator warning, the reporting note.

    Examples
    --------
    >>> caveat(6, ["estimate is the F statistic"]).split("; ")[:2]
    ['only 6 observed indicator points (months between them are interpolated): treat as descriptive', 'estimate is the F statistic']
    """  # noqa: E501
    notes = list(extra)
    if n_points is not None and np.isfinite(n_points) and n_points < MIN_OBSERVED_POINTS:
        notes.insert(
            0,
            f"only {int(n_points)} observed indicator points (months between them are "
            "interpolated): treat as descriptive",
        )
    notes.append(REPORTING_CAVEAT)
    return "; ".join(notes)


def scaled(panel: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``panel`` with the :data:`SCALES` columns added where their source exists.

    Examples
    --------
    >>> scaled(pd.DataFrame({"territory": [90_800.0]}))["territory_10k_km2"].tolist()
    [9.08]
    """
    out = panel.copy()
    for col, (name, divisor, _) in SCALES.items():
        if col in out.columns:
            out[name] = out[col] / divisor
    return out


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
