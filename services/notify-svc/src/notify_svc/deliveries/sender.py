"""The background sender: claims due deliveries, sends them, records the outcome with its event.

Exactly once in effect:

- A delivery is *claimed* before the SMTP call by a conditional UPDATE (status queued — or a
  lapsed claim — and the attempts count last seen) committed on its own; only the replica whose
  UPDATE matched sends. The claim sets ``status='sending'`` and ``next_attempt_at`` to when the
  claim lapses (``delivery_claim_seconds``).
- The outcome (delivered / queued again with ``next_attempt_at`` backed off / failed) is written in
  one transaction with the ``notification.delivered`` / ``notification.failed`` outbox row, guarded
  by the same claim version, so a replica that lost its claim writes nothing.
- The one window for a duplicate email: the process dies (or the database stays away through the
  outcome write's retries) after the SMTP server accepted the message but before the outcome
  committed. The row stays 'sending', its claim lapses, and it is sent again with the same
  Message-ID, which lets a receiving system or the recipient's client recognise the duplicate.
  SMTP has no idempotent submission, so this window cannot be closed from the sending side.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from email.utils import parseaddr

import structlog
from prometheus_client import Counter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.worker import PollingWorker, WakeSignal
from csq_common.bus import outbox
from csq_common.db import transaction, utcnow
from csq_common.events import make_event
from notify_svc.deliveries import mail
from csq_common.events import DeliveryOutcome, NotificationDelivered, NotificationFailed
from notify_svc.deliveries.models import DELIVERED, FAILED, QUEUED, SENDING, Delivery
from notify_svc.settings import Settings

log = structlog.get_logger(__name__)
SOURCE = "notify-svc"
#: Every recorded attempt by outcome: delivered, retry (a transient failure, tried again later)
#: or failed (permanent, or out of attempts). Alerting: deploy/prometheus/csq-rules.yml.
ATTEMPTS = Counter(
    "csq_notify_delivery_attempts_total", "Delivery attempts by channel, template and outcome", ["channel", "template", "outcome"]
)
_OUTCOMES = {DELIVERED: "delivered", QUEUED: "retry", FAILED: "failed"}
OUTCOME_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://csq.dev/notify-svc/delivery-outcomes")

# A hint that a delivery was queued (the sender also polls, so an early wake-up is harmless).
wake = WakeSignal()


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """The wait after attempt number ``attempts`` (1-based) failed transiently."""
    return min(base * 2 ** (attempts - 1), cap)


def outcome_event_id(delivery_id: str, event_type: str) -> str:
    return str(uuid.uuid5(OUTCOME_EVENT_NAMESPACE, f"{delivery_id}/{event_type}"))


class DeliverySender(PollingWorker):
    name = "delivery_sender"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        super().__init__(poll_seconds=settings.sender_poll_seconds, wake_signal=wake)
        self._sessions = sessions
        self._settings = settings
        self._envelope_from = parseaddr(settings.mail_from)[1]

    async def work_once(self) -> bool:
        # The database away raises here: the worker backs off; claimed rows lapse and return.
        return await self.send_due() >= self._settings.sender_batch_size

    async def send_due(self) -> int:
        """Claim and send one batch of due deliveries concurrently; return how many were due."""
        now = utcnow()
        async with self._sessions() as session:
            due = (
                await session.execute(
                    select(Delivery.id, Delivery.attempts)
                    .where(Delivery.status.in_((QUEUED, SENDING)), Delivery.next_attempt_at <= now)
                    .order_by(Delivery.next_attempt_at)
                    .limit(self._settings.sender_batch_size)
                )
            ).all()
        if due:
            await asyncio.gather(*(self._process(row.id, row.attempts) for row in due))
        return len(due)

    async def _process(self, delivery_id: str, seen_attempts: int) -> None:
        try:
            delivery = await self.claim(delivery_id, seen_attempts)
            if delivery is None:
                return  # another replica has it
            if delivery.attempts > self._settings.delivery_max_attempts:
                # A lapsed claim on the last attempt: its outcome is unknown; do not send again.
                await self.record(delivery, mail.SendFailure("the last attempt's outcome is unknown (its claim lapsed)", permanent=True))
                return
            failure = None
            try:
                await mail.send(self._settings, self._message(delivery), sender=self._envelope_from, recipient=delivery.recipient_email)
            except mail.SendFailure as exc:
                failure = exc
            await self._record_with_retries(delivery, failure)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery.attempt_crashed", delivery_id=delivery_id)

    async def claim(self, delivery_id: str, seen_attempts: int) -> Delivery | None:
        now = utcnow()
        async with transaction(self._sessions) as session:
            result = await session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.attempts == seen_attempts,
                    Delivery.next_attempt_at <= now,
                    Delivery.status.in_((QUEUED, SENDING)),
                )
                .values(
                    status=SENDING,
                    attempts=seen_attempts + 1,
                    next_attempt_at=now + timedelta(seconds=self._settings.delivery_claim_seconds),
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # another attempt claimed it: nothing was changed
                return None
            return await session.get(Delivery, delivery_id, populate_existing=True)

    def _message(self, delivery: Delivery):
        return mail.build_message(
            mail_from=self._settings.mail_from,
            to_email=delivery.recipient_email,
            to_name=delivery.recipient_name,
            subject=delivery.subject,
            text=delivery.text_body,
            html=delivery.html_body,
            message_id=delivery.message_id,
            delivery_id=delivery.id,
            date=utcnow(),
        )

    async def _record_with_retries(self, delivery: Delivery, failure: mail.SendFailure | None) -> None:
        """The message may be out: retry the outcome write a few times before leaving the row to
        its lapsing claim (which would send it again)."""
        for attempt in range(5):
            try:
                await self.record(delivery, failure)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("delivery.outcome_write_failed", delivery_id=delivery.id, error=repr(exc), attempt=attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)
        log.error("delivery.outcome_lost", delivery_id=delivery.id, sent=failure is None)

    async def record(self, delivery: Delivery, failure: mail.SendFailure | None) -> str | None:
        """Write the attempt's outcome (and its event) if this sender still holds the claim."""
        settings = self._settings
        now = utcnow()
        event_type: type[DeliveryOutcome] | None
        if failure is None:
            values = {"status": DELIVERED, "delivered_at": now, "last_error": None, "next_attempt_at": None}
            event_type = NotificationDelivered
        elif failure.permanent or delivery.attempts >= settings.delivery_max_attempts:
            values = {"status": FAILED, "failed_at": now, "last_error": failure.error[:2000], "next_attempt_at": None}
            event_type = NotificationFailed
        else:
            wait = backoff_seconds(delivery.attempts, base=settings.delivery_backoff_base_seconds, cap=settings.delivery_backoff_max_seconds)
            values = {"status": QUEUED, "last_error": failure.error[:2000], "next_attempt_at": now + timedelta(seconds=wait)}
            event_type = None
        async with transaction(self._sessions) as session:
            result = await session.execute(
                update(Delivery)
                .where(Delivery.id == delivery.id, Delivery.attempts == delivery.attempts, Delivery.status == SENDING)
                .values(**values, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # the claim was lost: nothing was changed
                log.warning("delivery.claim_lost", delivery_id=delivery.id, attempts=delivery.attempts)
                return None
            if event_type is not None:
                data = event_type(
                    delivery_id=delivery.id,
                    idempotency_key=delivery.idempotency_key,
                    template=delivery.template,
                    channel=delivery.channel,
                    attempts=delivery.attempts,
                    error=failure.error[:2000] if failure else None,
                    occurred_at=now,
                )
                event = make_event(
                    data, source=SOURCE, subject=delivery.id, time=now, event_id=outcome_event_id(delivery.id, event_type.event_type)
                )
                await outbox.add(session, event, topic=settings.topic("notify"), key=delivery.id)
        ATTEMPTS.labels(delivery.channel, delivery.template, _OUTCOMES[values["status"]]).inc()
        log.info("delivery.attempted", delivery_id=delivery.id, attempts=delivery.attempts, status=values["status"], error=values["last_error"])
        return values["status"]
