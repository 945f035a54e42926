"""Kafka: a single KRaft node (broker and controller in one JVM) from Maven Central's jars."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from signum.localstack import toolchain
from signum.localstack.cache import content_hash, provision, run_build
from signum.localstack.errors import ServerFailed
from signum.localstack.health import kafka_ready
from signum.localstack.paths import ServerHome, cache_dir, deploy_dir
from signum.localstack.processes import log_tail
from signum.localstack.profiles import KAFKA_URL_ENV, Profile
from signum.localstack.server import Launch, Progress, Server

# Kafka's own default maximum (kafka-server-start.sh): a stack shared by many test runs holds
# thousands of topics (a namespace per test), and 512 MB ran out at about 13,600 partitions.
HEAP = ("-Xms128m", "-Xmx1g")

LOG4J2_YAML = """\
# Written by signum.localstack at every start; edits are lost.
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      # A line a minute about the controller's event queue is noise on a laptop.
      - name: org.apache.kafka.controller.EventPerformanceMonitor
        level: WARN
      # Every configuration in full (hundreds of lines) at each start; server.properties says it.
      - name: org.apache.kafka.common.config.AbstractConfig
        level: WARN
"""


def pom_path() -> Path:
    return deploy_dir() / "kafka" / "pom.xml"


def kafka_version(pom: Path | None = None) -> str:
    """The Kafka version the pom asks for (its `kafka.version` property)."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    tree = ET.parse(pom or pom_path())  # noqa: S314 - our own file from the checkout
    version = tree.findtext("m:properties/m:kafka.version", namespaces=ns)
    if not version:
        raise ValueError(f"{pom or pom_path()} has no <kafka.version> property")
    return version.strip()


def cache_key(pom: Path | None = None) -> str:
    """`kafka-<version>-<hash of the pom>`: a changed pom downloads a new set of jars."""
    pom = pom or pom_path()
    return f"kafka-{kafka_version(pom)}-{content_hash(pom)}"


def render_properties(profile: Profile, data_dir: Path) -> str:
    """server.properties of a single node that is both broker and controller, on loopback."""
    port, controller = profile.kafka_port, profile.kafka_controller_port
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "3",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "true",
    }
    lines = ["# Written by signum.localstack at every start; edits are lost."]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def new_cluster_id() -> str:
    """A cluster id as `kafka-storage random-uuid` makes them, without starting a JVM for it."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):  # Kafka refuses ids that look like a CLI option
            return cluster_id


class Kafka(Server):
    name = "kafka"
    url_env = KAFKA_URL_ENV
    start_timeout = 90.0
    stop_timeout = 30.0  # a KRaft node's clean shutdown takes up to ~10 s

    def url(self, profile: Profile) -> str:
        return f"127.0.0.1:{profile.kafka_port}"

    def ports(self, profile: Profile) -> tuple[int, ...]:
        return (profile.kafka_port, profile.kafka_controller_port)

    def implementation(self) -> str:
        return f"Kafka {kafka_version()}"

    def check_toolchain(self) -> None:
        toolchain.java()
        if not (cache_dir() / cache_key()).is_dir():
            toolchain.maven()

    def prepare(self, profile: Profile, home: ServerHome, progress: Progress) -> Launch:
        java = toolchain.java()
        libs = self.provision(progress) / "libs"
        home.root.mkdir(parents=True, exist_ok=True)
        properties = home.root / "server.properties"
        properties.write_text(render_properties(profile, home.data.resolve()))
        log4j = home.root / "log4j2.yaml"
        log4j.write_text(LOG4J2_YAML)
        # Java expands the classpath wildcard itself.
        common = [f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{libs}/*"]
        if not (home.data / "meta.properties").is_file():
            self._format([java, *common], properties, home, progress)
        return Launch(
            argv=[java, *HEAP, *common, "kafka.Kafka", str(properties)],
            env=dict(os.environ),
            cwd=home.root,
        )

    def probe(self, url: str) -> bool:
        return kafka_ready(url)

    def provision(self, progress: Progress) -> Path:
        """The cache entry with Kafka's jars in `libs/`, downloaded by Maven the first time."""
        label = f"kafka ({self.implementation()})"

        def build(folder: Path, build_log: Path) -> None:
            mvn = toolchain.maven()
            progress(f"{label}: downloading the broker's jars with Maven (first run only)…")
            # Maven writes target/ beside the pom: give it a copy inside the temporary folder.
            shutil.copy(pom_path(), folder / "pom.xml")
            run_build(
                [mvn, "-B", "--no-transfer-progress", "-f", str(folder / "pom.xml"),
                 "dependency:copy-dependencies", f"-DoutputDirectory={folder / 'libs'}"],
                cwd=folder,
                log_path=build_log,
                label=label,
                progress=progress,
            )  # fmt: skip
            shutil.rmtree(folder / "target", ignore_errors=True)

        return provision(cache_key(), build, label=label, progress=progress)

    def _format(self, jvm: list[str], properties: Path, home: ServerHome, progress: Progress) -> None:
        progress(f"kafka: formatting a new log directory in {home.data}")
        shutil.rmtree(home.data, ignore_errors=True)  # a half-formatted one from an earlier try
        with home.log.open("ab") as log:
            done = subprocess.run(
                [*jvm, "kafka.tools.StorageTool", "format",
                 "-t", new_cluster_id(), "-c", str(properties)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=home.root, timeout=120, check=False,
            )  # fmt: skip
        if done.returncode != 0:
            shutil.rmtree(home.data, ignore_errors=True)
            raise ServerFailed(
                f"kafka: formatting {home.data} failed; last lines of {home.log}:\n{log_tail(home.log)}"
            )
