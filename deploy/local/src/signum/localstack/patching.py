"""Patches to an installed server's files: unified diffs applied exactly, checked by hash.

A patch file starts with `#` comment lines (what it fixes, its licence) that include one
`# sha256 <path> <before> <after>` line per file it changes, then the unified diff (`--- a/<path>`,
`+++ b/<path>`, hunks). Paths are relative to the folder the patches are applied in. Every
hunk must match the file exactly (no fuzz, no offsets beyond what earlier hunks shifted), and
each file's hash is checked before and after: a server version that changed a patched file
fails here, loudly, instead of running half patched.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from signum.localstack.errors import ProvisioningFailed

HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
SHA_LINE = re.compile(r"^# sha256 (\S+) ([0-9a-f]{64}) ([0-9a-f]{64})$")


@dataclass
class FilePatch:
    path: str
    before: str = ""
    after: str = ""
    hunks: list[tuple[int, list[str]]] = field(default_factory=list)  # (old start, lines)


def parse_patch(patch: Path) -> list[FilePatch]:
    """The files `patch` changes, with their hashes and hunks, in the patch's order."""
    hashes: dict[str, tuple[str, str]] = {}
    files: list[FilePatch] = []
    lines = patch.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if sha := SHA_LINE.match(line):
            hashes[sha.group(1)] = (sha.group(2), sha.group(3))
        elif line.startswith("--- a/") and i + 1 < len(lines) and lines[i + 1].startswith("+++ b/"):
            path = lines[i + 1].removeprefix("+++ b/").split("\t")[0]
            if path not in hashes:
                raise ProvisioningFailed(f"{patch.name}: no `# sha256 {path} …` line for {path}")
            files.append(FilePatch(path, *hashes[path]))
            i += 1
        elif header := HUNK_HEADER.match(line):
            if not files:
                raise ProvisioningFailed(f"{patch.name}:{i + 1}: a hunk before any file header")
            old_count = int(header.group(2) or 1)
            new_count = int(header.group(4) or 1)
            body: list[str] = []
            while old_count > 0 or new_count > 0:
                i += 1
                if i >= len(lines):
                    raise ProvisioningFailed(f"{patch.name}: the last hunk is cut short")
                hunk_line = lines[i]
                if hunk_line.startswith("\\"):  # "\ No newline at end of file"
                    continue
                kind = hunk_line[:1] or " "
                if kind not in " -+":
                    raise ProvisioningFailed(f"{patch.name}:{i + 1}: not a hunk line: {hunk_line!r}")
                old_count -= kind != "+"
                new_count -= kind != "-"
                body.append(kind + hunk_line[1:])
            files[-1].hunks.append((int(header.group(1)), body))
        i += 1
    if not files:
        raise ProvisioningFailed(f"{patch.name}: no file to patch")
    return files


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def apply_patch(patch: Path, root: Path) -> list[Path]:
    """Apply `patch` to the files under `root`; the files it changed.

    Raises ProvisioningFailed, naming the patch and the file, when a file's hash before or after
    is not the one the patch states or a hunk does not match.
    """
    changed: list[Path] = []
    for file_patch in parse_patch(patch):
        target = root / file_patch.path
        if not target.is_file():
            raise ProvisioningFailed(f"{patch.name}: {target} is missing")
        data = target.read_bytes()
        if _sha256(data) != file_patch.before:
            raise ProvisioningFailed(
                f"{patch.name}: {file_patch.path} is not the file this patch was made for "
                f"(sha256 {_sha256(data)}, expected {file_patch.before}): "
                "the server's version changed; remake the patch for it"
            )
        lines = data.decode().splitlines(keepends=True)
        shift = 0
        for start, body in file_patch.hunks:
            old = [line[1:] for line in body if line[0] != "+"]
            new = [line[1:] for line in body if line[0] != "-"]
            at = start - 1 + shift if old else start + shift
            if [line.rstrip("\n") for line in lines[at : at + len(old)]] != old:
                raise ProvisioningFailed(
                    f"{patch.name}: a hunk at line {start} of {file_patch.path} does not match"
                )
            lines[at : at + len(old)] = [line + "\n" for line in new]
            shift += len(new) - len(old)
        patched = "".join(lines).encode()
        if _sha256(patched) != file_patch.after:
            raise ProvisioningFailed(
                f"{patch.name}: {file_patch.path} patched has sha256 {_sha256(patched)}, "
                f"expected {file_patch.after}"
            )
        target.write_bytes(patched)
        # Its compiled module is stale now: drop it so Python compiles the patched source.
        for compiled in (target.parent / "__pycache__").glob(f"{target.stem}.*.pyc"):
            compiled.unlink()
        changed.append(target)
    return changed


def apply_patches(patches: list[Path], root: Path) -> list[Path]:
    """Apply `patches` in order (later ones may build on earlier ones); the files changed."""
    changed: list[Path] = []
    for patch in patches:
        changed += [path for path in apply_patch(patch, root) if path not in changed]
    return changed
