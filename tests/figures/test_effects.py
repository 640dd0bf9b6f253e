"""Rate-ratio plot."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import cftf_analysis as cftf
from cftf_analysis import figures
from cftf_analysis.errors import ArgumentError
from tests.figures.helpers import by_gid


def test_rate_ratios_plot(ax, panel):
    scaled = panel.assign(revenue_total=panel["revenue_total"] / 1e6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # months lost to missing revenue and the lag
        fit = cftf.fit_count_model(
            scaled, counts="n_reports", covariates=["revenue_total"], lags=[0, 3]
        )
    tidy = fit.tidy()
    assert figures.plot_rate_ratios(tidy, ax=ax) is ax
    assert ax.get_xscale() == "log"
    assert any(
        np.allclose(line.get_xdata(), 1.0) for line in ax.lines if line.get_gid() is None
    )  # reference line at 1
    (points,) = by_gid(ax, "estimates")
    no_intercept = tidy[tidy["term"] != "intercept"]
    np.testing.assert_allclose(points.get_xdata(), no_intercept["irr"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Revenue, lag 0 months", "Revenue, lag 3 months", "Trend (per month)"]
    with pytest.raises(ArgumentError, match="not in data"):
        figures.plot_rate_ratios(tidy, terms=["oil_lag1"], ax=ax)
