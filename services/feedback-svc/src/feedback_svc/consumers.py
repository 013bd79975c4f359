"""feedback-svc reads no topic yet: it is the producer of ticket and feedback events."""

from __future__ import annotations

from csq_common.runtime import ConsumerSpec
from feedback_svc.settings import Settings


def consumers(settings: Settings) -> list[ConsumerSpec]:
    return []
