"""Rendering of oficios to PDF/A-2b with Typst: the body model, the content model, the renderer."""

from signum.drafting.rendering.body import BodyDocument
from signum.drafting.rendering.content import (
    Absent,
    CopyRecipient,
    OficioContent,
    Recipient,
    Reference,
    Sender,
    Signer,
    Verification,
)
from signum.drafting.rendering.fields import Box, SignatureArea, add_signature_fields
from signum.drafting.rendering.renderer import Layout, RenderedPdf, Renderer, RenderFailedError
from signum.drafting.rendering.sample import sample_content
from signum.platform.dates import long_date

__all__ = [
    "Absent",
    "BodyDocument",
    "Box",
    "CopyRecipient",
    "Layout",
    "OficioContent",
    "Recipient",
    "Reference",
    "RenderFailedError",
    "RenderedPdf",
    "Renderer",
    "Sender",
    "SignatureArea",
    "Signer",
    "Verification",
    "add_signature_fields",
    "long_date",
    "sample_content",
]
