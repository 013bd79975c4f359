"""Apply rules: survey events → bucketed survey counters, exactly once per invitation and response.

- ``survey.invited`` with ``reminder`` false counts one ``invited`` at its ``invited_at``, once per
  invitation id (a reminder is the same invitation; a re-published invitation under a new event id
  counts once too).
- ``survey.answered`` counts, once per response id, at ``answered_at``: each CSAT (1-5), NPS
  (0-10) and CES (1-7) answer, in the all-dimensions row (``dimension = ""``) and in the row of its
  question's dimension. ``rating`` answers carry no KPI. When the response carries ``invited_at``
  it also counts one ``answered`` at that ``invited_at`` (the invitation's bucket, so the response
  rate is attributed by invitation time), once per invitation id; a response without
  ``invited_at`` (a phone answer without an invitation) does not count towards the rate.
- ``survey.expired`` has no KPI effect (consumers.py does not route it here).

Like the ticket path: a batch is aggregated in memory, deduplicated against the ``kpi_counted_*``
claim tables with one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` per fact kind, and added to
``kpi_survey_aggregates`` with one set-based upsert (``col = col + excluded.col``) in key order.
A payload whose values cannot be counted (a CSAT of 9, a dimension that is not a slug, an
attribution longer than the columns) already fails validation against the event models of
csq_common.events, so the consumer runner isolates that event and dead-letters it before it gets
here. Nothing here commits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import DIMENSION_PATTERN, EventData, SurveyAnswered, SurveyAttribution, SurveyInvited
from csq_common.sql import add_to_counters, claim_new
from kpi_svc.aggregates.buckets import bucket_starts
from kpi_svc.aggregates.dimensions import grouping_keys, stored
from kpi_svc.aggregates.models import (
    ALL_DIMENSIONS,
    SURVEY_COUNTER_COLUMNS,
    CountedAnsweredInvitation,
    CountedInvitation,
    CountedResponse,
    SurveyAggregate,
)

#: A question dimension as the event contract defines it (csq_common.events.Dimension).
DIMENSION_SLUG = re.compile(DIMENSION_PATTERN)
DIMENSION_MAX = 50

SurveyRowKey = tuple[str, datetime, str, str, str, str]  # resolution, bucket_start, team, agent, channel, dimension
KEY_COLUMNS = ("resolution", "bucket_start", "team_id", "agent_id", "channel", "dimension")
_INDEX = {name: index for index, name in enumerate(SURVEY_COUNTER_COLUMNS)}


def is_dimension(value: str) -> bool:
    return len(value) <= DIMENSION_MAX and DIMENSION_SLUG.fullmatch(value) is not None


def answer_increments(kind: str, value: int) -> dict[str, int]:
    """The counter increments of one numeric answer (empty for types without a KPI)."""
    if kind == "csat":
        return {"csat_answers": 1, "csat_satisfied": int(value >= 4)}
    if kind == "nps":
        return {"nps_answers": 1, "nps_promoters": int(value >= 9), "nps_detractors": int(value <= 6)}
    if kind == "ces":
        return {"ces_answers": 1, "ces_sum": value}
    return {}


def _utc(ts: datetime) -> datetime:
    return ts.astimezone(timezone.utc)


class SurveyBatch:
    """In-memory increments of one batch, keyed by the rows they will be added to."""

    def __init__(self) -> None:
        self.counters: dict[SurveyRowKey, list[int]] = {}

    def add(self, at: datetime, who: SurveyAttribution, dimension: str, increments: dict[str, int]) -> None:
        positions = [(_INDEX[name], amount) for name, amount in increments.items() if amount]
        if not positions:
            return
        dims = grouping_keys(stored(who.team_id), stored(who.agent_id), stored(who.channel))
        for resolution, start in bucket_starts(_utc(at)):
            for team, agent, channel in dims:
                row = (resolution, start, team, agent, channel, dimension)
                counters = self.counters.get(row)
                if counters is None:
                    counters = self.counters[row] = [0] * len(SURVEY_COUNTER_COLUMNS)
                for index, amount in positions:
                    counters[index] += amount

    def add_invitation(self, event: SurveyInvited) -> None:
        self.add(event.invited_at, event, ALL_DIMENSIONS, {"invited": 1})

    def add_answered(self, event: SurveyAnswered) -> None:
        """Credit towards the response rate, in the bucket of the invitation's ``invited_at``."""
        assert event.invited_at is not None
        self.add(event.invited_at, event, ALL_DIMENSIONS, {"answered": 1})

    def add_answers(self, event: SurveyAnswered) -> None:
        for answer in event.answers:
            increments = answer_increments(answer.type, answer.value)
            self.add(event.answered_at, event, ALL_DIMENSIONS, increments)
            self.add(event.answered_at, event, answer.dimension, increments)


async def apply_survey_events(session: AsyncSession, events: Sequence[EventData]) -> None:
    """Count the invitations and responses among ``events`` not counted before (see module doc)."""
    invitations: dict[str, SurveyInvited] = {}
    responses: dict[str, SurveyAnswered] = {}
    for event in events:  # first occurrence in the batch wins, as it would across batches
        if isinstance(event, SurveyInvited):
            if not event.reminder:
                invitations.setdefault(event.invitation_id, event)
        elif isinstance(event, SurveyAnswered):
            responses.setdefault(event.response_id, event)

    new_invitations = await claim_new(session, CountedInvitation.__table__, ("invitation_id",), [(i,) for i in invitations])
    new_responses = await claim_new(session, CountedResponse.__table__, ("response_id",), [(r,) for r in responses])
    counted = [responses[r] for r in responses if (r,) in new_responses]
    # The response rate's "answered": once per invitation (a response without an invitation id but
    # with invited_at is credited on its response id alone).
    crediting: dict[str, SurveyAnswered] = {}
    for event in counted:
        if event.invited_at is not None and event.invitation_id is not None:
            crediting.setdefault(event.invitation_id, event)
    new_credits = await claim_new(
        session, CountedAnsweredInvitation.__table__, ("invitation_id",), [(i,) for i in crediting]
    )

    batch = SurveyBatch()
    for invitation_id, event in invitations.items():
        if (invitation_id,) in new_invitations:
            batch.add_invitation(event)
    for event in counted:
        batch.add_answers(event)
        if event.invited_at is None:
            continue
        if event.invitation_id is None or (
            (event.invitation_id,) in new_credits and crediting[event.invitation_id] is event
        ):
            batch.add_answered(event)
    await write(session, batch)


async def write(session: AsyncSession, batch: SurveyBatch) -> None:
    """Add the batch's increments to ``kpi_survey_aggregates`` (rows in key order, so concurrent
    consumer replicas lock rows in the same order and cannot deadlock)."""
    if not batch.counters:
        return
    rows = [(*row, *values) for row, values in sorted(batch.counters.items())]
    columns = (*KEY_COLUMNS, *SURVEY_COUNTER_COLUMNS)
    await add_to_counters(session, SurveyAggregate.__table__, columns, rows, added=SURVEY_COUNTER_COLUMNS)
