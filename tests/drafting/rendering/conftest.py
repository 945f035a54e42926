from __future__ import annotations

import pytest

from signum.drafting.rendering import Renderer
from signum.drafting.templates import Template, default_template


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture(scope="session")
def template() -> Template:
    return default_template()
