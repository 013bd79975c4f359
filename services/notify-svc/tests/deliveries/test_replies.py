"""feedback.replied → the reply's email: the mapping and rendering are pure (no app, no database,
no broker); then accept_reply queueing it once, on the database."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from csq_common.db import utcnow
from csq_common.sealing import DEVELOPMENT_PRIVATE_KEY, DEVELOPMENT_PUBLIC_KEY, generate_keypair, seal
from notify_svc.deliveries import replies, service
from notify_svc.deliveries.replies import UndeliverableReply, reply_request
from notify_svc.deliveries.templates import render
from tests.deliveries.factories import (
    CONFIRM_LINK, REPLY_TEXT_EN, REPLY_TEXT_ZH, feedback_replied, sealed_invitation, sealed_reply,
)  # fmt: skip

RESOLVED = f"{CONFIRM_LINK}?answer=resolved"
NOT_RESOLVED = f"{CONFIRM_LINK}?answer=not_resolved"
HOSTILE = '退款呢？<script>alert("x")</script> & <a href="https://evil.example">点这里</a>'


def hrefs(page: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', page)]


def request_for(replied):
    return reply_request(replied, private_key=DEVELOPMENT_PRIVATE_KEY)


def test_a_chinese_reply_to_the_customer_with_both_answers():
    replied = feedback_replied(locale="zh-CN")
    request, customer_id = request_for(replied)
    assert (request.channel, request.template, request.locale, customer_id) == ("email", "feedback.reply", "zh-CN", "C-42")
    assert (request.to.email, request.to.name) == ("wang.fang@example.com", "王芳")
    assert request.variables == {
        "customer_name": "王芳", "reply_text": REPLY_TEXT_ZH, "confirm_link": CONFIRM_LINK, "expires_at": replied.expires_at.isoformat(),
    }  # fmt: skip
    rendered = render(request.template, request.locale, request.variables)
    assert rendered.subject == "关于您反馈的问题，我们的答复"
    assert rendered.text.startswith("王芳，您好：\n\n")
    assert REPLY_TEXT_ZH in rendered.text
    assert f"已解决：{RESOLVED}\n" in rendered.text and f"未解决：{NOT_RESOLVED}\n" in rendered.text
    assert hrefs(rendered.html) == [RESOLVED, NOT_RESOLVED]
    for line in REPLY_TEXT_ZH.splitlines():
        assert f">{line}</p>" in rendered.html
    assert ">已解决</a>" in rendered.html and ">未解决</a>" in rendered.html and '<html lang="zh-CN">' in rendered.html
    prose = re.sub(r"https://\S+|UTC", "", rendered.text)
    assert not re.search(r"[A-Za-z]{3,}", prose), prose


def test_an_english_reply_and_an_unknown_locale_falls_back_to_english():
    contact = sealed_invitation(email="john.smith@example.com", name="John Smith", customer_name=None, locale="en")
    for locale in ("en", "fr-FR"):
        replied = feedback_replied(locale=locale, sealed_message=contact, sealed_content=sealed_reply(reply_text=REPLY_TEXT_EN))
        request, _ = request_for(replied)
        assert (request.locale, request.to.name) == ("en", "John Smith")
        rendered = render(request.template, request.locale, request.variables)
        assert rendered.subject == "Our reply to your feedback"
        assert rendered.text.startswith("Hello,\n\n") and REPLY_TEXT_EN in rendered.text
        assert f"Yes, it is resolved: {RESOLVED}" in rendered.text and f"No, it is not resolved: {NOT_RESOLVED}" in rendered.text
        assert hrefs(rendered.html) == [RESOLVED, NOT_RESOLVED]


def test_the_reply_text_is_escaped_in_html_and_left_as_written_in_text():
    replied = feedback_replied(sealed_content=sealed_reply(reply_text=HOSTILE))
    request, _ = request_for(replied)
    rendered = render(request.template, request.locale, request.variables)
    assert "<script>" not in rendered.html and "evil.example" not in hrefs(rendered.html)
    assert html.escape(HOSTILE, quote=True) in rendered.html.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")
    assert HOSTILE in rendered.text


def test_without_an_address_there_is_nothing_to_send():
    assert request_for(feedback_replied(sealed_message=None, sealed_content=None)) is None


def test_the_key_is_the_item_and_the_reply_time_so_a_republished_reply_is_the_same_and_a_later_one_is_not():
    replied = feedback_replied(feedback_id="fb-1")
    again = replied.model_copy(update={"sealed_message": replied.sealed_message, "sealed_content": sealed_reply()})
    later = replied.model_copy(update={"replied_at": replied.replied_at + timedelta(microseconds=1)})
    assert request_for(replied)[0].idempotency_key == request_for(again)[0].idempotency_key
    assert request_for(replied)[0].idempotency_key != request_for(later)[0].idempotency_key
    assert request_for(replied)[0].idempotency_key.startswith("feedback.replied:fb-1:")


_, OTHER_PUBLIC_KEY = generate_keypair()
POISON = [
    ({"sealed_message": None}, "sealed_message is empty while the other seal is set"),
    ({"sealed_content": None}, "sealed_content is empty while the other seal is set"),
    ({"sealed_message": "not-a-sealed-message"}, "sealed_message cannot be opened"),
    ({"sealed_content": sealed_reply(public_key=OTHER_PUBLIC_KEY)}, "sealed_content cannot be opened"),
    ({"sealed_content": seal({"reply_text": "王女士您好"}, DEVELOPMENT_PUBLIC_KEY)}, "sealed_content is not a reply with its link (confirm_link:"),
    ({"sealed_message": sealed_invitation(email="wang.fang@@example")}, "invalid recipient (to.email:"),
    ({"sealed_content": sealed_reply(confirm_link="http://feedback.example.com/v1/public/feedback/tok")}, "confirm_link: Value error"),
]


@pytest.mark.parametrize(("change", "problem"), POISON)
def test_a_reply_that_cannot_be_delivered_raises_without_revealing_the_address_text_or_link(change, problem):
    replied = feedback_replied(feedback_id="fb-poison", **change)
    with pytest.raises(UndeliverableReply) as raised:
        request_for(replied)
    message = str(raised.value)
    assert message.startswith("feedback.replied for feedback 'fb-poison' cannot be delivered: "), message
    assert problem in message, message
    for secret in ("wang.fang@", "feedback.example.com", "confirm-tok", "退款", "王女士"):
        assert secret not in message, message


# ---- accept_reply: on the database (both backends) -----------------------------------------------


async def test_accepting_queues_one_email_per_reply_and_skips_what_has_nothing_to_send(client):
    app = client.app
    await app.state.delivery_sender.stop()  # only the queue matters here
    now = utcnow()

    async def accept(replied):
        async with app.state.sessions() as session:
            accepted = await replies.accept_reply(
                session, replied, private_key=DEVELOPMENT_PRIVATE_KEY, mail_from="CSQ <no-reply@csq.local>", now=now
            )
            await session.commit()
        return accepted

    replied = feedback_replied(feedback_id="fb-db")
    first = await accept(replied)
    again = await accept(replied.model_copy(update={"sealed_content": sealed_reply()}))
    second_reply = await accept(replied.model_copy(update={"replied_at": replied.replied_at + timedelta(days=2)}))
    assert (first.created, again.created, second_reply.created) == (True, False, True)
    assert again.delivery.id == first.delivery.id != second_reply.delivery.id
    delivery = first.delivery
    assert (delivery.status, delivery.template, delivery.locale) == ("queued", "feedback.reply", "zh-CN")
    assert (delivery.recipient_email, delivery.recipient_name, delivery.customer_id) == ("wang.fang@example.com", "王芳", "C-42")
    assert REPLY_TEXT_ZH in delivery.text_body and delivery.subject == "关于您反馈的问题，我们的答复"
    assert await accept(feedback_replied(sealed_message=None, sealed_content=None)) is None
    assert await accept(feedback_replied(expires_at=now - timedelta(seconds=1))) is None
    async with app.state.sessions() as session:
        assert len((await service.list_deliveries(session, status=None, limit=10, cursor=None)).items) == 2
