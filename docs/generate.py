"""Write the API documents: AsyncAPI from the event contracts (through FastStream) and OpenAPI from
the gateway's and each service's FastAPI app. `make docs` runs this; a test checks they are current."""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from pathlib import Path

import yaml
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from signum.contracts import EVENT_TYPES, Topic
from signum.contracts.topics import dlq_topic

DOCS = Path(__file__).parent
APPS = ["gateway", "drafting", "routing", "signing", "storage", "metrics"]


def asyncapi() -> str:
    """The AsyncAPI 3.0 document of every Signum event, one operation per event type."""
    broker = KafkaBroker("kafka:9092", description="Kafka de Signum")
    for (type_, version), cls in sorted(EVENT_TYPES.items()):
        broker.publisher(
            cls.topic.value,
            title=f"{cls.topic.value}:{type_}.v{version}",
            description=inspect.cleandoc(cls.__doc__ or ""),
            schema=cls,
        )
    for topic in Topic:
        broker.publisher(
            dlq_topic(topic.value),
            title=f"{dlq_topic(topic.value)}:dead-letter",
            description="Messages of "
            f"`{topic.value}` that a consumer could not apply, with `signum-dlq-*` headers saying why.",
            schema=bytes,
        )
    spec = AsyncAPI(
        broker,
        title="Signum — eventos",
        version="1.0.0",
        description="Eventos de Signum en Kafka. Todos viajan en el mismo sobre (envelope); "
        "la llave de partición es el `oficio_id`.",
        schema_version="3.0.0",
    )
    # FastStream keeps publishers in hash order, which changes between runs: sort every mapping.
    document = spec.to_specification().to_jsonable()
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
