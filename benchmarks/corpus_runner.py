"""Run one corpus-count method on one folder of Parquet files, in this process.

``bench_corpus.py`` starts this script once per method and size, so that each
measurement's peak memory is its own. It prints one JSON line: the method,
the wall and CPU seconds of the work (imports and, for Spark, the session
start are outside it), the peak resident memory in MB, and the counts (so
the caller can check that every method agrees).

    python benchmarks/corpus_runner.py METHOD FOLDER [--memory-limit 1GB]

Methods: pandas (plain pandas, corpus_reference.py), duckdb_sql (the
hand-written query, corpus_handwritten.sql), count_corpus (the package, DuckDB
engine), count_corpus_polars, count_corpus_spark (local[2]).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _peak_mb(pid: int | None = None) -> float:
    """Peak resident memory (VmHWM) of this process plus its live children, in MB."""
    pids = [pid or os.getpid()]
    total = 0.0
    while pids:
        p = pids.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
        try:
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            children = []
        pids.extend(int(c) for c in children)
    return total


def _regex_icase(terms: object) -> str:
    """A hand-written (?i) pattern for a term list, as an expert would write it."""
    from cftf_analysis.corpus.terms import SPACE_RUN, WORD_CLASS, Term

    def body(text: str) -> str:
        return SPACE_RUN.join(
            "".join(c if c.isalnum() else f"\\x{{{ord(c):x}}}" for c in word)
            for word in text.split()
        )

    plain = sorted({body(t.lower()) for t in terms if isinstance(t, str)})
    exact = sorted({body(t.text) for t in terms if isinstance(t, Term)})
    alts = "|".join(plain + ([f"(?-i:{'|'.join(exact)})"] if exact else []))
    return rf"(?i)(?:^|[^{WORD_CLASS}])(?:{alts})(?:[^{WORD_CLASS}]|\z)"


def run_duckdb_sql(files: list[str]) -> tuple[list[dict], dict]:
    import corpus_reference as ref
    import duckdb

    from cftf_analysis.case import read_case_file
    from cftf_analysis.config import BUNDLED_CASE_FILE
    from cftf_analysis.corpus import case_terms

    DEFAULT_TOPIC_TERMS, DEFAULT_DEFECTION_TERMS = case_terms(read_case_file(BUNDLED_CASE_FILE))

    def lit(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    sql = (
        (HERE / "corpus_handwritten.sql")
        .read_text()
        .format(
            files="[" + ", ".join(lit(f) for f in files) + "]",
            topic=lit(_regex_icase(DEFAULT_TOPIC_TERMS)),
            defection=lit(_regex_icase(DEFAULT_DEFECTION_TERMS)),
            url_noise=lit(ref.URL_NOISE),
            title_ends=lit(ref.TITLE_ENDS),
            title_separators=lit(ref.TITLE_SEPARATORS),
        )
    )
    con = duckdb.connect()
    rows = con.sql(sql).fetchall()
    n_rows, n_undated = con.sql(
        "SELECT count(*), count(*) FILTER (WHERE published IS NULL) FROM read_parquet(["
        + ", ".join(lit(f) for f in files)
        + "])"
    ).fetchall()[0]
    periods = [
        {"period": str(r[0]), "topic": r[1], "defection": r[2], "duplicates": r[3]}
        for r in rows
        if r[0] is not None
    ]
    und = next(r for r in rows if r[0] is None)
    return periods, {
        "n_rows": n_rows,
        "n_undated": n_undated,
        "n_undated_topic": und[1],
        "n_undated_defection": und[2],
    }


def run_pandas(files: list[str]) -> tuple[list[dict], dict]:
    import corpus_reference as ref

    from cftf_analysis.case import read_case_file
    from cftf_analysis.config import BUNDLED_CASE_FILE
    from cftf_analysis.corpus import case_terms, term_pattern

    DEFAULT_TOPIC_TERMS, DEFAULT_DEFECTION_TERMS = case_terms(read_case_file(BUNDLED_CASE_FILE))

    out, totals = ref.count_pandas(
        files,
        topic=term_pattern(DEFAULT_TOPIC_TERMS),
        defection=term_pattern(DEFAULT_DEFECTION_TERMS),
    )
    periods = [
        {
            "period": str(r.period.date()),
            "topic": int(r.n_articles_topic),
            "defection": int(r.n_articles_defection),
            "duplicates": int(r.n_duplicates_removed),
        }
        for r in out.itertuples()
    ]
    return periods, totals


def run_count_corpus(source: object, **options: object) -> tuple[list[dict], dict]:
    from cftf_analysis.corpus import UndatedRowsWarning, corpus_summary, count_corpus

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndatedRowsWarning)
        counts = count_corpus(source, text="title", **options)
    summary = corpus_summary(counts).iloc[0]
    periods = [
        {
            "period": str(r.period.date()),
            "topic": int(r.n_articles_topic),
            "defection": int(r.n_articles_defection),
            "duplicates": int(r.n_duplicates_removed),
        }
        for r in counts.itertuples()
        if r.n_articles_topic > 0
    ]
    keys = ("n_rows", "n_undated", "n_undated_topic", "n_undated_defection")
    return periods, {k: int(summary[k]) for k in keys}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("method")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--memory-limit", default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    files = sorted(str(p) for p in args.folder.glob("*.parquet"))
    spark = None
    if args.method == "count_corpus_spark":
        from pyspark.sql import SparkSession

        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.driver.memory", "4g")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
    import cftf_analysis.corpus  # noqa: F401  (import time is not part of the work)

    t0, c0 = time.perf_counter(), time.process_time()
    if args.method == "pandas":
        periods, totals = run_pandas(files)
    elif args.method == "duckdb_sql":
        periods, totals = run_duckdb_sql(files)
    elif args.method == "count_corpus":
        options = {} if args.memory_limit is None else {"memory_limit": args.memory_limit}
        periods, totals = run_count_corpus(files, **options)
    elif args.method == "count_corpus_polars":
        periods, totals = run_count_corpus(files, engine="polars")
    elif args.method == "count_corpus_spark":
        periods, totals = run_count_corpus(spark.read.parquet(*files))
    else:
        raise SystemExit(f"unknown method {args.method!r}")
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = _peak_mb()
    if spark is not None:
        spark.stop()
    print(
        json.dumps(
            {
                "method": args.method,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_mb": peak,
                "self_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "totals": totals,
                "periods": periods,
            }
        )
    )


if __name__ == "__main__":
    main()
