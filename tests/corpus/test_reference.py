"""A brute-force, regex-free Python implementation of the documented corpus
rules (docs/corpus.md), used by test_corpus_engines.py as an independent
answer; its own tests pin it to hand-worked examples.

It is slow on purpose: character-by-character matching with
``unicodedata`` categories, ``datetime.fromisoformat`` for dates and plain
dictionaries for the two dedupe stages.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from cftf_analysis.corpus import DATE_TEXT_PATTERN, Term

_SPACES = "\t\n\x0b\x0c\r"


def is_word_char(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch)[0] in "LN"


def is_term_space(ch: str) -> bool:
    return ch in _SPACES or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def _char_ok(text_ch: str, term_ch: str, case_sensitive: bool) -> bool:
    if text_ch == term_ch:
        return True
    lower, upper = term_ch.lower(), term_ch.upper()
    return (
        not case_sensitive
        and len(lower) == len(upper) == 1
        and lower != upper
        and text_ch in (lower, upper)
    )


def _match_at(text: str, start: int, words: list[str], cs: bool) -> int | None:
    i = start
    for w, word in enumerate(words):
        if w > 0:  # one or more spaces between words
            if i >= len(text) or not is_term_space(text[i]):
                return None
            while i < len(text) and is_term_space(text[i]):
                i += 1
        for ch in word:
            if i >= len(text) or not _char_ok(text[i], ch, cs):
                return None
            i += 1
    return i


def brute_force_match(text: str | None, terms: Iterable[str | Term]) -> bool:
    """Whole-word, case-insensitive (unless a case-sensitive Term) match of any term."""
    if text is None:
        return False
    for term in terms:
        words = (term.text if isinstance(term, Term) else term).split()
        cs = isinstance(term, Term) and term.case_sensitive
        for start in range(len(text)):
            if start > 0 and is_word_char(text[start - 1]):
                continue
            end = _match_at(text, start, words, cs)
            if end is not None and (end == len(text) or not is_word_char(text[end])):
                return True
    return False


def utc_date(value: Any) -> dt.date | None:
    """UTC calendar date of a datetime (naive = UTC), date or ISO text; None if unusable."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC) if value.tzinfo else value).date()
    if isinstance(value, dt.date):
        return value
    if re.fullmatch(DATE_TEXT_PATTERN[1:].removesuffix(r"\z"), value) is None:
        return None
    clean = re.sub(r"(\.\d{6})\d+", r"\1", value).replace("t", "T").replace("z", "Z")
    parsed = dt.datetime.fromisoformat(clean)
    return (parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed).date()


def url_key(url: str | None) -> str | None:
    """The documented URL normalisation, with string methods."""
    if url is None:
        return None
    s = url
    lead = len(s) - len(s.lstrip(_SPACES + " "))
    rest = s[lead:]
    low = rest.lower()
    for scheme in ("https://", "http://"):
        if low.startswith(scheme):
            rest, low = rest[len(scheme) :], low[len(scheme) :]
            break
    if low.startswith("www."):
        rest = rest[4:]
    if "#" in rest:
        rest = rest[: rest.index("#")]
    rest = rest.rstrip("/" + _SPACES + " ")
    return rest or None


def title_key(title: str | None) -> str | None:
    """Lower case, words of letters, marks and digits joined by single spaces."""
    if title is None:
        return None
    words, word = [], []
    for ch in title.replace("\u0130", "I").replace("\u03a3", "\u03c3").lower():
        if unicodedata.category(ch)[0] in "LMN":
            word.append(ch)
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    return " ".join(words) or None


def month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def reference_counts(
    rows: Sequence[dict[str, Any]],
    *,
    text: Sequence[str],
    topic_terms: Iterable[str | Term],
    defection_terms: Iterable[str | Term],
    date: str = "published",
) -> tuple[dict[dt.date, tuple[int, int, int]], dict[str, int]]:
    """Monthly (topic, defection, duplicates removed) for periods with articles, and totals."""
    topic_terms, defection_terms = list(topic_terms), list(defection_terms)
    totals = {"n_rows": len(rows), "n_undated": 0, "n_undated_topic": 0, "n_undated_defection": 0}
    kept = []
    for row in rows:
        day = utc_date(row[date])
        totals["n_undated"] += day is None
        if not any(brute_force_match(row[c], topic_terms) for c in text):
            continue
        d = any(brute_force_match(row[c], defection_terms) for c in text)
        if day is None:
            totals["n_undated_topic"] += 1
            totals["n_undated_defection"] += d
            continue
        kept.append((month(day), url_key(row.get("url")), title_key(row.get("title")), d))

    # Stage 1: rows with the same URL key are one copy (earliest period,
    # smallest title key, defection if any row).
    copies: list[tuple[dt.date, str | None, bool, int]] = []
    by_url: dict[str, list] = defaultdict(list)
    for p, u, k, d in kept:
        if u is None:
            copies.append((p, k, d, 1))
        else:
            by_url[u].append((p, k, d))
    for group in by_url.values():
        titles = [k for _, k, _ in group if k is not None]
        copies.append(
            (
                min(p for p, _, _ in group),
                min(titles) if titles else None,
                any(d for _, _, d in group),
                len(group),
            )
        )
    # Stage 2: copies with the same title key in the same period are one story.
    stories: dict[tuple, list] = defaultdict(list)
    for i, (p, k, d, n) in enumerate(copies):
        stories[(p, k) if k is not None else (p, None, i)].append((d, n))
    out: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for key, members in stories.items():
        counts = out[key[0]]
        counts[0] += 1
        counts[1] += any(d for d, _ in members)
        counts[2] += sum(n for _, n in members) - 1
    return {p: tuple(v) for p, v in sorted(out.items())}, totals


# --- the reference's own tests, on hand-worked examples ---------------------


def test_reference_keys() -> None:
    assert url_key("  HTTPS://WWW.a.example/x//#top") == "a.example/x"
    assert url_key("http://a.example/x/ ") == "a.example/x"
    assert url_key("https://") is None and url_key("#x") is None
    assert url_key("https://a.example/X") == "a.example/X"
    assert title_key("  ISIS defector: 'I saw it'!! ") == "isis defector i saw it"
    assert title_key("المنشق، عن داعش") == "المنشق عن داعش"
    assert title_key("!!!") is None
    assert title_key("ΟΔΟΣ İSTANBUL") == "οδοσ istanbul"  # no final ς, no dot above


def test_reference_counts_a_worked_example() -> None:
    rows = [
        {"url": "https://a.example/1", "title": "ISIS defector", "published": "2015-03-02"},
        {"url": "http://a.example/1/", "title": "ISIS defector", "published": "2015-04-01"},
        {"url": "https://b.example/2", "title": "ISIS DEFECTOR!", "published": "2015-03-05"},
        {"url": None, "title": "Daesh news", "published": "2015-03-31T23:00-02:00"},
        {"url": None, "title": "ISIS news", "published": "bad date"},
    ]
    counts, totals = reference_counts(
        rows, text=["title"], topic_terms=["ISIS", "Daesh"], defection_terms=["defector"]
    )
    # March: rows 1-3 are one story (2 removed); row 4 is 1 April in UTC.
    assert counts == {dt.date(2015, 3, 1): (1, 1, 2), dt.date(2015, 4, 1): (1, 0, 0)}
    assert totals == {"n_rows": 5, "n_undated": 1, "n_undated_topic": 1, "n_undated_defection": 0}
