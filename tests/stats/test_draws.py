"""Joint draws of report counts and indicator paths: exact placement, closed forms, simulation.

Every statistical expectation below is computed independently of
:mod:`cftf_analysis.stats.draws`: day counts from :mod:`calendar`, interpolation
with :func:`numpy.interp`, the latent posterior from
:func:`~cftf_analysis.stats.latent.latent_from_observations` refitted in the
test, and the variance of the null paths from the trend model's closed form.
Monte Carlo tolerances are Z standard errors, with Z = 4.5 (a false alarm per
comparison of about 1 in 150,000).
"""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cftf_analysis as cftf
from cftf_analysis import ArgumentError
from cftf_analysis.observations import indicator_observations
from cftf_analysis.panel import monthly_panel
from cftf_analysis.stats.draws import (
    JointDraws,
    NullPaths,
    draw_counts,
    joint_draws,
    leave_one_out_paths,
    null_model,
    series_seed,
    with_drawn_series,
)
from cftf_analysis.stats.latent import latent_from_observations, latent_indicator

Z = 4.5
IHS = "IHS Conflict Monitor"
GRID = pd.date_range("2014-01-01", "2018-12-01", freq="MS")
N_DRAWS = 2000
SEED = 7
READING = ("log_value", "log_sd")
#: Draws of the interpolation models (each is one pandas interpolation: slower per draw).
INTERP_DRAWS = 600


# --- synthetic inputs ---------------------------------------------------------------------------


def report_table(spans: list[tuple[str | None, str | None]]) -> pd.DataFrame:
    """Reports dated by (first day, last day) on the published basis; None for no date."""
    start = pd.to_datetime([s for s, _ in spans])
    end = pd.to_datetime([e for _, e in spans])
    return pd.DataFrame(
        {
            "report_id": [f"R{i:03d}" for i in range(len(spans))],
            "published_start": start,
            "published_end": end,
            "defection_start": pd.NaT,
            "defection_end": pd.NaT,
        }
    )


#: A series with every kind of figure: points, ranges without a value, a value with
#: a range, and a derived level. (id, first day, last day, value, low, high, derived)
SYNTH_ROWS = [
    ("S1", "2015-01-01", "2015-01-31", 100.0, np.nan, np.nan, False),
    ("S2", "2015-04-01", "2015-04-30", np.nan, 80.0, 120.0, False),
    ("S3", "2015-08-01", "2015-08-31", 90.0, 70.0, 110.0, False),
    ("S4", "2015-12-01", "2015-12-31", 60.0, np.nan, np.nan, False),
    ("S5", "2016-03-01", "2016-03-31", np.nan, 40.0, 55.0, False),
    ("S6~level", "2016-06-01", "2016-06-30", 50.0, np.nan, np.nan, True),
]
#: Too few figures for the latent model (it needs three two-sided ones).
SHORT_ROWS = [
    ("T1", "2015-02-01", "2015-02-28", 10.0, np.nan, np.nan, False),
    ("T2", "2015-09-01", "2015-09-30", 8.0, np.nan, np.nan, False),
]


def indicator_table(**series: list[tuple]) -> pd.DataFrame:
    """Level rows of the producer "P" (scope total), one indicator per keyword."""
    records = []
    for indicator, rows in series.items():
        for i, (rid, first, last, value, low, high, derived) in enumerate(rows):
            records.append(
                {
                    "indicator_id": rid,
                    "indicator": indicator,
                    "scope": "total",
                    "measure": "level",
                    "value": value,
                    "low": low,
                    "high": high,
                    "unit": "usd",
                    "qualifier": "",
                    "period_start": pd.Timestamp(first),
                    "period_end": pd.Timestamp(last),
                    "published": pd.Timestamp("2018-01-01") + pd.Timedelta(days=i),
                    "source_org": "P",
                    "producer": "P",
                    "derived": derived,
                    "derived_from": None,
                }
            )
    return pd.DataFrame(records)


def spec(indicator: str, producer: str = "P") -> dict[str, str]:
    return {"indicator": indicator, "scope": "total", "producer": producer}


def month_of(day: str) -> pd.Timestamp:
    return pd.Timestamp(day).to_period("M").to_timestamp()


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def case():
    return cftf.load_case()


@pytest.fixture(scope="module")
def latent_jd(case) -> JointDraws:
    return joint_draws(
        case.reports, case.indicators, case.series, GRID, n_draws=N_DRAWS, seed=SEED
    )


@pytest.fixture(scope="module")
def synth_indicators() -> pd.DataFrame:
    return indicator_table(synthetic=SYNTH_ROWS, short=SHORT_ROWS)


@pytest.fixture(scope="module")
def case_observations(case) -> dict[str, pd.DataFrame]:
    """The observations of each bundled series, as the latent model uses them."""
    out = {}
    for name, s in case.series.items():
        obs = indicator_observations(case.indicators, s["indicator"], producer=s["producer"])
        special = obs["qualifier"].isin(["peak", "claimed", "projected"])
        out[name] = obs[~special.to_numpy()].reset_index(drop=True)
    return out


# --- draw_counts --------------------------------------------------------------------------------


def test_counts_conserve_the_dated_reports_inside_the_grid(case) -> None:
    reports = case.reports
    dated = reports["published_start"].notna() & reports["published_end"].notna()
    counts = draw_counts(reports, GRID, 200, np.random.default_rng(1))
    assert counts.shape == (200, len(GRID))
    assert np.issubdtype(counts.dtype, np.integer)
    assert (counts >= 0).all()
    assert (counts.sum(axis=1) == int(dated.sum())).all()


def test_a_cut_grid_counts_the_reports_inside_it_and_some_of_those_across_its_edge(case) -> None:
    reports = case.reports
    grid = pd.date_range("2015-06-01", "2016-12-01", freq="MS")
    first, last = grid[0], grid[-1] + pd.offsets.MonthEnd(0)
    start, end = reports["published_start"], reports["published_end"]
    inside = int(((start >= first) & (end <= last)).sum())
    touching = int(((end >= first) & (start <= last)).sum())
    assert touching > inside, "the bundled reports should have spans across the grid's edges"
    totals = draw_counts(reports, grid, 500, np.random.default_rng(2)).sum(axis=1)
    assert totals.min() >= inside and totals.max() <= touching
    assert totals.max() > inside, "a report straddling the edge never fell inside"


def test_a_report_dated_to_the_day_is_always_counted_in_its_month(case) -> None:
    reports = case.reports
    exact = reports[reports["published_start"] == reports["published_end"]]
    assert len(exact) > 50
    expected = (
        exact["published_start"]
        .dt.to_period("M")
        .dt.to_timestamp()
        .value_counts()
        .reindex(GRID, fill_value=0)
        .to_numpy()
    )
    counts = draw_counts(exact, GRID, 50, np.random.default_rng(3))
    np.testing.assert_array_equal(counts, np.broadcast_to(expected, counts.shape))


def test_first_and_last_days_of_a_month_stay_in_that_month() -> None:
    reports = report_table(
        [("2016-02-29", "2016-02-29"), ("2016-03-01", "2016-03-01"), ("2015-12-31", "2015-12-31")]
    )
    counts = draw_counts(reports, GRID, 3, np.random.default_rng(4))
    expected = np.zeros(len(GRID), dtype=int)
    for day in ("2016-02-29", "2016-03-01", "2015-12-31"):
        expected[GRID.get_loc(month_of(day))] += 1
    np.testing.assert_array_equal(counts, np.broadcast_to(expected, counts.shape))


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2016-01-01", "2016-03-31"),  # a quarter with a leap February: 31, 29, 31 days
        ("2015-12-15", "2016-01-14"),  # 17 days in December, 14 in January
        ("2014-11-01", "2015-10-31"),  # a year of months of 28 to 31 days
    ],
)
def test_a_report_dated_by_a_span_falls_in_each_month_by_its_share_of_days(first, last) -> None:
    n_draws = 40_000
    counts = draw_counts(report_table([(first, last)]), GRID, n_draws, np.random.default_rng(5))
    assert (counts.sum(axis=1) == 1).all()
    months = pd.date_range(month_of(first), month_of(last), freq="MS")
    lo, hi = pd.Timestamp(first), pd.Timestamp(last)
    days = np.array(
        [
            (min(hi, m + pd.offsets.MonthEnd(0)) - max(lo, m) + pd.Timedelta(days=1)).days
            for m in months
        ]
    )
    # the day counts agree with the calendar where whole months are covered
    for m, d in zip(months, days, strict=True):
        if m >= lo and m + pd.offsets.MonthEnd(0) <= hi:
            assert d == calendar.monthrange(m.year, m.month)[1]
    share = days / days.sum()
    freq = counts[:, GRID.get_indexer(months)].mean(axis=0)
    tol = Z * np.sqrt(share * (1 - share) / n_draws)
    for m, f, p, t in zip(months, freq, share, tol, strict=True):
        assert abs(f - p) <= t, f"{m:%Y-%m}: frequency {f:.4f}, expected {p:.4f} +/- {t:.4f}"
    assert counts[:, ~GRID.isin(months)].sum() == 0


def test_day_shares_not_equal_month_shares_for_a_quarter_with_february() -> None:
    # 29/91 = 0.3187 for February 2016 against 1/3: 6 standard errors apart at this size,
    # so the test above would notice months counted equally instead of by days.
    n_draws = 40_000
    counts = draw_counts(
        report_table([("2016-01-01", "2016-03-31")]), GRID, n_draws, np.random.default_rng(6)
    )
    feb = counts[:, GRID.get_loc(pd.Timestamp("2016-02-01"))].mean()
    se = np.sqrt((1 / 3) * (2 / 3) / n_draws)
    assert (1 / 3 - feb) > 3 * se, f"February share {feb:.4f} is not below 1/3"


def test_reports_without_a_date_or_outside_the_grid_are_not_counted() -> None:
    reports = report_table(
        [
            ("2015-03-10", "2015-03-10"),
            (None, None),
            ("2013-05-01", "2013-05-31"),
            ("2019-02-01", "2019-02-01"),
        ]
    )
    counts = draw_counts(reports, GRID, 20, np.random.default_rng(7))
    assert (counts.sum(axis=1) == 1).all()
    assert (counts[:, GRID.get_loc(pd.Timestamp("2015-03-01"))] == 1).all()


def test_a_report_across_the_grid_start_is_counted_with_the_share_of_its_days_inside() -> None:
    # 2013-12-01 .. 2014-01-31: 31 of 62 days fall in the grid
    n_draws = 20_000
    counts = draw_counts(
        report_table([("2013-12-01", "2014-01-31")]), GRID, n_draws, np.random.default_rng(8)
    )
    inside = counts.sum(axis=1).mean()
    tol = Z * np.sqrt(0.25 / n_draws)
    assert abs(inside - 0.5) <= tol, (
        f"counted in {inside:.4f} of draws, expected 0.5 +/- {tol:.4f}"
    )


def test_counts_on_the_defection_basis_use_the_defection_dates(case) -> None:
    reports = case.reports
    known = reports["defection_start"].notna() & reports["defection_end"].notna()
    assert 0 < known.sum() < len(reports)
    grid = pd.date_range("2010-01-01", "2019-12-01", freq="MS")
    assert reports.loc[known, "defection_start"].min() >= grid[0]
    counts = draw_counts(reports, grid, 30, np.random.default_rng(9), date="defection")
    assert (counts.sum(axis=1) == int(known.sum())).all()
    exact = known & (reports["defection_start"] == reports["defection_end"])
    months = reports.loc[exact, "defection_start"].dt.to_period("M").dt.to_timestamp()
    floor = months.value_counts().reindex(grid, fill_value=0).to_numpy()
    assert (counts >= floor).all()


def test_counts_are_reproducible_by_seed(case) -> None:
    a = draw_counts(case.reports, GRID, 40, np.random.default_rng(11))
    b = draw_counts(case.reports, GRID, 40, np.random.default_rng(11))
    c = draw_counts(case.reports, GRID, 40, np.random.default_rng(12))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert len({row.tobytes() for row in a}) > 1, "every draw is the same"


def test_series_seed_is_fixed_by_seed_and_name() -> None:
    assert series_seed(3, "territory") == series_seed(3, "territory")
    assert series_seed(3, "territory") != series_seed(4, "territory")
    assert series_seed(3, "territory") != series_seed(3, "revenue_total")
    assert 0 <= series_seed(2**40, "x") < 2**32


# --- joint_draws: latent (bundled case) ---------------------------------------------------------


def test_joint_draws_shapes(latent_jd, case) -> None:
    assert latent_jd.model == "latent"
    assert latent_jd.n_draws == N_DRAWS
    assert latent_jd.failed == {}
    assert list(latent_jd.months) == list(GRID)
    assert latent_jd.counts.shape == (N_DRAWS, len(GRID))
    assert set(latent_jd.series) == set(case.series)
    for sd in latent_jd.series.values():
        assert sd.paths.shape == (N_DRAWS, len(GRID))
        for arr in (sd.center, sd.low, sd.high, sd.observed, sd.derived):
            assert arr.shape == (len(GRID),)
        assert sd.observed.dtype == bool and sd.derived.dtype == bool


def test_joint_counts_are_whole_and_conserve_the_reports(latent_jd, case) -> None:
    assert np.issubdtype(latent_jd.counts.dtype, np.integer)
    assert (latent_jd.counts.sum(axis=1) == len(case.reports)).all()


def test_latent_paths_are_missing_outside_the_observed_span(latent_jd, case_observations) -> None:
    for name, sd in latent_jd.series.items():
        obs = case_observations[name]
        span = (GRID >= obs["month_start"].min()) & (GRID <= obs["month_end"].max())
        np.testing.assert_array_equal(sd.defined, span, err_msg=name)
        assert np.isnan(sd.paths[:, ~span]).all(), f"{name}: extrapolated paths"
        for arr in (sd.center, sd.low, sd.high):
            assert np.isnan(arr[~span]).all()
        assert np.isfinite(sd.paths[:, span]).all() and (sd.paths[:, span] > 0).all()
        assert not sd.observed[~span].any() and not sd.derived[~span].any()


def test_latent_band_is_ordered(latent_jd) -> None:
    for name, sd in latent_jd.series.items():
        d = sd.defined
        assert (sd.low[d] < sd.center[d]).all() and (sd.center[d] < sd.high[d]).all(), name


def test_latent_observed_and_derived_months(latent_jd, case_observations) -> None:
    for name, sd in latent_jd.series.items():
        obs = case_observations[name]
        observed = np.zeros(len(GRID), dtype=bool)
        derived = np.zeros(len(GRID), dtype=bool)
        for _, row in obs.iterrows():
            months = (GRID >= row["month_start"]) & (GRID <= row["month_end"])
            observed |= months
            if row["derived"]:
                derived |= months
        np.testing.assert_array_equal(sd.observed, observed, err_msg=name)
        np.testing.assert_array_equal(sd.derived, derived, err_msg=name)
    # the bundled revenue has one derived observation (the bound I005~level)
    assert latent_jd.series["revenue_total"].derived.sum() == 1


def test_latent_summary_is_the_fit_of_the_series(latent_jd, case) -> None:
    for name, s in case.series.items():
        fit = latent_indicator(case.indicators, s["indicator"], producer=s["producer"])
        sd = latent_jd.series[name]
        pos = GRID.get_indexer(fit.months)
        assert (pos >= 0).all()
        np.testing.assert_allclose(sd.center[pos], fit.monthly["median"], rtol=1e-12)
        np.testing.assert_allclose(sd.low[pos], fit.monthly["ci_low"], rtol=1e-12)
        np.testing.assert_allclose(sd.high[pos], fit.monthly["ci_high"], rtol=1e-12)


def test_latent_paths_match_their_band(latent_jd) -> None:
    """Medians and 90% coverage of the drawn paths agree with the posterior summary."""
    for name, sd in latent_jd.series.items():
        d = sd.defined
        paths = sd.paths[:, d]
        inside = ((paths >= sd.low[d]) & (paths <= sd.high[d])).mean(axis=0)
        # binomial SE of the drawn share, plus that of the band itself where it comes
        # from the fit's 10,000 fixed-seed draws (a model with a bound)
        tol = Z * np.sqrt(0.9 * 0.1 * (1 / N_DRAWS + 1 / 10_000))
        assert np.abs(inside - 0.9).max() <= tol, f"{name}: coverage {inside.round(3)}"
        below = (paths <= sd.center[d]).mean(axis=0)
        tol = Z * np.sqrt(0.25 * (1 / N_DRAWS + 1 / 10_000))
        assert np.abs(below - 0.5).max() <= tol, f"{name}: share below median {below.round(3)}"


def test_latent_paths_respect_the_hard_bound(latent_jd, case_observations) -> None:
    obs = case_observations["revenue_total"]
    bounds = obs[obs["bound"] == "upper"]
    assert len(bounds) == 1
    sd = latent_jd.series["revenue_total"]
    for _, row in bounds.iterrows():
        months = (GRID >= row["month_start"]) & (GRID <= row["month_end"])
        average = np.exp(np.log(sd.paths[:, months]).mean(axis=1))
        assert (average <= row["value"] * (1 + 1e-9)).all()


def test_joint_draws_are_reproducible_and_each_series_has_its_own_seed(case, latent_jd) -> None:
    again = joint_draws(
        case.reports, case.indicators, case.series, GRID, n_draws=N_DRAWS, seed=SEED
    )
    np.testing.assert_array_equal(again.counts, latent_jd.counts)
    for name in case.series:
        np.testing.assert_array_equal(again.series[name].paths, latent_jd.series[name].paths)
    alone = joint_draws(
        case.reports,
        case.indicators,
        {"territory": case.series["territory"]},
        GRID,
        n_draws=N_DRAWS,
        seed=SEED,
    )
    np.testing.assert_array_equal(
        alone.series["territory"].paths, latent_jd.series["territory"].paths
    )
    other = joint_draws(
        case.reports,
        case.indicators,
        {"territory": case.series["territory"]},
        GRID,
        n_draws=50,
        seed=SEED + 1,
    )
    assert not np.array_equal(other.counts, latent_jd.counts[:50])
    assert not np.array_equal(
        other.series["territory"].paths, latent_jd.series["territory"].paths[:50]
    )


def test_joint_draws_check_their_arguments(case) -> None:
    with pytest.raises(ArgumentError):
        joint_draws(
            case.reports, case.indicators, case.series, GRID, n_draws=5, seed=1, model="spline"
        )
    with pytest.raises(ArgumentError):
        joint_draws(case.reports, case.indicators, case.series, GRID, n_draws=0, seed=1)


def test_latent_options_reach_the_model(case) -> None:
    tight = joint_draws(
        case.reports,
        case.indicators,
        {"territory": case.series["territory"]},
        GRID,
        n_draws=10,
        seed=1,
        latent_options={"trend": "local_level"},
    )
    fit = tight.series["territory"].latent
    assert fit.trend == "local_level"


# --- joint_draws: too few observations -------------------------------------------------------


@pytest.mark.parametrize("model", ["latent", "linear"])
def test_a_series_that_cannot_be_drawn_is_listed_in_failed(case, synth_indicators, model) -> None:
    series = {"synthetic": spec("synthetic"), "short": spec("short"), "none": spec("absent")}
    jd = joint_draws(case.reports, synth_indicators, series, GRID, n_draws=20, seed=1, model=model)
    assert "synthetic" in jd.series
    assert "none" in jd.failed and "no level rows" in jd.failed["none"]
    if model == "latent":
        assert set(jd.failed) == {"short", "none"}
        assert "at least 3" in jd.failed["short"]
    else:
        # two figures are enough to interpolate between
        assert set(jd.failed) == {"none"}
        assert jd.series["short"].defined.sum() == 8
    assert set(jd.series) | set(jd.failed) == set(series)


# --- joint_draws: interpolation ---------------------------------------------------------------


@pytest.fixture(scope="module", params=["linear", "step", "loglinear"])
def interp_jd(request, case, synth_indicators) -> JointDraws:
    return joint_draws(
        case.reports,
        synth_indicators,
        {"synthetic": spec("synthetic")},
        GRID,
        n_draws=INTERP_DRAWS,
        seed=SEED,
        model=request.param,
    )


def synth_points() -> pd.DataFrame:
    """The figures of SYNTH_ROWS by month (independently of the panel's code)."""
    frame = pd.DataFrame(
        SYNTH_ROWS, columns=["id", "first", "last", "value", "low", "high", "derived"]
    )
    frame["month"] = pd.to_datetime(frame["first"]).dt.to_period("M").dt.to_timestamp()
    return frame.set_index("month")


def test_interpolated_paths_pass_through_point_figures(interp_jd) -> None:
    sd = interp_jd.series["synthetic"]
    assert sd.latent is None
    points = synth_points()
    exact = points[points["low"].isna()]
    for month, row in exact.iterrows():
        col = sd.paths[:, GRID.get_loc(month)]
        np.testing.assert_allclose(col, row["value"], rtol=1e-12, err_msg=f"{month:%Y-%m}")


def test_ranged_figures_are_drawn_uniformly_within_their_range(interp_jd) -> None:
    sd = interp_jd.series["synthetic"]
    points = synth_points()
    for month, row in points[points["low"].notna()].iterrows():
        col = sd.paths[:, GRID.get_loc(month)]
        assert (col >= row["low"]).all() and (col <= row["high"]).all()
        ks = stats.kstest(col, stats.uniform(loc=row["low"], scale=row["high"] - row["low"]).cdf)
        assert ks.pvalue > 1e-4, f"{month:%Y-%m}: not uniform on the range (KS p {ks.pvalue:.2g})"
    # two ranges drawn independently of each other
    a = sd.paths[:, GRID.get_loc(pd.Timestamp("2015-04-01"))]
    b = sd.paths[:, GRID.get_loc(pd.Timestamp("2016-03-01"))]
    r = np.corrcoef(a, b)[0, 1]
    assert abs(r) <= Z / np.sqrt(INTERP_DRAWS), f"correlation {r:.3f} between two ranges"


def test_interpolated_paths_join_the_drawn_figures(interp_jd) -> None:
    sd = interp_jd.series["synthetic"]
    how = interp_jd.model
    known = synth_points().index
    x_known = GRID.get_indexer(known)
    x_all = np.arange(x_known[0], x_known[-1] + 1)
    for d in range(0, INTERP_DRAWS, 37):
        y = sd.paths[d, x_known]
        if how == "linear":
            expected = np.interp(x_all, x_known, y)
        elif how == "loglinear":
            expected = np.exp(np.interp(x_all, x_known, np.log(y)))
        else:
            expected = y[np.searchsorted(x_known, x_all, side="right") - 1]
        np.testing.assert_allclose(sd.paths[d, x_all], expected, rtol=1e-12)


def test_interpolated_series_is_missing_outside_its_figures(interp_jd) -> None:
    sd = interp_jd.series["synthetic"]
    known = synth_points().index
    span = (GRID >= known.min()) & (GRID <= known.max())
    np.testing.assert_array_equal(sd.defined, span)
    assert np.isnan(sd.paths[:, ~span]).all()
    assert np.isfinite(sd.paths[:, span]).all()


def test_interpolated_center_band_and_flags(interp_jd) -> None:
    sd = interp_jd.series["synthetic"]
    points = synth_points()
    d = sd.defined
    assert (sd.low[d] <= sd.center[d]).all() and (sd.center[d] <= sd.high[d]).all()
    for month, row in points.iterrows():
        i = GRID.get_loc(month)
        estimate = row["value"] if pd.notna(row["value"]) else (row["low"] + row["high"]) / 2
        assert sd.center[i] == pytest.approx(estimate, rel=1e-12)
        assert sd.low[i] == pytest.approx(row["low"] if pd.notna(row["low"]) else estimate)
        assert sd.high[i] == pytest.approx(row["high"] if pd.notna(row["high"]) else estimate)
    np.testing.assert_array_equal(sd.observed, GRID.isin(points.index))
    np.testing.assert_array_equal(sd.derived, GRID.isin(points.index[points["derived"]]))


def test_interpolated_center_is_the_panel_column(case, interp_jd, synth_indicators) -> None:
    panel = monthly_panel(
        case.reports,
        synth_indicators,
        start=GRID[0],
        end=GRID[-1],
        interpolation=interp_jd.model,
        series={"synthetic": spec("synthetic")},
    )
    sd = interp_jd.series["synthetic"]
    np.testing.assert_allclose(sd.center, panel["synthetic"], rtol=1e-12)
    np.testing.assert_allclose(sd.low, panel["synthetic_low"], rtol=1e-12)
    np.testing.assert_allclose(sd.high, panel["synthetic_high"], rtol=1e-12)
    np.testing.assert_array_equal(sd.observed, panel["synthetic_observed"])


# --- with_drawn_series ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def case_panel(case) -> pd.DataFrame:
    return monthly_panel(
        case.reports, case.indicators, start=GRID[0], end=GRID[-1], series=case.series
    )


def test_with_drawn_series_replaces_the_series_columns(case_panel, latent_jd) -> None:
    before = case_panel.copy()
    out = with_drawn_series(case_panel, latent_jd)
    pd.testing.assert_frame_equal(case_panel, before)  # the input is left alone
    assert list(out.columns[: len(before.columns)]) == list(before.columns)
    for name, sd in latent_jd.series.items():
        np.testing.assert_array_equal(out[name].to_numpy(), sd.center)
        np.testing.assert_array_equal(out[f"{name}_low"].to_numpy(), sd.low)
        np.testing.assert_array_equal(out[f"{name}_high"].to_numpy(), sd.high)
        np.testing.assert_array_equal(out[f"{name}_observed"].to_numpy(), sd.observed)
        np.testing.assert_array_equal(out[f"{name}_derived"].to_numpy(), sd.derived)
    # the latent centre differs from the interpolated line it replaces
    assert not np.allclose(out["territory"], before["territory"], equal_nan=True)
    drawn = {
        f"{n}{s}" for n in latent_jd.series for s in ("", "_low", "_high", "_observed", "_derived")
    }
    for col in set(before.columns) - drawn:
        pd.testing.assert_series_equal(out[col], before[col], obj=col)


def test_with_drawn_series_puts_a_shorter_panel_on_the_draws_months(case_panel, latent_jd) -> None:
    short = case_panel.iloc[12:30].reset_index(drop=True)
    out = with_drawn_series(short, latent_jd)
    assert out["month"].tolist() == list(GRID)
    kept = out["month"].isin(short["month"]).to_numpy()
    np.testing.assert_array_equal(
        out.loc[kept, "n_reports"].to_numpy(), short["n_reports"].to_numpy()
    )
    assert out.loc[~kept, "n_reports"].isna().all()
    np.testing.assert_array_equal(
        out["territory"].to_numpy(), latent_jd.series["territory"].center
    )


# --- leave_one_out_paths: latent ----------------------------------------------------------------


@pytest.fixture(scope="module")
def latent_loo(latent_jd) -> dict[str, dict[str, np.ndarray]]:
    return {name: leave_one_out_paths(latent_jd, name, N_DRAWS, SEED) for name in latent_jd.series}


def test_latent_loo_has_one_entry_per_observation(latent_loo, case_observations) -> None:
    for name, loo in latent_loo.items():
        assert list(loo) == case_observations[name]["row_ids"].tolist()
        for paths in loo.values():
            assert paths.shape == (N_DRAWS, len(GRID))
    assert "I001+I002" in latent_loo["revenue_total"]


def test_latent_loo_is_the_refit_without_the_observation(
    latent_loo, latent_jd, case_observations
) -> None:
    """Each entry is distributed as the model refitted (here, independently) without it."""
    for name, loo in latent_loo.items():
        fit = latent_jd.series[name].latent
        obs = case_observations[name]
        pos = GRID.get_indexer(fit.months)
        outside = np.ones(len(GRID), dtype=bool)
        outside[pos] = False
        for row_ids, paths in loo.items():
            kept = obs[obs["row_ids"] != row_ids]
            assert len(kept) == len(obs) - 1
            refit = latent_from_observations(kept, start=fit.months[0], end=fit.months[-1])
            assert list(refit.months) == list(fit.months)
            logs = np.log(paths[:, pos])
            median = np.median(logs, axis=0)
            expected = np.log(refit.monthly["median"].to_numpy())
            # standard error of a median, 1.2533 sd / sqrt(n); the refit's own summary
            # comes from 10,000 fixed draws when the model has a bound
            se = 1.2533 * refit.monthly["log_sd"].to_numpy() * np.sqrt(1 / N_DRAWS + 1 / 10_000)
            worst = np.max(np.abs(median - expected) / se)
            assert worst <= Z, f"{name} without {row_ids}: median off by {worst:.1f} SE"
            assert np.isnan(paths[:, outside]).all()


def test_latent_loo_moves_the_path_where_the_observation_was(latent_loo, latent_jd) -> None:
    # territory fell from 60,400 km2 (end of 2016) to 36,200 (June 2017): without
    # the June figure the path there is a continuation of the earlier decline
    sd = latent_jd.series["territory"]
    june = GRID.get_loc(pd.Timestamp("2017-06-01"))
    without = np.median(latent_loo["territory"]["I091+I093~level"][:, june])
    assert sd.center[june] < 40_000 and without > 1.2 * sd.center[june]
    # while leaving out a figure far away hardly changes it
    early = np.median(latent_loo["territory"]["I079"][:, june])
    assert abs(np.log(early / sd.center[june])) < 0.1


def test_latent_loo_skips_observations_needed_by_the_model(case) -> None:
    rows = [
        ("U1", "2015-01-01", "2015-01-31", 100.0, np.nan, np.nan, False),
        ("U2", "2015-06-01", "2015-06-30", 80.0, np.nan, np.nan, False),
        ("U3", "2016-01-01", "2016-01-31", 60.0, np.nan, np.nan, False),
    ]
    bound = indicator_table(three=rows).assign(qualifier="")
    extra = indicator_table(
        three=[("U4", "2015-09-01", "2015-09-30", 90.0, np.nan, np.nan, False)]
    )
    extra["qualifier"] = "at_most"
    table = pd.concat([bound, extra], ignore_index=True)
    jd = joint_draws(case.reports, table, {"three": spec("three")}, GRID, n_draws=5, seed=1)
    assert jd.failed == {}
    loo = leave_one_out_paths(jd, "three", 5, 1)
    # removing any of the three figures leaves two: only the bound can go
    assert list(loo) == ["U4"]


# --- leave_one_out_paths: interpolation ---------------------------------------------------------


def test_interpolated_loo_drops_each_figure_and_reinterpolates(interp_jd) -> None:
    loo = leave_one_out_paths(interp_jd, "synthetic", 4, SEED)
    points = synth_points()
    assert list(loo) == points["id"].tolist()
    how = interp_jd.model
    for month, row in points.iterrows():
        paths = loo[row["id"]]
        assert paths.shape == (4, len(GRID))
        assert np.array_equal(paths[0], paths[-1], equal_nan=True)
        kept = points.drop(index=month)
        estimate = kept["value"].fillna((kept["low"] + kept["high"]) / 2)
        x_known = GRID.get_indexer(kept.index)
        x_all = np.arange(x_known[0], x_known[-1] + 1)
        if how == "linear":
            expected = np.interp(x_all, x_known, estimate)
        elif how == "loglinear":
            expected = np.exp(np.interp(x_all, x_known, np.log(estimate)))
        else:
            expected = estimate.to_numpy()[np.searchsorted(x_known, x_all, side="right") - 1]
        np.testing.assert_allclose(paths[0, x_all], expected, rtol=1e-12)
        outside = np.ones(len(GRID), dtype=bool)
        outside[x_all] = False
        assert np.isnan(paths[:, outside]).all(), f"without {row['id']}: extrapolated"


def test_interpolated_loo_needs_three_figures(case, synth_indicators) -> None:
    jd = joint_draws(
        case.reports, synth_indicators, {"short": spec("short")}, GRID, n_draws=5, seed=1,
        model="linear",
    )  # fmt: skip
    assert leave_one_out_paths(jd, "short", 5, 1) == {}


# --- null_model -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def territory_fit(case):
    return latent_indicator(case.indicators, "territory", producer=IHS)


@pytest.fixture(scope="module")
def territory_null(territory_fit) -> NullPaths:
    return null_model(territory_fit)


def moved_fit(fit, deltas: np.ndarray):
    """The fit refitted with each observation's figures multiplied by ``exp(delta)``."""
    obs = fit.observations.drop(columns=list(READING))
    for col in ("value", "low", "high"):
        obs[col] = obs[col] * np.exp(deltas)
    return latent_from_observations(
        obs, **{**fit.settings, "start": fit.months[0], "end": fit.months[-1]}
    )


def test_null_model_parts(territory_fit, territory_null) -> None:
    null = territory_null
    n_months, n_obs = len(territory_fit.months), len(territory_fit.observations)
    assert null.jacobian.shape == (n_months, n_obs)
    assert list(null.months) == list(territory_fit.months)
    np.testing.assert_allclose(null.log_mean, territory_fit.monthly["log_mean"], rtol=1e-12)
    np.testing.assert_allclose(
        null.log_values, np.log(territory_fit.observations["value"]), rtol=1e-12
    )
    assert null.trend_sd == pytest.approx(territory_fit.trend_sd)
    assert null.trend == "smooth" and null.producer_error == territory_fit.producer_error
    # closed forms: the first level and slope are diffuse, so moving every log figure
    # by 1 moves the path by 1, and tilting the figures along a line tilts the path
    obs = territory_fit.observations
    t_obs = np.array(
        [
            np.mean(np.flatnonzero((territory_fit.months >= a) & (territory_fit.months <= b)))
            for a, b in zip(obs["month_start"], obs["month_end"], strict=True)
        ]
    )
    np.testing.assert_allclose(null.jacobian @ np.ones(n_obs), 1.0, atol=1e-8)
    np.testing.assert_allclose(null.jacobian @ t_obs, np.arange(n_months), atol=1e-6)


def test_null_model_log_values_of_ranges_are_their_geometric_centre(
    case, synth_indicators
) -> None:
    fit = latent_indicator(synth_indicators, "synthetic", producer="P", trend_sd=0.02)
    null = null_model(fit)
    obs = fit.observations
    centre = np.where(obs["value"].notna(), obs["value"], np.sqrt(obs["low"] * obs["high"]))
    np.testing.assert_allclose(null.log_values, np.log(centre), rtol=1e-12)
    np.testing.assert_allclose(null.log_values, obs["log_value"], rtol=1e-12)


@pytest.mark.parametrize(
    ("indicator", "trend"), [("territory", "smooth"), ("synthetic", "local_level")]
)
def test_linearisation_is_exact_for_a_fixed_trend_sd(
    case, synth_indicators, indicator, trend
) -> None:
    """With one trend SD the posterior mean is linear in the log figures: any move is exact."""
    if indicator == "territory":
        fit = latent_indicator(
            case.indicators, indicator, producer=IHS, trend_sd=0.01, trend=trend
        )
    else:
        fit = latent_indicator(
            synth_indicators, indicator, producer="P", trend_sd=0.05, trend=trend
        )
    null = null_model(fit)
    deltas = np.random.default_rng(1).normal(0, 0.2, len(fit.observations))
    refit = moved_fit(fit, deltas)
    change = refit.monthly["log_mean"].to_numpy() - fit.monthly["log_mean"].to_numpy()
    np.testing.assert_allclose(null.jacobian @ deltas, change, rtol=0, atol=1e-8)
    assert np.abs(change).max() > 0.05


def test_linearisation_against_a_direct_refit(territory_fit, territory_null) -> None:
    """Move one observation by 1% and refit: the path moves by ``jacobian @ delta``.

    With a mixture over the trend SD the posterior mean is
    ``m(y) = sum_k w_k(y) m_k(y)``, each ``m_k`` linear in the log figures ``y``.
    The null paths hold the trend-SD weights ``w_k`` of the real fit, so the
    Jacobian is ``sum_k w_k dm_k/dy`` and, exactly,
    ``m(y + d) - m(y) = J d + sum_k (w_k(y + d) - w_k(y)) m_k(y + d)``.
    The test checks that identity to rounding error, then bounds the
    reweighting term, and so the full change, by ``sum_k |dw_k| max_t |m_k - m|``:
    the weights' share of the move, which is the only part the null paths leave out.
    """
    fit, null = territory_fit, territory_null
    base = fit.monthly["log_mean"].to_numpy()
    w = fit.mixture.weights
    window = fit.window
    delta = 0.01
    for j in range(len(fit.observations)):
        deltas = np.zeros(len(fit.observations))
        deltas[j] = delta
        refit = moved_fit(fit, deltas)
        change = refit.monthly["log_mean"].to_numpy() - base
        means = refit.mixture.means[:, window]
        dw = refit.mixture.weights - w
        np.testing.assert_allclose(change - null.jacobian[:, j] * delta, dw @ means, atol=1e-10)
        held = w @ means - base
        np.testing.assert_allclose(null.jacobian[:, j] * delta, held, rtol=0, atol=1e-10)
        bound = np.abs(dw).sum() * np.abs(means - refit.monthly["log_mean"].to_numpy()).max()
        gap = np.abs(change - null.jacobian[:, j] * delta).max()
        assert gap <= bound + 1e-12
        assert gap < 0.5 * np.abs(change).max(), (
            f"observation {j}: the linear part is not the bulk"
        )


def test_null_draw_shapes_and_structure(territory_fit, territory_null) -> None:
    fit, null = territory_fit, territory_null
    n = len(fit.months)
    logs = np.log(fit.draws(6, seed=3))
    deviations = logs - null.log_mean
    sims = null.draw(deviations, 5, np.random.default_rng(4))
    assert sims.shape == (5, 6, n)
    assert np.isfinite(sims).all() and (sims > 0).all()
    # the draws of one simulation differ by the deviations, in logs, and nothing else
    diff = np.log(sims) - deviations[None]
    np.testing.assert_allclose(diff, np.broadcast_to(diff[:, :1], diff.shape), atol=1e-9)
    # simulations differ from each other, and the same generator state repeats them
    assert not np.allclose(diff[0, 0], diff[1, 0])
    again = null.draw(deviations, 5, np.random.default_rng(4))
    np.testing.assert_array_equal(sims, again)


@pytest.mark.parametrize(
    ("trend", "trend_sd", "producer_error"),
    [("smooth", 0.01, 0.1), ("local_level", 0.05, 0.1), ("smooth", 0.005, 0.25)],
)
def test_null_truths_have_the_line_and_amplitude_of_the_series(
    case, trend, trend_sd, producer_error
) -> None:
    """Each simulated true path sits on the least-squares line of the posterior mean and
    swings around it by the amplitude of the posterior draws (recomputed here with
    numpy's polyfit, draw by draw)."""
    fit = latent_indicator(
        case.indicators,
        "territory",
        producer=IHS,
        trend=trend,
        trend_sd=trend_sd,
        producer_error=producer_error,
    )
    null = null_model(fit)
    n = len(fit.months)
    t = np.arange(n, dtype=float)
    assert null.trend == trend and null.producer_error == producer_error
    line = np.polyval(np.polyfit(t, null.log_mean, 1), t)
    np.testing.assert_allclose(null.line, line, atol=1e-10)
    logs = np.log(fit.draws(200, seed=0))
    sd = [np.std(row - np.polyval(np.polyfit(t, row, 1), t)) for row in logs]
    assert null.amplitude == pytest.approx(np.sqrt(np.mean(np.square(sd))), rel=1e-9)
    # the posterior mean is smoother than the draws: the truth's swings are not shrunk
    assert null.amplitude > np.std(null.log_mean - line)
    rng = np.random.default_rng(5)
    for _ in range(20):
        truth = null.truth(rng)
        fitted = np.polyval(np.polyfit(t, truth, 1), t)
        np.testing.assert_allclose(fitted, line, atol=1e-9)
        assert np.std(truth - fitted) == pytest.approx(null.amplitude, rel=1e-9)


def test_null_truths_follow_the_trend_kind(case) -> None:
    """A local-level truth is rougher month to month than a smooth one of the same amplitude."""
    rough = []
    for trend in ("smooth", "local_level"):
        fit = latent_indicator(case.indicators, "territory", producer=IHS, trend=trend)
        null = null_model(fit)
        rng = np.random.default_rng(9)
        truths = np.array([null.truth(rng) for _ in range(200)])
        rough.append(np.mean(np.abs(np.diff(truths, n=2, axis=1))) / null.amplitude)
    assert rough[1] > 2 * rough[0], rough


def test_null_paths_follow_the_fitted_level_and_slope(territory_fit, territory_null) -> None:
    fit, null = territory_fit, territory_null
    n = len(fit.months)
    n_sims = 400
    logs = np.log(null.draw(np.zeros((1, n)), n_sims, np.random.default_rng(6))[:, 0, :])
    line = null.line
    level, slope = line[0], (line[-1] - line[0]) / (n - 1)
    median = np.median(logs, axis=0)
    se = 1.2533 * logs.std(axis=0) / np.sqrt(n_sims)
    worst = np.max(np.abs(median - line) / se)
    assert worst <= Z, f"median of the null paths off the fitted line by {worst:.1f} SE"
    # the level and average slope of the median path, with their own SEs
    first, last = median[0], median[-1]
    assert abs(first - level) <= Z * se[0]
    slope_se = np.sqrt(se[0] ** 2 + se[-1] ** 2) / (n - 1)
    assert abs((last - first) / (n - 1) - slope) <= Z * slope_se
    assert slope < -0.02  # the bundled territory falls: the check is not about a flat line


@pytest.mark.parametrize("indicator", ["territory", "revenue_total"])
def test_null_paths_are_independent_of_the_real_deviations(case, indicator) -> None:
    """The real figures' wiggles around the fitted line must not reach the null paths."""
    fit = latent_indicator(case.indicators, indicator, producer=IHS)
    null = null_model(fit)
    n = len(fit.months)
    line = null.line
    wiggles = null.log_mean - line
    n_sims = 300
    logs = np.log(null.draw(np.zeros((1, n)), n_sims, np.random.default_rng(7))[:, 0, :])
    r = np.array([np.corrcoef(path - line, wiggles)[0, 1] for path in logs])
    se = r.std(ddof=1) / np.sqrt(n_sims)
    assert abs(r.mean()) <= Z * se, f"mean correlation {r.mean():.3f} (SE {se:.3f})"
    # the real posterior draws do share the wiggles: the check can tell the two apart
    real = np.log(fit.draws(n_sims, seed=8))
    r_real = np.array([np.corrcoef(path - line, wiggles)[0, 1] for path in real])
    assert r_real.mean() > 0.4


@pytest.mark.parametrize("indicator", ["territory", "revenue_total"])
def test_null_paths_keep_the_real_line_and_swing_size(case, indicator) -> None:
    """Step 4 of NullPaths: every null posterior mean has the real posterior mean's
    least-squares line (numpy's polyfit) and its whitened swing size, and differs from
    it in direction; the whitening gives the reference swings identity covariance."""
    fit = latent_indicator(case.indicators, indicator, producer=IHS)
    null = null_model(fit)
    n = len(fit.months)
    t = np.arange(n, dtype=float)
    means = np.log(null.draw(np.zeros((1, n)), 50, np.random.default_rng(3))[:, 0, :])
    real_line = np.polyval(np.polyfit(t, null.log_mean, 1), t)
    for row in means:
        np.testing.assert_allclose(np.polyval(np.polyfit(t, row, 1), t), real_line, atol=1e-9)
    real_size = null.swing_size(null.log_mean)
    assert real_size > 0
    np.testing.assert_allclose(null.swing_size(means), real_size, rtol=1e-9)
    assert np.min(np.abs(means - null.log_mean).max(axis=1)) > 1e-3
    # the reference sample, whitened: mean squared size = its rank (np.cov has ddof 1)
    from cftf_analysis.stats.draws import ROTATION_SIMS

    whiten = null.reference[1]
    ref = null.simulated_means(ROTATION_SIMS, np.random.default_rng(0))
    rank = whiten.shape[1]
    assert 1 <= rank <= len(fit.observations)
    expected = rank * (ROTATION_SIMS - 1) / ROTATION_SIMS
    assert np.mean(null.swing_size(ref) ** 2) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("indicator", ["territory", "revenue_total"])
def test_vectorised_figures_equal_simulate_observations(case, indicator) -> None:
    """NullPaths.log_figures on many paths at once gives the log figures that
    latent.simulate_observations gives one path at a time, with the same errors
    (revenue has a range-free upper bound, territory plain and period figures)."""
    from cftf_analysis.stats.latent import simulate_observations

    fit = latent_indicator(case.indicators, indicator, producer=IHS)
    null = null_model(fit)
    rng = np.random.default_rng(11)
    truths = np.array([null.truth(rng) for _ in range(5)])
    errors = rng.normal(0, null.producer_error, (5, len(fit.observations)))
    cols = [c for c in fit.observations.columns if c not in ("log_value", "log_sd")]
    vectorised = null.log_figures(truths, errors)
    for k in range(5):
        sim = simulate_observations(
            fit.observations[cols],
            truths[k],
            fit.months,
            producer_error=null.producer_error,
            range_level=null.range_level,
            errors=errors[k],
            rng=rng,
        )
        value = sim["value"].astype(float)
        centre = np.sqrt(sim["low"].astype(float) * sim["high"].astype(float))
        one_at_a_time = np.log(value.fillna(centre).to_numpy(float))
        np.testing.assert_allclose(vectorised[k], one_at_a_time, rtol=0, atol=1e-12)
