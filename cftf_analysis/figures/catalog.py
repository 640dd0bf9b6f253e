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
import pandas as pd
from matplotlib.figure import Figure

from cftf_analysis.errors import ArgumentError
from cftf_analysis.figures.changepoints import plot_change_points
from cftf_analysis.figures.crosscorr import cross_correlation_figure
from cftf_analysis.figures.effects import plot_rate_ratios
from cftf_analysis.figures.motives import plot_motive_shares
from cftf_analysis.figures.scatter import plot_lagged_scatter
from cftf_analysis.figures.sensitivity import sensitivity_figure
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
from cftf_analysis.stats.battery import Battery
from cftf_analysis.stats.findings import scale_of
from cftf_analysis.tables import motive_shares

__all__ = ["FIGURES", "FigureRecord", "FigureSpec", "make_figure", "render_figures"]


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
    only when every step in ``requires`` ran and produced a table or a model.
    """

    name: str
    title: str
    build: Callable[[Battery], tuple[Figure, str]]
    requires: tuple[str, ...] = ()


def _peak_rows(battery: Battery) -> pd.DataFrame:
    return battery["ccf"].rows.set_index("indicator")


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


def _display(battery: Battery) -> dict[str, tuple[str, float, str]]:
    """How each series is labelled in the figures (its label, and its unit shown)."""
    shown = {name: unit_display(info.label, info.unit) for name, info in battery.series.items()}
    for name, info in battery.series.items():
        scale = scale_of(info.unit)
        shown[f"{name}_{scale.suffix}"] = (f"{info.label} (per {scale.step})", 1.0, "")
    return shown


def _timeline(battery: Battery) -> tuple[Figure, str]:
    panel, events = battery.panel, battery.events
    major = battery.case.major_events if battery.case is not None else ()
    known = [e for e in major if events is not None and e in set(events["event_id"])]
    fig = timeline_figure(
        panel,
        reports=battery.reports,
        events=events,
        event_ids=known,
        series=tuple(battery.series),
        source=_source_all(battery),
    )
    peak = panel.loc[panel["n_reports"].idxmax()]
    parts = [
        f"Monthly defection reports (bars; whiskers: the range imprecise dates allow) peak at "
        f"{peak['n_reports']:.1f} in {peak['month']:%B %Y}"
    ]
    for name, info in battery.series.items():
        _, scale, unit = unit_display(info.label, info.unit)
        obs = panel[panel[f"{name}_observed"]]
        if len(obs) >= 2:
            first, last = obs.iloc[0], obs.iloc[-1]
            who = f"{info.producer} " if info.producer else ""
            parts.append(
                f"{who}{info.label.lower()} goes from {first[name] / scale:.0f} to "
                f"{last[name] / scale:.0f} {unit} ({first['month']:%b %Y}-{last['month']:%b %Y}, "
                f"{len(obs)} reported points)"
            )
    return fig, "; ".join(parts) + "; numbered lines are dated finance and military events."


def _ccf(battery: Battery) -> tuple[Figure, str]:
    ccf = battery["ccf"].table
    tables = {ind: g.drop(columns="indicator") for ind, g in ccf.groupby("indicator")}
    fig = cross_correlation_figure(tables, source=_source_all(battery))
    peaks = _peak_rows(battery)
    text = ", ".join(
        f"{ind.replace('_', ' ')} at lag {int(r['lag'])} (r = {r['estimate']:.2f}, "
        f"Holm-adjusted p = {r['p_adjusted']:.2f}, {int(r['n_observed_points'])} reported points)"
        for ind, r in peaks.iterrows()
    )
    return fig, (
        "Cross-correlation of each prewhitened indicator with monthly reports (positive lag: "
        f"the indicator leads); the strongest leading lags are {text}."
    )


def _scatter(battery: Battery) -> tuple[Figure, str]:
    peaks = _peak_rows(battery)
    fig, axes = plt.subplots(1, len(peaks), figsize=(PAGE_WIDTH, 3.4), layout="constrained")
    axes = [axes] if len(peaks) == 1 else list(axes)
    notes = []
    for ax, (ind, row) in zip(axes, peaks.iterrows(), strict=True):
        lag = int(row["lag"])
        plot_lagged_scatter(battery.panel, x=ind, lag=lag, ax=ax)
        n_obs = int(battery.panel[f"{ind}_observed"].sum())
        notes.append(f"{ind.replace('_', ' ')} {lag} months earlier ({n_obs} reported months)")
    add_source(fig, _source_all(battery))
    return fig, (
        "Monthly reports against " + " and ".join(notes) + " at the cross-correlation's "
        "strongest lag; filled markers are months with a reported figure, open ones interpolated."
    )


def _motives(battery: Battery) -> tuple[Figure, str]:
    reports = battery.reports
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.6), layout="constrained")
    plot_motive_shares(motive_shares(reports), ax=ax)
    add_source(fig, SOURCE_REPORTS)
    share = reports.filter(like="motive_").mean()
    return fig, (
        "Quarterly share of reports citing each motive (drawn for quarters with at least five "
        f"reports); over all reports violence is cited in {share['motive_violence']:.0%}, "
        f"ideology in {share['motive_ideology']:.0%} and financial motives in "
        f"{share['motive_financial']:.0%} (flags are lower bounds)."
    )


def _change_points(battery: Battery) -> tuple[Figure, str]:
    cp = battery["change_points"].models["change_points"]
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.4), layout="constrained")
    series = battery.panel.set_index("month")[battery.counts].dropna()
    ylabel = {"n_reports": "Defection reports per month"}.get(
        battery.counts, "Articles reporting defection per month"
    )
    plot_change_points(series, cp.segments, test=cp.test, ylabel=ylabel, ax=ax)
    add_source(fig, SOURCE_REPORTS)
    seg = cp.segments
    means = ", ".join(f"{m:.1f}" for m in seg["mean"])
    starts = ", ".join(f"{pd.Timestamp(s):%b %Y}" for s in seg["start"].iloc[1:])
    p = float(cp.test["p_value"].iloc[0])
    return fig, (
        f"Optimal Poisson segmentation of monthly reports: breaks at {starts or 'none'} with "
        f"segment means {means} reports a month (permutation p = {p:.3f})."
    )


def _rate_ratios(battery: Battery) -> tuple[Figure, str]:
    count_models = battery["count_model"].models
    tidy = pd.concat(
        [
            m.tidy().assign(
                term=lambda d, ind=ind: d["term"].where(
                    d["term"] != "trend", f"trend ({ind} model)"
                )
            )
            for ind, m in count_models.items()
        ],
        ignore_index=True,
    )
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.0), layout="constrained")
    lag = battery.options.count_lag
    covariates = {
        f"{name}_{scale_of(info.unit).suffix}_lag{lag}": (
            f"{info.label} (per {scale_of(info.unit).step})"
        )
        for name, info in battery.series.items()
        if name in count_models
    }
    labels = {
        **covariates,
        **{
            f"trend ({i} model)": f"Trend per month ({battery.series[i].label.lower()} model)"
            for i in count_models
        },
    }
    plot_rate_ratios(tidy, labels=labels, ax=ax)
    add_source(fig, _source_all(battery))
    covs = tidy[tidy["term"].isin(covariates)]
    text = "; ".join(
        f"{covariates[r['term']].split(' (')[0].lower()} {r['irr']:.2f} [{r['irr_low']:.2f}, "
        f"{r['irr_high']:.2f}]"
        for _, r in covs.iterrows()
    )
    return fig, (
        "Rate ratios of monthly reports from Poisson GLMs with a linear trend and "
        f"quasi-likelihood 95% intervals, one model per indicator: {text}."
    )


def _sensitivity(battery: Battery) -> tuple[Figure, str]:
    results = battery["sensitivity"].models
    draws = pd.concat([r.draws for r in results.values()], ignore_index=True)
    observed = pd.concat([r.summary for r in results.values()], ignore_index=True)
    labels = {f"{ind}_irr": f"{battery.series[ind].label} rate ratio" for ind in results}
    fig = sensitivity_figure(draws, observed=observed, labels=labels, source=_source_all(battery))
    names = {f"{ind}_irr": battery.series[ind].label.lower() for ind in results}
    text = "; ".join(
        f"{names[row['finding']]} {row['estimate_q025']:.2f}-{row['estimate_q975']:.2f} "
        f"({row['share_significant']:.0%} of draws p < 0.05)"
        for _, row in observed.iterrows()
    )
    n = int(observed["n_draws"].iloc[0])
    return fig, (
        f"Across {n} plausible datasets (report dates drawn within their intervals, ranged "
        f"figures within low/high) the rate ratios range {text}; the marker is the estimate "
        "on the data as given."
    )


#: The report's figures by file stem, in the report's order.
FIGURES: dict[str, FigureSpec] = {
    spec.name: spec
    for spec in (
        FigureSpec("timeline", "Timeline: reports, revenue, territory and events", _timeline),
        FigureSpec("cross_correlation", "Prewhitened cross-correlation by lag", _ccf, ("ccf",)),
        FigureSpec("lagged_scatter", "Reports against lagged indicators", _scatter, ("ccf",)),
        FigureSpec("motive_shares", "Motives cited over time", _motives),
        FigureSpec(
            "change_points",
            "Change points in monthly reports",
            _change_points,
            ("change_points",),
        ),
        FigureSpec("rate_ratios", "Count-model rate ratios", _rate_ratios, ("count_model",)),
        FigureSpec(
            "sensitivity",
            "Sensitivity to imprecise dates and ranged figures",
            _sensitivity,
            ("sensitivity",),
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
        if not all(battery.has(s) for s in spec.requires):
            continue
        say(f"figure: {name}")
        with report_theme(), displaying(_display(battery)):
            fig, caption = spec.build(battery)
            paths = save_figure(fig, folder / name)
        plt.close(fig)
        records.append(FigureRecord(name=name, title=spec.title, caption=caption, paths=paths))
    return records
