"""validate_file and the validate command: every problem listed, nothing crashes, user text is
printed literally; corrupt corpus inputs end in the package's error."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from cftf_analysis import config
from cftf_analysis.cli import app
from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.validate import validate_file

runner = CliRunner()


def raw(name: str) -> pd.DataFrame:
    return pd.read_csv(config.RAW_DIR / name, dtype=str, keep_default_na=False)


def write(frame: pd.DataFrame, tmp_path, name: str = "reports.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def missing_and_bad(tmp_path):
    frame = raw("defection_reports.csv").drop(columns=["outcome", "gender"])
    frame.loc[2, "published"] = "2016-13"
    frame.loc[6, "group_size"] = "inf"
    return write(frame, tmp_path)


def test_missing_columns_and_bad_cells_are_listed_together(missing_and_bad):
    problems = validate_file(missing_and_bad)
    assert problems[["row", "column"]].astype(object).values.tolist() == [
        [pd.NA, "gender"],
        [pd.NA, "outcome"],
        [3, "published"],
        [7, "group_size"],
    ]


@pytest.mark.parametrize("extra", [[], ["--kind", "reports"], ["--debug"]])
def test_validate_command_lists_every_problem_without_crashing(missing_and_bad, extra):
    result = runner.invoke(app, ["validate", str(missing_and_bad), *extra])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    out = result.stdout
    assert "file, column 'outcome': required column is missing" in out
    assert "row 3, column 'published'" in out and "row 7, column 'group_size'" in out


def test_checks_that_need_a_missing_column_are_not_guessed(tmp_path):
    frame = raw("indicators.csv").drop(columns=["unit"])
    frame.loc[4, "value"] = "inf"
    problems = validate_file(write(frame, tmp_path, "ind.csv"))
    # change rows hold negative values: without units they are not called negative levels
    assert problems[["row", "column"]].astype(object).values.tolist() == [
        [pd.NA, "unit"],
        [5, "value"],
    ]


def test_an_unreadable_file_is_one_listed_problem(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes((config.RAW_DIR / "events.csv").read_text().encode("utf-16"))
    problems = validate_file(path)
    assert len(problems) == 1 and "UTF-16" in problems.loc[0, "problem"]
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1 and "--encoding utf-16" in result.output
    result = runner.invoke(app, ["validate", str(path), "--encoding", "utf-16"])
    assert result.exit_code == 0, result.output


def test_unknown_kind_of_file_is_listed(tmp_path):
    path = write(pd.DataFrame({"a": ["1"]}), tmp_path, "other.csv")
    problems = validate_file(path)
    assert "cannot tell the kind" in problems.loc[0, "problem"]
    with pytest.raises(ArgumentError, match="kind='people'"):
        validate_file(path, kind="people")  # type: ignore[arg-type]


def test_sheet_option(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "readme"
    book.active.append(["written by hand"])
    sheet = book.create_sheet("events")
    frame = raw("events.csv")
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    path = tmp_path / "book.xlsx"
    book.save(path)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1 and "--sheet" in result.output
    result = runner.invoke(app, ["validate", str(path), "--sheet", "events"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["validate", str(path), "--sheet", "nope"])
    assert result.exit_code == 1 and "sheet='nope'" in result.output


# --- user text is printed literally --------------------------------------------------------

HOSTILE = ["[/]", "[link=https://evil.example]click[/link]", "[bold red]x", ":warning:"]


@pytest.mark.parametrize("text", HOSTILE)
def test_validate_prints_cell_text_literally(tmp_path, text):
    frame = raw("events.csv")
    frame.loc[3, "category"] = text
    result = runner.invoke(app, ["validate", str(write(frame, tmp_path, "e.csv"))])
    assert result.exit_code == 1, result.output
    assert f"'{text}' is not an allowed value" in result.stdout


@pytest.mark.parametrize("text", HOSTILE)
def test_report_errors_print_cell_text_literally(tmp_path, text):
    frame = raw("events.csv")
    frame.loc[3, "category"] = text
    path = write(frame, tmp_path, "e.csv")
    cmd = ["report", "--case", "islamic-state", "--events", str(path), "--out", str(tmp_path)]
    result = runner.invoke(app, cmd)
    assert result.exit_code == 1
    assert f"'{text}' is not an allowed value" in result.output
    assert "Traceback" not in result.output


def test_control_characters_are_shown_escaped(tmp_path):
    frame = raw("events.csv")
    frame.loc[3, "category"] = "mil\x1b[2Jitary"
    result = runner.invoke(app, ["validate", str(write(frame, tmp_path, "e.csv"))])
    assert "\x1b" not in result.output
    assert "\\x1b[2J" in result.output


# --- corrupt corpus inputs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.parquet", b""),
        ("cut.parquet", None),
        ("bad.jsonl", b'{"published": "2016-01-01", "title": "ok"}\n{"published": \n'),
        ("text.parquet", b"not a parquet file at all"),
        ("ragged.csv", b"published,title,url\n2016-01-01,a,u1\n2016-01-02,b,u2,c,d\n"),
    ],
)
def test_corrupt_corpus_files_are_data_errors_naming_the_file(tmp_path, name, content):
    from cftf_analysis.corpus import count_corpus

    path = tmp_path / name
    if content is None:  # a Parquet file cut in half
        whole = tmp_path / "whole.parquet"
        pd.DataFrame({"published": ["2016-01-01"] * 50, "title": ["x"] * 50}).to_parquet(whole)
        data = whole.read_bytes()
        content = data[: len(data) // 2]
    path.write_bytes(content)
    with pytest.raises(DataValidationError, match=name.replace(".", r"\.")):
        count_corpus(path, text="title")
    out = tmp_path / "counts.csv"
    result = runner.invoke(app, ["corpus", str(path), "--out", str(out), "--text", "title"])
    assert result.exit_code == 1
    assert "error:" in result.output and name in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("engine", ["auto", "pandas", "polars"])
def test_a_ragged_corpus_csv_names_its_line(tmp_path, engine):
    from cftf_analysis.corpus import count_corpus

    path = tmp_path / "ragged.csv"
    lines = ["published,title,url"] + [f"2016-01-{i + 1:02d},t{i},u{i}" for i in range(20)]
    lines[12] += ",extra,more"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataValidationError, match=r"(?i)ragged.csv.*(line|fields|schema)"):
        count_corpus(path, text="title", engine=engine)


def test_corpus_csv_files_are_joined_by_column_name(tmp_path):
    from cftf_analysis.corpus import corpus_summary, count_corpus

    (tmp_path / "a.csv").write_text("published,title,url\n2016-01-01,ISIS fighters,u1\n")
    (tmp_path / "b.csv").write_text("title,published,url\nISIS fighters,2016-02-02,u2\n")
    counts = count_corpus([tmp_path / "a.csv", tmp_path / "b.csv"], text="title")
    assert counts["n_articles_topic"].tolist() == [1, 1]
    assert int(corpus_summary(counts).loc[0, "n_undated"]) == 0
    (tmp_path / "c.csv").write_text("published,headline,url\n2016-01-01,IS,u3\n")
    with pytest.raises(DataValidationError, match=r"c.csv.*columns differ"):
        count_corpus([tmp_path / "a.csv", tmp_path / "c.csv"], text="title")
