"""In-memory engines: pandas (with pyarrow compute for dates) and polars (lazy, streaming)."""

from __future__ import annotations

from typing import Any

import narwhals as nw
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cftf_analysis.corpus.dates import DATE_TEXT_PATTERN, FREQ_UNIT, OFFSET_PATTERN
from cftf_analysis.corpus.query import PERIOD, Spec
from cftf_analysis.corpus.sources import Source
from cftf_analysis.errors import ArgumentError

__all__ = ["first_undated_pandas", "first_undated_polars", "prepare_pandas", "prepare_polars"]

_POLARS_EVERY = {"week": "1w", "month": "1mo", "quarter": "1q", "year": "1y"}


def _type_error(column: str, type_name: object) -> ArgumentError:
    return ArgumentError(
        f"date column {column!r} has type {type_name}; expected a date, a timestamp or "
        "ISO 8601 text"
    )


# --- pandas ---------------------------------------------------------------


def _read_pandas(source: Source) -> pd.DataFrame:
    if source.kind == "pandas":
        return source.obj
    if source.kind == "polars":
        frame = source.obj
        table = frame.collect().to_arrow() if hasattr(frame, "collect") else frame.to_arrow()
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    if source.kind == "arrow":
        return source.obj.to_pandas(types_mapper=pd.ArrowDtype)
    parts = []
    for path in source.files:
        if source.fmt == "parquet":
            parts.append(pd.read_parquet(path))
        elif source.fmt == "csv":
            # Only empty fields are missing, as in the other engines ("NA" is text).
            parts.append(pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]))
        else:
            parts.append(pd.read_json(path, lines=True, dtype=False))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _arrow_int(text: pa.Array) -> pa.Array:
    """Digit text to int32; '' becomes 0 (as in the Spark engine)."""
    return pc.cast(pc.if_else(pc.equal(text, ""), "0", text), pa.int32())


def _arrow_text_to_utc_date(arr: pa.Array) -> pa.Array:
    valid = pc.fill_null(pc.match_substring_regex(arr, DATE_TEXT_PATTERN), False)
    v = pc.if_else(valid, arr, pa.scalar(None, arr.type))
    day = pc.cast(pc.strptime(pc.utf8_slice_codeunits(v, 0, 10), "%Y-%m-%d", "s"), pa.date32())
    has_time = pc.greater_equal(pc.utf8_length(v), 16)
    hh = _arrow_int(pc.utf8_slice_codeunits(v, 11, 13))
    mm = _arrow_int(pc.utf8_slice_codeunits(v, 14, 16))
    minutes = pc.if_else(has_time, pc.add(pc.multiply(hh, 60), mm), 0)
    rest = pc.utf8_slice_codeunits(v, 16)
    pattern = r"(?P<sign>[+-])(?P<hh>[0-9]{2}):?(?P<mm>[0-9]{2})?\z"
    assert pattern.replace("?P<sign>", "").replace("?P<hh>", "").replace("?P<mm>", "") == (
        OFFSET_PATTERN
    )
    parts = pc.extract_regex(rest, pattern)
    sign = pc.if_else(pc.equal(pc.struct_field(parts, "sign"), "-"), -1, 1)
    oh = _arrow_int(pc.struct_field(parts, "hh"))
    om = _arrow_int(pc.struct_field(parts, "mm"))
    offset = pc.fill_null(pc.multiply(sign, pc.add(pc.multiply(oh, 60), om)), 0)
    utc = pc.subtract(minutes, offset)
    shift = pc.if_else(pc.less(utc, 0), -1, pc.if_else(pc.greater_equal(utc, 1440), 1, 0))
    days = pc.add(pc.cast(day, pa.int32()), pc.cast(shift, pa.int32()))
    return pc.cast(days, pa.date32())


def _arrow_utc_date(arr: pa.Array, column: str) -> pa.Array:
    t = arr.type
    if pa.types.is_date(t):
        return pc.cast(arr, pa.date32())
    if pa.types.is_timestamp(t):
        # Arrow stores tz-aware timestamps as UTC instants: dropping the zone
        # keeps UTC wall-clock time; a naive timestamp is taken to be UTC.
        naive = arr.cast(pa.timestamp(t.unit)) if t.tz is not None else arr
        return pc.cast(pc.floor_temporal(naive, unit="day"), pa.date32())
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return _arrow_text_to_utc_date(arr)
    raise _type_error(column, t)


def arrow_period(arr: pa.Array, column: str, freq: str) -> pa.Array:
    """Period start (date32) of an Arrow date, timestamp or text array."""
    day = _arrow_utc_date(arr, column)
    unit = FREQ_UNIT[freq]
    if unit == "day":
        return day
    return pc.cast(pc.floor_temporal(day, unit=unit, week_starts_monday=True), pa.date32())


def _arrow_text(series: pd.Series) -> pa.Array:
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = None
    if arr is not None and pa.types.is_null(arr.type):
        return arr.cast(pa.string())
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise ArgumentError(f"column {series.name!r} must hold text")
    return arr.cast(pa.string())


def _pandas_date_array(series: pd.Series) -> pa.Array:
    if isinstance(series.dtype, pd.ArrowDtype) or pd.api.types.is_datetime64_any_dtype(series):
        return pa.array(series)
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise _type_error(str(series.name), series.dtype)
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        return pa.array(series.astype(pd.ArrowDtype(pa.string())))
    # object columns (Python dates, datetimes, strings, None): their str() is
    # ISO 8601, so they go through the text grammar like any text.
    text = series.map(lambda v: v if isinstance(v, str) else (None if v is None else str(v)))
    return pa.array(text.astype(object), type=pa.string(), from_pandas=True)


def prepare_pandas(source: Source, spec: Spec) -> nw.LazyFrame[Any]:
    """The source as a pandas-backed narwhals frame with the used columns and ``PERIOD``."""
    df = _read_pandas(source)
    spec.check_columns([str(c) for c in df.columns], source.label)
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for c in spec.columns:
        if c != spec.date:
            # Arrow-backed text: pandas then runs the patterns with pyarrow
            # (RE2), as DuckDB does, never with Python's `re` (no \p{L}).
            out[c] = pd.array(_arrow_text(df[c]), dtype=pd.ArrowDtype(pa.string()))
    period = arrow_period(_pandas_date_array(df[spec.date]), spec.date, spec.freq)
    out[PERIOD] = pd.array(period, dtype=pd.ArrowDtype(pa.date32()))
    return nw.from_native(out).lazy()


def first_undated_pandas(source: Source, spec: Spec) -> tuple[str | None, int | None, Any]:
    """(None, 1-based row, raw value) of the first row without a usable date."""
    df = _read_pandas(source)
    period = arrow_period(_pandas_date_array(df[spec.date]), spec.date, spec.freq)
    missing = pc.is_null(period).to_numpy(zero_copy_only=False)
    if not missing.any():
        return (None, None, None)
    pos = int(missing.argmax())
    return (None, pos + 1, df[spec.date].iloc[pos])


# --- polars ---------------------------------------------------------------


def _scan_polars(source: Source) -> Any:
    import polars as pl

    if source.kind == "polars":
        return source.obj.lazy()
    if source.kind == "pandas":
        return pl.from_pandas(source.obj).lazy()
    if source.kind == "arrow":
        return pl.from_arrow(source.obj).lazy()
    files = [str(p) for p in source.files]
    if source.fmt == "parquet":
        return pl.scan_parquet(files)
    if source.fmt == "csv":
        return pl.scan_csv(files, infer_schema=False)
    return pl.scan_ndjson(files)


def _polars_text_to_utc_date(col: str) -> Any:
    import polars as pl

    s = pl.col(col)
    v = pl.when(s.str.contains(DATE_TEXT_PATTERN)).then(s)
    day = v.str.slice(0, 10).str.to_date("%Y-%m-%d")
    minutes = (
        pl.when(v.str.len_chars() >= 16)
        .then(v.str.slice(11, 2).cast(pl.Int32) * 60 + v.str.slice(14, 2).cast(pl.Int32))
        .otherwise(0)
    )
    rest = v.str.slice(16)
    sign = pl.when(rest.str.extract(OFFSET_PATTERN, 1) == "-").then(-1).otherwise(1)
    oh = rest.str.extract(OFFSET_PATTERN, 2).cast(pl.Int32)
    om = rest.str.extract(OFFSET_PATTERN, 3).cast(pl.Int32).fill_null(0)
    offset = (sign * (oh * 60 + om)).fill_null(0)
    utc = minutes - offset
    shift = pl.when(utc < 0).then(-1).when(utc >= 1440).then(1).otherwise(0)
    return day + pl.duration(days=shift)


def _polars_period(col: str, dtype: Any, freq: str) -> Any:
    import polars as pl

    if dtype == pl.Date:
        day = pl.col(col)
    elif isinstance(dtype, pl.Datetime):
        c = pl.col(col)
        day = (c.dt.convert_time_zone("UTC") if dtype.time_zone else c).dt.date()
    elif dtype == pl.String:
        day = _polars_text_to_utc_date(col)
    else:
        raise _type_error(col, dtype)
    unit = FREQ_UNIT[freq]
    return day if unit == "day" else day.dt.truncate(_POLARS_EVERY[unit])


def prepare_polars(source: Source, spec: Spec) -> nw.LazyFrame[Any]:
    """The source as a polars-backed narwhals LazyFrame with the used columns and ``PERIOD``."""
    import polars as pl

    lf = _scan_polars(source)
    schema = lf.collect_schema()
    spec.check_columns(list(schema.names()), source.label)
    keep = []
    for c in spec.columns:
        if c != spec.date:
            if schema[c] not in (pl.String, pl.Null):
                raise ArgumentError(f"column {c!r} must hold text; it has type {schema[c]}")
            keep.append(pl.col(c).cast(pl.String))
    period = _polars_period(spec.date, schema[spec.date], spec.freq).alias(PERIOD)
    return nw.from_native(lf.select(*keep, period))


def first_undated_polars(source: Source, spec: Spec) -> tuple[str | None, int | None, Any]:
    """(None, 1-based row, raw value) of the first row without a usable date."""

    lf = _scan_polars(source)
    dtype = lf.collect_schema()[spec.date]
    found = (
        lf.with_row_index("__row")
        .filter(_polars_period(spec.date, dtype, spec.freq).is_null())
        .select("__row", spec.date)
        .head(1)
        .collect()
    )
    if found.height == 0:
        return (None, None, None)
    return (None, int(found["__row"][0]) + 1, found[spec.date][0])
