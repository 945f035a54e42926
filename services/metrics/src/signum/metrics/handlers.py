"""Metrics' Kafka handlers (thin: the consumer decodes, the service applies)."""

from __future__ import annotations

from signum.contracts import Event
from signum.metrics.service import MetricsService
from signum.platform.consumer import Handler


def default_handler(service: MetricsService) -> Handler:
    """Every oficio event: those that mark no milestone change nothing."""

    async def on_event(event: Event) -> None:
        await service.apply(event)

    return on_event
