"""Block resampling of lagged correlations, vectorised across resamples and lags.

Used by :func:`cftf_analysis.stats.crosscorr.cross_correlation` (not public API):

- :func:`block_counts` and :func:`block_permutations` draw a batch of circular
  block-bootstrap resamples (as counts of each time point) or of block
  permutations (as index arrays);
- :class:`_BootstrapEngine` and :class:`_PermutationEngine` turn one batch into
  the resampled correlations at every lag with one or two matrix products of a
  (resamples x time) matrix with a (time x lags) matrix.

Batches hold :data:`_CHUNK` resamples.
"""

from __future__ import annotations

import numpy as np

__all__ = ["block_counts", "block_permutations"]

_CHUNK = 256  # resamples per batch; small batches keep BLAS single-threaded and in cache


def _pearson(m, sa, sb, saa, sbb, sab):
    """Correlations from pair counts and sums (arrays of equal shape)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sab - sa * sb / m
        var = (saa - sa * sa / m) * (sbb - sb * sb / m)
        r = cov / np.sqrt(var)
    return np.where((m >= 2) & (var > 1e-12 * m * m), r, np.nan)


def _standardise(v: np.ndarray) -> np.ndarray:
    """Centre and scale ``v`` by its mean and standard deviation, ignoring ``NaN``."""
    return (v - np.nanmean(v)) / np.nanstd(v)


def block_counts(rng: np.random.Generator, n: int, size: int, block_length: int) -> np.ndarray:
    """Circular block bootstrap as counts: ``C[r, t]`` = times time point ``t`` is drawn."""
    n_blocks = -(-n // block_length)
    starts = rng.integers(0, n, size=(size, n_blocks))
    idx = (starts[:, :, None] + np.arange(block_length)) % n
    idx = idx.reshape(size, -1)[:, :n] + (np.arange(size) * n)[:, None]
    return np.bincount(idx.ravel(), minlength=size * n).reshape(size, n).astype(float)


def block_permutations(
    rng: np.random.Generator, n: int, size: int, block_length: int
) -> np.ndarray:
    """Index arrays ``(size, n)`` that shuffle consecutive blocks of ``block_length``."""
    n_blocks = -(-n // block_length)
    order = np.argsort(rng.random((size, n_blocks)), axis=1)
    if block_length == 1:
        return order
    idx = order[:, :, None] * block_length + np.arange(block_length)
    if n % block_length == 0:
        return idx.reshape(size, n)
    return idx[idx < n].reshape(size, n)


class _BootstrapEngine:
    """r*[r, k] from time-point counts C with one product C @ M.

    ``M`` (n x 6L) holds, for every lag k and time t, the pair indicator and
    the pair's a, b, a^2, b^2 and a*b (zero where the pair is incomplete), so
    ``C @ M`` gives every resample's pair count and five sums at every lag.
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, lags: np.ndarray) -> None:
        n = a.size
        t = np.arange(n)[:, None]
        idx = t + lags[None, :]
        inside = (idx >= 0) & (idx < n)
        bk = np.where(inside, b[np.clip(idx, 0, n - 1)], np.nan)
        ak = np.broadcast_to(a[:, None], bk.shape)
        ok = np.isfinite(ak) & np.isfinite(bk)
        a0, b0 = np.where(ok, ak, 0.0), np.where(ok, bk, 0.0)
        self.n_lags = lags.size
        self.matrix = np.hstack([ok.astype(float), a0, b0, a0 * a0, b0 * b0, a0 * b0])

    def __call__(self, counts: np.ndarray) -> np.ndarray:
        sums = counts @ self.matrix
        return _pearson(*np.split(sums, 6, axis=1))


class _PermutationEngine:
    """r*[r, k] for permuted b: ``B* @ [Alag | V]`` with ``Alag[s, k] = a_{s-k}``.

    ``V[s, k]`` marks the positions ``s`` that pair with a present ``a_{s-k}``.
    With no missing values the pair count and the sums over a are fixed, so
    two thin matrix products give the rest: ``B* @ [Alag | V]`` (cross sums
    and sums of b*) and ``B*^2 @ V`` (sums of b*^2). Missing values in b move
    with the permutation and need three more products.
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, lags: np.ndarray) -> None:
        n = a.size
        s = np.arange(n)[:, None]
        idx = s - lags[None, :]
        inside = (idx >= 0) & (idx < n)
        ak = np.where(inside, a[np.clip(idx, 0, n - 1)], np.nan)
        ok = np.isfinite(ak)
        self.a_lag = np.where(ok, ak, 0.0)
        self.a2_lag = self.a_lag**2
        self.valid = ok.astype(float)
        self.right = np.hstack([self.a_lag, self.valid])
        self.b = b
        self.n_lags = lags.size
        self.complete = bool(np.isfinite(b).all())
        self.m = self.valid.sum(axis=0)
        self.mean_a = self.a_lag.sum(axis=0) / self.m
        self.ss_a = self.a2_lag.sum(axis=0) - self.m * self.mean_a**2

    def __call__(self, perms: np.ndarray) -> np.ndarray:
        bs = self.b[perms]
        if self.complete:
            sums = bs @ self.right
            sab, sb = sums[:, : self.n_lags], sums[:, self.n_lags :]
            sbb = (bs * bs) @ self.valid
            cov = sab - sb * self.mean_a
            ss_b = sbb - sb * sb / self.m
            with np.errstate(invalid="ignore", divide="ignore"):
                r = cov / np.sqrt(ss_b * self.ss_a)
            return np.where(ss_b > 1e-12 * self.m, r, np.nan)
        present = np.isfinite(bs)
        b0 = np.where(present, bs, 0.0)
        pf = present.astype(float)
        return _pearson(
            pf @ self.valid,
            pf @ self.a_lag,
            b0 @ self.valid,
            pf @ self.a2_lag,
            (b0 * b0) @ self.valid,
            b0 @ self.a_lag,
        )
