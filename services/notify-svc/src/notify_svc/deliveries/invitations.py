"""Survey invitations: survey-svc's ``survey.invited`` events turned into email deliveries.

For ``delivery == "email"`` the first event (``reminder`` false) carries the recipient in
``sealed_message`` (the :class:`~csq_common.events.SealedContact` feedback-svc sealed into the
ticket event) and the one-time survey link in ``sealed_link``, both sealed for notify-svc
(:mod:`csq_common.sealing`) and opened only here; survey-svc keeps neither (only the token's
hash). The reminder carries neither: it goes to the recipient, with the link, of the invitation
delivery already made, looked up by its idempotency key. The delivery rows keep them (they are
what is sent), but no log line or error message carries them: errors name the invitation and the
field, never the value.

:func:`delivery_request` is the first invitation's mapping (pure), :func:`reminder_request` the
reminder's (it reads the invitation delivery); :func:`accept_invitation` queues either through the
same :func:`service.create_delivery` the HTTP API uses, so the idempotency key makes a redelivered
or duplicated event (even under a new event id) a no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import OneClickQuestion, SealedContact, SurveyInvited
from csq_common.sealing import SealError, open_sealed
from notify_svc.deliveries import service, templates
from notify_svc.deliveries.models import Delivery
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


class SealedLink(BaseModel):
    """The one-time survey link survey-svc seals in ``sealed_link`` when the invitation is sent."""

    model_config = ConfigDict(extra="ignore")
    survey_link: str


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


def _open(invited: SurveyInvited, field: str, model: type[BaseModel], private_key: str):
    """Open and validate one sealed field; errors name the field, never its content."""
    invitation_id = invited.invitation_id
    sealed = getattr(invited, field)
    if not sealed:
        raise UndeliverableInvitation(invitation_id, f"delivery is email but {field} is empty")
    try:
        payload = open_sealed(sealed, private_key)
    except SealError as exc:
        raise UndeliverableInvitation(invitation_id, f"{field} cannot be opened ({exc})") from None
    except ValueError as exc:  # not JSON inside, or a degenerate ephemeral key
        raise UndeliverableInvitation(invitation_id, f"{field} cannot be opened ({type(exc).__name__})") from None
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        what = "a recipient" if model is SealedContact else "a survey link"
        raise UndeliverableInvitation(invitation_id, f"{field} is not {what} ({_problems(exc)})") from None


def _request(invitation_id: str, *, reminder: bool, to: dict, locale: str, variables: dict[str, Any]) -> DeliveryCreate:
    template = REMINDER_TEMPLATE if reminder else INVITATION_TEMPLATE
    try:
        recipient = Recipient(**to)
    except ValidationError as exc:
        raise UndeliverableInvitation(invitation_id, f"invalid recipient ({_problems(exc, 'to.')})") from None
    try:
        templates.validate_variables(template, variables)
    except ValidationError as exc:
        raise UndeliverableInvitation(invitation_id, f"invalid {template} variables ({_problems(exc)})") from None
    try:
        return DeliveryCreate(
            channel="email",
            to=recipient,
            locale=locale,
            template=template,
            variables={name: value for name, value in variables.items() if value is not None},
            idempotency_key=idempotency_key(invitation_id, reminder=reminder),
        )
    except ValidationError as exc:
        raise UndeliverableInvitation(invitation_id, f"invalid delivery ({_problems(exc)})") from None


def delivery_request(invited: SurveyInvited, *, private_key: str) -> DeliveryCreate | None:
    """The first invitation email's delivery (see :func:`invitation_request`), without the customer."""
    request = invitation_request(invited, private_key=private_key)
    return request and request[0]


def invitation_request(invited: SurveyInvited, *, private_key: str) -> tuple[DeliveryCreate, str | None] | None:
    """The delivery the first invitation email (``reminder`` false) asks for, and the customer id
    the sealed contact names; ``None`` when notify-svc has nothing to send (``delivery == "link"``).
    Reminders: :func:`reminder_request`. Raises :class:`UndeliverableInvitation`."""
    if invited.delivery != "email":
        return None
    if invited.reminder:
        raise ValueError("a reminder is mapped by reminder_request (it needs the invitation delivery)")
    recipient = _open(invited, "sealed_message", SealedContact, private_key)
    link = _open(invited, "sealed_link", SealedLink, private_key)
    variables = {
        "survey_link": link.survey_link,
        "expires_at": invited.expires_at.isoformat(),
        "customer_name": recipient.customer_name or None,
        "one_click": one_click_variables(invited.one_click),
    }
    request = _request(
        invited.invitation_id,
        reminder=False,
        to={"email": recipient.to.email, "name": recipient.to.name},
        locale=locale_for(invited.locale),
        variables=variables,
    )
    return request, recipient.customer_id


REMINDED_VARIABLES = ("survey_link", "expires_at", "customer_name", "one_click")


async def reminder_request(session: AsyncSession, invited: SurveyInvited) -> tuple[DeliveryCreate, str | None] | None:
    """The reminder delivery of an email invitation (``reminder`` true): the recipient, locale and
    variables of the invitation delivery, template ``survey_reminder``, and its customer id;
    ``None`` for link delivery, or when the invitation delivery's content is gone (the customer
    was erased, or retention cleared it): there is no one left to remind.
    Raises :class:`UndeliverableInvitation` when there is no invitation delivery to remind of."""
    if invited.delivery != "email":
        return None
    original = await session.scalar(select(Delivery).where(Delivery.idempotency_key == idempotency_key(invited.invitation_id, reminder=False)))
    if original is None:
        raise UndeliverableInvitation(invited.invitation_id, "reminder but there is no invitation delivery to remind of")
    if original.recipient_email is None:
        log.info("invitation.reminder_without_content", invitation_id=invited.invitation_id)
        return None
    stored = original.variables or {}
    request = _request(
        invited.invitation_id,
        reminder=True,
        to={"email": original.recipient_email, "name": original.recipient_name},
        locale=original.locale,
        variables={name: stored.get(name) for name in REMINDED_VARIABLES},
    )
    return request, original.customer_id


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
    if invited.reminder:
        asked = await reminder_request(session, invited)
    else:
        asked = invitation_request(invited, private_key=private_key)
    if asked is None:
        return None
    request, customer_id = asked
    accepted = await service.create_delivery(session, request, mail_from=mail_from, customer_id=customer_id)
    log.info(
        "invitation.delivery_queued" if accepted.created else "invitation.delivery_known",
        delivery_id=accepted.delivery.id,
        invitation_id=invited.invitation_id,
        template=request.template,
    )
    return accepted
