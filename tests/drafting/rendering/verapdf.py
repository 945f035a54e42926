"""veraPDF, the reference PDF/A validator, run from its Maven Central jar.

The jar is fetched once by `mvn dependency:copy-dependencies` on deploy/local/verapdf/pom.xml into
the cache (~/.cache/signum/verapdf-<version>-<hash of the pom>/libs), as the local stack does for
Kafka, and run as `java -cp 'libs/*' org.verapdf.apps.GreenfieldCliWrapper`.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from signum.localstack import toolchain
from signum.localstack.cache import content_hash, provision, run_build
from signum.localstack.paths import deploy_dir

MAIN_CLASS = "org.verapdf.apps.GreenfieldCliWrapper"


def pom_path() -> Path:
    return deploy_dir() / "verapdf" / "pom.xml"


def version() -> str:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    found = ET.parse(pom_path()).findtext("m:properties/m:verapdf.version", namespaces=ns)  # noqa: S314 - our file
    assert found, "deploy/local/verapdf/pom.xml has no <verapdf.version>"
    return found.strip()


def libs() -> Path:
    """The folder with veraPDF's jar, downloaded by Maven the first time."""
    key = f"verapdf-{version()}-{content_hash(pom_path())}"

    def build(folder: Path, build_log: Path) -> None:
        shutil.copy(pom_path(), folder / "pom.xml")
        run_build(
            [toolchain.maven(), "-B", "--no-transfer-progress", "-f", str(folder / "pom.xml"),
             "dependency:copy-dependencies", f"-DoutputDirectory={folder / 'libs'}"],
            cwd=folder, log_path=build_log, label="verapdf", progress=print,
        )  # fmt: skip
        shutil.rmtree(folder / "target", ignore_errors=True)

    return provision(key, build, label="verapdf", progress=print) / "libs"


@dataclass
class Verdict:
    passed: bool
    failed_rules: list[str] = field(default_factory=list)


def validate(files: list[Path], flavour: str = "2b") -> dict[Path, Verdict]:
    """veraPDF's verdict on each file against PDF/A-`flavour` (one JVM for all of them)."""
    out = subprocess.run(
        [toolchain.java(), "-cp", f"{libs()}/*", MAIN_CLASS, "--flavour", flavour, "--format", "text", "-v",
         *map(str, files)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    verdicts: dict[Path, Verdict] = {}
    current: Verdict | None = None
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in {"PASS", "FAIL"} and not line.startswith(" "):
            current = verdicts[Path(parts[1])] = Verdict(passed=parts[0] == "PASS")
        elif current is not None and line.startswith(" ") and parts[:1] == ["FAIL"]:
            current.failed_rules.append(parts[1])
    missing = [f for f in files if f not in verdicts]
    assert not missing, f"veraPDF said nothing about {missing}: {out.stdout[-2000:]} {out.stderr[-2000:]}"
    return verdicts
