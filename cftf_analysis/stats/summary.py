"""The standard battery for the question, as one tidy table.

:func:`run_battery` runs every test on the bundled (or a user's) data and
keeps the detailed results for figures; :func:`association_summary` turns
them into one row per finding with a plain-language caveat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.panel import monthly_panel
from cftf_analysis.stats._findings import (
    SCALES,
    SUMMARY_COLUMNS,
    _caveat,
    _ccf_rows,
    _change_point_rows,
    _count_rows,
    _event_effects,
    _granger_rows,
    _motive_rows,
    _row,
    _scaled,
    _window,
)
from cftf_analysis.stats.sensitivity import SensitivityResult

__all__ = ["SCALES", "SUMMARY_COLUMNS", "Battery", "association_summary", "run_battery"]


@dataclass
class Battery:
    """Every result behind :func:`association_summary`, kept for figures and notebooks."""

    panel: pd.DataFrame
    summary: pd.DataFrame
    ccf: pd.DataFrame
    granger: pd.DataFrame
    count_models: dict[str, Any]
    change_points: Any
    event_effects: pd.DataFrame
    motive_trends: pd.DataFrame
    sensitivity: dict[str, SensitivityResult] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    counts: str = "n_reports"


def run_battery(
    reports: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    events: pd.DataFrame | None = None,
    pairs: Sequence[str] = ("revenue_total", "territory"),
    max_lag: int = 6,
    count_lag: int = 0,
    n_draws: int = 200,
    seed: int = 20160418,
    alpha: float = 0.05,
    counts: str = "n_reports",
    coverage: pd.DataFrame | None = None,
) -> Battery:
    """Run the standard battery and keep every detailed result.

    See :func:`association_summary` for the parameters; this returns a
    :class:`Battery` whose ``summary`` is that function's table. A test that
    cannot run on the data (an :class:`AnalysisError`) is listed in
    ``Battery.errors`` and left out of the table, never filled with NaN.
    """
    panel = _scaled(monthly_panel(reports, indicators, coverage=coverage))
    if counts not in panel.columns:
        raise ArgumentError(
            f"counts={counts!r} is not a panel column; use 'n_reports' or, with coverage, "
            "'n_articles_defection'"
        )
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    ccf, granger, trends = [], [], []
    models: dict[str, Any] = {}
    sens: dict[str, SensitivityResult] = {}

    def attempt(label: str, func, *args):
        try:
            return func(*args)
        except AnalysisError as exc:
            errors.append(f"{label}: {exc}")
            return None

    for ind in pairs:
        window = _window(panel, ind)
        n_points = float(window[f"{ind}_observed"].sum())
        if out := attempt(
            f"cross-correlation {ind}", _ccf_rows, ind, window, n_points, max_lag, counts
        ):
            ccf.append(out[0])
            rows += out[1]
        if out := attempt(f"Granger {ind}", _granger_rows, ind, window, n_points, max_lag, counts):
            granger.append(out[0])
            rows += out[1]
        args = (ind, window, n_points, count_lag, reports, indicators, n_draws, seed, alpha)
        args += (counts, coverage)
        if out := attempt(f"count model {ind}", _count_rows, *args):
            models[ind], sens[ind] = out[0], out[1]
            rows += out[2]
    series = panel.set_index("month")[counts].dropna()
    cp_out = attempt("change points", _change_point_rows, series, seed)
    if cp_out:
        rows += cp_out[1]
    effects = _event_effects(series, events, errors)
    rows += [
        _row(
            finding=f"finance event {e['event_id']} ({e['event_date']:%Y-%m}): "
            "level change in reports",
            method=str(e["method"]),
            estimate=e["ratio"],
            ci_low=e["ratio_low"],
            ci_high=e["ratio_high"],
            p_value=e["p_value"],
            p_adjusted=e["p_adjusted"],
            n_obs=int(e["n_obs"]),
            caveat=_caveat(
                None, ["Holm-adjusted across finance-event months; other events overlap in time"]
            ),
        )
        for _, e in effects.iterrows()
    ]
    for against in ("time", "revenue_total"):
        if out := attempt(f"motive trend vs {against}", _motive_rows, reports, panel, against):
            trends.append(out[0])
            rows += out[1]
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    for col in ("lag", "n_obs", "n_observed_points"):
        summary[col] = summary[col].astype("Int64")
    return Battery(
        panel=panel,
        summary=summary,
        ccf=pd.concat(ccf, ignore_index=True) if ccf else pd.DataFrame(),
        granger=pd.concat(granger, ignore_index=True) if granger else pd.DataFrame(),
        count_models=models,
        change_points=cp_out[0] if cp_out else None,
        event_effects=effects,
        motive_trends=pd.concat(trends, ignore_index=True) if trends else pd.DataFrame(),
        sensitivity=sens,
        errors=errors,
        counts=counts,
    )


def association_summary(
    reports: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    events: pd.DataFrame | None = None,
    pairs: Sequence[str] = ("revenue_total", "territory"),
    max_lag: int = 6,
    count_lag: int = 0,
    n_draws: int = 200,
    seed: int = 20160418,
    alpha: float = 0.05,
    counts: str = "n_reports",
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The standard battery for "does financial decline precede defection reporting?".

    Parameters
    ----------
    reports, indicators
        Outputs of :func:`~cftf_analysis.load_reports` and
        :func:`~cftf_analysis.load_indicators`.
    events
        Output of :func:`~cftf_analysis.load_events`; finance events get an
        interrupted-time-series test each (Holm-adjusted across events).
    pairs
        Panel indicator series to test against monthly report counts.
    max_lag
        Largest lag (months) for the cross-correlation; Granger tests lags up
        to ``min(max_lag, 3)`` and picks one by AIC (the series are short).
    count_lag
        Lag of the indicator in the count model.
    n_draws
        Draws for the sensitivity rows.
    seed
        Seed for every resampling step, so the table is reproducible.
    alpha
        Significance level used in the sensitivity share.
    counts
        The monthly reporting series: ``"n_reports"`` (the coded reports) or,
        with ``coverage``, ``"n_articles_defection"`` (articles reporting
        defection in a news archive, from :func:`~cftf_analysis.count_corpus`).
    coverage
        Per-period article counts from :func:`~cftf_analysis.count_corpus`;
        when given, the count model uses ``log(n_articles_topic)`` (all
        articles covering the group) as its exposure offset.

    Returns
    -------
    pandas.DataFrame
        One row per finding, columns :data:`SUMMARY_COLUMNS`: ``finding``
        (plain words), ``method``, ``indicator``, ``lag`` (months, indicator
        leading), ``estimate`` with ``ci_low``/``ci_high`` (what the
        estimate is depends on the method and is said in ``finding`` or
        ``caveat``: a correlation, an F statistic, a rate or odds ratio),
        ``p_value``, ``p_adjusted`` (where a family of tests was run),
        ``n_obs`` (months or reports), ``n_observed_points`` (reported, not
        interpolated, indicator months behind the finding) and ``caveat``.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> table = association_summary(cftf.load_reports(), cftf.load_indicators(), n_draws=20)
    >>> list(table.columns) == SUMMARY_COLUMNS
    True
    >>> bool(table["caveat"].str.len().gt(0).all())
    True
    """
    return run_battery(
        reports,
        indicators,
        events=events,
        pairs=pairs,
        max_lag=max_lag,
        count_lag=count_lag,
        n_draws=n_draws,
        seed=seed,
        alpha=alpha,
        counts=counts,
        coverage=coverage,
    ).summary
