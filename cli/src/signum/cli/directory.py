"""`signumctl directory ...`: import the directory from HR's CSV, in-process, as the API does."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from signum.contracts import Actor
from signum.platform.errors import SignumError

directory_app = typer.Typer(
    help="The directory of dependencias, units, positions and officials.",
    no_args_is_help=True,
)

_IMPORT_HELP = """Validate FILE (HR's directory CSV) and apply it to the gateway's MongoDB.

Runs the same code as POST /api/v1/directorio/importaciones, in this process, against the database
the gateway's settings (SIGNUM_MONGO_URL, SIGNUM_MONGO_DB_PREFIX, ...) point at. The directory
events are written to the gateway's outbox and published to Kafka by the running gateway's relay.
A file with any error is refused whole (exit code 1) with every bad row listed; nothing is written.
Running the same file twice changes nothing the second time.
"""


def _printer(every: int) -> Any:
    last: dict[str, int] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if done == total or done - last.get(phase, 0) >= every:
            last[phase] = done
            typer.echo(f"  {phase}: {done:,}/{total:,}")

    return progress


@directory_app.command("import", help=_IMPORT_HELP)
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report what would change; write nothing.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report (or the errors) as JSON.")
    ] = False,
    progress_every: Annotated[int, typer.Option(help="Print progress every N rows or documents.")] = 500,
) -> None:
    data = file.read_bytes()
    code = asyncio.run(_import(data, dry_run=dry_run, as_json=as_json, every=progress_every))
    raise typer.Exit(code)


@directory_app.command("demo")
def demo() -> None:
    """Load Monterrey's demo directory (deploy/demo/directorio-monterrey.csv) into the gateway's database."""
    from signum.gateway.directory.demo import DEMO_CSV

    raise typer.Exit(asyncio.run(_import(DEMO_CSV.read_bytes(), dry_run=False, as_json=False, every=500)))


@directory_app.command("synthetic")
def synthetic(
    output: Annotated[Path, typer.Argument(dir_okay=False, help="Where to write the CSV.")],
    officials: Annotated[int, typer.Option(help="How many officials.")] = 5000,
    seed: Annotated[int, typer.Option(help="Same seed, same file.")] = 7,
) -> None:
    """Write a valid synthetic directory CSV (for load tests and measurements)."""
    from signum.gateway.directory.demo import synthetic_csv

    output.write_bytes(synthetic_csv(officials, seed=seed))
    typer.echo(f"{output}: {officials:,} funcionarios")


async def _import(data: bytes, *, dry_run: bool, as_json: bool, every: int) -> int:
    # The gateway's code is imported here, not at module import, so `signumctl stack ...` stays fast.
    from signum.gateway.directory.importer import ImportRefusedError
    from signum.gateway.directory.repository import DirectoryRepository
    from signum.gateway.directory.service import DirectoryService
    from signum.gateway.settings import Settings
    from signum.platform.mongo import build_mongo_client

    settings = Settings()
    client = build_mongo_client(settings.infra)
    try:
        repository = DirectoryRepository(client[settings.infra.database_name(settings.service_name)])
        service = DirectoryService(repository)
        if not dry_run:
            await repository.ensure_indexes()
        report = await service.import_csv(
            data,
            actor=Actor.system("signumctl"),
            correlation_id=f"signumctl-{uuid.uuid4().hex}",
            simulacion=dry_run,
            progress=None if as_json else _printer(every),
        )
    except ImportRefusedError as exc:
        if as_json:
            typer.echo(json.dumps(exc.to_body(), ensure_ascii=False, indent=2))
        else:
            typer.echo(exc.message, err=True)
            for issue in exc.issues:
                column = f" [{issue.columna}]" if issue.columna else ""
                value = f" «{issue.valor}»" if issue.valor else ""
                typer.echo(f"  fila {issue.fila}{column}{value}: {issue.mensaje}", err=True)
        return 1
    except SignumError as exc:
        typer.echo(json.dumps(exc.to_body(), ensure_ascii=False) if as_json else exc.message, err=True)
        return 1
    finally:
        client.close()
    if as_json:
        from dataclasses import asdict

        typer.echo(json.dumps(asdict(report), ensure_ascii=False, indent=2))
    else:
        typer.echo(report.as_text())
    return 0
