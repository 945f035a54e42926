"""Storage's read model of who takes part in an oficio follows every save of the draft
(`oficio.updated`), in the order of the draft's versions, whatever order the events arrive in."""

from __future__ import annotations

import uuid

import pytest

from signum.contracts import Actor
from signum.contracts.drafting import OficioUpdated, OficioUpdatedPayload
from signum.platform.errors import ForbiddenError
from signum.platform.policy import Action
from signum.storage.app import Components
from tests.storage.conftest import chunks, official, oficio_created, pdf_bytes

pytestmark = pytest.mark.stack


def saved(oficio_id: str, version: int, participantes: list[str], confidencialidad: str) -> OficioUpdated:
    return OficioUpdated(
        oficio_id=oficio_id,
        correlation_id=uuid.uuid4().hex,
        actor=Actor(kind="official", id="mgarza"),
        payload=OficioUpdatedPayload(
            version=version,
            asunto="Informe mensual",
            campos=["colaboradores", "confidencialidad"],
            participantes=participantes,
            confidencialidad=confidencialidad,  # type: ignore[arg-type]
        ),
    )


async def _model(parts: Components, oficio_id: str) -> tuple[int, list[str], str, str]:
    doc = await parts.service.oficios.get(oficio_id)
    assert doc is not None
    return doc["version"], doc["participantes"], doc["confidencialidad"], doc["unidad_id"]


async def test_an_older_save_arriving_after_a_newer_one_is_ignored(parts: Components) -> None:
    created = oficio_created("mgarza")
    oficio_id = created.oficio_id
    await parts.service.on_oficio_created(created)
    with_editor = saved(oficio_id, 2, ["jlopez", "mgarza"], "publica")
    without = saved(oficio_id, 3, ["mgarza"], "confidencial")

    await parts.service.on_oficio_updated(without)
    await parts.service.on_oficio_updated(with_editor)  # late: an older version
    await parts.service.on_oficio_created(created)  # replayed
    await parts.service.on_oficio_updated(without)  # replayed

    assert await _model(parts, oficio_id) == (3, ["mgarza"], "confidencial", "TES-DI")
    removed = official("jlopez")
    for action in (Action.OFICIO_LEER, Action.DOCUMENTO_SUBIR):
        with pytest.raises(ForbiddenError):
            await parts.service.authorize_oficio(removed, action, oficio_id)
    with pytest.raises(ForbiddenError):  # confidential now: not for an auditor either
        await parts.service.authorize_oficio(official("auditora", "auditor"), Action.OFICIO_LEER, oficio_id)
    with pytest.raises(ForbiddenError):
        await parts.service.upload(
            removed,
            chunks(pdf_bytes()),
            bucket="attachments",
            oficio_id=oficio_id,
            declared_type=None,
            serie=None,
            nombre="anexo.pdf",
            correlation_id="t",
        )
    await parts.service.authorize_oficio(official("mgarza"), Action.DOCUMENTO_SUBIR, oficio_id)

    # A newer save is applied: the editor is back and the oficio public again.
    await parts.service.on_oficio_updated(saved(oficio_id, 4, ["jlopez", "mgarza"], "publica"))
    assert await _model(parts, oficio_id) == (4, ["jlopez", "mgarza"], "publica", "TES-DI")
    await parts.service.authorize_oficio(removed, Action.DOCUMENTO_SUBIR, oficio_id)
    await parts.service.authorize_oficio(official("auditora", "auditor"), Action.OFICIO_LEER, oficio_id)


async def test_a_save_arriving_before_the_creation_is_kept_and_the_unit_still_learnt(
    parts: Components,
) -> None:
    created = oficio_created("mgarza")
    await parts.service.on_oficio_updated(saved(created.oficio_id, 2, ["mgarza"], "reservada"))
    await parts.service.on_oficio_created(created)
    assert await _model(parts, created.oficio_id) == (2, ["mgarza"], "reservada", "TES-DI")
