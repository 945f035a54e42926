"""The only module of identity that talks to MongoDB: accounts, sessions, API keys, OIDC states.

Sessions, OIDC states and counted failed logins carry `expira`; a TTL index on it lets MongoDB
remove them once it passes (its monitor runs every minute). Until then a read checks `expira`
itself, so an expired session or state is refused the moment it expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError, OperationFailure

from signum.gateway.identity.errors import UserNameTakenError


def local_part(usuario: str) -> str:
    """`Mariana.Salinas@monterrey.gob.mx` -> `mariana.salinas` (one may log in with it alone)."""
    return usuario.strip().lower().split("@", 1)[0]


@dataclass(frozen=True)
class Account:
    funcionario_id: str
    usuario: str
    password_hash: str | None
    fallidos: int = 0
    bloqueada_hasta: datetime | None = None
    debe_cambiar: bool = False
    creada: datetime | None = None
    ultimo_acceso: datetime | None = None


@dataclass(frozen=True)
class Session:
    token_hash: str
    funcionario_id: str
    csrf: str
    expira: datetime
    via: str
    debe_cambiar: bool = False


@dataclass(frozen=True)
class ApiKey:
    id: str
    nombre: str
    hash: str
    scopes: frozenset[str]
    oficinas: frozenset[str]
    creada_por: str
    creada: datetime
    revocada: datetime | None = None
    ultimo_uso: datetime | None = None


class IdentityRepository:
    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.accounts = db["cuentas"]
        self.sessions = db["sesiones"]
        self.api_keys = db["api_keys"]
        self.oidc_states = db["oidc_estados"]
        # One document per failed login still counted against a user name (`<key>:<n>`, n from 1
        # to the limit): a unique `_id` lets parallel attempts never claim more than the limit,
        # and each counted failure expires on its own.
        self.attempts = db["intentos_fallidos"]

    async def ensure_indexes(self) -> None:
        await self.accounts.create_index("usuario", unique=True)
        await self.accounts.create_index("usuario_local")
        # Accounts written before logging in with the user part existed.
        async for doc in self.accounts.find({"usuario_local": {"$exists": False}}, {"usuario": 1}):
            await self.accounts.update_one(
                {"_id": doc["_id"]}, {"$set": {"usuario_local": local_part(doc["usuario"])}}
            )
        await self.sessions.create_index("funcionario_id")
        for expiring in (self.sessions, self.oidc_states, self.attempts):
            await _expire_at_expira(expiring)

    # --- accounts ---------------------------------------------------------------------------

    async def account_by_user(self, usuario: str) -> Account | None:
        doc = await self.accounts.find_one({"usuario": usuario.strip().lower()})
        return None if doc is None else _account(doc)

    async def accounts_by_local_part(self, usuario: str, limit: int = 2) -> list[Account]:
        """Accounts whose e-mail starts with `usuario@` (at most `limit`: two already mean ambiguous)."""
        cursor = self.accounts.find({"usuario_local": local_part(usuario)}).limit(limit)
        return [_account(d) async for d in cursor]

    async def account(self, funcionario_id: str) -> Account | None:
        doc = await self.accounts.find_one({"_id": funcionario_id})
        return None if doc is None else _account(doc)

    async def accounts_of(self, funcionario_ids: list[str]) -> list[Account]:
        """The accounts of these officials (those who have one)."""
        cursor = self.accounts.find({"_id": {"$in": sorted(set(funcionario_ids))}})
        return [_account(d) async for d in cursor]

    async def upsert_account(
        self, funcionario_id: str, usuario: str, password_hash: str, *, debe_cambiar: bool, now: datetime
    ) -> None:
        """Create or replace an official's account; raises UserNameTakenError when another
        official's account already has `usuario`."""
        try:
            await self._upsert_account(funcionario_id, usuario, password_hash, debe_cambiar, now)
        except DuplicateKeyError:
            raise UserNameTakenError(details={"usuario": usuario.strip().lower()}) from None

    async def _upsert_account(
        self, funcionario_id: str, usuario: str, password_hash: str, debe_cambiar: bool, now: datetime
    ) -> None:
        await self.accounts.update_one(
            {"_id": funcionario_id},
            {
                "$set": {
                    "usuario": usuario.strip().lower(),
                    "usuario_local": local_part(usuario),
                    "password_hash": password_hash,
                    "debe_cambiar": debe_cambiar,
                    "fallidos": 0,
                    "bloqueada_hasta": None,
                    "actualizada": now,
                },
                "$setOnInsert": {"creada": now},
            },
            upsert=True,
        )

    async def claim_attempt(self, key: str, limit: int, now: datetime, expira: datetime) -> int | None:
        """Claim the next of `limit` attempt slots of `key` (1-based); None when all are taken.

        A slot whose time ran out is freed and claimed again. The claim is released
        (`clear_attempts`) when the password was right, and kept when it was wrong."""
        for n in range(1, limit + 1):
            slot = f"{key}:{n}"
            for _ in range(2):
                try:
                    await self.attempts.insert_one({"_id": slot, "clave": key, "expira": expira})
                    return n
                except DuplicateKeyError:
                    freed = await self.attempts.delete_one({"_id": slot, "expira": {"$lte": now}})
                    if freed.deleted_count == 0:
                        break
        return None

    async def counted_failures(self, keys: list[str], limit: int, now: datetime) -> dict[str, list[datetime]]:
        """For each key, when each failure still counted against it stops counting."""
        found: dict[str, list[datetime]] = {}
        slots = [f"{key}:{n}" for key in sorted(set(keys)) for n in range(1, limit + 1)]
        cursor = self.attempts.find({"_id": {"$in": slots}, "expira": {"$gt": now}})
        async for doc in cursor:
            found.setdefault(doc["clave"], []).append(doc["expira"])
        return found

    async def extend_attempts(self, key: str, limit: int, expira: datetime) -> None:
        """Keep every slot of `key` taken until `expira` (the account stays locked until then)."""
        slots = [f"{key}:{n}" for n in range(1, limit + 1)]
        await self.attempts.update_many({"_id": {"$in": slots}}, {"$set": {"expira": expira}})

    async def clear_attempts(self, key: str, limit: int) -> None:
        """Forget the failures counted against `key` (right password, unlock, new password)."""
        slots = [f"{key}:{n}" for n in range(1, limit + 1)]
        await self.attempts.delete_many({"_id": {"$in": slots}})

    async def record_success(self, funcionario_id: str, now: datetime) -> None:
        await self.accounts.update_one(
            {"_id": funcionario_id},
            {"$set": {"ultimo_acceso": now}},
        )

    async def unlock(self, funcionario_id: str) -> bool:
        result = await self.accounts.update_one(
            {"_id": funcionario_id}, {"$set": {"fallidos": 0, "bloqueada_hasta": None}}
        )
        return result.matched_count == 1

    async def set_password(self, funcionario_id: str, password_hash: str, *, debe_cambiar: bool) -> bool:
        result = await self.accounts.update_one(
            {"_id": funcionario_id},
            {
                "$set": {
                    "password_hash": password_hash,
                    "debe_cambiar": debe_cambiar,
                    "fallidos": 0,
                    "bloqueada_hasta": None,
                }
            },
        )
        return result.matched_count == 1

    # --- sessions ---------------------------------------------------------------------------

    async def create_session(self, session: Session, now: datetime) -> None:
        await self.sessions.insert_one(
            {
                "_id": session.token_hash,
                "funcionario_id": session.funcionario_id,
                "csrf": session.csrf,
                "expira": session.expira,
                "via": session.via,
                "debe_cambiar": session.debe_cambiar,
                "creada": now,
            }
        )

    async def session(self, token_hash: str) -> Session | None:
        doc = await self.sessions.find_one({"_id": token_hash})
        if doc is None:
            return None
        return Session(
            doc["_id"],
            doc["funcionario_id"],
            doc["csrf"],
            doc["expira"],
            doc["via"],
            bool(doc.get("debe_cambiar", False)),
        )

    async def delete_session(self, token_hash: str) -> None:
        await self.sessions.delete_one({"_id": token_hash})

    async def delete_sessions_of(self, funcionario_id: str, *, except_token_hash: str | None = None) -> None:
        """End every session of an official (but the one given, if any)."""
        query: dict[str, Any] = {"funcionario_id": funcionario_id}
        if except_token_hash is not None:
            query["_id"] = {"$ne": except_token_hash}
        await self.sessions.delete_many(query)

    async def password_changed(self, token_hash: str) -> None:
        """The session that changed its temporary password may now do everything."""
        await self.sessions.update_one({"_id": token_hash}, {"$set": {"debe_cambiar": False}})

    # --- API keys ---------------------------------------------------------------------------

    async def insert_api_key(self, key: ApiKey) -> None:
        await self.api_keys.insert_one(
            {
                "_id": key.id,
                "nombre": key.nombre,
                "hash": key.hash,
                "scopes": sorted(key.scopes),
                "oficinas": sorted(key.oficinas),
                "creada_por": key.creada_por,
                "creada": key.creada,
                "revocada": None,
                "ultimo_uso": None,
            }
        )

    async def api_key(self, key_id: str) -> ApiKey | None:
        doc = await self.api_keys.find_one({"_id": key_id})
        return None if doc is None else _api_key(doc)

    async def api_keys_list(self) -> list[ApiKey]:
        return [_api_key(d) async for d in self.api_keys.find({}).sort("creada", -1)]

    async def revoke_api_key(self, key_id: str, now: datetime) -> bool:
        result = await self.api_keys.update_one(
            {"_id": key_id, "revocada": None}, {"$set": {"revocada": now}}
        )
        return result.matched_count == 1

    async def touch_api_key(self, key_id: str, now: datetime) -> None:
        await self.api_keys.update_one({"_id": key_id}, {"$set": {"ultimo_uso": now}})

    # --- OIDC -------------------------------------------------------------------------------

    async def save_oidc_state(self, state: str, data: dict[str, Any]) -> None:
        await self.oidc_states.insert_one({"_id": state, **data})

    async def take_oidc_state(self, state: str) -> dict[str, Any] | None:
        """Read and delete: a state is good for one callback only."""
        doc: dict[str, Any] | None = await self.oidc_states.find_one_and_delete({"_id": state})
        return doc


TTL_INDEX = "expira_ttl"


async def _expire_at_expira(collection: AsyncIOMotorCollection[Any]) -> None:
    """A TTL index on `expira`: MongoDB removes each document once its `expira` has passed."""
    try:
        # The plain index of the same key that came before (removed by a job then).
        await collection.drop_index("expira_1")
    except OperationFailure as exc:
        if exc.code not in (26, 27):  # NamespaceNotFound (a new collection), IndexNotFound
            raise
    await collection.create_index([("expira", ASCENDING)], expireAfterSeconds=0, name=TTL_INDEX)


def _account(doc: dict[str, Any]) -> Account:
    return Account(
        funcionario_id=doc["_id"],
        usuario=doc["usuario"],
        password_hash=doc.get("password_hash"),
        fallidos=int(doc.get("fallidos", 0)),
        bloqueada_hasta=doc.get("bloqueada_hasta"),
        debe_cambiar=bool(doc.get("debe_cambiar", False)),
        creada=doc.get("creada"),
        ultimo_acceso=doc.get("ultimo_acceso"),
    )


def _api_key(doc: dict[str, Any]) -> ApiKey:
    return ApiKey(
        id=doc["_id"],
        nombre=doc["nombre"],
        hash=doc["hash"],
        scopes=frozenset(doc.get("scopes", [])),
        oficinas=frozenset(doc.get("oficinas", [])),
        creada_por=doc["creada_por"],
        creada=doc["creada"],
        revocada=doc.get("revocada"),
        ultimo_uso=doc.get("ultimo_uso"),
    )
