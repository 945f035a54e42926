"""Which events each service consumes and produces: its event map.

Every service declares one, `EVENTS` in `signum.<service>.events`, and uses it: it subscribes to
`EVENTS.topics` with `EVENTS.handlers(...)`, which refuses a handler for a type the map does not
declare and a declared type without a handler, so the process cannot start with a map that lies.
`docs/generate.py` draws the send and receive operations of `docs/asyncapi.yaml` from the maps, and
`tests/contracts/test_event_map.py` checks them against the events each service's code builds and
against the "Produced by" and "Consumed by" sentences of every contract's docstring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from signum.contracts.envelope import Event
from signum.contracts.topics import Topic

H = TypeVar("H")


def event_type(cls: type[Event]) -> str:
    """The `type` a contract class fixes, e.g. `oficio.signed`."""
    value = cls.model_fields["type"].default
    assert isinstance(value, str)
    return value


def event_version(cls: type[Event]) -> int:
    """The `version` a contract class fixes."""
    value = cls.model_fields["version"].default
    assert isinstance(value, int)
    return value


def event_producer(cls: type[Event]) -> str:
    """The service a contract class names as its `producer`."""
    value = cls.model_fields["producer"].default
    assert isinstance(value, str)
    return value


@dataclass(frozen=True)
class EventMap:
    """The contract classes one service consumes and produces."""

    service: str
    consumes: tuple[type[Event], ...] = ()
    produces: tuple[type[Event], ...] = ()

    def __post_init__(self) -> None:
        for name, classes in (("consumes", self.consumes), ("produces", self.produces)):
            twice = sorted({cls.__name__ for cls in classes if classes.count(cls) > 1})
            if twice:
                raise ValueError(f"{self.service} {name} {twice} more than once")
        foreign = sorted(cls.__name__ for cls in self.produces if event_producer(cls) != self.service)
        if foreign:
            raise ValueError(
                f"{self.service} cannot produce {foreign}: their contracts name another producer"
            )

    @property
    def topics(self) -> list[Topic]:
        """The topics of the consumed events, in `Topic` order."""
        used = {cls.topic for cls in self.consumes}
        return [topic for topic in Topic if topic in used]

    @property
    def consumed_types(self) -> frozenset[str]:
        """The `type` of every consumed event."""
        return frozenset(event_type(cls) for cls in self.consumes)

    @property
    def produced_types(self) -> frozenset[str]:
        """The `type` of every produced event."""
        return frozenset(event_type(cls) for cls in self.produces)

    def handlers(self, by_type: Mapping[str, H], default: H | None = None) -> dict[str, H]:
        """One handler per consumed type: its own in `by_type`, else `default`.

        Raises ValueError if `by_type` handles a type the map does not declare, or if a declared
        type has no handler (and no `default`)."""
        undeclared = sorted(set(by_type) - self.consumed_types)
        unhandled = sorted(self.consumed_types - set(by_type)) if default is None else []
        if undeclared or unhandled:
            raise ValueError(
                f"{self.service}'s handlers differ from its event map: handled but not declared "
                f"{undeclared}, declared but not handled {unhandled}"
            )
        chosen: dict[str, H] = {}
        for type_ in sorted(self.consumed_types):
            handler = by_type.get(type_, default)
            assert handler is not None
            chosen[type_] = handler
        return chosen
