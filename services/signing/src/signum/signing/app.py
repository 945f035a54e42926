"""Composition root of the signing service."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import APIRouter, FastAPI
from pydantic import SecretStr

from signum.platform.directory import DirectoryReadModel
from signum.platform.http import internal_token_guard
from signum.platform.identity import Caller
from signum.platform.logging import get_logger
from signum.platform.service import ServiceRuntime, create_app, serve
from signum.platform.storage_client import StorageClient
from signum.signing import api, demo
from signum.signing.acuses import AcuseService
from signum.signing.credentials import TrustPolicy, read_certificates
from signum.signing.documents import SignedDocuments
from signum.signing.engine import LocalTimestamper, SigningEngine
from signum.signing.events import EVENTS
from signum.signing.handlers import handlers
from signum.signing.pades import Timestamper
from signum.signing.pki import LocalCa
from signum.signing.pki_api import pki_router
from signum.signing.renewal import ArchiveRenewal
from signum.signing.repository import SigningRepository
from signum.signing.seals import CA_NAME as SEAL_CA
from signum.signing.seals import DEVELOPMENT_PIN, DEVELOPMENT_TOKEN, DevelopmentSeals, SealConfig, SealKeyring
from signum.signing.service import SigningService
from signum.signing.settings import Settings
from signum.signing.tsa import TimestampAuthority, development_authority, development_ca

log = get_logger(__name__)


@dataclass
class Components:
    runtime: ServiceRuntime
    engine: SigningEngine
    service: SigningService
    repository: SigningRepository
    authority: TimestampAuthority | None
    seals: SealKeyring | None = None
    directory: DirectoryReadModel | None = None
    renewal: ArchiveRenewal | None = None
    local_cas: dict[str, LocalCa] = field(default_factory=dict)  # development CAs (signum.signing.pki)


def trust_policy(settings: Settings, extra_roots: tuple[bytes, ...] = ()) -> TrustPolicy:
    """The configured trust roots (and, in development, the local TSA's root)."""
    roots = read_certificates([p.read_bytes() for p in settings.trust_roots] + list(extra_roots))
    intermediates = read_certificates([p.read_bytes() for p in settings.trust_intermediates])
    return TrustPolicy(
        roots=roots,
        intermediates=intermediates,
        fetch_revocation=settings.fetch_revocation,
        require_revocation=settings.require_revocation,
        ocsp_url=settings.ocsp_url,
    )


def components(settings: Settings) -> Components:
    runtime = ServiceRuntime(settings, uses_s3=False)
    authority: TimestampAuthority | None = None
    extra_roots: tuple[bytes, ...] = ()
    tsa_dir = settings.tsa_dir()
    local_cas: dict[str, LocalCa] = {}
    if tsa_dir is not None:
        authority, root = development_authority(tsa_dir, settings.own_url() if settings.development else None)
        extra_roots = (root,)
        if settings.development:
            local_cas["tsa"] = development_ca(tsa_dir)
    development_seals: DevelopmentSeals | None = None
    seal_config = seal_settings(settings)
    seal_dir = settings.seal_dir()
    if seal_config is not None and seal_dir is not None and settings.development:
        development_seals = DevelopmentSeals(seal_dir, seal_config, settings.own_url())
        try:
            extra_roots += (development_seals.prepare(),)
            local_cas[SEAL_CA] = development_seals.ca()
        except (OSError, subprocess.CalledProcessError) as exc:
            log.warning("development seals unavailable", error=repr(exc))
            development_seals = None
    demo_dir = settings.demo_ca_dir
    if settings.development and demo_dir is not None and (demo_dir / demo.KEY_FILE).exists():
        local_cas[demo.CA_NAME] = demo.demo_ca(demo_dir)
    timestamper: Timestamper | None = None
    if settings.tsa_url:
        timestamper = Timestamper(settings.tsa_url, timeout=settings.tsa_timeout_seconds)
    elif authority is not None and settings.development:
        # The local TSA this process serves at /tsa, asked in-process (no HTTP call to itself).
        timestamper = LocalTimestamper(authority, settings.local_tsa_url())
    engine = SigningEngine(
        trust=trust_policy(settings, extra_roots),
        timestamper=timestamper,
        public_url=settings.public_url,
        max_pdf_bytes=settings.max_pdf_bytes,
        metrics=runtime.metrics,
    )
    repository = SigningRepository(runtime.db)
    directory = DirectoryReadModel(runtime.db)
    runtime.on_startup(repository.ensure_indexes)
    relay = runtime.outbox(repository.pending, repository.acuses)
    seals = SealKeyring(seal_config, engine.trust, development_seals) if seal_config is not None else None
    if seals is not None:
        # Not in the `local` scope: signing oficios works without the seal, only acuses need it.
        runtime.add_check("seal", seals.ready)
    # Signing acts as the system on the oficios it keeps the signing state of.
    storage = StorageClient(
        settings.storage_url, settings.infra.internal_token, caller=Caller(kind="system", id="signing")
    )
    documents = SignedDocuments(storage, max_pdf_bytes=settings.max_pdf_bytes)
    service = SigningService(
        engine,
        repository,
        documents,
        AcuseService(engine, repository, documents, seals, notify=relay.notify),
        prepared_ttl=timedelta(seconds=settings.prepared_ttl_seconds),
        notify=relay.notify,
        directory=directory,
    )
    # The directory's read model tells whose RFC each signer has (their e.firma must match it).
    runtime.on_startup(directory.ensure_indexes)
    runtime.consume(EVENTS.topics, EVENTS.handlers(handlers(repository) | directory.handlers()))
    renewal = ArchiveRenewal(
        engine,
        repository,
        documents,
        horizon=timedelta(days=settings.lta_horizon_days),
        retry=timedelta(seconds=settings.lta_retry_seconds),
        batch=settings.lta_batch,
        notify=relay.notify,
    )
    if settings.lta_enabled and timestamper is not None:

        async def renew_archive() -> None:
            await renewal.run()

        runtime.every(settings.lta_interval_seconds, renew_archive)
    return Components(runtime, engine, service, repository, authority, seals, directory, renewal, local_cas)


def seal_settings(settings: Settings) -> SealConfig | None:
    """The institutional seals' token, or None when this deployment has none (acuses refused)."""
    token, pin = settings.seal_token_label, settings.seal_pin
    if settings.development:
        token = token or DEVELOPMENT_TOKEN
        pin = pin or SecretStr(DEVELOPMENT_PIN)
    if token is None or pin is None:
        return None
    return SealConfig(
        module=settings.seal_pkcs11_module,
        token_label=token,
        pin=pin.get_secret_value(),
        key_label=settings.seal_key_label,
        rfc=settings.seal_rfc,
        organization=settings.seal_organization,
    )


def build(settings: Settings | None = None, parts: Components | None = None) -> FastAPI:
    settings = settings or Settings()
    parts = parts or components(settings)
    guard = internal_token_guard(settings.infra.internal_token)
    caps = api.field_caps(
        max_pdf_bytes=settings.max_pdf_bytes, max_credential_file_bytes=settings.max_credential_file_bytes
    )
    routers: list[APIRouter] = [api.router(parts.service, guard, caps)]
    if parts.renewal is not None:
        routers.append(api.renewal_router(parts.renewal, guard))
    if parts.authority is not None and settings.development:
        routers.append(api.tsa_router(parts.authority))
    if parts.local_cas and settings.development:
        routers.append(pki_router(parts.local_cas))
    return create_app(
        parts.runtime,
        title="Signum — firma electrónica",
        routers=routers,
        body_rules=api.body_rules(max_pdf_bytes=settings.max_pdf_bytes),
    )


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
