"""Plain-language caveats to show next to any trend computed from the bundled data.

The bundled files in ``data/raw/`` were compiled from public reporting by
searching an archive of stored web pages (see ``data/raw/README.md``). Their
coverage is uneven in ways that can create or hide a trend, so every table or
figure that reports a trend should print the caveats returned by
:func:`data_caveats` beside it.

The sentences are short, self-contained and free of markup, so a report can
print them as a bulleted list.
"""

from __future__ import annotations

from cftf_analysis.options import CaveatKind, check_literal

__all__ = ["CaveatKind", "data_caveats"]

_SHARED: tuple[str, ...] = (
    "Every row comes from public reporting, often read through a mirror, wire reprint or "
    "translation; the row's URL is where it was read, not necessarily the original.",
    "Many figures and stories rest on a single source, often an interested party "
    "(governments, the coalition, rebel groups, the group's own documents), and could not "
    "be verified.",
)

_REPORTS: tuple[str, ...] = (
    "The defector reports are a sample found by searching an archive of stored web pages, "
    "not a count of all defections: their number per month reflects search effort as much "
    "as events.",
    "2016 is over-represented, because the search started from leads in an April 2016 "
    "commentary; a uniform month-by-month search did not reproduce the 2016 peak.",
    "Westerners and people speaking from custody are over-represented; Syrian and Iraqi "
    "rank-and-file fighters, who by several accounts made up most deserters, are "
    "under-represented.",
    "Motive flags are lower bounds: 1 means the text read cites the motive, 0 means it was "
    "not seen, not that it was absent; money motives are the most under-counted.",
    "About half the rows describe groups, and some people and episodes appear in several "
    "reports: count reports, or deduplicate before counting people, and never add group "
    "sizes across rows.",
    "The first search pass coded voluntary surrender as 'captured' and later passes as "
    "'surrendered'; combine the two when comparing passes.",
    "Mass surrenders at the end of battles in late 2017 reflect military collapse, not "
    "individual defection.",
    "Publication can trail a defection by weeks or months, and many reports do not say when "
    "the person left.",
)

_INDICATORS: tuple[str, ...] = (
    "Estimates of the same quantity differ between producers, annual revenue by up to a "
    "factor of three: compare figures within one source organisation and never average "
    "across producers.",
    "Producers define their measures differently (realised revenue versus estimated asset "
    "values; territory held versus populated territory dominated), so their series cannot "
    "be joined.",
    "Percent changes are measured from different baselines (the August 2014 peak, January "
    "2015, mid 2015); two changes are comparable only when their baselines match.",
    "Many figures are hedged (approximate, at least, at most, peak, claimed) or given only "
    "as a range; a single plotted number hides that uncertainty.",
    "Even the best series, IHS Conflict Monitor territory and monthly revenue, have only a "
    "handful of dated points, and periods are often coarse (a quarter, a half year, 'mid "
    "2015').",
)

_COMBINED: tuple[str, ...] = (
    "Revenue, territory and defection reporting all moved with the military campaign, so a "
    "lead or lag between finance and defections is an association in time, not evidence "
    "that one caused the other.",
)


def data_caveats(kind: CaveatKind = "all") -> list[str]:
    """Return the caveats to print next to a trend computed from the bundled data.

    Parameters
    ----------
    kind : {"reports", "indicators", "all"}, default "all"
        Which data the trend uses: ``"reports"`` for ``defection_reports.csv``,
        ``"indicators"`` for ``indicators.csv``, ``"all"`` for an analysis that
        relates the two (it adds a caveat about reading timing as cause).

    Returns
    -------
    list of str
        One plain-language sentence per caveat, in a fixed order: caveats shared
        by both files first, then those specific to ``kind``. A new list on every
        call, so the caller may change it.

    Raises
    ------
    ArgumentError
        If ``kind`` is not one of the allowed values.

    Notes
    -----
    The caveats summarise the collection notes that accompany the raw data
    (search passes, biases, disagreements between producers); ``data/raw/README.md``
    gives the details and the figures behind them. They describe the bundled
    collection: a user's own collection needs its own caveats.

    Examples
    --------
    >>> from cftf_analysis.caveats import data_caveats
    >>> caveats = data_caveats("reports")
    >>> any("2016" in sentence for sentence in caveats)
    True
    >>> set(caveats) <= set(data_caveats("all"))
    True
    >>> for sentence in data_caveats("indicators")[2:3]:
    ...     print(sentence)
    Estimates of the same quantity differ between producers, ...
    """
    check_literal(kind, CaveatKind, "kind")
    parts: list[tuple[str, ...]] = [_SHARED]
    if kind in ("reports", "all"):
        parts.append(_REPORTS)
    if kind in ("indicators", "all"):
        parts.append(_INDICATORS)
    if kind == "all":
        parts.append(_COMBINED)
    return [sentence for part in parts for sentence in part]
