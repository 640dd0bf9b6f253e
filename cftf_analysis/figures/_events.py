"""Event lines, the numbered strip and the key of the timeline (not public API)."""

from __future__ import annotations

import itertools
import textwrap

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

#: Font size of the strip's numbers and of the key, points.
STRIP_FONTSIZE = 6.5
KEY_FONTSIZE = 6.3
#: Height of one key line, points (font size plus leading).
KEY_LINE_PT = 1.3 * KEY_FONTSIZE
#: Room above the key's first line for the line-style legend, points.
KEY_LEGEND_PT = 14.0
#: Indent of a key label from its number, points (two bold digits and a gap).
KEY_INDENT_PT = 12.0
#: Average width of a character of the key, in units of the font size. DejaVu
#: Sans averages about 0.55 em on this text; 0.6 leaves a margin, so a wrapped
#: line is never wider than its column.
CHAR_EM = 0.6
#: Width of a strip number, points per digit, and the gap kept between numbers.
DIGIT_PT = 0.65 * STRIP_FONTSIZE
GAP_PT = 3.5
#: Connector geometry in strip units (0 = bottom, 1 = top of the strip).
KNEE_Y, LABEL_Y = 0.12, 0.72


def spread_positions(x: np.ndarray, gap: float, lo: float, hi: float) -> np.ndarray:
    """Positions as close to sorted ``x`` as possible, at least ``gap`` apart, inside [lo, hi].

    Least squares under the order and spacing constraints: with ``q_i = p_i - i * gap``
    the constraint is ``q`` non-decreasing, so ``q`` is the isotonic regression of
    ``x_i - i * gap`` (pool-adjacent-violators), then the block is shifted into
    ``[lo, hi]`` when it sticks out at either end.
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n == 0:
        return x
    target = x - gap * np.arange(n)
    # pool adjacent violators: blocks of (mean, weight)
    means: list[float] = []
    weights: list[int] = []
    for value in target:
        means.append(float(value))
        weights.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            w = weights[-2] + weights[-1]
            m = (means[-2] * weights[-2] + means[-1] * weights[-1]) / w
            means[-2:], weights[-2:] = [m], [w]
    q = np.repeat(means, weights)
    p = q + gap * np.arange(n)
    if p[0] < lo:
        p = np.maximum(p, lo + gap * np.arange(n))
    if p[-1] > hi:
        p = np.minimum(p, hi - gap * np.arange(n)[::-1])
    return p


def strip_layout(
    key: pd.DataFrame, axes_width_in: float, first: np.datetime64, last: np.datetime64
) -> tuple[np.ndarray, np.ndarray]:
    """Label x (as datetime64) and row of each event number in the strip.

    Numbers are spread sideways so that neighbours never overlap, and joined to
    their event line by a bent connector. ``axes_width_in`` should not exceed
    the width the axes will have (an underestimate only spreads them more).
    When they cannot all fit in one row, they alternate between rows.
    """
    lo = float(first.astype("datetime64[D]").astype(float))
    hi = float(last.astype("datetime64[D]").astype(float))
    days_per_pt = (hi - lo) / max(axes_width_in * 72.0, 36.0)
    digits = max(len(str(n)) for n in key["number"])
    gap = (digits * DIGIT_PT + GAP_PT) * days_per_pt
    dates = key["date"].to_numpy().astype("datetime64[D]").astype(float)
    n = len(dates)
    n_rows = max(1, int(np.ceil(n * gap / max(hi - lo, 1.0))))
    rows = np.arange(n) % n_rows
    x = np.empty(n)
    margin = 0.5 * gap
    for r in range(n_rows):
        sel = rows == r
        x[sel] = spread_positions(dates[sel], gap, lo + margin, hi - margin)
    as_dates = x.round().astype("int64").astype("datetime64[D]")
    return as_dates, rows


def draw_events(
    key: pd.DataFrame,
    label_x: np.ndarray,
    rows: np.ndarray,
    strip: Axes,
    panels: list[Axes],
) -> None:
    """A line per event across every panel, and its number in the strip above them."""
    n_rows = int(rows.max()) + 1
    x = key["date"].to_numpy()
    for xi, lx, row, number, category in zip(
        x, label_x, rows, key["number"], key["category"], strict=True
    ):
        style, colour = EVENT_STYLE.get(category, ("-", "black"))
        for ax in panels:
            ax.axvline(xi, linestyle=style, color=colour, linewidth=0.6, alpha=0.55, zorder=0.5)
        top = row + LABEL_Y - 0.06
        strip.plot(
            [xi, xi, lx, lx],
            [0, row + KNEE_Y, top - 0.1, top],
            linestyle="-",
            color=colour,
            linewidth=0.6,
            gid=f"connector-{number}",
        )
        strip.text(
            lx,
            row + LABEL_Y,
            str(number),
            ha="center",
            va="bottom",
            fontsize=STRIP_FONTSIZE,
            gid=f"event-number-{number}",
        )
    strip.set_ylim(0, n_rows + 0.3)
    strip.set_yticks([])
    strip.grid(False)
    strip.tick_params(which="both", labelbottom=False, bottom=False)
    for side in ("left", "bottom"):
        strip.spines[side].set_visible(False)
    strip.set_title("Dated events (numbers refer to the key below)", loc="left", fontsize=7)


def wrap_key(key: pd.DataFrame, column_width_in: float) -> list[list[str]]:
    """Each event's label wrapped to the key's column width (whole words, nothing cut)."""
    chars = (column_width_in * 72.0 - KEY_INDENT_PT - 6.0) / (CHAR_EM * KEY_FONTSIZE)
    width = max(20, int(chars))
    return [textwrap.wrap(str(label), width=width) or [""] for label in key["label"]]


def split_columns(lines: list[list[str]], n_columns: int = 2) -> list[int]:
    """Index of the first entry of each column, so that columns hold about equal lines."""
    total = sum(len(entry) for entry in lines)
    starts, used = [0], 0
    for i, entry in enumerate(lines):
        if len(starts) < n_columns and used >= total * len(starts) / n_columns:
            starts.append(i)
        used += len(entry)
    return starts


def key_height_pt(lines: list[list[str]], n_columns: int = 2) -> float:
    """Height the key needs: the legend row and the longest column."""
    starts = [*split_columns(lines, n_columns), len(lines)]
    longest = max(sum(len(e) for e in lines[a:b]) for a, b in itertools.pairwise(starts))
    return KEY_LEGEND_PT + longest * KEY_LINE_PT + 4.0


def draw_key(key: pd.DataFrame, lines: list[list[str]], ax: Axes) -> None:
    """The numbered list of event labels in two columns, under the line-style legend.

    Everything is placed in points from the top of the axes, so the legend and
    the lines never overlap whatever height the layout gives the axes.
    """
    ax.axis("off")
    categories = list(dict.fromkeys(key["category"]))
    handles = [
        Line2D([], [], linestyle=EVENT_STYLE[c][0], color=EVENT_STYLE[c][1], label=f"{c} event")
        for c in categories
        if c in EVENT_STYLE
    ]
    legend = ax.legend(
        handles=handles,
        loc="upper left",
        ncols=max(len(handles), 1),
        bbox_to_anchor=(0, 1),
        borderaxespad=0,
        borderpad=0,
        handlelength=2.5,
    )
    # placed in points from the top: the layout need not (and must not) make room
    legend.set_in_layout(False)
    starts = split_columns(lines, 2)
    for col, start in enumerate(starts):
        end = starts[col + 1] if col + 1 < len(starts) else len(lines)
        offset = KEY_LEGEND_PT
        for i in range(start, end):
            number = int(key["number"].iloc[i])
            for kind, text, dx in (
                ("number", f"{number:>2}", 0.0),
                ("label", "\n".join(lines[i]), KEY_INDENT_PT),
            ):
                note = ax.annotate(
                    text,
                    (0.5 * col, 1.0),
                    xycoords="axes fraction",
                    xytext=(dx, -offset),
                    textcoords="offset points",
                    fontsize=KEY_FONTSIZE,
                    fontweight="bold" if kind == "number" else "normal",
                    va="top",
                    ha="left",
                    linespacing=1.3 * KEY_FONTSIZE / (1.2 * KEY_FONTSIZE),
                    gid=f"key-{kind}-{number}",
                    annotation_clip=False,
                )
                note.set_in_layout(False)
            offset += len(lines[i]) * KEY_LINE_PT
