r"""Term lists and the one regular expression every engine runs.

A term list becomes one pattern that means the same thing in the four regex
dialects the corpus engines use: RE2 (DuckDB, and pandas through pyarrow),
Rust ``regex`` (polars) and ``java.util.regex`` (Spark). The construction
avoids every construct whose meaning differs between them:

- no ``\b``: RE2's word boundary is ASCII-only, so it would never fire next
  to an Arabic letter; the boundary is spelled out as "start of text or a
  character that is not a letter, digit or underscore" on the left and the
  mirror image on the right, with ``\p{L}`` and ``\p{N}``, which all three
  dialects define from the same Unicode categories;
- no ``(?i)``: case-insensitive matching folds case differently (RE2 and Rust
  use Unicode simple case folding, Java needs ``(?iu)`` and then maps the
  Turkish dotted capital I to ``i``). Instead every cased character of a term
  becomes a two-letter class such as ``[Ii]``, which every engine reads alike;
- no ``\s``, ``\d`` or ``.``: their definitions differ; whitespace inside a
  term matches ``[\x{09}-\x{0D}\p{Z}]+`` (ASCII controls tab to carriage
  return, and every Unicode space separator, e.g. the no-break space);
- no ``$``: Java's ``$`` also matches before a line break at the very end
  of the text; ``\z`` (the very end) means the same in all three;
- every character that is not a letter or digit is written as ``\x{hh}``,
  so no dialect can read an escape (``\<`` is a word boundary in Rust) or a
  metacharacter differently.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cftf_analysis.errors import ArgumentError, DataValidationError

__all__ = [
    "DEFECTION_WORDS",
    "DEFECTION_WORDS_AR",
    "DEFECTION_WORDS_EN",
    "LEAVING_VERBS_AR",
    "LEAVING_VERBS_EN",
    "Term",
    "case_terms",
    "leaving_phrases",
    "read_terms_file",
    "term_pattern",
]

#: Characters that continue a word: a term only matches where the characters
#: just before and just after it are not in this class (or are the text ends).
WORD_CLASS = r"\p{L}\p{N}_"
#: What one space inside a term matches.
SPACE_RUN = r"[\x{09}-\x{0D}\p{Z}]+"


@dataclass(frozen=True)
class Term:
    """A search term with its case rule.

    Plain strings in a term list are case-insensitive; wrap a string in
    ``Term(..., case_sensitive=True)`` to match its capitals exactly.

    Parameters
    ----------
    text
        The word or phrase. Spaces inside it match any run of whitespace.
    case_sensitive
        Match the letters exactly as written.

    Examples
    --------
    >>> Term("fled IS", case_sensitive=True)
    Term(text='fled IS', case_sensitive=True)
    """

    text: str
    case_sensitive: bool = False


# --- English --------------------------------------------------------------
# Words that mark an article as reporting defection, whatever the group. A verb
# of leaving ("fled", "quit") marks defection only next to the group's name, so
# those phrases are built from a case's group names (see :func:`leaving_phrases`).
DEFECTION_WORDS_EN: tuple[str | Term, ...] = (
    "defector",
    "defectors",
    "defected",
    "defecting",
    "defection",
    "defections",
    "deserter",
    "deserters",
    "deserted",
    "deserting",
    "desertion",
    "desertions",
)
LEAVING_VERBS_EN: tuple[str, ...] = (
    "fled",
    "fled from",
    "escaped",
    "escaped from",
    "quit",
    "broke with",
    "broke away from",
)

# --- Arabic ---------------------------------------------------------------
# Arabic writes the article and several prepositions and conjunctions as
# prefixes ("al-", "wa-", "bi-", "li-", "fa-"), so whole-word matching needs
# the prefixed forms listed: the term "منشق" does not match "المنشق".
# Diacritics inside a word are not removed, so a fully vowelled word does not
# match (vowel marks after the last letter do not matter).
DEFECTION_WORDS_AR: tuple[str | Term, ...] = (
    # verb "defected": he, she, they; "defects": he, they
    "انشق",
    "وانشق",
    "انشقت",
    "انشقوا",
    "ينشق",
    "ينشقون",
    # noun "defection", singular and plural
    "انشقاق",
    "الانشقاق",
    "انشقاقات",
    "الانشقاقات",
    # "defector": masculine, feminine, plurals (nominative, oblique)
    "منشق",
    "المنشق",
    "منشقة",
    "المنشقة",
    "منشقون",
    "المنشقون",
    "منشقين",
    "المنشقين",
    "والمنشقين",
    "للمنشقين",
)
# "fled from" / "escaped from" (singular and plural verbs, and participles)
LEAVING_VERBS_AR: tuple[str, ...] = (
    "فر من",
    "فروا من",
    "هرب من",
    "هربوا من",
    "الفارين من",
    "الهاربين من",
)

#: Terms that mark an article as reporting defection, for any group (the group's
#: own "fled <name>" phrases come from :func:`leaving_phrases`).
DEFECTION_WORDS: tuple[str | Term, ...] = (*DEFECTION_WORDS_EN, *DEFECTION_WORDS_AR)


def _arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def leaving_phrases(
    group_names: Iterable[str], case_sensitive_names: Iterable[str] = ()
) -> tuple[str | Term, ...]:
    """ "Fled <name>"-type phrases for a group's names, in English or Arabic by script.

    ``case_sensitive_names`` are short names that are common words in lower
    case (their phrases match the capitals exactly, with the verb written
    lower case or capitalised).

    Examples
    --------
    >>> leaving_phrases(["the Front"])[:2]
    ('fled the Front', 'fled from the Front')
    >>> leaving_phrases([], ["TF"])[1]
    Term(text='Fled TF', case_sensitive=True)
    """
    out: list[str | Term] = []
    for name in group_names:
        verbs = LEAVING_VERBS_AR if _arabic(name) else LEAVING_VERBS_EN
        out += [f"{verb} {name}" for verb in verbs]
    for name in case_sensitive_names:
        for verb in LEAVING_VERBS_EN:
            for form in (verb, verb[0].upper() + verb[1:]):
                out.append(Term(f"{form} {name}", case_sensitive=True))
    return tuple(out)


def case_terms(case: Any) -> tuple[tuple[str | Term, ...], tuple[str | Term, ...]]:
    """``(topic_terms, defection_terms)`` of a :class:`~cftf_analysis.case.Case`.

    Topic terms: the case's ``[corpus] topic_terms`` (default: the group and
    its aliases) and ``case_sensitive_topic_terms``. Defection terms:
    :data:`DEFECTION_WORDS` and the :func:`leaving_phrases` of the case's
    ``group_names`` (default: its topic terms) and ``case_sensitive_group_names``.

    Examples
    --------
    >>> from cftf_analysis.case import Case
    >>> topic, defection = case_terms(Case(id="x", name="X", group="Blue Front"))
    >>> topic, "fled Blue Front" in defection
    (('Blue Front',), True)
    """
    corpus = case.corpus
    topic = (
        *case.topic_terms(),
        *(Term(t, case_sensitive=True) for t in corpus.get("case_sensitive_topic_terms", ())),
    )
    names = corpus.get("group_names") or case.topic_terms()
    defection = (
        *DEFECTION_WORDS,
        *leaving_phrases(names, corpus.get("case_sensitive_group_names", ())),
    )
    return topic, defection


def _char_pattern(ch: str, *, case_sensitive: bool) -> str:
    if ch.isalnum():
        lower, upper = ch.lower(), ch.upper()
        if not case_sensitive and lower != upper and len(lower) == len(upper) == 1:
            return f"[{lower}{upper}]"
        return ch
    return f"\\x{{{ord(ch):x}}}"


def _term_atoms(term: str | Term) -> tuple[str, ...]:
    """The term as a sequence of pattern atoms (one per character or space run)."""
    if isinstance(term, Term):
        text, case_sensitive = term.text, term.case_sensitive
    elif isinstance(term, str):
        text, case_sensitive = term, False
    else:
        raise ArgumentError(f"a term must be a str or a Term, got {type(term).__name__}")
    words = text.split()
    if not words:
        raise ArgumentError("a term must contain at least one non-space character")
    atoms: list[str] = []
    for i, word in enumerate(words):
        if i:
            atoms.append(SPACE_RUN)
        atoms.extend(_char_pattern(ch, case_sensitive=case_sensitive) for ch in word)
    return tuple(atoms)


def _alternation(node: dict[str, dict]) -> str:
    """Regex for a prefix tree of atoms; ``""`` marks the end of a term.

    Sharing prefixes ("defect-or", "defect-ed", ...) changes nothing for
    RE2 and Rust, but spares Java's backtracking matcher from trying every
    term at every position.
    """
    parts = [atom + _alternation(child) for atom, child in sorted(node.items()) if atom]
    if not parts:
        return ""
    body = parts[0] if len(parts) == 1 else f"(?:{'|'.join(parts)})"
    return f"(?:{body})?" if "" in node else body


def term_pattern(terms: Iterable[str | Term]) -> str:
    r"""Return the engine-portable regular expression for a term list.

    Parameters
    ----------
    terms
        Words or phrases (``str`` are case-insensitive, :class:`Term` may be
        case-sensitive).

    Returns
    -------
    str
        A pattern that finds any of the terms as a whole word or phrase. It
        has the same meaning in RE2, Rust ``regex`` and Java; use it with a
        "find anywhere" test (DuckDB ``regexp_matches``, polars
        ``str.contains``, Spark ``rlike``).

    Notes
    -----
    Whole word: the character before the term and the one after it must not
    be a letter (Unicode category L), a digit (category N) or ``_``. So
    "ISIS" matches in "ex-ISIS", "ISIS's", "#ISIS" and
    ``https://x.org/isis-news`` but not in "crisis", "ISIS2" or "isis_x".
    Combining marks (category M) are not word characters, so Arabic vowel
    marks after the last letter do not block a match. Case-insensitive means
    each letter matches its lower- and upper-case form (Python's
    ``str.lower`` / ``str.upper`` of that letter); letters whose other case
    is two characters (German sharp s) match only as written.

    Examples
    --------
    >>> print(term_pattern(["ISIS"]))
    (?:^|[^\p{L}\p{N}_])(?:[iI][sS][iI][sS])(?:[^\p{L}\p{N}_]|\z)
    >>> print(term_pattern(["Da'esh", Term("IS", case_sensitive=True)]))
    (?:^|[^\p{L}\p{N}_])(?:IS|[dD][aA]\x{27}[eE][sS][hH])(?:[^\p{L}\p{N}_]|\z)
    """
    tree: dict[str, dict] = {}
    for term in terms:
        node = tree
        for atom in _term_atoms(term):
            node = node.setdefault(atom, {})
        node[""] = {}
    if not tree:
        raise ArgumentError("a term list must contain at least one term")
    body = "|".join(atom + _alternation(child) for atom, child in sorted(tree.items()))
    return rf"(?:^|[^{WORD_CLASS}])(?:{body})(?:[^{WORD_CLASS}]|\z)"


def read_terms_file(
    path: str | os.PathLike[str],
) -> tuple[tuple[str | Term, ...] | None, tuple[str | Term, ...] | None]:
    """``(topic_terms, defection_terms)`` from a TOML terms file (None where it gives none).

    The file may hold ``topic_terms`` and ``defection_terms`` (lists of
    strings, matched case-insensitively) and ``case_sensitive_topic_terms``
    and ``case_sensitive_defection_terms`` (matched with their capitals).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "terms.toml"
    >>> _ = f.write_text('topic_terms = ["Blue Front"]\\ncase_sensitive_topic_terms = ["BF"]\\n')
    >>> read_terms_file(f)
    (('Blue Front', Term(text='BF', case_sensitive=True)), None)
    """
    file = Path(path)
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataValidationError("terms file not found", file=str(file)) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"not a valid TOML file: {exc}", file=str(file)) from exc
    allowed = {
        "topic_terms",
        "defection_terms",
        "case_sensitive_topic_terms",
        "case_sensitive_defection_terms",
    }
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise DataValidationError(
            f"unknown key(s) {unknown}; allowed: {sorted(allowed)}", file=str(file)
        )
    out = []
    for kind in ("topic", "defection"):
        plain, exact = doc.get(f"{kind}_terms", []), doc.get(f"case_sensitive_{kind}_terms", [])
        for key, values in ((f"{kind}_terms", plain), (f"case_sensitive_{kind}_terms", exact)):
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise DataValidationError("must be a list of strings", file=str(file), column=key)
        terms = (*plain, *(Term(t, case_sensitive=True) for t in exact))
        out.append(terms or None)
    return out[0], out[1]
