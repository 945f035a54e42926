"""The signature fields appended to a rendered oficio: written directly for Typst's plain PDFs (the
same update pyHanko writes), by pyHanko for anything else; either way pyHanko signs them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signum.drafting.rendering import Renderer
from signum.drafting.rendering.fields import (
    _append_fields_directly,
    _append_fields_with_pyhanko,
    add_signature_fields,
)
from signum.drafting.rendering.sample import sample_content
from signum.drafting.templates import Template
from tests.drafting.rendering.support import signature_fields


@pytest.fixture(scope="module")
def plain_and_areas(renderer: Renderer, template: Template) -> tuple[bytes, tuple]:  # type: ignore[type-arg]
    content = sample_content().model_copy(update={"signers": sample_content().signers * 2})
    rendered = renderer.render(template, content, signature_fields=False)
    assert len(rendered.signature_areas) == 2
    return rendered.pdf, rendered.signature_areas


def _signer() -> tuple[signers.SimpleSigner, asn1_x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Firmante de prueba")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, True, False, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    key_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    loaded = asn1_x509.Certificate.load(cert_der)
    signer = signers.SimpleSigner(
        signing_cert=loaded,
        signing_key=load_private_key_from_pemder_data(key_der, passphrase=None),
        cert_registry=None,  # type: ignore[arg-type]
    )
    return signer, loaded


def test_the_direct_writer_writes_what_pyhanko_would(plain_and_areas: tuple) -> None:  # type: ignore[type-arg]
    pdf, areas = plain_and_areas
    direct = _append_fields_directly(pdf, areas)
    assert direct is not None, "Typst's PDF is the plain structure the direct writer expects"
    assert direct.startswith(pdf)  # an incremental update: Typst's bytes untouched
    assert direct.endswith(b"%%EOF\n")
    assert add_signature_fields(pdf, areas) == direct
    by_pyhanko = _append_fields_with_pyhanko(pdf, areas)
    assert signature_fields(direct) == signature_fields(by_pyhanko)
    for area in areas:
        field = signature_fields(direct)[area.field_name]
        assert (field["page"], field["signed"], field["has_appearance"]) == (area.box.page, False, True)


def test_an_unexpected_structure_goes_through_pyhanko(plain_and_areas: tuple) -> None:  # type: ignore[type-arg]
    pdf, areas = plain_and_areas
    once = add_signature_fields(pdf, areas)
    # A second update: the page has annotations and the catalog a form; the direct writer declines.
    assert _append_fields_directly(once, areas) is None


def test_pyhanko_signs_a_field_written_directly(plain_and_areas: tuple) -> None:  # type: ignore[type-arg]
    pdf, areas = plain_and_areas
    fielded = add_signature_fields(pdf, areas)
    signer, cert = _signer()
    out = io.BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(fielded)),
        signers.PdfSignatureMetadata(field_name="firma-1"),
        signer=signer,
        output=out,
    )
    reader = PdfFileReader(io.BytesIO(out.getvalue()))
    [signature] = reader.embedded_signatures
    assert signature.field_name == "firma-1"
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[cert]))
    assert status.intact
    assert status.valid
    assert status.coverage is not None
    fields = signature_fields(out.getvalue())
    assert (fields["firma-1"]["signed"], fields["firma-2"]["signed"]) == (True, False)
