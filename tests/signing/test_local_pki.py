"""The development CAs publish a CRL and answer OCSP like real ones (signum.signing.pki)."""

from __future__ import annotations

from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from fastapi import FastAPI

from signum.signing import tsa
from signum.signing.pki import LocalCa, crl_url, ocsp_url
from signum.signing.pki_api import pki_router

BASE = "http://127.0.0.1:8103"


def _request(cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    return (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303 - what OCSP clients send
        .build()
        .public_bytes(serialization.Encoding.DER)
    )


async def test_the_local_tsa_root_publishes_a_crl_and_answers_ocsp_for_its_tsa(tmp_path: Path) -> None:
    tsa.development_authority(tmp_path, BASE)
    ca = tsa.development_ca(tmp_path)
    tsa_cert = x509.load_pem_x509_certificate((tmp_path / "tsa.pem").read_bytes())
    points = tsa_cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == crl_url(BASE, "tsa")
    aia = tsa_cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert aia[0].access_location.value == ocsp_url(BASE, "tsa")

    app = FastAPI()
    app.include_router(pki_router({"tsa": ca}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        good = await http.post("/pki/tsa/ocsp", content=_request(tsa_cert, ca.cert))
        (tmp_path / "revoked.txt").write_text(f"{tsa_cert.serial_number:x} 2026-12-01T00:00:00+00:00\n")
        revoked = await http.post("/pki/tsa/ocsp", content=_request(tsa_cert, ca.cert))
        crl = await http.get("/pki/tsa/crl")
        other = await http.post("/pki/tsa/ocsp", content=_request(ca.cert, tsa_cert))
        garbage = await http.post("/pki/tsa/ocsp", content=b"no")
        unknown = await http.get("/pki/nadie/crl")

    first = ocsp.load_der_ocsp_response(good.content)
    assert good.headers["content-type"] == "application/ocsp-response"
    assert first.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert (first.serial_number, first.certificate_status) == (
        tsa_cert.serial_number,
        ocsp.OCSPCertStatus.GOOD,
    )
    public = ca.cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert first.signature_hash_algorithm is not None
    public.verify(
        first.signature, first.tbs_response_bytes, padding.PKCS1v15(), first.signature_hash_algorithm
    )
    assert ocsp.load_der_ocsp_response(revoked.content).certificate_status is ocsp.OCSPCertStatus.REVOKED
    listed = x509.load_der_x509_crl(crl.content)
    assert listed.is_signature_valid(public)
    assert listed.get_revoked_certificate_by_serial_number(tsa_cert.serial_number) is not None
    assert ocsp.load_der_ocsp_response(other.content).response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED
    assert ocsp.load_der_ocsp_response(garbage.content).response_status is (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
    assert unknown.status_code == 404


def test_an_old_tsa_folder_without_the_roots_key_is_made_again(tmp_path: Path) -> None:
    tsa.development_authority(tmp_path)
    (tmp_path / "root.key").unlink()
    _, root = tsa.development_authority(tmp_path, BASE)
    assert (
        LocalCa.load("tsa", tmp_path / "root.pem", tmp_path / "root.key").cert.public_bytes(
            serialization.Encoding.PEM
        )
        == root
    )
