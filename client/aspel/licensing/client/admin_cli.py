"""`aspel-licensing-admin`: AdminService from the command line, for Aspel's
billing, catalog and support staff.

    export ASPEL_LICENSING_ADMIN_KEY=alsvc_...     # from `service-keys create`
    aspel-licensing-admin --server 10.0.0.5:50051 lookup ABCDE-12345-FGH7K

The service key is read only from the environment (a flag would show in the
process list). Output is es-MX, meant to be read by a person on the phone with
a customer; the read commands (show-account, lookup, events) take --json for
programs. Exit codes, the same as `aspel-licensing` (`cli.common`): 0 ok, 1 a
local failure, 2 bad usage, 64 + the gRPC status code of a failed call (80
UNAUTHENTICATED, 71 PERMISSION_DENIED, 69 NOT_FOUND, ...).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import grpc

from aspel.licensing.client import __version__
from aspel.licensing.v1 import account_pb2, activation_pb2, audit_event_pb2, subscription_pb2

from .admin import ADMIN_KEY_ENV, AdminClient
from .base import DEFAULT_DEADLINE, user_agent
from .cli import seconds
from .cli.common import (
    DEFAULT_SERVER,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    NO_VALUE,
    SERVER_ENV,
    CliError,
    add_json_flag,
    add_tls_arguments,
    channel_credentials,
    describe_error,
    exit_code_for,
    exit_codes_help,
    format_date,
    format_local_time,
    format_table,
)
from .cli.json_output import message_to_json, write_json
from .cli.spanish import SpanishArgumentParser
from .convert import time_of
from .errors import LicensingError

PROGRAM = "aspel-licensing-admin"

STATES = {
    subscription_pb2.SUBSCRIPTION_STATE_ACTIVE: "Activo",
    subscription_pb2.SUBSCRIPTION_STATE_SUPERSEDED: "Reemplazado",
    subscription_pb2.SUBSCRIPTION_STATE_INACTIVE: "Inactivo",
    subscription_pb2.SUBSCRIPTION_STATE_SUSPENDED: "Suspendido",
}
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
    "payment.recorded": "Pago registrado",
    "release.published": "Versión publicada",
    "upgrade_terms.published": "Términos publicados",
    "service_key.created": "Llave de servicio creada",
    "service_key.revoked": "Llave de servicio revocada",
    "activation.created": "Instalación activada",
    "activation.refused": "Activación rechazada",
    "activation.deactivated": "Instalación desactivada",
    "validation.refused": "Validación rechazada",
    "password_reset.requested": "Cliente pidió restablecer contraseña",
    "password.reset": "Contraseña cambiada por el cliente",
}


@dataclass
class Context:
    server: str
    deadline: float
    credentials: grpc.ChannelCredentials | None
    out: TextIO
    err: TextIO

    def client(self) -> AdminClient:
        key = os.environ.get(ADMIN_KEY_ENV, "").strip()
        if not key:
            raise CliError(
                f"Falta la llave de servicio: define la variable {ADMIN_KEY_ENV} con la llave "
                "que te dio quien administra el servidor (aspel-licensing-server service-keys "
                "create)."
            )
        return AdminClient(
            self.server,
            service_key=key,
            deadline=self.deadline,
            credentials=self.credentials,
            user_agent=user_agent(PROGRAM),
        )

    def print(self, *lines: str) -> None:
        for line in lines:
            self.out.write(line + "\n")


# --- formatting -------------------------------------------------------------------


def _account_key(text: str) -> dict[str, str]:
    """An account id (acc_...) or a username."""
    return {"account_id": text} if text.startswith("acc_") else {"username": text}


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
    text = STATES.get(subscription.state, NO_VALUE)
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
        free = "sin costo" if subscription.upgrade_available else "se adquiere por separado"
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


def activation_table(activations: Sequence[activation_pb2.Activation]) -> list[str]:
    if not activations:
        return ["(sin instalaciones activadas)"]

    def when(value: Any) -> str:
        instant = time_of(value)
        return format_local_time(instant) if instant else NO_VALUE

    return format_table(
        ("Equipo", "Huella", "Versión", "Activada", "Desactivada", "Id"),
        [
            (
                a.hostname or NO_VALUE,
                a.machine_fingerprint[:16],
                f"{a.product_code} {a.version}",
                when(a.create_time),
                when(a.deactivate_time),
                a.activation_id,
            )
            for a in activations
        ],
        keep={5},
    )


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
                STATES.get(s.state, NO_VALUE),
            )
            for s in subscriptions
        ],
        keep={0},
    )


# --- commands ------------------------------------------------------------------------


def run_create_account(args: argparse.Namespace, ctx: Context) -> int:
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CliError("No se recibió la contraseña en la entrada estándar.")
    with ctx.client() as client:
        created = client.create_account(
            args.username,
            args.email,
            args.razon_social,
            initial_password=password,
            request_id=args.request_id,
        )
    ctx.print("Cuenta creada.", *account_lines(created.account))
    if created.password_reset_email_queued:
        ctx.print(f"Se envió a {created.account.email} el correo para elegir la contraseña.")
    else:
        ctx.print("La contraseña inicial quedó registrada.")
    return 0


def run_show_account(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.client() as client:
        found = client.get_account(**_account_key(args.account))
    if args.json:
        write_json(ctx.out, message_to_json(found))
        return 0
    ctx.print(*account_lines(found.account))
    if found.HasField("lock_expire_time"):
        until = time_of(found.lock_expire_time)
        ctx.print(
            "Bloqueada por intentos fallidos hasta las "
            f"{format_local_time(until) if until else NO_VALUE}."
        )
    ctx.print("", f"Números de serie ({found.subscription_count}):")
    ctx.print(*serial_table(found.subscriptions))
    if found.subscription_count > len(found.subscriptions):
        ctx.print(f"(se muestran los primeros {len(found.subscriptions)})")
    return 0


def run_update_account(args: argparse.Namespace, ctx: Context) -> int:
    if args.email is None and args.razon_social is None:
        raise CliError("Indica --email, --razon-social o ambos.", exit_code=EXIT_USAGE)
    with ctx.client() as client:
        account = client.update_account(
            args.account_id,
            email=args.email,
            razon_social=args.razon_social,
            request_id=args.request_id,
        )
    ctx.print("Cuenta actualizada.", *account_lines(account))
    return 0


def run_disable_account(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.client() as client:
        result = client.disable_account(args.account_id, args.reason, request_id=args.request_id)
    ctx.print(
        "Cuenta deshabilitada; ya no puede iniciar sesión.",
        f"Sesiones cerradas: {result.ended_session_count}",
        *account_lines(result.account),
    )
    return 0


def run_reset_password(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.client() as client:
        email = client.start_password_reset(
            **_account_key(args.account), request_id=args.request_id
        )
    ctx.print(
        f"Se envió el correo para restablecer la contraseña a {email}. Pide al cliente que "
        "revise su bandeja de entrada (y la de correo no deseado)."
    )
    return 0


def run_publish_release(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.client() as client:
        release = client.publish_release(
            args.product.upper(),
            args.version,
            args.url,
            upgrade_from_versions=args.upgrade_from or (),
            request_id=args.request_id,
        ).release
    sources = ", ".join(release.upgrade_from_versions) or "ninguna (primera versión)"
    ctx.print(
        f"Publicada {release.product_name} {release.version}.",
        f"Actualizan sin costo desde: {sources}",
        f"Descarga: {release.download_url}",
    )
    if release.upgrade_from_versions:
        ctx.print(
            f"Los clientes verán la actualización cuando publiques sus términos: {PROGRAM} "
            f"publish-terms {release.product_code} {release.version} --title ... "
            "--clauses-file ..."
        )
    return 0


def _read_clauses(source: str) -> list[str]:
    """Paragraphs separated by blank lines; each paragraph is one clause."""
    try:
        text = sys.stdin.read() if source == "-" else pathlib.Path(source).read_text("utf-8")
    except OSError as exc:
        raise CliError(f"No se pudo leer el archivo de cláusulas {source} ({exc}).") from exc
    clauses = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    if not clauses:
        raise CliError("El archivo de cláusulas está vacío.")
    return clauses


def run_publish_terms(args: argparse.Namespace, ctx: Context) -> int:
    clauses = _read_clauses(args.clauses_file)
    with ctx.client() as client:
        template = client.publish_upgrade_terms(
            args.product.upper(), args.version, args.title, clauses, request_id=args.request_id
        ).upgrade_terms_template
    ctx.print(
        f"Términos publicados para {template.product_code} {template.to_version} "
        f"({template.template_id}), con {len(template.clauses)} cláusulas. Están en vigor "
        "desde ahora: quien ya los había leído tendrá que leerlos de nuevo."
    )
    return 0


def run_create_subscription(args: argparse.Namespace, ctx: Context) -> int:
    modality = MODALITY_CHOICES[args.modality]
    period = (
        PERIOD_CHOICES[args.period] if args.period else subscription_pb2.BILLING_PERIOD_UNSPECIFIED
    )
    with ctx.client() as client:
        subscription = client.create_subscription(
            args.account_id,
            args.product.upper(),
            args.version,
            users=args.users,
            modality=modality,
            billing_period=period,
            installations_allowed=args.installations or 0,
            activation_date=args.activation_date,
            request_id=args.request_id,
        )
    ctx.print("Número de serie emitido.", *subscription_lines(subscription))
    return 0


def run_record_payment(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.client() as client:
        paid = client.record_payment(
            args.serial, payment_reference=args.reference or "", request_id=args.request_id
        )
    ctx.print(
        f"Pago registrado para {paid.subscription.serial_number}.",
        f"Próximo pago: {format_date(paid.previous_next_payment_date)} → "
        f"{format_date(paid.subscription.next_payment_date)}",
    )
    return 0


def run_suspend(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.client() as client:
        subscription = client.suspend_subscription(
            args.serial, args.reason, request_id=args.request_id
        )
    ctx.print(f"Número de serie {subscription.serial_number} suspendido.")
    return 0


def run_reinstate(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.client() as client:
        subscription = client.reinstate_subscription(
            args.serial, args.reason, request_id=args.request_id
        )
    ctx.print(f"Número de serie {subscription.serial_number} reactivado.")
    return 0


def run_change_seats(args: argparse.Namespace, ctx: Context) -> int:
    if args.users is None and args.installations is None:
        raise CliError("Indica --users, --installations o ambos.", exit_code=EXIT_USAGE)
    with ctx.client() as client:
        subscription = client.change_seats(
            args.serial,
            users=args.users,
            installations_allowed=args.installations,
            request_id=args.request_id,
        )
    ctx.print("Cambio registrado.", *subscription_lines(subscription))
    return 0


def run_lookup(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.client() as client:
        found = client.lookup_serial(args.serial)
    if args.json:
        write_json(ctx.out, message_to_json(found))
        return 0
    ctx.print(*subscription_lines(found.subscription), "", *account_lines(found.account))
    if found.accepted_terms_id:
        ctx.print(f"Términos aceptados: {found.accepted_terms_id}")
    if found.predecessors:
        ctx.print("", "Reemplazó a:", *serial_table(found.predecessors))
    if found.successors:
        ctx.print("", "Reemplazado por:", *serial_table(found.successors))
    ctx.print("", "Instalaciones:", *activation_table(found.activations))
    ctx.print("", "Eventos recientes (del más reciente al más antiguo):")
    ctx.print(*event_lines(found.recent_events))
    return 0


def run_events(args: argparse.Namespace, ctx: Context) -> int:
    zone = dt.datetime.now().astimezone().tzinfo

    def start_of(day: dt.date | None) -> dt.datetime | None:
        return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=zone)

    until = start_of(args.until + dt.timedelta(days=1) if args.until else None)
    with ctx.client() as client:
        events = []
        for event in client.list_audit_events(
            account_id=args.account or "",
            serial_number=args.serial or "",
            kind=args.kind or "",
            start_time=start_of(args.since),
            end_time=until,
            page_size=min(args.limit, 500),
        ):
            events.append(event)
            if len(events) >= args.limit:
                break
    if args.json:
        write_json(ctx.out, {"audit_events": [message_to_json(e) for e in events]})
        return 0
    ctx.print(*event_lines(events))
    return 0


# --- parser ---------------------------------------------------------------------------


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"fecha no válida (AAAA-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"no es un número entero: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("debe ser 1 o más")
    return value


def _uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"no es un UUID: {text!r}") from None


def _command(
    commands: Any, name: str, help_text: str, handler: Any, *, mutating: bool = True
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help_text, description=help_text[0].upper() + help_text[1:] + "."
    )
    if mutating:
        # Without it, each run is a new operation (the client draws a new UUID).
        # A script that may run a command again (a retry after a timeout, a
        # rerun of a batch) passes the same UUID and it is done once.
        parser.add_argument(
            "--request-id",
            metavar="UUID",
            type=_uuid,
            help="identificador (UUID) de la operación; repetirla con el mismo no la hace dos "
            "veces (por omisión, uno nuevo en cada ejecución)",
        )
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = SpanishArgumentParser(
        prog=PROGRAM,
        description=(
            "Operaciones internas del servidor de licencias Aspel: cuentas, catálogo, "
            "cobranza y soporte."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "ejemplos:\n"
            f"  export {ADMIN_KEY_ENV}=alsvc_...\n"
            f"  {PROGRAM} lookup ABCDE-12345-FGH7K\n"
            f"  {PROGRAM} show-account demo\n"
            f"  {PROGRAM} record-payment ABCDE-12345-FGH7K --reference FAC-1001\n"
            f"  {PROGRAM} events --serial ABCDE-12345-FGH7K\n\n"
            f"  {PROGRAM} lookup ABCDE-12345-FGH7K --json\n\n"
            f"La llave de servicio se lee de {ADMIN_KEY_ENV}; cada comando necesita\n"
            "el alcance correspondiente (billing, catalog o support).\n\n" + exit_codes_help()
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--server",
        metavar="ADDR",
        help=f"host:puerto del servidor (o {SERVER_ENV}; por omisión {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--deadline",
        metavar="SEGUNDOS",
        type=seconds,
        default=DEFAULT_DEADLINE,
        help=f"tiempo máximo de cada operación (por omisión {DEFAULT_DEADLINE:g})",
    )
    add_tls_arguments(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMANDO")

    p = _command(commands, "create-account", "abre una cuenta (billing)", run_create_account)
    p.add_argument("username", metavar="USUARIO")
    p.add_argument("--email", required=True)
    p.add_argument("--razon-social", required=True)
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="lee la contraseña inicial de la entrada estándar; sin ella se envía el correo "
        "para que el cliente la elija",
    )

    p = _command(
        commands,
        "show-account",
        "muestra una cuenta y sus números de serie (support o billing)",
        run_show_account,
        mutating=False,
    )
    p.add_argument("account", metavar="USUARIO_O_ID")
    add_json_flag(p)

    p = _command(
        commands,
        "update-account",
        "cambia el correo o la razón social (support)",
        run_update_account,
    )
    p.add_argument("account_id", metavar="ID_CUENTA")
    p.add_argument("--email")
    p.add_argument("--razon-social")

    p = _command(
        commands,
        "disable-account",
        "deshabilita una cuenta y cierra sus sesiones (support)",
        run_disable_account,
    )
    p.add_argument("account_id", metavar="ID_CUENTA")
    p.add_argument("--reason", required=True, help="motivo, para la bitácora")

    p = _command(
        commands,
        "reset-password",
        "envía al cliente el correo para restablecer su contraseña (support)",
        run_reset_password,
    )
    p.add_argument("account", metavar="USUARIO_O_ID")

    p = _command(commands, "publish-release", "publica una versión (catalog)", run_publish_release)
    p.add_argument("product", metavar="PRODUCTO")
    p.add_argument("version", metavar="VERSION")
    p.add_argument("--url", required=True, help="dirección https de descarga")
    p.add_argument(
        "--from",
        dest="upgrade_from",
        action="append",
        metavar="VERSION",
        help="versión que actualiza sin costo a esta; repite para varias",
    )

    p = _command(
        commands,
        "publish-terms",
        "publica los términos para actualizar a una versión (catalog)",
        run_publish_terms,
    )
    p.add_argument("product", metavar="PRODUCTO")
    p.add_argument("version", metavar="VERSION")
    p.add_argument("--title", required=True)
    p.add_argument(
        "--clauses-file",
        required=True,
        metavar="ARCHIVO",
        help="cláusulas separadas por una línea en blanco (- para la entrada estándar)",
    )

    p = _command(
        commands,
        "create-subscription",
        "emite un número de serie para una cuenta (billing)",
        run_create_subscription,
    )
    p.add_argument("account_id", metavar="ID_CUENTA")
    p.add_argument("product", metavar="PRODUCTO")
    p.add_argument("version", metavar="VERSION")
    p.add_argument("--users", type=_positive, required=True)
    p.add_argument("--modality", choices=sorted(MODALITY_CHOICES), required=True)
    p.add_argument("--period", choices=list(PERIOD_CHOICES), help="periodicidad de la suscripción")
    p.add_argument("--installations", type=_positive, help="instalaciones permitidas (1)")
    p.add_argument("--activation-date", type=_day, metavar="AAAA-MM-DD")

    p = _command(commands, "record-payment", "registra un pago (billing)", run_record_payment)
    p.add_argument("serial", metavar="NO_SERIE")
    p.add_argument(
        "--reference",
        help="folio o referencia del pago; el mismo folio cuenta una sola vez, aunque se "
        "registre de nuevo",
    )

    p = _command(commands, "suspend", "suspende un número de serie (billing)", run_suspend)
    p.add_argument("serial", metavar="NO_SERIE")
    p.add_argument("--reason", required=True, help="motivo, para la bitácora")

    p = _command(commands, "reinstate", "reactiva un número de serie (billing)", run_reinstate)
    p.add_argument("serial", metavar="NO_SERIE")
    p.add_argument("--reason", required=True, help="motivo, para la bitácora")

    p = _command(
        commands,
        "change-seats",
        "cambia usuarios o instalaciones de un número de serie (billing)",
        run_change_seats,
    )
    p.add_argument("serial", metavar="NO_SERIE")
    p.add_argument("--users", type=_positive)
    p.add_argument("--installations", type=_positive)

    p = _command(
        commands,
        "lookup",
        "todo sobre un número de serie en una pantalla (support)",
        run_lookup,
        mutating=False,
    )
    p.add_argument("serial", metavar="NO_SERIE")
    add_json_flag(p)

    p = _command(
        commands,
        "events",
        "consulta la bitácora de auditoría (support)",
        run_events,
        mutating=False,
    )
    p.add_argument("--account", metavar="ID_CUENTA")
    p.add_argument("--serial", metavar="NO_SERIE")
    p.add_argument("--kind", help="tipo de evento, p. ej. payment.recorded o login.")
    p.add_argument("--since", type=_day, metavar="AAAA-MM-DD", help="desde ese día")
    p.add_argument("--until", type=_day, metavar="AAAA-MM-DD", help="hasta ese día, incluido")
    p.add_argument("--limit", type=_positive, default=50, help="cuántos eventos (50)")
    add_json_flag(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the CLI; returns the exit code (module docstring)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    server = args.server or os.environ.get(SERVER_ENV) or DEFAULT_SERVER
    try:
        ctx = Context(server, args.deadline, channel_credentials(args), sys.stdout, sys.stderr)
        return int(args.handler(args, ctx))
    except CliError as error:
        sys.stderr.write(f"Error: {error.message}\n")
        return error.exit_code
    except LicensingError as error:
        for line in describe_error(error, server):
            sys.stderr.write(line + "\n")
        if error.reason == "SCOPE_MISSING":
            sys.stderr.write(
                f"Tu llave necesita el alcance {error.metadata.get('scope', '?')}; pide una "
                "llave con ese alcance a quien administra el servidor.\n"
            )
        return exit_code_for(error)
    except KeyboardInterrupt:
        sys.stderr.write("\nCancelado.\n")
        return EXIT_INTERRUPTED


__all__ = ["build_parser", "main"]


if __name__ == "__main__":
    sys.exit(main())
