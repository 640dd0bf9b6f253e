"""A battery read back from a report's files: the same tables, so the same figures."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import cftf_analysis as cftf
from cftf_analysis.figures.catalog import FIGURES, make_figure
from tests.conftest import REPORT_DRAWS
from tests.figures.conftest import BATTERY_DRAWS


@pytest.fixture(scope="module")
def loaded(report_root):
    return cftf.load_results(report_root)


def test_the_report_and_the_battery_fixture_ran_the_same_battery():
    assert REPORT_DRAWS == BATTERY_DRAWS


def test_load_results_gives_back_every_table_of_the_battery(battery, loaded):
    pd.testing.assert_frame_equal(loaded.panel, battery.panel)
    pd.testing.assert_frame_equal(loaded.summary, battery.summary)
    pd.testing.assert_frame_equal(loaded.latent_observations, battery.latent_observations)
    for name in ("reports", "indicators", "events"):
        pd.testing.assert_frame_equal(
            getattr(loaded, name), getattr(battery, name).reset_index(drop=True)
        )
    assert list(loaded.results) == list(battery.results)
    for name, result in battery.results.items():
        back = loaded[name]
        pd.testing.assert_frame_equal(back.table, result.table, check_index_type=False)
        assert list(back.tables) == list(result.tables)
        for table, frame in result.tables.items():
            pd.testing.assert_frame_equal(back.tables[table], frame)
        # the rows come from results.parquet, whose integer columns are nullable
        pd.testing.assert_frame_equal(back.rows, result.rows, check_dtype=False)
        assert back.errors == result.errors and back.models == {}
    assert loaded.finding_steps == battery.finding_steps
    assert len(loaded.finding_steps) == len(loaded.summary)
    assert loaded.options == battery.options and loaded.series == battery.series
    assert loaded.errors == battery.errors and loaded.draws is None and loaded.context is None
    assert set(loaded.steps) == set(battery.steps)


def test_load_results_gives_back_the_case_without_its_tables(battery, loaded):
    tables = {"reports": None, "indicators": None, "events": None, "path": None, "inputs": {}}
    assert loaded.case == dataclasses.replace(battery.case, **tables)


def test_load_results_takes_the_root_or_the_processed_folder(report_root, loaded):
    again = cftf.load_results(report_root / "data" / "processed")
    pd.testing.assert_frame_equal(again.summary, loaded.summary)


@pytest.mark.parametrize("name", list(FIGURES))
def test_each_figure_from_the_files_has_the_caption_of_the_battery(battery, loaded, name):
    assert make_figure(name, loaded)[1] == make_figure(name, battery)[1]
