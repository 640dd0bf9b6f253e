"""Simulated series with a known answer, for calibration, power and tests.

:func:`ar1_with_trend` draws independent AR(1) series around a linear trend,
the null model shared by the tests, the calibration script
(``validation/calibrate_crosscorr_granger.py``) and the benchmark
(``benchmarks/bench_crosscorr.py``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ar1_with_trend"]


def ar1_with_trend(
    n: int,
    *,
    phi: float,
    slope: float = 0.0,
    rng: np.random.Generator,
    burn_in: int = 100,
    size: int | None = None,
) -> np.ndarray:
    """Simulate ``slope * t + u_t`` with ``u_t = phi * u_{t-1} + e_t``, ``e_t ~ N(0, 1)``.

    The AR(1) part starts ``burn_in`` steps before ``t = 0`` so it is close to
    stationary. With ``size`` the result is a ``(size, n)`` array of
    independent replicates (``slope`` may then be an array of ``size`` slopes).

    Examples
    --------
    >>> ar1_with_trend(5, phi=0.5, slope=1.0, rng=np.random.default_rng(0)).shape
    (5,)
    >>> ar1_with_trend(60, phi=0.6, rng=np.random.default_rng(0), size=3).shape
    (3, 60)
    """
    reps = 1 if size is None else size
    e = rng.normal(size=(reps, n + burn_in))
    u = np.empty_like(e)
    u[:, 0] = e[:, 0]
    for t in range(1, n + burn_in):
        u[:, t] = phi * u[:, t - 1] + e[:, t]
    out = u[:, burn_in:] + np.multiply.outer(np.atleast_1d(slope), np.arange(n)).reshape(-1, n)
    return out[0] if size is None else out
