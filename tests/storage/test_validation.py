"""What storage accepts, judged by content, with Spanish messages and stable codes."""

from __future__ import annotations

import pytest

from signum.platform.errors import SignumError
from signum.storage.app import Components
from tests.storage.conftest import SYSTEM, chunks, pdf_bytes, zip_bytes

pytestmark = pytest.mark.stack

DOCX_TYPES = (
    '<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


async def _upload(parts: Components, data: bytes, media_type: str | None = None) -> dict[str, object]:
    return await parts.service.upload(
        SYSTEM,
        chunks(data),
        bucket="attachments",
        oficio_id="OF-1",
        declared_type=media_type,
        serie=None,
        nombre=None,
        correlation_id="t",
    )


async def _refused(parts: Components, data: bytes) -> SignumError:
    with pytest.raises(SignumError) as info:
        await _upload(parts, data)
    return info.value


@pytest.mark.parametrize(
    ("data", "declared", "detected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "application/octet-stream", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, None, "image/jpeg"),
        (b"Informe de actividades, 23 de noviembre\n", None, "text/plain"),
        (b"folio,asunto\n0123,Informe\n", "text/csv", "text/csv"),
        (
            zip_bytes([("[Content_Types].xml", DOCX_TYPES), ("word/document.xml", "<w/>")]),
            None,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
async def test_allowed_types_are_recognised_by_content(
    parts: Components, data: bytes, declared: str | None, detected: str
) -> None:
    stored = await _upload(parts, data, declared)
    assert stored["media_type"] == detected


async def test_a_valid_pdf_is_stored(parts: Components) -> None:
    stored = await _upload(parts, pdf_bytes(), "application/pdf")
    assert stored["media_type"] == "application/pdf"


async def test_an_executable_is_refused_whatever_it_claims(parts: Components) -> None:
    error = await _refused(parts, b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200)
    assert error.code == "file_type_not_allowed"
    assert error.status_code == 415
    assert "no está permitido" in error.message


async def test_a_zip_that_is_not_an_office_document_is_refused(parts: Components) -> None:
    error = await _refused(parts, zip_bytes([("leeme.txt", "hola")]))
    assert error.code == "file_type_not_allowed"


async def test_an_empty_file_is_refused(parts: Components) -> None:
    error = await _refused(parts, b"")
    assert (error.code, error.message) == ("file_empty", "El archivo está vacío.")


async def test_a_file_over_the_limit_is_refused_while_it_streams(parts: Components) -> None:
    error = await _refused(parts, b"a" * (2 * 1024 * 1024 + 1))
    assert error.code == "file_too_large"
    assert error.status_code == 413
    assert error.message == "El archivo excede el tamaño máximo permitido de 2 MB."


async def test_an_encrypted_pdf_is_refused(parts: Components) -> None:
    error = await _refused(parts, pdf_bytes(password="secreta"))
    assert error.code == "pdf_encrypted"
    assert "contraseña" in error.message


async def test_a_malformed_pdf_is_refused(parts: Components) -> None:
    error = await _refused(parts, b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R\nbasura sin fin")
    assert error.code == "pdf_malformed"
    assert error.message == "El PDF está dañado o no se puede leer."


async def test_a_truncated_pdf_is_refused(parts: Components) -> None:
    whole = pdf_bytes()
    error = await _refused(parts, whole[: len(whole) // 2])
    assert error.code == "pdf_malformed"
