"""Identity against a real MongoDB-wire server: accounts, lockout, sessions, API keys, callers."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from signum.gateway.directory.domain import Suplencia
from signum.gateway.identity import passwords
from signum.gateway.identity.errors import (
    AccountLockedError,
    AmbiguousUserError,
    InvalidApiKeyError,
    InvalidCredentialsError,
    SessionRequiredError,
    UserNameTakenError,
    WeakPasswordError,
)
from signum.gateway.identity.limits import AddressLimiter
from signum.gateway.identity.repository import IdentityRepository, Session
from signum.gateway.identity.service import IdentityService, LoginPolicy
from signum.platform.errors import ValidationFailedError
from signum.platform.mongo import build_mongo_client
from signum.platform.settings import InfraSettings
from tests.identity.conftest import DirectoryStub, funcionario

pytestmark = pytest.mark.stack

PASSWORD = "Monterrey2026seguro"


async def test_password_hashes_are_argon2id_and_never_the_password() -> None:
    hashed = passwords.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert PASSWORD not in hashed
    assert passwords.verify_password(hashed, PASSWORD)
    assert not passwords.verify_password(hashed, PASSWORD + "x")
    assert not passwords.verify_password(None, PASSWORD)


@pytest.mark.parametrize("weak", ["corta1", "sinnumerosninguno", "123456789012"])
async def test_weak_passwords_are_refused_in_spanish(weak: str) -> None:
    with pytest.raises(WeakPasswordError) as info:
        passwords.hash_password(weak)
    assert "al menos 12 caracteres" in info.value.message


async def test_login_opens_a_session_whose_caller_comes_from_the_directory(identity: IdentityService) -> None:
    await identity.set_password("1001", "ana@monterrey.gob.mx", PASSWORD)
    issued = await identity.login("  ANA@monterrey.gob.mx ", PASSWORD)
    caller, session = await identity.session_caller(issued.token)
    assert caller.id == "1001"
    assert caller.roles == {"funcionario", "titular"}
    assert caller.unidad_id == "SIGA-DGTI"
    assert caller.ambito == {"SIGA-DGTI", "SIGA-DGTI-DS"}
    assert identity.csrf_matches(session, issued.csrf)
    assert not identity.csrf_matches(session, "otro")
    await identity.logout(issued.token)
    with pytest.raises(SessionRequiredError):
        await identity.session_caller(issued.token)


async def test_the_user_part_of_the_email_logs_in_when_only_one_account_has_it(
    identity: IdentityService, directory: DirectoryStub, identity_repo: IdentityRepository
) -> None:
    await identity.set_password("1001", "ana@monterrey.gob.mx", PASSWORD)
    issued = await identity.login(" Ana ", PASSWORD)
    assert (await identity.session_caller(issued.token))[0].id == "1001"
    with pytest.raises(InvalidCredentialsError):
        await identity.login("ana", PASSWORD + "x")
    with pytest.raises(InvalidCredentialsError):
        await identity.login("ana@otro.gob.mx", PASSWORD)  # a full address must match whole

    # The same user part in two domains: refused with a message saying what to type, never guessed.
    directory.funcionarios["1003"] = funcionario("1003", "ana@dif.monterrey.gob.mx")
    await identity.set_password("1003", "ana@dif.monterrey.gob.mx", PASSWORD)
    with pytest.raises(AmbiguousUserError) as info:
        await identity.login("ana", PASSWORD)
    assert "correo institucional completo" in info.value.message
    assert info.value.status_code == 401
    issued = await identity.login("ana@dif.monterrey.gob.mx", PASSWORD)
    assert (await identity.session_caller(issued.token))[0].id == "1003"


async def test_accounts_written_before_get_their_user_part_at_start(
    identity_repo: IdentityRepository,
) -> None:
    await identity_repo.accounts.insert_one({"_id": "7001", "usuario": "eva.solis@monterrey.gob.mx"})
    await identity_repo.ensure_indexes()
    (found,) = await identity_repo.accounts_by_local_part("Eva.Solis")
    assert found.funcionario_id == "7001"


@pytest.mark.timeout(180)
async def test_sessions_oidc_states_and_counted_failures_expire_by_a_ttl_index(infra: InfraSettings) -> None:
    """MongoDB removes them once `expira` passes (no purge job); a database whose `expira` index
    came before the TTL gets it replaced at start."""
    client = build_mongo_client(infra)
    db: Any = client[infra.database_name("gateway_ttl")]
    try:
        await db["sesiones"].create_index("expira")  # the plain index of earlier versions
        repo = IdentityRepository(db)
        await repo.ensure_indexes()
        for coll in (repo.sessions, repo.oidc_states, repo.attempts):
            on_expira = [ix async for ix in coll.list_indexes() if dict(ix["key"]) == {"expira": 1}]
            assert [(ix["name"], ix.get("expireAfterSeconds")) for ix in on_expira] == [("expira_ttl", 0)]

        now = datetime.now(UTC)
        await repo.create_session(Session("vencida", "1001", "c", now - timedelta(minutes=1), "local"), now)
        await repo.create_session(Session("vigente", "1001", "c", now + timedelta(hours=1), "local"), now)
        await repo.save_oidc_state("vencido", {"expira": now - timedelta(minutes=1)})
        assert await repo.claim_attempt("usuario:ana", 5, now, now - timedelta(seconds=1)) == 1
        deadline = asyncio.get_running_loop().time() + 150
        while (
            await repo.session("vencida")
            or await repo.oidc_states.find_one({"_id": "vencido"})
            or await repo.attempts.find_one({})
        ):
            assert asyncio.get_running_loop().time() < deadline, "an expired document was never removed"
            await asyncio.sleep(1)  # polling the server's TTL monitor, which has no event to wait on
        assert await repo.session("vigente") is not None
    finally:
        await client.drop_database(db.name)
        client.close()


async def test_session_tokens_are_stored_only_as_hashes(
    identity: IdentityService, identity_repo: IdentityRepository
) -> None:
    await identity.set_password("1001", "ana@monterrey.gob.mx", PASSWORD)
    issued = await identity.login("ana@monterrey.gob.mx", PASSWORD)
    stored = [d async for d in identity_repo.sessions.find({})]
    assert len(stored) == 1
    assert issued.token not in str(stored)


async def test_brute_force_is_slowed_then_locked(
    identity_repo: IdentityRepository, directory: DirectoryStub, login_policy: LoginPolicy
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # the real wait, and what it was asked to be
        waits.append(seconds)
        await asyncio.sleep(seconds)

    identity = IdentityService(identity_repo, directory, login_policy=login_policy, sleep=sleep)
    await identity.set_password("1001", "ana@monterrey.gob.mx", PASSWORD)
    timings = []
    for attempt in range(1, login_policy.lock_after):
        started = time.monotonic()
        with pytest.raises(InvalidCredentialsError) as info:
            await identity.login("ana@monterrey.gob.mx", f"intento-{attempt}")
        timings.append(time.monotonic() - started)
        assert info.value.message == "Usuario o contraseña incorrectos."
    # The first failures answer at once; later ones wait longer and longer (the password check's
    # own time varies too much on a busy machine to compare two answers' times).
    assert waits == [login_policy.delay(n) for n in range(1, login_policy.lock_after)]
    assert waits[0] == 0
    assert waits[-1] > waits[-2] > 0
    assert timings[-1] >= waits[-1] * 0.9
    with pytest.raises(AccountLockedError):
        await identity.login("ana@monterrey.gob.mx", "intento-final")
    # Locked: even the right password is refused until an administrator unlocks it.
    with pytest.raises(AccountLockedError) as locked:
        await identity.login("ana@monterrey.gob.mx", PASSWORD)
    assert locked.value.status_code == 423
    assert "bloqueada" in locked.value.message
    await identity.unlock("1001")
    assert (await identity.login("ana@monterrey.gob.mx", PASSWORD)).caller.id == "1001"


async def test_unknown_users_get_the_same_answer_and_the_same_slowdown(
    identity: IdentityService, login_policy: LoginPolicy
) -> None:
    started = time.monotonic()
    for _ in range(login_policy.delay_from + 1):
        with pytest.raises(InvalidCredentialsError) as info:
            await identity.login("nadie@monterrey.gob.mx", PASSWORD)
    assert info.value.message == "Usuario o contraseña incorrectos."
    assert time.monotonic() - started >= login_policy.delay(login_policy.delay_from) * 0.9


async def test_admin_reset_gives_a_temporary_password_and_ends_sessions(identity: IdentityService) -> None:
    await identity.set_password("1003", "eva@monterrey.gob.mx", PASSWORD)
    before = await identity.login("eva@monterrey.gob.mx", PASSWORD)
    temporary = await identity.reset_password("1003")
    with pytest.raises(SessionRequiredError):
        await identity.session_caller(before.token)
    with pytest.raises(InvalidCredentialsError):
        await identity.login("eva@monterrey.gob.mx", PASSWORD)
    issued = await identity.login("eva@monterrey.gob.mx", temporary)
    assert issued.debe_cambiar
    await identity.change_password("1003", temporary, "OtraClaveSegura2027", session_token=issued.token)
    assert not (await identity.login("eva@monterrey.gob.mx", "OtraClaveSegura2027")).debe_cambiar


async def test_an_administrator_sees_who_has_an_account_a_temporary_password_or_a_lock(
    identity: IdentityService, directory: DirectoryStub, login_policy: LoginPolicy
) -> None:
    temporary = await identity.create_account("1001")
    assert re.fullmatch(r"([A-Z0-9]{5}-){3}[A-Z0-9]{5}", temporary)
    assert not set(temporary) & set("0O1IS5Z2B8")  # nothing to misread on the phone
    states = await identity.account_states(["1001", "1003", "no-existe"])
    assert set(states) == {"1001"}  # only who has an account
    ana = states["1001"]
    assert (ana.usuario, ana.debe_cambiar, ana.bloqueada_hasta) == ("ana@monterrey.gob.mx", True, None)
    assert ana.creada is not None
    assert ana.ultimo_acceso is None
    # Failures under the user part alone lock the account too (each name has its own count).
    for attempt in range(1, login_policy.lock_after):
        with pytest.raises(InvalidCredentialsError):
            await identity.login("ana", f"intento-{attempt}")
    assert (await identity.account_states(["1001"]))["1001"].bloqueada_hasta is None  # not yet
    with pytest.raises(AccountLockedError):
        await identity.login("ana", "intento-final")
    locked = (await identity.account_states(["1001"]))["1001"].bloqueada_hasta
    assert locked is not None
    assert timedelta(minutes=login_policy.lock_minutes - 1) < locked - datetime.now(UTC)
    await identity.unlock("1001")
    assert (await identity.account_states(["1001"]))["1001"].bloqueada_hasta is None
    issued = await identity.login("ana@monterrey.gob.mx", temporary)
    assert (await identity.account_states(["1001"]))["1001"].ultimo_acceso is not None
    assert issued.debe_cambiar


async def test_accounts_refuse_a_user_name_of_another_and_an_official_who_left(
    identity: IdentityService, directory: DirectoryStub
) -> None:
    await identity.create_account("1001")
    with pytest.raises(UserNameTakenError) as taken:
        await identity.create_account("1003", "ANA@monterrey.gob.mx")
    assert (taken.value.status_code, taken.value.code) == (409, "usuario_taken")
    assert taken.value.message == "Ese nombre de usuario ya es de la cuenta de otro funcionario; elija otro."
    assert set(await identity.account_states(["1003"])) == set()
    directory.funcionarios["1003"] = replace(directory.funcionarios["1003"], activo=False)
    with pytest.raises(ValidationFailedError) as inactive:
        await identity.create_account("1003")
    assert inactive.value.code == "funcionario_inactive"
    assert set(await identity.account_states(["1003"])) == set()


async def test_api_keys_are_shown_once_hashed_at_rest_and_revocable_at_once(
    identity: IdentityService, identity_repo: IdentityRepository
) -> None:
    key, token = await identity.create_api_key(
        "Sistema de transparencia", {"oficio.leer"}, {"SIGA-DGTI"}, "1002"
    )
    stored = await identity_repo.api_keys.find_one({"_id": key.id})
    assert stored is not None
    assert token.split("_", 2)[2] not in str(stored)
    caller = await identity.api_key_caller(token)
    assert (caller.kind, caller.scopes, caller.oficinas) == ("api_key", {"oficio.leer"}, {"SIGA-DGTI"})
    assert (await identity_repo.api_key(key.id)).ultimo_uso is not None  # type: ignore[union-attr]
    await identity.revoke_api_key(key.id)
    with pytest.raises(InvalidApiKeyError):
        await identity.api_key_caller(token)
    with pytest.raises(InvalidApiKeyError):
        await identity.api_key_caller(token[:-2] + "xx")


async def test_a_stand_in_oversees_the_absent_titular_units(
    identity: IdentityService, directory: DirectoryStub
) -> None:
    today = date.today()
    directory.suplencias.append(Suplencia("S1", "P-DIR", "1003", today, today, "Vacaciones"))
    caller = await identity.caller_of("1003")
    assert "titular" in caller.roles
    assert caller.unidad_id == "SIGA-DGTI-DS"
    assert caller.ambito == {"SIGA-DGTI", "SIGA-DGTI-DS"}


class CountingWorkers(passwords.PasswordWorkers):
    """The real password threads, counting how many passwords they check."""

    def __init__(self) -> None:
        super().__init__(threads=1, queue=64)
        self.checked = 0

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        self.checked += 1
        return await super().verify(stored_hash, password)


async def _counted_identity(
    identity_repo: IdentityRepository, directory: DirectoryStub, login_policy: LoginPolicy
) -> tuple[IdentityService, CountingWorkers]:
    """Ana's account, with password threads that count the passwords they check."""
    workers = CountingWorkers()
    identity = IdentityService(
        identity_repo,
        directory,
        login_policy=login_policy,
        workers=workers,
        addresses=AddressLimiter(1000, 60),
    )
    await identity.set_password("1001", "ana@monterrey.gob.mx", PASSWORD)
    return identity, workers


async def test_40_parallel_wrong_passwords_check_at_most_the_limit(
    identity_repo: IdentityRepository, directory: DirectoryStub, login_policy: LoginPolicy
) -> None:
    identity, workers = await _counted_identity(identity_repo, directory, login_policy)
    results = await asyncio.gather(
        *(identity.login("ana@monterrey.gob.mx", f"mala-{n}") for n in range(40)), return_exceptions=True
    )
    assert workers.checked == login_policy.lock_after
    assert sum(isinstance(r, InvalidCredentialsError) for r in results) == login_policy.lock_after - 1
    assert sum(isinstance(r, AccountLockedError) for r in results) == 40 - login_policy.lock_after + 1
    with pytest.raises(AccountLockedError):
        await identity.login("ana@monterrey.gob.mx", PASSWORD)
    assert workers.checked == login_policy.lock_after  # locked: not even checked
    workers.close()


async def test_an_unknown_user_name_costs_and_answers_like_a_known_one(
    identity_repo: IdentityRepository, directory: DirectoryStub, login_policy: LoginPolicy
) -> None:
    identity, workers = await _counted_identity(identity_repo, directory, login_policy)

    async def attempts(usuario: str) -> list[tuple[str, str, int]]:
        found = []
        for n in range(login_policy.lock_after + 2):
            before = workers.checked
            try:
                await identity.login(usuario, f"mala-{n}")
            except (InvalidCredentialsError, AccountLockedError) as error:
                found.append((error.code, error.message, workers.checked - before))
        return found

    known, unknown = await attempts("ana@monterrey.gob.mx"), await attempts("nadie@monterrey.gob.mx")
    assert known == unknown
    # One argon2 check per counted attempt (against a dummy hash when there is no account), none once locked.
    assert [checks for _, _, checks in known] == [1] * login_policy.lock_after + [0, 0]
    # Each name typed counts on its own, with or without an account: locking the e-mail says
    # nothing through the user part.
    assert await attempts("ana") == await attempts("nadie")
    workers.close()
