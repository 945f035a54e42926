"""Where things live: the checkout's `.local/` (data, logs, pid files) and the server cache."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from signum.localstack.errors import LocalStackError

# src/signum/localstack/paths.py -> deploy/local. The pom and SecantusDB's requirements are read from
# the checkout this package is installed from (the workspace installs it editable).
DEPLOY_DIR = Path(__file__).resolve().parents[3]


def deploy_dir() -> Path:
    """`deploy/local` of the checkout this package comes from."""
    return DEPLOY_DIR


def _is_checkout(path: Path) -> bool:
    return (path / "uv.lock").is_file() and (path / "deploy" / "local" / "pyproject.toml").is_file()


def repo_root(start: Path | None = None) -> Path:
    """The Signum checkout: `$SIGNUM_HOME`, else the nearest parent of `start` (cwd) with uv.lock."""
    home = os.environ.get("SIGNUM_HOME")
    if home:
        return Path(home).expanduser().resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if _is_checkout(candidate):
            return candidate
    # Run from outside the checkout (e.g. signumctl from $HOME): use the one we are installed from.
    own = DEPLOY_DIR.parents[1]
    if _is_checkout(own):
        return own
    raise LocalStackError(
        f"cannot find the Signum checkout above {here}: run from inside it or set SIGNUM_HOME"
    )


def cache_dir() -> Path:
    """Downloaded and built servers, shared by every checkout: `$SIGNUM_CACHE_DIR` or ~/.cache."""
    configured = os.environ.get("SIGNUM_CACHE_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return Path.home() / ".cache" / "signum"


def profile_dir(profile_name: str, root: Path | None = None) -> Path:
    """`<checkout>/.local/<profile>`: git-ignored, one folder per server inside."""
    return (root or repo_root()) / ".local" / profile_name


@dataclass(frozen=True)
class ServerHome:
    """A server's folder in a profile: its data, its log and its pid file."""

    root: Path
    name: str

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / f"{self.name}.log"

    @property
    def pid(self) -> Path:
        return self.root / f"{self.name}.pid"
