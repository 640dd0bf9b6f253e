"""Tests for cftf_analysis.caveats."""

from __future__ import annotations

import re

import pytest

from cftf_analysis.caveats import data_caveats
from cftf_analysis.errors import ArgumentError, CftfError

KINDS = ("reports", "indicators", "all")


@pytest.mark.parametrize("kind", KINDS)
def test_returns_plain_unique_sentences(kind: str) -> None:
    caveats = data_caveats(kind)
    assert isinstance(caveats, list)
    assert len(caveats) >= 5
    assert len(set(caveats)) == len(caveats)
    for sentence in caveats:
        assert isinstance(sentence, str)
        assert sentence == sentence.strip()
        assert not sentence[0].islower() and sentence.endswith(".")
        assert "\n" not in sentence and "  " not in sentence
        assert len(sentence) <= 220, sentence  # short enough to print beside a figure
        assert not re.search(r"[*_`#]", sentence.replace("'", "")), "no markup"


def test_default_is_all() -> None:
    assert data_caveats() == data_caveats("all")


def test_all_is_the_union_in_order() -> None:
    reports = data_caveats("reports")
    indicators = data_caveats("indicators")
    everything = data_caveats("all")
    shared = [s for s in reports if s in indicators]
    assert shared, "some caveats apply to both files"
    assert everything[: len(shared)] == shared
    assert set(reports) | set(indicators) < set(everything)  # 'all' adds the timing caveat
    assert set(reports) != set(indicators)
    # order of the specific blocks is kept
    only_reports = [s for s in reports if s not in shared]
    assert [s for s in everything if s in only_reports] == only_reports


def test_each_call_returns_a_fresh_list() -> None:
    first = data_caveats("reports")
    first.clear()
    assert data_caveats("reports")


@pytest.mark.parametrize(
    ("kind", "must_mention"),
    [
        ("reports", r"2016"),
        ("reports", r"Westerners"),
        ("reports", r"custody"),
        ("reports", r"lower bounds"),
        ("reports", r"groups"),
        ("reports", r"appear in several"),
        ("reports", r"'captured'.*'surrendered'"),
        ("indicators", r"factor of three"),
        ("indicators", r"source organisation"),
        ("indicators", r"baselines?"),
        ("indicators", r"at least, at most"),
        ("all", r"not evidence that one caused"),
    ],
)
def test_required_caveats_are_present(kind: str, must_mention: str) -> None:
    assert any(re.search(must_mention, s) for s in data_caveats(kind))


def test_report_caveats_stay_out_of_indicator_caveats() -> None:
    assert not any("Motive flags" in s for s in data_caveats("indicators"))
    assert not any("factor of three" in s for s in data_caveats("reports"))


@pytest.mark.parametrize("bad", ["Reports", "events", "", None, 1])
def test_bad_kind_raises(bad: object) -> None:
    with pytest.raises(
        ArgumentError, match=r"is not allowed; use one of 'reports', 'indicators', 'all'"
    ):
        data_caveats(bad)  # type: ignore[arg-type]
    with pytest.raises(CftfError):
        data_caveats(bad)  # type: ignore[arg-type]
