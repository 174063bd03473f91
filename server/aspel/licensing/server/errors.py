"""Typed errors: one class per `ErrorInfo.reason`, each declared as data.

This module is the leaf every layer may import. The store raises some of these
(not found, conflicts), the domain raises the rest, and the transport's error
interceptor turns any of them into a `google.rpc.Status` with one `ErrorInfo`
and an es-MX `LocalizedMessage`.

A class declares what the API promises about its reason: the canonical gRPC
`code` (a `Code`, named without importing grpc so the domain stays free of
transport types; the registry test checks the names against grpc's), the
`reason`, the English `developer_message`, the es-MX `template` with named
`{fields}`, and the `metadata_keys`: the fields also sent as ErrorInfo
metadata. A class declares the fields its constructor takes as annotations
(`serial_number: str`, in order; a value in the class body is a default);
the base class builds that constructor (`dataclass_transform`, so type
checkers see it) and fills the template and the metadata from the fields
and from what `derived_fields` computes of them (an es-MX state name, a
sentence said only when a field is given). A `retry_delay` field is the
`RetryInfo` delay the error interceptor sends. Only a class that also sets
`BadRequest` violations, or computes its delay, writes its own `__init__`.
Numbers a rule decides (a lifetime, a limit) arrive as fields from the
policy that applies them, never written into a sentence here.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, dataclass_transform

ERROR_DOMAIN = "licensing.aspel.com.mx"


class Code(enum.StrEnum):
    """The canonical status codes (google.rpc.Code) a failure may carry."""

    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    ABORTED = "ABORTED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    UNIMPLEMENTED = "UNIMPLEMENTED"
    INTERNAL = "INTERNAL"
    UNAVAILABLE = "UNAVAILABLE"
    DATA_LOSS = "DATA_LOSS"
    UNAUTHENTICATED = "UNAUTHENTICATED"


@dataclass_transform()
class LicensingError(Exception):
    """A failure the caller can act on. Never carries a secret."""

    code: ClassVar[Code] = Code.INTERNAL
    reason: ClassVar[str] = "INTERNAL"
    #: Developer-facing English text for `google.rpc.Status.message` (AIP-193).
    developer_message: ClassVar[str] = "Internal error."
    #: The es-MX text a person reads; `{name}` fields come from the constructor.
    template: ClassVar[str] = "Ocurrió un error inesperado. Intenta de nuevo en unos minutos."
    #: The constructor's fields that also go into `ErrorInfo.metadata` (when not
    #: None; an instant as RFC 3339 to the second, anything else as `str`).
    metadata_keys: ClassVar[tuple[str, ...]] = ()
    #: False for the few reasons only the server's own command line reports (no
    #: RPC answers them), so the proto comments need not list them.
    over_api: ClassVar[bool] = True

    def __init__(
        self,
        message_es: str | None = None,
        *,
        metadata: Mapping[str, str] | None = None,
        field_violations: Iterable[tuple[str, str]] = (),
        **fields: object,
    ) -> None:
        self.message_es: str = (
            message_es if message_es is not None else self.template.format(**fields)
        )
        self.metadata: dict[str, str] = {
            key: _metadata_text(fields[key])
            for key in self.metadata_keys
            if fields.get(key) is not None
        }
        self.metadata.update(metadata or {})
        self.field_violations: list[tuple[str, str]] = list(field_violations)
        super().__init__(f"{self.reason}: {self.developer_message}")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = [
            name
            for name, kind in inspect.get_annotations(cls).items()
            if not str(kind).startswith("ClassVar")
        ]
        if declared and "__init__" not in cls.__dict__:
            defaults = {name: cls.__dict__[name] for name in declared if name in cls.__dict__}
            cls.__init__ = _declared_init(declared, defaults)  # type: ignore[method-assign]

    def derived_fields(self) -> Mapping[str, object]:
        """What the template or the metadata needs beyond the declared fields
        (an es-MX state name, a sentence said only when a field is given);
        a name that is also a declared field replaces its value there."""
        return {}


def _declared_init(names: list[str], defaults: Mapping[str, object]) -> Any:
    """The constructor of a class that declares its fields: takes them by
    position or name (a field with a value in the class body may be left
    out), keeps each as an attribute, and gives them, with the class's
    derived fields, to the base."""
    signature = inspect.Signature(
        [
            inspect.Parameter(
                n,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=defaults.get(n, inspect.Parameter.empty),
            )
            for n in names
        ]
    )

    def __init__(self: LicensingError, *args: object, **kwargs: object) -> None:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        for name, value in bound.arguments.items():
            setattr(self, name, value)
        LicensingError.__init__(self, **{**bound.arguments, **self.derived_fields()})

    __init__.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
            *signature.parameters.values(),
        ]
    )
    return __init__


def _metadata_text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def _optional(template: str, **fields: object) -> str:
    """`template` filled in, or "" when any of its fields is missing (None or "")."""
    if any(value is None or value == "" for value in fields.values()):
        return ""
    return template.format(**fields)


# --- INVALID_ARGUMENT -------------------------------------------------------


class InvalidArgument(LicensingError):
    """Fields that fail validation, each named in a `BadRequest` violation."""

    code = Code.INVALID_ARGUMENT
    reason = "INVALID_ARGUMENT"
    developer_message = "The request has invalid fields; see the BadRequest details."
    template = "La solicitud tiene datos no válidos. Revisa los campos señalados."


class InvalidPageToken(LicensingError):
    code = Code.INVALID_ARGUMENT
    reason = "INVALID_PAGE_TOKEN"
    developer_message = "The page token is not one returned by this list."
    template = "La página solicitada ya no es válida. Vuelve a consultar la lista desde el inicio."


class MalformedRequest(LicensingError):
    """The request bytes are not a message of the method's request type
    (corrupt wire format, invalid UTF-8 in a string field, a truncated body)."""

    code = Code.INVALID_ARGUMENT
    reason = "MALFORMED_REQUEST"
    developer_message = "The request could not be decoded as the method's request message."
    template = (
        "No pudimos leer la solicitud: llegó incompleta o dañada. Intenta de nuevo; si el "
        "problema continúa, actualiza tu sistema Aspel o comunícate con Soporte Aspel."
    )


class RequestIdReused(LicensingError):
    code = Code.INVALID_ARGUMENT
    reason = "REQUEST_ID_REUSED"
    developer_message = "The request_id was already used for a different request."
    template = (
        "El identificador de la solicitud ya se usó para otra operación. "
        "Genera uno nuevo para cada operación distinta."
    )


class TermsTooLarge(LicensingError):
    """Upgrade terms that, filled in for some serial, would not fit in a message."""

    code = Code.INVALID_ARGUMENT
    reason = "TERMS_TOO_LARGE"
    developer_message = (
        "The title and clauses, with every placeholder at its longest value, exceed the budget."
    )

    template = (
        "Los términos son demasiado largos: con cada marcador en su valor más largo "
        "({placeholder_max}) ocuparían {worst_case_bytes:,} bytes y el máximo es "
        "{max_bytes:,}. Acorta las cláusulas o usa menos marcadores."
    )
    violation_template: ClassVar[str] = (
        "El título y las cláusulas pueden ocupar hasta {worst_case_bytes:,} bytes "
        "para algún número de serie; el máximo es {max_bytes:,}."
    )
    metadata_keys = ("worst_case_bytes", "max_bytes")

    def __init__(self, worst_case_bytes: int, max_bytes: int, placeholder_max: str) -> None:
        violation = self.violation_template.format(
            worst_case_bytes=worst_case_bytes, max_bytes=max_bytes
        )
        super().__init__(
            field_violations=[("clauses", violation)],
            placeholder_max=placeholder_max,
            worst_case_bytes=worst_case_bytes,
            max_bytes=max_bytes,
        )


# --- RESOURCE_EXHAUSTED ----------------------------------------------------------


class RequestTooLarge(LicensingError):
    """Refused before decoding; `max_bytes` tells the caller the limit."""

    code = Code.RESOURCE_EXHAUSTED
    reason = "REQUEST_TOO_LARGE"
    developer_message = "The request message is larger than the server accepts."

    template = (
        "La solicitud es demasiado grande ({size_bytes:,} bytes; el máximo es {max_bytes:,}). "
        "Envía menos datos en una sola operación."
    )
    metadata_keys = ("size_bytes", "max_bytes")

    size_bytes: int
    max_bytes: int


# --- UNAUTHENTICATED / PERMISSION_DENIED -------------------------------------


class InvalidCredentials(LicensingError):
    code = Code.UNAUTHENTICATED
    reason = "INVALID_CREDENTIALS"
    developer_message = "Unknown username or wrong password."
    template = (
        "El usuario o la contraseña no son correctos. Verifícalos; si no recuerdas tu "
        "contraseña, usa la opción para recuperarla."
    )


class AccountLocked(LicensingError):
    code = Code.UNAUTHENTICATED
    reason = "ACCOUNT_LOCKED"
    developer_message = "Too many failed logins; the account is locked for a while."

    template = (
        "Tu cuenta se bloqueó temporalmente por varios intentos fallidos de inicio de "
        "sesión. Podrás intentar de nuevo a partir de las {local_retry}. Si no recuerdas "
        "tu contraseña, usa la opción para recuperarla."
    )
    metadata_keys = ("retry_time",)

    retry_time: dt.datetime
    local_retry: str


class AccountDisabled(LicensingError):
    code = Code.PERMISSION_DENIED
    reason = "ACCOUNT_DISABLED"
    developer_message = "The account is disabled."
    template = "Tu cuenta Aspel está deshabilitada. Comunícate con Soporte Aspel."


class SessionInvalid(LicensingError):
    code = Code.UNAUTHENTICATED
    reason = "SESSION_INVALID"
    developer_message = "Missing, unknown, ended or expired session token."
    template = "Tu sesión no es válida o ya expiró. Inicia sesión de nuevo."


# --- NOT_FOUND ---------------------------------------------------------------


class SerialNotFound(LicensingError):
    """Also raised for another account's serial: never confirm it exists."""

    code = Code.NOT_FOUND
    reason = "SERIAL_NOT_FOUND"
    developer_message = "No such serial number in the caller's account."

    template = (
        "No encontramos el número de serie {serial_number}{where}. "
        "Verifica que esté escrito correctamente."
    )
    metadata_keys = ("serial_number",)

    serial_number: str
    #: False where no account is involved (support's and billing's lookups).
    in_account: bool = True

    def derived_fields(self) -> Mapping[str, object]:
        return {"where": " en tu cuenta" if self.in_account else ""}


# --- FAILED_PRECONDITION ----------------------------------------------------


class SerialNotActive(LicensingError):
    code = Code.FAILED_PRECONDITION
    reason = "SERIAL_NOT_ACTIVE"
    developer_message = "The serial is not active (superseded, inactive or suspended)."

    template = "El número de serie {serial_number} no está activo ({state_es}).{use_successor}"
    successor_template: ClassVar[str] = (
        " Usa el número de serie {successor_serial_number} de la versión nueva."
    )
    metadata_keys = ("serial_number", "state", "successor_serial_number")

    serial_number: str
    state: str
    successor_serial_number: str | None = None

    def derived_fields(self) -> Mapping[str, object]:
        successor = self.successor_serial_number or None
        return {
            "state_es": _STATE_ES.get(self.state, self.state),
            "successor_serial_number": successor,
            "use_successor": _optional(self.successor_template, successor_serial_number=successor),
        }


class NoUpgradeAvailable(LicensingError):
    code = Code.FAILED_PRECONDITION
    reason = "NO_UPGRADE_AVAILABLE"
    developer_message = "The serial already has the newest version."

    template = (
        "Tu {product_name} {version} ya está en la versión más reciente; "
        "no hay una actualización disponible."
    )
    metadata_keys = ("serial_number", "version")

    serial_number: str
    product_name: str
    version: str


class UpgradeRequiresPurchase(LicensingError):
    code = Code.FAILED_PRECONDITION
    reason = "UPGRADE_REQUIRES_PURCHASE"
    developer_message = "A perpetual licence is upgraded by purchase, not for free."

    template = (
        "Tu {product_name} no se actualiza sin costo: la versión {available_version} se "
        "adquiere por separado. Cómprala en {purchase_url} o con tu distribuidor Aspel."
    )
    metadata_keys = ("serial_number", "available_version", "purchase_url")

    serial_number: str
    product_name: str
    available_version: str
    purchase_url: str


class TermsOutdated(LicensingError):
    code = Code.FAILED_PRECONDITION
    reason = "TERMS_OUTDATED"
    developer_message = "The terms changed since they were shown; fetch them again."
    template = (
        "Los términos y condiciones de la actualización cambiaron desde que los consultaste. "
        "Revísalos de nuevo antes de aceptar."
    )


# --- UNAVAILABLE ---------------------------------------------------------------


class ServerBusy(LicensingError):
    """Nothing was done, so a plain retry is safe (clients retry UNAVAILABLE)."""

    code = Code.UNAVAILABLE
    reason = "SERVER_BUSY"
    developer_message = "Too many password checks in progress; retry after RetryInfo."
    template = (
        "En este momento hay muchas solicitudes de inicio de sesión. "
        "Intenta de nuevo en unos segundos."
    )

    #: Read by the error interceptor into a `google.rpc.RetryInfo`.
    retry_delay: dt.timedelta


class DatabaseUnavailable(LicensingError):
    """The database could not be reached or stayed busy: it is down or
    restarting, the connection broke, the pool is exhausted, or SQLite's write
    lock was not obtained within its busy timeout. The transaction did not
    commit, so a retry is safe; were the connection to break during the COMMIT
    itself, a retry with the same `request_id` gets the first answer back."""

    code = Code.UNAVAILABLE
    reason = "DATABASE_UNAVAILABLE"
    developer_message = "The database is unreachable or busy; nothing was changed. Retry later."
    template = (
        "El servicio no está disponible por el momento; no se realizó ningún cambio. "
        "Intenta de nuevo en unos segundos."
    )

    #: Read by the error interceptor into a `google.rpc.RetryInfo`.
    retry_delay: dt.timedelta = dt.timedelta(seconds=2)


class StorageUnavailable(LicensingError):
    """The database's storage is full (SQLite's "database or disk is full",
    PostgreSQL's disk_full): the transaction was rolled back whole, reads keep
    working, and writes succeed again once space is freed."""

    code = Code.UNAVAILABLE
    reason = "STORAGE_UNAVAILABLE"
    developer_message = "The database's storage is full; nothing was written. Retry later."
    template = (
        "Por el momento no podemos guardar cambios; no se realizó ningún cambio. "
        "Intenta de nuevo más tarde."
    )

    #: Read by the error interceptor into a `google.rpc.RetryInfo`.
    retry_delay: dt.timedelta = dt.timedelta(seconds=30)


# --- ABORTED -------------------------------------------------------------------


class ConcurrentModification(LicensingError):
    code = Code.ABORTED
    reason = "CONCURRENT_MODIFICATION"
    developer_message = "A concurrent change won; retry with the same request_id."
    template = "Otra operación modificó estos datos al mismo tiempo. Intenta de nuevo."


_STATE_ES = {
    "ACTIVE": "activo",
    "SUPERSEDED": "reemplazado por una versión nueva",
    "INACTIVE": "inactivo",
    "SUSPENDED": "suspendido",
    "OVERDUE": "con pago vencido",
}


# --- Activation (ActivationService) --------------------------------------------


class RazonSocialMismatch(LicensingError):
    """Never carries the registered razón social, in the text or the metadata."""

    code = Code.PERMISSION_DENIED
    reason = "RAZON_SOCIAL_MISMATCH"
    developer_message = "The razón social is not the one registered in the serial's account."

    template = (
        "La razón social no coincide con la que registraste en tu cuenta Aspel. "
        "Escríbela como aparece en «Mi cuenta Aspel»; no importan las mayúsculas, "
        "los acentos ni los puntos (por ejemplo, «S.A. de C.V.» o «SA DE CV»)."
    )
    metadata_keys = ("serial_number",)

    serial_number: str


class VersionMismatch(LicensingError):
    code = Code.FAILED_PRECONDITION
    reason = "VERSION_MISMATCH"
    developer_message = "The installer's product or version is not the serial's."
    template = (
        "El número de serie {serial_number} es de {serial_product} {serial_version} y no "
        "sirve para activar {installer_product} {installer_version}. {advice}"
    )
    suggested_template: ClassVar[str] = "Usa el número de serie {suggested_serial_number}."
    account_template: ClassVar[str] = (
        "Usa el número de serie de {installer_product} {installer_version} que aparece "
        "en «Mi cuenta Aspel» (si tu suscripción permite la versión nueva, actualiza ahí "
        "tu número de serie), o instala la versión que corresponde a tu número de serie."
    )
    metadata_keys = (
        "serial_number",
        "serial_version",
        "installer_version",
        "suggested_serial_number",
    )

    serial_number: str
    serial_product: str
    serial_version: str
    installer_product: str
    installer_version: str
    suggested_serial_number: str | None

    def derived_fields(self) -> Mapping[str, object]:
        suggested = self.suggested_serial_number or None
        advice = self.suggested_template if suggested else self.account_template
        return {
            "suggested_serial_number": suggested,
            "advice": advice.format(
                serial_number=self.serial_number,
                installer_product=self.installer_product,
                installer_version=self.installer_version,
                suggested_serial_number=suggested,
            ),
        }


class SerialRetired(LicensingError):
    code = Code.FAILED_PRECONDITION
    reason = "SERIAL_RETIRED"
    developer_message = "The superseded serial passed its retire date."
    template = (
        "El número de serie {serial_number} se reemplazó por una versión nueva y solo podía "
        "usarse hasta el {retire_text}.{use_successor}"
    )
    successor_template: ClassVar[str] = (
        " Instala la versión nueva y actívala con el número de serie {successor_serial_number}."
    )
    metadata_keys = ("serial_number", "retire_date", "successor_serial_number")

    serial_number: str
    retire_date: dt.date
    retire_text: str
    successor_serial_number: str | None

    def derived_fields(self) -> Mapping[str, object]:
        successor = self.successor_serial_number or None
        return {
            "successor_serial_number": successor,
            "use_successor": _optional(self.successor_template, successor_serial_number=successor),
        }


class ActivationLimitReached(LicensingError):
    code = Code.RESOURCE_EXHAUSTED
    reason = "ACTIVATION_LIMIT_REACHED"
    developer_message = "Every installation the subscription allows is in use."

    template = (
        "El número de serie {serial_number} permite {seats} y ya están en uso. Desactiva "
        "el sistema en el equipo que ya no usarás, o libera una instalación desde el portal "
        "Mi cuenta Aspel, y vuelve a intentar la activación.{next_free}"
    )
    #: next_free_time (RFC 3339): when the next seat released but still counted
    #: frees by itself; absent when none is pending.
    metadata_keys = ("serial_number", "installations_allowed", "next_free_time")

    serial_number: str
    installations_allowed: int
    next_free_time: dt.datetime | None = None
    next_free_text: str | None = None

    def derived_fields(self) -> Mapping[str, object]:
        allowed = self.installations_allowed
        return {
            "seats": "una instalación" if allowed == 1 else f"{allowed} instalaciones",
            "next_free": (
                f" La siguiente instalación liberada queda disponible a las {self.next_free_text}."
                if self.next_free_text
                else ""
            ),
        }


class ActivationNotFound(LicensingError):
    """Also for an activation of another machine: the two are never told apart."""

    code = Code.NOT_FOUND
    reason = "ACTIVATION_NOT_FOUND"
    developer_message = "No active activation of the serial with that id and machine fingerprint."

    template = (
        "Este equipo no tiene una activación vigente del número de serie {serial_number}. "
        "Activa el sistema de nuevo con el asistente de activación."
    )
    metadata_keys = ("serial_number",)

    serial_number: str


class DeactivationRateLimited(LicensingError):
    code = Code.RESOURCE_EXHAUSTED
    reason = "DEACTIVATION_RATE_LIMITED"
    developer_message = "Too many deactivations of this serial lately; see RetryInfo."
    template = (
        "El número de serie {serial_number} se desactivó varias veces en poco tiempo. "
        "Podrás desactivarlo de nuevo a partir de las {local_retry}."
    )
    metadata_keys = ("serial_number", "retry_time")

    def __init__(
        self, serial_number: str, retry_time: dt.datetime, local_retry: str, now: dt.datetime
    ) -> None:
        #: Read by the error interceptor into a `google.rpc.RetryInfo`.
        self.retry_delay = max(retry_time - now, dt.timedelta(0))
        super().__init__(
            serial_number=serial_number, retry_time=retry_time, local_retry=local_retry
        )


class InvalidDeactivationReceipt(LicensingError):
    """A deactivation receipt that proves nothing. `problem` names the check
    that failed: signature, activation, serial, stale or no_key."""

    code = Code.PERMISSION_DENIED
    reason = "INVALID_DEACTIVATION_RECEIPT"
    developer_message = "The deactivation receipt is not a valid proof from this installation."
    template = (
        "El comprobante de desactivación del número de serie {serial_number} no es válido "
        "para esta instalación. Revisa que la fecha y hora del equipo sean correctas, o "
        "desactiva sin comprobante."
    )
    metadata_keys = ("serial_number", "problem")

    serial_number: str
    problem: str


# --- password recovery (RequestPasswordReset, ResetPassword) -------------------


class PasswordTooWeak(LicensingError):
    """The new password breaks the policy of `domain/password_policy.py`."""

    code = Code.INVALID_ARGUMENT
    reason = "PASSWORD_TOO_WEAK"
    developer_message = (
        "The new password is too short, too common or contains the username; "
        "see the BadRequest details."
    )
    template = (
        "Elige otra contraseña: {sentences} Una frase de varias palabras que solo tú "
        "conozcas es fácil de recordar y difícil de adivinar."
    )
    metadata_keys = ("problems",)

    def __init__(self, field: str, problems: Iterable[tuple[str, str]]) -> None:
        """`problems`: (code, es-MX sentence) pairs, e.g. ("TOO_SHORT", "...")."""
        items = list(problems)
        super().__init__(
            field_violations=[(field, text) for _, text in items],
            sentences=" ".join(text for _, text in items),
            problems=",".join(code for code, _ in items),
        )


class ResetTokenInvalid(LicensingError):
    """Unknown, already used or expired reset token (never told apart)."""

    code = Code.INVALID_ARGUMENT
    reason = "RESET_TOKEN_INVALID"
    developer_message = "The reset token is unknown, already used or expired."
    template = (
        "El código para restablecer la contraseña no es válido: ya se usó, venció{lasts} "
        "o está incompleto. Solicita uno nuevo con la opción «¿Olvidaste tu "
        "contraseña?» y usa el del correo más reciente."
    )
    lasts_template: ClassVar[str] = " (dura {minutes} minutos)"

    def __init__(self, field: str = "reset_token", *, lifetime: dt.timedelta | None = None) -> None:
        """`lifetime`: the policy's token lifetime, told to the caller when given."""
        minutes = None if lifetime is None else int(lifetime.total_seconds() // 60)
        super().__init__(lasts=_optional(self.lasts_template, minutes=minutes))
        self.field_violations = [(field, self.message_es)]


class RateLimited(LicensingError):
    code = Code.RESOURCE_EXHAUSTED
    reason = "RATE_LIMITED"
    developer_message = "Too many requests from this caller; retry after retry_time."

    template = (
        "Recibimos demasiadas solicitudes desde tu conexión en poco tiempo. "
        "Intenta de nuevo a partir de las {local_retry}."
    )
    metadata_keys = ("retry_time",)

    retry_time: dt.datetime
    local_retry: str


# --- AdminService and service keys ---------------------------------------------


class ServiceKeyInvalid(LicensingError):
    """No key, an unknown or revoked one, or a customer's session token."""

    code = Code.UNAUTHENTICATED
    reason = "SERVICE_KEY_INVALID"
    developer_message = "Missing, unknown or revoked service key."
    template = (
        "La llave de servicio no es válida o fue revocada. Pide una nueva a quien administra "
        "el servidor de licencias."
    )


class ScopeMissing(LicensingError):
    code = Code.PERMISSION_DENIED
    reason = "SCOPE_MISSING"
    developer_message = "The service key lacks the scope this method needs."

    template = (
        "Tu llave de servicio no tiene permiso para esta operación; necesita el alcance "
        "{alternatives}."
    )
    metadata_keys = ("scope",)

    #: Any one of them would do.
    scopes: Iterable[str]

    def derived_fields(self) -> Mapping[str, object]:
        names = sorted(self.scopes)
        return {"scope": ",".join(names), "alternatives": " o ".join(f"«{n}»" for n in names)}


class AccountNotFound(LicensingError):
    code = Code.NOT_FOUND
    reason = "ACCOUNT_NOT_FOUND"
    developer_message = "No such account."

    template = "No existe la cuenta «{account}». Verifica el identificador o el nombre de usuario."
    metadata_keys = ("account",)

    #: The account id or username the caller gave.
    account: str


class UsernameTaken(LicensingError):
    code = Code.ALREADY_EXISTS
    reason = "USERNAME_TAKEN"
    developer_message = "Another account has that username."

    template = "Ya existe una cuenta con el usuario «{username}». Elige otro nombre de usuario."
    metadata_keys = ("username",)

    username: str


class AccountNotActive(LicensingError):
    code = Code.FAILED_PRECONDITION
    reason = "ACCOUNT_NOT_ACTIVE"
    developer_message = "The account is disabled."

    template = "La cuenta {account_id} está deshabilitada; no admite esta operación."
    metadata_keys = ("account_id",)

    account_id: str


_ADMIN_STATE_ES = {**_STATE_ES, "DISABLED": "deshabilitado", "ENABLED": "habilitado"}


class InvalidStateTransition(LicensingError):
    code = Code.FAILED_PRECONDITION
    reason = "INVALID_STATE_TRANSITION"
    developer_message = "The object's state does not allow this change."

    template = "No se puede pasar {what} de «{state_es}» a «{target_state_es}»."
    metadata_keys = ("state", "target_state")

    what: str
    state: str
    target_state: str

    def derived_fields(self) -> Mapping[str, object]:
        return {
            "state_es": _ADMIN_STATE_ES.get(self.state, self.state),
            "target_state_es": _ADMIN_STATE_ES.get(self.target_state, self.target_state),
        }


class ReleaseNotPublished(LicensingError):
    code = Code.FAILED_PRECONDITION
    reason = "RELEASE_NOT_PUBLISHED"
    developer_message = "That product version is not published; publish it first."

    template = "{product_name} {version} no está publicado en el catálogo. Publícalo primero."
    metadata_keys = ("version",)

    product_name: str
    version: str


class ReleaseExists(LicensingError):
    code = Code.ALREADY_EXISTS
    reason = "RELEASE_EXISTS"
    developer_message = "That version of the product is already published."

    template = "{product_name} {version} ya está publicado en el catálogo."
    metadata_keys = ("version",)

    product_name: str
    version: str


class PerpetualLicenseNotBilled(LicensingError):
    code = Code.FAILED_PRECONDITION
    reason = "PERPETUAL_LICENSE_NOT_BILLED"
    developer_message = "A perpetual licence has no periodic payments."

    template = (
        "El número de serie {serial_number} es una licencia de pago único: no tiene pagos "
        "periódicos que registrar."
    )
    metadata_keys = ("serial_number",)

    serial_number: str


class PaymentReferenceReused(LicensingError):
    """A payment reference names one payment of one serial, whoever sends it."""

    code = Code.ALREADY_EXISTS
    reason = "PAYMENT_REFERENCE_REUSED"
    developer_message = "That payment reference was already recorded for another serial."

    template = (
        "El pago con la referencia «{payment_reference}» ya se registró para el número "
        "de serie {serial_number}. Una referencia corresponde a un solo pago: revisa la "
        "referencia o el número de serie."
    )
    metadata_keys = ("payment_reference", "serial_number")

    payment_reference: str
    serial_number: str


class OrderReferenceReused(LicensingError):
    """An order reference names one upgrade of one serial, whoever sends it."""

    code = Code.ALREADY_EXISTS
    reason = "ORDER_REFERENCE_REUSED"
    developer_message = "That order reference already issued a different upgrade."

    template = (
        "El pedido «{order_reference}» ya emitió el número de serie {successor_serial_number} "
        "(a partir de {serial_number}) con otros datos. Un pedido corresponde a una sola "
        "actualización: revisa el pedido o sus datos."
    )
    metadata_keys = ("order_reference", "serial_number", "successor_serial_number")

    order_reference: str
    serial_number: str
    successor_serial_number: str


class SerialAlreadyImported(LicensingError):
    """A legacy serial is imported once; the same data again is not an error."""

    code = Code.ALREADY_EXISTS
    reason = "SERIAL_ALREADY_IMPORTED"
    developer_message = "That legacy serial was already imported with other data."

    template = (
        "El número de serie {serial_number} ya se importó con otros datos ({fields_text}). "
        "Revisa el renglón o corrige el número de serie con las operaciones de facturación."
    )
    #: `fields`: the request's field names (for programs); the text names them in es-MX.
    metadata_keys = ("serial_number", "fields")

    serial_number: str
    fields: str
    fields_text: str


class ServiceKeyExists(LicensingError):
    """Only `aspel-licensing-server service-keys`; AdminService manages no keys."""

    over_api = False
    code = Code.ALREADY_EXISTS
    reason = "SERVICE_KEY_EXISTS"
    developer_message = "A service key with that name exists or existed."

    template = "Ya existe (o existió) una llave de servicio llamada «{name}». Usa otro nombre."
    metadata_keys = ("name",)

    name: str


class ServiceKeyNotFound(LicensingError):
    """Only `aspel-licensing-server service-keys`; AdminService manages no keys."""

    over_api = False
    code = Code.NOT_FOUND
    reason = "SERVICE_KEY_NOT_FOUND"
    developer_message = "No active service key with that name."

    template = "No hay una llave de servicio vigente llamada «{name}»."
    metadata_keys = ("name",)

    name: str


class WebhookEndpointNotFound(LicensingError):
    code = Code.NOT_FOUND
    reason = "WEBHOOK_ENDPOINT_NOT_FOUND"
    developer_message = "No webhook endpoint with that id (or it was deleted)."

    template = "No hay un destino de eventos vigente con el identificador «{endpoint_id}»."
    metadata_keys = ("endpoint_id",)

    endpoint_id: str


class WebhookEndpointLimit(LicensingError):
    code = Code.FAILED_PRECONDITION
    reason = "WEBHOOK_ENDPOINT_LIMIT"
    developer_message = "The deployment already has the most webhook endpoints it allows."

    template = (
        "Ya hay {max_endpoints} destinos de eventos registrados, el máximo. "
        "Elimina uno que ya no se use."
    )
    metadata_keys = ("max_endpoints",)

    max_endpoints: int


# --- offline activation -------------------------------------------------------------


class OfflineRequestInvalid(LicensingError):
    """A request code that is not an offline request: unreadable text, a
    check character that fails (metadata `group`, 1-based), bytes that do not
    parse, or a signature the request's own key does not verify."""

    code = Code.INVALID_ARGUMENT
    reason = "OFFLINE_REQUEST_INVALID"
    developer_message = "The request code is not a valid, signed offline activation request."
    template = (
        "El código de la solicitud sin conexión no es válido{where}. Revisa que lo hayas "
        "copiado completo, o genera uno nuevo con «aspel-licensing offline-request» en el "
        "equipo sin internet."
    )
    metadata_keys = ("group",)

    #: The group of the code whose check character fails, when that is the problem.
    group: int | None = None

    def derived_fields(self) -> Mapping[str, object]:
        return {"where": f" (revisa el grupo {self.group})" if self.group is not None else ""}


class OfflineRequestExpired(LicensingError):
    """The request's time is outside the accepted window (too old, or ahead
    of the server's clock by more than the tolerance)."""

    code = Code.FAILED_PRECONDITION
    reason = "OFFLINE_REQUEST_EXPIRED"
    developer_message = "The offline request is too old, or dated in the future."
    template = (
        "La solicitud sin conexión venció o tiene una fecha posterior a la actual (se "
        "aceptan solicitudes de hasta {max_age_days} días). Revisa la fecha del equipo sin "
        "internet y genera una solicitud nueva."
    )
    metadata_keys = ("max_age_days",)

    max_age_days: int


class OfflineRequestReplayed(LicensingError):
    """Another request already used this request's nonce for the serial. The
    same request redeemed again is not an error: it gets the same licence."""

    code = Code.ALREADY_EXISTS
    reason = "OFFLINE_REQUEST_REPLAYED"
    developer_message = "A different offline request already used this nonce for the serial."
    template = (
        "Esta solicitud sin conexión ya se usó para el número de serie {serial_number} con "
        "otros datos. Genera una solicitud nueva en el equipo sin internet."
    )
    metadata_keys = ("serial_number",)

    serial_number: str
