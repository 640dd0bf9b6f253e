"""Exact segmentation by dynamic programming, and resampling under "no break".

The engine of :func:`cftf_analysis.stats.changepoints.change_points` (the
formulas are in its Notes):

- segmentation: :func:`segment_costs` (the cost of every segment, Gaussian
  mean-shift or Poisson, for a batch of series), :func:`optimal_partition` (Bellman's
  recursion over all break positions), :func:`backtrack` (break positions of
  the optimum), :func:`break_statistic` (sup-F, likelihood-ratio or penalised
  statistic) and :func:`noise_scale` (robust noise SD from first differences);
- resampling: :func:`block_permutation_indices` (permutations of blocks of
  consecutive values), :func:`ar1_null` and :func:`ar1_paths` (AR(1) residual
  bootstrap), and :func:`resampled_p_value`, which reruns the whole search on
  batches of resampled series (:data:`_CHUNK_CELLS` cost cells per batch).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "ar1_null",
    "ar1_paths",
    "backtrack",
    "block_permutation_indices",
    "break_statistic",
    "noise_scale",
    "optimal_partition",
    "resampled_p_value",
    "segment_costs",
]

_AR1_BURN_IN = 100
_CHUNK_CELLS = 2_000_000  # cells of the (resamples, n + 1, n + 1) cost tensor per chunk


def segment_costs(Y: np.ndarray, model: str, min_size: int) -> np.ndarray:
    """Cost tensor ``C[b, i, j]`` of ``Y[b, i:j]``; ``inf`` for segments shorter than min_size."""
    B, n = Y.shape
    centred = Y - Y.mean(axis=1, keepdims=True) if model == "mean" else Y
    s1 = np.concatenate([np.zeros((B, 1)), np.cumsum(centred, axis=1)], axis=1)
    length = np.arange(n + 1)[None, :] - np.arange(n + 1)[:, None]
    valid = length >= min_size
    m = np.where(valid, length, 1).astype(float)
    seg_sum = s1[:, None, :] - s1[:, :, None]
    if model == "mean":
        s2 = np.concatenate([np.zeros((B, 1)), np.cumsum(centred**2, axis=1)], axis=1)
        cost = np.maximum(s2[:, None, :] - s2[:, :, None] - seg_sum**2 / m, 0.0)
    else:
        seg_sum = np.maximum(seg_sum, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_term = np.where(seg_sum > 0, seg_sum * np.log(seg_sum / m), 0.0)
        cost = 2.0 * (seg_sum - log_term)
    return np.where(valid[None, :, :], cost, np.inf)


def optimal_partition(
    costs: np.ndarray, k_max: int, *, keep_args: bool = True
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Bellman recursion; ``totals[k, b, j]`` = best cost of ``Y[b, :j]`` in ``k + 1`` segments."""
    current = costs[:, 0, :]
    totals, argmins = [current], []
    for _ in range(k_max):
        candidate = current[:, :, None] + costs
        arg = np.argmin(candidate, axis=1)
        current = np.take_along_axis(candidate, arg[:, None, :], axis=1)[:, 0, :]
        totals.append(current)
        if keep_args:
            argmins.append(arg)
    return np.stack(totals), argmins


def backtrack(argmins: list[np.ndarray], k: int, n: int) -> list[int]:
    positions, end = [], n
    for level in range(k, 0, -1):
        end = int(argmins[level - 1][0, end])
        positions.append(end)
    return sorted(positions)


def break_statistic(
    final: np.ndarray, scale: Any, n: int, n_breaks: int | None, pen_value: float, model: str
) -> np.ndarray:
    """Test statistic per row of ``final`` (``final[b, k]`` = best cost with k breaks)."""
    cost0 = final[:, 0]
    if n_breaks is not None:
        cost_k = final[:, n_breaks]
        if model == "poisson":
            return cost0 - cost_k
        with np.errstate(divide="ignore", invalid="ignore"):
            return ((cost0 - cost_k) / n_breaks) / (cost_k / (n - n_breaks - 1))
    scale = np.asarray(scale, dtype=float).reshape(-1, 1)
    gains = (cost0[:, None] - final) / scale**2 - pen_value * np.arange(final.shape[1])[None, :]
    return np.maximum(gains.max(axis=1), 0.0)


def noise_scale(Y: np.ndarray) -> np.ndarray:
    """Robust noise SD per row from first differences: 1.4826 * MAD(diff) / sqrt(2)."""
    d = np.diff(Y, axis=1)
    mad = np.median(np.abs(d - np.median(d, axis=1, keepdims=True)), axis=1)
    scale = 1.4826 * mad / math.sqrt(2.0)
    fallback = np.std(d, axis=1, ddof=1) / math.sqrt(2.0) if d.shape[1] > 1 else np.zeros(len(Y))
    return np.where(scale > 0, scale, fallback)


def block_permutation_indices(
    n: int, block_size: int, count: int, rng: np.random.Generator
) -> np.ndarray:
    """``count`` index permutations of ``range(n)`` that keep blocks of consecutive values."""
    if block_size == 1:
        return np.argsort(rng.random((count, n)), axis=1)
    blocks = [np.arange(s, min(s + block_size, n)) for s in range(0, n, block_size)]
    orders = np.argsort(rng.random((count, len(blocks))), axis=1)
    return np.stack([np.concatenate([blocks[j] for j in order]) for order in orders])


def ar1_null(y: np.ndarray, one_break: list[int]) -> tuple[float, np.ndarray]:
    """Bias-corrected AR(1) coefficient and centred innovations of one-break residuals."""
    n = y.size
    cut = one_break[0]
    resid = y - np.r_[np.full(cut, y[:cut].mean()), np.full(n - cut, y[cut:].mean())]
    denom = float(np.sum(resid[:-1] ** 2))
    phi = float(np.sum(resid[1:] * resid[:-1]) / denom) if denom > 0 else 0.0
    phi = float(np.clip(phi + (1 + 3 * phi) / n + 1 / n, -0.95, 0.95))
    innovations = resid[1:] - phi * resid[:-1]
    return phi, innovations - innovations.mean()


def ar1_paths(
    phi: float, innovations: np.ndarray, n: int, count: int, rng: np.random.Generator
) -> np.ndarray:
    """``count`` AR(1) paths of length ``n`` driven by resampled innovations."""
    draws = innovations[rng.integers(0, innovations.size, size=(count, n + _AR1_BURN_IN))]
    paths = np.zeros_like(draws)
    for t in range(1, n + _AR1_BURN_IN):
        paths[:, t] = phi * paths[:, t - 1] + draws[:, t]
    return paths[:, _AR1_BURN_IN:]


def resampled_p_value(
    y: np.ndarray,
    stat: float,
    argmins: list[np.ndarray],
    *,
    model: str,
    min_size: int,
    k_max: int,
    n_breaks: int | None,
    pen_value: float,
    n_resamples: int,
    resampling: str,
    block_size: int,
    seed: int | np.random.Generator | None,
) -> tuple[float, float]:
    """P-value ``(1 + #{T* >= T}) / (n_resamples + 1)`` and the AR(1) coefficient used.

    Each ``T*`` reruns the search (and the choice of ``K`` and ``sigma``) on a
    series resampled under "no break"; ``argmins`` are those of the observed
    series (its best one-break fit drives the AR(1) bootstrap). The coefficient
    is NaN for permutation.
    """
    n = y.size
    phi = math.nan
    rng = np.random.default_rng(seed)
    if resampling == "ar1_bootstrap":
        phi, innovations = ar1_null(y, backtrack(argmins, 1, n))
    exceed = 0
    chunk = max(1, _CHUNK_CELLS // (n + 1) ** 2)
    done = 0
    while done < n_resamples:
        b = min(chunk, n_resamples - done)
        if resampling == "ar1_bootstrap":
            Y = y.mean() + ar1_paths(phi, innovations, n, b, rng)
        else:
            Y = y[block_permutation_indices(n, block_size, b, rng)]
        scales = noise_scale(Y) if model == "mean" else np.ones(b)
        tot, _ = optimal_partition(segment_costs(Y, model, min_size), k_max, keep_args=False)
        stars = break_statistic(tot[:, :, n].T, scales, n, n_breaks, pen_value, model)
        exceed += int(np.sum(stars >= stat - 1e-9 * max(1.0, abs(stat))))
        done += b
    return (1 + exceed) / (n_resamples + 1), phi
