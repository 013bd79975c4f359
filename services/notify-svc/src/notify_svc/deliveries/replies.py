"""Replies to feedback items: feedback-svc's ``feedback.replied`` events turned into one email each.

``sealed_message`` is the customer's :class:`~csq_common.events.SealedContact` and
``sealed_content`` ``{"reply_text", "confirm_link"}``, both sealed for notify-svc and opened only
here, as for survey invitations (:mod:`notify_svc.deliveries.invitations`). Both null means
feedback-svc knows no email address: the reply went another way and the event is skipped (logged,
not an error). The delivery goes through the same :func:`service.create_delivery` as the HTTP API;
its idempotency key names the item and the moment of the reply, so a redelivered event (or the
same reply published again under a new event id) queues nothing new, while a later reply to the
same item (after it was reopened) is a new email. Errors name the item and the field, never the
address, the text or the link.
"""

from __future__ import annotations

from datetime import datetime, timezone

import structlog
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import FeedbackReplied, SealedContact
from csq_common.sealing import SealError, open_sealed
from notify_svc.deliveries import service, templates
from notify_svc.deliveries.invitations import locale_for
from notify_svc.deliveries.schemas import DeliveryCreate, Recipient
from notify_svc.deliveries.service import Accepted

log = structlog.get_logger(__name__)
#: Replies with nothing to send, by reason (no email address known, or the link expired first).
SKIPPED = Counter("csq_notify_feedback_replies_skipped_total", "feedback.replied events that sent no email, by reason", ["reason"])

REPLY_TEMPLATE = "feedback.reply"


class UndeliverableReply(ValueError):
    """A ``feedback.replied`` event that can never become an email (a poison event): raised so the
    consumer runner dead-letters it. The message never holds the recipient, the text or the link."""

    def __init__(self, feedback_id: str, problem: str) -> None:
        super().__init__(f"feedback.replied for feedback {feedback_id!r} cannot be delivered: {problem}")
        self.feedback_id = feedback_id


class SealedReply(BaseModel):
    """What feedback-svc seals in ``sealed_content``: the reply and the one-time confirmation link."""

    model_config = ConfigDict(extra="ignore")
    reply_text: str
    confirm_link: str


def idempotency_key(replied: FeedbackReplied) -> str:
    """One email per reply: the item and the reply's time (UTC, microseconds), stable across redelivery."""
    return f"feedback.replied:{replied.feedback_id}:{replied.replied_at.astimezone(timezone.utc):%Y%m%dT%H%M%S.%fZ}"


def _problems(exc: ValidationError, prefix: str = "") -> str:
    """Field and message of each error, never the input."""
    return "; ".join(f"{prefix}{'.'.join(str(part) for part in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())


def _open(replied: FeedbackReplied, field: str, model: type[BaseModel], private_key: str):
    sealed = getattr(replied, field)
    if not sealed:
        raise UndeliverableReply(replied.feedback_id, f"{field} is empty while the other seal is set")
    try:
        payload = open_sealed(sealed, private_key)
    except SealError as exc:
        raise UndeliverableReply(replied.feedback_id, f"{field} cannot be opened ({exc})") from None
    except ValueError as exc:  # not JSON inside, or a degenerate ephemeral key
        raise UndeliverableReply(replied.feedback_id, f"{field} cannot be opened ({type(exc).__name__})") from None
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        what = "a recipient" if model is SealedContact else "a reply with its link"
        raise UndeliverableReply(replied.feedback_id, f"{field} is not {what} ({_problems(exc)})") from None


def reply_request(replied: FeedbackReplied, *, private_key: str) -> tuple[DeliveryCreate, str | None] | None:
    """The delivery a reply asks for and the customer id the sealed contact names; ``None`` when
    both seals are null (no address known). Pure. Raises :class:`UndeliverableReply`."""
    if replied.sealed_message is None and replied.sealed_content is None:
        return None
    contact = _open(replied, "sealed_message", SealedContact, private_key)
    content = _open(replied, "sealed_content", SealedReply, private_key)
    try:
        recipient = Recipient(email=contact.to.email, name=contact.to.name)
    except ValidationError as exc:
        raise UndeliverableReply(replied.feedback_id, f"invalid recipient ({_problems(exc, 'to.')})") from None
    variables = {
        "customer_name": contact.customer_name or None,
        "reply_text": content.reply_text,
        "confirm_link": content.confirm_link,
        "expires_at": replied.expires_at.isoformat(),
    }
    variables = {name: value for name, value in variables.items() if value is not None}
    try:
        templates.validate_variables(REPLY_TEMPLATE, variables)
    except ValidationError as exc:
        raise UndeliverableReply(replied.feedback_id, f"invalid {REPLY_TEMPLATE} variables ({_problems(exc)})") from None
    try:
        request = DeliveryCreate(
            channel="email",
            to=recipient,
            locale=locale_for(replied.locale),
            template=REPLY_TEMPLATE,
            variables=variables,
            idempotency_key=idempotency_key(replied),
        )
    except ValidationError as exc:
        raise UndeliverableReply(replied.feedback_id, f"invalid delivery ({_problems(exc)})") from None
    return request, contact.customer_id


async def accept_reply(
    session: AsyncSession, replied: FeedbackReplied, *, private_key: str, mail_from: str, now: datetime
) -> Accepted | None:
    """Queue the reply's email once. ``None`` when there is nothing to send: no address known, or
    the confirmation link expired before the event was consumed (a replayed topic or a long backlog
    must not mail customers dead links)."""
    if replied.expires_at <= now:
        SKIPPED.labels("link_expired").inc()
        log.info("feedback_reply.skipped", feedback_id=replied.feedback_id, reason="link_expired")
        return None
    asked = reply_request(replied, private_key=private_key)
    if asked is None:
        SKIPPED.labels("no_address").inc()
        log.info("feedback_reply.skipped", feedback_id=replied.feedback_id, reason="no_address")
        return None
    request, customer_id = asked
    accepted = await service.create_delivery(session, request, mail_from=mail_from, customer_id=customer_id)
    log.info(
        "feedback_reply.delivery_queued" if accepted.created else "feedback_reply.delivery_known",
        delivery_id=accepted.delivery.id,
        feedback_id=replied.feedback_id,
    )
    return accepted
