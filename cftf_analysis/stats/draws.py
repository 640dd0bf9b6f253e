"""Joint draws of the data the evidence allows: report dates and indicator paths together.

Every indicator finding of the battery is computed on many plausible versions
of the data, not on one interpolated line. :func:`joint_draws` makes them once
per battery:

- **report counts**: each report's date is drawn uniformly within its date
  interval (a report dated "2015-11" falls on one day of November) and the
  reports are counted per month, so a draw's counts are whole numbers;
- **indicator paths**: with ``model="latent"`` (the default), plausible monthly
  paths of each series from its latent state-space model
  (:func:`~cftf_analysis.stats.latent.latent_indicator`): consistent with the
  observations, their ranges and bounds, and the uncertainty between them;
  with ``"linear"``, ``"step"`` or ``"loglinear"``, each ranged figure is drawn
  within its range and the panel's interpolation joins the figures.

Draw ``d`` of the counts goes with draw ``d`` of every path. Months outside a
series' observed span are missing (nothing is extrapolated).

The indicator side of the draws (a series' latent fit, its paths, its null
model and leave-one-out refits) depends only on the indicators, never on which
reports are counted or by which date; an :class:`IndicatorCache` keeps it for
batteries that share the indicators (a multiverse of analysis choices).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from cftf_analysis.errors import AnalysisError
from cftf_analysis.options import DateBasis, IndicatorModel, check_int, check_literal
from cftf_analysis.panel import SeriesSpec, indicator_points, interpolate, series_rows

__all__ = [
    "IndicatorCache",
    "JointDraws",
    "NullPaths",
    "SeriesDraws",
    "draw_counts",
    "joint_draws",
    "leave_one_out_paths",
    "null_model",
    "series_seed",
    "with_drawn_series",
]


@dataclass(frozen=True)
class SeriesDraws:
    """Draws of one indicator series on the battery's month grid.

    Attributes
    ----------
    name
        The panel column of the series.
    paths
        ``(n_draws, n_months)`` plausible paths (canonical units); NaN outside
        the months the series covers.
    center, low, high
        ``(n_months,)`` the posterior median and a 90% band (latent), or the
        interpolated value and its range (interpolation); NaN outside.
    observed
        ``(n_months,)`` True in months an observation touches.
    derived
        ``(n_months,)`` True where that observation was derived from a reported change.
    latent
        The :class:`~cftf_analysis.stats.latent.LatentSeries` behind the paths,
        or None for interpolation.
    """

    name: str
    paths: np.ndarray
    center: np.ndarray
    low: np.ndarray
    high: np.ndarray
    observed: np.ndarray
    derived: np.ndarray
    latent: Any = field(default=None, repr=False)
    points: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def defined(self) -> np.ndarray:
        """Months where the series is defined (inside its covered span)."""
        return np.isfinite(self.center)


@dataclass(frozen=True)
class JointDraws:
    """Report counts and indicator paths drawn together (draw ``d`` goes with draw ``d``).

    Attributes
    ----------
    months
        The battery's month grid (month starts).
    counts
        ``(n_draws, n_months)`` monthly report counts, each report's date drawn
        within its interval.
    series
        Panel column -> :class:`SeriesDraws`.
    model
        How the paths were drawn (``"latent"``, ``"linear"``, ``"step"``, ``"loglinear"``).
    failed
        Series that could not be drawn -> why (for example too few observations).
    """

    months: pd.DatetimeIndex
    counts: np.ndarray
    series: Mapping[str, SeriesDraws]
    model: str
    failed: Mapping[str, str] = field(default_factory=dict)

    @property
    def n_draws(self) -> int:
        """Number of joint draws."""
        return int(self.counts.shape[0])


T = TypeVar("T")


@dataclass(eq=False)
class IndicatorCache:
    """What batteries on the same indicator series can share, computed once.

    A series' latent fit, its path draws, its linearised null model
    (:func:`null_model`), the Monte Carlo null paths and the leave-one-out
    refits of the influence check depend on the indicators table, the series
    (indicator, scope, producer), the model's options, the seed and the
    numbers of draws: never on the reports, which of them are counted or by
    which date. Pass one cache to every battery that shares the indicators
    (``run_battery(..., cache=cache)``): the first computes each part, the
    others reuse it. Results are identical with and without a cache; a
    multiverse of analysis choices
    (:func:`~cftf_analysis.stats.multiverse.multiverse`) and the report use
    one.

    Entries are keyed by what they depend on (the indicators table by a hash
    of its contents, taken once per table object), so a cache never hands one
    table's fit to another; a table changed in place after its first use is
    not noticed (pass a copy instead). The cache keeps a reference to every
    object it keys by, and grows until :meth:`clear`.

    Attributes
    ----------
    hits, misses
        Look-ups answered from the cache, and computed.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> case = cftf.load_case()
    >>> cache = IndicatorCache()
    >>> months = pd.date_range("2014-01-01", "2018-12-01", freq="MS")
    >>> first = joint_draws(case.reports, case.indicators, case.series, months,
    ...                     n_draws=20, seed=1, cache=cache)
    >>> again = joint_draws(case.reports.iloc[:50], case.indicators, case.series, months,
    ...                     n_draws=20, seed=1, cache=cache)
    >>> again.series["territory"].latent is first.series["territory"].latent, cache.hits
    (True, 4)
    """

    hits: int = 0
    misses: int = 0
    _store: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)
    _held: dict[int, Any] = field(default_factory=dict, repr=False)
    _tables: dict[int, tuple[pd.DataFrame, str]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self._store)

    def token(self, obj: Any) -> int:
        """A key for ``obj`` (a fit) that stays unique while the cache lives.

        The cache keeps a reference to ``obj``, so its ``id`` is never reused.
        """
        self._held.setdefault(id(obj), obj)
        return id(obj)

    def fingerprint(self, table: pd.DataFrame) -> str:
        """:func:`table_fingerprint` of ``table``, hashed once per table object."""
        held = self._tables.get(id(table))
        if held is None or held[0] is not table:
            held = (table, table_fingerprint(table))
            self._tables[id(table)] = held
        return held[1]

    def memo(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """The value stored under ``key``, computed by ``compute()`` the first time.

        An :class:`~cftf_analysis.errors.AnalysisError` raised by ``compute``
        is stored too and raised again on each later look-up.
        """
        if key in self._store:
            self.hits += 1
            value = self._store[key]
        else:
            self.misses += 1
            try:
                value = compute()
            except AnalysisError as exc:
                value = exc
            self._store[key] = value
        if isinstance(value, AnalysisError):
            raise value
        return value

    def latent_fit(
        self,
        indicators: pd.DataFrame,
        spec: SeriesSpec,
        options: Mapping[str, Any] | None = None,
    ) -> Any:
        """:func:`~cftf_analysis.stats.latent.latent_indicator` of one series, fitted once."""
        from cftf_analysis.stats.latent import latent_indicator

        opts = dict(options or {})
        key = (
            "fit",
            self.fingerprint(indicators),
            spec["indicator"],
            spec.get("scope") or "total",
            spec.get("producer"),
            tuple(sorted((k, repr(v)) for k, v in opts.items())),
        )
        return self.memo(
            key,
            lambda: latent_indicator(
                indicators,
                spec["indicator"],
                scope=spec.get("scope") or "total",
                producer=spec.get("producer"),
                **opts,
            ),
        )

    def observations(self, indicators: pd.DataFrame, spec: SeriesSpec) -> pd.DataFrame:
        """:func:`~cftf_analysis.observations.indicator_observations` of one series, read once.

        The data-support checks of every battery of a multiverse read the same
        series; do not modify the frame returned.
        """
        from cftf_analysis.observations import indicator_observations

        scope, producer = spec.get("scope") or "total", spec.get("producer")
        key = ("observations", self.fingerprint(indicators), spec["indicator"], scope, producer)
        return self.memo(
            key,
            lambda: indicator_observations(
                indicators, spec["indicator"], scope=scope, producer=producer
            ),
        )

    def path_draws(self, fit: Any, n: int, seed: int) -> np.ndarray:
        """``fit.draws(n, seed=seed)``, drawn once (do not modify the array)."""
        return self.memo(("paths", self.token(fit), int(n), int(seed)), lambda: fit.draws(n, seed))

    def null_model(self, fit: Any) -> NullPaths:
        """:func:`null_model` of ``fit``, linearised once."""
        return self.memo(("null_model", self.token(fit)), lambda: null_model(fit))

    def clear(self) -> None:
        """Forget every entry (and the counts)."""
        self._store.clear()
        self._held.clear()
        self._tables.clear()
        self.hits = self.misses = 0


def table_fingerprint(frame: pd.DataFrame) -> str:
    """A hash of a table's contents (values, index and column names).

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1.0, 2.0]})
    >>> table_fingerprint(a) == table_fingerprint(a.copy()) != table_fingerprint(a * 2)
    True
    """
    digest = hashlib.sha1(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    digest.update(repr(list(frame.columns)).encode())
    return digest.hexdigest()


def series_seed(seed: int, name: str) -> int:
    """A seed of its own for one series, fixed by the battery's seed and the series' name.

    Examples
    --------
    >>> series_seed(1, "revenue") == series_seed(1, "revenue") != series_seed(1, "territory")
    True
    """
    return int((seed * 1_000_003 + zlib.crc32(name.encode())) % 2**32)


def draw_counts(
    reports: pd.DataFrame,
    months: pd.DatetimeIndex,
    n_draws: int,
    rng: np.random.Generator,
    *,
    date: str = "published",
) -> np.ndarray:
    """Monthly report counts with each report's date drawn uniformly within its interval.

    Reports without a date (on this basis) or outside ``months`` are not counted.

    Returns
    -------
    numpy.ndarray
        ``(n_draws, len(months))`` whole counts.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> reports = cftf.load_reports()
    >>> months = pd.date_range("2014-01-01", "2018-12-01", freq="MS")
    >>> counts = draw_counts(reports, months, 5, np.random.default_rng(1))
    >>> counts.shape, int(counts[0].sum()) == len(reports)
    ((5, 60), True)
    """
    start = reports[f"{date}_start"]
    end = reports[f"{date}_end"]
    known = (start.notna() & end.notna()).to_numpy()
    first = start.to_numpy()[known].astype("datetime64[D]")
    n_days = (end.to_numpy()[known].astype("datetime64[D]") - first).astype(np.int64) + 1
    offset = np.floor(rng.random((n_draws, first.size)) * n_days).astype(np.int64)
    day = first[None, :] + offset
    m0 = months[0].year * 12 + months[0].month - 1
    month = day.astype("datetime64[M]").astype(np.int64) + 1970 * 12 - m0
    inside = (month >= 0) & (month < len(months))
    rows = np.broadcast_to(np.arange(n_draws)[:, None], month.shape)
    flat = rows[inside] * len(months) + month[inside]
    return np.bincount(flat, minlength=n_draws * len(months)).reshape(n_draws, len(months))


def _on_grid(values: np.ndarray, from_months: pd.DatetimeIndex, grid: pd.DatetimeIndex):
    """Place columns indexed by ``from_months`` on ``grid`` (NaN/False elsewhere)."""
    pos = grid.get_indexer(from_months)
    inside = pos >= 0
    shape = (*values.shape[:-1], len(grid))
    if values.dtype == bool:
        out = np.zeros(shape, dtype=bool)
    else:
        out = np.full(shape, np.nan)
    out[..., pos[inside]] = values[..., inside]
    return out


def _latent_series(name, spec, indicators, grid, n_draws, seed, options, cache) -> SeriesDraws:
    fit = cache.latent_fit(indicators, spec, options)
    monthly = fit.monthly
    derived_months = np.zeros(len(fit.months), dtype=bool)
    for _, obs in fit.observations.iterrows():
        if bool(obs["derived"]):
            span = (fit.months >= obs["month_start"]) & (fit.months <= obs["month_end"])
            derived_months |= np.asarray(span)
    paths = cache.path_draws(fit, n_draws, series_seed(seed, name))
    return SeriesDraws(
        name=name,
        paths=_on_grid(paths, fit.months, grid),
        center=_on_grid(monthly["median"].to_numpy(float), fit.months, grid),
        low=_on_grid(monthly["ci_low"].to_numpy(float), fit.months, grid),
        high=_on_grid(monthly["ci_high"].to_numpy(float), fit.months, grid),
        observed=_on_grid(monthly["observed"].to_numpy(bool), fit.months, grid),
        derived=_on_grid(derived_months, fit.months, grid),
        latent=fit,
    )


def _interpolated_series(name, spec, indicators, grid, n_draws, seed, how) -> SeriesDraws:
    points = indicator_points(indicators, name, spec)
    rows = series_rows(indicators, spec)
    rng = np.random.default_rng(series_seed(seed, name))
    low = rows["low"].reindex(points["source_index"]).to_numpy(float)
    high = rows["high"].reindex(points["source_index"]).to_numpy(float)
    ranged = np.isfinite(low) & np.isfinite(high)
    paths = np.empty((n_draws, len(grid)))
    for d in range(n_draws):
        value = points["estimate"].to_numpy(float).copy()
        value[ranged] = low[ranged] + rng.random(int(ranged.sum())) * (high - low)[ranged]
        paths[d] = interpolate(pd.Series(value, index=points.index), grid, how).to_numpy()
    center = interpolate(points["estimate"], grid, how).to_numpy()
    return SeriesDraws(
        name=name,
        paths=paths,
        center=center,
        low=interpolate(points["lo"], grid, how).to_numpy(),
        high=interpolate(points["hi"], grid, how).to_numpy(),
        observed=np.asarray(grid.isin(points.index)),
        derived=points["derived"].astype(bool).reindex(grid, fill_value=False).to_numpy(bool),
        points=points.assign(row_ids=rows.loc[points["source_index"], "indicator_id"].to_numpy()),
    )


def joint_draws(
    reports: pd.DataFrame,
    indicators: pd.DataFrame,
    series: Mapping[str, SeriesSpec],
    months: pd.DatetimeIndex,
    *,
    n_draws: int,
    seed: int,
    model: IndicatorModel = "latent",
    date: DateBasis = "published",
    latent_options: Mapping[str, Any] | None = None,
    cache: IndicatorCache | None = None,
) -> JointDraws:
    """Draw report counts and indicator paths together on a month grid.

    A series that cannot be modelled (for example with too few observations)
    is left out and listed in ``failed`` with the reason.

    Parameters
    ----------
    reports, indicators
        Outputs of :func:`~cftf_analysis.load_reports` and
        :func:`~cftf_analysis.load_indicators`.
    series
        Panel column -> ``{"indicator", "scope", "producer"}``.
    months
        The month grid (month starts).
    n_draws, seed
        Number of joint draws; seed (the same seed gives the same draws; each
        series gets a seed of its own, see :func:`series_seed`).
    model
        ``"latent"`` (default) or an interpolation (``"linear"``, ``"step"``,
        ``"loglinear"``), see the module docstring.
    date
        Count reports by their ``published`` or ``defection`` date.
    latent_options
        Passed to :func:`~cftf_analysis.stats.latent.latent_indicator`
        (``trend``, ``producer_error``, ...).
    cache
        An :class:`IndicatorCache` shared with other draws of the same
        indicators: the latent fits and their paths (or the interpolated
        paths) are computed once (the same draws as without it).

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> case = cftf.load_case()
    >>> months = pd.date_range("2014-01-01", "2018-12-01", freq="MS")
    >>> jd = joint_draws(case.reports, case.indicators, case.series, months,
    ...                  n_draws=50, seed=1)
    >>> jd.counts.shape, jd.series["territory"].paths.shape
    ((50, 60), (50, 60))
    """
    check_literal(model, IndicatorModel, "model")
    check_literal(date, DateBasis, "date")
    n_draws = int(check_int(n_draws, "n_draws", minimum=1))
    shared = cache if cache is not None else IndicatorCache()
    rng = np.random.default_rng(seed)
    counts = draw_counts(reports, months, n_draws, rng, date=date)
    out: dict[str, SeriesDraws] = {}
    failed: dict[str, str] = {}
    for name, spec in series.items():
        try:
            if model == "latent":
                out[name] = _latent_series(
                    name, spec, indicators, months, n_draws, seed, latent_options or {}, shared
                )
            else:
                key = (
                    "interpolated", shared.fingerprint(indicators), name,
                    tuple(sorted((k, str(v)) for k, v in spec.items())),
                    months[0], months[-1], len(months), n_draws, seed, model,
                )  # fmt: skip
                out[name] = shared.memo(
                    key,
                    lambda name=name, spec=spec: _interpolated_series(
                        name, spec, indicators, months, n_draws, seed, model
                    ),
                )
        except AnalysisError as exc:
            failed[name] = str(exc)
    return JointDraws(months=months, counts=counts, series=out, model=model, failed=failed)


def with_drawn_series(panel: pd.DataFrame, draws: JointDraws) -> pd.DataFrame:
    """``panel`` with each drawn series' columns replaced by the draws' summary.

    ``<name>`` becomes the posterior median (or interpolated) path, ``<name>_low``
    and ``<name>_high`` its band, ``<name>_observed`` the months an observation
    touches and ``<name>_derived`` those whose observation was derived from a change.
    """
    out = panel.copy()
    if not out["month"].reset_index(drop=True).equals(pd.Series(draws.months, name="month")):
        out = out.set_index("month").reindex(draws.months).rename_axis("month").reset_index()
    for name, sd in draws.series.items():
        out[name] = sd.center
        out[f"{name}_low"] = sd.low
        out[f"{name}_high"] = sd.high
        out[f"{name}_observed"] = sd.observed
        out[f"{name}_derived"] = sd.derived
    return out


def leave_one_out_paths(
    draws: JointDraws,
    name: str,
    n: int,
    seed: int,
    *,
    cache: IndicatorCache | None = None,
) -> dict[str, np.ndarray]:
    """Paths of series ``name`` redrawn without each of its observations in turn.

    Returns ``{row ids: (n, n_months) paths}`` on the draws' month grid. The
    latent model is refitted without the observation (on the same months); with
    an interpolation the figure is dropped and the rest re-interpolated (NaN
    where the shortened series no longer reaches). An observation whose removal
    leaves too few to model is skipped. With a ``cache``, each refit and its
    paths are computed once (see :class:`IndicatorCache`).
    """
    sd = draws.series[name]
    out: dict[str, np.ndarray] = {}
    if sd.latent is not None:
        fit = sd.latent
        shared = cache if cache is not None else IndicatorCache()
        for _, obs in fit.observations.iterrows():
            obs_id = str(obs["observation_id"])
            try:
                refit = shared.memo(
                    ("without", shared.token(fit), obs_id), lambda o=obs_id: fit.without(o)
                )
            except AnalysisError:
                continue
            paths = shared.path_draws(refit, n, series_seed(seed + 1, name))
            out[str(obs["row_ids"])] = _on_grid(paths, refit.months, draws.months)
        return out
    points = sd.points
    if points is None or len(points) < 3:
        return out
    how = draws.model
    for month in points.index:
        kept = points.drop(index=month)
        line = interpolate(kept["estimate"], draws.months, how).to_numpy()  # type: ignore[arg-type]
        out[str(points.loc[month, "row_ids"])] = np.broadcast_to(line, (n, line.size)).copy()
    return out


@dataclass(frozen=True)
class NullPaths:
    """How to draw a series' paths as if its figures were unrelated noise of the same design.

    Built by :func:`null_model` from a latent fit. For each simulation:

    1. a true log path: a path of the fit's trend model (its kind: smooth
       growth or local level), its straight-line part removed and the rest
       rescaled to :attr:`amplitude`, put on :attr:`line`. The same level,
       average slope and size of swings as the series, with the swings at other
       times. (Left unscaled, a trend model's path wanders without bound: over
       five years a smooth trend stiff enough for a sharp fall spans orders of
       magnitude.)
    2. figures simulated on it at the real observation months with the real
       spans, ranges and bounds and the fit's measurement errors;
    3. the latent model's posterior moved to them by its linearisation: with
       the weights of the trend standard deviations held at the real fit's, the
       posterior mean of the log path is linear in the observed log figures,
       ``m(y*) = m(y) + A (y* - y)`` (exactly without bounds); the posterior
       spread is the fit's own. Holding the weights keeps the real figures'
       deviations from their trend out of the null paths (through the
       derivative of the weights they would leak into every simulated path).
    4. the simulated posterior mean's swings around the real fit's straight
       line rescaled to the size of the real posterior mean's swings, size
       measured in the whitened coordinates of the null's own swings
       (:meth:`swing_size`, :attr:`reference`). Each null path then has the real
       series' line and the real size of swings, in a direction drawn from the
       model: a rotation test (Langsrud 2005). The amplitude of step 1 is
       estimated from the same figures as the statistic; without this step a
       larger estimate widens the null exactly when the real swings are large,
       and the p-values come out conservative, as posterior predictive
       p-values do (Bayarri and Berger 2000; measured in
       ``validation/results/battery_calibration.md``).

    References
    ----------
    Langsrud, O. (2005). Rotation tests. *Statistics and Computing* 15, 53-60.
    Bayarri, M. J., Berger, J. O. (2000). P values for composite null models.
    *Journal of the American Statistical Association* 95, 1127-1142.
    """

    months: pd.DatetimeIndex
    log_mean: np.ndarray
    jacobian: np.ndarray
    log_values: np.ndarray
    observations: pd.DataFrame
    trend_sd: float
    amplitude: float
    trend: str = "smooth"
    producer_error: float = 0.1
    range_level: float = 0.9

    @property
    def line(self) -> np.ndarray:
        """The least-squares straight line through the posterior mean log path."""
        t = np.arange(len(self.months), dtype=float)
        return np.polyval(np.polyfit(t, self.log_mean, 1), t)

    def truth(self, rng: np.random.Generator) -> np.ndarray:
        """One simulated true log path (step 1 above)."""
        from cftf_analysis.stats.latent import simulate_trend_path

        n = len(self.months)
        # the rescaling makes the trend's own variability irrelevant: only its kind shapes
        # the swings
        wander = simulate_trend_path(n, trend=self.trend, trend_sd=1.0, rng=rng)  # type: ignore[arg-type]
        wander = _detrended(wander)
        spread = float(np.std(wander))
        return self.line + (self.amplitude / spread if spread > 0 else 0.0) * wander

    @property
    def design(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(C, kind, scale)``: ``C`` (observations x months) averages a log path over each
        observation's months; ``kind`` is 0 for a two-sided figure, +1 for an upper bound,
        -1 for a lower bound; ``scale`` multiplies the producer error ``e`` of a figure (a
        range's log half-width over its normal quantile, per unit of producer error)."""
        from scipy import stats

        obs = self.observations
        pos = {m: i for i, m in enumerate(pd.DatetimeIndex(self.months))}
        c = np.zeros((len(obs), len(self.months)))
        for j, (start, end) in enumerate(zip(obs["month_start"], obs["month_end"], strict=True)):
            c[j, pos[start] : pos[end] + 1] = 1.0
        c /= c.sum(axis=1, keepdims=True)
        bound = obs["bound"].astype(str).to_numpy()
        kind = np.where(bound == "upper", 1, np.where(bound == "lower", -1, 0))
        low, high = obs["low"].astype(float).to_numpy(), obs["high"].astype(float).to_numpy()
        ranged = (kind == 0) & np.isfinite(low) & np.isfinite(high)
        z = stats.norm.ppf(0.5 + self.range_level / 2)
        scale = np.ones(len(obs))
        half = (np.log(high[ranged]) - np.log(low[ranged])) / 2
        scale[ranged] = half / z / self.producer_error
        return c, kind, scale

    def log_figures(self, truth: np.ndarray, errors: np.ndarray) -> np.ndarray:
        """Log figures simulated on true log paths: ``truth`` ``(..., n_months)``, producer
        ``errors`` ``(..., n_observations)`` (as
        :func:`~cftf_analysis.stats.latent.simulate_observations`: a two-sided figure is
        the true average plus the error, a range keeps its width around a centre moved by
        the error scaled to it, a bound is the true average plus or minus ``|e|``, so
        every simulated bound is true)."""
        c, kind, scale = self.design
        average = truth @ c.T
        shift = np.where(kind == 0, errors * scale, kind * np.abs(errors))
        return average + shift

    def observe(
        self, truth: np.ndarray, deviations: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Paths the analysis would see if ``truth`` were the true log path.

        ``truth`` is ``(n_months,)`` or ``(k, n_months)``; returns ``(n_draws, n_months)``
        or ``(k, n_draws, n_months)``: figures simulated on it at the real observation
        months (steps 2 and 3 above).
        """
        return np.exp(self.posterior_means(truth, rng)[..., None, :] + deviations)

    def posterior_means(self, truth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Posterior mean log paths given figures simulated on the true log paths ``truth``
        (``(..., n_months)``; steps 2 and 3 above)."""
        truth = np.asarray(truth, dtype=float)
        errors = rng.normal(0.0, self.producer_error, (*truth.shape[:-1], len(self.log_values)))
        shift = (self.log_figures(truth, errors) - self.log_values) @ self.jacobian.T
        return self.log_mean + shift

    def simulated_means(self, n_sims: int, rng: np.random.Generator) -> np.ndarray:
        """``(n_sims, n_months)`` posterior mean log paths given figures simulated on
        ``n_sims`` true paths (steps 1-3 above, before the rescaling of step 4)."""
        return self.posterior_means(np.array([self.truth(rng) for _ in range(n_sims)]), rng)

    @cached_property
    def reference(self) -> tuple[np.ndarray, np.ndarray]:
        """``(centre, whiten)``: the mean of the null's swings (posterior mean log paths
        minus their straight lines, from :data:`ROTATION_SIMS` simulations with a fixed
        seed) and a matrix whose columns whiten them (``(swing - centre) @ whiten`` has
        identity covariance on the directions the swings span)."""
        swings = _detrended(self.simulated_means(ROTATION_SIMS, np.random.default_rng(0)))
        centre = swings.mean(axis=0)
        values, vectors = np.linalg.eigh(np.cov(swings, rowvar=False))
        keep = values > max(float(values.max()), 0.0) * 1e-9
        return centre, vectors[:, keep] / np.sqrt(values[keep])

    def swing_size(self, log_means: np.ndarray) -> np.ndarray:
        """Whitened size of the swings of posterior mean log paths ``(..., n_months)``
        around their straight lines (:attr:`reference`)."""
        centre, whiten = self.reference
        return _whitened_size(_detrended(log_means) - centre, whiten)

    def draw(self, deviations: np.ndarray, n_sims: int, rng: np.random.Generator) -> np.ndarray:
        """``(n_sims, n_draws, n_months)`` null paths; ``deviations`` are the fit's log draws
        minus its posterior mean, ``(n_draws, n_months)``.

        The simulated posterior means are rescaled (step 4 above): their swings around
        their own straight line, taken about the reference centre, are multiplied by
        the real posterior mean's whitened size over their own, and put on the real
        posterior mean's straight line.
        """
        centre, whiten = self.reference
        swings = _detrended(self.simulated_means(n_sims, rng)) - centre
        size = _whitened_size(swings, whiten)
        ratio = np.divide(
            self.swing_size(self.log_mean), size, out=np.ones_like(size), where=size > 0
        )
        means = self.line + centre + swings * ratio[:, None]
        return np.exp(means[:, None, :] + deviations)


def _whitened_size(swings: np.ndarray, whiten: np.ndarray) -> np.ndarray:
    """Euclidean norm of ``swings @ whiten`` over the last axis."""
    return np.sqrt(np.sum((swings @ whiten) ** 2, axis=-1))


def _detrended(values: np.ndarray) -> np.ndarray:
    """``values`` (last axis: months) minus their least-squares straight line in time."""
    t = np.arange(values.shape[-1], dtype=float)
    t = t - t.mean()
    centred = values - values.mean(axis=-1, keepdims=True)
    slope = (centred @ t) / (t @ t)
    return centred - slope[..., None] * t if np.ndim(slope) else centred - slope * t


def _log_values(obs: pd.DataFrame) -> np.ndarray:
    """The log figure of each observation: its value, or its range's geometric centre."""
    value = obs["value"].astype(float)
    centre = np.sqrt(obs["low"].astype(float) * obs["high"].astype(float))
    return np.log(value.fillna(centre).to_numpy(float))


def _held_log_mean(mixture: Any, weights: np.ndarray, window: slice) -> np.ndarray:
    """Posterior mean of the log path with the trend-SD weights set to ``weights``.

    Computed as the fit computes its own (exactly, or from the same fixed-seed
    draws when the model has bounds), so that the real fit's weights give its
    ``log_mean`` and a refit's moves by common random numbers.
    """
    from cftf_analysis.stats.latent import N_SUMMARY_DRAWS, SUMMARY_SEED

    held = replace(mixture, weights=weights)
    if len(held.bound_values) == 0:
        return (weights @ held.means)[window]
    logs = held.draw_log(N_SUMMARY_DRAWS, np.random.default_rng(SUMMARY_SEED))
    return logs.mean(axis=0)[window]


#: Posterior draws from which :func:`null_model` measures the size of a series' swings.
AMPLITUDE_DRAWS = 200
#: Simulations from which :attr:`NullPaths.reference` measures the covariance of the
#: null's swings (fixed seed).
ROTATION_SIMS = 1000


def null_model(fit: Any, *, step: float = 0.05) -> NullPaths:
    """Linearise a latent fit for :class:`NullPaths` (one refit per observation).

    Column ``j`` of the Jacobian is the change of the posterior mean log path,
    with the weights of the trend standard deviations held at the fit's, when
    observation ``j``'s figures are multiplied by ``exp(step)``, divided by
    ``step``. Without bounds it is exact (the held posterior mean is linear in
    the log figures). The amplitude is the root mean square, over
    :data:`AMPLITUDE_DRAWS` posterior draws, of each draw's standard deviation
    around its straight line: the size of the true swings as far as the data
    tell (the posterior mean alone is smoother than the truth).
    """
    from cftf_analysis.stats.latent import latent_from_observations

    obs = fit.observations
    cols = [c for c in obs.columns if c not in ("log_value", "log_sd")]
    base = fit.monthly["log_mean"].to_numpy(float)
    weights = fit.mixture.weights
    settings = {**dict(fit.settings), "start": fit.months[0], "end": fit.months[-1]}
    jac = np.empty((len(fit.months), len(obs)))
    for j in range(len(obs)):
        moved = obs[cols].copy()
        for col in ("value", "low", "high"):
            moved.loc[moved.index[j], col] = moved[col].iloc[j] * np.exp(step)
        refit = latent_from_observations(moved, **settings)
        jac[:, j] = (_held_log_mean(refit.mixture, weights, refit.window) - base) / step
    logs = np.log(fit.draws(AMPLITUDE_DRAWS, seed=0))
    amplitude = float(np.sqrt(np.mean(np.var(_detrended(logs), axis=1))))
    return NullPaths(
        months=fit.months,
        log_mean=base,
        jacobian=jac,
        log_values=_log_values(obs),
        observations=obs,
        trend_sd=float(fit.trend_sd),
        amplitude=amplitude,
        trend=str(fit.trend),
        producer_error=float(fit.producer_error),
        range_level=float(fit.range_level),
    )
