"""Every number a report caption quotes, recomputed from the battery's results.

Each test lists, in order, every number the caption should contain, computed
here independently of the caption code (from the raw tables, statsmodels or
numpy), and compares the list with the numbers parsed out of the caption. A
caption that quotes a number nobody checks, or a wrong one, fails.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cftf_analysis.figures import make_figure
from cftf_analysis.figures.catalog import CONF_LEVEL
from cftf_analysis.tables import report_count_spread, timeline_events
from tests.figures.helpers import by_gid

NUMBER = re.compile(r"\d+(?:\.\d+)?")


def numbers(text: str) -> list[str]:
    """The unsigned numbers in ``text``, in order (years and counts included)."""
    return NUMBER.findall(text)


def caption(name, battery) -> str:
    fig, text = make_figure(name, battery)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return text


def pct(x: float) -> str:
    return f"{100 * x:.0f}"


def test_timeline_caption(battery):
    text = caption("timeline", battery)
    spread = report_count_spread(battery.reports)  # not the panel the figure used
    peak = spread.loc[spread["n_reports"].idxmax()]
    fits = {name: battery.draws.series[name].latent for name in ("revenue_total", "territory")}
    expected = [f"{peak['n_reports']:.1f}", f"{peak['month']:%Y}"]
    expected.append(pct(fits["revenue_total"].conf_level))  # "with a 90% band"
    for name, scale in (("revenue_total", 1e6), ("territory", 1e3)):
        obs = fits[name].observations
        values = obs.loc[obs["bound"] == "none", "value"].to_numpy(float)
        expected += [
            f"{values[0] / scale:.0f}",
            f"{values[-1] / scale:.0f}",
            str(len(obs)),
            f"{obs['month_start'].min():%Y}",
            f"{obs['month_end'].max():%Y}",
        ]
        counts = [
            (obs["n_months"] > 1).sum(),  # averages over several months
            (obs["high"] > obs["low"]).sum(),  # ranges
            (obs["bound"] == "lower").sum(),
            (obs["bound"] == "upper").sum(),
            obs["derived"].sum(),
            obs["restated"].sum(),
        ]
        expected += [str(int(n)) for n in counts if n]
    months = battery.panel["month"]
    key = timeline_events(
        battery.events,
        event_ids=battery.case.major_events,
        start=months.min(),
        end=months.max() + pd.offsets.MonthEnd(0),
    )
    expected.append(str(len(key)))
    assert numbers(text) == expected
    # the marks the bundled series have are named, the others not
    assert "median monthly path of its latent model" in text
    assert "3 averages over several months" in text and '1 upper bound ("at most")' in text
    assert "1 restated" in text and "down arrows: upper bounds" in text
    assert "ranges" not in text and "lower bound" not in text


def test_cross_correlation_caption(battery):
    text = caption("cross_correlation", battery)
    table = battery["ccf"].table
    alpha = battery.options.alpha
    expected = [pct(CONF_LEVEL), f"{alpha:g}", str(2 * battery.options.max_lag + 1), f"{alpha:g}"]
    for ind, rows in table.groupby("indicator", sort=False):
        leading = rows[rows["lag"] >= 0]
        best = leading.loc[leading["estimate"].abs().idxmax()]
        n_points = len(battery.draws.series[ind].latent.observations)
        expected += [
            str(int(best["lag"])),
            f"{abs(best['estimate']):.2f}",
            f"{best['p_adjusted']:.2f}",
            str(n_points),
        ]
        direction = "fewer" if best["estimate"] > 0 else "more"
        label = battery.series[ind].label.lower()
        assert f"falling {label} went with {direction} reports" in text
    assert numbers(text) == expected
    assert "negative r at a positive lag means a falling indicator was followed by more" in text


def test_lagged_scatter_caption(battery):
    text = caption("lagged_scatter", battery)
    panel = battery.panel.set_index("month")
    expected = []
    for ind, row in battery["ccf"].rows.set_index("indicator").iterrows():
        lag = int(row["lag"])
        both = panel[ind].notna() & panel["n_reports"].shift(-lag).notna()
        observed = both & panel[f"{ind}_observed"].astype(bool)
        derived = observed & panel[f"{ind}_derived"].astype(bool)
        expected += [str(lag)] if lag else []
        expected += [str(int((observed & ~derived).sum()))]
        expected += [str(int(derived.sum()))] if derived.any() else []
    assert numbers(text) == expected
    assert "fractional" in text
    assert "months with an observation" in text and "posterior median" in text
    assert "interpolated" not in text  # the battery's series are latent


def test_motive_shares_caption(battery):
    from statsmodels.stats.proportion import proportion_confint

    text = caption("motive_shares", battery)
    reports = battery.reports
    mid = reports["published_start"] + (reports["published_end"] - reports["published_start"]) / 2
    quarters = reports.groupby(mid.dt.to_period("Q"))["motive_financial"].agg(["size", "sum"])
    drawn = quarters[quarters["size"] >= 5]
    low, high = proportion_confint(drawn["sum"], drawn["size"], alpha=0.05, method="wilson")
    widest = int(np.argmax(np.asarray(high) - np.asarray(low)))
    share = {m: reports[f"motive_{m}"].astype(float).mean() for m in ("violence", "ideology")}
    expected = [
        "5",
        pct(CONF_LEVEL),
        pct(share["violence"]),
        pct(share["ideology"]),
        pct(reports["motive_financial"].astype(float).mean()),
        str(drawn["size"].min()),
        str(drawn["size"].max()),
        str(int(drawn["sum"].iloc[widest])),
        str(int(drawn["size"].iloc[widest])),
        pct(np.asarray(low)[widest]),
        pct(np.asarray(high)[widest]),
    ]
    assert numbers(text) == expected


def test_change_points_caption(battery):
    text = caption("change_points", battery)
    cp = battery["change_points"].models["change_points"]
    seg = cp.segments.sort_values("segment")
    means = seg["mean"].to_numpy()
    floor = means[1:-1].min()
    starts = pd.to_datetime(seg["start"]).iloc[1:].tolist()
    is_edge = [(i == 0 and means[0] < floor) or (i == len(starts) - 1 and means[-1] < floor)
               for i in range(len(starts))]  # fmt: skip
    own = cp.breaks_table.set_index("break")["p_adjusted"]
    expected = [f"{float(cp.test['p_value'].iloc[0]):.3f}"]
    for edge in (False, True):
        for s, e in zip(starts, is_edge, strict=True):
            if e == edge:
                expected += [f"{s:%Y}", f"{max(own.loc[s], 0.01):.2f}"]  # "p < 0.01"
    expected += [f"{m:.1f}" for m in means]
    assert numbers(text) == expected
    assert is_edge == [True, False, False, True]  # the bundled data's edges, named as such
    assert "edge segments" in text


def test_rate_ratios_caption(battery):
    """The caption quotes the pooled table (checked against statsmodels per draw and
    Rubin's rules written out in tests/stats/test_battery.py)."""
    from cftf_analysis.stats.findings import scale_of

    text = caption("rate_ratios", battery)
    table = battery["count_model"].table
    expected = [str(int(table["n_draws"].min())), pct(CONF_LEVEL)]
    for ind, rows in table.groupby("indicator", sort=False):
        at = rows[rows["term"] == "indicator"].iloc[0]
        expected += [f"{at['irr']:.2f}", f"{at['irr_low']:.2f}", f"{at['irr_high']:.2f}"]
        # the unit: "per USD 10 million a month", "per 10,000 km2"
        expected += numbers(scale_of(battery.series[ind].unit).step.replace("km2", "km"))
        expected.append(f"{at['p_value']:.2f}")
    expected.append("1")  # "a ratio below 1"
    assert numbers(text) == expected
    assert "IRR" not in text


def test_sensitivity_caption(battery):
    text = caption("sensitivity", battery)
    tables = battery["count_model"].tables
    rows = battery["count_model"].rows.set_index("indicator")
    draws = {ind: tables[f"count_model_draws_{ind}"] for ind in rows.index}
    n = {len(d) for d in draws.values()}
    expected = [str(n.pop()), pct(CONF_LEVEL)]
    alpha = battery.options.alpha
    for d in draws.values():
        est = d["estimate"].dropna().to_numpy()
        q_low, q_high = np.quantile(est, [0.025, 0.975])
        share = float(np.mean(d["p_value"] < alpha))
        pooled = float(np.exp(np.log(est).mean()))
        expected += [
            f"{q_low:.2f}",
            f"{q_high:.2f}",
            f"{est.min():.2f}",
            f"{est.max():.2f}",
            pct(share),
            f"{alpha:g}",
            f"{pooled:.2f}",
        ]
    assert numbers(text) == expected
    assert "middle 95% of the draws" in text and "the marker is" not in text


def test_specification_curve_caption(battery):
    text = caption("specification_curve", battery)
    mv = battery.multiverse
    table = mv.table
    expected = [str(v) for v in mv.choices["max_lag"]]  # "largest lag (6 or 3 months)"
    expected += [str(table["n_draws"].max()), str(table["n_null"].max())]
    expected += [str(battery.options.n_draws), str(battery.options.n_null)]
    expected += [pct(CONF_LEVEL), f"{battery.options.alpha:g}"]
    for _key, rows in table.groupby(["finding", "indicator"], sort=False):
        ref = rows[rows["spec_id"] == "S001"].iloc[0]
        same = rows["sign"] == ref["sign"]
        holds = same & rows["significant"]
        expected += [str(holds.sum()), str(len(rows)), pct(holds.mean()), str(same.sum())]
    # the specifications that could not be run: on the bundled case, exactly the uniform
    # protocol's (its 7 reports fail the data-support checks)
    failed = mv.specs["status"] != "ran"
    assert (failed == (mv.specs["collection"] == "uniform")).all() and failed.sum() == 12
    expected += [str(failed.sum()), str(len(mv.specs))]
    assert numbers(text) == expected
    assert "all those with reports: uniform protocol only, could not compute" in text
    # the choices the bundled case cannot vary, and why
    assert "Not varied: another producer (no series has one whose figures can be modelled)" in text
    assert "news articles (no corpus coverage table given)" in text


def test_power_caption(battery):
    """Every number of the power caption, recomputed from the battery's power curves."""
    from cftf_analysis.figures.catalog import power_tables
    from cftf_analysis.stats.findings import scale_of
    from cftf_analysis.stats.power import detectable_effect

    text = caption("power", battery)
    curves = power_tables(battery)
    expected = [str(int(curves["n_sims"].max())), f"{battery.options.alpha:g}", "95", "1", "80"]
    for _, d in detectable_effect(curves).iterrows():
        if np.isfinite(d["mde_below"]):
            expected.append(f"{d['mde_below']:.2f}")
            expected += numbers(scale_of(battery.series[d["indicator"]].unit).step)
    expected.append("1")  # "at a rate ratio of 1"
    assert numbers(text) == expected
    # one clause per finding and indicator
    assert (
        text.count("count model,")
        == curves.query("finding == 'count_model'")["indicator"].nunique()
    )


@pytest.mark.parametrize(
    "name",
    ["timeline", "cross_correlation", "lagged_scatter", "motive_shares", "change_points",
     "rate_ratios", "sensitivity", "power", "specification_curve"],
)  # fmt: skip
def test_every_figure_has_a_caption_test(name):
    from cftf_analysis.figures import FIGURES

    assert set(FIGURES) == {
        "timeline", "cross_correlation", "lagged_scatter", "motive_shares", "change_points",
        "rate_ratios", "sensitivity", "power", "specification_curve",
    }  # fmt: skip
    assert f"test_{name}_caption" in globals()


# --- the second case: a series with too few figures, a motive figure with one quarter --------


@pytest.fixture(scope="module")
def shabaab():
    """The al-Shabaab battery with the steps whose checks the captions read (no draws made)."""
    import cftf_analysis as cftf

    return cftf.run_battery(case="al-shabaab", steps=["ccf", "motive_trends"], n_draws=5)


def test_timeline_caption_of_a_series_with_too_few_figures(shabaab):
    text = caption("timeline", shabaab)
    spread = report_count_spread(shabaab.reports)
    peak = spread.loc[spread["n_reports"].idxmax()]
    raw = pd.read_csv(shabaab.case.folder / "indicators.csv", dtype=str).set_index("indicator_id")
    # B001: USD million a month in 2020; B003: USD million a year in 2021; B002 "at least"
    assert raw.loc["B001", "unit"] == "USD million per month"
    assert raw.loc["B003", "unit"] == "USD million per year"
    per_month = [float(raw.loc["B001", "value"]), float(raw.loc["B003", "value"]) / 12]
    years = [raw.loc[i, "period"] for i in ("B001", "B003")]
    assert raw.loc["B002", "qualifier"] == "at_least"
    key = timeline_events(
        shabaab.events,
        event_ids=shabaab.case.major_events,
        start=shabaab.panel["month"].min(),
        end=shabaab.panel["month"].max() + pd.offsets.MonthEnd(0),
    )
    expected = [f"{peak['n_reports']:.1f}", f"{peak['month']:%Y}", "2"]
    expected += [f"{v:.0f}" for v in per_month] + years
    expected += ["1", str(len(key))]
    assert numbers(text) == expected
    assert "too few for a series, so drawn as reported and not joined" in text
    assert "interpolated" not in text
    fig, _ = make_figure("timeline", shabaab)
    import matplotlib.pyplot as plt

    panel = next(a for a in fig.axes if a.get_label() == "revenue")
    assert not by_gid(panel, "path")  # no line joins them
    # yearly averages: the two figures and the "at least" bound, each over its year
    assert len(by_gid(panel, "period-segments")[0].get_segments()) == 3
    plt.close(fig)


def test_motive_caption_with_one_quarter_drawn(shabaab):
    from statsmodels.stats.proportion import proportion_confint

    text = caption("motive_shares", shabaab)
    reports = shabaab.reports
    mid = reports["published_start"] + (reports["published_end"] - reports["published_start"]) / 2
    quarters = reports.groupby(mid.dt.to_period("Q"))["motive_financial"].agg(["size", "sum"])
    (drawn,) = [q for _, q in quarters[quarters["size"] >= 5].iterrows()]
    low, high = proportion_confint(drawn["sum"], drawn["size"], alpha=0.05, method="wilson")
    share = {m: reports[f"motive_{m}"].astype(float).mean() for m in ("violence", "ideology")}
    expected = ["5", pct(CONF_LEVEL), pct(share["violence"]), pct(share["ideology"]), "0"]
    expected += [str(drawn["size"]), str(drawn["sum"]), str(drawn["size"]), pct(low), pct(high)]
    assert numbers(text) == expected
    assert "in the one quarter drawn the interval is wide" in text
