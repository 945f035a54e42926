"""Reading a PDF's structure decodes its object streams: storage bounds what that may inflate, one
stream and the whole document, so a small PDF cannot make it inflate gigabytes."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from signum.storage.domain import PdfLimitsError, PdfMalformedError, check_pdf
from signum.testing.bombs import MiB, pdf_with_catalog_in_stream, pdf_with_object_streams


def _check(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "anexo.pdf"
    path.write_bytes(data)
    check_pdf(path)


def test_a_pdf_with_object_streams_is_read_whole(tmp_path: Path) -> None:
    _check(tmp_path, pdf_with_object_streams(3))
    with pytest.raises(PdfMalformedError):
        _check(tmp_path, pdf_with_object_streams(0))


@pytest.mark.parametrize("build", [pdf_with_catalog_in_stream, lambda pad: pdf_with_object_streams(1, pad)])
def test_one_object_stream_that_inflates_to_256_mib_is_refused(tmp_path: Path, build: Any) -> None:
    data = build(256 * MiB)
    assert len(data) < MiB
    with pytest.raises(PdfLimitsError) as info:
        _check(tmp_path, data)
    assert (info.value.status_code, info.value.code) == (422, "pdf_limits_exceeded")
    assert "crecen de forma anómala" in info.value.message


def test_many_object_streams_each_under_the_size_cap_are_refused(tmp_path: Path) -> None:
    # Each decodes to 70 MB, under the 75 MB per-stream cap of pypdf (which storage used): pypdf
    # inflated and kept them all, 928 MB resident and 114 s on a busy machine for this 0.8 MB file.
    # Object streams may expand 100 to 1 at most.
    data = pdf_with_object_streams(12, pad=70_000_000)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(PdfLimitsError):
            _check(tmp_path, data)
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 2, elapsed
    assert peak < 16 * MiB, peak


def test_what_the_whole_document_inflates_is_bounded(tmp_path: Path) -> None:
    # Ten object streams expanding about 7 to 1 (none suspicious alone) decode to 80 MiB in all,
    # past the document's budget (64 MiB and the file's own size, about 12 MB).
    data = pdf_with_object_streams(10, pad=8 * MiB, noise=True)
    with pytest.raises(PdfLimitsError):
        _check(tmp_path, data)
    _check(tmp_path, pdf_with_object_streams(4, pad=8 * MiB, noise=True))  # 32 MiB: within it
