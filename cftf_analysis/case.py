"""Cases: one TOML file describes one armed group's evidence and drives the report.

A *case file* names the group, points to its three raw tables (paths relative
to the file) and says which indicator rows make each panel series, so that
nothing about a particular group lives in code. The bundled case is itself a
case file (``data/raw/case.toml``); further bundled cases live in
``data/raw/cases/<id>/case.toml``; users write their own.

Keys (the ``[case]`` ``name`` and ``group``, ``[data]`` ``reports``,
``indicators`` and ``events``, and ``[series.<name>]`` ``indicator`` and
``producer`` are fixed, so that users and other tools can rely on them)::

    [case]
    id = "my-group"                   # optional; default: the folder's name
    name = "My group, 2017-2020"      # titles and captions
    group = "My group"                # the group, in text and as the default corpus topic term
    aliases = ["MG"]                  # other names (corpus topic terms)
    description = "one line for `cftf-analysis cases`"
    question = "the report's question, one sentence"     # optional
    freq = "MS"                       # analysis period: "MS" (months) or "QS" (quarters)

    [data]
    reports = "reports.csv"
    indicators = "indicators.csv"
    events = "events.csv"             # optional: no key, no events

    [series.revenue]                  # one table per panel series; the key is its column
    indicator = "revenue_total"
    producer = "Some Institute"       # one producer per series: never averaged
    scope = "total"                   # optional, default "total"
    label = "Revenue"                 # optional, for figures

    [producers]                       # renamings of one producer -> its one name
    "Some Institute (old name)" = "Some Institute"

    [indicators.zakat]                # a user indicator beyond the built-in vocabulary
    unit = "USD per month"            # a unit from the raw format; fixes the canonical unit
    description = "zakat collected"

    [collection]                      # codes of the `collection` column (any codes)
    uniform = ["protocol-1"]          # codes from a uniform search protocol
    leads = ["seed"]                  # codes of the leads that started the search
    [collection.codes]                # optional: what each code means
    seed = "named in the commentary that started the search"

    [events]
    major = ["V002"]                  # events always drawn on the timeline
    interruption = ["V005", "V006"]   # optional: an interrupted time series from the first
    competing = ["V004"]              # optional: competing explanations, a level change each

    [caveats]                         # plain sentences printed with the results
    reporting = "counts are of published, found reports"
    shared = ["..."]                  # about every table
    reports = ["..."]
    indicators = ["..."]
    combined = ["..."]

    [sources]                         # the data-sources lines of the report
    reports = "..."
    indicators = "..."
    events = "..."

    [corpus]                          # news-archive counting (optional)
    topic_terms = ["My group", "MG"]  # default: group and aliases
    case_sensitive_topic_terms = []   # terms whose capitals must match
    group_names = ["My group"]        # names in "fled from <name>" phrases; default: topic terms
    case_sensitive_group_names = []   # short names matched with their capitals ("fled MG")

Examples
--------
>>> case = load_case()
>>> case.id, len(case.series) >= 1, case.reports.shape[0] > 0
('islamic-state', True, True)
>>> bundled_cases()[0].id
'islamic-state'
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from cftf_analysis import config
from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.options import CaseFreq, check_literal

__all__ = [
    "CASE_FILE_NAME",
    "Case",
    "IndicatorType",
    "bundled_cases",
    "case_from_inputs",
    "find_case_file",
    "load_case",
    "read_case_file",
]

#: Name of a case file inside a case folder.
CASE_FILE_NAME = "case.toml"

#: Keys allowed in each table of a case file (anything else is a typo, and an error).
_KEYS: dict[str, tuple[str, ...]] = {
    "case": ("id", "name", "group", "aliases", "description", "question", "freq"),
    "data": ("reports", "indicators", "events"),
    "series": ("indicator", "producer", "scope", "label"),
    "indicators": ("unit", "description"),
    "collection": ("uniform", "leads", "codes"),
    "events": ("major", "interruption", "competing"),
    "caveats": ("reporting", "shared", "reports", "indicators", "combined"),
    "sources": ("reports", "indicators", "events", "provenance"),
    "corpus": (
        "topic_terms",
        "case_sensitive_topic_terms",
        "group_names",
        "case_sensitive_group_names",
    ),
}
_TABLES = (*_KEYS, "producers")

#: The caveat every finding about counts carries when a case gives none.
GENERIC_REPORTING_CAVEAT = "counts are of published, found reports"


@dataclass(frozen=True)
class IndicatorType:
    """A user indicator declared in a case file: its name, raw unit and description."""

    name: str
    unit: str
    description: str = ""


@dataclass(frozen=True)
class Case:
    """One case: what the case file says, and its loaded tables.

    Attributes
    ----------
    id, name, group, aliases, description, question, freq
        From ``[case]``; ``freq`` is the analysis period (``"MS"`` or ``"QS"``).
    path
        The case file (None for a case built from inputs, see :func:`case_from_inputs`).
    reports, indicators, events
        The loaded tables (:func:`~cftf_analysis.load_reports` ...); ``events``
        is None when the case has none.
    inputs
        The input files by kind (``reports``, ``indicators``, ``events``), for
        provenance and for refusing to write over them.
    series
        Panel column -> ``{"indicator", "scope", "producer"}``.
    labels
        Panel column -> label for figures.
    producer_aliases, indicator_types
        ``[producers]`` and ``[indicators.*]``.
    collection_uniform, collection_leads, collection_codes
        ``[collection]``.
    major_events
        ``[events] major``.
    interruption_events, competing_events
        ``[events] interruption`` and ``competing``: the events of the interrupted
        time series with a competing explanation (step ``"competing_event"``):
        reporting changes level from the period of the first interruption
        event, and each competing event's period starts a level change of its own.
    caveats
        ``[caveats]``: ``reporting`` (one sentence), ``reports``,
        ``indicators``, ``combined`` (lists).
    sources
        ``[sources]`` lines.
    corpus
        ``[corpus]``: topic terms, case-sensitive terms, group names.
    """

    id: str
    name: str
    group: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    question: str = ""
    freq: str = "MS"
    path: Path | None = None
    reports: pd.DataFrame | None = field(default=None, repr=False)
    indicators: pd.DataFrame | None = field(default=None, repr=False)
    events: pd.DataFrame | None = field(default=None, repr=False)
    inputs: Mapping[str, Path] = field(default_factory=dict)
    series: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    producer_aliases: Mapping[str, str] = field(default_factory=dict)
    indicator_types: Mapping[str, IndicatorType] = field(default_factory=dict)
    collection_uniform: tuple[str, ...] = ()
    collection_leads: tuple[str, ...] = ()
    collection_codes: Mapping[str, str] = field(default_factory=dict)
    major_events: tuple[str, ...] = ()
    interruption_events: tuple[str, ...] = ()
    competing_events: tuple[str, ...] = ()
    caveats: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    corpus: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def folder(self) -> Path | None:
        """The folder of the case file (paths in it are relative to this)."""
        return None if self.path is None else self.path.parent

    @property
    def reporting_caveat(self) -> str:
        """The note every finding about counts carries."""
        return str(self.caveats.get("reporting") or GENERIC_REPORTING_CAVEAT)

    @property
    def title(self) -> str:
        """The report's question: ``question``, or one built from the group's name."""
        return self.question or (
            f"Does {self.group}'s financial decline precede defection reporting?"
        )

    def topic_terms(self) -> tuple[str, ...]:
        """Corpus terms for articles about the group: ``[corpus] topic_terms`` or its names."""
        terms = self.corpus.get("topic_terms") or (self.group, *self.aliases)
        return tuple(dict.fromkeys(terms))

    def with_tables(self, **tables: pd.DataFrame | None) -> Case:
        """A copy with some of ``reports``, ``indicators``, ``events`` replaced."""
        return replace(self, **tables)


def _error(path: Path, message: str, key: str | None = None) -> DataValidationError:
    return DataValidationError(message, file=str(path), column=key)


def _strings(value: Any, path: Path, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _error(path, "must be a list of non-empty strings", key)
    return tuple(v.strip() for v in value)


def _text(table: Mapping[str, Any], key: str, path: Path, where: str, *, required=False) -> str:
    value = table.get(key)
    if value is None:
        if required:
            raise _error(path, "is required", f"{where}.{key}")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _error(path, "must be a non-empty string", f"{where}.{key}")
    return value.strip()


def _check_keys(table: Any, allowed: Sequence[str], path: Path, where: str) -> None:
    if not isinstance(table, dict):
        raise _error(path, "must be a table", where)
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise _error(
            path,
            f"unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}",
            where,
        )


def read_case_file(path: str | os.PathLike[str]) -> Case:
    """Read and check a case file, without loading its tables.

    Every key is checked (an unknown key is a typo and an error naming it);
    data paths are resolved relative to the file and must exist.

    Raises
    ------
    DataValidationError
        Naming the file and the key (as ``column``) at fault.
    """
    path = Path(path)
    if not path.is_file():
        raise DataValidationError("case file not found", file=str(path))
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _error(path, f"not a valid TOML file: {exc}") from exc
    _check_keys(doc, _TABLES, path, "top level")
    head = doc.get("case", {})
    _check_keys(head, _KEYS["case"], path, "case")
    name = _text(head, "name", path, "case", required=True)
    group = _text(head, "group", path, "case", required=True)
    case_id = _text(head, "id", path, "case") or path.parent.name
    freq = head.get("freq", "MS")
    check_literal(freq, CaseFreq, f"{path}: case.freq")

    data = doc.get("data", {})
    _check_keys(data, _KEYS["data"], path, "data")
    inputs: dict[str, Path] = {}
    for kind in ("reports", "indicators", "events"):
        rel = _text(data, kind, path, "data", required=kind != "events")
        if rel:
            target = (path.parent / rel).resolve()
            if not target.is_file():
                raise _error(
                    path, f"the {kind} file {str(target)!r} does not exist", f"data.{kind}"
                )
            inputs[kind] = target

    series_doc = doc.get("series", {})
    if not isinstance(series_doc, dict):
        raise _error(path, "must hold one table per series", "series")
    series: dict[str, dict[str, Any]] = {}
    labels: dict[str, str] = {}
    for key, spec in series_doc.items():
        where = f"series.{key}"
        _check_keys(spec, _KEYS["series"], path, where)
        series[key] = {
            "indicator": _text(spec, "indicator", path, where, required=True),
            "scope": _text(spec, "scope", path, where) or "total",
            "producer": _text(spec, "producer", path, where) or None,
        }
        if spec.get("label"):
            labels[key] = _text(spec, "label", path, where)

    producers = doc.get("producers", {})
    if not isinstance(producers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in producers.items()
    ):
        raise _error(path, "must map producer names (as written) to one name", "producers")

    types: dict[str, IndicatorType] = {}
    for key, spec in doc.get("indicators", {}).items():
        where = f"indicators.{key}"
        _check_keys(spec, _KEYS["indicators"], path, where)
        types[key] = IndicatorType(
            name=key,
            unit=_text(spec, "unit", path, where, required=True),
            description=_text(spec, "description", path, where),
        )

    collection = doc.get("collection", {})
    _check_keys(collection, _KEYS["collection"], path, "collection")
    codes = collection.get("codes", {})
    if not isinstance(codes, dict) or not all(isinstance(v, str) for v in codes.values()):
        raise _error(path, "must map each collection code to its meaning", "collection.codes")

    events = doc.get("events", {})
    _check_keys(events, _KEYS["events"], path, "events")
    caveats_doc = doc.get("caveats", {})
    _check_keys(caveats_doc, _KEYS["caveats"], path, "caveats")
    caveats: dict[str, Any] = {}
    for key, value in caveats_doc.items():
        caveats[key] = (
            _text(caveats_doc, key, path, "caveats")
            if key == "reporting"
            else _strings(value, path, f"caveats.{key}")
        )
    sources = doc.get("sources", {})
    _check_keys(sources, _KEYS["sources"], path, "sources")
    corpus_doc = doc.get("corpus", {})
    _check_keys(corpus_doc, _KEYS["corpus"], path, "corpus")

    return Case(
        id=case_id,
        name=name,
        group=group,
        aliases=_strings(head.get("aliases", []), path, "case.aliases"),
        description=_text(head, "description", path, "case"),
        question=_text(head, "question", path, "case"),
        freq=freq,
        path=path.resolve(),
        inputs=inputs,
        series=series,
        labels=labels,
        producer_aliases=dict(producers),
        indicator_types=types,
        collection_uniform=_strings(collection.get("uniform", []), path, "collection.uniform"),
        collection_leads=_strings(collection.get("leads", []), path, "collection.leads"),
        collection_codes=dict(codes),
        major_events=_strings(events.get("major", []), path, "events.major"),
        interruption_events=_strings(events.get("interruption", []), path, "events.interruption"),
        competing_events=_strings(events.get("competing", []), path, "events.competing"),
        caveats=caveats,
        sources={k: _text(sources, k, path, "sources") for k in sources},
        corpus={k: _strings(v, path, f"corpus.{k}") for k, v in corpus_doc.items()},
    )


def bundled_cases() -> list[Case]:
    """The cases shipped with the package (read, not loaded), the default case first."""
    found = [read_case_file(config.BUNDLED_CASE_FILE)]
    if config.BUNDLED_CASES_DIR.is_dir():
        for folder in sorted(config.BUNDLED_CASES_DIR.iterdir()):
            if (folder / CASE_FILE_NAME).is_file():
                found.append(read_case_file(folder / CASE_FILE_NAME))
    return found


def find_case_file(case: str | os.PathLike[str] | None) -> Path:
    """The case file of ``case``: a path to a file or folder, a bundled case's id, or None."""
    if case is None:
        return config.BUNDLED_CASE_FILE
    path = Path(case)
    if path.suffix.lower() == ".toml" or path.exists():
        return path / CASE_FILE_NAME if path.is_dir() else path
    for known in bundled_cases():
        if known.id == str(case):
            assert known.path is not None
            return known.path
    names = ", ".join(c.id for c in bundled_cases())
    raise ArgumentError(f"case={str(case)!r} is neither a case file nor a bundled case ({names})")


def load_case(case: str | os.PathLike[str] | Case | None = None) -> Case:
    """Read a case file and load its tables.

    Parameters
    ----------
    case
        A path to a case file (or to a folder holding ``case.toml``), the id
        of a bundled case (see :func:`bundled_cases`), a :class:`Case` (its
        tables are loaded if they are not), or None for the default bundled case.

    Returns
    -------
    Case
        With ``reports``, ``indicators`` and ``events`` loaded (``events`` None
        when the case has no events file).

    Examples
    --------
    >>> case = load_case("islamic-state")
    >>> case.events is not None, list(case.series)
    (True, ['revenue_total', 'territory'])
    """
    spec = case if isinstance(case, Case) else read_case_file(find_case_file(case))
    if spec.reports is not None and spec.indicators is not None:
        return spec
    from cftf_analysis.indicators import load_indicators
    from cftf_analysis.loaders import load_events, load_reports

    events = spec.inputs.get("events")
    return spec.with_tables(
        reports=load_reports(spec.inputs["reports"]),
        indicators=load_indicators(
            spec.inputs["indicators"],
            producer_aliases=spec.producer_aliases,
            extra_indicators=spec.indicator_types,
        ),
        events=None if events is None else load_events(events),
    )


def case_from_inputs(
    reports: Any,
    indicators: Any,
    events: Any = None,
    *,
    name: str = "user data",
    group: str = "the group",
) -> Case:
    """A case for explicit inputs given without a case file: nothing bundled is mixed in.

    Missing events stay missing; the panel series are chosen from the
    indicators by :func:`~cftf_analysis.panel.default_series`.
    """
    from cftf_analysis.indicators import load_indicators
    from cftf_analysis.loaders import load_events, load_reports

    inputs = {
        kind: Path(src).resolve()
        for kind, src in (("reports", reports), ("indicators", indicators), ("events", events))
        if src is not None and not isinstance(src, pd.DataFrame)
    }
    loaded_reports = reports if _is_loaded(reports) else load_reports(reports)
    loaded_indicators = indicators if _is_loaded(indicators) else load_indicators(indicators)
    loaded_events = (
        None if events is None else (events if _is_loaded(events) else load_events(events))
    )
    return Case(
        id="user",
        name=name,
        group=group,
        reports=loaded_reports,
        indicators=loaded_indicators,
        events=loaded_events,
        inputs=inputs,
    )


def _is_loaded(frame: Any) -> bool:
    """A frame already in the tidy format (it has the loaders' parsed date columns)."""
    return isinstance(frame, pd.DataFrame) and any(
        c in frame.columns for c in ("published_start", "period_start", "date_start")
    )
