"""The default steps of the battery, registered in the order the summary lists them.

Per indicator (for each of ``options.pairs``), on joint draws of the data
(:mod:`cftf_analysis.stats.indicator_steps`): the prewhitened
cross-correlation (``"ccf"``), Granger tests both ways (``"granger"``) and the
count model (``"count_model"``). Then, once: change points in the reporting series
(``"change_points"``), an interrupted time series per finance-event month
(``"event_effects"``) and the trend in the share of reports citing money
(``"motive_trends"``). See :mod:`cftf_analysis.stats.battery` for the step
interface.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cftf_analysis.errors import AnalysisError
from cftf_analysis.stats.battery import BatteryContext, StepResult, register_step
from cftf_analysis.stats.changepoints import change_points
from cftf_analysis.stats.countmodel import fit_count_model
from cftf_analysis.stats.findings import finding_frame, finding_row, indicator_window
from cftf_analysis.stats.glm import PERIOD_WORDS, period_index
from cftf_analysis.stats.indicator_steps import (
    CountModelStep,
    CrossCorrelationStep,
    GrangerStep,
)
from cftf_analysis.stats.interrupted import event_effect, level_changes, step_design
from cftf_analysis.stats.its_power import DEFAULT_POWER, MDE_SIMULATIONS, level_change_mde
from cftf_analysis.stats.motives import motive_share_trend
from cftf_analysis.stats.multiple import adjust_pvalues
from cftf_analysis.stats.support import (
    MIN_OUTCOMES_PER_PARAMETER,
    MIN_PERIODS_PER_SIDE,
    count_support,
    indicator_support,
    period_label,
    residual_df_support,
    support_row,
)

__all__ = [
    "MORE_REPORTS_COLUMNS",
    "ChangePointStep",
    "CompetingEventStep",
    "CountModelStep",
    "CrossCorrelationStep",
    "EventEffectStep",
    "GrangerStep",
    "MotiveTrendStep",
    "count_model_analysis",
    "level_changes_null",
]


def _spec(info) -> dict:
    return {"indicator": info.indicator, "scope": info.scope, "producer": info.producer}


def _indicator(indicator: str | None) -> str:
    if indicator is None:  # a per-indicator step always gets one
        raise AnalysisError("this step runs per indicator")
    return indicator


def count_model_analysis(
    indicator: str,
    lag: int,
    counts: str = "n_reports",
    exposure: str | None = None,
    *,
    divisor: float = 1.0,
):
    """The count model's rate ratio as a ``panel -> DataFrame`` analysis for :func:`sensitivity`.

    The covariate is ``panel[indicator] / divisor``.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> panel = cftf.monthly_panel(cftf.load_reports(), cftf.load_indicators())
    >>> count_model_analysis("territory", 0, divisor=1e4)(panel)["finding"].tolist()
    ['territory_irr']
    """
    scaled_name = f"{indicator}_scaled"

    def analysis(panel: pd.DataFrame) -> pd.DataFrame:
        panel = panel.assign(**{scaled_name: panel[indicator] / divisor})
        window = indicator_window(panel, indicator, exposure)
        fit = fit_count_model(
            window, counts=counts, covariates=[scaled_name], lags=(lag,), exposure=exposure
        )
        tidy = fit.tidy()
        term = tidy[tidy["term"].str.startswith(scaled_name)].iloc[0]
        return pd.DataFrame(
            {
                "finding": [f"{indicator}_irr"],
                "estimate": [term["irr"]],
                "p_value": [term["p_value"]],
            }
        )

    return analysis


@dataclass(frozen=True)
class ChangePointStep:
    """Optimal Poisson segmentation of the reporting series, each break with its own evidence.

    One row for the whole series (a permutation test of "no break at all"), then
    one per break: the ratio of the adjacent segments' means with its interval and
    a selective permutation p-value of that break alone, Holm-adjusted across the
    breaks (:func:`~cftf_analysis.stats.changepoints.change_points`). A break
    within :attr:`edge_months` of either end of the series is flagged: reporting
    often starts and stops with the collection, not with the group.
    """

    name: str = "change_points"
    label: str = "change points"
    per_indicator: bool = False
    table_name: str | None = "change_point_segments"
    edge_months: int = 12
    #: Fewest periods per segment (:func:`~cftf_analysis.stats.changepoints.change_points`).
    min_size: int = 3

    def support(self, ctx: BatteryContext, indicator: str | None) -> list[dict[str, Any]]:
        """Room for two segments of the minimum size in the series at the case's frequency."""
        n, need = len(ctx.period_counts()), 2 * self.min_size
        words = PERIOD_WORDS[ctx.options.freq][1]
        return [
            support_row(
                self.name, "series_length", n >= need, n, need,
                f"the reporting series has {n} {words}; two segments of at least "
                f"{self.min_size} need {need}",
                freq=ctx.options.freq,
            )
        ]  # fmt: skip

    def run(self, ctx: BatteryContext, indicator: str | None) -> StepResult:
        freq = ctx.options.freq
        words = PERIOD_WORDS[freq][1]
        series = ctx.period_counts()
        cp = change_points(
            series,
            model="poisson",
            seed=ctx.options.seed,
            edge_months=ctx.periods(self.edge_months),
            min_size=self.min_size,
        )
        test, seg, breaks = cp.test.iloc[0], cp.segments, cp.breaks_table
        n_obs = int(test["n_obs"])
        overall = finding_row(
            finding="change points in report counts: any break at all"
            if len(breaks)
            else "no change point in report counts",
            method=str(test["method"]),
            estimate=float(len(breaks)),
            estimate_kind="number of breaks",
            p_value=test["p_value"],
            n_obs=n_obs,
            caveat=ctx.caveat(
                None,
                ["the p-value tests the whole segmentation against a series without breaks; "
                 "each break's own evidence is in its row"],
            ),
        )  # fmt: skip
        rows = [overall]
        for _, brk in breaks.iterrows():
            notes = [f"ratio of the mean counts after and before ({int(brk['n_before'])} and "
                     f"{int(brk['n_after'])} {words})"]  # fmt: skip
            if bool(brk["edge"]):
                notes.append(
                    f"within {ctx.periods(self.edge_months)} {words} of an end of the series: "
                    "may mark where collection started or stopped rather than a change in "
                    "defection"
                )
            if brk["n_selected"] < 19:
                notes.append(
                    f"only {int(brk['n_selected'])} permutations reproduced the neighbouring "
                    "breaks: the p-value is coarse"
                )
            rows.append(
                finding_row(
                    finding="change point in report counts at " + period_label(brk["break"], freq),
                    method=str(brk["method"]),
                    estimate=float(brk["ratio"]),
                    estimate_kind="ratio of means",
                    ci_low=float(brk["ci_low"]),
                    ci_high=float(brk["ci_high"]),
                    p_value=float(brk["p_value"]),
                    p_adjusted=float(brk["p_adjusted"]),
                    n_obs=int(brk["n_before"] + brk["n_after"]),
                    caveat=ctx.caveat(None, notes),
                )
            )
        return StepResult(
            rows=finding_frame(rows),
            table=seg,
            tables={"change_point_breaks": breaks, "change_point_test": cp.test},
            models={self.name: cp, "counts": series},
        )


@dataclass(frozen=True)
class EventEffectStep:
    """Interrupted time series (Poisson, 12 months each side) at each finance-event period.

    At the case's frequency: months, or quarters (4 each side). Several events
    in one period are one interruption of the series; the p-values are
    Holm-adjusted across the event periods the data support.
    """

    name: str = "event_effects"
    label: str = "event effects"
    per_indicator: bool = False
    table_name: str | None = "event_effects"
    category: str = "finance"
    window: int = 12

    def event_groups(self, ctx: BatteryContext) -> list[tuple[pd.Timestamp, pd.DataFrame]]:
        """The chosen events grouped by the period (start) they fall in, in time order."""
        events = ctx.events
        if events is None or events.empty:
            return []
        chosen = events[events["category"] == self.category].copy()
        if chosen.empty:
            return []
        code = "Q" if ctx.options.freq == "QS" else "M"
        chosen["period"] = chosen["date_start"].dt.to_period(code).dt.to_timestamp()
        return list(chosen.groupby("period", sort=True))

    def support(self, ctx: BatteryContext, indicator: str | None) -> list[dict[str, Any]]:
        """Per event period: enough periods before and after it, and dense counts around it."""
        freq = ctx.options.freq
        word, words = PERIOD_WORDS[freq]
        series = ctx.period_counts()
        width = ctx.periods(self.window)
        code = "Q" if freq == "QS" else "M"
        periods = series.index.to_period(code)
        rows: list[dict[str, Any]] = []
        for start, group in self.event_groups(ctx):
            ids = ", ".join(group["event_id"])
            at = pd.Period(start, freq=code)
            before = series[(periods >= at - width) & (periods < at)]
            after = series[(periods >= at) & (periods <= at + width - 1)]
            when = period_label(start, freq)
            if len(before) + len(after) == 0:
                first, last = (period_label(series.index[i], freq) for i in (0, -1))
                rows.append(
                    support_row(
                        self.name, "in_series", False, 0, 1,
                        f"the event's {word} ({when}) and the {width} {words} on either side lie "
                        f"outside the reporting series ({first}-{last})",
                        event=ids, freq=freq,
                    )
                )  # fmt: skip
                continue
            for check, got in (("periods_before", before), ("periods_after", after)):
                side = "before" if check == "periods_before" else "from it on"
                rows.append(
                    support_row(
                        self.name, check, len(got) >= MIN_PERIODS_PER_SIDE, len(got),
                        MIN_PERIODS_PER_SIDE,
                        f"the reporting series has {len(got)} {word if len(got) == 1 else words} "
                        f"{side} ({when}, within {width} {words}); an interrupted time series "
                        f"needs at least {MIN_PERIODS_PER_SIDE}",
                        event=ids, freq=freq,
                    )
                )  # fmt: skip
            rows += count_support(
                self.name, pd.concat([before, after]), freq=freq,
                where=f"in the window around {when}", event=ids,
            )  # fmt: skip
            # level, trend, level change and slope change
            rows.append(
                residual_df_support(
                    self.name, len(before) + len(after), 4, freq=freq,
                    where=f"in the window around {when}", event=ids,
                )
            )  # fmt: skip
        return rows

    def run(self, ctx: BatteryContext, indicator: str | None) -> StepResult:
        events, series = ctx.events, ctx.period_counts()
        freq = ctx.options.freq
        if events is None or events.empty:
            return StepResult(
                errors=(
                    f"{self.label}: no events were given, so no {self.category} event was "
                    "tested (an interrupted time series needs dated events)",
                )
            )
        groups = self.event_groups(ctx)
        if not groups:
            return StepResult(
                errors=(f"{self.label}: the events include no {self.category} event to test",)
            )
        frames, errors = [], []
        for start, group in groups:
            ids = ", ".join(group["event_id"])
            if not ctx.is_supported(self.name, event=ids):
                continue
            try:
                res = event_effect(
                    series, date=start, family="poisson", window=ctx.periods(self.window),
                    freq=freq,
                )  # fmt: skip
            except AnalysisError as exc:
                errors.append(f"event {ids}: {exc}")
                continue
            level = res[res["term"] == "level_change"].assign(
                event_id=ids, event=" | ".join(group["event"])
            )
            frames.append(level)
        if not frames:
            return StepResult(errors=tuple(errors))
        effects = pd.concat(frames, ignore_index=True)
        effects["p_adjusted"] = adjust_pvalues(effects["p_value"].to_numpy(), "holm")
        rows = [
            finding_row(
                finding=f"{self.category} event {e['event_id']} "
                f"({period_label(e['event_date'], freq)}): level change in reports",
                method=str(e["method"]),
                estimate=e["ratio"],
                estimate_kind="rate ratio",
                ci_low=e["ratio_low"],
                ci_high=e["ratio_high"],
                p_value=e["p_value"],
                p_adjusted=e["p_adjusted"],
                n_obs=int(e["n_obs"]),
                caveat=ctx.caveat(
                    None,
                    [
                        f"Holm-adjusted across {self.category}-event "
                        f"{PERIOD_WORDS[freq][1]}; other events overlap in time"
                    ],
                ),
            )
            for _, e in effects.iterrows()
        ]
        return StepResult(rows=finding_frame(rows), table=effects, errors=tuple(errors))


#: Columns of the ``competing_event_more_reports`` table of :class:`CompetingEventStep`: the
#: minimum detectable rate ratio (``mde``) of the events-together test if reports were
#: ``reports_factor`` times as frequent (``mean_per_period`` on average; the same trend and
#: overdispersion), at ``power`` and the battery's alpha, from ``n_sims`` simulations.
MORE_REPORTS_COLUMNS: list[str] = [
    "model", "term", "reports_factor", "mean_per_period", "mde", "freq", "power", "n_sims",
]  # fmt: skip


@dataclass(frozen=True)
class CompetingEventStep:
    """Reporting before and after the case's interruption, with competing events held apart.

    The question a case can ask of dated events: did reporting change level
    from the period of the first *interruption* event (``options.interruption``,
    a case file's ``[events] interruption``: measures against the group's
    finances, say), once each *competing* event (``options.competing``: an
    offensive that began about then) has a level change of its own in the same
    segmented quasi-Poisson GLM with a linear pre-trend
    (:func:`~cftf_analysis.stats.interrupted.level_changes`), at the case's
    frequency over the whole series. Two analyses:

    - ``"competing_event"``: the interruption and each competing event with a
      level change each; it needs :data:`~cftf_analysis.stats.support.MIN_PERIODS_PER_SIDE`
      periods between consecutive starts, or the data cannot tell them apart;
    - ``"combined_events"`` (with competing events): one level change from the
      first of them all, the change the events brought together.

    Each finding carries the minimum detectable effect (``mde``): the rate
    ratio the test detects with :attr:`power` at the battery's ``alpha``,
    simulated on the same periods with the fitted pre-trend and overdispersion
    (:func:`~cftf_analysis.stats.its_power.level_change_mde`). The detailed
    table also gives it for a separate model the data cannot support, as what
    the design could have detected, and the table ``competing_event_more_reports``
    (:data:`MORE_REPORTS_COLUMNS`) the MDE of the events-together test were
    reports :attr:`more_reports` times as frequent. Without interruption events
    the step has nothing to test and returns nothing.
    """

    name: str = "competing_event"
    label: str = "interrupted time series with a competing event"
    per_indicator: bool = False
    table_name: str | None = "competing_event"
    power: float = DEFAULT_POWER
    n_sims: int = MDE_SIMULATIONS
    combined: str = "combined_events"
    #: Reporting rates, as multiples of the series' own, at which the combined test's MDE is
    #: also computed (table ``competing_event_more_reports``): what more reports would change.
    more_reports: tuple[float, ...] = (2.0, 4.0)

    def plan(self, ctx: BatteryContext) -> dict[str, Any] | None:
        """The terms: ``{"starts": {term: period start}, "ids": {term: ids}, "kinds": ...}``."""
        opts, events = ctx.options, ctx.events
        if not opts.interruption or events is None:
            return None
        code = "Q" if opts.freq == "QS" else "M"
        by_id = events.set_index("event_id")
        period = by_id["date_start"].dt.to_period(code).dt.to_timestamp()
        starts: dict[str, pd.Timestamp] = {"interruption": period[list(opts.interruption)].min()}
        ids = {"interruption": ", ".join(opts.interruption)}
        chosen = by_id.loc[list(opts.competing)].assign(period=period[list(opts.competing)])
        for k, (start, group) in enumerate(chosen.groupby("period", sort=True), 1):
            starts[f"competing_{k}"] = start
            ids[f"competing_{k}"] = ", ".join(group.index)
        kinds = {
            term: " / ".join(dict.fromkeys(by_id.loc[i.split(", "), "category"].astype(str)))
            for term, i in ids.items()
        }
        label = " | ".join(ids.values())
        together = " + ".join(ids.values())
        return {"starts": starts, "ids": ids, "kinds": kinds, "label": label, "together": together}

    def support(self, ctx: BatteryContext, indicator: str | None) -> list[dict[str, Any]]:
        """Periods before, after and between the events, and counts dense enough."""
        plan = self.plan(ctx)
        if plan is None:
            return []
        freq = ctx.options.freq
        word, words = PERIOD_WORDS[freq]
        series = ctx.period_counts()
        index = series.index
        starts = plan["starts"]
        first, last = min(starts.values()), max(starts.values())

        def side_rows(
            analysis: str, event: str, until: pd.Timestamp, n_steps: int
        ) -> list[dict[str, Any]]:
            out = []
            before, after = int((index < first).sum()), int((index >= until).sum())
            for check, n, where in (
                ("periods_before", before, f"before {period_label(first, freq)}"),
                ("periods_after", after, f"from {period_label(until, freq)} on"),
            ):
                out.append(
                    support_row(
                        analysis, check, n >= MIN_PERIODS_PER_SIDE, n, MIN_PERIODS_PER_SIDE,
                        f"the reporting series has {n} {word if n == 1 else words} {where}; an "
                        f"interrupted time series needs at least {MIN_PERIODS_PER_SIDE}",
                        event=event, freq=freq,
                    )
                )  # fmt: skip
            # level, trend and a level change per step
            df = residual_df_support(analysis, len(series), 2 + n_steps, freq=freq, event=event)
            return [*out, *count_support(analysis, series, freq=freq, event=event), df]

        rows = side_rows(self.name, plan["label"], last, len(starts))
        ordered = sorted(starts.items(), key=lambda kv: kv[1])
        for (term_a, a), (term_b, b) in itertools.pairwise(ordered):
            between = series[(index >= a) & (index < b)]
            n = len(between)
            rows.append(
                support_row(
                    self.name, "periods_between", n >= MIN_PERIODS_PER_SIDE, n,
                    MIN_PERIODS_PER_SIDE,
                    f"events {plan['ids'][term_a]} ({period_label(a, freq)}) and "
                    f"{plan['ids'][term_b]} ({period_label(b, freq)}) begin {n} "
                    f"{word if n == 1 else words} apart, holding {between.sum():.1f} reports; "
                    f"a level change of each needs at least {MIN_PERIODS_PER_SIDE} {words} "
                    "between them, so the data cannot tell them apart",
                    event=plan["label"], freq=freq,
                )
            )  # fmt: skip
        if len(starts) > 1:
            rows += side_rows(self.combined, plan["together"], first, 1)
        return rows

    def run(self, ctx: BatteryContext, indicator: str | None) -> StepResult:
        plan = self.plan(ctx)
        if plan is None:
            return StepResult()
        opts = ctx.options
        freq = opts.freq
        words = PERIOD_WORDS[freq][1]
        series = ctx.period_counts()
        starts, ids, kinds = plan["starts"], plan["ids"], plan["kinds"]
        first = min(starts.values())
        grid = period_index(series, freq=freq, what="counts")
        null = level_changes_null(series, freq)
        models: dict[str, Any] = {}
        table_rows: list[dict[str, Any]] = []
        findings: list[dict[str, Any]] = []
        errors: list[str] = []
        more_rows: list[dict[str, Any]] = []
        separate_ok = ctx.is_supported(self.name, event=plan["label"])
        fitted_scale = null["scale"]

        def mde(events: dict[str, Any], term: str, scale: float, factor: float = 1.0) -> float:
            design = step_design(grid, events, freq=freq)
            return level_change_mde(
                design, factor * null["mu"], term, power=self.power, alpha=opts.alpha,
                overdispersion=scale, n_sims=self.n_sims, seed=opts.seed,
            )  # fmt: skip

        def mde_note(scale: float) -> str:
            return (
                f"mde: the smallest rise (rate ratio) the test detects with {self.power:.0%} "
                f"power at alpha {opts.alpha:g}, from {self.n_sims} simulations of these "
                f"{words} with the fitted pre-trend and overdispersion (variance "
                f"{max(scale, 1.0):.2f} times the mean)"
            )

        if len(starts) > 1 and ctx.is_supported(self.combined, event=plan["together"]):
            try:
                fit = level_changes(series, {"together": first}, freq=freq)
            except AnalysisError as exc:
                errors.append(f"{self.label} (events together): {exc}")
            else:
                models[self.combined] = fit
                at = fit.set_index("term").loc["together"]
                fitted_scale = float(at["scale"])
                detectable = mde({"together": first}, "together", fitted_scale)
                more_rows = [
                    {"model": "together", "term": "together", "reports_factor": k,
                     "mean_per_period": k * float(null["mu"].mean()),
                     "mde": detectable if k == 1 else mde(
                         {"together": first}, "together", fitted_scale, k
                     )}
                    for k in (1.0, *self.more_reports)
                ]  # fmt: skip
                notes = [mde_note(fitted_scale)]
                if not separate_ok:
                    failed = ctx.support[
                        (ctx.support["analysis"] == self.name) & ~ctx.support["supported"]
                    ]
                    notes.insert(0, "; ".join(failed["reason"]))
                which = " and ".join(f"{kinds[t]} event{'s' if ',' in ids[t] else ''} {ids[t]}"
                                     for t in ids)  # fmt: skip
                findings.append(
                    finding_row(
                        finding=f"{which} together (from {period_label(first, freq)}): level "
                        "change in reports",
                        method=str(at["method"]),
                        estimate=at["ratio"],
                        estimate_kind="rate ratio",
                        ci_low=at["ratio_low"],
                        ci_high=at["ratio_high"],
                        p_value=at["p_value"],
                        n_obs=int(at["n_obs"]),
                        mde=detectable,
                        caveat=ctx.caveat(None, notes),
                    )
                )
                table_rows.append(
                    {"model": "together", "term": "together", "event_id": plan["together"],
                     **at.drop(["freq"]).to_dict(), "mde": detectable, "supported": True}
                )  # fmt: skip
        separate = dict(starts)
        if separate_ok:
            try:
                fit = level_changes(series, separate, freq=freq)
            except AnalysisError as exc:
                errors.append(f"{self.label}: {exc}")
                fit = None
            if fit is not None:
                models[self.name] = fit
                scale = float(fit["scale"].iloc[0])
                for term in separate:
                    at = fit.set_index("term").loc[term]
                    detectable = mde(separate, term, scale)
                    others = [t for t in separate if t != term]
                    held = " and ".join(
                        f"{kinds[t]} event{'s' if ',' in ids[t] else ''} {ids[t]} "
                        f"({period_label(starts[t], freq)})"
                        for t in others
                    )
                    plural = "s" if "," in ids[term] else ""
                    findings.append(
                        finding_row(
                            finding=f"{kinds[term]} event{plural} {ids[term]} "
                            f"({period_label(starts[term], freq)}): level change in reports, "
                            f"{held} held as a level change of its own",
                            method=str(at["method"]),
                            estimate=at["ratio"],
                            estimate_kind="rate ratio",
                            ci_low=at["ratio_low"],
                            ci_high=at["ratio_high"],
                            p_value=at["p_value"],
                            n_obs=int(at["n_obs"]),
                            mde=detectable,
                            caveat=ctx.caveat(None, [mde_note(scale)]),
                        )
                    )
                    table_rows.append(
                        {"model": "separate", "term": term, "event_id": ids[term],
                         **at.drop(["freq"]).to_dict(), "mde": detectable, "supported": True}
                    )  # fmt: skip
        elif len(set(starts.values())) == len(starts):
            # what the separate test could have detected on this design (not fitted)
            detectable = mde(separate, "interruption", fitted_scale)
            table_rows.append(
                {"model": "separate", "term": "interruption", "event_id": ids["interruption"],
                 "event_date": starts["interruption"], "n_obs": len(series),
                 "scale": fitted_scale, "mde": detectable, "supported": False}
            )  # fmt: skip
        table = pd.DataFrame(table_rows)
        if not table.empty:
            table["freq"], table["power"], table["n_sims"] = freq, self.power, self.n_sims
        more = pd.DataFrame(more_rows, columns=MORE_REPORTS_COLUMNS[:-3])
        more["freq"], more["power"], more["n_sims"] = freq, self.power, self.n_sims
        return StepResult(
            rows=finding_frame(findings), table=table, models=models, errors=tuple(errors),
            tables={"competing_event_more_reports": more} if more_rows else {},
        )  # fmt: skip


def level_changes_null(series: pd.Series, freq: str) -> dict[str, Any]:
    """The series' fitted means and Pearson scale under no level change (constant and trend).

    The baseline of the minimum detectable effects of :class:`CompetingEventStep`.

    Examples
    --------
    >>> months = pd.date_range("2020-01-01", periods=24, freq="MS")
    >>> null = level_changes_null(pd.Series(np.arange(24.0) % 4, index=months), "MS")
    >>> null["mu"].shape, round(null["scale"], 2)
    ((24,), 0.9)
    """
    from cftf_analysis.stats.batch import fit_poisson_batch

    grid = period_index(series, freq=freq, what="counts")  # type: ignore[arg-type]
    design = step_design(grid, {}, freq=freq)  # type: ignore[arg-type]
    x = design.to_numpy(float)
    fit = fit_poisson_batch(series.to_numpy(float), x, scale="pearson")
    if not fit.ok[0]:
        raise AnalysisError("the reporting series cannot be fitted with a trend alone")
    return {"mu": np.exp(x @ fit.params[0]), "scale": float(fit.scale[0])}


@dataclass(frozen=True)
class MotiveTrendStep:
    """Binomial GLM of whether a report cites a motive, against time and against indicators."""

    name: str = "motive_trends"
    label: str = "motive trend"
    per_indicator: bool = False
    table_name: str | None = "motive_trends"
    motive: str = "financial"
    #: What the share is regressed on: ``"time"`` and panel series; None: time and
    #: every series measured in money per month.
    against: tuple[str, ...] | None = None

    def targets(self, ctx: BatteryContext) -> tuple[str, ...]:
        """What the share is regressed on: ``"time"`` and the series (see :attr:`against`)."""
        return ("time", *ctx.money_series()) if self.against is None else self.against

    def support(self, ctx: BatteryContext, indicator: str | None) -> list[dict[str, Any]]:
        """Enough reports citing the motive and not citing it; against a series, its figures."""
        flags = pd.to_numeric(ctx.reports[f"motive_{self.motive}"], errors="coerce")
        counts = {"citing": int((flags == 1).sum()), "not_citing": int((flags == 0).sum())}
        need = MIN_OUTCOMES_PER_PARAMETER
        rows: list[dict[str, Any]] = []
        for against in self.targets(ctx):
            name = None if against == "time" else against
            for check, n in counts.items():
                words = "cite" if check == "citing" else "do not cite"
                rows.append(
                    support_row(
                        self.name, check, n >= need, n, need,
                        f"{n} of {len(flags)} reports {words} a {self.motive} motive; a binomial "
                        f"GLM with one slope needs at least {need} that do and {need} that do not",
                        indicator=name,
                    )
                )  # fmt: skip
            if name is not None and name in ctx.specs:
                rows += indicator_support(
                    self.name, ctx.indicators, ctx.specs[name], name=name, max_lag=None
                )
        return rows

    def run(self, ctx: BatteryContext, indicator: str | None) -> StepResult:
        rows, frames, errors = [], [], []
        for against in self.targets(ctx):
            if not ctx.is_supported(self.name, None if against == "time" else against):
                continue
            try:
                with warnings.catch_warnings():
                    # reports outside the indicator's months are left out; n_obs says so
                    warnings.simplefilter("ignore", UserWarning)
                    t = motive_share_trend(
                        ctx.reports, motive=self.motive, against=against, panel=ctx.panel
                    )
            except AnalysisError as exc:
                errors.append(f"motive trend vs {against}: {exc}")
                continue
            slope = t.iloc[1]
            unit = "per year" if against == "time" else f"per SD of {against}"
            frames.append(t)
            rows.append(
                finding_row(
                    finding=f"share of reports citing a {self.motive} motive: odds ratio {unit}",
                    method=str(slope["method"]),
                    indicator=None if against == "time" else against,
                    estimate=slope["odds_ratio"],
                    estimate_kind="odds ratio",
                    ci_low=slope["odds_ratio_low"],
                    ci_high=slope["odds_ratio_high"],
                    p_value=slope["p_value"],
                    n_obs=int(slope["n_obs"]),
                    caveat=ctx.caveat(
                        None, [f"{int(slope['n_citing'])} reports cite it; flags are lower bounds"]
                    ),
                )
            )
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return StepResult(rows=finding_frame(rows), table=table, errors=tuple(errors))


for _step in (
    CrossCorrelationStep(),
    GrangerStep(),
    CountModelStep(),
    ChangePointStep(),
    EventEffectStep(),
    CompetingEventStep(),
    MotiveTrendStep(),
):
    register_step(_step, replace=True)
