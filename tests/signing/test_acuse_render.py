"""The acuse PDF itself: one page whatever the lengths the API accepts, and request text is data,
never Typst markup."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime

from pyhanko.pdf_utils.reader import PdfFileReader

from signum.platform.verification_code import short_code
from signum.signing.acuse import AcuseData, render


def _pages(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"])


def test_the_longest_accepted_fields_still_fit_one_page() -> None:
    pdf = render(
        AcuseData(
            oficio_id="o" * 64,
            entrega_id="e" * 128,
            folio="F" * 100,
            asunto="Asunto muy largo " * 60,
            nombre="N" * 300,
            cargo="Cargo muy largo " * 20,
            unidad="Unidad " * 40,
            dependencia="Dependencia " * 25,
            recibido_en=datetime(2026, 11, 23, 21, 4, 5, tzinfo=UTC),
            url="https://signum.example.mx/verificar/acuse-" + "e" * 128,
            codigo=short_code("acuse-" + "e" * 128),
        )
    )
    assert pdf.startswith(b"%PDF")
    assert _pages(pdf) == 1


def test_the_acuse_prints_its_short_verification_code() -> None:
    code = short_code("acuse-e-1")
    pdf = render(
        AcuseData(
            oficio_id="o-1",
            entrega_id="e-1",
            folio="SIGA/DGTI/0001/2026",
            asunto="Solicitud",
            nombre="María",
            cargo="Directora",
            unidad="Dirección",
            dependencia="Secretaría",
            recibido_en=datetime(2026, 11, 23, 21, 4, 5, tzinfo=UTC),
            url="https://signum.example.mx/verificar/acuse-e-1",
            codigo=code,
        )
    )
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext (poppler-utils) is needed"
    text = subprocess.run([tool, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert f"Código de verificación: {code}" in text


def test_request_text_is_not_typst_markup() -> None:
    hostile = '#import "/etc/passwd" ] ) #panic("x") *negrita* $x$ @ref <label>'
    pdf = render(
        AcuseData(
            oficio_id="o-1",
            entrega_id="e-1",
            folio="SIGA/DGTI/0001/2026",
            asunto=hostile,
            nombre="María",
            cargo="Directora",
            unidad="Dirección",
            dependencia="Secretaría",
            recibido_en=datetime(2026, 11, 23, 21, 4, 5, tzinfo=UTC),
            url="https://signum.example.mx/verificar/acuse-e-1",
        )
    )
    assert _pages(pdf) == 1  # rendered as text (a markup error would have raised)
