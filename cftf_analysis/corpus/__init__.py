"""Count news-archive articles about the group and about defection, per period.

:func:`count_corpus` reads an archive (Parquet, CSV or JSON-lines files, or a
pandas, polars, pyarrow, DuckDB or Spark frame), finds the articles that
mention the group and those that also report defection, removes syndicated
copies and counts both per month (or week, day, quarter, year). The counts
join :func:`cftf_analysis.monthly_panel` on ``period``; ``n_articles_topic``
is the exposure of a count model of defection reports.

The query is written once with narwhals (:mod:`.query`) and runs on DuckDB
(the default for files: it scans them out of core), polars, pandas and
Spark; each engine only converts dates its own way (:mod:`.dates`). See
``docs/corpus.md`` for the term lists, the dedupe rules, running on a Spark
cluster and the benchmark.
"""

from __future__ import annotations

from cftf_analysis.corpus.count import (
    COUNT_COLUMNS,
    SUMMARY_COLUMNS,
    UndatedRowsWarning,
    corpus_summary,
    count_corpus,
)
from cftf_analysis.corpus.dates import DATE_TEXT_PATTERN
from cftf_analysis.corpus.terms import (
    DEFAULT_DEFECTION_TERMS,
    DEFAULT_TOPIC_TERMS,
    DEFECTION_TERMS_AR,
    DEFECTION_TERMS_EN,
    TOPIC_TERMS_AR,
    TOPIC_TERMS_EN,
    Term,
    term_pattern,
)

__all__ = [
    "COUNT_COLUMNS",
    "DATE_TEXT_PATTERN",
    "DEFAULT_DEFECTION_TERMS",
    "DEFAULT_TOPIC_TERMS",
    "DEFECTION_TERMS_AR",
    "DEFECTION_TERMS_EN",
    "SUMMARY_COLUMNS",
    "TOPIC_TERMS_AR",
    "TOPIC_TERMS_EN",
    "Term",
    "UndatedRowsWarning",
    "corpus_summary",
    "count_corpus",
    "term_pattern",
]
