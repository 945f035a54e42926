"""compose.yaml: valid Compose, the services wired as the conventions say, secrets only from the
environment."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.deploy.conventions import (
    INTERNAL_SERVICES,
    OPTIONAL_SECRET_ENV,
    PORTS,
    REPO,
    REQUIRED_SHARED_ENV,
    SCHEMAS,
    SERVICES,
    allowed_env,
    load_json,
    load_yaml,
    loopback_addresses,
)

COMPOSE_FILE = REPO / "compose.yaml"
INFRA = ("kafka", "mongo", "minio")
# Variables that only ever hold credentials: they must come from the operator's environment.
SECRET_VARIABLE = re.compile(r"PASSWORD|SECRET|TOKEN|ACCESS_KEY", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(COMPOSE_FILE)
    return loaded


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


# --- Compose interpolation, as the Compose Specification defines it ---------------------------

_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariableError(Exception):
    """A `${VAR:?message}` whose variable is not set: compose stops with `message`."""


def interpolate(text: str, env: dict[str, str]) -> str:
    """Resolve `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:?error}`, `${VAR:+alt}` and `$$`."""

    def resolve(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("named")
        op, arg = match.group("op"), match.group("arg") or ""
        value = env.get(name)
        unset = value is None or (op is not None and op.startswith(":") and value == "")
        if op in (":-", "-"):
            return arg if unset else str(value)
        if op in (":?", "?"):
            if unset:
                raise MissingVariableError(f"{name}: {arg}")
            return str(value)
        if op in (":+", "+"):
            return "" if unset else arg
        return "" if value is None else value

    return _INTERPOLATION.sub(resolve, text)


def interpolate_all(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_all(v, env) for v in node]
    if isinstance(node, dict):
        return {k: interpolate_all(v, env) for k, v in node.items()}
    return node


def required_variables(compose: dict[str, Any]) -> set[str]:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    return {m.group("braced") for m in _INTERPOLATION.finditer(text) if m.group("op") in (":?", "?")}


# --- the file as a whole ----------------------------------------------------------------------


def test_compose_file_validates_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = load_json(SCHEMAS / "compose-spec.json")
    jsonschema.Draft7Validator(schema).validate(compose)


def test_compose_file_has_no_obsolete_version_key(compose: dict[str, Any]) -> None:
    assert "version" not in compose


def test_interpolation_helper_follows_the_specification() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("a$$b ${SET} $SET ${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${SET:+alt}", env) == (
        "a$b x x d d  alt"
    )
    with pytest.raises(MissingVariableError, match="UNSET: say so"):
        interpolate("${UNSET:?say so}", env)
    with pytest.raises(MissingVariableError):
        interpolate("${EMPTY:?empty is unset}", env)


def test_every_image_is_pinned_to_a_version(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = interpolate(service["image"], {})
        repository, _, tag = image.rpartition(":")
        assert repository, f"{name}: {image} has no repository"
        assert tag, f"{name}: {image} has no tag"
        assert "/" not in tag, f"{name}: {image} has no tag"
        assert tag not in {"latest", "dev"} or "build" in service, f"{name}: {image} is not pinned"


def test_infrastructure_images_are_the_agreed_ones(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["kafka"]["image"] == "apache/kafka:4.1.1"
    assert services["mongo"]["image"] == "mongo:7.0"
    assert re.fullmatch(r"minio/minio:RELEASE\.2025-\d\d-\d\dT\d\d-\d\d-\d\dZ", services["minio"]["image"])
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", services["prometheus"]["image"])
    assert re.fullmatch(r"grafana/grafana:\d+\.\d+\.\d+", services["grafana"]["image"])


def test_only_the_gateway_and_grafana_are_published(compose: dict[str, Any]) -> None:
    published = {
        name: service["ports"] for name, service in compose["services"].items() if "ports" in service
    }
    assert published == {"gateway": ["8000:8000"], "grafana": ["3000:3000"]}


def test_infrastructure_has_healthchecks(compose: dict[str, Any]) -> None:
    for name in INFRA:
        healthcheck = compose["services"][name].get("healthcheck")
        assert healthcheck, f"{name} has no healthcheck"
        assert healthcheck["test"][0] in {"CMD", "CMD-SHELL"}, name


def test_dependencies_exist_and_wait_for_health_where_there_is_a_healthcheck(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"


def test_named_volumes_are_declared_and_used(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes", {}))
    used: set[str] = set()
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared, f"{name} uses undeclared volume {source}"
                used.add(source)
    assert used == declared


def test_kafka_runs_kraft_with_a_valid_cluster_id(compose: dict[str, Any]) -> None:
    env = environment(compose["services"]["kafka"])
    cluster_id = env["CLUSTER_ID"]
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    # Services create their topics; auto-creation would hide a misspelt topic name.
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


# --- the Signum services ----------------------------------------------------------------------


@pytest.mark.parametrize("name", SERVICES)
def test_service_runs_from_the_repository_image_with_its_module(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["build"] == "."
    assert service["command"] == ["python", "-m", f"signum.{name}"]


@pytest.mark.parametrize("name", SERVICES)
def test_service_binds_its_port_and_healthchecks_healthz(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    env = environment(service)
    port = PORTS[name]
    assert env[f"SIGNUM_{name.upper()}_HOST"] == "0.0.0.0"
    assert env[f"SIGNUM_{name.upper()}_PORT"] == str(port)
    test = " ".join(service["healthcheck"]["test"])
    assert service["healthcheck"]["test"][0] == "CMD"
    assert f"http://127.0.0.1:{port}/healthz" in test


@pytest.mark.parametrize("name", SERVICES)
def test_service_waits_for_healthy_infrastructure(compose: dict[str, Any], name: str) -> None:
    depends_on = compose["services"][name]["depends_on"]
    for infra in INFRA:
        assert depends_on[infra] == {"condition": "service_healthy"}


@pytest.mark.parametrize("name", SERVICES)
def test_service_environment_uses_only_convention_variables(compose: dict[str, Any], name: str) -> None:
    env = environment(compose["services"][name])
    unknown = set(env) - allowed_env(name)
    assert not unknown, f"{name} is given variables no Signum setting reads: {sorted(unknown)}"
    missing = REQUIRED_SHARED_ENV - set(env)
    assert not missing, f"{name} lacks {sorted(missing)}"


@pytest.mark.parametrize("name", SERVICES)
def test_service_reaches_the_compose_infrastructure(compose: dict[str, Any], name: str) -> None:
    env = interpolate_all(
        environment(compose["services"][name]), dict.fromkeys(required_variables(compose), "s")
    )
    assert env["SIGNUM_KAFKA_URL"] == "kafka:9092"
    assert env["SIGNUM_MONGO_URL"].startswith("mongodb://")
    assert "@mongo:27017/" in env["SIGNUM_MONGO_URL"]
    assert env["SIGNUM_S3_URL"] == "http://minio:9000"


def test_mongo_is_a_replica_set_the_services_connect_to_as_one(compose: dict[str, Any]) -> None:
    """Transactions and change streams need a replica set: mongod runs with `--replSet`, its
    healthcheck initiates the set with the member the services' URL names, and the URL names
    the set (a driver then follows the primary)."""
    mongo = compose["services"]["mongo"]
    command = " ".join(mongo["entrypoint"])
    replica_set = re.search(r"mongod .*--replSet (\S+)", command)
    assert replica_set, "mongod does not run as a replica set"
    assert "--keyFile" in command  # a replica set with authorization refuses to start without one
    check = " ".join(mongo["healthcheck"]["test"])
    initiated = re.search(
        r"rs\.initiate\(\{_id: '([^']+)', members: \[\{_id: 0, host: '([^']+)'\}\]\}\)", check
    )
    assert initiated, "nothing initiates the replica set"
    assert initiated.group(1) == replica_set.group(1)
    assert "isWritablePrimary" in check, "healthy must mean writable, not only up"
    for name in SERVICES:
        env = interpolate_all(
            environment(compose["services"][name]), dict.fromkeys(required_variables(compose), "s")
        )
        url = env["SIGNUM_MONGO_URL"]
        assert f"@{initiated.group(2)}/" in url
        assert f"replicaSet={replica_set.group(1)}" in url.split("?", 1)[1].split("&")
        assert compose["services"][name]["depends_on"]["mongo"] == {"condition": "service_healthy"}


def test_gateway_finds_each_service_on_its_port(compose: dict[str, Any]) -> None:
    env = environment(compose["services"]["gateway"])
    for service in INTERNAL_SERVICES:
        assert env[f"SIGNUM_GATEWAY_{service.upper()}_URL"] == f"http://{service}:{PORTS[service]}"


@pytest.mark.parametrize("name", SERVICES)
def test_service_container_is_locked_down(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["read_only"] is True
    assert "/tmp" in service["tmpfs"]
    assert service["cap_drop"] == ["ALL"]


# --- secrets ----------------------------------------------------------------------------------


def test_credentials_come_only_from_required_variables(compose: dict[str, Any]) -> None:
    # Required variables become markers; anything else resolves to its default.
    markers = {v: f"REQUIRED.{v}" for v in required_variables(compose)}
    for name, service in compose["services"].items():
        for key, value in environment(service).items():
            if key in OPTIONAL_SECRET_ENV:
                # Unset means the feature is off; never a literal credential.
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:\?[^}]+|:-)\}", value), f"{name}.{key}: {value!r}"
            elif SECRET_VARIABLE.search(key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]+\}", value), (
                    f"{name}.{key} must be `${{VAR:?message}}`, not {value!r}"
                )
            resolved = interpolate(value, markers)
            for password in re.findall(r"://[^/@:]+:([^@]+)@", resolved):
                assert password.startswith("REQUIRED."), f"{name}.{key} embeds a password"


def test_compose_refuses_to_start_without_each_secret(compose: dict[str, Any]) -> None:
    required = required_variables(compose)
    assert {
        "SIGNUM_INTERNAL_TOKEN",
        "SIGNUM_S3_ACCESS_KEY",
        "SIGNUM_S3_SECRET_KEY",
        "MONGO_ROOT_PASSWORD",
        "GRAFANA_ADMIN_PASSWORD",
    } <= required
    everything = dict.fromkeys(required, "set")
    interpolate_all(compose, everything)
    for variable in required:
        with pytest.raises(MissingVariableError, match=variable):
            interpolate_all(compose, {k: v for k, v in everything.items() if k != variable})


def test_no_development_default_secret_appears(compose: dict[str, Any]) -> None:
    from signum.platform.settings import DEV_INTERNAL_TOKEN, DEV_S3_SECRET

    text = Path(COMPOSE_FILE).read_text(encoding="utf-8")
    assert DEV_INTERNAL_TOKEN not in text
    assert DEV_S3_SECRET not in text


def test_minio_and_services_share_the_same_s3_credentials(compose: dict[str, Any]) -> None:
    minio = environment(compose["services"]["minio"])
    storage = environment(compose["services"]["storage"])
    assert minio["MINIO_ROOT_USER"] == storage["SIGNUM_S3_ACCESS_KEY"]
    assert minio["MINIO_ROOT_PASSWORD"] == storage["SIGNUM_S3_SECRET_KEY"]


def test_grafana_and_prometheus_load_the_repository_configuration(compose: dict[str, Any]) -> None:
    prometheus = compose["services"]["prometheus"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    grafana = compose["services"]["grafana"]
    for kind in ("datasources", "dashboards"):
        mount = f"./deploy/grafana/provisioning/{kind}:/etc/grafana/provisioning/{kind}:ro"
        assert mount in grafana["volumes"]
    assert "./deploy/grafana/dashboards:/etc/grafana/dashboards:ro" in grafana["volumes"]
    home = environment(grafana)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (REPO / "deploy/grafana/dashboards" / Path(home).name).exists()


@pytest.mark.parametrize("service", SERVICES)
def test_every_address_a_service_calls_is_set(compose: dict[str, Any], service: str) -> None:
    environment = compose["services"][service]["environment"]
    missing = sorted(set(loopback_addresses(service)) - set(environment))
    assert not missing, f"{service}: set {missing} in compose.yaml (defaults point at 127.0.0.1)"
