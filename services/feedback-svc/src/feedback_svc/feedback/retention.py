"""Retention of feedback texts: what the customer wrote and who they are is cleared once old
enough; the row stays, so the analysis of past windows keeps its counts."""

from __future__ import annotations

from datetime import timedelta

from csq_common.retention import RetentionRule
from feedback_svc.feedback.models import FeedbackItem

#: What a feedback item's text is replaced with once the retention clears it.
CLEARED_TEXT = ""


def feedback_text_rule(keep: timedelta) -> RetentionRule:
    return RetentionRule(
        FeedbackItem.__table__,
        "received_at",
        keep,
        clear={
            "text": CLEARED_TEXT, "attachments": [], "reply_text": None, "customer_comment": None,
            "customer_id": None, "customer_name": None, "customer_email": None, "customer_phone": None,
        },
        pending=lambda table: table.c.text != CLEARED_TEXT,
        name="feedback_texts",
    )
