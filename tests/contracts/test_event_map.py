"""The event map: what each service consumes and produces (`signum.<service>.events.EVENTS`).

Checked against the code (the events each service builds, the consumer its app subscribes), against
every contract's "Produced by ..." and "Consumed by ..." sentences, and against docs/asyncapi.yaml.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from pydantic import ValidationError

from signum.contracts import Event, EventMap, Topic
from signum.contracts.drafting import OficioCreated
from signum.contracts.eventmap import event_producer, event_type, event_version
from signum.contracts.registry import CONTRACTS
from signum.contracts.routing import InboxNotification
from signum.contracts.signing import SignatureRefused
from signum.contracts.topics import INBOX_NOTIFICATIONS
from signum.platform.service import ServiceRuntime

SERVICES = ("gateway", "drafting", "routing", "signing", "storage", "metrics")
ASYNCAPI = Path(__file__).parents[2] / "docs" / "asyncapi.yaml"


def event_map(service: str) -> EventMap:
    events = importlib.import_module(f"signum.{service}.events").EVENTS
    assert isinstance(events, EventMap)
    assert events.service == service
    return events


MAPS = [event_map(service) for service in SERVICES]


def consumers(cls: type[Event]) -> list[str]:
    return sorted(m.service for m in MAPS if cls in m.consumes)


# --- the docstrings ----------------------------------------------------------------------------


def sentence(doc: str, opening: str) -> str:
    """The one sentence of `doc` that starts with `opening`: what follows it, without parentheses."""
    text = " ".join(doc.split())
    assert text.count(opening) == 1, f"one sentence starting {opening!r} expected in: {text}"
    rest = text[text.index(opening) + len(opening) :]
    kept: list[str] = []
    depth = 0
    for i, char in enumerate(rest):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0:
            if char == "." and (i + 1 == len(rest) or rest[i + 1] == " "):
                break
            kept.append(char)
    return "".join(kept)


def documented_producer(doc: str) -> str:
    words = sentence(doc, "Produced by ").split()
    name = words[1] if words[0] == "the" else words[0]
    return name.removesuffix("'s")


def documented_consumers(doc: str) -> list[str]:
    """The services a "Consumed by a (why), b and c (why)." sentence names; anything else fails."""
    names = [n.strip() for n in re.split(r",|\band\b", sentence(doc, "Consumed by ")) if n.strip()]
    unknown = [n for n in names if n not in SERVICES]
    assert not unknown, f"'Consumed by' must list services only (reasons in parentheses): {unknown}"
    return sorted(names)


def test_the_docstring_parser_reads_the_house_format() -> None:
    doc = """Something happened (e.g. this). More.

    Produced by routing's deadline job. Consumed by drafting (its readers. Really), storage
    (audit log) and metrics (times). Storage and metrics do more; signing does not."""
    assert documented_producer(doc) == "routing"
    assert documented_consumers(doc) == ["drafting", "metrics", "storage"]
    with pytest.raises(AssertionError, match="services only"):
        documented_consumers("Produced by routing. Consumed by routing, which repairs its inbox.")
    with pytest.raises(AssertionError, match="one sentence"):
        documented_consumers("Produced by routing.")


@pytest.mark.parametrize("cls", CONTRACTS, ids=event_type)
def test_the_docstring_names_who_produces_and_consumes_it(cls: type[Event]) -> None:
    """Each contract's docstring tells the truth the maps declare (fix the one that is wrong)."""
    doc = cls.__doc__ or ""
    assert documented_producer(doc) == event_producer(cls)
    assert documented_consumers(doc) == consumers(cls), (
        f"{cls.__name__}'s docstring says it is consumed by {documented_consumers(doc)}; "
        f"the services' event maps say {consumers(cls)}"
    )


def test_signature_refused_claims_no_consumer_that_ignores_it() -> None:
    # Routing once was said to tell the signer; the signer reads the refusal in signing's answer.
    assert consumers(SignatureRefused) == ["metrics", "storage"]
    assert "routing" not in documented_consumers(SignatureRefused.__doc__ or "")


def test_the_inbox_notification_is_routings_alone() -> None:
    doc = InboxNotification.__doc__ or ""
    assert documented_producer(doc) == "routing"
    assert documented_consumers(doc) == ["routing"]


# --- the maps against each other -----------------------------------------------------------------


@pytest.mark.parametrize("cls", CONTRACTS, ids=event_type)
def test_every_contract_is_produced_by_the_service_it_names(cls: type[Event]) -> None:
    assert [m.service for m in MAPS if cls in m.produces] == [event_producer(cls)]


@pytest.mark.parametrize("cls", CONTRACTS, ids=event_type)
def test_every_contract_has_a_consumer(cls: type[Event]) -> None:
    assert consumers(cls)


# --- the maps against the code -------------------------------------------------------------------


def _bound_names(tree: ast.Module) -> dict[str, Any]:
    """What each name imported from `signum.contracts...` in a module is."""
    names: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("signum.contracts"):
            module = importlib.import_module(node.module or "")
            for alias in node.names:
                names[alias.asname or alias.name] = getattr(module, alias.name, None)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("signum.contracts"):
                    # `import a.b.c as m` binds m to a.b.c; `import a.b.c` binds a.
                    if alias.asname:
                        names[alias.asname] = importlib.import_module(alias.name)
                    else:
                        names["signum"] = importlib.import_module("signum")
    return names


def _resolve(node: ast.expr, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, names)
        return getattr(owner, node.attr, None) if isinstance(owner, ModuleType) else None
    return None


def built_events(package: ModuleType) -> set[type[Event]]:
    """The event classes a package's code instantiates (`OficioSigned(...)`): what it can emit."""
    found: set[type[Event]] = set()
    for root in package.__path__:
        for path in sorted(Path(root).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            names = _bound_names(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    target = _resolve(node.func, names)
                    if isinstance(target, type) and issubclass(target, Event) and target is not Event:
                        found.add(target)
    return found


def test_the_scan_finds_what_a_module_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "signum_scan_probe"
    package.mkdir()
    (package / "mod.py").write_text(
        "import asyncio\n"
        "import signum.contracts.signing as signing\n"
        "from signum.contracts.routing import OficioDispatched as Sent\n"
        "from signum.contracts.drafting import OficioCancelled\n"
        "asyncio.Event()\n"
        "Sent(**{})\n"
        "signing.OficioSigned(**{})\n"
        "isinstance(x, OficioCancelled)\n",
        encoding="utf-8",
    )
    probe = ModuleType("signum_scan_probe")
    probe.__path__ = [str(package)]
    found = {cls.__name__ for cls in built_events(probe)}
    assert found == {"OficioDispatched", "OficioSigned"}


@pytest.mark.parametrize("events", MAPS, ids=lambda m: m.service)
def test_a_service_produces_exactly_the_events_its_code_builds(events: EventMap) -> None:
    built = built_events(importlib.import_module(f"signum.{events.service}"))
    names = sorted(cls.__name__ for cls in built)
    assert built == set(events.produces), f"{events.service} builds {names}; declare what it emits"


def build_app(service: str, tmp_path: Path) -> FastAPI:
    app_module = importlib.import_module(f"signum.{service}.app")
    if service == "signing":
        # Its development TSA and seals in this test's folder, not in the worktree's `.local`.
        settings = importlib.import_module("signum.signing.settings").Settings(
            local_tsa_dir=tmp_path / "tsa", local_seal_dir=tmp_path / "seal"
        )
        app = app_module.build(settings)
    else:
        app = app_module.build()
    assert isinstance(app, FastAPI)
    return app


@pytest.mark.parametrize("events", MAPS, ids=lambda m: m.service)
def test_a_service_subscribes_to_exactly_what_its_map_consumes(events: EventMap, tmp_path: Path) -> None:
    runtime = build_app(events.service, tmp_path).state.runtime
    assert isinstance(runtime, ServiceRuntime)
    if not events.consumes:
        assert runtime.consumers == []
        return
    [consumer] = runtime.consumers
    assert consumer.types == events.consumed_types
    assert consumer.topics == [runtime.infra.topic(topic.value) for topic in events.topics]


# --- EventMap itself ---------------------------------------------------------------------------


async def _noop(event: Event) -> None:
    return None


def test_handlers_must_match_the_declared_types() -> None:
    events = EventMap("routing", consumes=(OficioCreated, SignatureRefused))
    assert events.topics == [Topic.DRAFTING, Topic.SIGNING]
    both = {"oficio.created": _noop, "signature.refused": _noop}
    assert events.handlers(both) == both
    with pytest.raises(ValueError, match=r"declared but not handled \['signature.refused'\]"):
        events.handlers({"oficio.created": _noop})
    with pytest.raises(ValueError, match=r"handled but not declared \['oficio.signed'\]"):
        events.handlers({**both, "oficio.signed": _noop})
    # A default takes every declared type without a handler of its own, and only those.
    assert events.handlers({}, default=_noop) == both


def test_a_service_cannot_declare_another_ones_event_or_one_twice() -> None:
    with pytest.raises(ValueError, match="name another producer"):
        EventMap("routing", produces=(OficioCreated,))
    with pytest.raises(ValueError, match="more than once"):
        EventMap("routing", consumes=(OficioCreated, OficioCreated))


# --- routing's notifications -----------------------------------------------------------------


def test_the_inbox_notification_round_trips_and_refuses_what_is_off_contract() -> None:
    notice = InboxNotification(origin="a1", owner="unidad:SAY-OP", kind="bandeja", data={"nuevos": 2})
    assert InboxNotification.model_validate_json(notice.model_dump_json()) == notice
    with pytest.raises(ValidationError):
        InboxNotification.model_validate_json(b'{"origin": "a", "owner": "x", "kind": "bandeja", "extra": 1}')
    with pytest.raises(ValidationError):
        InboxNotification.model_validate_json(b'{"origin": "a1", "kind": "bandeja"}')


def test_routing_shares_its_notifications_on_the_named_topic() -> None:
    fanout = importlib.import_module("signum.routing.fanout")
    infra = importlib.import_module("signum.platform.settings").InfraSettings()
    assert fanout.BroadcastNotifier(infra).topic == infra.topic(INBOX_NOTIFICATIONS)
    assert INBOX_NOTIFICATIONS not in {topic.value for topic in Topic}  # no group, no DLQ, no outbox


# --- docs/asyncapi.yaml --------------------------------------------------------------------------


def test_the_asyncapi_document_has_each_services_send_and_receive_operations() -> None:
    document = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    operations = document["operations"]
    expected = set()
    for events in MAPS:
        for action, classes in (("send", events.produces), ("receive", events.consumes)):
            for cls in classes:
                channel = f"{cls.topic.value}:{event_type(cls)}.v{event_version(cls)}"
                key = f"{events.service}:{action}:{channel}"
                expected.add(key)
                assert operations[key]["action"] == action
                assert operations[key]["channel"] == {"$ref": f"#/channels/{channel}"}
    on_events = {k for k in operations if not k.endswith((":dead-letter", ":notification"))}
    assert on_events == expected
    avisos = f"{INBOX_NOTIFICATIONS}:notification"
    assert operations[f"routing:send:{avisos}"]["action"] == "send"
    assert operations[f"routing:receive:{avisos}"]["action"] == "receive"
    assert "bindings" not in operations[f"routing:receive:{avisos}"]  # every replica reads them all
