"""Loaders: bundled data, schemas, user files in every format, and every kind of bad input."""

from __future__ import annotations

import pandas as pd
import pytest

import cftf_analysis as cftf
from cftf_analysis import config
from cftf_analysis.errors import DataValidationError, DateParseError
from cftf_analysis.loaders import defector_key, report_problems
from cftf_analysis.schemas import EVENTS_SCHEMA, REPORTS_SCHEMA


def raw(name: str) -> pd.DataFrame:
    return pd.read_csv(config.RAW_DIR / name, dtype=str, keep_default_na=False)


def write(frame: pd.DataFrame, tmp_path, name: str = "reports.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_bundled_reports_shape_and_schema():
    reports = cftf.load_reports()
    assert len(reports) == len(raw("defection_reports.csv")) == 146
    assert list(reports.columns) == list(REPORTS_SCHEMA.columns)
    assert reports["published_start"].dtype == "datetime64[ns]"
    assert reports["motive_financial"].dtype == bool
    assert reports["outcome"].dtype == "category"
    # every raw date text is kept next to its parsed interval
    assert (reports["published_text"] == raw("defection_reports.csv")["published"]).all()


def test_bundled_reports_values():
    reports = cftf.load_reports().set_index("report_id")
    r001 = reports.loc["R001"]
    assert r001["published_start"] == pd.Timestamp("2014-07-01")
    assert r001["published_end"] == pd.Timestamp("2014-07-31")
    assert r001["published_precision"] == "month"
    assert r001["defection_start"] == pd.Timestamp("2014-01-01")
    assert r001["defection_end"] == pd.Timestamp("2014-12-31")
    assert bool(r001["motive_violence"]) and not bool(r001["motive_financial"])
    # unknown defection date stays missing, never invented
    r002 = reports.loc["R002"]
    assert pd.isna(r002["defection_start"]) and pd.isna(r002["defection_precision"])
    # an unnumbered group stays missing, not 0 or 1
    raw_sizes = raw("defection_reports.csv").set_index("report_id")["group_size"]
    empty_ids = raw_sizes.index[raw_sizes == ""]
    assert reports.loc[empty_ids, "group_size"].isna().all()
    motive_sums = raw("defection_reports.csv")["motive_financial"].astype(int).sum()
    assert reports["motive_financial"].sum() == motive_sums


def test_defector_key_counts_people_as_well_as_reports():
    reports = cftf.load_reports()
    khweis = reports[reports["defector_alias"].str.contains("Khweis")]
    assert len(khweis) == 4
    assert khweis["defector_key"].nunique() == 1
    assert reports["defector_key"].nunique() < len(reports)
    unnamed = reports[reports["defector_alias"].str.startswith("unnamed")]
    assert (unnamed["defector_key"] == "report:" + unnamed["report_id"]).all()


def test_defector_key_folds_transliteration_and_notes():
    keys = defector_key(
        pd.Series(["Abou Ali", "Abu Ali (pseudonym)", "two unnamed militants"]),
        pd.Series(["A", "B", "C"]),
    )
    assert keys.tolist() == ["abu ali", "abu ali", "report:C"]


def test_bundled_events():
    events = cftf.load_events()
    assert len(events) == len(raw("events.csv"))
    assert list(events.columns) == list(EVENTS_SCHEMA.columns)
    assert (events["date_start"] <= events["date_end"]).all()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "frame"])
def test_user_file_formats_round_trip(tmp_path, fmt):
    frame = raw("defection_reports.csv").head(20)
    if fmt == "csv":
        source = write(frame, tmp_path)
    elif fmt == "parquet":
        source = tmp_path / "r.parquet"
        frame.to_parquet(source)
    elif fmt == "xlsx":
        source = tmp_path / "r.xlsx"
        frame.to_excel(source, index=False)
    else:
        source = frame
    loaded = cftf.load_reports(source)
    expected = cftf.load_reports().head(20)
    # collection codes are an open vocabulary: the categories are those present
    assert list(loaded["collection"].cat.categories) == sorted(set(frame["collection"]))
    as_text = {"collection": "string"}
    pd.testing.assert_frame_equal(loaded.astype(as_text), expected.astype(as_text))


def test_frame_with_real_dtypes_is_accepted():
    frame = raw("events.csv").head(5)
    frame["date"] = pd.to_datetime(frame["date"], format="mixed")
    events = cftf.load_events(frame)
    assert (events["date_precision"] == "day").all()


# --- bad input: one test per kind, each naming file, row and column -------------------


def _broken(tmp_path, column, row, value, name="defection_reports.csv"):
    frame = raw(name)
    frame.loc[row - 1, column] = value
    return write(frame, tmp_path, name)


def test_missing_required_column(tmp_path):
    path = write(raw("defection_reports.csv").drop(columns="outcome"), tmp_path)
    with pytest.raises(DataValidationError, match=r"reports.csv.*column 'outcome'.*missing"):
        cftf.load_reports(path)


def test_unparseable_date(tmp_path):
    path = _broken(tmp_path, "published", 7, "spring 2015")
    with pytest.raises(DateParseError, match=r"row 7, column 'published'.*spring 2015") as info:
        cftf.load_reports(path)
    assert info.value.file.endswith("defection_reports.csv")
    assert (info.value.row, info.value.column) == (7, "published")


def test_end_before_start(tmp_path):
    path = _broken(tmp_path, "defection_date", 3, "2015-05/2015-02")
    with pytest.raises(DataValidationError, match=r"row 3, column 'defection_date'.*before"):
        cftf.load_reports(path)


def test_negative_count(tmp_path):
    path = _broken(tmp_path, "group_size", 4, "-2")
    with pytest.raises(DataValidationError, match=r"row 4, column 'group_size'.*negative"):
        cftf.load_reports(path)


def test_duplicate_report_id(tmp_path):
    path = _broken(tmp_path, "report_id", 10, "R001")
    with pytest.raises(DataValidationError, match=r"row 10, column 'report_id'.*duplicate"):
        cftf.load_reports(path)


def test_bad_code_lists_allowed_values(tmp_path):
    path = _broken(tmp_path, "outcome", 2, "vanished")
    with pytest.raises(DataValidationError, match=r"row 2, column 'outcome'.*fled, captured"):
        cftf.load_reports(path)


def test_bad_motive_flag(tmp_path):
    path = _broken(tmp_path, "motive_financial", 5, "yes")
    with pytest.raises(DataValidationError, match=r"row 5, column 'motive_financial'"):
        cftf.load_reports(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataValidationError, match=r"empty.csv.*empty"):
        cftf.load_reports(path)


def test_header_only_file(tmp_path):
    path = write(raw("defection_reports.csv").head(0), tmp_path)
    with pytest.raises(DataValidationError, match="no data rows"):
        cftf.load_reports(path)


def test_wrong_file_type(tmp_path):
    path = tmp_path / "reports.json"
    path.write_text("{}")
    with pytest.raises(DataValidationError, match=r"reports.json.*unsupported file type"):
        cftf.load_reports(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataValidationError, match="not found"):
        cftf.load_reports(tmp_path / "nope.csv")


def test_all_problems_are_listed(tmp_path):
    frame = raw("defection_reports.csv")
    frame.loc[1, "published"] = "2016-13"
    frame.loc[4, "gender"] = "x"
    frame.loc[8, "report_id"] = "R001"
    problems = report_problems(write(frame, tmp_path))
    assert list(problems.columns) == ["file", "row", "column", "problem"]
    assert problems[["row", "column"]].values.tolist() == [
        [2, "published"],
        [5, "gender"],
        [9, "report_id"],
    ]
    with pytest.raises(DataValidationError, match=r"and 2 more problems"):
        cftf.load_reports(write(frame, tmp_path))


def test_loaders_never_write(tmp_path):
    before = {p: p.stat().st_mtime_ns for p in config.RAW_DIR.iterdir()}
    cftf.load_reports(), cftf.load_indicators(), cftf.load_events()
    assert {p: p.stat().st_mtime_ns for p in config.RAW_DIR.iterdir()} == before


def test_ragged_csv(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("report_id,published\nR1,2016\nR2,2016,extra\n")
    with pytest.raises(
        DataValidationError, match=r"ragged.csv.*line 3 has 3 fields but the header has 2"
    ):
        cftf.load_reports(path)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("inf", "not a number"),
        ("1e20", "above the largest allowed value"),
        ("100001", "above the largest allowed value"),
        ("1e309", "too large"),
        ("2.5", "whole number"),
    ],
)
def test_group_size_must_be_a_plausible_whole_number(tmp_path, value, message):
    path = _broken(tmp_path, "group_size", 4, value)
    with pytest.raises(DataValidationError, match=message) as info:
        cftf.load_reports(path)
    assert (info.value.row, info.value.column) == (4, "group_size")


def test_group_size_at_the_documented_maximum_loads(tmp_path):
    from cftf_analysis.loaders import GROUP_SIZE_MAX

    path = _broken(tmp_path, "group_size", 4, str(GROUP_SIZE_MAX))
    assert cftf.load_reports(path).loc[3, "group_size"] == GROUP_SIZE_MAX


@pytest.mark.parametrize(
    ("column", "value"),
    [("published", "2099-01-01"), ("defection_date", "2099"), ("published", "2100-Q1")],
)
def test_report_dates_in_the_future_are_rejected(tmp_path, column, value):
    path = _broken(tmp_path, column, 5, value)
    problems = report_problems(path)
    hits = problems[(problems["row"] == 5) & (problems["column"] == column)]
    assert hits["problem"].str.contains("in the future").any()


def test_tomorrow_is_in_the_future_and_today_is_not(tmp_path):
    today = pd.Timestamp.today().normalize()
    frame = raw("events.csv")
    frame.loc[0, "date"] = f"{today:%Y-%m-%d}"
    assert cftf.load_events(frame).loc[0, "date_start"] == today
    frame.loc[0, "date"] = f"{today + pd.Timedelta(days=1):%Y-%m-%d}"
    with pytest.raises(DataValidationError, match=r"row 1, column 'date'.*in the future"):
        cftf.load_events(frame)


def test_a_defection_after_its_report_is_rejected(tmp_path):
    frame = raw("defection_reports.csv")
    frame.loc[0, "published"] = "2014-07"
    frame.loc[0, "defection_date"] = "2014-08-02"
    with pytest.raises(
        DataValidationError, match=r"row 1, column 'defection_date'.*after the report"
    ):
        cftf.load_reports(frame)
    # overlapping intervals are possible: a defection in July 2014 reported in 2014-07
    frame.loc[0, "defection_date"] = "2014"
    assert cftf.load_reports(frame).loc[0, "defection_precision"] == "year"


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"report_id,published\nR1,\xff\xfe2016\n")
    with pytest.raises(DataValidationError, match=r"latin.csv.*not UTF-8.*line 2"):
        cftf.load_reports(path)
