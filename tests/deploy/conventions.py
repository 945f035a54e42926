"""What the deploy files must agree on: services, ports, environment variables, metric names.

The lists restate the conventions the lead fixed; tests in this folder also check them against the
platform code (settings fields, metric registries), so a rename in the code fails here instead of
silently leaving a dashboard or a manifest behind.
"""

from __future__ import annotations

import importlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
SCHEMAS = Path(__file__).resolve().parent / "schemas"

PORTS = {
    "gateway": 8000,
    "drafting": 8101,
    "routing": 8102,
    "signing": 8103,
    "storage": 8104,
    "metrics": 8105,
}
SERVICES = tuple(PORTS)
INTERNAL_SERVICES = tuple(s for s in SERVICES if s != "gateway")

# Shared infrastructure settings every service reads (InfraSettings, prefix SIGNUM_).
SHARED_ENV = frozenset(
    {
        "SIGNUM_ENVIRONMENT",
        "SIGNUM_KAFKA_URL",
        "SIGNUM_MONGO_URL",
        "SIGNUM_S3_URL",
        "SIGNUM_S3_ACCESS_KEY",
        "SIGNUM_S3_SECRET_KEY",
        "SIGNUM_INTERNAL_TOKEN",
        "SIGNUM_LOG_LEVEL",
    }
)
# Shared settings a deployment must always set (the rest have safe defaults).
REQUIRED_SHARED_ENV = SHARED_ENV - {"SIGNUM_LOG_LEVEL", "SIGNUM_ENVIRONMENT"}
# Secrets a deployment may leave empty: the feature they serve is then off.
OPTIONAL_SECRET_ENV = frozenset({"SIGNUM_GATEWAY_OIDC_CLIENT_SECRET"})
SECRET_ENV = frozenset(
    {
        "SIGNUM_MONGO_URL",
        "SIGNUM_S3_ACCESS_KEY",
        "SIGNUM_S3_SECRET_KEY",
        "SIGNUM_INTERNAL_TOKEN",
        "SIGNUM_SIGNING_SEAL_PIN",
    }
    | OPTIONAL_SECRET_ENV
)
GATEWAY_SERVICE_URLS = {f"SIGNUM_GATEWAY_{s.upper()}_URL": s for s in INTERNAL_SERVICES}
GATEWAY_ENV = frozenset(GATEWAY_SERVICE_URLS)

TOPICS = ("signum.drafting", "signum.signing", "signum.routing", "signum.storage", "signum.directory")


def infra_env_names() -> frozenset[str]:
    """Every shared SIGNUM_* variable (InfraSettings, CalendarSettings), from their fields."""
    from signum.platform.calendar import CalendarSettings
    from signum.platform.settings import InfraSettings

    infra = {f"SIGNUM_{name.upper()}" for name in InfraSettings.model_fields}
    # The working-day calendar is shared too (routing and metrics): `SIGNUM_CALENDAR_*`.
    return frozenset(infra | {f"SIGNUM_CALENDAR_{name.upper()}" for name in CalendarSettings.model_fields})


def settings_env_names(service: str) -> frozenset[str]:
    """The SIGNUM_<SERVICE>_* variables the service's own Settings class reads, from its fields."""
    module = importlib.import_module(f"signum.{service}.settings")
    fields = set(module.Settings.model_fields) - {"infra", "calendar"}
    return frozenset(f"SIGNUM_{service.upper()}_{name.upper()}" for name in fields)


def own_env(service: str) -> frozenset[str]:
    """The variables only `service` reads: its Settings' fields plus the conventions' names."""
    base = {f"SIGNUM_{service.upper()}_HOST", f"SIGNUM_{service.upper()}_PORT"}
    conventions = base | (GATEWAY_ENV if service == "gateway" else set())
    return frozenset(conventions) | settings_env_names(service)


def allowed_env(service: str) -> frozenset[str]:
    """Variables `service` may be given: shared infrastructure plus its own."""
    return infra_env_names() | own_env(service)


def loopback_addresses(service: str) -> dict[str, str]:
    """The service's `*_url` settings whose default is a loopback address (the local stack's).

    Each is another process the service calls or a public address it prints; a deployment must set
    every one, or the service calls itself on 127.0.0.1 inside its container."""
    module = importlib.import_module(f"signum.{service}.settings")
    found = {}
    for name, field in module.Settings.model_fields.items():
        default = field.default if isinstance(field.default, str) else ""
        if name.endswith("_url") and ("127.0.0.1" in default or "localhost" in default):
            found[f"SIGNUM_{service.upper()}_{name.upper()}"] = default
    return found


def all_known_env() -> frozenset[str]:
    """Every Signum variable any service reads."""
    known: frozenset[str] = infra_env_names()
    for service in SERVICES:
        known |= own_env(service)
    return known


# --- metrics ---------------------------------------------------------------------------------

# Metric names of the conventions, per service (`{s}` is the service name).
CONVENTION_SERVICE_METRICS = (
    "signum_{s}_http_requests_total",
    "signum_{s}_http_request_duration_seconds_bucket",
    "signum_{s}_http_request_duration_seconds_count",
    "signum_{s}_http_request_duration_seconds_sum",
    "signum_{s}_events_consumed_total",
    "signum_{s}_dlq_messages_total",
    "signum_{s}_outbox_pending_events",
    "signum_{s}_outbox_published_total",
    "signum_{s}_consumer_latency_seconds_bucket",
    "signum_{s}_consumer_lag_messages",
    "signum_{s}_dlq_size_messages",
    "signum_{s}_outbox_oldest_pending_age_seconds",
)
# Durations only one service measures (signum.platform.metrics.OWN_DURATIONS).
CONVENTION_OWN_METRICS = (
    "signum_drafting_pdf_render_duration_seconds_bucket",
    "signum_signing_signature_duration_seconds_bucket",
    "signum_signing_seal_duration_seconds_bucket",
)
CONVENTION_PROCESS_METRICS = ("process_resident_memory_bytes", "process_cpu_seconds_total")
# Series Prometheus itself adds to every target.
SCRAPE_METRICS = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
# Labels every Signum target carries (compose scrape config and Kubernetes ServiceMonitor).
TARGET_LABELS = frozenset({"job", "service", "instance"})


def _sample_names(family_name: str, family_type: str) -> list[str]:
    suffixes = {
        "counter": ["_total"],
        "histogram": ["_bucket", "_count", "_sum"],
        "gaugehistogram": ["_bucket", "_gcount", "_gsum"],
        "summary": ["", "_count", "_sum"],
        "info": ["_info"],
    }.get(family_type, [""])
    return [family_name + suffix for suffix in suffixes]


@cache
def exposed_metrics() -> dict[str, frozenset[str]]:
    """Metric name -> label names, for what the six services expose, read from the platform code.

    Builds each service's real registry (ServiceMetrics plus the FastStream broker middleware,
    exactly as the runtime does) without connecting to anything.
    """
    from signum.platform.kafka import build_broker
    from signum.platform.metrics import ServiceMetrics
    from signum.platform.settings import InfraSettings

    exposed: dict[str, frozenset[str]] = {}
    for service in SERVICES:
        metrics = ServiceMetrics(service)
        build_broker(InfraSettings(), service, metrics)
        labels_by_family: dict[str, frozenset[str]] = {}
        # prometheus_client keeps the collectors' label names privately; tolerate its absence.
        for collector in getattr(metrics.registry, "_collector_to_names", {}):
            name = getattr(collector, "_name", None)
            if name is not None:
                labels_by_family[name] = frozenset(getattr(collector, "_labelnames", ()))
        for family in metrics.registry.collect():
            labels = labels_by_family.get(family.name, frozenset())
            if family.type == "histogram":
                bucket_labels = labels | {"le"}
                exposed[f"{family.name}_bucket"] = bucket_labels
            for sample in _sample_names(family.name, family.type):
                exposed.setdefault(sample, labels)
    return exposed


# The business gauges the metrics service exposes (issue 15; signum.metrics.gauges on wp-metrics):
# name -> label names. The contract the dashboards read, written down in deploy/grafana/README.md;
# tests/deploy/test_prometheus_live.py reads them from the running service.
BUSINESS_METRICS: dict[str, frozenset[str]] = {
    "signum_metrics_oficios": frozenset({"dependencia", "estado"}),
    "signum_metrics_overdue_deliveries": frozenset({"dependencia"}),
    "signum_metrics_response_p90_seconds": frozenset({"dependencia"}),
    "signum_metrics_response_p90_working_days": frozenset({"dependencia"}),
    "signum_metrics_savings_mxn": frozenset({"dependencia"}),
    "signum_metrics_savings_sheets": frozenset({"dependencia"}),
    "signum_metrics_savings_co2_kilograms": frozenset({"dependencia"}),
    "signum_metrics_savings_transit_hours": frozenset({"dependencia"}),
}


def known_raw_metrics() -> frozenset[str]:
    """Every series name Prometheus can hold for a Signum target."""
    return frozenset(exposed_metrics()) | frozenset(BUSINESS_METRICS) | SCRAPE_METRICS


# --- files -----------------------------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    """One YAML document."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_yaml_all(path: Path) -> list[Any]:
    """Every non-empty document of a YAML stream."""
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def load_json(path: Path) -> Any:
    """A JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of an env file (comments and blank lines skipped), as kustomize reads it."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=value: {raw!r}"
        assert key not in values, f"{path.name}: {key} set twice"
        values[key] = value
    return values


# deploy/prometheus's rule files, in the order prometheus.yml and the PrometheusRule list them.
RULE_FILES = ("rules.yml", "alerts.yml")


def rule_groups() -> list[dict[str, Any]]:
    """Every rule group of deploy/prometheus's rule files, in file order."""
    return [g for name in RULE_FILES for g in load_yaml(DEPLOY / "prometheus" / name)["groups"]]


def recording_rules() -> dict[str, str]:
    """Recorded series name -> its expression, from every rule file of deploy/prometheus.

    Recordings an alert reads sit in alerts.yml, in the alerts' group; the others in rules.yml.
    """
    return {r["record"]: r["expr"] for g in rule_groups() for r in g["rules"] if "record" in r}


def recorded_labels(expr: str) -> frozenset[str]:
    """Labels a recording rule keeps: those of its outermost `by (...)`."""
    match = re.search(r"\bby\s*\(([^)]*)\)", expr)
    assert match, f"recording rule without `by (...)`: {expr}"
    return frozenset(label.strip() for label in match.group(1).split(",") if label.strip())


# --- PromQL ----------------------------------------------------------------------------------

_PROMQL_WORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or"}
    | {"unless", "inf", "nan", "atan2"}
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*")


def promql_selectors(expr: str) -> list[tuple[str | None, dict[str, str]]]:
    """(metric name or None, {label: matcher value}) of each vector selector in `expr`.

    A small scanner, enough for the queries in this repository: it drops string contents,
    grouping clauses and range/offset durations, then takes identifiers that are not functions
    or keywords as metric names. `{__name__=~"..."}` selectors come back with name None.
    """
    found: list[tuple[str | None, dict[str, str]]] = []
    for match in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}", expr):
        name, body = match.group(1), match.group(2)
        if name in _PROMQL_WORDS:
            name = None
        matchers = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"([^"]*)"', body))
        found.append((name, matchers))
    stripped = _STRING.sub('""', expr)
    stripped = re.sub(r"\{[^}]*\}", " ", stripped)
    stripped = re.sub(r"\[[^\]]*\]", " ", stripped)
    stripped = _GROUPING.sub(" ", stripped)
    stripped = re.sub(r"\boffset\s+-?[0-9a-z]+", " ", stripped)
    braced = {name for name, _ in found if name}
    for match in _IDENT.finditer(stripped):
        token = match.group(0)
        if token in _PROMQL_WORDS or stripped[match.end() :].lstrip().startswith("("):
            continue
        if token not in braced:
            found.append((token, {}))
            braced.add(token)
    return found


def promql_metric_names(expr: str) -> set[str]:
    """Metric names an expression reads directly (not through `__name__` regexes)."""
    return {name for name, _ in promql_selectors(expr) if name}


def promql_name_regexes(expr: str) -> list[str]:
    """The `__name__=~"..."` regexes of an expression."""
    return [m["__name__"] for name, m in promql_selectors(expr) if name is None and "__name__" in m]


def check_expression(expr: str, where: str) -> None:
    """Every series an expression reads exists, with the labels it filters on."""
    recorded = recording_rules()
    exposed = exposed_metrics()
    for name, matchers in promql_selectors(expr):
        labels = set(matchers) - {"__name__"}
        if name is None:
            continue
        if name in recorded:
            allowed = recorded_labels(recorded[name])
        else:
            assert name in known_raw_metrics(), f"{where}: unknown metric {name}"
            allowed = exposed.get(name, BUSINESS_METRICS.get(name, frozenset())) | TARGET_LABELS
        assert labels <= allowed, f"{where}: {name} has no label(s) {sorted(labels - allowed)}"
    for regex in promql_name_regexes(expr):
        matched = {m for m in exposed if re.fullmatch(regex, m)}
        assert matched, f"{where}: {regex} matches no metric"
        if regex.startswith("signum_"):
            for service in SERVICES:
                assert any(m.startswith(f"signum_{service}_") for m in matched), (
                    f"{where}: {regex} misses {service}"
                )
