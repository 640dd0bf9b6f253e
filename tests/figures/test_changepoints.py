"""Change-point plot."""

from __future__ import annotations

import numpy as np
import pandas as pd

import cftf_analysis as cftf
from cftf_analysis import figures
from tests.figures.helpers import by_gid


def test_change_points_plot(ax, panel):
    series = panel.set_index("month")["n_reports"]
    res = cftf.change_points(series, model="poisson", n_resamples=19, seed=1)
    assert figures.plot_change_points(series, res.segments, test=res.test, ax=ax) is ax
    assert len(ax.patches) == len(series)
    (means,) = by_gid(ax, "segment-means")
    assert len(means.get_segments()) == len(res.segments)
    np.testing.assert_allclose([s[0][1] for s in means.get_segments()], res.segments["mean"])
    assert len(by_gid(ax, "change-point")) == len(res.segments) - 1
    assert "p =" in ax.get_title(loc="right")


def test_change_points_integer_index(ax):
    series = pd.Series([1.0, 1, 1, 5, 5, 5])
    segs = pd.DataFrame(
        {"segment": [1, 2], "start": [0, 3], "end": [2, 5], "n_obs": [3, 3], "mean": [1.0, 5.0]}
    )
    figures.plot_change_points(series, segs, ax=ax)
    (means,) = by_gid(ax, "segment-means")
    assert [tuple(s[:, 0]) for s in means.get_segments()] == [(-0.5, 2.5), (2.5, 5.5)]
