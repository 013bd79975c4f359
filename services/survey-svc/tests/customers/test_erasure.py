"""customer.erased at survey-svc: the customer's id, sealed contact, free-text answers and
throttling row go; attribution and scores stay."""

from datetime import timedelta

from sqlalchemy import select

from csq_common.events import CustomerErased, make_event
from survey_svc.campaigns import invite
from survey_svc.campaigns.models import CustomerContact, Invitation
from survey_svc.consumers import ticket_handler
from survey_svc.responses.models import Response, ResponseAnswer
from tests.campaigns.factories import T0, campaign, closed, published_survey


async def test_erasure_removes_the_customer_and_keeps_the_attribution(sessions, svc_settings):
    async with sessions() as session:
        survey_id = await published_survey(session)
        await campaign(session, survey_id, throttle_days=30, delay_seconds=3600)
        await invite.on_ticket_closed(session, svc_settings, closed("T-1"), now=T0)
        await invite.on_ticket_closed(
            session, svc_settings, closed("T-2", customer={"id": "C-other", "email": "o@example.com"}), now=T0
        )
        [mine] = (await session.execute(select(Invitation).where(Invitation.ticket_id == "T-1"))).scalars()
        mine.status = "answered"
        response = Response(
            id="R-1", invitation_id=mine.id, survey_id=survey_id, survey_version=1, ticket_id="T-1", team_id="billing",
            agent_id="A-7", customer_id="C-9", response_channel="web", locale="zh-CN", answered_at=T0 + timedelta(hours=2),
        )
        session.add(response)
        await session.flush()
        session.add_all([
            ResponseAnswer(response_id="R-1", question_id="q1", type="csat", dimension="attitude", number=5),
            ResponseAnswer(response_id="R-1", question_id="q2", type="text", dimension="overall", text="我是李雷, call me"),
        ])
        await session.commit()

    event = make_event(CustomerErased(customer_id="C-9", requested_at=T0 + timedelta(days=1)), source="feedback-svc", subject="C-9", time=T0)
    async with sessions() as session:
        await ticket_handler(svc_settings)(session, [event])  # the consumer's own adapter
        await session.commit()

    async with sessions() as session:
        invitations = {row.ticket_id: row for row in (await session.execute(select(Invitation))).scalars()}
        answers = {row.question_id: row for row in (await session.execute(select(ResponseAnswer))).scalars()}
        response = await session.get(Response, "R-1")
        keys = set((await session.execute(select(CustomerContact.customer_key))).scalars())
    assert invitations["T-1"].customer_id is None and invitations["T-1"].team_id == "billing"
    assert invitations["T-2"].customer_id == "C-other" and invitations["T-2"].sealed_message  # another customer
    assert response.customer_id is None and response.agent_id == "A-7"
    assert answers["q1"].number == 5 and answers["q2"].text is None
    assert invite.customer_key(svc_settings.customer_key_secret, "C-9") not in keys
    assert invite.customer_key(svc_settings.customer_key_secret, "C-other") in keys


async def test_a_scheduled_invitation_of_an_erased_customer_is_cancelled_and_its_contact_dropped(sessions, svc_settings):
    async with sessions() as session:
        survey_id = await published_survey(session)
        await campaign(session, survey_id, delay_seconds=3600)
        await invite.on_ticket_closed(session, svc_settings, closed("T-1"), now=T0)
        await session.commit()
    event = make_event(CustomerErased(customer_id="C-9", requested_at=T0), source="feedback-svc", subject="C-9", time=T0)
    async with sessions() as session:
        await ticket_handler(svc_settings)(session, [event])
        await session.commit()
    async with sessions() as session:
        [row] = (await session.execute(select(Invitation))).scalars()
    assert (row.status, row.cancel_reason, row.sealed_message, row.customer_id) == ("cancelled", "customer erased", None, None)


