"""Patches to an installed server: applied exactly, refused loudly when the file is not theirs."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from signum.localstack import mongo as mongo_module
from signum.localstack.errors import ProvisioningFailed
from signum.localstack.patching import apply_patches, parse_patch

ORIGINAL = "".join(f"line {n}\n" for n in range(1, 31))
CHANGED = (
    ORIGINAL.replace("line 3\n", "line 3\nadded\n")
    .replace("line 20\n", "")
    .replace("line 29\n", "line 29 changed\n")
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _make_patch(folder: Path, before: str, after: str) -> Path:
    """A patch of pkg/mod.py from `before` to `after`, as the patches folder holds them."""
    (folder / "a" / "pkg").mkdir(parents=True)
    (folder / "b" / "pkg").mkdir(parents=True)
    (folder / "a" / "pkg" / "mod.py").write_text(before)
    (folder / "b" / "pkg" / "mod.py").write_text(after)
    diff = subprocess.run(
        ["diff", "-u", "a/pkg/mod.py", "b/pkg/mod.py"], cwd=folder, capture_output=True, text=True
    ).stdout
    patch = folder / "0001-change.patch"
    patch.write_text(f"# Licence: GPL-2.0-only\n# sha256 pkg/mod.py {_sha(before)} {_sha(after)}\n{diff}")
    return patch


def _installed(root: Path, text: str) -> Path:
    module = root / "pkg" / "mod.py"
    module.parent.mkdir(parents=True)
    module.write_text(text)
    (module.parent / "__pycache__").mkdir()
    (module.parent / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"stale")
    return module


def test_a_patch_turns_the_file_it_was_made_for_into_the_patched_one(tmp_path: Path) -> None:
    patch = _make_patch(tmp_path / "src", ORIGINAL, CHANGED)
    module = _installed(tmp_path / "site", ORIGINAL)

    assert apply_patches([patch], tmp_path / "site") == [module]

    assert module.read_text() == CHANGED
    assert not (module.parent / "__pycache__" / "mod.cpython-311.pyc").exists()  # recompiled from source


def test_a_patch_refuses_another_version_of_the_file_and_leaves_it_alone(tmp_path: Path) -> None:
    patch = _make_patch(tmp_path / "src", ORIGINAL, CHANGED)
    other_version = ORIGINAL.replace("line 29\n", "line 29 of 0.7.1\n")
    module = _installed(tmp_path / "site", other_version)

    with pytest.raises(ProvisioningFailed, match="not the file this patch was made for"):
        apply_patches([patch], tmp_path / "site")

    assert module.read_text() == other_version


def test_a_patch_whose_stated_result_differs_is_refused(tmp_path: Path) -> None:
    patch = _make_patch(tmp_path / "src", ORIGINAL, CHANGED)
    patch.write_text(patch.read_text().replace(_sha(CHANGED), _sha(CHANGED + "more\n")))
    module = _installed(tmp_path / "site", ORIGINAL)

    with pytest.raises(ProvisioningFailed, match="expected"):
        apply_patches([patch], tmp_path / "site")

    assert module.read_text() == ORIGINAL


def test_secantusdbs_patches_name_their_licence_and_the_hashes_of_every_file_they_change() -> None:
    patches = mongo_module.patch_paths()

    assert [p.name[:4] for p in patches] == ["0001", "0002", "0003", "0004", "0005", "0006", "0007"]
    for patch in patches:
        text = patch.read_text()
        assert "GPL-2.0-only" in text
        assert "Applied by signumctl" in text
        assert {f.path for f in parse_patch(patch)} <= {
            "secantus/commands.py",
            "secantus/storage.py",
            "secantus/cli.py",
            "secantus/transactions.py",
        }
