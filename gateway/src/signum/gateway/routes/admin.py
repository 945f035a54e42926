"""Administration: local accounts and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from signum.gateway.deps import IdentityDep, require
from signum.gateway.identity.repository import ApiKey
from signum.gateway.identity.service import AccountState
from signum.platform.identity import Caller
from signum.platform.policy import Action

router = APIRouter(prefix="/api/v1/admin", tags=["administración"])

Accounts = Depends(require(Action.CUENTAS_ADMINISTRAR))
Keys = Depends(require(Action.API_KEYS_ADMINISTRAR))


class CreateAccountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    funcionario_id: str = Field(min_length=1, max_length=64)
    usuario: str | None = Field(
        default=None, min_length=3, max_length=320, description="Por omisión, su correo."
    )


class TemporaryPasswordResponse(BaseModel):
    funcionario_id: str
    contrasena_temporal: str = Field(description="Se muestra una sola vez; debe cambiarse al entrar.")


class AccountResponse(BaseModel):
    funcionario_id: str
    tiene_cuenta: bool
    usuario: str | None = Field(description="Con qué inicia sesión (su correo, o la parte antes de la @).")
    debe_cambiar: bool = Field(description="Tiene una contraseña temporal que aún no cambia.")
    bloqueada_hasta: datetime | None = Field(
        description="Bloqueada por intentos fallidos hasta entonces; null si no está bloqueada."
    )
    creada: datetime | None
    ultimo_acceso: datetime | None

    @classmethod
    def of(cls, funcionario_id: str, state: AccountState | None) -> AccountResponse:
        if state is None:
            return cls(
                funcionario_id=funcionario_id,
                tiene_cuenta=False,
                usuario=None,
                debe_cambiar=False,
                bloqueada_hasta=None,
                creada=None,
                ultimo_acceso=None,
            )
        return cls(
            funcionario_id=funcionario_id,
            tiene_cuenta=True,
            usuario=state.usuario,
            debe_cambiar=state.debe_cambiar,
            bloqueada_hasta=state.bloqueada_hasta,
            creada=state.creada,
            ultimo_acceso=state.ultimo_acceso,
        )


class CreateApiKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nombre: str = Field(min_length=1, max_length=200)
    permisos: list[str] = Field(min_length=1, max_length=20, description="Acciones permitidas.")
    oficinas: list[str] = Field(min_length=1, max_length=500, description="Unidades por las que actúa.")


class ApiKeyResponse(BaseModel):
    id: str
    nombre: str
    permisos: list[str]
    oficinas: list[str]
    creada_por: str
    creada: datetime
    revocada: datetime | None
    ultimo_uso: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyResponse:
        return cls(
            id=key.id,
            nombre=key.nombre,
            permisos=sorted(key.scopes),
            oficinas=sorted(key.oficinas),
            creada_por=key.creada_por,
            creada=key.creada,
            revocada=key.revocada,
            ultimo_uso=key.ultimo_uso,
        )


class NewApiKeyResponse(ApiKeyResponse):
    clave: str = Field(description="Se muestra una sola vez; Signum guarda solo su huella.")


@router.post(
    "/cuentas",
    status_code=status.HTTP_201_CREATED,
    response_model=TemporaryPasswordResponse,
    summary="Crear cuenta local",
)
async def create_account(
    body: CreateAccountRequest, identity: IdentityDep, _: Caller = Accounts
) -> TemporaryPasswordResponse:
    temporary = await identity.create_account(body.funcionario_id, body.usuario)
    return TemporaryPasswordResponse(funcionario_id=body.funcionario_id, contrasena_temporal=temporary)


@router.get("/cuentas", response_model=list[AccountResponse], summary="Estado de las cuentas locales")
async def accounts(
    identity: IdentityDep,
    _: Caller = Accounts,
    funcionario: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Query(
        min_length=1,
        max_length=200,
        description="Números de empleado (repita el parámetro por cada uno).",
    ),
) -> list[AccountResponse]:
    ids = list(dict.fromkeys(funcionario))
    states = await identity.account_states(ids)
    return [AccountResponse.of(i, states.get(i)) for i in ids]


@router.post(
    "/cuentas/{funcionario_id}/restablecer",
    response_model=TemporaryPasswordResponse,
    summary="Restablecer contraseña",
)
async def reset_password(
    funcionario_id: str, identity: IdentityDep, _: Caller = Accounts
) -> TemporaryPasswordResponse:
    temporary = await identity.reset_password(funcionario_id)
    return TemporaryPasswordResponse(funcionario_id=funcionario_id, contrasena_temporal=temporary)


@router.post("/cuentas/{funcionario_id}/desbloquear", status_code=204, summary="Desbloquear cuenta")
async def unlock(funcionario_id: str, identity: IdentityDep, _: Caller = Accounts) -> Response:
    await identity.unlock(funcionario_id)
    return Response(status_code=204)


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=NewApiKeyResponse,
    summary="Crear clave de API",
)
async def create_api_key(
    body: CreateApiKeyRequest, identity: IdentityDep, caller: Caller = Keys
) -> NewApiKeyResponse:
    key, token = await identity.create_api_key(body.nombre, set(body.permisos), set(body.oficinas), caller.id)
    return NewApiKeyResponse(**ApiKeyResponse.of(key).model_dump(), clave=token)


@router.get("/api-keys", response_model=list[ApiKeyResponse], summary="Claves de API")
async def list_api_keys(identity: IdentityDep, _: Caller = Keys) -> list[ApiKeyResponse]:
    return [ApiKeyResponse.of(k) for k in await identity.list_api_keys()]


@router.delete("/api-keys/{key_id}", status_code=204, summary="Revocar clave de API")
async def revoke_api_key(key_id: str, identity: IdentityDep, _: Caller = Keys) -> Response:
    await identity.revoke_api_key(key_id)
    return Response(status_code=204)
