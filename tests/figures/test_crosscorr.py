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
    (filled,) = by_gid(ax, "significant")
    (empty,) = by_gid(ax, "not-significant")
    assert len(filled.get_xdata()) == hits
    assert len(filled.get_xdata()) + len(empty.get_xdata()) == len(ccf)
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
