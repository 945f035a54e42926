"""The CMS SignedData of a PAdES signature, assembled from pre-encoded parts.

pyHanko builds the same structure through asn1crypto objects and re-encodes every certificate on
every signature, which costs more than the RSA operation itself. A signer's certificates, identifier
and algorithm identifiers never change between signatures, so they are encoded once per signer and
each signature only encodes the few bytes that differ: the document digest, the RSA signature and
the optional timestamp token. The layout follows RFC 5652 and ETSI EN 319 122-1 (CAdES baseline):
content-type, message-digest and signing-certificate-v2 signed attributes, no signing-time (PAdES
puts the claimed time in the signature dictionary).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from asn1crypto import algos, cms, core, x509
from pyhanko.sign.ades import cades_asn1
from pyhanko.sign.general import as_signing_certificate_v2

DIGEST_ALGORITHM = "sha256"


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes((size,))
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def tlv(tag: int, content: bytes) -> bytes:
    """One DER element."""
    return bytes((tag,)) + _length(len(content)) + content


def _der_set(elements: Sequence[bytes], tag: int = 0x31) -> bytes:
    # DER orders the elements of a SET OF by their encodings, shorter ones padded with zeros.
    width = max((len(e) for e in elements), default=0)
    return tlv(tag, b"".join(sorted(elements, key=lambda e: bytes(e).ljust(width, b"\0"))))


def _oid(dotted: str) -> bytes:
    return bytes(core.ObjectIdentifier(dotted).dump())


def _attribute(name: str, value: object) -> bytes:
    return bytes(cms.CMSAttribute({"type": name, "values": [value]}).dump())


_OID_DATA = _oid("1.2.840.113549.1.7.1")
_OID_SIGNED_DATA = _oid("1.2.840.113549.1.7.2")
_OID_CONTENT_TYPE = _oid("1.2.840.113549.1.9.3")
_OID_MESSAGE_DIGEST = _oid("1.2.840.113549.1.9.4")
_OID_TIMESTAMP_TOKEN = _oid("1.2.840.113549.1.9.16.2.14")
_SHA256 = algos.DigestAlgorithm({"algorithm": DIGEST_ALGORITHM}).dump()
_RSA = algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}).dump()
_VERSION_1 = core.Integer(1).dump()
_CONTENT_TYPE_ATTR = tlv(0x30, _OID_CONTENT_TYPE + tlv(0x31, _OID_DATA))
_OID_TITLE = "2.5.4.12"


def claimed_title_attribute(title: str) -> bytes:
    """signer-attributes-v2 with the signer's title (cargo) as a claimed X.520 title attribute."""
    claimed = cms.AttCertAttribute({"type": _OID_TITLE, "values": [core.UTF8String(title)]})
    value = cades_asn1.SignerAttributesV2({"claimed_attributes": [claimed]})
    return _attribute("signer_attributes_v2", value)


class CmsTemplate:
    """Everything of one signer's CMS that does not change between signatures, encoded once."""

    def __init__(self, certificate: x509.Certificate, chain: Sequence[x509.Certificate] = ()) -> None:
        self.certificate = certificate
        self.chain = tuple(chain)
        certs = [certificate.dump(), *(c.dump() for c in self.chain if c.dump() != certificate.dump())]
        self._certificates = _der_set(list(dict.fromkeys(certs)), tag=0xA0)
        self._sid = cms.IssuerAndSerialNumber(
            {"issuer": certificate.issuer, "serial_number": certificate.serial_number}
        ).dump()
        self._signing_certificate_attr = _attribute(
            "signing_certificate_v2", as_signing_certificate_v2(certificate, DIGEST_ALGORITHM)
        )
        self._head = tlv(0x30, _OID_DATA)  # encapContentInfo: detached, no content
        # DER bytes of a SignedData from this template, without optional attributes or a timestamp:
        # the fixed parts, three attributes, a signature of up to 4096 bits, and headers.
        fixed = len(self._certificates) + len(self._sid) + len(self._signing_certificate_attr)
        self.size_estimate = fixed + 1024

    def signed_attributes(self, document_digest: bytes, extra: Sequence[bytes] = ()) -> bytes:
        """The DER SET of signed attributes: the bytes the signer's key signs."""
        message_digest = tlv(0x30, _OID_MESSAGE_DIGEST + tlv(0x31, tlv(0x04, document_digest)))
        return _der_set([_CONTENT_TYPE_ATTR, message_digest, self._signing_certificate_attr, *extra])

    def signed_data(
        self, signed_attributes: bytes, signature: bytes, timestamp_token: bytes | None = None
    ) -> bytes:
        """The ContentInfo to embed in the PDF, given the signed attributes and their signature."""
        # In SignerInfo the signed attributes are [0] IMPLICIT: same content, another tag.
        signer_info = [
            _VERSION_1,
            self._sid,
            _SHA256,
            b"\xa0" + signed_attributes[1:],
            _RSA,
            tlv(0x04, signature),
        ]
        if timestamp_token is not None:
            token_attr = tlv(0x30, _OID_TIMESTAMP_TOKEN + tlv(0x31, timestamp_token))
            signer_info.append(tlv(0xA1, token_attr))
        signed_data = tlv(
            0x30,
            _VERSION_1
            + tlv(0x31, _SHA256)
            + self._head
            + self._certificates
            + tlv(0x31, tlv(0x30, b"".join(signer_info))),
        )
        return tlv(0x30, _OID_SIGNED_DATA + tlv(0xA0, signed_data))


def digest(data: bytes) -> bytes:
    """SHA-256, the digest of every Signum signature."""
    return hashlib.sha256(data).digest()
