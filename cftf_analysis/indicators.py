"""Loader for sparse financial and territorial indicators.

Turns ``indicators.csv`` (or a user's file in the same format) into a long,
tidy frame with one canonical unit per indicator and measure, ranges kept as
``low``/``high``, and percent or km2 changes turned into levels only when the
same producer's baseline level is in the data (see :func:`load_indicators`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cftf_analysis import config
from cftf_analysis._io import (
    Problems,
    Source,
    check_enum,
    check_frame,
    parse_numbers,
)
from cftf_analysis.loaders import date_columns, read_source
from cftf_analysis.schemas import INDICATORS_SCHEMA, validate
from cftf_analysis.units import UNIT_RULES
from cftf_analysis.vocab import CHANGE_UNITS, INDICATORS, QUALIFIERS

__all__ = ["indicator_problems", "load_indicators", "producer_name"]

REQUIRED = (
    "indicator_id",
    "indicator",
    "scope",
    "value",
    "low",
    "high",
    "unit",
    "qualifier",
    "period",
    "baseline_period",
    "published",
    "source_org",
    "url",
)
OPTIONAL = ("via", "unit_as_reported", "note")


def producer_name(source_org: pd.Series, aliases: Mapping[str, str] | None = None) -> pd.Series:
    """Normalise ``source_org`` to a producer name used to keep estimates apart.

    Parenthetical detail (a speaker, a venue) is dropped, and renamings of one
    producer (``aliases``: name as written -> one name, from the case file's
    ``[producers]`` table) are merged, so that figures of one producer can be
    compared over time.

    Examples
    --------
    >>> producer_name(pd.Series(["Acme Monitor (a speaker)", "Acme Group Monitor"]),
    ...               {"Acme Group Monitor": "Acme Monitor"}).tolist()
    ['Acme Monitor', 'Acme Monitor']
    """
    base = source_org.astype(str).map(lambda s: re.sub(r"\s*\(.*$", "", s).strip())
    return base.replace(dict(aliases or {})).astype("string")


def _bundled_case_settings(source: Source) -> tuple[dict[str, str], dict[str, Any]]:
    """Producer renamings and user indicators of the bundled case (for ``source=None``)."""
    if source is not None:
        return {}, {}
    from cftf_analysis.case import read_case_file

    case = read_case_file(config.BUNDLED_CASE_FILE)
    return dict(case.producer_aliases), dict(case.indicator_types)


def _check_user_units(raw: pd.DataFrame, extra: Mapping[str, Any], problems: Problems) -> None:
    """Rows of a user indicator must convert to the canonical unit of its declared unit."""
    if "indicator" not in raw.columns or "unit" not in raw.columns:
        return
    for name, declared in extra.items():
        unit = getattr(declared, "unit", declared)
        rule = UNIT_RULES.get(unit)
        if rule is None:
            problems.add(
                f"user indicator '{name}' declares unit '{unit}', which is not a unit "
                f"of the raw format ({', '.join(UNIT_RULES)})",
                column="unit",
            )
            continue
        rows = raw["indicator"] == name
        canonical = raw["unit"].map(lambda u: UNIT_RULES[u].unit if u in UNIT_RULES else None)
        bad = rows & raw["unit"].isin(UNIT_RULES) & ~raw["unit"].isin(CHANGE_UNITS)
        bad &= canonical != rule.unit
        if bad.any():
            problems.add_rows(
                bad,
                "unit",
                f"indicator '{name}' is declared in {rule.unit} (case file); this unit does "
                "not convert to it",
            )


def _check(
    raw: pd.DataFrame, problems: Problems, extra: Mapping[str, Any] | None = None
) -> dict[str, object]:
    parsed: dict[str, object] = {}
    nonempty = ("indicator_id", "scope", "period", "published", "source_org", "url")
    check_frame(
        raw,
        problems,
        required=REQUIRED,
        optional=OPTIONAL,
        nonempty=nonempty,
        id_column="indicator_id",
    )
    extra = dict(extra or {})
    check_enum(raw, "indicator", (*INDICATORS, *extra), problems)
    _check_user_units(raw, extra, problems)
    check_enum(raw, "unit", tuple(UNIT_RULES), problems)
    check_enum(raw, "qualifier", QUALIFIERS, problems, allow_empty=True)
    # without a unit column, no check that depends on the unit can be made
    units_given = "unit" not in problems.absent
    is_change = raw["unit"].isin(CHANGE_UNITS) | (not units_given)
    is_percent_change = raw["unit"] == "percent change"
    factor = raw["unit"].map(lambda u: UNIT_RULES[u].factor if u in UNIT_RULES else 1.0)
    nums = {}
    for col in ("value", "low", "high"):
        nums[col] = parse_numbers(raw, col, problems)
        negative = (nums[col] < 0) & ~is_change
        if negative.any():
            problems.add_rows(
                negative, col, f"negative {col} for a level (only change units may be negative)"
            )
        gone = is_percent_change & (nums[col] <= -100)
        if gone.any():
            problems.add_rows(
                gone,
                col,
                [
                    f"a percent change of {v:g} would leave nothing or less than nothing; "
                    "a decline is above -100"
                    for v in nums[col][gone]
                ],
            )
        with np.errstate(over="ignore"):
            overflow = nums[col].notna() & ~np.isfinite(nums[col] * factor)
        if overflow.any():
            problems.add_rows(
                overflow,
                col,
                [
                    f"{v:g} {u} is too large to convert into the canonical unit"
                    for v, u in zip(nums[col][overflow], raw["unit"][overflow], strict=True)
                ],
            )
            nums[col] = nums[col].where(~overflow)
    value, low, high = nums["value"], nums["low"], nums["high"]
    # presence is judged on the text: a cell that is not a number has its own problem
    absent = {col: raw[col] == "" for col in ("value", "low", "high")}
    no_number = absent["value"] & (absent["low"] | absent["high"])
    if no_number.any():
        problems.add_rows(no_number, "value", "give a value, or both low and high")
    one_bound = absent["low"] != absent["high"]
    if one_bound.any():
        problems.add_rows(one_bound, "low", "low and high must be given together")
    if (low > high).any():
        problems.add_rows(low > high, "low", "low is greater than high")
    outside = value.notna() & low.notna() & high.notna() & ((value < low) | (value > high))
    if outside.any():
        problems.add_rows(outside, "value", "value lies outside [low, high]")
    share = raw["unit"].str.startswith("percent of")
    over = share & ((value > 100) | (high > 100))
    if over.any():
        problems.add_rows(over, "value", "a percent share cannot exceed 100")
    needs_base = is_change & units_given & (raw["baseline_period"] == "")
    if needs_base.any():
        problems.add_rows(needs_base, "baseline_period", "a change needs a baseline_period")
    stray_base = ~is_change & raw["unit"].isin(UNIT_RULES) & (raw["baseline_period"] != "")
    if stray_base.any():
        problems.add_rows(
            stray_base, "baseline_period", "baseline_period is only for change units"
        )
    parsed["numbers"] = nums
    parsed["period"] = date_columns(raw, "period", "period", problems, allow_empty=False)
    parsed["baseline"] = date_columns(
        raw, "baseline_period", "baseline", problems, allow_empty=True
    )
    parsed["published"] = date_columns(
        raw, "published", "published", problems, allow_empty=False, not_future=True
    )
    return parsed


def indicator_problems(
    source: Source = None,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    extra_indicators: Mapping[str, Any] | None = None,
    producer_aliases: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """List every problem in an indicators table; columns ``file, row, column, problem``.

    ``sheet`` and ``encoding`` are as in :func:`~cftf_analysis.loaders.load_reports`;
    ``extra_indicators`` are user indicators (name -> declared type) allowed
    beside the built-in vocabulary. A change that would give a negative derived
    level is listed too (levels are derived within a producer, after
    ``producer_aliases`` as in :func:`load_indicators`).

    Examples
    --------
    >>> indicator_problems().empty
    True
    """
    bundled_aliases, bundled = _bundled_case_settings(source)
    aliases = {**bundled_aliases, **dict(producer_aliases or {})}
    raw, problems = read_source(source, config.INDICATORS_FILE, sheet=sheet, encoding=encoding)
    parsed = _check(raw, problems, {**bundled, **dict(extra_indicators or {})})
    if not problems.items:
        _derived_level_problems(_tidy(raw, parsed, aliases), problems)
    return problems.to_frame()


def load_indicators(
    source: Source = None,
    *,
    derive_levels: bool = True,
    sheet: str | None = None,
    encoding: str | None = None,
    producer_aliases: Mapping[str, str] | None = None,
    extra_indicators: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Load indicators into a long, tidy frame with canonical units.

    Parameters
    ----------
    source
        ``None`` for the bundled ``data/raw/indicators.csv``, a path (CSV,
        Parquet, Excel) or a DataFrame in the raw format (``data/raw/README.md``).
    derive_levels
        Add a level row for each percent or km2 change whose baseline level is
        in the data (see Notes). The change rows themselves are always kept.
    sheet, encoding
        As in :func:`~cftf_analysis.loaders.load_reports`.
    producer_aliases
        Renamings of one producer (name as written -> one name), merged in
        ``producer``; the case file's ``[producers]`` table. For the bundled
        data (``source=None``) the bundled case's table is used.
    extra_indicators
        User indicators allowed beside the built-in vocabulary (name -> an
        :class:`~cftf_analysis.case.IndicatorType`; the case file's
        ``[indicators.*]`` tables): each row of one must convert to the
        canonical unit of its declared unit.

    Returns
    -------
    pandas.DataFrame
        One row per reported figure (plus derived rows), columns in order:
        ``indicator_id``, ``indicator``, ``scope``, ``measure`` (level,
        cumulative, share, percent_change, absolute_change), ``value``,
        ``low``, ``high`` (canonical unit; ``value`` is missing when the source
        gave only a range, ``low``/``high`` when it gave a single figure),
        ``unit`` (canonical), ``qualifier``, ``period_start``, ``period_end``,
        ``period_precision``, ``baseline_start``, ``baseline_end`` (changes only),
        ``published`` (first possible day), ``source_org``, ``producer``
        (see :func:`producer_name`), ``via``, ``url``, ``derived`` (bool),
        ``derived_from`` (ids of the change and baseline rows, else empty),
        ``converted`` (bool: the number was rescaled into the canonical
        unit), ``unit_as_given``, ``value_as_given``, ``period_text``,
        ``unit_as_reported``, ``note``.

    Notes
    -----
    Money flows become USD per month (per day x 30.4375, per week x 4.348,
    per year / 12; ``million`` and ``billion`` multiply), money stocks USD,
    population people; see :mod:`cftf_analysis.units`.

    A change row (``percent change`` or ``km2 change``) becomes a level only
    when a level of the same indicator, scope and producer has a period that
    overlaps the change's ``baseline_period``; among several, the one whose
    period overlaps most (largest share of the union of the two intervals)
    and then the latest published is used. Producers define territory and
    revenue differently, so a change is never applied to another producer's
    level, and derived levels are never used as baselines (no chaining).
    The derived row has ``derived=True``, ``derived_from="<change id>+<baseline id>"``,
    the change row's period, source and qualifier, and id ``<change id>~level``.

    Examples
    --------
    >>> ind = load_indicators()
    >>> row = ind.set_index("indicator_id").loc["I084~level"]
    >>> round(float(row["value"])), row["derived_from"]
    (70824, 'I084+I079')
    >>> int(ind.groupby(["indicator", "measure"])["unit"].nunique().max())
    1
    """
    bundled_aliases, bundled_types = _bundled_case_settings(source)
    aliases = {**bundled_aliases, **dict(producer_aliases or {})}
    raw, problems = read_source(source, config.INDICATORS_FILE, sheet=sheet, encoding=encoding)
    parsed = _check(raw, problems, {**bundled_types, **dict(extra_indicators or {})})
    problems.raise_if_any()
    out = _tidy(raw, parsed, aliases)
    if derive_levels:
        _derived_level_problems(out, problems)
        problems.raise_if_any()
        out = pd.concat([out, _derive_levels(out)], ignore_index=True)
    return validate(INDICATORS_SCHEMA, out)


def _tidy(
    raw: pd.DataFrame, parsed: dict[str, object], aliases: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The reported rows in the tidy schema (before levels are derived)."""
    rules = raw["unit"].map(UNIT_RULES)
    factor = rules.map(lambda r: r.factor).astype("float64")
    nums = parsed["numbers"]
    out = pd.DataFrame(
        {
            "indicator_id": raw["indicator_id"].astype("string"),
            "indicator": raw["indicator"].astype("string"),
            "scope": raw["scope"].astype("string"),
            "measure": rules.map(lambda r: r.measure).astype("string"),
            "value": nums["value"] * factor,
            "low": nums["low"] * factor,
            "high": nums["high"] * factor,
            "unit": rules.map(lambda r: r.unit).astype("string"),
            "qualifier": raw["qualifier"].astype("string"),
        }
    )
    out = out.join(parsed["period"])
    out = out.join(parsed["baseline"][["baseline_start", "baseline_end"]])
    out["published"] = parsed["published"]["published_start"]
    out["source_org"] = raw["source_org"].astype("string")
    out["producer"] = producer_name(raw["source_org"], aliases)
    out["via"] = raw["via"].astype("string")
    out["url"] = raw["url"].astype("string")
    out["derived"] = False
    out["derived_from"] = pd.Series("", index=out.index, dtype="string")
    out["converted"] = ((factor != 1.0) | (raw["unit"] != out["unit"])).to_numpy(dtype=bool)
    out["unit_as_given"] = raw["unit"].astype("string")
    out["value_as_given"] = raw["value"].astype("string")
    out["period_text"] = raw["period"].astype("string")
    out["unit_as_reported"] = raw["unit_as_reported"].astype("string")
    out["note"] = raw["note"].astype("string")
    return out


def _derived_level_problems(out: pd.DataFrame, problems: Problems) -> None:
    """Record each change whose derived level would be negative (a km2 loss above the level)."""
    derived = _derive_levels(out)
    negative = (derived[["value", "low", "high"]] < 0).any(axis=1)
    row_of = {ident: i + 1 for i, ident in enumerate(out["indicator_id"])}
    for change_base, value in zip(
        derived["derived_from"][negative], derived["value"][negative], strict=True
    ):
        change, base = str(change_base).split("+", 1)
        problems.add(
            f"this change applied to the level in {base} gives a negative level ({value:g}); "
            "check the sign, unit or baseline_period",
            row=row_of[change],
            column="value",
        )


def _overlap_share(start_a, end_a, start_b, end_b) -> np.ndarray:
    """Days shared by two inclusive intervals as a share of their union (Jaccard)."""
    day = np.timedelta64(1, "D")
    inter = (np.minimum(end_a, end_b) - np.maximum(start_a, start_b)) / day + 1
    union = (np.maximum(end_a, end_b) - np.minimum(start_a, start_b)) / day + 1
    return np.where(inter > 0, inter / union, 0.0)


def _derive_levels(frame: pd.DataFrame) -> pd.DataFrame:
    changes = frame[frame["measure"].isin(["percent_change", "absolute_change"])]
    levels = frame[(frame["measure"] == "level") & ~frame["derived"]]
    keys = ["indicator", "scope", "producer"]
    pairs = changes.reset_index().merge(
        levels.reset_index(), on=keys, suffixes=("", "_base"), how="inner"
    )
    if pairs.empty:
        return frame.iloc[0:0]
    pairs["overlap"] = _overlap_share(
        pairs["baseline_start"].to_numpy(),
        pairs["baseline_end"].to_numpy(),
        pairs["period_start_base"].to_numpy(),
        pairs["period_end_base"].to_numpy(),
    )
    pairs = pairs[pairs["overlap"] > 0]
    pairs = pairs.sort_values(
        ["index", "overlap", "published_base", "indicator_id_base"],
        ascending=[True, False, False, True],
    ).drop_duplicates("index")
    derived = frame.loc[pairs["index"]].copy()
    base = pairs[["value_base", "low_base", "high_base"]].to_numpy(dtype="float64")
    change = pairs[["value", "low", "high"]].to_numpy(dtype="float64")
    relative = (pairs["measure"] == "percent_change").to_numpy()[:, None]

    def apply(b: np.ndarray, c: np.ndarray) -> np.ndarray:
        return np.where(relative[:, 0], b * (1 + c / 100), b + c)

    b_pt, b_lo, b_hi = (base[:, i] for i in range(3))
    c_pt, c_lo, c_hi = (change[:, i] for i in range(3))
    value = apply(b_pt, c_pt)
    # Range bounds: extremes over whichever bounds are known on each side.
    b_lo_eff, b_hi_eff = np.where(np.isnan(b_lo), b_pt, b_lo), np.where(np.isnan(b_hi), b_pt, b_hi)
    c_lo_eff, c_hi_eff = np.where(np.isnan(c_lo), c_pt, c_lo), np.where(np.isnan(c_hi), c_pt, c_hi)
    has_range = ~(np.isnan(b_lo) & np.isnan(c_lo))
    corners = np.stack(
        [apply(b, c) for b in (b_lo_eff, b_hi_eff) for c in (c_lo_eff, c_hi_eff)], axis=1
    )
    derived["value"] = value
    derived["low"] = np.where(has_range, corners.min(axis=1), np.nan)
    derived["high"] = np.where(has_range, corners.max(axis=1), np.nan)
    derived["measure"] = "level"
    derived["unit"] = pairs["unit_base"].to_numpy()
    derived["baseline_start"] = pd.NaT
    derived["baseline_end"] = pd.NaT
    derived["derived"] = True
    derived["derived_from"] = (pairs["indicator_id"] + "+" + pairs["indicator_id_base"]).to_numpy()
    derived["indicator_id"] = (pairs["indicator_id"] + "~level").to_numpy()
    derived["converted"] = pairs["converted_base"].to_numpy()
    return derived.reset_index(drop=True)
