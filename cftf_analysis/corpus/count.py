"""``count_corpus``: articles about the group and about defection, per period."""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from cftf_analysis.corpus import engine_duckdb
from cftf_analysis.corpus.dates import Freq, check_freq, complete_periods
from cftf_analysis.corpus.query import Spec, story_counts, totals
from cftf_analysis.corpus.run import first_undated, prepare, records, run_with_progress
from cftf_analysis.corpus.sources import (
    Engine,
    corrupt_input_error,
    resolve_engine,
    resolve_source,
)
from cftf_analysis.corpus.terms import Term, case_terms, term_pattern
from cftf_analysis.errors import ArgumentError, CftfError, DataValidationError

__all__ = [
    "CORPUS_SUMMARY_COLUMNS",
    "COUNT_COLUMNS",
    "UndatedRowsWarning",
    "corpus_summary",
    "count_corpus",
]

#: Columns of :func:`count_corpus`, in order.
COUNT_COLUMNS: tuple[str, ...] = (
    "period",
    "n_articles_topic",
    "n_articles_defection",
    "n_duplicates_removed",
)
#: Columns of :func:`corpus_summary`, in order.
CORPUS_SUMMARY_COLUMNS: tuple[str, ...] = (
    "n_rows",
    "n_undated",
    "n_undated_topic",
    "n_undated_defection",
    "n_articles_topic",
    "n_articles_defection",
    "n_duplicates_removed",
    "first_period",
    "last_period",
    "freq",
    "date_column",
    "engine",
)
_ATTRS_KEY = "cftf_corpus"


class UndatedRowsWarning(UserWarning):
    """Some articles have no usable date and are counted in no period."""


def _columns(value: str | Sequence[str], name: str) -> tuple[str, ...]:
    cols = (value,) if isinstance(value, str) else tuple(value)
    if not cols or not all(isinstance(c, str) and c for c in cols):
        raise ArgumentError(f"{name} must be a column name or a non-empty sequence of them")
    return cols


def _dedupe(value: Sequence[str | None] | None) -> tuple[str | None, str | None]:
    if value is None:
        return (None, None)
    pair = tuple(value)
    if len(pair) != 2 or not all(c is None or (isinstance(c, str) and c) for c in pair):
        raise ArgumentError(
            "dedupe must be None or a pair (url column, title column), either of which may "
            f"be None; got {value!r}"
        )
    return pair  # type: ignore[return-value]


def _is_case(terms: object) -> bool:
    return isinstance(terms, str) and terms == "case"


def count_corpus(
    source: str | Path | Sequence[str | Path] | Any,
    *,
    date: str = "published",
    text: str | Sequence[str] = ("title", "text"),
    defection_terms: Iterable[str | Term] | Literal["case"] = "case",
    topic_terms: Iterable[str | Term] | Literal["case"] | None = "case",
    case: Any = None,
    dedupe: Sequence[str | None] | None = ("url", "title"),
    freq: Freq = "MS",
    engine: Engine = "auto",
    strict: bool = False,
    memory_limit: str | None = "1GB",
    progress: Callable[[float], None] | None = None,
) -> pd.DataFrame:
    """Count articles about the group, and about defection from it, per period.

    Parameters
    ----------
    source
        A path, glob or folder of Parquet, CSV or JSON-lines files (or a list
        of them; one format), a pandas or polars DataFrame (or polars
        LazyFrame), a pyarrow Table, a DuckDB relation or a Spark DataFrame.
    date
        The article date column: a date, a timestamp (with or without time
        zone) or ISO 8601 text (see Notes).
    text
        Column(s) searched for the terms; an article matches if any of them does.
    defection_terms, topic_terms
        Words or phrases (see :func:`term_pattern`). Default (``"case"``):
        the terms of ``case`` (:func:`~cftf_analysis.corpus.case_terms`: the
        group's names as topic terms; generic defection words and "fled
        <name>" phrases). ``topic_terms=None`` counts every article as being
        about the group (an archive already retrieved with a query for it).
    case
        The case whose terms are the default: a :class:`~cftf_analysis.case.Case`,
        a case file or a bundled case's id; default: the bundled case.
    dedupe
        ``(url column, title column)``; either may be ``None`` to skip that
        rule, and ``dedupe=None`` counts every row.
    freq
        Period: ``"MS"`` months, ``"W-MON"`` weeks from Monday, ``"D"`` days,
        ``"QS"`` quarters, ``"YS"`` years (period starts, in UTC).
    engine
        ``"auto"`` runs files, pyarrow tables and DuckDB relations with
        DuckDB and other frames with their own library; ``"duckdb"``,
        ``"polars"``, ``"pandas"`` or ``"spark"`` choose (Spark reads files
        with the active ``SparkSession``).
    strict
        Raise :class:`~cftf_analysis.errors.DataValidationError` if any row
        has no usable date, instead of warning.
    memory_limit
        DuckDB engine with a connection of its own (files, frames): cap on
        DuckDB's memory (its buffer manager; the process peak is a little
        higher). Beyond it DuckDB spills to a temporary folder, removed
        afterwards. ``None`` lets DuckDB use up to 80% of RAM. (A DuckDB
        relation runs on its own connection, with that connection's settings.)
    progress
        Called with the fraction done (0-1) while DuckDB works, e.g. to drive
        a progress bar; other engines call it once, at the end.

    Returns
    -------
    pandas.DataFrame
        One row per period from the first to the last period with a dated
        article about the group (periods without any have zeros), sorted:

        - ``period`` (datetime64[ns]): start of the period, UTC calendar;
        - ``n_articles_topic`` (int64): distinct articles about the group
          (the exposure for a count model);
        - ``n_articles_defection`` (int64): those of them that report
          defection;
        - ``n_duplicates_removed`` (int64): rows about the group dropped as
          copies of an article counted in this period.

        ``attrs["cftf_corpus"]`` holds the totals that fit no period (rows
        scanned, rows without a usable date); read them with
        :func:`corpus_summary`.

    Notes
    -----
    *Matching.* An article is about the group if a topic term occurs in one
    of the ``text`` columns as a whole word or phrase, case-insensitively,
    and reports defection if, in addition, a defection term does (so
    ``n_articles_defection <= n_articles_topic``). Whole word means the
    characters around the term are not letters, digits or ``_``: "ISIS"
    matches "ex-ISIS" and "ISIS's" but not "crisis"; the Arabic term
    "منشق" does not match "المنشق" (the prefixed forms are listed
    separately). Every engine runs the same pattern (:func:`term_pattern`).

    *Duplicates.* Among the articles about the group that have a date, rows
    with the same URL key (the URL without surrounding whitespace, a leading
    ``https://``, ``http://`` or ``www.``, a ``#fragment`` and final ``/``)
    are one copy, dated by its earliest row, with the smallest of their title
    keys. Copies with the same title key (lower case, words of letters and
    digits joined by single spaces) whose dates fall in the same period are
    one article. A story syndicated across a period boundary therefore counts
    once in each period. An article reports defection if any of its rows
    does. Rows without URL and title count on their own; with
    ``dedupe=None`` every row counts.

    *Dates.* Time-zone-aware timestamps are converted to UTC, naive ones are
    taken as UTC, dates are used as they are. Text must be ISO 8601:
    ``YYYY-MM-DD``, optionally with ``T`` or a space and ``hh:mm[:ss[.f]]``,
    optionally with ``Z`` or an offset ``+hh:mm`` / ``+hhmm`` / ``+hh``
    (text without offset is UTC). Rows without a usable date (null, other
    formats, impossible dates) are counted in ``n_undated`` and, if about
    the group, in ``n_undated_topic``; they are in no period and an
    :class:`UndatedRowsWarning` says how many (``strict=True`` raises).

    *Engines.* All engines give exactly the same counts; the tests check it
    on a corpus with duplicates, undated rows, Arabic and English. DuckDB
    compares keys by their 128-bit MD5 (two different keys collide with
    probability below 1e-20 even for a billion rows).

    Examples
    --------
    >>> import pandas as pd
    >>> articles = pd.DataFrame({
    ...     "url": ["https://a.example/1", "http://www.a.example/1/", "https://b.example/9",
    ...             "https://c.example/2", "https://d.example/3"],
    ...     "title": ["ISIS defector speaks", "ISIS defector speaks", "ISIS DEFECTOR SPEAKS!",
    ...               "Daesh loses ground", "Oil prices rise"],
    ...     "published": ["2015-03-02T10:00:00Z", "2015-03-04", "2015-03-03 08:00+01:00",
    ...                   "2015-05-31T23:30:00-02:00", "2015-03-02"],
    ... })
    >>> counts = count_corpus(articles, text="title")
    >>> counts
          period  n_articles_topic  n_articles_defection  n_duplicates_removed
    0 2015-03-01                 1                     1                     2
    1 2015-04-01                 0                     0                     0
    2 2015-05-01                 0                     0                     0
    3 2015-06-01                 1                     0                     0

    The three March rows are one story (the first two share a URL, the third
    a title); 23:30 on 31 May at UTC-2 is 1 June in UTC.
    """
    check_freq(freq)
    if _is_case(topic_terms) or _is_case(defection_terms):
        from cftf_analysis.case import Case, find_case_file, read_case_file

        spec_case = case if isinstance(case, Case) else read_case_file(find_case_file(case))
        default_topic, default_defection = case_terms(spec_case)
        topic_terms = default_topic if _is_case(topic_terms) else topic_terms
        defection_terms = default_defection if _is_case(defection_terms) else defection_terms
    text_cols = _columns(text, "text")
    if not isinstance(date, str) or not date:
        raise ArgumentError("date must be a column name")
    url_col, title_col = _dedupe(dedupe)
    if date in (*text_cols, url_col, title_col):
        raise ArgumentError(f"the date column {date!r} cannot also be a text or dedupe column")
    spec = Spec(
        date=date,
        text=text_cols,
        url=url_col,
        title=title_col,
        topic=None if topic_terms is None else term_pattern(topic_terms),
        defection=term_pattern(defection_terms),
        freq=freq,
    )
    src = resolve_source(source)
    chosen = resolve_engine(engine, src)
    own = chosen == "duckdb" and src.kind != "duckdb"
    spill = Path(tempfile.mkdtemp(prefix="cftf_corpus_")) if own else None
    con = engine_duckdb.connect(memory_limit, spill) if spill else None
    try:
        frame, hook = prepare(chosen, src, spec, con)
        streaming = chosen == "polars" and src.kind == "files"
        counted = engine_duckdb.parquet_totals(src, spec, con) if chosen == "duckdb" else None
        if counted is None:
            total = records(totals(frame), streaming=streaming)[0]
            counted = int(total["n_rows"]), int(total["n_undated"] or 0)
        n_rows, n_undated = counted
        if strict and n_undated:
            file, row, value = first_undated(chosen, src, spec, con)
            raise DataValidationError(
                f"{n_undated:,} of {n_rows:,} rows have no usable date (first: {value!r}); "
                "dates must be dates, timestamps or ISO 8601 text (strict=True)",
                file=file or (src.label if src.kind == "files" else None),
                row=row,
                column=date,
            )
        query = story_counts(frame, spec, hash_keys=hook)
        rows = run_with_progress(lambda: records(query, streaming=streaming), con, progress)
    except CftfError:
        raise
    except Exception as exc:
        wrapped = corrupt_input_error(exc, src)
        if wrapped is None:
            raise
        raise wrapped from exc
    finally:
        if con is not None:
            con.close()
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)
    if progress is not None and con is None:
        progress(1.0)
    return _assemble(rows, n_rows=n_rows, n_undated=n_undated, spec=spec, engine=chosen)


def _assemble(
    rows: list[dict[str, Any]], *, n_rows: int, n_undated: int, spec: Spec, engine: str
) -> pd.DataFrame:
    undated = next((r for r in rows if r["period"] is None), None)
    dated = [r for r in rows if r["period"] is not None]
    out = pd.DataFrame(
        {
            "period": pd.to_datetime([pd.Timestamp(r["period"]) for r in dated]).astype(
                "datetime64[ns]"
            ),
            "n_articles_topic": pd.array([r["stories"] for r in dated], dtype="int64"),
            "n_articles_defection": pd.array([r["defection"] for r in dated], dtype="int64"),
            "n_duplicates_removed": pd.array(
                [r["rows"] - r["stories"] for r in dated], dtype="int64"
            ),
        }
    ).sort_values("period")
    if len(out):
        full = complete_periods(out["period"].iloc[0], out["period"].iloc[-1], spec.freq)
        out = out.set_index("period").reindex(full, fill_value=0).reset_index()
        out = out.astype({c: "int64" for c in COUNT_COLUMNS[1:]})
    out = out.reset_index(drop=True)[list(COUNT_COLUMNS)]
    n_undated_topic = int(undated["stories"]) if undated else 0
    n_undated_defection = int(undated["defection"]) if undated else 0
    out.attrs[_ATTRS_KEY] = {
        "n_rows": n_rows,
        "n_undated": n_undated,
        "n_undated_topic": n_undated_topic,
        "n_undated_defection": n_undated_defection,
        "freq": spec.freq,
        "date_column": spec.date,
        "engine": engine,
    }
    if n_undated:
        warnings.warn(
            f"{n_undated:,} of {n_rows:,} rows have no usable date in column "
            f"{spec.date!r} ({n_undated_topic:,} of them about the group, "
            f"{n_undated_defection:,} reporting defection) and are in no period; "
            "corpus_summary() reports them and strict=True fails on them",
            UndatedRowsWarning,
            stacklevel=3,
        )
    return out


def corpus_summary(counts: pd.DataFrame) -> pd.DataFrame:
    """One-row summary of a :func:`count_corpus` result, including the undated rows.

    Parameters
    ----------
    counts
        The frame returned by :func:`count_corpus` (its ``attrs`` carry the
        totals, so pass it before transforming it).

    Returns
    -------
    pandas.DataFrame
        One row with columns :data:`CORPUS_SUMMARY_COLUMNS`: ``n_rows`` (rows
        scanned), ``n_undated`` (rows without a usable date),
        ``n_undated_topic`` / ``n_undated_defection`` (of those, about the
        group / reporting defection; these are counted in no period),
        ``n_articles_topic``, ``n_articles_defection``,
        ``n_duplicates_removed`` (sums over periods), ``first_period`` and
        ``last_period`` (NaT if none), ``freq``, ``date_column`` and
        ``engine``.

    Examples
    --------
    >>> import pandas as pd
    >>> articles = pd.DataFrame({"url": ["u1", "u2", "u3"], "title": ["ISIS", "ISIS", "x"],
    ...                          "published": ["2015-01-05", "not a date", "2015-01-06"]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", UndatedRowsWarning)
    ...     counts = count_corpus(articles, text="title")
    >>> corpus_summary(counts)[["n_rows", "n_undated", "n_undated_topic", "n_articles_topic"]]
       n_rows  n_undated  n_undated_topic  n_articles_topic
    0       3          1                1                 1
    """
    info = counts.attrs.get(_ATTRS_KEY)
    if info is None:
        raise ArgumentError(
            "counts has no count_corpus totals in .attrs; pass the frame count_corpus returned"
        )
    has = len(counts) > 0
    row = {
        "n_rows": info["n_rows"],
        "n_undated": info["n_undated"],
        "n_undated_topic": info["n_undated_topic"],
        "n_undated_defection": info["n_undated_defection"],
        "n_articles_topic": int(counts["n_articles_topic"].sum()),
        "n_articles_defection": int(counts["n_articles_defection"].sum()),
        "n_duplicates_removed": int(counts["n_duplicates_removed"].sum()),
        "first_period": counts["period"].iloc[0] if has else pd.NaT,
        "last_period": counts["period"].iloc[-1] if has else pd.NaT,
        "freq": info["freq"],
        "date_column": info["date_column"],
        "engine": info["engine"],
    }
    out = pd.DataFrame([row], columns=list(CORPUS_SUMMARY_COLUMNS))
    ints = [c for c in CORPUS_SUMMARY_COLUMNS if c.startswith("n_")]
    out = out.astype({c: "int64" for c in ints})
    return out.astype({"first_period": "datetime64[ns]", "last_period": "datetime64[ns]"})
