"""Speed and peak memory of count_corpus against plain pandas and hand-written SQL.

Writes ``benchmarks/results/corpus.md``. Each measurement runs in a process
of its own (``corpus_runner.py``), so its peak memory is its own; every
method must return exactly the same counts, or the script stops.

    python benchmarks/bench_corpus.py                 # 10M and 100M articles
    python benchmarks/bench_corpus.py --sizes 10m     # quicker
    make benchmark-corpus

The synthetic archives are generated once into ``benchmarks/_data/``
(gitignored): 10 million articles (about 0.3 GB of Parquet) and 100 million
(about 3 GB, generated in chunks and deleted at the end unless
``--keep-data``). Plain pandas is not run on 100 million articles: it would
need about ten times its 10-million peak, more than this machine has; the
table shows that estimate instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
RESULTS = HERE / "results" / "corpus.md"
SIZES = {"1m": 1_000_000, "10m": 10_000_000, "100m": 100_000_000}
GB_PER_MILLION = 0.03  # Parquet size of the synthetic archive, measured

METHODS_SMALL = ["pandas", "duckdb_sql", "count_corpus", "count_corpus_polars"]
LABELS = {
    "pandas": "plain pandas (read_parquet + str.contains + groupby)",
    "duckdb_sql": "hand-written DuckDB SQL",
    "count_corpus": "count_corpus, DuckDB engine (default)",
    "count_corpus_polars": "count_corpus, polars engine",
    "count_corpus_spark": "count_corpus, Spark engine (local[2])",
}


def generate(size: str, rows: int) -> Path:
    folder = DATA / f"corpus_{size}"
    if folder.is_dir() and any(folder.glob("*.parquet")):
        return folder
    need = rows / 1e6 * GB_PER_MILLION * 1.5
    free = shutil.disk_usage(DATA).free / 1e9
    if free < need:
        raise SystemExit(f"{size}: needs about {need:.1f} GB of disk, {free:.1f} GB free")
    print(f"generating {rows:,} articles into {folder} ...", flush=True)
    subprocess.run(
        [sys.executable, str(HERE / "make_corpus.py"), "--rows", str(rows), "--out", str(folder)],
        check=True,
    )
    return folder


def measure(method: str, folder: Path) -> dict:
    load_before = os.getloadavg()[0]
    out = subprocess.run(
        [sys.executable, str(HERE / "corpus_runner.py"), method, str(folder)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["load_before"] = load_before
    result["load_after"] = os.getloadavg()[0]
    print(
        f"  {method:22s} {result['seconds']:7.2f} s  cpu {result['cpu_seconds']:7.2f} s  "
        f"peak {result['peak_mb']:7.0f} MB  load {load_before:.1f}->{result['load_after']:.1f}",
        flush=True,
    )
    return result


def best_of(methods: list[str], folder: Path, repeat: int) -> dict[str, dict]:
    """Run the methods in turn, ``repeat`` rounds (so that a busy spell on the
    machine hits every method alike), and keep each method's fastest run."""
    runs: dict[str, list[dict]] = {m: [] for m in methods}
    for _ in range(repeat):
        for method in methods:
            runs[method].append(measure(method, folder))
    best = {}
    for method, results in runs.items():
        best[method] = min(results, key=lambda r: r["seconds"])
        best[method]["runs"] = [round(r["seconds"], 2) for r in results]
    return best


def check_agreement(results: dict[str, dict], size: str) -> None:
    first_name, first = next(iter(results.items()))
    for name, result in results.items():
        if (result["periods"], result["totals"]) != (first["periods"], first["totals"]):
            raise SystemExit(f"{size}: {name} and {first_name} disagree; no figures written")


def write_report(table: dict[str, dict[str, dict]], started: float, args) -> None:
    lines = [
        "# Corpus counting: speed and memory",
        "",
        f"Run {dt.date.today().isoformat()} with `python benchmarks/bench_corpus.py "
        f"--sizes {args.sizes} --repeat {args.repeat}` ({(time.time() - started) / 60:.0f} min "
        "in all).",
        "",
        f"Machine: {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB RAM, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}; "
        + ", ".join(
            f"{p} {version(p)}" for p in ("pandas", "pyarrow", "duckdb", "polars", "narwhals")
        )
        + (f", pyspark {version('pyspark')}" if args.spark else "")
        + ". Other jobs were running on the machine at the same time (the load average "
        "before and after each run is shown; 2.0 means both cores busy, and the two "
        "threads of DuckDB and polars count for up to 2 themselves). For 10 million "
        f"articles the methods ran in turn, {args.repeat} rounds, and each figure is the "
        "method's fastest run (the runs are in `corpus.json`); Spark ran once.",
        "",
        "Each method runs in a fresh process; *seconds* is the wall time of the work "
        "(imports and Spark's session start excluded), *CPU s* the CPU time of the Python "
        "process (for Spark the JVM's is not included), *peak MB* the peak resident memory "
        "of the process and its children. The archive (`make_corpus.py`, seed 1) has "
        "8-word titles, one in ten Arabic; 31% of rows mention the group, and of those 37% "
        "are syndicated copies or re-crawls; 0.2% of rows have no date. Only the title "
        "is searched (`text='title'`). All methods return exactly the same counts "
        "(checked by the script).",
        "",
        "| method | articles | seconds | CPU s | peak MB | load before/after |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for size, results in table.items():
        for method, r in results.items():
            lines.append(
                f"| {LABELS[method]} | {SIZES[size] // 10**6}M | {r['seconds']:.1f} | "
                f"{r['cpu_seconds']:.1f} | {r['peak_mb']:,.0f} | "
                f"{r['load_before']:.1f} / {r['load_after']:.1f} |"
            )
    small = table.get("10m", {})
    if "pandas" in small and "100m" in table:
        pd10 = small["pandas"]
        lines.append(
            f"| {LABELS['pandas']} | 100M | ~{pd10['seconds'] * 10:.0f} (estimate) | | "
            f"~{pd10['peak_mb'] * 10:,.0f} (estimate) | not run |"
        )
    lines += ["", "Targets (from the issue):", ""]
    if {"pandas", "count_corpus", "duckdb_sql"} <= set(small):
        cc, pdr, sql = small["count_corpus"], small["pandas"], small["duckdb_sql"]
        lines += [
            f"- 10M: count_corpus is {pdr['seconds'] / cc['seconds']:.1f}x faster than pandas "
            f"(target at least 2x) and uses {cc['peak_mb'] / pdr['peak_mb']:.2f} of its peak "
            f"memory (target at most 0.25); it takes {cc['seconds'] / sql['seconds']:.2f}x the "
            f"time of the hand-written SQL (target at most 1.3x) with "
            f"{cc['peak_mb'] / sql['peak_mb']:.2f}x its memory.",
        ]
    if "count_corpus" in table.get("100m", {}) and "count_corpus" in small:
        big, cc = table["100m"]["count_corpus"], small["count_corpus"]
        lines.append(
            f"- 100M: count_corpus peaks at {big['peak_mb']:,.0f} MB (target under 2,000) and "
            f"takes {big['seconds'] / cc['seconds']:.1f}x the 10M time (target within 12x; CPU "
            f"time ratio {big['cpu_seconds'] / cc['cpu_seconds']:.1f}x). Plain pandas would "
            f"need about {small.get('pandas', {}).get('peak_mb', 0) * 10 / 1024:.0f} GB."
        )
    lines.append("")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    (RESULTS.with_suffix(".json")).write_text(
        json.dumps(
            {
                s: {m: {k: v for k, v in r.items() if k != "periods"} for m, r in res.items()}
                for s, res in table.items()
            },
            indent=1,
        )
    )
    print(f"wrote {RESULTS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10m,100m", help="comma-separated: 1m, 10m, 100m")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of runs at 10M")
    parser.add_argument("--spark", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--keep-data", action="store_true", help="keep the 100M archive")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    started = time.time()
    table: dict[str, dict[str, dict]] = {}
    for size in args.sizes.split(","):
        folder = generate(size, SIZES[size])
        print(f"{size}:", flush=True)
        if size == "100m":
            table[size] = best_of(["count_corpus"], folder, 1)
        else:
            table[size] = best_of(METHODS_SMALL, folder, args.repeat)
            if args.spark:  # slow: once
                table[size] |= best_of(["count_corpus_spark"], folder, 1)
        check_agreement(table[size], size)
        if size == "100m" and not args.keep_data:
            shutil.rmtree(folder)
    write_report(table, started, args)


if __name__ == "__main__":
    main()
