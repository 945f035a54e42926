// The indicators page: volumes, overdue work, times per stage and savings for the units the person
// may see (an auditor all, a titular theirs, anyone else their own figures). Built with DOM nodes
// and textContent only; the API decides what each person sees.
"use strict";

const $ = (id) => document.getElementById(id);
const form = $("filtros");
const numero = new Intl.NumberFormat("es-MX", { maximumFractionDigits: 1 });
const pesos = new Intl.NumberFormat("es-MX", { style: "currency", currency: "MXN", maximumFractionDigits: 0 });
const ALCANCES = {
  todas: "Todas las unidades (auditoría)",
  ambito: "Sus unidades y las que dependen de ellas",
  unidad: "Una unidad y las que dependen de ella",
  dependencia: "Una dependencia",
  funcionario: "Sus propias cifras",
};

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function fmt(value, suffix = "") {
  return value === null || value === undefined ? "—" : numero.format(value) + suffix;
}

// A duration in hours as a person reads it: minutes under an hour.
function duration(hours) {
  if (hours === null || hours === undefined) return "—";
  if (hours < 1) return `${numero.format(Math.round(hours * 60))} min`;
  return `${numero.format(hours)} h`;
}

const SUPUESTOS = {
  oficios_enviados: "Oficios enviados",
  paginas: "Páginas",
  paginas_por_ejemplares: "Páginas por ejemplares (destinatarios y copias)",
  ejemplares_adicionales: "Ejemplares adicionales por oficio",
  hojas_por_pagina: "Hojas por página",
  hojas: "Hojas",
  impresion_mxn_por_hoja: "Impresión por hoja (MXN)",
  traslados: "Traslados",
  traslados_por_oficio: "Traslados por oficio",
  km_por_traslado: "Kilómetros por traslado",
  combustible_mxn_por_km: "Combustible por km (MXN)",
  estacionamiento_mxn_por_traslado: "Estacionamiento por traslado (MXN)",
  casetas_mxn_por_traslado: "Casetas por traslado (MXN)",
  horas_por_traslado: "Horas por traslado",
  kg_co2_por_hoja: "kg de CO2 por hoja",
  km: "Kilómetros",
  kg_co2_por_km: "kg de CO2 por km",
};

// A period as a person reads it: "2026-03" is "marzo de 2026" (or "mar 2026" in a chart's label),
// "2026-03-09" is "9 de marzo de 2026" ("9 mar 2026").
function periodName(value, short = false) {
  const [y, m, d] = String(value).split("-").map(Number);
  if (!y || !m) return String(value);
  const options = short ? { month: "short", year: "numeric" } : { month: "long", year: "numeric" };
  if (d) options.day = "numeric";
  return new Date(y, m - 1, d || 1).toLocaleDateString("es-MX", options);
}

function percent(value) {
  return value === null || value === undefined ? "—" : `${numero.format(value * 100)} %`;
}

function params() {
  const data = new FormData(form);
  const query = new URLSearchParams();
  for (const [key, value] of data.entries()) if (value) query.set(key, String(value));
  return query;
}

function switchPeriod() {
  const type = form.periodo.value === "dia" ? "date" : "month";
  for (const input of [form.desde, form.hasta]) {
    if (input.type !== type) { input.value = ""; input.type = type; }
    spellDate(input);
  }
}

function card(list, value, label, alert) {
  const item = el("li", null, alert ? "alerta" : "");
  item.append(el("span", value, "cifra"), el("span", label));
  list.append(item);
  return item;
}

function row(table, cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) tr.append(el("td", cell));
  table.tBodies[0].append(tr);
}

function show(data) {
  const c = data.totales.contadores;
  $("alcance").textContent = `${ALCANCES[data.alcance.tipo] || ""} · de ${periodName(data.desde)} a ${periodName(data.hasta)}`;
  const cifras = $("cifras");
  cifras.replaceChildren();
  card(cifras, fmt(c.enviados), "Oficios enviados");
  card(cifras, fmt(c.recibidos), "Oficios recibidos");
  card(cifras, fmt(c.respondidos), "Respondidos");
  card(cifras, fmt(c.abiertos), "Abiertos");
  card(cifras, fmt(c.vencidos), "Vencidos", c.vencidos > 0);
  card(cifras, percent(data.totales.cumplimiento), "Cumplimiento de plazos");

  const trend = $("tendencia");
  trend.replaceChildren();
  const medians = data.series.map((s) => (s.etapas.entrega_a_respuesta || {}).mediana_horas || 0);
  const top = Math.max(1, ...medians);
  for (const s of data.series) {
    const stage = s.etapas.entrega_a_respuesta;
    const item = el("li");
    const bar = el("meter");
    bar.min = 0; bar.max = top; bar.value = stage ? stage.mediana_horas : 0;
    bar.setAttribute("aria-label", `Mediana de ${periodName(s.periodo)}`);
    const text = stage ? `${fmt(stage.mediana_dias_habiles)} días hábiles (${duration(stage.mediana_horas)})` : "sin respuestas";
    item.append(el("span", periodName(s.periodo, true), "periodo"), bar, el("span", text, "valor"));
    trend.append(item);
  }

  const units = $("por-unidad");
  units.tBodies[0].replaceChildren();
  $("unidades-seccion").hidden = !data.por_unidad;
  for (const u of data.por_unidad || []) {
    const k = u.contadores;
    row(units, [u.nombre, fmt(k.recibidos), fmt(k.abiertos), fmt(k.vencidos), percent(u.cumplimiento)]);
    if (k.vencidos > 0) units.tBodies[0].lastElementChild.classList.add("vencido");
  }

  const stages = $("etapas");
  stages.tBodies[0].replaceChildren();
  const entries = Object.values(data.totales.etapas);
  if (entries.length === 0) row(stages, ["Sin casos en el periodo", "", "", "", "", ""]);
  for (const e of entries) {
    row(stages, [e.nombre, fmt(e.n), fmt(e.mediana_dias_habiles), fmt(e.p90_dias_habiles), duration(e.mediana_horas), duration(e.p90_horas)]);
  }

  const positions = $("por-puesto");
  positions.tBodies[0].replaceChildren();
  $("personas-seccion").hidden = !data.por_puesto;
  for (const p of data.por_puesto || []) {
    row(positions, [p.titulo, p.nombre, fmt(p.enviados), fmt(p.recibidos), fmt(p.respondidos), fmt(p.vencidos), fmt(p.pendientes)]);
  }

  const waits = data.cuellos_de_botella;
  $("espera-seccion").hidden = !waits;
  const slow = $("etapas-lentas");
  slow.replaceChildren();
  const desks = $("escritorios");
  desks.tBodies[0].replaceChildren();
  if (waits) {
    if (waits.etapas.length === 0) slow.append(el("li", "Sin casos en el periodo"));
    for (const e of waits.etapas) {
      const item = el("li");
      item.append(el("span", e.nombre, "etapa"), el("span", `p90: ${fmt(e.p90_dias_habiles)} días hábiles (${duration(e.p90_horas)})`, "valor"));
      slow.append(item);
    }
    $("escritorios-vacio").hidden = waits.escritorios.length > 0;
    desks.hidden = waits.escritorios.length === 0;
    for (const d of waits.escritorios) {
      row(desks, [d.nombre, d.titulo, fmt(d.pendientes), fmt(d.pendientes_vencidos), fmt(d.espera_max_dias_habiles)]);
      if (d.pendientes_vencidos > 0) desks.tBodies[0].lastElementChild.classList.add("vencido");
    }
  }

  const savings = $("ahorros");
  savings.replaceChildren();
  for (const f of data.ahorros) {
    const value = f.unidad === "MXN" ? pesos.format(f.valor) : `${numero.format(f.valor)} ${f.unidad}`;
    const item = card(savings, value, f.concepto);
    const details = el("details");
    details.append(el("summary", "Supuestos"), el("p", f.formula, "muted"));
    const list = el("ul");
    for (const [name, amount] of Object.entries(f.supuestos)) {
      list.append(el("li", `${SUPUESTOS[name] || name}: ${numero.format(amount)}`));
    }
    details.append(list);
    item.append(details);
  }
}

function offerUnits(data) {
  const select = form.unidad_id;
  if (!data.por_unidad || select.options.length > 1) return;
  for (const u of data.por_unidad) {
    const option = el("option", u.nombre);
    option.value = u.unidad_id;
    select.append(option);
  }
  $("unidad-campo").hidden = data.por_unidad.length < 2;
}

async function load() {
  const query = params();
  $("csv").href = `/api/v1/indicadores?${query}&formato=csv`;
  const response = await api("GET", `/api/v1/indicadores?${query}`);
  const data = await response.json().catch(() => null);
  if (!response.ok || !data) {
    $("error").textContent = (data && data.message) || "No se pudieron consultar los indicadores.";
    return;
  }
  $("error").textContent = "";
  // The period the answer covers (the default: the last twelve months, or thirty days).
  if (!form.desde.value) form.desde.value = data.desde;
  if (!form.hasta.value) form.hasta.value = data.hasta;
  spellDate(form.desde);
  spellDate(form.hasta);
  offerUnits(data);
  show(data);
  document.body.dataset.cargado = "1";
}

form.periodo.addEventListener("change", switchPeriod);
form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
load();
