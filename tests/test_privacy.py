"""Privacy on the running system (per backend): a customer's email and name never travel readable
on ``csq.tickets``, and once the customer is erased none of their identifiers is left in any
service's tables, outboxes or the events published afterwards.

A signed ``ticket.closed`` webhook plants them; survey-svc invites, notify-svc mails the
invitation (so every service has seen the customer); ``POST /v1/customers/{id}/erase`` at
feedback-svc; then every table of every service database is read back, row by row.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from csq_common.settings import DEVELOPMENT_WEBHOOK_SECRET
from csq_testing import wait_until
from system import ADMIN, read_topic
from test_survey_journey import create_survey_and_campaign, wait_for_mail
from ticketgen import Webhook, iso, sign

# The bus tables legitimately hold the customer id: the ticket events (ids are not secret) and the
# customer.erased event itself. Everything else must lose it.
BUS_TABLES = {"outbox", "inbox"}


def planted() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    return {"id": f"C-erase-{tag}", "email": f"erase.me.{tag}@example.com", "name": f"Eras Me {tag} 抹去"}


def closed_ticket(team: str, customer: dict[str, str], closed_at: datetime) -> Webhook:
    return Webhook(
        event_id=f"crm-{uuid.uuid4().hex}",
        type="ticket.closed",
        occurred_at=closed_at,
        ticket={
            "id": f"T-{uuid.uuid4().hex[:10]}", "customer": {**customer, "locale": "en"},
            "agent_id": f"{team}-agent", "team_id": team, "channel": "email", "priority": "normal",
            "subject": "Refund status", "status": "closed", "created_at": iso(closed_at - timedelta(hours=2)),
            "first_response_at": iso(closed_at - timedelta(hours=1)), "closed_at": iso(closed_at),
            "handle_seconds": 300, "reopen_count": 0, "contact_count": 1, "tags": ["refund"],
        },
    )  # fmt: skip


async def every_table(database_url: str) -> dict[str, list[str]]:
    """Every row of every table of a service database, each value as text (bytes decoded)."""

    def text(value) -> str:
        return bytes(value).decode("utf-8", "replace") if isinstance(value, (bytes, bytearray, memoryview)) else str(value)

    tables: dict[str, list[str]] = {}
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.split("///", 1)[1])
        try:
            names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for name in names:
                tables[name] = [" | ".join(map(text, row)) for row in connection.execute(f'SELECT * FROM "{name}"')]
        finally:
            connection.close()
        return tables
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        names = [row[0] for row in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for name in names:
            tables[name] = [" | ".join(map(text, row.values())) for row in await connection.fetch(f'SELECT * FROM "{name}"')]
    finally:
        await connection.close()
    return tables


async def end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        topics = await consumer.topics()
        partitions = [TopicPartition(topic, p) for topic in topics for p in consumer.partitions_for_topic(topic) or ()]
        return await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()


async def records_after(bootstrap: str, offsets: dict[TopicPartition, int]) -> list:
    """Every record published on any topic after ``offsets`` (topics created since: from their start)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        topics = await consumer.topics()
        partitions = [TopicPartition(topic, p) for topic in topics for p in consumer.partitions_for_topic(topic) or ()]
        end = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        for partition in partitions:
            consumer.seek(partition, offsets.get(partition, 0))
        records: list = []

        async def caught_up() -> bool:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
            positions = [await consumer.position(p) for p in partitions]
            return all(position >= end[p] for position, p in zip(positions, partitions))

        await wait_until(caught_up, timeout=20, message="every topic read to its end")
        return records
    finally:
        await consumer.stop()


def holding(values: list[str], needles: list[str]) -> list[str]:
    return [needle for needle in needles if any(needle in value for value in values)]


async def test_an_erased_customer_leaves_no_identifier_anywhere(stack):
    customer = planted()
    team = f"privacy-{uuid.uuid4().hex[:6]}"
    _survey_id, campaign_id = await create_survey_and_campaign(stack.url("survey"), team)
    hook = closed_ticket(team, customer, datetime.now(timezone.utc) - timedelta(minutes=5))
    body = hook.body()
    async with httpx.AsyncClient(base_url=stack.url("feedback"), timeout=10) as feedback:
        accepted = await feedback.post("/v1/webhooks/tickets", content=body, headers=sign(DEVELOPMENT_WEBHOOK_SECRET, body))
        assert accepted.status_code == 202, accepted.text

    # The invitation goes out, addressed by notify-svc from the sealed contact alone.
    mail = await wait_for_mail(stack.mail_dir, customer["email"])
    assert customer["name"] in str(mail["To"])

    # No ticket event carries the email or the name readable: the whole topic, read by a real consumer.
    tickets = await read_topic(stack.bootstrap_servers, f"{stack.topic_prefix}tickets", at_least=1)
    ours = [record.value for record in tickets if hook.ticket["id"].encode() in record.value]
    assert ours and all(customer["id"].encode() in value for value in ours)
    assert not any(customer["email"].encode() in record.value or customer["name"].encode() in record.value for record in tickets)
    async with httpx.AsyncClient(base_url=stack.url("survey"), headers=ADMIN, timeout=10) as survey:
        listed = (await survey.get("/v1/invitations", params={"campaign_id": campaign_id})).json()["items"]
    assert listed and customer["email"] not in str(listed) and customer["name"] not in str(listed)

    before_erasure = await end_offsets(stack.bootstrap_servers)
    async with httpx.AsyncClient(base_url=stack.url("feedback"), headers=ADMIN, timeout=10) as feedback:
        erased = await feedback.post(f"/v1/customers/{customer['id']}/erase")
    assert erased.status_code == 202, erased.text
    assert erased.json()["tickets_anonymised"] == 1

    # survey-svc and notify-svc apply customer.erased (their API shows it), then every table is read.
    async def applied() -> bool:
        async with httpx.AsyncClient(headers=ADMIN, timeout=10) as http:
            invitations = (await http.get(f"{stack.url('survey')}/v1/invitations", params={"campaign_id": campaign_id})).json()["items"]
            deliveries = (await http.get(f"{stack.url('notify')}/v1/deliveries", params={"limit": 500})).json()["items"]
        key = f"survey.invited:{invitations[0]['id']}:invitation"
        return invitations[0]["customer_id"] is None and any(d["idempotency_key"] == key and d["to"] is None for d in deliveries)

    await wait_until(applied, timeout=60, message="customer.erased applied by survey-svc and notify-svc")

    everything: list[str] = []
    for name, url in stack.database_urls.items():
        for table, rows in (await every_table(url)).items():
            everything += rows
            assert not holding(rows, [customer["email"], customer["name"]]), f"{name}.{table} still holds the email or name"
            if table not in BUS_TABLES:
                assert not holding(rows, [customer["id"]]), f"{name}.{table} still holds the customer id"
    assert any(hook.ticket["id"] in row for row in everything)  # the tables read are the ones that saw the customer

    later = await records_after(stack.bootstrap_servers, before_erasure)
    assert any(b"customer.erased" in record.value for record in later)
    leaked = [record.topic for record in later if customer["email"].encode() in record.value or customer["name"].encode() in record.value]
    assert leaked == []
