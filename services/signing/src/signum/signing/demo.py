"""Demo e.firmas for the local platform (`make up`): a demo CA and, for each demo official, a
certificate shaped like SAT's FIEL (same subject attributes and string types), its key as SAT ships
it (PKCS#8 DER encrypted with PBES2 / PBKDF2 / DES-EDE3-CBC when openssl is there) and the password.

Development only: signing trusts the demo CA through `SIGNUM_SIGNING_TRUST_ROOTS`, set by
`signumctl up`. Never configure this CA in production.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

from signum.signing.pki import LocalCa, with_revocation_urls

DEMO_PASSWORD = "FirmaDemo2026"  # noqa: S105 - printed by `signumctl up`; demo credentials only
ROOT_FILE = "ac-demo-signum.pem"
KEY_FILE = "ac-demo-signum.key"
CA_NAME = "demo"  # its routes: /pki/demo/crl, /pki/demo/ocsp
_P, _U, _IA5 = _ASN1Type.PrintableString, _ASN1Type.UTF8String, _ASN1Type.IA5String
_UNIQUE_IDENTIFIER = ObjectIdentifier("2.5.4.45")
_NAME = ObjectIdentifier("2.5.4.41")


@dataclass(frozen=True)
class DemoSigner:
    correo: str
    nombre: str
    rfc: str
    curp: str


@dataclass(frozen=True)
class DemoCredential:
    signer: DemoSigner
    folder: Path


def _ascii_upper(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Z0-9 ]", "", plain.upper()).strip()


def _number(index: int) -> str:
    return f"3000100000070000{index:04d}"


def write_demo_credentials(
    directory: Path, signers: Sequence[DemoSigner], base_url: str | None = None
) -> list[DemoCredential]:
    """Create (once) the demo CA in `directory` and an e.firma folder per signer; answer the folders.

    With `base_url` (signing's address) the e.firmas name the demo CA's CRL and OCSP there
    (`signum.signing.pki`, CA `demo`, published by signing with `SIGNUM_SIGNING_DEMO_CA_DIR`); an
    e.firma made before without them is made again."""
    directory.mkdir(parents=True, exist_ok=True)
    root_path, root_key_path = directory / ROOT_FILE, directory / KEY_FILE
    if not (root_path.exists() and root_key_path.exists()):
        cert, key = _demo_ca()
        root_key_path.touch(mode=0o600)
        root_key_path.write_bytes(key.private_bytes(*_PEM_PKCS8))
        root_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    ca = x509.load_pem_x509_certificate(root_path.read_bytes())
    ca_key = serialization.load_pem_private_key(root_key_path.read_bytes(), password=None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    made = []
    for index, signer in enumerate(signers, start=1):
        folder = directory / signer.correo.split("@")[0]
        if not _current(folder / "certificado.cer", base_url):
            folder.mkdir(parents=True, exist_ok=True)
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            cert = _fiel(ca, ca_key, key, signer, _number(index), base_url)
            (folder / "llave.key").write_bytes(_sat_key(key, DEMO_PASSWORD))
            (folder / "certificado.cer").write_bytes(cert.public_bytes(serialization.Encoding.DER))
            (folder / "contrasena.txt").write_text(DEMO_PASSWORD, encoding="ascii")
        made.append(DemoCredential(signer, folder))
    return made


_PEM_PKCS8 = (
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
)


def _demo_ca() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    now = datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "AC de demostración Signum (no es del SAT)", _type=_U),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Signum (demostración)", _type=_U),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX", _type=_P),
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
    return cert, key


def demo_ca(directory: Path) -> LocalCa:
    """The demo CA of `directory` as a CA that publishes a CRL and answers OCSP."""
    return LocalCa.load(CA_NAME, directory / ROOT_FILE, directory / KEY_FILE)


def _current(cer: Path, base_url: str | None) -> bool:
    if not cer.exists():
        return False
    if base_url is None:
        return True
    cert = x509.load_der_x509_certificate(cer.read_bytes())
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return False
    return any(str(n.value).startswith(base_url + "/") for p in points for n in p.full_name or ())


def _fiel(
    ca: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    key: rsa.RSAPrivateKey,
    signer: DemoSigner,
    number: str,
    base_url: str | None = None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    name = _ascii_upper(signer.nombre)  # SAT writes names in capitals, PrintableString
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name, _type=_P),
            x509.NameAttribute(_NAME, name, _type=_P),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name, _type=_P),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX", _type=_P),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, signer.correo, _type=_IA5),
            x509.NameAttribute(_UNIQUE_IDENTIFIER, signer.rfc, _type=_P),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, signer.curp, _type=_P),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(number.encode("ascii"), "big"))
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=4 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            # An e.firma's usages: digitalSignature, nonRepudiation, dataEncipherment, keyAgreement.
            x509.KeyUsage(True, True, False, True, True, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if base_url is not None:
        builder = with_revocation_urls(builder, base_url, CA_NAME)
    return builder.sign(ca_key, hashes.SHA256())


def _sat_key(key: rsa.RSAPrivateKey, password: str) -> bytes:
    """PKCS#8 DER, PBES2 with DES-EDE3-CBC as SAT writes it (openssl); AES-CBC PBES2 without openssl."""
    openssl = shutil.which("openssl")
    if openssl is not None:
        with tempfile.TemporaryDirectory() as tmp:
            plain = Path(tmp) / "llave.pem"
            plain.touch(mode=0o600)
            plain.write_bytes(key.private_bytes(*_PEM_PKCS8))
            command = [openssl, "pkcs8", "-topk8", "-v2", "des3", "-v2prf", "hmacWithSHA1", "-in", str(plain)]
            done = subprocess.run(
                [*command, "-outform", "DER", "-passout", f"pass:{password}"],
                capture_output=True,
                check=False,
            )
            if done.returncode == 0:
                return done.stdout
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    )
