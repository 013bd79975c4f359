"""feedback.replied through the real broker → notify-svc's consumer → a real aiosmtpd server, on both
database backends: each reply arrives once, in the customer's language, with the reply escaped and
the two answers linking to the confirmation page; a redelivered event sends nothing twice; a reply
without an address is skipped; a refused recipient fails with ``notification.failed``; poison is
dead-lettered and the next reply still goes out."""

from __future__ import annotations

import asyncio
import base64

import orjson
import pytest

from csq_common.events import CloudEvent
from csq_testing import connected_producer, wait_until
from tests.deliveries.factories import (
    CONFIRM_LINK, REPLY_TEXT_EN, REPLY_TEXT_ZH, feedback_replied, replied_event, sealed_invitation, sealed_reply,
)  # fmt: skip
from tests.deliveries.test_invitation_consumer import deliveries, hrefs, mails_to, read_topic

RESOLVED = f"{CONFIRM_LINK}?answer=resolved"
NOT_RESOLVED = f"{CONFIRM_LINK}?answer=not_resolved"


@pytest.fixture
async def publish(settings):
    """Publish CloudEvents to the feedback topic, keyed by subject (the feedback id) as feedback-svc does."""
    async with connected_producer(settings) as producer:

        async def send(*events: CloudEvent) -> None:
            for event in events:
                await producer.send_and_wait(settings.topic("feedback"), event.to_bytes(), key=event.subject.encode())

        yield send


def bodies(message) -> tuple[str, str]:
    """The decoded text and HTML parts, line ends as written (SMTP carries them as CRLF)."""
    return tuple(message.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html"))


async def test_replies_arrive_once_in_the_customers_language_and_one_without_address_is_skipped(smtp, client, settings, publish):
    zh = feedback_replied(locale="zh-CN")
    en = feedback_replied(
        locale="en",
        sealed_message=sealed_invitation(email="john.smith@example.com", name="John Smith", customer_name="John Smith", locale="en"),
        sealed_content=sealed_reply(reply_text=REPLY_TEXT_EN),
    )
    no_address = feedback_replied(sealed_message=None, sealed_content=None)
    zh_event = replied_event(zh)
    # The same event twice (a redelivery), and the reply without an address, on one partition.
    for event in (zh_event, replied_event(no_address)):
        event.subject = zh.feedback_id
    await publish(zh_event, replied_event(en), replied_event(no_address), zh_event)

    [zh_mail] = await mails_to(smtp, "wang.fang@example.com", 1)
    assert zh_mail["Subject"] == "关于您反馈的问题，我们的答复"
    assert zh_mail["To"].addresses[0].display_name == "王芳"
    text, page = bodies(zh_mail)
    assert text.startswith("王芳，您好：") and REPLY_TEXT_ZH in text
    assert f"已解决：{RESOLVED}" in text and f"未解决：{NOT_RESOLVED}" in text
    assert hrefs(page) == [RESOLVED, NOT_RESOLVED]
    assert all(line in page for line in REPLY_TEXT_ZH.splitlines())

    [en_mail] = await mails_to(smtp, "john.smith@example.com", 1)
    assert en_mail["Subject"] == "Our reply to your feedback"
    text, page = bodies(en_mail)
    assert text.startswith("Dear John Smith,") and REPLY_TEXT_EN in text
    assert hrefs(page) == [RESOLVED, NOT_RESOLVED] and "Yes, it is resolved" in page

    published = await read_topic(settings, "notify", 2)
    rows = await deliveries(client)
    assert sorted((row["template"], row["locale"], row["to"]["email"], row["status"]) for row in rows) == [
        ("feedback.reply", "en", "john.smith@example.com", "delivered"),
        ("feedback.reply", "zh-CN", "wang.fang@example.com", "delivered"),
    ]
    assert sorted((event["type"], event["subject"]) for event in published) == sorted(("notification.delivered", row["id"]) for row in rows)
    await asyncio.sleep(0.3)  # a few sender polls: nothing more goes out
    assert len(smtp.collector.messages) == 2


async def test_a_refused_recipient_fails_the_reply_and_poison_is_dead_lettered(smtp, client, settings, publish):
    smtp.collector.refuse["gone@example.com"] = "550 no such user"
    refused = feedback_replied(sealed_message=sealed_invitation(email="gone@example.com"))
    garbage = feedback_replied(feedback_id="fb-garbage", sealed_content="not-a-sealed-message")
    half = feedback_replied(feedback_id="fb-half", sealed_message=None)
    good = feedback_replied(sealed_message=sealed_invitation(email="li.na@example.com", name="李娜", customer_name="李娜"))
    events = [replied_event(refused), replied_event(garbage), replied_event(half), replied_event(good)]
    for event in events:
        event.subject = "one-partition"  # the good event after the poison
    await publish(*events)

    [mail] = await mails_to(smtp, "li.na@example.com", 1)
    assert mail["Subject"] == "关于您反馈的问题，我们的答复"
    letters = await read_topic(settings, "dlq", 2)
    errors = {orjson.loads(base64.b64decode(letter["value_base64"]))["id"]: letter["error"] for letter in letters}
    assert set(errors) == {events[1].id, events[2].id}
    assert "feedback 'fb-garbage' cannot be delivered: sealed_content cannot be opened" in errors[events[1].id]
    assert "feedback 'fb-half' cannot be delivered: sealed_message is empty while the other seal is set" in errors[events[2].id]

    async def settled():
        rows = await deliveries(client)
        return rows if len(rows) == 2 and all(row["status"] in ("delivered", "failed") for row in rows) else None

    rows = {row["to"]["email"]: row for row in await wait_until(settled, message="both replies settled")}
    assert rows["gone@example.com"]["status"] == "failed" and "550" in rows["gone@example.com"]["last_error"]
    assert rows["li.na@example.com"]["status"] == "delivered"
    published = await read_topic(settings, "notify", 2)
    assert sorted((event["type"], event["subject"]) for event in published) == sorted(
        [("notification.failed", rows["gone@example.com"]["id"]), ("notification.delivered", rows["li.na@example.com"]["id"])]
    )
    assert smtp.collector.to("gone@example.com") == []
