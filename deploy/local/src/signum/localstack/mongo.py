"""MongoDB: FerretDB 1.x (SQLite backend) built from deploy/local/ferretdb, or a mongod on PATH."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from signum.localstack import toolchain
from signum.localstack.cache import build_env, content_hash, provision, run_build
from signum.localstack.health import mongo_ready
from signum.localstack.paths import ServerHome, cache_dir, deploy_dir
from signum.localstack.profiles import MONGO_URL_ENV, Profile
from signum.localstack.server import Launch, Progress, Server

BINARY = "signum-ferretdb"


def source_dir() -> Path:
    return deploy_dir() / "ferretdb"


def ferretdb_version(source: Path | None = None) -> str:
    """The FerretDB version the wrapper module requires in its go.mod."""
    go_mod = (source or source_dir()) / "go.mod"
    match = re.search(r"github\.com/FerretDB/FerretDB v(\S+)", go_mod.read_text())
    if match is None:
        raise ValueError(f"{go_mod} does not require github.com/FerretDB/FerretDB")
    return match.group(1)


def cache_key(source: Path | None = None) -> str:
    """`ferretdb-<version>-<hash of go.mod, go.sum, main.go>`: a change builds a new binary."""
    source = source or source_dir()
    sources = [source / name for name in ("go.mod", "go.sum", "main.go")]
    return f"ferretdb-{ferretdb_version(source)}-{content_hash(*sources)}"


def mongod_on_path() -> str | None:
    return shutil.which("mongod")


class Mongo(Server):
    name = "mongo"
    url_env = MONGO_URL_ENV
    start_timeout = 60.0

    def url(self, profile: Profile) -> str:
        return f"mongodb://127.0.0.1:{profile.mongo_port}/"

    def ports(self, profile: Profile) -> tuple[int, ...]:
        return (profile.mongo_port,)

    def implementation(self) -> str:
        mongod = mongod_on_path()
        return f"mongod ({mongod})" if mongod else f"FerretDB {ferretdb_version()}"

    def check_toolchain(self) -> None:
        if mongod_on_path() is None and not (cache_dir() / cache_key()).is_dir():
            toolchain.go("build FerretDB", "or put mongod on PATH, or set SIGNUM_MONGO_URL to a MongoDB")

    def prepare(self, profile: Profile, home: ServerHome, progress: Progress) -> Launch:
        address = ("127.0.0.1", str(profile.mongo_port))
        mongod = mongod_on_path()
        if mongod:
            # Its own folder: mongod cannot read FerretDB's SQLite files, nor the other way round.
            data = home.root / "data-mongod"
            data.mkdir(parents=True, exist_ok=True)
            argv = [mongod, "--dbpath", str(data.resolve()), "--bind_ip", address[0],
                    "--port", address[1]]  # fmt: skip
        else:
            binary = self.provision(progress) / BINARY
            home.data.mkdir(parents=True, exist_ok=True)
            argv = [str(binary), "-listen-addr", ":".join(address),
                    "-data-dir", str(home.data.resolve()), "-log-level", "warn"]  # fmt: skip
        return Launch(argv=argv, env=dict(os.environ), cwd=home.root)

    def probe(self, url: str) -> bool:
        return mongo_ready(url)

    def provision(self, progress: Progress) -> Path:
        """The cache entry holding the FerretDB binary, built by Go the first time."""
        label = f"mongo (FerretDB {ferretdb_version()})"

        def build(folder: Path, build_log: Path) -> None:
            go = toolchain.go("build FerretDB", "or set SIGNUM_MONGO_URL")
            progress(f"{label}: building with Go (first run only, 1-2 min)…")
            run_build(
                [go, "build", "-buildvcs=false", "-o", str(folder / BINARY), "."],
                cwd=source_dir(),
                env=build_env(GOWORK="off"),
                log_path=build_log,
                label=label,
                progress=progress,
            )

        return provision(cache_key(), build, label=label, progress=progress)
