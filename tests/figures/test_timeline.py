"""Timeline: report bars with date ranges, indicator markers, the figure with events."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import cftf_analysis as cftf
from cftf_analysis import figures
from cftf_analysis.errors import ArgumentError
from cftf_analysis.figures._events import spread_positions
from cftf_analysis.tables import report_count_spread, timeline_events
from tests.figures.helpers import boxes_overlap, by_gid, mid_month, render

# --- axes-level functions draw on the given Axes and return it ----------------------


def test_report_counts_draw_on_given_axes(ax, reports):
    spread = report_count_spread(reports)
    texts_before = len(ax.figure.texts)
    assert figures.plot_report_counts(spread, ax=ax) is ax
    assert len(ax.patches) == len(spread)  # one bar per month
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, spread["n_reports"])
    (ranges,) = by_gid(ax, "report-range")
    segments = ranges.get_segments()
    assert [s[0][1] for s in segments] == spread["n_certain"].tolist()
    assert [s[1][1] for s in segments] == spread["n_possible"].tolist()
    assert len(ax.figure.texts) == texts_before  # a given figure gets no source line


@pytest.mark.parametrize("column", ["revenue_total", "territory"])
def test_indicator_markers_only_at_observed_months(ax, panel, column):
    assert figures.plot_indicator(panel, y=column, ax=ax) is ax
    observed = panel[f"{column}_observed"].to_numpy(dtype=bool)
    derived = panel[f"{column}_derived"].to_numpy(dtype=bool) & observed
    (reported_line,) = by_gid(ax, "observed-markers")
    derived_lines = by_gid(ax, "derived-markers")
    n_markers = len(reported_line.get_xdata()) + sum(len(d.get_xdata()) for d in derived_lines)
    assert n_markers == observed.sum()
    assert len(reported_line.get_xdata()) == (observed & ~derived).sum()
    np.testing.assert_array_equal(
        reported_line.get_xdata(), mid_month(panel.loc[observed & ~derived, "month"])
    )
    np.testing.assert_allclose(
        reported_line.get_ydata(), panel.loc[observed & ~derived, column] / 1e6
        if column == "revenue_total" else panel.loc[observed & ~derived, column] / 1e3
    )  # fmt: skip
    # the only other line (the interpolation) carries no markers
    others = [line for line in ax.lines if line.get_gid() is None]
    assert all(line.get_marker() in ("None", "", None) for line in others)
    label = ax.get_ylabel()
    assert ("USD million" in label) if column == "revenue_total" else ("thousand km²" in label)


def test_indicator_band_only_for_ranges(ax):
    months = pd.date_range("2015-01-01", periods=4, freq="MS")
    frame = pd.DataFrame(
        {
            "month": months,
            "x": [1.0, 2.0, 3.0, 4.0],
            "x_low": [1.0, 1.5, 3.0, 4.0],
            "x_high": [1.0, 2.5, 3.0, 4.0],
            "x_observed": [True, True, False, True],
            "x_derived": [False, True, False, False],
        }
    )
    figures.plot_indicator(frame, y="x", ax=ax)
    assert len(ax.collections) == 1  # the low-high band
    assert len(by_gid(ax, "observed-markers")[0].get_xdata()) == 2
    assert len(by_gid(ax, "derived-markers")[0].get_xdata()) == 1


# --- figure-level timeline ----------------------------------------------------------


def test_timeline_figure(panel, reports, events):
    fig = figures.timeline_figure(
        panel, reports=reports, events=events, event_ids=cftf.load_case().major_events
    )
    assert isinstance(fig, Figure)
    assert [a.get_label() for a in fig.axes] == [
        "events", "reports", "revenue_total", "territory", "key",
    ]  # fmt: skip
    key = timeline_events(events, event_ids=cftf.load_case().major_events, end="2018-12-31")
    strip = fig.axes[0]
    assert sorted(int(t.get_text()) for t in strip.texts) == key["number"].tolist()
    # each number's connector starts at its event's date
    for number, date in zip(key["number"], key["date"], strict=True):
        (connector,) = [line for line in strip.lines if line.get_gid() == f"connector-{number}"]
        assert connector.get_xdata()[0] == date.to_datetime64()
    assert fig.get_figwidth() == pytest.approx(6.5)
    assert any(t.get_text().startswith("Sources:") for t in fig.texts)
    # markers only where a figure was reported, in the stacked panel too
    territory = fig.axes[3]
    n_marked = sum(len(a.get_xdata()) for a in territory.lines if a.get_gid())
    assert n_marked == panel["territory_observed"].sum()


@pytest.fixture(scope="module")
def full_timeline(panel, reports, events):
    fig = figures.timeline_figure(
        panel, reports=reports, events=events, event_ids=cftf.load_case().major_events
    )
    return fig, render(fig)


def test_event_key_keeps_whole_labels_and_its_columns_apart(full_timeline, events):
    """No label is cut ("…"), and no left-column line runs into the right column."""
    fig, renderer = full_timeline
    key_ax = fig.axes[-1]
    labels = {t.get_gid(): t for t in key_ax.texts if t.get_gid().startswith("key-label-")}
    numbers = {t.get_gid(): t for t in key_ax.texts if t.get_gid().startswith("key-number-")}
    key = timeline_events(
        events, event_ids=cftf.load_case().major_events, end="2018-12-31", max_chars=None
    )
    assert len(labels) == len(numbers) == len(key)
    for number, label in zip(key["number"], key["label"], strict=True):
        text = labels[f"key-label-{number}"].get_text()
        assert text.replace("\n", " ") == label and "…" not in text
    boxes = [t.get_window_extent(renderer) for t in [*labels.values(), *numbers.values()]]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not boxes_overlap(a, b), "key entries overlap"
    legend = key_ax.get_legend().get_window_extent(renderer)
    assert all(not boxes_overlap(legend, b) for b in boxes), "legend over the key"
    fig_box = fig.bbox
    source = next(t for t in fig.texts if t.get_gid() == "source-line")
    bottom = source.get_window_extent(renderer).y1
    for b in boxes:  # inside the figure and above the source line
        assert b.x0 >= 0 and b.x1 <= fig_box.x1 and b.y0 > bottom


def test_event_numbers_never_overlap(full_timeline):
    fig, renderer = full_timeline
    strip = fig.axes[0]
    boxes = [t.get_window_extent(renderer) for t in strip.texts if t.get_gid()]
    assert len(boxes) > 20
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not boxes_overlap(a, b), "event numbers overlap"


def test_legend_clear_of_the_key_with_few_events(panel, events):
    """Six events (one key line per column pair): the legend used to sit on line 1."""
    fig = figures.timeline_figure(
        panel, events=events, event_categories=(), event_ids=cftf.load_case().major_events
    )
    renderer = render(fig)
    key_ax = fig.axes[-1]
    legend = key_ax.get_legend().get_window_extent(renderer)
    texts = [t.get_window_extent(renderer) for t in key_ax.texts]
    assert len(texts) == 2 * len(cftf.load_case().major_events)
    assert all(not boxes_overlap(legend, t) for t in texts)
    assert all(t.y1 < legend.y0 for t in texts)


def test_small_bars_stay_visible(full_timeline, panel):
    """A month with only a spread share of a report (0.12) still shows a bar above the axis."""
    fig, renderer = full_timeline
    ax = fig.axes[1]
    bars = ax.patches
    n = panel["n_reports"].to_numpy()
    assert (n[(n > 0) & (n < 0.2)]).size >= 5  # such months exist in the bundled data
    for bar, value in zip(bars, n, strict=True):
        edge = bar.get_edgecolor()
        if value > 0:
            assert edge[3] > 0 and bar.get_linewidth() > 0
        else:
            assert edge[3] == 0
    # the x axis is moved below 0, so the thinnest bar is not hidden under it
    spine_y = ax.spines["bottom"].get_window_extent(renderer).y1
    zero_y = ax.transData.transform((0, 0))[1]
    assert zero_y - spine_y >= 2


def test_spread_positions_keep_order_and_gap():
    x = np.array([0.0, 0.1, 0.2, 0.3, 5.0, 9.9, 10.0])
    p = spread_positions(x, 1.0, 0.0, 10.0)
    assert np.all(np.diff(p) >= 1.0 - 1e-9)
    assert p[0] >= 0.0 and p[-1] <= 10.0
    assert p[4] == pytest.approx(5.0)  # far from the crowd: stays put
    np.testing.assert_allclose(spread_positions(np.array([1.0, 5.0]), 1.0, 0, 10), [1, 5])


def test_timeline_rejects_reports_that_do_not_match(panel, reports):
    with pytest.raises(ArgumentError, match="do not match the panel"):
        figures.timeline_figure(panel, reports=reports.iloc[:-5])


def test_timeline_without_reports_or_events(panel):
    fig = figures.timeline_figure(panel, series=["territory"], source=None)
    assert [a.get_label() for a in fig.axes] == ["reports", "territory"]
    assert fig.texts == []


def test_timeline_by_defection_date(reports):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reports without a defection date are left out
        panel = cftf.monthly_panel(reports, cftf.load_indicators(), date="defection")
        fig = figures.timeline_figure(panel, reports=reports, date="defection")
    bars = fig.axes[0].patches
    np.testing.assert_allclose([b.get_height() for b in bars], panel["n_reports"])
    with pytest.raises(ArgumentError, match="date='sent' is not allowed"):
        figures.timeline_figure(panel, date="sent")
