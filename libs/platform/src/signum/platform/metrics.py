"""Prometheus metrics shared by every service, named `signum_<service>_<what>_<unit>`."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "ServiceMetrics"]


class ServiceMetrics:
    """The platform's metrics of one service, in a registry of its own."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        p = f"signum_{service}"
        self.http_requests = Counter(
            f"{p}_http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            f"{p}_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            registry=self.registry,
        )
        self.events_consumed = Counter(
            f"{p}_events_consumed",
            "Kafka messages handled, by outcome (applied, duplicate, dead_lettered).",
            ["topic", "type", "outcome"],
            registry=self.registry,
        )
        self.dlq_messages = Counter(
            f"{p}_dlq_messages",
            "Messages sent to a dead-letter topic.",
            ["topic", "reason"],
            registry=self.registry,
        )
        self.consumer_retries = Counter(
            f"{p}_consumer_retries",
            "Retries of a failed event handler.",
            ["topic", "type"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            f"{p}_outbox_pending_events",
            "Events written to the outbox and not yet published.",
            registry=self.registry,
        )
        self.outbox_published = Counter(
            f"{p}_outbox_published",
            "Events published by the outbox relay.",
            ["topic"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The text exposition of every metric in this registry."""
        return generate_latest(self.registry)
