"""Reading back what a submission left in the database (outbox, responses, invitation)."""

from __future__ import annotations

from sqlalchemy import select

from csq_common.bus.models import OutboxMessage
from csq_common.events import CloudEvent
from survey_svc.campaigns.models import Invitation
from survey_svc.responses.models import Response, ResponseAnswer

WRITER = {"Authorization": "Bearer writer-key"}
READER = {"Authorization": "Bearer reader-key"}
PROBLEM = "application/problem+json"


async def answered_events(app) -> list[tuple[str, CloudEvent]]:
    topic = app.state.settings.topic("surveys")
    async with app.state.sessions() as session:
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id))).scalars().all()
    events = [(row.key, CloudEvent.from_bytes(row.payload)) for row in rows]
    return [(key, event) for key, event in events if event.type == "survey.answered"]


async def responses_of(app, invitation_id: str) -> list[tuple[Response, dict[str, ResponseAnswer]]]:
    async with app.state.sessions() as session:
        found = (await session.execute(select(Response).where(Response.invitation_id == invitation_id))).scalars().all()
        result = []
        for response in found:
            answers = (await session.execute(select(ResponseAnswer).where(ResponseAnswer.response_id == response.id))).scalars().all()
            result.append((response, {answer.question_id: answer for answer in answers}))
    return result


async def invitation_row(app, invitation_id: str) -> Invitation:
    async with app.state.sessions() as session:
        return await session.get(Invitation, invitation_id)


async def nothing_recorded(app, invitation_id: str) -> bool:
    invitation = await invitation_row(app, invitation_id)
    return (
        await responses_of(app, invitation_id) == []
        and await answered_events(app) == []
        and invitation.answered_at is None
        and invitation.status != "answered"
    )
