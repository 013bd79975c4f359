"""POST/GET /v1/deliveries against a real aiosmtpd server, on both database backends."""

import asyncio
import json
import re

from sqlalchemy import select

from csq_common.bus.models import OutboxMessage
from csq_common.events import CloudEvent
from csq_testing import wait_until
from csq_common.events import NOTIFICATION_EVENTS
from tests.deliveries.factories import READER, SURVEY_LINK, WRITER, delivery_body, invitation_variables
from tests.deliveries.smtp import SmtpServer


async def post(client, body):
    # ASCII-escaped JSON, so that a test can send a lone surrogate (as "\ud800") as a client may.
    return await client.post("/v1/deliveries", content=json.dumps(body), headers={**WRITER, "Content-Type": "application/json"})


async def delivery(client, delivery_id):
    return (await client.get(f"/v1/deliveries/{delivery_id}", headers=READER)).json()


async def settled(client, delivery_id, status="delivered"):
    async def check():
        found = await delivery(client, delivery_id)
        return found if found["status"] == status else None

    return await wait_until(check, message=f"delivery {delivery_id} {status}")


async def outcome_events(app) -> list[tuple[str, CloudEvent]]:
    async with app.state.sessions() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    return [(row.key, CloudEvent.from_bytes(row.payload)) for row in rows if row.topic == app.state.settings.topic("notify")]


def hrefs(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]


async def test_an_invitation_arrives_once_in_each_language_with_its_event(smtp, client):
    zh = await post(client, delivery_body(email="li.lei@example.com", name="李雷", locale="zh-CN"))
    en_vars = invitation_variables(customer_name="Ann", one_click={"question_prompt": "Rate us", "min": 1, "max": 5})
    en = await post(client, delivery_body(email="ann@example.com", name="Ann O'Neil", locale="en", variables=en_vars))
    assert zh.status_code == en.status_code == 202
    assert zh.json()["status"] == "queued" and zh.json()["attempts"] == 0
    zh_done = await settled(client, zh.json()["id"])
    en_done = await settled(client, en.json()["id"])
    assert zh_done["attempts"] == en_done["attempts"] == 1 and zh_done["last_error"] is None
    assert zh_done["delivered_at"] is not None

    [zh_mail] = smtp.collector.to("li.lei@example.com")
    assert zh_mail["Subject"] == "请评价我们的服务"
    assert zh_mail["To"].addresses[0].display_name == "李雷"
    assert zh_mail["Message-ID"] == zh_done["message_id"] == f"<delivery-{zh_done['id']}@csq.local>"
    assert zh_mail.get_content_type() == "multipart/alternative"
    text = zh_mail.get_body(("plain",)).get_content()
    html = zh_mail.get_body(("html",)).get_content()
    assert text.startswith("李雷，您好：") and "您对本次服务满意吗？" in text
    links = [f"{SURVEY_LINK}?answer={value}" for value in range(1, 6)]
    assert all(link in text for link in links)
    assert hrefs(html) == [*links, SURVEY_LINK]

    [en_mail] = smtp.collector.to("ann@example.com")
    assert en_mail["Subject"] == "How did we do? Rate our service"
    assert en_mail.get_body(("plain",)).get_content().startswith("Dear Ann,")
    assert smtp.collector.envelopes[0][0] == "no-reply@csq.local"

    events = await outcome_events(client.app)
    assert sorted((key, event.type) for key, event in events) == sorted(
        [(zh_done["id"], "notification.delivered"), (en_done["id"], "notification.delivered")]
    )
    data = NOTIFICATION_EVENTS["notification.delivered"].model_validate(next(e for k, e in events if k == zh_done["id"]).data)
    assert (data.delivery_id, data.idempotency_key, data.template, data.channel, data.attempts, data.error) == (
        zh_done["id"], zh_done["idempotency_key"], "survey_invitation", "email", 1, None
    )  # fmt: skip
    await asyncio.sleep(0.3)
    assert len(smtp.collector.messages) == 2  # nothing sent twice


async def test_the_same_idempotency_key_returns_the_first_delivery_and_sends_nothing_more(smtp, client):
    body = delivery_body()
    first = await post(client, body)
    again = await post(client, {**body, "locale": "en"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["locale"] == "zh-CN"
    await settled(client, first.json()["id"])
    third = await post(client, body)
    assert third.status_code == 200 and third.json()["status"] == "delivered"
    await asyncio.sleep(0.3)
    assert len(smtp.collector.messages) == 1


async def test_smtp_down_then_up_is_retried_with_backoff_and_sent_once(client, smtp_port):
    accepted = (await post(client, delivery_body())).json()

    async def retried():
        found = await delivery(client, accepted["id"])
        return found if found["attempts"] >= 3 else None

    waiting = await wait_until(retried, message="three attempts against a closed port")
    assert waiting["status"] in ("queued", "sending")
    assert waiting["delivered_at"] is None
    assert (await client.get("/v1/deliveries", params={"status": "delivered"}, headers=READER)).json()["items"] == []
    server = SmtpServer(smtp_port).start()
    try:
        done = await settled(client, accepted["id"])
        assert done["attempts"] > waiting["attempts"] - 1 and done["last_error"] is None
        await asyncio.sleep(0.3)
        assert len(server.collector.messages) == 1
    finally:
        server.stop()
    assert [event.type for _, event in await outcome_events(client.app)] == ["notification.delivered"]


async def test_a_permanent_refusal_fails_the_delivery_with_the_reply(smtp, client):
    smtp.collector.refuse["nobody@example.com"] = "550 no such user"
    accepted = (await post(client, delivery_body(email="nobody@example.com"))).json()
    failed = await settled(client, accepted["id"], status="failed")
    assert failed["attempts"] == 1 and "550" in failed["last_error"] and "no such user" in failed["last_error"]
    assert failed["failed_at"] is not None and smtp.collector.messages == []
    [(key, event)] = await outcome_events(client.app)
    assert (key, event.type, event.subject) == (accepted["id"], "notification.failed", accepted["id"])
    assert "550" in event.data["error"]


BAD_INPUT = [
    ({"to": {"email": "not-an-address"}}, "to.email"),
    ({"to": {"email": "a@b.example", "name": "x\r\nBcc: y@example.com"}}, "to.name"),
    ({"template": "no_such_template"}, "template"),
    ({"locale": "fr"}, "locale"),
    ({"channel": "sms"}, "channel"),
    ({"idempotency_key": ""}, "idempotency_key"),
    ({"idempotency_key": "key\x00"}, "idempotency_key"),
    ({"idempotency_key": "key\ud800"}, "idempotency_key"),
    ({"to": {"email": "a@b.example", "name": "Li \udc00"}}, "to.name"),
    ({"variables": invitation_variables(customer_name="\ud83d")}, "variables.customer_name"),
    ({"variables": invitation_variables(one_click={"question_prompt": "q\ud800", "min": 1, "max": 5})}, "variables.one_click.question_prompt"),
    ({"variables": {"expires_at": "2026-11-27T10:00:00Z"}}, "variables.survey_link"),
    ({"variables": invitation_variables(one_click={"question_prompt": "q", "min": 1})}, "variables.one_click.max"),
]


async def test_bad_input_is_a_422_naming_the_field(client):
    for change, field in BAD_INPUT:  # one app for all cases: starting one costs seconds
        response = await post(client, {**delivery_body(), **change})
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [error["field"] for error in response.json()["errors"]], (field, response.json())
    assert (await client.get("/v1/deliveries", headers=READER)).json()["items"] == []


async def test_scopes_unknown_ids_and_the_paginated_log(smtp, client):
    assert (await client.post("/v1/deliveries", json=delivery_body(), headers=READER)).status_code == 403
    assert (await client.get("/v1/deliveries")).status_code == 401
    missing = await client.get("/v1/deliveries/nope", headers=READER)
    assert missing.status_code == 404 and missing.json()["type"].endswith("delivery-not-found")
    ids = [(await post(client, delivery_body())).json()["id"] for _ in range(5)]
    for delivery_id in ids:
        await settled(client, delivery_id)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "status": "delivered", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/deliveries", params=params, headers=READER)).json()
        seen += [item["id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == list(reversed(ids))  # newest first
    assert (await client.get("/v1/deliveries", params={"status": "queued"}, headers=READER)).json()["items"] == []
    assert (await client.get("/v1/deliveries", params={"cursor": "garbage"}, headers=READER)).status_code == 422
    assert (await client.get("/v1/deliveries", params={"status": "lost"}, headers=READER)).status_code == 422
    unknown = await client.get("/v1/deliveries", params={"state": "delivered"}, headers=READER)
    assert unknown.status_code == 422 and unknown.json()["errors"] == [{"field": "state", "message": "is not a parameter of this endpoint"}]
