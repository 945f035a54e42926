"""The homologated municipal format (DESIGN.md §3), set up for Monterrey, as the default template.

Nothing official is invented here: there is no logo (an administrator uploads the real one), the
year's legend is a neutral text to be replaced by the one the government adopts, and the footer
shows the issuing unit's address from the directory.
"""

from __future__ import annotations

from signum.drafting.templates.model import AreaSize, Block, Margins, Template

DEFAULT_TEMPLATE_ID = "municipal-homologado"
NEUTRAL_LEGEND = "{{anio}}: leyenda institucional del año (configurable en la plantilla)"


def default_template(*, municipality: str = "Monterrey", state: str = "Nuevo León") -> Template:
    """The homologated oficio: letterhead, folio, place and date, asunto, recipients, body, closing,
    signatures, QR, C.c.p., anexos, initials, legend, footer and "Página X de Y"."""
    return Template(
        id=DEFAULT_TEMPLATE_ID,
        name=f"Oficio homologado — Gobierno de {municipality}",
        version=1,
        page_size="carta",
        margins=Margins(top=38, right=22, bottom=28, left=25),
        font="Noto Sans",
        font_size=11,
        blocks=[
            Block(
                kind="membrete",
                region="header",
                lines=[f"Gobierno de {municipality}", "{{remitente.dependencia}}", "{{remitente.unidad}}"],
                align="right",
                bold=True,
                size=10,
            ),
            Block(
                kind="leyenda", region="header", lines=[NEUTRAL_LEGEND], align="center", italic=True, size=8
            ),
            Block(kind="folio", label="Oficio No.", lines=["{{folio}}"], align="right"),
            Block(kind="lugar_fecha", lines=[f"{municipality}, {state}, a {{{{fecha}}}}"], align="right"),
            Block(kind="asunto", label="Asunto:", lines=["{{asunto}}"], align="right"),
            Block(
                kind="referencia",
                label="En atención a:",
                lines=["oficio {{referencia.folio}} del {{referencia.fecha}}"],
                align="right",
                size=10,
            ),
            Block(kind="destinatarios", lines=["P r e s e n t e"], bold=True, space_before=8),
            Block(kind="cuerpo", space_before=8),
            Block(kind="despedida", lines=["Atentamente"], align="center", bold=True, space_before=8),
            Block(kind="firmas", area=AreaSize(width=70, height=22), columns=2),
            Block(
                kind="qr",
                area=AreaSize(width=22, height=22),
                lines=["Verificación del documento"],
                align="right",
                space_before=2,
            ),
            Block(kind="ccp", label="C.c.p.", size=8),
            Block(kind="anexos", label="Anexos:", size=8),
            Block(kind="iniciales", lines=["{{iniciales}}"], size=7, space_before=2),
            Block(kind="pie", region="footer", lines=["{{remitente.domicilio}}"], align="center", size=8),
            Block(
                kind="paginacion",
                region="footer",
                lines=["Página {{pagina}} de {{paginas}}"],
                align="right",
                size=8,
            ),
        ],
    )
