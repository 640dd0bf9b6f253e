"""The report's figures: what to draw, how to caption it, and where to save it.

:data:`FIGURES` lists the report's figures in order, each a
:class:`FigureSpec` whose builder draws it from a
:class:`~cftf_analysis.stats.battery.Battery` (reading the steps' results by
name) and writes a one-sentence caption computed from the same tables the
figure shows. :func:`make_figure` draws one; :func:`render_figures` draws,
saves (PNG at 300 dpi and SVG) and captions them all.

Examples
--------
>>> import cftf_analysis as cftf
>>> battery = cftf.run_battery(cftf.load_reports(), cftf.load_indicators(),
...                            steps=["change_points"])
>>> fig, caption = make_figure("change_points", battery)
>>> caption.startswith("Optimal Poisson segmentation")
True
>>> import matplotlib.pyplot as plt; plt.close(fig)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cftf_analysis.errors import ArgumentError
from cftf_analysis.figures.changepoints import edge_breaks, plot_change_points
from cftf_analysis.figures.crosscorr import cross_correlation_figure
from cftf_analysis.figures.effects import plot_rate_ratios
from cftf_analysis.figures.motives import plot_motive_shares
from cftf_analysis.figures.power import plot_power_curves
from cftf_analysis.figures.scatter import plot_lagged_scatter
from cftf_analysis.figures.sensitivity import sensitivity_figure
from cftf_analysis.figures.speccurve import (
    CHOICE_LABELS,
    VALUE_LABELS,
    specification_curve_figure,
)
from cftf_analysis.figures.theme import (
    PAGE_WIDTH,
    SOURCE_REPORTS,
    add_source,
    displaying,
    report_theme,
    save_figure,
    unit_display,
)
from cftf_analysis.figures.timeline import timeline_figure
from cftf_analysis.stats.battery import LATENT_OBSERVATION_COLUMNS, Battery
from cftf_analysis.stats.findings import scale_of
from cftf_analysis.stats.multiverse_result import FINDING_WORDS
from cftf_analysis.stats.support import period_counts
from cftf_analysis.tables import lagged_pairs, motive_shares

__all__ = ["FIGURES", "FigureRecord", "FigureSpec", "make_figure", "render_figures"]

#: Level of the intervals of the battery's cross-correlations and count models
#: (the steps call ``cross_correlation`` and ``CountModelResult.tidy`` with their
#: default ``conf_level``; tests recompute the intervals at this level).
CONF_LEVEL = 0.95
#: How the cross-correlation step adjusts its p-values across lags.
CCF_ADJUSTMENT = {"maxT": "maxT-adjusted", "Holm": "Holm-adjusted"}


@dataclass
class FigureRecord:
    """One saved figure: its file stem, title, caption and the files written."""

    name: str
    title: str
    caption: str
    paths: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class FigureSpec:
    """One report figure: its file stem, title, builder and the steps it reads.

    ``build(battery)`` returns the Figure and its caption; the figure is drawn
    only when every step in ``requires`` ran and produced a table or a model,
    and ``available(battery)`` (when given) is true. ``quarterly_title``
    replaces ``title`` when the battery ran on quarters; ``titled(battery)``,
    when given, names what the battery holds (its series).
    """

    name: str
    title: str
    build: Callable[[Battery], tuple[Figure, str]]
    requires: tuple[str, ...] = ()
    quarterly_title: str | None = None
    titled: Callable[[Battery], str] | None = None
    available: Callable[[Battery], bool] | None = None

    def title_for(self, battery: Battery) -> str:
        """The figure's title for ``battery`` (its series and analysis period)."""
        if self.titled is not None:
            return self.titled(battery)
        if battery.options.freq == "QS" and self.quarterly_title:
            return self.quarterly_title
        return self.title

    def drawable(self, battery: Battery) -> bool:
        """Whether ``battery`` holds what this figure needs."""
        if not all(battery.has(s) for s in self.requires):
            return False
        return self.available is None or bool(self.available(battery))


def _peak_rows(battery: Battery) -> pd.DataFrame:
    return battery["ccf"].rows.set_index("indicator")


def _name(battery: Battery, indicator: str) -> str:
    """A series in running text: its label, lower case."""
    info = battery.series.get(indicator)
    return info.label.lower() if info is not None else indicator.replace("_", " ")


def _source_all(battery: Battery) -> str:
    """The figures' source line: the reports, and each series' producer."""
    producers = "; ".join(
        f"{info.label.lower()}: {info.producer}"
        for info in battery.series.values()
        if info.producer
    )
    return "Sources: defection reports compiled from public reporting" + (
        f"; {producers}." if producers else "."
    )


def _covariate_labels(battery: Battery) -> dict[str, str]:
    """Count-model term -> "Label (per step)" for each series' rescaled covariate."""
    lag = battery.options.count_lag
    out = {}
    for name, info in battery.series.items():
        scale = scale_of(info.unit)
        step = scale.step.replace(" per month", " a month").replace("km2", "km²")
        out[f"{name}_{scale.suffix}_lag{lag}"] = f"{info.label} (per {step})"
    return out


def _display(battery: Battery) -> dict[str, tuple[str, float, str]]:
    """How each series is labelled in the figures (its label, and its unit shown)."""
    shown = {name: unit_display(info.label, info.unit) for name, info in battery.series.items()}
    for name, info in battery.series.items():
        scale = scale_of(info.unit)
        shown[f"{name}_{scale.suffix}"] = (f"{info.label} (per {scale.step})", 1.0, "")
    return shown


def _points(n_reported: int, n_derived: int) -> str:
    """``5 reported figures and 1 derived from a reported change`` (as the legends count them)."""
    text = f"{n_reported} reported figure{'s' if n_reported != 1 else ''}"
    if n_derived:
        text += f" and {n_derived} derived from a reported change"
    return text


def _timeline_title(battery: Battery) -> str:
    """``Timeline: reports, revenue, territory and events`` with the battery's own series."""
    names = [info.label.lower() for info in battery.series.values()]
    return "Timeline: " + _and(["reports", *names, "events"])


def _reported(battery: Battery, name: str) -> pd.DataFrame | None:
    """The observations of series ``name`` as reported (None when they cannot be read)."""
    from cftf_analysis.errors import CftfError
    from cftf_analysis.observations import indicator_observations

    info = battery.series[name]
    try:
        obs = indicator_observations(
            battery.indicators, info.indicator, scope=info.scope, producer=info.producer
        )
    except CftfError:
        return None
    value = pd.to_numeric(obs["value"], errors="coerce")
    centre = (
        pd.to_numeric(obs["low"], errors="coerce") + pd.to_numeric(obs["high"], errors="coerce")
    ) / 2
    obs = obs.assign(value=value.fillna(centre))
    return obs[obs["value"].notna()].reset_index(drop=True)


def _period_text(obs: pd.Series) -> str:
    """A period: ``2020`` (a year), ``Mar 2020``, ``Jan-Jun 2020``, ``Jul 2019-Mar 2020``."""
    start, end = pd.Timestamp(obs["month_start"]), pd.Timestamp(obs["month_end"])
    if start.year == end.year and start.month == 1 and end.month == 12:
        return f"{start:%Y}"
    if start == end:
        return f"{start:%b %Y}"
    if start.year == end.year:
        return f"{start:%b}-{end:%b %Y}"
    return f"{start:%b %Y}-{end:%b %Y}"


def _too_few_figures(battery: Battery) -> set[str]:
    """Series with too few figures to be a series (their ``observations`` check failed)."""
    support = battery.support
    if support.empty:
        return set()
    failed = support[(support["check"] == "observations") & ~support["supported"]]
    return set(failed["indicator"].dropna())


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


@dataclass(frozen=True)
class _Fit:
    """What the figures show of a latent fit: its observations and its band's level."""

    observations: pd.DataFrame
    conf_level: float


def _latent(battery: Battery, name: str) -> _Fit | None:
    """The latent fit behind series ``name``, or None (interpolated, failed or not drawn).

    Read from :attr:`Battery.latent_observations`, a table, so that a battery
    read back from a report's files draws the same figures.
    """
    table = battery.latent_observations
    rows = table[table["series"] == name]
    if rows.empty:
        return None
    own = [c for c in rows.columns if c not in LATENT_OBSERVATION_COLUMNS]
    return _Fit(rows[own].reset_index(drop=True), float(rows["conf_level"].iloc[0]))


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _observation_kinds(obs: pd.DataFrame) -> list[str]:
    """``3 averages over several months, 1 upper bound ("at most"), ...`` (the marks' counts)."""
    low, high = obs["low"].astype(float), obs["high"].astype(float)
    counts = [
        (int((obs["month_end"] > obs["month_start"]).sum()),
         "average over several months", "averages over several months"),
        (int((low.notna() & high.notna() & (high > low)).sum()), "range", "ranges"),
        (int((obs["bound"] == "lower").sum()),
         'lower bound ("at least")', 'lower bounds ("at least")'),
        (int((obs["bound"] == "upper").sum()),
         'upper bound ("at most")', 'upper bounds ("at most")'),
        (int(obs["derived"].astype(bool).sum()), "derived from a reported change",
         "derived from a reported change"),
        (int(obs["restated"].astype(bool).sum()), "restated", "restated"),
    ]  # fmt: skip
    return [_plural(n, one, many) for n, one, many in counts if n]


#: How the timeline's caption names each mark of the observations (in the legend's order).
_MARK_WORDS = (
    ("period", "segments: averages over the months they span"),
    ("range", "vertical bars: ranges"),
    ("lower", "up arrows: lower bounds"),
    ("upper", "down arrows: upper bounds"),
    ("restated", "rings: one estimate published more than once, counted once"),
    ("derived", "open squares: levels derived from a reported change"),
)


def _timeline(battery: Battery) -> tuple[Figure, str]:
    panel, events = battery.panel, battery.events
    major = battery.case.major_events if battery.case is not None else ()
    known = [e for e in major if events is not None and e in set(events["event_id"])]
    fits = {name: fit for name in battery.series if (fit := _latent(battery, name)) is not None}
    too_few = _too_few_figures(battery)
    # a series with too few figures is drawn as they were reported: no line, no model
    sparse = {
        name: obs
        for name in battery.series
        if name in too_few and name not in fits
        if (obs := _reported(battery, name)) is not None
    }
    fig = timeline_figure(
        panel,
        reports=battery.reports,
        events=events,
        event_ids=known,
        series=tuple(battery.series),
        observations={**{name: fit.observations for name, fit in fits.items()}, **sparse},
        band_level={name: fit.conf_level for name, fit in fits.items()},
        source=_source_all(battery),
        unjoined=[name for name in battery.series if name in too_few and name not in fits],
    )
    peak = panel.loc[panel["n_reports"].idxmax()]
    text = (
        "Monthly defection reports (bars; a report dated only to a span is spread over its "
        "months, so counts can be fractional; whiskers: from the reports certainly to those "
        f"possibly in the month) peak at {peak['n_reports']:.1f} in {peak['month']:%B %Y}"
    )
    if fits:
        levels = _and(sorted({f"{fit.conf_level:.0%}" for fit in fits.values()}))
        obs = pd.concat([fit.observations for fit in fits.values()], ignore_index=True)
        present = {
            "period": (obs["month_end"] > obs["month_start"]).any(),
            "range": (obs["high"].astype(float) > obs["low"].astype(float)).any(),
            "lower": (obs["bound"] == "lower").any(),
            "upper": (obs["bound"] == "upper").any(),
            "restated": obs["restated"].astype(bool).any(),
            "derived": obs["derived"].astype(bool).any(),
        }
        marks = "; ".join(words for kind, words in _MARK_WORDS if present[kind])
        which = "Each indicator" if len(fits) == len(battery.series) else "Each latent indicator"
        text += (
            f". {which} is drawn as the median monthly path of its latent model with a "
            f"{levels} band (shaded), and its observations on it at their values (dots"
            + (f"; {marks}" if marks else "")
            + ")"
        )
    parts = [text]
    for name, info in battery.series.items():
        _, scale, unit = unit_display(info.label, info.unit)
        unit = unit.replace(" per month", " a month")
        who = f"{info.producer} " if info.producer else ""
        fit = fits.get(name)
        if fit is not None:
            obs = fit.observations
            two_sided = obs[obs["bound"] == "none"]
            value = (
                two_sided["value"]
                .astype(float)
                .fillna((two_sided["low"].astype(float) + two_sided["high"].astype(float)) / 2)
            )
            kinds = _observation_kinds(obs)
            parts.append(
                f"{who}{info.label.lower()} goes from {value.iloc[0] / scale:.0f} to "
                f"{value.iloc[-1] / scale:.0f} {unit} ({len(obs)} observations, "
                f"{obs['month_start'].min():%b %Y}-{obs['month_end'].max():%b %Y}"
                + (f": {', '.join(kinds)})" if kinds else ")")
            )
            continue
        if name in sparse:
            reported = sparse[name]
            two_sided = reported[reported["bound"] == "none"]
            values = _and([f"{v / scale:.0f}" for v in two_sided["value"].astype(float)])
            periods = _and([_period_text(r) for _, r in two_sided.iterrows()])
            n_bounds = len(reported) - len(two_sided)
            bounds = f" and {n_bounds} one-sided bound{'s' if n_bounds != 1 else ''}"
            parts.append(
                f"{who}{info.label.lower()}: {_points(len(two_sided), 0)} ({values} {unit}; "
                f"{periods}){bounds if n_bounds else ''}, too few for a series, so drawn as "
                "reported and not joined"
            )
            continue
        obs = panel[panel[f"{name}_observed"]]
        if len(obs) >= 2:
            first, last = obs.iloc[0], obs.iloc[-1]
            n_derived = int(obs[f"{name}_derived"].fillna(False).sum())
            parts.append(
                f"{who}{info.label.lower()} goes from {first[name] / scale:.0f} to "
                f"{last[name] / scale:.0f} {unit} ({first['month']:%b %Y}-{last['month']:%b %Y}, "
                f"{_points(len(obs) - n_derived, n_derived)}; line: interpolated between them)"
            )
    shown = [ax for ax in fig.axes if ax.get_label() == "events"]
    n_events = len(shown[0].texts) if shown else 0
    tail = (
        f"; the {n_events} numbered lines are dated events, listed in the key."
        if n_events
        else "."
    )
    if len(parts) > 1:
        text += (": " if fits else "; ") + "; ".join(parts[1:])
    return fig, text + tail


def _ccf(battery: Battery) -> tuple[Figure, str]:
    ccf = battery["ccf"].table
    tables = {ind: g.drop(columns="indicator") for ind, g in ccf.groupby("indicator", sort=False)}
    alpha = battery.options.alpha
    methods = " ".join(battery["ccf"].rows["method"])
    adjustment = CCF_ADJUSTMENT["maxT" if "maxT" in methods else "Holm"]
    fig = cross_correlation_figure(
        tables,
        alpha=alpha,
        conf_level=CONF_LEVEL,
        adjustment=adjustment,
        source=_source_all(battery),
    )
    peaks = _peak_rows(battery)
    n_lags = ccf.groupby("indicator")["lag"].size().max()
    found = "; ".join(
        f"{_name(battery, ind)} at lag {int(r['lag'])} (r = {r['estimate']:.2f}, "
        f"{adjustment} p = {r['p_adjusted']:.2f}, {int(r['n_observed_points'])} "
        f"observations): a falling {_name(battery, ind)} went with "
        f"{'fewer' if r['estimate'] > 0 else 'more'} reports"
        for ind, r in peaks.iterrows()
    )
    return fig, (
        "Cross-correlation of each prewhitened indicator with monthly reports (positive lag: "
        f"the indicator leads; bars: {CONF_LEVEL:.0%} intervals for each lag on its own; black "
        f"markers: {adjustment} p < {alpha:g} across the {n_lags} lags, grey: p < {alpha:g} "
        "at that lag alone). A negative r at a positive lag means a falling indicator was "
        "followed by more reports, which is what the question expects of falling money; a "
        f"positive r, by fewer. The strongest lags are {found}."
    )


def _months(n_observed: int, n_derived: int) -> str:
    """``9 months with an observation and 1 with a derived level`` (as the legend counts them)."""
    text = f"{n_observed} month{'s' if n_observed != 1 else ''} with an observation"
    if n_derived:
        text += f" and {n_derived} with a derived level"
    return text


def _scatter(battery: Battery) -> tuple[Figure, str]:
    peaks = _peak_rows(battery)
    fig, axes = plt.subplots(1, len(peaks), figsize=(PAGE_WIDTH, 3.8), layout="constrained")
    axes = [axes] if len(peaks) == 1 else list(axes)
    notes = []
    latent = []
    for ax, (ind, row) in zip(axes, peaks.iterrows(), strict=True):
        lag = int(row["lag"])
        plot_lagged_scatter(battery.panel, x=ind, lag=lag, ax=ax)
        pairs = lagged_pairs(battery.panel, x=ind, lag=lag)
        n_derived = int((pairs["x_observed"] & pairs["x_derived"]).sum())
        n_observed = int(pairs["x_observed"].sum()) - n_derived
        when = f"{lag} months earlier" if lag else "in the same month"
        notes.append(f"{_name(battery, ind)} {when} ({_months(n_observed, n_derived)})")
        latent.append(_latent(battery, ind) is not None)
    add_source(fig, _source_all(battery))
    if all(latent):
        between = "the latent model's posterior median"
    elif not any(latent):
        between = "interpolated between the observations"
    else:
        between = "the latent model's posterior median or interpolated"
    return fig, (
        "Monthly reports against " + " and ".join(notes) + ", at the lag where the "
        "cross-correlation is strongest. Filled markers are months an observation of the "
        "indicator touches (a figure for a period marks each of its months), labelled with "
        "that month (t); open circles are months between observations, whose indicator value "
        f"is {between}, not an observation. Counts are fractional where a report dated only "
        "to a span is spread over its months."
    )


def _motives(battery: Battery) -> tuple[Figure, str]:
    reports = battery.reports
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.6), layout="constrained")
    shares = motive_shares(reports, conf_level=CONF_LEVEL)
    min_reports = 5
    plot_motive_shares(shares, min_reports=min_reports, ax=ax)
    add_source(fig, SOURCE_REPORTS)
    share = reports.filter(like="motive_").mean()
    drawn = shares[(shares["motive"] == "financial") & (shares["n_reports"] >= min_reports)]
    text = (
        "Quarterly share of reports citing each motive (drawn for quarters with at least "
        f"{min_reports} reports; the financial share, the one the question is about, on top "
        f"with its {CONF_LEVEL:.0%} Wilson interval); over all reports violence is cited in "
        f"{share['motive_violence']:.0%}, ideology in {share['motive_ideology']:.0%} and "
        f"financial motives in {share['motive_financial']:.0%} (flags are lower bounds)."
    )
    if drawn.empty:
        return fig, f"{text} No quarter has {min_reports} reports, so no share is drawn."
    widest = drawn.loc[(drawn["ci_high"] - drawn["ci_low"]).idxmax()]
    low, high = drawn["n_reports"].min(), drawn["n_reports"].max()
    if len(drawn) == 1:
        per = f"{low} reports in the one quarter drawn the interval is"
    else:
        per = (
            f"{low}-{high} reports a quarter the intervals are"
            if low < high
            else (f"{low} reports a quarter the intervals are")
        )
    return fig, (
        f"{text} With {per} wide: {widest['n_citing']} of {widest['n_reports']} reports "
        f"citing money is compatible with a share from {widest['ci_low']:.0%} to "
        f"{widest['ci_high']:.0%}."
    )


def p_text(p: float) -> str:
    """A p-value for a caption: ``"p = 0.47"``, or ``"p < 0.01"`` below 0.01.

    Examples
    --------
    >>> p_text(0.4737), p_text(0.004)
    ('p = 0.47', 'p < 0.01')
    """
    return "p < 0.01" if p < 0.01 else f"p = {p:.2f}"


def _change_points(battery: Battery) -> tuple[Figure, str]:
    # the step's tables, not its model: a battery read back from files has only those
    result = battery["change_points"]
    segments, test = result.table, result.tables["change_point_test"]
    freq = battery.options.freq
    per = "quarter" if freq == "QS" else "month"
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.4), layout="constrained")
    series = result.models.get("counts")
    if series is None:  # read back from files: the counts at the step's frequency
        series = period_counts(battery.panel.set_index("month")[battery.counts].dropna(), freq)
    ylabel = {"n_reports": f"Defection reports per {per}"}.get(
        battery.counts, f"Articles reporting defection per {per}"
    )
    plot_change_points(series, segments, test=test, ylabel=ylabel, ax=ax, freq=freq)
    add_source(fig, SOURCE_REPORTS)
    seg = segments.sort_values("segment")
    edges = edge_breaks(seg)
    starts = [pd.Timestamp(s) for s in seg["start"].iloc[1:]]
    own = result.tables["change_point_breaks"].set_index("break")["p_adjusted"]

    def named(s: pd.Timestamp) -> str:
        when = str(s.to_period("Q")) if freq == "QS" else f"{s:%b %Y}"
        return f"{when} ({p_text(own.loc[s])})" if s in own.index else when

    inner = _and([named(s) for s, e in zip(starts, edges, strict=True) if not e])
    outer = _and([named(s) for s, e in zip(starts, edges, strict=True) if e])
    means = ", ".join(f"{m:.1f}" for m in seg["mean"])
    p = float(test["p_value"].iloc[0])
    text = (
        f"Optimal Poisson segmentation of {per}ly reports (permutation p = "
        f"{p:.3f} for the whole segmentation against none; each break's own p-value, "
        "Holm-adjusted across the breaks, in brackets): "
    )
    text += f"breaks at {inner}" if inner else "no break inside the collection"
    if outer:
        text += (
            f"; the breaks at {outer} (grey, dash-dot) bound edge segments whose level is below "
            "every interior segment's, where the collection starts or thins out rather than, "
            "necessarily, where reporting changed"
        )
    return fig, f"{text}; segment means {means} reports a {per}."


def _pooled_tidy(battery: Battery) -> pd.DataFrame:
    """The count models' pooled coefficients, one term name per covariate and trend."""
    table = battery["count_model"].table
    lag = battery.options.count_lag
    parts = []
    for ind, rows in table.groupby("indicator", sort=False):
        suffix = scale_of(battery.series[ind].unit).suffix
        names = {"indicator": f"{ind}_{suffix}_lag{lag}", "trend": f"trend ({ind} model)"}
        parts.append(rows.assign(term=rows["term"].map(names).fillna(rows["term"])))
    return pd.concat(parts, ignore_index=True)


def _rate_ratios(battery: Battery) -> tuple[Figure, str]:
    tidy = _pooled_tidy(battery)
    models = list(dict.fromkeys(battery["count_model"].table["indicator"]))
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.2), layout="constrained")
    trends = {f"trend ({i} model)": f"Per month ({_name(battery, i)} model)" for i in models}
    covariates = [t for t in tidy["term"] if t != "intercept" and t not in trends]
    named = _covariate_labels(battery)
    labels = {**named, **trends}
    groups = {
        "Indicators (one model each)": covariates,
        "Linear trend (adjustment)": list(trends),
    }
    plot_rate_ratios(tidy, labels=labels, groups=groups, conf_level=CONF_LEVEL, ax=ax)
    add_source(fig, _source_all(battery))
    covs = tidy[tidy["term"].isin(named)]
    text = "; ".join(
        f"{named[r['term']].split(' (')[0].lower()} {r['irr']:.2f} [{r['irr_low']:.2f}, "
        f"{r['irr_high']:.2f}] {named[r['term']].split(' (')[1].rstrip(')')}, "
        f"p = {r['p_value']:.2f}"
        for _, r in covs.iterrows()
    )
    n_draws = int(battery["count_model"].table["n_draws"].min())
    monte_carlo = "Monte Carlo" in " ".join(battery["count_model"].rows["method"])
    judged = (
        "p-values judged against unrelated series observed the same way, as the intervals, "
        "which treat the months as independent, are not"
        if monte_carlo
        else "Rubin's p-values"
    )
    return fig, (
        "Rate ratios of monthly reports (the factor by which the expected number of reports a "
        "month changes per step of the indicator) from quasi-Poisson GLMs with a linear trend, "
        f"fitted on {n_draws} joint draws of the report dates and the indicator's path and "
        f"pooled by Rubin's rules ({CONF_LEVEL:.0%} intervals; {judged}), one model per "
        f"indicator: {text}. A ratio below 1 means fewer reports where the indicator is "
        "higher; the trend rows are the models' adjustment for time, not findings."
    )


def _sensitivity(battery: Battery) -> tuple[Figure, str]:
    tables = battery["count_model"].tables
    rows = battery["count_model"].rows.set_index("indicator")
    inds = [i for i in rows.index if f"count_model_draws_{i}" in tables]
    draws = pd.concat(
        [
            tables[f"count_model_draws_{i}"].assign(finding=f"{i}_irr")[
                ["draw", "finding", "estimate", "p_value"]
            ]
            for i in inds
        ],
        ignore_index=True,
    )
    observed = pd.DataFrame(
        {
            "finding": [f"{i}_irr" for i in inds],
            "estimate": [rows.loc[i, "estimate"] for i in inds],
            "p_value": [rows.loc[i, "p_value"] for i in inds],
        }
    )
    named = _covariate_labels(battery)
    lag = battery.options.count_lag
    labels = {}
    for ind in inds:
        info = battery.series[ind]
        term = f"{ind}_{scale_of(info.unit).suffix}_lag{lag}"
        unit = named[term].partition(" (")[2].rstrip(")")
        labels[f"{ind}_irr"] = f"{info.label} rate ratio ({unit})"
    fig = sensitivity_figure(
        draws,
        observed=observed,
        labels=labels,
        middle=CONF_LEVEL,
        source=_source_all(battery),
        observed_label="The finding: pooled estimate (left), its p-value (right)",
    )
    alpha = battery.options.alpha
    parts = []
    for ind in inds:
        values = draws.loc[draws["finding"] == f"{ind}_irr", "estimate"].dropna()
        row = rows.loc[ind]
        parts.append(
            f"{_name(battery, ind)} {row['draws_q025']:.2f}-{row['draws_q975']:.2f} (all draws "
            f"{values.min():.2f}-{values.max():.2f}; {row['share_significant']:.0%} of draws "
            f"with p < {alpha:g} on their own; pooled {row['estimate']:.2f})"
        )
    n = int(draws.groupby("finding").size().min())
    return fig, (
        f"Rate ratios in each of {n} joint draws of the data (report dates drawn within their "
        "intervals, the indicator's monthly path drawn from its latent model or interpolation): "
        f"the middle {CONF_LEVEL:.0%} of the draws (shaded) lies in {'; '.join(parts)}; the "
        "black line on the left is the pooled estimate (Rubin's rules). On the right, each "
        "draw's own GLM p-value, which treats the months as independent and so is too small "
        "on smooth series; the black line there is the finding's p-value, judged against "
        "unrelated series observed the same way."
    )


#: How the specification curve's caption names each choice it varies.
_CHOICE_WORDS = {
    "indicator_model": "the indicator model",
    "producer": "the producer",
    "date": "the date a report counts at",
    "collection": "the reports counted",
    "counts": "what is counted",
}


def _or(items: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return " or ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def _choice_text(choice: str, values: tuple) -> str:
    if choice == "max_lag":
        return f"the cross-correlation's largest lag ({_or([str(v) for v in values])} months)"
    if choice == "producer":
        return (
            "the producer (the case file's, or each other producer whose figures can be modelled)"
        )
    words = [VALUE_LABELS.get(v, str(v)) for v in values]
    return f"{_CHOICE_WORDS.get(choice, choice)} ({_or(words)})"


def _skipped_text(mv) -> list[str]:
    """Choices the case could not vary, each with a short reason."""
    out = []
    skipped = mv.skipped
    if "other" not in mv.choices.get("producer", ()) and (skipped["choice"] == "producer").any():
        out.append("another producer (no series has one whose figures can be modelled)")
    for _, row in skipped[skipped["choice"] != "producer"].iterrows():
        out.append(f"{VALUE_LABELS.get(row['value'], str(row['value']))} ({row['reason']})")
    return out


def _specification_curve(battery: Battery) -> tuple[Figure, str]:
    mv = battery.multiverse
    labels = {name: info.label for name, info in battery.series.items()}
    fig = specification_curve_figure(
        mv.table, shares=mv.shares, labels=labels, alpha=mv.alpha, source=_source_all(battery)
    )
    varied = [_choice_text(c, v) for c, v in mv.choices.items() if len(v) > 1]
    parts = []
    for _, row in mv.shares.iterrows():
        finding = FINDING_WORDS.get(row["finding"], row["finding"])
        what = f"{_name(battery, row['indicator'])} {finding}"
        if pd.isna(row["n_holds"]):
            parts.append(f"{what}: no reference estimate ({int(row['n_specs'])} specifications)")
            continue
        parts.append(
            f"{what} in {int(row['n_holds'])} of {int(row['n_specs'])} "
            f"({row['share_holds']:.0%}; the same sign in {int(row['n_same_sign'])})"
        )
    opts = battery.options
    text = (
        "Each indicator finding under every combination of the analysis choices that apply to "
        f"this case: {_and(varied)}. Each specification pools {mv.n_draws} joint draws and "
        f"judges its p-value against {mv.n_null} simulated unrelated indicators (Rubin's "
        "p-value with an interpolation, which is too small on sparse series; the findings "
        f"above pool {opts.n_draws} draws against {opts.n_null}). Specifications are sorted "
        f"by estimate, with {CONF_LEVEL:.0%} intervals cut at the axis limits; filled: "
        f"p < {mv.alpha:g} (the cross-correlation's adjusted across its lags); the matrix "
        "below marks each specification's choices; in colour, the reference specification "
        "(the findings' own choices). A finding holds where it is significant with the "
        f"reference's sign: the {'; the '.join(parts)}."
    )
    skipped = _skipped_text(mv)
    if skipped:
        text += f" Not varied: {'; '.join(skipped)}."
    failed = mv.n_specs - mv.n_ran
    if failed:
        text += (
            f" {failed} of {mv.n_specs} specifications{_which_failed(mv)} could not compute "
            "every finding and are not drawn (data/processed/multiverse_specs.csv gives the "
            "reasons)."
        )
    return fig, text


def _which_failed(mv) -> str:
    """``, all those with reports: uniform protocol only`` when the failed specifications
    are exactly those of one value of one choice (typically a report subset too small to
    test; named as in the figure's matrix), else nothing."""
    specs = mv.specs
    failed = specs["status"] != "ran"
    for choice in ("collection", "date", "indicator_model", "counts"):
        for value in specs.loc[failed, choice].dropna().unique():
            if ((specs[choice] == value) == failed).all():
                name = CHOICE_LABELS.get(choice, choice).lower()
                return f", all those with {name}: {VALUE_LABELS.get(value, str(value))},"
    return ""


def power_tables(battery: Battery) -> pd.DataFrame:
    """The battery's power curves (count model and cross-correlation), stacked."""
    parts = [
        table
        for step in ("count_model", "ccf")
        if step in battery.results
        for key, table in battery[step].tables.items()
        if key.startswith("power_")
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _power(battery: Battery) -> tuple[Figure, str]:
    from cftf_analysis.stats.power import detectable_effect

    curves = power_tables(battery)
    what = {"count_model": "count model", "ccf": "cross-correlation"}
    labels = {
        (
            f,
            i,
        ): f"{battery.series[i].label}: {what[f]} (per {scale_of(battery.series[i].unit).step})"
        for f, i in curves[["finding", "indicator"]].drop_duplicates().itertuples(index=False)
    }
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.6), layout="constrained")
    alpha = battery.options.alpha
    plot_power_curves(curves, power=0.8, alpha=alpha, labels=labels, ax=ax)
    add_source(fig, _source_all(battery))
    det = detectable_effect(curves, power=0.8)
    parts = []
    for _, d in det.iterrows():
        step = scale_of(battery.series[d["indicator"]].unit).step
        name = f"{_name(battery, d['indicator'])} {what[d['finding']]}"
        if np.isfinite(d["mde_below"]):
            parts.append(f"{name}, a rate ratio of {d['mde_below']:.2f} per {step}")
        else:
            parts.append(f"{name}, none")
    n_sims = int(curves["n_sims"].max())
    return fig, (
        f"Power of each indicator finding: the share of {n_sims} datasets per planted effect, "
        "simulated with this case's own design (its months, the indicator's observation "
        "months, ranges and bounds, the reports' date precision and overdispersion), in which "
        f"the finding was significant at {alpha:g} with the planted sign (shaded: 95% "
        "intervals). The smallest effect below 1 found 80% of the time (dashed line): "
        f"{'; '.join(parts)}. Effects that would multiply some month's expected reports by "
        "more than a hundred were not simulated. The dotted line is the test's level, which "
        "the power at a rate ratio of 1 should not exceed."
    )


#: The report's figures by file stem, in the report's order.
FIGURES: dict[str, FigureSpec] = {
    spec.name: spec
    for spec in (
        FigureSpec(
            "timeline",
            "Timeline: reports, revenue, territory and events",
            _timeline,
            titled=_timeline_title,
        ),
        FigureSpec("cross_correlation", "Prewhitened cross-correlation by lag", _ccf, ("ccf",)),
        FigureSpec("lagged_scatter", "Reports against lagged indicators", _scatter, ("ccf",)),
        FigureSpec("motive_shares", "Motives cited over time", _motives),
        FigureSpec(
            "change_points",
            "Change points in monthly reports",
            _change_points,
            ("change_points",),
            "Change points in quarterly reports",
        ),
        FigureSpec("rate_ratios", "Count-model rate ratios", _rate_ratios, ("count_model",)),
        FigureSpec(
            "sensitivity",
            "The count model across plausible versions of the data",
            _sensitivity,
            ("count_model",),
        ),
        FigureSpec(
            "power",
            "What the data could have detected: power by effect size",
            _power,
            available=lambda battery: not power_tables(battery).empty,
        ),
        FigureSpec(
            "specification_curve",
            "The findings across defensible analysis choices",
            _specification_curve,
            ("multiverse",),
            available=lambda battery: not battery.multiverse.table.empty,
        ),
    )
}


def make_figure(name: str, battery: Battery) -> tuple[Figure, str]:
    """Draw the report figure ``name`` (a key of :data:`FIGURES`) in the report theme.

    Returns the Figure and its caption. Raises
    :class:`~cftf_analysis.errors.ArgumentError` for an unknown name or when a
    step the figure reads did not run.
    """
    spec = FIGURES.get(name)
    if spec is None:
        raise ArgumentError(f"name={name!r} is not allowed; use one of {', '.join(FIGURES)}")
    missing = [s for s in spec.requires if not battery.has(s)]
    if missing:
        raise ArgumentError(f"figure {name!r} needs the battery step(s) {', '.join(missing)}")
    if not spec.drawable(battery):
        raise ArgumentError(f"figure {name!r} has nothing to draw in this battery")
    with report_theme(), displaying(_display(battery)):
        return spec.build(battery)


def render_figures(
    battery: Battery,
    figures_dir: str | os.PathLike[str],
    *,
    progress: Callable[[str], None] | None = None,
) -> list[FigureRecord]:
    """Draw, caption and save every report figure (PNG at 300 dpi and SVG).

    Figures whose inputs are missing (a step that did not run) are skipped.
    """
    say = progress or (lambda _msg: None)
    folder = Path(figures_dir)
    records = []
    for name, spec in FIGURES.items():
        if not spec.drawable(battery):
            continue
        say(f"figure: {name}")
        with report_theme(), displaying(_display(battery)):
            fig, caption = spec.build(battery)
            paths = save_figure(fig, folder / name)
        plt.close(fig)
        records.append(
            FigureRecord(name=name, title=spec.title_for(battery), caption=caption, paths=paths)
        )
    return records
