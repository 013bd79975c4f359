"""Transcripts: ticket.message_added kept once per message, shown with the review of the ticket in
sent order, blanked for an erased customer (even one erased before the ticket closed), and
deleted by retention."""

from datetime import timedelta

from sqlalchemy import select

from csq_common.db import utcnow
from csq_common.events import TicketCreated, make_event
from csq_testing import connected_producer, wait_until
from audit_svc.consumers import handle_events
from audit_svc.tickets.models import TicketCustomer, TicketMessage
from tests.reviews.factories import review_body, submit
from tests.scorecards.factories import READER, published
from tests.tickets.factories import T0, closed, cloud_event
from tests.tickets.transcript_factories import erased, message


async def handle(sessions, events):
    async with sessions() as session:
        await handle_events(session, events)
        await session.commit()


def created(ticket_id: str, customer_id: str | None):
    snapshot = closed(ticket_id).ticket.model_dump(mode="json")
    snapshot.update(status="open", closed_at=None, customer={"id": customer_id} if customer_id else None)
    data = TicketCreated.model_validate({"ticket": snapshot, "occurred_at": T0.isoformat()})
    return make_event(data, source="test", subject=ticket_id, time=T0)


async def messages_of(sessions, ticket_id: str) -> dict[str, TicketMessage]:
    async with sessions() as session:
        rows = (await session.execute(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id))).scalars()
        return {row.message_id: row for row in rows}


CONVERSATION = [
    # (message id, minutes after T0, role, author, public, text, language) — sent out of order on purpose.
    ("m-3", 12, "agent", "A-7", True, "您好，退款已经提交，预计三个工作日到账。", "zh-CN"),
    ("m-1", 0, "customer", "C-88", True, "我上周申请的退款到现在还没有到账，麻烦帮我查一下。", "zh-CN"),
    ("m-2", 5, "agent", "A-7", False, "内部备注：财务系统显示退款单已生成，待审批。", "zh-CN"),
    ("m-4", 30, "customer", "C-88", True, "Thanks, got it.", "en"),
]


async def test_the_review_shows_its_tickets_transcript_in_sent_order(client):
    sessions = client.app.state.sessions
    events = [
        message("T-1001", mid, sent_at=T0 + timedelta(minutes=minutes), author_role=role, author_id=author, public=public, text=text, language=lang)
        for mid, minutes, role, author, public, text, lang in CONVERSATION
    ]
    # A redelivery, and the same message id again with another text: the first one received stays.
    repeated = message("T-1001", "m-1", sent_at=T0, author_id="C-88", text="重复投递的文本")
    other_ticket = message("T-2002", "m-1", sent_at=T0, text="另一张工单的消息")
    await handle(sessions, events[:2])
    await handle(sessions, [*events, repeated, other_ticket])

    card = await published(client)
    review = await submit(client, review_body(card["scorecard_id"]))
    read = (await client.get(f"/v1/reviews/{review['id']}", headers=READER)).json()
    expected = sorted(CONVERSATION, key=lambda item: item[1])
    assert [(m["message_id"], m["author_role"], m["author_id"], m["public"], m["text"], m["language"]) for m in read["transcript"]] == [
        (mid, role, author, public, text, lang) for mid, _, role, author, public, text, lang in expected
    ]
    assert [m["sent_at"] for m in read["transcript"]] == [
        (T0 + timedelta(minutes=item[1])).isoformat().replace("+00:00", "Z") for item in expected
    ]
    assert not any(m["erased"] for m in read["transcript"])
    # The list stays light: no transcript there.
    listed = (await client.get("/v1/reviews", headers=READER)).json()["items"]
    assert "transcript" not in listed[0]


async def test_an_erased_customers_messages_are_blanked_even_on_a_ticket_closed_afterwards(sessions):
    at = T0 + timedelta(days=1)
    await handle(sessions, [created("T-1", "C-1"), created("T-2", "C-2")])
    await handle(sessions, [
        message("T-1", "m-1", sent_at=T0, author_id="C-1", text="我的手机号是 138 0013 8000，请回电。"),
        message("T-1", "m-2", sent_at=T0 + timedelta(minutes=3), author_role="agent", author_id="A-7", text="好的，稍后联系您。"),
        message("T-2", "m-1", sent_at=T0, author_id="C-2", text="发票抬头写错了，需要重开。"),
    ])
    async with sessions() as session:
        kept = [(row.ticket_id, row.customer_key) for row in (await session.execute(select(TicketCustomer))).scalars()]
    assert sorted(ticket for ticket, _ in kept) == ["T-1", "T-2"] and not any("C-" in key for _, key in kept)  # no id in clear
    await handle(sessions, [erased("C-1", at=at)])
    # The closure after the erasure no longer names the customer; a redelivered message stays blank.
    await handle(sessions, [cloud_event(closed("T-1", closed_at=at)), message("T-1", "m-1", sent_at=T0, author_id="C-1", text="我的手机号是 138 0013 8000，请回电。")])

    first = await messages_of(sessions, "T-1")
    assert (first["m-1"].text, first["m-1"].author_id, first["m-1"].erased_at is not None) == ("", None, True)
    assert (first["m-2"].text, first["m-2"].author_id, first["m-2"].erased_at) == ("好的，稍后联系您。", "A-7", None)
    second = await messages_of(sessions, "T-2")
    assert (second["m-1"].text, second["m-1"].erased_at) == ("发票抬头写错了，需要重开。", None)
    async with sessions() as session:
        assert {row.ticket_id for row in (await session.execute(select(TicketCustomer))).scalars()} == {"T-2"}


async def test_retention_deletes_old_messages_only(client):
    sessions = client.app.state.sessions
    now = utcnow()
    keep_days = client.app.state.settings.retention_message_days
    await handle(sessions, [
        message("T-5", "old", sent_at=now - timedelta(days=keep_days + 30), text="去年的咨询记录"),
        message("T-5", "new", sent_at=now - timedelta(days=keep_days - 30), text="最近的咨询记录"),
    ])
    await client.app.state.retention.run_until_done()
    assert set(await messages_of(sessions, "T-5")) == {"new"}


async def test_messages_and_erasures_arrive_through_the_broker(client, settings):
    async with connected_producer(settings) as producer:
        await producer.send_and_wait(settings.topic("tickets"), created("T-9", "C-9").to_bytes(), key=b"T-9")
        await producer.send_and_wait(
            settings.topic("tickets"), message("T-9", "m-1", sent_at=T0, author_id="C-9", text="快递一直没有更新物流信息。").to_bytes(), key=b"T-9"
        )
        sessions = client.app.state.sessions
        await wait_until(lambda: _kept(sessions, "T-9"), message="message kept")
        await producer.send_and_wait(settings.topic("feedback"), erased("C-9", at=T0 + timedelta(days=1)).to_bytes(), key=b"C-9")

    async def blanked():
        rows = await messages_of(client.app.state.sessions, "T-9")
        return rows if rows["m-1"].erased_at is not None else None

    assert (await wait_until(blanked, message="message blanked"))["m-1"].text == ""


async def _kept(sessions, ticket_id: str):
    return await messages_of(sessions, ticket_id) or None
