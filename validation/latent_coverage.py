"""Coverage of the latent series' monthly bands, at the bundled data's sparsity.

Run from the repository root::

    .venv/bin/python validation/latent_coverage.py            # full run (a few minutes)
    .venv/bin/python validation/latent_coverage.py --quick    # smoke run

For the bundled revenue and territory series (IHS Conflict Monitor), it keeps
the observation months, spans, ranges and bounds, simulates a true monthly path
and new figures on it, refits :func:`cftf_analysis.stats.latent.latent_from_observations`
with its defaults, and records how often the 50/80/90/95% bands cover the true
monthly value. Truths: the model's own process (trend SD drawn from its prior),
and misspecified ones (a logistic fall with AR(1) noise, an abrupt drop,
heavy-tailed and doubled producer errors). It also times ``.draws(1000)``.
Seeds are fixed; writes ``validation/results/latent_coverage.md``.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import signal

import cftf_analysis as cftf
from cftf_analysis.stats.latent import (
    DEFAULT_PRIOR_SCALE,
    DEFAULT_PRODUCER_ERROR,
    LatentSeries,
    latent_from_observations,
    latent_indicator,
    simulate_observations,
    simulate_trend_path,
)

LEVELS = (0.5, 0.8, 0.9, 0.95)
OUT = Path(__file__).parent / "results" / "latent_coverage.md"
PRODUCER = "IHS Conflict Monitor"
SEED = 20160418

Truth = Callable[[int, float, np.random.Generator], np.ndarray]


def model_truth(n: int, level: float, rng: np.random.Generator) -> np.ndarray:
    """The model's own process: trend SD from the half-normal prior, a random start slope."""
    sd = abs(rng.normal(0.0, DEFAULT_PRIOR_SCALE["smooth"]))
    return simulate_trend_path(n, trend_sd=sd, level=level, slope=rng.normal(-0.03, 0.03), rng=rng)


def ar1(n: int, phi: float, sd: float, rng: np.random.Generator) -> np.ndarray:
    """Stationary AR(1) with innovation SD ``sd`` (started from its stationary law)."""
    e = rng.normal(0.0, sd, n)
    e[0] /= np.sqrt(1 - phi**2)
    return signal.lfilter([1.0], [1.0, -phi], e)


def logistic_truth(n: int, level: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth logistic fall to 1/3-1/6 of the start, plus AR(1) noise (phi 0.8, sd 0.03)."""
    ratio = rng.uniform(3, 6)
    mid = rng.uniform(0.25 * n, 0.75 * n)
    width = rng.uniform(2, 6)
    t = np.arange(n)
    share = 1 / ratio + (1 - 1 / ratio) / (1 + np.exp((t - mid) / width))
    return level + np.log(share) + ar1(n, 0.8, 0.03, rng)


def step_truth(n: int, level: float, rng: np.random.Generator) -> np.ndarray:
    """A steady fall of 2-5% a month with an abrupt 35% drop in a random month."""
    t = np.arange(n)
    drop = rng.integers(3, n - 3)
    return level - rng.uniform(0.02, 0.05) * t + np.log(0.65) * (t >= drop)


def normal_errors(scale: float) -> Callable[[int, np.random.Generator], np.ndarray]:
    return lambda k, rng: rng.normal(0.0, scale, k)


def t3_errors(k: int, rng: np.random.Generator) -> np.ndarray:
    """Student t with 3 degrees of freedom, scaled to the default producer error's SD."""
    return DEFAULT_PRODUCER_ERROR * rng.standard_t(3, k) / np.sqrt(3.0)


SCENARIOS: dict[str, tuple[Truth, Callable[[int, np.random.Generator], np.ndarray]]] = {
    "model's own process": (model_truth, normal_errors(DEFAULT_PRODUCER_ERROR)),
    "logistic fall + AR(1) noise": (logistic_truth, normal_errors(DEFAULT_PRODUCER_ERROR)),
    "abrupt 35% drop": (step_truth, normal_errors(DEFAULT_PRODUCER_ERROR)),
    "model truth, t3 producer errors": (model_truth, t3_errors),
    "model truth, producer errors 2x assumed": (
        model_truth,
        normal_errors(2 * DEFAULT_PRODUCER_ERROR),
    ),
}


def coverage_run(
    base: LatentSeries,
    truth: Truth,
    errors: Callable[[int, np.random.Generator], np.ndarray],
    reps: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One row per replication: coverage share over all months and over unobserved months."""
    obs, months = base.observations, base.months
    level = float(np.log(obs["value"].iloc[0]))
    unobserved = ~base.monthly["observed"].to_numpy()
    rows = []
    for _ in range(reps):
        path = truth(len(months), level, rng)
        sim = simulate_observations(obs, path, months, errors=errors(len(obs), rng), rng=rng)
        fit = latent_from_observations(sim, start=months[0], end=months[-1])
        row = {}
        for level_ in LEVELS:
            band = fit.monthly_at(level_)
            inside = (band["ci_low"].to_numpy() <= np.exp(path)) & (
                np.exp(path) <= band["ci_high"].to_numpy()
            )
            row[f"all_{level_}"] = inside.mean()
            row[f"gap_{level_}"] = inside[unobserved].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def fmt(values: pd.Series) -> str:
    """Mean coverage with a 95% Monte Carlo interval across replications."""
    half = 1.96 * values.std(ddof=1) / np.sqrt(len(values))
    return f"{values.mean():.3f} [{values.mean() - half:.3f}, {values.mean() + half:.3f}]"


def draw_times(series: dict[str, LatentSeries]) -> list[str]:
    lines = []
    months = pd.date_range("2013-01-01", periods=60, freq="MS")
    rng = np.random.default_rng(SEED)
    idx = np.sort(rng.choice(60, 12, replace=False))
    idx[0], idx[-1] = 0, 59
    obs = pd.DataFrame(
        {
            "observation_id": [f"S{i}" for i in idx],
            "row_ids": [f"S{i}" for i in idx],
            "month_start": months[idx],
            "month_end": months[idx],
            "value": np.exp(4 - 0.02 * idx + rng.normal(0, 0.1, len(idx))),
            "low": np.nan,
            "high": np.nan,
            "bound": "none",
            "qualifier": "",
        }
    )
    series = {**series, "synthetic 60 months, 12 observations": latent_from_observations(obs)}
    for name, fit in series.items():
        fit.draws(1000, seed=0)
        times = []
        for seed in range(20):
            t0 = time.perf_counter()
            fit.draws(1000, seed=seed)
            times.append(time.perf_counter() - t0)
        lines.append(
            f"| {name} | {len(fit.months)} | {1000 * np.median(times):.1f} | "
            f"{1000 * max(times):.1f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 replications")
    args = parser.parse_args()
    reps_model, reps_other = (10, 10) if args.quick else (200, 80)
    t_start = time.perf_counter()
    indicators = cftf.load_indicators()
    series = {
        name: latent_indicator(indicators, name, producer=PRODUCER)
        for name in ("revenue_total", "territory")
    }
    results = []
    for s_index, (name, base) in enumerate(series.items()):
        for c_index, (scenario, (truth, errors)) in enumerate(SCENARIOS.items()):
            reps = reps_model if c_index == 0 else reps_other
            rng = np.random.default_rng([SEED, s_index, c_index])
            table = coverage_run(base, truth, errors, reps, rng)
            results.append((name, scenario, reps, table))
    # attribution: the same revenue months without the bound I005~level
    truth, errors = SCENARIOS["model's own process"]
    rng = np.random.default_rng([SEED, 9, 0])
    unbounded = series["revenue_total"].without("I005~level")
    table = coverage_run(unbounded, truth, errors, reps_model, rng)
    results.append(
        ("revenue_total", "model's own process, bound I005~level left out", reps_model, table)
    )
    lines = [
        "# Coverage of the latent monthly series (`latent_indicator`)",
        "",
        "Produced by `validation/latent_coverage.py`"
        + (" --quick (smoke run: too few replications to judge)" if args.quick else "")
        + ". Seeds are fixed.",
        "",
        "Each replication keeps the bundled observation months, spans, ranges and bounds of the",
        f"{PRODUCER} series, draws a true monthly path, simulates new figures on it (two-sided",
        "figures: true period average of the log plus a producer error; a bound: the true",
        "average plus or minus the absolute error, so it holds), refits the model with its",
        "defaults (smooth trend, producer error 0.1, trend SD integrated over its half-normal",
        "prior, hard bounds) and checks whether each month's equal-tailed band covers the true",
        "value. Shares are over all months of the series (and over the months without an",
        "observation); brackets are 95% Monte Carlo intervals across replications.",
        "",
        "Revenue: " + ", ".join(series["revenue_total"].observations["row_ids"]) + f" over "
        f"{len(series['revenue_total'].months)} months; territory: "
        + ", ".join(series["territory"].observations["row_ids"])
        + f" over {len(series['territory'].months)} months.",
        "",
    ]
    for name in series:
        lines += [
            f"## {name}",
            "",
            "| truth | reps | 50% band | 80% band | 90% band | 95% band | 90%, months without "
            "an observation |",
            "|---|---:|---|---|---|---|---|",
        ]
        for series_name, scenario, reps, table in results:
            if series_name != name:
                continue
            cells = " | ".join(fmt(table[f"all_{lv}"]) for lv in LEVELS)
            lines.append(f"| {scenario} | {reps} | {cells} | {fmt(table['gap_0.9'])} |")
        lines.append("")
    lines += [
        "## Time of `.draws(1000)`",
        "",
        "| series | months | median ms | max ms (20 runs) |",
        "|---|---:|---:|---:|",
        *draw_times(series),
        "",
        f"Total runtime {(time.perf_counter() - t_start) / 60:.1f} min on {platform.machine()} "
        f"(Python {platform.python_version()}), with other jobs on the same 2-core machine.",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
