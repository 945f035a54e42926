// The official's inbox: folders with unread counts, filters, search, cursor pages, a delivery's
// detail (the page posts the acuse de recibo when its recipient first sees it) with the signed PDF drawn in the page (pdf.js,
// visor-pdf.js), turnar, concluir, archivar, responder; the sender's read-only view of a sent oficio
// (each recipient's state, acuse and the trajectory); live updates through server-sent events.
// Every decision is the server's; this page only shows it. On a narrow screen the list and the
// detail take turns ("Volver a la lista").
"use strict";

const FOLDER_NAMES = {
  recibidos: "Recibidos", turnados: "Turnados a mí", copias: "Copias (C.c.p.)", por_revisar: "Por revisar",
  por_firmar: "Por firmar", borradores: "Borradores", enviados: "Enviados", archivados: "Archivados",
};
const STATE_NAMES = {
  enviado: "Sin abrir", recibido: "Recibido", turnado: "Turnado", en_atencion: "En atención",
  respondido: "Respondido", concluido: "Concluido", archivado: "Archivado", borrador: "Borrador",
  en_revision: "En revisión", listo_para_firma: "Listo para firma", firmado: "Firmado",
  cancelado: "Cancelado",
};
// An oficio of one's own (not a delivery): `enviado` is the oficio sent, not a delivery unopened.
const OFICIO_STATE_NAMES = {
  ...STATE_NAMES, enviado: "Enviado", firmando: "Firmándose", firmado: "Firmado",
};
// How many recipients are in a delivery state, as the sender's list says it.
const PLURAL_STATES = {
  enviado: ["sin abrir", "sin abrir"], recibido: ["recibido", "recibidos"], turnado: ["turnado", "turnados"],
  en_atencion: ["en atención", "en atención"], respondido: ["respondido", "respondidos"],
  concluido: ["concluido", "concluidos"],
};
const OPEN_STATES = new Set(["enviado", "recibido", "turnado", "en_atencion"]);
const COLUMNS = ["Folio", "Asunto", "Remitente", "Fecha", "Plazo", "Estado"];

const state = {
  carpeta: "recibidos", buzon: "personal", siguiente: null, entrega: null, enviado: null, elegidos: new Map(),
  pedido: 0,  // the last list request made: only its answer is shown
};
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
  // formatDate ends in "a.m."/"p.m.": a semicolon follows it, not a second period.
  return `Recepción registrada el ${formatDate(entrega.recibido_en)}; el acuse sellado está pendiente `
    + "porque el servicio de sellado no está disponible. Se emitirá en cuanto se restablezca.";
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

function recipientsText(summary) {
  // [{estado, n}] in lifecycle order -> "Recibido" (all alike) or "1 sin abrir · 2 recibidos".
  if (!summary || summary.length === 0) return "Enviado";
  if (summary.length === 1) return STATE_NAMES[summary[0].estado] || summary[0].estado;
  return summary.map(({ estado, n }) => {
    const [one, many] = PLURAL_STATES[estado] || [estado, estado];
    return `${n} ${n === 1 ? one : many}`;
  }).join(" · ");
}

function itemState(item) {
  if (item.tipo !== "oficio") return STATE_NAMES[item.estado] || item.estado || "—";
  if (item.carpeta === "enviados" && item.estado === "enviado") return recipientsText(item.destinatarios);
  return OFICIO_STATE_NAMES[item.estado] || item.estado || "—";
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
    itemState(item),
  ];
  cells.forEach((text, i) => {
    const td = document.createElement("td");
    td.textContent = text;
    // Who sent it and from which office, both whole (a turno's sender is who turned it: no office).
    if (i === 2 && item.remitente_unidad_nombre && item.tipo === "entrega" && item.motivo !== "turno"
        && item.remitente_unidad_nombre !== item.remitente) {
      const unit = document.createElement("span");
      unit.className = "remitente-unidad";
      unit.textContent = item.remitente_unidad_nombre;
      td.appendChild(unit);
    }
    td.dataset.etiqueta = i === 2 && state.carpeta === "enviados" ? "Firma" : COLUMNS[i];
    tr.appendChild(td);
  });
  tr.tabIndex = 0;
  const open = () => openItem(item);
  tr.addEventListener("click", open);
  tr.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
  return tr;
}

async function loadPage(append) {
  // The error stays until an answer replaces it: a refresh by a live notification must not blank
  // a message the person is reading.
  // Answers come back in any order (a live refresh started before the person changed the filters
  // may answer after their search): an answer to a request that is no longer the last is dropped.
  const p = query();
  if (append && state.siguiente) p.set("cursor", state.siguiente);
  const pedido = ++state.pedido;
  let page;
  try {
    page = await call("GET", `/api/v1/bandeja?${p}`);
  } catch (error) {
    if (pedido === state.pedido) showError(error.message);
    return;
  } finally {
    // How many list answers the page has dealt with (shown or dropped), for whoever waits on it.
    document.body.dataset.respuestas = String(Number(document.body.dataset.respuestas || 0) + 1);
  }
  if (pedido !== state.pedido) return;
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
  $("col-remitente").textContent = carpeta === "enviados" ? "Firma" : "Remitente";
  closeDetail();
  loadPage(false);
}

function openDetail(scroll) {
  $("registro").hidden = true;
  $("detalle").hidden = false;
  document.querySelector("main.bandeja").classList.add("con-detalle");
  // Below a long list (or in the list's place on a phone): bring what was opened into view.
  if (scroll) $("detalle").scrollIntoView({ block: "start" });
}

function closeDetail() {
  state.entrega = null;
  state.enviado = null;
  $("detalle").hidden = true;
  $("registro").hidden = true;
  document.querySelector("main.bandeja").classList.remove("con-detalle");
  stopViewer();
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
    if (item.carpeta === "enviados") {
      await openSent(item.oficio_id);
      return;
    }
    // Drafts, reviews and oficios waiting for a signature open where they are worked on.
    location.href = item.carpeta === "por_firmar" ? "/firmar" : `/redaccion?oficio=${encodeURIComponent(item.oficio_id)}`;
    return;
  }
  showError("");
  notice("");
  try {
    // Reading a delivery changes nothing; when its recipient sees it for the first time the page
    // records the receipt (acuse de recibo) with a POST, and shows the delivery as received.
    const path = `/api/v1/entregas/${encodeURIComponent(item.entrega_id)}`;
    let entrega = await call("GET", path);
    showDelivery(entrega);
    if (entrega.puede_acusar) {
      try {
        entrega = await call("POST", `${path}/acuse`, { forma: "apertura" });
      } catch (error) {
        showError(`No se registró el acuse de recibo: ${error.message}`);
        return;
      }
      if (state.entrega && state.entrega.id === entrega.id) showDelivery(entrega);
      notice("Acuse de recibo registrado.");
    }
  } catch (error) {
    showError(error.message);
    return;
  }
  loadCounts();
  const tr = $("elementos").querySelector(`tr[data-id="${CSS.escape(item.id)}"]`);
  if (tr) tr.classList.remove("no-leido");
}

// --- the PDF in the page ------------------------------------------------------------------------

let viewer = null;
function loadViewer() {
  viewer = viewer || import("/static/visor-pdf.js");
  return viewer;
}

function stopViewer() {
  $("visor").hidden = true;
  if (viewer) viewer.then((v) => v.stop($("visor-paginas"))).catch(() => {});
}

function downloadUrl(oficioId, sha256) {
  return `/api/v1/oficios/${encodeURIComponent(oficioId)}/documentos/sha256/${sha256}/descarga`;
}

async function showPdf(oficioId, documento) {
  if (!documento || !documento.sha256) {
    stopViewer();
    return;
  }
  $("visor").hidden = false;
  $("visor").classList.remove("sin-pdf");
  const say = (text) => { $("visor-estado").textContent = text; };
  say("Cargando el oficio…");
  try {
    const v = await loadViewer();
    await v.show($("visor-paginas"), downloadUrl(oficioId, documento.sha256), say);
  } catch (error) {
    // The data and the actions take the whole width; the message stays above them.
    $("visor").classList.add("sin-pdf");
    say(`No se pudo mostrar el oficio aquí: ${error.message}`);
  }
}

function documentLink(list, href, text) {
  const li = document.createElement("li");
  li.appendChild(link(href, text));
  list.appendChild(li);
  return li;
}

async function listDocuments(oficio, acuse, shown, paper) {
  // The signed oficio (or the scan of a paper document the oficialía de partes registered), its
  // anexos (if the caller may read the oficio) and the sealed acuse.
  const list = $("documentos-lista");
  list.replaceChildren();
  $("documentos").hidden = true;
  if (oficio.documento && oficio.documento.sha256) {
    const text = paper ? "Descargar el documento escaneado (PDF)" : "Descargar el oficio firmado (PDF)";
    documentLink(list, downloadUrl(oficio.id, oficio.documento.sha256), text);
  }
  if (acuse && acuse.sha256) {
    documentLink(list, downloadUrl(oficio.id, acuse.sha256), "Acuse de recibo sellado (PDF)");
  }
  if (acuse && acuse.url_verificacion) documentLink(list, acuse.url_verificacion, "Verificar el acuse");
  $("documentos").hidden = list.children.length === 0;
  if (paper) return; // a paper document was never drafted: no anexos to ask drafting for
  let draft;
  try {
    draft = await call("GET", `/api/v1/oficios/${encodeURIComponent(oficio.id)}`);
  } catch (error) {
    return; // the anexos are listed to whoever may read the oficio
  }
  if (!shown()) return;
  for (const anexo of (draft.contenido && draft.contenido.anexos) || []) {
    const li = anexo.sha256
      ? documentLink(list, downloadUrl(oficio.id, anexo.sha256), `Anexo: ${anexo.nombre}`)
      : document.createElement("li");
    if (!anexo.sha256) { li.textContent = `Anexo: ${anexo.nombre}`; list.appendChild(li); }
  }
  $("documentos").hidden = list.children.length === 0;
}

function showDelivery(entrega) {
  const same = state.entrega && state.entrega.id === entrega.id;
  state.entrega = entrega;
  state.enviado = null;
  const oficio = entrega.oficio || {};
  openDetail(!same);
  $("envio").hidden = true;
  $("detalle-titulo").textContent = `${oficio.folio || "(sin folio)"} — ${oficio.asunto || ""}`;
  const list = $("detalle-datos");
  list.replaceChildren();
  // The sender whole, a line each: name, position, office (long names wrap, never cut).
  datum(list, "Remitente", oficio.remitente);
  datum(list, "Cargo", oficio.remitente_cargo);
  datum(list, oficio.kind === "registro" ? "Organización" : "Unidad", oficio.remitente_unidad_nombre);
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
  links.textContent = entrega.recibido_en && !(entrega.acuse && entrega.acuse.sha256)
    ? acusePendiente(entrega) : "";
  const shown = () => state.entrega === entrega;
  // A paper document stays one when turned (its deliveries below are turnos, not registros).
  listDocuments(oficio, entrega.acuse, shown, oficio.kind === "registro" || entrega.motivo === "registro");
  if (!same) showPdf(oficio.id, oficio.documento);

  const open = OPEN_STATES.has(entrega.estado) && entrega.motivo !== "copia";
  $("acciones").hidden = false;
  $("accion-acuse").hidden = Boolean(entrega.recibido_en) || entrega.puede_acusar === false;
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
  showTrajectory(history.eventos);
}

function showTrajectory(eventos) {
  const box = $("trayectoria");
  box.replaceChildren();
  if (!eventos || eventos.length === 0) return;
  const title = document.createElement("h4");
  title.textContent = "Trayectoria del oficio";
  const list = document.createElement("ol");
  list.className = "trayectoria";
  for (const evento of eventos) {
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

// --- the sender's view of a sent oficio (read-only) --------------------------------------------

async function openSent(oficioId) {
  showError("");
  let view;
  try {
    view = await call("GET", `/api/v1/oficios/${encodeURIComponent(oficioId)}/seguimiento`);
  } catch (error) {
    showError(error.message);
    return;
  }
  showSent(view);
}

function recipientCell(tr, label, text) {
  const td = document.createElement("td");
  td.dataset.etiqueta = label;
  if (text instanceof Node) td.appendChild(text); else td.textContent = text;
  tr.appendChild(td);
  return td;
}

function showSent(view) {
  const oficio = view.oficio;
  const same = state.enviado && state.enviado.oficio.id === oficio.id;
  state.entrega = null;
  state.enviado = view;
  openDetail(!same);
  $("detalle-titulo").textContent = `${oficio.folio || "(sin folio)"} — ${oficio.asunto || ""}`;
  const list = $("detalle-datos");
  list.replaceChildren();
  datum(list, "Estado", OFICIO_STATE_NAMES[oficio.status] || oficio.status);
  datum(list, "Enviado", oficio.enviado_en ? formatDate(oficio.enviado_en) : "");
  datum(list, "Prioridad", oficio.prioridad === "urgente" ? "Urgente" : "Ordinaria");
  datum(list, "Firmantes", (oficio.firmantes || []).filter((f) => f.nombre)
    .map((f) => (f.cargo ? `${f.nombre} (${f.cargo})` : f.nombre)).join("; "));
  datum(list, "Plazo de respuesta", oficio.fecha_limite_respuesta ? formatDay(oficio.fecha_limite_respuesta) : "");
  $("detalle-enlaces").textContent = "";
  $("acciones").hidden = true;
  $("turnar").hidden = true;
  $("concluir").hidden = true;
  $("arbol-turnos").replaceChildren();

  const body = $("envio-destinatarios").querySelector("tbody");
  body.replaceChildren();
  for (const d of view.destinatarios) {
    const tr = document.createElement("tr");
    tr.dataset.entrega = d.entrega_id;
    tr.dataset.estado = d.estado;
    const who = d.motivo === "copia" ? `${d.nombre} (C.c.p.)` : d.nombre;
    recipientCell(tr, "Destinatario", d.unidad && !who.includes(d.unidad) ? `${who} · ${d.unidad}` : who);
    let estado = STATE_NAMES[d.estado] || d.estado;
    if (d.turnado_a && d.turnado_a.length) estado += ` a ${d.turnado_a.join(", ")}`;
    if (d.respuesta) estado += ` con ${d.respuesta.folio || "un oficio"}`;
    if (d.vencido) estado += " (vencido)";
    recipientCell(tr, "Estado", estado);
    recipientCell(tr, "Recibido", d.recibido_en
      ? formatDate(d.recibido_en) + (d.recibido_por ? ` por ${d.recibido_por}` : "") : "—");
    let acuse = "—";
    if (d.recibido_en) acuse = d.acuse_pendiente ? "Pendiente: el servicio de sellado no está disponible" : "Emitiéndose";
    if (d.acuse && d.acuse.sha256) acuse = link(downloadUrl(oficio.id, d.acuse.sha256), "Acuse (PDF)");
    recipientCell(tr, "Acuse", acuse);
    body.appendChild(tr);
  }
  for (const e of view.externos || []) {
    const tr = document.createElement("tr");
    recipientCell(tr, "Destinatario", `${e.nombre}${e.correo ? ` <${e.correo}>` : ""}`);
    recipientCell(tr, "Estado", e.enviado ? "Enviado por correo" : "Sin correo: entréguelo en papel");
    recipientCell(tr, "Recibido", "—");
    recipientCell(tr, "Acuse", "—");
    body.appendChild(tr);
  }
  $("envio").hidden = body.children.length === 0;
  showTrajectory(view.eventos);
  listDocuments(oficio, null, () => state.enviado === view, oficio.kind === "registro");
  if (!same) showPdf(oficio.id, oficio.documento);
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
  // An account that signs nothing (an auditor's) has no «Por firmar» folder.
  if (document.body.dataset.firma === "0") {
    document.querySelector('#carpetas button[data-carpeta="por_firmar"]').closest("li").hidden = true;
  }
  $("volver").addEventListener("click", () => {
    closeDetail();
    $("lista").scrollIntoView({ block: "start" });
  });
  for (const button of document.querySelectorAll("#carpetas button")) {
    button.addEventListener("click", () => selectFolder(button.dataset.carpeta));
  }
  $("filtros").addEventListener("submit", (e) => { e.preventDefault(); loadPage(false); });
  $("mas-filtros").addEventListener("click", () => {
    const open = $("filtros").classList.toggle("abiertos");
    $("mas-filtros").setAttribute("aria-expanded", String(open));
  });
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
      // A fresh form: a second click must not turn it again to the same people.
      state.elegidos.clear();
      renderChosen();
      for (const li of $("turnar-personas").querySelectorAll("li.opcion")) li.remove();
      for (const id of ["turnar-buscar", "turnar-nota", "turnar-dias"]) $(id).value = "";
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

// --- the oficialía de partes registers a document received on paper ----------------------------

const registro = { destino: null, timer: null };

function openRegistro() {
  closeDetail();
  showError("");
  notice("");
  $("registro").hidden = false;
  document.querySelector("main.bandeja").classList.add("con-detalle");
  $("registro").scrollIntoView({ block: "start" });
  $("r-archivo").focus();
}

function chooseDestination(destino) {
  registro.destino = destino;
  $("r-dest-elegido").textContent = destino ? `Se enviará a: ${destino.texto}` : "Nadie elegido todavía.";
  $("r-dest-elegido").classList.toggle("muted", !destino);
}

function destinationOption(destino) {
  const li = document.createElement("li");
  const choose = document.createElement("button");
  choose.type = "button";
  choose.textContent = destino.texto;
  choose.dataset.tipo = destino.tipo;
  choose.dataset.id = destino.id;
  choose.addEventListener("click", () => chooseDestination(destino));
  li.appendChild(choose);
  return li;
}

async function searchDestinations() {
  const tipo = $("r-dest-tipo").value;
  const text = $("r-dest-buscar").value.trim();
  const list = $("r-dest-opciones");
  let found = [];
  try {
    if (tipo === "funcionario") {
      const page = await call("GET", `/api/v1/directorio/funcionarios?${new URLSearchParams({ q: text, limite: "20" })}`);
      found = page.funcionarios.map((f) => ({
        tipo, id: f.id,
        texto: [f.nombre_completo, f.puesto && f.puesto.titulo, f.unidad && f.unidad.nombre].filter(Boolean).join(", "),
      }));
    } else {
      const needle = text.toLowerCase();
      found = (await call("GET", "/api/v1/directorio/unidades"))
        .filter((u) => u.activa && (!needle || u.nombre.toLowerCase().includes(needle) || u.id.toLowerCase().includes(needle)))
        .slice(0, 20)
        .map((u) => ({ tipo, id: u.id, texto: u.nombre }));
    }
  } catch (error) {
    showError(error.message);
    return;
  }
  list.replaceChildren(...found.map(destinationOption));
  if (!found.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "Sin resultados en el directorio.";
    list.appendChild(li);
  }
}

async function register(form) {
  if (!registro.destino) throw new Error("Elija en el directorio a quién va dirigido el documento.");
  const data = new FormData(form);
  data.set("destinatario_tipo", registro.destino.tipo);
  data.set("destinatario_id", registro.destino.id);
  for (const [name, value] of [...data.entries()]) {
    if (typeof value === "string" && !value.trim()) data.delete(name); // optional fields left empty
  }
  const response = await fetch("/api/v1/oficialia/registros", {
    method: "POST", headers: { "X-CSRF-Token": csrfToken() }, credentials: "same-origin", body: data,
  });
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const fields = answer && answer.details && answer.details.campos;
    const named = fields && fields.length ? ` (${fields.map((f) => f.campo).join(", ")})` : "";
    throw new Error(((answer && answer.message) || "No se pudo registrar el documento. Intente de nuevo.") + named);
  }
  return answer;
}

function wireRegistro() {
  if (document.body.dataset.oficialia !== "1") return;
  $("registrar-abrir").hidden = false;
  $("registrar-abrir").addEventListener("click", openRegistro);
  $("registro-volver").addEventListener("click", () => {
    closeDetail();
    $("lista").scrollIntoView({ block: "start" });
  });
  $("r-dest-tipo").addEventListener("change", searchDestinations);
  $("r-dest-buscar").addEventListener("input", () => {
    clearTimeout(registro.timer);
    registro.timer = setTimeout(searchDestinations, 250);
  });
  $("form-registro").addEventListener("submit", async (e) => {
    e.preventDefault();
    showError("");
    notice("");
    const form = e.target;
    const to = registro.destino;
    $("r-registrar").disabled = true;
    try {
      const answer = await register(form);
      form.reset();
      form.querySelector(".archivo-nombre")?.replaceChildren("Ningún archivo elegido");
      $("r-dest-opciones").replaceChildren();
      chooseDestination(null);
      // The sender's view of what was registered: its recipient's state, the scan drawn.
      await openSent(answer.oficio_id);
      notice(`Se registró el documento ${answer.folio} y se envió a ${to.texto}.`);
    } catch (error) {
      showError(error.message);
    } finally {
      $("r-registrar").disabled = false;
    }
    loadCounts();
  });
}

// --- live updates -----------------------------------------------------------------------------

async function refreshDelivery(entregaId) {
  let entrega;
  try {
    entrega = await call("GET", `/api/v1/entregas/${encodeURIComponent(entregaId)}`);
  } catch (_) {
    return; // the list refresh that follows shows what changed
  }
  if (state.entrega && state.entrega.id === entregaId) showDelivery(entrega);
}

let source = null;
function listen() {
  if (source) source.close();
  delete document.body.dataset.escuchando;
  source = new EventSource(`/api/v1/notificaciones?buzon=${state.buzon}`);
  source.addEventListener("conectado", () => { document.body.dataset.escuchando = "1"; });
  source.addEventListener("bandeja", (e) => {
    let data = {};
    try { data = JSON.parse(e.data); } catch (_) { /* a malformed event still refreshes */ }
    if (state.enviado && data.oficio_id === state.enviado.oficio.id) {
      openSent(data.oficio_id); // a recipient moved: the sender's view follows
    } else if (state.entrega && state.entrega.oficio && data.oficio_id === state.entrega.oficio.id) {
      refreshDelivery(state.entrega.id); // e.g. its acuse was sealed: the link appears
    }
    if (data.nuevos > 0) {
      // Only deliveries that just arrived are news; other changes (the person's own action, a
      // sealed acuse) refresh the lists without replacing what the page just told them.
      notice("Llegó algo nuevo a su bandeja.");
    }
    loadCounts();
    loadPage(false);
  });
  source.addEventListener("revision", (e) => {
    let data = {};
    try { data = JSON.parse(e.data); } catch (_) { /* a malformed event changes nothing */ }
    notice(data.mensaje || "Le pidieron revisar un oficio.");
    loadCounts();
    if (state.carpeta === "por_revisar") loadPage(false);
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

function startFromAddress() {
  // Links of the start page: /bandeja?carpeta=por_revisar, ?estado=enviado, ?vencidos=1; and
  // /bandeja?oficio=<id>: the sender's view of a sent oficio (e.g. from the editor).
  const p = new URLSearchParams(location.search);
  const oficio = p.get("oficio");
  let carpeta = FOLDER_NAMES[p.get("carpeta")] ? p.get("carpeta") : "recibidos";
  if (oficio) carpeta = "enviados";
  if (p.get("estado")) $("estado").value = p.get("estado");
  if (p.get("vencidos")) $("vencidos").checked = true;
  if (p.get("estado") || p.get("vencidos")) $("filtros").classList.add("abiertos"); // show what applies
  selectFolder(carpeta);
  if (oficio) openSent(oficio);
}

wire();
wireRegistro();
loadInstructions();
loadCounts();
startFromAddress();
listen();
