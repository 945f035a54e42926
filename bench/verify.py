"""Verification: Signum's time per PDF against EU DSS 6.3's, on the same PDFs in the same run.

The PDFs are the corpus of tests/signing/corpus.py (good and bad signatures: B-LT, revoked, expired,
changed, a missing intermediate, two signers, ...), each with its own trust configuration. Before any
time counts, both verdicts (indication, subindication, PAdES level of every signature) must be equal.

- DSS: one JVM (`DssReport --repeat`) validates the whole list ROUNDS times; every PDF is read into
  memory first and DSS's own clock (`System.nanoTime`) times `fromDocument` + `validateDocument` +
  the simple report, so JVM start-up, class loading and file reading are not counted. The first
  WARM_ROUNDS rounds warm the JIT and are dropped; each PDF's time is the median of the rest.
- Signum: `verification.verify_pdf` on the bytes in this process (the same work `POST
  /internal/verificacion` does in a worker thread), nothing fetched, each PDF's median of REPEAT
  calls after a warm-up.

`verify_vs_dss`: seconds per PDF (mean over the corpus of each PDF's median); ratio = DSS's time /
Signum's (goal >= 5).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import Result, machine
from signum.signing import verification
from signum.testing import dss
from tests.signing import corpus
from tests.signing.pki import SigningPki

ROUNDS = 25
WARM_ROUNDS = 10
REPEAT = 15
WARMUP = 3


async def _signum_seconds(case: corpus.Case) -> float:
    trust = case.trust()
    for _ in range(WARMUP):
        await verification.verify_pdf(case.pdf, trust)
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        await verification.verify_pdf(case.pdf, trust)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def run(infra: Any = None) -> list[Result]:
    """Entry for bench/__main__.py; needs no infrastructure, only Java (DSS's runner)."""
    pki = SigningPki.generate("http://127.0.0.1:9")  # nothing is fetched: the PDFs carry their data
    cases = await corpus.build(pki)
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as folder:
        jobs = corpus.dss_jobs(cases, Path(folder))
        reports = dss.validate_jobs(jobs, repeat=ROUNDS, timeout=1800)

    theirs_seconds, ours_seconds = [], []
    for case, job in zip(cases, jobs, strict=True):
        report = reports[job.pdf]
        theirs = [(s.indication, s.subindication, s.level) for s in report.signatures]
        ours = [
            (s.verdict.indication.value, s.verdict.subindication, s.pades_level.value)
            for s in (await verification.verify_pdf(case.pdf, case.trust())).signatures
            if s.verdict is not None
        ]
        if ours != theirs:
            raise RuntimeError(f"{case.name}: Signum says {ours}, DSS says {theirs}")
        theirs_seconds.append(statistics.median(report.seconds[WARM_ROUNDS:]))
        ours_seconds.append(await _signum_seconds(case))

    signum, reference = statistics.mean(ours_seconds), statistics.mean(theirs_seconds)
    slowest = max(range(len(cases)), key=lambda i: ours_seconds[i] / theirs_seconds[i])
    return [
        Result(
            name="verify_vs_dss",
            value=signum,
            unit="s/pdf",
            baseline=reference,
            ratio=reference / signum,
            machine=machine(),
            note=(
                f"{len(cases)} PDFs of the DSS corpus, same verdicts; EU DSS 6.3 in one warm JVM "
                f"({ROUNDS} rounds, first {WARM_ROUNDS} dropped, median per PDF, its own clock); Signum "
                f"median of {REPEAT} per PDF; the closest PDF: {cases[slowest].name} "
                f"(Signum {ours_seconds[slowest] * 1000:.1f} ms, "
                f"DSS {theirs_seconds[slowest] * 1000:.1f} ms); "
                "goal ratio >= 5"
            ),
        )
    ]
