"""Drafting through the public API on the real platform: save twice, diff, a stale save refused,
a reviewer's comment and visto bueno, finalization with a folio, and the preview as a real PDF."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from signum.testing.kafka import eventually
from tests.e2e.conftest import World

pytestmark = pytest.mark.stack


def _content(world: World, cuerpo: str) -> dict[str, Any]:
    autor = world.people["autor@A"]
    titular = world.people["titular@B"]
    return {
        "remitente": {
            "nombre": f"{autor.nombre} {autor.paterno} {autor.materno}",
            "cargo": "Coordinadora de Pruebas",
            "dependencia": "Dependencia de Pruebas",
            "unidad": "Unidad A",
        },
        "destinatarios": [
            {
                "tipo": "funcionario",
                "id": titular.numero_empleado,
                "nombre": f"{titular.nombre} {titular.paterno}",
                "cargo": "Titular de la Unidad B",
                "organizacion": "Dependencia de Pruebas",
            }
        ],
        "cuerpo": {"blocks": [{"type": "paragraph", "children": [{"type": "text", "text": cuerpo}]}]},
        "firmantes": [
            {
                "funcionario_id": autor.numero_empleado,
                "nombre": f"{autor.nombre} {autor.paterno} {autor.materno}",
                "cargo": "Coordinadora de Pruebas",
            }
        ],
        "iniciales": "ALG/pru",
    }


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_draft_edit_review_finalize_and_preview(world: World) -> None:
    autor = await world.as_("autor@A")
    revisor = await world.as_("funcionario@A")
    revisor_id = world.people["funcionario@A"].numero_empleado

    draft = _ok(
        await autor.post(
            "/api/v1/oficios",
            json={
                "asunto": "Solicitud de información presupuestal",
                "colaboradores": [{"funcionario_id": revisor_id, "rol": "revisor"}],
            },
        ),
        201,
    )
    oficio = f"/api/v1/oficios/{draft['id']}"
    assert draft["version"] == 1

    first = _ok(
        await autor.patch(
            oficio,
            json={
                "version": 1,
                "contenido": _content(world, "Solicito el informe trimestral de obra pública."),
            },
        )
    )
    assert first["version"] == 2

    assert _ok(await autor.get(oficio))["version"] == 2
    # The second save gives its version in If-Match, as a browser editing the ETag would.
    second_response = await autor.patch(
        oficio,
        headers={"If-Match": '"2"'},
        json={"contenido": _content(world, "Solicito el informe anual de obra pública.")},
    )
    second = _ok(second_response)
    assert second["version"] == 3
    assert second_response.headers["etag"] == '"3"'

    versions = _ok(await autor.get(f"{oficio}/versiones"))
    assert [v["n"] for v in versions] == [1, 2, 3]
    assert _ok(await autor.get(f"{oficio}/versiones/2"))["n"] == 2

    diff = _ok(await autor.get(f"{oficio}/diferencias", params={"desde": 2, "hasta": 3}))
    cuerpo = next(b for b in diff["bloques"] if b["bloque"] == "cuerpo")
    assert cuerpo["cambio"] is True
    assert [f["text"].strip() for f in cuerpo["fragmentos"] if f["op"] == "delete"] == ["trimestral"]
    assert [f["text"].strip() for f in cuerpo["fragmentos"] if f["op"] == "insert"] == ["anual"]
    assert not next(b for b in diff["bloques"] if b["bloque"] == "asunto")["cambio"]

    stale = await autor.patch(oficio, json={"version": 2, "asunto": "Un cambio sobre una versión vieja"})
    assert stale.status_code == 409, stale.text
    assert stale.json()["code"] == "version_conflict"
    assert "Otra persona guardó cambios" in stale.json()["message"]
    assert _ok(await autor.get(oficio))["asunto"] == "Solicitud de información presupuestal"

    in_review = _ok(await autor.post(f"{oficio}/revisiones", json={}))
    assert in_review["status"] == "en_revision"
    assert in_review["revisores_pendientes"] == [revisor_id]

    comment = _ok(
        await revisor.post(
            f"{oficio}/comentarios",
            json={"texto": "¿Anual o trimestral?", "ancla": {"bloque": "cuerpo", "texto_citado": "anual"}},
        ),
        201,
    )
    replied = _ok(
        await autor.post(f"{oficio}/comentarios/{comment['id']}/respuestas", json={"texto": "Anual."}), 201
    )
    assert [r["texto"] for r in replied["respuestas"]] == ["Anual."]
    assert _ok(await revisor.post(f"{oficio}/comentarios/{comment['id']}/resolucion", json={}))["resuelto"]
    assert [c["texto"] for c in _ok(await autor.get(f"{oficio}/comentarios"))] == ["¿Anual o trimestral?"]

    reviewed = _ok(
        await revisor.post(f"{oficio}/dictamenes", json={"resultado": "visto_bueno", "version": 3})
    )
    assert reviewed["revisores_pendientes"] == []

    final = _ok(await autor.post(f"{oficio}/finalizacion"))
    assert final["status"] == "listo_para_firma"
    assert re.fullmatch(r"PRU/A/\d{4}/20\d\d", final["folio"]), final["folio"]
    assert final["documento"]["sha256"]
    assert _ok(await autor.get(oficio))["status"] == "listo_para_firma"

    pdf = await autor.get(f"{oficio}/vista-previa")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    png = await revisor.get(f"{oficio}/vista-previa", params={"formato": "png"})
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")


async def test_only_participants_comment_and_an_outsider_cannot_edit(world: World) -> None:
    autor = await world.as_("autor@A")
    draft = _ok(await autor.post("/api/v1/oficios", json={"asunto": "Oficio sin colaboradores"}), 201)
    oficio = f"/api/v1/oficios/{draft['id']}"
    outsider = await world.as_("funcionario@B")
    edit = await outsider.patch(oficio, json={"version": 1, "asunto": "Ajeno"})
    comment = await outsider.post(
        f"{oficio}/comentarios", json={"texto": "Hola", "ancla": {"bloque": "asunto"}}
    )
    assert (edit.status_code, edit.json()["code"]) == (403, "forbidden")
    assert comment.status_code == 403
    missing = await autor.patch(oficio, json={"asunto": "Sin versión"})
    assert (missing.status_code, missing.json()["code"]) == (422, "version_required")
    extra = await autor.patch(oficio, json={"version": 1, "inventado": True})
    assert extra.status_code == 422


async def test_templates_are_read_by_officials_and_previewed_as_pdf(world: World) -> None:
    client = await world.as_("funcionario@A")
    templates = _ok(await client.get("/api/v1/plantillas"))
    assert "municipal-homologado" in {t["plantilla_id"] for t in templates}
    found = _ok(await client.get("/api/v1/plantillas/municipal-homologado"))
    assert (found["plantilla_id"], found["version"]) == ("municipal-homologado", 1)
    preview = await client.get("/api/v1/plantillas/municipal-homologado/vista-previa")
    assert preview.status_code == 200, preview.text
    assert preview.content.startswith(b"%PDF")
    refused = await client.delete("/api/v1/plantillas/municipal-homologado")
    assert refused.status_code == 403


async def test_saves_right_after_creation_are_kept_while_the_relay_publishes(world: World) -> None:
    """The relay clears each new draft's events while the author is already saving: no save that
    was acknowledged may be undone by the relay's write to the same document."""
    autor = await world.as_("autor@A")
    oficios = []
    for n in range(12):
        draft = _ok(await autor.post("/api/v1/oficios", json={"asunto": f"Borrador {n}"}), 201)
        oficio = f"/api/v1/oficios/{draft['id']}"
        _ok(await autor.patch(oficio, json={"version": 1, "asunto": f"Guardado {n}"}))
        oficios.append((n, oficio))

    async def published() -> bool:
        # Every draft's oficio.created has reached routing: the relay has written to all of them.
        for _, oficio in oficios:
            if _ok(await autor.get(oficio)).get("seguimiento") is None:
                return False
        return True

    await eventually(published, within=15)
    for n, oficio in oficios:
        current = _ok(await autor.get(oficio))
        assert (current["version"], current["asunto"]) == (2, f"Guardado {n}")
