"""The claim that keeps two replicas from sending the same delivery; backoff; SMTP errors."""

import aiosmtplib

from notify_svc.deliveries import mail, service
from notify_svc.deliveries.sender import DeliverySender, backoff_seconds
from notify_svc.deliveries.schemas import DeliveryCreate
from tests.deliveries.factories import delivery_body


def test_backoff_doubles_up_to_its_cap_and_spans_about_an_hour_by_default():
    waits = [backoff_seconds(n, base=30, cap=3600) for n in range(1, 8)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920]
    assert 3000 < sum(waits) < 4500  # 8 attempts over about an hour
    assert backoff_seconds(20, base=30, cap=3600) == 3600


async def test_only_one_of_two_senders_claims_a_delivery(client):
    app = client.app
    await app.state.delivery_sender.stop()  # the app's own sender stays out of the race
    async with app.state.sessions() as session:
        accepted = await service.create_delivery(session, DeliveryCreate(**delivery_body()), mail_from="CSQ <no-reply@csq.local>")
        await session.commit()
    replicas = [DeliverySender(app.state.sessions, app.state.settings) for _ in range(2)]
    first = await replicas[0].claim(accepted.delivery.id, 0)
    second = await replicas[1].claim(accepted.delivery.id, 0)
    assert first is not None and first.status == "sending" and first.attempts == 1
    assert second is None
    # The loser of a claim race cannot write an outcome either.
    assert await replicas[1].record(first.__class__(**{**_columns(first), "attempts": 0}), None) is None
    assert await replicas[0].record(first, None) == "delivered"


def _columns(row):
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def test_smtp_errors_never_carry_the_recipients_address():
    refused = aiosmtplib.SMTPRecipientRefused(550, "5.1.1 <Li.Lei@Example.com>: user unknown", "li.lei@example.com")
    failure = mail.classify(aiosmtplib.SMTPRecipientsRefused([refused]), recipient="li.lei@example.com")
    assert (failure.error, failure.permanent) == ("550 5.1.1 <<recipient>>: user unknown", True)
    busy = mail.classify(aiosmtplib.SMTPResponseException(451, "li.lei@example.com greylisted"), recipient="li.lei@example.com")
    assert (busy.error, busy.permanent) == ("451 <recipient> greylisted", False)
