// Public verification page: a PDF dropped on the zone goes into the form's file input and the form
// is sent (the server answers the report page); without JavaScript the same form works by itself.
"use strict";

(function () {
  const form = document.getElementById("subir");
  const zone = document.getElementById("zona");
  const input = document.getElementById("archivo");
  const chosen = document.getElementById("elegido");
  const progress = document.getElementById("progreso");
  if (!form || !zone || !input) return;

  function isPdf(file) {
    return file.type === "application/pdf" || /\.pdf$/i.test(file.name);
  }

  function describe() {
    const file = input.files && input.files[0];
    chosen.textContent = file ? "Archivo elegido: " + file.name : "Ningún archivo elegido.";
  }

  input.addEventListener("change", describe);
  form.addEventListener("submit", () => {
    progress.textContent = "Verificando las firmas del documento…";
  });

  ["dragenter", "dragover"].forEach((name) =>
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("zona-activa");
    })
  );
  ["dragleave", "dragend"].forEach((name) =>
    zone.addEventListener(name, () => zone.classList.remove("zona-activa"))
  );
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("zona-activa");
    const files = event.dataTransfer && event.dataTransfer.files;
    if (!files || files.length === 0) return;
    if (files.length > 1) {
      chosen.textContent = "Suelte un solo archivo PDF.";
      return;
    }
    if (!isPdf(files[0])) {
      chosen.textContent = "«" + files[0].name + "» no es un PDF. Suelte el PDF firmado.";
      return;
    }
    input.files = files;
    describe();
    form.requestSubmit();
  });
})();
