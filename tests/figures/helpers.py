"""Small helpers the figure tests share: counting and finding drawn artists."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cftf_analysis.figures._common import MID_MONTH_DAYS


def n_artists(ax) -> int:
    """Lines, patches and collections drawn on ``ax``."""
    return len(ax.lines) + len(ax.patches) + len(ax.collections)


def by_gid(ax, gid):
    """The lines and collections of ``ax`` with this group id."""
    return [a for a in [*ax.lines, *ax.collections] if a.get_gid() == gid]


def mid_month(months) -> np.ndarray:
    """Where the figures draw a month: its first day plus MID_MONTH_DAYS."""
    return (pd.DatetimeIndex(months) + pd.Timedelta(days=MID_MONTH_DAYS)).to_numpy()


def render(fig):
    """Lay out and draw ``fig`` once (in the report theme); return its renderer."""
    from cftf_analysis.figures import report_theme

    with report_theme():
        fig.canvas.draw()
    return fig.canvas.get_renderer()


def boxes_overlap(a, b, tol: float = 0.0) -> bool:
    """Whether two display-space Bboxes overlap by more than ``tol`` pixels."""
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tol and min(a.y1, b.y1) - max(a.y0, b.y0) > tol
