"""RFC, CURP and e-mail rules, each on its own."""

from __future__ import annotations

import pytest

from signum.gateway.directory.identifiers import (
    curp_check_digit,
    curp_error,
    email_error,
    normalize_rfc,
    rfc_check_digit,
    rfc_error,
)

# Published examples: SAT's own RFC sample and CURPs whose check digits are public.
VALID_CURPS = ["LOOA531113HTCPBN07", "HEGG560427MVZRRL04", "MAAR790213HMNRLF03"]


@pytest.mark.parametrize("curp", VALID_CURPS)
def test_known_curps_are_valid(curp: str) -> None:
    assert curp_error(curp) is None
    assert curp_check_digit(curp[:17]) == curp[17]


def test_curp_with_a_wrong_check_digit_names_the_right_one() -> None:
    assert (
        curp_error("LOOA531113HTCPBN08") == "El dígito verificador del CURP no corresponde (debería ser 7)."
    )


def test_curp_of_the_wrong_length() -> None:
    assert curp_error("LOOA531113HTCPBN0") == "El CURP debe tener 18 caracteres; tiene 17."


def test_curp_with_an_impossible_date() -> None:
    assert curp_error("LOOA530230HTCPBN07") == "La fecha del CURP (530230) no es una fecha válida."


def test_curp_with_an_unknown_sex() -> None:
    curp = "LOOA531113ZTCPBN0"
    assert curp_error(curp + curp_check_digit(curp)) == "El sexo del CURP debe ser H, M o X; es «Z»."


def test_curp_accepts_sex_x() -> None:
    curp = "LOOA531113XTCPBN0"
    assert curp_error(curp + curp_check_digit(curp)) is None


def test_curp_with_an_unknown_state() -> None:
    curp = "LOOA531113HXXPBN0"
    assert curp_error(curp + curp_check_digit(curp)) == (
        "La entidad federativa del CURP («XX») no está en el catálogo oficial."
    )


def test_curp_with_vowels_where_consonants_go() -> None:
    curp = "LOOA531113HTCAEI0"
    assert (
        curp_error(curp + curp_check_digit(curp)) == "Las posiciones 14 a 16 del CURP deben ser consonantes."
    )


def test_curp_of_someone_born_after_2000_uses_a_letter_and_that_century() -> None:
    # 29 Feb 2000 exists; 29 Feb 1900 does not: the letter differentiator selects the 2000s.
    curp = "GOME000229MNLRRNA"
    assert curp_error(curp + curp_check_digit(curp)) is None
    digit = "GOME000229MNLRRN0"
    assert curp_error(digit + curp_check_digit(digit)) == "La fecha del CURP (000229) no es una fecha válida."


def test_sat_sample_rfc_is_valid_and_its_check_digit_matches() -> None:
    assert rfc_error("GODE561231GR8") is None
    assert rfc_check_digit("GODE561231GR") == "8"


def test_rfc_accepts_enye_and_ampersand() -> None:
    assert rfc_error("ÑA&E561231GR8") is None


def test_rfc_of_a_persona_moral_is_refused() -> None:
    assert rfc_error("ABC680524P76") == "El RFC debe tener 13 caracteres (persona física); tiene 12."


def test_rfc_with_an_impossible_date() -> None:
    assert rfc_error("GODE561331GR8") == "La fecha del RFC (561331) no es una fecha válida."


def test_rfc_with_digits_where_letters_go() -> None:
    assert rfc_error("G0DE561231GR8") is not None


def test_rfc_is_normalized_before_checking() -> None:
    assert normalize_rfc(" gode-561231-gr8 ") == "GODE561231GR8"


@pytest.mark.parametrize("email", ["ana.garza@monterrey.gob.mx", "a+b@x.mx", "o'neil@sub.dominio.com"])
def test_good_emails(email: str) -> None:
    assert email_error(email) is None


@pytest.mark.parametrize(
    "email", ["ana.garza", "ana@", "@monterrey.gob.mx", "ana garza@x.mx", "a..b@x.mx", "a@x"]
)
def test_bad_emails(email: str) -> None:
    assert email_error(email) == f"«{email}» no es un correo electrónico válido."
