// Drafting an oficio: create it from a template, write it (recipients from the directory or
// external, C.c.p., signers from the directory in order, a constrained rich-text body), save
// versions (409 on a concurrent save, never an overwrite), see the tracked changes, comment, ask for
// review, give visto bueno, finalize, preview.
// Every rule is the server's; the page offers only what the oficio's `permisos` allow the caller.
// Nothing typed is lost: state changes save first, a conflict keeps this person's text (with the
// word diff to re-apply it), and leaving with unsaved changes asks first.
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
  const LABEL = { prioridad: "Prioridad", fecha_limite_respuesta: "Fecha límite", colaboradores: "Colaboradores" };
  const state = { draft: null, saved: null, mine: null, destinatarios: [], ccp: [], firmantes: [], colaboradores: [] };
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

  const may = (what) => Boolean(state.draft && state.draft.permisos && state.draft.permisos[what]);

  function move(items, i, by) {
    const j = i + by;
    if (j < 0 || j >= items.length) return;
    [items[i], items[j]] = [items[j], items[i]];
    renderPeople();
  }

  function renderPeople() {
    const editing = may("editar");
    const list = (items, ul) => {
      $(ul).replaceChildren(...items.map((p, i) => el("li", { "data-tipo": p.tipo, "data-id": p.id || "" },
        el("span", { text: personLine(p) + " " }),
        editing ? button("Quitar", () => { items.splice(i, 1); renderPeople(); }) : "")));
      if (!items.length) $(ul).append(el("li", { class: "muted", text: "Ninguno todavía." }));
    };
    list(state.destinatarios, "destinatarios");
    list(state.ccp, "copias");
    const signers = state.firmantes;
    $("firmantes").replaceChildren(...signers.map((f, i) => el("li", { "data-funcionario": f.funcionario_id || "" },
      el("span", { text: `${i + 1}. ${[f.nombre || f.funcionario_id, f.cargo].filter(Boolean).join(", ")}${f.funcionario_id ? "" : " (fuera del directorio)"} ` }),
      editing && i > 0 ? button("Subir", () => move(signers, i, -1)) : "",
      editing && i < signers.length - 1 ? button("Bajar", () => move(signers, i, 1)) : "",
      editing ? button("Quitar", () => { signers.splice(i, 1); renderPeople(); }) : "")));
    if (!signers.length) $("firmantes").append(el("li", { class: "muted", text: "Sin firmantes todavía." }));
    const changing = may("cambiar_colaboradores");
    $("colaboradores").replaceChildren(...state.colaboradores.map((c, i) => {
      const row = el("li", { "data-funcionario": c.funcionario_id }, who(c.funcionario_id), " ");
      if (changing) {
        const role = el("select", { "aria-label": "Rol", "data-rol": c.rol },
          el("option", { value: "revisor", text: "Revisor(a)" }), el("option", { value: "editor", text: "Editor(a)" }));
        role.value = c.rol;
        role.addEventListener("change", () => { c.rol = role.value; role.dataset.rol = role.value; changed(); });
        row.append(role, " ", button("Quitar", () => { state.colaboradores.splice(i, 1); renderPeople(); }));
      } else {
        row.append(el("span", { text: `(${c.rol === "revisor" ? "revisor(a)" : "editor(a)"})` }));
      }
      return row;
    }));
    changed();
  }

  function addRecipient(entry, toCopy) {
    if (toCopy) state.ccp.push({ tipo: entry.tipo, id: entry.id, nombre: entry.nombre || "", cargo: entry.cargo || "" });
    else state.destinatarios.push(entry);
    renderPeople();
    say(`Se agregó «${entry.nombre || entry.id}» ${toCopy ? "a C.c.p." : "como destinatario"}; se confirma con el directorio al guardar.`);
  }

  function addCollaborator(id, rol) {
    const found = state.colaboradores.find((c) => c.funcionario_id === id);
    if (found) found.rol = rol;
    else state.colaboradores.push({ funcionario_id: id, rol });
    renderPeople();
    say("Se agregó el colaborador; se guarda con el oficio.");
  }

  async function personData(id) {
    // Name, title, unit and dependencia of an official, as the directory has them.
    const f = await call("GET", `/api/v1/directorio/funcionarios/${encodeURIComponent(id)}`);
    let dependencia = "";
    if (f.unidad) {
      const deps = await call("GET", "/api/v1/directorio/dependencias");
      const dep = deps.find((d) => d.id === f.unidad.dependencia_id);
      dependencia = dep ? dep.nombre : "";
    }
    return { id: f.id, nombre: f.nombre_completo, cargo: f.puesto ? f.puesto.titulo : "", unidad: f.unidad ? f.unidad.nombre : "", dependencia };
  }

  function setSender(p) {
    $("r-nombre").value = p.nombre;
    $("r-cargo").value = p.cargo;
    $("r-dependencia").value = p.dependencia;
    $("r-unidad").value = p.unidad;
    changed();
  }

  async function addSigner(id) {
    if (state.firmantes.some((f) => f.funcionario_id === id)) { say("Esa persona ya es firmante."); return; }
    const p = await personData(id);
    state.firmantes.push({ funcionario_id: p.id, nombre: p.nombre, cargo: p.cargo });
    const first = state.firmantes.length === 1;
    if (first && !$("r-nombre").value.trim()) setSender(p); // the usual case: who signs is who sends
    renderPeople();
    say(`${p.nombre} firmará el oficio (firmante ${state.firmantes.length})${first && $("r-nombre").value === p.nombre ? "; también es el remitente" : ""}. Se guarda con el oficio.`);
  }

  async function senderFromFirstSigner() {
    const first = state.firmantes.find((f) => f.funcionario_id);
    if (!first) { fail("Agregue primero un firmante del directorio."); return; }
    setSender(await personData(first.funcionario_id));
    say("Remitente tomado del primer firmante.");
  }

  function resultItem(entry, label) {
    const item = el("li", { "data-tipo": entry.tipo, "data-id": entry.id },
      el("span", { text: `${label} ` }),
      button("Destinatario", () => addRecipient(entry, false)),
      button("C.c.p.", () => addRecipient(entry, true)));
    if (entry.tipo === "funcionario") {
      names.set(entry.id, Promise.resolve(entry.nombre));
      item.append(button("Firmante", () => addSigner(entry.id)),
        button("Revisor(a)", () => addCollaborator(entry.id, "revisor")),
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
    setSender(await personData(YO));
    say("Remitente tomado de sus datos del directorio.");
  }

  // --- load, save ------------------------------------------------------------------------------

  const copy = (x) => JSON.parse(JSON.stringify(x));
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  // The parts of the form that a save stores; a conflict is resolved part by part.
  const PARTS = ["asunto", "prioridad", "fecha_limite_respuesta", "iniciales", "remitente", "destinatarios",
    "cuerpo", "firmantes", "ccp", "colaboradores"];

  function formOf(draft) {
    const c = draft.contenido || {};
    return {
      asunto: draft.asunto, prioridad: draft.prioridad || "ordinaria",
      fecha_limite_respuesta: draft.fecha_limite_respuesta || null, iniciales: c.iniciales || "",
      remitente: c.remitente || null, destinatarios: c.destinatarios || [], cuerpo: c.cuerpo || { blocks: [] },
      firmantes: c.firmantes || [], ccp: c.ccp || [], colaboradores: draft.colaboradores || [],
    };
  }

  function fillForm(form) {
    $("e-asunto").value = form.asunto;
    $("e-prioridad").value = form.prioridad;
    $("e-fecha-limite").value = form.fecha_limite_respuesta || "";
    spellDate($("e-fecha-limite"));
    $("e-iniciales").value = form.iniciales;
    const r = form.remitente || {};
    $("r-nombre").value = r.nombre || "";
    $("r-cargo").value = r.cargo || "";
    $("r-dependencia").value = r.dependencia || "";
    $("r-unidad").value = r.unidad || "";
    state.destinatarios = copy(form.destinatarios);
    state.ccp = copy(form.ccp);
    state.firmantes = copy(form.firmantes);
    state.colaboradores = copy(form.colaboradores);
    setBody(form.cuerpo);
    renderPeople();
  }

  function formState() {
    // What the person has on screen now, in the shape a save sends.
    const remitente = {
      nombre: $("r-nombre").value.trim(), cargo: $("r-cargo").value.trim(),
      dependencia: $("r-dependencia").value.trim(), unidad: $("r-unidad").value.trim(),
    };
    const saved = (state.draft.contenido || {}).remitente || {};
    if (saved.domicilio) remitente.domicilio = saved.domicilio;
    return {
      asunto: $("e-asunto").value.trim(), prioridad: $("e-prioridad").value,
      fecha_limite_respuesta: $("e-fecha-limite").value || null, iniciales: $("e-iniciales").value.trim(),
      remitente: remitente.nombre ? remitente : null, destinatarios: copy(state.destinatarios),
      cuerpo: { blocks: blocksOf($("cuerpo")) }, firmantes: copy(state.firmantes), ccp: copy(state.ccp),
      colaboradores: copy(state.colaboradores),
    };
  }

  function contentOf(form) {
    const c = state.draft.contenido || {};
    return {
      remitente: form.remitente, destinatarios: form.destinatarios, cuerpo: form.cuerpo, firmantes: form.firmantes,
      ccp: form.ccp, iniciales: form.iniciales, anexos: c.anexos || [], referencia: c.referencia || null,
    };
  }

  function dirtyParts() {
    if (!state.draft || !state.saved || !may("editar")) return [];
    const now = formState();
    return PARTS.filter((k) => !same(now[k], state.saved[k]));
  }

  function changed() {
    // Called on every edit: tells the person there is something to save.
    if (!state.draft) return;
    $("sin-guardar").hidden = !dirtyParts().length;
  }

  function show(draft) {
    state.draft = draft;
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
    // Offer only what this person may do now; the server decides again on every call.
    const editable = may("editar");
    for (const node of document.querySelectorAll("#edicion input, #edicion select, #edicion textarea")) node.disabled = !editable;
    for (const node of document.querySelectorAll("#edicion .edita, .barra")) node.hidden = !editable;
    for (const node of document.querySelectorAll(".edita-colaboradores")) node.hidden = !may("cambiar_colaboradores");
    $("cuerpo").contentEditable = editable ? "true" : "false";
    $("guardar").hidden = !editable;
    $("solicitar-revision").hidden = !may("solicitar_revision");
    $("finalizar").hidden = !may("finalizar");
    $("comentar-caja").hidden = !may("comentar");
    $("conflicto").hidden = true;
    state.saved = null;
    fillForm(formOf(draft));
    state.saved = formState(); // as the page reads it back: the baseline of "unsaved changes"
    changed();
    renderReviews();
  }

  function renderReviews() {
    const d = state.draft;
    const current = new Set((d.colaboradores || []).filter((c) => c.rol === "revisor").map((c) => c.funcionario_id));
    $("revisiones").replaceChildren(...(d.revisiones || []).map((r) => el("li", { "data-revisor": r.revisor_id },
      who(r.revisor_id),
      el("span", { text: `: ${REVIEW[r.estado] || r.estado} (versión ${r.version || "—"})${r.comentario ? ` — «${r.comentario}»` : ""}${current.has(r.revisor_id) ? "" : " — ya no es revisor(a)"}` }))));
    $("revision").hidden = !(d.revisiones || []).length;
    for (const id of ["visto-bueno", "cambios", "dictamen-comentario"]) $(id).hidden = !may("revisar");
    $("revision").querySelector("label[for=dictamen-comentario]").hidden = !may("revisar");
  }

  function saveBody(form) {
    const d = state.draft;
    const body = {
      version: d.version, asunto: form.asunto, prioridad: form.prioridad,
      fecha_limite_respuesta: form.fecha_limite_respuesta, contenido: contentOf(form),
    };
    if (!same(form.colaboradores, d.colaboradores || [])) body.colaboradores = form.colaboradores;
    return body;
  }

  async function save() {
    // True once stored. A 409 never overwrites and never loses what this person wrote.
    const base = state.saved;
    const mine = formState();
    const response = await api("PATCH", oficioPath(), saveBody(mine));
    if (response.status === 409) {
      const message = await errorOf(response);
      await conflict(base, mine, message);
      return false;
    }
    if (!response.ok) { fail(await errorOf(response)); return false; }
    show(await response.json());
    await refreshSide();
    say(`Se guardó la versión ${state.draft.version}.`);
    return true;
  }

  async function conflict(base, mine, message) {
    const latest = await call("GET", oficioPath());
    show(latest);
    const editable = may("editar");
    // Parts only this person changed go onto the latest version at once; parts both changed keep
    // the latest on screen and this person's text in the conflict box, with the word diff. If the
    // oficio can no longer be edited here, all of this person's text stays in the box.
    const theirs = formState();
    const merged = { ...theirs };
    const clashing = [];
    for (const k of PARTS) {
      if (same(mine[k], base[k]) || same(mine[k], theirs[k])) continue;
      if (editable && same(theirs[k], base[k])) merged[k] = mine[k];
      else clashing.push(k);
    }
    if (editable) fillForm(merged);
    changed();
    if (!clashing.length) {
      say(`Otra persona guardó la versión ${latest.version} mientras usted editaba. Sus cambios se pasaron a esa versión sin pisar los de ella: revíselos y guarde.`);
      return;
    }
    state.mine = { form: mine, parts: clashing };
    const names = clashing.map((k) => (BLOCK[k] || LABEL[k] || k).toLowerCase()).join(", ");
    const why = editable ? `Otra persona guardó la versión ${latest.version} mientras usted editaba.` : message;
    $("conflicto-texto").textContent = `${why} Los dos cambiaron: ${names}. `
      + "Su texto no se perdió: abajo está lo que su texto cambia frente a esa versión (en verde lo suyo, "
      + "tachado en rojo lo de la otra versión)."
      + (editable ? " «Reaplicar mi texto» lo vuelve a poner en el editor para que lo guarde." : " Cópielo antes de salir de la página.");
    const out = $("conflicto-diferencias");
    out.replaceChildren();
    try {
      const diff = await call("POST", `${oficioPath()}/diferencias`, {
        desde: latest.version, asunto: mine.asunto, contenido: contentOf(mine),
      });
      renderDiff(out, diff.bloques.filter((b) => b.cambio && clashing.includes(b.bloque)));
    } catch (e) {
      out.append(el("p", { class: "muted", text: `No se pudo mostrar la comparación (${e.message}); su texto se conserva para reaplicarlo.` }));
    }
    $("reaplicar").hidden = !editable;
    $("conflicto").hidden = false;
    fail("Otra persona guardó cambios mientras usted editaba; su texto se conserva abajo.");
  }

  function reapply() {
    const kept = state.mine;
    if (!kept) return;
    const now = formState();
    for (const k of kept.parts) now[k] = kept.form[k];
    fillForm(now);
    state.mine = null;
    $("conflicto").hidden = true;
    changed();
    say(`Se reaplicó su texto sobre la versión ${state.draft.version}; revise y guarde.`);
  }

  function discardMine() {
    state.mine = null;
    $("conflicto").hidden = true;
    say(`Se descartó su texto; el editor muestra la versión ${state.draft.version}.`);
  }

  async function savedFirst() {
    // Before any change of state: store what is typed, or stop (nothing typed is dropped).
    if (!dirtyParts().length) return true;
    return save();
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

  function renderDiff(out, blocks) {
    for (const b of blocks) {
      const box = el("div", { class: "bloque-diff", "data-bloque": b.bloque }, el("strong", { text: `${BLOCK[b.bloque] || b.bloque}: ` }));
      for (const f of b.fragmentos) {
        box.append(f.op === "insert" ? el("ins", { text: f.text }) : f.op === "delete" ? el("del", { text: f.text }) : document.createTextNode(f.text));
      }
      out.append(box);
    }
  }

  async function compare() {
    const params = new URLSearchParams({ desde: $("v-desde").value, hasta: $("v-hasta").value });
    const diff = await call("GET", `${oficioPath()}/diferencias?${params}`);
    const out = $("diferencias");
    const changedBlocks = diff.bloques.filter((b) => b.cambio);
    out.replaceChildren(el("p", { class: "muted", text: `De la versión ${diff.desde} a la ${diff.hasta}: ${changedBlocks.length ? `${changedBlocks.length} parte(s) cambiaron.` : "sin cambios."}` }));
    renderDiff(out, changedBlocks);
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
    if (!(await savedFirst())) return;
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
    if (!(await savedFirst())) return;
    say("Finalizando: asignando folio y generando el PDF…");
    show(await call("POST", `${oficioPath()}/finalizacion`));
    say(`Oficio listo para firma con el folio ${state.draft.folio}.`);
  }

  async function preview() {
    const box = $("vista-previa");
    const note = $("vista-previa-nota");
    box.replaceChildren(el("p", { class: "muted", text: "Generando la vista previa…" }));
    const unsaved = dirtyParts().length > 0;
    const form = formState();
    const response = unsaved
      ? await api("POST", `${oficioPath()}/vista-previa?formato=pdf`, { asunto: form.asunto, contenido: contentOf(form) })
      : await api("GET", `${oficioPath()}/vista-previa?formato=pdf`);
    if (!response.ok) { box.replaceChildren(); note.textContent = ""; fail(await errorOf(response)); return; }
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    box.dataset.tipo = blob.type;
    box.dataset.bytes = String(blob.size);
    box.dataset.sinGuardar = String(unsaved);
    note.textContent = unsaved
      ? `Vista previa con sus cambios sin guardar (la versión guardada es la ${state.draft.version}): guárdelos para que cuenten.`
      : `Vista previa de la versión ${state.draft.version}, tal como está guardada.`;
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
    on("remitente-firmante", senderFromFirstSigner);
    on("firmante-yo", () => addSigner(YO));
    on("reaplicar", reapply);
    on("descartar-mio", discardMine);
    // Every edit marks the page as having unsaved changes; leaving then asks first.
    $("edicion").addEventListener("input", changed);
    $("edicion").addEventListener("change", changed);
    window.addEventListener("beforeunload", (event) => {
      if (!dirtyParts().length) return;
      event.preventDefault();
      event.returnValue = "";
    });
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
