"""Ticket events (feedback-svc → csq.tickets, keyed by ticket id) and call records (→ csq.calls,
keyed by call id)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from csq_common.events.envelope import EventData
from csq_common.sealing import Sealer


# ---- tickets (feedback-svc → csq.tickets) -------------------------------------------------


class Customer(BaseModel):
    """A customer as a CRM or a client reports them (webhook and recipient input). Never put in an
    event: ticket events carry :class:`TicketCustomer`, whose contact travels sealed."""

    model_config = ConfigDict(extra="ignore")
    id: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    name: str | None = Field(None, max_length=200)
    locale: str | None = Field(None, max_length=35)


#: Upper bound of a sealed contact: a sealed email and name (a few hundred bytes) with room to spare.
SEALED_CONTACT_MAX_LENGTH = 4096


class TicketCustomer(BaseModel):
    """The customer as ticket events carry them: the CRM's id and the locale, nothing readable that
    identifies them. ``sealed_contact`` (on ``ticket.closed`` when an email is known) holds
    :class:`SealedContact` sealed for notify-svc (csq_common.sealing): survey-svc passes it on
    without being able to read it."""

    model_config = ConfigDict(extra="ignore")
    id: str | None = Field(None, max_length=200)
    locale: str | None = Field(None, max_length=35)
    sealed_contact: str | None = Field(None, max_length=SEALED_CONTACT_MAX_LENGTH)


class SealedContact(BaseModel):
    """What a sealed contact holds once opened (by notify-svc only): whom to write to and how to
    greet them, and the CRM's customer id so that an erasure finds what was sent to them."""

    class To(BaseModel):
        model_config = ConfigDict(extra="ignore")
        email: str
        name: str | None = None

    model_config = ConfigDict(extra="ignore")
    to: To
    customer_name: str | None = None
    customer_id: str | None = None
    locale: str | None = None


def sealed_contact(customer: Customer | None, sealer: Sealer | str) -> str | None:
    """``customer``'s contact sealed for notify-svc (``sealer``, or its public key); None when
    there is no address to write to."""
    if customer is None or not customer.email:
        return None
    if isinstance(sealer, str):
        sealer = Sealer(sealer)
    contact = SealedContact(
        to=SealedContact.To(email=customer.email, name=customer.name),
        customer_name=customer.name, customer_id=customer.id, locale=customer.locale,
    )
    return sealer.seal(contact.model_dump(mode="json"))


class TicketFields(BaseModel):
    """A ticket's fields as the CRM reported them with an event, except the customer."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=200)
    agent_id: str | None = Field(None, max_length=200)
    team_id: str | None = Field(None, max_length=200)
    channel: str | None = Field(None, max_length=50)
    priority: str | None = Field(None, max_length=50)
    subject: str | None = Field(None, max_length=1000)
    status: str | None = Field(None, max_length=50)
    created_at: AwareDatetime
    first_response_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    handle_seconds: float | None = Field(None, ge=0)
    reopen_count: int = Field(0, ge=0)
    contact_count: int = Field(1, ge=0)
    tags: list[str] = Field(default_factory=list)


class TicketSnapshot(TicketFields):
    """The ticket as a ticket event carries it: the CRM's snapshot with the customer reduced to
    :class:`TicketCustomer` (id, locale, sealed contact)."""

    customer: TicketCustomer | None = None


class TicketEvent(EventData):
    domain: ClassVar[str] = "tickets"
    ticket: TicketSnapshot
    occurred_at: AwareDatetime
    crm_event_id: str | None = None


class TicketCreated(TicketEvent):
    event_type: ClassVar[str] = "ticket.created"


class TicketAssigned(TicketEvent):
    event_type: ClassVar[str] = "ticket.assigned"


class TicketFirstResponded(TicketEvent):
    event_type: ClassVar[str] = "ticket.first_responded"


class TicketResolved(TicketEvent):
    event_type: ClassVar[str] = "ticket.resolved"


class TicketClosed(TicketEvent):
    event_type: ClassVar[str] = "ticket.closed"


class TicketReopened(TicketEvent):
    event_type: ClassVar[str] = "ticket.reopened"


#: The ticket events that carry the ticket's snapshot (``TicketEvent``'s payload).
TICKET_SNAPSHOT_EVENTS: dict[str, type[TicketEvent]] = {
    cls.event_type: cls
    for cls in (TicketCreated, TicketAssigned, TicketFirstResponded, TicketResolved, TicketClosed, TicketReopened)
}

#: A message's text is at most this many bytes of UTF-8 (DESIGN.md "Event payloads").
MESSAGE_TEXT_MAX_BYTES = 64 * 1024
#: BCP 47 language tags as CRMs send them (``zh-CN``, ``en``, ``zh-Hant-TW``), loosely.
LANGUAGE_TAG_PATTERN = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"
LanguageTag = Annotated[str, StringConstraints(max_length=35, pattern=LANGUAGE_TAG_PATTERN)]
MessageAuthorRole = Literal["customer", "agent", "bot", "system"]


class TicketMessageAdded(EventData):
    """A message was added to a ticket's conversation (keyed by ticket id on csq.tickets): public
    replies and private notes alike (``public``), from the customer, an agent, a bot or the
    system. ``channel`` is the ticket's; ``text`` is plain text (blanked after an erasure)."""

    event_type: ClassVar[str] = "ticket.message_added"
    domain: ClassVar[str] = "tickets"
    ticket_id: str = Field(min_length=1, max_length=200)
    message_id: str = Field(min_length=1, max_length=200)
    author_role: MessageAuthorRole
    author_id: str | None = Field(None, max_length=200)
    public: bool
    sent_at: AwareDatetime
    channel: str | None = Field(None, max_length=50)
    text: str = Field(max_length=MESSAGE_TEXT_MAX_BYTES)
    language: LanguageTag | None = None


#: Every event type on csq.tickets. Consumers that read the snapshot use TICKET_SNAPSHOT_EVENTS.
TICKET_EVENTS: dict[str, type[EventData]] = {**TICKET_SNAPSHOT_EVENTS, TicketMessageAdded.event_type: TicketMessageAdded}

# ---- calls (feedback-svc → csq.calls, keyed by call id) --------------------------------------


class CallCompleted(EventData):
    """A call-centre call ended (one call detail record per call). ``answered_at`` null means the
    caller abandoned; ``agent_id`` is null when no agent answered."""

    event_type: ClassVar[str] = "call.completed"
    domain: ClassVar[str] = "calls"
    call_id: str = Field(min_length=1, max_length=200)
    direction: Literal["inbound", "outbound"]
    queue: str = Field(min_length=1, max_length=200)
    team_id: str | None = Field(None, max_length=200)
    agent_id: str | None = Field(None, max_length=200)
    offered_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime
    wait_seconds: float = Field(ge=0)
    talk_seconds: float = Field(ge=0)
    hold_seconds: float = Field(ge=0)
    ticket_id: str | None = Field(None, max_length=200)
    customer_id: str | None = Field(None, max_length=200)


CALL_EVENTS: dict[str, type[CallCompleted]] = {CallCompleted.event_type: CallCompleted}
