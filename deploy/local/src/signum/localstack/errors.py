"""Errors of the local stack. Their messages are shown as they are by `signumctl`."""

from __future__ import annotations


class LocalStackError(Exception):
    """Something the developer can act on; `exit_code` is what `signumctl` exits with."""

    exit_code = 1


class ToolchainMissing(LocalStackError):
    """A program needed to build or run a server (Java, Maven, Go) is missing or too old."""

    exit_code = 2


class ProvisioningFailed(LocalStackError):
    """Downloading or building a server failed; the message ends with the build log's tail."""


class ServerFailed(LocalStackError):
    """A server did not start, did not become healthy or did not stop."""


class PortInUse(LocalStackError):
    """Another process already listens on a port a server needs."""
