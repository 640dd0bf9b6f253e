"""Fuzzing the readers: valid raw files, mutated, must give a valid frame or the package's error.

Each strategy starts from a slice of a bundled file and mutates it: cell edits from a list of
hostile values (or any text), header edits, byte-level corruption, other encodings. The
invariant: the loader returns a frame or raises :class:`CftfError`, never another exception,
and never changes a valid value silently (every row that was not mutated loads exactly as
before). Corpus inputs are fuzzed the same way through ``count_corpus``.

About two hundred examples run with the test suite (each load takes 0.1-0.3 s); ``make fuzz``
runs twenty times as many (``CFTF_FUZZ_SCALE`` multiplies the examples of every test).
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cftf_analysis as cftf
from cftf_analysis import config
from cftf_analysis.errors import CftfError

SCALE = float(os.environ.get("CFTF_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    """Hypothesis settings: ``examples`` (times CFTF_FUZZ_SCALE), no deadline (file I/O)."""
    return settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


ROWS = 12

#: Values that broke, or could break, a reader: numbers that are not finite or not ASCII,
#: formulas, markup, control characters, quotes and separators, dates out of range or in the
#: future, huge cells, byte-order marks and bidi overrides.
HOSTILE = [
    "",
    " ",
    "inf",
    "-inf",
    "Infinity",
    "nan",
    "NaN",
    "1e309",
    "-1e309",
    "1e20",
    "1e-400",
    "-0",
    "0",
    "-100",
    "-150",
    "1,000",
    "٨٠",
    "１２",
    "0x10",
    "1_000",
    "1.0",
    "1e3",
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r+1",
    '=HYPERLINK("http://x","y")',
    "\x00",
    "a\x00b",
    "\x1b[2J",
    "\x7f",
    "\x85",
    "\t",
    "\r",
    "\n",
    "\r\n",
    "a\nb",
    '"',
    '""',
    '"a"b',
    "'",
    ",",
    ";",
    "a,b",
    "[/]",
    "[link=http://x]y[/link]",
    ":warning:",
    "2099-01-01",
    "2100",
    "2016-13",
    "2016-02-30",
    "0000",
    "9999-12-31",
    "1678",
    "2262",
    "2016-01-01/2015-01-01",
    "early 2016",
    "2016-Q5",
    "2016-01-01T10:00",
    "spring 2015",
    "x" * 5000,
    "é",
    "\ufeff",
    "\u202e",
    "NULL",
    "None",
    "NA",
    "N/A",
    "TRUE",
    "R001",
    "E001",
    "I001",
    "military",
    "percent change",
    "USD billion per day",
    "km2 change",
]
cell_values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=20))


@functools.cache
def base(kind: str) -> pd.DataFrame:
    name = {"reports": "defection_reports.csv", "indicators": "indicators.csv"}.get(
        kind, "events.csv"
    )
    frame = pd.read_csv(config.RAW_DIR / name, dtype=str, keep_default_na=False)
    if kind == "indicators":  # keep a percent change and a km2 change with their baselines
        return frame.iloc[[*range(ROWS), 78, 80, 83]].reset_index(drop=True)
    return frame.head(ROWS)


def loader(kind: str) -> Callable[..., pd.DataFrame]:
    if kind == "reports":
        return cftf.load_reports
    if kind == "indicators":
        return functools.partial(cftf.load_indicators, derive_levels=False)
    return cftf.load_events


@functools.cache
def expected(kind: str) -> pd.DataFrame:
    return loader(kind)(base(kind))


def load(kind: str, source, **options) -> pd.DataFrame | None:
    """The loaded frame, or None for the package's error; anything else fails the test."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return loader(kind)(source, **options)
    except CftfError:
        return None


def write(frame: pd.DataFrame, folder, fmt: str):
    if fmt == "frame":
        return frame
    path = folder / f"table.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    return path


kinds = st.sampled_from(["reports", "indicators", "events"])


@fuzz(50)
@given(
    kind=kinds,
    fmt=st.sampled_from(["csv", "frame", "parquet"]),
    data=st.data(),
)
def test_cell_edits_give_a_frame_or_our_error_and_keep_other_rows(tmp_path, kind, fmt, data):
    frame = base(kind).copy()
    edits = data.draw(
        st.lists(
            st.tuples(
                st.integers(0, len(frame) - 1),
                st.sampled_from(list(frame.columns)),
                cell_values,
            ),
            min_size=1,
            max_size=3,
        )
    )
    for row, column, value in edits:
        frame.loc[row, column] = value
    loaded = load(kind, write(frame, tmp_path, fmt))
    if loaded is None:
        return
    before = expected(kind)
    assert len(loaded) == len(before)
    kept = sorted(set(range(len(frame))) - {row for row, _, _ in edits})
    # an open code list (collection) gains the edited row's new code as a category: the
    # other rows' values must be the same, not the list of categories
    pd.testing.assert_frame_equal(
        loaded.iloc[kept].reset_index(drop=True),
        before.iloc[kept].reset_index(drop=True),
        check_categorical=False,
    )


#: Raw columns whose values feed a tidy column of another name.
_FEEDS = {
    "reports": {
        "published": ["published_start", "published_end", "published_precision", "published_text"],
        "defection_date": [
            "defection_start",
            "defection_end",
            "defection_precision",
            "defection_date_text",
            "published_start",  # stands in for the defection check only; never changed
        ],
        "defector_alias": ["defector_key"],
        "report_id": ["defector_key"],
        "outcome": ["outcome_grouped"],
    },
    "events": {"date": ["date_start", "date_end", "date_precision", "date_text"]},
    "indicators": {
        "value": ["value_as_given"],
        "unit": ["measure", "value", "low", "high", "converted", "unit_as_given"],
        "period": ["period_start", "period_end", "period_precision", "period_text"],
        "baseline_period": ["baseline_start", "baseline_end"],
        "source_org": ["producer"],
    },
}


def tidy_columns(kind: str, raw_columns: set[str]) -> set[str]:
    """The tidy columns that the raw columns ``raw_columns`` feed."""
    out = set(raw_columns)
    for column in raw_columns:
        out |= set(_FEEDS[kind].get(column, []))
    return out


def _header_edit(columns: list[str], edit: str, i: int, j: int, value: str) -> list[str]:
    out = list(columns)
    if edit == "upper":
        out[i] = out[i].upper()
    elif edit == "pad":
        out[i] = f"  {out[i]} "
    elif edit == "rename":
        out[i] = value
    elif edit == "swap":
        out[i], out[j] = out[j], out[i]
    elif edit == "copy":
        out[j] = out[i]
    return out


@fuzz(30)
@given(
    kind=kinds,
    fmt=st.sampled_from(["csv", "frame"]),
    edit=st.sampled_from(["upper", "pad", "rename", "swap", "copy", "drop"]),
    i=st.integers(0, 30),
    j=st.integers(0, 30),
    value=cell_values,
)
def test_header_edits_never_move_or_lose_values_silently(tmp_path, kind, fmt, edit, i, j, value):
    frame = base(kind).copy()
    n = frame.shape[1]
    i, j = i % n, j % n
    if edit == "drop":
        frame = frame.drop(columns=frame.columns[i])
    else:
        frame.columns = _header_edit(list(frame.columns), edit, i, j, value)
    loaded = load(kind, write(frame, tmp_path, fmt))
    if loaded is None:
        return
    before = expected(kind)
    assert list(loaded.columns) == list(before.columns)
    touched = {base(kind).columns[i]} | (
        {base(kind).columns[j]} if edit in ("swap", "copy") else set()
    )
    # values under headers that were not edited are never moved, changed or lost
    for column in set(before.columns) - tidy_columns(kind, touched):
        pd.testing.assert_series_equal(loaded[column], before[column])


@fuzz(40)
@given(
    kind=kinds,
    corruption=st.lists(
        st.tuples(
            st.sampled_from(["flip", "insert", "delete"]),
            st.integers(0, 10**6),
            st.integers(0, 255),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_byte_corruption_gives_a_frame_or_our_error(tmp_path, kind, corruption):
    data = bytearray(base(kind).to_csv(index=False).encode("utf-8"))
    for op, where, byte in corruption:
        pos = where % (len(data) + 1)
        if op == "insert" or pos == len(data):
            data[pos:pos] = bytes([byte])
        elif op == "flip":
            data[pos] = byte
        else:
            del data[pos]
    path = tmp_path / "table.csv"
    path.write_bytes(bytes(data))
    loaded = load(kind, path)
    if loaded is not None:
        assert len(loaded) <= len(data)


@fuzz(15)
@given(
    kind=kinds,
    codec=st.sampled_from(["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252"]),
    accent=st.booleans(),
)
def test_other_encodings_are_named_or_read_exactly(tmp_path, kind, codec, accent):
    frame = base(kind).copy()
    text_column = {"reports": "summary", "indicators": "note", "events": "note"}[kind]
    if accent:
        frame.loc[1, text_column] = "café crème"
    path = tmp_path / "table.csv"
    path.write_bytes(frame.to_csv(index=False).encode(codec))
    want = loader(kind)(frame)
    default = load(kind, path)
    if default is not None:  # only UTF-8 (with or without BOM), or ASCII-only cp1252
        pd.testing.assert_frame_equal(default, want)
    pd.testing.assert_frame_equal(loader(kind)(path, encoding=codec), want)


# --- corpus inputs -------------------------------------------------------------------------------


@functools.cache
def articles() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 30
    days = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    return pd.DataFrame(
        {
            "published": [f"{d:%Y-%m-%d}" for d in days],
            "title": [f"Islamic State fighter defects {i}" for i in range(n)],
            "text": ["ISIS deserters flee Raqqa" if i % 3 else "oil prices" for i in range(n)],
        }
    )


def _corpus_file(frame: pd.DataFrame, folder, fmt: str):
    path = folder / f"articles.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    return path


def count(path, **options) -> pd.DataFrame | None:
    from cftf_analysis.corpus import count_corpus

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return count_corpus(path, text=("title", "text"), **options)
    except CftfError:
        return None


@fuzz(25)
@given(
    fmt=st.sampled_from(["parquet", "csv", "jsonl"]),
    engine=st.sampled_from(["auto", "pandas"]),
    data=st.data(),
)
def test_corpus_cell_edits_count_every_row_or_fail_cleanly(tmp_path, fmt, engine, data):
    from cftf_analysis.corpus import corpus_summary

    frame = articles().copy()
    edits = data.draw(
        st.lists(
            st.tuples(
                st.integers(0, len(frame) - 1), st.sampled_from(list(frame.columns)), cell_values
            ),
            min_size=1,
            max_size=3,
        )
    )
    for row, column, value in edits:
        frame.loc[row, column] = value
    counts = count(_corpus_file(frame, tmp_path, fmt), engine=engine)
    if counts is not None:
        assert int(corpus_summary(counts).loc[0, "n_rows"]) == len(frame)


@fuzz(30)
@given(
    fmt=st.sampled_from(["parquet", "csv", "jsonl"]),
    cut=st.floats(0, 1),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=3),
)
def test_corpus_byte_corruption_fails_cleanly(tmp_path, fmt, cut, flips):
    path = _corpus_file(articles(), tmp_path, fmt)
    data = bytearray(path.read_bytes())
    for where, byte in flips:
        data[int(where * (len(data) - 1))] = byte
    path.write_bytes(bytes(data[: max(0, int(cut * len(data)))]) if cut < 0.5 else bytes(data))
    count(path)


def test_the_hostile_list_is_not_empty_and_loads_as_text():
    # the strategies above draw from HOSTILE; a frame of it must at least be read as text
    from cftf_analysis._io import read_raw

    frame, problems = read_raw(pd.DataFrame({"a": HOSTILE, "b": list(reversed(HOSTILE))}))
    assert len(frame) == len(HOSTILE)
    flagged = set(problems.to_frame()["row"].dropna().astype(int))
    assert HOSTILE.index("\x00") + 1 in flagged


@pytest.mark.parametrize("value", ["inf", "1e309", "2099-01-01", "\x00"])
def test_known_bad_values_never_load(value):
    frame = base("events").copy()
    frame.loc[0, "date"] = value
    assert load("events", frame) is None
