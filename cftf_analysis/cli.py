"""Command-line interface: ``cftf-analysis report | figures | validate | corpus``.

Only this module knows about the terminal. Errors raised on purpose by the
package print one line and exit with status 1; ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cftf_analysis.errors import CftfError

app = typer.Typer(
    name="cftf-analysis",
    help="Test whether an armed group's financial decline precedes defection reporting.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

ReportsOpt = Annotated[
    Path | None,
    typer.Option("--reports", help="Reports file (CSV/Parquet/XLSX); default bundled."),
]
IndicatorsOpt = Annotated[
    Path | None, typer.Option("--indicators", help="Indicators file; default bundled.")
]
EventsOpt = Annotated[Path | None, typer.Option("--events", help="Events file; default bundled.")]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Output root (gets data/processed/ and figures/); default project."
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")]


def _fail(exc: Exception, debug: bool) -> None:
    if debug:
        raise exc
    err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _progress():
    def say(message: str) -> None:
        err.print(f"[cyan]>[/] {message}", highlight=False)

    return say


@app.command()
def report(
    reports: ReportsOpt = None,
    indicators: IndicatorsOpt = None,
    events: EventsOpt = None,
    out_dir: OutOpt = None,
    draws: Annotated[int, typer.Option(help="Sensitivity draws.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed for every random step.")] = 20160418,
    debug: DebugOpt = False,
) -> None:
    """Build data/processed/ (tidy tables, panel, results.csv) and figures/ from raw data."""
    from cftf_analysis.report import run_report

    try:
        res = run_report(
            reports=reports,
            indicators=indicators,
            events=events,
            out_dir=out_dir,
            n_draws=draws,
            seed=seed,
            progress=_progress(),
        )
    except CftfError as exc:
        _fail(exc, debug)
    n = len(res.processed) + len(res.results) + len(res.figures)
    out.print(f"wrote {n} files; summary: {res.summary}", highlight=False)


@app.command()
def figures(
    reports: ReportsOpt = None,
    indicators: IndicatorsOpt = None,
    events: EventsOpt = None,
    out_dir: OutOpt = None,
    draws: Annotated[int, typer.Option(help="Sensitivity draws.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed for every random step.")] = 20160418,
    debug: DebugOpt = False,
) -> None:
    """Rebuild the figures (and figures/summary.md) from raw data."""
    report(reports, indicators, events, out_dir, draws, seed, debug)


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="A reports, indicators or events file.")],
    kind: Annotated[
        str, typer.Option(help="reports, indicators, events, or auto (from the columns).")
    ] = "auto",
    debug: DebugOpt = False,
) -> None:
    """Check a user's file against the raw format; list every problem (exit 1 if any)."""
    from cftf_analysis.validate import validate_file

    try:
        problems = validate_file(path, kind=kind)
    except CftfError as exc:
        _fail(exc, debug)
    if problems.empty:
        out.print(f"{path}: no problems found", highlight=False)
        return
    for row in problems.itertuples(index=False):
        where = f"row {row.row}" if row.row is not None and row.row == row.row else "file"
        column = f", column '{row.column}'" if isinstance(row.column, str) else ""
        out.print(f"{path}: {where}{column}: {row.problem}", highlight=False, soft_wrap=True)
    err.print(f"[bold red]{len(problems)} problem(s)[/] in {path}", highlight=False)
    raise typer.Exit(code=1)


def main() -> None:
    """Entry point of the ``cftf-analysis`` console script."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        err.print("interrupted; no partial output was left behind")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
