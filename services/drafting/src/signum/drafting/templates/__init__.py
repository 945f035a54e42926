"""Templates of oficios: the model, its rules, the placeholder catalogue and the default template."""

from signum.drafting.templates.default import DEFAULT_TEMPLATE_ID, default_template
from signum.drafting.templates.errors import ContentInvalidError, TemplateInvalidError
from signum.drafting.templates.model import (
    PAGE_SIZES_MM,
    AreaSize,
    Block,
    Identity,
    ImageAsset,
    ImagePlacement,
    Margins,
    Template,
    compare_versions,
    next_version,
)
from signum.drafting.templates.placeholders import CATALOGUE as PLACEHOLDERS
from signum.drafting.templates.validation import BLOCK_NAMES, REQUIRED_BLOCKS, validate_template

__all__ = [
    "BLOCK_NAMES",
    "DEFAULT_TEMPLATE_ID",
    "PAGE_SIZES_MM",
    "PLACEHOLDERS",
    "REQUIRED_BLOCKS",
    "AreaSize",
    "Block",
    "ContentInvalidError",
    "Identity",
    "ImageAsset",
    "ImagePlacement",
    "Margins",
    "Template",
    "TemplateInvalidError",
    "compare_versions",
    "default_template",
    "next_version",
    "validate_template",
]
