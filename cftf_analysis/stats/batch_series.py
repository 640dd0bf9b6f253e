"""Batched time-series kernels: the prewhitened cross-correlation and the Granger F test
over many plausible versions of the data at once.

Like the GLM kernels of :mod:`cftf_analysis.stats.batch`, each kernel does the
arithmetic of all ``B`` draws in a few array operations, is checked draw by draw
against its single-series function (``tests/stats/test_batch.py``) and flags a draw
it cannot compute (``ok`` false) instead of raising:

- :func:`prewhitened_ccf_batch`: the detrended, AR-prewhitened
  cross-correlations of :func:`~cftf_analysis.stats.crosscorr.cross_correlation`
  at a fixed AR order (:class:`CcfBatchResult`).
- :func:`granger_f_batch`: the Granger F test (``ssr_f`` of
  :func:`~cftf_analysis.stats.granger.granger_test`) at a fixed lag order and
  differencing (:class:`GrangerBatchResult`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.options import (
    Detrend,
    check_int,
    check_literal,
)
from cftf_analysis.stats._batch_arrays import EPS, batch_size, float_array
from cftf_analysis.stats.crosscorr import MIN_PAIRS

__all__ = [
    "CcfBatchResult",
    "GrangerBatchResult",
    "granger_f_batch",
    "prewhitened_ccf_batch",
]


# --- prewhitened cross-correlation --------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CcfBatchResult:
    """Cross-correlations of ``B`` series pairs (see :func:`prewhitened_ccf_batch`).

    Attributes
    ----------
    lags
        ``(n_lags,)`` the lags; positive ``k`` means x leads y by ``k``.
    r
        ``(B, n_lags)`` Pearson correlation of ``(a_t, b_{t+k})`` of the
        detrended, prewhitened series; ``NaN`` where ``ok`` is false.
    n_obs
        ``(n_lags,)`` pairs per lag (the same in every draw).
    ar_order
        The prewhitening order used.
    ar_const, ar_coefficients
        ``(B,)`` and ``(B, ar_order)``: each draw's AR filter, fitted to its x.
    ok
        ``(B,)`` false where :func:`~cftf_analysis.stats.crosscorr.cross_correlation`
        would raise for that draw (a series with no variation left after
        detrending, or constant over the pairs of a lag).
    """

    lags: np.ndarray
    r: np.ndarray
    n_obs: np.ndarray
    ar_order: int
    ar_const: np.ndarray
    ar_coefficients: np.ndarray
    ok: np.ndarray

    @property
    def statistic(self) -> np.ndarray:
        """``(B, n_lags)`` Fisher z statistics ``atanh(r) * sqrt(n_obs - 3)``."""
        z = np.arctanh(np.clip(self.r, -1 + 1e-15, 1 - 1e-15))
        return z * np.sqrt(self.n_obs - 3.0)

    @property
    def p_value(self) -> np.ndarray:
        """``(B, n_lags)`` two-sided Fisher-z p-values (``method="normal"``), unadjusted."""
        return 2.0 * stats.norm.sf(np.abs(self.statistic))


def prewhitened_ccf_batch(
    x: Any,
    y: Any,
    *,
    lags: Sequence[int],
    ar_order: int,
    detrend: Detrend = "linear",
) -> CcfBatchResult:
    """Detrended, AR-prewhitened cross-correlations of ``B`` series pairs at once.

    Draw by draw this equals
    ``cross_correlation(x[b], y[b], max_lag=..., detrend=detrend, ar_order=ar_order)["estimate"]``
    at the requested lags (:func:`~cftf_analysis.stats.crosscorr.cross_correlation`),
    except that the AR order is fixed rather than chosen by AIC per draw.

    Parameters
    ----------
    x
        ``(B, n)`` indicator paths (or ``(n,)`` for one series).
    y
        ``(n,)`` counts shared by every draw, or ``(B, n)``.
    lags
        Distinct integer lags, e.g. ``range(-12, 13)``; positive ``k`` means
        x leads y by ``k`` (the estimate is ``corr(x_t, y_{t+k})``).
    ar_order
        Order ``p >= 0`` of the prewhitening AR filter, fitted to each draw's
        detrended x and applied to both series. Choose it once, e.g. as
        ``cross_correlation(x_obs, y_obs).attrs["ar_order"]`` on the observed data.
    detrend
        ``"linear"`` (default), ``"difference"`` or ``"none"``, as in
        :func:`~cftf_analysis.stats.crosscorr.cross_correlation`.

    Returns
    -------
    CcfBatchResult
        ``lags``, ``r (B, n_lags)``, ``n_obs (n_lags,)``, ``ar_order``,
        ``ar_const``, ``ar_coefficients``, ``ok (B,)``; properties
        ``statistic`` and ``p_value`` (Fisher z, unadjusted).

    Raises
    ------
    ArgumentError
        Bad shapes or options; missing values at different positions in
        different draws.
    AnalysisError
        Too few values for the AR order or a lag with fewer than
        :data:`~cftf_analysis.stats.crosscorr.MIN_PAIRS` pairs (these depend
        only on the positions of missing values, shared by every draw).

    Notes
    -----
    Steps per draw, as in ``cross_correlation``: remove a least-squares line
    in time from each series (fitted to its non-missing values); fit
    ``x_t = c + sum_i phi_i x_{t-i} + e_t`` by least squares to the detrended
    x (rows with a complete lag window, solved through the SVD with numpy's
    ``lstsq`` cut-off); filter x with ``c`` and ``phi`` and y with ``phi``;
    correlate the complete pairs at each lag with their own means. ``NaN``
    values are allowed but must sit at the same positions in every draw (for
    example months outside an indicator's window), so that ``n_obs`` is shared.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> base = rng.normal(size=(200, 62)).cumsum(axis=1) * 0.3
    >>> x = base[:, 2:]
    >>> y = 0.8 * base[0, :60] + rng.normal(size=60)  # x[0] leads y by 2
    >>> res = prewhitened_ccf_batch(x, y, lags=range(-3, 4), ar_order=1)
    >>> res.r.shape, res.n_obs.tolist()
    ((200, 7), [56, 57, 58, 59, 58, 57, 56])
    >>> int(res.lags[np.argmax(res.r[0])])
    2
    """
    check_literal(detrend, Detrend, "detrend")
    p = int(check_int(ar_order, "ar_order", minimum=0))
    lag_arr = _lag_array(lags)
    xa = float_array(x, "x", (1, 2))
    ya = float_array(y, "y", (1, 2))
    B = batch_size(x=xa if xa.ndim == 2 else None, y=ya if ya.ndim == 2 else None)
    if xa.shape[-1] != ya.shape[-1]:
        raise ArgumentError(
            f"x and y must have the same length, got {xa.shape[-1]} and {ya.shape[-1]}"
        )
    n = xa.shape[-1]
    xb, yb = np.broadcast_to(xa, (B, n)), np.broadcast_to(ya, (B, n))
    for name, arr in (("x", xb), ("y", yb)):
        missing = np.isnan(arr)
        if (missing != missing[0]).any():
            raise ArgumentError(
                f"{name} has missing values at different positions in different draws; "
                "the batch needs them at the same positions (e.g. outside the indicator window)"
            )
        if int((~missing[0]).sum()) < MIN_PAIRS:
            raise AnalysisError(
                f"{name} is too short: {int((~missing[0]).sum())} non-missing values, "
                f"at least {MIN_PAIRS} needed"
            )

    xd, yd = _detrend_rows(xb, detrend), _detrend_rows(yb, detrend)
    ok = _keeps_variation(xb, xd) & _keeps_variation(yb, yd)
    const, phi = _fit_ar_rows(xd, p)
    a = _ar_filter_rows(xd, phi, const)
    b = _ar_filter_rows(yd, phi, np.zeros(B))
    r, n_obs, constant = _lagged_pearson(a, b, lag_arr)
    ok &= ~constant
    r[~ok] = np.nan
    return CcfBatchResult(
        lags=lag_arr,
        r=r,
        n_obs=n_obs,
        ar_order=p,
        ar_const=const,
        ar_coefficients=phi,
        ok=ok,
    )


def _lag_array(lags: Sequence[int]) -> np.ndarray:
    """Distinct integer lags as an int64 array."""
    if isinstance(lags, int | np.integer) and not isinstance(lags, bool):
        raise ArgumentError(f"lags must be a sequence of integers (range(-12, 13)), not {lags}")
    values = list(lags)
    bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int | np.integer)]
    if not values or bad or len(set(values)) != len(values):
        raise ArgumentError(f"lags must be distinct integers, got {lags!r}")
    return np.asarray(values, dtype=np.int64)


def _detrend_rows(v: np.ndarray, detrend: str) -> np.ndarray:
    """Each row detrended as crosscorr's ``_prepare`` does (``NaN`` stays ``NaN``)."""
    if detrend == "difference":
        return np.diff(v, axis=1)
    if detrend == "none":
        return v.copy()
    n = v.shape[1]
    t = np.arange(n, dtype=float)
    present = ~np.isnan(v)
    count = present.sum(axis=1)
    if (count < 3).any():
        raise AnalysisError("a linear trend needs at least 3 non-missing values")
    t_mean = (present * t).sum(axis=1) / count
    v_mean = np.where(present, v, 0.0).sum(axis=1) / count
    dt = np.where(present, t - t_mean[:, None], 0.0)
    dv = np.where(present, v - v_mean[:, None], 0.0)
    slope = (dt * dv).sum(axis=1) / (dt * dt).sum(axis=1)
    intercept = v_mean - slope * t_mean
    return v - (intercept[:, None] + slope[:, None] * t)


def _keeps_variation(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """crosscorr's check that a series still varies after detrending, row by row."""
    with np.errstate(invalid="ignore"):
        spread = np.nanstd(after, axis=1)
        size = np.maximum(np.nanstd(before, axis=1), np.nanmax(np.abs(before), axis=1))
        return spread > 1e-10 * size


def _fit_ar_rows(v: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """``fit_ar(v[b], order=p)`` for every row: the constant and the AR coefficients.

    Least squares on the rows with a complete lag window, solved through the SVD
    with the cut-off of :func:`numpy.linalg.lstsq` (``rcond=None``), as ``fit_ar``.
    """
    n = v.shape[1]
    target = v[:, p:]
    design = np.stack([np.ones_like(target)] + [v[:, p - i : n - i] for i in range(1, p + 1)], -1)
    complete = ~np.isnan(target) & ~np.isnan(design).any(axis=-1)
    n_ok = int(complete[0].sum())  # shared: missing values sit at the same positions
    if n_ok <= p + 2:
        raise AnalysisError(f"too few complete observations ({n_ok}) to fit an AR({p})")
    design = np.where(complete[..., None], design, 0.0)
    target = np.where(complete, target, 0.0)
    u, s, vt = np.linalg.svd(design, full_matrices=False)
    cutoff = EPS * max(n_ok, p + 1) * s[:, :1]
    with np.errstate(divide="ignore"):
        inv_s = np.where(s > cutoff, 1.0 / s, 0.0)
    proj = (np.swapaxes(u, -1, -2) @ target[..., None])[..., 0] * inv_s
    beta = (np.swapaxes(vt, -1, -2) @ proj[..., None])[..., 0]
    return beta[:, 0], beta[:, 1:]


def _ar_filter_rows(v: np.ndarray, phi: np.ndarray, const: np.ndarray) -> np.ndarray:
    """``ar_filter(v[b], phi[b], const[b])`` for every row."""
    n = v.shape[1]
    p = phi.shape[1]
    out = v[:, p:] - const[:, None]
    for i in range(1, p + 1):
        out = out - phi[:, i - 1 : i] * v[:, p - i : n - i]
    return out


def _lagged_pearson(
    a: np.ndarray, b: np.ndarray, lags: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise Pearson r of (a_t, b_{t+k}) over complete pairs; pair counts; degenerate rows."""
    B, m = a.shape
    r = np.empty((B, lags.size))
    n_obs = np.zeros(lags.size, dtype=np.int64)
    constant = np.zeros(B, dtype=bool)
    for j, k in enumerate(lags):
        lo, hi = max(0, -int(k)), min(m, m - int(k))
        if hi <= lo:
            count = 0
        else:
            pa, pb = a[:, lo:hi], b[:, lo + k : hi + k]
            ok = ~np.isnan(pa) & ~np.isnan(pb)
            count = int(ok[0].sum())
        n_obs[j] = count
        if count < MIN_PAIRS:
            raise AnalysisError(
                f"lag {k} has only {count} complete (x, y) pairs after detrending and "
                f"prewhitening; at least {MIN_PAIRS} are needed (use fewer lags)"
            )
        da = np.where(ok, pa, 0.0)
        db = np.where(ok, pb, 0.0)
        da = np.where(ok, da - da.sum(axis=1, keepdims=True) / count, 0.0)
        db = np.where(ok, db - db.sum(axis=1, keepdims=True) / count, 0.0)
        denom = np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))
        flat = ~(denom > 0)
        constant |= flat
        with np.errstate(invalid="ignore", divide="ignore"):
            r[:, j] = np.where(flat, np.nan, (da * db).sum(axis=1) / denom)
    return r, n_obs, constant


# --- Granger F test -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GrangerBatchResult:
    """Granger F tests of ``B`` pairs (see :func:`granger_f_batch`).

    Attributes
    ----------
    F, p_value
        ``(B,)`` the ``ssr_f`` statistic and its p-value from ``F(df_num, df_denom)``.
    df_num, df_denom
        Restrictions tested (= ``lag``) and residual degrees of freedom of the
        unrestricted regression (``n_obs - 2 * lag - 1``).
    n_obs
        Rows in the regressions (after differencing and ``lag`` start-up values).
    lag, differences
        The options used.
    ok
        ``(B,)`` false where statsmodels would refuse the test (a lag column
        constant over the sample, a perfect fit) or the unrestricted design is
        collinear; those draws have ``NaN``.
    """

    F: np.ndarray
    p_value: np.ndarray
    df_num: int
    df_denom: int
    n_obs: int
    lag: int
    differences: int
    ok: np.ndarray


def granger_f_batch(cause: Any, effect: Any, *, lag: int, differences: int) -> GrangerBatchResult:
    """Granger F tests of ``cause -> effect`` for ``B`` series pairs at once.

    Restricted regression: ``effect_t`` on a constant and ``effect_{t-1..t-lag}``;
    unrestricted: plus ``cause_{t-1..t-lag}``.
    ``F = ((SSR_r - SSR_u) / lag) / (SSR_u / df_denom)``. Draw by draw this is
    ``grangercausalitytests(np.column_stack([effect, cause]), [lag])[lag][0]["ssr_ftest"]``
    on the differenced pair (statsmodels tests whether the *second* column
    causes the first), i.e. the ``ssr_f`` row of
    ``granger_test(..., max_lag=lag, difference=differences)``.

    Parameters
    ----------
    cause, effect
        ``(n,)`` or ``(B, n)`` series in time order, without missing values
        (trim both to their common window first).
    lag
        Lag order ``>= 1``, fixed for every draw.
    differences
        Times both series are differenced before the test (``>= 0``), fixed
        for every draw (decide it once on the observed data, e.g. with
        ``granger_test(..., difference="auto")``).

    Returns
    -------
    GrangerBatchResult
        ``F (B,)``, ``p_value (B,)``, ``df_num``, ``df_denom``, ``n_obs``,
        ``lag``, ``differences``, ``ok (B,)``.

    Raises
    ------
    ArgumentError
        Bad shapes or options, missing or infinite values.
    AnalysisError
        Too few observations: after differencing, ``n`` must exceed
        ``3 * lag + 1`` (statsmodels' rule).

    Notes
    -----
    Both regressions come from one QR decomposition of the unrestricted design
    with the restricted columns first: if ``Q' effect = c``, then
    ``SSR_r - SSR_u`` is the sum of squares of the last ``lag`` entries of
    ``c``, which avoids subtracting two nearly equal sums of squares.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(11)
    >>> cause = rng.normal(size=(500, 80))
    >>> effect = np.zeros((500, 80))
    >>> effect[:, 1:] = 0.5 * cause[:, :-1] + rng.normal(size=(500, 79))
    >>> res = granger_f_batch(cause, effect, lag=2, differences=0)
    >>> res.df_num, res.df_denom, res.n_obs
    (2, 73, 78)
    >>> bool((res.p_value < 0.05).mean() > 0.9)  # power at the 5% level
    True
    """
    lag = int(check_int(lag, "lag", minimum=1))
    d = int(check_int(differences, "differences", minimum=0))
    ca = float_array(cause, "cause", (1, 2))
    ea = float_array(effect, "effect", (1, 2))
    for name, arr in (("cause", ca), ("effect", ea)):
        if np.isnan(arr).any():
            raise ArgumentError(
                f"{name} has missing values; trim both series to their common window first"
            )
    B = batch_size(cause=ca if ca.ndim == 2 else None, effect=ea if ea.ndim == 2 else None)
    if ca.shape[-1] != ea.shape[-1]:
        raise ArgumentError(
            f"cause and effect must have the same length, got {ca.shape[-1]} and {ea.shape[-1]}"
        )
    n = ca.shape[-1]
    c = np.diff(np.broadcast_to(ca, (B, n)), n=d, axis=1)
    e = np.diff(np.broadcast_to(ea, (B, n)), n=d, axis=1)
    N = n - d
    if N <= 3 * lag + 1:
        raise AnalysisError(
            f"{N} observations (after differencing {d} times) are too few for lag={lag}; "
            f"at least {3 * lag + 2} are needed"
        )
    m = N - lag
    target = e[:, lag:]
    cols = [np.ones((B, m))]
    cols += [e[:, lag - i : N - i] for i in range(1, lag + 1)]
    cols += [c[:, lag - i : N - i] for i in range(1, lag + 1)]
    design = np.stack(cols, axis=-1)
    k = 2 * lag + 1
    df_denom = m - k

    q, r = np.linalg.qr(design)
    coef = (np.swapaxes(q, -1, -2) @ target[..., None])[..., 0]
    resid = target - (q @ coef[..., None])[..., 0]
    ssr_u = (resid * resid).sum(axis=1)
    ssr_diff = (coef[:, lag + 1 :] ** 2).sum(axis=1)
    centred = target - target.mean(axis=1, keepdims=True)
    tss = (centred * centred).sum(axis=1)

    lagged = design[..., 1:]
    constant_column = (lagged.max(axis=1) == lagged.min(axis=1)).any(axis=1)
    col_norm = np.sqrt((design * design).sum(axis=1))
    diag = np.abs(np.diagonal(r, axis1=-2, axis2=-1))
    collinear = (diag <= 1e-10 * col_norm).any(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        perfect = ~(tss > 0) | ~(ssr_u > 0) | (ssr_u / tss < EPS)
        ok = ~(constant_column | collinear | perfect)
        F = np.where(ok, (ssr_diff / lag) / (ssr_u / df_denom), np.nan)
    return GrangerBatchResult(
        F=F,
        p_value=stats.f.sf(F, lag, df_denom),
        df_num=lag,
        df_denom=int(df_denom),
        n_obs=int(m),
        lag=lag,
        differences=d,
        ok=ok,
    )
