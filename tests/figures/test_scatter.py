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


def test_lagged_scatter_legend_off_the_data_and_labels_say_t(panel):
    import matplotlib.pyplot as plt

    from cftf_analysis.tables import lagged_pairs
    from tests.figures.helpers import boxes_overlap, render

    with figures.report_theme():
        fig, ax = plt.subplots(figsize=(3.25, 3.8), layout="constrained")
        figures.plot_lagged_scatter(panel, x="revenue_total", lag=5, ax=ax)
    renderer = render(fig)
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.y0 >= ax.get_window_extent(renderer).y1 - 1  # above the axes
    points = [line for line in ax.lines if line.get_gid()]
    for line in points:
        xy = ax.transData.transform(list(zip(line.get_xdata(), line.get_ydata(), strict=True)))
        assert not any(legend.contains(x, y) for x, y in xy)
    pairs = lagged_pairs(panel, x="revenue_total", lag=5)
    labels = sorted(t.get_text() for t in ax.texts)
    assert labels == sorted(f"t = {m:%Y-%m}" for m in pairs.loc[pairs["x_observed"], "month_x"])
    # fractional counts are explained on the axis
    assert "spread over months" in ax.get_ylabel()
    for i, a in enumerate(ax.texts):
        for b in ax.texts[i + 1 :]:
            assert not boxes_overlap(a.get_window_extent(renderer), b.get_window_extent(renderer))


def test_hollow_markers_are_drawn_over_filled_ones(ax, panel):
    figures.plot_lagged_scatter(panel, x="territory", lag=0, ax=ax)
    (hollow,) = by_gid(ax, "interpolated")
    filled = by_gid(ax, "reported") + by_gid(ax, "derived")
    assert hollow.get_markerfacecolor() == "none"
    assert all(hollow.get_zorder() > f.get_zorder() for f in filled)
