"""A body with lists and tables (arrays inside arrays) is stored, versioned and diffed on the real
MongoDB-wire server."""

from __future__ import annotations

from typing import Any

import pytest

from signum.drafting.service import DraftingService
from tests.drafting.support import UNIT, content, official

pytestmark = pytest.mark.stack

AUTHOR = official("autor")


def _text(text: str, **marks: bool) -> dict[str, Any]:
    return {"type": "text", "text": text, **marks}


def _body(word: str) -> dict[str, Any]:
    return {
        "blocks": [
            {
                "type": "paragraph",
                "children": [_text("Solicito "), _text("lo siguiente", bold=True), {"type": "break"}],
            },
            {
                "type": "bullet_list",
                "items": [
                    [{"type": "paragraph", "children": [_text(f"Avance {word}")]}],
                    [
                        {"type": "paragraph", "children": [_text("Con anexos")]},
                        {
                            "type": "numbered_list",
                            "items": [[{"type": "paragraph", "children": [_text("Uno")]}]],
                        },
                    ],
                ],
            },
            {
                "type": "table",
                "header": True,
                "rows": [[[_text("Obra")], [_text("Monto")]], [[_text("Puente")], []]],
            },
        ]
    }


async def test_lists_and_tables_are_saved_read_back_and_diffed(drafting: DraftingService) -> None:
    draft = await drafting.create_draft(
        caller=AUTHOR, kind="oficio", asunto="Informe", office_id=UNIT, correlation_id="c"
    )
    first = await drafting.update_draft(
        caller=AUTHOR,
        oficio_id=draft.id,
        expected_version=1,
        changes={"contenido": {**content(), "cuerpo": _body("físico")}},
        correlation_id="c",
    )
    await drafting.update_draft(
        caller=AUTHOR,
        oficio_id=draft.id,
        expected_version=2,
        changes={"contenido": {**content(), "cuerpo": _body("financiero")}},
        correlation_id="c",
    )
    stored = await drafting.get_draft(AUTHOR, draft.id)
    dumped = stored.contenido.cuerpo.model_dump(mode="json")
    assert dumped["blocks"][1]["items"][1][1]["items"][0][0]["children"][0]["text"] == "Uno"
    assert dumped["blocks"][2]["rows"][1] == [
        [_text("Puente", bold=False, italic=False, underline=False)],
        [],
    ]
    snapshot = await drafting.get_version(AUTHOR, draft.id, 2)
    assert snapshot["contenido"]["cuerpo"] == first.contenido.cuerpo.model_dump(mode="json")
    diff = await drafting.diff(AUTHOR, draft.id, 2, 3)
    cuerpo = next(b for b in diff["bloques"] if b["bloque"] == "cuerpo")
    assert [f["text"] for f in cuerpo["fragmentos"] if f["op"] == "delete"] == ["físico"]
    assert [f["text"] for f in cuerpo["fragmentos"] if f["op"] == "insert"] == ["financiero"]
    pdf = await drafting.preview(AUTHOR, draft.id, "pdf")
    assert pdf.startswith(b"%PDF")
