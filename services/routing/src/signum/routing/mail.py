"""Email to external recipients: the signed PDF attached and the public verification link (SMTP)."""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from signum.platform.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Outgoing:
    to: str
    nombre: str
    folio: str
    asunto: str
    remitente: str
    pdf: bytes
    url_verificacion: str


class Mailer:
    """Sends through one SMTP server (no TLS in development; STARTTLS when asked)."""

    def __init__(
        self, host: str | None, port: int, sender: str, *, starttls: bool = False, timeout: float = 15.0
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.timeout = timeout

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def message(self, mail: Outgoing) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = mail.to
        msg["Subject"] = f"Oficio {mail.folio}: {mail.asunto}"
        msg.set_content(
            f"Estimado(a) {mail.nombre}:\n\n"
            f"{mail.remitente} le envía el oficio {mail.folio}, «{mail.asunto}», firmado "
            "electrónicamente con e.firma. Se adjunta el PDF firmado.\n\n"
            f"Puede verificar su autenticidad e integridad en:\n{mail.url_verificacion}\n\n"
            "Este mensaje se generó automáticamente; no lo responda.\n"
        )
        filename = mail.folio.replace("/", "-") + ".pdf"
        msg.add_attachment(mail.pdf, maintype="application", subtype="pdf", filename=filename)
        return msg

    def _send(self, msg: EmailMessage) -> None:
        assert self.host is not None
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            smtp.send_message(msg)

    async def send(self, mail: Outgoing) -> bool:
        """Whether the server accepted the message (failures are logged, never raised)."""
        if not self.configured:
            return False
        try:
            await asyncio.to_thread(self._send, self.message(mail))
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("email not sent", to=mail.to, folio=mail.folio, error=repr(exc))
            return False
        return True
