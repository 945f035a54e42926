"""Re-vendor the Kubernetes JSON schemas the deploy tests use (run by hand, not by pytest).

The schemas come from the `kubernetes-validate` wheel on PyPI, which ships yannh's
kubernetes-json-schema "local-strict" files (`additionalProperties: false` everywhere). Only the
kinds listed below are copied, `_definitions.json` is pruned to the definitions they reach, and
the prose `description` annotations are dropped (validation never reads them), so the copy stays
small. Usage:

    pip download --no-deps -d /tmp/kv kubernetes-validate==1.37.0
    unzip -q /tmp/kv/kubernetes_validate-1.37.0-py3-none-any.whl -d /tmp/kv
    uv run python tests/deploy/schemas/kubernetes/vendor.py /tmp/kv v1.30.0
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

KINDS = [
    "namespace-v1",
    "configmap-v1",
    "secret-v1",
    "service-v1",
    "deployment-apps-v1",
    "poddisruptionbudget-policy-v1",
    "horizontalpodautoscaler-autoscaling-v2",
    "ingress-networking-v1",
    "statefulset-apps-v1",
    "job-batch-v1",
]
# Kind files point into the definitions file; definitions point at each other locally.
DEFS_PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.update(ref.removeprefix(p) for p in DEFS_PREFIXES if ref.startswith(p))
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _without_descriptions(node: Any) -> Any:
    # A string-valued "description" is an annotation; a field named "description" would be a dict.
    if isinstance(node, dict):
        return {
            k: _without_descriptions(v)
            for k, v in node.items()
            if not (k == "description" and isinstance(v, str))
        }
    if isinstance(node, list):
        return [_without_descriptions(v) for v in node]
    return node


def _write(path: Path, schema: Any) -> None:
    path.write_text(json.dumps(_without_descriptions(schema), indent=2) + "\n")


def main(unpacked_wheel: Path, version: str) -> None:
    source = unpacked_wheel / "kubernetes_validate" / "kubernetes-json-schema" / f"{version}-local-strict"
    target = Path(__file__).parent / f"{version}-local-strict"
    target.mkdir(exist_ok=True)
    definitions = json.loads((source / "_definitions.json").read_text())
    wanted: set[str] = set()
    todo: list[str] = []
    for kind in KINDS:
        schema = json.loads((source / f"{kind}.json").read_text())
        _write(target / f"{kind}.json", schema)
        todo.extend(_refs(schema))
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        todo.extend(_refs(definitions["$defs"][name]))
    pruned = {k: v for k, v in definitions.items() if k != "$defs"}
    pruned["$defs"] = {k: v for k, v in definitions["$defs"].items() if k in wanted}
    _write(target / "_definitions.json", pruned)
    print(f"{len(KINDS)} kinds, {len(wanted)} of {len(definitions['$defs'])} definitions -> {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
