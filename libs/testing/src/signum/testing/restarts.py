"""Whether a test may stop and start one of the test stack's own servers."""

from __future__ import annotations

import os


def why_server_cannot_restart(name: str) -> str | None:
    """None when the test profile's `name` server (kafka, mongo, s3) is this run's to restart;
    else why not (a skip reason).

    Not when it is an external server (its `SIGNUM_*_URL` names another), nor when the stack is
    shared with other runs (`SIGNUM_KEEP_STACK=1`): stopping it would break them. `make test`
    starts a stack of its own, where these tests always run."""
    from signum.localstack import PROFILES, stack_status

    server = next(s for s in stack_status(PROFILES["test"]) if s.name == name)
    if server.state == "external":
        return f"{name} is an external server (its SIGNUM_*_URL); this test restarts the local one"
    if os.environ.get("SIGNUM_KEEP_STACK") == "1":
        return f"the test stack is shared (SIGNUM_KEEP_STACK=1); restarting its {name} would break other runs"
    return None
