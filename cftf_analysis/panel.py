"""The monthly panel: report counts and indicator series on one monthly grid."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import pandas as pd

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.options import DateBasis, Interpolation, check_literal

__all__ = [
    "DEFAULT_INDICATORS",
    "SeriesInfo",
    "SeriesSpec",
    "default_series",
    "describe_series",
    "indicator_points",
    "interpolate",
    "month_number",
    "month_weights",
    "monthly_panel",
    "series_rows",
]


class SeriesSpec(TypedDict, total=False):
    """Which indicator rows make one panel series."""

    indicator: str
    scope: str
    producer: str | None


@dataclass(frozen=True)
class SeriesInfo:
    """What one panel series is: its rows' indicator, scope and producer, unit and label."""

    name: str
    indicator: str
    scope: str
    producer: str | None
    unit: str
    label: str


def describe_series(
    indicators: pd.DataFrame,
    series: Mapping[str, SeriesSpec],
    labels: Mapping[str, str] | None = None,
) -> dict[str, SeriesInfo]:
    """The :class:`SeriesInfo` of each series: canonical unit from its rows, a label.

    The label is ``labels[name]`` or the indicator name in words.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> ind = cftf.load_indicators()
    >>> info = describe_series(ind, default_series(ind))["territory"]
    >>> info.unit, info.label
    ('km2', 'Territory')
    """
    out = {}
    for name, spec in series.items():
        rows = series_rows(indicators, spec)
        units = rows["unit"].dropna().unique()
        out[name] = SeriesInfo(
            name=name,
            indicator=spec["indicator"],
            scope=spec.get("scope") or "total",
            producer=spec.get("producer"),
            unit=str(units[0]) if len(units) else "",
            label=(labels or {}).get(name) or spec["indicator"].replace("_", " ").capitalize(),
        )
    return out


#: Indicators the panel builds series of when no series are named: the group's
#: total revenue and the territory it holds.
DEFAULT_INDICATORS: tuple[str, ...] = ("revenue_total", "territory")


def default_series(
    indicators: pd.DataFrame, candidates: tuple[str, ...] = DEFAULT_INDICATORS
) -> dict[str, SeriesSpec]:
    """Panel series chosen from the data when none are named (a case file names them).

    For each candidate indicator with level rows for the whole group (scope
    ``total``), the producer with the most distinct months of level figures
    (then the most rows, then the latest publication, then the name) makes the
    series: one producer per series, never an average of producers.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> spec = default_series(cftf.load_indicators())
    >>> list(spec), spec["territory"]["producer"]
    (['revenue_total', 'territory'], 'IHS Conflict Monitor')
    """
    out: dict[str, SeriesSpec] = {}
    for name in candidates:
        rows = indicators[
            (indicators["indicator"] == name)
            & (indicators["measure"] == "level")
            & (indicators["scope"] == "total")
        ]
        if rows.empty:
            continue
        month = rows["period_start"] + (rows["period_end"] - rows["period_start"]) / 2
        ranking = (
            rows.assign(month=month.dt.to_period("M"))
            .groupby("producer")
            .agg(
                months=("month", "nunique"), n=("indicator_id", "size"), last=("published", "max")
            )
            .reset_index()
            .sort_values(
                ["months", "n", "last", "producer"], ascending=[False, False, False, True]
            )
        )
        out[name] = {"indicator": name, "scope": "total", "producer": ranking["producer"].iloc[0]}
    return out


def month_number(ts: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Months since year 0 (``year * 12 + month - 1``) of each timestamp: consecutive
    months are consecutive integers.

    Examples
    --------
    >>> month_number(pd.Series(pd.to_datetime(["2015-01-31", "2015-02-01"]))).tolist()
    [24180, 24181]
    """
    values = np.asarray(ts)
    if np.issubdtype(values.dtype, np.datetime64):  # the fast path: no pandas accessor
        return values.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    ts = pd.Series(ts)
    return (ts.dt.year.to_numpy() * 12 + ts.dt.month.to_numpy() - 1).astype(np.int64)


def _month_start(number: np.ndarray) -> np.ndarray:
    years, months = np.divmod(number, 12)
    return pd.to_datetime({"year": years, "month": months + 1, "day": 1}).to_numpy()


def month_weights(start: pd.Series, end: pd.Series) -> pd.DataFrame:
    """Spread each interval over the months it covers, in proportion to its days.

    Parameters
    ----------
    start, end
        Inclusive first and last day of each interval (aligned Series).

    Returns
    -------
    pandas.DataFrame
        One row per (interval, month): ``row`` (position in the input),
        ``month`` (month start) and ``weight`` (share of the interval's days in
        that month; each interval's weights sum to 1).

    Examples
    --------
    >>> w = month_weights(pd.Series(pd.to_datetime(["2016-03-14", "2015-11-01"])),
    ...                   pd.Series(pd.to_datetime(["2016-03-14", "2015-12-31"])))
    >>> w["row"].tolist(), w["month"].dt.strftime("%Y-%m").tolist()
    ([0, 1, 1], ['2016-03', '2015-11', '2015-12'])
    >>> w["weight"].round(3).tolist()
    [1.0, 0.492, 0.508]
    """
    if start.isna().any() or end.isna().any():
        raise AnalysisError("month_weights needs known start and end dates for every row")
    m0, m1 = month_number(start), month_number(end)
    counts = m1 - m0 + 1
    row = np.repeat(np.arange(len(start)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    month = _month_start(m0[row] + offset)
    next_month = _month_start(m0[row] + offset + 1)
    day = np.timedelta64(1, "D")
    s = start.to_numpy().astype("datetime64[D]")[row]
    e = end.to_numpy().astype("datetime64[D]")[row]
    lo = np.maximum(s, month.astype("datetime64[D]"))
    hi = np.minimum(e, next_month.astype("datetime64[D]") - 1)
    days = (hi - lo) / day + 1
    total = (e - s) / day + 1
    return pd.DataFrame({"row": row, "month": month, "weight": days / total})


def series_rows(indicators: pd.DataFrame, spec: SeriesSpec) -> pd.DataFrame:
    """The level rows of ``indicators`` that make one panel series.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> spec = {"indicator": "territory", "scope": "total", "producer": "IHS Conflict Monitor"}
    >>> rows = series_rows(cftf.load_indicators(), spec)
    >>> sorted(set(rows["producer"]))
    ['IHS Conflict Monitor']
    """
    mask = (indicators["indicator"] == spec["indicator"]) & (indicators["measure"] == "level")
    if spec.get("scope") is not None:
        mask &= indicators["scope"] == spec["scope"]
    if spec.get("producer") is not None:
        mask &= indicators["producer"] == spec["producer"]
    return indicators[mask.to_numpy(dtype=bool)]


def indicator_points(indicators: pd.DataFrame, name: str, spec: SeriesSpec) -> pd.DataFrame:
    """One reported point per month for a panel series.

    Each level row of the series is placed in the month holding the midpoint
    of its period; a range without a point value enters at the middle of its
    range. When several rows fall in one month, a reported figure beats a
    derived one, then the most precise period, then the latest published.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``month`` (month start): ``estimate``, ``lo``, ``hi``
        (equal to ``estimate`` for point figures), ``derived`` and
        ``source_index`` (the row's index label in ``indicators``).

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> ind = cftf.load_indicators()
    >>> pts = indicator_points(ind, "territory", default_series(ind)["territory"])
    >>> len(pts), pts.index.min().strftime("%Y-%m")
    (7, '2015-01')
    """
    rows = series_rows(indicators, spec).copy()
    if rows.empty:
        raise AnalysisError(f"no level rows for panel series '{name}' ({dict(spec)})")
    mid = rows["period_start"] + (rows["period_end"] - rows["period_start"]) / 2
    rows["month"] = mid.dt.to_period("M").dt.to_timestamp()
    rows["estimate"] = rows["value"].fillna((rows["low"] + rows["high"]) / 2)
    rows["lo"] = rows["low"].fillna(rows["value"])
    rows["hi"] = rows["high"].fillna(rows["value"])
    rows["n_days"] = (rows["period_end"] - rows["period_start"]).dt.days
    rows["source_index"] = rows.index
    # one figure per month: reported before derived, then the most precise
    # period, then the latest published
    rows = rows.sort_values(
        ["month", "derived", "n_days", "published", "indicator_id"],
        ascending=[True, True, True, False, True],
    ).drop_duplicates("month")
    return rows[["month", "estimate", "lo", "hi", "derived", "source_index"]].set_index("month")


def interpolate(points: pd.Series, grid: pd.DatetimeIndex, how: Interpolation) -> pd.Series:
    """Fill a monthly grid between known points; nothing is extrapolated.

    ``how`` is ``"linear"`` (straight line in time), ``"step"`` (last value
    carried forward) or ``"loglinear"`` (constant growth rate). Months before
    the first or after the last known point stay missing.

    Examples
    --------
    >>> grid = pd.date_range("2015-01-01", periods=4, freq="MS")
    >>> pts = pd.Series([1.0, 4.0], index=grid[[0, 3]])
    >>> interpolate(pts, grid, "linear").tolist()
    [1.0, 2.0, 3.0, 4.0]
    >>> interpolate(pts, grid, "step").tolist()
    [1.0, 1.0, 1.0, 4.0]
    """
    known = points.dropna()
    out = pd.Series(np.nan, index=grid)
    if known.empty:
        return out
    inside = (grid >= known.index.min()) & (grid <= known.index.max())
    x_known = month_number(known.index)
    x_grid = month_number(grid)[inside]
    if how == "step":
        pos = np.searchsorted(x_known, x_grid, side="right") - 1
        out[inside] = known.to_numpy()[pos]
    elif how == "loglinear":
        if (known <= 0).any():
            raise AnalysisError("loglinear interpolation needs positive values")
        out[inside] = np.exp(np.interp(x_grid, x_known, np.log(known.to_numpy())))
    else:
        out[inside] = np.interp(x_grid, x_known, known.to_numpy())
    return out


def monthly_panel(
    reports: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    interpolation: Interpolation = "linear",
    series: Mapping[str, SeriesSpec] | None = None,
    date: DateBasis = "published",
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Build one row per month with report counts and indicator series.

    Parameters
    ----------
    reports
        Output of :func:`cftf_analysis.load_reports`.
    indicators
        Output of :func:`cftf_analysis.load_indicators`.
    start, end
        First and last month of the grid; default: the months the reports cover.
    interpolation
        How indicator values are filled between reported months: ``"linear"``
        (straight line in time), ``"step"`` (last reported value carried
        forward) or ``"loglinear"`` (straight line in log value, i.e. constant
        growth rate). Months before the first or after the last reported
        figure stay missing: nothing is extrapolated.
    series
        Panel column name -> ``{"indicator", "scope", "producer"}``; default
        :func:`default_series` of ``indicators``. One producer per series: estimates from
        different producers are never averaged.
    date
        Count reports by their ``published`` date (reporting, the default) or
        by their ``defection`` date (reports without one are left out, with a
        warning saying how many).
    coverage
        Optional per-period article counts from
        :func:`cftf_analysis.count_corpus` (columns ``period``,
        ``n_articles_topic``, ``n_articles_defection``), joined by month.

    Returns
    -------
    pandas.DataFrame
        ``month`` (month start), ``n_reports`` (float), ``n_reports_financial``
        (reports citing a financial motive), then for each series ``<name>``,
        ``<name>_low``, ``<name>_high`` (canonical units, see
        :func:`cftf_analysis.load_indicators`), ``<name>_observed`` (True only
        in months where a figure was reported, directly or as a change
        against a reported baseline) and ``<name>_derived`` (True where that
        figure was derived from a change); then the coverage columns if given.

    Notes
    -----
    A report dated to a span (a month, "late 2015", a range) is spread over
    the months it covers in proportion to the days of the span in each month,
    so monthly counts can be fractional; the total over all months equals the
    number of reports. An indicator figure is placed in the month holding the
    midpoint of its period; a range without a point value is placed at the
    middle of its range, and the range is kept in ``_low``/``_high`` (equal
    to the value for point figures).

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> panel = cftf.monthly_panel(cftf.load_reports(), cftf.load_indicators())
    >>> round(float(panel["n_reports"].sum()), 6) == len(cftf.load_reports())
    True
    >>> panel.loc[panel["revenue_total_observed"], ["month", "revenue_total"]].head(2)
            month  revenue_total
    ...
    """
    check_literal(interpolation, Interpolation, "interpolation")
    check_literal(date, DateBasis, "date")
    spans = reports[[f"{date}_start", f"{date}_end"]]
    known = spans.notna().all(axis=1)
    if not known.all():
        warnings.warn(
            f"{int((~known).sum())} reports have no {date} date and are not counted",
            stacklevel=2,
        )
    dated = reports[known]
    if dated.empty:
        raise AnalysisError("no dated reports to count")
    weights = month_weights(dated[f"{date}_start"], dated[f"{date}_end"])
    financial = dated["motive_financial"].to_numpy()[weights["row"].to_numpy()]
    weights["financial"] = weights["weight"] * financial
    first = pd.Timestamp(start) if start is not None else weights["month"].min()
    last = pd.Timestamp(end) if end is not None else weights["month"].max()
    grid = pd.date_range(first.to_period("M").to_timestamp(), last, freq="MS", name="month")
    if grid.empty:
        raise ArgumentError(f"empty month range: start {first.date()} is after end {last.date()}")
    by_month = weights.groupby("month")[["weight", "financial"]].sum()
    out = pd.DataFrame(index=grid)
    out["n_reports"] = by_month["weight"].reindex(grid, fill_value=0.0)
    out["n_reports_financial"] = by_month["financial"].reindex(grid, fill_value=0.0)
    chosen = default_series(indicators) if series is None else dict(series)
    for name, spec in chosen.items():
        points = indicator_points(indicators, name, spec)
        out[name] = interpolate(points["estimate"], grid, interpolation)
        out[f"{name}_low"] = interpolate(points["lo"], grid, interpolation)
        out[f"{name}_high"] = interpolate(points["hi"], grid, interpolation)
        out[f"{name}_observed"] = grid.isin(points.index)
        derived = points["derived"].astype(bool).reindex(grid, fill_value=False)
        out[f"{name}_derived"] = derived.to_numpy(dtype=bool)
    if coverage is not None:
        counts = coverage.copy()
        counts["period"] = pd.to_datetime(counts["period"]).dt.to_period("M").dt.to_timestamp()
        counts = counts.set_index("period")
        for col in ("n_articles_topic", "n_articles_defection"):
            if col in counts.columns:
                out[col] = counts[col].reindex(grid).astype("float64")
    return out.reset_index()
