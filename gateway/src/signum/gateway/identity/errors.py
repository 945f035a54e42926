"""Identity errors: stable codes, Spanish messages."""

from __future__ import annotations

from signum.platform.errors import ConflictError, SignumError, UnauthorizedError


class InvalidCredentialsError(UnauthorizedError):
    code = "invalid_credentials"
    message = "Usuario o contraseña incorrectos."


class AmbiguousUserError(UnauthorizedError):
    code = "user_ambiguous"
    message = (
        "Ese nombre de usuario corresponde a más de una cuenta. "
        "Escriba su correo institucional completo (por ejemplo, nombre.apellido@monterrey.gob.mx)."
    )


class AccountLockedError(SignumError):
    code = "account_locked"
    status_code = 423
    message = (
        "La cuenta está bloqueada por demasiados intentos fallidos. Intente de nuevo más tarde "
        "o pida a un administrador que la desbloquee."
    )


class TooManyAttemptsError(SignumError):
    """Too many failed logins from one address in the window; `Retry-After` says when to retry."""

    code = "too_many_attempts"
    status_code = 429
    retryable = True
    message = (
        "Hubo demasiados intentos fallidos de inicio de sesión desde esta dirección. "
        "Espere unos minutos e intente de nuevo."
    )

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            headers={"Retry-After": str(max(1, retry_after))}, details={"reintentar_en_s": retry_after}
        )


class LoginBusyError(SignumError):
    """More logins are waiting for a password check than the gateway keeps in line."""

    code = "login_busy"
    status_code = 429
    retryable = True
    message = "Hay demasiados inicios de sesión en curso. Intente de nuevo en unos segundos."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "5"})


class PasswordChangeRequiredError(SignumError):
    """The session came from a temporary password: only changing it and logging out are allowed."""

    code = "password_change_required"
    status_code = 403
    message = "Debe cambiar la contraseña temporal que le dio el administrador antes de continuar."


class SessionRequiredError(UnauthorizedError):
    code = "login_required"
    message = "Su sesión no es válida o expiró. Inicie sesión de nuevo."


class CsrfError(SignumError):
    code = "csrf_failed"
    status_code = 403
    message = "La solicitud no incluye un token de seguridad válido. Recargue la página."


class InvalidApiKeyError(UnauthorizedError):
    code = "api_key_invalid"
    message = "La clave de API no es válida o fue revocada."


class WeakPasswordError(SignumError):
    code = "password_weak"
    status_code = 422
    message = "La contraseña debe tener al menos 12 caracteres, con letras y números."


class OidcError(SignumError):
    code = "oidc_failed"
    status_code = 401
    message = "No se pudo iniciar sesión con el proveedor de identidad del municipio."


class UserNameTakenError(ConflictError):
    code = "usuario_taken"
    message = "Ese nombre de usuario ya es de la cuenta de otro funcionario; elija otro."
