"""Figures for the report, in seaborn's style.

Axes-level functions (``plot_*``) take a tidy table, draw on the Axes they are
given (or on a new report-sized figure when ``ax`` is None) and return it; they
never call ``show()`` or ``savefig()``. Figure-level functions (``*_figure``)
build their own Figure of several Axes and return it. Statistics are computed
elsewhere (:mod:`cftf_analysis.stats`, :mod:`cftf_analysis.tables`); every
plotted number can be had as a table.

The report style is applied with ``with report_theme():`` (never at import)
and :func:`save_figure` writes PNG/SVG/PDF files atomically and
byte-for-byte reproducibly.

Examples
--------
>>> import matplotlib.pyplot as plt
>>> import cftf_analysis as cftf
>>> fig, ax = plt.subplots()
>>> cftf.plot_report_counts(cftf.report_count_spread(cftf.load_reports()), ax=ax) is ax
True
>>> plt.close(fig)
"""

from __future__ import annotations

from cftf_analysis.figures.catalog import (
    FIGURES,
    FigureRecord,
    FigureSpec,
    make_figure,
    render_figures,
)
from cftf_analysis.figures.changepoints import plot_change_points
from cftf_analysis.figures.crosscorr import cross_correlation_figure, plot_cross_correlation
from cftf_analysis.figures.effects import plot_rate_ratios, term_label
from cftf_analysis.figures.motives import MOTIVE_LABELS, plot_motive_shares
from cftf_analysis.figures.power import plot_power_curves
from cftf_analysis.figures.scatter import plot_lagged_scatter
from cftf_analysis.figures.sensitivity import plot_sensitivity, sensitivity_figure
from cftf_analysis.figures.speccurve import plot_specification_curve, specification_curve_figure
from cftf_analysis.figures.theme import (
    LINESTYLES,
    MARKERS,
    OKABE_ITO,
    PAGE_WIDTH,
    PALETTE,
    SERIES_DISPLAY,
    SOURCE_ALL,
    SOURCE_INDICATORS,
    SOURCE_REPORTS,
    add_source,
    report_theme,
    save_figure,
    series_display,
)
from cftf_analysis.figures.timeline import (
    plot_indicator,
    plot_report_counts,
    timeline_figure,
)

__all__ = [
    "FIGURES",
    "LINESTYLES",
    "MARKERS",
    "MOTIVE_LABELS",
    "OKABE_ITO",
    "PAGE_WIDTH",
    "PALETTE",
    "SERIES_DISPLAY",
    "SOURCE_ALL",
    "SOURCE_INDICATORS",
    "SOURCE_REPORTS",
    "FigureRecord",
    "FigureSpec",
    "add_source",
    "cross_correlation_figure",
    "make_figure",
    "plot_change_points",
    "plot_cross_correlation",
    "plot_indicator",
    "plot_lagged_scatter",
    "plot_motive_shares",
    "plot_power_curves",
    "plot_rate_ratios",
    "plot_report_counts",
    "plot_sensitivity",
    "plot_specification_curve",
    "render_figures",
    "report_theme",
    "save_figure",
    "sensitivity_figure",
    "series_display",
    "specification_curve_figure",
    "term_label",
    "timeline_figure",
]
