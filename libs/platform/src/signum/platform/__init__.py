"""Signum's platform library: what every service shares (settings, logging, errors, metrics,
Kafka/Mongo/S3 clients, the outbox and the idempotent consumer)."""
