"""`signumctl stack up|down|status`: the local Kafka, MongoDB (SecantusDB) and S3 (MinIO)."""

from __future__ import annotations

import enum
import shutil
from typing import Annotated, NoReturn

import typer

from signum.localstack import (
    PROFILES,
    LocalStackError,
    ensure_stack,
    stack_status,
    stop_stack,
)
from signum.localstack.paths import profile_dir

stack_app = typer.Typer(
    help="Run the local Kafka, MongoDB (SecantusDB) and S3 (MinIO) without Docker.",
    no_args_is_help=True,
)


class ProfileName(enum.StrEnum):
    dev = "dev"
    test = "test"
    alt = "alt"


ProfileOption = Annotated[
    ProfileName,
    typer.Option(
        "--profile", "-p", help="dev: the usual ports; test: what pytest uses; alt: a second stack (19xxx)."
    ),
]


def _say(line: str) -> None:
    typer.echo(line)


def _fail(error: LocalStackError) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(error.exit_code)


@stack_app.command()
def up(
    profile: ProfileOption = ProfileName.dev,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="Stop the profile's servers and delete its data first (test runs start clean: every run "
            "adds topics, databases and locked objects that would otherwise pile up).",
        ),
    ] = False,
) -> None:
    """Provision (first time only) and start what is not running; wait until healthy."""
    try:
        if fresh:
            stop_stack(PROFILES[profile.value], progress=_say)
            data = profile_dir(profile.value)
            if data.exists():
                _say(f"deleting {data}")
                shutil.rmtree(data)
        endpoints = ensure_stack(PROFILES[profile.value], progress=_say)
    except LocalStackError as error:
        _fail(error)
    typer.echo(f"\n{profile.value} stack is up. Services read these:")
    for key, value in endpoints.env().items():
        typer.echo(f"  {key}={value}")


@stack_app.command()
def down(profile: ProfileOption = ProfileName.dev) -> None:
    """Stop the servers `up` started (data is kept in .local/<profile>/)."""
    try:
        stop_stack(PROFILES[profile.value], progress=_say)
    except LocalStackError as error:
        _fail(error)
    typer.echo(f"{profile.value} stack is down.")


@stack_app.command()
def status(profile: ProfileOption = ProfileName.dev) -> None:
    """Say for each server whether it runs, where, and whether it answers."""
    try:
        statuses = stack_status(PROFILES[profile.value])
    except LocalStackError as error:
        _fail(error)
    for s in statuses:
        health = {True: "healthy", False: "NOT ANSWERING", None: ""}[s.healthy]
        pid = f"pid {s.pid}" if s.pid else ""
        typer.echo(f"{s.name:<6} {s.state:<9} {s.url:<28} {pid:<11} {health:<14} {s.implementation}")
