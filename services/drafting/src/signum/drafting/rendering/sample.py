"""A complete, made-up oficio to preview a template with (the template designer's preview)."""

from __future__ import annotations

import datetime as dt

from signum.drafting.rendering.body import BodyDocument
from signum.drafting.rendering.content import OficioContent


def sample_content(*, date: dt.date | None = None) -> OficioContent:
    """Sample data that fills every block of a template (all names are fictitious)."""
    return OficioContent.parse(
        {
            "folio": "SIGA/DGTI/0123/2026",
            "date": (date or dt.date(2026, 11, 23)).isoformat(),
            "subject": "Solicitud de información para el informe trimestral",
            "sender": {
                "name": "Ing. Laura Martínez Garza",
                "title": "Directora General de Tecnologías de la Información",
                "organization": "Secretaría de Administración",
                "unit": "Dirección General de Tecnologías de la Información",
                "address": "Domicilio de la unidad administrativa, Monterrey, Nuevo León",
            },
            "recipients": [
                {
                    "name": "Lic. Jorge Luis Ramírez Treviño",
                    "title": "Director de Egresos",
                    "organization": "Tesorería Municipal",
                }
            ],
            "body": BodyDocument.from_text(
                "Por medio del presente, me permito solicitar a usted la información correspondiente al "
                "tercer trimestre del ejercicio, a fin de integrar el informe que se presentará ante el "
                "Ayuntamiento.\n\nSin otro particular, aprovecho la ocasión para enviarle un cordial saludo."
            ),
            "signers": [
                {
                    "name": "Ing. Laura Martínez Garza",
                    "title": "Directora General de Tecnologías de la Información",
                }
            ],
            "ccp": [{"name": "Archivo", "title": ""}],
            "initials": "LMG/jlr",
            "attachments": ["Formato de informe trimestral (1 hoja)"],
            "reference": {"folio": "TM/DE/0456/2026", "date": "2026-11-10"},
            "verification": {
                "qr_url": "https://signum.monterrey.gob.mx/verificar/019ae3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b",
                "page_url": "signum.monterrey.gob.mx/verificar",
                "code": "7KQ4M-X2P9R",
            },
        }
    )
