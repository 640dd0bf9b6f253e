"""Lagged scatter."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cftf_analysis import figures
from tests.figures.helpers import by_gid


def test_lagged_scatter_distinguishes_observed(ax, panel):
    assert figures.plot_lagged_scatter(panel, x="revenue_total", lag=3, ax=ax) is ax
    by_month = panel.set_index("month")
    pairs = by_month["revenue_total"].notna() & by_month["n_reports"].shift(-3).notna()
    observed = pairs & by_month["revenue_total_observed"]
    derived = observed & by_month["revenue_total_derived"]
    counts = {g: len(by_gid(ax, g)[0].get_xdata()) for g in ("between", "reported")}
    counts["derived"] = len(by_gid(ax, "derived")[0].get_xdata()) if derived.any() else 0
    assert counts["between"] == (pairs & ~observed).sum()
    assert counts["reported"] == (observed & ~derived).sum()
    assert counts["derived"] == derived.sum()
    assert "month t + 3" in ax.get_ylabel()
    assert "USD million" in ax.get_xlabel()


def test_lagged_scatter_legend_off_the_data_and_labels_say_t(panel):
    import matplotlib.pyplot as plt

    from cftf_analysis.tables import lagged_pairs
    from tests.figures.helpers import render

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
    _assert_labels_apart_and_inside(ax, renderer)


def _assert_labels_apart_and_inside(ax, renderer):
    """The month labels (text only, not a leader line) overlap no other and stay in the axes."""
    from matplotlib.text import Text

    from tests.figures.helpers import boxes_overlap

    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]
    frame = ax.get_window_extent(renderer)
    for i, a in enumerate(boxes):
        assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
        for b in boxes[i + 1 :]:
            assert not boxes_overlap(a, b)


def test_hollow_markers_are_drawn_over_filled_ones(ax, panel):
    figures.plot_lagged_scatter(panel, x="territory", lag=0, ax=ax)
    (hollow,) = by_gid(ax, "between")
    filled = by_gid(ax, "reported") + by_gid(ax, "derived")
    assert hollow.get_markerfacecolor() == "none"
    assert all(hollow.get_zorder() > f.get_zorder() for f in filled)


def test_filled_points_are_the_months_the_panel_flags_observed(ax):
    """Filled: months with an observation (``<x>_observed``); hollow: the months between."""
    months = pd.date_range("2020-01-01", periods=12, freq="MS")
    observed = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1], dtype=bool)
    derived = np.zeros(12, dtype=bool)
    derived[5] = True
    panel = pd.DataFrame(
        {
            "month": months,
            "x": np.linspace(20.0, 9.0, 12),
            "n_reports": np.arange(12.0) % 5,
            "x_observed": observed,
            "x_derived": derived,
        }
    )
    figures.plot_lagged_scatter(panel, x="x", lag=0, ax=ax)
    (filled,) = by_gid(ax, "reported")
    (square,) = by_gid(ax, "derived")
    (hollow,) = by_gid(ax, "between")
    np.testing.assert_allclose(filled.get_xdata(), panel.loc[observed & ~derived, "x"])
    np.testing.assert_allclose(filled.get_ydata(), panel.loc[observed & ~derived, "n_reports"])
    np.testing.assert_allclose(square.get_xdata(), panel.loc[derived, "x"])
    np.testing.assert_allclose(hollow.get_xdata(), panel.loc[~observed, "x"])
    assert filled.get_markerfacecolor() != "none" and hollow.get_markerfacecolor() == "none"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        "Month with an observation (n = 5)",
        "Month with a derived level (n = 1)",
        "Month between observations (n = 6)",
    ]
    # only the observed months are labelled with their month
    assert sorted(t.get_text() for t in ax.texts) == [f"t = {m:%Y-%m}" for m in months[observed]]


def test_report_scatter_labels_never_overlap(battery):
    """Both panels of the report's figure, laid out together: labels apart, in their axes."""
    from cftf_analysis.figures import make_figure
    from cftf_analysis.tables import lagged_pairs
    from tests.figures.helpers import render

    fig, _ = make_figure("lagged_scatter", battery)
    renderer = render(fig)
    peaks = battery["ccf"].rows.set_index("indicator")["lag"]
    axes = [ax for ax in fig.axes if ax.get_legend() is not None]
    assert len(axes) == len(peaks)
    for ax, (name, lag) in zip(axes, peaks.items(), strict=True):
        pairs = lagged_pairs(battery.panel, x=name, lag=int(lag))
        assert len(ax.texts) == pairs["x_observed"].sum()
        _assert_labels_apart_and_inside(ax, renderer)
