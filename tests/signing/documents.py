"""Small, deterministic oficio PDFs for the signing tests and the benchmark."""

from __future__ import annotations

BODY = (
    "Por medio del presente, y en atención a su similar SIGA/DGTI/0099/2026, me permito solicitar a "
    "usted su valioso apoyo para que se realicen las gestiones necesarias a fin de dar cumplimiento a "
    "lo dispuesto en el Reglamento de la Administración Pública Municipal de Monterrey. Sin otro "
    "particular por el momento, le envío un cordial saludo."
)

LETTER = (612, 792)


def _literal(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if len(current) + len(word) + 1 > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current]


def oficio_pdf(
    *,
    folio: str = "SIGA/DGTI/0123/2026",
    fields: tuple[tuple[str, tuple[int, int, int, int]], ...] = (),
    paragraphs: int = 4,
) -> bytes:
    """A one-page oficio (Letter, Helvetica) with optional empty signature fields `(name, rect)`."""
    lines = [
        ("/F2", 12, "Municipio de Monterrey"),
        ("/F1", 10, "Secretaría de Innovación y Gobierno Abierto"),
        ("/F1", 10, f"Oficio núm. {folio}"),
        ("/F1", 10, "Monterrey, Nuevo León, a 23 de noviembre de 2026"),
        ("/F2", 10, "Asunto: Solicitud de apoyo para la digitalización de oficios"),
        ("/F1", 10, ""),
        ("/F2", 10, "Lic. María Fernanda Garza Treviño"),
        ("/F1", 10, "Directora General de Tecnologías de la Información"),
        ("/F1", 10, "Presente"),
        ("/F1", 10, ""),
    ]
    for _ in range(paragraphs):
        lines += [("/F1", 10, line) for line in _wrap(BODY, 95)] + [("/F1", 10, "")]
    lines += [("/F2", 10, "Atentamente"), ("/F1", 8, "C.c.p. Archivo. JLR/mgs")]
    ops = [b"BT 72 720 Td 14 TL"]
    for font, size, text in lines:
        ops.append(b"%s %d Tf %s '" % (font.encode(), size, _literal(text)))
    ops.append(b"ET")
    stream = b"\n".join(ops)
    annots = " ".join(f"{7 + i} 0 R" for i in range(len(fields)))
    acroform = f" /AcroForm << /Fields [{annots}] /SigFlags 0 >>" if fields else ""
    page_annots = f" /Annots [{annots}]" if fields else ""
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R{acroform} >>".encode(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {LETTER[0]} {LETTER[1]}] "
            f"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R{page_annots} >>"
        ).encode(),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    for name, rect in fields:
        objects.append(
            f"<< /Type /Annot /Subtype /Widget /FT /Sig /T ({name}) /Rect [{' '.join(map(str, rect))}] "
            f"/F 4 /P 3 0 R >>".encode()
        )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


TWO_SIGNERS = (("firma-1", (72, 90, 300, 170)), ("firma-2", (310, 90, 540, 170)))
