// Suplencias: the current and coming ones (or all), register one (unit -> position, a stand-in
// found by name, dates, reason), cancel one.
"use strict";

(function () {
  const { $, el, say, fail, quiet, call, confirmar, loadUnits, date, today } = Admin;

  function state(s) {
    const now = today();
    if (s.cancelada) return ["Cancelada", "muted"];
    if (s.hasta < now) return ["Terminada", "muted"];
    if (s.desde > now) return ["Programada", "estado-pendiente"];
    return ["Vigente", "estado-ok"];
  }

  function row(s) {
    const [label, style] = state(s);
    const cell = el("td", { class: "acciones" });
    if (!s.cancelada && s.hasta >= today()) {
      const button = el("button", { type: "button", class: "peligro", text: "Cancelar" });
      button.addEventListener("click", () => cancel(s, button));
      cell.append(button);
    }
    return el("tr", { "data-suplencia": s.id },
      el("td", {}, el("span", { text: s.puesto_titulo || s.puesto_id }), el("br"),
        el("span", { class: "muted", text: s.unidad_nombre || "" })),
      el("td", { text: s.ausente_nombre || "Puesto vacante" }),
      el("td", { text: s.suplente_nombre || s.suplente_id }),
      el("td", { text: `Del ${date(s.desde)} al ${date(s.hasta)}` }),
      el("td", { text: s.motivo || "—" }),
      el("td", {}, el("span", { class: style, text: label })),
      cell);
  }

  async function list() {
    try {
      const all = $("todas").checked;
      const found = await call("GET", "/api/v1/directorio/suplencias" + (all ? "" : "?actuales=true"));
      found.sort((a, b) => (b.desde.localeCompare(a.desde)));
      $("suplencias").tBodies[0].replaceChildren(...found.map(row));
      $("suplencias").hidden = found.length === 0;
      $("vacio").hidden = found.length !== 0;
      $("vacio").textContent = all ? "No hay suplencias registradas." : "No hay suplencias vigentes ni por venir.";
    } catch (exc) {
      fail(exc.message);
    }
  }

  async function cancel(s, button) {
    quiet();
    const who = s.ausente_nombre ? ` de ${s.ausente_nombre}` : "";
    const ok = await confirmar({
      titulo: `¿Cancelar la suplencia${who}?`,
      texto: `${s.suplente_nombre || s.suplente_id} dejará de suplir en el puesto «${s.puesto_titulo || s.puesto_id}» desde ahora.`,
      boton: "Cancelar la suplencia",
    });
    if (!ok) return;
    button.disabled = true;
    try {
      await call("DELETE", `/api/v1/directorio/suplencias/${encodeURIComponent(s.id)}`);
      say("Se canceló la suplencia.");
      await list();
    } catch (exc) {
      button.disabled = false;
      fail(exc.message);
    }
  }

  // --- the form -----------------------------------------------------------------------------

  function options(select, placeholder, items) {
    select.replaceChildren(el("option", { value: "", text: placeholder }), ...items);
  }

  async function positions() {
    const select = $("puesto");
    const unit = $("unidad").value;
    select.disabled = true;
    if (!unit) {
      options(select, "Primero elija la unidad", []);
      return;
    }
    try {
      const detail = await call("GET", `/api/v1/directorio/unidades/${encodeURIComponent(unit)}`);
      const active = detail.puestos.filter((p) => p.activo);
      options(select, active.length ? "Elija el puesto…" : "La unidad no tiene puestos",
        active.map((p) => el("option", {
          value: p.id,
          text: `${p.titulo} — ${p.ocupante ? p.ocupante.nombre_completo : "vacante"}`,
        })));
      select.disabled = active.length === 0;
    } catch (exc) {
      fail(exc.message);
    }
  }

  async function findStandIn() {
    quiet();
    const text = $("suplente-buscar").value.trim();
    const select = $("suplente");
    if (!text) {
      fail("Escriba el nombre, correo o número de empleado del suplente.");
      return;
    }
    try {
      const page = await call("GET", "/api/v1/directorio/funcionarios?" + new URLSearchParams({ q: text, limite: "20" }));
      const active = page.funcionarios.filter((f) => f.activo);
      options(select, active.length ? `Elija entre ${active.length} resultado(s)…` : "Nadie coincide con la búsqueda",
        active.map((f) => el("option", {
          value: f.id,
          text: `${f.nombre_completo} (núm. ${f.id})${f.puesto ? " — " + f.puesto.titulo : ""}`,
        })));
      select.disabled = active.length === 0;
      if (active.length === 1) select.value = active[0].id;
      if (active.length) select.focus();
    } catch (exc) {
      fail(exc.message);
    }
  }

  async function register(event) {
    event.preventDefault();
    quiet();
    $("nueva-error").textContent = "";
    $("nueva-aviso").textContent = "";
    const button = $("registrar");
    button.disabled = true;
    try {
      const created = await call("POST", "/api/v1/directorio/suplencias", {
        puesto_id: $("puesto").value,
        suplente_id: $("suplente").value,
        desde: $("desde").value,
        hasta: $("hasta").value,
        motivo: $("motivo").value.trim(),
      });
      $("nueva-aviso").textContent = `Se registró la suplencia: ${created.suplente_nombre || created.suplente_id} suple a ${created.ausente_nombre || "quien ocupe el puesto"} del ${date(created.desde)} al ${date(created.hasta)}.`;
      $("nueva").reset();
      $("desde").value = today();
      options($("puesto"), "Primero elija la unidad", []);
      $("puesto").disabled = true;
      options($("suplente"), "Primero busque a la persona", []);
      $("suplente").disabled = true;
      await list();
    } catch (exc) {
      $("nueva-error").textContent = exc.message;
    } finally {
      button.disabled = false;
    }
  }

  $("todas").addEventListener("change", list);
  $("unidad").addEventListener("change", positions);
  $("suplente-boton").addEventListener("click", findStandIn);
  $("suplente-buscar").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); findStandIn(); }
  });
  $("nueva").addEventListener("submit", register);
  $("desde").value = today();
  loadUnits($("unidad")).catch((exc) => fail(exc.message));
  list();
})();
