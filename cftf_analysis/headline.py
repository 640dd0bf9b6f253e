"""Headline figures computed from the indicator rows, with the rows they used."""

from __future__ import annotations

import pandas as pd

from cftf_analysis.dates import parse_date_interval
from cftf_analysis.errors import AnalysisError

__all__ = ["PERCENT_CHANGE_COLUMNS", "percent_change"]

PERCENT_CHANGE_COLUMNS = [
    "indicator",
    "scope",
    "start",
    "end",
    "value_start",
    "value_end",
    "unit",
    "percent_change",
    "row_start",
    "row_end",
    "producer_start",
    "producer_end",
    "derived_start",
    "derived_end",
    "period_start_text",
    "period_end_text",
]


def _candidates(levels: pd.DataFrame, when: str) -> pd.DataFrame:
    interval = parse_date_interval(when)
    s, e = interval.start, interval.end
    inter = (levels["period_end"].clip(upper=e) - levels["period_start"].clip(lower=s)).dt.days + 1
    union = (levels["period_end"].clip(lower=e) - levels["period_start"].clip(upper=s)).dt.days + 1
    out = levels.assign(overlap=(inter / union).where(inter > 0, 0.0))
    return out[out["overlap"] > 0]


def percent_change(
    indicators: pd.DataFrame,
    indicator: str,
    start: str,
    end: str,
    *,
    scope: str = "total",
    source_org: str | None = None,
) -> pd.DataFrame:
    """Percent change of an indicator between two dates, from the reported levels.

    Parameters
    ----------
    indicators
        Output of :func:`cftf_analysis.load_indicators`.
    indicator
        Indicator name, e.g. ``"revenue_total"``.
    start, end
        Dates in the package's date grammar (e.g. ``"mid 2015"``, ``"2016-03"``).
    scope
        Geographic scope of the rows to use.
    source_org
        Only use rows whose producer or ``source_org`` contains this text
        (case-insensitive).

    Returns
    -------
    pandas.DataFrame
        One row with the columns :data:`PERCENT_CHANGE_COLUMNS`: the two
        values used (canonical unit), ``percent_change`` =
        100 * (value_end / value_start - 1), the ids of the rows used, their
        producers, whether each was derived from a reported change, and their
        period texts.

    Notes
    -----
    Candidate rows at each end are level rows whose period overlaps the date.
    Among all (start, end) pairs the rule picks, in order: the same producer
    at both ends; reported rows over rows derived from a change; the pair
    whose periods match the two dates best (overlap as a share of the union
    of the two intervals, summed over both ends); the latest published.
    Ranged figures enter at the middle of their range.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> ind = cftf.load_indicators()
    >>> res = percent_change(ind, "revenue_total", "mid 2015", "2016-03")
    >>> res[["row_start", "row_end", "percent_change"]].round(1).to_string(index=False)
    'row_start row_end  percent_change\\n     I002    I003           -30.0'
    """
    mask = (
        (indicators["indicator"] == indicator)
        & (indicators["scope"] == scope)
        & (indicators["measure"] == "level")
    )
    if source_org is not None:
        needle = source_org.lower()
        mask &= indicators["producer"].str.lower().str.contains(needle, regex=False) | indicators[
            "source_org"
        ].str.lower().str.contains(needle, regex=False)
    levels = indicators[mask].assign(
        estimate=lambda d: d["value"].fillna((d["low"] + d["high"]) / 2)
    )
    a, b = _candidates(levels, start), _candidates(levels, end)
    if a.empty or b.empty:
        missing = start if a.empty else end
        raise AnalysisError(
            f"no level of '{indicator}' (scope '{scope}'"
            + (f", source '{source_org}'" if source_org else "")
            + f") covers '{missing}'"
        )
    pairs = a.merge(b, how="cross", suffixes=("_a", "_b"))
    pairs = pairs[pairs["indicator_id_a"] != pairs["indicator_id_b"]]
    if pairs.empty:
        raise AnalysisError(f"only one row covers both '{start}' and '{end}'")
    pairs = pairs.assign(
        same=pairs["producer_a"] == pairs["producer_b"],
        n_derived=pairs["derived_a"].astype(int) + pairs["derived_b"].astype(int),
        fit=pairs["overlap_a"] + pairs["overlap_b"],
        latest=pairs[["published_a", "published_b"]].max(axis=1),
    ).sort_values(
        ["same", "n_derived", "fit", "latest", "indicator_id_a", "indicator_id_b"],
        ascending=[False, True, False, False, True, True],
    )
    best = pairs.iloc[0]
    result = {
        "indicator": indicator,
        "scope": scope,
        "start": start,
        "end": end,
        "value_start": float(best["estimate_a"]),
        "value_end": float(best["estimate_b"]),
        "unit": best["unit_a"],
        "percent_change": 100.0 * (best["estimate_b"] / best["estimate_a"] - 1.0),
        "row_start": best["indicator_id_a"],
        "row_end": best["indicator_id_b"],
        "producer_start": best["producer_a"],
        "producer_end": best["producer_b"],
        "derived_start": bool(best["derived_a"]),
        "derived_end": bool(best["derived_b"]),
        "period_start_text": best["period_text_a"],
        "period_end_text": best["period_text_b"],
    }
    return pd.DataFrame([result], columns=PERCENT_CHANGE_COLUMNS)
