"""Event lines, the numbered strip and the key of the timeline (not public API)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from cftf_analysis.figures.theme import OKABE_ITO

#: Line style and colour of each event category (style alone separates them in greyscale).
EVENT_STYLE = {
    "finance": ("--", OKABE_ITO["bluish_green"]),
    "military": (":", OKABE_ITO["black"]),
    "governance": ("-.", OKABE_ITO["reddish_purple"]),
    "defection": ((0, (5, 1, 1, 1, 1, 1)), OKABE_ITO["orange"]),
}


def strip_rows(key: pd.DataFrame, width: float, span_days: float) -> np.ndarray:
    """Greedy rows for the event numbers so that neighbours never overlap."""
    days_per_inch = span_days / max(width - 1.0, 1.0)
    rows = np.zeros(len(key), dtype=int)
    last: list[float] = []
    dates = key["date"].to_numpy().astype("datetime64[D]").astype(float)
    for i, (d, number) in enumerate(zip(dates, key["number"], strict=True)):
        need = (0.05 + 0.055 * len(str(number))) * days_per_inch
        for r, prev in enumerate(last):
            if d - prev >= need:
                rows[i], last[r] = r, d
                break
        else:
            rows[i] = len(last)
            last.append(d)
    return rows


def draw_events(key: pd.DataFrame, rows: np.ndarray, strip: Axes, panels: list[Axes]) -> None:
    """A line per event across every panel, and its number in the strip above them."""
    n_rows = int(rows.max()) + 1
    x = key["date"].to_numpy()
    for xi, row, number, category in zip(x, rows, key["number"], key["category"], strict=True):
        style, colour = EVENT_STYLE.get(category, ("-", "black"))
        for ax in panels:
            ax.axvline(xi, linestyle=style, color=colour, linewidth=0.6, alpha=0.55, zorder=0.5)
        strip.vlines(xi, 0, row + 0.2, linestyle=style, color=colour, linewidth=0.7)
        strip.text(xi, row + 0.55, str(number), ha="center", va="center", fontsize=6.5)
    strip.set_ylim(0, n_rows)
    strip.set_yticks([])
    strip.grid(False)
    strip.tick_params(labelbottom=False, bottom=False)
    for side in ("left", "bottom"):
        strip.spines[side].set_visible(False)
    strip.set_title("Dated events (numbers refer to the key below)", loc="left", fontsize=7)


def draw_key(key: pd.DataFrame, ax: Axes) -> None:
    """The numbered list of event labels in two columns, with the line-style legend."""
    ax.axis("off")
    categories = list(dict.fromkeys(key["category"]))
    handles = [
        Line2D([], [], linestyle=EVENT_STYLE[c][0], color=EVENT_STYLE[c][1], label=f"{c} event")
        for c in categories
        if c in EVENT_STYLE
    ]
    ax.legend(handles=handles, loc="upper left", ncols=len(handles), bbox_to_anchor=(0, 1.02))
    n_left = (len(key) + 1) // 2
    n_rows = max(n_left, 1)
    for i, (number, label) in enumerate(zip(key["number"], key["label"], strict=True)):
        col, row = divmod(i, n_left)
        y = 0.8 - 0.8 * row / n_rows
        ax.text(0.5 * col, y, f"{number:>2}", fontsize=6.3, fontweight="bold", va="top")
        ax.text(0.5 * col + 0.03, y, label, fontsize=6.3, va="top")
