"""Sensitivity plots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from cftf_analysis import figures
from cftf_analysis.errors import ArgumentError
from tests.figures.helpers import by_gid


@pytest.fixture(scope="module")
def draws() -> pd.DataFrame:
    rng = np.random.default_rng(20160418)
    return pd.DataFrame(
        {
            "draw": np.repeat(np.arange(100), 2),
            "finding": ["revenue_irr", "territory_irr"] * 100,
            "estimate": rng.normal(1.3, 0.1, 200),
            "p_value": rng.uniform(0, 0.5, 200),
        }
    )


def test_sensitivity_plot(ax, draws):
    observed = pd.DataFrame(
        {"finding": ["revenue_irr"], "observed_estimate": [1.31], "observed_p_value": [0.2]}
    )
    out = figures.plot_sensitivity(draws, observed=observed, finding="revenue_irr", ax=ax)
    assert out is ax
    bins = [p for p in ax.patches if p.get_gid() != "middle"]
    assert sum(p.get_height() for p in bins) == 100  # every draw in a bin
    (line,) = by_gid(ax, "obs")
    assert np.allclose(line.get_xdata(), 1.31)
    ax2 = plt.subplots()[1]
    figures.plot_sensitivity(draws, observed=0.2, finding="revenue_irr", value="p_value", ax=ax2)
    assert ax2.get_xlim() == (0.0, 1.0)
    with pytest.raises(ArgumentError, match="several findings"):
        figures.plot_sensitivity(draws, ax=ax)
    with pytest.raises(ArgumentError, match="value='mean' is not allowed"):
        figures.plot_sensitivity(draws, finding="revenue_irr", value="mean", ax=ax)


def test_sensitivity_figure(draws):
    fig = figures.sensitivity_figure(draws, labels={"revenue_irr": "Revenue"})
    assert len(fig.axes) == 4
    assert fig.axes[0].get_title(loc="left") == "Revenue"


def test_sensitivity_figure_names_the_estimate_and_shades_the_middle(draws):
    fig = figures.sensitivity_figure(
        draws, labels={"revenue_irr": "Revenue rate ratio (per USD 10 million a month)"}
    )
    est_ax = fig.axes[0]
    assert est_ax.get_xlabel() == "Revenue rate ratio (per USD 10 million a month) in each draw"
    assert est_ax.get_title(loc="left") == "Revenue rate ratio"
    (band,) = [p for p in est_ax.patches if p.get_gid() == "middle"]
    values = draws.loc[draws["finding"] == "revenue_irr", "estimate"]
    low, high = np.quantile(values, [0.025, 0.975])
    x0, x1 = sorted((band.get_x(), band.get_x() + band.get_width()))
    assert np.isclose(x0, low) and np.isclose(x1, high)
    assert values.min() < low and high < values.max()  # the middle 95% is not the range
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Estimate on the data as given" in legend and "Observed data" not in legend
    assert "Middle 95% of draws" in legend


def test_a_few_extreme_draws_do_not_squeeze_the_histogram(ax):
    """Heavy-tailed draws (a rate ratio of 5,000 in a few of 1,000): the axis spans the
    middle 99% and a note counts the draws beyond it; without extremes nothing is cut."""
    rng = np.random.default_rng(3)
    values = np.r_[rng.lognormal(0.4, 0.3, 995), [800.0, 1200.0, 2000.0, 3500.0, 5000.0]]
    heavy = pd.DataFrame({"draw": range(1000), "finding": "irr", "estimate": values,
                          "p_value": 0.5})  # fmt: skip
    figures.plot_sensitivity(heavy, ax=ax)
    bins = [p for p in ax.patches if p.get_gid() != "middle"]
    lo, hi = np.quantile(values, [0.005, 0.995])
    kept = int(((values >= lo) & (values <= hi)).sum())
    assert sum(p.get_height() for p in bins) == kept
    assert max(p.get_x() + p.get_width() for p in bins) <= hi + 1e-9
    (note,) = [t for t in ax.texts if t.get_gid() == "beyond"]
    assert note.get_text() == f"{1000 - kept} draws beyond the axis"
    ax2 = plt.subplots()[1]
    figures.plot_sensitivity(heavy.iloc[:995], ax=ax2)
    assert not [t for t in ax2.texts if t.get_gid() == "beyond"]
    assert sum(p.get_height() for p in ax2.patches if p.get_gid() != "middle") == 995
