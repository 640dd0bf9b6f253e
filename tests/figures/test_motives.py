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
