"""Dockerfile and .dockerignore: one non-root image holding every service, built from the lock."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib

import pytest

from tests.deploy.conventions import PORTS, REPO

UV_VERSION = "0.13.9"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    logical = re.sub(
        r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    )
    result = []
    for line in logical.splitlines():
        if line.strip():
            keyword, _, args = line.strip().partition(" ")
            result.append((keyword.upper(), " ".join(args.split())))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, args in instructions():
        if keyword == "FROM":
            found.append([])
        found[-1].append((keyword, args))
    return found


def test_every_stage_is_python_3_11_slim() -> None:
    for stage in stages():
        keyword, args = stage[0]
        assert keyword == "FROM"
        assert args.split()[0] == "python:3.11-slim"


def test_uv_is_pinned_and_syncs_the_whole_workspace_from_the_lock() -> None:
    runs = [args for keyword, args in stages()[0] if keyword == "RUN"]
    assert any(f"pip install --no-cache-dir uv=={UV_VERSION}" in run for run in runs)
    sync = next(run for run in runs if "uv sync" in run)
    for flag in ("--frozen", "--all-packages", "--no-dev"):
        assert flag in sync
    env = " ".join(args for keyword, args in stages()[0] if keyword == "ENV")
    assert "UV_PROJECT_ENVIRONMENT=/app/.venv" in env


def test_runtime_stage_runs_as_a_numeric_non_root_user() -> None:
    users = [args for keyword, args in stages()[-1] if keyword == "USER"]
    assert users, "the runtime stage sets no USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit()
    assert int(uid) != 0


def test_default_command_is_the_gateway_and_every_port_is_exposed() -> None:
    final = stages()[-1]
    cmd = [args for keyword, args in final if keyword == "CMD"][-1]
    assert json.loads(cmd) == ["python", "-m", "signum.gateway"]
    assert not [args for keyword, args in final if keyword == "ENTRYPOINT"]
    exposed = {int(p) for keyword, args in final if keyword == "EXPOSE" for p in args.split()}
    assert exposed == set(PORTS.values())


def test_runtime_stage_puts_the_venv_on_path() -> None:
    final = stages()[-1]
    assert ("COPY", "--from=build /app/.venv /app/.venv") in final
    env = " ".join(args for keyword, args in final if keyword == "ENV")
    assert "PATH=/app/.venv/bin:$PATH" in env


def dockerignore() -> list[str]:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    """Whether a path is left out of the build context (no `!` exceptions are used here)."""
    parts = path.split("/")
    for pattern in dockerignore():
        assert not pattern.startswith("!"), "exceptions are not supported by this check"
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, pattern.removeprefix("**/")):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatch(parts[i - 1], pattern.removeprefix("**/")):
                return True
    return False


@pytest.mark.parametrize(
    "path",
    [
        ".venv",
        ".local",
        "tests",
        ".git",
        ".mypy_cache",
        ".ruff_cache",
        "libs/platform/.venv",
        "x/__pycache__",
    ],
)
def test_dockerignore_leaves_out_what_the_image_does_not_need(path: str) -> None:
    assert ignored(path)


def workspace_members() -> list[str]:
    root = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    members: list[str] = []
    for pattern in root["tool"]["uv"]["workspace"]["members"]:
        members += [
            p.relative_to(REPO).as_posix() for p in REPO.glob(pattern) if (p / "pyproject.toml").exists()
        ]
    return members


def test_dockerignore_keeps_the_lock_and_every_workspace_member() -> None:
    needed = ["pyproject.toml", "uv.lock"]
    for member in workspace_members():
        needed += [f"{member}/pyproject.toml", f"{member}/src"]
    assert len(needed) > 2
    kept_out = [path for path in needed if ignored(path)]
    assert not kept_out, f".dockerignore drops files the image is built from: {kept_out}"
