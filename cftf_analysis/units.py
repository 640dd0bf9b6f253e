"""Unit normalisation for financial and territorial indicators.

Each raw unit maps to a *measure* and a canonical unit, with the factor that
converts a raw number into the canonical unit:

================  ==========================  =========================================
measure           canonical unit              raw units
================  ==========================  =========================================
level (flow)      USD per month               USD [million|billion] per day/week/month/year
cumulative        USD                         USD, USD million, USD billion
level             barrels per day             barrels per day
level             km2                         km2
level             people                      people, million people
level             fighters                    fighters
level             fighters per month          fighters per month
level             count                       count
share             percent of total            percent of total
share             percent of territory        percent of territory
percent_change    percent change              percent change
absolute_change   km2 change                  km2 change
================  ==========================  =========================================

A day is 1/30.4375 of a month and a week 7 days (a month is 365.25 / 12 days),
so ``USD 1 million per day`` is ``USD 30,437,500 per month``; a year is 12 months.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["DAYS_PER_MONTH", "UNIT_RULES", "UnitRule", "unit_rule"]

#: Mean days in a Gregorian month, used for per-day and per-week conversions.
DAYS_PER_MONTH = 365.25 / 12


class UnitRule(NamedTuple):
    """How one raw unit converts: ``canonical = raw * factor``."""

    measure: str
    unit: str
    factor: float


_MULTIPLIER = {"": 1.0, " million": 1e6, " billion": 1e9}
_PER_MONTH = {"day": DAYS_PER_MONTH, "week": DAYS_PER_MONTH / 7, "month": 1.0, "year": 1 / 12}


def _build() -> dict[str, UnitRule]:
    rules: dict[str, UnitRule] = {}
    for mult_name, mult in _MULTIPLIER.items():
        for per, per_factor in _PER_MONTH.items():
            rules[f"USD{mult_name} per {per}"] = UnitRule(
                "level", "USD per month", mult * per_factor
            )
        rules[f"USD{mult_name}"] = UnitRule("cumulative", "USD", mult)
    rules.update(
        {
            "barrels per day": UnitRule("level", "barrels per day", 1.0),
            "km2": UnitRule("level", "km2", 1.0),
            "people": UnitRule("level", "people", 1.0),
            "million people": UnitRule("level", "people", 1e6),
            "fighters": UnitRule("level", "fighters", 1.0),
            "fighters per month": UnitRule("level", "fighters per month", 1.0),
            "count": UnitRule("level", "count", 1.0),
            "percent of total": UnitRule("share", "percent of total", 1.0),
            "percent of territory": UnitRule("share", "percent of territory", 1.0),
            "percent change": UnitRule("percent_change", "percent change", 1.0),
            "km2 change": UnitRule("absolute_change", "km2 change", 1.0),
        }
    )
    return rules


#: Every allowed raw unit and its conversion rule.
UNIT_RULES: dict[str, UnitRule] = _build()


def unit_rule(unit: str) -> UnitRule:
    """Return the conversion rule of a raw unit.

    Examples
    --------
    >>> unit_rule("USD million per day")
    UnitRule(measure='level', unit='USD per month', factor=30437500.0)
    >>> unit_rule("USD billion per year").factor
    83333333.33333333
    """
    return UNIT_RULES[unit]
