"""The homologated municipal format (DESIGN.md §3), set up for Monterrey, as the default template.

The year's legend and the escudo come from the template's `identidades` (a general one, and one per
dependencia where it differs). The values shipped here are the DEMO's: an escudo drawn for Signum
(`assets/escudo-demo.svg`, not an official coat of arms) and a made-up legend. Operators replace
them without redeploying by saving a new version of the template (designer or
`PUT /api/v1/plantillas/municipal-homologado`); see the README.
"""

from __future__ import annotations

from importlib.resources import files

from signum.drafting.templates.model import (
    AreaSize,
    Block,
    Identity,
    ImageAsset,
    ImagePlacement,
    Margins,
    Template,
)

DEFAULT_TEMPLATE_ID = "municipal-homologado"
DEMO_ESCUDO_ID = "escudo-demo"
DEMO_LEGEND = "2026, Año de la Transparencia y la Participación Ciudadana"
DEMO_NOTE = (
    "Valores de demostración de Signum: sustituya la leyenda por la que adopte el Ayuntamiento "
    "para el año y el escudo por el oficial."
)


def demo_escudo() -> bytes:
    """The demo escudo (SVG), drawn for Signum."""
    return (files("signum.drafting.templates") / "assets" / "escudo-demo.svg").read_bytes()


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
                image=ImagePlacement(escudo=True, width=18, position="left"),
            ),
            Block(
                kind="leyenda",
                region="header",
                lines=["{{leyenda}}"],
                align="center",
                italic=True,
                size=8,
                space_before=3,
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
                space_before=6,
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
        images=[ImageAsset(id=DEMO_ESCUDO_ID, media_type="image/svg+xml", data=demo_escudo())],
        identidades=[Identity(leyenda=DEMO_LEGEND, escudo=DEMO_ESCUDO_ID, nota=DEMO_NOTE)],
    )
