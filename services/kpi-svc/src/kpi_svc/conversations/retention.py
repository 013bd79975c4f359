"""Retention of the conversation tables, which grow with the tickets (see conversations.models)."""

from __future__ import annotations

from datetime import timedelta

from csq_common.retention import RetentionRule
from kpi_svc.conversations.models import CustomerTicket, NextResponseState


def conversation_rules(next_response_days: float, repeat_contact_days: float) -> list[RetentionRule]:
    return [
        RetentionRule(NextResponseState.__table__, "updated_at", timedelta(days=next_response_days), name="next_response_state"),
        RetentionRule(CustomerTicket.__table__, "recorded_at", timedelta(days=repeat_contact_days), name="customer_tickets"),
    ]
