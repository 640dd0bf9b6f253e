r"""Article dates: the accepted text grammar, time zones and periods.

Every engine turns the article's date column into a UTC calendar date and
then into the start of its period. Typed columns use the engine's own
conversion (a time-zone-aware timestamp is converted to UTC, a naive one is
taken to be UTC already, a date is used as it is). Text goes through one
grammar, checked by the same regular expression in every engine, and the UTC
date is computed by integer arithmetic rather than by each engine's date
parser (the parsers disagree on what they accept):

``YYYY-MM-DD``, optionally followed by ``T`` or a space and ``hh:mm``,
optionally ``:ss`` and a fraction of 1-9 digits, optionally followed (only
after a time) by ``Z`` or an offset ``+hh:mm``, ``+hhmm`` or ``+hh`` (or
``-``). ``t`` and ``z`` may be lower-case (RFC 3339). Years run from 1000
to 9999 and the day must exist in that month (29 February only in leap
years). Text with no offset is taken to be UTC. Anything else - other
formats, surrounding spaces, impossible dates, empty strings, nulls - has no
usable date.

The UTC date of ``YYYY-MM-DD hh:mm`` with offset ``o`` minutes is the local
date plus ``floor((60 hh + mm - o) / 1440)`` days, which is -1, 0 or +1.
Seconds and fractions never move the date, so they are not read.
"""

from __future__ import annotations

import pandas as pd

from cftf_analysis.options import CorpusFreq as Freq
from cftf_analysis.options import check_literal

__all__ = ["DATE_TEXT_PATTERN", "OFFSET_PATTERN", "Freq", "complete_periods"]
#: Engine-neutral names of the period units (DuckDB/Spark/polars differ).
FREQ_UNIT: dict[str, str] = {
    "D": "day",
    "W-MON": "week",
    "MS": "month",
    "QS": "quarter",
    "YS": "year",
}

_Y = "[1-9][0-9]{3}"
_LEAP = "(?:[1-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26])00)"
_MD = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_TIME = "[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{1,9})?)?"
_ZONE = "(?:[Zz]|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)"
#: The whole accepted text grammar (anchored; the same in RE2, Rust and Java).
DATE_TEXT_PATTERN = rf"^(?:{_Y}-{_MD}|{_LEAP}-02-29)(?:{_TIME}{_ZONE}?)?\z"
#: The offset at the end of the part after ``hh:mm`` (characters 17 onwards).
OFFSET_PATTERN = r"([+-])([0-9]{2}):?([0-9]{2})?\z"


def check_freq(freq: str) -> str:
    """Validate ``freq`` and return it."""
    return check_literal(freq, Freq, "freq")


def complete_periods(first: pd.Timestamp, last: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    """Every period start from ``first`` to ``last`` (both period starts).

    Examples
    --------
    >>> list(complete_periods(pd.Timestamp("2015-11-01"), pd.Timestamp("2016-02-01"), "MS"))
    [Timestamp('2015-11-01 00:00:00'), Timestamp('2015-12-01 00:00:00'),
     Timestamp('2016-01-01 00:00:00'), Timestamp('2016-02-01 00:00:00')]
    """
    return pd.date_range(first, last, freq=freq, unit="ns", name="period")
