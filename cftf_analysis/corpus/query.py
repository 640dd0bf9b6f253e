"""The counting query, written once with narwhals.

Each engine first brings its source to one shape (its own code: types and
time zones are engine business, see :mod:`.dates`): the text columns, the
URL and title columns, and ``PERIOD``, the start of the article's period as a
date (null when the article has no usable date). From there on this module
does everything with narwhals expressions, which run natively on DuckDB,
polars, pandas and Spark:

1. keep the articles whose text matches the topic pattern;
2. flag those whose text matches the defection pattern;
3. build the dedupe keys (normalised URL and title; none for undated rows);
4. stage 1: group the rows that share a URL key into one copy (its date is
   the earliest, its title key the smallest, it reports defection if any row
   does); rows without a URL key are copies of their own;
5. stage 2: group the copies that share a title key and period into one
   story; copies without a title key are stories of their own;
6. count stories, defection stories and removed rows per period.

Rows without a URL key but with a title key are grouped by (title, period)
already in stage 1, and rows with neither key by period; the formulas in
stage 2 count such groups as the stories they stand for. This keeps the whole
query to three group-bys on one or two key columns, with no row numbers and no
window functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import narwhals as nw

from cftf_analysis.errors import ArgumentError

__all__ = [
    "PERIOD",
    "Spec",
    "story_counts",
    "title_key",
    "title_lower",
    "totals",
    "url_key_end",
    "url_key_start",
]

#: Name of the period column the engines add (the start date of the period).
PERIOD = "__cftf_period"

_NOT_WORD = r"[^\p{L}\p{M}\p{N}]"
#: Runs of characters that are not letters, marks or digits, except a single
#: plain space (by far the most common run, left alone so that the
#: replacement stays cheap): each becomes one space.
_TITLE_SEPARATORS = rf"{_NOT_WORD}*[^\p{{L}}\p{{M}}\p{{N}}\x{{20}}]{_NOT_WORD}*|\x{{20}}\x{{20}}+"
_WS = r"\x{09}-\x{0D}\x{20}"
_SCHEME = r"[hH][tT][tT][pP][sS]?://"
_WWW = r"[wW][wW][wW]\."
#: Leading whitespace, http(s) scheme and www.
_URL_START = rf"^(?:[{_WS}]+(?:{_SCHEME})?(?:{_WWW})?|{_SCHEME}(?:{_WWW})?|{_WWW})"
#: A #fragment with the slashes and whitespace before it, or trailing slashes
#: and whitespace. No alternative of either pattern can match the empty
#: string, so every engine replaces the same spans (they differ in what they
#: do right after an empty match).
_URL_END = rf"[/{_WS}]*(?s:#.*)\z|[/{_WS}]+\z"
_URL_END_CHARS = ("/", " ", "\t", "\n", "\x0b", "\x0c", "\r")


@dataclass(frozen=True)
class Spec:
    """What to count: columns, patterns and period."""

    date: str
    text: tuple[str, ...]
    url: str | None
    title: str | None
    topic: str | None
    defection: str
    freq: str

    @property
    def columns(self) -> list[str]:
        """The source columns used, each once, in a fixed order."""
        wanted = [self.date, *self.text, self.url, self.title]
        return list(dict.fromkeys(c for c in wanted if c is not None))

    def check_columns(self, available: Sequence[str], label: str) -> None:
        """Raise :class:`ArgumentError` naming the columns the source lacks."""
        missing = [c for c in self.columns if c not in available]
        if missing:
            raise ArgumentError(
                f"{label} has no column {', '.join(map(repr, missing))}; "
                f"its columns are {', '.join(map(repr, available))}"
            )


def _matches(columns: Sequence[str], pattern: str) -> nw.Expr:
    hits = [nw.col(c).str.contains(pattern).fill_null(False) for c in columns]
    out = hits[0]
    for hit in hits[1:]:
        out = out | hit
    return out


def url_key_start(column: str) -> nw.Expr:
    """URL without leading whitespace, ``http://`` or ``https://`` (any case) and ``www.``."""
    return nw.col(column).str.replace_all(_URL_START, "")


def url_key_end(column: str) -> nw.Expr:
    """Second step on :func:`url_key_start`: drop a ``#fragment`` and final ``/`` or spaces.

    The replacement runs only where it can change something (a ``#`` or a
    final slash or space: cheap tests), which spares most URLs a regex pass.
    The rest of the URL keeps its case. An empty result means no key.
    """
    u = nw.col(column)
    needed = u.str.contains("#", literal=True)
    for end in _URL_END_CHARS:
        needed = needed | u.str.ends_with(end)
    return nw.when(needed).then(u.str.replace_all(_URL_END, "")).otherwise(u)


def title_lower(column: str) -> nw.Expr:
    """First step of the title key: the title in lower case.

    Before lower-casing, the two capitals whose lower case Unicode makes
    depend on context or length are replaced: the Turkish dotted capital I by
    I, and the Greek capital sigma by the small sigma (not the final ς).
    Engines disagree on those two (polars and Java apply the rules, DuckDB
    and pyarrow map one character to one); for every other character they
    agree.
    """
    return (
        nw.col(column)
        .str.replace_all("\u0130", "I", literal=True)
        .str.replace_all("\u03a3", "\u03c3", literal=True)
        .str.to_lowercase()
    )


def title_key(column: str) -> nw.Expr:
    """Second step on :func:`title_lower`: words (letters, marks, digits) joined by one space.

    The key has one space at each end (added before the replacement, so that
    leading and trailing separators need no pass of their own); a key of a
    single space (no letters or digits at all) means no key.
    """
    padded = nw.concat_str(nw.lit(" "), nw.col(column), nw.lit(" "))
    return padded.str.replace_all(_TITLE_SEPARATORS, " ")


def story_counts(
    frame: nw.LazyFrame,
    spec: Spec,
    *,
    hash_keys: Callable[[nw.LazyFrame, list[str]], nw.LazyFrame] | None = None,
) -> nw.LazyFrame:
    """Per period (null: undated): ``stories``, ``defection``, ``rows`` of topic articles.

    ``hash_keys`` may replace the key columns ``g`` and ``k`` by fixed-width
    digests of themselves (the DuckDB engine uses a 128-bit MD5, to keep the
    hash tables small); it must map equal keys to equal values and nulls to
    nulls.
    """
    rows = frame if spec.topic is None else frame.filter(_matches(spec.text, spec.topic))
    raw = {
        "d": _matches(spec.text, spec.defection).cast(nw.Int64),
        "p": nw.col(PERIOD),
        "u": nw.lit("", dtype=nw.String) if spec.url is None else url_key_start(spec.url),
        "k": nw.lit(" ", dtype=nw.String) if spec.title is None else title_lower(spec.title),
    }
    # Each step refers to the previous one's columns by name: SQL engines do
    # not share a subexpression used twice inside CASE, so a key written
    # inline twice would be computed twice.
    dated = ~nw.col("p").is_null()
    has_url, has_title = ~nw.col("u").is_null(), ~nw.col("k").is_null()
    day = nw.col("p").cast(nw.String)
    # Stage-1 group: the URL key; without one, the title key and period
    # (stage 2 would merge those rows anyway); without either, the period
    # alone (``kind`` 2: every row is an article of its own). One key column
    # keeps the hash table small; the prefixes keep the three kinds apart.
    rows = (
        rows.select(**raw)
        .with_columns(u=url_key_end("u"), k=title_key("k"))
        .with_columns(
            u=nw.when(dated & (nw.col("u") != "")).then(nw.col("u")),
            k=nw.when(dated & (nw.col("k") != " ")).then(nw.col("k")),
        )
        .select(
            "d",
            "p",
            "k",
            g=nw.when(has_url)
            .then(nw.concat_str(nw.lit("u"), nw.col("u")))
            .when(has_title)
            .then(nw.concat_str(nw.lit("t"), day, nw.col("k")))
            .otherwise(nw.concat_str(nw.lit("s"), day)),
            kind=nw.when(has_url)
            .then(nw.lit(0, dtype=nw.Int8))
            .when(has_title)
            .then(nw.lit(1, dtype=nw.Int8))
            .otherwise(nw.lit(2, dtype=nw.Int8)),
        )
    )
    if hash_keys is not None:
        rows = hash_keys(rows, ["g", "k"])

    # Stage 1: one row per copy. A URL group is dated by its earliest row and
    # takes its smallest title key; in the other groups all rows share both.
    copies = (
        rows.group_by("g", drop_null_keys=False)
        .agg(
            n=nw.len(),
            nd=nw.col("d").sum(),
            p_min=nw.col("p").min(),
            k_min=nw.col("k").min(),
            kind=nw.col("kind").min(),
        )
        .with_columns(nw.col("n", "nd").cast(nw.Int64))
    )
    solo = nw.col("kind") == 2
    # Stage 2: copies with the same title key and period are one article.
    stories = (
        copies.select(
            period=nw.col("p_min"),
            title=nw.col("k_min"),
            st=nw.when(solo).then(nw.col("n")).otherwise(nw.lit(1, dtype=nw.Int64)),
            # a copy reports defection if any of its rows does
            de=nw.when(solo).then(nw.col("nd")).otherwise((nw.col("nd") > 0).cast(nw.Int64)),
            n=nw.col("n"),
        )
        .group_by("period", "title", drop_null_keys=False)
        .agg(
            st_sum=nw.col("st").sum(),
            de_sum=nw.col("de").sum(),
            de_max=nw.col("de").max(),
            rows=nw.col("n").sum(),
        )
    )
    untitled = nw.col("title").is_null()
    return (
        stories.select(
            "period",
            "rows",
            stories=nw.when(untitled).then(nw.col("st_sum")).otherwise(nw.lit(1, dtype=nw.Int64)),
            defection=nw.when(untitled).then(nw.col("de_sum")).otherwise(nw.col("de_max")),
        )
        .group_by("period", drop_null_keys=False)
        .agg(nw.col("stories").sum(), nw.col("defection").sum(), nw.col("rows").sum())
        .with_columns(nw.col("stories", "defection", "rows").cast(nw.Int64))
    )


def totals(frame: nw.LazyFrame) -> nw.LazyFrame:
    """One row: ``n_rows`` (all articles) and ``n_undated`` (no usable date)."""
    return frame.select(n_rows=nw.len(), n_undated=nw.col(PERIOD).is_null().cast(nw.Int64).sum())
