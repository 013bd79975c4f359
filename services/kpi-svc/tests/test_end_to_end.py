"""Through the real broker: CloudEvents on settings.topic("tickets") → consumer → summary; poison → DLQ;
a stop that the broker cannot hold up."""

import asyncio
import time
from datetime import timedelta

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from csq_common.db import utcnow
from csq_common.events import CloudEvent, TicketClosed, TicketFirstResponded
from csq_testing import TEST_SESSION_TIMEOUT_MS, Broker, connected_producer, running_app, wait_until
from kpi_svc.main import create_app
from kpi_svc.settings import Settings
from tests.factories import event, snapshot

READER = {"Authorization": "Bearer reader-key"}


async def test_events_from_kafka_reach_the_summary_and_poison_goes_to_the_dlq(client, settings):
    now = utcnow().replace(microsecond=0)
    created = now - timedelta(hours=2)

    def ticket(number, frt_seconds, contacts):
        return snapshot(
            f"T-{number}", "billing", "A-1", "email", created,
            first_response_at=created + timedelta(seconds=frt_seconds), closed_at=now - timedelta(minutes=number),
            handle_seconds=100.0 * number, contact_count=contacts,
        )

    first = [
        event(TicketFirstResponded, ticket(1, 30, 1), created + timedelta(seconds=30)),
        event(TicketClosed, ticket(1, 30, 1), now - timedelta(minutes=1)),
    ]
    closed_twice = event(TicketClosed, ticket(2, 90, 2), now - timedelta(minutes=2))
    poison_data = CloudEvent(id="poison-1", source="test", type="ticket.closed", time=now, data={"ticket": {"id": "T-x"}})
    later = event(TicketFirstResponded, ticket(2, 90, 2), created + timedelta(seconds=90))

    topic = settings.topic("tickets")
    async with connected_producer(settings) as producer:
        for item in first:
            await producer.send_and_wait(topic, item.to_bytes(), key=b"T-1")
        for value in (closed_twice.to_bytes(), b"\xff garbage", poison_data.to_bytes(), closed_twice.to_bytes(), later.to_bytes()):
            await producer.send_and_wait(topic, value, key=b"T-2")

    params = {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}

    async def summary():
        body = (await client.get("/v1/kpis/summary", params=params, headers=READER)).json()
        return body if body["counts"]["frt_avg_seconds"] == 2 else None

    body = await wait_until(summary, timeout=30, message="both first responses counted")
    assert body["values"]["tickets_closed"] == 2
    assert body["values"]["frt_avg_seconds"] == 60.0
    assert body["values"]["aht_seconds"] == 150.0
    assert body["values"]["fcr_pct"] == 50.0
    assert body["values"]["resolution_avg_seconds"] == (2 * 7200 - 60 - 120) / 2

    dlq = AIOKafkaConsumer(
        settings.topic("dlq"), bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest",
        group_id=f"{settings.topic_prefix}dlq-reader",
    )
    await dlq.start()
    try:
        letters = []

        async def two_letters():
            batch = await dlq.getmany(timeout_ms=500)
            letters.extend(orjson.loads(r.value) for records in batch.values() for r in records)
            return len(letters) >= 2

        await wait_until(two_letters, timeout=20, message="two dead letters")
    finally:
        await dlq.stop()
    assert len(letters) == 2
    assert {letter["consumer_group"] for letter in letters} == {"kpi-svc"}
    assert any("invalid CloudEvent" in letter["error"] for letter in letters)
    assert any("validation error" in letter["error"].lower() for letter in letters)
    assert all(letter["topic"] == topic for letter in letters)


async def test_survey_events_from_kafka_reach_the_summary(client, settings):
    from tests.survey_factories import answered, expired, invited

    now = utcnow().replace(microsecond=0)
    at = now - timedelta(hours=1)
    response = answered("R-1", now - timedelta(minutes=5), [("csat", "attitude", 5), ("nps", "overall", 4)],
                        "billing", "A-1", "email", invitation_id="I-1", invited_at=at)
    bad = CloudEvent(id="bad-survey", source="test", type="survey.answered", time=now, data={"response_id": "R-x"})
    events = [
        (b"I-1", invited("I-1", at, "billing", "A-1", "email").to_bytes()),
        (b"I-1", invited("I-1", at, "billing", "A-1", "email", reminder=True).to_bytes()),
        (b"I-2", invited("I-2", at, "billing", "A-1", "email").to_bytes()),
        (b"I-1", response.to_bytes()),
        (b"I-1", response.to_bytes()),  # redelivered: the inbox drops it
        (b"I-x", bad.to_bytes()),
        (b"I-2", expired("I-2", at, "billing", "A-1", "email").to_bytes()),
    ]
    async with connected_producer(settings) as producer:
        for key, value in events:
            await producer.send_and_wait(settings.topic("surveys"), value, key=key)

    params = {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}

    async def summary():
        body = (await client.get("/v1/kpis/summary", params=params, headers=READER)).json()
        return body if body["counts"]["csat_pct"] == 1 and body["counts"]["survey_response_pct"] == 2 else None

    body = await wait_until(summary, timeout=30, message="the survey events counted")
    assert body["values"]["csat_pct"] == 100.0 and body["values"]["nps"] == -100.0
    assert body["values"]["survey_response_pct"] == 50.0
    assert body["values"]["tickets_closed"] == 0


async def test_a_stop_with_the_broker_paused_ends_within_the_grace_period(database_url, tmp_path, topic_prefix):
    broker = Broker(log_path=tmp_path / "tansu.log").start()  # its own: this test freezes it
    grace = 4.0
    settings = Settings(
        environment="development", database_url=database_url, kafka_bootstrap_servers=broker.bootstrap_servers,
        topic_prefix=topic_prefix,
        kafka_group_prefix=topic_prefix,
        api_keys="reader-key:read", kafka_session_timeout_ms=TEST_SESSION_TIMEOUT_MS, gauge_refresh_seconds=0.2,
        shutdown_grace_seconds=grace,
    )
    app = create_app(settings)
    lifespan = running_app(app, ensure_topics_for=settings)
    client = await lifespan.__aenter__()
    stopped = False
    try:
        await wait_until(lambda: app.state.producer.connected, message="producer connected")
        now = utcnow().replace(microsecond=0)
        closed = event(TicketClosed, snapshot("T-1", "billing", "A-1", "email", now - timedelta(hours=1), closed_at=now), now)
        await app.state.producer.send_and_wait(settings.topic("tickets"), closed.to_bytes(), key=b"T-1")
        params = {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}

        async def consumed():
            body = (await client.get("/v1/kpis/summary", params=params, headers=READER)).json()
            return body["values"]["tickets_closed"] == 1

        await wait_until(consumed, timeout=30, message="the consumer joined its group and applied the event")
        # A record waits in the producer when the broker freezes: the stop has a flush, a group to
        # leave and connections to close, none of which the broker will ever answer.
        await app.state.producer.send(settings.topic("tickets"), closed.to_bytes(), key=b"T-1")
        broker.pause()
        started = time.monotonic()
        stopped = True
        await lifespan.__aexit__(None, None, None)
        elapsed = time.monotonic() - started
    finally:
        broker.stop()
        if not stopped:
            await lifespan.__aexit__(None, None, None)
    assert elapsed < grace + 1.0, f"the stop took {elapsed:.1f}s, grace period {grace}s"


async def test_postgres_backends_terminated_mid_consumption_send_nothing_to_the_dlq(client, settings, db_backend):
    import asyncpg

    from csq_testing import POSTGRES_ADMIN_URL

    if db_backend != "postgres":
        pytest.skip("terminating server backends is a PostgreSQL failure")
    database = settings.database_url.rsplit("/", 1)[1]
    now = utcnow().replace(microsecond=0)
    created = now - timedelta(hours=3)
    tickets = 600

    def closed(number):
        data = snapshot(
            f"T-{number}", "billing", "A-1", "email", created, closed_at=now - timedelta(seconds=number),
            handle_seconds=float(number), contact_count=1,
        )
        return event(TicketClosed, data, now - timedelta(seconds=number))

    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    terminated = 0
    try:
        async with connected_producer(settings) as producer:
            for start in range(0, tickets, 50):
                for number in range(start, start + 50):
                    await producer.send(settings.topic("tickets"), closed(number).to_bytes(), key=f"T-{number}".encode())
                await asyncio.sleep(0.05)  # let the consumer take part of it, then cut its connections
                terminated += len(await admin.fetch(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                    database,
                ))
    finally:
        await admin.close()
    assert terminated > 0

    params = {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}

    async def summary():
        try:  # a read may meet a connection cut above (a 503, which the test transport raises)
            response = await client.get("/v1/kpis/summary", params=params, headers=READER)
        except Exception:
            return None
        body = response.json() if response.status_code == 200 else None
        return body if body and body["values"]["tickets_closed"] == tickets else None

    body = await wait_until(summary, timeout=60, message="every closure counted")
    assert body["values"]["aht_seconds"] == sum(range(tickets)) / tickets
    assert body["values"]["fcr_pct"] == 100.0

    dlq = AIOKafkaConsumer(
        settings.topic("dlq"), bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest",
        group_id=f"{settings.topic_prefix}dlq-reader",
    )
    await dlq.start()
    try:
        letters = []
        for _ in range(6):
            batch = await dlq.getmany(timeout_ms=500)
            letters.extend(orjson.loads(r.value) for records in batch.values() for r in records)
    finally:
        await dlq.stop()
    assert letters == []
