"""Log in and out: local accounts, OpenID Connect, bearer tokens for the API."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from signum.gateway.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    IdentityDep,
    public,
    require,
    session_token,
)
from signum.gateway.identity.errors import OidcError
from signum.gateway.identity.oidc import OidcClient
from signum.gateway.identity.service import IssuedSession
from signum.platform.errors import ForbiddenError, NotFoundError
from signum.platform.identity import Caller
from signum.platform.policy import Action

router = APIRouter(prefix="/api/v1", tags=["sesión"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    usuario: str = Field(
        min_length=1,
        max_length=320,
        description="Correo institucional, o lo que va antes de la @ si ninguna otra cuenta lo comparte.",
    )
    contrasena: str = Field(min_length=1, max_length=1024)


class CallerResponse(BaseModel):
    id: str
    tipo: str
    nombre: str
    roles: list[str]
    unidad_id: str | None
    dependencia_id: str | None
    ambito: list[str]

    @classmethod
    def of(cls, caller: Caller) -> CallerResponse:
        return cls(
            id=caller.id,
            tipo=caller.kind,
            nombre=caller.nombre,
            roles=sorted(caller.roles),
            unidad_id=caller.unidad_id,
            dependencia_id=caller.dependencia_id,
            ambito=sorted(caller.ambito),
        )


class LoginResponse(BaseModel):
    funcionario: CallerResponse
    csrf_token: str
    debe_cambiar_contrasena: bool


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class ChangePasswordRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actual: str = Field(min_length=1, max_length=1024)
    nueva: str = Field(min_length=1, max_length=1024)


def client_address(request: Request) -> str:
    """The caller's address: the socket's peer, or behind a proxy the configured header's value.

    Only a header the proxy sets is trusted (`SIGNUM_GATEWAY_CLIENT_IP_HEADER`); of a list
    (`X-Forwarded-For: a, b`) the last entry, the one the proxy itself saw."""
    header = request.app.state.settings.client_ip_header
    if header:
        given = request.headers.get(header, "").rsplit(",", 1)[-1].strip()
        if given:
            return given[:64]
    return request.client.host if request.client else ""


def set_session_cookies(request: Request, response: Response, issued: IssuedSession) -> None:
    secure = request.app.state.settings.public_url.startswith("https://")
    max_age = int((issued.expira - datetime.now(UTC)).total_seconds())
    response.set_cookie(
        SESSION_COOKIE, issued.token, max_age=max_age, httponly=True, secure=secure, samesite="lax"
    )
    response.set_cookie(
        CSRF_COOKIE, issued.csrf, max_age=max_age, httponly=False, secure=secure, samesite="lax"
    )


@router.post(
    "/auth/login", response_model=LoginResponse, dependencies=[Depends(public())], summary="Iniciar sesión"
)
async def login(
    body: LoginRequest, request: Request, response: Response, identity: IdentityDep
) -> LoginResponse:
    issued = await identity.login(body.usuario, body.contrasena, client=client_address(request))
    set_session_cookies(request, response, issued)
    return LoginResponse(
        funcionario=CallerResponse.of(issued.caller),
        csrf_token=issued.csrf,
        debe_cambiar_contrasena=issued.debe_cambiar,
    )


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    dependencies=[Depends(public())],
    summary="Obtener un token de acceso para la API",
)
async def token(body: LoginRequest, request: Request, identity: IdentityDep) -> TokenResponse:
    issued = await identity.login(body.usuario, body.contrasena, client=client_address(request))
    expires_in = int((issued.expira - datetime.now(UTC)).total_seconds())
    return TokenResponse(access_token=issued.token, expires_in=expires_in)


@router.post("/auth/logout", status_code=204, summary="Cerrar sesión")
async def logout(
    request: Request,
    response: Response,
    identity: IdentityDep,
    _: Caller = Depends(require(Action.SESION_LEER, temporary_password_ok=True)),
) -> Response:
    token = session_token(request)
    if token:
        await identity.logout(token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/sesion", response_model=CallerResponse, summary="Quién soy")
async def whoami(caller: Caller = Depends(require(Action.SESION_LEER))) -> CallerResponse:
    return CallerResponse.of(caller)


@router.post("/auth/contrasena", status_code=204, summary="Cambiar mi contraseña")
async def change_password(
    body: ChangePasswordRequest,
    request: Request,
    identity: IdentityDep,
    caller: Caller = Depends(require(Action.SESION_LEER, temporary_password_ok=True)),
) -> Response:
    # Ends every other session of the official; a temporary password's session may do all again.
    if caller.kind != "official":
        raise ForbiddenError("Una clave de API no tiene contraseña.", code="api_key_no_password")
    await identity.change_password(caller.id, body.actual, body.nueva, session_token=session_token(request))
    return Response(status_code=204)


def _oidc(request: Request) -> OidcClient:
    client: OidcClient | None = request.app.state.oidc
    if client is None:
        raise NotFoundError(
            "El inicio de sesión con el proveedor de identidad no está configurado.",
            code="oidc_not_configured",
        )
    return client


@router.get("/auth/oidc/login", dependencies=[Depends(public())], summary="Iniciar sesión con el municipio")
async def oidc_login(request: Request, next: str = Query(default="/", max_length=500)) -> RedirectResponse:
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    url = await _oidc(request).authorization_url(target, datetime.now(UTC))
    return RedirectResponse(url, status_code=302)


@router.get("/auth/oidc/callback", dependencies=[Depends(public())], summary="Regreso del proveedor")
async def oidc_callback(
    request: Request,
    identity: IdentityDep,
    code: str = Query(default="", max_length=2048),
    state: str = Query(default="", max_length=256),
    error: str = Query(default="", max_length=256),
) -> RedirectResponse:
    if error or not code or not state:
        raise OidcError("El proveedor de identidad no autorizó el inicio de sesión.")
    client = _oidc(request)
    value, next_path = await client.complete(code, state, datetime.now(UTC))
    directory = request.app.state.directory
    if client.config.maps_to == "numero_empleado":
        funcionario = await directory.funcionario(value)
    else:
        funcionario = await directory.funcionario_por_correo(value.strip().lower())
    if funcionario is None or not funcionario.activo:
        raise OidcError(
            "Su cuenta del municipio no corresponde a ningún funcionario activo de Signum.",
            code="oidc_unknown_official",
        )
    issued = await identity.open_session(funcionario.id, via="oidc")
    response = RedirectResponse(next_path, status_code=302)
    set_session_cookies(request, response, issued)
    return response
