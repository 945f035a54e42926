"""Institutional seals per dependencia, in one PKCS#11 token.

Each dependencia has its own seal: a key in the token labelled `<seal_key_label>-<slug>` (e.g.
`sello-secretaria-de-innovacion` for "Secretaría de Innovación") with its certificate under the same
label. Production loads those keys into an HSM (and their certificates, issued by a CA in the trust
roots) and configures the module, token label and PIN; a dependencia without a key gets
`seal_unavailable`. Development and tests provision them on demand (`DevelopmentSeals`): a SoftHSM
token in a local folder, the key generated inside the token, a certificate issued by a local
"AC de sellos de desarrollo Signum" whose root signing trusts like the local TSA's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import subprocess
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

from signum.platform.errors import SignumError
from signum.platform.health import CheckFailed
from signum.platform.logging import get_logger
from signum.signing import errors
from signum.signing.credentials import TrustPolicy
from signum.signing.pkcs11 import Pkcs11Key
from signum.signing.pki import LocalCa, with_revocation_urls

log = get_logger(__name__)

UNIQUE_IDENTIFIER = ObjectIdentifier("2.5.4.45")  # where SAT puts the RFC
NAME = ObjectIdentifier("2.5.4.41")
DEVELOPMENT_PIN = "signum-dev-sello"
DEVELOPMENT_TOKEN = "signum-sellos"  # noqa: S105 - a token label
# How long the readiness check trusts its last look at the token: a success for a minute, a failure
# for a few seconds (so a fixed token shows up quickly), never a PKCS#11 login per /readyz.
READY_FOR_SECONDS = 60.0
NOT_READY_FOR_SECONDS = 5.0


def slug(text: str) -> str:
    """`Secretaría de Innovación` -> `secretaria-de-innovacion` (ASCII, for PKCS#11 labels)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "sin-nombre"


@dataclass(frozen=True)
class SealConfig:
    module: str
    token_label: str
    pin: str
    key_label: str = "sello"
    rfc: str = "MMO010101AB1"  # the municipality's RFC, written in each development seal certificate
    organization: str = "Municipio de Monterrey"

    def label_for(self, dependencia: str) -> str:
        return f"{self.key_label}-{slug(dependencia)}"


CA_NAME = "sellos"  # its routes: /pki/sellos/crl, /pki/sellos/ocsp


class DevelopmentSeals:
    """A SoftHSM token and a seal CA in `directory`, created on first use (never in production)."""

    def __init__(self, directory: Path, config: SealConfig, base_url: str | None = None) -> None:
        self.directory = directory.resolve()
        self.config = config
        self.base_url = base_url  # signing's address: the seal CA's CRL and OCSP (signum.signing.pki)
        self.conf = self.directory / "softhsm2.conf"
        self.tokens = self.directory / "tokens"
        self.ca_cert_path = self.directory / "ca.pem"
        self.ca_key_path = self.directory / "ca.key"

    def prepare(self) -> bytes:
        """Make the token and CA exist and point SoftHSM at them; returns the CA root (PEM) to trust.

        Must run before the PKCS#11 library is first loaded in this process (SoftHSM reads its
        configuration file once)."""
        self.tokens.mkdir(parents=True, exist_ok=True)
        if not self.conf.exists():
            self.conf.write_text(
                f"directories.tokendir = {self.tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
            )
        os.environ["SOFTHSM2_CONF"] = str(self.conf)
        if not (self.ca_cert_path.exists() and self.ca_key_path.exists()):
            cert, key = _development_ca()
            self.ca_key_path.touch(mode=0o600)
            self.ca_key_path.write_bytes(key)
            self.ca_cert_path.write_bytes(cert)
        if not any(self.tokens.iterdir()):
            util = shutil.which("softhsm2-util")
            if util is None:
                log.warning("softhsm2-util not installed: institutional seals unavailable")
            else:
                subprocess.run(
                    [
                        util,
                        "--init-token",
                        "--free",
                        "--label",
                        self.config.token_label,
                        "--so-pin",
                        secrets.token_hex(8),
                        "--pin",
                        self.config.pin,
                    ],
                    check=True,
                    capture_output=True,
                    env=os.environ | {"SOFTHSM2_CONF": str(self.conf)},
                )
        return self.ca_cert_path.read_bytes()

    def provision(self, dependencia: str) -> None:
        """Generate the dependencia's key inside the token and store its certificate next to it."""
        import pkcs11
        from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

        label = self.config.label_for(dependencia)
        token = pkcs11.lib(self.config.module).get_token(token_label=self.config.token_label)
        # The keyring's login session is open: PKCS#11 logs in per application, not per session.
        with token.open(rw=True) as session:
            found = list(
                session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label})
            )
            if found:
                if self._current(bytes(found[0][Attribute.VALUE])):
                    return
                # Issued for another address of signing (its CRL and OCSP are not there): re-issue.
                public = session.get_key(ObjectClass.PUBLIC_KEY, KeyType.RSA, label=label)
                found[0].destroy()
            else:
                public, _private = session.generate_keypair(KeyType.RSA, 2048, label=label, store=True)
            numbers = rsa.RSAPublicNumbers(
                int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
                int.from_bytes(public[Attribute.MODULUS], "big"),
            )
            cert = self._issue(numbers.public_key(), dependencia)
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.LABEL: label,
                    Attribute.TOKEN: True,
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.ISSUER: cert.issuer.public_bytes(),
                    Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                }
            )
        log.info("development seal provisioned", label=label)

    def _current(self, der: bytes) -> bool:
        """The stored seal certificate names this CA's CRL at signing's present address."""
        if self.base_url is None:
            return True
        try:
            cert = x509.load_der_x509_certificate(der)
            points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        except (ValueError, x509.ExtensionNotFound):
            return False
        return any(str(n.value).startswith(self.base_url + "/") for p in points for n in p.full_name or ())

    def _issue(self, public_key: rsa.RSAPublicKey, dependencia: str) -> x509.Certificate:
        ca = x509.load_pem_x509_certificate(self.ca_cert_path.read_bytes())
        ca_key = serialization.load_pem_private_key(self.ca_key_path.read_bytes(), password=None)
        assert isinstance(ca_key, rsa.RSAPrivateKey)
        now = datetime.now(UTC)
        name = f"SELLO INSTITUCIONAL {dependencia.upper()}"[:200]
        utf8, printable = _ASN1Type.UTF8String, _ASN1Type.PrintableString
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common_name(name), _type=utf8),
                x509.NameAttribute(NAME, name, _type=utf8),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.config.organization, _type=utf8),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "MX", _type=printable),
                x509.NameAttribute(UNIQUE_IDENTIFIER, self.config.rfc, _type=printable),
            ]
        )
        # The serial read as ASCII digits is the certificate number, as SAT writes it.
        number = "9" + "".join(str(secrets.randbelow(10)) for _ in range(19))
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca.subject)
            .public_key(public_key)
            .serial_number(int.from_bytes(number.encode("ascii"), "big"))
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                # Same usages as an e.firma (digitalSignature, nonRepudiation, dataEncipherment,
                # keyAgreement): the engine refuses certificates that look like a CSD.
                x509.KeyUsage(True, True, False, True, True, False, False, False, False),
                critical=True,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
        )
        if self.base_url is not None:
            builder = with_revocation_urls(builder, self.base_url, CA_NAME)
        return builder.sign(ca_key, hashes.SHA256())

    def ca(self) -> LocalCa:
        """The seal CA as a CA that publishes a CRL and answers OCSP (after `prepare`)."""
        return LocalCa.load(CA_NAME, self.ca_cert_path, self.ca_key_path)


def _development_ca() -> tuple[bytes, bytes]:
    now = datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "AC de sellos de desarrollo Signum"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Signum (desarrollo)"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return (
        cert.public_bytes(pem),
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


class SealKeyring:
    """The open seals of this process, one PKCS#11 session per dependencia, opened on first use."""

    def __init__(
        self, config: SealConfig, trust: TrustPolicy, development: DevelopmentSeals | None = None
    ) -> None:
        self.config = config
        self.trust = trust
        self.development = development
        self._seals: dict[str, Pkcs11Key] = {}
        self._lock = asyncio.Lock()
        self._login: Any = None  # one logged-in session kept open; every other session shares the login
        self._readiness: tuple[float, str | None] | None = None  # (valid until, failure or None)

    def _token(self) -> Any:
        import pkcs11

        return pkcs11.lib(self.config.module).get_token(token_label=self.config.token_label)

    def _log_in(self) -> Any:
        from pkcs11 import PKCS11Error

        try:
            if self.development is not None:
                # Makes the token if SoftHSM was installed after this process started.
                self.development.prepare()
            return self._token().open(rw=True, user_pin=self.config.pin)
        except (PKCS11Error, OSError, RuntimeError, subprocess.CalledProcessError) as exc:
            log.error("cannot open PKCS#11 token", token=self.config.token_label, error=repr(exc))
            raise errors.SealUnavailableError() from exc

    def _open(self, label: str) -> Pkcs11Key:
        """A session of its own for one seal (a session is not safe for concurrent operations)."""
        from asn1crypto import x509 as asn1_x509
        from pkcs11 import Attribute, ObjectClass, PKCS11Error

        session = self._token().open()
        try:
            stored = next(
                iter(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}))
            )
            return Pkcs11Key(session, label, asn1_x509.Certificate.load(bytes(stored[Attribute.VALUE])))
        except (PKCS11Error, StopIteration) as exc:
            session.close()
            log.error("no seal key/certificate in the token", label=label, error=repr(exc))
            raise errors.SealUnavailableError() from exc

    async def seal_for(self, dependencia: str) -> Pkcs11Key:
        label = self.config.label_for(dependencia)
        async with self._lock:
            seal = self._seals.get(label)
            fresh = datetime.now(UTC) + timedelta(minutes=1)
            if seal is not None and seal.check is not None and seal.check.info.not_after > fresh:
                return seal
            if self._login is None:
                self._login = await asyncio.to_thread(self._log_in)
            if self.development is not None:
                try:
                    await asyncio.to_thread(self.development.provision, dependencia)
                except Exception as exc:
                    log.error("cannot provision development seal", label=label, error=repr(exc))
                    raise errors.SealUnavailableError() from exc
            if seal is None:
                seal = await asyncio.to_thread(self._open, label)
            try:
                await seal.validate(self.trust)
            except SignumError as exc:
                log.error("seal certificate refused", label=label, code=exc.code)
                raise errors.SealUnavailableError() from exc
            self._seals[label] = seal
            return seal

    async def ready(self) -> bool:
        """Readiness: the token opens with the PIN and holds the seal keys (development makes them on
        first use, so there an open token is enough). Cached: see READY_FOR_SECONDS."""
        now = time.monotonic()
        if self._readiness is None or now >= self._readiness[0]:
            async with self._lock:
                failure = await asyncio.to_thread(self._probe)
            until = now + (NOT_READY_FOR_SECONDS if failure else READY_FOR_SECONDS)
            self._readiness = (until, failure)
        failure = self._readiness[1]
        if failure is not None:
            raise CheckFailed(failure)
        return True

    def _probe(self) -> str | None:
        """Why no acuse can be sealed now, or None when the token answers."""
        from pkcs11 import Attribute, ObjectClass, PKCS11Error

        try:
            if self._login is None:
                self._login = self._log_in()
            keys = [
                key
                for key in self._login.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})
                if str(key.label).startswith(f"{self.config.key_label}-")
            ]
        except errors.SealUnavailableError as exc:
            cause = exc.__cause__
            return f"el token PKCS#11 {self.config.token_label!r} no abre ({self.config.module}): {cause!r}"
        except (PKCS11Error, OSError, RuntimeError) as exc:
            # A session lost (token restarted): log in again on the next look.
            with contextlib.suppress(Exception):
                self._login.close()
            self._login = None
            return f"el token PKCS#11 {self.config.token_label!r} no responde: {exc!r}"
        if not keys and self.development is None:
            return f"el token PKCS#11 {self.config.token_label!r} no tiene llaves {self.config.key_label}-*"
        return None

    def forget(self, dependencia: str) -> None:
        """Drop an open seal that failed (token restarted, session lost): the next use reopens it."""
        seal = self._seals.pop(self.config.label_for(dependencia), None)
        if seal is not None:
            seal.close()

    def close(self) -> None:
        for seal in self._seals.values():
            seal.close()
        self._seals.clear()
        if self._login is not None:
            self._login.close()
            self._login = None


COMMON_NAME_MAX = 64  # ub-common-name; the cryptography library counts it in UTF-8 bytes


def common_name(name: str) -> str:
    """`name` as a certificate's CN: whole if it fits, else cut at the last word that fits (the
    whole name stays in the `name` attribute). "SELLO INSTITUCIONAL SECRETARÍA DE INNOVACIÓN Y
    GOBIERNO ABIERTO" is 63 characters but 65 bytes, and its certificate could not be built."""
    if len(name.encode()) <= COMMON_NAME_MAX:
        return name
    words = name.split(" ")
    while len(words) > 1 and len(" ".join(words).encode()) > COMMON_NAME_MAX:
        words.pop()
    cut = " ".join(words)
    while len(cut.encode()) > COMMON_NAME_MAX:  # a single word longer than the limit
        cut = cut[:-1]
    return cut
