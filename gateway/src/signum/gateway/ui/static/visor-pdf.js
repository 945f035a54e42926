// The PDF viewer of the inbox: draws each page of a PDF into a canvas with pdf.js (vendored, pinned:
// static/vendor/README.md). Loaded on demand by bandeja.js with import().
import * as pdfjs from "/static/vendor/pdfjs-dist-6.5.438/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = "/static/vendor/pdfjs-dist-6.5.438/pdf.worker.min.mjs";

let current = 0; // the render in progress; an older one stops when another starts

async function fetchPdf(url) {
  // The download route answers with a redirect to a short-lived URL of the object store.
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    throw new Error((data && data.message) || "No se pudo obtener el PDF del oficio.");
  }
  return new Uint8Array(await response.arrayBuffer());
}

// Draws every page of the PDF at `url` into `box`, as wide as the box; `say` reports progress.
export async function show(box, url, say) {
  const mine = ++current;
  box.replaceChildren();
  say("Cargando el oficio…");
  const data = await fetchPdf(url);
  if (mine !== current) return;
  const task = pdfjs.getDocument({ data, isEvalSupported: false });
  try {
    const pdf = await task.promise;
    const ratio = window.devicePixelRatio || 1;
    for (let n = 1; n <= pdf.numPages; n += 1) {
      if (mine !== current) return;
      const page = await pdf.getPage(n);
      const width = Math.max(box.clientWidth, 200);
      const natural = page.getViewport({ scale: 1 });
      const viewport = page.getViewport({ scale: (width / natural.width) * ratio });
      const canvas = document.createElement("canvas");
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.className = "pagina-pdf";
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `Página ${n} de ${pdf.numPages} del oficio`);
      box.appendChild(canvas);
      await page.render({ canvas, viewport }).promise;
      canvas.dataset.dibujada = "1";
    }
    if (mine === current) say(pdf.numPages === 1 ? "1 página." : `${pdf.numPages} páginas.`);
  } finally {
    await task.destroy();
  }
}

export function stop(box) {
  current += 1;
  box.replaceChildren();
}
