"""/v1/sla-policies and /v1/sla/open through the app, with ticket events through the real broker."""

from datetime import timedelta

import pytest

from csq_common.db import utcnow
from csq_common.pagination import encode_cursor
from csq_common.events import TicketAssigned, TicketCreated
from csq_testing import connected_producer, wait_until
from tests.conversation_factories import message_event
from tests.conversation_oracle import Message
from tests.sla.factories import ADMIN, READER, policy_body, ticket_event


async def test_an_admin_creates_policies_that_readers_list_and_get(client):
    created = await client.post("/v1/sla-policies", json=policy_body(tags=["投诉"], next_response_seconds=1200), headers=ADMIN)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["tags"] == ["投诉"] and body["next_response_seconds"] == 1200 and body["paused_statuses"] == ["pending", "on_hold"]
    assert (await client.get(f"/v1/sla-policies/{body['id']}", headers=READER)).json() == body
    assert [p["id"] for p in (await client.get("/v1/sla-policies", headers=READER)).json()["items"]] == [body["id"]]
    assert (await client.post("/v1/sla-policies", json=policy_body(), headers=READER)).status_code == 403
    assert (await client.get("/v1/sla-policies/nope", headers=READER)).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_response_seconds": 0}, "first_response_seconds"),
        ({"resolution_seconds": -5}, "resolution_seconds"),
        ({"priorities": ["high\x00"]}, "priorities[0]"),
        ({"name": ""}, "name"),
        ({"business_hour": True}, "business_hour"),
    ],
)
async def test_a_bad_policy_is_a_422_naming_the_field(client, changes, field):
    response = await client.post("/v1/sla-policies", json=policy_body(**changes), headers=ADMIN)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_open_timers_from_ticket_events_on_the_broker_sorted_by_time_left(client, settings):
    assert (await client.post("/v1/sla-policies", json=policy_body(first_response_seconds=3600), headers=ADMIN)).status_code == 201
    now = utcnow().replace(microsecond=0)
    events = [
        ticket_event(TicketCreated, "T-a", now - timedelta(minutes=10), now - timedelta(minutes=10), status="open"),
        ticket_event(TicketCreated, "T-b", now - timedelta(minutes=50), now - timedelta(minutes=50), status="open"),
        ticket_event(TicketCreated, "T-c", now - timedelta(minutes=30), now - timedelta(minutes=30), status="open", team="tech"),
        ticket_event(TicketCreated, "T-d", now - timedelta(minutes=40), now - timedelta(minutes=40), status="open"),
        ticket_event(TicketAssigned, "T-d", now - timedelta(minutes=39), now - timedelta(minutes=40), status="pending"),
    ]
    async with connected_producer(settings) as producer:
        for item in events:
            await producer.send_and_wait(settings.topic("tickets"), item.to_bytes(), key=item.subject.encode())

    async def first_responses():
        body = (await client.get("/v1/sla/open", params={"limit": 50}, headers=READER)).json()
        rows = [(item["ticket_id"], item["seconds_left"]) for item in body["items"] if item["metric"] == "first_response"]
        return rows if len(rows) == 3 else None

    rows = await wait_until(first_responses, timeout=30, message="three running first-response timers")
    assert [ticket for ticket, _ in rows] == ["T-b", "T-c", "T-a"]  # T-d is pending: its clock is stopped
    assert 9 * 60 < rows[0][1] <= 10 * 60 + 5

    page = (await client.get("/v1/sla/open", params={"team_id": "billing", "limit": 1}, headers=READER)).json()
    assert [item["ticket_id"] for item in page["items"]] == ["T-b"]
    seen = []
    cursor = page["next_cursor"]
    while cursor:
        page = (await client.get("/v1/sla/open", params={"team_id": "billing", "limit": 1, "cursor": cursor}, headers=READER)).json()
        seen += [(item["ticket_id"], item["metric"]) for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [("T-a", "first_response"), ("T-b", "resolution"), ("T-a", "resolution")]
    naive = encode_cursor("2026-12-01T10:00:00", "T-a", "resolution")  # a well-formed cursor without an offset
    for cursor in ("bm90LWEtY3Vyc29y", naive):
        bad = await client.get("/v1/sla/open", params={"cursor": cursor}, headers=READER)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


async def test_a_customer_wait_on_the_broker_is_an_open_next_response_timer_and_the_sla_kpis_are_read_over_http(client, settings):
    body = policy_body(first_response_seconds=3600, next_response_seconds=1200)
    assert (await client.post("/v1/sla-policies", json=body, headers=ADMIN)).status_code == 201
    now = utcnow().replace(microsecond=0)
    created, asked = now - timedelta(minutes=30), now - timedelta(minutes=5)
    question = Message("T-w", "M-1", "customer", None, True, asked)
    events = [
        ticket_event(TicketCreated, "T-w", created, created, status="open", team="售后一组", agent="坐席-甲", channel="wechat"),
        message_event(question, "wechat", "在吗？我的退款还没到账。"),
    ]
    async with connected_producer(settings) as producer:
        for item in events:
            await producer.send_and_wait(settings.topic("tickets"), item.to_bytes(), key=b"T-w")

    async def waits():
        found = (await client.get("/v1/sla/open", params={"team_id": "售后一组"}, headers=READER)).json()["items"]
        return [item for item in found if item["metric"] == "next_response"] or None

    (wait,) = await wait_until(waits, timeout=30, message="a running next-response timer")
    assert (wait["ticket_id"], wait["agent_id"], wait["channel"]) == ("T-w", "坐席-甲", "wechat")
    assert wait["started_at"] == asked.isoformat().replace("+00:00", "Z") and 14 * 60 < wait["seconds_left"] <= 15 * 60 + 5

    window = {"from": (now - timedelta(hours=2)).replace(minute=0, second=0).isoformat(),
              "to": (now + timedelta(hours=2)).replace(minute=0, second=0).isoformat()}
    series = await client.get("/v1/kpis/series", params={**window, "metric": "sla_next_response_pct", "interval": "hour"}, headers=READER)
    assert series.status_code == 200, series.text
    assert {point["count"] for point in series.json()["groups"][0]["points"]} == {0}  # nothing measured yet
    table = await client.get("/v1/kpis/breakdown", params={**window, "by": "agent_id", "metrics": "sla_frt_pct,sla_next_response_pct"},
                             headers=READER)
    assert table.status_code == 200, table.text
    board = await client.get("/v1/kpis/leaderboard", params={**window, "metric": "sla_frt_pct"}, headers=READER)
    assert board.status_code == 200 and board.json()["direction"] == "higher_is_better"


async def test_open_timers_by_agent_channel_and_metric(client, settings):
    assert (await client.post("/v1/sla-policies", json=policy_body(first_response_seconds=3600), headers=ADMIN)).status_code == 201
    now = utcnow().replace(microsecond=0)
    events = [
        ticket_event(TicketCreated, "T-甲1", now - timedelta(minutes=30), now - timedelta(minutes=30), status="open", agent="坐席-甲", channel="wechat"),
        ticket_event(TicketCreated, "T-甲2", now - timedelta(minutes=5), now - timedelta(minutes=5), status="open", agent="坐席-甲", channel="email"),
        ticket_event(TicketCreated, "T-乙1", now - timedelta(minutes=50), now - timedelta(minutes=50), status="open", agent="坐席-乙", channel="wechat"),
    ]
    async with connected_producer(settings) as producer:
        for item in events:
            await producer.send_and_wait(settings.topic("tickets"), item.to_bytes(), key=item.subject.encode())

    async def shown(**params) -> list[tuple[str, str]]:
        response = await client.get("/v1/sla/open", params={"limit": 50, **params}, headers=READER)
        assert response.status_code == 200, response.text
        return [(item["ticket_id"], item["metric"]) for item in response.json()["items"]]

    async def all_six():
        rows = await shown()
        return rows if len(rows) == 6 else None

    await wait_until(all_six, timeout=30, message="six running timers")
    assert await shown(agent_id="坐席-甲", metric="first_response") == [("T-甲1", "first_response"), ("T-甲2", "first_response")]
    assert await shown(channel="wechat", metric="first_response") == [("T-乙1", "first_response"), ("T-甲1", "first_response")]
    assert await shown(agent_id="坐席-乙") == [("T-乙1", "first_response"), ("T-乙1", "resolution")]
    assert await shown(agent_id="坐席-丙") == []
    bad = await client.get("/v1/sla/open", params={"metric": "frt"}, headers=READER)
    assert bad.status_code == 422 and [error["field"] for error in bad.json()["errors"]] == ["metric"]


async def test_an_admin_replaces_and_deletes_a_policy(client):
    created = (await client.post("/v1/sla-policies", json=policy_body(), headers=ADMIN)).json()
    later = (await client.post("/v1/sla-policies", json=policy_body(name="投诉", tags=["投诉"]), headers=ADMIN)).json()
    assert (created["revision"], created["updated_at"]) == (1, None)
    changed = await client.put(
        f"/v1/sla-policies/{created['id']}", json=policy_body(name="普通工单（新）", first_response_seconds=1800), headers=ADMIN
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["id"], body["created_at"], body["revision"], body["first_response_seconds"]) == (created["id"], created["created_at"], 2, 1800)
    assert body["name"] == "普通工单（新）" and body["updated_at"]
    assert (await client.get(f"/v1/sla-policies/{created['id']}", headers=READER)).json() == body
    bad = await client.put(f"/v1/sla-policies/{created['id']}", json=policy_body(resolution_seconds=0), headers=ADMIN)
    assert bad.status_code == 422 and [error["field"] for error in bad.json()["errors"]] == ["resolution_seconds"]
    assert (await client.put(f"/v1/sla-policies/{created['id']}", json=policy_body(), headers=READER)).status_code == 403
    assert (await client.put("/v1/sla-policies/nope", json=policy_body(), headers=ADMIN)).status_code == 404

    assert (await client.delete(f"/v1/sla-policies/{created['id']}", headers=READER)).status_code == 403
    assert (await client.delete(f"/v1/sla-policies/{created['id']}", headers=ADMIN)).status_code == 204
    assert (await client.get(f"/v1/sla-policies/{created['id']}", headers=READER)).status_code == 404
    assert (await client.delete(f"/v1/sla-policies/{created['id']}", headers=ADMIN)).status_code == 404
    assert [p["id"] for p in (await client.get("/v1/sla-policies", headers=READER)).json()["items"]] == [later["id"]]
