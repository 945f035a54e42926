"""PAdES B-LTA: a document timestamp over a signed PDF and the validation data it rests on.

A signed PDF at B-LT keeps, in its DSS dictionary, the certificates and revocation values of each
signer's chain and of each signature timestamp's. A document timestamp (a /DocTimeStamp over the
whole file) then proves that all of it existed while the timestamp's certificate and algorithms were
sound: B-LTA. Before that timestamp's certificate expires or its algorithms weaken, the archive is
renewed: the validation data of the last timestamp goes into the DSS and a new document timestamp
covers everything (pyHanko's `PdfTimeStamper.async_update_archival_timestamp_chain`).

`protection` reads how long the last timestamp keeps proving the document; `archive` adds the next
one. Neither knows oficios, storage or the job that calls them (`renewal.py`).
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfDecodeLimitError, PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.timestamps import TimestampRequestError
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import errors as cv_errors

from signum.signing import errors
from signum.signing.credentials import TrustPolicy
from signum.signing.domain import TimestampProtection, algorithm_weakens
from signum.signing.pades import Timestamper
from signum.signing.verification import UNTRUSTED_PDF_LIMITS

logger = logging.getLogger(__name__)

ARCHIVE_FIELD_PREFIX = "SelloArchivo"
NEVER = datetime.max.replace(tzinfo=UTC)


def _reader(pdf: bytes) -> PdfFileReader:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False, decode_limits=UNTRUSTED_PDF_LIMITS)
        reader.embedded_signatures  # noqa: B018 - read the signatures now, inside the limits
    except PdfDecodeLimitError:
        raise errors.PdfLimitsError() from None
    except (PdfError, ValueError, IndexError, KeyError, TypeError) as exc:
        raise errors.PdfInvalidError() from exc
    return reader


def _signature_timestamp(signer_info: Any) -> Any | None:
    """The SignedData of a signature's own timestamp token (B-T), if it has one."""
    for attr in signer_info["unsigned_attrs"] or ():
        if attr["type"].native == "signature_time_stamp_token":
            return attr["values"][0]["content"]
    return None


def _tsa_certificate(signed_data: asn1_cms.SignedData) -> asn1_x509.Certificate | None:
    sid = signed_data["signer_infos"][0]["sid"]
    certs = [c.chosen for c in signed_data["certificates"] or () if c.name == "certificate"]
    if sid.name == "issuer_and_serial_number":
        wanted = sid.chosen
        for cert in certs:
            if cert.issuer == wanted["issuer"] and cert.serial_number == wanted["serial_number"].native:
                return cert
        return None
    key_id = sid.chosen.native
    return next((c for c in certs if c.key_identifier == key_id), None)


def _token_protection(signed_data: asn1_cms.SignedData, *, archived: bool, count: int) -> TimestampProtection:
    """Until when one timestamp token proves what it covers: its certificate's end or its
    algorithms' (the digest of the imprint and of the signature, the TSA's key), whichever is first."""
    signer_info = signed_data["signer_infos"][0]
    tst_info = signed_data["encap_content_info"]["content"].parsed
    digests = {
        signer_info["digest_algorithm"]["algorithm"].native,
        tst_info["message_imprint"]["hash_algorithm"]["algorithm"].native,
    }
    cert = _tsa_certificate(signed_data)
    if cert is None:
        # A token without its signer's certificate proves nothing checkable.
        return TimestampProtection(archived=archived, timestamps=count, until=None, limit=None)
    key_algorithm = cert.public_key.algorithm
    key_bits = cert.public_key.bit_size
    weakens = [w for d in sorted(digests) if (w := algorithm_weakens(d, key_algorithm, key_bits)) is not None]
    expires: datetime = cert["tbs_certificate"]["validity"]["not_after"].native
    weakest = min(weakens) if weakens else None
    limited_by_algorithm = weakest is not None and weakest < expires
    return TimestampProtection(
        archived=archived,
        timestamps=count,
        until=weakest if limited_by_algorithm else expires,
        limit="algoritmo" if limited_by_algorithm else "certificado",
        tsa=cert.subject.human_friendly,
        certificate_expires=expires,
        algorithm=f"{' y '.join(sorted(digests))} con {key_algorithm} de {key_bits} bits",
    )


def protection(pdf: bytes) -> TimestampProtection:
    """How long the last timestamp over `pdf` keeps proving it: its last document timestamp's, or,
    before the first, the signature timestamp that ends first."""
    reader = _reader(pdf)
    archive_stamps = reader.embedded_timestamp_signatures
    if archive_stamps:
        return _token_protection(archive_stamps[-1].signed_data, archived=True, count=len(archive_stamps))
    found = [
        _token_protection(token, archived=False, count=0)
        for sig in reader.embedded_regular_signatures
        if (token := _signature_timestamp(sig.signer_info)) is not None
    ]
    if not found:
        return TimestampProtection(archived=False, timestamps=0, until=None, limit=None)
    dated = [p for p in found if p.until is not None]
    return min(dated, key=lambda p: p.until or NEVER) if dated else found[0]


async def archive(pdf: bytes, trust: TrustPolicy, timestamper: Timestamper) -> bytes:
    """`pdf` with the validation data of its last timestamp in the DSS and a new document timestamp
    over all of it, followed by the validation data of the new timestamp's TSA (B-LTA)."""
    reader = _reader(pdf)
    if not reader.embedded_regular_signatures:
        raise errors.PdfUnsignedError()
    count = len(reader.embedded_timestamp_signatures)
    stamper = PdfTimeStamper(timestamper.client(), field_name=f"{ARCHIVE_FIELD_PREFIX}-{count + 1}")
    # The TSA's certificates are checked, and their revocation values fetched, now.
    context = trust.validation_context(fetch=True)
    output = io.BytesIO()
    try:
        if count == 0:
            writer = IncrementalPdfFileWriter(
                io.BytesIO(pdf), strict=False, decode_limits=UNTRUSTED_PDF_LIMITS
            )
            await stamper.async_timestamp_pdf(writer, "sha256", context, output=output)
        else:
            await stamper.async_update_archival_timestamp_chain(
                reader, context, in_place=False, output=output
            )
    except (TimestampRequestError, OSError, TimeoutError) as exc:
        logger.warning("archive timestamp: TSA unreachable: %r", exc)
        raise errors.TimestampUnavailableError() from exc
    except (
        SigningError,
        SignatureValidationError,
        cv_errors.PathBuildingError,
        cv_errors.PathValidationError,
        cv_errors.ValidationError,
    ) as exc:
        logger.warning("archive timestamp refused: %r", exc)
        raise errors.ArchiveTimestampError(
            "No se pudo validar el último sello de tiempo del documento ni el certificado de la TSA; "
            "el documento queda como estaba."
        ) from exc
    finally:
        await context.aclose()  # type: ignore[no-untyped-call]
    return output.getvalue()
