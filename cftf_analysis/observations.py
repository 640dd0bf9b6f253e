"""Observations, not rows: what the level rows of one indicator series say.

:func:`cftf_analysis.load_indicators` keeps one row per published figure. A
series model needs something else: one entry per *piece of information*. The
same estimate restated by its producer with a relabelled period, or re-derived
from a percent change, is one piece of information, not two; a quarterly figure
describes the average over three months, not one month; a range is a
measurement interval and "at most" a one-sided bound. :func:`indicator_observations`
turns the level rows (reported and derived) of one series into such
observations, keeping every row id and saying in words which rules made each
one. The rules are listed in the section "From rows to observations" of
``data/raw/README.md`` and in the Notes of :func:`indicator_observations`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.options import check_columns

__all__ = [
    "BOUND_QUALIFIERS",
    "OBSERVATION_COLUMNS",
    "POINT_QUALIFIERS",
    "SPECIAL_QUALIFIERS",
    "indicator_observations",
    "normalise_producers",
    "producer_key",
]

#: Columns of :func:`indicator_observations`, in order.
OBSERVATION_COLUMNS: tuple[str, ...] = (
    "observation_id",
    "row_ids",
    "indicator",
    "scope",
    "producer",
    "period_start",
    "period_end",
    "month_start",
    "month_end",
    "n_months",
    "value",
    "low",
    "high",
    "bound",
    "qualifier",
    "derived",
    "restated",
    "published",
    "rule",
)

#: Qualifiers read as a two-sided figure for the period (``average`` is how every
#: period figure is read anyway; ``approx`` is the normal condition of an estimate).
POINT_QUALIFIERS: tuple[str, ...] = ("", "approx", "average")
#: Qualifiers that make a one-sided bound, and its direction (on the signed value).
BOUND_QUALIFIERS: Mapping[str, str] = {"at_least": "lower", "at_most": "upper"}
#: Qualifiers kept as they are: not a period average or not a measurement.
SPECIAL_QUALIFIERS: Mapping[str, str] = {
    "peak": "the maximum over the period, not its average",
    "claimed": "the group's own figure",
    "projected": "a projection, not a measurement",
}

#: Relative half-width used when a figure's printed precision is unknown
#: (a value typed into a DataFrame, or a derived level whose rows are missing).
FALLBACK_ROUNDING = 0.005

_NEEDED = (
    "indicator_id",
    "indicator",
    "scope",
    "measure",
    "value",
    "low",
    "high",
    "qualifier",
    "period_start",
    "period_end",
    "published",
    "derived",
)
_PAREN = re.compile(r"\s*[(\[].*$")
_DROP = re.compile(r"[.'’‘`]")
_SPACE = re.compile(r"[\W_]+")
_DECIMALS = re.compile(r"^[+-]?\d*(?:\.(\d+))?$")


def producer_key(name: str) -> str:
    """The styling-free key of a producer name (see :func:`normalise_producers`).

    Examples
    --------
    >>> producer_key("U.N. Panel (spokesperson, press briefing)")
    'un panel'
    >>> producer_key("Bank & Partners") == producer_key("bank and partners")
    True
    """
    text = _PAREN.sub("", str(name)).casefold()
    text = _DROP.sub("", text.replace("&", " and "))
    return _SPACE.sub(" ", text).strip()


def normalise_producers(names: pd.Series, aliases: Mapping[str, str] | None = None) -> pd.Series:
    """Map producer names that differ only in styling, or by a known renaming, to one name.

    Parameters
    ----------
    names
        Producer names as written (``producer`` or ``source_org`` of the indicators).
    aliases
        Renamings, ``{old name: new name}``. Renamings are facts about a case
        (a consultancy merged, a ministry renamed) and belong in the case's
        data, not in code; keys and values are matched by their styling-free
        key, so ``{"acme analytics": "Acme"}`` also catches ``"Acme Analytics."``.

    Returns
    -------
    pandas.Series
        The display name of each producer (string dtype, same index): among
        the spellings that share a key, the most frequent one (ties: the
        first to appear); after an alias, the alias target's display
        name (its most frequent spelling in ``names``, else the target as given).

    Notes
    -----
    Two names are the same producer when their keys are equal. The key is
    built in this order:

    =====================================  =====================================================
    step                                   example
    =====================================  =====================================================
    drop parenthetical or bracketed        ``UN Panel (a spokesperson)`` -> ``UN Panel``
    detail and everything after it
    case-fold                              ``Acme conflict Monitor`` -> ``acme conflict monitor``
    ``&`` becomes ``and``                  ``Bank & Co`` -> ``bank and co``
    delete ``.`` and apostrophes           ``U.N.`` -> ``un``; ``d'Études`` -> ``détudes``
    every other run of non-alphanumeric    ``Map-Data  Monitor`` -> ``map data monitor``
    characters becomes one space; strip
    =====================================  =====================================================

    Nothing else is merged: singular and plural (``estimate``/``estimates``),
    added words, initials or a different organisation name stay apart unless
    ``aliases`` says otherwise.

    Examples
    --------
    >>> names = pd.Series(["Acme Conflict Monitor", "acme conflict monitor.",
    ...                    "Acme Analytics Conflict Monitor"])
    >>> normalise_producers(names).tolist()
    ['Acme Conflict Monitor', 'Acme Conflict Monitor', 'Acme Analytics Conflict Monitor']
    >>> renamed = {"Acme Analytics Conflict Monitor": "Acme Conflict Monitor"}
    >>> normalise_producers(names, renamed).tolist()
    ['Acme Conflict Monitor', 'Acme Conflict Monitor', 'Acme Conflict Monitor']
    """
    text = names.astype("string").fillna("")
    keys = text.map(producer_key)
    display: dict[str, str] = {}
    spellings = pd.DataFrame({"key": keys, "name": text.str.strip()}).reset_index(drop=True)
    spellings["first"] = spellings.index
    counts = spellings.groupby(["key", "name"]).agg(n=("first", "size"), first=("first", "min"))
    for (key, name), _ in counts.sort_values(["n", "first"], ascending=[False, True]).iterrows():
        display.setdefault(key, name)
    alias_keys = {producer_key(k): v for k, v in (aliases or {}).items()}
    for old, new in alias_keys.items():
        if producer_key(new) in alias_keys:
            raise ArgumentError(
                f"producer_aliases: {new!r} is itself renamed; give the final name"
            )
        display[old] = display.get(producer_key(new), str(new))
    return keys.map(lambda k: display.get(k, k)).astype("string")


# --- precision of printed figures --------------------------------------------------------------


def _half_unit(as_given: object, value: float) -> float:
    """Half a unit of the last printed digit of ``as_given``, in the units of ``value``."""
    text = "" if as_given is None or pd.isna(as_given) else str(as_given).replace(",", "")
    match = _DECIMALS.match(text.strip())
    if not match or not text.strip() or not np.isfinite(value):
        return FALLBACK_ROUNDING * abs(value)
    printed = float(text)
    if printed == 0:
        return FALLBACK_ROUNDING * abs(value)
    factor = abs(value / printed)
    decimals = len(match.group(1) or "")
    return 0.5 * 10.0 ** (-decimals) * factor


def _rounding_intervals(rows: pd.DataFrame, everything: pd.DataFrame) -> np.ndarray:
    """For each row, the interval of values its printed figure is a rounding of.

    Reported rows: value +/- half a unit of the last printed digit. Derived rows:
    the extremes of the change applied to the baseline, each moved by half a unit
    of its own last printed digit. Rows without a value get NaN.
    """
    by_id = everything.set_index("indicator_id")
    out = np.full((len(rows), 2), np.nan)
    for i, (_, row) in enumerate(rows.iterrows()):
        value = float(row["value"])
        if not np.isfinite(value):
            continue
        half = FALLBACK_ROUNDING * 2 * abs(value)  # derived row with unknown parents: 1%
        if not row["derived"]:
            half = _half_unit(row.get("value_as_given"), value)
        else:
            parents = str(row.get("derived_from") or "").split("+")
            if len(parents) == 2 and all(p in by_id.index for p in parents):
                change, base = by_id.loc[parents[0]], by_id.loc[parents[1]]
                c, b = float(change["value"]), float(base["value"])
                if np.isfinite(c) and np.isfinite(b):
                    hc = _half_unit(change.get("value_as_given"), c)
                    hb = _half_unit(base.get("value_as_given"), b)
                    relative = change["measure"] == "percent_change"
                    corners = [
                        bb * (1 + cc / 100) if relative else bb + cc
                        for bb in (b - hb, b + hb)
                        for cc in (c - hc, c + hc)
                    ]
                    out[i] = min(corners), max(corners)
                    continue
        out[i] = value - half, value + half
    return out


# --- merging ---------------------------------------------------------------------------------


class _Groups:
    """Union-find over row positions."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _month_number(ts: pd.Series) -> np.ndarray:
    return (ts.dt.year * 12 + ts.dt.month - 1).to_numpy(dtype=np.int64)


def _kind(qualifier: str) -> str:
    if qualifier in BOUND_QUALIFIERS:
        return BOUND_QUALIFIERS[qualifier]
    if qualifier in SPECIAL_QUALIFIERS:
        return qualifier
    return "none"


def _same_value(a: pd.Series, b: pd.Series, ra: np.ndarray, rb: np.ndarray) -> bool:
    """Could the two figures be roundings of one number? (ranges: equal bounds)."""
    if np.isfinite(ra[0]) and np.isfinite(rb[0]):
        return max(ra[0], rb[0]) < min(ra[1], rb[1])
    if np.isfinite(ra[0]) or np.isfinite(rb[0]):
        return False
    ends = np.array([a["low"], a["high"], b["low"], b["high"]], dtype=float)
    return bool(np.allclose(ends[:2], ends[2:], rtol=FALLBACK_ROUNDING, atol=0.0))


def _merge_series(rows: pd.DataFrame, rounding: np.ndarray) -> tuple[_Groups, dict[int, str]]:
    """Merge the rows of one (indicator, scope, producer) series; returns groups and reasons."""
    n = len(rows)
    groups = _Groups(n)
    how: dict[int, str] = {}
    m0 = rows["m0"].to_numpy()
    m1 = rows["m1"].to_numpy()
    pub = rows["published"].to_numpy()
    end_day = rows["period_end"].to_numpy()
    derived = rows["derived"].to_numpy(dtype=bool)
    kind = rows["kind"].to_numpy()
    records = [row for _, row in rows.iterrows()]

    def overlap(i: int, j: int) -> bool:
        return bool(m0[i] <= m1[j] and m0[j] <= m1[i])

    # (1) restatements among reported rows
    reported = [i for i in range(n) if not derived[i]]
    for i in reported:
        for j in reported:
            if not (pub[i] < pub[j]) or kind[i] != kind[j]:
                continue
            if not _same_value(records[i], records[j], rounding[i], rounding[j]):
                continue
            if overlap(i, j):
                groups.union(i, j)
                how[j] = "overlapping"
                continue
            # j (later) relabels i's estimate backwards in time: j's period lies
            # before i's, was over when i was published, and no other figure of
            # the producer with another value lies between the two periods
            if m1[j] < m0[i] and end_day[j] <= pub[i]:
                between = [
                    k
                    for k in range(n)
                    if m0[k] > m1[j]
                    and m1[k] < m0[i]
                    and not _same_value(records[k], records[i], rounding[k], rounding[i])
                ]
                if not between:
                    groups.union(i, j)
                    how[j] = "relabelled"
    # (2) derived levels that reproduce a reported level of an overlapping period
    for d in (i for i in range(n) if derived[i]):
        if not np.isfinite(rounding[d][0]):
            continue
        candidates = [
            r
            for r in reported
            if kind[r] == kind[d]
            and overlap(r, d)
            and np.isfinite(rounding[r][0])
            and max(rounding[r][0], rounding[d][0]) <= min(rounding[r][1], rounding[d][1])
        ]
        if not candidates:
            candidates = [
                e
                for e in range(n)
                if e != d
                and derived[e]
                and kind[e] == kind[d]
                and overlap(e, d)
                and rounding[d][0] <= records[e]["value"] <= rounding[d][1]
            ]
        if candidates:
            value = records[d]["value"]
            best = min(candidates, key=lambda r: (abs(np.log(records[r]["value"] / value)), r))
            groups.union(d, best)
            how[d] = "reproduces"
    return groups, how


def _inherit_bounds(rows: pd.DataFrame, everything: pd.DataFrame) -> pd.DataFrame:
    """Give a derived level the bound of its baseline when the change has none.

    A derived level increases with both its change and its baseline, so a
    baseline that is a lower (upper) bound makes the level a lower (upper) bound
    too. When change and baseline bound in opposite directions the level is not
    bounded at all: such rows are dropped with a warning.
    """
    qualifiers = everything.set_index("indicator_id")["qualifier"].astype("string").fillna("")
    rows = rows.copy()
    rows["inherited"] = ""
    drop = []
    for idx, row in rows[rows["derived"]].iterrows():
        base = str(row.get("derived_from") or "").partition("+")[2]
        base_q = qualifiers.get(base, "")
        if base_q not in BOUND_QUALIFIERS:
            continue
        if row["qualifier"] in BOUND_QUALIFIERS and row["qualifier"] != base_q:
            drop.append(idx)
        elif row["qualifier"] not in BOUND_QUALIFIERS:
            rows.loc[idx, "qualifier"] = base_q
            rows.loc[idx, "inherited"] = base
    if drop:
        warnings.warn(
            f"derived levels {', '.join(rows.loc[drop, 'indicator_id'])} are left out: their "
            "change and baseline are bounds in opposite directions, so the level is unbounded",
            stacklevel=3,
        )
    return rows.drop(index=drop)


def _describe(members: pd.DataFrame, primary: pd.Series, how: Mapping[str, str]) -> str:
    parts = []
    if primary["derived"]:
        change, _, base = str(primary["derived_from"]).partition("+")
        parts.append(f"derived level (change {change} applied to level {base})")
        if primary["inherited"]:
            parts.append(f"bound inherited from its baseline {primary['inherited']}")
    else:
        parts.append("reported level")
    reported = members[~members["derived"]]
    if len(reported) > 1:
        ids = ", ".join(reported["indicator_id"])
        kinds = {how.get(i) for i in reported["indicator_id"]} - {None}
        why = (
            "a relabelled period"
            if kinds == {"relabelled"}
            else "overlapping periods"
            if kinds == {"overlapping"}
            else "relabelled or overlapping periods"
        )
        parts.append(
            f"one estimate restated ({ids}: same value within rounding, {why}); "
            f"period of the latest publication ({primary['indicator_id']})"
        )
    copies = members[members["derived"] & (members["indicator_id"] != primary["indicator_id"])]
    if len(copies):
        verb = "reproduces" if len(copies) == 1 else "reproduce"
        parts.append(f"{', '.join(copies['indicator_id'])} {verb} it within rounding: merged")
    n = int(primary["n_months"])
    parts.append(f"average over {n} months" if n > 1 else "one month")
    if pd.isna(primary["value"]) and pd.notna(primary["low"]):
        parts.append("range: a measurement interval")
    qualifier = primary["qualifier"]
    if qualifier in BOUND_QUALIFIERS:
        parts.append(f"{BOUND_QUALIFIERS[qualifier]} bound ({qualifier})")
    elif qualifier in SPECIAL_QUALIFIERS:
        parts.append(f"{qualifier}: {SPECIAL_QUALIFIERS[qualifier]}")
    elif qualifier:
        parts.append(f"{qualifier}: read as a figure for the period")
    return "; ".join(parts)


def indicator_observations(
    indicators: pd.DataFrame,
    indicator: str,
    *,
    scope: str | None = "total",
    producer: str | None = None,
    producer_aliases: Mapping[str, str] | None = None,
    include_derived: bool = True,
) -> pd.DataFrame:
    """Turn the level rows of one indicator into observations of its series.

    Parameters
    ----------
    indicators
        Output of :func:`cftf_analysis.load_indicators` (derived levels included).
    indicator
        Indicator name, e.g. ``"territory"``.
    scope
        Scope to keep (``None``: every scope, each its own series).
    producer
        Producer to keep, matched after normalisation (see
        :func:`normalise_producers`); ``None`` keeps every producer, each its
        own series: rows of different producers are never merged.
    producer_aliases
        Renamings of producers, ``{old: new}`` (case data, e.g. from a case
        file); applied before ``producer`` is matched.
    include_derived
        Use derived levels (percent or km2 changes applied to a reported level).

    Returns
    -------
    pandas.DataFrame
        One row per observation, columns :data:`OBSERVATION_COLUMNS`:

        - ``observation_id``: id of the row that gives the observation its value
          and period (the latest-published reported row, else the latest derived row);
        - ``row_ids``: every merged row id, ``+``-joined (reported rows by
          publication date, then derived rows), e.g. ``"I001+I002"``;
        - ``indicator``, ``scope``, ``producer`` (normalised name);
        - ``period_start``, ``period_end``: the period (days) the observation describes;
        - ``month_start``, ``month_end`` (month starts) and ``n_months``: the
          months the period touches; the figure is an average over them;
        - ``value``, ``low``, ``high``: canonical units; ``low``/``high`` are a
          measurement interval (a range), ``value`` may be missing for a range;
        - ``bound``: ``"none"``, ``"lower"`` (``at_least``) or ``"upper"`` (``at_most``);
        - ``qualifier``: as given (empty string for none);
        - ``derived``: every row of the observation is a derived level;
        - ``restated``: two or more reported rows were merged;
        - ``published``: first publication date of the row giving the value;
        - ``rule``: in plain words, which rules made the observation.

        Sorted by ``month_start``, ``month_end``, ``observation_id``.

    Raises
    ------
    AnalysisError
        No level rows match ``indicator``, ``scope`` and ``producer``.

    Notes
    -----
    The rules, applied within one indicator, scope and producer (after
    normalisation of producer names):

    1. **Same value within rounding.** Each printed figure stands for an
       interval: ``80`` for [79.5, 80.5], ``2.9`` for [2.85, 2.95] (half a unit
       of the last printed digit, converted to canonical units). Two reported
       figures are the same value when their intervals overlap (share more than
       an end point). A derived level's interval is the change applied to the
       baseline with both moved to the ends of their own intervals
       (``-30%`` of ``80`` is [55.25, 56.75]). Ranges are the same value when
       both ends agree to 0.5%. Figures typed without a printed form get
       +/-0.5% (derived ones without their rows: +/-1%).
    2. **Restatement.** Two reported rows published on different dates, with
       the same value and the same kind (two-sided, lower or upper bound, or
       the same special qualifier) are one estimate when (a) their months
       overlap, or (b) the later publication relabels the estimate backwards:
       its period lies entirely before the earlier row's period, it had ended
       by the earlier row's publication date (so the earlier figure can be an
       estimate of it), and no figure of the producer with another value lies
       between the two periods. The observation keeps every row id and takes
       the period, value and qualifier of the latest publication. Two rows
       with one value for two periods in one release, or a later month that
       repeats an earlier month's value, stay two observations.
    3. **Derived levels.** A derived level whose rounding interval contains a
       reported level of the same kind, whose months overlap its own, is the
       same information and merges into it (into the closest one if several);
       otherwise two derived levels of overlapping months merge when one's
       value lies in the other's interval; otherwise it is an observation of
       its own (``derived`` True).
    4. **Periods.** A figure for a period (a quarter, a year, ``mid YYYY``, a
       day range) is an observation of the average over the months the period
       touches, each month counted once.
    5. **Ranges** (``low``, ``high``) are measurement intervals; **bounds**
       (``at_least``/``at_most``) stay one-sided: ``bound`` is ``"lower"`` or
       ``"upper"`` and ``value`` the bound. A derived level increases with its
       change and its baseline, so it is a bound in the direction of the
       change's qualifier, or else of its baseline's (a level derived from an
       ``at_least`` baseline is a lower bound); when the two point in opposite
       directions the level is unbounded and the row is left out with a warning.
    6. **Other qualifiers.** ``approx`` and ``average`` are two-sided figures
       (every period figure is read as an average); ``peak``, ``claimed`` and
       ``projected`` are kept, with their meaning in ``rule``, for the model
       to decide (:func:`cftf_analysis.stats.latent.latent_indicator` leaves
       them out by default).

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> obs = indicator_observations(cftf.load_indicators(), "revenue_total",
    ...                              producer="IHS Conflict Monitor")
    >>> obs[["observation_id", "row_ids", "n_months", "bound"]]
      observation_id         row_ids  n_months  bound
    0           I006            I006         3   none
    1           I002       I001+I002         4   none
    2           I003 I003+I004~level         1   none
    3     I005~level      I005~level         1  upper
    4           I007 I007+I008~level         3   none
    >>> print(obs.loc[1, "rule"])
    reported level; one estimate restated (I001, I002: same value within rounding, a relabelled
    period); period of the latest publication (I002); average over 4 months
    """
    check_columns(indicators, _NEEDED, "indicators")
    names = indicators["producer"] if "producer" in indicators else indicators["source_org"]
    normalised = normalise_producers(names, producer_aliases)
    mask = (indicators["indicator"] == indicator) & (indicators["measure"] == "level")
    if scope is not None:
        mask &= indicators["scope"] == scope
    if producer is not None:
        target = normalise_producers(pd.Series([producer]), producer_aliases).iloc[0]
        mask &= normalised == target
    if not include_derived:
        mask &= ~indicators["derived"].astype(bool)
    mask = mask.fillna(False).to_numpy(dtype=bool)
    if not mask.any():
        raise AnalysisError(
            f"no level rows for indicator {indicator!r}, scope {scope!r}, producer {producer!r}"
        )
    keep = [c for c in (*_NEEDED, "value_as_given", "derived_from") if c in indicators]
    rows = indicators.loc[mask, keep].copy()
    rows["producer"] = normalised[mask]
    rows["qualifier"] = rows["qualifier"].astype("string").fillna("")
    rows["derived"] = rows["derived"].astype(bool)
    rows = _inherit_bounds(rows, indicators)
    if rows.empty:
        raise AnalysisError(f"no usable level rows for indicator {indicator!r}")
    rows["kind"] = rows["qualifier"].map(_kind)
    rows["m0"] = _month_number(rows["period_start"])
    rows["m1"] = _month_number(rows["period_end"])
    rows["n_months"] = rows["m1"] - rows["m0"] + 1
    out = []
    for _, series in rows.groupby(["indicator", "scope", "producer"], sort=True):
        series = series.sort_values(["published", "indicator_id"]).reset_index(drop=True)
        rounding = _rounding_intervals(series, indicators)
        groups, how = _merge_series(series, rounding)
        labels = np.array([groups.find(i) for i in range(len(series))])
        reasons = {series.loc[i, "indicator_id"]: v for i, v in how.items()}
        for label in np.unique(labels):
            members = series[labels == label].sort_values(["derived", "published", "indicator_id"])
            reported = members[~members["derived"]]
            pool = reported if len(reported) else members
            primary = pool.sort_values(["published", "indicator_id"]).iloc[-1]
            out.append(
                {
                    "observation_id": primary["indicator_id"],
                    "row_ids": "+".join(members["indicator_id"]),
                    "indicator": primary["indicator"],
                    "scope": primary["scope"],
                    "producer": primary["producer"],
                    "period_start": primary["period_start"],
                    "period_end": primary["period_end"],
                    "month_start": primary["period_start"].to_period("M").to_timestamp(),
                    "month_end": primary["period_end"].to_period("M").to_timestamp(),
                    "n_months": int(primary["n_months"]),
                    "value": float(primary["value"]),
                    "low": float(primary["low"]),
                    "high": float(primary["high"]),
                    "bound": BOUND_QUALIFIERS.get(primary["qualifier"], "none"),
                    "qualifier": primary["qualifier"],
                    "derived": bool(members["derived"].all()),
                    "restated": len(reported) > 1,
                    "published": primary["published"],
                    "rule": _describe(members, primary, reasons),
                }
            )
    frame = pd.DataFrame(out, columns=list(OBSERVATION_COLUMNS))
    frame = frame.sort_values(["month_start", "month_end", "observation_id"], ignore_index=True)
    for col in ("observation_id", "row_ids", "indicator", "scope", "producer", "bound"):
        frame[col] = frame[col].astype("string")
    frame["qualifier"] = frame["qualifier"].astype("string")
    frame["rule"] = frame["rule"].astype("string")
    frame["n_months"] = frame["n_months"].astype("int64")
    for col in ("value", "low", "high"):
        frame[col] = frame[col].astype("float64")
    return frame
