"""The demo e.firmas written for `make up`: SAT-shaped, SAT-format key, and they sign and verify
when the demo CA is trusted."""

from __future__ import annotations

from pathlib import Path

from signum.signing import pades, verification
from signum.signing.credentials import TrustPolicy, load_credential
from signum.signing.demo import DEMO_PASSWORD, ROOT_FILE, DemoSigner, write_demo_credentials
from tests.signing.documents import TWO_SIGNERS, oficio_pdf

JORGE = DemoSigner(
    "jorge.trevino@monterrey.gob.mx", "Jorge Alberto Treviño Garza", "TEGJ700101AB1", "TEGJ700101HNLRRR01"
)


async def test_demo_credentials_load_sign_and_verify_with_the_demo_ca(tmp_path: Path) -> None:
    (made,) = write_demo_credentials(tmp_path, [JORGE])
    assert (made.folder / "contrasena.txt").read_text() == DEMO_PASSWORD
    key = (made.folder / "llave.key").read_bytes()
    assert b"\x2a\x86\x48\x86\xf7\x0d\x03\x07" in key  # des-ede3-cbc, as SAT writes its keys
    trust = TrustPolicy.from_files([tmp_path / ROOT_FILE], fetch_revocation=False)

    with await load_credential(
        (made.folder / "certificado.cer").read_bytes(), key, DEMO_PASSWORD, trust=trust
    ) as c:
        assert (c.info.name, c.info.rfc, c.info.curp) == (
            "JORGE ALBERTO TREVINO GARZA",
            "TEGJ700101AB1",
            "TEGJ700101HNLRRR01",
        )
        signed = await pades.sign_pdf(oficio_pdf(fields=TWO_SIGNERS), c, pades.SignatureRequest("firma-1"))
    assert (await verification.verify_pdf(signed, trust)).valid

    # A second run keeps the same files (the CA the running signing service trusts does not change).
    write_demo_credentials(tmp_path, [JORGE])
    assert (made.folder / "llave.key").read_bytes() == key
