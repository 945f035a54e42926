"""The web UI (Spanish). Log-in page and the official's start page; later issues add the inbox
and the editor."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from signum.gateway.deps import SESSION_COOKIE, identity, public
from signum.platform.errors import SignumError

router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1f3b63;color:#fff;padding:1rem 2rem;display:flex;justify-content:space-between;align-items:center}
header h1{margin:0;font-size:1.5rem} main{padding:2rem;max-width:52rem}
a{color:#1f3b63} .card{background:#fff;border-radius:8px;padding:1.5rem;box-shadow:0 1px 3px #0002;max-width:24rem}
label{display:block;margin:.8rem 0 .2rem} input{width:100%;padding:.5rem;box-sizing:border-box;font-size:1rem}
button{margin-top:1rem;padding:.6rem 1.2rem;background:#1f3b63;color:#fff;border:0;border-radius:4px;font-size:1rem;cursor:pointer}
.error{color:#a11;margin-top:.8rem} .muted{color:#667}
"""

LOGIN = """<!doctype html>
<html lang="es-MX"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signum — Iniciar sesión</title><style>{style}</style></head>
<body><header><h1>Signum</h1><span>Oficios digitales del municipio de Monterrey</span></header>
<main><div class="card">
<h2>Iniciar sesión</h2>
<form id="entrar">
<label for="usuario">Correo institucional</label><input id="usuario" name="usuario" autocomplete="username" required>
<label for="contrasena">Contraseña</label>
<input id="contrasena" name="contrasena" type="password" autocomplete="current-password" required>
<button type="submit">Entrar</button>
<p class="error" id="error" role="alert"></p>
</form>
{oidc}
</div></main>
<script>
document.getElementById("entrar").addEventListener("submit", async (e) => {{
  e.preventDefault();
  const body = {{usuario: e.target.usuario.value, contrasena: e.target.contrasena.value}};
  const r = await fetch("/api/v1/auth/login", {{method: "POST", headers: {{"content-type": "application/json"}},
    body: JSON.stringify(body), credentials: "same-origin"}});
  if (r.ok) {{ location.href = "/"; return; }}
  const err = await r.json().catch(() => ({{message: "No se pudo iniciar sesión."}}));
  document.getElementById("error").textContent = err.message;
}});
</script></body></html>"""

HOME = """<!doctype html>
<html lang="es-MX"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signum — Inicio</title><style>{style}</style></head>
<body><header><h1>Signum</h1><span id="quien">{nombre}</span></header>
<main>
<h2>Bienvenida(o), {nombre}</h2>
<p class="muted">Unidad: {unidad} · Roles: {roles}</p>
<ul>
<li><a href="/docs">Documentación de la API (OpenAPI)</a></li>
<li><a href="/readyz">Estado de la plataforma</a></li>
</ul>
<button id="salir">Cerrar sesión</button>
</main>
<script>
document.getElementById("salir").addEventListener("click", async () => {{
  const csrf = (document.cookie.split("; ").find(c => c.startsWith("signum_csrf=")) || "").split("=")[1] || "";
  await fetch("/api/v1/auth/logout", {{method: "POST", headers: {{"X-CSRF-Token": csrf}}, credentials: "same-origin"}});
  location.href = "/";
}});
</script></body></html>"""

ROLE_NAMES = {
    "funcionario": "funcionario",
    "titular": "titular",
    "oficialia": "oficialía de partes",
    "administrador": "administrador",
    "auditor": "auditor",
}


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            caller, _ = await identity(request).session_caller(token)
        except SignumError:
            caller = None
        if caller is not None:
            roles = ", ".join(ROLE_NAMES.get(r, r) for r in sorted(caller.roles))
            return HTMLResponse(
                HOME.format(
                    style=STYLE,
                    nombre=escape(caller.nombre or caller.id),
                    unidad=escape(caller.unidad_id or "—"),
                    roles=escape(roles),
                )
            )
    oidc = (
        '<p><a href="/api/v1/auth/oidc/login">Entrar con la cuenta del municipio</a></p>'
        if request.app.state.oidc is not None
        else ""
    )
    return HTMLResponse(LOGIN.format(style=STYLE, oidc=oidc))
