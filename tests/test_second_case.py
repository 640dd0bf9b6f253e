"""The second bundled case (al-Shabaab): every number the README section, the case's docs page
and the report's own section quote is read here from the report's output.

The report is built once (``run_report(case="al-shabaab")``, about 20 seconds). Each quoted
phrase is rebuilt from the output files (``data_support.csv``, ``results.csv``,
``results/competing_event*.csv``, ``panel.csv``); then every number in the text must be one
of those phrases' numbers or a calendar year, so a number typed by hand, or left behind when
the data change, fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cftf_analysis.report import run_report

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGE = ROOT / "docs" / "cases" / "al-shabaab.md"
#: A number in running text: not part of an id (V018, B001) or a quarter (2022Q3).
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?%?(?![\w])")
#: Calendar years in dates ("October 2022", "2016-2023"): dates, not results.
YEARS = {str(y) for y in range(2014, 2024)}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("al-shabaab")
    run_report(case="al-shabaab", out_dir=folder, n_draws=20)
    return folder


@pytest.fixture(scope="module")
def tables(out) -> dict[str, pd.DataFrame]:
    processed = out / "data" / "processed"
    return {
        "support": pd.read_csv(processed / "data_support.csv"),
        "results": pd.read_csv(processed / "results.csv"),
        "competing": pd.read_csv(processed / "results" / "competing_event.csv"),
        "more": pd.read_csv(processed / "results" / "competing_event_more_reports.csv"),
        "panel": pd.read_csv(processed / "panel.csv", parse_dates=["month"]),
        "reports": pd.read_csv(processed / "reports.csv"),
    }


def check(support: pd.DataFrame, analysis: str, name: str, **where) -> pd.Series:
    rows = support[(support["analysis"] == analysis) & (support["check"] == name)]
    for col, value in where.items():
        rows = rows[rows[col] == value]
    assert len(rows) >= 1, (analysis, name, where)
    return rows.iloc[0]


def fmt(x: float) -> str:
    """A threshold or count as the text writes it: 3, 0.33."""
    return f"{x:g}"


@pytest.fixture(scope="module")
def phrases(tables) -> dict[str, str]:
    """Each quoted phrase, rebuilt from the output."""
    s, comp, more = tables["support"], tables["competing"], tables["more"]
    together = comp[comp["model"] == "together"].iloc[0]
    apart = comp[comp["model"] == "separate"].iloc[0]
    obs = check(s, "ccf", "observations", indicator="revenue")
    fall = check(s, "ccf", "decline", indicator="revenue")
    mean = check(s, "ccf", "mean_count", indicator="revenue")
    empty = check(s, "ccf", "empty_periods", indicator="revenue")
    between = check(s, "competing_event", "periods_between")
    df = check(s, "event_effects", "residual_df", event="V019, V020, V021")
    after = check(s, "event_effects", "periods_after", event="V030")
    citing = check(s, "motive_trends", "citing")
    span = re.search(r"over the months of revenue \((\d+) months\)", mean["reason"]).group(1)
    holding = re.search(r"holding (\d+\.\d) reports", between["reason"]).group(1)
    n_coef = re.search(r"for (\d+) coefficients", df["reason"]).group(1)
    monthly = tables["panel"].set_index("month")["n_reports"]
    quarterly = monthly.groupby(monthly.index.to_period("Q")).sum()
    two, four = (more.set_index("reports_factor").loc[k] for k in (2.0, 4.0))
    results = tables["results"]
    cp = results[results["finding"].str.startswith("no change point")].iloc[0]
    main = results[results["finding"].str.contains("together")].iloc[0]
    alpha = re.search(r"power at alpha ([\d.]+),", main["caveat"]).group(1)
    return {
        "reports": f"{len(tables['reports'])} public reports",
        "per quarter": f"{quarterly.mean():.2f} a quarter",
        "per month": f"{monthly.mean():.2f} a month",
        "apart": f"{fmt(between['value'])} quarter apart",
        "between reports": f"{holding} reports",
        "apart needs": f"at least {fmt(between['threshold'])} quarters between them",
        "n quarters": f"{int(together['n_obs'])} quarters",
        "ratio": f"{together['ratio']:.2f} (95% CI {together['ratio_low']:.2f}-"
        f"{together['ratio_high']:.2f}), p = {together['p_value']:.2f}",
        "mde": f"rate ratio of {together['mde']:.2f}",
        "power": f"{together['power']:.0%} power",
        "alpha": f"alpha {alpha}",
        "n sims": f"{int(together['n_sims'])} simulations",
        "apart mde": "no rise up to a rate ratio of 100" if np.isinf(apart["mde"]) else "",
        "change point": f"p = {cp['p_value']:.2f}",
        "figures": f"{fmt(obs['value'])} figures",
        "figures need": f"at least {fmt(obs['threshold'])}",
        "fall": f"{fall['value']:.0%}",
        "fall need": f"{fall['threshold']:.0%}",
        "sparse": f"{mean['value']:.2f} reports a month",
        "sparse need": f"{fmt(mean['threshold'])} a month",
        "span": f"{span} months",
        "empty": f"{empty['value']:.0%}",
        "empty need": f"{empty['threshold']:.0%}",
        "df": f"{fmt(df['value'])} residual degrees of freedom",
        "df need": f"at least {fmt(df['threshold'])}",
        "coefficients": f"{n_coef} coefficients",
        "after": f"{fmt(after['value'])} quarter after",
        "after need": f"at least {fmt(after['threshold'])}",
        "money": f"{fmt(citing['value'])} of {len(tables['reports'])} reports",
        "money need": f"at least {fmt(citing['threshold'])}",
        "more 2": f"{fmt(two.name)} times as many reports",
        "more 2 mde": f"{two['mde']:.2f}",
        "more 4": f"{fmt(four.name)} times as many",
        "more 4 mde": f"{four['mde']:.2f}",
    }


def numbers_of(text: str) -> set[str]:
    return set(NUMBER.findall(text))


def unpinned(text: str, phrases: dict[str, str]) -> set[str]:
    allowed = YEARS | {n for p in phrases.values() for n in numbers_of(p)}
    return numbers_of(text) - allowed


def readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- al-shabaab:start -->", "<!-- al-shabaab:end -->"
    assert text.count(start) == text.count(end) == 1
    section = text.split(start)[1].split(end)[0]
    assert text.index(end) < text.index("## Development")
    return section


def test_the_quoted_phrases_hold_what_they_claim(tables):
    """The phrases' fixed parts are true of the output too (the 95% interval, the power)."""
    together = tables["competing"].set_index("model").loc["together"]
    z = stats.norm.ppf(0.975)
    assert np.exp(together["estimate"] - z * together["std_error"]) == pytest.approx(
        together["ratio_low"], rel=1e-9
    )
    assert together["power"] == 0.8 and together["supported"]
    apart = tables["competing"].set_index("model").loc["separate"]
    assert not apart["supported"] and np.isinf(apart["mde"])
    assert tables["more"]["mde"].is_monotonic_decreasing


def test_readme_section_quotes_only_numbers_from_the_report(phrases):
    section = readme_section()
    quoted = [
        "reports", "per quarter", "per month", "apart", "between reports", "apart needs",
        "n quarters", "ratio", "mde", "power", "figures", "figures need", "fall", "fall need",
        "sparse", "df", "df need", "money",
    ]  # fmt: skip
    flat = " ".join(section.split())
    for key in quoted:
        assert phrases[key] in flat, (key, phrases[key])
    assert not unpinned(flat, phrases)
    assert f"lag structure needs {phrases['sparse need']}" in flat


def test_docs_page_quotes_only_numbers_from_the_report(phrases):
    flat = " ".join(PAGE.read_text(encoding="utf-8").split())
    for key, phrase in phrases.items():
        assert phrase in flat, (key, phrase)
    assert not unpinned(flat, phrases)


def test_the_report_states_the_question_the_mde_and_the_competing_event(out, phrases):
    summary = (out / "figures" / "summary.md").read_text(encoding="utf-8")
    section = summary.split("## Before and after the dated events")[1].split("\n## ")[0]
    for key in ("ratio", "n quarters", "between reports", "apart needs", "more 2 mde"):
        assert phrases[key] in section, key
    assert f"detects a rise from a {phrases['mde']} on with 80% power" in section
    assert "military event V018 as a competing explanation" in section
    assert "cannot be attributed to either alone" in section
    assert phrases["apart mde"] in section
    # the analysis period is stated, and the cannot-support section follows
    assert 'Analysis period: quarters (`freq = "QS"` in the case file)' in summary
    assert summary.index("## Before and after") < summary.index("## Analyses the data cannot")


def test_each_multiverse_specification_says_why_it_found_nothing(out, tables):
    """No choice of the multiverse makes revenue a series: every specification fails, and its
    reason is the report's own sentence on the failed checks, not an empty cell."""
    specs = pd.read_csv(out / "data" / "processed" / "multiverse_specs.csv")
    assert len(specs) and (specs["status"] == "failed").all()
    obs = check(tables["support"], "ccf", "observations", indicator="revenue")
    assert specs["reason"].str.contains(obs["reason"], regex=False).all()
    summary = (out / "figures" / "summary.md").read_text(encoding="utf-8")
    assert "specification_curve.png" not in summary  # nothing to draw
