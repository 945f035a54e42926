"""Development seal certificates for dependencias whose names are long (no token needed)."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from signum.signing.seals import NAME, DevelopmentSeals, SealConfig, _development_ca, common_name


def test_a_long_dependencia_name_is_cut_at_a_word_in_the_cn_and_kept_whole_in_name(
    tmp_path: Path,
) -> None:
    seals = DevelopmentSeals(tmp_path, SealConfig(module="-", token_label="-", pin="-"))
    cert, key = _development_ca()
    seals.ca_cert_path.write_bytes(cert)
    seals.ca_key_path.write_bytes(key)
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()

    # 63 characters, 65 bytes in UTF-8: longer than a CN may be, and its certificate was refused.
    issued = seals._issue(public, "Secretaría de Innovación y Gobierno Abierto")
    (cn,) = issued.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    (name,) = issued.subject.get_attributes_for_oid(NAME)
    assert cn.value == "SELLO INSTITUCIONAL SECRETARÍA DE INNOVACIÓN Y GOBIERNO"
    assert name.value == "SELLO INSTITUCIONAL SECRETARÍA DE INNOVACIÓN Y GOBIERNO ABIERTO"
    assert common_name("SELLO INSTITUCIONAL TESORERÍA MUNICIPAL") == "SELLO INSTITUCIONAL TESORERÍA MUNICIPAL"
    assert common_name("X" * 70) == "X" * 64
    assert common_name("Ñ" * 40) == "Ñ" * 32
