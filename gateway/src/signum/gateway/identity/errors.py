"""Identity errors: stable codes, Spanish messages."""

from __future__ import annotations

from signum.platform.errors import SignumError, UnauthorizedError


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
