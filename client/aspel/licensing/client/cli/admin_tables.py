"""What `aspel-licensing-admin` prints: es-MX labels of modalities, periods
and audit events, and the tables and "label  value" blocks of accounts,
serials, installations and events (each within `common.TABLE_WIDTH`)."""

from __future__ import annotations

from collections.abc import Sequence

from aspel.licensing.v1 import account_pb2, audit_event_pb2, subscription_pb2

from ..convert import time_of
from .common import (
    NO_VALUE,
    format_date,
    format_local_time,
    format_table,
    state_label,
)
from .common import activation_table as activation_table  # the tables of this CLI, in one place

MODALITIES = {
    subscription_pb2.MODALITY_SUBSCRIPTION: "Suscripción",
    subscription_pb2.MODALITY_PERPETUAL_LICENSE: "Licencia de pago único",
}
PERIODS = {
    subscription_pb2.BILLING_PERIOD_MONTHLY: "mensual",
    subscription_pb2.BILLING_PERIOD_SEMIANNUAL: "semestral",
    subscription_pb2.BILLING_PERIOD_ANNUAL: "anual",
}
MODALITY_CHOICES = {
    "suscripcion": subscription_pb2.MODALITY_SUBSCRIPTION,
    "licencia": subscription_pb2.MODALITY_PERPETUAL_LICENSE,
}
PERIOD_CHOICES = {name: value for value, name in PERIODS.items()}
EVENT_LABELS = {
    "account.created": "Cuenta creada",
    "account.updated": "Cuenta modificada",
    "account.disabled": "Cuenta deshabilitada",
    "password_reset.started": "Correo para restablecer contraseña",
    "login.succeeded": "Inicio de sesión",
    "login.failed": "Inicio de sesión fallido",
    "login.locked": "Intento con la cuenta bloqueada",
    "login.disabled": "Intento con la cuenta deshabilitada",
    "session.ended": "Sesión cerrada",
    "subscription.created": "Número de serie emitido",
    "subscription.upgraded": "Actualizado a versión nueva",
    "subscription.suspended": "Suspendido",
    "subscription.reinstated": "Reactivado",
    "subscription.seats_changed": "Usuarios o instalaciones cambiados",
    "subscription.upgrade_purchased": "Actualización comprada",
    "subscription.modality_changed": "Cambio de modalidad",
    "payment.recorded": "Pago registrado",
    "release.published": "Versión publicada",
    "upgrade_terms.published": "Términos publicados",
    "service_key.created": "Llave de servicio creada",
    "service_key.revoked": "Llave de servicio revocada",
    "activation.created": "Instalación activada",
    "activation.refused": "Activación rechazada",
    "activation.deactivated": "Instalación desactivada",
    "activation.released": "Instalación liberada",
    "activation.reclaimed": "Instalación liberada por inactividad",
    "validation.refused": "Validación rechazada",
    "password_reset.requested": "Cliente pidió restablecer contraseña",
    "password.reset": "Contraseña cambiada por el cliente",
}


def _peer_host(peer: str) -> str:
    """ipv4:10.0.0.7:51234 -> 10.0.0.7; ipv6:[::1]:5 -> ::1."""
    if not peer:
        return NO_VALUE
    address = peer.split(":", 1)[1] if peer.startswith(("ipv4:", "ipv6:")) else peer
    host = address.rsplit(":", 1)[0] if ":" in address else address
    return host.strip("[]")


def _details(event: audit_event_pb2.AuditEvent) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(event.details.items()))


def _event_time(event: audit_event_pb2.AuditEvent) -> str:
    instant = time_of(event.event_time)
    return format_local_time(instant) if instant else NO_VALUE


def event_lines(events: Sequence[audit_event_pb2.AuditEvent]) -> list[str]:
    """The events as a table; each one's details on an indented line under it."""
    if not events:
        return ["(sin eventos)"]
    return format_table(
        ("Fecha", "Evento", "Quién", "Desde", "No. serie"),
        [
            (
                _event_time(e),
                EVENT_LABELS.get(e.kind, e.kind),
                e.actor,
                _peer_host(e.peer),
                e.serial_number or NO_VALUE,
            )
            for e in events
        ],
        keep={4},
        notes=[_details(e) for e in events],
    )


def _state(subscription: subscription_pb2.Subscription) -> str:
    text = state_label(subscription.state)
    if subscription.state == subscription_pb2.SUBSCRIPTION_STATE_SUPERSEDED:
        text += f" (se puede usar hasta el {format_date(subscription.retire_date)})"
    return text


def _plan(subscription: subscription_pb2.Subscription) -> str:
    modality = MODALITIES.get(subscription.modality, NO_VALUE)
    period = PERIODS.get(subscription.billing_period)
    return f"{modality} {period}" if period else modality


def subscription_lines(subscription: subscription_pb2.Subscription) -> list[str]:
    rows = [
        ("Número de serie", subscription.serial_number),
        ("Sistema", f"{subscription.product_name} {subscription.version}"),
        ("Estado", _state(subscription)),
        ("Modalidad", _plan(subscription)),
        ("Usuarios", str(subscription.users)),
        ("Instalaciones permitidas", str(subscription.installations_allowed)),
        ("Fecha de activación", format_date(subscription.activation_date)),
        ("Próximo pago", format_date(subscription.next_payment_date)),
    ]
    if subscription.available_version:
        free = (
            "sin costo"
            if subscription.plan_status == subscription_pb2.PLAN_STATUS_UPGRADE_AVAILABLE
            else "se adquiere por separado"
        )
        rows.append(("Versión disponible", f"{subscription.available_version} ({free})"))
    return _pairs(rows)


def account_lines(account: account_pb2.Account) -> list[str]:
    state = "deshabilitada" if account.state == account_pb2.ACCOUNT_STATE_DISABLED else "activa"
    created = time_of(account.create_time)
    return _pairs(
        [
            ("Cuenta", f"{account.username} ({account.account_id})"),
            ("Razón social", account.razon_social),
            ("Correo", account.email),
            ("Estado de la cuenta", state),
            ("Creada", format_local_time(created) if created else NO_VALUE),
        ]
    )


def _pairs(rows: Sequence[tuple[str, str]]) -> list[str]:
    width = max(len(label) for label, _ in rows)
    return [f"{label.ljust(width)}  {value}" for label, value in rows]


def serial_table(subscriptions: Sequence[subscription_pb2.Subscription]) -> list[str]:
    if not subscriptions:
        return ["(sin números de serie)"]
    return format_table(
        ("No. serie", "Sistema", "Versión", "Usuarios", "Instal.", "Próximo pago", "Estado"),
        [
            (
                s.serial_number,
                s.product_name,
                s.version,
                str(s.users),
                str(s.installations_allowed),
                format_date(s.next_payment_date),
                state_label(s.state),
            )
            for s in subscriptions
        ],
        keep={0},
    )
