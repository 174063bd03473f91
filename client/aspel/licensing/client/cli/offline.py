"""The commands of a machine without internet: offline-request, offline-install.

`offline-request` writes an activation (or, with --renew, renewal) request
with no network at all, as a file, a code to dictate and optionally a QR
code; the customer redeems it from any connected device (the portal, or
Soporte Aspel). `offline-install` takes the answer back (file, code or text)
and installs the licence once it checks it against the pending request.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import sys
from typing import Any

from ..activation import machine_fingerprint, unverified_certificate
from ..license_armor import ARMORED, BINARY
from ..license_verification import LicenseVerificationError
from ..machine_identity import canonical_salt
from ..offline import (
    OfflineInstallError,
    install_response,
    qr_png,
    qr_terminal,
    read_response,
    write_request,
)
from ..offline_code import display
from .common import PROGRAM, CliError, Context, add_product_version, format_local_time
from .installer import _load, _pinned_keys, trusted_time_for
from .program import add_command


def add_commands(subparsers: Any) -> None:
    """Adds offline-request, offline-install and offline-redeem."""
    request = add_command(
        subparsers,
        "offline-request",
        run_offline_request,
        help="genera una solicitud de activación en un equipo sin internet",
        description=(
            "Genera, sin conexión, una solicitud de activación de este equipo: un archivo, un "
            "código para dictar y, si se pide, un código QR. Canjéala desde cualquier equipo "
            "con internet (Mi cuenta Aspel o Soporte Aspel) y trae la respuesta con "
            f"«{PROGRAM} offline-install». Con --renew, la solicitud renueva la licencia "
            "actual sin ocupar otra instalación."
        ),
    )
    request.add_argument("serial_number", metavar="NO_SERIE", help="el número de serie")
    add_product_version(request)
    request.add_argument(
        "--license",
        metavar="LICENCIA",
        help="dónde quedará la licencia (por omisión NO_SERIE.lic en la carpeta actual); la "
        "llave de la instalación y la solicitud pendiente se guardan a su lado",
    )
    request.add_argument(
        "--renew",
        action="store_true",
        help="renueva la licencia que ya está en LICENCIA (la solicitud lleva su activación)",
    )
    request.add_argument(
        "--output", metavar="ARCHIVO", help="dónde escribir el archivo de la solicitud"
    )
    add_qr_options(request)
    request.add_argument(
        "--fingerprint",
        metavar="HUELLA",
        help="la huella del equipo; por omisión se calcula del identificador de este equipo",
    )

    install = add_command(
        subparsers,
        "offline-install",
        run_offline_install,
        help="instala la licencia que respondió una solicitud sin conexión",
        description=(
            "Instala en este equipo la licencia que se obtuvo al canjear su solicitud sin "
            "conexión: RESPUESTA es el archivo de respuesta, o el código (dictado o leído del "
            "QR) entre comillas, o «-» para leerlo de la entrada. Se verifica la firma con "
            "las llaves fijadas, y que responda a la solicitud pendiente de este equipo."
        ),
    )
    install.add_argument("response", metavar="RESPUESTA", help="archivo, código o «-»")
    install.add_argument(
        "--license",
        metavar="LICENCIA",
        help="la licencia de la solicitud (por omisión NO_SERIE.lic de la respuesta)",
    )
    install.add_argument("--armor", action="store_true", help="guarda la licencia como texto ASCII")
    install.add_argument(
        "--pinned-keys",
        metavar="ARCHIVO",
        help="las llaves públicas en que confías (o $ASPEL_LICENSING_PINNED_KEYS)",
    )
    install.add_argument(
        "--fingerprint",
        metavar="HUELLA",
        help="la huella del equipo; por omisión, la de la solicitud pendiente",
    )

    redeem = add_command(
        subparsers,
        "offline-redeem",
        run_offline_redeem,
        help="canjea la solicitud de un equipo sin internet (con tu sesión)",
        description=(
            "Desde un equipo con internet y tu sesión de Mi cuenta Aspel: canjea la solicitud "
            "que generó «offline-request» en el equipo sin internet. SOLICITUD es el archivo "
            "de la solicitud, o el código dictado (entre comillas), o «-» para leerlo de la "
            "entrada. La respuesta se guarda en un archivo, se muestra como código y, si se "
            "pide, como código QR; llévala al equipo sin internet."
        ),
    )
    redeem.add_argument("request", metavar="SOLICITUD", help="archivo, código o «-»")
    redeem.add_argument(
        "--razon-social", required=True, metavar="TEXTO", help="la razón social de tu cuenta"
    )
    redeem.add_argument(
        "--output",
        metavar="ARCHIVO",
        help="dónde guardar la respuesta (por omisión NO_SERIE.respuesta.txt)",
    )
    add_qr_options(redeem)


def add_qr_options(parser: argparse.ArgumentParser) -> None:
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--qr", metavar="ARCHIVO.png", help="escribe también el código QR (PNG)")
    shown.add_argument(
        "--qr-terminal", action="store_true", help="muestra el código QR en la pantalla"
    )


def _save(output: pathlib.Path, text: str, code: str, args: argparse.Namespace, what: str) -> None:
    """Writes the request or answer `text` to `output` and, with --qr, the QR
    code of its `code` (`what` names it in the error)."""
    try:
        output.write_text(text, encoding="ascii")
        if args.qr:
            qr_png(code, args.qr)
    except OSError as exc:
        raise CliError(f"No se pudo escribir {what} ({exc.strerror}).") from None


def _show_qr(ctx: Context, code: str, args: argparse.Namespace) -> None:
    """What the QR options did: where the PNG went, or the QR on the screen."""
    if args.qr:
        ctx.out.write(f"Código QR guardado en {args.qr}.\n")
    if args.qr_terminal:
        ctx.out.write(qr_terminal(code) + "\n")


def run_offline_request(args: argparse.Namespace, ctx: Context) -> int:
    serial = _display(args.serial_number)
    license_path = pathlib.Path(args.license or f"{serial}.lic")
    activation_id = ""
    if args.renew:
        activation_id = unverified_certificate(_load(license_path)).activation_id
    written = write_request(
        license_path,
        serial_number=serial,
        product_code=args.product,
        version=args.version,
        activation_id=activation_id,
        machine_fingerprint=args.fingerprint or machine_fingerprint(),
    )
    output = pathlib.Path(args.output or f"{license_path}.request")
    _save(output, written.text, written.code, args, "la solicitud")
    kind = "renovación" if args.renew else "activación"
    ctx.out.write(
        f"Solicitud de {kind} sin conexión guardada en {output}.\n"
        "Código para dictar (los guiones y mayúsculas no importan):\n\n"
        f"{display(written.code)}\n\n"
    )
    _show_qr(ctx, written.code, args)
    ctx.out.write(
        "Canjéala desde un equipo con internet (Mi cuenta Aspel o Soporte Aspel) e instala "
        f"la respuesta con: {PROGRAM} offline-install RESPUESTA --license {license_path}\n"
    )
    return 0


def run_offline_install(args: argparse.Namespace, ctx: Context) -> int:
    pinned = _pinned_keys(args.pinned_keys, required=True)
    assert pinned is not None
    data = _response_bytes(args.response)
    license_path = args.license
    if license_path is None:
        try:
            serial = unverified_certificate(read_response(data)).serial_number
        except OfflineInstallError as exc:
            raise CliError(f"{exc.message_es} ({exc.reason})") from None
        license_path = f"{_display(serial)}.lic"
    try:
        verified = install_response(
            license_path,
            data,
            pinned_keys=pinned,
            machine_fingerprint=args.fingerprint,
            trusted_time=trusted_time_for(pathlib.Path(license_path)),
            form=ARMORED if args.armor else BINARY,
        )
    except OfflineInstallError as exc:
        raise CliError(f"No se instaló la licencia: {exc.message_es} ({exc.reason})") from None
    except LicenseVerificationError as exc:
        raise CliError(f"La licencia no es válida: {exc.message_es} ({exc.reason})") from None
    ctx.out.write(
        f"Licencia instalada en {license_path}: Aspel {verified.product_code} "
        f"{verified.version}, número de serie {verified.serial_number}; vigente hasta el "
        f"{format_local_time(verified.expire_time.astimezone(dt.UTC))}.\n"
    )
    return 0


def run_offline_redeem(args: argparse.Namespace, ctx: Context) -> int:
    text = _response_bytes(args.request).decode("utf-8", errors="replace")
    session = ctx.require_session()
    with ctx.licensing_client(session) as client:
        answer = client.redeem_offline_request(text, args.razon_social)
    write_answer(ctx, answer, args)
    return 0


def write_answer(ctx: Context, answer: Any, args: argparse.Namespace) -> None:
    """Saves and shows a RedeemOfflineRequest answer (portal or admin)."""
    serial = answer.activation.serial_number
    output = pathlib.Path(args.output or f"{serial}.respuesta.txt")
    _save(output, answer.response_text, answer.response_code, args, "la respuesta")
    ctx.out.write(
        f"Solicitud canjeada: número de serie {serial}, activación "
        f"{answer.activation.activation_id}.\n"
        f"Respuesta guardada en {output}. Llévala al equipo sin internet e instálala con: "
        f"{PROGRAM} offline-install {output.name}\n"
        "O dicta este código (largo: mejor el archivo o el código QR):\n\n"
        f"{display(answer.response_code)}\n"
    )
    _show_qr(ctx, answer.response_code, args)


def _response_bytes(argument: str) -> bytes:
    """The response's bytes: stdin for "-", a file that exists, else the code itself."""
    if argument == "-":
        return sys.stdin.buffer.read()
    path = pathlib.Path(argument)
    try:
        if path.is_file():
            return path.read_bytes()
    except (OSError, ValueError):
        pass  # a code too long or odd for a file name
    return argument.encode("utf-8")


def _display(serial: str) -> str:
    """XXXXX-XXXXX-XXXXX, as `activate` names licence files."""
    canonical = canonical_salt(serial)
    if len(canonical) != 15:
        return serial.strip().upper()
    return f"{canonical[:5]}-{canonical[5:10]}-{canonical[10:]}"
