"""signum.signing.speedups answers exactly what pyHanko's and asn1crypto's own code answers."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable
from typing import Any

import pytest
from asn1crypto import cms, core, x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError, PdfStreamError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.errors import SignatureValidationError

from signum.signing import pades, speedups
from signum.signing.credentials import Credential
from tests.signing.documents import oficio_pdf
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


def _prep(function: Callable[[Any, str], str], string: str) -> str | tuple[str, str]:
    try:
        return function(None, string)
    except ValueError as exc:
        return "refused", str(exc)


def test_string_preparation_answers_as_asn1crypto_for_every_character() -> None:
    for code in range(0x3000):
        assert _prep(speedups.ldap_string_prep, chr(code)) == _prep(speedups._ORIGINAL_PREP, chr(code))


def test_string_preparation_answers_as_asn1crypto_for_mixed_strings() -> None:
    plain = [chr(c) for c in range(0x20, 0x180)]
    # spaces, removed and mapped characters, combining marks, right-to-left, prohibited, ligatures
    odd = [
        " ",
        "\t",
        "\u00ad",
        "\u00a0",
        "\u200b",
        "\u0301",
        "\u05d0",
        "\ufffd",
        "\ue000",
        "ǆ",
        "ß",
        "ŉ",
        "½",
    ]
    rnd = random.Random(16)
    for i in range(20_000):
        pool = plain + odd if i % 3 == 0 else plain
        string = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 14)))
        assert _prep(speedups.ldap_string_prep, string) == _prep(speedups._ORIGINAL_PREP, string), string
    for name in ("Nuevo León", "Dirección de Tecnologías", "  AC  Raíz de pruebas ", "JUANA PÉREZ GARZA"):
        assert _prep(speedups.ldap_string_prep, name) == _prep(speedups._ORIGINAL_PREP, name)
    assert x509.NameTypeAndValue._ldap_string_prep is speedups.ldap_string_prep


def test_a_name_is_prepared_once_per_verification_and_never_across(
    pki: SigningPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared: list[bytes] = []
    original = x509.RDNSequence.hashable
    monkeypatch.setattr(
        x509.RDNSequence,
        "hashable",
        property(lambda self: prepared.append(self.dump()) or original.fget(self)),
    )
    der = pki.intermediates_der[0]
    configured = x509.Certificate.load(pki.roots_der[0]).subject
    with speedups.names_prepared_once([configured]):
        assert len(prepared) == 1  # the configuration's name
        first, second = x509.Certificate.load(der), x509.Certificate.load(der)
        assert first.subject == second.subject  # the same DER: equal without preparing either
        assert len(prepared) == 1
        assert first.subject.hashable == second.subject.hashable
        assert first.issuer.hashable == configured.hashable  # the configured name is not prepared again
        assert len(prepared) == 2  # the two objects of the same subject share one preparation
    assert speedups._SCOPE.get() is None
    with speedups.names_prepared_once([configured]):
        assert x509.Certificate.load(der).subject.hashable == first.subject.hashable
    assert len(prepared) == 3  # the next verification prepares the document's name again


_TOKENS = [
    b"/Type /Sig",
    b"/Type/Sig",
    b"Filter<<",
    b"Kids[3 0 R]",
    b"name_at_the_end",
    b"",
    b"12 0 obj\n<<",
    b"A#20B%c",
    b" leading",
    b"x" * 200 + b"(",  # longer than a block
    b"caf\xc3\xa9 ",
    b"\x00\x01\x02 ",
]


@pytest.mark.parametrize("source", _TOKENS)
def test_tokens_read_as_pyhanko_reads_them(source: bytes) -> None:
    for ours, theirs in (
        (speedups.read_until_delimiter, speedups._ORIGINAL_UNTIL_DELIMITER),
        (speedups.read_until_whitespace, speedups._ORIGINAL_UNTIL_WHITESPACE),
    ):
        for start in range(min(len(source), 4) + 1):
            mine, pyhankos = io.BytesIO(source), io.BytesIO(source)
            mine.seek(start)
            pyhankos.seek(start)
            assert ours(mine) == theirs(pyhankos)
            assert mine.tell() == pyhankos.tell()
    for maxchars in (1, 3, 20, 100, 300):
        mine, pyhankos = io.BytesIO(source), io.BytesIO(source)
        got = speedups.read_until_whitespace(mine, maxchars=maxchars)
        assert got == speedups._ORIGINAL_UNTIL_WHITESPACE(pyhankos, maxchars=maxchars)
        assert mine.tell() == pyhankos.tell()


@pytest.mark.parametrize(
    "name", [b"Type", b"", b"A#20B", b"Ab.-_*1:", b"caf\xc3\xa9", b"lat\xe9n", b"a#2", b"x#zz", b"\x7f"]
)
def test_names_decoded_as_pyhanko_decodes_them(name: bytes) -> None:
    try:
        expected: Any = speedups._ORIGINAL_DECODE_NAME(name)
    except PdfError as exc:
        with pytest.raises(type(exc), match=re.escape(str(exc))):
            speedups.decode_name(name)
        return
    got = speedups.decode_name(name)
    assert got == expected
    assert type(got) is type(expected)
    assert generic._decode_name is speedups.decode_name


def test_object_identifiers_read_as_asn1crypto_reads_them() -> None:
    assert speedups._KNOWN_OIDS  # the table of the OIDs asn1crypto and pyHanko name
    rnd = random.Random(5)
    dotted = list(speedups._KNOWN_OIDS.values())
    dotted += [
        f"{rnd.randint(0, 2)}.{rnd.randint(0, 39)}."
        + ".".join(str(rnd.randint(0, 2**40)) for _ in range(rnd.randint(0, 6)))
        for _ in range(2000)
    ]
    for value in dotted:
        der = core.ObjectIdentifier(value.rstrip(".")).dump()
        ours, theirs = core.ObjectIdentifier.load(der), core.ObjectIdentifier.load(der)
        assert ours.dotted == speedups._ORIGINAL_DOTTED.fget(theirs)
        assert ours.native == theirs.native
    assert x509.KeyPurposeId.load(core.ObjectIdentifier("1.3.6.1.5.5.7.3.8").dump()).native == "time_stamping"


def test_a_signatures_certificates_are_extracted_once_per_signed_data(fiel: Credential) -> None:
    signed = pades.sign_pdf_sync(oficio_pdf(), fiel)
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    first = generic_cms.extract_certs_for_validation(sig.signed_data)

    assert generic_cms.extract_certs_for_validation(sig.signed_data) is first
    assert sig.signer_cert is first.signer_cert

    def read_again() -> Any:
        return cms.ContentInfo.load(sig.pkcs7_content)["content"]

    theirs = speedups._ORIGINAL_EXTRACT(read_again())
    assert first.signer_cert.dump() == theirs.signer_cert.dump()
    assert [c.dump() for c in first.other_certs] == [c.dump() for c in theirs.other_certs]
    # another object read from the same bytes (the next verification) is extracted again
    assert generic_cms.extract_certs_for_validation(read_again()) is not first

    without_signer = read_again()
    without_signer["certificates"] = []
    for _ in range(2):  # a refusal is not kept: checked and raised each time
        with pytest.raises(SignatureValidationError, match="signer certificate not included"):
            generic_cms.extract_certs_for_validation(without_signer)


def test_a_name_is_copied_into_another_tagging_as_asn1crypto_copies_it(pki: SigningPki) -> None:
    subject = x509.Certificate.load(pki.roots_der[0]).subject
    assert subject.hashable  # a parsed name, as path validation leaves it
    inside = x509.GeneralName(name="directory_name", value=subject)
    for name in (subject, inside.chosen, x509.Name.build({"common_name": "AC de pruebas"})):
        for tagging in ({"explicit": 4}, {}, {"explicit": None, "implicit": None}):
            ours, theirs = name.retag(tagging), speedups._ORIGINAL_RETAG(name, tagging)
            assert (ours.dump(), ours.explicit, ours.implicit) == (
                theirs.dump(),
                theirs.explicit,
                theirs.implicit,
            )
            assert ours.native == theirs.native
            assert ours is not name
        with pytest.raises(ValueError, match="can not be implicitly tagged"):
            name.retag({"implicit": 3})
    assert x509.GeneralName.load(inside.dump()).chosen == subject
