"""Identity use cases: log in (slowed, then locked, on repeated failures), sessions, API keys, and
the `Caller` of each request, built from the directory (roles, own unit, units overseen).

A user name with no account is treated as one with an account and a wrong password: the same
check against a dummy hash, the same counted failures, the same lock and the same answers, so
nothing tells whether an account exists."""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from signum.gateway.directory.domain import GRANTABLE_ROLES, Funcionario, Puesto, Suplencia, Unidad
from signum.gateway.identity import passwords, tokens
from signum.gateway.identity.errors import (
    AccountLockedError,
    AmbiguousUserError,
    InvalidApiKeyError,
    InvalidCredentialsError,
    SessionRequiredError,
)
from signum.gateway.identity.limits import AddressLimiter
from signum.gateway.identity.repository import Account, ApiKey, IdentityRepository, Session, local_part
from signum.platform.errors import NotFoundError, ValidationFailedError
from signum.platform.identity import Caller
from signum.platform.policy import API_KEY_ACTIONS

CALLER_CACHE_SECONDS = 10.0


class Directory(Protocol):
    """What identity reads of the directory."""

    async def funcionario(self, id: str) -> Funcionario | None: ...
    async def funcionario_por_correo(self, correo: str) -> Funcionario | None: ...
    async def puesto_de(self, funcionario_id: str) -> Puesto | None: ...
    async def puesto(self, id: str) -> Puesto | None: ...
    async def unidad(self, id: str) -> Unidad | None: ...
    async def subunidades(self, unidad_id: str) -> list[str]: ...
    async def suplencias_vigentes(self, suplente_id: str, on: date) -> list[Suplencia]: ...


@dataclass(frozen=True)
class LoginPolicy:
    """Brute-force protection: failures slow the answer, then lock the account."""

    lock_after: int = 5
    lock_minutes: int = 15
    delay_from: int = 2  # failures before answers start being delayed
    delay_base_seconds: float = 0.5
    delay_max_seconds: float = 8.0

    def delay(self, failures: int) -> float:
        if failures < self.delay_from:
            return 0.0
        return float(min(self.delay_base_seconds * 2 ** (failures - self.delay_from), self.delay_max_seconds))


@dataclass(frozen=True)
class AccountState:
    """An official's local account as an administrator sees it (never its password)."""

    funcionario_id: str
    usuario: str
    debe_cambiar: bool
    bloqueada_hasta: datetime | None  # locked by failed logins until then; None if not locked
    creada: datetime | None
    ultimo_acceso: datetime | None


@dataclass(frozen=True)
class IssuedSession:
    token: str
    csrf: str
    expira: datetime
    caller: Caller
    debe_cambiar: bool = False


class IdentityService:
    def __init__(
        self,
        repository: IdentityRepository,
        directory: Directory,
        *,
        session_ttl: timedelta = timedelta(hours=10),
        login_policy: LoginPolicy = LoginPolicy(),
        workers: passwords.PasswordWorkers | None = None,
        addresses: AddressLimiter | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._sleep = sleep
        self._repo = repository
        self._directory = directory
        self._ttl = session_ttl
        self._login = login_policy
        self._clock = clock
        self._callers: dict[str, tuple[float, Caller]] = {}
        self._workers = workers or passwords.PasswordWorkers()
        self._addresses = addresses or AddressLimiter(limit=30, window_seconds=300)

    # --- log in and out ---------------------------------------------------------------------

    async def login(self, usuario: str, contrasena: str, *, client: str = "") -> IssuedSession:
        """Check a local login; `client` is the caller's address (limited separately)."""
        mark = self._addresses.begin(client)
        account = await self._account_of(usuario)
        # Failures count per user name as typed (the e-mail, or its user part), whether an account
        # has it or not: keyed by account, "ana" and "ana@..." would share a counter only when the
        # account exists, and locking one then trying the other would tell. So an account gets the
        # limit under each of its two names.
        await self._check_password(
            _attempt_key(usuario), account.password_hash if account else None, contrasena
        )
        assert account is not None  # a right password implies an account
        await self._forget_failures(account.usuario)
        funcionario = await self._directory.funcionario(account.funcionario_id)
        if funcionario is None or not funcionario.activo:
            raise InvalidCredentialsError
        self._addresses.succeeded(client, mark)
        await self._repo.record_success(account.funcionario_id, self._clock())
        return await self.open_session(account.funcionario_id, via="local", debe_cambiar=account.debe_cambiar)

    async def _account_of(self, usuario: str) -> Account | None:
        """By e-mail, or by its user part (`mariana.salinas`) when only one account has it."""
        if "@" in usuario:
            return await self._repo.account_by_user(usuario)
        found = await self._repo.accounts_by_local_part(usuario)
        if len(found) > 1:
            raise AmbiguousUserError
        return found[0] if found else None

    async def _check_password(
        self, key: str, stored_hash: str | None, password: str, wrong: InvalidCredentialsError | None = None
    ) -> None:
        """Check a password against the failures counted for `key`; raise on a wrong one.

        An attempt first claims one of the `lock_after` slots of `key` (an atomic insert), so
        however many arrive at once, at most `lock_after` passwords are checked before the lock."""
        policy = self._login
        now = self._clock()
        slot = await self._repo.claim_attempt(
            key, policy.lock_after, now, now + timedelta(minutes=policy.lock_minutes)
        )
        if slot is None:
            raise AccountLockedError
        if stored_hash is not None and await self._workers.verify(stored_hash, password):
            return  # the caller forgets the failures
        if stored_hash is None:
            await self._workers.verify(None, password)  # the same cost as a real check
        if slot >= policy.lock_after:
            locked_until = self._clock() + timedelta(minutes=policy.lock_minutes)
            await self._repo.extend_attempts(key, policy.lock_after, locked_until)
        await self._sleep(policy.delay(slot))
        if slot >= policy.lock_after:
            raise AccountLockedError
        raise wrong or InvalidCredentialsError()

    async def _forget_failures(self, usuario: str) -> None:
        """Forget the failures counted against both names of an account."""
        for name in {usuario, local_part(usuario)}:
            await self._repo.clear_attempts(_attempt_key(name), self._login.lock_after)

    async def open_session(
        self, funcionario_id: str, *, via: str, debe_cambiar: bool = False
    ) -> IssuedSession:
        caller = await self.caller_of(funcionario_id)
        token, csrf = tokens.new_secret(), tokens.new_secret()
        now = self._clock()
        session = Session(tokens.digest(token), funcionario_id, csrf, now + self._ttl, via, debe_cambiar)
        await self._repo.create_session(session, now)
        return IssuedSession(token, csrf, session.expira, caller, debe_cambiar)

    def close(self) -> None:
        """Stop the password threads (at shutdown)."""
        self._workers.close()

    async def logout(self, token: str) -> None:
        await self._repo.delete_session(tokens.digest(token))

    async def session_caller(self, token: str) -> tuple[Caller, Session]:
        """The caller of a session token; raises if unknown or expired."""
        session = await self._repo.session(tokens.digest(token))
        if session is None or session.expira <= self._clock():
            raise SessionRequiredError
        return await self.caller_of(session.funcionario_id), session

    @staticmethod
    def csrf_matches(session: Session, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(session.csrf.encode(), given.encode())

    # --- callers ----------------------------------------------------------------------------

    async def caller_of(self, funcionario_id: str) -> Caller:
        """The caller an official is right now: roles, own unit and units overseen (cached briefly)."""
        cached = self._callers.get(funcionario_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        caller = await self._build_caller(funcionario_id)
        self._callers[funcionario_id] = (time.monotonic() + CALLER_CACHE_SECONDS, caller)
        return caller

    def forget(self, funcionario_id: str) -> None:
        self._callers.pop(funcionario_id, None)

    async def _build_caller(self, funcionario_id: str) -> Caller:
        funcionario = await self._directory.funcionario(funcionario_id)
        if funcionario is None or not funcionario.activo:
            raise SessionRequiredError
        roles = {"funcionario", *(r for r in funcionario.roles if r in GRANTABLE_ROLES)}
        ambito: set[str] = set()
        puesto = await self._directory.puesto_de(funcionario_id)
        unidad = await self._directory.unidad(puesto.unidad_id) if puesto else None
        if puesto is not None and puesto.es_titular:
            roles.add("titular")
            ambito.update(await self._directory.subunidades(puesto.unidad_id))
        suplidos: set[str] = set()
        for suplencia in await self._directory.suplencias_vigentes(funcionario_id, self._clock().date()):
            suplido = await self._directory.puesto(suplencia.puesto_id)
            if suplido is not None and suplido.funcionario_id:
                suplidos.add(suplido.funcionario_id)  # reads what the absent holder received
            if suplido is not None and suplido.es_titular:
                roles.add("titular")
                ambito.update(await self._directory.subunidades(suplido.unidad_id))
        return Caller(
            kind="official",
            id=funcionario.id,
            nombre=funcionario.nombre_completo,
            roles=frozenset(roles),
            unidad_id=unidad.id if unidad else None,
            dependencia_id=unidad.dependencia_id if unidad else None,
            ambito=frozenset(ambito),
            suplidos=frozenset(suplidos),
        )

    # --- accounts (administrators) ----------------------------------------------------------

    async def create_account(self, funcionario_id: str, usuario: str | None = None) -> str:
        """Create or reset a local account; returns the temporary password, shown once."""
        funcionario = await self._directory.funcionario(funcionario_id)
        if funcionario is None:
            raise NotFoundError("No existe el funcionario indicado.", code="funcionario_not_found")
        if not funcionario.activo:
            raise ValidationFailedError(
                "El funcionario está dado de baja: no puede iniciar sesión, así que no se le crea cuenta.",
                code="funcionario_inactive",
            )
        temporary = passwords.temporary_password()
        await self._repo.upsert_account(
            funcionario_id,
            usuario or funcionario.correo,
            await self._workers.hash(temporary),
            debe_cambiar=True,
            now=self._clock(),
        )
        await self._forget_failures(usuario or funcionario.correo)
        await self._repo.delete_sessions_of(funcionario_id)
        return temporary

    async def account_states(self, funcionario_ids: list[str]) -> dict[str, AccountState]:
        """The accounts of these officials (those who have one), with whether each is locked:
        failed logins fill every slot of one of its two user names (`_check_password`)."""
        accounts = await self._repo.accounts_of(funcionario_ids)
        now = self._clock()
        names = {a.funcionario_id: {a.usuario, local_part(a.usuario)} for a in accounts}
        counted = await self._repo.counted_failures(
            [_attempt_key(n) for found in names.values() for n in found], self._login.lock_after, now
        )
        states = {}
        for account in accounts:
            locks = [
                min(counted[key])
                for key in (_attempt_key(n) for n in names[account.funcionario_id])
                if len(counted.get(key, ())) >= self._login.lock_after
            ]
            states[account.funcionario_id] = AccountState(
                funcionario_id=account.funcionario_id,
                usuario=account.usuario,
                debe_cambiar=account.debe_cambiar,
                bloqueada_hasta=max(locks) if locks else None,
                creada=account.creada,
                ultimo_acceso=account.ultimo_acceso,
            )
        return states

    async def set_password(self, funcionario_id: str, usuario: str, contrasena: str) -> None:
        """Set a known password (demo data and first-run setup only)."""
        await self._repo.upsert_account(
            funcionario_id,
            usuario,
            await self._workers.hash(contrasena),
            debe_cambiar=False,
            now=self._clock(),
        )
        await self._forget_failures(usuario)

    async def reset_password(self, funcionario_id: str) -> str:
        account = await self._repo.account(funcionario_id)
        if account is None:
            raise NotFoundError("El funcionario no tiene cuenta local.", code="account_not_found")
        temporary = passwords.temporary_password()
        await self._repo.set_password(funcionario_id, await self._workers.hash(temporary), debe_cambiar=True)
        await self._forget_failures(account.usuario)
        await self._repo.delete_sessions_of(funcionario_id)
        return temporary

    async def unlock(self, funcionario_id: str) -> None:
        account = await self._repo.account(funcionario_id)
        if account is None or not await self._repo.unlock(funcionario_id):
            raise NotFoundError("El funcionario no tiene cuenta local.", code="account_not_found")
        await self._forget_failures(account.usuario)

    async def change_password(
        self, funcionario_id: str, actual: str, nueva: str, *, session_token: str
    ) -> None:
        """Change one's own password from a session: a wrong `actual` counts as a failed login;
        every other session of the official ends, and this one may do everything again."""
        account = await self._repo.account(funcionario_id)
        if account is None:
            raise InvalidCredentialsError("La contraseña actual no es correcta.")
        if actual == nueva:
            raise ValidationFailedError("La nueva contraseña debe ser distinta.", code="password_unchanged")
        passwords.check_strength(nueva)
        await self._check_password(
            _attempt_key(account.usuario),
            account.password_hash,
            actual,
            InvalidCredentialsError("La contraseña actual no es correcta."),
        )
        await self._repo.set_password(funcionario_id, await self._workers.hash(nueva), debe_cambiar=False)
        await self._forget_failures(account.usuario)
        token_hash = tokens.digest(session_token)
        await self._repo.delete_sessions_of(funcionario_id, except_token_hash=token_hash)
        await self._repo.password_changed(token_hash)

    # --- API keys ---------------------------------------------------------------------------

    async def create_api_key(
        self, nombre: str, scopes: set[str], oficinas: set[str], creada_por: str
    ) -> tuple[ApiKey, str]:
        """A new key; the secret is in the returned token only, never stored."""
        unknown = scopes - {a.value for a in API_KEY_ACTIONS}
        if unknown or not scopes:
            raise ValidationFailedError(
                "Permisos no válidos para una clave de API.",
                code="api_key_scopes_invalid",
                details={
                    "permitidos": sorted(a.value for a in API_KEY_ACTIONS),
                    "invalidos": sorted(unknown),
                },
            )
        for unidad_id in oficinas:
            if await self._directory.unidad(unidad_id) is None:
                raise ValidationFailedError(
                    f"No existe la unidad {unidad_id}.",
                    code="unidad_not_found",
                    details={"unidad": unidad_id},
                )
        key_id, secret = secrets.token_hex(8), tokens.new_secret()
        key = ApiKey(
            id=key_id,
            nombre=nombre,
            hash=tokens.digest(secret),
            scopes=frozenset(scopes),
            oficinas=frozenset(oficinas),
            creada_por=creada_por,
            creada=self._clock(),
        )
        await self._repo.insert_api_key(key)
        return key, tokens.format_api_key(key_id, secret)

    async def api_key_caller(self, token: str) -> Caller:
        """The caller of an API key; a revoked key stops working at once (no cache)."""
        parsed = tokens.parse_api_key(token)
        if parsed is None:
            raise InvalidApiKeyError
        key_id, secret = parsed
        key = await self._repo.api_key(key_id)
        if (
            key is None
            or key.revocada is not None
            or not hmac.compare_digest(key.hash, tokens.digest(secret))
        ):
            raise InvalidApiKeyError
        await self._repo.touch_api_key(key_id, self._clock())
        return Caller(kind="api_key", id=key.id, nombre=key.nombre, scopes=key.scopes, oficinas=key.oficinas)

    async def list_api_keys(self) -> list[ApiKey]:
        return await self._repo.api_keys_list()

    async def revoke_api_key(self, key_id: str) -> None:
        if not await self._repo.revoke_api_key(key_id, self._clock()):
            raise NotFoundError("No existe la clave de API o ya estaba revocada.", code="api_key_not_found")


def _attempt_key(usuario: str) -> str:
    """What failed logins are counted against: the user name as typed, normalized."""
    return "usuario:" + usuario.strip().lower()[:320]
