"""Storage looks into a zip (Word, Excel) with bounded work: what the archive announces is checked
before anything is inflated, and what is inflated is counted against a budget."""

from __future__ import annotations

import io
import random
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from signum.storage.archives import ArchiveLimits, ArchiveLimitsError, directory_numbers, read_part
from signum.storage.domain import FileTypeNotAllowedError, detect_type
from tests.storage.zips import (
    DOCX,
    DOCX_TYPES,
    XLSX,
    GiB,
    MiB,
    docx,
    docx_bomb,
    lying_sizes,
    write_zip,
    xlsx,
    zeros_member,
    zip_of,
)


def _type(tmp_path: Path, data: bytes, limits: ArchiveLimits | None = None) -> str:
    path = tmp_path / "subida"
    path.write_bytes(data)
    return detect_type(path, data[:8192], is_text=False, declared=None, limits=limits)


def _refused(tmp_path: Path, data: bytes, limits: ArchiveLimits | None = None) -> ArchiveLimitsError:
    with pytest.raises(ArchiveLimitsError) as info:
        _type(tmp_path, data, limits)
    assert info.value.status_code == 422
    assert info.value.code == "archive_limits_exceeded"
    return info.value


def test_word_and_excel_documents_are_typed_by_their_content(tmp_path: Path) -> None:
    assert _type(tmp_path, docx()) == DOCX
    assert _type(tmp_path, xlsx()) == XLSX
    # A workbook embedded in a Word document (one archive inside the upload) is fine.
    assert _type(tmp_path, docx(embedded=xlsx())) == DOCX


def test_the_reported_bomb_is_refused_before_inflating_it(tmp_path: Path) -> None:
    path = tmp_path / "bomba.docx"
    docx_bomb(path, GiB)
    assert path.stat().st_size < 2 * MiB  # about 1 MB on disk, 1 GiB announced
    head = path.read_bytes()[:8192]
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ArchiveLimitsError) as info:
            detect_type(path, head, is_text=False, declared=DOCX)
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.details["motivo"] == "proporcion"
    assert "crece de forma anómala" in info.value.message
    assert elapsed < 1.0, elapsed
    assert peak < 4 * MiB, peak


def test_a_part_that_expands_too_much_is_refused(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", DOCX_TYPES)
        zeros_member(archive, "word/media/relleno.bin", 2 * MiB)  # about 1,000 to 1
    error = _refused(tmp_path, out.getvalue())
    assert error.details == {"motivo": "proporcion", "limite": 200.0}
    # Below the floor a part may expand as it likes (small XML parts compress very well).
    assert _type(tmp_path, out.getvalue(), ArchiveLimits(ratio_floor=4 * MiB)) == DOCX


def test_what_the_whole_archive_announces_is_bounded(tmp_path: Path) -> None:
    # Parts that do not compress at all: none expands, together they announce 3 MiB.
    parts = [(f"word/media/imagen{n}.bin", random.Random(n).randbytes(MiB)) for n in range(3)]
    data = zip_of([*members_of(docx()), *parts])
    error = _refused(tmp_path, data, ArchiveLimits(max_uncompressed_bytes=2 * MiB))
    assert error.details["motivo"] == "tamano"
    assert "ocupa más de 2 MB al descomprimirse" in error.message
    assert _type(tmp_path, data, ArchiveLimits(max_uncompressed_bytes=4 * MiB)) == DOCX


def members_of(data: bytes) -> list[tuple[str, bytes | str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def test_too_many_members_are_refused_before_the_directory_is_parsed(tmp_path: Path) -> None:
    members = [("[Content_Types].xml", "<Types/>")] + [(f"x/{n}", b"") for n in range(5_000)]
    data = zip_of(members)
    assert directory_numbers(io.BytesIO(data))[0] == 5_001
    error = _refused(tmp_path, data)
    assert error.details == {"motivo": "elementos", "limite": 5_000}
    # A directory bigger than the limit is refused however many members it claims.
    long_names = zip_of([(f"{'n' * 200}/{n}", b"") for n in range(100)])
    error = _refused(tmp_path, long_names, ArchiveLimits(max_directory_bytes=10_000))
    assert error.details["motivo"] == "directorio"


def test_members_of_nested_archives_count_as_well(tmp_path: Path) -> None:
    inner = zip_of([(f"hoja{n}.xml", b"<c/>") for n in range(30)])
    data = docx(embedded=inner)
    error = _refused(tmp_path, data, ArchiveLimits(max_members=30))
    assert error.details["motivo"] == "elementos"


def test_an_archive_inside_an_archive_inside_the_upload_is_refused(tmp_path: Path) -> None:
    innermost = zip_of([("a.txt", "hola")])
    middle = zip_of([("interno.zip", innermost)])
    error = _refused(tmp_path, docx(embedded=middle))
    assert error.details["motivo"] == "anidamiento"
    assert "dentro de otros archivos comprimidos" in error.message
    # Found by what the bytes are, not by the member's name.
    disguised = zip_of([("[Content_Types].xml", "<Types/>"), ("word/foto.png", middle)])
    assert _refused(tmp_path, disguised).details["motivo"] == "anidamiento"


def test_a_bomb_inside_an_embedded_archive_is_refused(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        zeros_member(archive, "hoja.xml", 8 * MiB)
    error = _refused(tmp_path, docx(embedded=inner.getvalue()))
    assert error.details["motivo"] == "proporcion"


def test_a_header_that_lies_about_its_size_inflates_no_more_than_it_says(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        zeros_member(archive, "[Content_Types].xml", 512 * MiB)
    lying = lying_sizes(out.getvalue(), "[Content_Types].xml", 100)
    started = time.monotonic()
    with pytest.raises(FileTypeNotAllowedError):  # the CRC of its first 100 bytes does not match
        _type(tmp_path, lying)
    assert time.monotonic() - started < 0.5


def test_the_inflate_budget_holds_whatever_the_headers_say(tmp_path: Path) -> None:
    inner = zip_of([("hoja.bin", random.Random(1).randbytes(MiB))])  # 1 MiB that does not compress
    data = docx(embedded=inner)
    error = _refused(tmp_path, data, ArchiveLimits(inflate_budget=512 * 1024))
    assert error.details["motivo"] == "tamano"


def test_compression_methods_other_than_deflate_are_refused(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_BZIP2) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert _refused(tmp_path, out.getvalue()).details["motivo"] == "metodo"


def test_a_content_types_part_past_its_limit_is_refused(tmp_path: Path) -> None:
    big = "<Types>" + "".join(f"<Default Extension='x{n}' ContentType='a/y{n}'/>" for n in range(40_000))
    data = zip_of([("[Content_Types].xml", big + "</Types>")])
    error = _refused(tmp_path, data)
    assert error.details == {"motivo": "parte", "limite": MiB}


def test_zip64_counts_are_read_from_the_zip64_end_record(tmp_path: Path) -> None:
    path = tmp_path / "z64.zip"
    write_zip(path, [(f"{n}", b"") for n in range(65_536)])  # past 65,535: only ZIP64 can count it
    with path.open("rb") as fp:
        assert directory_numbers(fp)[0] == 65_536
    assert _refused(tmp_path, path.read_bytes()).details["motivo"] == "elementos"


def test_read_part_reads_only_the_part_asked_for() -> None:
    data = docx()
    assert read_part(io.BytesIO(data), "[Content_Types].xml") == DOCX_TYPES.encode()
    with pytest.raises(KeyError):
        read_part(io.BytesIO(data), "no/existe.xml")
