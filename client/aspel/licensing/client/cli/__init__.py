"""`aspel-licensing`: the command line client of the Aspel licensing server.

    aspel-licensing [--server ADDR] [--deadline SECONDS] [--tls-ca PEM ...] COMMAND ...

The program is made and run by `program` (shared with `aspel-licensing-admin`,
`cli.admin`): the common flags, the command modules' `add_commands(subparsers)`
and handlers `fn(args, ctx) -> int`, and the one way a run ends: any
`common.CliError` or `LicensingError` (message and reason) on stderr and the
exit code: 0 ok, 1 a local failure, 2 bad usage, 64 + the gRPC status code
for a failed call (`common.exit_code_for`: 80 UNAUTHENTICATED, 69 NOT_FOUND,
...). A handler prints to `ctx.out` (results) and `ctx.err` (problems),
builds its clients from `ctx` (`ctx.licensing_client(...)`, or its own
client class on `ctx.server()` / `ctx.require_session().server` with
`**ctx.client_options()`), and reports a problem of its own by raising
`common.CliError` with an es-MX message. User-facing text is es-MX,
argparse's own included (`spanish`).

To add commands (as `installer.py`: activate / validate / deactivate /
verify / inspect / armor, or `password.py`: forgot-password /
reset-password), write the module next to `portal.py` and append it to
`COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
from types import ModuleType

from . import common, installer, offline, password, portal
from .common import DEFAULT_SERVER, PROGRAM, SERVER_ENV
from .program import Program, run
from .program import build_parser as build_program_parser

#: The modules whose `add_commands(subparsers)` make up the CLI, in help order.
COMMAND_MODULES: list[ModuleType] = [
    portal,
    password,
    installer,
    offline,
]

PORTAL = Program(
    name=PROGRAM,
    description=(
        "Cliente de línea de comandos del servidor de licencias Aspel: inicia sesión en "
        "tu cuenta, consulta tus sistemas en suscripción y actualiza tus números de serie."
    ),
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
        f"Ayuda de cada comando: {PROGRAM} COMANDO --help\n\n"
    ),
    server_help=(
        f"host:puerto del servidor de licencias (o la variable {SERVER_ENV}); si no se "
        f"indica, el de la sesión guardada, y para login {DEFAULT_SERVER}"
    ),
)


def build_parser() -> argparse.ArgumentParser:
    return build_program_parser(PORTAL, COMMAND_MODULES)


def main(argv: list[str] | None = None) -> int:
    """Runs the CLI; returns the exit code (module docstring)."""
    return run(build_parser(), argv)


__all__ = ["COMMAND_MODULES", "PORTAL", "build_parser", "common", "main"]
