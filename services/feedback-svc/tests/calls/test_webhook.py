"""``POST /v1/webhooks/calls``: signed call detail records, validated, stored once per call id,
published as ``call.completed`` on csq.calls (read back with a real consumer), listed with filters."""

from datetime import timedelta

import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, insert, select

from csq_common.bus.models import OutboxMessage
from csq_common.db import utcnow
from csq_common.events import CallCompleted, CloudEvent
from csq_testing import wait_until
from feedback_svc.calls.models import CallRecord
from feedback_svc.calls.service import call_event_id
from tests.conftest import OLD_WEBHOOK_SECRET, READER, signed_headers
from csq_testing.topics import outbox_drained

URL = "/v1/webhooks/calls"
PROBLEM = "application/problem+json"
ADMIN = {"Authorization": "Bearer admin-key"}
DESIGN_FIELDS = {
    "call_id", "direction", "queue", "team_id", "agent_id", "offered_at", "answered_at", "ended_at", "wait_seconds",
    "talk_seconds", "hold_seconds", "ticket_id", "customer_id",
}


def answered(call_id: str = "CALL-1", **overrides):
    record = {
        "call_id": call_id, "direction": "inbound", "queue": "售后-退款", "team_id": "billing", "agent_id": "A-7",
        "offered_at": "2026-11-20T09:00:00Z", "answered_at": "2026-11-20T09:00:18Z", "ended_at": "2026-11-20T09:06:18Z",
        "wait_seconds": 18, "talk_seconds": 330, "hold_seconds": 30, "ticket_id": "T-1001", "customer_id": "C-9",
    }
    record.update(overrides)
    return record


def abandoned(call_id: str = "CALL-2", **overrides):
    values = {
        "agent_id": None, "answered_at": None, "ended_at": "2026-11-20T09:01:05Z", "wait_seconds": 65, "talk_seconds": 0,
        "hold_seconds": 0, "ticket_id": None, "customer_id": None,
    }
    return answered(call_id, **{**values, **overrides})


@pytest.fixture
def post_call(client):
    async def post(payload, *, secret=None, timestamp=None, headers=None):
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        sent = signed_headers(body, timestamp=timestamp) if secret is None else signed_headers(body, secret=secret, timestamp=timestamp)
        sent.update(headers or {})
        return await client.post(URL, content=body, headers=sent)

    return post


async def count(app, model) -> int:
    async with app.state.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def read_calls_topic(settings, at_least: int) -> list:
    """Every record on csq.calls, read by a consumer in its own group from the beginning."""
    consumer = AIOKafkaConsumer(
        settings.topic("calls"), bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest",
        group_id=f"{settings.topic_prefix}calls-reader", enable_auto_commit=False,
    )
    await consumer.start()
    records = []
    try:
        async def enough() -> bool:
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                records.extend(batch)
            return len(records) >= at_least

        await wait_until(enough, timeout=20, message=f"{at_least} records on {settings.topic('calls')}")
        for batch in (await consumer.getmany(timeout_ms=500)).values():  # and nothing more
            records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def test_a_call_is_stored_once_and_published_on_csq_calls(client, settings, post_call):
    first = await post_call(answered())
    assert first.status_code == 202, first.text
    assert first.json() == {"accepted": True, "duplicate": False, "call_id": "CALL-1"}
    assert (await post_call(abandoned(), secret=OLD_WEBHOOK_SECRET)).status_code == 202  # rotated secret

    again = await post_call(answered(talk_seconds=999))  # the same call id, even changed: a duplicate
    assert again.status_code == 200 and again.json() == {"accepted": True, "duplicate": True, "call_id": "CALL-1"}
    assert await count(client.app, CallRecord) == 2

    await wait_until(lambda: outbox_drained(client.app), timeout=10, message="outbox published")
    records = await read_calls_topic(settings, at_least=2)
    assert len(records) == 2 and await count(client.app, OutboxMessage) == 2
    events = {record.key.decode(): CloudEvent.from_bytes(record.value) for record in records}
    assert set(events) == {"CALL-1", "CALL-2"}
    call = events["CALL-1"]
    assert call.type == "call.completed" and call.id == call_event_id("CALL-1") and call.subject == "CALL-1"
    assert call.time.isoformat() == "2026-11-20T09:06:18+00:00"
    assert set(call.data) == DESIGN_FIELDS | {"schema_version"}
    assert call.data == {
        "schema_version": 1, "call_id": "CALL-1", "direction": "inbound", "queue": "售后-退款", "team_id": "billing",
        "agent_id": "A-7", "offered_at": "2026-11-20T09:00:00Z", "answered_at": "2026-11-20T09:00:18Z",
        "ended_at": "2026-11-20T09:06:18Z", "wait_seconds": 18.0, "talk_seconds": 330.0, "hold_seconds": 30.0,
        "ticket_id": "T-1001", "customer_id": "C-9",
    }
    gone = CallCompleted.model_validate(events["CALL-2"].data)
    assert gone.answered_at is None and gone.agent_id is None and gone.wait_seconds == 65


async def test_signature_failures_are_401s_and_store_nothing(client, post_call):
    body = orjson.dumps(answered())
    stale = await post_call(body, timestamp=int(utcnow().timestamp()) - 301)
    wrong = await post_call(body, secret="not-the-secret")
    missing = await client.post(URL, content=body, headers={"Content-Type": "application/json"})
    tampered_headers = signed_headers(body)
    tampered = await client.post(URL, content=body.replace(b"A-7", b"A-8"), headers=tampered_headers)
    garbled = await post_call(body, headers={"X-CSQ-Signature": "v1=zz"})
    for name, response in {"stale": stale, "wrong": wrong, "missing": missing, "tampered": tampered, "garbled": garbled}.items():
        assert response.status_code == 401 and response.headers["content-type"] == PROBLEM, name
        assert response.json()["type"].endswith("signature-mismatch"), name
    assert await count(client.app, CallRecord) == 0


@pytest.mark.parametrize(
    "payload, field",
    [
        (answered(ended_at="2026-11-20T08:59:00Z", answered_at=None, agent_id=None), "ended_at"),
        (answered(answered_at="2026-11-20T08:59:59Z"), "answered_at"),
        (answered(answered_at="2026-11-20T09:10:00Z"), "answered_at"),  # after the end
        (answered(wait_seconds=-1), "wait_seconds"),
        (answered(talk_seconds=-0.5), "talk_seconds"),
        (answered(hold_seconds=-3), "hold_seconds"),
        (abandoned(agent_id="A-7"), "agent_id"),
        (answered(direction="sideways"), "direction"),
        (answered(queue=""), "queue"),
        (answered(call_id="c" * 201), "call_id"),
        (answered(offered_at="2026-11-20T09:00:00"), "offered_at"),
        (answered(customer_id="C\u00009"), "customer_id"),
        ({k: v for k, v in answered().items() if k != "ended_at"}, "ended_at"),
    ],
)
async def test_invalid_records_are_422s_naming_the_field(client, post_call, payload, field):
    response = await post_call(payload)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert await count(client.app, CallRecord) == 0


async def test_infinite_seconds_and_non_json_are_422s(client, post_call):
    raw = orjson.dumps(answered()).replace(b'"talk_seconds":330', b'"talk_seconds":1e999')
    assert [e["field"] for e in (await post_call(raw)).json()["errors"]] == ["talk_seconds"]
    assert [e["field"] for e in (await post_call(b"[1,2]")).json()["errors"]] == ["body"]


async def test_calls_are_listed_by_offer_time_with_filters_and_pages(client, post_call):
    calls = [
        answered("C-1", offered_at="2026-11-20T09:00:00Z"),
        answered("C-2", offered_at="2026-11-20T10:00:00Z", answered_at="2026-11-20T10:00:05Z", ended_at="2026-11-20T10:05:00Z", agent_id="A-8"),
        abandoned("C-3", offered_at="2026-11-20T08:00:00Z", ended_at="2026-11-20T08:01:00Z", queue="销售"),
        answered("C-4", offered_at="2026-11-21T09:00:00Z", answered_at="2026-11-21T09:00:05Z", ended_at="2026-11-21T09:05:00Z", team_id="tech"),
    ]
    for call in calls:
        assert (await post_call(call)).status_code == 202

    async def ids(**params):
        response = await client.get("/v1/calls", params=params, headers=READER)
        assert response.status_code == 200, response.text
        return [item["call_id"] for item in response.json()["items"]]

    assert await ids() == ["C-3", "C-1", "C-2", "C-4"]
    assert await ids(queue="销售") == ["C-3"]
    assert await ids(team_id="billing") == ["C-3", "C-1", "C-2"]
    assert await ids(agent_id="A-8") == ["C-2"]
    assert await ids(**{"from": "2026-11-20T09:00:00Z", "to": "2026-11-20T10:00:00Z"}) == ["C-1"]
    assert await ids(**{"from": "2026-11-20T17:00:00+08:00"}) == ["C-1", "C-2", "C-4"]

    seen, cursor = [], None
    while True:
        page = (await client.get("/v1/calls", params={"limit": 3, **({"cursor": cursor} if cursor else {})}, headers=READER)).json()
        seen += [item["call_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["C-3", "C-1", "C-2", "C-4"]

    for params, field in (({"to": "2026-11-20T08:00:00Z", "from": "2026-11-20T09:00:00Z"}, "to"),
                          ({"cursor": "nonsense"}, "cursor"), ({"agent": "A-7"}, "agent"),
                          ({"from": "2026-11-20T09:00:00"}, "from"), ({"from": "0001-01-01T00:01:00+12:19"}, "from"),
                          ({"to": "9999-12-31T23:59:59-12:00"}, "to")):
        response = await client.get("/v1/calls", params=params, headers=READER)
        assert response.status_code == 422 and field in [e["field"] for e in response.json()["errors"]], (params, response.text)
    assert (await client.get("/v1/calls")).status_code == 401


async def test_erasure_removes_the_customer_from_call_records(client, post_call):
    assert (await post_call(answered())).status_code == 202
    assert (await client.post("/v1/customers/C-9/erase", headers=ADMIN)).status_code == 202
    (item,) = (await client.get("/v1/calls", headers=READER)).json()["items"]
    assert item["customer_id"] is None and item["agent_id"] == "A-7"


async def test_old_call_records_go_with_the_retention(client, settings):
    now = utcnow()
    keep = timedelta(days=settings.retention_call_days)
    assert keep == timedelta(days=365)
    common = {"direction": "inbound", "queue": "q", "offered_at": now - keep * 2, "wait_seconds": 1, "talk_seconds": 0,
              "hold_seconds": 0, "received_at": now}
    async with client.app.state.sessions() as session:
        await session.execute(
            insert(CallRecord.__table__),
            [{**common, "call_id": "old", "ended_at": now - keep - timedelta(days=1)},
             {**common, "call_id": "recent", "ended_at": now - keep + timedelta(days=1)}],
        )
        await session.commit()
    await client.app.state.retention.run_until_done()
    async with client.app.state.sessions() as session:
        assert set((await session.execute(select(CallRecord.call_id))).scalars()) == {"recent"}
