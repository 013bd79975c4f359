"""sla.warning and sla.breached: exactly once per ticket, metric and due time, with two workers at
once, reruns, and a restart of the service on the same database; read back from the outbox and the
topic."""

import asyncio
from datetime import timedelta

from csq_common.bus.migration import upgrade_to_head
from csq_common.db import create_engine, session_factory, utcnow
from csq_common.events import TicketAssigned, TicketCreated, TicketFirstResponded
from csq_testing import app_client, wait_until
from kpi_svc.main import SERVICE_ROOT, create_app
from kpi_svc.sla.notices import publish_notices
from tests.sla.factories import ADMIN, add_policy, feed, outbox_events, policy_body, ticket_event
from csq_testing.topics import published

TOPIC = "csq.kpi"
LEAD = timedelta(minutes=15)
FIELDS = {"schema_version", "ticket_id", "policy_id", "metric", "priority", "team_id", "agent_id", "due_at", "at", "business_hours"}


async def notice_run(sessions, now) -> int:
    async with sessions() as session:
        count = await publish_notices(session, topic=TOPIC, now=now, warning_before=LEAD, limit=100)
        await session.commit()
    return count


async def test_two_workers_and_reruns_publish_each_warning_and_breach_once(sessions, database_url):
    now = utcnow().replace(microsecond=0)
    policy = await add_policy(sessions, now - timedelta(days=1), first_response_seconds=3600, resolution_seconds=86400)
    # T-due falls due in 10 minutes (warning now); T-late fell due 20 minutes ago (breach, no
    # warning); T-calm in 2 hours (nothing); T-paused would be due but is pending (nothing).
    await feed(
        sessions,
        ticket_event(TicketCreated, "T-due", now - timedelta(minutes=50), now - timedelta(minutes=50), status="open", priority="high"),
        ticket_event(TicketCreated, "T-late", now - timedelta(minutes=80), now - timedelta(minutes=80), status="open"),
        ticket_event(TicketCreated, "T-calm", now + timedelta(hours=1), now + timedelta(hours=1), status="open"),
        ticket_event(TicketCreated, "T-paused", now - timedelta(minutes=80), now - timedelta(minutes=80), status="new"),
        ticket_event(TicketAssigned, "T-paused", now - timedelta(minutes=79), now - timedelta(minutes=80), status="on_hold"),
    )
    replica = create_engine(database_url)
    await upgrade_to_head(replica, SERVICE_ROOT)
    try:
        await asyncio.gather(notice_run(sessions, now), notice_run(session_factory(replica), now))
        await notice_run(session_factory(replica), now + timedelta(seconds=30))
    finally:
        await replica.dispose()

    warnings = await outbox_events(sessions, "sla.warning")
    breaches = await outbox_events(sessions, "sla.breached")
    assert [(topic, key, e.data["ticket_id"], e.data["metric"]) for topic, key, e in warnings] == [(TOPIC, "T-due", "T-due", "first_response")]
    assert [(key, e.data["metric"], e.data["due_at"]) for _, key, e in breaches] == [
        ("T-late", "first_response", (now - timedelta(minutes=20)).isoformat().replace("+00:00", "Z"))
    ]
    warning = warnings[0][2].data
    assert set(warning) == FIELDS and set(breaches[0][2].data) == FIELDS
    assert (warning["policy_id"], warning["priority"], warning["team_id"], warning["agent_id"], warning["business_hours"]) == (
        policy.id, "high", "billing", "A-7", False
    )
    assert warning["at"] == (now - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")  # 15 minutes before due

    # Ten minutes later T-due is breached (once, by either worker); answered tickets stay quiet.
    later = now + timedelta(minutes=10, seconds=1)
    await feed(sessions, ticket_event(TicketFirstResponded, "T-late", now, now - timedelta(minutes=80), status="open", first_response_at=now))
    await asyncio.gather(notice_run(sessions, later), notice_run(sessions, later))
    breaches = await outbox_events(sessions, "sla.breached")
    assert sorted((key, e.data["metric"]) for _, key, e in breaches) == [("T-due", "first_response"), ("T-late", "first_response")]
    assert len(await outbox_events(sessions, "sla.warning")) == 1


async def test_across_a_restart_the_service_publishes_each_notice_once_and_a_new_due_time_again(settings):
    settings = settings.model_copy(update={"sla_poll_seconds": 0.05})
    now = utcnow()
    async with app_client(create_app, settings) as client:
        created = await client.post("/v1/sla-policies", json=policy_body(first_response_seconds=3600), headers=ADMIN)
        assert created.status_code == 201, created.text
        sessions = client.app.state.sessions
        await feed(sessions, ticket_event(TicketCreated, "T-9", now - timedelta(minutes=55), now - timedelta(minutes=55), status="open"))
        await wait_until(lambda: outbox_events(sessions, "sla.warning"), message="warning staged")
        await asyncio.sleep(0.5)  # several more polls
    async with app_client(create_app, settings) as client:
        sessions = client.app.state.sessions
        await asyncio.sleep(0.5)
        assert len(await outbox_events(sessions, "sla.warning")) == 1
        # Pending for 5 minutes moves the due time 5 minutes on: a new warning for the new due time.
        await feed(
            sessions,
            ticket_event(TicketAssigned, "T-9", now - timedelta(minutes=50), now - timedelta(minutes=55), status="pending"),
            ticket_event(TicketAssigned, "T-9", now - timedelta(minutes=45), now - timedelta(minutes=55), status="open"),
        )
        await wait_until(lambda: _count_is(sessions, "sla.warning", 2), message="a warning for the new due time")
        await asyncio.sleep(0.5)
        records = [(key, event) for key, event in await published(client.app, settings, "kpi") if event.type == "sla.warning"]
    assert [key for key, _ in records] == ["T-9", "T-9"]
    assert len({event.data["due_at"] for _, event in records}) == 2


async def _count_is(sessions, event_type: str, expected: int) -> bool:
    return len(await outbox_events(sessions, event_type)) == expected
