"""customer.erased and retention at notify-svc: a delivery keeps its log line, its content goes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from csq_common.bus.migration import upgrade_to_head
from csq_common.db import create_engine, session_factory, utcnow
from csq_common.events import CustomerErased, make_event
from csq_common.retention import RetentionWorker
from csq_common.sealing import DEVELOPMENT_PRIVATE_KEY
from notify_svc.consumers import consumers
from notify_svc.deliveries.erasure import delivered_content_rule
from notify_svc.deliveries.invitations import accept_invitation
from notify_svc.deliveries.models import Delivery
from notify_svc.main import SERVICE_ROOT
from notify_svc.settings import Settings
from notify_svc.deliveries.replies import accept_reply
from tests.deliveries.factories import feedback_replied, sealed_invitation, survey_invited

MAIL_FROM = "CSQ <no-reply@csq.local>"


@pytest.fixture
async def sessions(database_url):
    engine = create_engine(database_url)
    await upgrade_to_head(engine, SERVICE_ROOT)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _invite(sessions, **sealed) -> str:
    invited = survey_invited(sealed_message=sealed_invitation(**sealed))
    async with sessions() as session:
        accepted = await accept_invitation(session, invited, private_key=DEVELOPMENT_PRIVATE_KEY, mail_from=MAIL_FROM, now=utcnow())
        await session.commit()
    return accepted.delivery.id


def _content(row: Delivery) -> str:
    return " ".join(str(value) for value in (row.recipient_email, row.recipient_name, row.variables, row.subject, row.text_body, row.html_body))


async def test_erasure_clears_the_customers_deliveries_and_fails_those_not_sent(sessions, database_url):
    sent = await _invite(sessions)
    queued = await _invite(sessions)
    other = await _invite(sessions, email="han.meimei@example.com", name="韩梅梅", customer_name="韩梅梅", customer_id="C-other")
    async with sessions() as session:
        await session.execute(update(Delivery).where(Delivery.id == sent).values(status="delivered", delivered_at=utcnow()))
        assert (await session.get(Delivery, sent)).customer_id == "C-9"  # from the sealed contact
        await session.commit()

    [consumer] = consumers(Settings(database_url=database_url, environment="development"))
    event = make_event(CustomerErased(customer_id="C-9", requested_at=utcnow()), source="feedback-svc", subject="C-9", time=utcnow())
    async with sessions() as session:
        await consumer.handler(session, [event])
        await session.commit()

    async with sessions() as session:
        rows = {row.id: row for row in (await session.execute(select(Delivery))).scalars()}
    for delivery_id in (sent, queued):
        row = rows[delivery_id]
        assert "li.lei" not in _content(row) and "李雷" not in _content(row) and "/s/" not in _content(row)
        assert row.customer_id is None and row.template == "survey_invitation"
    assert rows[sent].status == "delivered"
    assert (rows[queued].status, rows[queued].last_error) == ("failed", "customer erased")
    assert rows[other].recipient_email == "han.meimei@example.com" and rows[other].status == "queued"


async def test_retention_clears_the_content_of_deliveries_ended_long_enough_ago(sessions):
    old, recent, waiting = await _invite(sessions), await _invite(sessions), await _invite(sessions)
    now = utcnow()
    async with sessions() as session:
        for delivery_id, age in ((old, timedelta(days=8)), (recent, timedelta(days=6))):
            await session.execute(
                update(Delivery).where(Delivery.id == delivery_id).values(status="delivered", delivered_at=now - age, updated_at=now - age)
            )
        await session.execute(update(Delivery).where(Delivery.id == waiting).values(updated_at=now - timedelta(days=30)))
        await session.commit()

    await RetentionWorker(sessions, [delivered_content_rule(7)]).run_until_done()

    async with sessions() as session:
        rows = {row.id: row for row in (await session.execute(select(Delivery))).scalars()}
    assert rows[old].text_body is None and rows[old].recipient_email is None and rows[old].variables == {}
    assert rows[old].status == "delivered" and rows[old].message_id  # the log line stays
    assert rows[recent].text_body and rows[recent].recipient_email == "li.lei@example.com"
    assert rows[waiting].text_body and rows[waiting].status == "queued"  # not sent yet: kept whatever its age


async def test_erasure_clears_a_feedback_reply_to_the_customer(sessions, database_url):
    replied = feedback_replied(sealed_message=sealed_invitation(email="wang.fang@example.com", name="王芳", customer_name="王芳", customer_id="C-42"))
    async with sessions() as session:
        accepted = await accept_reply(session, replied, private_key=DEVELOPMENT_PRIVATE_KEY, mail_from=MAIL_FROM, now=utcnow())
        await session.commit()
    assert accepted.delivery.customer_id == "C-42"

    [consumer] = consumers(Settings(database_url=database_url, environment="development"))
    event = make_event(CustomerErased(customer_id="C-42", requested_at=utcnow()), source="feedback-svc", subject="C-42", time=utcnow())
    async with sessions() as session:
        await consumer.handler(session, [event])
        await session.commit()
    async with sessions() as session:
        row = await session.get(Delivery, accepted.delivery.id)
    for secret in ("wang.fang", "王芳", "退款", "confirm-tok"):
        assert secret not in _content(row)
    assert (row.status, row.last_error, row.template) == ("failed", "customer erased", "feedback.reply")
