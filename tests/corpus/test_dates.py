"""Article dates: the ISO text grammar, UTC conversion and periods, per engine,
against Python's own calendar and ``datetime.fromisoformat``."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import warnings

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cftf_analysis.corpus import DATE_TEXT_PATTERN, UndatedRowsWarning, count_corpus
from cftf_analysis.corpus.engine_duckdb import period_sql
from cftf_analysis.corpus.engine_frames import _polars_period, arrow_period

UTC = dt.UTC


def python_utc_date(text: str) -> dt.date | None:
    """Independent reference: Python's ISO parser, then UTC."""
    if text is None or re.fullmatch(DATE_TEXT_PATTERN[1:].removesuffix(r"\z"), text) is None:
        return None
    clean = re.sub(r"(\.\d{6})\d+", r"\1", text)  # Python reads at most 6 fraction digits
    clean = clean.replace("t", "T").replace("z", "Z")  # and only capital T and Z
    value = dt.datetime.fromisoformat(clean)
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.date()


def engine_dates(texts: list[str | None], freq: str = "D") -> dict[str, list]:
    """The period of each text in DuckDB, pyarrow (the pandas engine) and polars."""
    arr = pa.array(texts, pa.string())
    con = duckdb.connect()
    rel = con.from_arrow(pa.table({"d": arr, "i": pa.array(range(len(texts)))}))
    sql = period_sql('"d"', "VARCHAR", freq)
    duck = [r[0] for r in rel.query("t", f"SELECT {sql} FROM t ORDER BY i").fetchall()]
    pol = pl.DataFrame({"d": arr}).select(_polars_period("d", pl.String, freq)).to_series()
    return {
        "duckdb": duck,
        "pyarrow": arrow_period(arr, "d", freq).to_pylist(),
        "polars": pol.to_list(),
    }


def test_grammar_accepts_exactly_the_calendar_days() -> None:
    days, expected = [], []
    for year in (1900, 1999, 2000, 2014, 2015, 2016, 2100, 2400):
        for month in range(0, 14):
            for day in range(0, 33):
                days.append(f"{year:04d}-{month:02d}-{day:02d}")
                expected.append(
                    1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]
                )
    arr = pa.array(days)
    assert pc.match_substring_regex(arr, DATE_TEXT_PATTERN).to_pylist() == expected
    assert pl.Series(days).str.contains(DATE_TEXT_PATTERN).to_list() == expected
    assert sum(expected) == 8 * 365 + 3  # 2000, 2016, 2400 are leap years; 1900, 2100 not


def test_every_day_of_four_centuries_maps_to_itself() -> None:
    start = dt.date(1900, 1, 1)
    days = [start + dt.timedelta(days=i) for i in range(0, 146_097, 7)]  # 400 years
    got = engine_dates([d.isoformat() for d in days])
    for engine, values in got.items():
        assert values == days, engine


REJECTED = [
    " 2015-01-01",
    "2015-01-01 ",
    "2015-01-01\n",
    "2015-1-1",
    "2015/01/01",
    "01/02/2015",
    "20150101",
    "2015-02-29",
    "2015-04-31",
    "2015-13-01",
    "0999-01-01",
    "2015-01-01T24:00",
    "2015-01-01T10:60",
    "2015-01-01T10:00:60",
    "2015-01-01T10",
    "2015-01-01T10:00+24:00",
    "2015-01-01Z",
    "2015-01-01T10:00:00.1234567890",
    "2015-01-01T10:00:00,5",
    "٢٠١٥-٠١-٠١",
    "Tue, 03 Mar 2015 10:00:00 +0000",
    "",
    None,
]


def test_text_outside_the_grammar_has_no_date() -> None:
    for engine, values in engine_dates(REJECTED).items():
        assert values == [None] * len(REJECTED), engine


def test_offsets_move_the_date_like_python_does(rng) -> None:
    # Times near midnight with offsets up to +-14h, in every accepted spelling.
    texts = [
        "2015-02-28T23:30:00-01:00",  # into 1 March
        "2016-02-28T23:30:00-01:00",  # into the leap day
        "2015-03-01T00:30:00+01:00",  # back into February
        "2015-12-31T22:00:00-0230",  # into the next year
        "2015-01-01 01:00+05",
        "2015-06-30t23:59:59.999999999z",
        "2015-06-30T23:59Z",
        "2015-06-30 12:00",
        "2015-06-30",
    ]
    base = np.datetime64("2014-01-01T00:00")
    spellings = ["{}+{:02d}:{:02d}", "{}-{:02d}{:02d}", "{}+{:02d}", "{}Z", "{}"]
    for _ in range(600):
        stamp = str(base + np.timedelta64(int(rng.integers(0, 4 * 365 * 1440)), "m"))
        stamp = stamp.replace("T", rng.choice(["T", " "]))
        if rng.random() < 0.3:
            stamp += ":" + f"{int(rng.integers(0, 60)):02d}" + rng.choice(["", ".5", ".123456"])
        pattern = spellings[int(rng.integers(0, len(spellings)))]
        hours, minutes = int(rng.integers(0, 15)), int(rng.choice([0, 30, 45]))
        texts.append(
            pattern.format(stamp, hours, minutes) if "{:" in pattern else pattern.format(stamp)
        )
    expected = [python_utc_date(t) for t in texts]
    assert None not in expected
    for engine, values in engine_dates(texts).items():
        assert values == expected, engine


@pytest.mark.parametrize(
    ("freq", "offset"),
    [("D", None), ("W-MON", "W-SUN"), ("MS", "M"), ("QS", "Q"), ("YS", "Y")],
)
def test_periods_start_where_pandas_periods_start(freq: str, offset: str | None) -> None:
    days = pd.date_range("2014-12-20", "2016-01-10", freq="D")
    texts = [d.strftime("%Y-%m-%d") for d in days]
    expected = list(days.date) if offset is None else list(days.to_period(offset).start_time.date)
    for engine, values in engine_dates(texts, freq).items():
        assert values == expected, engine


def _period_of(frame: pd.DataFrame, **options) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndatedRowsWarning)
        counts = count_corpus(
            frame, text="title", topic_terms=None, dedupe=None, freq="D", **options
        )
    return counts.loc[counts["n_articles_topic"] > 0, "period"].dt.date.tolist()


@pytest.mark.parametrize("engine", ["duckdb", "pandas", "polars"])
def test_typed_timestamps_are_converted_to_utc(engine: str) -> None:
    # 23:30 on 31 March in New York is 1 April in UTC; 01:00 on 1 April in
    # Baghdad (UTC+3) is 31 March in UTC.
    ny = pd.Timestamp("2015-03-31 23:30", tz="America/New_York")
    bag = pd.Timestamp("2015-04-01 01:00", tz="Asia/Baghdad")
    for stamp, expected in ((ny, dt.date(2015, 4, 1)), (bag, dt.date(2015, 3, 31))):
        frame = pd.DataFrame({"title": ["x"], "published": pd.Series([stamp])})
        assert _period_of(frame, engine=engine) == [expected]
    naive = pd.DataFrame({"title": ["x"], "published": [pd.Timestamp("2015-03-31 23:30")]})
    assert _period_of(naive, engine=engine) == [dt.date(2015, 3, 31)]
    dates = pd.DataFrame({"title": ["x"], "published": [dt.date(2015, 3, 31)]})
    assert _period_of(dates, engine=engine) == [dt.date(2015, 3, 31)]
