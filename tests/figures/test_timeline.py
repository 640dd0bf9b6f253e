"""Timeline: report bars with date ranges, indicator markers, the figure with events."""

from __future__ import annotations

import warnings

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import cftf_analysis as cftf
from cftf_analysis import figures
from cftf_analysis.errors import ArgumentError, DataValidationError
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


# --- observations on the indicator panels ------------------------------------------


def _latent_panel(n=24):
    months = pd.date_range("2020-01-01", periods=n, freq="MS")
    median = 100 * np.exp(-0.04 * np.arange(n))
    panel = pd.DataFrame(
        {"month": months, "x": median, "x_low": 0.8 * median, "x_high": 1.25 * median}
    )
    # outside the series' span the band is missing, as in a battery's panel
    panel.loc[[0, n - 1], ["x", "x_low", "x_high"]] = np.nan
    return panel


def _observations():
    """Every kind: points, period averages, ranges, both bounds, restated, derived."""
    return pd.DataFrame(
        {
            "month_start": pd.to_datetime(
                ["2020-02-01", "2020-04-01", "2020-08-01", "2020-10-01", "2021-01-01",
                 "2021-03-01", "2021-06-01", "2021-08-01", "2021-10-01"]
            ),
            "month_end": pd.to_datetime(
                ["2020-02-01", "2020-06-01", "2020-08-01", "2020-10-01", "2021-01-01",
                 "2021-05-01", "2021-06-01", "2021-08-01", "2021-11-01"]
            ),
            "value": [96.0, 85, np.nan, 70, 60, 52, 40, 41, 38],
            "low": [np.nan, np.nan, 65, np.nan, np.nan, 45, np.nan, 41, np.nan],
            "high": [np.nan, np.nan, 80, np.nan, np.nan, 58, np.nan, 41, np.nan],
            "bound": ["none", "none", "none", "lower", "none", "none", "upper", "none", "upper"],
            "derived": [False, False, False, False, True, False, True, False, False],
            "restated": [True, False, False, False, False, False, False, False, True],
        }
    )  # fmt: skip


def _arrows(ax):
    return [t for t in ax.texts if t.get_gid() == "bound-arrows"]


def test_indicator_draws_each_observation_as_its_kind(ax):
    obs = _observations()
    figures.plot_indicator(_latent_panel(), y="x", observations=obs, band_level=0.9, ax=ax)
    start = pd.DatetimeIndex(obs["month_start"])
    end = pd.DatetimeIndex(obs["month_end"])
    centre = mid_month(start) + (mid_month(end) - mid_month(start)) / 2
    # a vertical bar low..high per range (a range with low == high is a point), at its centre
    ranged = (obs["high"] > obs["low"]).to_numpy()
    (bars,) = by_gid(ax, "range-bars")
    segments = bars.get_segments()
    assert len(segments) == ranged.sum() == 2
    np.testing.assert_allclose([s[0][1] for s in segments], obs.loc[ranged, "low"])
    np.testing.assert_allclose([s[1][1] for s in segments], obs.loc[ranged, "high"])
    # a horizontal segment over the months of each average over several months
    period = np.asarray(end > start)
    (spans,) = by_gid(ax, "period-segments")
    segments = spans.get_segments()
    assert len(segments) == period.sum() == 3
    first_days = mdates.date2num(start[period])
    after_last = mdates.date2num(end[period] + pd.offsets.MonthBegin(1))
    np.testing.assert_allclose([s[0][0] for s in segments], first_days)
    np.testing.assert_allclose([s[1][0] for s in segments], after_last)
    np.testing.assert_allclose([s[0][1] for s in segments], obs.loc[period, "value"])
    # one arrow per bound, from the mark: up for "at least", down for "at most"
    arrows = _arrows(ax)
    bounds = obs.loc[obs["bound"] != "none"]
    assert len(arrows) == len(bounds) == 3
    for arrow, (_, row) in zip(arrows, bounds.iterrows(), strict=True):
        assert arrow.xyann[1] == pytest.approx(row["value"])  # starts at the bound
        assert (arrow.xy[1] > arrow.xyann[1]) == (row["bound"] == "lower")
    # rings around restated estimates, open squares for derived levels, dots for the rest
    (rings,) = by_gid(ax, "restated-rings")
    np.testing.assert_array_equal(rings.get_xdata(), centre[obs["restated"].to_numpy()])
    np.testing.assert_allclose(rings.get_ydata(), obs.loc[obs["restated"], "value"])
    (derived,) = by_gid(ax, "derived-markers")
    (dots,) = by_gid(ax, "observed-markers")
    assert len(derived.get_xdata()) == obs["derived"].sum() == 2
    assert derived.get_markerfacecolor() == "white" and derived.get_marker() == "s"
    np.testing.assert_array_equal(dots.get_xdata(), centre[~obs["derived"].to_numpy()])
    # a range without a value is drawn at the middle of its range
    y = dots.get_ydata()[list(obs.index[~obs["derived"]]).index(2)]
    assert y == pytest.approx(72.5)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        "Median path, 90% band", "Reported figure", "Derived from a change", "Period average",
        "Range (low-high)", 'Lower bound ("at least")', 'Upper bound ("at most")',
        "Restated estimate",
    ]  # fmt: skip


def test_indicator_band_is_the_panels_low_high(ax):
    panel = _latent_panel()
    figures.plot_indicator(panel, y="x", band_level=0.9, ax=ax)
    (band,) = by_gid(ax, "band")
    heights = band.get_paths()[0].vertices[:, 1]
    inside = panel["x_low"].notna().to_numpy()
    assert np.isin(panel.loc[inside, "x_low"].round(9), heights.round(9)).all()
    assert np.isin(panel.loc[inside, "x_high"].round(9), heights.round(9)).all()
    # nothing where the series is not defined
    assert np.isfinite(heights).all() and heights.max() == pytest.approx(panel["x_high"].max())
    # as a posterior band it is drawn even where low == high (no width is no range)
    flat = panel.assign(x_low=panel["x"], x_high=panel["x"])
    posterior, interpolated = plt.subplots(2)[1]
    figures.plot_indicator(flat, y="x", band_level=0.9, ax=posterior)
    assert len(by_gid(posterior, "band")) == 1
    figures.plot_indicator(flat, y="x", ax=interpolated)  # an interpolation's "range": none
    assert by_gid(interpolated, "band") == []


def test_bound_arrows_stay_inside_the_axes():
    """An "at most" at the lowest value and an "at least" at the highest: tips inside."""
    panel = _latent_panel()
    obs = pd.DataFrame(
        {
            "month_start": pd.to_datetime(["2020-03-01", "2021-10-01"]),
            "month_end": pd.to_datetime(["2020-03-01", "2021-10-01"]),
            "value": [panel["x_high"].max(), panel["x_low"].min()],
            "low": np.nan,
            "high": np.nan,
            "bound": ["lower", "upper"],
        }
    )
    ax = figures.plot_indicator(panel, y="x", observations=obs, band_level=0.9)
    render(ax.figure)
    bottom, top = ax.get_ylim()
    for arrow in _arrows(ax):
        assert bottom < arrow.xy[1] < top
    # legend above the axes, off the data
    renderer = render(ax.figure)
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.y0 >= ax.get_window_extent(renderer).y1 - 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bound": "at_most"}, "bound 'at_most'"),
        ({"value": np.nan}, "neither a value nor a range"),
        ({"month_end": pd.Timestamp("2019-01-01")}, "month_end before month_start"),
    ],
)
def test_observations_are_checked(ax, change, message):
    obs = _observations().iloc[[1]].assign(**change)
    with pytest.raises(DataValidationError, match=message):
        figures.plot_indicator(_latent_panel(), y="x", observations=obs, ax=ax)
    with pytest.raises(DataValidationError, match="lacks column"):
        figures.plot_indicator(
            _latent_panel(), y="x", observations=obs.drop(columns="bound"), ax=ax
        )


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
    markers = [
        a for a in territory.lines if a.get_gid() in ("observed-markers", "derived-markers")
    ]
    n_marked = sum(len(a.get_xdata()) for a in markers)
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


# --- the report's timeline, from a battery's latent series --------------------------


@pytest.fixture(scope="module")
def report_timeline(battery):
    from cftf_analysis.figures import make_figure

    fig, _ = make_figure("timeline", battery)
    return fig, render(fig)


@pytest.mark.parametrize("name", ["revenue_total", "territory"])
def test_report_timeline_draws_each_latent_series_and_its_observations(
    battery, report_timeline, name
):
    fig, _ = report_timeline
    (ax,) = [a for a in fig.axes if a.get_label() == name]
    fit = battery.draws.series[name].latent
    obs = fit.observations
    scale = {"revenue_total": 1e6, "territory": 1e3}[name]
    panel = battery.panel
    # the line is the posterior median, the band the panel's 90% band
    (path,) = by_gid(ax, "path")
    np.testing.assert_allclose(path.get_ydata(), panel[name] / scale)
    (band,) = by_gid(ax, "band")
    heights = band.get_paths()[0].vertices[:, 1].round(6)
    inside = panel[f"{name}_low"].notna()
    assert np.isin((panel.loc[inside, f"{name}_low"] / scale).round(6), heights).all()
    assert np.isin((panel.loc[inside, f"{name}_high"] / scale).round(6), heights).all()
    # one mark per observation, at its value; kinds as the observation table says
    marks = by_gid(ax, "observed-markers") + by_gid(ax, "derived-markers")
    assert sum(len(m.get_xdata()) for m in marks) == len(obs)
    np.testing.assert_allclose(
        np.sort(np.concatenate([m.get_ydata() for m in marks])), np.sort(obs["value"] / scale)
    )
    assert sum(len(m.get_xdata()) for m in by_gid(ax, "derived-markers")) == obs["derived"].sum()
    periods = by_gid(ax, "period-segments")
    assert sum(len(p.get_segments()) for p in periods) == (obs["n_months"] > 1).sum()
    ranges = by_gid(ax, "range-bars")
    assert sum(len(r.get_segments()) for r in ranges) == (obs["high"] > obs["low"]).sum()
    arrows = [t for t in ax.texts if t.get_gid() == "bound-arrows"]
    assert len(arrows) == (obs["bound"] != "none").sum()
    for arrow, bound in zip(arrows, obs.loc[obs["bound"] != "none", "bound"], strict=True):
        assert (arrow.xy[1] > arrow.xyann[1]) == (bound == "lower")
    rings = by_gid(ax, "restated-rings")
    assert sum(len(r.get_xdata()) for r in rings) == obs["restated"].sum()


def test_report_timeline_bundled_case_has_the_hedged_kinds(battery):
    """The bundled revenue series has averages, an "at most" and a restatement to draw."""
    obs = battery.draws.series["revenue_total"].latent.observations
    assert (obs["n_months"] > 1).sum() == 3
    assert obs["bound"].tolist().count("upper") == 1
    assert obs["restated"].sum() == 1


def test_report_timeline_has_one_legend_of_marks_clear_of_the_panels(report_timeline):
    fig, renderer = report_timeline
    axes = {a.get_label(): a for a in fig.axes}
    legends = [a for a in ("revenue_total", "territory") if axes[a].get_legend() is not None]
    assert legends == ["revenue_total"]  # shared, above the first indicator panel
    legend = axes["revenue_total"].get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[0] == "Median path, 90% band"
    assert {"Period average", 'Upper bound ("at most")', "Restated estimate"} <= set(labels)
    box = legend.get_window_extent(renderer)
    for name in ("reports", "revenue_total", "territory"):
        assert not boxes_overlap(box, axes[name].get_window_extent(renderer)), name
