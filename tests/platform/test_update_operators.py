"""MongoDB update operators are written only in `repository.py` modules (README, "MongoDB").

A service or library says what a write means (`mark_received(...)`) and its repository says how
(`{"$set": ...}`): the rules can then be read, and tested, without the database's syntax, and a
change of database is a change of repositories. Checked on the source's syntax tree, so a comment
or a docstring that names an operator is not a finding; a string constant equal to one is.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("libs", "services", "gateway", "cli", "deploy/local")
ALLOWED_MODULE = "repository.py"

# Every update operator of MongoDB (field, array and bitwise) and the modifiers only updates use.
# `$sort` and `$slice` are left out: they are also aggregation stages and projection operators.
UPDATE_OPERATORS = frozenset(
    {
        "$currentDate",
        "$inc",
        "$min",
        "$max",
        "$mul",
        "$rename",
        "$set",
        "$setOnInsert",
        "$unset",
        "$addToSet",
        "$pop",
        "$pull",
        "$push",
        "$pullAll",
        "$each",
        "$position",
        "$bit",
    }
)


def operators_in(source: str, filename: str) -> list[tuple[int, str]]:
    """The (line, operator) of every string constant of `source` that is an update operator."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in UPDATE_OPERATORS:
            found.append((node.lineno, node.value))
    return sorted(found)


def checked_modules() -> list[Path]:
    modules: list[Path] = []
    for top in CHECKED:
        modules += [p for p in (ROOT / top).rglob("*.py") if ".venv" not in p.parts]
    return sorted(modules)


def test_update_operators_are_written_only_in_repository_modules() -> None:
    findings = [
        f"{path.relative_to(ROOT)}:{line}: {operator}"
        for path in checked_modules()
        if path.name != ALLOWED_MODULE
        for line, operator in operators_in(path.read_text(encoding="utf-8"), str(path))
    ]
    assert not findings, (
        "MongoDB update operators outside a repository.py (move the write behind an intent-named "
        "method of the package's repository):\n" + "\n".join(findings)
    )


def test_the_check_reads_every_package_and_finds_an_operator_wherever_it_is_written() -> None:
    modules = {str(p.relative_to(ROOT)) for p in checked_modules()}
    for top in CHECKED:
        assert any(m.startswith(top + "/") for m in modules), f"nothing checked under {top}/"
    source = '''
"""Docstrings may name $set freely."""
UPDATE = {"$set": {"a": 1}}
def f(coll):
    return coll.update_one({"_id": 1}, {"$push": {"xs": {"$each": [1]}}, "$inc": {"n": 1}})
OP = "$pullAll"
'''
    assert operators_in(source, "example.py") == [
        (3, "$set"),
        (5, "$each"),
        (5, "$inc"),
        (5, "$push"),
        (6, "$pullAll"),
    ]
    # Query operators and field paths are not update operators.
    assert operators_in('q = {"n": {"$in": [1], "$exists": True}, "$or": []}; p = "a.$"', "q.py") == []
