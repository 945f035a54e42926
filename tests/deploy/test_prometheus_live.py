"""A real Prometheus (Debian's package) scrapes this run's service processes with the repository's
rule files while a scripted workload of oficios goes through the whole flow; then every
expression of every Grafana panel and every recording and alert rule is evaluated through
Prometheus' HTTP API. Each must return data, except the ones listed in MAY_BE_EMPTY (with why)
and those reading the business gauges the metrics service does not expose yet
(NOT_YET_EXPOSED): those must evaluate without error.

The business figures are checked against what the workload did in one place,
`business_expectations`, for each gauge the metrics service exposes.
"""

from __future__ import annotations

import contextlib
import math
import re
import shutil
import subprocess
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from signum.contracts import Actor
from signum.gateway.directory.demo import curp_for, rfc_for, to_csv
from signum.gateway.directory.repository import DirectoryRepository
from signum.gateway.directory.service import DirectoryService
from signum.gateway.identity import passwords
from signum.gateway.identity.repository import IdentityRepository
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings
from signum.testing.kafka import eventually
from signum.testing.people import PASSWORD, Person, World, wait_for_read_models
from signum.testing.processes import ServiceProcess, free_port
from tests.deploy.conventions import (
    BUSINESS_METRICS,
    DEPLOY,
    RULE_FILES,
    load_json,
    promql_metric_names,
    promql_name_regexes,
    recording_rules,
    rule_groups,
)
from tests.routing.helpers import content, new_draft, ok, review_finalize_sign, save_content, wait_item

pytestmark = pytest.mark.stack

PROMETHEUS_BINARY = "/usr/bin/prometheus"  # Debian's package `prometheus` (deploy/local/system-deps.sh)
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
# What Grafana puts in place of the dashboards' variables: every service and dependencia, and a
# rate window as wide as the recordings' (the workload fits in it).
VARIABLES = {"service": ".+", "dependencia": ".+", "__rate_interval": "5m"}

# Expressions that may rightly be empty on a healthy platform, by where they are, and why.
MAY_BE_EMPTY = {
    "signum:readyz_failures:rate5m": "only /readyz answers 503 count, and a healthy service answers 200",
    "signum:dlq_messages:increase15m": "no event is dead-lettered in a healthy run",
    "signum:consumer_retries:rate5m": "no event handler fails in a healthy run",
    "signum-plataforma / Fallas de /readyz por minuto": "/readyz answers 200 on a healthy service",
    "signum-plataforma / Tasa de errores 5xx": "a healthy run answers no 5xx",
    "signum-plataforma / Mensajes enviados a la DLQ (últimos 15 min)": "no event is dead-lettered",
    "signum-plataforma / Reintentos de consumidores": "no event handler fails",
    "signum-plataforma / Excepciones al procesar mensajes": "the consumer catches what a handler raises",
}
# Alerts are expected quiet on a healthy platform: their expression is evaluated, and every series
# it reads must have data (so the alert would fire when the values cross its threshold).
# The business gauges of the contract (deploy/grafana/README.md) the metrics service does not
# expose yet. The test fails when it exposes one of them: then take it out of this set, and what
# reads it must have data and equal the workload (business_expectations).
NOT_YET_EXPOSED: frozenset[str] = frozenset()


# --- the workload ---------------------------------------------------------------------------------

DEPENDENCIA = "OBS"
UNIT_SENDER, UNIT_RECEIVER = "OBS-EMI", "OBS-REC"
OBSERVED = (
    # key, employee number, unit, puesto, title, reports to, names, born
    (
        "emisor@OBS",
        "96001",
        UNIT_SENDER,
        "OBS-EMI-TIT",
        "Director de Emisión",
        "",
        ("Rosa", "Garza", "Ibarra"),
        date(1981, 3, 4),
    ),
    (
        "receptor@OBS",
        "96002",
        UNIT_RECEIVER,
        "OBS-REC-TIT",
        "Director de Recepción",
        "",
        ("Mario", "Leal", "Sada"),
        date(1979, 6, 12),
    ),
)


@dataclass
class Workload:
    """What the scripted workload did, as the test counts it (independently of the platform)."""

    dependencia: str
    sent: list[str] = field(default_factory=list)  # oficio ids the dependencia sent, answers included
    delivery_state: dict[str, str] = field(default_factory=dict)  # received oficio id -> state at the end
    sealed: int = 0  # acuses sealed
    started: float = field(default_factory=time.monotonic)

    @property
    def signed(self) -> int:
        """PDFs rendered and signed with an e.firma: one per oficio sent."""
        return len(self.sent)


def business_expectations(work: Workload) -> dict[str, float]:
    """PromQL -> the value the workload implies: the business figures' checks, all in one place.

    Only checked for gauges not in NOT_YET_EXPOSED. The dependencia both sends and receives every
    oficio of the workload, and nothing else does."""
    dep = f'dependencia="{work.dependencia}"'
    # Every oficio the dependencia wrote was sent; none is left in another state.
    expected = {
        f'sum(signum_metrics_oficios{{{dep}, estado="{estado}"}})': float(
            len(work.sent) if estado == "enviado" else 0
        )
        for estado in ("borrador", "en_revision", "listo_para_firma", "firmado", "enviado", "cancelado")
    }
    # Nothing of the workload had a deadline, so nothing is overdue.
    expected[f"sum(signum_metrics_overdue_deliveries{{{dep}}})"] = 0.0
    # One answer, the day the oficio arrived: 0 working days, and less time than the test took.
    expected[f"max(signum_metrics_response_p90_working_days{{{dep}}})"] = 0.0
    elapsed = time.monotonic() - work.started
    expected[f"count(signum_metrics_response_p90_seconds{{{dep}}} > 0 <= {elapsed:.0f})"] = 1.0
    # Savings depend on the configured unit costs; sending oficios saves something of each kind.
    for gauge in ("mxn", "sheets", "co2_kilograms", "transit_hours"):
        expected[f"count(signum_metrics_savings_{gauge}{{{dep}}} > 0)"] = 1.0
    return expected


async def seed_observed_dependencia(env: dict[str, str], world: World) -> None:
    """A dependencia of this test's own (a sending and a receiving unit), so the business figures
    count only the workload's oficios whatever else the session sends."""
    rows, people = [], {}
    for key, numero, unidad, puesto, titulo, reporta, (nombre, paterno, materno), born in OBSERVED:
        person = Person(key, numero, nombre, paterno, materno, unidad, "titular", born)
        people[key] = person
        rows.append(
            {
                "dependencia_clave": DEPENDENCIA,
                "dependencia_nombre": "Secretaría de Observación",
                "unidad_clave": unidad,
                "unidad_nombre": titulo.replace("Director", "Dirección"),
                "unidad_padre": "",
                "prefijo_folio": unidad.replace("-", "/"),
                "puesto_clave": puesto,
                "puesto_titulo": titulo,
                "reporta_a": reporta,
                "es_titular": "sí",
                "numero_empleado": numero,
                "nombre": nombre,
                "apellido_paterno": paterno,
                "apellido_materno": materno,
                "correo": person.correo,
                "rfc": rfc_for(nombre, paterno, materno, born, "O1"),
                "curp": curp_for(nombre, paterno, materno, born, "M", "NL"),
                "roles": "",
            }
        )
    infra = InfraSettings(mongo_url=env["SIGNUM_MONGO_URL"], mongo_db_prefix=env["SIGNUM_MONGO_DB_PREFIX"])
    client = build_mongo_client(infra)
    db: Any = client[infra.database_name("gateway")]
    try:
        directory = DirectoryService(DirectoryRepository(db))
        await directory.import_csv(to_csv(rows), actor=Actor.system("tests"), correlation_id="seed-obs")
        accounts = IdentityRepository(db)
        hashed = passwords.hash_password(PASSWORD)
        for person in people.values():
            await accounts.upsert_account(
                person.numero_empleado, person.correo, hashed, debe_cambiar=False, now=datetime.now(UTC)
            )
        await wait_for_read_models(client, infra, [p.numero_empleado for p in people.values()])
    finally:
        client.close()
    world.people.update(people)


def efirma_of(pki: Any, person: Person) -> Any:
    """The person's e.firma from the test PKI, with the RFC and CURP the directory has for them."""
    rfc = rfc_for(person.nombre, person.paterno, person.materno, person.born, "O1")
    curp = curp_for(person.nombre, person.paterno, person.materno, person.born, "M", "NL")
    full = f"{person.nombre} {person.paterno} {person.materno}"
    sat = unicodedata.normalize("NFKD", full).encode("ascii", "ignore").decode("ascii").upper()
    return pki.fiel_for(sat, rfc, curp)


async def run_workload(world: World, pki: Any) -> Workload:
    """Three oficios from one unit to the other, each drafted, finalized (PDF rendered) and signed
    with an e.firma. The receiver acknowledges two (their acuses sealed): one is concluded and
    archived, the other answered with an oficio of its own (drafted, signed, sent back); the third
    is left waiting in the inbox."""
    work = Workload(DEPENDENCIA)
    author, receiver = "emisor@OBS", "receptor@OBS"
    credential = efirma_of(pki, world.people[author])
    for n in range(3):
        oficio_id = await new_draft(world, author, f"Informe de observación {n + 1}")
        body = content(world, author, [author], [{"tipo": "unidad", "id": UNIT_RECEIVER}])
        await save_content(world, author, oficio_id, body)
        await review_finalize_sign(world, oficio_id, author, None, [(author, credential)])
        work.sent.append(oficio_id)
    inbox = await world.as_(receiver)
    entregas = {}
    for oficio_id in list(work.sent):
        entregas[oficio_id] = (await wait_item(world, receiver, oficio_id))["entrega_id"]
        work.delivery_state[oficio_id] = "enviado"
    archived, answered, _ = work.sent
    for oficio_id in (archived, answered):
        entrega = entregas[oficio_id]
        ok(await inbox.post(f"/api/v1/entregas/{entrega}/acuse", json={"forma": "apertura"}))
        work.delivery_state[oficio_id] = "recibido"

        async def sealed(entrega: str = entrega) -> Any:
            d = ok(await inbox.get(f"/api/v1/entregas/{entrega}"))
            return d["acuse"] if d.get("acuse") and d["acuse"].get("clave") else None

        await eventually(sealed, within=60, interval=0.5)
        work.sealed += 1

    ok(
        await inbox.post(
            f"/api/v1/entregas/{entregas[archived]}/conclusion",
            json={"motivo": "Enterado; sin acciones pendientes."},
        )
    )
    ok(await inbox.post(f"/api/v1/entregas/{entregas[archived]}/archivo"))
    work.delivery_state[archived] = "archivado"
    await wait_item(world, receiver, archived, carpeta="archivados")

    answer = ok(await inbox.post(f"/api/v1/entregas/{entregas[answered]}/respuesta", json={}), 201)
    emisor = world.people[author].numero_empleado
    reply = content(world, receiver, [receiver], [{"tipo": "funcionario", "id": emisor}])
    await save_content(world, receiver, answer["id"], reply)
    await review_finalize_sign(
        world, answer["id"], receiver, None, [(receiver, efirma_of(pki, world.people[receiver]))]
    )
    work.sent.append(answer["id"])

    async def answered_state() -> Any:
        d = ok(await inbox.get(f"/api/v1/entregas/{entregas[answered]}"))
        return d if d["estado"] == "respondido" else None

    await eventually(answered_state, within=60, interval=0.5)
    work.delivery_state[answered] = "respondido"
    await wait_item(world, author, answer["id"])
    return work


# --- Prometheus -------------------------------------------------------------------------------


@dataclass
class Prometheus:
    """A Prometheus server process of this test and its HTTP API."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query now: the result vector; fails on any error Prometheus reports."""
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=30)
        body = response.json()
        assert response.status_code == 200, f"{expr}: {body}"
        assert body["status"] == "success", f"{expr}: {body}"
        assert body["data"]["resultType"] == "vector", expr
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def get(self, path: str) -> Any:
        body = httpx.get(f"{self.url}{path}", timeout=30).json()
        assert body["status"] == "success", body
        return body["data"]


def scrape_config(platform: dict[str, ServiceProcess], port: int) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with this run's targets and intervals of a second."""
    config: dict[str, Any] = yaml.safe_load(
        (DEPLOY / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    )
    config["global"] |= {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(DEPLOY / "prometheus" / name) for name in RULE_FILES]
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "signum"]
    job["static_configs"] = [
        {"targets": [f"127.0.0.1:{proc.port}"], "labels": {"service": name}}
        for name, proc in platform.items()
    ]
    (own,) = [j for j in config["scrape_configs"] if j["job_name"] == "prometheus"]
    own["static_configs"] = [{"targets": [f"127.0.0.1:{port}"]}]
    return config


@pytest.fixture(scope="module")
def prometheus(
    platform: dict[str, ServiceProcess], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prometheus]:
    assert shutil.which(PROMETHEUS_BINARY), "install Debian's prometheus: make system-deps"
    base = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    config = base / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(platform, port)), encoding="utf-8")
    log = base / "prometheus.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                PROMETHEUS_BINARY,
                f"--config.file={config}",
                f"--storage.tsdb.path={base / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Prometheus(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_ready(server: Prometheus, within: float = 60) -> None:
    """Until /-/ready answers 200 and every Signum target has been scraped up."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"prometheus exited; see {server.log}"
        try:
            if httpx.get(f"{server.url}/-/ready", timeout=2).status_code == 200:
                targets = server.get("/api/v1/targets")["activeTargets"]
                signum = [t for t in targets if t["labels"]["job"] == "signum"]
                if signum and all(t["health"] == "up" for t in signum):
                    return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"prometheus did not scrape every service within {within:.0f} s; see {server.log}")


# --- what to evaluate -------------------------------------------------------------------------


def substitute(expr: str) -> str:
    """A panel's query as Grafana sends it with every service and dependencia selected."""
    return re.sub(r"\$\{?(\w+)\}?", lambda m: VARIABLES[m.group(1)], expr)


def reads(expr: str) -> set[str]:
    """Series names an expression reads, the `{__name__=~...}` regexes included."""
    return promql_metric_names(expr) | set(promql_name_regexes(expr))


def reads_pending_business_gauge(expr: str) -> bool:
    recorded = recording_rules()
    names = promql_metric_names(expr)
    for name in list(names):
        if name in recorded:
            names |= promql_metric_names(recorded[name])
    return bool(names & NOT_YET_EXPOSED)


def dashboard_expressions() -> list[tuple[str, str]]:
    """(where, expression) of every panel query and query variable of every dashboard."""
    found = []
    for path in DASHBOARDS:
        dashboard = load_json(path)
        panels = [p for top in dashboard["panels"] for p in [top, *top.get("panels", [])]]
        for panel in panels:
            targets = panel.get("targets", [])
            for target in targets:
                suffix = f" [{target['refId']}]" if len(targets) > 1 else ""
                found.append((f"{dashboard['uid']} / {panel['title']}{suffix}", substitute(target["expr"])))
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                series = re.sub(r"label_values\((.*),\s*\w+\)", r"\1", variable["definition"])
                found.append((f"{dashboard['uid']} / variable {variable['name']}", substitute(series)))
    return found


def rule_expressions() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(name, expression) of every recording rule and of every alert."""
    records, alerts = [], []
    for group in rule_groups():
        for rule in group["rules"]:
            if "record" in rule:
                records.append((rule["record"], rule["expr"]))
            else:
                alerts.append((rule["alert"], rule["expr"]))
    return records, alerts


def has_data(result: list[dict[str, Any]]) -> bool:
    """At least one series with a number (not NaN: a quantile of nothing is NaN)."""
    return any(not math.isnan(float(sample["value"][1])) for sample in result)


# --- the test ---------------------------------------------------------------------------------


async def test_every_panel_and_rule_evaluates_on_real_prometheus_after_a_workload(
    prometheus: Prometheus, world: World, stack_env: dict[str, str], signing_pki: Any
) -> None:
    await seed_observed_dependencia(stack_env, world)
    before = work_counts(prometheus)
    work = await run_workload(world, signing_pki[0])
    assert len(work.sent) == 4
    assert work.sealed == 2

    # The rule files load and evaluate on this Prometheus.
    groups = prometheus.get("/api/v1/rules")["groups"]
    loaded = {rule["name"]: rule for group in groups for rule in group["rules"]}
    records, alerts = rule_expressions()
    assert set(loaded) == {name for name, _ in records + alerts}

    # The metrics service exposes only names of the contract, and none NOT_YET_EXPOSED is there.
    exposed_business = {
        s["metric"]["__name__"]
        for s in prometheus.query('{__name__=~"signum_metrics_.+", job="signum", dependencia!=""}')
    }
    assert exposed_business <= set(BUSINESS_METRICS), exposed_business - set(BUSINESS_METRICS)
    assert not exposed_business & NOT_YET_EXPOSED, (
        f"the metrics service now exposes {sorted(exposed_business & NOT_YET_EXPOSED)}: "
        "take them out of NOT_YET_EXPOSED"
    )

    must_have: dict[str, str] = {}
    quiet: dict[str, str] = {}
    for where, expr in [*dashboard_expressions(), *records]:
        if where in MAY_BE_EMPTY or reads_pending_business_gauge(expr):
            quiet[where] = expr
        else:
            must_have[where] = expr
    alert_inputs: dict[str, str] = {}
    for name, expr in alerts:
        quiet[f"alert {name}"] = expr
        for series in promql_metric_names(expr):
            if series not in NOT_YET_EXPOSED and not reads_pending_business_gauge(series):
                alert_inputs[f"alert {name} reads {series}"] = series

    # Wait for the thing itself: the sampled gauges (every 15 s in the services) and the recordings.
    def missing() -> dict[str, str]:
        wanted = must_have | {w: s for w, s in alert_inputs.items() if s not in MAY_BE_EMPTY}
        return {where: expr for where, expr in wanted.items() if not has_data(prometheus.query(expr))}

    async def none_missing() -> bool:
        return not missing()

    with contextlib.suppress(AssertionError):  # the assertion below says what has no data
        await eventually(none_missing, within=90, interval=1.0)
    still = missing()
    assert not still, "no data:\n" + "\n".join(f"  {w}: {e}" for w, e in still.items())
    assert len(must_have) > 40, sorted(must_have)

    # A healthy platform catches up: every consumer group has read everything and every outbox is
    # empty (the services sample both every 15 s).
    async def caught_up() -> bool:
        lag = prometheus.query("max(signum:consumer_lag_messages)")
        age = prometheus.query("max(signum:outbox_oldest_pending_age_seconds)")
        pending = prometheus.query("max(signum:outbox_pending_events)")
        return all(float(r[0]["value"][1]) == 0 for r in (lag, age, pending))

    await eventually(caught_up, within=60, interval=1.0)

    # Expected empty on a healthy platform: they evaluate, whatever they return.
    for expr in quiet.values():
        prometheus.query(expr)
    for where in MAY_BE_EMPTY:
        assert where in quiet, f"MAY_BE_EMPTY names {where!r}, which no panel or rule is"
    # The business figures equal what the workload did, once the metrics service has applied the
    # workload's events and computed its gauges again (every SIGNUM_METRICS_GAUGES_SECONDS).
    checks = {e: v for e, v in business_expectations(work).items() if not reads(e) & NOT_YET_EXPOSED}

    def wrong() -> dict[str, str]:
        found = {}
        for expr, expected in checks.items():
            result = prometheus.query(expr)
            if not result or float(result[0]["value"][1]) != expected:
                found[expr] = f"{result}, expected {expected}"
        return found

    async def figures_match() -> bool:
        return not wrong()

    with contextlib.suppress(AssertionError):  # the assertion below says which figure differs
        await eventually(figures_match, within=90, interval=1.0)
    differ = wrong()
    assert not differ, "business figures:\n" + "\n".join(f"  {e}: {r}" for e, r in differ.items())

    # The durations the services observed: exactly the workload's PDFs and signatures; at least its
    # seals (routing asks again for an acuse not sealed within seconds, and a second seal of the
    # same acuse, made meanwhile, is real work that loses the race to store it).
    def grown() -> dict[str, float]:
        now = work_counts(prometheus)
        return {k: now[k] - before[k] for k in now}

    async def all_scraped() -> bool:
        made = grown()
        return min(made["renders"], made["signatures"]) >= work.signed and made["seals"] >= work.sealed

    with contextlib.suppress(AssertionError):  # scraped within a second or two
        await eventually(all_scraped, within=30, interval=0.5)
    made = grown()
    assert made["renders"] == work.signed
    assert made["signatures"] == work.signed
    assert made["seals"] >= work.sealed


def work_counts(prometheus: Prometheus) -> dict[str, float]:
    """PDFs rendered, signatures made with an e.firma and acuses sealed so far, as scraped."""
    queries = {
        "renders": 'sum(signum_drafting_pdf_render_duration_seconds_count{job="signum"})',
        "signatures": (
            'sum(signum_signing_signature_duration_seconds_count{job="signum", method="credential"})'
        ),
        "seals": 'sum(signum_signing_seal_duration_seconds_count{job="signum"})',
    }
    counts = {}
    for name, expr in queries.items():
        result = prometheus.query(expr)
        counts[name] = float(result[0]["value"][1]) if result else 0.0
    return counts
