"""Write the API documents: AsyncAPI from the event contracts (through FastStream) and the services'
event maps, and OpenAPI from the gateway's and each service's FastAPI app. `make docs` runs this;
`make lint` checks they are current."""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from signum.contracts import EVENT_TYPES, Event, EventMap, Topic
from signum.contracts.eventmap import event_type, event_version
from signum.contracts.routing import InboxNotification
from signum.contracts.topics import INBOX_NOTIFICATIONS, dlq_topic

DOCS = Path(__file__).parent
APPS = ["gateway", "drafting", "routing", "signing", "storage", "metrics"]


def event_maps() -> list[EventMap]:
    """The event map of the gateway and of each service (`signum.<name>.events.EVENTS`)."""
    return [importlib.import_module(f"signum.{name}.events").EVENTS for name in APPS]


def event_channel(cls: type[Event]) -> str:
    """The AsyncAPI channel of one event type: its topic, type and version."""
    return f"{cls.topic.value}:{event_type(cls)}.v{event_version(cls)}"


def dlq_channel(topic: str) -> str:
    """The AsyncAPI channel of a topic's dead letters."""
    return f"{dlq_topic(topic)}:dead-letter"


NOTIFICATIONS_CHANNEL = f"{INBOX_NOTIFICATIONS}:notification"


def operation(service: str, action: str, channel: str, summary: str, group: str | None) -> dict[str, Any]:
    """One AsyncAPI 3.0 operation of `service` on `channel`, with its consumer group if it has one."""
    op: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/Message"}],
        "summary": summary,
        "tags": [{"name": service}],
    }
    if group is not None:
        op["bindings"] = {
            "kafka": {"bindingVersion": "0.4.0", "groupId": {"type": "string", "enum": [group]}}
        }
    return op


def operations(maps: list[EventMap]) -> dict[str, Any]:
    """Each service's send and receive operations, from its event map."""
    ops: dict[str, Any] = {}

    def add(service: str, action: str, channel: str, summary: str, group: str | None = None) -> None:
        ops[f"{service}:{action}:{channel}"] = operation(service, action, channel, summary, group)

    for events in maps:
        service = events.service
        group = f"signum.{service}"  # `InfraSettings.group_id` in a deployment without a namespace
        for cls in events.produces:
            add(service, "send", event_channel(cls), f"{service} publica `{event_type(cls)}`.")
        for cls in events.consumes:
            add(service, "receive", event_channel(cls), f"{service} consume `{event_type(cls)}`.", group)
        for topic in events.topics:
            add(service, "send", dlq_channel(topic.value), f"{service} aparta lo que no pudo aplicar.")
    add("routing", "send", NOTIFICATIONS_CHANNEL, "Cada réplica de routing publica sus notificaciones.")
    # Without a consumer group: every replica reads every notification.
    add("routing", "receive", NOTIFICATIONS_CHANNEL, "Cada réplica de routing oye las de las demás.")
    return ops


def asyncapi() -> str:
    """The AsyncAPI 3.0 document of Signum's events: a channel per event type, and the send and
    receive operations of each service's event map."""
    broker = KafkaBroker("kafka:9092", description="Kafka de Signum")
    for _, cls in sorted(EVENT_TYPES.items()):
        broker.publisher(
            cls.topic.value,
            title=event_channel(cls),
            description=inspect.cleandoc(cls.__doc__ or ""),
            schema=cls,
        )
    for topic in Topic:
        broker.publisher(
            dlq_topic(topic.value),
            title=dlq_channel(topic.value),
            description="Messages of "
            f"`{topic.value}` that a consumer could not apply, with `signum-dlq-*` headers saying why.",
            schema=bytes,
        )
    broker.publisher(
        INBOX_NOTIFICATIONS,
        title=NOTIFICATIONS_CHANNEL,
        description=inspect.cleandoc(InboxNotification.__doc__ or ""),
        schema=InboxNotification,
    )
    spec = AsyncAPI(
        broker,
        title="Signum — eventos",
        version="1.0.0",
        description="Eventos de Signum en Kafka. Todos viajan en el mismo sobre (envelope); "
        "la llave de partición es el `oficio_id`. Cada servicio declara lo que publica y lo que "
        "consume (su mapa de eventos, `signum.<servicio>.events`): de ahí salen las operaciones "
        "`<servicio>:send:<canal>` y `<servicio>:receive:<canal>`.",
        schema_version="3.0.0",
    )
    # FastStream keeps publishers in hash order, which changes between runs: sort every mapping.
    document = spec.to_specification().to_jsonable()
    document["operations"] = operations(event_maps())
    return yaml.safe_dump(document, sort_keys=True, allow_unicode=True, width=100)


def openapi(name: str) -> str:
    module = importlib.import_module(f"signum.{name}.app")
    app = module.build()
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def documents() -> dict[Path, str]:
    """Every generated document by path."""
    docs = {DOCS / "asyncapi.yaml": asyncapi()}
    for name in APPS:
        docs[DOCS / "openapi" / f"{name}.json"] = openapi(name)
    return docs


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for path, text in documents().items():
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(DOCS.parent)}")
    if stale:
        print("out of date (run `make docs`): " + ", ".join(str(p) for p in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
