"""The rules a template must follow to be saved and used, each broken one reported in Spanish."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from signum.drafting.templates import images, placeholders
from signum.drafting.templates.errors import TemplateInvalidError, problem, problems_from
from signum.drafting.templates.model import PAGE_SIZES_MM, Block, Template

# Spanish names of the blocks, for messages and for the template designer.
BLOCK_NAMES = {
    "membrete": "membrete",
    "folio": "número de oficio",
    "lugar_fecha": "lugar y fecha",
    "asunto": "asunto",
    "referencia": "referencia al oficio que se contesta",
    "destinatarios": "destinatarios",
    "cuerpo": "cuerpo",
    "despedida": "despedida",
    "firmas": "firmas",
    "qr": "código QR de verificación",
    "ccp": "C.c.p.",
    "iniciales": "iniciales",
    "anexos": "anexos",
    "leyenda": "leyenda del año",
    "pie": "pie de página",
    "paginacion": "número de página",
    "texto_fijo": "texto fijo",
}

REQUIRED_BLOCKS = ("folio", "lugar_fecha", "asunto", "destinatarios", "cuerpo", "firmas", "qr")
# Blocks laid out in the flow of the page (they grow with the content or report a position).
CONTENT_ONLY = frozenset({"destinatarios", "cuerpo", "despedida", "firmas", "qr", "ccp", "anexos"})
REPEATABLE = frozenset({"texto_fijo"})
WITH_IMAGE = frozenset({"membrete", "pie", "texto_fijo"})
WITH_AREA = frozenset({"firmas", "qr"})

MIN_TEXT_WIDTH_MM = 80.0
MIN_TEXT_HEIGHT_MM = 100.0
COLUMN_GAP_MM = 6.0


def _where(index: int, block: Block) -> str:
    return f"bloques[{index + 1}] ({BLOCK_NAMES[block.kind]})"


def _page_problems(template: Template) -> list[dict[str, str]]:
    width, height = PAGE_SIZES_MM[template.page_size]
    m = template.margins
    found = []
    if width - m.left - m.right < MIN_TEXT_WIDTH_MM:
        found.append(
            problem(
                "márgenes",
                f"los márgenes izquierdo y derecho dejan {width - m.left - m.right:.0f} mm de ancho para el "
                f"texto; se necesitan al menos {MIN_TEXT_WIDTH_MM:.0f} mm.",
            )
        )
    if height - m.top - m.bottom < MIN_TEXT_HEIGHT_MM:
        found.append(
            problem(
                "márgenes",
                f"los márgenes superior e inferior dejan {height - m.top - m.bottom:.0f} mm de alto para el "
                f"texto; se necesitan al menos {MIN_TEXT_HEIGHT_MM:.0f} mm.",
            )
        )
    return found


def _block_problems(template: Template) -> list[dict[str, str]]:
    found = []
    counts: Counter[str] = Counter(b.kind for b in template.blocks)
    for kind in REQUIRED_BLOCKS:
        if counts[kind] == 0:
            found.append(problem("bloques", f"falta el bloque obligatorio «{BLOCK_NAMES[kind]}»."))
    for kind, count in counts.items():
        if count > 1 and kind not in REPEATABLE:
            found.append(
                problem(
                    "bloques", f"el bloque «{BLOCK_NAMES[kind]}» aparece {count} veces; solo puede ir una."
                )
            )
    text_width = PAGE_SIZES_MM[template.page_size][0] - template.margins.left - template.margins.right
    for index, block in enumerate(template.blocks):
        where = _where(index, block)
        if block.kind in CONTENT_ONLY and block.region != "content":
            found.append(
                problem(where, "este bloque solo puede ir en el contenido, no en el encabezado ni en el pie.")
            )
        if block.image is not None:
            if block.kind not in WITH_IMAGE:
                found.append(
                    problem(
                        where, "solo el membrete, el pie de página y los textos fijos pueden llevar imagen."
                    )
                )
            elif block.image.image_id is not None and template.image(block.image.image_id) is None:
                found.append(
                    problem(where, f"usa la imagen «{block.image.image_id}», que la plantilla no tiene.")
                )
            elif block.image.width > text_width:
                found.append(problem(where, "la imagen es más ancha que el área de texto."))
        if block.kind in WITH_AREA:
            if block.area is None:
                found.append(
                    problem(where, "debe indicar el tamaño del área reservada (ancho y alto en mm).")
                )
            else:
                columns = block.columns if block.kind == "firmas" else 1
                needed = columns * block.area.width + (columns - 1) * COLUMN_GAP_MM
                if needed > text_width:
                    found.append(
                        problem(
                            where,
                            f"{columns} área(s) de {block.area.width:.0f} mm no caben en los "
                            f"{text_width:.0f} mm de ancho del texto.",
                        )
                    )
        elif block.area is not None:
            found.append(problem(where, "solo las firmas y el código QR tienen área reservada."))
        texts = [("etiqueta", block.label)] if block.label is not None else []
        texts += [(f"líneas[{i + 1}]", line) for i, line in enumerate(block.lines)]
        texts += [("texto de suplencia", block.on_behalf_prefix)]
        for name, text in texts:
            for message in placeholders.problems_in(text or ""):
                found.append(problem(f"{where}.{name}", message))
    kinds = [b.kind for b in template.blocks if b.region == "content"]
    if "cuerpo" in kinds and "firmas" in kinds and kinds.index("firmas") < kinds.index("cuerpo"):
        found.append(problem("bloques", "las firmas deben ir después del cuerpo."))
    return found


def _identity_problems(template: Template) -> list[dict[str, str]]:
    found = []
    keys: Counter[str] = Counter(i.dependencia for i in template.identidades)
    for key, count in keys.items():
        if count > 1:
            whose = f"de la dependencia «{key}»" if key else "general (sin dependencia)"
            found.append(problem("identidades", f"hay {count} identidades {whose}; solo puede haber una."))
    for index, identity in enumerate(template.identidades):
        where = f"identidades[{index + 1}]"
        if identity.escudo is not None and template.image(identity.escudo) is None:
            found.append(
                problem(where, f"usa como escudo la imagen «{identity.escudo}», que la plantilla no tiene.")
            )
        for message in placeholders.problems_in(identity.leyenda):
            found.append(problem(f"{where}.leyenda", message))
    return found


def _image_problems(template: Template) -> list[dict[str, str]]:
    found = []
    ids = Counter(i.id for i in template.images)
    for image_id, count in ids.items():
        if count > 1:
            found.append(problem("imágenes", f"hay {count} imágenes con el id «{image_id}»."))
    for index, asset in enumerate(template.images):
        where = f"imágenes[{index + 1}] ({asset.id})"
        try:
            info = images.sniff(asset.data)
            images.check_decodes(asset.data, info)
        except images.ImageRejected as exc:
            found.append(problem(where, str(exc)))
            continue
        if info.media_type != asset.media_type:
            found.append(
                problem(where, f"se declaró como {asset.media_type} pero su contenido es {info.media_type}.")
            )
    return found


def validate_template(template: Template | Mapping[str, Any], *, check_images: bool = True) -> Template:
    """The template, if it follows every rule; else TemplateInvalidError listing every problem.

    `check_images=False` skips decoding the images (the renderer's per-render check).
    """
    if not isinstance(template, Template):
        try:
            template = Template.model_validate(template)
        except ValidationError as exc:
            raise TemplateInvalidError(problems_from(exc)) from None
    found = _page_problems(template) + _block_problems(template) + _identity_problems(template)
    if check_images:
        found += _image_problems(template)
    if found:
        raise TemplateInvalidError(found)
    return template
