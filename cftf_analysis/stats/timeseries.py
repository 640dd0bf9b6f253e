"""Preparing a time series for a test: coercion, alignment, detrending, prewhitening.

Shared by the cross-correlation, Granger, stationarity and sensitivity code:

- :func:`as_float_array` and :func:`align_pair` turn series into float arrays
  with clear :class:`~cftf_analysis.errors.AnalysisError` messages for
  all-missing, constant and too-short input;
- :func:`difference` and :func:`linear_detrend` remove a trend;
- :func:`fit_ar` and :func:`ar_filter` fit and apply an autoregressive
  prewhitening filter (Box & Jenkins);
- :func:`as_generator` turns a seed into a :class:`numpy.random.Generator`.

Missing values are ``NaN`` throughout; none of the helpers drops them silently:
they either propagate (transforms) or are counted (coercion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.options import IC, check_literal

__all__ = [
    "ARFit",
    "SeriesLike",
    "align_pair",
    "ar_filter",
    "as_float_array",
    "as_generator",
    "difference",
    "fit_ar",
    "lag_matrix",
    "linear_detrend",
]

SeriesLike = pd.Series | np.ndarray | Sequence[float]


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` from a seed or a generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def as_float_array(
    values: SeriesLike, *, name: str, min_length: int = 3, allow_missing: bool = True
) -> np.ndarray:
    """Coerce one series to a 1-D float array and check it can be analysed.

    Parameters
    ----------
    values
        A pandas Series, numpy array or sequence of numbers; ``None``/``NaN``
        (and pandas ``NA``) mean missing.
    name
        The argument or column name used in error messages.
    min_length
        Least number of non-missing values required.
    allow_missing
        If false, any missing value is an error.

    Returns
    -------
    numpy.ndarray
        ``float64`` array of the same length, missing values as ``NaN``.

    Raises
    ------
    ArgumentError
        The values are not one-dimensional or not numeric.
    AnalysisError
        All values are missing, fewer than ``min_length`` are present, missing
        values are present but not allowed, or the non-missing values are all
        equal (a constant series has no variation to analyse).

    Examples
    --------
    >>> as_float_array([1, 2, None, 4], name="x").tolist()
    [1.0, 2.0, nan, 4.0]
    >>> as_float_array([3, 3, 3], name="x")
    Traceback (most recent call last):
    ...
    cftf_analysis.errors.AnalysisError: x is constant (every value is 3.0); ...
    """
    raw = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    if raw.ndim != 1:
        raise ArgumentError(f"{name} must be one-dimensional, got shape {raw.shape}")
    try:
        obj = pd.Series(raw, dtype=object)
        arr = obj.where(obj.notna(), np.nan).astype("float64").to_numpy()
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"{name} must be numeric: {exc}") from exc
    arr = np.where(np.isinf(arr), np.nan, arr)
    present = np.isfinite(arr)
    n_present = int(present.sum())
    if n_present == 0:
        raise AnalysisError(f"{name} has no non-missing values (length {arr.size})")
    if not allow_missing and n_present < arr.size:
        raise AnalysisError(f"{name} has {arr.size - n_present} missing values; none allowed")
    if n_present < min_length:
        raise AnalysisError(
            f"{name} is too short: {n_present} non-missing values, at least {min_length} needed"
        )
    first = arr[present][0]
    if np.all(arr[present] == first):
        raise AnalysisError(
            f"{name} is constant (every value is {first}); a constant series cannot be analysed"
        )
    return arr


def align_pair(
    x: SeriesLike, y: SeriesLike, *, names: tuple[str, str] = ("x", "y"), min_length: int = 3
) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Align two series in time and return them as float arrays.

    Two pandas Series are aligned on their index (the union of both, sorted;
    a label present in only one series gives ``NaN`` in the other). Anything
    else is aligned by position and must have the same length.

    Returns
    -------
    tuple
        ``(x_values, y_values, index)`` where ``index`` is the aligned index
        (a ``RangeIndex`` for positional input).

    Examples
    --------
    >>> a = pd.Series([1.0, 2.0, 4.0], index=[1, 2, 3])
    >>> b = pd.Series([5.0, 3.0, 1.0], index=[2, 3, 4])
    >>> xa, ya, idx = align_pair(a, b)
    >>> idx.tolist(), xa.tolist(), ya.tolist()
    ([1, 2, 3, 4], [1.0, 2.0, 4.0, nan], [nan, 5.0, 3.0, 1.0])
    """
    if isinstance(x, pd.Series) and isinstance(y, pd.Series):
        for nm, s in zip(names, (x, y), strict=True):
            if s.index.has_duplicates:
                dup = s.index[s.index.duplicated()][0]
                raise ArgumentError(f"{nm} has duplicated index label {dup!r}")
        try:
            xs, ys = x.align(y, join="outer")
            xs, ys = xs.sort_index(), ys.sort_index()
        except TypeError as exc:
            msg = f"the indexes of {names[0]} and {names[1]} cannot be aligned"
            raise ArgumentError(msg) from exc
        index = xs.index
    else:
        xs, ys = x, y
        nx, ny = len(x), len(y)
        if nx != ny:
            raise ArgumentError(
                f"{names[0]} and {names[1]} must have the same length, got {nx} and {ny}"
            )
        index = pd.RangeIndex(nx)
    xv = as_float_array(xs, name=names[0], min_length=min_length)
    yv = as_float_array(ys, name=names[1], min_length=min_length)
    return xv, yv, index


def difference(values: np.ndarray, order: int = 1) -> np.ndarray:
    """Difference a series ``order`` times (``NaN`` propagates).

    The result is ``order`` values shorter, exactly as ``numpy.diff(values, n=order)``.

    Examples
    --------
    >>> difference(np.array([1.0, 4.0, 9.0, 16.0]), 2).tolist()
    [2.0, 2.0]
    """
    if order < 0:
        raise ArgumentError(f"the differencing order must be >= 0, got {order}")
    return np.diff(np.asarray(values, dtype=float), n=order)


def linear_detrend(values: np.ndarray) -> np.ndarray:
    """Remove a least-squares straight line in time (position 0, 1, ...).

    The line is fitted to the non-missing values only; missing values stay
    missing. The residuals have mean zero.

    Examples
    --------
    >>> linear_detrend(np.array([1.0, 3.0, np.nan, 7.0])).round(12).tolist()
    [0.0, 0.0, nan, 0.0]
    """
    v = np.asarray(values, dtype=float)
    t = np.arange(v.size, dtype=float)
    ok = np.isfinite(v)
    if ok.sum() < 3:
        raise AnalysisError("a linear trend needs at least 3 non-missing values")
    slope, intercept = np.polyfit(t[ok], v[ok], 1)
    return v - (intercept + slope * t)


@dataclass(frozen=True)
class ARFit:
    """An autoregressive filter ``e_t = x_t - const - sum_i coefs[i-1] * x_{t-i}``.

    Attributes
    ----------
    order
        Number of lags ``p`` (0 means the filter only removes the mean).
    const
        The intercept.
    coefs
        The AR coefficients ``phi_1 .. phi_p``.
    n_obs
        Observations used in the final least-squares fit.
    """

    order: int
    const: float
    coefs: tuple[float, ...]
    n_obs: int


def lag_matrix(v: np.ndarray, p: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows t = start..n-1: target v_t and regressors [1, v_{t-1}, ..., v_{t-p}]."""
    n = v.size
    target = v[start:]
    cols = [np.ones(n - start)] + [v[start - i : n - i] for i in range(1, p + 1)]
    return target, np.column_stack(cols)


def fit_ar(
    values: np.ndarray, *, order: int | None = None, max_order: int = 1, ic: IC = "aic"
) -> ARFit:
    """Fit an AR(p) model with intercept by ordinary least squares.

    With ``order=None`` the order is chosen from ``0..max_order`` by AIC (or
    BIC), every candidate being fitted on the same rows (those with
    ``max_order`` predecessors), as :func:`statsmodels.tsa.ar_model.ar_select_order`
    does; the chosen model is then refitted on all usable rows, as
    :class:`statsmodels.tsa.ar_model.AutoReg` does. Rows with a missing value
    in the target or a lag are left out.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> e = rng.normal(size=400)
    >>> x = np.zeros(400)
    >>> for t in range(1, 400):
    ...     x[t] = 0.7 * x[t - 1] + e[t]
    >>> fit = fit_ar(x, max_order=4, ic="bic")
    >>> fit.order, round(fit.coefs[0], 1)
    (1, 0.7)
    """
    v = np.asarray(values, dtype=float)
    check_literal(ic, IC, "ic")
    if order is not None:
        if order < 0:
            raise ArgumentError(f"the AR order must be >= 0, got {order}")
        chosen = order
    else:
        if max_order < 0:
            raise ArgumentError(f"max_order must be >= 0, got {max_order}")
        target, design = lag_matrix(v, max_order, max_order)
        ok = np.isfinite(target) & np.isfinite(design).all(axis=1)
        n_ok = int(ok.sum())
        if n_ok <= max_order + 2:
            raise AnalysisError(
                f"too few complete observations ({n_ok}) to choose an AR order up to {max_order}"
            )
        penalty = 2.0 if ic == "aic" else np.log(n_ok)
        best, chosen = np.inf, 0
        for p in range(max_order + 1):
            beta, *_ = np.linalg.lstsq(design[ok, : p + 1], target[ok], rcond=None)
            ssr = float(np.sum((target[ok] - design[ok, : p + 1] @ beta) ** 2))
            crit = n_ok * np.log(ssr / n_ok) + penalty * p
            if crit < best - 1e-12:
                best, chosen = crit, p
    target, design = lag_matrix(v, chosen, chosen)
    ok = np.isfinite(target) & np.isfinite(design).all(axis=1)
    n_ok = int(ok.sum())
    if n_ok <= chosen + 2:
        raise AnalysisError(f"too few complete observations ({n_ok}) to fit an AR({chosen})")
    beta, *_ = np.linalg.lstsq(design[ok], target[ok], rcond=None)
    return ARFit(
        order=chosen, const=float(beta[0]), coefs=tuple(float(b) for b in beta[1:]), n_obs=n_ok
    )


def ar_filter(values: np.ndarray, coefs: Sequence[float], const: float = 0.0) -> np.ndarray:
    """Apply ``e_t = x_t - const - sum_i coefs[i-1] * x_{t-i}`` for t >= p.

    Returns an array ``p`` values shorter than ``values`` (its first element
    corresponds to position ``p``); a missing input makes every output that
    uses it missing.

    Examples
    --------
    >>> ar_filter(np.array([1.0, 2.0, 4.0, 8.0]), [2.0]).tolist()
    [0.0, 0.0, 0.0]
    """
    v = np.asarray(values, dtype=float)
    p = len(coefs)
    out = v[p:] - const
    for i, phi in enumerate(coefs, start=1):
        out = out - phi * v[p - i : v.size - i]
    return out
