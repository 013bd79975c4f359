"""Erasing a customer's data at survey-svc (``customer.erased`` from feedback-svc). Nothing here
commits.

Invitations and responses of the customer keep their attribution (survey, ticket, team, agent,
channel, times, scores), so results and KPIs stay as they were; what leads back to the person
goes: the customer id, a contact still sealed in a scheduled invitation (which is then cancelled,
it can no longer be sent), the free-text answers (the customer's own words), and the throttling
ledger's row. Anonymous invitations and responses hold nothing that leads to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from survey_svc.campaigns.invite import customer_key
from survey_svc.campaigns.models import CANCELLED, SCHEDULED, CustomerContact, Invitation
from survey_svc.responses.models import Response, ResponseAnswer
from survey_svc.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Erased:
    invitations: int
    responses: int


async def erase_customer(session: AsyncSession, settings: Settings, customer_id: str, *, now: datetime) -> Erased:
    """Remove ``customer_id`` from invitations, responses and the throttling ledger (idempotent)."""
    await session.execute(
        update(Invitation)
        .where(Invitation.customer_id == customer_id, Invitation.status == SCHEDULED)
        .values(status=CANCELLED, cancelled_at=now, cancel_reason="customer erased")
        .execution_options(synchronize_session=False)
    )
    invitations = await session.execute(
        update(Invitation)
        .where(Invitation.customer_id == customer_id)
        .values(customer_id=None, sealed_message=None)
        .execution_options(synchronize_session=False)
    )
    response_ids = select(Response.id).where(Response.customer_id == customer_id).scalar_subquery()
    await session.execute(
        update(ResponseAnswer)
        .where(ResponseAnswer.response_id.in_(response_ids), ResponseAnswer.text.is_not(None))
        .values(text=None)
        .execution_options(synchronize_session=False)
    )
    responses = await session.execute(
        update(Response).where(Response.customer_id == customer_id).values(customer_id=None).execution_options(synchronize_session=False)
    )
    key = customer_key(settings.customer_key_secret, customer_id)
    await session.execute(delete(CustomerContact).where(CustomerContact.customer_key == key))
    erased = Erased(invitations=max(invitations.rowcount or 0, 0), responses=max(responses.rowcount or 0, 0))
    log.info("customer.erased", invitations=erased.invitations, responses=erased.responses)
    return erased
