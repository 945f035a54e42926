"""A development seal issued for another address of signing is issued again for the present one,
so its CRL and OCSP (served by signing, `signum.signing.pki`) can be reached and acuses reach B-LT."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.signing.conftest import require_tool

# In a process of its own: SoftHSM reads its configuration once per process.
SCRIPT = """
import sys
from pathlib import Path
import pkcs11
from pkcs11 import Attribute, ObjectClass
from cryptography import x509
from signum.signing.seals import DevelopmentSeals, SealConfig

folder = Path(sys.argv[1])
config = SealConfig(module="/usr/lib/softhsm/libsofthsm2.so", token_label="sellos", pin="1234")
keys = []
for base in ("http://127.0.0.1:1111", "http://127.0.0.1:2222"):
    seals = DevelopmentSeals(folder, config, base)
    seals.prepare()
    token = pkcs11.lib(config.module).get_token(token_label=config.token_label)
    with token.open(user_pin=config.pin) as login:
        seals.provision("Tesorería Municipal")
        (stored,) = login.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
        cert = x509.load_der_x509_certificate(bytes(stored[Attribute.VALUE]))
        keys.append(cert.public_key().public_numbers().n)
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        print("RESULT", points[0].full_name[0].value)
print("RESULT", "same key" if keys[0] == keys[1] else "new key")
"""


def test_a_seal_made_for_another_signing_address_is_issued_again(tmp_path: Path) -> None:
    require_tool("softhsm2-util")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = [line.split(" ", 1)[1] for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert results == [
        "http://127.0.0.1:1111/pki/sellos/crl",
        "http://127.0.0.1:2222/pki/sellos/crl",
        "same key",
    ]
