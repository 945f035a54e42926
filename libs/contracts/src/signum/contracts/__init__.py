"""Signum's wire contracts: the event envelope, topic names and event payloads.

These models are the only definition of what travels on Kafka; the AsyncAPI document is generated
from them. They describe the wire only: services keep their own domain and storage types.
"""

from signum.contracts.envelope import Actor, Event, EventModel
from signum.contracts.eventmap import EventMap
from signum.contracts.registry import EVENT_TYPES, UnknownEventError, decode_event, event_class
from signum.contracts.topics import Topic

__all__ = [
    "EVENT_TYPES",
    "Actor",
    "Event",
    "EventMap",
    "EventModel",
    "Topic",
    "UnknownEventError",
    "decode_event",
    "event_class",
]
