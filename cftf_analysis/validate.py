"""Validate a user's raw file and list every problem (used by ``cftf-analysis validate``)."""

from __future__ import annotations

import os

import pandas as pd

from cftf_analysis._io import read_raw
from cftf_analysis.errors import DataValidationError
from cftf_analysis.indicators import indicator_problems
from cftf_analysis.loaders import event_problems, report_problems
from cftf_analysis.options import FileKind, check_literal

__all__ = ["validate_file"]

_CHECKERS = {
    "reports": report_problems,
    "indicators": indicator_problems,
    "events": event_problems,
}
_KEYS = {"reports": "report_id", "indicators": "indicator_id", "events": "event_id"}


def _one_problem(exc: DataValidationError, label: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "file": [exc.file if exc.file is not None else label],
            "row": pd.array([exc.row], dtype="Int64"),
            "column": pd.Series([exc.column], dtype=object),
            "problem": [exc.reason],
        }
    )
    return frame


def validate_file(
    path: str | os.PathLike[str] | pd.DataFrame,
    *,
    kind: FileKind = "auto",
    sheet: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """List every problem in a reports, indicators or events table.

    Problems of the whole file (a missing or duplicated column) and of single
    cells are listed together; a file that cannot be read at all (not UTF-8,
    a ragged row, a corrupt workbook) gives one row saying why.

    Parameters
    ----------
    path
        The file (CSV, Parquet, XLSX) or a DataFrame.
    kind
        Which format to check against; ``"auto"`` decides from the id column
        (``report_id``, ``indicator_id`` or ``event_id``).
    sheet
        Excel only: the sheet to check (needed when several sheets hold data).
    encoding
        CSV only: the text encoding, when it is not UTF-8.

    Returns
    -------
    pandas.DataFrame
        ``file, row, column, problem``; empty when the file is valid.

    Raises
    ------
    ArgumentError
        For an unknown ``kind`` or ``encoding``, a ``sheet`` not in the
        workbook, or ``sheet``/``encoding`` given for a format without them.

    Examples
    --------
    >>> from cftf_analysis import config
    >>> validate_file(config.EVENTS_FILE).empty
    True
    """
    check_literal(kind, FileKind, "kind")
    label = "<DataFrame>" if isinstance(path, pd.DataFrame) else str(path)
    try:
        if kind == "auto":
            raw, problems = read_raw(path, sheet=sheet, encoding=encoding)
            found = [k for k, key in _KEYS.items() if key in raw.columns]
            if len(found) != 1:
                problems.add(
                    "cannot tell the kind of file: expected exactly one of the columns "
                    + ", ".join(_KEYS.values())
                    + " (or give the kind: reports, indicators or events)"
                )
                return problems.to_frame()
            kind = found[0]  # type: ignore[assignment]
        return _CHECKERS[kind](path, sheet=sheet, encoding=encoding)
    except DataValidationError as exc:
        return _one_problem(exc, label)
