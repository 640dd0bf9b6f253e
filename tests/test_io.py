"""Reading raw tables: encodings, CSV structure, duplicate headers, Excel sheets and dates,
control characters; writing CSV outputs that a spreadsheet cannot execute."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cftf_analysis as cftf
from cftf_analysis import config
from cftf_analysis._io import neutralise_formulas, read_raw, write_csv, write_parquet
from cftf_analysis.errors import ArgumentError, DataValidationError


def raw(name: str = "events.csv") -> pd.DataFrame:
    return pd.read_csv(config.RAW_DIR / name, dtype=str, keep_default_na=False)


def events_bytes() -> bytes:
    return (config.RAW_DIR / "events.csv").read_bytes()


# --- encodings --------------------------------------------------------------------------------


def test_utf8_with_bom_is_read(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + events_bytes())
    pd.testing.assert_frame_equal(cftf.load_events(path), cftf.load_events())


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_are_named_and_readable_with_encoding(tmp_path, codec):
    path = tmp_path / "wide.csv"
    path.write_bytes(events_bytes().decode("utf-8").encode(codec))
    with pytest.raises(DataValidationError, match=r"wide.csv.*UTF-(16|32).*encoding=") as info:
        cftf.load_events(path)
    assert "\\x00" not in str(info.value) and "\x00" not in str(info.value)
    pd.testing.assert_frame_equal(cftf.load_events(path, encoding=codec), cftf.load_events())


def test_cp1252_is_named_with_its_line_and_readable_with_encoding(tmp_path):
    frame = raw()
    frame.loc[4, "note"] = "café “quoted”"
    path = tmp_path / "legacy.csv"
    frame.to_csv(path, index=False, encoding="cp1252")
    with pytest.raises(DataValidationError, match=r"legacy.csv.*not UTF-8.*line 6.*cp1252"):
        cftf.load_events(path)
    events = cftf.load_events(path, encoding="cp1252")
    assert events.loc[4, "note"] == "café “quoted”"


def test_a_legacy_encoding_given_for_a_utf8_file_is_refused(tmp_path):
    frame = raw()
    frame.loc[4, "note"] = "café"
    path = tmp_path / "utf8.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError, match=r"valid UTF-8.*encoding='latin-1'"):
        cftf.load_events(path, encoding="latin-1")


def test_unknown_encoding_and_misplaced_options_are_argument_errors(tmp_path):
    with pytest.raises(ArgumentError, match="encoding='klingon'"):
        cftf.load_events(config.EVENTS_FILE, encoding="klingon")
    with pytest.raises(ArgumentError, match="sheet="):
        cftf.load_events(config.EVENTS_FILE, sheet="events")
    parquet = tmp_path / "e.parquet"
    raw().to_parquet(parquet)
    with pytest.raises(ArgumentError, match="encoding="):
        cftf.load_events(parquet, encoding="utf-16")


# --- CSV structure ----------------------------------------------------------------------------


def test_ragged_row_names_its_line(tmp_path):
    lines = events_bytes().decode().splitlines()
    lines[5] += ",extra"
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataValidationError, match=r"ragged.csv.*line 6.*9 fields.*header has 8"):
        cftf.load_events(path)


def test_unbalanced_quote_names_the_line_where_it_opens(tmp_path):
    lines = events_bytes().decode().splitlines()
    lines[3] = lines[3].replace(",", ',"', 1)
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataValidationError, match=r"quote.csv.*line 4.*quote"):
        cftf.load_events(path)


def test_a_ten_megabyte_cell_is_read(tmp_path):
    frame = raw()
    big = "x" * (10 * 2**20)
    frame.loc[2, "note"] = big
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    assert cftf.load_events(path).loc[2, "note"] == big


def test_quoted_newlines_and_blank_lines_are_kept_apart(tmp_path):
    frame = raw()
    frame.loc[1, "note"] = "first line\nsecond line"
    path = tmp_path / "multi.csv"
    frame.to_csv(path, index=False)
    events = cftf.load_events(path)
    assert events.loc[1, "note"] == "first line\nsecond line"
    assert len(events) == len(frame)


# --- duplicate headers, every format ----------------------------------------------------------


def _with_extra_column(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    out = frame.copy()
    out.insert(len(out.columns), "__extra__", out["category"])
    return out.rename(columns={"__extra__": name})


def _write(frame: pd.DataFrame, tmp_path, fmt: str):
    path = tmp_path / f"dup.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "parquet":
        table = pa.table(
            [pa.array(frame.iloc[:, i].tolist()) for i in range(frame.shape[1])],
            names=list(frame.columns),
        )
        pq.write_table(table, path)
    else:
        frame.to_excel(path, index=False)
    return path


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
@pytest.mark.parametrize("second", ["category", " category ", "Category"])
def test_duplicate_headers_name_both(tmp_path, fmt, second):
    path = _write(_with_extra_column(raw(), second), tmp_path, fmt)
    with pytest.raises(DataValidationError, match=r"dup\.\w+.*duplicate") as info:
        cftf.load_events(path)
    message = str(info.value)
    assert "'category'" in message and f"'{second}'" in message


def test_duplicate_headers_in_a_frame():
    frame = _with_extra_column(raw(), "CATEGORY")
    with pytest.raises(DataValidationError, match=r"'category'.*'CATEGORY'"):
        cftf.load_events(frame)


def test_a_column_differing_from_a_known_one_by_case_is_not_ignored(tmp_path):
    frame = raw().rename(columns={"note": "Note"})
    with pytest.raises(DataValidationError, match=r"'Note'.*misspelling of 'note'"):
        cftf.load_events(frame)


def test_a_column_with_values_but_no_header_is_an_error():
    frame = raw()
    frame[""] = "stray"
    with pytest.raises(DataValidationError, match=r"no header"):
        cftf.load_events(frame)


# --- Excel ------------------------------------------------------------------------------------


def _book(path, sheets: dict[str, list[list[object]]]):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _rows(frame: pd.DataFrame) -> list[list[object]]:
    return [list(frame.columns), *frame.to_numpy().tolist()]


def test_rows_continued_on_a_second_sheet_need_a_sheet_name(tmp_path):
    frame = raw()
    path = _book(
        tmp_path / "two.xlsx",
        {"part 1": _rows(frame.head(30)), "part 2": _rows(frame.iloc[30:])},
    )
    with pytest.raises(DataValidationError, match=r"two.xlsx.*2 sheets.*'part 1', 'part 2'"):
        cftf.load_events(path)
    assert len(cftf.load_events(path, sheet="part 2")) == len(frame) - 30
    with pytest.raises(ArgumentError, match=r"sheet='part 3'.*'part 1', 'part 2'"):
        cftf.load_events(path, sheet="part 3")


def test_data_on_the_second_sheet_only_is_found(tmp_path):
    path = _book(tmp_path / "second.xlsx", {"notes": [], "data": _rows(raw())})
    pd.testing.assert_frame_equal(cftf.load_events(path), cftf.load_events())


def test_real_excel_date_cells_are_days(tmp_path):
    frame = raw().head(10).astype(object)
    frame["date"] = [dt.datetime(2014, 1, 14 + i) for i in range(10)]
    path = _book(tmp_path / "dates.xlsx", {"events": _rows(frame)})
    events = cftf.load_events(path)
    assert events["date_text"].tolist()[:2] == ["2014-01-14", "2014-01-15"]
    assert (events["date_precision"] == "day").all()


def test_an_excel_date_with_a_time_of_day_is_not_truncated(tmp_path):
    frame = raw().head(3).astype(object)
    frame["date"] = [dt.datetime(2014, 1, 14, 10, 30), dt.date(2014, 1, 15), "2014-01"]
    path = _book(tmp_path / "times.xlsx", {"events": _rows(frame)})
    with pytest.raises(DataValidationError, match=r"row 1, column 'date'.*2014-01-14 10:30"):
        cftf.load_events(path)


def test_excel_numbers_keep_every_digit(tmp_path):
    frame = raw("indicators.csv").head(5).astype(object)
    frame["value"] = [80, 80.0, 2.5, 1e6, 12345678.12345679]
    path = _book(tmp_path / "numbers.xlsx", {"indicators": _rows(frame)})
    loaded = cftf.load_indicators(path, derive_levels=False)
    assert loaded["value_as_given"].tolist() == ["80", "80", "2.5", "1000000", "12345678.12345679"]


def test_corrupt_workbook_is_a_data_error(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip file")
    with pytest.raises(DataValidationError, match=r"broken.xlsx.*cannot read"):
        cftf.load_events(path)


# --- Parquet ----------------------------------------------------------------------------------


def test_parquet_timestamps_with_a_time_of_day_are_not_truncated(tmp_path):
    frame = raw().head(3)
    frame["date"] = pd.to_datetime(
        ["2014-01-14 10:30", "2014-01-15", "2014-01-16"], format="mixed"
    )
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    with pytest.raises(DataValidationError, match=r"row 1, column 'date'.*10:30"):
        cftf.load_events(path)


@pytest.mark.parametrize("content", [b"", b"PAR1", b"PAR1\x00\x00garbage"])
def test_corrupt_parquet_is_a_data_error(tmp_path, content):
    path = tmp_path / "bad.parquet"
    path.write_bytes(content)
    with pytest.raises(DataValidationError, match=r"bad.parquet"):
        cftf.load_events(path)


# --- control characters -----------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x85", "\x1f"])
def test_control_characters_are_rejected_with_row_and_column(tmp_path, char):
    frame = raw()
    frame.loc[6, "event"] = "Mosul" + char + "falls"
    path = tmp_path / "ctrl.csv"
    path.write_bytes(frame.to_csv(index=False).encode("utf-8"))
    with pytest.raises(DataValidationError, match=r"row 7, column 'event'.*control character"):
        cftf.load_events(path)


def test_tabs_and_newlines_inside_text_are_allowed():
    frame = raw()
    frame.loc[6, "note"] = "a\tb\r\nc"
    assert cftf.load_events(frame).loc[6, "note"] == "a\tb\r\nc"


def test_read_raw_collects_header_and_cell_problems_together():
    frame = _with_extra_column(raw(), "Category")
    frame.loc[2, "event"] = "x\x00"
    table, problems = read_raw(frame)
    listed = problems.to_frame()
    assert listed["row"].isna().sum() == 1
    assert listed.dropna(subset=["row"])[["row", "column"]].values.tolist() == [[3, "event"]]
    assert list(table.columns) == list(raw().columns)


# --- CSV outputs a spreadsheet cannot execute --------------------------------------------------


def test_text_cells_that_start_a_formula_are_neutralised(tmp_path):
    frame = pd.DataFrame(
        {
            "text": ['=HYPERLINK("x")', "+1", "-30", "@SUM(A1)", "\t=1", "\r+1", "plain", None],
            "number": [-30.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, np.nan],
            "count": pd.array([-1, 2, 3, 4, 5, 6, 7, None], dtype="Int64"),
        }
    )
    path = write_csv(frame, tmp_path / "out.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert back["text"].tolist() == [
        '\'=HYPERLINK("x")',
        "'+1",
        "'-30",
        "'@SUM(A1)",
        "'\t=1",
        "'\r+1",
        "plain",
        "",
    ]
    assert back["number"].tolist()[0] == "-30.0"
    assert back["count"].tolist()[0] == "-1"
    parquet = write_parquet(frame, tmp_path / "out.parquet")
    assert pd.read_parquet(parquet)["text"].tolist()[:3] == ['=HYPERLINK("x")', "+1", "-30"]


def test_neutralise_formulas_leaves_the_input_frame_alone():
    frame = pd.DataFrame({"a": ["=1", "b"], "c": pd.Categorical(["-x", "y"])})
    out = neutralise_formulas(frame)
    assert frame["a"].tolist() == ["=1", "b"]
    assert out["a"].tolist() == ["'=1", "b"]
    assert out["c"].astype(str).tolist() == ["'-x", "y"]


def test_a_misspelt_optional_column_is_not_ignored():
    frame = raw().rename(columns={"note": "notes"})
    with pytest.raises(DataValidationError, match=r"'notes'.*misspelling of 'note'"):
        cftf.load_events(frame)
    frame = raw().rename(columns={"category": "categroy"})
    with pytest.raises(DataValidationError, match=r"'category'.*missing.*found 'categroy'"):
        cftf.load_events(frame)


def test_a_formula_without_a_saved_value_is_not_read_as_empty(tmp_path):
    frame = raw().head(5).astype(object)
    frame.loc[2, "note"] = '=CONCATENATE("a", "b")'  # openpyxl saves no value for it
    frame.loc[4, "scope"] = "=A1"
    path = _book(tmp_path / "formula.xlsx", {"events": _rows(frame)})
    from cftf_analysis.validate import validate_file

    listed = validate_file(path)
    assert listed[["row", "column"]].values.tolist() == [[3, "note"], [5, "scope"]]
    assert listed["problem"].str.contains("no saved value").all()
