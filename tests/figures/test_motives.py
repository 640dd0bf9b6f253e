"""Motive-share plot."""

from __future__ import annotations

import numpy as np
import pytest

from cftf_analysis import figures
from cftf_analysis.errors import ArgumentError
from cftf_analysis.tables import motive_shares


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


def test_financial_share_on_top_with_its_interval(ax, reports):
    """The question's motive is drawn last and above the others, with its Wilson band."""
    shares = motive_shares(reports)
    figures.plot_motive_shares(shares, ax=ax)
    financial = next(ln for ln in ax.lines if ln.get_gid() == "share-financial")
    others = [ln for ln in ax.lines if ln is not financial]
    assert ax.lines[-1] is financial
    assert all(financial.get_zorder() > ln.get_zorder() for ln in others)
    assert all(financial.get_linewidth() > ln.get_linewidth() for ln in others)
    (band,) = [c for c in ax.collections if c.get_gid() == "interval-financial"]
    rows = shares[shares["motive"] == "financial"].sort_values("period")
    drawn = rows[rows["n_reports"] >= 5]
    ys = np.concatenate([path.vertices[:, 1] for path in band.get_paths()])
    assert np.isclose(ys.max(), 100 * drawn["ci_high"].max())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("Financial") and legend[-1] == "Financial: 95% interval (Wilson)"
    plain = figures.plot_motive_shares(shares, highlight=None, ax=ax.figure.add_subplot(212))
    assert not [c for c in plain.collections if c.get_gid()]
