"""Institutional seals: the key is generated inside a SoftHSM token and never leaves it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

from signum.signing import errors, pades, verification
from signum.signing.credentials import TrustPolicy
from signum.signing.domain import PadesLevel
from signum.signing.pades import SignatureRequest, Timestamper
from signum.signing.pkcs11 import Pkcs11Key
from tests.signing.conftest import pdfsig, require_tool
from tests.signing.documents import TWO_SIGNERS, oficio_pdf
from tests.signing.pki import SigningPki

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN = "sello-sig"
PIN = "87654321"
LABEL = "sello-secretaria"


@pytest.fixture(scope="module")
def softhsm_token(pki: SigningPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh SoftHSM token in a temp dir with an RSA-2048 key made inside it and its certificate."""
    util = require_tool("softhsm2-util")
    if not Path(MODULE).exists():
        pytest.skip(f"{MODULE} missing (Debian package softhsm2)")
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOFTHSM2_CONF", str(conf))  # read by the library when it is first initialised
        subprocess.run(
            [util, "--init-token", "--free", "--label", TOKEN, "--so-pin", "12345678", "--pin", PIN],
            check=True,
            capture_output=True,
        )
        token = pkcs11.lib(MODULE).get_token(token_label=TOKEN)
        with token.open(rw=True, user_pin=PIN) as session:
            public, _private = session.generate_keypair(KeyType.RSA, 2048, label=LABEL, store=True)
            numbers = rsa.RSAPublicNumbers(
                int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
                int.from_bytes(public[Attribute.MODULUS], "big"),
            )
            cert = pki.issue_for_public_key(
                numbers.public_key(), "SELLO SECRETARIA DE INNOVACION", "MMO010101AB1", "30001000000500000010"
            )
            pki.extra_certs[cert.serial_number] = cert
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.LABEL: LABEL,
                    Attribute.TOKEN: True,
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.ISSUER: cert.issuer.public_bytes(),
                    Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                }
            )
        yield TOKEN


async def test_a_seal_in_a_pkcs11_token_signs_and_validates(
    softhsm_token: str,
    trust: TrustPolicy,
    offline_trust: TrustPolicy,
    timestamper: Timestamper,
    nss_db: Path,
    tmp_path: Path,
) -> None:
    seal = Pkcs11Key.open(MODULE, token_label=softhsm_token, pin=PIN, key_label=LABEL)
    await seal.validate(trust)

    signed = await pades.sign_pdf(
        oficio_pdf(fields=TWO_SIGNERS),
        seal,
        SignatureRequest("firma-1", title="Sello institucional"),
        timestamper=timestamper,
        long_term=trust,
    )
    seal.close()

    report = await verification.verify_pdf(signed, offline_trust)
    assert report.valid, report
    assert report.signatures[0].signer_name == "SELLO SECRETARIA DE INNOVACION"
    assert report.signatures[0].pades_level is PadesLevel.B_LT
    assert "Signature is Valid." in pdfsig(nss_db, signed, tmp_path)


def test_a_wrong_pin_makes_the_seal_unavailable(softhsm_token: str) -> None:
    with pytest.raises(errors.SealUnavailableError) as refused:
        Pkcs11Key.open(MODULE, token_label=softhsm_token, pin="0000", key_label=LABEL)

    assert refused.value.code == "seal_unavailable"
