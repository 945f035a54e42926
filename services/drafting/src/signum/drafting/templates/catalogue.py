"""What the template designer offers: placeholders, blocks (with a starting example each), fonts and
page sizes, all taken from the rules the templates are validated with."""

from __future__ import annotations

from typing import Any, get_args

from signum.drafting.templates.default import default_template
from signum.drafting.templates.model import PAGE_SIZES_MM, Block, BlockKind, FontFamily, Margins, Template
from signum.drafting.templates.placeholders import CATALOGUE, PAGE_PLACEHOLDERS
from signum.drafting.templates.validation import (
    BLOCK_NAMES,
    CONTENT_ONLY,
    REPEATABLE,
    REQUIRED_BLOCKS,
    WITH_AREA,
    WITH_IMAGE,
)

PAGE_SIZE_NAMES = {"carta": "Carta", "oficio": "Oficio (mexicano)", "a4": "A4"}


def designer_catalogue(*, municipality: str, state: str) -> dict[str, Any]:
    """The designer's choices; `ejemplo` blocks come from the homologated template."""
    base = default_template(municipality=municipality, state=state)
    examples: dict[str, Block] = {b.kind: b for b in base.blocks}
    examples["texto_fijo"] = Block(kind="texto_fijo", lines=["Texto fijo de la plantilla"])
    blocks = [
        {
            "tipo": kind,
            "nombre": BLOCK_NAMES[kind],
            "obligatorio": kind in REQUIRED_BLOCKS,
            "solo_contenido": kind in CONTENT_ONLY,
            "repetible": kind in REPEATABLE,
            "con_imagen": kind in WITH_IMAGE,
            "con_area": kind in WITH_AREA,
            "ejemplo": examples[kind].model_dump(mode="json", exclude_defaults=True),
        }
        for kind in get_args(BlockKind)
    ]
    blank = Template(
        id="nueva-plantilla",
        name="Nueva plantilla",
        margins=Margins(top=30, right=22, bottom=25, left=25),
        blocks=[examples[kind] for kind in base_order(REQUIRED_BLOCKS, base)],
    )
    return {
        "marcadores": [
            {"nombre": name, "descripcion": text, "de_pagina": name in PAGE_PLACEHOLDERS}
            for name, text in CATALOGUE.items()
        ],
        "bloques": blocks,
        "fuentes": list(get_args(FontFamily)),
        "tamanos_pagina": [
            {"id": size, "nombre": PAGE_SIZE_NAMES.get(size, size), "mm": list(mm)}
            for size, mm in PAGE_SIZES_MM.items()
        ],
        "en_blanco": blank.model_dump(mode="json", exclude={"id", "version"}),
    }


def base_order(kinds: tuple[str, ...], template: Template) -> list[str]:
    """`kinds` in the order the homologated template places them."""
    order: list[str] = [b.kind for b in template.blocks]
    return sorted(kinds, key=order.index)
