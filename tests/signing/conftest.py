"""Fixtures of the signing tests: SAT's published test files, the generated test PKI and its servers."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from signum.signing import credentials
from signum.signing.credentials import Credential, TrustPolicy
from signum.signing.pades import Timestamper
from tests.signing.pki import PkiServer, SigningPki

SAT = Path(__file__).parent / "fixtures" / "sat-efirma-pruebas"


@dataclass(frozen=True)
class SatFiles:
    cer: bytes
    key: bytes
    password: str


def sat_files(folder: str) -> SatFiles:
    base = SAT / folder
    return SatFiles(
        (base / "certificate.cer").read_bytes(),
        (base / "private_key.key").read_bytes(),
        (base / "password.txt").read_text(encoding="ascii"),
    )


@pytest.fixture(scope="session")
def sat_fiel() -> SatFiles:
    return sat_files("FIEL_AAA010101AAA")


@pytest.fixture(scope="session")
def sat_csd() -> SatFiles:
    return sat_files("CSD01_AAA010101AAA")


@pytest.fixture(scope="session")
def pki_and_server(signing_pki: tuple[SigningPki, PkiServer]) -> tuple[SigningPki, PkiServer]:
    """The plugin's test PKI: the one the e2e platform's signing service trusts."""
    return signing_pki


@pytest.fixture(scope="session")
def pki(pki_and_server: tuple[SigningPki, PkiServer]) -> SigningPki:
    return pki_and_server[0]


@pytest.fixture(scope="session")
def pki_server(pki_and_server: tuple[SigningPki, PkiServer]) -> PkiServer:
    return pki_and_server[1]


@pytest.fixture(scope="session")
def roots_file(pki: SigningPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test root (and, beside it, the intermediate) as files, as signing's settings name them."""
    path = tmp_path_factory.mktemp("trust") / "roots.der"
    path.write_bytes(pki.roots_der[0])
    (path.parent / "intermediates.der").write_bytes(pki.intermediates_der[0])
    return path


@pytest.fixture(scope="session")
def trust(pki: SigningPki) -> TrustPolicy:
    return TrustPolicy.from_bytes(pki.roots_der, pki.intermediates_der, fetch_revocation=True)


@pytest.fixture(scope="session")
def offline_trust(pki: SigningPki) -> TrustPolicy:
    """What a verifier knows without asking anyone: the roots only."""
    return TrustPolicy.from_bytes(pki.roots_der, fetch_revocation=False)


@pytest.fixture(scope="session")
def timestamper(pki: SigningPki) -> Timestamper:
    return Timestamper(pki.tsa_url)


@pytest.fixture(scope="session")
async def fiel(pki: SigningPki, trust: TrustPolicy) -> AsyncIterator[Credential]:
    credential = await credentials.load_credential(
        pki.fiel.cer, pki.fiel.key_file, pki.fiel.password, trust=trust
    )
    yield credential
    credential.close()


@pytest.fixture(scope="session")
async def fiel_second(pki: SigningPki, trust: TrustPolicy) -> AsyncIterator[Credential]:
    issued = pki.fiel_second
    credential = await credentials.load_credential(issued.cer, issued.key_file, issued.password, trust=trust)
    yield credential
    credential.close()


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: see deploy/local/system-deps.sh)")
    return path


@pytest.fixture(scope="session")
def nss_db(pki: SigningPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An NSS database trusting the test root for e-mail/document signing (pdfsig uses NSS)."""
    certutil = require_tool("certutil")
    directory = tmp_path_factory.mktemp("nss")
    root = directory / "root.der"
    root.write_bytes(pki.roots_der[0])
    subprocess.run([certutil, "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    # "C,," trusts the CA for TLS only; the middle flag is what S/MIME and PDF signatures need.
    subprocess.run(
        [certutil, "-A", "-d", f"sql:{directory}", "-n", "signum-test-root", "-t", "C,C,C", "-i", str(root)],
        check=True,
    )
    return directory


def pdfsig(nss_db: Path, pdf: bytes, tmp_path: Path) -> str:
    """poppler's verdict on `pdf`, checking revocation online (our OCSP responder)."""
    tool = require_tool("pdfsig")
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        [tool, "-nssdir", f"sql:{nss_db}", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    return result.stdout + result.stderr
