"""Case files: any armed group's evidence, with nothing about a group in the code.

One test per obstacle a new user met when bringing another group's data (issue 11),
and the worked example of ``examples/fictional-group`` run end to end.
"""

from __future__ import annotations

import filecmp
import importlib.util
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cftf_analysis as cftf
from cftf_analysis import config
from cftf_analysis.case import bundled_cases, read_case_file
from cftf_analysis.cli import app
from cftf_analysis.errors import ArgumentError, DataValidationError

runner = CliRunner()
EXAMPLE = Path(__file__).parents[1] / "examples" / "fictional-group"
#: Text of the bundled case that must not appear in another case's outputs.
BUNDLED_TEXT = re.compile(
    r"Islamic State|ISIS|ISIL|Daesh|IHS|Conflict Monitor|Mosul|Raqqa|Iraq|Syria|Kobani"
)


def make_example(folder: Path) -> Path:
    """Run the example's generator into ``folder``; return its case file."""
    spec = importlib.util.spec_from_file_location("make_case", EXAMPLE / "make_case.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(folder)
    return folder / "case.toml"


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    return make_example(tmp_path_factory.mktemp("example"))


def test_the_committed_example_is_what_the_script_writes(example):
    for name in ("case.toml", "defection_reports.csv", "indicators.csv", "events.csv"):
        assert filecmp.cmp(EXAMPLE / name, example.parent / name, shallow=False), name


def test_bundled_cases_are_reachable_by_id():
    ids = [c.id for c in bundled_cases()]
    assert ids[0] == "islamic-state"
    case = cftf.load_case("islamic-state")
    assert case.path == config.BUNDLED_CASE_FILE.resolve()
    assert len(case.reports) == len(cftf.load_reports())
    with pytest.raises(ArgumentError, match="neither a case file nor a bundled case"):
        cftf.load_case("no-such-group")


@pytest.mark.parametrize(
    ("text", "message", "key"),
    [
        ('[case]\nname = "X"\ngroup = "X"\ncolour = 1\n[data]\n', "unknown key", "case"),
        ('[case]\ngroup = "X"\n[data]\n', "is required", "case.name"),
        ('[case]\nname = "X"\ngroup = "X"\n[data]\nreports = "nope.csv"\n', "does not exist",
         "data.reports"),
        ("[case\n", "not a valid TOML file", None),
        ('[case]\nname = "X"\ngroup = "X"\n[serie.a]\n', "unknown key", "top level"),
    ],
)  # fmt: skip
def test_case_file_errors_name_file_and_key(tmp_path, text, message, key):
    path = tmp_path / "case.toml"
    path.write_text(text)
    with pytest.raises(DataValidationError, match=message) as err:
        read_case_file(path)
    assert err.value.file == str(path)
    assert err.value.column == key


def test_obstacle_1_any_collection_code(example):
    case = cftf.load_case(example)
    assert set(case.reports["collection"].cat.categories) == {"sweep-monthly", "tips"}
    assert case.collection_uniform == ("sweep-monthly",)


def test_obstacle_2_no_report_names_a_defector(tmp_path):
    raw = pd.read_csv(config.REPORTS_FILE, dtype=str, keep_default_na=False)
    raw["defector_alias"] = "unnamed defector"
    path = tmp_path / "reports.csv"
    raw.to_csv(path, index=False)
    assert cftf.validate_file(path).empty
    reports = cftf.load_reports(path)
    assert reports["defector_key"].tolist() == [f"report:{r}" for r in raw["report_id"]]
    out = cftf.run_report(
        reports=path, indicators=config.INDICATORS_FILE, out_dir=tmp_path / "out", n_draws=2,
        figures=False, multiverse=False,
    )  # fmt: skip
    assert out.results


def test_obstacle_3_series_of_any_producer(example):
    case = cftf.load_case(example)
    # no case: the series are chosen from the data, one producer each
    panel = cftf.monthly_panel(case.reports, case.indicators)
    assert {"revenue_total", "territory"} <= set(panel.columns)
    # named series, under any column name
    # what is tested is the series' name: the producer with five figures (each is refitted
    # without it, for the influence check), few draws, no Monte Carlo null, no power
    series = {"rev": {"indicator": "revenue_total", "producer": "Crossroads Institute"}}
    table = cftf.association_summary(
        case.reports, case.indicators, series=series, steps=["count_model"],
        n_draws=20, n_null=0, n_power=0,
    )  # fmt: skip
    assert table["indicator"].tolist() == ["rev"]
    with pytest.raises(ArgumentError, match=r"pairs: \['fighters'\] are not series"):
        cftf.association_summary(case.reports, case.indicators, pairs=("fighters",))


def test_obstacle_4_explicit_inputs_never_mix_in_bundled_events(tmp_path, example):
    folder = example.parent
    out = tmp_path / "out"
    # without the case file, its user indicator is unknown: keep a built-in one (one series
    # is enough to test the events, and the latent fits of a second would treble the time)
    indicators = pd.read_csv(folder / "indicators.csv", dtype=str, keep_default_na=False)
    indicators = indicators[indicators["indicator"] == "territory"]
    indicators.to_csv(tmp_path / "indicators.csv", index=False)
    result = runner.invoke(
        app,
        [
            "report",
            "--reports", str(folder / "defection_reports.csv"),
            "--indicators", str(tmp_path / "indicators.csv"),
            "--out", str(out), "--draws", "2", "--no-multiverse",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not (out / "data" / "processed" / "events.csv").exists()
    summary = (out / "figures" / "summary.md").read_text()
    assert "no events were given" in summary
    assert not BUNDLED_TEXT.search(summary)


def test_obstacle_6_corpus_terms_from_the_command_line(tmp_path):
    articles = pd.DataFrame(
        {
            "published": ["2021-03-02", "2021-03-09", "2021-04-01", "2021-04-02"],
            "title": [
                "Northern Valley Front fighters defected",
                "NVF loses a town",
                "Islamic State defectors",
                "Valley Front deserters speak",
            ],
            "text": ["", "", "", ""],
            "url": ["u1", "u2", "u3", "u4"],
        }
    )
    source = tmp_path / "articles.csv"
    articles.to_csv(source, index=False)
    out = tmp_path / "counts.csv"
    result = runner.invoke(
        app,
        ["corpus", str(source), "--out", str(out),
         "--topic-term", "Northern Valley Front", "--topic-term", "NVF"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    counts = pd.read_csv(out).set_index("period")
    assert counts.loc["2021-03-01", "n_articles_topic"] == 2
    assert counts.loc["2021-03-01", "n_articles_defection"] == 1
    assert (
        counts["n_articles_topic"].sum() == 2
    )  # "Islamic State" and "Valley Front" are not terms
    # --terms FILE, and the case's own names
    terms = tmp_path / "terms.toml"
    terms.write_text('topic_terms = ["Valley Front"]\n')
    result = runner.invoke(app, ["corpus", str(source), "--out", str(out), "--terms", str(terms)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["n_articles_topic"].sum() == 2


def test_obstacle_6_case_terms(example):
    topic, defection = cftf.corpus.case_terms(cftf.load_case(example))
    assert topic == ("Northern Valley Front", "NVF")
    assert "fled Northern Valley Front" in defection and "defector" in defection


def test_obstacle_7_user_indicator_declared_in_the_case(example, tmp_path):
    case = cftf.load_case(example)
    assert "revenue_checkpoints" in set(case.indicators["indicator"])
    assert (
        case.indicators.loc[case.indicators["indicator"] == "revenue_checkpoints", "unit"]
        .eq("USD per month")
        .all()
    )
    # undeclared, the same rows are an error naming row and column
    with pytest.raises(DataValidationError, match="'revenue_checkpoints' is not an allowed"):
        cftf.load_indicators(example.parent / "indicators.csv")
    # declared in a unit the rows do not convert to
    text = example.read_text().replace(
        'unit = "USD million per month"\ndescription', 'unit = "km2"\ndescription'
    )
    bad = example.parent / "bad.toml"
    bad.write_text(text)
    with pytest.raises(DataValidationError, match="declared in km2"):
        cftf.load_case(bad)


def test_producer_renamings_come_from_the_case(example):
    case = cftf.load_case(example)
    producers = set(case.indicators["producer"])
    assert "Valley Monitoring Group" in producers
    assert not any("press briefing" in p for p in producers)


@pytest.mark.slow
def test_obstacle_5_the_example_report_names_nothing_of_the_bundled_case(example, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["report", "--case", str(example), "--out", str(out), "--draws", "20"]
    )
    assert result.exit_code == 0, result.output
    texts = [p for p in out.rglob("*") if p.suffix in (".csv", ".md", ".svg")]
    assert len(texts) >= 15
    for path in texts:
        assert not BUNDLED_TEXT.search(path.read_text(encoding="utf-8")), path.name
    summary = (out / "figures" / "summary.md").read_text()
    assert "Northern Valley Front" in summary
    # the planted effect is found: rate ratio 0.6 per USD 10 million a month
    results = pd.read_csv(out / "data" / "processed" / "results.csv").set_index("finding")
    row = results.loc["reports per month: rate ratio per USD 10 million per month of revenue"]
    assert row["ci_low"] < 0.6 < row["ci_high"]
    assert row["ci_high"] < 1
    # the test judges the estimate against unrelated series observed the same way
    # (six revenue figures): with so few figures even this effect is not reliably
    # significant there (p between 0.05 and 0.2 across seeds), which the row says
    assert "Monte Carlo" in row["method"]
    assert "an unrelated series observed the same way gives" in row["caveat"]


def test_the_default_report_is_the_bundled_case(tmp_path):
    case = cftf.report.resolve_case()
    assert case.id == "islamic-state"
    processed, figures = cftf.report.output_dirs(case, None)
    assert processed == config.PROCESSED_DIR and figures == config.FIGURES_DIR
    other = cftf.report.output_dirs(cftf.load_case(EXAMPLE / "case.toml"), None)[0]
    assert other == config.CASE_REPORTS_DIR / "northern-valley-front" / "data" / "processed"


def test_cases_command_lists_every_bundled_case():
    result = runner.invoke(app, ["cases"])
    assert result.exit_code == 0
    for case in bundled_cases():
        assert f"{case.id}: {case.name}" in result.output
    assert len(result.output.splitlines()) == len(bundled_cases()) >= 2
    ids = runner.invoke(app, ["cases", "--ids"])
    assert ids.output.split() == ["islamic-state", "al-shabaab"]


def test_the_second_case_is_bundled_unchanged():
    """Its raw files are the reference files byte for byte; its case file reads."""
    reference = Path(__file__).parents[2] / "shared" / "reference" / "cases" / "al-shabaab"
    if not reference.is_dir():
        pytest.skip("the reference material is not beside this checkout")
    bundled = config.BUNDLED_CASES_DIR / "al-shabaab"
    for path in sorted(reference.iterdir()):
        assert filecmp.cmp(path, bundled / path.name, shallow=False), path.name
    case = cftf.load_case("al-shabaab")
    assert case.freq == "QS" and case.competing_events == ("V018",)
    assert set(case.interruption_events) <= set(case.events["event_id"])


@pytest.mark.slow
def test_the_second_case_report_exits_0_and_names_only_its_group(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["report", "--case", "al-shabaab", "--out", str(out), "--draws", "20"]
    )
    assert result.exit_code == 0, result.output
    texts = [p for p in out.rglob("*") if p.suffix in (".csv", ".md", ".svg", ".json")]
    assert len(texts) >= 15
    for path in texts:
        assert not BUNDLED_TEXT.search(path.read_text(encoding="utf-8")), path.name
    summary = (out / "figures" / "summary.md").read_text()
    assert "al-Shabaab" in summary
    assert 'Analysis period: quarters (`freq = "QS"` in the case file)' in summary
    section = summary.split("## Analyses the data cannot support")[1].split("\n## ")[0]
    support = pd.read_csv(out / "data" / "processed" / "data_support.csv")
    failed = support[~support["supported"]]
    assert section.count("\n- ") == len(failed.drop_duplicates(["indicator", "event", "check"]))
    for reason in failed["reason"]:
        assert reason in section
    results = pd.read_csv(out / "data" / "processed" / "results.csv")
    main = results[results["finding"].str.contains("together")]
    assert len(main) == 1 and main["mde"].notna().all()
    assert (out / "data" / "processed" / "results" / "competing_event.csv").is_file()


def test_no_case_specific_text_in_the_package_code():
    """No module names the bundled group, its producer, places or years (docstrings may)."""
    import ast

    package = Path(cftf.__file__).parent
    names = re.compile(
        r"ISIS|ISIL|Islamic State|Daesh|Da.esh|\bIHS\b|Mosul|Raqqa|Iraq|Syria|Kobani|Palmyra"
        r"|Hawija|\b201[3-8]\b|داعش|الدولة"
        # the second case: its group, producers and places (its years, 2014-2023, overlap
        # generic date examples in messages, so they are checked by review, not here)
        r"|Shabaab|Shabab|الشباب|Somali|Hiraal|AMISOM|Mogadishu|Kismayo|Baidoa|Barawe|Kenya"
        r"|OFAC|Godane"
    )
    found = []
    for path in sorted(package.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        docstrings: set[int] = set()
        for node in ast.walk(ast.parse(source)):
            body = getattr(node, "body", None)
            if (
                isinstance(
                    node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                )
                and body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
        for number, line in enumerate(source.splitlines(), 1):
            if number not in docstrings and names.search(line):
                found.append(f"{path.relative_to(package)}:{number}: {line.strip()}")
    assert found == []


def test_copying_a_case_folder_keeps_it_working(tmp_path, example):
    """Paths in a case file are relative to it."""
    moved = tmp_path / "moved"
    shutil.copytree(example.parent, moved)
    assert cftf.load_case(moved).reports is not None
