"""Outputs: never over the inputs, all at once or not at all, with a manifest (issue 12).

Every case that writes near raw data uses a copy of the bundled raw folder in
``tmp_path`` (a case file there), never the real ``data/raw``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cftf_analysis import config
from cftf_analysis.cli import app
from cftf_analysis.errors import CftfError, OutputError
from cftf_analysis.outputs import check_outputs

runner = CliRunner()
ACLED = Path(__file__).parent / "data" / "acled_codebook2023_sample.csv"


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry below ``folder`` (links not followed) with the sha256 of each file."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            found[rel] = f"link to {path.readlink()}"
        elif path.is_file():
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[rel] = "folder"
    return found


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    """A copy of the bundled raw folder, with its case file: a case whose raw folder we own."""
    return Path(shutil.copytree(config.RAW_DIR, tmp_path / "raw"))


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    path = tmp_path / "articles" / "a.parquet"
    path.parent.mkdir()
    rows = [
        {"published": f"2016-0{m}-1{d}", "title": f"ISIS report {m}{d}", "text": ""}
        for m in range(1, 4)
        for d in range(3)
    ]
    pd.DataFrame(rows).to_parquet(path)
    return path


# ------------------------------------------------------------- outputs never touch inputs


def test_output_error_is_a_package_error():
    assert issubclass(OutputError, CftfError)


def test_the_real_raw_folder_is_protected_without_writing_anything():
    # check_outputs only looks: it is safe to point it at the real raw folder
    with pytest.raises(OutputError, match="inside the raw data folder"):
        check_outputs(files=[config.RAW_DIR / "events.csv"])
    with pytest.raises(OutputError, match="inside the raw data folder"):
        check_outputs(folders=[config.RAW_DIR / "data" / "processed"])
    with pytest.raises(OutputError, match="holds the raw data folder"):
        check_outputs(folders=[config.RAW_DIR.parent])


def test_corpus_out_into_the_raw_folder_is_refused(tmp_path, raw_copy, articles, monkeypatch):
    """Reviewer: `corpus a.parquet --out data/raw/events.csv` replaced the bundled file."""
    monkeypatch.setattr(config, "RAW_DIR", raw_copy)  # the check reads it at call time
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["corpus", str(articles), "--out", str(raw_copy / "events.csv")])
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert len(lines) == 1 and "inside the raw data folder" in lines[0]
    assert snapshot(tmp_path) == before


def test_corpus_out_into_the_case_folder_is_refused(tmp_path, raw_copy, articles):
    """The case file's folder is raw data too, whatever its name."""
    before = snapshot(tmp_path)
    out = raw_copy / "counts.csv"
    result = runner.invoke(
        app, ["corpus", str(articles), "--case", str(raw_copy), "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "inside the raw data folder" in result.output
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("how", ["same path", "through a link", "glob"])
def test_corpus_out_over_its_input_is_refused(tmp_path, articles, how):
    """Reviewer: `corpus f.parquet --out f.parquet` replaced the input."""
    source, out = str(articles), articles
    if how == "through a link":
        out = tmp_path / "link.parquet"
        out.symlink_to(articles)
    elif how == "glob":
        source = str(articles.parent / "*.parquet")
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["corpus", source, "--out", str(out)])
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert len(lines) == 1 and "is the input file" in lines[0]
    assert snapshot(tmp_path) == before


def test_corpus_out_naming_a_folder_is_one_line(tmp_path, articles):
    result = runner.invoke(app, ["corpus", str(articles), "--out", str(tmp_path)])
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert len(lines) == 1 and "is a folder" in lines[0]


def test_import_out_into_the_raw_folder_is_refused(tmp_path, raw_copy, monkeypatch):
    monkeypatch.setattr(config, "RAW_DIR", raw_copy)
    before = snapshot(tmp_path)
    result = runner.invoke(
        app, ["import", "acled", str(ACLED), "--out", str(raw_copy / "events.csv")]
    )
    assert result.exit_code == 1 and "inside the raw data folder" in result.output
    assert snapshot(tmp_path) == before


def test_report_into_a_link_to_the_raw_folder_is_refused(tmp_path, raw_copy):
    """Reviewer: `report --out X`, X/data/processed a link into data/raw, overwrote raw files."""
    out = tmp_path / "X"
    (out / "data").mkdir(parents=True)
    (out / "data" / "processed").symlink_to(raw_copy, target_is_directory=True)
    before = snapshot(tmp_path)
    result = runner.invoke(
        app, ["report", "--case", str(raw_copy / "case.toml"), "--out", str(out), "--draws", "2"]
    )
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert lines[-1].startswith("error:") and "inside the raw data folder" in lines[-1]
    assert not any("error" in line for line in lines[:-1])  # only progress lines before it
    assert snapshot(tmp_path) == before


def test_report_out_the_raw_folder_is_refused(tmp_path, raw_copy):
    """Reviewer: `report --out data/raw` wrote 32 files into the raw folder."""
    before = snapshot(tmp_path)
    result = runner.invoke(
        app, ["report", "--case", str(raw_copy / "case.toml"), "--out", str(raw_copy)]
    )
    assert result.exit_code == 1 and "inside the raw data folder" in result.output
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("option", ["--indicators", "--coverage"])
def test_report_refuses_an_output_folder_that_holds_an_input(tmp_path, raw_copy, option):
    """The report replaces its output folders whole: one holding an input would lose it."""
    out = tmp_path / "out"
    tree = out / "data" / "processed"
    tree.mkdir(parents=True)
    source = tree / "input.csv"
    shutil.copy(raw_copy / "indicators.csv", source)
    before = snapshot(tmp_path)
    result = runner.invoke(
        app,
        ["report", "--case", str(raw_copy / "case.toml"), option, str(source), "--out", str(out)],
    )
    assert result.exit_code == 1 and "holds the input file" in result.output
    assert snapshot(tmp_path) == before


def test_build_processed_refuses_the_case_folder(tmp_path, raw_copy):
    from cftf_analysis.report import build_processed

    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match="inside the raw data folder"):
        build_processed(raw_copy, case=raw_copy / "case.toml")
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------------ outputs follow the umask


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_every_kind_of_output_file_follows_the_umask(tmp_path, umask):
    import matplotlib.pyplot as plt

    from cftf_analysis._io import write_csv, write_parquet
    from cftf_analysis.figures.theme import save_figure

    frame = pd.DataFrame({"a": [1, 2]})
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    old = os.umask(umask)
    try:
        paths = [write_csv(frame, tmp_path / "a.csv"), write_parquet(frame, tmp_path / "a.pq")]
        paths += save_figure(fig, tmp_path / "figure", dpi=20)
    finally:
        os.umask(old)
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in paths} == {
        p.name: 0o666 & ~umask for p in paths
    }
