"""Readiness tells when no acuse can be sealed: signing's `seal` check opens the token, and the
gateway's /readyz names the failing check (a SoftHSM missing after `make up` used to stay green)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from signum.testing.processes import ServiceProcess

pytestmark = pytest.mark.stack


def test_the_seal_check_passes_when_the_token_opens(platform: dict[str, ServiceProcess]) -> None:
    ready = httpx.get(platform["signing"].url + "/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["seal"] == {"ok": True}
    # Signing oficios does not need the seal: it is not part of what Kubernetes routes on.
    local = httpx.get(platform["signing"].url + "/readyz", params={"scope": "local"}, timeout=10)
    assert "seal" not in local.json()["checks"]


def test_a_seal_that_cannot_work_fails_readiness_here_and_in_the_gateway(
    stack_env: dict[str, str], signing_env: dict[str, str], log_dir: Path, tmp_path: Path
) -> None:
    ns = f"s{uuid.uuid4().hex[:8]}"
    env = stack_env | {"SIGNUM_KAFKA_NAMESPACE": f"{ns}.", "SIGNUM_MONGO_DB_PREFIX": f"{ns}_"}
    # What a machine without SoftHSM looks like to signing: the PKCS#11 module is not there.
    signing = ServiceProcess(
        "signing",
        env
        | signing_env
        | {
            "SIGNUM_SIGNING_SEAL_PKCS11_MODULE": str(tmp_path / "libsofthsm2.so"),
            "SIGNUM_SIGNING_LOCAL_SEAL_DIR": str(tmp_path / "seal"),
        },
        log_dir / ns,
    ).start()
    gateway = ServiceProcess("gateway", env | {"SIGNUM_GATEWAY_SIGNING_URL": signing.url}, log_dir / ns)
    try:
        signing.wait_healthy("/readyz?scope=local", timeout=60)
        ready = httpx.get(signing.url + "/readyz", timeout=10)
        assert ready.status_code == 503
        seal = ready.json()["checks"]["seal"]
        assert seal["ok"] is False
        assert "signum-sellos" in seal["detail"], seal
        assert "no abre" in seal["detail"], seal

        gateway.start()
        gateway.wait_healthy("/healthz", timeout=60)
        whole = httpx.get(gateway.url + "/readyz", timeout=20)
        assert whole.status_code == 503
        assert whole.json()["checks"]["signing"]["ok"] is False
        assert "seal: el token PKCS#11" in whole.json()["checks"]["signing"]["detail"]
    finally:
        gateway.stop()
        signing.stop()
