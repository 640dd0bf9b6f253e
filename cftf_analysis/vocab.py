"""Controlled vocabularies of the raw data format.

These tuples are the single source of truth for the codes that
``data/raw/`` may use; the loaders reject anything else, and
``data/raw/datapackage.json`` lists the same values (a test keeps the two
in step). See ``data/raw/README.md`` for what each code means.
"""

from __future__ import annotations

from cftf_analysis.options import EventCategory, allowed_values

__all__ = [
    "CHANGE_UNITS",
    "EVENT_CATEGORIES",
    "GENDERS",
    "INDICATORS",
    "MOTIVES",
    "OUTCOMES",
    "QUALIFIERS",
    "UNITS",
]

#: Indicator names (``indicators.csv`` column ``indicator``).
INDICATORS: tuple[str, ...] = (
    "revenue_total",
    "revenue_oil",
    "revenue_tax",
    "revenue_ransom",
    "revenue_looting",
    "revenue_antiquities",
    "budget_total",
    "bank_looting",
    "cash_destroyed",
    "revenue_share_oil",
    "revenue_share_tax",
    "revenue_share_looting",
    "oil_production",
    "oil_capacity",
    "territory",
    "population",
    "fighters",
    "foreign_fighter_inflow",
    "fighter_salary",
    "fighter_allowance",
    "defectors_public",
    "deserters_executed",
)

_FLOW_UNITS = tuple(
    f"USD{mult} per {per}"
    for mult in ("", " million", " billion")
    for per in ("day", "week", "month", "year")
)

#: Units (``indicators.csv`` column ``unit``).
UNITS: tuple[str, ...] = (
    *_FLOW_UNITS,
    "USD",
    "USD million",
    "USD billion",
    "barrels per day",
    "km2",
    "km2 change",
    "people",
    "million people",
    "fighters",
    "fighters per month",
    "percent change",
    "percent of total",
    "percent of territory",
    "count",
)

#: Units that describe a change against ``baseline_period`` rather than a level.
CHANGE_UNITS: tuple[str, ...] = ("percent change", "km2 change")

#: Hedges on a figure (``indicators.csv`` column ``qualifier``; empty = none).
QUALIFIERS: tuple[str, ...] = (
    "approx",
    "at_least",
    "at_most",
    "peak",
    "average",
    "claimed",
    "projected",
)

#: Event categories (``events.csv`` column ``category``).
EVENT_CATEGORIES: tuple[str, ...] = allowed_values(EventCategory)

#: Report outcomes (``defection_reports.csv`` column ``outcome``).
OUTCOMES: tuple[str, ...] = ("fled", "captured", "surrendered", "executed", "unknown")

#: Gender codes (``defection_reports.csv`` column ``gender``).
GENDERS: tuple[str, ...] = ("m", "f", "unknown")

#: Motive codes; the raw columns are ``motive_<name>`` with 0/1 values.
MOTIVES: tuple[str, ...] = (
    "financial",
    "corruption",
    "violence",
    "ideology",
    "living_conditions",
    "joined_for_money",
)
