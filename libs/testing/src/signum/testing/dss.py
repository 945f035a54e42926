"""EU DSS, the reference PAdES validator, run from Maven Central's jars as the judge of Signum's PDFs.

deploy/local/dss/ holds a pom (DSS's modules) and DssReport.java (a small main that prints DSS's
simple report as JSON, and how long each validation took in that JVM). The first use fetches the
jars with `mvn dependency:copy-dependencies` and
compiles DssReport with `javac` into the cache (~/.cache/signum/dss-<version>-<hash of the folder>/),
as veraPDF and Kafka are; every later run is offline. DSS gets no CRL, OCSP or AIA source: it judges
what the PDF carries (its DSS dictionary, the CMS) against the roots the caller trusts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from signum.localstack import toolchain
from signum.localstack.cache import content_hash, provision, run_build
from signum.localstack.errors import ToolchainMissing
from signum.localstack.paths import deploy_dir

MAIN_CLASS = "DssReport"
PASSED = "TOTAL_PASSED"


def source_dir() -> Path:
    return deploy_dir() / "dss"


def version() -> str:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    found = ET.parse(source_dir() / "pom.xml").findtext("m:properties/m:dss.version", namespaces=ns)  # noqa: S314 - our file
    assert found, "deploy/local/dss/pom.xml has no <dss.version>"
    return found.strip()


def _javac() -> str:
    java = Path(toolchain.java())
    beside = java.resolve().parent / "javac"
    found = str(beside) if beside.is_file() else shutil.which("javac")
    if found is None:
        raise ToolchainMissing(
            "a JDK is needed to build the DSS runner: apt-get install openjdk-17-jdk-headless"
        )
    return found


def classpath() -> str:
    """DSS's jars and the compiled DssReport, built the first time."""
    sources = [source_dir() / "pom.xml", source_dir() / "DssReport.java"]
    key = f"dss-{version()}-{content_hash(*sources)}"

    def build(folder: Path, build_log: Path) -> None:
        for source in sources:
            shutil.copy(source, folder / source.name)
        run_build(
            [toolchain.maven(), "-B", "--no-transfer-progress", "-f", str(folder / "pom.xml"),
             "dependency:copy-dependencies", f"-DoutputDirectory={folder / 'libs'}"],
            cwd=folder, log_path=build_log, label="dss", progress=print,
        )  # fmt: skip
        shutil.rmtree(folder / "target", ignore_errors=True)
        run_build(
            [_javac(), "-d", str(folder / "classes"), "-cp", f"{folder / 'libs'}/*",
             str(folder / "DssReport.java")],
            cwd=folder, log_path=build_log, label="dss", progress=print,
        )  # fmt: skip

    folder = provision(key, build, label="dss", progress=print)
    return f"{folder / 'libs'}/*:{folder / 'classes'}"


@dataclass(frozen=True)
class Message:
    key: str  # DSS's stable code, e.g. BBB_XCV_IRDPFC_ANS
    value: str  # its English text


@dataclass(frozen=True)
class Verdict:
    """DSS's simple report on one signature or timestamp."""

    id: str
    indication: str  # TOTAL_PASSED, INDETERMINATE, TOTAL_FAILED (PASSED/FAILED for timestamps)
    subindication: str | None
    errors: tuple[Message, ...] = ()
    warnings: tuple[Message, ...] = ()

    @property
    def passed(self) -> bool:
        return self.indication in {PASSED, "PASSED"}


@dataclass(frozen=True)
class TimestampVerdict(Verdict):
    produced_by: str | None = None
    production_time: datetime | None = None


@dataclass(frozen=True)
class SignatureVerdict(Verdict):
    signed_by: str | None = None
    format: str | None = None  # e.g. PAdES-BASELINE-LT
    best_signature_time: datetime | None = None
    timestamps: tuple[TimestampVerdict, ...] = ()

    @property
    def level(self) -> str | None:
        """B-B, B-T, B-LT or B-LTA, as Signum names PAdES levels; None when DSS found no baseline."""
        if self.format and self.format.startswith("PAdES-BASELINE-"):
            return "B-" + self.format.removeprefix("PAdES-BASELINE-")
        return None

    def explain(self) -> str:
        """One line for an assertion message: the verdict, the level and every error."""
        errors = [f"{m.key}: {m.value}" for m in self.errors]
        for ts in self.timestamps:
            errors += [f"timestamp {ts.indication}/{ts.subindication} {m.key}: {m.value}" for m in ts.errors]
        return f"{self.indication}/{self.subindication} {self.format} {errors}"


@dataclass(frozen=True)
class Report:
    signatures: tuple[SignatureVerdict, ...]
    timestamps: tuple[TimestampVerdict, ...] = field(default=())
    seconds: tuple[float, ...] = ()  # each validation of the file in the JVM, in order (`repeat`)


@dataclass(frozen=True)
class Job:
    """One PDF and what its verifier is configured with: trusted roots, and intermediates it may use
    to build a chain without trusting them (e.g. SAT's published ones). Certificate files are PEM or
    DER, bundles allowed."""

    pdf: Path
    trusted: Sequence[Path]
    intermediates: Sequence[Path] = ()


def _messages(raw: list[dict[str, str]]) -> tuple[Message, ...]:
    return tuple(Message(m["key"], m["value"]) for m in raw)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _timestamp(raw: dict[str, Any]) -> TimestampVerdict:
    return TimestampVerdict(
        id=raw["id"],
        indication=raw["indication"],
        subindication=raw["subindication"],
        errors=_messages(raw["errors"]),
        warnings=_messages(raw["warnings"]),
        produced_by=raw["produced_by"],
        production_time=_time(raw["production_time"]),
    )


def _report(raw: dict[str, Any]) -> Report:
    signatures = tuple(
        SignatureVerdict(
            id=s["id"],
            indication=s["indication"],
            subindication=s["subindication"],
            errors=_messages(s["errors"]),
            warnings=_messages(s["warnings"]),
            signed_by=s["signed_by"],
            format=s["format"],
            best_signature_time=_time(s["best_signature_time"]),
            timestamps=tuple(_timestamp(t) for t in s["timestamps"]),
        )
        for s in raw["signatures"]
    )
    return Report(
        signatures=signatures,
        timestamps=tuple(_timestamp(t) for t in raw["timestamps"]),
        seconds=tuple(raw.get("seconds", ())),
    )


def validate(
    files: Sequence[Path], trusted: Sequence[Path], *, at: datetime | None = None
) -> dict[Path, Report]:
    """DSS's simple report on each PDF (one JVM for all), trusting the certificates in `trusted`
    (PEM or DER files, bundles allowed); `at` validates as of that time instead of now."""
    return validate_jobs([Job(path, trusted) for path in files], at=at)


def validate_jobs(
    jobs: Sequence[Job], *, at: datetime | None = None, repeat: int = 1, timeout: float = 300
) -> dict[Path, Report]:
    """DSS's simple report on each job's PDF, all in one JVM, each with its own trust; with `repeat`
    the whole list is validated that many times (the reports' `seconds` hold every time)."""
    args = [
        toolchain.java(),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
        "-cp",
        classpath(),
        MAIN_CLASS,
        "--repeat",
        str(repeat),
    ]
    if at is not None:
        args += ["--at", at.isoformat().replace("+00:00", "Z")]
    for job in jobs:
        args.append("--clear")
        args += [arg for path in job.trusted for arg in ("--trust", str(path))]
        args += [arg for path in job.intermediates for arg in ("--intermediate", str(path))]
        args.append(str(job.pdf))
    out = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    assert out.returncode == 0, f"DSS failed ({out.returncode}): {out.stderr[-3000:]}"
    raw = json.loads(out.stdout)
    return {Path(name): _report(report) for name, report in raw.items()}


def validate_pdf(
    pdf: bytes, trusted_der: Sequence[bytes], folder: Path, *, at: datetime | None = None
) -> Report:
    """DSS's report on one PDF given as bytes, trusting the DER certificates `trusted_der`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "document.pdf"
    path.write_bytes(pdf)
    roots = []
    for index, der in enumerate(trusted_der):
        root = folder / f"trusted-{index}.der"
        root.write_bytes(der)
        roots.append(root)
    return validate([path], roots, at=at)[path]
