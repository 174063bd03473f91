"""The portal commands: login, subscriptions, terms, upgrade, installations,
release, logout.

The flow of "Mi cuenta Aspel": log in, see the systems in subscription, read
the terms of a new version, accept them and get the new serial number.
"""

from __future__ import annotations

import argparse
import getpass
import textwrap
from typing import Any

from aspel.licensing.v1 import activation_pb2, upgrade_terms_pb2
from aspel.licensing.v1 import subscription_pb2 as sub_pb

from ..convert import time_of
from ..errors import LicensingError
from ..session_file import (
    Session,
    SessionFileError,
    delete_session,
    load_session,
    save_session,
)
from .common import (
    NO_VALUE,
    PROGRAM,
    CliError,
    Context,
    activation_table,
    add_json_flag,
    describe_error,
    format_date,
    format_local_time,
    format_table,
    release_lines,
    state_label,
)
from .json_output import message_to_json, write_json
from .program import add_command

WRAP = 78

SUBSCRIPTION_HEADERS = (
    "Sistema",
    "Versión",
    "Usuarios",
    "No. serie",
    "Fecha activación",
    "Próximo pago",
    "Estado",
    "Plan actualizado",
)


def add_commands(subparsers: Any) -> None:
    """Adds login, subscriptions, terms, upgrade, installations, release and logout."""
    login = add_command(
        subparsers,
        "login",
        run_login,
        help="inicia sesión con tu usuario de Mi cuenta Aspel",
        description=(
            "Inicia sesión con tu usuario y contraseña de Mi cuenta Aspel y guarda la "
            "sesión en un archivo que solo tu usuario puede leer (permisos 0600). La "
            "contraseña se pide sin mostrarla en pantalla."
        ),
    )
    login.add_argument(
        "username",
        nargs="?",
        metavar="USUARIO",
        help="tu usuario; si no lo indicas, se pregunta",
    )
    login.add_argument(
        "--password-stdin",
        action="store_true",
        help="lee la contraseña de la primera línea de la entrada estándar (para scripts); "
        "requiere USUARIO",
    )

    subscriptions = add_command(
        subparsers,
        "subscriptions",
        run_subscriptions,
        help="muestra tus sistemas en suscripción",
        description=(
            "Muestra los números de serie de tu cuenta, como la tabla «Sistemas en "
            "suscripción» del portal. «Plan actualizado» dice si hay una versión nueva."
        ),
    )
    add_json_flag(subscriptions)

    terms = add_command(
        subparsers,
        "terms",
        run_terms,
        help="muestra los términos para actualizar un número de serie",
        description="Muestra los términos y condiciones para pasar un número de serie a la "
        "versión nueva de su sistema, sin aceptarlos.",
    )
    terms.add_argument(
        "serial", metavar="NO_SERIE", help="el número de serie, p. ej. ABCDE-12345-FGH7K"
    )
    add_json_flag(terms)

    upgrade = add_command(
        subparsers,
        "upgrade",
        run_upgrade,
        help="actualiza un número de serie a la versión nueva",
        description=(
            "Muestra los términos de la versión nueva, pide confirmarlos y genera el número "
            "de serie nuevo. El número de serie anterior podrá usarse hasta su siguiente "
            "validación. Si el número de serie ya se había actualizado, muestra el nuevo "
            "sin generar otro."
        ),
    )
    upgrade.add_argument("serial", metavar="NO_SERIE", help="el número de serie a actualizar")
    upgrade.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="acepta los términos sin preguntar (para scripts); los términos se muestran igual",
    )

    installations = add_command(
        subparsers,
        "installations",
        run_installations,
        help="muestra las instalaciones de un número de serie",
        description=(
            "Muestra los equipos donde se activó un número de serie: cuáles ocupan un lugar, "
            "cuáles se liberaron y, si su licencia sigue vigente, hasta cuándo ocupan el suyo."
        ),
    )
    installations.add_argument("serial", metavar="NO_SERIE", help="el número de serie")
    add_json_flag(installations)

    release = add_command(
        subparsers,
        "release",
        run_release,
        help="libera la instalación de un equipo que ya no usarás",
        description=(
            "Libera una instalación (un equipo descompuesto, formateado o robado) para activar "
            "el sistema en otro. Si la licencia de ese equipo sigue vigente y ya usaste las "
            "transferencias inmediatas del año, su lugar queda ocupado hasta que venza."
        ),
    )
    release.add_argument("serial", metavar="NO_SERIE", help="el número de serie")
    release.add_argument(
        "activation_id",
        metavar="ID_ACTIVACION",
        help="la instalación, como la muestra installations",
    )

    add_command(
        subparsers,
        "logout",
        run_logout,
        help="cierra la sesión y borra la sesión guardada",
        description="Cierra la sesión en el servidor y borra el archivo de la sesión guardada.",
    )


# --- login / logout ----------------------------------------------------------------


def run_login(args: argparse.Namespace, ctx: Context) -> int:
    username = (args.username or "").strip()
    if args.password_stdin:
        if not username:
            raise CliError("Con --password-stdin indica el usuario como argumento: login USUARIO")
        password = ctx.inp.readline().rstrip("\r\n")
    else:
        if not username:
            username = ctx.ask("Usuario: ")
        if not username:
            raise CliError("Escribe tu usuario de Mi cuenta Aspel.")
        password = getpass.getpass("Contraseña: ")
    if not password:
        raise CliError("La contraseña no puede estar vacía.")

    try:
        previous = load_session()
    except SessionFileError:
        previous = None
    server = ctx.server()
    with ctx.licensing_client() as client:
        response = client.authenticate(username, password)
    expire_time = time_of(response.expire_time)
    path = save_session(
        Session(
            server=server,
            username=response.account.username,
            session_token=response.session_token,
            expire_time=expire_time,
            razon_social=response.account.razon_social,
        )
    )
    ctx.out.write(f"Sesión iniciada como {response.account.username}")
    if response.account.razon_social:
        ctx.out.write(f" ({response.account.razon_social})")
    ctx.out.write(".\n")
    if expire_time is not None:
        ctx.out.write(f"La sesión vence a más tardar el {format_local_time(expire_time)}.\n")
    ctx.out.write(f"Sesión guardada en {path} (solo tu usuario puede leerla).\n")
    if previous is not None and previous.server == server:
        _end_quietly(previous, ctx)
    return 0


def _end_quietly(session: Session, ctx: Context) -> None:
    """Best effort: ends a replaced session on the server."""
    try:
        with ctx.licensing_client(session) as client:
            client.sign_out()
    except LicensingError:
        pass
    finally:
        ctx.session_in_use = None


def run_logout(args: argparse.Namespace, ctx: Context) -> int:
    try:
        session = load_session()
    except SessionFileError:
        delete_session()
        ctx.out.write("Se borró la sesión guardada (estaba dañada).\n")
        return 0
    if session is None:
        ctx.out.write("No había una sesión iniciada.\n")
        return 0
    failure: LicensingError | None = None
    try:
        with ctx.licensing_client(session) as client:
            client.sign_out()
    except LicensingError as error:
        if error.reason != "SESSION_INVALID":  # already ended: nothing to undo
            failure = error
    finally:
        ctx.session_in_use = None
        # The local copy goes in every case: the user asked to forget it.
        delete_session()
    if failure is not None:
        for line in describe_error(failure, session.server):
            ctx.err.write(line + "\n")
        ctx.err.write(
            "Se borró la sesión guardada en este equipo, pero no se pudo cerrar en el "
            "servidor; vencerá sola.\n"
        )
        return 1
    ctx.out.write(f"Sesión cerrada ({session.username}).\n")
    return 0


# --- subscriptions ----------------------------------------------------------------


def run_subscriptions(args: argparse.Namespace, ctx: Context) -> int:
    session = ctx.require_session()
    with ctx.licensing_client(session) as client:
        subscriptions = list(client.list_subscriptions())
    if args.json:
        write_json(ctx.out, {"subscriptions": [message_to_json(s) for s in subscriptions]})
        return 0
    title = "Sistemas en suscripción"
    owner = session.razon_social or session.username
    ctx.out.write(f"{title} — {owner}\n\n")
    if not subscriptions:
        ctx.out.write("Tu cuenta no tiene sistemas en suscripción.\n")
        return 0
    rows = [subscription_row(s) for s in subscriptions]
    for line in subscription_table(rows):
        ctx.out.write(line + "\n")
    notes = [_note(s) for s in subscriptions]
    notes = [n for n in notes if n]
    if notes:
        ctx.out.write("\n")
        for note in notes:
            ctx.out.write(textwrap.fill(note, WRAP, subsequent_indent="  ") + "\n")
    if any(s.upgrade_available for s in subscriptions):
        ctx.out.write(
            f"\nPara leer los términos de la versión nueva: {PROGRAM} terms NO_SERIE\n"
            f"Para aceptarlos y obtener el número de serie nuevo: {PROGRAM} upgrade NO_SERIE\n"
        )
    return 0


def run_installations(args: argparse.Namespace, ctx: Context) -> int:
    session = ctx.require_session()
    with ctx.licensing_client(session) as client:
        activations = list(client.list_activations(args.serial))
    if args.json:
        write_json(ctx.out, {"activations": [message_to_json(a) for a in activations]})
        return 0
    for line in activation_table(activations):
        ctx.out.write(line + "\n")
    if any(a.state == activation_pb2.ACTIVATION_STATE_ACTIVE for a in activations):
        ctx.out.write(f"\nPara liberar una: {PROGRAM} release NO_SERIE ID_ACTIVACION\n")
    return 0


def run_release(args: argparse.Namespace, ctx: Context) -> int:
    session = ctx.require_session()
    with ctx.licensing_client(session) as client:
        released = client.release_activation(args.serial, args.activation_id)
    for line in release_lines(released.activation, released.transfers_remaining):
        ctx.out.write(line + "\n")
    return 0


def subscription_table(rows: list[list[str]]) -> list[str]:
    """The portal's table, within the table width; serial numbers never wrap."""
    return format_table(SUBSCRIPTION_HEADERS, rows, keep={SUBSCRIPTION_HEADERS.index("No. serie")})


def subscription_row(s: sub_pb.Subscription) -> list[str]:
    return [
        s.product_name or s.product_code,
        s.version,
        str(s.users),
        s.serial_number,
        format_date(s.activation_date),
        format_date(s.next_payment_date) if s.HasField("next_payment_date") else NO_VALUE,
        state_label(s.state),
        _plan_updated(s),
    ]


def _plan_updated(s: sub_pb.Subscription) -> str:
    """The portal's "Plan actualizado", read from the server's one rule
    (`plan_status`): yes, or which version is waiting and whether it is free."""
    status = s.plan_status
    if status == sub_pb.PLAN_STATUS_UP_TO_DATE:
        return "Sí"
    if status == sub_pb.PLAN_STATUS_UPGRADE_AVAILABLE:
        return f"No: {s.available_version} disponible"
    if status == sub_pb.PLAN_STATUS_UPGRADE_REQUIRES_PURCHASE:
        return f"No: {s.available_version} con costo"
    return NO_VALUE


def _note(s: sub_pb.Subscription) -> str:
    if s.state == sub_pb.SUBSCRIPTION_STATE_SUPERSEDED:
        return (
            f"* {s.serial_number} se reemplazó por {s.successor_serial_number}; puedes usarlo "
            f"hasta el {format_date(s.retire_date)}."
        )
    if s.state == sub_pb.SUBSCRIPTION_STATE_OVERDUE:
        return (
            f"* El pago de {s.serial_number} venció el {format_date(s.next_payment_date)}; "
            "pasado el periodo de gracia, el sistema funcionará en modo consulta (solo "
            "lectura) hasta que se registre tu pago."
        )
    if s.state == sub_pb.SUBSCRIPTION_STATE_INACTIVE and s.successor_serial_number:
        return f"* {s.serial_number} ya no se puede usar; usa {s.successor_serial_number}."
    if s.plan_status == sub_pb.PLAN_STATUS_UPGRADE_REQUIRES_PURCHASE:
        where = f" Cómprala en {s.purchase_url}" if s.purchase_url else ""
        perpetual = (
            f" ({s.serial_number} es una licencia de pago único)"
            if s.modality == sub_pb.MODALITY_PERPETUAL_LICENSE
            else ""
        )
        return (
            f"* {s.product_name} {s.available_version} se adquiere por separado{perpetual}.{where}"
        )
    return ""


# --- terms / upgrade ----------------------------------------------------------------


def run_terms(args: argparse.Namespace, ctx: Context) -> int:
    session = ctx.require_session()
    with ctx.licensing_client(session) as client:
        terms = client.get_upgrade_terms(args.serial)
    if args.json:
        write_json(ctx.out, message_to_json(terms))
        return 0
    _print_terms(terms, ctx)
    return 0


def _print_terms(terms: upgrade_terms_pb2.UpgradeTerms, ctx: Context) -> None:
    ctx.out.write(f"{terms.title}\n")
    ctx.out.write(
        f"{terms.product_code} {terms.from_version} → {terms.to_version}, "
        f"número de serie {terms.serial_number}\n\n"
    )
    if terms.introduction:
        ctx.out.write(textwrap.fill(terms.introduction, WRAP) + "\n\n")
    for number, clause in enumerate(terms.clauses, start=1):
        prefix = f"{number}. "
        text = textwrap.fill(
            clause, WRAP, initial_indent=prefix, subsequent_indent=" " * len(prefix)
        )
        ctx.out.write(text + "\n\n")


def run_upgrade(args: argparse.Namespace, ctx: Context) -> int:
    session = ctx.require_session()
    with ctx.licensing_client(session) as client:
        current = client.get_subscription(args.serial)
        if current.successor_serial_number:
            # Accepting again gives the same new serial: show it, make nothing.
            new = client.get_subscription(current.successor_serial_number)
            ctx.out.write(f"El número de serie {current.serial_number} ya se había actualizado.\n")
            _print_upgrade(new, current, ctx)
            return 0
        terms = client.get_upgrade_terms(current.serial_number)
        _print_terms(terms, ctx)
        if not args.yes and not ctx.confirm("¿Aceptas los términos?"):
            ctx.err.write("No se aceptaron los términos; tu número de serie no cambió.\n")
            return 1
        result = client.accept_upgrade(current.serial_number, terms.terms_id)
    _print_upgrade(result.subscription, result.previous_subscription, ctx)
    ctx.out.write(
        "Enviamos la notificación de la actualización al correo registrado en tu cuenta Aspel.\n"
    )
    return 0


def _print_upgrade(new: sub_pb.Subscription, old: sub_pb.Subscription, ctx: Context) -> None:
    name = new.product_name or new.product_code
    ctx.out.write(f"Tu nuevo número de serie de {name} {new.version} es: {new.serial_number}\n")
    previous = f"El número de serie anterior {old.serial_number} ({name} {old.version})"
    retire = format_date(old.retire_date)
    if old.state == sub_pb.SUBSCRIPTION_STATE_SUPERSEDED:
        text = f"{previous} podrás usarlo hasta el {retire}; después quedará inactivo."
    else:
        text = f"{previous} se podía usar hasta el {retire} y ya está inactivo."
    ctx.out.write(textwrap.fill(text, WRAP) + "\n")
