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
  batches of resampled series (:data:`_CHUNK_CELLS` cost cells per batch);
- each break on its own: :func:`selected_breaks` (the search's breaks for a
  batch of series; :func:`penalised_partition` is its one-pass optimal
  partitioning), :func:`split_gain` (the drop in cost from the best single
  split) and :func:`selective_break_p_value` (permute the window between a
  break's neighbours, keep the series in which the search selects the same
  neighbours).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "BreakTest",
    "ar1_null",
    "ar1_paths",
    "backtrack",
    "block_permutation_indices",
    "break_statistic",
    "noise_scale",
    "optimal_partition",
    "penalised_partition",
    "resampled_p_value",
    "segment_costs",
    "selected_breaks",
    "selective_break_p_value",
    "split_gain",
]

_AR1_BURN_IN = 100
_CHUNK_CELLS = 2_000_000  # cells of the (resamples, n + 1, n + 1) cost tensor per chunk
_STOP_EXCEEDANCES = 20  # Besag-Clifford: stop a per-break test at this many exceedances
_FIRST_CHUNK = 64  # permutations in the first batch of a per-break test


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


def selected_breaks(
    Y: np.ndarray,
    *,
    model: str,
    min_size: int,
    k_max: int,
    n_breaks: int | None,
    pen_value: float,
    levels: bool = False,
) -> np.ndarray:
    """Break indicators ``(B, n + 1)`` of the segmentation the search selects for each row of Y.

    The same search as ``change_points``: ``n_breaks`` breaks, or the number
    minimising cost plus ``pen_value`` per break (with ``sigma`` re-estimated
    per row for the Gaussian cost). When every feasible number of breaks is
    allowed (``k_max = n // min_size - 1``) and ``levels`` is False, the
    penalised optimum is found by optimal partitioning
    (:func:`penalised_partition`, one pass instead of one per number of
    breaks; Jackson et al. 2005), which has the same minimum; otherwise by the
    Bellman recursion over numbers of breaks (:func:`optimal_partition`). The
    two can differ only between segmentations with equal penalised cost.
    """
    B, n = Y.shape
    if n_breaks is None and not levels and k_max >= n // min_size - 1:
        return penalised_partition(Y, model=model, min_size=min_size, pen_value=pen_value)
    costs = segment_costs(Y, model, min_size)
    k_lim = k_max if n_breaks is None else n_breaks
    totals, argmins = optimal_partition(costs, k_lim)
    final = totals[:, :, n].T
    if n_breaks is not None:
        ks = np.full(B, n_breaks)
    else:
        scale = noise_scale(Y) if model == "mean" else np.ones(B)
        ks = np.argmin(final / scale[:, None] ** 2 + pen_value * np.arange(k_lim + 1), axis=1)
    flags = np.zeros((B, n + 1), dtype=bool)
    if k_lim == 0:
        return flags
    stacked = np.stack(argmins)  # (k_lim, B, n + 1)
    rows = np.arange(B)
    end = np.full(B, n)
    for step in range(int(ks.max())):
        level = ks - step
        active = level >= 1
        prev = stacked[np.maximum(level - 1, 0), rows, end]
        end = np.where(active, prev, end)
        flags[rows[active], end[active]] = True
    return flags


def penalised_partition(
    Y: np.ndarray, *, model: str, min_size: int, pen_value: float
) -> np.ndarray:
    """Break indicators ``(B, n + 1)`` minimising cost / sigma^2 + pen_value per break, per row.

    Optimal partitioning (Jackson et al. 2005): ``F(j) = min_i F(i) + C(i, j)
    / sigma^2 + pen`` with ``F(0) = -pen``, the segment costs of
    :func:`segment_costs` computed column by column, so memory and time grow
    as ``n^2`` per series rather than ``n^2`` per number of breaks.
    """
    B, n = Y.shape
    if model == "mean":
        centred = Y - Y.mean(axis=1, keepdims=True)
        inv = 1.0 / noise_scale(Y)[:, None] ** 2
        s2 = np.concatenate([np.zeros((B, 1)), np.cumsum(centred**2, axis=1)], axis=1)
    else:
        centred = Y
    s1 = np.concatenate([np.zeros((B, 1)), np.cumsum(centred, axis=1)], axis=1)
    F = np.full((B, n + 1), np.inf)
    F[:, 0] = -pen_value
    last = np.zeros((B, n + 1), dtype=np.intp)
    rows = np.arange(B)
    lengths = np.arange(n, 0, -1, dtype=float)  # lengths[n - j + i] = j - i
    for j in range(min_size, n + 1):
        k = j - min_size + 1  # segment starts 0 .. j - min_size
        m = lengths[n - j : n - j + k]
        seg_sum = s1[:, j : j + 1] - s1[:, :k]
        if model == "mean":
            cost = seg_sum * seg_sum
            cost /= m
            np.subtract(s2[:, j : j + 1] - s2[:, :k], cost, out=cost)
            np.maximum(cost, 0.0, out=cost)
            cost *= inv
        else:
            np.maximum(seg_sum, 0.0, out=seg_sum)
            with np.errstate(divide="ignore", invalid="ignore"):
                log_term = seg_sum * np.log(seg_sum / m)
            log_term[seg_sum == 0] = 0.0
            cost = 2.0 * (seg_sum - log_term)
        cost += F[:, :k]
        arg = np.argmin(cost, axis=1)
        F[:, j] = cost[rows, arg] + pen_value
        last[:, j] = arg
    flags = np.zeros((B, n + 1), dtype=bool)
    end = np.full(B, n)
    for _ in range(n // min_size):
        prev = last[rows, end]
        inner = prev > 0
        if not inner.any():
            break
        flags[rows[inner], prev[inner]] = True
        end = np.where(inner, prev, 0)
    return flags


def split_gain(W: np.ndarray, model: str, min_size: int) -> np.ndarray:
    """Per row of ``W``, the drop in cost from its best split into two segments (one break)."""
    m = W.shape[1]
    costs = segment_costs(W, model, min_size)
    cuts = np.arange(min_size, m - min_size + 1)
    return costs[:, 0, m] - (costs[:, 0, cuts] + costs[:, cuts, m]).min(axis=1)


class BreakTest(NamedTuple):
    """Result of :func:`selective_break_p_value`."""

    statistic: float  #: drop in cost from the best split of the window (unscaled)
    p_value: float  #: selective permutation p-value
    n_selected: int  #: permutations kept (the search selected the same window)
    n_permutations: int  #: permutations drawn


def selective_break_p_value(
    y: np.ndarray,
    left: int,
    right: int,
    *,
    model: str,
    min_size: int,
    k_max: int,
    n_breaks: int | None,
    pen_value: float,
    n_selected: int,
    max_draws: int,
    rng: np.random.Generator,
    stop_exceedances: int | None = _STOP_EXCEEDANCES,
) -> BreakTest:
    """Selective permutation p-value of "no break in ``y[left:right]``".

    ``left`` and ``right`` are the neighbours of the tested break (0 and ``n``
    at the ends of the series). Values inside the window are permuted, those
    outside kept; the whole search (:func:`selected_breaks`) is rerun on each
    permuted series, and only the series for which it again selects ``left``
    and ``right`` as breaks with exactly one break between them are kept (the
    event that made this window a tested hypothesis). The statistic is
    :func:`split_gain` of the window. Draws stop after ``n_selected`` kept
    series, after ``stop_exceedances`` kept series at least as extreme as the
    observed one (Besag & Clifford 1991; ``None``: never), or after
    ``max_draws`` draws.

    Returns
    -------
    BreakTest
        The observed statistic, the p-value (``h / L`` when stopped at the
        ``h``-th exceedance among ``L`` kept series, else ``(1 + exceedances)
        / (1 + kept)``), and the numbers of kept and drawn permutations.
    """
    n = y.size
    width = right - left
    gain = float(split_gain(y[None, left:right], model, min_size)[0])
    tol = 1e-9 * max(1.0, abs(gain))
    search = {
        "model": model, "min_size": min_size, "k_max": k_max, "n_breaks": n_breaks,
        "pen_value": pen_value, "levels": False,
    }  # fmt: skip

    def same_window(flags: np.ndarray) -> np.ndarray:
        ok = flags[:, left + 1 : right].sum(axis=1) == 1
        if left > 0:
            ok &= flags[:, left]
        if right < n:
            ok &= flags[:, right]
        return ok

    if not same_window(selected_breaks(y[None, :], **search))[0]:
        # optimal partitioning broke a tie differently from the recursion over the number
        # of breaks that chose this window: use the recursion, as for the observed series
        search["levels"] = True
    stop = n_selected + 1 if stop_exceedances is None else stop_exceedances
    kept = exceed = drawn = 0
    chunk = _FIRST_CHUNK  # doubled each round, so that an early stop wastes little
    while kept < n_selected and drawn < max_draws:
        b = min(chunk, max_draws - drawn)
        chunk = min(2 * chunk, max(_FIRST_CHUNK, _CHUNK_CELLS // (n + 1)))
        Y = np.repeat(y[None, :], b, axis=0)
        Y[:, left:right] = y[left + np.argsort(rng.random((b, width)), axis=1)]
        ok = same_window(selected_breaks(Y, **search))
        hits = split_gain(Y[ok, left:right], model, min_size) >= gain - tol
        # walk the kept draws in order so that the stopping rules are exact
        room = n_selected - kept
        cum = np.cumsum(hits)
        stop_h = np.searchsorted(cum, stop - exceed) + 1  # draws up to the h-th hit
        take = int(min(hits.size, room, stop_h))
        kept += take
        exceed += int(cum[take - 1]) if take else 0
        done = kept >= n_selected or exceed >= stop
        # when a rule stops inside this chunk, count the draws up to the last kept one used
        drawn += int(np.flatnonzero(ok)[take - 1]) + 1 if done else b
        if exceed >= stop:
            return BreakTest(gain, exceed / kept, kept, drawn)
    return BreakTest(gain, (1 + exceed) / (1 + kept), kept, drawn)
