"""Zendesk event subscriptions and trigger webhooks, through the running service."""

from csq_common.bus.models import OutboxMessage
from feedback_svc.webhooks.models import WebhookReceipt
from tests.connectors.conftest import OLD_ZENDESK_SECRET, READER, count, iso_now
from tests.connectors.payloads import zendesk_comment, zendesk_event, zendesk_status, zendesk_trigger
from csq_testing.topics import published

PROBLEM = "application/problem+json"


async def test_a_whole_zendesk_lifecycle_publishes_the_ticket_events(client, settings, post_vendor):
    steps = [
        zendesk_event("created", time="2026-11-20T08:00:00Z"),
        zendesk_event("agent_assignment_changed", time="2026-11-20T08:05:00Z", status="OPEN", assignee_id="90017",
                      event={"current": "90017", "previous": None}),
        zendesk_comment(comment_id="7001", body="您好，已为您催促仓库，预计明天发货。", author_id="90017", is_staff=True,
                        time="2026-11-20T08:12:00Z", status="OPEN", assignee_id="90017"),
        zendesk_status("OPEN", "SOLVED", time="2026-11-20T09:40:00Z", assignee_id="90017"),
        zendesk_comment(comment_id="7002", body="还是没有收到，物流一直没更新。", author_id="8801", is_staff=False,
                        time="2026-11-21T10:00:00Z", status="OPEN", assignee_id="90017"),
        zendesk_status("SOLVED", "OPEN", time="2026-11-21T10:00:00Z", assignee_id="90017"),
        zendesk_status("OPEN", "SOLVED", time="2026-11-21T15:30:00Z", assignee_id="90017"),
        zendesk_status("SOLVED", "CLOSED", time="2026-11-25T15:30:00Z", assignee_id="90017"),
    ]
    answers = []
    for payload in steps:
        response = await post_vendor("zendesk", payload)
        assert response.status_code == 202, response.text
        answers.append(response.json()["events"])
    assert answers == [
        ["ticket.created"], ["ticket.assigned"], ["ticket.first_responded"], ["ticket.resolved", "ticket.closed"],
        # The customer's reply's detail already shows the ticket OPEN: reopened once, whichever
        # of the two events of that action says it first.
        ["ticket.reopened"], [], ["ticket.resolved", "ticket.closed"], [],
    ]

    ticket = (await client.get("/v1/tickets/zendesk:48213", headers=READER)).json()
    assert ticket["status"] == "closed"  # the vendor's later "closed" is kept, but changes no KPI
    assert ticket["agent_id"] == "90017" and ticket["team_id"] == "360001234"
    assert ticket["channel"] == "web" and ticket["priority"] == "normal" and ticket["subject"] == "订单迟迟未发货"
    assert ticket["first_response_at"] == "2026-11-20T08:12:00Z"
    assert ticket["resolved_at"] == ticket["closed_at"] == "2026-11-21T15:30:00Z"
    assert ticket["reopen_count"] == 1 and ticket["customer"]["id"] == "zendesk:8801"

    everything = await published(client.app, settings)
    assert [event.data["message_id"] for _key, event in everything if event.type == "ticket.message_added"] == ["zendesk:7001", "zendesk:7002"]
    records = [(key, event) for key, event in everything if event.type != "ticket.message_added"]
    assert [(key, event.type) for key, event in records] == [
        ("zendesk:48213", "ticket.created"),
        ("zendesk:48213", "ticket.assigned"),
        ("zendesk:48213", "ticket.first_responded"),
        ("zendesk:48213", "ticket.resolved"),
        ("zendesk:48213", "ticket.closed"),
        ("zendesk:48213", "ticket.reopened"),
        ("zendesk:48213", "ticket.resolved"),
        ("zendesk:48213", "ticket.closed"),
    ]
    closures = [event for _key, event in records if event.type == "ticket.closed"]
    assert [event.data["ticket"]["closed_at"] for event in closures] == ["2026-11-20T09:40:00Z", "2026-11-21T15:30:00Z"]
    first = next(event for _key, event in records if event.type == "ticket.first_responded")
    assert first.time.isoformat() == "2026-11-20T08:12:00+00:00"
    reopened = next(event for _key, event in records if event.type == "ticket.reopened")
    assert reopened.time.isoformat() == "2026-11-21T10:00:00+00:00" and reopened.data["ticket"]["reopen_count"] == 1
    assert all("email" not in (event.data["ticket"]["customer"] or {}) for _key, event in records)


async def test_zendesk_comments_join_the_ticket_transcript_once(client, settings, post_vendor):
    for payload in [
        zendesk_event("created", time="2026-11-20T08:00:00Z"),
        zendesk_comment(comment_id="7001", body="您好，已为您催促仓库，预计明天发货。", author_id="90017", is_staff=True,
                        time="2026-11-20T08:12:00Z", status="OPEN", assignee_id="90017"),
        zendesk_comment(comment_id="7002", body="还是没有收到，物流一直没更新。", author_id="8801", is_staff=False,
                        time="2026-11-21T10:00:00Z", status="OPEN", assignee_id="90017"),
    ]:
        assert (await post_vendor("zendesk", payload)).status_code == 202
    again = await post_vendor("zendesk", zendesk_comment(
        comment_id="7002", body="还是没有收到，物流一直没更新。", author_id="8801", is_staff=False,
        time="2026-11-21T10:00:00Z", status="OPEN", assignee_id="90017",
    ))
    assert again.status_code == 202  # a new delivery of the same comment: the transcript keeps one

    listed = (await client.get("/v1/tickets/zendesk:48213/messages", headers=READER)).json()
    assert [(m["message_id"], m["author_role"], m["public"], m["text"]) for m in listed["items"]] == [
        ("zendesk:7001", "agent", True, "您好，已为您催促仓库，预计明天发货。"),
        ("zendesk:7002", "customer", True, "还是没有收到，物流一直没更新。"),
    ]
    records = await published(client.app, settings)
    added = [event for _key, event in records if event.type == "ticket.message_added"]
    assert [(event.data["message_id"], event.data["author_role"]) for event in added] == [("zendesk:7001", "agent"), ("zendesk:7002", "customer")]


async def test_events_of_one_action_arriving_in_any_order_never_move_the_ticket_backwards(client, settings, post_vendor):
    # One agent action at 09:40 (public reply + assign + solve) fans out into three events; an
    # older status change (NEW -> OPEN at 08:05) is delivered last.
    await post_vendor("zendesk", zendesk_event("created", time="2026-11-20T08:00:00Z"))
    late = [
        zendesk_status("OPEN", "SOLVED", time="2026-11-20T09:40:00Z", assignee_id="90017"),
        zendesk_comment(comment_id="7101", body="已补发，单号 SF1234567890。", author_id="90017", is_staff=True,
                        time="2026-11-20T09:40:00Z", status="SOLVED", assignee_id="90017"),
        zendesk_event("agent_assignment_changed", time="2026-11-20T09:40:00Z", status="SOLVED", assignee_id="90017",
                      event={"current": "90017", "previous": None}),
        zendesk_status("NEW", "OPEN", time="2026-11-20T08:05:00Z", assignee_id=None),
    ]
    for payload in late:
        assert (await post_vendor("zendesk", payload)).status_code == 202
    ticket = (await client.get("/v1/tickets/zendesk:48213", headers=READER)).json()
    assert ticket["status"] == "resolved" and ticket["reopen_count"] == 0
    assert ticket["agent_id"] == "90017"  # the older event's empty assignee did not win
    assert ticket["closed_at"] == "2026-11-20T09:40:00Z" and ticket["first_response_at"] == "2026-11-20T09:40:00Z"
    types = [event.type for _key, event in await published(client.app, settings) if event.type != "ticket.message_added"]
    # Whichever event of the 09:40 action came first carried the assignee and the solve.
    assert types == ["ticket.created", "ticket.assigned", "ticket.resolved", "ticket.closed", "ticket.first_responded"]


async def test_a_retry_of_the_same_delivery_changes_nothing(client, post_vendor):
    payload = zendesk_status("OPEN", "SOLVED", time="2026-11-20T09:40:00Z", event_id="01HZ9D2X4T6E8A0C2B4D6F8H0J")
    first = await post_vendor("zendesk", payload)
    assert first.status_code == 202
    for _ in range(2):  # Zendesk re-signs each retry with a new timestamp
        again = await post_vendor("zendesk", payload)
        assert again.status_code == 200
        assert again.json() == {
            "accepted": True, "duplicate": True, "source": "zendesk", "delivery_id": "01HZ9D2X4T6E8A0C2B4D6F8H0J",
            "ticket_id": "zendesk:48213", "events": [],
        }
    assert await count(client.app, OutboxMessage) == 3  # created, resolved, closed: once
    assert await count(client.app, WebhookReceipt) == 1


async def test_every_signature_failure_is_a_401_and_a_rotated_secret_is_accepted(client, post_vendor):
    payload = zendesk_event("created")
    body = __import__("orjson").dumps(payload)
    from tests.connectors.conftest import zendesk_headers

    good = zendesk_headers(body)
    cases = {
        "missing signature": {k: v for k, v in good.items() if k != "X-Zendesk-Webhook-Signature"},
        "missing timestamp": {k: v for k, v in good.items() if k != "X-Zendesk-Webhook-Signature-Timestamp"},
        "wrong secret": zendesk_headers(body, secret="not-the-secret"),
        "stale timestamp": zendesk_headers(body, timestamp=iso_now(-301)),
        "future timestamp": zendesk_headers(body, timestamp=iso_now(+360)),
        "garbled signature": {**good, "X-Zendesk-Webhook-Signature": "not base64!"},
        "signature of another body": zendesk_headers(body + b" "),
    }
    for name, headers in cases.items():
        response = await client.post("/v1/webhooks/zendesk", content=body, headers=headers)
        assert response.status_code == 401, name
        assert response.headers["content-type"].startswith(PROBLEM), name
    assert await count(client.app, OutboxMessage) == 0
    assert (await post_vendor("zendesk", payload, secret=OLD_ZENDESK_SECRET)).status_code == 202


async def test_a_trigger_webhook_body_is_mapped_like_an_event(client, settings, post_vendor):
    created = await post_vendor("zendesk", zendesk_trigger())
    assert created.status_code == 202 and created.json()["events"] == ["ticket.created"]
    solved = await post_vendor("zendesk", zendesk_trigger(status="Solved", assignee_id="90017", updated_at="2026-11-20T11:00:00Z"))
    assert solved.json()["events"] == ["ticket.assigned", "ticket.resolved", "ticket.closed"]
    ticket = (await client.get("/v1/tickets/zendesk:48213", headers=READER)).json()
    assert ticket["priority"] == "high" and ticket["channel"] == "web" and ticket["tags"] == ["发货", "vip"]
    assert ticket["customer"] == {"id": "zendesk:8801", "email": "li.lei@example.com", "name": "李雷", "locale": "zh-CN"}
    assert ticket["closed_at"] == "2026-11-20T11:00:00Z"


async def test_a_reply_delivered_after_later_events_still_sets_the_first_response(client, settings, post_vendor):
    await post_vendor("zendesk", zendesk_event("created", time="2026-11-20T08:00:00Z"))
    await post_vendor("zendesk", zendesk_status("OPEN", "SOLVED", time="2026-11-20T09:40:00Z"))
    late = zendesk_comment(comment_id="7201", body="您好，正在为您核实。", author_id="90017", is_staff=True,
                           time="2026-11-20T08:12:00Z", status="OPEN")
    response = await post_vendor("zendesk", late)
    assert response.json()["events"] == ["ticket.first_responded"]
    ticket = (await client.get("/v1/tickets/zendesk:48213", headers=READER)).json()
    assert ticket["first_response_at"] == "2026-11-20T08:12:00Z" and ticket["status"] == "resolved"
    assert ticket["last_event_at"] == "2026-11-20T09:40:00Z"  # the late event does not rewind it
