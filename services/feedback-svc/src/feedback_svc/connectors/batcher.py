"""Group commit for vendor deliveries: the webhook intake's batcher, applying vendor changes.

A vendor delivery is answered only once the transaction that applied it has committed, exactly
as on the generic webhook (webhooks/batcher.py: bounded queue, retry, one item at a time when a
batch fails twice); many concurrent deliveries share one commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from csq_common.db import transaction
from feedback_svc.connectors import service
from feedback_svc.connectors.mapping import VendorChange
from feedback_svc.webhooks.batcher import WebhookBatcher, batcher_lifespan


@dataclass(frozen=True)
class Delivery:
    """One authenticated, mapped vendor delivery waiting for its transaction."""

    change: VendorChange
    received_at: datetime

    @property
    def event_id(self) -> str:
        """The receipt key, which the batcher's logs and refusals name."""
        return service.receipt_key(self.change)


class VendorBatcher(WebhookBatcher):
    async def _commit(self, deliveries: list[Delivery]) -> list[service.Received]:  # type: ignore[override]
        async with transaction(self._sessions) as session:
            return await service.receive_changes(
                session, [(item.change, item.received_at) for item in deliveries],
                topic=self._topic, notify_public_key=self._notify_public_key,
            )


#: The vendor routes' batcher (``app.state.vendor_batcher``), an ``extra_lifespan``.
vendor_intake = batcher_lifespan(VendorBatcher, "vendor_batcher")
