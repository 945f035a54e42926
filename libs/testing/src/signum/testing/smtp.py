"""A real SMTP server process for tests: accepts every message and writes it to a folder as .eml.

Run as `python -m signum.testing.smtp <port> <folder>`; `SmtpSink` starts and stops it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

from signum.testing.processes import free_port


class _Session:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def send(line: str) -> None:
            writer.write((line + "\r\n").encode())

        send("220 signum-test-smtp ESMTP")
        rcpts: list[str] = []
        sender = ""
        while True:
            raw = await reader.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                send("250-signum-test-smtp")
                send("250 8BITMIME")
            elif verb == "MAIL":
                sender, rcpts = line.partition(":")[2].strip(), []
                send("250 OK")
            elif verb == "RCPT":
                rcpts.append(line.partition(":")[2].strip())
                send("250 OK")
            elif verb == "DATA":
                send("354 End data with <CR><LF>.<CR><LF>")
                await writer.drain()
                data = bytearray()
                while True:
                    chunk = await reader.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
                header = f"X-Envelope-From: {sender}\r\nX-Envelope-To: {', '.join(rcpts)}\r\n".encode()
                (self.folder / name).write_bytes(header + bytes(data))
                send("250 OK: queued")
            elif verb in ("RSET", "NOOP"):
                send("250 OK")
            elif verb == "QUIT":
                send("221 Bye")
                await writer.drain()
                break
            else:
                send("502 Command not implemented")
            await writer.drain()
        writer.close()


async def _serve(port: int, folder: Path) -> None:
    server = await asyncio.start_server(_Session(folder).handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


class SmtpSink:
    """The SMTP server process and the messages it received."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SmtpSink:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "signum.testing.smtp", str(self.port), str(self.folder)]
        )
        deadline = time.monotonic() + 15
        import socket

        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("the test SMTP server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def messages(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            found.append(msg)
        return found

    def env(self, service: str) -> dict[str, str]:
        prefix = f"SIGNUM_{service.upper()}_"
        return {prefix + "SMTP_HOST": "127.0.0.1", prefix + "SMTP_PORT": str(self.port)}


def running_sink(folder: Path) -> Iterator[SmtpSink]:
    sink = SmtpSink(folder).start()
    try:
        yield sink
    finally:
        sink.stop()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), Path(sys.argv[2])))
