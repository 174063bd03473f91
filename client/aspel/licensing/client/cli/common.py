"""What the command modules of the CLI share: the run context, user errors,
the saved session and es-MX formatting.

A command handler has the signature `handler(args, ctx) -> int` (the exit
code) and is attached with `parser.set_defaults(handler=...)`. It writes to
`ctx.out` / `ctx.err`, gets clients from `ctx`, and reports a problem of its
own by raising `CliError` with an es-MX message; `main` prints it (and any
`LicensingError` of the client library) and exits with 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

import grpc
from google.type import date_pb2

from ..errors import FieldViolation, LicensingError
from ..licensing import LicensingClient
from ..session_file import Session, SessionFileError, load_session, session_path

SERVER_ENV = "ASPEL_LICENSING_SERVER"
DEFAULT_SERVER = "127.0.0.1:50051"
PROGRAM = "aspel-licensing"
NO_VALUE = "—"

Handler = Callable[[argparse.Namespace, "Context"], int]


class CliError(Exception):
    """A problem to tell the user (es-MX); the CLI exits with `exit_code`."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass
class Context:
    """One run of the CLI: the common flags, the streams, the session in use."""

    #: --server or $ASPEL_LICENSING_SERVER; None when neither was given.
    explicit_server: str | None
    deadline: float
    out: TextIO
    err: TextIO
    inp: TextIO
    #: The saved session a command sent to the server, if any.
    session_in_use: Session | None = field(default=None, init=False)

    def server(self) -> str:
        """The server for calls that need no session."""
        return self.explicit_server or DEFAULT_SERVER

    def require_session(self) -> Session:
        """The saved login, or a clear CliError telling how to log in."""
        try:
            session = load_session()
        except SessionFileError as exc:
            raise CliError(
                f"No se pudo leer la sesión guardada en {session_path()} ({exc}). "
                f"Inicia sesión de nuevo con: {PROGRAM} login USUARIO"
            ) from exc
        if session is None:
            raise CliError(f"No has iniciado sesión. Inicia sesión con: {PROGRAM} login USUARIO")
        if self.explicit_server and self.explicit_server != session.server:
            # Never send a token to a server it was not issued by.
            raise CliError(
                f"Tu sesión guardada es del servidor {session.server}, no de "
                f"{self.explicit_server}. Inicia sesión en ese servidor con: "
                f"{PROGRAM} --server {self.explicit_server} login USUARIO"
            )
        return session

    def licensing_client(self, session: Session | None = None) -> LicensingClient:
        """A LicensingClient to the session's server (with its token) or to server()."""
        if session is None:
            return LicensingClient(self.server(), deadline=self.deadline)
        self.session_in_use = session
        return LicensingClient(session.server, token=session.session_token, deadline=self.deadline)

    def ask(self, question: str) -> str:
        """Prints `question` and reads one line of the answer ("" at end of input)."""
        self.out.write(question)
        self.out.flush()
        return self.inp.readline().strip()

    def confirm(self, question: str) -> bool:
        """A yes/no question whose default is no."""
        return self.ask(f"{question} [s/N] ").lower() in {"s", "si", "sí", "y", "yes"}


# --- errors --------------------------------------------------------------------

_TRANSPORT_MESSAGES = {
    grpc.StatusCode.UNAVAILABLE: (
        "No se pudo conectar con el servidor {server}. Verifica la dirección (--server o "
        f"{SERVER_ENV}) y que el servidor esté en servicio."
    ),
    grpc.StatusCode.DEADLINE_EXCEEDED: (
        "El servidor {server} no respondió a tiempo. Intenta de nuevo en unos minutos "
        "o aumenta el tiempo de espera con --deadline."
    ),
    grpc.StatusCode.UNIMPLEMENTED: (
        "El servidor {server} no ofrece esta operación. Verifica que sea un servidor de "
        "licencias Aspel actualizado."
    ),
}


def describe_error(error: LicensingError, server: str) -> list[str]:
    """The lines that tell the user what failed, for stderr."""
    if error.reason:
        lines = [f"Error: {error.message} ({error.reason})"]
    else:
        # No ErrorInfo: the failure came from the connection, not the server's rules.
        template = _TRANSPORT_MESSAGES.get(error.code)
        text = template.format(server=server) if template else error.message
        lines = [f"Error: {text} ({error.code.name})"]
    lines.extend(_violation_line(v) for v in error.field_violations)
    return lines


def _violation_line(violation: FieldViolation) -> str:
    return f"  - {violation.field}: {violation.description}"


# --- formatting ------------------------------------------------------------------


def format_date(value: date_pb2.Date | dt.date | None) -> str:
    """dd/mm/yyyy, as the portal shows dates; a dash for an unset date."""
    if isinstance(value, date_pb2.Date):
        if not (value.year and value.month and value.day):
            return NO_VALUE
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    if value is None:
        return NO_VALUE
    return value.strftime("%d/%m/%Y")


def format_local_time(value: dt.datetime) -> str:
    """dd/mm/yyyy hh:mm in this computer's time zone."""
    return value.astimezone().strftime("%d/%m/%Y %H:%M")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns separated by two spaces, with a rule under the header."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]
