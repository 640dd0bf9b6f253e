"""The one-command report: raw -> processed -> results -> figures.

:func:`run_report` is what ``cftf-analysis report`` and ``make report`` run.
Its outputs are one set: the tables, results and figures are built in
staging folders and swapped in together with a ``manifest.json`` (see
:mod:`cftf_analysis.outputs`), so a killed or failed run leaves the previous
set exactly as it was, never a mix; nothing is written over the raw data or
an input; and every step is seeded, so two runs give byte-identical files.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from cftf_analysis import config
from cftf_analysis._io import Source, atomic_path, write_csv, write_parquet
from cftf_analysis.case import Case, case_from_inputs, load_case
from cftf_analysis.caveats import data_caveats
from cftf_analysis.errors import ArgumentError
from cftf_analysis.indicators import load_indicators
from cftf_analysis.loaders import load_events, load_reports
from cftf_analysis.outputs import MANIFEST_NAME, check_outputs, replace_outputs, shown_path
from cftf_analysis.panel import monthly_panel

__all__ = [
    "ReportOutputs",
    "build_processed",
    "output_dirs",
    "output_root",
    "resolve_case",
    "run_report",
]

Progress = Callable[[str], None]


@dataclass
class ReportOutputs:
    """Paths written by :func:`run_report`."""

    processed: list[Path] = field(default_factory=list)
    results: list[Path] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    summary: Path | None = None
    #: ``data/processed/manifest.json`` (the same file is in ``figures/``).
    manifest: Path | None = None


def _write_both(frame: pd.DataFrame, folder: Path, name: str) -> list[Path]:
    return [
        write_csv(frame, folder / f"{name}.csv"),
        write_parquet(frame, folder / f"{name}.parquet"),
    ]


def resolve_case(
    case: str | os.PathLike[str] | Case | None = None,
    *,
    reports: Source = None,
    indicators: Source = None,
    events: Source = None,
) -> Case:
    """The case a report is about, with its tables loaded.

    - ``case`` given: that case; any explicit table replaces the case's.
    - No case, no tables: the default bundled case.
    - No case but tables: a case of exactly those tables. Nothing bundled is
      mixed in: missing events stay missing (the report says which analyses
      that leaves out); reports and indicators are required.

    Examples
    --------
    >>> resolve_case().id
    'islamic-state'
    >>> from cftf_analysis import config
    >>> mine = resolve_case(reports=config.REPORTS_FILE, indicators=config.INDICATORS_FILE)
    >>> mine.id, mine.events is None
    ('user', True)
    """
    if case is None and all(x is None for x in (reports, indicators, events)):
        return load_case()
    if case is None:
        if reports is None or indicators is None:
            missing = "reports" if reports is None else "indicators"
            raise ArgumentError(
                f"{missing} must be given when other inputs are (or name a case): bundled "
                "data are never mixed with a user's"
            )
        return case_from_inputs(reports, indicators, events)
    loaded = load_case(case)
    replaced = {}
    inputs = dict(loaded.inputs)
    for kind, source, loader in (
        ("reports", reports, load_reports),
        ("indicators", indicators, None),
        ("events", events, load_events),
    ):
        if source is None:
            continue
        if kind == "indicators":
            frame = load_indicators(
                source,
                producer_aliases=loaded.producer_aliases,
                extra_indicators=loaded.indicator_types,
            )
        else:
            frame = loader(source)
        replaced[kind] = frame
        if isinstance(source, pd.DataFrame):
            inputs.pop(kind, None)  # the case's file is no longer an input
        else:
            inputs[kind] = Path(source).resolve()
    return replace(loaded.with_tables(**replaced), inputs=inputs)


def output_root(case: Case, out_dir: str | os.PathLike[str] | None) -> Path:
    """The folder that gets ``data/processed`` and ``figures``: ``out_dir`` or the case's.

    The default bundled case writes below the project root; any other case
    below ``reports/<case id>/`` beside it.
    """
    if out_dir is not None:
        return Path(out_dir)
    if case.path is not None and case.path == config.BUNDLED_CASE_FILE.resolve():
        return config.PROJECT_ROOT
    return config.CASE_REPORTS_DIR / case.id


def output_dirs(case: Case, out_dir: str | os.PathLike[str] | None) -> tuple[Path, Path]:
    """``(processed, figures)`` folders: under ``out_dir``, or the case's default place.

    See :func:`output_root`.
    """
    root = output_root(case, out_dir)
    processed, figures = config.OUTPUT_TREES
    return root / processed, root / figures


def build_processed(
    processed_dir: str | os.PathLike[str] | None = None,
    *,
    case: str | os.PathLike[str] | Case | None = None,
    reports: Source = None,
    indicators: Source = None,
    events: Source = None,
) -> tuple[dict[str, pd.DataFrame], list[Path]]:
    """Load the raw data and write the tidy tables and the monthly panel.

    Returns the frames (``reports``, ``indicators``, ``events`` when there
    are events, ``panel``) and the paths written (CSV and Parquet for each)
    in ``processed_dir``. See :func:`resolve_case` for the inputs.

    The paths are checked like every output (never over raw data or an
    input); each file is written atomically, but the tables are not swapped
    in as one set and get no manifest: that is :func:`run_report`'s job.

    Examples
    --------
    >>> import tempfile
    >>> frames, paths = build_processed(tempfile.mkdtemp())
    >>> sorted(frames), len(paths)
    (['events', 'indicators', 'panel', 'reports'], 8)
    """
    the_case = resolve_case(case, reports=reports, indicators=indicators, events=events)
    folder = Path(processed_dir) if processed_dir is not None else output_dirs(the_case, None)[0]
    frames = _frames(the_case)
    check_outputs(
        files=[folder / f"{name}.{ext}" for name in frames for ext in ("csv", "parquet")],
        inputs=[*the_case.inputs.values(), the_case.path],
        protected=[the_case.folder],
    )
    paths: list[Path] = []
    for name, frame in frames.items():
        paths += _write_both(frame, folder, name)
    return frames, paths


def _frames(case: Case) -> dict[str, pd.DataFrame]:
    frames = {"reports": case.reports, "indicators": case.indicators}
    if case.events is not None:
        frames["events"] = case.events
    series = dict(case.series) or None
    frames["panel"] = monthly_panel(case.reports, case.indicators, series=series)
    return frames  # type: ignore[return-value]


def run_report(
    *,
    case: str | os.PathLike[str] | Case | None = None,
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
    case
        A case file, a bundled case's id or a :class:`~cftf_analysis.case.Case`
        (see :func:`~cftf_analysis.load_case`); default: the bundled case,
        unless tables are given (see :func:`resolve_case`).
    reports, indicators, events
        Raw inputs (a path or a DataFrame in the raw format); with ``case``
        they replace the case's tables; without, they are the whole input and
        nothing bundled is mixed in.
    out_dir
        Root for outputs: ``<out_dir>/data/processed`` and ``<out_dir>/figures``.
        Default: see :func:`output_dirs`.
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
    say("loading and checking raw data")
    the_case = resolve_case(case, reports=reports, indicators=indicators, events=events)
    root = output_root(the_case, out_dir)
    settings = {"case": the_case.id, "seed": seed, "n_draws": n_draws, "counts": counts}
    out = ReportOutputs()
    with replace_outputs(
        root,
        config.OUTPUT_TREES,
        inputs=_inputs(the_case, coverage),
        protected=[the_case.folder],
        run={**settings, "figures": figures},
    ) as staging:
        processed_dir, figures_dir = (staging.folder(rel) for rel in config.OUTPUT_TREES)
        if coverage is not None and not isinstance(coverage, pd.DataFrame):
            coverage = _read_coverage(coverage)
        say(f"running the association battery ({n_draws} joint draws of the data)")
        battery = run_battery(
            case=the_case,
            n_draws=n_draws,
            seed=seed,
            counts=counts,
            coverage=coverage,
        )
        frames = _frames(the_case)
        # the panel the battery used: indicator series from their latent models
        panel_columns = [c for c in battery.panel.columns if c in frames["panel"]]
        frames["panel"] = battery.panel[panel_columns]
        for name, frame in frames.items():
            out.processed += _write_both(frame, processed_dir, name)
        out.results += [write_csv(battery.summary, processed_dir / "results.csv")]
        out.results += [write_parquet(battery.summary, processed_dir / "results.parquet")]
        out.results += _write_both(battery.support, processed_dir, "data_support")
        out.results += _write_step_tables(battery, processed_dir / "results")
        if figures:
            from cftf_analysis.figures.catalog import render_figures

            say("drawing figures")
            records = render_figures(battery, figures_dir, progress=say)
            out.figures = [p for r in records for p in r.paths]
            out.summary = _write_summary_md(battery, records, figures_dir / "summary.md")
        say(f"replacing the outputs in {root}")
    out.processed, out.results, out.figures = (
        [staging.final(p) for p in paths] for paths in (out.processed, out.results, out.figures)
    )
    out.summary = None if out.summary is None else staging.final(out.summary)
    out.manifest = root / config.OUTPUT_TREES[0] / MANIFEST_NAME
    return out


def _inputs(case: Case, coverage: object) -> dict[str, object]:
    """The run's inputs for the manifest: files, or the loaded tables given as frames."""
    found: dict[str, object] = {"case_file": case.path, "coverage": coverage}
    for kind in ("reports", "indicators", "events"):
        found[kind] = case.inputs.get(kind, getattr(case, kind))
    return found


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


def _sources(case: Case) -> list[str]:
    """The data-sources lines: the case's ``[sources]``, or one line per input file."""
    if case.sources:
        return [
            case.sources[k]
            for k in ("reports", "indicators", "events", "provenance")
            if k in case.sources
        ]
    lines = [f"{kind.capitalize()}: `{shown_path(path)}`." for kind, path in case.inputs.items()]
    return lines or ["Tables given as data frames."]


def _frequency_note(battery) -> str:
    """The analysis period the report used, and why, in one paragraph."""
    from cftf_analysis.stats.support import period_counts

    freq = battery.options.freq
    case = battery.case
    asked = f' (`freq = "{freq}"` in the case file)' if case is not None and case.path else ""
    monthly = battery.panel.set_index("month")[battery.counts].dropna()
    what = "reports" if battery.counts == "n_reports" else "articles"
    if freq == "MS":
        return (
            f"Analysis period: months{asked}. Every analysis runs on monthly counts "
            f"({monthly.mean():.2f} {what} a month on average)."
        )
    quarterly = period_counts(monthly, freq)
    return (
        f"Analysis period: quarters{asked}. Change points and interrupted time series run on "
        f"quarterly counts ({quarterly.mean():.2f} {what} a quarter on average, against "
        f"{monthly.mean():.2f} a month). The indicator analyses (cross-correlation, Granger "
        "tests, count model) are monthly by construction; the checks below say whether the "
        "monthly counts can carry them."
    )


def _support_section(battery) -> list[str]:
    """The section listing every analysis the data cannot support, one sentence per reason."""
    from cftf_analysis.stats.support import support_sentences

    sentences = support_sentences(battery.support)
    body = (
        [f"- {s}" for s in sentences]
        if sentences
        else ["None: the data pass every check of every analysis of the battery."]
    )
    return [
        "## Analyses the data cannot support",
        "",
        "These analyses were not run: each failed check is listed with the number that decides "
        "it and the threshold it is held to. Every check, passed or failed, is in "
        "`data/processed/data_support.csv`.",
        "",
        *body,
        "",
    ]


def _events_section(battery) -> list[str]:
    """The case's question of its dated events: the level change, its MDE, the competing events.

    Read from the ``competing_event`` step's table and checks; nothing when it did not run.
    """
    from cftf_analysis.stats.glm import PERIOD_WORDS
    from cftf_analysis.stats.its_power import MAX_MDE_RATIO
    from cftf_analysis.stats.support import period_label

    result = battery.results.get("competing_event")
    if result is None or result.table.empty:
        return []
    opts, table, freq = battery.options, result.table, battery.options.freq
    words = PERIOD_WORDS[freq][1]
    kinds = battery.events.set_index("event_id")["category"].astype(str)

    def named(ids) -> str:
        kind = " / ".join(dict.fromkeys(kinds[list(ids)]))
        return f"{kind} event{'s' if len(ids) > 1 else ''} {', '.join(ids)}"

    def estimate(row) -> str:
        return (
            f"rate ratio {row['ratio']:.2f} (95% CI {row['ratio_low']:.2f}-"
            f"{row['ratio_high']:.2f}), p = {row['p_value']:.2f}"
        )

    power = f"{table['power'].iloc[0]:.0%} power at alpha {opts.alpha:g}"

    def detectable(row) -> str:
        if math.isinf(float(row["mde"])):
            return f"detects no rise up to a rate ratio of {MAX_MDE_RATIO:g} with {power}"
        return f"detects a rise from a rate ratio of {row['mde']:.2f} on with {power}"

    lines = [
        "## Before and after the dated events",
        "",
        f"The question asked of the events: did reporting change level from the "
        f"{PERIOD_WORDS[freq][0]} of the first of the {named(opts.interruption)}, with the "
        f"{named(opts.competing)} as a competing explanation? Segmented quasi-Poisson models "
        f"with a linear pre-trend over the whole series, on {words} "
        "(`data/processed/results/competing_event.csv`).",
        "",
    ]
    separate = table[table["model"] == "separate"]
    fitted = separate[separate["supported"].astype(bool)]
    for _, row in fitted.iterrows():
        ids = row["event_id"].split(", ")
        lines.append(
            f"- {named(ids)} ({period_label(row['event_date'], freq)}), each event with a "
            f"level change of its own: {estimate(row)}; the test {detectable(row)}."
        )
    support = battery.support
    apart = support[
        (support["analysis"] == "competing_event")
        & (support["check"] == "periods_between")
        & ~support["supported"]
    ]
    for reason in apart["reason"]:
        lines.append(f"- Each event with a level change of its own: not run, because {reason}.")
    for _, row in separate[~separate["supported"].astype(bool)].iterrows():
        lines.append(
            f"- On these {words}, a test of the {named(row['event_id'].split(', '))} with a "
            f"level change of each event {detectable(row)}."
        )
    together = table[table["model"] == "together"]
    for _, row in together.iterrows():
        first = period_label(row["event_date"], freq)
        found = "a change" if row["p_value"] < opts.alpha else "no change"
        smaller = (
            " The estimate is below that: a real change of its size would probably go unseen."
            if row["ratio"] < row["mde"]
            else ""
        )
        lines += [
            f"- The events together, one level change from {first} (the first of them), over "
            f"{int(row['n_obs'])} {words}: {estimate(row)}, so {found} at alpha {opts.alpha:g}. "
            f"The test {detectable(row)} (its minimum detectable effect, from "
            f"{int(row['n_sims'])} simulations of these {words} with the fitted trend and "
            f"overdispersion).{smaller} Any change found here belongs to the interruption and "
            "the competing events together; it cannot be attributed to either alone.",
        ]
    more = result.tables.get("competing_event_more_reports")
    if more is not None and len(more) > 1:
        more = more[more["reports_factor"] > 1]
        lines.append(
            "- With more reports (the same trend and overdispersion), the minimum detectable "
            "effect of the events together would be "
            + _and_text(
                [
                    f"{r['mde']:.2f} with {r['reports_factor']:g} times as many "
                    f"({r['mean_per_period']:.1f} a {PERIOD_WORDS[freq][0]})"
                    for _, r in more.iterrows()
                ]
            )
            + " (`data/processed/results/competing_event_more_reports.csv`)."
        )
    return [*lines, ""]


def _and_text(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def _write_summary_md(battery, records, path: Path) -> Path:
    from cftf_analysis.stats.findings import FINDING_COLUMNS, plain_reading
    from cftf_analysis.stats.glm import PERIOD_WORDS

    case = battery.case
    per = PERIOD_WORDS[battery.options.freq][0]
    # the table a reader scans; method and caveat stay in results.csv
    shown = [c for c in FINDING_COLUMNS if c not in ("method", "indicator", "caveat")]
    table = battery.summary[shown]
    origin = f"the case file `{shown_path(case.path)}`" if case.path is not None else "the inputs"
    parts = [
        f"# cftf_analysis report: {case.name}",
        "",
        case.title,
        f"Generated by `cftf-analysis report` from {origin}; do not edit by hand.",
        "",
        _frequency_note(battery),
        "",
        "## Results",
        "",
        _markdown_table(table),
        "",
        "## What each finding means",
        "",
        *[
            line
            for _, row in battery.summary.iterrows()
            for line in (
                f"- **{row['finding']}**: {plain_reading(row, battery.options.alpha, per)}",
                f"  *Caveat:* {row['caveat']}.",
            )
        ],
        "",
        *_events_section(battery),
        *_support_section(battery),
        "## Caveats of the data",
        "",
        *[f"- {c}" for c in data_caveats("all", case)],
        "",
        "## Figures",
        "",
    ]
    for rec in records:
        png = next(p for p in rec.paths if p.suffix == ".png")
        parts += [f"### {rec.title}", "", f"![{rec.title}]({png.name})", "", rec.caption, ""]
    if battery.errors:
        parts += ["## Tests that could not run", "", *[f"- {e}" for e in battery.errors], ""]
    parts += ["## Data sources", "", *[f"- {line}" for line in _sources(case)], ""]
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return path
