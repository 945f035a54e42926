"""What the stack writes and runs: Kafka's configuration, the servers' command lines, the URLs."""

from __future__ import annotations

import base64
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

from signum.localstack import PROFILES, Endpoints, Profile, health
from signum.localstack import kafka as kafka_module
from signum.localstack import mongo as mongo_module
from signum.localstack import s3 as s3_module
from signum.localstack.paths import cache_dir, repo_root
from signum.localstack.stack import SERVERS, endpoints
from tests.localstack.conftest import FakeProgram

CHECKOUT = Path(__file__).resolve().parents[2]


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_kafka_properties_put_broker_and_controller_on_the_profile_ports() -> None:
    props = _properties(kafka_module.render_properties(PROFILES["test"], Path("/data/kafka")))

    assert props["listeners"] == "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:29092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert props["process.roles"] == "broker,controller"
    assert props["log.dirs"] == "/data/kafka"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"


def test_the_profiles_share_no_port() -> None:
    def ports(profile: Profile) -> set[int]:
        return {port for server in SERVERS.values() for port in server.ports(profile)}

    dev, test, alt = ports(PROFILES["dev"]), ports(PROFILES["test"]), ports(PROFILES["alt"])

    assert dev == {9092, 9093, 27017, 9000, 9001}
    assert test == {29092, 29093, 29017, 29000, 29001}
    assert alt == {19092, 19093, 19017, 19000, 19001}


def test_kafka_cluster_id_is_what_kafka_accepts() -> None:
    for _ in range(200):
        cluster_id = kafka_module.new_cluster_id()
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_kafka_prepare_writes_its_config_and_runs_kafka_kafka_with_a_bounded_heap(
    sandbox: Path, fake_program: FakeProgram
) -> None:
    java = fake_program("java", """echo 'openjdk version "17.0.15" 2025-04-15' >&2""")
    # A cache entry and a formatted log directory already there: nothing to download or format.
    (cache_dir() / kafka_module.cache_key() / "libs").mkdir(parents=True)
    server = SERVERS["kafka"]
    home = server.home(PROFILES["test"])
    home.data.mkdir(parents=True)
    (home.data / "meta.properties").write_text("cluster.id=x\n")

    launch = server.prepare(PROFILES["test"], home, progress=lambda _: None)

    assert launch.argv[0] == str(java)
    assert launch.argv[-2:] == ["kafka.Kafka", str(home.root / "server.properties")]
    assert "-Xmx1g" in launch.argv
    assert f"{cache_dir() / kafka_module.cache_key() / 'libs'}/*" in launch.argv
    assert f"-Dlog4j2.configurationFile={home.root / 'log4j2.yaml'}" in launch.argv
    written = _properties((home.root / "server.properties").read_text())
    assert written["log.dirs"] == str(home.data.resolve())
    assert home.root == sandbox / ".local" / "test" / "kafka"


def test_minio_runs_with_the_profile_ports_and_the_configured_credentials(
    sandbox: Path, fake_program: FakeProgram, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_program("minio", "exit 0")
    monkeypatch.setenv("SIGNUM_S3_SECRET_KEY", "another-secret")
    server = SERVERS["s3"]
    home = server.home(PROFILES["dev"])

    launch = server.prepare(PROFILES["dev"], home, progress=lambda _: None)

    assert launch.argv == [
        str(fake), "server", str(home.data.resolve()),
        "--address", "127.0.0.1:9000", "--console-address", "127.0.0.1:9001",
    ]  # fmt: skip
    assert launch.env["MINIO_ROOT_USER"] == "signum"
    assert launch.env["MINIO_ROOT_PASSWORD"] == "another-secret"
    assert server.implementation() == f"MinIO ({fake})"


def test_a_mongod_on_path_is_used_as_a_replica_set_with_its_own_data_folder(
    sandbox: Path, fake_program: FakeProgram
) -> None:
    fake = fake_program("mongod", "exit 0")
    server = SERVERS["mongo"]
    home = server.home(PROFILES["test"])

    launch = server.prepare(PROFILES["test"], home, progress=lambda _: None)

    assert launch.argv == [
        str(fake), "--dbpath", str((home.root / "data-mongod").resolve()),
        "--bind_ip", "127.0.0.1", "--port", "29017", "--replSet", "signum",
    ]  # fmt: skip
    assert server.implementation() == f"mongod ({fake}), replica set signum"


def test_secantusdb_runs_from_its_environment_in_the_cache_with_the_written_config(
    sandbox: Path, fake_program: FakeProgram
) -> None:
    entry = cache_dir() / mongo_module.cache_key()
    entry.mkdir(parents=True)  # already provisioned: nothing to install
    server = SERVERS["mongo"]
    home = server.home(PROFILES["test"])

    launch = server.prepare(PROFILES["test"], home, progress=lambda _: None)

    config = home.root / "secantusd.toml"
    assert launch.argv == [
        str(entry / "venv" / "bin" / "python"), "-I", "-m", "secantus", "--config", str(config),
    ]  # fmt: skip
    assert tomllib.loads(config.read_text()) == {
        "server": {
            "host": "127.0.0.1",
            "port": 29017,
            "storage_path": str((home.root / "data-secantusdb").resolve()),
            "log_level": "WARNING",
        },
        "storage": {"ttl_sweep_seconds": 5},  # tests wait for the TTL monitor: it sweeps often
    }
    assert (home.root / "data-secantusdb").is_dir()
    assert server.implementation() == "SecantusDB 0.7.0b3, replica set secantus"


def test_cache_keys_name_the_version_and_change_with_the_sources(tmp_path: Path) -> None:
    pom = tmp_path / "pom.xml"
    shutil.copy(kafka_module.pom_path(), pom)
    secantusdb = tmp_path / "secantusdb"
    shutil.copytree(mongo_module.source_dir(), secantusdb)

    kafka_key, mongo_key = kafka_module.cache_key(pom), mongo_module.cache_key(secantusdb)
    assert kafka_key.startswith("kafka-4.1.1-")
    assert mongo_key.startswith(f"secantusdb-0.7.0b3-py{'.'.join(map(str, sys.version_info[:3]))}-")
    assert s3_module.cache_key() == f"minio-{s3_module.VERSION}"
    # The same sources give the same key in any folder (a fresh clone reuses the cache)...
    assert kafka_key == kafka_module.cache_key()
    assert mongo_key == mongo_module.cache_key()

    pom.write_text(pom.read_text().replace("<version>1</version>", "<version>2</version>"))
    requirements = secantusdb / "requirements.txt"
    requirements.write_text(requirements.read_text() + "\n")

    # ...and a change to them gives another.
    assert kafka_module.cache_key(pom) != kafka_key
    assert mongo_module.cache_key(secantusdb) != mongo_key

    # So does a change to SecantusDB's patches.
    with_requirements = mongo_module.cache_key(secantusdb)
    patch = mongo_module.patch_paths(secantusdb)[0]
    patch.write_text(patch.read_text() + "\n")
    assert mongo_module.cache_key(secantusdb) != with_requirements


def test_the_dev_stack_sweeps_expired_documents_at_mongods_pace() -> None:
    config = tomllib.loads(mongo_module.render_config(PROFILES["dev"], Path("/data")))

    assert config["storage"] == {"ttl_sweep_seconds": 60}


def test_secantusdb_is_pinned_exactly_with_every_dependency_hashed() -> None:
    lines = mongo_module.requirements_path().read_text().splitlines()
    pins = [line.split()[0] for line in lines if line and not line.startswith((" ", "#"))]

    assert "secantusdb==0.7.0b3" in pins
    assert all("==" in pin for pin in pins), pins
    hashed = "\n".join(lines).split("==")[1:]
    assert all("--hash=sha256:" in block for block in hashed)


def test_endpoints_point_at_the_profile_unless_a_url_says_otherwise(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert endpoints(PROFILES["test"]) == Endpoints(
        kafka_url="127.0.0.1:29092",
        mongo_url="mongodb://127.0.0.1:29017/",
        s3_url="http://127.0.0.1:29000",
        s3_access_key="signum",
        s3_secret_key="signum-dev-secret",
    )

    monkeypatch.setenv("SIGNUM_MONGO_URL", "mongodb://db.example:27017/")
    env = endpoints(PROFILES["test"]).env()

    assert env == {
        "SIGNUM_KAFKA_URL": "127.0.0.1:29092",
        "SIGNUM_MONGO_URL": "mongodb://db.example:27017/",
        "SIGNUM_S3_URL": "http://127.0.0.1:29000",
        "SIGNUM_S3_ACCESS_KEY": "signum",
        "SIGNUM_S3_SECRET_KEY": "signum-dev-secret",
    }


def test_the_checkout_is_found_from_a_subfolder_or_from_signum_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SIGNUM_HOME", raising=False)
    assert repo_root(CHECKOUT / "deploy" / "local" / "src") == CHECKOUT

    monkeypatch.setenv("SIGNUM_HOME", str(tmp_path))
    assert repo_root(CHECKOUT) == tmp_path


def test_the_mongodb_probe_asks_one_host_directly_unless_the_url_says_otherwise() -> None:
    """A mongod just started with --replSet has no primary yet; a direct `ping` still answers."""
    assert health._direct("mongodb://127.0.0.1:29017/") == {"directConnection": True}
    for url in (
        "mongodb://a.example:27017,b.example:27017/?replicaSet=rs0",
        "mongodb://a.example:27017/?replicaSet=rs0",
        "mongodb://a.example:27017/?directConnection=false",
        "mongodb+srv://cluster.example/",
    ):
        assert health._direct(url) == {}, url
