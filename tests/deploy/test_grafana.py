"""deploy/grafana: provisioning that compose mounts, and dashboards whose queries read only
metrics that exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conventions import (
    BUSINESS_METRICS,
    DEPLOY,
    REPO,
    check_expression,
    load_json,
    load_yaml,
    promql_metric_names,
    promql_name_regexes,
)

GRAFANA = DEPLOY / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
PLATFORM = GRAFANA / "dashboards" / "signum-plataforma.json"
# Words that give away an English panel title; operators read Spanish.
ENGLISH = re.compile(
    r"\b(request|latency|error|memory|events?|rate|queue|pending|consumer|service)s?\b", re.I
)


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found += panel.get("panels", [])
    return found


def queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["title"], t["expr"]) for p in panels(dashboard) for t in p.get("targets", [])]


def test_datasource_points_at_the_compose_prometheus() -> None:
    provisioning = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yaml")
    (datasource,) = provisioning["datasources"]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    assert datasource["isDefault"] is True


def test_dashboard_provider_reads_the_folder_compose_mounts() -> None:
    provisioning = load_yaml(GRAFANA / "provisioning" / "dashboards" / "signum.yaml")
    (provider,) = provisioning["providers"]
    assert provider["type"] == "file"
    compose = load_yaml(REPO / "compose.yaml")
    mounts = dict(v.split(":")[:2] for v in compose["services"]["grafana"]["volumes"] if v.startswith("./"))
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]


def test_there_are_dashboards() -> None:
    assert PLATFORM in DASHBOARDS


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_is_well_formed(path: Path) -> None:
    dashboard = load_json(path)
    assert dashboard["uid"]
    assert dashboard["title"]
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    for panel in panels(dashboard):
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["targets"], f"{panel['title']} has no query"
        assert panel["datasource"]["uid"] == "${datasource}"
        for target in panel["targets"]:
            for variable in re.findall(r"\$(?:\{)?([a-zA-Z_]+)", target["expr"]):
                assert variable in variables or variable.startswith("__"), f"{panel['title']}: ${variable}"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_queries_read_only_existing_metrics(path: Path) -> None:
    dashboard = load_json(path)
    for title, expr in queries(dashboard):
        assert promql_metric_names(expr) or "__name__" in expr, f"{title}: no metric in {expr}"
        check_expression(expr, f"{path.name} / {title}")
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            check_expression(
                re.sub(r"label_values\((.*),\s*\w+\)", r"\1", variable["definition"]), variable["name"]
            )


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_panel_titles_are_in_spanish(path: Path) -> None:
    for panel in panels(load_json(path)):
        assert not ENGLISH.search(panel["title"]), f"title in English? {panel['title']!r}"


def test_platform_dashboard_covers_what_operators_watch() -> None:
    dashboard = load_json(PLATFORM)
    assert dashboard["title"] == "Signum — plataforma"
    read = set()
    text = []
    for _, expr in queries(dashboard):
        read |= promql_metric_names(expr)
        text.append(expr)
    joined = " ".join(text)
    assert {
        "up",
        "signum:http_requests:rate5m",
        "signum:http_request_duration_seconds_bucket:rate5m",
        "signum:events_consumed:rate5m",
        "signum:dlq_messages:increase15m",
        "signum:outbox_pending_events",
        "process_resident_memory_bytes",
        "faststream_received_messages_in_process",
    } <= read
    for quantile in ("0.5", "0.95", "0.99"):
        assert f"histogram_quantile({quantile}," in joined
    assert 'status=~"5.."' in joined
    service = next(v for v in dashboard["templating"]["list"] if v["name"] == "service")
    assert service["includeAll"]
    assert service["multi"]


EXPECTED_DASHBOARDS = {
    "signum-plataforma": "Signum — plataforma",
    "signum-flujo": "Signum — flujo y pendientes",
    "signum-tiempos": "Signum — tiempos de respuesta por dependencia",
    "signum-ahorros": "Signum — ahorros",
}


def test_the_four_dashboards_operators_asked_for() -> None:
    found = {load_json(p)["uid"]: load_json(p)["title"] for p in DASHBOARDS}
    assert found == EXPECTED_DASHBOARDS
    for path in DASHBOARDS:
        assert path.stem == load_json(path)["uid"]


def read_by(uid: str) -> set[str]:
    dashboard = load_json(GRAFANA / "dashboards" / f"{uid}.json")
    names: set[str] = set()
    for _, expr in queries(dashboard):
        names |= promql_metric_names(expr)
        names |= {re.sub(r"signum_\[a-z\]\+_", "signum_<s>_", r) for r in promql_name_regexes(expr)}
    return names


def test_platform_dashboard_shows_render_signature_and_seal_durations() -> None:
    assert {
        "signum_drafting_pdf_render_duration_seconds_bucket",
        "signum_signing_signature_duration_seconds_bucket",
        "signum_signing_seal_duration_seconds_bucket",
    } <= read_by("signum-plataforma")


def test_flow_dashboard_shows_states_lag_dlqs_and_outbox() -> None:
    assert {
        "signum_metrics_oficios",
        "signum_metrics_overdue_deliveries",
        "signum:events_consumed:rate5m",
        "signum:consumer_latency_seconds_bucket:rate5m",
        "signum:consumer_lag_messages",
        "signum_<s>_consumer_lag_messages",
        "signum:dlq_size_messages",
        "signum:outbox_pending_events",
        "signum:outbox_oldest_pending_age_seconds",
    } <= read_by("signum-flujo")


def test_business_dashboards_read_the_metrics_service_gauges() -> None:
    assert {
        "signum_metrics_response_p90_working_days",
        "signum_metrics_response_p90_seconds",
        "signum_metrics_overdue_deliveries",
    } <= read_by("signum-tiempos")
    assert {
        "signum_metrics_savings_mxn",
        "signum_metrics_savings_sheets",
        "signum_metrics_savings_transit_hours",
        "signum_metrics_savings_co2_kilograms",
    } <= read_by("signum-ahorros")


def test_the_business_contract_is_written_down_where_operators_read_it() -> None:
    readme = (GRAFANA / "README.md").read_text(encoding="utf-8")
    for name, labels in BUSINESS_METRICS.items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"{name} is not in deploy/grafana/README.md"
        for label in labels:
            assert f"`{label}`" in row, f"{name}: label {label} not documented"
