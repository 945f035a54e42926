"""Odd input on the real platform (issue 13, classes 5 and 9): a null where a field may only be left
out is refused and nothing is saved; a stored document with odd values still reads; control and
bidi characters are refused in free text; an unknown collaborator is refused; every HTML page
carries the security headers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings
from tests.e2e.conftest import World

pytestmark = pytest.mark.stack

NOT_NULL = ("kind", "asunto", "colaboradores", "confidencialidad", "contenido", "prioridad")


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _draft(world: World, asunto: str = "Solicitud de información") -> tuple[httpx.AsyncClient, str]:
    autor = await world.as_("autor@A")
    draft = _ok(await autor.post("/api/v1/oficios", json={"asunto": asunto}), 201)
    return autor, f"/api/v1/oficios/{draft['id']}"


@pytest.mark.parametrize("field", NOT_NULL)
async def test_a_null_is_refused_nothing_is_saved_and_the_oficio_still_reads(
    world: World, field: str
) -> None:
    autor, oficio = await _draft(world)
    before = _ok(await autor.get(oficio))
    refused = await autor.patch(oficio, json={"version": before["version"], field: None})
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "null_not_allowed"
    assert "nulo" in body["message"]
    assert body["details"]["campos"] == [{"campo": field, "error": "null_not_allowed"}]
    after = _ok(await autor.get(oficio))
    assert after["version"] == before["version"]
    assert (after["kind"], after["prioridad"], after["asunto"]) == (
        before["kind"],
        before["prioridad"],
        before["asunto"],
    )


async def test_the_nullable_fields_clear_with_null(world: World) -> None:
    autor, oficio = await _draft(world)
    saved = _ok(await autor.patch(oficio, json={"version": 1, "fecha_limite_respuesta": "2026-12-31"}))
    assert saved["fecha_limite_respuesta"] == "2026-12-31"
    cleared = _ok(await autor.patch(oficio, json={"version": 2, "fecha_limite_respuesta": None}))
    assert cleared["fecha_limite_respuesta"] is None


@pytest.mark.parametrize("field", ["kind", "asunto", "colaboradores", "confidencialidad"])
async def test_a_new_oficio_refuses_a_null(world: World, field: str) -> None:
    autor = await world.as_("autor@A")
    refused = await autor.post("/api/v1/oficios", json={"asunto": "Oficio", field: None})
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "validation_failed"


async def test_a_stored_document_with_odd_values_still_reads(world: World, stack_env: dict[str, str]) -> None:
    autor, oficio = await _draft(world)
    oficio_id = oficio.rsplit("/", 1)[1]
    infra = InfraSettings(
        mongo_url=stack_env["SIGNUM_MONGO_URL"], mongo_db_prefix=stack_env["SIGNUM_MONGO_DB_PREFIX"]
    )
    client = build_mongo_client(infra)
    try:
        oficios = client[infra.database_name("drafting")]["oficios"]
        # What an older version, a hand edit or the bug of issue 13 may have left behind.
        written = await oficios.update_one(
            {"_id": oficio_id},
            {
                "$set": {
                    "kind": None,
                    "prioridad": None,
                    "confidencialidad": "secreto",
                    "colaboradores": [None, {"funcionario_id": 7, "rol": "jefe"}],
                    "fecha_limite_respuesta": "no es fecha",
                    "clasificacion": {"fondo": None},
                    "revisiones": "nada",
                    "plantilla_version": None,
                }
            },
        )
        assert written.modified_count == 1
    finally:
        client.close()
    shown = _ok(await autor.get(oficio))
    assert (shown["kind"], shown["prioridad"], shown["confidencialidad"]) == (
        "oficio",
        "ordinaria",
        "publica",
    )
    assert shown["colaboradores"] == []
    assert shown["fecha_limite_respuesta"] is None
    assert shown["clasificacion"] is None
    # And it can be saved again, which writes proper values back.
    saved = _ok(await autor.patch(oficio, json={"version": shown["version"], "prioridad": "urgente"}))
    assert saved["prioridad"] == "urgente"


@pytest.mark.parametrize("text", ["factura\u202efdp.exe", "oficio\x00nulo", "aviso \u2067oculto\u2069"])
async def test_control_and_bidi_characters_are_refused_in_free_text(world: World, text: str) -> None:
    autor = await world.as_("autor@A")
    created = await autor.post("/api/v1/oficios", json={"asunto": text})
    assert created.status_code == 422, created.text
    assert created.json()["code"] == "unsafe_text"
    assert "dirección del texto" in created.json()["message"]
    autor, oficio = await _draft(world)
    saved = await autor.patch(oficio, json={"version": 1, "asunto": text})
    assert saved.status_code == 422
    assert saved.json()["code"] == "unsafe_text"
    comment = await autor.post(f"{oficio}/comentarios", json={"texto": text, "ancla": {"bloque": "asunto"}})
    assert comment.status_code == 422
    assert comment.json()["code"] == "unsafe_text"
    anexo = await autor.post(
        f"{oficio}/anexos",
        params={"nombre": f"{text}.pdf"},
        content=b"%PDF-1.4\n",
        headers={"content-type": "application/pdf"},
    )
    assert anexo.status_code == 422
    assert anexo.json()["code"] == "unsafe_text"
    assert _ok(await autor.get(oficio))["version"] == 1


async def test_an_unknown_collaborator_is_refused(world: World) -> None:
    autor = await world.as_("autor@A")
    unknown = [{"funcionario_id": "99999", "rol": "revisor"}]
    created = await autor.post("/api/v1/oficios", json={"asunto": "Oficio", "colaboradores": unknown})
    assert created.status_code == 422, created.text
    assert created.json()["code"] == "collaborator_not_in_directory"
    assert created.json()["details"]["funcionarios"] == ["99999"]
    autor, oficio = await _draft(world)
    known = world.people["funcionario@A"].numero_empleado
    saved = await autor.patch(
        oficio, json={"version": 1, "colaboradores": [{"funcionario_id": known, "rol": "editor"}, *unknown]}
    )
    assert saved.status_code == 422
    assert saved.json()["code"] == "collaborator_not_in_directory"
    shown = _ok(await autor.get(oficio))
    assert (shown["version"], shown["colaboradores"]) == (1, [])


PAGES = [
    "/",
    "/bandeja",
    "/redaccion",
    "/plantillas",
    "/firmar",
    "/estado",
    "/verificar",
    "/docs",
    "/no-existe",
]


def _directives(csp: str) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in (p.strip() for p in csp.split(";")) if d}


async def test_every_html_page_carries_the_security_headers(world: World) -> None:
    admin = await world.as_("administrador@A")
    anonymous = httpx.AsyncClient(base_url=world.gateway)
    try:
        pages = [(admin, path) for path in PAGES] + [(anonymous, "/"), (anonymous, "/verificar")]
        for client, path in pages:
            response = await client.get(path, headers={"Accept": "text/html"})
            assert response.headers["content-type"].startswith("text/html"), path
            assert response.headers["x-content-type-options"] == "nosniff", path
            assert response.headers["referrer-policy"] == "same-origin", path
            csp = _directives(response.headers["content-security-policy"])
            assert csp["frame-ancestors"] == "'none'", path
            assert csp["object-src"] == "'none'", path
            assert csp["worker-src"] == "'self'", path
            assert csp["script-src"].startswith("'self' 'nonce-"), path
            assert "unsafe" not in csp["script-src"], path
            blob_or_data = "blob:" in response.headers["content-security-policy"]
            assert blob_or_data == (path in ("/redaccion", "/plantillas")), path
        api = await admin.get("/api/v1/bandeja")
        assert api.headers["x-content-type-options"] == "nosniff"
        assert "content-security-policy" not in api.headers
    finally:
        await anonymous.aclose()
