"""A fast re-builder of the monthly panel for many random draws (internal).

:func:`cftf_analysis.monthly_panel` is written for clarity and validates its
inputs; :func:`cftf_analysis.sensitivity` needs it a thousand times. This
sampler does the parts that do not change between draws once (the month grid,
which indicator rows make each series, each report's date interval) and per
draw only draws dates and values with numpy, giving exactly the panel that
``monthly_panel(draw_report_dates(...), draw_indicators(...))`` would give
for the same random numbers (a test checks this).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from cftf_analysis.panel import (
    SeriesSpec,
    _indicator_points,
    _interpolate,
    month_weights,
    monthly_panel,
    series_rows,
)


class PanelSampler:
    """Precomputed state to draw plausible monthly panels quickly."""

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
            name: _indicator_points(self.rows, name, spec) for name, spec in series.items()
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
                out[name] = _interpolate(estimate, self.grid, self.interpolation).to_numpy()
        return out


__all__ = ["PanelSampler", "month_weights"]
