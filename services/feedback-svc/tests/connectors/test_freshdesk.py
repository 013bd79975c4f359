"""Freshdesk automation-rule webhooks (HTTP Basic, the freshdesk_webhook envelope)."""

import orjson

from csq_common.bus.models import OutboxMessage
from feedback_svc.webhooks.models import WebhookReceipt
from tests.connectors.conftest import FRESHDESK_AUTH, OLD_FRESHDESK_AUTH, READER, count, freshdesk_headers
from tests.connectors.payloads import freshdesk_rule
from csq_testing.topics import published

AGENT = {"ticket_agent_name": "赵磊", "ticket_agent_email": "zhao.lei@example.com"}


async def test_a_whole_freshdesk_lifecycle_publishes_the_ticket_events(client, settings, post_vendor):
    steps = [
        freshdesk_rule("{ticket_action:created}"),
        freshdesk_rule("{responder_id:{from:null,to:77000123}}", **AGENT),
        freshdesk_rule("{reply_sent:sent}", ticket_latest_public_comment="您好，已为您重新开具发票，请查收邮件。", **AGENT),
        freshdesk_rule("{status:{from:2,to:4}}", ticket_status="Resolved", **AGENT),
        freshdesk_rule("{status:{from:4,to:2}}", ticket_status="Open", ticket_priority="High", **AGENT),
        freshdesk_rule("{status:{from:2,to:4}}", ticket_status="Resolved", ticket_priority="High", **AGENT),
        freshdesk_rule("{status:{from:4,to:5}}", ticket_status="Closed", ticket_priority="High", **AGENT),
    ]
    answers = []
    for payload in steps:
        response = await post_vendor("freshdesk", payload)
        assert response.status_code == 202, response.text
        answers.append(response.json()["events"])
    assert answers == [
        ["ticket.created"], ["ticket.assigned"], ["ticket.first_responded"], ["ticket.resolved", "ticket.closed"],
        ["ticket.reopened"], ["ticket.resolved", "ticket.closed"], [],
    ]
    ticket = (await client.get("/v1/tickets/freshdesk:4821", headers=READER)).json()
    assert ticket["status"] == "closed" and ticket["reopen_count"] == 1
    assert ticket["team_id"] == "财务组" and ticket["agent_id"] == "zhao.lei@example.com"
    assert ticket["channel"] == "email" and ticket["priority"] == "high" and ticket["tags"] == ["发票", "重开"]
    assert ticket["customer"] == {
        "id": "freshdesk:31000042", "email": "han.meimei@example.com", "name": "韩梅梅", "locale": None,
    }
    records = [(key, event) for key, event in await published(client.app, settings) if event.type != "ticket.message_added"]
    assert [event.type for _key, event in records] == [
        "ticket.created", "ticket.assigned", "ticket.first_responded", "ticket.resolved", "ticket.closed",
        "ticket.reopened", "ticket.resolved", "ticket.closed",
    ]
    assert {key for key, _event in records} == {"freshdesk:4821"}


async def test_numeric_codes_in_the_template_are_mapped(client, post_vendor):
    payload = freshdesk_rule("{ticket_action:created}", ticket_id=5000, ticket_status=3, ticket_priority=4, ticket_source=7)
    assert (await post_vendor("freshdesk", payload)).status_code == 202
    ticket = (await client.get("/v1/tickets/freshdesk:5000", headers=READER)).json()
    assert (ticket["status"], ticket["priority"], ticket["channel"]) == ("pending", "urgent", "chat")


async def test_a_retry_of_the_same_rule_firing_changes_nothing(client, post_vendor):
    payload = freshdesk_rule("{status:{from:2,to:4}}", ticket_status="Resolved")
    assert (await post_vendor("freshdesk", payload)).status_code == 202
    again = await post_vendor("freshdesk", payload)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert await count(client.app, OutboxMessage) == 3
    assert await count(client.app, WebhookReceipt) == 1


async def test_wrong_or_missing_credentials_are_401_and_the_old_password_still_works(client, post_vendor):
    body = orjson.dumps(freshdesk_rule("{ticket_action:created}"))
    cases = {
        "missing": {"Content-Type": "application/json"},
        "wrong password": freshdesk_headers(body, credential="csq-hook:guess"),
        "wrong user": freshdesk_headers(body, credential="admin:Fd-p4ss-2026"),
        "prefix of the password": freshdesk_headers(body, credential=FRESHDESK_AUTH[:-1]),
        "bearer, not basic": {"Authorization": "Bearer Fd-p4ss-2026"},
        "not base64": {"Authorization": "Basic ***"},
    }
    for name, headers in cases.items():
        response = await client.post("/v1/webhooks/freshdesk", content=body, headers=headers)
        assert response.status_code == 401, name
    assert await count(client.app, OutboxMessage) == 0
    assert (await post_vendor("freshdesk", body, credential=OLD_FRESHDESK_AUTH)).status_code == 202
