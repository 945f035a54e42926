"""Readiness: can this process reach what it needs right now?"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

Check = Callable[[], Awaitable[Any]]

CHECK_TIMEOUT_SECONDS = 3.0


class CheckFailed(Exception):
    """Raised by a check to say why it fails (shown as is in /readyz, without the exception's type)."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one readiness check."""

    name: str
    ok: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON form used by /readyz."""
        body: dict[str, Any] = {"ok": self.ok}
        if self.detail:
            body["detail"] = self.detail
        return body


async def run_check(name: str, check: Check, limit: float = CHECK_TIMEOUT_SECONDS) -> CheckResult:
    """Run one check; a timeout or an exception is a failed check, never an error."""
    try:
        result = await asyncio.wait_for(check(), timeout=limit)
    except TimeoutError:
        return CheckResult(name, False, f"sin respuesta en {limit:.0f} s")
    except CheckFailed as exc:
        return CheckResult(name, False, str(exc)[:300])
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported as such
        return CheckResult(name, False, f"{type(exc).__name__}: {exc}"[:300])
    if result is False:
        return CheckResult(name, False, "no disponible")
    return CheckResult(name, True)


async def run_checks(checks: dict[str, Check]) -> list[CheckResult]:
    """Run every check concurrently."""
    return list(await asyncio.gather(*(run_check(n, c) for n, c in checks.items())))
