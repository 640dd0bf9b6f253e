"""Exceptions raised by :mod:`cftf_analysis`.

All errors derive from :class:`CftfError`, so callers can catch everything the
package raises on purpose with one ``except`` clause, while the subclasses say
what went wrong:

- :class:`DataValidationError`: an input file or frame breaks the documented
  format. It carries ``file``, ``row`` and ``column`` so the message names the
  exact cell. ``row`` is the 1-based data row (the header is not counted), so
  row 1 is line 2 of a CSV file.
- :class:`DateParseError`: a date string outside the date grammar.
- :class:`ArgumentError`: a function argument outside its allowed values.
- :class:`AnalysisError`: the data cannot support the requested analysis
  (too short, constant, all missing).
- :class:`OutputError`: outputs cannot be written where asked (over raw data
  or an input, into a file, a full or read-only disk, a folder another run
  holds); nothing was written and earlier outputs are intact.
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "ArgumentError",
    "CftfError",
    "DataValidationError",
    "DateParseError",
    "OutputError",
]


class CftfError(Exception):
    """Base class of every error raised on purpose by cftf_analysis."""


class ArgumentError(CftfError, ValueError):
    """An argument value is not one of the allowed values."""


class AnalysisError(CftfError, ValueError):
    """The data cannot support the requested analysis."""


class OutputError(CftfError):
    """Outputs cannot be written where asked; earlier outputs are left as they were."""


class DataValidationError(CftfError, ValueError):
    """Input data break the documented format.

    Parameters
    ----------
    message
        What is wrong, in plain words.
    file
        The file (or ``"<DataFrame>"``) the data came from.
    row
        1-based data row (header not counted); ``None`` for whole-file problems.
    column
        The column name, when one column is at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.reason = message
        self.file = file
        self.row = row
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file '{self.file}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason

    def located(
        self, *, file: str | None = None, row: int | None = None, column: str | None = None
    ) -> DataValidationError:
        """Return a copy of this error with missing location fields filled in."""
        return type(self)(
            self.reason,
            file=self.file if self.file is not None else file,
            row=self.row if self.row is not None else row,
            column=self.column if self.column is not None else column,
        )


class DateParseError(DataValidationError):
    """A date string is outside the package's date grammar."""
