"""Signing: time per PAdES signature against pyHanko's defaults, Documenso's signer and raw RSA.

All on the same one-page oficio, the same RSA-2048 key and certificate chain, no timestamp (so that
every signer does the same work), invisible signature, credential loaded once.

- `sign_vs_documenso`: Documenso's time / Signum's (goal >= 1). Documenso: @signpdf/placeholder-plain
  then @documenso/pdf-sign with a PBE-SHA1-3DES PKCS#12, in one node process (bench/node/).
- `sign_vs_pyhanko_default`: pyHanko's plain `signers.sign_pdf` (SimpleSigner loaded once, default
  settings, PAdES subfilter) / Signum's (goal >= 25).
- `sign_vs_raw_rsa`: Signum's / RSA-2048 PKCS#1 v1.5 over a SHA-256 digest with `cryptography`
  (goal <= 8): the physical limit.
- `batch_sign_100`: seconds per signature in a batch of 100 / single-signature seconds.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, utils
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from bench.harness import Result, machine
from signum.signing import credentials, pades
from tests.signing.documents import oficio_pdf
from tests.signing.pki import SigningPki

NODE_DIR = Path(__file__).parent / "node"
SIGNUM_REPEAT = 300
PYHANKO_REPEAT = 40
RSA_REPEAT = 2000
DOCUMENSO_REPEAT = 300
BATCH = 100


def _median(step: Callable[[], Any], repeat: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        step()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def _check_valid(pdf: bytes, root: asn1_x509.Certificate, who: str) -> None:
    """Only valid signatures count: validate one output of each signer with pyHanko (untimed)."""
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[-1]
    status = await async_validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))
    if not (status.intact and status.valid):
        raise RuntimeError(f"{who} produced an invalid signature: {status.summary()}")


def _documenso(pdf: bytes, p12: bytes, password: str) -> tuple[float, bytes] | None:
    """Documenso's median seconds per signature and its last signed PDF; None without node."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return None
    if not (NODE_DIR / "node_modules" / "@documenso" / "pdf-sign").exists():
        # Not `npm ci`: @documenso/pdf-sign declares optional per-platform binaries that were never
        # published, so the lock file cannot list them and `npm ci` refuses it as out of sync.
        # `npm install` with exact pins installs the locked versions and checks their integrity.
        install = [npm, "install", "--no-audit", "--no-fund", "--no-save"]
        subprocess.run(install, cwd=NODE_DIR, check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "in.pdf").write_bytes(pdf)
        (base / "key.p12").write_bytes(p12)
        script = [
            node,
            str(NODE_DIR / "documenso.mjs"),
            str(base / "in.pdf"),
            str(base / "key.p12"),
            password,
        ]
        out = subprocess.run(
            [*script, str(DOCUMENSO_REPEAT), str(base / "out.pdf")],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return float(json.loads(out.stdout)["seconds_per_signature"]), (base / "out.pdf").read_bytes()


async def run(infra: Any = None) -> list[Result]:
    """Entry for bench/__main__.py; needs no infrastructure."""
    pki = SigningPki.generate("http://127.0.0.1:9")  # no revocation servers are contacted here
    issued = pki.fiel
    der = serialization.Encoding.DER
    root = asn1_x509.Certificate.load(pki.root.cert.public_bytes(der))
    ca = asn1_x509.Certificate.load(pki.ca.cert.public_bytes(der))
    pdf = oficio_pdf()

    # Signum: unlocked once, chain known, invisible signature.
    credential = credentials.unlock(issued.cer, issued.key_file, issued.password)
    credential.chain = (ca,)
    request = pades.SignatureRequest(field_name="Signature1")
    await _check_valid(pades.sign_pdf_sync(pdf, credential, request), root, "Signum")
    signum = _median(lambda: pades.sign_pdf_sync(pdf, credential, request), SIGNUM_REPEAT)

    # pyHanko defaults: a SimpleSigner loaded once, sign_pdf with default settings (PAdES subfilter).
    store = SimpleCertificateStore()
    store.register(ca)
    simple = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(issued.cer),
        signing_key=keys.PrivateKeyInfo.load(
            issued.key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        ),
        cert_registry=store,
    )
    meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES)

    def pyhanko_default() -> bytes:
        # sign_pdf runs its own event loop: do it in a worker thread, as a caller inside a loop must.
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        output: io.BytesIO = signers.sign_pdf(writer, meta, signer=simple)
        return output.getvalue()

    await _check_valid(await asyncio.to_thread(pyhanko_default), root, "pyHanko")
    pyhanko = await asyncio.to_thread(_median, pyhanko_default, PYHANKO_REPEAT, 3)

    # Raw RSA: the signature operation alone over a ready SHA-256 digest.
    digest = hashes.Hash(hashes.SHA256())
    digest.update(pdf)
    value = digest.finalize()
    raw = _median(
        lambda: issued.key.sign(value, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())), RSA_REPEAT
    )

    measured = await asyncio.to_thread(_documenso, pdf, issued.pkcs12_3des([pki.ca.cert], "bench"), "bench")
    documenso = None
    if measured is not None:
        documenso, documenso_pdf = measured
        await _check_valid(documenso_pdf, root, "Documenso")

    started = time.perf_counter()
    signed = await pades.sign_batch([pdf] * BATCH, credential, request)
    per_signature = (time.perf_counter() - started) / BATCH
    await _check_valid(signed[-1], root, "Signum batch")
    credential.close()

    info = machine()
    return [
        Result(
            name="sign_vs_documenso",
            value=signum,
            unit="s/signature",
            baseline=documenso or float("nan"),
            ratio=(documenso / signum) if documenso else float("nan"),
            machine=info,
            note="ratio = Documenso (placeholder-plain + pdf-sign, P12) / Signum; goal >= 1"
            if documenso
            else "node/npm not installed: Documenso not measured",
        ),
        Result(
            name="sign_vs_pyhanko_default",
            value=signum,
            unit="s/signature",
            baseline=pyhanko,
            ratio=pyhanko / signum,
            machine=info,
            note="ratio = pyHanko sign_pdf defaults (SimpleSigner loaded once, PAdES) / Signum; goal >= 25",
        ),
        Result(
            name="sign_vs_raw_rsa",
            value=signum,
            unit="s/signature",
            baseline=raw,
            ratio=signum / raw,
            machine=info,
            note="ratio = Signum / RSA-2048 PKCS#1 v1.5 of a SHA-256 digest (cryptography); goal <= 8",
        ),
        Result(
            name="batch_sign_100",
            value=per_signature,
            unit="s/signature",
            baseline=signum,
            ratio=per_signature / signum,
            machine=info,
            note="sign_batch of 100 PDFs, one unlocked credential; ratio = batch mean / single median",
        ),
    ]


if __name__ == "__main__":
    for result in asyncio.run(run()):
        print(
            f"{result.name}: {result.value * 1000:.3f} ms (baseline {result.baseline * 1000:.3f} ms, "
            f"ratio {result.ratio:.2f}) {result.note}"
        )
