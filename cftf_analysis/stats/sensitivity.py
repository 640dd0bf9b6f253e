"""Does a conclusion survive the uncertainty of sparse indicators and imprecise dates?

:func:`sensitivity` re-runs an analysis on many plausible versions of the
data: each ranged indicator figure is drawn within its low/high range before
interpolation, and each report's publication date is drawn within its date
interval. The spread of estimates and the share of draws with p < alpha show
how much a finding depends on choices the evidence does not pin down.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.options import Vary, allowed_values, check_fraction, check_int
from cftf_analysis.panel import (
    SeriesSpec,
    default_series,
    indicator_points,
    interpolate,
    monthly_panel,
    series_rows,
)
from cftf_analysis.stats.timeseries import as_generator

__all__ = [
    "DRAW_COLUMNS",
    "SENSITIVITY_COLUMNS",
    "PanelSampler",
    "SensitivityResult",
    "draw_indicators",
    "draw_report_dates",
    "sensitivity",
]

#: Columns of :attr:`SensitivityResult.draws`.
DRAW_COLUMNS = ["draw", "finding", "estimate", "p_value"]
#: Columns of :attr:`SensitivityResult.summary`.
SENSITIVITY_COLUMNS = [
    "finding",
    "observed_estimate",
    "observed_p_value",
    "median_estimate",
    "estimate_q025",
    "estimate_q975",
    "share_same_sign",
    "share_significant",
    "n_draws",
    "n_failed",
    "alpha",
]

Analysis = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class SensitivityResult:
    """Draw-by-draw results and their summary.

    Attributes
    ----------
    draws
        One row per draw and finding: ``draw`` (0-based), ``finding``,
        ``estimate``, ``p_value`` (plus any other column the analysis returns).
    summary
        One row per finding, columns :data:`SENSITIVITY_COLUMNS`: the estimate and
        p-value on the data as given, the median and 2.5/97.5 percentiles of
        the estimate across draws, the share of draws whose estimate has the
        observed sign, the share with p < alpha, the number of draws and of
        draws where the analysis failed (an :class:`AnalysisError`, e.g. a
        constant series; those draws are counted, not hidden).
    """

    draws: pd.DataFrame
    summary: pd.DataFrame


def draw_report_dates(reports: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Return a copy of ``reports`` with each publication date drawn within its interval.

    The day is uniform over the interval's days; the drawn date becomes a
    one-day interval (precision ``"day"``).

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> r = cftf.load_reports()
    >>> d = draw_report_dates(r, np.random.default_rng(1))
    >>> bool(((d["published_start"] >= r["published_start"])
    ...       & (d["published_start"] <= r["published_end"])).all())
    True
    """
    start = reports["published_start"].to_numpy().astype("datetime64[D]")
    end = reports["published_end"].to_numpy().astype("datetime64[D]")
    n_days = (end - start).astype(np.int64) + 1
    offset = np.floor(rng.random(len(reports)) * n_days).astype(np.int64)
    day = (start + offset).astype("datetime64[ns]")
    out = reports.copy()
    out["published_start"] = day
    out["published_end"] = day
    out["published_precision"] = pd.Categorical(
        ["day"] * len(out), categories=reports["published_precision"].cat.categories
    )
    return out


def draw_indicators(indicators: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Return a copy of ``indicators`` with each ranged figure drawn within [low, high].

    Rows with a range get ``value`` drawn uniformly between ``low`` and
    ``high``; point figures are kept as reported.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> ind = cftf.load_indicators()
    >>> d = draw_indicators(ind, np.random.default_rng(1))
    >>> ranged = ind["low"].notna()
    >>> bool(((d.loc[ranged, "value"] >= ind.loc[ranged, "low"])
    ...       & (d.loc[ranged, "value"] <= ind.loc[ranged, "high"])).all())
    True
    """
    out = indicators.copy()
    ranged = out["low"].notna() & out["high"].notna()
    low, high = out.loc[ranged, "low"].to_numpy(), out.loc[ranged, "high"].to_numpy()
    out.loc[ranged, "value"] = low + rng.random(int(ranged.sum())) * (high - low)
    return out


def _check_result(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("finding", "estimate", "p_value") if c not in frame.columns]
    if missing:
        raise ArgumentError(
            "the analysis must return a DataFrame with columns finding, estimate, p_value; "
            f"missing {', '.join(missing)}"
        )
    return frame


class PanelSampler:
    """Precomputed state to draw plausible monthly panels quickly.

    :func:`~cftf_analysis.monthly_panel` is written for clarity and validates
    its inputs; :func:`sensitivity` needs it a thousand times. The sampler does
    the parts that do not change between draws once (the month grid, which
    indicator rows make each series, each report's date interval) and per draw
    only draws dates and values with numpy, giving exactly the panel that
    ``monthly_panel(draw_report_dates(...), draw_indicators(...))`` would give
    for the same random numbers (a test checks this).
    """

    def __init__(
        self,
        reports: pd.DataFrame,
        indicators: pd.DataFrame,
        series: Mapping[str, SeriesSpec],
        **panel_kwargs: object,
    ) -> None:
        self.observed = monthly_panel(reports, indicators, series=series, **panel_kwargs)
        self.grid = pd.DatetimeIndex(self.observed["month"])
        self.kwargs = {**panel_kwargs, "start": self.grid[0], "end": self.grid[-1]}
        self.series = dict(series)
        self.date = str(panel_kwargs.get("date", "published"))
        self.interpolation = str(panel_kwargs.get("interpolation", "linear"))
        start = reports[f"{self.date}_start"]
        end = reports[f"{self.date}_end"]
        known = (start.notna() & end.notna()).to_numpy()
        self.n_reports = len(reports)
        self.known = known
        self.start_day = start.to_numpy().astype("datetime64[D]")
        self.n_days = (end.to_numpy().astype("datetime64[D]") - self.start_day).astype(
            np.int64
        ) + 1
        self.financial = reports["motive_financial"].to_numpy(dtype=float)
        self.m0 = self.grid[0].year * 12 + self.grid[0].month - 1
        # indicator rows per series, in the order draw_indicators draws them
        self.rows = pd.concat(
            [series_rows(indicators, s) for s in series.values()], ignore_index=True
        )
        self.ranged = (self.rows["low"].notna() & self.rows["high"].notna()).to_numpy()
        self.value = self.rows["value"].to_numpy(dtype=float)
        self.low = self.rows["low"].to_numpy(dtype=float)
        self.high = self.rows["high"].to_numpy(dtype=float)
        # which row gives each month's figure does not depend on the values
        self.points = {
            name: indicator_points(self.rows, name, spec) for name, spec in series.items()
        }

    def _counts(self, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        months = day[self.known].astype("datetime64[M]").astype(np.int64) + 1970 * 12 - self.m0
        inside = (months >= 0) & (months < len(self.grid))
        n = np.bincount(months[inside], minlength=len(self.grid)).astype(float)
        fin = np.bincount(
            months[inside], weights=self.financial[self.known][inside], minlength=len(self.grid)
        )
        return n, fin

    def draw(self, rng: np.random.Generator, *, dates: bool, values: bool) -> pd.DataFrame:
        """One plausible panel (same columns as the observed one)."""
        out = self.observed.copy()
        if dates:
            u = rng.random(self.n_reports)
            offset = np.floor(u * np.where(self.known, self.n_days, 1)).astype(np.int64)
            day = self.start_day + np.where(self.known, offset, 0)
            out["n_reports"], out["n_reports_financial"] = self._counts(day)
        if values:
            value = self.value.copy()
            r = self.ranged
            value[r] = self.low[r] + rng.random(int(r.sum())) * (self.high[r] - self.low[r])
            for name, points in self.points.items():
                drawn = value[points["source_index"].to_numpy()]
                estimate = points["estimate"].where(np.isnan(drawn), drawn)
                out[name] = interpolate(estimate, self.grid, self.interpolation).to_numpy()
        return out


def sensitivity(
    analysis: Analysis,
    *,
    reports: pd.DataFrame,
    indicators: pd.DataFrame,
    n_draws: int = 1000,
    seed: int | np.random.Generator | None = None,
    vary: tuple[Vary, ...] = ("indicators", "dates"),
    series: Mapping[str, SeriesSpec] | None = None,
    alpha: float = 0.05,
    **panel_kwargs: object,
) -> SensitivityResult:
    """Re-run ``analysis`` on plausible versions of the data.

    Parameters
    ----------
    analysis
        A function ``panel -> DataFrame`` with columns ``finding``,
        ``estimate`` and ``p_value`` (one row per finding). It receives a
        :func:`~cftf_analysis.monthly_panel` built from the drawn data.
    reports, indicators
        Outputs of :func:`~cftf_analysis.load_reports` and
        :func:`~cftf_analysis.load_indicators`.
    n_draws
        Number of plausible datasets.
    seed
        Seed or generator; the same seed gives the same draws.
    vary
        What to draw: ``"indicators"`` (ranged figures within low/high),
        ``"dates"`` (report dates within their intervals), or both.
    series, **panel_kwargs
        Passed to :func:`~cftf_analysis.monthly_panel` (``start``, ``end``,
        ``interpolation``...). The month grid is fixed to the observed data's
        grid so that every draw covers the same months.
    alpha
        Threshold for ``share_significant``.

    Returns
    -------
    SensitivityResult
        ``.draws`` (one row per draw and finding) and ``.summary``.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> def mean_count(panel):
    ...     return pd.DataFrame({"finding": ["mean monthly reports"],
    ...                          "estimate": [panel["n_reports"].mean()], "p_value": [np.nan]})
    >>> res = sensitivity(mean_count, reports=cftf.load_reports(),
    ...                   indicators=cftf.load_indicators(), n_draws=20, seed=1)
    >>> len(res.draws), int(res.summary.loc[0, "n_draws"])
    (20, 20)
    """
    if isinstance(vary, str) or not vary or set(vary) - set(allowed_values(Vary)):
        raise ArgumentError(f"vary must name 'indicators' and/or 'dates'; got {vary!r}")
    check_int(n_draws, "n_draws", minimum=1)
    check_fraction(alpha, "alpha")
    rng = as_generator(seed)
    sampler = PanelSampler(
        reports,
        indicators,
        default_series(indicators) if series is None else series,
        **panel_kwargs,
    )
    observed = _check_result(analysis(sampler.observed))
    frames, failed = [], 0
    for draw in range(n_draws):
        panel = sampler.draw(rng, dates="dates" in vary, values="indicators" in vary)
        try:
            result = _check_result(analysis(panel))
        except AnalysisError:
            failed += 1
            continue
        frames.append(result.assign(draw=draw))
    if not frames:
        raise AnalysisError(f"the analysis failed on all {n_draws} draws")
    draws = pd.concat(frames, ignore_index=True)
    draws = draws[DRAW_COLUMNS + [c for c in draws.columns if c not in DRAW_COLUMNS]]
    return SensitivityResult(draws=draws, summary=_summarise(draws, observed, failed, alpha))


def _summarise(
    draws: pd.DataFrame, observed: pd.DataFrame, failed: int, alpha: float
) -> pd.DataFrame:
    rows = []
    obs = observed.set_index("finding")
    for finding, group in draws.groupby("finding", sort=False):
        est = group["estimate"].to_numpy(dtype=float)
        p = group["p_value"].to_numpy(dtype=float)
        o_est = float(obs.loc[finding, "estimate"]) if finding in obs.index else np.nan
        o_p = float(obs.loc[finding, "p_value"]) if finding in obs.index else np.nan
        rows.append(
            {
                "finding": finding,
                "observed_estimate": o_est,
                "observed_p_value": o_p,
                "median_estimate": float(np.median(est)),
                "estimate_q025": float(np.quantile(est, 0.025)),
                "estimate_q975": float(np.quantile(est, 0.975)),
                "share_same_sign": float(np.mean(np.sign(est) == np.sign(o_est)))
                if np.isfinite(o_est)
                else np.nan,
                "share_significant": float(np.mean(p < alpha)) if np.isfinite(p).any() else np.nan,
                "n_draws": len(group),
                "n_failed": failed,
                "alpha": alpha,
            }
        )
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
