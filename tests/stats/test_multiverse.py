"""The multiverse: every row a battery run, subsets counted right, shares from the rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cftf_analysis as cftf
from cftf_analysis.errors import ArgumentError
from cftf_analysis.stats.battery import run_battery
from cftf_analysis.stats.multiverse import DEFAULT_CHOICES, multiverse, report_subset
from cftf_analysis.stats.multiverse_result import (
    BASE_SHARE_COLUMNS,
    MULTIVERSE_COLUMNS,
    SHARE_COLUMNS,
    SKIPPED_COLUMNS,
    SPEC_COLUMNS,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "fictional-group" / "case.toml"
#: Small sizes: the tests check bookkeeping, not power.
N_DRAWS, N_NULL, SEED = 20, 19, 7
CHOICES = {"collection": ["all", "uniform", "without_leads"], "max_lag": [6, 3]}


@pytest.fixture(scope="module")
def case():
    return cftf.load_case()


@pytest.fixture(scope="module")
def mv(case):
    """Three report subsets by two lag windows on the bundled case (latent model)."""
    return multiverse(case, choices=CHOICES, n_draws=N_DRAWS, n_null=N_NULL, seed=SEED)


def rows_of(table: pd.DataFrame, spec_id: str, finding: str) -> pd.DataFrame:
    at = table[(table["spec_id"] == spec_id) & (table["finding"] == finding)]
    return at.set_index("indicator")


def test_tables_have_their_documented_columns(mv):
    assert list(mv.table.columns) == MULTIVERSE_COLUMNS
    assert list(mv.shares.columns) == SHARE_COLUMNS
    assert list(mv.specs.columns) == SPEC_COLUMNS
    assert list(mv.skipped.columns) == SKIPPED_COLUMNS
    by = mv.shares_by("collection")
    assert list(by.columns) == [*BASE_SHARE_COLUMNS[:2], "collection", *BASE_SHARE_COLUMNS[2:]]
    # 3 subsets x 2 windows; the second window runs the cross-correlation only
    # the uniform protocol's 7 reports fail the data-support checks (both lag windows)
    assert mv.n_specs == 6 and mv.n_ran == 4 and mv.n_failed == 2
    # 4 specifications ran: 2 series x 2 lag windows (ccf), 2 series x 2 subsets (count model)
    assert mv.table.groupby("finding").size().to_dict() == {"ccf": 8, "count_model": 4}
    assert mv.table.loc[mv.table["finding"] == "count_model", "max_lag"].isna().all()
    assert mv.specs["spec_id"].iloc[0] == "S001"
    assert mv.choices["collection"] == ("all", "uniform", "without_leads")


def test_reference_rows_equal_the_battery_run_directly(mv, case):
    """S001 is the battery with its defaults at the multiverse's size, nothing else."""
    battery = run_battery(
        case=case,
        steps=["count_model", "ccf"],
        n_draws=N_DRAWS,
        n_null=N_NULL,
        seed=SEED,
        influence=False,
        n_power=0,
    )
    for finding, p_column in (("count_model", "p_value"), ("ccf", "p_adjusted")):
        direct = battery[finding].rows.set_index("indicator")
        ours = rows_of(mv.table, "S001", finding)
        assert sorted(ours.index) == sorted(direct.index)
        for col in ("estimate", "ci_low", "ci_high"):
            np.testing.assert_allclose(ours[col], direct.loc[ours.index, col], rtol=1e-12)
        np.testing.assert_allclose(ours["p_value"], direct.loc[ours.index, p_column])
        assert (ours["significant"] == (direct.loc[ours.index, p_column] < 0.05)).all()
    refs = mv.shares.set_index(["finding", "indicator"])
    assert (refs["reference_spec"] == "S001").all()
    for (finding, ind), row in refs.iterrows():
        assert row["reference_estimate"] == rows_of(mv.table, "S001", finding).loc[ind, "estimate"]


def test_influence_check_leaves_the_estimate_alone(mv, case):
    """The battery with influence on (the report's) gives the reference its estimate."""
    battery = run_battery(
        case=case, steps=["count_model"], n_draws=N_DRAWS, n_null=N_NULL, seed=SEED, n_power=0
    )
    direct = battery["count_model"].rows.set_index("indicator")
    ours = rows_of(mv.table, "S001", "count_model")
    np.testing.assert_allclose(ours["estimate"], direct.loc[ours.index, "estimate"])
    assert direct["influential"].notna().any()


def test_subsets_count_exactly_their_reports(mv, case):
    by_code = case.reports.groupby("collection").size()
    n_uniform = int(by_code[list(case.collection_uniform)].sum())
    n_leads = int(by_code[list(case.collection_leads)].sum())
    specs = mv.specs.set_index("spec_id")
    expected = {"all": len(case.reports), "uniform": n_uniform,
                "without_leads": len(case.reports) - n_leads}  # fmt: skip
    for subset, n in expected.items():
        assert (specs.loc[specs["collection"] == subset, "n_reports"] == n).all(), subset
        table = mv.table[mv.table["collection"] == subset]
        assert (table["n_reports"] == n).all(), subset
    assert n_uniform == 7  # the bundled case: a small uniform pass
    uniform = report_subset(case.reports, "uniform", uniform=case.collection_uniform)
    assert set(uniform["collection"]) == set(case.collection_uniform)
    rest = report_subset(case.reports, "without_leads", leads=case.collection_leads)
    assert not rest["collection"].isin(case.collection_leads).any()
    assert report_subset(case.reports, "all") is case.reports


def test_a_subset_row_equals_the_battery_on_that_subset(mv, case):
    """A subset is counted on the whole collection's months, zeros where it found nothing."""
    full = run_battery(case=case, steps=["count_model"], n_draws=2, n_power=0)
    months = full.panel["month"]
    subset = report_subset(case.reports, "without_leads", leads=case.collection_leads)
    battery = run_battery(
        subset,
        case.indicators,
        case=case,
        steps=["count_model", "ccf"],
        n_draws=N_DRAWS,
        n_null=N_NULL,
        seed=SEED,
        influence=False,
        n_power=0,
        start=months.min(),
        end=months.max(),
    )
    assert battery.panel["month"].equals(months)
    assert battery.panel["n_reports"].sum() == pytest.approx(len(subset))
    assert len(subset) == len(case.reports) - 60  # 3 seed reports and 57 found from leads
    spec = mv.specs.loc[
        (mv.specs["collection"] == "without_leads") & (mv.specs["max_lag"] == 6), "spec_id"
    ].item()
    for finding in ("count_model", "ccf"):
        direct = battery[finding].rows.set_index("indicator")
        ours = rows_of(mv.table, spec, finding)
        assert len(ours) == 2
        np.testing.assert_allclose(
            ours["estimate"].astype(float), direct.loc[ours.index, "estimate"].astype(float)
        )


def test_shares_are_the_mean_of_holds(mv):
    assert (
        mv.shares[["share_same_sign", "share_significant", "share_holds"]]
        .stack()
        .between(0, 1)
        .all()
    )
    for row in mv.shares.itertuples(index=False):
        rows = mv.table[(mv.table["finding"] == row.finding)
                        & (mv.table["indicator"] == row.indicator)]  # fmt: skip
        holds = rows["significant"] & (rows["sign"] == row.reference_sign)
        assert row.n_specs == len(rows)
        assert row.n_holds == holds.sum()
        assert row.share_holds == pytest.approx(holds.mean())
        assert row.share_same_sign == pytest.approx((rows["sign"] == row.reference_sign).mean())
        assert row.share_significant == pytest.approx(rows["significant"].mean())
    by = mv.shares_by("collection")
    total = by.groupby(["finding", "indicator"], sort=False)["n_holds"].sum()
    assert (total.to_numpy() == mv.shares["n_holds"].to_numpy()).all()


def test_the_bundled_uniform_protocol_is_too_thin_to_test_and_says_why(mv):
    """The README's "does it survive the uniform protocol" on the bundled case: 7 reports
    in 59 months fail the data-support checks, so no finding is computed, and the reason
    (with its deciding number) reaches the specification table and the plain words."""
    shares = mv.shares
    assert shares["uniform_spec"].notna().all()
    assert (shares["uniform_n_reports"] == 7).all()
    assert shares["uniform_estimate"].isna().all()
    for row, text in zip(shares.itertuples(index=False), mv.in_words(), strict=True):
        spec = mv.specs.set_index("spec_id").loc[row.uniform_spec]
        assert spec["collection"] == "uniform" and spec["status"] == "failed"
        assert "reports a month on average" in spec["reason"]
        assert "Counting only the 7 reports of the uniform search protocol, the finding could " \
               "not be computed: " in text  # fmt: skip
        assert f"over the months of {row.indicator}" in text


@pytest.fixture(scope="module")
def mv_wide(case):
    """A case whose "uniform" codes cover most reports, so the uniform subset can be tested."""
    import dataclasses

    wide = dataclasses.replace(
        case, collection_uniform=("pass1-leads", "pass3-outlets", "pass3-origins")
    )
    return multiverse(wide, choices={"collection": ["all", "uniform"]}, n_draws=N_DRAWS,
                      n_null=N_NULL, seed=SEED)  # fmt: skip


@pytest.mark.slow
def test_uniform_protocol_result_per_finding(mv_wide):
    """Where the uniform subset can be tested: one row per finding, filled from its spec."""
    mv = mv_wide
    shares = mv.shares
    filled = ["uniform_spec", "uniform_estimate", "uniform_p_value", "uniform_same_conclusion",
              "share_holds_uniform"]  # fmt: skip
    assert shares[filled].notna().all().all()
    for row in shares.itertuples(index=False):
        ref = mv.specs.set_index("spec_id").loc[row.reference_spec]
        spec = mv.specs.set_index("spec_id").loc[row.uniform_spec]
        assert spec["collection"] == "uniform"
        assert row.uniform_n_reports == spec["n_reports"] < ref["n_reports"]
        for choice in ("indicator_model", "producer", "date", "max_lag", "counts"):
            assert spec[choice] == ref[choice], choice
        at = rows_of(mv.table, row.uniform_spec, row.finding).loc[row.indicator]
        assert row.uniform_estimate == at["estimate"] and row.uniform_p_value == at["p_value"]
        assert row.uniform_significant == at["significant"]
        holds = bool(at["significant"]) and at["sign"] == row.reference_sign
        assert row.uniform_holds == holds
        assert row.uniform_same_conclusion == (
            holds or (not at["significant"] and not row.reference_significant)
        )
        uniform_rows = mv.table[(mv.table["finding"] == row.finding)
                                & (mv.table["indicator"] == row.indicator)
                                & (mv.table["collection"] == "uniform")]  # fmt: skip
        assert row.n_specs_uniform == len(uniform_rows)
        hold = uniform_rows["significant"] & (uniform_rows["sign"] == row.reference_sign)
        assert row.share_holds_uniform == pytest.approx(hold.mean())


def test_in_words_quotes_the_shares(mv):
    sentences = mv.in_words({"revenue_total": "Revenue", "territory": "Territory"})
    assert len(sentences) == len(mv.shares)
    for text, row in zip(sentences, mv.shares.itertuples(index=False), strict=True):
        assert f"{row.n_holds} of {row.n_specs} specifications ({row.share_holds:.0%})" in text
        assert f"Counting only the {row.uniform_n_reports} reports of the uniform" in text
        # 7 reports fail the data-support checks: the reason, not a p-value
        assert pd.isna(row.uniform_p_value)
        assert "the finding could not be computed: " in text and "a month on average" in text


def test_choices_that_do_not_apply_are_skipped_with_a_reason(mv):
    assert mv.skipped.empty  # every subset and window applies to the bundled case
    # without coverage, article counts cannot be had; no second producer can be modelled
    full = multiverse(
        choices={"producer": ["case", "other"], "counts": list(DEFAULT_CHOICES["counts"])},
        n_draws=4,
        n_null=0,
    )
    counts = full.skipped[full.skipped["choice"] == "counts"]
    assert counts["value"].tolist() == ["n_articles_defection"]
    assert counts["reason"].tolist() == ["no corpus coverage table given"]
    producers = full.skipped[full.skipped["choice"] == "producer"]
    assert sorted(producers["indicator"]) == ["revenue_total", "territory"]
    assert producers["reason"].str.startswith("no other producer's figures can be modelled").all()
    assert full.choices["producer"] == ("case",) and full.choices["counts"] == ("n_reports",)
    assert full.n_specs == 1


def test_inputs_without_collection_codes_or_defection_dates(case):
    """Tables without a case: no codes, no defection dates: skipped, not a crash."""
    reports = case.reports.drop(columns=["collection"]).assign(
        defection_start=pd.NaT, defection_end=pd.NaT
    )
    mv = multiverse(
        reports=reports,
        indicators=case.indicators,
        choices={
            "collection": ["all", "uniform", "without_leads"],
            "date": ["published", "defection"],
        },
        n_draws=4,
        n_null=0,
    )
    skipped = mv.skipped.set_index(["choice", "value"])["reason"]
    assert skipped[("date", "defection")] == "no report has a defection date"
    assert skipped[("collection", "uniform")] == "the reports have no collection column"
    assert skipped[("collection", "without_leads")] == "the reports have no collection column"
    assert mv.n_specs == 1 and mv.n_ran == 1
    assert mv.shares["uniform_spec"].isna().all() and mv.shares["uniform_estimate"].isna().all()
    # with the column but no codes in a case file
    mv = multiverse(
        reports=case.reports,
        indicators=case.indicators,
        choices={"collection": ["all", "uniform"]},
        n_draws=4,
        n_null=0,
    )
    reason = mv.skipped.set_index(["choice", "value"]).loc[("collection", "uniform"), "reason"]
    assert reason == "the case file gives no [collection] uniform codes"
    with pytest.raises(ArgumentError, match=r"\[collection\] leads"):
        report_subset(case.reports, "without_leads")


def test_a_subset_counting_the_same_reports_is_run_once():
    """In the example every report is of the uniform pass or a tip: one subset, not two."""
    mv = multiverse(
        EXAMPLE,
        choices={"indicator_model": ["linear"], "collection": ["all", "uniform",
                                                                "without_leads"]},
        n_draws=4,
    )  # fmt: skip
    ex = cftf.load_case(EXAMPLE)
    n_uniform = int(ex.reports["collection"].isin(ex.collection_uniform).sum())
    assert mv.choices["collection"] == ("all", "uniform")
    reason = mv.skipped.set_index(["choice", "value"]).loc[("collection", "without_leads")]
    assert reason["reason"] == f"counts the same {n_uniform} reports as 'uniform'"
    assert (mv.specs.loc[mv.specs["collection"] == "uniform", "n_reports"] == n_uniform).all()


@pytest.mark.slow
def test_example_case_runs_another_producer_on_its_own():
    """A series with a second producer that can be modelled is run with it, alone."""
    mv = multiverse(
        EXAMPLE,
        choices={"indicator_model": ["linear"], "producer": ["case", "other"]},
        n_draws=4,
    )
    other = mv.specs[mv.specs["producer"] != "case"]
    assert len(other) == 1 and other["indicators"].item() == "revenue"
    rows = mv.table[mv.table["spec_id"] == other["spec_id"].item()]
    assert set(rows["indicator"]) == {"revenue"}
    assert (rows["producer"] == other["producer"].item()).all()
    ex = cftf.load_case(EXAMPLE)
    assert other["producer"].item() in set(ex.indicators["producer"])
    assert other["producer"].item() != ex.series["revenue"]["producer"]
    reason = mv.skipped.set_index(["choice", "indicator"]).loc[("producer", "territory")]
    assert reason["reason"] == "no other producer of the series"


def test_article_counts_with_a_coverage_table(case, rng):
    """Article counts do not depend on the reports: no date basis or subset for them."""
    months = pd.date_range("2014-01-01", "2018-12-01", freq="MS")
    coverage = pd.DataFrame(
        {
            "period": months,
            "n_articles_topic": rng.poisson(2000, len(months)),
            "n_articles_defection": rng.poisson(30, len(months)),
        }
    )
    mv = multiverse(
        case,
        coverage=coverage,
        choices={
            "counts": ["n_reports", "n_articles_defection"],
            "collection": ["all", "uniform"],
        },
        n_draws=4,
        n_null=0,
        seed=SEED,
    )
    # the uniform protocol's 7 reports fail the data-support checks
    assert mv.skipped.empty and mv.n_specs == 3 and mv.n_ran == 2 and mv.n_failed == 1
    articles = mv.table[mv.table["counts"] == "n_articles_defection"]
    assert articles["date"].isna().all() and articles["collection"].isna().all()
    direct = run_battery(
        case=case,
        coverage=coverage,
        counts="n_articles_defection",
        steps=["count_model"],
        n_draws=4,
        n_null=0,
        seed=SEED,
        influence=False,
        n_power=0,
    )
    ours = articles[articles["finding"] == "count_model"].set_index("indicator")
    theirs = direct["count_model"].rows.set_index("indicator")
    np.testing.assert_allclose(ours["estimate"], theirs.loc[ours.index, "estimate"])


def test_bad_choices_name_the_allowed_values():
    allowed = "is not allowed; use one of"
    with pytest.raises(ArgumentError, match=rf"choices='colour' {allowed} .*'collection'"):
        multiverse(choices={"colour": ["red"]})
    with pytest.raises(ArgumentError, match=rf"choices\['max_lag'\]=5 {allowed} 6, 3"):
        multiverse(choices={"max_lag": [5]})
    with pytest.raises(ArgumentError, match="is empty"):
        multiverse(choices={"date": []})
    with pytest.raises(ArgumentError, match="subset='some'"):
        report_subset(pd.DataFrame({"collection": []}), "some")  # type: ignore[arg-type]


@pytest.mark.slow
def test_default_size_on_the_bundled_case():
    """Every choice that applies: 3 models x 2 date bases x 3 subsets x 2 lag windows."""
    mv = multiverse()
    # the 12 specifications of the uniform protocol's 7 reports fail the data-support checks
    assert mv.n_specs == 36 and mv.n_ran == 24
    assert (mv.specs.loc[mv.specs["status"] != "ran", "collection"] == "uniform").all()
    assert mv.n_draws == 100 and mv.n_null == 99
    assert (mv.table["n_draws"] == 100).all()
    latent = mv.table[mv.table["indicator_model"] == "latent"]
    assert (latent["p_method"] == "monte_carlo").all() and (latent["n_null"] == 99).all()
    rubin = mv.table[mv.table["indicator_model"] != "latent"]
    assert (rubin["p_method"] == "rubin").all() and (rubin["n_null"] == 0).all()
    dated = mv.specs[mv.specs["date"] == "defection"]
    assert (dated.loc[dated["collection"] == "all", "n_reports"] == 101).all()
