"""Survey invitations: survey-svc's ``survey.invited`` events turned into email deliveries.

For ``delivery == "email"`` survey-svc seals the recipient and the one-time survey link for
notify-svc (:mod:`csq_common.sealing`); they are opened only here. The delivery row keeps them (it
is what is sent), but no log line or error message carries them: errors name the invitation and
the field, never the value.

:func:`delivery_request` is the mapping (pure); :func:`accept_invitation` queues it through the
same :func:`service.create_delivery` the HTTP API uses, so the idempotency key makes a redelivered
or duplicated event (even under a new event id) a no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import OneClickQuestion, SurveyInvited
from csq_common.sealing import SealError, open_sealed
from notify_svc.deliveries import service, templates
from notify_svc.deliveries.schemas import DeliveryCreate, Recipient
from notify_svc.deliveries.service import Accepted

log = structlog.get_logger(__name__)

INVITATION_TEMPLATE = "survey_invitation"
REMINDER_TEMPLATE = "survey_reminder"


class UndeliverableInvitation(ValueError):
    """A ``survey.invited`` event that can never become a delivery (a poison event): raised so the
    consumer runner dead-letters it. The message never holds the recipient or the link."""

    def __init__(self, invitation_id: str, problem: str) -> None:
        super().__init__(f"survey.invited for invitation {invitation_id!r} cannot be delivered: {problem}")
        self.invitation_id = invitation_id


class SealedInvitation(BaseModel):
    """What survey-svc seals for notify-svc (unknown fields ignored, as for every event payload)."""

    class To(BaseModel):
        model_config = ConfigDict(extra="ignore")
        email: str
        name: str | None = None

    model_config = ConfigDict(extra="ignore")
    to: To
    survey_link: str
    customer_name: str | None = None
    locale: str | None = None


def idempotency_key(invitation_id: str, *, reminder: bool) -> str:
    return f"survey.invited:{invitation_id}:{'reminder' if reminder else 'invitation'}"


def locale_for(value: str | None) -> str:
    """One of the template locales: ``zh-CN`` (any case, ``_`` or ``-``), anything else ``en``."""
    wanted = (value or "").replace("_", "-").lower()
    return next((locale for locale in templates.LOCALES if locale.lower() == wanted), "en")


def one_click_variables(question: OneClickQuestion | None) -> dict[str, Any] | None:
    if question is None:
        return None
    return {
        "question_prompt": question.prompt,
        "min": question.min,
        "max": question.max,
        "low_label": question.low_label or None,
        "high_label": question.high_label or None,
    }


def _problems(exc: ValidationError, prefix: str = "") -> str:
    """Field and message of each error, never the input (it may be the address or the link)."""
    return "; ".join(f"{prefix}{'.'.join(str(part) for part in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())


def delivery_request(invited: SurveyInvited, *, private_key: str) -> DeliveryCreate | None:
    """The delivery an invitation (or its reminder) asks for; ``None`` when notify-svc has nothing
    to send (``delivery == "link"``). Raises :class:`UndeliverableInvitation`."""
    if invited.delivery != "email":
        return None
    invitation_id = invited.invitation_id
    if not invited.sealed_message:
        raise UndeliverableInvitation(invitation_id, "delivery is email but sealed_message is empty")
    try:
        payload = open_sealed(invited.sealed_message, private_key)
    except SealError as exc:
        raise UndeliverableInvitation(invitation_id, f"sealed_message cannot be opened ({exc})") from None
    except ValueError as exc:  # not JSON inside, or a degenerate ephemeral key
        raise UndeliverableInvitation(invitation_id, f"sealed_message cannot be opened ({type(exc).__name__})") from None
    try:
        opened = SealedInvitation.model_validate(payload)
    except ValidationError as exc:
        raise UndeliverableInvitation(invitation_id, f"sealed_message is not an invitation ({_problems(exc)})") from None
    try:
        to = Recipient(email=opened.to.email, name=opened.to.name)
    except ValidationError as exc:
        raise UndeliverableInvitation(invitation_id, f"invalid recipient ({_problems(exc, 'to.')})") from None

    template = REMINDER_TEMPLATE if invited.reminder else INVITATION_TEMPLATE
    variables = {
        "survey_link": opened.survey_link,
        "expires_at": invited.expires_at.isoformat(),
        "customer_name": opened.customer_name or None,
        "one_click": one_click_variables(invited.one_click),
    }
    try:
        templates.validate_variables(template, variables)
    except ValidationError as exc:
        raise UndeliverableInvitation(invitation_id, f"invalid {template} variables ({_problems(exc)})") from None
    try:
        return DeliveryCreate(
            channel="email",
            to=to,
            locale=locale_for(invited.locale),
            template=template,
            variables={name: value for name, value in variables.items() if value is not None},
            idempotency_key=idempotency_key(invitation_id, reminder=invited.reminder),
        )
    except ValidationError as exc:
        raise UndeliverableInvitation(invitation_id, f"invalid delivery ({_problems(exc)})") from None


async def accept_invitation(
    session: AsyncSession, invited: SurveyInvited, *, private_key: str, mail_from: str, now: datetime
) -> Accepted | None:
    """Queue the email of an invitation or its reminder, once per (invitation, kind).

    ``None`` when there is nothing to send: a ``link`` invitation, or one whose link has already
    expired (a topic replayed or a long backlog must not mail customers dead links).
    """
    if invited.delivery != "email":
        return None
    if invited.expires_at <= now:
        log.info("invitation.expired_before_delivery", invitation_id=invited.invitation_id, reminder=invited.reminder)
        return None
    request = delivery_request(invited, private_key=private_key)
    accepted = await service.create_delivery(session, request, mail_from=mail_from)
    log.info(
        "invitation.delivery_queued" if accepted.created else "invitation.delivery_known",
        delivery_id=accepted.delivery.id,
        invitation_id=invited.invitation_id,
        template=request.template,
    )
    return accepted
