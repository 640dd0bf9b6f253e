"""A latent monthly series behind sparse, hedged indicator observations.

Instead of placing one figure per month and drawing straight lines between them
(an interpolated month is not an observation), :func:`latent_indicator` fits a
state-space model to the observations of one series (see
:func:`cftf_analysis.observations.indicator_observations`): a smooth trend (or a
random walk) in the log of the indicator on a monthly grid, observed through
period averages, ranges and one-sided bounds. It returns the posterior of every
month (a band, not a line) and joint draws of whole monthly paths, so that later
steps can carry the uncertainty between observations into their own results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats
from statsmodels.tsa.statespace.initialization import Initialization
from statsmodels.tsa.statespace.mlemodel import MLEModel, MLEResults

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.observations import (
    OBSERVATION_COLUMNS,
    SPECIAL_QUALIFIERS,
    indicator_observations,
)
from cftf_analysis.options import (
    Bound,
    BoundMode,
    LatentTrend,
    check_columns,
    check_fraction,
    check_int,
    check_literal,
)

__all__ = [
    "DEFAULT_PRIOR_SCALE",
    "DEFAULT_PRODUCER_ERROR",
    "HYPER_COLUMNS",
    "LATENT_COLUMNS",
    "LATENT_OBSERVATION_COLUMNS",
    "MIN_OBSERVATIONS",
    "AveragedTrendModel",
    "LatentSeries",
    "PathMixture",
    "latent_from_observations",
    "latent_indicator",
    "simulate_observations",
    "simulate_trend_path",
    "standard_normal_below",
    "truncated_normal_draws",
]

#: Columns of :attr:`LatentSeries.monthly`, in order.
LATENT_COLUMNS: tuple[str, ...] = (
    "month",
    "mean",
    "median",
    "ci_low",
    "ci_high",
    "log_mean",
    "log_sd",
    "n_observations",
    "observed",
)
#: Columns of :attr:`LatentSeries.observations`: the observation table plus the model's reading.
LATENT_OBSERVATION_COLUMNS: tuple[str, ...] = (*OBSERVATION_COLUMNS, "log_value", "log_sd")
#: Columns of :attr:`LatentSeries.hyper`: one row per value of the trend standard deviation.
HYPER_COLUMNS: tuple[str, ...] = ("trend_sd", "prior_mass", "loglike", "bound_prob", "weight")

#: Measurement error (standard deviation on the log scale) of a figure without a range:
#: 0.1, a 90% interval of about -15% to +18% around the latent level.
DEFAULT_PRODUCER_ERROR = 0.1
#: Scale of the half-normal prior on the trend standard deviation, per trend (log scale,
#: per month): ``smooth`` is the change of the monthly growth rate, ``local_level`` the
#: monthly change of the level.
DEFAULT_PRIOR_SCALE: Mapping[str, float] = {"smooth": 0.02, "local_level": 0.1}
#: Fewest two-sided observations (a value or a range), in at least two different months.
MIN_OBSERVATIONS = 3
#: Points of the grid over the trend standard deviation.
N_GRID = 30
#: Draws behind the monthly summaries when the model has bounds (fixed seed).
N_SUMMARY_DRAWS = 10_000
SUMMARY_SEED = 12345
#: Gibbs sweeps used to draw several correlated bounded values (one bound is drawn exactly).
GIBBS_SWEEPS = 50


def _positive(value: Any, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ArgumentError(f"{name} must be a positive number, got {value!r}")
    return float(value)


# --- the state-space model --------------------------------------------------------------------


class AveragedTrendModel(MLEModel):
    """Smooth trend or local level on a monthly grid, observed through averages of months.

    The state holds the whole monthly path: at month ``t`` it is
    ``(mu_t, [beta_t,] mu_{t-1}, ..., mu_{t-T+1})``, so an observation that
    averages months ``a..b`` is a design row with ``1/n`` on the lags ``0..b-a``
    at time ``b``, and the filtered state at the last month is the posterior of
    the entire path (its mean and full covariance), which is what joint draws need.

    Parameters
    ----------
    endog
        ``(n_months, k)`` array: observed log values, ``NaN`` where a slot is empty.
    design
        ``(k, n_months, n_months)`` array: ``design[j, s, t]`` is the weight of
        month ``s`` in slot ``j``'s observation at time ``t``.
    obs_var
        ``(k, n_months)`` measurement variances.
    trend
        ``"smooth"``: ``mu_{t+1} = mu_t + beta_t``, ``beta_{t+1} = beta_t + zeta_t``;
        ``"local_level"``: ``mu_{t+1} = mu_t + eta_t``. The one parameter is the
        variance of ``zeta`` (or ``eta``).

    Notes
    -----
    The initial level (and slope) are diffuse (exact diffuse initialisation);
    the lag states start at a known zero, which no observation ever uses.
    """

    def __init__(
        self, endog: np.ndarray, design: np.ndarray, obs_var: np.ndarray, trend: str
    ) -> None:
        check_literal(trend, LatentTrend, "trend")
        n_months, k_endog = endog.shape
        extra = 1 if trend == "smooth" else 0
        k_states = n_months + extra
        super().__init__(endog, k_states=k_states, k_posdef=1)
        self.trend = trend
        self.lag0 = 1 + extra
        transition = np.zeros((k_states, k_states))
        transition[0, 0] = 1.0
        selection = np.zeros((k_states, 1))
        if extra:
            transition[0, 1] = transition[1, 1] = 1.0
            selection[1, 0] = 1.0
        else:
            selection[0, 0] = 1.0
        if n_months > 1:
            transition[self.lag0, 0] = 1.0
        for i in range(self.lag0 + 1, k_states):
            transition[i, i - 1] = 1.0
        self["transition"] = transition
        self["selection"] = selection
        full = np.zeros((k_endog, k_states, n_months))
        for t in range(n_months):
            # month s at time t sits at lag t - s
            for lag in range(t + 1):
                full[:, self.state_of_lag(lag), t] = design[:, t - lag, t]
        self["design"] = full
        cov = np.zeros((k_endog, k_endog, n_months))
        for j in range(k_endog):
            cov[j, j] = obs_var[j]
        self["obs_cov"] = cov
        init = Initialization(k_states)
        init.set((0, self.lag0), "diffuse")
        if k_states > self.lag0:
            rest = k_states - self.lag0
            init.set((self.lag0, k_states), "known", np.zeros(rest), np.zeros((rest, rest)))
        self.ssm.initialization = init

    def state_of_lag(self, lag: int) -> int:
        """Index in the state vector of the level ``lag`` months back."""
        return 0 if lag == 0 else self.lag0 + lag - 1

    @property
    def param_names(self) -> list[str]:
        return ["sigma2.trend" if self.trend == "smooth" else "sigma2.level"]

    @property
    def start_params(self) -> np.ndarray:
        return np.array([1e-4])

    def update(self, params: Any, **kwargs: Any) -> np.ndarray:
        params = super().update(params, **kwargs)
        self["state_cov", 0, 0] = params[0]
        return params

    def path_posterior(self, variance: float) -> tuple[float, np.ndarray, np.ndarray]:
        """Log-likelihood, and mean and covariance of the monthly path, at one variance."""
        self.update(np.array([variance]))
        res = self.ssm.filter()
        order = [self.state_of_lag(lag) for lag in range(self.nobs)][::-1]
        mean = np.asarray(res.filtered_state[order, -1])
        cov = np.asarray(res.filtered_state_cov[np.ix_(order, order, [-1])])[:, :, 0]
        return float(np.sum(res.llf_obs)), mean, (cov + cov.T) / 2


# --- the result -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PathMixture:
    """Posterior of the log path: a mixture over the trend grid, then truncated by bounds.

    ``means`` (K, T), ``factors`` (K, T, T) with ``factor @ factor.T`` the
    covariance, ``weights`` (K,); bounds as ``bound_rows`` (B, T) averaging
    matrices, ``bound_values`` (B,) log bounds, ``bound_signs`` (B,) +1 upper,
    -1 lower; ``gains`` (K, T, B) and ``bound_means`` (K, B), ``bound_covs`` (K, B, B)
    for conditioning a path on drawn bounded values.
    """

    means: np.ndarray
    factors: np.ndarray
    variances: np.ndarray
    weights: np.ndarray
    bound_rows: np.ndarray
    bound_values: np.ndarray
    bound_signs: np.ndarray
    gains: np.ndarray
    bound_means: np.ndarray
    bound_covs: np.ndarray
    bound_noise: float = 0.0

    def draw_log(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` joint draws of the log path, shape ``(n, T)``."""
        n_months = self.means.shape[1]
        which = rng.choice(len(self.weights), size=n, p=self.weights)
        out = np.empty((n, n_months))
        for k in np.unique(which):
            rows = np.flatnonzero(which == k)
            path = self.means[k] + rng.standard_normal((rows.size, n_months)) @ self.factors[k].T
            if len(self.bound_values):
                implied = path @ self.bound_rows.T
                if self.bound_noise > 0:
                    implied += self.bound_noise * rng.standard_normal(implied.shape)
                z = truncated_normal_draws(
                    self.bound_means[k],
                    self.bound_covs[k],
                    self.bound_values,
                    self.bound_signs,
                    rows.size,
                    rng,
                )
                # conditioning by kriging: exact draw of the path given the bounded figures
                path += (z - implied) @ self.gains[k].T
            out[rows] = path
        return out


def standard_normal_below(
    upper: np.ndarray | float, size: tuple[int, ...], rng: np.random.Generator
) -> np.ndarray:
    """Standard normal draws conditioned on ``x <= upper`` (inverse CDF on the log scale).

    ``x = ndtri_exp(log_ndtr(upper) + log(u))``, ``u`` uniform on (0, 1]: exact
    and stable far in either tail.

    Examples
    --------
    >>> x = standard_normal_below(-6.0, (2000,), np.random.default_rng(0))
    >>> bool((x <= -6).all()), round(float(x.mean()), 1)
    (True, -6.2)
    """
    u = 1.0 - rng.random(size)
    return special.ndtri_exp(np.minimum(special.log_ndtr(upper) + np.log(u), 0.0))


def truncated_normal_draws(
    mean: np.ndarray,
    cov: np.ndarray,
    limits: np.ndarray,
    signs: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draws of ``z ~ N(mean, cov)`` restricted to ``signs * z <= signs * limits``.

    One constraint is drawn exactly (inverse CDF); several by parallel Gibbs
    chains (one per draw, :data:`GIBBS_SWEEPS` sweeps from a feasible start).

    Examples
    --------
    >>> z = truncated_normal_draws(np.array([0.0]), np.array([[1.0]]), np.array([-1.0]),
    ...                            np.array([1.0]), 1000, np.random.default_rng(1))
    >>> bool((z <= -1).all()), round(float(z.mean()), 1)
    (True, -1.5)
    """
    m = signs * mean
    c = cov * np.outer(signs, signs)
    upper = signs * limits
    sd = np.sqrt(np.diag(c))
    if len(m) == 1:
        w = m + sd * standard_normal_below((upper - m) / sd, (n, 1), rng)
        return signs * w
    w = np.tile(np.minimum(m, upper - 1e-9 * sd), (n, 1))
    coefs, cond_sd = [], []
    for j in range(len(m)):
        rest = np.delete(np.arange(len(m)), j)
        beta = np.linalg.solve(c[np.ix_(rest, rest)], c[rest, j])
        coefs.append((rest, beta))
        cond_sd.append(np.sqrt(max(c[j, j] - c[j, rest] @ beta, 1e-300)))
    for _ in range(GIBBS_SWEEPS):
        for j, (rest, beta) in enumerate(coefs):
            cm = m[j] + (w[:, rest] - m[rest]) @ beta
            b = (upper[j] - cm) / cond_sd[j]
            w[:, j] = cm + cond_sd[j] * standard_normal_below(b, (n,), rng)
    return signs * w


def _bound_probability(
    mean: np.ndarray, cov: np.ndarray, limits: np.ndarray, signs: np.ndarray
) -> float:
    m, upper = signs * mean, signs * limits
    if len(m) == 1:
        return float(special.ndtr((upper[0] - m[0]) / np.sqrt(cov[0, 0])))
    c = cov * np.outer(signs, signs)
    mvn = stats.multivariate_normal(mean=m, cov=c, allow_singular=True)
    return float(mvn.cdf(upper, rng=np.random.default_rng(0)))


@dataclass(frozen=True, eq=False)
class LatentSeries:
    """A latent monthly series: posterior bands, joint draws and the model behind them.

    Attributes
    ----------
    monthly
        One row per month, columns :data:`LATENT_COLUMNS`: ``month`` (month
        start), ``mean`` (posterior mean of the level, canonical units),
        ``median``, ``ci_low``/``ci_high`` (equal-tailed interval at
        :attr:`conf_level`), ``log_mean``/``log_sd`` (posterior mean and
        standard deviation of the log level), ``n_observations`` (observations
        whose span includes the month, bounds included) and ``observed``
        (``n_observations > 0``).
    observations
        The observations used, columns :data:`LATENT_OBSERVATION_COLUMNS`
        (``log_value``: the log value, range centre or bound; ``log_sd``: its
        measurement standard deviation, ``NaN`` for a bound).
    months
        The months of :attr:`monthly` and of :meth:`draws`.
    conf_level
        Confidence level of ``ci_low``/``ci_high``.
    trend, producer_error, range_level, prior_scale
        The model settings used (see :func:`latent_from_observations`).
    hyper
        One row per grid value of the trend standard deviation, columns
        :data:`HYPER_COLUMNS`: ``trend_sd``, ``prior_mass`` (prior probability
        of its grid cell), ``loglike`` (diffuse log-likelihood of the two-sided
        observations), ``bound_prob`` (probability of the bounds given them)
        and ``weight`` (posterior weight).
    loglike
        Log marginal likelihood: ``log(sum(prior_mass * exp(loglike) * bound_prob))``.
    """

    monthly: pd.DataFrame
    observations: pd.DataFrame
    months: pd.DatetimeIndex
    conf_level: float
    trend: str
    producer_error: float
    range_level: float
    prior_scale: float
    hyper: pd.DataFrame
    loglike: float
    mixture: PathMixture = field(repr=False)
    window: slice = field(repr=False)
    settings: Mapping[str, Any] = field(repr=False)
    model: AveragedTrendModel = field(repr=False)
    summary_logs: np.ndarray | None = field(default=None, repr=False)

    @property
    def trend_sd(self) -> float:
        """Posterior mean of the trend standard deviation."""
        return float(np.sum(self.hyper["trend_sd"] * self.hyper["weight"]))

    def draws(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Joint draws of the monthly path, in canonical units.

        Parameters
        ----------
        n
            Number of paths.
        seed
            Seed or generator; the same seed gives the same array.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, len(months))``: each row a plausible monthly path,
            consistent with the observations, their ranges and errors, every
            bound (exactly) and the uncertainty of the trend between them.

        Examples
        --------
        >>> import cftf_analysis as cftf
        >>> fit = latent_indicator(cftf.load_indicators(), "territory",
        ...                        producer="IHS Conflict Monitor")
        >>> fit.draws(1000, seed=1).shape == (1000, len(fit.months))
        True
        """
        n = check_int(n, "n", minimum=1)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return np.exp(self.mixture.draw_log(n, rng)[:, self.window])

    def monthly_at(self, conf_level: float) -> pd.DataFrame:
        """:attr:`monthly` with the band at another confidence level.

        Examples
        --------
        >>> import cftf_analysis as cftf
        >>> fit = latent_indicator(cftf.load_indicators(), "territory",
        ...                        producer="IHS Conflict Monitor")
        >>> wide, narrow = fit.monthly_at(0.95), fit.monthly_at(0.5)
        >>> bool((wide["ci_low"] < narrow["ci_low"]).all())
        True
        """
        conf_level = check_fraction(conf_level, "conf_level")
        summary = _summarise(self.mixture, conf_level, self.summary_logs)
        out = self.monthly.copy()
        for col in ("ci_low", "ci_high"):
            out[col] = summary[col][self.window]
        return out

    def without(self, observation_id: str) -> LatentSeries:
        """The same model refitted without one observation, on the same months.

        ``observation_id`` may be an observation id or any row id it holds
        (``"I001"`` finds the observation ``I002`` that merged it).

        Examples
        --------
        >>> import cftf_analysis as cftf
        >>> fit = latent_indicator(cftf.load_indicators(), "territory",
        ...                        producer="IHS Conflict Monitor")
        >>> len(fit.without("I085").observations), len(fit.observations)
        (6, 7)
        """
        ids = self.observations["row_ids"].str.split("+")
        hit = (self.observations["observation_id"] == observation_id) | ids.map(
            lambda r: observation_id in r
        )
        if not hit.any():
            raise ArgumentError(
                f"observation_id={observation_id!r} is not one of "
                f"{', '.join(self.observations['observation_id'])}"
            )
        reading = ("log_value", "log_sd")
        columns = [c for c in self.observations.columns if c not in reading]
        kept = self.observations.loc[~hit.to_numpy(), columns]
        settings = dict(self.settings)
        settings.update(start=self.months[0], end=self.months[-1])
        return latent_from_observations(kept, **settings)

    def state_space(self, trend_sd: float | None = None) -> MLEResults:
        """The statsmodels results of the model smoothed at one trend standard deviation.

        Default: the grid value with the largest posterior weight. The results
        hold the whole path in the state (see :class:`AveragedTrendModel`) and
        have the usual ``summary()``, ``smoothed_state`` and ``llf``.
        """
        if trend_sd is None:
            trend_sd = float(self.hyper["trend_sd"].iloc[int(self.hyper["weight"].argmax())])
        return self.model.smooth(np.array([_positive(trend_sd, "trend_sd") ** 2]))


# --- fitting ----------------------------------------------------------------------------------


def _month_number(ts: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    ts = pd.DatetimeIndex(ts)
    return np.asarray(ts.year * 12 + ts.month - 1, dtype=np.int64)


def _prior_grid(scale: float, n_grid: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid of trend SDs and the half-normal prior mass of each grid cell."""
    grid = scale * np.logspace(-2.5, 0.6, n_grid)
    edges = np.concatenate([[0.0], np.sqrt(grid[1:] * grid[:-1]), [np.inf]])
    cdf = stats.halfnorm.cdf(edges, scale=scale)
    return grid, np.diff(cdf)


def _read_observations(
    observations: pd.DataFrame, producer_error: float, range_level: float
) -> pd.DataFrame:
    """Add ``log_value`` and ``log_sd`` (how the model reads each observation)."""
    obs = observations.copy()
    z = stats.norm.ppf(0.5 + range_level / 2)
    value, low, high = (obs[c].astype("float64") for c in ("value", "low", "high"))
    is_bound = obs["bound"] != "none"
    ranged = ~is_bound & low.notna() & high.notna()
    bound_value = value.fillna(low.where(obs["bound"] == "lower", high))
    for name, series in (("value", value), ("low", low), ("high", high)):
        bad = series.notna() & (series <= 0)
        if bad.any():
            first = obs.loc[bad, "observation_id"].iloc[0]
            raise AnalysisError(
                f"the latent series is modelled on the log scale and needs positive figures; "
                f"observation {first} has {name} {series[bad].iloc[0]}"
            )
    centre = np.where(value.notna(), np.log(value), (np.log(low) + np.log(high)) / 2)
    obs["log_value"] = np.where(is_bound, np.log(bound_value), centre)
    obs["log_sd"] = np.where(
        is_bound,
        np.nan,
        np.where(ranged, (np.log(high) - np.log(low)) / (2 * z), producer_error),
    )
    missing = obs["log_value"].isna()
    if missing.any():
        raise AnalysisError(
            f"observation {obs.loc[missing, 'observation_id'].iloc[0]} has no value or range"
        )
    return obs


def latent_from_observations(
    observations: pd.DataFrame,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    conf_level: float = 0.9,
    trend: LatentTrend = "smooth",
    trend_sd: float | None = None,
    prior_scale: float | None = None,
    producer_error: float = DEFAULT_PRODUCER_ERROR,
    range_level: float = 0.9,
    exclude_qualifiers: Sequence[str] = tuple(SPECIAL_QUALIFIERS),
    bounds: BoundMode = "hard",
    n_grid: int = N_GRID,
) -> LatentSeries:
    """Fit the latent monthly series to a table of observations.

    Parameters
    ----------
    observations
        A table like :func:`cftf_analysis.observations.indicator_observations`
        returns (at least ``observation_id``, ``row_ids``, ``month_start``,
        ``month_end``, ``value``, ``low``, ``high``, ``bound``, ``qualifier``),
        from one producer.
    start, end
        First and last month of the result; default the first and last month
        of the observations. The model always spans every observation.
    conf_level
        Confidence level of the monthly bands (equal-tailed).
    trend
        ``"smooth"`` (default): the monthly growth rate of the log level is a
        random walk, so the path bends smoothly; ``"local_level"``: the log
        level is a random walk (straight lines between observations, in logs).
    trend_sd
        Fix the standard deviation of the trend disturbance (log scale, per
        month) instead of integrating over it.
    prior_scale
        Scale of the half-normal prior on ``trend_sd``; default
        :data:`DEFAULT_PRIOR_SCALE` (0.02 for ``smooth``, 0.1 for ``local_level``).
    producer_error
        Measurement standard deviation, on the log scale, of a figure that
        comes without a range (default 0.1).
    range_level
        A range is read as a central interval at this level on the log scale.
    exclude_qualifiers
        Observations with these qualifiers are left out (default ``peak``,
        ``claimed``, ``projected``: not a period average, the group's own
        claim, not a measurement).
    bounds
        ``"hard"`` (default): a bound constrains the latent path itself, so every
        draw respects it; ``"soft"``: it constrains the producer's figure, which
        carries ``producer_error``, so the path may cross the bound by about
        that error (see Notes).
    n_grid
        Number of grid values of the trend standard deviation (ignored when
        ``trend_sd`` is given).

    Returns
    -------
    LatentSeries

    Raises
    ------
    AnalysisError
        Fewer than :data:`MIN_OBSERVATIONS` two-sided observations (a value or
        a range) in at least two different months, a non-positive figure,
        several producers, or bounds that the other observations make impossible.

    Notes
    -----
    **Model.** On a monthly grid, the log level ``mu_t`` follows a smooth
    (integrated random walk) trend, ``mu_{t+1} = mu_t + beta_t``,
    ``beta_{t+1} = beta_t + zeta_t``, ``zeta_t ~ N(0, trend_sd**2)``, with a
    diffuse (flat) prior on the first level and slope; or, with
    ``trend="local_level"``, a random walk ``mu_{t+1} = mu_t + eta_t``. Months
    without an observation are missing, not filled.

    **Observations.** A figure for months ``a..b`` is read as
    ``y = mean(mu_a..mu_b) + e``, the log of the period average approximated by
    the average of the logs (the difference is half the variance of the log
    level within the period, under 1% for a 12-month period falling 5% a
    month). ``e ~ N(0, s**2)`` with ``s = producer_error`` for a figure
    without a range; a range ``[low, high]`` is a central ``range_level``
    interval: ``s = (log high - log low) / (2 z)``, ``z`` the normal quantile,
    centred on the log of the value when one is given, else on the middle of
    the log range.

    **Bounds.** With ``bounds="hard"`` an ``at_least``/``at_most`` observation
    constrains the path: the average log level over its months is at least
    (at most) the log bound, with no measurement error, so every draw
    respects every bound. The posterior is the Gaussian posterior given the
    two-sided observations truncated to the bounds: the bounded averages are
    drawn from their truncated normal (exactly for one bound, by Gibbs sweeps
    for several) and the path is drawn given them by conditioning
    (``path + K (z - C path)``, ``K = V C' (C V C')^-1``). The probability
    of the bounds enters the weight of each trend value. With
    ``bounds="soft"`` the bound applies to ``C path + e``, ``e`` the producer
    error, and ``K = V C' (C V C' + h^2)^-1``: this is the consistent reading
    when a bound was derived from the producer's own point figure (35% below
    its estimate for March), and it lets the path cross the bound by about
    one producer error. The default is ``"hard"`` so that no draw contradicts
    a stated bound; on the bundled revenue the two differ by a few percent.

    **Trend uncertainty.** With a handful of observations the maximum-likelihood
    trend variance is often zero (a ruler-straight band). Instead,
    ``trend_sd`` is integrated over a grid of :data:`N_GRID` values from
    ``0.003 * prior_scale`` to ``4 * prior_scale`` (log-spaced), each weighted
    by the half-normal prior mass of its cell times the (exact diffuse)
    likelihood of the two-sided observations times the probability of the
    bounds. Every summary and draw comes from that mixture. Half-normal with
    scale 0.02 for the smooth trend means the monthly growth rate typically
    drifts by 1-2 percentage points a month (prior median 1.3), rarely by more than 4.

    **Computation.** statsmodels' Kalman filter on :class:`AveragedTrendModel`,
    whose state holds the whole path, gives the exact posterior mean and
    covariance of the path for each grid value (equal to the smoothed
    moments and to what the simulation smoother samples); draws are
    multivariate normal from these, vectorised, so 1,000 paths take a few
    milliseconds. Monthly summaries are exact without bounds (a mixture of
    normals on the log scale); with bounds they come from
    :data:`N_SUMMARY_DRAWS` draws with a fixed seed.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> from cftf_analysis.observations import indicator_observations
    >>> obs = indicator_observations(cftf.load_indicators(), "territory",
    ...                              producer="IHS Conflict Monitor")
    >>> fit = latent_from_observations(obs, trend="local_level")
    >>> fit.monthly.shape[0], int(fit.monthly["observed"].sum())
    (30, 7)
    """
    check_columns(
        observations,
        [
            "observation_id",
            "row_ids",
            "month_start",
            "month_end",
            "value",
            "low",
            "high",
            "bound",
            "qualifier",
        ],
        "observations",
    )
    conf_level = check_fraction(conf_level, "conf_level")
    range_level = check_fraction(range_level, "range_level")
    trend = check_literal(trend, LatentTrend, "trend")
    bounds = check_literal(bounds, BoundMode, "bounds")
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    producer_error = _positive(producer_error, "producer_error")
    if trend_sd is not None:
        trend_sd = _positive(trend_sd, "trend_sd")
    prior_scale = _positive(
        DEFAULT_PRIOR_SCALE[trend] if prior_scale is None else prior_scale, "prior_scale"
    )
    for value in observations["bound"].unique():
        check_literal(value, Bound, "bound")
    settings = {
        "conf_level": conf_level,
        "trend": trend,
        "trend_sd": trend_sd,
        "prior_scale": prior_scale,
        "producer_error": producer_error,
        "range_level": range_level,
        "exclude_qualifiers": tuple(exclude_qualifiers),
        "bounds": bounds,
        "n_grid": n_grid,
    }
    qualifier = observations["qualifier"].astype("string").fillna("")
    obs = observations[~qualifier.isin(list(exclude_qualifiers)).to_numpy()]
    if "producer" in obs.columns and obs["producer"].nunique() > 1:
        raise AnalysisError(
            "one latent series per producer: the observations come from "
            + ", ".join(sorted(obs["producer"].unique()))
        )
    obs = obs.sort_values(["month_start", "month_end", "observation_id"], ignore_index=True)
    obs = _read_observations(obs, producer_error, range_level)
    two_sided = obs[obs["bound"] == "none"]
    if len(two_sided) < MIN_OBSERVATIONS or two_sided["month_end"].nunique() < 2:
        raise AnalysisError(
            f"a latent series needs at least {MIN_OBSERVATIONS} observations with a value or "
            f"a range, in at least 2 different months; got {len(two_sided)} in "
            f"{two_sided['month_end'].nunique()} month(s) (and {len(obs) - len(two_sided)} "
            "bound(s), which cannot carry a series alone)"
        )
    m0, m1 = _month_number(obs["month_start"]), _month_number(obs["month_end"])
    first, last = int(m0.min()), int(m1.max())
    out_first = first if start is None else int(_month_number([pd.Timestamp(start)])[0])
    out_last = last if end is None else int(_month_number([pd.Timestamp(end)])[0])
    if out_first > out_last:
        raise ArgumentError(f"start={start!r} is after end={end!r}")
    first, last = min(first, out_first), max(last, out_last)
    n_months = last - first + 1
    a, b = m0 - first, m1 - first

    # two-sided observations: one slot per observation ending in the same month
    is_two = (obs["bound"] == "none").to_numpy()
    ends = b[is_two]
    k_endog = int(np.bincount(ends).max())
    endog = np.full((n_months, k_endog), np.nan)
    design = np.zeros((k_endog, n_months, n_months))
    obs_var = np.ones((k_endog, n_months))
    used = np.zeros(n_months, dtype=int)
    for i in np.flatnonzero(is_two):
        t, j = b[i], used[b[i]]
        used[t] += 1
        endog[t, j] = obs["log_value"].iloc[i]
        design[j, a[i] : t + 1, t] = 1.0 / (t - a[i] + 1)
        obs_var[j, t] = obs["log_sd"].iloc[i] ** 2
    model = AveragedTrendModel(endog, design, obs_var, trend)

    bounded = np.flatnonzero(~is_two)
    rows = np.zeros((len(bounded), n_months))
    for r, i in enumerate(bounded):
        rows[r, a[i] : b[i] + 1] = 1.0 / (b[i] - a[i] + 1)
    limits = obs["log_value"].to_numpy()[bounded]
    signs = np.where(obs["bound"].to_numpy()[bounded] == "upper", 1.0, -1.0)

    if trend_sd is None:
        grid, prior_mass = _prior_grid(prior_scale, n_grid)
    else:
        grid, prior_mass = np.array([trend_sd]), np.array([1.0])
    n_grid = len(grid)
    loglike = np.empty(n_grid)
    means = np.empty((n_grid, n_months))
    covs = np.empty((n_grid, n_months, n_months))
    for k, sd in enumerate(grid):
        loglike[k], means[k], covs[k] = model.path_posterior(sd**2)
    n_b = len(bounded)
    bound_prob = np.ones(n_grid)
    gains = np.zeros((n_grid, n_months, n_b))
    bound_means = rows @ means.transpose() if n_b else np.zeros((0, n_grid))
    bound_means = bound_means.T.reshape(n_grid, n_b)
    bound_covs = np.einsum("bt,kts,cs->kbc", rows, covs, rows) if n_b else np.zeros((n_grid, 0, 0))
    bound_noise = producer_error if bounds == "soft" else 0.0
    bound_covs = bound_covs + bound_noise**2 * np.eye(n_b)
    for k in range(n_grid):
        if n_b:
            bound_prob[k] = _bound_probability(bound_means[k], bound_covs[k], limits, signs)
            gains[k] = covs[k] @ rows.T @ np.linalg.inv(bound_covs[k])
    log_w = np.log(prior_mass) + loglike + np.log(np.maximum(bound_prob, 1e-300))
    if not np.isfinite(log_w).any() or np.max(bound_prob) < 1e-12:
        raise AnalysisError(
            "the bounds are incompatible with the other observations (probability below 1e-12 "
            "for every trend value); check the bound rows and their qualifiers"
        )
    top = np.max(log_w)
    weights = np.exp(log_w - top)
    total = weights.sum()
    weights /= total
    factors = np.stack([_cholesky(cov) for cov in covs])
    mixture = PathMixture(
        means=means,
        factors=factors,
        variances=np.einsum("ktt->kt", covs),
        weights=weights,
        bound_rows=rows,
        bound_values=limits,
        bound_signs=signs,
        gains=gains,
        bound_means=bound_means,
        bound_covs=bound_covs,
        bound_noise=bound_noise,
    )
    window = slice(out_first - first, out_last - first + 1)
    months = pd.date_range(
        pd.Timestamp(year=out_first // 12, month=out_first % 12 + 1, day=1),
        periods=out_last - out_first + 1,
        freq="MS",
        name="month",
    )
    summary_logs = _summary_draws(mixture)
    summary = _summarise(mixture, conf_level, summary_logs)
    touch = ((np.arange(n_months)[:, None] >= a) & (np.arange(n_months)[:, None] <= b)).sum(1)
    monthly = pd.DataFrame({"month": months})
    for col in ("mean", "median", "ci_low", "ci_high", "log_mean", "log_sd"):
        monthly[col] = summary[col][window]
    monthly["n_observations"] = touch[window].astype("int64")
    monthly["observed"] = monthly["n_observations"] > 0
    hyper = pd.DataFrame(
        {
            "trend_sd": grid,
            "prior_mass": prior_mass,
            "loglike": loglike,
            "bound_prob": bound_prob,
            "weight": weights,
        }
    )
    return LatentSeries(
        monthly=monthly[list(LATENT_COLUMNS)],
        observations=obs[list(LATENT_OBSERVATION_COLUMNS)].reset_index(drop=True)
        if set(OBSERVATION_COLUMNS) <= set(obs.columns)
        else obs.reset_index(drop=True),
        months=months,
        conf_level=conf_level,
        trend=trend,
        producer_error=producer_error,
        range_level=range_level,
        prior_scale=prior_scale,
        hyper=hyper,
        loglike=float(top + np.log(total)),
        mixture=mixture,
        window=window,
        settings=settings,
        model=model,
        summary_logs=summary_logs,
    )


def _cholesky(cov: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor, with a vanishing ridge when the path is nearly rigid.

    With a trend variance near zero the path is nearly a straight line and its
    covariance nearly singular; a ridge of 1e-12 (then 1e-10 ...) of the
    largest variance makes it factorable without visible change to draws.
    """
    scale = float(np.max(np.diag(cov)))
    for power in range(12, 4, -2):
        try:
            return np.linalg.cholesky(cov + 10.0**-power * scale * np.eye(len(cov)))
        except np.linalg.LinAlgError:
            continue
    vals, vecs = np.linalg.eigh(cov)
    return vecs * np.sqrt(np.clip(vals, 0.0, None))


def _mixture_quantiles(means: np.ndarray, sds: np.ndarray, w: np.ndarray, p: float) -> np.ndarray:
    """Quantile ``p`` of a mixture of normals, per column (bisection)."""
    lo = (means - 12 * sds).min(axis=0)
    hi = (means + 12 * sds).max(axis=0)
    for _ in range(100):
        mid = (lo + hi) / 2
        below = (w[:, None] * special.ndtr((mid - means) / sds)).sum(axis=0) < p
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return (lo + hi) / 2


def _summary_draws(mixture: PathMixture) -> np.ndarray | None:
    """The fixed-seed log draws behind the summaries of a model with bounds (else None)."""
    if len(mixture.bound_values) == 0:
        return None
    return mixture.draw_log(N_SUMMARY_DRAWS, np.random.default_rng(SUMMARY_SEED))


def _summarise(
    mixture: PathMixture, conf_level: float, logs: np.ndarray | None
) -> dict[str, np.ndarray]:
    tail = (1 - conf_level) / 2
    if logs is None:
        w, m = mixture.weights, mixture.means
        v = np.clip(mixture.variances, 1e-300, None)
        log_mean = w @ m
        log_sd = np.sqrt(np.clip(w @ (v + m**2) - log_mean**2, 0.0, None))
        sds = np.sqrt(v)
        return {
            "mean": w @ np.exp(m + v / 2),
            "median": np.exp(_mixture_quantiles(m, sds, w, 0.5)),
            "ci_low": np.exp(_mixture_quantiles(m, sds, w, tail)),
            "ci_high": np.exp(_mixture_quantiles(m, sds, w, 1 - tail)),
            "log_mean": log_mean,
            "log_sd": log_sd,
        }
    q = np.quantile(logs, [tail, 0.5, 1 - tail], axis=0)
    return {
        "mean": np.exp(logs).mean(axis=0),
        "median": np.exp(q[1]),
        "ci_low": np.exp(q[0]),
        "ci_high": np.exp(q[2]),
        "log_mean": logs.mean(axis=0),
        "log_sd": logs.std(axis=0, ddof=1),
    }


def simulate_trend_path(
    n_months: int,
    *,
    trend: LatentTrend = "smooth",
    trend_sd: float,
    level: float = 0.0,
    slope: float = 0.0,
    rng: np.random.Generator,
) -> np.ndarray:
    """A log path from the model's own trend (for simulation checks).

    ``mu_0 = level``; with ``trend="smooth"`` the growth rate starts at
    ``slope`` and moves by ``N(0, trend_sd**2)`` each month, with
    ``"local_level"`` the level moves by ``slope + N(0, trend_sd**2)``.

    Examples
    --------
    >>> path = simulate_trend_path(24, trend_sd=0.0, slope=-0.1, rng=np.random.default_rng(0))
    >>> round(float(path[-1] - path[0]), 6)
    -2.3
    """
    check_literal(trend, LatentTrend, "trend")
    n_months = check_int(n_months, "n_months", minimum=1)
    steps = rng.normal(0.0, trend_sd, n_months - 1)
    if trend == "smooth":
        growth = slope + np.concatenate([[0.0], np.cumsum(steps)[:-1]])
    else:
        growth = slope + steps
    return level + np.concatenate([[0.0], np.cumsum(growth)])


def simulate_observations(
    observations: pd.DataFrame,
    log_path: np.ndarray,
    months: pd.DatetimeIndex,
    *,
    producer_error: float = DEFAULT_PRODUCER_ERROR,
    range_level: float = 0.9,
    errors: np.ndarray | None = None,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Replace the figures of an observation table by ones simulated from a true log path.

    Keeps every observation's months, kind and the log width of its range, so
    a simulation has the sparsity, spans and errors of real data. A two-sided
    figure is ``exp(mean(log_path over its months) + e)``; ``e`` is
    ``N(0, producer_error**2)`` (or the given ``errors``) and a range keeps its
    log width around the simulated centre; an upper (lower) bound is the true
    average plus (minus) ``|e|``, so every simulated bound is true.

    Examples
    --------
    >>> months = pd.date_range("2020-01-01", periods=3, freq="MS")
    >>> obs = pd.DataFrame({"month_start": months[[0, 1]], "month_end": months[[1, 2]],
    ...                     "value": [1.0, 1.0], "low": np.nan, "high": np.nan,
    ...                     "bound": ["none", "upper"]})
    >>> sim = simulate_observations(obs, np.log([10.0, 20.0, 40.0]), months,
    ...                             errors=np.zeros(2), rng=np.random.default_rng(0))
    >>> sim["value"].round(3).tolist()
    [14.142, 28.284]
    """
    out = observations.copy()
    position = {m: i for i, m in enumerate(pd.DatetimeIndex(months))}
    z = stats.norm.ppf(0.5 + range_level / 2)
    e = rng.normal(0.0, producer_error, len(out)) if errors is None else np.asarray(errors)
    values, lows, highs = [], [], []
    for i, (_, row) in enumerate(out.iterrows()):
        span = log_path[position[row["month_start"]] : position[row["month_end"]] + 1]
        truth = float(np.mean(span))
        if row["bound"] != "none":
            shift = abs(e[i]) if row["bound"] == "upper" else -abs(e[i])
            values.append(np.exp(truth + shift))
            lows.append(np.nan)
            highs.append(np.nan)
        elif pd.notna(row["low"]) and pd.notna(row["high"]):
            half = (np.log(row["high"]) - np.log(row["low"])) / 2
            centre = truth + (half / z) * (e[i] / producer_error)
            values.append(np.exp(centre) if pd.notna(row["value"]) else np.nan)
            lows.append(np.exp(centre - half))
            highs.append(np.exp(centre + half))
        else:
            values.append(np.exp(truth + e[i]))
            lows.append(np.nan)
            highs.append(np.nan)
    out["value"], out["low"], out["high"] = values, lows, highs
    return out


def latent_indicator(
    indicators: pd.DataFrame,
    indicator: str,
    *,
    scope: str = "total",
    producer: str | None = None,
    producer_aliases: Mapping[str, str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    conf_level: float = 0.9,
    trend: LatentTrend = "smooth",
    trend_sd: float | None = None,
    prior_scale: float | None = None,
    producer_error: float = DEFAULT_PRODUCER_ERROR,
    range_level: float = 0.9,
    exclude_qualifiers: Sequence[str] = tuple(SPECIAL_QUALIFIERS),
    bounds: BoundMode = "hard",
) -> LatentSeries:
    """The latent monthly series of one indicator of one producer, with bands and draws.

    Builds the observations of the series with
    :func:`cftf_analysis.observations.indicator_observations` (restatements
    and re-derived levels merged, periods as averages, ranges and bounds kept)
    and fits :func:`latent_from_observations` to them.

    Parameters
    ----------
    indicators
        Output of :func:`cftf_analysis.load_indicators`.
    indicator, scope
        The series, e.g. ``"revenue_total"``, ``"total"``.
    producer
        The producer (matched after normalising names). Required when the
        series has figures from several producers: one latent series never
        mixes producers.
    producer_aliases
        Renamings of producers, ``{old: new}`` (case data).
    start, end, conf_level, trend, trend_sd, prior_scale, producer_error, range_level,
    exclude_qualifiers
        See :func:`latent_from_observations`.

    Returns
    -------
    LatentSeries
        ``.monthly`` (columns :data:`LATENT_COLUMNS`), ``.observations``,
        ``.months``, ``.conf_level``, ``.hyper``, ``.loglike``, ``.draws(n, seed)``,
        ``.without(observation_id)``, ``.state_space()``.

    Raises
    ------
    ArgumentError
        ``producer`` is ``None`` but the series has several producers.
    AnalysisError
        See :func:`latent_from_observations`.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> fit = latent_indicator(cftf.load_indicators(), "revenue_total",
    ...                        producer="IHS Conflict Monitor")
    >>> fit.observations["row_ids"].tolist()
    ['I006', 'I001+I002', 'I003+I004~level', 'I005~level', 'I007+I008~level']
    >>> at = fit.monthly.set_index("month")
    >>> (at.loc[["2015-06-01", "2016-03-01", "2017-05-01"], "median"] / 1e6).round().tolist()
    [81.0, 48.0, 16.0]
    >>> bool(at.loc["2016-07-01", "ci_high"] <= 36.4e6), fit.monthly.shape[0]
    (True, 27)
    >>> paths = fit.draws(1000, seed=1)
    >>> bool((paths[:, fit.months.get_loc("2016-07-01")] <= 36.4e6 * (1 + 1e-9)).all())
    True
    """
    obs = indicator_observations(
        indicators,
        indicator,
        scope=scope,
        producer=producer,
        producer_aliases=producer_aliases,
    )
    if producer is None and obs["producer"].nunique() > 1:
        counts = obs["producer"].value_counts()
        listed = ", ".join(f"{name} ({n})" for name, n in counts.items())
        raise ArgumentError(
            f"{indicator} ({scope}) has figures from {len(counts)} producers; choose one with "
            f"producer=: {listed}"
        )
    return latent_from_observations(
        obs,
        start=start,
        end=end,
        conf_level=conf_level,
        trend=trend,
        trend_sd=trend_sd,
        prior_scale=prior_scale,
        producer_error=producer_error,
        range_level=range_level,
        exclude_qualifiers=exclude_qualifiers,
        bounds=bounds,
    )
