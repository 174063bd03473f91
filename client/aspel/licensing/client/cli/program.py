"""One way to make and run a command line program of this package.

`aspel-licensing` (`cli`) and `aspel-licensing-admin` (`cli.admin`) are each a
`Program` (name, help texts) plus a list of command modules. Every command
module exposes

    def add_commands(subparsers) -> None

which adds each of its subcommands with `add_command(subparsers, name, fn,
help=..., description=...)` (the command's parser, for its own arguments),
where

    def fn(args: argparse.Namespace, ctx: common.Context) -> int  # exit code

`build_parser` adds the flags every program shares (--server, --deadline, the
TLS flags of `common.add_tls_arguments`) and the exit-code section of the
help; `run` parses, builds the `common.Context`, calls the handler and turns
every failure into its message on stderr and its exit code (`common`: 0 ok, 1
a local failure, 2 bad usage, 64 + the gRPC status code of a failed call, 130
Ctrl+C). So a flag check, an error message or an exit code is written once,
here or in `common`, for both programs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from .. import __version__
from ..base import DEFAULT_DEADLINE
from ..errors import LicensingError
from ..session_file import SessionFileError, delete_session
from .common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
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

#: A command's handler: the parsed arguments and the run's context in, the exit code out.
Handler = Callable[[argparse.Namespace, Context], int]


@dataclass(frozen=True)
class Program:
    """What tells one program apart: its name and its help texts (es-MX)."""

    name: str
    description: str
    #: The help's closing text (examples, notes); the exit codes follow it.
    epilog: str
    #: The help of --server (where the server comes from differs).
    server_help: str


def seconds(text: str) -> float:
    """The type of --deadline: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"no es un número de segundos: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("debe ser mayor que cero")
    return value


def add_command(
    subparsers: Any, name: str, handler: Handler, *, help: str, **options: Any
) -> argparse.ArgumentParser:
    """Adds the command `name` (its one-line `help` in the program's list,
    `options` for `add_parser`: description, epilog, ...) and attaches the
    `handler` that `run` calls; returns its parser, for its arguments."""
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help, **options)
    parser.set_defaults(handler=handler)
    return parser


def build_parser(program: Program, modules: Sequence[ModuleType]) -> argparse.ArgumentParser:
    """The program's parser: the shared flags, then the commands of `modules`."""
    parser = SpanishArgumentParser(
        prog=program.name,
        description=program.description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=program.epilog + exit_codes_help(),
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}", help="muestra la versión"
    )
    parser.add_argument("--server", metavar="ADDR", help=program.server_help)
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
    for module in modules:
        module.add_commands(subparsers)
    return parser


def run(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Runs one command of `parser`'s program; returns the exit code (module docstring)."""
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or bad usage (already printed)
        return exc.code if isinstance(exc.code, int) else 0
    ctx = Context(
        program=parser.prog,
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
            ctx.err.write(f"Inicia sesión de nuevo con: {ctx.program} login {session.username}\n")
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


__all__ = ["Handler", "Program", "add_command", "build_parser", "run", "seconds"]
