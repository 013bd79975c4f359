"""Erasing a customer's deliveries (``customer.erased``) and the retention of delivered content.
Nothing here commits.

A delivery keeps its log line (template, status, times, attempts); its content goes: recipient,
variables (with the survey link), subject and bodies. One still waiting to go out is failed, as
there is no one left to send it to; an attempt in flight loses its claim (its outcome is not
written, see sender.record).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.retention import RetentionRule
from notify_svc.deliveries.models import CLEARED_CONTENT, DELIVERED, FAILED, QUEUED, SENDING, Delivery

log = structlog.get_logger(__name__)


async def erase_customer(session: AsyncSession, customer_id: str, *, now: datetime) -> int:
    """Clear the content of ``customer_id``'s deliveries and fail those not sent; how many."""
    await session.execute(
        update(Delivery)
        .where(Delivery.customer_id == customer_id, Delivery.status.in_((QUEUED, SENDING)))
        .values(status=FAILED, failed_at=now, last_error="customer erased", next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        update(Delivery)
        .where(Delivery.customer_id == customer_id)
        .values(**CLEARED_CONTENT, customer_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    count = max(result.rowcount or 0, 0)
    log.info("customer.erased", deliveries=count)
    return count


def delivered_content_rule(days: float) -> RetentionRule:
    """Content of deliveries that ended (delivered or failed) more than ``days`` ago is cleared:
    the bodies carry live survey links. A reminder due after that finds no one to remind."""
    return RetentionRule(
        Delivery.__table__, "updated_at", timedelta(days=days), clear=CLEARED_CONTENT, name="deliveries.content",
        pending=lambda table: table.c.status.in_((DELIVERED, FAILED)) & table.c.text_body.is_not(None),
    )
