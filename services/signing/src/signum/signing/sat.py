"""How SAT writes its certificates, and reading them without tripping on it. No I/O.

SAT encodes the subject's x500UniqueIdentifier (2.5.4.45) as a PrintableString `RFC / RFC-rep`, where
X.520 says BIT STRING, and the subject's serialNumber (2.5.4.5) as `CURP / CURP-rep`. asn1crypto,
which pyHanko and its certificate validator use, follows X.520 and fails on the first; importing this
module teaches it to accept both forms, for every user of asn1crypto in the process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from asn1crypto import core, parser, x509

from signum.signing.domain import CertificateInfo, CertificateKind

OID_COMMON_NAME = "2.5.4.3"
OID_SERIAL_NUMBER = "2.5.4.5"
OID_ORGANIZATION = "2.5.4.10"
OID_ORGANIZATIONAL_UNIT = "2.5.4.11"
OID_NAME = "2.5.4.41"
OID_UNIQUE_IDENTIFIER = "2.5.4.45"
OID_EMAIL = "1.2.840.113549.1.9.1"

# A CSD (invoice seal) carries only these two usages; an e.firma carries more.
CSD_KEY_USAGE = frozenset({"digital_signature", "non_repudiation"})
SIGNING_KEY_USAGE = frozenset({"digital_signature", "non_repudiation"})


class _TolerantUniqueIdentifier(core.Choice):  # type: ignore[misc]
    """x500UniqueIdentifier as X.520 has it (BIT STRING) or as SAT writes it (a character string)."""

    _alternatives = [  # noqa: RUF012 - asn1crypto's declaration style
        ("bit_string", core.OctetBitString),
        ("printable_string", core.PrintableString),
        ("utf8_string", core.UTF8String),
        ("ia5_string", core.IA5String),
        ("teletex_string", core.TeletexString),
        ("bmp_string", core.BMPString),
    ]


def _teach_asn1crypto() -> None:
    x509.NameTypeAndValue._oid_specs["unique_identifier"] = _TolerantUniqueIdentifier


_teach_asn1crypto()


@dataclass(frozen=True)
class NameAttribute:
    """One attribute of a distinguished name, with the exact ASN.1 string type it was written in."""

    oid: str
    tag: int  # universal tag number: 19 PrintableString, 12 UTF8String, 22 IA5String, 20 T61String...
    value: str


_DECODERS = {
    12: "utf-8",
    19: "ascii",
    22: "ascii",
    20: "latin-1",  # T61String: SAT only puts ASCII in it; latin-1 never fails
    26: "ascii",
    30: "utf-16-be",
    28: "utf-32-be",
}


def _elements(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """(tag, header, contents) of each DER element in `data`."""
    pos = 0
    while pos < len(data):
        size = parser.peek(data[pos:])
        _cls, _method, tag, header, contents, _trailer = parser.parse(data[pos : pos + size])
        yield tag, header, contents
        pos += size


def name_attributes(name_der: bytes) -> list[NameAttribute]:
    """The attributes of a DER distinguished name in order, tolerating any string type."""
    _tag, _header, rdn_sequence = next(_elements(name_der))
    attributes = []
    for _set_tag, _set_header, rdn in _elements(rdn_sequence):
        for _seq_tag, _seq_header, type_and_value in _elements(rdn):
            (_oid_tag, oid_header, oid_contents), (tag, _h, value) = list(_elements(type_and_value))
            oid = core.ObjectIdentifier.load(oid_header + oid_contents).dotted
            if tag == 3:  # a BIT STRING as X.520 intends: unused-bits octet, then the bytes
                text = value[1:].decode("latin-1")
            else:
                text = value.decode(_DECODERS.get(tag, "latin-1"), errors="replace")
            attributes.append(NameAttribute(oid, tag, text))
    return attributes


def _first(attributes: list[NameAttribute], oid: str) -> str | None:
    return next((a.value for a in attributes if a.oid == oid), None)


def _split_pair(value: str | None) -> tuple[str | None, str | None]:
    """`A / B` -> (A, B); empty halves are None. SAT writes the holder first, the representative second."""
    if value is None:
        return None, None
    holder, _, representative = value.partition("/")
    return holder.strip() or None, representative.strip() or None


def certificate_number(serial_number: int) -> str:
    """SAT's certificate number: the serial's bytes read as ASCII digits (hex when they are not)."""
    raw = serial_number.to_bytes((serial_number.bit_length() + 7) // 8 or 1, "big")
    if raw.isdigit():
        return raw.decode("ascii")
    return raw.hex().upper()


def _key_usage(cert: x509.Certificate) -> frozenset[str]:
    usage = cert.key_usage_value
    return frozenset(usage.native) if usage is not None else frozenset()


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    """What a SAT certificate says: holder, RFC, CURP, certificate number, validity, kind."""
    tbs = cert["tbs_certificate"]
    subject = name_attributes(tbs["subject"].dump())
    issuer = name_attributes(tbs["issuer"].dump())
    rfc, representative_rfc = _split_pair(_first(subject, OID_UNIQUE_IDENTIFIER))
    holder_curp, representative_curp = _split_pair(_first(subject, OID_SERIAL_NUMBER))
    unit = _first(subject, OID_ORGANIZATIONAL_UNIT)
    usage = _key_usage(cert)
    kind = CertificateKind.CSD if unit is not None or usage == CSD_KEY_USAGE else CertificateKind.FIEL
    name = _first(subject, OID_NAME) or _first(subject, OID_COMMON_NAME) or ""
    validity = tbs["validity"]
    return CertificateInfo(
        name=name,
        rfc=rfc or "",
        # A company's certificate has no CURP of its own; the one it carries is its representative's.
        curp=holder_curp or representative_curp,
        certificate_number=certificate_number(cert.serial_number),
        serial_number=cert.serial_number,
        issuer=_first(issuer, OID_COMMON_NAME) or _first(issuer, OID_ORGANIZATION) or "",
        not_before=validity["not_before"].native,
        not_after=validity["not_after"].native,
        kind=kind,
        representative_rfc=representative_rfc,
        representative_curp=representative_curp,
        email=_first(subject, OID_EMAIL),
        organization_unit=unit,
        key_usage=usage,
    )
