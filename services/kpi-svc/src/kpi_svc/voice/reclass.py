"""``feedback.reclassified``: a reviewer's correction moves a feedback item's counts to its new kind.

The kind an item is counted under is a replaceable fact of ``kpi_voice_replaced`` (family
``kind``, as reviews and resolutions are): its contribution is one ``complaints`` or ``praise``
at ``received_at`` in the item's channel (nothing for a suggestion or enquiry), its version the
correction's ``corrected_at`` (``feedback.received`` is version 0). So the newest correction
wins whatever the order, a redelivery or an older correction changes nothing, and a correction
back to the original kind restores it.

- An item counted from ``feedback.received`` before its first correction has no ``kind`` row: the
  row is seeded from its claim in ``kpi_counted_feedback`` (what was counted), then replaced.
- A correction seen before its ``feedback.received`` claims the item, so the later
  ``feedback.received`` counts nothing (the correction already counted the item's truth).
- The resolution follows the kind: ``feedback.resolved`` is counted (family ``resolution``) while
  the item is a complaint and held uncounted (family ``resolution_held``) otherwise, each keeping
  the latest version; a correction puts the latest of the two (or of its own ``resolved_at``, a
  staff resolution, when no later one is known) under the family of the new kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import FeedbackReclassified
from csq_common.sql import add_to_counters, claim_new, rows_by_keys
from kpi_svc.aggregates.dimensions import stored
from kpi_svc.voice.apply import RESOLUTION, Amounts, Contribution, CounterBatch, decode, encode, micros, replace_latest
from kpi_svc.voice.apply import _at_us as at_us
from kpi_svc.voice.apply import _from_us as from_us
from kpi_svc.voice.apply import _utc as utc
from kpi_svc.voice.models import CountedFeedback, ReplacedFact

KIND = "kind"
#: The latest resolution of an item that is not a complaint now: kept, counted nothing, counted
#: again (moved back under ``resolution``) if a correction makes the item a complaint.
HELD = "resolution_held"
#: The counter a kind adds at ``received_at``; other kinds carry no KPI.
KIND_COUNTERS = {"complaint": "complaints", "praise": "praise"}
VALUE_COLUMNS = ("version", "at_us", "team_id", "agent_id", "channel", "amounts")
COMPLAINT = ("", "complaints")


def kind_amounts(kind: str) -> Amounts:
    return {("", KIND_COUNTERS[kind]): 1} if kind in KIND_COUNTERS else {}


async def _store(session: AsyncSession, family: str, rows: list[tuple[str, int, Contribution]]) -> None:
    upserts = [
        (family, fact_id, version, at_us(c.at), c.team, c.agent, c.channel, encode(c.amounts)) for fact_id, version, c in rows
    ]
    await add_to_counters(
        session, ReplacedFact.__table__, ("family", "fact_id", *VALUE_COLUMNS), sorted(upserts), added=(), replaced=VALUE_COLUMNS
    )


async def complaint_now(session: AsyncSession, feedback_ids: Iterable[str]) -> dict[str, bool]:
    """Whether each corrected item among ``feedback_ids`` is a complaint now (uncorrected ones are absent)."""
    keys = [(KIND, fact_id) for fact_id in set(feedback_ids)]
    rows = await rows_by_keys(session, ReplacedFact.__table__, ("family", "fact_id"), ("amounts",), keys)
    return {fact_id: COMPLAINT in decode(amounts) for (_, fact_id), (amounts,) in rows.items()}


async def apply_reclassifications(session: AsyncSession, events: Sequence[FeedbackReclassified], batch: CounterBatch) -> None:
    """Move each corrected item's kind (and resolution) contribution to its newest correction (module doc)."""
    newest: dict[str, tuple[int, FeedbackReclassified]] = {}
    for event in events:
        version = at_us(utc(event.corrected_at))
        if event.feedback_id not in newest or version > newest[event.feedback_id][0]:
            newest[event.feedback_id] = (version, event)
    if not newest:
        return
    ids = sorted(newest)
    table = ReplacedFact.__table__
    known = await rows_by_keys(session, table, ("family", "fact_id"), VALUE_COLUMNS, [(KIND, i) for i in ids])
    claims = await rows_by_keys(session, CountedFeedback.__table__, ("feedback_id",), ("kind", "channel"), [(i,) for i in ids])

    seeds, was_complaint, applied = [], {}, {}
    for fact_id, (version, event) in newest.items():
        row = known.get((KIND, fact_id))
        if row is not None:
            if row[0] >= version:
                continue
            was_complaint[fact_id] = COMPLAINT in decode(row[5])
        elif (fact_id,) in claims:  # counted by feedback.received: seed what it counted
            kind, channel = claims[(fact_id,)]
            counted = Contribution(
                utc(event.received_at), stored(event.team_id), stored(event.agent_id), channel, kind_amounts(kind)
            )
            seeds.append((fact_id, 0, counted))
            was_complaint[fact_id] = kind == "complaint"
        else:
            was_complaint[fact_id] = False
        applied[fact_id] = (version, event)
    await _store(session, KIND, seeds)
    await replace_latest(session, KIND, {
        fact_id: (version, Contribution(
            utc(event.received_at), stored(event.team_id), stored(event.agent_id), stored(event.channel), kind_amounts(event.kind)
        ))
        for fact_id, (version, event) in applied.items()
    }, batch)
    await claim_new(session, CountedFeedback.__table__, ("feedback_id", "kind", "channel"), [
        (fact_id, event.kind, stored(event.channel)) for fact_id, (_, event) in applied.items() if (fact_id,) not in claims
    ])
    await _settle_resolutions(session, {fact_id: event for fact_id, (_, event) in applied.items()}, batch)


def _derived(event: FeedbackReclassified) -> tuple[int, Contribution] | None:
    """The resolution the correction itself tells of (its ``resolved_at``), as a staff resolution."""
    if event.resolved_at is None:
        return None
    took = max(micros(event.resolved_at - event.received_at), 0)
    return at_us(utc(event.resolved_at)) * 2, Contribution(
        utc(event.resolved_at), stored(event.team_id), stored(event.agent_id), stored(event.channel),
        {("", "complaints_resolved"): 1, ("", "complaint_resolution_sum_us"): took},
    )


async def _settle_resolutions(session: AsyncSession, corrected: dict[str, FeedbackReclassified], batch: CounterBatch) -> None:
    """Put each corrected item's latest resolution (counted, held, or the correction's own) under
    ``resolution`` (counted) if it is a complaint now, else under ``resolution_held`` (kept, not
    counted), in the item's channel."""
    if not corrected:
        return
    table = ReplacedFact.__table__
    keys = [(family, fact_id) for fact_id in corrected for family in (RESOLUTION, HELD)]
    known = await rows_by_keys(session, table, ("family", "fact_id"), VALUE_COLUMNS, keys)
    stores: dict[str, list] = {RESOLUTION: [], HELD: []}
    gone: dict[str, list[str]] = {RESOLUTION: [], HELD: []}
    for fact_id, event in sorted(corrected.items()):
        channel = stored(event.channel)
        candidates = []
        for family in (RESOLUTION, HELD):
            row = known.get((family, fact_id))
            if row is not None:
                version, row_at, team, agent, _, amounts = row
                candidates.append((version, Contribution(from_us(row_at), team, agent, channel, decode(amounts))))
        derived = _derived(event)
        if derived is not None:
            candidates.append(derived)
        if not candidates:
            continue
        version, latest = max(candidates, key=lambda candidate: candidate[0])  # the first of equal ones: stored
        counted = known.get((RESOLUTION, fact_id))
        if counted is not None:
            _, row_at, team, agent, row_channel, amounts = counted
            batch.add(Contribution(from_us(row_at), team, agent, row_channel, decode(amounts)), sign=-1)
        family = RESOLUTION if event.kind == "complaint" else HELD
        if family == RESOLUTION:
            batch.add(latest)
        stores[family].append((fact_id, version, latest))
        gone[HELD if family == RESOLUTION else RESOLUTION].append(fact_id)
    for family in (RESOLUTION, HELD):
        await _store(session, family, stores[family])
        if gone[family]:
            await session.execute(delete(table).where(table.c.family == family, table.c.fact_id.in_(gone[family])))
