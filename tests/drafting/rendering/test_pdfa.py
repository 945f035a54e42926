"""The rendered oficios pass veraPDF's PDF/A-2b validation, before and after the signature fields."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from signum.drafting.rendering import Renderer, sample_content
from signum.drafting.templates import Template, default_template, next_version, validate_template
from tests.drafting.rendering import verapdf
from tests.drafting.rendering.support import BAND_SVG, content, pdfa_problems, two_page_content
from tests.drafting.rendering.test_hostile import _everywhere


def _with_images() -> Template:
    png, jpeg = io.BytesIO(), io.BytesIO()
    Image.new("RGBA", (300, 120), (120, 30, 60, 128)).save(png, "PNG")  # with transparency
    Image.new("RGB", (600, 30), (10, 90, 60)).save(jpeg, "JPEG")
    svg = BAND_SVG
    data = default_template().model_dump(mode="json")
    data["images"] += [
        {"id": "escudo", "media_type": "image/png", "data": base64.b64encode(png.getvalue()).decode()},
        {"id": "franja", "media_type": "image/jpeg", "data": base64.b64encode(jpeg.getvalue()).decode()},
        {"id": "linea", "media_type": "image/svg+xml", "data": base64.b64encode(svg).decode()},
    ]
    data["blocks"][0]["image"] = {"image_id": "escudo", "width": 30}
    pie = next(b for b in data["blocks"] if b["kind"] == "pie")
    pie["image"] = {"image_id": "franja", "width": 160, "position": "top"}
    data["blocks"].append(
        {"kind": "texto_fijo", "image": {"image_id": "linea", "width": 100, "position": "top"}}
    )
    return validate_template(data)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    renderer = Renderer()
    template = default_template()
    two_signers = content(
        signers=[
            {"name": "Ing. Laura Martínez Garza", "title": "Directora General"},
            {
                "name": "Lic. Pedro Salinas",
                "title": "Director",
                "on_behalf_of": {"name": "Mtra. Elena Garza"},
            },
        ]
    )
    return {
        "oficio": renderer.render(template, sample_content(), signature_fields=False).pdf,
        "oficio-con-campos": renderer.render(template, two_signers).pdf,
        "dos-paginas-con-campos": renderer.render(template, two_page_content()).pdf,
        "imagenes": renderer.render(_with_images(), sample_content()).pdf,
        "hostil": renderer.render(template, _everywhere('#read("/x") $ ] \\ العربية עברית 😀 {{folio}}')).pdf,
        "serif": renderer.render(next_version(template, font="Noto Serif"), sample_content()).pdf,
    }


@pytest.fixture(scope="module")
def verdicts(
    rendered: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, verapdf.Verdict]:
    folder = tmp_path_factory.mktemp("pdfa")
    files = {}
    for name, pdf in rendered.items():
        files[name] = folder / f"{name}.pdf"
        files[name].write_bytes(pdf)
    by_path = verapdf.validate(list(files.values()))
    return {name: by_path[Path(path)] for name, path in files.items()}


@pytest.mark.parametrize(
    "name", ["oficio", "oficio-con-campos", "dos-paginas-con-campos", "imagenes", "hostil", "serif"]
)
def test_verapdf_finds_the_oficio_pdf_a_2b(verdicts: dict[str, verapdf.Verdict], name: str) -> None:
    verdict = verdicts[name]
    assert verdict.passed, f"veraPDF rules failed: {verdict.failed_rules}"


@pytest.mark.parametrize(
    "name", ["oficio", "oficio-con-campos", "dos-paginas-con-campos", "imagenes", "hostil", "serif"]
)
def test_the_structure_of_pdf_a_2b_is_there(rendered: dict[str, bytes], name: str) -> None:
    assert pdfa_problems(rendered[name]) == []


def test_the_validator_can_fail(tmp_path: Path) -> None:
    """A PDF that is not PDF/A (no XMP, no output intent) is failed: the check above means something."""
    from pypdf import PdfWriter

    out = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.write(out)
    (tmp_path / "plain.pdf").write_bytes(out.getvalue())
    [verdict] = verapdf.validate([tmp_path / "plain.pdf"]).values()
    assert not verdict.passed
    assert verdict.failed_rules
    assert pdfa_problems(out.getvalue())
