"""Metrics keeps every MongoDB update operator in its `repository.py` (issue 14's rule; a
project-wide lint will check every package the same way)."""

from __future__ import annotations

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "services" / "metrics" / "src" / "signum" / "metrics"
OPERATOR = re.compile(
    r"\$(set|inc|push|pull|addToSet|unset|setOnInsert|pullAll|min|max|mul|rename|pop|currentDate|bit)\b"
)


def test_no_module_but_the_repository_holds_an_update_operator() -> None:
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(SOURCE.rglob("*.py"))
        if path.name != "repository.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if OPERATOR.search(line)
    ]
    assert not found, "\n".join(found)
    assert OPERATOR.search((SOURCE / "repository.py").read_text())  # the pattern does find them
