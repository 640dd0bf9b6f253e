"""Dates of mixed precision: parse, represent and format them as day intervals.

This is the public home of the date API. The grammar, the
:class:`DateInterval` type and the scalar functions live in
:mod:`cftf_analysis.date_intervals` (re-exported here); this module adds the
vectorised parser for whole columns, which is what the loaders use.

Accepted forms (``data/raw/README.md``, "Date grammar"): ``YYYY-MM-DD``,
``YYYY-MM``, ``YYYY``, ``YYYY-Qn``, ``YYYY-Hn``, ``early|mid|late YYYY``
(January-April, May-August, September-December), ISO 8601 intervals ``A/B``
of the day/month/year forms, ``Month YYYY`` and ``D Month YYYY``. Nothing
else is accepted: the parser never guesses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from cftf_analysis.date_intervals import (
    ACCEPTED_FORMS,
    DATE_COLUMNS,
    DATE_PATTERN,
    MONTH_ABBR,
    PRECISION_DTYPE,
    PRECISIONS,
    PROBLEM_COLUMNS,
    STRIP_CHARS,
    THIRDS,
    YEAR_MAX,
    YEAR_MIN,
    DateInterval,
    Precision,
    date_problem,
    format_date_interval,
    parse_date_interval,
)
from cftf_analysis.errors import ArgumentError, DateParseError

__all__ = [
    "DATE_COLUMNS",
    "PRECISIONS",
    "PRECISION_DTYPE",
    "PROBLEM_COLUMNS",
    "YEAR_MAX",
    "YEAR_MIN",
    "DateInterval",
    "Precision",
    "find_date_problems",
    "format_date_interval",
    "interval_overlap_days",
    "parse_date_interval",
    "parse_date_intervals",
]

_STRING = pd.ArrowDtype(pa.string())
_NAT = np.datetime64("NaT", "D")


def _as_series(values: pd.Series | Sequence[str]) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.Index | np.ndarray | pd.api.extensions.ExtensionArray):
        return pd.Series(values)
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise ArgumentError(
            "values must be a pandas Series or a sequence of strings; "
            f"got {type(values).__name__} (use parse_date_interval for one value)"
        )
    return pd.Series(list(values), dtype=object)


def _vector_parse(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Parse every value at once.

    Returns start and end (``datetime64[D]``, NaT where not parsed), precision codes
    (``int8``, -1 where not parsed) and a mask of empty values (missing or blank).
    """
    missing = values.isna().to_numpy(dtype=bool)
    arrow_text = isinstance(values.dtype, pd.ArrowDtype) and (
        pa.types.is_string(values.dtype.pyarrow_dtype)
        or pa.types.is_large_string(values.dtype.pyarrow_dtype)
    )
    if isinstance(values.dtype, pd.StringDtype) or arrow_text:
        text = values.astype(_STRING)
    else:
        obj = values.astype(object)
        if pd.api.types.infer_dtype(obj, skipna=True) not in ("string", "empty"):
            # rare: text mixed with other types; those cells become NA here (and fail)
            is_text = obj.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
            obj = obj.where(is_text, None)
        text = obj.astype(_STRING)
    text = text.str.strip(STRIP_CHARS)
    blank = (text.str.len() == 0).to_numpy(dtype=bool, na_value=False)
    empty = missing | blank
    g = text.str.extract(DATE_PATTERN)
    g = g.mask(g == "")  # RE2 gives "" (Python's re gives None) for a group that took no part

    def has(col: str) -> np.ndarray:
        return g[col].notna().to_numpy(dtype=bool)

    def num(col: str) -> np.ndarray:
        return g[col].astype("int64[pyarrow]").to_numpy(dtype=np.int64, na_value=0)

    def codes(col: str, labels: Sequence[str]) -> np.ndarray:
        key = g[col].str.slice(0, 3 if col == "nm" else None).str.lower()
        out = np.full(len(key), -1, dtype=np.int64)
        for i, label in enumerate(labels):
            out[(key == label).to_numpy(dtype=bool, na_value=False)] = i
        return out

    iso, is_range, quarter, half = has("ay"), has("by"), has("q"), has("h")
    third, named, named_day = has("tw"), has("nm"), has("nd")
    ay, am, ad, by, bm, bd = (num(c) for c in ("ay", "am", "ad", "by", "bm", "bd"))
    q, h, tw, mon = num("q"), num("h"), codes("tw", THIRDS), codes("nm", MONTH_ABBR) + 1
    a_month, a_day, b_month, b_day = has("am"), has("ad"), has("bm"), has("bd")

    # start and end as year, month and day; the end day defaults to the month's last day
    period_year = num("py") + num("ty")
    sy = np.where(iso, ay, np.where(named, num("ny"), period_year))
    ey = np.where(is_range, by, sy)
    sm = np.select(
        [iso, quarter, half, third, named],
        [np.where(a_month, am, 1), 3 * q - 2, 6 * h - 5, 4 * tw + 1, mon],
        1,
    )
    em = np.select(
        [is_range, iso, quarter, half, third, named],
        [np.where(b_month, bm, 12), np.where(a_month, am, 12), 3 * q, 6 * h, 4 * tw + 4, mon],
        1,
    )
    sd = np.where(iso & a_day, ad, np.where(named_day, num("nd"), 1))
    end_day_given = np.where(is_range, b_day, (iso & a_day) | named_day)
    ed = np.where(is_range, bd, sd)

    ok = (iso | quarter | half | third | named) & ~empty
    ok &= (sy >= YEAR_MIN) & (sy <= YEAR_MAX) & (ey >= YEAR_MIN) & (ey <= YEAR_MAX)
    ok &= (sm >= 1) & (sm <= 12) & (em >= 1) & (em <= 12)
    ok &= ~quarter | ((q >= 1) & (q <= 4))
    ok &= ~half | ((h >= 1) & (h <= 2))
    # neutral values where not ok, so that the date arithmetic below cannot fail
    sy, ey = np.where(ok, sy, 1970), np.where(ok, ey, 1970)
    sm, em = np.where(ok, sm, 1), np.where(ok, em, 1)
    s_month = ((sy - 1970) * 12 + sm - 1).astype("datetime64[M]")
    e_month = ((ey - 1970) * 12 + em - 1).astype("datetime64[M]")
    s_first, e_first = s_month.astype("datetime64[D]"), e_month.astype("datetime64[D]")
    s_len = ((s_month + 1).astype("datetime64[D]") - s_first).astype(np.int64)
    e_len = ((e_month + 1).astype("datetime64[D]") - e_first).astype(np.int64)
    ok &= (sd >= 1) & (sd <= s_len)
    ok &= ~end_day_given | ((ed >= 1) & (ed <= e_len))
    start = s_first + (np.clip(sd, 1, 31) - 1).astype("timedelta64[D]")
    end = e_first + (np.where(end_day_given, np.clip(ed, 1, 31), e_len) - 1).astype(
        "timedelta64[D]"
    )
    ok &= end >= start

    forms = {  # first true condition wins
        "range": is_range,
        "day": (iso & a_day) | named_day,
        "month": (iso & a_month) | named,
        "year": iso,
        "quarter": quarter,
        "half": half,
        "third": third,
    }
    precision = np.select(list(forms.values()), [PRECISIONS.index(p) for p in forms], -1)
    return (
        np.where(ok, start, _NAT),
        np.where(ok, end, _NAT),
        np.where(ok, precision, -1).astype(np.int8),
        empty,
    )


def _problem_frame(values: pd.Series, bad: np.ndarray) -> pd.DataFrame:
    positions = np.flatnonzero(bad)
    raw = values.iloc[positions].astype(object).tolist()
    return pd.DataFrame(
        {
            "row": pd.Series(positions + 1, dtype="int64"),
            "value": pd.Series(raw, dtype=object),
            "problem": pd.Series([date_problem(v) or "not in the date grammar" for v in raw]),
        },
        columns=list(PROBLEM_COLUMNS),
    ).astype({"problem": "str"})


def find_date_problems(
    values: pd.Series | Sequence[str], *, allow_empty: bool = False
) -> pd.DataFrame:
    """List every value that is not in the date grammar.

    Parameters
    ----------
    values
        Date strings (a Series or any sequence).
    allow_empty
        Whether missing or blank values are allowed (then they are not problems).

    Returns
    -------
    pandas.DataFrame
        One row per bad value, in input order, with columns

        - ``row`` (int64): 1-based position in ``values`` (the data row of a CSV file,
          header not counted), whatever the index labels are;
        - ``value`` (object): the value as given;
        - ``problem`` (str): what is wrong, e.g. ``"month 13 does not exist"``.

        The frame is empty (with these columns) when every value parses.

    Examples
    --------
    >>> find_date_problems(["2016-03", "2016-13", "", "spring 2015"])
       row        value                   problem
    0    2     2016-13   month 13 does not exist
    1    3                           empty value
    2    4  spring 2015  not in the date grammar
    """
    series = _as_series(values)
    _, _, precision, empty = _vector_parse(series)
    bad = (precision < 0) & ~(empty & allow_empty)
    return _problem_frame(series, bad)


def parse_date_intervals(
    values: pd.Series | Sequence[str],
    *,
    file: str | None = None,
    column: str | None = None,
    allow_empty: bool = False,
) -> pd.DataFrame:
    """Parse a column of date strings at once (vectorised :func:`parse_date_interval`).

    Parameters
    ----------
    values
        Date strings in the grammar of :func:`parse_date_interval`.
    file, column
        Where the values come from, named in the error message.
    allow_empty
        If true, missing (None, NaN, NA) and blank values give rows of NaT, NaT, <NA>;
        otherwise they are errors.

    Returns
    -------
    pandas.DataFrame
        Same index as ``values`` (a RangeIndex for a plain sequence), with columns

        - ``start`` (datetime64[ns]): first day of the interval;
        - ``end`` (datetime64[ns]): last day of the interval, included;
        - ``precision`` (category, :data:`PRECISION_DTYPE`): how precisely the value was
          written, one of ``day, month, quarter, half, third, year, range``.

    Raises
    ------
    DateParseError
        Naming the first bad value with ``file``, ``row`` (1-based position in ``values``)
        and ``column``, and how many more rows are bad; :func:`find_date_problems` lists
        them all.

    Notes
    -----
    All forms are matched with one regular expression by ``Series.str.extract`` and
    the days are computed with NumPy month arithmetic; no Python code runs per value
    unless a value is bad (or the input mixes text with other types). Row by row the
    result equals :func:`parse_date_interval`.

    Examples
    --------
    >>> parse_date_intervals(["2016-03-14", "2015-Q4", "mid 2015", "2015/2016-04", None],
    ...                      allow_empty=True)
           start        end precision
    0 2016-03-14 2016-03-14       day
    1 2015-10-01 2015-12-31   quarter
    2 2015-05-01 2015-08-31     third
    3 2015-01-01 2016-04-30     range
    4        NaT        NaT       NaN
    >>> parse_date_intervals(["2016", "2016-02-30", "x"], file="events.csv", column="date")
    Traceback (most recent call last):
    ...
    cftf_analysis.errors.DateParseError: file 'events.csv', row 2, column 'date': ...
    """
    series = _as_series(values)
    start, end, precision, empty = _vector_parse(series)
    bad = (precision < 0) & ~(empty & allow_empty)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        value = series.iloc[first]
        problem = date_problem(value) or "not in the date grammar"
        others = np.flatnonzero(bad)[1:] + 1
        more = ""
        if len(others):
            listed = ", ".join(map(str, others[:5])) + (", ..." if len(others) > 5 else "")
            more = (
                f" (and {len(others)} more row{'s' if len(others) > 1 else ''} with "
                f"unparseable dates: rows {listed})"
            )
        raise DateParseError(
            f"cannot parse date {value!r}: {problem}{more}; {ACCEPTED_FORMS}",
            file=file,
            row=first + 1,
            column=column,
        )
    return pd.DataFrame(
        {
            "start": start.astype("datetime64[ns]"),
            "end": end.astype("datetime64[ns]"),
            "precision": pd.Categorical.from_codes(precision, dtype=PRECISION_DTYPE),
        },
        index=series.index,
        columns=list(DATE_COLUMNS),
    )


def _day_array(x: object) -> np.ndarray:
    if np.ndim(x) == 0:
        x = [pd.NaT if x is None else x]
    return np.asarray(pd.to_datetime(x), dtype="datetime64[ns]").astype("datetime64[D]")


def interval_overlap_days(
    start_a: object, end_a: object, start_b: object, end_b: object
) -> pd.Series | np.ndarray | float:
    """Number of days two inclusive day intervals have in common.

    Parameters
    ----------
    start_a, end_a, start_b, end_b
        First and last days (included) of intervals ``a`` and ``b``: Timestamps, date
        strings accepted by :func:`pandas.to_datetime`, or equal-length arrays or Series
        of them (scalars broadcast). Times of day are dropped.

    Returns
    -------
    pandas.Series, numpy.ndarray or float
        ``max(0, min(end_a, end_b) - max(start_a, start_b) + 1)`` in days (float64),
        NaN where any bound is missing. A Series (named ``overlap_days``, with the index
        of the first Series argument) if any argument is a Series, a float if all are
        scalars, else an array.

    Examples
    --------
    >>> q = parse_date_interval("2015-Q4")
    >>> interval_overlap_days(q.start, q.end, "2015-11-20", "2016-01-10")
    42.0
    >>> d = parse_date_intervals(["2015-12", "2016-02", None], allow_empty=True)
    >>> interval_overlap_days(d["start"], d["end"], q.start, q.end).tolist()
    [31.0, 0.0, nan]
    """
    args = (start_a, end_a, start_b, end_b)
    sa, ea, sb, eb = (_day_array(x) for x in args)
    span = np.minimum(ea, eb) - np.maximum(sa, sb)
    days = np.clip(span / np.timedelta64(1, "D") + 1.0, 0.0, None)
    series = [x for x in args if isinstance(x, pd.Series)]
    if series:
        return pd.Series(days, index=series[0].index, name="overlap_days")
    if all(np.ndim(x) == 0 for x in args):
        return float(days[0])
    return days
