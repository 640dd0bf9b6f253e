"""Multiple testing: adjusting a family of p-values.

:func:`adjust_pvalues` is a thin wrapper around
:func:`statsmodels.stats.multitest.multipletests` that leaves missing
p-values missing and computes Holm's step-down itself (see :func:`holm`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from statsmodels.stats.multitest import multipletests

from cftf_analysis.options import Adjust, check_literal

__all__ = ["adjust_pvalues", "holm"]


def adjust_pvalues(p_values: Sequence[float] | np.ndarray, method: Adjust = "holm") -> np.ndarray:
    """Adjust a family of p-values for multiple testing.

    Parameters
    ----------
    p_values
        The unadjusted p-values of one family of tests. ``NaN`` entries are
        left out of the family and stay ``NaN``.
    method
        ``"holm"`` (Holm 1979 step-down, controls the familywise error rate),
        ``"fdr_bh"`` (Benjamini & Hochberg 1995, controls the false discovery
        rate for independent or positively dependent tests), ``"fdr_by"``
        (Benjamini & Yekutieli 2001, the false discovery rate under any
        dependence), ``"bonferroni"``, or ``"none"`` (the p-values unchanged).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, same length and order as ``p_values``.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, float("nan")], "bonferroni").tolist()
    [0.01, nan]
    """
    check_literal(method, Adjust, "adjust")
    p = np.asarray(p_values, dtype=float).copy()
    if method == "none":
        return p
    finite = np.isfinite(p)
    if not finite.any():
        return p
    if method == "holm":
        p[finite] = holm(p[finite])
    else:
        p[finite] = multipletests(p[finite], method=method)[1]
    return p


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values, equal to ``multipletests(p, method="holm")[1]``.

    Computed here because statsmodels' Holm branch calls ``gc.collect()`` on
    every call (about 0.1 s once pandas and statsmodels are loaded; see
    statsmodels pull request 8671), which would dominate simulations that
    adjust thousands of families. The test suite checks the two agree.

    Examples
    --------
    >>> holm(np.array([0.01, 0.04, 0.03])).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * np.arange(m, 0, -1))
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out
