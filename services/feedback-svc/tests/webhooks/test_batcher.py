"""Group commit: concurrent webhooks share transactions without changing any outcome."""

from __future__ import annotations

import asyncio
import random

import orjson
import pytest
from sqlalchemy import delete, select

from csq_common.bus.models import OutboxMessage
from csq_common.sealing import DEVELOPMENT_PRIVATE_KEY, open_sealed
from csq_testing import running_app, wait_until
from feedback_svc.main import create_app
from feedback_svc.tickets import service as tickets_service
from feedback_svc.tickets.models import Ticket
from feedback_svc.webhooks import service as webhooks_service
from feedback_svc.webhooks.models import WebhookReceipt
from feedback_svc.webhooks.schemas import parse
from tests.conftest import WEBHOOK_URL, signed_headers
from tests.webhooks.factories import ticket_event

PROBLEM = "application/problem+json"


def record_batches(monkeypatch) -> list[list[str]]:
    """Spy on the batch apply: the event ids of every transaction attempted, in order."""
    batches: list[list[str]] = []
    real = webhooks_service.receive_ticket_webhooks

    async def spy(session, payloads, **options):
        batches.append([payload.event_id for payload in payloads])
        return await real(session, payloads, **options)

    monkeypatch.setattr(webhooks_service, "receive_ticket_webhooks", spy)
    return batches


async def post(http, payload):
    body = orjson.dumps(payload)
    return await http.post(WEBHOOK_URL, content=body, headers=signed_headers(body))


def overlapping_events(count: int, *, seed: int = 7) -> list[dict]:
    """Events of a few tickets with colliding times (ties), late ones, first responses, repeats."""
    rng = random.Random(seed)
    events: list[dict] = []
    for n in range(count):
        if events and rng.random() < 0.08:
            events.append(dict(rng.choice(events)))  # a redelivery of an earlier event id
            continue
        hour = rng.choice(["09", "10", "11", "12"])
        minute = rng.choice(["00", "30"])
        kind = rng.choice(["ticket.created", "ticket.assigned", "ticket.reopened", "ticket.closed"])
        extra = {"closed_at": f"2026-11-20T{hour}:{minute}:00Z", "status": "closed"} if kind == "ticket.closed" else {}
        if rng.random() < 0.3:
            extra["first_response_at"] = f"2026-11-20T08:{rng.randint(10, 59):02d}:00Z"
        events.append(
            ticket_event(
                kind, event_id=f"crm-batch-{n}", occurred_at=f"2026-11-20T{hour}:{minute}:00Z",
                id=f"T-{rng.randint(1, 8)}", agent_id=f"A-{n}", reopen_count=n % 3, **extra,
            )
        )
    return events


async def stored_state(app):
    """Everything the webhooks wrote, minus wall-clock bookkeeping (updated_at, received_at)."""
    async with app.state.sessions() as session:
        tickets = [
            {k: v for k, v in row._mapping.items() if k != "updated_at"}
            for row in await session.execute(select(Ticket.__table__).order_by(Ticket.id))
        ]
        receipts = [
            (row.event_id, row.event_type, row.ticket_id, row.occurred_at)
            for row in await session.execute(select(WebhookReceipt.__table__).order_by(WebhookReceipt.event_id))
        ]
        outbox = [
            (row.event_id, row.topic, row.key, _contact_opened(orjson.loads(row.payload)))
            for row in await session.execute(select(OutboxMessage.__table__).order_by(OutboxMessage.id))
        ]
    return tickets, receipts, outbox


def _contact_opened(event: dict) -> dict:
    """The event with its sealed contact opened (each sealing is randomised; what it holds is not)."""
    customer = event["data"]["ticket"].get("customer") or {}
    if customer.get("sealed_contact"):
        customer["sealed_contact"] = open_sealed(customer["sealed_contact"], DEVELOPMENT_PRIVATE_KEY)
    return event


async def forget_everything(app) -> None:
    async with app.state.sessions() as session:
        for model in (Ticket, WebhookReceipt, OutboxMessage):
            await session.execute(delete(model))
        await session.commit()


async def test_concurrent_webhooks_store_exactly_what_sequential_delivery_stores(client, monkeypatch):
    batches = record_batches(monkeypatch)
    events = overlapping_events(200)
    by_id = {event["event_id"]: event for event in events}
    responses = await asyncio.gather(*(post(client, event) for event in events))
    assert {response.status_code for response in responses} <= {200, 202}
    assert max(len(batch) for batch in batches) > 1  # they really shared transactions
    concurrent = await stored_state(client.app)
    arrival = [event_id for batch in batches for event_id in batch]  # the order the batcher saw
    assert sorted(arrival) == sorted(event["event_id"] for event in events)
    concurrent_statuses = sorted((r.json()["event_id"], r.status_code) for r in responses)

    await forget_everything(client.app)
    batches.clear()
    sequential_statuses = []
    for event_id in arrival:
        response = await post(client, by_id[event_id])
        sequential_statuses.append((event_id, response.status_code))
    assert all(len(batch) == 1 for batch in batches)
    assert await stored_state(client.app) == concurrent
    assert sorted(sequential_statuses) == concurrent_statuses
    tickets, receipts, outbox = concurrent
    assert len(receipts) == len(by_id) and len(tickets) == len({e["ticket"]["id"] for e in events})
    assert sum(1 for row in outbox if row[3]["type"] == "ticket.first_responded") == len(
        {e["ticket"]["id"] for e in events if e["ticket"]["first_response_at"]}
    )


async def test_a_repeated_event_id_inside_one_batch_is_a_duplicate_of_the_first(client, settings):
    first = parse(orjson.dumps(ticket_event(event_id="crm-twice", id="T-1", subject="first")))
    again = parse(orjson.dumps(ticket_event(event_id="crm-twice", id="T-2", subject="changed")))
    other = parse(orjson.dumps(ticket_event(event_id="crm-other", id="T-1", occurred_at="2026-11-20T09:00:00Z")))
    async with client.app.state.sessions() as session:
        results = await webhooks_service.receive_ticket_webhooks(
            session, [first, again, other, again], topic=settings.topic("tickets"), notify_public_key=settings.notify_public_key
        )
        await session.commit()
    assert [(r.event_id, r.duplicate, r.ticket_id) for r in results] == [
        ("crm-twice", False, "T-1"), ("crm-twice", True, "T-1"), ("crm-other", False, "T-1"), ("crm-twice", True, "T-1"),
    ]
    tickets, receipts, outbox = await stored_state(client.app)
    assert [ticket["id"] for ticket in tickets] == ["T-1"] and tickets[0]["subject"] == "退款进度"
    assert [receipt[0] for receipt in receipts] == ["crm-other", "crm-twice"]
    assert [row[0] for row in outbox] == [
        tickets_service.event_id_for("crm-twice"), tickets_service.event_id_for("crm-other")
    ]


async def test_the_same_event_id_in_one_http_batch_is_accepted_once(client, monkeypatch):
    batches = record_batches(monkeypatch)
    payload = ticket_event(event_id="crm-burst")
    responses = await asyncio.gather(*(post(client, payload) for _ in range(20)))
    assert sorted(r.status_code for r in responses) == [200] * 19 + [202]
    assert any(batch.count("crm-burst") > 1 for batch in batches)
    _tickets, receipts, outbox = await stored_state(client.app)
    assert len(receipts) == 1 and len(outbox) == 1


@pytest.fixture
async def lingering_client(settings):
    """A client whose batcher waits 50 ms, so concurrent requests surely share a batch."""
    app = create_app(settings.model_copy(update={"webhook_batch_linger_seconds": 0.05}))
    async with running_app(app, ensure_topics_for=settings) as http:
        http.app = app
        yield http


async def test_a_poison_item_fails_alone_and_the_rest_of_its_batch_is_accepted(lingering_client, monkeypatch):
    batches = record_batches(monkeypatch)
    real = tickets_service.snapshot_columns

    def refuse_poison(snapshot):
        columns = real(snapshot)
        if snapshot.id == "T-poison":
            columns["created_at"] = None  # NOT NULL: the database refuses this row
        return columns

    monkeypatch.setattr(tickets_service, "snapshot_columns", refuse_poison)
    events = [ticket_event(event_id=f"crm-ok-{n}", id=f"T-{n}") for n in range(10)]
    events.insert(4, ticket_event(event_id="crm-poison", id="T-poison"))
    responses = await asyncio.gather(*(post(lingering_client, event) for event in events))

    statuses = {r.request.content and orjson.loads(r.request.content)["event_id"]: r for r in responses}
    poison = statuses.pop("crm-poison")
    assert poison.status_code == 500 and poison.headers["content-type"] == PROBLEM
    assert poison.json()["status"] == 500 and poison.json()["type"].endswith("event-not-stored")
    assert {event_id: r.status_code for event_id, r in statuses.items()} == {f"crm-ok-{n}": 202 for n in range(10)}
    assert len(batches[0]) == 11 and batches[1] == batches[0]  # the batch, its retry, then one by one
    assert sorted(len(batch) for batch in batches[2:]) == [1] * 11
    tickets, receipts, outbox = await stored_state(lingering_client.app)
    assert sorted(t["id"] for t in tickets) == sorted(f"T-{n}" for n in range(10))
    assert "crm-poison" not in {r[0] for r in receipts} and len(receipts) == 10
    assert len(outbox) == 10 and "T-poison" not in {row[2] for row in outbox}


@pytest.fixture
async def tiny_queue_client(settings):
    app = create_app(settings.model_copy(update={"webhook_batch_max_items": 1, "webhook_queue_limit": 2}))
    async with running_app(app, ensure_topics_for=settings) as http:
        http.app = app
        yield http


async def test_a_full_queue_is_a_503_with_retry_after_and_stores_nothing(tiny_queue_client, monkeypatch):
    http = tiny_queue_client
    entered, release = asyncio.Event(), asyncio.Event()
    real = webhooks_service.receive_ticket_webhooks

    async def held(session, payloads, **options):
        entered.set()
        await release.wait()
        return await real(session, payloads, **options)

    monkeypatch.setattr(webhooks_service, "receive_ticket_webhooks", held)
    batcher = http.app.state.webhook_batcher
    events = [ticket_event(event_id=f"crm-q-{n}", id=f"T-{n}") for n in range(4)]
    in_flight = asyncio.create_task(post(http, events[0]))
    await asyncio.wait_for(entered.wait(), 5)  # the worker holds item 0 in its transaction
    queued = [asyncio.create_task(post(http, event)) for event in events[1:3]]
    await wait_until(lambda: _queued(batcher, 2), timeout=5, message="two items queued")

    refused = await post(http, events[3])
    assert refused.status_code == 503 and refused.headers["content-type"] == PROBLEM
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["type"].endswith("intake-busy") and "full" in refused.json()["detail"]

    release.set()
    assert [r.status_code for r in await asyncio.gather(in_flight, *queued)] == [202, 202, 202]
    _tickets, receipts, _outbox = await stored_state(http.app)
    assert sorted(r[0] for r in receipts) == ["crm-q-0", "crm-q-1", "crm-q-2"]
    assert (await post(http, events[3])).status_code == 202  # a retry later is accepted


async def _queued(batcher, count: int) -> bool:
    return len(batcher._queue) >= count


async def test_stopping_drains_the_queue_and_commits_it(client):
    batcher = client.app.state.webhook_batcher
    payloads = [parse(orjson.dumps(ticket_event(event_id=f"crm-drain-{n}", id=f"T-{n}"))) for n in range(30)]
    pending = [asyncio.create_task(batcher.submit(payload)) for payload in payloads]
    await asyncio.sleep(0)  # all queued, none applied yet
    await batcher.stop()
    assert all(task.done() and not task.result().duplicate for task in pending)
    _tickets, receipts, outbox = await stored_state(client.app)
    assert len(receipts) == 30 and len(outbox) == 30
    refused = await post(client, ticket_event(event_id="crm-late"))
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"


async def test_metrics_report_how_many_events_each_transaction_held(client):
    def applied(text: str) -> float:
        line = next(line for line in text.splitlines() if line.startswith("csq_webhook_batch_size_sum"))
        return float(line.split()[-1])

    before = applied((await client.get("/metrics")).text)
    responses = await asyncio.gather(*(post(client, ticket_event(event_id=f"crm-m-{n}", id=f"T-m-{n}")) for n in range(5)))
    assert {response.status_code for response in responses} == {202}
    assert applied((await client.get("/metrics")).text) - before == 5
