"""signum.signing.speedups answers exactly what pyHanko's and asn1crypto's own code answers."""

from __future__ import annotations

import io

import pytest
from asn1crypto import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

from signum.signing import speedups
from tests.signing.pki import SigningPki

speedups.install()


@pytest.mark.parametrize(
    "source",
    [
        b"<48656c6c6f> rest",
        b"<48 65\n6c\r\n6C\t6f>",
        b"<486>",  # odd: the last digit is padded with 0
        b"<>",
        b"<" + b"0a1B" * 40_000 + b">trailer",  # longer than a block
        b"<48 % a comment\n65>",  # left to pyHanko's reader
    ],
)
def test_hex_strings_read_as_pyhanko_reads_them(source: bytes) -> None:
    ours, theirs = io.BytesIO(source), io.BytesIO(source)

    assert speedups.read_hex_string_from_stream(ours) == speedups._ORIGINAL(theirs)
    assert ours.tell() == theirs.tell()


def test_a_hex_string_with_a_stray_character_is_refused() -> None:
    with pytest.raises(PdfStreamError, match="Unexpected token"):
        speedups.read_hex_string_from_stream(io.BytesIO(b"<48zz65>"))
    with pytest.raises(PdfStreamError):
        speedups.read_hex_string_from_stream(io.BytesIO(b"<4865"))
    assert generic.read_hex_string_from_stream is speedups.read_hex_string_from_stream


def test_names_compare_as_rfc_5280_says(pki: SigningPki) -> None:
    ca = x509.Certificate.load(pki.intermediates_der[0])
    root = x509.Certificate.load(pki.roots_der[0])
    # the same name in another string type and case: equal under RFC 5280's rules, other DER
    respelled = x509.Name.build({"common_name": "ac de pruebas  signum"}, use_printable=True)
    plain = x509.Name.build({"common_name": "AC de Pruebas Signum"})

    assert ca.issuer == root.subject
    assert ca.subject != root.subject
    assert respelled == plain
    assert respelled.dump() != plain.dump()
    assert respelled.hashable == plain.hashable
    # inside a GeneralName the name carries an explicit tag: still the same name
    general = x509.GeneralName(name="directory_name", value=ca.issuer)
    assert x509.GeneralName.load(general.dump()).chosen == root.subject
    assert ca.subject != "AC de pruebas Signum"
