"""Date intervals: the grammar, the :class:`DateInterval` type, scalar parsing and formatting.

The vectorised parser for whole columns is in :mod:`cftf_analysis.dates`,
which re-exports everything here.

Every date or period column of the bundled data uses one small grammar (see
``data/raw/README.md``, "Date grammar"). Each value names a set of whole days,
so this module turns it into an inclusive interval ``[start, end]`` of days plus
the precision it was written with:

========================  ========================  ===========
form                      example                   precision
========================  ========================  ===========
``YYYY-MM-DD``            ``2016-03-14``            ``day``
``YYYY-MM``               ``2016-03``               ``month``
``YYYY``                  ``2016``                  ``year``
``YYYY-Qn`` (n = 1-4)     ``2015-Q4``               ``quarter``
``YYYY-Hn`` (n = 1-2)     ``2015-H2``               ``half``
``early|mid|late YYYY``   ``mid 2015``              ``third``
``A/B`` (ISO 8601)        ``2014-09/2015-02-15``    ``range``
``D Month YYYY``          ``14 March 2016``         ``day``
``Month YYYY``            ``Mar 2016``              ``month``
========================  ========================  ===========

``early`` is January-April, ``mid`` May-August and ``late`` September-December.
In ``A/B`` both ends are ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; the interval runs
from the first day of ``A`` to the last day of ``B``. Nothing else is accepted:
the parser never guesses.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

import numpy as np
import pandas as pd

from cftf_analysis.errors import ArgumentError, DateParseError

__all__ = [
    "ACCEPTED_FORMS",
    "DATE_COLUMNS",
    "DATE_PATTERN",
    "MONTH_ABBR",
    "PRECISIONS",
    "PRECISION_DTYPE",
    "PROBLEM_COLUMNS",
    "STRIP_CHARS",
    "THIRDS",
    "YEAR_MAX",
    "YEAR_MIN",
    "DateInterval",
    "Precision",
    "date_problem",
    "format_date_interval",
    "parse_date_interval",
]

Precision = Literal["day", "month", "quarter", "half", "third", "year", "range"]
#: The precision categories, in the order of :data:`PRECISION_DTYPE`.
PRECISIONS: tuple[str, ...] = get_args(Precision)
#: dtype of the ``precision`` column returned by :func:`parse_date_intervals`.
PRECISION_DTYPE = pd.CategoricalDtype(list(PRECISIONS), ordered=False)
#: Columns returned by :func:`parse_date_intervals`.
DATE_COLUMNS: tuple[str, ...] = ("start", "end", "precision")
#: Columns returned by :func:`find_date_problems`.
PROBLEM_COLUMNS: tuple[str, ...] = ("row", "value", "problem")

#: Years the parser accepts: the whole years that fit ``datetime64[ns]``.
YEAR_MIN, YEAR_MAX = 1678, 2261
#: Characters stripped from both ends of a value (ASCII white space and no-break space).
STRIP_CHARS = " \t\n\r\f\v\xa0"
# months per period of each fixed-length precision
_MONTHS_PER = {"month": 1, "quarter": 3, "third": 4, "half": 6, "year": 12}
#: The thirds of a year, in order (Jan-Apr, May-Aug, Sep-Dec).
THIRDS = ("early", "mid", "late")
# English month names, written out (calendar.month_name follows the locale)
_MONTH_NAMES_EN = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
#: Three-letter English month abbreviations, January first.
MONTH_ABBR = tuple(m[:3] for m in _MONTH_NAMES_EN)
#: The grammar in one line, appended to parse errors.
ACCEPTED_FORMS = (
    "accepted forms: YYYY-MM-DD, YYYY-MM, YYYY, YYYY-Qn, YYYY-Hn, 'early|mid|late YYYY', "
    "'March 2021', '14 March 2021', or an interval A/B of YYYY-MM-DD, YYYY-MM or YYYY forms"
)


def _anycase(word: str) -> str:
    # explicit ASCII classes instead of a case-insensitive flag, so that Python's re and
    # pyarrow's RE2 (used by pandas' str.extract) match exactly the same strings
    return "".join(f"[{c.upper()}{c.lower()}]" for c in word)


def _point(p: str) -> str:
    return f"(?P<{p}y>[0-9]{{4}})(?:-(?P<{p}m>[0-9]{{2}})(?:-(?P<{p}d>[0-9]{{2}}))?)?"


_MONTH_NAMES = "|".join(
    _anycase(abbr) + (f"(?:{_anycase(full[3:])})?" if len(full) > 3 else "")
    for abbr, full in zip(MONTH_ABBR, _MONTH_NAMES_EN, strict=True)
)
#: The whole date grammar as one regular expression (the same in Python's re and RE2).
DATE_PATTERN = (
    f"^(?:{_point('a')}(?:/{_point('b')})?"
    "|(?P<py>[0-9]{4})-(?:Q(?P<q>[0-9])|H(?P<h>[0-9]))"
    f"|(?P<tw>{'|'.join(map(_anycase, THIRDS))}) +(?P<ty>[0-9]{{4}})"
    f"|(?:(?P<nd>[0-9]{{1,2}}) +)?(?P<nm>{_MONTH_NAMES}) +(?P<ny>[0-9]{{4}}))$"
)
_REGEX = re.compile(DATE_PATTERN)


class _Problem(Exception):
    """Internal: why one value is outside the grammar."""


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _check_year(year: int) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise _Problem(f"year {year:04d} is outside the supported range {YEAR_MIN}-{YEAR_MAX}")


def _day_span(year: int, month: int | None, day: int | None) -> tuple[date, date]:
    """First and last day named by a year, optional month and optional day."""
    _check_year(year)
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    if not 1 <= month <= 12:
        raise _Problem(f"month {month:02d} does not exist")
    if day is None:
        return date(year, month, 1), _last_day(year, month)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise _Problem(f"day {day:02d} does not exist in {year:04d}-{month:02d}")
    return date(year, month, day), date(year, month, day)


def _fields(text: str) -> tuple[date, date, str]:
    """Start, end and precision of a stripped, non-empty value, or raise ``_Problem``."""
    match = _REGEX.match(text)
    if match is None:
        raise _Problem("not in the date grammar")
    g = {k: (None if v is None else v.lower()) for k, v in match.groupdict().items()}
    num = {k: (None if v is None or not v.isdigit() else int(v)) for k, v in g.items()}
    if g["ay"] is not None:
        start, end = _day_span(num["ay"], num["am"], num["ad"])
        if g["by"] is None:
            precision = "day" if g["ad"] else "month" if g["am"] else "year"
            return start, end, precision
        end = _day_span(num["by"], num["bm"], num["bd"])[1]
        if end < start:
            raise _Problem("end before start")
        return start, end, "range"
    if g["py"] is not None:
        kind, n, last = ("quarter", num["q"], 4) if g["q"] else ("half", num["h"], 2)
        if not 1 <= n <= last:
            raise _Problem(f"{kind} {n} does not exist (1-{last})")
        k = _MONTHS_PER[kind]
        first = _day_span(num["py"], (n - 1) * k + 1, None)[0]
        return first, _last_day(first.year, n * k), kind
    if g["tw"] is not None:
        first = _day_span(num["ty"], 4 * THIRDS.index(g["tw"]) + 1, None)[0]
        return first, _last_day(first.year, first.month + 3), "third"
    month = MONTH_ABBR.index(g["nm"][:3]) + 1
    start, end = _day_span(num["ny"], month, num["nd"])
    return start, end, "day" if g["nd"] is not None else "month"


def date_problem(value: object) -> str | None:
    """Why ``value`` is not a date in the grammar (``None`` when it is one)."""
    if not isinstance(value, str):
        missing = value is None or (np.ndim(value) == 0 and bool(pd.isna(value)))
        return "empty value" if missing else f"not text ({type(value).__name__})"
    if not value.strip(STRIP_CHARS):
        return "empty value"
    try:
        _fields(value.strip(STRIP_CHARS))
    except _Problem as exc:
        return str(exc)
    return None


def _timestamp(value: object, name: str) -> pd.Timestamp:
    problem = f"DateInterval.{name} must be a tz-naive date at midnight in {YEAR_MIN}-{YEAR_MAX}"
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
        ok = ts is not pd.NaT and ts.tz is None and ts == ts.normalize()
        ok = ok and YEAR_MIN <= ts.year <= YEAR_MAX
    except (TypeError, ValueError) as exc:  # includes OutOfBoundsDatetime
        raise ArgumentError(f"{problem}, got {value!r}") from exc
    if not ok:
        raise ArgumentError(f"{problem}, got {value!r}")
    return ts.as_unit("ns")


@dataclass(frozen=True)
class DateInterval:
    """An inclusive interval of whole days, with the precision it was written at.

    Parameters
    ----------
    start, end
        First and last day (both included), tz-naive Timestamps at midnight. They are
        stored with nanosecond resolution.
    precision
        One of ``"day", "month", "quarter", "half", "third", "year", "range"``. Except for
        ``"range"``, ``start`` and ``end`` must bound exactly one such calendar period.

    Raises
    ------
    DateParseError
        If ``end`` is before ``start`` or the days do not match ``precision``.
    ArgumentError
        If ``precision`` is not allowed or a bound is not a tz-naive midnight in a year
        the parser accepts (1678-2261).

    Notes
    -----
    ``n_days`` is the number of days (both ends included), ``midpoint`` the middle day
    (the earlier one when ``n_days`` is even), ``contains(other)`` tells whether an
    interval or a day lies wholly inside, and ``str()`` gives the canonical text
    (:func:`format_date_interval`). Instances are immutable, hashable and equal when
    start, end and precision are equal.

    Examples
    --------
    >>> iv = DateInterval(pd.Timestamp("2016-02-01"), pd.Timestamp("2016-02-29"), "month")
    >>> str(iv), iv.n_days, iv.midpoint.date()
    ('2016-02', 29, datetime.date(2016, 2, 15))
    >>> iv.contains(parse_date_interval("2016-02-14"))
    True
    """

    start: pd.Timestamp
    end: pd.Timestamp
    precision: Precision

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ArgumentError(
                f"precision must be one of {', '.join(PRECISIONS)}; got {self.precision!r}"
            )
        start, end = _timestamp(self.start, "start"), _timestamp(self.end, "end")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        if end < start:
            raise DateParseError(f"end before start: {start.date()} to {end.date()}")
        k = _MONTHS_PER.get(self.precision)
        if self.precision == "day":
            exact = start == end
        elif k is not None:
            exact = (
                start.day == 1
                and (start.month - 1) % k == 0
                and end.date() == _last_day(start.year, start.month + k - 1)
            )
        else:
            exact = True
        if not exact:
            raise DateParseError(
                f"{start.date()} to {end.date()} is not one calendar {self.precision}"
            )

    def __str__(self) -> str:
        return format_date_interval(self)

    @property
    def n_days(self) -> int:
        """Number of days in the interval, both ends included."""
        return (self.end.date() - self.start.date()).days + 1

    @property
    def midpoint(self) -> pd.Timestamp:
        """The middle day (the earlier of the two middle days when ``n_days`` is even)."""
        return pd.Timestamp(self.start.date() + timedelta(days=(self.n_days - 1) // 2)).as_unit(
            "ns"
        )

    def contains(self, other: DateInterval | pd.Timestamp) -> bool:
        """Whether every day of ``other`` (an interval or one day) lies in this interval."""
        if isinstance(other, DateInterval):
            return bool(self.start <= other.start and other.end <= self.end)
        day = pd.Timestamp(other).normalize()
        return bool(self.start <= day <= self.end)


def parse_date_interval(text: str) -> DateInterval:
    """Parse one value of the date grammar into a :class:`DateInterval`.

    Parameters
    ----------
    text
        A value such as ``"2016-03-14"``, ``"2016-03"``, ``"2016"``, ``"2015-Q4"``,
        ``"2015-H2"``, ``"early 2015"`` (January-April), ``"mid 2015"`` (May-August),
        ``"late 2015"`` (September-December), ``"2016-04/2016-05"``, ``"March 2016"``,
        ``"Mar 2016"``, ``"14 March 2016"`` or ``"14 Mar 2016"``. Surrounding white
        space is ignored; month names and early/mid/late ignore case (``Q`` and ``H``
        must be upper case).

    Returns
    -------
    DateInterval
        ``start`` (first day), ``end`` (last day, included) and ``precision``.

    Raises
    ------
    DateParseError
        For anything else (empty text, ``2016-13``, ``2016-02-30``, ``spring 2015``,
        times of day, an interval ending before it starts, years outside 1678-2261).

    Notes
    -----
    ``A/B`` is an ISO 8601 interval whose ends are each ``YYYY-MM-DD``, ``YYYY-MM`` or
    ``YYYY``: it runs from the first day of ``A`` to the last day of ``B``, so
    ``2015/2016`` covers two whole years. Month names are English, in full or as
    3-letter abbreviations.

    Examples
    --------
    >>> iv = parse_date_interval("2015-Q4")
    >>> iv.start.date(), iv.end.date(), iv.precision
    (datetime.date(2015, 10, 1), datetime.date(2015, 12, 31), 'quarter')
    >>> print(parse_date_interval("mid 2015").end.date())
    2015-08-31
    >>> str(parse_date_interval("14 Mar 2016")), str(parse_date_interval("2014/2014-09"))
    ('2016-03-14', '2014/2014-09')
    >>> parse_date_interval("spring 2015")
    Traceback (most recent call last):
    ...
    cftf_analysis.errors.DateParseError: cannot parse date 'spring 2015': not in the ...
    """
    problem = date_problem(text)
    if problem is not None:
        raise DateParseError(f"cannot parse date {text!r}: {problem}; {ACCEPTED_FORMS}")
    start, end, precision = _fields(text.strip(STRIP_CHARS))
    return DateInterval(pd.Timestamp(start), pd.Timestamp(end), precision)  # type: ignore[arg-type]


def _form(day: pd.Timestamp, *, first: bool) -> str:
    """Coarsest of YYYY / YYYY-MM / YYYY-MM-DD whose first (or last) day is ``day``."""
    y, m = day.year, day.month
    if (m, day.day) == ((1, 1) if first else (12, 31)):
        return f"{y:04d}"
    if day.day == 1 if first else day.is_month_end:
        return f"{y:04d}-{m:02d}"
    return f"{y:04d}-{m:02d}-{day.day:02d}"


def format_date_interval(interval: DateInterval) -> str:
    """Canonical text of an interval, in the date grammar.

    Parameters
    ----------
    interval
        The interval to write.

    Returns
    -------
    str
        ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY``, ``YYYY-Qn``, ``YYYY-Hn``,
        ``early|mid|late YYYY`` for the fixed precisions; for ``"range"``, ``A/B`` where
        ``A`` is the coarsest of the year/month/day forms whose first day is ``start``
        and ``B`` the coarsest whose last day is ``end``.

    Notes
    -----
    Formatting is exact and idempotent: ``parse_date_interval(format_date_interval(i))
    == i`` for every interval ``i``.

    Examples
    --------
    >>> format_date_interval(parse_date_interval("March 2016"))
    '2016-03'
    >>> format_date_interval(parse_date_interval("2014-01-01/2015-08-31"))
    '2014/2015-08'
    """
    start, p = interval.start, interval.precision
    if p == "range":
        return f"{_form(start, first=True)}/{_form(interval.end, first=False)}"
    if p == "day":
        return f"{start.year:04d}-{start.month:02d}-{start.day:02d}"
    if p == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if p == "year":
        return f"{start.year:04d}"
    if p == "third":
        return f"{THIRDS[(start.month - 1) // 4]} {start.year:04d}"
    n = (start.month - 1) // _MONTHS_PER[p] + 1
    return f"{start.year:04d}-{'Q' if p == 'quarter' else 'H'}{n}"


# --------------------------------------------------------------------------- vectorised
# an ArrowDtype (not StringDtype) so that str.extract runs in pyarrow's RE2 kernel
