"""The indicator findings: Monte Carlo p-values, their null, influence, and the fallbacks.

The Monte Carlo p-values are checked where their answer is known exactly: when the
observed indicator and the simulated unrelated ones come from the same generator, the
observed statistic's rank among them is uniform, so each p-value's rejection rate is known
in closed form. A planted association on a wiggly indicator must be found. Influence is
recomputed from the leave-one-out paths directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cftf_analysis.stats.battery import run_battery
from cftf_analysis.stats.draws import leave_one_out_paths
from cftf_analysis.stats.findings import scale_of
from cftf_analysis.stats.indicator_findings import (
    DrawWindow,
    ccf_finding,
    count_model_finding,
    draw_window,
    granger_finding,
    monte_carlo_p,
    pooled_count_model,
)

N = 40
MONTHS = pd.date_range("2000-01-01", periods=N, freq="MS")


def smooth_paths(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Positive smooth paths: exp of a random mix of slow sinusoids (several swings)."""
    t = np.arange(N) / N
    freq = rng.uniform(1.0, 4.0, (*shape, 3))
    phase = rng.uniform(0, 2 * np.pi, (*shape, 3))
    waves = np.sin(2 * np.pi * freq[..., None] * t + phase[..., None]).sum(axis=-2)
    return np.exp(3.0 + 0.3 * waves)


def window(counts: np.ndarray, paths: np.ndarray) -> DrawWindow:
    d = paths.shape[0]
    return DrawWindow(
        months=MONTHS,
        counts=np.broadcast_to(counts, (d, N)).astype(float).copy(),
        paths=paths,
        center=np.median(paths, axis=0),
        expected=counts.astype(float),
        offset=None,
    )


def exchangeable(rng, n_sims: int, n_draws: int):
    """Observed paths and null paths from the same generator, with a few draws each."""
    base = smooth_paths(rng, (n_sims + 1,))
    noise = np.exp(rng.normal(0, 0.03, (n_sims + 1, n_draws, N)))
    paths = base[:, None, :] * noise
    return paths[0], paths[1:]


def rate_check(p_values: np.ndarray, level: float, expected: float) -> None:
    rate = float(np.mean(p_values <= level + 1e-12))
    se = np.sqrt(expected * (1 - expected) / p_values.size)
    lo, hi = expected - 3.5 * se, expected + 3.5 * se
    assert lo <= rate <= hi, f"rate {rate:.3f}, expected {expected:.3f} [{lo:.3f}, {hi:.3f}]"


# --- monte_carlo_p ---------------------------------------------------------------------------


def test_monte_carlo_p_is_exact_under_exchangeability():
    """With B = 19 exchangeable simulations, p <= 0.1 exactly when the observed statistic is
    the smallest or largest of the 20: probability 2/20."""
    rng = np.random.default_rng(1)
    p = np.array([monte_carlo_p(x[0], x[1:]) for x in rng.standard_t(3, (4000, 20))])
    rate_check(p, 0.1, 0.1)
    assert p.min() == pytest.approx(0.1) and p.max() == 1.0


def test_monte_carlo_p_judges_against_a_shifted_null():
    # the design shifts the statistic to about -2: an observed -2 is ordinary, +2 is not
    sims = np.random.default_rng(2).normal(-2.0, 0.5, 999)
    assert monte_carlo_p(-2.0, sims) > 0.8
    assert monte_carlo_p(2.0, sims) == pytest.approx(2 / 1000)
    # NaN simulations (failed fits) are ignored, not counted as extreme
    with_nan = np.r_[sims, np.full(50, np.nan)]
    assert monte_carlo_p(-1.0, with_nan) == monte_carlo_p(-1.0, sims)


# --- the findings under an exchangeable null ------------------------------------------------


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(3)
    hump = 4 * np.exp(-(((np.arange(N) - 25) / 6) ** 2))
    return rng.poisson(1.5 + hump)


def test_count_model_p_is_uniform_when_observed_and_null_are_exchangeable(counts):
    rng = np.random.default_rng(4)
    p = []
    for _ in range(300):
        observed, null = exchangeable(rng, 19, 4)
        p.append(
            count_model_finding(window(counts, observed), 10.0, null, conf_level=0.95, alpha=0.05)[
                "p_value"
            ]
        )
    rate_check(np.array(p), 0.1, 0.1)


def test_ccf_maxT_is_a_family_wise_rate_under_exchangeability(counts):
    """P(min over lags of the maxT-adjusted p <= 0.1) is the chance that the observed
    standardised maximum ranks in the top 2 of 20: 0.1 (ties aside)."""
    rng = np.random.default_rng(5)
    p_min, p_raw0 = [], []
    for _ in range(250):
        observed, null = exchangeable(rng, 19, 4)
        res = ccf_finding(window(counts, observed), 3, null, conf_level=0.95, alpha=0.05)
        table = res["table"]
        p_min.append(table["p_adjusted"].min())
        p_raw0.append(float(table.loc[table["lag"] == 0, "p_value"].iloc[0]))
        # the adjusted p-value of a lag is never below its standardised rank would allow
        assert (table["p_adjusted"] >= 1 / 20 - 1e-12).all()
    rate_check(np.array(p_min), 0.1, 0.1)
    rate_check(np.array(p_raw0), 0.1, 0.1)


def test_granger_p_is_uniform_under_exchangeability(counts):
    """One-sided: p <= 0.1 when the observed F is among the 2 largest of 20."""
    rng = np.random.default_rng(6)
    p = []
    for _ in range(200):
        observed, null = exchangeable(rng, 19, 4)
        table = granger_finding(window(counts, observed), 2, ("x", "y"), null, alpha=0.05)["table"]
        p.append(float(table["p_value"].iloc[0]))
    rate_check(np.array(p), 0.1, 0.1)


def test_granger_monte_carlo_statistic_is_the_f_of_the_average_draw(counts):
    """The statistic is statsmodels' F on the draws' geometric-mean path and mean counts,
    and it ignores how the draws depart from that average: every simulation of the null
    shares the real fit's departures, and a statistic pooled draw by draw (D2) carried
    them into the test (validation/results/granger_statistics.md)."""
    from statsmodels.tsa.stattools import grangercausalitytests

    from cftf_analysis.stats.indicator_findings import granger_statistics

    rng = np.random.default_rng(11)
    observed, _ = exchangeable(rng, 0, 6)
    count_draws = rng.poisson(np.broadcast_to(counts + 0.5, (6, N))).astype(float)
    w = DrawWindow(MONTHS, count_draws, observed, np.median(observed, axis=0),
                   counts.astype(float), None)  # fmt: skip
    x = np.exp(np.log(observed).mean(axis=0))
    y = count_draws.mean(axis=0)
    for reverse, pair in ((False, (y, x)), (True, (x, y))):
        ref = grangercausalitytests(np.diff(np.column_stack(pair), axis=0), [2])
        f = granger_statistics(w, 2, 1, 1, reverse=reverse)[0]
        assert f == pytest.approx(ref[2][0]["ssr_ftest"][0], rel=1e-9)

    # the same null means, departures swapped for others with the same log average
    def p_values(paths: np.ndarray, sims: np.ndarray) -> np.ndarray:
        table = granger_finding(window(counts, paths), 2, ("x", "y"), sims, alpha=0.05)["table"]
        return table[["p_value", "f_average"]].to_numpy()

    dev = rng.normal(0, 0.2, (6, N))
    other = rng.normal(0, 0.2, (6, N))
    other += dev.mean(axis=0) - other.mean(axis=0)
    mean_obs, mean_null = smooth_paths(rng, (1,)), smooth_paths(rng, (19, 1))
    first = p_values(mean_obs * np.exp(dev), mean_null * np.exp(dev))
    second = p_values(mean_obs * np.exp(other), mean_null * np.exp(other))
    np.testing.assert_allclose(first, second, rtol=1e-9)
    # the D2 estimate does depend on them (it is the estimate, not the test)
    d2 = [granger_finding(window(counts, m * np.exp(d)), 2, ("x", "y"), None,
                          alpha=0.05)["table"]["statistic"].iloc[0]
          for m, d in ((mean_obs, dev), (mean_obs, other))]  # fmt: skip
    assert d2[0] != pytest.approx(d2[1], rel=1e-3)


def test_a_planted_association_on_a_wiggly_indicator_is_found():
    """Reports follow the indicator (rate ratio 0.5 per 10 units); the unrelated paths
    come from the same generator. The finding is significant and the estimate near 0.5."""
    rng = np.random.default_rng(7)
    observed_base = smooth_paths(rng, (1,))[0]
    mean = np.exp(1.5 + np.log(0.5) * (observed_base - observed_base.mean()) / 10)
    y = rng.poisson(mean)
    observed = observed_base * np.exp(rng.normal(0, 0.02, (20, N)))
    null = smooth_paths(rng, (199,))[:, None, :] * np.exp(rng.normal(0, 0.02, (199, 20, N)))
    res = count_model_finding(window(y, observed), 10.0, null, conf_level=0.95, alpha=0.05)
    assert res["p_value"] <= 0.01
    assert res["ci_low"] < 0.5 < res["ci_high"]
    # the unrelated paths give no association on average
    assert res["null_estimate"] == pytest.approx(1.0, abs=0.1)
    ccf = ccf_finding(window(y, observed), 3, null, conf_level=0.95, alpha=0.05)
    # prewhitening spreads a same-month effect over the next lags; the peak is found
    assert ccf["peak"]["estimate"] < 0 and ccf["peak"]["p_adjusted"] <= 0.05


def test_without_a_null_the_p_values_are_rubins(counts):
    rng = np.random.default_rng(8)
    observed, _ = exchangeable(rng, 1, 10)
    w = window(counts, observed)
    res = count_model_finding(w, 10.0, None, conf_level=0.95, alpha=0.05)
    assert res["p_value"] == pooled_count_model(w, 10.0, conf_level=0.95, alpha=0.05)["p_value"]
    assert res["null"] is None and np.isnan(res["null_estimate"])
    table = ccf_finding(w, 3, None, conf_level=0.95, alpha=0.05)["table"]
    np.testing.assert_array_equal(table["p_value"], table["p_rubin"])


# --- the battery: null paths, fallbacks and influence ----------------------------------------


@pytest.fixture(scope="module")
def battery():
    # no power simulations: this module tests the Monte Carlo null, not the power
    return run_battery(
        case="islamic-state", steps=["count_model"], n_draws=60, n_null=39, n_power=0
    )


def test_the_battery_reports_the_monte_carlo_p_and_keeps_rubins(battery):
    table = battery["count_model"].table
    at = table[table["term"] == "indicator"]
    row = battery.summary.set_index("indicator")
    for _, r in at.iterrows():
        assert row.loc[r["indicator"], "p_value"] == r["p_value"]
        assert r["p_value"] >= 1 / 40  # 39 simulations: no p-value below 1/40
        assert 0 < r["p_rubin"] <= 1 and np.isfinite(r["null_centre"])
        assert (
            "Monte Carlo p against 39 simulated unrelated indicators"
            in (row.loc[r["indicator"], "method"])
        )
        assert f"median rate ratio of {r['null_irr']:.2f}" in row.loc[r["indicator"], "caveat"]


def test_interpolation_and_n_null_zero_fall_back_to_rubin():
    steps = ["count_model", "ccf", "granger"]
    for kwargs in ({"indicator_model": "linear"}, {"n_null": 0}):
        b = run_battery(case="islamic-state", steps=steps, n_draws=8, n_power=0, **kwargs)
        # every finding is computed (dropping an end figure of an interpolated series
        # shortens the influence check's window instead of failing)
        assert b.errors == []
        assert len(b.summary) == 8
        table = b["count_model"].table
        at = table[table["term"] == "indicator"]
        np.testing.assert_array_equal(at["p_value"], at["p_rubin"])
        assert b.summary["method"].str.contains("Rubin p-value").all()


def test_null_paths_are_cached_and_undefined_outside_the_span(battery):
    from cftf_analysis.stats.battery import BatteryContext

    ctx = BatteryContext(
        battery.panel,
        battery.reports,
        battery.indicators,
        None,
        None,
        battery.options,
        battery.series,
        draws=battery.draws,
    )
    sims = ctx.null_paths("territory", 5, 4)
    assert sims is ctx.null_paths("territory", 5, 4)
    assert sims.shape == (5, 4, len(battery.draws.months))
    defined = battery.draws.series["territory"].defined
    assert np.isfinite(sims[:, :, defined]).all() and (sims[:, :, defined] > 0).all()
    assert np.isnan(sims[:, :, ~defined]).all()


def test_influence_is_the_leave_one_out_recomputation(battery):
    """The named observation's estimate without it equals the count model refitted on the
    paths redrawn without it, and the caveat names it exactly when significance flips."""
    alpha = battery.options.alpha
    for _, row in battery.summary.iterrows():
        ind = row["indicator"]
        ids = row["influential"]
        assert ids in {str(x) for x in battery.draws.series[ind].latent.observations["row_ids"]}
        loo = leave_one_out_paths(battery.draws, ind, 60, battery.options.seed)[ids]
        sd = battery.draws.series[ind]
        keep = sd.defined
        w = DrawWindow(
            months=battery.draws.months[keep],
            counts=battery.draws.counts[:, keep].astype(float),
            paths=loo[:, keep],
            center=np.median(loo[:, keep], axis=0),
            expected=battery.panel["n_reports"].to_numpy(float)[keep],
            offset=None,
        )
        divisor = scale_of(battery.series[ind].unit).divisor
        direct = pooled_count_model(w, divisor, conf_level=0.95, alpha=alpha)
        assert row["estimate_without"] == pytest.approx(direct["estimate"], rel=1e-9)
        flips = (row["p_value"] < alpha) != (row["p_without"] < alpha)
        assert ("depends on " + ids in row["caveat"]) == flips


def test_draw_window_drops_months_without_the_indicator(battery):
    from cftf_analysis.stats.battery import BatteryContext

    ctx = BatteryContext(
        battery.panel,
        battery.reports,
        battery.indicators,
        None,
        None,
        battery.options,
        battery.series,
        draws=battery.draws,
    )
    w = draw_window(ctx, "revenue_total")
    sd = battery.draws.series["revenue_total"]
    assert w.n == int(sd.defined.sum())
    assert np.isfinite(w.paths).all()
    np.testing.assert_array_equal(w.counts, battery.draws.counts[:, sd.defined])


def test_rubin_p_of_the_count_model_is_anti_conservative_on_smooth_series(counts):
    """Why the battery does not report Rubin's p: on smooth unrelated paths against a
    humped count series, Rubin's p-value rejects far more often than its level."""
    rng = np.random.default_rng(9)
    p = []
    for _ in range(150):
        paths = smooth_paths(rng, (1,))[0] * np.exp(rng.normal(0, 0.03, (4, N)))
        w = window(counts, paths)
        p.append(pooled_count_model(w, 10.0, conf_level=0.95, alpha=0.05)["p_value"])
    rate = float(np.mean(np.array(p) < 0.05))
    # a binomial test that the rate exceeds 0.05
    assert stats.binomtest(int(rate * len(p)), len(p), 0.05, alternative="greater").pvalue < 0.01


def test_granger_rows_say_the_null_keeps_the_chosen_differencing():
    """The caveat says the null does not repeat the choice of differencing, and the method
    says how the lag order was chosen and which statistic the Monte Carlo p judges."""
    mc = run_battery(case="islamic-state", steps=["granger"], n_draws=20, n_null=19, n_power=0)
    assert len(mc.summary) == 4
    assert mc.summary["caveat"].str.contains("does not pay for that choice").all()
    assert mc.summary["method"].str.contains("lag by each series' own AIC order").all()
    # the estimate is the statistic the p-value judges: the F of the average draw, or D2
    assert mc.summary["method"].str.contains("F of the average of the joint draws").all()
    table = mc["granger"].table
    assert table["f_average"].notna().all() and (table["p_value"] != table["p_rubin"]).any()
    np.testing.assert_array_equal(mc.summary["estimate"], table["f_average"])
    rubin = run_battery(case="islamic-state", steps=["granger"], n_draws=20, n_null=0, n_power=0)
    assert not rubin.summary["caveat"].str.contains("does not pay for that choice").any()
    assert rubin.summary["method"].str.contains("D2 pooling over joint draws").all()
    assert rubin["granger"].table["f_average"].isna().all()
    np.testing.assert_array_equal(rubin.summary["estimate"], rubin["granger"].table["statistic"])


def test_monte_carlo_p_uses_as_many_observed_draws_as_each_simulation(counts):
    """Pooled statistics depend on how many draws they pool: the observed one is judged on the
    first D draws, D those of each simulation, whatever else the window holds (pooling all of
    them against D made the Granger test reject far too often in the battery calibration)."""
    rng = np.random.default_rng(8)
    observed, _ = exchangeable(rng, 0, 12)
    _, null = exchangeable(rng, 19, 4)
    full = window(counts, observed)
    cut = DrawWindow(full.months, full.counts[:4], full.paths[:4], full.center, full.expected,
                     None)  # fmt: skip
    args = {"conf_level": 0.95, "alpha": 0.05}
    assert (
        count_model_finding(full, 10.0, null, **args)["p_value"]
        == (count_model_finding(cut, 10.0, null, **args)["p_value"])
    )
    pd.testing.assert_series_equal(
        ccf_finding(full, 3, null, **args)["table"]["p_adjusted"],
        ccf_finding(cut, 3, null, **args)["table"]["p_adjusted"],
    )
    g = {"alpha": 0.05}
    pd.testing.assert_series_equal(
        granger_finding(full, 3, ("x", "y"), null, **g)["table"]["p_value"],
        granger_finding(cut, 3, ("x", "y"), null, **g)["table"]["p_value"],
    )


def test_granger_order_looks_at_each_series_own_past_only() -> None:
    """x drives y three months later and neither has its own dynamics: the joint
    model's AIC (granger_test(ic="aic")) picks the lag of the cross effect, the
    battery's order (each series' own AIC order, as statsmodels' ar_select_order
    chooses it) stays at 1; with AR(2) dynamics in x it is 2."""
    from statsmodels.tsa.ar_model import ar_select_order

    from cftf_analysis.stats.granger import granger_test
    from cftf_analysis.stats.indicator_findings import granger_order

    rng = np.random.default_rng(4)
    x = rng.normal(size=300)
    y = np.r_[np.zeros(3), 0.9 * x[:-3]] + rng.normal(size=300)
    joint = granger_test(pd.DataFrame({"x": x, "y": y}), cause="x", effect="y", max_lag=4,
                         difference=0, ic="aic")  # fmt: skip
    assert int(joint["lag"].iloc[0]) == 3
    assert granger_order(x, y, 0, 4) == 1
    ar = np.zeros(300)
    for t in range(2, 300):
        ar[t] = 0.5 * ar[t - 1] + 0.3 * ar[t - 2] + rng.normal()
    own = max(len(ar_select_order(v, 4, ic="aic", trend="c").ar_lags or [])
              for v in (ar, y))  # fmt: skip
    assert granger_order(ar, y, 0, 4) == max(own, 1) == 2
    # differencing is applied before the choice
    assert granger_order(np.cumsum(ar), np.cumsum(y), 1, 4) == 2


def test_a_month_no_path_reaches_has_no_centre_and_no_warning(counts):
    """Leave-one-out paths of an interpolation lose the months beyond the remaining end
    figures: their centre is missing (trimmed() drops them) and nothing warns."""
    import warnings

    paths = smooth_paths(np.random.default_rng(12), (3,))
    paths[:, -2:] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = window(counts, smooth_paths(np.random.default_rng(13), (3,))).with_paths(paths)
    assert np.isnan(w.center[-2:]).all()
    np.testing.assert_allclose(w.center[:-2], np.median(paths[:, :-2], axis=0))
    assert w.trimmed().n == N - 2
