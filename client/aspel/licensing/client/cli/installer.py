"""The installer commands: activate, validate, deactivate, verify, inspect, armor.

What a product's activation wizard does, from the command line: activate a
serial on this machine and keep the signed licence in a file, validate it
again (which renews the licence), free the machine's seat, and check a
licence file offline with the public keys the installer pins. `inspect`
shows what a licence says without a network; `armor` turns it into text
that can be pasted into a ticket (every command reads either form).

No login is needed: the serial number and the razón social registered in
the account are what the wizard asks for.

The server that issued a licence is remembered beside it, in
`<licence>.server` (one line, host:port), written by `activate`; `validate`
and `deactivate` use it when neither --server nor $ASPEL_LICENSING_SERVER is
given, so a licence goes back to its own server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import socket
import textwrap
from typing import Any

from aspel.licensing.v1 import activation_pb2
from aspel.licensing.v1 import subscription_pb2 as sub_pb

from ..activation import (
    ActivationClient,
    machine_fingerprint,
    read_license_file,
    save_license,
    unverified_certificate,
)
from ..convert import date_of, time_of
from ..installation_key import InstallationKey, key_path_for
from ..license_armor import ARMORED, BINARY, JSON, armor, form_of
from ..license_verification import (
    DEFAULT_SET_BACK_TOLERANCE,
    FULL,
    GRACE,
    INSTALLATION_KEY_MISMATCH,
    INSTALLATION_KEY_MISSING,
    READ_ONLY,
    REFUSED,
    SIGNATURE_INVALID,
    UNKNOWN_SIGNING_KEY,
    LicenseStatus,
    LicenseVerificationError,
    PinnedKeys,
    TrustedTime,
    VerifiedLicense,
    check_installation_key,
    license_status,
    parse_signed_license,
    verify_signature,
)
from ..machine_identity import MachineComponent, canonical_salt, collect_components
from .common import (
    DEFAULT_SERVER,
    EXIT_FAILURE,
    NO_VALUE,
    PROGRAM,
    CliError,
    Context,
    add_json_flag,
    add_product_version,
    format_date,
    format_local_time,
    state_label,
)
from .json_output import day, instant, write_json
from .program import add_command

PINNED_KEYS_ENV = "ASPEL_LICENSING_PINNED_KEYS"
TRUSTED_TIME_ENV = "ASPEL_LICENSING_TRUSTED_TIME_FILE"
#: The suffix of the file beside a licence that names its server.
SERVER_SUFFIX = ".server"
#: The suffix of the trusted-time file beside a licence (signed with its key).
TRUSTED_TIME_SUFFIX = ".time"
#: `verify` exits with one code per state: 0 FULL, these two, 1 refused.
EXIT_GRACE = 3
EXIT_READ_ONLY = 4
_VERIFY_EXIT_CODES = {FULL: 0, GRACE: EXIT_GRACE, READ_ONLY: EXIT_READ_ONLY}
_STATE_HEADLINES = {FULL: "Licencia vigente.", READ_ONLY: "Modo consulta (solo lectura)."}

_FORM_NAMES = {BINARY: "binario", ARMORED: "texto ASCII (armored)", JSON: "JSON"}


def trusted_time_path(licence: pathlib.Path) -> pathlib.Path:
    """Where `verify` keeps the high-water mark of the time: $ASPEL_LICENSING_TRUSTED_TIME_FILE,
    or LICENCIA.time beside the licence (signed with the installation key, LICENCIA.key:
    one installation, one key, one mark)."""
    override = os.environ.get(TRUSTED_TIME_ENV)
    if override:
        return pathlib.Path(override).expanduser()
    return licence.with_name(licence.name + TRUSTED_TIME_SUFFIX)


def trusted_time_for(
    licence: pathlib.Path,
    tolerance: dt.timedelta = DEFAULT_SET_BACK_TOLERANCE,
    *,
    create_key: bool = True,
) -> TrustedTime | None:
    """The licence's trusted time, signed with its installation key (created
    when missing, beside the licence, unless `create_key` is False: then None
    for a missing key)."""
    key_path = key_path_for(licence)
    try:
        if not create_key and not key_path.exists():
            return None
        key = InstallationKey.load_or_create(key_path)
    except (OSError, ValueError) as exc:
        raise CliError(
            f"No se pudo leer ni crear la llave de la instalación {key_path} ({exc})."
        ) from None
    return TrustedTime(trusted_time_path(licence), tolerance, key=key)


def add_commands(subparsers: Any) -> None:
    """Adds activate, validate, deactivate, verify, inspect and armor."""
    activate = add_command(
        subparsers,
        "activate",
        run_activate,
        help="activa un número de serie en este equipo y guarda la licencia",
        description=(
            "Activa el sistema en este equipo, como el asistente de activación: indica el "
            "número de serie y la razón social que registraste en Mi cuenta Aspel. La "
            "licencia firmada se guarda en un archivo (por omisión NO_SERIE.lic en la "
            "carpeta actual). Activar de nuevo desde el mismo equipo no ocupa otra "
            "instalación."
        ),
    )
    activate.add_argument("serial_number", metavar="NO_SERIE", help="el número de serie")
    activate.add_argument(
        "--razon-social",
        required=True,
        metavar="TEXTO",
        help="la razón social registrada en tu cuenta (no importan mayúsculas, acentos ni puntos)",
    )
    add_product_version(activate)
    activate.add_argument("--hostname", metavar="NOMBRE", help="por omisión, el de este equipo")
    activate.add_argument("--output", metavar="ARCHIVO", help="dónde guardar la licencia")
    activate.add_argument(
        "--armor",
        action="store_true",
        help="guarda la licencia como texto ASCII (-----BEGIN ASPEL LICENSE-----), que puede "
        "pegarse en un correo o un ticket",
    )
    _add_fingerprint(activate)
    _add_pinned_keys(activate, required=False)

    validate = add_command(
        subparsers,
        "validate",
        run_validate,
        help="valida la licencia con el servidor y la renueva",
        description=(
            "Valida con el servidor la activación de un archivo de licencia y, si sigue "
            "vigente, reemplaza el archivo por una licencia nueva, en la misma forma (binaria "
            "o texto). Muestra el estado del número de serie y, si fue reemplazado por una "
            "versión nueva, hasta qué día puede usarse. Sin --server, usa el servidor que "
            "emitió la licencia (guardado por activate en LICENCIA.server)."
        ),
    )
    _add_license_file(validate)
    _add_fingerprint(validate)
    _add_pinned_keys(validate, required=False)

    deactivate = add_command(
        subparsers,
        "deactivate",
        run_deactivate,
        help="desactiva este equipo para activar el sistema en otro",
        description=(
            "Libera la instalación de este equipo, para activar el sistema en otro. Las "
            "desactivaciones de un número de serie están limitadas: si se alcanzó el límite, "
            "se indica a partir de cuándo intentar de nuevo. Sin --server, usa el servidor "
            "que emitió la licencia."
        ),
    )
    _add_license_file(deactivate)
    _add_fingerprint(deactivate)

    verify = add_command(
        subparsers,
        "verify",
        run_verify,
        help="verifica un archivo de licencia sin conexión",
        # Wrapped here: the raw formatter keeps the epilog's lines as written.
        description=textwrap.fill(
            "Verifica sin conexión un archivo de licencia: primero la firma, con las llaves "
            "públicas fijadas (--pinned-keys), luego el sistema, la versión, el equipo y la "
            "vigencia, que da el estado: licencia vigente, periodo de gracia (con los días "
            "que quedan) o modo consulta (solo lectura: abrir e imprimir, nunca modificar). "
            "Detecta si la fecha del equipo se atrasó más de --clock-tolerance horas "
            "respecto de la última fecha vista (la recuerda en LICENCIA.time, archivo "
            "firmado con la llave de la instalación LICENCIA.key, o en el archivo de "
            f"${TRUSTED_TIME_ENV})."
        ),
        epilog=(
            "códigos de salida de verify:\n"
            "  0     licencia vigente\n"
            f"  {EXIT_GRACE}     periodo de gracia: uso completo, validar pronto\n"
            f"  {EXIT_READ_ONLY}     modo consulta (solo lectura)\n"
            "  1     la licencia no es válida (el motivo va entre paréntesis)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_license_file(verify)
    add_product_version(verify)
    verify.add_argument(
        "--clock-tolerance",
        type=_hours,
        default=DEFAULT_SET_BACK_TOLERANCE,
        metavar="HORAS",
        help="cuánto puede atrasarse el reloj respecto de la última fecha vista (por omisión, 24)",
    )
    _add_fingerprint(verify)
    verify.add_argument(
        "--installation-key",
        metavar="ARCHIVO",
        help="la llave de la instalación (por omisión LICENCIA.key, junto a la licencia); si "
        "la licencia nombra una, debe estar ahí y ser la suya",
    )
    _add_pinned_keys(verify, required=True)
    add_json_flag(verify)

    inspect = add_command(
        subparsers,
        "inspect",
        run_inspect,
        help="muestra lo que dice un archivo de licencia, sin conexión",
        description=(
            "Muestra lo que dice un archivo de licencia (binario o texto), sin conectarse: "
            "número de serie, sistema, versión, equipo, vigencia, llave con que se firmó y "
            "el estado de la firma (con --pinned-keys; sin ellas, la firma no se verifica). "
            "Termina con 1 si la firma se verificó y no es válida."
        ),
    )
    _add_license_file(inspect)
    inspect.add_argument(
        "--pinned-keys",
        metavar="ARCHIVO",
        help=f"las llaves públicas en que confías, para verificar la firma (o ${PINNED_KEYS_ENV})",
    )
    add_json_flag(inspect)

    armored = add_command(
        subparsers,
        "armor",
        run_armor,
        help="escribe la licencia como texto para pegarla en un ticket",
        description=(
            "Escribe el archivo de licencia como texto ASCII entre «-----BEGIN ASPEL "
            "LICENSE-----» y «-----END ASPEL LICENSE-----», en líneas de 64 columnas, para "
            "pegarlo en un correo o un ticket de soporte. Ese texto, guardado en un archivo, "
            "es una licencia que todos los comandos aceptan."
        ),
    )
    _add_license_file(armored)
    armored.add_argument(
        "--output", metavar="ARCHIVO", help="dónde escribir el texto (por omisión, la pantalla)"
    )


def _add_license_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("license_file", metavar="LICENCIA", help="el archivo de licencia")


def _add_fingerprint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fingerprint",
        metavar="HUELLA",
        help="la huella del equipo; por omisión se calcula del identificador de este equipo "
        "(con --fingerprint no se envían los componentes de este equipo)",
    )


def _components(args: argparse.Namespace, serial_number: str) -> list[MachineComponent]:
    """This machine's component digests for the serial; none when --fingerprint
    names another identity (this machine's components would contradict it)."""
    return [] if args.fingerprint else collect_components(serial_number)


def _display_serial(serial_number: str) -> str:
    canonical = canonical_salt(serial_number)
    return "-".join(canonical[i : i + 5] for i in range(0, len(canonical), 5))


def _installation_key(path: pathlib.Path, *, create: bool) -> InstallationKey | None:
    """The installation key at `path` (created when `create` and missing);
    None when there is none to use."""
    try:
        return InstallationKey.load_or_create(path) if create else InstallationKey.load(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CliError(f"No se pudo leer la llave de la instalación {path} ({exc}).") from None


def _add_pinned_keys(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--pinned-keys",
        metavar="ARCHIVO",
        help=(
            "JSON {key_id: llave pública en base64} con las llaves en que confías (como lo "
            f"imprime `aspel-licensing-server keys list --json`; o ${PINNED_KEYS_ENV})"
            + ("" if required else "; con él, la licencia recibida se verifica antes de guardarla")
        ),
    )


# --- handlers ----------------------------------------------------------------------


def run_activate(args: argparse.Namespace, ctx: Context) -> int:
    fingerprint = args.fingerprint or machine_fingerprint()
    pinned = _pinned_keys(args.pinned_keys, required=False)
    server = ctx.server()
    output = pathlib.Path(args.output or f"{_display_serial(args.serial_number)}.lic")
    # Made before the call (its public half goes in it), kept beside the licence, 0600.
    key_file = key_path_for(output)
    key = _installation_key(key_file, create=True)
    assert key is not None
    with ActivationClient(server, **ctx.client_options()) as client:
        response = client.activate_installation(
            args.serial_number,
            args.razon_social,
            args.product,
            args.version,
            fingerprint,
            hostname=args.hostname if args.hostname is not None else socket.gethostname(),
            machine_components=_components(args, args.serial_number),
            installation_public_key=key.public_key_bytes(),
        )
    activation = response.activation
    if pinned is not None:
        _verify(
            response.signed_license,
            pinned,
            activation.product_code,
            activation.version,
            fingerprint,
            installation_key_file=key_file,
        )
    save_license(output, response.signed_license, form=ARMORED if args.armor else BINARY)
    remember_server(output, server)
    certificate = unverified_certificate(response.signed_license)
    ctx.out.write(
        f"Sistema activado: Aspel {activation.product_code} {activation.version}, número de "
        f"serie {activation.serial_number}.\n"
        f"Activación: {activation.activation_id}\n"
        f"Licencia guardada en {output}; vigente hasta el "
        f"{format_local_time(certificate.expire_time.ToDatetime(tzinfo=dt.UTC))}.\n"
        f"Valida antes de esa fecha con: {PROGRAM} validate {output}\n"
    )
    if pinned is None:
        ctx.out.write(f"La licencia no se verificó: indica --pinned-keys o usa {PROGRAM} verify.\n")
    return 0


def run_validate(args: argparse.Namespace, ctx: Context) -> int:
    path = pathlib.Path(args.license_file)
    current = _load(path)
    form = form_of(read_license_file(path))
    certificate = unverified_certificate(current)
    fingerprint = args.fingerprint or machine_fingerprint()
    pinned = _pinned_keys(args.pinned_keys, required=False)
    server = license_server(path, ctx)
    with ActivationClient(server, **ctx.client_options()) as client:
        response = client.validate_license(
            certificate.serial_number,
            certificate.activation_id,
            fingerprint,
            machine_components=_components(args, certificate.serial_number),
        )
    if pinned is not None:
        _verify(
            response.signed_license,
            pinned,
            certificate.product_code,
            certificate.version,
            fingerprint,
            installation_key_file=key_path_for(path),
        )
    save_license(path, response.signed_license, form=form)
    fresh = unverified_certificate(response.signed_license)
    if pinned is not None:
        # The server vouched for the time: the high-water mark starts again
        # from its clock (a clock that ran ahead, or a damaged file, is cured).
        trusted = trusted_time_for(path)
        if trusted is not None:  # always, with create_key
            trusted.reset(fresh.issue_time.ToDatetime(tzinfo=dt.UTC))
    if ctx.explicit_server:
        # The licence now comes from this server: the next validation goes there too.
        remember_server(path, server)
    state = state_label(response.state)
    ctx.out.write(
        f"Número de serie {certificate.serial_number}: {state}.\n"
        f"Licencia renovada en {path}; vigente hasta el "
        f"{format_local_time(fresh.expire_time.ToDatetime(tzinfo=dt.UTC))}.\n"
    )
    if response.state == sub_pb.SUBSCRIPTION_STATE_SUPERSEDED:
        ctx.out.write(
            "Este número de serie fue reemplazado por una versión nueva y podrá usarse hasta "
            f"el {format_date(date_of(response.retire_date))}. Instala la versión nueva y "
            f"actívala con el número de serie {response.successor_serial_number}.\n"
        )
    if response.message:
        ctx.out.write(response.message + "\n")
    return 0


def run_deactivate(args: argparse.Namespace, ctx: Context) -> int:
    path = pathlib.Path(args.license_file)
    certificate = unverified_certificate(_load(path))
    fingerprint = args.fingerprint or machine_fingerprint()
    # A receipt only from the key the licence names: any other would be refused.
    key = _installation_key(key_path_for(path), create=False)
    if key is not None and key.public_key_bytes() != certificate.installation_public_key:
        key = None
    with ActivationClient(license_server(path, ctx), **ctx.client_options()) as client:
        activation = client.deactivate_installation(
            certificate.serial_number,
            certificate.activation_id,
            fingerprint,
            installation_key=key,
        )
    free = time_of(activation.seat_free_time)
    if activation.state == activation_pb2.ACTIVATION_STATE_RELEASE_PENDING and free:
        # The seat holds while this licence could still run (domain/seats.py).
        seat = (
            f"quedará libre para otro equipo el {format_local_time(free)}, cuando vence su licencia"
        )
    else:
        seat = "quedó libre para otro equipo"
    ctx.out.write(
        f"Equipo desactivado: la instalación {activation.activation_id} del número de serie "
        f"{activation.serial_number} {seat}. La licencia {path} ya no es válida.\n"
    )
    if key is not None:
        ctx.out.write("La desactivación se comprobó con la llave de esta instalación.\n")
    return 0


def run_verify(args: argparse.Namespace, ctx: Context) -> int:
    pinned = _pinned_keys(args.pinned_keys, required=True)
    assert pinned is not None
    fingerprint = args.fingerprint or machine_fingerprint()
    path = pathlib.Path(args.license_file)
    signed = _load(path)
    status = license_status(
        signed,
        pinned_keys=pinned,
        product_code=args.product,
        version=args.version,
        machine_fingerprint=fingerprint,
        # A licence that names its installation key never gets a new one
        # here: beside a copied licence that would hide the missing key.
        trusted_time=trusted_time_for(
            path,
            args.clock_tolerance,
            create_key=not unverified_certificate(signed).installation_public_key,
        ),
        installation_key_file=args.installation_key or key_path_for(path),
    )
    verified = status.license
    if status.state == REFUSED or verified is None:
        if args.json:
            # Scripts get the verdict on stdout too; the exit code is the same.
            write_json(
                ctx.out,
                {
                    "valid": False,
                    "state": REFUSED,
                    "reason": status.reason,
                    "message": status.message_es,
                },
            )
        raise _not_valid(status)
    code = _VERIFY_EXIT_CODES[status.state]
    if args.json:
        write_json(
            ctx.out,
            {
                "valid": True,
                "state": status.state,
                "grace_days_left": status.grace_days_left,
                "message": status.message_es,
                **_verified_json(verified),
            },
        )
        return code
    headline = _STATE_HEADLINES.get(status.state, status.message_es.split(". ")[0] + ".")
    ctx.out.write(
        f"{headline}\n"
        f"  Sistema:       Aspel {verified.product_code} {verified.version}\n"
        f"  No. serie:     {verified.serial_number}\n"
        f"  Razón social:  {verified.razon_social}\n"
        f"  Usuarios:      {verified.users}\n"
        f"  Vigente hasta: {format_local_time(verified.expire_time)}\n"
    )
    if verified.grace_end_time is not None and verified.grace_end_time > verified.expire_time:
        ctx.out.write(f"  Gracia hasta:  {format_local_time(verified.grace_end_time)}\n")
    ctx.out.write(f"  Firmada con:   {verified.key_id}\n")
    if verified.retire_date is not None:
        ctx.out.write(
            f"  Reemplazado por una versión nueva; podrá usarse hasta el "
            f"{format_date(verified.retire_date)}.\n"
        )
    if status.state != FULL:
        ctx.out.write(status.message_es + "\n")
    return code


def _hours(text: str) -> dt.timedelta:
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"no es un número de horas: {text!r}") from None
    if not 0 <= hours <= 24 * 365:
        raise argparse.ArgumentTypeError("las horas van de 0 a 8760")
    return dt.timedelta(hours=hours)


def _verified_json(verified: VerifiedLicense) -> dict[str, Any]:
    return {
        "serial_number": verified.serial_number,
        "product_code": verified.product_code,
        "version": verified.version,
        "users": verified.users,
        "razon_social": verified.razon_social,
        "machine_fingerprint": verified.machine_fingerprint,
        "activation_id": verified.activation_id,
        "issue_time": instant(verified.issue_time),
        "expire_time": instant(verified.expire_time),
        "retire_date": day(verified.retire_date),
        "key_id": verified.key_id,
        "grace_end_time": instant(verified.grace_end_time),
        "read_only_access": verified.read_only_access,
        "payment_overdue": verified.payment_overdue,
        "installation_public_key": verified.installation_public_key.hex() or None,
    }


def _installation_key_status(
    certificate: activation_pb2.LicenseCertificate, licence: pathlib.Path
) -> str:
    """none (the licence names no key), present (its key is beside it),
    missing or mismatch."""
    if not certificate.installation_public_key:
        return "none"
    try:
        check_installation_key(certificate, key_path_for(licence))
    except LicenseVerificationError as exc:
        return {INSTALLATION_KEY_MISSING: "missing", INSTALLATION_KEY_MISMATCH: "mismatch"}[
            exc.reason
        ]
    return "present"


_KEY_STATUS_TEXT = {
    "none": "la licencia no nombra ninguna",
    "present": "la de esta instalación está junto a la licencia",
    "missing": "FALTA junto a la licencia (¿se copió de otro equipo?)",
    "mismatch": "la que está junto a la licencia NO es la de esta instalación",
}


def run_inspect(args: argparse.Namespace, ctx: Context) -> int:
    path = pathlib.Path(args.license_file)
    signed = _load(path)
    form = form_of(read_license_file(path))
    certificate = unverified_certificate(signed)
    pinned = _pinned_keys(args.pinned_keys, required=False)
    signature, signature_text = _signature_status(signed, pinned)
    issue = certificate.issue_time.ToDatetime(tzinfo=dt.UTC)
    expire = certificate.expire_time.ToDatetime(tzinfo=dt.UTC)
    expired = dt.datetime.now(dt.UTC) >= expire
    retire = date_of(certificate.retire_date) if certificate.HasField("retire_date") else None
    this_machine = certificate.machine_fingerprint == machine_fingerprint()
    server = remembered_server(path)
    key_status = _installation_key_status(certificate, path)
    code = EXIT_FAILURE if signature == "invalid" else 0
    if args.json:
        write_json(
            ctx.out,
            {
                "file": str(path),
                "form": form,
                "serial_number": certificate.serial_number,
                "product_code": certificate.product_code,
                "version": certificate.version,
                "users": certificate.users,
                "razon_social": certificate.razon_social,
                "machine_fingerprint": certificate.machine_fingerprint,
                "this_machine": this_machine,
                "activation_id": certificate.activation_id,
                "issue_time": instant(issue),
                "expire_time": instant(expire),
                "expired": expired,
                "retire_date": day(retire),
                "key_id": signed.key_id,
                "signature": signature,
                "server": server,
                "installation_public_key": bytes(certificate.installation_public_key).hex() or None,
                "installation_key": key_status,
            },
        )
        return code
    machine = "este equipo" if this_machine else "otro equipo"
    validity = f"{format_local_time(issue)} a {format_local_time(expire)}"
    lines = [
        f"Licencia {path} (formato {_FORM_NAMES[form]})",
        f"  No. serie:      {certificate.serial_number}",
        f"  Sistema:        Aspel {certificate.product_code} {certificate.version}",
        f"  Razón social:   {certificate.razon_social}",
        f"  Usuarios:       {certificate.users}",
        f"  Equipo:         {certificate.machine_fingerprint} ({machine})",
        f"  Activación:     {certificate.activation_id}",
        f"  Vigencia:       {validity}" + (" (vencida)" if expired else ""),
    ]
    if retire is not None:
        lines.append(f"  Reemplazado:    podrá usarse hasta el {format_date(retire)}")
    lines += [
        f"  Firmada con:    {signed.key_id}",
        f"  Firma:          {signature_text}",
        f"  Servidor:       {server or NO_VALUE}",
        f"  Llave de instalación: {_KEY_STATUS_TEXT[key_status]}",
    ]
    ctx.out.write("\n".join(lines) + "\n")
    return code


def _signature_status(
    signed: activation_pb2.SignedLicense, pinned: PinnedKeys | None
) -> tuple[str, str]:
    """("valid" | "invalid" | "unknown_key" | "unchecked", the es-MX text)."""
    if pinned is None:
        return "unchecked", "no verificada (indica --pinned-keys)"
    try:
        verify_signature(signed, pinned)
    except LicenseVerificationError as exc:
        if exc.reason == UNKNOWN_SIGNING_KEY:
            return "unknown_key", f"llave no reconocida ({UNKNOWN_SIGNING_KEY})"
        return "invalid", f"NO VÁLIDA ({SIGNATURE_INVALID})"
    return "valid", "válida, con una llave fijada"


def run_armor(args: argparse.Namespace, ctx: Context) -> int:
    signed = _load(pathlib.Path(args.license_file))
    text = armor(signed.SerializeToString())
    if args.output is None:
        ctx.out.write(text)
        return 0
    save_license(args.output, signed, form=ARMORED)
    ctx.out.write(f"Licencia escrita como texto en {args.output}.\n")
    return 0


# --- the licence's server -------------------------------------------------------------


def server_file(licence: pathlib.Path) -> pathlib.Path:
    return licence.with_name(licence.name + SERVER_SUFFIX)


def remember_server(licence: pathlib.Path, server: str) -> None:
    """Writes the server that issued `licence` beside it."""
    try:
        server_file(licence).write_text(server + "\n", encoding="utf-8")
    except OSError as exc:
        raise CliError(
            f"La licencia se guardó en {licence}, pero no se pudo guardar su servidor en "
            f"{server_file(licence)} ({exc.strerror}); al validar indica --server {server}."
        ) from None


def remembered_server(licence: pathlib.Path) -> str | None:
    try:
        text = server_file(licence).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def license_server(licence: pathlib.Path, ctx: Context) -> str:
    """--server / $ASPEL_LICENSING_SERVER, else the licence's own server, else the default."""
    return ctx.explicit_server or remembered_server(licence) or DEFAULT_SERVER


# --- helpers ------------------------------------------------------------------------


def _load(path: pathlib.Path) -> activation_pb2.SignedLicense:
    try:
        data = read_license_file(path)
    except OSError as exc:
        raise CliError(f"No se pudo leer el archivo de licencia {path} ({exc.strerror}).") from None
    try:
        return parse_signed_license(data)
    except LicenseVerificationError as exc:
        raise CliError(f"{exc.message_es} ({exc.reason})") from None


def _pinned_keys(option: str | None, *, required: bool) -> PinnedKeys | None:
    path = option or os.environ.get(PINNED_KEYS_ENV)
    if not path:
        if required:
            raise CliError(
                f"Indica las llaves públicas en que confías con --pinned-keys ARCHIVO (o "
                f"{PINNED_KEYS_ENV})."
            )
        return None
    try:
        return PinnedKeys.from_file(path)
    except OSError as exc:
        raise CliError(f"No se pudo leer el archivo de llaves {path} ({exc.strerror}).") from None
    except ValueError as exc:
        raise CliError(f"El archivo de llaves {path} no es válido ({exc}).") from None


def _verify(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    product_code: str,
    version: str,
    fingerprint: str,
    *,
    installation_key_file: pathlib.Path,
) -> VerifiedLicense:
    """The licence the server just sent, checked before it is saved. A
    read-only licence (an overdue serial past its grace) is still the server's
    answer: it is saved, and `verify` says what it allows."""
    status = license_status(
        signed,
        pinned_keys=pinned,
        product_code=product_code,
        version=version,
        machine_fingerprint=fingerprint,
        installation_key_file=installation_key_file,
    )
    if status.license is None:
        raise _not_valid(status)
    return status.license


def _not_valid(status: LicenseStatus) -> CliError:
    return CliError(f"La licencia no es válida: {status.message_es} ({status.reason})")
