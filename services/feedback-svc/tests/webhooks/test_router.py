import asyncio
import time

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from csq_common.bus.models import OutboxMessage
from csq_testing import free_port, running_app
from feedback_svc.main import create_app
from feedback_svc.tickets.models import Ticket
from feedback_svc.tickets.service import event_id_for, first_responded_event_id
from feedback_svc.webhooks.models import WebhookReceipt
from tests.conftest import OLD_WEBHOOK_SECRET, READER, WEBHOOK_URL, signed_headers
from csq_testing.topics import published
from tests.webhooks.factories import closed_event, ticket_event

PROBLEM = "application/problem+json"


async def count(app, model, *where) -> int:
    async with app.state.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_an_accepted_webhook_is_stored_and_published_with_its_own_snapshot(client, settings, post_webhook):
    created = ticket_event(event_id="crm-1", occurred_at="2026-11-20T08:00:00Z")
    response = await post_webhook(created)
    assert response.status_code == 202
    assert response.json() == {"accepted": True, "duplicate": False, "event_id": "crm-1", "ticket_id": "T-1001"}

    closed = closed_event(event_id="crm-7f3a")
    assert (await post_webhook(closed, secret=OLD_WEBHOOK_SECRET)).status_code == 202  # rotated secret

    ticket = (await client.get("/v1/tickets/T-1001", headers=READER)).json()
    assert ticket["status"] == "closed" and ticket["closed_at"] == "2026-11-20T10:00:00Z"
    assert ticket["customer"] == {"id": "C-9", "email": "li.lei@example.com", "name": "李雷", "locale": "zh-CN"}

    records = await published(client.app, settings)
    assert [(key, event.type) for key, event in records] == [
        ("T-1001", "ticket.created"),
        ("T-1001", "ticket.closed"),
        ("T-1001", "ticket.first_responded"),
    ]
    created_event, closed_cloud_event, first = (event for _key, event in records)
    assert created_event.id == event_id_for("crm-1") and created_event.source == "feedback-svc"
    assert created_event.subject == "T-1001" and created_event.time.isoformat() == "2026-11-20T08:00:00+00:00"
    # Each event carries the snapshot of its own webhook, not the merged state.
    assert created_event.data["ticket"]["status"] == "open" and created_event.data["ticket"]["closed_at"] is None
    assert created_event.data["crm_event_id"] == "crm-1"
    assert closed_cloud_event.data["ticket"]["closed_at"] == "2026-11-20T10:00:00Z"
    assert closed_cloud_event.data["occurred_at"] == "2026-11-20T10:00:00Z"
    assert first.id == first_responded_event_id("T-1001")
    assert first.time.isoformat() == "2026-11-20T08:12:00+00:00"
    assert first.data["ticket"]["status"] == "closed" and first.data["crm_event_id"] == "crm-7f3a"


async def test_the_same_event_id_again_is_a_200_duplicate_that_changes_nothing(client, post_webhook):
    first = ticket_event(event_id="crm-dup", subject="original")
    assert (await post_webhook(first)).status_code == 202
    before = (await client.get("/v1/tickets/T-1001", headers=READER)).json()

    changed = ticket_event(event_id="crm-dup", subject="changed", occurred_at="2026-11-20T09:00:00Z")
    for payload in (first, changed):
        response = await post_webhook(payload)
        assert response.status_code == 200
        assert response.json() == {"accepted": True, "duplicate": True, "event_id": "crm-dup", "ticket_id": "T-1001"}
    assert (await client.get("/v1/tickets/T-1001", headers=READER)).json() == before
    assert await count(client.app, OutboxMessage) == 1
    assert await count(client.app, WebhookReceipt) == 1


async def test_concurrent_identical_deliveries_are_accepted_once(client, post_webhook):
    payload = closed_event(event_id="crm-race")
    responses = await asyncio.gather(*(post_webhook(payload) for _ in range(4)))
    assert sorted(response.status_code for response in responses) == [200, 200, 200, 202]
    assert await count(client.app, OutboxMessage) == 2  # ticket.closed + ticket.first_responded
    assert await count(client.app, WebhookReceipt) == 1


async def test_older_events_arriving_late_do_not_overwrite_newer_state(client, settings, post_webhook):
    assert (await post_webhook(closed_event(event_id="crm-closed"))).status_code == 202
    late = ticket_event("ticket.assigned", event_id="crm-assigned", occurred_at="2026-11-20T08:05:00Z", agent_id="A-1")
    assert (await post_webhook(late)).status_code == 202

    ticket = (await client.get("/v1/tickets/T-1001", headers=READER)).json()
    assert ticket["agent_id"] == "A-7" and ticket["status"] == "closed"
    assert ticket["last_event_at"] == "2026-11-20T10:00:00Z" and ticket["last_event_type"] == "ticket.closed"

    # The late event is still published, with its own snapshot and time, for kpi-svc.
    events = {event.type: event for _key, event in await published(client.app, settings)}
    assert events["ticket.assigned"].data["ticket"]["agent_id"] == "A-1"
    assert events["ticket.assigned"].time.isoformat() == "2026-11-20T08:05:00+00:00"


async def test_an_equal_occurred_at_is_won_by_the_later_arrival(client, post_webhook):
    at = "2026-11-20T09:00:00Z"
    await post_webhook(ticket_event("ticket.assigned", occurred_at=at, agent_id="A-1"))
    await post_webhook(ticket_event("ticket.assigned", occurred_at=at, agent_id="A-2"))
    assert (await client.get("/v1/tickets/T-1001", headers=READER)).json()["agent_id"] == "A-2"


async def test_first_responded_is_derived_once_even_from_a_late_event(client, settings, post_webhook):
    responded_at = "2026-11-20T08:12:00Z"
    steps = [
        ticket_event("ticket.created", occurred_at="2026-11-20T08:00:00Z"),
        ticket_event("ticket.assigned", occurred_at="2026-11-20T08:30:00Z", agent_id="A-2"),
        # Arrives late (older than the stored state) but is the first to carry the response.
        ticket_event("ticket.assigned", occurred_at="2026-11-20T08:20:00Z", first_response_at=responded_at),
        closed_event(first_response_at=responded_at),
        ticket_event("ticket.reopened", occurred_at="2026-11-20T11:00:00Z", first_response_at=responded_at, reopen_count=1),
    ]
    for payload in steps:
        assert (await post_webhook(payload)).status_code == 202

    records = await published(client.app, settings)
    types = [event.type for _key, event in records]
    assert types == [
        "ticket.created", "ticket.assigned", "ticket.assigned", "ticket.first_responded", "ticket.closed", "ticket.reopened",
    ]
    first = records[3][1]
    assert first.time.isoformat() == "2026-11-20T08:12:00+00:00"
    assert first.data["crm_event_id"] == steps[2]["event_id"]
    assert first.data["ticket"]["agent_id"] == "A-7"  # the late payload's own snapshot

    ticket = (await client.get("/v1/tickets/T-1001", headers=READER)).json()
    assert ticket["status"] == "open" and ticket["reopen_count"] == 1


async def test_bad_stale_future_and_missing_signatures_are_401_problems(client, post_webhook):
    body = orjson.dumps(ticket_event())
    now = int(time.time())
    attempts = {
        "wrong secret": await post_webhook(body, secret="not-the-secret"),
        # Well past the 300 s tolerance so a slow run cannot drift inside it (the exact boundary
        # is unit-tested in test_signature.py with a fixed clock).
        "stale": await post_webhook(body, timestamp=int(time.time()) - 330),
        "future": await post_webhook(body, timestamp=int(time.time()) + 330),
        "tampered": await client.post(WEBHOOK_URL, content=body + b" ", headers=signed_headers(body)),
        "no headers": await client.post(WEBHOOK_URL, content=body),
        "no signature": await client.post(WEBHOOK_URL, content=body, headers={"X-CSQ-Timestamp": str(now)}),
        "garbled": await post_webhook(body, headers={"X-CSQ-Signature": "v1=zz"}),
    }
    for name, response in attempts.items():
        assert response.status_code == 401, name
        assert response.headers["content-type"] == PROBLEM, name
        problem = response.json()
        assert problem["status"] == 401 and problem["type"].endswith("signature-mismatch"), name
    assert "300 s" in attempts["stale"].json()["detail"] and "300 s" in attempts["future"].json()["detail"]
    assert "does not match" in attempts["wrong secret"].json()["detail"]
    assert await count(client.app, WebhookReceipt) == 0
    assert await count(client.app, Ticket) == 0


async def test_a_body_over_one_mebibyte_is_413_by_length_or_while_streaming(client, post_webhook):
    big = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    by_length = await post_webhook(big)
    assert by_length.status_code == 413 and by_length.headers["content-type"] == PROBLEM

    async def chunks():  # no Content-Length: the limit is counted while streaming
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    streamed = await client.post(WEBHOOK_URL, content=chunks(), headers=signed_headers(big))
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413 and streamed.json()["status"] == 413

    exactly = orjson.dumps(ticket_event(event_id="crm-big"))
    exactly = exactly[:-1] + b"," + b'"pad":"' + b"y" * (1024 * 1024 - len(exactly) - 9) + b'"}'
    assert len(exactly) == 1024 * 1024
    assert (await post_webhook(exactly)).status_code == 202  # the limit itself is allowed


async def test_invalid_fields_are_422_problems_naming_the_field(client, post_webhook):
    response = await post_webhook(ticket_event(created_at="not a time"))
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == ["ticket.created_at"]
    assert "ticket.created_at" in problem["detail"]

    rules = await post_webhook(closed_event(closed_at=None, first_response_at="2026-11-19T00:00:00Z"))
    assert rules.status_code == 422
    assert {e["field"] for e in rules.json()["errors"]} == {"ticket.closed_at", "ticket.first_response_at"}
    assert await count(client.app, WebhookReceipt) == 0


async def test_nothing_a_client_sends_ends_in_a_5xx(client, post_webhook):
    bodies = [
        b"", b"[]", b"null", b"0", b"\xff\xfe\xfd", b'{"event_id": "\xc3\x28"}', b"{" * 10_000,
        orjson.dumps(ticket_event(subject="s" * 100_000)),
        orjson.dumps(ticket_event(event_id="x" * 10_000)),
        orjson.dumps(ticket_event(id="\u0000")),
        orjson.dumps(ticket_event(tags=["t"] * 5000)),
        orjson.dumps(ticket_event(reopen_count=2**62)),
        orjson.dumps(ticket_event()).replace(b'"reopen_count":0', b'"reopen_count":' + b"9" * 40),
        orjson.dumps(ticket_event(created_at="9999-12-31T23:59:59-01:00")),
        orjson.dumps(ticket_event(customer="C-9")),
        orjson.dumps({**ticket_event(), "ticket": None}),
        orjson.dumps(ticket_event(handle_seconds="NaN")),
    ]
    for body in bodies:
        response = await post_webhook(body)
        assert response.status_code == 422, (body[:60], response.text)
        assert response.json()["errors"], body[:60]
    odd_headers = [
        {"X-CSQ-Timestamp": "99999999999999999999999"},
        {"X-CSQ-Timestamp": "١٢٣".encode()},  # non-ASCII digits
        {"X-CSQ-Timestamp": "²³".encode("latin-1")},
        {"X-CSQ-Signature": ("v1=" + "é" * 64).encode()},
        {"X-CSQ-Signature": ","},
        {"Content-Length": "abc"},
        {"Content-Length": "²".encode("latin-1")},
    ]
    for headers in odd_headers:
        try:
            response = await post_webhook(b"{}", headers=headers)
        except httpx.LocalProtocolError:  # the client itself refuses to send it
            continue
        assert 400 <= response.status_code < 500, (headers, response.text)
    for path in ("/v1/tickets/%00", "/v1/tickets/" + "x" * 5000, "/v1/tickets?cursor=%00", "/v1/tickets?cursor=****"):
        response = await client.get(path, headers=READER)
        assert 400 <= response.status_code < 500, (path, response.text)


async def test_the_outbox_keeps_events_while_the_broker_is_unreachable(settings):
    unreachable = settings.model_copy(update={"kafka_bootstrap_servers": f"127.0.0.1:{free_port()}"})
    app = create_app(unreachable)
    async with running_app(app) as http:
        for payload in (ticket_event(event_id="crm-a"), closed_event(event_id="crm-b")):
            body = orjson.dumps(payload)
            assert (await http.post(WEBHOOK_URL, content=body, headers=signed_headers(body))).status_code == 202
        await asyncio.sleep(0.5)  # several relay polls
        async with app.state.sessions() as session:
            rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    assert [row.sent_at for row in rows] == [None, None, None]
    assert [row.event_id for row in rows] == [
        event_id_for("crm-a"), event_id_for("crm-b"), first_responded_event_id("T-1001"),
    ]
    assert {row.topic for row in rows} == {unreachable.topic("tickets")} and {row.key for row in rows} == {"T-1001"}


async def test_an_invalid_customer_email_is_a_422_and_keeps_the_stored_address(client, post_webhook):
    assert (await post_webhook(ticket_event(event_id="crm-e1", id="T-8"))).status_code == 202
    bad = ticket_event(event_id="crm-e2", id="T-8", occurred_at="2026-11-20T09:00:00Z", customer={"id": "C-9", "email": "not-an-email"})
    response = await post_webhook(bad)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert [error["field"] for error in response.json()["errors"]] == ["ticket.customer.email"]
    ticket = (await client.get("/v1/tickets/T-8", headers=READER)).json()
    assert ticket["customer"]["email"] == "li.lei@example.com"
