"""Command-line interface: ``cftf-analysis report | figures | validate | corpus | import``.

``cftf-analysis --version`` prints the package version.

Only this module knows about the terminal. Errors raised on purpose by the
package print one line and exit with status 1; ``--debug`` shows the
traceback instead. Text that comes from the user's files (cell values, file
names) is printed literally: the consoles read no markup or emoji codes, and
control characters are shown escaped (``\\x1b``), so a cell can neither crash
the printing nor restyle, relink or clear the terminal.
"""

from __future__ import annotations

import numbers
import re
import sys
import warnings
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.text import Text

from cftf_analysis.errors import CftfError

app = typer.Typer(
    name="cftf-analysis",
    help="Test whether an armed group's financial decline precedes defection reporting.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, markup=False, emoji=False, highlight=False)
out = Console(markup=False, emoji=False, highlight=False)


def _version(value: bool) -> None:
    if value:
        from cftf_analysis import __version__

        out.print(f"cftf-analysis {__version__}", soft_wrap=True)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Test whether an armed group's financial decline precedes defection reporting."""


# every control character but the newline (tab and carriage return included: they move
# the cursor), escaped for the terminal
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def literal(text: object) -> str:
    """``text`` with control characters escaped (``\\x1b``), to print as it is."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def _say(console: Console, label: str, style: str, message: object) -> None:
    """Print a styled label, then ``message`` literally."""
    console.print(Text.assemble((label, style), " ", literal(message)), soft_wrap=True)


CaseOpt = Annotated[
    str | None,
    typer.Option(
        "--case",
        help="A case file (TOML), a folder holding case.toml, or a bundled case's id "
        "(see `cftf-analysis cases`); default: the bundled case.",
    ),
]
ReportsOpt = Annotated[
    Path | None,
    typer.Option(
        "--reports",
        help="Reports file (CSV/Parquet/XLSX); replaces the case's. Without --case, the "
        "given files are the whole input: nothing bundled is mixed in.",
    ),
]
IndicatorsOpt = Annotated[
    Path | None, typer.Option("--indicators", help="Indicators file; replaces the case's.")
]
EventsOpt = Annotated[
    Path | None,
    typer.Option("--events", help="Events file; replaces the case's (no events if absent)."),
]
SheetOpt = Annotated[
    str | None,
    typer.Option("--sheet", help="Excel: the sheet to read (needed when several hold data)."),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding", help="CSV: the text encoding when it is not UTF-8 (utf-16, cp1252...)."
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Output root (gets data/processed/ and figures/); default project."
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")]
CoverageOpt = Annotated[
    Path | None,
    typer.Option(
        "--coverage",
        help="Per-month article counts from `cftf-analysis corpus` (CSV): the count model's "
        "exposure.",
    ),
]
CountsOpt = Annotated[
    str,
    typer.Option(
        "--counts",
        help="Reporting series: n_reports (coded reports) or n_articles_defection (needs "
        "--coverage).",
    ),
]

MultiverseOpt = Annotated[
    bool,
    typer.Option(
        "--multiverse/--no-multiverse",
        help="Also run the findings under every defensible combination of analysis choices "
        "(multiverse*.csv, the specification curve; about 10 s on the bundled case).",
    ),
]


def _fail(exc: Exception, debug: bool) -> None:
    if debug:
        raise exc
    _say(err, "error:", "bold red", exc)
    raise typer.Exit(code=1)


def _progress():
    def say(message: str) -> None:
        _say(err, ">", "cyan", message)

    return say


@app.command()
def report(
    case: CaseOpt = None,
    reports: ReportsOpt = None,
    indicators: IndicatorsOpt = None,
    events: EventsOpt = None,
    out_dir: OutOpt = None,
    draws: Annotated[int, typer.Option(help="Sensitivity draws.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed for every random step.")] = 20160418,
    coverage: CoverageOpt = None,
    counts: CountsOpt = "n_reports",
    multiverse: MultiverseOpt = True,
    debug: DebugOpt = False,
) -> None:
    """Build data/processed/ (tidy tables, panel, results.csv) and figures/ from raw data."""
    from cftf_analysis.report import run_report

    try:
        res = run_report(
            case=case,
            reports=reports,
            indicators=indicators,
            events=events,
            out_dir=out_dir,
            n_draws=draws,
            seed=seed,
            coverage=coverage,
            counts=counts,
            multiverse=multiverse,
            progress=_progress(),
        )
    except CftfError as exc:
        _fail(exc, debug)
    n = len(res.processed) + len(res.results) + len(res.figures)
    out.print(literal(f"wrote {n} files; summary: {res.summary}"), soft_wrap=True)


@app.command()
def figures(
    case: Annotated[
        str | None,
        typer.Option(
            "--case",
            help="Redraw the results of this case's report in its default output folder (a "
            "case file or a bundled case's id); default: the bundled case.",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Output root the report wrote to (holds data/processed/ and figures/)."
        ),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Redraw figures/ and figures/summary.md from the results in data/processed/ (no analysis)."""
    from cftf_analysis.report import redraw_figures

    try:
        res = redraw_figures(case=case, out_dir=out_dir, progress=_progress())
    except CftfError as exc:
        _fail(exc, debug)
    n = sum(p.suffix == ".png" for p in res.figures)
    out.print(literal(f"redrew {n} figures; summary: {res.summary}"), soft_wrap=True)


@app.command()
def cases(
    ids: Annotated[
        bool, typer.Option("--ids", help="Print only the ids, one a line (for scripts).")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """List the bundled cases, one line each (use the id with --case)."""
    from cftf_analysis.case import bundled_cases

    try:
        found = bundled_cases()
    except CftfError as exc:
        _fail(exc, debug)
    for case in found:
        line = f"{case.id}: {case.name}" + (f" - {case.description}" if case.description else "")
        out.print(literal(case.id if ids else line), highlight=False, markup=False, soft_wrap=True)


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="A reports, indicators or events file.")],
    kind: Annotated[
        str, typer.Option(help="reports, indicators, events, or auto (from the columns).")
    ] = "auto",
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check a user's file against the raw format; list every problem (exit 1 if any)."""
    from cftf_analysis.validate import validate_file

    try:
        problems = validate_file(path, kind=kind, sheet=sheet, encoding=encoding)  # type: ignore[arg-type]
    except CftfError as exc:
        _fail(exc, debug)
    if problems.empty:
        out.print(literal(f"{path}: no problems found"), soft_wrap=True)
        return
    for row in problems.itertuples(index=False):
        where = "file" if pd.isna(row.row) else f"row {int(row.row)}"
        column = f", column '{row.column}'" if isinstance(row.column, str) else ""
        out.print(literal(f"{row.file}: {where}{column}: {row.problem}"), soft_wrap=True)
    _say(err, f"{len(problems)} problem(s)", "bold red", f"in {path}")
    raise typer.Exit(code=1)


@app.command()
def corpus(
    paths: Annotated[
        list[str], typer.Argument(help="Parquet, CSV or JSON-lines files or globs of articles.")
    ],
    out_path: Annotated[
        Path, typer.Option("--out", help="Where to write the per-period counts (CSV).")
    ],
    date: Annotated[str, typer.Option(help="Date column.")] = "published",
    text: Annotated[
        list[str] | None, typer.Option("--text", help="Text column(s) to search (repeatable).")
    ] = None,
    freq: Annotated[str, typer.Option(help="Period: MS (month), W-MON, D, QS, YS.")] = "MS",
    engine: Annotated[str, typer.Option(help="auto, duckdb, polars, pandas or spark.")] = "auto",
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail if any row lacks a usable date.")
    ] = False,
    case: Annotated[
        str | None,
        typer.Option(
            "--case",
            help="Case whose group and aliases are the topic terms (a case file or a bundled "
            "case's id); default: the bundled case.",
        ),
    ] = None,
    topic_term: Annotated[
        list[str] | None,
        typer.Option(
            "--topic-term",
            help="A term marking an article as about the group (repeatable; replaces the case's).",
        ),
    ] = None,
    defection_term: Annotated[
        list[str] | None,
        typer.Option(
            "--defection-term",
            help="A term marking an article as reporting defection (repeatable; replaces the "
            "defaults).",
        ),
    ] = None,
    terms: Annotated[
        Path | None,
        typer.Option(
            "--terms",
            help="TOML file with topic_terms, defection_terms (and case_sensitive_* lists).",
        ),
    ] = None,
    all_articles: Annotated[
        bool,
        typer.Option(
            "--all-articles",
            help="Count every article as about the group (the archive was retrieved by a "
            "query for it).",
        ),
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Count articles about the group and about defection per period in a news archive.

    Terms: --topic-term/--defection-term, else --terms FILE, else the case's
    (its group and aliases; generic defection words and "fled <name>" phrases).
    """
    from rich.progress import Progress

    from cftf_analysis._io import write_csv
    from cftf_analysis.case import find_case_file
    from cftf_analysis.corpus import (
        UndatedRowsWarning,
        corpus_summary,
        count_corpus,
        read_terms_file,
    )
    from cftf_analysis.corpus.sources import resolve_source
    from cftf_analysis.outputs import check_outputs, writing

    source = paths if len(paths) > 1 else paths[0]
    try:
        # before counting: the counts must never replace an article file, the
        # terms file or anything in the case's raw data folder
        check_outputs(
            files=[out_path],
            inputs=[*resolve_source(source).files, terms],
            protected=[find_case_file(case).parent],
        )
        file_topic, file_defection = read_terms_file(terms) if terms else (None, None)
        topic: object = tuple(topic_term) if topic_term else (file_topic or "case")
        if all_articles:
            topic = None
        defection = tuple(defection_term) if defection_term else (file_defection or "case")
        with (
            Progress(console=err, transient=True) as bar,
            warnings.catch_warnings(record=True) as seen,
        ):
            warnings.simplefilter("always", UndatedRowsWarning)
            task = bar.add_task("counting articles", total=1.0)
            counts = count_corpus(
                source,
                date=date,
                text=tuple(text) if text else ("title", "text"),
                freq=freq,  # type: ignore[arg-type]
                engine=engine,  # type: ignore[arg-type]
                strict=strict,
                case=case,
                topic_terms=topic,  # type: ignore[arg-type]
                defection_terms=defection,
                progress=lambda done: bar.update(task, completed=done),
            )
        with writing(out_path):
            write_csv(counts, out_path)
    except CftfError as exc:
        _fail(exc, debug)
    for warning in seen:
        _say(err, "warning:", "yellow", warning.message)
    totals = corpus_summary(counts).iloc[0]
    parts = ", ".join(f"{k} {v:,}" for k, v in totals.items() if isinstance(v, numbers.Number))
    out.print(literal(f"wrote {len(counts)} periods to {out_path}; {parts}"), soft_wrap=True)


@app.command("import")
def import_(
    dataset: Annotated[str, typer.Argument(help="ucdp (UCDP GED), acled or gtd.")],
    path: Annotated[Path, typer.Argument(help="The dataset file as downloaded (CSV or XLSX).")],
    out_path: Annotated[Path, typer.Option("--out", help="Events file to write (CSV).")],
    actor: Annotated[
        str | None,
        typer.Option(help="Keep only rows naming this actor (GTD: perpetrator group)."),
    ] = None,
    exact: Annotated[
        bool, typer.Option("--exact", help="Match the whole actor name, not part of it.")
    ] = False,
    category: Annotated[
        str | None, typer.Option(help="Category of every row (ucdp, gtd); default military.")
    ] = None,
    dataset_version: Annotated[
        str | None,
        typer.Option(
            "--dataset-version",
            help="GED version (24.1), GTD release (0522) or ACLED download date, when the "
            "file name or timestamps do not say.",
        ),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Convert a UCDP GED, ACLED or GTD download into an events file (for --events)."""
    from cftf_analysis._io import write_csv
    from cftf_analysis.errors import ArgumentError
    from cftf_analysis.importers import import_acled, import_gtd, import_ucdp_ged
    from cftf_analysis.loaders import load_events
    from cftf_analysis.options import ImportDataset, check_literal
    from cftf_analysis.outputs import check_outputs, writing

    try:
        check_literal(dataset, ImportDataset, "dataset")
        check_outputs(files=[out_path], inputs=[path])
        options: dict = {"match": "exact" if exact else "contains", "version": dataset_version}
        if category is not None:
            if dataset == "acled":
                raise ArgumentError(
                    "--category applies to ucdp and gtd; ACLED rows take theirs from "
                    "sub_event_type"
                )
            options["category"] = category
        if dataset == "gtd":
            frame = import_gtd(path, group=actor, **options)
        elif dataset == "acled":
            frame = import_acled(path, actor=actor, **options)
        else:
            frame = import_ucdp_ged(path, actor=actor, **options)
        events = load_events(frame)  # never write a file that the loader would refuse
        with writing(out_path):  # e.g. --out in a folder that cannot be written
            write_csv(frame, out_path)
    except CftfError as exc:
        _fail(exc, debug)
    span = f"{events['date_start'].min():%Y-%m-%d} to {events['date_end'].max():%Y-%m-%d}"
    out.print(
        f"wrote {len(events)} event{'' if len(events) == 1 else 's'} ({span}) to {out_path}; "
        f"source: {events['source_org'].iloc[0]}",
        highlight=False,
        soft_wrap=True,
    )


def main() -> None:
    """Entry point of the ``cftf-analysis`` console script."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        err.print("interrupted; no partial output was left behind")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
