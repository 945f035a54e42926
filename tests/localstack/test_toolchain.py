"""A missing Java, Maven, Go or Python venv: one line saying what to install, exit code 2, no traceback."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from signum.localstack import PROFILES, ToolchainMissing, ensure_stack, toolchain
from signum.localstack import kafka as kafka_module
from signum.localstack import mongo as mongo_module
from signum.localstack.paths import cache_dir
from tests.localstack.conftest import FakeProgram

JAVA_17 = """echo 'openjdk version "17.0.15" 2025-04-15' >&2"""
JAVA_HINT = "Java 17+ is needed to run Kafka: apt-get install openjdk-17-jre-headless"


def test_no_java_on_path(fake_program: FakeProgram) -> None:
    with pytest.raises(ToolchainMissing) as missing:
        toolchain.java()

    assert str(missing.value) == JAVA_HINT
    assert missing.value.exit_code == 2


def test_a_java_too_old_for_kafka_4(fake_program: FakeProgram) -> None:
    fake_program("java", """echo 'java version "1.8.0_392"' >&2""")

    with pytest.raises(ToolchainMissing, match=r"Java 17\+ is needed .*found Java 8"):
        toolchain.java()


def test_java_home_comes_before_path(
    fake_program: FakeProgram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_program("java", """echo 'java version "1.8.0_392"' >&2""")
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = fake_program("java17", JAVA_17).rename(home / "bin" / "java")
    monkeypatch.setenv("JAVA_HOME", str(home))

    assert toolchain.java() == str(java)


def test_no_go_names_what_it_builds_and_how_to_do_without(fake_program: FakeProgram) -> None:
    with pytest.raises(ToolchainMissing) as missing:
        toolchain.go("build FerretDB", "or set SIGNUM_MONGO_URL")

    assert str(missing.value) == (
        "Go 1.21+ is needed to build FerretDB (once): https://go.dev/dl/ (or set SIGNUM_MONGO_URL)"
    )


def test_maven_is_asked_for_only_while_kafka_is_not_in_the_cache(
    sandbox: Path, fake_program: FakeProgram
) -> None:
    fake_program("java", JAVA_17)
    kafka = kafka_module.Kafka()

    with pytest.raises(ToolchainMissing, match="Maven is needed to download Kafka"):
        kafka.check_toolchain()

    (cache_dir() / kafka_module.cache_key() / "libs").mkdir(parents=True)
    kafka.check_toolchain()


def test_python_venv_is_asked_for_only_while_secantusdb_is_not_in_the_cache(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ensurepip" else real_find_spec(name, *a),
    )
    mongo = mongo_module.Mongo()

    with pytest.raises(ToolchainMissing, match=r"Python's ensurepip module is needed to install SecantusDB"):
        mongo.check_toolchain()

    (cache_dir() / mongo_module.cache_key() / "venv").mkdir(parents=True)
    mongo.check_toolchain()


def test_every_tool_is_checked_before_anything_is_built(sandbox: Path, fake_program: FakeProgram) -> None:
    fake_program("java", JAVA_17)
    fake_program("mvn", "echo 'mvn must not run' >&2; exit 1")
    messages: list[str] = []

    with pytest.raises(ToolchainMissing, match=r"Go 1\.21\+ is needed to build MinIO"):
        ensure_stack(PROFILES["test"], progress=messages.append)

    assert messages == []
    assert not cache_dir().exists()


def test_signumctl_without_java_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    signumctl = Path(sys.executable).parent / "signumctl"
    env = {
        "PATH": str(empty),
        "HOME": str(tmp_path),
        "SIGNUM_HOME": str(tmp_path),
        "SIGNUM_CACHE_DIR": str(tmp_path / "cache"),
    }

    done = subprocess.run(
        [str(signumctl), "stack", "up", "--profile", "test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr == f"error: {JAVA_HINT}\n"
    assert "Traceback" not in done.stdout + done.stderr
