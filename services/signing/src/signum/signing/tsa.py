"""An RFC 3161 time-stamping authority, for the local stack and the tests.

Production points `SIGNUM_SIGNING_TSA_URL` at a real TSA; development runs this one with its own
test certificate. `respond` takes the body of an HTTP POST (`application/timestamp-query`) and
returns the body of the answer (`application/timestamp-reply`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signum.signing import sat  # noqa: F401 - teaches asn1crypto SAT's x500UniqueIdentifier (CA names)
from signum.signing.cms import tlv
from signum.signing.pki import LocalCa, with_revocation_urls

QUERY_CONTENT_TYPE = "application/timestamp-query"
REPLY_CONTENT_TYPE = "application/timestamp-reply"


class TimestampAuthority:
    """Signs time-stamp tokens with one certificate (extended key usage: timeStamping, critical)."""

    def __init__(
        self,
        certificate: asn1_x509.Certificate,
        key: keys.PrivateKeyInfo,
        chain: Sequence[asn1_x509.Certificate] = (),
    ) -> None:
        self.certificate = certificate
        store = SimpleCertificateStore()  # type: ignore[no-untyped-call]
        store.register_multiple(chain)
        # pyHanko's in-process TSA: answers `respond` and, as a pyHanko TimeStamper, document timestamps.
        self.stamper = DummyTimeStamper(tsa_cert=certificate, tsa_key=key, certs_to_embed=store)

    @classmethod
    def from_cryptography(
        cls, certificate: x509.Certificate, key: rsa.RSAPrivateKey, chain: Sequence[x509.Certificate] = ()
    ) -> TimestampAuthority:
        der = serialization.Encoding.DER
        return cls(
            asn1_x509.Certificate.load(certificate.public_bytes(der)),
            keys.PrivateKeyInfo.load(
                key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            ),
            [asn1_x509.Certificate.load(c.public_bytes(der)) for c in chain],
        )

    @classmethod
    def from_pem(cls, certificate: bytes, key: bytes, chain: Sequence[bytes] = ()) -> TimestampAuthority:
        private = serialization.load_pem_private_key(key, password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            raise ValueError("the TSA key must be RSA")
        return cls.from_cryptography(
            x509.load_pem_x509_certificate(certificate),
            private,
            [x509.load_pem_x509_certificate(c) for c in chain],
        )

    def respond(self, body: bytes) -> bytes:
        """The DER TimeStampResp for a DER TimeStampReq; a `rejection` status for a malformed one."""
        try:
            request = tsp.TimeStampReq.load(body)
            request.native  # noqa: B018 - parse it whole now
        except (ValueError, TypeError):
            status = tsp.PKIStatusInfo(
                {"status": "rejection", "fail_info": tsp.PKIFailureInfo({"bad_data_format"})}
            )
            # TimeStampResp without its (optional) token; asn1crypto insists on one, so wrap by hand.
            return tlv(0x30, status.dump())
        return bytes(self.stamper.request_tsa_response(request).dump())


def development_authority(directory: Path, base_url: str | None = None) -> tuple[TimestampAuthority, bytes]:
    """The local stack's TSA from `directory` (tsa.pem, tsa.key, root.pem, root.key), created there
    on first use; with `base_url` (signing's own address) its certificate names the root's CRL and
    OCSP there (`signum.signing.pki`, CA `tsa`), so a timestamp can be extended to B-LT.

    Returns the authority and its root certificate (PEM), which verifiers must trust. Development only:
    production uses a real TSA through `SIGNUM_SIGNING_TSA_URL`. A folder made before the root's key
    was kept, or for another address, is made again.
    """
    paths = [directory / name for name in ("tsa.pem", "tsa.key", "root.pem", "root.key")]
    cert_path, key_path, root_path, root_key_path = paths
    url_file = directory / "base_url"
    stale = base_url is not None and (not url_file.exists() or url_file.read_text() != base_url)
    if stale or not all(p.exists() for p in paths):
        directory.mkdir(parents=True, exist_ok=True)
        cert, key, root, root_key = generate_development_authority(base_url=base_url)
        for path, content in ((key_path, key), (root_key_path, root_key)):
            path.unlink(missing_ok=True)
            path.touch(mode=0o600)
            path.write_bytes(content)
        cert_path.write_bytes(cert)
        root_path.write_bytes(root)
        if base_url is not None:
            url_file.write_text(base_url)
    root = root_path.read_bytes()
    return TimestampAuthority.from_pem(cert_path.read_bytes(), key_path.read_bytes(), [root]), root


def development_ca(directory: Path) -> LocalCa:
    """The local TSA's root as a CA that publishes a CRL and answers OCSP (`development_authority` first)."""
    return LocalCa.load("tsa", directory / "root.pem", directory / "root.key")


def generate_development_authority(
    common_name: str = "TSA de desarrollo Signum", *, days: int = 3650, base_url: str | None = None
) -> tuple[bytes, bytes, bytes, bytes]:
    """A self-signed root and a TSA certificate for the local stack:
    (tsa_cert_pem, tsa_key_pem, root_pem, root_key_pem).

    Keep the files: signatures time-stamped with them only validate while the root is trusted.
    """
    now = datetime.now(UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} (raíz)")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
    )
    if base_url is not None:
        builder = with_revocation_urls(builder, base_url, "tsa")
    cert = builder.sign(root_key, hashes.SHA256())
    pem = serialization.Encoding.PEM
    private = serialization.PrivateFormat.PKCS8
    return (
        cert.public_bytes(pem),
        key.private_bytes(pem, private, serialization.NoEncryption()),
        root.public_bytes(pem),
        root_key.private_bytes(pem, private, serialization.NoEncryption()),
    )
