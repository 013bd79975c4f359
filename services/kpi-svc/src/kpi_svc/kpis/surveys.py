"""Reads: survey KPIs over a window from ``kpi_survey_aggregates`` (never from per-answer rows).

The caller (kpis.service) builds, once per shape, the statement of the tiles' rows of the grouping
set that answers the team/agent/channel filters (the same tiling and grouping sets as the ticket
KPIs) with :func:`survey_statement`, which adds the question-dimension condition; this module sums
the integer counters and computes the rates.

- ``csat_pct`` = 100 × CSAT answers of 4 or 5 / CSAT answers
- ``nps`` = 100 × (promoters 9-10 − detractors 0-6) / NPS answers, −100…100
- ``ces_avg`` = CES sum / CES answers
- ``survey_response_pct`` = 100 × answered / invited, both by the invitation's ``invited_at``

With a ``dimension`` only the three answer KPIs are returned, read from that dimension's rows; the
response rate is not dimension-specific, so it comes only without one (from the ``""`` rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import InvalidInput
from csq_common.sql import fetch_prepared
from kpi_svc.aggregates.models import ALL_DIMENSIONS, SURVEY_COUNTER_COLUMNS, SurveyAggregate
from kpi_svc.aggregates.surveys import is_dimension


ANSWER_METRICS = ("csat_pct", "nps", "ces_avg")
SURVEY_METRICS = (*ANSWER_METRICS, "survey_response_pct")


def check_dimension(value: str | None) -> str | None:
    """The ``dimension`` filter (``None`` or ``""``: not filtered); 422 naming it if not a slug."""
    if not value:
        return None
    if not is_dimension(value):
        raise InvalidInput(
            "dimension",
            "must be a question dimension: attitude, response_speed, problem_solving, professionalism, overall "
            "or a custom lowercase slug (a-z first, then a-z, 0-9, _ or -; at most 50 characters)",
        )
    return value


def _ratio(numerator: int, denominator: int, scale: int = 1) -> float | None:
    """``scale × numerator / denominator`` rounded once to a float; None without observations."""
    return None if denominator == 0 else float(Fraction(numerator * scale, denominator))


def survey_statement(conditions: Sequence[ColumnElement[bool]], counters: Sequence[ColumnElement] = ()) -> Select:
    """The survey counters of the rows matching ``conditions`` and the ``dimension`` bind
    parameter: the SURVEY_COUNTER_COLUMNS, or ``counters``, expressions of them in that order."""
    table = SurveyAggregate.__table__
    return select(*(counters or [table.c[name] for name in SURVEY_COUNTER_COLUMNS])).where(
        *conditions, table.c.dimension == bindparam("dimension")
    )


async def survey_values(
    session: AsyncSession, statement: Select, params: dict, dimension: str | None = None
) -> tuple[dict[str, float | None], dict[str, int]]:
    """``(values, counts)`` of the survey KPIs over the rows of a :func:`survey_statement` with
    ``params``: all of them without ``dimension``, the answer KPIs of that dimension with one."""
    sums = [0] * len(SURVEY_COUNTER_COLUMNS)
    for row in await fetch_prepared(session, statement, {**params, "dimension": dimension or ALL_DIMENSIONS}):
        for index, amount in enumerate(row):
            sums[index] += amount
    return survey_values_of(dict(zip(SURVEY_COUNTER_COLUMNS, sums)), dimension)


def survey_values_of(c: dict[str, int], dimension: str | None = None) -> tuple[dict[str, float | None], dict[str, int]]:
    """``(values, counts)`` of the survey KPIs from summed counters (``{name: int}``,
    SURVEY_COUNTER_COLUMNS): the response rate too unless a question ``dimension`` is asked."""
    values: dict[str, float | None] = {
        "csat_pct": _ratio(c["csat_satisfied"], c["csat_answers"], 100),
        "nps": _ratio(c["nps_promoters"] - c["nps_detractors"], c["nps_answers"], 100),
        "ces_avg": _ratio(c["ces_sum"], c["ces_answers"]),
    }
    counts = {"csat_pct": c["csat_answers"], "nps": c["nps_answers"], "ces_avg": c["ces_answers"]}
    if dimension is None:
        values["survey_response_pct"] = _ratio(c["answered"], c["invited"], 100)
        counts["survey_response_pct"] = c["invited"]
    return values, counts
