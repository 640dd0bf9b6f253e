"""Statistical tests of association between defection reporting and indicators.

Every function returns a tidy :class:`pandas.DataFrame` (or a small result
object with a ``tidy()`` method) with a fixed set of columns; nothing prints.
The battery (:func:`run_battery`, :func:`association_summary`) runs the
registered steps of :mod:`cftf_analysis.stats.steps`; :mod:`cftf_analysis.stats.batch`
(GLMs, Rubin's rules) and :mod:`cftf_analysis.stats.batch_series` (cross-correlation,
Granger) hold kernels that run one statistic over many draws of the data at once. Names
load lazily, so importing one statistics module does not import them all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY: dict[str, str] = {
    "Battery": "battery",
    "LATENT_OBSERVATION_COLUMNS": "battery",
    "BatteryContext": "battery",
    "BatteryOptions": "battery",
    "Step": "battery",
    "StepResult": "battery",
    "association_summary": "battery",
    "battery_context": "battery",
    "register_step": "battery",
    "registered_steps": "battery",
    "run_battery": "battery",
    "unregister_step": "battery",
    "CcfBatchResult": "batch_series",
    "GrangerBatchResult": "batch_series",
    "PoissonBatchResult": "batch",
    "fit_poisson_batch": "batch",
    "granger_f_batch": "batch_series",
    "prewhitened_ccf_batch": "batch_series",
    "rubin_pool": "batch",
    "ChangePointResult": "changepoints",
    "change_points": "changepoints",
    "CountModelResult": "countmodel",
    "fit_count_model": "countmodel",
    "cross_correlation": "crosscorr",
    "FINDING_COLUMNS": "findings",
    "granger_both_ways": "granger",
    "granger_test": "granger",
    "event_effect": "interrupted",
    "level_changes": "interrupted",
    "step_design": "interrupted",
    "level_change_mde": "its_power",
    "level_change_power": "its_power",
    "simulate_counts": "its_power",
    "step_mde_normal": "its_power",
    "step_power_normal": "its_power",
    "SUPPORT_COLUMNS": "support",
    "count_support": "support",
    "data_support": "support",
    "indicator_analysis_support": "support",
    "indicator_support": "support",
    "period_counts": "support",
    "period_label": "support",
    "residual_df_support": "support",
    "support_row": "support",
    "support_sentences": "support",
    "support_table": "support",
    "unsupported": "support",
    "motive_share_trend": "motives",
    "adjust_pvalues": "multiple",
    "SensitivityResult": "sensitivity",
    "sensitivity": "sensitivity",
    "stationarity_tests": "stationarity",
    "JointDraws": "draws",
    "NullPaths": "draws",
    "draw_counts": "draws",
    "joint_draws": "draws",
    "leave_one_out_paths": "draws",
    "null_model": "draws",
    "ccf_finding": "indicator_findings",
    "count_model_finding": "indicator_findings",
    "granger_finding": "indicator_findings",
    "influence": "indicator_steps",
    "monte_carlo_p": "indicator_findings",
    "pool_f_tests": "pooling",
    "IndicatorCache": "draws",
    "MultiverseResult": "multiverse_result",
    "multiverse": "multiverse",
    "report_subset": "multiverse",
    "PowerDesign": "power",
    "detectable_effect": "power",
    "power_curve": "power",
    "simulate_power": "power",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cftf_analysis.stats' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"cftf_analysis.stats.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # pragma: no cover
    from cftf_analysis.stats.batch import PoissonBatchResult, fit_poisson_batch, rubin_pool
    from cftf_analysis.stats.batch_series import (
        CcfBatchResult,
        GrangerBatchResult,
        granger_f_batch,
        prewhitened_ccf_batch,
    )
    from cftf_analysis.stats.battery import (
        LATENT_OBSERVATION_COLUMNS,
        Battery,
        BatteryContext,
        BatteryOptions,
        Step,
        StepResult,
        association_summary,
        battery_context,
        register_step,
        registered_steps,
        run_battery,
        unregister_step,
    )
    from cftf_analysis.stats.changepoints import ChangePointResult, change_points
    from cftf_analysis.stats.countmodel import CountModelResult, fit_count_model
    from cftf_analysis.stats.crosscorr import cross_correlation
    from cftf_analysis.stats.draws import (
        IndicatorCache,
        JointDraws,
        NullPaths,
        draw_counts,
        joint_draws,
        leave_one_out_paths,
        null_model,
    )
    from cftf_analysis.stats.findings import FINDING_COLUMNS
    from cftf_analysis.stats.granger import granger_both_ways, granger_test
    from cftf_analysis.stats.indicator_findings import (
        ccf_finding,
        count_model_finding,
        granger_finding,
        monte_carlo_p,
    )
    from cftf_analysis.stats.indicator_steps import influence
    from cftf_analysis.stats.interrupted import event_effect, level_changes, step_design
    from cftf_analysis.stats.its_power import (
        level_change_mde,
        level_change_power,
        simulate_counts,
        step_mde_normal,
        step_power_normal,
    )
    from cftf_analysis.stats.motives import motive_share_trend
    from cftf_analysis.stats.multiple import adjust_pvalues
    from cftf_analysis.stats.multiverse import multiverse, report_subset
    from cftf_analysis.stats.multiverse_result import MultiverseResult
    from cftf_analysis.stats.pooling import pool_f_tests
    from cftf_analysis.stats.power import (
        PowerDesign,
        detectable_effect,
        power_curve,
        simulate_power,
    )
    from cftf_analysis.stats.sensitivity import SensitivityResult, sensitivity
    from cftf_analysis.stats.stationarity import stationarity_tests
    from cftf_analysis.stats.support import (
        SUPPORT_COLUMNS,
        count_support,
        data_support,
        indicator_analysis_support,
        indicator_support,
        period_counts,
        period_label,
        residual_df_support,
        support_row,
        support_sentences,
        support_table,
        unsupported,
    )
