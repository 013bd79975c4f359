"""CloudEvents 1.0 envelope (structured JSON mode) and one pydantic model per event type.

Producers build ``CloudEvent`` from a typed payload with :func:`make_event`; consumers parse the
envelope with :meth:`CloudEvent.from_bytes` and the payload with :func:`parse_data`. Payload
models ignore unknown fields so older consumers keep working when producers add fields.

The models live in one module per domain (``envelope``, ``tickets``, ``surveys``, ``feedback``,
``audits``, ``sla``, ``kpi``, ``notifications``); this package exports them all, so ``from
csq_common.events import TicketClosed`` works as it always did.
"""

from __future__ import annotations

from csq_common.events.envelope import (  # noqa: F401 (re-exported)
    SPEC_VERSION,
    EventData,
    CloudEvent,
    EncodedEvent,
    make_event,
    Id,
)
from csq_common.events.tickets import (  # noqa: F401 (re-exported)
    Customer,
    SEALED_CONTACT_MAX_LENGTH,
    TicketCustomer,
    SealedContact,
    sealed_contact,
    TicketFields,
    TicketSnapshot,
    TicketEvent,
    TicketCreated,
    TicketAssigned,
    TicketFirstResponded,
    TicketResolved,
    TicketClosed,
    TicketReopened,
    TICKET_SNAPSHOT_EVENTS,
    MESSAGE_TEXT_MAX_BYTES,
    LANGUAGE_TAG_PATTERN,
    LanguageTag,
    MessageAuthorRole,
    TicketMessageAdded,
    TICKET_EVENTS,
    CallCompleted,
    CALL_EVENTS,
)
from csq_common.events.notifications import (  # noqa: F401 (re-exported)
    DeliveryOutcome,
    NotificationDelivered,
    NotificationFailed,
    NOTIFICATION_EVENTS,
)
from csq_common.events.surveys import (  # noqa: F401 (re-exported)
    DIMENSION_PATTERN,
    Dimension,
    ANSWER_SCALES,
    SurveyAttribution,
    OneClickQuestion,
    SurveyInvited,
    NumericAnswer,
    SurveyAnswered,
    SurveyExpired,
    SURVEY_EVENTS,
)
from csq_common.events.feedback import (  # noqa: F401 (re-exported)
    CustomerErased,
    FeedbackKind,
    FeedbackChannel,
    FeedbackPriority,
    FeedbackEvent,
    FeedbackReceived,
    FeedbackTriaged,
    FeedbackResolved,
    FeedbackReplied,
    FeedbackReclassified,
    FEEDBACK_EVENTS,
)
from csq_common.events.audits import (  # noqa: F401 (re-exported)
    AuditEvent,
    FindingRaised,
    ActionOverdue,
    AuditMethod,
    CategoryScore,
    AuditCompleted,
    AUTOQA_CHECK_PATTERN,
    AUTOQA_CHECK_MAX,
    AutoQaCheck,
    AuditAutoScored,
    AUDIT_EVENTS,
)
from csq_common.events.sla import (  # noqa: F401 (re-exported)
    SlaMetric,
    SlaEvent,
    SlaWarning,
    SlaBreached,
    SLA_EVENTS,
)
from csq_common.events.kpi import (  # noqa: F401 (re-exported)
    TargetDirection,
    TargetWindow,
    KpiTargetEvent,
    KpiTargetBreached,
    KpiTargetRecovered,
    KPI_TARGET_EVENTS,
)

EVENT_TYPES: dict[str, type[EventData]] = {
    **TICKET_EVENTS, **CALL_EVENTS, **SURVEY_EVENTS, **NOTIFICATION_EVENTS, **AUDIT_EVENTS, **FEEDBACK_EVENTS,
    **SLA_EVENTS, **KPI_TARGET_EVENTS, CustomerErased.event_type: CustomerErased,
}


class UnknownEventType(ValueError):
    pass


def parse_data(event: CloudEvent) -> EventData:
    """The typed payload of ``event``; raises ValidationError / UnknownEventType for poison."""
    model = EVENT_TYPES.get(event.type)
    if model is None:
        raise UnknownEventType(f"no model for event type {event.type!r}")
    return model.model_validate(event.data)
