"""Public verification as people read it: who may see what of the signers, and the report in words
an official understands.

Signing's report carries each signer's full RFC and CURP. Anyone may verify a document, so for a
visitor who is not a municipal official (`firmantes.datos_personales`) a person's RFC is masked
(`GATA******9X1`: the birth date hidden) and the CURP removed, in the JSON and on the page alike.
"""

from __future__ import annotations

import copy
from datetime import datetime
from html import escape
from typing import Any

from signum.platform.dates import long_datetime
from signum.platform.identity import Caller
from signum.platform.policy import Action, decide

# What an official calls each PAdES baseline level; the level itself goes in the details line.
LEVEL_WORDS = {
    "B-B": "Firma electrónica avanzada",
    "B-T": "Firma electrónica avanzada con sello de tiempo",
    "B-LT": "Firma electrónica avanzada con sello de tiempo y datos de validación a largo plazo",
    "B-LTA": "Firma electrónica avanzada con sello de tiempo y conservación a largo plazo",
}


def mask_rfc(rfc: str) -> str:
    """A person's RFC with the birth date hidden: `GATA8501019X1` -> `GATA******9X1`.

    An institution's RFC (12 characters, e.g. the seal of a dependencia on an acuse) is public and
    stays whole."""
    rfc = rfc.strip()
    if len(rfc) == 12:
        return rfc
    if len(rfc) < 10:
        return "*" * len(rfc)
    return rfc[:-9] + "******" + rfc[-3:]


def may_see_personal_data(caller: Caller | None) -> bool:
    return caller is not None and bool(decide(caller, Action.FIRMANTES_DATOS_LEER))


def for_viewer(result: dict[str, Any], caller: Caller | None) -> dict[str, Any]:
    """The verification result as `caller` may see it (None: an anonymous visitor).

    `result` is signing's report of an uploaded PDF, or its answer for a document id (the report
    under `reporte`)."""
    if may_see_personal_data(caller):
        return result
    shown = copy.deepcopy(result)
    report = shown.get("reporte", shown)
    hidden: dict[str, str] = {}
    for firma in report.get("firmas", []):
        if firma.get("rfc") and mask_rfc(firma["rfc"]) != firma["rfc"]:
            hidden[firma["rfc"]] = mask_rfc(firma["rfc"])
            firma["rfc"] = hidden[firma["rfc"]]
        if firma.get("curp"):
            hidden[firma["curp"]] = "—"
        firma["curp"] = None
    _replace_in_texts(shown, hidden)
    return shown


def _replace_in_texts(node: Any, hidden: dict[str, str]) -> Any:
    """Summaries name the signer with the RFC: mask it there too."""
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = _replace_in_texts(value, hidden)
    elif isinstance(node, list):
        node[:] = [_replace_in_texts(v, hidden) for v in node]
    elif isinstance(node, str):
        for secret, shown in hidden.items():
            node = node.replace(secret, shown)
    return node


def local_time(value: str | None) -> str | None:
    """An ISO time as `23 de noviembre de 2026, 14:05:09 h` in the city's time."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return long_datetime(moment, seconds=True)


# --- the report as HTML (every value escaped) -------------------------------------------------


def _verdict(result: dict[str, Any]) -> tuple[str, str, str]:
    """(css class, headline, explanation) of the whole document."""
    report = result.get("reporte", result)
    firmas = report.get("firmas", [])
    altered = [f for f in firmas if not f.get("integra") or not f.get("firma_valida")]
    if altered:
        return (
            "alterado",
            "Documento alterado: no es el que se firmó",
            "El contenido de este PDF cambió después de firmarse (o el archivo está dañado): al menos "
            "una firma ya no corresponde a su contenido. No lo acepte como auténtico; pida el "
            "documento original a quien lo emitió.",
        )
    modified = [f for f in firmas if f.get("modificado_despues")]
    if modified:
        return (
            "alterado",
            "Documento modificado después de firmarse",
            "Las firmas son auténticas, pero después de firmar se hicieron cambios al documento. "
            "Revise el detalle de cada firma.",
        )
    if not report.get("valida"):
        return (
            "invalido",
            "Firma no confiable",
            "El documento no cambió después de firmarse, pero no todas las firmas se pueden "
            "confiar (certificado vencido, revocado o de una autoridad no reconocida). Revise el detalle.",
        )
    required, done = result.get("firmas_requeridas"), result.get("firmas_realizadas")
    if isinstance(required, int) and isinstance(done, int) and done < required:
        return (
            "pendiente",
            "Firmas válidas, documento aún sin todas sus firmas",
            f"Tiene {done} de {required} firmas requeridas; las que tiene son válidas y el documento "
            "no cambió después de firmarse.",
        )
    count = len(firmas)
    signatures = "La firma es válida" if count == 1 else f"Las {count} firmas son válidas"
    return (
        "valido",
        "Documento válido",
        f"{signatures} y el documento no cambió después de firmarse.",
    )


def _what(result: dict[str, Any]) -> str:
    folio = result.get("folio") or ""
    if result.get("tipo") == "acuse":
        return f"Acuse de recibo del oficio {folio}, con el sello electrónico de la dependencia"
    if "firmas_requeridas" in result:
        return f"Oficio {folio}" if folio else "Oficio"
    return "PDF subido para verificar"


def _row(label: str, value: str | None, *, raw: bool = False) -> str:
    if not value:
        return ""
    shown = value if raw else escape(value)
    return f"<dt>{escape(label)}</dt><dd>{shown}</dd>"


# The row is headed «Dictamen»: its words agree with it (el dictamen: aprobado, ...).
_INDICATION_WORDS = {
    "TOTAL_PASSED": "Aprobado",
    "INDETERMINATE": "Indeterminado",
    "TOTAL_FAILED": "Rechazado",
}


def _dictamen(firma: dict[str, Any]) -> str | None:
    """The verdict in the reference validator's terms (EU DSS): indication, and why."""
    indication = firma.get("indicacion")
    if not indication:
        return None
    words = _INDICATION_WORDS.get(indication, indication)
    sub = f", {firma['subindicacion']}" if firma.get("subindicacion") else ""
    return f"{words} ({indication}{sub}). {firma.get('motivo') or ''}".strip()


def _signer(firma: dict[str, Any], position: int) -> str:
    name = firma.get("nombre") or "Firmante no identificado"
    title = firma.get("cargo") or ""
    if firma.get("en_ausencia_de"):
        title = f"{title} (por ausencia de {firma['en_ausencia_de']})".strip()
    ok = firma.get("valida")
    state = "Firma válida" if ok else "Firma NO válida"
    level = firma.get("nivel_pades") or ""
    stamped = local_time(firma.get("fecha_sello_tiempo"))
    signed = local_time(firma.get("fecha_firma"))
    zone = " (hora de la Ciudad de México)"
    broken = not firma.get("integra") or not firma.get("firma_valida")
    # A broken signature says nothing trustworthy about later changes or its certificate.
    changes = (
        "El contenido no coincide con lo que firmó esta persona: fue modificado o está dañado."
        if broken
        else firma.get("cambios_posteriores")
    )
    certificate = None if broken else firma.get("estado_certificado_texto")
    rows = "".join(
        [
            _row("RFC", firma.get("rfc")),
            _row("CURP", firma.get("curp")),
            _row("Fecha de firma", signed + zone if signed else None),
            _row("Sello de tiempo", stamped + zone if stamped else "Sin sello de tiempo"),
            _row("Tipo de firma", LEVEL_WORDS.get(level, "Firma electrónica avanzada")),
            _row("Certificado", certificate),
            _row("Cambios después de firmar", changes),
            _row("Dictamen (ETSI EN 319 102-1)", _dictamen(firma)),
        ]
    )
    details = [f"Nivel técnico: PAdES {level}" if level else "", f"campo {firma.get('campo', '')}"]
    if firma.get("numero_certificado"):
        details.append(f"certificado núm. {firma['numero_certificado']}")
    details_line = " · ".join(escape(d) for d in details if d)
    return (
        f'<li class="firmante {"firma-ok" if ok else "firma-mal"}" data-firma="{position}">'
        f'<p class="firmante-estado">{escape(state)}</p>'
        f'<p class="firmante-nombre">{escape(name)}</p>'
        + (f'<p class="muted firmante-cargo">{escape(title)}</p>' if title else "")
        + f'<dl class="datos">{rows}</dl>'
        f'<p class="detalle-tecnico">{details_line}</p></li>'
    )


def report_html(result: dict[str, Any]) -> str:
    """The report section of the verification page."""
    report = result.get("reporte", result)
    kind, headline, explanation = _verdict(result)
    firmas = report.get("firmas", [])
    fingerprint = str(report.get("sha256", ""))
    acuse = result.get("tipo") == "acuse"
    if acuse:
        count = None  # one seal, nothing to count
    elif "firmas_requeridas" in result:
        count = f"{result['firmas_realizadas']} de {result['firmas_requeridas']} requeridas"
    else:
        count = str(len(firmas))
    summary = "".join(
        [
            _row("Documento", _what(result)),
            _row("Firmas", count),
            # The short code printed on the document: what someone holding the paper copy compares.
            _row("Código de verificación", result.get("codigo")),
            _row("Huella digital (SHA-256)", f'<code class="huella">{escape(fingerprint)}</code>', raw=True),
        ]
    )
    signers = "".join(_signer(f, i) for i, f in enumerate(firmas, start=1))
    return (
        '<section class="reporte" aria-labelledby="veredicto-titulo">'
        f'<div class="veredicto veredicto-{kind}" id="veredicto" data-veredicto="{kind}">'
        f'<p class="veredicto-titulo" id="veredicto-titulo">{escape(headline)}</p>'
        f"<p>{escape(explanation)}</p></div>"
        f'<dl class="datos">{summary}</dl>'
        f'<h3>{"Sello institucional" if acuse else "Firmantes"}</h3><ol class="firmantes">{signers}</ol>'
        "</section>"
    )
