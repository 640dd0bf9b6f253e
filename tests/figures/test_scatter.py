"""Lagged scatter."""

from __future__ import annotations

from cftf_analysis import figures
from tests.figures.helpers import by_gid


def test_lagged_scatter_distinguishes_observed(ax, panel):
    assert figures.plot_lagged_scatter(panel, x="revenue_total", lag=3, ax=ax) is ax
    by_month = panel.set_index("month")
    pairs = by_month["revenue_total"].notna() & by_month["n_reports"].shift(-3).notna()
    observed = pairs & by_month["revenue_total_observed"]
    derived = observed & by_month["revenue_total_derived"]
    counts = {g: len(by_gid(ax, g)[0].get_xdata()) for g in ("interpolated", "reported")}
    counts["derived"] = len(by_gid(ax, "derived")[0].get_xdata()) if derived.any() else 0
    assert counts["interpolated"] == (pairs & ~observed).sum()
    assert counts["reported"] == (observed & ~derived).sum()
    assert counts["derived"] == derived.sum()
    assert "month t + 3" in ax.get_ylabel()
    assert "USD million" in ax.get_xlabel()
