"""Importers of UCDP GED, ACLED and GTD files, the optional event columns, and the CLI.

The fixtures in tests/data/ are invented rows in the published column layouts
(README-importers.md): UCDP GED codebook version 24.1, the ACLED codebook of 2023 and the
GTD codebook's 135-column distributed file (release 0522).
"""

from __future__ import annotations

import typing
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cftf_analysis as cftf
from cftf_analysis import config, vocab
from cftf_analysis.cli import app
from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.importers import (
    ACLED_CATEGORIES,
    IMPORT_COLUMNS,
    import_acled,
    import_gtd,
    import_ucdp_ged,
)
from cftf_analysis.options import EventCategory
from cftf_analysis.schemas import EVENTS_SCHEMA

DATA = Path(__file__).parent / "data"
GED = DATA / "GEDEvent_v24_1_sample.csv"  # UCDP GED codebook version 24.1 layout
ACLED = DATA / "acled_codebook2023_sample.csv"  # ACLED codebook 2023 layout
GTD = DATA / "globalterrorismdb_0522dist_sample.csv"  # GTD codebook, release 0522 layout
runner = CliRunner()


def raw(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def edited(tmp_path: Path, path: Path, row: int, column: str, value: str) -> Path:
    """A copy of a fixture with one cell changed (``row`` is the 1-based data row)."""
    frame = raw(path)
    frame.loc[row - 1, column] = value
    out = tmp_path / path.name
    frame.to_csv(out, index=False)
    return out


def days(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# --------------------------------------------------------------------------- all importers


@pytest.mark.parametrize(
    ("importer", "path", "dataset"),
    [(import_ucdp_ged, GED, "ucdp"), (import_acled, ACLED, "acled"), (import_gtd, GTD, "gtd")],
)
def test_output_is_the_raw_events_format_with_every_row(importer, path, dataset):
    events = importer(path)
    assert tuple(events.columns) == IMPORT_COLUMNS
    assert len(events) == len(raw(path))  # nothing dropped without a filter
    assert (events["dataset"] == dataset).all()
    assert events.map(lambda v: isinstance(v, str)).all().all()
    tidy = cftf.load_events(events)
    assert list(tidy.columns) == [*EVENTS_SCHEMA.columns, *IMPORT_COLUMNS[8:]]
    assert tidy["event_id"].is_unique


def test_column_constant_and_event_category_option_match_the_package():
    assert IMPORT_COLUMNS == (
        "event_id", "date", "event", "category", "scope", "source_org", "url", "note",
        "fatalities", "fatalities_low", "fatalities_high", "precision_code", "dataset",
    )  # fmt: skip
    assert typing.get_args(EventCategory) == vocab.EVENT_CATEGORIES
    assert set(ACLED_CATEGORIES.values()) <= set(vocab.EVENT_CATEGORIES)


# --------------------------------------------------------------------------- UCDP GED


def test_ged_every_date_prec_code_keeps_its_interval_and_code():
    events = import_ucdp_ged(GED).set_index("event_id")
    assert events["date"].to_dict() == {
        "GED-900001": "2015-03-02",  # date_prec 1, one day
        "GED-900002": "2015-03-02/2015-03-05",  # 2: 2-6 days
        "GED-900003": "2015-04-06/2015-04-12",  # 3: the week
        "GED-900004": "2015-05-01/2015-05-31",  # 4: the month
        "GED-900005": "2015-01-01/2015-12-31",  # 5: the year
    }
    assert events["precision_code"].tolist() == ["1", "2", "3", "4", "5"]
    assert "2-6 day range" in events.loc["GED-900002", "note"]
    assert events.loc["GED-900001", "note"].endswith("source headline: Clashes near Kessel")
    row = events.loc["GED-900001"]
    assert (row["fatalities"], row["fatalities_low"], row["fatalities_high"]) == ("12", "10", "15")
    assert row["source_org"] == "UCDP Georeferenced Event Dataset (GED) version 24.1"
    assert row["url"] == "https://ucdp.uu.se/event/900001"
    assert row["scope"] == "arland" and row["category"] == "military"
    assert row["event"].startswith("State-based conflict between Government of Arland and")
    assert events.loc["GED-900004", "event"].startswith("One-sided violence by Northern Front")
    assert events.loc["GED-900003", "event"].startswith("Non-state conflict between")


def test_ged_round_trip_keeps_dates_and_fatalities():
    source = raw(GED)
    tidy = cftf.load_events(import_ucdp_ged(GED))
    start = pd.to_datetime(source["date_start"].str[:10])
    end = pd.to_datetime(source["date_end"].str[:10])
    assert (tidy["date_start"] == start).all() and (tidy["date_end"] == end).all()
    for ours, theirs in [
        ("fatalities", "best"),
        ("fatalities_low", "low"),
        ("fatalities_high", "high"),
    ]:
        assert tidy[ours].tolist() == source[theirs].astype(float).tolist()
    assert tidy["precision_code"].tolist() == source["date_prec"].astype(int).tolist()
    assert tidy["precision_code"].dtype == "Int64"


def test_ged_actor_filter_is_explicit_and_case_insensitive():
    sides = import_ucdp_ged(GED, actor="NORTHERN front")
    assert sides["event_id"].tolist() == ["GED-900001", "GED-900002", "GED-900003", "GED-900004"]
    exact = import_ucdp_ged(GED, actor="government of arland", match="exact")
    assert exact["event_id"].tolist() == ["GED-900001", "GED-900002", "GED-900005"]
    with pytest.raises(ArgumentError, match=r"matches no row.*side_a, side_b, dyad_name"):
        import_ucdp_ged(GED, actor="Government", match="exact")
    with pytest.raises(ArgumentError, match="match='fuzzy' is not allowed"):
        import_ucdp_ged(GED, match="fuzzy")


def test_ged_version_comes_from_the_argument_or_the_file_name(tmp_path):
    assert import_ucdp_ged(GED, version="25.1").loc[0, "source_org"].endswith("version 25.1")
    zipped_name = tmp_path / "ged241.csv"
    raw(GED).to_csv(zipped_name, index=False)
    assert import_ucdp_ged(zipped_name).loc[0, "source_org"].endswith("version 24.1")
    renamed = tmp_path / "my_download.csv"
    raw(GED).to_csv(renamed, index=False)
    with pytest.raises(ArgumentError, match=r"version is needed.*version='24.1'"):
        import_ucdp_ged(renamed)


def test_ged_unknown_deaths_stay_unknown_and_the_range_is_still_checked(tmp_path):
    path = edited(tmp_path, GED, 2, "best", "")
    row = import_ucdp_ged(path).loc[1]
    assert row["event"].endswith("deaths not estimated")
    assert (row["fatalities"], row["fatalities_low"], row["fatalities_high"]) == ("", "3", "4")
    assert pd.isna(cftf.load_events(import_ucdp_ged(path)).loc[1, "fatalities"])
    frame = raw(path)
    frame.loc[1, "low"] = "5"
    with pytest.raises(DataValidationError, match="row 2, column 'low': low is above high"):
        import_ucdp_ged(frame, version="24.1")


def test_ged_missing_column_names_the_dataset(tmp_path):
    path = tmp_path / "GEDEvent_v24_1.csv"
    raw(GED).drop(columns=["date_prec"]).to_csv(path, index=False)
    with pytest.raises(DataValidationError, match=r"column 'date_prec'.*UCDP GED table"):
        import_ucdp_ged(path)


def test_rows_outside_the_filter_are_not_checked(tmp_path):
    path = edited(tmp_path, GED, 5, "date_prec", "9")  # a row of Government vs Eastern Brigade
    assert len(import_ucdp_ged(path, actor="Civilians")) == 1
    with pytest.raises(DataValidationError, match="row 5"):
        import_ucdp_ged(path, actor="Eastern Brigade")


# --------------------------------------------------------------------------- ACLED


def test_acled_time_precision_widens_the_date():
    events = import_acled(ACLED).set_index("event_id")
    assert events.loc["ACLED-ARL1001", "date"] == "2015-03-02"  # 1: the day
    assert events.loc["ACLED-ARL1002", "date"] == "2015-03-08/2015-03-14"  # 2: 11 March +-3
    assert events.loc["ACLED-ARL1003", "date"] == "2015-04"  # 3: the month of 15 April
    assert events["precision_code"].tolist() == ["1", "2", "3", "1", "1"]
    tidy = cftf.load_events(import_acled(ACLED)).set_index("event_id")
    week = tidy.loc["ACLED-ARL1002"]
    assert (week["date_end"] - week["date_start"]).days == 6
    assert tidy.loc["ACLED-ARL1003", "date_precision"] == "month"


def test_acled_categories_fatalities_and_provenance():
    events = import_acled(ACLED).set_index("event_id")
    assert events["category"].to_dict() == {
        "ACLED-ARL1001": "military",
        "ACLED-ARL1002": "military",
        "ACLED-ARL1003": "finance",
        "ACLED-ARL1004": "governance",
        "ACLED-ARL1005": "governance",
    }
    assert events["fatalities"].tolist() == ["5", "2", "0", "0", ""]  # empty stays unknown
    assert (events["fatalities_low"] == "").all() and (events["fatalities_high"] == "").all()
    assert events.loc["ACLED-ARL1001", "source_org"] == (
        "Armed Conflict Location & Event Data (ACLED), data as of 2024-05-02 "
        "(latest row timestamp)"
    )
    assert (events["url"] == "https://acleddata.com/data-export-tool/").all()
    assert "ACLED notes: Invented note" in events.loc["ACLED-ARL1001", "note"]
    assert events.loc["ACLED-ARL1004", "event"] == (
        "Peaceful protest (Protests) involving Protesters (Arland) in North, Arland: "
        "0 reported fatalities"
    )
    tidy = cftf.load_events(import_acled(ACLED))
    assert tidy["fatalities"].isna().tolist() == [False] * 4 + [True]


def test_acled_category_table_can_be_overridden_but_never_guessed(tmp_path):
    moved = import_acled(ACLED, categories={"ARRESTS": "defection"})
    assert moved.loc[4, "category"] == "defection"
    assert moved.loc[0, "category"] == "military"  # the rest of the table stays
    path = edited(tmp_path, ACLED, 2, "sub_event_type", "Cyber attack")
    with pytest.raises(DataValidationError) as info:
        import_acled(path)
    assert (info.value.row, info.value.column) == (2, "sub_event_type")
    assert "'Cyber attack' has no event category; give one with categories=" in str(info.value)
    assert len(import_acled(path, categories={"cyber attack": "military"})) == 5
    with pytest.raises(ArgumentError, match=r"categories\['Arrests'\]='arrest' is not allowed"):
        import_acled(ACLED, categories={"Arrests": "arrest"})


def test_acled_actor_filter_searches_actors_and_associated_actors():
    assert import_acled(ACLED, actor="teachers")["event_id"].tolist() == ["ACLED-ARL1004"]
    listed = import_acled(ACLED, actor="northern front", match="exact")
    assert listed["event_id"].tolist() == [
        "ACLED-ARL1001",
        "ACLED-ARL1002",
        "ACLED-ARL1003",
        "ACLED-ARL1005",  # in the list of associated actors
    ]


def test_acled_version_from_argument_or_timestamps():
    events = import_acled(ACLED, version="downloaded 2024-05-03")
    assert events.loc[0, "source_org"].endswith("(ACLED), downloaded 2024-05-03")
    with pytest.raises(ArgumentError, match="version is needed"):
        import_acled(raw(ACLED).drop(columns=["timestamp"]))


# --------------------------------------------------------------------------- GTD


def test_gtd_unknown_day_and_month_and_extended_incidents():
    events = import_gtd(GTD).set_index("event_id")
    assert events["date"].to_dict() == {
        "GTD-201503020001": "2015-03-02",  # the day
        "GTD-201503000002": "2015-03",  # iday 0: the month
        "GTD-201500000003": "2015",  # imonth 0: the year
        "GTD-201506100004": "2015-06-10/2015-06-20",  # extended, to its resolution
        "GTD-201507010005": "2015-07-01",  # extended, resolution not recorded
    }
    note = events["note"]
    assert note["GTD-201503000002"] == "approximate date given as 'March 2015'"
    assert note["GTD-201506100004"].endswith("resolved 2015-06-20")
    assert note["GTD-201507010005"].endswith("resolution date not recorded")
    assert events["fatalities"].tolist() == ["4", "", "0", "1", "0"]  # nkill unknown stays empty
    assert (events["precision_code"] == "").all()
    assert events.loc["GTD-201506100004", "url"] == (
        "https://www.start.umd.edu/gtd/search/IncidentSummary.aspx?gtdid=201506100004"
    )
    assert events.loc["GTD-201503020001", "source_org"] == (
        "Global Terrorism Database (GTD), release 0522"
    )
    assert "attributed to Eastern Brigade (suspected)" in events.loc["GTD-201506100004", "event"]
    assert "by an unidentified perpetrator" in events.loc["GTD-201500000003", "event"]


def test_gtd_round_trip_and_group_filter():
    tidy = cftf.load_events(import_gtd(GTD)).set_index("event_id")
    assert tidy.loc["GTD-201503000002", ["date_start", "date_end"]].tolist() == [
        days("2015-03-01"),
        days("2015-03-31"),
    ]
    assert tidy.loc["GTD-201500000003", "date_precision"] == "year"
    assert tidy.loc["GTD-201506100004", "date_end"] == days("2015-06-20")
    assert pd.isna(tidy.loc["GTD-201503000002", "fatalities"])
    assert tidy["fatalities"].sum() == 5
    group = import_gtd(GTD, group="northern front")  # gname or gname2
    ids = ["GTD-201503020001", "GTD-201503000002", "GTD-201507010005"]
    assert group["event_id"].tolist() == ids


def test_gtd_a_valid_edit_passes(tmp_path):
    # the rejection tests below change one cell; the same kind of change, valid, converts
    assert import_gtd(edited(tmp_path, GTD, 1, "iday", "31")).loc[0, "date"] == "2015-03-31"


def test_gtd_reads_the_distributed_excel_file(tmp_path):
    pytest.importorskip("openpyxl")
    frame = raw(GTD)
    for col in ("eventid", "iyear", "imonth", "iday", "extended"):
        frame[col] = frame[col].astype(int)  # numbers, as in the distributed workbook
    frame["nkill"] = pd.to_numeric(frame["nkill"])  # float with NaN
    frame["resolution"] = pd.to_datetime(frame["resolution"])  # an Excel date cell
    path = tmp_path / "globalterrorismdb_0522dist.xlsx"
    frame.to_excel(path, index=False)
    assert import_gtd(path).equals(import_gtd(GTD))


# --------------------------------------------------------------------------- rejected rows

#: (fixture, 1-based row, column edited, new value, column reported, message)
REJECTED = [
    (GED, 2, "date_prec", "6", "date_prec", "unknown date_prec code '6' (codes: 1, 2, 3, 4, 5)"),
    (GED, 3, "date_start", "", "date_start", "value is required (the date is missing)"),
    (GED, 4, "date_end", "2015-02-30 00:00:00.000", "date_end", "is not a valid date"),
    (GED, 1, "date_end", "2015-03-01", "date_end", "date_end 2015-03-01 is before date_start"),
    (GED, 5, "best", "-3", "best", "negative count -3"),
    (GED, 1, "low", "13", "low", "low 13 is above best 12"),
    (GED, 1, "high", "11", "best", "best 12 is above high 11"),
    (GED, 3, "type_of_violence", "4", "type_of_violence", "unknown type_of_violence code '4'"),
    (GED, 2, "id", "900001", "id", "duplicate id '900001'"),
    (ACLED, 1, "time_precision", "4", "time_precision", "unknown time_precision code '4'"),
    (ACLED, 2, "event_date", "31 February 2015", "event_date", "is not a valid date"),
    (ACLED, 3, "event_date", "", "event_date", "value is required"),
    (ACLED, 4, "fatalities", "-1", "fatalities", "negative count -1"),
    (ACLED, 5, "fatalities", "many", "fatalities", "'many' is not a number"),
    (GTD, 4, "iday", "31", "iday", "2015-06-31 is not a calendar date"),
    (GTD, 3, "iday", "5", "iday", "a day is given but the month is unknown (imonth 0)"),
    (GTD, 1, "imonth", "13", "imonth", "'13' is not a whole number from 0 to 12"),
    (GTD, 4, "resolution", "2015-06-01", "resolution", "is before the incident began"),
    (GTD, 1, "resolution", "2015-03-05", "resolution", "given but extended is 0"),
    (GTD, 4, "resolution", "20/06/2015", "resolution", "not a valid date (YYYY-MM-DD)"),
    (GTD, 2, "nkill", "-2", "nkill", "negative count -2"),
    (GTD, 5, "extended", "", "extended", "value is required"),
]
IMPORTERS = {GED: import_ucdp_ged, ACLED: import_acled, GTD: import_gtd}


@pytest.mark.parametrize(("fixture", "row", "column", "value", "reported", "message"), REJECTED)
def test_rejected_rows_name_file_row_and_column(
    tmp_path, fixture, row, column, value, reported, message
):
    path = edited(tmp_path, fixture, row, column, value)
    with pytest.raises(DataValidationError) as info:
        IMPORTERS[fixture](path)
    assert (info.value.file, info.value.row, info.value.column) == (str(path), row, reported)
    assert message in str(info.value)


# --------------------------------------------------------------------------- load_events


def test_bundled_events_load_exactly_as_before():
    bundled = cftf.load_events()
    assert list(bundled.columns) == list(EVENTS_SCHEMA.columns)
    assert "fatalities" not in bundled.columns
    # the same rows with counts added: the base columns are identical, the extras follow
    frame = pd.read_csv(config.EVENTS_FILE, dtype=str, keep_default_na=False)
    frame["fatalities"] = "1"
    frame["dataset"] = "own"
    extended = cftf.load_events(frame)
    assert list(extended.columns) == [*EVENTS_SCHEMA.columns, "fatalities", "dataset"]
    pd.testing.assert_frame_equal(extended[list(EVENTS_SCHEMA.columns)], bundled)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("fatalities", "-1", "negative value -1"),
        ("fatalities", "inf", "'inf' is not a number"),
        ("fatalities", "x", "'x' is not a number"),
        ("fatalities_low", "20", "fatalities_low 20 is above fatalities 12"),
        ("fatalities_high", "5", "fatalities 12 is above fatalities_high 5"),
        ("precision_code", "1.5", "code must be a whole number"),
    ],
)
def test_load_events_validates_the_optional_columns(column, value, message):
    frame = import_ucdp_ged(GED)
    frame.loc[0, column] = value
    reported = "fatalities" if column == "fatalities_high" else column
    with pytest.raises(DataValidationError) as info:
        cftf.load_events(frame)
    assert (info.value.row, info.value.column) == (1, reported)
    assert message in str(info.value)


# --------------------------------------------------------------------------- CLI


def test_cli_import_writes_an_events_file_the_report_can_read(tmp_path):
    out = tmp_path / "events.csv"
    result = runner.invoke(
        app, ["import", "ucdp", str(GED), "--out", str(out), "--actor", "Northern Front"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 4 events (2015-03-02 to 2015-05-31)" in result.output
    written = cftf.load_events(out)
    assert len(written) == 4 and written["fatalities"].sum() == 22
    gtd = runner.invoke(
        app, ["import", "gtd", str(GTD), "--out", str(out), "--category", "finance"]
    )
    assert gtd.exit_code == 0, gtd.output
    assert (cftf.load_events(out)["category"] == "finance").all()


def test_cli_refuses_to_overwrite_its_input(tmp_path):
    source = tmp_path / "acled.csv"
    source.write_bytes(ACLED.read_bytes())
    result = runner.invoke(
        app, ["import", "acled", str(source), "--out", str(tmp_path / "." / "acled.csv")]
    )
    assert result.exit_code == 1
    assert "is the input file" in result.output
    assert source.read_bytes() == ACLED.read_bytes()


def test_cli_errors_are_one_line_and_debug_shows_the_traceback(tmp_path):
    bad = edited(tmp_path, ACLED, 3, "time_precision", "7")
    out = tmp_path / "events.csv"
    result = runner.invoke(app, ["import", "acled", str(bad), "--out", str(out)])
    assert result.exit_code == 1 and not out.exists()
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "row 3, column 'time_precision'" in lines[0]
    debug = runner.invoke(app, ["import", "acled", str(bad), "--out", str(out), "--debug"])
    assert isinstance(debug.exception, DataValidationError)
    wrong = runner.invoke(app, ["import", "icews", str(ACLED), "--out", str(out)])
    assert wrong.exit_code == 1 and "dataset='icews' is not allowed" in wrong.output
    mixed = runner.invoke(
        app, ["import", "acled", str(ACLED), "--out", str(out), "--category", "finance"]
    )
    assert mixed.exit_code == 1 and "--category applies to ucdp and gtd" in mixed.output
    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")
    unwritable = runner.invoke(
        app, ["import", "acled", str(ACLED), "--out", str(blocked / "x.csv")]
    )
    assert unwritable.exit_code == 1 and "cannot write" in unwritable.output
