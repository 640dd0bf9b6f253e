"""Reading user tables, collecting validation problems, writing files atomically.

Internal helpers shared by the loaders and the report; not public API.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from cftf_analysis.errors import DataValidationError

Source = str | os.PathLike[str] | pd.DataFrame | None

_READERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel"}


def read_table(source: str | os.PathLike[str] | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Read a table as strings, with ``""`` for missing cells.

    Every cell becomes text so that one validation path serves CSV, Parquet,
    Excel and in-memory frames alike. Returns the frame (with a fresh
    ``RangeIndex``) and a label naming where it came from, for error messages.
    """
    if isinstance(source, pd.DataFrame):
        label = "<DataFrame>"
        frame = source.copy()
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
        if not path.is_file():
            raise DataValidationError("file not found", file=label)
        if path.stat().st_size == 0:
            raise DataValidationError("file is empty", file=label)
        try:
            if kind == "csv":
                # the pyarrow engine parses in parallel; every cell stays text
                frame = pd.read_csv(
                    path, dtype=str, keep_default_na=False, encoding="utf-8", engine="pyarrow"
                )
            elif kind == "parquet":
                frame = pd.read_parquet(path)
            else:
                frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        except UnicodeDecodeError as exc:
            raise DataValidationError(f"not UTF-8 text ({exc.reason})", file=label) from exc
        except (ValueError, OSError, ImportError, pa.ArrowException) as exc:
            # pandas raises ValueError/OSError subclasses for malformed files
            # (for example a CSV with a ragged row, or a corrupt Parquet footer).
            raise DataValidationError(f"cannot read {kind} file: {exc}", file=label) from exc
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise DataValidationError("no data rows", file=label)
    return _as_text(frame), label


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for name, col in frame.items():
        if pd.api.types.is_datetime64_any_dtype(col):
            text = col.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(col):
            text = col.astype("Int64").astype(str)
        elif pd.api.types.is_float_dtype(col):
            # 80.0 -> "80"; keep other floats in their shortest repr
            text = col.map(lambda v: "" if pd.isna(v) else f"{v:.15g}")
        else:
            text = col.astype(str)
        out[str(name).strip()] = text.where(col.notna(), "").str.strip()
    return pd.DataFrame(out).reset_index(drop=True)


@dataclass
class Problems:
    """Collects every problem found in one table before raising.

    Loaders record all problems and raise on the first (with the count of the
    rest), while ``validate`` lists them all. Rows are 1-based data rows.
    """

    file: str
    items: list[tuple[int | None, str | None, str]] = field(default_factory=list)
    kinds: list[type[DataValidationError]] = field(default_factory=list)

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        kind: type[DataValidationError] = DataValidationError,
    ) -> None:
        self.items.append((row, column, message))
        self.kinds.append(kind)

    def add_rows(self, mask: pd.Series, column: str, message: str | Sequence[str]) -> None:
        """Record a problem for each True position of ``mask``.

        ``message`` is one string, or one string per flagged row.
        """
        positions = [i for i, flag in enumerate(mask.to_numpy()) if flag]
        messages = [message] * len(positions) if isinstance(message, str) else list(message)
        for pos, msg in zip(positions, messages, strict=True):
            self.add(msg, row=pos + 1, column=column)

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.items, columns=["row", "column", "problem"])
        frame.insert(0, "file", self.file)
        frame["row"] = frame["row"].astype("Int64")
        frame = frame.sort_values(["row", "column"], na_position="first", kind="stable")
        return frame.reset_index(drop=True)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        order = sorted(
            range(len(self.items)),
            key=lambda i: (
                self.items[i][0] is not None,
                self.items[i][0] or 0,
                self.items[i][1] or "",
            ),
        )
        first = self.to_frame().iloc[0]
        kind = self.kinds[order[0]]
        more = len(self.items) - 1
        suffix = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
        raise kind(
            str(first["problem"]) + suffix,
            file=self.file,
            row=None if pd.isna(first["row"]) else int(first["row"]),
            column=first["column"],
        )


def require_columns(frame: pd.DataFrame, required: Iterable[str], problems: Problems) -> bool:
    """Record missing required columns; return True when all are present."""
    missing = [c for c in required if c not in frame.columns]
    for col in missing:
        problems.add("required column is missing", column=col)
    return not missing


def check_frame(
    raw: pd.DataFrame,
    problems: Problems,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    nonempty: Sequence[str],
    id_column: str,
) -> bool:
    """The checks every raw table shares; returns False if columns are missing.

    Records missing required columns (and stops there), adds absent optional
    columns as empty text, and records empty cells in ``nonempty`` columns
    and duplicate ids.
    """
    if not require_columns(raw, required, problems):
        return False
    for col in optional:
        if col not in raw.columns:
            raw[col] = ""
    for col in nonempty:
        empty = raw[col] == ""
        if empty.any():
            problems.add_rows(empty, col, "value is required")
    check_unique(raw, id_column, problems)
    return True


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


def parse_numbers(
    frame: pd.DataFrame,
    column: str,
    problems: Problems,
    *,
    allow_empty: bool = True,
    nonnegative: bool = False,
) -> pd.Series:
    """Parse a text column into float64, recording unparseable or negative cells."""
    text = frame[column]
    values = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    bad = values.isna() & (text != "")
    if bad.any():
        problems.add_rows(bad, column, [f"'{v}' is not a number" for v in text[bad]])
    if not allow_empty and (text == "").any():
        problems.add_rows(text == "", column, "value is required")
    if nonnegative and (values < 0).any():
        problems.add_rows(
            values < 0, column, [f"negative value {v:g}" for v in values[values < 0]]
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


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as CSV atomically (no index, ISO dates, ``\\n`` line ends)."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n", date_format="%Y-%m-%d")
    return Path(path)


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as Parquet atomically, deterministically (no pandas index)."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
    return Path(path)
