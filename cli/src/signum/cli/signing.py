"""`signumctl sign` and `signumctl verify`: the signing engine offline, with the service's code path.

The key is read from its file, unlocked in memory for this one signature and dropped; it is never
written anywhere. Trust roots and the TSA come from the signing service's settings
(`SIGNUM_SIGNING_TRUST_ROOTS`, `SIGNUM_SIGNING_TSA_URL`, ...) unless given as options.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from signum.signing.engine import SigningEngine

_SIGN_HELP = """Sign IN.pdf with a SAT e.firma (.cer + .key + password) and write OUT.pdf.

PAdES B-T with a timestamp (--tsa or SIGNUM_SIGNING_TSA_URL), B-LT when the certificate's revocation
data is reachable, B-B without a TSA. A refused credential (expired, revoked, CSD, wrong password,
untrusted issuer...) prints why in Spanish and exits 1.
"""

_VERIFY_HELP = """Verify the signatures of a PDF: integrity, signers (name, RFC, CURP), times,
certificate status, PAdES level and changes after each signature. Exit code 0 when every signature
is valid, 1 otherwise."""

TrustRoots = Annotated[
    list[Path] | None,
    typer.Option("--trust-root", help="CA certificate (PEM/DER) to trust; repeatable.", exists=True),
]
Intermediates = Annotated[
    list[Path] | None,
    typer.Option("--intermediate", help="Intermediate CA certificate; repeatable.", exists=True),
]


def _engine(
    trust_roots: list[Path] | None, intermediates: list[Path] | None, tsa: str | None
) -> SigningEngine:
    from signum.signing.app import trust_policy
    from signum.signing.engine import SigningEngine
    from signum.signing.pades import Timestamper
    from signum.signing.settings import Settings

    settings = Settings()
    if trust_roots:
        settings.trust_roots = list(trust_roots)
    if intermediates:
        settings.trust_intermediates = list(intermediates)
    tsa_url = tsa or settings.tsa_url
    timestamper = Timestamper(tsa_url, timeout=settings.tsa_timeout_seconds) if tsa_url else None
    return SigningEngine(
        trust=trust_policy(settings),
        timestamper=timestamper,
        public_url=settings.public_url,
        max_pdf_bytes=settings.max_pdf_bytes,
    )


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def sign(
    input_pdf: Annotated[Path, typer.Argument(metavar="IN.pdf", exists=True, dir_okay=False)],
    output_pdf: Annotated[Path, typer.Argument(metavar="OUT.pdf", dir_okay=False)],
    cer: Annotated[Path, typer.Option("--cer", help="Certificate of the e.firma (.cer).", exists=True)],
    key: Annotated[Path, typer.Option("--key", help="Private key of the e.firma (.key).", exists=True)],
    password_file: Annotated[
        Path, typer.Option("--password-file", help="File with the key's password.", exists=True)
    ],
    tsa: Annotated[str | None, typer.Option("--tsa", help="RFC 3161 TSA URL.")] = None,
    trust_root: TrustRoots = None,
    intermediate: Intermediates = None,
    campo: Annotated[str, typer.Option("--campo", help="Signature field name.")] = "firma-1",
    cargo: Annotated[str | None, typer.Option("--cargo", help="Title shown in the block.")] = None,
) -> None:
    from signum.platform.errors import SignumError
    from signum.signing.pades import SignatureRequest

    engine = _engine(trust_root, intermediate, tsa)
    password = password_file.read_text(encoding="utf-8").rstrip("\r\n")

    async def run() -> tuple[bytes, dict[str, Any]]:
        with await engine.unlock(cer.read_bytes(), key.read_bytes(), password) as credential:
            signed = await engine.sign(
                input_pdf.read_bytes(), credential, SignatureRequest(field_name=campo, title=cargo)
            )
            return signed, {"nombre": credential.info.name, "rfc": credential.info.rfc}

    try:
        signed, signer = asyncio.run(run())
    except SignumError as exc:
        raise _fail(f"No se firmó el documento ({exc.code}): {exc.message}") from None
    output_pdf.write_bytes(signed)
    typer.echo(f"Firmado por {signer['nombre']} ({signer['rfc']}): {output_pdf}")


def verify(
    pdf: Annotated[Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    trust_root: TrustRoots = None,
    intermediate: Intermediates = None,
) -> None:
    from signum.platform.errors import SignumError
    from signum.signing.api import report_json

    engine = _engine(trust_root, intermediate, None)
    try:
        report = report_json(asyncio.run(engine.verify(pdf.read_bytes())))
    except SignumError as exc:
        if as_json:
            typer.echo(json.dumps(exc.to_body(), ensure_ascii=False, indent=2))
            raise typer.Exit(1) from None
        raise _fail(f"{exc.message} ({exc.code})") from None
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(_text(report))
    raise typer.Exit(0 if report["valida"] else 1)


def _text(report: dict[str, Any]) -> str:
    lines = [report["resumen"], f"SHA-256: {report['sha256']}"]
    for number, firma in enumerate(report["firmas"], 1):
        lines += [
            "",
            f"Firma {number} ({firma['campo']}): {'válida' if firma['valida'] else 'NO válida'}",
            f"  {firma['resumen']}",
            f"  Firmante: {firma['nombre']}  RFC: {firma['rfc']}  CURP: {firma['curp'] or '-'}",
        ]
        if firma["cargo"]:
            lines.append(f"  Cargo: {firma['cargo']}")
        if firma["en_ausencia_de"]:
            lines.append(f"  Por ausencia de: {firma['en_ausencia_de']}")
        lines += [
            f"  Certificado: {firma['numero_certificado']} — {firma['estado_certificado_texto']}",
            f"  Fecha de firma: {firma['fecha_firma'] or '-'}",
            f"  Sello de tiempo: {firma['fecha_sello_tiempo'] or '-'}",
            f"  Nivel PAdES: {firma['nivel_pades']}  Cambios posteriores: {firma['cambios_posteriores']}",
        ]
        if firma.get("indicacion"):
            sub = f"/{firma['subindicacion']}" if firma.get("subindicacion") else ""
            lines.append(f"  Dictamen (ETSI EN 319 102-1): {firma['indicacion']}{sub} — {firma['motivo']}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add `sign` and `verify` to signumctl."""
    app.command("sign", help=_SIGN_HELP)(sign)
    app.command("verify", help=_VERIFY_HELP)(verify)
