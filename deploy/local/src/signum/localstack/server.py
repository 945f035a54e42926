"""What the stack needs to know about each kind of server."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from signum.localstack.paths import ServerHome, profile_dir
from signum.localstack.profiles import Profile

Progress = Callable[[str], object]


@dataclass(frozen=True)
class Launch:
    """How to start a prepared server: the whole environment, not additions to it."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path


class Server(ABC):
    """A kind of server in the stack, named after the role it plays (kafka, mongo, s3)."""

    name: ClassVar[str]
    url_env: ClassVar[str]  # the SIGNUM_*_URL variable that points at a server run elsewhere
    start_timeout: ClassVar[float] = 60.0
    stop_timeout: ClassVar[float] = 15.0

    def home(self, profile: Profile, root: Path | None = None) -> ServerHome:
        return ServerHome(profile_dir(profile.name, root) / self.name, self.name)

    @abstractmethod
    def url(self, profile: Profile) -> str:
        """Where this server answers when the profile runs it."""

    @abstractmethod
    def ports(self, profile: Profile) -> tuple[int, ...]:
        """Every loopback port the server listens on."""

    @abstractmethod
    def implementation(self) -> str:
        """What runs, for status lines: `Kafka 4.1.1`, `SecantusDB 0.7.0b3, …`, `mongod (PATH)`…"""

    @abstractmethod
    def check_toolchain(self) -> None:
        """Raise ToolchainMissing if a program needed to provision or run the server is missing."""

    @abstractmethod
    def prepare(self, profile: Profile, home: ServerHome, progress: Progress) -> Launch:
        """Provision the server if the cache lacks it, write its configuration, and say how to run it."""

    @abstractmethod
    def probe(self, url: str) -> bool:
        """One health check of the server at `url`; never raises."""

    def settle(self, url: str) -> None:
        """Finish setting up a server this stack just started, once it answers its probe (e.g.
        initiate a replica set); return when it can serve. Raise ServerFailed if it cannot."""
        return None  # most servers serve as soon as they answer
