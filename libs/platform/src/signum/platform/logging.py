"""structlog JSON logging with the correlation id bound from the event or the request."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

correlation_id_var = "correlation_id"


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log line (ours and the libraries') to stdout as one JSON object."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka logs every reconnect attempt at ERROR while a broker is down; readiness reports it.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    structlog.contextvars.bind_contextvars(service=service)


def bind_correlation_id(correlation_id: str | None) -> None:
    """Bind the correlation id to every log line of the current task."""
    if correlation_id:
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
    else:
        structlog.contextvars.unbind_contextvars(correlation_id_var)


def get_logger(name: str) -> Any:
    """A structlog logger."""
    return structlog.get_logger(name)
