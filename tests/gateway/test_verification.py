"""What public verification shows to whom, and in which words (the flows are in tests/ui/journeys)."""

from __future__ import annotations

import copy
from typing import Any

from signum.gateway.verification import for_viewer, local_time, mask_rfc, report_html
from signum.platform.identity import Caller

RFC, CURP = "GATA8501019X1", "GATA850101MNLRRN09"


def signature(**changes: Any) -> dict[str, Any]:
    firma = {
        "campo": "firma-1",
        "valida": True,
        "integra": True,
        "firma_valida": True,
        "nombre": "ANA GARZA TREVINO",
        "rfc": RFC,
        "curp": CURP,
        "cargo": "Directora de Innovación",
        "en_ausencia_de": None,
        "numero_certificado": "30001000000500003416",
        "estado_certificado": "valid",
        "estado_certificado_texto": "Certificado vigente y emitido por una autoridad reconocida",
        "fecha_firma": "2026-11-23T20:05:09+00:00",
        "fecha_sello_tiempo": "2026-11-23T20:05:10+00:00",
        "nivel_pades": "B-T",
        "cubre_todo_el_documento": True,
        "modificado_despues": False,
        "cambios_posteriores": "La firma cubre el documento completo: no hubo cambios después de firmar.",
        "resumen": f"Firma válida de ANA GARZA TREVINO (RFC {RFC}), el 23 de noviembre de 2026, 14:05 h.",
    }
    return firma | changes


def by_id(*firmas: dict[str, Any]) -> dict[str, Any]:
    return {
        "oficio_id": "0193-oficio",
        "folio": "SIGA/DGTI/0123/2026",
        "estado": "firmado",
        "firmas_requeridas": len(firmas),
        "firmas_realizadas": len(firmas),
        "documento": {"sha256": "a" * 64},
        "reporte": {
            "sha256": "a" * 64,
            "valida": all(f["valida"] for f in firmas),
            "resumen": "El documento tiene 1 firma válida y no fue modificado después de firmarse.",
            "firmas": list(firmas),
        },
    }


def test_the_rfc_is_masked_on_the_birth_date() -> None:
    assert mask_rfc("GATA850101 9X1".replace(" ", "")) == "GATA******9X1"
    assert mask_rfc("MMO010101AB1") == "MMO010101AB1"  # an institution's RFC (12 characters) is public
    assert mask_rfc("XYZ") == "***"


def test_visitors_get_no_curp_and_a_masked_rfc_everywhere() -> None:
    result = by_id(signature())
    original = copy.deepcopy(result)
    shown = for_viewer(result, None)
    assert result == original  # the input is not changed
    (firma,) = shown["reporte"]["firmas"]
    assert (firma["rfc"], firma["curp"]) == ("GATA******9X1", None)
    assert RFC not in repr(shown)
    assert CURP not in repr(shown)
    assert "(RFC GATA******9X1)" in firma["resumen"]
    page = report_html(shown)
    assert RFC not in page
    assert CURP not in page
    assert "CURP" not in page
    assert "GATA******9X1" in page


def test_an_uploaded_pdf_s_report_is_masked_too() -> None:
    report = by_id(signature())["reporte"]
    shown = for_viewer(report, Caller(kind="api_key", id="k1", scopes=frozenset({"oficio.leer"})))
    assert shown["firmas"][0]["rfc"] == "GATA******9X1"
    assert shown["firmas"][0]["curp"] is None


def test_officials_see_the_signers_full_data() -> None:
    result = by_id(signature())
    official = Caller(kind="official", id="1001", roles=frozenset({"funcionario"}))
    assert for_viewer(result, official) == result
    page = report_html(result)
    assert RFC in page
    assert CURP in page


def test_times_are_in_mexico_city_and_the_level_in_words() -> None:
    assert local_time("2026-11-23T20:05:09+00:00") == "23 de noviembre de 2026, 14:05:09 h"
    page = report_html(for_viewer(by_id(signature()), None))
    assert "Documento válido" in page
    assert "23 de noviembre de 2026, 14:05:09 h (hora de la Ciudad de México)" in page
    assert "Firma electrónica avanzada con sello de tiempo" in page
    assert "Nivel técnico: PAdES B-T" in page
    assert "SIGA/DGTI/0123/2026" in page


def test_the_dictamen_reads_as_spanish_agreeing_with_its_heading() -> None:
    passed = signature(indicacion="TOTAL_PASSED", motivo="La firma es válida y el documento no cambió.")
    page = report_html(for_viewer(by_id(passed), None))
    assert "<dt>Dictamen (ETSI EN 319 102-1)</dt>" in page
    assert "<dd>Aprobado (TOTAL_PASSED). La firma es válida y el documento no cambió.</dd>" in page
    chain = signature(
        indicacion="INDETERMINATE",
        subindicacion="NO_CERTIFICATE_CHAIN_FOUND",
        motivo="El certificado del firmante no proviene de una autoridad de certificación reconocida.",
    )
    page = report_html(for_viewer(by_id(chain), None))
    assert "<dd>Indeterminado (INDETERMINATE, NO_CERTIFICATE_CHAIN_FOUND). El certificado" in page
    failed = signature(indicacion="TOTAL_FAILED", subindicacion="HASH_FAILURE", motivo="")
    assert "<dd>Rechazado (TOTAL_FAILED, HASH_FAILURE).</dd>" in report_html(by_id(failed))


def test_an_altered_document_is_said_plainly() -> None:
    broken = signature(
        valida=False,
        integra=False,
        firma_valida=False,
        modificado_despues=True,
        cambios_posteriores="Después de esta firma solo se agregaron otras firmas; el contenido no cambió.",
    )
    page = report_html(by_id(broken))
    assert 'data-veredicto="alterado"' in page
    assert "Documento alterado: no es el que se firmó" in page
    assert "Firma NO válida" in page
    assert "El contenido no coincide con lo que firmó esta persona" in page
    assert "el contenido no cambió" not in page
    assert "Documento válido" not in page


def test_values_are_escaped() -> None:
    page = report_html(by_id(signature(nombre="<script>x</script>", cargo="A & B")))
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "A &amp; B" in page


def test_an_acuse_shows_its_institutional_seal() -> None:
    seal = signature(nombre="SELLO INSTITUCIONAL TESORERIA MUNICIPAL", rfc="MMO010101AB1", curp=None)
    result = by_id(seal) | {"tipo": "acuse", "entrega_id": "e1", "estado": "sellado"}
    page = report_html(for_viewer(result, None))
    assert "Acuse de recibo del oficio SIGA/DGTI/0123/2026" in page
    assert "<h3>Sello institucional</h3>" in page
    assert "MMO010101AB1" in page  # an institution's RFC is public
    assert "requeridas" not in page
