"""Appraisal periods: a calendar month (``2026-11``) or quarter (``2026-Q4``) of a time zone, as
a UTC window ``[start, end)`` from local midnight to local midnight."""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

from csq_common.errors import InvalidInput
from kpi_svc.read.zones import day_start

MONTH = "month"
QUARTER = "quarter"
PERIODS = (MONTH, QUARTER)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def first_and_next_month(kind: str, text: str) -> tuple[date, date]:
    """The first day of the period ``text`` (of ``kind``) and the first day after it; 422 naming
    ``period`` when the text is not a period of that kind."""
    pattern, example = (_MONTH, "2026-11") if kind == MONTH else (_QUARTER, "2026-Q4")
    found = pattern.match(text)
    if found is None or not 2000 <= int(found.group(1)) <= 2999:
        raise InvalidInput("period", f"must be a {kind} such as {example} (the rule's period is a {kind})")
    year, number = int(found.group(1)), int(found.group(2))
    month = number if kind == MONTH else 3 * number - 2
    months = 1 if kind == MONTH else 3
    following = month + months
    return date(year, month, 1), date(year + (following - 1) // 12, (following - 1) % 12 + 1, 1)


def window(kind: str, text: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC of the period ``text`` on the wall clock of ``tz``."""
    first, following = first_and_next_month(kind, text)
    return day_start(first, tz), day_start(following, tz)
