"""survey.invited through the real broker → notify-svc's consumer → a real aiosmtpd server, on both
database backends: the email arrives once, in its language; a reminder is a second email, to the
recipient and with the link of the first; poison (a reminder of nothing delivered included) goes to
the DLQ and the next invitation still goes out; an SMTP outage delays, never duplicates."""

from __future__ import annotations

import asyncio
import base64
import re

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from csq_common.db import utcnow
from csq_common.events import CloudEvent
from csq_testing import connected_producer, wait_until
from tests.deliveries.factories import READER, SURVEY_LINK, invited_event, sealed_invitation, sealed_survey_link, survey_invited
from tests.deliveries.smtp import SmtpServer

ONE_CLICK_LINKS = [f"{SURVEY_LINK}?answer={value}" for value in range(1, 6)]


@pytest.fixture
async def publish(settings):
    """Publish CloudEvents to the surveys topic, keyed by subject (the invitation id) as survey-svc does."""
    async with connected_producer(settings) as producer:

        async def send(*events: CloudEvent) -> None:
            for event in events:
                await producer.send_and_wait(settings.topic("surveys"), event.to_bytes(), key=event.subject.encode())

        yield send


async def read_topic(settings, domain: str, count: int) -> list[dict]:
    """The first ``count`` messages of a topic (JSON), from its beginning (no group: no join to wait for)."""
    consumer = AIOKafkaConsumer(settings.topic(domain), bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest")
    await consumer.start()
    found: list[dict] = []
    try:

        async def enough():
            batch = await consumer.getmany(timeout_ms=200)
            found.extend(orjson.loads(record.value) for records in batch.values() for record in records)
            return len(found) >= count

        await wait_until(enough, message=f"{count} messages on {domain}")
    finally:
        await consumer.stop()
    return found


async def deliveries(client, status: str | None = None) -> list[dict]:
    params = {"limit": 500, **({"status": status} if status else {})}
    return (await client.get("/v1/deliveries", params=params, headers=READER)).json()["items"]


def hrefs(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]


async def mails_to(smtp, address: str, count: int):
    def arrived():
        found = smtp.collector.to(address)
        return found if len(found) >= count else None

    return await wait_until(arrived, message=f"{count} mail(s) to {address}")


async def test_invitations_arrive_once_in_their_language_and_a_reminder_is_a_second_mail(smtp, client, settings, publish):
    zh = survey_invited(locale="zh-CN")
    en = survey_invited(
        locale="en", anonymous=True, one_click=None,
        sealed_message=sealed_invitation(email="ann@example.com", name=None, customer_name=None, locale="en"),
    )  # fmt: skip
    link_only = survey_invited(delivery="link", sealed_message="", sealed_link=None)
    answered = CloudEvent(id="answered-1", source="survey-svc", type="survey.answered", subject=zh.invitation_id, time=utcnow(), data={})
    await publish(invited_event(zh), invited_event(en), invited_event(link_only), answered)

    [zh_mail] = await mails_to(smtp, "li.lei@example.com", 1)
    assert zh_mail["Subject"] == "请评价我们的服务"
    assert zh_mail["To"].addresses[0].display_name == "李雷"
    text, html = zh_mail.get_body(("plain",)).get_content(), zh_mail.get_body(("html",)).get_content()
    assert text.startswith("李雷，您好：") and "您对本次服务满意吗？" in text
    assert all(link in text for link in ONE_CLICK_LINKS)
    assert hrefs(html) == [*ONE_CLICK_LINKS, SURVEY_LINK]

    [en_mail] = await mails_to(smtp, "ann@example.com", 1)
    assert en_mail["Subject"] == "How did we do? Rate our service"
    en_text = en_mail.get_body(("plain",)).get_content()
    assert en_text.startswith("Hello,") and f"Open the survey: {SURVEY_LINK}" in en_text and "answer=" not in en_text

    published = await read_topic(settings, "notify", 2)
    assert sorted((event["type"], event["data"]["idempotency_key"]) for event in published) == sorted(
        [
            ("notification.delivered", f"survey.invited:{zh.invitation_id}:invitation"),
            ("notification.delivered", f"survey.invited:{en.invitation_id}:invitation"),
        ]
    )

    # The same invitation again under a new event id (sealed anew), then its reminder, which carries
    # nothing sealed: it relies on the invitation delivery. Same key, same partition: when the
    # reminder is in, the duplicate (and the invitation) have been consumed before it.
    again = zh.model_copy(update={"sealed_message": sealed_invitation(), "sealed_link": sealed_survey_link()})
    reminder = zh.model_copy(update={"reminder": True, "sealed_message": None, "sealed_link": None})
    await publish(invited_event(again), invited_event(reminder))
    first, second = await mails_to(smtp, "li.lei@example.com", 2)
    assert first["Message-ID"] != second["Message-ID"]
    assert second["Subject"] == "提醒：请评价我们的服务"
    assert "温馨提醒" in second.get_body(("plain",)).get_content()
    assert second["To"].addresses[0].display_name == "李雷"
    assert hrefs(second.get_body(("html",)).get_content()) == [*ONE_CLICK_LINKS, SURVEY_LINK]

    rows = await wait_until(lambda: _all_delivered(client, 3), message="three deliveries delivered")
    assert sorted((row["template"], row["locale"], row["to"]["email"]) for row in rows) == [
        ("survey_invitation", "en", "ann@example.com"),
        ("survey_invitation", "zh-CN", "li.lei@example.com"),
        ("survey_reminder", "zh-CN", "li.lei@example.com"),
    ]
    await asyncio.sleep(0.3)  # a few sender polls: nothing more goes out
    assert len(smtp.collector.messages) == 3


async def _all_delivered(client, count: int):
    rows = await deliveries(client)
    return rows if len(rows) == count and all(row["status"] == "delivered" for row in rows) else None


async def test_poison_invitations_are_dead_lettered_and_the_next_one_is_still_sent(smtp, client, settings, publish):
    garbage = survey_invited(invitation_id="inv-garbage", sealed_message="not-a-sealed-message")
    bad_address = survey_invited(invitation_id="inv-bad-address", sealed_message=sealed_invitation(email="li.lei@@example"))
    bad_payload = CloudEvent(id="bad-payload", source="survey-svc", type="survey.invited", time=utcnow(), data={"delivery": "email"})
    orphan_reminder = survey_invited(invitation_id="inv-never-sent", reminder=True)
    no_link = survey_invited(invitation_id="inv-no-link", sealed_link=None)
    good = survey_invited(invitation_id="inv-good", sealed_message=sealed_invitation(email="good@example.com"))
    events = [invited_event(garbage), invited_event(bad_address), bad_payload, invited_event(orphan_reminder), invited_event(no_link), invited_event(good)]
    for event in events:
        event.subject = "one-partition"  # the Kafka key: one partition, the good event after the poison
    await publish(*events)

    [mail] = await mails_to(smtp, "good@example.com", 1)
    assert mail["Subject"] == "请评价我们的服务"
    letters = await read_topic(settings, "dlq", 5)
    assert len(letters) == 5 and {letter["consumer_group"] for letter in letters} == {"notify-svc"}
    assert all(letter["topic"] == settings.topic("surveys") for letter in letters)
    errors = {orjson.loads(base64.b64decode(letter["value_base64"]))["id"]: letter["error"] for letter in letters}
    assert set(errors) == {events[0].id, events[1].id, "bad-payload", events[3].id, events[4].id}
    assert "invitation 'inv-garbage' cannot be delivered: sealed_message cannot be opened" in errors[events[0].id]
    assert "invitation 'inv-bad-address' cannot be delivered: invalid recipient (to.email:" in errors[events[1].id]
    assert "li.lei@@example" not in errors[events[1].id]
    assert "validation error" in errors["bad-payload"].lower()
    assert "invitation 'inv-never-sent' cannot be delivered: reminder but there is no invitation delivery to remind of" in errors[events[3].id]
    assert "invitation 'inv-no-link' cannot be delivered: delivery is email but sealed_link is empty" in errors[events[4].id]
    rows = await deliveries(client)
    assert [row["idempotency_key"] for row in rows] == ["survey.invited:inv-good:invitation"]


async def test_smtp_down_when_the_invitation_arrives_then_up_sends_it_exactly_once(client, settings, smtp_port, publish):
    await publish(invited_event(survey_invited(invitation_id="inv-outage")))

    async def retried():
        rows = await deliveries(client)
        return rows[0] if rows and rows[0]["attempts"] >= 2 and rows[0]["last_error"] else None

    waiting = await wait_until(retried, message="two attempts against a closed SMTP port")
    assert waiting["status"] in ("queued", "sending") and waiting["delivered_at"] is None
    server = SmtpServer(smtp_port).start()
    try:
        done = await wait_until(lambda: _all_delivered(client, 1), message="the invitation delivered")
        [mail] = await mails_to(server, "li.lei@example.com", 1)
        assert mail["Message-ID"] == done[0]["message_id"] and done[0]["last_error"] is None
        published = await read_topic(settings, "notify", 1)
        await asyncio.sleep(0.3)
        assert len(server.collector.messages) == 1
    finally:
        server.stop()
    assert [(event["type"], event["subject"]) for event in published] == [("notification.delivered", done[0]["id"])]
