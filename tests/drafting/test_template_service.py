"""Administrators save templates through `TemplateService`: the template is validated (its images
decoded, the page compiled) in a worker thread, and a bad image is refused in Spanish."""

from __future__ import annotations

import base64
import io
import threading
from typing import Any

import pytest
from PIL import Image

from signum.drafting import service as drafting_service
from signum.drafting.service import TemplateService
from signum.drafting.templates import TemplateInvalidError, default_template
from signum.platform.identity import Caller

pytestmark = pytest.mark.stack

ADMIN = Caller(
    kind="official", id="admin-1", roles=frozenset({"funcionario", "administrador"}), unidad_id="SAY"
)


def _template(image: bytes, plantilla_id: str) -> dict[str, Any]:
    data = default_template().model_dump(mode="json")
    data.update(
        id=plantilla_id,
        name="Membrete de prueba",
        images=[{"id": "escudo", "media_type": "image/png", "data": base64.b64encode(image).decode()}],
        identidades=[],
    )
    data["blocks"][0]["image"] = {"image_id": "escudo", "width": 30}
    return data


def _png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


async def test_a_template_is_validated_in_a_worker_thread(
    templates: TemplateService, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    validate = drafting_service.validate_template

    def watched(data: Any) -> Any:
        threads.append(threading.current_thread().name)
        return validate(data)

    monkeypatch.setattr(drafting_service, "validate_template", watched)
    created = await templates.create(ADMIN, _template(_png((60, 30)), "membrete-prueba"))
    assert created["version"] == 1
    assert threads, "validate_template was not called"
    assert threads[0] != threading.main_thread().name

    with pytest.raises(TemplateInvalidError) as info:
        await templates.create(ADMIN, _template(_png((6_000, 6_000), "1"), "membrete-grande"))
    problems = [p["message"] for p in info.value.details["problems"]]
    assert any("dimensiones de la imagen son demasiado grandes" in m for m in problems), problems
