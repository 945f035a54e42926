// The official's inbox: folders with unread counts, filters, search, cursor pages, a delivery's
// detail (opening it records the acuse de recibo), turnar, concluir, archivar, responder, and live
// updates through server-sent events. Every decision is the server's; this page only shows it.
"use strict";

const FOLDER_NAMES = {
  recibidos: "Recibidos", turnados: "Turnados a mí", copias: "Copias (C.c.p.)", por_firmar: "Por firmar",
  borradores: "Borradores", enviados: "Enviados", archivados: "Archivados",
};
const STATE_NAMES = {
  enviado: "Sin abrir", recibido: "Recibido", turnado: "Turnado", en_atencion: "En atención",
  respondido: "Respondido", concluido: "Concluido", archivado: "Archivado", borrador: "Borrador",
  en_revision: "En revisión", listo_para_firma: "Listo para firma", firmado: "Firmado",
  cancelado: "Cancelado",
};
const OPEN_STATES = new Set(["enviado", "recibido", "turnado", "en_atencion"]);

const state = { carpeta: "recibidos", buzon: "personal", siguiente: null, entrega: null, elegidos: new Map() };
const $ = (id) => document.getElementById(id);

function showError(message) {
  $("error").textContent = message || "";
}

function notice(message) {
  $("aviso").textContent = message || "";
}

async function call(method, path, body) {
  const response = await api(method, path, body);
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error((data && data.message) || "La operación no se pudo completar. Intente de nuevo.");
  }
  return data;
}

// The receipt stands once recorded; the sealed acuse follows. Routing marks `acuse_pendiente` when
// signing could not seal it (the seal service down): say so instead of "se está emitiendo" forever.
function acusePendiente(entrega) {
  if (!entrega.acuse_pendiente) return "El acuse sellado se está emitiendo.";
  return `Recepción registrada el ${formatDate(entrega.recibido_en)}. El acuse sellado está pendiente: `
    + "el servicio de sellado no está disponible; se emitirá en cuanto se restablezca.";
}

function formatDate(value) {
  if (!value) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString("es-MX", { dateStyle: "medium", timeStyle: "short" });
}

function formatDay(value) {
  if (!value) return "—";
  const [y, m, d] = String(value).slice(0, 10).split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString("es-MX", { dateStyle: "medium" });
}

function query() {
  const p = new URLSearchParams({ carpeta: state.carpeta, buzon: state.buzon });
  const add = (name, value) => { if (value) p.set(name, value); };
  add("q", $("q").value.trim());
  add("prioridad", $("prioridad").value);
  add("estado", $("estado").value);
  add("desde", $("desde").value);
  add("hasta", $("hasta").value);
  if ($("vencidos").checked) p.set("vencidos", "true");
  return p;
}

async function loadCounts() {
  try {
    const counts = await call("GET", `/api/v1/bandeja/no-leidos?buzon=${state.buzon}`);
    for (const button of document.querySelectorAll("#carpetas button")) {
      const n = counts[button.dataset.carpeta] || 0;
      button.querySelector(".contador").textContent = n ? `(${n})` : "";
      button.classList.toggle("con-pendientes", n > 0);
    }
  } catch (error) {
    showError(error.message);
  }
}

function row(item) {
  const tr = document.createElement("tr");
  tr.dataset.id = item.id;
  tr.classList.toggle("no-leido", !item.leido);
  tr.classList.toggle("vencido", Boolean(item.vencido));
  const cells = [
    item.folio || "(sin folio)",
    (item.prioridad === "urgente" ? "URGENTE · " : "") + (item.asunto || ""),
    item.remitente || "—",
    formatDate(item.fecha),
    item.fecha_limite ? formatDay(item.fecha_limite) + (item.vencido ? " (vencido)" : "") : "—",
    STATE_NAMES[item.estado] || item.estado || "—",
  ];
  for (const text of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
  }
  tr.tabIndex = 0;
  const open = () => openItem(item);
  tr.addEventListener("click", open);
  tr.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
  return tr;
}

async function loadPage(append) {
  // The error stays until an answer replaces it: a refresh by a live notification must not blank
  // a message the person is reading.
  const p = query();
  if (append && state.siguiente) p.set("cursor", state.siguiente);
  let page;
  try {
    page = await call("GET", `/api/v1/bandeja?${p}`);
  } catch (error) {
    showError(error.message);
    return;
  }
  showError("");
  const body = $("elementos").querySelector("tbody");
  if (!append) body.replaceChildren();
  for (const item of page.elementos) body.appendChild(row(item));
  state.siguiente = page.siguiente;
  $("mas").hidden = !page.siguiente;
  $("vacio").hidden = body.children.length > 0;
}

function selectFolder(carpeta) {
  state.carpeta = carpeta;
  $("titulo-carpeta").textContent = FOLDER_NAMES[carpeta];
  for (const button of document.querySelectorAll("#carpetas button")) {
    button.setAttribute("aria-current", button.dataset.carpeta === carpeta ? "true" : "false");
  }
  $("detalle").hidden = true;
  loadPage(false);
}

function datum(list, label, value) {
  if (value === null || value === undefined || value === "") return;
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

function link(href, text) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  a.target = "_blank";
  a.rel = "noopener";
  return a;
}

async function openItem(item) {
  if (!item.entrega_id) {
    // Drafts and oficios waiting for a signature open where they are worked on.
    location.href = item.carpeta === "por_firmar" ? "/firmar" : `/redaccion?oficio=${encodeURIComponent(item.oficio_id)}`;
    return;
  }
  showError("");
  try {
    // Opening a delivery records its receipt (acuse de recibo) for its recipient.
    const entrega = await call("GET", `/api/v1/entregas/${encodeURIComponent(item.entrega_id)}`);
    showDelivery(entrega);
  } catch (error) {
    showError(error.message);
    return;
  }
  loadCounts();
  const tr = $("elementos").querySelector(`tr[data-id="${CSS.escape(item.id)}"]`);
  if (tr) tr.classList.remove("no-leido");
}

function showDelivery(entrega) {
  state.entrega = entrega;
  const oficio = entrega.oficio || {};
  $("detalle").hidden = false;
  $("detalle-titulo").textContent = `${oficio.folio || "(sin folio)"} — ${oficio.asunto || ""}`;
  const list = $("detalle-datos");
  list.replaceChildren();
  datum(list, "Remitente", oficio.remitente);
  datum(list, "Prioridad", oficio.prioridad === "urgente" ? "Urgente" : "Ordinaria");
  datum(list, "Motivo", entrega.motivo === "copia" ? "Copia para conocimiento (C.c.p.)" : "Para atención");
  datum(list, "Estado", STATE_NAMES[entrega.estado] || entrega.estado);
  const names = entrega.nombres || {};
  datum(list, "Recibido", entrega.recibido_en ? formatDate(entrega.recibido_en) : "");
  datum(list, "Turnado por", names.turnado_por || entrega.turnado_por);
  datum(list, "Instrucción", entrega.instruccion_texto);
  datum(list, "Nota", entrega.nota);
  datum(list, "Plazo", entrega.fecha_limite ? formatDay(entrega.fecha_limite) : "");
  datum(list, "En lugar de", names.en_lugar_de || entrega.en_lugar_de);
  datum(list, "Motivo de cierre", entrega.motivo_cierre);
  if (entrega.respuesta) datum(list, "Respondido con", entrega.respuesta.folio || entrega.respuesta.oficio_id);

  const links = $("detalle-enlaces");
  links.replaceChildren();
  const documento = oficio.documento;
  if (documento && documento.sha256) {
    links.append(link(
      `/api/v1/oficios/${encodeURIComponent(oficio.id)}/documentos/sha256/${documento.sha256}/descarga`,
      "Descargar el oficio firmado (PDF)",
    ));
  }
  if (entrega.acuse && entrega.acuse.url_verificacion) {
    links.append(" · ", link(entrega.acuse.url_verificacion, "Acuse de recibo sellado"));
  } else if (entrega.recibido_en) {
    links.append(" · ", document.createTextNode(acusePendiente(entrega)));
  }

  const open = OPEN_STATES.has(entrega.estado) && entrega.motivo !== "copia";
  $("accion-acuse").hidden = Boolean(entrega.recibido_en);
  $("accion-responder").hidden = !open;
  $("accion-archivar").hidden = entrega.archivado || (open && entrega.motivo !== "copia");
  $("turnar").hidden = !open;
  $("concluir").hidden = !open;
  state.elegidos.clear();
  renderChosen();
  loadTree(entrega.id);
  loadHistory(entrega.id);
}

async function loadHistory(entregaId) {
  // The oficio's trajectory: what happened to it, when and by whom, oldest first.
  const box = $("trayectoria");
  const shown = state.entrega;
  box.replaceChildren();
  let history;
  try {
    history = await call("GET", `/api/v1/entregas/${encodeURIComponent(entregaId)}/historial`);
  } catch (error) {
    return;
  }
  if (state.entrega !== shown) return; // another delivery was opened meanwhile
  box.replaceChildren();
  if (!history.eventos || history.eventos.length === 0) return;
  const title = document.createElement("h4");
  title.textContent = "Trayectoria del oficio";
  const list = document.createElement("ol");
  list.className = "trayectoria";
  for (const evento of history.eventos) {
    const li = document.createElement("li");
    const when = document.createElement("time");
    when.dateTime = evento.cuando;
    when.textContent = formatDate(evento.cuando);
    li.append(when, ` · ${evento.descripcion} · ${evento.quien_nombre || ""}`);
    list.appendChild(li);
  }
  box.append(title, list);
}

async function loadTree(entregaId) {
  const box = $("arbol-turnos");
  const shown = state.entrega;
  box.replaceChildren();
  let tree;
  try {
    tree = await call("GET", `/api/v1/entregas/${encodeURIComponent(entregaId)}/turnos`);
  } catch (error) {
    return; // the tree is shown to those who may see it; others just do not get it
  }
  if (state.entrega !== shown) return; // another delivery was opened meanwhile
  box.replaceChildren();
  if (!tree.turnos || tree.turnos.length === 0) return;
  const title = document.createElement("h4");
  title.textContent = "Turnos";
  const walk = (node) => {
    const ul = document.createElement("ul");
    for (const child of node.turnos) {
      const li = document.createElement("li");
      li.textContent = `${child.nombre || child.funcionario_id} · ${child.instruccion_texto || ""} · ${STATE_NAMES[child.estado] || child.estado}`
        + (child.fecha_limite ? ` · plazo ${formatDay(child.fecha_limite)}` : "");
      if (child.turnos && child.turnos.length) li.appendChild(walk(child));
      ul.appendChild(li);
    }
    return ul;
  };
  box.append(title, walk(tree));
}

// --- turnar -----------------------------------------------------------------------------------

function renderChosen() {
  const list = $("turnar-personas");
  for (const li of list.querySelectorAll("li.elegido")) li.remove();
  for (const [id, name] of state.elegidos) {
    const li = document.createElement("li");
    li.className = "elegido";
    li.textContent = `${name} (${id}) `;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Quitar";
    remove.addEventListener("click", () => { state.elegidos.delete(id); renderChosen(); });
    li.appendChild(remove);
    list.prepend(li);
  }
}

let searchTimer = null;
async function searchPeople() {
  const text = $("turnar-buscar").value.trim();
  const list = $("turnar-personas");
  for (const li of list.querySelectorAll("li.opcion")) li.remove();
  const unidad = document.body.dataset.unidad;
  const p = new URLSearchParams({ q: text, limite: "20" });
  if (unidad) { p.set("unidad", unidad); p.set("subunidades", "true"); }
  let page;
  try {
    page = await call("GET", `/api/v1/directorio/funcionarios?${p}`);
  } catch (error) {
    showError(error.message);
    return;
  }
  for (const f of page.funcionarios) {
    if (f.id === document.body.dataset.yo) continue;
    const li = document.createElement("li");
    li.className = "opcion";
    const choose = document.createElement("button");
    choose.type = "button";
    choose.textContent = `${f.nombre_completo}${f.puesto ? " — " + f.puesto.titulo : ""}`;
    choose.dataset.funcionario = f.id;
    choose.addEventListener("click", () => { state.elegidos.set(f.id, f.nombre_completo); renderChosen(); });
    li.appendChild(choose);
    list.appendChild(li);
  }
}

async function loadInstructions() {
  try {
    const catalogue = await call("GET", "/api/v1/bandeja/instrucciones");
    const select = $("turnar-instruccion");
    for (const [key, text] of Object.entries(catalogue)) {
      const option = document.createElement("option");
      option.value = key;
      option.textContent = text;
      select.appendChild(option);
    }
  } catch (error) {
    showError(error.message);
  }
}

async function act(action) {
  showError("");
  notice("");
  try {
    const result = await action();
    if (result && result.id && result.oficio) showDelivery(result);
    else if (state.entrega) showDelivery(await call("GET", `/api/v1/entregas/${encodeURIComponent(state.entrega.id)}`));
  } catch (error) {
    showError(error.message);
  }
  loadCounts();
  loadPage(false);
}

function wire() {
  for (const button of document.querySelectorAll("#carpetas button")) {
    button.addEventListener("click", () => selectFolder(button.dataset.carpeta));
  }
  $("filtros").addEventListener("submit", (e) => { e.preventDefault(); loadPage(false); });
  $("mas").addEventListener("click", () => loadPage(true));
  if (document.body.dataset.oficialia === "1") {
    $("buzon").hidden = false;
    $("buzon-etiqueta").hidden = false;
    $("buzon").addEventListener("change", () => {
      state.buzon = $("buzon").value;
      loadCounts();
      selectFolder(state.carpeta);
      listen();
    });
  }
  $("accion-acuse").addEventListener("click", () => act(async () => {
    const r = await call("POST", `/api/v1/entregas/${encodeURIComponent(state.entrega.id)}/acuse`);
    notice("Acuse de recibo registrado.");
    return r;
  }));
  $("accion-archivar").addEventListener("click", () => act(async () => {
    const r = await call("POST", `/api/v1/entregas/${encodeURIComponent(state.entrega.id)}/archivo`);
    notice("Archivado.");
    return r;
  }));
  $("accion-responder").addEventListener("click", async () => {
    showError("");
    try {
      const draft = await call("POST", `/api/v1/entregas/${encodeURIComponent(state.entrega.id)}/respuesta`, {});
      location.href = `/redaccion?oficio=${encodeURIComponent(draft.id)}`;
    } catch (error) {
      showError(error.message);
    }
  });
  $("turnar-buscar").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(searchPeople, 250);
  });
  $("form-turnar").addEventListener("submit", (e) => {
    e.preventDefault();
    if (state.elegidos.size === 0) {
      showError("Elija a quién turnar el oficio.");
      return;
    }
    const body = {
      destinatarios: [...state.elegidos.keys()],
      instruccion: $("turnar-instruccion").value,
      nota: $("turnar-nota").value,
    };
    if ($("turnar-dias").value) body.dias_habiles = Number($("turnar-dias").value);
    act(async () => {
      const r = await call("POST", `/api/v1/entregas/${encodeURIComponent(state.entrega.id)}/turnos`, body);
      notice("Turnado.");
      $("turnar-nota").value = "";
      return r;
    });
  });
  $("form-concluir").addEventListener("submit", (e) => {
    e.preventDefault();
    act(async () => {
      const r = await call("POST", `/api/v1/entregas/${encodeURIComponent(state.entrega.id)}/conclusion`, {
        motivo: $("motivo").value,
      });
      notice("Concluido.");
      return r;
    });
  });
}

// --- live updates -----------------------------------------------------------------------------

let source = null;
function listen() {
  if (source) source.close();
  source = new EventSource(`/api/v1/notificaciones?buzon=${state.buzon}`);
  source.addEventListener("bandeja", (e) => {
    let data = {};
    try { data = JSON.parse(e.data); } catch (_) { /* a malformed event still refreshes */ }
    // Only deliveries that just arrived are news; other changes (the person's own action, a sealed
    // acuse) refresh the lists without replacing what the page just told them.
    if (data.nuevos > 0) notice("Llegó algo nuevo a su bandeja.");
    loadCounts();
    loadPage(false);
  });
  for (const kind of ["recordatorio", "vencido", "escalamiento"]) {
    source.addEventListener(kind, (e) => {
      let data = {};
      try { data = JSON.parse(e.data); } catch (_) { /* a malformed event changes nothing */ }
      notice(data.mensaje || "Hay plazos que atender en su bandeja.");
      loadCounts();
    });
  }
}

wire();
loadInstructions();
loadCounts();
selectFolder("recibidos");
listen();
