"""Validate a user's raw file and list every problem (used by ``cftf-analysis validate``)."""

from __future__ import annotations

import os
from typing import Literal

import pandas as pd

from cftf_analysis._io import read_table
from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.indicators import indicator_problems
from cftf_analysis.loaders import event_problems, report_problems

__all__ = ["validate_file"]

_CHECKERS = {
    "reports": report_problems,
    "indicators": indicator_problems,
    "events": event_problems,
}
_KEYS = {"reports": "report_id", "indicators": "indicator_id", "events": "event_id"}


def validate_file(
    path: str | os.PathLike[str] | pd.DataFrame,
    *,
    kind: Literal["auto", "reports", "indicators", "events"] = "auto",
) -> pd.DataFrame:
    """List every problem in a reports, indicators or events table.

    Parameters
    ----------
    path
        The file (CSV, Parquet, XLSX) or a DataFrame.
    kind
        Which format to check against; ``"auto"`` decides from the id column
        (``report_id``, ``indicator_id`` or ``event_id``).

    Returns
    -------
    pandas.DataFrame
        ``file, row, column, problem``; empty when the file is valid.

    Examples
    --------
    >>> from cftf_analysis import config
    >>> validate_file(config.EVENTS_FILE).empty
    True
    """
    if kind == "auto":
        raw, label = read_table(path)
        found = [k for k, key in _KEYS.items() if key in raw.columns]
        if len(found) != 1:
            raise DataValidationError(
                "cannot tell the kind of file: expected exactly one of the columns "
                + ", ".join(_KEYS.values()),
                file=label,
            )
        kind = found[0]  # type: ignore[assignment]
    if kind not in _CHECKERS:
        raise ArgumentError(f"kind={kind!r} is not allowed; use auto, reports, indicators, events")
    return _CHECKERS[kind](path)
