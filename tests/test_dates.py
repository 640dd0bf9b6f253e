"""Tests for cftf_analysis.dates.

Expected days below are written by hand from the calendar (e.g. Q4 = 1 October to
31 December; 2016 is a leap year, 1900 is not, 2000 is), never copied from the code.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cftf_analysis import config
from cftf_analysis.dates import (
    DATE_COLUMNS,
    DATE_PATTERN,
    PRECISION_DTYPE,
    PROBLEM_COLUMNS,
    DateInterval,
    find_date_problems,
    format_date_interval,
    interval_overlap_days,
    parse_date_interval,
    parse_date_intervals,
)
from cftf_analysis.errors import ArgumentError, DataValidationError, DateParseError

T = pd.Timestamp

# ----------------------------------------------------------------------------- accepted forms
ACCEPTED = [
    ("2016-03-14", "2016-03-14", "2016-03-14", "day"),
    ("2016-03", "2016-03-01", "2016-03-31", "month"),
    ("2016-04", "2016-04-01", "2016-04-30", "month"),
    ("2016", "2016-01-01", "2016-12-31", "year"),
    ("2015-Q1", "2015-01-01", "2015-03-31", "quarter"),
    ("2015-Q2", "2015-04-01", "2015-06-30", "quarter"),
    ("2015-Q3", "2015-07-01", "2015-09-30", "quarter"),
    ("2015-Q4", "2015-10-01", "2015-12-31", "quarter"),
    ("2015-H1", "2015-01-01", "2015-06-30", "half"),
    ("2015-H2", "2015-07-01", "2015-12-31", "half"),
    ("early 2015", "2015-01-01", "2015-04-30", "third"),
    ("mid 2015", "2015-05-01", "2015-08-31", "third"),
    ("late 2015", "2015-09-01", "2015-12-31", "third"),
    ("Early 2016", "2016-01-01", "2016-04-30", "third"),
    ("2016-04/2016-05", "2016-04-01", "2016-05-31", "range"),
    ("2014-01-15/2015-08-31", "2014-01-15", "2015-08-31", "range"),
    ("2015/2016", "2015-01-01", "2016-12-31", "range"),
    ("2014/2014-09", "2014-01-01", "2014-09-30", "range"),
    ("2015-01/2015-02-03", "2015-01-01", "2015-02-03", "range"),
    ("2015-06/2015", "2015-06-01", "2015-12-31", "range"),
    ("2016-03-14/2016-03-14", "2016-03-14", "2016-03-14", "range"),
    ("March 2016", "2016-03-01", "2016-03-31", "month"),
    ("Mar 2016", "2016-03-01", "2016-03-31", "month"),
    ("march 2016", "2016-03-01", "2016-03-31", "month"),
    ("SEPTEMBER 2014", "2014-09-01", "2014-09-30", "month"),
    ("May 2015", "2015-05-01", "2015-05-31", "month"),
    ("14 March 2016", "2016-03-14", "2016-03-14", "day"),
    ("14 Mar 2016", "2016-03-14", "2016-03-14", "day"),
    ("1 dec 2015", "2015-12-01", "2015-12-01", "day"),
    ("07 Jun 2017", "2017-06-07", "2017-06-07", "day"),
    ("  2016-03 \n", "2016-03-01", "2016-03-31", "month"),
    ("\t2015-Q4\xa0", "2015-10-01", "2015-12-31", "quarter"),
]


@pytest.mark.parametrize(("text", "start", "end", "precision"), ACCEPTED)
def test_accepted_forms(text: str, start: str, end: str, precision: str) -> None:
    iv = parse_date_interval(text)
    assert (iv.start, iv.end, iv.precision) == (T(start), T(end), precision)
    assert iv.start.tz is None and iv.start == iv.start.normalize()


@pytest.mark.parametrize(("text", "start", "end", "precision"), ACCEPTED)
def test_vectorised_accepted_forms(text: str, start: str, end: str, precision: str) -> None:
    out = parse_date_intervals([text])
    assert out.loc[0, "start"] == T(start)
    assert out.loc[0, "end"] == T(end)
    assert out.loc[0, "precision"] == precision


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("2016-02", "2016-02-29"),
        ("2015-02", "2015-02-28"),
        ("2000-02", "2000-02-29"),
        ("1900-02", "1900-02-28"),
        ("Feb 2016", "2016-02-29"),
        ("2016-01/2016-02", "2016-02-29"),
        ("2016-02-29", "2016-02-29"),
        ("29 Feb 2016", "2016-02-29"),
    ],
)
def test_leap_years(text: str, end: str) -> None:
    assert parse_date_interval(text).end == T(end)
    assert parse_date_intervals([text])["end"].iloc[0] == T(end)


# ----------------------------------------------------------------------------- rejected forms
REJECTED = [
    ("", "empty value"),
    ("   ", "empty value"),
    ("2016-13", "month 13 does not exist"),
    ("2016-00", "month 00 does not exist"),
    ("2016-02-30", "day 30 does not exist in 2016-02"),
    ("2015-02-29", "day 29 does not exist in 2015-02"),
    ("29 Feb 2015", "day 29 does not exist in 2015-02"),
    ("0 March 2016", "day 00 does not exist"),
    ("2015-Q5", r"quarter 5 does not exist \(1-4\)"),
    ("2015-Q0", "quarter 0 does not exist"),
    ("2015-H3", r"half 3 does not exist \(1-2\)"),
    ("2015-q4", "not in the date grammar"),
    ("spring 2015", "not in the date grammar"),
    ("summer 2015", "not in the date grammar"),
    ("2016-03-14T10:00", "not in the date grammar"),
    ("2016-03-14 10:00", "not in the date grammar"),
    ("2016-3", "not in the date grammar"),
    ("16-03-14", "not in the date grammar"),
    ("2016/03/14", "not in the date grammar"),
    ("14/03/2016", "not in the date grammar"),
    ("March 14, 2016", "not in the date grammar"),
    ("Sept 2016", "not in the date grammar"),
    ("Marc 2016", "not in the date grammar"),
    ("2016-05/2016-04", "end before start"),
    ("2016/2015", "end before start"),
    ("2015-03-02/2015-03-01", "end before start"),
    ("2015-Q1/2015-Q2", "not in the date grammar"),
    ("early 2015/2016", "not in the date grammar"),
    ("2016-04 / 2016-05", "not in the date grammar"),
    ("c. 2016", "not in the date grammar"),
    ("2016?", "not in the date grammar"),
    ("1600", "year 1600 is outside the supported range 1678-2261"),
    ("2262-01", "year 2262 is outside"),
    ("2015/9999", "year 9999 is outside"),
    ("\u0662\u0660\u0661\u0666", "not in the date grammar"),  # Arabic-Indic digits
]


@pytest.mark.parametrize(("text", "reason"), REJECTED)
def test_rejected_forms(text: str, reason: str) -> None:
    with pytest.raises(DateParseError, match=reason) as info:
        parse_date_interval(text)
    message = str(info.value)
    assert repr(text) in message  # the message quotes the text
    assert "accepted forms: YYYY-MM-DD" in message  # and lists the accepted forms


@pytest.mark.parametrize(("text", "reason"), REJECTED)
def test_vectorised_rejects_the_same(text: str, reason: str) -> None:
    with pytest.raises(DateParseError, match=reason):
        parse_date_intervals(["2016", text])
    problems = find_date_problems(["2016", text])
    assert problems["row"].tolist() == [2]


@pytest.mark.parametrize("value", [None, 2016, 2016.0, date(2016, 3, 14)])
def test_non_text_scalar_is_rejected(value: object) -> None:
    with pytest.raises(DateParseError, match="cannot parse date"):
        parse_date_interval(value)  # type: ignore[arg-type]


def test_date_parse_error_is_a_data_validation_error() -> None:
    with pytest.raises(DataValidationError):
        parse_date_interval("2016-13")


# ----------------------------------------------------------------------------- DateInterval
def test_interval_properties() -> None:
    assert parse_date_interval("2016").n_days == 366
    assert parse_date_interval("2015").n_days == 365
    assert parse_date_interval("2015-Q4").n_days == 31 + 30 + 31
    assert parse_date_interval("2016-03-14").n_days == 1
    assert parse_date_interval("2016-03").midpoint == T("2016-03-16")  # 31 days: 16th
    assert parse_date_interval("2016-04").midpoint == T("2016-04-15")  # 30 days: 15th
    assert parse_date_interval("2016-03-14").midpoint == T("2016-03-14")
    assert parse_date_interval("2015").midpoint == T("2015-07-02")  # day 183 of 365
    year = parse_date_interval("2015")
    assert year.contains(parse_date_interval("mid 2015"))
    assert year.contains(T("2015-12-31"))
    assert not year.contains(parse_date_interval("2015-12/2016-01"))
    assert not year.contains(T("2016-01-01"))
    assert str(parse_date_interval("Mar 2016")) == "2016-03"


def test_interval_is_frozen_hashable_and_compares_by_value() -> None:
    iv = parse_date_interval("2015-Q4")
    with pytest.raises(dataclasses.FrozenInstanceError):
        iv.start = T("2015-01-01")  # type: ignore[misc]
    same = DateInterval(T("2015-10-01"), T("2015-12-31"), "quarter")
    assert iv == same and hash(iv) == hash(same)
    assert iv != DateInterval(T("2015-10-01"), T("2015-12-31"), "range")
    assert iv.start.unit == "ns"


def test_interval_validation() -> None:
    with pytest.raises(DateParseError, match="end before start"):
        DateInterval(T("2016-02-01"), T("2016-01-31"), "range")
    with pytest.raises(DateParseError, match="not one calendar month"):
        DateInterval(T("2016-02-01"), T("2016-02-28"), "month")
    with pytest.raises(DateParseError, match="not one calendar quarter"):
        DateInterval(T("2016-02-01"), T("2016-04-30"), "quarter")
    with pytest.raises(DateParseError, match="not one calendar day"):
        DateInterval(T("2016-02-01"), T("2016-02-02"), "day")
    with pytest.raises(ArgumentError, match="precision must be one of day, month"):
        DateInterval(T("2016-02-01"), T("2016-02-29"), "week")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="tz-naive date at midnight"):
        DateInterval(T("2016-02-01 10:00"), T("2016-02-29"), "range")
    with pytest.raises(ArgumentError, match="tz-naive date at midnight"):
        DateInterval(T("2016-02-01", tz="UTC"), T("2016-02-29", tz="UTC"), "month")
    with pytest.raises(ArgumentError, match="in 1678-2261"):
        DateInterval(T("1677-12-01"), T("1677-12-31"), "month")
    with pytest.raises(ArgumentError, match="got 'not a date'"):
        DateInterval("not a date", T("1677-12-31"), "range")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="got None"):
        DateInterval(None, T("2016-12-31"), "range")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2015-01-01", "2016-12-31", "2015/2016"),
        ("2015-01-01", "2015-12-31", "2015/2015"),
        ("2014-01-01", "2015-08-31", "2014/2015-08"),
        ("2014-01-15", "2015-08-31", "2014-01-15/2015-08"),
        ("2016-02-01", "2016-02-28", "2016-02/2016-02-28"),
        ("2014-02-01", "2014-02-28", "2014-02/2014-02"),
        ("2016-02-01", "2016-02-29", "2016-02/2016-02"),
        ("2015-03-01", "2015-05-31", "2015-03/2015-05"),
        ("2015-12-31", "2016-01-01", "2015-12-31/2016-01-01"),
    ],
)
def test_format_range(start: str, end: str, expected: str) -> None:
    assert format_date_interval(DateInterval(T(start), T(end), "range")) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14 Mar 2016", "2016-03-14"),
        ("March 2016", "2016-03"),
        ("2016", "2016"),
        ("2015-H1", "2015-H1"),
        ("2015-Q3", "2015-Q3"),
        ("MID 2015", "mid 2015"),
        ("2014-01/2015-12", "2014/2015"),
    ],
)
def test_format_fixed(text: str, expected: str) -> None:
    assert format_date_interval(parse_date_interval(text)) == expected


# ----------------------------------------------------------------------------- vectorised
def test_output_schema_and_index() -> None:
    values = pd.Series(["2016-03", "2015-Q4", None], index=["a", "b", "c"])
    out = parse_date_intervals(values, allow_empty=True)
    assert list(out.columns) == list(DATE_COLUMNS) == ["start", "end", "precision"]
    assert out["start"].dtype == "datetime64[ns]"
    assert out["end"].dtype == "datetime64[ns]"
    assert out["precision"].dtype == PRECISION_DTYPE
    assert list(PRECISION_DTYPE.categories) == [
        "day",
        "month",
        "quarter",
        "half",
        "third",
        "year",
        "range",
    ]
    assert out.index.equals(values.index)
    assert out.loc["c"].isna().all()


@pytest.mark.parametrize(
    "dtype",
    [
        object,
        "str",
        "string",
        "string[pyarrow]",
        "category",
        pd.ArrowDtype(pa.string()),
        pd.ArrowDtype(pa.large_string()),
    ],
)
def test_input_dtypes(dtype: object) -> None:
    values = pd.Series(["2016-03", "late 2015", None], dtype=dtype)
    out = parse_date_intervals(values, allow_empty=True)
    assert out["end"].tolist()[:2] == [T("2016-03-31"), T("2015-12-31")]
    assert out["precision"].isna().tolist() == [False, False, True]


def test_other_sequences() -> None:
    expected = [T("2016-01-01"), T("2015-10-01")]
    assert parse_date_intervals(("2016", "2015-Q4"))["start"].tolist() == expected
    assert parse_date_intervals(np.array(["2016", "2015-Q4"]))["start"].tolist() == expected
    assert parse_date_intervals(pd.Index(["2016", "2015-Q4"]))["start"].tolist() == expected


def test_empty_input_keeps_the_schema() -> None:
    out = parse_date_intervals([])
    assert out.shape == (0, 3)
    assert out["start"].dtype == "datetime64[ns]"
    assert out["precision"].dtype == PRECISION_DTYPE


def test_allow_empty() -> None:
    values = ["2016", "", None, float("nan"), pd.NA, "  "]
    out = parse_date_intervals(values, allow_empty=True)
    assert out["start"].isna().tolist() == [False, True, True, True, True, True]
    assert out["precision"].isna().sum() == 5
    with pytest.raises(DateParseError, match=r"row 2\b.*empty value.*and 4 more rows"):
        parse_date_intervals(values)
    assert find_date_problems(values)["row"].tolist() == [2, 3, 4, 5, 6]
    assert find_date_problems(values, allow_empty=True).empty


def test_error_names_file_row_column_and_other_bad_rows() -> None:
    # index labels are not row numbers: the row is the 1-based position
    values = pd.Series(["2016", "2016-13", "x", "2016-03", "y", "z"], index=[5, 9, 1, 2, 3, 4])
    pattern = (
        r"^file 'events\.csv', row 2, column 'date': cannot parse date '2016-13': "
        r"month 13 does not exist \(and 3 more rows with unparseable dates: rows 3, 5, 6\)"
    )
    with pytest.raises(DateParseError, match=pattern) as info:
        parse_date_intervals(values, file="events.csv", column="date")
    err = info.value
    assert (err.file, err.row, err.column) == ("events.csv", 2, "date")


def test_error_lists_at_most_five_other_rows() -> None:
    with pytest.raises(DateParseError, match=r"and 9 more rows .*rows 2, 3, 4, 5, 6, \.\.\.\)"):
        parse_date_intervals(["x"] * 10)
    with pytest.raises(DateParseError, match=r"and 1 more row with unparseable dates: rows 2\)"):
        parse_date_intervals(["x", "y"])


def test_mixed_type_input() -> None:
    values = pd.Series(["2016", 2016, None, 3.5], dtype=object)
    problems = find_date_problems(values, allow_empty=True)
    assert problems["row"].tolist() == [2, 4]
    assert problems["problem"].tolist() == ["not text (int)", "not text (float)"]


def test_find_date_problems_schema() -> None:
    problems = find_date_problems(["2016-03", "2016-13", "", "spring 2015"])
    assert list(problems.columns) == list(PROBLEM_COLUMNS) == ["row", "value", "problem"]
    assert problems["row"].dtype == np.int64
    assert problems["value"].tolist() == ["2016-13", "", "spring 2015"]
    assert problems["problem"].tolist() == [
        "month 13 does not exist",
        "empty value",
        "not in the date grammar",
    ]
    none = find_date_problems(["2016"])
    assert none.empty and list(none.columns) == list(PROBLEM_COLUMNS)
    assert none["row"].dtype == np.int64


def test_bare_string_is_an_argument_error() -> None:
    with pytest.raises(ArgumentError, match="use parse_date_interval for one value"):
        parse_date_intervals("2016")  # type: ignore[arg-type]


def test_bundled_data_dates_all_parse() -> None:
    columns = {
        "events.csv": {"date": False},
        "indicators.csv": {"period": False, "baseline_period": True, "published": False},
        "defection_reports.csv": {"published": False, "defection_date": True},
    }
    for name, cols in columns.items():
        frame = pd.read_csv(config.raw_dir() / name, dtype=str, keep_default_na=False)
        for col, allow_empty in cols.items():
            out = parse_date_intervals(frame[col], file=name, column=col, allow_empty=allow_empty)
            assert (out["start"].dropna() >= T("2013-01-01")).all()


# ----------------------------------------------------------------------------- overlap
def test_interval_overlap_days() -> None:
    assert interval_overlap_days("2015-10-01", "2015-12-31", "2015-12-31", "2016-01-05") == 1.0
    assert interval_overlap_days("2015-10-01", "2015-10-31", "2015-11-01", "2015-11-30") == 0.0
    assert np.isnan(interval_overlap_days("2015-10-01", pd.NaT, "2015-10-01", "2015-10-31"))
    frame = parse_date_intervals(pd.Series(["2016", "2015-Q4"], index=[7, 8]))
    out = interval_overlap_days(frame["start"], frame["end"], "2015-12-01", "2016-01-31")
    assert isinstance(out, pd.Series) and out.index.tolist() == [7, 8]
    assert out.tolist() == [31.0, 31.0]


# ----------------------------------------------------------------------------- properties
DAYS = st.dates(min_value=date(1678, 1, 1), max_value=date(2261, 12, 31))
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _coarser_texts(d: date) -> dict[str, str]:
    """Every fixed-precision text naming a period that contains day ``d``."""
    y, m = d.year, d.month
    return {
        "day": d.isoformat(),
        "month": f"{y:04d}-{m:02d}",
        "quarter": f"{y:04d}-Q{(m - 1) // 3 + 1}",
        "half": f"{y:04d}-H{(m - 1) // 6 + 1}",
        "third": f"{('early', 'mid', 'late')[(m - 1) // 4]} {y:04d}",
        "year": f"{y:04d}",
    }


@st.composite
def valid_texts(draw: st.DrawFn) -> str:
    d = draw(DAYS)
    kind = draw(st.sampled_from(["fixed", "named", "range"]))
    if kind == "fixed":
        return draw(st.sampled_from(sorted(_coarser_texts(d).values())))
    if kind == "named":
        name = MONTHS[d.month - 1]
        name = draw(st.sampled_from([name, name[:3]]))
        name = draw(st.sampled_from([name, name.lower(), name.upper()]))
        day = draw(st.sampled_from(["", f"{d.day} ", f"{d.day:02d} "]))
        return f"{day}{name} {d.year:04d}"
    e = draw(st.dates(min_value=d, max_value=date(2261, 12, 31)))
    forms = [d.isoformat(), d.isoformat()[:7], d.isoformat()[:4]]
    a = draw(st.sampled_from(forms))
    b = draw(st.sampled_from([e.isoformat(), e.isoformat()[:7], e.isoformat()[:4]]))
    return f"{a}/{b}"


# strings matching the grammar's shape, including impossible months, days and quarters
SHAPED = st.from_regex(DATE_PATTERN, fullmatch=True)
JUNK = st.text(alphabet="0123456789-/ QHqhMarchyEIlt\t\n\xa0\u0663", max_size=24)
ANY_VALUE = st.one_of(valid_texts(), SHAPED, JUNK, st.none(), st.just(""))


@settings(max_examples=300, deadline=None)
@given(d=DAYS)
def test_coarser_intervals_contain_the_day(d: date) -> None:
    texts = _coarser_texts(d)
    iv = {p: parse_date_interval(t) for p, t in texts.items()}
    day = iv["day"]
    assert day.start == day.end == T(d)
    for p, interval in iv.items():
        assert interval.precision == p
        assert interval.start <= interval.end
        assert interval.contains(day) and interval.contains(T(d))
    # nesting: year > half > quarter > month > day, and year > third > month
    for outer, inner in [("year", "half"), ("half", "quarter"), ("quarter", "month")]:
        assert iv[outer].contains(iv[inner])
    assert iv["year"].contains(iv["third"]) and iv["third"].contains(iv["month"])
    assert iv["month"] == parse_date_interval(f"{MONTHS[d.month - 1]} {d.year}")
    assert day == parse_date_interval(f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}")
    # the day before the interval and the day after are outside it
    for interval in iv.values():
        for outside in (
            interval.start - pd.Timedelta(days=1),
            interval.end + pd.Timedelta(1, "D"),
        ):
            assert not interval.contains(outside)


@settings(max_examples=300, deadline=None)
@given(text=valid_texts())
def test_formatting_is_idempotent(text: str) -> None:
    iv = parse_date_interval(text)
    assert iv.start <= iv.end
    canonical = format_date_interval(iv)
    assert parse_date_interval(canonical) == iv
    assert format_date_interval(parse_date_interval(canonical)) == canonical
    assert str(iv) == canonical
    assert iv.n_days == (iv.end.date() - iv.start.date()).days + 1
    assert iv.contains(iv) and iv.contains(iv.midpoint)


@settings(max_examples=150, deadline=None)
@given(values=st.lists(ANY_VALUE, max_size=30), allow_empty=st.booleans())
@pytest.mark.slow
def test_vectorised_equals_scalar(values: list[str | None], allow_empty: bool) -> None:
    expected_bad = []
    rows = []
    for i, value in enumerate(values):
        empty = value is None or not value.strip(" \t\n\r\f\v\xa0")
        if empty and allow_empty:
            rows.append((pd.NaT, pd.NaT, np.nan))
            continue
        try:
            iv = parse_date_interval(value)  # type: ignore[arg-type]
        except DateParseError:
            expected_bad.append(i + 1)
            rows.append((pd.NaT, pd.NaT, np.nan))
        else:
            rows.append((iv.start, iv.end, iv.precision))
    problems = find_date_problems(values, allow_empty=allow_empty)
    assert problems["row"].tolist() == expected_bad
    if expected_bad:
        with pytest.raises(DateParseError, match=f"row {expected_bad[0]}, column 'c'"):
            parse_date_intervals(values, column="c", allow_empty=allow_empty)
        return
    out = parse_date_intervals(values, allow_empty=allow_empty)
    expected = pd.DataFrame(rows, columns=list(DATE_COLUMNS)).astype(
        {"start": "datetime64[ns]", "end": "datetime64[ns]", "precision": PRECISION_DTYPE}
    )
    pd.testing.assert_frame_equal(out, expected)


@settings(max_examples=150, deadline=None)
@given(value=ANY_VALUE)
@pytest.mark.slow
def test_problem_text_matches_scalar_error(value: str | None) -> None:
    problems = find_date_problems([value])
    try:
        parse_date_interval(value)  # type: ignore[arg-type]
    except DateParseError as exc:
        assert len(problems) == 1
        assert problems["problem"].iloc[0] in str(exc)
    else:
        assert problems.empty


def test_shifted_day_property_example() -> None:
    # a concrete check of the property above on the last day of a leap February
    d = date(2016, 2, 29)
    assert parse_date_interval("2016-H1").contains(parse_date_interval(d.isoformat()))
    assert not parse_date_interval("2016-02").contains(
        parse_date_interval((d + timedelta(days=1)).isoformat())
    )
