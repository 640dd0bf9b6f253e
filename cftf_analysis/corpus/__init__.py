"""Count news-archive articles about the group and about defection, per period.

:func:`count_corpus` reads an archive (Parquet, CSV or JSON-lines files, or a
pandas, polars, pyarrow, DuckDB or Spark frame), finds the articles that
mention the group and those that also report defection, removes syndicated
copies and counts both per month (or week, day, quarter, year). The counts
join :func:`cftf_analysis.monthly_panel` on ``period``; ``n_articles_topic``
is the exposure of a count model of defection reports.

The query is written once with narwhals (:mod:`.query`) and runs on DuckDB
(the default for files: it scans them out of core), polars, pandas and
Spark; each engine only converts dates its own way (:mod:`.dates`). The
group's names come from its case file (:func:`case_terms`). See
``docs/corpus.md`` for the term lists, the dedupe rules, running on a Spark
cluster and the benchmark.
"""

from __future__ import annotations

from cftf_analysis.corpus.count import (
    CORPUS_SUMMARY_COLUMNS,
    COUNT_COLUMNS,
    UndatedRowsWarning,
    corpus_summary,
    count_corpus,
)
from cftf_analysis.corpus.dates import DATE_TEXT_PATTERN
from cftf_analysis.corpus.terms import (
    DEFECTION_WORDS,
    DEFECTION_WORDS_AR,
    DEFECTION_WORDS_EN,
    Term,
    case_terms,
    leaving_phrases,
    read_terms_file,
    term_pattern,
)

__all__ = [
    "CORPUS_SUMMARY_COLUMNS",
    "COUNT_COLUMNS",
    "DATE_TEXT_PATTERN",
    "DEFECTION_WORDS",
    "DEFECTION_WORDS_AR",
    "DEFECTION_WORDS_EN",
    "Term",
    "UndatedRowsWarning",
    "case_terms",
    "corpus_summary",
    "count_corpus",
    "leaving_phrases",
    "read_terms_file",
    "term_pattern",
]
