"""Write a complete, invented case: a fictional armed group with a planted effect.

The "Northern Valley Front" does not exist. This script invents, with a fixed
seed, everything a case needs, in the package's raw format:

- ``indicators.csv``: the group's monthly revenue as estimated by a fictional
  monitor (a level every two or three months, some as quarter averages or
  ranges, one a "more than" bound) and by a second producer (annual totals,
  kept apart); territory held as a second series;
- ``defection_reports.csv``: public defector reports whose monthly rate rises
  when revenue falls, with a **planted rate ratio of 0.6 per USD 10 million a
  month** (:data:`PLANTED_RATE_RATIO`): a fall of USD 10 million a month
  multiplies the expected number of reports by 1 / 0.6;
- ``events.csv``: a few dated finance and military events;
- ``case.toml``: the case file that ties them together.

Revenue falls in 2021 and partly recovers in 2023, so it is not a straight
line in time and the count model's trend term cannot absorb the effect.

Run ``python examples/fictional-group/make_case.py [OUT_DIR]`` (default: this
script's folder), then ``cftf-analysis report --case OUT_DIR/case.toml``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

#: Rate ratio of monthly reports per USD 10 million a month of revenue.
PLANTED_RATE_RATIO = 0.6
SEED = 20240917
MONTHS = pd.date_range("2019-01-01", "2023-12-01", freq="MS")
GROUP = "Northern Valley Front"
MONITOR = "Valley Monitoring Group"
SECOND = "Crossroads Institute"
URL = "https://example.org/fictional"


def revenue_path() -> np.ndarray:
    """True monthly revenue (USD million): flat, a fall in 2021, a partial recovery."""
    t = np.arange(len(MONTHS))
    fall = 1 / (1 + np.exp(-(t - 27) / 2.0))  # centred on April 2021
    recovery = 1 / (1 + np.exp(-(t - 50) / 2.5))  # centred on March 2023
    return 38.0 - 24.0 * fall + 10.0 * recovery


def territory_path() -> np.ndarray:
    """True territory held (km2): steady, then a third lost during 2022."""
    t = np.arange(len(MONTHS))
    return 21_000.0 - 7_000.0 / (1 + np.exp(-(t - 42) / 3.0))


def indicators(rng: np.random.Generator, revenue: np.ndarray) -> pd.DataFrame:
    rows = []

    def add(**row):
        rows.append(
            {
                "indicator_id": f"N{len(rows) + 1:03d}",
                "scope": "total",
                "value": "",
                "low": "",
                "high": "",
                "qualifier": "",
                "baseline_period": "",
                "via": "",
                "url": f"{URL}/indicators/{len(rows) + 1}",
                "unit_as_reported": "",
                "note": "Invented figure for the worked example.",
                **row,
            }
        )

    for i in range(0, len(MONTHS), 3):
        month = MONTHS[i]
        true = revenue[i]
        published = (month + pd.offsets.MonthEnd(2)).strftime("%Y-%m-%d")
        kind = i // 3 % 5
        est = true * np.exp(rng.normal(0, 0.05))
        if kind == 3:  # a quarter average
            q = (month.month - 1) // 3 + 1
            period = f"{month.year}-Q{q}"
            est = revenue[i : i + 3].mean() * np.exp(rng.normal(0, 0.05))
            value = {"value": f"{est:.1f}", "qualifier": "average"}
        elif kind == 4:  # a range
            value = {"low": f"{est * 0.85:.1f}", "high": f"{est * 1.15:.1f}"}
            period = month.strftime("%Y-%m")
        else:
            value = {"value": f"{est:.1f}", "qualifier": "approx" if kind == 1 else ""}
            period = month.strftime("%Y-%m")
        add(
            indicator="revenue_total",
            unit="USD million per month",
            period=period,
            published=published,
            source_org=MONITOR,
            **value,
        )
    # a one-sided bound: "more than" the true value less a margin
    add(
        indicator="revenue_total",
        unit="USD million per month",
        value=f"{revenue[44] * 0.8:.1f}",
        qualifier="at_least",
        period=MONTHS[44].strftime("%Y-%m"),
        published=(MONTHS[44] + pd.offsets.MonthEnd(1)).strftime("%Y-%m-%d"),
        source_org=f"{MONITOR} (press briefing)",
    )
    # another producer's annual totals, on another definition: kept apart
    for year in range(2019, 2024):
        total = revenue[MONTHS.year == year].sum() * 1.6
        add(
            indicator="revenue_total",
            unit="USD million per year",
            value=f"{total:.0f}",
            qualifier="approx",
            period=str(year),
            published=f"{year + 1}-03-15",
            source_org=SECOND,
        )
    territory = territory_path()
    for i in range(0, len(MONTHS), 6):
        add(
            indicator="territory",
            unit="km2",
            value=f"{territory[i] * np.exp(rng.normal(0, 0.02)):.0f}",
            period=MONTHS[i].strftime("%Y-%m"),
            published=(MONTHS[i] + pd.offsets.MonthEnd(1)).strftime("%Y-%m-%d"),
            source_org=MONITOR,
        )
    # a user indicator declared in the case file: checkpoint taxes
    for i in range(0, len(MONTHS), 12):
        add(
            indicator="revenue_checkpoints",
            unit="USD million per month",
            value=f"{revenue[i] * 0.3:.1f}",
            period=MONTHS[i].strftime("%Y-%m"),
            published=(MONTHS[i] + pd.offsets.MonthEnd(2)).strftime("%Y-%m-%d"),
            source_org=MONITOR,
        )
    columns = [
        "indicator_id", "indicator", "scope", "value", "low", "high", "unit", "qualifier",
        "period", "baseline_period", "published", "source_org", "via", "url",
        "unit_as_reported", "note",
    ]  # fmt: skip
    return pd.DataFrame(rows)[columns]


def reports(rng: np.random.Generator, revenue: np.ndarray) -> pd.DataFrame:
    """Reports whose monthly rate is exp(a + log(0.6) * revenue / 10)."""
    rate = np.exp(np.log(2.5) + np.log(PLANTED_RATE_RATIO) * (revenue - revenue.mean()) / 10.0)
    counts = rng.poisson(rate)
    rows = []
    for month, n in zip(MONTHS, counts, strict=True):
        for _ in range(n):
            day = month + pd.Timedelta(days=int(rng.integers(0, month.days_in_month)))
            precise = rng.random() < 0.8
            motives = rng.random(6) < [0.15, 0.05, 0.35, 0.3, 0.2, 0.05]
            rows.append(
                {
                    "report_id": f"F{len(rows) + 1:04d}",
                    "published": day.strftime("%Y-%m-%d") if precise else day.strftime("%Y-%m"),
                    "outlet": rng.choice(["Valley Daily", "Radio Kestral", "Plains Herald"]),
                    "via": "",
                    "url": f"{URL}/reports/{len(rows) + 1}",
                    "defector_alias": "unnamed fighter"
                    if rng.random() < 0.7
                    else f"fighter {len(rows) + 1}",
                    "group_size": "1" if rng.random() < 0.7 else str(int(rng.integers(2, 20))),
                    "gender": "m",
                    "origin": "Kestral province",
                    "role": "fighter",
                    "defection_date": "",
                    **{
                        f"motive_{m}": str(int(flag))
                        for m, flag in zip(
                            (
                                "financial",
                                "corruption",
                                "violence",
                                "ideology",
                                "living_conditions",
                                "joined_for_money",
                            ),
                            motives,
                            strict=True,
                        )
                    },
                    "outcome": rng.choice(["fled", "surrendered"]),
                    "summary": "Invented report for the worked example.",
                    "date_note": "",
                    "collection": rng.choice(["sweep-monthly", "tips"], p=[0.6, 0.4]),
                }
            )
    return pd.DataFrame(rows)


def events() -> pd.DataFrame:
    rows = [
        ("V001", "2019-06-10", "Army offensive in the eastern valley begins", "military"),
        ("V002", "2020-11-03", "Donor funds held at a border exchange are frozen", "finance"),
        ("V003", "2021-02-15", "Sanctions name the group's main tax collectors", "finance"),
        ("V004", "2021-04", "Checkpoint revenue falls as the river crossing closes", "finance"),
        ("V005", "2021-09-20", "Amnesty offered to fighters who surrender", "defection"),
        ("V006", "2022-07-01", "The group retakes two market towns", "military"),
        ("V007", "2023-03-01", "Cross-border trade reopens", "finance"),
    ]  # fmt: skip
    return pd.DataFrame(
        [
            {
                "event_id": eid,
                "date": date,
                "event": text,
                "category": cat,
                "scope": "Kestral province",
                "source_org": "Invented for the worked example",
                "url": f"{URL}/events/{eid}",
                "note": "",
            }
            for eid, date, text, cat in rows
        ]
    )


CASE_TOML = f"""# An invented case: a worked example of a case file (see make_case.py).
[case]
id = "northern-valley-front"
name = "{GROUP} (invented), 2019-2023"
group = "{GROUP}"
aliases = ["NVF"]
description = "an invented group with a planted effect of revenue on defection reporting"
question = "Does the {GROUP}'s loss of revenue precede defection reporting? (invented data)"

[data]
reports = "defection_reports.csv"
indicators = "indicators.csv"
events = "events.csv"

[series.revenue]
indicator = "revenue_total"
producer = "{MONITOR}"
label = "Revenue"

[series.territory]
indicator = "territory"
producer = "{MONITOR}"
label = "Territory"

[producers]
"{MONITOR} (press briefing)" = "{MONITOR}"

[indicators.revenue_checkpoints]
unit = "USD million per month"
description = "taxes collected at checkpoints"

[collection]
uniform = ["sweep-monthly"]
leads = ["tips"]

[collection.codes]
sweep-monthly = "found by a fixed search of each month"
tips = "found by following tips"

[events]
major = ["V001", "V006"]

[caveats]
reporting = "counts are of invented reports"
shared = ["Every row of this case is invented for the worked example."]

[sources]
reports = "Defection reports: invented for the worked example."
indicators = "Revenue and territory: invented estimates of a fictional monitor."
events = "Events: invented."
"""


def main(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    revenue = revenue_path()
    out.mkdir(parents=True, exist_ok=True)
    indicators(rng, revenue).to_csv(out / "indicators.csv", index=False, lineterminator="\n")
    reports(rng, revenue).to_csv(out / "defection_reports.csv", index=False, lineterminator="\n")
    events().to_csv(out / "events.csv", index=False, lineterminator="\n")
    (out / "case.toml").write_text(CASE_TOML, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
