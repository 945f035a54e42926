"""Recipients checked against drafting's read model of the directory, on the real MongoDB-wire server."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from signum.contracts.directory import (
    DependenciaPayload,
    FuncionarioPayload,
    PuestoPayload,
    UnidadPayload,
)
from signum.drafting.recipients import DirectoryResolver
from signum.drafting.rendering import Renderer
from signum.drafting.repository import FolioCounters, OficioRepository
from signum.drafting.service import DraftingService, TemplateService
from signum.platform.directory import DirectoryReadModel
from signum.platform.errors import ValidationFailedError
from tests.drafting.support import UNIT, MemoryStore, content, official

pytestmark = pytest.mark.stack

AUTHOR = official("autor")


async def _seed(directory: DirectoryReadModel) -> None:
    entities: list[tuple[str, Any]] = [
        (
            "directory.dependencia.upserted",
            DependenciaPayload(id="TES", revision=1, nombre="Tesorería Municipal"),
        ),
        (
            "directory.unidad.upserted",
            UnidadPayload(
                id="EGR",
                revision=1,
                dependencia_id="TES",
                nombre="Dirección de Egresos",
                prefijo_folio="TES/EGR",
            ),
        ),
        (
            "directory.puesto.upserted",
            PuestoPayload(
                id="EGR-TIT",
                revision=1,
                unidad_id="EGR",
                titulo="Director de Egresos",
                es_titular=True,
                funcionario_id="70001",
            ),
        ),
        (
            "directory.puesto.upserted",
            PuestoPayload(
                id="EGR-ANA", revision=1, unidad_id="EGR", titulo="Analista de Egresos", es_titular=False
            ),
        ),
        (
            "directory.funcionario.upserted",
            FuncionarioPayload(
                id="70001",
                revision=1,
                nombre="Jorge Luis Ramírez Treviño",
                correo="jorge.ramirez@monterrey.gob.mx",
                rfc="RATJ800101AB1",
                curp="RATJ800101HNLMRR09",
            ),
        ),
        (
            "directory.funcionario.upserted",
            FuncionarioPayload(
                id="70002",
                revision=1,
                nombre="Persona Dada de Baja",
                correo="baja@monterrey.gob.mx",
                rfc="BAJP800101AB1",
                curp="BAJP800101HNLMRR09",
                activo=False,
            ),
        ),
    ]
    for event_type, payload in entities:
        await directory.upsert(event_type, payload)


@pytest.fixture
async def resolving(
    db: Any, templates: TemplateService, shared_renderer: Renderer, store: MemoryStore
) -> DraftingService:
    directory = DirectoryReadModel(db)
    await directory.ensure_indexes()
    await _seed(directory)
    repo = OficioRepository(db)
    await repo.ensure_indexes()
    folios = FolioCounters(db)
    await folios.ensure_indexes()
    return DraftingService(
        repo,
        None,
        templates=templates,
        folios=folios,
        renderer=shared_renderer,
        store=store,
        recipients=DirectoryResolver(directory),
    )


def _with(destinatarios: list[dict[str, Any]], ccp: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data = content()
    # The common content's signers are officials of another test directory: here they sign by name.
    data["firmantes"] = [{k: v for k, v in f.items() if k != "funcionario_id"} for f in data["firmantes"]]
    data["destinatarios"] = destinatarios
    if ccp is not None:
        data["ccp"] = ccp
    return data


async def _save(drafting: DraftingService, contenido: dict[str, Any]) -> Any:
    draft = await drafting.create_draft(
        caller=AUTHOR, kind="oficio", asunto="Informe", office_id=UNIT, correlation_id="c"
    )
    return await drafting.update_draft(
        caller=AUTHOR,
        oficio_id=draft.id,
        expected_version=1,
        changes={"contenido": contenido},
        correlation_id="c",
    )


async def test_directory_recipients_are_filled_from_the_directory(resolving: DraftingService) -> None:
    saved = await _save(
        resolving,
        _with(
            [
                # What a browser sends is replaced by what the directory says.
                {"tipo": "funcionario", "id": "70001", "nombre": "Otro nombre", "cargo": "Inventado"},
                {"tipo": "puesto", "id": "EGR-ANA"},
                {"tipo": "unidad", "id": "EGR"},
                {"tipo": "externo", "nombre": "Mtra. Sofía Leal", "organizacion": "Universidad Regional"},
            ],
            ccp=[{"tipo": "puesto", "id": "EGR-TIT"}, {"nombre": "Archivo"}],
        ),
    )
    got = [(d.nombre, d.cargo, d.organizacion) for d in saved.contenido.destinatarios]
    assert got == [
        ("Jorge Luis Ramírez Treviño", "Director de Egresos", "Tesorería Municipal"),
        ("Analista de Egresos", "", "Tesorería Municipal"),  # vacant: addressed by its title
        # The whole office: its titular; "Dirección de Egresos" is what the title already says.
        ("Jorge Luis Ramírez Treviño", "Director de Egresos", "Tesorería Municipal"),
        ("Mtra. Sofía Leal", "", "Universidad Regional"),
    ]
    assert [(c.nombre, c.cargo) for c in saved.contenido.ccp] == [
        ("Jorge Luis Ramírez Treviño", "Director de Egresos, Tesorería Municipal"),
        ("Archivo", ""),
    ]
    stored = await resolving.get_draft(AUTHOR, saved.id)
    assert stored.contenido.destinatarios[0].nombre == "Jorge Luis Ramírez Treviño"

    pdf = await resolving.preview(AUTHOR, saved.id, "pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Jorge Luis Ramírez Treviño" in text
    assert "Otro nombre" not in text


@pytest.mark.parametrize(
    ("destinatario", "shown"),
    [
        ({"tipo": "funcionario", "id": "99999"}, "funcionario «99999»"),
        ({"tipo": "funcionario", "id": "70002"}, "funcionario «70002»"),  # dado de baja
        ({"tipo": "puesto", "id": "NO-EXISTE"}, "puesto «NO-EXISTE»"),
        ({"tipo": "unidad", "id": "NO-EXISTE"}, "unidad administrativa «NO-EXISTE»"),
    ],
)
async def test_unknown_directory_ids_are_refused_in_spanish_and_nothing_is_saved(
    resolving: DraftingService, destinatario: dict[str, Any], shown: str
) -> None:
    draft = await resolving.create_draft(
        caller=AUTHOR, kind="oficio", asunto="Informe", office_id=UNIT, correlation_id="c"
    )
    with pytest.raises(ValidationFailedError) as info:
        await resolving.update_draft(
            caller=AUTHOR,
            oficio_id=draft.id,
            expected_version=1,
            changes={"contenido": _with([destinatario])},
            correlation_id="c",
        )
    assert info.value.code == "recipient_not_in_directory"
    assert info.value.status_code == 422
    assert info.value.message.startswith("Hay destinatarios o firmantes que no existen en el directorio")
    assert f"el destinatario 1 ({shown})" in info.value.message
    assert (await resolving.get_draft(AUTHOR, draft.id)).version == 1


async def test_a_recipient_removed_from_the_directory_stops_finalization(
    resolving: DraftingService, db: Any
) -> None:
    saved = await _save(resolving, _with([{"tipo": "funcionario", "id": "70001"}]))
    directory = DirectoryReadModel(db)
    await directory.upsert(
        "directory.funcionario.upserted",
        FuncionarioPayload(
            id="70001",
            revision=2,
            nombre="Jorge Luis Ramírez Treviño",
            correo="jorge.ramirez@monterrey.gob.mx",
            rfc="RATJ800101AB1",
            curp="RATJ800101HNLMRR09",
            activo=False,
        ),
    )
    with pytest.raises(ValidationFailedError) as info:
        await resolving.finalize(AUTHOR, saved.id, "c")
    assert info.value.code == "recipient_not_in_directory"
    after = await resolving.get_draft(AUTHOR, saved.id)
    assert after.status == "borrador"
    assert after.folio is None  # refused before taking a folio


@pytest.mark.parametrize(
    ("externo", "message"),
    [
        ({"tipo": "externo", "nombre": "Sofía Leal"}, "requiere su organización"),
        ({"tipo": "externo", "organizacion": "Universidad"}, "requiere su nombre"),
        (
            {"tipo": "externo", "nombre": "Sofía", "organizacion": "Universidad", "correo": "sofia@"},
            "no es un correo electrónico válido",
        ),
        ({"tipo": "externo", "id": "70001", "nombre": "S", "organizacion": "U"}, "no lleva id"),
    ],
)
async def test_external_recipients_need_name_and_organisation_and_a_valid_email(
    resolving: DraftingService, externo: dict[str, Any], message: str
) -> None:
    draft = await resolving.create_draft(
        caller=AUTHOR, kind="oficio", asunto="Informe", office_id=UNIT, correlation_id="c"
    )
    with pytest.raises(ValidationFailedError) as info:
        await resolving.update_draft(
            caller=AUTHOR,
            oficio_id=draft.id,
            expected_version=1,
            changes={"contenido": _with([externo])},
            correlation_id="c",
        )
    assert info.value.code == "content_invalid"
    assert message in info.value.message


async def test_an_external_email_is_optional(resolving: DraftingService) -> None:
    saved = await _save(
        resolving, _with([{"tipo": "externo", "nombre": "Sofía Leal", "organizacion": "UANL"}])
    )
    assert saved.contenido.destinatarios[0].correo == ""


async def test_a_directory_signer_signs_with_the_directorys_name_and_an_unknown_one_is_refused(
    resolving: DraftingService,
) -> None:
    data = _with([{"tipo": "externo", "nombre": "Mtra. Sofía Leal", "organizacion": "Universidad Regional"}])
    data["firmantes"] = [{"funcionario_id": "70001"}, {"funcionario_id": "70001", "cargo": "Encargado"}]
    saved = await _save(resolving, data)
    assert [(f.nombre, f.cargo) for f in saved.contenido.firmantes] == [
        ("Jorge Luis Ramírez Treviño", "Director de Egresos"),
        ("Jorge Luis Ramírez Treviño", "Encargado"),  # a title given for this oficio is kept
    ]
    data["firmantes"] = [{"funcionario_id": "99999", "nombre": "Alguien"}]
    with pytest.raises(ValidationFailedError) as info:
        await _save(resolving, data)
    assert info.value.code == "recipient_not_in_directory"
    assert "el firmante 1 (funcionario «99999»)" in info.value.message
    assert info.value.details == {
        "desconocidos": [{"campo": "firmantes[1]", "tipo": "funcionario", "id": "99999"}]
    }
    data["firmantes"] = [{"cargo": "Sin nombre"}]
    with pytest.raises(ValidationFailedError) as refused:
        await _save(resolving, data)
    assert "un firmante fuera del directorio requiere su nombre" in refused.value.message
