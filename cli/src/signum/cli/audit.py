"""`signumctl audit ...`: verify the audit log's hash chain, in-process, against storage's MongoDB."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

audit_app = typer.Typer(
    help="The tamper-evident audit log kept by the storage service.", no_args_is_help=True
)

_VERIFY_HELP = """Walk the audit chain and report the first record that was altered, removed or inserted.

Runs in this process with the storage service's settings (SIGNUM_MONGO_URL, SIGNUM_MONGO_DB_PREFIX,
SIGNUM_S3_*, ...): reads every record of the `auditoria` collection in order, recomputes each hash
and link, and checks the latest chain head sealed as an immutable object in the audit bucket.
Exit code 0 when the chain is intact, 1 on a break.
"""


@audit_app.callback()
def audit() -> None:
    """The tamper-evident audit log kept by the storage service."""


@audit_app.command("verify", help=_VERIFY_HELP)
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    report = asyncio.run(_verify())
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(_text(report))
    raise typer.Exit(0 if report["integra"] else 1)


async def _verify() -> dict[str, Any]:
    # Imported here so that other `signumctl` commands do not load the storage service.
    from signum.storage.app import components
    from signum.storage.settings import Settings

    parts = components(Settings())
    try:
        return (await parts.audit.verify()).report()
    finally:
        parts.runtime.mongo.close()


def _text(report: dict[str, Any]) -> str:
    lines = [f"Registros verificados: {report['registros']:,}"]
    sello = report.get("sello")
    if sello:
        lines.append(f"Último sello de la cadena: registro {sello['seq']} ({str(sello['hash'])[:16]}…)")
    else:
        lines.append("Aún no hay un sello de la cadena en el almacenamiento.")
    if report["integra"]:
        lines.append("La bitácora está íntegra.")
    else:
        quiebre = report["primer_quiebre"]
        lines.append(
            f"LA BITÁCORA FUE MODIFICADA. Primer quiebre en el registro {quiebre['seq']} ({quiebre['tipo']}):"
        )
        lines.append(f"  {quiebre['mensaje']}")
    return "\n".join(lines)


if __name__ == "__main__":
    audit_app()
