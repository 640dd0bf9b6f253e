"""The one-command report: raw -> processed -> results -> figures.

:func:`run_report` is what ``cftf-analysis report`` and ``make report`` run.
Every output is written to a temporary file and renamed, so an interrupted
run never leaves a half-written file, and every step is seeded, so two runs
give byte-identical files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cftf_analysis import config
from cftf_analysis._io import Source, atomic_path, write_csv, write_parquet
from cftf_analysis.caveats import data_caveats
from cftf_analysis.indicators import load_indicators
from cftf_analysis.loaders import load_events, load_reports
from cftf_analysis.panel import monthly_panel

__all__ = ["ReportOutputs", "build_processed", "run_report"]

Progress = Callable[[str], None]


@dataclass
class ReportOutputs:
    """Paths written by :func:`run_report`."""

    processed: list[Path] = field(default_factory=list)
    results: list[Path] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    summary: Path | None = None


def _write_both(frame: pd.DataFrame, folder: Path, name: str) -> list[Path]:
    return [
        write_csv(frame, folder / f"{name}.csv"),
        write_parquet(frame, folder / f"{name}.parquet"),
    ]


def build_processed(
    processed_dir: str | os.PathLike[str] | None = None,
    *,
    reports: Source = None,
    indicators: Source = None,
    events: Source = None,
) -> tuple[dict[str, pd.DataFrame], list[Path]]:
    """Load the raw data and write the tidy tables and the monthly panel.

    Returns the frames (``reports``, ``indicators``, ``events``, ``panel``)
    and the paths written (CSV and Parquet for each) in ``processed_dir``.

    Examples
    --------
    >>> import tempfile
    >>> frames, paths = build_processed(tempfile.mkdtemp())
    >>> sorted(frames), len(paths)
    (['events', 'indicators', 'panel', 'reports'], 8)
    """
    folder = Path(processed_dir) if processed_dir is not None else config.PROCESSED_DIR
    frames = {
        "reports": load_reports(reports),
        "indicators": load_indicators(indicators),
        "events": load_events(events),
    }
    frames["panel"] = monthly_panel(frames["reports"], frames["indicators"])
    paths: list[Path] = []
    for name, frame in frames.items():
        paths += _write_both(frame, folder, name)
    return frames, paths


def run_report(
    *,
    reports: Source = None,
    indicators: Source = None,
    events: Source = None,
    out_dir: str | os.PathLike[str] | None = None,
    n_draws: int = 1000,
    seed: int = 20160418,
    figures: bool = True,
    coverage: str | os.PathLike[str] | pd.DataFrame | None = None,
    counts: str = "n_reports",
    progress: Progress | None = None,
) -> ReportOutputs:
    """Run the whole report.

    Parameters
    ----------
    reports, indicators, events
        Raw inputs (``None`` = bundled data; a path; or a DataFrame).
    out_dir
        Root for outputs: ``<out_dir>/data/processed`` and ``<out_dir>/figures``.
        Default: the project's ``data/processed`` and ``figures``.
    n_draws
        Draws for the sensitivity analysis.
    seed
        Seed for every random step.
    figures
        Also draw the figures and write ``figures/summary.md``.
    coverage
        Per-period article counts (a CSV written by ``cftf-analysis corpus``
        or the frame from :func:`~cftf_analysis.count_corpus`): the count
        model's exposure, and the source of ``counts="n_articles_defection"``.
    counts
        The reporting series to test: ``"n_reports"`` or
        ``"n_articles_defection"``.
    progress
        Called with a short message before each step.
    """
    from cftf_analysis.stats.battery import run_battery

    say = progress or (lambda _msg: None)
    if out_dir is None:
        processed_dir, figures_dir = config.PROCESSED_DIR, config.FIGURES_DIR
    else:
        processed_dir = Path(out_dir) / "data" / "processed"
        figures_dir = Path(out_dir) / "figures"
    out = ReportOutputs()
    say("loading and checking raw data")
    frames, out.processed = build_processed(
        processed_dir, reports=reports, indicators=indicators, events=events
    )
    if coverage is not None and not isinstance(coverage, pd.DataFrame):
        coverage = _read_coverage(coverage)
    say(f"running the association battery ({n_draws} sensitivity draws)")
    battery = run_battery(
        frames["reports"],
        frames["indicators"],
        events=frames["events"],
        n_draws=n_draws,
        seed=seed,
        counts=counts,
        coverage=coverage,
    )
    out.results += [write_csv(battery.summary, processed_dir / "results.csv")]
    out.results += [write_parquet(battery.summary, processed_dir / "results.parquet")]
    out.results += _write_step_tables(battery, processed_dir / "results")
    if figures:
        from cftf_analysis.figures.catalog import render_figures

        say("drawing figures")
        records = render_figures(battery, figures_dir, progress=say)
        out.figures = [p for r in records for p in r.paths]
        out.summary = _write_summary_md(battery, records, figures_dir / "summary.md")
    return out


def _write_step_tables(battery, folder: Path) -> list[Path]:
    """Each step's detailed table (if it names one) and its other tables, as CSV."""
    paths = []
    for name, step in battery.steps.items():
        result = battery[name]
        if step.table_name is not None and not result.table.empty:
            paths.append(write_csv(result.table, folder / f"{step.table_name}.csv"))
        for table_name, table in result.tables.items():
            paths.append(write_csv(table, folder / f"{table_name}.csv"))
    return paths


def _read_coverage(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read per-period article counts written by ``cftf-analysis corpus``."""
    from cftf_analysis._io import read_table
    from cftf_analysis.errors import DataValidationError

    raw, label = read_table(path)
    missing = [c for c in ("period", "n_articles_topic") if c not in raw.columns]
    if missing:
        raise DataValidationError(f"required column is missing ({', '.join(missing)})", file=label)
    out = pd.DataFrame({"period": pd.to_datetime(raw["period"], errors="coerce")})
    for col in ("n_articles_topic", "n_articles_defection"):
        if col in raw.columns:
            out[col] = pd.to_numeric(raw[col], errors="coerce")
    bad = out.isna().any(axis=1)
    if bad.any():
        row = int(bad.to_numpy().argmax()) + 1
        raise DataValidationError("not a date or a count", file=label, row=row)
    return out


def _markdown_table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = [
            "" if pd.isna(v) else (f"{v:.3g}" if isinstance(v, float) else str(v)) for v in row
        ]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def _write_summary_md(battery, records, path: Path) -> Path:
    from cftf_analysis.stats.findings import FINDING_COLUMNS

    # the table a reader scans; method and caveat stay in results.csv
    shown = [c for c in FINDING_COLUMNS if c not in ("method", "indicator", "caveat")]
    table = battery.summary[shown]
    parts = [
        "# cftf_analysis report",
        "",
        "Does the Islamic State's financial decline (2015-2017) precede defection reporting?",
        "Generated by `cftf-analysis report` from `data/raw/`; do not edit by hand.",
        "",
        "## Results",
        "",
        _markdown_table(table),
        "",
        "Caveats per finding are in `data/processed/results.csv` (column `caveat`).",
        "",
        "## Caveats of the data",
        "",
        *[f"- {c}" for c in data_caveats("all")],
        "",
        "## Figures",
        "",
    ]
    for rec in records:
        png = next(p for p in rec.paths if p.suffix == ".png")
        parts += [f"### {rec.title}", "", f"![{rec.title}]({png.name})", "", rec.caption, ""]
    if battery.errors:
        parts += ["## Tests that could not run", "", *[f"- {e}" for e in battery.errors], ""]
    parts += [
        "## Data sources",
        "",
        "- Defection reports: compiled from public news and interview reporting, 2014-2018 "
        "(`data/raw/defection_reports.csv`, one source URL per row).",
        "- Revenue and territory: IHS Conflict Monitor (IHS Markit), press releases 2015-2017, "
        "with other producers' estimates kept apart (`data/raw/indicators.csv`).",
        "- Events: news and official chronologies (`data/raw/events.csv`).",
        "- Provenance and known biases: `data/raw/README.md`.",
        "",
    ]
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return path
