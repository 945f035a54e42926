"""`signumctl stack …` as a developer sees it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from signum.cli.main import app


def test_status_lists_each_server_with_its_url(sandbox: Path) -> None:
    result = CliRunner().invoke(app, ["stack", "status", "--profile", "test"])

    assert result.exit_code == 0, result.output
    lines = [line.split()[:3] for line in result.output.splitlines()]
    assert lines == [
        ["kafka", "stopped", "127.0.0.1:29092"],
        ["mongo", "stopped", "mongodb://127.0.0.1:29017/"],
        ["s3", "stopped", "http://127.0.0.1:29000"],
    ]


def test_an_unknown_profile_is_a_usage_error(sandbox: Path) -> None:
    result = CliRunner().invoke(app, ["stack", "up", "--profile", "prod"])

    assert result.exit_code == 2
    assert not (sandbox / ".local").exists()


def test_down_with_nothing_running_is_fine(sandbox: Path) -> None:
    result = CliRunner().invoke(app, ["stack", "down", "--profile", "test"])

    assert result.exit_code == 0
    assert result.output == "test stack is down.\n"
