"""The README's "What the bundled data show": every number it quotes is read back here from
the output of the report it describes (``run_report()`` at its defaults, as ``make report``).

Each quoted phrase is rebuilt from the output files (``results.csv``, the power and
multiverse tables, the manifest); then every number in the section must be one of those
phrases' numbers or one of the few fixed facts listed in ``ALLOWED``, so a number typed by
hand, or left behind when the data or the code change, fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from cftf_analysis.report import run_report

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START, END = "<!-- bundled-findings:start -->", "<!-- bundled-findings:end -->"
#: A number in running text: not part of an id (I005) or a name.
NUMBER = re.compile(r"(?<![\w.~-])-?\d+(?:,\d{3})*(?:\.\d+)?%?(?![\w])")
#: Fixed facts, not results: dates of the collection story, the 80% power convention,
#: the hundredfold plausibility bound and the interval level.
ALLOWED = {"2016", "2014", "2018", "80%", "95%", "35%", "1", "10", "000", "10,000"}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bundled")
    run_report(out_dir=folder, figures=False)
    return folder / "data" / "processed"


@pytest.fixture(scope="module")
def section() -> str:
    text = README.read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", text.split(START)[1].split(END)[0])


def phrases(out: Path) -> list[str]:
    results = pd.read_csv(out / "results.csv").set_index("finding")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    battery = json.loads((out / "results" / "battery.json").read_text(encoding="utf-8"))
    options = battery["options"]

    def row(prefix: str) -> pd.Series:
        hits = [f for f in results.index if f.startswith(prefix)]
        assert len(hits) == 1, (prefix, hits)
        return results.loc[hits[0]]

    def p(x: float) -> str:
        return f"{x:.2g}" if x >= 0.001 else "< 0.001"

    count_rev = row("reports per month: rate ratio per USD 10 million per month of revenue")
    count_ter = row("reports per month: rate ratio per 10,000 km2 of territory")
    ccf_rev = row("revenue_total vs reports: strongest cross-correlation")
    lead = row("Granger: revenue_total -> n_reports")
    turn = row("Granger: territory -> n_reports")
    others = [f for f in results.index if f.startswith("Granger:") and f != lead.name]
    anyb = row("change points in report counts: any break at all")
    march = row("change point in report counts at 2016-03")
    null_median = re.search(r"median rate ratio of ([\d.]+)", count_rev["caveat"]).group(1)
    power = pd.read_csv(out / "results" / "power_count_model_revenue_total.csv").dropna(
        subset=["power"]
    )
    below = power[power["effect"] < 1]
    best = below.loc[below["power"].idxmax()]
    every = pd.concat(
        pd.read_csv(f) for f in sorted((out / "results").glob("power_*.csv"))
    ).dropna(subset=["power"])
    shares = pd.read_csv(out / "multiverse_shares.csv").set_index(["finding", "indicator"])
    specs = pd.read_csv(out / "multiverse_specs.csv")
    reports = pd.read_csv(out / "reports.csv")
    uniform = specs[specs["collection"] == "uniform"]
    rate = re.search(r"([\d.]+) reports a month on average over the months of revenue_total",
                     uniform["reason"].iloc[0]).group(1)  # fmt: skip
    n_draws = manifest["n_draws"]
    assert manifest["seed"] == 20160418 and n_draws == 1000  # the defaults of make report
    # facts the section rests on, checked here rather than quoted
    assert not (every[every["effect"] != 1]["power"] >= 0.8).any()
    assert shares["n_significant"].sum() == 0
    assert (uniform["status"] == "failed").all()
    assert {"2014-09", "2018-04"} == {
        f[-7:] for f in results.index
        if f.startswith("change point in report counts at")
        and "within 12 months of an end" in results.loc[f, "caveat"]
    }  # fmt: skip
    assert count_rev["influential"] == "I005~level"
    assert lead["p_value"] < 0.05 and lead["p_without"] >= 0.05  # "rests on one figure"
    assert (results.loc[others, "p_value"] >= 0.05).all()  # the one nominally significant
    assert turn["p_value"] >= 0.05 and turn["p_without"] < 0.05  # "turns the other way"
    assert turn["p_without"] == pytest.approx(1 / (options["n_null"] + 1))  # "the smallest p"
    return [
        f"{n_draws:,} joint draws",
        f"against {options['n_null']} simulated indicators",
        f"rate ratio of {count_rev['estimate']:.2f} per USD 10 million a month",
        f"(95% interval {count_rev['ci_low']:.2f} to {count_rev['ci_high']:.2f}), "
        f"p = {p(count_rev['p_value'])}",
        f"give a median of {null_median}",
        f'(the one-sided "further decline of at least 35%") p = {p(count_rev["p_without"])}',
        f"in the same month, r = {ccf_rev['estimate']:.2f}, p = {p(ccf_rev['p_adjusted'])}"
        if int(ccf_rev["lag"]) == 0
        else "(lag differs: rewrite the README)",
        f"(rate ratio {count_ter['estimate']:.2f} per 10,000 km2, p = {p(count_ter['p_value'])})",
        f"({int(power['n_sims'].max())} datasets per effect)",
        f"revenue count model is {best['power']:.2f} (at a rate ratio of {best['effect']:.1f})",
        "with five revenue figures and seven territory figures".capitalize()
        if (count_rev["n_observed_points"], count_ter["n_observed_points"]) == (5, 7)
        else "(figure counts differ: rewrite the README)",
        f"Revenue Granger-predicts reports (p = {p(lead['p_value'])};",
        f"without `{lead['influential']}` p = {p(lead['p_without'])}",
        f"(Benjamini-Yekutieli over every finding) it is p = {p(lead['p_battery'])}",
        f"p = {p(turn['p_value'])} as bundled, p = {p(turn['p_without'])} without "
        f"`{turn['influential']}` (the smallest p that {options['n_null']} unrelated series",
        f"gives p = {p(anyb['p_value'])} ({p(anyb['p_battery'])} across the report)",
        f"Of its {int(anyb['estimate'])} breaks",
        f"(reports {march['estimate']:.2f} times the level before, 95% interval "
        f"{march['ci_low']:.2f} to {march['ci_high']:.2f}) has a Holm-adjusted p = "
        f"{p(march['p_adjusted'])}",
        f"Across {len(specs)} defensible analysis choices",
        f"points below 1 in {int(shares.loc[('count_model', 'revenue_total'), 'n_same_sign'])} "
        f"of {int(shares.loc[('count_model', 'revenue_total'), 'n_specs'])}",
        f"It found {int(uniform['n_reports'].max())} of the {len(reports)} reports",
        f"that is {rate} reports a month, below the 1 a month",
    ]


def test_every_quoted_phrase_is_in_the_output(out, section):
    for phrase in phrases(out):
        assert phrase in section, phrase


def test_no_number_in_the_section_is_typed_by_hand(out, section):
    quoted = {n for phrase in phrases(out) for n in NUMBER.findall(phrase)}
    stray = [n for n in NUMBER.findall(section) if n not in quoted | ALLOWED]
    assert not stray, stray
