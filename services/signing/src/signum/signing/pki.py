"""The development certificate authorities behave like real ones: they publish CRLs and answer OCSP.

Every CA the local stack creates (the local TSA's root, the seal CA, the demo e.firma CA) writes
into the certificates it issues a CRL distribution point and an OCSP address (AIA) under signing's
own routes (`GET /pki/<ca>/crl`, `POST /pki/<ca>/ocsp`, see `pki_api`), and signing answers there
with data signed by the CA's key. So a signature made on the local stack can reach B-LT exactly as
one made with SAT's e.firma and a real TSA, and EU DSS judges both the same way.

A development CA revokes what its folder's `revoked.txt` lists (one serial in hex per line, an
optional ISO date after a space); its OCSP answers `good` for every other serial it is asked about
with its own issuer hashes. Production uses SAT's OCSP for e.firmas and the real TSA's CA (settings
`SIGNUM_SIGNING_TRUST_*`, `SIGNUM_SIGNING_TSA_URL`), never these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID

CRL_VALIDITY = timedelta(days=7)
OCSP_VALIDITY = timedelta(days=1)


def crl_url(base_url: str, ca: str) -> str:
    return f"{base_url.rstrip('/')}/pki/{ca}/crl"


def ocsp_url(base_url: str, ca: str) -> str:
    return f"{base_url.rstrip('/')}/pki/{ca}/ocsp"


def with_revocation_urls(builder: x509.CertificateBuilder, base_url: str, ca: str) -> x509.CertificateBuilder:
    """`builder` with the CRL distribution point and the OCSP address of the local CA `ca`."""
    return builder.add_extension(
        x509.CRLDistributionPoints(
            [
                x509.DistributionPoint(
                    [x509.UniformResourceIdentifier(crl_url(base_url, ca))], None, None, None
                )
            ]
        ),
        critical=False,
    ).add_extension(
        x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url(base_url, ca))
                )
            ]
        ),
        critical=False,
    )


@dataclass(frozen=True)
class LocalCa:
    """One development CA: its certificate, its key and the folder with its `revoked.txt`."""

    name: str  # the path segment of its routes: "tsa", "sellos", "demo"
    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    directory: Path

    @classmethod
    def load(cls, name: str, cert_path: Path, key_path: Path) -> LocalCa:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return cls(name, cert, key, cert_path.parent)

    def revoked(self) -> dict[int, datetime]:
        """Serial -> revocation time, from `revoked.txt` (missing: nothing revoked)."""
        path = self.directory / "revoked.txt"
        found: dict[int, datetime] = {}
        if not path.exists():
            return found
        for line in path.read_text(encoding="ascii").splitlines():
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            when = datetime.fromisoformat(parts[1]) if len(parts) > 1 else datetime.fromtimestamp(0, UTC)
            found[int(parts[0], 16)] = when if when.tzinfo else when.replace(tzinfo=UTC)
        return found

    def crl(self, now: datetime | None = None) -> bytes:
        """The CA's current CRL (DER), valid for a week."""
        now = now or datetime.now(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(now - timedelta(minutes=1))
            .next_update(now + CRL_VALIDITY)
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
        )
        for serial, when in sorted(self.revoked().items()):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def ocsp_response(self, request_der: bytes, now: datetime | None = None) -> bytes:
        """The CA's signed OCSP answer (DER) to `request_der`; `malformedRequest` for garbage,
        `unauthorized` for a certificate another CA issued."""
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            asked_name_hash, asked_key_hash = request.issuer_name_hash, request.issuer_key_hash
            algorithm = request.hash_algorithm
        except (ValueError, TypeError):
            return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        name_hash, key_hash = _issuer_hashes(self.cert, algorithm)
        if (asked_name_hash, asked_key_hash) != (name_hash, key_hash):
            return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        now = now or datetime.now(UTC)
        revoked_at = self.revoked().get(request.serial_number)
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=name_hash,
            issuer_key_hash=key_hash,
            serial_number=request.serial_number,
            algorithm=algorithm,
            cert_status=ocsp.OCSPCertStatus.GOOD if revoked_at is None else ocsp.OCSPCertStatus.REVOKED,
            this_update=now - timedelta(minutes=1),
            next_update=now + OCSP_VALIDITY,
            revocation_time=revoked_at,
            revocation_reason=None,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, self.cert)
        for extension in request.extensions:
            if isinstance(extension.value, x509.OCSPNonce):
                builder = builder.add_extension(extension.value, critical=False)
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _issuer_hashes(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    name = hashes.Hash(algorithm)
    name.update(cert.subject.public_bytes())
    public = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    key = hashes.Hash(algorithm)
    key.update(public)
    return name.finalize(), key.finalize()


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)
