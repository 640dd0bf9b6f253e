"""The one place that knows paths.

Two layouts are supported:

- a source checkout (``git clone`` + ``pip install -e .``): the bundled raw data
  are ``<project>/data/raw``, generated data go to ``<project>/data/processed``
  and figures to ``<project>/figures``;
- a regular (non-editable) install: the raw data ship inside the wheel as
  ``cftf_analysis/_bundled/raw`` and outputs go below the current working
  directory (``./data/processed`` and ``./figures``).

Set ``CFTF_OUTPUT_DIR`` to send generated outputs somewhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "BUNDLED_CASES_DIR",
    "BUNDLED_CASE_FILE",
    "CASE_REPORTS_DIR",
    "EVENTS_FILE",
    "FIGURES_DIR",
    "INDICATORS_FILE",
    "OUTPUT_TREES",
    "PROCESSED_DIR",
    "PROJECT_ROOT",
    "RAW_DIR",
    "REPORTS_FILE",
    "raw_dir",
]

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_ROOT = _PACKAGE_DIR.parent
_IN_CHECKOUT = (_CHECKOUT_ROOT / "pyproject.toml").is_file() and (
    _CHECKOUT_ROOT / "data" / "raw"
).is_dir()


def raw_dir() -> Path:
    """Return the folder holding the bundled raw data.

    Looks in the source checkout first, then inside the installed package.

    Examples
    --------
    >>> (raw_dir() / "defection_reports.csv").is_file()
    True
    """
    candidates = [_CHECKOUT_ROOT / "data" / "raw", _PACKAGE_DIR / "_bundled" / "raw"]
    for candidate in candidates:
        if (candidate / "defection_reports.csv").is_file():
            return candidate
    raise FileNotFoundError(
        "bundled data not found; looked in " + ", ".join(str(c) for c in candidates)
    )


#: Root for generated outputs: the checkout, or the working directory when installed.
PROJECT_ROOT: Path = (
    Path(os.environ["CFTF_OUTPUT_DIR"]).resolve()
    if "CFTF_OUTPUT_DIR" in os.environ
    else (_CHECKOUT_ROOT if _IN_CHECKOUT else Path.cwd())
)
RAW_DIR: Path = raw_dir()
#: The report's output trees below an output root (replaced together by each run).
OUTPUT_TREES: tuple[str, str] = ("data/processed", "figures")
PROCESSED_DIR: Path = PROJECT_ROOT / OUTPUT_TREES[0]
FIGURES_DIR: Path = PROJECT_ROOT / OUTPUT_TREES[1]
#: The default bundled case's case file (the first case; its tables are in RAW_DIR).
BUNDLED_CASE_FILE: Path = RAW_DIR / "case.toml"
#: Further bundled cases, one folder each holding a ``case.toml``.
BUNDLED_CASES_DIR: Path = RAW_DIR / "cases"
#: Outputs of cases other than the default go to ``CASE_REPORTS_DIR / <case id>``.
CASE_REPORTS_DIR: Path = PROJECT_ROOT / "reports"
REPORTS_FILE: Path = RAW_DIR / "defection_reports.csv"
INDICATORS_FILE: Path = RAW_DIR / "indicators.csv"
EVENTS_FILE: Path = RAW_DIR / "events.csv"
