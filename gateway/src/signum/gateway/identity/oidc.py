"""OpenID Connect login with the city's identity provider (authorization code flow with PKCE).

The provider's ID token is checked (signature against its JWKS, issuer, audience, expiry, nonce),
then a configured claim maps the person to an official of the directory (by e-mail or by
employee number). Nobody who is not in the directory can log in.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from signum.gateway.identity.errors import OidcError
from signum.gateway.identity.repository import IdentityRepository
from signum.platform.logging import get_logger

STATE_TTL = timedelta(minutes=10)
DISCOVERY_CACHE_SECONDS = 300.0

log = get_logger(__name__)


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    claim: str = "email"  # the ID-token claim that identifies the official
    maps_to: str = "correo"  # `correo` (e-mail in the directory) or `numero_empleado`
    scopes: str = "openid email profile"


class OidcClient:
    def __init__(self, config: OidcConfig, repository: IdentityRepository) -> None:
        self.config = config
        self._repo = repository
        self._http = httpx.AsyncClient(timeout=10.0)
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._jwks: dict[str, Any] | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _metadata(self) -> dict[str, Any]:
        if self._discovery is not None and self._discovery[0] > time.monotonic():
            return self._discovery[1]
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = await self._http.get(url)
            response.raise_for_status()
            metadata: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("oidc discovery failed", error=repr(exc))
            raise OidcError("El proveedor de identidad no responde. Intente más tarde.") from exc
        self._discovery = (time.monotonic() + DISCOVERY_CACHE_SECONDS, metadata)
        return metadata

    async def authorization_url(self, next_path: str, now: datetime) -> str:
        """Where to send the browser; remembers state, nonce and PKCE verifier for the callback."""
        metadata = await self._metadata()
        state, nonce, verifier = (
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(48),
        )
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        await self._repo.save_oidc_state(
            state, {"nonce": nonce, "verifier": verifier, "next": next_path, "expira": now + STATE_TTL}
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": self.config.redirect_uri,
                "scope": self.config.scopes,
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{metadata['authorization_endpoint']}?{query}"

    async def complete(self, code: str, state: str, now: datetime) -> tuple[str, str]:
        """Exchange the code; returns (the mapped claim's value, where to go next)."""
        saved = await self._repo.take_oidc_state(state)
        if saved is None or saved["expira"] <= now:
            raise OidcError("La solicitud de inicio de sesión expiró o no es válida. Intente de nuevo.")
        metadata = await self._metadata()
        try:
            response = await self._http.post(
                metadata["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.config.redirect_uri,
                    "code_verifier": saved["verifier"],
                },
                auth=(self.config.client_id, self.config.client_secret),
            )
        except httpx.HTTPError as exc:
            raise OidcError("El proveedor de identidad no responde. Intente más tarde.") from exc
        if response.status_code != 200:
            log.warning("oidc token exchange refused", status=response.status_code, body=response.text[:300])
            raise OidcError
        id_token = response.json().get("id_token")
        if not isinstance(id_token, str):
            raise OidcError
        claims = await self._validate(id_token, metadata, saved["nonce"])
        value = claims.get(self.config.claim)
        if not isinstance(value, str) or not value:
            raise OidcError(f"El proveedor de identidad no envió el dato «{self.config.claim}».")
        return value, str(saved.get("next") or "/")

    async def _validate(self, id_token: str, metadata: dict[str, Any], nonce: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
            key = await self._signing_key(metadata, header.get("kid"))
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=key,
                algorithms=[header.get("alg", "RS256")],
                audience=self.config.client_id,
                issuer=metadata.get("issuer", self.config.issuer),
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            log.warning("oidc id token refused", error=repr(exc))
            raise OidcError from exc
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise OidcError
        return claims

    async def _signing_key(self, metadata: dict[str, Any], kid: str | None) -> Any:
        for refresh in (False, True):  # a key rotation: fetch the JWKS again once
            if self._jwks is None or refresh:
                response = await self._http.get(metadata["jwks_uri"])
                response.raise_for_status()
                self._jwks = response.json()
            for jwk in jwt.PyJWKSet.from_dict(self._jwks).keys:
                if kid is None or jwk.key_id == kid:
                    return jwk.key
        raise OidcError
