"""Hostile inputs: run hand-made bad files through the API and the CLI and classify each outcome.

Every case builds one input in a temporary folder, runs it (a loader, ``validate_file``,
``count_corpus``, ``write_csv``, or the ``cftf-analysis`` command in a subprocess) and says
what should happen: a named error (with the words it must contain: a row, a column, a line,
an encoding), or a frame with known values. The outcome is one of

- **clean**: the expected error, naming what the case requires, or the expected frame;
- **imperfect**: the package's own error, but it misses a required word (no row, no line) or
  a valid input was refused;
- **crashed**: another exception, or a traceback from the command;
- **silent wrong**: the input loaded (or the command exited 0) though it should not have, or
  a value differs from what the file says;
- **lost**: rows or values of a valid input are missing.

Run from the project root: ``python validation/hostile_inputs.py`` (``make hostile``). It
writes ``validation/results/hostile_inputs.md``. Goal: 0 crashed, 0 silent wrong, 0 lost.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
# the checkout's package, not another installed copy (the script runs from validation/)
sys.path.insert(0, str(ROOT))

import cftf_analysis as cftf  # noqa: E402
from cftf_analysis import config  # noqa: E402
from cftf_analysis._io import write_csv  # noqa: E402
from cftf_analysis.errors import CftfError  # noqa: E402
from cftf_analysis.validate import validate_file  # noqa: E402

OUT = ROOT / "validation" / "results" / "hostile_inputs.md"
OUTCOMES = ("clean", "imperfect", "crashed", "silent wrong", "lost")


@dataclass
class Case:
    ident: str
    area: str
    via: str
    description: str
    run: Callable[[Path], tuple[str, str]]


CASES: list[Case] = []


def case(ident: str, area: str, via: str, description: str):
    def register(func: Callable[[Path], tuple[str, str]]):
        CASES.append(Case(ident, area, via, description, func))
        return func

    return register


# --- building inputs --------------------------------------------------------------------------


def raw(kind: str) -> pd.DataFrame:
    name = {"reports": "defection_reports.csv", "indicators": "indicators.csv"}.get(
        kind, "events.csv"
    )
    return pd.read_csv(config.RAW_DIR / name, dtype=str, keep_default_na=False)


def edited(kind: str, edits: dict[tuple[int, str], str]) -> pd.DataFrame:
    frame = raw(kind)
    for (row, column), value in edits.items():
        frame.loc[row - 1, column] = value
    return frame


def csv_file(folder: Path, frame: pd.DataFrame, name: str = "input.csv") -> Path:
    path = folder / name
    frame.to_csv(path, index=False)
    return path


def book(folder: Path, sheets: dict[str, pd.DataFrame | list[list[object]]], name="in.xlsx"):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, content in sheets.items():
        sheet = wb.create_sheet(title)
        rows = (
            [list(content.columns), *content.to_numpy().tolist()]
            if isinstance(content, pd.DataFrame)
            else content
        )
        for row in rows:
            sheet.append(row)
    path = folder / name
    wb.save(path)
    return path


LOADERS = {
    "reports": cftf.load_reports,
    "indicators": cftf.load_indicators,
    "events": cftf.load_events,
}


# --- judging outcomes ------------------------------------------------------------------------


def expect_error(call: Callable[[], object], *mention: str, if_loaded: str = "silent wrong"):
    """The call must raise the package's error containing every word in ``mention``."""
    try:
        call()
    except CftfError as exc:
        text = str(exc)
        missing = [m for m in mention if m.lower() not in text.lower()]
        if missing:
            return "imperfect", f"{text[:160]} (missing: {', '.join(missing)})"
        return "clean", text[:160]
    except Exception as exc:
        return "crashed", f"{type(exc).__name__}: {str(exc)[:140]}"
    return if_loaded, "loaded without an error"


def expect_frame(call: Callable[[], pd.DataFrame], check: Callable[[pd.DataFrame], str | None]):
    """The call must return a frame; ``check`` returns None, or an outcome and why it failed."""
    try:
        frame = call()
    except CftfError as exc:
        return "imperfect", f"refused a valid input: {str(exc)[:140]}"
    except Exception as exc:
        return "crashed", f"{type(exc).__name__}: {str(exc)[:140]}"
    verdict = check(frame)
    return ("clean", "loaded as expected") if verdict is None else verdict


def cli(*args: str, expect_exit: int = 1, mention: tuple[str, ...] = (), absent=()):
    """Run the command; it must exit with ``expect_exit``, print ``mention``, no traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "cftf_analysis.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    output = done.stdout + done.stderr
    if "Traceback" in output:
        last = [line for line in output.splitlines() if line.strip()][-1]
        return "crashed", last[:160]
    if done.returncode != expect_exit:
        if expect_exit == 1 and done.returncode == 0:
            return "silent wrong", f"exit 0: {output.strip()[:140]}"
        return "imperfect", f"exit {done.returncode}: {output.strip()[:140]}"
    missing = [m for m in mention if m not in output]
    shown = [a for a in absent if a in output]
    if missing or shown:
        why = f"missing {missing}" if missing else f"printed {shown}"
        return "imperfect", f"{why}: {output.strip()[:140]}"
    first = output.strip().splitlines()[0] if output.strip() else ""
    return "clean", first[:160]


# --- 1. numbers --------------------------------------------------------------------------------

NUMBER_CASES = [
    ("N01", "indicators", (2, "value"), "inf", "value 'inf'"),
    ("N02", "indicators", (2, "value"), "Infinity", "value 'Infinity'"),
    ("N03", "indicators", (2, "value"), "1e309", "value 1e309 (overflows a float)"),
    ("N04", "indicators", (21, "low"), "nan", "low 'nan'"),
    ("N05", "indicators", (21, "high"), "-inf", "high '-inf'"),
    ("N06", "indicators", (2, "value"), "1,000", "thousands separator"),
    ("N07", "indicators", (2, "value"), "٨٠", "Arabic-Indic digits"),
    ("N08", "indicators", (2, "value"), "0x1A", "hexadecimal"),
    ("N09", "indicators", (84, "value"), "-100", "percent change of -100"),
    ("N10", "indicators", (84, "value"), "-250", "percent change of -250"),
    ("N11", "reports", (4, "group_size"), "inf", "group_size 'inf'"),
    ("N12", "reports", (4, "group_size"), "1e20", "group_size 1e20"),
    ("N13", "reports", (4, "group_size"), "100001", "group_size above the maximum"),
    ("N14", "reports", (4, "group_size"), "2.5", "fractional group_size"),
]


def _number_case(kind, cell, value):
    def run(folder: Path):
        path = csv_file(folder, edited(kind, {cell: value}))
        return expect_error(lambda: LOADERS[kind](path), f"row {cell[0]}", f"'{cell[1]}'")

    return run


for ident, kind, cell, value, what in NUMBER_CASES:
    case(ident, "numbers", "API", f"{kind}: {what}")(_number_case(kind, cell, value))


@case("N15", "numbers", "API", "finite value that overflows in the canonical unit")
def _overflow(folder):
    path = csv_file(
        folder, edited("indicators", {(2, "value"): "1e300", (2, "unit"): "USD billion per day"})
    )
    return expect_error(lambda: cftf.load_indicators(path), "row 2", "'value'", "too large")


@case("N16", "numbers", "API", "km2 change larger than its baseline level (negative level)")
def _negative_level(folder):
    path = csv_file(folder, edited("indicators", {(81, "value"): "-500000"}))
    return expect_error(lambda: cftf.load_indicators(path), "row 81", "negative level")


@case("N17", "numbers", "CLI", "validate an indicators file with 'Infinity'")
def _number_cli(folder):
    path = csv_file(folder, edited("indicators", {(5, "value"): "Infinity"}))
    return cli("validate", str(path), mention=("row 5, column 'value'",))


@case("N18", "numbers", "API", "percent decline of -99.5 still loads (no false alarm)")
def _small_decline(folder):
    path = csv_file(folder, edited("indicators", {(84, "value"): "-99.5"}))

    def check(frame):
        level = frame.set_index("indicator_id").loc["I084~level", "value"]
        return None if abs(level - 454.0) < 1e-6 else ("silent wrong", f"level {level}")

    return expect_frame(lambda: cftf.load_indicators(path), check)


# --- 2. dates ----------------------------------------------------------------------------------


@case("D01", "dates", "API", "reports: published 2099-04-18")
def _pub_2099(folder):
    path = csv_file(folder, edited("reports", {(3, "published"): "2099-04-18"}))
    return expect_error(lambda: cftf.load_reports(path), "row 3", "future")


@case("D02", "dates", "API", "reports: defection_date 2099")
def _def_2099(folder):
    path = csv_file(folder, edited("reports", {(5, "defection_date"): "2099"}))
    return expect_error(lambda: cftf.load_reports(path), "row 5", "future")


@case("D03", "dates", "API", "events: date tomorrow")
def _event_tomorrow(folder):
    tomorrow = f"{pd.Timestamp.today().normalize() + pd.Timedelta(days=1):%Y-%m-%d}"
    path = csv_file(folder, edited("events", {(2, "date"): tomorrow}))
    return expect_error(lambda: cftf.load_events(path), "row 2", "future")


@case("D04", "dates", "API", "indicators: published 2099-01-01")
def _ind_pub_2099(folder):
    path = csv_file(folder, edited("indicators", {(2, "published"): "2099-01-01"}))
    return expect_error(lambda: cftf.load_indicators(path), "row 2", "future")


@case("D05", "dates", "API", "reports: defection dated after the report's publication")
def _def_after(folder):
    path = csv_file(
        folder,
        edited("reports", {(1, "published"): "2014-07", (1, "defection_date"): "2014-09-01"}),
    )
    return expect_error(lambda: cftf.load_reports(path), "row 1", "after the report")


@case("D06", "dates", "API", "indicators: projection for a period after publication loads")
def _projection(folder):
    path = csv_file(
        folder, edited("indicators", {(2, "period"): "2030", (2, "qualifier"): "projected"})
    )

    def check(frame):
        start = frame.set_index("indicator_id").loc["I002", "period_start"]
        return None if start == pd.Timestamp("2030-01-01") else ("silent wrong", str(start))

    return expect_frame(lambda: cftf.load_indicators(path), check)


@case("D07", "dates", "CLI", "validate a reports file with a 2099 publication date")
def _date_cli(folder):
    path = csv_file(folder, edited("reports", {(7, "published"): "2099-01-01"}))
    return cli("validate", str(path), mention=("row 7, column 'published'", "future"))


@case("D08", "dates", "API", "events: 2016-02-30 (a day that does not exist)")
def _bad_day(folder):
    path = csv_file(folder, edited("events", {(2, "date"): "2016-02-30"}))
    return expect_error(lambda: cftf.load_events(path), "row 2", "'date'")


# --- 3. duplicate columns ------------------------------------------------------------------------


def _dup_frame(second: str) -> pd.DataFrame:
    frame = raw("events")
    values = frame["category"].tolist()
    frame.insert(len(frame.columns), "__x__", ["military"] * len(frame))
    frame = frame.rename(columns={"__x__": second})
    frame["category"] = values
    return frame


def _dup_case(second: str, fmt: str):
    def run(folder: Path):
        frame = _dup_frame(second)
        if fmt == "csv":
            path = csv_file(folder, frame)
        elif fmt == "parquet":
            path = folder / "dup.parquet"
            arrays = [pa.array(frame.iloc[:, i].tolist()) for i in range(frame.shape[1])]
            pq.write_table(pa.table(arrays, names=list(frame.columns)), path)
        elif fmt == "xlsx":
            path = book(folder, {"events": frame})
        else:
            path = frame
        return expect_error(lambda: cftf.load_events(path), "duplicate", f"'{second}'")

    return run


for ident, second, fmt in [
    ("H01", "category", "csv"),
    ("H02", " category ", "csv"),
    ("H03", "Category", "csv"),
    ("H04", "CATEGORY", "parquet"),
    ("H05", "category", "xlsx"),
    ("H06", " Category", "frame"),
]:
    case(ident, "duplicate columns", "API", f"{fmt}: 'category' and {second!r}")(
        _dup_case(second, fmt)
    )


@case("H07", "duplicate columns", "API", "optional column spelt 'Note' (would be ignored)")
def _case_variant(folder):
    path = csv_file(folder, raw("events").rename(columns={"note": "Note"}))
    return expect_error(lambda: cftf.load_events(path), "'Note'", "'note'")


@case("H10", "duplicate columns", "API", "optional column misspelt 'notes' (would be ignored)")
def _misspelt(folder):
    path = csv_file(folder, raw("events").rename(columns={"note": "notes"}))
    return expect_error(lambda: cftf.load_events(path), "'notes'", "'note'")


@case("H08", "duplicate columns", "CLI", "validate a file with 'category' twice")
def _dup_cli(folder):
    path = csv_file(folder, _dup_frame("category"))
    return cli("validate", str(path), mention=("duplicate", "'category'"))


@case("H09", "duplicate columns", "API", "a column with values but no header")
def _no_header(folder):
    path = folder / "noheader.csv"
    text = (config.RAW_DIR / "events.csv").read_text().splitlines()
    path.write_text("\n".join([text[0] + ","] + [line + ",x" for line in text[1:]]) + "\n")
    return expect_error(lambda: cftf.load_events(path), "no header")


# --- 4. Excel -----------------------------------------------------------------------------------


@case("X01", "excel", "API", "rows continued on a second sheet")
def _two_sheets(folder):
    frame = raw("events")
    path = book(folder, {"part 1": frame.head(30), "part 2": frame.iloc[30:]})
    return expect_error(lambda: cftf.load_events(path), "2 sheets", "sheet=", if_loaded="lost")


@case("X02", "excel", "API", "the second sheet read with sheet='part 2'")
def _sheet_two(folder):
    frame = raw("events")
    path = book(folder, {"part 1": frame.head(30), "part 2": frame.iloc[30:]})

    def check(loaded):
        n = len(frame) - 30
        return None if len(loaded) == n else ("lost", f"{len(loaded)} of {n} rows")

    return expect_frame(lambda: cftf.load_events(path, sheet="part 2"), check)


@case("X03", "excel", "API", "data only on the second sheet (first empty)")
def _second_only(folder):
    path = book(folder, {"notes": [], "data": raw("events")})
    want = cftf.load_events()
    return expect_frame(
        lambda: cftf.load_events(path),
        lambda f: None if f.equals(want) else ("silent wrong", "differs from the CSV"),
    )


@case("X04", "excel", "API", "real Excel date cells")
def _date_cells(folder):
    frame = raw("events").head(10).astype(object)
    frame["date"] = [dt.datetime(2014, 1, 14 + i) for i in range(10)]
    path = book(folder, {"events": frame})

    def check(loaded):
        ok = loaded["date_text"].tolist()[0] == "2014-01-14"
        ok &= bool((loaded["date_precision"] == "day").all())
        return None if ok else ("silent wrong", loaded["date_text"].tolist()[0])

    return expect_frame(lambda: cftf.load_events(path), check)


@case("X05", "excel", "API", "Excel date cell with a time of day")
def _date_time(folder):
    frame = raw("events").head(3).astype(object)
    frame["date"] = [dt.datetime(2014, 1, 14, 10, 30), dt.date(2014, 1, 15), "2014-01"]
    path = book(folder, {"events": frame})
    return expect_error(lambda: cftf.load_events(path), "row 1", "'date'", "10:30")


@case("X06", "excel", "API", "an error cell (#REF!) in a text column")
def _error_cell(folder):
    frame = raw("events").head(5).astype(object)
    frame.loc[2, "scope"] = "#REF!"
    path = book(folder, {"events": frame})
    return expect_error(lambda: cftf.load_events(path), "row 3", "'scope'", "#REF!")


@case("X07", "excel", "API", "a corrupt .xlsx (not a zip file)")
def _bad_xlsx(folder):
    path = folder / "bad.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")
    return expect_error(lambda: cftf.load_events(path), "bad.xlsx", "cannot read")


@case("X08", "excel", "CLI", "validate a two-sheet workbook, then with --sheet")
def _sheet_cli(folder):
    frame = raw("events")
    path = book(folder, {"part 1": frame.head(30), "part 2": frame.iloc[30:]})
    first = cli("validate", str(path), mention=("--sheet",))
    if first[0] != "clean":
        return first
    return cli("validate", str(path), "--sheet", "part 2", expect_exit=0)


@case("X09", "excel", "API", "sheet= naming a sheet that is not there")
def _no_such_sheet(folder):
    path = book(folder, {"events": raw("events")})
    return expect_error(lambda: cftf.load_events(path, sheet="Events 2"), "'events'")


@case("X10", "excel", "API", "a formula cell with no saved value (would read as empty)")
def _unsaved_formula(folder):
    frame = raw("events").head(5).astype(object)
    frame.loc[1, "note"] = '=CONCATENATE("a","b")'
    path = book(folder, {"events": frame})
    return expect_error(lambda: cftf.load_events(path), "row 2", "'note'", "formula")


# --- 5. control characters -----------------------------------------------------------------------


def _control_case(char: str):
    def run(folder: Path):
        frame = edited("events", {(7, "event"): f"Mosul{char}falls"})
        path = folder / "ctrl.csv"
        path.write_bytes(frame.to_csv(index=False).encode("utf-8"))
        return expect_error(lambda: cftf.load_events(path), "row 7", "'event'", "control")

    return run


for ident, char, name in [
    ("C01", "\x00", "NUL byte"),
    ("C02", "\x1b[2J", "ANSI escape (clear screen)"),
    ("C03", "\x85", "C1 control (mis-decoded cp1252)"),
    ("C04", "\x7f", "DEL"),
]:
    case(ident, "control characters", "API", f"{name} in a cell")(_control_case(char))


@case("C05", "control characters", "CLI", "validate prints an escape sequence escaped")
def _control_cli(folder):
    path = csv_file(folder, edited("events", {(4, "category"): "mil\x1b[31mitary"}))
    return cli("validate", str(path), mention=("\\x1b[31m",), absent=("\x1b[31m",))


@case("C06", "control characters", "API", "tab and CR-LF inside a note are kept")
def _tabs_kept(folder):
    path = csv_file(folder, edited("events", {(4, "note"): "a\tb\r\nc"}))
    return expect_frame(
        lambda: cftf.load_events(path),
        lambda f: None if f.loc[3, "note"] == "a\tb\r\nc" else ("silent wrong", f.loc[3, "note"]),
    )


# --- 6. validate: every problem, never a crash ---------------------------------------------------


def _missing_and_bad(folder: Path) -> Path:
    frame = raw("reports").drop(columns=["outcome"])
    frame.loc[2, "published"] = "2016-13"
    return csv_file(folder, frame, "reports.csv")


for ident, extra in [("V01", ()), ("V02", ("--kind", "reports")), ("V03", ("--debug",))]:

    def _run(folder, extra=extra):
        return cli(
            "validate",
            str(_missing_and_bad(folder)),
            *extra,
            mention=("column 'outcome': required column is missing", "row 3, column 'published'"),
        )

    case(ident, "validate", "CLI", f"missing column and a bad date {' '.join(extra)}".strip())(
        _run
    )


@case("V04", "validate", "API", "validate_file lists file- and row-level problems together")
def _lists_all(folder):
    frame = raw("indicators").drop(columns=["unit"])
    frame.loc[4, "value"] = "inf"
    frame.loc[9, "published"] = "2099"
    listed = validate_file(csv_file(folder, frame, "ind.csv"))
    got = [(None if pd.isna(r) else int(r), c) for r, c in listed[["row", "column"]].values]
    want = [(None, "unit"), (5, "value"), (10, "published")]
    return ("clean", f"{len(listed)} problems") if got == want else ("imperfect", str(got))


@case("V05", "validate", "CLI", "validate a file of unknown kind")
def _unknown_kind(folder):
    path = csv_file(folder, pd.DataFrame({"a": ["1"], "b": ["2"]}))
    return cli("validate", str(path), mention=("cannot tell the kind",))


@case("V06", "validate", "CLI", "validate --kind with a value not allowed")
def _bad_kind(folder):
    return cli("validate", str(config.EVENTS_FILE), "--kind", "people", mention=("kind='people'",))


# --- 7. user text as terminal markup -------------------------------------------------------------

for ident, text in [
    ("M01", "[/]"),
    ("M02", "[link=https://evil.example]click here[/link]"),
    ("M03", "[bold red]x"),
    ("M04", ":warning:"),
]:

    def _markup(folder, text=text):
        path = csv_file(folder, edited("events", {(4, "category"): text}))
        return cli("validate", str(path), mention=(f"'{text}' is not an allowed value",))

    case(ident, "markup", "CLI", f"validate with a cell {text!r}")(_markup)


@case("M05", "markup", "CLI", "report with an events cell '[/]'")
def _markup_report(folder):
    path = csv_file(folder, edited("events", {(4, "category"): "[/]"}))
    return cli(
        "report",
        "--events",
        str(path),
        "--out",
        str(folder),
        mention=("'[/]' is not an allowed value",),
    )


@case("M06", "markup", "CLI", "validate a file whose name holds markup")
def _markup_name(folder):
    path = csv_file(folder, edited("events", {(4, "category"): "x"}), "[red]e[bold].csv")
    return cli("validate", str(path), mention=("[red]e[bold].csv",))


# --- 8. corrupt corpus inputs --------------------------------------------------------------------


def _articles(folder: Path) -> Path:
    path = folder / "whole.parquet"
    pd.DataFrame(
        {"published": ["2016-01-01"] * 200, "title": ["IS fighters defect"] * 200}
    ).to_parquet(path)
    return path


def _corpus_case(name: str, content: Callable[[Path], bytes], engine: str = "auto"):
    def run(folder: Path):
        from cftf_analysis.corpus import count_corpus

        path = folder / name
        path.write_bytes(content(folder))
        words = (name, "line") if name.startswith("ragged") else (name,)
        return expect_error(lambda: count_corpus(path, text="title", engine=engine), *words)

    return run


for ident, name, content, engine, what in [
    ("K01", "empty.parquet", lambda f: b"", "auto", "0-byte Parquet"),
    ("K02", "cut.parquet", lambda f: _articles(f).read_bytes()[:900], "auto", "truncated"),
    (
        "K03",
        "bad.jsonl",
        lambda f: b'{"published": "2016-01-01", "title": "x"}\n{"pub',
        "auto",
        "malformed JSON lines",
    ),
    ("K04", "empty.jsonl", lambda f: b"", "auto", "0-byte JSON lines"),
    (
        "K05",
        "cut.parquet",
        lambda f: _articles(f).read_bytes()[:900],
        "pandas",
        "truncated Parquet, pandas engine",
    ),
    (
        "K06",
        "ragged.csv",
        lambda f: b"published,title,url\n2016-01-01,a,u1\n2016-01-02,b,u2,c,d\n",
        "auto",
        "ragged CSV",
    ),
]:
    case(ident, "corpus", "API", what)(_corpus_case(name, content, engine))


@case("K07", "corpus", "CLI", "corpus command on a truncated Parquet file")
def _corpus_cli(folder):
    path = folder / "cut.parquet"
    path.write_bytes(_articles(folder).read_bytes()[:900])
    return cli(
        "corpus",
        str(path),
        "--out",
        str(folder / "c.csv"),
        "--text",
        "title",
        mention=("cut.parquet", "error:"),
    )


@case("K08", "corpus", "CLI", "corpus command on malformed JSON lines")
def _corpus_json_cli(folder):
    path = folder / "bad.jsonl"
    path.write_bytes(b'{"published": "2016-01-01", "title": "x"}\n{"published": \n')
    return cli(
        "corpus",
        str(path),
        "--out",
        str(folder / "c.csv"),
        "--text",
        "title",
        mention=("bad.jsonl", "error:"),
    )


# --- 9. encodings and CSV structure --------------------------------------------------------------


def _events_bytes() -> bytes:
    return (config.RAW_DIR / "events.csv").read_bytes()


@case("E01", "encoding/structure", "API", "ragged row (one extra field)")
def _ragged(folder):
    lines = _events_bytes().decode().splitlines()
    lines[9] += ",extra"
    path = folder / "ragged.csv"
    path.write_text("\n".join(lines) + "\n")
    return expect_error(lambda: cftf.load_events(path), "line 10", "fields")


@case("E02", "encoding/structure", "API", "unbalanced quote")
def _quote(folder):
    lines = _events_bytes().decode().splitlines()
    lines[20] = lines[20].replace(",", ',"', 1)
    path = folder / "quote.csv"
    path.write_text("\n".join(lines) + "\n")
    return expect_error(lambda: cftf.load_events(path), "line 21", "quote")


@case("E03", "encoding/structure", "API", 'text after a closing quote ("x"y)')
def _quote_text(folder):
    lines = _events_bytes().decode().splitlines()
    parts = lines[5].split(",")
    parts[2] = '"Mosul"falls'
    lines[5] = ",".join(parts)
    path = folder / "qt.csv"
    path.write_text("\n".join(lines) + "\n")
    return expect_error(lambda: cftf.load_events(path), "line 6")


@case("E04", "encoding/structure", "API", "UTF-16 with BOM (Excel 'Unicode text')")
def _utf16(folder):
    path = folder / "wide.csv"
    path.write_bytes(_events_bytes().decode().encode("utf-16"))
    return expect_error(lambda: cftf.load_events(path), "UTF-16", "encoding='utf-16'")


@case("E05", "encoding/structure", "API", "UTF-16 with BOM read with encoding='utf-16'")
def _utf16_read(folder):
    path = folder / "wide.csv"
    path.write_bytes(_events_bytes().decode().encode("utf-16"))
    want = cftf.load_events()
    return expect_frame(
        lambda: cftf.load_events(path, encoding="utf-16"),
        lambda f: None if f.equals(want) else ("silent wrong", "differs"),
    )


@case("E06", "encoding/structure", "API", "UTF-16-BE without a BOM")
def _utf16be(folder):
    path = folder / "wide.csv"
    path.write_bytes(_events_bytes().decode().encode("utf-16-be"))
    return expect_error(lambda: cftf.load_events(path), "UTF-16-BE", "encoding=")


@case("E07", "encoding/structure", "API", "cp1252 file with curly quotes")
def _cp1252(folder):
    frame = edited("events", {(12, "note"): "café “quoted”"})
    path = folder / "legacy.csv"
    frame.to_csv(path, index=False, encoding="cp1252")
    return expect_error(lambda: cftf.load_events(path), "line 13", "cp1252", "encoding=")


@case("E08", "encoding/structure", "API", "cp1252 file read with encoding='cp1252'")
def _cp1252_read(folder):
    frame = edited("events", {(12, "note"): "café “quoted”"})
    path = folder / "legacy.csv"
    frame.to_csv(path, index=False, encoding="cp1252")
    return expect_frame(
        lambda: cftf.load_events(path, encoding="cp1252"),
        lambda f: (
            None if f.loc[11, "note"] == "café “quoted”" else ("silent wrong", f.loc[11, "note"])
        ),
    )


@case("E09", "encoding/structure", "API", "latin-1 given for a UTF-8 file (would garble)")
def _wrong_legacy(folder):
    path = csv_file(folder, edited("events", {(12, "note"): "café"}))
    return expect_error(lambda: cftf.load_events(path, encoding="latin-1"), "UTF-8")


@case("E10", "encoding/structure", "API", "a valid 10 MB cell")
def _big_cell(folder):
    big = "x" * (10 * 2**20)
    path = csv_file(folder, edited("events", {(3, "note"): big}))
    return expect_frame(
        lambda: cftf.load_events(path),
        lambda f: None if f.loc[2, "note"] == big else ("lost", f"{len(f.loc[2, 'note'])} chars"),
    )


@case("E11", "encoding/structure", "API", "UTF-8 with a BOM (Excel 'CSV UTF-8')")
def _bom(folder):
    path = folder / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _events_bytes())
    want = cftf.load_events()
    return expect_frame(
        lambda: cftf.load_events(path),
        lambda f: None if f.equals(want) else ("silent wrong", "differs"),
    )


@case("E12", "encoding/structure", "CLI", "validate a UTF-16 file, then with --encoding")
def _enc_cli(folder):
    path = folder / "wide.csv"
    path.write_bytes(_events_bytes().decode().encode("utf-16"))
    first = cli("validate", str(path), mention=("--encoding utf-16",))
    if first[0] != "clean":
        return first
    return cli("validate", str(path), "--encoding", "utf-16", expect_exit=0)


@case("E13", "encoding/structure", "API", "an unknown encoding name")
def _bad_encoding(folder):
    return expect_error(lambda: cftf.load_events(config.EVENTS_FILE, encoding="utf-42"), "utf-42")


@case("E14", "encoding/structure", "API", "quoted newlines inside a cell are kept")
def _newline(folder):
    path = csv_file(folder, edited("events", {(3, "note"): "one\ntwo"}))
    return expect_frame(
        lambda: cftf.load_events(path),
        lambda f: (
            None
            if (len(f) == 69 and f.loc[2, "note"] == "one\ntwo")
            else ("lost", f"{len(f)} rows")
        ),
    )


@case("E15", "encoding/structure", "API", "empty file, header only, blanks only")
def _empties(folder):
    results = []
    for name, text in [("a.csv", ""), ("b.csv", "event_id,date\n"), ("c.csv", "  \n\n")]:
        path = folder / name
        path.write_text(text)
        results.append(expect_error(lambda path=path: cftf.load_events(path), name))
    worst = next((r for r in results if r[0] != "clean"), results[0])
    return worst


# --- 10. formula injection in CSV outputs --------------------------------------------------------


@case("F01", "formula injection", "API", "event note '=HYPERLINK(...)' written to CSV")
def _formula(folder):
    note = '=HYPERLINK("http://evil.example","click")'
    events = cftf.load_events(edited("events", {(2, "note"): note}))
    path = write_csv(events, folder / "events.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    ok = back.loc[1, "note"] == "'" + note
    return ("clean", "neutralised") if ok else ("silent wrong", back.loc[1, "note"])


@case("F02", "formula injection", "API", "cells starting with +, -, @, tab+=, CR+ in text")
def _formula_many(folder):
    values = ["+1", "-30", "@SUM(A1)", "\t=1", "\r+1"]
    frame = pd.DataFrame({"text": values, "number": [-30.0, 1.0, 2.0, 3.0, 4.0]})
    back = pd.read_csv(write_csv(frame, folder / "o.csv"), dtype=str, keep_default_na=False)
    ok = back["text"].tolist() == ["'" + v for v in values]
    ok &= back["number"].tolist()[0] == "-30.0"
    return ("clean", "neutralised; numbers kept") if ok else ("silent wrong", str(back.values))


@case("F03", "formula injection", "API", "Parquet output keeps the original text")
def _formula_parquet(folder):
    from cftf_analysis._io import write_parquet

    frame = pd.DataFrame({"text": ["=1+1", "-30"]})
    back = pd.read_parquet(write_parquet(frame, folder / "o.parquet"))
    ok = back["text"].tolist() == ["=1+1", "-30"]
    return ("clean", "kept") if ok else ("silent wrong", str(back["text"].tolist()))


# --- 11. the bundled data are unchanged ----------------------------------------------------------


@case("B01", "bundled data", "API", "bundled files load and validate without problems")
def _bundled(folder):
    listed = pd.concat(
        [
            validate_file(p)
            for p in (config.REPORTS_FILE, config.INDICATORS_FILE, config.EVENTS_FILE)
        ]
    )
    sizes = [len(cftf.load_reports()), len(cftf.load_indicators()), len(cftf.load_events())]
    return ("clean", f"rows {sizes}") if listed.empty else ("imperfect", str(listed.head()))


# --- running and writing the table ---------------------------------------------------------------


def run_all() -> list[tuple[Case, str, str, float]]:
    results = []
    for item in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            try:
                outcome, detail = item.run(Path(tmp))
            except Exception as exc:  # a broken case is reported, never hidden
                outcome = "crashed"
                detail = f"case itself failed: {type(exc).__name__}: {exc}"
                traceback.print_exc()
            results.append((item, outcome, detail, time.perf_counter() - start))
        print(f"{item.ident:4} {outcome:13} {item.description}", flush=True)
    return results


def _cell(text: str) -> str:
    clean = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return clean.replace("|", "/").replace("\n", " ")


def write_table(results) -> None:
    counts = {o: sum(1 for _, out, _, _ in results if out == o) for o in OUTCOMES}
    by_via = {
        via: {o: sum(1 for c, out, _, _ in results if out == o and c.via == via) for o in OUTCOMES}
        for via in ("API", "CLI")
    }
    lines = [
        "# Hostile inputs",
        "",
        "Generated by `validation/hostile_inputs.py` (`make hostile`); do not edit by hand.",
        "Each case builds one bad (or tricky but valid) input and runs it through the API or",
        "the `cftf-analysis` command. Outcomes: **clean** (the expected error naming what the",
        "case requires, or the expected frame), **imperfect** (the package's error, but",
        "missing a required detail, or a valid input refused), **crashed** (another exception",
        "or a traceback), **silent wrong** (loaded or exited 0 when it should not, or a wrong",
        "value), **lost** (rows or values of a valid input missing).",
        "",
        "| | tried | clean | imperfect | crashed | silent wrong | lost |",
        "|---|---|---|---|---|---|---|",
        f"| all | {len(results)} | " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |",
    ]
    for via, row in by_via.items():
        tried = sum(row.values())
        lines.append(f"| {via} | {tried} | " + " | ".join(str(row[o]) for o in OUTCOMES) + " |")
    lines += [
        "",
        "| case | area | via | input | outcome | what happened |",
        "|---|---|---|---|---|---|",
    ]
    for item, outcome, detail, _ in results:
        lines.append(
            f"| {item.ident} | {item.area} | {item.via} | {_cell(item.description)} | "
            f"{outcome} | {_cell(detail)} |"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    assert Path(cftf.__file__).resolve().is_relative_to(ROOT), cftf.__file__
    results = run_all()
    write_table(results)
    bad = [r for r in results if r[1] in ("crashed", "silent wrong", "lost")]
    print(f"{len(results)} cases; {len(bad)} crashed, silent wrong or lost; wrote {OUT}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
