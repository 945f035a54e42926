// The template designer: list, create and edit templates through /api/v1/plantillas. Every check
// is the server's: this page shows the server's Spanish messages as they come (422 invalid template,
// 409 someone saved first, 403 not an administrator).
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = { catalogue: null, template: null, id: null, version: null, dirty: false, lastField: null };
  const ALIGN = { left: "Izquierda", center: "Centro", right: "Derecha", justify: "Justificado" };
  const REGION = { header: "Encabezado", content: "Contenido", footer: "Pie" };
  const POSITION = { left: "A la izquierda", right: "A la derecha", top: "Arriba" };
  const ESCUDO = "\u0000escudo";  // the image choice "the issuing dependencia's escudo" (no image id has it)

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function say(message) {
    $("error").textContent = "";
    $("aviso").textContent = message;
  }

  function fail(message) {
    $("aviso").textContent = "";
    $("error").textContent = message;
  }

  async function errorOf(response) {
    const body = await response.json().catch(() => null);
    if (body && body.message) return body.message;
    return `No se pudo completar la operación (error ${response.status}).`;
  }

  async function getJson(path) {
    const response = await api("GET", path);
    if (!response.ok) throw new Error(await errorOf(response));
    return response.json();
  }

  // --- list ------------------------------------------------------------------------------------

  async function showList() {
    $("editor").hidden = true;
    $("lista-seccion").hidden = false;
    $("vista-previa").replaceChildren();
    const rows = $("lista").querySelector("tbody");
    rows.replaceChildren();
    let found;
    try {
      found = await getJson("/api/v1/plantillas");
    } catch (exc) {
      fail(exc.message);
      return;
    }
    for (const doc of found) {
      const edit = el("button", { type: "button", text: "Editar", "data-plantilla": doc.plantilla_id });
      edit.addEventListener("click", () => openTemplate(doc.plantilla_id));
      rows.append(
        el("tr", { "data-plantilla": doc.plantilla_id },
          el("td", { text: doc.nombre }),
          el("td", { text: doc.plantilla_id }),
          el("td", { text: String(doc.version) }),
          el("td", {}, edit))
      );
    }
  }

  // --- editor ----------------------------------------------------------------------------------

  function startEditor(template, id, version) {
    state.template = JSON.parse(JSON.stringify(template));
    state.id = id;
    state.version = version;
    state.dirty = false;
    $("lista-seccion").hidden = true;
    $("editor").hidden = false;
    $("vista-previa").replaceChildren();
    $("editor-titulo").textContent = id ? `Plantilla «${template.name}» (versión ${version})` : "Nueva plantilla";
    $("p-id").value = id || "";
    $("p-id").disabled = Boolean(id);
    $("retirar").hidden = !id;
    fillGeneral();
    renderImages();
    renderIdentities();
    renderBlocks();
  }

  async function openTemplate(id) {
    try {
      const doc = await getJson(`/api/v1/plantillas/${encodeURIComponent(id)}`);
      startEditor(doc.datos, doc.plantilla_id, doc.version);
      say("");
    } catch (exc) {
      fail(exc.message);
    }
  }

  function fillGeneral() {
    const t = state.template;
    $("p-nombre").value = t.name || "";
    $("p-tamano").value = t.page_size || "carta";
    $("p-fuente").value = t.font || state.catalogue.fuentes[0];
    $("p-tamano-letra").value = t.font_size ?? 11;
    $("p-particion").value = t.line_breaking || "simple";
    $("p-margen-superior").value = t.margins.top;
    $("p-margen-derecho").value = t.margins.right;
    $("p-margen-inferior").value = t.margins.bottom;
    $("p-margen-izquierdo").value = t.margins.left;
  }

  function bindGeneral() {
    const num = (v) => (v === "" ? null : Number(v));
    const on = (id, apply) => $(id).addEventListener("input", (e) => { apply(e.target.value); state.dirty = true; });
    on("p-nombre", (v) => { state.template.name = v; });
    on("p-tamano", (v) => { state.template.page_size = v; });
    on("p-fuente", (v) => { state.template.font = v; });
    on("p-tamano-letra", (v) => { state.template.font_size = num(v); });
    on("p-particion", (v) => { state.template.line_breaking = v; });
    on("p-margen-superior", (v) => { state.template.margins.top = num(v); });
    on("p-margen-derecho", (v) => { state.template.margins.right = num(v); });
    on("p-margen-inferior", (v) => { state.template.margins.bottom = num(v); });
    on("p-margen-izquierdo", (v) => { state.template.margins.left = num(v); });
  }

  // --- images ----------------------------------------------------------------------------------

  function renderImages() {
    const list = $("imagenes");
    list.replaceChildren();
    for (const image of state.template.images || []) {
      const remove = el("button", { type: "button", class: "secundario", text: "Quitar" });
      remove.addEventListener("click", () => {
        state.template.images = state.template.images.filter((i) => i.id !== image.id);
        state.dirty = true;
        renderImages();
        renderIdentities();
        renderBlocks();
      });
      list.append(
        el("li", { "data-imagen": image.id },
          el("img", { src: `data:${image.media_type};base64,${image.data}`, alt: `Imagen ${image.id}`, class: "miniatura" }),
          el("span", { text: ` ${image.id} (${image.media_type}) ` }),
          remove)
      );
    }
  }

  function readBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
      reader.onerror = () => reject(new Error("No se pudo leer el archivo."));
      reader.readAsDataURL(file);
    });
  }

  async function uploadImage() {
    const file = $("imagen-archivo").files[0];
    if (!file) return;
    const id = $("imagen-id").value.trim().toLowerCase();
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(id)) {
      fail("El identificador de la imagen solo admite minúsculas, números, guiones y guiones bajos.");
      return;
    }
    const data = await readBase64(file);
    // The declared type only helps the server's message; the server checks the bytes themselves.
    const media = ["image/png", "image/jpeg", "image/svg+xml"].includes(file.type) ? file.type : "image/png";
    const images = (state.template.images || []).filter((i) => i.id !== id);
    images.push({ id, media_type: media, data });
    state.template.images = images;
    state.dirty = true;
    $("imagen-archivo").value = "";
    renderImages();
    renderIdentities();
    renderBlocks();
    say(`Se agregó la imagen «${id}». Se valida al guardar.`);
  }

  // --- legend and escudo per dependencia ("identidades") ----------------------------------------

  function renderIdentities() {
    const list = $("identidades");
    list.replaceChildren();
    const identities = state.template.identidades || (state.template.identidades = []);
    identities.forEach((identity, index) => {
      const grid = el("div", { class: "rejilla" });
      // A dependencia without an escudo of its own prints the general one.
      const none = () => (identity.dependencia ? "El general" : "Sin escudo");
      const escudos = { "": none() };
      for (const image of state.template.images || []) escudos[image.id] = image.id;
      const escudo = select(escudos, identity.escudo && identity.escudo in escudos ? identity.escudo : "");
      grid.append(field("Dependencia (id; vacío: todas)", textInput(identity.dependencia || "", (v) => {
        identity.dependencia = v.trim();
        escudo.options[0].textContent = none();
      })));
      grid.append(field("Leyenda del año", textInput(identity.leyenda || "", (v) => { identity.leyenda = v; })));
      escudo.addEventListener("change", () => { identity.escudo = escudo.value || null; state.dirty = true; });
      grid.append(field("Escudo", escudo));
      grid.append(field("Nota (no se imprime)", textInput(identity.nota || "", (v) => { identity.nota = v; })));
      const remove = el("button", { type: "button", class: "peligro", text: "Quitar" });
      remove.addEventListener("click", () => {
        identities.splice(index, 1);
        state.dirty = true;
        renderIdentities();
      });
      list.append(el("li", { class: "bloque", "data-identidad": identity.dependencia || "" }, grid, remove));
    });
  }

  // --- blocks ----------------------------------------------------------------------------------

  function kindInfo(kind) {
    return state.catalogue.bloques.find((b) => b.tipo === kind);
  }

  function field(label, input) {
    const id = `f-${Math.random().toString(36).slice(2)}`;
    input.id = id;
    return el("div", { class: "campo" }, el("label", { for: id, text: label }), input);
  }

  function select(options, value) {
    const s = el("select");
    for (const [v, text] of Object.entries(options)) s.append(el("option", { value: v, text }));
    s.value = value;
    return s;
  }

  function textInput(value, apply, multiline) {
    const input = multiline ? el("textarea", { rows: 3 }) : el("input");
    input.value = value;
    input.dataset.texto = "1";
    input.addEventListener("focus", () => { state.lastField = input; });
    input.addEventListener("input", () => { apply(input.value); state.dirty = true; });
    return input;
  }

  function numberInput(value, apply, attrs) {
    const input = el("input", { type: "number", step: "any", ...attrs });
    input.value = value ?? "";
    input.addEventListener("input", () => { apply(input.value === "" ? null : Number(input.value)); state.dirty = true; });
    return input;
  }

  function checkbox(label, checked, apply) {
    const input = el("input", { type: "checkbox" });
    input.checked = Boolean(checked);
    input.addEventListener("change", () => { apply(input.checked); state.dirty = true; });
    return el("label", { class: "casilla" }, input, ` ${label}`);
  }

  function moveBlock(index, delta) {
    const blocks = state.template.blocks;
    const to = index + delta;
    if (to < 0 || to >= blocks.length) return;
    [blocks[index], blocks[to]] = [blocks[to], blocks[index]];
    state.dirty = true;
    renderBlocks();
  }

  function renderBlocks() {
    const list = $("bloques");
    list.replaceChildren();
    state.template.blocks.forEach((block, index) => list.append(blockItem(block, index)));
  }

  function blockItem(block, index) {
    const info = kindInfo(block.kind);
    const up = el("button", { type: "button", class: "secundario", text: "↑ Subir", title: "Subir", disabled: index === 0 });
    const down = el("button", {
      type: "button", class: "secundario", text: "↓ Bajar", title: "Bajar",
      disabled: index === state.template.blocks.length - 1,
    });
    const remove = el("button", { type: "button", class: "peligro", text: "Quitar" });
    up.addEventListener("click", () => moveBlock(index, -1));
    down.addEventListener("click", () => moveBlock(index, 1));
    remove.addEventListener("click", () => {
      state.template.blocks.splice(index, 1);
      state.dirty = true;
      renderBlocks();
    });
    const set = (name) => (value) => { block[name] = value; };
    const regions = info.solo_contenido ? { content: REGION.content } : REGION;
    const item = el("li", { class: "bloque", "data-tipo": block.kind },
      el("div", { class: "bloque-titulo" },
        el("strong", { text: `${info.nombre}${info.obligatorio ? " (obligatorio)" : ""}` }),
        el("span", { class: "bloque-botones" }, up, down, remove)));
    const grid = el("div", { class: "rejilla" });
    const region = select(regions, block.region || "content");
    region.addEventListener("change", () => { block.region = region.value; state.dirty = true; });
    grid.append(field("Región", region));
    const align = select(ALIGN, block.align || "left");
    align.addEventListener("change", () => { block.align = align.value; state.dirty = true; });
    grid.append(field("Alineación", align));
    grid.append(field("Etiqueta", textInput(block.label || "", (v) => { block.label = v === "" ? null : v; })));
    grid.append(field("Tamaño de letra (pt)", numberInput(block.size, set("size"), { min: 6, max: 24 })));
    grid.append(field("Espacio anterior (mm)", numberInput(block.space_before, set("space_before"), { min: 0, max: 60 })));
    item.append(grid);
    item.append(field("Líneas de texto fijo (una por renglón; admiten marcadores)",
      textInput((block.lines || []).join("\n"), (v) => { block.lines = v === "" ? [] : v.split("\n"); }, true)));
    item.append(el("div", { class: "casillas" },
      checkbox("Negritas", block.bold, set("bold")),
      checkbox("Cursivas", block.italic, set("italic")),
      checkbox("Solo en la primera página", block.first_page_only, set("first_page_only"))));
    if (info.con_imagen) {
      const ids = { "": "Sin imagen", [ESCUDO]: "Escudo de la dependencia" };
      for (const image of state.template.images || []) ids[image.id] = image.id;
      const current = block.image ? (block.image.escudo ? ESCUDO : block.image.image_id) : "";
      const image = select(ids, current in ids ? current : "");
      const extra = el("div", { class: "rejilla" });
      const renderExtra = () => {
        extra.replaceChildren();
        if (!block.image) return;
        extra.append(field("Ancho de la imagen (mm)", numberInput(block.image.width, (v) => { block.image.width = v; }, { min: 5, max: 200 })));
        const position = select(POSITION, block.image.position || "left");
        position.addEventListener("change", () => { block.image.position = position.value; state.dirty = true; });
        extra.append(field("Posición de la imagen", position));
      };
      image.addEventListener("change", () => {
        const width = (block.image && block.image.width) || 30;
        if (!image.value) block.image = null;
        else if (image.value === ESCUDO) block.image = { escudo: true, width, position: "left" };
        else block.image = { image_id: image.value, width, position: "left" };
        state.dirty = true;
        renderExtra();
      });
      item.append(field("Imagen", image));
      item.append(extra);
      renderExtra();
    }
    if (info.con_area) {
      block.area = block.area || { width: 60, height: 22 };
      const grid2 = el("div", { class: "rejilla" });
      grid2.append(field("Ancho del área reservada (mm)", numberInput(block.area.width, (v) => { block.area.width = v; }, { min: 15, max: 150 })));
      grid2.append(field("Alto del área reservada (mm)", numberInput(block.area.height, (v) => { block.area.height = v; }, { min: 10, max: 80 })));
      if (block.kind === "firmas") {
        grid2.append(field("Columnas de firmas", numberInput(block.columns ?? 2, set("columns"), { min: 1, max: 3 })));
      }
      item.append(grid2);
    }
    return item;
  }

  function addBlock() {
    const kind = $("nuevo-bloque").value;
    const info = kindInfo(kind);
    if (!info.repetible && state.template.blocks.some((b) => b.kind === kind)) {
      fail(`La plantilla ya tiene el bloque «${info.nombre}»; solo puede ir una vez.`);
      return;
    }
    state.template.blocks.push(JSON.parse(JSON.stringify(info.ejemplo)));
    state.dirty = true;
    renderBlocks();
    say(`Se agregó el bloque «${info.nombre}» al final.`);
  }

  function insertPlaceholder() {
    const input = state.lastField;
    if (!input || !document.body.contains(input)) {
      fail("Primero coloque el cursor en una etiqueta o en las líneas de un bloque.");
      return;
    }
    const token = `{{${$("marcador").value}}}`;
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    input.value = input.value.slice(0, start) + token + input.value.slice(end);
    input.dispatchEvent(new Event("input"));
    input.focus();
    input.setSelectionRange(start + token.length, start + token.length);
  }

  // --- save, preview, retire -------------------------------------------------------------------

  async function save() {
    const template = { ...state.template };
    delete template.version;
    let response;
    if (state.id) {
      template.id = state.id;
      response = await api("PUT", `/api/v1/plantillas/${encodeURIComponent(state.id)}`, {
        version: state.version, plantilla: template,
      });
    } else {
      template.id = $("p-id").value.trim();
      response = await api("POST", "/api/v1/plantillas", template);
    }
    if (!response.ok) {
      fail(await errorOf(response));
      return;
    }
    const doc = await response.json();
    state.id = doc.plantilla_id;
    state.version = doc.version;
    state.template = doc.datos;
    state.dirty = false;
    // The inputs were bound to the objects of the unsaved copy: bind them to the saved one.
    renderImages();
    renderBlocks();
    $("p-id").disabled = true;
    $("retirar").hidden = false;
    $("editor-titulo").textContent = `Plantilla «${doc.nombre}» (versión ${doc.version})`;
    say(`Se guardó la versión ${doc.version} de la plantilla «${doc.nombre}».`);
  }

  async function preview(formato) {
    if (!state.id) {
      fail("Guarde la plantilla para ver su vista previa.");
      return;
    }
    const box = $("vista-previa");
    box.replaceChildren(el("p", { class: "muted", text: "Generando la vista previa…" }));
    const params = new URLSearchParams({ formato, version: String(state.version) });
    const response = await api("GET", `/api/v1/plantillas/${encodeURIComponent(state.id)}/vista-previa?${params}`);
    if (!response.ok) {
      box.replaceChildren();
      fail(await errorOf(response));
      return;
    }
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    box.dataset.tipo = blob.type;
    box.dataset.bytes = String(blob.size);
    const note = state.dirty ? " (sin los cambios que aún no guarda)" : "";
    const caption = el("p", { class: "muted", text: `Versión ${state.version}${note}, con datos de ejemplo.` });
    if (formato === "png") {
      box.replaceChildren(caption, el("img", { id: "vista-imagen", src: url, alt: "Vista previa de la primera página" }));
    } else {
      box.replaceChildren(caption,
        el("iframe", { id: "vista-documento", src: url, title: "Vista previa en PDF" }),
        el("p", {}, el("a", { href: url, download: `${state.id}-v${state.version}.pdf`, text: "Descargar el PDF" })));
    }
    say("");
  }

  async function retire() {
    if (!state.id) return;
    if (!confirm(`¿Retirar la plantilla «${state.template.name}»? No se podrán crear oficios nuevos con ella; los que ya la usan la conservan.`)) return;
    const response = await api("DELETE", `/api/v1/plantillas/${encodeURIComponent(state.id)}`);
    if (!response.ok) {
      fail(await errorOf(response));
      return;
    }
    await showList();
    say("La plantilla se retiró.");
  }

  // --- start -----------------------------------------------------------------------------------

  async function start() {
    try {
      state.catalogue = await getJson("/api/v1/plantillas/catalogo");
    } catch (exc) {
      fail(exc.message);
      return;
    }
    const c = state.catalogue;
    for (const size of c.tamanos_pagina) {
      $("p-tamano").append(el("option", { value: size.id, text: `${size.nombre} (${size.mm[0]} × ${size.mm[1]} mm)` }));
    }
    for (const font of c.fuentes) $("p-fuente").append(el("option", { value: font, text: font }));
    for (const m of c.marcadores) $("marcador").append(el("option", { value: m.nombre, text: `{{${m.nombre}}}` }));
    const describe = () => {
      const m = c.marcadores.find((x) => x.nombre === $("marcador").value);
      $("marcador-descripcion").textContent = m ? m.descripcion : "";
    };
    $("marcador").addEventListener("change", describe);
    describe();
    for (const b of c.bloques) $("nuevo-bloque").append(el("option", { value: b.tipo, text: b.nombre }));
    bindGeneral();
    $("nueva").addEventListener("click", () => { startEditor(c.en_blanco, null, null); say("Plantilla en blanco con los bloques obligatorios."); });
    $("imagen-archivo").addEventListener("change", () => uploadImage().catch((e) => fail(e.message)));
    $("agregar-bloque").addEventListener("click", addBlock);
    $("agregar-identidad").addEventListener("click", () => {
      (state.template.identidades ||= []).push({ dependencia: "", leyenda: "", escudo: null, nota: "" });
      state.dirty = true;
      renderIdentities();
    });
    $("insertar-marcador").addEventListener("click", insertPlaceholder);
    $("guardar").addEventListener("click", () => save().catch((e) => fail(e.message)));
    $("vista-pdf").addEventListener("click", () => preview("pdf").catch((e) => fail(e.message)));
    $("vista-png").addEventListener("click", () => preview("png").catch((e) => fail(e.message)));
    $("retirar").addEventListener("click", () => retire().catch((e) => fail(e.message)));
    $("cerrar").addEventListener("click", () => { say(""); showList(); });
    await showList();
  }

  start();
})();
