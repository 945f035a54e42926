"""S3: MinIO built from the Go module proxy, or a `minio` on PATH."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from signum.localstack import toolchain
from signum.localstack.cache import build_env, provision, run_build
from signum.localstack.health import s3_ready
from signum.localstack.paths import ServerHome, cache_dir
from signum.localstack.profiles import S3_URL_ENV, Profile, s3_credentials
from signum.localstack.server import Launch, Progress, Server

MODULE = "github.com/minio/minio"
# The proxy has no `latest` for MinIO: an exact pseudo-version (this one is what it lists).
VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c"


def cache_key() -> str:
    """`minio-<pseudo-version>`: the version names the source exactly."""
    return f"minio-{VERSION}"


def minio_on_path() -> str | None:
    return shutil.which("minio")


def minio_env(base: dict[str, str]) -> dict[str, str]:
    """The environment MinIO runs with: root credentials, and no looking for updates."""
    access_key, secret_key = s3_credentials()
    return {
        **base,
        "MINIO_ROOT_USER": access_key,
        "MINIO_ROOT_PASSWORD": secret_key,
        "MINIO_UPDATE": "off",
    }


class S3(Server):
    name = "s3"
    url_env = S3_URL_ENV

    def url(self, profile: Profile) -> str:
        return f"http://127.0.0.1:{profile.s3_port}"

    def ports(self, profile: Profile) -> tuple[int, ...]:
        return (profile.s3_port, profile.s3_console_port)

    def implementation(self) -> str:
        found = minio_on_path()
        return f"MinIO ({found})" if found else f"MinIO {VERSION}"

    def check_toolchain(self) -> None:
        if minio_on_path() is None and not (cache_dir() / cache_key()).is_dir():
            toolchain.go("build MinIO", "or put minio on PATH, or set SIGNUM_S3_URL")

    def prepare(self, profile: Profile, home: ServerHome, progress: Progress) -> Launch:
        binary = minio_on_path() or str(self.provision(progress) / "minio")
        home.data.mkdir(parents=True, exist_ok=True)
        argv = [binary, "server", str(home.data.resolve()),
                "--address", f"127.0.0.1:{profile.s3_port}",
                "--console-address", f"127.0.0.1:{profile.s3_console_port}"]  # fmt: skip
        return Launch(argv=argv, env=minio_env(dict(os.environ)), cwd=home.root)

    def probe(self, url: str) -> bool:
        return s3_ready(url)

    def provision(self, progress: Progress) -> Path:
        """The cache entry holding the `minio` binary, built by Go the first time."""
        label = "s3 (MinIO)"

        def build(folder: Path, build_log: Path) -> None:
            go = toolchain.go("build MinIO", "or put minio on PATH, or set SIGNUM_S3_URL")
            progress(f"{label}: building {MODULE}@{VERSION} with Go (first run only, 2-3 min)…")
            run_build(
                [go, "install", f"{MODULE}@{VERSION}"],
                cwd=folder,  # outside any module, so `go install pkg@version` applies
                env=build_env(GOBIN=str(folder), GOWORK="off"),
                log_path=build_log,
                label=label,
                progress=progress,
            )

        return provision(cache_key(), build, label=label, progress=progress)
