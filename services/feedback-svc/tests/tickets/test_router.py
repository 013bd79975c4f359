import asyncio
import sqlite3

import pytest

from tests.conftest import READER
from tests.webhooks.factories import closed_event, ticket_event


async def test_a_ticket_reads_back_as_last_reported_with_rfc3339_times(client, post_webhook):
    assert (await post_webhook(closed_event(id="T-9", created_at="2026-11-20T16:00:00+08:00"))).status_code == 202
    response = await client.get("/v1/tickets/T-9", headers=READER)
    assert response.status_code == 200
    assert response.json() == {
        "id": "T-9",
        "customer": {"id": "C-9", "email": "li.lei@example.com", "name": "李雷", "locale": "zh-CN"},
        "agent_id": "A-7",
        "team_id": "billing",
        "channel": "email",
        "priority": "normal",
        "subject": "退款进度",
        "status": "closed",
        "created_at": "2026-11-20T08:00:00Z",
        "first_response_at": "2026-11-20T08:12:00Z",
        "resolved_at": "2026-11-20T09:40:00Z",
        "closed_at": "2026-11-20T10:00:00Z",
        "handle_seconds": 540.0,
        "reopen_count": 0,
        "contact_count": 1,
        "tags": ["refund"],
        "last_event_at": "2026-11-20T10:00:00Z",
        "last_event_type": "ticket.closed",
        "updated_at": response.json()["updated_at"],
    }


async def test_an_unknown_ticket_is_a_404_problem(client):
    response = await client.get("/v1/tickets/T-nope", headers=READER)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("ticket-not-found") and "T-nope" in response.json()["detail"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "Basic abc"}])
async def test_reading_tickets_needs_a_known_api_key(client, headers):
    for path in ("/v1/tickets/T-1001", "/v1/tickets"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 401, path
        assert response.json()["status"] == 401


async def test_tickets_list_is_cursor_paginated_by_id(client, post_webhook):
    ids = ["T-3", "T-1", "T/5", "T-2", "T-4"]
    for ticket_id in ids:
        assert (await post_webhook(ticket_event(id=ticket_id))).status_code == 202
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/tickets", params=params, headers=READER)).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids)
    assert (await client.get("/v1/tickets/T/5", headers=READER)).json()["id"] == "T/5"
    bad = await client.get("/v1/tickets", params={"limit": 0}, headers=READER)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "limit"


async def _take_write_lock(writer: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE once the service's own background writers (outbox relay, retention worker)
    let go: retried without blocking the event loop they run on."""
    for _ in range(500):
        try:
            writer.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError:
            await asyncio.sleep(0.01)
    raise AssertionError("the service never let go of the write lock")


async def test_reads_do_not_wait_for_the_write_lock(client, post_webhook, database_url, db_backend):
    """GETs use the read session: on SQLite they succeed while another connection holds the
    write lock (BEGIN IMMEDIATE), as a long webhook batch or roll-up would."""
    if db_backend != "sqlite":
        pytest.skip("the write lock is SQLite's")
    assert (await post_webhook(ticket_event(id="T-7"))).status_code == 202
    writer = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None, timeout=0)
    try:
        await _take_write_lock(writer)
        one = await asyncio.wait_for(client.get("/v1/tickets/T-7", headers=READER), 5)
        page = await asyncio.wait_for(client.get("/v1/tickets", headers=READER), 5)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert one.status_code == 200 and one.json()["id"] == "T-7"
    assert page.status_code == 200 and [item["id"] for item in page.json()["items"]] == ["T-7"]


async def test_unstorable_ids_and_cursors_and_unknown_parameters_are_422s_naming_them(client):
    for path, params, field in [
        ("/v1/tickets/T%00-1", {}, "ticket_id"),
        ("/v1/tickets", {"cursor": "a\x00"}, "cursor"),
        ("/v1/tickets", {"limit": 5, "order": "desc"}, "order"),
    ]:
        response = await client.get(path, params=params, headers=READER)
        assert response.status_code == 422, (path, response.text)
        assert [error["field"] for error in response.json()["errors"]] == [field]
