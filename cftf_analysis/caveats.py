"""Plain-language caveats to show next to any trend computed from public reporting.

Collections of public reports and estimates are uneven in ways that can
create or hide a trend, so every table or figure that reports a trend should
print the caveats returned by :func:`data_caveats` beside it. The generic
sentences here hold for any collection compiled from public reporting; a case
file's ``[caveats]`` table replaces them, kind by kind, with what is known
about that collection (the bundled case's are in ``data/raw/case.toml``, with
the collection notes in ``data/raw/README.md``).

The sentences are short, self-contained and free of markup, so a report can
print them as a bulleted list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cftf_analysis.options import CaveatKind, check_literal

if TYPE_CHECKING:  # pragma: no cover
    from cftf_analysis.case import Case

__all__ = ["GENERIC_CAVEATS", "CaveatKind", "data_caveats"]

#: Caveats that hold for any collection compiled from public reporting, by part.
GENERIC_CAVEATS: dict[str, tuple[str, ...]] = {
    "shared": (
        "Every row comes from public reporting, often read through a reprint or "
        "translation; the row's URL is where it was read, not necessarily the original.",
        "Many figures and stories rest on a single source, often an interested party, and "
        "could not be verified.",
    ),
    "reports": (
        "The defector reports are a sample found by searching public sources, not a count of "
        "all defections: their number per period reflects search effort and media attention "
        "as much as events.",
        "Motive flags are lower bounds: 1 means the text read cites the motive, 0 means it was "
        "not seen, not that it was absent.",
        "Some rows describe groups, and some people and episodes appear in several reports: "
        "count reports, or deduplicate before counting people, and never add group sizes "
        "across rows.",
        "Publication can trail a defection by weeks or months, and many reports do not say "
        "when the person left.",
    ),
    "indicators": (
        "Estimates of the same quantity differ between producers: compare figures within one "
        "producer and never average across producers.",
        "Many figures are hedged (approximate, at least, at most, claimed) or given only as a "
        "range; a single plotted number hides that uncertainty.",
    ),
    "combined": (
        "Finances, territory and defection reporting can all move with the military "
        "situation, so a lead or lag between finance and defections is an association in "
        "time, not evidence that one caused the other.",
    ),
}


def data_caveats(kind: CaveatKind = "all", case: Case | None = None) -> list[str]:
    """Return the caveats to print next to a trend.

    Parameters
    ----------
    kind : {"reports", "indicators", "all"}, default "all"
        Which data the trend uses: ``"reports"`` for the defection reports,
        ``"indicators"`` for the indicators, ``"all"`` for an analysis that
        relates the two (it adds a caveat about reading timing as cause).
    case
        A :class:`~cftf_analysis.case.Case` whose ``[caveats]`` replace the
        generic sentences of each part it gives; default: the bundled case.

    Returns
    -------
    list of str
        One plain-language sentence per caveat, in a fixed order: caveats shared
        by both tables first, then those specific to ``kind``. A new list on every
        call, so the caller may change it.

    Raises
    ------
    ArgumentError
        If ``kind`` is not one of the allowed values.

    Examples
    --------
    >>> from cftf_analysis.caveats import data_caveats
    >>> caveats = data_caveats("reports")
    >>> any("2016" in sentence for sentence in caveats)  # the bundled collection's own
    True
    >>> set(caveats) <= set(data_caveats("all"))
    True
    """
    check_literal(kind, CaveatKind, "kind")
    if case is None:
        from cftf_analysis import config
        from cftf_analysis.case import read_case_file

        case = read_case_file(config.BUNDLED_CASE_FILE)
    parts = ["shared"]
    if kind in ("reports", "all"):
        parts.append("reports")
    if kind in ("indicators", "all"):
        parts.append("indicators")
    if kind == "all":
        parts.append("combined")
    own = case.caveats
    return [s for part in parts for s in (own.get(part) or GENERIC_CAVEATS[part])]
