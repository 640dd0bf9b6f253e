"""Speed of cross_correlation's resampling methods against scipy and the arithmetic floor.

Case from the issue: n = 60 months, max_lag = 12 (25 lags), 10,000 resamples.

Measured in one run, on the same prewhitened series:

1. ``cross_correlation(method="permutation")`` and ``method="block_bootstrap"``, end to end;
2. their parts: drawing the resample indices, and the vectorised engine (matrix products
   over all resamples and lags at once);
3. the baseline: ``scipy.stats.permutation_test(..., vectorized=True, n_resamples=10000)``
   called once per lag on the (x_t, y_{t+k}) pairs of that lag;
4. the arithmetic floor: one multiply-add per (resample, lag, pair), i.e. R * sum_k n_k,
   and what a bare BLAS matrix product of that size costs on this machine.

Usage: ``python benchmarks/bench_crosscorr.py [--out PATH] [--repeats 7]``; writes
``benchmarks/results/crosscorr.md`` by default. ``main()`` returns the numbers as a dict.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy
from scipy import stats

from cftf_analysis.stats import crosscorr
from cftf_analysis.stats.crosscorr import cross_correlation
from cftf_analysis.stats.simulate import ar1_with_trend

N, MAX_LAG, R, SEED = 60, 12, 10_000, 20160418
RESULTS = Path(__file__).parent / "results" / "crosscorr.md"


def best_of(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(minimum, median) wall time in seconds over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


def pearson_along(u: np.ndarray, v: np.ndarray, axis: int) -> np.ndarray:
    """Vectorised Pearson correlation for scipy.stats.permutation_test."""
    u = u - u.mean(axis=axis, keepdims=True)
    v = v - v.mean(axis=axis, keepdims=True)
    return (u * v).sum(axis=axis) / np.sqrt((u * u).sum(axis=axis) * (v * v).sum(axis=axis))


def main(out: Path = RESULTS, repeats: int = 7) -> dict[str, float]:
    rng = np.random.default_rng(SEED)
    x = ar1_with_trend(N, phi=0.6, slope=0.05, rng=rng)
    y = ar1_with_trend(N, phi=0.6, slope=-0.03, rng=rng)
    lags = np.arange(-MAX_LAG, MAX_LAG + 1)
    a, b, _ = crosscorr._prepare(x, y, "linear", True, None, None)
    n = a.size
    _, n_pairs = crosscorr._observed(a, b, lags)
    macs = R * int(n_pairs.sum())  # one multiply-add per (resample, lag, pair)
    bl = cross_correlation(x, y, max_lag=MAX_LAG, method="permutation", n_resamples=9)
    bl = bl.attrs["block_length"]  # the default used below (1 for prewhitened series)
    r = {"n_analysed": n, "lags": lags.size, "resamples": R, "block_length": bl, "macs": macs}

    # end to end
    for method in ("permutation", "block_bootstrap"):
        r[f"{method}_total_s"], r[f"{method}_total_median_s"] = best_of(
            lambda m=method: cross_correlation(
                x, y, max_lag=MAX_LAG, method=m, n_resamples=R, seed=1
            ),
            repeats,
        )
    r["normal_total_s"], _ = best_of(lambda: cross_correlation(x, y, max_lag=MAX_LAG), repeats)

    # parts, in the package's batches of crosscorr._CHUNK resamples
    sa, sb = crosscorr._standardise(a), crosscorr._standardise(b)
    perm_engine = crosscorr._PermutationEngine(sa, sb, lags)
    gen = np.random.default_rng(2)
    chunks = [min(crosscorr._CHUNK, R - s) for s in range(0, R, crosscorr._CHUNK)]
    r["chunk"] = crosscorr._CHUNK

    def batched(fn: Callable[[int], object]) -> Callable[[], None]:
        return lambda: [fn(size) for size in chunks]

    r["draw_permutations_s"], _ = best_of(
        batched(lambda k: crosscorr.block_permutations(gen, n, k, bl)), repeats
    )
    r["draw_counts_s"], _ = best_of(
        batched(lambda k: crosscorr.block_counts(gen, n, k, bl)), repeats
    )
    boot_engine = crosscorr._BootstrapEngine(sa, sb, lags)
    perm_batches = [crosscorr.block_permutations(gen, n, k, bl) for k in chunks]
    count_batches = [crosscorr.block_counts(gen, n, k, bl) for k in chunks]
    r["permutation_engine_s"], _ = best_of(lambda: [perm_engine(p) for p in perm_batches], repeats)
    r["block_bootstrap_engine_s"], _ = best_of(
        lambda: [boot_engine(c) for c in count_batches], repeats
    )
    permuted = sb[crosscorr.block_permutations(gen, n, R, bl)]
    batches = [permuted[s : s + crosscorr._CHUNK] for s in range(0, R, crosscorr._CHUNK)]
    r["gemm_floor_s"], _ = best_of(lambda: permuted @ perm_engine.a_lag, repeats)
    r["gemm_floor_batched_s"], _ = best_of(
        lambda: [batch @ perm_engine.a_lag for batch in batches], repeats
    )
    big = gen.normal(size=(1500, 1500))
    t_big, _ = best_of(lambda: big @ big, 3)
    r["blas_peak_gflops"] = 2 * 1500**3 / t_big / 1e9

    # scipy baseline: one permutation_test per lag (iid pairings, vectorised)
    def scipy_all_lags() -> list[float]:
        pvals = []
        for k in lags:
            t = np.arange(max(0, -k), min(n, n - k))
            res = stats.permutation_test(
                (a[t], b[t + k]),
                pearson_along,
                permutation_type="pairings",
                vectorized=True,
                n_resamples=R,
                rng=np.random.default_rng(3),
            )
            pvals.append(res.pvalue)
        return pvals

    r["scipy_total_s"], r["scipy_total_median_s"] = best_of(scipy_all_lags, max(2, repeats // 3))
    scipy_p = np.array(scipy_all_lags())
    ours_iid = cross_correlation(
        x, y, max_lag=MAX_LAG, method="permutation", n_resamples=R, block_length=1, seed=4
    )
    r["max_abs_p_difference_iid"] = float(np.abs(ours_iid["p_value"].to_numpy() - scipy_p).max())
    r["speedup_vs_scipy"] = r["scipy_total_s"] / r["permutation_total_s"]
    r["speedup_vs_scipy_median"] = r["scipy_total_median_s"] / r["permutation_total_median_s"]
    for key in [k for k in r if k.endswith("_s")]:
        r[key.removesuffix("_s") + "_ns_per_mac"] = r[key] / macs * 1e9
    write_report(out, r)
    return r


def write_report(out: Path, r: dict[str, float]) -> None:
    load = os.getloadavg()
    ms = {k: v * 1e3 for k, v in r.items() if k.endswith("_s")}
    lines = [
        "# Benchmark: cross_correlation resampling",
        "",
        "Generated by `benchmarks/bench_crosscorr.py` (numbers change from run to run).",
        "",
        f"- Machine: {platform.machine()}, {os.cpu_count()} logical cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}.",
        f"- Load average during the run: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        "(1/5/15 min); a load near or above the number of cores means other jobs shared "
        "them, so times are noisy; each figure is the best of several runs.",
        f"- Case: n = {N} months (x and y prewhitened with an AR filter: "
        f"{r['n_analysed']} analysed points), {r['lags']} lags (max_lag = {MAX_LAG}), "
        f"{r['resamples']:,} resamples, block length {r['block_length']}.",
        f"- Arithmetic floor: one multiply-add per (resample, lag, pair) = "
        f"{r['macs']:,} multiply-adds.",
        "",
        "| what | time (ms) | ns per floor multiply-add | GFLOP/s at the floor |",
        "| --- | ---: | ---: | ---: |",
    ]
    rows = [
        ("cross_correlation(method='permutation'), end to end", "permutation_total_s"),
        ("  of which: drawing 10,000 block permutations", "draw_permutations_s"),
        ("  of which: permutation engine (2 thin GEMMs + Pearson)", "permutation_engine_s"),
        ("cross_correlation(method='block_bootstrap'), end to end", "block_bootstrap_total_s"),
        ("  of which: drawing 10,000 circular block resamples", "draw_counts_s"),
        ("  of which: bootstrap engine (1 GEMM, 6 sums per lag)", "block_bootstrap_engine_s"),
        ("cross_correlation(method='normal'), end to end", "normal_total_s"),
        ("floor: bare BLAS product (10,000 x n) @ (n x 25), one call", "gemm_floor_s"),
        ("floor: the same product in the package's batches", "gemm_floor_batched_s"),
        ("scipy.stats.permutation_test once per lag (25 calls)", "scipy_total_s"),
    ]
    for label, key in rows:
        t = r[key]
        ns = t / r["macs"] * 1e9
        gflops = 2 * r["macs"] / t / 1e9
        lines.append(f"| {label} | {ms[key]:.1f} | {ns:.2f} | {gflops:.2f} |")
    floor = r["gemm_floor_batched_s"]
    lines += [
        "",
        f"- Speed-up of `method='permutation'` over per-lag scipy: "
        f"**{r['speedup_vs_scipy']:.0f}x** on the best runs "
        f"({r['speedup_vs_scipy_median']:.0f}x on medians: scipy "
        f"{ms['scipy_total_median_s']:.0f} ms, ours {ms['permutation_total_median_s']:.1f} ms).",
        f"- Distance from the floor: end to end the permutation method takes "
        f"{r['permutation_total_s'] / floor:.0f}x the time of the bare batched matrix product "
        f"({r['permutation_engine_s'] / floor:.0f}x for the engine alone, which also forms the "
        "sums of b* and b*^2 and the correlations). The remaining time is numpy element-wise "
        "work on (batch x lags) arrays and drawing the permutations, not arithmetic in the "
        "product. This machine's BLAS reaches "
        f"{r['blas_peak_gflops']:.0f} GFLOP/s on a 1500 x 1500 product.",
        f"- Batches of {r['chunk']} resamples: one call on all 10,000 resamples lets OpenBLAS "
        "use both threads, and with other jobs on the 2 cores its threads wait for each other "
        "(measured medians of 40-150 ms instead of ~15 ms); small batches stay single-threaded "
        "and in cache.",
        "- Same null check: with block_length = 1 (iid pairings, scipy's null) the largest "
        f"difference between our and scipy's p-values over the 25 lags is "
        f"{r['max_abs_p_difference_iid']:.4f} (each p-value near 0.5 has Monte Carlo SE 0.005 "
        "with 10,000 resamples, so a difference of two has SE 0.007).",
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    result = main(args.out, args.repeats)
    print(args.out.read_text())
