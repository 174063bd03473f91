"""`aspel-licensing-admin`: AdminService from the command line, for Aspel's
billing, catalog and support staff.

    export ASPEL_LICENSING_ADMIN_KEY=alsvc_...     # from `service-keys create`
    aspel-licensing-admin --server 10.0.0.5:50051 lookup ABCDE-12345-FGH7K

A `program.Program` of its own, with this module as its one command module:
the common flags (--server, --deadline, TLS), --json, the Spanish argparse
texts, the error messages and the exit codes are those of `aspel-licensing`
(`program`, `common`): 0 ok, 1 a local failure, 2 bad usage, 64 + the gRPC
status code of a failed call (80 UNAUTHENTICATED, 71 PERMISSION_DENIED, 69
NOT_FOUND, ...). The service key is read only from the environment (a flag
would show in the process list). Output is es-MX, meant to be read by a
person on the phone with a customer (`admin_tables`); the read commands
(show-account, lookup, events) take --json for programs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import sys
import uuid
from collections.abc import Callable
from typing import Any

from aspel.licensing.v1 import admin_service_pb2, subscription_pb2

from .. import legacy_import
from ..admin import ADMIN_KEY_ENV, AdminClient
from ..convert import time_of
from ..errors import LicensingError
from .admin_tables import (
    MODALITY_CHOICES,
    PERIOD_CHOICES,
    account_lines,
    event_lines,
    serial_table,
    subscription_lines,
)
from .common import (
    DEFAULT_SERVER,
    EXIT_USAGE,
    NO_VALUE,
    SERVER_ENV,
    CliError,
    Context,
    activation_table,
    add_json_flag,
    format_date,
    format_local_time,
    release_lines,
)
from .json_output import message_to_json, write_json
from .program import Program, add_command, run
from .program import build_parser as build_program_parser

ADMIN_PROGRAM = "aspel-licensing-admin"

ADMIN = Program(
    name=ADMIN_PROGRAM,
    description=(
        "Operaciones internas del servidor de licencias Aspel: cuentas, catálogo, "
        "cobranza y soporte."
    ),
    epilog=(
        "ejemplos:\n"
        f"  export {ADMIN_KEY_ENV}=alsvc_...\n"
        f"  {ADMIN_PROGRAM} lookup ABCDE-12345-FGH7K\n"
        f"  {ADMIN_PROGRAM} show-account demo\n"
        f"  {ADMIN_PROGRAM} record-payment ABCDE-12345-FGH7K --reference FAC-1001\n"
        f"  {ADMIN_PROGRAM} events --serial ABCDE-12345-FGH7K\n\n"
        f"  {ADMIN_PROGRAM} lookup ABCDE-12345-FGH7K --json\n\n"
        f"La llave de servicio se lee de {ADMIN_KEY_ENV}; cada comando necesita\n"
        "el alcance correspondiente (billing, catalog o support).\n\n"
    ),
    server_help=f"host:puerto del servidor (o {SERVER_ENV}; por omisión {DEFAULT_SERVER})",
)


def admin_client(ctx: Context) -> AdminClient:
    """An AdminClient with the service key of the environment, or a clear CliError."""
    key = os.environ.get(ADMIN_KEY_ENV, "").strip()
    if not key:
        raise CliError(
            f"Falta la llave de servicio: define la variable {ADMIN_KEY_ENV} con la llave "
            "que te dio quien administra el servidor (aspel-licensing-server service-keys "
            "create)."
        )
    return AdminClient(ctx.server(), service_key=key, **ctx.client_options())


def _account_key(text: str) -> dict[str, str]:
    """An account id (acc_...) or a username."""
    return {"account_id": text} if text.startswith("acc_") else {"username": text}


def _require_one_of(args: argparse.Namespace, *flags: str) -> None:
    """Bad usage unless at least one of the optional `flags` was given."""
    if all(getattr(args, flag.lstrip("-").replace("-", "_")) is None for flag in flags):
        raise CliError(f"Indica {', '.join(flags)} o ambos.", exit_code=EXIT_USAGE)


def run_create_account(args: argparse.Namespace, ctx: Context) -> int:
    password = None
    if args.password_stdin:
        password = ctx.inp.readline().rstrip("\n")
        if not password:
            raise CliError("No se recibió la contraseña en la entrada estándar.")
    with admin_client(ctx) as client:
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
    with admin_client(ctx) as client:
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
    _require_one_of(args, "--email", "--razon-social")
    with admin_client(ctx) as client:
        account = client.update_account(
            args.account_id,
            email=args.email,
            razon_social=args.razon_social,
            request_id=args.request_id,
        )
    ctx.print("Cuenta actualizada.", *account_lines(account))
    return 0


def run_disable_account(args: argparse.Namespace, ctx: Context) -> int:
    with admin_client(ctx) as client:
        result = client.disable_account(args.account_id, args.reason, request_id=args.request_id)
    ctx.print(
        "Cuenta deshabilitada; ya no puede iniciar sesión.",
        f"Sesiones cerradas: {result.ended_session_count}",
        *account_lines(result.account),
    )
    return 0


def run_reset_password(args: argparse.Namespace, ctx: Context) -> int:
    with admin_client(ctx) as client:
        email = client.start_password_reset(
            **_account_key(args.account), request_id=args.request_id
        )
    ctx.print(
        f"Se envió el correo para restablecer la contraseña a {email}. Pide al cliente que "
        "revise su bandeja de entrada (y la de correo no deseado)."
    )
    return 0


def run_publish_release(args: argparse.Namespace, ctx: Context) -> int:
    with admin_client(ctx) as client:
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
            f"Los clientes verán la actualización cuando publiques sus términos: {ADMIN_PROGRAM} "
            f"publish-terms {release.product_code} {release.version} --title ... "
            "--clauses-file ..."
        )
    return 0


def _read_clauses(source: str, ctx: Context) -> list[str]:
    """Paragraphs separated by blank lines; each paragraph is one clause."""
    try:
        text = ctx.inp.read() if source == "-" else pathlib.Path(source).read_text("utf-8")
    except OSError as exc:
        raise CliError(f"No se pudo leer el archivo de cláusulas {source} ({exc}).") from exc
    clauses = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    if not clauses:
        raise CliError("El archivo de cláusulas está vacío.")
    return clauses


def run_publish_terms(args: argparse.Namespace, ctx: Context) -> int:
    clauses = _read_clauses(args.clauses_file, ctx)
    with admin_client(ctx) as client:
        template = client.publish_upgrade_terms(
            args.product.upper(),
            args.version,
            args.title,
            clauses,
            introduction=args.introduction or "",
            request_id=args.request_id,
        ).upgrade_terms_template
    ctx.print(
        f"Términos publicados para {template.product_code} {template.to_version} "
        f"({template.template_id}), con {len(template.clauses)} cláusulas. Están en vigor "
        "desde ahora: quien ya los había leído tendrá que leerlos de nuevo."
    )
    return 0


def _period(choice: str | None) -> subscription_pb2.BillingPeriod:
    """--period / --billing-period: unspecified when not given (a perpetual licence)."""
    return PERIOD_CHOICES[choice] if choice else subscription_pb2.BILLING_PERIOD_UNSPECIFIED


def run_create_subscription(args: argparse.Namespace, ctx: Context) -> int:
    modality = MODALITY_CHOICES[args.modality]
    period = _period(args.period)
    with admin_client(ctx) as client:
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


UPGRADE_KINDS = {
    "purchased": admin_service_pb2.UPGRADE_KIND_PURCHASED_UPGRADE,
    "modality": admin_service_pb2.UPGRADE_KIND_MODALITY_CHANGE,
}


def _overlap(text: str) -> tuple[int, dt.date | None]:
    """--overlap: none, next-validation, or the old serial's last day (AAAA-MM-DD)."""
    if text == "none":
        return admin_service_pb2.UPGRADE_OVERLAP_NONE, None
    if text == "next-validation":
        return admin_service_pb2.UPGRADE_OVERLAP_NEXT_VALIDATION, None
    try:
        return admin_service_pb2.UPGRADE_OVERLAP_UNTIL_DATE, dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"usa none, next-validation o una fecha AAAA-MM-DD: {text!r}"
        ) from None


def run_issue_upgrade(args: argparse.Namespace, ctx: Context) -> int:
    overlap, until = args.overlap
    period = _period(args.billing_period)
    with admin_client(ctx) as client:
        issued = client.issue_upgrade(
            args.serial,
            kind=UPGRADE_KINDS[args.kind],
            new_modality=MODALITY_CHOICES[args.modality],
            to_version=args.to_version or "",
            billing_period=period,
            order_reference=args.order,
            overlap=overlap,
            overlap_end_date=until,
            request_id=args.request_id,
        )
    old = issued.previous_subscription
    ctx.print(
        f"Número de serie emitido; reemplaza a {old.serial_number} "
        f"(se puede usar hasta el {format_date(old.retire_date)}).",
        *subscription_lines(issued.subscription),
    )
    return 0


def run_record_payment(args: argparse.Namespace, ctx: Context) -> int:
    with admin_client(ctx) as client:
        paid = client.record_payment(
            args.serial, payment_reference=args.reference or "", request_id=args.request_id
        )
    ctx.print(
        f"Pago registrado para {paid.subscription.serial_number}.",
        f"Próximo pago: {format_date(paid.previous_next_payment_date)} → "
        f"{format_date(paid.subscription.next_payment_date)}",
    )
    return 0


def _change_state(
    args: argparse.Namespace,
    ctx: Context,
    change: Callable[..., subscription_pb2.Subscription],
    done: str,
) -> int:
    """suspend and reinstate: `change` is the AdminClient method, `done` what it did."""
    with admin_client(ctx) as client:
        subscription = change(client, args.serial, args.reason, request_id=args.request_id)
    ctx.print(f"Número de serie {subscription.serial_number} {done}.")
    return 0


def run_suspend(args: argparse.Namespace, ctx: Context) -> int:
    return _change_state(args, ctx, AdminClient.suspend_subscription, "suspendido")


def run_reinstate(args: argparse.Namespace, ctx: Context) -> int:
    return _change_state(args, ctx, AdminClient.reinstate_subscription, "reactivado")


def run_change_seats(args: argparse.Namespace, ctx: Context) -> int:
    _require_one_of(args, "--users", "--installations")
    with admin_client(ctx) as client:
        subscription = client.change_seats(
            args.serial,
            users=args.users,
            installations_allowed=args.installations,
            request_id=args.request_id,
        )
    ctx.print("Cambio registrado.", *subscription_lines(subscription))
    return 0


def run_lookup(args: argparse.Namespace, ctx: Context) -> int:
    with admin_client(ctx) as client:
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


def run_release(args: argparse.Namespace, ctx: Context) -> int:
    with admin_client(ctx) as client:
        released = client.release_activation(
            args.serial, args.activation_id, reason=args.reason, request_id=args.request_id
        )
    ctx.print(*release_lines(released.activation, released.transfers_remaining))
    return 0


def run_events(args: argparse.Namespace, ctx: Context) -> int:
    zone = dt.datetime.now().astimezone().tzinfo

    def start_of(day: dt.date | None) -> dt.datetime | None:
        return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=zone)

    until = start_of(args.until + dt.timedelta(days=1) if args.until else None)
    with admin_client(ctx) as client:
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


def run_webhooks_create(args: argparse.Namespace, ctx: Context) -> int:
    with admin_client(ctx) as client:
        created = client.create_webhook_endpoint(
            args.url,
            event_types=args.event or (),
            description=args.description or "",
            request_id=args.request_id,
        )
    if args.json:
        write_json(ctx.out, message_to_json(created))
        return 0
    ctx.print(
        f"Destino de eventos registrado: {created.endpoint.endpoint_id}",
        f"URL: {created.endpoint.url}",
        "Eventos: " + (", ".join(created.endpoint.event_types) or "todos"),
        f"Secreto de firma: {created.signing_secret}",
        "Guárdalo ahora: no se vuelve a mostrar.",
    )
    return 0


def run_webhooks_list(args: argparse.Namespace, ctx: Context) -> int:
    with admin_client(ctx) as client:
        endpoints = list(client.list_webhook_endpoints())
    if args.json:
        write_json(ctx.out, {"endpoints": [message_to_json(e) for e in endpoints]})
        return 0
    if not endpoints:
        ctx.print("No hay destinos de eventos registrados.")
        return 0
    for e in endpoints:
        created = time_of(e.create_time)
        ctx.print(
            f"{e.endpoint_id}  {e.url}",
            "  eventos: " + (", ".join(e.event_types) or "todos"),
            f"  {e.description or NO_VALUE}; registrado por {e.created_by} el "
            f"{format_local_time(created) if created else NO_VALUE}",
        )
    return 0


def run_webhooks_delete(args: argparse.Namespace, ctx: Context) -> int:
    with admin_client(ctx) as client:
        client.delete_webhook_endpoint(args.endpoint_id, request_id=args.request_id)
    ctx.print(f"Destino de eventos {args.endpoint_id} eliminado: ya no recibirá eventos.")
    return 0


# --- parser ---------------------------------------------------------------------------


#: The codes of a refusal of one row (the others, like a bad key or a server
#: that does not answer, end the whole run).
_ROW_CODES = ("INVALID_ARGUMENT", "ALREADY_EXISTS", "NOT_FOUND", "FAILED_PRECONDITION")


def run_import(args: argparse.Namespace, ctx: Context) -> int:
    """Per row, an ImportSubscription with validate_only (is it in already?
    would it be refused?), then the import with a request_id derived from the
    row, so a retry of it is done once; --dry-run stops after the check."""
    try:
        data = pathlib.Path(args.file).read_bytes()
    except OSError as exc:
        raise CliError(f"No se pudo leer {args.file}: {exc.strerror or exc}.") from None
    imported = already = refused = 0
    lines: list[str] = []
    with admin_client(ctx) as client:
        for row in legacy_import.read_rows(data):
            if isinstance(row, legacy_import.Refused):
                lines.append(f"línea {row.line}: rechazada: {row.reason}")
                refused += 1
                continue
            try:
                # A check first, without request_id: it answers already_imported
                # for a serial already in (a retry with the row's request_id
                # would answer as the first run did). Then the import itself.
                done = client.import_subscription(legacy_import.request_of(row, validate_only=True))
                if not done.already_imported and not args.dry_run:
                    done = client.import_subscription(
                        legacy_import.request_of(row), request_id=row.request_id
                    )
            except LicensingError as exc:
                if exc.code.name not in _ROW_CODES:
                    raise
                details = "; ".join(f"{v.field}: {v.description}" for v in exc.field_violations)
                lines.append(
                    f"línea {row.line}: rechazada: {exc.message}"
                    + (f" ({details})" if details else "")
                )
                refused += 1
                continue
            serial = done.subscription.serial_number
            if done.already_imported:
                lines.append(f"línea {row.line}: {serial} ya estaba importado")
                already += 1
            else:
                verb = "se importaría" if args.dry_run else "importado"
                lines.append(f"línea {row.line}: {serial} {verb}")
                imported += 1
    verb = "Se importarían" if args.dry_run else "Importados"
    lines.append(f"{verb}: {imported}; ya importados: {already}; rechazados: {refused}.")
    ctx.print(*lines)
    return 1 if refused else 0


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
    parser = add_command(
        commands,
        name,
        handler,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
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
    return parser


def add_commands(commands: Any) -> None:
    """Adds every command of AdminService."""

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
    p.add_argument(
        "--introduction",
        help="párrafo entre el título y las cláusulas (sin él, el de Aspel)",
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

    p = _command(
        commands,
        "issue-upgrade",
        "emite el número de serie de una actualización vendida o un cambio de modalidad (billing)",
        run_issue_upgrade,
    )
    p.add_argument("serial", metavar="NO_SERIE")
    p.add_argument("--kind", choices=list(UPGRADE_KINDS), required=True)
    p.add_argument("--to-version", metavar="VERSION", help="versión nueva (modality: la misma)")
    p.add_argument("--modality", choices=sorted(MODALITY_CHOICES), required=True)
    p.add_argument(
        "--billing-period", choices=list(PERIOD_CHOICES), help="periodicidad de la suscripción"
    )
    p.add_argument(
        "--order", required=True, help="pedido; el mismo pedido emite un solo número de serie"
    )
    p.add_argument(
        "--overlap",
        type=_overlap,
        default=(admin_service_pb2.UPGRADE_OVERLAP_NEXT_VALIDATION, None),
        metavar="none|next-validation|AAAA-MM-DD",
        help="hasta cuándo sirve el número de serie anterior (next-validation)",
    )

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
        "release",
        "libera una instalación de un cliente (support)",
        run_release,
    )
    p.add_argument("serial", metavar="NO_SERIE")
    p.add_argument("activation_id", metavar="ID_ACTIVACION")
    p.add_argument("--reason", required=True, help="motivo, para la bitácora")

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

    p = _command(
        commands,
        "import",
        "importa números de serie de un sistema anterior desde un CSV (billing)",
        run_import,
        mutating=False,
    )
    p.add_argument("file", metavar="ARCHIVO.csv")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="revisa cada renglón en el servidor sin importar nada",
    )

    webhooks = commands.add_parser(
        "webhooks",
        help="destinos de eventos firmados para sistemas internos (billing o support)",
        description="Registra, lista o elimina los destinos (webhooks) que reciben cada "
        "cambio auditado.",
    )
    actions = webhooks.add_subparsers(dest="webhooks_action", metavar="ACCIÓN", required=True)
    p = _command(actions, "create", "registra un destino https", run_webhooks_create)
    p.add_argument("url", metavar="URL")
    p.add_argument(
        "--event",
        action="append",
        metavar="TIPO",
        help="solo este tipo de evento (p. ej. payment.recorded, o subscription. para todos "
        "los que empiezan así); repite para varios; por omisión, todos",
    )
    p.add_argument("--description", help="para qué es el destino")
    add_json_flag(p)
    p = _command(actions, "list", "lista los destinos vigentes", run_webhooks_list, mutating=False)
    add_json_flag(p)
    p = _command(actions, "delete", "deja de enviar eventos a un destino", run_webhooks_delete)
    p.add_argument("endpoint_id", metavar="ID_DESTINO")


def build_parser() -> argparse.ArgumentParser:
    # This module is the program's one command module (its `add_commands`).
    return build_program_parser(ADMIN, [sys.modules[__name__]])


def main(argv: list[str] | None = None) -> int:
    """Runs the admin CLI; returns the exit code (module docstring)."""
    return run(build_parser(), argv)


__all__ = ["ADMIN", "add_commands", "admin_client", "build_parser", "main"]
