"""The one error base of Signum: a stable code, an HTTP status, a Spanish message, retryability."""

from __future__ import annotations

from typing import Any


class SignumError(Exception):
    """An error a user or a caller can act on.

    `code` is a stable English identifier that clients may branch on; `message` is Spanish (es-MX)
    text shown to people; `retryable` says whether trying again later can help.
    """

    code: str = "error"
    status_code: int = 400
    retryable: bool = False
    message: str = "La solicitud no se pudo procesar."
    headers: dict[str, str] = {}  # noqa: RUF012 - replaced per instance, never mutated

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        retryable: bool | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if headers is not None:
            self.headers = headers
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        if retryable is not None:
            self.retryable = retryable
        self.details = details or {}
        super().__init__(f"{self.code}: {self.message}")

    def to_body(self) -> dict[str, Any]:
        """The JSON body of the HTTP error response."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class NotFoundError(SignumError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    code = "not_found"
    status_code = 404
    message = "No se encontró el recurso solicitado."


class ValidationFailedError(SignumError):
    """The request is malformed or breaks a rule."""

    code = "validation_failed"
    status_code = 422
    message = "Los datos enviados no son válidos."


class ConflictError(SignumError):
    """The request conflicts with the current state (e.g. a stale version)."""

    code = "conflict"
    status_code = 409
    message = "El recurso cambió mientras se procesaba la solicitud."


class UnauthorizedError(SignumError):
    """The caller is not authenticated."""

    code = "unauthorized"
    status_code = 401
    message = "Se requiere autenticación."


class ForbiddenError(SignumError):
    """The caller is authenticated but may not do this."""

    code = "forbidden"
    status_code = 403
    message = "No tiene permiso para realizar esta acción."


class UnavailableError(SignumError):
    """A dependency is down; trying again later can help."""

    code = "service_unavailable"
    status_code = 503
    retryable = True
    message = "El servicio no está disponible en este momento. Intente de nuevo en unos minutos."
