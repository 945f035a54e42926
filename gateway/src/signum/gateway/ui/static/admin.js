// What the administration pages share: building nodes, the server's Spanish messages, confirmation
// dialogs, the units of the directory and dates as people read them. Every value is written with
// textContent (never innerHTML): names and messages come from the directory and the API.
"use strict";

const Admin = (function () {
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
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

  function quiet() {
    $("aviso").textContent = "";
    $("error").textContent = "";
  }

  const OFFLINE = "No se pudo conectar con Signum. Revise su conexión e intente de nuevo.";

  // The message the API gave (Spanish, `{code, message, details}`), or one naming the status.
  async function errorOf(response) {
    const body = await response.json().catch(() => null);
    if (body && typeof body.message === "string" && body.message) {
      // A form the API refused names its fields (`details.campos`): say which, as it names them.
      const fields = body.details && Array.isArray(body.details.campos)
        ? [...new Set(body.details.campos.map((f) => String(f.campo).split(".")[0].replaceAll("_", " ")))].filter(Boolean)
        : [];
      return fields.length ? `${body.message} Campos: ${fields.join(", ")}.` : body.message;
    }
    if (response.status === 401) return "Su sesión terminó. Vuelva a iniciar sesión.";
    if (response.status === 403) return "No tiene permiso para hacer esto.";
    return `No se pudo completar la operación (error ${response.status}).`;
  }

  class ApiError extends Error {
    constructor(message, status, body) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  // Call the API; resolve with the JSON answer (null for 204), or reject with an ApiError that
  // carries the server's message and body (e.g. an import's list of errors).
  async function call(method, path, body, init) {
    let response;
    try {
      if (init) {
        response = await fetch(path, { method, credentials: "same-origin", ...init,
          headers: { "X-CSRF-Token": csrfToken(), ...(init.headers || {}) } });
      } else {
        response = await api(method, path, body);
      }
    } catch (exc) {
      throw new ApiError(OFFLINE, 0, null);
    }
    if (response.status === 204) return null;
    if (response.ok) return response.json();
    const answer = await response.clone().json().catch(() => null);
    throw new ApiError(await errorOf(response), response.status, answer);
  }

  // A modal question; resolves true when the person confirms.
  function confirmar({ titulo, texto, boton, peligro = true }) {
    let dialog = $("confirmar");
    if (!dialog) {
      dialog = el("dialog", { id: "confirmar", "aria-labelledby": "confirmar-titulo" },
        el("form", { method: "dialog" },
          el("h3", { id: "confirmar-titulo" }),
          el("p", { id: "confirmar-texto" }),
          el("div", { class: "fila-botones" },
            el("button", { type: "submit", value: "si", id: "confirmar-si" }),
            el("button", { type: "submit", value: "no", class: "secundario", text: "Cancelar" }))));
      document.body.append(dialog);
    }
    $("confirmar-titulo").textContent = titulo;
    $("confirmar-texto").textContent = texto;
    const yes = $("confirmar-si");
    yes.textContent = boton;
    yes.className = peligro ? "peligro" : "";
    dialog.returnValue = "";
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "si"), { once: true });
      dialog.showModal();
      dialog.querySelector("button[value=no]").focus();
    });
  }

  // Fill a <select> with the directory's units (by name); resolves with a map id -> unit.
  async function loadUnits(select) {
    const units = await call("GET", "/api/v1/directorio/unidades");
    const byId = new Map();
    units.sort((a, b) => a.nombre.localeCompare(b.nombre, "es"));
    for (const unit of units) {
      byId.set(unit.id, unit);
      if (select) select.append(el("option", { value: unit.id, text: unit.activa ? unit.nombre : `${unit.nombre} (inactiva)` }));
    }
    return byId;
  }

  function dateTime(iso) {
    if (!iso) return "—";
    return new Date(iso).toLocaleString("es-MX", { dateStyle: "medium", timeStyle: "short" });
  }

  function date(isoDay) {
    if (!isoDay) return "—";
    const [y, m, d] = isoDay.split("-").map(Number);
    return new Date(y, m - 1, d).toLocaleDateString("es-MX", { dateStyle: "medium" });
  }

  function today() {
    const now = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  }

  // Copy a secret to the clipboard; where the browser refuses, select it so Ctrl+C copies it.
  async function copy(node, button) {
    const original = button.textContent;
    try {
      await navigator.clipboard.writeText(node.textContent);
      button.textContent = "Copiada";
    } catch (exc) {
      const range = document.createRange();
      range.selectNodeContents(node);
      const selection = getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      button.textContent = "Seleccionada: copie con Ctrl+C";
    }
    setTimeout(() => { button.textContent = original; }, 4000);
  }

  // A stacking table built after the page loaded: each cell labelled with its column's name (what
  // signum.js does for the tables the page starts with), so a phone shows one labelled card per row.
  function labelled(table) {
    const names = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.cells].forEach((cell, i) => { if (names[i]) cell.dataset.label = names[i]; });
    }
    return table;
  }

  return { $, el, say, fail, quiet, call, ApiError, confirmar, loadUnits, dateTime, date, today, copy, labelled };
})();
