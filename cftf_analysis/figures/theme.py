"""Look of the report figures: palette, markers, rcParams, source line, saving.

Nothing here changes matplotlib's global state at import. The report style is
applied in a ``with report_theme():`` block, and :func:`save_figure` writes
files deterministically (no timestamps or version strings, fixed SVG ids), so
rebuilding the figures from the same data gives byte-identical files.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
from cycler import cycler
from matplotlib.figure import Figure

from cftf_analysis._io import atomic_path
from cftf_analysis.errors import ArgumentError
from cftf_analysis.options import ImageFormat, allowed_values, check_int, check_literal

__all__ = [
    "LINESTYLES",
    "MARKERS",
    "OKABE_ITO",
    "PAGE_WIDTH",
    "PALETTE",
    "SERIES_DISPLAY",
    "SOURCE_ALL",
    "SOURCE_INDICATORS",
    "SOURCE_REPORTS",
    "UNIT_DISPLAY",
    "add_source",
    "displaying",
    "report_theme",
    "save_figure",
    "series_display",
    "unit_display",
]

#: The Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008, "Color Universal
#: Design"; https://jfly.uni-koeln.de/color/).
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Colours in the order series use them (yellow left out: too pale on white).
PALETTE: tuple[str, ...] = tuple(
    OKABE_ITO[name]
    for name in ("blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue")
)
#: Markers paired with :data:`PALETTE`, so that series differ in greyscale too.
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P")
#: Line styles paired with :data:`PALETTE`.
LINESTYLES: tuple[Any, ...] = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))
#: Neutral fill for counts (bars), dark enough to print.
GREY = "#8C8C8C"
#: Width of a report page's text block, inches.
PAGE_WIDTH = 6.5

#: Default source lines of the plot functions (the report writes the case's own).
SOURCE_REPORTS = "Source: defection reports compiled from public reporting."
SOURCE_INDICATORS = "Source: indicator estimates compiled from public reporting."
SOURCE_ALL = "Sources: defection reports and indicator estimates compiled from public reporting."

#: Panel column -> (label, divisor, unit after dividing): how a series is shown.
SERIES_DISPLAY: dict[str, tuple[str, float, str]] = {
    "revenue_total": ("Revenue", 1e6, "USD million per month"),
    "territory": ("Territory", 1e3, "thousand km²"),
    "n_reports": ("Defection reports", 1.0, "per month"),
    "n_reports_financial": ("Reports citing money", 1.0, "per month"),
}

_RC: dict[str, Any] = {
    # matplotlib's bundled DejaVu Sans, so that every machine draws the same glyphs
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    # unhinted text is as wide at every dpi: the layout, made at the figure's dpi,
    # then fits the 300-dpi PNG and the SVG alike (hinted 7-pt labels vary by 10%)
    "text.hinting": "none",
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.5,
    "axes.axisbelow": True,
    "axes.prop_cycle": cycler(color=PALETTE),
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.hashsalt": "cftf_analysis",
    "svg.id": "cftf-figure",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}

_FORMATS: tuple[str, ...] = allowed_values(ImageFormat)
# Metadata that would make two saves differ (dates, software versions) is switched off.
_METADATA: dict[str, dict[str, None]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
}


def _freeze_layout(fig: Figure) -> None:
    """Run the figure's layout engine once, then keep the resulting positions."""
    engine = fig.get_layout_engine()
    if engine is None or type(engine).__name__ == "PlaceHolderLayoutEngine":
        return
    fig.draw_without_rendering()
    # No engine at all (rather than "none", matplotlib's placeholder), so that savefig does
    # not draw the figure once more before each save; unless the rcParams ask for a layout.
    fig.set_layout_engine(None)
    if fig.get_layout_engine() is not None:
        fig.set_layout_engine("none")


@contextlib.contextmanager
def report_theme() -> Iterator[None]:
    """Apply the report style (fonts, palette, grid, deterministic SVG) inside a ``with`` block.

    rcParams are restored when the block ends; importing this module changes nothing.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> before = mpl.rcParams["font.size"]
    >>> with report_theme():
    ...     mpl.rcParams["font.size"]
    8.0
    >>> mpl.rcParams["font.size"] == before
    True
    """
    with mpl.rc_context(_RC):
        yield


#: Canonical unit -> (divisor, unit after dividing): how a series in that unit is shown.
UNIT_DISPLAY: dict[str, tuple[float, str]] = {
    "USD per month": (1e6, "USD million per month"),
    "USD": (1e6, "USD million"),
    "km2": (1e3, "thousand km²"),
    "people": (1e3, "thousand people"),
    "barrels per day": (1e3, "thousand barrels per day"),
    "fighters": (1.0, "fighters"),
    "fighters per month": (1.0, "fighters per month"),
    "count": (1.0, "count"),
    "percent of total": (1.0, "% of total"),
    "percent of territory": (1.0, "% of territory"),
}

_SHOWN: contextvars.ContextVar[Mapping[str, tuple[str, float, str]] | None] = (
    contextvars.ContextVar("series_shown", default=None)
)


@contextlib.contextmanager
def displaying(series: Mapping[str, tuple[str, float, str]]) -> Iterator[None]:
    """Within the block, show these panel columns with these (label, divisor, unit).

    The report uses it to label a case's series (whatever their column names)
    in every figure, as ``report_theme`` styles them.

    Examples
    --------
    >>> with displaying({"revenue": ("Revenue", 1e6, "USD million per month")}):
    ...     series_display("revenue")
    ('Revenue', 1000000.0, 'USD million per month')
    >>> series_display("revenue")
    ('revenue', 1.0, '')
    """
    token = _SHOWN.set({**(_SHOWN.get() or {}), **series})
    try:
        yield
    finally:
        _SHOWN.reset(token)


def unit_display(label: str, unit: str) -> tuple[str, float, str]:
    """(label, divisor, unit shown) for a series in a canonical ``unit`` (:data:`UNIT_DISPLAY`).

    Examples
    --------
    >>> unit_display("Territory", "km2")
    ('Territory', 1000.0, 'thousand km²')
    """
    divisor, shown = UNIT_DISPLAY.get(unit, (1.0, unit))
    return label, divisor, shown


def series_display(name: str) -> tuple[str, float, str]:
    """Label, divisor and unit used to show a panel column.

    Looks in the mapping of an enclosing :func:`displaying` block, then in
    :data:`SERIES_DISPLAY`; unknown columns are shown as they are:
    ``(name, 1.0, "")``.

    Examples
    --------
    >>> series_display("revenue_total")
    ('Revenue', 1000000.0, 'USD million per month')
    >>> series_display("oil_production")
    ('oil_production', 1.0, '')
    """
    shown = _SHOWN.get() or {}
    if name in shown:
        return shown[name]
    return SERIES_DISPLAY.get(name, (name, 1.0, ""))


def add_source(fig: Figure, text: str | None, *, fontsize: float = 6.5) -> Figure:
    """Write a source line at the foot of ``fig`` (left-aligned, wrapped to the width).

    With a constrained layout, the layout area is shrunk so that the line never
    overlaps the axes. ``text=None`` leaves the figure unchanged.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plt.figure(figsize=(6.5, 2), layout="constrained")
    >>> add_source(fig, SOURCE_REPORTS).texts[0].get_text().startswith("Source")
    True
    >>> plt.close(fig)
    """
    if text is None:
        return fig
    width_in = fig.get_figwidth()
    chars = max(20, int(width_in * 72 / (0.52 * fontsize)))
    wrapped = textwrap.fill(text, width=chars)
    n_lines = wrapped.count("\n") + 1
    height = (n_lines * fontsize * 1.25 + 4) / 72 / fig.get_figheight()
    fig.text(
        0.01,
        0.005,
        wrapped,
        ha="left",
        va="bottom",
        fontsize=fontsize,
        color="#444444",
        gid="source-line",
    )
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set") and "rect" in engine.get():
        engine.set(rect=(0, height, 1, 1 - height))
    return fig


def save_figure(
    fig: Figure,
    path_without_suffix: str | os.PathLike[str],
    *,
    formats: Sequence[ImageFormat] = ("png", "svg"),
    dpi: int = 300,
) -> list[Path]:
    """Write ``fig`` in each format, atomically and deterministically.

    Parameters
    ----------
    fig
        The figure to save.
    path_without_suffix
        Target path without extension, e.g. ``figures/timeline``; the format is
        appended (``figures/timeline.png``). Missing folders are created.
    formats
        Any of ``"png"``, ``"svg"``, ``"pdf"``.
    dpi
        Resolution of raster output.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``formats``.

    Notes
    -----
    Each file is first written to a temporary file in the target folder and
    then moved into place with :func:`os.replace`, so a reader never sees a
    half-written file and a failed save leaves any previous file intact; files
    get the mode the process umask gives (0o644 under the usual umask 022).
    Saving is deterministic: PNG without the ``Software`` text chunk, SVG
    without date and creator and with a fixed ``svg.hashsalt`` (clip-path and
    glyph ids no longer depend on a random salt), PDF without creation date,
    creator and producer. Two saves of the same figure give identical bytes.

    A layout engine (constrained or tight layout) starts each pass from the
    positions the previous pass left, so repeated passes move the axes by
    rounding noise (about 1e-16 of the figure), which changes SVG clip-path
    ids and antialiased PNG pixels. The first save therefore runs the layout
    once and then switches the engine off: the figure keeps that layout, and
    every later save (in this or a fresh process) writes the same bytes. Call
    ``fig.set_layout_engine("constrained")`` to lay it out again after
    changing it.

    Examples
    --------
    >>> import tempfile, matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([1, 2, 3])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in save_figure(fig, f"{tmp}/demo", dpi=50)]
    ['demo.png', 'demo.svg']
    >>> plt.close(fig)
    """
    formats = list(formats)
    if not formats:
        raise ArgumentError("formats must name at least one format")
    for fmt in formats:
        check_literal(fmt, ImageFormat, "format")
    base = Path(path_without_suffix)
    if base.suffix.lower().lstrip(".") in _FORMATS:
        raise ArgumentError(
            f"give the path without a suffix (got {str(base)!r}); formats= sets the extensions"
        )
    check_int(dpi, "dpi", minimum=1)
    base.parent.mkdir(parents=True, exist_ok=True)
    _freeze_layout(fig)
    written = []
    with mpl.rc_context({k: _RC[k] for k in ("svg.hashsalt", "svg.id", "svg.fonttype")}):
        for fmt in formats:
            target = base.with_name(f"{base.name}.{fmt}")
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
                if fmt == "svg":
                    tmp.write_text(
                        _stable_svg_ids(tmp.read_text(encoding="utf-8")), encoding="utf-8"
                    )
            written.append(target)
    return written


_SVG_ID = re.compile(r'id="([pm][0-9a-f]{10})"')


def _stable_svg_ids(svg: str) -> str:
    """``svg`` with matplotlib's hashed clip-path and marker ids renumbered in order of use.

    Matplotlib names a clip path or a marker by a hash of its full-precision
    coordinates, so layout noise far below what the file writes (six decimals)
    changes the ids and hence the bytes. Renumbering them by first use (``p0``,
    ``p1``, ... and ``m0``, ``m1``, ...) makes two figures that print the same
    coordinates identical files.

    Examples
    --------
    >>> _stable_svg_ids('<g clip-path="url(#p1a2b3c4d5e)"/><clipPath id="p1a2b3c4d5e">')
    '<g clip-path="url(#p0)"/><clipPath id="p0">'
    """
    defined = set(_SVG_ID.findall(svg))
    if not defined:
        return svg
    used = re.findall(r"#([pm][0-9a-f]{10})\b|id=\"([pm][0-9a-f]{10})\"", svg)
    order: dict[str, str] = {}
    counters = {"p": 0, "m": 0}
    for a, b in used:
        old = a or b
        if old in defined and old not in order:
            order[old] = f"{old[0]}{counters[old[0]]}"
            counters[old[0]] += 1
    return re.sub(r"\b[pm][0-9a-f]{10}\b", lambda m: order.get(m.group(0), m.group(0)), svg)
