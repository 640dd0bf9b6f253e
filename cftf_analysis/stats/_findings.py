"""Row builders for :func:`cftf_analysis.association_summary` (internal).

Each ``_*_rows`` function runs one test and turns it into summary rows with
a plain-language caveat; :mod:`cftf_analysis.stats.summary` orchestrates them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cftf_analysis.errors import AnalysisError
from cftf_analysis.stats._common import adjust_pvalues
from cftf_analysis.stats.changepoints import change_points
from cftf_analysis.stats.countmodel import fit_count_model
from cftf_analysis.stats.crosscorr import cross_correlation
from cftf_analysis.stats.granger import granger_both_ways
from cftf_analysis.stats.interrupted import event_effect
from cftf_analysis.stats.motives import motive_share_trend
from cftf_analysis.stats.sensitivity import sensitivity

SUMMARY_COLUMNS = [
    "finding",
    "method",
    "indicator",
    "lag",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "n_obs",
    "n_observed_points",
    "caveat",
]

#: Panel covariates are rescaled so that rate ratios read per a meaningful step:
#: column -> (scaled column, divisor, unit of one step).
SCALES: dict[str, tuple[str, float, str]] = {
    "revenue_total": ("revenue_usd10m", 1e7, "USD 10 million per month"),
    "territory": ("territory_10k_km2", 1e4, "10,000 km2"),
}

MIN_OBSERVED_POINTS = 8
REPORTING_CAVEAT = (
    "counts are of published, found reports (search over-represents 2016 and Westerners)"
)


def _scaled(panel: pd.DataFrame) -> pd.DataFrame:
    out = panel.copy()
    for col, (name, divisor, _) in SCALES.items():
        if col in out.columns:
            out[name] = out[col] / divisor
    return out


def _window(panel: pd.DataFrame, indicator: str, exposure: str | None = None) -> pd.DataFrame:
    """Months where the indicator (and the exposure, if any) is known."""
    keep = panel[indicator].notna()
    if exposure is not None:
        keep &= panel[exposure].notna() & (panel[exposure] > 0)
    return panel[keep].reset_index(drop=True)


def _caveat(n_points: float | None, extra: Sequence[str] = ()) -> str:
    notes = list(extra)
    if n_points is not None and np.isfinite(n_points) and n_points < MIN_OBSERVED_POINTS:
        notes.insert(
            0,
            f"only {int(n_points)} observed indicator points (months between them are "
            "interpolated): treat as descriptive",
        )
    notes.append(REPORTING_CAVEAT)
    return "; ".join(notes)


def _errors(fit: pd.Series) -> str:
    """Plain words for the standard errors a count model used."""
    if fit["cov_type"] == "nonrobust":
        return f"quasi-likelihood errors (Pearson scale {fit['scale']:.2f})"
    return f"{fit['cov_type']} errors"


def _row(**values: Any) -> dict[str, Any]:
    return {col: values.get(col, np.nan) for col in SUMMARY_COLUMNS}


def _count_analysis(
    indicator: str, lag: int, counts: str = "n_reports", exposure: str | None = None
):
    scaled, _, _ = SCALES[indicator]

    def analysis(panel: pd.DataFrame) -> pd.DataFrame:
        window = _window(_scaled(panel), indicator, exposure)
        fit = fit_count_model(
            window, counts=counts, covariates=[scaled], lags=(lag,), exposure=exposure
        )
        tidy = fit.tidy()
        term = tidy[tidy["term"].str.startswith(scaled)].iloc[0]
        return pd.DataFrame(
            {
                "finding": [f"{indicator}_irr"],
                "estimate": [term["irr"]],
                "p_value": [term["p_value"]],
            }
        )

    return analysis


def _ccf_rows(ind: str, window: pd.DataFrame, n_points: float, max_lag: int, counts: str) -> tuple:
    ccf = cross_correlation(window[ind], window[counts], max_lag=max_lag)
    lead = ccf[ccf["lag"] >= 0]
    peak = lead.loc[lead["estimate"].abs().idxmax()]
    row = _row(
        finding=f"{ind} vs reports: strongest cross-correlation ({ind} leading)",
        method="prewhitened cross-correlation, Holm across lags",
        indicator=ind,
        lag=int(peak["lag"]),
        estimate=peak["estimate"],
        ci_low=peak["ci_low"],
        ci_high=peak["ci_high"],
        p_value=peak["p_value"],
        p_adjusted=peak["p_adjusted"],
        n_obs=int(peak["n_obs"]),
        n_observed_points=n_points,
        caveat=_caveat(n_points, ["lag chosen as the largest |r| of lags 0..max_lag"]),
    )
    return ccf.assign(indicator=ind), [row]


def _granger_rows(
    ind: str, window: pd.DataFrame, n_points: float, max_lag: int, counts: str
) -> tuple:
    gr = granger_both_ways(window, x=ind, y=counts, max_lag=min(max_lag, 3), ic="aic")
    rows = [
        _row(
            finding=f"Granger: {g['cause']} -> {g['effect']}",
            method=f"Granger F test (differenced {int(g['differenced'])}x, lag by AIC)",
            indicator=ind,
            lag=int(g["lag"]),
            estimate=g["statistic"],
            p_value=g["p_value"],
            n_obs=int(g["n_obs"]),
            n_observed_points=n_points,
            caveat=_caveat(n_points, ["estimate is the F statistic"]),
        )
        for _, g in gr[gr["test"] == "ssr_f"].iterrows()
    ]
    return gr, rows


def _count_rows(
    ind, window, n_points, count_lag, reports, indicators, n_draws, seed, alpha, counts, coverage
):
    scaled, _, step = SCALES[ind]
    exposure = "n_articles_topic" if coverage is not None else None
    window = _window(window, ind, exposure)
    model = fit_count_model(
        window, counts=counts, covariates=[scaled], lags=(count_lag,), exposure=exposure
    )
    term = model.tidy().query("term.str.startswith(@scaled)").iloc[0]
    fit = model.fit_stats().iloc[0]
    res = sensitivity(
        _count_analysis(ind, count_lag, counts, exposure),
        reports=reports,
        indicators=indicators,
        n_draws=n_draws,
        seed=seed,
        alpha=alpha,
        coverage=coverage,
    )
    s = res.summary.iloc[0]
    common = {"indicator": ind, "lag": count_lag, "n_obs": int(fit["n_obs"])}
    rows = [
        _row(
            finding=f"reports per month: rate ratio per {step} of {ind}",
            method=f"{fit['family']} GLM with linear trend, {_errors(fit)}",
            estimate=term["irr"],
            ci_low=term["irr_low"],
            ci_high=term["irr_high"],
            p_value=term["p_value"],
            n_observed_points=n_points,
            caveat=_caveat(
                n_points,
                ["offset: log of articles covering the group"]
                if exposure
                else ["no exposure offset: overall news attention not controlled"],
            ),
            **common,
        ),
        _row(
            finding=f"sensitivity: rate ratio per {step} of {ind} across plausible data",
            method=f"{int(s['n_draws'])} draws of dates and ranged figures; median, 95% range",
            estimate=s["median_estimate"],
            ci_low=s["estimate_q025"],
            ci_high=s["estimate_q975"],
            n_observed_points=n_points,
            caveat=_caveat(n_points, [f"{s['share_significant']:.0%} of draws had p < {alpha:g}"]),
            **common,
        ),
    ]
    return model, res, rows


def _change_point_rows(series: pd.Series, seed: int) -> tuple:
    cp = change_points(series, model="poisson", seed=seed)
    test, seg = cp.test.iloc[0], cp.segments
    common = {
        "method": str(test["method"]),
        "p_value": test["p_value"],
        "n_obs": int(test["n_obs"]),
    }
    rows = [
        _row(
            finding=f"change point in report counts at {pd.Timestamp(seg['start'].iloc[i]):%Y-%m}",
            estimate=seg["mean"].iloc[i] / seg["mean"].iloc[i - 1],
            caveat=_caveat(None, ["estimate is the ratio of segment means"]),
            **common,
        )
        for i in range(1, len(seg))
    ] or [_row(finding="no change point in report counts", caveat=_caveat(None), **common)]
    return cp, rows


def _motive_rows(reports: pd.DataFrame, panel: pd.DataFrame, against: str) -> tuple:
    with warnings.catch_warnings():
        # reports outside the indicator's months are left out; n_obs says so
        warnings.simplefilter("ignore", UserWarning)
        t = motive_share_trend(reports, motive="financial", against=against, panel=panel)
    slope = t.iloc[1]
    unit = "per year" if against == "time" else f"per SD of {against}"
    row = _row(
        finding=f"share of reports citing a financial motive: odds ratio {unit}",
        method=str(slope["method"]),
        indicator=None if against == "time" else against,
        estimate=slope["odds_ratio"],
        ci_low=slope["odds_ratio_low"],
        ci_high=slope["odds_ratio_high"],
        p_value=slope["p_value"],
        n_obs=int(slope["n_obs"]),
        caveat=_caveat(
            None, [f"{int(slope['n_citing'])} reports cite it; flags are lower bounds"]
        ),
    )
    return t, [row]


def _event_effects(
    series: pd.Series, events: pd.DataFrame | None, errors: list[str]
) -> pd.DataFrame:
    if events is None or events.empty:
        return pd.DataFrame()
    finance = events[events["category"] == "finance"].copy()
    # several events in one month are one interruption of a monthly series
    finance["month"] = finance["date_start"].dt.to_period("M").dt.to_timestamp()
    frames = []
    for month, group in finance.groupby("month", sort=True):
        ids = ", ".join(group["event_id"])
        try:
            res = event_effect(series, date=month, family="poisson", window=12)
        except AnalysisError as exc:
            errors.append(f"event {ids}: {exc}")
            continue
        level = res[res["term"] == "level_change"].assign(
            event_id=ids, event=" | ".join(group["event"])
        )
        frames.append(level)
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(), "holm")
    return out
