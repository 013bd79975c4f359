"""Unmappable vendor payloads: 422 naming the field, kept raw, listed for admins; unconfigured
vendors: 404."""

from datetime import timedelta

import orjson
from sqlalchemy import select

from csq_common.bus.models import OutboxMessage
from csq_common.db import utcnow
from feedback_svc.main import retention_rules
from feedback_svc.rejections.models import WebhookRejection
from tests.connectors.conftest import ADMIN, READER, count, freshdesk_headers
from tests.connectors.payloads import chatwoot_conversation, freshdesk_rule, zendesk_event, zendesk_status

PROBLEM = "application/problem+json"


async def test_an_unmappable_payload_is_a_422_naming_the_field_and_is_kept(client, post_vendor):
    bad_status = zendesk_status("OPEN", "ESCALATED", time="2026-11-20T09:00:00Z")
    response = await post_vendor("zendesk", bad_status)
    assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM)
    assert {"field": "detail.status", "message": "unknown status 'ESCALATED'"} in response.json()["errors"]

    no_id = zendesk_event("created")
    no_id["detail"]["id"] = None
    response = await post_vendor("zendesk", no_id)
    assert [error["field"] for error in response.json()["errors"]] == ["detail.id"]

    bad_priority = freshdesk_rule("{priority:{from:2,to:9}}")
    response = await post_vendor("freshdesk", bad_priority)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "freshdesk_webhook.triggered_event", "message": "unknown priority code 9"}]

    response = await post_vendor("chatwoot", {**chatwoot_conversation("conversation_created"), "event": "contact_created"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "event"
    response = await post_vendor("chatwoot", b"{not json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body"

    assert await count(client.app, OutboxMessage) == 0
    listed = (await client.get("/v1/webhooks/rejections", headers=ADMIN)).json()
    assert [item["source"] for item in listed["items"]] == ["chatwoot", "chatwoot", "freshdesk", "zendesk", "zendesk"]
    assert listed["items"][0]["body"] == "{not json"
    kept = listed["items"][-1]
    assert orjson.loads(kept["body"]) == bad_status  # raw, as it arrived
    assert kept["errors"][0]["field"] == "detail.status"


async def test_rejections_are_paginated_filtered_and_admin_only(client, post_vendor):
    for index in range(3):
        await post_vendor("freshdesk", freshdesk_rule("{status:{from:2,to:4}}", ticket_status="搁置中", ticket_subject=f"工单 {index}"))
    await post_vendor("chatwoot", {"event": "message_created", "id": 1})
    first = (await client.get("/v1/webhooks/rejections?source=freshdesk&limit=2", headers=ADMIN)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = (await client.get(f"/v1/webhooks/rejections?source=freshdesk&limit=2&cursor={first['next_cursor']}", headers=ADMIN)).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    ids = {item["id"] for item in first["items"] + rest["items"]}
    assert len(ids) == 3
    assert (await client.get("/v1/webhooks/rejections", headers=READER)).status_code == 403
    assert (await client.get("/v1/webhooks/rejections")).status_code == 401
    assert (await client.get("/v1/webhooks/rejections?source=jira", headers=ADMIN)).status_code == 422
    assert (await client.get("/v1/webhooks/rejections?sauce=zendesk", headers=ADMIN)).status_code == 422


async def test_an_unauthenticated_payload_is_not_kept(client):
    body = orjson.dumps(freshdesk_rule("{status:{from:2,to:99}}"))
    response = await client.post("/v1/webhooks/freshdesk", content=body, headers=freshdesk_headers(body, credential="x:y"))
    assert response.status_code == 401
    assert await count(client.app, WebhookRejection) == 0


async def test_kept_payloads_expire_after_the_retention_period(client, settings, post_vendor):
    await post_vendor("zendesk", zendesk_status("OPEN", "ESCALATED"))
    (rule,) = [rule for rule in retention_rules(client.app) if rule.table.name == "webhook_rejections"]
    assert rule.keep == timedelta(days=settings.retention_webhook_rejection_days) == timedelta(days=7)
    async with client.app.state.sessions() as session, session.begin():
        assert await rule.apply(session, now=utcnow() + timedelta(days=6), limit=100) == 0
        assert await rule.apply(session, now=utcnow() + timedelta(days=7, minutes=1), limit=100) == 1
        assert (await session.execute(select(WebhookRejection))).first() is None


async def test_a_vendor_that_is_not_configured_answers_404(unconfigured_client):
    for source in ("zendesk", "freshdesk", "chatwoot"):
        response = await unconfigured_client.post(f"/v1/webhooks/{source}", content=b"{}", headers={"Content-Type": "application/json"})
        assert response.status_code == 404, source
        assert response.headers["content-type"].startswith(PROBLEM)
        assert "not configured" in response.json()["detail"]
