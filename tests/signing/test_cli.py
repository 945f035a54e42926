"""`signumctl sign` / `signumctl verify`: a round trip with the test PKI, and refusals' exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from signum.cli.signing import register
from tests.signing.conftest import SatFiles
from tests.signing.documents import TWO_SIGNERS, oficio_pdf
from tests.signing.pki import Issued, SigningPki


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def trust_args(pki: SigningPki, tmp_path: Path) -> list[str]:
    root, ca = tmp_path / "root.der", tmp_path / "ca.der"
    root.write_bytes(pki.roots_der[0])
    ca.write_bytes(pki.intermediates_der[0])
    return ["--trust-root", str(root), "--intermediate", str(ca)]


def _credential(tmp_path: Path, cer: bytes, key: bytes, password: str) -> list[str]:
    (tmp_path / "e.cer").write_bytes(cer)
    (tmp_path / "e.key").write_bytes(key)
    (tmp_path / "password.txt").write_text(password + "\n", encoding="utf-8")
    return [
        "--cer",
        str(tmp_path / "e.cer"),
        "--key",
        str(tmp_path / "e.key"),
        "--password-file",
        str(tmp_path / "password.txt"),
    ]


def _issued(issued: Issued, tmp_path: Path) -> list[str]:
    return _credential(tmp_path, issued.cer, issued.key_file, issued.password)


def test_sign_then_verify_round_trip(
    cli: typer.Typer, pki: SigningPki, trust_args: list[str], tmp_path: Path
) -> None:
    runner = CliRunner()
    source, target = tmp_path / "oficio.pdf", tmp_path / "firmado.pdf"
    source.write_bytes(oficio_pdf(fields=TWO_SIGNERS))

    signed = runner.invoke(
        cli,
        [
            "sign",
            *_issued(pki.fiel, tmp_path),
            "--tsa",
            pki.tsa_url,
            *trust_args,
            "--cargo",
            "Directora",
            str(source),
            str(target),
        ],
    )
    assert signed.exit_code == 0, signed.output
    assert "Firmado por JUANA PEREZ GARZA (PEGJ800101AB1)" in signed.output
    assert (tmp_path / "e.key").read_bytes() not in target.read_bytes()

    text = runner.invoke(cli, ["verify", *trust_args, str(target)])
    assert text.exit_code == 0, text.output
    assert "Firma 1 (firma-1): válida" in text.output
    assert "RFC: PEGJ800101AB1" in text.output
    as_json = runner.invoke(cli, ["verify", "--json", *trust_args, str(target)])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.output)
    assert report["valida"] is True
    assert report["firmas"][0]["nivel_pades"] in {"B-T", "B-LT"}

    tampered = bytearray(target.read_bytes())
    tampered[300] ^= 0x01
    target.write_bytes(bytes(tampered))
    broken = runner.invoke(cli, ["verify", *trust_args, str(target)])
    assert broken.exit_code == 1


def test_a_signature_from_an_untrusted_root_does_not_verify(
    cli: typer.Typer, pki: SigningPki, trust_args: list[str], tmp_path: Path
) -> None:
    runner = CliRunner()
    source, target = tmp_path / "oficio.pdf", tmp_path / "firmado.pdf"
    source.write_bytes(oficio_pdf())
    assert (
        runner.invoke(
            cli, ["sign", *_issued(pki.fiel, tmp_path), *trust_args, str(source), str(target)]
        ).exit_code
        == 0
    )
    # Without the test root, nobody vouches for the signer.
    result = runner.invoke(cli, ["verify", "--json", str(target)])
    assert result.exit_code == 1
    assert json.loads(result.output)["valida"] is False


def test_the_sat_fiel_is_refused_as_expired_with_exit_code_1(
    cli: typer.Typer, sat_fiel: SatFiles, trust_args: list[str], tmp_path: Path
) -> None:
    source, target = tmp_path / "oficio.pdf", tmp_path / "firmado.pdf"
    source.write_bytes(oficio_pdf())
    args = _credential(tmp_path, sat_fiel.cer, sat_fiel.key, sat_fiel.password)
    result = CliRunner().invoke(cli, ["sign", *args, *trust_args, str(source), str(target)])
    assert result.exit_code == 1
    assert "credential_expired" in result.output
    assert "El certificado de la e.firma venció el" in result.output
    assert not target.exists()


def test_a_wrong_password_and_a_csd_are_refused(
    cli: typer.Typer, sat_fiel: SatFiles, sat_csd: SatFiles, trust_args: list[str], tmp_path: Path
) -> None:
    source, target = tmp_path / "oficio.pdf", tmp_path / "firmado.pdf"
    source.write_bytes(oficio_pdf())
    wrong = CliRunner().invoke(
        cli,
        [
            "sign",
            *_credential(tmp_path, sat_fiel.cer, sat_fiel.key, "otra"),
            *trust_args,
            str(source),
            str(target),
        ],
    )
    assert wrong.exit_code == 1
    assert "La contraseña de la clave privada es incorrecta" in wrong.output
    csd = CliRunner().invoke(
        cli,
        [
            "sign",
            *_credential(tmp_path, sat_csd.cer, sat_csd.key, sat_csd.password),
            *trust_args,
            str(source),
            str(target),
        ],
    )
    assert csd.exit_code == 1
    assert "credential_not_fiel" in csd.output


def test_verify_an_unsigned_pdf_exits_1(cli: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "sin-firma.pdf"
    path.write_bytes(oficio_pdf())
    result = CliRunner().invoke(cli, ["verify", str(path)])
    assert result.exit_code == 1
    assert "no contiene firmas" in result.output
