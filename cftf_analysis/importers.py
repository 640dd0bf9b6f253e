"""Import dated events from the standard conflict datasets: UCDP GED, ACLED and the GTD.

Each importer reads one dataset in its published column layout (a CSV file, an ``.xlsx``
file, or a DataFrame) and returns a table in the raw events format of
``data/raw/README.md``: one row per dataset row, every cell text, ready to be written as
an ``events.csv`` or loaded with :func:`~cftf_analysis.load_events`. The datasets' own
precision codes and ranges are kept, not rounded away:

- UCDP GED: ``date_start/date_end`` (one day when equal); ``date_prec`` (1-5) kept as
  ``precision_code``; deaths ``best`` with their ``low``-``high`` range.
- ACLED: ``event_date`` widened by ``time_precision`` (1 the day, 2 the 7 days around it,
  3 the calendar month), the code kept; ``fatalities`` a point.
- GTD: ``iyear/imonth/iday`` as a day, or a month or year when the day or month is 0
  (unknown); an ``extended`` incident runs to its ``resolution`` date; ``nkill``.

Column names are matched ignoring case; columns an importer does not use are ignored.
Rows are never dropped or changed silently: the only selection is the explicit ``actor=``
(``group=`` for the GTD) filter, and a row that cannot be converted (a missing or
impossible date, an unknown code, a negative count) raises
:class:`~cftf_analysis.errors.DataValidationError` naming the file, the 1-based data row
and the dataset's column. Only the rows kept by the filter are checked.

Codebooks followed: UCDP GED codebook version 24.1 (Uppsala Conflict Data Program), the
ACLED codebook of 2023 (the layout with ``disorder_type``, ``civilian_targeting`` and
``tags``), and the GTD codebook (START, University of Maryland) of the 2021-2022 releases.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cftf_analysis._io import Problems, read_table
from cftf_analysis.dates import YEAR_MAX, YEAR_MIN
from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.loaders import EVENT_EXTRA, EVENT_OPTIONAL, EVENT_REQUIRED
from cftf_analysis.options import ActorMatch, EventCategory, check_literal

__all__ = ["import_acled", "import_gtd", "import_ucdp_ged"]

DatasetSource = str | os.PathLike[str] | pd.DataFrame

#: Columns of every importer's output, in order: the raw events format, then the
#: optional columns that :func:`~cftf_analysis.load_events` validates and keeps.
IMPORT_COLUMNS = (*EVENT_REQUIRED, *EVENT_OPTIONAL, *EVENT_EXTRA)

#: The columns ``actor=`` (``group=`` for the GTD) is looked for in, per dataset.
ACTOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "ucdp": ("side_a", "side_b", "dyad_name"),
    "acled": ("actor1", "actor2", "assoc_actor_1", "assoc_actor_2"),
    "gtd": ("gname", "gname2", "gname3"),
}

#: UCDP GED ``date_prec`` codes (UCDP GED codebook version 24.1).
GED_DATE_PREC = {
    1: "exact date known",
    2: "date known only within a 2-6 day range",
    3: "only the week known",
    4: "date known only within an 8-30 day range or only the month",
    5: "date known only within a range longer than a month, up to a calendar year",
}
#: UCDP GED ``type_of_violence`` codes.
GED_VIOLENCE = {1: "state-based conflict", 2: "non-state conflict", 3: "one-sided violence"}
#: ACLED ``time_precision`` codes, and the interval each one becomes.
ACLED_TIME_PRECISION = {
    1: "the day is known",
    2: "only the week is known; ACLED dates it at its middle, widened here to the 7 days "
    "around that date",
    3: "only the month is known; widened here to the calendar month",
}
#: GTD ``extended`` codes.
GTD_EXTENDED = {0: "no", 1: "yes (the incident lasted more than 24 hours)"}

#: Default category of each ACLED ``sub_event_type`` (ACLED codebook 2023). Battles,
#: explosions/remote violence, violence against civilians and armed force used or lost
#: are ``military`` (as the fall and retaking of towns are in the bundled events);
#: looting is ``finance`` (a revenue source of armed groups); protests, riots, arrests,
#: agreements, changes to a group and "Other" are ``governance``. Nothing maps to
#: ``defection``: ACLED has no such type. Override or extend with ``categories=``.
ACLED_CATEGORIES: dict[str, EventCategory] = {
    "Armed clash": "military",
    "Government regains territory": "military",
    "Non-state actor overtakes territory": "military",
    "Chemical weapon": "military",
    "Air/drone strike": "military",
    "Suicide bomb": "military",
    "Shelling/artillery/missile attack": "military",
    "Remote explosive/landmine/IED": "military",
    "Grenade": "military",
    "Sexual violence": "military",
    "Attack": "military",
    "Abduction/forced disappearance": "military",
    "Peaceful protest": "governance",
    "Protest with intervention": "governance",
    "Excessive force against protesters": "governance",
    "Excessive force against protestors": "governance",  # spelling of some releases
    "Violent demonstration": "governance",
    "Mob violence": "governance",
    "Agreement": "governance",
    "Arrests": "governance",
    "Change to group/activity": "governance",
    "Disrupted weapons use": "military",
    "Headquarters or base established": "military",
    "Looting/property destruction": "finance",
    "Non-violent transfer of territory": "military",
    "Other": "governance",
}

#: Per-event pages where the dataset has them, else the dataset's page.
GED_EVENT_URL = "https://ucdp.uu.se/event/{}"
ACLED_URL = "https://acleddata.com/data-export-tool/"
GTD_EVENT_URL = "https://www.start.umd.edu/gtd/search/IncidentSummary.aspx?gtdid={}"

#: Columns each importer needs (others are optional or ignored).
GED_REQUIRED = tuple(
    "id type_of_violence side_a side_b dyad_name country date_prec date_start date_end "
    "best low high".split()
)
ACLED_REQUIRED = tuple(
    "event_id_cnty event_date time_precision event_type sub_event_type actor1 country "
    "fatalities".split()
)
GTD_REQUIRED = tuple("eventid iyear imonth iday extended country_txt gname nkill".split())

_ISO = ("%Y-%m-%d",)
#: ACLED writes day-first dates: ISO in its API, ``15 January 2020`` (or with dashes, or
#: ``15/01/2020``) in exports; a month-first form is never tried.
_ACLED_DATES = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d %b %Y", "%d-%b-%Y", "%d/%m/%Y", "%d-%m-%Y")
_ACLED_HINT = "YYYY-MM-DD, or day first as in 15 January 2020"
_TIME_SUFFIX = r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"  # a midnight time some exports add
_UNKNOWN = {"", "unknown"}


@dataclass
class _Rows:
    """The selected rows of one dataset table (as text) and the problems found in them.

    The frame's index is the 0-based position of the row in the file, so that problems
    name the file's 1-based data row even after the actor filter.
    """

    frame: pd.DataFrame
    problems: Problems
    _text: dict[str, pd.Series] = field(default_factory=dict, init=False, repr=False)

    def flag(self, mask: pd.Series, column: str, message: str | Sequence[str]) -> None:
        """Record ``message`` (one, or one per flagged row) for the True rows of ``mask``."""
        rows = self.frame.index[mask.fillna(False).to_numpy(dtype=bool)]
        messages = [message] * len(rows) if isinstance(message, str) else list(message)
        for row, text in zip(rows, messages, strict=True):
            self.problems.add(text, row=int(row) + 1, column=column)

    def text(self, column: str) -> pd.Series:
        """A column as Python strings ("" where the file lacks the column), cached."""
        if column not in self._text:
            if column in self.frame.columns:
                self._text[column] = self.frame[column].astype(object)
            else:
                self._text[column] = pd.Series("", index=self.frame.index, dtype=object)
        return self._text[column]

    def ids(self, column: str) -> pd.Series:
        ids = self.text(column)
        self.flag(ids == "", column, "value is required (the dataset's event id)")
        dup = ids.duplicated() & (ids != "")
        self.flag(dup, column, [f"duplicate id '{v}'" for v in ids[dup]])
        return ids

    def column(self, column: str) -> pd.Series:
        """A column as read (fast vectorised string methods); empty when absent."""
        if column in self.frame.columns:
            return self.frame[column]
        return pd.Series("", index=self.frame.index, dtype=str)

    def numbers(self, column: str) -> pd.Series:
        """Parse numbers; record cells that are not numbers (empty cells give NaN)."""
        text = self.column(column)
        values = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
        bad = values.isna() & (text != "")
        self.flag(bad, column, [f"'{v}' is not a number" for v in text[bad]])
        return values

    def codes(self, column: str, allowed: Mapping[int, str]) -> pd.Series:
        """Parse a required code column; record missing and unknown codes."""
        text = self.column(column)
        values = pd.to_numeric(text.where(text != ""), errors="coerce")
        known = values.isin(list(allowed))
        listed = ", ".join(map(str, allowed))
        self.flag(text == "", column, f"value is required (a code: {listed})")
        bad = ~known & (text != "")
        self.flag(
            bad, column, [f"unknown {column} code '{v}' (codes: {listed})" for v in text[bad]]
        )
        return values.where(known).astype("Int64")

    def counts(self, column: str) -> pd.Series:
        """Parse a count: empty = unknown (NaN); negative or infinite values are recorded."""
        values = self.numbers(column)
        infinite = values.abs() == np.inf
        self.flag(infinite, column, "count must be a finite number")
        negative = (values < 0) & ~infinite
        self.flag(negative, column, [f"negative count {v:g}" for v in values[negative]])
        return values.where(~infinite & ~negative)

    def whole(self, column: str, low: int, high: int) -> pd.Series:
        """Parse a required whole number in ``[low, high]``."""
        text, values = self.text(column), self.numbers(column)
        self.flag(text == "", column, "value is required")
        bad = values.notna() & ((values != np.floor(values)) | (values < low) | (values > high))
        self.flag(
            bad, column, [f"'{v}' is not a whole number from {low} to {high}" for v in text[bad]]
        )
        return values.where(~bad).astype("Int64")

    def days(self, column: str, formats: Sequence[str], hint: str, required: bool) -> pd.Series:
        """Parse dates written in one of ``formats`` (first match wins)."""
        text = self.column(column)
        core = text.str.replace(_TIME_SUFFIX, "", regex=True)
        out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
        for fmt in formats:
            todo = out.isna() & (core != "")
            if not todo.any():
                break
            out[todo] = pd.to_datetime(core[todo], format=fmt, errors="coerce")
        if required:
            self.flag(text == "", column, "value is required (the date is missing)")
        bad = out.isna() & (core != "")
        self.flag(bad, column, [f"'{v}' is not a valid date ({hint})" for v in text[bad]])
        return out

    def ordered(self, low: str, best: str, high: str) -> tuple[pd.Series, pd.Series, pd.Series]:
        """Parse three counts and record rows where ``low <= best <= high`` fails."""
        lo, mid, hi = self.counts(low), self.counts(best), self.counts(high)
        for below, above, name_a, name_b in ((lo, mid, low, best), (mid, hi, best, high)):
            wrong = below > above
            msgs = [
                f"{name_a} {a:g} is above {name_b} {b:g}"
                for a, b in zip(below[wrong], above[wrong], strict=True)
            ]
            self.flag(wrong, name_a, msgs)
        wrong = (lo > hi) & mid.isna()
        self.flag(wrong, low, f"{low} is above {high}")
        return lo, mid, hi


def _read(source: DatasetSource, title: str, required: Sequence[str]) -> tuple[pd.DataFrame, str]:
    """Read a dataset table as text; column names lower-cased; required columns present."""
    if source is None:
        raise ArgumentError(f"source is required: a {title} file or DataFrame")
    raw, label = read_table(source)
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise DataValidationError(
            f"required column is missing; a {title} table in its published layout has "
            f"{', '.join(required)} (missing: {', '.join(missing)})",
            file=label,
            column=missing[0],
        )
    return raw, label


def _select(
    raw: pd.DataFrame, label: str, name: str | None, columns: Sequence[str], match: str, arg: str
) -> _Rows:
    """Keep the rows that name ``name`` in one of ``columns`` (all rows when None)."""
    check_literal(match, ActorMatch, "match")
    problems = Problems(label)
    if name is None:
        return _Rows(raw, problems)
    if not isinstance(name, str) or not name.strip():
        raise ArgumentError(f"{arg} must be a non-empty name, got {name!r}")
    needle = name.strip().casefold()
    present = [c for c in columns if c in raw.columns]
    hit = pd.Series(False, index=raw.index)
    for col in present:
        cell = raw[col].astype(str).str.casefold()
        if match == "contains":
            hit |= cell.str.contains(needle, regex=False)
        else:
            hit |= cell.str.split(";").map(lambda parts: needle in {p.strip() for p in parts})
    if not hit.any():
        raise ArgumentError(
            f"{arg}={name!r} matches no row of {label} (looked in {', '.join(present)}; "
            f"match={match!r}, ignoring case)"
        )
    return _Rows(raw[hit], problems)


def _version(version: str | None, label: str, found: str | None, title: str, example: str) -> str:
    if version is not None:
        if not str(version).strip():
            raise ArgumentError("version must not be empty")
        return str(version).strip()
    if found:
        return found
    raise ArgumentError(
        f"version is needed: the {title} version cannot be read from {label!r}; "
        f"pass it, e.g. version={example!r}"
    )


def _file_match(label: str, pattern: str) -> re.Match[str] | None:
    return None if label == "<DataFrame>" else re.search(pattern, Path(label).name, re.I)


def _numbers_text(values: pd.Series) -> list[str]:
    return ["" if v != v else f"{v:.15g}" for v in values.to_numpy(dtype=float)]


def _day_text(days: pd.Series) -> pd.Series:
    return days.dt.strftime("%Y-%m-%d").fillna("")


def _span_text(start: pd.Series, end: pd.Series) -> pd.Series:
    a, b = _day_text(start), _day_text(end)
    return a.where(a == b, a + "/" + b)


def _pad(code: pd.Series) -> pd.Series:
    """A GTD month or day code as two digits, 0 (unknown) as 01: the period's first day."""
    return code.clip(lower=1).astype(str).str.zfill(2)


def _known(value: str) -> str:
    return "" if value.strip().casefold() in _UNKNOWN else value.strip()


def _place(rows: _Rows, columns: Sequence[str]) -> list[str]:
    """``where, region, country`` from the columns present, without unknowns or repeats."""
    out = []
    for parts in zip(*(rows.text(c).tolist() for c in columns), strict=True):
        kept: list[str] = []
        for part in map(_known, parts):
            if part and part not in kept:
                kept.append(part)
        out.append(", ".join(kept))
    return out


def _joined(*parts: Sequence[str], sep: str = "; ") -> list[str]:
    return [sep.join(p for p in row if p) for row in zip(*parts, strict=True)]


def _events(n: int, **columns: str | Sequence[str]) -> pd.DataFrame:
    """Assemble ``n`` rows in :data:`IMPORT_COLUMNS` order (text; a str is repeated)."""
    data = {}
    for name in IMPORT_COLUMNS:
        value = columns.pop(name)
        if isinstance(value, str):
            data[name] = [value] * n
        else:
            data[name] = value.tolist() if isinstance(value, pd.Series) else list(value)
    if columns:
        raise AssertionError(f"not event columns: {sorted(columns)}")
    return pd.DataFrame(data, columns=list(IMPORT_COLUMNS), dtype=object)


def import_ucdp_ged(
    source: DatasetSource,
    *,
    actor: str | None = None,
    match: ActorMatch = "contains",
    category: EventCategory = "military",
    version: str | None = None,
) -> pd.DataFrame:
    """Turn UCDP Georeferenced Event Dataset (GED) rows into events.

    Parameters
    ----------
    source
        A GED file (CSV as downloaded, e.g. ``GEDEvent_v24_1.csv``, or ``.xlsx``) or a
        DataFrame with the GED columns (UCDP GED codebook version 24.1): used are ``id``,
        ``type_of_violence``, ``side_a``, ``side_b``, ``dyad_name``, ``country``,
        ``date_prec``, ``date_start``, ``date_end``, ``best``, ``low``, ``high`` and,
        when present, ``where_description``, ``adm_1`` and ``source_headline``.
    actor
        Keep only the rows naming this actor in ``side_a``, ``side_b`` or ``dyad_name``
        (ignoring case; see ``match``). ``None`` keeps every row.
    match
        ``"contains"``: the name is part of the cell; ``"exact"``: the name is the whole
        cell (or one ``;``-separated name in it).
    category
        The event category of every row (the GED records organised violence).
    version
        The GED version, e.g. ``"24.1"``; read from a file name such as
        ``GEDEvent_v24_1.csv`` or ``ged241-csv.zip`` when not given.

    Returns
    -------
    pandas.DataFrame
        The raw events format, every cell text, columns :data:`IMPORT_COLUMNS`:
        ``event_id`` (``GED-<id>``); ``date`` (``date_start``, or
        ``date_start/date_end`` when they differ); ``event`` (a description built from
        the type of violence, sides, place and deaths); ``category``; ``scope`` (the
        country, lower-cased); ``source_org`` (``UCDP Georeferenced Event Dataset (GED)
        version <version>``); ``url`` (the event's page on ucdp.uu.se); ``note`` (what
        the ``date_prec`` code means, and the GED's ``source_headline``);
        ``fatalities``, ``fatalities_low``, ``fatalities_high`` (``best``, ``low``,
        ``high``); ``precision_code`` (``date_prec``); ``dataset`` (``ucdp``).

    Raises
    ------
    DataValidationError
        A missing column, or a row that cannot be converted (file, 1-based row, column).
    ArgumentError
        A bad option, an unknown version, or an ``actor`` that matches no row.

    Examples
    --------
    >>> ged = pd.DataFrame({
    ...     "id": ["101"], "type_of_violence": ["1"], "side_a": ["Government of A"],
    ...     "side_b": ["Group B"], "dyad_name": ["Government of A - Group B"],
    ...     "country": ["Country A"], "where_description": ["Town C"], "adm_1": [""],
    ...     "date_prec": ["2"], "date_start": ["2015-03-02 00:00:00.000"],
    ...     "date_end": ["2015-03-05 00:00:00.000"], "best": ["12"], "low": ["10"],
    ...     "high": ["15"]})
    >>> events = import_ucdp_ged(ged, version="24.1")
    >>> events.loc[0, ["event_id", "date", "fatalities", "precision_code"]].tolist()
    ['GED-101', '2015-03-02/2015-03-05', '12', '2']
    >>> print(events.loc[0, "event"])
    State-based conflict between Government of A and Group B in Town C, Country A:
    12 deaths (best estimate; low 10, high 15)
    """
    check_literal(category, EventCategory, "category")
    raw, label = _read(source, "UCDP GED", GED_REQUIRED)
    m = _file_match(label, r"gedevent_v(\d+(?:_\d+)+)") or _file_match(label, r"ged(\d\d)(\d)\b")
    found = None if m is None else ".".join(g for g in m.groups() if g).replace("_", ".")
    version = _version(version, label, found, "UCDP GED", "24.1")
    rows = _select(raw, label, actor, ACTOR_COLUMNS["ucdp"], match, "actor")
    ids = rows.ids("id")
    kind = rows.codes("type_of_violence", GED_VIOLENCE)
    prec = rows.codes("date_prec", GED_DATE_PREC)
    start = rows.days("date_start", _ISO, "YYYY-MM-DD", required=True)
    end = rows.days("date_end", _ISO, "YYYY-MM-DD", required=True)
    reversed_ = start > end
    rows.flag(
        reversed_,
        "date_end",
        [
            f"date_end {b:%Y-%m-%d} is before date_start {a:%Y-%m-%d}"
            for a, b in zip(start[reversed_], end[reversed_], strict=True)
        ],
    )
    low, best, high = rows.ordered("low", "best", "high")
    rows.problems.raise_if_any()

    sides = []
    for k, a, b in zip(kind.tolist(), rows.text("side_a"), rows.text("side_b"), strict=True):
        label_k = GED_VIOLENCE[int(k)].capitalize()
        sides.append(
            f"{label_k} by {a} against {b}" if k == 3 else f"{label_k} between {a} and {b}"
        )
    places = _place(rows, ["where_description", "adm_1", "country"])
    deaths = []
    for b, lo, hi in zip(*(c.to_numpy(dtype=float) for c in (best, low, high)), strict=True):
        if b != b:  # NaN: not estimated
            deaths.append("deaths not estimated")
            continue
        rng = ", ".join(f"{n} {v:g}" for n, v in (("low", lo), ("high", hi)) if v == v)
        deaths.append(f"{b:g} deaths (best estimate{'; ' + rng if rng else ''})")
    events = [
        f"{s} in {p}: {d}" if p else f"{s}: {d}"
        for s, p, d in zip(sides, places, deaths, strict=True)
    ]
    prec_note = [f"date_prec {p}: {GED_DATE_PREC[p]}" for p in prec.tolist()]
    headline = [f"source headline: {h}" if h else "" for h in rows.text("source_headline")]
    return _events(
        len(rows.frame),
        event_id="GED-" + ids,
        date=_span_text(start, end),
        event=events,
        category=category,
        scope=rows.text("country").str.strip().str.lower(),
        source_org=f"UCDP Georeferenced Event Dataset (GED) version {version}",
        url=[GED_EVENT_URL.format(i) for i in ids],
        note=_joined(prec_note, headline),
        fatalities=_numbers_text(best),
        fatalities_low=_numbers_text(low),
        fatalities_high=_numbers_text(high),
        precision_code=prec.astype(str),
        dataset="ucdp",
    )


def _acled_table(categories: Mapping[str, EventCategory] | None) -> dict[str, str]:
    """The sub_event_type -> category table (keys case-folded), with overrides applied."""
    table = {k.casefold(): v for k, v in ACLED_CATEGORIES.items()}
    if categories is None:
        return table
    if not isinstance(categories, Mapping):
        raise ArgumentError(f"categories must be a mapping, got {type(categories).__name__}")
    for key, value in categories.items():
        check_literal(value, EventCategory, f"categories[{key!r}]")
        table[str(key).strip().casefold()] = value
    return table


def import_acled(
    source: DatasetSource,
    *,
    actor: str | None = None,
    match: ActorMatch = "contains",
    categories: Mapping[str, EventCategory] | None = None,
    version: str | None = None,
) -> pd.DataFrame:
    """Turn ACLED (Armed Conflict Location & Event Data) rows into events.

    Parameters
    ----------
    source
        An ACLED export (CSV or ``.xlsx``) or a DataFrame with the ACLED columns (ACLED
        codebook 2023): used are ``event_id_cnty``, ``event_date``, ``time_precision``,
        ``event_type``, ``sub_event_type``, ``actor1``, ``country``, ``fatalities``
        and, when present, ``actor2``, ``location``, ``admin1``, ``notes`` and
        ``timestamp``. ``event_date`` may be ``YYYY-MM-DD`` (the API) or day-first
        (``15 January 2020``, ``15-January-2020``, ``15/01/2020``).
    actor
        Keep only the rows naming this actor in ``actor1``, ``actor2``,
        ``assoc_actor_1`` or ``assoc_actor_2`` (ignoring case; see ``match``).
    match
        ``"contains"`` (part of the cell) or ``"exact"`` (the whole cell, or one
        ``;``-separated name in it, as in ACLED's associated-actor lists).
    categories
        Categories for ``sub_event_type`` values, over the default table
        :data:`ACLED_CATEGORIES` (keys ignore case). A ``sub_event_type`` in neither
        raises: no row gets a category by guess.
    version
        What ACLED state the file is, e.g. ``"downloaded 2024-05-03"`` (ACLED is a
        living dataset without release numbers). Default: ``"data as of <date>"``,
        the latest ``timestamp`` (last update) of the file's rows.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`IMPORT_COLUMNS`, every cell text: ``event_id``
        (``ACLED-<event_id_cnty>``); ``date`` (``time_precision`` 1: the day;
        2: the 7 days around ``event_date``, which ACLED sets to the middle of the
        reported week; 3: the calendar month); ``event`` (sub-event and event type,
        actors, place, fatalities); ``category`` (from the table); ``scope`` (the
        country, lower-cased); ``source_org`` (``Armed Conflict Location & Event Data
        (ACLED), <version>``); ``url`` (ACLED's data export page: ACLED has no page
        per event); ``note`` (what ``time_precision`` means, and ACLED's ``notes``);
        ``fatalities`` (a point: ``fatalities_low`` and ``fatalities_high`` empty);
        ``precision_code`` (``time_precision``); ``dataset`` (``acled``).

    Raises
    ------
    DataValidationError
        A missing column, or a row that cannot be converted (file, 1-based row, column).
    ArgumentError
        A bad option or category, no version, or an ``actor`` that matches no row.

    Examples
    --------
    >>> acled = pd.DataFrame({
    ...     "event_id_cnty": ["XYZ1", "XYZ2"], "event_date": ["2016-03-09", "2016-03-15"],
    ...     "time_precision": ["2", "3"], "event_type": ["Battles", "Strategic developments"],
    ...     "sub_event_type": ["Armed clash", "Looting/property destruction"],
    ...     "actor1": ["Group B", "Group B"], "actor2": ["Military Forces of A", ""],
    ...     "country": ["Country A", "Country A"], "fatalities": ["4", "0"]})
    >>> events = import_acled(acled, version="downloaded 2024-05-03")
    >>> events[["event_id", "date", "category", "fatalities"]].values.tolist()
    [['ACLED-XYZ1', '2016-03-06/2016-03-12', 'military', '4'],
     ['ACLED-XYZ2', '2016-03', 'finance', '0']]
    """
    table = _acled_table(categories)
    raw, label = _read(source, "ACLED", ACLED_REQUIRED)
    version = _version(version, label, _acled_as_of(raw), "ACLED", "downloaded 2024-05-03")
    rows = _select(raw, label, actor, ACTOR_COLUMNS["acled"], match, "actor")
    ids = rows.ids("event_id_cnty")
    day = rows.days("event_date", _ACLED_DATES, _ACLED_HINT, required=True)
    prec = rows.codes("time_precision", ACLED_TIME_PRECISION)
    sub = rows.text("sub_event_type")
    category = sub.str.strip().str.casefold().map(table)
    rows.flag(sub == "", "sub_event_type", "value is required (it decides the category)")
    unmapped = category.isna() & (sub != "")
    rows.flag(
        unmapped,
        "sub_event_type",
        [
            f"'{v}' has no event category; give one with categories={{{v!r}: ...}}"
            for v in sub[unmapped]
        ],
    )
    rows.flag(rows.text("actor1") == "", "actor1", "value is required")
    fatalities = rows.counts("fatalities")
    rows.problems.raise_if_any()

    week = _day_text(day - pd.Timedelta(days=3)) + "/" + _day_text(day + pd.Timedelta(days=3))
    date = _day_text(day).where(prec == 1, week.where(prec == 2, day.dt.strftime("%Y-%m")))
    actors = [
        f"{a} and {b}" if _known(b) else a
        for a, b in zip(rows.text("actor1"), rows.text("actor2"), strict=True)
    ]
    places = _place(rows, ["location", "admin1", "country"])
    killed = [
        "fatalities not reported" if n != n else f"{n:g} reported fatalities"
        for n in fatalities.to_numpy(dtype=float)
    ]
    events = [
        f"{s} ({t}) involving {a}{' in ' + p if p else ''}: {k}"
        for s, t, a, p, k in zip(sub, rows.text("event_type"), actors, places, killed, strict=True)
    ]
    prec_note = [f"time_precision {p}: {ACLED_TIME_PRECISION[p]}" for p in prec.tolist()]
    notes = [f"ACLED notes: {n}" if n else "" for n in rows.text("notes")]
    return _events(
        len(rows.frame),
        event_id="ACLED-" + ids,
        date=date,
        event=events,
        category=category,
        scope=rows.text("country").str.strip().str.lower(),
        source_org=f"Armed Conflict Location & Event Data (ACLED), {version}",
        url=ACLED_URL,
        note=_joined(prec_note, notes),
        fatalities=_numbers_text(fatalities),
        fatalities_low="",
        fatalities_high="",
        precision_code=prec.astype(str),
        dataset="acled",
    )


def _acled_as_of(raw: pd.DataFrame) -> str | None:
    """``data as of <date>`` from the latest ``timestamp`` (Unix seconds), if readable."""
    if "timestamp" not in raw.columns:
        return None
    seconds = pd.to_numeric(raw["timestamp"], errors="coerce").max()
    if pd.isna(seconds) or not 8.5e8 < seconds < 4.1e9:  # 1997 to 2099
        return None
    return f"data as of {pd.Timestamp(int(seconds), unit='s'):%Y-%m-%d} (latest row timestamp)"


def import_gtd(
    source: DatasetSource,
    *,
    group: str | None = None,
    match: ActorMatch = "contains",
    category: EventCategory = "military",
    version: str | None = None,
) -> pd.DataFrame:
    """Turn Global Terrorism Database (GTD) rows into events.

    Parameters
    ----------
    source
        The GTD as distributed (``globalterrorismdb_0522dist.xlsx``), a CSV of it, or
        a DataFrame with the GTD columns (GTD codebook): used are ``eventid``,
        ``iyear``, ``imonth``, ``iday``, ``extended``, ``country_txt``, ``gname``,
        ``nkill`` and, when present, ``approxdate``, ``resolution``, ``provstate``,
        ``city``, ``attacktype1_txt``, ``targtype1_txt``, ``guncertain1`` and
        ``summary``. ``resolution`` is a date (``YYYY-MM-DD``; Excel date cells read
        so).
    group
        Keep only the rows naming this perpetrator group in ``gname``, ``gname2`` or
        ``gname3`` (ignoring case; see ``match``).
    match
        ``"contains"`` (part of the cell) or ``"exact"`` (the whole cell).
    category
        The event category of every row.
    version
        The GTD release, e.g. ``"0522"``; read from a file name such as
        ``globalterrorismdb_0522dist.xlsx`` when not given.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`IMPORT_COLUMNS`, every cell text: ``event_id``
        (``GTD-<eventid>``); ``date`` (the day; the month when ``iday`` is 0; the year
        when ``imonth`` is 0; for an ``extended`` incident with a ``resolution`` date,
        the interval from that start to the resolution); ``event`` (attack and target
        type, group, place, deaths); ``category``; ``scope`` (``country_txt``,
        lower-cased); ``source_org`` (``Global Terrorism Database (GTD), release
        <version>``); ``url`` (the incident's page at start.umd.edu); ``note``
        (``approxdate``, whether the incident was extended and how it ended, and the
        GTD's ``summary``); ``fatalities`` (``nkill``; empty when unknown);
        ``fatalities_low``, ``fatalities_high`` and ``precision_code`` empty;
        ``dataset`` (``gtd``).

    Raises
    ------
    DataValidationError
        A missing column, or a row that cannot be converted (file, 1-based row, column).
    ArgumentError
        A bad option, an unknown release, or a ``group`` that matches no row.

    Examples
    --------
    >>> gtd = pd.DataFrame({
    ...     "eventid": ["201506010001", "201506000002", "201500000003"],
    ...     "iyear": ["2015", "2015", "2015"], "imonth": ["6", "6", "0"],
    ...     "iday": ["1", "0", "0"], "extended": ["1", "0", "0"],
    ...     "resolution": ["2015-06-20", "", ""], "country_txt": ["Country A"] * 3,
    ...     "gname": ["Group B", "Unknown", "Group B"], "nkill": ["2", "", "0"]})
    >>> import_gtd(gtd, version="0522")[["event_id", "date", "fatalities"]].values.tolist()
    [['GTD-201506010001', '2015-06-01/2015-06-20', '2'],
     ['GTD-201506000002', '2015-06', ''],
     ['GTD-201500000003', '2015', '0']]
    """
    check_literal(category, EventCategory, "category")
    raw, label = _read(source, "GTD", GTD_REQUIRED)
    m = _file_match(label, r"globalterrorismdb_.*?(\d{4})dist")
    version = _version(version, label, m and m[1], "GTD", "0522")
    rows = _select(raw, label, group, ACTOR_COLUMNS["gtd"], match, "group")
    ids = rows.ids("eventid")
    year = rows.whole("iyear", YEAR_MIN, YEAR_MAX)
    month = rows.whole("imonth", 0, 12)
    day = rows.whole("iday", 0, 31)
    rows.flag(
        (month == 0) & (day > 0), "iday", "a day is given but the month is unknown (imonth 0)"
    )
    first_text = year.astype(str) + "-" + _pad(month) + "-" + _pad(day)
    first = pd.to_datetime(first_text.where(year.notna()), format="%Y-%m-%d", errors="coerce")
    impossible = first.isna() & year.notna() & month.notna() & day.notna()
    rows.flag(impossible, "iday", [f"{t} is not a calendar date" for t in first_text[impossible]])
    extended = rows.codes("extended", GTD_EXTENDED)
    end = rows.days("resolution", _ISO, "YYYY-MM-DD", required=False)
    stray = end.notna() & (extended == 0)
    rows.flag(stray, "resolution", "a resolution date is given but extended is 0")
    early = end < first
    rows.flag(
        early,
        "resolution",
        [
            f"resolution {e:%Y-%m-%d} is before the incident began ({s:%Y-%m-%d})"
            for e, s in zip(end[early], first[early], strict=True)
        ],
    )
    killed = rows.counts("nkill")
    rows.problems.raise_if_any()

    start = _day_text(first).where(
        day > 0, first.dt.strftime("%Y-%m").where(month > 0, year.astype(str))
    )
    ran = (extended == 1) & end.notna()
    date = start.where(~ran | (start == _day_text(end)), start + "/" + _day_text(end))
    attack = [_known(a) or "Attack of unknown type" for a in rows.text("attacktype1_txt")]
    target = [
        f" on a target of type {_known(t)}" if _known(t) else ""
        for t in rows.text("targtype1_txt")
    ]
    names = [rows.text(c) for c in ACTOR_COLUMNS["gtd"]]
    doubt = [rows.text(f"guncertain{i}").str.strip().isin(["1", "1.0"]) for i in (1, 2, 3)]
    by = []
    for row in zip(*names, *doubt, strict=True):
        pairs = zip(row[:3], row[3:], strict=True)
        named = [_known(g) + (" (suspected)" if u else "") for g, u in pairs if _known(g)]
        by.append(
            f"attributed to {' and '.join(named)}" if named else "by an unidentified perpetrator"
        )
    places = _place(rows, ["city", "provstate", "country_txt"])
    deaths = ["deaths not recorded" if n != n else f"{n:g} killed" for n in killed.to_numpy()]
    events = [
        f"{a}{t}, {b}{', in ' + p if p else ''}: {d}"
        for a, t, b, p, d in zip(attack, target, by, places, deaths, strict=True)
    ]
    approx = [f"approximate date given as '{a}'" if a else "" for a in rows.text("approxdate")]
    ended = [f"resolved {r}" if r else "resolution date not recorded" for r in _day_text(end)]
    lasted = [
        f"extended incident (more than 24 hours), {e}" if x == 1 else ""
        for x, e in zip(extended.tolist(), ended, strict=True)
    ]
    summary = [f"GTD summary: {s}" if s else "" for s in rows.text("summary")]
    return _events(
        len(rows.frame),
        event_id="GTD-" + ids,
        date=date,
        event=events,
        category=category,
        scope=rows.text("country_txt").str.strip().str.lower(),
        source_org=f"Global Terrorism Database (GTD), release {version}",
        url=[GTD_EVENT_URL.format(i) for i in ids],
        note=_joined(approx, lasted, summary),
        fatalities=_numbers_text(killed),
        fatalities_low="",
        fatalities_high="",
        precision_code="",
        dataset="gtd",
    )
