"""Batched kernels: one statistic over many plausible versions of the data at once.

The sensitivity analyses refit the same small model on ``B`` (about 1,000) joint
draws of the sparse indicator paths and the report dates. Looping over the
single-fit functions costs milliseconds per draw, mostly in pandas and
statsmodels bookkeeping; the kernels here do the arithmetic of all draws in a
few array operations and are checked draw by draw against those functions
(``tests/stats/test_batch.py``; speed in ``benchmarks/results/batch.md``):

- :func:`fit_poisson_batch`: ``B`` Poisson log-link GLMs by Newton's method
  (iteratively reweighted least squares), with quasi-Poisson (Pearson-scaled)
  or model-based covariances, as
  :func:`~cftf_analysis.stats.countmodel.fit_count_model` with
  ``family="poisson", cov_type="nonrobust"``; separation and non-convergence
  are flagged per fit (:class:`PoissonBatchResult`).
- the time-series kernels (the prewhitened cross-correlation and the Granger F
  test) are in :mod:`cftf_analysis.stats.batch_series`;
- :func:`rubin_pool`: Rubin's rules for scalar estimates, with Barnard-Rubin
  or classic degrees of freedom (a table, one row per finding,
  :data:`RUBIN_COLUMNS`).

Every kernel flags a draw it cannot compute properly (``ok`` is false) instead
of raising, because one degenerate draw must not stop the other 999; conditions
shared by every draw (too short, bad arguments) still raise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from cftf_analysis.errors import ArgumentError
from cftf_analysis.options import (
    Dispersion,
    NanPolicy,
    PoolDf,
    check_fraction,
    check_int,
    check_literal,
)
from cftf_analysis.stats._batch_arrays import EPS, batch_size, float_array

__all__ = [
    "RUBIN_COLUMNS",
    "SEPARATION_TOLERANCE",
    "PoissonBatchResult",
    "fit_poisson_batch",
    "rubin_pool",
]

SEPARATION_TOLERANCE = 1e-6
"""Least value of the separation linear program that counts as separation (see
:func:`fit_poisson_batch`, Notes); the columns of ``X`` are scaled to a largest
absolute value of 1 first."""

RUBIN_COLUMNS: tuple[str, ...] = (
    "finding",
    "estimate",
    "std_error",
    "statistic",
    "df",
    "p_value",
    "ci_low",
    "ci_high",
    "within_variance",
    "between_variance",
    "total_variance",
    "riv",
    "lambda",
    "fmi",
    "m",
    "df_method",
)
"""Columns of :func:`rubin_pool`, in order."""


def _scaled_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``a x = b`` for a stack of symmetric positive (semi)definite ``a``.

    The system is equilibrated first (``D^-1/2 a D^-1/2`` with ``D = diag(a)``),
    which removes the bad conditioning that comes from columns on different
    scales (an intercept beside a trend 0..59). A singular matrix gives ``NaN``.
    """
    d = np.sqrt(np.diagonal(a, axis1=-2, axis2=-1))
    d = np.where((d > 0) & np.isfinite(d), d, 1.0)
    scaled = a / d[..., :, None] / d[..., None, :]
    rhs = (b / d)[..., None]
    try:
        x = np.linalg.solve(scaled, rhs)[..., 0]
    except np.linalg.LinAlgError:
        x = np.full(b.shape, np.nan)
        for i in range(b.shape[0]):
            try:
                x[i] = np.linalg.solve(scaled[i], rhs[i])[:, 0]
            except np.linalg.LinAlgError:
                pass
    return x / d


def _scaled_inverse(a: np.ndarray) -> np.ndarray:
    """Inverse of a stack of symmetric positive definite matrices, equilibrated as above."""
    p = a.shape[-1]
    eye = np.broadcast_to(np.eye(p), a.shape)
    d = np.sqrt(np.diagonal(a, axis1=-2, axis2=-1))
    d = np.where((d > 0) & np.isfinite(d), d, 1.0)
    scaled = a / d[..., :, None] / d[..., None, :]
    out = np.full(a.shape, np.nan)
    idx = np.flatnonzero(np.isfinite(scaled).all(axis=(-2, -1)))
    try:
        out[idx] = np.linalg.solve(scaled[idx], eye[idx])
    except np.linalg.LinAlgError:  # one singular matrix: solve the others one by one
        for i in idx:
            try:
                out[i] = np.linalg.solve(scaled[i], eye[i])
            except np.linalg.LinAlgError:
                pass
    return out / d[..., :, None] / d[..., None, :]


# --- Poisson GLMs -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PoissonBatchResult:
    """``B`` Poisson log-link GLM fits (see :func:`fit_poisson_batch`).

    Attributes
    ----------
    params
        ``(B, p)`` coefficients, in the column order of ``X``.
    cov
        ``(B, p, p)`` covariance of ``params``: ``scale * inv(X' W X)`` with
        ``W = diag(mu)`` at the estimate.
    scale
        ``(B,)`` dispersion used in ``cov``: ``pearson_chi2 / df_resid`` with
        ``scale="pearson"``, 1 with ``scale="fixed"``.
    deviance, pearson_chi2
        ``(B,)`` Poisson deviance ``2 * sum(y log(y / mu) - (y - mu))`` and
        Pearson statistic ``sum((y - mu)**2 / mu)``.
    df_resid, n_obs
        ``(B,)`` integers: complete rows used, and ``n_obs - p``.
    converged
        ``(B,)`` the Newton iterations met the convergence rule within
        ``max_iter``; false for every fit flagged below.
    n_iter
        ``(B,)`` Newton steps taken (0 for a rank-deficient fit).
    separated
        ``(B,)`` the maximum-likelihood estimate does not exist: some
        coefficient combination drives the fitted means of zero counts to 0
        (checked by a linear program on each fit that did not converge).
    rank_deficient
        ``(B,)`` the complete rows of ``X`` are collinear (a constant or
        duplicated covariate); such fits are not attempted and are ``NaN``.
    """

    params: np.ndarray
    cov: np.ndarray
    scale: np.ndarray
    deviance: np.ndarray
    pearson_chi2: np.ndarray
    df_resid: np.ndarray
    n_obs: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    separated: np.ndarray
    rank_deficient: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """``(B,)`` fits that converged and have residual degrees of freedom."""
        return self.converged & (self.df_resid > 0) & np.isfinite(self.scale)

    @property
    def std_error(self) -> np.ndarray:
        """``(B, p)`` standard errors ``sqrt(diag(cov))`` (``NaN`` if a flagged fit's is < 0)."""
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.diagonal(self.cov, axis1=-2, axis2=-1))

    @property
    def statistic(self) -> np.ndarray:
        """``(B, p)`` Wald statistics ``params / std_error``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params / self.std_error

    @property
    def p_value(self) -> np.ndarray:
        """``(B, p)`` two-sided p-values from the normal distribution (as statsmodels' GLM)."""
        return 2.0 * stats.norm.sf(np.abs(self.statistic))


def fit_poisson_batch(
    y: Any,
    X: Any,
    *,
    offset: Any = None,
    scale: Dispersion = "pearson",
    max_iter: int = 50,
    tol: float = 1e-10,
    check_separation: bool = True,
) -> PoissonBatchResult:
    """Fit ``B`` independent Poisson log-link GLMs at once.

    Parameters
    ----------
    y
        Counts, ``(n,)`` (shared by every fit) or ``(B, n)``; non-negative,
        fractional values allowed. ``NaN`` marks a missing row.
    X
        Design, ``(n, p)`` or ``(B, n, p)``, including the intercept column if
        one is wanted (nothing is added). Shared columns (intercept, trend)
        are simply repeated in every ``X[b]``.
    offset
        Optional ``(n,)`` or ``(B, n)`` offset (``log(exposure)``).
    scale
        ``"pearson"`` (default, quasi-Poisson: ``cov`` multiplied by
        ``pearson_chi2 / df_resid``, statsmodels ``fit(scale="X2")``) or
        ``"fixed"`` (dispersion 1).
    max_iter
        Most Newton steps per fit.
    tol
        Convergence tolerance (see Notes); the default gives coefficients
        accurate to about ``1e-10``.
    check_separation
        Check each fit that did not converge for separation (see Notes).
        ``False`` skips the linear programs (the bulk of the time when many
        fits fail, as in power simulations of sparse counts): ``separated``
        is then False throughout, and such fits are still not ``ok``.

    Returns
    -------
    PoissonBatchResult
        Arrays with a leading axis of ``B`` draws (``B = 1`` when no input
        has a batch axis): ``params``, ``cov``, ``scale``, ``deviance``,
        ``pearson_chi2``, ``df_resid``, ``n_obs``, ``converged``, ``n_iter``,
        ``separated``, ``rank_deficient``; properties ``ok``, ``std_error``,
        ``statistic``, ``p_value``.

    Raises
    ------
    ArgumentError
        Shapes that do not agree, infinite or negative values, unknown ``scale``.

    Notes
    -----
    *Missing values.* A row with ``NaN`` in ``y``, ``X`` or ``offset`` is left
    out of that fit only (``n_obs`` counts the rows used), as the complete-case
    rule of :func:`~cftf_analysis.stats.countmodel.fit_count_model`.

    *Algorithm.* The first step is statsmodels' weighted least-squares step
    from ``mu0 = (y + mean(y)) / 2``; then Newton steps (Fisher scoring, the
    same for the canonical log link) ``beta += inv(X' W X) X' (y - mu)``,
    halving a step while it increases the deviance. A fit has converged when
    a full step changed no fitted log-mean by more than ``sqrt(tol)``: Newton's
    method converges quadratically, so the error left is of order ``tol``.
    The fixed point is the root of the score ``X' (y - mu)``, which is
    computed directly, so the estimates do not depend on how well the
    ``p x p`` systems are conditioned; those systems are equilibrated before
    solving. ``cov`` uses the weights at the final estimate. statsmodels uses
    those of the iterate before its last and stops on an absolute change of the
    deviance below ``1e-8``, so when it stops early its standard errors can
    differ from these by up to about ``1e-4`` (relative; its coefficients
    agree to about ``1e-10``). Called with ``fit(scale="X2", tol=1e-13)`` it
    agrees to ``1e-8`` (``tests/stats/test_batch.py``).

    *Separation.* With zero counts the maximum-likelihood estimate need not
    exist (Santos Silva & Tenreyro 2010): if some ``d != 0`` has ``x_i' d = 0``
    wherever ``y_i > 0`` and ``x_i' d <= 0`` wherever ``y_i = 0``, the
    likelihood keeps rising along ``d``. Newton's method then lowers the
    fitted log-mean of those zero counts by about 1 per step forever, so such
    a fit never meets the rule above and ends with ``converged = False``
    after ``max_iter`` steps. Every fit that did not converge is then checked
    with the linear program ``max -sum_{y_i=0} x_i' d`` subject to the
    conditions above and ``|d_j| <= 1`` (columns of ``X`` scaled to a largest
    absolute value of 1); a value above :data:`SEPARATION_TOLERANCE` sets
    ``separated``. A count vector of all zeros is separated. Flagged fits keep
    the numbers the iterations reached (coefficients drifting towards
    infinity, huge variances) so that nothing is hidden; use ``ok`` to select
    the fits to report. statsmodels instead stops on a small change of the
    deviance and reports such a fit as converged.

    *Fractional counts* (reports spread over months) are handled as in
    :func:`~cftf_analysis.stats.countmodel.fit_count_model`: quasi-likelihood.

    References
    ----------
    McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed.,
    section 2.5. Chapman & Hall.
    Santos Silva, J. M. C. & Tenreyro, S. (2010). On the existence of the
    maximum likelihood estimates in Poisson regression. Economics Letters
    107(2), 310-312.

    Examples
    --------
    Three draws of a covariate, one count series and a trend:

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> n, B = 40, 3
    >>> t = np.arange(n) / n
    >>> x = rng.normal(size=(B, n))
    >>> X = np.stack([np.ones((B, n)), x, np.broadcast_to(t, (B, n))], axis=-1)
    >>> y = rng.poisson(np.exp(1.0 + 0.3 * x[0]))
    >>> fit = fit_poisson_batch(y, X)
    >>> fit.params.shape, fit.cov.shape, bool(fit.ok.all())
    ((3, 3), (3, 3, 3), True)
    >>> bool(abs(fit.params[0, 1] - 0.3) < 0.2)
    True

    Zero counts wherever a dummy is 1 leave no finite estimate; the fit is flagged:

    >>> dummy = (np.arange(n) < 5).astype(float)
    >>> y2 = np.where(dummy == 1, 0, rng.poisson(3.0, n))
    >>> sep = fit_poisson_batch(y2, np.column_stack([np.ones(n), dummy]))
    >>> bool(sep.separated[0]), bool(sep.converged[0]), bool(sep.ok[0])
    (True, False, False)
    """
    check_literal(scale, Dispersion, "scale")
    max_iter = int(check_int(max_iter, "max_iter", minimum=1))
    tol = check_fraction(tol, "tol")
    ya = float_array(y, "y", (1, 2))
    Xa = float_array(X, "X", (2, 3))
    oa = None if offset is None else float_array(offset, "offset", (1, 2))
    B = batch_size(
        y=ya if ya.ndim == 2 else None,
        X=Xa if Xa.ndim == 3 else None,
        offset=oa if oa is not None and oa.ndim == 2 else None,
    )
    n, p = Xa.shape[-2], Xa.shape[-1]
    if p < 1:
        raise ArgumentError("X must have at least one column")
    lengths = {"y": ya.shape[-1], "X": n} | ({} if oa is None else {"offset": oa.shape[-1]})
    if len(set(lengths.values())) > 1:
        raise ArgumentError(f"y, X and offset must have the same number of rows, got {lengths}")

    yb = np.broadcast_to(ya, (B, n))
    Xb = np.broadcast_to(Xa, (B, n, p))
    ob = np.zeros((B, n)) if oa is None else np.broadcast_to(oa, (B, n))
    mask = ~(np.isnan(yb) | np.isnan(Xb).any(axis=-1) | np.isnan(ob))
    if (yb[mask] < 0).any():
        raise ArgumentError("y must be non-negative counts")
    yb = np.where(mask, yb, 0.0)
    Xb = np.where(mask[..., None], Xb, 0.0)
    ob = np.where(mask, ob, 0.0)
    n_obs = mask.sum(axis=1)

    rank_deficient = _rank_deficient(Xb, n_obs)
    params = np.full((B, p), np.nan)
    mu = np.full((B, n), np.nan)
    n_iter = np.zeros(B, dtype=np.int64)
    converged = np.zeros(B, dtype=bool)
    fit = np.flatnonzero(~rank_deficient)
    if fit.size:
        params[fit], mu[fit], n_iter[fit], converged[fit] = _newton(
            yb[fit], Xb[fit], ob[fit], mask[fit], max_iter, math.sqrt(tol)
        )

    deviance = np.full(B, np.nan)
    pearson = np.full(B, np.nan)
    cov_unscaled = np.full((B, p, p), np.nan)
    if fit.size:
        m, yf, muf, Xf = mask[fit], yb[fit], mu[fit], Xb[fit]
        deviance[fit] = _deviance(yf, muf, m)
        with np.errstate(divide="ignore", invalid="ignore"):
            pearson[fit] = np.where(m, (yf - muf) ** 2 / np.where(m, muf, 1.0), 0.0).sum(axis=1)
        info = np.swapaxes(Xf * np.where(m, muf, 0.0)[..., None], -1, -2) @ Xf
        cov_unscaled[fit] = _scaled_inverse(info)
    df_resid = n_obs - p
    if scale == "pearson":
        with np.errstate(divide="ignore", invalid="ignore"):
            phi = np.where(df_resid > 0, pearson / np.maximum(df_resid, 1), np.nan)
    else:
        phi = np.where(rank_deficient, np.nan, 1.0)

    separated = np.zeros(B, dtype=bool)
    for b in np.flatnonzero(~converged & ~rank_deficient & check_separation):
        separated[b] = _separated(Xb[b][mask[b]], yb[b][mask[b]])
    return PoissonBatchResult(
        params=params,
        cov=cov_unscaled * phi[:, None, None],
        scale=phi,
        deviance=deviance,
        pearson_chi2=pearson,
        df_resid=df_resid.astype(np.int64),
        n_obs=n_obs.astype(np.int64),
        converged=converged,
        n_iter=n_iter,
        separated=separated,
        rank_deficient=rank_deficient,
    )


def _rank_deficient(X: np.ndarray, n_obs: np.ndarray) -> np.ndarray:
    """Fits whose complete rows (other rows are zero) have collinear columns.

    The rule of :func:`numpy.linalg.matrix_rank` (singular values below
    ``s_max * max(n, p) * eps``) applied after scaling every column to unit
    length, so that the units of a column do not matter.
    """
    B, n, p = X.shape
    if n < p:
        return np.ones(B, dtype=bool)
    norms = np.sqrt((X * X).sum(axis=1))
    unit = X / np.where(norms > 0, norms, 1.0)[:, None, :]
    s = np.linalg.svd(unit, compute_uv=False)
    return (n_obs < p) | (s[:, -1] <= s[:, 0] * max(n, p) * EPS)


def _deviance(y: np.ndarray, mu: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Poisson deviance over the rows in ``mask`` (``0 * log 0 = 0``)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        unit = special.xlogy(y, y / mu) - (y - mu)
    return 2.0 * np.where(mask, unit, 0.0).sum(axis=1)


def _linear_predictor(X: np.ndarray, beta: np.ndarray, offset: np.ndarray) -> np.ndarray:
    return offset + (X @ beta[..., None])[..., 0]


def _newton(y, X, offset, mask, max_iter, eta_tol):
    """Newton (IRLS) iterations for a stack of Poisson fits; see fit_poisson_batch."""
    B = X.shape[0]
    n_obs = mask.sum(axis=1)
    ybar = (y * mask).sum(axis=1) / n_obs
    mu0 = np.where(mask, (y + ybar[:, None]) / 2.0, 1.0)
    mu0 = np.where((ybar > 0)[:, None], mu0, 0.5)  # all zeros: any start; it is separated
    eta0 = np.log(mu0)
    w0 = np.where(mask, mu0, 0.0)
    z = eta0 - offset + (y - mu0) / mu0
    info = np.swapaxes(X * w0[..., None], -1, -2) @ X
    beta = _scaled_solve(info, (np.swapaxes(X, -1, -2) @ (w0 * z)[..., None])[..., 0])
    with np.errstate(over="ignore"):
        eta = _linear_predictor(X, beta, offset)
        mu = np.exp(eta)
    dev = _deviance(y, mu, mask)
    n_iter = np.ones(B, dtype=np.int64)
    converged = np.zeros(B, dtype=bool)
    active = np.flatnonzero(np.isfinite(dev) & np.isfinite(beta).all(axis=1))

    for _ in range(max_iter - 1):
        if active.size == 0:
            break
        Xa, ya, oa, ma = X[active], y[active], offset[active], mask[active]
        mua, etaa, deva, ba = mu[active], eta[active], dev[active], beta[active]
        resid = np.where(ma, ya - mua, 0.0)
        w = np.where(ma, mua, 0.0)
        info = np.swapaxes(Xa * w[..., None], -1, -2) @ Xa
        step = _scaled_solve(info, (np.swapaxes(Xa, -1, -2) @ resid[..., None])[..., 0])
        halved = np.zeros(active.size, dtype=bool)
        for _halving in range(40):
            new_beta = ba + step
            with np.errstate(over="ignore", invalid="ignore"):
                new_eta = _linear_predictor(Xa, new_beta, oa)
                new_mu = np.exp(new_eta)
            new_dev = _deviance(ya, new_mu, ma)
            worse = ~np.isfinite(new_dev) | (new_dev > deva + 1e-10 * (np.abs(deva) + 0.1))
            worse &= np.isfinite(step).all(axis=1)
            if not worse.any():
                break
            step[worse] /= 2.0
            halved |= worse
        usable = np.isfinite(new_dev) & np.isfinite(new_beta).all(axis=1)
        with np.errstate(invalid="ignore"):
            change = np.where(ma, np.abs(new_eta - etaa), 0.0).max(axis=1)
        done = usable & ~halved & (change <= eta_tol)
        keep = active[usable]
        beta[keep], eta[keep], mu[keep], dev[keep] = (
            new_beta[usable],
            new_eta[usable],
            new_mu[usable],
            new_dev[usable],
        )
        n_iter[keep] += 1
        converged[active[done]] = True
        active = active[usable & ~done]
    return beta, np.where(mask, mu, np.nan), n_iter, converged


def _separated(X: np.ndarray, y: np.ndarray) -> bool:
    """Whether the Poisson MLE fails to exist (the linear program of fit_poisson_batch)."""
    zero = y == 0
    if not zero.any():
        return False
    top = np.abs(X).max(axis=0)
    Xs = X / np.where(top > 0, top, 1.0)
    pos = Xs[~zero]
    res = optimize.linprog(
        Xs[zero].sum(axis=0),
        A_ub=Xs[zero],
        b_ub=np.zeros(int(zero.sum())),
        A_eq=pos if pos.shape[0] else None,
        b_eq=np.zeros(pos.shape[0]) if pos.shape[0] else None,
        bounds=[(-1.0, 1.0)] * X.shape[1],
        method="highs",
    )
    return bool(res.status == 0 and -res.fun > SEPARATION_TOLERANCE)


# --- Rubin's rules ------------------------------------------------------------------------------


def rubin_pool(
    estimates: Any,
    variances: Any,
    *,
    conf_level: float = 0.95,
    df_method: PoolDf = "barnard_rubin",
    df_complete: float | Any = math.inf,
    nan_policy: NanPolicy = "propagate",
) -> pd.DataFrame:
    """Pool ``m`` multiply-imputed estimates of scalar findings with Rubin's rules.

    Parameters
    ----------
    estimates
        ``(m,)`` estimates of one finding, or ``(m, K)`` for ``K`` findings
        (a DataFrame's columns name the findings), one row per imputation.
    variances
        Their squared standard errors, same shape.
    conf_level
        Confidence level of the interval.
    df_method
        ``"barnard_rubin"`` (default; Barnard & Rubin 1999, small-sample
        degrees of freedom) or ``"classic"`` (Rubin 1987). They agree when
        ``df_complete`` is infinite.
    df_complete
        Complete-data degrees of freedom ``nu_com`` of each estimate (a number
        or one per finding): ``df_resid`` for a t- or quasi-likelihood
        estimate, ``inf`` (default) for a large-sample (normal) one.
    nan_policy
        Missing estimates or variances (failed draws): ``"propagate"``
        (default; that finding's row is ``NaN``), ``"omit"`` (pool the
        imputations present; ``m`` counts them) or ``"raise"``.

    Returns
    -------
    pandas.DataFrame
        One row per finding, columns :data:`RUBIN_COLUMNS`:

        - ``finding``: the column name (or position).
        - ``estimate``: ``Q = mean(q_i)``.
        - ``std_error``: ``sqrt(total_variance)``.
        - ``statistic``: ``Q / std_error`` (test of ``H0: 0``).
        - ``df``: degrees of freedom of the reference t distribution.
        - ``p_value``: two-sided, ``2 * P(t_df > |statistic|)``.
        - ``ci_low``, ``ci_high``: ``Q -/+ t_{df, (1 + conf_level) / 2} * std_error``.
        - ``within_variance``: ``W = mean(u_i)``.
        - ``between_variance``: ``B = sum((q_i - Q)**2) / (m - 1)``.
        - ``total_variance``: ``T = W + (1 + 1/m) B``.
        - ``riv``: relative increase in variance ``r = (1 + 1/m) B / W``.
        - ``lambda``: share of the variance due to the imputations ``(1 + 1/m) B / T``.
        - ``fmi``: fraction of missing information ``(r + 2 / (df + 3)) / (1 + r)``.
        - ``m``: imputations pooled.
        - ``df_method``: the ``df_method`` argument.

    Raises
    ------
    ArgumentError
        Shapes that differ, negative variances, fewer than 2 imputations,
        missing values with ``nan_policy="raise"``, a bad option.

    Notes
    -----
    Degrees of freedom, with ``lambda`` as above:

    - classic (Rubin 1987, eq. 3.1.6): ``nu_old = (m - 1) / lambda**2``
      ``= (m - 1) (1 + 1/r)**2``;
    - Barnard & Rubin (1999): ``nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lambda)``
      and ``nu = 1 / (1/nu_old + 1/nu_obs)``, which never exceeds ``nu_com``
      and equals ``nu_old`` when ``nu_com`` is infinite (and ``nu_obs`` when
      ``B = 0``). The same formulas are used by R's ``mice::pool`` and SAS
      ``PROC MIANALYZE`` (``EDF=``).

    An infinite ``df`` is the normal reference distribution. A finding with
    ``T = 0`` has ``NaN`` statistic, p-value and interval.

    The rules assume the imputations are proper draws from a posterior
    predictive distribution of the missing values; draws from ranges that
    were not fitted to the data only approximate this.

    References
    ----------
    Rubin, D. B. (1987). Multiple Imputation for Nonresponse in Surveys,
    section 3.1. Wiley.
    Barnard, J. & Rubin, D. B. (1999). Small-sample degrees of freedom with
    multiple imputation. Biometrika 86(4), 948-955.
    van Buuren, S. (2018). Flexible Imputation of Missing Data, 2nd ed.,
    section 2.3. CRC Press.

    Examples
    --------
    The worked example of the IBM SPSS Amos 21 User's Guide (Arbuckle 2012,
    Example 31): ``m = 10``, within variance 0.0233, between variance 0.0085,
    estimate 1.172; the guide reports ``T = 0.0326``, ``t = 6.49`` and
    ``df = 109`` (Rubin 1987):

    >>> import numpy as np
    >>> dev = np.array([1, -1, 1, -1, 1, -1, 1, -1, 1, -1.0])
    >>> q = 1.172 + dev * np.sqrt(0.0085 * 9 / 10)  # mean 1.172, variance 0.0085
    >>> res = rubin_pool(q, np.full(10, 0.0233), df_method="classic")
    >>> res[["estimate", "std_error", "statistic", "df"]].round(4)
       estimate  std_error  statistic        df
    0     1.172     0.1807     6.4861  109.7452
    """
    check_fraction(conf_level, "conf_level")
    check_literal(df_method, PoolDf, "df_method")
    check_literal(nan_policy, NanPolicy, "nan_policy")
    findings: list[Any] | None = None
    if isinstance(estimates, pd.DataFrame):
        findings = list(estimates.columns)
    q = float_array(estimates, "estimates", (1, 2))
    u = float_array(variances, "variances", (1, 2))
    if q.shape != u.shape:
        raise ArgumentError(
            f"estimates and variances must have the same shape, got {q.shape} and {u.shape}"
        )
    if q.ndim == 1:
        q, u = q[:, None], u[:, None]
    m_all, K = q.shape
    if m_all < 2:
        raise ArgumentError(f"Rubin's rules need at least 2 imputations, got {m_all}")
    if (u < 0).any():
        raise ArgumentError("variances must be non-negative")
    try:
        nu_com = np.broadcast_to(np.asarray(df_complete, dtype=float), (K,)).astype(float)
    except ValueError as exc:
        msg = f"df_complete must be a number or one per finding ({K}): {exc}"
        raise ArgumentError(msg) from exc
    if not (nu_com > 0).all():
        raise ArgumentError(f"df_complete must be positive (inf allowed), got {df_complete!r}")

    present = ~(np.isnan(q) | np.isnan(u))
    if nan_policy == "raise" and not present.all():
        raise ArgumentError("estimates or variances have missing values (nan_policy='raise')")
    if nan_policy == "propagate":  # every imputation counts; a NaN makes the row NaN
        present = np.ones_like(present)
    m = present.sum(axis=0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        qbar = np.where(present, q, 0.0).sum(axis=0) / m
        within = np.where(present, u, 0.0).sum(axis=0) / m
        between = np.where(present, (q - qbar) ** 2, 0.0).sum(axis=0) / (m - 1)
        between = np.where(m >= 2, between, np.nan)
        inflated = (1.0 + 1.0 / m) * between
        total = within + inflated
        riv = inflated / within
        lam = inflated / total
        nu_old = (m - 1.0) / lam**2
        if df_method == "classic":
            nu = nu_old
        else:
            nu_obs = np.where(
                np.isinf(nu_com), np.inf, (nu_com + 1.0) / (nu_com + 3.0) * nu_com * (1.0 - lam)
            )
            nu = 1.0 / (1.0 / nu_old + 1.0 / nu_obs)
        fmi = (riv + 2.0 / (nu + 3.0)) / (1.0 + riv)
        se = np.sqrt(total)
        usable = total > 0
        statistic = np.where(usable, qbar / se, np.nan)
        p_value = np.where(usable, 2.0 * stats.t.sf(np.abs(statistic), nu), np.nan)
        half = np.where(usable, stats.t.ppf(0.5 + conf_level / 2.0, nu) * se, np.nan)
    return pd.DataFrame(
        {
            "finding": findings if findings is not None else np.arange(K),
            "estimate": qbar,
            "std_error": se,
            "statistic": statistic,
            "df": nu,
            "p_value": p_value,
            "ci_low": qbar - half,
            "ci_high": qbar + half,
            "within_variance": within,
            "between_variance": between,
            "total_variance": total,
            "riv": riv,
            "lambda": lam,
            "fmi": fmi,
            "m": m.astype(np.int64),
            "df_method": df_method,
        },
        columns=list(RUBIN_COLUMNS),
    )
