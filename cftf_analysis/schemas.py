"""Schemas (pandera) of the tidy frames the loaders and the panel return.

They pin column names, order and dtypes, so that downstream code and users can
rely on them; every loader validates its output against its schema.
"""

from __future__ import annotations

import warnings

# pandera imports pyspark.pandas when pyspark is installed, which warns under
# pandas 3; that warning is about pyspark's own pandas API, not ours.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="PySpark does not yet", category=FutureWarning)
    import pandera.pandas as pa

from cftf_analysis.errors import ArgumentError
from cftf_analysis.vocab import MOTIVES

__all__ = [
    "EVENTS_SCHEMA",
    "EVENT_EXTRA_COLUMNS",
    "INDICATORS_SCHEMA",
    "PRECISIONS",
    "REPORTS_SCHEMA",
    "events_schema",
    "validate",
]

#: Precision categories of a date interval, finest first.
PRECISIONS = ("day", "month", "quarter", "half", "third", "year", "range")

_DATE = "datetime64[ns]"


def _text(nullable: bool = False) -> pa.Column:
    return pa.Column("string", nullable=nullable)


def _interval(prefix: str, nullable: bool) -> dict[str, pa.Column]:
    return {
        f"{prefix}_start": pa.Column(_DATE, nullable=nullable),
        f"{prefix}_end": pa.Column(_DATE, nullable=nullable),
        f"{prefix}_precision": pa.Column("category", pa.Check.isin(PRECISIONS), nullable=nullable),
    }


_start_before_end = {
    name: pa.Check(
        lambda df, p=name: (df[f"{p}_start"] <= df[f"{p}_end"]) | df[f"{p}_start"].isna(),
        error=f"{name}_start after {name}_end",
    )
    for name in ("published", "defection", "period", "date")
}

REPORTS_SCHEMA = pa.DataFrameSchema(
    {
        "report_id": pa.Column("string", unique=True),
        **_interval("published", nullable=False),
        **_interval("defection", nullable=True),
        "outlet": _text(),
        "via": _text(),
        "url": _text(),
        "defector_alias": _text(),
        "defector_key": _text(),
        "group_size": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "gender": pa.Column("category"),
        "origin": _text(),
        "role": _text(),
        **{f"motive_{m}": pa.Column(bool) for m in MOTIVES},
        "outcome": pa.Column("category"),
        "outcome_grouped": pa.Column("category"),
        "summary": _text(),
        "date_note": _text(),
        "collection": pa.Column("category", nullable=True),
        "published_text": _text(),
        "defection_date_text": _text(),
    },
    checks=[_start_before_end["published"], _start_before_end["defection"]],
    strict=True,
    ordered=True,
    name="reports",
)

INDICATORS_SCHEMA = pa.DataFrameSchema(
    {
        "indicator_id": pa.Column("string", unique=True),
        "indicator": _text(),
        "scope": _text(),
        "measure": pa.Column(
            "string",
            pa.Check.isin(["level", "cumulative", "share", "percent_change", "absolute_change"]),
        ),
        "value": pa.Column(float, nullable=True),
        "low": pa.Column(float, nullable=True),
        "high": pa.Column(float, nullable=True),
        "unit": _text(),
        "qualifier": _text(),
        **_interval("period", nullable=False),
        "baseline_start": pa.Column(_DATE, nullable=True),
        "baseline_end": pa.Column(_DATE, nullable=True),
        "published": pa.Column(_DATE),
        "source_org": _text(),
        "producer": _text(),
        "via": _text(),
        "url": _text(),
        "derived": pa.Column(bool),
        "derived_from": _text(),
        "converted": pa.Column(bool),
        "unit_as_given": _text(),
        "value_as_given": _text(),
        "period_text": _text(),
        "unit_as_reported": _text(),
        "note": _text(),
    },
    checks=[
        _start_before_end["period"],
        pa.Check(lambda df: (df["low"] <= df["high"]) | df["low"].isna(), error="low > high"),
        pa.Check(
            lambda df: df["value"].notna() | (df["low"].notna() & df["high"].notna()),
            error="neither value nor range",
        ),
    ],
    strict=True,
    ordered=True,
    name="indicators",
)

EVENTS_SCHEMA = pa.DataFrameSchema(
    {
        "event_id": pa.Column("string", unique=True),
        **_interval("date", nullable=False),
        "event": _text(),
        "category": pa.Column("category"),
        "scope": _text(),
        "source_org": _text(),
        "url": _text(),
        "note": _text(),
        "date_text": _text(),
    },
    checks=[_start_before_end["date"]],
    strict=True,
    ordered=True,
    name="events",
)


def _count() -> pa.Column:
    finite = pa.Check(lambda s: ~s.isin([float("inf"), float("-inf")]), error="not finite")
    return pa.Column(float, [pa.Check.ge(0), finite], nullable=True)


#: Optional event columns (written by :mod:`cftf_analysis.importers`), in the order they
#: follow the columns of :data:`EVENTS_SCHEMA` when present: fatality counts (a point and
#: a range), the dataset's own date-precision code, and which dataset the row came from.
EVENT_EXTRA_COLUMNS: dict[str, pa.Column] = {
    "fatalities": _count(),
    "fatalities_low": _count(),
    "fatalities_high": _count(),
    "precision_code": pa.Column("Int64", pa.Check.ge(0), nullable=True),
    "dataset": pa.Column("string", nullable=True),
}


def _not_above(low: str, high: str) -> pa.Check:
    def check(df):
        if low not in df or high not in df:
            return True
        return (df[low] <= df[high]) | df[low].isna() | df[high].isna()

    return pa.Check(check, error=f"{low} > {high}")


def events_schema(extra: tuple[str, ...] | list[str] = ()) -> pa.DataFrameSchema:
    """The events schema with the optional columns ``extra`` (in their fixed order).

    ``events_schema()`` is :data:`EVENTS_SCHEMA`; the bundled events have no optional
    columns. Fatalities must be finite and non-negative, with ``fatalities_low <=
    fatalities <= fatalities_high`` wherever both sides are present.

    Examples
    --------
    >>> list(events_schema(["dataset", "fatalities"]).columns)[-2:]
    ['fatalities', 'dataset']
    """
    unknown = sorted(set(extra) - set(EVENT_EXTRA_COLUMNS))
    if unknown:
        raise ArgumentError(
            f"not optional event columns: {unknown}; use any of {list(EVENT_EXTRA_COLUMNS)}"
        )
    if not extra:
        return EVENTS_SCHEMA
    columns = {name: col for name, col in EVENT_EXTRA_COLUMNS.items() if name in extra}
    pairs = [
        ("fatalities_low", "fatalities"),
        ("fatalities", "fatalities_high"),
        ("fatalities_low", "fatalities_high"),
    ]
    return pa.DataFrameSchema(
        {**EVENTS_SCHEMA.columns, **columns},
        checks=[*EVENTS_SCHEMA.checks, *(_not_above(low, high) for low, high in pairs)],
        strict=True,
        ordered=True,
        name="events",
    )


def validate(schema: pa.DataFrameSchema, frame):
    """Validate ``frame`` against ``schema`` (lazy pandera backends warn about pyspark)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet", category=FutureWarning)
        return schema.validate(frame)
