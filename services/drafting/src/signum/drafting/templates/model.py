"""What a template is: the page, the fonts, the images and the ordered blocks of an oficio.

The shape is checked by Pydantic; the rules that involve several fields (required blocks, margins
against the page, placeholders, image contents) by `signum.drafting.templates.validation`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from signum.drafting.templates.text import clean_line

PageSize = Literal["carta", "oficio", "a4"]
# Width × height in millimetres. "Oficio" is the Mexican 21.6 × 34 cm sheet, not US legal.
PAGE_SIZES_MM: dict[str, tuple[float, float]] = {
    "carta": (215.9, 279.4),
    "oficio": (216.0, 340.0),
    "a4": (210.0, 297.0),
}

FontFamily = Literal["Noto Sans", "Noto Serif"]

Region = Literal["header", "content", "footer"]
Alignment = Literal["left", "center", "right", "justify"]

BlockKind = Literal[
    "membrete",  # letterhead: logo, government, dependencia, unidad administrativa
    "folio",  # número de oficio
    "lugar_fecha",  # "Monterrey, Nuevo León, a 23 de noviembre de 2026"
    "asunto",
    "referencia",  # the oficio this one answers (shown only when there is one)
    "destinatarios",  # recipient block(s) and "Presente"
    "cuerpo",  # the body the author writes
    "despedida",  # "Atentamente"
    "firmas",  # one reserved signature area per signer, with name and title
    "qr",  # reserved area for the verification QR code drawn at signing
    "ccp",  # con copia para
    "iniciales",  # JLR/mgs
    "anexos",
    "leyenda",  # the year's legend
    "pie",  # footer: address, image
    "paginacion",  # "Página X de Y"
    "texto_fijo",  # any fixed text
]

TemplateText = Annotated[str, StringConstraints(max_length=500), AfterValidator(clean_line)]


def _from_base64(value: object) -> object:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise PydanticCustomError("base64", "no es contenido base64 válido.") from None
    return value


# Raw bytes in Python; base64 text in JSON (both ways), so a JSON body or a stored copy round-trips.
ImageData = Annotated[
    bytes,
    BeforeValidator(_from_base64),
    PlainSerializer(lambda b: base64.b64encode(b).decode("ascii"), return_type=str, when_used="json"),
]
ImageId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Margins(_Model):
    """Page margins in millimetres."""

    top: float = Field(ge=5, le=100)
    right: float = Field(ge=5, le=80)
    bottom: float = Field(ge=5, le=100)
    left: float = Field(ge=5, le=80)


class ImageAsset(_Model):
    """An image of the template (logo, footer band), checked by its content. `data` is base64 in JSON."""

    id: ImageId
    media_type: Literal["image/png", "image/jpeg", "image/svg+xml"]
    data: ImageData


class ImagePlacement(_Model):
    """Where a block shows one of the template's images, or (`escudo`) the issuing dependencia's escudo."""

    image_id: ImageId | None = None
    escudo: bool = Field(
        default=False,
        description="Mostrar el escudo de la dependencia que emite (ver «identidades»), no una imagen fija.",
    )
    width: float = Field(default=30, ge=5, le=200, description="Ancho en milímetros")
    position: Literal["left", "right", "top"] = "left"

    @model_validator(mode="after")
    def _one_source(self) -> ImagePlacement:
        if self.escudo == (self.image_id is not None):
            raise PydanticCustomError(
                "image_source",
                "indique una imagen de la plantilla (image_id) o el escudo (escudo), no ambos.",
            )
        return self


class Identity(_Model):
    """The year's legend and the escudo printed on the oficios of one dependencia, or of every
    dependencia that has no entry of its own (`dependencia` empty: the government-wide default)."""

    dependencia: Annotated[str, StringConstraints(max_length=64), AfterValidator(clean_line)] = Field(
        default="", description="Id de la dependencia en el directorio (p. ej. SAY); vacío: todas las demás."
    )
    leyenda: TemplateText = Field(
        default="", description="Leyenda institucional del año, tal como se imprime."
    )
    escudo: ImageId | None = Field(default=None, description="Id de la imagen de la plantilla con el escudo.")
    nota: TemplateText = Field(default="", description="Nota para administradores (no se imprime).")


class AreaSize(_Model):
    """Size in millimetres of a reserved area (a signature, the QR code)."""

    width: float = Field(ge=15, le=150)
    height: float = Field(ge=10, le=80)


class Block(_Model):
    """One part of the oficio. Texts may hold placeholders from the catalogue (`{{folio}}`)."""

    kind: BlockKind
    region: Region = "content"
    label: TemplateText | None = Field(default=None, description="Etiqueta en negritas, p. ej. «Asunto:»")
    lines: list[TemplateText] = Field(default_factory=list, max_length=12)
    align: Alignment = "left"
    bold: bool = False
    italic: bool = False
    size: float | None = Field(default=None, ge=6, le=24, description="Tamaño de letra en puntos")
    space_before: float | None = Field(default=None, ge=0, le=60, description="Espacio previo en mm")
    first_page_only: bool = False
    image: ImagePlacement | None = None
    area: AreaSize | None = None
    columns: int = Field(default=2, ge=1, le=3)
    on_behalf_prefix: TemplateText = "Por ausencia de"


class Template(_Model):
    """A template, versioned: a change to a template makes a new version; oficios keep theirs."""

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    name: Annotated[TemplateText, StringConstraints(min_length=1, max_length=200)]
    version: int = Field(default=1, ge=1)
    page_size: PageSize = "carta"
    margins: Margins
    font: FontFamily = "Noto Sans"
    font_size: float = Field(default=11, ge=8, le=16)
    line_breaking: Literal["simple", "optimized"] = Field(
        default="simple",
        description=(
            "Cómo se parten las líneas del cuerpo justificado: «simple» (voraz, como un procesador de "
            "textos; el más rápido) u «optimized» (Knuth-Plass, reparte mejor los espacios y evita "
            "sílabas sueltas; cerca de 25 % más lento en un oficio de dos páginas)."
        ),
    )
    blocks: list[Block] = Field(min_length=1, max_length=60)
    images: list[ImageAsset] = Field(default_factory=list, max_length=8)
    identidades: list[Identity] = Field(
        default_factory=list,
        max_length=100,
        description="Leyenda y escudo: una identidad general (sin dependencia) y una por dependencia.",
    )

    def image(self, image_id: str) -> ImageAsset | None:
        return next((i for i in self.images if i.id == image_id), None)

    def identity_for(self, dependencia_id: str) -> Identity:
        """The legend and escudo of `dependencia_id`: its own entry, completed by the general one."""
        general = next((i for i in self.identidades if not i.dependencia), Identity())
        own = next((i for i in self.identidades if dependencia_id and i.dependencia == dependencia_id), None)
        if own is None:
            return general
        return Identity(
            dependencia=own.dependencia,
            leyenda=own.leyenda or general.leyenda,
            escudo=own.escudo or general.escudo,
        )


def next_version(template: Template, **changes: object) -> Template:
    """The template's next version, with `changes` applied (fields of Template)."""
    data = template.model_dump()
    data.update(changes)
    data["version"] = template.version + 1
    return Template.model_validate(data)


def compare_versions(a: Template, b: Template) -> int:
    """-1, 0 or 1 as `a` is older than, the same version as, or newer than `b` (same template)."""
    if a.id != b.id:
        raise ValueError(f"versions of different templates cannot be compared: {a.id!r} and {b.id!r}")
    return (a.version > b.version) - (a.version < b.version)
