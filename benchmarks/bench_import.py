"""Benchmark: the time of ``import cftf_analysis`` against ``import pandas``.

The package imports its names lazily, so importing it should cost no more
than importing pandas (the target: at most 1.3 times). Each import runs in a
fresh interpreter; the figure is the best of ``repeats`` wall times, with the
interpreter's own start-up (``python -c pass``) subtracted. Writes
``benchmarks/results/import.md``.

Run: ``.venv/bin/python benchmarks/bench_import.py [repeats]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def best_of(code: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main(repeats: int = 15) -> dict[str, float]:
    load = os.getloadavg()[0]
    base = best_of("pass", repeats)
    pandas = best_of("import pandas", repeats) - base
    package = best_of("import cftf_analysis", repeats) - base
    api = best_of("import cftf_analysis as c; c.load_reports", repeats) - base
    ratio = package / pandas
    text = (
        "# Import benchmark\n\n"
        f"Best of {repeats} fresh interpreters, start-up ({base * 1000:.0f} ms) subtracted; "
        f"2 cores, load average {load:.1f} at the start.\n\n"
        "| import | ms |\n|---|---:|\n"
        f"| `import pandas` | {pandas * 1000:.0f} |\n"
        f"| `import cftf_analysis` | {package * 1000:.0f} |\n"
        f"| `import cftf_analysis` and first use of a loader | {api * 1000:.0f} |\n\n"
        f"`import cftf_analysis` takes {ratio:.2f} times `import pandas` (target: at most 1.3).\n"
    )
    (HERE / "results" / "import.md").write_text(text)
    print(text)
    return {"pandas": pandas, "package": package, "ratio": ratio}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
