"""Whole-word term matching: what matches, what does not, and that the regex
engines (RE2 in DuckDB and pyarrow, Rust regex in polars) agree with each
other and with a brute-force matcher written without regular expressions.
Spark's Java regex is checked on the same table in test_corpus_engines.py."""

from __future__ import annotations

import unicodedata

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cftf_analysis.case import read_case_file
from cftf_analysis.config import BUNDLED_CASE_FILE
from cftf_analysis.corpus import (
    Term,
    case_terms,
    term_pattern,
)
from cftf_analysis.errors import ArgumentError

#: The bundled case's corpus terms (its group names and the generic defection words).
DEFAULT_TOPIC_TERMS, DEFAULT_DEFECTION_TERMS = case_terms(read_case_file(BUNDLED_CASE_FILE))

D = DEFAULT_DEFECTION_TERMS
T = DEFAULT_TOPIC_TERMS

# (text, terms, expected): the documented behaviour, one rule per line.
CASES: list[tuple[str, tuple, bool]] = [
    ("ISIS fighters retreat", ("ISIS",), True),
    ("the isis attack", ("ISIS",), True),  # case-insensitive
    ("A crisis in Mosul", ("ISIS",), False),  # inside a longer word
    ("ex-ISIS commander", ("ISIS",), True),  # a hyphen is a boundary
    ("anti-ISIS coalition", T, True),
    ("ISIS's oil", ("ISIS",), True),  # so is an apostrophe
    ("#ISIS trends", ("ISIS",), True),
    ("ISIS2015 archive", ("ISIS",), False),  # a digit continues the word
    ("isis_news", ("ISIS",), False),  # so does an underscore
    ("https://news.example/isis-defector-story", ("ISIS",), True),  # URLs in text
    ("https://news.example/isis-defector-story", D, True),
    ("Islamic\u00a0State", ("Islamic State",), True),  # no-break space
    ("Islamic\n\t State", ("Islamic State",), True),  # any run of whitespace
    ("IslamicState", ("Islamic State",), False),
    ("Islamic States", ("Islamic State",), False),
    ("Da'esh", ("Da'esh",), True),
    ("Da\u2019esh", ("Da'esh",), False),  # the curly apostrophe is another character
    ("Da\u2019esh", T, True),  # ... listed separately in the defaults
    ("This is what it is", T, False),  # the verb "is" is not a topic term
    ("WHAT IS NEXT FOR MOSUL", T, False),  # nor is IS in capitals
    ("the war he fled is over", D, False),  # "fled is" is not "fled IS"
    ("He fled IS in 2015", D, True),  # case-sensitive phrase
    ("Fled IS fighters speak", D, True),
    ("HE FLED IS", D, False),  # only "fled IS" and "Fled IS" are listed
    ("They escaped from the Islamic State", D, True),
    ("defectors", ("defector",), False),  # whole words: plurals are listed
    ("defectors", D, True),
    ("DEFECTED", ("defected",), True),
    ("civilians fled Mosul", D, False),  # leaving a city is not defection
    ("المنشق عن داعش", ("منشق",), False),  # the article al- makes another word
    ("المنشق عن داعش", D, True),  # ... listed in the defaults
    ("قال منشق سابق", ("منشق",), True),
    ("منشقٌ", ("منشق",), True),  # a vowel mark after the word is no letter
    ("مُنشق", ("منشق",), False),  # a vowel mark inside the word breaks it
    ("انشقاق", ("انشق",), False),
    ("داعش:", ("داعش",), True),
    ("لداعش", ("داعش",), False),
    ("لداعش", T, True),
    ("داعش٢٠١٥", ("داعش",), False),  # Arabic-Indic digits are digits
    ("هربوا من تنظيم الدولة", D, True),
    ("الدولة الاسلامية", T, True),  # spelled without hamza
    ("", ("ISIS",), False),
]


def _is_word(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch)[0] in "LN"


def _is_space(ch: str) -> bool:
    return ch in "\t\n\x0b\x0c\r" or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


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


def brute_force_match(text: str, terms: tuple) -> bool:
    """The documented rule, by hand: no regular expressions."""
    for term in terms:
        words = (term.text if isinstance(term, Term) else term).split()
        cs = isinstance(term, Term) and term.case_sensitive
        for start in range(len(text)):
            if start > 0 and _is_word(text[start - 1]):
                continue
            i, ok = start, True
            for w, word in enumerate(words):
                if w > 0:  # one or more spaces between words
                    if i >= len(text) or not _is_space(text[i]):
                        ok = False
                        break
                    while i < len(text) and _is_space(text[i]):
                        i += 1
                for ch in word:
                    if i >= len(text) or not _char_ok(text[i], ch, cs):
                        ok = False
                        break
                    i += 1
                if not ok:
                    break
            if ok and (i == len(text) or not _is_word(text[i])):
                return True
    return False


def _engines(texts: list[str], pattern: str) -> dict[str, list[bool]]:
    arr = pa.array(texts, pa.string())
    con = duckdb.connect()
    duck = con.execute(
        "SELECT regexp_matches(t, $p) FROM "
        "(SELECT unnest($t) AS t, generate_subscripts($t, 1) AS i) ORDER BY i",
        {"p": pattern, "t": texts},
    ).fetchall()
    return {
        "duckdb": [r[0] for r in duck],
        "pyarrow": pc.match_substring_regex(arr, pattern).to_pylist(),
        "polars": pl.Series(texts, dtype=pl.String).str.contains(pattern).to_list(),
    }


@pytest.mark.parametrize(("text", "terms", "expected"), CASES)
def test_documented_matches(text: str, terms: tuple, expected: bool) -> None:
    assert brute_force_match(text, terms) is expected
    for engine, got in _engines([text], term_pattern(terms)).items():
        assert got == [expected], engine


def test_engines_agree_with_brute_force_on_random_text(rng) -> None:
    # Random strings glued from pieces full of edge cases: both cases, Arabic
    # letters with a prefix and a vowel mark, digits, underscores and every
    # kind of separator, with and without spaces between the pieces.
    pieces = [
        "is",
        "IS",
        "Is",
        "isis",
        "ISIS",
        "Isil",
        "sh",
        "daesh",
        "DA'ESH",
        "Islamic",
        "State",
        "داعش",
        "ل",
        "ٌ",
        "\u0301",
        "2",
        "٢",
        "_",
        "-",
        "'",
        "#",
        "/",
        " ",
        "  ",
        "\u00a0",
        "\n",
        "\u2019",
    ]
    terms = ("ISIS", "ISIL", "Daesh", "is", "داعش", "Da'esh", "Islamic State", "sh")
    texts = ["".join(rng.choice(pieces, size=int(rng.integers(0, 7)))) for _ in range(3000)]
    pattern = term_pattern(terms)
    expected = [brute_force_match(t, terms) for t in texts]
    assert 300 < sum(expected) < 2700  # the sample has both outcomes
    for engine, got in _engines(texts, pattern).items():
        assert got == expected, engine


def test_default_lists_keep_bare_is_case_sensitive_only() -> None:
    plain = [t for t in (*T, *D) if isinstance(t, str)]
    assert not any(word.lower() == "is" for t in plain for word in t.split())
    sensitive = [t.text for t in D if isinstance(t, Term)]
    assert "fled IS" in sensitive and "Fled IS" in sensitive
    assert all(t.split()[-1] == "IS" for t in sensitive)
    assert not any(isinstance(t, Term) for t in T)


def test_pattern_spells_out_case_and_escapes() -> None:
    pattern = term_pattern(["Da'esh", Term("IS", case_sensitive=True)])
    assert "[dD][aA]\\x{27}[eE][sS][hH]" in pattern
    assert "|IS)" in pattern or "(?:IS|" in pattern
    assert "(?i)" not in pattern and "\\b" not in pattern and "\\s" not in pattern


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ([], "at least one term"),
        (["  "], "non-space character"),
        ([3], "must be a str or a Term"),
    ],
)
def test_bad_terms(terms: list, message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        term_pattern(terms)
