"""CloudEvents 1.0 envelope (structured JSON mode) and one pydantic model per event type.

Producers build ``CloudEvent`` from a typed payload with :func:`make_event`; consumers parse the
envelope with :meth:`CloudEvent.from_bytes` and the payload with :func:`parse_data`. Payload
models ignore unknown fields so older consumers keep working when producers add fields.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any, ClassVar, Literal

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from csq_common.sealing import Sealer

SPEC_VERSION = "1.0"


class EventData(BaseModel):
    """Base of every event payload: versioned, tolerant of unknown fields."""

    model_config = ConfigDict(extra="ignore")
    event_type: ClassVar[str]
    domain: ClassVar[str]  # topic suffix: tickets, calls, feedback, surveys, audits, kpi, notify
    schema_version: int = 1


class CloudEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = SPEC_VERSION
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    time: AwareDatetime
    subject: str | None = None
    datacontenttype: str = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(timezone.utc)

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True))

    @classmethod
    def from_bytes(cls, raw: bytes) -> "CloudEvent":
        return cls.model_validate_json(raw)


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    """A CloudEvent already encoded (``payload`` is what ``CloudEvent.to_bytes`` would give), for
    producers that build many events from already-valid values; the outbox takes either."""

    id: str
    payload: bytes

    def to_bytes(self) -> bytes:
        return self.payload


def make_event(
    data: EventData, *, source: str, subject: str, time: datetime, event_id: str | None = None
) -> CloudEvent:
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=data.event_type,
        time=time,
        subject=subject,
        data=data.model_dump(mode="json"),
    )


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

# ---- notifications (notify-svc → csq.notify) -------------------------------------------------


class DeliveryOutcome(EventData):
    domain: ClassVar[str] = "notify"
    delivery_id: str
    idempotency_key: str
    template: str
    channel: str
    attempts: int
    error: str | None = None
    occurred_at: AwareDatetime


class NotificationDelivered(DeliveryOutcome):
    event_type: ClassVar[str] = "notification.delivered"


class NotificationFailed(DeliveryOutcome):
    event_type: ClassVar[str] = "notification.failed"


NOTIFICATION_EVENTS: dict[str, type[DeliveryOutcome]] = {cls.event_type: cls for cls in (NotificationDelivered, NotificationFailed)}

# ---- surveys (survey-svc → csq.surveys, keyed by invitation id) -----------------------------


#: A question's dimension: attitude, response_speed, problem_solving, professionalism, overall or
#: a custom lowercase slug (survey-svc's definitions and kpi-svc's filter use the same rule).
DIMENSION_PATTERN = r"^[a-z][a-z0-9_-]*$"
Dimension = Annotated[str, StringConstraints(pattern=DIMENSION_PATTERN, max_length=50)]
#: The fixed scales of the standard question types (docs/architecture.md "KPI definitions").
ANSWER_SCALES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
Id = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class SurveyAttribution(EventData):
    """Fixed when the invitation is created: the ticket's team, agent and channel at close travel
    with the invitation, its answer and its expiry, so a later reassignment moves no credit."""

    domain: ClassVar[str] = "surveys"
    invitation_id: Id | None = None
    survey_id: Id
    survey_version: int = Field(ge=1)
    campaign_id: Id | None = None
    ticket_id: Id | None = None
    team_id: Id | None = None
    agent_id: Id | None = None
    channel: str | None = Field(None, max_length=50)  # the ticket's channel (email, chat, phone, …)
    anonymous: bool = False


class OneClickQuestion(BaseModel):
    """The first CSAT/NPS/CES question, rendered as a row of links in the invitation email."""

    model_config = ConfigDict(extra="ignore")
    question_id: str
    prompt: str
    min: int
    max: int
    low_label: str | None = None
    high_label: str | None = None


class SurveyInvited(SurveyAttribution):
    """An invitation went out (``reminder`` false) or its single reminder did (``reminder`` true).

    For ``delivery == "email"`` the recipient and the survey link travel only sealed for
    notify-svc (see :mod:`csq_common.sealing`): ``sealed_message`` holds the recipient
    (a :class:`SealedContact`, sealed by feedback-svc into the ``ticket.closed`` event, or by
    survey-svc for an explicit recipient, and kept opaque by survey-svc) and ``sealed_link`` the
    survey link (``{"survey_link"}``, sealed when the invitation is sent, the only moment its
    one-time token exists: survey-svc stores only the token's hash). The event log and survey-svc's
    tables never hold either readable. A reminder (``reminder`` true) carries neither: notify-svc
    reuses the recipient and link of the invitation email it already delivered."""

    event_type: ClassVar[str] = "survey.invited"
    invitation_id: str
    delivery: Literal["email", "link"]
    locale: str = Field(max_length=35)
    invited_at: AwareDatetime
    expires_at: AwareDatetime
    reminder: bool = False
    sealed_message: str | None = None
    sealed_link: str | None = None
    one_click: OneClickQuestion | None = None


class NumericAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    question_id: Id
    type: Literal["csat", "nps", "ces", "rating"]
    dimension: Dimension
    value: int
    scale_max: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _on_its_scale(self):
        low, high = ANSWER_SCALES.get(self.type, (1, self.scale_max))
        if not low <= self.value <= high:
            raise ValueError(f"value {self.value} is outside the {self.type} scale {low}-{high}")
        return self


class SurveyAnswered(SurveyAttribution):
    event_type: ClassVar[str] = "survey.answered"
    response_id: str
    invited_at: AwareDatetime | None = None  # survey_response_pct is attributed to it
    answered_at: AwareDatetime
    response_channel: Literal["web", "api", "phone"]
    customer_id: str | None = None  # always None for anonymous campaigns
    answers: list[NumericAnswer] = Field(default_factory=list)


class SurveyExpired(SurveyAttribution):
    event_type: ClassVar[str] = "survey.expired"
    invitation_id: str
    invited_at: AwareDatetime
    expired_at: AwareDatetime


SURVEY_EVENTS: dict[str, type[SurveyAttribution]] = {
    cls.event_type: cls for cls in (SurveyInvited, SurveyAnswered, SurveyExpired)
}

# ---- customers (feedback-svc → csq.feedback, keyed by customer id) --------------------------


class CustomerErased(EventData):
    """A customer's identity was erased at feedback-svc (docs/architecture.md, "Privacy"):
    every service that holds data of ``customer_id`` removes or anonymises it; KPIs stay."""

    event_type: ClassVar[str] = "customer.erased"
    domain: ClassVar[str] = "feedback"
    customer_id: Id
    requested_at: AwareDatetime


# ---- feedback items (feedback-svc → csq.feedback, keyed by feedback id) ----------------------

FeedbackKind = Literal["complaint", "suggestion", "praise", "enquiry"]
FeedbackChannel = Literal["hotline", "chat", "email", "social", "ecommerce_review", "web", "app", "in_person"]
FeedbackPriority = Literal["low", "normal", "high", "urgent"]


class FeedbackEvent(EventData):
    domain: ClassVar[str] = "feedback"


class FeedbackReceived(FeedbackEvent):
    """A complaint, suggestion, praise or enquiry arrived, classified and rated; the customer is
    not in it (feedback-svc keeps their identity)."""

    event_type: ClassVar[str] = "feedback.received"
    feedback_id: Id
    kind: FeedbackKind
    channel: FeedbackChannel
    source: str
    category: str
    severity: int = Field(ge=1, le=4)  # 1 low … 4 critical
    priority: FeedbackPriority
    received_at: AwareDatetime
    team_id: str | None = None
    agent_id: str | None = None
    ticket_id: str | None = None
    rating: int | None = Field(None, ge=1, le=5)
    sentiment: float | None = Field(None, ge=-1, le=1)
    language: str


class FeedbackTriaged(FeedbackEvent):
    """A feedback item got its team, owner and response due time."""

    event_type: ClassVar[str] = "feedback.triaged"
    feedback_id: Id
    kind: FeedbackKind
    category: str
    severity: int = Field(ge=1, le=4)
    priority: FeedbackPriority
    team_id: str | None = None
    assignee_id: str | None = None
    triaged_at: AwareDatetime
    due_at: AwareDatetime | None = None


class FeedbackResolved(FeedbackEvent):
    """A feedback item was resolved by staff (``customer_confirmed`` null), then the customer
    answered the confirmation link: true (confirmed) or false (not resolved: the item reopens and
    a later resolution publishes this event again). Consumers keep the latest per feedback id."""

    event_type: ClassVar[str] = "feedback.resolved"
    feedback_id: Id
    kind: FeedbackKind
    category: str
    severity: int = Field(ge=1, le=4)
    team_id: str | None = None
    agent_id: str | None = None
    received_at: AwareDatetime
    resolved_at: AwareDatetime
    customer_confirmed: bool | None = None


class FeedbackReplied(FeedbackEvent):
    """Staff answered a feedback item: notify-svc emails the customer from its ``feedback.reply``
    template in ``locale``. ``sealed_message`` is the customer's :class:`SealedContact` and
    ``sealed_content`` ``{"reply_text", "confirm_link"}`` (the one-time link where the customer
    confirms the resolution or says it is not resolved), both sealed for notify-svc; both are
    null when feedback-svc has no email address for the customer (the reply went another way)."""

    event_type: ClassVar[str] = "feedback.replied"
    feedback_id: Id
    kind: FeedbackKind
    category: str
    team_id: str | None = None
    agent_id: str | None = None
    locale: str = Field(max_length=35)
    replied_at: AwareDatetime
    expires_at: AwareDatetime
    sealed_message: str | None = None
    sealed_content: str | None = None


FEEDBACK_EVENTS: dict[str, type[FeedbackEvent]] = {
    cls.event_type: cls for cls in (FeedbackReceived, FeedbackTriaged, FeedbackReplied, FeedbackResolved)
}


# ---- audits (audit-svc → csq.audits) ----------------------------------------------------------


class AuditEvent(EventData):
    domain: ClassVar[str] = "audits"


class FindingRaised(AuditEvent):
    """A quality finding was raised (keyed by finding id): who and what it concerns, who owns it."""

    event_type: ClassVar[str] = "audit.finding_raised"
    finding_id: str
    review_id: str | None = None
    severity: int = Field(ge=1, le=4)  # 1 low … 4 critical
    category: str
    agent_id: str | None = None
    team_id: str | None = None
    owner_id: str
    due_at: AwareDatetime | None = None
    raised_at: AwareDatetime


class ActionOverdue(AuditEvent):
    """A corrective action passed its due date unfinished (keyed by action id); once per action
    and due date."""

    event_type: ClassVar[str] = "audit.action_overdue"
    action_id: str
    finding_id: str
    owner_id: str
    due_at: AwareDatetime
    team_id: str | None = None


AuditMethod = Literal["internal", "external", "third_party", "mystery_shopper", "on_site", "peer", "calibration"]


class CategoryScore(BaseModel):
    model_config = ConfigDict(extra="ignore")
    category_id: str
    score: float | None  # 0-100; None when the category was answered N/A


class AuditCompleted(AuditEvent):
    """A review was submitted (``version`` 1) or re-scored after a dispute (``version`` n+1, same
    ``review_id``): consumers keep the highest version of a review and replace, never add."""

    event_type: ClassVar[str] = "audit.completed"
    review_id: Id
    version: int = Field(ge=1)
    plan_id: str | None = None
    method: AuditMethod
    ticket_id: str | None = None
    agent_id: Id
    team_id: str | None = None
    channel: str | None = None
    scorecard_id: Id
    scorecard_version: int = Field(ge=1)
    score: float | None  # 0-100+ with bonus; None if no standard category was answered
    failed_critical: bool
    reviewer_id: Id
    reviewed_at: AwareDatetime
    categories: list[CategoryScore] = Field(default_factory=list)
    counts_for_agent: bool


# ---- SLA timers (kpi-svc → csq.kpi, keyed by ticket id) ---------------------------------------

SlaMetric = Literal["first_response", "next_response", "resolution"]


class SlaEvent(EventData):
    """An SLA target of a ticket about to fall due (``sla.warning``) or fallen due (``sla.breached``):
    once per ticket, metric and ``due_at``; ``at`` is when the warning or breach happened."""

    domain: ClassVar[str] = "kpi"
    ticket_id: str
    policy_id: str
    metric: SlaMetric
    priority: str | None = None
    team_id: str | None = None
    agent_id: str | None = None
    due_at: AwareDatetime
    at: AwareDatetime
    business_hours: bool


class SlaWarning(SlaEvent):
    event_type: ClassVar[str] = "sla.warning"


class SlaBreached(SlaEvent):
    event_type: ClassVar[str] = "sla.breached"


SLA_EVENTS: dict[str, type[SlaEvent]] = {cls.event_type: cls for cls in (SlaWarning, SlaBreached)}


AUDIT_EVENTS: dict[str, type[AuditEvent]] = {
    cls.event_type: cls for cls in (AuditCompleted, FindingRaised, ActionOverdue)
}

EVENT_TYPES: dict[str, type[EventData]] = {
    **TICKET_EVENTS, **CALL_EVENTS, **SURVEY_EVENTS, **NOTIFICATION_EVENTS, **AUDIT_EVENTS, **FEEDBACK_EVENTS,
    **SLA_EVENTS, CustomerErased.event_type: CustomerErased,
}


class UnknownEventType(ValueError):
    pass


def parse_data(event: CloudEvent) -> EventData:
    """The typed payload of ``event``; raises ValidationError / UnknownEventType for poison."""
    model = EVENT_TYPES.get(event.type)
    if model is None:
        raise UnknownEventType(f"no model for event type {event.type!r}")
    return model.model_validate(event.data)
