"""Spark engine: a PySpark DataFrame, local or on a cluster.

Only the per-period counts (a few hundred rows) come back to the driver: the
date conversion below and the query in :mod:`.query` are Spark column
expressions, so filtering, key building and the three group-bys run on the
executors.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw

from cftf_analysis.corpus.dates import DATE_TEXT_PATTERN, FREQ_UNIT, OFFSET_PATTERN
from cftf_analysis.corpus.query import PERIOD, Spec
from cftf_analysis.corpus.sources import Source
from cftf_analysis.errors import ArgumentError

__all__ = ["first_undated_spark", "prepare_spark"]

_MICROS_PER_DAY = 86_400_000_000


def _frame(source: Source) -> Any:
    if source.kind == "spark":
        return source.obj
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    if spark is None:
        raise ArgumentError(
            "engine='spark' with files needs an active SparkSession "
            "(create one with SparkSession.builder.getOrCreate()), or pass a Spark DataFrame"
        )
    files = [str(p.resolve()) for p in source.files]
    if source.fmt == "parquet":
        return spark.read.parquet(*files)
    if source.fmt == "csv":
        return spark.read.csv(files, header=True)  # every column as text
    return spark.read.json(files)


def _int(text: Any) -> Any:
    """Cast digit text to int; '' becomes 0 first (ANSI mode rejects casting '')."""
    from pyspark.sql import functions as F

    return F.when(text == "", F.lit("0")).otherwise(text).cast("int")


def _text_to_utc_date(col: Any) -> Any:
    from pyspark.sql import functions as F

    v = F.when(col.rlike(DATE_TEXT_PATTERN), col)
    day = F.to_date(F.substring(v, 1, 10), "yyyy-MM-dd")
    minutes = F.when(
        F.length(v) >= 16, _int(F.substring(v, 12, 2)) * 60 + _int(F.substring(v, 15, 2))
    ).otherwise(F.lit(0))
    rest = F.substring(v, 17, 64)
    sign = F.when(F.regexp_extract(rest, OFFSET_PATTERN, 1) == "-", F.lit(-1)).otherwise(1)
    offset = sign * (
        _int(F.regexp_extract(rest, OFFSET_PATTERN, 2)) * 60
        + _int(F.regexp_extract(rest, OFFSET_PATTERN, 3))
    )
    utc = minutes - F.coalesce(offset, F.lit(0))
    shift = F.when(utc < 0, F.lit(-1)).when(utc >= 1440, F.lit(1)).otherwise(F.lit(0))
    return F.date_add(day, shift)


def _period(df: Any, column: str, freq: str) -> Any:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    dtype = df.schema[column].dataType
    col = F.col(f"`{column}`")
    if isinstance(dtype, T.DateType):
        day = col
    elif isinstance(dtype, T.TimestampNTZType):
        day = F.to_date(col)
    elif isinstance(dtype, T.TimestampType):
        # An instant: its UTC date by integer arithmetic on microseconds, so
        # the session time zone plays no part.
        micros = F.unix_micros(col)
        # (m - pmod(m, d)) / d is a whole number; rounding the double quotient
        # recovers it exactly (truncating could land one day early).
        days = (micros - F.pmod(micros, F.lit(_MICROS_PER_DAY))) / F.lit(_MICROS_PER_DAY)
        day = F.date_from_unix_date(F.round(days).cast("int"))
    elif isinstance(dtype, T.StringType):
        day = _text_to_utc_date(col)
    else:
        raise ArgumentError(
            f"date column {column!r} has type {dtype.simpleString()}; expected a date, a "
            "timestamp or ISO 8601 text"
        )
    unit = FREQ_UNIT[freq]
    return day if unit == "day" else F.trunc(day, unit)


def prepare_spark(source: Source, spec: Spec) -> nw.LazyFrame[Any]:
    """The source as a Spark-backed narwhals LazyFrame with the used columns and ``PERIOD``."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    df = _frame(source)
    spec.check_columns(df.columns, source.label)
    keep = []
    for c in spec.columns:
        if c == spec.date:
            continue
        dtype = df.schema[c].dataType
        if not isinstance(dtype, T.StringType | T.NullType):
            raise ArgumentError(f"column {c!r} must hold text; it has type {dtype.simpleString()}")
        keep.append(F.col(f"`{c}`").cast("string").alias(c))
    return nw.from_native(df.select(*keep, _period(df, spec.date, spec.freq).alias(PERIOD)))


def first_undated_spark(source: Source, spec: Spec) -> tuple[str | None, int | None, Any]:
    """(None, None, raw value) of a row without a usable date (Spark rows have no order)."""
    from pyspark.sql import functions as F

    df = _frame(source)
    row = (
        df.filter(_period(df, spec.date, spec.freq).isNull())
        .select(F.col(f"`{spec.date}`"))
        .first()
    )
    return (None, None, row[0] if row is not None else None)
