"""Optimal segmentation of a series into constant-level segments, with a permutation test.

:func:`change_points` finds the exact optimal segmentation by dynamic
programming (Bellman's recursion over all break positions) for a Gaussian
mean-shift cost or a Poisson cost, either for a given number of breaks or with
a BIC-type penalty, and tests the breaks against "no break" with an AR(1)
residual bootstrap or a permutation test.
:class:`PoissonSegmentCost` is the same Poisson cost as a ``ruptures`` custom
cost, for use with ``ruptures`` search methods. The dynamic programming and the
resampling are in :mod:`cftf_analysis.stats.segmentation`.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from ruptures.base import BaseCost

from cftf_analysis.errors import AnalysisError, ArgumentError, DataValidationError
from cftf_analysis.options import (
    ChangePointModel,
    ChangePointResampling,
    check_fraction,
    check_int,
    check_literal,
)
from cftf_analysis.stats.segmentation import (
    backtrack,
    break_statistic,
    noise_scale,
    optimal_partition,
    resampled_p_value,
    segment_costs,
    selective_break_p_value,
)

__all__ = [
    "BIC_PARAMS_PER_SEGMENT",
    "BREAK_COLUMNS",
    "DRAWS_PER_KEPT",
    "SEGMENT_COLUMNS",
    "TEST_COLUMNS",
    "ChangePointResult",
    "PoissonSegmentCost",
    "RatioInterval",
    "change_points",
    "ratio_interval",
]

#: Columns of :attr:`ChangePointResult.segments`, in order.
SEGMENT_COLUMNS: list[str] = ["segment", "start", "end", "n_obs", "mean"]
#: Columns of :attr:`ChangePointResult.test`, in order.
TEST_COLUMNS: list[str] = [
    "n_breaks", "statistic", "p_value", "n_obs", "n_resamples", "resampling", "block_size",
    "ar1_coefficient", "model", "penalty", "penalty_value", "noise_scale", "residual_acf1",
    "method",
]  # fmt: skip
#: Columns of :attr:`ChangePointResult.breaks_table`, in order.
BREAK_COLUMNS: list[str] = [
    "break", "position", "mean_before", "mean_after", "ratio", "ci_low", "ci_high", "scale",
    "statistic", "p_value", "p_adjusted", "edge", "n_before", "n_after", "n_selected",
    "n_permutations", "method",
]  # fmt: skip
#: Default cap on permutations drawn per break, as a multiple of ``break_resamples``.
DRAWS_PER_KEPT = 10


@dataclass(frozen=True, eq=False)
class ChangePointResult:
    """Segmentation and break test returned by :func:`change_points`.

    Attributes
    ----------
    segments
        One row per segment, columns :data:`SEGMENT_COLUMNS`.
    test
        One row, columns :data:`TEST_COLUMNS`.
    breaks
        Index labels where a new segment starts (the first label of segments 2, 3, ...).
    break_positions
        The same as 0-based positions in the series after dropping missing values.
    breaks_table
        One row per break, columns :data:`BREAK_COLUMNS`: the evidence for each
        break on its own (see :func:`change_points`).
    """

    segments: pd.DataFrame
    test: pd.DataFrame
    breaks: list[Any] = field(default_factory=list)
    break_positions: list[int] = field(default_factory=list)
    breaks_table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BREAK_COLUMNS))


class RatioInterval(NamedTuple):
    """Ratio of two segment means with its interval, from :func:`ratio_interval`."""

    ratio: float  #: mean after / mean before
    ci_low: float  #: lower confidence limit
    ci_high: float  #: upper confidence limit
    scale: float  #: Pearson dispersion (Poisson) or residual variance (mean)


class PoissonSegmentCost(BaseCost):
    """Poisson segment cost for ``ruptures``: ``2 * (s - s * log(s / m))``.

    For a segment with ``m`` values summing to ``s`` this is minus twice the
    Poisson log-likelihood at the segment's mean rate, without the
    ``log(y!)`` terms (constant across segmentations). Non-integer values are
    accepted (quasi-likelihood).

    Examples
    --------
    >>> import numpy as np, ruptures as rpt
    >>> y = np.r_[np.full(10, 2.0), np.full(10, 9.0)]
    >>> rpt.Dynp(custom_cost=PoissonSegmentCost(), min_size=3, jump=1).fit(y).predict(n_bkps=1)
    [10, 20]
    """

    model = "poisson"

    def __init__(self) -> None:
        self.min_size = 1
        self.signal = np.zeros((0, 1))
        self._csum = np.zeros(1)

    def fit(self, signal: np.ndarray) -> PoissonSegmentCost:
        """Store the cumulative sums of ``signal`` (1-D, non-negative)."""
        values = np.asarray(signal, dtype=float).reshape(-1)
        self.signal = values.reshape(-1, 1)
        self._csum = np.concatenate([[0.0], np.cumsum(values)])
        return self

    def error(self, start: int, end: int) -> float:
        """Cost of ``signal[start:end]``."""
        total = max(self._csum[end] - self._csum[start], 0.0)
        if total == 0.0:
            return 0.0
        return float(2.0 * (total - total * math.log(total / (end - start))))


def change_points(
    series: pd.Series,
    *,
    n_breaks: int | None = None,
    model: ChangePointModel = "mean",
    penalty: Literal["bic"] | float = "bic",
    min_size: int = 3,
    max_breaks: int | None = None,
    n_resamples: int = 999,
    resampling: ChangePointResampling = "auto",
    block_size: int = 1,
    seed: int | np.random.Generator | None = None,
    break_resamples: int | None = None,
    break_max_draws: int | None = None,
    edge_months: int = 3,
    conf_level: float = 0.95,
) -> ChangePointResult:
    """Find level shifts by exact dynamic programming and test them against "no break".

    Parameters
    ----------
    series
        Values in time order on any sortable index (DatetimeIndex, PeriodIndex,
        integers). Missing values are dropped with a warning.
    n_breaks
        Number of breaks to fit. ``None`` chooses it by minimising cost plus
        ``penalty`` per break.
    model
        ``"mean"`` (Gaussian mean shifts; cost = within-segment sum of squares)
        or ``"poisson"`` (Poisson rates; non-negative values).
    penalty
        Used when ``n_breaks`` is None: ``"bic"`` (``2 * log(n)`` per break) or
        a number, on the scale of minus twice the log-likelihood (see Notes).
    min_size
        Minimum number of observations per segment.
    max_breaks
        Largest number of breaks considered when ``n_breaks`` is None; default
        ``n // min_size - 1`` (every feasible number, so the penalised optimum
        is exact).
    n_resamples
        Resampled series for the p-value; ``0`` skips the test (``p_value`` NaN).
    resampling
        How series "without a break" are generated: ``"ar1_bootstrap"`` (AR(1)
        residual bootstrap, allows autocorrelation; ``model="mean"`` only),
        ``"permutation"`` (exact for independent values) or ``"auto"`` (the
        default: ``"ar1_bootstrap"`` for ``"mean"``, ``"permutation"`` for
        ``"poisson"``). See Notes.
    block_size
        With ``"permutation"``, permute blocks of this many consecutive values
        (1 = plain permutation).
    seed
        Seed or Generator for the resampling.
    break_resamples
        Kept permutations per break for the per-break p-values of
        :attr:`~ChangePointResult.breaks_table` (see Notes); default
        ``n_resamples``; ``0`` skips them (``p_value`` NaN).
    break_max_draws
        Most permutations drawn per break (kept or not); default
        :data:`DRAWS_PER_KEPT` times ``break_resamples``.
    edge_months
        A break is flagged ``edge`` when the stretch from the first value of
        the series up to the break, or from the break to the last value,
        holds at most this many values (months, for a monthly series): the
        segment before or after it is then a start-up or thinning-out stretch
        of the collection rather than a change in what is reported on. ``0``
        flags none. The flag only looks at positions, not at levels.
    conf_level
        Confidence level of the ratio intervals.

    Returns
    -------
    ChangePointResult
        ``.segments`` (:data:`SEGMENT_COLUMNS`): ``segment`` (1, 2, ...),
        ``start`` and ``end`` (first and last index label of the segment),
        ``n_obs``, ``mean`` (segment mean). ``.test`` (:data:`TEST_COLUMNS`,
        one row): ``n_breaks``; ``statistic`` (see Notes); ``p_value``;
        ``n_obs``; ``n_resamples``; ``resampling`` (the scheme used);
        ``block_size``; ``ar1_coefficient`` (the AR(1) coefficient of the
        bootstrap, NaN for permutation); ``model``;
        ``penalty`` (``"bic"``, ``"fixed"`` when ``n_breaks`` is given, or
        ``"custom"``); ``penalty_value`` (per break, NaN when ``n_breaks`` is
        given); ``noise_scale`` (the noise standard deviation used to scale
        the Gaussian cost, NaN for Poisson); ``residual_acf1`` (lag-1
        autocorrelation of the residuals from the segment means: a warning
        sign for the permutation test); ``method``. ``.breaks``: labels where a
        new segment starts.

        ``.breaks_table`` (:data:`BREAK_COLUMNS`, one row per break, in time
        order; empty when no break is found): ``break`` (label where the new
        segment starts); ``position`` (0-based); ``mean_before`` and
        ``mean_after`` (means of the two segments the break separates);
        ``ratio`` (``mean_after / mean_before``; ``inf`` when the segment
        before is all zero); ``ci_low`` and ``ci_high`` (``conf_level``
        interval of the ratio given the break positions, see Notes; NaN when a
        segment sums to zero or, for ``"mean"``, when the interval is
        unbounded); ``scale`` (of the two-segment fit: the Pearson dispersion
        for ``"poisson"``, the residual variance for ``"mean"``);
        ``statistic`` (the drop in cost from splitting the two segments'
        merged stretch at the break, on the search's scale: a likelihood
        ratio for ``"poisson"``, ``SSE / sigma^2`` with ``sigma`` =
        ``noise_scale`` for ``"mean"``); ``p_value`` (this break's own
        selective p-value, see Notes); ``p_adjusted`` (Holm across the
        breaks); ``edge`` (see ``edge_months``); ``n_before`` and ``n_after``
        (values in the two segments); ``n_selected`` (permutations kept for
        the p-value) and ``n_permutations`` (drawn); ``method``.

    Raises
    ------
    ArgumentError
        Unknown ``model``/``penalty``/``resampling``, bad integers, or
        ``resampling="ar1_bootstrap"`` with ``model="poisson"``.
    DataValidationError
        Negative values with ``model="poisson"``.
    AnalysisError
        All values missing, too few values for ``min_size``, or a constant series.

    Notes
    -----
    *Segmentation.* With ``C(i, j)`` the cost of values ``i..j-1``, the optimal
    cost of the first ``j`` values in ``k + 1`` segments is
    ``F_k(j) = min_i F_{k-1}(i) + C(i, j)`` (Bellman recursion; Bai & Perron
    2003, Jackson et al. 2005), solved exactly over all break positions with
    segments of at least ``min_size`` values; the same segmentation as
    ``ruptures.Dynp(jump=1)`` (fixed number of breaks) and as
    ``ruptures.Pelt(jump=1)`` (penalty). Costs are on the scale of minus twice
    the log-likelihood: Poisson ``2 * sum(s - s * log(s / m))`` over segments;
    Gaussian ``SSE / sigma^2`` with ``sigma`` estimated from first differences,
    ``sigma = 1.4826 * MAD(diff(y)) / sqrt(2)``, which a few level shifts barely
    affect (Fryzlewicz 2014). The BIC penalty is ``k * log(n)`` per break with
    ``k = 2`` parameters per extra segment (its level and its break location).
    ``sigma`` only matters for the penalty; a fixed ``n_breaks`` does not use it.

    *Test of "no break".* With ``n_breaks`` given, the statistic is the
    sup-F of Bai & Perron (1998) ``((SSE_0 - SSE_K) / K) / (SSE_K / (n - K - 1))``
    for ``"mean"`` and the likelihood ratio ``2 * (l_K - l_0)`` for
    ``"poisson"``, both maximised over break positions. With a penalty, the
    statistic is the penalised likelihood ratio ``max(0, max_K LR_K - pen * K)``,
    zero when no break is chosen (p-value 1). The p-value is
    ``(1 + #{T* >= T}) / (n_resamples + 1)`` where each ``T*`` reruns the whole
    procedure (search, and choice of ``K`` and ``sigma``) on a series generated
    without a break:

    - ``"permutation"``: a random reordering of the values (of blocks of
      ``block_size`` values). Exact when the values are exchangeable under "no
      break" (independent, identically distributed), but anti-conservative
      with autocorrelation, because smooth stretches look like shifts: in the
      calibration 78% of AR(1) series with coefficient 0.5 (48 values) were
      "significant" at 5%. Blocks reduce, but do not remove, the excess (13%
      with blocks of 8).
    - ``"ar1_bootstrap"`` (parametric/residual bootstrap): fit the best
      one-break segmentation, estimate the lag-1 autoregression ``phi`` of its
      residuals, correct it for small-sample bias (Kendall 1954:
      ``+ (1 + 3 phi) / n``, plus ``1 / n`` for the second segment mean), clip
      to [-0.95, 0.95], and generate ``mean(y) + u*`` with ``u*`` an AR(1)
      series with that ``phi`` driven by resampled centred innovations (burn-in
      100). Calibrated false-positive rates at 5% with 48 values and the
      penalised search: 3% for white noise, 6% for AR(1) coefficients 0.3 and
      0.5, 12% at 0.7; power against a 1-SD shift under white noise 49%
      (permutation: 62%). With a fixed ``n_breaks`` it is less accurate (8%
      for white noise), so prefer the penalised search for testing (see
      ``validation/results/count_cp_its.md``).

    Monthly report counts are usually autocorrelated (and spreading a report
    over several months adds to it), hence ``"auto"`` uses the AR(1) bootstrap
    for ``"mean"``. For ``"poisson"`` only permutation is available; check
    ``residual_acf1`` and use ``model="mean"`` when it is clearly positive.

    *Each break on its own.* The test above asks whether there is any break;
    it says nothing about which of several breaks are real. For the break at
    ``t`` between the breaks (or ends of the series) ``a < t < b``, the
    hypothesis is "no break in ``y[a:b]``". It was chosen by the search, so
    its p-value is *selective* (Fithian, Sun & Taylor 2014): computed
    conditionally on the search having selected it. The values outside
    ``y[a:b]`` are held fixed and those inside are permuted (exchangeable
    under the hypothesis when the values are independent and identically
    distributed inside the window, whatever their distribution: Poisson,
    overdispersed or not integers); the whole search (including the choice of
    the number of breaks and of ``sigma``) is rerun on each permuted series,
    and only those where it again selects ``a`` and ``b`` as breaks with
    exactly one break between them are kept. Among the kept series (which,
    with the observed one, are exchangeable given that event), the p-value is
    the share whose statistic (the drop in cost from the best single split of
    ``y[a:b]``, which is the split at ``t``) reaches the observed one:
    ``(1 + #{T* >= T}) / (1 + kept)``, or ``20 / L`` when the 20th
    exceedance comes after ``L`` kept series (sequential stopping, Besag &
    Clifford 1991). The p-value is valid for any number kept; when few
    permutations reproduce the selection (a short burst between two close
    breaks), it is coarse and the test has little power. Conditioning on the
    neighbours is what makes the test valid after the search: a plain
    permutation within ``y[a:b]`` that only reruns the one-break search
    ignores that ``a`` and ``b`` were themselves chosen to make the two
    segments differ. In the calibration (60 months, mean 2.5,
    ``validation/results/breaks.md``), of the breaks reported for series
    without any, the plain local permutation rejected 72% (Poisson counts)
    and 40% (negative binomial) at 5%, this test 3.8% and 3.1% (3.4% and
    0.8% after Holm); it confirmed a single jump of ratio 2 (3) in the
    middle in 42% (85%) of series, but each break of a 3-month burst of
    ratio 3 in only 15-18%. Like the permutation test of "no break", the p-value assumes no
    autocorrelation within the window (for ``model="mean"`` too, although its
    test of "no break" defaults to the AR(1) bootstrap): check
    ``residual_acf1``. ``p_adjusted`` applies Holm's
    step-down across the breaks of the series.

    *Ratio interval.* A log-link GLM on the two adjacent segments with a
    segment dummy, ``log E[y] = b0 + b1 * after``, gives ``ratio =
    exp(b1)``. For ``"poisson"`` the interval is the quasi-Poisson Wald
    interval ``exp(b1 +/- z * sqrt(phi * (1 / S_before + 1 / S_after)))``,
    with ``S`` the segment sums and ``phi`` the Pearson dispersion
    ``sum((y - mean)^2 / mean) / (n_before + n_after - 2)`` of that fit (as
    ``statsmodels`` GLM ``fit(scale="X2")``): the dispersion is estimated on
    the two segments only, because a start-up or thinning-out segment can be
    far more or less dispersed than the rest, and non-integer counts (reports
    spread over months) are handled as quasi-likelihood. For ``"mean"`` it is
    Fieller's interval for a ratio of two means with the pooled residual
    variance and ``t`` quantiles (``n_before + n_after - 2`` degrees of
    freedom). Both take the break positions as given: they ignore that the
    search put the break where the two means differ most, so the ratio is
    biased away from 1 and the interval is too narrow for weak breaks: for
    breaks found at the true month, the 95% interval held the true ratio in
    82% of series for a jump of ratio 2 and 92% for ratio 3
    (``validation/results/breaks.md``).

    References
    ----------
    Besag, J. & Clifford, P. (1991). Sequential Monte Carlo p-values.
    Biometrika 78, 301-304.
    Bai, J. & Perron, P. (1998, 2003). Estimating and testing linear models with
    multiple structural changes; Computation and analysis of multiple
    structural change models. Econometrica 66; J Applied Econometrics 18.
    Cobb, G. W. (1978). The problem of the Nile: conditional solution to a
    changepoint problem. Biometrika 65, 243-251.
    Fieller, E. C. (1954). Some problems in interval estimation. JRSS B 16, 175-185.
    Fithian, W., Sun, D. & Taylor, J. (2014). Optimal inference after model
    selection. arXiv:1410.2597.
    Fryzlewicz, P. (2014). Wild binary segmentation. Annals of Statistics 42.
    Hyun, S., Lin, K. Z., G'Sell, M. & Tibshirani, R. J. (2021). Post-selection
    inference for changepoint detection algorithms with application to copy
    number variation data. Biometrics 77, 1037-1049.
    Jewell, S., Fearnhead, P. & Witten, D. (2022). Testing for a change in mean
    after changepoint detection. JRSS B 84, 1082-1104.
    Jackson, B. et al. (2005). An algorithm for optimal partitioning of data on
    an interval. IEEE Signal Processing Letters 12, 105-108.
    Kendall, M. G. (1954). Note on bias in the estimation of autocorrelation.
    Biometrika 41, 403-404.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> months = pd.period_range("2014-01", periods=40, freq="M")
    >>> y = pd.Series(np.r_[rng.normal(10, 1, 25), rng.normal(7, 1, 15)], index=months)
    >>> res = change_points(y, n_resamples=199, seed=2)
    >>> res.breaks
    [Period('2016-02', 'M')]
    >>> res.segments[["segment", "start", "end", "n_obs"]]
       segment    start      end  n_obs
    0        1  2014-01  2016-01     25
    1        2  2016-02  2017-04     15
    >>> float(res.test["p_value"].iloc[0])
    0.005

    On the bundled monthly report counts:

    >>> import cftf_analysis as cftf
    >>> panel = cftf.monthly_panel(cftf.load_reports(), cftf.load_indicators())
    >>> cp = change_points(panel.set_index("month")["n_reports"], model="poisson",
    ...                    n_resamples=199, seed=1)
    >>> [f"{b:%Y-%m}" for b in cp.breaks], float(cp.test["p_value"].iloc[0])
    (['2014-09', '2016-03', '2016-06', '2018-04'], 0.005)

    The global p-value says that some break is real, not which: each break on
    its own (the March 2016 jump is not significant; few permutations
    reproduce its neighbours, so its p-value is coarse):

    >>> t = cp.breaks_table
    >>> t.assign(month=t["break"].dt.strftime("%Y-%m"))[
    ...     ["month", "ratio", "ci_low", "ci_high", "p_value", "p_adjusted", "n_selected"]
    ... ].round(3)
         month  ratio  ci_low  ci_high  p_value  p_adjusted  n_selected
    0  2014-09  7.193   2.260   22.895    0.020       0.060         199
    1  2016-03  3.028   1.961    4.677    0.222       0.273           8
    2  2016-06  0.280   0.180    0.435    0.136       0.273          21
    3  2018-04  0.085   0.024    0.298    0.005       0.020         199
    """
    check_literal(model, ChangePointModel, "model")
    resampling = _resampling_choice(resampling, model)
    min_size = check_int(min_size, "min_size", minimum=1)
    block_size = check_int(block_size, "block_size", minimum=1)
    n_resamples = check_int(n_resamples, "n_resamples", minimum=0)
    break_resamples = check_int(
        n_resamples if break_resamples is None else break_resamples,
        "break_resamples",
        minimum=0,
    )
    break_max_draws = check_int(
        DRAWS_PER_KEPT * break_resamples if break_max_draws is None else break_max_draws,
        "break_max_draws",
        minimum=0,
    )
    edge_months = check_int(edge_months, "edge_months", minimum=0)
    conf_level = check_fraction(conf_level, "conf_level")
    y, labels = _clean_series(series, model)
    n = y.size
    if n < 2 * min_size:
        raise AnalysisError(
            f"change_points: series too short: {n} values, need at least 2 * min_size = "
            f"{2 * min_size} for one break"
        )
    k_cap = n // min_size - 1
    if n_breaks is not None:
        n_breaks = check_int(n_breaks, "n_breaks", minimum=1)
        if n_breaks > k_cap:
            raise AnalysisError(
                f"change_points: {n_breaks} breaks need {(n_breaks + 1) * min_size} values "
                f"with min_size={min_size}; the series has {n}"
            )
        pen_label, pen_value, k_max = "fixed", math.nan, n_breaks
    else:
        pen_label, pen_value = _penalty(penalty, n)
        k_max = (
            k_cap
            if max_breaks is None
            else min(check_int(max_breaks, "max_breaks", minimum=1), k_cap)
        )

    scale = noise_scale(y[None, :])[0] if model == "mean" else 1.0
    if model == "mean" and scale == 0.0:
        raise AnalysisError("change_points: the series is constant")
    costs = segment_costs(y[None, :], model, min_size)
    totals, argmins = optimal_partition(costs, k_max)
    final = totals[:, 0, n]
    if n_breaks is None:
        n_chosen = int(np.argmin(final / scale**2 + pen_value * np.arange(k_max + 1)))
    else:
        n_chosen = n_breaks
    positions = backtrack(argmins, n_chosen, n)
    stat = float(break_statistic(final[None, :], scale, n, n_breaks, pen_value, model)[0])

    p_value, phi = math.nan, math.nan
    if n_resamples > 0:
        p_value, phi = resampled_p_value(
            y,
            stat,
            argmins,
            model=model,
            min_size=min_size,
            k_max=k_max,
            n_breaks=n_breaks,
            pen_value=pen_value,
            n_resamples=n_resamples,
            resampling=resampling,
            block_size=block_size,
            seed=seed,
        )

    bounds = [0, *positions, n]
    seg_means = [float(y[a:b].mean()) for a, b in itertools.pairwise(bounds)]
    segments = pd.DataFrame(
        {
            "segment": np.arange(1, len(bounds), dtype=int),
            "start": [labels[a] for a in bounds[:-1]],
            "end": [labels[b - 1] for b in bounds[1:]],
            "n_obs": np.diff(bounds).astype(int),
            "mean": seg_means,
        },
        columns=SEGMENT_COLUMNS,
    )
    resid = y - np.repeat(seg_means, np.diff(bounds))
    acf1 = float(np.sum(resid[1:] * resid[:-1]) / np.sum(resid**2)) if np.any(resid) else math.nan
    test = pd.DataFrame(
        [
            {
                "n_breaks": n_chosen,
                "statistic": stat,
                "p_value": p_value,
                "n_obs": n,
                "n_resamples": n_resamples,
                "resampling": resampling,
                "block_size": block_size if resampling == "permutation" else 1,
                "ar1_coefficient": phi,
                "model": model,
                "penalty": pen_label,
                "penalty_value": pen_value,
                "noise_scale": scale if model == "mean" else math.nan,
                "residual_acf1": acf1,
                "method": _method(
                    model, n_breaks, pen_label, pen_value, n_resamples, resampling, block_size
                ),
            }
        ],
        columns=TEST_COLUMNS,
    )
    table = _breaks_table(
        y,
        labels,
        positions,
        model=model,
        scale=scale,
        min_size=min_size,
        k_max=k_max,
        n_breaks=n_breaks,
        pen_value=pen_value,
        break_resamples=break_resamples,
        break_max_draws=break_max_draws,
        edge_months=edge_months,
        conf_level=conf_level,
        rng=_break_rng(seed),
    )
    return ChangePointResult(
        segments=segments,
        test=test,
        breaks=[labels[p] for p in positions],
        break_positions=list(positions),
        breaks_table=table,
    )


def _break_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A stream for the per-break tests apart from the global test's (which is unchanged)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


def _breaks_table(
    y: np.ndarray,
    labels: pd.Index,
    positions: list[int],
    *,
    model: str,
    scale: float,
    min_size: int,
    k_max: int,
    n_breaks: int | None,
    pen_value: float,
    break_resamples: int,
    break_max_draws: int,
    edge_months: int,
    conf_level: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    n = y.size
    bounds = [0, *positions, n]
    rows = []
    for a, t, b in zip(bounds[:-2], bounds[1:-1], bounds[2:], strict=True):
        before, after = y[a:t], y[t:b]
        ratio, low, high, disp = ratio_interval(before, after, model=model, conf_level=conf_level)
        if break_resamples > 0:
            gain, p_value, kept, drawn = selective_break_p_value(
                y,
                a,
                b,
                model=model,
                min_size=min_size,
                k_max=k_max,
                n_breaks=n_breaks,
                pen_value=pen_value,
                n_selected=break_resamples,
                max_draws=break_max_draws,
                rng=rng,
            )
        else:
            gain = _split_gain_at(y, a, t, b, model)
            p_value, kept, drawn = math.nan, 0, 0
        rows.append(
            {
                "break": labels[t],
                "position": t,
                "mean_before": float(before.mean()),
                "mean_after": float(after.mean()),
                "ratio": ratio,
                "ci_low": low,
                "ci_high": high,
                "scale": disp,
                "statistic": gain / scale**2 if model == "mean" else gain,
                "p_value": p_value,
                "p_adjusted": math.nan,
                "edge": bool(t <= edge_months or n - t <= edge_months),
                "n_before": t - a,
                "n_after": b - t,
                "n_selected": kept,
                "n_permutations": drawn,
                "method": _break_method(model, conf_level, break_resamples),
            }
        )
    table = pd.DataFrame(rows, columns=BREAK_COLUMNS)
    if rows:
        from cftf_analysis.stats.multiple import adjust_pvalues

        table["p_adjusted"] = adjust_pvalues(table["p_value"].to_numpy(dtype=float), "holm")
    return table.astype(
        {"position": int, "n_before": int, "n_after": int, "n_selected": int,
         "n_permutations": int, "edge": bool}
    )  # fmt: skip


def _split_gain_at(y: np.ndarray, a: int, t: int, b: int, model: str) -> float:
    """Drop in cost (Poisson deviance or SSE) from splitting ``y[a:b]`` at ``t``."""
    costs = segment_costs(y[None, a:b], model, 1)[0]
    return float(costs[0, b - a] - costs[0, t - a] - costs[t - a, b - a])


def ratio_interval(
    before: np.ndarray,
    after: np.ndarray,
    *,
    model: ChangePointModel = "poisson",
    conf_level: float = 0.95,
) -> RatioInterval:
    """Ratio of the means of two adjacent segments with a confidence interval.

    Parameters
    ----------
    before, after
        Values of the segment before and after the break.
    model
        ``"poisson"``: quasi-Poisson Wald interval on the log scale with the
        Pearson dispersion of the two-segment fit; ``"mean"``: Fieller's
        interval with the pooled residual variance (see :func:`change_points`).
    conf_level
        Confidence level.

    Returns
    -------
    RatioInterval
        ``ratio`` (mean after / mean before), ``ci_low``, ``ci_high`` and
        ``scale`` (the Pearson dispersion for ``"poisson"``, the residual
        variance for ``"mean"``). The interval is NaN when a segment sums to
        zero (``"poisson"``), when it is unbounded (``"mean"``: the mean
        before is not distinguishable from zero), or when there are no
        residual degrees of freedom.

    Examples
    --------
    >>> res = ratio_interval(np.array([2.0, 3, 1, 2]), np.array([5.0, 7, 6, 4]))
    >>> [round(v, 3) for v in res]
    [2.75, 1.742, 4.341, 0.318]
    >>> round(ratio_interval([2.0, 3, 1, 2], [5.0, 7, 6, 4], model="mean").ci_low, 3)
    1.538
    """
    from scipy import stats

    check_literal(model, ChangePointModel, "model")
    conf_level = check_fraction(conf_level, "conf_level")
    before = np.asarray(before, dtype=float)
    after = np.asarray(after, dtype=float)
    n1, n2 = before.size, after.size
    m1, m2 = float(before.mean()), float(after.mean())
    df = n1 + n2 - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = float(np.divide(m2, m1))
    if model == "poisson":
        if m1 <= 0 or m2 <= 0:
            return RatioInterval(ratio, math.nan, math.nan, math.nan)
        pearson = float(np.sum((before - m1) ** 2) / m1 + np.sum((after - m2) ** 2) / m2)
        disp = pearson / df if df > 0 else math.nan
        se = math.sqrt(disp * (1.0 / (n1 * m1) + 1.0 / (n2 * m2)))
        z = float(stats.norm.ppf(0.5 + conf_level / 2))
        return RatioInterval(
            ratio, math.exp(math.log(ratio) - z * se), math.exp(math.log(ratio) + z * se), disp
        )
    if df <= 0:
        return RatioInterval(ratio, math.nan, math.nan, math.nan)
    var = float(np.sum((before - m1) ** 2) + np.sum((after - m2) ** 2)) / df
    q = float(stats.t.ppf(0.5 + conf_level / 2, df)) ** 2 * var
    lead = m1**2 - q / n1
    if lead <= 0:  # the mean before is not distinguishable from 0: unbounded set
        return RatioInterval(ratio, math.nan, math.nan, var)
    half = math.sqrt(q * (m1**2 / n2 + m2**2 / n1 - q / (n1 * n2)))
    return RatioInterval(ratio, (m1 * m2 - half) / lead, (m1 * m2 + half) / lead, var)


def _break_method(model: str, conf_level: float, break_resamples: int) -> str:
    level = f"{100 * conf_level:g}%"
    ci = f"quasi-Poisson Wald {level} CI" if model == "poisson" else f"Fieller {level} CI"
    head = f"ratio of adjacent segment means, {ci} given the break positions"
    if break_resamples == 0:
        return f"{head}; no test"
    return (
        f"{head}; selective permutation p-value (window between the neighbouring breaks "
        "permuted, search rerun, kept when it selects the same neighbours); Holm across breaks"
    )


def _method(model, n_breaks, pen_label, pen_value, n_resamples, resampling, block_size) -> str:
    cost = "Gaussian mean-shift cost" if model == "mean" else "Poisson cost"
    if n_breaks is not None:
        stat = "sup-F" if model == "mean" else "likelihood ratio"
        head = f"exact DP, {cost}, {n_breaks} break(s); {stat} statistic"
    else:
        head = f"exact DP, {cost}, {pen_label} penalty {pen_value:.3g} per break; penalised LR"
    if n_resamples == 0:
        return f"{head}; no test"
    if resampling == "ar1_bootstrap":
        kind = "AR(1) residual bootstrap"
    elif block_size == 1:
        kind = "permutation"
    else:
        kind = f"block permutation (blocks of {block_size})"
    return f"{head}; {kind} p-value, {n_resamples} resamples"


#: Parameters per additional segment in the BIC penalty (level + break location).
BIC_PARAMS_PER_SEGMENT = 2


def _clean_series(series: Any, model: str) -> tuple[np.ndarray, pd.Index]:
    if not isinstance(series, pd.Series):
        raise ArgumentError(f"series must be a pandas Series, got {type(series).__name__}")
    if series.index.has_duplicates:
        raise ArgumentError("series index has duplicate labels; aggregate them first")
    values = pd.to_numeric(series, errors="coerce").astype(float)
    if not values.index.is_monotonic_increasing:
        warnings.warn("change_points sorted the series by its index", stacklevel=3)
        values = values.sort_index()
    missing = values.isna()
    if missing.all():
        raise AnalysisError("change_points: all values are missing")
    if missing.any():
        warnings.warn(
            f"change_points dropped {int(missing.sum())} missing value(s); segments join "
            "the values on either side of each gap",
            stacklevel=3,
        )
        values = values[~missing]
    y = values.to_numpy()
    if model == "poisson":
        if np.any(y < 0):
            pos = int(np.flatnonzero(y < 0)[0])
            raise DataValidationError(
                f"model='poisson' needs non-negative values, got {y[pos]} at {values.index[pos]}",
                file="<Series>",
                column=str(series.name) if series.name is not None else None,
            )
        if np.ptp(y) == 0:
            raise AnalysisError(f"change_points: the series is constant ({y[0]})")
    return y, values.index


def _resampling_choice(resampling: Any, model: str) -> str:
    check_literal(resampling, ChangePointResampling, "resampling")
    if resampling == "auto":
        return "ar1_bootstrap" if model == "mean" else "permutation"
    if resampling == "ar1_bootstrap" and model != "mean":
        raise ArgumentError("resampling='ar1_bootstrap' needs model='mean'")
    return resampling


def _penalty(penalty: Any, n: int) -> tuple[str, float]:
    if isinstance(penalty, str):
        if penalty != "bic":
            raise ArgumentError(f"penalty={penalty!r} is not allowed; use 'bic' or a number >= 0")
        return "bic", BIC_PARAMS_PER_SEGMENT * math.log(n)
    if isinstance(penalty, bool) or not isinstance(penalty, int | float) or not penalty >= 0:
        raise ArgumentError(f"penalty must be 'bic' or a non-negative number, got {penalty!r}")
    return "custom", float(penalty)
