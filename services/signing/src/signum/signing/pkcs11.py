"""Institutional seals (sello de la dependencia) whose key lives in a PKCS#11 token.

SoftHSM in development and tests, an HSM in production: the key never leaves the token; Signum sends
it the signed attributes and gets the RSA signature back. Open one `Pkcs11Key` per process and reuse
it: opening a session and logging in costs far more than a signature.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from asn1crypto import x509
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass, PKCS11Error, Session
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.pkcs11 import open_pkcs11_session

from signum.signing import errors, sat
from signum.signing.cms import CmsTemplate
from signum.signing.credentials import CertificateCheck, TrustPolicy, check_certificate
from signum.signing.domain import CertificateInfo

logger = logging.getLogger(__name__)


class Pkcs11Key:
    """A private key in a PKCS#11 token with its certificate; signs RSA PKCS#1 v1.5 / SHA-256."""

    def __init__(
        self,
        session: Session,
        key_label: str,
        certificate: x509.Certificate,
        chain: tuple[x509.Certificate, ...] = (),
        check: CertificateCheck | None = None,
    ) -> None:
        self._session: Session | None = session
        self._key: Any = session.get_key(
            object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.RSA, label=key_label
        )
        self._lock = threading.Lock()  # one PKCS#11 session is not safe for concurrent operations
        self.certificate = certificate
        self.chain = chain
        self.check = check
        self.info: CertificateInfo = sat.certificate_info(certificate)
        self._template: CmsTemplate | None = None

    @classmethod
    def open(
        cls,
        module: str,
        *,
        token_label: str,
        pin: str,
        key_label: str,
        certificate: bytes | None = None,
        chain: tuple[x509.Certificate, ...] = (),
    ) -> Pkcs11Key:
        """Log into the token and find the key; the certificate comes from `certificate` or the token."""
        try:
            session = open_pkcs11_session(
                module, token_criteria=TokenCriteria(label=token_label), user_pin=pin
            )
        except (PKCS11Error, OSError, RuntimeError) as exc:
            logger.error("cannot open PKCS#11 token %s: %r", token_label, exc)
            raise errors.SealUnavailableError() from exc
        try:
            if certificate is None:
                stored = next(
                    iter(
                        session.get_objects(
                            {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: key_label}
                        )
                    )
                )
                certificate = bytes(stored[Attribute.VALUE])
            return cls(session, key_label, x509.Certificate.load(certificate), chain)
        except (PKCS11Error, StopIteration) as exc:
            session.close()
            logger.error("no key/certificate %r in PKCS#11 token %s: %r", key_label, token_label, exc)
            raise errors.SealUnavailableError() from exc

    async def validate(self, trust: TrustPolicy, *, now: datetime | None = None) -> CertificateCheck:
        """Check the seal's certificate like an e.firma's and keep its chain and revocation data."""
        self.check = await check_certificate(self.certificate, trust, now=now)
        self.chain = self.check.chain
        self._template = None
        return self.check

    @property
    def template(self) -> CmsTemplate:
        if self._template is None:
            self._template = CmsTemplate(self.certificate, self.chain)
        return self._template

    def sign(self, data: bytes) -> bytes:
        """The token hashes `data` with SHA-256 and signs it with RSA PKCS#1 v1.5."""
        with self._lock:
            try:
                return bytes(self._key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))
            except PKCS11Error as exc:
                raise errors.SealUnavailableError() from exc

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
