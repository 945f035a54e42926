// Directorio: import HR's CSV (a simulation first, which lists every error with its row and writes
// nothing; then the same file applied), search officials by name or unit, deactivate one.
"use strict";

(function () {
  const { $, el, say, fail, quiet, call, confirmar, loadUnits, labelled } = Admin;
  const PAGE = 20;
  const KINDS = { dependencias: "Dependencias", unidades: "Unidades", puestos: "Puestos", funcionarios: "Funcionarios" };
  const ROLES = { oficialia: "Oficialía de partes", administrador: "Administrador", auditor: "Auditor" };
  const COLUMNS = {
    dependencia_clave: "Clave de dependencia", dependencia_nombre: "Nombre de dependencia",
    unidad_clave: "Clave de unidad", unidad_nombre: "Nombre de unidad", unidad_padre: "Unidad padre",
    prefijo_folio: "Prefijo de folio", puesto_clave: "Clave de puesto", puesto_titulo: "Título del puesto",
    reporta_a: "Reporta a", es_titular: "Es titular", numero_empleado: "Número de empleado",
    nombre: "Nombre", apellido_paterno: "Apellido paterno", apellido_materno: "Apellido materno",
    correo: "Correo", rfc: "RFC", curp: "CURP", roles: "Roles",
  };
  const mayDeactivate = document.body.dataset.baja === "1";
  let simulated = null; // the file whose simulation passed: the one "Aplicar" sends
  let next = null;
  let count = 0;

  // --- import ------------------------------------------------------------------------------

  function summary(report) {
    return el("table", { class: "tabla resumen" },
      el("thead", {}, el("tr", {}, ...["Tipo", "Nuevos", "Actualizados", "Sin cambios"].map((t) => el("th", { text: t })))),
      el("tbody", {}, ...Object.entries(report.resumen).map(([kind, s]) =>
        el("tr", { "data-tipo": kind },
          el("td", { text: KINDS[kind] || kind }),
          el("td", { text: String(s.creados) }),
          el("td", { text: String(s.actualizados) }),
          el("td", { text: String(s.sin_cambios) })))));
  }

  const TYPES = { dependencia: "Dependencia", unidad: "Unidad", puesto: "Puesto", funcionario: "Funcionario" };
  const FIELDS = {
    nombre: "nombre", apellido_paterno: "apellido paterno", apellido_materno: "apellido materno",
    correo: "correo", rfc: "RFC", curp: "CURP", roles: "roles", activo: "activo", activa: "activa",
    titulo: "título", es_titular: "si es titular", reporta_a: "a quién reporta", funcionario_id: "quién lo ocupa",
    unidad_id: "unidad", padre_id: "unidad padre", dependencia_id: "dependencia", prefijo_folio: "prefijo de folio",
  };

  function detail(report, total) {
    const rows = report.cambios.map((c) => el("tr", { "data-cambio": `${c.tipo}:${c.id}` },
      el("td", { text: TYPES[c.tipo] || c.tipo }),
      el("td", { text: c.id }),
      el("td", { text: c.nombre }),
      el("td", { text: c.accion === "creado" ? "Nuevo" : "Cambia: " + c.campos.map((f) => FIELDS[f] || f).join(", ") })));
    const shownAll = report.cambios.length >= total;
    return el("details", { class: "detalle-cambios", open: total <= 20 },
      el("summary", { text: shownAll ? `Qué se crea o cambia (${total})` : `Qué se crea o cambia (los primeros ${report.cambios.length} de ${total})` }),
      el("div", { class: "tabla-desplazable" }, labelled(el("table", { class: "tabla apilable", id: "cambios" },
        el("thead", {}, el("tr", {}, ...["Tipo", "Clave", "Nombre", "Cambio"].map((t) => el("th", { text: t })))),
        el("tbody", {}, ...rows)))));
  }

  function changes(report) {
    return Object.values(report.resumen).reduce((n, s) => n + s.creados + s.actualizados, 0);
  }

  function showReport(...nodes) {
    const box = $("reporte");
    box.replaceChildren(...nodes);
    box.hidden = false;
    box.focus();
  }

  function errorsTable(errors) {
    return el("div", { class: "tabla-desplazable" }, labelled(
      el("table", { class: "tabla apilable", id: "errores" },
        el("thead", {}, el("tr", {}, ...["Fila", "Columna", "Valor", "Problema"].map((t) => el("th", { text: t })))),
        el("tbody", {}, ...errors.map((e) =>
          el("tr", { "data-fila": String(e.fila) },
            el("td", { text: String(e.fila) }),
            el("td", { text: e.columna ? (COLUMNS[e.columna] || e.columna) : "Toda la fila" }),
            el("td", { class: "valor", text: e.valor || "(vacío)" }),
            el("td", { text: e.mensaje })))))));
  }

  function refused(exc, file) {
    const details = exc.body && exc.body.details;
    const errors = details && Array.isArray(details.errores) ? details.errores : [];
    const nodes = [
      el("h4", { class: "estado-mal", text: errors.length ? "El archivo tiene errores: no se escribió nada" : "No se pudo leer el archivo" }),
      el("p", { text: exc.message }),
    ];
    if (errors.length) {
      nodes.push(el("p", { class: "muted", text: `Archivo: ${file.name}. La fila 1 es la de los encabezados, como en la hoja de cálculo.` }));
      nodes.push(errorsTable(errors));
    }
    showReport(...nodes);
  }

  function reportOf(report, file) {
    const nodes = [];
    if (report.simulacion) {
      nodes.push(el("h4", { text: "Simulación: esto cambiaría (todavía no se escribió nada)" }));
    } else {
      nodes.push(el("h4", { class: "estado-ok", text: "Importación aplicada" }));
    }
    nodes.push(el("p", { class: "muted", text: `Archivo: ${file.name} · ${report.filas} fila(s) de datos.` }));
    nodes.push(el("div", { class: "tabla-desplazable" }, summary(report)));
    if (changes(report) > 0) nodes.push(detail(report, changes(report)));
    if (report.avisos.length) {
      nodes.push(el("h5", { text: "Avisos" }), el("ul", { class: "avisos" }, ...report.avisos.map((a) => el("li", { text: a }))));
    }
    if (!report.simulacion) {
      nodes.push(el("p", { text: "Los demás servicios de Signum reciben los cambios en unos segundos." }));
    } else if (changes(report) === 0) {
      nodes.push(el("p", { text: "El archivo no trae cambios: el directorio ya está así." }));
    } else {
      const apply = el("button", { type: "button", id: "aplicar", text: "Aplicar estos cambios al directorio" });
      apply.addEventListener("click", () => run(false, apply));
      nodes.push(apply);
    }
    showReport(...nodes);
  }

  async function run(simulation, button) {
    quiet();
    const file = simulation ? $("archivo").files[0] : simulated;
    if (!file) {
      fail("Elija el archivo CSV del directorio.");
      return;
    }
    const data = new FormData();
    data.append("archivo", file, file.name);
    button.disabled = true;
    const original = button.textContent;
    button.textContent = simulation ? "Revisando el archivo…" : "Aplicando…";
    try {
      const report = await call("POST", `/api/v1/directorio/importaciones?simulacion=${simulation}`, null, { body: data });
      simulated = simulation ? file : null;
      reportOf(report, file);
      if (!simulation) {
        say("Se aplicó la importación del directorio.");
        await units(); // the file may bring new units to search by
      }
    } catch (exc) {
      simulated = null;
      refused(exc, file);
    } finally {
      button.disabled = false;
      button.textContent = original;
    }
  }

  $("importar").addEventListener("submit", (event) => { event.preventDefault(); run(true, $("simular")); });
  $("archivo").addEventListener("change", () => {
    simulated = null;
    $("reporte").hidden = true;
    $("reporte").replaceChildren();
  });

  // --- officials ------------------------------------------------------------------------------

  function row(f) {
    const cell = el("td", { class: "acciones" });
    if (mayDeactivate && f.activo) {
      const button = el("button", { type: "button", class: "peligro", text: "Dar de baja" });
      button.addEventListener("click", () => deactivate(f, button));
      cell.append(button);
    }
    const roles = f.roles.filter((r) => ROLES[r]).map((r) => ROLES[r]);
    return el("tr", { "data-funcionario": f.id },
      el("td", {}, el("strong", { text: f.nombre_completo }), el("br"),
        el("span", { class: "muted", text: `Núm. ${f.id} · ${f.correo}` })),
      el("td", {}, ...(f.puesto
        ? [el("span", { text: f.puesto.titulo }), el("br"), el("span", { class: "muted", text: f.unidad ? f.unidad.nombre : "" })]
        : [el("span", { class: "muted", text: "Sin puesto" })])),
      el("td", { text: roles.length ? roles.join(", ") : "—" }),
      el("td", {}, el("span", { class: f.activo ? "estado-ok" : "estado-mal", text: f.activo ? "Activo" : "Dado de baja" })),
      cell);
  }

  async function search(more) {
    quiet();
    $("resultado").textContent = "Buscando…";
    const form = $("buscar");
    const params = new URLSearchParams({ limite: String(PAGE) });
    if (form.q.value.trim()) params.set("q", form.q.value.trim());
    if (form.unidad.value) params.set("unidad", form.unidad.value);
    if (more && next) params.set("cursor", next);
    try {
      const page = await call("GET", "/api/v1/directorio/funcionarios?" + params);
      const body = $("funcionarios").tBodies[0];
      if (!more) {
        body.replaceChildren();
        count = 0;
      }
      for (const f of page.funcionarios) body.append(row(f));
      count += page.funcionarios.length;
      next = page.siguiente;
      $("mas").hidden = !next;
      $("funcionarios").hidden = body.rows.length === 0;
      $("resultado").textContent = count === 0
        ? "Nadie en el directorio coincide con la búsqueda."
        : `${count} funcionario(s)${next ? " (hay más)" : ""}.`;
    } catch (exc) {
      fail(exc.message);
    }
  }

  async function deactivate(f, button) {
    quiet();
    const where = f.puesto ? ` y su puesto «${f.puesto.titulo}» quedará vacante` : "";
    const ok = await confirmar({
      titulo: `¿Dar de baja a ${f.nombre_completo}?`,
      texto: `Dejará de poder iniciar sesión en Signum${where}. Los oficios en los que participó se conservan.`,
      boton: "Dar de baja",
    });
    if (!ok) return;
    button.disabled = true;
    try {
      const updated = await call("POST", `/api/v1/directorio/funcionarios/${encodeURIComponent(f.id)}/baja`);
      $("funcionarios").querySelector(`tr[data-funcionario="${CSS.escape(f.id)}"]`).replaceWith(row(updated));
      say(`${f.nombre_completo} quedó dado(a) de baja.`);
    } catch (exc) {
      button.disabled = false;
      fail(exc.message);
    }
  }

  $("buscar").addEventListener("submit", (event) => { event.preventDefault(); search(false); });
  $("mas").addEventListener("click", () => search(true));
  async function units() {
    const select = $("unidad");
    const chosen = select.value;
    select.replaceChildren(select.options[0]);
    try {
      await loadUnits(select);
      select.value = chosen;
    } catch (exc) {
      fail(exc.message);
    }
  }

  units();
  $("resultado").textContent = "Escriba un nombre, correo o número de empleado, o elija una unidad, y pulse «Buscar».";
})();
