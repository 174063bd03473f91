"""The password recovery commands: forgot-password, reset-password.

"¿Olvidaste tu contraseña?": the server emails a code to the address registered
in the account; `reset-password` takes that code and the new password, both
read without showing them on screen. Neither needs a session.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from .common import PROGRAM, CliError, Context
from .program import add_command

MIN_LENGTH = 15  # the server's policy; repeated here only to guide the user


def add_commands(subparsers: Any) -> None:
    """Adds forgot-password and reset-password."""
    forgot = add_command(
        subparsers,
        "forgot-password",
        run_forgot_password,
        help="pide un correo para restablecer tu contraseña",
        description=(
            "Pide al servidor que envíe al correo registrado en tu cuenta Aspel un código "
            "para restablecer la contraseña. Por seguridad la respuesta es la misma exista "
            "o no la cuenta. El código vale 30 minutos; úsalo con "
            f"«{PROGRAM} reset-password»."
        ),
    )
    forgot.add_argument(
        "who",
        nargs="?",
        metavar="CORREO_O_USUARIO",
        help="el correo registrado en tu cuenta, o tu usuario; si no lo indicas, se pregunta",
    )

    reset = add_command(
        subparsers,
        "reset-password",
        run_reset_password,
        help="elige una contraseña nueva con el código del correo",
        description=(
            "Pide el código del correo y la contraseña nueva (dos veces), sin mostrarlos en "
            f"pantalla. La contraseña debe tener al menos {MIN_LENGTH} caracteres; puede "
            "llevar espacios, acentos y cualquier símbolo. Al cambiarla se cierran todas las "
            "sesiones de tu cuenta."
        ),
    )
    reset.add_argument(
        "--stdin",
        action="store_true",
        help="lee el código y la contraseña nueva de las dos primeras líneas de la entrada "
        "estándar (para scripts)",
    )


def run_forgot_password(args: argparse.Namespace, ctx: Context) -> int:
    who = (args.who or "").strip() or ctx.ask("Correo o usuario de tu cuenta Aspel: ")
    if not who:
        raise CliError("Escribe el correo registrado en tu cuenta Aspel o tu usuario.")
    with ctx.licensing_client() as client:
        client.request_password_reset(who)
    ctx.out.write(
        "Si los datos corresponden a una cuenta Aspel, enviamos al correo registrado en ella "
        "un código para restablecer la contraseña. El código vale 30 minutos.\n"
        f"Cuando lo tengas, ejecuta: {PROGRAM} reset-password\n"
        "Si no llega en unos minutos, revisa la carpeta de correo no deseado.\n"
    )
    return 0


def run_reset_password(args: argparse.Namespace, ctx: Context) -> int:
    if args.stdin:
        token = ctx.inp.readline().strip()
        password = ctx.inp.readline().rstrip("\r\n")
        confirmation = password
    else:
        token = getpass.getpass("Código del correo: ").strip()
        password = getpass.getpass("Contraseña nueva: ")
        confirmation = getpass.getpass("Repite la contraseña nueva: ")
    if not token:
        raise CliError(
            f"Escribe el código del correo. Si no lo tienes, pídelo con: {PROGRAM} forgot-password"
        )
    if not password:
        raise CliError("La contraseña nueva no puede estar vacía.")
    if password != confirmation:
        raise CliError("Las dos contraseñas no coinciden. Intenta de nuevo.")
    with ctx.licensing_client() as client:
        client.reset_password(token, password)
    ctx.out.write(
        "Listo: tu contraseña cambió y se cerraron todas las sesiones de tu cuenta.\n"
        f"Inicia sesión con la contraseña nueva: {PROGRAM} login USUARIO\n"
    )
    return 0
