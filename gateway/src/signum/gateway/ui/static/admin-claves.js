// Claves de API: list them, create one (name, permissions, offices; the key is shown once), revoke.
"use strict";

(function () {
  const { $, el, say, fail, quiet, call, confirmar, loadUnits, dateTime, copy } = Admin;
  const permissionNames = new Map(
    [...document.querySelectorAll("#permisos input")].map((i) => [i.value, i.parentElement.textContent.trim()]));
  const people = new Map(); // creator id -> name
  let units = new Map();
  const chosen = new Set(); // unit ids of the key being created

  async function nameOf(id) {
    if (!people.has(id)) {
      people.set(id, call("GET", `/api/v1/directorio/funcionarios/${encodeURIComponent(id)}`)
        .then((f) => f.nombre_completo).catch(() => id));
    }
    return people.get(id);
  }

  async function row(key) {
    const revoked = Boolean(key.revocada);
    const cell = el("td", { class: "acciones" });
    if (!revoked) {
      const button = el("button", { type: "button", class: "peligro", text: "Revocar" });
      button.addEventListener("click", () => revoke(key, button));
      cell.append(button);
    }
    return el("tr", { "data-clave": key.id, class: revoked ? "revocada" : "" },
      el("td", {}, el("strong", { text: key.nombre }), el("br"), el("span", { class: "muted", text: `Id. ${key.id}` })),
      el("td", {}, el("ul", { class: "compacta" }, ...key.permisos.map((p) => el("li", { text: permissionNames.get(p) || p })))),
      el("td", {}, el("ul", { class: "compacta" }, ...key.oficinas.map((u) => el("li", { text: units.has(u) ? units.get(u).nombre : u })))),
      el("td", { text: `${dateTime(key.creada)}, por ${await nameOf(key.creada_por)}` }),
      el("td", { text: key.ultimo_uso ? dateTime(key.ultimo_uso) : "Nunca" }),
      el("td", {}, el("span", {
        class: revoked ? "estado-mal" : "estado-ok",
        text: revoked ? `Revocada el ${dateTime(key.revocada)}` : "Activa",
      })),
      cell);
  }

  async function list() {
    try {
      const keys = await call("GET", "/api/v1/admin/api-keys");
      // Active keys first, each group newest first (as the API gives them).
      keys.sort((a, b) => Number(Boolean(a.revocada)) - Number(Boolean(b.revocada)));
      const rows = await Promise.all(keys.map(row));
      $("claves").tBodies[0].replaceChildren(...rows);
      $("claves").hidden = keys.length === 0;
      $("vacio").hidden = keys.length !== 0;
    } catch (exc) {
      fail(exc.message);
    }
  }

  async function revoke(key, button) {
    quiet();
    const ok = await confirmar({
      titulo: `¿Revocar la clave «${key.nombre}»?`,
      texto: "El sistema que la usa dejará de poder entrar a Signum en este momento. No se puede deshacer: si la necesita otra vez, cree una clave nueva.",
      boton: "Revocar la clave",
    });
    if (!ok) return;
    button.disabled = true;
    try {
      await call("DELETE", `/api/v1/admin/api-keys/${encodeURIComponent(key.id)}`);
      say(`Se revocó la clave «${key.nombre}».`);
      await list();
    } catch (exc) {
      button.disabled = false;
      fail(exc.message);
    }
  }

  // --- create -------------------------------------------------------------------------------

  function showOffices() {
    $("oficinas").replaceChildren(...[...chosen].map((id) => {
      const remove = el("button", { type: "button", class: "secundario", text: "Quitar", "aria-label": `Quitar ${units.get(id).nombre}` });
      remove.addEventListener("click", () => { chosen.delete(id); showOffices(); });
      return el("li", { "data-unidad": id }, el("span", { text: units.get(id).nombre + " " }), remove);
    }));
    $("sin-oficinas").hidden = chosen.size > 0;
  }

  function addOffice() {
    const id = $("oficina").value;
    if (!id) return;
    chosen.add(id);
    $("oficina").value = "";
    showOffices();
  }

  async function create(event) {
    event.preventDefault();
    quiet();
    const shown = $("crear-error");
    shown.textContent = "";
    const permisos = [...document.querySelectorAll("#permisos input:checked")].map((i) => i.value);
    if (permisos.length === 0) {
      shown.textContent = "Elija al menos un permiso.";
      return;
    }
    if (chosen.size === 0) {
      shown.textContent = "Agregue al menos una oficina por la que actúe la clave.";
      return;
    }
    const button = $("crear-boton");
    button.disabled = true;
    try {
      const created = await call("POST", "/api/v1/admin/api-keys", {
        nombre: $("nombre").value.trim(),
        permisos,
        oficinas: [...chosen],
      });
      $("crear").reset();
      chosen.clear();
      showOffices();
      $("nueva-clave-nombre").textContent = created.nombre;
      $("nueva-clave-valor").textContent = created.clave;
      const box = $("nueva-clave");
      box.hidden = false;
      say(`Se creó la clave «${created.nombre}».`);
      await list();
      box.scrollIntoView({ block: "start" });
      box.focus();
    } catch (exc) {
      shown.textContent = exc.message;
    } finally {
      button.disabled = false;
    }
  }

  $("agregar-oficina").addEventListener("click", addOffice);
  $("crear").addEventListener("submit", create);
  $("nueva-clave-copiar").addEventListener("click", () => copy($("nueva-clave-valor"), $("nueva-clave-copiar")));
  $("nueva-clave-listo").addEventListener("click", () => {
    $("nueva-clave-valor").textContent = "";
    $("nueva-clave").hidden = true;
  });
  loadUnits($("oficina")).then((found) => { units = found; }).then(list).catch((exc) => fail(exc.message));
})();
