"""Power and minimum detectable effect: against a closed form, and on the battery's design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cftf_analysis.errors import ArgumentError
from cftf_analysis.stats.battery import run_battery
from cftf_analysis.stats.indicator_findings import time_basis
from cftf_analysis.stats.power import (
    POWER_COLUMNS,
    PowerDesign,
    baseline_course,
    dated_draws,
    detectable_effect,
    power_curve,
    simulate_power,
)

N = 100
X = np.sin(2 * np.pi * np.arange(N) / 25)  # a fully observed covariate, not a trend


def closed_form_power(effect: float, base: float = 3.0, alpha: float = 0.05) -> float:
    """Wald test of a Poisson GLM coefficient: intercept, the covariate and a linear trend,
    at the true parameters, counted on the planted side only (as simulate_power does):
    ``Phi(|beta| / se - z_{1 - alpha/2})`` with ``se**2`` from the Fisher information."""
    beta = np.log(effect)
    mu = base * np.exp(beta * (X - X.mean()))
    design = np.column_stack([np.ones(N), X, time_basis(N, 1)])
    info = design.T @ (mu[:, None] * design)
    se = np.sqrt(np.linalg.inv(info)[1, 1])
    return float(stats.norm.cdf(abs(beta) / se - stats.norm.ppf(1 - alpha / 2)))


def observed(truth: np.ndarray) -> PowerDesign:
    """Poisson counts around 3 a month and a fully observed indicator ``truth`` (two
    identical draws: nothing to pool); the rate ratio is per unit of it."""
    return PowerDesign(
        baseline=np.full(N, 3.0),
        dispersion=0.0,
        divisor=1.0,
        truth=lambda rng: truth,
        observe=lambda log_truth, rng: np.stack([np.exp(log_truth)] * 2, axis=-2),
    )


@pytest.fixture(scope="module")
def observed_design():
    return observed(X + 10.0)  # positive values; centred, the covariate is X


def test_simulated_power_matches_the_closed_form(observed_design):
    """A fully observed covariate and Poisson counts: the simulated power of the count model
    equals the Wald test's closed form within Monte Carlo error (the quasi-Poisson scale
    and t reference cost a little power at n = 100: a 0.02 allowance)."""
    design = observed_design
    effects = (0.75, 0.85, 1.0, 1.2, 1.35)
    curve = simulate_power(
        design, effects=effects, n_sims=600, n_draws=2, reference="nominal", seed=3, stop_at=1.1
    )
    for _, row in curve.iterrows():
        expected = closed_form_power(row["effect"]) if row["effect"] != 1 else 0.025
        se = np.sqrt(expected * (1 - expected) / row["n_sims"])
        assert abs(row["power"] - expected) <= 3 * se + 0.02, (
            row["effect"],
            row["power"],
            expected,
        )
    assert curve["power"].iloc[0] > 0.5 and curve["power"].iloc[-1] > 0.5


def test_simulated_reference_gives_the_nominal_size(observed_design):
    """Judged against datasets simulated without an effect, the power at effect 1 is the
    size: about alpha (two-sided, so about alpha / 2 on each planted side)."""
    design = observed_design
    curve = simulate_power(design, effects=(1.0,), n_sims=400, n_draws=2, seed=4)
    size = curve["power"].iloc[0]
    assert size <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 400)


def test_power_grows_with_the_effect_when_the_covariate_is_observed(observed_design):
    design = observed_design
    curve = simulate_power(design, n_sims=150, n_draws=2, seed=5)
    below = curve[curve["effect"] <= 1].sort_values("effect", ascending=False)["power"].dropna()
    assert below.is_monotonic_increasing or below.diff().min() > -0.1
    det = detectable_effect(curve)
    assert 0.6 < det["mde_below"].iloc[0] < 1 < det["mde_above"].iloc[0] < 1.6
    # reproducible by seed
    again = simulate_power(design, n_sims=150, n_draws=2, seed=5)
    pd.testing.assert_frame_equal(curve, again)


def test_detectable_effect_interpolates_on_the_log_scale_and_says_nan():
    curve = pd.DataFrame(
        {
            "finding": "count_model",
            "indicator": "x",
            "effect": [0.25, 0.5, 1.0, 2.0, 4.0],
            "power": [0.95, 0.6, 0.05, 0.3, 0.5],
            "mean_estimate": [0.3, 0.55, 1.0, 1.8, 3.5],
        }
    )
    out = detectable_effect(curve).iloc[0]
    # between 0.5 (0.6) and 0.25 (0.95): 0.8 is 4/7 of the way, on the log scale
    assert out["mde_below"] == pytest.approx(np.exp(np.log(0.5) + 4 / 7 * np.log(0.5)))
    assert out["estimate_below"] == pytest.approx(0.55 + 4 / 7 * (0.3 - 0.55))
    assert np.isnan(out["mde_above"]) and out["size"] == 0.05
    with pytest.raises(ArgumentError):
        detectable_effect(curve, power=1.5)


def test_dated_draws_keep_every_report_and_spread_spans():
    rng = np.random.default_rng(6)
    counts = np.array([0, 5, 0, 0, 7, 0, 0, 0, 3, 0], dtype=float)
    exact = dated_draws(counts, np.zeros(4, dtype=int), 50, rng)
    assert (exact == counts).all()
    spread = dated_draws(counts, np.array([2]), 4000, rng)
    # a report of month 4 dated to a 3-month span containing it lands in months 2..6
    interior = spread[:, 2:7].sum(axis=1)
    assert (spread.sum(axis=1) <= counts.sum()).all()
    assert interior.mean() > 7 and (spread[:, [0, 9]].sum(axis=1) <= 8).all()
    # reports of month 2 with 3-month spans: each span starts 0, 1 or 2 months earlier
    # (equally likely) and each draw picks a month of it: months 0..4 get 1/9, 2/9, 1/3,
    # 2/9, 1/9 of them
    inside = dated_draws(np.r_[0, 0, 9000, 0, 0], np.array([2]), 20, rng)
    assert (inside.sum(axis=1) == 9000).all()
    np.testing.assert_allclose(inside.mean(axis=0), 1000 * np.array([1, 2, 3, 2, 1]), rtol=0.03)


def test_baseline_course_recovers_the_dispersion():
    rng = np.random.default_rng(7)
    mu = np.repeat([2.0, 6.0, 3.0], 200)
    y = rng.negative_binomial(1 / 0.4, 1 / (1 + 0.4 * mu))
    course, k = baseline_course(y.astype(float), months=25)
    assert k == pytest.approx(0.4, abs=0.08)
    assert course[300] == pytest.approx(6.0, rel=0.15)


def test_effects_that_would_explode_the_counts_are_not_simulated():
    design = observed(10.0 * np.exp(3 * X))
    curve = simulate_power(design, effects=(0.1, 1.0), n_sims=20, n_draws=2, seed=8)
    assert np.isnan(curve.loc[curve["effect"] == 0.1, "power"]).all()
    assert (curve.loc[curve["effect"] == 0.1, "n_sims"] == 0).all()


@pytest.fixture(scope="module")
def battery():
    return run_battery(
        case="islamic-state", steps=["count_model", "ccf"], n_draws=40, n_null=39, n_power=30,
        pairs=["territory"],
    )  # fmt: skip


def test_the_battery_reports_the_mde_and_says_it(battery):
    rows = battery.summary.set_index("finding")
    for name, row in rows.iterrows():
        assert "power:" in row["caveat"], name
    curve = battery["count_model"].tables["power_count_model_territory"]
    assert list(curve.columns) == POWER_COLUMNS
    det = detectable_effect(curve).iloc[0]
    count_row = rows[rows.index.str.startswith("reports per month")].iloc[0]
    assert (np.isnan(count_row["mde"]) and np.isnan(det["mde_below"])) or (
        count_row["mde"] == pytest.approx(det["mde_below"])
    )
    # the size of the test on its own simulated design
    size = curve.loc[curve["effect"] == 1.0, "power"].iloc[0]
    assert size <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 30)


def test_power_curve_of_a_battery_and_without_power():
    b = run_battery(case="islamic-state", steps=["count_model"], n_draws=20, n_null=19,
                    n_power=0, pairs=["territory"])  # fmt: skip
    assert b.summary["mde"].isna().all()
    assert not any(k.startswith("power_") for k in b["count_model"].tables)
    curve = power_curve(b, "territory", effects=(0.5, 1.0), n_sims=10)
    assert list(curve["effect"]) == [0.5, 1.0] and curve["n_sims"].max() == 10
