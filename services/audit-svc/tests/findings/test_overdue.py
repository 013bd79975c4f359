"""``audit.action_overdue`` exactly once per action and due date: two workers at once, a rerun,
a restart of the service on the same database, and a changed due date."""

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from csq_common.bus.migration import upgrade_to_head
from csq_common.db import create_engine, session_factory, utcnow
from csq_testing import app_client, wait_until
from audit_svc.findings import actions, service
from audit_svc.findings.models import OverdueNotice
from audit_svc.findings.overdue import publish_overdue
from audit_svc.findings.schemas import ActionCreate, ActionPatch, FindingCreate
from audit_svc.main import SERVICE_ROOT, create_app
from tests.findings.factories import WRITER, finding_body, outbox_events
from csq_testing.topics import published

TOPIC = "csq.audits"


async def overdue_run(sessions, now) -> int:
    async with sessions() as session:
        count = await publish_overdue(session, topic=TOPIC, now=now, limit=100)
        await session.commit()
    return count


async def test_two_workers_and_reruns_stage_one_event_per_action_and_due_date(sessions, database_url):
    now = utcnow()
    async with sessions() as session:
        finding = await service.raise_finding(session, FindingCreate.model_validate(finding_body()), topic=TOPIC, author="t", now=now)
        action = await actions.create_action(session, finding.id, ActionCreate(owner_id="L-1", plan="复训", due_at=now - timedelta(hours=1)), now=now)
        not_yet = await actions.create_action(session, finding.id, ActionCreate(owner_id="L-2", plan="抽查", due_at=now + timedelta(days=1)), now=now)
        await session.commit()
    replica = create_engine(database_url)
    await upgrade_to_head(replica, SERVICE_ROOT)
    try:
        await asyncio.gather(overdue_run(sessions, now), overdue_run(session_factory(replica), now))
        await overdue_run(session_factory(replica), now + timedelta(minutes=5))
    finally:
        await replica.dispose()
    events = await outbox_events(sessions, "audit.action_overdue")
    assert [(key, event.data["action_id"], event.data["owner_id"], event.data["team_id"]) for _, key, event in events] == [
        (action.id, action.id, "L-1", "billing")
    ]
    assert set(events[0][2].data) == {"schema_version", "action_id", "finding_id", "owner_id", "due_at", "team_id"}

    new_due = now + timedelta(hours=2)
    async with sessions() as session:
        await actions.update_action(session, action.id, ActionPatch(due_at=new_due), now=now)
        await session.commit()
    await overdue_run(sessions, now + timedelta(hours=1))  # the new date has not passed yet
    assert len(await outbox_events(sessions, "audit.action_overdue")) == 1
    later = now + timedelta(days=2)
    await asyncio.gather(overdue_run(sessions, later), overdue_run(sessions, later))
    events = await outbox_events(sessions, "audit.action_overdue")
    assert sorted((event.data["action_id"], event.data["due_at"]) for _, _, event in events) == sorted(
        [(action.id, events[0][2].data["due_at"]), (action.id, new_due.isoformat().replace("+00:00", "Z")), (not_yet.id, events[-1][2].data["due_at"])]
    )
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OverdueNotice)) == 3


async def test_across_a_restart_the_service_publishes_one_event_then_one_more_for_a_new_due_date(settings):
    settings = settings.model_copy(update={"overdue_poll_seconds": 0.05})
    async with app_client(create_app, settings) as client:
        finding = (await client.post("/v1/findings", json=finding_body(), headers=WRITER)).json()
        due = (utcnow() - timedelta(minutes=1)).isoformat()
        action = (await client.post(f"/v1/findings/{finding['id']}/actions", json={"owner_id": "L-1", "plan": "复训", "due_at": due}, headers=WRITER)).json()
        await wait_until(lambda: outbox_events(client.app.state.sessions, "audit.action_overdue"), message="overdue event staged")
        await asyncio.sleep(0.5)  # several more polls of the worker
    async with app_client(create_app, settings) as client:
        await asyncio.sleep(0.5)
        assert len(await outbox_events(client.app.state.sessions, "audit.action_overdue")) == 1
        new_due = utcnow() - timedelta(seconds=1)
        changed = await client.patch(f"/v1/actions/{action['id']}", json={"due_at": new_due.isoformat()}, headers=WRITER)
        assert changed.status_code == 200
        await wait_until(
            lambda: _count_is(client.app.state.sessions, 2), message="a second overdue event for the new due date"
        )
        await asyncio.sleep(0.5)
        records = [(key, event) for key, event in await published(client.app, settings, "audits") if event.type == "audit.action_overdue"]
    assert [key for key, _ in records] == [action["id"], action["id"]]
    assert len({event.data["due_at"] for _, event in records}) == 2


async def _count_is(sessions, expected: int) -> bool:
    return len(await outbox_events(sessions, "audit.action_overdue")) == expected
