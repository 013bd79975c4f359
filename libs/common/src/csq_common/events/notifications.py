"""Delivery outcomes (notify-svc → csq.notify)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime

from csq_common.events.envelope import EventData


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
