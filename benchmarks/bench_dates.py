"""Benchmark: parse 200,000 mixed-form date strings with parse_date_intervals.

Run with ``.venv/bin/python benchmarks/bench_dates.py``. Prints one line and writes it
to ``benchmarks/results/dates.md``. The mix of forms roughly follows the bundled data
(mostly days and months, some years, ranges and empty cells) plus every other form of
the grammar. The figure is the best of three runs (``time.perf_counter``); a scalar
``parse_date_interval`` loop over 20,000 of the values is timed once for comparison.
"""

from __future__ import annotations

import os
import platform
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from cftf_analysis.dates import parse_date_interval, parse_date_intervals

N = 200_000
SEED = 20160418
RESULTS = Path(__file__).resolve().parent / "results" / "dates.md"
MONTHS = [
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
# form -> share of the values (sums to 1)
MIX = {
    "day": 0.38,
    "month": 0.20,
    "empty": 0.12,
    "year": 0.08,
    "range": 0.08,
    "third": 0.04,
    "quarter": 0.03,
    "half": 0.02,
    "named_month": 0.03,
    "named_day": 0.02,
}


def one_value(form: str, d: date, e: date, rng: np.random.Generator) -> str:
    """A value of the given form naming day ``d`` (and ``e`` for a range)."""
    y, m = d.year, d.month
    cuts = [4, 7, 10]  # YYYY, YYYY-MM, YYYY-MM-DD
    name = MONTHS[m - 1] if rng.random() < 0.5 else MONTHS[m - 1][:3]
    values = {
        "day": d.isoformat(),
        "month": f"{y}-{m:02d}",
        "empty": "",
        "year": str(y),
        "range": f"{d.isoformat()[: rng.choice(cuts)]}/{e.isoformat()[: rng.choice(cuts)]}",
        "third": f"{('early', 'mid', 'late')[(m - 1) // 4]} {y}",
        "quarter": f"{y}-Q{(m - 1) // 3 + 1}",
        "half": f"{y}-H{(m - 1) // 6 + 1}",
        "named_month": f"{name} {y}",
        "named_day": f"{d.day} {name} {y}",
    }
    return values[form]


def make_values(n: int = N, seed: int = SEED) -> list[str]:
    """``n`` seeded values of mixed forms, dates between 2013 and 2018."""
    rng = np.random.default_rng(seed)
    forms = rng.choice(list(MIX), size=n, p=list(MIX.values()))
    first = date(2013, 1, 1)
    offsets = rng.integers(0, 6 * 365, size=n)
    lengths = rng.integers(0, 400, size=n)
    out = []
    for form, off, length in zip(forms, offsets, lengths, strict=True):
        d = first + timedelta(days=int(off))
        out.append(one_value(str(form), d, d + timedelta(days=int(length)), rng))
    return out


def main() -> str:
    values = pd.Series(make_values(), dtype="str")
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        parsed = parse_date_intervals(values, allow_empty=True)
        times.append(time.perf_counter() - t0)
    best = min(times)
    sample = [v for v in values.iloc[:20_000] if v]
    t0 = time.perf_counter()
    for v in sample:
        parse_date_interval(v)
    scalar = (time.perf_counter() - t0) / len(sample) * N
    line = (
        f"{date.today().isoformat()}: parse_date_intervals on {N:,} mixed-form values "
        f"({int(parsed['precision'].notna().sum()):,} non-empty), best of 3: {best:.3f} s "
        f"({N / best:,.0f} values/s); scalar parse_date_interval loop, extrapolated from "
        f"{len(sample):,} values: {scalar:.2f} s per {N:,}. Python {platform.python_version()}, "
        f"pandas {pd.__version__}, numpy {np.__version__}, {platform.machine()}; "
        f"{os.cpu_count()} cores shared with other jobs running at the same time "
        f"(1-min load average {os.getloadavg()[0]:.1f})."
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(line + "\n", encoding="utf-8")
    print(line)
    return line


if __name__ == "__main__":
    main()
