"""DuckDB engine: files (scanned out of core), Arrow-able frames and relations."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Any

import duckdb
import narwhals as nw
import pyarrow as pa

from cftf_analysis.corpus.dates import DATE_TEXT_PATTERN, FREQ_UNIT, OFFSET_PATTERN
from cftf_analysis.corpus.query import PERIOD, Spec
from cftf_analysis.corpus.sources import Source
from cftf_analysis.errors import ArgumentError, DataValidationError

__all__ = ["first_undated", "hash_keys", "parquet_totals", "prepare"]


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def text_to_utc_date(col: str) -> str:
    """SQL: the UTC date of an ISO text column (null outside the grammar)."""
    v = f"(CASE WHEN regexp_matches({col}, {_lit(DATE_TEXT_PATTERN)}) THEN {col} END)"
    minutes = (
        f"(CASE WHEN length({v}) >= 16 THEN CAST(substr({v}, 12, 2) AS INTEGER) * 60"
        f" + CAST(substr({v}, 15, 2) AS INTEGER) ELSE 0 END)"
    )
    rest = f"substr({v}, 17)"

    def part(i: int) -> str:
        return f"nullif(regexp_extract({rest}, {_lit(OFFSET_PATTERN)}, {i}), '')"

    offset = (
        f"coalesce((CASE WHEN {part(1)} = '-' THEN -1 ELSE 1 END)"
        f" * (CAST({part(2)} AS INTEGER) * 60 + coalesce(CAST({part(3)} AS INTEGER), 0)), 0)"
    )
    utc = f"({minutes} - {offset})"
    shift = f"(CASE WHEN {utc} < 0 THEN -1 WHEN {utc} >= 1440 THEN 1 ELSE 0 END)"
    return f"(CAST(substr({v}, 1, 10) AS DATE) + {shift})"


def period_sql(col: str, type_name: str, freq: str, *, name: str = "") -> str:
    """SQL: the period start (DATE) of SQL expression ``col`` of DuckDB type ``type_name``.

    ``name`` is the column name used in error messages.
    """
    t = type_name.upper()
    if t == "DATE":
        day = col
    elif t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        # The UTC date from the instant's microseconds (floor division by a
        # day), which is exact and four times faster than timezone('UTC', ...).
        e, d = f"epoch_us({col})", "86400000000"
        day = f"(DATE '1970-01-01' + CAST(({e} - (({e} % {d}) + {d}) % {d}) // {d} AS INTEGER))"
    elif t.startswith("TIMESTAMP"):
        day = f"CAST({col} AS DATE)"
    elif t == "VARCHAR":
        day = text_to_utc_date(col)
    else:
        raise ArgumentError(
            f"date column {name!r} has type {type_name}; expected a date, a timestamp or "
            "ISO 8601 text"
        )
    unit = FREQ_UNIT[freq]
    if unit == "day":
        return day
    return f"CAST(date_trunc('{unit}', {day}) AS DATE)"


def _scan(con: duckdb.DuckDBPyConnection, source: Source, *, with_row: bool = False) -> str:
    files = "[" + ", ".join(_lit(str(p)) for p in source.files) + "]"
    if source.fmt == "parquet":
        extra = ", filename = true, file_row_number = true" if with_row else ""
        return f"read_parquet({files}{extra})"
    if source.fmt == "csv":
        # Every column as text, named by the header as Python's csv module reads it, and
        # no sniffing: the date column goes through the one text grammar, and a ragged
        # row is an error naming its line (DuckDB's sniffer would otherwise take a ragged
        # file for one wide column or another header, and read it without a word).
        return _csv_scan(source.files)
    # Every field as text: JSON has no date type, and DuckDB's sniffer would
    # otherwise turn some date strings into timestamps.
    names = con.sql(f"SELECT * FROM read_json({files}, format = 'newline_delimited')").columns
    columns = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names) + "}"
    return f"read_json({files}, format = 'newline_delimited', columns = {columns})"


def csv_headers(files: tuple[Path, ...]) -> list[list[str]]:
    """The header of each CSV file (plain or gzipped); files must have the same columns."""
    headers = []
    for path in files:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            header = next((row for row in csv.reader(handle) if row), None)
        if not header:
            raise DataValidationError("the file has no header row", file=str(path))
        if sorted(header) != sorted(headers[0] if headers else header):
            raise DataValidationError(
                f"its columns differ from those of '{files[0]}'; CSV files counted together "
                "need the same columns",
                file=str(path),
            )
        headers.append(header)
    return headers


def _csv_scan(files: tuple[Path, ...]) -> str:
    """SQL reading CSV files as text, named by their headers, without DuckDB's sniffer.

    Files whose columns come in another order are read apart and joined by name.
    """
    groups: dict[tuple[str, ...], list[Path]] = {}
    for path, header in zip(files, csv_headers(files), strict=True):
        groups.setdefault(tuple(header), []).append(path)
    scans = []
    for header, paths in groups.items():
        listed = "[" + ", ".join(_lit(str(p)) for p in paths) + "]"
        columns = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in header) + "}"
        scans.append(
            f"SELECT * FROM read_csv({listed}, header = true, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"', columns = {columns})"
        )
    return "(" + " UNION ALL BY NAME ".join(scans) + ")"


def _relation(source: Source, con: duckdb.DuckDBPyConnection | None) -> duckdb.DuckDBPyRelation:
    if source.kind == "duckdb":
        return source.obj
    assert con is not None
    if source.kind == "files":
        return con.sql(f"SELECT * FROM {_scan(con, source)}")
    if source.kind == "pandas":
        return con.from_arrow(pa.Table.from_pandas(source.obj, preserve_index=False))
    if source.kind == "polars":
        frame = source.obj
        table = frame.collect().to_arrow() if hasattr(frame, "collect") else frame.to_arrow()
        return con.from_arrow(table)
    return con.from_arrow(source.obj)


def connect(memory_limit: str | None, spill: Path) -> duckdb.DuckDBPyConnection:
    """A private in-memory connection that spills to the folder ``spill``."""
    con = duckdb.connect()
    con.execute(f"SET temp_directory = {_lit(str(spill))}")
    if memory_limit is not None:
        con.execute(f"SET memory_limit = {_lit(memory_limit)}")
    # Counts do not depend on row order; not keeping it saves memory.
    con.execute("SET preserve_insertion_order = false")
    # Progress is tracked (count_corpus(progress=...) reads it) but never printed.
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return con


def prepare(
    source: Source, spec: Spec, con: duckdb.DuckDBPyConnection | None
) -> nw.LazyFrame[Any]:
    """The source as a narwhals LazyFrame with the used columns and ``PERIOD``."""
    rel = _relation(source, con)
    spec.check_columns(rel.columns, source.label)
    types = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
    date_type = types[spec.date]
    select = []
    for c in spec.columns:
        if c == spec.date:
            continue
        if types[c] not in ("VARCHAR", '"NULL"'):  # an all-null column has type NULL
            raise ArgumentError(f"column {c!r} must hold text; it has type {types[c]}")
        select.append(duckdb.SQLExpression(f"CAST({_ident(c)} AS VARCHAR)").alias(c))
    period = period_sql(_ident(spec.date), date_type, spec.freq, name=spec.date)
    rel = rel.select(*select, duckdb.SQLExpression(period).alias(PERIOD))
    return nw.from_native(rel)


def parquet_totals(
    source: Source, spec: Spec, con: duckdb.DuckDBPyConnection | None
) -> tuple[int, int] | None:
    """(rows, rows without a date) read from the Parquet footers, or None.

    Only for Parquet files whose date column is a date or timestamp (its
    period is null exactly when the value is null) and whose footers carry
    null counts; this spares a scan of the date column.
    """
    if source.kind != "files" or source.fmt != "parquet" or con is None:
        return None
    scan = _scan(con, source)
    date_type = str(con.sql(f"SELECT {_ident(spec.date)} FROM {scan} LIMIT 0").types[0])
    if date_type != "DATE" and not date_type.startswith("TIMESTAMP"):
        return None
    files = "[" + ", ".join(_lit(str(p)) for p in source.files) + "]"
    rows, nulls, missing = con.sql(
        "SELECT sum(row_group_num_rows), sum(stats_null_count), "
        f"count(*) - count(stats_null_count) FROM parquet_metadata({files}) "
        f"WHERE path_in_schema = {_lit(spec.date)}"
    ).fetchall()[0]
    (total,) = con.sql(f"SELECT sum(num_rows) FROM parquet_file_metadata({files})").fetchall()[0]
    if rows is None or missing or rows != total:
        return None
    return int(rows), int(nulls)


def hash_keys(frame: nw.LazyFrame[Any], keys: list[str]) -> nw.LazyFrame[Any]:
    """Replace each key column by its 128-bit MD5 (``md5_number``; null stays null)."""
    rel = nw.to_native(frame)
    exprs = [
        duckdb.SQLExpression(f"md5_number({_ident(c)})").alias(c)
        if c in keys
        else duckdb.ColumnExpression(c)
        for c in rel.columns
    ]
    return nw.from_native(rel.select(*exprs))


def first_undated(
    source: Source, spec: Spec, con: duckdb.DuckDBPyConnection | None
) -> tuple[str | None, int | None, Any]:
    """(file, 1-based row, raw value) of the first row without a usable date.

    Row numbers are known for Parquet files; for other sources only the value
    is reported.
    """
    if source.kind == "files" and source.fmt == "parquet":
        assert con is not None
        scan = _scan(con, source, with_row=True)
        date_type = con.sql(f"SELECT {_ident(spec.date)} FROM {scan}").types[0]
        period = period_sql(_ident(spec.date), str(date_type), spec.freq)
        row = con.sql(
            f"SELECT filename, file_row_number, {_ident(spec.date)} FROM {scan} "
            f"WHERE ({period}) IS NULL ORDER BY filename, file_row_number LIMIT 1"
        ).fetchall()
        return (str(row[0][0]), int(row[0][1]) + 1, row[0][2]) if row else (None, None, None)
    rel = _relation(source, con)
    types = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
    period = period_sql(_ident(spec.date), types[spec.date], spec.freq)
    row = (
        rel.filter(duckdb.SQLExpression(f"({period}) IS NULL"))
        .select(duckdb.ColumnExpression(spec.date))
        .limit(1)
        .fetchall()
    )
    return (None, None, row[0][0] if row else None)
