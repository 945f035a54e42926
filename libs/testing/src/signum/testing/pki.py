"""A test PKI generated at test time, real RSA-2048, shaped like SAT's.

Root CA -> "AC de pruebas Signum" (intermediate) -> end-entity certificates whose subjects copy the
attribute types and ASN.1 string encodings of SAT's e.firma byte for byte (see
shared/fixtures/sat-efirma-pruebas/README.md): FIEL-like, CSD-like, expired, revoked, issued by an
untrusted CA, a TSA certificate and an institutional seal. `PkiServer` serves OCSP, CRLs and RFC 3161
timestamps over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    NameOID,
    ObjectIdentifier,
)

# Parsing SAT-shaped names (this PKI's certificates, in its OCSP responder and TSA) needs asn1crypto
# taught SAT's x500UniqueIdentifier, which importing signum.signing.sat does.
import signum.signing.sat  # noqa: F401
from signum.signing.tsa import TimestampAuthority

P = _ASN1Type.PrintableString
U = _ASN1Type.UTF8String
IA5 = _ASN1Type.IA5String
T61 = _ASN1Type.T61String
UNIQUE_IDENTIFIER = ObjectIdentifier("2.5.4.45")
NAME = ObjectIdentifier("2.5.4.41")
UNSTRUCTURED_NAME = ObjectIdentifier("1.2.840.113549.1.9.2")
NETSCAPE_CERT_TYPE = ObjectIdentifier("2.16.840.1.113730.1.1")
PASSWORD = "Pruebas-Signum-2026"  # noqa: S105 - test credentials


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sat_serial(number: str) -> int:
    """SAT writes the certificate number as ASCII digits in the serial."""
    return int.from_bytes(number.encode("ascii"), "big")


def fiel_subject(name: str, rfc: str, curp: str, email: str) -> x509.Name:
    """The subject of a SAT e.firma: same attributes, same order, same string types."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name, _type=P),
            x509.NameAttribute(NAME, name, _type=P),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name, _type=P),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX", _type=P),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, email, _type=IA5),
            x509.NameAttribute(UNIQUE_IDENTIFIER, rfc, _type=P),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, curp, _type=P),
        ]
    )


def csd_subject(name: str, rfc: str, curp: str, branch: str) -> x509.Name:
    """The subject of a SAT CSD (invoice seal): no country or e-mail, an OU in T61String."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name, _type=P),
            x509.NameAttribute(NAME, name, _type=P),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name, _type=P),
            x509.NameAttribute(UNIQUE_IDENTIFIER, rfc, _type=P),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, curp, _type=P),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, branch, _type=T61),
        ]
    )


def ca_subject(common_name: str) -> x509.Name:
    """Shaped like SAT's issuing CA name (UTF8String attributes, IA5 e-mail)."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name, _type=U),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Municipio de Monterrey (pruebas)", _type=U),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Dirección de Tecnologías", _type=U),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "pki@pruebas.signum.mx", _type=IA5),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX", _type=P),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Nuevo León", _type=U),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Monterrey", _type=U),
            x509.NameAttribute(UNIQUE_IDENTIFIER, "MMO010101AB1", _type=P),
            x509.NameAttribute(UNSTRUCTURED_NAME, "Responsable: Signum", _type=U),
        ]
    )


@dataclass
class Issued:
    """A certificate and its key; `cer`/`key` are the SAT-style files (DER, encrypted PKCS#8 DER)."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    password: str = PASSWORD

    @property
    def cer(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def key_file(self) -> bytes:
        # SAT's .key: PKCS#8 DER, PBES2 (PBKDF2) with a symmetric cipher; cryptography picks AES here.
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self.password.encode()),
        )

    @property
    def key_pem_unencrypted(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def pkcs12_3des(self, chain: list[x509.Certificate], password: str) -> bytes:
        """PKCS#12 with PBE-SHA1-3DES, the only kind Documenso's signer reads."""
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())  # noqa: S303 - what that PKCS#12 reader understands
            .build(password.encode())
        )
        return pkcs12.serialize_key_and_certificates(b"signum", self.key, self.cert, chain, encryption)


@dataclass
class SigningPki:
    """Everything the signing tests need. Build it with `SigningPki.generate(base_url)`."""

    base_url: str
    root: Issued
    ca: Issued
    rogue_root: Issued
    fiel: Issued
    fiel_second: Issued
    expired: Issued
    revoked: Issued
    csd: Issued
    untrusted: Issued
    tsa: Issued
    revoked_serials: set[int] = field(default_factory=set)
    extra_certs: dict[int, x509.Certificate] = field(default_factory=dict)  # known to the OCSP responder
    people: dict[str, Issued] = field(default_factory=dict)  # fiel_for(), by RFC

    @property
    def roots_der(self) -> list[bytes]:
        return [self.root.cert.public_bytes(serialization.Encoding.DER)]

    @property
    def intermediates_der(self) -> list[bytes]:
        return [self.ca.cert.public_bytes(serialization.Encoding.DER)]

    @property
    def ocsp_url(self) -> str:
        return f"{self.base_url}/ocsp"

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/tsa"

    @classmethod
    def generate(cls, base_url: str) -> SigningPki:
        now = datetime.now(UTC).replace(microsecond=0)
        root = _issue_ca(ca_subject("AC Raíz de pruebas Signum"), None, now, path_length=1)
        ca = _issue_ca(
            ca_subject("AC de pruebas Signum"), root, now, path_length=0, crl_url=f"{base_url}/crl/root.crl"
        )
        rogue_root = _issue_ca(ca_subject("AC no reconocida"), None, now, path_length=0)
        urls = {"ocsp_url": f"{base_url}/ocsp", "crl_url": f"{base_url}/crl/ac.crl"}
        fiel = _issue_fiel(
            ca,
            now,
            "JUANA PEREZ GARZA",
            "PEGJ800101AB1",
            "PEGJ800101MNLRRN09",
            "30001000000500000001",
            **urls,
        )
        second = _issue_fiel(
            ca,
            now,
            "MARIO LOPEZ TREVINO",
            "LOTM750505CD2",
            "LOTM750505HNLPRR02",
            "30001000000500000002",
            **urls,
        )
        expired = _issue_fiel(
            ca,
            now,
            "ROSA VENCIDA SALINAS",
            "VESR700101EF3",
            "VESR700101MNLNLS05",
            "30001000000500000003",
            not_before=now - timedelta(days=4 * 365),
            not_after=now - timedelta(days=1),
            **urls,
        )
        revoked = _issue_fiel(
            ca,
            now,
            "PEDRO REVOCADO RUIZ",
            "RERP680303GH4",
            "RERP680303HNLVZD01",
            "30001000000500000004",
            **urls,
        )
        csd = _issue(
            ca,
            csd_subject(
                "MUNICIPIO DE PRUEBAS", "MPR010101AB1 / PEGJ800101AB1", " / PEGJ800101MNLRRN09", "CSD01"
            ),
            now,
            serial=sat_serial("30001000000500000005"),
            key_usage=("digital_signature", "content_commitment"),
            **urls,
        )
        untrusted = _issue_fiel(
            rogue_root,
            now,
            "INTRUSO SIN CONFIANZA",
            "INSC800101IJ5",
            "INSC800101HNLNNN03",
            "30001000000500000006",
        )
        tsa = _issue(
            ca,
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TSA de pruebas Signum", _type=U)]),
            now,
            serial=sat_serial("30001000000500000007"),
            key_usage=("digital_signature", "content_commitment"),
            eku=[ExtendedKeyUsageOID.TIME_STAMPING],
            eku_critical=True,
            **urls,
        )
        return cls(
            base_url=base_url,
            root=root,
            ca=ca,
            rogue_root=rogue_root,
            fiel=fiel,
            fiel_second=second,
            expired=expired,
            revoked=revoked,
            csd=csd,
            untrusted=untrusted,
            tsa=tsa,
            revoked_serials={revoked.cert.serial_number},
        )

    def fiel_for(self, name: str, rfc: str, curp: str) -> Issued:
        """A FIEL-shaped e.firma of one person (e.g. an official of the test directory), made once.

        `name` as SAT writes it: capitals without accents (PrintableString)."""
        issued = self.people.get(rfc)
        if issued is None:
            number = f"300010000006{len(self.people) + 1:08d}"
            now = datetime.now(UTC).replace(microsecond=0)
            issued = _issue_fiel(
                self.ca,
                now,
                name,
                rfc,
                curp,
                number,
                ocsp_url=self.ocsp_url,
                crl_url=f"{self.base_url}/crl/ac.crl",
            )
            self.people[rfc] = issued
            self.extra_certs[issued.cert.serial_number] = issued.cert
        return issued

    def issue_for_public_key(
        self, public_key: rsa.RSAPublicKey, name: str, rfc: str, number: str
    ) -> x509.Certificate:
        """A FIEL-shaped certificate for a key that lives elsewhere (a PKCS#11 token)."""
        now = datetime.now(UTC).replace(microsecond=0)
        return _build(
            self.ca,
            fiel_subject(name, rfc, "", "sellos@pruebas.signum.mx"),
            public_key,
            now,
            serial=sat_serial(number),
            key_usage=_FIEL_USAGE,
            ocsp_url=self.ocsp_url,
            crl_url=f"{self.base_url}/crl/ac.crl",
            eku=[ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH],
        )

    def crl(self, issuer: Issued) -> bytes:
        now = datetime.now(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.cert.subject)
            .last_update(now - timedelta(minutes=5))
            .next_update(now + timedelta(days=1))
        )
        if issuer is self.ca:
            for serial in sorted(self.revoked_serials):
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(serial)
                    .revocation_date(now - timedelta(hours=1))
                    .build()
                )
        return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def ocsp_response(self, request_der: bytes) -> bytes:
        request = ocsp.load_der_ocsp_request(request_der)
        known: dict[int, Issued | x509.Certificate] = {
            i.cert.serial_number: i
            for i in (self.fiel, self.fiel_second, self.expired, self.revoked, self.csd, self.tsa)
        }
        known.update(self.extra_certs)
        issued = known.get(request.serial_number)
        if issued is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED
            ).public_bytes(serialization.Encoding.DER)
        cert = issued.cert if isinstance(issued, Issued) else issued
        now = datetime.now(UTC)
        revoked = request.serial_number in self.revoked_serials
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=cert,
            issuer=self.ca.cert,
            algorithm=request.hash_algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=now - timedelta(minutes=1),
            next_update=now + timedelta(hours=1),
            revocation_time=now - timedelta(hours=1) if revoked else None,
            revocation_reason=None,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, self.ca.cert)
        for extension in request.extensions:
            if isinstance(extension.value, x509.OCSPNonce):
                builder = builder.add_extension(extension.value, critical=False)
        return builder.sign(self.ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def timestamp_authority(self) -> TimestampAuthority:
        return TimestampAuthority.from_cryptography(
            self.tsa.cert, self.tsa.key, [self.ca.cert, self.root.cert]
        )


_FIEL_USAGE = ("digital_signature", "content_commitment", "data_encipherment", "key_agreement")


def _issue_ca(
    subject: x509.Name, issuer: Issued | None, now: datetime, *, path_length: int, crl_url: str | None = None
) -> Issued:
    key = _key()
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=30))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    if crl_url:
        builder = builder.add_extension(_crl_points(crl_url), critical=False)
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


def _crl_points(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)]
    )


def _build(
    issuer: Issued,
    subject: x509.Name,
    public_key: Any,
    now: datetime,
    *,
    serial: int,
    key_usage: tuple[str, ...],
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    ocsp_url: str | None = None,
    crl_url: str | None = None,
    eku: list[ObjectIdentifier] | None = None,
    eku_critical: bool = False,
    netscape: bool = False,
) -> x509.Certificate:
    usage = {
        name: name in key_usage
        for name in (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
        )
    }
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=4 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**usage, encipher_only=False, decipher_only=False), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    )
    if netscape:  # SSL client + S/MIME, as SAT's e.firma carries it
        builder = builder.add_extension(
            x509.UnrecognizedExtension(NETSCAPE_CERT_TYPE, b"\x03\x02\x05\xa0"), critical=False
        )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=eku_critical)
    if ocsp_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                    )
                ]
            ),
            critical=False,
        )
    if crl_url:
        builder = builder.add_extension(_crl_points(crl_url), critical=False)
    return builder.sign(issuer.key, hashes.SHA256())


def _issue(issuer: Issued, subject: x509.Name, now: datetime, **kwargs: Any) -> Issued:
    key = _key()
    return Issued(_build(issuer, subject, key.public_key(), now, **kwargs), key)


def _issue_fiel(
    issuer: Issued, now: datetime, name: str, rfc: str, curp: str, number: str, **kwargs: Any
) -> Issued:
    return _issue(
        issuer,
        fiel_subject(name, rfc, curp, f"{rfc.lower()}@pruebas.signum.mx"),
        now,
        serial=sat_serial(number),
        key_usage=_FIEL_USAGE,
        eku=[ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH],
        netscape=True,
        **kwargs,
    )


class PkiServer:
    """OCSP, CRLs and an RFC 3161 TSA over real HTTP on 127.0.0.1 (a free port), in a thread."""

    def __init__(self) -> None:
        self.pki: SigningPki | None = None
        self.tsa: TimestampAuthority | None = None
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                server.requests.append(f"GET {self.path}")
                pki = server.pki
                assert pki is not None
                if self.path == "/crl/ac.crl":
                    return self._reply(200, pki.crl(pki.ca), "application/pkix-crl")
                if self.path == "/crl/root.crl":
                    return self._reply(200, pki.crl(pki.root), "application/pkix-crl")
                return self._reply(404, b"", "text/plain")

            def do_POST(self) -> None:
                server.requests.append(f"POST {self.path}")
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                pki = server.pki
                assert pki is not None
                assert server.tsa is not None
                if self.path == "/ocsp":
                    return self._reply(200, pki.ocsp_response(body), "application/ocsp-response")
                if self.path == "/tsa":
                    return self._reply(200, server.tsa.respond(body), "application/timestamp-reply")
                return self._reply(404, b"", "text/plain")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, pki: SigningPki) -> None:
        self.pki = pki
        self.tsa = pki.timestamp_authority()
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def running_pki() -> Iterator[tuple[SigningPki, PkiServer]]:
    """Generate the PKI and serve it; for a session-scoped fixture."""
    server = PkiServer()
    pki = SigningPki.generate(server.base_url)
    server.start(pki)
    try:
        yield pki, server
    finally:
        server.stop()
