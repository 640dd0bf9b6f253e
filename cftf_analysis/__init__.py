"""cftf_analysis: does financial decline of an armed group precede defection reporting?

``import cftf_analysis as cftf`` reaches the whole workflow: loaders, the
monthly panel, every statistic and the battery, the tables behind the
figures, every plot function and the report's figure catalog
(``cftf.figures.FIGURES``, :func:`make_figure`), validation and the report.
Names are imported lazily on first use, so ``import cftf_analysis`` loads
neither pandas nor statsmodels, matplotlib or duckdb until they are needed.

Examples
--------
>>> import cftf_analysis as cftf
>>> reports = cftf.load_reports()
>>> int(reports.shape[0]) > 100
True
>>> callable(cftf.plot_cross_correlation), "timeline" in cftf.figures.FIGURES
(True, True)
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from cftf_analysis.errors import (
    AnalysisError,
    ArgumentError,
    CftfError,
    DataValidationError,
    DateParseError,
    OutputError,
)

try:
    __version__ = version("cftf-analysis")
except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
    __version__ = "0+unknown"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    # dates
    "DateInterval": "cftf_analysis.dates",
    "parse_date_interval": "cftf_analysis.dates",
    "parse_date_intervals": "cftf_analysis.dates",
    "format_date_interval": "cftf_analysis.dates",
    # loading and checking raw data
    "load_reports": "cftf_analysis.loaders",
    "load_events": "cftf_analysis.loaders",
    "report_problems": "cftf_analysis.loaders",
    "event_problems": "cftf_analysis.loaders",
    "defector_key": "cftf_analysis.loaders",
    "load_indicators": "cftf_analysis.indicators",
    "indicator_problems": "cftf_analysis.indicators",
    "producer_name": "cftf_analysis.indicators",
    "validate_file": "cftf_analysis.validate",
    "data_caveats": "cftf_analysis.caveats",
    "Case": "cftf_analysis.case",
    "load_case": "cftf_analysis.case",
    "bundled_cases": "cftf_analysis.case",
    "import_ucdp_ged": "cftf_analysis.importers",
    "import_acled": "cftf_analysis.importers",
    "import_gtd": "cftf_analysis.importers",
    "indicator_observations": "cftf_analysis.observations",
    # panel and headline figures
    "monthly_panel": "cftf_analysis.panel",
    "month_weights": "cftf_analysis.panel",
    "series_rows": "cftf_analysis.panel",
    "indicator_points": "cftf_analysis.panel",
    "percent_change": "cftf_analysis.headline",
    # statistics
    "cross_correlation": "cftf_analysis.stats.crosscorr",
    "granger_test": "cftf_analysis.stats.granger",
    "granger_both_ways": "cftf_analysis.stats.granger",
    "stationarity_tests": "cftf_analysis.stats.stationarity",
    "fit_count_model": "cftf_analysis.stats.countmodel",
    "change_points": "cftf_analysis.stats.changepoints",
    "event_effect": "cftf_analysis.stats.interrupted",
    "level_changes": "cftf_analysis.stats.interrupted",
    "data_support": "cftf_analysis.stats.support",
    "motive_share_trend": "cftf_analysis.stats.motives",
    "sensitivity": "cftf_analysis.stats.sensitivity",
    "multiverse": "cftf_analysis.stats.multiverse",
    "adjust_pvalues": "cftf_analysis.stats.multiple",
    # the battery
    "Battery": "cftf_analysis.stats.battery",
    "BatteryContext": "cftf_analysis.stats.battery",
    "BatteryOptions": "cftf_analysis.stats.battery",
    "Step": "cftf_analysis.stats.battery",
    "StepResult": "cftf_analysis.stats.battery",
    "association_summary": "cftf_analysis.stats.battery",
    "run_battery": "cftf_analysis.stats.battery",
    "register_step": "cftf_analysis.stats.battery",
    "unregister_step": "cftf_analysis.stats.battery",
    "registered_steps": "cftf_analysis.stats.battery",
    # tables behind the figures
    "report_count_spread": "cftf_analysis.tables",
    "motive_shares": "cftf_analysis.tables",
    "lagged_pairs": "cftf_analysis.tables",
    "timeline_events": "cftf_analysis.tables",
    # figures
    "plot_report_counts": "cftf_analysis.figures.timeline",
    "plot_indicator": "cftf_analysis.figures.timeline",
    "timeline_figure": "cftf_analysis.figures.timeline",
    "plot_cross_correlation": "cftf_analysis.figures.crosscorr",
    "cross_correlation_figure": "cftf_analysis.figures.crosscorr",
    "plot_lagged_scatter": "cftf_analysis.figures.scatter",
    "plot_motive_shares": "cftf_analysis.figures.motives",
    "plot_power_curves": "cftf_analysis.figures.power",
    "plot_change_points": "cftf_analysis.figures.changepoints",
    "plot_rate_ratios": "cftf_analysis.figures.effects",
    "plot_sensitivity": "cftf_analysis.figures.sensitivity",
    "sensitivity_figure": "cftf_analysis.figures.sensitivity",
    "plot_specification_curve": "cftf_analysis.figures.speccurve",
    "specification_curve_figure": "cftf_analysis.figures.speccurve",
    "save_figure": "cftf_analysis.figures.theme",
    "report_theme": "cftf_analysis.figures.theme",
    "make_figure": "cftf_analysis.figures.catalog",
    # the report
    "run_report": "cftf_analysis.report",
    "load_results": "cftf_analysis.report",
    "redraw_figures": "cftf_analysis.report",
    "latent_indicator": "cftf_analysis.stats.latent",
    # corpus
    "count_corpus": "cftf_analysis.corpus",
    "corpus_summary": "cftf_analysis.corpus",
}

#: Subpackages and modules reachable as attributes (``cftf.figures.FIGURES``).
_SUBMODULES = ("corpus", "figures", "options", "stats", "tables")

__all__ = [
    "AnalysisError",
    "ArgumentError",
    "CftfError",
    "DataValidationError",
    "DateParseError",
    "OutputError",
    "__version__",
    *sorted(_LAZY),
    *_SUBMODULES,
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        value = importlib.import_module(f"cftf_analysis.{name}")
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'cftf_analysis' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from cftf_analysis import corpus, figures, options, stats, tables
    from cftf_analysis.case import Case, bundled_cases, load_case
    from cftf_analysis.caveats import data_caveats
    from cftf_analysis.corpus import corpus_summary, count_corpus
    from cftf_analysis.dates import (
        DateInterval,
        format_date_interval,
        parse_date_interval,
        parse_date_intervals,
    )
    from cftf_analysis.figures.catalog import make_figure
    from cftf_analysis.figures.changepoints import plot_change_points
    from cftf_analysis.figures.crosscorr import cross_correlation_figure, plot_cross_correlation
    from cftf_analysis.figures.effects import plot_rate_ratios
    from cftf_analysis.figures.motives import plot_motive_shares
    from cftf_analysis.figures.power import plot_power_curves
    from cftf_analysis.figures.scatter import plot_lagged_scatter
    from cftf_analysis.figures.sensitivity import plot_sensitivity, sensitivity_figure
    from cftf_analysis.figures.speccurve import (
        plot_specification_curve,
        specification_curve_figure,
    )
    from cftf_analysis.figures.theme import report_theme, save_figure
    from cftf_analysis.figures.timeline import plot_indicator, plot_report_counts, timeline_figure
    from cftf_analysis.headline import percent_change
    from cftf_analysis.importers import import_acled, import_gtd, import_ucdp_ged
    from cftf_analysis.indicators import indicator_problems, load_indicators, producer_name
    from cftf_analysis.loaders import (
        defector_key,
        event_problems,
        load_events,
        load_reports,
        report_problems,
    )
    from cftf_analysis.observations import indicator_observations
    from cftf_analysis.panel import indicator_points, month_weights, monthly_panel, series_rows
    from cftf_analysis.report import load_results, redraw_figures, run_report
    from cftf_analysis.stats.battery import (
        Battery,
        BatteryContext,
        BatteryOptions,
        Step,
        StepResult,
        association_summary,
        register_step,
        registered_steps,
        run_battery,
        unregister_step,
    )
    from cftf_analysis.stats.changepoints import change_points
    from cftf_analysis.stats.countmodel import fit_count_model
    from cftf_analysis.stats.crosscorr import cross_correlation
    from cftf_analysis.stats.granger import granger_both_ways, granger_test
    from cftf_analysis.stats.interrupted import event_effect, level_changes
    from cftf_analysis.stats.latent import latent_indicator
    from cftf_analysis.stats.motives import motive_share_trend
    from cftf_analysis.stats.multiple import adjust_pvalues
    from cftf_analysis.stats.multiverse import multiverse
    from cftf_analysis.stats.sensitivity import sensitivity
    from cftf_analysis.stats.stationarity import stationarity_tests
    from cftf_analysis.stats.support import data_support
    from cftf_analysis.tables import (
        lagged_pairs,
        motive_shares,
        report_count_spread,
        timeline_events,
    )
    from cftf_analysis.validate import validate_file
