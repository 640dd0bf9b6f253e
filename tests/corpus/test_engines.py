"""The same counts from every engine - DuckDB, pandas, polars and PySpark
(local[2]) - and from the brute-force reference, on a generated archive with
syndicated copies, re-crawled URLs, undated rows, Arabic and English; and
Spark's Java regex and date code on the tables the other tests use."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cftf_analysis.case import read_case_file
from cftf_analysis.config import BUNDLED_CASE_FILE
from cftf_analysis.corpus import (
    UndatedRowsWarning,
    case_terms,
    corpus_summary,
    count_corpus,
    term_pattern,
)
from tests.corpus.test_dates import REJECTED, python_utc_date
from tests.corpus.test_reference import reference_counts
from tests.corpus.test_terms import CASES

#: The bundled case's corpus terms (its group names and the generic defection words).
DEFAULT_TOPIC_TERMS, DEFAULT_DEFECTION_TERMS = case_terms(read_case_file(BUNDLED_CASE_FILE))

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _make_corpus():
    spec = importlib.util.spec_from_file_location("make_corpus", BENCHMARKS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module
    spec.loader.exec_module(module)
    return module


# Hand-made rows appended to the generated archive: Arabic with and without
# prefixes, URL spellings of one page, a copy across a month end, case-
# sensitive "IS", and rows with neither URL nor title.
TRICKY = [
    ("https://www.x.example/1", "المنشق عن داعش يتحدث", "2015-05-31T23:00:00Z"),
    ("http://x.example/1/", "منشق عن تنظيم الدولة", "2015-06-01T01:00:00Z"),
    ("https://y.example/2#c", "انشقاق في صفوف داعش", "2015-06-02T00:00:00Z"),
    ("https://z.example/3", "انشقاق في صفوف داعش", "2015-06-30T23:59:00Z"),
    ("https://z.example/4", "انشقاق في صفوف داعش!", "2015-07-01T00:00:00Z"),
    ("https://a.example/5", "He fled IS, he says", "2016-01-10T12:00:00Z"),
    ("https://a.example/6", "What he fled is over", "2016-01-10T12:00:00Z"),
    (None, "ISIS", "2016-01-11T12:00:00Z"),
    (None, None, "2016-01-11T12:00:00Z"),
    ("", "", "2016-01-12T12:00:00Z"),
    ("https://a.example/7", "ex-ISIS commander defects", None),
    # lower-casing that differs between engines unless normalised first
    ("https://g.example/1", "ISIS ΣΤΗΝ ΟΔΟΣ", "2016-02-01T00:00:00Z"),
    ("https://g.example/2", "isis στην οδοσ", "2016-02-02T00:00:00Z"),
    ("https://g.example/3", "isis στην οδος", "2016-02-03T00:00:00Z"),
    ("https://t.example/1", "İSTANBUL: ISIS", "2016-02-01T00:00:00Z"),
    ("https://t.example/2", "istanbul isis", "2016-02-02T00:00:00Z"),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> pa.Table:
    """About 4,700 rows: 3,000 generated stories plus the tricky rows."""
    make_corpus = _make_corpus()
    table = make_corpus.generate_chunk(3000, seed=11, text_words=6, undated_share=0.02)
    extra = pa.table(
        {
            "url": pa.array([r[0] for r in TRICKY], pa.string()),
            "title": pa.array([r[1] for r in TRICKY], pa.string()),
            "text": pa.array([None] * len(TRICKY), pa.string()),
            "published": pa.array(
                [None if r[2] is None else pd.Timestamp(r[2]) for r in TRICKY],
                pa.timestamp("us", tz="UTC"),
            ),
            "outlet": pa.array(["tricky"] * len(TRICKY), pa.string()),
        }
    )
    return pa.concat_tables([table, extra])


@pytest.fixture(scope="module")
def text_dated(corpus: pa.Table) -> pa.Table:
    """The archive with dates as ISO text in many spellings and offsets, some invalid."""
    rng = np.random.default_rng(5)
    stamps = corpus["published"].to_pylist()
    texts = []
    for i, stamp in enumerate(stamps):
        if stamp is None:
            texts.append(REJECTED[i % len(REJECTED)])
            continue
        minutes = int(rng.choice([0, 30, 90, 300, 600, -60, -330, -720]))
        local = stamp + dt.timedelta(minutes=minutes)
        sign = "+" if minutes >= 0 else "-"
        hh, mm = divmod(abs(minutes), 60)
        offset = rng.choice([f"{sign}{hh:02d}:{mm:02d}", f"{sign}{hh:02d}{mm:02d}"])
        if minutes == 0:
            offset = rng.choice(["Z", "", "+00"])
        sep = rng.choice(["T", " "])
        texts.append(local.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + str(offset))
    return corpus.set_column(3, "published", pa.array(texts, pa.string()))


def _counts(source, **options) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndatedRowsWarning)
        return count_corpus(source, **options)


def _as_reference(counts: pd.DataFrame) -> tuple[dict, dict]:
    nonzero = counts[counts["n_articles_topic"] > 0]
    per = {
        r.period.date(): (r.n_articles_topic, r.n_articles_defection, r.n_duplicates_removed)
        for r in nonzero.itertuples()
    }
    s = corpus_summary(counts).iloc[0]
    keys = ("n_rows", "n_undated", "n_undated_topic", "n_undated_defection")
    return per, {k: int(s[k]) for k in keys}


def _reference(table: pa.Table) -> tuple[dict, dict]:
    return reference_counts(
        table.to_pylist(),
        text=["title", "text"],
        topic_terms=DEFAULT_TOPIC_TERMS,
        defection_terms=DEFAULT_DEFECTION_TERMS,
    )


@pytest.fixture(scope="module")
def expected(corpus: pa.Table) -> tuple[dict, dict]:
    per, totals = _reference(corpus)
    # The archive exercises every rule: duplicates, undated rows, Arabic.
    assert sum(v[2] for v in per.values()) > 500
    assert totals["n_undated_topic"] > 10 and totals["n_undated_defection"] >= 1
    assert per[dt.date(2015, 6, 1)][0] >= 2
    return per, totals


def test_greek_and_turkish_capitals_give_one_key_in_every_engine(corpus) -> None:
    # Of the five rows of February 2016 above, the first two Greek ones and
    # the two Turkish ones are one article each; "οδος" (final sigma typed as
    # such) is a title of its own.
    rows = corpus.slice(corpus.num_rows - 5).to_pylist()
    for engine in ("duckdb", "pandas", "polars"):
        counts = _counts(pa.Table.from_pylist(rows, schema=corpus.schema), engine=engine)
        assert counts["n_articles_topic"].tolist() == [3], engine
        assert counts["n_duplicates_removed"].tolist() == [2], engine


@pytest.mark.slow
def test_duckdb_pandas_polars_equal_the_reference(corpus, expected, tmp_path) -> None:
    path = tmp_path / "corpus.parquet"
    pq.write_table(corpus, path, row_group_size=1000)
    runs = {
        "duckdb files": _counts(path),
        "duckdb frame": _counts(corpus.to_pandas(), engine="duckdb"),
        "pandas": _counts(corpus.to_pandas()),
        "polars": _counts(pl.from_arrow(corpus)),
        "polars files": _counts(path, engine="polars"),
    }
    for name, counts in runs.items():
        assert _as_reference(counts) == expected, name
    first = runs["duckdb files"]
    for name, counts in runs.items():
        pd.testing.assert_frame_equal(counts, first, obj=name)


@pytest.mark.slow
def test_text_dates_give_the_same_counts_in_every_engine(text_dated) -> None:
    expected = _reference(text_dated)
    for engine in ("duckdb", "pandas", "polars"):
        assert _as_reference(_counts(text_dated, engine=engine)) == expected, engine


# --- Spark -------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark():
    """One local[2] session for all Spark tests, in a non-UTC session time zone
    (the counts must not depend on it)."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("cftf-corpus-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "America/New_York")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.spark
def test_spark_equals_the_other_engines(spark, corpus, text_dated, expected, tmp_path) -> None:
    pq.write_table(corpus, tmp_path / "typed.parquet")
    pq.write_table(text_dated, tmp_path / "text.parquet")
    typed = _counts(spark.read.parquet(str(tmp_path / "typed.parquet")))
    assert _as_reference(typed) == expected
    pd.testing.assert_frame_equal(typed, _counts(tmp_path / "typed.parquet"))
    # engine="spark" reads files with the active session
    text = _counts(tmp_path / "text.parquet", engine="spark")
    assert _as_reference(text) == _reference(text_dated)


@pytest.mark.spark
def test_spark_java_regex_matches_the_term_table(spark) -> None:
    from pyspark.sql import functions as F

    rows = [(i, text, term_pattern(terms)) for i, (text, terms, _) in enumerate(CASES)]
    df = spark.createDataFrame(rows, "i int, t string, p string")
    got = [r[0] for r in df.orderBy("i").select(F.expr("t rlike p")).collect()]
    assert got == [expected for _, _, expected in CASES]


@pytest.mark.spark
def test_spark_dates_match_python(spark) -> None:
    from cftf_analysis.corpus.engine_spark import _period

    good = [
        "2015-02-28T23:30:00-01:00",
        "2016-02-28T23:30:00-01:00",
        "2015-03-01T00:30:00+01:00",
        "2015-12-31T22:00:00-0230",
        "2015-01-01 01:00+05",
        "2015-06-30t23:59:59.999999999z",
        "2015-06-30",
    ]
    texts = good + REJECTED
    df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "i int, d string")
    got = [r[0] for r in df.orderBy("i").select(_period(df, "d", "D")).collect()]
    assert got == [python_utc_date(t) for t in good] + [None] * len(REJECTED)
    # An instant at 03:30 UTC on 1 April is 31 March in New York; the UTC date counts.
    ts = spark.createDataFrame(
        [
            (0, dt.datetime(2015, 4, 1, 3, 30, tzinfo=dt.UTC)),
            (1, dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.UTC)),
        ],
        "i int, d timestamp",
    )
    got = [r[0] for r in ts.orderBy("i").select(_period(ts, "d", "MS")).collect()]
    assert got == [dt.date(2015, 4, 1), dt.date(1969, 12, 1)]
