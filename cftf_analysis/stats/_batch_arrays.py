"""Array helpers shared by the batched kernels (:mod:`cftf_analysis.stats.batch`,
:mod:`cftf_analysis.stats.batch_series`): input checks and the batch size."""

from __future__ import annotations

from typing import Any

import numpy as np

from cftf_analysis.errors import ArgumentError

__all__ = ["EPS", "batch_size", "float_array"]

#: Machine epsilon of a float.
EPS = np.finfo(float).eps


def float_array(value: Any, name: str, ndims: tuple[int, ...]) -> np.ndarray:
    """``value`` as a float array with one of the allowed numbers of dimensions."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"{name} must be numeric: {exc}") from exc
    if arr.ndim not in ndims:
        shapes = " or ".join(f"{d}-D" for d in ndims)
        raise ArgumentError(f"{name} must be {shapes}, got shape {arr.shape}")
    if np.isinf(arr).any():
        raise ArgumentError(f"{name} has infinite values")
    return arr


def batch_size(**batched: np.ndarray | None) -> int:
    """The common leading size of the inputs that carry a batch axis (1 if none does)."""
    sizes = {name: arr.shape[0] for name, arr in batched.items() if arr is not None}
    distinct = set(sizes.values())
    if len(distinct) > 1:
        listed = ", ".join(f"{k}: {v}" for k, v in sizes.items())
        raise ArgumentError(f"the inputs disagree on the number of draws B ({listed})")
    return distinct.pop() if distinct else 1
