// The start page: what waits on the official (por revisar, por firmar, recibidos sin abrir,
// vencidos), each a link to its folder, kept current by the inbox's server-sent events.
"use strict";

const $ = (id) => document.getElementById(id);

async function loadWaiting() {
  const response = await api("GET", "/api/v1/bandeja/pendientes");
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    $("error").textContent = (data && data.message) || "No se pudo consultar lo que le espera.";
    return;
  }
  $("error").textContent = "";
  for (const a of document.querySelectorAll("#pendientes a[data-pendiente]")) {
    const key = a.dataset.pendiente;
    const n = Number(data[key] || 0);
    a.querySelector(".cifra").textContent = String(n);
    a.classList.toggle("hay", n > 0);
    a.classList.toggle("alerta", key === "vencidos" && n > 0);
    if (key === "vencidos") {
      // Overdue deliveries may be among the received ones or the ones turned to the caller.
      const folders = data.vencidos_por_carpeta || {};
      const folder = folders.recibidos ? "recibidos" : Object.keys(folders)[0] || "recibidos";
      a.href = `/bandeja?carpeta=${encodeURIComponent(folder)}&vencidos=1`;
    }
  }
}

function listen() {
  const source = new EventSource("/api/v1/notificaciones");
  source.addEventListener("conectado", () => { document.body.dataset.escuchando = "1"; });
  source.addEventListener("bandeja", () => loadWaiting());
  source.addEventListener("revision", (e) => {
    let data = {};
    try { data = JSON.parse(e.data); } catch (_) { /* a malformed event changes nothing */ }
    $("aviso").textContent = data.mensaje || "Le pidieron revisar un oficio.";
    loadWaiting();
  });
  for (const kind of ["recordatorio", "vencido", "escalamiento"]) {
    source.addEventListener(kind, () => loadWaiting());
  }
}

loadWaiting();
listen();
