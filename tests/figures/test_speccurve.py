"""Specification curves: sorted estimates with intervals, the choices beneath as a matrix."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.text import Text

from cftf_analysis import figures
from cftf_analysis.errors import ArgumentError
from cftf_analysis.figures.speccurve import REFERENCE_COLOUR
from tests.figures.helpers import boxes_overlap, by_gid, render


@pytest.fixture(scope="module")
def table(battery) -> pd.DataFrame:
    """The multiverse the report attaches (every choice, few draws)."""
    return battery.multiverse.table


def test_draws_on_the_given_axes_sorted_with_intervals(table):
    _fig, (top, bottom) = plt.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    out = figures.plot_specification_curve(
        table, finding="ccf", indicator="territory", ax=top, matrix_ax=bottom
    )
    assert out is top
    rows = table[(table["finding"] == "ccf") & (table["indicator"] == "territory")]
    (points,) = by_gid(top, "estimates")
    y = points.get_offsets()[:, 1]
    assert len(y) == len(rows) == 24  # the 12 uniform-protocol specifications fail the checks
    assert np.all(np.diff(y) >= 0)  # sorted by estimate
    np.testing.assert_allclose(np.sort(y), np.sort(rows["estimate"].to_numpy(float)))
    (intervals,) = by_gid(top, "intervals")
    assert len(intervals.get_segments()) == len(rows)
    # filled where significant: the face colour is white exactly where it is not
    faces = points.get_facecolors()
    ordered = rows.sort_values(["estimate", "spec_id"])
    white = np.all(np.isclose(faces, to_rgba("white")), axis=1)
    assert (white == ~ordered["significant"].to_numpy(bool)).all()
    # the reference specification (S001) is drawn in its colour, once
    edges = points.get_edgecolors()
    is_ref = np.all(np.isclose(edges, to_rgba(REFERENCE_COLOUR)), axis=1)
    assert is_ref.sum() == 1
    assert y[is_ref][0] == pytest.approx(rows.loc[rows["spec_id"] == "S001", "estimate"].item())
    # the matrix: one labelled row per value of each choice that varies
    labels = [t.get_text() for t in bottom.get_yticklabels()]
    assert labels[0] == "Indicator model: latent model"
    assert "without the leads" in labels and "Lag window: lags 0-6 months" in labels
    assert "uniform protocol only" not in labels  # no specification of it could be drawn
    assert len(labels) == 3 + 2 + 2 + 2  # models, date bases, subsets, lag windows
    assert top.get_ylabel() == "Correlation r"


def test_rate_ratios_on_a_log_axis_and_a_new_figure(table):
    ax = figures.plot_specification_curve(table, finding="count_model", indicator="territory")
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "Rate ratio"
    assert len(ax.figure.axes) == 2  # the curve and the matrix beneath it, in their own rows
    matrix = ax.figure.axes[1]
    assert "Lag window" not in " ".join(t.get_text() for t in matrix.get_yticklabels())
    render(ax.figure)
    legend = ax.get_legend().get_window_extent()
    assert legend.y0 >= ax.get_window_extent().y1 - 1  # above the estimates, not on them
    assert sum(len(t.get_text()) > 0 for t in ax.get_yticklabels()) >= 2


def test_bad_arguments_name_what_is_there(table, ax):
    with pytest.raises(ArgumentError, match="finding='granger' is not in data; it has"):
        figures.plot_specification_curve(table, finding="granger", ax=ax)
    with pytest.raises(ArgumentError, match="several indicators"):
        figures.plot_specification_curve(table, finding="ccf", ax=ax)
    with pytest.raises(ArgumentError, match="indicator='oil' has no 'ccf' rows"):
        figures.plot_specification_curve(table, finding="ccf", indicator="oil", ax=ax)


def left_title(ax) -> Text:
    (title,) = [
        c for c in ax.get_children()
        if isinstance(c, Text) and c.get_text() and c.get_text() == ax.get_title(loc="left")
    ]  # fmt: skip
    return title


def test_figure_titles_say_how_often_each_finding_holds(battery):
    mv = battery.multiverse
    names = {"territory": "Territory", "revenue_total": "Revenue"}
    fig = figures.specification_curve_figure(mv.table, shares=mv.shares, labels=names)
    titles = [a.get_title(loc="left") for a in fig.axes if a.get_title(loc="left")]
    assert len(titles) == 4
    for row in mv.shares.itertuples(index=False):
        finding = {"count_model": "count model", "ccf": "cross-correlation"}[row.finding]
        expected = f"{names[row.indicator]}, {finding}\nholds in {row.n_holds} of {row.n_specs}"
        assert f"{expected} specifications" in titles


def synthetic(rng) -> pd.DataFrame:
    """Two series; only the first has a second producer (so the matrices differ)."""
    rows = []
    for ind, producers in (("a", ["Monitor", "Second institute"]), ("b", ["Monitor"])):
        for model in ("latent", "linear"):
            for subset in ("all", "uniform"):
                for producer in producers:
                    est = float(np.exp(rng.normal(0, 0.5)))
                    rows.append({
                        "spec_id": f"S{len(rows) + 1:03d}", "finding": "count_model",
                        "indicator": ind, "indicator_model": model, "producer": producer,
                        "collection": subset, "estimate": est, "ci_low": est / 2,
                        "ci_high": est * 2, "significant": bool(rng.uniform() < 0.3),
                        "estimate_kind": "rate ratio",
                    })  # fmt: skip
    return pd.DataFrame(rows)


def test_differing_matrices_are_each_labelled_and_nothing_overlaps(rng):
    data = synthetic(rng)
    fig = figures.specification_curve_figure(data, labels={"a": "Revenue", "b": "Territory"})
    tops = [a for a in fig.axes if a.get_title(loc="left")]
    mats = [a for a in fig.axes if a.get_yticklabels() and not a.get_title(loc="left")]
    assert len(tops) == 2 and len(mats) == 2
    labels = [[t.get_text() for t in m.get_yticklabels()] for m in mats]
    assert "Producer: Monitor" in labels[0] and "Second institute" in labels[0]
    assert labels[1] and not any("Producer" in t for t in labels[1])
    render(fig)
    renderer = fig.canvas.get_renderer()
    titles = [left_title(a).get_window_extent(renderer) for a in tops]
    assert not boxes_overlap(*titles)
    # the right matrix's labels stay clear of the left matrix
    right_labels = [t.get_window_extent(renderer) for t in mats[1].get_yticklabels()]
    left_panel = mats[0].get_window_extent(renderer)
    assert not any(boxes_overlap(b, left_panel) for b in right_labels)
    plt.close(fig)
