"""What an interrupted time series could have detected: power and minimum detectable effect.

A level change that is "not significant" says little unless the design could
have shown one. :func:`level_change_power` simulates the design itself (its
periods, its events, the counts' level and trend, their overdispersion), plants
level changes of known size and runs the same test as the finding: the Wald
test of a segmented quasi-Poisson GLM (:func:`~cftf_analysis.stats.interrupted.level_changes`).
:func:`level_change_mde` finds the smallest rate ratio detected with the chosen
power. :func:`step_power_normal` and :func:`step_mde_normal` are the
normal-approximation closed forms for the simplest design (a constant level and
one step), against which the simulation is checked.

Simulated counts have the quasi-Poisson variance ``phi * mu`` of the fitted
model: negative binomial with size ``mu / (phi - 1)`` (a Poisson-gamma mixture
whose variance is proportional to the mean; Poisson when ``phi <= 1``), drawn
by inversion from one set of uniforms for every effect size (common random
numbers), so that power rises smoothly with the effect and the search for the
minimum detectable effect is stable.

References
----------
Lopez Bernal, J., Cummins, S. & Gasparrini, A. (2017). Interrupted time series
regression for the evaluation of public health interventions: a tutorial.
International Journal of Epidemiology 46(1), 348-355 (power by simulation).
Zhang, F., Wagner, A. K. & Ross-Degnan, D. (2011). Simulation-based power
calculation for designing interrupted time series analyses of health policy
interventions. Journal of Clinical Epidemiology 64(11), 1252-1261.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from cftf_analysis.errors import ArgumentError
from cftf_analysis.options import Direction, Dispersion, check_fraction, check_int, check_literal

__all__ = [
    "DEFAULT_POWER",
    "MAX_MDE_RATIO",
    "MDE_SIMULATIONS",
    "POWER_COLUMNS",
    "level_change_mde",
    "level_change_power",
    "simulate_counts",
    "step_mde_normal",
    "step_power_normal",
]

#: Power at which a minimum detectable effect is read (the usual design target).
DEFAULT_POWER = 0.8
#: Simulated series per effect size in the report's minimum detectable effects: the power
#: estimate's Monte Carlo standard error at 80% is then about 1.3 points.
MDE_SIMULATIONS = 1000
#: Largest rate ratio :func:`level_change_mde` tries: a design that does not detect it with the
#: chosen power has an infinite minimum detectable effect.
MAX_MDE_RATIO = 100.0
#: Columns of :func:`level_change_power`, in order.
POWER_COLUMNS: list[str] = ["ratio", "power", "mc_se", "n_sims", "n_failed"]


def step_power_normal(
    n_before: int,
    n_after: int,
    baseline: float,
    ratio: float,
    *,
    alpha: float = 0.05,
    dispersion: float = 1.0,
) -> float:
    """Power of the Wald test of one level change, by the normal approximation.

    The design: ``n_before`` periods with mean ``baseline``, then ``n_after``
    with mean ``baseline * ratio`` (no trend), the model a (quasi-)Poisson GLM
    with an intercept and one 0/1 step. The log rate ratio's estimate is
    ``log(mean after / mean before)`` with variance
    ``dispersion * (1 / (n_before * baseline) + 1 / (n_after * baseline * ratio))``
    (delta method), so the two-sided test at ``alpha`` rejects with probability
    ``Phi(d - z) + Phi(-d - z)``, ``d = |log ratio| / se``, ``z = Phi^-1(1 - alpha / 2)``.

    Examples
    --------
    >>> round(step_power_normal(20, 20, 5.0, 1.0), 3)  # the test's size
    0.05
    >>> round(step_power_normal(20, 12, 2.0, 1.8), 2)
    0.76
    """
    for value, name in ((baseline, "baseline"), (ratio, "ratio"), (dispersion, "dispersion")):
        if not np.isfinite(value) or value <= 0:
            raise ArgumentError(f"{name} must be a positive number, got {value!r}")
    check_int(n_before, "n_before", minimum=1)
    check_int(n_after, "n_after", minimum=1)
    check_fraction(alpha, "alpha")
    se = math.sqrt(dispersion * (1 / (n_before * baseline) + 1 / (n_after * baseline * ratio)))
    z = stats.norm.ppf(1 - alpha / 2)
    d = abs(math.log(ratio)) / se
    return float(stats.norm.cdf(d - z) + stats.norm.cdf(-d - z))


def step_mde_normal(
    n_before: int,
    n_after: int,
    baseline: float,
    *,
    power: float = DEFAULT_POWER,
    alpha: float = 0.05,
    dispersion: float = 1.0,
    direction: Direction = "increase",
) -> float:
    """The rate ratio :func:`step_power_normal` detects with ``power``: the closed-form MDE.

    Examples
    --------
    >>> mde = step_mde_normal(20, 12, 2.0)
    >>> round(mde, 3), round(step_power_normal(20, 12, 2.0, mde), 3)
    (1.843, 0.8)
    """
    check_literal(direction, Direction, "direction")
    check_fraction(power, "power")
    sign = 1.0 if direction == "increase" else -1.0

    def gap(x: float) -> float:
        ratio = math.exp(sign * x)
        return (
            step_power_normal(
                n_before, n_after, baseline, ratio, alpha=alpha, dispersion=dispersion
            )
            - power
        )

    hi = 1.0
    while gap(hi) < 0:
        hi *= 2
        if hi > 50:
            return math.inf if direction == "increase" else 0.0
    return math.exp(sign * optimize.brentq(gap, 1e-9, hi, xtol=1e-12))


def simulate_counts(mu: np.ndarray, overdispersion: float, uniforms: np.ndarray) -> np.ndarray:
    """Counts with mean ``mu`` and variance ``overdispersion * mu``, by inversion of ``uniforms``.

    Negative binomial with size ``mu / (overdispersion - 1)`` and probability
    ``1 / overdispersion``; Poisson when ``overdispersion <= 1``. ``uniforms``
    has the shape of the result (``mu`` broadcasts to it).

    Examples
    --------
    >>> u = np.random.default_rng(0).random((20000, 1))
    >>> y = simulate_counts(np.array([4.0]), 2.5, u)
    >>> round(float(y.mean()), 1), round(float(y.var() / y.mean()), 1)
    (4.0, 2.5)
    """
    u = np.clip(np.asarray(uniforms, dtype=float), 1e-12, 1 - 1e-12)
    mu = np.broadcast_to(np.asarray(mu, dtype=float), u.shape)
    if overdispersion <= 1.0 + 1e-9:
        return stats.poisson.ppf(u, mu)
    size = mu / (overdispersion - 1.0)
    return stats.nbinom.ppf(u, size, 1.0 / overdispersion)


def _check_design(design: pd.DataFrame, baseline: Any, term: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(design, pd.DataFrame) or term not in design.columns:
        raise ArgumentError(f"term={term!r} must be a column of the design")
    x = design.to_numpy(float)
    mu0 = np.asarray(baseline, dtype=float)
    if mu0.shape != (len(design),) or not np.all(np.isfinite(mu0)) or np.any(mu0 <= 0):
        raise ArgumentError(
            f"baseline must hold {len(design)} positive expected counts, one per row of the design"
        )
    return x, mu0


def _powers(x, mu0, j, log_ratios, overdispersion, dispersion, alpha, uniforms):
    """Rejection shares at each log ratio (planted on column ``j``), with failed-fit counts."""
    from cftf_analysis.stats.batch import fit_poisson_batch

    out = []
    for lr in log_ratios:
        mu = mu0 * np.exp(lr * x[:, j])
        y = simulate_counts(mu, overdispersion, uniforms)
        fit = fit_poisson_batch(y, x, scale=dispersion, check_separation=False)
        ok = np.asarray(fit.ok, dtype=bool)
        p = np.where(ok, fit.p_value[:, j], 1.0)
        out.append((float(np.mean(ok & (p < alpha))), int((~ok).sum())))
    return out


def level_change_power(
    design: pd.DataFrame,
    baseline: Any,
    term: str,
    ratios: Sequence[float],
    *,
    overdispersion: float = 1.0,
    dispersion: Dispersion = "pearson",
    alpha: float = 0.05,
    n_sims: int = MDE_SIMULATIONS,
    seed: int = 0,
) -> pd.DataFrame:
    """Simulated power of the Wald test of one level change of a segmented Poisson GLM.

    Parameters
    ----------
    design
        The model's design, one row per period (for example
        :func:`~cftf_analysis.stats.interrupted.step_design`), constant included.
    baseline
        Expected counts per period without the effect (the fitted means of the
        model without its level changes, say).
    term
        The design column whose effect is planted and tested.
    ratios
        Rate ratios to plant (``mu = baseline * ratio ** design[term]``).
    overdispersion
        Variance over mean of the simulated counts (the fitted Pearson scale).
    dispersion
        Scale of the test: ``"pearson"`` (quasi-Poisson, as the finding) or
        ``"fixed"`` (Poisson).
    alpha
        Level of the two-sided test.
    n_sims
        Simulated series per ratio (the same uniforms for every ratio).
    seed
        Seed of the uniforms.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`POWER_COLUMNS`: ``ratio``, ``power`` (share of series
        whose test rejects; a fit whose estimate does not exist counts as not
        rejecting), its Monte Carlo standard error ``mc_se``, ``n_sims`` and
        ``n_failed`` (separated or unconverged fits).

    Examples
    --------
    >>> from cftf_analysis.stats.interrupted import step_design
    >>> grid = pd.period_range("2016Q1", periods=32, freq="Q")
    >>> design = step_design(grid, {"step": "2021-01"}, freq="QS", trend=False)
    >>> out = level_change_power(design, np.full(32, 2.0), "step", [1.0, 2.0], n_sims=400)
    >>> out["power"].round(1).tolist()
    [0.1, 0.9]
    """
    x, mu0 = _check_design(design, baseline, term)
    check_literal(dispersion, Dispersion, "dispersion")
    check_fraction(alpha, "alpha")
    n_sims = int(check_int(n_sims, "n_sims", minimum=10))
    uniforms = np.random.default_rng(seed).random((n_sims, len(design)))
    j = list(design.columns).index(term)
    ratios = [float(r) for r in ratios]
    if any(not np.isfinite(r) or r <= 0 for r in ratios):
        raise ArgumentError(f"ratios must be positive numbers, got {ratios}")
    res = _powers(x, mu0, j, np.log(ratios), overdispersion, dispersion, alpha, uniforms)
    power = np.array([r[0] for r in res])
    return pd.DataFrame(
        {
            "ratio": ratios,
            "power": power,
            "mc_se": np.sqrt(power * (1 - power) / n_sims),
            "n_sims": n_sims,
            "n_failed": [r[1] for r in res],
        },
        columns=POWER_COLUMNS,
    )


def level_change_mde(
    design: pd.DataFrame,
    baseline: Any,
    term: str,
    *,
    power: float = DEFAULT_POWER,
    alpha: float = 0.05,
    overdispersion: float = 1.0,
    dispersion: Dispersion = "pearson",
    direction: Direction = "increase",
    n_sims: int = MDE_SIMULATIONS,
    seed: int = 0,
    max_ratio: float = MAX_MDE_RATIO,
    rtol: float = 0.01,
) -> float:
    """The smallest rate ratio of ``term`` that the test detects with ``power``, by simulation.

    Bisection on the log ratio over :func:`level_change_power` evaluations
    that share one set of uniforms, to a relative precision ``rtol``; see
    :func:`level_change_power` for the parameters.

    Returns
    -------
    float
        The minimum detectable rate ratio (above 1 for ``direction="increase"``,
        below 1 for ``"decrease"``); ``inf`` (or ``0.0``) when even
        ``max_ratio`` (or ``1 / max_ratio``) is detected with less than ``power``.

    Examples
    --------
    >>> from cftf_analysis.stats.interrupted import step_design
    >>> grid = pd.period_range("2016Q1", periods=32, freq="Q")
    >>> design = step_design(grid, {"step": "2021-01"}, freq="QS", trend=False)
    >>> mde = level_change_mde(design, np.full(32, 2.0), "step", dispersion="fixed", n_sims=500)
    >>> closed = step_mde_normal(20, 12, 2.0)
    >>> bool(abs(np.log(mde / closed)) < 0.05)
    True
    """
    x, mu0 = _check_design(design, baseline, term)
    check_literal(dispersion, Dispersion, "dispersion")
    check_literal(direction, Direction, "direction")
    check_fraction(power, "power")
    check_fraction(alpha, "alpha")
    if not np.isfinite(max_ratio) or max_ratio <= 1:
        raise ArgumentError(f"max_ratio must be a number above 1, got {max_ratio!r}")
    n_sims = int(check_int(n_sims, "n_sims", minimum=10))
    uniforms = np.random.default_rng(seed).random((n_sims, len(design)))
    j = list(design.columns).index(term)
    sign = 1.0 if direction == "increase" else -1.0

    def reaches(x_log: float) -> bool:
        got = _powers(x, mu0, j, [sign * x_log], overdispersion, dispersion, alpha, uniforms)
        return got[0][0] >= power

    top = math.log(max_ratio)
    lo, hi = 0.0, None
    for step in (0.25, 0.5, 1.0, 2.0, top):
        step = min(step, top)
        if reaches(step):
            hi = step
            break
        lo = step
        if step >= top:
            break
    if hi is None:
        return math.inf if direction == "increase" else 0.0
    while hi - lo > math.log1p(rtol):
        mid = (lo + hi) / 2
        if reaches(mid):
            hi = mid
        else:
            lo = mid
    return math.exp(sign * hi)
