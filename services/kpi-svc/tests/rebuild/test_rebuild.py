"""The rebuild command through the real broker: generated ticket and survey events published, the
running service's consumer applies them, the topics replayed into a fresh database come out
identical; a tampered aggregate row in the live database is reported (exit code 1)."""

import asyncio
import os
import random
import sys
from datetime import timedelta

from sqlalchemy import func, select, text

from csq_common.bus.models import InboxMessage
from csq_common.db import create_engine, session_factory, transaction
from csq_testing import connected_producer, fresh_database, wait_until
from kpi_svc.consumers import consumers
from kpi_svc.read.service import METRICS
from kpi_svc.rebuild.command import rebuild
from tests.factories import ORIGIN, generate
from tests.sla.factories import ADMIN, policy_body
from tests.survey_factories import generate_surveys

NOW = ORIGIN + timedelta(days=3)  # every SLA target of the history has fallen due


async def publish_history(client, settings) -> int:
    """Publish generated tickets, surveys and one poison record; wait until the service's consumer
    has taken every event in; the number of events."""
    rng = random.Random(1616)
    tickets, surveys = generate(rng, 120), generate_surveys(rng, 60)
    async with connected_producer(settings) as producer:
        # In time order, as a CRM sends them, reopened tickets included: their resolution clocks do
        # not depend on how the consumer and the replay cut the events into batches.
        assert tickets.reopens
        ticket_events = sorted(tickets.events, key=lambda item: item.time)
        for item in ticket_events:
            await producer.send_and_wait(settings.topic("tickets"), item.to_bytes(), key=item.subject.encode())
        for item in surveys.events:
            await producer.send_and_wait(settings.topic("surveys"), item.to_bytes(), key=(item.subject or item.id).encode())
        await producer.send_and_wait(settings.topic("tickets"), b"\xff not an event", key=b"T-0")
    published = len(ticket_events) + len(surveys.events)

    async def all_in():
        async with client.app.state.sessions() as session:
            return await session.scalar(select(func.count()).select_from(InboxMessage)) == published

    await wait_until(all_in, timeout=60, message="every event consumed")
    return published


async def test_a_rebuild_is_identical_and_a_tampered_row_is_reported(client, settings, db_backend, tmp_path):
    policy = await client.post("/v1/sla-policies", json=policy_body(first_response_seconds=1800), headers=ADMIN)
    assert policy.status_code == 201, policy.text
    await publish_history(client, settings)
    lines: list[str] = []
    async with fresh_database(db_backend, tmp_path) as target:
        code = await rebuild(settings, database_url=target, live_database_url=settings.database_url, out=lines.append, now=NOW, batch_size=50)
        assert code == 0, "\n".join(lines)
        assert lines[0] == "configuration copied: kpi_calendars 0, kpi_calendar_teams 0, kpi_sla_policies 1"
        progress = [line for line in lines if line.startswith("kpi-svc: ")]
        assert progress and "events/s" in progress[-1]
        lags = dict(part.split("=") for part in progress[-1].split(" lag ")[1].split())
        # every topic the service consumes is replayed (tickets, surveys, feedback, audits, calls)
        assert {name.split("[")[0] for name in lags} == {settings.topic(d) for spec in consumers(settings) for d in spec.domains}
        assert set(lags.values()) == {"0"}  # every partition read to its end
        assert "dead letters 1" in progress[-1]  # the poison record, as the service dead-lettered it
        assert lines[-1].startswith("identical: ")
        compared = int(lines[-1].split()[1])
        assert compared > 4 * len(METRICS)  # organisation, teams, agents, channels
        # the rebuilt database has SLA timers, measured from the copied policy
        engine = create_engine(target)
        try:
            async with session_factory(engine)() as session:
                assert await session.scalar(text("SELECT count(*) FROM kpi_sla_timers")) > 0
                assert await session.scalar(text("SELECT count(*) FROM kpi_ticket_deltas")) == 0  # rolled up
        finally:
            await engine.dispose()

    async with transaction(client.app.state.sessions) as session:
        row = (await session.execute(text(
            "SELECT bucket_start, closures FROM kpi_ticket_aggregates WHERE resolution = 'day' AND team_id = 'billing' "
            "AND agent_id = '*' AND channel = '*' ORDER BY bucket_start LIMIT 1"
        ))).one()
        await session.execute(text(
            "UPDATE kpi_ticket_aggregates SET closures = closures + 1 WHERE resolution = 'day' AND team_id = 'billing' "
            "AND agent_id = '*' AND channel = '*' AND bucket_start = :day"
        ), {"day": row[0]})

    async with fresh_database(db_backend, tmp_path) as target:
        environment = {
            **os.environ, "CSQ_ENV": "development", "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "CSQ_TOPIC_PREFIX": settings.topic_prefix, "KPI_DATABASE_URL": settings.database_url,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kpi_svc.rebuild", "--database-url", target,
            env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        output = (await asyncio.wait_for(process.communicate(), 120))[0].decode()
    assert process.returncode == 1, output
    assert "DIFFERENT: " in output
    day = row[0].isoformat() if hasattr(row[0], "isoformat") else None
    closures = row[1]
    assert any(
        "kpi_ticket_aggregates day" in line and "billing/*/* closures" in line and f"live {closures + 1}, rebuilt {closures}" in line
        and (day is None or day[:10] in line)
        for line in output.splitlines()
    ), output


async def test_a_database_that_is_not_fresh_is_refused(settings, database_url):
    lines: list[str] = []
    assert await rebuild(settings, database_url=database_url, live_database_url=database_url, out=lines.append) == 2
    assert lines == ["cannot rebuild: the target database is the live database"]
