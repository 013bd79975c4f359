"""The event bus: transactional outbox, relay, producer, topics, and the consumer with its inbox."""
