"""``ticket.message_added`` through the signed generic webhook: stored once, listed in order,
published with DESIGN.md's payload, and the source of first responses the CRM did not state."""

from datetime import timedelta

from sqlalchemy import func, insert, select

from csq_common.bus.models import OutboxMessage
from csq_common.db import utcnow
from feedback_svc.messages.models import TicketMessage
from feedback_svc.messages.service import message_event_id
from feedback_svc.tickets.service import first_responded_event_id
from tests.conftest import READER
from tests.messages.factories import message_event
from csq_testing.topics import published
from tests.webhooks.factories import closed_event, ticket_event

PROBLEM = "application/problem+json"
ADMIN = {"Authorization": "Bearer admin-key"}
DESIGN_FIELDS = {"ticket_id", "message_id", "author_role", "author_id", "public", "sent_at", "channel", "text", "language"}

CUSTOMER_ZH = "你好，我上周申请的退款到现在还没有到账，订单号 20261120-88，麻烦尽快处理。"
AGENT_ZH = "您好，已为您加急处理，退款预计 1-3 个工作日原路退回，请留意银行短信。"
AGENT_EN = "Hi Li Lei, the refund was issued today; your bank may take 1-3 business days."


async def messages_of(client, ticket_id: str = "T-1001", **params) -> dict:
    response = await client.get(f"/v1/tickets/{ticket_id}/messages", params=params, headers=READER)
    assert response.status_code == 200, response.text
    return response.json()


async def rows(app, model) -> int:
    async with app.state.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_messages_are_stored_listed_oldest_first_and_published_with_the_design_payload(client, settings, post_webhook):
    assert (await post_webhook(ticket_event(event_id="crm-created"))).status_code == 202  # created 08:00, email
    sent = [
        message_event("M-3", text=AGENT_EN, sent_at="2026-11-20T08:20:00Z", language="en"),
        message_event("M-1", text=CUSTOMER_ZH, sent_at="2026-11-20T08:01:00+08:00", role="customer"),  # 00:01 UTC
        message_event("M-2", text=AGENT_ZH, sent_at="2026-11-20T08:10:00Z", ticket={"id": "T-1001", "channel": "chat"}),
    ]
    for payload in sent:  # arrival order is not conversation order
        response = await post_webhook(payload)
        assert response.status_code == 202, response.text
        assert response.json() == {"accepted": True, "duplicate": False, "event_id": payload["event_id"], "ticket_id": "T-1001"}

    page = await messages_of(client)
    assert [m["message_id"] for m in page["items"]] == ["M-1", "M-2", "M-3"] and page["next_cursor"] is None
    first, second, third = page["items"]
    assert first["text"] == CUSTOMER_ZH and first["sent_at"] == "2026-11-20T00:01:00Z" and first["author_role"] == "customer"
    assert (second["text"], second["channel"]) == (AGENT_ZH, "chat")  # the sender named the channel
    assert (third["text"], third["language"], third["channel"]) == (AGENT_EN, "en", "email")  # the stored ticket's

    one = await messages_of(client, limit=2)
    rest = await messages_of(client, limit=2, cursor=one["next_cursor"])
    assert [m["message_id"] for m in one["items"] + rest["items"]] == ["M-1", "M-2", "M-3"] and rest["next_cursor"] is None

    records = [(key, event) for key, event in await published(client.app, settings) if event.type == "ticket.message_added"]
    assert [key for key, _ in records] == ["T-1001"] * 3
    by_id = {event.data["message_id"]: event for _, event in records}
    event = by_id["M-1"]
    assert set(event.data) == DESIGN_FIELDS | {"schema_version"}
    assert event.data == {
        "schema_version": 1, "ticket_id": "T-1001", "message_id": "M-1", "author_role": "customer", "author_id": "C-9",
        "public": True, "sent_at": "2026-11-20T00:01:00Z", "channel": "email", "text": CUSTOMER_ZH, "language": "zh-CN",
    }
    assert event.id == message_event_id("T-1001", "M-1") and event.subject == "T-1001"
    assert event.time.isoformat() == "2026-11-20T00:01:00+00:00" and event.source == "feedback-svc"
    assert by_id["M-3"].data["text"] == AGENT_EN and by_id["M-3"].data["language"] == "en"


async def test_a_redelivered_message_changes_nothing(client, settings, post_webhook):
    assert (await post_webhook(ticket_event(event_id="crm-created"))).status_code == 202
    payload = message_event("M-1", text=AGENT_ZH, sent_at="2026-11-20T08:10:00Z", event_id="crm-m1")
    assert (await post_webhook(payload)).status_code == 202
    before = await messages_of(client)
    ticket_before = (await client.get("/v1/tickets/T-1001", headers=READER)).json()
    outbox_before = await rows(client.app, OutboxMessage)

    assert (await post_webhook(payload)).status_code == 200  # the same delivery: a duplicate
    # The same message in another delivery (a CRM retry with a new event id), even edited: nothing changes.
    again = message_event("M-1", text="改过的内容", sent_at="2026-11-20T08:09:00Z", event_id="crm-m1-retry")
    response = await post_webhook(again)
    assert response.status_code == 202 and response.json()["duplicate"] is False
    assert await messages_of(client) == before
    assert (await client.get("/v1/tickets/T-1001", headers=READER)).json() == ticket_before
    assert await rows(client.app, OutboxMessage) == outbox_before
    assert await rows(client.app, TicketMessage) == 1


async def test_the_first_public_agent_message_sets_the_first_response(client, settings, post_webhook):
    assert (await post_webhook(ticket_event(event_id="crm-created"))).status_code == 202  # created 08:00, no first response
    for payload in (
        message_event("M-early", text="提前准备的回复", sent_at="2026-11-20T07:50:00Z"),  # before the ticket existed
        message_event("M-customer", text=CUSTOMER_ZH, sent_at="2026-11-20T08:01:00Z", role="customer"),
        message_event("M-note", text="内部备注：客户是 VIP，优先处理", sent_at="2026-11-20T08:02:00Z", public=False),
        message_event("M-bot", text="您好，我是智能客服小C，请问有什么可以帮您？", sent_at="2026-11-20T08:03:00Z", role="bot", author_id="bot-1"),
        message_event("M-system", text="工单已分配给 A-7", sent_at="2026-11-20T08:04:00Z", role="system", author_id=None),
    ):
        assert (await post_webhook(payload)).status_code == 202
    ticket = (await client.get("/v1/tickets/T-1001", headers=READER)).json()
    assert ticket["first_response_at"] is None  # none of those is a first response

    assert (await post_webhook(message_event("M-reply", text=AGENT_ZH, sent_at="2026-11-20T08:05:00Z"))).status_code == 202
    assert (await post_webhook(message_event("M-later", text=AGENT_EN, sent_at="2026-11-20T08:30:00Z"))).status_code == 202
    ticket = (await client.get("/v1/tickets/T-1001", headers=READER)).json()
    assert ticket["first_response_at"] == "2026-11-20T08:05:00Z"

    # The CRM closes the ticket without stating a first response: the derived one stays.
    closed = closed_event(event_id="crm-closed", first_response_at=None)
    assert (await post_webhook(closed)).status_code == 202
    ticket = (await client.get("/v1/tickets/T-1001", headers=READER)).json()
    assert ticket["status"] == "closed" and ticket["first_response_at"] == "2026-11-20T08:05:00Z"

    records = await published(client.app, settings)
    firsts = [event for _key, event in records if event.type == "ticket.first_responded"]
    assert len(firsts) == 1
    (first,) = firsts
    assert first.id == first_responded_event_id("T-1001") and first.time.isoformat() == "2026-11-20T08:05:00+00:00"
    assert first.data["ticket"]["first_response_at"] == "2026-11-20T08:05:00Z"
    assert first.data["ticket"]["customer"] == {"id": "C-9", "locale": "zh-CN", "sealed_contact": None}
    assert "li.lei@example.com" not in str(first.data) and "李雷" not in str(first.data)
    # The derived first response follows the message it comes from, on the ticket's key.
    assert [event.type for _key, event in records] == [
        "ticket.created", *["ticket.message_added"] * 6, "ticket.first_responded", "ticket.message_added", "ticket.closed",
    ]


async def test_a_first_response_the_crm_states_is_not_replaced(client, settings, post_webhook):
    stated = ticket_event(event_id="crm-assigned", first_response_at="2026-11-20T08:12:00Z")
    assert (await post_webhook(stated)).status_code == 202
    assert (await post_webhook(message_event("M-1", text=AGENT_ZH, sent_at="2026-11-20T08:05:00Z"))).status_code == 202
    ticket = (await client.get("/v1/tickets/T-1001", headers=READER)).json()
    assert ticket["first_response_at"] == "2026-11-20T08:12:00Z"
    firsts = [event for _key, event in await published(client.app, settings) if event.type == "ticket.first_responded"]
    assert [event.time.isoformat() for event in firsts] == ["2026-11-20T08:12:00+00:00"]


async def test_a_message_of_a_ticket_not_reported_yet_is_kept_and_sets_nothing(client, post_webhook):
    payload = message_event("M-1", text=AGENT_EN, sent_at="2026-11-20T08:05:00Z", ticket={"id": "T-new"}, language=None)
    assert (await post_webhook(payload)).status_code == 202
    page = await messages_of(client, "T-new")
    assert [(m["message_id"], m["channel"], m["language"]) for m in page["items"]] == [("M-1", None, None)]
    assert (await client.get("/v1/tickets/T-new", headers=READER)).status_code == 404


async def test_a_ticket_never_heard_of_has_no_messages_to_list(client):
    response = await client.get("/v1/tickets/T-unknown/messages", headers=READER)
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    unknown = await client.get("/v1/tickets/T-1/messages", params={"sort": "desc"}, headers=READER)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "sort"


async def test_text_over_64_kib_and_nul_are_422s_naming_the_field(client, post_webhook):
    fits = message_event("M-fits", text="a" * 65536, sent_at="2026-11-20T08:05:00Z")
    assert (await post_webhook(fits)).status_code == 202
    chinese = "退" * 21846  # 21,846 characters, 65,538 bytes of UTF-8
    cases = [
        (message_event("M-big", text=chinese, sent_at="2026-11-20T08:05:00Z"), "message.text"),
        (message_event("M-long", text="a" * 65537, sent_at="2026-11-20T08:05:00Z"), "message.text"),
        (message_event("M-nul", text="退款\u0000进度", sent_at="2026-11-20T08:05:00Z"), "message.text"),
        (message_event("M-role", text="hi", sent_at="2026-11-20T08:05:00Z", role="supervisor"), "message.author_role"),
        (message_event("M-lang", text="hi", sent_at="2026-11-20T08:05:00Z", language="中文"), "message.language"),
        ({**message_event("M-time", text="hi", sent_at="2026-11-20T08:05:00"), "occurred_at": "2026-11-20T08:05:00Z"}, "message.sent_at"),
        (message_event("", text="hi", sent_at="2026-11-20T08:05:00Z"), "message.id"),
        ({**message_event("M-no-ticket", text="hi", sent_at="2026-11-20T08:05:00Z"), "ticket": {}}, "ticket.id"),
        ({k: v for k, v in message_event("M-none", text="hi", sent_at="2026-11-20T08:05:00Z").items() if k != "message"}, "message"),
    ]
    for payload, field in cases:
        response = await post_webhook(payload)
        assert response.status_code == 422 and response.headers["content-type"] == PROBLEM, (field, response.text)
        assert [error["field"] for error in response.json()["errors"]] == [field], response.json()
    assert await rows(client.app, TicketMessage) == 1


async def test_erasure_blanks_what_the_customer_wrote_on_their_tickets(client, post_webhook):
    assert (await post_webhook(ticket_event(event_id="crm-t1", id="T-1"))).status_code == 202
    assert (await post_webhook(ticket_event(event_id="crm-t2", id="T-2", customer={"id": "C-other"}))).status_code == 202
    for payload in (
        message_event("M-1", text=CUSTOMER_ZH, sent_at="2026-11-20T08:01:00Z", role="customer", ticket={"id": "T-1"}),
        message_event("M-2", text=AGENT_ZH, sent_at="2026-11-20T08:05:00Z", ticket={"id": "T-1"}),
        message_event("M-3", text="我也要退款", sent_at="2026-11-20T08:01:00Z", role="customer", ticket={"id": "T-2"}),
    ):
        assert (await post_webhook(payload)).status_code == 202

    response = await client.post("/v1/customers/C-9/erase", headers=ADMIN)
    assert response.status_code == 202 and response.json()["messages_blanked"] == 1

    mine = (await messages_of(client, "T-1"))["items"]
    assert [(m["message_id"], m["text"], m["author_id"], m["erased_at"] is not None) for m in mine] == [
        ("M-1", "", None, True), ("M-2", AGENT_ZH, "A-7", False),
    ]
    assert (await messages_of(client, "T-2"))["items"][0]["text"] == "我也要退款"  # another customer's


async def test_old_messages_go_with_the_retention(client, settings):
    now = utcnow()
    keep = timedelta(days=settings.retention_message_days)
    assert keep == timedelta(days=365)
    common = {"ticket_id": "T-1", "author_role": "agent", "public": True, "text": "旧消息", "received_at": now}
    async with client.app.state.sessions() as session:
        await session.execute(
            insert(TicketMessage.__table__),
            [
                {**common, "message_id": "old", "sent_at": now - keep - timedelta(days=1)},
                {**common, "message_id": "recent", "sent_at": now - keep + timedelta(days=1)},
            ],
        )
        await session.commit()
    await client.app.state.retention.run_until_done()
    async with client.app.state.sessions() as session:
        assert set((await session.execute(select(TicketMessage.message_id))).scalars()) == {"recent"}
