"""Apply rules: feedback, QA reviews, automatic QA and calls → bucketed counters (voice/models.py).

- ``feedback.received``: a complaint counts one ``complaints``, a praise one ``praise``, at
  ``received_at``, once per feedback id, in the feedback's own channel (``hotline``,
  ``ecommerce_review``…, stored as it comes). Suggestions and enquiries carry no KPI.
- ``feedback.resolved`` of a complaint: one resolution (``resolved_at − received_at``) at
  ``resolved_at``, in the channel its ``feedback.received`` came by (``""`` until that is seen:
  a resolution counted first moves to the complaint's channel when it arrives). One resolution per complaint is counted: a later ``resolved_at`` replaces it; the
  customer answering "not resolved" (``customer_confirmed`` false) withdraws it until the next.
- ``feedback.reclassified``: a reviewer's correction moves the item's count (and resolution) from
  its previous kind to the new one in the same buckets, once (voice/reclass.py); a resolution
  counts while the item is a complaint as last corrected.
- ``audit.completed``: the review's latest ``version`` replaces the earlier one (its old
  contribution subtracted, the new one added; an older version arriving late changes nothing). A
  review counts at ``reviewed_at`` only if ``counts_for_agent``: one review, failed if
  ``failed_critical``, and its score if it has one (all N/A: in the fail rate, not in the mean).
- ``audit.auto_scored``: the ticket's highest ``ruleset_version`` replaces the earlier score, at
  ``closed_at``: the score, and per check one checked and passed if it passed.
- ``call.completed``: inbound calls, once per call id, at ``offered_at`` in channel ``phone``:
  offered; answered (``answered_at`` set, its wait ``answered_at − offered_at``, and within the
  service level if that wait is at most the threshold) or abandoned. Outbound calls are not offered.

As on the survey path, a batch is summed in memory, deduplicated through the claim tables and
added with one set-based upsert per table in key order. Payloads were already validated against
csq_common.events (a bad one raised in consumers.py and was dead-lettered). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import numpy as np
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import (
    AuditAutoScored,
    AuditCompleted,
    CallCompleted,
    FeedbackReceived,
    FeedbackReclassified,
    FeedbackResolved,
)
from csq_common.sql import add_columns_to_counters, add_to_counters, claim_new, rows_by_keys
from kpi_svc.aggregates.buckets import Q15, bucket_starts, floor_to
from kpi_svc.aggregates.dimensions import UNIFORM, grouping_keys, stored
from kpi_svc.aggregates.fold import KEY_COLUMNS, fold
from kpi_svc.voice.models import (
    AUTOQA_COUNTER_COLUMNS,
    CALL_COUNTER_COLUMNS,
    FEEDBACK_COUNTER_COLUMNS,
    OVERALL,
    QA_COUNTER_COLUMNS,
    AutoQaAggregate,
    CallAggregate,
    CountedCall,
    CountedFeedback,
    FeedbackAggregate,
    QaAggregate,
    ReplacedFact,
)

PHONE = "phone"
DEFAULT_SERVICE_LEVEL = timedelta(seconds=20)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICRO = 1_000_000

REVIEW, AUTOQA, RESOLUTION = "review", "autoqa", "resolution"
#: Which counter table each replaceable family adds to.
FAMILY_TABLE = {REVIEW: QaAggregate, AUTOQA: AutoQaAggregate, RESOLUTION: FeedbackAggregate}


def micros(delta: timedelta) -> int:
    """A duration in whole microseconds (exact: a timedelta is whole microseconds)."""
    return delta // timedelta(microseconds=1)


def score_micro(score: float) -> int:
    """A score in millionths of a point (scores are given with a few decimals at most)."""
    return round(Fraction(score) * MICRO)


Amounts = dict[tuple[str, str], int]  # (check, column) → amount; check "" outside automatic QA


@dataclass(frozen=True)
class Contribution:
    """What one fact adds: its bucket time, its stored dimensions and its amounts."""

    at: datetime
    team: str
    agent: str
    channel: str
    amounts: Amounts


class CounterBatch:
    """In-memory increments of one batch for one counter table.

    Contributions are summed per finest cell (15-minute bucket, team, agent, channel[, check])
    and spread to every resolution and grouping set once per cell when the batch is written:
    many facts of a batch share a cell, and each cell goes to twenty rows."""

    def __init__(self, model, columns: Sequence[str], checked: bool = False) -> None:
        self.table: Table = model.__table__
        self.columns = tuple(columns)
        self.checked = checked
        self.index = {name: position for position, name in enumerate(columns)}
        self.finest: dict[tuple, list[int]] = {}

    def add(self, contribution: Contribution, sign: int = 1) -> None:
        cell = (floor_to(contribution.at, Q15), contribution.team, contribution.agent, contribution.channel)
        for (check, column), amount in contribution.amounts.items():
            if not amount:
                continue
            key = (*cell, check) if self.checked else cell
            counters = self.finest.get(key)
            if counters is None:
                counters = self.finest[key] = [0] * len(self.columns)
            counters[self.index[column]] += sign * amount

    def rows(self) -> dict[tuple, list[int]]:
        """The increments of every stored row: ``(resolution, bucket_start, team, agent, channel[,
        check]) → counters``."""
        rows: dict[tuple, list[int]] = {}
        for (quarter, team, agent, channel, *check), values in self.finest.items():
            dims_of_cell = grouping_keys(team, agent, channel)
            for resolution, start in bucket_starts(quarter):
                for dims in dims_of_cell:
                    row = (resolution, start, *dims, *check)
                    totals = rows.get(row)
                    if totals is None:
                        rows[row] = values.copy()
                    else:
                        rows[row] = [total + amount for total, amount in zip(totals, values)]
        return rows

    async def write(self, session: AsyncSession) -> None:
        """Add the batch to the stored rows, in primary-key order; rows it leaves unchanged (a count
        moved away and back) are not written."""
        if self.checked:
            keys = ("resolution", "bucket_start", "team_id", "agent_id", "channel", "check_name")
            rows = [(*row, *values) for row, values in sorted(self.rows().items()) if any(values)]
            await add_to_counters(session, self.table, (*keys, *self.columns), rows, added=self.columns)
        elif self.finest:
            await add_columns_to_counters(
                session, self.table, (*KEY_COLUMNS, *self.columns), self.folded_columns(), added=self.columns
            )

    def folded_columns(self) -> list[list]:
        """:meth:`rows` of a batch without checks, folded with numpy (aggregates.fold) and given
        column by column in primary-key order (resolution, team, agent, channel, bucket), all-zero
        rows left out."""
        quarters, teams, agents, channels = zip(*self.finest)
        counters = np.array(list(self.finest.values()), dtype=np.int64)
        folded = fold(quarters, teams, agents, channels, counters, (), layout=UNIFORM)
        kept = np.flatnonzero(folded.counters.any(axis=1)).tolist()
        key_columns = [list(column) for column in zip(*(folded.keys[index] for index in kept))] or [[] for _ in KEY_COLUMNS]
        return key_columns + folded.counters[kept].T.tolist()


# ---- amounts stored with a replaceable fact ---------------------------------------------------------

def encode(amounts: Amounts) -> str:
    return ",".join(f"{check}:{column}={amount}" for (check, column), amount in sorted(amounts.items()))


def decode(text: str) -> Amounts:
    out: Amounts = {}
    for item in filter(None, text.split(",")):
        key, amount = item.rsplit("=", 1)
        check, column = key.split(":", 1)
        out[(check, column)] = int(amount)
    return out


def _at_us(at: datetime) -> int:
    return micros(at - EPOCH)


def _from_us(at_us: int) -> datetime:
    return EPOCH + timedelta(microseconds=at_us)


async def replace_latest(
    session: AsyncSession, family: str, latest: dict[str, tuple[int, Contribution]], batch: CounterBatch
) -> None:
    """For each fact id of ``family`` whose ``(version, contribution)`` is newer than the one
    stored: subtract the stored contribution, add the new one, store it. Facts are partitioned by
    their id on the topic, so one consumer at a time handles a given fact."""
    if not latest:
        return
    table = ReplacedFact.__table__
    value_columns = ("version", "at_us", "team_id", "agent_id", "channel", "amounts")
    known = await rows_by_keys(session, table, ("family", "fact_id"), value_columns, [(family, key) for key in latest])
    upserts = []
    for fact_id, (version, new) in latest.items():
        old = known.get((family, fact_id))
        if old is not None:
            old_version, at_us, team, agent, channel, amounts = old
            if old_version >= version:
                continue
            batch.add(Contribution(_from_us(at_us), team, agent, channel, decode(amounts)), sign=-1)
        batch.add(new)
        upserts.append((family, fact_id, version, _at_us(new.at), new.team, new.agent, new.channel, encode(new.amounts)))
    await add_to_counters(
        session, table, ("family", "fact_id", *value_columns), sorted(upserts), added=(), replaced=value_columns
    )


async def move_to_channels(session: AsyncSession, family: str, channels: dict[str, str], batch: CounterBatch) -> None:
    """Move the stored contributions of ``family`` facts to the channel now known for them (a
    complaint's resolution counted before its ``feedback.received`` was seen, as in a replay out of
    order): subtracted from the old channel, added to the new one, the version kept."""
    if not channels:
        return
    table = ReplacedFact.__table__
    value_columns = ("version", "at_us", "team_id", "agent_id", "channel", "amounts")
    known = await rows_by_keys(session, table, ("family", "fact_id"), value_columns, [(family, key) for key in channels])
    upserts = []
    for (_, fact_id), (version, at_us, team, agent, channel, amounts) in known.items():
        if channel == channels[fact_id]:
            continue
        moved = decode(amounts)
        batch.add(Contribution(_from_us(at_us), team, agent, channel, moved), sign=-1)
        batch.add(Contribution(_from_us(at_us), team, agent, channels[fact_id], moved))
        upserts.append((family, fact_id, version, at_us, team, agent, channels[fact_id], amounts))
    await add_to_counters(
        session, table, ("family", "fact_id", *value_columns), sorted(upserts), added=(), replaced=value_columns
    )


def _newest(items: Iterable[tuple[str, int, Contribution]]) -> dict[str, tuple[int, Contribution]]:
    """Per fact id, the highest version in the batch (the first of equal ones)."""
    out: dict[str, tuple[int, Contribution]] = {}
    for fact_id, version, contribution in items:
        if fact_id not in out or version > out[fact_id][0]:
            out[fact_id] = (version, contribution)
    return out


def _utc(at: datetime) -> datetime:
    return at.astimezone(timezone.utc)


# ---- the families -----------------------------------------------------------------------------------

def review_contribution(event: AuditCompleted) -> Contribution:
    amounts: Amounts = {}
    if event.counts_for_agent:
        amounts = {("", "reviews"): 1, ("", "reviews_failed"): int(event.failed_critical)}
        if event.score is not None:
            amounts[("", "reviews_scored")] = 1
            amounts[("", "review_score_sum_micro")] = score_micro(event.score)
    return Contribution(_utc(event.reviewed_at), stored(event.team_id), stored(event.agent_id), stored(event.channel), amounts)


def autoqa_contribution(event: AuditAutoScored) -> Contribution:
    amounts: Amounts = {(OVERALL, "scored"): 1, (OVERALL, "score_sum_micro"): score_micro(event.score)}
    for check in event.checks:
        amounts[(check.check, "checked")] = amounts.get((check.check, "checked"), 0) + 1
        amounts[(check.check, "passed")] = amounts.get((check.check, "passed"), 0) + int(check.passed)
    return Contribution(_utc(event.closed_at), stored(event.team_id), stored(event.agent_id), stored(event.channel), amounts)


def resolution_version(event: FeedbackResolved) -> int:
    """Later resolutions replace earlier ones; at one ``resolved_at`` the customer's "not resolved"
    comes after the staff's resolution and its confirmation."""
    return _at_us(_utc(event.resolved_at)) * 2 + int(event.customer_confirmed is False)


def resolution_contribution(event: FeedbackResolved, channel: str) -> Contribution:
    amounts: Amounts = {}
    if event.customer_confirmed is not False:
        seconds = max(micros(event.resolved_at - event.received_at), 0)
        amounts = {("", "complaints_resolved"): 1, ("", "complaint_resolution_sum_us"): seconds}
    return Contribution(_utc(event.resolved_at), stored(event.team_id), stored(event.agent_id), channel, amounts)


async def apply_voice_events(
    session: AsyncSession, events: Sequence, *, service_level: timedelta = DEFAULT_SERVICE_LEVEL
) -> None:
    """Count the feedback, review, automatic QA and call events among ``events`` (module doc)."""
    received: dict[str, FeedbackReceived] = {}
    resolved: list[FeedbackResolved] = []
    reclassified: list[FeedbackReclassified] = []
    reviews: list[AuditCompleted] = []
    autoqa: list[AuditAutoScored] = []
    calls: dict[str, CallCompleted] = {}
    for event in events:
        if isinstance(event, FeedbackReceived):
            if event.kind in ("complaint", "praise"):
                received.setdefault(event.feedback_id, event)
        elif isinstance(event, FeedbackResolved):
            resolved.append(event)
        elif isinstance(event, FeedbackReclassified):
            reclassified.append(event)
        elif isinstance(event, AuditCompleted):
            reviews.append(event)
        elif isinstance(event, AuditAutoScored):
            autoqa.append(event)
        elif isinstance(event, CallCompleted):
            if event.direction == "inbound":
                calls.setdefault(event.call_id, event)

    feedback = CounterBatch(FeedbackAggregate, FEEDBACK_COUNTER_COLUMNS)
    new_feedback = await claim_new(
        session, CountedFeedback.__table__, ("feedback_id", "kind", "channel"),
        [(key, event.kind, stored(event.channel)) for key, event in received.items()],
    )
    for key, event in received.items():
        if (key,) in new_feedback:
            column = "complaints" if event.kind == "complaint" else "praise"
            feedback.add(Contribution(
                _utc(event.received_at), stored(event.team_id), stored(event.agent_id), stored(event.channel), {("", column): 1}
            ))
    await move_to_channels(session, RESOLUTION, {
        key: stored(event.channel) for key, event in received.items() if (key,) in new_feedback and event.kind == "complaint"
    }, feedback)
    from kpi_svc.voice import reclass  # it builds on this module's helpers

    await reclass.apply_reclassifications(session, reclassified, feedback)
    if resolved:
        channels = await rows_by_keys(
            session, CountedFeedback.__table__, ("feedback_id",), ("channel",), {(event.feedback_id,) for event in resolved}
        )
        # counted while the item is a complaint (as last corrected, else as the event says), else held
        corrected = await reclass.complaint_now(session, (event.feedback_id for event in resolved))
        held = CounterBatch(FeedbackAggregate, FEEDBACK_COUNTER_COLUMNS)  # never written
        for family, batch in ((RESOLUTION, feedback), (reclass.HELD, held)):
            latest = _newest(
                (event.feedback_id, resolution_version(event),
                 resolution_contribution(event, channels.get((event.feedback_id,), ("",))[0]))
                for event in resolved
                if corrected.get(event.feedback_id, event.kind == "complaint") == (family == RESOLUTION)
            )
            await replace_latest(session, family, latest, batch)
    await feedback.write(session)

    if reviews:
        qa = CounterBatch(QaAggregate, QA_COUNTER_COLUMNS)
        latest = _newest((event.review_id, event.version, review_contribution(event)) for event in reviews)
        await replace_latest(session, REVIEW, latest, qa)
        await qa.write(session)
    if autoqa:
        scored = CounterBatch(AutoQaAggregate, AUTOQA_COUNTER_COLUMNS, checked=True)
        latest = _newest((event.ticket_id, event.ruleset_version, autoqa_contribution(event)) for event in autoqa)
        await replace_latest(session, AUTOQA, latest, scored)
        await scored.write(session)
    if calls:
        batch = CounterBatch(CallAggregate, CALL_COUNTER_COLUMNS)
        new_calls = await claim_new(session, CountedCall.__table__, ("call_id",), [(key,) for key in calls])
        for key, event in calls.items():
            if (key,) in new_calls:
                batch.add(call_contribution(event, service_level))
        await batch.write(session)


def call_contribution(event: CallCompleted, service_level: timedelta) -> Contribution:
    amounts: Amounts = {("", "offered"): 1}
    if event.answered_at is None:
        amounts[("", "abandoned")] = 1
    else:
        wait = max(event.answered_at - event.offered_at, timedelta(0))
        amounts[("", "answered")] = 1
        amounts[("", "answer_wait_sum_us")] = micros(wait)
        amounts[("", "answered_in_level")] = int(wait <= service_level)
    return Contribution(_utc(event.offered_at), stored(event.team_id), stored(event.agent_id), PHONE, amounts)
