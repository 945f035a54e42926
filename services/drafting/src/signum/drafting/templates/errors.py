"""Errors of templates and contents, with every problem described in Spanish."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from signum.platform.errors import ValidationFailedError

# Spanish names of the fields, for the location of a problem ("destinatarios[2].nombre").
FIELD_LABELS = {
    "id": "id",
    "name": "nombre",
    "title": "puesto",
    "organization": "dependencia",
    "unit": "unidad administrativa",
    "address": "domicilio",
    "version": "versión",
    "page_size": "tamaño de página",
    "margins": "márgenes",
    "top": "superior",
    "bottom": "inferior",
    "left": "izquierdo",
    "right": "derecho",
    "font": "fuente",
    "font_size": "tamaño de letra",
    "line_breaking": "partición de líneas",
    "blocks": "bloques",
    "images": "imágenes",
    "kind": "tipo",
    "region": "región",
    "label": "etiqueta",
    "lines": "líneas",
    "align": "alineación",
    "bold": "negrita",
    "italic": "cursiva",
    "size": "tamaño",
    "space_before": "espacio anterior",
    "first_page_only": "solo en la primera página",
    "image": "imagen",
    "image_id": "imagen",
    "width": "ancho",
    "height": "alto",
    "position": "posición",
    "box": "área reservada",
    "columns": "columnas",
    "on_behalf_prefix": "texto de suplencia",
    "media_type": "tipo de archivo",
    "data": "contenido",
    "folio": "folio",
    "date": "fecha",
    "subject": "asunto",
    "sender": "remitente",
    "recipients": "destinatarios",
    "body": "cuerpo",
    "signers": "firmantes",
    "on_behalf_of": "por ausencia de",
    "ccp": "C.c.p.",
    "initials": "iniciales",
    "attachments": "anexos",
    "reference": "referencia",
    "children": "contenido",
    "items": "elementos",
    "rows": "filas",
    "header": "encabezado",
    "text": "texto",
    "underline": "subrayado",
    # Draft contents use Spanish field names already.
    "remitente": "remitente",
    "destinatarios": "destinatarios",
    "cuerpo": "cuerpo",
    "firmantes": "firmantes",
    "nombre": "nombre",
    "cargo": "cargo",
    "organizacion": "organización",
    "correo": "correo",
    "iniciales": "iniciales",
    "anexos": "anexos",
    "referencia": "referencia",
}

_MESSAGES = {
    "missing": "es obligatorio.",
    "extra_forbidden": "no es un campo permitido.",
    "string_type": "debe ser texto.",
    "string_unicode": "contiene un carácter Unicode inválido (un sustituto suelto).",
    "int_type": "debe ser un número entero.",
    "int_parsing": "debe ser un número entero.",
    "float_type": "debe ser un número.",
    "float_parsing": "debe ser un número.",
    "bool_type": "debe ser verdadero o falso.",
    "bool_parsing": "debe ser verdadero o falso.",
    "list_type": "debe ser una lista.",
    "dict_type": "debe ser un objeto.",
    "model_type": "debe ser un objeto.",
    "model_attributes_type": "debe ser un objeto.",
    "date_type": "debe ser una fecha (AAAA-MM-DD).",
    "date_parsing": "debe ser una fecha (AAAA-MM-DD).",
    "date_from_datetime_parsing": "debe ser una fecha (AAAA-MM-DD).",
    "bytes_type": "debe ser contenido binario (base64).",
    "base64_decode": "no es base64 válido.",
    "union_tag_invalid": "tiene un tipo no reconocido.",
    "union_tag_not_found": "no indica su tipo.",
    "recursion_loop": "está anidado demasiado profundo.",
    "finite_number": "debe ser un número finito.",
}


# Tags of the body's node types: Pydantic puts the tag of a union member after its index.
_UNION_TAGS = {"paragraph", "text", "break", "bullet_list", "numbered_list", "table"}


def _location(loc: Sequence[int | str]) -> str:
    out = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif isinstance(previous, int) and part in _UNION_TAGS:
            pass  # "cuerpo.bloques[1].texto.texto" would only confuse
        elif part in FIELD_LABELS:
            out += ("." if out else "") + FIELD_LABELS[part]
        previous = part
    return out


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind in {"greater_than_equal", "greater_than"}:
        return f"debe ser al menos {ctx.get('ge', ctx.get('gt'))}."
    if kind in {"less_than_equal", "less_than"}:
        return f"debe ser como máximo {ctx.get('le', ctx.get('lt'))}."
    if kind == "string_too_long":
        return f"no puede exceder {ctx.get('max_length')} caracteres."
    if kind == "string_too_short":
        return "no puede estar vacío." if ctx.get("min_length") == 1 else "es demasiado corto."
    if kind == "too_long":
        return f"no puede tener más de {ctx.get('max_length')} elementos."
    if kind == "too_short":
        if ctx.get("min_length") == 1:
            return "no puede estar vacío."
        return f"debe tener al menos {ctx.get('min_length')} elementos."
    if kind == "literal_error":
        return f"no es un valor permitido (opciones: {ctx.get('expected')})."
    if kind == "string_pattern_mismatch":
        return "tiene un formato no válido."
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return "tiene un tipo de dato no válido."
    # Our own PydanticCustomError messages are already Spanish.
    return str(error["msg"])


def problems_from(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """The problems of a Pydantic validation, each with a Spanish location and message."""
    out = []
    for error in exc.errors(include_url=False, include_input=False):
        where = _location(error["loc"])
        where = f"{prefix}.{where}" if prefix and where else prefix or where
        out.append({"field": where, "message": f"{where}: {_message(error)}" if where else _message(error)})
    return out


def _summary(intro: str, problems: Sequence[dict[str, str]]) -> str:
    shown = [p["message"] for p in problems[:5]]
    more = len(problems) - len(shown)
    text = intro + " " + " ".join(f"{m[0].upper()}{m[1:]}" if m else m for m in shown)
    if more > 0:
        text += f" (y {more} problema(s) más)."
    return text


class TemplateInvalidError(ValidationFailedError):
    """A template breaks a rule: unknown placeholder, missing block, bad margins, image not an image."""

    code = "template_invalid"
    message = "La plantilla no es válida."

    def __init__(self, problems: Sequence[dict[str, str]]) -> None:
        super().__init__(
            _summary("La plantilla no es válida.", problems), details={"problems": list(problems)}
        )
        self.problems = list(problems)


class ContentInvalidError(ValidationFailedError):
    """The content of an oficio (a field or the body) cannot be rendered as it is."""

    code = "content_invalid"
    message = "El contenido del oficio no es válido."

    def __init__(self, problems: Sequence[dict[str, str]]) -> None:
        super().__init__(
            _summary("El contenido del oficio no es válido.", problems), details={"problems": list(problems)}
        )
        self.problems = list(problems)


def problem(where: str, message: str) -> dict[str, str]:
    """One problem found by our own rules (not by Pydantic)."""
    return {"field": where, "message": f"{where}: {message}" if where else message}
