"""deploy/prometheus: scrape configuration, recording rules and alerts read only metrics the
services really expose; promtool checks and unit-tests them when it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conventions import (
    CONVENTION_OWN_METRICS,
    CONVENTION_PROCESS_METRICS,
    CONVENTION_SERVICE_METRICS,
    DEPLOY,
    PORTS,
    RULE_FILES,
    SERVICES,
    check_expression,
    exposed_metrics,
    load_yaml,
    promql_metric_names,
    promql_name_regexes,
    recorded_labels,
    recording_rules,
    rule_groups,
)

PROMETHEUS = DEPLOY / "prometheus"
ALERT_TESTS = Path(__file__).parent / "prometheus" / "alerts_test.yml"
REQUIRED_ALERTS = {
    "SignumServicioCaido",  # a service down
    "SignumServicioNoListo",  # /readyz failing
    "SignumMensajesEnDLQ",  # dead-lettered messages increasing
    "SignumOutboxCreciendo",  # outbox backlog growing for 10 minutes
    "SignumErroresHTTP5xx",  # high 5xx rate
    "SignumLatenciaAlta",  # high p95 latency
    "SignumRetrasoConsumidorCreciendo",  # a consumer's lag growing for 10 minutes
    "SignumDLQNoVacia",  # a dead-letter topic holding messages
    "SignumOutboxAtascado",  # the oldest outbox write waiting more than 5 minutes
    "SignumVencidosEnAumento",  # more overdue oficios in a dependencia than a day before
}


def alert_rules() -> list[dict[str, Any]]:
    alerts = load_yaml(PROMETHEUS / "alerts.yml")
    return [r for g in alerts["groups"] for r in g["rules"] if "alert" in r]


# --- the metric names themselves --------------------------------------------------------------


def test_convention_metric_names_are_what_the_platform_exposes() -> None:
    exposed = set(exposed_metrics())
    for service in SERVICES:
        for template in CONVENTION_SERVICE_METRICS:
            assert template.format(s=service) in exposed
    assert set(CONVENTION_PROCESS_METRICS) <= exposed
    assert set(CONVENTION_OWN_METRICS) <= exposed
    assert any(m.startswith("faststream_") for m in exposed), "FastStream's broker metrics are missing"


def test_promql_scanner_finds_names_and_ignores_functions_labels_and_durations() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (service, le) (rate(foo_bucket{job="signum", service=~"$s"}'
        "[$__rate_interval]))) / on(service) group_left bar offset 5m > 1e3 and baz"
    )
    assert promql_metric_names(expr) == {"foo_bucket", "bar", "baz"}
    assert promql_name_regexes('rate({__name__=~"signum_[a-z]+_x_total"}[5m])') == ["signum_[a-z]+_x_total"]


# --- prometheus.yml ---------------------------------------------------------------------------


def test_every_service_is_scraped_on_its_port_with_its_service_label() -> None:
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "signum"]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    targets = {
        target: group["labels"]["service"] for group in job["static_configs"] for target in group["targets"]
    }
    assert targets == {f"{s}:{port}": s for s, port in PORTS.items()}


def test_rule_files_exist() -> None:
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    for rule_file in config["rule_files"]:
        assert (PROMETHEUS / rule_file).is_file(), rule_file
    assert config["rule_files"] == list(RULE_FILES)


# --- recording rules --------------------------------------------------------------------------


def test_recording_rules_read_real_metrics_and_follow_the_naming_convention() -> None:
    rules = recording_rules()
    assert rules
    for name, expr in rules.items():
        assert re.fullmatch(r"signum:[a-z_0-9]+(:[a-z0-9]+)?", name), name
        assert "service" in recorded_labels(expr), f"{name} drops the service label"
        check_expression(expr, name)


def test_each_series_is_recorded_once_and_rules_yml_holds_only_recordings() -> None:
    records = [r["record"] for g in rule_groups() for r in g["rules"] if "record" in r]
    assert len(records) == len(set(records)), "a series recorded by two rules"
    names = [g["name"] for g in rule_groups()]
    assert len(names) == len(set(names)), "two groups with the same name"
    for group in load_yaml(PROMETHEUS / "rules.yml")["groups"]:
        assert all("record" in r for r in group["rules"]), "alerts belong in alerts.yml"


def test_rules_read_recordings_made_earlier_in_their_own_group() -> None:
    """Prometheus evaluates groups independently and in no fixed order, but the rules of one
    group in sequence: a rule reading a recording from another group (or from later in its own)
    sees this evaluation's value or the previous one's, at random. Alerts must not."""
    recorded = set(recording_rules())
    for group in rule_groups():
        earlier: set[str] = set()
        for rule in group["rules"]:
            name = rule.get("record") or rule["alert"]
            late = (promql_metric_names(rule["expr"]) & recorded) - earlier
            assert not late, (
                f"{group['name']} / {name} reads {sorted(late)}, not recorded before it in its group"
            )
            if "record" in rule:
                earlier.add(rule["record"])


def test_http_recordings_leave_out_probe_and_scrape_requests() -> None:
    rules = recording_rules()
    for name in ("signum:http_requests:rate5m", "signum:http_request_duration_seconds_bucket:rate5m"):
        assert 'route!~"/healthz|/readyz|/metrics"' in " ".join(rules[name].split())


# --- alerts -----------------------------------------------------------------------------------


def test_the_required_alerts_exist_once_each() -> None:
    names = [r["alert"] for r in alert_rules()]
    assert len(names) == len(set(names))
    assert set(names) == REQUIRED_ALERTS


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_alert_is_complete_and_reads_real_metrics(rule: dict[str, Any]) -> None:
    assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
    assert rule["labels"]["severity"] in {"critical", "warning"}
    assert rule["annotations"]["summary"].strip()
    assert rule["annotations"]["description"].strip()
    if "for" in rule:
        assert re.fullmatch(r"\d+[smh]", rule["for"])
    check_expression(rule["expr"], rule["alert"])


def test_outbox_alert_waits_ten_minutes() -> None:
    (rule,) = [r for r in alert_rules() if r["alert"] == "SignumOutboxCreciendo"]
    assert rule["for"] == "10m"


# --- promtool, when installed (Debian package `prometheus`) -----------------------------------


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return subprocess.run([binary, *args], capture_output=True, text=True, check=False, timeout=120)


def test_promtool_accepts_the_configuration() -> None:
    result = promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_rules() -> None:
    result = promtool("check", "rules", *(str(PROMETHEUS / name) for name in RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_fire_when_and_only_when_they_should() -> None:
    result = promtool("test", "rules", str(ALERT_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
