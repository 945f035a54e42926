"""Builders of drafting's tests: callers, a complete draft content, the service on a real database."""

from __future__ import annotations

import hashlib
from typing import Any

from signum.drafting.rendering.body import BodyDocument
from signum.platform.identity import Caller

UNIT = "DGTI"


def official(id_: str, *, unit: str = UNIT, roles: tuple[str, ...] = ("funcionario",)) -> Caller:
    ambito = frozenset({unit}) if "titular" in roles else frozenset()
    return Caller(kind="official", id=id_, roles=frozenset(roles), unidad_id=unit, ambito=ambito)


def content(body: str = "Por medio del presente solicito la información del trimestre.") -> dict[str, Any]:
    return {
        "remitente": {
            "nombre": "Ing. Laura Martínez Garza",
            "cargo": "Directora General de Tecnologías de la Información",
            "dependencia": "Secretaría de Administración",
            "unidad": "Dirección General de Tecnologías de la Información",
        },
        "destinatarios": [
            {
                "tipo": "funcionario",
                "id": "90001",
                "nombre": "Lic. Jorge Luis Ramírez Treviño",
                "cargo": "Director de Egresos",
                "organizacion": "Tesorería Municipal",
            },
            {
                "tipo": "externo",
                "nombre": "Mtra. Sofía Leal",
                "cargo": "Directora",
                "organizacion": "Universidad Regional",
                "correo": "sofia@universidad.mx",
            },
        ],
        "cuerpo": BodyDocument.from_text(body).model_dump(mode="json"),
        "firmantes": [
            {"funcionario_id": "autor", "nombre": "Ing. Laura Martínez Garza", "cargo": "Directora General"},
            {"funcionario_id": "titular", "nombre": "Lic. Pedro Garza", "cargo": "Secretario"},
        ],
        "ccp": [{"nombre": "Archivo"}],
        "iniciales": "LMG/jlr",
        "anexos": [{"clave": "attachments/x/informe.pdf", "nombre": "Informe trimestral (3 hojas)"}],
    }


class MemoryStore:
    """Stands in for the storage service's `POST /internal/objetos` (same answer shape)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    async def put(self, *, bucket: str, oficio_id: str, media_type: str, data: bytes) -> dict[str, Any]:
        sha256 = hashlib.sha256(data).hexdigest()
        key = f"{oficio_id}/{sha256}.pdf"
        self.objects[key] = data
        return {"clave": key, "sha256": sha256, "tamano": len(data), "bucket": bucket}
