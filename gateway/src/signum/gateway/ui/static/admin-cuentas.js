// Cuentas: find an official in the directory; create their local account, give them a new
// temporary password, or unlock it. A temporary password is shown once, then forgotten.
"use strict";

(function () {
  const { $, el, say, fail, quiet, call, confirmar, loadUnits, dateTime, copy } = Admin;
  const PAGE = 20;
  const shown = new Map(); // funcionario id -> {funcionario, cuenta, row}
  let next = null;

  function accountCell(f, account) {
    if (!f.activo) return el("td", {}, el("span", { class: "estado-mal", text: "Dado de baja" }));
    if (!account || !account.tiene_cuenta) return el("td", {}, el("span", { class: "muted", text: "Sin cuenta" }));
    const cell = el("td", {});
    if (account.bloqueada_hasta) {
      cell.append(el("span", { class: "estado-mal", text: `Bloqueada hasta ${dateTime(account.bloqueada_hasta)}` }));
    } else if (account.debe_cambiar) {
      cell.append(el("span", { class: "estado-pendiente", text: "Con contraseña temporal (aún no la cambia)" }));
    } else {
      cell.append(el("span", { class: "estado-ok", text: "Activa" }));
    }
    cell.append(el("br"), el("span", { class: "muted", text: `Usuario: ${account.usuario}` }));
    if (account.ultimo_acceso) {
      cell.append(el("br"), el("span", { class: "muted", text: `Último acceso: ${dateTime(account.ultimo_acceso)}` }));
    }
    return cell;
  }

  function actions(f, account) {
    const cell = el("td", { class: "acciones" });
    if (!f.activo) return cell;
    const button = (text, handler, secondary) => {
      const b = el("button", { type: "button", text, class: secondary ? "secundario" : "" });
      b.dataset.accion = text;
      b.addEventListener("click", () => handler(f, b));
      cell.append(b);
    };
    if (!account || !account.tiene_cuenta) {
      button("Crear cuenta", openCreate);
    } else {
      if (account.bloqueada_hasta) button("Desbloquear", unlock);
      button("Restablecer contraseña", reset, true);
    }
    return cell;
  }

  function render(f, account) {
    const puesto = f.puesto
      ? [el("span", { text: f.puesto.titulo }), el("br"),
         el("span", { class: "muted", text: f.unidad ? f.unidad.nombre : "" })]
      : [el("span", { class: "muted", text: "Sin puesto" })];
    const row = el("tr", { "data-funcionario": f.id },
      el("td", {}, el("strong", { text: f.nombre_completo }), el("br"),
        el("span", { class: "muted", text: `Núm. ${f.id} · ${f.correo}` })),
      el("td", {}, ...puesto),
      accountCell(f, account),
      actions(f, account));
    const before = shown.get(f.id);
    if (before) before.row.replaceWith(row);
    shown.set(f.id, { funcionario: f, cuenta: account, row });
    return row;
  }

  async function accountsOf(ids) {
    if (ids.length === 0) return new Map();
    const query = ids.map((id) => "funcionario=" + encodeURIComponent(id)).join("&");
    const found = await call("GET", "/api/v1/admin/cuentas?" + query);
    return new Map(found.map((a) => [a.funcionario_id, a]));
  }

  async function search(more) {
    quiet();
    $("resultado").textContent = "Buscando…";
    const form = $("buscar");
    const params = new URLSearchParams({ limite: String(PAGE) });
    if (form.q.value.trim()) params.set("q", form.q.value.trim());
    if (form.unidad.value) params.set("unidad", form.unidad.value);
    if (more && next) params.set("cursor", next);
    const body = $("funcionarios").tBodies[0];
    try {
      const page = await call("GET", "/api/v1/directorio/funcionarios?" + params);
      const accounts = await accountsOf(page.funcionarios.map((f) => f.id));
      if (!more) {
        body.replaceChildren();
        shown.clear();
      }
      for (const f of page.funcionarios) body.append(render(f, accounts.get(f.id)));
      next = page.siguiente;
      $("mas").hidden = !next;
      $("funcionarios").hidden = body.rows.length === 0;
      const count = shown.size;
      $("resultado").textContent = count === 0
        ? "Nadie en el directorio coincide con la búsqueda."
        : `${count} funcionario(s)${next ? " (hay más)" : ""}.`;
    } catch (exc) {
      fail(exc.message);
    }
  }

  async function refresh(id) {
    const item = shown.get(id);
    const accounts = await accountsOf([id]);
    render(item.funcionario, accounts.get(id));
  }

  function showTemporary(f, usuario, password) {
    $("temporal-nombre").textContent = f.nombre_completo;
    $("temporal-usuario").textContent = usuario;
    $("temporal-valor").textContent = password;
    const box = $("temporal");
    box.hidden = false;
    box.scrollIntoView({ block: "start" });
    box.focus();
  }

  function hideTemporary() {
    $("temporal-valor").textContent = "";
    $("temporal").hidden = true;
  }

  let creating = null;

  function openCreate(f) {
    quiet();
    creating = f;
    $("crear-nombre").textContent = f.nombre_completo;
    $("crear-usuario").value = f.correo;
    $("crear-error").textContent = "";
    $("crear").showModal();
    $("crear-usuario").select();
  }

  async function create(event) {
    event.preventDefault();
    const f = creating;
    const usuario = $("crear-usuario").value.trim();
    const button = $("crear-confirmar");
    button.disabled = true;
    try {
      const body = { funcionario_id: f.id };
      if (usuario && usuario.toLowerCase() !== f.correo.toLowerCase()) body.usuario = usuario;
      const answer = await call("POST", "/api/v1/admin/cuentas", body);
      $("crear").close();
      await refresh(f.id);
      say(`Se creó la cuenta de ${f.nombre_completo}.`);
      showTemporary(f, body.usuario || f.correo, answer.contrasena_temporal);
    } catch (exc) {
      $("crear-error").textContent = exc.message;
    } finally {
      button.disabled = false;
    }
  }

  async function reset(f) {
    quiet();
    const ok = await confirmar({
      titulo: `¿Restablecer la contraseña de ${f.nombre_completo}?`,
      texto: "Se le dará una contraseña temporal nueva: la actual deja de servir y se cierran las sesiones que tenga abiertas.",
      boton: "Restablecer contraseña",
    });
    if (!ok) return;
    try {
      const answer = await call("POST", `/api/v1/admin/cuentas/${encodeURIComponent(f.id)}/restablecer`);
      await refresh(f.id);
      say(`Se restableció la contraseña de ${f.nombre_completo}.`);
      showTemporary(f, shown.get(f.id).cuenta.usuario, answer.contrasena_temporal);
    } catch (exc) {
      fail(exc.message);
    }
  }

  async function unlock(f) {
    quiet();
    try {
      await call("POST", `/api/v1/admin/cuentas/${encodeURIComponent(f.id)}/desbloquear`);
      await refresh(f.id);
      say(`Se desbloqueó la cuenta de ${f.nombre_completo}: ya puede iniciar sesión.`);
    } catch (exc) {
      fail(exc.message);
    }
  }

  $("buscar").addEventListener("submit", (event) => { event.preventDefault(); search(false); });
  $("mas").addEventListener("click", () => search(true));
  $("crear-form").addEventListener("submit", create);
  $("crear-cancelar").addEventListener("click", () => $("crear").close());
  $("temporal-copiar").addEventListener("click", () => copy($("temporal-valor"), $("temporal-copiar")));
  $("temporal-listo").addEventListener("click", hideTemporary);
  loadUnits($("unidad")).catch((exc) => fail(exc.message));
  $("resultado").textContent = "Escriba un nombre, correo o número de empleado, o elija una unidad, y pulse «Buscar».";
})();
