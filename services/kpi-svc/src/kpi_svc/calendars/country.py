"""Public holidays and make-up working days of a country, from maintained offline libraries.

``holidays`` gives every supported country's public holidays (days off in lieu included);
``chinese_calendar`` adds, for China, the official make-up working days (调休) on weekends and the
days off it lists, for the years it covers. Both are pure data shipped with the packages, looked up
once per (country, year).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import chinese_calendar
import holidays


def is_supported(country: str) -> bool:
    return country in holidays.list_supported_countries()


@lru_cache(maxsize=512)
def country_days(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """``(days off, make-up working days)`` of ``country`` in ``year``."""
    days_off = set(holidays.country_holidays(country, years=year))
    working: set[date] = set()
    if country == "CN":
        first, last = date(year, 1, 1), date(year, 12, 31)
        try:
            days_off.update(chinese_calendar.get_holidays(first, last, include_weekends=False))
            working = {day for day in chinese_calendar.get_workdays(first, last) if day.weekday() >= 5}
        except NotImplementedError:  # a year the library has no official schedule for yet
            pass
    return frozenset(days_off - working), frozenset(working)
