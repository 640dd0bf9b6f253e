"""Argument and series checks for :func:`cftf_analysis.stats.changepoints.change_points`.

Not public API. :func:`_clean_series` turns the input Series into a float array
in index order (missing values dropped, with a warning) and checks it for the
Poisson model; :func:`_model_choice`, :func:`_resampling_choice`,
:func:`_penalty` and :func:`_positive_int` check the options and raise
:class:`ArgumentError` naming the allowed values. The option constants are
re-exported by :mod:`cftf_analysis.stats.changepoints`.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from cftf_analysis.errors import AnalysisError, ArgumentError, DataValidationError

MODELS: tuple[str, ...] = ("mean", "poisson")
RESAMPLINGS: tuple[str, ...] = ("auto", "permutation", "ar1_bootstrap")
#: Parameters per additional segment in the BIC penalty (level + break location).
BIC_PARAMS_PER_SEGMENT = 2


def _clean_series(series: Any, model: str) -> tuple[np.ndarray, pd.Index]:
    if not isinstance(series, pd.Series):
        raise ArgumentError(f"series must be a pandas Series, got {type(series).__name__}")
    if series.index.has_duplicates:
        raise ArgumentError("series index has duplicate labels; aggregate them first")
    values = pd.to_numeric(series, errors="coerce").astype(float)
    if not values.index.is_monotonic_increasing:
        warnings.warn("change_points sorted the series by its index", stacklevel=3)
        values = values.sort_index()
    missing = values.isna()
    if missing.all():
        raise AnalysisError("change_points: all values are missing")
    if missing.any():
        warnings.warn(
            f"change_points dropped {int(missing.sum())} missing value(s); segments join "
            "the values on either side of each gap",
            stacklevel=3,
        )
        values = values[~missing]
    y = values.to_numpy()
    if model == "poisson":
        if np.any(y < 0):
            pos = int(np.flatnonzero(y < 0)[0])
            raise DataValidationError(
                f"model='poisson' needs non-negative values, got {y[pos]} at {values.index[pos]}",
                file="<Series>",
                column=str(series.name) if series.name is not None else None,
            )
        if np.ptp(y) == 0:
            raise AnalysisError(f"change_points: the series is constant ({y[0]})")
    return y, values.index


def _model_choice(model: Any) -> str:
    if not isinstance(model, str) or model not in MODELS:
        raise ArgumentError(f"model={model!r} is not allowed; choose one of 'mean', 'poisson'")
    return model


def _resampling_choice(resampling: Any, model: str) -> str:
    if not isinstance(resampling, str) or resampling not in RESAMPLINGS:
        raise ArgumentError(
            f"resampling={resampling!r} is not allowed; choose one of "
            f"{', '.join(map(repr, RESAMPLINGS))}"
        )
    if resampling == "auto":
        return "ar1_bootstrap" if model == "mean" else "permutation"
    if resampling == "ar1_bootstrap" and model != "mean":
        raise ArgumentError("resampling='ar1_bootstrap' needs model='mean'")
    return resampling


def _penalty(penalty: Any, n: int) -> tuple[str, float]:
    if isinstance(penalty, str):
        if penalty != "bic":
            raise ArgumentError(f"penalty={penalty!r} is not allowed; use 'bic' or a number")
        return "bic", BIC_PARAMS_PER_SEGMENT * math.log(n)
    if isinstance(penalty, bool) or not isinstance(penalty, int | float) or not penalty >= 0:
        raise ArgumentError(f"penalty must be 'bic' or a non-negative number, got {penalty!r}")
    return "custom", float(penalty)


def _positive_int(value: Any, name: str, *, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        kind = "non-negative" if allow_zero else "positive"
        raise ArgumentError(f"{name} must be a {kind} integer, got {value!r}")
    return int(value)
