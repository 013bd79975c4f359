"""Policies and calendars changed or deleted: clocks still short of their target are read again at
once under the rules as they now are; timers already measured or breached keep their result (and a
measured timer is corrected by a late event only while its policy is unchanged)."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from csq_common.events import TicketCreated, TicketFirstResponded
from tests.sla.factories import (
    add_calendar, add_policy, delete_calendar, delete_policy, feed, replace_calendar, replace_policy, ticket_event, timers,
)

UTC = timezone.utc
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
ALWAYS = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def responded(ticket_id: str, moment: datetime, created: datetime, **fields):
    return ticket_event(TicketFirstResponded, ticket_id, moment, created, status="open", first_response_at=moment, **fields)


async def test_a_changed_policy_moves_running_clocks_and_leaves_measured_and_breached_timers(sessions):
    plain = await add_policy(sessions, at(-300), priorities=["normal"], first_response_seconds=3600, resolution_seconds=4 * 3600)
    vip = await add_policy(sessions, at(-300), name="VIP", priorities=["vip"], first_response_seconds=3600)
    await feed(
        sessions,
        ticket_event(TicketCreated, "T-run", at(0), at(0), status="new"),
        ticket_event(TicketCreated, "T-late", at(-200), at(-200), status="new"),
        ticket_event(TicketCreated, "T-met", at(0), at(0), status="new"),
        responded("T-met", at(10), at(0)),
        ticket_event(TicketCreated, "T-vip", at(0), at(0), status="new", priority="vip"),
        responded("T-vip", at(10), at(0), priority="vip"),
    )
    before = await timers(sessions)
    assert before["T-late", "first_response"][0].due_at == at(-140)  # breached before the change

    changed = await replace_policy(
        sessions, plain.id, at(30), priorities=["normal"], first_response_seconds=40 * 60, resolution_seconds=2 * 3600
    )
    assert (changed.id, changed.revision, changed.created_at) == (plain.id, 2, plain.created_at)
    found = await timers(sessions)
    run = found["T-run", "first_response"][0]
    assert (run.state, run.due_at, run.policy_revision) == ("running", at(40), 2)
    assert found["T-run", "resolution"][0].due_at == at(120)
    assert found["T-late", "first_response"][0].due_at == at(-140)  # breached already: kept
    # Still short of its old target (due at 40), so read under the new one: due at -80, breached now.
    assert found["T-late", "resolution"][0].due_at == at(-80)
    met = found["T-met", "first_response"][0]
    assert (met.state, met.stopped_at, met.policy_revision) == ("met", at(10), 1)

    # A late event says both were answered at minute 5. Under an unchanged policy the measured
    # timer is corrected; under a changed one its result is final.
    await feed(sessions, responded("T-met", at(5), at(0)), responded("T-vip", at(5), at(0), priority="vip"))
    found = await timers(sessions)
    assert [(t.state, t.stopped_at) for t in found["T-met", "first_response"]] == [("met", at(10))]
    assert [(t.state, t.stopped_at, t.policy_id) for t in found["T-vip", "first_response"]] == [("met", at(5), vip.id)]


async def test_a_deleted_policy_hands_running_clocks_to_the_next_match_or_stops_timing_them(sessions):
    complaints = await add_policy(sessions, at(-60), name="投诉", tags=["complaint"], first_response_seconds=600)
    anything = await add_policy(sessions, at(-59), name="默认", first_response_seconds=3600)
    await feed(
        sessions,
        ticket_event(TicketCreated, "T-1", at(0), at(0), status="new", tags=["complaint"]),
        ticket_event(TicketCreated, "T-2", at(0), at(0), status="new"),
        ticket_event(TicketCreated, "T-3", at(0), at(0), status="new", tags=["complaint"]),
        responded("T-3", at(5), at(0), tags=["complaint"]),
    )
    assert (await timers(sessions))["T-1", "first_response"][0].due_at == at(10)

    await delete_policy(sessions, complaints.id, at(6))
    found = await timers(sessions)
    assert [(t.policy_id, t.due_at) for t in found["T-1", "first_response"]] == [(anything.id, at(60))]
    assert [(t.policy_id, t.state) for t in found["T-3", "first_response"]] == [(complaints.id, "met")]

    await delete_policy(sessions, anything.id, at(7))
    found = await timers(sessions)
    assert {(ticket, t.state) for (ticket, metric), rows in found.items() if metric == "first_response" for t in rows} == {
        ("T-1", "cancelled"), ("T-2", "cancelled"), ("T-3", "met")
    }


async def test_a_changed_or_deleted_calendar_moves_running_business_hour_clocks(sessions):
    await add_policy(sessions, at(-60), business_hours=True, first_response_seconds=600, resolution_seconds=86400)
    office = await add_calendar(sessions, at(-60), name="全天", tz="UTC", country=None, hours=ALWAYS, default=True)
    await feed(
        sessions,
        ticket_event(TicketCreated, "T-bj", at(50), at(50), status="new", team="billing"),
        ticket_event(TicketCreated, "T-it", at(50), at(50), status="new", team="tech"),
    )
    found = await timers(sessions)
    assert found["T-bj", "resolution"][0].due_at == at(50 + 24 * 60)

    # The default becomes Shanghai office hours (Tuesday to Friday 09:00-18:00): from Tuesday
    # 10:50, 24 office hours end on Thursday at 16:50.
    changed = await replace_calendar(sessions, office.id, at(55), default=True)
    assert changed.revision == 2
    thursday = datetime(2026, 12, 3, 16, 50, tzinfo=SHANGHAI)
    found = await timers(sessions)
    assert [(t.due_at, t.business_hours) for t in found["T-bj", "resolution"]] == [(thursday, True)]
    assert found["T-it", "resolution"][0].due_at == thursday

    # Now only billing's, and no default: tech's clocks run around the clock.
    await replace_calendar(sessions, office.id, at(56), team_ids=["billing"])
    found = await timers(sessions)
    assert found["T-bj", "resolution"][0].due_at == thursday
    assert [(t.due_at, t.business_hours) for t in found["T-it", "resolution"]] == [(at(50 + 24 * 60), False)]

    await delete_calendar(sessions, office.id, at(57))
    found = await timers(sessions)
    assert [(t.due_at, t.business_hours) for t in found["T-bj", "resolution"]] == [(at(50 + 24 * 60), False)]
