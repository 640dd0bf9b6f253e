"""Power and minimum detectable effect of the indicator findings, on the user's own design.

"No association" means little without the effect the data could have shown. For a
finding of the battery (the count model's rate ratio or the cross-correlation), this
module plants effects of known size in data simulated with the design actually used and
runs the same statistic on them:

- **the indicator**: a true monthly path with the series' own straight-line course and
  size of swings (:class:`~cftf_analysis.stats.draws.NullPaths`), figures simulated on it
  at the real observation months with the real spans, ranges and bounds, and the paths
  the analysis would see drawn from the latent model given those figures;
- **the reports**: overdispersed monthly counts around the reports' own course (a centred
  moving average of the real counts), with the negative-binomial dispersion estimated
  from the real counts around it, multiplied by ``effect ** ((x - mean x) / step)`` for
  the true path ``x`` (``step`` is the unit of the rate ratio, for example USD 10 million
  a month); each simulated report gets the date precision of a real report drawn at
  random, and each draw places it within that span, as the battery does;
- **the test**: the statistic the battery's Monte Carlo p-value judges (Rubin's pooled z
  of the count model's indicator term; the cross-correlation's pooled z per lag, maxT
  across lags), judged against its values in :data:`REFERENCE_SIMS` datasets simulated
  the same way with no effect: a test whose size is ``alpha`` on this design.

:func:`power_curve` returns the share of simulated datasets in which the finding is
significant, per effect; :func:`detectable_effect` the smallest effect in each direction
detected with the chosen power. The power at effect 1 is the test's size on the simulated
design, reported so that a mismatch shows.

The power need not grow with the effect. A stronger planted association also spreads the
estimate across the draws and inflates the quasi-Poisson scale, so Rubin's z can fall as
the effect grows (on the bundled revenue design the count model's power is lower at a rate
ratio of 0.35 than at 0.7). Judging the pooled log rate ratio itself instead gives a power
that grows with the effect, but the battery's null does not calibrate it: on the bundled
design it rejected more than twice as many unrelated territory datasets as its level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from cftf_analysis.errors import AnalysisError
from cftf_analysis.options import check_fraction, check_int, check_literal
from cftf_analysis.stats.battery import Battery, BatteryContext
from cftf_analysis.stats.draws import NullPaths, series_seed
from cftf_analysis.stats.indicator_findings import (
    MC_DRAWS,
    DrawWindow,
    ccf_statistics,
    count_statistics,
    draw_window,
    max_standardised,
    monte_carlo_p,
    one_sided_p,
    pooled_ccf,
    standardise,
)

__all__ = [
    "POWER_COLUMNS",
    "PowerDesign",
    "PowerFinding",
    "design_for",
    "detectable_effect",
    "finding_power",
    "power_curve",
    "simulate_power",
]

#: What a power curve is computed for: the count model's rate ratio or the cross-correlation.
PowerFinding = Literal["count_model", "ccf"]
#: What a simulated dataset's statistic is judged against: datasets simulated without an
#: effect on the same design, or the statistic's own nominal p-value.
PowerReference = Literal["simulated", "nominal"]

#: Columns of :func:`power_curve` and :func:`simulate_power`.
POWER_COLUMNS: list[str] = [
    "finding",
    "indicator",
    "effect",
    "power",
    "power_low",
    "power_high",
    "mean_estimate",
    "n_sims",
]

#: Rate ratios per step of the indicator at which power is simulated by default (evenly
#: spaced on the log scale, symmetric about 1).
DEFAULT_EFFECTS: tuple[float, ...] = (0.1, 0.2, 0.35, 0.5, 0.7, 1.0, 1.43, 2.0, 2.86, 5.0, 10.0)
#: Simulated datasets per effect by default.
DEFAULT_SIMS = 80
#: Months of the centred moving average that stands for the reports' own course.
BASELINE_MONTHS = 12
#: A side of the power curve stops once its power reaches this (larger effects are found).
STOP_POWER = 0.95
#: Effects that would multiply some month's expected reports by more than this are not
#: simulated: nothing like them was observed, and their counts would be huge.
MAX_MULTIPLIER = 100.0
#: Datasets simulated without an effect, the reference of ``reference="simulated"``.
REFERENCE_SIMS = 200


@dataclass(frozen=True)
class PowerDesign:
    """Everything :func:`simulate_power` needs to simulate one finding's data.

    Attributes
    ----------
    baseline
        ``(n,)`` expected monthly counts without an effect.
    dispersion
        Negative-binomial ``k`` (``var = mu + k mu**2``); 0 for Poisson counts.
    divisor
        The indicator's step for the rate ratio (canonical units per step).
    truth
        ``rng -> (n,)`` a true indicator path (canonical units).
    observe
        ``(truth, rng) -> (D, n)`` the paths the analysis would see given a true log
        path; may also take ``(k, n)`` true log paths and return ``(k, D, n)``.
    spans
        Date spans of real reports in months (0: dated within a month); each simulated
        report gets one at random. None: reports are dated to their month.
    offset
        ``(n,)`` log exposure of the count model, or None.
    lags, ar_order
        The cross-correlation's lags and prewhitening order.
    """

    baseline: np.ndarray
    dispersion: float
    divisor: float
    truth: Any
    observe: Any
    spans: np.ndarray | None = None
    offset: np.ndarray | None = None
    lags: np.ndarray | None = None
    ar_order: int = 0

    @property
    def n(self) -> int:
        """Months of the design."""
        return int(self.baseline.size)


def baseline_course(counts: np.ndarray, months: int = BASELINE_MONTHS) -> tuple[np.ndarray, float]:
    """The counts' own course (centred moving average) and their NB2 dispersion around it.

    ``k`` solves ``sum((y - mu)**2 - mu) = k sum(mu**2)`` (moments), at least 0.

    Examples
    --------
    >>> y = np.random.default_rng(1).negative_binomial(2, 2 / (2 + np.full(400, 5.0)))
    >>> mu, k = baseline_course(y.astype(float))
    >>> round(k, 1)  # the truth is 1 / 2
    0.5
    """
    y = np.asarray(counts, dtype=float)
    mu = pd.Series(y).rolling(months, center=True, min_periods=1).mean().to_numpy()
    mu = np.maximum(mu, 1e-3)
    k = float(np.sum((y - mu) ** 2 - mu) / np.sum(mu**2))
    return mu, max(k, 0.0)


def simulated_counts(mu: np.ndarray, dispersion: float, rng: np.random.Generator) -> np.ndarray:
    """Poisson (``dispersion`` 0) or negative-binomial counts with means ``mu`` (any shape)."""
    if dispersion <= 0:
        return rng.poisson(mu).astype(float)
    k = dispersion
    return rng.negative_binomial(1 / k, 1 / (1 + k * mu)).astype(float)


def dated_draws(
    counts: np.ndarray, spans: np.ndarray | None, n_draws: int, rng: np.random.Generator
) -> np.ndarray:
    """``(n_draws, n)`` monthly counts after dating each report with a real report's precision.

    A report of month ``m`` given a span of ``L`` months gets the interval
    ``[m - u, m - u + L]`` with ``u`` uniform on ``0..L`` (so its month is inside);
    each draw places it uniformly within the interval. Reports placed outside the
    window are not counted, as in the battery.
    """
    n = counts.size
    month = np.repeat(np.arange(n), counts.astype(int))
    if spans is None or spans.size == 0 or month.size == 0:
        return np.broadcast_to(counts, (n_draws, n)).astype(float).copy()
    span = rng.choice(spans, size=month.size)
    start = month - np.floor(rng.random(month.size) * (span + 1)).astype(int)
    placed = start[None, :] + np.floor(rng.random((n_draws, month.size)) * (span + 1)).astype(int)
    inside = (placed >= 0) & (placed < n)
    rows = np.broadcast_to(np.arange(n_draws)[:, None], placed.shape)
    flat = rows[inside] * n + placed[inside]
    return np.bincount(flat, minlength=n_draws * n).reshape(n_draws, n).astype(float)


def simulate_power(
    design: PowerDesign,
    *,
    finding: PowerFinding = "count_model",
    effects: tuple[float, ...] = DEFAULT_EFFECTS,
    n_sims: int = DEFAULT_SIMS,
    n_draws: int = MC_DRAWS,
    alpha: float = 0.05,
    seed: int = 0,
    indicator: str = "",
    stop_at: float = STOP_POWER,
    reference: PowerReference = "simulated",
) -> pd.DataFrame:
    """Power of ``finding`` per planted effect (rate ratio per step) on ``design``.

    Returns one row per effect, columns :data:`POWER_COLUMNS`: ``power`` (share of
    ``n_sims`` simulated datasets significant at ``alpha``) with a 95% Wilson interval,
    and ``mean_estimate`` (the mean pooled estimate: the rate ratio, or for the
    cross-correlation the mean pooled ``r`` at the lag where it is largest).

    With ``reference="simulated"`` (the default) each dataset's statistic is judged
    against the statistics of :data:`REFERENCE_SIMS` datasets simulated with no
    effect (effect 1) on the same design, as the battery judges the real data
    against unrelated indicators: a count-model dataset is significant when that
    two-sided Monte Carlo p-value is at most ``alpha``, a cross-correlation dataset
    when the maxT-adjusted p-value of its finding (the indicator-leading lag with the
    largest ``|r|``) is; either counts as a detection only on the planted side of the
    null's centre (a significant association of the opposite sign is not the planted
    effect found). So the power is that of a test whose size is ``alpha`` on this
    design (size-adjusted power).
    With ``reference="nominal"``, the statistic's own normal p-value (Holm across
    lags): for designs where that is valid, such as a fully observed covariate.

    Effects are simulated walking away from 1 on each side; a side stops once its
    power reaches ``stop_at`` (larger effects are detected too), and an effect that
    would multiply some month's expected reports by more than
    :data:`MAX_MULTIPLIER` is not simulated (power NaN): no such data were seen.

    Examples
    --------
    A fully observed covariate and Poisson counts (the closed-form case of the tests):

    >>> x = 10 + np.sin(np.arange(60) / 4)  # not a trend: the model has one
    >>> design = PowerDesign(baseline=np.full(60, 3.0), dispersion=0.0, divisor=1.0,
    ...                      truth=lambda rng: x,
    ...                      observe=lambda t, rng: np.stack([np.exp(t)] * 2, axis=-2))
    >>> curve = simulate_power(design, effects=(1.0, 2.0), n_sims=200, n_draws=2, seed=1)
    >>> bool(curve["power"].iloc[0] < 0.15), bool(curve["power"].iloc[1] > 0.9)
    (True, True)
    """
    check_literal(finding, PowerFinding, "finding")
    n_sims = int(check_int(n_sims, "n_sims", minimum=2))
    n_draws = int(check_int(n_draws, "n_draws", minimum=2))
    check_fraction(alpha, "alpha")
    check_literal(reference, PowerReference, "reference")
    if any(not e > 0 for e in effects):
        raise AnalysisError(f"effects must be positive rate ratios; got {list(effects)}")
    rng = np.random.default_rng(seed)
    # common random numbers: the same true paths and observed paths for every effect, so
    # the curve moves only with the effect
    truths, paths = _indicators(design, n_sims, n_draws, rng)
    null_stats = None
    if reference == "simulated":
        n_ref = max(REFERENCE_SIMS, n_sims)
        ref_truths, ref_paths = _indicators(design, n_ref, n_draws, rng)
        data = _simulate(design, 1.0, ref_truths, ref_paths, rng)
        null_stats = _statistics(design, finding, data, n_ref)[0]
    ordered = sorted(set(float(e) for e in effects))
    below = [e for e in ordered if e <= 1][::-1]
    above = [e for e in ordered if e > 1]
    rows = {}
    for side in (below, above):
        stopped = False
        for effect in side:
            if stopped:
                rows[effect] = _row(finding, indicator, effect, None, None)
                continue
            data = _simulate(design, effect, truths, paths, rng)
            if data is None:
                rows[effect] = _row(finding, indicator, effect, None, None)
                stopped = True
                continue
            significant, estimate = _test(
                design, finding, data, n_sims, alpha, null_stats, np.sign(np.log(effect))
            )
            rows[effect] = _row(finding, indicator, effect, significant, estimate)
            stopped = rows[effect]["power"] >= stop_at
    return pd.DataFrame([rows[e] for e in ordered], columns=POWER_COLUMNS)


def _indicators(design, n_sims, n_draws, rng) -> tuple[np.ndarray, np.ndarray]:
    """``(n_sims, n)`` true paths and ``(n_sims, n_draws, n)`` paths the analysis sees."""
    truths = np.array([np.asarray(design.truth(rng), dtype=float) for _ in range(n_sims)])
    paths = np.asarray(design.observe(np.log(truths), rng))
    if paths.ndim == 2:  # an observe that takes one path at a time
        paths = np.array([design.observe(np.log(x), rng) for x in truths])
    return truths, paths[:, :n_draws]


def _simulate(design, effect, truths, paths, rng) -> DrawWindow | None:
    n_draws = paths.shape[1]
    centred = (truths - truths.mean(axis=1, keepdims=True)) / design.divisor
    multiplier = effect ** np.clip(centred, -50, 50)
    if multiplier.max() > MAX_MULTIPLIER:
        return None
    counts = [
        dated_draws(simulated_counts(design.baseline * m, design.dispersion, rng),
                    design.spans, n_draws, rng)
        for m in multiplier
    ]  # fmt: skip
    return DrawWindow(
        months=pd.DatetimeIndex(pd.date_range("2000-01-01", periods=design.n, freq="MS")),
        counts=np.concatenate(counts),
        paths=paths.reshape(-1, design.n),
        center=np.median(paths[0], axis=0),
        expected=design.baseline,
        offset=design.offset,
    )


def _statistics(design, finding, window, blocks):
    """Pooled statistics and estimates per simulated dataset (``blocks`` of draws)."""
    if finding == "count_model":
        z, b = count_statistics(window, design.divisor, blocks)
        return z, np.exp(b)
    lags = design.lags if design.lags is not None else np.arange(-6, 7)
    return ccf_statistics(window, lags, design.ar_order, blocks)


def _test(design, finding, window, blocks, alpha, null_stats, direction):
    """Significant, and on the planted side (``direction``: the sign of the log effect)
    of the null's centre: a finding of the opposite sign is not the effect found."""
    from scipy import stats

    z, est = _statistics(design, finding, window, blocks)
    if finding == "count_model":
        centre = 0.0 if null_stats is None else float(np.nanmedian(null_stats))
        if null_stats is None:
            p = 2 * stats.norm.sf(np.abs(z))
        else:
            p = np.array([monte_carlo_p(t, null_stats) for t in z])
        right_side = direction == 0 or np.sign(z - centre) == direction
        return (p <= alpha) & right_side, est
    lags = design.lags if design.lags is not None else np.arange(-6, 7)
    lead = lags >= 0
    if null_stats is None:
        from cftf_analysis.stats.multiple import adjust_pvalues

        raw = 2 * stats.norm.sf(np.abs(z))
        adjusted = np.array([adjust_pvalues(row, "holm") for row in raw])
    else:
        top = max_standardised(null_stats)
        u = standardise(z, null_stats)
        adjusted = np.vectorize(lambda v: one_sided_p(abs(v), top))(u)
    # the finding is the leading lag with the largest |r|: significant after adjustment
    # and of the planted sign (a planted rate ratio below 1 is a negative association)
    peak = np.nanargmax(np.abs(est[:, lead]), axis=1)
    rows = np.arange(len(peak))
    at_peak = adjusted[:, lead][rows, peak] <= alpha
    centre = 0.0 if null_stats is None else np.nanmedian(null_stats, axis=0)[lead][peak]
    right_side = direction == 0 or np.sign(z[:, lead][rows, peak] - centre) == direction
    return at_peak & right_side, est[:, lead][rows, peak]


def _row(finding, indicator, effect, significant, estimate):
    if significant is None:
        return {"finding": finding, "indicator": indicator, "effect": float(effect),
                "power": np.nan, "power_low": np.nan, "power_high": np.nan,
                "mean_estimate": np.nan, "n_sims": 0}  # fmt: skip
    k, n = int(np.sum(significant)), int(significant.size)
    low, high = _wilson(k, n)
    return {
        "finding": finding,
        "indicator": indicator,
        "effect": float(effect),
        "power": k / n,
        "power_low": low,
        "power_high": high,
        "mean_estimate": float(np.nanmean(estimate)),
        "n_sims": n,
    }


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def design_for(
    ctx: BatteryContext,
    indicator: str,
    *,
    finding: PowerFinding = "count_model",
    lags: np.ndarray | None = None,
    ar_order: int = 0,
) -> PowerDesign:
    """The power design of one indicator finding of a battery (see the module docstring).

    Needs the latent model of ``indicator`` (with an interpolation there is no model of
    the series to simulate from: :class:`~cftf_analysis.errors.AnalysisError`).
    """
    null: NullPaths | None = ctx.null_model(indicator)
    if null is None:
        raise AnalysisError(
            f"power needs the latent model of {indicator}; the battery drew it by "
            f"{ctx.draws.model if ctx.draws is not None else 'no'} interpolation"
        )
    window = draw_window(ctx, indicator)
    sd = ctx.draws.series[indicator]
    fit_pos = window.months.get_indexer(null.months)
    keep = fit_pos >= 0  # fit months inside the window (an exposure may shorten it)
    grid_pos = ctx.draws.months.get_indexer(null.months)
    n_draws = min(MC_DRAWS, window.paths.shape[0])
    deviations = np.log(sd.paths[:n_draws, grid_pos]) - null.log_mean
    counts = ctx.panel.set_index("month")[ctx.options.counts].reindex(window.months)
    baseline, k = baseline_course(counts.to_numpy(float))
    date = "published"
    reports = ctx.reports
    start, end = reports[f"{date}_start"], reports[f"{date}_end"]
    known = start.notna() & end.notna()
    spans = (end[known].dt.year * 12 + end[known].dt.month) - (
        start[known].dt.year * 12 + start[known].dt.month
    )

    def truth(rng: np.random.Generator) -> np.ndarray:
        return np.exp(null.truth(rng))[keep]

    def observe(log_truth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        full = np.broadcast_to(null.line, (*log_truth.shape[:-1], null.line.size)).copy()
        full[..., keep] = log_truth
        return null.observe(full, deviations, rng)[..., keep]

    return PowerDesign(
        baseline=baseline,
        dispersion=k,
        divisor=ctx.scale(indicator).divisor,
        truth=truth,
        observe=observe,
        spans=spans.to_numpy(int),
        offset=window.offset,
        lags=lags,
        ar_order=ar_order,
    )


def power_curve(
    battery: Battery,
    indicator: str,
    *,
    finding: PowerFinding = "count_model",
    effects: tuple[float, ...] = DEFAULT_EFFECTS,
    n_sims: int = DEFAULT_SIMS,
    seed: int | None = None,
) -> pd.DataFrame:
    """Power of a battery's ``finding`` for ``indicator`` per planted rate ratio.

    Simulates ``n_sims`` datasets per effect with the battery's design (see the
    module docstring) and judges each as the battery judged the real data. Columns
    :data:`POWER_COLUMNS`; ``effect`` is the planted rate ratio of monthly reports
    per step of the indicator (the count model's unit, see
    :func:`~cftf_analysis.stats.findings.scale_of`).

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> battery = cftf.run_battery(case="islamic-state", steps=["count_model"], n_draws=40,
    ...                            n_null=39, pairs=["territory"])
    >>> curve = power_curve(battery, "territory", effects=(0.2, 1.0), n_sims=20)
    >>> list(curve.columns) == POWER_COLUMNS, len(curve)
    (True, 2)
    """
    ctx = battery.context
    if ctx is None:
        raise AnalysisError("this battery keeps no context (it was not made by run_battery)")
    check_literal(finding, PowerFinding, "finding")
    opts = ctx.options
    lags, order = None, 0
    if finding == "ccf":
        window = draw_window(ctx, indicator)
        table = pooled_ccf(window, opts.max_lag, conf_level=0.95, alpha=opts.alpha)["table"]
        lags, order = table["lag"].to_numpy(), int(table["ar_order"].iloc[0])
    design = design_for(ctx, indicator, finding=finding, lags=lags, ar_order=order)
    return simulate_power(
        design,
        finding=finding,
        effects=effects,
        n_sims=n_sims,
        alpha=opts.alpha,
        seed=series_seed(opts.seed if seed is None else seed, f"power:{indicator}:{finding}"),
        indicator=indicator,
    )


def detectable_effect(curve: pd.DataFrame, *, power: float = 0.8) -> pd.DataFrame:
    """The smallest effects on each side of 1 detected with ``power``, from a power curve.

    Interpolates the curve on the log scale of the effect. Returns one row per
    finding and indicator of ``curve`` with ``mde_below`` (the rate ratio below 1
    closest to 1 with at least ``power``: a falling indicator going with more
    reports), ``mde_above`` (the same above 1), ``estimate_below`` and
    ``estimate_above`` (the finding's mean estimate there: for the
    cross-correlation, the detectable ``r``), ``size`` (the power at effect 1:
    the simulated false-positive rate) and ``power`` (the target). NaN where no
    simulated effect on that side reaches ``power``.

    Examples
    --------
    >>> curve = pd.DataFrame({"finding": "count_model", "indicator": "x",
    ...                       "effect": [0.25, 0.5, 1.0, 2.0, 4.0],
    ...                       "power": [0.95, 0.6, 0.05, 0.6, 0.95],
    ...                       "mean_estimate": [0.25, 0.5, 1.0, 2.0, 4.0]})
    >>> out = detectable_effect(curve)
    >>> round(float(out["mde_below"].iloc[0]), 3), round(float(out["mde_above"].iloc[0]), 3)
    (0.336, 2.972)
    """
    check_fraction(power, "power")
    rows = []
    for (finding, indicator), g in curve.groupby(["finding", "indicator"], sort=False):
        g = g.sort_values("effect")
        log_e = np.log(g["effect"].to_numpy(float))
        pw = g["power"].to_numpy(float)
        at_one = g.loc[np.isclose(g["effect"], 1.0), "power"]
        est = (
            g["mean_estimate"].to_numpy(float)
            if "mean_estimate" in g
            else np.full(pw.size, np.nan)
        )
        low, high = log_e <= 0, log_e >= 0
        below = _crossing(log_e[low][::-1], pw[low][::-1], power, est[low][::-1])
        above = _crossing(log_e[high], pw[high], power, est[high])
        rows.append(
            {
                "finding": finding,
                "indicator": indicator,
                "mde_below": below[0],
                "mde_above": above[0],
                "estimate_below": below[1],
                "estimate_above": above[1],
                "size": float(at_one.iloc[0]) if len(at_one) else np.nan,
                "power": power,
            }
        )
    return pd.DataFrame(rows)


def _crossing(
    log_effect: np.ndarray, pw: np.ndarray, target: float, estimate: np.ndarray
) -> tuple[float, float]:
    """Walking away from effect 1, the first effect where power reaches ``target``, and the
    mean estimate there (both interpolated linearly in the log effect)."""
    for i in range(1, len(pw)):
        if pw[i] >= target > pw[i - 1]:
            frac = (target - pw[i - 1]) / (pw[i] - pw[i - 1])
            at = log_effect[i - 1] + frac * (log_effect[i] - log_effect[i - 1])
            moved = estimate[i - 1] + frac * (estimate[i] - estimate[i - 1])
            return float(np.exp(at)), float(moved)
    return np.nan, np.nan


def finding_power(
    ctx: BatteryContext,
    indicator: str,
    finding: PowerFinding,
    *,
    lags: np.ndarray | None = None,
    ar_order: int = 0,
) -> tuple[pd.DataFrame, pd.Series] | None:
    """The power curve and detectable effects of one battery finding (for the steps).

    None when the battery does not compute power (``n_power`` 0) or the series has no
    latent model to simulate from.
    """
    opts = ctx.options
    if opts.n_power == 0 or ctx.null_model(indicator) is None:
        return None
    design = design_for(ctx, indicator, finding=finding, lags=lags, ar_order=ar_order)
    curve = simulate_power(
        design,
        finding=finding,
        n_sims=opts.n_power,
        alpha=opts.alpha,
        seed=series_seed(opts.seed, f"power:{indicator}:{finding}"),
        indicator=indicator,
    )
    return curve, detectable_effect(curve).iloc[0]
