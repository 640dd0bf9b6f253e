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

from collections.abc import Iterable
from dataclasses import dataclass

from cftf_analysis.errors import ArgumentError

__all__ = [
    "DEFAULT_DEFECTION_TERMS",
    "DEFAULT_TOPIC_TERMS",
    "DEFECTION_TERMS_AR",
    "DEFECTION_TERMS_EN",
    "TOPIC_TERMS_AR",
    "TOPIC_TERMS_EN",
    "Term",
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
# Bare "IS" is deliberately absent: matched case-insensitively it is the verb
# "is" in nearly every English article, and even matched case-sensitively it
# fires in all-capitals headlines ("WHAT IS NEXT FOR MOSUL"). It appears only
# in case-sensitive phrases after a verb of leaving ("fled IS").
_GROUPS_EN = ("ISIS", "ISIL", "Daesh", "Islamic State", "the Islamic State")
TOPIC_TERMS_EN: tuple[str | Term, ...] = (
    "ISIS",
    "ISIL",
    "Islamic State",
    "Daesh",
    "Da'esh",
    "Da\u2019esh",
)
_LEAVE_EN = (
    "fled",
    "fled from",
    "escaped",
    "escaped from",
    "quit",
    "broke with",
    "broke away from",
)
DEFECTION_TERMS_EN: tuple[str | Term, ...] = (
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
    *(f"{verb} {group}" for verb in _LEAVE_EN for group in _GROUPS_EN),
    *(
        Term(f"{form} IS", case_sensitive=True)
        for verb in _LEAVE_EN
        for form in (verb, verb[0].upper() + verb[1:])
    ),
)

# --- Arabic ---------------------------------------------------------------
# Arabic writes the article and several prepositions and conjunctions as
# prefixes ("al-", "wa-", "bi-", "li-", "fa-"), so whole-word matching needs
# the prefixed forms listed: the term "منشق" does not match "المنشق".
# Both spellings of Islamic (with and without the hamza under the alif) are
# listed; diacritics inside a word are not removed, so a fully vowelled word
# does not match (vowel marks after the last letter do not matter).
_DAESH_AR = ("داعش", "وداعش", "لداعش", "بداعش", "فداعش")
_STATE_AR = (
    "تنظيم الدولة",
    "وتنظيم الدولة",
    "لتنظيم الدولة",
    "بتنظيم الدولة",
    "الدولة الإسلامية",
    "والدولة الإسلامية",
    "بالدولة الإسلامية",
    "للدولة الإسلامية",
    "الدولة الاسلامية",
    "والدولة الاسلامية",
    "بالدولة الاسلامية",
    "للدولة الاسلامية",
)
TOPIC_TERMS_AR: tuple[str | Term, ...] = (*_DAESH_AR, *_STATE_AR)
_DEFECT_AR = (
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
_LEAVE_AR = ("فر من", "فروا من", "هرب من", "هربوا من", "الفارين من", "الهاربين من")
DEFECTION_TERMS_AR: tuple[str | Term, ...] = (
    *_DEFECT_AR,
    *(f"{verb} {group}" for verb in _LEAVE_AR for group in ("داعش", "تنظيم الدولة")),
)

#: Terms that mark an article as covering the group (the exposure).
DEFAULT_TOPIC_TERMS: tuple[str | Term, ...] = (*TOPIC_TERMS_EN, *TOPIC_TERMS_AR)
#: Terms that mark an article about the group as reporting defection.
DEFAULT_DEFECTION_TERMS: tuple[str | Term, ...] = (*DEFECTION_TERMS_EN, *DEFECTION_TERMS_AR)


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
