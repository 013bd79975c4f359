"""Vendor payloads shaped as the vendors' developer documentation shows them (Chinese text)."""

from __future__ import annotations

import uuid
from typing import Any

# ---- Zendesk event subscriptions: string ids, UPPERCASE statuses, detail + event ----

def zendesk_event(kind: str, *, ticket: str = "48213", time: str = "2026-11-20T08:00:00Z", event: dict | None = None,
                  event_id: str | None = None, **detail: Any) -> dict[str, Any]:
    ticket_detail = {
        "actor_id": "8801",
        "assignee_id": None,
        "brand_id": "360000123",
        "created_at": "2026-11-20T08:00:00Z",
        "custom_status": "12000001",
        "description": "我的订单已经付款三天了还没有发货，请帮忙查一下物流。",
        "external_id": None,
        "form_id": "360000456",
        "group_id": "360001234",
        "id": ticket,
        "is_public": True,
        "organization_id": None,
        "priority": "NORMAL",
        "requester_id": "8801",
        "status": "NEW",
        "subject": "订单迟迟未发货",
        "submitter_id": "8801",
        "tags": ["发货", "vip"],
        "type": "QUESTION",
        "updated_at": time,
        "via": {"channel": "web_form"},
    }
    ticket_detail.update(detail)
    return {
        "account_id": 12514403,
        "detail": ticket_detail,
        "event": event if event is not None else {},
        "id": event_id or str(uuid.uuid4()),
        "subject": f"zen:ticket:{ticket}",
        "time": time,
        "type": f"zen:event-type:ticket.{kind}",
        "zendesk_event_version": "2022-11-06",
    }


def zendesk_comment(*, comment_id: str, body: str, author_id: str, is_staff: bool, is_public: bool = True,
                    **kwargs: Any) -> dict[str, Any]:
    event = {"comment": {"id": comment_id, "body": body, "is_public": is_public,
                         "author": {"id": author_id, "is_staff": is_staff, "name": "王芳" if is_staff else "李雷"}}}
    return zendesk_event("comment_added", event=event, **kwargs)


def zendesk_status(previous: str, current: str, **kwargs: Any) -> dict[str, Any]:
    return zendesk_event("status_changed", event={"current": current, "previous": previous}, status=current, **kwargs)


def zendesk_trigger(**ticket: Any) -> dict[str, Any]:
    """A trigger webhook rendered from the JSON template in docs/connectors.md."""
    body = {
        "id": "48213", "status": "Open", "priority": "High", "via": "Web Form", "group_id": "360001234",
        "group_name": "售后组", "assignee_id": "", "requester_id": "8801", "requester_email": "li.lei@example.com",
        "requester_name": "李雷", "requester_locale": "zh-CN", "subject": "订单迟迟未发货", "tags": "发货 vip",
        "created_at": "2026-11-20T08:00:00Z", "updated_at": "2026-11-20T08:00:00Z",
    }
    body.update(ticket)
    return {"ticket": body}


# ---- Freshdesk automation rules: the freshdesk_webhook envelope ----

def freshdesk_rule(triggered_event: str, *, ticket_id: int = 4821, **fields: Any) -> dict[str, Any]:
    envelope = {
        "ticket_id": ticket_id,
        "ticket_subject": "发票抬头开错了，需要重开",
        "ticket_description": "<div>您好，上周的订单发票抬头写错了公司名称，麻烦重新开具。</div>",
        "ticket_url": f"https://csq-demo.freshdesk.com/helpdesk/tickets/{ticket_id}",
        "ticket_status": "Open",
        "ticket_priority": "Medium",
        "ticket_source": "Email",
        "ticket_group_name": "财务组",
        "ticket_agent_name": "",
        "ticket_agent_email": "",
        "ticket_tags": "发票,重开",
        "ticket_latest_public_comment": "",
        "requester_name": "韩梅梅",
        "requester_email": "han.meimei@example.com",
        "requester_id": 31000042,
        "triggered_event": triggered_event,
    }
    envelope.update(fields)
    return {"freshdesk_webhook": envelope}


# ---- Chatwoot: conversations and messages ----

def chatwoot_conversation(event: str, *, conversation_id: int = 1207, status: str = "open", updated_at: float = 1795161600.0,
                          assignee: dict | None = None, **fields: Any) -> dict[str, Any]:
    body = {
        "event": event,
        "id": conversation_id,
        "inbox_id": 3,
        "account_id": 1,
        "status": status,
        "priority": "medium",
        "channel": "Channel::WebWidget",
        "can_reply": True,
        "created_at": 1795161600,  # 2026-11-20T08:00:00Z
        "updated_at": updated_at,
        "timestamp": int(updated_at),
        "labels": ["退货"],
        "additional_attributes": {"browser": {"browser_name": "Chrome"}, "referer": "https://shop.example.com/orders"},
        "meta": {
            "sender": {"id": 5501, "name": "张伟", "email": "zhang.wei@example.com", "type": "contact"},
            "assignee": assignee,
            "team": {"id": 2, "name": "售后组"},
            "hmac_verified": False,
        },
        "messages": [],
        "account": {"id": 1, "name": "CSQ 演示商城"},
    }
    body.update(fields)
    return body


def chatwoot_message(*, message_id: int, content: str, message_type: str, sender: dict, created_at: str,
                     private: bool = False, conversation: dict | None = None) -> dict[str, Any]:
    return {
        "event": "message_created",
        "id": message_id,
        "content": content,
        "content_type": "text",
        "content_attributes": {},
        "created_at": created_at,
        "message_type": message_type,
        "private": private,
        "source_id": None,
        "sender": sender,
        "inbox": {"id": 3, "name": "官网在线客服"},
        "account": {"id": 1, "name": "CSQ 演示商城"},
        "conversation": conversation or chatwoot_conversation("conversation_updated"),
    }
