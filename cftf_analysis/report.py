"""The one-command report: raw -> processed -> results -> figures.

:func:`run_report` is what ``cftf-analysis report`` and ``make report`` run.
Its outputs are one set: the tables, results and figures are built in
staging folders and swapped in together with a ``manifest.json`` (see
:mod:`cftf_analysis.outputs`), so a killed or failed run leaves the previous
set exactly as it was, never a mix; nothing is written over the raw data or
an input; and every step is seeded, so two runs give byte-identical files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cftf_analysis import config
from cftf_analysis._io import (
    Source,
    atomic_path,
    csv_schema,
    read_written_csv,
    write_csv,
    write_parquet,
)
from cftf_analysis.case import Case, IndicatorType, case_from_inputs, load_case
from cftf_analysis.caveats import data_caveats
from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.indicators import load_indicators
from cftf_analysis.loaders import load_events, load_reports
from cftf_analysis.outputs import MANIFEST_NAME, check_outputs, replace_outputs, shown_path
from cftf_analysis.panel import monthly_panel

if TYPE_CHECKING:  # pragma: no cover
    from cftf_analysis.stats.battery import Battery

__all__ = [
    "BATTERY_FILE",
    "RESULTS_FORMAT",
    "ReportOutputs",
    "build_processed",
    "load_results",
    "output_dirs",
    "output_root",
    "redraw_figures",
    "resolve_case",
    "run_report",
]

#: Version of what ``data/processed`` holds for :func:`load_results` (the battery
#: file and the tables it names). The report records it in the manifest; a new
#: table keeps it, a changed meaning or layout bumps it, and results written
#: under another version are refused (run the report again).
RESULTS_FORMAT = 1
#: The battery's description beside its tables, below ``data/processed``: options,
#: series, case, steps (their rows of ``results.csv`` and their tables) and each
#: table's file and column types.
BATTERY_FILE = "results/battery.json"
#: The latent series' observations (:attr:`Battery.latent_observations`), below
#: ``data/processed``.
LATENT_FILE = "results/latent_observations.csv"

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
    multiverse: bool = True,
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
    multiverse
        Also run the findings under every defensible combination of analysis
        choices (:func:`~cftf_analysis.stats.multiverse.multiverse`, at its
        default size, with ``seed``): ``multiverse.csv``,
        ``multiverse_shares.csv``, ``multiverse_specs.csv`` and
        ``multiverse_skipped.csv`` in ``data/processed``, the specification
        curve figure and a section of ``summary.md``.
    progress
        Called with a short message before each step.
    """
    from cftf_analysis.stats.battery import run_battery
    from cftf_analysis.stats.draws import IndicatorCache

    say = progress or (lambda _msg: None)
    say("loading and checking raw data")
    the_case = resolve_case(case, reports=reports, indicators=indicators, events=events)
    root = output_root(the_case, out_dir)
    settings = {
        "case": the_case.id,
        "seed": seed,
        "n_draws": n_draws,
        "counts": counts,
        "multiverse": multiverse,
    }
    out = ReportOutputs()
    with replace_outputs(
        root,
        config.OUTPUT_TREES,
        inputs=_inputs(the_case, coverage),
        protected=[the_case.folder],
        run={**settings, "figures": figures, "results_format": RESULTS_FORMAT},
    ) as staging:
        processed_dir, figures_dir = (staging.folder(rel) for rel in config.OUTPUT_TREES)
        if coverage is not None and not isinstance(coverage, pd.DataFrame):
            coverage = _read_coverage(coverage)
        say(f"running the association battery ({n_draws} joint draws of the data)")
        # the multiverse reuses the battery's latent fits and null models
        cache = IndicatorCache()
        battery = run_battery(
            case=the_case,
            n_draws=n_draws,
            seed=seed,
            counts=counts,
            coverage=coverage,
            cache=cache,
        )
        if multiverse:
            battery = _with_multiverse(battery, coverage, counts, seed, cache, say)
        frames = _frames(the_case)
        # the panel the battery used (indicator series from their latent models, the
        # article counts when there is coverage), without its rescaled copies of the series
        frames["panel"] = battery.panel.drop(columns=_scaled_columns(battery))
        for name, frame in frames.items():
            out.processed += _write_both(frame, processed_dir, name)
        out.results += [write_csv(battery.summary, processed_dir / "results.csv")]
        out.results += [write_parquet(battery.summary, processed_dir / "results.parquet")]
        text = _summary_text(the_case)
        out.results += _write_both(battery.support, processed_dir, "data_support")
        out.results += _write_results(battery, processed_dir, text)
        if figures:
            say("drawing figures")
            out.figures, out.summary = _draw(battery, text, figures_dir, say)
        say(f"replacing the outputs in {root}")
    out.processed, out.results, out.figures = (
        [staging.final(p) for p in paths] for paths in (out.processed, out.results, out.figures)
    )
    out.summary = None if out.summary is None else staging.final(out.summary)
    out.manifest = root / config.OUTPUT_TREES[0] / MANIFEST_NAME
    return out


def _with_multiverse(battery, coverage, counts: str, seed: int, cache, say: Progress):
    """The battery with the multiverse of analysis choices attached (reference: its counts)."""
    from cftf_analysis.stats.multiverse import DEFAULT_CHOICES
    from cftf_analysis.stats.multiverse import multiverse as run_multiverse

    choices = dict(DEFAULT_CHOICES)
    choices["counts"] = (counts, *[c for c in DEFAULT_CHOICES["counts"] if c != counts])
    say("running the findings under every defensible combination of analysis choices")
    mv = run_multiverse(battery.case, coverage=coverage, choices=choices, seed=seed, cache=cache)
    return replace(battery, multiverse=mv)


def _inputs(case: Case, coverage: object) -> dict[str, object]:
    """The run's inputs for the manifest: files, or the loaded tables given as frames."""
    found: dict[str, object] = {"case_file": case.path, "coverage": coverage}
    for kind in ("reports", "indicators", "events"):
        found[kind] = case.inputs.get(kind, getattr(case, kind))
    return found


def _scaled_columns(battery: Battery) -> list[str]:
    """The panel columns holding each series rescaled for rate ratios (the battery adds them)."""
    from cftf_analysis.stats.findings import scale_of

    found = [f"{n}_{scale_of(info.unit).suffix}" for n, info in battery.series.items()]
    return [c for c in found if c in battery.panel.columns]


def _write_results(battery: Battery, processed: Path, text: Mapping[str, Any]) -> list[Path]:
    """Each step's tables as CSV, the latent observations, and the battery file naming them.

    The battery file (:data:`BATTERY_FILE`) holds everything else
    :func:`load_results` needs: the options, series and case, which rows of
    ``results.csv`` each step found, each table's file and column types, and
    the text of ``summary.md`` that comes from the case.
    """
    paths: list[Path] = []
    files: dict[str, dict[str, Any]] = {}

    def write(frame: pd.DataFrame, rel: str) -> str:
        paths.append(write_csv(frame, processed / rel))
        files[rel] = csv_schema(frame)
        return rel

    steps = []
    for name, result in battery.results.items():
        step = battery.steps.get(name)
        table_name = getattr(step, "table_name", None)
        steps.append(
            {
                "name": name,
                "rows": [i for i, s in enumerate(battery.finding_steps) if s == name],
                "table": write(result.table, f"results/{table_name}.csv")
                if table_name is not None and not result.table.empty
                else None,
                "tables": {
                    t: write(table, f"results/{t}.csv") for t, table in result.tables.items()
                },
                "errors": list(result.errors),
            }
        )
    write(battery.latent_observations, LATENT_FILE)
    write(battery.panel[_scaled_columns(battery)], _RESCALED_FILE)
    multiverse = None
    if battery.multiverse is not None:
        mv = battery.multiverse
        multiverse = {
            "tables": {
                name: write(getattr(mv, name), f"{stem}.csv")
                for name, stem in _MULTIVERSE_FILES.items()
            },
            "choices": {k: list(v) for k, v in mv.choices.items()},
            "n_draws": mv.n_draws,
            "n_null": mv.n_null,
            "seed": mv.seed,
            "alpha": mv.alpha,
        }
    options = dataclasses.asdict(battery.options)
    doc = {
        "format": RESULTS_FORMAT,
        "options": {**options, "pairs": list(battery.options.pairs)},
        "series": {n: dataclasses.asdict(info) for n, info in battery.series.items()},
        "panel_columns": [str(c) for c in battery.panel.columns],
        "case": _case_doc(battery.case),
        "errors": list(battery.errors),
        "steps": steps,
        "files": files,
        "summary_md": dict(text),
        "multiverse": multiverse,
    }
    path = processed / BATTERY_FILE
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [*paths, path]


#: MultiverseResult table -> its file in data/processed (without ``.csv``).
_MULTIVERSE_FILES = {
    "table": "multiverse",
    "shares": "multiverse_shares",
    "specs": "multiverse_specs",
    "skipped": "multiverse_skipped",
}

#: Case fields that are tuples (JSON gives lists back).
_CASE_TUPLES = (
    "aliases", "collection_uniform", "collection_leads", "major_events", "interruption_events",
    "competing_events",
)  # fmt: skip


def _case_doc(case: Case | None) -> dict[str, Any] | None:
    """The case as JSON: everything the case file says, without its tables and paths."""
    if case is None:
        return None
    skip = ("path", "reports", "indicators", "events", "inputs")
    doc: dict[str, Any] = {}
    for f in dataclasses.fields(case):
        if f.name in skip:
            continue
        value = getattr(case, f.name)
        if f.name == "indicator_types":
            value = {k: dataclasses.asdict(v) for k, v in value.items()}
        doc[f.name] = json.loads(json.dumps(value))  # tuples and mappings as plain JSON
    return doc


def _case_from_doc(doc: Mapping[str, Any] | None) -> Case | None:
    if doc is None:
        return None
    values = dict(doc)
    for name in _CASE_TUPLES:
        values[name] = tuple(values.get(name, ()))
    values["indicator_types"] = {
        k: IndicatorType(**v) for k, v in values.get("indicator_types", {}).items()
    }
    values["corpus"] = {k: tuple(v) for k, v in values.get("corpus", {}).items()}
    values["caveats"] = {
        k: v if isinstance(v, str) else tuple(v) for k, v in values.get("caveats", {}).items()
    }
    return Case(**values)


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


def _frequency_note(battery, *, from_case: bool) -> str:
    """The analysis period the report used, and why, in one paragraph."""
    from cftf_analysis.stats.support import period_counts

    freq = battery.options.freq
    asked = f' (`freq = "{freq}"` in the case file)' if from_case else ""
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


def _multiverse_md(mv, labels: dict[str, str], options) -> list[str]:
    """The summary's section on the multiverse: how often each finding holds, in words."""
    if mv is None:
        return []
    if mv.table.empty:
        return [
            "## Across defensible analysis choices",
            "",
            "No specification could compute an indicator finding on these data, so there is "
            "nothing to compare across analysis choices (the section on the analyses the data "
            "cannot support says why).",
            "",
        ]
    shown = mv.shares[
        ["finding", "indicator", "n_specs", "n_holds", "share_holds", "uniform_n_reports",
         "uniform_estimate", "uniform_p_value", "uniform_same_conclusion"]
    ]  # fmt: skip
    lines = [
        "## Across defensible analysis choices",
        "",
        f"Each finding under {mv.n_specs} specifications: every combination of the choices "
        f"below that applies, each with {mv.n_draws} joint draws and {mv.n_null} simulated "
        f"unrelated indicators (the results above: {options.n_draws} and {options.n_null}, "
        "so the reference specification, the results' own choices, can differ from them a "
        "little). A finding *holds* in a "
        f"specification where it is significant at {mv.alpha:g} with the reference's sign; "
        "the *uniform protocol* counts only the reports found by the uniform month-by-month "
        "search.",
        "",
        *[f"- {sentence}" for sentence in mv.in_words(labels)],
        "",
        _markdown_table(shown),
        "",
        "Choices varied: "
        + "; ".join(
            f"{name} ({', '.join(str(v) for v in values)})"
            for name, values in mv.choices.items()
            if len(values) > 1
        )
        + ".",
        "",
    ]
    if not mv.skipped.empty:
        lines += ["Not varied:", ""]
        for _, row in mv.skipped.iterrows():
            where = f" ({row['indicator']})" if isinstance(row["indicator"], str) else ""
            lines.append(f"- {row['choice']} = {row['value']}{where}: {row['reason']}")
        lines.append("")
    not_run = mv.specs[mv.specs["status"] != "ran"]
    if len(not_run):
        lines += [
            f"{len(not_run)} of {mv.n_specs} specifications could not compute every finding "
            "(`data/processed/multiverse_specs.csv`, column `reason`).",
            "",
        ]
    lines += [
        "Every row is in `data/processed/multiverse.csv`; the shares and the uniform-protocol "
        "results in `multiverse_shares.csv`.",
        "",
    ]
    return lines


def _summary_text(case: Case) -> dict[str, Any]:
    """What ``summary.md`` says from the case (kept in the battery file for a redraw)."""
    origin = f"the case file `{shown_path(case.path)}`" if case.path is not None else "the inputs"
    return {
        "name": case.name,
        "title": case.title,
        "origin": origin,
        "caveats": data_caveats("all", case),
        "sources": _sources(case),
    }


def _draw(
    battery: Battery, text: Mapping[str, Any], folder: Path, say: Progress
) -> tuple[list[Path], Path]:
    """Draw every figure into ``folder`` and write its ``summary.md``."""
    from cftf_analysis.figures.catalog import render_figures

    records = render_figures(battery, folder, progress=say)
    paths = [p for r in records for p in r.paths]
    return paths, _write_summary_md(battery, text, records, folder / "summary.md")


def _write_summary_md(battery: Battery, text: Mapping[str, Any], records, path: Path) -> Path:
    from cftf_analysis.stats.findings import FINDING_COLUMNS, plain_reading
    from cftf_analysis.stats.glm import PERIOD_WORDS

    per = PERIOD_WORDS[battery.options.freq][0]
    # the table a reader scans; method and caveat stay in results.csv
    shown = [c for c in FINDING_COLUMNS if c not in ("method", "indicator", "caveat")]
    table = battery.summary[shown]
    labels = {name: info.label for name, info in battery.series.items()}
    parts = [
        f"# cftf_analysis report: {text['name']}",
        "",
        text["title"],
        f"Generated by `cftf-analysis report` from {text['origin']}; do not edit by hand.",
        "",
        _frequency_note(battery, from_case=text["origin"].startswith("the case file")),
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
        *_multiverse_md(battery.multiverse, labels, battery.options),
        *_events_section(battery),
        *_support_section(battery),
        "## Caveats of the data",
        "",
        *[f"- {c}" for c in text["caveats"]],
        "",
        "## Figures",
        "",
    ]
    for rec in records:
        png = next(p for p in rec.paths if p.suffix == ".png")
        parts += [f"### {rec.title}", "", f"![{rec.title}]({png.name})", "", rec.caption, ""]
    if battery.errors:
        parts += ["## Tests that could not run", "", *[f"- {e}" for e in battery.errors], ""]
    parts += ["## Data sources", "", *[f"- {line}" for line in text["sources"]], ""]
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return path


#: Manifest keys that every run computes afresh (the others are the run's settings).
_MANIFEST_OWN = ("files", "format", "inputs", "package", "version")
#: The rescaled series the battery adds to its panel, below ``data/processed``.
_RESCALED_FILE = "results/panel_rescaled.csv"


def _processed_folder(folder: str | os.PathLike[str]) -> Path:
    """``folder`` when it is a processed folder (with a manifest), else its ``data/processed``."""
    path = Path(folder)
    if (path / MANIFEST_NAME).is_file() and not (path / config.OUTPUT_TREES[0]).is_dir():
        return path
    return path / config.OUTPUT_TREES[0]


def _read_manifest(processed: Path) -> tuple[dict[str, Any], bytes]:
    """The processed folder's manifest (and its bytes), if it holds results this version reads."""
    from cftf_analysis import __version__

    path = processed / MANIFEST_NAME
    if not path.is_file():
        raise DataValidationError(
            f"no report results here (no {MANIFEST_NAME}); run `cftf-analysis report` first",
            file=str(processed),
        )
    raw = path.read_bytes()
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataValidationError(
            f"not a manifest of cftf-analysis ({exc})", file=str(path)
        ) from exc
    if not isinstance(doc, dict) or doc.get("package") != "cftf-analysis":
        raise DataValidationError("not a manifest of cftf-analysis", file=str(path))
    found = doc.get("results_format")
    if found != RESULTS_FORMAT:
        how = (
            f"results format {found}"
            if found is not None
            else "an older format that cannot be read back"
        )
        raise DataValidationError(
            f"the results were written by cftf-analysis {doc.get('version', '(unknown)')} in "
            f"{how}; this version ({__version__}) reads results format {RESULTS_FORMAT}: run "
            "`cftf-analysis report` again",
            file=str(path),
        )
    return doc, raw


def _processed_files(processed: Path, manifest: Mapping[str, Any]) -> list[Path]:
    """The processed files the manifest lists, each checked to be as the report wrote it."""
    prefix = f"{config.OUTPUT_TREES[0]}/"
    found = []
    for name, digest in sorted(manifest.get("files", {}).items()):
        if not name.startswith(prefix):
            continue
        path = processed / name.removeprefix(prefix)
        if not path.is_file():
            what = "is missing"
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            what = "has changed"
        else:
            found.append(path)
            continue
        raise DataValidationError(
            f"{what} since the report wrote it ({MANIFEST_NAME}); run `cftf-analysis report` "
            "again",
            file=str(path),
        )
    return found


def _battery_from(processed: Path, *, steps: bool = True) -> Battery:
    """The battery whose tables are in ``processed`` (see :func:`load_results`).

    ``steps=False`` leaves ``Battery.steps`` empty: the figures do not read it, and
    registering the steps imports every statistics module (a second of a redraw).
    """
    from cftf_analysis.panel import SeriesInfo
    from cftf_analysis.stats.battery import Battery, BatteryOptions, StepResult, registered_steps

    path = processed / BATTERY_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        files = doc["files"]

        def table(rel: str) -> pd.DataFrame:
            return read_written_csv(processed / rel, files[rel])

        summary = pd.read_parquet(processed / "results.parquet")
        options = BatteryOptions(**{**doc["options"], "pairs": tuple(doc["options"]["pairs"])})
        series = {name: SeriesInfo(**info) for name, info in doc["series"].items()}
        panel = pd.read_parquet(processed / "panel.parquet")
        rescaled = table(_RESCALED_FILE)
        panel = pd.concat([panel, rescaled], axis=1)[doc["panel_columns"]]
        results, finding_steps = {}, [""] * len(summary)
        for step in doc["steps"]:
            for i in step["rows"]:
                finding_steps[i] = step["name"]
            results[step["name"]] = StepResult(
                # the step's own rows: p_battery is the battery's, added to the summary
                rows=summary.iloc[step["rows"]].reset_index(drop=True).assign(p_battery=np.nan),
                table=table(step["table"]) if step["table"] else pd.DataFrame(),
                tables={name: table(rel) for name, rel in step["tables"].items()},
                errors=tuple(step["errors"]),
            )
        case = _case_from_doc(doc["case"])
        latent = table(LATENT_FILE)
        multiverse = _multiverse_from(doc.get("multiverse"), table)
        support_file = processed / "data_support.parquet"
        support = pd.read_parquet(support_file) if support_file.is_file() else pd.DataFrame()
    except (KeyError, TypeError, ValueError) as exc:
        raise DataValidationError(
            f"cannot read the report's results ({type(exc).__name__}: {exc}); run "
            "`cftf-analysis report` again",
            file=str(path),
        ) from exc
    known = registered_steps() if steps else {}
    events = processed / "events.parquet"
    return Battery(
        panel=panel,
        summary=summary,
        results=results,
        steps={name: known[name] for name in results if name in known},
        errors=list(doc["errors"]),
        options=options,
        reports=pd.read_parquet(processed / "reports.parquet"),
        indicators=pd.read_parquet(processed / "indicators.parquet"),
        events=pd.read_parquet(events) if events.is_file() else None,
        series=series,
        case=case,
        finding_steps=tuple(finding_steps),
        latent_observations=latent,
        multiverse=multiverse,
        support=support,
    )


def _multiverse_from(doc: Mapping[str, Any] | None, table: Callable[[str], pd.DataFrame]):
    """The MultiverseResult a report wrote (its tables and settings), or None."""
    if doc is None:
        return None
    from cftf_analysis.stats.multiverse_result import MultiverseResult

    return MultiverseResult(
        **{name: table(rel) for name, rel in doc["tables"].items()},
        choices={k: tuple(v) for k, v in doc["choices"].items()},
        n_draws=int(doc["n_draws"]),
        n_null=int(doc["n_null"]),
        seed=int(doc["seed"]),
        alpha=float(doc["alpha"]),
    )


def load_results(folder: str | os.PathLike[str] | None = None) -> Battery:
    """Read the battery back from the files a report wrote, without running anything.

    Parameters
    ----------
    folder
        An output root (the ``--out`` of ``cftf-analysis report``, holding
        ``data/processed``) or a ``data/processed`` folder itself; default
        the project's (:data:`~cftf_analysis.config.PROCESSED_DIR`).

    Returns
    -------
    Battery
        With every table the report wrote: ``summary`` (``results.parquet``),
        each step's ``rows`` (its rows of the summary, with ``p_battery``
        empty as a step leaves it), ``table`` and ``tables``, the ``panel``
        (with the rescaled series), ``reports``, ``indicators``, ``events``,
        the options, series and case (without its tables or file), the errors
        and :attr:`~cftf_analysis.Battery.latent_observations`. Not kept: the
        joint draws (``draws`` is None), the steps' shared ``context`` (None),
        fitted models (each step's ``models`` is empty: the figures read
        tables) and the coverage frame (its counts are panel columns). The
        figures drawn from it are those the report drew (:func:`redraw_figures`).

    Raises
    ------
    DataValidationError
        When the folder holds no report results, results from a version that
        wrote another format (:data:`RESULTS_FORMAT`, recorded in the
        manifest), or a file that is missing or changed since the report.

    Examples
    --------
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> _ = run_report(out_dir=root, n_draws=5, figures=False, multiverse=False)
    >>> battery = load_results(root)
    >>> list(battery.results)[:3], battery.draws is None
    (['ccf', 'granger', 'count_model'], True)
    >>> battery["ccf"].table.equals(pd.read_csv(f"{root}/data/processed/results/ccf.csv"))
    True
    """
    processed = _processed_folder(config.PROJECT_ROOT if folder is None else folder)
    manifest, _ = _read_manifest(processed)
    _processed_files(processed, manifest)
    return _battery_from(processed)


def redraw_figures(
    *,
    case: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> ReportOutputs:
    """Draw the figures and ``summary.md`` again from a report's results; run no analysis.

    The results are read with :func:`load_results`; the figures and summary
    are those :func:`run_report` draws from the same results, byte for byte
    (when the package has not changed since), and replace the previous ones
    the way a report does: ``data/processed`` (copied unchanged) and
    ``figures`` are swapped in together, with a new manifest that keeps the
    report's inputs and settings, so a failed or killed redraw leaves the
    previous outputs exactly as they were.

    Parameters
    ----------
    case
        A case file or a bundled case's id: read its results in the case's
        default output folder (see :func:`output_root`); default the bundled case.
    out_dir
        The output root the report wrote to (its ``--out``); overrides ``case``.
    progress
        Called with a short message before each step.

    Returns
    -------
    ReportOutputs
        ``figures``, ``summary`` and ``manifest``; ``processed`` and
        ``results`` are empty (those files are copied unchanged).

    Raises
    ------
    DataValidationError
        As :func:`load_results`: no results, results in an older format, a
        file missing or changed since the report.
    OutputError
        As :func:`run_report`: the outputs cannot be written, another run
        holds the folder, or the results changed while the figures were drawn.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = run_report(out_dir=root, n_draws=5, figures=False, multiverse=False)
    >>> out = redraw_figures(out_dir=root)
    >>> [p.name for p in out.figures][:2], out.summary.name
    (['timeline.png', 'timeline.svg'], 'summary.md')
    """
    from cftf_analysis.case import find_case_file, read_case_file
    from cftf_analysis.errors import OutputError

    say = progress or (lambda _msg: None)
    if out_dir is None:
        root = output_root(read_case_file(find_case_file(case)), None)
    else:
        root = Path(out_dir)
    processed = root / config.OUTPUT_TREES[0]
    say(f"reading the results in {processed}")
    manifest, raw = _read_manifest(processed)  # before anything is locked or written
    run = {k: v for k, v in manifest.items() if k not in _MANIFEST_OWN}
    out = ReportOutputs()
    with replace_outputs(
        root, config.OUTPUT_TREES, inputs=manifest.get("inputs", {}), run={**run, "figures": True}
    ) as staging:
        # under the folder's lock: the results are still the ones read, and complete
        if (processed / MANIFEST_NAME).read_bytes() != raw:
            raise OutputError(
                f"the results in '{processed}' changed while the figures were being drawn "
                "(another run?); run the command again"
            )
        files = _processed_files(processed, manifest)
        battery = _battery_from(processed, steps=False)
        text = json.loads((processed / BATTERY_FILE).read_text(encoding="utf-8"))["summary_md"]
        processed_dir, figures_dir = (staging.folder(rel) for rel in config.OUTPUT_TREES)
        for path in files:
            target = processed_dir / path.relative_to(processed)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        say("drawing figures")
        out.figures, out.summary = _draw(battery, text, figures_dir, say)
        say(f"replacing the outputs in {root}")
    out.figures = [staging.final(p) for p in out.figures]
    out.summary = staging.final(out.summary) if out.summary is not None else None
    out.manifest = processed / MANIFEST_NAME
    return out
