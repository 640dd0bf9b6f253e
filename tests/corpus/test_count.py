"""count_corpus and corpus_summary: result schema, dedupe rules on hand-made
archives whose answers are worked out in the comments, dates, errors and
sources (files of each format, frames of each library)."""

from __future__ import annotations

import json
import warnings

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cftf_analysis.corpus import (
    CORPUS_SUMMARY_COLUMNS,
    COUNT_COLUMNS,
    UndatedRowsWarning,
    corpus_summary,
    count_corpus,
)
from cftf_analysis.errors import ArgumentError, DataValidationError

ENGINES = ["duckdb", "pandas", "polars"]


def archive(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["url", "title", "text", "published"])


def counts_of(frame: pd.DataFrame, **options) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndatedRowsWarning)
        return count_corpus(frame, **options)


def as_tuples(counts: pd.DataFrame) -> list[tuple]:
    return [
        (str(r.period.date()), r.n_articles_topic, r.n_articles_defection, r.n_duplicates_removed)
        for r in counts.itertuples()
    ]


def test_schema_and_complete_periods() -> None:
    frame = archive(
        [
            ("u1", "ISIS news", None, "2015-01-10"),
            ("u2", "ISIS defector talks", None, "2015-04-02"),
        ]
    )
    counts = counts_of(frame)
    assert tuple(counts.columns) == COUNT_COLUMNS
    assert str(counts["period"].dtype) == "datetime64[ns]"
    assert all(str(counts[c].dtype) == "int64" for c in COUNT_COLUMNS[1:])
    # January to April, the two empty months filled with zeros, sorted.
    assert as_tuples(counts) == [
        ("2015-01-01", 1, 0, 0),
        ("2015-02-01", 0, 0, 0),
        ("2015-03-01", 0, 0, 0),
        ("2015-04-01", 1, 1, 0),
    ]
    assert counts.index.equals(pd.RangeIndex(4))


@pytest.mark.parametrize("engine", ENGINES)
def test_same_url_in_any_spelling_counts_once(engine: str) -> None:
    # Six rows of one page: scheme, www., case of the scheme, final slash,
    # fragment and surrounding whitespace differ; titles differ too (an
    # updated headline), so only the URL rule can merge them. The copy is
    # dated by its earliest row (January), although two rows are from February.
    frame = archive(
        [
            ("https://www.a.example/x", "ISIS holds town", None, "2015-01-30"),
            ("http://a.example/x/", "ISIS still holds town", None, "2015-02-02"),
            ("HTTPS://WWW.a.example/x#comments", "ISIS holds town, update", None, "2015-01-31"),
            ("  a.example/x// ", "Update: ISIS holds town", None, "2015-02-03"),
            ("https://a.example/X", "ISIS holds a town", None, "2015-01-30"),  # path case differs
            ("https://b.example/x", "Unrelated town news", None, "2015-01-30"),  # not about ISIS
        ]
    )
    # January: the page (4 rows) and the X page; 3 rows removed. The page's
    # February rows belong to its January copy, so February has no article.
    assert as_tuples(counts_of(frame, engine=engine)) == [("2015-01-01", 2, 0, 3)]


@pytest.mark.parametrize("engine", ENGINES)
def test_same_title_counts_once_per_period(engine: str) -> None:
    # One story on four outlets: the title differs in case, punctuation and
    # spacing only. Three copies in March (one story, two removed); the copy
    # on 1 April is in another period and counts there.
    frame = archive(
        [
            ("https://a.example/1", "ISIS defector: 'I saw the oil trade'", None, "2015-03-30"),
            ("https://b.example/7", "ISIS DEFECTOR - I SAW THE OIL TRADE", None, "2015-03-30"),
            ("https://c.example/3", "  isis defector I saw the  oil trade!! ", None, "2015-03-31"),
            ("https://d.example/4", "ISIS defector: I saw the oil trade", None, "2015-04-01"),
            ("https://e.example/5", "ISIS defector: I saw the oil trades", None, "2015-03-30"),
        ]
    )
    assert as_tuples(counts_of(frame, engine=engine)) == [
        ("2015-03-01", 2, 2, 2),
        ("2015-04-01", 1, 1, 0),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_article_reports_defection_if_any_copy_does(engine: str) -> None:
    # Same title twice; only the second copy's text mentions a defector.
    # Rows with neither URL nor title cannot be matched: each counts.
    frame = archive(
        [
            ("https://a.example/1", "Inside ISIS", "A report.", "2016-05-01"),
            ("https://b.example/2", "Inside ISIS", "A defector tells.", "2016-05-02"),
            (None, None, "ISIS statement", "2016-05-03"),
            (None, "", "ISIS statement", "2016-05-03"),
            ("", "!!!", "Daesh defectors", "2016-05-04"),
        ]
    )
    assert as_tuples(counts_of(frame, engine=engine)) == [("2016-05-01", 4, 2, 1)]


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_without_url_are_matched_by_title(engine: str) -> None:
    frame = archive(
        [
            (None, "Daesh retreats", None, "2016-05-01"),
            (None, "DAESH RETREATS", None, "2016-05-20"),
            ("https://a.example/1", "daesh retreats", None, "2016-05-02"),
        ]
    )
    assert as_tuples(counts_of(frame, engine=engine)) == [("2016-05-01", 1, 0, 2)]


def test_dedupe_options() -> None:
    frame = archive(
        [
            ("https://a.example/1", "ISIS story", None, "2015-01-01"),
            ("https://a.example/1", "ISIS story, updated", None, "2015-01-02"),
            ("https://b.example/2", "ISIS story", None, "2015-01-03"),
        ]
    )
    assert as_tuples(counts_of(frame)) == [("2015-01-01", 1, 0, 2)]
    assert as_tuples(counts_of(frame, dedupe=None)) == [("2015-01-01", 3, 0, 0)]
    # URL rule only: rows 1-2 merge; title rule only: rows 1 and 3 merge.
    assert as_tuples(counts_of(frame, dedupe=("url", None))) == [("2015-01-01", 2, 0, 1)]
    assert as_tuples(counts_of(frame, dedupe=(None, "title"))) == [("2015-01-01", 2, 0, 1)]


def test_topic_terms_none_counts_every_article_and_terms_are_overridable() -> None:
    frame = archive(
        [
            ("u1", "Mosul market reopens", None, "2015-01-01"),
            ("u2", "Raqqa: a deserter speaks", None, "2015-01-02"),
        ]
    )
    assert as_tuples(counts_of(frame, topic_terms=None)) == [("2015-01-01", 2, 1, 0)]
    assert counts_of(frame).empty
    mine = counts_of(frame, topic_terms=["Mosul", "Raqqa"], defection_terms=["reopens"])
    assert as_tuples(mine) == [("2015-01-01", 2, 1, 0)]


def test_text_columns_are_all_searched() -> None:
    frame = archive([("u1", "Town news", "Daesh fighters left", "2015-01-01")])
    assert as_tuples(counts_of(frame)) == [("2015-01-01", 1, 0, 0)]
    assert counts_of(frame, text="title").empty


def test_no_topic_article_gives_an_empty_frame_with_the_schema() -> None:
    counts = counts_of(archive([("u1", "Weather", None, "2015-01-01")]))
    assert counts.empty
    assert tuple(counts.columns) == COUNT_COLUMNS
    assert str(counts["period"].dtype) == "datetime64[ns]"
    assert str(counts["n_articles_topic"].dtype) == "int64"
    summary = corpus_summary(counts)
    assert summary["first_period"].isna().all() and int(summary["n_rows"].iloc[0]) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_undated_rows_are_reported_never_dropped_silently(engine: str) -> None:
    frame = archive(
        [
            ("u1", "ISIS defector", None, "2015-01-05"),
            ("u2", "ISIS defector", None, "05/01/2015"),  # not ISO: no usable date
            ("u3", "ISIS news", None, None),
            ("u4", "Weather", None, "yesterday"),
        ]
    )
    with pytest.warns(UndatedRowsWarning, match=r"3 of 4 rows have no usable date"):
        counts = count_corpus(frame, engine=engine)
    assert as_tuples(counts) == [("2015-01-01", 1, 1, 0)]
    summary = corpus_summary(counts)
    assert tuple(summary.columns) == CORPUS_SUMMARY_COLUMNS
    got = summary.iloc[0]
    assert (got.n_rows, got.n_undated, got.n_undated_topic, got.n_undated_defection) == (
        4,
        3,
        2,
        1,
    )
    assert got.engine == engine and got.date_column == "published" and got.freq == "MS"


@pytest.mark.parametrize("engine", ENGINES)
def test_strict_mode_names_column_count_and_first_bad_row(engine: str) -> None:
    frame = archive(
        [
            ("u1", "ISIS", None, "2015-01-05"),
            ("u2", "ISIS", None, "2015-01-06"),
            ("u3", "ISIS", None, "2015-13-01"),
            ("u4", "ISIS", None, None),
        ]
    )
    with pytest.raises(DataValidationError, match=r"column 'published'.*2 of 4 rows") as info:
        count_corpus(frame, engine=engine, strict=True)
    assert info.value.column == "published"
    if engine != "duckdb":  # frames handed to DuckDB have no row order to report
        assert info.value.row == 3
        assert "'2015-13-01'" in str(info.value)


def test_strict_mode_on_parquet_names_file_and_row(tmp_path) -> None:
    table = pa.table(
        {
            "url": ["a", "b", "c"],
            "title": ["ISIS", "ISIS", "ISIS"],
            "published": pa.array([1_420_070_400_000_000, None, 1], pa.timestamp("us", "UTC")),
        }
    )
    path = tmp_path / "part.parquet"
    pq.write_table(table, path)
    with pytest.raises(DataValidationError, match=r"part\.parquet.*row 2.*'published'"):
        count_corpus(path, text="title", strict=True)


@pytest.mark.parametrize("freq", ["D", "W-MON", "MS", "QS", "YS"])
def test_frequencies(freq: str) -> None:
    # 2015-03-29 is a Sunday and 2015-03-30 a Monday.
    frame = archive(
        [("u1", "ISIS", None, "2015-03-29"), ("u2", "Daesh", None, "2015-03-30T12:00+02:00")]
    )
    counts = counts_of(frame, freq=freq)
    expected = {
        "D": [("2015-03-29", 1, 0, 0), ("2015-03-30", 1, 0, 0)],
        "W-MON": [("2015-03-23", 1, 0, 0), ("2015-03-30", 1, 0, 0)],
        "MS": [("2015-03-01", 2, 0, 0)],
        "QS": [("2015-01-01", 2, 0, 0)],
        "YS": [("2015-01-01", 2, 0, 0)],
    }[freq]
    assert as_tuples(counts) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"freq": "M"}, r"freq='M' is not allowed; use one of 'D', 'W-MON', 'MS', 'QS', 'YS'"),
        ({"engine": "spark2"}, r"engine='spark2' is not allowed; use one of 'auto', 'duckdb'"),
        ({"text": "body"}, r"no column 'body'; its columns are 'url', 'title', 'text'"),
        ({"date": "when"}, r"no column 'when'"),
        ({"dedupe": ("url",)}, r"dedupe must be None or a pair"),
        ({"text": ()}, r"text must be a column name"),
        ({"date": "title"}, r"cannot also be a text or dedupe column"),
        ({"topic_terms": []}, r"at least one term"),
    ],
)
def test_argument_errors(options: dict, message: str) -> None:
    frame = archive([("u1", "ISIS", None, "2015-01-01")])
    with pytest.raises(ArgumentError, match=message):
        count_corpus(frame, **options)


@pytest.mark.parametrize("engine", ENGINES)
def test_column_type_errors(engine: str) -> None:
    frame = pd.DataFrame({"title": ["ISIS"], "text": [1.5], "published": ["2015-01-01"]})
    with pytest.raises(ArgumentError, match=r"'text' must hold text"):
        count_corpus(frame, dedupe=None, engine=engine)
    frame = pd.DataFrame({"title": ["ISIS"], "published": [20150101]})
    with pytest.raises(ArgumentError, match=r"date column .* has type"):
        count_corpus(frame, text="title", dedupe=None, engine=engine)


@pytest.mark.slow
def test_sources_of_every_kind_agree(tmp_path) -> None:
    frame = archive(
        [
            ("https://a.example/1", "ISIS defector", "NA", "2015-01-05T10:00:00+03:00"),
            ("http://a.example/1", "ISIS defector", "", "2015-01-06"),
            ("https://b.example/2", "Daesh news", None, "2015-02-01 00:30-01:00"),
            ("https://c.example/3", "NA", "ISIS", "2015-02-11"),
        ]
    )
    expected = as_tuples(counts_of(frame))
    assert expected == [("2015-01-01", 1, 1, 1), ("2015-02-01", 2, 0, 0)]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, tmp_path / "a.parquet")
    frame.to_csv(tmp_path / "a.csv", index=False)
    with open(tmp_path / "a.jsonl", "w", encoding="utf-8") as f:
        for rec in frame.astype(object).to_dict("records"):
            clean = {k: (None if pd.isna(v) else v) for k, v in rec.items()}
            f.write(json.dumps(clean, ensure_ascii=False) + "\n")
    (tmp_path / "parts").mkdir()
    pq.write_table(table.slice(0, 2), tmp_path / "parts" / "p0.parquet")
    pq.write_table(table.slice(2), tmp_path / "parts" / "p1.parquet")
    sources = {
        "parquet": tmp_path / "a.parquet",
        "csv": str(tmp_path / "a.csv"),
        "jsonl": tmp_path / "a.jsonl",
        "folder": tmp_path / "parts",
        "glob": str(tmp_path / "parts" / "*.parquet"),
        "list": [tmp_path / "parts" / "p0.parquet", tmp_path / "parts" / "p1.parquet"],
        "arrow": table,
        "polars": pl.from_pandas(frame),
        "polars_lazy": pl.from_pandas(frame).lazy(),
        "duckdb": duckdb.connect().from_arrow(table),
    }
    for name, source in sources.items():
        for engine in ("auto", "duckdb", "polars", "pandas"):
            if name == "duckdb" and engine in ("polars", "pandas"):
                continue
            assert as_tuples(counts_of(source, engine=engine)) == expected, (name, engine)


def test_source_errors(tmp_path) -> None:
    with pytest.raises(ArgumentError, match="does not exist"):
        count_corpus(tmp_path / "missing.parquet")
    with pytest.raises(ArgumentError, match="no file matches"):
        count_corpus(str(tmp_path / "*.parquet"))
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(ArgumentError, match="cannot tell the format"):
        count_corpus(tmp_path / "a.txt")
    (tmp_path / "b.csv").write_text("title,published\nISIS,2015-01-01\n")
    (tmp_path / "c.jsonl").write_text('{"title": "ISIS", "published": "2015-01-01"}\n')
    with pytest.raises(ArgumentError, match="files mix formats"):
        count_corpus([tmp_path / "b.csv", tmp_path / "c.jsonl"])
    with pytest.raises(ArgumentError, match="source must be a path"):
        count_corpus(np.zeros(3))
    frame = archive([("u1", "ISIS", None, "2015-01-01")])
    with pytest.raises(ArgumentError, match="engine='spark' cannot run a pandas source"):
        count_corpus(frame, engine="spark")
    with pytest.raises(ArgumentError, match="engine='pandas' cannot run a duckdb source"):
        count_corpus(duckdb.connect().from_df(frame), engine="pandas")


def test_progress_is_reported_up_to_one() -> None:
    seen: list[float] = []
    frame = archive([("u1", "ISIS", None, "2015-01-01")] * 50)
    for engine in ENGINES:
        seen.clear()
        counts_of(frame, engine=engine, progress=seen.append)
        assert seen and seen[-1] == 1.0 and all(0.0 <= s <= 1.0 for s in seen)


def test_summary_needs_the_attrs_of_count_corpus() -> None:
    counts = counts_of(archive([("u1", "ISIS", None, "2015-01-01")]))
    rebuilt = pd.DataFrame(counts.to_dict("list"))  # same numbers, no attrs
    with pytest.raises(ArgumentError, match="pass the frame count_corpus returned"):
        corpus_summary(rebuilt)
