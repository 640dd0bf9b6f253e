"""Benchmark: ``sensitivity`` with 1,000 draws of the count model on the bundled data.

Times the same analysis the report runs (rate ratio of monthly reports per
10,000 km2 of territory, Poisson GLM with trend and HAC errors) and writes
``benchmarks/results/sensitivity.md``.

Run: ``.venv/bin/python benchmarks/bench_sensitivity.py [N_DRAWS]``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import cftf_analysis as cftf
from cftf_analysis.stats.steps import count_model_analysis

HERE = Path(__file__).resolve().parent


def main(n_draws: int = 1000) -> None:
    reports, indicators = cftf.load_reports(), cftf.load_indicators()
    analysis = count_model_analysis("territory", 0)
    analysis(cftf.monthly_panel(reports, indicators))  # warm up imports
    t0 = time.perf_counter()
    res = cftf.sensitivity(
        analysis, reports=reports, indicators=indicators, n_draws=n_draws, seed=1
    )
    elapsed = time.perf_counter() - t0
    s = res.summary.iloc[0]
    line = (
        f"sensitivity, {n_draws} draws of the territory count model: {elapsed:.1f} s "
        f"({1000 * elapsed / n_draws:.1f} ms per draw; median rate ratio "
        f"{s['median_estimate']:.3f}, {s['share_significant']:.0%} of draws p < 0.05); "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    print(line)
    out = HERE / "results" / "sensitivity.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("# Sensitivity benchmark\n\n" + line + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
