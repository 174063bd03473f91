"""Typed errors: one class per `ErrorInfo.reason`.

This module is the leaf every layer may import. The store raises some of these
(not found, conflicts), the domain raises the rest, and the transport's error
interceptor turns any of them into a `google.rpc.Status` with one `ErrorInfo`
and an es-MX `LocalizedMessage`. `code` names a canonical gRPC status code
without importing grpc, so the domain stays free of transport types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import ClassVar

ERROR_DOMAIN = "licensing.aspel.com.mx"


class LicensingError(Exception):
    """A failure the caller can act on. Never carries a secret."""

    code: ClassVar[str] = "INTERNAL"
    reason: ClassVar[str] = "INTERNAL"
    #: Developer-facing English text for `google.rpc.Status.message` (AIP-193).
    developer_message: ClassVar[str] = "Internal error."
    #: The es-MX text a person reads; subclasses may build it per instance.
    message_es: str = "Ocurrió un error inesperado. Intenta de nuevo en unos minutos."
    #: False for the few reasons only the server's own command line reports (no
    #: RPC answers them), so the proto comments need not list them.
    over_api: ClassVar[bool] = True

    def __init__(
        self,
        message_es: str | None = None,
        *,
        metadata: Mapping[str, str] | None = None,
        field_violations: Iterable[tuple[str, str]] = (),
    ) -> None:
        if message_es is not None:
            self.message_es = message_es
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field_violations: list[tuple[str, str]] = list(field_violations)
        super().__init__(f"{self.reason}: {self.developer_message}")


# --- INVALID_ARGUMENT -------------------------------------------------------


class InvalidArgument(LicensingError):
    """Fields that fail validation, each named in a `BadRequest` violation."""

    code = "INVALID_ARGUMENT"
    reason = "INVALID_ARGUMENT"
    developer_message = "The request has invalid fields; see the BadRequest details."
    message_es = "La solicitud tiene datos no válidos. Revisa los campos señalados."


class InvalidPageToken(LicensingError):
    code = "INVALID_ARGUMENT"
    reason = "INVALID_PAGE_TOKEN"
    developer_message = "The page token is not one returned by this list."
    message_es = (
        "La página solicitada ya no es válida. Vuelve a consultar la lista desde el inicio."
    )


class MalformedRequest(LicensingError):
    """The request bytes are not a message of the method's request type
    (corrupt wire format, invalid UTF-8 in a string field, a truncated body)."""

    code = "INVALID_ARGUMENT"
    reason = "MALFORMED_REQUEST"
    developer_message = "The request could not be decoded as the method's request message."
    message_es = (
        "No pudimos leer la solicitud: llegó incompleta o dañada. Intenta de nuevo; si el "
        "problema continúa, actualiza tu sistema Aspel o comunícate con Soporte Aspel."
    )


class RequestIdReused(LicensingError):
    code = "INVALID_ARGUMENT"
    reason = "REQUEST_ID_REUSED"
    developer_message = "The request_id was already used for a different request."
    message_es = (
        "El identificador de la solicitud ya se usó para otra operación. "
        "Genera uno nuevo para cada operación distinta."
    )


class TermsTooLarge(LicensingError):
    """Upgrade terms that, filled in for some serial, would not fit in a message."""

    code = "INVALID_ARGUMENT"
    reason = "TERMS_TOO_LARGE"
    developer_message = (
        "The title and clauses, with every placeholder at its longest value, exceed the budget."
    )

    def __init__(self, worst_case_bytes: int, max_bytes: int, placeholder_max: str) -> None:
        super().__init__(
            "Los términos son demasiado largos: con cada marcador en su valor más largo "
            f"({placeholder_max}) ocuparían {worst_case_bytes:,} bytes y el máximo es "
            f"{max_bytes:,}. Acorta las cláusulas o usa menos marcadores.",
            metadata={"worst_case_bytes": str(worst_case_bytes), "max_bytes": str(max_bytes)},
            field_violations=[
                (
                    "clauses",
                    f"El título y las cláusulas pueden ocupar hasta {worst_case_bytes:,} bytes "
                    f"para algún número de serie; el máximo es {max_bytes:,}.",
                )
            ],
        )


# --- RESOURCE_EXHAUSTED ----------------------------------------------------------


class RequestTooLarge(LicensingError):
    """Refused before decoding; `max_bytes` tells the caller the limit."""

    code = "RESOURCE_EXHAUSTED"
    reason = "REQUEST_TOO_LARGE"
    developer_message = "The request message is larger than the server accepts."

    def __init__(self, size: int, max_bytes: int) -> None:
        super().__init__(
            f"La solicitud es demasiado grande ({size:,} bytes; el máximo es {max_bytes:,}). "
            "Envía menos datos en una sola operación.",
            metadata={"size_bytes": str(size), "max_bytes": str(max_bytes)},
        )


# --- UNAUTHENTICATED / PERMISSION_DENIED -------------------------------------


class InvalidCredentials(LicensingError):
    code = "UNAUTHENTICATED"
    reason = "INVALID_CREDENTIALS"
    developer_message = "Unknown username or wrong password."
    message_es = (
        "El usuario o la contraseña no son correctos. Verifícalos; si no recuerdas tu "
        "contraseña, usa la opción para recuperarla."
    )


class AccountLocked(LicensingError):
    code = "UNAUTHENTICATED"
    reason = "ACCOUNT_LOCKED"
    developer_message = "Too many failed logins; the account is locked for a while."

    def __init__(self, retry_time: dt.datetime, local_retry: str) -> None:
        super().__init__(
            "Tu cuenta se bloqueó temporalmente por varios intentos fallidos de inicio de "
            f"sesión. Podrás intentar de nuevo a partir de las {local_retry}. Si no recuerdas "
            "tu contraseña, usa la opción para recuperarla.",
            metadata={"retry_time": retry_time.isoformat(timespec="seconds")},
        )


class AccountDisabled(LicensingError):
    code = "PERMISSION_DENIED"
    reason = "ACCOUNT_DISABLED"
    developer_message = "The account is disabled."
    message_es = "Tu cuenta Aspel está deshabilitada. Comunícate con Soporte Aspel."


class SessionInvalid(LicensingError):
    code = "UNAUTHENTICATED"
    reason = "SESSION_INVALID"
    developer_message = "Missing, unknown, ended or expired session token."
    message_es = "Tu sesión no es válida o ya expiró. Inicia sesión de nuevo."


# --- NOT_FOUND ---------------------------------------------------------------


class SerialNotFound(LicensingError):
    """Also raised for another account's serial: never confirm it exists."""

    code = "NOT_FOUND"
    reason = "SERIAL_NOT_FOUND"
    developer_message = "No such serial number in the caller's account."

    def __init__(self, serial_number: str, *, in_account: bool = True) -> None:
        where = " en tu cuenta" if in_account else ""
        super().__init__(
            f"No encontramos el número de serie {serial_number}{where}. "
            "Verifica que esté escrito correctamente.",
            metadata={"serial_number": serial_number},
        )


# --- FAILED_PRECONDITION ----------------------------------------------------


class SerialNotActive(LicensingError):
    code = "FAILED_PRECONDITION"
    reason = "SERIAL_NOT_ACTIVE"
    developer_message = "The serial is not active (superseded, inactive or suspended)."

    def __init__(self, serial_number: str, state: str, successor: str | None = None) -> None:
        text = f"El número de serie {serial_number} no está activo ({_STATE_ES.get(state, state)})."
        metadata = {"serial_number": serial_number, "state": state}
        if successor:
            text += f" Usa el número de serie {successor} de la versión nueva."
            metadata["successor_serial_number"] = successor
        super().__init__(text, metadata=metadata)


class NoUpgradeAvailable(LicensingError):
    code = "FAILED_PRECONDITION"
    reason = "NO_UPGRADE_AVAILABLE"
    developer_message = "The serial already has the newest version."

    def __init__(self, serial_number: str, product_name: str, version: str) -> None:
        super().__init__(
            f"Tu {product_name} {version} ya está en la versión más reciente; "
            "no hay una actualización disponible.",
            metadata={"serial_number": serial_number, "version": version},
        )


class UpgradeRequiresPurchase(LicensingError):
    code = "FAILED_PRECONDITION"
    reason = "UPGRADE_REQUIRES_PURCHASE"
    developer_message = "A perpetual licence is upgraded by purchase, not for free."

    def __init__(self, serial_number: str, product_name: str, to_version: str) -> None:
        super().__init__(
            f"Tu {product_name} es una licencia de pago único: la versión {to_version} se "
            "adquiere por separado. Consulta precios con tu distribuidor Aspel o en aspel.com.",
            metadata={"serial_number": serial_number, "available_version": to_version},
        )


class TermsOutdated(LicensingError):
    code = "FAILED_PRECONDITION"
    reason = "TERMS_OUTDATED"
    developer_message = "The terms changed since they were shown; fetch them again."
    message_es = (
        "Los términos y condiciones de la actualización cambiaron desde que los consultaste. "
        "Revísalos de nuevo antes de aceptar."
    )


# --- UNAVAILABLE ---------------------------------------------------------------


class ServerBusy(LicensingError):
    """Nothing was done, so a plain retry is safe (clients retry UNAVAILABLE)."""

    code = "UNAVAILABLE"
    reason = "SERVER_BUSY"
    developer_message = "Too many password checks in progress; retry after RetryInfo."
    message_es = (
        "En este momento hay muchas solicitudes de inicio de sesión. "
        "Intenta de nuevo en unos segundos."
    )

    def __init__(self, retry_delay: dt.timedelta) -> None:
        #: Read by the error interceptor into a `google.rpc.RetryInfo`.
        self.retry_delay = retry_delay
        super().__init__()


class DatabaseUnavailable(LicensingError):
    """The database could not be reached or stayed busy: it is down or
    restarting, the connection broke, the pool is exhausted, or SQLite's write
    lock was not obtained within its busy timeout. The transaction did not
    commit, so a retry is safe; were the connection to break during the COMMIT
    itself, a retry with the same `request_id` gets the first answer back."""

    code = "UNAVAILABLE"
    reason = "DATABASE_UNAVAILABLE"
    developer_message = "The database is unreachable or busy; nothing was changed. Retry later."
    message_es = (
        "El servicio no está disponible por el momento; no se realizó ningún cambio. "
        "Intenta de nuevo en unos segundos."
    )

    def __init__(self, retry_delay: dt.timedelta = dt.timedelta(seconds=2)) -> None:
        #: Read by the error interceptor into a `google.rpc.RetryInfo`.
        self.retry_delay = retry_delay
        super().__init__()


class StorageUnavailable(LicensingError):
    """The database's storage is full (SQLite's "database or disk is full",
    PostgreSQL's disk_full): the transaction was rolled back whole, reads keep
    working, and writes succeed again once space is freed."""

    code = "UNAVAILABLE"
    reason = "STORAGE_UNAVAILABLE"
    developer_message = "The database's storage is full; nothing was written. Retry later."
    message_es = (
        "Por el momento no podemos guardar cambios; no se realizó ningún cambio. "
        "Intenta de nuevo más tarde."
    )

    def __init__(self, retry_delay: dt.timedelta = dt.timedelta(seconds=30)) -> None:
        #: Read by the error interceptor into a `google.rpc.RetryInfo`.
        self.retry_delay = retry_delay
        super().__init__()


# --- ABORTED -------------------------------------------------------------------


class ConcurrentModification(LicensingError):
    code = "ABORTED"
    reason = "CONCURRENT_MODIFICATION"
    developer_message = "A concurrent change won; retry with the same request_id."
    message_es = "Otra operación modificó estos datos al mismo tiempo. Intenta de nuevo."


_STATE_ES = {
    "ACTIVE": "activo",
    "SUPERSEDED": "reemplazado por una versión nueva",
    "INACTIVE": "inactivo",
    "SUSPENDED": "suspendido",
}


# --- Activation (ActivationService) --------------------------------------------


class RazonSocialMismatch(LicensingError):
    """Never carries the registered razón social, in the text or the metadata."""

    code = "PERMISSION_DENIED"
    reason = "RAZON_SOCIAL_MISMATCH"
    developer_message = "The razón social is not the one registered in the serial's account."

    def __init__(self, serial_number: str) -> None:
        super().__init__(
            "La razón social no coincide con la que registraste en tu cuenta Aspel. "
            "Escríbela como aparece en «Mi cuenta Aspel»; no importan las mayúsculas, "
            "los acentos ni los puntos (por ejemplo, «S.A. de C.V.» o «SA DE CV»).",
            metadata={"serial_number": serial_number},
        )


class VersionMismatch(LicensingError):
    code = "FAILED_PRECONDITION"
    reason = "VERSION_MISMATCH"
    developer_message = "The installer's product or version is not the serial's."

    def __init__(
        self,
        serial_number: str,
        serial_product: str,
        serial_version: str,
        installer_product: str,
        installer_version: str,
        suggested_serial: str | None,
    ) -> None:
        text = (
            f"El número de serie {serial_number} es de {serial_product} {serial_version} y no "
            f"sirve para activar {installer_product} {installer_version}."
        )
        metadata = {
            "serial_number": serial_number,
            "serial_version": serial_version,
            "installer_version": installer_version,
        }
        if suggested_serial:
            text += f" Usa el número de serie {suggested_serial}."
            metadata["suggested_serial_number"] = suggested_serial
        else:
            text += (
                f" Usa el número de serie de {installer_product} {installer_version} que aparece "
                "en «Mi cuenta Aspel» (si tu suscripción permite la versión nueva, actualiza ahí "
                "tu número de serie), o instala la versión que corresponde a tu número de serie."
            )
        super().__init__(text, metadata=metadata)


class SerialRetired(LicensingError):
    code = "FAILED_PRECONDITION"
    reason = "SERIAL_RETIRED"
    developer_message = "The superseded serial passed its retire date."

    def __init__(
        self, serial_number: str, retire_date: dt.date, retire_text: str, successor: str | None
    ) -> None:
        text = (
            f"El número de serie {serial_number} se reemplazó por una versión nueva y solo podía "
            f"usarse hasta el {retire_text}."
        )
        metadata = {"serial_number": serial_number, "retire_date": retire_date.isoformat()}
        if successor:
            text += f" Instala la versión nueva y actívala con el número de serie {successor}."
            metadata["successor_serial_number"] = successor
        super().__init__(text, metadata=metadata)


class ActivationLimitReached(LicensingError):
    code = "RESOURCE_EXHAUSTED"
    reason = "ACTIVATION_LIMIT_REACHED"
    developer_message = "Every installation the subscription allows is in use."

    def __init__(self, serial_number: str, installations_allowed: int) -> None:
        seats = (
            "una instalación"
            if installations_allowed == 1
            else f"{installations_allowed} instalaciones"
        )
        super().__init__(
            f"El número de serie {serial_number} permite {seats} y ya están en uso. Desactiva "
            "el sistema en el equipo que ya no usarás y vuelve a intentar la activación.",
            metadata={
                "serial_number": serial_number,
                "installations_allowed": str(installations_allowed),
            },
        )


class ActivationNotFound(LicensingError):
    """Also for an activation of another machine: the two are never told apart."""

    code = "NOT_FOUND"
    reason = "ACTIVATION_NOT_FOUND"
    developer_message = "No active activation of the serial with that id and machine fingerprint."

    def __init__(self, serial_number: str) -> None:
        super().__init__(
            f"Este equipo no tiene una activación vigente del número de serie {serial_number}. "
            "Activa el sistema de nuevo con el asistente de activación.",
            metadata={"serial_number": serial_number},
        )


class DeactivationRateLimited(LicensingError):
    code = "RESOURCE_EXHAUSTED"
    reason = "DEACTIVATION_RATE_LIMITED"
    developer_message = "Too many deactivations of this serial lately; see RetryInfo."

    def __init__(
        self, serial_number: str, retry_time: dt.datetime, local_retry: str, now: dt.datetime
    ) -> None:
        #: Read by the error interceptor into a `google.rpc.RetryInfo`.
        self.retry_delay = max(retry_time - now, dt.timedelta(0))
        super().__init__(
            f"El número de serie {serial_number} se desactivó varias veces en poco tiempo. "
            f"Podrás desactivarlo de nuevo a partir de las {local_retry}.",
            metadata={
                "serial_number": serial_number,
                "retry_time": retry_time.isoformat(timespec="seconds"),
            },
        )


# --- password recovery (RequestPasswordReset, ResetPassword) -------------------


class PasswordTooWeak(LicensingError):
    """The new password breaks the policy of `domain/password_policy.py`."""

    code = "INVALID_ARGUMENT"
    reason = "PASSWORD_TOO_WEAK"
    developer_message = (
        "The new password is too short, too common or contains the username; "
        "see the BadRequest details."
    )

    def __init__(self, field: str, problems: Iterable[tuple[str, str]]) -> None:
        """`problems`: (code, es-MX sentence) pairs, e.g. ("TOO_SHORT", "...")."""
        items = list(problems)
        super().__init__(
            "Elige otra contraseña: "
            + " ".join(text for _, text in items)
            + " Una frase de varias palabras que solo tú conozcas es fácil de recordar "
            "y difícil de adivinar.",
            metadata={"problems": ",".join(code for code, _ in items)},
            field_violations=[(field, text) for _, text in items],
        )


class ResetTokenInvalid(LicensingError):
    """Unknown, already used or expired reset token (never told apart)."""

    code = "INVALID_ARGUMENT"
    reason = "RESET_TOKEN_INVALID"
    developer_message = "The reset token is unknown, already used or expired."
    message_es = (
        "El código para restablecer la contraseña no es válido: ya se usó, venció (dura "
        "30 minutos) o está incompleto. Solicita uno nuevo con la opción «¿Olvidaste tu "
        "contraseña?» y usa el del correo más reciente."
    )

    def __init__(self, field: str = "reset_token") -> None:
        super().__init__(field_violations=[(field, self.message_es)])


class RateLimited(LicensingError):
    code = "RESOURCE_EXHAUSTED"
    reason = "RATE_LIMITED"
    developer_message = "Too many requests from this caller; retry after retry_time."

    def __init__(self, retry_time: dt.datetime, local_retry: str) -> None:
        super().__init__(
            "Recibimos demasiadas solicitudes desde tu conexión en poco tiempo. "
            f"Intenta de nuevo a partir de las {local_retry}.",
            metadata={"retry_time": retry_time.isoformat(timespec="seconds")},
        )


# --- AdminService and service keys (issue 5) ----------------------------------


class ServiceKeyInvalid(LicensingError):
    """No key, an unknown or revoked one, or a customer's session token."""

    code = "UNAUTHENTICATED"
    reason = "SERVICE_KEY_INVALID"
    developer_message = "Missing, unknown or revoked service key."
    message_es = (
        "La llave de servicio no es válida o fue revocada. Pide una nueva a quien administra "
        "el servidor de licencias."
    )


class ScopeMissing(LicensingError):
    code = "PERMISSION_DENIED"
    reason = "SCOPE_MISSING"
    developer_message = "The service key lacks the scope this method needs."

    def __init__(self, scopes: Iterable[str]) -> None:
        names = sorted(scopes)
        super().__init__(
            "Tu llave de servicio no tiene permiso para esta operación; necesita el alcance "
            + " o ".join(f"«{n}»" for n in names)
            + ".",
            metadata={"scope": ",".join(names)},
        )


class AccountNotFound(LicensingError):
    code = "NOT_FOUND"
    reason = "ACCOUNT_NOT_FOUND"
    developer_message = "No such account."

    def __init__(self, key: str) -> None:
        super().__init__(
            f"No existe la cuenta «{key}». Verifica el identificador o el nombre de usuario.",
            metadata={"account": key},
        )


class UsernameTaken(LicensingError):
    code = "ALREADY_EXISTS"
    reason = "USERNAME_TAKEN"
    developer_message = "Another account has that username."

    def __init__(self, username: str) -> None:
        super().__init__(
            f"Ya existe una cuenta con el usuario «{username}». Elige otro nombre de usuario.",
            metadata={"username": username},
        )


class AccountNotActive(LicensingError):
    code = "FAILED_PRECONDITION"
    reason = "ACCOUNT_NOT_ACTIVE"
    developer_message = "The account is disabled."

    def __init__(self, account_id: str) -> None:
        super().__init__(
            f"La cuenta {account_id} está deshabilitada; no admite esta operación.",
            metadata={"account_id": account_id},
        )


_ADMIN_STATE_ES = {**_STATE_ES, "DISABLED": "deshabilitado", "ENABLED": "habilitado"}


class InvalidStateTransition(LicensingError):
    code = "FAILED_PRECONDITION"
    reason = "INVALID_STATE_TRANSITION"
    developer_message = "The object's state does not allow this change."

    def __init__(self, what: str, state: str, wanted: str) -> None:
        super().__init__(
            f"No se puede pasar {what} de «{_ADMIN_STATE_ES.get(state, state)}» a "
            f"«{_ADMIN_STATE_ES.get(wanted, wanted)}».",
            metadata={"state": state, "target_state": wanted},
        )


class ReleaseNotPublished(LicensingError):
    code = "FAILED_PRECONDITION"
    reason = "RELEASE_NOT_PUBLISHED"
    developer_message = "That product version is not published; publish it first."

    def __init__(self, product_name: str, version: str) -> None:
        super().__init__(
            f"{product_name} {version} no está publicado en el catálogo. Publícalo primero.",
            metadata={"version": version},
        )


class ReleaseExists(LicensingError):
    code = "ALREADY_EXISTS"
    reason = "RELEASE_EXISTS"
    developer_message = "That version of the product is already published."

    def __init__(self, product_name: str, version: str) -> None:
        super().__init__(
            f"{product_name} {version} ya está publicado en el catálogo.",
            metadata={"version": version},
        )


class PerpetualLicenseNotBilled(LicensingError):
    code = "FAILED_PRECONDITION"
    reason = "PERPETUAL_LICENSE_NOT_BILLED"
    developer_message = "A perpetual licence has no periodic payments."

    def __init__(self, serial_number: str) -> None:
        super().__init__(
            f"El número de serie {serial_number} es una licencia de pago único: no tiene pagos "
            "periódicos que registrar.",
            metadata={"serial_number": serial_number},
        )


class PaymentReferenceReused(LicensingError):
    """A payment reference names one payment of one serial, whoever sends it."""

    code = "ALREADY_EXISTS"
    reason = "PAYMENT_REFERENCE_REUSED"
    developer_message = "That payment reference was already recorded for another serial."

    def __init__(self, payment_reference: str, serial_number: str) -> None:
        super().__init__(
            f"El pago con la referencia «{payment_reference}» ya se registró para el número "
            f"de serie {serial_number}. Una referencia corresponde a un solo pago: revisa la "
            "referencia o el número de serie.",
            metadata={"payment_reference": payment_reference, "serial_number": serial_number},
        )


class ServiceKeyExists(LicensingError):
    """Only `aspel-licensing-server service-keys`; AdminService manages no keys."""

    over_api = False
    code = "ALREADY_EXISTS"
    reason = "SERVICE_KEY_EXISTS"
    developer_message = "A service key with that name exists or existed."

    def __init__(self, name: str) -> None:
        super().__init__(
            f"Ya existe (o existió) una llave de servicio llamada «{name}». Usa otro nombre.",
            metadata={"name": name},
        )


class ServiceKeyNotFound(LicensingError):
    """Only `aspel-licensing-server service-keys`; AdminService manages no keys."""

    over_api = False
    code = "NOT_FOUND"
    reason = "SERVICE_KEY_NOT_FOUND"
    developer_message = "No active service key with that name."

    def __init__(self, name: str) -> None:
        super().__init__(
            f"No hay una llave de servicio vigente llamada «{name}».",
            metadata={"name": name},
        )
