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

import warnings
from dataclasses import dataclass

import pandas as pd

from cftf_analysis.errors import AnalysisError
from cftf_analysis.stats.battery import BatteryContext, StepResult, register_step
from cftf_analysis.stats.changepoints import change_points
from cftf_analysis.stats.countmodel import fit_count_model
from cftf_analysis.stats.findings import finding_frame, finding_row, indicator_window
from cftf_analysis.stats.indicator_steps import (
    CountModelStep,
    CrossCorrelationStep,
    GrangerStep,
)
from cftf_analysis.stats.interrupted import event_effect
from cftf_analysis.stats.motives import motive_share_trend
from cftf_analysis.stats.multiple import adjust_pvalues

__all__ = [
    "ChangePointStep",
    "CountModelStep",
    "CrossCorrelationStep",
    "EventEffectStep",
    "GrangerStep",
    "MotiveTrendStep",
    "count_model_analysis",
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

    def run(self, ctx: BatteryContext, indicator: str | None) -> StepResult:
        series = ctx.counts_series()
        cp = change_points(
            series, model="poisson", seed=ctx.options.seed, edge_months=self.edge_months
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
                     f"{int(brk['n_after'])} months)"]  # fmt: skip
            if bool(brk["edge"]):
                notes.append(
                    f"within {self.edge_months} months of an end of the series: may mark where "
                    "collection started or stopped rather than a change in defection"
                )
            if brk["n_selected"] < 19:
                notes.append(
                    f"only {int(brk['n_selected'])} permutations reproduced the neighbouring "
                    "breaks: the p-value is coarse"
                )
            rows.append(
                finding_row(
                    finding=f"change point in report counts at {pd.Timestamp(brk['break']):%Y-%m}",
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
            models={self.name: cp},
        )


@dataclass(frozen=True)
class EventEffectStep:
    """Interrupted time series (Poisson, 12 months each side) at each finance-event month.

    Several events in one month are one interruption of a monthly series; the
    p-values are Holm-adjusted across event months.
    """

    name: str = "event_effects"
    label: str = "event effects"
    per_indicator: bool = False
    table_name: str | None = "event_effects"
    category: str = "finance"
    window: int = 12

    def run(self, ctx: BatteryContext, indicator: str | None) -> StepResult:
        events, series = ctx.events, ctx.counts_series()
        if events is None or events.empty:
            return StepResult(
                errors=(
                    f"{self.label}: no events were given, so no {self.category} event was "
                    "tested (an interrupted time series needs dated events)",
                )
            )
        chosen = events[events["category"] == self.category].copy()
        if chosen.empty:
            return StepResult(
                errors=(f"{self.label}: the events include no {self.category} event to test",)
            )
        chosen["month"] = chosen["date_start"].dt.to_period("M").dt.to_timestamp()
        frames, errors = [], []
        for month, group in chosen.groupby("month", sort=True):
            ids = ", ".join(group["event_id"])
            try:
                res = event_effect(series, date=month, family="poisson", window=self.window)
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
                finding=f"{self.category} event {e['event_id']} ({e['event_date']:%Y-%m}): "
                "level change in reports",
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
                        f"Holm-adjusted across {self.category}-event months; other events "
                        "overlap in time"
                    ],
                ),
            )
            for _, e in effects.iterrows()
        ]
        return StepResult(rows=finding_frame(rows), table=effects, errors=tuple(errors))


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

    def run(self, ctx: BatteryContext, indicator: str | None) -> StepResult:
        rows, frames, errors = [], [], []
        against_all = ("time", *ctx.money_series()) if self.against is None else self.against
        for against in against_all:
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
    MotiveTrendStep(),
):
    register_step(_step, replace=True)
