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
        np.allclose(line.get_xdata(), 1.0) for line in ax.lines if line.get_gid() == "reference"
    )  # reference line at 1
    (points,) = by_gid(ax, "estimates")
    no_intercept = tidy[tidy["term"] != "intercept"]
    np.testing.assert_allclose(points.get_xdata(), no_intercept["irr"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Revenue, lag 0 months", "Revenue, lag 3 months", "Trend (per month)"]
    with pytest.raises(ArgumentError, match="not in data"):
        figures.plot_rate_ratios(tidy, terms=["oil_lag1"], ax=ax)


def _wide_table():
    import pandas as pd

    return pd.DataFrame(
        {
            "term": ["revenue_total_lag0", "territory_lag0", "trend"],
            "irr": [0.02, 1.4, 1.01],
            "irr_low": [0.012, 0.9, 0.99],
            "irr_high": [0.035, 2.5, 1.03],
        }
    )


def test_rate_ratio_ticks_never_overlap():
    """Wide ranges (0.012 to 2.5) used to print "0.015" over "0.02"."""
    import matplotlib.pyplot as plt

    from tests.figures.helpers import boxes_overlap, render

    for width in (6.5, 4.0, 2.5):
        with figures.report_theme():
            fig, ax = plt.subplots(figsize=(width, 2.5), layout="constrained")
            figures.plot_rate_ratios(_wide_table(), ax=ax)
        renderer = render(fig)
        labels = [t for t in ax.get_xticklabels() if t.get_text()]
        assert "1" in [t.get_text() for t in labels]
        assert len(labels) >= (4 if width > 3 else 1)
        boxes = [t.get_window_extent(renderer) for t in labels]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not boxes_overlap(a, b), f"tick labels overlap at width {width}"
        plt.close(fig)


def test_reference_line_alone_at_one_and_plain_words(ax):
    figures.plot_rate_ratios(_wide_table(), ax=ax, conf_level=0.9)
    at_one = [line for line in ax.lines if np.allclose(line.get_xdata(), 1.0)]
    assert [line.get_gid() for line in at_one] == ["reference"]
    assert not any(line.get_visible() for line in ax.get_xgridlines())
    assert "IRR" not in ax.get_xlabel() and "unit of the covariate" not in ax.get_xlabel()
    assert "Rate ratio" in ax.get_xlabel()
    right = ax.child_axes[0]
    assert right.get_ylabel() == "Rate ratio [90% confidence interval]"


def test_groups_keep_findings_apart_from_adjustments(ax):
    groups = {"Findings": ["revenue_total_lag0", "territory_lag0"], "Adjustment": ["trend"]}
    figures.plot_rate_ratios(_wide_table(), groups=groups, ax=ax)
    headings = [t for t in ax.texts if t.get_gid() == "group-heading"]
    assert [t.get_text() for t in headings] == ["Findings", "Adjustment"]
    ys = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks(), strict=True))
    (sep,) = [line for line in ax.lines if line.get_gid() == "group-separator"]
    assert min(ys["Revenue, lag 0 months"], ys["Territory, lag 0 months"]) > sep.get_ydata()[0]
    assert ys["Trend (per month)"] < sep.get_ydata()[0]
    assert headings[0].xy[1] > max(ys.values())


def test_battery_rate_ratio_intervals_are_95_percent(battery):
    """catalog.CONF_LEVEL is the level of the intervals the figure shows: exp(b ± z se)."""
    from scipy.stats import norm

    from cftf_analysis.figures.catalog import CONF_LEVEL

    z = norm.ppf(0.5 + CONF_LEVEL / 2)
    for model in battery["count_model"].models.values():
        t = model.tidy(conf_level=CONF_LEVEL)
        np.testing.assert_allclose(t["irr_low"], np.exp(t["estimate"] - z * t["std_error"]))
        np.testing.assert_allclose(t["irr_high"], np.exp(t["estimate"] + z * t["std_error"]))
