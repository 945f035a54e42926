// "Por firmar": the signer's pending oficios, signed in this browser with their SAT e.firma.
//
// The .key (PKCS#8 encrypted with PBES2: PBKDF2 + DES-EDE3-CBC, which WebCrypto cannot open) is
// decrypted here with node-forge (static/vendor/README.md). For each selected oficio the server
// lays out the signature and answers the signed attributes to sign (`to_be_signed`); this page signs
// them (RSASSA-PKCS1-v1_5 / SHA-256) and sends only the signature. The key, the password and the
// .key file never leave the page: only the public certificate (.cer) and the signatures are sent.
"use strict";

(() => {
  const MESSAGES = {
    keyInvalid: "El archivo .key no es una clave privada de e.firma válida. Use el archivo .key que le entregó el SAT.",
    wrongPassword: "La contraseña de la clave privada es incorrecta. Escriba la contraseña que definió al tramitar su e.firma (distingue mayúsculas y minúsculas).",
    cerInvalid: "El archivo .cer no es un certificado válido. Use el certificado de su e.firma (archivo .cer).",
    mismatch: "La clave privada (.key) no corresponde al certificado (.cer). Verifique que ambos archivos sean de la misma e.firma.",
    notRsa: "La clave privada no es RSA; las e.firmas del SAT usan RSA.",
    noneSelected: "Seleccione al menos un oficio para firmar.",
    missingFiles: "Elija el certificado (.cer) y la clave privada (.key) de su e.firma.",
    network: "No se pudo comunicar con Signum. Revise su conexión e intente de nuevo.",
  };
  // What the signature is, in an official's words; the PAdES level only in the details.
  const SIGNED = {
    "B-B": "firmado con su e.firma",
    "B-T": "firmado con su e.firma, con fecha y hora certificadas",
    "B-LT": "firmado con su e.firma, con fecha y hora certificadas y verificable a largo plazo",
    "B-LTA": "firmado con su e.firma, con fecha y hora certificadas y verificable a largo plazo",
  };
  const $ = (id) => document.getElementById(id);
  const table = $("pendientes");

  function levelDetails(nivel) {
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "Detalles";
    details.append(summary, `Nivel de firma PAdES ${nivel} (ETSI EN 319 142).`);
    return details;
  }
  const form = $("firmar");

  function show(id, text) {
    $(id).textContent = text || "";
  }

  async function fileBinary(input) {
    const bytes = new Uint8Array(await input.files[0].arrayBuffer());
    let out = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return out; // forge's "binary string": one char per byte
  }

  // Decrypt the .key with the password and check it is the key of the .cer; throws a Spanish Error.
  function unlock(cerBinary, keyBinary, password) {
    let encrypted;
    try {
      encrypted = forge.asn1.fromDer(keyBinary);
    } catch (_) {
      throw new Error(MESSAGES.keyInvalid);
    }
    let info = null;
    try {
      info = forge.pki.decryptPrivateKeyInfo(encrypted, password);
    } catch (_) {
      info = null; // a wrong password can also decrypt to bytes that are not a key
    }
    if (!info) throw new Error(MESSAGES.wrongPassword);
    let key;
    try {
      key = forge.pki.privateKeyFromAsn1(info);
    } catch (_) {
      throw new Error(MESSAGES.notRsa);
    }
    let certificate;
    try {
      certificate = forge.pki.certificateFromAsn1(forge.asn1.fromDer(cerBinary));
    } catch (_) {
      throw new Error(MESSAGES.cerInvalid);
    }
    const pub = certificate.publicKey;
    if (!pub.n || pub.n.compareTo(key.n) !== 0 || pub.e.compareTo(key.e) !== 0) {
      throw new Error(MESSAGES.mismatch);
    }
    return { key, holder: holderOf(certificate) };
  }

  // "NOMBRE (RFC), vigente hasta el 23/11/2030" from the certificate (RFC: x500UniqueIdentifier).
  function holderOf(certificate) {
    const field = (oid) => {
      const found = certificate.subject.attributes.find((a) => a.type === oid);
      return found ? String(found.value).split("/")[0].trim() : "";
    };
    const until = certificate.validity.notAfter.toLocaleDateString("es-MX");
    return `${field("2.5.4.3")} (RFC ${field("2.5.4.45")}), vigente hasta el ${until}`;
  }

  async function errorMessage(response) {
    const body = await response.json().catch(() => ({}));
    return body.message || `La solicitud falló (${response.status}).`;
  }

  async function signOne(oficio, key, cerBase64) {
    const base = `/api/v1/oficios/${encodeURIComponent(oficio.oficio_id)}/firmas`;
    const prepared = await api("POST", `${base}/preparacion`, { cer: cerBase64 });
    if (!prepared.ok) throw new Error(await errorMessage(prepared));
    const work = await prepared.json();
    const md = forge.md.sha256.create();
    md.update(atob(work.to_be_signed));
    const signature = key.sign(md); // RSASSA-PKCS1-v1_5 over SHA-256 of the signed attributes
    const completed = await api("POST", `${base}/${encodeURIComponent(work.id)}/completar`, {
      firma: btoa(signature),
    });
    if (!completed.ok) throw new Error(await errorMessage(completed));
    return completed.json();
  }

  let pending = [];

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  async function load() {
    const response = await api("GET", "/api/v1/firmas/pendientes");
    if (!response.ok) {
      show("error", await errorMessage(response));
      return;
    }
    pending = (await response.json()).oficios;
    const body = table.querySelector("tbody");
    body.replaceChildren();
    for (const oficio of pending) {
      const row = document.createElement("tr");
      row.dataset.oficio = oficio.oficio_id;
      const check = document.createElement("input");
      check.type = "checkbox";
      check.className = "elegir";
      check.value = oficio.oficio_id;
      check.setAttribute("aria-label", `Firmar ${oficio.folio}`);
      cell(row, "").appendChild(check);
      const link = document.createElement("a");
      link.href = `/api/v1/oficios/${encodeURIComponent(oficio.oficio_id)}/firmas/documento`;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = oficio.folio;
      link.title = "Leer el oficio antes de firmarlo (PDF)";
      cell(row, "").appendChild(link);
      cell(row, oficio.asunto);
      cell(row, oficio.en_ausencia_de ? `${oficio.cargo} (por ausencia de ${oficio.en_ausencia_de})` : oficio.cargo);
      cell(row, `${oficio.firmas_realizadas + 1} de ${oficio.firmas_requeridas}`);
      body.appendChild(row);
    }
    $("vacio").hidden = pending.length > 0;
    table.hidden = pending.length === 0;
  }

  $("todos").addEventListener("change", (event) => {
    for (const box of table.querySelectorAll("input.elegir")) box.checked = event.target.checked;
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    show("error");
    show("estado");
    const chosen = [...table.querySelectorAll("input.elegir:checked")].map((b) => b.value);
    if (chosen.length === 0) return show("error", MESSAGES.noneSelected);
    if (!$("cer").files.length || !$("key").files.length) return show("error", MESSAGES.missingFiles);
    const button = $("boton-firmar");
    button.disabled = true;
    let key = null;
    try {
      const cerBinary = await fileBinary($("cer"));
      const unlocked = unlock(cerBinary, await fileBinary($("key")), $("contrasena").value);
      $("contrasena").value = ""; // unlocked: the password is not needed any more
      key = unlocked.key;
      $("titular").textContent = `e.firma de ${unlocked.holder}`;
      const cerBase64 = btoa(cerBinary);
      const results = $("resultados");
      results.replaceChildren();
      let signed = 0;
      for (const id of chosen) {
        const oficio = pending.find((o) => o.oficio_id === id);
        show("estado", `Firmando ${oficio.folio}…`);
        const item = document.createElement("li");
        item.dataset.oficio = id;
        try {
          const result = await signOne(oficio, key, cerBase64);
          signed += 1;
          item.className = "aviso";
          item.append(
            `${oficio.folio}: ${SIGNED[result.nivel] || SIGNED["B-B"]}`
              + (result.completo ? "; el oficio tiene todas sus firmas." : "."),
            levelDetails(result.nivel),
          );
        } catch (error) {
          item.className = "error";
          item.textContent = `${oficio.folio}: ${error instanceof TypeError ? MESSAGES.network : error.message}`;
        }
        results.appendChild(item);
      }
      show("estado", `Se firmaron ${signed} de ${chosen.length} oficios.`);
      await load();
    } catch (error) {
      show("error", error instanceof TypeError ? MESSAGES.network : error.message);
    } finally {
      key = null; // dropped: the unlocked key lives only for this click
      $("contrasena").value = "";
      button.disabled = false;
    }
  });

  load();
})();
