"""Loaders for defection reports and dated events.

Each loader takes ``None`` (the bundled data in ``data/raw/``), a path to a
CSV, Parquet or Excel file, or a :class:`pandas.DataFrame` in the raw format
documented in ``data/raw/README.md``, checks every cell, and returns a tidy
frame with a fixed, validated schema. Any problem raises
:class:`~cftf_analysis.errors.DataValidationError` naming the file, the 1-based
data row and the column; nothing is dropped or changed silently.
Indicators have their own module, :mod:`cftf_analysis.indicators`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cftf_analysis import config
from cftf_analysis._io import (
    Problems,
    Source,
    check_enum,
    check_frame,
    parse_numbers,
    read_raw,
)
from cftf_analysis.dates import find_date_problems, parse_date_intervals
from cftf_analysis.errors import DateParseError
from cftf_analysis.schemas import EVENT_EXTRA_COLUMNS, REPORTS_SCHEMA, events_schema, validate
from cftf_analysis.vocab import EVENT_CATEGORIES, GENDERS, MOTIVES, OUTCOMES

__all__ = [
    "GROUP_SIZE_MAX",
    "event_problems",
    "load_events",
    "load_reports",
    "report_problems",
]

#: Largest ``group_size`` accepted: two orders of magnitude above the largest mass surrender
#: in public reporting (about a thousand people), so that a typo such as ``1e20`` is caught.
GROUP_SIZE_MAX = 100_000

MOTIVE_COLUMNS = tuple(f"motive_{m}" for m in MOTIVES)
REPORT_REQUIRED = (
    "report_id",
    "published",
    "outlet",
    "url",
    "defector_alias",
    "group_size",
    "gender",
    "origin",
    "role",
    "defection_date",
    *MOTIVE_COLUMNS,
    "outcome",
    "collection",
)
REPORT_OPTIONAL = ("via", "summary", "date_note")
EVENT_REQUIRED = ("event_id", "date", "event", "category", "scope", "source_org", "url")
EVENT_OPTIONAL = ("note",)
#: Optional event columns kept when present (files written by the importers have them).
EVENT_EXTRA = tuple(EVENT_EXTRA_COLUMNS)
EVENT_FATALITIES = ("fatalities_low", "fatalities", "fatalities_high")

#: Outcome codes merged so that the two coding passes compare (``captured`` and
#: ``surrendered`` were used for the same situation by different passes).
OUTCOME_GROUPS = {
    "fled": "fled",
    "captured": "captured_or_surrendered",
    "surrendered": "captured_or_surrendered",
    "executed": "executed",
    "unknown": "unknown",
}


def today() -> pd.Timestamp:
    """Today's date (local time, at midnight): no source can be published after it."""
    return pd.Timestamp.today().normalize()


def read_source(
    source: Source, default: object, *, sheet: str | None, encoding: str | None
) -> tuple[pd.DataFrame, Problems]:
    """Read ``source`` (``None``: the bundled file ``default``) as text cells and its problems."""
    return read_raw(default if source is None else source, sheet=sheet, encoding=encoding)


def date_columns(
    frame: pd.DataFrame,
    column: str,
    prefix: str,
    problems: Problems,
    *,
    allow_empty: bool,
    not_future: bool = False,
) -> pd.DataFrame:
    """Parse one date-grammar column into ``<prefix>_start/_end/_precision``.

    Problems are recorded (every bad row); the returned frame holds NaT for
    them so that the caller can finish checking the rest before raising.
    With ``not_future``, a date whose first possible day is after today is a
    problem (a typo such as 2099 for 2009).
    """
    try:  # fast path: one vectorised pass when the column is clean
        parsed = parse_date_intervals(frame[column], column=column, allow_empty=allow_empty)
    except DateParseError:
        bad = find_date_problems(frame[column], allow_empty=allow_empty)
        for row, value, problem in bad[["row", "value", "problem"]].itertuples(index=False):
            problems.add(
                f"{problem} (text '{value}')", row=int(row), column=column, kind=DateParseError
            )
        text = frame[column].copy()
        text.iloc[bad["row"].to_numpy() - 1] = ""
        parsed = parse_date_intervals(text, column=column, allow_empty=True)
    if not_future:
        now = today()
        future = parsed["start"] > now
        if future.any():
            problems.add_rows(
                future,
                column,
                [
                    f"'{v}' is in the future (after today, {now:%Y-%m-%d}); check for a typo"
                    for v in frame[column][future]
                ],
            )
    return parsed.rename(columns=lambda c: f"{prefix}_{c}")


_NAME_SPLIT = re.compile(r"\s*(?:\(|,|;|\band\b|\bincl\.|\balso\b)")
_UNNAMED = re.compile(
    r"\b(?:unnamed|anonymous|unidentified|unknown|withheld)\b"
    r"|^\W*(?:\d+|about|at least|more than|up to|several|dozen|dozens|group|small"
    r"|two|three|four|five|six|seven|eight|nine|ten)\b",
    re.IGNORECASE,
)
_TRANSLIT = [
    (re.compile(r"\b(mohamad|mohamed|mohammed|mohammad|muhammed)\b"), "muhammad"),
    (re.compile(r"\babou\b"), "abu"),
    (re.compile(r"\bum\b"), "umm"),
]


def defector_key(alias: pd.Series, report_id: pd.Series) -> pd.Series:
    """Normalise defector aliases so that analyses can count people as well as reports.

    A named individual's key is the first name part of the alias, lower-cased,
    without quotes, parenthetical notes or trailing descriptions, with common
    transliterations folded (Mohamad/Mohamed/Mohammed -> muhammad, Abou -> abu).
    Unnamed people and groups cannot be matched across reports, so their key
    is ``report:<report_id>`` and each counts once.

    Examples
    --------
    >>> aliases = pd.Series(["Mohamad Jamal Khweis", "Mohamed Jamal Khweis (also ...)",
    ...                      "Jack Letts ('Jihadi Jack')", "unnamed defector"])
    >>> defector_key(aliases, pd.Series(["R1", "R2", "R3", "R4"])).tolist()
    ['muhammad jamal khweis', 'muhammad jamal khweis', 'jack letts', 'report:R4']
    """
    text = alias.astype("string").fillna("")
    uniq = pd.Series(text.unique(), dtype="string")
    name = uniq.str.split(_NAME_SPLIT.pattern, n=1, regex=True).str[0].str.lower()
    name = name.str.replace(r"['\"‘’“”]", "", regex=True)
    for pattern, repl in _TRANSLIT:
        name = name.str.replace(pattern.pattern, repl, regex=True)
    name = name.str.split().str.join(" ")
    unnamed = uniq.str.contains(_UNNAMED.pattern, regex=True, case=False)
    unnamed |= uniq.str.strip() == ""
    named = name.where(~unnamed & (name != ""))
    lookup = {u: n for u, n in zip(uniq, named, strict=True) if not pd.isna(n)}
    keys = text.map(lookup).astype("object")
    fallback = ("report:" + report_id.astype("string")).astype("object")
    # object dtype: every alias may be unnamed (no key at all), which string dtype refuses
    return keys.where(keys.notna(), fallback).astype("string")


def _check_reports(raw: pd.DataFrame, problems: Problems) -> dict[str, object]:
    parsed: dict[str, object] = {}
    nonempty = ("report_id", "published", "outlet", "url", "defector_alias")
    check_frame(
        raw,
        problems,
        required=REPORT_REQUIRED,
        optional=REPORT_OPTIONAL,
        nonempty=nonempty,
        id_column="report_id",
    )
    published = date_columns(
        raw, "published", "published", problems, allow_empty=False, not_future=True
    )
    defection = date_columns(
        raw, "defection_date", "defection", problems, allow_empty=True, not_future=True
    )
    late = defection["defection_start"] > published["published_end"]
    if late.any():
        problems.add_rows(
            late,
            "defection_date",
            [
                f"the defection ('{d}') is dated after the report was published ('{p}')"
                for d, p in zip(raw["defection_date"][late], raw["published"][late], strict=True)
            ],
        )
    parsed["published"], parsed["defection"] = published, defection
    size = parse_numbers(
        raw, "group_size", problems, allow_empty=True, nonnegative=True, maximum=GROUP_SIZE_MAX
    )
    fractional = size.notna() & (size != np.floor(size))
    if fractional.any():
        problems.add_rows(fractional, "group_size", "group size must be a whole number")
    if (size == 0).any():
        problems.add_rows(size == 0, "group_size", "group size must be at least 1")
    parsed["group_size"] = size
    for col in MOTIVE_COLUMNS:
        check_enum(raw, col, ("0", "1"), problems)
    check_enum(raw, "gender", GENDERS, problems)
    check_enum(raw, "outcome", OUTCOMES, problems)
    return parsed


def report_problems(
    source: Source = None, *, sheet: str | None = None, encoding: str | None = None
) -> pd.DataFrame:
    """List every problem in a reports table (empty frame when it is valid).

    Columns: ``file, row, column, problem`` (``row`` is the 1-based data row).
    ``sheet`` and ``encoding`` are as in :func:`load_reports`.

    Examples
    --------
    >>> report_problems().empty
    True
    """
    raw, problems = read_source(source, config.REPORTS_FILE, sheet=sheet, encoding=encoding)
    _check_reports(raw, problems)
    return problems.to_frame()


def load_reports(
    source: Source = None, *, sheet: str | None = None, encoding: str | None = None
) -> pd.DataFrame:
    """Load defection reports into a tidy frame, one row per report.

    Parameters
    ----------
    source
        ``None`` for the bundled ``data/raw/defection_reports.csv``; a path to
        a CSV, Parquet or Excel (``.xlsx``) file; or a DataFrame, in the raw
        format described in ``data/raw/README.md``.
    sheet
        Excel only: the sheet to read. Without it the workbook must have one
        sheet with data (rows are never joined across sheets).
    encoding
        CSV only: the text encoding (``"utf-16"``, ``"cp1252"``...). Without
        it the file must be UTF-8; another encoding is detected and named in
        the error.

    Returns
    -------
    pandas.DataFrame
        Columns, in this order (schema :data:`cftf_analysis.schemas.REPORTS_SCHEMA`):

        - ``report_id`` (string): the raw id, unique.
        - ``published_start``, ``published_end`` (datetime64): first and last
          day (inclusive) the publication date can be; ``published_precision``
          (category): day, month, quarter, half, third, year or range.
        - ``defection_start``, ``defection_end``, ``defection_precision``: the
          same for the date of leaving, missing (NaT) when unknown.
        - ``outlet``, ``via``, ``url``: the source, as in the raw file.
        - ``defector_alias`` and ``defector_key`` (see :func:`defector_key`):
          several reports of one person share a key.
        - ``group_size`` (Int64, missing for an unnumbered group), ``gender``
          and ``outcome`` (categories), ``origin``, ``role``.
        - ``motive_financial`` ... ``motive_joined_for_money`` (bool): True when
          the text read cites the motive (False means "not seen", a lower bound).
        - ``outcome_grouped`` (category): ``captured`` and ``surrendered``
          merged, because the coding passes used them for the same situation.
        - ``summary``, ``date_note``; ``collection`` (category): how the row was
          found, any code the collection uses (a case file may say which codes
          come from a uniform protocol); empty means not recorded.
        - ``published_text``, ``defection_date_text``: the raw date strings.

    Raises
    ------
    DataValidationError
        On the first problem found (file, row, column), with the number of
        further problems; see :func:`report_problems` for the full list.

    Examples
    --------
    >>> reports = load_reports()
    >>> reports.loc[0, ["report_id", "published_start", "published_precision"]].tolist()
    ['R001', Timestamp('2014-07-01 00:00:00'), 'month']
    >>> bool(reports["report_id"].is_unique)
    True
    """
    raw, problems = read_source(source, config.REPORTS_FILE, sheet=sheet, encoding=encoding)
    parsed = _check_reports(raw, problems)
    problems.raise_if_any()
    out = pd.DataFrame({"report_id": raw["report_id"].astype("string")})
    out = out.join(parsed["published"]).join(parsed["defection"])
    for col in ("outlet", "via", "url", "defector_alias"):
        out[col] = raw[col].astype("string")
    out["defector_key"] = defector_key(raw["defector_alias"], raw["report_id"])
    out["group_size"] = pd.Series(parsed["group_size"]).round().astype("Int64")
    out["gender"] = pd.Categorical(raw["gender"], categories=list(GENDERS))
    out["origin"] = raw["origin"].astype("string")
    out["role"] = raw["role"].astype("string")
    for col in MOTIVE_COLUMNS:
        out[col] = raw[col] == "1"
    out["outcome"] = pd.Categorical(raw["outcome"], categories=list(OUTCOMES))
    out["outcome_grouped"] = pd.Categorical(
        raw["outcome"].map(OUTCOME_GROUPS), categories=list(dict.fromkeys(OUTCOME_GROUPS.values()))
    )
    for col in ("summary", "date_note"):
        out[col] = raw[col].astype("string")
    codes = raw["collection"].where(raw["collection"] != "")
    out["collection"] = pd.Categorical(codes, categories=sorted(codes.dropna().unique()))
    out["published_text"] = raw["published"].astype("string")
    out["defection_date_text"] = raw["defection_date"].astype("string")
    return validate(REPORTS_SCHEMA, out)


def _check_events(raw: pd.DataFrame, problems: Problems) -> dict[str, object]:
    parsed: dict[str, object] = {}
    nonempty = ("event_id", "date", "event", "source_org", "url")
    check_frame(
        raw,
        problems,
        required=EVENT_REQUIRED,
        optional=EVENT_OPTIONAL,
        nonempty=nonempty,
        id_column="event_id",
    )
    parsed["date"] = date_columns(
        raw, "date", "date", problems, allow_empty=False, not_future=True
    )
    check_enum(raw, "category", EVENT_CATEGORIES, problems)
    parsed["extra"] = _event_extras(raw, problems)
    return parsed


def _event_extras(raw: pd.DataFrame, problems: Problems) -> dict[str, pd.Series]:
    """Parse the optional columns present (fatalities, precision_code, dataset)."""
    out: dict[str, pd.Series] = {}
    for col in (c for c in EVENT_FATALITIES if c in raw.columns):
        values = parse_numbers(raw, col, problems, allow_empty=True, nonnegative=True)
        infinite = values.abs() == np.inf
        if infinite.any():
            problems.add_rows(infinite, col, "value must be a finite number")
        out[col] = values.where(~infinite)
    low, best, high = EVENT_FATALITIES
    for below, above in ((low, best), (best, high), (low, high)):
        if below not in out or above not in out:
            continue
        wrong = out[below] > out[above]
        if (below, above) == (low, high) and best in out:
            wrong &= out[best].isna()  # otherwise reported against fatalities already
        pairs = zip(out[below][wrong], out[above][wrong], strict=True)
        problems.add_rows(
            wrong, below, [f"{below} {a:g} is above {above} {b:g}" for a, b in pairs]
        )
    if "precision_code" in raw.columns:
        code = parse_numbers(raw, "precision_code", problems, allow_empty=True, nonnegative=True)
        fractional = code.notna() & ((code != np.floor(code)) | (code == np.inf))
        if fractional.any():
            problems.add_rows(fractional, "precision_code", "code must be a whole number")
        out["precision_code"] = code.where(~fractional)
    if "dataset" in raw.columns:
        out["dataset"] = raw["dataset"].astype("string")
    return out


def event_problems(
    source: Source = None, *, sheet: str | None = None, encoding: str | None = None
) -> pd.DataFrame:
    """List every problem in an events table; columns ``file, row, column, problem``."""
    raw, problems = read_source(source, config.EVENTS_FILE, sheet=sheet, encoding=encoding)
    _check_events(raw, problems)
    return problems.to_frame()


def load_events(
    source: Source = None, *, sheet: str | None = None, encoding: str | None = None
) -> pd.DataFrame:
    """Load dated events (interventions and milestones) into a tidy frame.

    Parameters
    ----------
    source
        ``None`` for the bundled ``data/raw/events.csv``, a path, or a DataFrame.
    sheet, encoding
        As in :func:`load_reports`.

    Returns
    -------
    pandas.DataFrame
        ``event_id``, ``date_start``, ``date_end``, ``date_precision``,
        ``event`` (description), ``category`` (military, finance, governance,
        defection), ``scope``, ``source_org``, ``url``, ``note``, ``date_text``
        (schema :data:`~cftf_analysis.schemas.EVENTS_SCHEMA`); then, only when the
        source has them (files written by :mod:`cftf_analysis.importers` do), in this
        order:

        - ``fatalities``, ``fatalities_low``, ``fatalities_high`` (float64, NaN when
          empty): a count and its range, finite and non-negative, with
          ``fatalities_low <= fatalities <= fatalities_high``;
        - ``precision_code`` (Int64): the source dataset's own date-precision code;
        - ``dataset`` (string): which dataset the row was imported from.

    Examples
    --------
    >>> events = load_events()
    >>> sorted(events["category"].cat.categories)
    ['defection', 'finance', 'governance', 'military']
    >>> "fatalities" in events.columns  # the bundled events carry no counts
    False
    """
    raw, problems = read_source(source, config.EVENTS_FILE, sheet=sheet, encoding=encoding)
    parsed = _check_events(raw, problems)
    problems.raise_if_any()
    out = pd.DataFrame({"event_id": raw["event_id"].astype("string")})
    out = out.join(parsed["date"])
    out["event"] = raw["event"].astype("string")
    out["category"] = pd.Categorical(raw["category"], categories=list(EVENT_CATEGORIES))
    for col in ("scope", "source_org", "url", "note"):
        out[col] = raw[col].astype("string")
    out["date_text"] = raw["date"].astype("string")
    extra = [c for c in EVENT_EXTRA if c in parsed["extra"]]
    for col in extra:
        out[col] = parsed["extra"][col]
    if "precision_code" in extra:
        out["precision_code"] = out["precision_code"].astype("Int64")
    return validate(events_schema(extra), out)
