"""Descriptive tables behind the figures.

Every number that :mod:`cftf_analysis.figures` draws and that no statistics
function returns comes from one of these functions, so a reader can print the
table a figure was drawn from:

- :func:`report_count_spread`: reports per month with the range that imprecise
  publication dates allow;
- :func:`motive_shares`: share of reports citing each motive, per period;
- :func:`lagged_pairs`: (indicator at month t, reports at month t + lag) pairs;
- :func:`timeline_events`: the numbered events and short labels of the timeline.

Each returns a :class:`pandas.DataFrame` whose columns are the module constant
named in its docstring. Nothing here imports matplotlib.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.options import (
    DateBasis,
    Frequency,
    check_fraction,
    check_int,
    check_literal,
)
from cftf_analysis.panel import month_weights
from cftf_analysis.vocab import MOTIVES

__all__ = [
    "DEFAULT_MOTIVES",
    "EVENT_KEY_COLUMNS",
    "LAGGED_PAIR_COLUMNS",
    "MOTIVE_SHARE_COLUMNS",
    "REPORT_SPREAD_COLUMNS",
    "lagged_pairs",
    "motive_shares",
    "report_count_spread",
    "timeline_events",
    "wilson_interval",
]

#: Columns of :func:`report_count_spread`, in order.
REPORT_SPREAD_COLUMNS: list[str] = ["month", "n_reports", "n_certain", "n_possible"]
#: Columns of :func:`motive_shares`, in order.
MOTIVE_SHARE_COLUMNS: list[str] = [
    "period", "motive", "n_reports", "n_citing", "share", "ci_low", "ci_high",
]  # fmt: skip
#: Columns of :func:`lagged_pairs`, in order.
LAGGED_PAIR_COLUMNS: list[str] = [
    "month_x", "month_y", "lag", "x", "y", "x_observed", "x_derived",
]  # fmt: skip
#: Columns of :func:`timeline_events`, in order.
EVENT_KEY_COLUMNS: list[str] = [
    "number", "event_id", "date", "date_text", "category", "label",
]  # fmt: skip
#: Motives shown by default: every coded motive except ``joined_for_money``
#: (a reason for joining, not for leaving).
DEFAULT_MOTIVES: tuple[str, ...] = tuple(m for m in MOTIVES if m != "joined_for_money")

_MONTHS_PER_PERIOD = {"MS": 1, "QS": 3, "6MS": 6, "YS": 12}


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{what} lacks column(s) {', '.join(repr(c) for c in missing)}",
            file="<DataFrame>",
            column=missing[0],
        )


def _month_start(value: object) -> pd.Timestamp:
    return pd.Timestamp(value).to_period("M").to_timestamp()  # type: ignore[arg-type]


def report_count_spread(
    reports: pd.DataFrame,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    date: DateBasis = "published",
) -> pd.DataFrame:
    """Reports per month, with the range that imprecise dates allow.

    Parameters
    ----------
    reports
        Output of :func:`cftf_analysis.load_reports` (needs ``<date>_start`` and
        ``<date>_end``).
    start, end
        First and last month of the grid; default: the months the reports cover.
        Reports outside the grid are not counted.
    date
        ``"published"`` (default) or ``"defection"``; reports without that date
        are left out with a warning, as in :func:`cftf_analysis.monthly_panel`.

    Returns
    -------
    pandas.DataFrame
        One row per month, columns :data:`REPORT_SPREAD_COLUMNS`:

        - ``month`` (datetime64, month start);
        - ``n_reports`` (float): each report spread over the months of its date
          interval in proportion to its days, exactly as the panel counts them;
        - ``n_certain`` (int): reports whose whole date interval lies in the month;
        - ``n_possible`` (int): reports whose date interval overlaps the month.

    Notes
    -----
    ``n_certain <= n_reports <= n_possible`` in every month, with equality when
    every report touching the month is dated within it. Over the whole range of
    the reports, ``n_reports`` sums to the number of dated reports. A report dated
    only to a year adds 1 to ``n_possible`` in twelve months and 1/12 (by days)
    to ``n_reports`` in each.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> spread = report_count_spread(cftf.load_reports())
    >>> list(spread.columns)
    ['month', 'n_reports', 'n_certain', 'n_possible']
    >>> round(float(spread["n_reports"].sum()), 6) == len(cftf.load_reports())
    True
    >>> bool((spread["n_certain"] <= spread["n_reports"] + 1e-9).all())
    True
    """
    check_literal(date, DateBasis, "date")
    cols = [f"{date}_start", f"{date}_end"]
    _require(reports, cols, "reports")
    known = reports[cols].notna().all(axis=1)
    if not known.all():
        warnings.warn(
            f"{int((~known).sum())} reports have no {date} date and are not counted",
            stacklevel=2,
        )
    dated = reports.loc[known, cols]
    weights = month_weights(dated[cols[0]], dated[cols[1]])
    first = _month_start(start) if start is not None else weights["month"].min()
    last = _month_start(end) if end is not None else weights["month"].max()
    if pd.isna(first) or pd.isna(last):
        raise ArgumentError("no dated reports and no start/end to build a month grid from")
    grid = pd.date_range(first, last, freq="MS", name="month")
    if grid.empty:
        raise ArgumentError(f"empty month range: start {first.date()} is after end {last.date()}")
    n_months = weights.groupby("row")["month"].transform("size")
    weights["certain"] = (n_months == 1).astype(np.int64)
    weights["possible"] = np.int64(1)
    by_month = weights.groupby("month")[["weight", "certain", "possible"]].sum()
    by_month = by_month.reindex(grid, fill_value=0)
    return pd.DataFrame(
        {
            "month": grid,
            "n_reports": by_month["weight"].to_numpy(dtype="float64"),
            "n_certain": by_month["certain"].to_numpy(dtype="int64"),
            "n_possible": by_month["possible"].to_numpy(dtype="int64"),
        },
        columns=REPORT_SPREAD_COLUMNS,
    )


def motive_shares(
    reports: pd.DataFrame,
    *,
    freq: Frequency = "QS",
    motives: Sequence[str] = DEFAULT_MOTIVES,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Share of reports citing each motive, per calendar period.

    Parameters
    ----------
    reports
        Output of :func:`cftf_analysis.load_reports` (needs ``published_start``,
        ``published_end`` and ``motive_<name>`` columns).
    freq
        Period length: ``"MS"`` (month), ``"QS"`` (quarter, default), ``"6MS"``
        (half year, January and July) or ``"YS"`` (year).
    motives
        Motive names (see :data:`cftf_analysis.vocab.MOTIVES`); default
        :data:`DEFAULT_MOTIVES`.
    conf_level
        Level of the Wilson score interval of each share (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per (period, motive), periods in time order and motives in the
        order given, columns :data:`MOTIVE_SHARE_COLUMNS`:

        - ``period`` (datetime64): first day of the period;
        - ``motive`` (str);
        - ``n_reports`` (int): reports published in the period;
        - ``n_citing`` (int): of those, reports whose text cites the motive;
        - ``share`` (float): ``n_citing / n_reports``; missing (NaN) for a
          period without reports, where no share exists;
        - ``ci_low``, ``ci_high`` (float): Wilson score interval of ``share`` at
          ``conf_level`` (NaN where ``share`` is).

    Notes
    -----
    A report belongs to the period holding the midpoint of its publication
    interval (the rule :func:`cftf_analysis.stats.motives.motive_share_trend`
    uses), so counts are whole numbers. Every period from the first to the
    last report is listed, empty ones included. Motive flags are lower bounds
    (1 = cited in the text read, 0 = not seen), so shares are lower bounds too.

    The Wilson score interval (Wilson 1927) for ``k`` of ``n`` reports, with
    ``p = k / n`` and ``z`` the ``(1 + conf_level) / 2`` normal quantile, is

    ``(p + z²/2n ± z * sqrt(p(1 - p)/n + z²/4n²)) / (1 + z²/n)``,

    the interval of :func:`statsmodels.stats.proportion.proportion_confint`
    with ``method="wilson"``. Unlike the Wald interval it stays inside [0, 1]
    and does not collapse to a point at 0 or 100%, which matters here: a
    quarter holds 5 to 17 reports, and 0 of 5 is compatible with a share of
    up to 43%. It treats reports as independent draws, which they are not
    quite (one outlet or one episode can yield several).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *Journal of the American Statistical Association*
    22(158), 209-212.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> reports = cftf.load_reports()
    >>> shares = motive_shares(reports, freq="YS")
    >>> shares["period"].dt.year.unique().tolist()
    [2014, 2015, 2016, 2017, 2018]
    >>> int(shares.groupby("period")["n_reports"].first().sum()) == len(reports)
    True
    >>> inside = (shares["ci_low"] <= shares["share"]) & (shares["share"] <= shares["ci_high"])
    >>> bool(inside[shares["n_reports"] > 0].all())
    True
    """
    check_literal(freq, Frequency, "freq")
    level = check_fraction(conf_level, "conf_level")
    motives = list(motives)
    for m in motives:
        check_literal(m, MOTIVES, "motive")
    if not motives:
        raise ArgumentError("motives must name at least one motive")
    flags = [f"motive_{m}" for m in motives]
    _require(reports, ["published_start", "published_end", *flags], "reports")
    if reports["published_start"].isna().any() or reports["published_end"].isna().any():
        raise DataValidationError(
            "every report needs a publication date", file="<DataFrame>", column="published_start"
        )
    if reports.empty:
        raise ArgumentError("reports is empty: no shares to compute")
    start, end = reports["published_start"], reports["published_end"]
    mid = start + (end - start) / 2
    k = _MONTHS_PER_PERIOD[freq]
    number = (mid.dt.year * 12 + mid.dt.month - 1) // k * k
    grid = np.arange(number.min(), number.max() + 1, k)
    period = pd.to_datetime({"year": grid // 12, "month": grid % 12 + 1, "day": 1})
    counts = reports[flags].astype("int64").groupby(number.to_numpy()).sum()
    totals = number.value_counts()
    rows = []
    for num, first_day in zip(grid, period, strict=True):
        n = int(totals.get(num, 0))
        for motive, flag in zip(motives, flags, strict=True):
            citing = int(counts[flag].get(num, 0))
            rows.append((first_day, motive, n, citing, citing / n if n else np.nan))
    out = pd.DataFrame(rows, columns=MOTIVE_SHARE_COLUMNS[:5])
    out["n_reports"] = out["n_reports"].astype("int64")
    out["n_citing"] = out["n_citing"].astype("int64")
    out["share"] = out["share"].astype("float64")
    out["ci_low"], out["ci_high"] = wilson_interval(out["n_citing"], out["n_reports"], level)
    out = out[MOTIVE_SHARE_COLUMNS]
    out.attrs["conf_level"] = level
    return out


def wilson_interval(
    k: pd.Series | np.ndarray, n: pd.Series | np.ndarray, conf_level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of the proportion ``k / n`` (NaN where ``n`` is 0).

    Parameters
    ----------
    k, n
        Successes and trials, same length.
    conf_level
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds, as floats.

    Examples
    --------
    >>> low, high = wilson_interval([0, 3], [5, 10])
    >>> [round(float(v), 4) for v in (*low, *high)]
    [0.0, 0.1078, 0.4345, 0.6032]
    """
    level = check_fraction(conf_level, "conf_level")
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    if k.shape != n.shape:
        raise ArgumentError(f"k and n differ in shape: {k.shape} and {n.shape}")
    if np.any(k < 0) or np.any(k > n):
        raise ArgumentError("each k must be between 0 and its n")
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
        # exact at the ends: 0 of n has lower bound 0, n of n upper bound 1
        low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
        high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
        low, high = np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)
    return low, high


def lagged_pairs(panel: pd.DataFrame, *, x: str, y: str = "n_reports", lag: int) -> pd.DataFrame:
    """Pair an indicator at month t with reports at month t + lag.

    Parameters
    ----------
    panel
        Output of :func:`cftf_analysis.monthly_panel` (one row per month, a
        ``month`` column, consecutive months).
    x
        The indicator column, e.g. ``"revenue_total"``. If the panel has
        ``<x>_observed`` / ``<x>_derived`` columns they mark reported points.
    y
        The column paired with ``x`` ``lag`` months later (default ``n_reports``).
    lag
        Months by which ``x`` leads ``y`` (negative: ``y`` leads), the lag
        convention of :func:`cftf_analysis.cross_correlation`.

    Returns
    -------
    pandas.DataFrame
        One row per month with both values present, columns
        :data:`LAGGED_PAIR_COLUMNS`: ``month_x`` and ``month_y`` (month starts,
        ``month_y = month_x + lag`` months), ``lag``, ``x``, ``y`` (panel
        units), ``x_observed`` (True where ``x`` was reported for ``month_x``,
        False where it was interpolated) and ``x_derived`` (True where the
        reported figure was derived from a reported change).

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> panel = cftf.monthly_panel(cftf.load_reports(), cftf.load_indicators())
    >>> pairs = lagged_pairs(panel, x="revenue_total", lag=3)
    >>> pairs[["month_x", "month_y"]].iloc[0].dt.strftime("%Y-%m").tolist()
    ['2015-05', '2015-08']
    >>> int(pairs["x_observed"].sum())
    6
    """
    check_int(lag, "lag")
    _require(panel, ["month", x, y], "panel")
    months = pd.DatetimeIndex(pd.to_datetime(panel["month"])).to_period("M")
    if months.has_duplicates:
        raise DataValidationError("panel has duplicate months", file="<DataFrame>", column="month")
    frame = panel.set_index(months).sort_index()
    grid = pd.period_range(frame.index.min(), frame.index.max(), freq="M")
    frame = frame.reindex(grid)
    xs = pd.to_numeric(frame[x], errors="coerce").astype("float64")
    ys = pd.to_numeric(frame[y], errors="coerce").astype("float64").shift(-int(lag))
    obs_col, der_col = f"{x}_observed", f"{x}_derived"
    observed = frame[obs_col].fillna(False) if obs_col in frame else pd.Series(False, index=grid)
    derived = frame[der_col].fillna(False) if der_col in frame else pd.Series(False, index=grid)
    keep = xs.notna() & ys.notna()
    out = pd.DataFrame(
        {
            "month_x": grid[keep.to_numpy()].to_timestamp(),
            "month_y": (grid[keep.to_numpy()] + int(lag)).to_timestamp(),
            "lag": np.int64(lag),
            "x": xs[keep].to_numpy(),
            "y": ys[keep].to_numpy(),
            "x_observed": observed[keep].to_numpy(dtype=bool),
            "x_derived": derived[keep].to_numpy(dtype=bool),
        },
        columns=LAGGED_PAIR_COLUMNS,
    )
    return out.reset_index(drop=True)


_PARENTHESES = re.compile(r"\s*\([^()]*\)")
_CLAUSE = re.compile(r"\s*(?:;|, incl\.|: )")


def _short_label(text: str, max_chars: int | None) -> str:
    """First clause of an event description without asides, cut at a word boundary."""
    head = _CLAUSE.split(_PARENTHESES.sub("", str(text)), maxsplit=1)[0].strip().rstrip(",.")
    if max_chars is None or len(head) <= max_chars:
        return head
    cut = head[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def timeline_events(
    events: pd.DataFrame,
    *,
    categories: Sequence[str] = ("finance",),
    event_ids: Sequence[str] = (),
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    max_chars: int | None = 60,
) -> pd.DataFrame:
    """Choose, number and label the dated events drawn on a timeline.

    Parameters
    ----------
    events
        Output of :func:`cftf_analysis.load_events`.
    categories
        Event categories to include (``military``, ``finance``, ``governance``,
        ``defection``); default finance events only.
    event_ids
        Further events to include by id, whatever their category (e.g. a few
        major military events).
    start, end
        Only events whose date midpoint falls in ``[start, end]``.
    max_chars
        Longest short label; longer first clauses are cut at a word boundary
        and end in "…". None keeps the whole first clause (the timeline does,
        and wraps it instead).

    Returns
    -------
    pandas.DataFrame
        One row per chosen event in date order, columns :data:`EVENT_KEY_COLUMNS`:
        ``number`` (1, 2, ... in date order), ``event_id``, ``date`` (midpoint
        of the event's date interval), ``date_text`` (as written in the data),
        ``category`` and ``label`` (the first clause of the description
        without parenthesised asides, at most ``max_chars`` characters).

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> key = timeline_events(cftf.load_events(), event_ids=["E002"], end="2014-12-31")
    >>> key[["number", "event_id", "category"]].values.tolist()
    [[1, 'E002', 'military'], [2, 'E008', 'finance']]
    >>> key.loc[0, "label"]
    'Mosul falls to ISIS after Iraqi army collapses'
    """
    _require(events, ["event_id", "date_start", "date_end", "event", "category"], "events")
    unknown = set(event_ids) - set(events["event_id"].astype(str))
    if unknown:
        raise ArgumentError(f"unknown event id(s): {', '.join(sorted(unknown))}")
    if max_chars is not None and max_chars < 8:
        raise ArgumentError(f"max_chars must be at least 8, got {max_chars}")
    date = events["date_start"] + (events["date_end"] - events["date_start"]) / 2
    keep = events["category"].astype(str).isin(list(categories)) | events["event_id"].astype(
        str
    ).isin(list(event_ids))
    if start is not None:
        keep &= date >= pd.Timestamp(start)
    if end is not None:
        keep &= date <= pd.Timestamp(end)
    chosen = events.loc[keep].assign(date=date[keep]).sort_values(["date", "event_id"])
    text = chosen["date_text"] if "date_text" in chosen else chosen["date_start"].dt.date
    out = pd.DataFrame(
        {
            "number": np.arange(1, len(chosen) + 1, dtype="int64"),
            "event_id": chosen["event_id"].astype(str).to_numpy(),
            "date": chosen["date"].to_numpy(),
            "date_text": text.astype(str).to_numpy(),
            "category": chosen["category"].astype(str).to_numpy(),
            "label": [_short_label(t, max_chars) for t in chosen["event"]],
        },
        columns=EVENT_KEY_COLUMNS,
    )
    return out
