"""The indicator findings, computed on joint draws of the data, pooled, and judged by Monte Carlo.

An interpolated month is not an observation. Each step here computes its
statistic on every joint draw of the report counts and the indicator path
(:mod:`cftf_analysis.stats.draws`) and pools the draws as multiple imputations:

- **count model** (``"count_model"``): a quasi-Poisson GLM of monthly counts on
  the rescaled indicator and a linear trend per draw
  (:func:`~cftf_analysis.stats.batch.fit_poisson_batch`); the log rate ratios
  are pooled by Rubin's rules;
- **cross-correlation** (``"ccf"``): both series detrended, both filtered by an
  AR model of the report counts (the noise-like series; a correlation of a
  series with a white one has variance ``1/n`` whatever the other series'
  autocorrelation, Haugh 1976), Fisher z per lag pooled by Rubin's rules;
- **Granger** (``"granger"``): the F test of the indicator's lags (and the
  reverse) per draw, pooled by the D2 statistic
  (:func:`~cftf_analysis.stats.pooling.pool_f_tests`); the differencing is
  chosen once on the posterior median path, the lag order from each series'
  own past (:func:`granger_order`), never from how the two move together. Its
  Monte Carlo p-value judges the F of the average draw (:func:`granger_statistics`).

The pooled result is *the* finding: there is no separate computation on one
"observed" panel.

**The p-values are judged against unrelated series observed the same way.**
Two smooth series that each rise or fall once look associated far more often
than a GLM or correlation test that treats months as independent says. So the
pooled statistic is compared with its values for ``n_null`` indicator paths
simulated *unrelated* to the reports but with the real series' design: the same
observation months, spans, ranges and bounds, the same straight-line course and
swings of the same size in directions drawn from the series' model (a rotation
test: :class:`~cftf_analysis.stats.draws.NullPaths`), paired with the real report
counts. The p-value is the two-sided Monte Carlo p-value
(:func:`monte_carlo_p`; one-sided for Granger's F), the cross-correlation's is
adjusted across lags by the single-step maxT method (Westfall and Young 1993).
The unrelated series' median estimate is reported too: what the design alone
gives. The estimates and intervals are Rubin's. The calibration on the bundled
design is in ``validation/results/battery_calibration.md``. Without a latent
model (``indicator_model`` an interpolation) or with ``n_null=0``, Rubin's
p-values stand, with Holm across lags.

Each finding also carries the spread of the per-draw estimates
(``draws_q025``/``draws_q975``) and the share of draws significant on their own.
The battery's steps that run these findings, and the influence check that names
the observation a finding depends on, are in
:mod:`cftf_analysis.stats.indicator_steps`.

References
----------
Haugh, L. D. (1976). Checking the independence of two covariance-stationary time
series: a univariate residual cross-correlation approach. *JASA* 71, 378-385.
Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.
Westfall, P. H. and Young, S. S. (1993). *Resampling-Based Multiple Testing*. Wiley.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cftf_analysis.errors import AnalysisError
from cftf_analysis.stats.batch import fit_poisson_batch, rubin_pool
from cftf_analysis.stats.batch_series import granger_f_batch, prewhitened_ccf_batch
from cftf_analysis.stats.battery import BatteryContext
from cftf_analysis.stats.granger import granger_test
from cftf_analysis.stats.multiple import adjust_pvalues
from cftf_analysis.stats.pooling import pool_f_tests
from cftf_analysis.stats.timeseries import fit_ar, linear_detrend

__all__ = [
    "DrawWindow",
    "average_draw",
    "ccf_finding",
    "count_model_finding",
    "draw_window",
    "granger_finding",
    "granger_order",
    "granger_statistics",
    "like_the_null",
    "monte_carlo_p",
    "null_summary",
    "pooled_ccf",
    "pooled_count_model",
    "pooled_granger",
    "replicated",
]

#: Degree of the count model's polynomial time trend: a straight line. Report counts follow
#: search effort and the news cycle, a rise and fall a line misfits, and a smooth indicator
#: takes up the misfit; the Monte Carlo p-value allows for that (the unrelated indicators
#: take it up as much), where Rubin's p-value does not (see
#: ``validation/results/battery_calibration.md``).
TREND_DEGREE = 1
#: Path draws pooled per simulation of the Monte Carlo null (and for the observed statistic).
MC_DRAWS = 40


@dataclass(frozen=True)
class DrawWindow:
    """The joint draws of one series, restricted to the months where it is defined.

    Attributes
    ----------
    months
        The months (month starts).
    counts
        ``(n_draws, n)`` report counts (or the fixed article counts, repeated).
    paths
        ``(n_draws, n)`` indicator paths.
    center
        ``(n,)`` the posterior median (or interpolated) path.
    expected
        ``(n,)`` the panel's counts (reports spread over their date intervals).
    offset
        ``(n,)`` log exposure, or None.
    """

    months: pd.DatetimeIndex
    counts: np.ndarray
    paths: np.ndarray
    center: np.ndarray
    expected: np.ndarray
    offset: np.ndarray | None

    @property
    def n(self) -> int:
        """Months in the window."""
        return len(self.months)

    def trimmed(self) -> DrawWindow:
        """The window without the months where any path is missing.

        Dropping an end figure of an interpolated series shortens it: nothing
        is extrapolated, so those months leave the window.
        """
        keep = np.isfinite(self.paths).all(axis=0)
        if keep.all():
            return self
        return DrawWindow(
            self.months[keep],
            self.counts[:, keep],
            self.paths[:, keep],
            self.center[keep],
            self.expected[keep],
            None if self.offset is None else self.offset[keep],
        )

    def with_paths(self, paths: np.ndarray) -> DrawWindow:
        """The same window with other paths (and as many count draws as paths).

        A month where every path is missing (an interpolation without its end
        figure) has a missing centre; :meth:`trimmed` drops it.
        """
        if len(paths) > len(self.counts):
            raise AnalysisError(f"{len(paths)} paths but only {len(self.counts)} count draws")
        center = np.full(paths.shape[1], np.nan)
        seen = np.isfinite(paths).any(axis=0)
        center[seen] = np.nanmedian(paths[:, seen], axis=0)
        return DrawWindow(
            self.months, self.counts[: len(paths)], paths, center, self.expected, self.offset
        )


def draw_window(ctx: BatteryContext, indicator: str) -> DrawWindow:
    """The joint draws of ``indicator`` on the months where it (and any exposure) is defined."""
    draws = ctx.draws
    if draws is None or indicator not in draws.series:
        reason = draws.failed.get(indicator, "not drawn") if draws is not None else "no draws"
        raise AnalysisError(f"{indicator} cannot be drawn: {reason}")
    sd = draws.series[indicator]
    panel = ctx.panel.set_index("month")
    keep = sd.defined.copy()
    offset = None
    if ctx.exposure is not None:
        expo = panel[ctx.exposure].reindex(draws.months).to_numpy(float)
        keep &= np.isfinite(expo) & (expo > 0)
        offset = np.log(expo[keep])
    counts_name = ctx.options.counts
    if counts_name == "n_reports":
        counts = draws.counts[:, keep].astype(float)
    else:
        fixed = panel[counts_name].reindex(draws.months).to_numpy(float)
        keep &= np.isfinite(fixed)
        counts = np.broadcast_to(fixed[keep], (draws.n_draws, int(keep.sum()))).copy()
        if offset is not None:
            offset = np.log(panel[ctx.exposure].reindex(draws.months).to_numpy(float)[keep])
    expected = panel[counts_name].reindex(draws.months).to_numpy(float)[keep]
    return DrawWindow(
        months=draws.months[keep],
        counts=counts,
        paths=sd.paths[:, keep],
        center=sd.center[keep],
        expected=expected,
        offset=offset,
    )


def _holm(p: np.ndarray) -> np.ndarray:
    return adjust_pvalues(p, "holm")


# --- the pooled statistics --------------------------------------------------------------------


def time_basis(n: int, degree: int) -> np.ndarray:
    """``(n, degree)`` orthogonal polynomial terms of time (linear, quadratic, ...).

    Orthogonal to each other and to a constant (by QR), each with mean square 1,
    so that the coefficients are stable; the first column is proportional to
    the centred month number.

    Examples
    --------
    >>> b = time_basis(10, 2)
    >>> b.shape, bool(np.allclose(b.T @ b / 10, np.eye(2)))
    ((10, 2), True)
    """
    t = np.arange(n, dtype=float)
    t = (t - t.mean()) / max(t.std(), 1.0)
    raw = np.column_stack([np.ones(n), *(t**k for k in range(1, degree + 1))])
    q, _ = np.linalg.qr(raw)
    return q[:, 1 : degree + 1] * np.sqrt(n)


def pooled_count_model(
    window: DrawWindow,
    divisor: float,
    *,
    conf_level: float,
    alpha: float,
    trend_degree: int = TREND_DEGREE,
) -> dict[str, Any]:
    """Rubin-pooled rate ratio of the indicator (per ``divisor``) in a GLM with a time trend.

    The trend is a polynomial of degree ``trend_degree`` in time (see
    :data:`TREND_DEGREE` for why it is not a straight line).
    """
    n = window.n
    d = window.paths.shape[0]
    if n <= trend_degree + 3:
        raise AnalysisError(
            f"{n} months with the indicator; a count model with a degree-{trend_degree} trend "
            f"needs at least {trend_degree + 4}"
        )
    basis = time_basis(n, trend_degree)
    design = np.empty((d, n, 2 + trend_degree))
    design[:, :, 0] = 1.0
    design[:, :, 1] = window.paths / divisor
    design[:, :, 2:] = basis[None, :, :]
    if np.any(np.ptp(design[:, :, 1], axis=1) == 0):
        raise AnalysisError("the indicator is constant over the months of the model")
    fit = fit_poisson_batch(window.counts, design, offset=window.offset, scale="pearson")
    ok = np.asarray(fit.ok, dtype=bool)
    if ok.sum() < 2:
        raise AnalysisError(
            f"the count model could not be fitted on the draws ({int((~ok).sum())} of "
            f"{ok.size} separated, collinear or not converged)"
        )
    params, cov = fit.params[ok], fit.cov[ok]
    # quasi-Poisson: each fit's estimate has df_resid complete-data degrees of freedom
    pooled = rubin_pool(
        params,
        np.diagonal(cov, axis1=1, axis2=2),
        conf_level=conf_level,
        df_complete=float(np.median(fit.df_resid[ok])),
    )
    b, se = params[:, 1], np.sqrt(cov[:, 1, 1])
    per_draw_p = 2 * stats.norm.sf(np.abs(b / se))
    terms = [
        "intercept",
        "indicator",
        "trend",
        *(f"trend^{k}" for k in range(2, trend_degree + 1)),
    ]
    table = pd.DataFrame(
        {
            "term": terms,
            "estimate": pooled["estimate"].to_numpy(),
            "std_error": pooled["std_error"].to_numpy(),
            "p_value": pooled["p_value"].to_numpy(),
            "ci_low": pooled["ci_low"].to_numpy(),
            "ci_high": pooled["ci_high"].to_numpy(),
            "df": pooled["df"].to_numpy(),
            "fmi": pooled["fmi"].to_numpy(),
        }
    )
    table["n_obs"] = n
    table["n_draws"] = int(ok.sum())
    table["scale"] = float(np.median(fit.scale[ok]))
    at = pooled.iloc[1]
    with np.errstate(over="ignore"):  # a draw-poor interval may reach infinity: say so
        table_irr = np.exp(table[["estimate", "ci_low", "ci_high"]].to_numpy())
    table["irr"], table["irr_low"], table["irr_high"] = table_irr.T
    return {
        "estimate": float(np.exp(at["estimate"])),
        "ci_low": float(table_irr[1, 1]),
        "ci_high": float(table_irr[1, 2]),
        "p_value": float(at["p_value"]),
        "statistic": float(at["statistic"]),
        "draws": np.exp(b),
        "draw_p": per_draw_p,
        "share_significant": float(np.mean(per_draw_p < alpha)),
        "n_obs": n,
        "table": table,
        "scale": float(np.median(fit.scale[ok])),
        "n_failed": int((~ok).sum()),
    }


def pooled_ccf(
    window: DrawWindow, max_lag: int, *, conf_level: float, alpha: float
) -> dict[str, Any]:
    """Rubin-pooled prewhitened cross-correlation at lags ``-max_lag..max_lag``.

    A positive lag means the indicator leads the counts.
    """
    lags = np.arange(-max_lag, max_lag + 1)
    expected = window.expected
    if np.ptp(expected) == 0:
        raise AnalysisError("the counts are constant")
    top = min(12, int(np.sqrt(window.n)))
    order = fit_ar(linear_detrend(expected), max_order=max(top, 0)).order
    # the kernel correlates (a_t, b_{t+k}) with both filtered by a's AR fit: a = counts
    res = prewhitened_ccf_batch(window.counts, window.paths, lags=[int(k) for k in -lags],
                                ar_order=order)  # fmt: skip
    n_obs = np.asarray(res.n_obs)
    if np.any(n_obs < 4):
        raise AnalysisError(f"too few months ({window.n}) for lags up to {max_lag}")
    ok = np.asarray(res.ok, dtype=bool)
    if ok.sum() < 2:
        raise AnalysisError("the cross-correlation could not be computed on the draws")
    r = np.asarray(res.r)[ok]
    z = np.arctanh(np.clip(r, -1 + 1e-12, 1 - 1e-12))
    within = np.broadcast_to(1.0 / (n_obs.astype(float) - 3.0), z.shape)
    pooled = rubin_pool(z, within, conf_level=conf_level)
    per_draw_p = 2 * stats.norm.sf(np.abs(z) / np.sqrt(within))
    p_value = pooled["p_value"].to_numpy()
    table = pd.DataFrame(
        {
            "lag": lags.astype("int64"),
            "estimate": np.tanh(pooled["estimate"].to_numpy()),
            "ci_low": np.tanh(pooled["ci_low"].to_numpy()),
            "ci_high": np.tanh(pooled["ci_high"].to_numpy()),
            "statistic": pooled["statistic"].to_numpy(),
            "p_value": p_value,
            "p_adjusted": _holm(p_value),
            "n_obs": n_obs.astype("int64"),
            "draws_q025": np.quantile(r, 0.025, axis=0),
            "draws_q975": np.quantile(r, 0.975, axis=0),
            "share_significant": np.mean(per_draw_p < alpha, axis=0),
            "ar_order": order,
        }
    )
    lead = table[table["lag"] >= 0]
    peak = lead.loc[lead["estimate"].abs().idxmax()]
    return {"table": table, "peak": peak, "draws": r}


def pooled_granger(
    window: DrawWindow,
    max_lag: int,
    names: tuple[str, str],
    *,
    alpha: float,
    chosen: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """D2-pooled Granger F tests both ways, order and differencing chosen on the median path.

    The differencing is :func:`~cftf_analysis.stats.granger.granger_test`'s (until
    the median path and the counts each look stationary); the lag order is
    :func:`granger_order`'s, from each series' own past only.
    ``chosen=(lag, differences)`` fixes them instead (the influence check keeps
    the full data's choice).
    """
    ind, counts = names
    if chosen is None:
        frame = pd.DataFrame({ind: window.center, counts: window.expected})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the choice is on the median path only
            picked = granger_test(frame, cause=ind, effect=counts, max_lag=max_lag)
        diff = int(picked["differenced"].iloc[0])
        chosen = (granger_order(window.center, window.expected, diff, max_lag), diff)
    lag, diff = chosen
    flat = np.diff(window.center, n=diff) if diff else window.center
    share_flat = float(np.mean(np.isclose(np.diff(flat), 0.0))) if flat.size > 1 else 0.0
    rows = []
    for cause, effect, x, y in (
        (ind, counts, window.paths, window.counts),
        (counts, ind, window.counts, window.paths),
    ):
        res = granger_f_batch(x, y, lag=lag, differences=diff)
        ok = np.asarray(res.ok, dtype=bool)
        if ok.sum() < 2:
            raise AnalysisError("the Granger test could not be computed on the draws")
        f_stats = np.asarray(res.F)[ok]
        pooled = pool_f_tests(f_stats, lag)
        rows.append(
            {
                "cause": cause,
                "effect": effect,
                "lag": lag,
                "statistic": pooled.statistic,
                "df_num": pooled.df_num,
                "df_denom": pooled.df_denom,
                "p_value": pooled.p_value,
                "r": pooled.r,
                "draws_q025": float(np.quantile(f_stats, 0.025)),
                "draws_q975": float(np.quantile(f_stats, 0.975)),
                "share_significant": float(np.mean(np.asarray(res.p_value)[ok] < alpha)),
                "n_obs": int(np.max(res.n_obs)),
                "differenced": diff,
                "share_constant": share_flat,
            }
        )
    return {"table": pd.DataFrame(rows), "share_constant": share_flat}


def granger_order(x: np.ndarray, y: np.ndarray, differences: int, max_lag: int) -> int:
    """Lag order of the Granger tests: the larger of the AIC orders of ``x`` and ``y``
    (each differenced ``differences`` times) as autoregressions of their own past,
    ``1..max_lag``.

    The order is chosen without looking at how the two series move together. Chosen
    by the information criterion of the joint model (``granger_test(ic=...)``), it
    is the order at which one series best predicts the other, and a Monte Carlo null
    that keeps that order does not pay for the choice: on a sparse design the test
    rejected about twice as many null datasets as its level
    (``validation/calibrate_battery.py``).

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> x = np.zeros(200)
    >>> for t in range(2, 200):
    ...     x[t] = 0.5 * x[t - 1] + 0.3 * x[t - 2] + rng.normal()
    >>> granger_order(x, rng.normal(size=200), 0, 4)
    2
    """
    orders = []
    for series in (x, y):
        v = np.diff(np.asarray(series, dtype=float), n=differences)
        orders.append(fit_ar(v, max_order=max_lag, ic="aic").order)
    return int(min(max(max(orders), 1), max_lag))


# --- the Monte Carlo test against an indicator unrelated to the reports ---------------------
#
# The p-values compare each pooled statistic with its values when the indicator is simulated
# as unrelated to the reports but observed with the same design (BatteryContext.null_paths):
# same observation months, spans, ranges and bounds, same straight line and the same size
# of swings around it in other directions (NullPaths).
# The real report counts are kept: the test is conditional on the reports' own course, which
# is the part of the design the analyst cannot model well (search effort, the news cycle).


def monte_carlo_p(observed: float, simulated: np.ndarray) -> float:
    """Two-sided Monte Carlo p-value of ``observed`` against its simulated null values.

    Twice the smaller tail, ``2 * min(1 + #{T* >= T}, 1 + #{T* <= T}) / (1 + B)``
    (at most 1), ignoring failed simulations (NaN). The null need not be
    centred on zero: under a design that makes unrelated series look associated
    (a shared decline, say) the simulated statistics are shifted, and the
    observed one is judged against them, not against zero.

    Examples
    --------
    >>> monte_carlo_p(2.0, np.array([0.5, -2.5, 1.0, 3.0]))
    0.8
    >>> monte_carlo_p(-3.0, np.arange(-2.0, 2.0, 0.1))
    0.04878...
    """
    sims = simulated[np.isfinite(simulated)]
    tol = 1e-12 * max(abs(observed), 1.0)
    upper = (1 + np.sum(sims >= observed - tol)) / (1 + sims.size)
    lower = (1 + np.sum(sims <= observed + tol)) / (1 + sims.size)
    return float(min(1.0, 2 * min(upper, lower)))


def _robust_sd(simulated: np.ndarray) -> float:
    sims = simulated[np.isfinite(simulated)]
    if sims.size < 10:
        return 1.0
    return float(1.4826 * np.median(np.abs(sims - np.median(sims))))


def replicated(window: DrawWindow, null: np.ndarray) -> DrawWindow:
    """A window whose rows are (simulation, path draw) pairs: ``B * D`` rows, counts repeated."""
    b, d = null.shape[0], null.shape[1]
    return DrawWindow(
        window.months,
        np.tile(window.counts[:d], (b, 1)),
        null.reshape(b * d, -1),
        window.center,
        window.expected,
        window.offset,
    )


def like_the_null(window: DrawWindow, null: np.ndarray) -> DrawWindow:
    """``window`` cut to its first ``D`` draws, as many as each simulation of ``null`` has.

    A pooled statistic depends on the number of draws it pools (Rubin's between-draw
    variance, the D2 statistic's ``r``), so the observed statistic a Monte Carlo
    p-value judges must pool as many draws as each simulated one: the first ``D``
    of the observed draws, whose count draws are the ones the simulations are paired
    with (:func:`replicated`). Pooling all draws against simulations of ``D`` made
    the Granger tests reject several times too often on a sparse design
    (validation/calibrate_battery.py).
    """
    d = min(null.shape[1], window.paths.shape[0])
    return window.with_paths(window.paths[:d])


def count_statistics(
    window: DrawWindow, divisor: float, blocks: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rubin-pooled z and log rate ratio of the indicator for each of ``blocks`` blocks of draws.

    The window's rows are ``blocks`` consecutive blocks of equally many draws;
    each block is pooled on its own (the observed data: one block).
    """
    n, rows = window.n, window.paths.shape[0]
    design = np.empty((rows, n, 2 + TREND_DEGREE))
    design[:, :, 0] = 1.0
    design[:, :, 1] = window.paths / divisor
    design[:, :, 2:] = time_basis(n, TREND_DEGREE)[None, :, :]
    fit = fit_poisson_batch(window.counts, design, offset=window.offset, scale="pearson")
    ok = np.asarray(fit.ok, dtype=bool)
    est = np.where(ok, fit.params[:, 1], np.nan).reshape(blocks, -1)
    var = np.where(ok, fit.cov[:, 1, 1], np.nan).reshape(blocks, -1)
    pooled = rubin_pool(est.T, var.T, nan_policy="omit")
    return pooled["statistic"].to_numpy(), pooled["estimate"].to_numpy()


def ccf_statistics(
    window: DrawWindow, lags: np.ndarray, order: int, blocks: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(blocks, n_lags)`` Rubin-pooled statistics and correlations of the prewhitened CCF."""
    res = prewhitened_ccf_batch(window.counts, window.paths, lags=[int(k) for k in -lags],
                                ar_order=order)  # fmt: skip
    n_obs = np.asarray(res.n_obs, dtype=float)
    z = np.arctanh(np.clip(np.asarray(res.r), -1 + 1e-12, 1 - 1e-12))
    z = np.where(np.asarray(res.ok)[:, None], z, np.nan).reshape(blocks, -1, lags.size)
    within = 1.0 / (n_obs - 3.0)
    # every block's lags pooled in one call: columns (block, lag), rows the block's draws
    flat = z.transpose(1, 0, 2).reshape(z.shape[1], blocks * lags.size)
    pooled = rubin_pool(flat, np.broadcast_to(np.tile(within, blocks), flat.shape),
                        nan_policy="omit")  # fmt: skip
    out = pooled["statistic"].to_numpy().reshape(blocks, lags.size).copy()
    r = np.tanh(pooled["estimate"].to_numpy()).reshape(blocks, lags.size)
    # a block with fewer than 2 complete draws has no pooled statistic
    thin = np.isfinite(z).all(axis=2).sum(axis=1) < 2
    out[thin] = np.nan
    r[thin] = np.nan
    return out, r


def average_draw(window: DrawWindow, blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """``(paths, counts)``, each ``(blocks, n)``: the average draw of each block of draws.

    The window's rows are ``blocks`` consecutive blocks of equally many draws. A
    block's average path is the mean on the log scale (the geometric mean: the
    latent model's scale) when every path is positive, the plain mean otherwise;
    its counts are the mean of the block's count draws.

    Examples
    --------
    >>> w = DrawWindow(pd.DatetimeIndex(["2020-01-01", "2020-02-01"]),
    ...                np.array([[1.0, 3.0], [3.0, 5.0]]), np.array([[1.0, 4.0], [4.0, 1.0]]),
    ...                np.array([2.0, 2.0]), np.array([2.0, 4.0]), None)
    >>> paths, counts = average_draw(w, 1)
    >>> paths.tolist(), counts.tolist()
    ([[2.0, 2.0]], [[2.0, 4.0]])
    """
    n = window.n
    paths = window.paths.reshape(blocks, -1, n)
    counts = window.counts.reshape(blocks, -1, n).mean(axis=1)
    if np.all(paths > 0):
        return np.exp(np.log(paths).mean(axis=1)), counts
    return paths.mean(axis=1), counts


def granger_statistics(
    window: DrawWindow, lag: int, diff: int, blocks: int, *, reverse: bool = False
) -> np.ndarray:
    """The Granger Monte Carlo statistic per block of draws: the F of the block's average draw.

    ``cause -> effect`` is indicator -> counts (or the reverse), both averaged over
    the block's draws (:func:`average_draw`), then differenced ``diff`` times and
    tested at lag ``lag``. Unlike the D2 statistic pooled over the draws, it does not
    depend on how each draw departs from the posterior mean: every simulation of the
    Monte Carlo null shares the real fit's departures, and pooling over them made the
    Granger tests reject up to 8% of unrelated indicators at 5% on a sparse design,
    where this statistic rejects 4 to 6% (``validation/compare_granger_statistics.py``).
    """
    paths, counts = average_draw(window, blocks)
    cause, effect = (counts, paths) if reverse else (paths, counts)
    res = granger_f_batch(cause, effect, lag=lag, differences=diff)
    return np.where(np.asarray(res.ok), np.asarray(res.F), np.nan)


def standardise(observed: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """``(observed - null median) / null robust sd`` per column (lag)."""
    centre = np.nanmedian(sims, axis=0)
    scale = np.array([_robust_sd(sims[:, j]) for j in range(sims.shape[1])])
    scale = np.where(scale > 0, scale, 1.0)
    return (observed - centre) / scale


def max_standardised(sims: np.ndarray) -> np.ndarray:
    """``max_j |standardised T*_j|`` per simulation: the maxT null across lags."""
    return np.nanmax(np.abs(standardise(sims, sims)), axis=1)


def one_sided_p(observed: float, simulated: np.ndarray) -> float:
    """``(1 + #{T* >= T}) / (1 + B)`` ignoring NaN simulations."""
    sims = simulated[np.isfinite(simulated)]
    return float((1 + np.sum(sims >= observed * (1 - 1e-12))) / (1 + sims.size))


def null_summary(statistic: float, sims: np.ndarray) -> dict[str, float]:
    """Monte Carlo p-value of ``statistic`` and the centre and spread of its simulated null.

    ``null_centre`` (median) and ``null_sd`` (robust standard deviation, ``1.4826 *
    MAD``) of the simulated statistics say what the design does to the statistic:
    an unbiased design with independent months would give 0 and 1.

    Examples
    --------
    >>> sims = np.random.default_rng(1).normal(-2.0, 1.0, 4000)  # the design's shift
    >>> out = null_summary(-2.0, sims)
    >>> out["p_value"] > 0.9, round(out["null_centre"], 1), round(out["null_sd"], 1)
    (True, -2.0, 1.0)
    """
    return {
        "p_value": monte_carlo_p(statistic, sims),
        "null_centre": float(np.nanmedian(sims)),
        "null_sd": _robust_sd(sims),
    }


def count_model_finding(
    window: DrawWindow,
    divisor: float,
    null: np.ndarray | None,
    *,
    conf_level: float,
    alpha: float,
) -> dict[str, Any]:
    """The count-model finding: Rubin-pooled rate ratio, Monte Carlo p-value.

    ``null`` is ``(B, D, n)`` indicator paths unrelated to the reports
    (:meth:`~cftf_analysis.stats.battery.BatteryContext.null_paths`). The pooled
    z statistic is compared with the pooled z statistics of the
    ``B`` unrelated indicators (``D`` draws each, with the real report counts):
    ``p_value`` is the Monte Carlo p-value (:func:`monte_carlo_p`; the observed
    statistic pooled over the first ``D`` draws, :func:`like_the_null`), Rubin's is
    kept in ``rubin``; ``null`` holds the simulated statistics, ``null_centre``
    and ``null_sd`` their centre and spread (:func:`null_summary`) and
    ``null_estimate`` the unrelated indicators' median rate ratio (what the
    design alone gives). The estimate and interval are Rubin's: the null is
    conditional on the report counts, so its spread lacks their sampling
    variation and cannot widen or shift an interval. Without ``null`` Rubin's
    p-value stands.
    """
    res = pooled_count_model(window, divisor, conf_level=conf_level, alpha=alpha)
    res["rubin"] = {k: res[k] for k in ("estimate", "ci_low", "ci_high", "p_value")}
    res.update(null=None, null_centre=np.nan, null_sd=np.nan, null_estimate=np.nan)
    if null is None:
        return res
    sims, null_b = count_statistics(replicated(window, null), divisor, null.shape[0])
    observed = count_statistics(like_the_null(window, null), divisor, 1)[0][0]
    res.update(
        null_summary(float(observed), sims),
        null=sims,
        null_estimate=float(np.exp(np.nanmedian(null_b))),
    )
    return res


def ccf_finding(
    window: DrawWindow,
    max_lag: int,
    null: np.ndarray | None,
    *,
    conf_level: float,
    alpha: float,
) -> dict[str, Any]:
    """The cross-correlation finding: Rubin-pooled ``r`` per lag, Monte Carlo p-values.

    With ``null``, each lag's pooled statistic (over the first ``D`` draws,
    :func:`like_the_null`) is compared with that lag's simulated statistics
    (:func:`null_summary`; Rubin's p-value kept as ``p_rubin``); ``p_adjusted``
    is the single-step maxT p across lags (Westfall and Young 1993) on the
    statistics standardised by their null centre and spread
    (:func:`standardise`); ``null_estimate`` is the unrelated indicators'
    median ``r``. Without ``null``, Rubin's results with Holm
    across lags. The peak is the indicator-leading lag (``>= 0``) with
    the largest ``|estimate|``.
    """
    res = pooled_ccf(window, max_lag, conf_level=conf_level, alpha=alpha)
    table = res["table"]
    table.insert(table.columns.get_loc("p_value"), "p_rubin", table["p_value"])
    table["null_centre"] = np.nan
    table["null_sd"] = np.nan
    table["null_estimate"] = np.nan
    res["null"] = None
    if null is not None:
        lags = table["lag"].to_numpy()
        order = int(table["ar_order"].iloc[0])
        sims, null_r = ccf_statistics(replicated(window, null), lags, order, null.shape[0])
        stat = ccf_statistics(like_the_null(window, null), lags, order, 1)[0][0]
        cal = pd.DataFrame([null_summary(stat[j], sims[:, j]) for j in range(lags.size)])
        table["p_value"] = cal["p_value"].to_numpy()
        top = max_standardised(sims)
        u = standardise(stat[None, :], sims)[0]
        table["p_adjusted"] = [one_sided_p(abs(v), top) for v in u]
        table["null_centre"] = cal["null_centre"].to_numpy()
        table["null_sd"] = cal["null_sd"].to_numpy()
        table["null_estimate"] = np.nanmedian(null_r, axis=0)
        res["null"] = sims
    lead = table[table["lag"] >= 0]
    res["peak"] = lead.loc[lead["estimate"].abs().idxmax()]
    return res


def granger_finding(
    window: DrawWindow,
    max_lag: int,
    names: tuple[str, str],
    null: np.ndarray | None,
    *,
    alpha: float,
) -> dict[str, Any]:
    """The Granger findings both ways: D2-pooled F, Monte Carlo p-values (with ``null``).

    The estimate (``statistic``) is the D2 statistic pooled over all draws, with
    its own p-value kept as ``p_rubin``. With ``null``, ``p_value`` is the
    one-sided Monte Carlo p-value of the F of the average draw
    (:func:`granger_statistics`, column ``f_average``) over the first ``D`` draws
    (:func:`like_the_null`), judged against the same statistic of each
    simulation's ``D`` draws; without it ``p_value`` is ``p_rubin`` and
    ``f_average`` is NaN.
    """
    res = pooled_granger(window, max_lag, names, alpha=alpha)
    table = res["table"]
    table["p_rubin"] = table["p_value"]
    table["f_average"] = np.nan
    res["null"] = None
    if null is not None:
        lag, diff = int(table["lag"].iloc[0]), int(table["differenced"].iloc[0])
        big = replicated(window, null)
        head = like_the_null(window, null)
        nulls, p, observed = [], [], []
        for reverse in (False, True):
            sims = granger_statistics(big, lag, diff, null.shape[0], reverse=reverse)
            nulls.append(sims)
            observed.append(float(granger_statistics(head, lag, diff, 1, reverse=reverse)[0]))
            p.append(one_sided_p(observed[-1], sims))
        table["p_value"] = p
        table["f_average"] = observed
        res["null"] = nulls
    return res
