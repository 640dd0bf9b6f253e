"""The battery's indicator steps: the count model, the cross-correlation and Granger.

Each step computes its finding on joint draws of the report counts and the
indicator path and judges it against unrelated series observed the same way
(:mod:`cftf_analysis.stats.indicator_findings` has the pooling and the Monte
Carlo null), then checks the finding's influence: it is recomputed without each
observation of the indicator in turn, and the one whose removal changes it most
is named, with the estimate and p-value without it (:func:`influence`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cftf_analysis.errors import AnalysisError
from cftf_analysis.stats.battery import BatteryContext, StepResult
from cftf_analysis.stats.findings import finding_frame, finding_row
from cftf_analysis.stats.indicator_findings import (
    MC_DRAWS,
    DrawWindow,
    ccf_finding,
    ccf_statistics,
    count_model_finding,
    count_statistics,
    draw_window,
    granger_finding,
    granger_statistics,
    like_the_null,
    max_standardised,
    monte_carlo_p,
    one_sided_p,
    pooled_ccf,
    pooled_count_model,
    pooled_granger,
    standardise,
)
from cftf_analysis.stats.power import MAX_MULTIPLIER, finding_power
from cftf_analysis.stats.support import indicator_analysis_support

__all__ = [
    "CountModelStep",
    "CrossCorrelationStep",
    "GrangerStep",
    "influence",
    "null_for",
]

#: Draws used for each leave-one-out refit of the influence check.
INFLUENCE_DRAWS = 200


# --- influence ----------------------------------------------------------------------------


def influence(
    ctx: BatteryContext,
    indicator: str,
    window: DrawWindow,
    statistic: Callable[[DrawWindow], tuple[float, float]],
    *,
    log_scale: bool,
) -> dict[str, Any]:
    """The observation whose removal changes a finding most, and the finding without it.

    ``statistic(window) -> (estimate, p_value)`` is recomputed with the
    indicator's paths redrawn without each observation in turn (the latent
    model refitted, or the interpolation redone). The most influential
    observation is the one whose removal flips the finding's significance at
    ``alpha`` (if any), then the one that moves the estimate most (on the log
    scale for ratios). With the battery's ``influence`` option off, no
    observation is named and nothing is recomputed.
    """
    none: dict[str, Any] = {
        "influential": None,
        "estimate_without": np.nan,
        "p_without": np.nan,
        "flip": False,
    }
    if not ctx.options.influence:
        return none
    n_draws = min(INFLUENCE_DRAWS, window.paths.shape[0])
    loo = ctx.loo_paths(indicator, n_draws)
    estimate, p = statistic(window.with_paths(window.paths[:n_draws]))
    alpha = ctx.options.alpha
    best: dict[str, Any] | None = None
    for ids, paths in loo.items():
        sub = window.with_paths(paths[:, _positions(ctx, indicator, window)]).trimmed()
        try:
            est, pv = statistic(sub)
        except AnalysisError:
            continue
        flip = (p < alpha) != (pv < alpha)
        move = (
            abs(np.log(est / estimate))
            if log_scale
            else abs(np.arctanh(est) - np.arctanh(estimate))
        )
        key = (flip, move)
        if best is None or key > best["key"]:
            best = {"key": key, "ids": ids, "estimate": est, "p_value": pv, "flip": flip}
    if best is None:
        return none
    return {
        "influential": best["ids"],
        "estimate_without": best["estimate"],
        "p_without": best["p_value"],
        "flip": bool(best["flip"]),
    }


def _positions(ctx: BatteryContext, indicator: str, window: DrawWindow) -> np.ndarray:
    return ctx.draws.months.get_indexer(window.months)


def _influence_note(info: dict[str, Any], alpha: float) -> list[str]:
    if not info["flip"]:
        return []
    return [
        f"depends on {info['influential']}: without it p = {info['p_without']:.2g} "
        f"(alpha {alpha:g})"
    ]


def _observation_caveat(ctx: BatteryContext, indicator: str, n_points: float) -> list[str]:
    model = ctx.draws.model if ctx.draws is not None else "linear"
    how = (
        "months between them drawn from a latent model"
        if model == "latent"
        else f"{model} interpolation between them"
    )
    return [f"{int(n_points)} observations of {indicator} ({how})"]


def null_for(ctx: BatteryContext, indicator: str, window: DrawWindow) -> np.ndarray | None:
    """The battery's null paths of ``indicator`` on ``window``'s months, or None."""
    sims = ctx.null_paths(indicator, ctx.options.n_null, min(MC_DRAWS, window.paths.shape[0]))
    if sims is None:
        return None
    return sims[:, :, _positions(ctx, indicator, window)]


def _power(
    ctx: BatteryContext, indicator: str, finding: str, step: str, **kwargs: Any
) -> dict[str, Any]:
    """The ``mde`` of a finding, its caveat sentence and its power curve table."""
    out: dict[str, Any] = {"mde": np.nan, "notes": [], "tables": {}}
    found = finding_power(ctx, indicator, finding, **kwargs)  # type: ignore[arg-type]
    if found is None:
        return out
    curve, det = found
    out["tables"] = {f"power_{finding}_{indicator}": curve}
    below, above = det["mde_below"], det["mde_above"]
    if finding == "count_model":
        out["mde"] = below
        if np.isfinite(below):
            text = (f"power: a rate ratio of {below:.2f} or further below 1 {step} would be "
                    f"found 80% of the time")  # fmt: skip
            if np.isfinite(above):
                text += f" (above 1: {above:.2f} or more)"
            out["notes"] = [text]
    else:
        out["mde"] = det["estimate_below"]
        if np.isfinite(below):
            out["notes"] = [
                f"power: a planted rate ratio of {below:.2f} {step} would be found 80% of the "
                f"time (mean r there {det['estimate_below']:+.2f})"
            ]
    if not out["notes"]:
        out["notes"] = [
            "power: no planted rate ratio below 1 that keeps every month's expected reports "
            f"within {MAX_MULTIPLIER:g} times their course would be found 80% of the time: "
            "these data could not show an association of any plausible size"
        ]
    return out


def _null_note(value: float, what: str, fmt: str) -> list[str]:
    if not np.isfinite(value):
        return []
    return [
        f"an unrelated series observed the same way gives a median {what} of "
        f"{format(value, fmt)}: the p-value judges the estimate against that"
    ]


def _p_method(res: dict[str, Any], *, family: bool = False) -> str:
    if res["null"] is None:
        return "Rubin p-value" + (", Holm across lags" if family else "")
    n = len(res["null"][0]) if isinstance(res["null"], list) else len(res["null"])
    return f"Monte Carlo p against {n} simulated unrelated indicators" + (
        " (maxT across lags)" if family else ""
    )


# --- the steps ----------------------------------------------------------------------------


def _indicator(indicator: str | None) -> str:
    if indicator is None:  # a per-indicator step always gets one
        raise AnalysisError("this step runs per indicator")
    return indicator


@dataclass(frozen=True)
class CountModelStep:
    """Rate ratio of monthly reports per step of the indicator, pooled over joint draws."""

    name: str = "count_model"
    label: str = "count model"
    per_indicator: bool = True
    table_name: str | None = "count_model"

    def support(self, ctx: BatteryContext, indicator: str | None) -> list[dict[str, Any]]:
        """Enough figures of a falling indicator, and monthly counts dense enough."""
        return indicator_analysis_support(ctx, self.name, _indicator(indicator), max_lag=None)

    def run(self, ctx: BatteryContext, indicator: str | None) -> StepResult:
        ind = _indicator(indicator)
        opts = ctx.options
        window = draw_window(ctx, ind)
        scale = ctx.scale(ind)
        null = null_for(ctx, ind, window)
        res = count_model_finding(window, scale.divisor, null, conf_level=0.95, alpha=opts.alpha)

        def headline(w: DrawWindow) -> tuple[float, float]:
            r = pooled_count_model(w, scale.divisor, conf_level=0.95, alpha=opts.alpha)
            if res["null"] is None:
                return r["estimate"], r["p_value"]
            z = count_statistics(like_the_null(w, null), scale.divisor, 1)[0][0]
            return r["estimate"], monte_carlo_p(float(z), res["null"])

        infl = influence(ctx, ind, window, headline, log_scale=True)
        power = _power(ctx, ind, "count_model", f"per {scale.step}")
        n_points = ctx.n_points(ind)
        exposure = (
            "offset: log of articles covering the group"
            if ctx.exposure
            else "no exposure offset: overall news attention not controlled"
        )
        row = finding_row(
            finding=f"reports per month: rate ratio per {scale.step} of {ind}",
            method=(
                f"quasi-Poisson GLM with linear trend on {res['table']['n_draws'].iloc[0]} joint "
                f"draws, Rubin's rules; {_p_method(res)}"
            ),
            indicator=ind,
            lag=0,
            lag_kind="none",
            estimate=res["estimate"],
            estimate_kind="rate ratio",
            ci_low=res["ci_low"],
            ci_high=res["ci_high"],
            p_value=res["p_value"],
            n_obs=res["n_obs"],
            n_observed_points=n_points,
            draws_q025=float(np.quantile(res["draws"], 0.025)),
            draws_q975=float(np.quantile(res["draws"], 0.975)),
            share_significant=res["share_significant"],
            influential=infl["influential"],
            estimate_without=infl["estimate_without"],
            p_without=infl["p_without"],
            mde=power["mde"],
            caveat=ctx.caveat(
                n_points,
                [
                    *_observation_caveat(ctx, ind, n_points),
                    *_null_note(res["null_estimate"], "rate ratio", ".2f"),
                    *_influence_note(infl, opts.alpha),
                    *power["notes"],
                    exposure,
                ],
            ),
        )
        draws = pd.DataFrame(
            {"indicator": ind, "draw": np.arange(len(res["draws"])), "estimate": res["draws"],
             "p_value": res["draw_p"]}
        )  # fmt: skip
        table = res["table"].assign(indicator=ind)
        table["p_rubin"] = table["p_value"]
        at = table["term"] == "indicator"
        table.loc[at, "p_value"] = res["p_value"]
        table.loc[at, "null_centre"] = res["null_centre"]
        table.loc[at, "null_sd"] = res["null_sd"]
        table.loc[at, "null_irr"] = res["null_estimate"]
        return StepResult(
            rows=finding_frame([row]),
            table=table,
            tables={f"count_model_draws_{ind}": draws, **power["tables"]},
        )


@dataclass(frozen=True)
class CrossCorrelationStep:
    """Pooled prewhitened cross-correlation of an indicator with monthly counts, Holm across lags.

    The finding is the lag with the largest ``|r|`` among the indicator-leading
    lags ``0..max_lag``; the table holds every lag.
    """

    name: str = "ccf"
    label: str = "cross-correlation"
    per_indicator: bool = True
    table_name: str | None = "ccf"

    def support(self, ctx: BatteryContext, indicator: str | None) -> list[dict[str, Any]]:
        """Enough figures of a falling indicator over enough months, and dense monthly counts."""
        ind = _indicator(indicator)
        return indicator_analysis_support(ctx, self.name, ind, max_lag=ctx.options.max_lag)

    def run(self, ctx: BatteryContext, indicator: str | None) -> StepResult:
        ind = _indicator(indicator)
        opts = ctx.options
        window = draw_window(ctx, ind)
        null = null_for(ctx, ind, window)
        res = ccf_finding(window, opts.max_lag, null, conf_level=0.95, alpha=opts.alpha)
        peak = res["peak"]
        lag = int(peak["lag"])
        lags = res["table"]["lag"].to_numpy()
        top = None if res["null"] is None else max_standardised(res["null"])

        j = list(lags).index(lag)

        def headline(w: DrawWindow) -> tuple[float, float]:
            t = pooled_ccf(w, opts.max_lag, conf_level=0.95, alpha=opts.alpha)["table"]
            at = t.set_index("lag").loc[lag]
            if top is None:
                return float(at["estimate"]), float(at["p_adjusted"])
            order = int(t["ar_order"].iloc[0])
            stat = ccf_statistics(like_the_null(w, null), lags, order, 1)[0]
            u = standardise(stat, res["null"])[0][j]
            return float(at["estimate"]), one_sided_p(abs(u), top)

        infl = influence(ctx, ind, window, headline, log_scale=False)
        power = _power(
            ctx,
            ind,
            "ccf",
            f"per {ctx.scale(ind).step}",
            lags=lags,
            ar_order=int(res["table"]["ar_order"].iloc[0]),
        )
        n_points = ctx.n_points(ind)
        sign = (
            "r < 0: a falling indicator went with more reports"
            if peak["estimate"] < 0
            else "r > 0: a falling indicator went with fewer reports"
        )
        lead = f"{ind} leading by {lag} months" if lag else "same month"
        row = finding_row(
            finding=f"{ind} vs reports: strongest cross-correlation ({lead})",
            method="prewhitened cross-correlation (filter of the counts), Rubin's rules over "
            f"joint draws; {_p_method(res, family=True)}",
            indicator=ind,
            lag=lag,
            lag_kind="indicator lead" if lag else "none",
            estimate=peak["estimate"],
            estimate_kind="correlation",
            ci_low=peak["ci_low"],
            ci_high=peak["ci_high"],
            p_value=peak["p_value"],
            p_adjusted=peak["p_adjusted"],
            n_obs=int(peak["n_obs"]),
            n_observed_points=n_points,
            draws_q025=peak["draws_q025"],
            draws_q975=peak["draws_q975"],
            share_significant=peak["share_significant"],
            influential=infl["influential"],
            estimate_without=infl["estimate_without"],
            p_without=infl["p_without"],
            mde=power["mde"],
            caveat=ctx.caveat(
                n_points,
                [
                    *_observation_caveat(ctx, ind, n_points),
                    "lag chosen as the largest |r| of lags 0..max_lag",
                    sign,
                    *_null_note(float(peak["null_estimate"]), "r", "+.2f"),
                    *_influence_note(infl, opts.alpha),
                    *power["notes"],
                ],
            ),
        )
        return StepResult(
            rows=finding_frame([row]),
            table=res["table"].assign(indicator=ind),
            tables=power["tables"],
        )


@dataclass(frozen=True)
class GrangerStep:
    """Granger F tests in both directions on joint draws: the F of the average draw and its
    Monte Carlo p-value, or without a null the D2-pooled F and its p-value
    (:func:`granger_finding`)."""

    name: str = "granger"
    label: str = "Granger"
    per_indicator: bool = True
    table_name: str | None = "granger"

    def support(self, ctx: BatteryContext, indicator: str | None) -> list[dict[str, Any]]:
        """Enough figures of a falling indicator over enough months, and dense monthly counts."""
        ind = _indicator(indicator)
        return indicator_analysis_support(ctx, self.name, ind, max_lag=min(ctx.options.max_lag, 3))

    def run(self, ctx: BatteryContext, indicator: str | None) -> StepResult:
        ind = _indicator(indicator)
        opts = ctx.options
        window = draw_window(ctx, ind)
        max_lag = min(opts.max_lag, 3)
        names = (ind, opts.counts)
        null = null_for(ctx, ind, window)
        res = granger_finding(window, max_lag, names, null, alpha=opts.alpha)
        table = res["table"]
        chosen = (int(table["lag"].iloc[0]), int(table["differenced"].iloc[0]))

        def headline(w: DrawWindow) -> tuple[float, float]:
            if res["null"] is None:
                t = pooled_granger(w, max_lag, names, alpha=opts.alpha, chosen=chosen)["table"]
                return float(t["statistic"].iloc[0]) + 1e-12, float(t["p_value"].iloc[0])
            head = float(granger_statistics(like_the_null(w, null), *chosen, 1)[0])
            return head + 1e-12, one_sided_p(head, res["null"][0])

        infl = influence(ctx, ind, window, headline, log_scale=True)
        n_points = ctx.n_points(ind)
        notes = []
        if res["null"] is not None:
            # on a sparse design the choice costs little (validation/calibrate_battery.py:
            # the Granger tests reject at about their level), but the reader should know
            notes.append(
                "the differencing is chosen on these data and kept for the unrelated "
                "indicators, so the Monte Carlo p does not pay for that choice"
            )
        if res["share_constant"] > 0.5:
            notes.append(
                f"after differencing the indicator is constant in {res['share_constant']:.0%} "
                "of months: the test has little information"
            )
        # the estimate is the statistic the p-value judges
        pooling = (
            "D2 pooling over joint draws"
            if res["null"] is None
            else "F of the average of the joint draws"
        )
        rows = []
        for i, g in table.iterrows():
            extra = _influence_note(infl, opts.alpha) if i == 0 else []
            rows.append(
                finding_row(
                    finding=f"Granger: {g['cause']} -> {g['effect']}",
                    method=f"Granger F test (differenced {int(g['differenced'])}x, lag by each "
                    f"series' own AIC order), {pooling}; {_p_method(res)}",
                    indicator=ind,
                    lag=int(g["lag"]),
                    lag_kind="lag order",
                    estimate=g["statistic"] if res["null"] is None else g["f_average"],
                    estimate_kind="F",
                    p_value=g["p_value"],
                    n_obs=int(g["n_obs"]),
                    n_observed_points=n_points,
                    draws_q025=g["draws_q025"],
                    draws_q975=g["draws_q975"],
                    share_significant=g["share_significant"],
                    influential=infl["influential"] if i == 0 else None,
                    estimate_without=infl["estimate_without"] if i == 0 else np.nan,
                    p_without=infl["p_without"] if i == 0 else np.nan,
                    caveat=ctx.caveat(
                        n_points,
                        [*_observation_caveat(ctx, ind, n_points), *notes, *extra],
                    ),
                )
            )
        return StepResult(rows=finding_frame(rows), table=table.assign(indicator=ind))
