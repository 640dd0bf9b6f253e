"""Change-point plot."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import cftf_analysis as cftf
from cftf_analysis import figures
from cftf_analysis.figures.changepoints import edge_breaks
from tests.figures.helpers import by_gid, render


@pytest.fixture(scope="module")
def segmented(panel):
    series = panel.set_index("month")["n_reports"]
    return series, cftf.change_points(series, model="poisson", n_resamples=19, seed=1)


def test_change_points_plot(ax, segmented):
    series, res = segmented
    assert figures.plot_change_points(series, res.segments, test=res.test, ax=ax) is ax
    assert len(ax.patches) == len(series)
    (means,) = by_gid(ax, "segment-means")
    assert len(means.get_segments()) == len(res.segments)
    np.testing.assert_allclose([s[0][1] for s in means.get_segments()], res.segments["mean"])
    lines = by_gid(ax, "change-point") + by_gid(ax, "edge-break")
    assert len(lines) == len(res.segments) - 1
    assert "p =" in ax.get_title(loc="right")


def test_breaks_at_the_edges_of_the_collection_are_marked(ax, segmented):
    """The bundled series rises out of, and sinks back to, near-empty edge segments."""
    series, res = segmented
    figures.plot_change_points(series, res.segments, ax=ax)
    seg = res.segments
    interior = seg["mean"].iloc[1:-1].min()
    expected = [seg["mean"].iloc[0] < interior, *[False] * (len(seg) - 3)]
    expected.append(seg["mean"].iloc[-1] < interior)
    assert edge_breaks(seg) == expected == [True, False, False, True]
    edge_x = sorted(line.get_xdata()[0] for line in by_gid(ax, "edge-break"))
    assert edge_x == [seg["start"].iloc[1].to_datetime64(), seg["start"].iloc[-1].to_datetime64()]
    assert any("edge of the collection" in t.get_text() for t in ax.get_legend().get_texts())
    plain = figures.plot_change_points(series, seg, mark_edges=False, ax=plt.subplots()[1])
    assert by_gid(plain, "edge-break") == []


def test_edge_breaks_need_an_interior():
    two = pd.DataFrame({"segment": [1, 2], "mean": [0.1, 5.0]})
    assert edge_breaks(two) == [False]
    level = pd.DataFrame({"segment": [1, 2, 3], "mean": [4.0, 1.0, 6.0]})
    assert edge_breaks(level) == [False, False]


@pytest.mark.parametrize("gap_months", [1, 2, 3, 12])
def test_break_labels_are_not_crossed_by_other_breaks(gap_months):
    """Every label lies clear of every other break line, even for breaks months apart."""
    months = pd.date_range("2014-01-01", periods=60, freq="MS")
    bounds = [0, 20, 20 + gap_months, 20 + 2 * gap_months, 60]
    means = [1.0, 5.0, 1.0, 6.0]
    segs = pd.DataFrame(
        {
            "segment": range(1, 5),
            "start": months[bounds[:-1]],
            "end": months[[b - 1 for b in bounds[1:]]],
            "mean": means,
        }
    )
    series = pd.Series(np.repeat(means, np.diff(bounds)), index=months)
    with figures.report_theme():
        fig, ax = plt.subplots(figsize=(6.5, 3.4), layout="constrained")
        figures.plot_change_points(series, segs, ax=ax)
    renderer = render(fig)
    lines = by_gid(ax, "change-point") + by_gid(ax, "edge-break")
    xs = [ax.transData.transform((mdates_num(line.get_xdata()[0]), 0))[0] for line in lines]
    labels = [t for t in ax.texts if t.get_gid() == "break-label"]
    assert len(labels) == 3
    for label in labels:
        box = label.get_window_extent(renderer)
        crossing = [x for x in xs if box.x0 + 1 < x < box.x1 - 1]
        if gap_months >= 2:  # room on one side, or upright: nothing crosses
            assert crossing == [], label.get_text()
        else:  # no room either side: the label's white box is drawn over the line
            assert label.get_zorder() > max(line.get_zorder() for line in lines)


def mdates_num(value):
    import matplotlib.dates as mdates

    return mdates.date2num(pd.Timestamp(value))


def test_change_points_integer_index(ax):
    series = pd.Series([1.0, 1, 1, 5, 5, 5])
    segs = pd.DataFrame(
        {"segment": [1, 2], "start": [0, 3], "end": [2, 5], "n_obs": [3, 3], "mean": [1.0, 5.0]}
    )
    figures.plot_change_points(series, segs, ax=ax)
    (means,) = by_gid(ax, "segment-means")
    assert [tuple(s[:, 0]) for s in means.get_segments()] == [(-0.5, 2.5), (2.5, 5.5)]
