"""MongoDB: SecantusDB from PyPI in a virtual environment of its own, or a mongod on PATH.

SecantusDB is a MongoDB-wire server in Python on WiredTiger (MongoDB's storage engine). Its code is
GPL-2.0-only, so it is never imported by Signum: it is installed into its own virtual environment in
the cache and runs as a separate process, spoken to over the wire like any MongoDB. Either server
runs as a one-node replica set, so sessions, multi-document transactions and change streams work as
on production's replica set.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

from signum.localstack.cache import build_env, content_hash, provision, run_build
from signum.localstack.errors import ServerFailed, ToolchainMissing
from signum.localstack.health import PROBE_TIMEOUT, mongo_ready
from signum.localstack.patching import apply_patches
from signum.localstack.paths import ServerHome, cache_dir, deploy_dir
from signum.localstack.profiles import MONGO_URL_ENV, Profile
from signum.localstack.server import Launch, Progress, Server

# SecantusDB announces itself as the primary of this one-node set (its name is fixed).
SECANTUSDB_REPLICA_SET = "secantus"
# A mongod on PATH is started with this set name and the stack initiates it on first start.
MONGOD_REPLICA_SET = "signum"
# Election of a freshly initiated (or restarted) one-node mongod set takes a few seconds.
PRIMARY_TIMEOUT = 60.0

CONFIG_HEADER = "# Written by signum.localstack at every start; edits are lost.\n"

# How often SecantusDB's TTL monitor removes expired documents (mongod: 60 s). Tests wait for it,
# so the stacks they run on sweep often; the dev stack keeps mongod's pace.
TTL_SWEEP_SECONDS = {"test": 5, "alt": 5}
DEFAULT_TTL_SWEEP_SECONDS = 60


def source_dir() -> Path:
    return deploy_dir() / "secantusdb"


def requirements_path(source: Path | None = None) -> Path:
    """The hash-pinned requirements of SecantusDB's environment (generated from requirements.in)."""
    return (source or source_dir()) / "requirements.txt"


def patch_paths(source: Path | None = None) -> list[Path]:
    """Signum's patches to SecantusDB (GPL-2.0-only, like it), applied in name order at install."""
    return sorted(((source or source_dir()) / "patches").glob("*.patch"))


def secantusdb_version(source: Path | None = None) -> str:
    """The SecantusDB version requirements.txt pins."""
    text = requirements_path(source).read_text()
    match = re.search(r"^secantusdb==(\S+)", text, flags=re.IGNORECASE | re.MULTILINE)
    if match is None:
        raise ValueError(f"{requirements_path(source)} does not pin secantusdb")
    return match.group(1)


def python_tag() -> str:
    """The interpreter the environment is made from: `py3.11.7` (a venv runs on its base Python)."""
    return "py" + ".".join(str(n) for n in sys.version_info[:3])


def cache_key(source: Path | None = None) -> str:
    """`secantusdb-<version>-<python>-<hash of requirements.txt and the patches>`.

    Any change to either makes a new environment.
    """
    sources = (requirements_path(source), *patch_paths(source))
    return f"secantusdb-{secantusdb_version(source)}-{python_tag()}-{content_hash(*sources)}"


def venv_python(entry: Path) -> Path:
    return entry / "venv" / "bin" / "python"


def site_packages(entry: Path) -> Path:
    """The environment's site-packages (the venv is made from this interpreter)."""
    major, minor = sys.version_info[:2]
    return entry / "venv" / "lib" / f"python{major}.{minor}" / "site-packages"


def mongod_on_path() -> str | None:
    return shutil.which("mongod")


def render_config(profile: Profile, data_dir: Path) -> str:
    """secantusd.toml: loopback, the profile's port, data in the profile's folder, quiet logs,
    the profile's TTL sweep."""
    ttl_sweep = TTL_SWEEP_SECONDS.get(profile.name, DEFAULT_TTL_SWEEP_SECONDS)
    return CONFIG_HEADER + (
        "[server]\n"
        'host = "127.0.0.1"\n'
        f"port = {profile.mongo_port}\n"
        f"storage_path = {_toml_string(str(data_dir))}\n"
        'log_level = "WARNING"\n'
        "\n[storage]\n"
        f"ttl_sweep_seconds = {ttl_sweep}\n"
    )


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Mongo(Server):
    name = "mongo"
    url_env = MONGO_URL_ENV
    start_timeout = 60.0
    stop_timeout = 20.0  # SecantusDB closes WiredTiger cleanly on SIGTERM (a checkpoint: seconds)

    def url(self, profile: Profile) -> str:
        return f"mongodb://127.0.0.1:{profile.mongo_port}/"

    def ports(self, profile: Profile) -> tuple[int, ...]:
        return (profile.mongo_port,)

    def implementation(self) -> str:
        mongod = mongod_on_path()
        if mongod:
            return f"mongod ({mongod}), replica set {MONGOD_REPLICA_SET}"
        return f"SecantusDB {secantusdb_version()}, replica set {SECANTUSDB_REPLICA_SET}"

    def check_toolchain(self) -> None:
        if mongod_on_path() is None and not (cache_dir() / cache_key()).is_dir():
            for module in ("venv", "ensurepip"):
                if importlib.util.find_spec(module) is None:
                    raise ToolchainMissing(
                        f"Python's {module} module is needed to install SecantusDB (once): "
                        "apt-get install python3-venv (or put mongod on PATH, "
                        "or set SIGNUM_MONGO_URL to a MongoDB)"
                    )

    def prepare(self, profile: Profile, home: ServerHome, progress: Progress) -> Launch:
        mongod = mongod_on_path()
        home.root.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        if mongod:
            # Folders of their own: neither server reads the other's files.
            data = home.root / "data-mongod"
            data.mkdir(parents=True, exist_ok=True)
            argv = [mongod, "--dbpath", str(data.resolve()), "--bind_ip", "127.0.0.1",
                    "--port", str(profile.mongo_port), "--replSet", MONGOD_REPLICA_SET]  # fmt: skip
            return Launch(argv=argv, env=env, cwd=home.root)
        python = venv_python(self.provision(progress))
        data = home.root / "data-secantusdb"
        data.mkdir(parents=True, exist_ok=True)
        config = home.root / "secantusd.toml"
        config.write_text(render_config(profile, data.resolve()))
        # -I: none of this process's PYTHON* variables or user site-packages reach the server.
        # --config: no secantusd.toml found in the cwd, ~/.secantus or /etc/secantus is read.
        argv = [str(python), "-I", "-m", "secantus", "--config", str(config)]
        return Launch(argv=argv, env=env, cwd=home.root)

    def probe(self, url: str) -> bool:
        return mongo_ready(url)

    def settle(self, url: str) -> None:
        """A mongod set is initiated the first time; either server must be a writable primary."""
        deadline = time.monotonic() + PRIMARY_TIMEOUT
        initiated = False
        while True:
            hello = _hello(url)
            if hello.get("isWritablePrimary"):
                return
            if not initiated and mongod_on_path() and not hello.get("setName"):
                _initiate(url)
                initiated = True
            if time.monotonic() > deadline:
                raise ServerFailed(f"mongo: {url} answers but is not a writable primary: {hello}")
            time.sleep(0.25)

    def provision(self, progress: Progress) -> Path:
        """The cache entry holding SecantusDB's virtual environment, installed by pip the first time."""
        label = f"mongo (SecantusDB {secantusdb_version()})"

        def build(folder: Path, build_log: Path) -> None:
            progress(f"{label}: installing from PyPI into its own environment (first run only)…")
            # A venv made from this interpreter runs on its base Python; Signum's packages stay out.
            steps = (
                [sys.executable, "-m", "venv", str(folder / "venv")],
                [str(venv_python(folder)), "-m", "pip", "install", "--no-input", "--quiet",
                 "--disable-pip-version-check", "--no-deps", "--only-binary", ":all:",
                 "--require-hashes", "-r", str(requirements_path())],
            )  # fmt: skip
            env = _build_env()
            for argv in steps:
                run_build(argv, cwd=folder, env=env, log_path=build_log, label=label, progress=progress)
            patches = patch_paths()
            if patches:
                progress(f"{label}: applying {len(patches)} patches (deploy/local/secantusdb/patches)…")
                apply_patches(patches, site_packages(folder))

        return provision(cache_key(), build, label=label, progress=progress)


def _build_env() -> dict[str, str]:
    """The environment of the install: this process's, without the virtual environment it runs in."""
    env = build_env()
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV"):
        env.pop(name, None)
    return env


def _client(url: str) -> MongoClient[dict[str, Any]]:
    ms = int(PROBE_TIMEOUT * 1000)
    # Direct: a set that is not initiated yet has no primary for the driver to discover.
    return MongoClient(
        url, directConnection=True, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms
    )


def _hello(url: str) -> dict[str, Any]:
    client = _client(url)
    try:
        return dict(client.admin.command("hello"))
    except PyMongoError:
        return {}
    finally:
        client.close()


def _initiate(url: str) -> None:
    """Make the mongod at `url` the one member of MONGOD_REPLICA_SET (once: its data keeps it)."""
    client = _client(url)
    host = url.removeprefix("mongodb://").split("/")[0]
    config = {"_id": MONGOD_REPLICA_SET, "members": [{"_id": 0, "host": host}]}
    try:
        client.admin.command("replSetInitiate", config)
    except OperationFailure as error:
        if error.code != 23:  # AlreadyInitialized: a restart on data that has its set
            raise ServerFailed(f"mongo: replSetInitiate on {url} failed: {error}") from error
    finally:
        client.close()
