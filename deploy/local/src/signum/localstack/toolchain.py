"""The programs the stack needs from the machine: Java to run Kafka, Maven and Go to provision."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from signum.localstack.errors import ToolchainMissing

MIN_JAVA = 17  # Kafka 4 brokers
MIN_GO = (1, 21)  # from 1.21 on, go fetches the newer toolchain a module asks for by itself


def java() -> str:
    """The `java` to run Kafka with ($JAVA_HOME first, as Kafka's scripts do); checks the version."""
    hint = "Java 17+ is needed to run Kafka: apt-get install openjdk-17-jre-headless"
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    path = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if path is None:
        raise ToolchainMissing(hint)
    major = _java_major(path)
    if major is None or major < MIN_JAVA:
        found = f"Java {major}" if major else "an unrecognised Java"
        raise ToolchainMissing(f"{hint} (found {found} at {path})")
    return path


def maven() -> str:
    """The `mvn` that downloads Kafka's jars into the cache."""
    path = shutil.which("mvn")
    if path is None:
        raise ToolchainMissing("Maven is needed to download Kafka (once): apt-get install maven")
    return path


def go(purpose: str, alternative: str) -> str:
    """The `go` that builds MinIO into the cache; `alternative` says how to skip it."""
    hint = f"Go 1.21+ is needed to {purpose} (once): https://go.dev/dl/ ({alternative})"
    path = shutil.which("go")
    if path is None:
        raise ToolchainMissing(hint)
    version = _go_version(path)
    if version is None or version < MIN_GO:
        raise ToolchainMissing(f"{hint}; found {path} of version {version}")
    return path


def _java_major(path: str) -> int | None:
    try:
        out = subprocess.run([path, "-version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    # `openjdk version "17.0.15" 2025-04-15`, or `"1.8.0_392"` for Java 8.
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def _go_version(path: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [path, "env", "GOVERSION"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    match = re.match(r"go(\d+)\.(\d+)", out.stdout.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None
