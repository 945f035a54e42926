// Signum's browser code: log in and out. The session cookie is HttpOnly; state-changing calls
// send the CSRF token from the readable `signum_csrf` cookie in the X-CSRF-Token header.
"use strict";

function csrfToken() {
  const entry = document.cookie.split("; ").find((c) => c.startsWith("signum_csrf="));
  return entry ? decodeURIComponent(entry.split("=")[1]) : "";
}

async function api(method, path, body) {
  const headers = { "X-CSRF-Token": csrfToken() };
  if (body !== undefined) headers["content-type"] = "application/json";
  return fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const loginForm = document.getElementById("entrar");
const changeForm = document.getElementById("cambiar");
let temporaryPassword = "";
if (loginForm) {
  loginForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await api("POST", "/api/v1/auth/login", {
      usuario: loginForm.usuario.value,
      contrasena: loginForm.contrasena.value,
    });
    if (response.ok) {
      const answer = await response.json();
      if (answer.debe_cambiar_contrasena && changeForm) {
        // An administrator's temporary password: nothing else works until it is changed.
        temporaryPassword = loginForm.contrasena.value;
        loginForm.contrasena.value = "";
        loginForm.closest(".card").hidden = true;
        document.getElementById("cambiar-caja").hidden = false;
        changeForm.nueva.focus();
        return;
      }
      location.href = "/";
      return;
    }
    const error = await response.json().catch(() => ({ message: "No se pudo iniciar sesión." }));
    document.getElementById("error").textContent = error.message;
  });
}
if (changeForm) {
  changeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const shown = document.getElementById("error-cambiar");
    if (changeForm.nueva.value !== changeForm.confirmar.value) {
      shown.textContent = "Las dos contraseñas no coinciden.";
      return;
    }
    const response = await api("POST", "/api/v1/auth/contrasena", {
      actual: temporaryPassword,
      nueva: changeForm.nueva.value,
    });
    if (response.ok) {
      temporaryPassword = "";
      location.href = "/";
      return;
    }
    const error = await response.json().catch(() => ({ message: "No se pudo cambiar la contraseña." }));
    shown.textContent = error.message;
  });
}

const logout = document.getElementById("salir");
if (logout) {
  logout.addEventListener("click", async () => {
    await api("POST", "/api/v1/auth/logout");
    location.href = "/";
  });
}

// Tables marked `apilable` become one card per row on phones (signum.css): each cell is labelled
// with its column's header, also for rows the page adds later.
function labelCells(table) {
  const names = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const row of table.querySelectorAll("tbody tr")) {
    [...row.cells].forEach((cell, i) => {
      if (names[i] && !cell.dataset.label) cell.dataset.label = names[i];
    });
  }
}
for (const table of document.querySelectorAll("table.apilable")) {
  labelCells(table);
  new MutationObserver(() => labelCells(table)).observe(table, { childList: true, subtree: true });
}

// File inputs speak Spanish whatever the browser's language: the native button ("Choose File" in an
// English browser) lies, transparent, over ours, so a click still opens the browser's file chooser;
// the chosen file's name is written next to it.
function describeFiles(input) {
  const files = [...input.files];
  if (files.length === 0) return "Ningún archivo elegido";
  return files.length === 1 ? files[0].name : `${files.length} archivos`;
}
for (const input of document.querySelectorAll("input[type=file]:not([data-nativo])")) {
  if (input.hidden || getComputedStyle(input).display === "none") continue;
  const box = document.createElement("span");
  box.className = "archivo";
  const button = document.createElement("span");
  button.className = "archivo-boton";
  button.textContent = input.multiple ? "Elegir archivos…" : "Elegir archivo…";
  const chosen = document.createElement("span");
  chosen.className = "archivo-nombre";
  chosen.textContent = describeFiles(input);
  // Screen readers announce the input itself (its label and chosen file); ours are only drawn.
  button.setAttribute("aria-hidden", "true");
  chosen.setAttribute("aria-hidden", "true");
  input.replaceWith(box);
  box.append(input, button, chosen);
  input.addEventListener("change", () => { chosen.textContent = describeFiles(input); });
}

// One-line fields for long names (textarea.renglon, signum.css): a name is one paragraph, so Enter
// and pasted line breaks become spaces; where the browser cannot size a field to its content, the
// field grows here when it is focused or typed into.
const fitsItself = typeof CSS !== "undefined" && CSS.supports("field-sizing", "content");
function oneLine(area) {
  if (/[\r\n]/.test(area.value)) area.value = area.value.replace(/\s*[\r\n]+\s*/g, " ");
  if (!fitsItself) {
    area.style.height = "auto";
    area.style.height = `${area.scrollHeight + 2}px`;
  }
}
for (const area of document.querySelectorAll("textarea.renglon")) {
  area.addEventListener("keydown", (e) => { if (e.key === "Enter") e.preventDefault(); });
  area.addEventListener("input", () => oneLine(area));
  area.addEventListener("focus", () => oneLine(area));
}

// Date fields: the browser draws <input type=date> in its own language's order (mm/dd/yyyy in an
// English browser, whatever the page's lang), and no page can change that without replacing the
// browser's own date picker. So beside each one the chosen date is also written out in Spanish
// («viernes, 4 de diciembre de 2026»): nobody has to guess which number is the day. A page that
// sets a field's value itself calls `spellDate(input)`; people's changes are followed here.
function spellDate(input) {
  const shown = input.nextElementSibling;
  if (!shown || !shown.classList.contains("fecha-escrita")) return;
  let text = "";
  const [y, m, d] = (input.value || "").split("-").map(Number);
  if (input.type === "date" && y && m && d) {
    text = new Date(y, m - 1, d).toLocaleDateString("es-MX", { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  } else if (input.type === "month" && y && m) {
    text = new Date(y, m - 1, 1).toLocaleDateString("es-MX", { month: "long", year: "numeric" });
  }
  shown.textContent = text;
}
for (const input of document.querySelectorAll("input[type=date], input[data-fecha]")) {
  const shown = document.createElement("span");
  shown.className = "fecha-escrita";
  input.after(shown);
  for (const kind of ["input", "change"]) input.addEventListener(kind, () => spellDate(input));
  spellDate(input);
}
