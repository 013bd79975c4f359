"""A reviewer's correction (``feedback.reclassified``) moves a feedback item's KPI counts from its
previous kind to the new one, once, in any delivery order, against voice_oracle.py on SQLite and
PostgreSQL."""

import itertools
import random
from datetime import datetime, timedelta

from kpi_svc.kpis.service import KpiFilters
from tests import oracle, voice_oracle
from tests.aggregates.test_service import WINDOWS, apply_in_batches
from tests.factories import generate
from tests.voice.test_apply import VOICE_TABLES, apply, as_filters, assert_summaries_match_the_oracle, summary, voice_part
from tests.voice_factories import Opinion, Resolution, VoiceHistory, generate_voice, received, reclassified, redelivered, resolved

T = datetime.fromisoformat
AT = T("2026-11-21T09:10:00+00:00")
SOLVED = AT + timedelta(hours=26, minutes=30)  # another day than the item's arrival
CORRECTED = AT + timedelta(days=2)
WINDOW = (T("2026-11-21T00:00:00+00:00"), T("2026-11-24T00:00:00+00:00"))


async def clear(sessions):
    async with sessions() as session:
        for model in VOICE_TABLES:
            await session.execute(model.__table__.delete())
        await session.commit()


async def assert_matches(sessions, history: VoiceHistory, context: str, filters=({},)):
    for start, end in (WINDOW, WINDOWS[4]):
        for f in filters:
            got = await summary(sessions, start, end, as_filters(f))
            want_values, want_counts = voice_oracle.voice_kpis(history, start, end, 0, **f)
            values, counts = voice_part(got)
            where = f"{context} {start}..{end} {f}"
            oracle.assert_same(values, want_values, where)
            assert counts == want_counts, where


async def test_reclassified_feedback_matches_the_oracle_per_window_and_filter(sessions):
    rng = random.Random(20261207)
    tickets = generate(rng, 60)
    voice = generate_voice(rng, 220, reclassify=0.4)
    corrected = sum(event.type == "feedback.reclassified" for event in voice.events)
    assert corrected > 80
    events = tickets.events + voice.events
    rng.shuffle(events)  # corrections before the items they correct, older corrections late, redeliveries
    await apply_in_batches(sessions, events, rng)
    assert await assert_summaries_match_the_oracle(sessions, tickets, voice) > 0


def complaint_corrected(chain: list[str], resolutions: bool = True) -> tuple[list, VoiceHistory]:
    """F-1: a complaint resolved once, corrected along ``chain``; F-2: a suggestion resolved as a
    suggestion, corrected to a complaint. Events and the facts they settle to."""
    events = [received("F-1", "complaint", AT, "billing", "A-1", "hotline")]
    if resolutions:
        events.append(resolved("F-1", AT, SOLVED, "billing", "A-1"))
    previous, corrected_at = "complaint", CORRECTED
    for n, kind in enumerate(chain):
        events.append(reclassified("F-1", kind, previous, AT, "billing", "A-1", "hotline",
                                   corrected_at + timedelta(minutes=n), SOLVED if resolutions else None))
        previous = kind
    later = AT + timedelta(hours=2)
    events += [
        received("F-2", "suggestion", later, "tech", "A-4", "ecommerce_review"),
        resolved("F-2", later, SOLVED, "tech", "A-4", kind="suggestion"),
        reclassified("F-2", "complaint", "suggestion", later, "tech", "A-4", "ecommerce_review", CORRECTED, SOLVED),
    ]
    settled = chain[-1] if chain else "complaint"
    history = VoiceHistory(
        opinions=[Opinion("complaint", later, "tech", "A-4", "ecommerce_review")],
        resolutions=[Resolution(SOLVED, SOLVED - later, "tech", "A-4", "ecommerce_review")],
    )
    if settled in ("complaint", "praise"):
        history.opinions.append(Opinion(settled, AT, "billing", "A-1", "hotline"))
    if settled == "complaint" and resolutions:
        history.resolutions.append(Resolution(SOLVED, SOLVED - AT, "billing", "A-1", "hotline"))
    return events, history


async def test_every_delivery_order_of_corrections_counts_the_last_kind_once(sessions):
    rng = random.Random(5)
    for chain in (["suggestion"], ["praise"], ["suggestion", "complaint"], ["praise", "enquiry"], ["enquiry", "praise"]):
        events, history = complaint_corrected(chain)
        first, second = events[:-3], events[-3:]  # F-1's events in every order, F-2's shuffled among them
        for order in itertools.permutations(first):
            delivered = list(order)
            for event in rng.sample(second, len(second)):
                delivered.insert(rng.randrange(len(delivered) + 1), event)
            await clear(sessions)
            for event in delivered:  # one event per batch, each also redelivered
                await apply(sessions, [event])
                await apply(sessions, [redelivered(event)])
            context = f"{chain} {[event.type for event in delivered]}"
            await assert_matches(sessions, history, context, ({}, {"channel": "hotline"}, {"team": "tech"}))


async def test_one_batch_in_any_order_and_an_unresolved_complaint(sessions):
    rng = random.Random(11)
    for chain in (["praise"], ["suggestion", "complaint"], ["praise", "complaint", "praise"]):
        events, history = complaint_corrected(chain, resolutions=False)
        for _ in range(6):
            rng.shuffle(events)
            await clear(sessions)
            await apply(sessions, events + [redelivered(event) for event in events])
            await assert_matches(sessions, history, f"{chain} {[e.type for e in events]}")


async def test_a_complaint_corrected_to_a_suggestion_withdraws_its_complaint_and_resolution(sessions):
    events, _ = complaint_corrected(["suggestion"])
    await apply(sessions, events[:2])  # counted as a complaint, resolved
    before = await summary(sessions, *WINDOW, KpiFilters(channel="hotline"))
    assert (before.values["complaints"], before.counts["complaint_resolution_avg_seconds"]) == (1, 1)
    await apply(sessions, [events[2]])
    after = await summary(sessions, *WINDOW, KpiFilters(channel="hotline"))
    assert (after.values["complaints"], after.counts["complaint_resolution_avg_seconds"]) == (0, 0)
    assert after.values["complaint_resolution_avg_seconds"] is None
