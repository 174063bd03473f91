"""The installer commands: activate, validate, deactivate, verify.

What a product's activation wizard does, from the command line: activate a
serial on this machine and keep the signed licence in a file, validate it
again (which renews the licence), free the machine's seat, and check a
licence file offline with the public keys the installer pins.

No login is needed: the serial number and the razón social registered in
the account are what the wizard asks for.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import socket
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
from ..convert import date_of
from ..license_verification import (
    LicenseVerificationError,
    PinnedKeys,
    TrustedTime,
    VerifiedLicense,
    parse_signed_license,
    verify_license,
)
from ..session_file import APP_DIR
from .common import PROGRAM, CliError, Context, format_date, format_local_time

PINNED_KEYS_ENV = "ASPEL_LICENSING_PINNED_KEYS"
TRUSTED_TIME_ENV = "ASPEL_LICENSING_TRUSTED_TIME_FILE"

_STATES = {
    sub_pb.SUBSCRIPTION_STATE_ACTIVE: "Activo",
    sub_pb.SUBSCRIPTION_STATE_SUPERSEDED: "Reemplazado",
}


def trusted_time_path() -> pathlib.Path:
    """Where `verify` remembers the latest server time: $ASPEL_LICENSING_TRUSTED_TIME_FILE,
    or trusted-time.json beside the session file ($XDG_CONFIG_HOME/aspel-licensing)."""
    override = os.environ.get(TRUSTED_TIME_ENV)
    if override:
        return pathlib.Path(override).expanduser()
    config_home = os.environ.get("XDG_CONFIG_HOME", "")
    base = (
        pathlib.Path(config_home) if os.path.isabs(config_home) else pathlib.Path.home() / ".config"
    )
    return base / APP_DIR / "trusted-time.json"


def add_commands(subparsers: Any) -> None:
    """Adds activate, validate, deactivate and verify."""
    activate = subparsers.add_parser(
        "activate",
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
    activate.add_argument("--product", required=True, metavar="SISTEMA", help="p. ej. SAE")
    activate.add_argument("--version", required=True, metavar="VERSION", help="p. ej. 8.0")
    activate.add_argument("--hostname", metavar="NOMBRE", help="por omisión, el de este equipo")
    activate.add_argument("--output", metavar="ARCHIVO", help="dónde guardar la licencia")
    _add_fingerprint(activate)
    _add_pinned_keys(activate, required=False)
    activate.set_defaults(handler=run_activate)

    validate = subparsers.add_parser(
        "validate",
        help="valida la licencia con el servidor y la renueva",
        description=(
            "Valida con el servidor la activación de un archivo de licencia y, si sigue "
            "vigente, reemplaza el archivo por una licencia nueva. Muestra el estado del "
            "número de serie y, si fue reemplazado por una versión nueva, hasta qué día "
            "puede usarse."
        ),
    )
    validate.add_argument("license_file", metavar="LICENCIA", help="el archivo de licencia")
    _add_fingerprint(validate)
    _add_pinned_keys(validate, required=False)
    validate.set_defaults(handler=run_validate)

    deactivate = subparsers.add_parser(
        "deactivate",
        help="desactiva este equipo para activar el sistema en otro",
        description=(
            "Libera la instalación de este equipo, para activar el sistema en otro. Las "
            "desactivaciones de un número de serie están limitadas: si se alcanzó el límite, "
            "se indica a partir de cuándo intentar de nuevo."
        ),
    )
    deactivate.add_argument("license_file", metavar="LICENCIA", help="el archivo de licencia")
    _add_fingerprint(deactivate)
    deactivate.set_defaults(handler=run_deactivate)

    verify = subparsers.add_parser(
        "verify",
        help="verifica un archivo de licencia sin conexión",
        description=(
            "Verifica sin conexión un archivo de licencia: primero la firma, con las llaves "
            "públicas fijadas (--pinned-keys), luego el sistema, la versión, el equipo y la "
            "vigencia. Detecta si la fecha del equipo se atrasó respecto de la última "
            f"validación (la recuerda en el archivo de ${TRUSTED_TIME_ENV} o en "
            "~/.config/aspel-licensing/trusted-time.json)."
        ),
    )
    verify.add_argument("license_file", metavar="LICENCIA", help="el archivo de licencia")
    verify.add_argument("--product", required=True, metavar="SISTEMA", help="p. ej. SAE")
    verify.add_argument("--version", required=True, metavar="VERSION", help="p. ej. 8.0")
    _add_fingerprint(verify)
    _add_pinned_keys(verify, required=True)
    verify.set_defaults(handler=run_verify)


def _add_fingerprint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fingerprint",
        metavar="HUELLA",
        help="la huella del equipo; por omisión se calcula del identificador de este equipo",
    )


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
    with ActivationClient(ctx.server(), deadline=ctx.deadline) as client:
        response = client.activate_installation(
            args.serial_number,
            args.razon_social,
            args.product,
            args.version,
            fingerprint,
            hostname=args.hostname if args.hostname is not None else socket.gethostname(),
        )
    activation = response.activation
    if pinned is not None:
        _verify(
            response.signed_license,
            pinned,
            activation.product_code,
            activation.version,
            fingerprint,
        )
    output = pathlib.Path(args.output or f"{activation.serial_number}.lic")
    save_license(output, response.signed_license)
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
    certificate = unverified_certificate(current)
    fingerprint = args.fingerprint or machine_fingerprint()
    pinned = _pinned_keys(args.pinned_keys, required=False)
    with ActivationClient(ctx.server(), deadline=ctx.deadline) as client:
        response = client.validate_license(
            certificate.serial_number, certificate.activation_id, fingerprint
        )
    if pinned is not None:
        _verify(
            response.signed_license,
            pinned,
            certificate.product_code,
            certificate.version,
            fingerprint,
        )
    save_license(path, response.signed_license)
    fresh = unverified_certificate(response.signed_license)
    state = _STATES.get(response.state, sub_pb.SubscriptionState.Name(response.state))
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
    return 0


def run_deactivate(args: argparse.Namespace, ctx: Context) -> int:
    path = pathlib.Path(args.license_file)
    certificate = unverified_certificate(_load(path))
    fingerprint = args.fingerprint or machine_fingerprint()
    with ActivationClient(ctx.server(), deadline=ctx.deadline) as client:
        activation = client.deactivate_installation(
            certificate.serial_number, certificate.activation_id, fingerprint
        )
    ctx.out.write(
        f"Equipo desactivado: la instalación {activation.activation_id} del número de serie "
        f"{activation.serial_number} quedó libre para otro equipo. La licencia {path} ya no "
        "es válida.\n"
    )
    return 0


def run_verify(args: argparse.Namespace, ctx: Context) -> int:
    pinned = _pinned_keys(args.pinned_keys, required=True)
    assert pinned is not None
    fingerprint = args.fingerprint or machine_fingerprint()
    signed = _load(pathlib.Path(args.license_file))
    verified = _verify(
        signed,
        pinned,
        args.product,
        args.version,
        fingerprint,
        trusted_time=TrustedTime(trusted_time_path()),
    )
    ctx.out.write(
        "Licencia válida.\n"
        f"  Sistema:       Aspel {verified.product_code} {verified.version}\n"
        f"  No. serie:     {verified.serial_number}\n"
        f"  Razón social:  {verified.razon_social}\n"
        f"  Usuarios:      {verified.users}\n"
        f"  Vigente hasta: {format_local_time(verified.expire_time)}\n"
        f"  Firmada con:   {verified.key_id}\n"
    )
    if verified.retire_date is not None:
        ctx.out.write(
            f"  Reemplazado por una versión nueva; podrá usarse hasta el "
            f"{format_date(verified.retire_date)}.\n"
        )
    return 0


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
    trusted_time: TrustedTime | None = None,
) -> VerifiedLicense:
    try:
        return verify_license(
            signed,
            pinned_keys=pinned,
            product_code=product_code,
            version=version,
            machine_fingerprint=fingerprint,
            trusted_time=trusted_time,
        )
    except LicenseVerificationError as exc:
        raise CliError(f"La licencia no es válida: {exc.message_es} ({exc.reason})") from None
