"""The report and figures commands: outputs, byte-identical reruns and redraws, CLI errors."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cftf_analysis as cftf
from cftf_analysis import config
from cftf_analysis._io import write_csv
from cftf_analysis.cli import app
from cftf_analysis.figures.catalog import FIGURES, make_figure
from cftf_analysis.outputs import verify_outputs
from cftf_analysis.stats.findings import FINDING_COLUMNS as SUMMARY_COLUMNS
from cftf_analysis.stats.findings import finding_row, plain_reading

runner = CliRunner()


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def two_runs(report_root, tmp_path_factory):
    """Two reports of the same inputs: the session's (``report_root``) and one more here."""
    root = tmp_path_factory.mktemp("b")
    result = runner.invoke(app, ["report", "--out", str(root), "--draws", "20"])
    assert result.exit_code == 0, result.output
    return [report_root, root]


@pytest.mark.slow
def test_report_writes_every_output(two_runs):
    root = two_runs[0]
    processed = root / "data" / "processed"
    for name in ("reports", "indicators", "events", "panel", "results"):
        assert (processed / f"{name}.csv").is_file()
        assert (processed / f"{name}.parquet").is_file()
    for name in FIGURES:
        assert (root / "figures" / f"{name}.png").stat().st_size > 10_000
        assert (root / "figures" / f"{name}.svg").is_file()
    results = pd.read_csv(processed / "results.csv")
    assert list(results.columns) == SUMMARY_COLUMNS
    summary = (root / "figures" / "summary.md").read_text()
    assert "## Results" in summary and "## Data sources" in summary
    assert summary.count("![") == len(FIGURES)
    # every finding is read out in plain words, with its caveat
    section = summary.split("## What each finding means")[1].split("\n## ")[0]
    for _, row in results.iterrows():
        assert f"- **{row['finding']}**: {plain_reading(row)}" in section
        assert f"  *Caveat:* {row['caveat']}." in section
    # no temporary files are left behind, nor staging folders
    assert not [p for p in root.rglob("*.tmp")]
    assert [p.name for p in root.rglob(".cftf-*")] == [".cftf-outputs.lock"]
    # one manifest proves every file
    manifest = verify_outputs(root)
    assert len(manifest["files"]) == len(digests(root)) - 3  # 2 manifests, 1 lock
    assert manifest["n_draws"] == 20 and manifest["figures"] is True


@pytest.mark.slow
def test_report_writes_the_multiverse_and_the_uniform_protocol_result(two_runs):
    """The numbers the README quotes: each finding's share and its uniform-protocol result."""
    from cftf_analysis.stats.multiverse_result import (
        MULTIVERSE_COLUMNS,
        SHARE_COLUMNS,
        SKIPPED_COLUMNS,
        SPEC_COLUMNS,
    )

    processed = two_runs[0] / "data" / "processed"
    table = pd.read_csv(processed / "multiverse.csv")
    shares = pd.read_csv(processed / "multiverse_shares.csv")
    specs = pd.read_csv(processed / "multiverse_specs.csv")
    skipped = pd.read_csv(processed / "multiverse_skipped.csv")
    assert list(table.columns) == MULTIVERSE_COLUMNS and list(shares.columns) == SHARE_COLUMNS
    assert list(specs.columns) == SPEC_COLUMNS and list(skipped.columns) == SKIPPED_COLUMNS
    # the default size, on every choice that applies to the bundled case; the uniform
    # protocol's 7 reports fail the data-support checks, so its specifications do not run
    assert len(specs) == 36 and (table["n_draws"] == 100).all()
    uniform = specs["collection"] == "uniform"
    assert (specs.loc[~uniform, "status"] == "ran").all()
    assert (specs.loc[uniform, "status"] == "failed").all()
    assert specs.loc[uniform, "reason"].str.contains("reports a month on average").all()
    # one row per indicator finding; each with its share and its uniform-protocol spec
    assert sorted(zip(shares["finding"], shares["indicator"], strict=True)) == [
        ("ccf", "revenue_total"), ("ccf", "territory"),
        ("count_model", "revenue_total"), ("count_model", "territory"),
    ]  # fmt: skip
    assert shares[["share_holds", "uniform_spec"]].notna().all().all()
    assert shares["uniform_estimate"].isna().all()
    assert (table["collection"] == "uniform").sum() == shares["n_specs_uniform"].sum() == 0
    for row in shares.itertuples(index=False):
        rows = table[(table["finding"] == row.finding) & (table["indicator"] == row.indicator)]
        holds = rows["significant"] & (rows["sign"] == row.reference_sign)
        assert row.share_holds == pytest.approx(holds.mean())
    # summary.md says them in words
    summary = (two_runs[0] / "figures" / "summary.md").read_text()
    assert "## Across defensible analysis choices" in summary
    for row in shares.itertuples(index=False):
        words = f"{row.n_holds} of {row.n_specs} specifications ({row.share_holds:.0%})"
        assert words in summary
    assert summary.count(
        "Counting only the 7 reports of the uniform search protocol, the "
        "finding could not be computed"
    ) == len(shares)
    assert summary.count("reports of the uniform search protocol") == len(shares)


@pytest.mark.slow
def test_two_runs_are_byte_identical(two_runs):
    a, b = (digests(root) for root in two_runs)
    assert a.keys() == b.keys()
    assert len(a) > 30
    assert a == b


@pytest.mark.slow
def test_raw_data_untouched_by_report(two_runs):
    datapackage = (config.RAW_DIR / "datapackage.json").read_text()
    for resource in ("defection_reports.csv", "indicators.csv", "events.csv"):
        digest = hashlib.sha256((config.RAW_DIR / resource).read_bytes()).hexdigest()
        assert digest in datapackage


def test_interrupted_write_leaves_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def boom(self, *args, **kwargs):
        Path(args[0]).write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(KeyboardInterrupt):
        write_csv(pd.DataFrame({"a": [1]}), target)
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]


def test_validate_lists_rows_and_columns_and_exits_1(tmp_path):
    frame = pd.read_csv(config.REPORTS_FILE, dtype=str, keep_default_na=False)
    frame.loc[2, "published"] = "2016-13"
    frame.loc[6, "outcome"] = "vanished"
    path = tmp_path / "broken.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "row 3, column 'published'" in result.output
    assert "row 7, column 'outcome'" in result.output


def test_validate_clean_file_exits_0():
    result = runner.invoke(app, ["validate", str(config.INDICATORS_FILE)])
    assert result.exit_code == 0
    assert "no problems" in result.output


@pytest.mark.slow
def test_bad_input_is_one_line_and_debug_shows_traceback(tmp_path):
    bad = tmp_path / "reports.csv"
    bad.write_text("report_id\nR1\n")
    cmd = [
        sys.executable,
        "-m",
        "cftf_analysis.cli",
        "report",
        "--case",
        "islamic-state",
        "--reports",
        str(bad),
        "--out",
        str(tmp_path / "out"),
    ]
    plain = subprocess.run(cmd, capture_output=True, text=True)
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    assert "reports.csv" in plain.stderr and "missing" in plain.stderr
    debug = subprocess.run([*cmd, "--debug"], capture_output=True, text=True)
    assert debug.returncode != 0 and "Traceback" in debug.stderr
    assert not (tmp_path / "out" / "data" / "processed" / "results.csv").exists()


@pytest.mark.parametrize("command", ["report", "figures", "validate", "corpus", "import"])
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


@pytest.mark.slow
def test_corpus_command_and_report_with_coverage(tmp_path):
    months = pd.date_range("2014-01-01", "2018-12-01", freq="MS")
    rows = []
    for i, month in enumerate(months):
        for j in range(20 + i % 7):
            rows.append(
                {
                    "published": (month + pd.Timedelta(days=j % 27)).strftime("%Y-%m-%d"),
                    "url": f"https://example.org/{i}/{j}",
                    "title": f"ISIS fighters report {i} {j}"
                    + (" as a defector fled ISIS" if j % 5 == 0 else ""),
                    "text": "",
                }
            )
    rows.append({"published": "someday", "url": "u", "title": "ISIS", "text": ""})
    source = tmp_path / "articles.parquet"
    pd.DataFrame(rows).to_parquet(source)
    counts_csv = tmp_path / "counts.csv"
    result = runner.invoke(app, ["corpus", str(source), "--out", str(counts_csv)])
    assert result.exit_code == 0, result.output
    assert "n_undated 1" in result.output.replace(",", "")
    counts = pd.read_csv(counts_csv)
    assert len(counts) == len(months)
    assert counts["n_articles_topic"].sum() == len(rows) - 1
    strict = runner.invoke(app, ["corpus", str(source), "--out", str(counts_csv), "--strict"])
    assert strict.exit_code == 1
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["report", "--coverage", str(counts_csv), "--draws", "5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    results = pd.read_csv(out / "data" / "processed" / "results.csv")
    model_rows = results[results["finding"].str.startswith("reports per month")]
    assert model_rows["caveat"].str.contains("offset: log of articles").all()


def test_a_registered_step_reaches_results_csv(tmp_path):
    """A statistic added by registering one step appears in results.csv and results/."""
    from cftf_analysis.report import run_report
    from cftf_analysis.stats.battery import register_step, unregister_step
    from tests.stats.test_battery import ToyStep

    register_step(ToyStep())
    try:
        # without the multiverse (it would add about 10 s)
        run_report(out_dir=tmp_path, n_draws=2, figures=False, multiverse=False)
    finally:
        unregister_step("toy")
    processed = tmp_path / "data" / "processed"
    results = pd.read_csv(processed / "results.csv")
    toy = results[results["finding"].str.startswith("toy:")]
    assert toy["indicator"].tolist() == ["revenue_total", "territory"]
    detail = pd.read_csv(processed / "results" / "toy.csv")
    assert detail["mean"].tolist() == pytest.approx(toy["estimate"].tolist())
    assert not list(processed.glob("multiverse*"))


@pytest.fixture
def report_copy(two_runs, tmp_path) -> Path:
    """A copy of one report's output root, to redraw in (the original stays as it was)."""
    root = tmp_path / "root"
    shutil.copytree(two_runs[1], root)
    return root


@pytest.mark.slow
def test_figures_redraws_what_the_report_drew(two_runs, report_copy):
    """`figures` on a report's results: every file as the report wrote it, manifests too."""
    for path in (report_copy / "figures").iterdir():
        if path.name != "manifest.json":
            path.unlink()  # redrawn from the results, not kept
    result = runner.invoke(app, ["figures", "--out", str(report_copy)])
    assert result.exit_code == 0, result.output
    assert f"redrew {len(FIGURES)} figures" in result.output
    assert digests(report_copy) == digests(two_runs[1])
    assert [p.name for p in report_copy.rglob(".cftf-*")] == [".cftf-outputs.lock"]
    verify_outputs(report_copy)


def test_figures_without_results_is_one_line_naming_the_folder_and_writes_nothing(tmp_path):
    result = runner.invoke(app, ["figures", "--out", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "no report results here" in result.output and "cftf-analysis report" in result.output
    assert str(tmp_path / "none" / "data" / "processed") in "".join(result.output.split("\n"))
    assert "Traceback" not in result.output
    assert not (tmp_path / "none").exists()


def _edit_manifest(root: Path, edit) -> None:
    for rel in config.OUTPUT_TREES:
        path = root / rel / "manifest.json"
        doc = json.loads(path.read_text())
        edit(doc)
        path.write_text(json.dumps(doc, sort_keys=True, indent=2) + "\n")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda doc: doc.pop("results_format"), "in an older format"),
        (lambda doc: doc.update(results_format=0), "in results format 0"),
    ],
)
def test_figures_refuses_results_of_another_format(report_copy, edit, message):
    _edit_manifest(report_copy, edit)
    before = digests(report_copy)
    result = runner.invoke(app, ["figures", "--out", str(report_copy)])
    assert result.exit_code == 1
    assert message in result.output and "run `cftf-analysis report` again" in result.output
    assert "Traceback" not in result.output
    assert digests(report_copy) == before


@pytest.mark.slow
def test_figures_refuses_results_changed_or_missing_since_the_report(report_copy):
    table = report_copy / "data" / "processed" / "results" / "ccf.csv"
    table.write_text(table.read_text().replace("0", "1"))
    before = digests(report_copy)
    result = runner.invoke(app, ["figures", "--out", str(report_copy)])
    assert result.exit_code == 1 and "ccf.csv" in result.output and "has changed" in result.output
    assert digests(report_copy) == before
    (report_copy / "data" / "processed" / "results" / "battery.json").unlink()
    result = runner.invoke(app, ["figures", "--out", str(report_copy)])
    assert result.exit_code == 1
    assert "battery.json" in result.output and "is missing" in result.output


@pytest.mark.slow
def test_a_failed_redraw_leaves_the_outputs_as_they_were(report_copy, monkeypatch):
    from cftf_analysis.errors import AnalysisError
    from cftf_analysis.figures import catalog

    def boom(*args, **kwargs):
        raise AnalysisError("a figure could not be drawn")

    monkeypatch.setattr(catalog, "render_figures", boom)
    before = digests(report_copy)
    result = runner.invoke(app, ["figures", "--out", str(report_copy)])
    assert result.exit_code == 1 and "a figure could not be drawn" in result.output
    assert digests(report_copy) == before


def test_version_option_prints_the_package_version():
    from cftf_analysis import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"cftf-analysis {__version__}"


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("rate ratio", "a rate ratio of 0.5"),
        ("correlation", "a correlation of 0.5"),
        ("F", "an F statistic of 0.5"),
        ("ratio of means", "a ratio of means of 0.5"),
        ("odds ratio", "an odds ratio of 0.5"),
    ],
)
def test_plain_reading_names_what_the_estimate_is(kind, words):
    text = plain_reading(finding_row(finding="x", estimate=0.5, estimate_kind=kind))
    assert text.startswith(words)


def test_plain_reading_of_an_event_level_change():
    row = finding_row(finding="finance event E1 (2020-01): level change in reports",
                      estimate=2.0, estimate_kind="rate ratio")  # fmt: skip
    assert plain_reading(row).startswith("a rate ratio of 2: after the event, monthly reports")
    # on quarters (a case with freq = "QS"), the counts-only findings say so
    quarterly = plain_reading(row, period="quarter")
    assert quarterly.startswith("a rate ratio of 2: after the event, quarterly reports")
    breaks = finding_row(finding="no change point", estimate=0, estimate_kind="number of breaks")
    assert "level of the quarterly count" in plain_reading(breaks, period="quarter")
    # indicator findings are monthly whatever the period
    ccf = finding_row(finding="x", estimate=0.5, estimate_kind="correlation")
    assert plain_reading(ccf, period="quarter") == plain_reading(ccf)


def test_plain_reading_decides_on_the_adjusted_p_and_names_the_observation():
    row = finding_row(
        finding="x", estimate=0.5, estimate_kind="rate ratio", p_value=0.01,
        p_adjusted=0.2, influential="row R7", p_without=0.01, mde=0.3,
    )  # fmt: skip
    text = plain_reading(row)
    assert "p = 0.2: not distinguishable from chance" in text
    assert "depends on row R7: without it p = 0.01" in text
    assert "would detect 80% of the time is 0.3" in text
    # the observation is named only when dropping it changes the conclusion
    row["p_without"] = 0.5
    assert "depends on" not in plain_reading(row)
    row["p_adjusted"] = float("nan")
    assert "p = 0.01: unlikely to arise by chance alone at the 0.05 level" in plain_reading(row)
    assert "0.01: not" in plain_reading(row, alpha=0.001)


# ------------------------------------------- a battery read back from the report's files
# (the same tables, so the same figures)


@pytest.fixture(scope="module")
def written(report_battery, tmp_path_factory):
    """A report written from the session's ``report_battery`` (its analysis is not rerun).

    The round trip battery -> files -> battery is what these tests check; that a real
    report run computes what ``run_battery`` computes is checked by the slow tests on
    ``report_root`` (byte-identical reruns) and by the README's pinned findings.
    """
    from dataclasses import replace

    from cftf_analysis.stats import battery as battery_module
    from cftf_analysis.stats import multiverse as multiverse_module

    root = tmp_path_factory.mktemp("written")
    plain = replace(report_battery, multiverse=None)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(battery_module, "run_battery", lambda *args, **kwargs: plain)
        patch.setattr(
            multiverse_module, "multiverse", lambda *args, **kwargs: report_battery.multiverse
        )
        cftf.run_report(out_dir=root, n_draws=report_battery.options.n_draws)
    return root


@pytest.fixture(scope="module")
def loaded(written):
    return cftf.load_results(written)


def test_load_results_gives_back_every_table_of_the_battery(report_battery, loaded):
    pd.testing.assert_frame_equal(loaded.panel, report_battery.panel)
    pd.testing.assert_frame_equal(loaded.summary, report_battery.summary)
    pd.testing.assert_frame_equal(loaded.latent_observations, report_battery.latent_observations)
    for name in ("reports", "indicators", "events"):
        pd.testing.assert_frame_equal(
            getattr(loaded, name), getattr(report_battery, name).reset_index(drop=True)
        )
    assert list(loaded.results) == list(report_battery.results)
    for name, result in report_battery.results.items():
        back = loaded[name]
        pd.testing.assert_frame_equal(back.table, result.table, check_index_type=False)
        assert list(back.tables) == list(result.tables)
        for table, frame in result.tables.items():
            pd.testing.assert_frame_equal(back.tables[table], frame)
        # the rows come from results.parquet, whose integer columns are nullable
        pd.testing.assert_frame_equal(back.rows, result.rows, check_dtype=False)
        assert back.errors == result.errors and back.models == {}
    assert loaded.finding_steps == report_battery.finding_steps
    assert len(loaded.finding_steps) == len(loaded.summary)
    assert loaded.options == report_battery.options and loaded.series == report_battery.series
    assert (
        loaded.errors == report_battery.errors and loaded.draws is None and loaded.context is None
    )
    assert set(loaded.steps) == set(report_battery.steps)


def test_load_results_gives_back_the_case_without_its_tables(report_battery, loaded):
    tables = {"reports": None, "indicators": None, "events": None, "path": None, "inputs": {}}
    assert loaded.case == dataclasses.replace(report_battery.case, **tables)


def test_load_results_takes_the_root_or_the_processed_folder(written, loaded):
    again = cftf.load_results(written / "data" / "processed")
    pd.testing.assert_frame_equal(again.summary, loaded.summary)


@pytest.mark.parametrize("name", list(FIGURES))
def test_each_figure_from_the_files_has_the_caption_of_the_battery(report_battery, loaded, name):
    assert make_figure(name, loaded)[1] == make_figure(name, report_battery)[1]
