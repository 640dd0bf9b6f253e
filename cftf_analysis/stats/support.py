"""Can the data support each analysis of the battery? One row per check, with its number.

A test run on too little evidence does not fail loudly: a cross-correlation of
monthly counts that are mostly zero, or of an indicator interpolated between
two figures, still returns a number. So before the battery runs a step, the
step's checks decide whether the data can carry it, each with the number that
decides and the threshold it is held to. An analysis that fails a check is not
run; it is listed, with the failed check's plain sentence, in the report's
section "Analyses the data cannot support" and in ``data/processed/data_support.csv``.
Every analysis of the battery is therefore either in the findings or in that
list.

The checks (:data:`SUPPORT_COLUMNS` ``check``), and the analyses they apply to:

``observations``
    An indicator's figures with a value or a range, after restatements of one
    estimate are merged and one-sided bounds set aside
    (:func:`~cftf_analysis.observations.indicator_observations`), must number at
    least :data:`MIN_INDICATOR_OBSERVATIONS`: below that the months between
    them are an interpolation between two points, not a series. Indicator
    analyses (cross-correlation, Granger, count model, motive share against the
    indicator).
``decline``
    The question is whether money *drying up* goes with defection: an
    indicator whose figures never fall by :data:`MIN_DECLINE` from an earlier
    to a later one cannot show it.
``span``
    The months from an indicator's first to its last figure must hold at
    least :data:`MIN_SPAN_LAGS` times the largest lag tested (``max_lag``).
``mean_count`` and ``empty_periods``
    The reporting counts where an analysis uses them must average at least
    :data:`MIN_MEAN_COUNT` per period, and at most :data:`MAX_EMPTY_SHARE` of
    the periods may hold less than :data:`EMPTY_BELOW` of a report (reports
    dated only to a span are spread over its months, so counts are
    fractional). The monthly indicator analyses check the months of the
    indicator's span; the interrupted time series check their own window at
    the case's frequency.
``periods_before``, ``periods_after`` and ``periods_between``
    An interrupted time series needs at least :data:`MIN_PERIODS_PER_SIDE`
    periods before its first event and from its last event on, and two events
    with a level change each need as many periods between them, where one has
    begun and the other not.
``residual_df``
    An interrupted time series estimates its quasi-Poisson scale from the
    residual degrees of freedom (periods less coefficients) and tests with a
    normal reference; it needs at least :data:`MIN_RESIDUAL_DF` of them.
``series_length``
    Change points need two segments of the minimum size.
``citing`` and ``not_citing``
    The share of reports citing a motive is modelled by a binomial GLM with one
    slope: at least :data:`MIN_OUTCOMES_PER_PARAMETER` reports must cite the
    motive and as many must not.

Examples
--------
>>> import cftf_analysis as cftf
>>> table = data_support(case="islamic-state")
>>> list(table.columns) == SUPPORT_COLUMNS, bool(table["supported"].all())
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cftf_analysis.errors import CftfError
from cftf_analysis.stats.glm import PERIOD_WORDS
from cftf_analysis.stats.interrupted import MIN_POINTS_PER_SIDE

if TYPE_CHECKING:  # pragma: no cover
    from cftf_analysis.stats.battery import BatteryContext, Step
    from cftf_analysis.stats.draws import IndicatorCache

__all__ = [
    "EMPTY_BELOW",
    "MAX_EMPTY_SHARE",
    "MIN_DECLINE",
    "MIN_INDICATOR_OBSERVATIONS",
    "MIN_MEAN_COUNT",
    "MIN_OUTCOMES_PER_PARAMETER",
    "MIN_PERIODS_PER_SIDE",
    "MIN_RESIDUAL_DF",
    "MIN_SPAN_LAGS",
    "SUPPORT_COLUMNS",
    "count_support",
    "data_support",
    "indicator_analysis_support",
    "indicator_support",
    "period_counts",
    "period_label",
    "residual_df_support",
    "support_row",
    "support_sentences",
    "support_table",
    "unsupported",
]

#: Columns of :func:`data_support`, in order: the step (``analysis``), what it is run on
#: (``indicator``, ``event``: the event ids, or missing), the rule (``check``), whether the
#: data pass it (``supported``), the deciding number (``value``) and the ``threshold`` it is
#: held to, the period of the counts it was measured on (``freq``: ``"MS"`` or ``"QS"``)
#: and the plain sentence (``reason``) with both numbers.
SUPPORT_COLUMNS: list[str] = [
    "analysis",
    "indicator",
    "event",
    "check",
    "supported",
    "value",
    "threshold",
    "freq",
    "reason",
]

#: Fewest figures with a value or a range (restatements merged, bounds set aside) behind an
#: indicator series: the latent model's own minimum
#: (:data:`cftf_analysis.stats.latent.MIN_OBSERVATIONS`; a test keeps them equal). With two
#: figures every month between them is an interpolation between two points.
MIN_INDICATOR_OBSERVATIONS = 3
#: Smallest fall, as a share of the earlier figure, from one figure of an indicator to a later
#: one that counts as a decline. Hedged figures ("about USD 15 million") are rounded to one or
#: two significant digits, which alone moves them by up to about 5-7%; a smaller "decline" is
#: within the rounding of the figures.
MIN_DECLINE = 0.10
#: An indicator's span (months from its first to its last figure) must hold this many times the
#: largest lag tested, so that at the largest lag three quarters of the span is still paired.
MIN_SPAN_LAGS = 4
#: Fewest reports per period, on average, for a test whose reference distribution is normal
#: (Wald tests of Poisson GLMs, correlations of counts). Cochran's (1954) rule for the
#: chi-square approximation asks that no expected count be below 1; McCullagh and Nelder
#: (1989, section 6.2) note that the Poisson deviance and Pearson statistics lose their
#: approximate chi-square distribution at small means.
MIN_MEAN_COUNT = 1.0
#: Largest share of periods holding less than :data:`EMPTY_BELOW` of a report. At a Poisson
#: mean of 1 about 37% of periods are empty; more than half empty means the counts are either
#: sparser than that or clumped in a few periods, and most periods carry no timing.
MAX_EMPTY_SHARE = 0.5
#: A period with fewer reports than this (counts are fractional where a report's date is a
#: span) counts as empty.
EMPTY_BELOW = 0.5
#: Fewest reports citing a motive (and fewest not citing it) per parameter of the binomial
#: GLM of the motive share: Vittinghoff and McCulloch (2007) found 5-9 outcome events per
#: predictor adequate for bias and coverage in logistic regression; below 5 the estimate is
#: unstable or does not exist (with none citing, it does not).
MIN_OUTCOMES_PER_PARAMETER = 5
#: Fewest periods before an event, after it, and between two events of one interrupted time
#: series: the event effect's own minimum
#: (:data:`~cftf_analysis.stats.interrupted.MIN_POINTS_PER_SIDE`).
MIN_PERIODS_PER_SIDE = MIN_POINTS_PER_SIDE
#: Fewest residual degrees of freedom (periods less coefficients) of an interrupted time series.
#: Its quasi-Poisson scale is estimated from them and its Wald test uses a normal reference, so
#: its real size at alpha = 0.05 is about ``P(|t_df| > 1.96)``: 0.12 with 4 degrees of freedom,
#: 0.074 with 12, 0.064 with 20. Twelve keeps it within 1.5 times the nominal 0.05.
MIN_RESIDUAL_DF = 12


def period_label(when: Any, freq: str) -> str:
    """A period in text: ``2022-10`` for a month, ``2022Q4`` for a quarter.

    Examples
    --------
    >>> period_label("2022-11-06", "QS"), period_label("2022-11-06", "MS")
    ('2022Q4', '2022-11')
    """
    stamp = pd.Timestamp(when)
    return str(stamp.to_period("Q")) if freq == "QS" else f"{stamp:%Y-%m}"


def period_counts(counts: pd.Series, freq: str) -> pd.Series:
    """Monthly counts summed to the analysis period, indexed by each period's first day.

    ``freq="MS"`` returns ``counts`` unchanged. With ``"QS"`` each quarter is the
    sum of its months that the series holds: the monthly panel runs from the
    first report to the last, so a quarter's months outside it hold no report.

    Examples
    --------
    >>> months = pd.date_range("2020-02-01", periods=5, freq="MS")
    >>> period_counts(pd.Series([1.0, 0, 2, 0.5, 0], index=months), "QS").tolist()
    [1.0, 2.5]
    """
    if freq == "MS":
        return counts
    index = pd.DatetimeIndex(counts.index)
    out = counts.groupby(index.to_period("Q")).sum(min_count=1)
    out.index = out.index.to_timestamp()
    return out.rename(counts.name)


def support_row(
    analysis: str,
    check: str,
    supported: bool,
    value: float,
    threshold: float,
    reason: str,
    *,
    indicator: str | None = None,
    event: str | None = None,
    freq: str = "MS",
) -> dict[str, Any]:
    """One row of :data:`SUPPORT_COLUMNS`.

    Examples
    --------
    >>> row = support_row("ccf", "span", False, 13, 24, "13 months", indicator="x")
    >>> [row[c] for c in ("analysis", "indicator", "supported", "value")]
    ['ccf', 'x', False, 13.0]
    """
    return {
        "analysis": analysis,
        "indicator": indicator,
        "event": event,
        "check": check,
        "supported": bool(supported),
        "value": float(value),
        "threshold": float(threshold),
        "freq": freq,
        "reason": reason,
    }


def count_support(
    analysis: str,
    counts: pd.Series,
    *,
    freq: str,
    what: str = "reports",
    where: str = "",
    indicator: str | None = None,
    event: str | None = None,
) -> list[dict[str, Any]]:
    """The ``mean_count`` and ``empty_periods`` checks of ``counts`` (one value per period).

    ``where`` names the periods in the sentences ("over the months of revenue").

    Examples
    --------
    >>> months = pd.date_range("2020-01-01", periods=12, freq="MS")
    >>> rows = count_support("ccf", pd.Series([0.0] * 10 + [3.0, 3.0], index=months), freq="MS")
    >>> [(r["check"], r["supported"], round(r["value"], 2)) for r in rows]
    [('mean_count', False, 0.5), ('empty_periods', False, 0.83)]
    """
    word, words = PERIOD_WORDS[freq]
    values = pd.to_numeric(counts, errors="coerce").dropna().to_numpy(float)
    n = values.size
    mean = float(values.mean()) if n else 0.0
    empty = float(np.mean(values < EMPTY_BELOW)) if n else 1.0
    place = f" {where}" if where else ""
    return [
        support_row(
            analysis,
            "mean_count",
            mean >= MIN_MEAN_COUNT,
            mean,
            MIN_MEAN_COUNT,
            f"{mean:.2f} {what} a {word} on average{place} ({n} {words}); a test with a normal "
            f"reference needs at least {MIN_MEAN_COUNT:g} a {word}",
            indicator=indicator,
            event=event,
            freq=freq,
        ),
        support_row(
            analysis,
            "empty_periods",
            empty <= MAX_EMPTY_SHARE,
            empty,
            MAX_EMPTY_SHARE,
            f"{empty:.0%} of the {n} {words}{place} hold less than {EMPTY_BELOW:g} of a report; "
            f"at most {MAX_EMPTY_SHARE:.0%} may",
            indicator=indicator,
            event=event,
            freq=freq,
        ),
    ]


def residual_df_support(
    analysis: str,
    n_obs: int,
    n_coefficients: int,
    *,
    freq: str,
    where: str = "",
    event: str | None = None,
) -> dict[str, Any]:
    """The ``residual_df`` check of a model with ``n_coefficients`` fitted to ``n_obs`` periods.

    Examples
    --------
    >>> row = residual_df_support("event_effects", 8, 4, freq="QS", where="around 2022Q4")
    >>> row["supported"], row["value"], row["threshold"]
    (False, 4.0, 12.0)
    >>> print(row["reason"])  # doctest: +NORMALIZE_WHITESPACE
    8 quarters around 2022Q4 for 4 coefficients leave 4 residual degrees of freedom; the test's
    quasi-Poisson scale needs at least 12
    """
    words = PERIOD_WORDS[freq][1]
    df = n_obs - n_coefficients
    place = f" {where}" if where else ""
    return support_row(
        analysis, "residual_df", df >= MIN_RESIDUAL_DF, df, MIN_RESIDUAL_DF,
        f"{n_obs} {words}{place} for {n_coefficients} coefficients leave {df} residual "
        f"degree{'s' if df != 1 else ''} of freedom; the test's quasi-Poisson scale needs at "
        f"least {MIN_RESIDUAL_DF}",
        event=event, freq=freq,
    )  # fmt: skip


def _observations(
    indicators: pd.DataFrame, spec: Mapping[str, Any], cache: IndicatorCache | None = None
) -> pd.DataFrame:
    """The series' two-sided observations as the latent model reads them."""
    from cftf_analysis.observations import SPECIAL_QUALIFIERS
    from cftf_analysis.stats.draws import IndicatorCache

    obs = (cache if cache is not None else IndicatorCache()).observations(indicators, spec)
    qualifier = obs["qualifier"].astype("string").fillna("")
    return obs[~qualifier.isin(list(SPECIAL_QUALIFIERS)).to_numpy()]


def _largest_fall(obs: pd.DataFrame) -> float:
    """Largest fall from a figure to a later one, as a share of the earlier (NaN below 2)."""
    if len(obs) < 2:
        return math.nan
    value = obs["value"].astype(float)
    centre = np.sqrt(obs["low"].astype(float) * obs["high"].astype(float))
    levels = value.fillna(centre).to_numpy(float)
    middle = obs["month_start"] + (obs["month_end"] - obs["month_start"]) / 2
    levels = levels[np.argsort(middle.to_numpy(), kind="stable")]
    levels = levels[np.isfinite(levels) & (levels > 0)]
    if levels.size < 2:
        return math.nan
    running_max = np.maximum.accumulate(levels)
    return float(np.max(1.0 - levels / running_max))


def indicator_support(
    analysis: str,
    indicators: pd.DataFrame,
    spec: Mapping[str, Any],
    *,
    name: str,
    max_lag: int | None = None,
    decline: bool = True,
    cache: IndicatorCache | None = None,
) -> list[dict[str, Any]]:
    """The ``observations``, ``decline`` and ``span`` checks of one indicator series.

    Parameters
    ----------
    analysis
        The analysis the rows are for.
    indicators
        Output of :func:`~cftf_analysis.load_indicators`.
    spec
        The series: ``{"indicator", "scope", "producer"}``.
    name
        The series' panel column (for the rows and the sentences).
    max_lag
        Largest lag the analysis tests (months); None: no ``span`` check.
    decline
        Check that the series falls (the question is about money drying up).
    cache
        An :class:`~cftf_analysis.stats.draws.IndicatorCache` that reads each
        series once for every battery sharing it (the results are the same).

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> case = cftf.load_case("al-shabaab")
    >>> rows = indicator_support("ccf", case.indicators, case.series["revenue"],
    ...                          name="revenue", max_lag=6)
    >>> [(r["check"], r["supported"], r["value"]) for r in rows]
    [('observations', False, 2.0), ('decline', False, 0.0), ('span', True, 24.0)]
    """
    try:
        obs = _observations(indicators, spec, cache)
    except CftfError as exc:
        return [
            support_row(
                analysis, "observations", False, 0, MIN_INDICATOR_OBSERVATIONS,
                f"the figures of {name} cannot be read as one series: {exc}", indicator=name,
            )
        ]  # fmt: skip
    two_sided = obs[obs["bound"] == "none"]
    n, n_bounds = len(two_sided), len(obs) - len(two_sided)
    ids = ", ".join(two_sided["row_ids"].astype(str)) or "none"
    bounds = f" and {n_bounds} one-sided bound{'s' if n_bounds != 1 else ''}" if n_bounds else ""
    rows = [
        support_row(
            analysis,
            "observations",
            n >= MIN_INDICATOR_OBSERVATIONS and two_sided["month_end"].nunique() >= 2,
            n,
            MIN_INDICATOR_OBSERVATIONS,
            f"{name} has {n} figure{'s' if n != 1 else ''} with a value or a range ({ids})"
            f"{bounds} after restatements are merged; a series needs at least "
            f"{MIN_INDICATOR_OBSERVATIONS}, in at least 2 different months",
            indicator=name,
        )
    ]
    if decline:
        fall = _largest_fall(two_sided)
        shown = "cannot be measured (fewer than 2 figures)" if np.isnan(fall) else f"{fall:.0%}"
        rows.append(
            support_row(
                analysis,
                "decline",
                bool(np.isfinite(fall) and fall >= MIN_DECLINE),
                0.0 if np.isnan(fall) else fall,
                MIN_DECLINE,
                f"the largest fall of {name} from one figure to a later one is {shown}; a "
                f"decline needs at least {MIN_DECLINE:.0%}",
                indicator=name,
            )
        )
    if max_lag is not None and len(obs):
        first, last = obs["month_start"].min(), obs["month_end"].max()
        span = (last.year - first.year) * 12 + last.month - first.month + 1
        need = MIN_SPAN_LAGS * max_lag
        rows.append(
            support_row(
                analysis,
                "span",
                span >= need,
                span,
                need,
                f"the figures of {name} span {span} months ({first:%b %Y}-{last:%b %Y}); lags "
                f"up to {max_lag} months need at least {need}",
                indicator=name,
            )
        )
    return rows


def indicator_analysis_support(
    ctx: BatteryContext, analysis: str, indicator: str, *, max_lag: int | None
) -> list[dict[str, Any]]:
    """The checks of a monthly analysis of ``indicator`` against the report counts.

    :func:`indicator_support` of the series, then :func:`count_support` of the
    monthly counts over the months its figures span (the months the analysis
    uses). The indicator analyses are monthly whatever the case's frequency.
    """
    spec = ctx.specs.get(indicator)
    if spec is None:
        return []
    rows = indicator_support(
        analysis, ctx.indicators, spec, name=indicator, max_lag=max_lag, cache=ctx.cache
    )
    try:
        obs = _observations(ctx.indicators, spec, ctx.cache)
    except CftfError:
        return rows
    counts = ctx.counts_series()
    if len(obs):
        first, last = obs["month_start"].min(), obs["month_end"].max()
        counts = counts[(counts.index >= first) & (counts.index <= last)]
    what = "reports" if ctx.options.counts == "n_reports" else "articles"
    return rows + count_support(
        analysis, counts, freq="MS", what=what, where=f"over the months of {indicator}",
        indicator=indicator,
    )  # fmt: skip


def support_table(ctx: BatteryContext, steps: Iterable[Step]) -> pd.DataFrame:
    """Every check of ``steps`` on the data of ``ctx``: the steps' ``support`` rows.

    A step declares its checks with a method ``support(ctx, indicator)``
    returning rows of :func:`support_row`; per-indicator steps are asked once
    per series of ``ctx.options.pairs``. A step without the method has no checks.
    """
    rows: list[dict[str, Any]] = []
    for step in steps:
        check = getattr(step, "support", None)
        if check is None:
            continue
        targets = ctx.options.pairs if step.per_indicator else (None,)
        for indicator in targets:
            rows.extend(check(ctx, indicator))
    table = pd.DataFrame(rows, columns=SUPPORT_COLUMNS)
    table["supported"] = table["supported"].astype(bool)
    return table


def unsupported(table: pd.DataFrame) -> pd.DataFrame:
    """The failed checks of a :func:`data_support` table (one row per check).

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> failed = unsupported(data_support(case="al-shabaab"))
    >>> sorted(failed["check"].unique())[:3]
    ['citing', 'decline', 'empty_periods']
    """
    return table[~table["supported"].astype(bool)].reset_index(drop=True)


#: Plain names of the default steps' analyses, for the report's sentences.
ANALYSIS_NAMES: dict[str, str] = {
    "ccf": "cross-correlation",
    "granger": "Granger tests",
    "count_model": "count model",
    "change_points": "change points",
    "event_effects": "interrupted time series",
    "competing_event": "interrupted time series with a competing event",
    "combined_events": "interrupted time series of the events together",
    "motive_trends": "motive share",
}


def support_sentences(table: pd.DataFrame) -> list[str]:
    """One plain sentence per failed check: the analyses it stops, its reason and numbers.

    Checks that fail alike for several analyses (the same series, events and
    reason) are one sentence naming them all.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> sentences = support_sentences(data_support(case="al-shabaab"))
    >>> print(sentences[0])  # doctest: +ELLIPSIS
    Cross-correlation, Granger tests, count model and motive share (revenue): revenue has 2 ...
    """
    failed = unsupported(table)
    if failed.empty:
        return []
    keys = ["indicator", "event", "check", "reason"]
    grouped = failed.fillna({"indicator": "", "event": ""}).groupby(keys, sort=False)
    out = []
    for (indicator, event, _check, reason), rows in grouped:
        names = [ANALYSIS_NAMES.get(a, a) for a in dict.fromkeys(rows["analysis"])]
        head = " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
        head = head[0].upper() + head[1:]
        about = [indicator] if indicator else []
        if event:
            about.append(f"event{'s' if ',' in event or '|' in event else ''} {event}")
        if about:
            head += f" ({'; '.join(about)})"
        out.append(f"{head}: {reason}.")
    return out


def data_support(
    reports: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    *,
    case: Any = None,
    events: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    series: Mapping[str, Mapping[str, Any]] | None = None,
    steps: Iterable[str] | None = None,
    pairs: Iterable[str] | None = None,
    max_lag: int = 6,
    counts: str = "n_reports",
    freq: str | None = None,
    interruption: Iterable[str] | None = None,
    competing: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Whether the data can support each analysis of the battery, with the deciding numbers.

    Runs no test: it reads the data as :func:`~cftf_analysis.run_battery`
    would and returns the checks of every registered step (see the module
    documentation for each check, its threshold and why). The battery runs an
    analysis only when all its checks pass and lists the others in the report.

    Parameters
    ----------
    reports, indicators, case, events, coverage, series, steps, pairs, max_lag, counts, freq,
    interruption, competing
        As for :func:`~cftf_analysis.run_battery`.

    Returns
    -------
    pandas.DataFrame
        One row per check, columns :data:`SUPPORT_COLUMNS`: ``analysis`` (the
        step), ``indicator`` and ``event`` (what it is run on, or missing),
        ``check``, ``supported`` (True when the data pass it), ``value`` (the
        deciding number), ``threshold``, ``freq`` (the period the counts were
        measured on) and ``reason`` (a plain sentence with both numbers).
        An analysis is run when all rows of its ``analysis``, ``indicator`` and
        ``event`` are supported.

    Examples
    --------
    >>> table = data_support(case="al-shabaab")
    >>> row = table.set_index(["analysis", "check"]).loc[("ccf", "mean_count")]
    >>> bool(row["supported"]), round(float(row["value"]), 2), float(row["threshold"])
    (False, 0.33, 1.0)
    """
    from cftf_analysis.stats.battery import battery_context, registered_steps

    ctx = battery_context(
        reports,
        indicators,
        case=case,
        events=events,
        coverage=coverage,
        series=series,
        pairs=None if pairs is None else tuple(pairs),
        max_lag=max_lag,
        counts=counts,
        freq=freq,
        interruption=interruption,
        competing=competing,
    )
    available = registered_steps()
    chosen = list(available) if steps is None else list(steps)
    return support_table(ctx, [available[s] for s in chosen if s in available])
