"""Drafting's use cases: templates, drafts, versions, comments, reviews, folios and finalization."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import replace as dataclass_replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import uuid4
from zoneinfo import ZoneInfo

from signum.contracts.drafting import (
    Addressee,
    OficioCancelled,
    OficioCancelledPayload,
    OficioCreated,
    OficioCreatedPayload,
    OficioFinalized,
    OficioFinalizedPayload,
    OficioReviewed,
    OficioReviewedPayload,
    OficioReviewRequested,
    OficioReviewRequestedPayload,
    OficioUpdated,
    OficioUpdatedPayload,
    SignerSlot,
    StoredObject,
)
from signum.contracts.envelope import uuid7
from signum.drafting import domain
from signum.drafting.domain import (
    Clasificacion,
    CollaboratorRole,
    Confidencialidad,
    Draft,
    DraftContent,
    FolioAssignment,
    OficioKind,
    Prioridad,
    Verdict,
    VersionConflictError,
    new_draft,
)
from signum.drafting.recipients import DirectoryResolver
from signum.drafting.rendering import OficioContent, Renderer, sample_content
from signum.drafting.rendering.content import Verification
from signum.drafting.repository import (
    FolioCounters,
    FolioInUseError,
    OficioRepository,
    TemplateRepository,
    template_of,
)
from signum.drafting.storage import ObjectStore
from signum.drafting.templates import DEFAULT_TEMPLATE_ID, Template, default_template, validate_template
from signum.drafting.templates.catalogue import designer_catalogue
from signum.platform.errors import ConflictError, NotFoundError, SignumError, ValidationFailedError
from signum.platform.identity import Caller
from signum.platform.logging import get_logger
from signum.platform.metrics import ServiceMetrics, timed
from signum.platform.outbox import OutboxRelay
from signum.platform.policy import Action, OficioAccess, UnitAccess, authorize, decide
from signum.platform.readers import OficioReaders
from signum.platform.text import check_safe_text
from signum.platform.verification_code import short_code

PrefixOf = Callable[[str], Awaitable[str]]
Format = Literal["pdf", "png"]

log = get_logger(__name__)

FOLIO_ATTEMPTS = 100  # folios passed over, at most, when a unit's counter is behind its oficios


class FinalizeInProgressError(ConflictError):
    code = "finalize_in_progress"
    message = "El oficio se está finalizando en este momento. Espere unos segundos y recargue."


def _not_found() -> NotFoundError:
    return NotFoundError("No existe el oficio solicitado.", code="oficio_not_found")


class TemplateService:
    """Templates: the default one seeded at start; administrators add versions; everyone reads them."""

    def __init__(self, repository: TemplateRepository, renderer: Renderer, *, municipality: str, state: str):
        self._repo = repository
        self._renderer = renderer
        self._municipality = municipality
        self._state = state
        self._cache: dict[tuple[str, int], Template] = {}  # versions are immutable

    async def seed_default(self) -> None:
        """The homologated template as version 1 of `DEFAULT_TEMPLATE_ID` (once)."""
        await self._repo.insert(
            default_template(municipality=self._municipality, state=self._state), by="sistema"
        )

    async def load(self, plantilla_id: str, version: int | None = None) -> Template:
        """A version of a template (the latest if `version` is None)."""
        if version is not None and (plantilla_id, version) in self._cache:
            return self._cache[(plantilla_id, version)]
        doc = await self._repo.get(plantilla_id, version)
        if doc is None:
            raise NotFoundError("No existe la plantilla solicitada.", code="plantilla_not_found")
        template = template_of(doc)
        self._cache[(template.id, template.version)] = template
        return template

    async def check_in_force(self, plantilla_id: str) -> None:
        """Refuse a retired template for a new oficio (those written with it keep it)."""
        doc = await self._repo.get(plantilla_id)
        if doc is None:
            raise NotFoundError("No existe la plantilla solicitada.", code="plantilla_not_found")
        if doc.get("retirada"):
            raise ValidationFailedError(
                "La plantilla fue retirada; elija una plantilla vigente.", code="plantilla_retired"
            )

    def catalogue(self, caller: Caller) -> dict[str, Any]:
        """What the template designer offers (placeholders, blocks, fonts, page sizes)."""
        authorize(caller, Action.PLANTILLA_LEER)
        return designer_catalogue(municipality=self._municipality, state=self._state)

    async def list(self, caller: Caller) -> list[dict[str, Any]]:
        authorize(caller, Action.PLANTILLA_LEER)
        return await self._repo.list_latest()

    async def get(self, caller: Caller, plantilla_id: str, version: int | None = None) -> dict[str, Any]:
        authorize(caller, Action.PLANTILLA_LEER)
        doc = await self._repo.get(plantilla_id, version)
        if doc is None:
            raise NotFoundError("No existe la plantilla solicitada.", code="plantilla_not_found")
        return doc

    async def create(self, caller: Caller, data: dict[str, Any]) -> dict[str, Any]:
        authorize(caller, Action.PLANTILLA_ADMINISTRAR)
        # Validating decodes every image and compiles the template: CPU work, kept off the event loop.
        template = await asyncio.to_thread(validate_template, {**data, "version": 1})
        if not await self._repo.insert(template, by=caller.id):
            raise ConflictError("Ya existe una plantilla con ese identificador.", code="plantilla_exists")
        return await self.get(caller, template.id, 1)

    async def update(
        self, caller: Caller, plantilla_id: str, data: dict[str, Any], expected_version: int
    ) -> dict[str, Any]:
        """A new version of the template, made from `expected_version` (409 if that is not the latest)."""
        authorize(caller, Action.PLANTILLA_ADMINISTRAR)
        latest = await self._repo.get(plantilla_id)
        if latest is None:
            raise NotFoundError("No existe la plantilla solicitada.", code="plantilla_not_found")
        if latest["version"] != expected_version:
            raise VersionConflictError(
                f"La plantilla cambió: la última versión es la {latest['version']}, no la {expected_version}."
            )
        template = await asyncio.to_thread(
            validate_template, {**data, "id": plantilla_id, "version": expected_version + 1}
        )
        if not await self._repo.insert(template, by=caller.id):
            raise VersionConflictError("Otra persona guardó una versión de la plantilla al mismo tiempo.")
        return await self.get(caller, plantilla_id, template.version)

    async def retire(self, caller: Caller, plantilla_id: str) -> None:
        """No new oficios with it; oficios written with it keep rendering with their version."""
        authorize(caller, Action.PLANTILLA_ADMINISTRAR)
        if plantilla_id == DEFAULT_TEMPLATE_ID:
            raise ValidationFailedError(
                "La plantilla homologada no se puede retirar.", code="plantilla_default"
            )
        if not await self._repo.retire(plantilla_id):
            raise NotFoundError("No existe la plantilla solicitada.", code="plantilla_not_found")

    async def preview(
        self, caller: Caller, plantilla_id: str, version: int | None, formato: Format, page: int = 1
    ) -> bytes:
        authorize(caller, Action.PLANTILLA_LEER)
        template = await self.load(plantilla_id, version)
        return await render_bytes(self._renderer, template, sample_content(), formato, page)


async def render_bytes(
    renderer: Renderer, template: Template, content: Any, formato: Format, page: int = 1
) -> bytes:
    if formato == "png":
        return await asyncio.to_thread(renderer.preview_png, template, content, page=page)
    rendered = await asyncio.to_thread(renderer.render, template, content, signature_fields=False)
    return rendered.pdf


class DraftingService:
    """Drafts and their lifecycle; every change is stored with its events (outbox)."""

    def __init__(
        self,
        repository: OficioRepository,
        relay: OutboxRelay | None,
        *,
        templates: TemplateService | None = None,
        folios: FolioCounters | None = None,
        renderer: Renderer | None = None,
        store: ObjectStore | None = None,
        prefix_of: PrefixOf | None = None,
        recipients: DirectoryResolver | None = None,
        folio_format: str = "{prefijo}/{consecutivo:04d}/{anio}",
        timezone: str = "America/Monterrey",
        lease_seconds: float = 300,
        readers: OficioReaders | None = None,
        public_url: str | None = None,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self._repo = repository
        self._metrics = metrics
        self._readers = readers
        self._relay = relay
        self._templates = templates
        self._folios = folios
        self._renderer = renderer
        self._store = store
        self._prefix_of = prefix_of or _unit_as_prefix
        self._recipients = recipients
        self._folio_format = folio_format
        self._tz = ZoneInfo(timezone)
        self._lease = timedelta(seconds=lease_seconds)
        self._public_url = public_url.rstrip("/") if public_url else None

    def _notify(self) -> None:
        if self._relay is not None:
            self._relay.notify()

    def _today(self) -> dt.date:
        return datetime.now(self._tz).date()

    async def _resolved(self, content: DraftContent) -> DraftContent:
        """Directory recipients filled from the directory (unknown ids refused), when it is wired;
        the answered oficio's date beside its folio."""
        if self._recipients is not None:
            content = await self._recipients.fill(content)
        ref = content.referencia
        if ref is not None and ref.fecha is None and ref.oficio_id is not None:
            fecha = await self._repo.printed_date(ref.oficio_id)
            if fecha is not None:
                content = content.model_copy(update={"referencia": ref.model_copy(update={"fecha": fecha})})
        return content

    async def _printed(self, shown: Draft, *, folio: str, fecha: dt.date) -> OficioContent:
        """What the PDF prints: the content, whose legend and escudo (the issuing dependencia's) and
        how a reader of the paper copy verifies it."""
        content = domain.render_content(shown, folio=folio, fecha=fecha)
        dependencia_id = ""
        if self._recipients is not None:
            dependencia_id = await self._recipients.dependencia_id_of(shown.office_id)
        update: dict[str, Any] = {
            "sender": content.sender.model_copy(update={"dependencia_id": dependencia_id})
        }
        if self._public_url is not None:
            update["verification"] = Verification(
                qr_url=f"{self._public_url}/verificar/{shown.id}",
                page_url=f"{self._public_url.removeprefix('https://')}/verificar",
                code=short_code(shown.id),
            )
        return content.model_copy(update=update)

    async def _check_new_collaborators(
        self, colaboradores: tuple[tuple[str, CollaboratorRole], ...], before: Draft | None = None
    ) -> None:
        """Collaborators added now must be active officials of the directory, when it is wired
        (one kept from before stays even if the directory dropped them since)."""
        if self._recipients is None:
            return
        kept = {official for official, _ in before.colaboradores} if before is not None else set()
        await self._recipients.check_officials(sorted({official for official, _ in colaboradores} - kept))

    async def _with_directory(self, draft: Draft) -> Draft:
        """The draft as the PDF shows it: recipients as the directory says today."""
        return dataclass_replace(draft, contenido=await self._resolved(draft.contenido))

    # --- drafts -------------------------------------------------------------------------------

    async def create_draft(
        self,
        *,
        caller: Caller,
        kind: OficioKind,
        asunto: str,
        office_id: str,
        correlation_id: str,
        colaboradores: tuple[tuple[str, CollaboratorRole], ...] = (),
        confidencialidad: Confidencialidad = "publica",
        contenido: dict[str, Any] | None = None,
        prioridad: Prioridad = "ordinaria",
        fecha_limite_respuesta: dt.date | None = None,
        clasificacion: Clasificacion | None = None,
        en_respuesta_a: str | None = None,
        plantilla_id: str | None = None,
        plantilla_version: int | None = None,
    ) -> Draft:
        authorize(caller, Action.OFICIO_CREAR, UnitAccess(office_id))
        await self._check_new_collaborators(colaboradores)
        template_id, template_version = DEFAULT_TEMPLATE_ID, 1
        if self._templates is not None:
            if plantilla_id is not None and plantilla_version is None:
                await self._templates.check_in_force(plantilla_id)
            template = await self._templates.load(plantilla_id or DEFAULT_TEMPLATE_ID, plantilla_version)
            template_id, template_version = template.id, template.version
        draft = new_draft(
            kind=kind,
            asunto=asunto,
            office_id=office_id,
            author_id=caller.id,
            colaboradores=colaboradores,
            confidencialidad=confidencialidad,
            contenido=await self._resolved(DraftContent.parse(contenido)),
            prioridad=prioridad,
            fecha_limite_respuesta=fecha_limite_respuesta,
            clasificacion=clasificacion,
            en_respuesta_a=en_respuesta_a,
            plantilla_id=template_id,
            plantilla_version=template_version,
        )
        event = OficioCreated(
            oficio_id=draft.id,
            correlation_id=correlation_id,
            actor=caller.actor,
            payload=OficioCreatedPayload(
                kind=draft.kind,
                asunto=draft.asunto,
                office_id=office_id,
                author_id=caller.id,
                participantes=sorted(draft.participantes),
                confidencialidad=draft.confidencialidad,
            ),
        )
        await self._repo.insert(draft, [event], saved_by=caller.id)
        self._notify()
        return draft

    async def _load(self, oficio_id: str) -> Draft:
        draft = await self._repo.get(oficio_id)
        if draft is None:
            raise _not_found()
        return draft

    async def get_draft(self, caller: Caller, oficio_id: str, *, history: bool = False) -> Draft:
        """The draft, for whoever may read it; `history` for its internal history (versions,
        differences, comments: `oficio.historial`), which its recipients do not read."""
        draft = await self._load(oficio_id)
        access = access_of(draft)
        if history:
            authorize(caller, Action.OFICIO_HISTORIAL, access)
            return draft
        if self._readers is not None and caller.id not in access.participantes:
            # Its recipients read it too (routing's deliveries, learnt from its events); one this
            # model does not know yet is confirmed with routing before being refused.
            access = dataclass_replace(access, lectores=await self._readers.of(oficio_id))
            if not decide(caller, Action.OFICIO_LEER, access):
                access = dataclass_replace(access, lectores=await self._readers.confirm(oficio_id))
        authorize(caller, Action.OFICIO_LEER, access)
        return draft

    async def access(self, oficio_id: str) -> dict[str, Any]:
        """What other services decide on (their read models follow `oficio.updated`; storage asks
        this before adding a document): unit, participants and confidentiality at the draft's version."""
        draft = await self._load(oficio_id)
        return {
            "oficio_id": draft.id,
            "version": draft.version,
            "unidad_id": draft.office_id,
            "participantes": sorted(draft.participantes),
            "confidencialidad": draft.confidencialidad,
        }

    def _check_not_finalizing(self, draft: Draft) -> None:
        lease = draft.finalizacion
        if lease and _aware(lease["since"]) > datetime.now(UTC) - self._lease:
            raise FinalizeInProgressError()

    async def update_draft(
        self,
        *,
        caller: Caller,
        oficio_id: str,
        expected_version: int,
        changes: dict[str, Any],
        correlation_id: str,
    ) -> Draft:
        """Save a new version; 409 `version_conflict` if someone saved after `expected_version`."""
        draft = await self._load(oficio_id)
        authorize(caller, Action.OFICIO_EDITAR, access_of(draft))
        if "colaboradores" in changes and caller.id != draft.author_id:
            raise SignumError(
                "Solo el autor puede cambiar los colaboradores.",
                code="only_author_changes_collaborators",
                status_code=403,
            )
        if draft.version != expected_version:
            raise VersionConflictError(details={"version_vigente": draft.version})
        self._check_not_finalizing(draft)
        if changes.get("colaboradores") is not None:
            await self._check_new_collaborators(tuple(changes["colaboradores"]), draft)
        if changes.get("contenido") is not None and draft.status in domain.EDITABLE:
            changes = {**changes, "contenido": await self._resolved(DraftContent.parse(changes["contenido"]))}
        updated, changed = domain.apply_changes(draft, changes)
        event = OficioUpdated(
            oficio_id=draft.id,
            correlation_id=correlation_id,
            actor=caller.actor,
            payload=OficioUpdatedPayload(
                version=updated.version,
                asunto=updated.asunto,
                campos=changed,
                participantes=sorted(updated.participantes),
                confidencialidad=updated.confidencialidad,
                status=updated.status,
            ),
        )
        stored = await self._repo.write(draft, updated, [event])
        if stored is None:
            current = await self._load(oficio_id)
            if current.status not in domain.EDITABLE:
                raise domain.not_editable(current)
            raise VersionConflictError(details={"version_vigente": current.version})
        await self._repo.put_version(stored, saved_by=caller.id)
        self._notify()
        return stored

    # --- versions -----------------------------------------------------------------------------

    async def list_versions(self, caller: Caller, oficio_id: str) -> list[dict[str, Any]]:
        await self.get_draft(caller, oficio_id, history=True)
        return await self._repo.list_versions(oficio_id)

    async def get_version(self, caller: Caller, oficio_id: str, n: int) -> dict[str, Any]:
        draft = await self.get_draft(caller, oficio_id, history=True)
        return await self._version(draft, n)

    async def _version(self, draft: Draft, n: int) -> dict[str, Any]:
        snapshot = await self._repo.get_version(draft.id, n)
        if snapshot is None and n == draft.version:
            # The oficio was saved but the process stopped before its snapshot: write it now.
            await self._repo.put_version(draft, saved_by="sistema")
            snapshot = await self._repo.get_version(draft.id, n)
        if snapshot is None:
            raise NotFoundError(f"El oficio no tiene una versión {n}.", code="version_not_found")
        snapshot.pop("_id", None)
        return snapshot

    async def diff(self, caller: Caller, oficio_id: str, desde: int, hasta: int) -> dict[str, Any]:
        draft = await self.get_draft(caller, oficio_id, history=True)
        old, new = await self._version(draft, desde), await self._version(draft, hasta)
        return {"desde": desde, "hasta": hasta, "bloques": domain.diff_versions(old, new)}

    async def diff_unsaved(
        self, caller: Caller, oficio_id: str, desde: int, cambios: dict[str, Any]
    ) -> dict[str, Any]:
        """Word diff from saved version `desde` to text not saved yet (e.g. the loser of a conflict)."""
        draft = await self.get_draft(caller, oficio_id, history=True)
        old = await self._version(draft, desde)
        new = {
            "asunto": cambios.get("asunto") or old.get("asunto", ""),
            "contenido": DraftContent.parse(cambios.get("contenido")).model_dump(mode="json")
            if cambios.get("contenido") is not None
            else old.get("contenido"),
        }
        return {"desde": desde, "hasta": None, "bloques": domain.diff_versions(old, new)}

    # --- comments -----------------------------------------------------------------------------

    async def add_comment(
        self, caller: Caller, oficio_id: str, texto: str, ancla: dict[str, Any]
    ) -> dict[str, Any]:
        draft = await self._load(oficio_id)
        authorize(caller, Action.OFICIO_COMENTAR, access_of(draft))
        texto = _comment_text(texto)
        comment = {
            "_id": str(uuid7()),
            "oficio_id": oficio_id,
            "autor_id": caller.id,
            "texto": texto,
            "ancla": {**ancla, "version": ancla.get("version") or draft.version},
            "respuestas": [],
            "resuelto": False,
            "resuelto_por": None,
            "resuelto_en": None,
            "creado_en": datetime.now(UTC),
        }
        await self._repo.add_comment(comment)
        return comment

    async def list_comments(self, caller: Caller, oficio_id: str) -> list[dict[str, Any]]:
        await self.get_draft(caller, oficio_id, history=True)
        return await self._repo.list_comments(oficio_id)

    async def reply(self, caller: Caller, oficio_id: str, comment_id: str, texto: str) -> dict[str, Any]:
        draft = await self._load(oficio_id)
        authorize(caller, Action.OFICIO_COMENTAR, access_of(draft))
        reply = {
            "id": str(uuid7()),
            "autor_id": caller.id,
            "texto": _comment_text(texto),
            "creado_en": datetime.now(UTC),
        }
        if not await self._repo.reply(oficio_id, comment_id, reply):
            raise NotFoundError("No existe el comentario.", code="comment_not_found")
        return await self._comment(oficio_id, comment_id)

    async def resolve(
        self, caller: Caller, oficio_id: str, comment_id: str, resolved: bool
    ) -> dict[str, Any]:
        draft = await self._load(oficio_id)
        authorize(caller, Action.OFICIO_COMENTAR, access_of(draft))
        if not await self._repo.resolve(oficio_id, comment_id, caller.id, resolved):
            raise NotFoundError("No existe el comentario.", code="comment_not_found")
        return await self._comment(oficio_id, comment_id)

    async def _comment(self, oficio_id: str, comment_id: str) -> dict[str, Any]:
        found = await self._repo.get_comment(oficio_id, comment_id)
        if found is None:
            raise NotFoundError("No existe el comentario.", code="comment_not_found")
        return found

    # --- reviews ------------------------------------------------------------------------------

    async def request_review(
        self, caller: Caller, oficio_id: str, revisores: list[str] | None, correlation_id: str
    ) -> Draft:
        draft = await self._load(oficio_id)
        authorize(caller, Action.OFICIO_EDITAR, access_of(draft))
        self._check_not_finalizing(draft)
        updated = domain.request_review(draft, revisores)
        event = OficioReviewRequested(
            oficio_id=draft.id,
            correlation_id=correlation_id,
            actor=caller.actor,
            payload=OficioReviewRequestedPayload(
                revisores=[
                    r.revisor_id
                    for r in updated.revisiones
                    if r.estado == "pendiente" and r.revisor_id in updated.revisores
                ],
                version=updated.version,
            ),
        )
        stored = await self._repo.write(draft, updated, [event])
        if stored is None:
            raise VersionConflictError()
        self._notify()
        return stored

    async def review(
        self,
        caller: Caller,
        oficio_id: str,
        verdict: Verdict,
        version: int,
        comentario: str,
        correlation_id: str,
    ) -> Draft:
        """A reviewer's verdict; reviewers answering at once are all kept (each read again on a conflict)."""
        for _ in range(10):
            draft = await self._load(oficio_id)
            authorize(caller, Action.OFICIO_REVISAR, access_of(draft))
            updated = domain.give_verdict(draft, caller.id, verdict, comentario.strip()[:2000], version)
            event = OficioReviewed(
                oficio_id=draft.id,
                correlation_id=correlation_id,
                actor=caller.actor,
                payload=OficioReviewedPayload(
                    revisor_id=caller.id,
                    resultado=verdict,
                    version=version,
                    comentario=comentario.strip()[:2000],
                    status=updated.status,
                    pendientes=updated.pending_reviewers,
                ),
            )
            stored = await self._repo.write(draft, updated, [event])
            if stored is not None:
                self._notify()
                return stored
        raise ConflictError(code="review_contended")

    # --- finalization -------------------------------------------------------------------------

    async def finalize(self, caller: Caller, oficio_id: str, correlation_id: str) -> Draft:
        """Folio, final PDF/A stored in `drafts`, signers fixed, `oficio.finalized` emitted."""
        assert self._templates
        assert self._folios
        assert self._renderer
        assert self._store
        draft = await self._load(oficio_id)
        authorize(caller, Action.OFICIO_FINALIZAR, access_of(draft))
        domain.check_ready_to_finalize(draft)
        self._check_not_finalizing(draft)
        # The PDF prints the recipients as the directory has them now; unknown ones stop it here.
        printed = await self._with_directory(draft)
        today = self._today()
        # Refuse an incomplete oficio before it takes a folio from the unit.
        domain.render_content(printed, folio=draft.folio.folio if draft.folio else "0", fecha=today)
        template = await self._templates.load(draft.plantilla_id, draft.plantilla_version)
        owner = uuid4().hex
        held = await self._repo.claim_finalization(draft, owner)
        if held is None:
            raise VersionConflictError(
                "El oficio cambió mientras se finalizaba. Recargue e intente de nuevo."
            )
        completed = False
        try:
            folio = held.folio
            if folio is None:  # a failed earlier attempt keeps its folio: it is reused, never lost
                folio, held = await self._take_folio(held, owner, today.year)
            content = await self._printed(printed, folio=folio.folio, fecha=today)
            with timed(self._metrics, "pdf_render"):
                rendered = await asyncio.to_thread(
                    self._renderer.render, template, content, signature_fields=True
                )
            sha256 = hashlib.sha256(rendered.pdf).hexdigest()
            stored = await self._store.put(
                bucket="drafts", oficio_id=draft.id, media_type="application/pdf", data=rendered.pdf
            )
            if stored.get("sha256") != sha256:
                raise SignumError(
                    "El almacenamiento no guardó el PDF íntegro. Intente de nuevo.",
                    code="storage_hash_mismatch",
                    status_code=503,
                    retryable=True,
                )
            documento = StoredObject(
                bucket=str(stored.get("bucket") or "drafts"),
                clave=str(stored["clave"]),
                sha256=sha256,
                tamano=int(stored.get("tamano", len(rendered.pdf))),
            )
            areas = {a.index: a for a in rendered.signature_areas}
            firmantes = [
                SignerSlot(
                    orden=i,
                    funcionario_id=f.funcionario_id,
                    nombre=f.nombre,
                    cargo=f.cargo,
                    en_ausencia_de=None if f.en_ausencia_de is None else f.en_ausencia_de.nombre,
                    campo=areas[i].field_name if i in areas else f"firma-{i}",
                    pagina=areas[i].box.page if i in areas else rendered.pages,
                )
                for i, f in enumerate(draft.contenido.firmantes, start=1)
            ]
            event = OficioFinalized(
                oficio_id=draft.id,
                correlation_id=correlation_id,
                actor=caller.actor,
                payload=OficioFinalizedPayload(
                    folio=folio.folio,
                    consecutivo=folio.consecutivo,
                    anio=folio.anio,
                    unidad_id=draft.office_id,
                    kind=draft.kind,
                    asunto=draft.asunto,
                    plantilla_id=template.id,
                    plantilla_version=template.version,
                    version=draft.version,
                    documento=documento,
                    paginas=rendered.pages,
                    firmantes=firmantes,
                    destinatarios=[d.id for d in draft.contenido.destinatarios if d.id],
                    prioridad=draft.prioridad,
                    confidencialidad=draft.confidencialidad,
                    fecha_limite_respuesta=None
                    if draft.fecha_limite_respuesta is None
                    else draft.fecha_limite_respuesta.isoformat(),
                    en_respuesta_a=draft.en_respuesta_a,
                    para=[
                        Addressee(tipo=d.tipo, id=d.id, nombre=d.nombre, correo=d.correo)
                        for d in draft.contenido.destinatarios
                    ],
                    ccp=[Addressee(tipo=c.tipo, id=c.id, nombre=c.nombre) for c in draft.contenido.ccp],
                ),
            )
            finished = await self._repo.complete_finalization(
                held,
                owner,
                documento=documento.model_dump(),
                firmantes=[s.model_dump() for s in firmantes],
                fecha=today,
                paginas=rendered.pages,
                event=event,
            )
            if not finished:
                raise FinalizeInProgressError()
            completed = True
        finally:
            if not completed:  # the lease goes; the folio, if taken, stays with the oficio
                await self._repo.release_finalization(draft.id, owner)
        self._notify()
        return await self._load(oficio_id)

    async def _take_folio(self, held: Draft, owner: str, anio: int) -> tuple[FolioAssignment, Draft]:
        """The unit's next folio, kept by the oficio in the same transaction as the counter's step
        (`FolioCounters.take`): a finalization that loses its lease or dies here gives the number
        back. One that another oficio holds already (the counter is behind them: a restored backup,
        a hand edit) is passed over for the next."""
        assert self._folios is not None
        unidad_id = held.office_id
        prefijo = await self._prefix_of(unidad_id)

        async def keep(consecutivo: int, session: Any) -> tuple[FolioAssignment, Draft]:
            folio = FolioAssignment(
                folio=domain.format_folio(
                    self._folio_format, prefijo=prefijo, consecutivo=consecutivo, anio=anio, unidad=unidad_id
                ),
                consecutivo=consecutivo,
                anio=anio,
            )
            try:
                kept = await self._repo.keep_folio(held, owner, folio, session=session)
            except FolioInUseError as error:
                raise _FolioHeld(consecutivo) from error
            if kept is None:
                raise FinalizeInProgressError()
            return folio, kept

        for _ in range(FOLIO_ATTEMPTS):
            try:
                return await self._folios.take(unidad_id, anio, keep)
            except _FolioHeld as held_already:
                log.error(
                    "folio counter behind the oficios' folios",
                    consecutivo=held_already.consecutivo,
                    unidad_id=unidad_id,
                )
                await self._folios.pass_over(unidad_id, anio, held_already.consecutivo)
        raise FolioInUseError()

    async def cancel(self, caller: Caller, oficio_id: str, motivo: str, correlation_id: str) -> Draft:
        for _ in range(10):
            draft = await self._load(oficio_id)
            authorize(caller, Action.OFICIO_CANCELAR, access_of(draft))
            self._check_not_finalizing(draft)
            updated = domain.cancel(draft)
            event = OficioCancelled(
                oficio_id=draft.id,
                correlation_id=correlation_id,
                actor=caller.actor,
                payload=OficioCancelledPayload(
                    motivo=motivo.strip()[:2000],
                    status_anterior=draft.status,
                    folio=draft.folio.folio if draft.folio else None,
                ),
            )
            stored = await self._repo.write(draft, updated, [event])
            if stored is not None:
                self._notify()
                return stored
        raise ConflictError(code="cancel_contended")

    async def preview(
        self,
        caller: Caller,
        oficio_id: str,
        formato: Format,
        page: int = 1,
        unsaved: dict[str, Any] | None = None,
    ) -> bytes:
        """The draft as it would look (folio «S/N» until one is assigned).

        With `unsaved` (asunto, contenido as the editor has them), the draft with those changes,
        not stored: only someone who may write the draft previews what they have not saved.
        """
        assert self._templates
        assert self._renderer
        draft = await self.get_draft(caller, oficio_id)
        if unsaved is not None:
            authorize(caller, Action.OFICIO_EDITAR, access_of(draft))
            changes = {k: v for k, v in unsaved.items() if k in ("asunto", "contenido") and v is not None}
            if "asunto" in changes:
                changes["asunto"] = domain.clean_asunto(changes["asunto"])
            if "contenido" in changes:
                changes["contenido"] = DraftContent.parse(changes["contenido"])
            draft = dataclass_replace(draft, **changes)
        template = await self._templates.load(draft.plantilla_id, draft.plantilla_version)
        content = await self._printed(
            await self._with_directory(draft),
            folio=draft.folio.folio if draft.folio else "S/N",
            fecha=self._today(),
        )
        return await render_bytes(self._renderer, template, content, formato, page)


class _FolioHeld(Exception):
    """The number the counter handed out is held by another oficio (its transaction is undone)."""

    def __init__(self, consecutivo: int) -> None:
        super().__init__(consecutivo)
        self.consecutivo = consecutivo


def permissions_of(caller: Caller, draft: Draft) -> dict[str, bool]:
    """What `caller` may do on the draft now (the policy and the draft's state): what the page offers."""
    access = access_of(draft)

    def may(action: Action) -> bool:
        return bool(decide(caller, action, access))

    editable = draft.status in domain.EDITABLE
    review = draft.review_of(caller.id)
    return {
        "editar": editable and may(Action.OFICIO_EDITAR),
        "cambiar_colaboradores": editable and caller.id == draft.author_id,
        "solicitar_revision": editable and may(Action.OFICIO_EDITAR),
        "comentar": draft.status != "cancelado" and may(Action.OFICIO_COMENTAR),
        "revisar": draft.status == "en_revision" and review is not None and may(Action.OFICIO_REVISAR),
        "finalizar": draft.status in ("borrador", "en_revision") and may(Action.OFICIO_FINALIZAR),
        "cancelar": draft.status in domain.CANCELLABLE and may(Action.OFICIO_CANCELAR),
    }


def access_of(draft: Draft) -> OficioAccess:
    """What the policy needs to know of a draft."""
    return OficioAccess(
        unidad_id=draft.office_id,
        participantes=draft.participantes,
        confidencialidad=draft.confidencialidad,
        autor_id=draft.author_id,
        editores=draft.editores,
        revisores=draft.revisores,
    )


async def _unit_as_prefix(unidad_id: str) -> str:
    return unidad_id


def _comment_text(texto: str) -> str:
    cleaned = check_safe_text(texto, campo="texto").strip()
    if not cleaned:
        raise ValidationFailedError("El comentario no puede estar vacío.", code="comment_empty")
    if len(cleaned) > 5000:
        raise ValidationFailedError(
            "El comentario no puede exceder 5000 caracteres.", code="comment_too_long"
        )
    return cleaned


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
