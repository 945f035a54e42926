// Drafting an oficio: create it from a template, write it (recipients from the directory or
// external, C.c.p., a constrained rich-text body), save versions (409 on a concurrent save, never an
// overwrite), see the tracked changes, comment, ask for review, give visto bueno, finalize, preview.
// Every rule is the server's; this page shows its Spanish messages.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const YO = document.body.dataset.yo;
  const STATUS = {
    borrador: "Borrador", en_revision: "En revisión", listo_para_firma: "Listo para firma", cancelado: "Cancelado",
  };
  const REVIEW = { pendiente: "pendiente", visto_bueno: "visto bueno", cambios_solicitados: "cambios solicitados" };
  const KIND = { funcionario: "persona", puesto: "puesto", unidad: "oficina", externo: "externo" };
  const BLOCK = {
    asunto: "Asunto", remitente: "Remitente", destinatarios: "Destinatarios", cuerpo: "Cuerpo",
    firmantes: "Firmantes", ccp: "C.c.p.", iniciales: "Iniciales", anexos: "Anexos", referencia: "Referencia",
  };
  const state = { draft: null, destinatarios: [], ccp: [], firmantes: [], colaboradores: [] };
  const names = new Map(); // employee number -> name, from the directory (for display only)

  async function nameOf(id) {
    if (!names.has(id)) {
      names.set(id, api("GET", `/api/v1/directorio/funcionarios/${encodeURIComponent(id)}`)
        .then((r) => (r.ok ? r.json() : null))
        .then((f) => (f ? f.nombre_completo : id))
        .catch(() => id));
    }
    return names.get(id);
  }

  function who(id) {
    // A span that shows the employee number at once and the name when the directory answers.
    const span = el("span", { "data-funcionario": id, text: id });
    nameOf(id).then((name) => { span.textContent = name; });
    return span;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function button(text, onClick, cls) {
    const b = el("button", { type: "button", class: cls || "secundario", text });
    b.addEventListener("click", () => Promise.resolve(onClick()).catch((e) => fail(e.message)));
    return b;
  }

  function say(message) { $("error").textContent = ""; $("aviso").textContent = message; }
  function fail(message) { $("aviso").textContent = ""; $("error").textContent = message; }

  async function errorOf(response) {
    const body = await response.json().catch(() => null);
    if (body && body.message) return body.message;
    return `No se pudo completar la operación (error ${response.status}).`;
  }

  async function call(method, path, body) {
    const response = await api(method, path, body);
    if (!response.ok) {
      const error = new Error(await errorOf(response));
      error.status = response.status;
      throw error;
    }
    return response.status === 204 ? null : response.json();
  }

  const oficioPath = () => `/api/v1/oficios/${encodeURIComponent(state.draft.id)}`;

  // --- body: the constrained rich text (paragraphs, bold, italic, underline, lists, tables, breaks)

  function inlinesOf(node, marks, out) {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        const text = child.textContent.replace(/\u00a0/g, " ").replace(/[\r\n]+/g, " ");
        if (!text) continue;
        const last = out[out.length - 1];
        if (last && last.type === "text" && last.bold === marks.bold && last.italic === marks.italic && last.underline === marks.underline) {
          last.text += text;
        } else {
          out.push({ type: "text", text, ...marks });
        }
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        const tag = child.tagName.toLowerCase();
        if (tag === "br") {
          out.push({ type: "break" });
          continue;
        }
        const style = child.style || {};
        const next = {
          bold: marks.bold || tag === "b" || tag === "strong" || Number(style.fontWeight) >= 600 || style.fontWeight === "bold",
          italic: marks.italic || tag === "i" || tag === "em" || style.fontStyle === "italic",
          underline: marks.underline || tag === "u" || (style.textDecoration || "").includes("underline"),
        };
        inlinesOf(child, next, out);
      }
    }
    return out;
  }

  function trimmed(inlines) {
    // A trailing <br> is how an editor keeps an empty line open; it is not content.
    while (inlines.length && inlines[inlines.length - 1].type === "break") inlines.pop();
    return inlines.some((i) => i.type === "text" && i.text.trim()) ? inlines : [];
  }

  const PLAIN = { bold: false, italic: false, underline: false };

  function blocksOf(container) {
    const blocks = [];
    let loose = null; // inline content directly in the container
    const flush = () => {
      if (loose) {
        const children = trimmed(loose);
        if (children.length) blocks.push({ type: "paragraph", children });
      }
      loose = null;
    };
    for (const child of container.childNodes) {
      const tag = child.nodeType === Node.ELEMENT_NODE ? child.tagName.toLowerCase() : "#text";
      if (tag === "ul" || tag === "ol") {
        flush();
        const items = [...child.children].filter((li) => li.tagName.toLowerCase() === "li").map((li) => {
          const inner = blocksOf(li);
          return inner.length ? inner : [{ type: "paragraph", children: [] }];
        }).filter((item) => item.some((b) => b.type !== "paragraph" || b.children.length));
        if (items.length) blocks.push({ type: tag === "ul" ? "bullet_list" : "numbered_list", items });
      } else if (tag === "table") {
        flush();
        const rows = [...child.querySelectorAll("tr")].map((tr) => [...tr.children].map((cell) => trimmed(inlinesOf(cell, PLAIN, []))));
        const header = Boolean(child.querySelector("tr th"));
        if (rows.length && rows.some((r) => r.length)) blocks.push({ type: "table", header, rows });
      } else if (tag === "p" || tag === "div" || tag === "li" || /^h[1-6]$/.test(tag)) {
        flush();
        const nested = [...child.children].some((c) => ["ul", "ol", "table", "p", "div"].includes(c.tagName.toLowerCase()));
        if (nested) {
          blocks.push(...blocksOf(child));
        } else {
          const children = trimmed(inlinesOf(child, PLAIN, []));
          if (children.length) blocks.push({ type: "paragraph", children });
        }
      } else {
        loose = loose || [];
        const wrapper = document.createElement("span");
        wrapper.append(child.cloneNode(true));
        inlinesOf(wrapper, PLAIN, loose);
      }
    }
    flush();
    return blocks;
  }

  function inlineNodes(inlines) {
    return inlines.map((i) => {
      if (i.type === "break") return el("br");
      let node = document.createTextNode(i.text);
      if (i.underline) node = el("u", {}, node);
      if (i.italic) node = el("i", {}, node);
      if (i.bold) node = el("b", {}, node);
      return node;
    });
  }

  function blockNodes(blocks) {
    return blocks.map((b) => {
      if (b.type === "paragraph") return el("p", {}, ...inlineNodes(b.children));
      if (b.type === "table") {
        return el("table", {}, el("tbody", {}, ...b.rows.map((row, r) =>
          el("tr", {}, ...row.map((cell) => el(b.header && r === 0 ? "th" : "td", {}, ...inlineNodes(cell)))))));
      }
      const list = el(b.type === "bullet_list" ? "ul" : "ol");
      for (const item of b.items) {
        const only = item.length === 1 && item[0].type === "paragraph";
        list.append(el("li", {}, ...(only ? inlineNodes(item[0].children) : blockNodes(item))));
      }
      return list;
    });
  }

  function setBody(doc) {
    const nodes = blockNodes((doc && doc.blocks) || []);
    $("cuerpo").replaceChildren(...(nodes.length ? nodes : [el("p", {}, el("br"))]));
  }

  function insertTable() {
    const cell = () => el("td", {}, el("br"));
    const table = el("table", {}, el("tbody", {}, el("tr", {}, cell(), cell()), el("tr", {}, cell(), cell())));
    $("cuerpo").append(table, el("p", {}, el("br")));
  }

  // --- people ----------------------------------------------------------------------------------

  function personLine(p) {
    const who = [p.nombre || `(${KIND[p.tipo]} ${p.id})`, p.cargo, p.organizacion].filter(Boolean).join(", ");
    return `${who}${p.correo ? ` <${p.correo}>` : ""} — ${KIND[p.tipo]}`;
  }

  function renderPeople() {
    const list = (items, ul) => {
      $(ul).replaceChildren(...items.map((p, i) => el("li", { "data-tipo": p.tipo, "data-id": p.id || "" },
        el("span", { text: personLine(p) + " " }),
        button("Quitar", () => { items.splice(i, 1); renderPeople(); }))));
    };
    list(state.destinatarios, "destinatarios");
    list(state.ccp, "copias");
    $("colaboradores").replaceChildren(...state.colaboradores.map((c, i) => el("li", { "data-funcionario": c.funcionario_id },
      who(c.funcionario_id),
      el("span", { text: ` (${c.rol === "revisor" ? "revisor(a)" : "editor(a)"}) ` }),
      button("Quitar", () => { state.colaboradores.splice(i, 1); renderPeople(); }))));
  }

  function addRecipient(entry, toCopy) {
    if (toCopy) state.ccp.push({ tipo: entry.tipo, id: entry.id, nombre: entry.nombre || "", cargo: entry.cargo || "" });
    else state.destinatarios.push(entry);
    renderPeople();
    say(`Se agregó «${entry.nombre || entry.id}» ${toCopy ? "a C.c.p." : "como destinatario"}; se confirma con el directorio al guardar.`);
  }

  function addCollaborator(id, rol) {
    if (state.colaboradores.some((c) => c.funcionario_id === id)) return;
    state.colaboradores.push({ funcionario_id: id, rol });
    renderPeople();
    say("Se agregó el colaborador; se guarda con el oficio.");
  }

  function resultItem(entry, label) {
    const item = el("li", { "data-tipo": entry.tipo, "data-id": entry.id },
      el("span", { text: `${label} ` }),
      button("Destinatario", () => addRecipient(entry, false)),
      button("C.c.p.", () => addRecipient(entry, true)));
    if (entry.tipo === "funcionario") {
      names.set(entry.id, Promise.resolve(entry.nombre));
      item.append(button("Revisor(a)", () => addCollaborator(entry.id, "revisor")),
        button("Editor(a)", () => addCollaborator(entry.id, "editor")));
    }
    return item;
  }

  async function searchDirectory() {
    const tipo = $("d-tipo").value;
    const text = $("d-texto").value.trim();
    const out = $("d-resultados");
    out.replaceChildren();
    if (tipo === "funcionario") {
      const page = await call("GET", `/api/v1/directorio/funcionarios?${new URLSearchParams({ q: text, limite: "20" })}`);
      for (const f of page.funcionarios) {
        const cargo = f.puesto ? f.puesto.titulo : "";
        const entry = { tipo: "funcionario", id: f.id, nombre: f.nombre_completo, cargo, organizacion: f.unidad ? f.unidad.nombre : "" };
        out.append(resultItem(entry, [f.nombre_completo, cargo, f.unidad && f.unidad.nombre].filter(Boolean).join(", ")));
      }
    } else {
      const needle = text.toLowerCase();
      const units = (await call("GET", "/api/v1/directorio/unidades"))
        .filter((u) => u.activa && (!needle || u.nombre.toLowerCase().includes(needle) || u.id.toLowerCase().includes(needle)))
        .slice(0, 20);
      for (const u of units) {
        if (tipo === "unidad") {
          out.append(resultItem({ tipo: "unidad", id: u.id, nombre: u.nombre }, `${u.nombre} (${u.id})`));
        } else {
          const detail = await call("GET", `/api/v1/directorio/unidades/${encodeURIComponent(u.id)}`);
          for (const p of detail.puestos.filter((x) => x.activo)) {
            const holder = p.ocupante ? p.ocupante.nombre_completo : "vacante";
            out.append(resultItem({ tipo: "puesto", id: p.id, nombre: p.titulo }, `${p.titulo} — ${u.nombre} (${holder})`));
          }
        }
      }
    }
    if (!out.children.length) out.append(el("li", { class: "muted", text: "Sin resultados en el directorio." }));
  }

  function addExternal(toCopy) {
    const nombre = $("x-nombre").value.trim();
    const organizacion = $("x-organizacion").value.trim();
    const correo = $("x-correo").value.trim();
    if (toCopy) {
      if (!nombre) { fail("Indique el nombre de la copia."); return; }
      state.ccp.push({ tipo: "externo", nombre, cargo: [$("x-cargo").value.trim(), organizacion].filter(Boolean).join(", ") });
    } else {
      state.destinatarios.push({ tipo: "externo", nombre, cargo: $("x-cargo").value.trim(), organizacion, correo });
    }
    for (const id of ["x-nombre", "x-cargo", "x-organizacion", "x-correo"]) $(id).value = "";
    renderPeople();
    say("Se agregó el destinatario externo; se valida al guardar.");
  }

  async function useMyData() {
    const me = await call("GET", `/api/v1/directorio/funcionarios/${encodeURIComponent(YO)}`);
    let dependencia = "";
    if (me.unidad) {
      const deps = await call("GET", "/api/v1/directorio/dependencias");
      const dep = deps.find((d) => d.id === me.unidad.dependencia_id);
      dependencia = dep ? dep.nombre : "";
    }
    $("r-nombre").value = me.nombre_completo;
    $("r-cargo").value = me.puesto ? me.puesto.titulo : "";
    $("r-dependencia").value = dependencia;
    $("r-unidad").value = me.unidad ? me.unidad.nombre : "";
    state.firmantes = [{ funcionario_id: me.id, nombre: me.nombre_completo, cargo: me.puesto ? me.puesto.titulo : "" }];
    say("Remitente y firmante tomados del directorio.");
  }

  // --- load, save ------------------------------------------------------------------------------

  function show(draft) {
    state.draft = draft;
    const c = draft.contenido || {};
    state.destinatarios = JSON.parse(JSON.stringify(c.destinatarios || []));
    state.ccp = JSON.parse(JSON.stringify(c.ccp || []));
    state.firmantes = JSON.parse(JSON.stringify(c.firmantes || []));
    state.colaboradores = JSON.parse(JSON.stringify(draft.colaboradores || []));
    $("nuevo").hidden = true;
    $("oficio").hidden = false;
    $("estado").textContent = STATUS[draft.status] || draft.status;
    $("estado").dataset.status = draft.status;
    $("version").textContent = String(draft.version);
    $("plantilla").textContent = `${draft.plantilla_id} v${draft.plantilla_version}`;
    templateNames().then((names) => {
      const name = names.get(draft.plantilla_id);
      if (name && state.draft === draft) $("plantilla").textContent = `${name} (v${draft.plantilla_version})`;
    });
    $("folio-caja").hidden = !draft.folio;
    $("folio").textContent = draft.folio || "";
    $("e-asunto").value = draft.asunto;
    $("e-prioridad").value = draft.prioridad || "ordinaria";
    $("e-fecha-limite").value = draft.fecha_limite_respuesta || "";
    $("e-iniciales").value = c.iniciales || "";
    const r = c.remitente || {};
    $("r-nombre").value = r.nombre || "";
    $("r-cargo").value = r.cargo || "";
    $("r-dependencia").value = r.dependencia || "";
    $("r-unidad").value = r.unidad || "";
    setBody(c.cuerpo);
    renderPeople();
    const editable = draft.status === "borrador";
    for (const id of ["guardar", "solicitar-revision"]) $(id).disabled = !editable;
    $("cuerpo").contentEditable = editable ? "true" : "false";
    $("finalizar").disabled = !["borrador", "en_revision"].includes(draft.status);
    renderReviews();
  }

  function renderReviews() {
    const d = state.draft;
    $("revisiones").replaceChildren(...(d.revisiones || []).map((r) => el("li", { "data-revisor": r.revisor_id },
      who(r.revisor_id),
      el("span", { text: `: ${REVIEW[r.estado] || r.estado} (versión ${r.version || "—"})${r.comentario ? ` — «${r.comentario}»` : ""}` }))));
    const mine = (d.revisiones || []).find((r) => r.revisor_id === YO);
    const canReview = d.status === "en_revision" && Boolean(mine);
    $("revision").hidden = !(d.revisiones || []).length;
    $("visto-bueno").disabled = !canReview;
    $("cambios").disabled = !canReview;
  }

  function contentToSave() {
    const c = state.draft.contenido || {};
    const remitente = {
      nombre: $("r-nombre").value.trim(), cargo: $("r-cargo").value.trim(),
      dependencia: $("r-dependencia").value.trim(), unidad: $("r-unidad").value.trim(),
    };
    return {
      remitente: remitente.nombre ? remitente : null,
      destinatarios: state.destinatarios,
      cuerpo: { blocks: blocksOf($("cuerpo")) },
      firmantes: state.firmantes,
      ccp: state.ccp,
      iniciales: $("e-iniciales").value.trim(),
      anexos: c.anexos || [],
      referencia: c.referencia || null,
    };
  }

  async function save() {
    const d = state.draft;
    const body = {
      version: d.version,
      asunto: $("e-asunto").value,
      prioridad: $("e-prioridad").value,
      fecha_limite_respuesta: $("e-fecha-limite").value || null,
      contenido: contentToSave(),
    };
    if (JSON.stringify(state.colaboradores) !== JSON.stringify(d.colaboradores || [])) body.colaboradores = state.colaboradores;
    const response = await api("PATCH", oficioPath(), body);
    if (response.status === 409) {
      // Never overwrite: keep what this person wrote on screen and offer the latest version.
      fail(await errorOf(response));
      $("error").append(" ", button("Cargar la última versión (se pierden los cambios sin guardar)", () => load(d.id)));
      return;
    }
    if (!response.ok) { fail(await errorOf(response)); return; }
    show(await response.json());
    await refreshSide();
    say(`Se guardó la versión ${state.draft.version}.`);
  }

  async function load(id) {
    show(await call("GET", `/api/v1/oficios/${encodeURIComponent(id)}`));
    await refreshSide();
    say("");
  }

  // --- versions and tracked changes ------------------------------------------------------------

  async function refreshSide() {
    const versions = await call("GET", `${oficioPath()}/versiones`);
    const numbers = versions.map((v) => v.n);
    for (const [id, pick] of [["v-desde", numbers[numbers.length - 2] ?? numbers[0]], ["v-hasta", numbers[numbers.length - 1]]]) {
      $(id).replaceChildren(...numbers.map((n) => el("option", { value: String(n), text: `Versión ${n}` })));
      if (pick !== undefined) $(id).value = String(pick);
    }
    await renderComments();
  }

  async function compare() {
    const params = new URLSearchParams({ desde: $("v-desde").value, hasta: $("v-hasta").value });
    const diff = await call("GET", `${oficioPath()}/diferencias?${params}`);
    const out = $("diferencias");
    const changed = diff.bloques.filter((b) => b.cambio);
    out.replaceChildren(el("p", { class: "muted", text: `De la versión ${diff.desde} a la ${diff.hasta}: ${changed.length ? `${changed.length} parte(s) cambiaron.` : "sin cambios."}` }));
    for (const b of changed) {
      const box = el("div", { class: "bloque-diff", "data-bloque": b.bloque }, el("strong", { text: `${BLOCK[b.bloque] || b.bloque}: ` }));
      for (const f of b.fragmentos) {
        box.append(f.op === "insert" ? el("ins", { text: f.text }) : f.op === "delete" ? el("del", { text: f.text }) : document.createTextNode(f.text));
      }
      out.append(box);
    }
  }

  // --- comments --------------------------------------------------------------------------------

  async function renderComments() {
    const comments = await call("GET", `${oficioPath()}/comentarios`);
    $("comentarios").replaceChildren(...comments.map((c) => {
      const reply = el("input", { "aria-label": "Respuesta", maxlength: "5000" });
      const box = el("div", { class: `comentario${c.resuelto ? " resuelto" : ""}`, "data-comentario": c.id },
        el("p", {}, el("strong", {}, who(c.autor_id), ": "), document.createTextNode(c.texto)),
        c.ancla && c.ancla.texto_citado ? el("p", { class: "muted", text: `Sobre «${c.ancla.texto_citado}» (${c.ancla.bloque}, versión ${c.ancla.version})` }) : "",
        el("ul", {}, ...(c.respuestas || []).map((r) => el("li", {}, who(r.autor_id), `: ${r.texto}`))),
        reply,
        button("Responder", async () => {
          await call("POST", `${oficioPath()}/comentarios/${c.id}/respuestas`, { texto: reply.value });
          await renderComments();
        }),
        button(c.resuelto ? "Reabrir" : "Marcar como resuelto", async () => {
          await call("POST", `${oficioPath()}/comentarios/${c.id}/resolucion`, { resuelto: !c.resuelto });
          await renderComments();
        }));
      return box;
    }));
  }

  async function comment() {
    const selection = String(window.getSelection() || "").trim();
    await call("POST", `${oficioPath()}/comentarios`, {
      texto: $("nuevo-comentario").value,
      ancla: { bloque: "cuerpo", texto_citado: selection.slice(0, 2000), version: state.draft.version },
    });
    $("nuevo-comentario").value = "";
    await renderComments();
    say("Se agregó el comentario.");
  }

  // --- review, finalize, preview ---------------------------------------------------------------

  async function requestReview() {
    show(await call("POST", `${oficioPath()}/revisiones`, {}));
    say("Se solicitó la revisión.");
  }

  async function verdict(resultado) {
    show(await call("POST", `${oficioPath()}/dictamenes`, {
      resultado, version: state.draft.version, comentario: $("dictamen-comentario").value,
    }));
    say(resultado === "visto_bueno" ? "Dio su visto bueno a esta versión." : "Solicitó cambios al autor.");
  }

  async function finalize() {
    say("Finalizando: asignando folio y generando el PDF…");
    show(await call("POST", `${oficioPath()}/finalizacion`));
    say(`Oficio listo para firma con el folio ${state.draft.folio}.`);
  }

  async function preview() {
    const box = $("vista-previa");
    box.replaceChildren(el("p", { class: "muted", text: "Generando la vista previa…" }));
    const response = await api("GET", `${oficioPath()}/vista-previa?formato=pdf`);
    if (!response.ok) { box.replaceChildren(); fail(await errorOf(response)); return; }
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    box.dataset.tipo = blob.type;
    box.dataset.bytes = String(blob.size);
    box.replaceChildren(el("iframe", { id: "vista-documento", src: url, title: "Vista previa del oficio (PDF)" }),
      el("p", {}, el("a", { href: url, download: `oficio-${state.draft.id}.pdf`, text: "Descargar el PDF" })));
  }

  // --- new draft -------------------------------------------------------------------------------

  let namesOfTemplates = null;
  function templateNames() {
    // The templates' names, asked once per page; an error leaves the ids on screen.
    if (!namesOfTemplates) {
      namesOfTemplates = call("GET", "/api/v1/plantillas")
        .then((templates) => new Map(templates.map((t) => [t.plantilla_id, t.nombre])))
        .catch(() => new Map());
    }
    return namesOfTemplates;
  }

  async function startNew() {
    $("nuevo").hidden = false;
    $("oficio").hidden = true;
    const templates = await call("GET", "/api/v1/plantillas");
    $("n-plantilla").replaceChildren(...templates.map((t) =>
      el("option", { value: t.plantilla_id, text: `${t.nombre} (v${t.version})` })));
    $("n-plantilla").value = "municipal-homologado";
  }

  async function create() {
    const draft = await call("POST", "/api/v1/oficios", {
      asunto: $("n-asunto").value,
      kind: $("n-tipo").value,
      confidencialidad: $("n-confidencialidad").value,
      plantilla_id: $("n-plantilla").value || null,
    });
    history.replaceState(null, "", `/redaccion?oficio=${encodeURIComponent(draft.id)}`);
    await load(draft.id);
    say("Se creó el borrador (versión 1).");
  }

  function bind() {
    const on = (id, fn) => $(id).addEventListener("click", () => Promise.resolve(fn()).catch((e) => fail(e.message)));
    document.execCommand("defaultParagraphSeparator", false, "p");
    for (const b of document.querySelectorAll(".barra button[data-cmd]")) {
      b.addEventListener("mousedown", (e) => e.preventDefault()); // keep the selection in the body
      b.addEventListener("click", () => document.execCommand(b.dataset.cmd));
    }
    $("salto").addEventListener("mousedown", (e) => e.preventDefault());
    $("salto").addEventListener("click", () => document.execCommand("insertLineBreak"));
    on("tabla", insertTable);
    on("crear", create);
    on("guardar", save);
    on("remitente-yo", useMyData);
    on("d-buscar", searchDirectory);
    on("x-agregar", () => addExternal(false));
    on("x-copia", () => addExternal(true));
    on("c-agregar", () => {
      const id = $("c-id").value.trim();
      if (!id) return;
      addCollaborator(id, $("c-rol").value);
      $("c-id").value = "";
    });
    on("comparar", compare);
    on("comentar", comment);
    on("solicitar-revision", requestReview);
    on("visto-bueno", () => verdict("visto_bueno"));
    on("cambios", () => verdict("cambios_solicitados"));
    on("finalizar", finalize);
    on("vista-previa-pdf", preview);
  }

  bind();
  const id = new URLSearchParams(location.search).get("oficio");
  (id ? load(id) : startNew()).catch((e) => fail(e.message));
})();
