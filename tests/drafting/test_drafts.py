"""Drafts on the real MongoDB server: versions, conflicts, diffs, comments, reviews, finalization, folios."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from typing import Any

import pytest

from signum.contracts import decode_event
from signum.drafting.rendering.body import BodyDocument
from signum.drafting.service import DraftingService, permissions_of
from signum.platform.errors import ConflictError, ForbiddenError, ValidationFailedError
from tests.drafting.support import UNIT, MemoryStore, content, official

pytestmark = pytest.mark.stack

AUTHOR = official("autor")
EDITOR = official("editora")
REVIEWER = official("revisor")
REVIEWER_2 = official("revisora")
OUTSIDER = official("ajeno")


async def _draft(
    drafting: DraftingService, *, reviewers: tuple[str, ...] = (), body: str | None = None
) -> Any:
    return await drafting.create_draft(
        caller=AUTHOR,
        kind="oficio",
        asunto="Solicitud de información",
        office_id=UNIT,
        correlation_id="c1",
        colaboradores=(("editora", "editor"), *((r, "revisor") for r in reviewers)),
        contenido=content() if body is None else content(body),
        prioridad="urgente",
        fecha_limite_respuesta=dt.date(2026, 12, 1),
    )


async def _outbox(drafting: DraftingService, oficio_id: str) -> list[Any]:
    doc = await drafting._repo.collection.find_one({"_id": oficio_id})
    assert doc is not None
    return [decode_event(e) for e in doc.get("_outbox") or []]


async def test_a_draft_keeps_its_template_version_and_properties(drafting: DraftingService) -> None:
    draft = await _draft(drafting)
    assert (draft.plantilla_id, draft.plantilla_version) == ("municipal-homologado", 1)
    stored = await drafting.get_draft(AUTHOR, draft.id)
    assert stored.prioridad == "urgente"
    assert stored.fecha_limite_respuesta == dt.date(2026, 12, 1)
    assert stored.contenido.destinatarios[1].tipo == "externo"
    assert [e.type for e in await _outbox(drafting, draft.id)] == ["oficio.created"]


async def test_a_stale_version_is_refused_with_409_and_nothing_is_overwritten(
    drafting: DraftingService,
) -> None:
    draft = await _draft(drafting)
    saved = await drafting.update_draft(
        caller=EDITOR,
        oficio_id=draft.id,
        expected_version=1,
        changes={"asunto": "Primer cambio"},
        correlation_id="c",
    )
    assert saved.version == 2
    with pytest.raises(ConflictError) as info:
        await drafting.update_draft(
            caller=AUTHOR,
            oficio_id=draft.id,
            expected_version=1,
            changes={"asunto": "Pisaría"},
            correlation_id="c",
        )
    assert info.value.code == "version_conflict"
    assert info.value.status_code == 409
    assert "Otra persona guardó cambios" in info.value.message
    assert (await drafting.get_draft(AUTHOR, draft.id)).asunto == "Primer cambio"


async def test_concurrent_saves_of_one_version_let_exactly_one_win(drafting: DraftingService) -> None:
    draft = await _draft(drafting)

    async def save(i: int) -> str:
        try:
            await drafting.update_draft(
                caller=EDITOR,
                oficio_id=draft.id,
                expected_version=1,
                changes={"asunto": f"v{i}"},
                correlation_id="c",
            )
        except ConflictError as exc:
            return exc.code
        return "ok"

    results = await asyncio.gather(*(save(i) for i in range(10)))
    assert results.count("ok") == 1
    assert results.count("version_conflict") == 9
    stored = await drafting.get_draft(AUTHOR, draft.id)
    assert stored.version == 2
    assert [v["n"] for v in await drafting.list_versions(AUTHOR, draft.id)] == [1, 2]
    assert [e.type for e in await _outbox(drafting, draft.id)] == ["oficio.created", "oficio.updated"]


async def test_an_outsider_cannot_edit(drafting: DraftingService) -> None:
    draft = await _draft(drafting)
    with pytest.raises(ForbiddenError):
        await drafting.update_draft(
            caller=OUTSIDER,
            oficio_id=draft.id,
            expected_version=1,
            changes={"asunto": "x"},
            correlation_id="c",
        )


async def test_word_diff_between_versions(drafting: DraftingService) -> None:
    draft = await _draft(drafting, body="Solicito la información del tercer trimestre.")
    new_body = BodyDocument.from_text("Solicito amablemente la información del cuarto trimestre.")
    await drafting.update_draft(
        caller=AUTHOR,
        oficio_id=draft.id,
        expected_version=1,
        changes={"contenido": {**content(), "cuerpo": new_body.model_dump(mode="json")}},
        correlation_id="c",
    )
    diff = await drafting.diff(AUTHOR, draft.id, 1, 2)
    cuerpo = next(b for b in diff["bloques"] if b["bloque"] == "cuerpo")
    assert cuerpo["cambio"] is True
    spans = cuerpo["fragmentos"]
    old = "".join(f["text"] for f in spans if f["op"] != "insert")
    new = "".join(f["text"] for f in spans if f["op"] != "delete")
    assert old == "Solicito la información del tercer trimestre."
    assert new == "Solicito amablemente la información del cuarto trimestre."
    assert [f["text"].strip() for f in spans if f["op"] == "insert"] == ["amablemente", "cuarto"]
    assert [f["text"].strip() for f in spans if f["op"] == "delete"] == ["tercer"]
    assert not next(b for b in diff["bloques"] if b["bloque"] == "asunto")["cambio"]


async def test_comment_threads_anchored_and_resolvable(drafting: DraftingService) -> None:
    draft = await _draft(drafting, reviewers=("revisor",))
    comment = await drafting.add_comment(
        REVIEWER,
        draft.id,
        "¿Qué trimestre?",
        {"bloque": "cuerpo", "inicio": 9, "fin": 20, "texto_citado": "información"},
    )
    assert comment["ancla"]["version"] == 1
    await drafting.reply(AUTHOR, draft.id, comment["_id"], "El tercero; lo aclaro.")
    resolved = await drafting.resolve(AUTHOR, draft.id, comment["_id"], True)
    assert resolved["resuelto"] is True
    assert resolved["resuelto_por"] == "autor"
    assert [r["texto"] for r in resolved["respuestas"]] == ["El tercero; lo aclaro."]
    with pytest.raises(ForbiddenError):
        await drafting.add_comment(OUTSIDER, draft.id, "Hola", {"bloque": "cuerpo"})
    threads = await drafting.list_comments(EDITOR, draft.id)
    assert [t["texto"] for t in threads] == ["¿Qué trimestre?"]


async def test_review_then_visto_bueno_then_finalize(drafting: DraftingService, store: MemoryStore) -> None:
    draft = await _draft(drafting, reviewers=("revisor", "revisora"))
    with pytest.raises(ConflictError) as info:
        await drafting.finalize(AUTHOR, draft.id, "c")
    assert info.value.code == "reviews_pending"

    await drafting.request_review(AUTHOR, draft.id, None, "c")
    with pytest.raises(ConflictError) as info:
        await drafting.update_draft(
            caller=AUTHOR, oficio_id=draft.id, expected_version=1, changes={"asunto": "x"}, correlation_id="c"
        )
    assert info.value.code == "oficio_not_editable"

    await drafting.review(REVIEWER, draft.id, "visto_bueno", 1, "", "c")
    with pytest.raises(ConflictError) as info:
        await drafting.finalize(AUTHOR, draft.id, "c")
    assert info.value.code == "reviews_pending"
    assert (
        info.value.message
        == "No se puede finalizar: faltan revisiones con visto bueno de la versión vigente."
    )
    assert info.value.details == {"revisores_pendientes": ["revisora"]}
    with pytest.raises(ForbiddenError):
        await drafting.review(EDITOR, draft.id, "visto_bueno", 1, "", "c")

    await drafting.review(REVIEWER_2, draft.id, "visto_bueno", 1, "Adelante", "c")
    done = await drafting.finalize(AUTHOR, draft.id, "c")

    assert done.status == "listo_para_firma"
    assert done.folio is not None
    assert done.folio.folio == f"SIGA/{UNIT}/0001/{done.folio.anio}"
    assert done.documento is not None
    pdf = store.objects[done.documento["clave"]]
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == done.documento["sha256"]
    events = await _outbox(drafting, draft.id)
    assert [e.type for e in events] == [
        "oficio.created",
        "oficio.review_requested",
        "oficio.reviewed",
        "oficio.reviewed",
        "oficio.finalized",
    ]
    finalized = events[-1].payload
    assert finalized.folio == done.folio.folio
    assert finalized.documento.sha256 == done.documento["sha256"]
    assert [(s.orden, s.funcionario_id, s.campo) for s in finalized.firmantes] == [
        (1, "autor", "firma-1"),
        (2, "titular", "firma-2"),
    ]
    with pytest.raises(ConflictError):
        await drafting.finalize(AUTHOR, draft.id, "c")


async def test_changes_requested_send_the_draft_back(drafting: DraftingService) -> None:
    draft = await _draft(drafting, reviewers=("revisor",))
    await drafting.request_review(AUTHOR, draft.id, None, "c")
    back = await drafting.review(REVIEWER, draft.id, "cambios_solicitados", 1, "Falta el anexo", "c")
    assert back.status == "borrador"
    edited = await drafting.update_draft(
        caller=AUTHOR,
        oficio_id=draft.id,
        expected_version=1,
        changes={"asunto": "Con anexo"},
        correlation_id="c",
    )
    await drafting.request_review(AUTHOR, draft.id, None, "c")
    with pytest.raises(ConflictError) as info:  # a verdict on an old version does not count
        await drafting.review(REVIEWER, draft.id, "visto_bueno", 1, "", "c")
    assert info.value.code == "version_conflict"
    await drafting.review(REVIEWER, draft.id, "visto_bueno", edited.version, "", "c")
    assert (await drafting.finalize(AUTHOR, draft.id, "c")).status == "listo_para_firma"


async def test_an_incomplete_draft_is_refused_without_taking_a_folio(drafting: DraftingService) -> None:
    draft = await drafting.create_draft(
        caller=AUTHOR, kind="memorandum", asunto="Sin destinatarios", office_id=UNIT, correlation_id="c"
    )
    with pytest.raises(ValidationFailedError) as info:
        await drafting.finalize(AUTHOR, draft.id, "c")
    assert info.value.code == "oficio_incomplete"
    assert info.value.message == (
        "El oficio está incompleto. Faltan el remitente, los destinatarios, los firmantes "
        "y el cuerpo del oficio."
    )
    assert info.value.details == {"faltan": ["remitente", "destinatarios", "firmantes", "cuerpo"]}
    assert await drafting._folios.last(UNIT, dt.date.today().year) == 0  # type: ignore[union-attr]


async def test_cancel_before_sending(drafting: DraftingService) -> None:
    draft = await _draft(drafting)
    with pytest.raises(ForbiddenError):
        await drafting.cancel(EDITOR, draft.id, "no", "c")
    cancelled = await drafting.cancel(official("jefa", roles=("titular",)), draft.id, "Duplicado", "c")
    assert cancelled.status == "cancelado"
    assert (await _outbox(drafting, draft.id))[-1].type == "oficio.cancelled"


async def test_200_concurrent_finalizations_get_200_consecutive_folios(drafting: DraftingService) -> None:
    n = 200
    drafts = await asyncio.gather(
        *(
            drafting.create_draft(
                caller=AUTHOR,
                kind="oficio",
                asunto=f"Oficio {i}",
                office_id=UNIT,
                correlation_id="c",
                contenido=content(f"Cuerpo número {i}."),
            )
            for i in range(n)
        )
    )
    done = await asyncio.gather(*(drafting.finalize(AUTHOR, d.id, "c") for d in drafts))
    consecutivos = sorted(d.folio.consecutivo for d in done if d.folio)
    assert consecutivos == list(range(1, n + 1))
    assert len({d.folio.folio for d in done if d.folio}) == n
    assert all(d.status == "listo_para_firma" for d in done)


async def test_signers_take_part_and_role_changes_keep_the_review_history(drafting: DraftingService) -> None:
    # The author drafts; "titular" signs (content() names him second) without being a collaborator.
    draft = await _draft(drafting, reviewers=("revisor",))
    assert draft.firmantes_ids == ("autor", "titular")
    assert "titular" in draft.participantes
    signer = official("titular")
    assert (await drafting.get_draft(signer, draft.id)).id == draft.id  # reads it, comments on it
    await drafting.add_comment(signer, draft.id, "Agregue el plazo.", {"bloque": "cuerpo"})

    await drafting.request_review(AUTHOR, draft.id, None, "c")
    await drafting.review(REVIEWER, draft.id, "cambios_solicitados", 1, "Falta el anexo", "c")
    # The reviewer becomes an editor, a new reviewer joins: nothing of the first review is lost.
    changed = await drafting.update_draft(
        caller=AUTHOR,
        oficio_id=draft.id,
        expected_version=1,
        changes={"colaboradores": (("revisor", "editor"), ("revisora", "revisor"))},
        correlation_id="c",
    )
    kept = changed.review_of("revisor")
    assert kept is not None
    assert (kept.estado, kept.comentario) == ("cambios_solicitados", "Falta el anexo")
    assert changed.pending_reviewers == ["revisora"]
    with pytest.raises(ConflictError) as info:  # the new reviewer was never asked
        await drafting.finalize(AUTHOR, draft.id, "c")
    assert (info.value.code, info.value.details) == (
        "reviews_pending",
        {"revisores_pendientes": ["revisora"]},
    )
    assert [c["texto"] for c in await drafting.list_comments(AUTHOR, draft.id)] == ["Agregue el plazo."]

    asked = await drafting.request_review(AUTHOR, draft.id, None, "c")
    assert [(r.revisor_id, r.estado) for r in asked.revisiones] == [
        ("revisor", "cambios_solicitados"),
        ("revisora", "pendiente"),
    ]
    await drafting.review(official("revisora"), draft.id, "visto_bueno", 2, "", "c")
    done = await drafting.finalize(AUTHOR, draft.id, "c")
    events = await _outbox(drafting, draft.id)
    assert [s.funcionario_id for s in events[-1].payload.firmantes] == ["autor", "titular"]
    assert done.status == "listo_para_firma"


async def test_permissions_say_what_each_person_may_do_now(drafting: DraftingService) -> None:
    draft = await _draft(drafting, reviewers=("revisor",))
    assert permissions_of(AUTHOR, draft) == {
        "editar": True,
        "cambiar_colaboradores": True,
        "solicitar_revision": True,
        "comentar": True,
        "revisar": False,
        "finalizar": True,
        "cancelar": True,
    }
    reviewer = permissions_of(REVIEWER, draft)
    assert (reviewer["editar"], reviewer["comentar"], reviewer["revisar"]) == (False, True, False)
    editor = permissions_of(EDITOR, draft)
    assert (editor["editar"], editor["finalizar"]) == (True, False)
    in_review = await drafting.request_review(AUTHOR, draft.id, None, "c")
    assert permissions_of(REVIEWER, in_review)["revisar"]
    assert not permissions_of(AUTHOR, in_review)["editar"]  # nothing to save while in review
    assert not any(permissions_of(OUTSIDER, in_review).values())


async def test_unsaved_text_is_compared_and_previewed_without_being_stored(drafting: DraftingService) -> None:
    draft = await _draft(drafting)
    mine = content("Por medio del presente solicito la información del semestre.")
    diff = await drafting.diff_unsaved(AUTHOR, draft.id, 1, {"asunto": None, "contenido": mine})
    body = next(b for b in diff["bloques"] if b["bloque"] == "cuerpo")
    assert [f for f in body["fragmentos"] if f["op"] != "equal"] == [
        {"op": "delete", "text": "trimestre."},
        {"op": "insert", "text": "semestre."},
    ]
    pdf = await drafting.preview(
        AUTHOR, draft.id, "pdf", unsaved={"asunto": "Otro asunto", "contenido": mine}
    )
    assert pdf.startswith(b"%PDF")
    assert (await drafting.get_draft(AUTHOR, draft.id)).version == 1  # nothing stored
    with pytest.raises(ForbiddenError):  # a reader who may not write previews only what is saved
        await drafting.preview(official("titular"), draft.id, "pdf", unsaved={"contenido": mine})


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"prioridad": None}, "null_not_allowed"),
        ({"kind": None}, "null_not_allowed"),
        ({"kind": "carta"}, "value_invalid"),
        ({"asunto": "factura\u202efdp.exe"}, "unsafe_text"),
        ({"folio": "X"}, "field_not_editable"),
    ],
)
async def test_a_save_with_a_bad_value_is_refused_and_nothing_is_written(
    drafting: DraftingService, changes: dict[str, Any], code: str
) -> None:
    draft = await _draft(drafting)
    with pytest.raises(ValidationFailedError) as refused:
        await drafting.update_draft(
            caller=AUTHOR, oficio_id=draft.id, expected_version=1, changes=changes, correlation_id="c"
        )
    assert refused.value.code == code
    stored = await drafting.get_draft(AUTHOR, draft.id)
    assert (stored.version, stored.kind, stored.prioridad) == (1, "oficio", "urgente")


async def test_every_change_of_who_takes_part_is_announced_with_the_participants_after_it(
    drafting: DraftingService,
) -> None:
    # Other services decide on `oficio.updated` (storage, routing) or ask `access` (storage).
    draft = await _draft(drafting, reviewers=("revisor",))
    assert await drafting.access(draft.id) == {
        "oficio_id": draft.id,
        "version": 1,
        "unidad_id": UNIT,
        "participantes": ["autor", "editora", "revisor", "titular"],
        "confidencialidad": "publica",
    }
    body = content()
    body["firmantes"] = body["firmantes"][:1]
    changes: list[dict[str, Any]] = [
        {"colaboradores": [("editora", "revisor"), ("revisor", "revisor")]},  # a role changes
        {"colaboradores": [("revisor", "revisor")]},  # a collaborator is removed
        {"contenido": body},  # a signer is dropped
        {"confidencialidad": "confidencial"},
    ]
    for version, change in enumerate(changes, start=2):
        await drafting.update_draft(
            caller=AUTHOR,
            oficio_id=draft.id,
            expected_version=version - 1,
            changes=change,
            correlation_id="c",
        )
    events = [e for e in await _outbox(drafting, draft.id) if e.type == "oficio.updated"]
    assert [(e.payload.version, e.payload.participantes, e.payload.confidencialidad) for e in events] == [
        (2, ["autor", "editora", "revisor", "titular"], "publica"),
        (3, ["autor", "revisor", "titular"], "publica"),
        (4, ["autor", "revisor"], "publica"),
        (5, ["autor", "revisor"], "confidencial"),
    ]
    access = await drafting.access(draft.id)
    assert (access["version"], access["participantes"], access["confidencialidad"]) == (
        5,
        ["autor", "revisor"],
        "confidencial",
    )
    with pytest.raises(ForbiddenError):  # drafting decides on its own document at once
        await drafting.get_draft(EDITOR, draft.id)
