"""Reading user tables, collecting validation problems, writing files atomically.

Internal helpers shared by the loaders and the report; not public API.

Reading (:func:`read_raw`) turns a CSV, Parquet or Excel file, or a frame, into a
frame of text cells and records every problem of the header and the cells
(duplicate or unnamed columns, control characters) in a :class:`Problems`.
What cannot be read at all (a wrong encoding, a ragged row, an unclosed quote,
a corrupt file, a workbook with several sheets and no ``sheet=``) raises
:class:`~cftf_analysis.errors.DataValidationError` at once, naming the file
and the line. Nothing is guessed: a file that is not UTF-8 is named with the
encoding it looks like, and read only when ``encoding=`` says so.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import decimal
import difflib
import io
import math
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from cftf_analysis.errors import ArgumentError, DataValidationError

Source = str | os.PathLike[str] | pd.DataFrame | None

#: A problem's place and text: (1-based data row or None, column or None, message).
Located = tuple[int | None, str | None, str]

_READERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel"}

#: Control characters a cell may not hold: C0 controls except tab, newline and
#: carriage return, DEL, and the C1 controls (which in decoded text are almost
#: always the trace of a file read in the wrong encoding).
#: (Written with escapes so that Python's re and pyarrow's RE2 read the same pattern.)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# every byte but the C0 controls (tab, newline and carriage return excepted) and DEL; C1
# controls are two bytes in UTF-8 (0xC2 0x80-0x9F)
_NOT_C0 = bytes(b for b in range(256) if not (b < 0x20 and b not in (9, 10, 13)) and b != 0x7F)
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")

# byte-order marks, longest first (the UTF-32-LE mark starts with the UTF-16-LE one)
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32-LE", "utf-32"),
    (codecs.BOM_UTF32_BE, "UTF-32-BE", "utf-32"),
    (codecs.BOM_UTF8, "UTF-8", "utf-8"),
    (codecs.BOM_UTF16_LE, "UTF-16-LE", "utf-16"),
    (codecs.BOM_UTF16_BE, "UTF-16-BE", "utf-16"),
)


def check_encoding(encoding: str | None) -> str | None:
    """Return the codec name of ``encoding`` (None stays None), or raise ArgumentError."""
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding).name
    except (LookupError, TypeError):
        raise ArgumentError(
            f"encoding={encoding!r} is not a known text encoding; use for example "
            "'utf-8', 'utf-16', 'cp1252' or 'latin-1'"
        ) from None


def _how_to_read(codec: str) -> str:
    return f"read it with encoding={codec!r} (command line: --encoding {codec})"


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _legacy_guess(data: bytes) -> str:
    """The 8-bit encoding non-UTF-8 bytes most likely are: cp1252 if they decode, else latin-1."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def _wide_guess(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when NUL bytes fill every other byte (UTF-16 without a BOM)."""
    head = data[:4096]
    if len(head) < 4 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _single_byte(codec: str) -> bool:
    """Whether ``codec`` maps each byte to one character (latin-1, cp1252...), unlike UTF-*."""
    if codecs.lookup(codec).name.startswith("utf"):
        return False
    return len(bytes(range(256)).decode(codec, errors="replace")) == 256


def decode_text(data: bytes, label: str, encoding: str | None) -> str:
    """Decode a text file's bytes; without ``encoding`` only UTF-8 (with or without BOM).

    Any other encoding is detected (byte-order marks, UTF-16 without a mark,
    cp1252/latin-1 bytes) and named in the error, with how to read it.
    """
    if encoding is None:
        for bom, name, codec in _BOMS:
            if data.startswith(bom):
                if codec == "utf-8":
                    data = data[len(bom) :]
                    break
                raise DataValidationError(
                    f"the file is {name} text (it starts with a {name} byte-order mark), "
                    f"not UTF-8; {_how_to_read(codec)}",
                    file=label,
                )
        wide = _wide_guess(data)
        if wide is not None:
            raise DataValidationError(
                f"the file looks like {wide.upper()} text without a byte-order mark (every "
                f"other byte is NUL), not UTF-8; {_how_to_read(wide)}",
                file=label,
            )
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            guess = _legacy_guess(data)
            raise DataValidationError(
                f"the file is not UTF-8: byte 0x{data[exc.start]:02X} on line "
                f"{_line_of(data, exc.start)} is not valid UTF-8; the file looks like {guess} "
                f"(Windows or ISO 8859 Western European) text; {_how_to_read(guess)}",
                file=label,
            ) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        raise DataValidationError(
            f"the file is not {encoding} text: bytes on line {line} cannot be decoded "
            f"({exc.reason}); check the encoding",
            file=label,
        ) from None
    if _single_byte(encoding) and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise DataValidationError(
                f"the file is valid UTF-8 but encoding={encoding!r} was given, which would "
                "garble its accented letters; read it without encoding=",
                file=label,
            )
    return text.removeprefix("\ufeff")


# --- CSV --------------------------------------------------------------------------------------

# A closing quote followed by more text (`"x"y`): pyarrow would drop the quotes silently.
# (The pattern starts with the quote itself, which the regex engine finds fast.)
_QUOTE_THEN_TEXT = re.compile(rb'"(?<=[^",\r\n]")(?=[^",\r\n])')


def _header_width(text: str) -> int:
    for row in csv.reader(io.StringIO(text[: 1 << 20], newline="")):
        if row:
            return len(row)
    return 0


def _arrow_csv(data: bytes, width: int, block_size: int) -> list[pd.Series]:
    import pyarrow.csv as pacsv

    names = [f"f{i}" for i in range(width)]
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names, block_size=block_size),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    # pandas' own string dtype (Arrow-backed where pyarrow is installed): vectorised checks
    return [pd.Series(table.column(i).to_pandas(), dtype="str") for i in range(width)]


def _python_csv(text: str, label: str, width: int) -> list[pd.Series]:
    """Parse strictly with the csv module, naming the line of the first structural fault."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "end of data" in str(exc):
                message = (
                    f"a quoted cell opened on line {start} is never closed (unbalanced quote "
                    "character)"
                )
            else:
                message = (
                    f"malformed quoting in the record starting on line {start} ({exc}); a "
                    "quote character may be unbalanced"
                )
            raise DataValidationError(message, file=label) from None
        if not row:
            continue  # a blank line, skipped as the fast reader does
        if len(row) != width:
            end = reader.line_num
            span = "" if end == start else f" (it runs to line {end}: a quote may be unbalanced)"
            noun = "field" if len(row) == 1 else "fields"
            raise DataValidationError(
                f"line {start} has {len(row)} {noun} but the header has {width}{span}",
                file=label,
            )
        rows.append(row)
    columns = zip(*rows, strict=True) if rows else [[] for _ in range(width)]
    return [pd.Series(list(col), dtype="str") for col in columns]


def may_hold_controls(utf8: bytes) -> bool:
    """Whether UTF-8 text may hold a control character (a fast test over the bytes)."""
    return bool(utf8.translate(None, _NOT_C0)) or _C1_UTF8.search(utf8) is not None


def _read_csv(
    path: Path, label: str, encoding: str | None
) -> tuple[list[str], list[pd.Series], bool]:
    data = path.read_bytes()
    text = decode_text(data, label, encoding)
    if not text.strip():
        raise DataValidationError("file is empty", file=label)
    utf8 = data if encoding is None and not data.startswith(codecs.BOM_UTF8) else None
    utf8 = utf8 if utf8 is not None else text.encode("utf-8")
    width = _header_width(text)
    suspicious = utf8.count(b'"') % 2 == 1 or _QUOTE_THEN_TEXT.search(utf8) is not None
    columns = None
    if not suspicious:
        block = 1 << 20
        try:
            columns = _arrow_csv(utf8, width, block)
        except pa.ArrowInvalid as exc:
            if "straddl" in str(exc):  # one record larger than a block: read in one block
                with contextlib.suppress(pa.ArrowInvalid):
                    columns = _arrow_csv(utf8, width, max(block, len(utf8) + 1))
    if columns is None:  # the slow, strict parser names the faulty line
        columns = _python_csv(text, label, width)
    header = [str(col.iloc[0]) for col in columns]
    data = [col.iloc[1:].reset_index(drop=True) for col in columns]
    return header, data, may_hold_controls(utf8)


# --- Excel ------------------------------------------------------------------------------------


class ExcelErrorValue(str):
    """An Excel error cell (``#REF!``, ``#DIV/0!`` ...), kept apart from text."""


def _sheet_rows(sheet: Any) -> list[list[Any]]:
    """The cells of a sheet, without trailing empty rows and columns."""
    with contextlib.suppress(AttributeError):
        sheet.reset_dimensions()  # read-only sheets may carry wrong dimensions
    rows = []
    for cells in sheet.iter_rows():
        row = [
            ExcelErrorValue(c.value) if getattr(c, "data_type", None) == "e" else c.value
            for c in cells
        ]
        rows.append(row)

    def filled(v: Any) -> bool:
        return v is not None and not (isinstance(v, str) and not v.strip())

    while rows and not any(filled(v) for v in rows[-1]):
        rows.pop()
    width = max((i + 1 for row in rows for i, v in enumerate(row) if filled(v)), default=0)
    return [(row + [None] * width)[:width] for row in rows]


def _read_excel(
    path: Path, label: str, sheet: str | None
) -> tuple[str, list[Any], list[list[Any]], list[Located]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML, key and value errors alike
        raise DataValidationError(f"cannot read Excel workbook ({exc})", file=label) from None
    try:
        names = list(book.sheetnames)
        listed = ", ".join(repr(n) for n in names)
        if sheet is not None:
            if sheet not in names:
                raise ArgumentError(f"sheet={sheet!r} is not in '{label}'; its sheets: {listed}")
            chosen, grid = sheet, _sheet_rows(book[sheet])
        else:
            grids = {name: _sheet_rows(book[name]) for name in names}
            filled = [name for name in names if grids[name]]
            if len(filled) > 1:
                raise DataValidationError(
                    f"the workbook has {len(filled)} sheets with data "
                    f"({', '.join(repr(n) for n in filled)}); rows are never joined across "
                    "sheets: pass sheet= with the one to read (command line: --sheet NAME)",
                    file=label,
                )
            chosen = filled[0] if filled else names[0]
            grid = grids[chosen]
    except (DataValidationError, ArgumentError):
        raise
    except Exception as exc:
        raise DataValidationError(f"cannot read Excel workbook ({exc})", file=label) from None
    finally:
        book.close()
    if len(names) > 1:
        label = f"{label} (sheet '{chosen}')"
    unsaved = _unsaved_formulas(path, chosen, grid)
    if not grid and not unsaved:
        raise DataValidationError("no data rows", file=label)
    header = grid[0] if grid else []
    rows = grid[1:]

    def column_name(c: int) -> str | None:
        return str(header[c] or "").strip() or None if c < len(header) else None

    errors: list[Located] = [
        (r + 1, column_name(c), f"Excel error value '{v}' in the cell")
        for r, row in enumerate(rows)
        for c, v in enumerate(row)
        if isinstance(v, ExcelErrorValue)
    ]
    errors += [
        (
            r if r > 0 else None,
            column_name(c),
            f"the formula '{formula}' has no saved value (the workbook was not recalculated "
            "and saved by a spreadsheet program): open and save it there, or paste values",
        )
        for r, c, formula in unsaved
    ]
    columns = [list(col) for col in zip(*rows, strict=True)] if rows else []
    return label, header, columns, errors


def _unsaved_formulas(path: Path, sheet: str, grid: list[list[Any]]) -> list[tuple[int, int, str]]:
    """(grid row, column, formula) of formula cells without a saved value.

    ``data_only`` reading gives such a cell as empty (a workbook written by a
    program, never opened in a spreadsheet, has no values for its formulas),
    so its value would be lost without a word.
    """
    import openpyxl

    found = []
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        ws = book[sheet]
        with contextlib.suppress(AttributeError):
            ws.reset_dimensions()
        for r, cells in enumerate(ws.iter_rows()):
            for c, cell in enumerate(cells):
                if getattr(cell, "data_type", None) != "f":
                    continue
                value = grid[r][c] if r < len(grid) and c < len(grid[r]) else None
                if value is None:
                    found.append((r, c, str(cell.value)))
    finally:
        book.close()
    return found


# --- cells as text ----------------------------------------------------------------------------


def value_text(value: Any) -> str:
    """One cell as text: numbers in their shortest exact form, midnight timestamps as days.

    A timestamp with a time of day keeps it (``2014-01-14 10:30:00``), so that
    the date check rejects it instead of the time being dropped silently.

    Examples
    --------
    >>> [value_text(v) for v in (80.0, 0.1 + 0.2, True, None, float("inf"))]
    ['80', '0.30000000000000004', '1', '', 'inf']
    >>> value_text(pd.Timestamp("2014-01-14")), value_text(pd.Timestamp("2014-01-14 10:30"))
    ('2014-01-14', '2014-01-14 10:30:00')
    """
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return ""
        if number.is_integer() and abs(number) < 2**53:
            return str(int(number))
        return repr(number)
    if isinstance(value, dt.datetime | np.datetime64):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, OverflowError):
            return str(value)
        if stamp is pd.NaT:
            return ""
        if stamp == stamp.normalize():
            return stamp.strftime("%Y-%m-%d")
        return stamp.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return "" if value.is_nan() else str(value)
    return str(value)


def column_text(column: pd.Series) -> pd.Series:
    """A column as text cells (``""`` for missing) of pandas' string dtype, whatever its dtype."""
    if isinstance(column.dtype, pd.StringDtype) or (
        pd.api.types.is_string_dtype(column.dtype)
        and pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")
    ):
        text = column
    else:
        text = column.astype(object).map(value_text)
    return text.astype("str").where(column.notna().to_numpy(), "")


def _unsupported(column: pa.ChunkedArray) -> bool:
    t = column.type
    return pa.types.is_nested(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t)


def _read_parquet(path: Path, label: str) -> tuple[list[str], list[Any], list[Located]]:
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path).read()  # keeps duplicated column names, unlike read_table
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataValidationError(f"cannot read Parquet file ({exc})", file=label) from None
    names, columns, bad = list(table.column_names), [], []
    for i, name in enumerate(names):
        column = table.column(i)
        if _unsupported(column):
            bad.append(
                (
                    None,
                    name,
                    f"column '{name}' holds {column.type}; expected text, numbers or dates",
                )
            )
            columns.append(pd.Series([""] * table.num_rows, dtype=object))
        else:
            columns.append(column.to_pandas())
    return names, columns, bad


@dataclass
class Problems:
    """Collects every problem found in one table before raising.

    Loaders record all problems and raise on the first (with the count of the
    rest), while ``validate`` lists them all. Rows are 1-based data rows.
    Problems in the cells of a missing column (:attr:`absent`) are not
    recorded: the column's own problem says it all, and the other columns are
    still checked.
    """

    file: str
    items: list[tuple[int | None, str | None, str]] = field(default_factory=list)
    kinds: list[type[DataValidationError]] = field(default_factory=list)
    absent: set[str] = field(default_factory=set)

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        kind: type[DataValidationError] = DataValidationError,
    ) -> None:
        if row is not None and column in self.absent:
            return
        self.items.append((row, column, message))
        self.kinds.append(kind)

    def add_rows(self, mask: pd.Series, column: str, message: str | Sequence[str]) -> None:
        """Record a problem for each True position of ``mask``.

        ``message`` is one string, or one string per flagged row.
        """
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        messages = [message] * len(positions) if isinstance(message, str) else list(message)
        for pos, msg in zip(positions, messages, strict=True):
            self.add(msg, row=int(pos) + 1, column=column)

    def _order(self) -> list[int]:
        # whole-file problems first, then by row; stable within a row
        return sorted(
            range(len(self.items)),
            key=lambda i: (self.items[i][0] is not None, self.items[i][0] or 0),
        )

    def to_frame(self) -> pd.DataFrame:
        """Every problem: ``file, row, column, problem`` (``row`` missing for the whole file)."""
        rows = [self.items[i] for i in self._order()]
        frame = pd.DataFrame(rows, columns=["row", "column", "problem"])
        frame.insert(0, "file", self.file)
        frame["row"] = frame["row"].astype("Int64")
        frame["column"] = frame["column"].astype(object)
        return frame.reset_index(drop=True)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self._order()[0]
        row, column, message = self.items[first]
        more = len(self.items) - 1
        suffix = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
        raise self.kinds[first](message + suffix, file=self.file, row=row, column=column)


# --- one frame of text, with header and cell problems -----------------------------------------


def _control_code(text: str) -> str:
    char = CONTROL_CHARACTERS.search(text)
    return f"U+{ord(char.group()):04X}" if char else "?"


def _control_problem(text: str) -> str:
    return f"the text holds a control character ({_control_code(text)}); remove it"


def _assemble(
    names: Sequence[Any], columns: Sequence[Any], problems: Problems, *, controls: bool = True
) -> pd.DataFrame:
    """Name, check and trim the columns; record header and cell problems.

    ``controls=False`` skips the search for control characters (the caller
    knows there are none).
    """
    header = ["" if n is None else str(n) for n in names]
    first: dict[str, int] = {}
    out: dict[str, pd.Series] = {}
    for i, (name, values) in enumerate(zip(header, columns, strict=True)):
        text = column_text(pd.Series(values, dtype=object) if isinstance(values, list) else values)
        text = text.reset_index(drop=True)
        trimmed = name.strip()
        if CONTROL_CHARACTERS.search(name):
            problems.add(
                f"column {i + 1}: the header holds a control character "
                f"({_control_code(name)}); remove it"
            )
            continue
        if not trimmed:
            if (text.str.strip() != "").any():
                problems.add(f"column {i + 1} has values but no header; name it or remove it")
            continue
        key = trimmed.casefold()
        if key in first:
            j = first[key]
            problems.add(
                f"duplicate column: columns {j + 1} ('{header[j]}') and {i + 1} ('{name}') "
                "have the same name once spaces are trimmed and case is ignored; keep one",
                column=header[j].strip(),
            )
            continue
        first[key] = i
        bad = text.str.contains(CONTROL_CHARACTERS.pattern, regex=True) if controls else None
        if bad is not None and bad.any():
            problems.add_rows(bad, trimmed, [_control_problem(v) for v in text[bad]])
        out[trimmed] = text.str.strip()
    return pd.DataFrame(out).reset_index(drop=True)


def read_raw(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
) -> tuple[pd.DataFrame, Problems]:
    """Read a table as text cells (``""`` for missing) and the problems of its header and cells.

    Every cell becomes text so that one validation path serves CSV, Parquet,
    Excel and in-memory frames alike; numbers keep every digit and timestamps
    at midnight become days (:func:`value_text`). Duplicate headers (exactly,
    after trimming spaces, or ignoring case), unnamed columns holding values,
    and control characters in cells are recorded in the returned
    :class:`Problems` (whose ``file`` names the source); the frame keeps the
    first of duplicated columns. What cannot be read at all raises
    :class:`DataValidationError`.

    ``encoding`` (CSV only) names the text encoding; without it only UTF-8 is
    read. ``sheet`` (Excel only) names the sheet; without it the workbook must
    have one sheet with data.
    """
    codec = check_encoding(encoding)
    if isinstance(source, pd.DataFrame):
        if sheet is not None or codec is not None:
            raise ArgumentError("sheet= and encoding= apply to files, not to a DataFrame")
        problems = Problems("<DataFrame>")
        controls = True
        names = list(source.columns)
        columns = [source.iloc[:, i] for i in range(source.shape[1])]
    else:
        path = Path(source)
        label = str(path)
        kind = _READERS.get(path.suffix.lower())
        if kind is None:
            raise DataValidationError(
                f"unsupported file type '{path.suffix or '(none)'}'; "
                f"use one of {', '.join(sorted(_READERS))}",
                file=label,
            )
        if sheet is not None and kind != "excel":
            raise ArgumentError(f"sheet={sheet!r} applies to Excel workbooks only, not '{label}'")
        if codec is not None and kind != "csv":
            raise ArgumentError(f"encoding={encoding!r} applies to CSV files only, not '{label}'")
        if not path.is_file():
            raise DataValidationError("file not found", file=label)
        if path.stat().st_size == 0:
            raise DataValidationError("file is empty", file=label)
        bad: list[Located] = []
        controls = True
        try:
            if kind == "csv":
                names, columns, controls = _read_csv(path, label, encoding)
            elif kind == "parquet":
                names, columns, bad = _read_parquet(path, label)
            else:
                label, names, columns, bad = _read_excel(path, label, sheet)
        except OSError as exc:
            raise DataValidationError(f"cannot read the file ({exc})", file=label) from None
        problems = Problems(label)
        for row, column, message in bad:
            problems.add(message, row=row, column=column)
    if not columns:
        raise DataValidationError("no columns", file=problems.file)
    frame = _assemble(names, columns, problems, controls=controls)
    if frame.shape[0] == 0:
        raise DataValidationError("no data rows", file=problems.file)
    return frame, problems


def read_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
) -> tuple[pd.DataFrame, str]:
    """Read a table as text cells and raise on any header or cell problem (see :func:`read_raw`).

    Returns the frame (with a fresh ``RangeIndex``) and a label naming where
    it came from, for error messages.
    """
    frame, problems = read_raw(source, sheet=sheet, encoding=encoding)
    problems.raise_if_any()
    return frame, problems.file


def _near_misses(frame: pd.DataFrame, known: Sequence[str]) -> dict[str, str]:
    """Absent known column -> the frame's unknown column that looks like a misspelling of it.

    A column that differs only in case, or that is close in spelling (``notes``
    for ``note``, ``categroy`` for ``category``), would otherwise be ignored
    while the known column is taken as absent: its values would be lost.
    """
    unknown = [c for c in frame.columns if c and c not in known]
    by_key = {c.casefold(): c for c in unknown}
    out = {}
    for name in known:
        if name in frame.columns:
            continue
        if name.casefold() in by_key:
            out[name] = by_key[name.casefold()]
            continue
        close = difflib.get_close_matches(name.casefold(), list(by_key), n=1, cutoff=0.8)
        if close:
            out[name] = by_key[close[0]]
    return out


def check_frame(
    raw: pd.DataFrame,
    problems: Problems,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    nonempty: Sequence[str],
    id_column: str,
) -> bool:
    """The checks every raw table shares; returns False if required columns are missing.

    Records missing required columns (naming a column that differs only in
    case), adds them and absent optional columns as empty text so that the
    other columns are still checked (problems in the added cells are not
    recorded), records an unknown column that looks like a misspelling of an
    absent optional one (its values would otherwise be ignored), empty cells
    in ``nonempty`` columns and duplicate ids.
    """
    variants = _near_misses(raw, [*required, *optional])
    missing = [c for c in required if c not in raw.columns]
    for col in missing:
        hint = (
            f" (found '{variants[col]}': is it misspelt? names are case-sensitive)"
            if col in variants
            else ""
        )
        problems.add(f"required column is missing{hint}", column=col)
        problems.absent.add(col)
        raw[col] = ""
    for col in optional:
        if col not in raw.columns:
            if col in variants:
                problems.add(
                    f"column '{variants[col]}' looks like a misspelling of '{col}' and would "
                    f"be ignored; rename it to '{col}' (names are case-sensitive)",
                    column=variants[col],
                )
            raw[col] = ""
    for col in nonempty:
        empty = raw[col] == ""
        if empty.any():
            problems.add_rows(empty, col, "value is required")
    check_unique(raw, id_column, problems)
    return not missing


def check_enum(
    frame: pd.DataFrame,
    column: str,
    allowed: Sequence[str],
    problems: Problems,
    *,
    allow_empty: bool = False,
) -> None:
    values = frame[column]
    bad = ~values.isin(allowed)
    if allow_empty:
        bad &= values != ""
    if bad.any():
        problems.add_rows(
            bad,
            column,
            [f"'{v}' is not an allowed value ({', '.join(allowed)})" for v in values[bad]],
        )


#: A number as the raw formats write it: ASCII digits, optional sign, decimals and exponent
#: (no thousands separators, no ``inf`` or ``nan``).
NUMBER_PATTERN = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"


def parse_numbers(
    frame: pd.DataFrame,
    column: str,
    problems: Problems,
    *,
    allow_empty: bool = True,
    nonnegative: bool = False,
    maximum: float | None = None,
) -> pd.Series:
    """Parse a text column into float64, recording every cell that is not a usable number.

    Only finite numbers in :data:`NUMBER_PATTERN` are accepted: ``inf``,
    ``nan``, ``1,000`` and numbers too large for a float (``1e309``) are
    problems, as are negative values (``nonnegative``) and values above
    ``maximum``. Bad cells are NaN in the result.
    """
    text = frame[column]
    given = text != ""
    form = text.str.fullmatch(NUMBER_PATTERN).fillna(False).astype(bool)
    values = pd.to_numeric(text.where(given & form), errors="coerce").astype("float64")
    bad = given & ~form
    if bad.any():
        problems.add_rows(bad, column, [f"'{v}' is not a number" for v in text[bad]])
    huge = given & form & ~np.isfinite(values.fillna(0.0))
    if huge.any():
        problems.add_rows(huge, column, [f"'{v}' is too large for a number" for v in text[huge]])
    values = values.where(~huge)
    if not allow_empty and (~given).any():
        problems.add_rows(~given, column, "value is required")
    if nonnegative and (values < 0).any():
        problems.add_rows(
            values < 0, column, [f"negative value {v:g}" for v in values[values < 0]]
        )
    if maximum is not None and (values > maximum).any():
        problems.add_rows(
            values > maximum,
            column,
            [
                f"{v:g} is above the largest allowed value, {maximum:g}"
                for v in values[values > maximum]
            ],
        )
    return values


def check_unique(frame: pd.DataFrame, column: str, problems: Problems) -> None:
    dup = frame[column].duplicated(keep="first")
    if dup.any():
        problems.add_rows(dup, column, [f"duplicate id '{v}'" for v in frame[column][dup]])


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    An interrupted or failed write never leaves a half-written ``path``. The
    temporary is created with mode 0o666 less the process umask, as ``open``
    would create ``path`` itself (``tempfile.mkstemp`` makes owner-only files).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


# A text cell a spreadsheet would evaluate: it starts (after any spaces or line breaks)
# with = + - @, or it starts with a tab or carriage return (OWASP, "CSV Injection").
_FORMULA_START = re.compile(r"[ \t\r\n]*[=+\-@]|[\t\r]")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    Text cells that start with ``=``, ``+``, ``-`` or ``@`` (after any spaces
    or line breaks), or with a tab or carriage return, get a leading
    apostrophe, as OWASP recommends against CSV injection. Numeric, boolean
    and date columns are left alone (a float ``-30`` stays a number); a text
    column holding ``-30`` is neutralised like any other text.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"t": ["=1+1", "ok"], "x": [-1.0, 2.0]}))
          t    x
    0  '=1+1 -1.0
    1    ok  2.0
    """
    out = frame.copy()
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        dtype = column.dtype
        if not (
            pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
        ):
            continue
        values = column.astype(object)
        risky = values.map(lambda v: isinstance(v, str) and _FORMULA_START.match(v) is not None)
        if risky.any():
            out.isetitem(i, values.where(~risky, "'" + values[risky].astype(str)))
    return out


def _has_carriage_return(frame: pd.DataFrame) -> bool:
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_datetime64_any_dtype(
            column.dtype
        ):
            continue
        if column.astype(object).map(lambda v: isinstance(v, str) and "\r" in v).any():
            return True
    return False


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as CSV atomically (no index, ISO dates, ``\\n`` line ends).

    Text cells a spreadsheet would run as formulas are neutralised first
    (:func:`neutralise_formulas`); Parquet outputs keep the original text.
    """
    safe = neutralise_formulas(frame)
    # A bare carriage return in a cell is not quoted when lines end in \n, and a reader
    # would split the row there: quote every cell in that (rare) case.
    quoting = csv.QUOTE_ALL if _has_carriage_return(safe) else csv.QUOTE_MINIMAL
    with atomic_path(path) as tmp:
        safe.to_csv(tmp, index=False, lineterminator="\n", date_format="%Y-%m-%d", quoting=quoting)
    return Path(path)


#: A cell that :func:`neutralise_formulas` prefixed: an apostrophe before a formula start.
_NEUTRALISED = re.compile(r"\A'(?=" + _FORMULA_START.pattern + ")")


def csv_schema(frame: pd.DataFrame) -> dict[str, Any]:
    """What :func:`read_written_csv` needs to read ``frame`` back from its CSV.

    ``{"columns": {column: dtype name}, "missing": [columns with missing values]}``;
    plain JSON, so it can be stored beside the file.

    Examples
    --------
    >>> csv_schema(pd.DataFrame({"x": [1.5, None], "t": ["a", "b"]}))["missing"]
    ['x']
    """
    return {
        "columns": {str(c): str(frame[c].dtype) for c in frame.columns},
        "missing": [str(c) for c in frame.columns if frame[c].isna().any()],
    }


def read_written_csv(path: str | os.PathLike[str], schema: dict[str, Any]) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv` back into the frame it was written from.

    ``schema`` is :func:`csv_schema` of that frame. Numbers come back bit for
    bit (the CSV holds their shortest exact form), dates and booleans with
    their dtypes, and text cells without the apostrophe that
    :func:`neutralise_formulas` put before a formula. Two things a CSV cannot
    tell apart come back one way: in a text column that had missing values an
    empty cell is missing (never ``""``), and dates are days (the CSV keeps
    no time of day).

    Raises
    ------
    DataValidationError
        When the file's columns are not the schema's.

    Examples
    --------
    >>> import tempfile
    >>> frame = pd.DataFrame({"x": [0.1 + 0.2, None], "t": ["=1+1", "ok"],
    ...                       "d": pd.to_datetime(["2016-03-01", "2017-01-01"])})
    >>> path = write_csv(frame, Path(tempfile.mkdtemp()) / "t.csv")
    >>> back = read_written_csv(path, csv_schema(frame))
    >>> back.equals(frame), back["t"].tolist()
    (True, ['=1+1', 'ok'])
    """
    text = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    columns = schema["columns"]
    if list(text.columns) != list(columns):
        raise DataValidationError(
            f"columns {list(text.columns)} are not the {list(columns)} written with it",
            file=str(path),
        )
    missing = set(schema.get("missing", ()))
    out = {c: _typed(text[c], dtype, c in missing) for c, dtype in columns.items()}
    return pd.DataFrame(out, index=pd.RangeIndex(len(text)))


def _typed(text: pd.Series, name: str, has_missing: bool) -> pd.Series:
    """One column of CSV text as the dtype ``name`` it was written from."""
    empty = text == ""
    try:
        dtype = pd.api.types.pandas_dtype(name)
    except TypeError:
        return text
    if pd.api.types.is_bool_dtype(dtype):
        values = text.map({"True": True, "False": False})
        return values.astype(dtype) if not values.isna().any() else values
    if pd.api.types.is_numeric_dtype(dtype):
        numbers = text.mask(empty, "nan").astype(object)
        if pd.api.types.is_float_dtype(dtype):
            return numbers.astype(dtype)
        return pd.Series(
            pd.array([None if e else int(t) for e, t in zip(empty, text, strict=True)], dtype),
            index=text.index,
        )
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return pd.to_datetime(text.mask(empty), format="ISO8601").astype(dtype)
    restored = text.str.replace(_NEUTRALISED, "", n=1, regex=True)
    if has_missing:
        restored = restored.mask(empty)
    return restored.astype(dtype)


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as Parquet atomically, deterministically (no pandas index)."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
    return Path(path)
