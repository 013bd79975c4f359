"""The customer's voice and erasure (feedback-svc → csq.feedback)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from csq_common.events.envelope import EventData, Id


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


class FeedbackReclassified(FeedbackEvent):
    """A reviewer changed a feedback item's kind or category (``previous_*`` are what it had; a
    new kind also rates severity and priority again). It carries what the item was counted under
    at ``feedback.received`` (``received_at``, channel, source, team, agent) and ``resolved_at``
    when it is resolved, so a
    consumer that counted the item moves it from the previous kind and category to the new ones
    in the same buckets (complaints, praise rate, complaint resolution time). Later events of the
    item carry the new values; a correction that changes neither publishes nothing."""

    event_type: ClassVar[str] = "feedback.reclassified"
    feedback_id: Id
    kind: FeedbackKind
    category: str
    previous_kind: FeedbackKind
    previous_category: str
    channel: FeedbackChannel
    source: str
    severity: int = Field(ge=1, le=4)
    priority: FeedbackPriority
    previous_severity: int = Field(ge=1, le=4)
    previous_priority: FeedbackPriority
    received_at: AwareDatetime
    resolved_at: AwareDatetime | None = None
    team_id: str | None = None
    agent_id: str | None = None
    reviewer_id: str
    corrected_at: AwareDatetime


FEEDBACK_EVENTS: dict[str, type[FeedbackEvent]] = {
    cls.event_type: cls for cls in (FeedbackReceived, FeedbackTriaged, FeedbackReplied, FeedbackResolved, FeedbackReclassified)
}
