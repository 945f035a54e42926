"""The acuse de recibo: a one-page PDF saying who received which oficio, when, in which unit.

Rendered with Typst (the same engine drafting uses; its embedded fonts, so no system fonts are read)
and then sealed with the receiving dependencia's institutional seal (see `seals.py`). The data goes
to Typst as a JSON input, never spliced into markup, so no text of the request can inject markup.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import typst
from pyhanko.pdf_utils.reader import PdfFileReader

from signum.platform.dates import long_datetime
from signum.signing.domain import AcuseReceipt
from signum.signing.pades import SignatureRequest

SEAL_FIELD = "sello-acuse"
# The visible seal block (x1, y1, x2, y2 in points on a US-letter page, origin bottom-left).
SEAL_BOX = (72, 60, 540, 200)

_PROGRAM = """
#let d = json(bytes(sys.inputs.datos))
#set document(title: "Acuse de recibo " + d.folio, author: d.dependencia)
#set page(paper: "us-letter", margin: (top: 2.2cm, bottom: 7.6cm, x: 2.5cm))
#set text(lang: "es", region: "MX", size: float(sys.inputs.size) * 1pt)
#align(center)[
  #text(size: 10pt, upper(d.dependencia)) \\
  #text(size: 10pt, d.unidad)
  #v(0.6em)
  #text(size: 17pt, weight: "bold")[ACUSE DE RECIBO]
]
#v(1em)
#table(
  columns: (auto, 1fr),
  stroke: 0.5pt + luma(160),
  inset: 7pt,
  [*Número de oficio*], [#d.folio],
  [*Asunto*], [#d.asunto],
  [*Recibido por*], [#d.nombre \\ #d.cargo],
  [*Unidad que recibe*], [#d.unidad \\ #d.dependencia],
  [*Fecha y hora de recepción*], [#d.fecha_hora],
  [*Identificador de la entrega*], [#raw(d.entrega_id)],
  [*Identificador del oficio*], [#raw(d.oficio_id)],
)
#v(1em)
#par(justify: true)[
  #d.dependencia hace constar que, en la fecha y hora indicadas, #d.nombre (#d.cargo) recibió
  por medios electrónicos el oficio #d.folio. Este acuse está sellado electrónicamente con el sello
  institucional de #d.dependencia y un sello de tiempo; cualquier cambio posterior lo invalida.
]
#v(0.6em)
Verifique este acuse escaneando el código QR o en: #link(d.url)[#raw(d.url)]
#if d.codigo != "" [ \\ Código de verificación: *#d.codigo*]
"""


@dataclass(frozen=True)
class AcuseData:
    oficio_id: str
    entrega_id: str
    folio: str
    asunto: str
    nombre: str
    cargo: str
    unidad: str
    dependencia: str
    recibido_en: datetime
    url: str
    codigo: str = ""  # the short verification code (signum.platform.verification_code)

    @classmethod
    def of(cls, receipt: AcuseReceipt, *, url: str, codigo: str) -> AcuseData:
        """What the acuse of `receipt` prints, with its verification link and short code."""
        return cls(
            oficio_id=receipt.oficio_id,
            entrega_id=receipt.entrega_id,
            folio=receipt.folio,
            asunto=receipt.asunto,
            nombre=receipt.nombre,
            cargo=receipt.cargo,
            unidad=receipt.unidad,
            dependencia=receipt.dependencia,
            recibido_en=receipt.recibido_en,
            url=url,
            codigo=codigo,
        )


def seal_request(receipt: AcuseReceipt, url: str) -> SignatureRequest:
    """The dependencia's seal at the foot of the acuse, with the QR to its verification page."""
    return SignatureRequest(
        field_name=SEAL_FIELD,
        title=f"Sello institucional de {receipt.dependencia}"[:300],
        qr_url=url,
        box=SEAL_BOX,
        reason=f"Acuse de recibo del oficio {receipt.folio}"[:300],
    )


ASUNTO_MAX = 280
TEXT_SIZES = (11, 10, 9, 8, 7)
NAME_MAX = 120


def _pages(pdf: bytes) -> int:
    count = PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"]
    return int(count)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fecha_hora(moment: datetime) -> str:
    """`23 de noviembre de 2026, 15:56:25 h (hora de Monterrey, Nuevo León)`."""
    return f"{long_datetime(moment, seconds=True)} (hora de Monterrey, Nuevo León)"


def render(data: AcuseData) -> bytes:
    """The unsigned one-page acuse as PDF/A-2b."""
    values = asdict(data) | {
        # One page: the text stays above the seal block (the page's bottom margin), so a long
        # subject is shortened here; the full one is in the oficio the acuse refers to.
        "asunto": _shorten(data.asunto, ASUNTO_MAX),
        **{k: _shorten(getattr(data, k), NAME_MAX) for k in ("nombre", "cargo", "unidad", "dependencia")},
        "recibido_en": data.recibido_en.astimezone(UTC).isoformat(),
        "fecha_hora": fecha_hora(data.recibido_en),
    }
    data_json = json.dumps(values, ensure_ascii=False)
    pdf = b""
    for size in TEXT_SIZES:  # smaller text until it fits one page (long names, a long subject)
        pdf = typst.compile(
            _PROGRAM.encode("utf-8"),
            sys_inputs={"datos": data_json, "size": str(size)},
            ignore_system_fonts=True,
            pdf_standards=["a-2b"],
            timestamp=int(data.recibido_en.timestamp()),
        )
        if _pages(pdf) == 1:
            break
    return pdf
