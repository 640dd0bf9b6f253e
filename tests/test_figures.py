"""Figures: draw on the given Axes, never show, mark reported points, save reproducibly."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

import cftf_analysis as cftf
from cftf_analysis import figures
from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.figures._common import MID_MONTH_DAYS
from cftf_analysis.tables import motive_shares, report_count_spread, timeline_events


@pytest.fixture(scope="module")
def reports() -> pd.DataFrame:
    return cftf.load_reports()


@pytest.fixture(scope="module")
def panel(reports) -> pd.DataFrame:
    return cftf.monthly_panel(reports, cftf.load_indicators())


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return cftf.load_events()


@pytest.fixture(autouse=True)
def no_show_and_close(monkeypatch):
    """Any call to show() fails the test; every figure is closed afterwards."""

    def refuse(*args, **kwargs):
        raise AssertionError("a plot function called show()")

    monkeypatch.setattr(plt, "show", refuse)
    monkeypatch.setattr(Figure, "show", refuse)
    yield
    plt.close("all")


@pytest.fixture
def ax():
    return plt.subplots()[1]


def _n_artists(ax) -> int:
    return len(ax.lines) + len(ax.patches) + len(ax.collections)


def _by_gid(ax, gid):
    return [a for a in [*ax.lines, *ax.collections] if a.get_gid() == gid]


def _mid_month(months) -> np.ndarray:
    return (pd.DatetimeIndex(months) + pd.Timedelta(days=MID_MONTH_DAYS)).to_numpy()


# --- axes-level functions draw on the given Axes and return it ----------------------


def test_report_counts_draw_on_given_axes(ax, reports):
    spread = report_count_spread(reports)
    texts_before = len(ax.figure.texts)
    assert figures.plot_report_counts(spread, ax=ax) is ax
    assert len(ax.patches) == len(spread)  # one bar per month
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, spread["n_reports"])
    (ranges,) = _by_gid(ax, "report-range")
    segments = ranges.get_segments()
    assert [s[0][1] for s in segments] == spread["n_certain"].tolist()
    assert [s[1][1] for s in segments] == spread["n_possible"].tolist()
    assert len(ax.figure.texts) == texts_before  # a given figure gets no source line


@pytest.mark.parametrize("column", ["revenue_total", "territory"])
def test_indicator_markers_only_at_observed_months(ax, panel, column):
    assert figures.plot_indicator(panel, y=column, ax=ax) is ax
    observed = panel[f"{column}_observed"].to_numpy(dtype=bool)
    derived = panel[f"{column}_derived"].to_numpy(dtype=bool) & observed
    (reported_line,) = _by_gid(ax, "observed-markers")
    derived_lines = _by_gid(ax, "derived-markers")
    n_markers = len(reported_line.get_xdata()) + sum(len(d.get_xdata()) for d in derived_lines)
    assert n_markers == observed.sum()
    assert len(reported_line.get_xdata()) == (observed & ~derived).sum()
    np.testing.assert_array_equal(
        reported_line.get_xdata(), _mid_month(panel.loc[observed & ~derived, "month"])
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
    assert len(_by_gid(ax, "observed-markers")[0].get_xdata()) == 2
    assert len(_by_gid(ax, "derived-markers")[0].get_xdata()) == 1


def test_cross_correlation_plot(ax, panel):
    p = panel.set_index("month")
    ccf = cftf.cross_correlation(p["revenue_total"], p["n_reports"], max_lag=6)
    assert figures.plot_cross_correlation(ccf, ax=ax, title="Revenue") is ax
    assert _n_artists(ax) > 0
    hits = (ccf["p_adjusted"] < 0.05).sum()
    (filled,) = _by_gid(ax, "significant")
    (empty,) = _by_gid(ax, "not-significant")
    assert len(filled.get_xdata()) == hits
    assert len(filled.get_xdata()) + len(empty.get_xdata()) == len(ccf)
    (ci,) = _by_gid(ax, "ci")
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
    np.testing.assert_array_equal(_by_gid(ax, "significant")[0].get_xdata(), [0.0])
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


def test_lagged_scatter_distinguishes_observed(ax, panel):
    assert figures.plot_lagged_scatter(panel, x="revenue_total", lag=3, ax=ax) is ax
    by_month = panel.set_index("month")
    pairs = by_month["revenue_total"].notna() & by_month["n_reports"].shift(-3).notna()
    observed = pairs & by_month["revenue_total_observed"]
    derived = observed & by_month["revenue_total_derived"]
    counts = {g: len(_by_gid(ax, g)[0].get_xdata()) for g in ("interpolated", "reported")}
    counts["derived"] = len(_by_gid(ax, "derived")[0].get_xdata()) if derived.any() else 0
    assert counts["interpolated"] == (pairs & ~observed).sum()
    assert counts["reported"] == (observed & ~derived).sum()
    assert counts["derived"] == derived.sum()
    assert "month t + 3" in ax.get_ylabel()
    assert "USD million" in ax.get_xlabel()


def test_motive_shares_plot(ax, reports):
    shares = motive_shares(reports, freq="6MS")
    assert figures.plot_motive_shares(shares, ax=ax, min_reports=5) is ax
    assert len(ax.lines) == len(set(shares["motive"]))
    styles = {(line.get_marker(), str(line.get_linestyle())) for line in ax.lines}
    assert len(styles) == len(ax.lines)  # tell-apart without colour
    violence = shares[shares["motive"] == "violence"].sort_values("period")
    expected = np.where(violence["n_reports"] >= 5, violence["share"] * 100, np.nan)
    line = next(ln for ln in ax.lines if ln.get_label().startswith("Violence"))
    np.testing.assert_allclose(np.asarray(line.get_ydata(), dtype=float), expected)
    counts = [t.get_text() for t in ax.texts if t.get_text().isdigit()]
    assert counts == [str(n) for n in violence["n_reports"]]
    with pytest.raises(ArgumentError, match="greed"):
        figures.plot_motive_shares(shares, motives=["greed"], ax=ax)


def test_change_points_plot(ax, panel):
    series = panel.set_index("month")["n_reports"]
    res = cftf.change_points(series, model="poisson", n_resamples=19, seed=1)
    assert figures.plot_change_points(series, res.segments, test=res.test, ax=ax) is ax
    assert len(ax.patches) == len(series)
    (means,) = _by_gid(ax, "segment-means")
    assert len(means.get_segments()) == len(res.segments)
    np.testing.assert_allclose([s[0][1] for s in means.get_segments()], res.segments["mean"])
    assert len(_by_gid(ax, "change-point")) == len(res.segments) - 1
    assert "p =" in ax.get_title(loc="right")


def test_change_points_integer_index(ax):
    series = pd.Series([1.0, 1, 1, 5, 5, 5])
    segs = pd.DataFrame(
        {"segment": [1, 2], "start": [0, 3], "end": [2, 5], "n_obs": [3, 3], "mean": [1.0, 5.0]}
    )
    figures.plot_change_points(series, segs, ax=ax)
    (means,) = _by_gid(ax, "segment-means")
    assert [tuple(s[:, 0]) for s in means.get_segments()] == [(-0.5, 2.5), (2.5, 5.5)]


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
        np.allclose(line.get_xdata(), 1.0) for line in ax.lines if line.get_gid() is None
    )  # reference line at 1
    (points,) = _by_gid(ax, "estimates")
    no_intercept = tidy[tidy["term"] != "intercept"]
    np.testing.assert_allclose(points.get_xdata(), no_intercept["irr"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Revenue, lag 0 months", "Revenue, lag 3 months", "Trend (per month)"]
    with pytest.raises(ArgumentError, match="not in data"):
        figures.plot_rate_ratios(tidy, terms=["oil_lag1"], ax=ax)


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
    assert sum(p.get_height() for p in ax.patches) == 100  # every draw in a bin
    (line,) = _by_gid(ax, "obs")
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


# --- figure-level timeline ----------------------------------------------------------


def test_timeline_figure(panel, reports, events):
    fig = figures.timeline_figure(
        panel, reports=reports, events=events, event_ids=figures.BUNDLED_MAJOR_EVENTS
    )
    assert isinstance(fig, Figure)
    assert [a.get_label() for a in fig.axes] == [
        "events", "reports", "revenue_total", "territory", "key",
    ]  # fmt: skip
    key = timeline_events(events, event_ids=figures.BUNDLED_MAJOR_EVENTS, end="2018-12-31")
    strip = fig.axes[0]
    assert sorted(int(t.get_text()) for t in strip.texts) == key["number"].tolist()
    assert fig.get_figwidth() == pytest.approx(6.5)
    assert any("IHS Conflict Monitor" in t.get_text() for t in fig.texts)
    # markers only where a figure was reported, in the stacked panel too
    territory = fig.axes[3]
    n_marked = sum(len(a.get_xdata()) for a in territory.lines if a.get_gid())
    assert n_marked == panel["territory_observed"].sum()


def test_timeline_rejects_reports_that_do_not_match(panel, reports):
    with pytest.raises(ArgumentError, match="do not match the panel"):
        figures.timeline_figure(panel, reports=reports.iloc[:-5])


def test_timeline_without_reports_or_events(panel):
    fig = figures.timeline_figure(panel, series=["territory"], source=None)
    assert [a.get_label() for a in fig.axes] == ["reports", "territory"]
    assert fig.texts == []


# --- new figures, theme and saving --------------------------------------------------


def test_new_figure_when_no_axes_given(reports):
    ax = figures.plot_report_counts(report_count_spread(reports))
    assert ax.figure.get_figwidth() == pytest.approx(figures.PAGE_WIDTH)
    assert any(t.get_text().startswith("Source") for t in ax.figure.texts)


def test_palette_is_colour_blind_safe():
    okabe = {to_hex(c) for c in figures.OKABE_ITO.values()}
    assert {to_hex(c) for c in figures.PALETTE} <= okabe
    assert len(set(figures.MARKERS)) == len(figures.MARKERS) >= len(figures.PALETTE)
    assert len({str(s) for s in figures.LINESTYLES}) == len(figures.LINESTYLES)


def test_report_theme_is_scoped():
    before = dict(mpl.rcParams)
    with figures.report_theme():
        assert mpl.rcParams["svg.hashsalt"] == "cftf_analysis"
        assert mpl.rcParams["font.size"] == 8
    assert dict(mpl.rcParams) == before


def test_importing_figures_changes_no_rcparams():
    code = (
        "import matplotlib as mpl; before = dict(mpl.rcParams); "
        "import cftf_analysis.figures; print(dict(mpl.rcParams) == before)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def _small_figure():
    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    ax.plot([0, 1, 2], [1, 3, 2], marker="o")
    ax.set_title("demo")
    figures.add_source(fig, figures.SOURCE_REPORTS)
    return fig


def test_save_figure_writes_each_format_byte_identically(tmp_path):
    fig = _small_figure()
    first = figures.save_figure(fig, tmp_path / "demo", formats=("png", "svg", "pdf"), dpi=80)
    assert [p.name for p in first] == ["demo.png", "demo.svg", "demo.pdf"]
    blobs = [p.read_bytes() for p in first]
    second = figures.save_figure(fig, tmp_path / "demo", formats=("png", "svg", "pdf"), dpi=80)
    assert [p.read_bytes() for p in second] == blobs
    assert sorted(os.listdir(tmp_path)) == ["demo.pdf", "demo.png", "demo.svg"]  # no temp files
    png, svg, pdf = blobs
    assert png.startswith(b"\x89PNG") and b"Software" not in png
    assert b"<dc:date>" not in svg and mpl.__version__.encode() not in svg
    assert b"CreationDate" not in pdf and mpl.__version__.encode() not in pdf


def test_save_figure_constrained_layout_is_reproducible(tmp_path, panel, reports):
    """Repeated constrained-layout passes drift by rounding noise; saving must not."""
    fig = figures.timeline_figure(panel, reports=reports)
    first = [p.read_bytes() for p in figures.save_figure(fig, tmp_path / "a", dpi=50)]
    second = [p.read_bytes() for p in figures.save_figure(fig, tmp_path / "b", dpi=50)]
    assert first == second
    # frozen after the first save
    assert not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)


def test_save_figure_same_bytes_from_a_fresh_process(tmp_path):
    """The SVG is identical across interpreter runs (fixed hash salt, no date)."""
    code = (
        "import sys, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt; "
        "from cftf_analysis.figures import save_figure; "
        "fig, ax = plt.subplots(figsize=(3, 2)); ax.plot([0, 1], [1, 0]); "
        "save_figure(fig, sys.argv[1], formats=('svg',))"
    )
    for name in ("a", "b"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True)
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_save_figure_is_atomic(tmp_path, monkeypatch):
    fig = _small_figure()
    (target,) = figures.save_figure(fig, tmp_path / "demo", formats=("png",), dpi=50)
    good = target.read_bytes()

    def broken(self, fname, **kwargs):
        with open(fname, "wb") as handle:
            handle.write(b"half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        figures.save_figure(fig, tmp_path / "demo", formats=("png",), dpi=50)
    assert target.read_bytes() == good  # the old file is intact
    assert os.listdir(tmp_path) == ["demo.png"]  # and the temporary file is gone


def test_save_figure_errors(tmp_path):
    fig = _small_figure()
    with pytest.raises(ArgumentError, match="format 'jpg' is not allowed"):
        figures.save_figure(fig, tmp_path / "demo", formats=("jpg",))
    with pytest.raises(ArgumentError, match="without a suffix"):
        figures.save_figure(fig, tmp_path / "demo.png")


def test_timeline_by_defection_date(reports):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reports without a defection date are left out
        panel = cftf.monthly_panel(reports, cftf.load_indicators(), date="defection")
        fig = figures.timeline_figure(panel, reports=reports, date="defection")
    bars = fig.axes[0].patches
    np.testing.assert_allclose([b.get_height() for b in bars], panel["n_reports"])
    with pytest.raises(ArgumentError, match="date='sent' is not allowed"):
        figures.timeline_figure(panel, date="sent")
