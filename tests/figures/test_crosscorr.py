"""Cross-correlation plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import cftf_analysis as cftf
from cftf_analysis import figures
from cftf_analysis.errors import DataValidationError
from tests.figures.helpers import by_gid, n_artists


def test_cross_correlation_plot(ax, panel):
    p = panel.set_index("month")
    ccf = cftf.cross_correlation(p["revenue_total"], p["n_reports"], max_lag=6)
    assert figures.plot_cross_correlation(ccf, ax=ax, title="Revenue") is ax
    assert n_artists(ax) > 0
    hits = (ccf["p_adjusted"] < 0.05).sum()
    nominal = ((ccf["p_value"] < 0.05) & (ccf["p_adjusted"] >= 0.05)).sum()
    (filled,) = by_gid(ax, "significant")
    (grey,) = by_gid(ax, "nominal")
    (empty,) = by_gid(ax, "not-significant")
    assert len(filled.get_xdata()) == hits
    assert len(grey.get_xdata()) == nominal
    assert len(filled.get_xdata()) + len(grey.get_xdata()) + len(empty.get_xdata()) == len(ccf)
    (ci,) = by_gid(ax, "ci")
    assert len(ci.get_segments()) == len(ccf)
    assert ax.get_title(loc="left") == "Revenue"


def test_cross_correlation_hand_built_frame(ax):
    ccf = pd.DataFrame(
        {
            "lag": [-1, 0, 1],
            "estimate": [0.1, 0.6, -0.2],
            "ci_low": [-0.3, 0.3, -0.6],
            "ci_high": [0.5, 0.8, 0.2],
            "p_value": [0.6, 0.001, 0.3],
        }
    )
    figures.plot_cross_correlation(ccf, ax=ax, alpha=0.01)
    np.testing.assert_array_equal(by_gid(ax, "significant")[0].get_xdata(), [0.0])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "Confidence interval, each lag on its own"  # no level known
    assert "grey" not in " ".join(labels) and len(labels) == 3  # no p_adjusted: two kinds
    with pytest.raises(DataValidationError, match="ci_high"):
        figures.plot_cross_correlation(ccf.drop(columns="ci_high"), ax=ax)


def test_cross_correlation_figure_one_panel_per_indicator(panel):
    p = panel.set_index("month")
    tables = {
        name: cftf.cross_correlation(p[name], p["n_reports"], max_lag=4)
        for name in ("revenue_total", "territory")
    }
    fig = figures.cross_correlation_figure(tables)
    assert isinstance(fig, Figure)
    assert [a.get_title(loc="left") for a in fig.axes] == ["Revenue", "Territory"]
    assert any(t.get_text().startswith("Sources") for t in fig.texts)


def test_intervals_and_markers_are_explained(ax, panel):
    """The legend names the level, says the intervals are per lag and the markers adjusted."""
    p = panel.set_index("month")
    ccf = cftf.cross_correlation(p["revenue_total"], p["n_reports"], max_lag=6)
    figures.plot_cross_correlation(ccf, ax=ax, conf_level=0.95, adjustment="Holm-adjusted")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        "95% confidence interval, each lag on its own",
        "Estimate, Holm-adjusted p < 0.05",
        "Estimate, p < 0.05 at this lag alone, not once Holm-adjusted",
        "Estimate, p ≥ 0.05",
    ]
    # every interval that excludes zero has a black or a grey marker, never an open one
    excludes = ccf.loc[(ccf["ci_low"] > 0) | (ccf["ci_high"] < 0), "lag"]
    (empty,) = by_gid(ax, "not-significant")
    assert not set(excludes) & set(empty.get_xdata())


def test_sign_guide_reads_the_question(ax, panel):
    """Above 0: falling indicator, fewer reports; below 0: more reports; off the data."""
    p = panel.set_index("month")
    ccf = cftf.cross_correlation(p["revenue_total"], p["n_reports"], max_lag=6)
    figures.plot_cross_correlation(ccf, ax=ax, x_name="revenue", y_name="reports")
    guide = {t.get_gid(): t for t in ax.texts}
    assert "falling revenue goes with fewer reports" in guide["sign-positive"].get_text()
    assert "falling revenue goes with more reports" in guide["sign-negative"].get_text()
    assert guide["sign-positive"].get_position()[1] > 1 > ccf["ci_high"].max()
    assert guide["sign-negative"].get_position()[1] < -1 < ccf["ci_low"].min()
    low, high = ax.get_ylim()
    assert low < -1.2 and high > 1.2


def test_battery_intervals_are_95_percent(battery):
    """The legend's level (catalog.CONF_LEVEL) is the one the ccf step's intervals have.

    Each lag's interval is Rubin's on the Fisher z scale (t quantile at CONF_LEVEL with the
    pooled df): recomputed from the draws' correlations.
    """
    from scipy.stats import t as student

    from cftf_analysis.figures.catalog import CONF_LEVEL
    from tests.stats.reference import prewhitened_r, rubin, window_arrays

    table = battery["ccf"].table
    rows = table[table["indicator"] == "revenue_total"].reset_index(drop=True)
    counts, paths, _ = window_arrays(battery, "revenue_total")
    lags = rows["lag"].to_numpy()
    order = int(rows["ar_order"].iloc[0])
    per_draw = [prewhitened_r(c, x, lags, order) for c, x in zip(counts, paths, strict=True)]
    for j, at in rows.iterrows():
        z = np.arctanh([d[j][0] for d in per_draw])
        ref = rubin(z, np.full(z.size, 1 / (per_draw[0][j][1] - 3)), conf_level=CONF_LEVEL)
        half = student.ppf(0.5 + CONF_LEVEL / 2, ref["df"]) * ref["std_error"]
        assert at["ci_low"] == pytest.approx(np.tanh(ref["estimate"] - half), abs=1e-8)
        assert at["ci_high"] == pytest.approx(np.tanh(ref["estimate"] + half), abs=1e-8)
