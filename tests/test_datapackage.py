"""The Frictionless Data Package that describes ``data/raw/``.

``data/raw/datapackage.json`` documents every column of the three raw CSV files
and encodes the rules that Table Schema can express (types, required cells,
unique ids, controlled vocabularies, the date grammar as a pattern, and a
sha256 hash of each file). These tests check that

- ``frictionless`` (v5) finds the package and the data valid, with no errors;
- every CSV column is described, in file order, with a title and a description;
- the enums equal the vocabularies in :mod:`cftf_analysis.vocab`;
- the date pattern accepts the documented grammar and nothing else;
- a damaged copy of the data fails validation (so the validation can fail);
- the cross-field rules Table Schema cannot express hold in the data.
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import frictionless
import pandas as pd
import pytest

from cftf_analysis import vocab
from cftf_analysis.case import read_case_file
from cftf_analysis.config import BUNDLED_CASE_FILE, RAW_DIR

PACKAGE_FILE = RAW_DIR / "datapackage.json"
CSV_FILES = ("defection_reports.csv", "indicators.csv", "events.csv")

#: Columns in the date grammar, per file.
DATE_COLUMNS = {
    "defection_reports.csv": ("published", "defection_date"),
    "indicators.csv": ("period", "baseline_period", "published"),
    "events.csv": ("date",),
}

#: (file, column) -> the vocabulary its enum must equal.
VOCAB_COLUMNS = {
    ("indicators.csv", "indicator"): vocab.INDICATORS,
    ("indicators.csv", "unit"): vocab.UNITS,
    ("indicators.csv", "qualifier"): vocab.QUALIFIERS,
    ("events.csv", "category"): vocab.EVENT_CATEGORIES,
    ("defection_reports.csv", "gender"): vocab.GENDERS,
    ("defection_reports.csv", "outcome"): vocab.OUTCOMES,
    # the collection codes are the bundled case's own (an open vocabulary in the package)
    ("defection_reports.csv", "collection"): tuple(
        read_case_file(BUNDLED_CASE_FILE).collection_codes
    ),
}


def _descriptor() -> dict[str, Any]:
    return json.loads(PACKAGE_FILE.read_text(encoding="utf-8"))


def _resource(descriptor: dict[str, Any], path: str) -> dict[str, Any]:
    matches = [r for r in descriptor["resources"] if r["path"] == path]
    assert len(matches) == 1, f"expected one resource for {path}"
    return matches[0]


def _field(descriptor: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    fields = _resource(descriptor, path)["schema"]["fields"]
    return next(f for f in fields if f["name"] == name)


def _errors(report: frictionless.Report) -> list[tuple[str, str | None, str]]:
    """Flatten a report into (error type, field name, message) triples."""
    out = [(e.type, None, e.message) for e in report.errors]
    for task in report.tasks:
        out += [(e.type, getattr(e, "field_name", None), e.message) for e in task.errors]
    return out


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW_DIR / name, dtype=str, keep_default_na=False)


# --- the package as shipped -------------------------------------------------------------


def test_package_validates_without_errors() -> None:
    report = frictionless.validate(str(PACKAGE_FILE))
    errors = _errors(report)
    assert errors == []
    assert report.valid
    assert report.stats["errors"] == 0
    # every resource was read in full: rows counted by frictionless equal rows read by pandas
    rows = {Path(task.place).name: task.stats["rows"] for task in report.tasks}
    assert rows == {name: len(_read(name)) for name in CSV_FILES}


def test_package_metadata() -> None:
    descriptor = _descriptor()
    assert re.fullmatch(r"[a-z0-9._-]+", descriptor["name"])
    assert descriptor["title"] and descriptor["description"]
    assert descriptor["sources"], "provenance must be described in 'sources'"
    assert all(source.get("title") for source in descriptor["sources"])
    assert sorted(r["path"] for r in descriptor["resources"]) == sorted(CSV_FILES)


@pytest.mark.parametrize("name", CSV_FILES)
def test_every_column_described_in_order(name: str) -> None:
    resource = _resource(_descriptor(), name)
    fields = resource["schema"]["fields"]
    assert [f["name"] for f in fields] == _header(RAW_DIR / name)
    for field in fields:
        assert field.get("title"), f"{name}:{field['name']} has no title"
        assert len(field.get("description", "")) > 10, f"{name}:{field['name']} undescribed"
        assert field["type"] in {"string", "integer", "number", "boolean"}
    assert resource["schema"]["missingValues"] == [""]
    key = resource["schema"]["primaryKey"]
    assert key == [fields[0]["name"]]
    assert fields[0]["constraints"]["required"] is True
    assert fields[0]["constraints"]["unique"] is True


@pytest.mark.parametrize("name", CSV_FILES)
def test_hash_and_size_match_the_files(name: str) -> None:
    # computed here with hashlib, independently of frictionless
    resource = _resource(_descriptor(), name)
    data = (RAW_DIR / name).read_bytes()
    assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert resource["bytes"] == len(data)


@pytest.mark.parametrize(("name", "column"), sorted(VOCAB_COLUMNS))
def test_enums_equal_the_package_vocabularies(name: str, column: str) -> None:
    field = _field(_descriptor(), name, column)
    assert field["constraints"]["enum"] == list(VOCAB_COLUMNS[name, column])


def test_no_other_string_enums() -> None:
    # a new controlled column must be tied to a vocabulary constant above
    descriptor = _descriptor()
    found = {
        (resource["path"], field["name"])
        for resource in descriptor["resources"]
        for field in resource["schema"]["fields"]
        if field["type"] == "string" and "enum" in field.get("constraints", {})
    }
    assert found == set(VOCAB_COLUMNS)


def test_motive_columns_follow_the_vocabulary() -> None:
    fields = _resource(_descriptor(), "defection_reports.csv")["schema"]["fields"]
    motive_fields = [f for f in fields if f["name"].startswith("motive_")]
    assert [f["name"] for f in motive_fields] == [f"motive_{m}" for m in vocab.MOTIVES]
    for field in motive_fields:
        assert field["type"] == "integer"
        assert field["constraints"] == {"required": True, "enum": [0, 1]}


def test_change_units_are_controlled_units() -> None:
    assert set(vocab.CHANGE_UNITS) <= set(vocab.UNITS)


# --- the date grammar -------------------------------------------------------------------

GRAMMAR_EXAMPLES = [
    "2016-04-18",
    "2016-02-29",
    "2016-04",
    "2016",
    "2017-Q2",
    "2015-H1",
    "early 2017",
    "mid 2015",
    "late 2014",
    "2014-09/2014-10",
    "2014-01-15/2015-08-31",
    "2015/2016",
    "2014/2014-09",
]

NOT_GRAMMAR = [
    "",
    "2016-4-18",
    "2016-13",
    "2016-04-31",
    "2016-02-30",
    "2016-00",
    "16-04-18",
    "2016-Q5",
    "2016-Q0",
    "2016-H3",
    "Mid 2016",
    "middle 2016",
    "summer 2016",
    "2015-mid",
    "2014-peak",
    "April 2016",
    "2016-04-18 ",
    "2016-Q1/2016-Q2",
    "mid 2015/late 2015",
    "2014-09/",
    "2014/2015/2016",
    "c. 2016",
]


def _date_pattern() -> str:
    descriptor = _descriptor()
    patterns = {
        _field(descriptor, name, column)["constraints"]["pattern"]
        for name, columns in DATE_COLUMNS.items()
        for column in columns
    }
    assert len(patterns) == 1, "all date columns must share one grammar"
    return patterns.pop()


@pytest.mark.parametrize("text", GRAMMAR_EXAMPLES)
def test_date_pattern_accepts_the_grammar(text: str) -> None:
    # Table Schema patterns are XML Schema regexes, implicitly anchored: hence fullmatch
    assert re.fullmatch(_date_pattern(), text)


@pytest.mark.parametrize("text", NOT_GRAMMAR)
def test_date_pattern_rejects_other_text(text: str) -> None:
    assert re.fullmatch(_date_pattern(), text) is None


def test_frictionless_applies_the_date_pattern_as_documented() -> None:
    # frictionless v5 anchors a pattern as "^" + pattern + "$" (no group), which differs
    # from fullmatch when a pattern has a top-level "|"; check its own verdict row by row
    field = {"name": "d", "type": "string", "constraints": {"pattern": _date_pattern()}}
    rows = [["d"], *([t] for t in GRAMMAR_EXAMPLES), *([t] for t in NOT_GRAMMAR if t)]
    schema = frictionless.Schema.from_descriptor({"fields": [field]})
    resource = frictionless.Resource(data=rows, schema=schema)
    report = frictionless.validate(resource)
    failed = {e.cell for e in report.tasks[0].errors if e.type == "constraint-error"}
    assert failed == {t for t in NOT_GRAMMAR if t}


def _has_top_level_alternation(pattern: str) -> bool:
    depth, escaped, in_class = 0, False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


def test_no_pattern_has_an_ungrouped_alternation() -> None:
    patterns = [
        field["constraints"]["pattern"]
        for resource in _descriptor()["resources"]
        for field in resource["schema"]["fields"]
        if "pattern" in field.get("constraints", {})
    ]
    assert len(patterns) == 9
    assert [p for p in patterns if _has_top_level_alternation(p)] == []
    assert _has_top_level_alternation("a|b") and not _has_top_level_alternation("(a|b)[|]")


def _start(point: str) -> date:
    parts = [int(p) for p in point.split("-")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


def test_dates_are_real_days_and_intervals_ordered() -> None:
    # what a regular expression cannot check: 29 February and A <= B
    for name, columns in DATE_COLUMNS.items():
        frame = _read(name)
        for column in columns:
            for row, text in enumerate(frame[column], start=1):
                for piece in text.split("/"):
                    if re.fullmatch(r"[0-9]{4}-02-29", piece):
                        assert calendar.isleap(int(piece[:4])), (name, row, column, text)
                if "/" in text:
                    first, last = text.split("/")
                    assert _start(first) <= _start(last), (name, row, column, text)


# --- a damaged copy must fail -----------------------------------------------------------


def _broken_copy(tmp_path: Path, name: str, old: str, new: str, *, rehash: bool) -> Path:
    """Copy the package to tmp_path with one edit in ``name``; optionally re-hash it."""
    for item in [*CSV_FILES, "datapackage.json"]:
        shutil.copy(RAW_DIR / item, tmp_path / item)
    target = tmp_path / name
    text = target.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {name}"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    if rehash:  # so that the intended error, not the hash check, is what fails
        for resource in descriptor["resources"]:
            data = (tmp_path / resource["path"]).read_bytes()
            resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
            resource["bytes"] = len(data)
    out = tmp_path / "datapackage.json"
    out.write_text(json.dumps(descriptor), encoding="utf-8")
    return out


BROKEN = [
    # (file, old text, new text, expected error type, field at fault)
    (
        "indicators.csv",
        ",USD million per month,",
        ",USD millions per month,",
        "constraint-error",
        "unit",
    ),
    ("indicators.csv", ",2016-04-18,", ",April 2016,", "constraint-error", "published"),
    ("indicators.csv", ",2016-04-18,", ",2016-04-31,", "constraint-error", "published"),
    ("indicators.csv", ",approx,", ",roughly,", "constraint-error", "qualifier"),
    (
        "indicators.csv",
        "I002,revenue_total,",
        "I002,revenue_gross,",
        "constraint-error",
        "indicator",
    ),
    ("events.csv", ",military,", ",militia,", "constraint-error", "category"),
    ("events.csv", "E002,", "E001,", "unique-error", "event_id"),
    ("defection_reports.csv", ",pass1-leads\n", ",pass4\n", "constraint-error", "collection"),
    ("defection_reports.csv", "R001,", "X001,", "constraint-error", "report_id"),
    ("events.csv", "event_id,date,", "event_id,when,", "incorrect-label", "date"),
]


@pytest.mark.parametrize(("name", "old", "new", "error_type", "field"), BROKEN)
def test_broken_copy_fails_validation(
    tmp_path: Path, name: str, old: str, new: str, error_type: str, field: str
) -> None:
    report = frictionless.validate(str(_broken_copy(tmp_path, name, old, new, rehash=True)))
    assert not report.valid
    assert (error_type, field) in {(kind, where) for kind, where, _ in _errors(report)}


def test_bad_motive_flag_fails_validation(tmp_path: Path) -> None:
    frame = _read("defection_reports.csv")
    row = frame.iloc[0]
    line = ",".join([row["motive_financial"], row["motive_corruption"], row["motive_violence"]])
    broken = ",".join(["2", row["motive_corruption"], row["motive_violence"]])
    package = _broken_copy(tmp_path, "defection_reports.csv", line, broken, rehash=True)
    errors = _errors(frictionless.validate(str(package)))
    assert ("constraint-error", "motive_financial") in {(k, f) for k, f, _ in errors}


def test_silent_edit_fails_the_hash_check(tmp_path: Path) -> None:
    # an edit that every schema rule allows is still caught: the raw files are immutable
    package = _broken_copy(
        tmp_path, "indicators.csv", ",2016-04-18,", ",2016-04-19,", rehash=False
    )
    report = frictionless.validate(str(package))
    assert not report.valid
    assert "hash-count" in {kind for kind, _, _ in _errors(report)}


# --- rules that Table Schema cannot express ---------------------------------------------


def test_indicator_cross_field_rules() -> None:
    frame = _read("indicators.csv")
    is_change = frame["unit"].isin(vocab.CHANGE_UNITS)
    has_baseline = frame["baseline_period"] != ""
    # baseline_period is filled exactly on change rows
    assert frame.loc[is_change != has_baseline, "indicator_id"].tolist() == []
    # a figure is a value or a range/bound, never neither and never both
    has_value = frame["value"] != ""
    has_bound = (frame["low"] != "") | (frame["high"] != "")
    assert frame.loc[has_value == has_bound, "indicator_id"].tolist() == []
    low = pd.to_numeric(frame["low"])
    high = pd.to_numeric(frame["high"])
    assert frame.loc[low > high, "indicator_id"].tolist() == []
    share = frame["unit"] == "percent of total"
    shares = pd.to_numeric(frame.loc[share, "value"])
    assert shares.between(0, 100).all()
