"""Web pages answer people with Spanish pages, the API answers programs with JSON; /docs works
offline; the platform status page is for administrators. (The real flows are in tests/ui.)"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from signum.gateway.app import build
from signum.gateway.settings import Settings
from signum.platform.identity import Caller
from signum.testing.processes import free_port

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def official(*roles: str) -> Caller:
    return Caller(kind="official", id="1001", nombre="Ana Prueba", roles=frozenset(roles), unidad_id="A")


class SignedIn:
    """Stands in for identity: any session token is `caller` (the real one is in e2e and ui)."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    async def session_caller(self, token: str) -> tuple[Caller, SimpleNamespace]:
        return self.caller, SimpleNamespace(debe_cambiar=False)  # a session with its own password


class NoUnits:
    """Stands in for the directory: it knows no unit (the page then shows the unit's id)."""

    async def unidad(self, unidad_id: str) -> None:
        return None


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for name in ("drafting", "routing", "signing", "storage", "metrics"):
        monkeypatch.setenv(f"SIGNUM_GATEWAY_{name.upper()}_URL", closed)
    app = build(Settings())

    @app.get("/prueba-de-falla")
    async def page_that_fails() -> None:
        raise RuntimeError("a bug")

    @app.get("/api/v1/prueba-de-falla")
    async def api_that_fails() -> None:
        raise RuntimeError("a bug")

    return app


Client = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[Client]:
    opened: list[httpx.AsyncClient] = []

    def make(caller: Caller | None = None) -> httpx.AsyncClient:
        app.state.identity = SignedIn(caller or official("funcionario"))
        app.state.directory = NoUnits()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        cookies = {"signum_sesion": "sesion-de-prueba"} if caller is not None else {}
        c = httpx.AsyncClient(transport=transport, base_url="http://gateway", cookies=cookies)
        opened.append(c)
        return c

    yield make
    for c in opened:
        await c.aclose()


def assert_spanish_page(response: httpx.Response, status: int, title: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="es-MX">' in response.text
    assert f"<h2>{title}</h2>" in response.text
    assert 'href="/static/signum.css"' in response.text


async def test_an_unknown_page_is_a_spanish_page_and_an_unknown_api_route_json(client: Client) -> None:
    anonymous = client()
    page = await anonymous.get("/no-existe", headers=HTML)
    assert_spanish_page(page, 404, "Página no encontrada")
    assert "no corresponde a ninguna página de Signum" in page.text
    api = await anonymous.get("/api/v1/no-existe", headers=HTML)
    assert (api.status_code, api.json()["code"]) == (404, "not_found")
    program = await anonymous.get("/no-existe", headers={"Accept": "application/json"})
    assert (program.status_code, program.json()["code"]) == (404, "not_found")


async def test_an_internal_error_is_a_spanish_page_with_a_code_for_support(client: Client) -> None:
    anonymous = client()
    page = await anonymous.get("/prueba-de-falla", headers=HTML | {"X-Correlation-ID": "seguimiento-123"})
    assert_spanish_page(page, 500, "Ocurrió un error")
    assert "Ocurrió un error inesperado" in page.text
    assert "<code>seguimiento-123</code>" in page.text
    assert "a bug" not in page.text
    assert "Traceback" not in page.text
    api = await anonymous.get("/api/v1/prueba-de-falla", headers=HTML)
    assert (api.status_code, api.json()["code"]) == (500, "internal_error")


async def test_a_forbidden_page_is_a_spanish_page(client: Client) -> None:
    clerk = client(official("funcionario"))
    page = await clerk.get("/plantillas", headers=HTML)
    assert_spanish_page(page, 403, "Acceso denegado")
    assert "Solo el personal administrador puede diseñar plantillas." in page.text


async def test_the_platform_status_page_is_for_administrators_only(client: Client) -> None:
    clerk = client(official("funcionario", "titular"))
    home = await clerk.get("/", headers=HTML)
    assert home.status_code == 200
    assert "Estado de la plataforma" not in home.text
    assert 'href="/plantillas"' not in home.text  # only what the person may do
    assert 'href="/readyz"' not in home.text
    refused = await clerk.get("/estado", headers=HTML)
    assert_spanish_page(refused, 403, "Acceso denegado")
    assert "Solo el personal administrador puede ver el estado de la plataforma." in refused.text
    assert (await client().get("/estado", headers=HTML)).headers["location"] == "/"

    admin = client(official("funcionario", "administrador"))
    home = await admin.get("/", headers=HTML)
    assert '<a href="/estado">Estado de la plataforma</a>' in home.text
    assert '<a href="/plantillas">Diseñar plantillas</a>' in home.text
    status = await admin.get("/estado", headers=HTML)
    assert status.status_code == 200
    assert "<h2>Estado de la plataforma</h2>" in status.text
    # Every service is unreachable here: each row says so in Spanish.
    rows = (("signing", "Firma electrónica y verificación"), ("drafting", "Redacción de oficios"))
    for name, label in rows:
        row = re.search(rf'<tr data-servicio="{name}">(.*?)</tr>', status.text)
        assert row, status.text
        assert label in row.group(1)
        assert "No disponible" in row.group(1)
    assert "Hay servicios que no están disponibles" in status.text
    assert (await admin.get("/readyz")).json()["ready"] is False  # operators keep their JSON


ADMIN_SECTIONS = ("cuentas", "directorio", "suplencias", "claves-api")


def _menu(page: httpx.Response) -> list[str]:
    nav = re.search(r'<header>.*?<nav aria-label="Principal">(.*?)</nav>', page.text, re.S)
    assert nav, page.text
    return re.findall(r'<a href="([^"]+)"', nav.group(1))


async def test_every_page_has_the_same_menu_with_only_what_the_person_may_open(client: Client) -> None:
    clerk = client(official("funcionario", "titular"))
    pages = ["/", "/bandeja", "/redaccion", "/firmar", "/indicadores"]
    everyone = [*pages, "/verificar"]
    for path in pages:
        page = await clerk.get(path, headers=HTML)
        assert _menu(page) == everyone, path
        assert f'<a href="{path}" aria-current="page">' in page.text
        assert "<title>Signum — " in page.text
        assert '<html lang="es-MX">' in page.text
    admin = client(official("funcionario", "administrador"))
    administration = ["/administracion", *(f"/administracion/{s}" for s in ADMIN_SECTIONS)]
    menu = [*everyone, "/plantillas", "/estado", "/administracion"]
    for path in (*pages, "/plantillas", "/estado", *administration):
        assert _menu(await admin.get(path, headers=HTML)) == menu, path
    for path in administration:  # each of its pages marks «Administración» and its own entry
        page = await admin.get(path, headers=HTML)
        assert '<a href="/administracion" aria-current="page">Administración</a>' in page.text
        subnav = re.search(r'<nav class="subnav" aria-label="Administración">(.*?)</nav>', page.text)
        if path == "/administracion":  # its start lists the pages as cards instead
            assert subnav is None
            assert re.findall(r'<li><a href="([^"]+)"', page.text) == administration[1:]
            continue
        assert subnav, path
        assert re.findall(r'<a href="([^"]+)"', subnav.group(1)) == administration[1:]
        assert f'<a href="{path}" aria-current="page">' in subnav.group(1)
    clerk = client(official("funcionario", "titular", "auditor"))  # the last client made is who signs in
    for path in administration:
        refused = await clerk.get(path, headers=HTML)
        assert refused.status_code == 403, path
        assert "Solo el personal administrador" in refused.text
    # Pages anyone may see lead home only; the sign-in page has no menu.
    assert _menu(await client().get("/verificar", headers=HTML)) == ["/"]
    assert _menu(await client().get("/no-existe", headers=HTML)) == ["/"]
    assert '<nav aria-label="Principal">' not in (await client().get("/", headers=HTML)).text


@pytest.mark.parametrize(
    ("roles", "menu"),
    [
        # An official (a secretary drafting for her director is one), a titular, the oficialía de
        # partes: they draft and may be asked to sign.
        (("funcionario",), ["/", "/bandeja", "/redaccion", "/firmar", "/indicadores", "/verificar"]),
        (
            ("funcionario", "titular"),
            ["/", "/bandeja", "/redaccion", "/firmar", "/indicadores", "/verificar"],
        ),
        (
            ("funcionario", "oficialia"),
            ["/", "/bandeja", "/redaccion", "/firmar", "/indicadores", "/verificar"],
        ),
        # An auditor consults: oficios they receive, indicators, verification; no drafting, no signing.
        (("funcionario", "auditor"), ["/", "/bandeja", "/indicadores", "/verificar"]),
        # ... unless they also head a unit.
        (
            ("funcionario", "auditor", "titular"),
            ["/", "/bandeja", "/redaccion", "/firmar", "/indicadores", "/verificar"],
        ),
        (
            ("funcionario", "administrador"),
            [
                "/",
                "/bandeja",
                "/redaccion",
                "/firmar",
                "/indicadores",
                "/verificar",
                "/plantillas",
                "/estado",
                "/administracion",
            ],
        ),
    ],
)
async def test_each_role_s_menu_and_start_page_offer_what_the_policy_lets_them_do(
    client: Client, roles: tuple[str, ...], menu: list[str]
) -> None:
    person = client(official(*roles))
    home = await person.get("/", headers=HTML)
    assert _menu(home) == menu
    drafts, signs = "/redaccion" in menu, "/firmar" in menu
    assert ('href="/redaccion"' in home.text) is drafts
    assert ('href="/firmar"' in home.text) is signs
    assert ('data-pendiente="por_firmar"' in home.text) is signs
    for path, offered in (("/redaccion", drafts), ("/firmar", signs)):
        page = await person.get(path, headers=HTML)
        if offered:
            assert page.status_code == 200, path
        else:
            assert_spanish_page(page, 403, "Acceso denegado")
            assert "Su cuenta es de consulta (auditoría)" in page.text
    # A draft they take part in still opens (a collaborator's link from the inbox).
    assert (await person.get("/redaccion?oficio=OF-1", headers=HTML)).status_code == 200
    inbox = await person.get("/bandeja", headers=HTML)
    assert f'data-firma="{int(signs)}"' in inbox.text


async def test_docs_load_only_local_assets_that_answer(client: Client) -> None:
    anonymous = client()
    docs = await anonymous.get("/docs", headers=HTML)
    assert docs.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url:\s*["']([^"']+)["']""", docs.text)
    found = [a or b for a, b in urls]
    assert any(u.endswith("swagger-ui-bundle.js") for u in found), found
    assert any(u.endswith("swagger-ui.css") for u in found), found
    assert "/openapi.json" in found
    for url in found:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        assert (await anonymous.get(url)).status_code == 200, url
    assert "http://" not in docs.text
    assert "https://" not in docs.text
    assert (await anonymous.get("/redoc", headers=HTML)).status_code == 404


async def test_the_verification_form_and_a_typed_code(client: Client) -> None:
    anonymous = client()
    form = await anonymous.get("/verificar", headers=HTML)
    assert form.status_code == 200
    assert form.headers["content-type"].startswith("text/html")
    assert 'id="zona"' in form.text
    assert 'type="file"' in form.text
    assert 'name="codigo"' in form.text
    typed = await anonymous.get("/verificar", params={"codigo": " https://x.mx/verificar/acuse-e1 "})
    assert (typed.status_code, typed.headers["location"]) == (303, "/verificar/acuse-e1")
    blank = await anonymous.get("/verificar", params={"codigo": "  "}, headers=HTML)
    assert blank.status_code == 422
    assert "Escriba el código de verificación" in blank.text


async def test_the_verification_page_says_in_spanish_when_signing_is_down(client: Client) -> None:
    anonymous = client()
    page = await anonymous.get("/verificar/0193-oficio", headers=HTML)
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in page.text
    assert "Intente de nuevo" in page.text
    api = await anonymous.get("/api/v1/verificar/0193-oficio")
    assert api.status_code == 503
    assert api.json()["code"] == "signing_unavailable"
