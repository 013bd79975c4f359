"""Prometheus metrics of the outbox relay and the consumers (served on every service's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OUTBOX_BACKLOG = Gauge("csq_outbox_backlog", "Outbox rows not yet published")
OUTBOX_PARKED = Gauge("csq_outbox_parked", "Outbox rows the broker refused for good (see outbox.last_error)")
OUTBOX_PUBLISHED = Counter("csq_outbox_published_total", "Outbox rows published to the broker")
CONSUMER_LAG = Gauge("csq_consumer_lag", "Records behind the partition's high-water mark", ["group", "topic", "partition"])
CONSUMER_EVENTS = Counter("csq_consumer_events_total", "Records taken from the broker", ["group"])
CONSUMER_BATCH_SECONDS = Histogram(
    "csq_consumer_batch_duration_seconds", "Time to apply one consumer batch", ["group"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DLQ_MESSAGES = Counter("csq_dlq_messages_total", "Records sent to the dead-letter topic", ["group"])
DLQ_SEND_FAILURES = Counter(
    "csq_dlq_send_failures_total", "Dead letters that could not be sent (the consumer retries their batch)", ["group"]
)
