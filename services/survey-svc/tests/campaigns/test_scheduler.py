"""The scheduler's steps with time driven by the test: send, reminder once, expiry, and the
anonymity promise checked against every row of the database."""

from datetime import timedelta

import orjson
from sqlalchemy import select, text

from csq_common.bus.models import OutboxMessage
from csq_common.events import CloudEvent, SurveyExpired, SurveyInvited
from csq_common.sealing import DEVELOPMENT_PRIVATE_KEY, open_sealed
from survey_svc.campaigns import invite, scheduler
from survey_svc.campaigns.models import Invitation
from survey_svc.campaigns.tokens import token_hash
from csq_common.db import Base
from survey_svc import models  # noqa: F401  (every table of the service on Base.metadata)
from tests.campaigns.factories import CUSTOMER, T0, campaign, closed, published_survey
from tests.surveys.factories import CSAT_PROMPT_ZH


async def outbox_events(sessions) -> list[tuple[str, str, CloudEvent]]:
    async with sessions() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    return [(row.topic, row.key, CloudEvent.from_bytes(row.payload)) for row in rows]


async def step(sessions, settings, function, now) -> int:
    async with sessions() as session:
        count = await function(session, settings, now=now, limit=settings.scheduler_batch_size)
        await session.commit()
    return count


async def the_invitation(sessions) -> Invitation:
    async with sessions() as session:
        return (await session.execute(select(Invitation))).scalar_one()


async def assert_no_invitation_column_holds_a_link(sessions, *tokens: str) -> None:
    """No value of any invitation row is a survey link or a token, readable or sealed."""
    async with sessions() as session:
        rows = (await session.execute(text("SELECT * FROM invitations"))).all()
    assert rows
    for values in rows:
        for value in values:
            if not isinstance(value, str):
                continue
            assert "/s/" not in value and not any(token in value for token in tokens)
            try:
                opened = open_sealed(value, DEVELOPMENT_PRIVATE_KEY)
            except Exception:
                continue
            assert "survey_link" not in opened and "/s/" not in orjson.dumps(opened).decode()


async def scheduled(sessions, settings, **campaign_fields) -> Invitation:
    async with sessions() as session:
        survey_id = await published_survey(session)
        created = await campaign(session, survey_id, **campaign_fields)
        outcomes = await invite.on_ticket_closed(session, settings, closed(), now=T0)
        assert outcomes == {created.id: "scheduled"}
        await session.commit()
    return await the_invitation(sessions)


async def test_due_invitation_is_sent_once_with_its_sealed_message_then_reminded_once_then_expires(sessions, svc_settings):
    invitation = await scheduled(sessions, svc_settings, delay_seconds=3600, reminder_after_seconds=2 * 86_400, expiry_seconds=5 * 86_400)
    # Scheduled: no token yet, only the recipient sealed.
    assert invitation.token_hash is None
    recipient = open_sealed(invitation.sealed_message, DEVELOPMENT_PRIVATE_KEY)
    assert recipient["to"] == {"email": CUSTOMER["email"], "name": CUSTOMER["name"]}
    # Not due yet.
    assert await step(sessions, svc_settings, scheduler.send_due, T0 + timedelta(minutes=59)) == 0
    assert await outbox_events(sessions) == []

    sent_at = T0 + timedelta(hours=1, seconds=3)
    assert await step(sessions, svc_settings, scheduler.send_due, sent_at) == 1
    assert await step(sessions, svc_settings, scheduler.send_due, sent_at + timedelta(minutes=1)) == 0  # nothing more
    row = await the_invitation(sessions)
    assert (row.status, row.invited_at, row.expires_at) == ("sent", sent_at, sent_at + timedelta(days=5))
    # The token was minted at send: its hash is kept, the sealed recipient is not (the reminder reuses notify-svc's delivery).
    assert row.reminder_due_at == sent_at + timedelta(days=2) and row.sealed_message is None
    assert row.token_hash and len(row.token_hash) == 64

    [(topic, key, event)] = await outbox_events(sessions)
    assert topic == svc_settings.topic("surveys") and key == invitation.id
    assert (event.type, event.source, event.subject, event.time) == ("survey.invited", "survey-svc", invitation.id, sent_at)
    data = SurveyInvited.model_validate(event.data)
    assert (data.invitation_id, data.campaign_id, data.survey_id, data.survey_version) == (invitation.id, invitation.campaign_id, invitation.survey_id, 1)
    assert (data.ticket_id, data.team_id, data.agent_id, data.channel) == ("T-1001", "billing", "A-7", "email")
    assert (data.delivery, data.locale, data.anonymous, data.reminder) == ("email", "zh-CN", False, False)
    assert (data.invited_at, data.expires_at) == (sent_at, sent_at + timedelta(days=5))
    assert data.one_click.model_dump() == {
        "question_id": "q1", "prompt": CSAT_PROMPT_ZH, "min": 1, "max": 5, "low_label": "非常不满意", "high_label": "非常满意",
    }
    assert open_sealed(data.sealed_message, DEVELOPMENT_PRIVATE_KEY) == recipient  # the recipient only
    link = open_sealed(data.sealed_link, DEVELOPMENT_PRIVATE_KEY)
    assert list(link) == ["survey_link"] and link["survey_link"].startswith("https://survey.example.com/s/")
    token = link["survey_link"].rsplit("/", 1)[1]
    assert token_hash(token) == row.token_hash
    await assert_no_invitation_column_holds_a_link(sessions, token)

    # The reminder, once.
    assert await step(sessions, svc_settings, scheduler.send_reminders, sent_at + timedelta(days=1)) == 0
    remind_at = sent_at + timedelta(days=2, minutes=1)
    assert await step(sessions, svc_settings, scheduler.send_reminders, remind_at) == 1
    assert await step(sessions, svc_settings, scheduler.send_reminders, remind_at + timedelta(hours=1)) == 0
    row = await the_invitation(sessions)
    assert row.reminded_at == remind_at and row.sealed_message is None and row.status == "sent"
    events = await outbox_events(sessions)
    assert [e.type for _, _, e in events] == ["survey.invited", "survey.invited"]
    reminder = SurveyInvited.model_validate(events[1][2].data)
    assert reminder.reminder and reminder.invited_at == sent_at and reminder.expires_at == data.expires_at
    assert (reminder.sealed_message, reminder.sealed_link) == (None, None)  # notify-svc reuses the invitation delivery
    assert "sealed_message" not in events[1][2].data or events[1][2].data["sealed_message"] is None
    assert row.token_hash == token_hash(token)  # the same link still works

    # Expiry.
    assert await step(sessions, svc_settings, scheduler.expire_due, sent_at + timedelta(days=4)) == 0
    expire_at = sent_at + timedelta(days=5, seconds=1)
    assert await step(sessions, svc_settings, scheduler.expire_due, expire_at) == 1
    assert await step(sessions, svc_settings, scheduler.expire_due, expire_at + timedelta(hours=1)) == 0
    row = await the_invitation(sessions)
    assert (row.status, row.expired_at, row.sealed_message) == ("expired", expire_at, None)
    events = await outbox_events(sessions)
    assert [e.type for _, _, e in events] == ["survey.invited", "survey.invited", "survey.expired"]
    expired = SurveyExpired.model_validate(events[2][2].data)
    assert (expired.invitation_id, expired.invited_at, expired.expired_at, expired.ticket_id) == (invitation.id, sent_at, expire_at, "T-1001")
    assert len({e.id for _, _, e in events}) == 3
    # After the whole flow no invitation column holds the link or its token, in any form.
    await assert_no_invitation_column_holds_a_link(sessions, token)


async def test_without_reminders_the_sealed_message_goes_at_send_and_an_answered_one_is_not_reminded(sessions, svc_settings):
    await scheduled(sessions, svc_settings, delay_seconds=0)
    assert await step(sessions, svc_settings, scheduler.send_due, T0 + timedelta(seconds=1)) == 1
    row = await the_invitation(sessions)
    assert row.status == "sent" and row.sealed_message is None and row.reminder_due_at is None
    assert await step(sessions, svc_settings, scheduler.send_reminders, T0 + timedelta(days=6)) == 0
    [(_, _, event)] = await outbox_events(sessions)
    sent = SurveyInvited.model_validate(event.data)
    assert sent.sealed_message is not None and sent.sealed_link is not None
    assert token_hash(open_sealed(sent.sealed_link, DEVELOPMENT_PRIVATE_KEY)["survey_link"].rsplit("/", 1)[1]) == row.token_hash
    await assert_no_invitation_column_holds_a_link(sessions)


async def test_an_answered_invitation_gets_no_reminder_and_does_not_expire(sessions, svc_settings):
    await scheduled(sessions, svc_settings, delay_seconds=0, reminder_after_seconds=3600)
    await step(sessions, svc_settings, scheduler.send_due, T0)
    async with sessions() as session:  # what the answer page does
        row = (await session.execute(select(Invitation))).scalar_one()
        row.status, row.answered_at = "answered", T0 + timedelta(minutes=5)
        await session.commit()
    assert await step(sessions, svc_settings, scheduler.send_reminders, T0 + timedelta(days=1)) == 0
    assert await step(sessions, svc_settings, scheduler.expire_due, T0 + timedelta(days=30)) == 0
    assert [e.type for _, _, e in await outbox_events(sessions)] == ["survey.invited"]


async def test_two_schedulers_racing_send_each_invitation_once(sessions, svc_settings):
    async with sessions() as session:
        survey_id = await published_survey(session)
        await campaign(session, survey_id, delay_seconds=0, throttle_days=0)
        for n in range(20):
            await invite.on_ticket_closed(session, svc_settings, closed(f"T-{n}", customer={"id": f"C-{n}", "email": f"c{n}@example.com"}), now=T0)
        await session.commit()
    import asyncio

    small = svc_settings.model_copy(update={"scheduler_batch_size": 7})
    await asyncio.gather(*(scheduler.run_steps(sessions, small, now=T0 + timedelta(seconds=1)) for _ in range(4)))
    for _ in range(3):
        await scheduler.run_steps(sessions, small, now=T0 + timedelta(seconds=2))
    events = await outbox_events(sessions)
    assert len(events) == 20 and len({key for _, key, _ in events}) == 20
    async with sessions() as session:
        statuses = (await session.execute(select(Invitation.status))).scalars().all()
    assert statuses == ["sent"] * 20


async def test_an_anonymous_flow_keeps_no_identity_anywhere(sessions, svc_settings):
    secret = {"id": "CUST-ANON-4711", "email": "anon.person@example.org", "name": "Anonymous Zhang 张三", "locale": "en"}
    async with sessions() as session:
        survey_id = await published_survey(session)
        created = await campaign(session, survey_id, anonymous=True, delay_seconds=60, reminder_after_seconds=3600, expiry_seconds=7200)
        assert await invite.on_ticket_closed(session, svc_settings, closed(customer=secret), now=T0) == {created.id: "scheduled"}
        await session.commit()
    row = await the_invitation(sessions)
    assert row.anonymous and row.customer_id is None and row.locale == "en"
    for function, at in ((scheduler.send_due, 61), (scheduler.send_reminders, 61 + 3600), (scheduler.expire_due, 61 + 7200)):
        assert await step(sessions, svc_settings, function, T0 + timedelta(seconds=at)) == 1
    events = await outbox_events(sessions)
    assert [e.type for _, _, e in events] == ["survey.invited", "survey.invited", "survey.expired"]
    assert all(e.data["anonymous"] is True for _, _, e in events)
    # notify-svc can still reach the customer: only through the sealed message.
    assert open_sealed(events[0][2].data["sealed_message"], DEVELOPMENT_PRIVATE_KEY)["to"]["email"] == secret["email"]
    assert events[1][2].data.get("sealed_message") is None and events[1][2].data.get("sealed_link") is None
    await assert_no_invitation_column_holds_a_link(sessions)

    dump = []
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            for values in (await session.execute(text(f'SELECT * FROM "{table.name}"'))).all():
                for value in values:
                    dump.append(bytes(value).decode("utf-8", "replace") if isinstance(value, (bytes, memoryview)) else str(value))
    everything = "\n".join(dump)
    assert "survey.invited" in everything and row.id in everything  # the dump did read the outbox
    for needle in (secret["id"], secret["email"], secret["name"], "anon.person", "张三"):
        assert needle not in everything, needle
