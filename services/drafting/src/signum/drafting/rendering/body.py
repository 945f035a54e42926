"""The body of an oficio: a small rich-text document (paragraphs, bold, italic, underline, lists,
simple tables, line breaks), limited so that no body can exhaust the renderer.

JSON form, e.g.::

    {"blocks": [
        {"type": "paragraph", "children": [{"type": "text", "text": "Por este medio ", "bold": false},
                                           {"type": "break"}]},
        {"type": "bullet_list", "items": [[{"type": "paragraph", "children": [...]}]]},
        {"type": "table", "header": true, "rows": [[[{"type": "text", "text": "Celda"}]]]}
    ]}
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from signum.drafting.templates.errors import ContentInvalidError, problems_from
from signum.drafting.templates.text import clean_multiline

MAX_TEXT_CHARS = 300_000  # all the text of a body; a 100 KB line still fits
MAX_NODES = 20_000
MAX_LIST_DEPTH = 4
MAX_TABLE_ROWS = 100
MAX_TABLE_COLUMNS = 10


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TextRun(_Node):
    type: Literal["text"] = "text"
    text: Annotated[str, AfterValidator(clean_multiline)]
    bold: bool = False
    italic: bool = False
    underline: bool = False


class LineBreak(_Node):
    type: Literal["break"] = "break"


Inline = Annotated[TextRun | LineBreak, Field(discriminator="type")]


class Paragraph(_Node):
    type: Literal["paragraph"] = "paragraph"
    children: list[Inline] = Field(default_factory=list)


class ListBlock(_Node):
    type: Literal["bullet_list", "numbered_list"]
    items: list[list[BodyBlock]] = Field(min_length=1)


class Table(_Node):
    type: Literal["table"] = "table"
    header: bool = False
    rows: list[list[list[Inline]]] = Field(min_length=1, max_length=MAX_TABLE_ROWS)

    @model_validator(mode="after")
    def _columns(self) -> Table:
        if any(len(row) > MAX_TABLE_COLUMNS for row in self.rows):
            raise PydanticCustomError(
                "table_too_wide", "una tabla no puede tener más de {n} columnas.", {"n": MAX_TABLE_COLUMNS}
            )
        if not any(self.rows):
            raise PydanticCustomError("table_empty", "la tabla no tiene celdas.")
        return self


BodyBlock = Annotated[Paragraph | ListBlock | Table, Field(discriminator="type")]


def _measure(blocks: list[Any], depth: int, totals: list[int]) -> None:
    for block in blocks:
        totals[1] += 1
        if isinstance(block, Paragraph):
            _measure_inlines(block.children, totals)
        elif isinstance(block, ListBlock):
            if depth >= MAX_LIST_DEPTH:
                raise PydanticCustomError(
                    "list_too_deep",
                    "las listas no pueden anidarse más de {n} niveles.",
                    {"n": MAX_LIST_DEPTH},
                )
            for item in block.items:
                _measure(item, depth + 1, totals)
        elif isinstance(block, Table):
            for row in block.rows:
                for cell in row:
                    _measure_inlines(cell, totals)


def _measure_inlines(inlines: list[Any], totals: list[int]) -> None:
    for inline in inlines:
        totals[1] += 1
        if isinstance(inline, TextRun):
            totals[0] += len(inline.text)


class BodyDocument(_Node):
    """The body. `BodyDocument.parse(data)` refuses bad input with a Spanish ContentInvalidError."""

    blocks: list[BodyBlock] = Field(default_factory=list)

    @model_validator(mode="after")
    def _limits(self) -> BodyDocument:
        totals = [0, 0]  # characters, nodes
        _measure(self.blocks, 0, totals)
        if totals[0] > MAX_TEXT_CHARS:
            raise PydanticCustomError(
                "body_too_long",
                "el cuerpo tiene {n} caracteres; el máximo es {max}.",
                {"n": totals[0], "max": MAX_TEXT_CHARS},
            )
        if totals[1] > MAX_NODES:
            raise PydanticCustomError(
                "body_too_complex",
                "el cuerpo tiene demasiados elementos ({n}); el máximo es {max}.",
                {"n": totals[1], "max": MAX_NODES},
            )
        return self

    @classmethod
    def parse(cls, data: Any) -> BodyDocument:
        """The body from its JSON form (a dict, or JSON text)."""
        try:
            if isinstance(data, str | bytes):
                return cls.model_validate_json(data)
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ContentInvalidError(problems_from(exc, "cuerpo")) from None
        except RecursionError:
            raise ContentInvalidError(
                [{"field": "cuerpo", "message": "cuerpo: está anidado demasiado profundo."}]
            ) from None

    @classmethod
    def from_text(cls, text: str) -> BodyDocument:
        """A body of plain paragraphs: blank lines separate paragraphs, single newlines break lines."""
        return cls.parse(
            {
                "blocks": [
                    {"type": "paragraph", "children": [{"type": "text", "text": chunk.strip("\n")}]}
                    for chunk in text.replace("\r\n", "\n").split("\n\n")
                    if chunk.strip()
                ]
            }
        )


ListBlock.model_rebuild()
BodyDocument.model_rebuild()
