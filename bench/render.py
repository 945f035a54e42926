"""Render time of the standard two-page oficio: Signum (Typst) against WeasyPrint and ReportLab.

Every iteration renders a different oficio (names, folio, date, subject and body words change), the
same sequence for the three engines, with the same content, the same bundled fonts embedded, justified
Spanish text with hyphenation, and "Página X de Y". Signum's time is the whole `Renderer.render`:
content validation, layout, PDF/A-2b export, locating the signature and QR areas, and appending the
empty signature fields (work the other two do not do).

render_vs_weasyprint: value = Signum s/oficio, baseline = WeasyPrint s/oficio, ratio = baseline / value.
render_vs_reportlab:  value = Signum s/oficio, baseline = ReportLab s/oficio, ratio = baseline / value.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.harness import Result, machine
from signum.drafting.rendering import Renderer
from signum.drafting.rendering.renderer import FONTS_DIR
from signum.drafting.templates import default_template
from signum.platform.dates import long_date

REPEAT = 30
WARMUP = 5


def _words(text: str) -> list[str]:
    return text.split()


_WORDS = _words(
    "solicitud información informe trimestral dependencia administración presupuesto ejercicio "
    "atención seguimiento documento municipal programa obra pública servicio ciudadano recursos "
    "humanos materiales contratación licitación adquisición mantenimiento alumbrado parques vialidad "
    "proyecto acuerdo cabildo reglamento disposición normativa cumplimiento plazo entrega revisión "
    "autorización trámite expediente archivo control interno auditoría transparencia"
)
_NAMES = _words("Laura Jorge María José Ana Luis Carmen Roberto Patricia Fernando Sofía Alejandro")
_SURNAMES = _words("Martínez Garza Treviño Ramírez González Hernández Villarreal Cantú Salinas Leal")


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_NAMES)} {rng.choice(_SURNAMES)} {rng.choice(_SURNAMES)}"


def oficio(i: int) -> dict[str, Any]:
    """The i-th oficio of the benchmark: two pages in the default template, every one different."""
    rng = random.Random(i)
    paragraphs = [" ".join(_sentence(rng, rng.randint(12, 20)) for _ in range(4)) for _ in range(4)]
    items = [_sentence(rng, 8) for _ in range(3)]
    table = [["Concepto", "Unidad", "Monto"]] + [
        [rng.choice(_WORDS).capitalize(), rng.choice(_WORDS), f"${rng.randint(1000, 99999):,}.00"]
        for _ in range(3)
    ]
    text = lambda s: [{"type": "text", "text": s}]  # noqa: E731
    return {
        "folio": f"SIGA/DGTI/{i % 10000:04d}/2026",
        "date": (dt.date(2026, 1, 1) + dt.timedelta(days=i % 365)).isoformat(),
        "subject": _sentence(rng, 8),
        "sender": {
            "name": _person(rng),
            "title": "Director General de Tecnologías de la Información",
            "organization": "Secretaría de Administración",
            "unit": "Dirección General de Tecnologías de la Información",
            "address": f"Calle {rng.choice(_SURNAMES)} {rng.randint(100, 999)}, Monterrey, Nuevo León",
        },
        "recipients": [
            {"name": _person(rng), "title": "Director de Egresos", "organization": "Tesorería Municipal"}
        ],
        "body": {
            "blocks": [
                *({"type": "paragraph", "children": text(p)} for p in paragraphs[:3]),
                {
                    "type": "bullet_list",
                    "items": [[{"type": "paragraph", "children": text(s)}] for s in items],
                },
                {"type": "table", "header": True, "rows": [[text(c) for c in row] for row in table]},
                *({"type": "paragraph", "children": text(p)} for p in paragraphs[3:]),
            ]
        },
        "signers": [
            {"name": _person(rng), "title": "Director General"},
            {
                "name": _person(rng),
                "title": "Coordinador",
                "on_behalf_of": {"name": _person(rng), "title": "Secretario"},
            },
        ],
        "ccp": [{"name": _person(rng), "title": "Tesorero Municipal"}, {"name": "Archivo", "title": ""}],
        "initials": "JLR/mgs",
        "attachments": ["Formato de informe (2 hojas)"],
        "reference": {"folio": f"TM/DE/{rng.randint(1, 999):04d}/2026", "date": "2026-01-02"},
    }


# --- the fields every engine shows ----------------------------------------------------------------


def _date(iso: str) -> str:
    return long_date(dt.date.fromisoformat(iso))


def _parts(d: dict[str, Any]) -> dict[str, Any]:
    s, r = d["sender"], d["recipients"][0]
    signers = []
    for x in d["signers"]:
        absent = x.get("on_behalf_of")
        signers.append(
            (x["name"], x["title"], f"Por ausencia de {absent['name']}, {absent['title']}" if absent else "")
        )
    return {
        "letterhead": ["Gobierno de Monterrey", s["organization"], s["unit"]],
        "legend": "2026: leyenda institucional del año (configurable en la plantilla)",
        "folio": d["folio"],
        "place_date": f"Monterrey, Nuevo León, a {_date(d['date'])}",
        "subject": d["subject"],
        "reference": f"oficio {d['reference']['folio']} del {_date(d['reference']['date'])}",
        "recipient": [r["name"], r["title"], r["organization"]],
        "body": d["body"]["blocks"],
        "signers": signers,
        "ccp": [", ".join(x for x in (c["name"], c["title"]) if x) for c in d["ccp"]],
        "attachments": d["attachments"],
        "initials": d["initials"],
        "footer": s["address"],
    }


def _plain(inlines: list[dict[str, Any]]) -> str:
    return "".join(n.get("text", "") for n in inlines)


# --- WeasyPrint -----------------------------------------------------------------------------------

_CSS = """
@font-face { font-family: "Noto Sans"; src: url("file://{d}/NotoSans-Regular.ttf"); }
@font-face { font-family: "Noto Sans"; font-weight: bold; src: url("file://{d}/NotoSans-Bold.ttf"); }
@font-face { font-family: "Noto Sans"; font-style: italic; src: url("file://{d}/NotoSans-Italic.ttf"); }
@font-face { font-family: "Noto Sans"; font-weight: bold; font-style: italic;
             src: url("file://{d}/NotoSans-BoldItalic.ttf"); }
@page {
  size: 215.9mm 279.4mm; margin: 38mm 22mm 28mm 25mm;
  @top-right { content: element(letterhead); vertical-align: bottom; }
  @bottom-center { content: element(footer); font-size: 8pt; }
  @bottom-right { content: "Página " counter(page) " de " counter(pages); font-size: 8pt; }
}
html { font-family: "Noto Sans"; font-size: 11pt; }
.letterhead { position: running(letterhead); text-align: right; font-weight: bold; font-size: 10pt; }
.legend { text-align: center; font-style: italic; font-size: 8pt; }
.footer { position: running(footer); }
.right { text-align: right; margin: 0 0 4mm 0; }
.body { text-align: justify; hyphens: auto; margin-top: 8mm; }
.body p { margin: 0 0 3mm 0; }
table { border-collapse: collapse; } td { border: 0.5pt solid black; padding: 4pt; }
.closing { text-align: center; font-weight: bold; margin-top: 8mm; break-after: avoid; }
.signers { display: flex; gap: 6mm; break-inside: avoid; }
.signer { flex: 1; text-align: center; }
.sigbox { width: 70mm; height: 22mm; margin: 0 auto; border-bottom: 0.5pt solid black; }
.qr { width: 22mm; height: 22mm; margin-left: auto; }
.small { font-size: 8pt; }
"""


def _weasy_html(p: dict[str, Any]) -> str:
    e = html.escape

    def inl(nodes: list[dict[str, Any]]) -> str:
        return e(_plain(nodes))

    body = []
    for b in p["body"]:
        if b["type"] == "paragraph":
            body.append(f"<p>{inl(b['children'])}</p>")
        elif b["type"] == "bullet_list":
            body.append("<ul>" + "".join(f"<li>{inl(it[0]['children'])}</li>" for it in b["items"]) + "</ul>")
        else:
            rows = "".join(
                "<tr>"
                + "".join(
                    f"<td>{'<b>' if i == 0 else ''}{inl(c)}{'</b>' if i == 0 else ''}</td>" for c in row
                )
                + "</tr>"
                for i, row in enumerate(b["rows"])
            )
            body.append(f"<table>{rows}</table>")
    signers = "".join(
        f'<div class="signer"><div class="sigbox"></div><b>{e(n)}</b><br>{e(t)}'
        + (f"<br><i class='small'>{e(o)}</i>" if o else "")
        + "</div>"
        for n, t, o in p["signers"]
    )
    return f"""<html lang="es-MX"><head><meta charset="utf-8"><title>{e(p["subject"])}</title></head><body>
<div class="letterhead">{"<br>".join(e(x) for x in p["letterhead"])}
<div class="legend">{e(p["legend"])}</div></div>
<div class="footer">{e(p["footer"])}</div>
<div class="right"><b>Oficio No.</b> {e(p["folio"])}</div>
<div class="right">{e(p["place_date"])}</div>
<div class="right"><b>Asunto:</b> {e(p["subject"])}</div>
<div class="right small"><b>En atención a:</b> {e(p["reference"])}</div>
<div><b>{e(p["recipient"][0])}</b><br>{e(p["recipient"][1])}<br>{e(p["recipient"][2])}<br>
<b>P r e s e n t e</b></div>
<div class="body">{"".join(body)}</div>
<div class="closing">Atentamente</div>
<div class="signers">{signers}</div>
<div class="qr"></div>
<div class="small"><b>C.c.p.</b> {"<br>".join(e(c) for c in p["ccp"])}</div>
<div class="small"><b>Anexos:</b> {e(", ".join(p["attachments"]))}</div>
<div class="small">{e(p["initials"])}</div>
</body></html>"""


def _weasyprint() -> Callable[[dict[str, Any]], bytes]:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    css = CSS(string=_CSS.replace("{d}", str(FONTS_DIR)), font_config=fonts)

    def render(d: dict[str, Any]) -> bytes:
        return HTML(string=_weasy_html(_parts(d))).write_pdf(stylesheets=[css], font_config=fonts)

    return render


# --- ReportLab ------------------------------------------------------------------------------------


def _reportlab() -> Callable[[dict[str, Any]], bytes]:
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas as rl_canvas
    from reportlab.platypus import (
        KeepTogether,
        ListFlowable,
        ListItem,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
    )

    for file in ("Regular", "Bold", "Italic", "BoldItalic"):
        face = "NotoSans" if file == "Regular" else f"NotoSans-{file}"
        pdfmetrics.registerFont(TTFont(face, str(FONTS_DIR / f"NotoSans-{file}.ttf")))
    pdfmetrics.registerFontFamily(
        "NotoSans",
        normal="NotoSans",
        bold="NotoSans-Bold",
        italic="NotoSans-Italic",
        boldItalic="NotoSans-BoldItalic",
    )
    base = ParagraphStyle("base", fontName="NotoSans", fontSize=11, leading=14)
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
    right10 = ParagraphStyle("right10", parent=right, fontSize=10)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10)
    body = ParagraphStyle(
        "body",
        parent=base,
        alignment=TA_JUSTIFY,
        hyphenationLang="es",
        embeddedHyphenation=1,
        spaceAfter=3 * mm,
    )
    e = html.escape

    def render(d: dict[str, Any]) -> bytes:
        p = _parts(d)

        class NumberedCanvas(rl_canvas.Canvas):  # "Página X de Y" needs the total: draw it at save
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._pages: list[dict[str, Any]] = []

            def showPage(self) -> None:
                self._pages.append(dict(self.__dict__))
                self._startPage()

            def save(self) -> None:
                for state in self._pages:
                    self.__dict__.update(state)
                    self.setFont("NotoSans", 8)
                    self.drawRightString(
                        letter[0] - 22 * mm, 12 * mm, f"Página {self._pageNumber} de {len(self._pages)}"
                    )
                    self.drawCentredString(letter[0] / 2, 17 * mm, p["footer"])
                    super().showPage()
                super().save()

        def page(c: Any, _doc: Any) -> None:
            c.saveState()
            y = letter[1] - 14 * mm
            c.setFont("NotoSans-Bold", 10)
            for line in p["letterhead"]:
                c.drawRightString(letter[0] - 22 * mm, y, line)
                y -= 12
            c.setFont("NotoSans-Italic", 8)
            c.drawCentredString(letter[0] / 2, y - 2, p["legend"])
            c.restoreState()

        recipient = "<br/>".join([f"<b>{e(p['recipient'][0])}</b>", *map(e, p["recipient"][1:])])
        story: list[Any] = [
            Paragraph(f"<b>Oficio No.</b> {e(p['folio'])}", right),
            Spacer(1, 4 * mm),
            Paragraph(e(p["place_date"]), right),
            Spacer(1, 4 * mm),
            Paragraph(f"<b>Asunto:</b> {e(p['subject'])}", right),
            Spacer(1, 4 * mm),
            Paragraph(f"<b>En atención a:</b> {e(p['reference'])}", right10),
            Spacer(1, 8 * mm),
            Paragraph(recipient, base),
            Paragraph("<b>P r e s e n t e</b>", base),
            Spacer(1, 8 * mm),
        ]
        for b in p["body"]:
            if b["type"] == "paragraph":
                story.append(Paragraph(e(_plain(b["children"])), body))
            elif b["type"] == "bullet_list":
                items = [ListItem(Paragraph(e(_plain(it[0]["children"])), body)) for it in b["items"]]
                story.append(ListFlowable(items, bulletType="bullet", bulletFontName="NotoSans"))
            else:
                rows = [
                    [Paragraph(f"<b>{e(_plain(c))}</b>" if i == 0 else e(_plain(c)), base) for c in row]
                    for i, row in enumerate(b["rows"])
                ]
                story.append(
                    Table(
                        rows,
                        style=[
                            ("GRID", (0, 0), (-1, -1), 0.5, "black"),
                            ("FONTNAME", (0, 0), (-1, -1), "NotoSans"),
                        ],
                    )
                )
                story.append(Spacer(1, 3 * mm))
        cells = []
        for n, t, o in p["signers"]:
            text = f"<b>{e(n)}</b><br/>{e(t)}" + (f"<br/><i>{e(o)}</i>" if o else "")
            sig = Table(
                [[""]],
                colWidths=[70 * mm],
                rowHeights=[22 * mm],
                style=[
                    ("LINEBELOW", (0, 0), (-1, -1), 0.5, "black"),
                    ("FONTNAME", (0, 0), (-1, -1), "NotoSans"),
                ],
            )
            cells.append([sig, Paragraph(text, center)])
        signatures = Table(
            [cells], style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), "NotoSans")]
        )
        story += [
            Spacer(1, 8 * mm),
            KeepTogether([Paragraph("<b>Atentamente</b>", center), Spacer(1, 4 * mm), signatures]),
            Table(
                [[""]],
                colWidths=[22 * mm],
                rowHeights=[22 * mm],
                hAlign="RIGHT",
                style=[("FONTNAME", (0, 0), (-1, -1), "NotoSans")],
            ),
            Paragraph("<b>C.c.p.</b> " + "<br/>".join(e(c) for c in p["ccp"]), small),
            Paragraph("<b>Anexos:</b> " + e(", ".join(p["attachments"])), small),
            Paragraph(e(p["initials"]), small),
        ]
        out = io.BytesIO()
        doc = SimpleDocTemplate(
            out,
            pagesize=letter,
            topMargin=38 * mm,
            bottomMargin=28 * mm,
            leftMargin=25 * mm,
            rightMargin=22 * mm,
            title=p["subject"],
            lang="es-MX",
            initialFontName="NotoSans",
            initialFontSize=11,
        )
        doc.build(story, onFirstPage=page, onLaterPages=page, canvasmaker=NumberedCanvas)
        return out.getvalue()

    return render


# --- Signum ---------------------------------------------------------------------------------------


def _signum() -> Callable[[dict[str, Any]], bytes]:
    renderer = Renderer()
    template = default_template()

    def render(d: dict[str, Any]) -> bytes:
        return renderer.render(template, d).pdf

    return render


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def measure() -> dict[str, tuple[float, int]]:
    """Median seconds per oficio and the page count, per engine.

    The engines take turns on each oficio (the same REPEAT different oficios for all three, after
    WARMUP others), so a busy machine slows them alike and the ratios stay fair.
    """
    engines = {"signum": _signum(), "reportlab": _reportlab(), "weasyprint": _weasyprint()}
    for render in engines.values():
        for i in range(WARMUP):
            render(oficio(i))
    samples: dict[str, list[float]] = {name: [] for name in engines}
    pages: dict[str, int] = {}
    for d in [oficio(1000 + i) for i in range(REPEAT)]:  # built outside the timing
        for name, render in engines.items():
            began = time.perf_counter()
            pdf = render(d)
            samples[name].append(time.perf_counter() - began)
            pages[name] = _pages(pdf)
    return {name: (statistics.median(samples[name]), pages[name]) for name in engines}


async def run(infra: Any) -> list[Result]:
    times = measure()
    signum, signum_pages = times["signum"]
    out = []
    for name, entry in (("weasyprint", "render_vs_weasyprint"), ("reportlab", "render_vs_reportlab")):
        baseline, pages = times[name]
        out.append(
            Result(
                name=entry,
                value=signum,
                unit="s/oficio",
                baseline=baseline,
                ratio=baseline / signum,
                machine=machine(),
                note=(
                    f"median of {REPEAT} different two-page oficios after {WARMUP} warm-up, engines taking "
                    f"turns; Signum "
                    f"({signum_pages} pages, PDF/A-2b + signature fields) vs {name} ({pages} pages), "
                    "same content and bundled Noto Sans, justified with Spanish hyphenation"
                ),
            )
        )
    return out


if __name__ == "__main__":
    for engine, (seconds, pages) in measure().items():
        print(f"{engine}: {seconds * 1000:.2f} ms/oficio, {pages} pages")
