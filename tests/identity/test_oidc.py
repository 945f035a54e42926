"""OpenID Connect against a real provider process (oidc-provider-mock), not a mocked response."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from signum.gateway.identity.errors import OidcError
from signum.gateway.identity.oidc import OidcClient, OidcConfig
from signum.gateway.identity.repository import IdentityRepository
from signum.testing.processes import free_port

pytestmark = pytest.mark.stack

REDIRECT = "http://127.0.0.1:8000/api/v1/auth/oidc/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A real OIDC provider on loopback with one municipal user."""
    port = free_port()
    claims = {"sub": "ana-sub", "email": "ana@monterrey.gob.mx", "employee_number": "1001"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oidc_provider_mock",
            "--port",
            str(port),
            "--user-claims",
            json.dumps(claims),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/.well-known/openid-configuration", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("the OIDC provider did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


async def _authorize(url: str, sub: str) -> tuple[str, str]:
    """What the browser does at the provider: open the form, choose the user, follow back."""
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        assert (await browser.get(url)).status_code == 200
        answer = await browser.post(url, data={"sub": sub, "action": "allow"})
    assert answer.status_code in (302, 303), answer.text[:300]
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    query = parse_qs(urlsplit(location).query)
    return query["code"][0], query["state"][0]


def _client(provider: str, repo: IdentityRepository, **overrides: str) -> OidcClient:
    config = OidcConfig(
        issuer=provider, client_id="signum", client_secret="secreto-de-cliente", redirect_uri=REDIRECT
    )
    return OidcClient(OidcConfig(**{**config.__dict__, **overrides}), repo)


async def test_login_with_the_provider_yields_the_mapped_claim(
    provider: str, identity_repo: IdentityRepository
) -> None:
    client = _client(provider, identity_repo)
    url = await client.authorization_url("/bandeja", datetime.now(UTC))
    params = parse_qs(urlsplit(url).query)
    assert params["code_challenge_method"] == ["S256"]
    code, state = await _authorize(url, "ana-sub")
    email, next_path = await client.complete(code, state, datetime.now(UTC))
    assert (email, next_path) == ("ana@monterrey.gob.mx", "/bandeja")
    await client.aclose()


async def test_the_claim_that_identifies_the_official_is_configurable(
    provider: str, identity_repo: IdentityRepository
) -> None:
    client = _client(provider, identity_repo, claim="employee_number")
    code, state = await _authorize(await client.authorization_url("/", datetime.now(UTC)), "ana-sub")
    number, _ = await client.complete(code, state, datetime.now(UTC))
    assert number == "1001"
    await client.aclose()


async def test_a_state_is_good_for_one_callback_only(
    provider: str, identity_repo: IdentityRepository
) -> None:
    client = _client(provider, identity_repo)
    code, state = await _authorize(await client.authorization_url("/", datetime.now(UTC)), "ana-sub")
    await client.complete(code, state, datetime.now(UTC))
    with pytest.raises(OidcError) as info:
        await client.complete(code, state, datetime.now(UTC))
    assert "expiró o no es válida" in info.value.message
    await client.aclose()


async def test_a_token_for_another_client_is_refused(
    provider: str, identity_repo: IdentityRepository
) -> None:
    """The ID token's audience is checked: a code issued to another client is worthless here."""
    other = _client(provider, identity_repo, client_id="otro-sistema")
    code, state = await _authorize(await other.authorization_url("/", datetime.now(UTC)), "ana-sub")
    ours = _client(provider, identity_repo)
    # The state was stored by `other`; replaying its code through our client must fail.
    with pytest.raises(OidcError):
        await ours.complete(code, state, datetime.now(UTC))
    await other.aclose()
    await ours.aclose()


async def test_an_unreachable_provider_is_a_clear_error(identity_repo: IdentityRepository) -> None:
    client = _client(f"http://127.0.0.1:{free_port()}", identity_repo)
    with pytest.raises(OidcError) as info:
        await client.authorization_url("/", datetime.now(UTC))
    assert info.value.message == "El proveedor de identidad no responde. Intente más tarde."
    await client.aclose()
