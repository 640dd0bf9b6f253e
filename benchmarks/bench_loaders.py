"""Benchmark: load a 200,000-row reports file with mixed date forms.

Generates the file in ``benchmarks/_data/`` (not committed) from the bundled
reports, with dates redrawn in every form of the grammar, then times
``load_reports`` (best of 3) and writes ``benchmarks/results/loaders.md``.

Run: ``.venv/bin/python benchmarks/bench_loaders.py [N]``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import cftf_analysis as cftf
from cftf_analysis import config

HERE = Path(__file__).resolve().parent


def mixed_dates(rng: np.random.Generator, n: int) -> list[str]:
    day = pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 4 * 365, n), unit="D")
    form = rng.choice(10, size=n, p=[0.45, 0.2, 0.05, 0.05, 0.05, 0.05, 0.05, 0.04, 0.03, 0.03])
    y, m, d = day.year, day.month, day.day
    names = np.array(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ]
    )
    out = []
    for f, yy, mm, dd in zip(form, y, m, d, strict=True):
        out.append(
            [
                f"{yy}-{mm:02d}-{dd:02d}",
                f"{yy}-{mm:02d}",
                f"{yy}",
                f"{yy}-Q{(mm - 1) // 3 + 1}",
                f"{yy}-H{(mm - 1) // 6 + 1}",
                f"{('early', 'mid', 'late')[(mm - 1) // 4]} {yy}",
                f"{yy}-{mm:02d}/{yy + 1}-{mm:02d}",
                f"{names[mm - 1]} {yy}",
                f"{dd} {names[mm - 1]} {yy}",
                f"{yy}-{mm:02d}-{dd:02d}/{yy}-12-31",
            ][f]
        )
    return out


def make_file(n: int, path: Path) -> Path:
    rng = np.random.default_rng(2016)
    base = pd.read_csv(config.REPORTS_FILE, dtype=str, keep_default_na=False)
    frame = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    frame["report_id"] = [f"B{i:07d}" for i in range(n)]
    frame["published"] = mixed_dates(rng, n)
    # a defection may not be dated after its report: where the bundled row gives one,
    # date it like the report (both columns are parsed, as in real files)
    given = frame["defection_date"].str.strip() != ""
    frame.loc[given, "defection_date"] = frame.loc[given, "published"]
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def main(n: int = 200_000) -> None:
    path = make_file(n, HERE / "_data" / f"reports_{n}.csv")
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        loaded = cftf.load_reports(path)
        times.append(time.perf_counter() - t0)
    assert len(loaded) == n
    mb = path.stat().st_size / 1e6
    precisions = loaded["published_precision"].value_counts().to_dict()
    line = (
        f"load_reports on {n:,} rows ({mb:.0f} MB CSV, mixed date forms {precisions}): "
        f"best of 3 = {min(times):.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)}); "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    print(line)
    out = HERE / "results" / "loaders.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("# Loader benchmark\n\n" + line + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
