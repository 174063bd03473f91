"""`aspel-licensing`: the command line client of the Aspel licensing server.

    aspel-licensing [--server ADDR] [--deadline SECONDS] [--tls-ca PEM ...] COMMAND ...

How commands are organised: every module listed in `COMMAND_MODULES` exposes

    def add_commands(subparsers) -> None

which adds its subcommands to the `argparse` subparsers action and attaches
each one's handler with `parser.set_defaults(handler=fn)`, where

    def fn(args: argparse.Namespace, ctx: common.Context) -> int  # exit code

A handler prints to `ctx.out` (results) and `ctx.err` (problems), builds its
clients from `ctx` (`ctx.licensing_client(...)`, or its own client class on
`ctx.server()` / `ctx.require_session().server` with `ctx.deadline`), and
reports a problem of its own by raising `common.CliError` with an es-MX
message. `main` prints any `CliError` or `LicensingError` (message and reason)
to stderr and returns the exit code: 0 ok, 1 a local failure, 2 bad usage,
64 + the gRPC status code for a failed call (`common.exit_code_for`: 80
UNAUTHENTICATED, 69 NOT_FOUND, ...), the same as `aspel-licensing-admin`.
User-facing text is es-MX, argparse's own included (`spanish`).

To add commands (for example `installer.py`: activate / validate /
deactivate / verify / inspect / armor, or `password.py`: forgot-password /
reset-password),
write the module next to `portal.py` and append it to `COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
import os
import sys
from types import ModuleType

from .. import __version__
from ..base import DEFAULT_DEADLINE
from ..errors import LicensingError
from ..session_file import SessionFileError, delete_session
from . import common, installer, password, portal
from .common import (
    DEFAULT_SERVER,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    PROGRAM,
    SERVER_ENV,
    CliError,
    Context,
    add_tls_arguments,
    channel_credentials,
    describe_error,
    exit_code_for,
    exit_codes_help,
)
from .spanish import SpanishArgumentParser

#: The modules whose `add_commands(subparsers)` make up the CLI, in help order.
COMMAND_MODULES: list[ModuleType] = [
    portal,
    password,
    installer,
]


def seconds(text: str) -> float:
    """The type of --deadline: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"no es un número de segundos: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("debe ser mayor que cero")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = SpanishArgumentParser(
        prog=PROGRAM,
        description=(
            "Cliente de línea de comandos del servidor de licencias Aspel: inicia sesión en "
            "tu cuenta, consulta tus sistemas en suscripción y actualiza tus números de serie."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "ejemplos:\n"
            f"  {PROGRAM} --server 127.0.0.1:50051 login demo\n"
            f"  {PROGRAM} subscriptions\n"
            f"  {PROGRAM} terms NO_SERIE\n"
            f"  {PROGRAM} upgrade NO_SERIE\n"
            f"  {PROGRAM} logout\n"
            f"  {PROGRAM} forgot-password demo@example.com\n"
            f"  {PROGRAM} reset-password\n"
            f"  {PROGRAM} activate NO_SERIE --razon-social 'Mi Empresa, S.A. de C.V.' "
            "--product SAE --version 8.0\n"
            f"  {PROGRAM} validate NO_SERIE.lic\n"
            f"  {PROGRAM} verify NO_SERIE.lic --pinned-keys llaves.json --product SAE "
            "--version 8.0\n"
            f"  {PROGRAM} inspect NO_SERIE.lic\n"
            f"  {PROGRAM} subscriptions --json\n\n"
            "Las opciones generales van antes del comando. La sesión se guarda en\n"
            "~/.config/aspel-licensing/session.json (o $XDG_CONFIG_HOME, o\n"
            "$ASPEL_LICENSING_SESSION_FILE), legible solo por tu usuario.\n"
            f"Ayuda de cada comando: {PROGRAM} COMANDO --help\n\n" + exit_codes_help()
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--server",
        metavar="ADDR",
        help=(
            f"host:puerto del servidor de licencias (o la variable {SERVER_ENV}); si no se "
            f"indica, el de la sesión guardada, y para login {DEFAULT_SERVER}"
        ),
    )
    parser.add_argument(
        "--deadline",
        metavar="SEGUNDOS",
        type=seconds,
        default=DEFAULT_DEADLINE,
        help=(
            "tiempo máximo de cada operación, reintentos incluidos "
            f"(por omisión {DEFAULT_DEADLINE:g})"
        ),
    )
    add_tls_arguments(parser)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMANDO")
    for module in COMMAND_MODULES:
        module.add_commands(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the CLI; returns the exit code (module docstring)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or bad usage (already printed)
        return exc.code if isinstance(exc.code, int) else 0
    ctx = Context(
        explicit_server=args.server or os.environ.get(SERVER_ENV) or None,
        deadline=args.deadline,
        out=sys.stdout,
        err=sys.stderr,
        inp=sys.stdin,
    )
    try:
        ctx.credentials = channel_credentials(args)
        return int(args.handler(args, ctx))
    except CliError as error:
        ctx.err.write(f"Error: {error.message}\n")
        return error.exit_code
    except LicensingError as error:
        session = ctx.session_in_use
        server = session.server if session is not None else ctx.server()
        for line in describe_error(error, server):
            ctx.err.write(line + "\n")
        if error.reason == "SESSION_INVALID" and session is not None:
            # The saved token is dead: forget it so the next command says "log in".
            delete_session()
            ctx.err.write(f"Inicia sesión de nuevo con: {PROGRAM} login {session.username}\n")
        return exit_code_for(error)
    except SessionFileError as error:
        ctx.err.write(f"Error: la sesión guardada no se pudo leer ({error}).\n")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        ctx.err.write("\nCancelado.\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as the Python docs advise.
        _silence_stdout()
        return EXIT_FAILURE


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


__all__ = ["COMMAND_MODULES", "build_parser", "common", "main", "seconds"]
