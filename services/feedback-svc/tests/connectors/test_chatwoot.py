"""Chatwoot conversation and message webhooks (sha256= signatures)."""

import time

import orjson

from csq_common.bus.models import OutboxMessage
from tests.connectors.conftest import OLD_CHATWOOT_SECRET, READER, chatwoot_headers, count
from tests.connectors.payloads import chatwoot_conversation, chatwoot_message
from csq_testing.topics import published

AGENT = {"id": 12, "name": "刘洋", "email": "liu.yang@example.com", "type": "user"}
CUSTOMER = {"id": 5501, "name": "张伟", "type": "contact"}
T0 = 1795161600  # 2026-11-20T08:00:00Z


def conversation(event: str, *, status: str = "open", at: int = 0, assignee: dict | None = AGENT, **fields):
    return chatwoot_conversation(event, status=status, updated_at=float(T0 + at), assignee=assignee, **fields)


async def test_a_whole_chatwoot_lifecycle_publishes_the_ticket_events(client, settings, post_vendor):
    steps = [
        conversation("conversation_created", assignee=None),
        chatwoot_message(message_id=90001, content="你好，我想退掉上周买的耳机，包装已经拆了可以退吗？", message_type="incoming",
                         sender=CUSTOMER, created_at="2026-11-20T08:00:30Z", conversation=conversation("conversation_updated", assignee=None)),
        conversation("conversation_updated", at=60, changed_attributes=[{"assignee_id": {"previous_value": None, "current_value": 12}}]),
        chatwoot_message(message_id=90002, content="内部备注：该客户是老客户，可以特殊处理。", message_type="outgoing", private=True,
                         sender=AGENT, created_at="2026-11-20T08:02:00Z", conversation=conversation("conversation_updated", at=60)),
        chatwoot_message(message_id=90003, content="您好，拆封后七天内可以退货，我这边为您登记。", message_type="outgoing",
                         sender=AGENT, created_at="2026-11-20T08:03:00Z", conversation=conversation("conversation_updated", at=60)),
        conversation("conversation_status_changed", status="resolved", at=1800),
        conversation("conversation_status_changed", status="open", at=7200, priority="high"),
        conversation("conversation_status_changed", status="resolved", at=9000, priority="high"),
    ]
    answers = []
    for payload in steps:
        response = await post_vendor("chatwoot", payload)
        assert response.status_code == 202, response.text
        answers.append(response.json()["events"])
    assert answers == [
        ["ticket.created"], [], ["ticket.assigned"], [], ["ticket.first_responded"], ["ticket.resolved", "ticket.closed"],
        ["ticket.reopened"], ["ticket.resolved", "ticket.closed"],
    ]
    ticket = (await client.get("/v1/tickets/chatwoot:1207", headers=READER)).json()
    assert ticket["first_response_at"] == "2026-11-20T08:03:00Z"  # the private note is no response
    assert ticket["closed_at"] == "2026-11-20T10:30:00Z" and ticket["reopen_count"] == 1
    assert (ticket["agent_id"], ticket["team_id"], ticket["channel"], ticket["priority"]) == ("12", "2", "chat", "high")
    assert ticket["customer"]["id"] == "chatwoot:5501" and ticket["tags"] == ["退货"]
    types = [event.type for _key, event in await published(client.app, settings) if event.type != "ticket.message_added"]
    assert types == [
        "ticket.created", "ticket.assigned", "ticket.first_responded", "ticket.resolved", "ticket.closed",
        "ticket.reopened", "ticket.resolved", "ticket.closed",
    ]


async def test_a_bot_reply_is_not_a_first_response(client, post_vendor):
    await post_vendor("chatwoot", conversation("conversation_created", assignee=None))
    bot = {"id": 3, "name": "小助手", "type": "agent_bot"}
    response = await post_vendor("chatwoot", chatwoot_message(
        message_id=91000, content="您好，我是智能客服小助手，请问有什么可以帮您？", message_type="outgoing", sender=bot,
        created_at="2026-11-20T08:00:05Z", conversation=conversation("conversation_updated", assignee=None),
    ))
    assert response.json()["events"] == []
    assert (await client.get("/v1/tickets/chatwoot:1207", headers=READER)).json()["first_response_at"] is None


async def test_a_retried_message_counts_once(client, post_vendor):
    message = chatwoot_message(message_id=92000, content="您好，已经为您处理。", message_type="outgoing", sender=AGENT,
                               created_at="2026-11-20T08:03:00Z", conversation=conversation("conversation_updated"))
    assert (await post_vendor("chatwoot", message)).status_code == 202
    again = await post_vendor("chatwoot", message)
    assert again.status_code == 200 and again.json()["delivery_id"] == "message:chatwoot:92000"
    assert await count(client.app, OutboxMessage) == 3  # created, first_responded, the message's message_added


async def test_every_signature_failure_is_a_401_and_a_rotated_secret_is_accepted(client, post_vendor):
    body = orjson.dumps(conversation("conversation_created"))
    good = chatwoot_headers(body)
    now = int(time.time())
    cases = {
        "missing signature": {k: v for k, v in good.items() if k != "X-Chatwoot-Signature"},
        "missing timestamp": {k: v for k, v in good.items() if k != "X-Chatwoot-Timestamp"},
        "wrong secret": chatwoot_headers(body, secret="guess"),
        "stale": chatwoot_headers(body, timestamp=now - 301),
        "future": chatwoot_headers(body, timestamp=now + 360),
        "no sha256= prefix": {**good, "X-Chatwoot-Signature": good["X-Chatwoot-Signature"].removeprefix("sha256=")},
        "timestamp not signed": {**good, "X-Chatwoot-Timestamp": str(now - 1)},
        "iso timestamp": {**good, "X-Chatwoot-Timestamp": "2026-11-20T08:00:00Z"},
    }
    for name, headers in cases.items():
        response = await client.post("/v1/webhooks/chatwoot", content=body, headers=headers)
        assert response.status_code == 401, name
    assert await count(client.app, OutboxMessage) == 0
    assert (await post_vendor("chatwoot", body, secret=OLD_CHATWOOT_SECRET)).status_code == 202
