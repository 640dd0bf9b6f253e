"""cftf_analysis: does financial decline of an armed group precede defection reporting?

The public API is re-exported here. Submodules are imported lazily on first
attribute access so that ``import cftf_analysis`` stays as cheap as importing
pandas (statsmodels, matplotlib and duckdb load only when used).

Examples
--------
>>> import cftf_analysis as cftf
>>> reports = cftf.load_reports()
>>> int(reports.shape[0]) > 100
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cftf_analysis.errors import (
    AnalysisError,
    ArgumentError,
    CftfError,
    DataValidationError,
    DateParseError,
)

__version__ = "0.1.0"

# public name -> submodule that defines it
_LAZY: dict[str, str] = {
    # dates
    "DateInterval": "cftf_analysis.dates",
    "parse_date_interval": "cftf_analysis.dates",
    "parse_date_intervals": "cftf_analysis.dates",
    "format_date_interval": "cftf_analysis.dates",
    # loaders
    "load_reports": "cftf_analysis.loaders",
    "load_events": "cftf_analysis.loaders",
    "load_indicators": "cftf_analysis.indicators",
    "indicator_observations": "cftf_analysis.observations",
    # panel and headline figures
    "monthly_panel": "cftf_analysis.panel",
    "percent_change": "cftf_analysis.headline",
    # statistics
    "cross_correlation": "cftf_analysis.stats.crosscorr",
    "granger_test": "cftf_analysis.stats.granger",
    "granger_both_ways": "cftf_analysis.stats.granger",
    "fit_count_model": "cftf_analysis.stats.countmodel",
    "change_points": "cftf_analysis.stats.changepoints",
    "event_effect": "cftf_analysis.stats.interrupted",
    "motive_share_trend": "cftf_analysis.stats.motives",
    "sensitivity": "cftf_analysis.stats.sensitivity",
    "latent_indicator": "cftf_analysis.stats.latent",
    "association_summary": "cftf_analysis.stats.summary",
    # corpus
    "count_corpus": "cftf_analysis.corpus",
    "corpus_summary": "cftf_analysis.corpus",
}

__all__ = [
    "AnalysisError",
    "ArgumentError",
    "CftfError",
    "DataValidationError",
    "DateParseError",
    "__version__",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cftf_analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from cftf_analysis.corpus import corpus_summary, count_corpus
    from cftf_analysis.dates import (
        DateInterval,
        format_date_interval,
        parse_date_interval,
        parse_date_intervals,
    )
    from cftf_analysis.headline import percent_change
    from cftf_analysis.indicators import load_indicators
    from cftf_analysis.loaders import load_events, load_reports
    from cftf_analysis.observations import indicator_observations
    from cftf_analysis.panel import monthly_panel
    from cftf_analysis.stats.changepoints import change_points
    from cftf_analysis.stats.countmodel import fit_count_model
    from cftf_analysis.stats.crosscorr import cross_correlation
    from cftf_analysis.stats.granger import granger_both_ways, granger_test
    from cftf_analysis.stats.interrupted import event_effect
    from cftf_analysis.stats.latent import latent_indicator
    from cftf_analysis.stats.motives import motive_share_trend
    from cftf_analysis.stats.sensitivity import sensitivity
    from cftf_analysis.stats.summary import association_summary
