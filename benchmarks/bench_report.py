"""Benchmark: the whole report with 1,000 joint draws, and its battery step by step.

Issue 9's target: one report with 1,000 joint draws on every indicator finding in at most
30 s wall on a 2-core machine, under 1 GB of memory. Each measurement runs in a fresh
process (so imports and caches of one do not help the next, and the peak resident memory
is the run's own):

- ``report``: ``run_report`` on the bundled case with its defaults (1,000 draws, the
  Monte Carlo null of every indicator finding, influence, power, the multiverse at its
  default size, figures) into a temporary folder (issue 10's target: at most 60 s);
- ``report-no-multiverse``: the same without the multiverse (issue 9's target: 30 s);
- ``multiverse``: :func:`cftf_analysis.multiverse` alone at its default size;
- ``battery <step>``: ``run_battery`` with that one step, 1,000 draws, no figures.

Writes ``benchmarks/results/report.md``. Run: ``.venv/bin/python benchmarks/bench_report.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
N_DRAWS = 1000

CHILD = r"""
import json, resource, sys, tempfile, time
import cftf_analysis as cftf
from cftf_analysis.report import run_report
from cftf_analysis.stats.battery import run_battery
what, n_draws = sys.argv[1], int(sys.argv[2])
case = cftf.load_case()
t0 = time.perf_counter()
if what.startswith("report"):
    with tempfile.TemporaryDirectory() as out:
        run_report(out_dir=out, n_draws=n_draws, multiverse=what == "report")
elif what == "multiverse":
    cftf.multiverse(case)
else:
    run_battery(case=case, steps=[what], n_draws=n_draws)
elapsed = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"what": what, "seconds": elapsed, "peak_mb": peak_mb}))
"""


def measure(what: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(N_DRAWS)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    load = os.getloadavg()[0]
    rows = [measure("report"), measure("report-no-multiverse"), measure("multiverse")]
    for step in ("count_model", "ccf", "granger", "change_points", "event_effects"):
        rows.append(measure(step))
    lines = [
        "# Report benchmark",
        "",
        f"{N_DRAWS} joint draws, bundled case; {os.cpu_count()} cores, load average "
        f"{load:.1f} at the start ({time.strftime('%Y-%m-%d')}). Each row is a fresh process; "
        "the time excludes importing the package.",
        "",
        "| run | wall (s) | peak memory (MB) |",
        "|---|---:|---:|",
    ]
    for r in rows:
        name = f"battery: {r['what']}"
        names = {
            "report": "whole report (multiverse and figures included)",
            "report-no-multiverse": "whole report without the multiverse",
            "multiverse": "multiverse alone (default size)",
        }
        name = names.get(r["what"], name)
        lines.append(f"| {name} | {r['seconds']:.1f} | {r['peak_mb']:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with tempfile.NamedTemporaryFile("w", delete=False, dir=HERE / "results") as tmp:
        tmp.write(text)
    Path(tmp.name).replace(HERE / "results" / "report.md")


if __name__ == "__main__":
    main()
