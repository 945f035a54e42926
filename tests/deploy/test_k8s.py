"""deploy/k8s: manifests valid for Kubernetes 1.30, wired to each other, locked down, and
consistent with the conventions and with the Prometheus rules."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from tests.deploy.conventions import (
    DEPLOY,
    INTERNAL_SERVICES,
    K8S,
    OPTIONAL_SECRET_ENV,
    PORTS,
    REPO,
    SCHEMAS,
    SECRET_ENV,
    SERVICES,
    all_known_env,
    allowed_env,
    load_json,
    load_yaml,
    load_yaml_all,
    loopback_addresses,
    read_env_file,
)

BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "monterrey"
MONITORING = K8S / "monitoring"
MONGODB = K8S / "mongodb"
K8S_SCHEMAS = SCHEMAS / "kubernetes" / "v1.30.0-local-strict"
AUTOSCALED = {"gateway", "routing"}
FIXED_REPLICAS = {"drafting": 2, "signing": 1, "storage": 1, "metrics": 1}
CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule")}


# --- loading ----------------------------------------------------------------------------------


def kustomizations() -> list[Path]:
    return sorted(K8S.rglob("kustomization.yaml"))


def resources_of(directory: Path) -> list[dict[str, Any]]:
    """The manifests a kustomization lists directly (files, not other kustomizations)."""
    docs: list[dict[str, Any]] = []
    for entry in load_yaml(directory / "kustomization.yaml").get("resources", []):
        path = directory / entry
        if path.is_file():
            docs += load_yaml_all(path)
    return docs


@pytest.fixture(scope="module")
def base() -> list[dict[str, Any]]:
    return resources_of(BASE)


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    return found


# --- schema validation ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    definitions = load_json(K8S_SCHEMAS / "_definitions.json")
    registry: Registry = Resource.from_contents(definitions) @ Registry()
    kinds = {}
    for path in K8S_SCHEMAS.glob("*.json"):
        if path.name == "_definitions.json":
            continue
        schema = load_json(path)
        registry = Resource.from_contents(schema) @ registry
        for gvk in schema["x-kubernetes-group-version-kind"]:
            api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            kinds[(api_version, gvk["kind"])] = schema
    return {key: jsonschema.Draft202012Validator(schema, registry=registry) for key, schema in kinds.items()}


def validate(doc: dict[str, Any], validators: dict[tuple[str, str], Any]) -> None:
    key = (doc["apiVersion"], doc["kind"])
    if key in CRDS:
        validate_crd(doc)
        return
    assert key in validators, f"no vendored schema for {key}: vendor it (schemas/kubernetes/vendor.py)"
    errors = sorted(validators[key].iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, f"{doc['kind']}/{doc['metadata']['name']}: " + "; ".join(
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
    )


def validate_crd(doc: dict[str, Any]) -> None:
    """The prometheus-operator resources, checked by hand: their schemas live in the operator."""
    assert set(doc) == {"apiVersion", "kind", "metadata", "spec"}
    spec = doc["spec"]
    if doc["kind"] == "ServiceMonitor":
        assert set(spec) <= {"selector", "namespaceSelector", "endpoints", "jobLabel", "targetLabels"}
        for endpoint in spec["endpoints"]:
            assert set(endpoint) <= {"port", "path", "interval", "scrapeTimeout", "relabelings", "scheme"}
            for relabel in endpoint.get("relabelings", []):
                assert set(relabel) <= {"action", "sourceLabels", "targetLabel", "replacement", "regex"}
    else:
        assert set(spec) == {"groups"}
        for group in spec["groups"]:
            assert set(group) <= {"name", "interval", "rules"}


def test_vendored_schemas_refuse_a_misspelt_field(validators: dict[tuple[str, str], Any]) -> None:
    deployment: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {"spec": {"containers": [{"name": "x", "image": "x", "livenesProbe": {}}]}},
        },
    }
    with pytest.raises(AssertionError, match="livenesProbe"):
        validate(deployment, validators)
    deployment["spec"]["template"]["spec"]["containers"][0] = {"name": "x", "image": "x"}
    validate(deployment, validators)


@pytest.mark.parametrize("directory", [BASE, MONITORING, MONGODB], ids=lambda p: p.name)
def test_manifests_validate_against_kubernetes_1_30(directory: Path, validators: dict[Any, Any]) -> None:
    docs = resources_of(directory)
    assert docs
    for doc in docs:
        validate(doc, validators)


# --- kustomizations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kustomization", kustomizations(), ids=lambda p: p.parent.relative_to(K8S).as_posix()
)
def test_kustomization_lists_files_that_exist(kustomization: Path) -> None:
    directory = kustomization.parent
    spec = load_yaml(kustomization)
    assert spec["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert spec["kind"] == "Kustomization"
    for entry in spec.get("resources", []):
        target = (directory / entry).resolve()
        assert target.is_file() or (target / "kustomization.yaml").is_file(), f"{entry} does not exist"
    for entry in spec.get("patches", []):
        if "path" in entry:
            assert (directory / entry["path"]).is_file()
    for generator in spec.get("configMapGenerator", []) + spec.get("secretGenerator", []):
        for env_file in generator.get("envs", []) + generator.get("files", []):
            path = directory / env_file
            if generator in spec.get("secretGenerator", []) and not path.exists():
                # Real secrets are never committed: an example must stand in, and git must ignore them.
                assert path.with_name(path.name + ".example").is_file(), f"{env_file}.example is missing"
                assert git_ignores(path), f"{env_file} is not ignored by git"
            else:
                assert path.is_file(), f"{env_file} does not exist"


def git_ignores(path: Path) -> bool:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("git is not available")
    result = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=REPO, check=False)
    return result.returncode == 0


def test_every_resource_file_is_listed(base: list[dict[str, Any]]) -> None:
    for directory in (BASE, MONITORING):
        listed = set(load_yaml(directory / "kustomization.yaml")["resources"])
        present = {p.name for p in directory.glob("*.yaml") if p.name != "kustomization.yaml"}
        assert present == listed, f"{directory.name}: files not in the kustomization: {present - listed}"


# --- Deployments ------------------------------------------------------------------------------


def test_there_is_one_deployment_and_service_per_python_service(base: list[dict[str, Any]]) -> None:
    assert set(of_kind(base, "Deployment")) == set(SERVICES)
    assert set(of_kind(base, "Service")) == set(SERVICES)


@pytest.mark.parametrize("name", SERVICES)
def test_deployment_runs_the_service_module_on_its_port(base: list[dict[str, Any]], name: str) -> None:
    (container,) = containers(of_kind(base, "Deployment")[name])
    assert container["image"] == "signum"
    assert container["command"] == ["python", "-m", f"signum.{name}"]
    assert container["ports"] == [{"name": "http", "containerPort": PORTS[name], "protocol": "TCP"}]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env[f"SIGNUM_{name.upper()}_HOST"] == "0.0.0.0"
    assert env[f"SIGNUM_{name.upper()}_PORT"] == str(PORTS[name])


@pytest.mark.parametrize("name", SERVICES)
def test_deployment_probes_health_and_readiness(base: list[dict[str, Any]], name: str) -> None:
    (container,) = containers(of_kind(base, "Deployment")[name])
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    # Traffic follows what the pod itself needs (its database); a Kafka or service outage elsewhere
    # must not take every replica out of its Service (the full /readyz is for operators).
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz?scope=local", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    # /readyz runs each dependency check with a 3 s timeout: the probe must wait longer.
    assert container["readinessProbe"]["timeoutSeconds"] > 3


@pytest.mark.parametrize("name", SERVICES)
def test_deployment_sets_requests_and_limits(base: list[dict[str, Any]], name: str) -> None:
    (container,) = containers(of_kind(base, "Deployment")[name])
    resources = container["resources"]
    for kind in ("requests", "limits"):
        assert set(resources[kind]) == {"cpu", "memory"}, f"{name} {kind}"
    assert mebibytes(resources["requests"]["memory"]) <= mebibytes(resources["limits"]["memory"])
    assert millicores(resources["requests"]["cpu"]) <= millicores(resources["limits"]["cpu"])


def mebibytes(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024}
    return float(quantity[:-2]) * units[quantity[-2:]]


def millicores(quantity: str) -> float:
    return float(quantity[:-1]) if quantity.endswith("m") else float(quantity) * 1000


@pytest.mark.parametrize("name", SERVICES)
def test_deployment_is_non_root_with_a_read_only_root_filesystem(
    base: list[dict[str, Any]], name: str
) -> None:
    deployment = of_kind(base, "Deployment")[name]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    (container,) = containers(deployment)
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    # A read-only root still needs a writable /tmp (PDF rendering, uploads).
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


@pytest.mark.parametrize("name", SERVICES)
def test_deployment_selector_matches_its_pods(base: list[dict[str, Any]], name: str) -> None:
    deployment = of_kind(base, "Deployment")[name]
    selector = deployment["spec"]["selector"]["matchLabels"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items()
    assert selector == {"app.kubernetes.io/name": name}


@pytest.mark.parametrize("name", SERVICES)
def test_deployment_environment_uses_only_convention_variables(base: list[dict[str, Any]], name: str) -> None:
    (container,) = containers(of_kind(base, "Deployment")[name])
    assert container["envFrom"] == [{"configMapRef": {"name": "signum-config"}}]
    names = {e["name"] for e in container["env"]}
    assert names <= allowed_env(name), sorted(names - allowed_env(name))
    for entry in container["env"]:
        if "valueFrom" in entry:
            ref = entry["valueFrom"]["secretKeyRef"]
            assert ref["name"] == "signum-secrets"
            assert ref["key"] == entry["name"]
            assert entry["name"] in SECRET_ENV
        else:
            assert entry["name"] not in SECRET_ENV, f"{entry['name']} must come from the Secret"


def test_only_the_gateway_receives_the_gateway_secrets(base: list[dict[str, Any]]) -> None:
    for name, deployment in of_kind(base, "Deployment").items():
        names = {e["name"] for e in containers(deployment)[0]["env"]}
        assert ("SIGNUM_GATEWAY_OIDC_CLIENT_SECRET" in names) == (name == "gateway")


def test_only_optional_secrets_may_be_missing(base: list[dict[str, Any]]) -> None:
    for deployment in of_kind(base, "Deployment").values():
        for entry in containers(deployment)[0]["env"]:
            if "valueFrom" in entry:
                optional = entry["valueFrom"]["secretKeyRef"].get("optional", False)
                assert optional == (entry["name"] in OPTIONAL_SECRET_ENV), entry["name"]


def test_replicas_follow_the_plan(base: list[dict[str, Any]]) -> None:
    deployments = of_kind(base, "Deployment")
    hpas = of_kind(base, "HorizontalPodAutoscaler")
    assert set(hpas) == AUTOSCALED
    for name in AUTOSCALED:
        # An HPA-managed Deployment must not carry `replicas`, or every apply resets the scale.
        assert "replicas" not in deployments[name]["spec"]
        assert hpas[name]["spec"]["minReplicas"] >= 2
        assert hpas[name]["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert hpas[name]["spec"]["maxReplicas"] > hpas[name]["spec"]["minReplicas"]
    for name, replicas in FIXED_REPLICAS.items():
        assert deployments[name]["spec"]["replicas"] == replicas


def test_disruption_budgets_protect_the_replicated_services(base: list[dict[str, Any]]) -> None:
    deployments = of_kind(base, "Deployment")
    hpas = of_kind(base, "HorizontalPodAutoscaler")
    budgets = of_kind(base, "PodDisruptionBudget")
    assert set(budgets) == {"gateway", "routing", "drafting"}
    for name, budget in budgets.items():
        pods = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= pods.items()
        replicas = (
            hpas[name]["spec"]["minReplicas"] if name in hpas else deployments[name]["spec"]["replicas"]
        )
        # A budget as large as the replica count would block every node drain.
        assert 1 <= budget["spec"]["minAvailable"] < replicas


# --- Services and Ingress ---------------------------------------------------------------------


@pytest.mark.parametrize("name", SERVICES)
def test_service_targets_a_port_its_pods_expose(base: list[dict[str, Any]], name: str) -> None:
    service = of_kind(base, "Service")[name]
    selector = service["spec"]["selector"]
    selected = [
        d
        for d in of_kind(base, "Deployment").values()
        if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert [d["metadata"]["name"] for d in selected] == [name]
    exposed = {p["name"]: p["containerPort"] for c in containers(selected[0]) for p in c["ports"]}
    (port,) = service["spec"]["ports"]
    target = port["targetPort"]
    assert target in exposed or target in exposed.values(), f"{name} targets {target}, pods expose {exposed}"
    # The gateway and compose reach services at http://<name>:<convention port>.
    assert port["port"] == PORTS[name]


def test_ingress_sends_the_public_host_to_the_gateway_over_tls(base: list[dict[str, Any]]) -> None:
    ingress = of_kind(base, "Ingress")["gateway"]
    (rule,) = ingress["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    backend = path["backend"]["service"]
    assert backend["name"] == "gateway"
    gateway_ports = {p["name"] for p in of_kind(base, "Service")["gateway"]["spec"]["ports"]}
    assert backend["port"]["name"] in gateway_ports
    (tls,) = ingress["spec"]["tls"]
    assert tls["hosts"] == [rule["host"]]
    assert tls["secretName"]


def test_the_ingress_lets_through_every_body_the_gateway_accepts(base: list[dict[str, Any]]) -> None:
    """The gateway refuses an oversized upload with its own Spanish 413; a lower proxy limit would
    answer first with nginx's English page."""
    from signum.gateway.settings import Settings

    annotations = of_kind(base, "Ingress")["gateway"]["metadata"]["annotations"]
    size = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert size.endswith("m"), size
    largest = max(
        value
        for name, value in Settings().model_dump().items()
        if name.startswith("max_") and name.endswith("_bytes")
    )
    assert int(size[:-1]) * 1024 * 1024 > largest


def test_the_namespace_enforces_the_restricted_pod_security_standard(base: list[dict[str, Any]]) -> None:
    namespace = of_kind(base, "Namespace")["signum"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert load_yaml(BASE / "kustomization.yaml")["namespace"] == "signum"


# --- the optional MongoDB replica set ---------------------------------------------------------


@pytest.fixture(scope="module")
def mongodb() -> list[dict[str, Any]]:
    return resources_of(MONGODB)


def test_mongodb_is_a_three_member_replica_set_signum_connects_to(mongodb: list[dict[str, Any]]) -> None:
    """The StatefulSet's members, the set the init job initiates and the URL Signum is given
    (overlays/monterrey/secrets.env.example) name the same replica set and the same hosts."""
    (statefulset,) = of_kind(mongodb, "StatefulSet").values()
    service = of_kind(mongodb, "Service")[statefulset["spec"]["serviceName"]]
    assert service["spec"]["clusterIP"] == "None", "members need stable names: a headless Service"
    assert service["spec"]["publishNotReadyAddresses"] is True
    namespace = load_yaml(MONGODB / "kustomization.yaml")["namespace"]
    replicas = statefulset["spec"]["replicas"]
    assert replicas == 3
    hosts = [
        f"{statefulset['metadata']['name']}-{i}.{service['metadata']['name']}.{namespace}.svc:27017"
        for i in range(replicas)
    ]

    (mongod,) = containers(statefulset)
    args = mongod["args"]
    replica_set = args[args.index("--replSet") + 1]
    key_file = args[args.index("--keyFile") + 1]
    assert any(key_file.startswith(m["mountPath"] + "/") for m in mongod["volumeMounts"])

    script = (MONGODB / "init-replica-set.js").read_text(encoding="utf-8")
    assert f'rs.initiate({{ _id: "{replica_set}", members }})' in script
    members = re.search(
        r"const members = \[([\d, ]+)\]\.map\(\(i\) => \(\{ _id: i, host: `([^`]+)` \}\)\)", script
    )
    assert members, "the init script does not list the members"
    listed = [members.group(2).replace("${i}", i.strip()) for i in members.group(1).split(",")]
    assert listed == hosts

    job = of_kind(mongodb, "Job")["mongo-init"]
    assert any(hosts[0].removesuffix(":27017") in a for a in containers(job)[0]["command"])

    url = urlsplit(read_env_file(OVERLAY / "secrets.env.example")["SIGNUM_MONGO_URL"])
    assert url.netloc.split("@", 1)[1].split(",") == hosts
    assert parse_qs(url.query)["replicaSet"] == [replica_set]
    assert url.netloc.split(":", 1)[0] == "signum"  # the user the init job creates
    assert 'createUser({ user: "signum"' in script
    for service_name in SERVICES:
        assert f"signum_{service_name}" in script or "`signum_${s}`" in script


def test_mongodb_pods_are_locked_down(mongodb: list[dict[str, Any]]) -> None:
    namespace = of_kind(mongodb, "Namespace")["mongodb"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for workload in [*of_kind(mongodb, "StatefulSet").values(), *of_kind(mongodb, "Job").values()]:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in pod.get("initContainers", []) + pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert container["resources"]["limits"]["memory"]
    (budget,) = of_kind(mongodb, "PodDisruptionBudget").values()
    assert budget["spec"]["maxUnavailable"] == 1  # a majority of three stays up


def test_the_mongodb_credentials_example_has_the_keys_the_pods_read(mongodb: list[dict[str, Any]]) -> None:
    example = read_env_file(MONGODB / "credentials.env.example")
    read: set[str] = set()
    for workload in [*of_kind(mongodb, "StatefulSet").values(), *of_kind(mongodb, "Job").values()]:
        pod = workload["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            read |= {
                e["valueFrom"]["secretKeyRef"]["key"] for e in container.get("env", []) if "valueFrom" in e
            }
        for volume in pod.get("volumes", []):
            read |= {item["key"] for item in volume.get("secret", {}).get("items", [])}
    assert set(example) == read
    assert all(v == "root" or "REPLACE_ME" in v for v in example.values())


# --- configuration and secrets ----------------------------------------------------------------


def test_config_holds_only_known_non_secret_variables() -> None:
    for path in (BASE / "config.env", OVERLAY / "config.env"):
        keys = set(read_env_file(path))
        assert keys <= all_known_env(), f"{path}: unknown {sorted(keys - all_known_env())}"
        assert not keys & SECRET_ENV, f"{path}: secrets belong in signum-secrets"


def test_config_points_the_gateway_at_each_service() -> None:
    config = read_env_file(BASE / "config.env")
    for service in INTERNAL_SERVICES:
        assert config[f"SIGNUM_GATEWAY_{service.upper()}_URL"] == f"http://{service}:{PORTS[service]}"
    assert config["SIGNUM_ENVIRONMENT"] == "production"


def test_the_overlay_sets_every_placeholder_of_the_base() -> None:
    base_config = read_env_file(BASE / "config.env")
    placeholders = {k for k, v in base_config.items() if "REPLACE_ME" in v}
    assert placeholders >= {"SIGNUM_KAFKA_URL", "SIGNUM_S3_URL"}
    overlay = read_env_file(OVERLAY / "config.env")
    assert placeholders <= set(overlay)
    assert not [k for k, v in overlay.items() if "REPLACE_ME" in v]


def test_the_secret_example_has_exactly_the_keys_the_deployments_read(base: list[dict[str, Any]]) -> None:
    example = read_env_file(OVERLAY / "secrets.env.example")
    read = {
        e["valueFrom"]["secretKeyRef"]["key"]
        for d in of_kind(base, "Deployment").values()
        for e in containers(d)[0]["env"]
        if "valueFrom" in e
    }
    assert set(example) == read == SECRET_ENV
    for key, value in example.items():
        if key in OPTIONAL_SECRET_ENV:
            assert value == "", f"{key}: optional secrets stay empty in the example"
        else:
            assert "REPLACE_ME" in value, f"{key}: the example must not hold a usable value"


def test_the_public_url_is_the_https_ingress_host() -> None:
    config = read_env_file(BASE / "config.env") | read_env_file(OVERLAY / "config.env")
    assert config["SIGNUM_GATEWAY_PUBLIC_URL"] == "https://signum.monterrey.gob.mx"


def test_the_overlay_sets_monterrey_host_and_image() -> None:
    overlay = load_yaml(OVERLAY / "kustomization.yaml")
    assert overlay["resources"] == ["../../base"]
    (image,) = overlay["images"]
    assert image["name"] == "signum"
    assert image["newTag"] not in {"latest", ""}
    patches = "\n".join(p.get("patch", "") for p in overlay["patches"])
    assert "value: signum.monterrey.gob.mx" in patches


# --- monitoring -------------------------------------------------------------------------------


def test_prometheus_rule_is_exactly_the_compose_rules_and_alerts() -> None:
    (rule,) = load_yaml_all(MONITORING / "prometheusrule.yaml")
    rules = load_yaml(DEPLOY / "prometheus" / "rules.yml")["groups"]
    alerts = load_yaml(DEPLOY / "prometheus" / "alerts.yml")["groups"]
    assert rule["spec"]["groups"] == rules + alerts, "regenerate deploy/k8s/monitoring/prometheusrule.yaml"


def test_service_monitor_scrapes_every_service_with_the_rule_labels(base: list[dict[str, Any]]) -> None:
    (monitor,) = load_yaml_all(MONITORING / "servicemonitor.yaml")
    selector = monitor["spec"]["selector"]["matchLabels"]
    common = load_yaml(BASE / "kustomization.yaml")["labels"][0]["pairs"]
    assert selector.items() <= common.items(), "the base must label every Service the monitor selects"
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    for service in of_kind(base, "Service").values():
        assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    targets = {r["targetLabel"]: r for r in endpoint["relabelings"]}
    assert targets["job"]["replacement"] == "signum"
    assert targets["service"]["sourceLabels"] == ["__meta_kubernetes_service_label_app_kubernetes_io_name"]


# --- the real kustomize build, when kubectl is installed ---------------------------------------


@pytest.fixture(scope="module")
def built_overlay(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (it builds kustomizations offline)")
    work = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, work)
    overlay = work / "overlays" / "monterrey"
    shutil.copy(overlay / "secrets.env.example", overlay / "secrets.env")
    result = subprocess.run(
        [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def test_built_mongodb_validates_against_kubernetes_1_30(tmp_path: Path, validators: dict[Any, Any]) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (it builds kustomizations offline)")
    work = tmp_path / "mongodb"
    shutil.copytree(MONGODB, work)
    shutil.copy(work / "credentials.env.example", work / "credentials.env")
    result = subprocess.run(
        [kubectl, "kustomize", str(work)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    built = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert {d["kind"] for d in built} == {
        "Namespace",
        "ConfigMap",
        "Secret",
        "Service",
        "StatefulSet",
        "PodDisruptionBudget",
        "Job",
    }
    generated = {d["kind"]: d["metadata"]["name"] for d in built if d["kind"] in {"ConfigMap", "Secret"}}
    for doc in built:
        assert doc["metadata"].get("namespace", "mongodb") == "mongodb"
        validate(doc, validators)
        text = yaml.safe_dump(doc)
        if doc["kind"] in {"StatefulSet", "Job"}:
            assert "name: mongo-credentials\n" not in text
            assert "secretName: mongo-credentials\n" not in text
            assert generated["Secret"] in text


def test_built_overlay_validates_against_kubernetes_1_30(
    built_overlay: list[dict[str, Any]], validators: dict[Any, Any]
) -> None:
    kinds = {d["kind"] for d in built_overlay}
    assert kinds == {
        "Namespace",
        "ConfigMap",
        "Secret",
        "Service",
        "Deployment",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "Ingress",
    }
    for doc in built_overlay:
        assert doc["metadata"].get("namespace", "signum") == "signum"
        validate(doc, validators)


def test_built_overlay_references_only_generated_objects(built_overlay: list[dict[str, Any]]) -> None:
    config_maps = set(of_kind(built_overlay, "ConfigMap"))
    secrets = set(of_kind(built_overlay, "Secret"))
    assert len(config_maps) == len(secrets) == 1
    for deployment in of_kind(built_overlay, "Deployment").values():
        (container,) = containers(deployment)
        assert container["image"] == "registry.monterrey.gob.mx/signum/signum:0.1.0"
        assert {e["configMapRef"]["name"] for e in container["envFrom"]} <= config_maps
        for entry in container["env"]:
            if "valueFrom" in entry:
                assert entry["valueFrom"]["secretKeyRef"]["name"] in secrets
        assert deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/part-of"] == "signum"
    ingress = of_kind(built_overlay, "Ingress")["gateway"]
    assert ingress["spec"]["rules"][0]["host"] == "signum.monterrey.gob.mx"
    assert ingress["spec"]["tls"][0]["hosts"] == ["signum.monterrey.gob.mx"]


def test_built_overlay_config_has_no_placeholder(built_overlay: list[dict[str, Any]]) -> None:
    (config,) = of_kind(built_overlay, "ConfigMap").values()
    assert not [k for k, v in config["data"].items() if "REPLACE_ME" in v]
    assert set(config["data"]) <= all_known_env()


@pytest.mark.parametrize("service", SERVICES)
def test_every_address_a_service_calls_is_configured(service: str) -> None:
    config = read_env_file(BASE / "config.env") | read_env_file(OVERLAY / "config.env")
    missing = sorted(set(loopback_addresses(service)) - set(config))
    assert not missing, f"{service}: set {missing} in config.env (defaults point at 127.0.0.1)"
    for name in loopback_addresses(service):
        assert "127.0.0.1" not in config[name], name
        assert "localhost" not in config[name], name


# --- Grafana dashboards for the sidecar --------------------------------------------------------

GRAFANA_DASHBOARDS = DEPLOY / "grafana" / "dashboards"


def test_dashboard_copies_are_exactly_the_compose_dashboards() -> None:
    originals = {p.name: p.read_bytes() for p in GRAFANA_DASHBOARDS.glob("*.json")}
    copies = {p.name: p.read_bytes() for p in (MONITORING / "dashboards").glob("*.json")}
    assert copies == originals, "cp deploy/grafana/dashboards/*.json deploy/k8s/monitoring/dashboards/"


def test_dashboards_config_map_is_labelled_for_the_grafana_sidecar() -> None:
    (generator,) = load_yaml(MONITORING / "kustomization.yaml")["configMapGenerator"]
    assert sorted(generator["files"]) == sorted(
        f"dashboards/{p.name}" for p in GRAFANA_DASHBOARDS.glob("*.json")
    )
    assert generator["options"]["labels"]["grafana_dashboard"] == "1"
    assert generator["options"]["annotations"]["grafana_folder"] == "Signum"


def test_built_monitoring_holds_every_dashboard(validators: dict[tuple[str, str], Any]) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (it builds kustomizations offline)")
    result = subprocess.run(
        [kubectl, "kustomize", str(MONITORING)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    built = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert {d["kind"] for d in built} == {"ConfigMap", "PrometheusRule", "ServiceMonitor"}
    (config,) = of_kind(built, "ConfigMap").values()
    validate(config, validators)
    assert config["metadata"]["namespace"] == "signum"
    assert {name: json.loads(text) for name, text in config["data"].items()} == {
        p.name: load_json(p) for p in GRAFANA_DASHBOARDS.glob("*.json")
    }
