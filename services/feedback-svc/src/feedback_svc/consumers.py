"""feedback-svc reads no topic yet: it is the producer of ticket and feedback events."""

from csq_common.runtime import ConsumerSpec

CONSUMERS: list[ConsumerSpec] = []
